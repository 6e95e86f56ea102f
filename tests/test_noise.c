/*
 * test_noise.c: what a run records of the operating system's share in it:
 * preempted pauses and the percentiles without them (bench/results/stats.c),
 * the disturbed rule (bench/harness/noise.c), and each pause's CPU time as
 * the collector records it (collector/records.c through cy_gc_pauses).
 *
 * The rules are tested on made-up numbers, where the answer is known; no
 * test here asserts what the scheduler did to a real run.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bench/harness/noise.h"
#include "bench/results/stats.h"
#include "collector/gc.h"
#include "runtime/runtime.h"
#include "runtime/thread.h"

#define US 1000ull
#define MS 1000000ull

static void preempted_rule(void **state)
{
	(void)state;
	/* Worked the whole pause: not preempted. */
	cy_gc_pause busy = {.duration_ns = 36 * MS, .cpu_ns = 35 * MS};
	assert_false(cy_pause_preempted(&busy));
	/* 36 ms of wall time, 0.09 ms of CPU: preempted. */
	cy_gc_pause robbed = {.duration_ns = 36 * MS, .cpu_ns = 90 * US};
	assert_true(cy_pause_preempted(&robbed));
	/* Off its CPU for most of it, but only 30 us in all: a wake-up, not a preemption. */
	cy_gc_pause short_one = {.duration_ns = 40 * US, .cpu_ns = 10 * US};
	assert_false(cy_pause_preempted(&short_one));
	/* Asleep while the mutators came to their safepoints: that wait is set aside. */
	cy_gc_pause waited = {.duration_ns = 10 * MS, .max_time_to_safepoint_ns = 9 * MS, .cpu_ns = 900 * US};
	assert_false(cy_pause_preempted(&waited));
	/* Exactly half off: not more than half, so not preempted; one ns more is. */
	cy_gc_pause half = {.duration_ns = 2 * MS, .cpu_ns = 1 * MS};
	assert_false(cy_pause_preempted(&half));
	half.cpu_ns = 1 * MS - 1;
	assert_true(cy_pause_preempted(&half));
}

static void percentiles_without_preempted(void **state)
{
	(void)state;
	/* Ten pauses of 10..100 us that worked throughout, and one of 5 ms that was preempted. */
	cy_gc_pause p[11];
	for (int i = 0; i < 10; i++)
		p[i] = (cy_gc_pause){.start_ns = (uint64_t)i * MS, .duration_ns = (uint64_t)(i + 1) * 10 * US,
			.cpu_ns = (uint64_t)(i + 1) * 10 * US};
	p[10] = (cy_gc_pause){.start_ns = 20 * MS, .duration_ns = 5 * MS, .cpu_ns = 100 * US};
	cy_pause_summary s;
	assert_int_equal(cy_pause_summarize(p, 11, 0, 100 * MS, &s), 0);
	assert_int_equal(s.count, 11);
	assert_int_equal(s.preempted, 1);
	assert_int_equal(s.not_preempted.count, 10);
	/* All eleven: nearest rank 50% of 11 is the 6th, 60 us; the max is the preempted 5000 us. */
	assert_true(s.p50_us == 60);
	assert_true(s.max_us == 5000);
	/* Without it: 50% of 10 is the 5th, 50 us; 99% of 10 rounds up to the 10th, 100 us. */
	assert_true(s.not_preempted.p50_us == 50);
	assert_true(s.not_preempted.p99_us == 100);
	assert_true(s.not_preempted.max_us == 100);
	/* CPU: 10 + 20 + ... + 100 us = 550 us, and 100 us = 0.65 ms. */
	assert_true(fabs(s.cpu_ms - 0.65) < 1e-12);
	/* None at all: zeros, counted as none. */
	assert_int_equal(cy_pause_summarize(p, 0, 0, 100 * MS, &s), 0);
	assert_int_equal(s.not_preempted.count, 0);
	assert_int_equal(s.preempted, 0);
}

static void disturbed_rule(void **state)
{
	(void)state;
	cy_noise_mark before = {.user_s = 1, .system_s = 0.5, .voluntary_switches = 10, .involuntary_switches = 3};
	cy_noise_mark after = {.user_s = 2.5, .system_s = 0.75, .voluntary_switches = 14, .involuntary_switches = 40};
	double load[3] = {1.5, 1.25, 1};
	cy_run_noise n;
	/* Two threads for one second asked for 2 s; waiting 0.2 s is 10%: not more than 10%, undisturbed. */
	cy_noise_finish(&n, &before, &after, load, 2, 1.0, 200 * MS);
	assert_true(n.user_s == 1.5 && n.system_s == 0.25);
	assert_int_equal(n.voluntary_switches, 4);
	assert_int_equal(n.involuntary_switches, 37);
	assert_true(n.cpu_asked_s == 2 && n.load_average[0] == 1.5 && n.load_average[2] == 1);
	assert_true(fabs(n.runqueue_wait_s - 0.2) < 1e-12);
	assert_false(n.disturbed);
	cy_noise_finish(&n, &before, &after, load, 2, 1.0, 201 * MS);
	assert_true(n.disturbed);
	/* Unknown wait: the CPU time stands in. 1.75 s of CPU for one thread over 1 s is plenty. */
	cy_noise_finish(&n, &before, &after, load, 1, 1.0, -1);
	assert_true(n.runqueue_wait_s < 0);
	assert_false(n.disturbed);
	/* ... and 1.75 s over 3 s is not (at least one CPU's 90% was asked for). */
	cy_noise_finish(&n, &before, &after, load, 1, 3.0, -1);
	assert_true(n.disturbed);
}

static void thread_reads(void **state)
{
	(void)state;
	cy_noise_mark m;
	cy_noise_mark_now(&m);
	assert_true(m.user_s >= 0 && m.system_s >= 0);
	int64_t a = cy_noise_thread_runqueue_ns();
	int64_t b = cy_noise_thread_runqueue_ns();
	/* Unknown on both reads, or known and never going back. */
	assert_true((a < 0 && b < 0) || (a >= 0 && b >= a));
}

/* A pause's CPU time is the stopping thread's own: never more than the thread's CPU clock moved. */
static void collector_records_cpu(void **state)
{
	(void)state;
	assert_int_equal(cy_runtime_init(CY_RC_ATOMIC, CY_ALLOC_POOL), CY_RUNTIME_OK);
	assert_int_equal(cy_gc_start(CY_GC_MODE_STW), 0);
	assert_int_equal(cy_thread_register(CY_ROLE_MUTATOR), CY_THREAD_OK);
	cy_gc_reset_statistics();
	uint64_t cpu_before = cy_thread_cpu_ns();
	cy_gc_collect(2);
	cy_gc_collect(0);
	uint64_t cpu_after = cy_thread_cpu_ns();
	cy_gc_pause p[4];
	uint64_t next;
	size_t got = cy_gc_pauses(0, p, 4, &next);
	assert_int_equal(got, 2);
	assert_true(p[0].cpu_ns + p[1].cpu_ns <= cpu_after - cpu_before);
	assert_true(p[0].cpu_ns > 0 && p[1].cpu_ns > 0);
	cy_thread_unregister();
	cy_gc_stop();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(preempted_rule),
		cmocka_unit_test(percentiles_without_preempted),
		cmocka_unit_test(disturbed_rule),
		cmocka_unit_test(thread_reads),
		cmocka_unit_test(collector_records_cpu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
