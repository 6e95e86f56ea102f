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
	uint64_t pause_budget_ns; /* incremental mode: the longest a marking slice may stop the world */

	/* Counts of generations 1 and 2 (generation 0's is cy_gc_young_count). */
	int64_t count[CY_GC_GENERATIONS];
	/* CPython's long-lived rule for full collections. */
	int64_t long_lived_total, long_lived_pending;

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

/* gc.c: take collect_lock, offline while waiting (the holder may be stopping the world). */
void cy_gc_lock_offline(void);

/* collect.c: collect generations 0..gen with the world stopped; collect_lock held. */
int64_t cy_gc_collect_stw(int gen, int automatic);

/* collect.c: a finished collection of generation gen with this many survivors moves the counts. */
void cy_gc_update_counts(int gen, int64_t survivors);

/*
 * collect.c, for the end of an incremental collection (world stopped,
 * collect_lock held): confirm with exact counts that candidates are garbage
 * and dispose of them like a stop-the-world collection of generation gen
 * (weak references, finalizers, clearing; survivors to generation gen + 1).
 * Fills info's collected, uncollectable and phase times; returns the
 * number of candidates promoted.
 */
int64_t cy_gc_verify_candidates(cy_gc_head *candidates, int gen, cy_gc_collection_info *info);

/* incremental.c: the incremental mode (collect_lock held for each call). */
int cy_gc_incremental_active(void);
/* Do one slice if one is due (or start a collection of gen >= 1); returns nonzero if it paused. */
int cy_gc_incremental_step(int start_gen, int automatic);
/* Finish the collection in progress without a budget (explicit collections, stopping). */
void cy_gc_incremental_finish(void);

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
