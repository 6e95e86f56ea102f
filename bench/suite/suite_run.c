/*
 * suite_run.c: `cyclab suite FILE -o DIR`: runs a suite's cells and keeps
 * DIR/summary.csv up to date.
 *
 * Each cell runs in this process through cy_run_main, with the very words
 * `--list` prints for it, so a cell run here and the same cell run by hand
 * or by a cluster's job array are the same `cyclab run`. Cells run one at a
 * time: the suite starts no thread of its own, so nothing it does competes
 * with a timed cell. With --interleave, bench/suite/suite_interleave.c runs the
 * cells' repetitions in a shuffled order instead (it says how); what is
 * said below of DIR holds for both.
 *
 * Invariants of DIR:
 *   - a cell-NNN-<slug>.json exists only whole: the runner writes it to
 *     .tmp and renames it (bench/results/results.c); a leftover .tmp (the process
 *     was killed while writing) is removed when the next suite starts;
 *   - a cell whose result exists is done, and is skipped unless --force;
 *   - summary.csv is rebuilt from the result files present, whoever wrote
 *     them (other shards copied in included), and is itself written through
 *     a .tmp and a rename.
 *
 * Ctrl-C: the first SIGINT lets the running cell finish (its result is
 * written, complete; interleaved, the running repetition, and unfinished
 * cells leave no result), then the suite stops, rewrites the summary and
 * exits 130; the handler is one-shot, so a second Ctrl-C ends the process
 * at once and leaves at most a .tmp behind. A progress line (the running
 * cell, cells or repetitions done of all, time left estimated from those
 * done) goes to stderr only when it is a terminal.
 */
#include "bench/suite/suite.h"
#include "bench/suite/suite_record.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/results/atomic_file.h"
#include "bench/results/results.h"
#include "bench/results/stats.h"
#include "bench/results/summary_table.h"

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

static double seconds_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int is_cell_file(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);
	return strncmp(name, "cell-", 5) == 0 && n > s + 5 && strcmp(name + n - s, suffix) == 0;
}

static void remove_stale_temps(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	char path[4400];
	while ((e = readdir(d))) {
		if (is_cell_file(e->d_name, ".json.tmp")) {
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			unlink(path);
		}
	}
	closedir(d);
}

/* ---- the command -------------------------------------------------------------------- */

static void print_usage(FILE *out)
{
	fputs("usage: cyclab suite FILE -o DIR [--force] [--shard I/N] [--list] [--interleave [--seed N]]\n"
	      "\n"
	      "Runs every cell of the suite in FILE, one at a time, each as `cyclab run ... -o\n"
	      "DIR/cell-NNN-<slug>.json`, then writes DIR/summary.csv from the results in DIR. Cells\n"
	      "whose result exists are skipped. Ctrl-C stops after the running cell (exit 130).\n"
	      "\n"
	      "options:\n"
	      "  -o DIR        results directory (created if missing; its parent must exist)\n"
	      "  --force       run every cell again, results present or not\n"
	      "  --shard I/N   only every N-th cell from cell I, I counted from 0 (0/2 and 1/2 cover all)\n"
	      "  --list        print one self-contained `cyclab run` command per cell and run nothing\n"
	      "  --interleave  run the measured repetitions of all cells in a seeded random order\n"
	      "                instead of cell after cell, so slow drift of the machine is spread over\n"
	      "                every cell; a cell's warm-up runs just before its first repetition, and\n"
	      "                its result is written once its last one has run. Each result records\n"
	      "                \"interleave\" (seed, schedule_length) and each run's \"order_index\".\n"
	      "                Ctrl-C stops after the running repetition; unfinished cells leave no\n"
	      "                result and run again in full next time.\n"
	      "  --seed N      the order's seed, 0..2^64-1 (default: from the clock; shown on a\n"
	      "                terminal and recorded in each result, so an order can be repeated)\n"
	      "\n"
	      "The suite file (more in README.md and bench/suite/suite.c; examples in bench/suites/):\n"
	      "\n"
	      "  # a comment runs to the end of the line\n"
	      "  set ops = 100k                  # before any workload: applies to every block\n"
	      "  set repeat = 5\n"
	      "  workload linked-cycles          # a block: one workload,\n"
	      "  set rc = atomic, biased         # lists of `cyclab run` knobs (without the dashes)\n"
	      "  set threads = 1, 2\n"
	      "  param length = 2, 16            # and of the workload's parameters\n"
	      "  workload caches\n"
	      "  set threshold = \"700,10,10\", \"100,10,10\"   # a value with a comma goes in quotes\n"
	      "\n"
	      "Knobs: threads, rc, gc, threshold, pause-budget-us, alloc, duration, ops, seed, warmup,\n"
	      "repeat, sample-ms, pin. Each block runs the cartesian product of its lists and of the\n"
	      "suite-wide lists it does not set itself (the last list varies fastest): above, 2 x 2 x 2\n"
	      "cells of linked-cycles and 2 of caches. Every value is checked before anything runs;\n"
	      "combinations the runner refuses (nonatomic with several threads) are left out with a note.\n"
	      "\n"
	      "Exit status: 0 ok; 1 a cell failed (check or leak; its result says why) or could not run;\n"
	      "2 bad input; 130 interrupted.\n",
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

/* Run one cell in-process; the runner's exit status. */
static int run_cell(const cy_suite_cell *cell, const char *path)
{
	char **argv = calloc((size_t)cell->word_count + 5, sizeof *argv);
	if (!argv)
		return 1;
	char prog[] = "cyclab run", quiet[] = "--quiet", o[] = "-o";
	int argc = 0;
	argv[argc++] = prog;
	for (int i = 0; i < cell->word_count; i++)
		argv[argc++] = cell->words[i];
	argv[argc++] = quiet;
	argv[argc++] = o;
	argv[argc++] = (char *)path;
	argv[argc] = NULL;
	int status = cy_run_main(argc, argv);
	free(argv);
	return status;
}

/* Cells one after the other, in matrix order, each through cy_run_main. */
static void run_sequential(const char *prog, const cy_suite *suite, const size_t *pending, size_t count,
	size_t total, size_t present, const char *dir, int tty, cy_suite_outcome *outcome)
{
	memset(outcome, 0, sizeof *outcome);
	for (size_t k = 0; k < count && !interrupted; k++) {
		const cy_suite_cell *cell = &suite->cells[pending[k]];
		char name[160], path[4400];
		cy_suite_cell_file(cell, name, sizeof name);
		snprintf(path, sizeof path, "%s/%s", dir, name);
		size_t done = present + outcome->ran;
		if (tty) {
			char eta[64] = "time left: estimating";
			if (outcome->ran > 0) {
				char left[40];
				cy_suite_format_duration(outcome->spent_s / (double)outcome->ran * (double)(total - done), left,
					sizeof left);
				snprintf(eta, sizeof eta, "about %s left", left);
			}
			fprintf(stderr, "\r\033[K[%zu/%zu] %s (%s)", done, total, name, eta);
			fflush(stderr);
		}
		double start = seconds_now();
		int status = run_cell(cell, path);
		outcome->spent_s += seconds_now() - start;
		outcome->ran++;
		if (status != 0) {
			if (tty)
				fputs("\n", stderr);
			fprintf(stderr, "%s: cell %zu (%s) %s\n", prog, cell->index, name,
				status == 2 ? "could not run in this build; no result" : "failed; its result says why");
			outcome->failed++;
		}
	}
	outcome->dropped = count - outcome->ran;
}

/* A seed for --interleave without --seed: different each run, recorded so that it can be repeated. */
static uint64_t seed_from_clock(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return ((uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec) ^ ((uint64_t)getpid() << 32);
}

int cy_suite_main(int argc, char **argv)
{
	const char *prog = argv[0], *file = NULL, *dir = NULL;
	int force = 0, list = 0, interleave = 0, seed_given = 0;
	unsigned shard = 0, shards = 1;
	uint64_t seed = 0;
	char why[1024];
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			print_usage(stdout);
			return 0;
		} else if (strcmp(arg, "--force") == 0) {
			force = 1;
		} else if (strcmp(arg, "--list") == 0) {
			list = 1;
		} else if (strcmp(arg, "--interleave") == 0) {
			interleave = 1;
		} else if (strcmp(arg, "-o") == 0 || strcmp(arg, "--shard") == 0 || strcmp(arg, "--seed") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "%s: %s needs a value (%s %s)\n", prog, arg, arg,
					arg[1] == 'o' ? "DIR" : strcmp(arg, "--shard") == 0 ? "I/N" : "N");
				return 2;
			}
			const char *value = argv[++i];
			if (arg[1] == 'o') {
				dir = value;
			} else if (strcmp(arg, "--seed") == 0) {
				if (cy_suite_parse_seed(value, &seed, why, sizeof why) != 0) {
					fprintf(stderr, "%s: %s\n", prog, why);
					return 2;
				}
				seed_given = 1;
			} else if (cy_suite_parse_shard(value, &shard, &shards, why, sizeof why) != 0) {
				fprintf(stderr, "%s: %s\n", prog, why);
				return 2;
			}
		} else if (arg[0] == '-') {
			fprintf(stderr,
				"%s: unknown option '%s' (valid: -o DIR, --force, --shard I/N, --list, --interleave, "
				"--seed N, --help)\n",
				prog, arg);
			return 2;
		} else if (file) {
			fprintf(stderr, "%s: one suite file per run, not '%s' after '%s'\n", prog, arg, file);
			return 2;
		} else {
			file = arg;
		}
	}
	if (!file || !dir || !*dir) {
		fprintf(stderr, "%s: %s (valid: cyclab suite FILE -o DIR; suites in bench/suites/)\n", prog,
			!file ? "no suite file given" : "no results directory given");
		return 2;
	}
	if (seed_given && !interleave) {
		fprintf(stderr, "%s: --seed orders --interleave's schedule (valid: --interleave --seed N; a workload's "
				"seed is `set seed = ...` in the suite)\n",
			prog);
		return 2;
	}
	if (interleave && list) {
		fprintf(stderr, "%s: --list prints one command per cell, which runs its repetitions together "
				"(valid: --list or --interleave, not both)\n",
			prog);
		return 2;
	}
	cy_suite suite;
	if (cy_suite_load(file, &suite, why, sizeof why) != 0) {
		fprintf(stderr, "%s: %s\n", prog, why);
		return 2;
	}
	if (suite.skipped)
		fprintf(stderr, "%s: %s: %zu combination%s left out: %s\n", prog, file, suite.skipped,
			suite.skipped == 1 ? "" : "s", suite.skip_reason);
	/* DIR says which suite its cells belong to, for `cyclab merge` to check completeness against. */
	if (cy_suite_record(dir, file, why, sizeof why) != 0) {
		fprintf(stderr, "%s: %s\n", prog, why);
		cy_suite_free(&suite);
		return 2;
	}
	if (list) {
		char program[4096];
		program_path(program, sizeof program);
		cy_suite_print_list(stdout, &suite, program, dir, shard, shards);
		cy_suite_free(&suite);
		return 0;
	}
	if (cy_make_directories(dir) != 0) {
		fprintf(stderr, "%s: cannot create %s: %s (valid: -o DIR, a directory that exists or can be created)\n", prog, dir,
			strerror(errno));
		cy_suite_free(&suite);
		return 2;
	}
	remove_stale_temps(dir);

	/* The shard's cells still to run, in matrix order. */
	size_t total = 0, present = 0, count = 0;
	size_t *pending = malloc((suite.count ? suite.count : 1) * sizeof *pending);
	if (!pending) {
		fprintf(stderr, "%s: out of memory for %zu cells\n", prog, suite.count);
		cy_suite_free(&suite);
		return 1;
	}
	for (size_t i = 0; i < suite.count; i++) {
		if (!cy_suite_in_shard(i, shard, shards))
			continue;
		total++;
		char name[160], path[4400];
		cy_suite_cell_file(&suite.cells[i], name, sizeof name);
		snprintf(path, sizeof path, "%s/%s", dir, name);
		struct stat st;
		if (!force && stat(path, &st) == 0)
			present++;
		else
			pending[count++] = i;
	}
	const int tty = isatty(STDERR_FILENO);
	struct sigaction action = {.sa_handler = on_interrupt, .sa_flags = SA_RESETHAND | SA_RESTART}, previous;
	sigemptyset(&action.sa_mask);
	interrupted = 0;
	sigaction(SIGINT, &action, &previous);

	cy_suite_outcome outcome;
	if (interleave) {
		if (!seed_given)
			seed = seed_from_clock();
		if (tty)
			fprintf(stderr, "%s: %zu cells interleaved, seed %" PRIu64 "\n", prog, count, seed);
		cy_suite_run_interleaved(&suite, pending, count, dir, seed, tty, &interrupted, &outcome);
	} else {
		run_sequential(prog, &suite, pending, count, total, present, dir, tty, &outcome);
	}
	sigaction(SIGINT, &previous, NULL);
	free(pending);
	int exit_status = outcome.failed ? 1 : 0;
	if (cy_results_write_summary(dir, why, sizeof why) != 0) {
		fprintf(stderr, "%s: %s\n", prog, why);
		exit_status = 1;
	}
	if (tty) {
		char took[48];
		cy_suite_format_duration(outcome.spent_s, took, sizeof took);
		fprintf(stderr, "\r\033[K%s: %zu of %zu cells ran in %s, %zu already done, %zu failed%s; %s/summary.csv\n",
			prog, outcome.ran, total, took, present, outcome.failed, interrupted ? ", interrupted" : "", dir);
	}
	cy_suite_free(&suite);
	if (interrupted) {
		fprintf(stderr, "%s: interrupted; complete results are kept, %zu unfinished cell%s run%s again next time\n",
			prog, outcome.dropped, outcome.dropped == 1 ? "" : "s", outcome.dropped == 1 ? "s" : "");
		return 130;
	}
	return exit_status;
}
