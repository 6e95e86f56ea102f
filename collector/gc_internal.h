/*
 * gc_internal.h: the collector's shared state, for the collector's own sources.
 *
 * collect_lock serialises collections and guards everything below that is
 * not marked atomic. Statistics and the pause ring are written by the
 * collecting thread with collect_lock held; readers take the lock too.
 */
#ifndef CY_GC_INTERNAL_H
#define CY_GC_INTERNAL_H

#include <pthread.h>

#include "collector/gc.h"
#include "runtime/gc_track.h"
#include "runtime/thread.h"

typedef struct cy_gc_globals {
	pthread_mutex_t collect_lock;

	/* Settings: atomic, so mutators' threshold checks need no lock. */
	int enabled;
	int64_t threshold[CY_GC_GENERATIONS];
	unsigned debug;
	cy_gc_mode mode;
	uint64_t pause_budget_ns; /* incremental and concurrent modes: the longest a slice may stop the world */

	/* Counts of generations 1 and 2 (generation 0's is cy_gc_young_count). */
	int64_t count[CY_GC_GENERATIONS];
	/* CPython's long-lived rule for full collections. */
	int64_t long_lived_total, long_lived_pending;
	/* Objects that young collections moved to generation 1 since it was last collected (frees not counted). */
	int64_t generation1_promoted;
	/* Stop-the-world collections' pause per object examined, a moving average (concurrent mode's policy). */
	uint64_t stw_ns_per_object;

	cy_gc_generation_stats stats[CY_GC_GENERATIONS];
	cy_gc_totals totals;
	uint64_t collections; /* numbering */

	/* gc.garbage: a growable array of references. */
	cy_object **garbage;
	size_t garbage_len, garbage_cap;

	/* The pause ring: pause number n is at ring[n % CY_GC_PAUSE_RING]. */
	cy_gc_pause *ring;
	uint64_t pauses_recorded;

	struct {
		cy_gc_callback fn;
		void *arg;
	} callbacks[16];
	unsigned ncallbacks;
} cy_gc_globals;

extern cy_gc_globals cy_gc;

/*
 * Set while the calling thread holds collect_lock. Finalizers, weak
 * reference callbacks and gc callbacks run while their collection holds it,
 * on the collecting thread: the gc module's functions called from them see
 * this flag and neither take the lock again nor wait for the collection
 * they are part of (gc.c, "calls from inside a collection").
 */
extern _Thread_local int cy_gc_tls_lock_held;

/* gc.c: take collect_lock, offline while waiting (the holder may be stopping the world). */
void cy_gc_lock_offline(void);
void cy_gc_unlock(void);

/*
 * gc.c: for the gc module's entry points. Take collect_lock unless this
 * thread holds it already; returns whether it did, for cy_gc_api_unlock.
 */
int cy_gc_api_lock(void);
void cy_gc_api_unlock(int taken);

/* collect.c: collect generations 0..gen with the world stopped; collect_lock held. */
int64_t cy_gc_collect_stw(int gen, int automatic);

/* collect.c: a finished collection of generation gen with this many survivors moves the counts. */
void cy_gc_update_counts(int gen, int64_t survivors);

/*
 * collect.c, for the end of an incremental collection (world stopped,
 * collect_lock held): confirm with exact counts that candidates are garbage
 * and dispose of them like a stop-the-world collection of generation gen
 * (weak references, finalizers, clearing). Uncollectable objects go to
 * generation gen + 1; the others that survive go to keep, with state
 * keep_state, for the caller to try again or promote. Fills info's
 * collected, uncollectable and phase times; returns the number of
 * candidates promoted.
 */
int64_t cy_gc_verify_candidates(cy_gc_head *candidates, int gen, cy_gc_collection_info *info, cy_gc_head *keep,
	uint32_t keep_state);

/*
 * components.c: an incremental collection's candidates grouped into weakly
 * connected components (the file says why verification needs them). Used
 * with the world stopped, by the collection that owns the candidates:
 * begin (room for expected candidates), add each, adding_done, step until
 * it returns 1, then take groups until exhausted; forget a candidate freed
 * meanwhile; end.
 */
enum cy_gc_components_stage {
	CY_GC_COMPONENTS_OFF,
	CY_GC_COMPONENTS_ADDING,
	CY_GC_COMPONENTS_UNITING,
	CY_GC_COMPONENTS_CHAINING,
	CY_GC_COMPONENTS_READY,
};

typedef struct cy_gc_components {
	enum cy_gc_components_stage stage;
	size_t n, cap, nslots, cursor;
	cy_gc_head **heads;  /* candidate i, NULL once forgotten */
	uint32_t *parent;    /* union-find forest */
	uint32_t *chain_next, *chain_head; /* members of each root's component */
	uint32_t *slots;     /* open addressing: head -> index */
} cy_gc_components;

int cy_gc_components_begin(cy_gc_components *c, size_t expected); /* -1 without memory */
int cy_gc_components_add(cy_gc_components *c, cy_gc_head *g);     /* -1 past expected */
void cy_gc_components_adding_done(cy_gc_components *c);
/* Unite and chain until the deadline; returns 1 when the groups are ready. */
int cy_gc_components_step(cy_gc_components *c, uint64_t deadline);
void cy_gc_components_forget(cy_gc_components *c, cy_gc_head *g);
/* Move whole groups into batch, at least one, until it holds max objects; returns how many moved. */
size_t cy_gc_components_take(cy_gc_components *c, cy_gc_head *batch, size_t max);
int cy_gc_components_exhausted(const cy_gc_components *c);
void cy_gc_components_end(cy_gc_components *c);

/* incremental.c: the incremental mode (collect_lock held for each call). */
int cy_gc_incremental_active(void);
/* Do one slice if one is due (or start a collection of gen >= 1); returns nonzero if it paused. */
int cy_gc_incremental_step(int start_gen, int automatic);
/* Finish the collection in progress without a budget (explicit collections, stopping). */
void cy_gc_incremental_finish(void);

/*
 * incremental.c, for the concurrent collector's thread, which drives one
 * collection at a time with the incremental collection's state. begin and
 * stw_slice need collect_lock; the marking calls run without it, the world
 * running, on the collector thread only.
 */
/* The snapshot pause: take generations 0..gen and set cy_gc_collector_reading. */
void cy_gc_incremental_begin_concurrent(int gen, int automatic);
/* Is the estimate still being computed? */
int cy_gc_incremental_marking(void);
enum { CY_GC_MARK_MORE, CY_GC_MARKED, CY_GC_MARK_NEEDS_STW };
/* Mark for about ns with the world running. */
int cy_gc_incremental_mark_concurrently(uint64_t ns);
/* One stop of the world for up to the pause budget of the next work; returns nonzero while the collection runs. */
int cy_gc_incremental_stw_slice(void);
/* Unreachable objects found by the last finished collection. */
int64_t cy_gc_incremental_last_found(void);

/*
 * concurrent.c: the collector thread (collect_lock held for each call but
 * stop, which takes it itself).
 */
void cy_gc_concurrent_start(void);
void cy_gc_concurrent_stop(void);
/* Is a collection asked for or running on the collector thread? */
int cy_gc_concurrent_busy(void);
/* Ask the collector thread for a collection of generations 0..gen (1 or 2) unless it is busy. */
void cy_gc_concurrent_request(int gen, int automatic);
/* Wait (offline, collect_lock released meanwhile) until the collector thread is idle. */
void cy_gc_concurrent_wait_idle(void);
/* Run a whole collection of 0..gen on the collector thread and return what it found. */
int64_t cy_gc_concurrent_collect(int gen);

/* gc.c: record a pause; collect_lock held. */
void cy_gc_record_pause(uint64_t collection, const cy_stw_report *stop, uint64_t end_ns, cy_gc_pause_kind kind);
/* Longest time a mutator took to reach its safepoint in a stop. */
uint64_t cy_gc_max_time_to_safepoint(const cy_stw_report *stop);
/* gc.c: append a reference to gc.garbage (the caller's reference moves into the list). */
void cy_gc_garbage_append(cy_object *o);
/* gc.c: run the callbacks. */
void cy_gc_run_callbacks(int start, const cy_gc_collection_info *info);
/* gc.c: fold a finished collection into statistics and totals. */
void cy_gc_account(const cy_gc_collection_info *info);

#endif
