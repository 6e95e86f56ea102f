/*
 * pool.h: per-thread small-object pools, the allocator objects come from.
 *
 * pymalloc's geometry with mimalloc's threading. Requests of 1..512 bytes
 * are rounded up to one of 32 size classes in 16-byte steps (pymalloc);
 * each class is served from 16 KiB pages ("pools"), carved from 1 MiB
 * arenas obtained with mmap (arena.c). Every thread has a heap of its own:
 * for each class a queue of pages it owns, so allocation and free by the
 * owning thread take no lock and no atomic read-modify-write. Larger
 * requests go to the C library's malloc.
 *
 * A block's page header is found from its address alone. Arenas are
 * aligned to their 1 MiB size and their first page holds the arena's
 * descriptor and the headers of the other 63 pages, 256 bytes apart, as
 * mimalloc's segments hold their pages' headers (_mi_ptr_page): arena base
 * = address with the low 20 bits cleared, page index = bits 14..19. Headers
 * at the start of each page (pymalloc's POOL_ADDR) would be cheaper by two
 * instructions, but every header would then sit at a 16 KiB-aligned address,
 * all in the same few L1 sets: with more classes in use than the cache has
 * ways, each allocation would miss on its header (measured here: 1,000
 * objects of 16 classes, 10 ns a pair with headers in the pages, 4.7 ns
 * with headers together). Following mimalloc
 * ("Mimalloc: Free List Sharding in Action", Leijen, Zorn and de Moura,
 * 2019), a page keeps three free lists:
 *
 *   free          the owner allocates from it;
 *   local_free    the owner frees onto it;
 *   xthread_free  other threads free onto it, with one compare-and-swap.
 *
 * When free runs dry the owner takes local_free and xthread_free in one go
 * (the "slow path", once per page's worth of allocations). The fast paths
 * below are inlined; everything else is in pool.c.
 *
 * Invariants of a page (pool.c's page_is_valid, in builds with assertions):
 *   used = blocks handed out (live, on xthread_free, or on a heap's
 *          delayed list); used + |free| + |local_free| = capacity <= reserved.
 *   A page with used == 0 has no block anywhere outside its own two owner
 *   lists, so no other thread can reach it: that is when it may be retired.
 *
 * Who touches what: the fields of the first cache line belong to the
 * owning thread (or, while the page is abandoned, to whoever holds the
 * abandoned-list lock in pool.c). The second line is fixed while the page
 * lives except xowner, which other threads read. The third line,
 * xthread_free, is the only field other threads write; it has a line of its
 * own so that a producer's allocations and a consumer's remote frees do not
 * bounce one cache line between them.
 */
#ifndef CY_POOL_H
#define CY_POOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "atomics.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define CY_POOL_ASAN 1
/* Free blocks are poisoned past their link word (pool.c); live ones are not. */
#define CY_POOL_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define CY_POOL_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define CY_POOL_ASAN 0
#define CY_POOL_POISON(p, n) ((void)(p), (void)(n))
#define CY_POOL_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define CY_POOL_MAX_SIZE 512 /* larger requests go to malloc */
#define CY_POOL_ALIGN 16     /* every block, and the size-class step */
#define CY_POOL_CLASSES (CY_POOL_MAX_SIZE / CY_POOL_ALIGN)
#define CY_POOL_PAGE_SHIFT 14
#define CY_POOL_PAGE_SIZE ((size_t)1 << CY_POOL_PAGE_SHIFT) /* 16 KiB */
#define CY_POOL_ARENA_SHIFT 20
#define CY_POOL_ARENA_SIZE ((size_t)1 << CY_POOL_ARENA_SHIFT) /* 1 MiB */
#define CY_POOL_ARENA_PAGES (CY_POOL_ARENA_SIZE / CY_POOL_PAGE_SIZE)
#define CY_POOL_ARENA_USABLE_PAGES (CY_POOL_ARENA_PAGES - 1) /* page 0 holds the headers */
#define CY_POOL_HEADER_SHIFT 8 /* page headers are 256 bytes apart in page 0 */
#define CY_POOL_LINE 64

typedef struct cy_pool_block {
	struct cy_pool_block *next;
} cy_pool_block;

typedef struct cy_pool_heap cy_pool_heap;
struct cy_arena;

/* Low bits of xowner: send the owner's own frees to the slow path. */
enum {
	CY_POOL_OWNER_FULL = 1,  /* the page is on its owner's full list */
	CY_POOL_OWNER_DEBUG = 2, /* debug page: every operation is checked */
	CY_POOL_OWNER_TAGS = 3,
};

typedef struct cy_pool_page {
	/* Owner only. */
	cy_pool_block *free;
	cy_pool_block *local_free;
	uint32_t used;
	uint32_t capacity; /* blocks carved so far: pages are carved lazily, 4 KiB at a time */
	struct cy_pool_page *next, *prev; /* in a heap's queue or full list, or in the abandoned list */
	uint8_t in_full;                  /* on the owner's full list */
	uint8_t pad0[CY_POOL_LINE - 2 * sizeof(void *) - 2 * sizeof(uint32_t) - 2 * sizeof(void *) - 1];

	/* Set when the page is carved from its arena; xowner changes as described. */
	uintptr_t xowner;       /* ATOMIC: owning heap | CY_POOL_OWNER_*, 0 while abandoned */
	uint32_t reserved;      /* blocks the page can hold */
	uint16_t block_size;
	uint8_t size_class;
	uint8_t debug;          /* fills and checks every block (CY_POOL_OWNER_DEBUG is set too) */
	char *start;            /* the page's first block (set by arena.c) */
	uint64_t *debug_live;   /* debug pages: one bit per block, set while it is allocated (atomic) */
	uint8_t pad1[CY_POOL_LINE - sizeof(uintptr_t) - sizeof(uint32_t) - 4 - 2 * sizeof(void *)];

	/* ATOMIC: blocks freed by other threads, linked through their first word, | CY_POOL_TF_* state. */
	uintptr_t xthread_free;
	uint8_t pad2[CY_POOL_LINE - sizeof(uintptr_t)];
} cy_pool_page;

_Static_assert(sizeof(cy_pool_page) == 3 * CY_POOL_LINE, "the page header is three cache lines");
_Static_assert(sizeof(cy_pool_page) <= (1u << CY_POOL_HEADER_SHIFT), "page headers fit 256 bytes apart");
_Static_assert(CY_POOL_ARENA_PAGES << CY_POOL_HEADER_SHIFT <= CY_POOL_PAGE_SIZE, "the headers fit in page 0");

/*
 * A heap's per-class state: the page the fast path allocates from and the
 * class's counters, one cache line per class. direct is the queue's first
 * page, or the empty page (no free block) when the class has no page or its
 * first page is a debug page, so the fast path needs no test but one.
 */
typedef struct cy_pool_class_slot {
	cy_pool_page *direct;
	cy_pool_page *first, *last; /* pages that may have free blocks */
	int64_t allocs;             /* counted by the owner, read relaxed by snapshots */
	int64_t frees;              /* frees made by this thread, local or remote */
	uint8_t pad[CY_POOL_LINE - 3 * sizeof(void *) - 2 * sizeof(int64_t)];
} cy_pool_class_slot;

struct cy_pool_heap {
	cy_pool_class_slot classes[CY_POOL_CLASSES];
	/* Owner only: pages with no free block left, all classes. */
	cy_pool_page *full_first;
	/* Counters: owner writes (relaxed), snapshots read. */
	int64_t remote_frees;   /* frees of blocks whose page another heap owns or nobody does */
	int64_t large_allocs, large_frees, large_bytes_allocated, large_bytes_freed;
	int64_t pages_adopted;
	int64_t notifications;  /* full pages of ours that another thread's free woke up */
	/* Heap registry (pool.c), under its lock. */
	cy_pool_heap *reg_next, *reg_prev;
	/* ATOMIC: blocks of our full pages that other threads freed, to free locally (pool.c). */
	cy_pool_block *xdelayed __attribute__((aligned(CY_POOL_LINE)));
};

/* The calling thread's heap; a static empty heap until the thread first allocates. */
extern _Thread_local cy_pool_heap *cy_pool_tls_heap;

void *cy_pool_alloc_slow(size_t size);
void cy_pool_free_slow(void *p, size_t size);
void cy_pool_page_emptied(cy_pool_heap *heap, cy_pool_page *page);

CY_INLINE cy_pool_page *cy_pool_page_of(const void *p)
{
	uintptr_t address = (uintptr_t)p;
	uintptr_t arena = address & ~(uintptr_t)(CY_POOL_ARENA_SIZE - 1);
	uintptr_t index = (address >> CY_POOL_PAGE_SHIFT) & (CY_POOL_ARENA_PAGES - 1);
	return (cy_pool_page *)(arena + (index << CY_POOL_HEADER_SHIFT));
}

/* Size class of a request of 0..CY_POOL_MAX_SIZE bytes; 0 bytes take the smallest. */
CY_INLINE unsigned cy_pool_size_class(size_t size) { return size ? (unsigned)((size - 1) >> 4) : 0; }
CY_INLINE size_t cy_pool_class_size(unsigned size_class) { return ((size_t)size_class + 1) * CY_POOL_ALIGN; }

/*
 * The fast path of cy_pool_alloc alone: a block of the class's current
 * page, or NULL when that page has none (or the size is not pooled) and
 * cy_pool_alloc would take its slow path. A request of 0 bytes wraps past
 * the limit.
 */
CY_INLINE void *cy_pool_try_alloc(size_t size)
{
	size_t last_byte = size - 1;
	if (CY_LIKELY(last_byte < CY_POOL_MAX_SIZE)) {
		cy_pool_class_slot *slot = &cy_pool_tls_heap->classes[last_byte >> 4];
		cy_pool_page *page = slot->direct;
		cy_pool_block *block = page->free;
		if (CY_LIKELY(block != NULL)) {
			cy_pool_block *next = block->next;
			page->free = next;
			/*
			 * The next allocation of this class starts by loading next's
			 * first word: fetch its line now (prefetching NULL is harmless).
			 */
			__builtin_prefetch(next, 1);
			page->used++;
			cy_atomic_add_owner(&slot->allocs, 1);
			CY_POOL_UNPOISON(block, size);
			return block;
		}
	}
	return NULL;
}

/* Allocate size bytes, 16-byte aligned; NULL when memory is exhausted. */
CY_INLINE void *cy_pool_alloc(size_t size)
{
	void *block = cy_pool_try_alloc(size);
	return CY_LIKELY(block != NULL) ? block : cy_pool_alloc_slow(size);
}

/*
 * Free p, which cy_pool_alloc(size) returned. The fast path: the calling
 * thread owns p's page, which is not full and not a debug page (the tags
 * in xowner make the comparison fail otherwise). A page that empties is
 * kept while it is its class's current page, so a loop that allocates and
 * frees one object never returns its page to the arena.
 */
CY_INLINE void cy_pool_free(void *p, size_t size)
{
	size_t last_byte = size - 1;
	if (CY_LIKELY(last_byte < CY_POOL_MAX_SIZE)) {
		cy_pool_page *page = cy_pool_page_of(p);
		cy_pool_heap *heap = cy_pool_tls_heap;
		if (CY_LIKELY(cy_atomic_load_relaxed(&page->xowner) == (uintptr_t)heap)) {
			cy_pool_class_slot *slot = &heap->classes[last_byte >> 4];
			cy_pool_block *block = p;
			CY_POOL_POISON((char *)p + sizeof(cy_pool_block), cy_pool_class_size(last_byte >> 4) - sizeof(cy_pool_block));
			block->next = page->local_free;
			page->local_free = block;
			cy_atomic_add_owner(&slot->frees, 1);
			if (CY_UNLIKELY(--page->used == 0) && page != slot->direct)
				cy_pool_page_emptied(heap, page);
			return;
		}
	}
	cy_pool_free_slow(p, size);
}

/* Bytes a request of size really takes: its class's block size, or size itself above the limit. */
CY_INLINE size_t cy_pool_block_size(size_t size)
{
	return size <= CY_POOL_MAX_SIZE ? cy_pool_class_size(cy_pool_size_class(size)) : size;
}

/*
 * The calling thread is done with its heap: its pages that still hold live
 * blocks are abandoned (other threads adopt them, or a sweep frees them
 * once their blocks come back), empty ones go back to their arenas. Called
 * by cy_thread_unregister and, for a thread that allocated without
 * registering, at thread exit. The thread may allocate again afterwards
 * (it gets a new heap).
 */
void cy_pool_thread_done(void);

/*
 * Return what can be returned: the calling thread's heap collects its
 * pages' remote frees and retires its empty pages, fully freed abandoned
 * pages go back to their arenas, and empty arenas beyond the cache are
 * unmapped. With CY_POOL_RELEASE_ALL, every empty arena is unmapped and the
 * free pages of partly used arenas are given back with MADV_DONTNEED.
 */
enum { CY_POOL_COLLECT = 0, CY_POOL_RELEASE_ALL = 1 };
void cy_pool_collect(int how);

/*
 * Knobs (each also an environment variable, read when the first heap is
 * made; the setters win over the environment once called).
 *
 * CYCLAB_POOL_ARENA_CACHE=N: empty arenas kept mapped (default 4), the
 * hysteresis that stops a workload at steady state from mapping and
 * unmapping an arena in a loop.
 *
 * CYCLAB_POOL_ARENA_DECAY_MS=N: how long an empty arena beyond the cache
 * stays mapped before it is returned (default 100; 0: at once), so that a
 * heap freed and built again within that time reuses its arenas.
 *
 * CYCLAB_POOL_DEBUG=1 (the default in --mode=debug builds): pages made from
 * then on fill freed blocks with CY_POOL_DEBUG_BYTE, check the fill when the
 * block is reused, and abort with a message on a double free or a free with
 * the wrong size. Pages made before keep their mode. It costs the fast paths
 * nothing when off: a debug page is never a class's direct page and carries
 * a tag in xowner, so its operations always take the slow path.
 */
#define CY_POOL_DEBUG_BYTE 0xdb
void cy_pool_set_arena_cache(unsigned arenas);
unsigned cy_pool_arena_cache(void);
void cy_pool_set_arena_decay_ms(unsigned ms);
unsigned cy_pool_arena_decay_ms(void);
void cy_pool_set_debug(int on);
int cy_pool_debug(void);

typedef struct cy_pool_class_stats {
	uint32_t block_size;
	int64_t blocks_in_use; /* allocated minus freed over every thread */
	int64_t bytes_in_use;  /* blocks_in_use * block_size */
	int64_t pages;         /* pages of the class carved from arenas (owned or abandoned) */
} cy_pool_class_stats;

/*
 * A snapshot of the pools, sys.getsizeof and pymalloc's debug statistics
 * together. Counting costs one thread-local increment per allocation and per
 * free; a snapshot sums every heap under the registry lock, so it is exact
 * once the threads it counts are quiet, and consistent enough while they run.
 */
typedef struct cy_pool_stats {
	cy_pool_class_stats classes[CY_POOL_CLASSES];
	int64_t blocks_in_use, bytes_in_use; /* small blocks, all classes */
	int64_t pages;                       /* pages carved (every class) */
	int64_t pages_abandoned;             /* of those, pages no heap owns */
	int64_t pages_adopted;               /* abandoned pages a heap took over (total) */
	int64_t pages_decommitted;           /* free pages given back with MADV_DONTNEED (total) */
	int64_t arenas_mapped;               /* arenas mapped now, cached empty ones included */
	int64_t arenas_cached;               /* of those, arenas with no page in use */
	int64_t arenas_mapped_total;         /* mmap calls for arenas (total) */
	int64_t arenas_returned;             /* arenas unmapped (total) */
	int64_t bytes_mapped;                /* arenas_mapped * CY_POOL_ARENA_SIZE */
	double fragmentation;                /* bytes_mapped / bytes_in_use; 0 when nothing is in use */
	int64_t remote_frees;                /* frees by a thread that did not own the page (total) */
	int64_t notifications;               /* full pages woken by a remote free (total) */
	int64_t large_blocks_in_use, large_bytes_in_use; /* requests above CY_POOL_MAX_SIZE (malloc) */
	int64_t large_allocs;                /* (total) */
	int64_t heaps;                       /* threads with a heap now */
} cy_pool_stats;

void cy_pool_stats_get(cy_pool_stats *out);
/* A table per size class, the totals, and one line "POOL key=value ..." for scripts. */
void cy_pool_stats_print(FILE *out, const cy_pool_stats *s);

#endif
