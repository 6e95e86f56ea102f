/*
 * suite_command.c: `cyclab suite FILE -o DIR`, the command line over the
 * suite room (bench/suite/): it reads the suite, fixes every cell's knobs
 * under this shell's CYCLAB_* variables, finds the cells DIR holds already,
 * and either lists the others (--list) or runs them, then rewrites
 * DIR/summary.csv.
 *
 * The order of work, and why:
 *   1. options, then the suite file: bad input is one line and exit 2
 *      before anything is created or run;
 *   2. the environment, checked once as a whole by the same strict parser
 *      and with the same message as `cyclab run` (exit 2): a bad variable
 *      refuses the suite, not each cell in turn;
 *   3. every cell resolved under the environment: its explicit words name
 *      every knob, so what runs here, what --list prints and what a result
 *      records are the same command in any shell;
 *   4. DIR created; the cells whose result is there (matched by the id in
 *      the file name, so by knobs and not by position) are complete and
 *      left out unless --force;
 *   5. --list prints a command per remaining cell of the shard; otherwise
 *      the runner (bench/suite/suite_run.c) runs them, interleaved by
 *      default, under SIGINT and SIGTERM handlers.
 *
 * An interleaved run records its order in DIR (bench/suite/suite_order.c);
 * rerunning the same command without --seed continues that order when the
 * cells still to consider are the ones it was drawn over.
 *
 * Exit status: 0 ok; 1 a cell failed or a file could not be written; 2 bad
 * input; 130 after SIGINT, 143 after SIGTERM (the complete results and the
 * summary are kept; the command to resume is printed).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/harness/run_internal.h"
#include "bench/results/atomic_file.h"
#include "bench/results/results.h"
#include "bench/results/summary_table.h"
#include "bench/cli/suite_command.h"

#include "bench/suite/suite_record.h"
#include "bench/suite/suite.h"

extern char **environ;

static void print_usage(FILE *out)
{
	fputs("usage: cyclab suite FILE -o DIR [--force] [--shard I/N] [--list] [--sequential | --seed N] [--quiet]\n"
	      "\n"
	      "Runs every cell of the suite in FILE, each a `cyclab run` with every knob on its\n"
	      "command line, its result written whole to DIR/cell-<id>-<slug>.json (the id is made\n"
	      "of the cell's knobs), then writes DIR/summary.csv from the results in DIR. Cells\n"
	      "whose result is in DIR are complete and skipped, wherever they sit in the file.\n"
	      "\n"
	      "By default the measured repetitions of all cells run in one seeded random order, so\n"
	      "slow drift of the machine spreads over every cell instead of passing for a\n"
	      "difference between cells; a cell's warm-up runs just before its first repetition and\n"
	      "its result is written once its last one has run. The seed and the cells are\n"
	      "recorded in DIR/order.txt (order-I-of-N.txt for a shard), so rerunning the same\n"
	      "command continues the same order.\n"
	      "\n"
	      "SIGINT (Ctrl-C) or SIGTERM (a batch system's time limit, timeout): the run stops after\n"
	      "the running repetition, keeps every complete result, rewrites summary.csv, prints\n"
	      "what is left and the command to resume, and exits 130 or 143; unfinished cells run\n"
	      "again in full. A second signal stops at once, leaving no partial file.\n"
	      "\n"
	      "options:\n"
	      "  -o DIR        results directory (created with its parents if missing)\n"
	      "  --force       run (or list) every cell again, results present or not\n"
	      "  --shard I/N   only every N-th cell from cell I, I counted from 0 (0/2 and 1/2 cover all)\n"
	      "  --list        create DIR and print one self-contained `cyclab run` command per cell\n"
	      "                not yet complete, every knob explicit (the CYCLAB_ variables of this\n"
	      "                shell applied now), and run nothing\n"
	      "  --sequential  cell after cell, each one's repetitions together, in the file's order\n"
	      "  --interleave  the default order (accepted for scripts that name it)\n"
	      "  --seed N      the interleaved order's seed, 0..2^64-1 (default: the one recorded in\n"
	      "                DIR, else one from the clock; recorded in each result)\n"
	      "  --quiet       no progress: neither the line on a terminal nor, when stdout is not a\n"
	      "                terminal, the line per finished cell (cell, figures, time, time left)\n"
	      "\n"
	      "The suite file (more in README.md and bench/suite/suite.c; examples in bench/suites/):\n"
	      "\n"
	      "  # a comment runs to the end of the line\n"
	      "  set ops = 100k                  # before any workload: applies to every block\n"
	      "  set repeat = 5\n"
	      "  workload linked-cycles          # a block: one workload,\n"
	      "  set rc = atomic, biased         # lists of `cyclab run` knobs (without the dashes)\n"
	      "  set threads = 1..$NPROC         # a range; $NPROC: the CPUs this process may use\n"
	      "  param length = 2, 16            # and of the workload's parameters\n"
	      "  workload caches\n"
	      "  set threads = 1, 2, 4..16 *2    # ranges: A..B, A..B +STEP, A..B *FACTOR, A..B log N\n"
	      "  set threshold = \"700,10,10\", \"100..50000 log 6,10,10\"   # commas inside: quotes\n"
	      "\n"
	      "Knobs: threads, rc, gc, threshold, pause-budget-us, alloc, duration, ops, seed, warmup,\n"
	      "repeat, sample-ms, pin. Each block runs the cartesian product of its lists and of the\n"
	      "suite-wide lists it does not set itself (the last list varies fastest). A value listed\n"
	      "twice is refused. Every value is checked before anything runs; combinations the\n"
	      "runner refuses (nonatomic with several threads) are left out with a note.\n"
	      "\n"
	      "Exit status: 0 ok; 1 a cell failed (check or leak; its result says why), could not\n"
	      "run, or a file could not be written; 2 bad input; 130 SIGINT; 143 SIGTERM.\n",
		out);
}

/* The program to name in --list: this executable when it is cyclab, else plain "cyclab". */
static void program_path(char *out, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", out, len - 1);
	if (n > 0) {
		out[n] = '\0';
		const char *base = strrchr(out, '/');
		if (strcmp(base ? base + 1 : out, "cyclab") == 0)
			return;
	}
	snprintf(out, len, "cyclab");
}

static int compare_ids(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/*
 * done[i] for each cell whose result file is in dir (a regular file named
 * with the cell's id). -1 if dir cannot be read.
 */
static int find_complete(const char *dir, const cy_suite *suite, unsigned char *done)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	size_t cap = 64, n = 0;
	uint64_t *ids = malloc(cap * sizeof *ids);
	struct dirent *e;
	char path[4400];
	while (ids && (e = readdir(d))) {
		uint64_t id;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		struct stat st;
		if (cy_suite_cell_file_id(e->d_name, &id) != 0 || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			uint64_t *bigger = realloc(ids, 2 * cap * sizeof *ids);
			if (!bigger) {
				free(ids);
				ids = NULL;
				break;
			}
			ids = bigger;
			cap *= 2;
		}
		ids[n++] = id;
	}
	closedir(d);
	if (!ids)
		return -1;
	qsort(ids, n, sizeof *ids, compare_ids);
	for (size_t i = 0; i < suite->count; i++) {
		uint64_t id = cy_suite_cell_short_id(&suite->cells[i]);
		done[i] = n && bsearch(&id, ids, n, sizeof *ids, compare_ids) != NULL;
	}
	free(ids);
	return 0;
}

/* A seed without --seed or a record: different each run, recorded so that it can be repeated. */
static uint64_t seed_from_clock(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return ((uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec) ^ ((uint64_t)getpid() << 32);
}

/*
 * The interleaved plan's order: the recorded one when it was drawn over
 * exactly these cells (cells reordered to match it), else a new one from
 * seed, recorded. -1 after printing why.
 */
static int settle_order(const char *prog, const cy_suite *suite, const char *record_path, int seed_given,
	uint64_t *seed, size_t *cells, size_t count, int *continued)
{
	char why[1024];
	cy_suite_order_record record;
	*continued = 0;
	int found = seed_given ? 1 : cy_suite_order_read(record_path, &record, why, sizeof why);
	if (found < 0) {
		fprintf(stderr, "%s: %s\n", prog, why);
		return -1;
	}
	if (found == 0 && record.count == count) {
		size_t *ordered = malloc((count ? count : 1) * sizeof *ordered);
		size_t matched = 0;
		for (size_t k = 0; ordered && k < record.count; k++) {
			for (size_t i = 0; i < count; i++) {
				if (cy_suite_cell_short_id(&suite->cells[cells[i]]) == record.ids[k]) {
					ordered[matched++] = cells[i];
					break;
				}
			}
			if (matched != k + 1)
				break;
		}
		if (ordered && matched == count) {
			memcpy(cells, ordered, count * sizeof *cells);
			*seed = record.seed;
			*continued = 1;
		}
		free(ordered);
	}
	if (found == 0)
		cy_suite_order_free(&record);
	if (*continued)
		return 0;
	if (!seed_given)
		*seed = seed_from_clock();
	record.seed = *seed;
	record.count = count;
	record.ids = malloc((count ? count : 1) * sizeof *record.ids);
	if (!record.ids) {
		fprintf(stderr, "%s: out of memory for the order of %zu cells\n", prog, count);
		return -1;
	}
	for (size_t i = 0; i < count; i++)
		record.ids[i] = cy_suite_cell_short_id(&suite->cells[cells[i]]);
	int err = cy_suite_order_write(record_path, &record, why, sizeof why);
	cy_suite_order_free(&record);
	if (err) {
		fprintf(stderr, "%s: %s\n", prog, why);
		return -1;
	}
	return 0;
}

static const char *signal_name(int sig)
{
	return sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "a signal";
}

typedef struct options {
	const char *file, *dir;
	int force, list, sequential, interleave, seed_given, quiet;
	unsigned shard, shards;
	uint64_t seed;
} options;

/* Parse argv into o; 0, 1 after --help, or 2 after printing why. */
static int parse_options(int argc, char **argv, options *o)
{
	const char *prog = argv[0];
	char why[1024];
	memset(o, 0, sizeof *o);
	o->shards = 1;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			print_usage(stdout);
			return 1;
		} else if (strcmp(arg, "--force") == 0) {
			o->force = 1;
		} else if (strcmp(arg, "--list") == 0) {
			o->list = 1;
		} else if (strcmp(arg, "--interleave") == 0) {
			o->interleave = 1;
		} else if (strcmp(arg, "--sequential") == 0) {
			o->sequential = 1;
		} else if (strcmp(arg, "--quiet") == 0) {
			o->quiet = 1;
		} else if (strcmp(arg, "-o") == 0 || strcmp(arg, "--shard") == 0 || strcmp(arg, "--seed") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "%s: %s needs a value (%s %s)\n", prog, arg, arg,
					arg[1] == 'o' ? "DIR" : strcmp(arg, "--shard") == 0 ? "I/N" : "N");
				return 2;
			}
			const char *value = argv[++i];
			if (arg[1] == 'o') {
				o->dir = value;
			} else if (strcmp(arg, "--seed") == 0) {
				if (cy_suite_parse_seed(value, &o->seed, why, sizeof why) != 0) {
					fprintf(stderr, "%s: %s\n", prog, why);
					return 2;
				}
				o->seed_given = 1;
			} else if (cy_suite_parse_shard(value, &o->shard, &o->shards, why, sizeof why) != 0) {
				fprintf(stderr, "%s: %s\n", prog, why);
				return 2;
			}
		} else if (arg[0] == '-') {
			fprintf(stderr,
				"%s: unknown option '%s' (valid: -o DIR, --force, --shard I/N, --list, --sequential, "
				"--interleave, --seed N, --quiet, --help)\n",
				prog, arg);
			return 2;
		} else if (o->file) {
			fprintf(stderr, "%s: one suite file per run, not '%s' after '%s'\n", prog, arg, o->file);
			return 2;
		} else {
			o->file = arg;
		}
	}
	if (!o->file || !o->dir || !*o->dir) {
		fprintf(stderr, "%s: %s (valid: cyclab suite FILE -o DIR; suites in bench/suites/)\n", prog,
			!o->file ? "no suite file given" : "no results directory given");
		return 2;
	}
	if (o->sequential && (o->interleave || o->seed_given)) {
		fprintf(stderr, "%s: --sequential runs cells in the file's order, without a seeded order (valid: "
				"--sequential, or --interleave and --seed N; a workload's seed is `set seed = ...`)\n",
			prog);
		return 2;
	}
	if (o->list && o->seed_given) {
		fprintf(stderr, "%s: --list prints one command per cell, which runs its repetitions together; --seed "
				"orders a run (valid: --list or --seed N, not both)\n",
			prog);
		return 2;
	}
	return 0;
}

/* The knobs this shell's environment sets, as NAME=VALUE words, for the note --list prints. */
static void describe_environment(char *out, size_t len)
{
	size_t used = 0;
	out[0] = '\0';
	for (char **e = environ; *e && used < len; e++) {
		if (strncmp(*e, "CYCLAB_", 7) == 0)
			used += (size_t)snprintf(out + used, len - used, "%s%s", used ? " " : "", *e);
	}
}

/*
 * The environment as the up-front check sees it, with the first cell's
 * workload: less the CYCLAB_PARAM_ variables of the suite's other
 * workloads, which would read as ignored there (each cell checks them
 * against its own workload). NULL without memory.
 */
static char **environment_to_check(const cy_suite *suite)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 1, sizeof *env);
	if (!env)
		return NULL;
	const cy_workload_def *first = suite->cells[0].config.workload;
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		int drop = 0;
		if (strncmp(environ[i], "CYCLAB_PARAM_", 13) == 0 && !cy_suite_is_param_variable(environ[i], first)) {
			for (size_t c = 0; c < suite->count && !drop; c++)
				drop = cy_suite_is_param_variable(environ[i], suite->cells[c].config.workload);
		}
		if (!drop)
			env[used++] = environ[i];
	}
	return env;
}

int cy_suite_main(int argc, char **argv)
{
	const char *prog = argv[0];
	options o;
	int parsed = parse_options(argc, argv, &o);
	if (parsed)
		return parsed == 1 ? 0 : 2;
	char why[1024];
	cy_suite suite;
	if (cy_suite_load(o.file, &suite, why, sizeof why) != 0) {
		fprintf(stderr, "%s: %s\n", prog, why);
		return 2;
	}
	/* The environment as a whole, as `cyclab run` checks it, once. */
	char **checked = environment_to_check(&suite);
	cy_run_config probe;
	cy_run_config_init(&probe, suite.cells[0].config.workload);
	int refused = !checked || cy_run_apply_environment(&probe, checked, prog) != 0;
	free(checked);
	if (refused) {
		cy_suite_free(&suite);
		return 2;
	}
	int resolved = cy_suite_resolve(&suite, environ, why, sizeof why);
	if (resolved != 0) {
		if (resolved == -1)
			fprintf(stderr, "%s: %s: %s\n", prog, o.file, why);
		cy_suite_free(&suite);
		return 2;
	}
	if (suite.skipped)
		fprintf(stderr, "%s: %s: %zu combination%s left out: %s\n", prog, o.file, suite.skipped,
			suite.skipped == 1 ? "" : "s", suite.skip_reason);
	if (cy_make_directories(o.dir) != 0) {
		fprintf(stderr, "%s: cannot create %s: %s (valid: -o DIR, a directory that exists or can be created)\n",
			prog, o.dir, strerror(errno));
		cy_suite_free(&suite);
		return 2;
	}
	/* DIR says which suite its cells belong to, for `cyclab merge` to check completeness against. */
	if (cy_suite_record(o.dir, o.file, why, sizeof why) != 0) {
		fprintf(stderr, "%s: %s\n", prog, why);
		cy_suite_free(&suite);
		return 2;
	}
	unsigned char *done = calloc(suite.count, 1);
	size_t *cells = malloc(suite.count * sizeof *cells);
	if (!done || !cells) {
		fprintf(stderr, "%s: out of memory for %zu cells\n", prog, suite.count);
		free(done);
		free(cells);
		cy_suite_free(&suite);
		return 1;
	}
	if (find_complete(o.dir, &suite, done) != 0) {
		fprintf(stderr, "%s: cannot read %s: %s\n", prog, o.dir, strerror(errno));
		free(done);
		free(cells);
		cy_suite_free(&suite);
		return 2;
	}
	if (o.force)
		memset(done, 0, suite.count);
	size_t count = 0, present = 0;
	for (size_t i = 0; i < suite.count; i++) {
		if (!cy_suite_in_shard(i, o.shard, o.shards))
			continue;
		cells[count++] = i;
		present += done[i];
	}
	int status = 0;
	if (o.list) {
		char program[4096], env[1024];
		program_path(program, sizeof program);
		if (cy_suite_print_list(stdout, &suite, done, program, o.dir, o.shard, o.shards) != 0) {
			fprintf(stderr, "%s: cannot write standard output: %s\n", prog, strerror(errno));
			status = 1;
		} else if (!o.quiet) {
			describe_environment(env, sizeof env);
			fprintf(stderr, "%s: %zu command%s listed, %zu cell%s already complete in %s left out%s%s%s\n", prog,
				count - present, count - present == 1 ? "" : "s", present, present == 1 ? "" : "s", o.dir,
				env[0] ? "; the environment's " : "", env,
				env[0] ? " applied where the suite does not set the knob, every knob explicit" : "");
		}
		goto out;
	}
	cy_suite_plan plan = {
		.dir = o.dir,
		.order = o.sequential ? CY_SUITE_SEQUENTIAL : CY_SUITE_INTERLEAVED,
		.seed = o.seed,
		.cells = cells,
		.count = count,
		.done = done,
		.already_done = present,
		.tty = !o.quiet && isatty(STDERR_FILENO),
		.log_lines = !o.quiet && !isatty(STDOUT_FILENO),
	};
	/*
	 * A leftover temporary of a cell this run owns (a process killed while
	 * writing it) goes; another shard's, which may be being written into
	 * the same directory now, is left alone.
	 */
	for (size_t k = 0; k < count; k++) {
		if (done[cells[k]])
			continue;
		char name[160], temp[4400];
		cy_suite_cell_file(&suite.cells[cells[k]], name, sizeof name);
		snprintf(temp, sizeof temp, "%s/%s.tmp", o.dir, name);
		unlink(temp);
	}
	if (present < count) {
		/* A result that cannot be written is found now, not after the first cell has run. */
		for (size_t k = 0; k < count; k++) {
			if (done[cells[k]])
				continue;
			char name[160], path[4400];
			cy_suite_cell_file(&suite.cells[cells[k]], name, sizeof name);
			snprintf(path, sizeof path, "%s/%s", o.dir, name);
			if (cy_results_probe(path, why, sizeof why) != 0) {
				fprintf(stderr, "%s: cannot write results in %s: %s\n", prog, o.dir, why);
				status = 1;
				goto out;
			}
			break;
		}
	}
	int continued = 0;
	if (plan.order == CY_SUITE_INTERLEAVED && present < count) {
		char record[4400];
		cy_suite_order_file(o.dir, o.shard, o.shards, record, sizeof record);
		if (o.force && !o.seed_given) { /* every cell again: a new order, unless --seed names one */
			o.seed = seed_from_clock();
			o.seed_given = 1;
			plan.seed = o.seed;
		}
		if (settle_order(prog, &suite, record, o.seed_given, &plan.seed, cells, count, &continued) != 0) {
			status = 1;
			goto out;
		}
		if (plan.tty || plan.log_lines)
			fprintf(plan.tty ? stderr : stdout, "%s: %zu of %zu cells to run, interleaved, seed %" PRIu64 "%s\n",
				prog, count - present, count, plan.seed, continued ? " (continuing the recorded order)" : "");
	}
	cy_suite_outcome outcome;
	cy_suite_catch_signals(o.dir);
	cy_suite_run(&suite, &plan, &outcome);
	int sig = cy_suite_stop_signal();
	status = outcome.write_failed || outcome.failed ? 1 : 0;
	if (cy_results_write_summary(o.dir, why, sizeof why) != 0) {
		fprintf(stderr, "%s: %s\n", prog, why);
		status = 1;
	}
	cy_suite_release_signals();
	/* Complete: the shard's cells whose result is in DIR now (a failed cell may have written one). */
	size_t complete = present;
	if (find_complete(o.dir, &suite, done) == 0) {
		complete = 0;
		for (size_t k = 0; k < count; k++)
			complete += done[cells[k]];
	}
	if (!o.quiet) {
		char took[48];
		cy_suite_format_duration(outcome.spent_s, took, sizeof took);
		fprintf(plan.log_lines ? stdout : stderr,
			"%s: %zu of %zu cells ran in %s, %zu already done, %zu failed%s; %s/summary.csv\n", prog, outcome.ran,
			count, took, present, outcome.failed, sig ? ", interrupted" : "", o.dir);
		fflush(stdout);
	}
	if (sig || outcome.write_failed) {
		char program[4096];
		program_path(program, sizeof program);
		/* The same command, less --force (which would run the complete cells again). */
		char **kept = calloc((size_t)argc, sizeof *kept);
		int kept_count = 0;
		for (int i = 1; kept && i < argc; i++) {
			if (strcmp(argv[i], "--force") != 0)
				kept[kept_count++] = argv[i];
		}
		char *args = kept ? cy_suite_shell_words(kept_count, kept) : NULL;
		free(kept);
		size_t left = count - (complete < count ? complete : count);
		fprintf(stderr,
			"%s: %s: %zu of %zu cells complete (results and summary.csv kept), %zu left%s; resume with:\n"
			"  %s suite %s\n",
			prog, sig ? signal_name(sig) : "stopped", complete, count, left,
			outcome.dropped ? " (unfinished cells run again in full)" : "", program, args ? args : "...");
		free(args);
		if (sig)
			status = 128 + sig;
	}
out:
	free(done);
	free(cells);
	cy_suite_free(&suite);
	return status;
}
