/*
 * arena.c: arenas of pages, mapped from and returned to the operating system.
 *
 * An arena is 1 MiB of address space from one mmap, aligned to its size.
 * Its first 16 KiB page holds the arena's descriptor (offset 0) and the
 * headers of the other 63 pages (page i's at offset 256 * i); those 63
 * pages hold nothing but blocks. So a block's page header is a mask, a
 * shift and an add away from its address (pool.h says why the headers are
 * not at the start of each page).
 *
 * Which arena gives the next page: pymalloc's rule, the one most in use
 * that still has a free page, so lightly used arenas drain and can be
 * returned. Arenas sit in lists indexed by their number of free pages
 * (by_free[n]) and a bit mask says which of the partly used lists are
 * non-empty, so the choice is one count-trailing-zeros, and a page taken or
 * given back moves its arena to the neighbouring list in O(1).
 *
 * Returning memory. An arena whose last page comes back joins the empty
 * list, by_free[63], stamped with the time. The newest cache-size of them
 * (the hysteresis knob, CYCLAB_POOL_ARENA_CACHE) stay mapped; the others
 * are unmapped once they have stayed empty for the decay time
 * (CYCLAB_POOL_ARENA_DECAY_MS, default 100 ms: mimalloc's delay before it
 * purges an arena), checked whenever a page is taken or given back, and
 * at once with a decay of 0. A workload whose footprint moves up and down
 * by less than the cache therefore neither maps nor unmaps, and one that
 * frees a large heap and builds it again within the decay time (a full
 * collection of a big heap, then the next phase of the program) reuses its
 * arenas instead of unmapping them and faulting fresh pages in: munmap and
 * the page faults after it cost more than the collection that freed them.
 * A process that goes idle keeps those arenas until its next page
 * operation or trim; cy_pool_collect returns them at once.
 * cy_arena_trim(1) (cy_pool_collect with CY_POOL_RELEASE_ALL) unmaps every
 * empty arena and gives back the free pages of partly used arenas with
 * MADV_DONTNEED; dirty_mask remembers which free pages may still be
 * resident, so a page is decommitted only once.
 *
 * Everything here is under arena_lock; it is taken once per page (16 KiB of
 * blocks), never per block. mmap and munmap are called without it.
 *
 * Under AddressSanitizer each arena is a LeakSanitizer root region: objects
 * in the pools point at malloc'd memory (list arrays, dict tables), which
 * would otherwise look leaked, since LeakSanitizer scans only the memory it
 * allocated itself.
 */
#include "pool_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#if CY_POOL_ASAN
#include <sanitizer/lsan_interface.h>
#endif

/* At offset 0 of its arena; every field under arena_lock. */
typedef struct cy_arena {
	char *base;
	uint64_t free_mask;  /* bit i: page i is free (bit 0, the headers' page, never is) */
	uint64_t dirty_mask; /* bit i: page i was handed out since it was last decommitted */
	unsigned nfree;
	uint64_t emptied_ns;          /* when its last page came back (valid while nfree == USABLE) */
	struct cy_arena *next, *prev; /* in by_free[nfree] */
} cy_arena;

#define USABLE CY_POOL_ARENA_USABLE_PAGES
#define ARENA_ALL_FREE (~(uint64_t)1)
_Static_assert(CY_POOL_ARENA_PAGES == 64, "an arena's page masks are one uint64_t");
_Static_assert(sizeof(cy_arena) <= (1u << CY_POOL_HEADER_SHIFT), "the descriptor fits before page 1's header");

static pthread_mutex_t arena_lock = PTHREAD_MUTEX_INITIALIZER;
static cy_arena *by_free[USABLE + 1]; /* [0] full, [1..62] partly used, [63] empty */
static uint64_t partial_mask;         /* bit n set when by_free[n] is non-empty, 1 <= n < USABLE */
static unsigned empty_count;          /* length of by_free[USABLE] */
static unsigned cache_limit = 4;
static uint64_t decay_ns = 100 * 1000000ull;
/* The earliest time an empty arena beyond the cache may be unmapped; UINT64_MAX: none waits. */
static uint64_t purge_due_ns = UINT64_MAX;
static int64_t arenas_mapped, arenas_mapped_total, arenas_returned;
static int64_t pages_by_class[CY_POOL_CLASSES], pages_total, pages_decommitted;

static void list_push(cy_arena *a)
{
	cy_arena **head = &by_free[a->nfree];
	a->prev = NULL;
	a->next = *head;
	if (*head)
		(*head)->prev = a;
	*head = a;
	if (a->nfree == USABLE)
		empty_count++;
	else if (a->nfree > 0)
		partial_mask |= (uint64_t)1 << a->nfree;
}

static void list_remove(cy_arena *a)
{
	if (a->prev)
		a->prev->next = a->next;
	else
		by_free[a->nfree] = a->next;
	if (a->next)
		a->next->prev = a->prev;
	if (a->nfree == USABLE)
		empty_count--;
	else if (a->nfree > 0 && !by_free[a->nfree])
		partial_mask &= ~((uint64_t)1 << a->nfree);
}

static uint64_t coarse_now_ns(void);

static cy_arena *arena_map(void)
{
	/* Map twice the size, then cut both ends so that the arena is aligned to its size. */
	size_t length = 2 * CY_POOL_ARENA_SIZE;
	char *raw = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	char *base = (char *)(((uintptr_t)raw + CY_POOL_ARENA_SIZE - 1) & ~(uintptr_t)(CY_POOL_ARENA_SIZE - 1));
	size_t head = (size_t)(base - raw), tail = length - head - CY_POOL_ARENA_SIZE;
	if (head)
		munmap(raw, head);
	if (tail)
		munmap(base + CY_POOL_ARENA_SIZE, tail);
	/* pool.c keeps a count in the top 16 bits of a block pointer (xthread_free). */
	if ((uintptr_t)(base + CY_POOL_ARENA_SIZE - 1) >> 48) {
		munmap(base, CY_POOL_ARENA_SIZE);
		return NULL;
	}
#if CY_POOL_ASAN
	__lsan_register_root_region(base, CY_POOL_ARENA_SIZE);
#endif
	cy_arena *a = (cy_arena *)base;
	/* Empty from now: one mapped and then passed over (another thread freed a page meanwhile) decays from here. */
	*a = (cy_arena){.base = base, .free_mask = ARENA_ALL_FREE, .nfree = USABLE, .emptied_ns = coarse_now_ns()};
	return a;
}

static void arena_unmap(cy_arena *a)
{
	char *base = a->base;
#if CY_POOL_ASAN
	__lsan_unregister_root_region(base, CY_POOL_ARENA_SIZE);
	CY_POOL_UNPOISON(base, CY_POOL_ARENA_SIZE);
#endif
	if (munmap(base, CY_POOL_ARENA_SIZE) != 0)
		fprintf(stderr, "cyclab: munmap of a pool arena failed: %s\n", strerror(errno));
}

static cy_arena *purge_expired(uint64_t now);
static void unmap_all(cy_arena *list);

/* arena_lock held: the arena most in use that has a free page, else an empty one. */
static cy_arena *arena_pick(void)
{
	if (partial_mask)
		return by_free[__builtin_ctzll(partial_mask)];
	return by_free[USABLE];
}

cy_pool_page *cy_arena_page_alloc(unsigned size_class, int may_map)
{
	pthread_mutex_lock(&arena_lock);
	cy_arena *a = arena_pick();
	if (!a && may_map) {
		pthread_mutex_unlock(&arena_lock);
		cy_arena *fresh = arena_map();
		if (!fresh)
			return NULL;
		pthread_mutex_lock(&arena_lock);
		list_push(fresh);
		arenas_mapped++;
		arenas_mapped_total++;
		a = arena_pick(); /* the new arena, or a fuller one another thread freed a page in meanwhile */
	}
	if (!a) {
		pthread_mutex_unlock(&arena_lock);
		return NULL;
	}
	unsigned index = (unsigned)__builtin_ctzll(a->free_mask);
	list_remove(a);
	a->free_mask &= ~((uint64_t)1 << index);
	a->dirty_mask |= (uint64_t)1 << index;
	a->nfree--;
	list_push(a);
	pages_by_class[size_class]++;
	pages_total++;
	cy_arena *unmap_list = purge_due_ns != UINT64_MAX ? purge_expired(0) : NULL;
	pthread_mutex_unlock(&arena_lock);
	unmap_all(unmap_list);

	cy_pool_page *page = (cy_pool_page *)(a->base + ((size_t)index << CY_POOL_HEADER_SHIFT));
	page->start = a->base + (size_t)index * CY_POOL_PAGE_SIZE;
	return page;
}

/* arena_lock held: take the empty arena a out of the lists, to be unmapped once the lock is released. */
static void arena_retire(cy_arena *a)
{
	list_remove(a);
	arenas_mapped--;
	arenas_returned++;
}

/* A clock good to a few milliseconds, cheap to read (the decay is 100 ms). */
static uint64_t coarse_now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/*
 * arena_lock held: retire the empty arenas beyond the cache that have
 * decayed by now (0: read the clock only if one may be due), the oldest
 * first, and return them linked through next, to be unmapped once the lock
 * is released. The empty list holds the most recently emptied first (an
 * arena joins it at the head, and arena_pick reuses from the head), so the
 * arenas kept are the newest.
 */
static cy_arena *purge_expired(uint64_t now)
{
	if (empty_count <= cache_limit) {
		purge_due_ns = UINT64_MAX;
		return NULL;
	}
	if (decay_ns > 0) {
		if (now == 0 && purge_due_ns != UINT64_MAX)
			now = coarse_now_ns();
		if (now < purge_due_ns && purge_due_ns != UINT64_MAX)
			return NULL;
	}
	cy_arena *unmap_list = NULL;
	uint64_t next_due = UINT64_MAX;
	unsigned position = 0;
	for (cy_arena *a = by_free[USABLE], *next; a; a = next) {
		next = a->next;
		if (position++ < cache_limit)
			continue;
		uint64_t due = a->emptied_ns + decay_ns;
		if (decay_ns == 0 || due <= now) {
			arena_retire(a);
			a->next = unmap_list;
			unmap_list = a;
		} else if (due < next_due) {
			next_due = due;
		}
	}
	purge_due_ns = next_due;
	return unmap_list;
}

static void unmap_all(cy_arena *list)
{
	while (list) {
		cy_arena *next = list->next; /* read before the unmap: the descriptor is in the arena */
		arena_unmap(list);
		list = next;
	}
}

void cy_arena_page_free(cy_pool_page *page)
{
	cy_arena *a = (cy_arena *)((uintptr_t)page & ~(uintptr_t)(CY_POOL_ARENA_SIZE - 1));
	unsigned index = (unsigned)(((char *)page - a->base) >> CY_POOL_HEADER_SHIFT);
	unsigned size_class = page->size_class;
	pthread_mutex_lock(&arena_lock);
	list_remove(a);
	a->free_mask |= (uint64_t)1 << index;
	a->nfree++;
	list_push(a);
	pages_by_class[size_class]--;
	pages_total--;
	if (a->nfree == USABLE)
		a->emptied_ns = coarse_now_ns();
	cy_arena *unmap_list = purge_expired(a->nfree == USABLE ? a->emptied_ns : 0);
	pthread_mutex_unlock(&arena_lock);
	unmap_all(unmap_list);
}

/* Bits start..end-1 of a page mask. */
static uint64_t page_run(unsigned start, unsigned end)
{
	uint64_t below_end = end == CY_POOL_ARENA_PAGES ? ~(uint64_t)0 : ((uint64_t)1 << end) - 1;
	return below_end & (~(uint64_t)0 << start);
}

/* arena_lock held: give back the resident free pages of a, in runs. */
static void arena_decommit(cy_arena *a)
{
	uint64_t todo = a->free_mask & a->dirty_mask;
	while (todo) {
		unsigned start = (unsigned)__builtin_ctzll(todo), end = start;
		while (end < CY_POOL_ARENA_PAGES && (todo >> end & 1))
			end++;
		uint64_t run = page_run(start, end);
		todo &= ~run;
		if (madvise(a->base + (size_t)start * CY_POOL_PAGE_SIZE, (size_t)(end - start) * CY_POOL_PAGE_SIZE,
			    MADV_DONTNEED) == 0) {
			pages_decommitted += end - start;
			a->dirty_mask &= ~run;
		}
	}
}

void cy_arena_trim(int release_all)
{
	cy_arena *unmap_list = NULL;
	pthread_mutex_lock(&arena_lock);
	unsigned keep = release_all ? 0 : cache_limit;
	while (empty_count > keep) {
		cy_arena *a = by_free[USABLE];
		arena_retire(a);
		a->next = unmap_list;
		unmap_list = a;
	}
	if (release_all) {
		/* Under the lock: a page decommitted here cannot be handed out meanwhile. */
		for (unsigned n = 1; n < USABLE; n++) {
			for (cy_arena *a = by_free[n]; a; a = a->next)
				arena_decommit(a);
		}
	}
	if (empty_count <= cache_limit)
		purge_due_ns = UINT64_MAX;
	pthread_mutex_unlock(&arena_lock);
	unmap_all(unmap_list);
}

void cy_arena_set_cache(unsigned arenas)
{
	pthread_mutex_lock(&arena_lock);
	cache_limit = arenas;
	pthread_mutex_unlock(&arena_lock);
	cy_arena_trim(0);
}

void cy_arena_set_decay_ms(unsigned ms)
{
	pthread_mutex_lock(&arena_lock);
	decay_ns = (uint64_t)ms * 1000000ull;
	purge_due_ns = 0; /* look again under the new decay at the next page operation */
	cy_arena *unmap_list = purge_expired(coarse_now_ns());
	pthread_mutex_unlock(&arena_lock);
	unmap_all(unmap_list);
}

unsigned cy_arena_decay_ms(void)
{
	pthread_mutex_lock(&arena_lock);
	unsigned ms = (unsigned)(decay_ns / 1000000ull);
	pthread_mutex_unlock(&arena_lock);
	return ms;
}

unsigned cy_arena_cache(void)
{
	pthread_mutex_lock(&arena_lock);
	unsigned n = cache_limit;
	pthread_mutex_unlock(&arena_lock);
	return n;
}

void cy_arena_stats(cy_pool_stats *s)
{
	pthread_mutex_lock(&arena_lock);
	for (unsigned c = 0; c < CY_POOL_CLASSES; c++)
		s->classes[c].pages = pages_by_class[c];
	s->pages = pages_total;
	s->pages_decommitted = pages_decommitted;
	s->arenas_mapped = arenas_mapped;
	s->arenas_cached = empty_count;
	s->arenas_mapped_total = arenas_mapped_total;
	s->arenas_returned = arenas_returned;
	s->bytes_mapped = arenas_mapped * (int64_t)CY_POOL_ARENA_SIZE;
	pthread_mutex_unlock(&arena_lock);
}
