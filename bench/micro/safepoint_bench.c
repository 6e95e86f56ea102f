/*
 * safepoint_bench.c: what safepoints and stopping the world cost, against
 * the number of mutator threads (the program micro_safepoint).
 *
 *   safepoint/poll              one cy_safepoint() with no work pending, in
 *                               a registered thread: what every loop of a
 *                               workload pays (CPU time per poll).
 *   stw/mutators:N/real_time    N mutator threads (1, 2, 4, 8, 16) are
 *                               registered and run a loop of a little work
 *                               (32 xorshift steps, a few tens of ns) and
 *                               a safepoint poll. The benchmark's own
 *                               thread, not registered (as a collector's
 *                               controller need not be), times one
 *                               cy_world_stop + cy_world_resume: the
 *                               wall-clock time per iteration is the whole
 *                               pause as the stopper sees it.
 *
 * Counters of stw (each the mean over the run's stops unless it says max):
 *   ttsp_us          time to safepoint: from the stop request until the
 *                    last mutator had parked (cy_stw_report's stopped_ns -
 *                    requested_ns), the part of the pause that grows with
 *                    the threads;
 *   ttsp_max_us      the largest of those in the run;
 *   thread_ttsp_us   one mutator's time to its safepoint, over every
 *                    recorded arrival;
 *   waited_for       mutators that were running when the stop came (N
 *                    when every one had got back to work, see below);
 *   stop_us          the cy_world_stop call: the time to safepoint plus
 *                    taking the stop locks and waking up the stopper;
 *   resume_us        the cy_world_resume call. Waking the parked mutators
 *                    lets them preempt the stopper (they have slept, it
 *                    has not), so once threads outnumber cores this is
 *                    the stopper waiting for a core again: most of the
 *                    time per iteration at 4 mutators and more here.
 *
 * Between two stops, with the timer paused, the controller waits until
 * every mutator has polled again after the resume, so each stop finds the
 * mutators running rather than still parked from the last one (a parked
 * thread counts as stopped at once and would make the next stop look
 * free). It yields the CPU while it waits, so oversubscribed mutators get
 * to run.
 *
 * On a machine with fewer cores than threads (this one has 2, and the
 * stopper, which spins up to 200 us before it sleeps, takes one of them)
 * every count from 2 up is oversubscribed: a mutator can reach its
 * safepoint only once the scheduler runs it, so the time to safepoint
 * then measures the scheduler as much as the poll. That is the situation
 * a runtime meets on a loaded machine; compare counts below the number of
 * cores for the mechanism alone.
 *
 * Teardown stops the mutators cleanly: a stop flag, then each leaves its
 * loop at its next poll, unregisters (cy_thread_unregister) and is joined;
 * the runtime is left with no thread registered, so the next run's
 * cy_runtime_init succeeds.
 */
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/micro/harness.h"
#include "bench/version.h"
#include "runtime/atomics.h"
#include "runtime/runtime.h"

enum {
	POLLS_PER_BATCH = 1000,
	WORK_PER_POLL = 32,
	MAX_MUTATORS = 16,
};

/* The compiler must assume x changed here, so the work before it stays. */
#define OPAQUE(x) __asm__ volatile("" : "+r"(x))

typedef struct mutator {
	alignas(64) uint64_t polls; /* atomic: written by the mutator alone, read by the controller */
	pthread_t thread;
	int register_error; /* written before `ready` is counted, read after */
} mutator;

static struct {
	mutator mutators[MAX_MUTATORS];
	int count;           /* started */
	alignas(64) int stop; /* atomic: set by teardown */
	alignas(64) int ready; /* atomic: mutators registered (or failed to) */
} world;

static void *mutator_main(void *arg)
{
	mutator *m = arg;
	int err = cy_thread_register(CY_ROLE_MUTATOR);
	m->register_error = err;
	cy_atomic_fetch_add_release(&world.ready, 1);
	if (err != CY_THREAD_OK)
		return NULL;
	uint64_t x = (uint64_t)(uintptr_t)m | 1;
	while (!cy_atomic_load_relaxed(&world.stop)) {
		for (int i = 0; i < WORK_PER_POLL; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
		}
		OPAQUE(x);
		cy_safepoint();
		cy_atomic_store_relaxed(&m->polls, m->polls + 1);
	}
	cy_thread_unregister();
	return NULL;
}

/* Stop and join the first n mutators. */
static void stop_mutators(int n)
{
	cy_atomic_store_relaxed(&world.stop, 1);
	for (int i = 0; i < n; i++)
		pthread_join(world.mutators[i].thread, NULL);
	world.count = 0;
}

static const char *stw_setup(cy_bench_state *s, void *context)
{
	(void)context;
	int n = (int)cy_bench_range(s, 0);
	int err = cy_runtime_init(CY_RC_BIASED, CY_ALLOC_MALLOC); /* biased: many mutators may register */
	if (err != CY_RUNTIME_OK)
		return cy_runtime_strerror(err);
	world.stop = 0;
	world.ready = 0;
	for (int i = 0; i < n; i++) {
		mutator *m = &world.mutators[i];
		m->polls = 0;
		m->register_error = 0;
		if (pthread_create(&m->thread, NULL, mutator_main, m) != 0) {
			stop_mutators(i);
			return "cannot start the mutator threads";
		}
	}
	world.count = n;
	while (cy_atomic_load_acquire(&world.ready) < n)
		sched_yield();
	for (int i = 0; i < n; i++) {
		if (world.mutators[i].register_error != CY_THREAD_OK) {
			stop_mutators(n);
			return cy_thread_strerror(world.mutators[i].register_error);
		}
	}
	return NULL;
}

static void stw_teardown(cy_bench_state *s, void *context)
{
	(void)s;
	(void)context;
	stop_mutators(world.count);
}

/* Wait until every mutator has polled since `since` was taken: all are running again. */
static void wait_until_running(const uint64_t *since, int n)
{
	for (int i = 0; i < n; i++) {
		while (cy_atomic_load_relaxed(&world.mutators[i].polls) == since[i])
			sched_yield();
	}
}

static void stw_run(cy_bench_state *s, void *context)
{
	(void)context;
	const int n = world.count;
	uint64_t since[MAX_MUTATORS];
	double ttsp_ns = 0, ttsp_max_ns = 0, thread_ttsp_ns = 0, waited_for = 0, stop_ns = 0, resume_ns = 0;
	uint64_t arrivals = 0;
	for (int i = 0; i < n; i++)
		since[i] = cy_atomic_load_relaxed(&world.mutators[i].polls);
	wait_until_running(since, n);
	while (cy_bench_keep_running(s)) {
		cy_stw_report report;
		uint64_t t0 = cy_now_ns();
		cy_world_stop(&report);
		uint64_t t1 = cy_now_ns();
		cy_world_resume();
		uint64_t t2 = cy_now_ns();
		cy_bench_pause_timing(s);
		stop_ns += (double)(t1 - t0);
		resume_ns += (double)(t2 - t1);
		for (int i = 0; i < n; i++)
			since[i] = cy_atomic_load_relaxed(&world.mutators[i].polls);
		double ttsp = (double)(report.stopped_ns - report.requested_ns);
		ttsp_ns += ttsp;
		ttsp_max_ns = ttsp > ttsp_max_ns ? ttsp : ttsp_max_ns;
		waited_for += report.waited_for;
		for (uint32_t a = 0; a < report.recorded; a++)
			thread_ttsp_ns += (double)report.arrivals[a].ns_to_safepoint;
		arrivals += report.recorded;
		wait_until_running(since, n);
		cy_bench_resume_timing(s);
	}
	cy_bench_set_items_processed(s, cy_bench_iterations(s));
	cy_bench_set_counter(s, "ttsp_us", ttsp_ns / 1e3, CY_BENCH_COUNTER_PER_ITERATION);
	cy_bench_set_counter(s, "ttsp_max_us", ttsp_max_ns / 1e3, 0);
	cy_bench_set_counter(s, "thread_ttsp_us", arrivals ? thread_ttsp_ns / 1e3 / (double)arrivals : 0, 0);
	cy_bench_set_counter(s, "waited_for", waited_for, CY_BENCH_COUNTER_PER_ITERATION);
	cy_bench_set_counter(s, "stop_us", stop_ns / 1e3, CY_BENCH_COUNTER_PER_ITERATION);
	cy_bench_set_counter(s, "resume_us", resume_ns / 1e3, CY_BENCH_COUNTER_PER_ITERATION);
}

static const char *poll_setup(cy_bench_state *s, void *context)
{
	(void)s;
	(void)context;
	int err = cy_runtime_init(CY_RC_BIASED, CY_ALLOC_MALLOC);
	if (err != CY_RUNTIME_OK)
		return cy_runtime_strerror(err);
	err = cy_thread_register(CY_ROLE_MUTATOR);
	return err == CY_THREAD_OK ? NULL : cy_thread_strerror(err);
}

static void poll_teardown(cy_bench_state *s, void *context)
{
	(void)s;
	(void)context;
	cy_thread_unregister();
}

static void poll_run(cy_bench_state *s, void *context)
{
	(void)context;
	while (cy_bench_keep_running_batch(s, POLLS_PER_BATCH)) {
		for (int i = 0; i < POLLS_PER_BATCH; i++)
			cy_safepoint();
	}
	cy_bench_set_items_processed(s, cy_bench_iterations(s));
}

static const int64_t mutator_counts[] = {1, 2, 4, 8, MAX_MUTATORS};

int main(int argc, char **argv)
{
	cy_bench_def poll = {
		.name = "safepoint/poll",
		.run = poll_run,
		.setup = poll_setup,
		.teardown = poll_teardown,
	};
	cy_bench_def stw = {
		.name = "stw",
		.run = stw_run,
		.setup = stw_setup,
		.teardown = stw_teardown,
		.args = mutator_counts,
		.arg_count = sizeof mutator_counts / sizeof mutator_counts[0],
		.arg_name = "mutators",
		.use_real_time = 1,
	};
	if (cy_bench_register(&poll) != 0 || cy_bench_register(&stw) != 0)
		return 1;
	cy_bench_add_context("cyclab_version", CY_VERSION);
	cy_bench_add_context("cyclab_build", CY_BUILD_KIND);
	return cy_bench_main(argc, argv);
}
