/*
 * test_thread_cpu_clock.c: the contract of cy_thread_cpu_ns (runtime/thread.h),
 * the calling thread's CPU clock read with at most one system call per
 * CY_THREAD_CPU_SLACK_NS of wall time.
 *
 * Each value v, read between two direct reads of CLOCK_THREAD_CPUTIME_ID
 * (before, after), satisfies before <= v <= after + CY_THREAD_CPU_SLACK_NS,
 * and values strictly increase on a thread. Both hold whatever the
 * scheduler does, so the tests check them on many reads in a row, on reads
 * far enough apart that each is exact, and on a fresh thread; nothing here
 * assumes how long anything took.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "runtime/thread.h"

static uint64_t direct_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Spin until the wall clock has moved by at least ns. */
static void spin_wall(uint64_t ns)
{
	uint64_t until = cy_now_ns() + ns;
	while (cy_now_ns() < until) {
	}
}

/* reads values, each bracketed by direct reads; gap_ns of wall time spun between them. */
static void check_reads(int reads, uint64_t gap_ns)
{
	uint64_t previous = 0;
	for (int i = 0; i < reads; i++) {
		uint64_t before = direct_cpu_ns();
		uint64_t v = cy_thread_cpu_ns();
		uint64_t after = direct_cpu_ns();
		assert_true(v >= before);
		assert_true(v <= after + CY_THREAD_CPU_SLACK_NS);
		assert_true(v > previous);
		previous = v;
		if (gap_ns)
			spin_wall(gap_ns);
	}
}

/* Back to back: most reads are extrapolated from an exact one. */
static void close_reads_stay_within_the_slack(void **state)
{
	(void)state;
	check_reads(20000, 0);
}

/* Reads a slack apart are exact ones; between them the clock must still not go back. */
static void distant_reads_are_exact(void **state)
{
	(void)state;
	check_reads(200, CY_THREAD_CPU_SLACK_NS);
	check_reads(2000, CY_THREAD_CPU_SLACK_NS / 7);
}

/* An interval between two reads is never zero: a pause's CPU time is positive. */
static void intervals_are_positive(void **state)
{
	(void)state;
	for (int i = 0; i < 100000; i++) {
		uint64_t start = cy_thread_cpu_ns();
		uint64_t end = cy_thread_cpu_ns();
		assert_true(end > start);
	}
}

static void *reader(void *arg)
{
	(void)arg;
	check_reads(10000, 0);
	check_reads(50, CY_THREAD_CPU_SLACK_NS);
	return NULL;
}

/* Each thread has its own clock: a new thread's first reads are its own CPU time, not its creator's. */
static void threads_have_their_own_clock(void **state)
{
	(void)state;
	spin_wall(2 * CY_THREAD_CPU_SLACK_NS); /* this thread's clock, well ahead of a new one's */
	(void)cy_thread_cpu_ns();
	pthread_t threads[2];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, reader, NULL), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(close_reads_stay_within_the_slack),
		cmocka_unit_test(distant_reads_are_exact),
		cmocka_unit_test(intervals_are_positive),
		cmocka_unit_test(threads_have_their_own_clock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
