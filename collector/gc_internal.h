/*
 * gc_internal.h: the collector's state and the declarations its sources
 * share, grouped under the file that owns each. Not for use outside
 * collector/.
 *
 * Shape: gc.c is the gc module's surface and dispatches to the running
 * flavour (stop-the-world, incremental, concurrent: one table of functions
 * each, in stw.c, incremental.c, concurrent.c); flavours call the shared
 * phases of one collection in collect.c, and the incremental and
 * concurrent ones the sliced engine in sliced.c (with components.c); every
 * flavour reports what it did to records.c. Calls run one way: gc.c ->
 * flavours -> sliced.c -> collect.c -> records.c.
 *
 * Locking: collect_lock serialises collections and guards everything in
 * cy_gc not marked atomic. Statistics and the pause ring are written by
 * the collecting thread with collect_lock held; readers take the lock too.
 */
#ifndef CY_GC_INTERNAL_H
#define CY_GC_INTERNAL_H

#include <pthread.h>

#include "collector/gc.h"
#include "runtime/gc_track.h"
#include "runtime/thread.h"

/* ---- components.c ------------------------------------------------------------------ */

/*
 * components.c: a sliced collection's candidates grouped into weakly
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
	size_t n, cap, cursor;
	cy_gc_head **heads;  /* candidate i, NULL once forgotten; candidate i's refs word holds i */
	uint32_t *parent;    /* union-find forest */
	uint32_t *chain_next, *chain_head; /* members of each root's component */
} cy_gc_components;

int cy_gc_components_begin(cy_gc_components *c, size_t expected); /* -1 without memory */
int cy_gc_components_add(cy_gc_components *c, cy_gc_head *g);     /* -1 past expected */
void cy_gc_components_adding_done(cy_gc_components *c);
/* Unite and chain until the deadline; returns 1 when the groups are ready. */
int cy_gc_components_step(cy_gc_components *c, uint64_t deadline);
void cy_gc_components_forget(cy_gc_components *c, cy_gc_head *g);
/* Move whole groups into batch, at least one, until it holds max objects; returns how many moved. */
size_t cy_gc_components_take(cy_gc_components *c, cy_gc_head *batch, size_t max);
/* The grouping is over (its arrays are kept for the next collection). */
void cy_gc_components_end(cy_gc_components *c);


/* ---- the state ---------------------------------------------------------------------- */

/* The phases of a sliced collection, in order. */
typedef enum cy_gc_sliced_phase {
	CY_GC_SLICED_SUBTRACT, /* estimate: counts less internal references */
	CY_GC_SLICED_SEED,     /* estimate: what has outside references is reachable */
	CY_GC_SLICED_SCAN,     /* estimate: and what that reaches */
	CY_GC_SLICED_GROUP,    /* the candidates left, grouped into components */
	CY_GC_SLICED_VERIFY,   /* components confirmed with exact counts and disposed of */
} cy_gc_sliced_phase;

/* The sliced collection in progress (sliced.c). */
typedef struct cy_gc_sliced_state {

	int gen; /* generations 1..gen are being collected; 0: idle */
	cy_gc_sliced_phase phase;
	cy_gc_head work;      /* not (yet) known reachable */
	cy_gc_head reachable; /* known reachable, in breadth-first order */
	cy_gc_head kept;      /* verified and found alive: joins generation 2 when verification ends */
	cy_gc_components groups; /* the candidates' weakly connected components (components.c) */
	int ungrouped;           /* no memory to group: all candidates are verified as one batch */
	cy_gc_head *cursor;   /* where the current phase resumes */
	uint32_t mark;        /* this collection's 8-bit mark */
	uint32_t start_epoch; /* the old-generation epoch the collection took */
	cy_gc_collection_info info;
	uint64_t last_slice_end;
	int64_t slices;
	int64_t reachable_count; /* objects in reachable */
	int64_t survivors;       /* promoted so far */
	int64_t last_found;      /* unreachable objects the last finished collection found */
	int marked;              /* the concurrent marking finished: the next slices verify */
	uint64_t marking_cpu_start;    /* the collector thread's CPU clock when the concurrent marking began */
	uint64_t marking_cpu_in_stops; /* the collector thread's stops' CPU time then (they count themselves) */
	int concurrent;          /* driven by the collector thread (concurrent.c), not by mutators' safepoints */
	uint64_t verify_ns_per_object; /* a moving average over batches, to size them to the budget */
	int64_t taken_generation1;     /* cy_gc.generation1_promoted when the collection took generation 1 */
	int64_t taken_estimate;        /* objects the collection took, estimated when it began (pacing) */
} cy_gc_sliced_state;

/* A caller of an explicit collection on the collector thread: done and found are set when it ends. */
typedef struct cy_gc_concurrent_waiter {
	int done;
	int64_t found;
} cy_gc_concurrent_waiter;

/* The concurrent flavour's collector thread (concurrent.c); all under collect_lock. */
typedef struct cy_gc_concurrent_state {
	pthread_t thread;
	int alive;          /* the thread exists (from create until it unlocks for the last time) */
	int exit;           /* the thread should exit once idle */
	int requested_gen;  /* a collection of 0..requested_gen is asked for; 0: none */
	int requested_automatic;
	int running;        /* the thread is running a collection */
	int assistable;     /* atomic: a collection of the thread's is past its snapshot; mutators may run its slices */
	uint64_t finished;  /* collections the thread finished */
	/*
	 * The caller waiting for the requested (then the running) collection, if
	 * an explicit one: the thread gives it that collection's own count, not
	 * whatever collection finished last before the caller woke.
	 */
	struct cy_gc_concurrent_waiter *requested_waiter, *running_waiter;
	pthread_cond_t wake; /* for the thread: a request or exit */
	pthread_cond_t idle; /* for waiters: a collection finished, or the thread exited */
} cy_gc_concurrent_state;

/* The set of a collection as an array, kept between collections (collect.c's member_array). */
typedef struct cy_gc_member_array {
	cy_gc_head **items;
	size_t len, cap;
	int overflowed; /* a push failed: the array is incomplete */
} cy_gc_member_array;

struct cy_gc_flavor;

/* An installed gc callback. */
typedef struct cy_gc_callback_entry {
	cy_gc_callback fn;
	void *arg;
} cy_gc_callback_entry;

typedef struct cy_gc_globals {
	pthread_mutex_t collect_lock;

	/* Settings: atomic, so mutators' threshold checks need no lock. */
	int enabled;
	int64_t threshold[CY_GC_GENERATIONS];
	unsigned debug;
	cy_gc_mode mode;
	const struct cy_gc_flavor *flavor; /* atomic: the running mode's table (gc.c) */
	uint64_t pause_budget_ns; /* incremental and concurrent modes: the longest a slice may stop the world */

	/* Counts of generations 1 and 2 (generation 0's is cy_gc_young_count). */
	int64_t count[CY_GC_GENERATIONS];
	/* CPython's long-lived rule for full collections. */
	int64_t long_lived_total, long_lived_pending;
	/* Objects that young collections moved to generation 1 since it was last collected (frees not counted). */
	int64_t generation1_promoted;
	/* Stop-the-world collections' pause per object examined, a moving average (concurrent mode's policy). */
	uint64_t stw_ns_per_object;
	/* The same in the collecting thread's CPU time (gc.c), which preemption does not stretch. */
	uint64_t stw_cpu_ns_per_object;

	cy_gc_generation_stats stats[CY_GC_GENERATIONS];
	cy_gc_totals totals;
	uint64_t collections; /* numbering */

	/* gc.garbage: a growable array of references. */
	cy_object **garbage;
	size_t garbage_len, garbage_cap;

	/* The pause ring: pause number n is at ring[n % CY_GC_PAUSE_RING]. */
	cy_gc_pause *ring;
	uint64_t pauses_recorded;

	cy_gc_callback_entry callbacks[16];
	unsigned ncallbacks;

	cy_gc_sliced_state sliced;
	cy_gc_concurrent_state concurrent;
	cy_gc_member_array members;
} cy_gc_globals;

extern cy_gc_globals cy_gc;


/* ---- gc.c: the surface ----------------------------------------------------------------- */

/*
 * Set while the calling thread holds collect_lock. Finalizers, weak
 * reference callbacks and gc callbacks run while their collection holds it,
 * on the collecting thread: the gc module's functions called from them see
 * this flag and neither take the lock again nor wait for the collection
 * they are part of (gc.c, "calls from inside a collection").
 */
extern _Thread_local int cy_gc_tls_lock_held;

/* Take collect_lock, offline while waiting (the holder may be stopping the world). */
void cy_gc_lock_offline(void);
void cy_gc_unlock(void);

/* For the gc module's entry points: take collect_lock unless this thread holds it; returns whether it did. */
int cy_gc_api_lock(void);
void cy_gc_api_unlock(int taken);

/* Append a reference to gc.garbage (the caller's reference moves into the list). */
void cy_gc_garbage_append(cy_object *o);
/* Run the callbacks (after a collection, start = 0: and note its cost per object). */
void cy_gc_run_callbacks(int start, const cy_gc_collection_info *info);

/* ---- the flavours: stw.c, incremental.c, concurrent.c ------------------------------------- */

/*
 * What makes a collector mode: one table each, chosen by cy_gc_start. Every
 * function but available runs with collect_lock held. Adding a mode is a
 * new file with its table and one entry in gc.c's list (docs/collector.md).
 */
typedef struct cy_gc_flavor {
	cy_gc_mode mode;
	const char *name;
	/* Can it run with the counting mode in use? NULL: always. */
	int (*available)(void);
	/* Becoming the running flavour, and ceasing to be: stop finishes any collection in progress first. */
	void (*start)(void);
	void (*stop)(void);
	/* A safepoint found collections due; gen is the oldest generation due, or -1. */
	void (*collect_automatic)(int gen);
	/* cy_gc_collect(gen): collect 0..gen now and return what was found. */
	int64_t (*collect_explicit)(int gen);
	/* Finish any collection in progress (before get_objects, freeze and the like). */
	void (*finish)(void);
	/* Mutators' count check, without the lock: is work due even below threshold 0? NULL: never. */
	int (*work_due)(void);
	/* When another thread holds collect_lock at a safepoint: wait for it rather than skip (its thread slices back to back). */
	int young_waits_for_lock;
} cy_gc_flavor;

extern const cy_gc_flavor cy_gc_flavor_off;
extern const cy_gc_flavor cy_gc_flavor_stw;
extern const cy_gc_flavor cy_gc_flavor_incremental;
extern const cy_gc_flavor cy_gc_flavor_concurrent;

/* ---- sliced.c: a collection in slices ------------------------------------------------------- */

/* The collection in progress, if any (collect_lock held, or the collector thread while it marks). */
int cy_gc_sliced_active(void);
/*
 * Its first stop: take generations 0..gen (1 or 2). Incremental: and a first
 * marking slice. Concurrent: set cy_gc_collector_reading, for the marking
 * the collector thread then does with the world running.
 */
void cy_gc_sliced_begin(int gen, int automatic, int concurrent);
/* One stop of the world for up to the pause budget of the next work, unless too early; returns nonzero if it stopped. */
int cy_gc_sliced_slice(int even_if_early);
/*
 * How long the mutators are owed between two slices (pacing, sliced.c):
 * the pause budget, less as the young collections' promotions catch up
 * with the collection; 0 when none is running.
 */
uint64_t cy_gc_sliced_gap_ns(void);
/* Finish the collection in progress in one stop, without a budget. */
void cy_gc_sliced_finish(void);
/* Concurrent marking (collector thread, world running, no lock): is the estimate still being computed? */
int cy_gc_sliced_marking(void);
enum { CY_GC_MARK_MORE, CY_GC_MARKED, CY_GC_MARK_NEEDS_STW };
/* Mark for about ns with the world running. */
int cy_gc_sliced_mark_concurrently(uint64_t ns);
/* Unreachable objects found by the last finished collection. */
int64_t cy_gc_sliced_last_found(void);
/* Is a collection of generations 0..gen estimated to fit in one pause of the budget (then it runs stop-the-world)? */
int cy_gc_fits_in_a_pause(int gen);
/* The same estimate for a given number of objects. */
int cy_gc_objects_fit_in_a_pause(int64_t objects);

/* ---- collect.c: the phases of one collection ------------------------------------------------------ */

/* Collect generations 0..gen with the world stopped. */
int64_t cy_gc_collect_stw(int gen, int automatic);

/* A finished collection of generation gen with this many survivors moves the counts. */
void cy_gc_update_counts(int gen, int64_t survivors);

/*
 * For a sliced collection's verification (world stopped): confirm with
 * exact counts that candidates are garbage and dispose of them like a
 * stop-the-world collection of generation gen (weak references,
 * finalizers, clearing). Uncollectable objects go to generation gen + 1;
 * the others that survive go to keep, with state keep_state. Fills info's
 * collected, uncollectable and phase times; returns the number of
 * candidates promoted.
 */
int64_t cy_gc_verify_candidates(cy_gc_head *candidates, int gen, cy_gc_collection_info *info, cy_gc_head *keep,
	uint32_t keep_state);

/* ---- verify.c: the collector checking itself (CYCLAB_GC_VERIFY=1) ---------------------------------- */

/* Read by the phases: nonzero when CYCLAB_GC_VERIFY asked for the checks (set by cy_gc_start). */
extern int cy_gc_verify_enabled;
void cy_gc_verify_configure(void);
/* Abort with a message unless list is a consistent circle whose members are all where (0: any state). */
void cy_gc_verify_list(const cy_gc_head *list, uint32_t where, const char *phase);
/* After a full collection, world stopped: abort if must_be_exact and unreachable old objects remain. */
void cy_gc_verify_nothing_missed(int must_be_exact);
/* Unreachable old objects that checks found after full collections that could not be exact. */
int64_t cy_gc_verify_missed(void);

/* ---- records.c: what collections did ------------------------------------------------------------- */

/* Record a pause. */
void cy_gc_record_pause(uint64_t collection, const cy_stw_report *stop, uint64_t end_ns, uint64_t cpu_ns,
	cy_gc_pause_kind kind);
/* Longest time a mutator took to reach its safepoint in a stop. */
uint64_t cy_gc_max_time_to_safepoint(const cy_stw_report *stop);
/* Fold a finished collection into statistics and totals. */
void cy_gc_account(const cy_gc_collection_info *info);

#endif
