/*
 * thread_internal.h: the thread table, shared by thread.c, refcount.c,
 * counters.c, gc_track.c and the collector, which stops the world and then
 * works on every thread's lists. Not for workloads or benchmarks.
 *
 * Slots are statically allocated and reused; a slot's id changes every time
 * it is taken, and ids are never reused, so an object's owner id names one
 * thread forever: a lookup that finds another id in the slot knows its owner
 * has exited.
 *
 * id = serial << 11 | slot << 1 | 1, odd so that no id equals a pointer.
 */
#ifndef CY_THREAD_INTERNAL_H
#define CY_THREAD_INTERNAL_H

#include <pthread.h>
#include <stddef.h>

#include "counters.h"
#include "gc_track.h"
#include "object.h"
#include "thread.h"

enum cy_thread_state {
	CY_THREAD_FREE = 0,    /* slot unused */
	CY_THREAD_RUNNING = 1, /* online: may touch objects */
	CY_THREAD_OFFLINE = 2, /* in a blocking region */
	CY_THREAD_PARKED = 3,  /* stopped at a safepoint for the world */
};

typedef struct cy_thread {
	/* Under world_lock (thread.c); id and state are also read with relaxed loads. */
	uint64_t id;
	int state;
	cy_thread_role role;
	int stop_pending;     /* counted in the current stop's threads_to_stop */
	unsigned *poll;       /* the thread's cy_tls_poll; valid while id is set */
	cy_counters *counters; /* the thread's cy_tls_counters; valid while id is set */

	/*
	 * Claim on the thread's non-atomic local counts: held by the thread
	 * whenever it is RUNNING; whoever merges biased counts on its behalf
	 * (while it is offline, parked, or gone) holds it, so those counts have
	 * one writer. A flag rather than a mutex: it is held for the thread's
	 * whole running life, which a lock-order checker would read as an
	 * inversion with every lock the thread takes.
	 */
	int local_claim; /* 0 free, 1 held; atomic */

	/* Biased-count merge queue (refcount.c), under merge_lock. */
	pthread_mutex_t merge_lock;
	cy_object **merge_queue;
	size_t merge_len, merge_cap;

	/* Tracked containers (gc_track.c): young is the owner's, or the world's when stopped. */
	cy_gc_head young;
	pthread_mutex_t remote_lock;
	cy_object *remote; /* dead objects of young freed by other threads, under remote_lock */
	int remote_closed; /* the thread has exited: push nothing more, under remote_lock */
} cy_thread;

extern cy_thread cy_threads[CY_MAX_THREADS];

/*
 * One past the highest slot ever taken (atomic; only grows): loops over the
 * table stop there rather than at CY_MAX_THREADS.
 */
extern unsigned cy_thread_slots_used;

CY_INLINE unsigned cy_thread_slots_end(void) { return cy_atomic_load_acquire(&cy_thread_slots_used); }

CY_INLINE unsigned cy_thread_slot_of(uint64_t id) { return (unsigned)(id >> 1) & (CY_MAX_THREADS - 1); }

/* The calling thread's slot, or NULL when it is not registered. */
extern _Thread_local cy_thread *cy_tls_self;
CY_INLINE cy_thread *cy_thread_self(void) { return cy_tls_self; }

/* Try to claim t's local counts; 1 on success. Acquire pairs with cy_local_release. */
CY_INLINE int cy_local_try_claim(cy_thread *t)
{
	int expected = 0;
	return cy_atomic_cas_strong_acquire(&t->local_claim, &expected, 1);
}

/* Claim t's local counts, waiting out a helper that holds them (briefly). */
void cy_local_claim(cy_thread *t);

CY_INLINE void cy_local_release(cy_thread *t) { cy_atomic_store_release(&t->local_claim, 0); }

/* refcount.c: merge everything queued to t; the caller holds t's local claim. */
void cy_brc_drain(cy_thread *t);
/*
 * refcount.c: the calling thread t is going away and touches no object any
 * more: close its queue (later queuers merge on the spot) and merge what
 * is left. Called while t still runs, so no stop of the world is under way.
 */
void cy_brc_close(cy_thread *t);
/*
 * refcount.c: set by a collector that stopped the world and holds every
 * thread's local claim: it may then update any biased object's local count
 * as the owner would, instead of queueing a merge.
 */
extern _Thread_local int cy_rc_tls_owns_all;

/* refcount.c: nothing is queued to t for a merge. */
int cy_brc_queue_empty(cy_thread *t);
/* refcount.c: t is not RUNNING; merge its queue for it unless someone else holds its local claim. */
void cy_brc_help_offline(cy_thread *t);

/* gc_track.c: finish t's remote unlinks (t is the caller, or the world is stopped). */
void cy_gc_process_remote_of(cy_thread *t);

/* counters.c: fold an exiting thread's counters into the retired totals (world_lock held). */
void cy_counters_retire(const cy_counters *c);

extern pthread_mutex_t cy_world_lock;

#endif
