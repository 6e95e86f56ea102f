/*
 * counters.h: per-thread event counters, summed on demand.
 *
 * One X-macro list names every counter. Each thread counts into its own
 * thread-local block with a relaxed load and store (no lock prefix, no shared
 * cache line); a snapshot sums the blocks of running threads and the totals
 * that exited threads left behind. With ./configure --counters=off, CY_COUNT
 * compiles to nothing; allocation and lock counters are always kept, since
 * the live-object figures and lock statistics depend on them.
 *
 * A thread counts decrements apart from increments (rc_*_decrements), so
 * that an increment-decrement pair updates two counters, two independent
 * dependency chains, instead of one counter twice in a row; a snapshot
 * folds them back, and rc_*_ops there is every update.
 */
#ifndef CY_COUNTERS_H
#define CY_COUNTERS_H

#include <stdint.h>

#include "atomics.h"

/* X(name, description): counted only when CY_COUNTERS is on. */
#define CY_OPTIONAL_COUNTERS(X)                                                       \
	X(rc_nonatomic_ops, "reference-count updates made with plain loads and stores") \
	X(rc_atomic_ops, "reference-count updates made with atomic read-modify-writes") \
	X(rc_nonatomic_decrements, "of rc_nonatomic_ops, the decrements")              \
	X(rc_atomic_decrements, "of rc_atomic_ops, the decrements")                    \
	X(rc_merges_queued, "objects queued to their owner for a biased-count merge")    \
	X(rc_merges, "biased counts merged (by the owner or on its behalf)")

/* X(name, description): always counted (off the reference-count fast path). */
#define CY_ALWAYS_COUNTERS(X)                                                  \
	X(objects_allocated, "objects allocated")                                \
	X(objects_freed, "objects freed")                                        \
	X(bytes_allocated, "bytes of object storage allocated")                  \
	X(bytes_freed, "bytes of object storage freed")                          \
	X(lock_acquisitions, "container and runtime lock acquisitions")          \
	X(lock_contended, "acquisitions that found the lock held")               \
	X(lock_wait_ns, "nanoseconds spent waiting for held locks")              \
	X(safepoint_slow, "safepoint polls that found work (stop or merge)")

#define CY_ALL_COUNTERS(X) CY_OPTIONAL_COUNTERS(X) CY_ALWAYS_COUNTERS(X)

typedef struct cy_counters {
#define CY_COUNTER_FIELD(name, doc) int64_t name;
	CY_ALL_COUNTERS(CY_COUNTER_FIELD)
#undef CY_COUNTER_FIELD
} cy_counters;

extern _Thread_local cy_counters cy_tls_counters;

#define CY_COUNT_ADD_ALWAYS(name, n) cy_atomic_add_owner(&cy_tls_counters.name, (n))
#if CY_COUNTERS
#define CY_COUNT(name) cy_atomic_add_owner(&cy_tls_counters.name, 1)
#else
#define CY_COUNT(name) ((void)0)
#endif

/* Sum of every thread's counters, exited threads included. */
void cy_counters_snapshot(cy_counters *out);

/* Name and description of counter i, for printing; NULL past the last. */
const char *cy_counter_name(unsigned i);
const char *cy_counter_doc(unsigned i);
int64_t cy_counter_value(const cy_counters *c, unsigned i);

#endif
