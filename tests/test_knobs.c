/*
 * test_knobs.c: the knobs of `cyclab run` from the environment, number
 * suffixes, --show-config, --trace-gc and --trace-gc-json, and --pin.
 *
 * Each test runs the built cyclab (tests/cyclab_binary.c finds it) with an
 * environment made here: the test's own CYCLAB_ variables on top of this
 * process's environment with every CYCLAB_ variable taken out (so a
 * variable in the shell that runs the tests changes nothing; sanitizer
 * options pass through). Results and traces are read back with jansson.
 * Runs are a few thousand operations: quick under the sanitizers too.
 */
#include <jansson.h>
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

/*
 * Run cyclab with set (NULL-terminated "NAME=VALUE" strings added to the
 * environment, may be NULL) and the arguments after it (NULL-terminated);
 * no CYCLAB_ variable of this process's environment is passed on.
 */
static __attribute__((sentinel)) cy_test_outcome run_with_env(const char *const *set, const char *first, ...)
{
	const cy_test_env env = {.set = set, .drop_prefix = "CYCLAB_"};
	va_list args;
	va_start(args, first);
	cy_test_outcome o = cy_test_run_cyclabv(&env, first, args);
	va_end(args);
	return o;
}

/*
 * The --show-config row of knob: its value and source must be as given.
 * Rows read "KNOB VALUE SOURCE VARIABLE", the value a single word except
 * for "- (timed run)" and "- (counted run)".
 */
static void expect_row(const char *show, const char *knob, const char *value, const char *source)
{
	char start[64];
	snprintf(start, sizeof start, "\n%s ", knob);
	const char *row = strstr(show, start);
	if (!row)
		fail_msg("no row for %s in:\n%s", knob, show);
	char got_knob[64], got_value[64], got_source[64];
	assert_int_equal(sscanf(row + 1, "%63s %63s %63s", got_knob, got_value, got_source), 3);
	if (strcmp(got_value, value) != 0 || strcmp(got_source, source) != 0)
		fail_msg("%s: value %s from %s, expected %s from %s", knob, got_value, got_source, value, source);
}

/* Run --show-config for workload with env and up to four more arguments; exit 0, its stdout. */
static char *show_config(const char *const *env, const char *workload, const char *a1, const char *a2,
	const char *a3, const char *a4)
{
	cy_test_outcome o = run_with_env(env, "run", workload, "--show-config", a1, a2, a3, a4, NULL);
	cy_test_expect_status(&o, 0);
	assert_string_equal(o.err, "");
	free(o.err);
	return o.out;
}

static json_t *load_json(const char *path)
{
	json_error_t error;
	json_t *doc = json_load_file(path, 0, &error);
	if (!doc)
		fail_msg("%s: not JSON: %s (line %d)", path, error.text, error.line);
	return doc;
}

/* doc's value at a dotted path ("config.threads"); fails the test if absent. */
static json_t *at(json_t *doc, const char *path)
{
	char copy[256];
	snprintf(copy, sizeof copy, "%s", path);
	json_t *v = doc;
	for (char *save, *key = strtok_r(copy, ".", &save); key; key = strtok_r(NULL, ".", &save)) {
		v = json_object_get(v, key);
		if (!v)
			fail_msg("no %s (at %s)", path, key);
	}
	return v;
}

static void expect_json_string(json_t *doc, const char *path, const char *value)
{
	json_t *v = at(doc, path);
	if (!json_is_string(v) || strcmp(json_string_value(v), value) != 0)
		fail_msg("%s: expected \"%s\"", path, value);
}

static json_int_t json_int_at(json_t *doc, const char *path)
{
	json_t *v = at(doc, path);
	if (!json_is_integer(v))
		fail_msg("%s: not an integer", path);
	return json_integer_value(v);
}

/* Collections of a run entry, all generations. */
static json_int_t run_collections(json_t *run)
{
	json_t *per_gen = at(run, "gc.collections");
	assert_true(json_is_array(per_gen));
	json_int_t total = 0;
	size_t i;
	json_t *v;
	json_array_foreach (per_gen, i, v)
		total += json_integer_value(v);
	return total;
}

static void file_is_absent(const char *path)
{
	struct stat st;
	assert_int_not_equal(stat(path, &st), 0);
}

/* ---- the environment ---------------------------------------------------------------- */

/* A run takes its knobs from CYCLAB_ variables, the command line beating them; the result says which. */
static void environment_sets_knobs_and_command_line_wins(void **state)
{
	(void)state;
	char result[PATH_MAX + 32];
	cy_test_scratch_path(result, sizeof result, "env.json");
	const char *const env[] = {"CYCLAB_THREADS=2", "CYCLAB_RC=atomic", "CYCLAB_PARAM_LENGTH=3",
		"CYCLAB_WARMUP=0", "CYCLAB_REPEAT=1", "CYCLAB_OPS=2000", NULL};
	cy_test_outcome o = run_with_env(env, "run", "linked-cycles", "--threads", "1", "--quiet", "-o", result, NULL);
	cy_test_expect_status(&o, 0);
	assert_string_equal(o.err, "");
	cy_test_outcome_free(&o);

	json_t *doc = load_json(result);
	assert_int_equal(json_int_at(doc, "config.threads"), 1);
	expect_json_string(doc, "config.rc", "atomic");
	assert_int_equal(json_int_at(doc, "config.params.length"), 3);
	assert_int_equal(json_int_at(doc, "config.ops"), 2000);
	expect_json_string(doc, "config_sources.threads", "command-line");
	expect_json_string(doc, "config_sources.rc", "environment");
	expect_json_string(doc, "config_sources.ops", "environment");
	expect_json_string(doc, "config_sources.gc", "default");
	expect_json_string(doc, "config_sources.params.length", "environment");
	expect_json_string(doc, "config_sources.params.live", "default");
	json_t *runs = at(doc, "runs");
	assert_int_equal(json_array_size(runs), 1); /* CYCLAB_REPEAT */
	json_t *run = json_array_get(runs, 0);
	assert_int_equal(json_int_at(run, "ops"), 2000);
	assert_int_equal(json_array_size(at(run, "placement.threads")), 1); /* one thread ran, not two */
	json_decref(doc);
	unlink(result);
}

/* Arguments that keep a run short, should a refusal fail to come. */
#define SHORT "--duration", "0.05", "--warmup", "0", "--repeat", "1", "--quiet"

static void bad_values_in_the_environment_are_refused(void **state)
{
	(void)state;
	const char *const threads[] = {"CYCLAB_THREADS=abc", NULL};
	cy_test_expect_refusal(run_with_env(threads, "run", "linked-cycles", SHORT, NULL), "CYCLAB_THREADS=abc",
		"1..256");
	/* Even when the command line sets the knob too: it is wrong wherever it would be taken from. */
	const char *const zero[] = {"CYCLAB_THREADS=0", NULL};
	cy_test_expect_refusal(run_with_env(zero, "run", "linked-cycles", "--threads", "1", SHORT, NULL),
		"CYCLAB_THREADS=0", "1..256");
	const char *const rc[] = {"CYCLAB_RC=refcount", NULL};
	cy_test_expect_refusal(
		run_with_env(rc, "run", "linked-cycles", SHORT, NULL), "CYCLAB_RC", "nonatomic, atomic, biased");
	const char *const threshold[] = {"CYCLAB_THRESHOLD=700,10", NULL};
	cy_test_expect_refusal(
		run_with_env(threshold, "run", "linked-cycles", SHORT, NULL), "CYCLAB_THRESHOLD", "A,B,C");
	const char *const pin[] = {"CYCLAB_PIN=everywhere", NULL};
	cy_test_expect_refusal(
		run_with_env(pin, "run", "linked-cycles", SHORT, NULL), "CYCLAB_PIN", "none, compact, scatter");
	const char *const param[] = {"CYCLAB_PARAM_LIVE_SIZE=-5", NULL};
	cy_test_expect_refusal(
		run_with_env(param, "run", "linked-cycles", SHORT, NULL), "CYCLAB_PARAM_LIVE_SIZE", "1..10000000");
	const char *const both[] = {"CYCLAB_DURATION=1", "CYCLAB_OPS=100", NULL};
	cy_test_expect_refusal(
		run_with_env(both, "run", "linked-cycles", SHORT, NULL), "CYCLAB_DURATION and CYCLAB_OPS", NULL);
	/* A combination refused as a whole says which values came from the environment. */
	const char *const nonatomic[] = {"CYCLAB_RC=nonatomic", NULL};
	cy_test_expect_refusal(run_with_env(nonatomic, "run", "linked-cycles", "--threads", "2", SHORT, NULL),
		"--rc nonatomic allows one thread", "from the environment: CYCLAB_RC=nonatomic");
}

static void stray_variables(void **state)
{
	(void)state;
	/* A misspelt knob is refused, naming the knob it resembles. */
	const char *const thread[] = {"CYCLAB_THREAD=2", NULL};
	cy_test_expect_refusal(run_with_env(thread, "run", "linked-cycles", SHORT, NULL), "CYCLAB_THREAD",
		"did you mean CYCLAB_THREADS");
	const char *const budget[] = {"CYCLAB_PAUSE_BUDGET=100", NULL};
	cy_test_expect_refusal(
		run_with_env(budget, "run", "linked-cycles", SHORT, NULL), "did you mean CYCLAB_PAUSE_BUDGET_US", NULL);
	/* A parameter no workload has is refused; one of another workload is ignored with a warning. */
	const char *const nope[] = {"CYCLAB_PARAM_NOPE=1", NULL};
	cy_test_expect_refusal(run_with_env(nope, "run", "linked-cycles", SHORT, NULL), "CYCLAB_PARAM_NOPE",
		"CYCLAB_PARAM_LIVE_SIZE");
	const char *const depth[] = {"CYCLAB_PARAM_DEPTH=3", NULL};
	cy_test_outcome o = run_with_env(depth, "run", "linked-cycles", "--show-config", NULL);
	cy_test_expect_status(&o, 0);
	assert_int_equal(cy_test_count_lines(o.err), 1);
	assert_non_null(strstr(o.err, "warning: CYCLAB_PARAM_DEPTH is ignored"));
	cy_test_outcome_free(&o);
	/* Anything else with the prefix: a warning. */
	const char *const other[] = {"CYCLAB_REPORT_STYLE=dark", NULL};
	o = run_with_env(other, "run", "linked-cycles", "--show-config", NULL);
	cy_test_expect_status(&o, 0);
	assert_int_equal(cy_test_count_lines(o.err), 1);
	assert_non_null(strstr(o.err, "warning: CYCLAB_REPORT_STYLE is not a knob"));
	cy_test_outcome_free(&o);
	/* Variables other parts of cyclab read pass without a word. */
	const char *const foreign[] = {"CYCLAB_TEST_SEED=5", "CYCLAB_MICRO_ROUNDS=2", "CYCLAB_POOL_ARENA_CACHE=4",
		"CYCLAB_GNUPLOT=/usr/bin/gnuplot", NULL};
	free(show_config(foreign, "linked-cycles", NULL, NULL, NULL, NULL));
}

/* ---- numbers ------------------------------------------------------------------------- */

static void suffixes(void **state)
{
	(void)state;
	char *show = show_config(NULL, "linked-cycles", "--ops", "1K", "--param", "live_size=3K");
	expect_row(show, "ops", "1000", "command-line");
	expect_row(show, "param.live_size", "3000", "command-line");
	free(show);
	const char *const env[] = {"CYCLAB_OPS=2M", "CYCLAB_THRESHOLD=1k,10,10", NULL};
	show = show_config(env, "linked-cycles", NULL, NULL, NULL, NULL);
	expect_row(show, "ops", "2000000", "environment");
	expect_row(show, "duration", "-", "environment"); /* the counted run turned the timed one off */
	expect_row(show, "threshold", "1000,10,10", "environment");
	free(show);
	show = show_config(NULL, "linked-cycles", "--ops", "3G", NULL, NULL);
	expect_row(show, "ops", "3000000000", "command-line");
	free(show);
	/* Byte sizes count in powers of 1024. */
	show = show_config(NULL, "caches", "--param", "value_bytes=1K", NULL, NULL);
	expect_row(show, "param.value_bytes", "1024", "command-line");
	free(show);
	show = show_config(NULL, "memory-idioms", "--param", "buffer_bytes=2M", NULL, NULL);
	expect_row(show, "param.buffer_bytes", "2097152", "command-line");
	free(show);

	cy_test_expect_refusal(run_with_env(NULL, "run", "linked-cycles", "--ops", "1Q", NULL), "--ops=1Q: not valid", "valid: an integer");
	cy_test_expect_refusal(run_with_env(NULL, "run", "linked-cycles", "--ops", "1KK", NULL), "--ops=1KK: not valid", "valid: an integer");
	const char *const env_bad[] = {"CYCLAB_OPS=1Q", NULL};
	cy_test_expect_refusal(run_with_env(env_bad, "run", "linked-cycles", SHORT, NULL), "CYCLAB_OPS=1Q", "K, M, G");
	cy_test_expect_refusal(run_with_env(NULL, "run", "caches", "--param", "value_bytes=2M", NULL), "value_bytes=2M",
		"8..1048576");
}

/* ---- --show-config --------------------------------------------------------------------- */

static void show_config_lists_every_knob_and_its_source(void **state)
{
	(void)state;
	char result[PATH_MAX + 32];
	cy_test_scratch_path(result, sizeof result, "never.json");
	const char *const env[] = {"CYCLAB_RC=atomic", "CYCLAB_THREADS=4", "CYCLAB_PARAM_LIVE=0.5", "CYCLAB_PIN=scatter",
		NULL};
	char *show = show_config(env, "linked-cycles", "--threads", "2", "-o", result);
	expect_row(show, "threads", "2", "command-line");
	expect_row(show, "rc", "atomic", "environment");
	expect_row(show, "shared-rc", "off", "default");
	expect_row(show, "gc", "stw", "default");
	expect_row(show, "threshold", "700,10,10", "default");
	expect_row(show, "pause-budget-us", "200", "default");
	expect_row(show, "alloc", "pool", "default");
	expect_row(show, "duration", "1", "default");
	expect_row(show, "ops", "-", "default");
	expect_row(show, "seed", "20261124", "default");
	expect_row(show, "warmup", "1", "default");
	expect_row(show, "repeat", "5", "default");
	expect_row(show, "sample-ms", "10", "default");
	expect_row(show, "pin", "scatter", "environment");
	expect_row(show, "param.length", "2", "default");
	expect_row(show, "param.live", "0.5", "environment");
	expect_row(show, "param.live_size", "1000", "default");
	expect_row(show, "param.payload", "0", "default");
	/* A header and one row per knob and parameter: 14 knobs, 4 parameters. */
	assert_int_equal(cy_test_count_lines(show), 2 + 14 + 4);
	assert_non_null(strstr(show, "CYCLAB_PAUSE_BUDGET_US"));
	free(show);
	file_is_absent(result); /* nothing ran, nothing was written */
	/* --shared-rc: a scheme by name, and not where no collection would free what it publishes. */
	cy_test_expect_refusal(run_with_env(NULL, "run", "caches", "--show-config", "--shared-rc", "perthread", NULL),
		"unknown --shared-rc 'perthread'", "valid: off, deferred, per-thread");
	cy_test_expect_refusal(run_with_env(NULL, "run", "caches", "--show-config", "--shared-rc", "deferred", "--gc",
				       "off", NULL),
		"--shared-rc deferred needs a collector", NULL);
	cy_test_expect_refusal(run_with_env(NULL, "run", "caches", "--show-config", "--shared-rc", "per-thread", "--gc",
				       "concurrent", NULL),
		"--shared-rc per-thread is not available with --gc concurrent", NULL);
	/* An invalid configuration is refused before it is shown. */
	cy_test_expect_refusal(
		run_with_env(NULL, "run", "linked-cycles", "--show-config", "--threads", "x", NULL), "--threads", NULL);
}

/* ---- --trace-gc -------------------------------------------------------------------------- */

/* Check one --trace-gc line's shape; returns its collection number. */
static long check_trace_line(const char *line)
{
	long number;
	double at;
	char kind[16];
	unsigned rep;
	int gen;
	if (sscanf(line, "gc %ld @%lfs %15s %u: gen %d", &number, &at, kind, &rep, &gen) != 5)
		fail_msg("not a trace line: %s", line);
	assert_true(number >= 1);
	assert_true(at >= 0);
	assert_string_equal(kind, "run");
	assert_int_equal(rep, 1);
	assert_true(gen >= 0 && gen <= 2);
	static const char *const parts[] = {" auto, pause ", " ms, wall ", " ms, cpu ", " ms, phases ", " examined, ",
		" freed, ", " uncollectable, heap ", " KiB, ", " objects"};
	const char *p = line;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		p = strstr(p, parts[i]);
		if (!p)
			fail_msg("no '%s' in order in: %s", parts[i], line);
	}
	const char *phases = strstr(line, " ms, phases ") + strlen(" ms, phases ");
	int plus = 0;
	for (; *phases != ' '; phases++)
		plus += *phases == '+';
	assert_int_equal(plus, 6); /* seven phases */
	return number;
}

/* --trace-gc prints exactly one line per collection the result counts. */
static void trace_gc_prints_a_line_per_collection(const char *gc, const char *threads)
{
	char result[PATH_MAX + 32];
	cy_test_scratch_path(result, sizeof result, "trace.json");
	cy_test_outcome o = run_with_env(NULL, "run", "linked-cycles", "--ops", "20000", "--warmup", "0", "--repeat",
		"1", "--threshold", "100,5,5", "--gc", gc, "--threads", threads, "--trace-gc", "--quiet", "-o", result,
		NULL);
	cy_test_expect_status(&o, 0);
	assert_string_equal(o.out, "");
	json_t *doc = load_json(result);
	json_int_t collections = run_collections(json_array_get(at(doc, "runs"), 0));
	json_decref(doc);
	unlink(result);

	size_t lines = 0;
	long last = 0;
	for (char *line = o.err; *line;) {
		char *end = strchr(line, '\n');
		assert_non_null(end);
		*end = '\0';
		long number = check_trace_line(line);
		if (strcmp(gc, "stw") == 0 && lines > 0)
			assert_int_equal(number, last + 1); /* stop-the-world: one at a time, in order */
		last = number;
		lines++;
		line = end + 1;
	}
	assert_true(collections > 10);
	assert_int_equal(lines, (size_t)collections);
	cy_test_outcome_free(&o);
}

static void trace_gc_stw(void **state)
{
	(void)state;
	trace_gc_prints_a_line_per_collection("stw", "2");
}

static void trace_gc_incremental(void **state)
{
	(void)state;
	trace_gc_prints_a_line_per_collection("incremental", "1");
}

static void trace_gc_json_lines_parse(void **state)
{
	(void)state;
	char result[PATH_MAX + 32], trace[PATH_MAX + 32], tmp[PATH_MAX + 48];
	cy_test_scratch_path(result, sizeof result, "json-trace-result.json");
	cy_test_scratch_path(trace, sizeof trace, "gctrace.jsonl");
	snprintf(tmp, sizeof tmp, "%s.tmp", trace);
	cy_test_outcome o = run_with_env(NULL, "run", "linked-cycles", "--ops", "10000", "--warmup", "1", "--repeat",
		"2", "--threshold", "100,5,5", "--trace-gc-json", trace, "--quiet", "-o", result, NULL);
	cy_test_expect_status(&o, 0);
	assert_string_equal(o.err, ""); /* the JSON trace alone: nothing on stderr */
	cy_test_outcome_free(&o);
	file_is_absent(tmp);

	json_t *doc = load_json(result);
	json_int_t expected[3] = {0, run_collections(json_array_get(at(doc, "runs"), 0)),
		run_collections(json_array_get(at(doc, "runs"), 1))};
	json_decref(doc);
	unlink(result);

	FILE *f = fopen(trace, "r");
	assert_non_null(f);
	char line[4096];
	json_int_t seen[3] = {0, 0, 0}, warmup_lines = 0;
	static const char *const integers[] = {"collection", "generation", "pause_ns", "wall_ns", "cpu_ns",
		"max_time_to_safepoint_ns", "examined", "collected", "uncollectable", "heap_bytes_before",
		"heap_bytes_after", "live_objects_before", "live_objects_after", "repetition"};
	while (fgets(line, sizeof line, f)) {
		assert_non_null(strchr(line, '\n')); /* whole lines */
		json_error_t error;
		json_t *record = json_loads(line, 0, &error);
		if (!record)
			fail_msg("trace line not JSON (%s): %s", error.text, line);
		assert_true(json_is_object(record));
		expect_json_string(record, "schema", "cyclab-gctrace/1");
		for (size_t i = 0; i < sizeof integers / sizeof integers[0]; i++)
			assert_true(json_int_at(record, integers[i]) >= 0);
		assert_true(json_is_number(at(record, "t_s")));
		assert_true(json_is_boolean(at(record, "automatic")));
		assert_int_equal(json_object_size(at(record, "phase_ns")), 7);
		assert_true(json_is_integer(at(record, "phase_ns.mark")));
		assert_true(json_int_at(record, "examined") >= json_int_at(record, "collected"));
		json_int_t rep = json_int_at(record, "repetition");
		if (json_is_true(at(record, "warmup"))) {
			assert_int_equal(rep, 1);
			warmup_lines++;
		} else {
			assert_true(rep == 1 || rep == 2);
			seen[rep]++;
		}
		json_decref(record);
	}
	fclose(f);
	unlink(trace);
	assert_true(warmup_lines > 0);
	assert_true(expected[1] > 0);
	assert_int_equal(seen[1], expected[1]);
	assert_int_equal(seen[2], expected[2]);
}

static void unwritable_trace_and_topology_files(void **state)
{
	(void)state;
	cy_test_expect_refusal(
		run_with_env(NULL, "run", "linked-cycles", "--trace-gc-json", "/nonexistent-dir/t.jsonl", NULL),
		"/nonexistent-dir/t.jsonl", "writable directory");
	cy_test_expect_refusal(run_with_env(NULL, "run", "linked-cycles", "--trace-gc-json", "-", NULL),
		"--trace-gc-json", "file name");
	cy_test_expect_refusal(
		run_with_env(NULL, "run", "linked-cycles", "--topology-xml", "/nonexistent-dir/t.xml", NULL),
		"--topology-xml", "/nonexistent-dir/t.xml");
}

/* ---- --pin -------------------------------------------------------------------------------- */

static void pin_compact_records_placement(void **state)
{
	(void)state;
	char result[PATH_MAX + 32], xml[PATH_MAX + 32];
	cy_test_scratch_path(result, sizeof result, "pin.json");
	cy_test_scratch_path(xml, sizeof xml, "topology.xml");
	cy_test_outcome o = run_with_env(NULL, "run", "linked-cycles", "--ops", "4000", "--warmup", "0", "--repeat",
		"2", "--threads", "2", "--pin", "compact", "--topology-xml", xml, "--quiet", "-o", result, NULL);
	cy_test_expect_status(&o, 0);
	cy_test_outcome_free(&o);

	json_t *doc = load_json(result);
	expect_json_string(doc, "config.pin", "compact");
	expect_json_string(doc, "config_sources.pin", "command-line");
	json_t *runs = at(doc, "runs");
	assert_int_equal(json_array_size(runs), 2);
	size_t r;
	json_t *run;
	json_array_foreach (runs, r, run) {
		expect_json_string(run, "placement.policy", "compact");
		json_t *threads = at(run, "placement.threads");
		assert_int_equal(json_array_size(threads), 2);
		json_int_t allowed = json_int_at(run, "placement.allowed_pus");
		for (size_t t = 0; t < 2; t++) {
			json_t *thread = json_array_get(threads, t);
			assert_int_equal(json_int_at(thread, "index"), (json_int_t)t);
			json_int_t pu = json_int_at(thread, "pu");
			json_t *seen = at(thread, "seen_cpus");
			assert_true(json_array_size(seen) >= 1);
			/* Bound: every CPU it was seen on is its planned PU. */
			size_t k;
			json_t *cpu;
			json_array_foreach (seen, k, cpu)
				assert_int_equal(json_integer_value(cpu), pu);
		}
		/* Compact with a PU each: two different PUs. */
		if (allowed >= 2)
			assert_int_not_equal(json_int_at(json_array_get(threads, 0), "pu"),
				json_int_at(json_array_get(threads, 1), "pu"));
	}
	json_decref(doc);
	unlink(result);

	char *text = cy_test_slurp(xml, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "<topology"));
	free(text);
	unlink(xml);

	/* Without --pin the threads are recorded where they ran, unbound. */
	char *show = show_config(NULL, "linked-cycles", NULL, NULL, NULL, NULL);
	expect_row(show, "pin", "none", "default");
	free(show);
	cy_test_expect_refusal(run_with_env(NULL, "run", "linked-cycles", "--pin", "sideways", NULL),
		"unknown --pin 'sideways'", "none, compact, scatter");
}

static void help_documents_the_knobs(void **state)
{
	(void)state;
	cy_test_outcome o = run_with_env(NULL, "run", "--help", NULL);
	cy_test_expect_status(&o, 0);
	static const char *const needles[] = {"CYCLAB_THREADS", "CYCLAB_PAUSE_BUDGET_US", "CYCLAB_PARAM_<KEY>",
		"powers of 1024", "2K = 2000", "--show-config", "--trace-gc-json FILE", "cyclab-gctrace/1",
		"stop_world+prepare+mark+weakrefs+finalize+clear+promote", "--pin POLICY", "--topology-xml FILE"};
	for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++) {
		if (!strstr(o.out, needles[i]))
			fail_msg("--help lacks '%s'", needles[i]);
	}
	cy_test_outcome_free(&o);
}

int main(void)
{
	if (cy_test_cyclab_setup("test_knobs") != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(environment_sets_knobs_and_command_line_wins),
		cmocka_unit_test(bad_values_in_the_environment_are_refused),
		cmocka_unit_test(stray_variables),
		cmocka_unit_test(suffixes),
		cmocka_unit_test(show_config_lists_every_knob_and_its_source),
		cmocka_unit_test(trace_gc_stw),
		cmocka_unit_test(trace_gc_incremental),
		cmocka_unit_test(trace_gc_json_lines_parse),
		cmocka_unit_test(unwritable_trace_and_topology_files),
		cmocka_unit_test(pin_compact_records_placement),
		cmocka_unit_test(help_documents_the_knobs),
	};
	int failed = cmocka_run_group_tests_name("test_knobs", tests, NULL, NULL);
	cy_test_remove_tree(cy_test_scratch());
	return failed;
}
