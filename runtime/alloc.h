/*
 * alloc.h: where object storage comes from.
 *
 * cy_mem_alloc/cy_mem_free route every object allocation to the backend
 * chosen at start-up (--alloc): cyclab's per-thread pools (pool.h, the
 * default), the C library's malloc, or mimalloc or jemalloc loaded at run
 * time (sysalloc.h), so that one workload runs unchanged on each. The size
 * passed to cy_mem_free is the size that was allocated, so a sized backend
 * needs no header of its own. The switch is one predictable branch: the
 * pool's fast path is inlined behind it, the others are one call away.
 *
 * Deferred free: storage that a concurrent reader (the collector) may still
 * be traversing goes back through cy_mem_free_deferred, and is not reused
 * before a QSBR grace period has passed (see alloc.c for how).
 */
#ifndef CY_ALLOC_H
#define CY_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#include "atomics.h"
#include "pool.h"

typedef enum cy_alloc_kind {
	CY_ALLOC_MALLOC = 0,   /* the C library's malloc */
	CY_ALLOC_POOL = 1,     /* cyclab's per-thread pools; requests above 512 bytes go to malloc */
	CY_ALLOC_MIMALLOC = 2, /* mi_malloc / mi_free, loaded with dlopen */
	CY_ALLOC_JEMALLOC = 3, /* malloc / sdallocx, loaded with dlopen */
} cy_alloc_kind;

#define CY_ALLOC_KIND_COUNT 4
#define CY_ALLOC_DEFAULT CY_ALLOC_POOL

/*
 * Choose the backend; only while no storage from cy_mem_alloc is live and
 * no deferred free is pending. Returns 0, or -1 if the backend is not
 * available, with the reason (one line) in cy_alloc_error().
 */
int cy_alloc_select(cy_alloc_kind kind);
const char *cy_alloc_error(void);
cy_alloc_kind cy_alloc_selected(void);
const char *cy_alloc_name(cy_alloc_kind kind);
/* Parse a backend name ("pool", "malloc", "mimalloc", "jemalloc"); returns -1 for an unknown one. */
int cy_alloc_parse(const char *name);

/* The selected backend (atomic, relaxed): read by the inline paths below. */
extern cy_alloc_kind cy_alloc_kind_selected;

/* The backends other than the pool, out of line. */
void *cy_mem_alloc_other(cy_alloc_kind kind, size_t size);
void cy_mem_free_other(cy_alloc_kind kind, void *p, size_t size);

/* NULL when memory is exhausted. Inline: the pool's fast path is a few instructions. */
CY_INLINE void *cy_mem_alloc(size_t size)
{
	cy_alloc_kind kind = cy_atomic_load_relaxed(&cy_alloc_kind_selected);
	if (CY_LIKELY(kind == CY_ALLOC_POOL))
		return cy_pool_alloc(size);
	return cy_mem_alloc_other(kind, size);
}

/* Only the pool's fast path: NULL where cy_mem_alloc would do more (the caller then calls it). */
CY_INLINE void *cy_mem_try_alloc(size_t size)
{
	if (CY_LIKELY(cy_atomic_load_relaxed(&cy_alloc_kind_selected) == CY_ALLOC_POOL))
		return cy_pool_try_alloc(size);
	return NULL;
}

/* p may be NULL. */
CY_INLINE void cy_mem_free(void *p, size_t size)
{
	if (!p)
		return;
	cy_alloc_kind kind = cy_atomic_load_relaxed(&cy_alloc_kind_selected);
	if (CY_LIKELY(kind == CY_ALLOC_POOL))
		cy_pool_free(p, size);
	else
		cy_mem_free_other(kind, p, size);
}

/*
 * Give memory that is free back to the operating system, as far as the
 * selected backend can: the pools unmap every empty arena and decommit free
 * pages (cy_pool_collect(CY_POOL_RELEASE_ALL)), malloc_trim(0) for glibc
 * (and the pools' large blocks), mi_collect(true), jemalloc's purge of
 * every arena. For measuring resident memory after a workload.
 */
void cy_alloc_release_memory(void);

/*
 * Free p once every reader that might still hold it has passed a quiescent
 * state. The block's bytes are not written before then (the batch that
 * remembers it lives elsewhere), so a reader may go on reading a dead
 * object's header until its next safepoint.
 */
void cy_mem_free_deferred(void *p, size_t size);
/*
 * A concurrent reader of deferred blocks (the collector thread) calls this
 * right before each quiescent state it passes (cy_safepoint). It changes
 * nothing for the real ordering, which liburcu's grace period provides; it
 * states that order in C11 atomics (a release here, an acquire before each
 * batch is freed) so that ThreadSanitizer, which cannot see inside liburcu,
 * knows the reader's reads happen before the blocks are reused.
 */
void cy_mem_reader_quiescent(void);
/* Hand the calling thread's pending deferred frees to liburcu now. */
void cy_mem_deferred_flush(void);
/* Flush, then wait until every deferred free handed over by any thread has been done. */
void cy_mem_deferred_barrier(void);

typedef struct cy_mem_deferred_stats {
	int64_t handed_over; /* blocks given to liburcu in batches (total) */
	int64_t freed;       /* of those, blocks freed after their grace period (total) */
} cy_mem_deferred_stats;
void cy_mem_deferred_stats_get(cy_mem_deferred_stats *out);

/*
 * The calling thread is done allocating for now: flush its deferred frees
 * and give up its pool heap. cy_thread_unregister calls it; a thread that
 * never registered gets the same at exit.
 */
void cy_alloc_thread_done(void);

#endif
