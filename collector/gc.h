/*
 * gc.h: the cycle collector's interface, CPython's gc module in C.
 *
 * Reference counting frees everything but cycles; this collector finds
 * groups of containers that only reference each other and frees them. Its
 * semantics follow CPython's gc module so that anyone who knows Python's
 * memory model recognises it:
 *
 *  - Three generations with thresholds (default 700, 10, 10). Generation 0
 *    counts container allocations minus frees; generation 1 counts
 *    collections of generation 0, generation 2 collections of generation 1.
 *    A collection of generation N also collects the younger ones, and
 *    survivors move up one generation. A full collection also waits until
 *    the objects that survived to generation 2 since the last one are a
 *    quarter of those there (CPython's long_lived_pending rule).
 *  - Automatic collections start at a safepoint of the thread whose
 *    allocation pushed the count past the threshold; thresholds set at any
 *    time apply at the next count check.
 *  - Finalizers follow PEP 442: every finalizer of a batch of garbage runs
 *    once, before any object of the batch is cleared; an object a finalizer
 *    resurrects survives with all it reaches and is not finalized again.
 *  - Weak references to garbage are cleared, and their callbacks run, before
 *    finalizers (CPython's order up to 3.13; 3.14 moved clearing of
 *    callback-less weak references after them). We keep the old order: it
 *    lets a concurrent collection cut every path to the garbage inside one
 *    short pause, because after it no weak reference can hand out a new
 *    strong reference. The cost: an object resurrected by a finalizer has
 *    lost its weak references. Weak references that are garbage themselves
 *    are detached first, silently, and never call back, even if their
 *    referent dies later or a finalizer resurrects them (CPython's
 *    handle_weakrefs). Weak references that finalizers or callbacks make to
 *    objects still garbage after the resurrection check are cleared without
 *    callbacks before anything is cleared (CPython's clear_weakrefs, which
 *    closed gh-91636), so none hands out an object being freed.
 *  - A container type without clear cannot break a cycle: garbage cycles
 *    holding such objects are uncollectable. They, and what they reach, go
 *    to the garbage list (CPython's gc.garbage) and are counted in the
 *    uncollectable statistics. They enter the list, which holds a reference
 *    to each, before any collectable garbage is cleared, so clearing
 *    garbage that references them never frees them; they count as alive
 *    for the rest of the collection (weak references in the list call back
 *    when their referent is collected). CPython's equivalent is legacy
 *    finalizers (tp_del), which cyclab has no counterpart of. With
 *    CY_GC_DEBUG_SAVEALL all garbage goes there instead of being freed.
 *  - User code (finalizers, weak reference callbacks, gc callbacks) may
 *    call every function here, also while a collection runs it: collect
 *    returns 0 without collecting, as gc.collect() does during a
 *    collection; the rest answers or acts at once (gc.c says exactly how).
 *    A container being freed by reference counting when a finalizer it
 *    released starts a collection is not garbage to that collection.
 *  - Every mode finds the same garbage and treats it the same way (which
 *    finalizers run, who survives, which callbacks run, what collect
 *    returns); only when the work happens differs. Incremental and
 *    concurrent collections confirm their candidates component by
 *    component (collector/components.c says why that is exact).
 *
 * Collectors (cy_gc_start): off (reference counting only: cycles leak), stw
 * (the world stops for the whole collection), incremental (incremental.c:
 * collections of the old generations are marked, then confirmed batch by
 * batch, in slices that each stop the world for about the pause budget;
 * young collections stay stop-the-world, they are small, and so do old ones
 * estimated to fit in the pause budget).
 * concurrent (concurrent.c: a collector thread marks the old generations
 * while the mutators run, then confirms the garbage in slices of the pause
 * budget like incremental, mutators running slices too when the collection
 * falls behind them; young collections stay stop-the-world, and so do old
 * ones, automatic or explicit, estimated to fit in the pause budget).
 */
#ifndef CY_GC_H
#define CY_GC_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/object.h"

#define CY_GC_GENERATIONS 3

typedef enum cy_gc_mode {
	CY_GC_MODE_OFF = 0,
	CY_GC_MODE_STW = 1,
	CY_GC_MODE_CONCURRENT = 2,  /* a collector thread marks while mutators run (not with nonatomic counts) */
	CY_GC_MODE_INCREMENTAL = 3, /* old generations marked in pauses bounded by the budget */
} cy_gc_mode;

#define CY_GC_MODE_COUNT 4

const char *cy_gc_mode_name(cy_gc_mode mode);
int cy_gc_mode_parse(const char *name); /* -1 if unknown */

/*
 * Install the collector for this run (the runtime must be initialised); -1
 * if mode is not available, or when called from user code of a collection.
 */
int cy_gc_start(cy_gc_mode mode);

/* Incremental and concurrent modes: the longest a slice may stop the world (default 200 us). */
void cy_gc_set_pause_budget_us(uint64_t us);
uint64_t cy_gc_get_pause_budget_us(void);
/* Stop it (joins the collector thread of the concurrent mode). */
void cy_gc_stop(void);
cy_gc_mode cy_gc_running_mode(void);

/*
 * gc.collect(generation): collect generations 0..generation now, on the
 * calling thread (in concurrent mode, generations above 0 on the collector
 * thread while the caller waits, unless they fit in the pause budget), and
 * return the number of unreachable
 * objects found (collected plus uncollectable). -1 for a bad generation;
 * 0, collecting nothing, when called from user code of a collection.
 */
int64_t cy_gc_collect(int generation);

/*
 * Incremental mode: start an incremental collection of generations
 * 0..generation (1 or 2) now, as a threshold would; it proceeds in slices
 * at later safepoints, or with cy_gc_incremental_slice. -1 if the mode is
 * not incremental, the generation is not 1 or 2, or one is running.
 */
int cy_gc_collect_incremental(int generation);
/* Run one marking slice now (the last one also finishes); returns nonzero while a collection is still running. */
int cy_gc_incremental_slice(void);
/* Is an incremental collection running? */
int cy_gc_incremental_running(void);

void cy_gc_enable(void);
void cy_gc_disable(void);
int cy_gc_isenabled(void);

/* Thresholds; a negative value leaves that threshold as it is. 0 for threshold 0 disables automatic collection. */
void cy_gc_set_threshold(int64_t threshold0, int64_t threshold1, int64_t threshold2);
void cy_gc_get_threshold(int64_t out[CY_GC_GENERATIONS]);
/* Counts (the calling thread's unflushed allocations included). */
void cy_gc_get_count(int64_t out[CY_GC_GENERATIONS]);

typedef struct cy_gc_generation_stats {
	int64_t collections;
	int64_t collected;
	int64_t uncollectable;
} cy_gc_generation_stats;

void cy_gc_get_stats(cy_gc_generation_stats out[CY_GC_GENERATIONS]);

/*
 * Visit every tracked object of generation gen (0..2), or of all
 * generations for -1, with the world stopped. fn must not create or free
 * objects. Returns the number visited.
 */
size_t cy_gc_get_objects(int gen, void (*fn)(cy_object *o, void *arg), void *arg);
/* Is o a container in some generation list? */
int cy_gc_is_tracked(const cy_object *o);

/* Move every tracked object to the permanent generation (never scanned), and back to generation 2. */
void cy_gc_freeze(void);
void cy_gc_unfreeze(void);
size_t cy_gc_get_freeze_count(void);

enum {
	CY_GC_DEBUG_SAVEALL = 1u << 0, /* keep all garbage in the garbage list instead of freeing it */
};
void cy_gc_set_debug(unsigned flags);
unsigned cy_gc_get_debug(void);

/* gc.garbage: objects found unreachable but not freed. The list holds a reference to each. */
size_t cy_gc_garbage_count(void);
/* Item i of the garbage list (borrowed; valid until cy_gc_garbage_clear). */
cy_object *cy_gc_garbage_item(size_t i);
/* Drop the garbage list's references (del gc.garbage[:]). */
void cy_gc_garbage_clear(void);

/* ---- what each collection did -------------------------------------------- */

typedef enum cy_gc_phase {
	CY_GC_PHASE_STOP_WORLD, /* waiting for mutators to reach safepoints */
	CY_GC_PHASE_PREPARE,    /* merges, remote unlinks, gathering the generations */
	CY_GC_PHASE_MARK,       /* trial deletion: counts, internal references, reachability */
	CY_GC_PHASE_WEAKREFS,   /* clearing weak references to garbage, running callbacks */
	CY_GC_PHASE_FINALIZE,   /* finalizers and the resurrection check */
	CY_GC_PHASE_CLEAR,      /* breaking the cycles and freeing */
	CY_GC_PHASE_PROMOTE,    /* survivors to the next generation */
	CY_GC_PHASE_COUNT,
} cy_gc_phase;

const char *cy_gc_phase_name(cy_gc_phase phase);

typedef struct cy_gc_collection_info {
	uint64_t number;      /* 1 for the first collection of the run */
	int generation;
	int automatic;        /* started by the threshold, not by cy_gc_collect */
	int64_t counts_before[CY_GC_GENERATIONS];
	int64_t examined;     /* objects in the generations collected */
	int64_t collected;    /* unreachable objects freed */
	int64_t uncollectable;
	uint64_t start_ns;    /* CLOCK_MONOTONIC */
	uint64_t wall_ns;     /* whole collection */
	uint64_t pause_ns;    /* time the world was stopped */
	/*
	 * CPU time of the collecting thread(s) on this collection, read with
	 * cy_thread_cpu_ns: exact to within CY_THREAD_CPU_SLACK_NS (thread.h).
	 * A thread's CPU clock is a system call, not a vDSO read (2 to 4 us on
	 * a paravirtualised machine), and every pause reads it twice, since
	 * its record carries the stopping thread's CPU time
	 * (cy_gc_pause.cpu_ns); cy_thread_cpu_ns makes at most one system call
	 * per slack of wall time and extrapolates between them.
	 */
	uint64_t cpu_ns;
	uint64_t max_time_to_safepoint_ns;
	uint64_t phase_ns[CY_GC_PHASE_COUNT];
} cy_gc_collection_info;

/*
 * Callbacks run on the collecting thread, before (start = 1) and after
 * (start = 0) each collection, like gc.callbacks; info is complete in the
 * second call. A callback may call any function of this module
 * (cy_gc_collect returns 0 there); one it adds or removes takes effect from
 * the next collection.
 */
typedef void (*cy_gc_callback)(int start, const cy_gc_collection_info *info, void *arg);
int cy_gc_callback_add(cy_gc_callback fn, void *arg); /* -1 if the table is full */
void cy_gc_callback_remove(cy_gc_callback fn, void *arg);

/* What a stop of the world was for. */
typedef enum cy_gc_pause_kind {
	CY_GC_PAUSE_COLLECTION, /* stw: the whole collection */
	CY_GC_PAUSE_SNAPSHOT,   /* incremental, concurrent: taking the generations (incremental: and a first slice) */
	CY_GC_PAUSE_VERIFY,     /* incremental, concurrent: confirming and disposing of the garbage */
	CY_GC_PAUSE_SLICE,      /* incremental, concurrent: a marking slice within the budget (concurrent: a type
	                         * without traverse_concurrent) */
	CY_GC_PAUSE_OTHER,      /* get_objects, freeze, unfreeze */
	CY_GC_PAUSE_KIND_COUNT,
} cy_gc_pause_kind;

const char *cy_gc_pause_kind_name(cy_gc_pause_kind kind);

/* One stop of the world by the collector. */
typedef struct cy_gc_pause {
	uint64_t collection; /* its collection's number (0 for other pauses) */
	uint64_t start_ns;
	uint64_t duration_ns;
	uint64_t max_time_to_safepoint_ns;
	/*
	 * CPU time of the stopping thread over the pause (cy_thread_cpu_ns,
	 * read just before the stop request and just after the world resumes):
	 * well below duration_ns, beyond the wait for safepoints, means the
	 * operating system ran something else on its CPU during the pause.
	 * Exact to within CY_THREAD_CPU_SLACK_NS (50 us): time off the CPU
	 * within the pause longer than that is always seen whole; less may go
	 * unseen, or time off the CPU just before the pause may be charged to
	 * it. The slack is no longer than the 50 us a preempted pause needs
	 * (bench/results/stats.h), so a pause that never left its CPU is never
	 * counted preempted and one off its CPU for 50 us or more always is
	 * (when that is over half of it). A short pause usually reads no clock
	 * at all: its cpu_ns is then its duration between the two reads.
	 */
	uint64_t cpu_ns;
	cy_gc_pause_kind kind;
} cy_gc_pause;

/*
 * Pauses are recorded in a preallocated ring of CY_GC_PAUSE_RING entries.
 * Copy out up to max records, oldest first, starting with number `from`
 * (0 for the oldest kept); returns how many were copied and sets *next to
 * the number to ask for next time.
 */
#define CY_GC_PAUSE_RING 65536
size_t cy_gc_pauses(uint64_t from, cy_gc_pause *out, size_t max, uint64_t *next);

/* Totals over the run. */
typedef struct cy_gc_totals {
	uint64_t collections;
	uint64_t pauses;
	uint64_t pause_ns;
	uint64_t max_pause_ns;
	uint64_t phase_ns[CY_GC_PHASE_COUNT];
	int64_t examined;
} cy_gc_totals;
void cy_gc_get_totals(cy_gc_totals *out);

/* Forget statistics, pauses and totals (between measured repetitions). */
void cy_gc_reset_statistics(void);

#endif
