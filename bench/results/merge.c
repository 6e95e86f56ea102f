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

/* Add every result of set; -1 with why on a conflicting duplicate or a read error. */
static int add_set(merge_state *m, const cy_result_set *set, int from_out, char *why, size_t len)
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
				snprintf(why, len,
					"%s and %s are the same cell with different results (valid: directories with "
					"disjoint cells, such as the shards of one suite; identical copies are fine)",
					same->result->path, r->path);
				return -1;
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
	size_t size = strlen(dir) + strlen(e->result->name) + 6;
	char *path = malloc(size), *tmp = malloc(size);
	int err = 0;
	FILE *out = NULL;
	if (!path || !tmp) {
		snprintf(why, len, "out of memory");
		err = -1;
	} else {
		snprintf(path, size, "%s/%s", dir, e->result->name);
		snprintf(tmp, size, "%s.tmp", path);
		if (!(out = fopen(tmp, "wb"))) {
			snprintf(why, len, "cannot write %s: %s", tmp, strerror(errno));
			err = -1;
		}
	}
	if (out) {
		int failed = fwrite(e->bytes, 1, e->size, out) != e->size;
		err = cy_atomic_commit(out, tmp, path, failed, why, len);
	}
	free(path);
	free(tmp);
	return err;
}

static void print_usage(FILE *out)
{
	fputs("usage: cyclab merge DIR... -o OUT\n"
	      "\n"
	      "Joins the cell-*.json results of several `cyclab suite` output directories (shards run\n"
	      "on different machines, say) into OUT: each result is copied unchanged, machine metadata\n"
	      "included, and OUT/summary.csv is rewritten for all of them. A cell present in two\n"
	      "places with different contents is refused; results from different machines (by\n"
	      "topology fingerprint) are merged with a warning.\n"
	      "\n"
	      "Exit status: 0 merged; 1 a write failed; 2 bad input (nothing is written).\n",
		out);
}

int cy_merge_main(int argc, char **argv)
{
	const char *prog = argv[0], *out_dir = NULL;
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
		} else if (strcmp(arg, "-o") == 0) {
			if (i + 1 >= argc || !*argv[i + 1]) {
				fprintf(stderr, "%s: -o needs a value (-o OUT, the merged directory)\n", prog);
				status = 2;
			} else {
				out_dir = argv[++i];
			}
		} else if (arg[0] == '-') {
			fprintf(stderr, "%s: unknown option '%s' (valid: -o OUT, --help)\n", prog, arg);
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
	for (size_t i = 0; i < m.set_count && !status; i++) {
		if (add_set(&m, &m.sets[i], (int)i == out_set, why, sizeof why) != 0) {
			fprintf(stderr, "%s: %s\n", prog, why);
			status = 2;
		}
	}
	if (status == 1)
		fprintf(stderr, "%s: out of memory\n", prog);
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
