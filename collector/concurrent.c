/*
 * concurrent.c: the concurrent collector (--gc concurrent): a collector
 * thread that marks the old generations while the mutators run.
 *
 * The collection is the incremental one (incremental.c: an estimate of the
 * garbage by trial deletion, SUBTRACT, SEED and SCAN, then VERIFY slices
 * that confirm whole components of candidates with exact counts, the world
 * stopped), driven by a thread of its own, and with the estimate computed
 * without stopping the world:
 *
 *   1. snapshot  one short pause takes generations 0..gen (the young lists
 *                too, relabelled generation 1 of the collection's epoch)
 *                and sets cy_gc_collector_reading;
 *   2. marking   the collector thread marks in chunks of about CHUNK_NS,
 *                the world running, and passes a safepoint between chunks,
 *                so young collections (still stop-the-world, on the
 *                mutators) and QSBR grace periods go on; an object whose
 *                type has no traverse_concurrent is marked in a slice with
 *                the world stopped, bounded by the pause budget;
 *   3. the flag is cleared (store-release);
 *   4. verify    slices with the world stopped, each about the pause
 *                budget, confirm the candidates and dispose of the garbage
 *                exactly as a stop-the-world collection would.
 * A mutator whose count check finds an old generation due wakes the thread
 * (request), unless the generations are estimated to fit in one pause of
 * the budget; then the mutator collects them stop-the-world, as the
 * thread's snapshot and verify pauses would cost as much (sliced.c,
 * cy_gc_fits_in_a_pause). An explicit cy_gc_collect of generation 1 or 2
 * follows the same rule: stop-the-world on the caller if it fits, else on
 * the thread, the caller waiting, having first handed its own young list to
 * generation 1 with the world running (hand_in_own_young_list); either way
 * it returns the exact number it found. Mutators run slices of the
 * thread's collection only as assists, when pacing says the collection is
 * falling behind them (collect_due).
 *
 * Counts are read while mutators change them, so nonatomic counting
 * (plain loads and stores, one thread) is refused (cy_gc_start).
 *
 * Why nothing reachable is ever freed. Only VERIFY frees, and it applies
 * trial deletion with exact counts, the world stopped, to whole components of
 * candidates: sound for any set (collect.c). The estimate decides only
 * which objects are candidates; an object it wrongly leaves out survives
 * and is found next time, one it wrongly takes in is kept by VERIFY.
 *
 * Why the marking's reads are safe while mutators run. The collector
 * reads (a) members: objects of the snapshot, their GC head, counts, type
 * and (through traverse_concurrent) their reference fields; (b) referents
 * of members: their type and GC head state, nothing else.
 *  - A member that a mutator frees keeps its storage: gc_track.c marks it
 *    DEAD and pushes it on the dead stack, which only a stopped-world slice
 *    of this collection releases. Its count and fields may change as it
 *    dies; the counts are read with relaxed loads (refcount.h), and the
 *    fields by traverse_concurrent, which types provide only where it is
 *    safe beside every writer (atomic fields, or the object's lock, which
 *    clear takes as well). Members already marked DEAD are passed over.
 *    The collector never reads a member's ob_owner, which the dying
 *    object's free stack and the dead stack use as a link, nor its list
 *    neighbours' fields other than the links it owns.
 *  - A referent that is not a member (a young object, a leaf, an object
 *    promoted after the snapshot) may be freed by its owner while the
 *    collector holds its address, read from a member's field. While
 *    cy_gc_collector_reading is set, every object's storage goes back
 *    through cy_mem_free_deferred (object.c), which writes none of the
 *    block's bytes before a QSBR grace period, and the collector thread
 *    passes a quiescent state only between chunks, where it holds no
 *    pointer to any non-member. (A thread that has the world stopped for
 *    a collection frees at once: the collector thread is then parked at a
 *    safepoint between chunks, or is that thread.) Each quiescent state is
 *    also published with cy_mem_reader_quiescent, so that ThreadSanitizer
 *    sees the reads ordered before the deferred frees. The flag is set
 *    inside the snapshot pause, so no mutator is between its check of the
 *    flag and the free; a free that sees it clear (acquire) comes after all
 *    the collector's reads.
 *    The referent's header was initialised before the collector could see
 *    its address: written before the snapshot (the stop orders it), or
 *    published into the member by a release store or under the member's
 *    lock, paired with the traverse's acquire load or lock.
 *  - The collector writes only what mutators never write: members' refs
 *    scratch and list links (mutators leave members' links to the dead
 *    stack), and the relabelling of generation-1 survivors, a
 *    compare-and-swap that keeps a DEAD flag set meanwhile.
 *  - The collector takes a container's lock only inside one traverse, and
 *    never reaches a safepoint holding one; mutators never reach one
 *    holding a lock either, so a stop of the world waits for no lock.
 *
 * Pacing: after each stop (a verify slice, or a marking slice for a type
 * without traverse_concurrent) the collector thread sleeps, offline, for
 * the gap pacing owes the mutators (sliced.c: the pause budget while the
 * collection keeps ahead of the young collections' promotions, down to
 * none as they catch up), so mutators keep at least half of the time while
 * an old collection is being confirmed and the collection still keeps up
 * with them. A mutator whose young collection finds collect_lock held by
 * the collector thread waits for it instead of giving up (gc.c).
 *
 * Thread and locks: collect_lock serialises collections as in the other
 * modes. The collector thread holds it for the snapshot and for each slice,
 * not while it marks, so young collections run then; the state of the
 * collection (sliced.c's) is touched meanwhile only by the collector
 * thread, or by a mutator's assist slice with the world stopped, while the
 * thread is parked between chunks. Whoever needs the collection finished (an explicit collection
 * of an old generation, get_objects, freeze, a mode change) waits for the
 * thread to be idle, offline, with collect_lock released.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "collector/gc_internal.h"
#include "runtime/alloc.h"
#include "runtime/refcount.h"
#include "runtime/thread_internal.h"

/* Marking work between two safepoints of the collector thread. */
#define CHUNK_NS 50000

/* Young objects the caller of an explicit collection hands to generation 1 per hold of the locks. */
#define HAND_IN_CHUNK 4096

/* The collector thread's state: cy_gc's, all under collect_lock. */
static cy_gc_concurrent_state *const conc = &cy_gc.concurrent;

/* Wait on cond with collect_lock held, offline: stops of the world go on meanwhile. */
static void wait_offline(pthread_cond_t *cond)
{
	cy_blocking_begin();
	pthread_cond_wait(cond, &cy_gc.collect_lock);
	cy_blocking_end();
}

/* Between stops the mutators get what pacing owes them (sliced.c's gap: up to the pause budget). */
static void leave_mutators_a_slice(uint64_t gap_ns)
{
	if (gap_ns == 0)
		return;
	struct timespec ts = {.tv_sec = (time_t)(gap_ns / 1000000000u), .tv_nsec = (long)(gap_ns % 1000000000u)};
	cy_blocking_begin();
	nanosleep(&ts, NULL);
	cy_blocking_end();
}

/* One stop of the world for the next work; returns nonzero while the collection runs. */
static int stw_slice(void)
{
	cy_gc_sliced_slice(1);
	return cy_gc_sliced_active();
}

/* One collection; collect_lock held on entry and on return, released while marking. */
static void collect(int gen, int automatic)
{
	cy_gc_sliced_begin(gen, automatic, 1);
	cy_atomic_store_relaxed(&conc->assistable, 1);
	cy_gc_unlock();
	for (;;) {
		int result = cy_gc_sliced_mark_concurrently(CHUNK_NS);
		if (result == CY_GC_MARKED)
			break;
		if (result == CY_GC_MARK_NEEDS_STW) {
			cy_gc_lock_offline();
			stw_slice();
			uint64_t gap = cy_gc_sliced_gap_ns();
			int marking = cy_gc_sliced_marking();
			cy_gc_unlock();
			if (!marking)
				break;
			leave_mutators_a_slice(gap);
		}
		/* Between chunks: no pointer to a non-member is held. */
		cy_mem_reader_quiescent();
		cy_safepoint();
	}
	cy_gc_lock_offline();
	/* Paired with the acquire on the free path: frees from now on come after all our reads. */
	cy_atomic_store_release(&cy_gc_collector_reading, 0);
	cy_mem_reader_quiescent();
	/* A mutator may finish the collection between two of our slices (assist). */
	while (stw_slice()) {
		uint64_t gap = cy_gc_sliced_gap_ns();
		cy_gc_unlock();
		leave_mutators_a_slice(gap);
		cy_gc_lock_offline();
	}
	cy_atomic_store_relaxed(&conc->assistable, 0);
}

static void *collector_main(void *arg)
{
	(void)arg;
	int err = cy_thread_register(CY_ROLE_SERVICE);
	if (err != CY_THREAD_OK) {
		fprintf(stderr, "cyclab: the concurrent collector's thread cannot register: %s\n",
			cy_thread_strerror(err));
		abort();
	}
	cy_gc_lock_offline();
	for (;;) {
		while (!conc->exit && !conc->requested_gen)
			wait_offline(&conc->wake);
		if (!conc->requested_gen)
			break; /* exit, and nothing asked for */
		int gen = conc->requested_gen;
		conc->requested_gen = 0;
		conc->running_waiter = conc->requested_waiter;
		conc->requested_waiter = NULL;
		conc->running = 1;
		collect(gen, conc->requested_automatic);
		conc->running = 0;
		conc->finished++;
		if (conc->running_waiter) {
			conc->running_waiter->found = cy_gc_sliced_last_found();
			conc->running_waiter->done = 1;
			conc->running_waiter = NULL;
		}
		pthread_cond_broadcast(&conc->idle);
	}
	cy_gc_unlock();
	cy_thread_unregister();
	cy_gc_lock_offline();
	conc->alive = 0;
	pthread_cond_broadcast(&conc->idle);
	cy_gc_unlock();
	return NULL;
}

static void start(void)
{
	while (conc->alive) /* a previous thread still on its way out */
		wait_offline(&conc->idle);
	conc->exit = 0;
	conc->requested_gen = 0;
	int err = pthread_create(&conc->thread, NULL, collector_main, NULL);
	if (err != 0) {
		fprintf(stderr, "cyclab: cannot start the concurrent collector's thread (error %d)\n", err);
		abort();
	}
	conc->alive = 1;
}

static int busy(void) { return conc->requested_gen != 0 || conc->running; }

/* Wait (offline, collect_lock released meanwhile) until the collector thread is idle. */
static void wait_idle(void)
{
	while (conc->alive && busy())
		wait_offline(&conc->idle);
}

/* The thread finishes the collection it runs, if any, then exits; collect_lock is released while it does. */
static void stop(void)
{
	if (!conc->alive)
		return;
	wait_idle();
	conc->exit = 1;
	pthread_t thread = conc->thread;
	pthread_cond_signal(&conc->wake);
	while (conc->alive)
		wait_offline(&conc->idle);
	/* It has given up the lock for good: joining cannot wait for us. */
	cy_blocking_begin();
	pthread_join(thread, NULL);
	cy_blocking_end();
}

/*
 * Ask the collector thread for a collection of generations 0..gen (1 or 2)
 * unless it is busy; waiter (explicit collections) receives its count.
 * Returns whether it asked.
 */
static int request(int gen, int automatic, cy_gc_concurrent_waiter *waiter)
{
	if (!conc->alive || conc->exit || busy())
		return 0;
	conc->requested_gen = gen;
	conc->requested_automatic = automatic;
	conc->requested_waiter = waiter;
	pthread_cond_signal(&conc->wake);
	return 1;
}

/*
 * Old generations are the collector thread's, unless small; young
 * collections stay here, beside it. Assist: while the thread's collection
 * runs and pacing owes the mutators less than a whole budget (the young
 * collections' promotions are catching up with it, sliced.c), a mutator
 * whose safepoint finds work due runs the next slice itself, marking or
 * verifying, the world stopped and bounded by the budget like the thread's
 * own. Without it a mutator that stops the world for young collections
 * back to back starves the thread: each stop parks it between chunks, and
 * the next comes before the operating system has run it again (a test
 * allocated 200 million objects while one collection of 100,000 marked).
 * Stopping the world is what makes it safe: the thread is then parked
 * between chunks of marking, or waiting offline between slices, and holds
 * no pointer into the collection's state (the marking resumes from the
 * cursor, which slices keep valid).
 */
static void hand_in_own_young_list(void);

/*
 * A young generation many times its threshold (automatic collection was
 * disabled a while, or a setup built a large structure before the first
 * safepoint) would make one long stop-the-world young collection: 131,071
 * tree nodes took 4 ms. When the thread is idle and the young generation
 * is past YOUNG_BACKLOG thresholds (and YOUNG_BACKLOG_MIN objects) and
 * beyond what one pause can collect, its owner hands its young list to
 * generation 1 with the world running, as an explicit collection does,
 * and the thread collects generation 1.
 * A young generation near its threshold is collected here as usual.
 */
enum {
	YOUNG_BACKLOG = 4,
	/*
	 * And at least this many objects, whatever the measured cost per
	 * object: a threshold lowered below a few hundred young objects (or a
	 * slow build) must not send an ordinary young collection to the thread,
	 * where it would finish after the safepoint that asked for it.
	 */
	YOUNG_BACKLOG_MIN = 10000,
};

static int young_backlog_too_big_for_a_pause(void)
{
	int64_t young = cy_atomic_load_relaxed(&cy_gc_young_count);
	int64_t threshold = cy_atomic_load_relaxed(&cy_gc.threshold[0]);
	return threshold > 0 && young > YOUNG_BACKLOG * threshold && young >= YOUNG_BACKLOG_MIN &&
	       !cy_gc_objects_fit_in_a_pause(young);
}

static void collect_due(int gen)
{
	if (cy_atomic_load_relaxed(&conc->assistable) && cy_gc_sliced_gap_ns() < cy_gc.pause_budget_ns)
		cy_gc_sliced_slice(0);
	if (gen > 0 && !busy() && cy_gc_fits_in_a_pause(gen))
		cy_gc_collect_stw(gen, 1);
	else if (gen > 0 && !busy())
		request(gen, 1, NULL);
	else if (gen >= 0 && cy_atomic_load_relaxed(&cy_gc_young_count) > cy_gc.threshold[0]) {
		if (!busy() && conc->alive && !conc->exit && young_backlog_too_big_for_a_pause()) {
			cy_gc_flush_count();
			hand_in_own_young_list();
			if (request(1, 1, NULL))
				return;
		}
		cy_gc_collect_stw(0, 1);
	}
}

/*
 * The caller of an explicit collection hands its own young list to
 * generation 1 before it asks the thread: the collection takes generation 1
 * whole, at once, so the snapshot does not relabel these objects one by one
 * with the world stopped (a young list grows without bound while automatic
 * collection is disabled, and 2 million objects took 120 ms to relabel).
 * The caller owns its young list, so it relabels with the world running,
 * as a thread that exits does (gc_track.c): under its remote_lock, so that
 * a thread freeing one of these objects either pushes it on the remote list
 * before the relabelling (taken and unlinked here first) or sees its new
 * state and unlinks it from generation 1 under old_lock, which is held
 * too. A chunk at a time, so that other threads wait for old_lock at most
 * a chunk's worth. The objects stay counted in generation 0 until the
 * collection, which resets the counts, and are reported as promoted to
 * generation 1 for the pacing and the fits-in-a-pause estimate.
 */
static void hand_in_own_young_list(void)
{
	cy_thread *t = cy_thread_self();
	if (!t)
		return;
	cy_gc_flush_count();
	int64_t moved = 0;
	while (!cy_gc_list_is_empty(&t->young)) {
		pthread_mutex_lock(&t->remote_lock);
		/* Objects other threads freed: still linked in our young list, not to be handed on. */
		cy_object *freed = t->remote;
		t->remote = NULL;
		for (cy_object *o = freed; o; o = (cy_object *)(uintptr_t)cy_atomic_load_relaxed(&o->ob_owner))
			cy_gc_list_remove(cy_gc_head_of(o));
		pthread_mutex_lock(&cy_gc_old_lock);
		uint32_t old1 = cy_gc_old_state(1);
		cy_gc_head *first = t->young.next, *g = first;
		size_t n = 0;
		for (; g != &t->young && n < HAND_IN_CHUNK; g = g->next, n++)
			cy_gc_set_state(g, old1);
		if (n > 0) {
			/* Cut first..last out of the young list and append it to generation 1. */
			cy_gc_head *last = g->prev;
			t->young.next = g;
			g->prev = &t->young;
			cy_gc_head *tail = cy_gc_old[1].prev;
			tail->next = first;
			first->prev = tail;
			last->next = &cy_gc_old[1];
			cy_gc_old[1].prev = last;
		}
		pthread_mutex_unlock(&cy_gc_old_lock);
		pthread_mutex_unlock(&t->remote_lock);
		while (freed) {
			cy_object *next = (cy_object *)(uintptr_t)cy_atomic_load_relaxed(&freed->ob_owner);
			cy_object_release_storage(freed);
			freed = next;
		}
		moved += (int64_t)n;
	}
	cy_gc.generation1_promoted += moved;
}

/*
 * An explicit collection of 0..gen: a young one here, beside the collector
 * thread, and one estimated to fit in a pause too (stop-the-world, as the
 * thread's snapshot and verify pauses alone would cost as much); any other
 * on the thread, the caller waiting.
 */
static int64_t collect_now(int gen)
{
	if (gen == 0)
		return cy_gc_collect_stw(0, 0);
	wait_idle();
	if (!conc->alive || conc->exit)
		return cy_gc_collect_stw(gen, 0); /* the mode is changing: no thread to ask */
	cy_gc_flush_count();
	if (cy_gc_fits_in_a_pause(gen))
		return cy_gc_collect_stw(gen, 0);
	hand_in_own_young_list();
	/* Several callers may wait at once: each is told the count of the collection it asked for. */
	cy_gc_concurrent_waiter waiter = {0};
	if (!request(gen, 0, &waiter))
		return cy_gc_collect_stw(gen, 0);
	while (conc->alive && !waiter.done)
		wait_offline(&conc->idle);
	return waiter.done ? waiter.found : cy_gc_collect_stw(gen, 0);
}

/* Mutators' count check, without the lock: while the thread collects, an assist may be due. */
static int assist_due(void) { return cy_atomic_load_relaxed(&conc->assistable); }

/* The collector thread reads counts while mutators run: nonatomic counts allow one thread only. */
static int available(void) { return cy_rc_mode_running != CY_RC_NONATOMIC; }

const cy_gc_flavor cy_gc_flavor_concurrent = {
	.mode = CY_GC_MODE_CONCURRENT,
	.name = "concurrent",
	.available = available,
	.start = start,
	.stop = stop,
	.collect_automatic = collect_due,
	.collect_explicit = collect_now,
	.finish = wait_idle,
	.work_due = assist_due,
	.young_waits_for_lock = 1,
};
