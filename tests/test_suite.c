/*
 * test_suite.c: suites (bench/suite/suite.c, bench/suite/suite_run.c).
 *
 * The parser is fed text directly: good files expand to exactly the cells
 * the format promises, and each kind of bad file (unknown knob, empty list,
 * malformed value, unknown workload, ...) is refused with the file name and
 * the line in the message. Sharding is checked as a partition of the cells.
 * The --list lines are parsed back through the runner's option parser and
 * must give each cell's configuration. Resumption runs a tiny suite (a few
 * hundred operations a cell, no warm-up) twice in a scratch directory and
 * tells by inode and modification time whether a result was rewritten: the
 * runner renames a fresh file over the old one, so a rerun cell gets a new
 * inode while the old one still exists. Ctrl-C is checked on the built
 * cyclab (beside this program's directory), spawned and sent SIGINT once
 * its first result appears.
 *
 * --interleave: the schedule itself is checked as a seeded permutation
 * (each cell as often as it has repetitions, one order per seed, the first
 * place spread evenly over the cells); a tiny suite of 2 cells x 3
 * repetitions is run and its result files read back with jansson: each
 * holds exactly its 3 runs, and the runs' order indices, over both files,
 * are 0..5 once each, in the order the schedule drew for the seed, which is
 * not the sequential one, and the same again for the same seed. Resumption
 * reruns only a missing cell; Ctrl-C leaves only whole cells; a bad --seed
 * (or one without --interleave) is refused before anything runs.
 */
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "bench/results/summary_table.h"
#include "bench/cli/suite_command.h"
#include "bench/suite/suite.h"
#include "tests/cyclab_binary.h"
#include "tests/test_support.h"

static int parse(const char *text, cy_suite *suite, char *why, size_t len)
{
	return cy_suite_parse("t.suite", text, suite, why, len);
}

/* The text must be refused, with message containing each of the given fragments. */
static void expect_refused(const char *text, const char *fragment, const char *other)
{
	cy_suite suite;
	char why[1024] = "";
	int err = parse(text, &suite, why, sizeof why);
	if (err == 0)
		cy_suite_free(&suite);
	assert_int_equal(err, -1);
	if (!strstr(why, fragment) || (other && !strstr(why, other)))
		fail_msg("message '%s' lacks '%s' or '%s'", why, fragment, other ? other : "");
	assert_int_equal(suite.count, 0);
}

static void good_file_parses(void **state)
{
	(void)state;
	const char *text = "# a suite\n"
			   "set ops = 500   # counted runs\n"
			   "set repeat = 2, 3\n"
			   "\n"
			   "workload linked-cycles\n"
			   "  set rc = atomic, biased\n"
			   "  param length = 2, 16, \"64\"\n"
			   "workload caches\n"
			   "set threshold = \"700,10,10\", \"100,5,5\"   # quoted: a comma inside\n"
			   "set duration = 0.5\n";
	cy_suite suite;
	char why[1024];
	assert_int_equal(parse(text, &suite, why, sizeof why), 0);
	/* linked-cycles: repeat 2 x rc 2 x length 3; caches: repeat 2 x threshold 2, duration replacing ops. */
	assert_int_equal(suite.count, 12 + 4);
	assert_int_equal(suite.skipped, 0);
	const cy_suite_cell *first = &suite.cells[0];
	assert_string_equal(first->config.workload->name, "linked-cycles");
	assert_int_equal(first->config.ops, 500);
	assert_int_equal(first->config.repeat, 2);
	assert_int_equal(first->config.rc, CY_RC_ATOMIC);
	assert_string_equal(first->slug, "linked-cycles-atomic-2-length-2");
	/* The last list varies fastest. */
	const cy_suite_cell *second = &suite.cells[1];
	assert_int_equal(second->config.rc, CY_RC_ATOMIC);
	assert_string_equal(second->words[second->word_count - 1], "length=16");
	const cy_suite_cell *last = &suite.cells[15];
	assert_string_equal(last->config.workload->name, "caches");
	assert_int_equal(last->config.ops, 0);
	assert_true(last->config.duration_s == 0.5);
	assert_int_equal(last->config.repeat, 3);
	assert_int_equal(last->config.threshold[0], 100);
	assert_int_equal(last->config.threshold[1], 5);
	for (size_t i = 0; i < suite.count; i++)
		assert_int_equal(suite.cells[i].index, i);
	/* Choice parameters point into their own cell, wherever the cells moved. */
	const cy_suite_cell *cache = &suite.cells[12];
	size_t variant = 0;
	while (strcmp(cache->config.workload->params[variant].name, "variant") != 0)
		variant++;
	assert_ptr_equal(cache->config.param_choices[variant], cache->config.param_text[variant]);
	assert_string_equal(cache->config.param_choices[variant], "lru");
	/* The file name carries the id (made of the knobs) and the values that vary. */
	char name[160];
	cy_suite_cell_file(last, name, sizeof name);
	assert_int_equal(strncmp(name, "cell-", 5), 0);
	assert_string_equal(name + 17, "-caches-100_5_5-3.json");
	uint64_t id;
	assert_int_equal(cy_suite_cell_file_id(name, &id), 0);
	assert_int_equal(id, cy_suite_cell_short_id(last));
	assert_int_equal(cy_suite_cell_file_id("cell-015-caches.json", &id), -1);
	cy_suite_free(&suite);
}

static void bad_files_name_the_line(void **state)
{
	(void)state;
	expect_refused("# ok\nworkload linked-cycles\nset thread = 1\n", "t.suite:3: unknown knob 'thread'",
		"valid: threads, rc, gc");
	expect_refused("workload linked-cycles\n\nset rc =   \n", "t.suite:3: empty list for rc", "valid:");
	expect_refused("workload linked-cycles\nset rc = atomic,,biased\n", "t.suite:2: empty value", "valid:");
	expect_refused("workload linked-cycles\nset threads = 1, two\n", "t.suite:2: --threads=two: not valid",
		"valid: an integer in 1..");
	expect_refused("workload linked-cycles\nset rc = atomic, refcount\n", "t.suite:2: unknown --rc 'refcount'",
		"valid: nonatomic, atomic, biased");
	expect_refused("set threshold = \"1,2\"\nworkload caches\n", "t.suite:1: malformed --threshold", "valid:");
	expect_refused("workload linked-cycles\nparam length = 2, -5\n", "t.suite:2: --param length=-5: not valid",
		"valid:");
	expect_refused("workload linked-cycles\nparam depth = 2\n", "t.suite:2: unknown parameter 'depth'",
		"valid: length");
	expect_refused("set ops = 100\n\n\nworkload no-such\n", "t.suite:4: unknown workload 'no-such'",
		"valid: linked-cycles");
	expect_refused("workload caches\nsets rc = atomic\n", "t.suite:2: unknown directive 'sets'", "valid:");
	expect_refused("param length = 2\nworkload linked-cycles\n", "t.suite:1: param length before any workload",
		NULL);
	expect_refused("workload caches\nset ops = 10\nset duration = 1\n", "t.suite:3: ops and duration both given",
		NULL);
	expect_refused("workload caches\nset rc = atomic\nset rc = biased\n", "t.suite:3: rc given twice", NULL);
	expect_refused("workload caches\nset rc = \"atomic\n", "t.suite:2: unclosed", NULL);
	expect_refused("# nothing\nset ops = 1\n", "t.suite: no workload", "valid:");
	expect_refused("workload linked-cycles\nset rc = nonatomic\nset threads = 2, 4\n",
		"every combination is refused", "--rc nonatomic allows one thread");
	/* A quote in a name, balanced on the line or not, is refused (it once ran the value parser off the end). */
	expect_refused("workload linked-cycles\nparam le\"ngth = \"2\n", "t.suite:2: param needs one name, unquoted", NULL);
	expect_refused("workload linked-cycles\nset \"rc\" = atomic\n", "t.suite:2: set needs one name, unquoted", NULL);
	/* Values listed twice, ranges included, with the line. */
	expect_refused("workload caches\nset threads = 1, 2, 1..3\n", "t.suite:2: 1 is listed twice for threads", "valid:");
	expect_refused("workload caches\n\nset rc = atomic, atomic\n", "t.suite:3: atomic is listed twice", NULL);
	/* A threshold without quotes: what was expected. */
	expect_refused("workload caches\nset threshold = 700,10,10\n", "t.suite:2: each threshold is three numbers in double quotes",
		"set threshold = \"700,10,10\"");
	/* Malformed ranges. */
	expect_refused("workload caches\nset threads = 1..x\n", "t.suite:2: malformed range '1..x'", "A..B *FACTOR");
	expect_refused("workload caches\nset threads = 4..2\n", "t.suite:2: malformed range '4..2'", NULL);
	expect_refused("workload caches\nset threads = 1..8 *1\n", "t.suite:2: range '1..8 *1'", "factor of 2");
	expect_refused("workload caches\nset threads = 1..8 log 1\n", "t.suite:2: range '1..8 log 1'", NULL);
	expect_refused("workload caches\nset threads = 1..8 x2\n", "t.suite:2: malformed range", NULL);
	/* Two blocks naming the same cell. */
	expect_refused("workload caches\nworkload caches\n", "listed twice, with the same knobs", NULL);
}

/* The values of the first axis of a one-block suite, as the cells' threads or first thresholds. */
static void ranges_and_nproc(void **state)
{
	(void)state;
	cy_suite suite;
	char why[1024];
	assert_int_equal(parse("set ops = 10\nworkload caches\nset threads = 1, 2, 4..16 *2\n", &suite, why, sizeof why), 0);
	assert_int_equal(suite.count, 5);
	const unsigned threads[] = {1, 2, 4, 8, 16};
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(suite.cells[i].config.threads, threads[i]);
	cy_suite_free(&suite);

	assert_int_equal(parse("set ops = 10\nworkload caches\nset threads = 3..9 +3\n", &suite, why, sizeof why), 0);
	assert_int_equal(suite.count, 3);
	assert_int_equal(suite.cells[2].config.threads, 9);
	cy_suite_free(&suite);

	/* $NPROC: the CPUs of this process's affinity mask. */
	assert_int_equal(parse("set ops = 10\nworkload caches\nset threads = 1..$NPROC\n", &suite, why, sizeof why), 0);
	unsigned nproc = cy_suite_nproc();
	assert_true(nproc >= 1);
	assert_int_equal(suite.count, nproc);
	assert_int_equal(suite.cells[suite.count - 1].config.threads, nproc);
	cy_suite_free(&suite);

	/* A log range in a quoted threshold: 100 * 500^(k/3), rounded, both ends exact. */
	assert_int_equal(parse("set ops = 10\nworkload caches\nset threshold = \"100..50000 log 4,10,10\", \"700,10,10\"\n",
				 &suite, why, sizeof why),
		0);
	assert_int_equal(suite.count, 5);
	const int64_t first[] = {100, 794, 6300, 50000, 700};
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(suite.cells[i].config.threshold[0], first[i]);
		assert_int_equal(suite.cells[i].config.threshold[1], 10);
		assert_int_equal(suite.cells[i].config.threshold[2], 10);
	}
	cy_suite_free(&suite);
}

/* Cells are known by their knobs: blocks and lines in another order give the same ids and file names. */
static void identity_follows_the_knobs(void **state)
{
	(void)state;
	cy_suite a, b;
	char why[1024];
	assert_int_equal(parse("set ops = 100\nworkload caches\nset rc = atomic, biased\nset gc = stw, incremental\n"
			       "workload linked-cycles\nparam length = 2, 4\n",
				 &a, why, sizeof why),
		0);
	assert_int_equal(parse("workload linked-cycles\nparam length = 4, 2\nset ops = 100\n"
			       "workload caches\nset gc = incremental, stw\nset rc = biased, atomic\nset ops = 100\n",
				 &b, why, sizeof why),
		0);
	assert_int_equal(a.count, 6);
	assert_int_equal(b.count, 6);
	for (size_t i = 0; i < a.count; i++) {
		size_t found = 0;
		for (size_t k = 0; k < b.count; k++) {
			if (a.cells[i].id != b.cells[k].id)
				continue;
			found++;
			char x[160], y[160];
			cy_suite_cell_file(&a.cells[i], x, sizeof x);
			cy_suite_cell_file(&b.cells[k], y, sizeof y);
			assert_string_equal(x, y);
		}
		assert_int_equal(found, 1);
		for (size_t k = 0; k < i; k++)
			assert_true(a.cells[k].id != a.cells[i].id);
	}
	/* Every knob is explicit: the words name each knob of the table once. */
	const cy_suite_cell *cell = &a.cells[0];
	const char *knobs[] = {"--threads", "--rc", "--gc", "--threshold", "--pause-budget-us", "--alloc", "--ops",
		"--seed", "--warmup", "--repeat", "--sample-ms", "--pin"};
	for (size_t k = 0; k < sizeof knobs / sizeof knobs[0]; k++) {
		int seen = 0;
		for (int w = 1; w < cell->explicit_count; w++)
			seen += strcmp(cell->explicit_words[w], knobs[k]) == 0;
		assert_int_equal(seen, 1);
	}
	cy_suite_free(&a);
	cy_suite_free(&b);
}

/* A NUL byte in a suite file is refused with its line, not read as the end of the file. */
static void nul_byte_refused(void **state)
{
	(void)state;
	char file[PATH_MAX];
	cy_test_scratch_path(file, sizeof file, "nul.suite");
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	static const char text[] = "workload linked-cycles\nset rc = atomic\0\nset threads = nine\n";
	assert_int_equal(fwrite(text, 1, sizeof text - 1, f), sizeof text - 1);
	assert_int_equal(fclose(f), 0);
	cy_suite suite;
	char why[1024];
	assert_int_equal(cy_suite_load(file, &suite, why, sizeof why), -1);
	assert_non_null(strstr(why, "nul.suite:2: a NUL byte"));
	unlink(file);
}

static void matrix_counts(void **state)
{
	(void)state;
	cy_suite suite;
	char why[1024];
	/* Suite-wide lists multiply every block unless the block sets the knob itself. */
	assert_int_equal(parse("set gc = stw, incremental\nset seed = 1, 2, 3\n"
			       "workload linked-cycles\nset threads = 1, 2\n"
			       "workload gc-collect\nset gc = off\n"
			       "workload caches\n",
				 &suite, why, sizeof why),
		0);
	assert_int_equal(suite.count, 2 * 3 * 2 + 1 * 3 + 2 * 3);
	assert_int_equal(suite.cells[12].config.gc, CY_GC_MODE_OFF);
	cy_suite_free(&suite);
	/* Combinations the runner refuses are left out and counted. */
	assert_int_equal(parse("workload linked-cycles\nset rc = nonatomic, atomic, biased\nset threads = 1, 2, 4, 8\n",
				 &suite, why, sizeof why),
		0);
	assert_int_equal(suite.count, 1 + 4 + 4);
	assert_int_equal(suite.skipped, 3);
	assert_non_null(strstr(suite.skip_reason, "nonatomic"));
	cy_suite_free(&suite);
	/* A block without lists is one cell with the runner's defaults. */
	assert_int_equal(parse("workload binary-trees\n", &suite, why, sizeof why), 0);
	assert_int_equal(suite.count, 1);
	assert_int_equal(suite.cells[0].word_count, 1);
	cy_suite_free(&suite);
}

static void shards_partition_the_matrix(void **state)
{
	(void)state;
	cy_suite suite;
	char why[1024];
	assert_int_equal(parse("workload linked-cycles\nset rc = atomic, biased\nset threads = 1, 2, 3, 4, 5, 6, 7\n",
				 &suite, why, sizeof why),
		0);
	assert_int_equal(suite.count, 14);
	for (unsigned shards = 1; shards <= 20; shards++) {
		unsigned seen[14] = {0};
		for (unsigned shard = 0; shard < shards; shard++) {
			char text[32];
			unsigned index, count;
			snprintf(text, sizeof text, "%u/%u", shard, shards);
			assert_int_equal(cy_suite_parse_shard(text, &index, &count, why, sizeof why), 0);
			assert_int_equal(index, shard);
			assert_int_equal(count, shards);
			for (size_t i = 0; i < suite.count; i++)
				seen[i] += (unsigned)cy_suite_in_shard(i, index, count);
		}
		for (size_t i = 0; i < suite.count; i++)
			assert_int_equal(seen[i], 1);
	}
	cy_suite_free(&suite);
	static const char *const bad[] = {"2/2", "1", "a/2", "-1/2", "0/0", "1/2x", "/2", ""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		unsigned index, count;
		assert_int_equal(cy_suite_parse_shard(bad[i], &index, &count, why, sizeof why), -1);
		assert_non_null(strstr(why, "valid: I/N"));
	}
}

/* Split a --list line into words (the suite prints plain words or '...' quoting). */
static int split_words(char *line, char **words, int max)
{
	int n = 0;
	for (char *s = line; *s && n < max;) {
		while (*s == ' ' || *s == '\n')
			s++;
		if (!*s)
			break;
		char *word = s, *out = s;
		while (*s && *s != ' ' && *s != '\n') {
			if (*s == '\'') {
				for (s++; *s && *s != '\''; s++)
					*out++ = *s;
				if (*s)
					s++;
			} else {
				*out++ = *s++;
			}
		}
		char *next = *s ? s + 1 : s;
		*out = '\0';
		words[n++] = word;
		s = next;
	}
	return n;
}

static void list_lines_parse_back(void **state)
{
	(void)state;
	cy_suite suite;
	char why[1024];
	assert_int_equal(parse("set ops = 300\nset warmup = 0\n"
			       "workload linked-cycles\nset rc = atomic, biased\nset threads = 1, 2\n"
			       "param live = 0.1, 0.2\n"
			       "workload caches\nset threshold = \"100,10,10\", \"700, 10, 10\"\nparam variant = lru, weak\n",
				 &suite, why, sizeof why),
		0);
	assert_int_equal(suite.count, 12);
	char *text = NULL;
	size_t text_len = 0;
	FILE *out = open_memstream(&text, &text_len);
	assert_non_null(out);
	assert_int_equal(cy_suite_print_list(out, &suite, NULL, "cyclab", "results dir", 1, 3), 0); /* cells 1, 4, 7, 10 */
	assert_int_equal(fclose(out), 0);
	size_t lines = 0, expected[] = {1, 4, 7, 10};
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), lines++) {
		assert_true(lines < 4);
		const cy_suite_cell *cell = &suite.cells[expected[lines]];
		char *words[64] = {0};
		int n = split_words(line, words, 64);
		assert_true(n >= 5);
		assert_string_equal(words[0], "cyclab");
		assert_string_equal(words[1], "run");
		const cy_workload_def *w = cy_workload_find(words[2]);
		assert_ptr_equal(w, cell->config.workload);
		cy_run_config config;
		cy_run_config_init(&config, w);
		const char *output = NULL;
		for (int i = 3; i < n; i++) {
			if (strcmp(words[i], "--quiet") == 0)
				continue;
			assert_true(i + 1 < n);
			if (strcmp(words[i], "-o") == 0) {
				output = words[++i];
			} else if (strcmp(words[i], "--param") == 0) {
				char *eq = strchr(words[++i], '=');
				assert_non_null(eq);
				*eq = '\0';
				assert_int_equal(cy_run_set_param(&config, words[i], eq + 1, why, sizeof why), 0);
			} else {
				assert_int_equal(cy_run_apply_option(&config, words[i], words[i + 1], why, sizeof why), 0);
				i++;
			}
		}
		char name[160], path[256];
		cy_suite_cell_file(cell, name, sizeof name);
		snprintf(path, sizeof path, "results dir/%s", name);
		assert_non_null(output);
		assert_string_equal(output, path);
		assert_int_equal(config.threads, cell->config.threads);
		assert_int_equal(config.rc, cell->config.rc);
		assert_int_equal(config.gc, cell->config.gc);
		assert_int_equal(config.ops, cell->config.ops);
		assert_int_equal(config.warmup, cell->config.warmup);
		assert_int_equal(config.repeat, cell->config.repeat);
		assert_memory_equal(config.threshold, cell->config.threshold, sizeof config.threshold);
		assert_memory_equal(config.param_values, cell->config.param_values, sizeof config.param_values);
		for (size_t p = 0; p < w->param_count; p++)
			assert_string_equal(config.param_text[p], cell->config.param_text[p]);
	}
	assert_int_equal(lines, 4);
	free(text);
	cy_suite_free(&suite);
}

/* ---- running -------------------------------------------------------------------------- */

typedef struct file_id {
	ino_t inode;
	struct timespec mtime;
	int present;
} file_id;

static file_id identify(const char *dir, const cy_suite_cell *cell)
{
	char name[160], path[PATH_MAX + 200];
	cy_suite_cell_file(cell, name, sizeof name);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	struct stat st;
	if (stat(path, &st) != 0)
		return (file_id){0};
	return (file_id){.inode = st.st_ino, .mtime = st.st_mtim, .present = 1};
}

static int same_file(file_id a, file_id b)
{
	return a.present && b.present && a.inode == b.inode && a.mtime.tv_sec == b.mtime.tv_sec &&
	       a.mtime.tv_nsec == b.mtime.tv_nsec;
}

static int run_suite(const char *file, const char *dir, ...)
{
	char *argv[16] = {"cyclab suite", (char *)file, "-o", (char *)dir};
	int argc = 4;
	va_list ap;
	va_start(ap, dir);
	for (char *extra; argc < 15 && (extra = va_arg(ap, char *));)
		argv[argc++] = extra;
	va_end(ap);
	argv[argc] = NULL;
	return cy_suite_main(argc, argv);
}

static size_t count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = 0;
	for (int c; (c = fgetc(f)) != EOF;)
		n += c == '\n';
	fclose(f);
	return n;
}

static void write_suite(const char *text, const char *name, char *file, size_t len);

static const char tiny_suite[] = "# tiny: a few hundred operations a cell\n"
				 "set ops = 300\nset warmup = 0\nset repeat = 1\n"
				 "workload linked-cycles\nset rc = atomic, biased\nset gc = stw, incremental\n"
				 "workload gc-collect\nset ops = 2\n";

static void write_tiny_suite(char *file, size_t len)
{
	cy_test_scratch_path(file, len, "tiny.suite");
	cy_test_write_text(file, tiny_suite);
}

static void resumption_skips_done_cells(void **state)
{
	(void)state;
	char file[PATH_MAX], dir[PATH_MAX + 16], summary[PATH_MAX + 32];
	write_tiny_suite(file, sizeof file);
	cy_test_scratch_path(dir, sizeof dir, "results");
	snprintf(summary, sizeof summary, "%s/summary.csv", dir);
	cy_suite suite;
	char why[1024];
	assert_int_equal(cy_suite_load(file, &suite, why, sizeof why), 0);
	assert_int_equal(suite.count, 5);

	assert_int_equal(run_suite(file, dir, NULL), 0);
	file_id first[5];
	for (size_t i = 0; i < suite.count; i++) {
		first[i] = identify(dir, &suite.cells[i]);
		assert_true(first[i].present);
	}
	assert_int_equal(count_lines(summary), 1 + 5);

	/* Again: nothing reruns. */
	assert_int_equal(run_suite(file, dir, NULL), 0);
	for (size_t i = 0; i < suite.count; i++)
		assert_true(same_file(first[i], identify(dir, &suite.cells[i])));

	/* The same cells with the blocks and lines in another order: known by their knobs, none reruns. */
	char reordered[PATH_MAX + 32];
	write_suite("workload gc-collect\nset ops = 2\nset warmup = 0\nset repeat = 1\n"
		    "workload linked-cycles\nset gc = incremental, stw\nset rc = biased, atomic\n"
		    "set ops = 300\nset warmup = 0\nset repeat = 1\n",
		"reordered.suite", reordered, sizeof reordered);
	assert_int_equal(run_suite(reordered, dir, NULL), 0);
	for (size_t i = 0; i < suite.count; i++)
		assert_true(same_file(first[i], identify(dir, &suite.cells[i])));
	unlink(reordered);

	/* A missing result alone is run again; summary.csv follows the files present. */
	char name[160], path[PATH_MAX + 200];
	cy_suite_cell_file(&suite.cells[2], name, sizeof name);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(cy_results_write_summary(dir, why, sizeof why), 0);
	assert_int_equal(count_lines(summary), 1 + 4);
	assert_int_equal(run_suite(file, dir, NULL), 0);
	for (size_t i = 0; i < suite.count; i++) {
		file_id now = identify(dir, &suite.cells[i]);
		assert_true(now.present);
		if (i != 2)
			assert_true(same_file(first[i], now));
		first[i] = now;
	}
	assert_int_equal(count_lines(summary), 1 + 5);

	/* --force reruns every cell: each result is a new file. */
	assert_int_equal(run_suite(file, dir, "--force", NULL), 0);
	for (size_t i = 0; i < suite.count; i++) {
		file_id now = identify(dir, &suite.cells[i]);
		assert_true(now.present);
		assert_int_not_equal(now.inode, first[i].inode);
	}
	cy_test_remove_tree(dir);
	cy_suite_free(&suite);
}

static void shards_run_apart_fill_one_directory(void **state)
{
	(void)state;
	char file[PATH_MAX], dir[PATH_MAX + 16], summary[PATH_MAX + 32];
	write_tiny_suite(file, sizeof file);
	cy_test_scratch_path(dir, sizeof dir, "sharded");
	snprintf(summary, sizeof summary, "%s/summary.csv", dir);
	cy_suite suite;
	char why[1024];
	assert_int_equal(cy_suite_load(file, &suite, why, sizeof why), 0);
	assert_int_equal(run_suite(file, dir, "--shard", "1/2", NULL), 0);
	for (size_t i = 0; i < suite.count; i++)
		assert_int_equal(identify(dir, &suite.cells[i]).present, i % 2 == 1);
	assert_int_equal(count_lines(summary), 1 + 2);
	assert_int_equal(run_suite(file, dir, "--shard", "0/2", NULL), 0);
	for (size_t i = 0; i < suite.count; i++)
		assert_true(identify(dir, &suite.cells[i]).present);
	assert_int_equal(count_lines(summary), 1 + 5);
	/* Bad command lines: exit 2, nothing run. */
	assert_int_equal(run_suite(file, dir, "--shard", "2/2", NULL), 2);
	assert_int_equal(run_suite(file, dir, "--bogus", NULL), 2);
	assert_int_equal(run_suite("/nonexistent/suite", dir, NULL), 2);
	cy_test_remove_tree(dir);
	cy_suite_free(&suite);
}

/* Cell result files and leftover temporary files in dir. */
static void count_results(const char *dir, size_t *results, size_t *temps)
{
	*results = *temps = 0;
	DIR *d = opendir(dir);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		size_t n = strlen(e->d_name);
		if (strncmp(e->d_name, "cell-", 5) != 0)
			continue;
		if (n > 5 && strcmp(e->d_name + n - 5, ".json") == 0)
			++*results;
		else
			++*temps;
	}
	closedir(d);
}

/* Ctrl-C for a running `cyclab suite`: it must stop and exit with status 130. */
static void interrupt_suite(pid_t pid)
{
	assert_int_equal(kill(pid, SIGINT), 0);
	cy_test_outcome o = cy_test_finish(pid, CY_TEST_CYCLAB_DEADLINE_S);
	cy_test_expect_status(&o, 130);
	cy_test_outcome_free(&o);
}

static void interrupt_keeps_complete_results(void **state)
{
	(void)state;
	char file[PATH_MAX], dir[PATH_MAX + 16], summary[PATH_MAX + 32];
	cy_test_scratch_path(file, sizeof file, "timed.suite");
	cy_test_scratch_path(dir, sizeof dir, "interrupted");
	snprintf(summary, sizeof summary, "%s/summary.csv", dir);
	cy_test_write_text(file, "set duration = 0.2\nset warmup = 0\nset repeat = 1\n"
				 "workload linked-cycles\nset rc = atomic, biased\nset gc = stw, incremental\nset seed = 1, 2\n");
	pid_t pid = cy_test_start_cyclab("suite", file, "-o", dir, NULL);
	size_t results = 0, temps;
	for (int tries = 0; tries < 6000 && results == 0; tries++) { /* at most a minute */
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
		count_results(dir, &results, &temps);
	}
	interrupt_suite(pid);
	count_results(dir, &results, &temps);
	assert_true(results >= 1 && results < 8);
	assert_int_equal(temps, 0);
	assert_int_equal(count_lines(summary), 1 + results); /* every result present is whole */
	unlink(file);
	cy_test_remove_tree(dir);
}

/* ---- interleaving --------------------------------------------------------------------- */

static void schedule_is_a_seeded_permutation(void **state)
{
	(void)state;
	const unsigned counts[] = {3, 0, 2, 4};
	size_t order[9], again[9], other[9];
	cy_suite_shuffle_schedule(counts, 4, 7, order);
	cy_suite_shuffle_schedule(counts, 4, 7, again);
	assert_memory_equal(order, again, sizeof order);
	unsigned seen[4] = {0};
	for (size_t i = 0; i < 9; i++) {
		assert_true(order[i] < 4);
		seen[order[i]]++;
	}
	for (size_t c = 0; c < 4; c++)
		assert_int_equal(seen[c], counts[c]);
	/* Some other seed gives another order (there are 1260 of them). */
	int differs = 0;
	for (uint64_t seed = 8; seed < 18 && !differs; seed++) {
		cy_suite_shuffle_schedule(counts, 4, seed, other);
		differs = memcmp(order, other, sizeof order) != 0;
	}
	assert_true(differs);
	/* Unbiased: over 4000 seeds, each of 4 cells comes first about 1000 times (sd about 27). */
	const unsigned ones[] = {1, 1, 1, 1};
	unsigned first[4] = {0};
	for (uint64_t seed = 0; seed < 4000; seed++) {
		size_t four[4];
		cy_suite_shuffle_schedule(ones, 4, seed, four);
		first[four[0]]++;
	}
	for (size_t c = 0; c < 4; c++)
		assert_in_range(first[c], 850, 1150);
}

static void seed_values(void **state)
{
	(void)state;
	uint64_t seed;
	char why[256];
	assert_int_equal(cy_suite_parse_seed("0", &seed, why, sizeof why), 0);
	assert_int_equal(seed, 0);
	assert_int_equal(cy_suite_parse_seed("18446744073709551615", &seed, why, sizeof why), 0);
	assert_true(seed == UINT64_MAX);
	static const char *const bad[] = {"", "x", "-1", "+1", " 1", "1x", "0x10", "18446744073709551616"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(cy_suite_parse_seed(bad[i], &seed, why, sizeof why), -1);
		assert_non_null(strstr(why, "valid: an integer in 0.."));
	}
}

static const char interleaved_suite[] = "set ops = 200\nset warmup = 1\nset repeat = 3\n"
					"workload linked-cycles\nset rc = atomic, biased\n";

/* The order indices of the runs in cell's result in dir (-1 if missing or not 3 runs); the schedule's seed and length. */
static int read_order(const char *dir, const cy_suite_cell *cell, int64_t order[3], uint64_t *seed, uint64_t *length)
{
	char name[160], path[PATH_MAX + 200];
	cy_suite_cell_file(cell, name, sizeof name);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	json_error_t error;
	json_t *root = json_load_file(path, 0, &error);
	if (!root)
		return -1;
	json_t *runs = json_object_get(root, "runs");
	json_t *interleave = json_object_get(root, "interleave");
	const char *status = json_string_value(json_object_get(root, "status"));
	int ok = json_is_array(runs) && json_array_size(runs) == 3 && json_is_object(interleave) && status &&
		 strcmp(status, "ok") == 0;
	for (size_t i = 0; ok && i < 3; i++) {
		json_t *index = json_object_get(json_array_get(runs, i), "order_index");
		ok = json_is_integer(index);
		order[i] = ok ? json_integer_value(index) : -1;
	}
	if (ok) {
		*seed = (uint64_t)json_integer_value(json_object_get(interleave, "seed"));
		*length = (uint64_t)json_integer_value(json_object_get(interleave, "schedule_length"));
	}
	json_decref(root);
	return ok ? 0 : -1;
}

static void write_suite(const char *text, const char *name, char *file, size_t len)
{
	cy_test_scratch_path(file, len, name);
	cy_test_write_text(file, text);
}

/* Run the 2 x 3 suite interleaved with seed 7 into dir; check every result and return the order indices. */
static void run_interleaved(const char *file, const char *dir, const cy_suite *suite, int64_t order[2][3])
{
	assert_int_equal(run_suite(file, dir, "--interleave", "--seed", "7", NULL), 0);
	for (size_t c = 0; c < 2; c++) {
		uint64_t seed, length;
		assert_int_equal(read_order(dir, &suite->cells[c], order[c], &seed, &length), 0);
		assert_int_equal(seed, 7);
		assert_int_equal(length, 6);
	}
}

static void interleave_keeps_cells_whole(void **state)
{
	(void)state;
	char file[PATH_MAX + 32], dir[PATH_MAX + 16], again_dir[PATH_MAX + 16], summary[PATH_MAX + 32];
	write_suite(interleaved_suite, "interleaved.suite", file, sizeof file);
	cy_test_scratch_path(dir, sizeof dir, "interleaved");
	cy_test_scratch_path(again_dir, sizeof again_dir, "interleaved-again");
	snprintf(summary, sizeof summary, "%s/summary.csv", dir);
	cy_suite suite;
	char why[1024];
	assert_int_equal(cy_suite_load(file, &suite, why, sizeof why), 0);
	assert_int_equal(suite.count, 2);

	int64_t order[2][3], again[2][3];
	run_interleaved(file, dir, &suite, order);
	assert_int_equal(count_lines(summary), 1 + 2);
	/* The runs of both cells are the schedule's 6 places, once each, in the order drawn for seed 7. */
	const unsigned counts[] = {3, 3};
	size_t schedule[6];
	cy_suite_shuffle_schedule(counts, 2, 7, schedule);
	int placed[6] = {0}, sequential = 1;
	for (size_t c = 0; c < 2; c++) {
		for (size_t r = 0; r < 3; r++) {
			int64_t k = order[c][r];
			assert_in_range(k, 0, 5);
			placed[k]++;
			assert_int_equal(schedule[k], c);
			if (r > 0)
				assert_true(order[c][r - 1] < k); /* kept in the order they ran */
			sequential &= k == (int64_t)(3 * c + r);
		}
	}
	for (size_t k = 0; k < 6; k++)
		assert_int_equal(placed[k], 1);
	assert_false(sequential);
	/* The same seed, the same order. */
	run_interleaved(file, again_dir, &suite, again);
	assert_memory_equal(order, again, sizeof order);
	cy_test_remove_tree(again_dir);

	/* Resumption: a missing cell alone runs again, at its places in the same order. */
	file_id first[2] = {identify(dir, &suite.cells[0]), identify(dir, &suite.cells[1])};
	char name[160], path[PATH_MAX + 200];
	cy_suite_cell_file(&suite.cells[1], name, sizeof name);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(run_suite(file, dir, "--interleave", "--seed", "7", NULL), 0);
	assert_true(same_file(first[0], identify(dir, &suite.cells[0])));
	int64_t rerun[3];
	uint64_t seed, length;
	assert_int_equal(read_order(dir, &suite.cells[1], rerun, &seed, &length), 0);
	assert_int_equal(length, 6);
	for (size_t r = 0; r < 3; r++)
		assert_int_equal(rerun[r], order[1][r]);
	assert_int_equal(count_lines(summary), 1 + 2);
	/* Nothing left to run: nothing reruns, interleaved or not. */
	first[1] = identify(dir, &suite.cells[1]);
	assert_int_equal(run_suite(file, dir, "--interleave", NULL), 0);
	assert_int_equal(run_suite(file, dir, NULL), 0);
	for (size_t c = 0; c < 2; c++)
		assert_true(same_file(first[c], identify(dir, &suite.cells[c])));
	cy_test_remove_tree(dir);
	unlink(file);
	cy_suite_free(&suite);
}

static void interleave_refuses_bad_seeds(void **state)
{
	(void)state;
	char file[PATH_MAX + 32], dir[PATH_MAX + 16];
	write_suite(interleaved_suite, "seeds.suite", file, sizeof file);
	cy_test_scratch_path(dir, sizeof dir, "never");
	assert_int_equal(run_suite(file, dir, "--interleave", "--seed", "x", NULL), 2);
	assert_int_equal(run_suite(file, dir, "--interleave", "--seed", "-3", NULL), 2);
	assert_int_equal(run_suite(file, dir, "--interleave", "--seed", "99999999999999999999", NULL), 2);
	assert_int_equal(run_suite(file, dir, "--interleave", "--seed", NULL), 2);
	assert_int_equal(run_suite(file, dir, "--sequential", "--seed", "7", NULL), 2);
	assert_int_equal(run_suite(file, dir, "--sequential", "--interleave", NULL), 2);
	assert_int_equal(run_suite(file, dir, "--list", "--seed", "7", NULL), 2);
	struct stat st;
	assert_int_equal(stat(dir, &st), -1); /* refused before anything ran */
	unlink(file);
}

/* 0 if the result file dir/name holds exactly 3 runs. */
static int whole_cell(const char *dir, const char *name)
{
	char path[PATH_MAX + 300];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	json_error_t error;
	json_t *root = json_load_file(path, 0, &error);
	int ok = root && json_array_size(json_object_get(root, "runs")) == 3;
	json_decref(root);
	return ok ? 0 : -1;
}

static void interleave_interrupt_leaves_whole_cells(void **state)
{
	(void)state;
	char file[PATH_MAX + 32], dir[PATH_MAX + 16], summary[PATH_MAX + 32];
	write_suite("set duration = 0.2\nset warmup = 0\nset repeat = 3\n"
		    "workload linked-cycles\nset rc = atomic, biased\n",
		"interrupted-interleaved.suite", file, sizeof file);
	cy_test_scratch_path(dir, sizeof dir, "interrupted-interleaved");
	snprintf(summary, sizeof summary, "%s/summary.csv", dir);
	pid_t pid = cy_test_start_cyclab("suite", file, "-o", dir, "--interleave", "--seed", "3", NULL);
	/* The directory appears just before the handler is installed; 6 x 0.2 s of runs follow. */
	struct stat st;
	for (int tries = 0; tries < 6000 && stat(dir, &st) != 0; tries++)
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
	nanosleep(&(struct timespec){.tv_nsec = 300 * 1000 * 1000}, NULL);
	interrupt_suite(pid);
	size_t results, temps;
	count_results(dir, &results, &temps);
	assert_true(results < 2);
	assert_int_equal(temps, 0);
	assert_int_equal(count_lines(summary), 1 + results);
	DIR *d = opendir(dir);
	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d));) {
		if (strncmp(e->d_name, "cell-", 5) == 0)
			assert_int_equal(whole_cell(dir, e->d_name), 0);
	}
	closedir(d);
	/* Run again: what was left runs, and every cell is whole. */
	assert_int_equal(run_suite(file, dir, "--interleave", "--seed", "3", NULL), 0);
	count_results(dir, &results, &temps);
	assert_int_equal(results, 2);
	assert_int_equal(count_lines(summary), 1 + 2);
	unlink(file);
	cy_test_remove_tree(dir);
}

/* ---- the batch path: listing, signals, logs ------------------------------------------- */

static const char batch_suite[] = "set ops = 300\nset warmup = 0\nset repeat = 1\n"
				  "workload linked-cycles\nset rc = atomic, biased\nset gc = stw, incremental\n";

/* Lines of text that start with prefix. */
static size_t count_prefixed(const char *text, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);
	for (const char *line = text; line && *line;) {
		n += strncmp(line, prefix, len) == 0;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return n;
}

static void list_into_a_new_directory(void **state)
{
	(void)state;
	char file[PATH_MAX + 32], dir[PATH_MAX + 64];
	write_suite(batch_suite, "batch.suite", file, sizeof file);
	cy_test_scratch_path(dir, sizeof dir, "listed/not/yet/there");
	cy_test_outcome o = cy_test_run_cyclab("suite", file, "-o", dir, "--list", NULL);
	cy_test_expect_status(&o, 0);
	struct stat st;
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(cy_test_count_lines(o.out), 4);
	assert_int_equal(count_prefixed(o.out, cy_test_cyclab_path()), 4);
	cy_test_outcome_free(&o);

	/* Two cells done: the list leaves them out, unless --force. */
	cy_suite suite;
	char why[1024];
	assert_int_equal(cy_suite_load(file, &suite, why, sizeof why), 0);
	assert_int_equal(run_suite(file, dir, "--shard", "0/2", "--quiet", NULL), 0);
	o = cy_test_run_cyclab("suite", file, "-o", dir, "--list", NULL);
	cy_test_expect_status(&o, 0);
	assert_int_equal(cy_test_count_lines(o.out), 2);
	for (size_t i = 0; i < suite.count; i++) {
		char name[160];
		cy_suite_cell_file(&suite.cells[i], name, sizeof name);
		assert_int_equal(strstr(o.out, name) != NULL, i % 2 == 1);
	}
	cy_test_outcome_free(&o);
	o = cy_test_run_cyclab("suite", file, "-o", dir, "--list", "--force", NULL);
	cy_test_expect_status(&o, 0);
	assert_int_equal(cy_test_count_lines(o.out), 4);
	cy_test_outcome_free(&o);
	cy_suite_free(&suite);
	snprintf(dir, sizeof dir, "%s/listed", cy_test_scratch());
	cy_test_remove_tree(dir);
	unlink(file);
}

/* A listed command carries the knobs of the shell that listed it, whatever the shell that runs it. */
static void listed_commands_keep_their_knobs(void **state)
{
	(void)state;
	char file[PATH_MAX + 32], dir[PATH_MAX + 16];
	write_suite("set ops = 300\nset warmup = 0\nworkload linked-cycles\nset rc = atomic\n", "env.suite", file,
		sizeof file);
	cy_test_scratch_path(dir, sizeof dir, "env-listed");
	const char *listing[] = {"CYCLAB_PARAM_LENGTH=8", "CYCLAB_REPEAT=2", NULL};
	cy_test_env listing_env = {.set = listing, .drop_prefix = "CYCLAB_"};
	cy_test_outcome o = cy_test_run_cyclab_env(&listing_env, "suite", file, "-o", dir, "--list", NULL);
	cy_test_expect_status(&o, 0);
	assert_int_equal(cy_test_count_lines(o.out), 1);
	assert_non_null(strstr(o.out, " --param length=8 "));
	assert_non_null(strstr(o.out, " --repeat 2 "));
	assert_non_null(strstr(o.err, "CYCLAB_PARAM_LENGTH=8"));
	char *command = strdup(o.out);
	cy_test_outcome_free(&o);
	assert_non_null(command);
	/* Run it under other values of the same variables, and one more. */
	const char *running[] = {"CYCLAB_PARAM_LENGTH=4", "CYCLAB_REPEAT=3", "CYCLAB_THREADS=2", NULL};
	cy_test_env running_env = {.set = running, .drop_prefix = "CYCLAB_"};
	char *argv[] = {"/bin/sh", "-c", command, NULL};
	o = cy_test_run(argv, &running_env, CY_TEST_CYCLAB_DEADLINE_S);
	cy_test_expect_status(&o, 0);
	cy_test_outcome_free(&o);
	free(command);
	DIR *d = opendir(dir);
	assert_non_null(d);
	int found = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (strncmp(e->d_name, "cell-", 5) != 0)
			continue;
		char path[PATH_MAX + 300];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		json_error_t error;
		json_t *root = json_load_file(path, 0, &error);
		assert_non_null(root);
		json_t *config = json_object_get(root, "config");
		assert_int_equal(json_integer_value(json_object_get(config, "threads")), 1);
		assert_int_equal(json_integer_value(json_object_get(config, "repeat")), 2);
		assert_int_equal(json_integer_value(json_object_get(json_object_get(config, "params"), "length")), 8);
		assert_int_equal(json_array_size(json_object_get(root, "runs")), 2);
		json_decref(root);
		found++;
	}
	closedir(d);
	assert_int_equal(found, 1);
	/* A bad variable refuses the suite up front, as `cyclab run` refuses it, listing or running. */
	const char *bad[] = {"CYCLAB_THREADS=lots", NULL};
	cy_test_env bad_env = {.set = bad, .drop_prefix = "CYCLAB_"};
	cy_test_expect_refusal(cy_test_run_cyclab_env(&bad_env, "suite", file, "-o", dir, "--list", NULL),
		"cyclab suite: CYCLAB_THREADS=lots in the environment: --threads=lots: not valid", NULL);
	cy_test_expect_refusal(cy_test_run_cyclab_env(&bad_env, "suite", file, "-o", dir, NULL),
		"cyclab suite: CYCLAB_THREADS=lots in the environment: --threads=lots: not valid", NULL);
	cy_test_remove_tree(dir);
	unlink(file);
}

/* Stdout not a terminal: a line per finished cell; --quiet: none. */
static void logs_have_a_line_per_cell(void **state)
{
	(void)state;
	char file[PATH_MAX + 32], dir[PATH_MAX + 16];
	write_suite(batch_suite, "logged.suite", file, sizeof file);
	cy_test_scratch_path(dir, sizeof dir, "logged");
	cy_test_outcome o = cy_test_run_cyclab("suite", file, "-o", dir, NULL);
	cy_test_expect_status(&o, 0);
	assert_int_equal(count_prefixed(o.out, "cyclab suite: ["), 4);
	for (size_t k = 1; k <= 4; k++) {
		char needle[32];
		snprintf(needle, sizeof needle, "cyclab suite: [%zu/4] cell-", k);
		assert_non_null(strstr(o.out, needle));
	}
	assert_non_null(strstr(o.out, "ops/s")); /* the cell's figures */
	assert_non_null(strstr(o.out, " elapsed, "));
	assert_non_null(strstr(o.out, " left\n")); /* the time left */
	cy_test_outcome_free(&o);
	o = cy_test_run_cyclab("suite", file, "-o", dir, "--force", "--quiet", NULL);
	cy_test_expect_status(&o, 0);
	assert_string_equal(o.out, "");
	cy_test_outcome_free(&o);
	cy_test_remove_tree(dir);
	unlink(file);
}

static const char timed_suite[] = "set duration = 0.25\nset warmup = 0\nset repeat = 2\n"
				  "workload linked-cycles\nset rc = atomic, biased\nset gc = stw, incremental\n";

/*
 * Start the suite, wait for its first result, then a little more so that a
 * cell is running, and send SIGTERM: it must exit 143, keep only whole
 * results and a summary of them, and say how to resume.
 */
static void terminate_mid_cell(const char *file, const char *dir, const char *order, size_t *results)
{
	pid_t pid = cy_test_start_cyclab("suite", file, "-o", dir, order, NULL);
	size_t temps;
	*results = 0;
	for (int tries = 0; tries < 6000 && *results == 0; tries++) { /* at most a minute */
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
		count_results(dir, results, &temps);
	}
	nanosleep(&(struct timespec){.tv_nsec = 100 * 1000 * 1000}, NULL);
	assert_int_equal(kill(pid, SIGTERM), 0);
	cy_test_outcome o = cy_test_finish(pid, CY_TEST_CYCLAB_DEADLINE_S);
	cy_test_expect_status(&o, 143);
	assert_non_null(strstr(o.err, "SIGTERM"));
	assert_non_null(strstr(o.err, "resume with:"));
	cy_test_outcome_free(&o);
	count_results(dir, results, &temps);
	assert_true(*results >= 1);
	assert_int_equal(temps, 0);
	char summary[PATH_MAX + 32];
	snprintf(summary, sizeof summary, "%s/summary.csv", dir);
	assert_int_equal(count_lines(summary), 1 + *results);
}

/* After the resumed run: every cell's result exactly once, whole, and the summary of all of them. */
static void expect_every_cell_once(const char *dir, const cy_suite *suite)
{
	size_t results, temps;
	count_results(dir, &results, &temps);
	assert_int_equal(results, suite->count);
	assert_int_equal(temps, 0);
	for (size_t i = 0; i < suite->count; i++)
		assert_true(identify(dir, &suite->cells[i]).present);
	char summary[PATH_MAX + 32];
	snprintf(summary, sizeof summary, "%s/summary.csv", dir);
	assert_int_equal(count_lines(summary), 1 + suite->count);
}

static void sigterm_then_resume(void **state)
{
	(void)state;
	char file[PATH_MAX + 32], dir[PATH_MAX + 16];
	write_suite(timed_suite, "terminated.suite", file, sizeof file);
	cy_test_scratch_path(dir, sizeof dir, "terminated");
	cy_suite suite;
	char why[1024];
	assert_int_equal(cy_suite_load(file, &suite, why, sizeof why), 0);
	size_t results;
	terminate_mid_cell(file, dir, "--sequential", &results);
	/* Sequential: the complete cells are the first ones. */
	for (size_t i = 0; i < results; i++)
		assert_true(identify(dir, &suite.cells[i]).present);
	file_id kept = identify(dir, &suite.cells[0]);
	cy_test_outcome o = cy_test_run_cyclab("suite", file, "-o", dir, "--sequential", NULL);
	cy_test_expect_status(&o, 0);
	assert_int_equal(count_prefixed(o.out, "cyclab suite: ["), suite.count - results);
	cy_test_outcome_free(&o);
	expect_every_cell_once(dir, &suite);
	assert_true(same_file(kept, identify(dir, &suite.cells[0])));
	cy_test_remove_tree(dir);
	unlink(file);
	cy_suite_free(&suite);
}

static void sigterm_then_resume_interleaved(void **state)
{
	(void)state;
	char file[PATH_MAX + 32], dir[PATH_MAX + 16];
	write_suite(timed_suite, "terminated-interleaved.suite", file, sizeof file);
	cy_test_scratch_path(dir, sizeof dir, "terminated-interleaved");
	cy_suite suite;
	char why[1024];
	assert_int_equal(cy_suite_load(file, &suite, why, sizeof why), 0);
	size_t results;
	terminate_mid_cell(file, dir, "--interleave", &results);
	/* The order is recorded: its seed, and the cells in the order it was drawn over (the suite's). */
	char record_path[PATH_MAX + 32];
	snprintf(record_path, sizeof record_path, "%s/order.txt", dir);
	cy_suite_order_record record;
	assert_int_equal(cy_suite_order_read(record_path, &record, why, sizeof why), 0);
	assert_int_equal(record.count, suite.count);
	for (size_t i = 0; i < suite.count; i++)
		assert_int_equal(record.ids[i], cy_suite_cell_short_id(&suite.cells[i]));
	/* The same command again continues the recorded order. */
	cy_test_outcome o = cy_test_run_cyclab("suite", file, "-o", dir, NULL);
	cy_test_expect_status(&o, 0);
	assert_non_null(strstr(o.out, "continuing the recorded order"));
	cy_test_outcome_free(&o);
	expect_every_cell_once(dir, &suite);
	/* Every run sits at its place in the one schedule drawn from the recorded seed, before and after the signal. */
	unsigned counts[4] = {2, 2, 2, 2};
	size_t schedule[8];
	assert_int_equal(suite.count, 4);
	cy_suite_shuffle_schedule(counts, 4, record.seed, schedule);
	for (size_t c = 0; c < 4; c++) {
		char name[160], path[PATH_MAX + 200];
		cy_suite_cell_file(&suite.cells[c], name, sizeof name);
		snprintf(path, sizeof path, "%s/%s", dir, name);
		json_error_t error;
		json_t *root = json_load_file(path, 0, &error);
		assert_non_null(root);
		assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "interleave"), "seed")),
			(json_int_t)record.seed);
		json_t *runs = json_object_get(root, "runs");
		assert_int_equal(json_array_size(runs), 2);
		size_t expected = 0;
		for (size_t r = 0; r < 2; r++) {
			while (schedule[expected] != c)
				expected++;
			json_int_t k = json_integer_value(json_object_get(json_array_get(runs, r), "order_index"));
			assert_int_equal(k, (json_int_t)expected);
			expected++;
		}
		json_decref(root);
	}
	cy_suite_order_free(&record);
	cy_test_remove_tree(dir);
	unlink(file);
	cy_suite_free(&suite);
}

/* A result that cannot be written stops the suite there, saying so, instead of running every cell. */
static void unwritable_result_stops(void **state)
{
	(void)state;
	char file[PATH_MAX + 32], dir[PATH_MAX + 16];
	write_suite(batch_suite, "unwritable.suite", file, sizeof file);
	cy_test_scratch_path(dir, sizeof dir, "unwritable");
	cy_suite suite;
	char why[1024];
	assert_int_equal(cy_suite_load(file, &suite, why, sizeof why), 0);
	assert_int_equal(mkdir(dir, 0755), 0);
	/* The second cell's temporary is a directory: its result cannot be written (as root too). */
	char name[160], blocker[PATH_MAX + 200];
	cy_suite_cell_file(&suite.cells[1], name, sizeof name);
	snprintf(blocker, sizeof blocker, "%s/%s.tmp", dir, name);
	assert_int_equal(mkdir(blocker, 0755), 0);
	/* Not empty, so that the writer cannot remove it to make room for its file. */
	char inside[PATH_MAX + 260];
	snprintf(inside, sizeof inside, "%s/keep", blocker);
	FILE *keep = fopen(inside, "w");
	assert_non_null(keep);
	fclose(keep);
	cy_test_outcome o = cy_test_run_cyclab("suite", file, "-o", dir, "--sequential", NULL);
	cy_test_expect_status(&o, 1);
	assert_non_null(strstr(o.err, "cannot write the result of cell 1"));
	assert_non_null(strstr(o.err, "stopping"));
	cy_test_outcome_free(&o);
	assert_true(identify(dir, &suite.cells[0]).present);
	for (size_t i = 1; i < suite.count; i++)
		assert_false(identify(dir, &suite.cells[i]).present);
	unlink(inside);
	rmdir(blocker);
	cy_test_remove_tree(dir);
	unlink(file);
	cy_suite_free(&suite);
}

int main(void)
{
	if (cy_test_cyclab_setup("test_suite") != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_file_parses),
		cmocka_unit_test(bad_files_name_the_line),
		cmocka_unit_test(ranges_and_nproc),
		cmocka_unit_test(identity_follows_the_knobs),
		cmocka_unit_test(nul_byte_refused),
		cmocka_unit_test(matrix_counts),
		cmocka_unit_test(shards_partition_the_matrix),
		cmocka_unit_test(list_lines_parse_back),
		cmocka_unit_test(resumption_skips_done_cells),
		cmocka_unit_test(shards_run_apart_fill_one_directory),
		cmocka_unit_test(interrupt_keeps_complete_results),
		cmocka_unit_test(schedule_is_a_seeded_permutation),
		cmocka_unit_test(seed_values),
		cmocka_unit_test(interleave_keeps_cells_whole),
		cmocka_unit_test(interleave_refuses_bad_seeds),
		cmocka_unit_test(interleave_interrupt_leaves_whole_cells),
		cmocka_unit_test(list_into_a_new_directory),
		cmocka_unit_test(listed_commands_keep_their_knobs),
		cmocka_unit_test(logs_have_a_line_per_cell),
		cmocka_unit_test(sigterm_then_resume),
		cmocka_unit_test(sigterm_then_resume_interleaved),
		cmocka_unit_test(unwritable_result_stops),
	};
	int failed = cmocka_run_group_tests_name("test_suite", tests, NULL, NULL);
	cy_test_remove_tree(cy_test_scratch());
	return failed;
}
