/*
 * lock_bench.c: what one lock acquisition costs (the program micro_lock).
 *
 *   lock/KIND                   one thread acquires and releases the lock
 *                               in a loop: the uncontended cost, CPU time
 *                               per acquire+release pair.
 *   lock/KIND/real_time/threads:2
 *                               two threads do the same on one shared lock
 *                               at once; the time is the wall-clock time
 *                               of the run over the pairs of both threads
 *                               (Google Benchmark's way with threads), the
 *                               inverse of items_per_second: for an
 *                               exclusive lock, the time from one holder
 *                               to the next, cache-line transfer and
 *                               waiting included.
 *
 * KIND is one of
 *   pthread_mutex   pthread_mutex_lock / unlock, a default (normal) mutex;
 *   cy_mutex        cyclab's counted mutex (runtime/lock.h): glibc's
 *                   adaptive mutex behind a trylock, plus the thread-local
 *                   acquisition counter;
 *   cy_oblock       the 4-byte per-object lock (runtime/lock.h): one
 *                   compare-and-swap in, one exchange out;
 *   rwlock_read     pthread_rwlock_rdlock / unlock: readers only, yet each
 *                   acquisition writes the lock's reader count;
 *   rwlock_write    pthread_rwlock_wrlock / unlock;
 *   rcu_qsbr_read   an RCU read-side critical section of liburcu's QSBR
 *                   flavour, the one the runtime uses (runtime/thread.h):
 *                   urcu_qsbr_read_lock, rcu_dereference of a shared
 *                   pointer, urcu_qsbr_read_unlock, with a quiescent state
 *                   reported once per batch of 1,000 sections, as a
 *                   mutator's safepoint poll would. In QSBR the lock and
 *                   unlock compile to nothing, so this is the floor every
 *                   other kind is measured against; readers share no
 *                   written line, so two of them do not slow each other.
 *
 * Each run also reports on_cpu, the share of its loop's wall-clock time a
 * thread spent on a CPU (the mean over the threads): two threads contend
 * only while both run at once, which a machine busy with other work (well
 * under 1) does not give, so a contended figure with on_cpu well below 1
 * says little.
 *
 * The process has had a second thread before anything is measured: glibc
 * takes its locks without atomic instructions while a process has never
 * had one (3 ns instead of about 12 for a mutex here), a saving no
 * multithreaded program gets.
 *
 * Inside each critical section the thread reads and increments a counter
 * that the lock protects (RCU readers only read it: they exclude nobody),
 * so the section is never empty and the compiler cannot drop it. Teardown
 * checks that the exclusive kinds lost no increment: with two threads, a
 * lock that does not exclude fails the run. The shared state sits on its
 * own cache lines, so nothing but the lock itself is contended.
 */
#include <pthread.h>
#include <stdalign.h>
#include <stdio.h>
#include <string.h>

#include "bench/micro/harness.h"
#include "bench/version.h"
#include "runtime/lock.h"
#include "runtime/thread.h"

enum { PAIRS_PER_BATCH = 1000 };

/* The compiler must assume p changed here (and memory with it). */
#define OPAQUE(p) __asm__ volatile("" : "+r"(p) : : "memory")

/* One lock of each kind and what it protects, each on its own cache lines. */
static struct {
	alignas(64) pthread_mutex_t pthread_mutex;
	alignas(64) cy_mutex cy_mutex;
	alignas(64) cy_oblock oblock;
	alignas(64) pthread_rwlock_t rwlock;
	alignas(64) int64_t protected_count; /* under the lock being measured */
	alignas(64) int64_t *rcu_pointer;    /* published once; read in RCU sections */
	alignas(64) int64_t pairs[2];        /* pairs each thread made (its own slot) */
} shared = {
	.pthread_mutex = PTHREAD_MUTEX_INITIALIZER,
	.cy_mutex = CY_MUTEX_INIT,
	.oblock = CY_OBLOCK_INIT,
	.rwlock = PTHREAD_RWLOCK_INITIALIZER,
};

typedef struct lock_kind {
	const char *name;
	void (*loop)(cy_bench_state *s);
	int exclusive; /* increments under the lock must all survive */
} lock_kind;

/* ---- the measured loops: lock, touch the protected counter, unlock --------- */

static void pthread_mutex_loop(cy_bench_state *s)
{
	pthread_mutex_t *m = &shared.pthread_mutex;
	while (cy_bench_keep_running_batch(s, PAIRS_PER_BATCH)) {
		for (int i = 0; i < PAIRS_PER_BATCH; i++) {
			OPAQUE(m);
			pthread_mutex_lock(m);
			shared.protected_count++;
			pthread_mutex_unlock(m);
		}
	}
}

static void cy_mutex_loop(cy_bench_state *s)
{
	cy_mutex *m = &shared.cy_mutex;
	while (cy_bench_keep_running_batch(s, PAIRS_PER_BATCH)) {
		for (int i = 0; i < PAIRS_PER_BATCH; i++) {
			OPAQUE(m);
			cy_mutex_lock(m);
			shared.protected_count++;
			cy_mutex_unlock(m);
		}
	}
}

static void oblock_loop(cy_bench_state *s)
{
	cy_oblock *l = &shared.oblock;
	while (cy_bench_keep_running_batch(s, PAIRS_PER_BATCH)) {
		for (int i = 0; i < PAIRS_PER_BATCH; i++) {
			OPAQUE(l);
			cy_oblock_lock(l);
			shared.protected_count++;
			cy_oblock_unlock(l);
		}
	}
}

static void rwlock_read_loop(cy_bench_state *s)
{
	pthread_rwlock_t *l = &shared.rwlock;
	int64_t seen = 0;
	while (cy_bench_keep_running_batch(s, PAIRS_PER_BATCH)) {
		for (int i = 0; i < PAIRS_PER_BATCH; i++) {
			OPAQUE(l);
			pthread_rwlock_rdlock(l);
			seen += shared.protected_count;
			pthread_rwlock_unlock(l);
		}
	}
	OPAQUE(seen);
}

static void rwlock_write_loop(cy_bench_state *s)
{
	pthread_rwlock_t *l = &shared.rwlock;
	while (cy_bench_keep_running_batch(s, PAIRS_PER_BATCH)) {
		for (int i = 0; i < PAIRS_PER_BATCH; i++) {
			OPAQUE(l);
			pthread_rwlock_wrlock(l);
			shared.protected_count++;
			pthread_rwlock_unlock(l);
		}
	}
}

static void rcu_read_loop(cy_bench_state *s)
{
	urcu_qsbr_register_thread(); /* online: this thread's quiescent states now count */
	int64_t seen = 0;
	while (cy_bench_keep_running_batch(s, PAIRS_PER_BATCH)) {
		for (int i = 0; i < PAIRS_PER_BATCH; i++) {
			urcu_qsbr_read_lock();
			int64_t *p = rcu_dereference(shared.rcu_pointer);
			seen += *p;
			urcu_qsbr_read_unlock();
		}
		urcu_qsbr_quiescent_state();
	}
	urcu_qsbr_unregister_thread();
	OPAQUE(seen);
}

static const lock_kind kinds[] = {
	{"pthread_mutex", pthread_mutex_loop, 1},
	{"cy_mutex", cy_mutex_loop, 1},
	{"cy_oblock", oblock_loop, 1},
	{"rwlock_read", rwlock_read_loop, 0},
	{"rwlock_write", rwlock_write_loop, 1},
	{"rcu_qsbr_read", rcu_read_loop, 0},
};

/* ---- runs ------------------------------------------------------------------ */

static int64_t rcu_target = 1;

static const char *lock_setup(cy_bench_state *s, void *context)
{
	(void)s;
	(void)context;
	shared.protected_count = 0;
	memset(shared.pairs, 0, sizeof shared.pairs);
	rcu_assign_pointer(shared.rcu_pointer, &rcu_target);
	return NULL;
}

static void lock_run(cy_bench_state *s, void *context)
{
	const lock_kind *k = context;
	uint64_t wall = cy_now_ns(), cpu = cy_thread_cpu_ns();
	k->loop(s);
	wall = cy_now_ns() - wall;
	cpu = cy_thread_cpu_ns() - cpu;
	shared.pairs[cy_bench_thread_index(s)] = cy_bench_iterations(s);
	cy_bench_set_items_processed(s, cy_bench_iterations(s));
	cy_bench_set_counter(s, "on_cpu", wall ? (double)cpu / (double)wall : 0, CY_BENCH_COUNTER_THREAD_AVERAGE);
}

/* Every thread's loop is over (the harness's teardown gate): the count must add up. */
static void lock_teardown(cy_bench_state *s, void *context)
{
	const lock_kind *k = context;
	int64_t pairs = 0;
	for (int t = 0; t < cy_bench_threads(s); t++)
		pairs += shared.pairs[t];
	if (k->exclusive && shared.protected_count != pairs) {
		fprintf(stderr, "micro_lock: lock/%s: %lld increments under the lock, %lld pairs made\n", k->name,
			(long long)shared.protected_count, (long long)pairs);
		cy_bench_skip_with_error(s, "the lock did not exclude: increments were lost");
	}
}

static void *do_nothing(void *arg) { return arg; }

int main(int argc, char **argv)
{
	pthread_t second;
	if (pthread_create(&second, NULL, do_nothing, NULL) != 0 || pthread_join(second, NULL) != 0) {
		fprintf(stderr, "micro_lock: cannot start a thread\n");
		return 1;
	}
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		char name[64];
		snprintf(name, sizeof name, "lock/%s", kinds[i].name);
		cy_bench_def alone = {
			.name = name,
			.run = lock_run,
			.context = (void *)&kinds[i],
			.setup = lock_setup,
			.teardown = lock_teardown,
		};
		cy_bench_def pair = alone;
		pair.threads = 2;
		pair.use_real_time = 1;
		if (cy_bench_register(&alone) != 0 || cy_bench_register(&pair) != 0)
			return 1;
	}
	cy_bench_add_context("cyclab_version", CY_VERSION);
	cy_bench_add_context("cyclab_build", CY_BUILD_KIND);
	return cy_bench_main(argc, argv);
}
