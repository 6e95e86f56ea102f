/*
 * test_result_schema.c: every kind of result cyclab writes satisfies the
 * documented schema, docs/cyclab-result-1.schema.json, as checked by
 * bench/results/json_schema.c; and the checker itself refuses what it
 * should, on small schemas worked by hand.
 *
 * The results come from the built cyclab: one workload under each
 * collector and counting mode, several threads, a workload with string
 * parameters, a run under --pin, and an interleaved suite (whose runs carry
 * order_index and whose results carry "interleave"). Each is checked whole,
 * and summary.csv and runs.csv of the suite have one header and a row per
 * result or per run.
 */
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "bench/results/json_schema.h"
#include "tests/cyclab_binary.h"

static json_t *schema;

static json_t *parse(const char *text)
{
	json_error_t error;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &error);
	if (!v)
		fail_msg("not JSON: %s: %s", text, error.text);
	return v;
}

/* Check text against schema_text; returns the checker's status, why into why. */
static int check_text(const char *schema_text, const char *text, char *why, size_t len)
{
	json_t *s = parse(schema_text), *v = parse(text);
	int err = cy_json_schema_check(s, v, why, len);
	json_decref(s);
	json_decref(v);
	return err;
}

static void checker_by_hand(void **state)
{
	(void)state;
	char why[512];
	const char *s = "{\"type\": \"object\", \"required\": [\"a\"], \"properties\": {\"a\": {\"type\": \"integer\", "
			"\"minimum\": 1}, \"b\": {\"type\": \"array\", \"items\": {\"$ref\": \"#/$defs/kind\"}}}, "
			"\"additionalProperties\": false, \"$defs\": {\"kind\": {\"enum\": [\"x\", \"y\"]}}}";
	assert_int_equal(check_text(s, "{\"a\": 2, \"b\": [\"x\", \"y\"]}", why, sizeof why), 0);
	assert_int_equal(check_text(s, "{\"b\": []}", why, sizeof why), -1);
	assert_string_equal(why, "(document): required key \"a\" is missing");
	assert_int_equal(check_text(s, "{\"a\": 0}", why, sizeof why), -1);
	assert_string_equal(why, ".a: 0 is below the minimum 1");
	assert_int_equal(check_text(s, "{\"a\": 1.5}", why, sizeof why), -1);
	assert_string_equal(why, ".a: expected integer, found number");
	assert_int_equal(check_text(s, "{\"a\": 1, \"b\": [\"x\", \"z\"]}", why, sizeof why), -1);
	assert_string_equal(why, ".b[1]: \"z\" is not one of the values allowed");
	assert_int_equal(check_text(s, "{\"a\": 1, \"c\": 3}", why, sizeof why), -1);
	assert_string_equal(why, "(document): key \"c\" is not allowed here");
	assert_int_equal(check_text(s, "[1]", why, sizeof why), -1);
	assert_string_equal(why, "(document): expected object, found array");
	/* "number" admits integers; a list of types; const. */
	assert_int_equal(check_text("{\"type\": [\"number\", \"null\"]}", "3", why, sizeof why), 0);
	assert_int_equal(check_text("{\"type\": [\"number\", \"null\"]}", "null", why, sizeof why), 0);
	assert_int_equal(check_text("{\"type\": [\"number\", \"null\"]}", "\"3\"", why, sizeof why), -1);
	assert_string_equal(why, "(document): expected number or null, found string");
	assert_int_equal(check_text("{\"const\": false}", "true", why, sizeof why), -1);
	/* A keyword the checker does not know is refused, not ignored. */
	assert_int_equal(check_text("{\"pattern\": \"^a\"}", "\"b\"", why, sizeof why), -1);
	assert_string_equal(why, "(document): the schema uses \"pattern\", which this checker does not understand");
	assert_int_equal(check_text("{\"$ref\": \"#/$defs/none\"}", "1", why, sizeof why), -1);
}

static void expect_valid_file(const char *path)
{
	json_error_t error;
	json_t *doc = json_load_file(path, 0, &error);
	if (!doc)
		fail_msg("%s is not JSON: %s", path, error.text);
	char why[512];
	if (cy_json_schema_check(schema, doc, why, sizeof why) != 0)
		fail_msg("%s: %s", path, why);
	json_decref(doc);
}

/* Run cyclab run with the given words and -o a scratch file, then check the file. */
static void run_and_check(const char *name, const char *const *words)
{
	char out[PATH_MAX];
	cy_test_scratch_path(out, sizeof out, name);
	const char *argv[24];
	size_t n = 0;
	argv[n++] = "run";
	for (; *words; words++)
		argv[n++] = *words;
	argv[n++] = "--quiet";
	argv[n++] = "-o";
	argv[n++] = out;
	while (n < 23)
		argv[n++] = NULL;
	argv[23] = NULL;
	cy_test_outcome o = cy_test_run_cyclab(argv[0], argv[1], argv[2], argv[3], argv[4], argv[5], argv[6], argv[7],
		argv[8], argv[9], argv[10], argv[11], argv[12], argv[13], argv[14], argv[15], argv[16], argv[17], argv[18],
		argv[19], argv[20], argv[21], argv[22], NULL);
	cy_test_expect_status(&o, 0);
	cy_test_outcome_free(&o);
	expect_valid_file(out);
}

static void run_results_match_the_schema(void **state)
{
	(void)state;
	static const char *const stw[] = {"linked-cycles", "--ops", "20000", "--repeat", "2", "--warmup", "0", NULL};
	static const char *const off[] = {"linked-cycles", "--gc", "off", "--ops", "5000", "--repeat", "2", "--warmup",
		"0", NULL};
	static const char *const incremental[] = {"gc-collect", "--gc", "incremental", "--rc", "atomic", "--threads",
		"2", "--ops", "20000", "--repeat", "2", "--warmup", "0", NULL};
	static const char *const concurrent[] = {"linked-cycles", "--gc", "concurrent", "--rc", "biased", "--threads",
		"2", "--ops", "20000", "--repeat", "2", "--warmup", "0", NULL};
	static const char *const caches[] = {"caches", "--ops", "20000", "--repeat", "2", "--warmup", "0", "--pin",
		"compact", NULL};
	static const char *const nonatomic[] = {"binary-trees", "--rc", "nonatomic", "--ops", "200", "--repeat", "1",
		"--warmup", "0", NULL};
	run_and_check("stw.json", stw);
	run_and_check("off.json", off);
	run_and_check("incremental.json", incremental);
	run_and_check("concurrent.json", concurrent);
	run_and_check("caches.json", caches);
	run_and_check("nonatomic.json", nonatomic);
}

static size_t count_lines(const char *path)
{
	char *text = cy_test_slurp(path, NULL);
	assert_non_null(text);
	size_t n = (size_t)cy_test_count_lines(text);
	free(text);
	return n;
}

static void suite_results_match_the_schema(void **state)
{
	(void)state;
	char suite[PATH_MAX], dir[PATH_MAX], path[PATH_MAX * 2];
	cy_test_scratch_path(suite, sizeof suite, "schema.suite");
	cy_test_scratch_path(dir, sizeof dir, "schema-suite");
	cy_test_write_text(suite, "set ops = 3000\nset warmup = 0\nset repeat = 2\n"
				  "workload linked-cycles\nset gc = off, stw\n"
				  "workload caches\nparam variant = lru, unbounded\n");
	cy_test_outcome o = cy_test_run_cyclab("suite", suite, "-o", dir, "--interleave", "--seed", "5", NULL);
	cy_test_expect_status(&o, 0);
	cy_test_outcome_free(&o);
	DIR *d = opendir(dir);
	assert_non_null(d);
	size_t results = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "cell-", 5) != 0 || !strstr(e->d_name, ".json"))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		expect_valid_file(path);
		results++;
	}
	closedir(d);
	assert_int_equal(results, 4);
	/* The tables: a header, then a row per result and a row per measured run. */
	snprintf(path, sizeof path, "%s/summary.csv", dir);
	assert_int_equal(count_lines(path), 1 + 4);
	snprintf(path, sizeof path, "%s/runs.csv", dir);
	assert_int_equal(count_lines(path), 1 + 4 * 2);
	char *runs = cy_test_slurp(path, NULL);
	assert_non_null(runs);
	/* Every config key once, params of both workloads among them, after file, run and workload. */
	assert_true(strncmp(runs, "file,run,workload,alloc,duration_s,gc,ops,params.", 49) == 0);
	assert_null(strstr(runs + 18, ",workload,"));
	assert_non_null(strstr(runs, ",params.variant,"));
	assert_non_null(strstr(runs, ",params.length,"));
	free(runs);
	/* A cell that never paused has empty pause columns: "off" runs no collection. */
	snprintf(path, sizeof path, "%s/summary.csv", dir);
	char *csv = cy_test_slurp(path, NULL);
	assert_non_null(csv);
	const char *row = strstr(csv, "-off.json,");
	assert_non_null(row);
	const char *header = strstr(csv, "pause_p99_us_median");
	assert_non_null(header);
	/* The column of pause_p99_us_median, counted in the header, is empty in that row. */
	size_t column = 0;
	for (const char *c = csv; c < header; c++)
		column += *c == ',';
	const char *start = row;
	while (*start != '\n' && start > csv)
		start--;
	start++;
	size_t at = 0;
	int quoted = 0;
	const char *field = start;
	for (const char *c = start; *c && *c != '\n'; c++) {
		if (*c == '"')
			quoted = !quoted;
		else if (*c == ',' && !quoted && ++at == column)
			field = c + 1;
	}
	assert_true(field[0] == ',');
	free(csv);
}

int main(void)
{
	if (cy_test_cyclab_setup("test_result_schema") != 0)
		return 1;
	char path[PATH_MAX];
	const char *here = __FILE__, *slash = strrchr(here, '/');
	snprintf(path, sizeof path, "%.*s/../docs/cyclab-result-1.schema.json", slash ? (int)(slash - here) : 1,
		slash ? here : ".");
	json_error_t error;
	schema = json_load_file(path, 0, &error);
	if (!schema) {
		fprintf(stderr, "test_result_schema: cannot read %s: %s\n", path, error.text);
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(checker_by_hand),
		cmocka_unit_test(run_results_match_the_schema),
		cmocka_unit_test(suite_results_match_the_schema),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	json_decref(schema);
	return failed;
}
