/*
 * test_batch.c: suites run in pieces and joined again (merge against the
 * suite), inputs that are not files, outputs that cannot be written, and
 * the cluster recipes of docs/cluster.md run as written.
 *
 * Everything runs the built cyclab on a tiny suite (a few cells of
 * --duration 0.05, one repetition, no warm-up) in a scratch directory.
 * Merging: a shard missing makes the merge fail naming exactly the missing
 * cell and write nothing; both shards merge into the whole suite, its record
 * included; a cell present twice with different bytes is named. Inputs: a
 * FIFO named like a result file, or given as the suite file, is refused at
 * once with one line (the child's deadline would catch a reader blocked on
 * it). Outputs: a command whose stdout is /dev/full exits 1 saying so, and
 * -o naming a device is refused without replacing it. Cluster: the Slurm
 * script is run once per array task with SLURM_ARRAY_TASK_ID and
 * SLURM_ARRAY_TASK_COUNT set by hand and merged, and the GNU parallel lines
 * are run as they are; each merged directory must hold exactly the cells
 * of the same suite run in one process, each with the same "config".
 * Values: numbers that a lenient reader would take (blanks, '+', hex,
 * "inf") are refused the same way from an option, a CYCLAB_* variable, a
 * suite file and --seed, and plain ones are accepted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "bench/results/result_read.h"
#include "tests/cyclab_binary.h"

/* Five cells: linked-cycles on 1 and 2 threads, caches, handoff on two seeds. */
static const char tiny_suite[] = "set duration = 0.05\n"
				 "set repeat = 1\n"
				 "set warmup = 0\n"
				 "workload linked-cycles\n"
				 "set threads = 1, 2\n"
				 "workload caches\n"
				 "workload handoff\n"
				 "set seed = 3, 4\n";

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static int exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* A fresh directory SCRATCH/name (removed first if a test left it). */
static void fresh_dir(char *out, size_t size, const char *name)
{
	cy_test_scratch_path(out, size, name);
	cy_test_remove_tree(out);
	assert_int_equal(mkdir(out, 0777), 0);
}

static void suite_file(char *out, size_t size)
{
	cy_test_scratch_path(out, size, "tiny.suite");
	write_text(out, tiny_suite);
}

static void run_ok(const char *first, ...) __attribute__((sentinel));
static void run_ok(const char *first, ...)
{
	va_list args;
	va_start(args, first);
	cy_test_outcome o = cy_test_run_cyclabv(NULL, first, args);
	va_end(args);
	cy_test_expect_status(&o, 0);
	cy_test_outcome_free(&o);
}

/* The cell-*.json names of dir, sorted, joined by spaces (to free). */
static char *cell_names(const char *dir)
{
	cy_result_set set;
	char why[512];
	if (cy_result_load_directory(dir, &set, why, sizeof why) != 0)
		fail_msg("%s", why);
	size_t used = 0, cap = 1;
	for (size_t i = 0; i < set.count; i++)
		cap += strlen(set.results[i].name) + 1;
	char *names = calloc(cap, 1);
	assert_non_null(names);
	for (size_t i = 0; i < set.count; i++)
		used += (size_t)snprintf(names + used, cap - used, "%s%s", i ? " " : "", set.results[i].name);
	cy_result_set_free(&set);
	return names;
}

/*
 * text with the id of every cell file name taken out: "cell-1a2b3c4d5e6f-caches.json" reads
 * "cell-caches.json" (to free). A cell's id is a hash of its knobs, which these tests need not know.
 */
static char *without_ids(const char *text)
{
	char *out = strdup(text ? text : "");
	assert_non_null(out);
	char *w = out;
	for (const char *r = text ? text : ""; *r;) {
		size_t hex = 0;
		if (strncmp(r, "cell-", 5) == 0) {
			while (hex < 16 && isxdigit((unsigned char)r[5 + hex]))
				hex++;
		}
		if (hex >= 8 && r[5 + hex] == '-') {
			memcpy(w, "cell-", 5);
			w += 5;
			r += 5 + hex + 1;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return out;
}

static int compare_words(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The words of text (to free), ids taken out, sorted. */
static char *sorted_without_ids(const char *text)
{
	char *plain = without_ids(text);
	char *words[256];
	size_t n = 0;
	for (char *save = NULL, *w = strtok_r(plain, " ", &save); w && n < 256; w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	qsort(words, n, sizeof words[0], compare_words);
	char *out = calloc(strlen(text) + 2, 1);
	assert_non_null(out);
	for (size_t i = 0; i < n; i++) {
		strcat(out, i ? " " : "");
		strcat(out, words[i]);
	}
	free(plain);
	return out;
}

/* An outcome whose messages name cells without their ids. */
static cy_test_outcome plain_names(cy_test_outcome o)
{
	char *out = without_ids(o.out), *err = without_ids(o.err);
	free(o.out);
	free(o.err);
	o.out = out;
	o.err = err;
	return o;
}

/* The file of dir whose name ends in -slug.json, as dir/name, into path. */
static void cell_path(const char *dir, const char *slug, char *path, size_t size)
{
	char suffix[256];
	snprintf(suffix, sizeof suffix, "-%s.json", slug);
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	int found = 0;
	while ((e = readdir(d)) != NULL && !found) {
		size_t n = strlen(e->d_name), k = strlen(suffix);
		if (strncmp(e->d_name, "cell-", 5) == 0 && n > k && strcmp(e->d_name + n - k, suffix) == 0) {
			int written = snprintf(path, size, "%s/%s", dir, e->d_name);
			found = written > 0 && (size_t)written < size;
		}
	}
	closedir(d);
	assert_true(found);
}

/* dir holds exactly the cells of reference, each with the same "config". */
static void expect_same_cells(const char *reference, const char *dir)
{
	char *a = cell_names(reference), *b = cell_names(dir);
	assert_string_equal(a, b);
	free(a);
	free(b);
	cy_result_set ra, rb;
	char why[512];
	assert_int_equal(cy_result_load_directory(reference, &ra, why, sizeof why), 0);
	assert_int_equal(cy_result_load_directory(dir, &rb, why, sizeof why), 0);
	assert_int_equal(ra.count, rb.count);
	for (size_t i = 0; i < ra.count; i++) {
		if (!json_equal(ra.results[i].config, rb.results[i].config))
			fail_msg("%s and %s differ in their config", ra.results[i].path, rb.results[i].path);
	}
	cy_result_set_free(&ra);
	cy_result_set_free(&rb);
}

/* ---- merge against the suite ---------------------------------------------------------- */

static void merge_names_the_missing_shard_cells(void **state)
{
	(void)state;
	char suite[4096], s0[4096], s1[4096], out[4096], path[4200];
	suite_file(suite, sizeof suite);
	cy_test_scratch_path(s0, sizeof s0, "missing-s0");
	cy_test_scratch_path(s1, sizeof s1, "missing-s1");
	cy_test_scratch_path(out, sizeof out, "missing-out");
	cy_test_remove_tree(s0);
	cy_test_remove_tree(s1);
	cy_test_remove_tree(out);
	run_ok("suite", suite, "-o", s0, "--shard", "0/2", NULL);
	snprintf(path, sizeof path, "%s/suite.txt", s0);
	char *recorded = cy_test_slurp(path, NULL);
	assert_non_null(recorded);
	assert_string_equal(recorded, tiny_suite);
	free(recorded);

	/* Shard 1 (cells 1 and 3) never ran: both are named, from the record and from --suite alike. */
	cy_test_outcome o = plain_names(cy_test_run_cyclab("merge", s0, "-o", out, NULL));
	assert_non_null(strstr(o.err, "2 of 5 cells"));
	cy_test_expect_refusal(o, "cell-linked-cycles-t2.json cell-handoff-3.json", "--allow-missing");
	cy_test_expect_refusal(plain_names(cy_test_run_cyclab("merge", s0, "-o", out, "--suite", suite, NULL)),
		"cell-linked-cycles-t2.json cell-handoff-3.json", "missing");
	assert_false(exists(out));

	run_ok("suite", suite, "-o", s1, "--shard", "1/2", NULL);
	run_ok("merge", s0, s1, "-o", out, NULL);
	char *names = cell_names(out), *plain = sorted_without_ids(names);
	assert_string_equal(plain, "cell-caches.json cell-handoff-3.json cell-handoff-4.json cell-linked-cycles-t1.json "
				   "cell-linked-cycles-t2.json");
	free(plain);
	free(names);
	snprintf(path, sizeof path, "%s/suite.txt", out);
	recorded = cy_test_slurp(path, NULL);
	assert_non_null(recorded);
	assert_string_equal(recorded, tiny_suite);
	free(recorded);

	/* --allow-missing merges an incomplete set, still naming what is missing. */
	cy_test_remove_tree(out);
	o = plain_names(cy_test_run_cyclab("merge", s0, "-o", out, "--allow-missing", NULL));
	cy_test_expect_status(&o, 0);
	assert_non_null(strstr(o.err, "cell-linked-cycles-t2.json cell-handoff-3.json"));
	cy_test_outcome_free(&o);
	names = cell_names(out);
	plain = sorted_without_ids(names);
	assert_string_equal(plain, "cell-caches.json cell-handoff-4.json cell-linked-cycles-t1.json");
	free(plain);
	free(names);
}

static void merge_names_duplicated_and_foreign_cells(void **state)
{
	(void)state;
	char suite[4096], s0[4096], copy[4096], out[4096], path[4200], text[4200];
	suite_file(suite, sizeof suite);
	cy_test_scratch_path(s0, sizeof s0, "dup-s0");
	cy_test_remove_tree(s0);
	fresh_dir(copy, sizeof copy, "dup-copy");
	cy_test_scratch_path(out, sizeof out, "dup-out");
	cy_test_remove_tree(out);
	run_ok("suite", suite, "-o", s0, NULL);

	/* The same cell with one more byte: a different result under one name. */
	cell_path(s0, "caches", path, sizeof path);
	char *doc = cy_test_slurp(path, NULL);
	assert_non_null(doc);
	const char *name = strrchr(path, '/') + 1;
	char copied[4200], expected[4300];
	snprintf(copied, sizeof copied, "%s/%s", copy, name);
	snprintf(expected, sizeof expected, "duplicated cell %s", name);
	snprintf(path, sizeof path, "%s", copied);
	size_t n = strlen(doc) + 2;
	char *changed = malloc(n);
	assert_non_null(changed);
	snprintf(changed, n, "%s\n", doc);
	write_text(path, changed);
	free(changed);
	cy_test_expect_refusal(cy_test_run_cyclab("merge", s0, copy, "-o", out, NULL), expected, copied);
	assert_false(exists(out));

	/* A result that is no cell of the suite. */
	write_text(path, doc);
	snprintf(text, sizeof text, "%s/cell-0123456789ab-caches.json", copy);
	write_text(text, doc);
	free(doc);
	cy_test_expect_refusal(cy_test_run_cyclab("merge", s0, copy, "-o", out, NULL), "not cells of",
		"dup-copy/cell-0123456789ab-caches.json");
	assert_false(exists(out));
}

/* ---- inputs that are not files -------------------------------------------------------- */

static void fifo_inputs_are_refused(void **state)
{
	(void)state;
	char suite[4096], s0[4096], fifo_dir[4096], fifo[4200], out[4096];
	suite_file(suite, sizeof suite);
	cy_test_scratch_path(s0, sizeof s0, "fifo-s0");
	cy_test_remove_tree(s0);
	run_ok("suite", suite, "-o", s0, "--shard", "0/5", NULL);
	fresh_dir(fifo_dir, sizeof fifo_dir, "fifo-dir");
	snprintf(fifo, sizeof fifo, "%s/cell-0123456789ab-linked-cycles-t2.json", fifo_dir);
	assert_int_equal(mkfifo(fifo, 0644), 0);
	cy_test_scratch_path(out, sizeof out, "fifo-out");
	cy_test_remove_tree(out);

	cy_test_expect_refusal(cy_test_run_cyclab("merge", s0, fifo_dir, "-o", out, "--suite", suite, NULL),
		"not a regular file", "FIFO");
	assert_false(exists(out));
	cy_test_expect_refusal(cy_test_run_cyclab("compare", s0, fifo_dir, NULL), "not a regular file", "FIFO");
	cy_test_expect_refusal(cy_test_run_cyclab("compare", fifo, fifo, NULL), "not a regular file", "FIFO");
	cy_test_expect_refusal(cy_test_run_cyclab("suite", fifo, "-o", out, NULL), "not a regular file", "FIFO");
	cy_test_expect_refusal(cy_test_run_cyclab("merge", s0, "-o", out, "--suite", fifo, NULL), "not a regular file",
		"--suite");
	assert_false(exists(out));
}

/* ---- outputs that cannot be written --------------------------------------------------- */

/* cyclab with args after it, stdout to /dev/full, through sh. */
static cy_test_outcome run_into_full(const char *args)
{
	char command[16384];
	snprintf(command, sizeof command, "exec '%s' %s > /dev/full", cy_test_cyclab_path(), args);
	char *argv[] = {"/bin/sh", "-c", command, NULL};
	return cy_test_run(argv, NULL, CY_TEST_CYCLAB_DEADLINE_S);
}

static void full_device_fails_the_command(void **state)
{
	(void)state;
	char suite[4096], s0[4096], args[9000];
	suite_file(suite, sizeof suite);
	cy_test_scratch_path(s0, sizeof s0, "full-s0");
	cy_test_remove_tree(s0);
	run_ok("suite", suite, "-o", s0, "--shard", "0/5", NULL);

	static const char *const commands[] = {"compare '%s' '%s' --json", "suite '%s' -o '%s' --list", "list",
		"run linked-cycles --ops 1000 --warmup 0 --repeat 1 --quiet -o -"};
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		const char *first = i == 1 ? suite : s0;
		snprintf(args, sizeof args, commands[i], first, s0);
		cy_test_outcome o = run_into_full(args);
		cy_test_expect_status(&o, 1);
		if (!strstr(o.err, "cannot write standard output: No space left on device"))
			fail_msg("cyclab %s > /dev/full said: %s", args, o.err);
		cy_test_outcome_free(&o);
	}

	/* -o naming a device: refused, and the device is still one (the rename would have replaced it). */
	cy_test_outcome o = cy_test_run_cyclab("compare", s0, s0, "-o", "/dev/full", NULL);
	assert_int_not_equal(o.status, 0);
	assert_non_null(strstr(o.err, "cannot write /dev/full: not a regular file"));
	cy_test_outcome_free(&o);
	struct stat st;
	assert_int_equal(stat("/dev/full", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_false(exists("/dev/full.tmp"));
}

/* ---- one strict parser for every value ------------------------------------------------- */

static void values_share_one_strict_parser(void **state)
{
	(void)state;
	static const char *const lenient[] = {"0x2", " 2", "2 ", "+2", "2.0", "1e0", ""};
	for (size_t i = 0; i < sizeof lenient / sizeof lenient[0]; i++) {
		char expected[64], variable[64], suite[4096], text[128];
		snprintf(expected, sizeof expected, "--threads=%s: not valid", lenient[i]);
		cy_test_expect_refusal(cy_test_run_cyclab("run", "linked-cycles", "--threads", lenient[i], NULL), expected,
			"(valid: an integer in 1..");
		snprintf(variable, sizeof variable, "CYCLAB_THREADS=%s", lenient[i]);
		const char *set[] = {variable, NULL};
		cy_test_env env = {.set = set, .drop_prefix = "CYCLAB_"};
		cy_test_expect_refusal(cy_test_run_cyclab_env(&env, "run", "linked-cycles", NULL), expected,
			"in the environment");
		if (!lenient[i][0] || lenient[i][0] == ' ' || lenient[i][strlen(lenient[i]) - 1] == ' ')
			continue; /* a suite's list trims blanks and refuses an empty value on its own */
		cy_test_scratch_path(suite, sizeof suite, "strict.suite");
		snprintf(text, sizeof text, "workload linked-cycles\nset threads = %s\n", lenient[i]);
		write_text(suite, text);
		char never[4096];
		cy_test_scratch_path(never, sizeof never, "strict-never");
		cy_test_expect_refusal(cy_test_run_cyclab("suite", suite, "-o", never, "--list", NULL), expected, ":2:");
		assert_false(exists(never));
	}
	cy_test_expect_refusal(cy_test_run_cyclab("run", "linked-cycles", "--seed", "0x10", NULL),
		"--seed=0x10: not valid", "0..18446744073709551615");
	cy_test_expect_refusal(cy_test_run_cyclab("run", "linked-cycles", "--seed", "-1", NULL), "--seed=-1: not valid",
		NULL);
	cy_test_expect_refusal(cy_test_run_cyclab("run", "linked-cycles", "--duration", "inf", NULL),
		"--duration=inf: not valid", "seconds above 0, up to 86400");
	cy_test_expect_refusal(cy_test_run_cyclab("run", "linked-cycles", "--param", "length=1e3", NULL),
		"--param length=1e3: not valid", "an integer in 1..1000");
	cy_test_expect_refusal(cy_test_run_cyclab("run", "linked-cycles", "--param", "live=0x0.1p0", NULL),
		"--param live=0x0.1p0: not valid", "a number in 0..1");
	char suite[4096], dir[4096];
	suite_file(suite, sizeof suite);
	cy_test_scratch_path(dir, sizeof dir, "strict-never");
	cy_test_expect_refusal(cy_test_run_cyclab("suite", suite, "-o", dir, "--interleave", "--seed", "+5", NULL),
		"--seed=+5: not valid", NULL);
	cy_test_expect_refusal(cy_test_run_cyclab("suite", suite, "-o", dir, "--shard", "+1/2", NULL), "malformed --shard",
		NULL);
	cy_test_expect_refusal(cy_test_run_cyclab("suite", suite, "-o", dir, "--shard", "1/ 2", NULL), "malformed --shard",
		NULL);
	assert_false(exists(dir));

	/* Plain values, suffixes and the blanks a threshold list may have still pass. */
	cy_test_outcome o = cy_test_run_cyclab("run", "linked-cycles", "--threads", "2", "--pause-budget-us", "1K", "--seed", "010",
		"--duration", ".5", "--threshold", "700, 10, 10", "--param", "live=0.5", "--show-config", NULL);
	cy_test_expect_status(&o, 0);
	assert_non_null(strstr(o.out, "seed"));
	cy_test_outcome_free(&o);
}

/* ---- docs/cluster.md, run as written -------------------------------------------------- */

/* docs/cluster.md of the tree the tested cyclab was built from (up from its directory). */
static char *read_cluster_doc(void)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", cy_test_cyclab_path());
	for (;;) {
		char *slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			break;
		*slash = '\0';
		char path[4200];
		snprintf(path, sizeof path, "%s/docs/cluster.md", dir);
		char *text = cy_test_slurp(path, NULL);
		if (text)
			return text;
	}
	char *text = cy_test_slurp("docs/cluster.md", NULL);
	if (!text)
		fail_msg("docs/cluster.md not found above %s nor here", cy_test_cyclab_path());
	return text;
}

/* The fenced block after `<!-- cluster: NAME -->` in docs/cluster.md, written to SCRATCH/NAME.sh. */
static void extract_block(const char *name, char *path, size_t size)
{
	char *doc = read_cluster_doc();
	char marker[128];
	snprintf(marker, sizeof marker, "<!-- cluster: %s -->", name);
	const char *at = strstr(doc, marker);
	if (!at)
		fail_msg("docs/cluster.md has no %s", marker);
	const char *open = strstr(at, "```");
	assert_non_null(open);
	const char *body = strchr(open, '\n');
	assert_non_null(body);
	body++;
	const char *close = strstr(body, "\n```");
	assert_non_null(close);
	char file[128];
	snprintf(file, sizeof file, "%s.sh", name);
	cy_test_scratch_path(path, size, file);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fwrite(body, 1, (size_t)(close - body) + 1, f);
	assert_int_equal(fclose(f), 0);
	free(doc);
}

/* The tiny suite run in one process into SCRATCH/name: the reference. */
static void one_process(const char *suite, char *dir, size_t size, const char *name)
{
	cy_test_scratch_path(dir, size, name);
	cy_test_remove_tree(dir);
	run_ok("suite", suite, "-o", dir, NULL);
}

static void slurm_array_script_as_written(void **state)
{
	(void)state;
	char suite[4096], reference[4096], script[4096], results[4096], all[4200];
	suite_file(suite, sizeof suite);
	one_process(suite, reference, sizeof reference, "slurm-reference");
	extract_block("slurm-script", script, sizeof script);
	cy_test_scratch_path(results, sizeof results, "slurm-results");
	cy_test_remove_tree(results);

	enum { TASKS = 3 };
	for (int task = 0; task < TASKS; task++) {
		char id[64], count[64], cyclab[4200], suite_var[4200], results_var[4200];
		snprintf(id, sizeof id, "SLURM_ARRAY_TASK_ID=%d", task);
		snprintf(count, sizeof count, "SLURM_ARRAY_TASK_COUNT=%d", TASKS);
		snprintf(cyclab, sizeof cyclab, "CYCLAB=%s", cy_test_cyclab_path());
		snprintf(suite_var, sizeof suite_var, "SUITE=%s", suite);
		snprintf(results_var, sizeof results_var, "RESULTS=%s", results);
		const char *set[] = {id, count, cyclab, suite_var, results_var, NULL};
		cy_test_env env = {.set = set, .drop_prefix = "CYCLAB_"};
		char *argv[] = {"/bin/sh", script, NULL};
		cy_test_outcome o = cy_test_run(argv, &env, CY_TEST_CYCLAB_DEADLINE_S);
		cy_test_expect_status(&o, 0);
		cy_test_outcome_free(&o);
	}
	/* The merge step of the submission (sbatch --wrap), with this tree's paths. */
	char shard[TASKS][4200];
	for (int task = 0; task < TASKS; task++)
		snprintf(shard[task], sizeof shard[task], "%s/shard-%d", results, task);
	snprintf(all, sizeof all, "%s/all", results);
	run_ok("merge", shard[0], shard[1], shard[2], "-o", all, NULL);
	expect_same_cells(reference, all);

	/* A task that never ran is named by the merge. */
	cy_test_remove_tree(all);
	cy_test_expect_refusal(plain_names(cy_test_run_cyclab("merge", shard[0], shard[2], "-o", all, NULL)),
		"cell-linked-cycles-t2.json cell-handoff-4.json", "missing");
}

static void gnu_parallel_lines_as_written(void **state)
{
	(void)state;
	char *found = NULL;
	const char *paths = getenv("PATH");
	char *copy = strdup(paths ? paths : "/usr/bin:/bin");
	assert_non_null(copy);
	for (char *p = strtok(copy, ":"); p && !found; p = strtok(NULL, ":")) {
		char candidate[4200];
		snprintf(candidate, sizeof candidate, "%s/parallel", p);
		if (access(candidate, X_OK) == 0)
			found = strdup(candidate);
	}
	free(copy);
	if (!found)
		fail_msg("GNU parallel is not installed: install the Debian package parallel (or ./configure --install-deps)");
	free(found);

	char suite[4096], reference[4096], script[4096], results[4096], all[4200];
	suite_file(suite, sizeof suite);
	one_process(suite, reference, sizeof reference, "parallel-reference");
	extract_block("parallel", script, sizeof script);
	cy_test_scratch_path(results, sizeof results, "parallel-results");
	cy_test_remove_tree(results);
	snprintf(all, sizeof all, "%s-all", results);
	cy_test_remove_tree(all);

	char cyclab[4200], suite_var[4200], results_var[4200], home[4200];
	snprintf(cyclab, sizeof cyclab, "CYCLAB=%s", cy_test_cyclab_path());
	snprintf(suite_var, sizeof suite_var, "SUITE=%s", suite);
	snprintf(results_var, sizeof results_var, "RESULTS=%s", results);
	/* parallel keeps state in $HOME/.parallel: the scratch directory's, not the user's. */
	snprintf(home, sizeof home, "HOME=%s", cy_test_scratch());
	const char *set[] = {cyclab, suite_var, results_var, home, NULL};
	cy_test_env env = {.set = set, .drop_prefix = "CYCLAB_"};
	char *argv[] = {"/bin/sh", "-e", script, NULL};
	cy_test_outcome o = cy_test_run(argv, &env, CY_TEST_CYCLAB_DEADLINE_S);
	cy_test_expect_status(&o, 0);
	cy_test_outcome_free(&o);
	expect_same_cells(reference, results);
	expect_same_cells(reference, all);
}

int main(void)
{
	if (cy_test_cyclab_setup("cyclab-batch") != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(merge_names_the_missing_shard_cells),
		cmocka_unit_test(merge_names_duplicated_and_foreign_cells),
		cmocka_unit_test(fifo_inputs_are_refused),
		cmocka_unit_test(full_device_fails_the_command),
		cmocka_unit_test(values_share_one_strict_parser),
		cmocka_unit_test(slurm_array_script_as_written),
		cmocka_unit_test(gnu_parallel_lines_as_written),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
