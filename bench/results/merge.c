/*
 * merge.c: `cyclab merge DIR... -o OUT` (merge.h says what it promises).
 *
 * Everything is checked before OUT is touched: every cell-*.json of every
 * input must read as a cyclab-result/1 file, and a file name present in
 * two inputs (or already in OUT, which counts as one more input) must have
 * the same bytes in both. Two different results under one name are the
 * same cell of the same suite run twice, and which one to keep is the
 * user's decision, not ours. Then each new file is copied through
 * OUT/NAME.tmp, synced and renamed, so OUT holds only whole results at
 * every moment, and summary.csv is rebuilt from what OUT then holds. Only
 * cell-*.json files are merged; each input's summary.csv is not needed,
 * since the new one is computed from the results.
 *
 * Completeness: the suite (--suite FILE, else the suite.txt each input
 * recorded, which must be the same in all that have one) is expanded by the
 * caller's expected-cells function into the file name of every cell. A cell
 * of the suite found in no input is missing, a result that is no cell of
 * the suite is foreign, and a cell found twice with different bytes is
 * duplicated; each is named, and any of them refuses the merge (missing
 * ones only with --allow-missing accepted) before OUT is touched. The
 * suite's text is copied to OUT/suite.txt, so OUT can be merged further
 * and checked the same way.
 */
#include "bench/results/merge.h"
#include "bench/results/results.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/results/atomic_file.h"
#include "bench/results/input_file.h"
#include "bench/results/result_read.h"
#include "bench/results/summary_table.h"

/* One result file to end up in OUT. */
typedef struct merge_entry {
	const cy_result *result;
	char *bytes;
	size_t size;
	int in_out; /* OUT already holds these bytes under this name */
} merge_entry;

typedef struct merge_state {
	cy_result_set *sets;
	size_t set_count;
	merge_entry *entries;
	size_t entry_count;
} merge_state;

static void merge_state_free(merge_state *m)
{
	for (size_t i = 0; i < m->entry_count; i++)
		free(m->entries[i].bytes);
	free(m->entries);
	for (size_t i = 0; i < m->set_count; i++)
		cy_result_set_free(&m->sets[i]);
	free(m->sets);
}

static merge_entry *find_entry(merge_state *m, const char *name)
{
	for (size_t i = 0; i < m->entry_count; i++) {
		if (strcmp(m->entries[i].result->name, name) == 0)
			return &m->entries[i];
	}
	return NULL;
}

/*
 * Add every result of set; a cell already added from another input with
 * different bytes is duplicated: one stderr line each, and counted in
 * *duplicated. -1 with why on a read error.
 */
static int add_set(const char *prog, merge_state *m, const cy_result_set *set, int from_out, size_t *duplicated,
	char *why, size_t len)
{
	for (size_t i = 0; i < set->count; i++) {
		const cy_result *r = &set->results[i];
		size_t size;
		char *bytes = cy_result_read_file(r->path, &size, why, len);
		if (!bytes)
			return -1;
		merge_entry *same = find_entry(m, r->name);
		if (same) {
			int identical = same->size == size && memcmp(same->bytes, bytes, size) == 0;
			free(bytes);
			if (!identical) {
				fprintf(stderr,
					"%s: duplicated cell %s: %s and %s hold different results (valid: directories with "
					"disjoint cells, such as the shards of one suite; identical copies are fine)\n",
					prog, r->name, same->result->path, r->path);
				(*duplicated)++;
			}
			same->in_out |= from_out;
			continue;
		}
		m->entries[m->entry_count++] = (merge_entry){.result = r, .bytes = bytes, .size = size, .in_out = from_out};
	}
	return 0;
}

/* One stderr line when the merged results come from more than one machine. */
static void warn_machines(const char *prog, const merge_state *m)
{
	const cy_result **machines = malloc((m->entry_count ? m->entry_count : 1) * sizeof *machines);
	size_t count = 0;
	for (size_t i = 0; machines && i < m->entry_count; i++) {
		const cy_result *r = m->entries[i].result;
		size_t k = 0;
		while (k < count && !cy_result_same_machine(machines[k], r))
			k++;
		if (k == count)
			machines[count++] = r;
	}
	if (count > 1)
		fprintf(stderr,
			"%s: warning: these results come from %zu machines (by topology fingerprint; %s on '%s', %s on "
			"'%s'): compare across them knowing the machines differ\n",
			prog, count, machines[0]->path, cy_result_machine_label(machines[0]), machines[1]->path,
			cy_result_machine_label(machines[1]));
	free(machines);
}

/* Does dir hold any cell-*.json? */
static int has_cell_files(const char *dir)
{
	DIR *d = opendir(dir);
	int found = 0;
	struct dirent *e;
	while (d && !found && (e = readdir(d)))
		found = cy_result_is_cell_file(e->d_name);
	if (d)
		closedir(d);
	return found;
}

static int copy_into(const char *dir, const merge_entry *e, char *why, size_t len)
{
	char path[4400];
	if (snprintf(path, sizeof path, "%s/%s", dir, e->result->name) >= (int)sizeof path) {
		snprintf(why, len, "output path too long: %.64s...", dir);
		return -1;
	}
	return cy_atomic_write(path, e->bytes, e->size, why, len);
}

static void print_usage(FILE *out)
{
	fputs("usage: cyclab merge DIR... -o OUT [--suite FILE] [--allow-missing]\n"
	      "\n"
	      "Joins the cell-*.json results of several `cyclab suite` output directories (shards run\n"
	      "on different machines, say) into OUT: each result is copied unchanged, machine metadata\n"
	      "included, and OUT/summary.csv is rewritten for all of them. A cell present in two\n"
	      "places with different contents is refused; results from different machines (by\n"
	      "topology fingerprint) are merged with a warning.\n"
	      "\n"
	      "The merge is checked against the suite: every cell of it must be in some DIR, and\n"
	      "every result must be a cell of it; each missing, duplicated or foreign cell is named.\n"
	      "\n"
	      "options:\n"
	      "  -o OUT           the merged directory (created if missing; what it holds is kept)\n"
	      "  --suite FILE     the suite the cells come from (default: the suite.txt that\n"
	      "                   `cyclab suite` records in each DIR, the same in all)\n"
	      "  --allow-missing  merge even when cells are missing (they are still named), or when\n"
	      "                   no suite is known\n"
	      "\n"
	      "Exit status: 0 merged; 1 a write failed; 2 bad input or cells missing, duplicated or\n"
	      "foreign (nothing is written).\n",
		out);
}

/* An input's recorded suite: its bytes and where they came from. */
typedef struct recorded_suite {
	char *text;
	size_t size;
	char path[4400];
} recorded_suite;

/*
 * The suite to check against: --suite's file, or the one recording that the
 * inputs (and OUT) agree on. 0 with *suite filled (text NULL: none known),
 * or 2 after a line on stderr.
 */
static int find_suite(const char *prog, const char *given, const char **dirs, size_t dir_count, const char *out_dir,
	recorded_suite *suite)
{
	char why[1024];
	memset(suite, 0, sizeof *suite);
	if (given) {
		snprintf(suite->path, sizeof suite->path, "%s", given);
		if (!(suite->text = cy_input_read(given, CY_INPUT_MAX_BYTES, &suite->size, why, sizeof why))) {
			fprintf(stderr, "%s: --suite %s (valid: the suite file the shards ran)\n", prog, why);
			return 2;
		}
		return 0;
	}
	for (size_t i = 0; i < dir_count + (out_dir != NULL); i++) {
		const char *dir = i < dir_count ? dirs[i] : out_dir;
		recorded_suite r = {0};
		snprintf(r.path, sizeof r.path, "%s/suite.txt", dir);
		struct stat st;
		if (lstat(r.path, &st) != 0 && errno == ENOENT)
			continue;
		if (!(r.text = cy_input_read(r.path, CY_INPUT_MAX_BYTES, &r.size, why, sizeof why))) {
			fprintf(stderr, "%s: %s\n", prog, why);
			free(suite->text);
			return 2;
		}
		if (!suite->text) {
			*suite = r;
		} else if (suite->size != r.size || memcmp(suite->text, r.text, r.size) != 0) {
			fprintf(stderr,
				"%s: %s and %s record different suites (valid: shards of one suite; --suite FILE says "
				"which)\n",
				prog, suite->path, r.path);
			free(r.text);
			free(suite->text);
			return 2;
		} else {
			free(r.text);
		}
	}
	return 0;
}

/* Is name among the count names? */
static int name_in(char *const *names, size_t count, const char *name)
{
	for (size_t i = 0; i < count; i++) {
		if (strcmp(names[i], name) == 0)
			return 1;
	}
	return 0;
}

/*
 * Check m's results against the expected cell files; lines on stderr name
 * what is missing (a warning with allow_missing) and what is foreign. 0 if
 * the merge may go on, 2 if not.
 */
static int check_complete(const char *prog, const merge_state *m, const char *suite_path, char *const *expected,
	size_t expected_count, int allow_missing)
{
	size_t missing = 0, foreign = 0;
	for (size_t i = 0; i < expected_count; i++)
		missing += !find_entry((merge_state *)m, expected[i]);
	for (size_t i = 0; i < m->entry_count; i++)
		foreign += !name_in(expected, expected_count, m->entries[i].result->name);
	if (missing) {
		fprintf(stderr, "%s: %s%zu of %zu cells of %s missing:", prog, allow_missing ? "warning: " : "", missing,
			expected_count, suite_path);
		for (size_t i = 0; i < expected_count; i++) {
			if (!find_entry((merge_state *)m, expected[i]))
				fprintf(stderr, " %s", expected[i]);
		}
		fputs(allow_missing ? " (merged without them)\n"
				    : " (valid: every cell of the suite in some DIR; --allow-missing merges what there is)\n",
			stderr);
	}
	if (foreign) {
		fprintf(stderr, "%s: %zu result%s not cells of %s:", prog, foreign, foreign == 1 ? " is" : "s are",
			suite_path);
		for (size_t i = 0; i < m->entry_count; i++) {
			if (!name_in(expected, expected_count, m->entries[i].result->name))
				fprintf(stderr, " %s", m->entries[i].result->path);
		}
		fputs(" (valid: the shards of one suite; --suite FILE names it)\n", stderr);
	}
	return (missing && !allow_missing) || foreign ? 2 : 0;
}

int cy_merge_run(int argc, char **argv, cy_merge_expected_cells expected_cells)
{
	const char *prog = argv[0], *out_dir = NULL, *suite_arg = NULL;
	int allow_missing = 0;
	const char **dirs = calloc((size_t)argc, sizeof *dirs);
	size_t dir_count = 0;
	if (!dirs) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 1;
	}
	int status = 0;
	for (int i = 1; i < argc && !status; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			print_usage(stdout);
			free(dirs);
			return 0;
		} else if (strcmp(arg, "--allow-missing") == 0) {
			allow_missing = 1;
		} else if (strcmp(arg, "-o") == 0 || strcmp(arg, "--suite") == 0) {
			if (i + 1 >= argc || !*argv[i + 1]) {
				fprintf(stderr, "%s: %s needs a value (%s)\n", prog, arg,
					arg[1] == 'o' ? "-o OUT, the merged directory" : "--suite FILE, the suite the shards ran");
				status = 2;
			} else if (arg[1] == 'o') {
				out_dir = argv[++i];
			} else {
				suite_arg = argv[++i];
			}
		} else if (arg[0] == '-') {
			fprintf(stderr, "%s: unknown option '%s' (valid: -o OUT, --suite FILE, --allow-missing, --help)\n",
				prog, arg);
			status = 2;
		} else {
			dirs[dir_count++] = arg;
		}
	}
	if (!status && (!dir_count || !out_dir)) {
		fprintf(stderr, "%s: %s (valid: cyclab merge DIR... -o OUT)\n", prog,
			!dir_count ? "no directory to merge" : "no output directory given");
		status = 2;
	}
	if (status) {
		free(dirs);
		return status;
	}

	char why[1024];
	merge_state m = {0};
	struct stat st;
	int out_exists = stat(out_dir, &st) == 0;
	if (out_exists && !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "%s: %s is not a directory (valid: -o OUT, a directory to create or merge into)\n", prog,
			out_dir);
		free(dirs);
		return 2;
	}
	m.sets = calloc(dir_count + 1, sizeof *m.sets);
	size_t total = 0;
	status = m.sets ? 0 : 1;
	for (size_t i = 0; i < dir_count && !status; i++) {
		struct stat ds;
		int missing = stat(dirs[i], &ds) != 0;
		if (missing || !S_ISDIR(ds.st_mode)) {
			fprintf(stderr, "%s: %s: %s (valid: `cyclab suite ... -o DIR` output directories)\n", prog, dirs[i],
				missing ? strerror(errno) : "not a directory");
			status = 2;
		} else if (!has_cell_files(dirs[i])) {
			/* A shard that ran nothing: not an error in itself; its cells are missing below. */
			fprintf(stderr, "%s: warning: %s holds no cell-*.json results\n", prog, dirs[i]);
		} else if (cy_result_load_directory(dirs[i], &m.sets[m.set_count], why, sizeof why) != 0) {
			fprintf(stderr, "%s: %s\n", prog, why);
			status = 2;
		} else {
			total += m.sets[m.set_count++].count;
		}
	}
	/* What OUT holds already is one more input: the same conflicts apply to it. */
	int out_set = -1;
	if (!status && out_exists && has_cell_files(out_dir)) {
		if (cy_result_load_directory(out_dir, &m.sets[m.set_count], why, sizeof why) != 0) {
			fprintf(stderr, "%s: %s\n", prog, why);
			status = 2;
		} else {
			out_set = (int)m.set_count;
			total += m.sets[m.set_count++].count;
		}
	}
	if (!status && !(m.entries = calloc(total ? total : 1, sizeof *m.entries)))
		status = 1;
	size_t duplicated = 0;
	for (size_t i = 0; i < m.set_count && !status; i++) {
		if (add_set(prog, &m, &m.sets[i], (int)i == out_set, &duplicated, why, sizeof why) != 0) {
			fprintf(stderr, "%s: %s\n", prog, why);
			status = 2;
		}
	}
	if (status == 1)
		fprintf(stderr, "%s: out of memory\n", prog);
	if (!status && duplicated)
		status = 2;
	recorded_suite suite = {0};
	if (!status)
		status = find_suite(prog, suite_arg, dirs, dir_count, out_exists ? out_dir : NULL, &suite);
	if (!status && !suite.text && !allow_missing) {
		fprintf(stderr,
			"%s: no suite to check completeness against: no DIR records one (valid: --suite FILE; "
			"--allow-missing merges unchecked)\n",
			prog);
		status = 2;
	} else if (!status && !suite.text) {
		fprintf(stderr, "%s: warning: no suite recorded; merged without checking that every cell is there\n", prog);
	}
	if (!status && suite.text) {
		char **expected = NULL;
		size_t expected_count = 0;
		if (expected_cells(suite.path, &expected, &expected_count, why, sizeof why) != 0) {
			fprintf(stderr, "%s: %s\n", prog, why);
			status = 2;
		} else {
			status = check_complete(prog, &m, suite.path, expected, expected_count, allow_missing);
		}
		for (size_t i = 0; i < expected_count; i++)
			free(expected[i]);
		free(expected);
	}
	if (!status) {
		warn_machines(prog, &m);
		if (!out_exists && cy_make_directories(out_dir) != 0) {
			fprintf(stderr, "%s: cannot create %s: %s (valid: -o OUT, a directory that exists or can be created)\n", prog,
				out_dir, strerror(errno));
			status = 2;
		}
	}
	size_t copied = 0, kept = 0;
	for (size_t i = 0; i < m.entry_count && !status; i++) {
		if (m.entries[i].in_out) {
			kept++;
		} else if (copy_into(out_dir, &m.entries[i], why, sizeof why) != 0) {
			fprintf(stderr, "%s: %s\n", prog, why);
			status = 1;
		} else {
			copied++;
		}
	}
	if (!status && suite.text) {
		char path[4400];
		snprintf(path, sizeof path, "%s/suite.txt", out_dir);
		if (cy_atomic_write(path, suite.text, suite.size, why, sizeof why) != 0) {
			fprintf(stderr, "%s: %s\n", prog, why);
			status = 1;
		}
	}
	free(suite.text);
	if (!status && cy_results_write_summary(out_dir, why, sizeof why) != 0) {
		fprintf(stderr, "%s: %s\n", prog, why);
		status = 1;
	}
	if (!status)
		printf("%s: %zu results in %s (%zu copied from %zu director%s, %zu already there); %s/summary.csv\n", prog,
			m.entry_count, out_dir, copied, dir_count, dir_count == 1 ? "y" : "ies", kept, out_dir);
	merge_state_free(&m);
	free(dirs);
	return status;
}
