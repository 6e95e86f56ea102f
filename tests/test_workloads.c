/*
 * test_workloads.c: workloads run briefly through the runner's C interface
 * (bench/harness/run.h), each under the collectors that apply, with exact outcomes;
 * and the runner's own arithmetic (pause percentiles, minimum mutator
 * utilisation, JSON escaping) on inputs whose answers are known.
 *
 * linked-cycles: every ring is garbage once let go, so under --gc off the
 * leak is exactly operations x length nodes (counts are seeded and --ops
 * runs are exact), and under stw nothing may be left after teardown and a
 * full collection. Runs are a few thousand operations: fast under the
 * sanitizers. Not a benchmark.
 *
 * Each repetition initialises the runtime and registers its own threads, so
 * this program never registers: the runtime is idle between tests.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bench/harness/run.h"
#include "bench/results/json_writer.h"
#include "bench/results/stats.h"
#include "runtime/runtime.h"

static const cy_workload_def *linked_cycles(void)
{
	const cy_workload_def *w = cy_workload_find("linked-cycles");
	assert_non_null(w);
	return w;
}

/* A short counted run of linked-cycles; returns its record (free it). */
static cy_run_record run_linked_cycles(cy_rc_mode rc, cy_gc_mode gc, unsigned threads, int64_t ops, const char *length,
	const char *payload)
{
	cy_run_config c;
	cy_run_config_init(&c, linked_cycles());
	c.rc = rc;
	c.gc = gc;
	c.threads = threads;
	c.ops = ops;
	c.duration_s = 0;
	char why[512];
	assert_int_equal(cy_run_set_param(&c, "length", length, why, sizeof why), 0);
	assert_int_equal(cy_run_set_param(&c, "payload", payload, why, sizeof why), 0);
	assert_int_equal(cy_run_set_param(&c, "live_size", "64", why, sizeof why), 0);
	assert_int_equal(cy_run_validate(&c, why, sizeof why), 0);
	cy_run_record r;
	int status = cy_run_repetition(&c, &r, why, sizeof why);
	if (status != CY_RUN_OK)
		fprintf(stderr, "run failed: %s\n", why);
	assert_int_equal(status, CY_RUN_OK);
	if (r.check_failed)
		fprintf(stderr, "check failed: %s\n", r.check_message);
	assert_false(r.check_failed);
	assert_int_equal(r.ops, ops);
	assert_int_equal(cy_objects_live(), 0); /* the runner cleans up after every run */
	assert_int_equal(cy_thread_count(CY_ROLE_MUTATOR), 0);
	return r;
}

static void linked_cycles_leak_without_collector(void **state)
{
	(void)state;
	static const cy_rc_mode modes[] = {CY_RC_NONATOMIC, CY_RC_ATOMIC, CY_RC_BIASED};
	for (size_t m = 0; m < 3; m++) {
		cy_run_record r = run_linked_cycles(modes[m], CY_GC_MODE_OFF, 1, 4000, "2", "0");
		assert_true(r.leaks_by_design);
		assert_int_equal(r.leaked_objects, 4000 * 2);
		assert_int_equal(r.generations[0].collections, 0);
		cy_run_record_free(&r);
	}
	cy_run_record r = run_linked_cycles(CY_RC_BIASED, CY_GC_MODE_OFF, 1, 1000, "5", "100");
	assert_int_equal(r.leaked_objects, 1000 * 5);
	cy_run_record_free(&r);
}

static void linked_cycles_collected_by_stw(void **state)
{
	(void)state;
	static const cy_rc_mode modes[] = {CY_RC_NONATOMIC, CY_RC_ATOMIC, CY_RC_BIASED};
	for (size_t m = 0; m < 3; m++) {
		cy_run_record r = run_linked_cycles(modes[m], CY_GC_MODE_STW, 1, 4000, "2", "0");
		assert_false(r.leaks_by_design);
		assert_int_equal(r.leaked_objects, 0);
		/* 8000 container allocations past threshold 700: the young generation was collected. */
		assert_true(r.generations[0].collections >= 1);
		assert_true(r.collected > 0);
		assert_int_equal(r.uncollectable, 0);
		assert_true(r.pauses.count >= 1);
		assert_true(r.series_len >= 2);
		cy_run_record_free(&r);
	}
	cy_run_record r = run_linked_cycles(CY_RC_BIASED, CY_GC_MODE_STW, 1, 1000, "1", "24");
	assert_int_equal(r.leaked_objects, 0);
	cy_run_record_free(&r);
}

static void linked_cycles_threads(void **state)
{
	(void)state;
	cy_run_record r = run_linked_cycles(CY_RC_BIASED, CY_GC_MODE_STW, 2, 3001, "3", "0");
	assert_int_equal(r.leaked_objects, 0);
	cy_run_record_free(&r);
	r = run_linked_cycles(CY_RC_ATOMIC, CY_GC_MODE_OFF, 2, 3001, "3", "0");
	assert_int_equal(r.leaked_objects, 3001 * 3);
	cy_run_record_free(&r);
}

static void linked_cycles_on_malloc(void **state)
{
	(void)state;
	cy_run_config c;
	cy_run_config_init(&c, linked_cycles());
	c.alloc = CY_ALLOC_MALLOC;
	c.ops = 2000;
	c.duration_s = 0;
	char why[512];
	cy_run_record r;
	assert_int_equal(cy_run_repetition(&c, &r, why, sizeof why), CY_RUN_OK);
	assert_int_equal(r.ops, 2000);
	assert_int_equal(r.leaked_objects, 0);
	cy_run_record_free(&r);
}

static void timed_run_stops(void **state)
{
	(void)state;
	cy_run_config c;
	cy_run_config_init(&c, linked_cycles());
	c.duration_s = 0.05;
	char why[512];
	cy_run_record r;
	assert_int_equal(cy_run_repetition(&c, &r, why, sizeof why), CY_RUN_OK);
	assert_true(r.ops > 0);
	assert_true(r.seconds >= 0.05);
	assert_int_equal(r.leaked_objects, 0);
	/* The series starts at 0 and ends with every operation counted. */
	assert_true(r.series_len >= 2);
	assert_true(r.series[0].time_s == 0.0);
	assert_int_equal(r.series[r.series_len - 1].ops, r.ops);
	cy_run_record_free(&r);
}

static void concurrent_collector_unavailable(void **state)
{
	(void)state;
	cy_run_config c;
	cy_run_config_init(&c, linked_cycles());
	c.gc = CY_GC_MODE_CONCURRENT;
	c.ops = 100;
	c.duration_s = 0;
	char why[512];
	cy_run_record r;
	int status = cy_run_repetition(&c, &r, why, sizeof why);
	cy_run_record_free(&r);
	if (status == CY_RUN_OK)
		return; /* the concurrent collector has arrived */
	assert_int_equal(status, CY_RUN_UNAVAILABLE);
	assert_non_null(strstr(why, "concurrent collector is not available"));
	assert_int_equal(cy_objects_live(), 0);
}

static void params_are_validated(void **state)
{
	(void)state;
	cy_run_config c;
	cy_run_config_init(&c, linked_cycles());
	char why[512];
	assert_int_equal(cy_run_set_param(&c, "length", "1000", why, sizeof why), 0);
	assert_true(c.param_values[0] == 1000);
	assert_int_equal(cy_run_set_param(&c, "length", "1001", why, sizeof why), -1);
	assert_non_null(strstr(why, "1..1000"));
	assert_int_equal(cy_run_set_param(&c, "live_size", "2K", why, sizeof why), 0);
	assert_true(c.param_values[2] == 2000);
	assert_int_equal(cy_run_set_param(&c, "live", "nan", why, sizeof why), -1);
	assert_int_equal(cy_run_set_param(&c, "colour", "red", why, sizeof why), -1);
	assert_string_equal(why, "unknown parameter 'colour' for linked-cycles (valid: length, live, live_size, payload)");
	c.rc = CY_RC_NONATOMIC;
	c.threads = 2;
	assert_int_equal(cy_run_validate(&c, why, sizeof why), -1);
}

/* ---- the runner's arithmetic ------------------------------------------------------------- */

#define MS 1000000u

static void percentiles_by_nearest_rank(void **state)
{
	(void)state;
	double v[100];
	for (int i = 0; i < 100; i++)
		v[i] = i + 1;
	assert_true(cy_percentile_sorted(v, 100, 50) == 50);
	assert_true(cy_percentile_sorted(v, 100, 90) == 90);
	assert_true(cy_percentile_sorted(v, 100, 99) == 99);
	assert_true(cy_percentile_sorted(v, 100, 99.9) == 100);
	assert_true(cy_percentile_sorted(v, 100, 100) == 100);
	assert_true(cy_percentile_sorted(v, 1, 50) == 1);
	assert_true(cy_percentile_sorted(v, 0, 50) == 0);
	double odd[] = {5, 1, 3}, even[] = {4, 1, 3, 2};
	assert_true(cy_median(odd, 3) == 3);
	assert_true(cy_median(even, 4) == 2.5);
}

static void mmu_of_known_pauses(void **state)
{
	(void)state;
	/* A 100 ms run with one 2 ms pause at 10 ms. */
	cy_gc_pause one[] = {{.start_ns = 10 * MS, .duration_ns = 2 * MS}};
	assert_true(cy_mmu(one, 1, 0, 100 * MS, 1 * MS) == 0.0);
	assert_true(fabs(cy_mmu(one, 1, 0, 100 * MS, 10 * MS) - 0.8) < 1e-12);
	assert_true(fabs(cy_mmu(one, 1, 0, 100 * MS, 100 * MS) - 0.98) < 1e-12);
	/* Two 1 ms pauses 3 ms apart: a 5 ms window can hold both. */
	cy_gc_pause two[] = {{.start_ns = 20 * MS, .duration_ns = 1 * MS}, {.start_ns = 24 * MS, .duration_ns = 1 * MS}};
	assert_true(fabs(cy_mmu(two, 2, 0, 100 * MS, 5 * MS) - 0.6) < 1e-12);
	assert_true(fabs(cy_mmu(two, 2, 0, 100 * MS, 4 * MS) - 0.75) < 1e-12);
	/* No pauses: full utilisation; a window longer than the run is the run. */
	assert_true(cy_mmu(NULL, 0, 0, 100 * MS, 10 * MS) == 1.0);
	assert_true(fabs(cy_mmu(one, 1, 0, 10 * MS, 100 * MS) - 1.0) < 1e-12); /* the pause is outside */
	assert_true(fabs(cy_mmu(one, 1, 0, 20 * MS, 100 * MS) - 0.9) < 1e-12);
	/* A pause at the very start and one overlapping the end are clipped. */
	cy_gc_pause edges[] = {{.start_ns = 0, .duration_ns = 1 * MS}, {.start_ns = 99 * MS, .duration_ns = 5 * MS}};
	assert_true(fabs(cy_mmu(edges, 2, 0, 100 * MS, 2 * MS) - 0.5) < 1e-12);

	cy_pause_summary s;
	assert_int_equal(cy_pause_summarize(two, 2, 0, 100 * MS, &s), 0);
	assert_int_equal(s.count, 2);
	assert_true(s.total_ms == 2.0);
	assert_true(s.max_us == 1000.0);
	assert_true(s.mmu[0] == 0.0 && fabs(s.mmu[1] - 0.8) < 1e-12 && fabs(s.mmu[2] - 0.98) < 1e-12);
}

static void json_strings_escaped(void **state)
{
	(void)state;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	cy_json j;
	cy_json_init(&j, f);
	cy_json_begin_object(&j, NULL);
	cy_json_string(&j, "a\"b", "line\nbreak\ttab \\ \x01 caf\xc3\xa9");
	cy_json_double(&j, "inf", INFINITY);
	cy_json_begin_array(&j, "xs", 1);
	cy_json_int(&j, NULL, -3);
	cy_json_double(&j, NULL, 0.25);
	cy_json_end_array(&j);
	cy_json_begin_object(&j, "empty");
	cy_json_end_object(&j);
	cy_json_end_object(&j);
	assert_false(j.failed);
	fclose(f);
	assert_string_equal(text, "{\n"
				  "  \"a\\\"b\": \"line\\nbreak\\ttab \\\\ \\u0001 caf\xc3\xa9\",\n"
				  "  \"inf\": null,\n"
				  "  \"xs\": [-3, 0.25],\n"
				  "  \"empty\": {}\n"
				  "}\n");
	free(text);
}

/* Compact objects: each a line of its own, nesting included, the way JSON lines are written. */
static void json_compact_objects_are_lines(void **state)
{
	(void)state;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	for (int line = 0; line < 2; line++) {
		cy_json j;
		cy_json_init(&j, f);
		cy_json_begin_compact_object(&j, NULL);
		cy_json_int(&j, "n", line);
		cy_json_begin_object(&j, "inner");
		cy_json_bool(&j, "t", 1);
		cy_json_null(&j, "z");
		cy_json_end_object(&j);
		cy_json_uint(&j, "u", UINT64_MAX);
		cy_json_end_object(&j);
		assert_int_equal(cy_json_finish(&j), 0);
	}
	cy_json open;
	cy_json_init(&open, f);
	cy_json_begin_array(&open, NULL, 1);
	assert_int_equal(cy_json_finish(&open), -1); /* a level left open is not a document */
	fclose(f);
	assert_string_equal(text, "{\"n\": 0, \"inner\": {\"t\": true, \"z\": null}, \"u\": 18446744073709551615}\n"
				  "{\"n\": 1, \"inner\": {\"t\": true, \"z\": null}, \"u\": 18446744073709551615}\n"
				  "[");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(params_are_validated),
		cmocka_unit_test(linked_cycles_leak_without_collector),
		cmocka_unit_test(linked_cycles_collected_by_stw),
		cmocka_unit_test(linked_cycles_threads),
		cmocka_unit_test(linked_cycles_on_malloc),
		cmocka_unit_test(timed_run_stops),
		cmocka_unit_test(concurrent_collector_unavailable),
		cmocka_unit_test(percentiles_by_nearest_rank),
		cmocka_unit_test(mmu_of_known_pauses),
		cmocka_unit_test(json_strings_escaped),
		cmocka_unit_test(json_compact_objects_are_lines),
	};
	return cmocka_run_group_tests_name("test_workloads", tests, NULL, NULL);
}
