/*
 * pool_internal.h: what pool.c, arena.c and pool_stats.c share. Not for
 * code outside the allocator: everything here assumes the caller knows the
 * locking rules below.
 *
 * Lock order (a thread holding one may take those after it, never before):
 *   heap registry lock (pool.c) -> abandoned-list lock (pool.c) -> arena lock (arena.c)
 * None is taken on an owner's fast path or by a remote free.
 */
#ifndef CY_POOL_INTERNAL_H
#define CY_POOL_INTERNAL_H

#include "pool.h"

/* ---- arena.c: mapping arenas and handing out pages --------------------- */

/*
 * A page for size_class, its header not yet initialised but for start.
 * With may_map = 0 only arenas already mapped are used. NULL when none has
 * a free page (may_map = 0) or mmap failed.
 */
cy_pool_page *cy_arena_page_alloc(unsigned size_class, int may_map);
/* Give a page back; its arena is unmapped or cached once it is empty. */
void cy_arena_page_free(cy_pool_page *page);
/* Unmap cached arenas beyond the cache size (all of them when release_all), decommitting free pages too. */
void cy_arena_trim(int release_all);
void cy_arena_set_cache(unsigned arenas);
unsigned cy_arena_cache(void);
void cy_arena_set_decay_ms(unsigned ms);
unsigned cy_arena_decay_ms(void);
/* Fill the page and arena fields of s (classes[].pages, pages, arenas_*, bytes_mapped, pages_decommitted). */
void cy_arena_stats(cy_pool_stats *s);

/* ---- pool_debug.c: debug pages and fatal errors ----------------------- */

/* Print "cyclab pool: MESSAGE" and abort. */
_Noreturn CY_COLD __attribute__((format(printf, 1, 2))) void cy_pool_fatal(const char *format, ...);
/* Fill a free block of a debug page past its link word. */
void cy_pool_debug_fill(const cy_pool_page *page, cy_pool_block *block);
/* Check a block of a debug page being handed out, or being freed with size. */
void cy_pool_debug_on_alloc(cy_pool_page *page, cy_pool_block *block);
void cy_pool_debug_on_free(cy_pool_page *page, cy_pool_block *block, size_t size);

/* ---- pool.c: heaps, for pool_stats.c --------------------------------- */

/* Counters of heaps that were freed, and the abandoned pages' figures. */
typedef struct cy_pool_totals {
	int64_t allocs[CY_POOL_CLASSES];
	int64_t frees[CY_POOL_CLASSES];
	int64_t remote_frees;
	int64_t large_allocs, large_frees, large_bytes_allocated, large_bytes_freed;
	int64_t pages_adopted;
	int64_t notifications;
} cy_pool_totals;

/* Add every live heap's counters and the retired totals into t; count the live heaps. */
void cy_pool_sum_heaps(cy_pool_totals *t, int64_t *heaps);
/* Pages on the abandoned lists now. */
int64_t cy_pool_abandoned_pages(void);

#endif
