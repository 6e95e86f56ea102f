/*
 * test_cli.c: the cyclab command as a user meets it.
 *
 * Each test runs the built binary ($builddir/cyclab, found beside this
 * program's directory) with posix_spawn, its standard output and error in
 * temporary files, and checks the exit status and the text: every kind of
 * bad input is exit status 2 with exactly one line on stderr that names
 * what is valid and nothing on stdout; a good short run exits 0 and leaves
 * a complete JSON result (checked by a small validating parser below, which
 * also collects every key path so the schema's required keys can be
 * looked up) and no FILE.tmp beside it.
 *
 * The workload runs here are a few thousand operations: quick under the
 * sanitizers too. Not a benchmark.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/cyclab_binary.h"

/* ---- bad input ---------------------------------------------------------------------- */

static void unknown_workload(void **state)
{
	(void)state;
	cy_test_expect_refusal(cy_test_run_cyclab("run", "no-such-workload", NULL),
		"unknown workload 'no-such-workload'", "linked-cycles");
}

static void no_workload(void **state)
{
	(void)state;
	cy_test_expect_refusal(cy_test_run_cyclab("run", "--threads", "2", NULL), "no workload given", "linked-cycles");
}

static void unknown_option(void **state)
{
	(void)state;
	cy_test_expect_refusal(
		cy_test_run_cyclab("run", "linked-cycles", "--bogus", NULL), "unknown option '--bogus'", "--threads");
	cy_test_expect_refusal(cy_test_run_cyclab("run", "linked-cycles", "--rc", "refcount", NULL),
		"unknown --rc 'refcount'", "nonatomic, atomic, biased");
	cy_test_expect_refusal(cy_test_run_cyclab("run", "linked-cycles", "--gc=sometimes", NULL),
		"unknown --gc 'sometimes'", "off, stw, incremental, concurrent");
	cy_test_expect_refusal(cy_test_run_cyclab("run", "linked-cycles", "--alloc", "tcmalloc", NULL),
		"unknown --alloc 'tcmalloc'", "pool, malloc, mimalloc, jemalloc");
	cy_test_expect_refusal(
		cy_test_run_cyclab("run", "linked-cycles", "--threads", NULL), "--threads needs a value", NULL);
}

static void unknown_param_key(void **state)
{
	(void)state;
	cy_test_expect_refusal(cy_test_run_cyclab("run", "linked-cycles", "--param", "depth=3", NULL),
		"unknown parameter 'depth'", "length, live, live_size, payload");
	cy_test_expect_refusal(cy_test_run_cyclab("run", "linked-cycles", "--param", "length", NULL),
		"--param takes key=value", "length");
}

static void malformed_value(void **state)
{
	(void)state;
	cy_test_expect_refusal(cy_test_run_cyclab("run", "linked-cycles", "--param", "length=abc", NULL), "length=abc",
		"an integer in 1..1000");
	cy_test_expect_refusal(
		cy_test_run_cyclab("run", "linked-cycles", "--param=length=0", NULL), "length=0", "1..1000");
	cy_test_expect_refusal(
		cy_test_run_cyclab("run", "linked-cycles", "--param", "live=1.5", NULL), "live=1.5", "0..1");
	cy_test_expect_refusal(
		cy_test_run_cyclab("run", "linked-cycles", "--threads", "0", NULL), "--threads", "1..256");
	cy_test_expect_refusal(cy_test_run_cyclab("run", "linked-cycles", "--duration", "-1", NULL),
		"--duration=-1: not valid", "seconds above 0");
	cy_test_expect_refusal(cy_test_run_cyclab("run", "linked-cycles", "--ops", "12x", NULL), "--ops=12x: not valid",
		"valid: an integer");
	cy_test_expect_refusal(
		cy_test_run_cyclab("run", "linked-cycles", "--ops", "10", "--duration", "1", NULL), "not both", NULL);
}

static void malformed_threshold(void **state)
{
	(void)state;
	static const char *const bad[] = {"700,10", "700,10,10,10", "a,b,c", "700,,10", "-1,10,10", "700,10,", ""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cy_test_expect_refusal(cy_test_run_cyclab("run", "linked-cycles", "--threshold", bad[i], NULL),
			"malformed --threshold", "A,B,C");
}

static void nonatomic_with_threads(void **state)
{
	(void)state;
	cy_test_expect_refusal(cy_test_run_cyclab("run", "linked-cycles", "--rc", "nonatomic", "--threads", "2", NULL),
		"--rc nonatomic allows one thread", "--rc atomic|biased");
}

static void unwritable_output(void **state)
{
	(void)state;
	cy_test_expect_refusal(
		cy_test_run_cyclab("run", "linked-cycles", "-o", "/nonexistent-directory/result.json", NULL),
		"cannot write", "writable directory");
	cy_test_expect_refusal(
		cy_test_run_cyclab("run", "linked-cycles", "-o", cy_test_scratch(), NULL), "is a directory", NULL);
}

/* The concurrent collector runs with the counting modes it can read from its own thread, and refuses nonatomic. */
static void concurrent_collector_runs(void **state)
{
	(void)state;
	cy_test_outcome o = cy_test_run_cyclab("run", "linked-cycles", "--gc", "concurrent", "--rc", "atomic", "--ops",
					       "20000", "--repeat", "1", "--warmup", "0", "--quiet", NULL);
	cy_test_expect_status(&o, 0);
	cy_test_outcome_free(&o);
	o = cy_test_run_cyclab("run", "linked-cycles", "--gc", "concurrent", "--rc", "nonatomic", "--ops", "100",
			       "--quiet", NULL);
	cy_test_expect_refusal(o, "concurrent collector is not available with --rc nonatomic", "--rc atomic or biased");
}

/* ---- help and list ------------------------------------------------------------------- */

static void list_and_help(void **state)
{
	(void)state;
	cy_test_outcome o = cy_test_run_cyclab("list", NULL);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.out, "linked-cycles"));
	cy_test_outcome_free(&o);

	o = cy_test_run_cyclab("run", "linked-cycles", "--help", NULL);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.out, "length"));
	assert_non_null(strstr(o.out, "(default 2; an integer in 1..1000)"));
	assert_non_null(strstr(o.out, "--threshold A,B,C"));
	assert_string_equal(o.err, "");
	cy_test_outcome_free(&o);

	o = cy_test_run_cyclab("run", "--help", NULL);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.out, "usage: cyclab run NAME"));
	cy_test_outcome_free(&o);

	cy_test_expect_refusal(cy_test_run_cyclab("list", "extra", NULL), "takes no arguments", NULL);
}

/* ---- a good run and its JSON ----------------------------------------------------------- */

/*
 * A validating JSON parser (RFC 8259 syntax) that records the path of
 * every key it meets, "runs[].pauses.p50_us" style, for lookups.
 */
typedef struct json_parser {
	const char *p;
	char paths[4096][96];
	size_t path_count;
	int failed;
} json_parser;

static void skip_space(json_parser *j)
{
	while (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r')
		j->p++;
}

static int parse_value(json_parser *j, const char *path);

static int parse_string(json_parser *j, char *out, size_t len)
{
	if (*j->p != '"')
		return -1;
	j->p++;
	size_t n = 0;
	while (*j->p != '"') {
		unsigned char c = (unsigned char)*j->p;
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			j->p++;
			if (*j->p == 'u') {
				for (int k = 1; k <= 4; k++) {
					if (!strchr("0123456789abcdefABCDEF", j->p[k]) || !j->p[k])
						return -1;
				}
				j->p += 4;
			} else if (!strchr("\"\\/bfnrt", *j->p) || !*j->p) {
				return -1;
			}
		}
		if (out && n + 1 < len)
			out[n++] = (char)c;
		j->p++;
	}
	j->p++;
	if (out)
		out[n] = '\0';
	return 0;
}

static int parse_number(json_parser *j)
{
	const char *start = j->p;
	if (*j->p == '-')
		j->p++;
	if (*j->p == '0')
		j->p++;
	else if (*j->p >= '1' && *j->p <= '9')
		while (*j->p >= '0' && *j->p <= '9')
			j->p++;
	else
		return -1;
	if (*j->p == '.') {
		j->p++;
		if (!(*j->p >= '0' && *j->p <= '9'))
			return -1;
		while (*j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (*j->p == 'e' || *j->p == 'E') {
		j->p++;
		if (*j->p == '+' || *j->p == '-')
			j->p++;
		if (!(*j->p >= '0' && *j->p <= '9'))
			return -1;
		while (*j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	return j->p > start ? 0 : -1;
}

static void add_path(json_parser *j, const char *path)
{
	for (size_t i = 0; i < j->path_count; i++) {
		if (strcmp(j->paths[i], path) == 0)
			return;
	}
	if (j->path_count < sizeof j->paths / sizeof j->paths[0])
		snprintf(j->paths[j->path_count++], sizeof j->paths[0], "%s", path);
}

static int parse_value(json_parser *j, const char *path)
{
	skip_space(j);
	char sub[96];
	if (*j->p == '{') {
		j->p++;
		skip_space(j);
		if (*j->p == '}') {
			j->p++;
			return 0;
		}
		for (;;) {
			skip_space(j);
			char key[64];
			if (parse_string(j, key, sizeof key) != 0)
				return -1;
			snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", key);
			add_path(j, sub);
			skip_space(j);
			if (*j->p++ != ':')
				return -1;
			if (parse_value(j, sub) != 0)
				return -1;
			skip_space(j);
			if (*j->p == ',') {
				j->p++;
				continue;
			}
			if (*j->p++ != '}')
				return -1;
			return 0;
		}
	}
	if (*j->p == '[') {
		j->p++;
		snprintf(sub, sizeof sub, "%s[]", path);
		skip_space(j);
		if (*j->p == ']') {
			j->p++;
			return 0;
		}
		for (;;) {
			if (parse_value(j, sub) != 0)
				return -1;
			skip_space(j);
			if (*j->p == ',') {
				j->p++;
				continue;
			}
			if (*j->p++ != ']')
				return -1;
			return 0;
		}
	}
	if (*j->p == '"')
		return parse_string(j, NULL, 0);
	if (strncmp(j->p, "true", 4) == 0 || strncmp(j->p, "null", 4) == 0) {
		j->p += 4;
		return 0;
	}
	if (strncmp(j->p, "false", 5) == 0) {
		j->p += 5;
		return 0;
	}
	return parse_number(j);
}

static int has_path(const json_parser *j, const char *path)
{
	for (size_t i = 0; i < j->path_count; i++) {
		if (strcmp(j->paths[i], path) == 0)
			return 1;
	}
	return 0;
}

static void good_run_writes_json(void **state)
{
	(void)state;
	char result[PATH_MAX + 32], tmp[PATH_MAX + 48];
	cy_test_scratch_path(result, sizeof result, "result.json");
	snprintf(tmp, sizeof tmp, "%s.tmp", result);
	cy_test_outcome o = cy_test_run_cyclab("run", "linked-cycles", "--ops", "3000", "--repeat", "2", "--warmup",
		"0", "--threads", "2", "--param", "length=3", "--quiet", "-o", result, NULL);
	if (o.status != 0)
		fprintf(stderr, "status %d, stderr: %s\n", o.status, o.err);
	assert_int_equal(o.status, 0);
	assert_string_equal(o.out, "");
	assert_string_equal(o.err, "");
	cy_test_outcome_free(&o);

	struct stat st;
	assert_int_not_equal(stat(tmp, &st), 0); /* no half-written file left behind */
	char *text = cy_test_slurp(result, NULL);
	assert_non_null(text);
	json_parser *j = calloc(1, sizeof *j);
	assert_non_null(j);
	j->p = text;
	assert_int_equal(parse_value(j, ""), 0);
	skip_space(j);
	assert_int_equal(*j->p, '\0');
	assert_non_null(strstr(text, "\"schema\": \"cyclab-result/1\""));
	assert_non_null(strstr(text, "\"status\": \"ok\""));
	assert_non_null(strstr(text, "\"length\": 3"));

	static const char *const required[] = {
		"schema", "workload", "version", "config", "config.threads", "config.rc", "config.gc",
		"config.threshold", "config.pause_budget_us", "config.alloc", "config.duration_s", "config.ops",
		"config.seed", "config.warmup", "config.repeat", "config.params.length", "config.params.live",
		"machine.cpu_model", "machine.cpus_online", "machine.topology", "runs", "runs[].ops", "runs[].seconds",
		"runs[].ops_per_s", "runs[].pauses.count", "runs[].pauses.total_ms", "runs[].pauses.p50_us",
		"runs[].pauses.p90_us", "runs[].pauses.p99_us", "runs[].pauses.p999_us", "runs[].pauses.max_us",
		"runs[].pauses.mmu.1ms", "runs[].pauses.mmu.10ms", "runs[].pauses.mmu.100ms",
		"runs[].gc.collections", "runs[].gc.collected", "runs[].gc.uncollectable", "runs[].gc.phase_ms.mark",
		"runs[].rc.nonatomic_ops", "runs[].rc.atomic_ops", "runs[].rc.merges", "runs[].locks.acquisitions",
		"runs[].locks.contended", "runs[].locks.wait_ns", "runs[].memory.peak_rss_bytes",
		"runs[].memory.rss_start_bytes", "runs[].memory.peak_rss_growth_bytes",
		"runs[].memory.pool_bytes_mapped", "runs[].memory.live_objects_end", "runs[].leaked_objects",
		"runs[].metrics.kept_fraction", "runs[].series.time_s", "runs[].series.ops",
		"runs[].series.heap_bytes", "runs[].series.live_objects", "runs[].noise.user_s", "runs[].noise.system_s",
		"runs[].noise.voluntary_switches", "runs[].noise.involuntary_switches", "runs[].noise.load_average",
		"runs[].noise.cpu_asked_s", "runs[].noise.runqueue_wait_s", "runs[].noise.disturbed",
		"runs[].pauses.cpu_ms", "runs[].pauses.preempted", "runs[].pauses.not_preempted.p99_us",
		"summary.disturbed_runs", "summary.leaked_objects",
	};
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
		if (!has_path(j, required[i]))
			fprintf(stderr, "missing key %s\n", required[i]);
		assert_true(has_path(j, required[i]));
	}
	/* Two runs of exactly 3000 operations each, nothing leaked. */
	const char *p = text;
	int runs = 0;
	while ((p = strstr(p, "\"ops\": 3000,")) != NULL) {
		runs++;
		p++;
	}
	assert_int_equal(runs, 3); /* config.ops and each run's ops */
	runs = 0;
	for (p = text; (p = strstr(p, "\"leaked_objects\": 0,")) != NULL; p++)
		runs++;
	assert_int_equal(runs, 3); /* each run's, and the summary's: the most one run left */
	free(j);
	free(text);
	unlink(result);
}

int main(void)
{
	if (cy_test_cyclab_setup("test_cli") != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unknown_workload),
		cmocka_unit_test(no_workload),
		cmocka_unit_test(unknown_option),
		cmocka_unit_test(unknown_param_key),
		cmocka_unit_test(malformed_value),
		cmocka_unit_test(malformed_threshold),
		cmocka_unit_test(nonatomic_with_threads),
		cmocka_unit_test(unwritable_output),
		cmocka_unit_test(concurrent_collector_runs),
		cmocka_unit_test(list_and_help),
		cmocka_unit_test(good_run_writes_json),
	};
	int failed = cmocka_run_group_tests_name("test_cli", tests, NULL, NULL);
	cy_test_remove_tree(cy_test_scratch());
	return failed;
}
