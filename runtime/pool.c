/*
 * pool.c: heaps, pages, and frees from other threads.
 *
 * Read pool.h first: it has the page layout, its invariants and the two
 * fast paths. This file is what happens when those miss.
 *
 * Heaps. A thread's heap is made the first time it allocates or frees
 * (cy_pool_tls_heap points at a static empty heap until then, whose pages
 * have no free block, so the fast path needs no null test). It is given up
 * by cy_pool_thread_done: cy_thread_unregister calls it, and a pthread key
 * destructor calls it for a thread that never registered.
 *
 * Pages of a class. Each heap keeps, per class, a queue of pages that may
 * have free blocks (its first page is the fast path's direct page) and one
 * list of full pages for all classes. When the direct page runs dry,
 * heap_find_page refills it from its local_free and xthread_free lists,
 * and failing that walks the queue, moving pages that stay empty-handed to
 * the full list; then it adopts an abandoned page, and only then takes a
 * fresh page from an arena. A page whose last block comes back is returned
 * to its arena at once, unless it is its class's first page: a loop that
 * allocates and frees one object keeps its page.
 *
 * Frees from other threads (mimalloc's "delayed free"). Pushing onto
 * xthread_free is enough for a page in the queue, since the owner collects
 * that list whenever it refills the page. A page on the full list is never
 * refilled, so the first remote free after it became full must tell the
 * owner. The low two bits of xthread_free hold the page's notification
 * state:
 *
 *   DIRECT     remote frees push onto xthread_free;
 *   NOTIFY     the page is on its owner's full list: the next remote free
 *              does not push but sets NOTIFYING, pushes its block onto
 *              the owner heap's xdelayed list, and sets DIRECT;
 *   NOTIFYING  a remote thread is between those steps: it holds a pointer
 *              to the owner's heap;
 *   ABANDONED  no owner: remote frees push; whoever adopts or sweeps the
 *              page collects them.
 *
 * The owner sets NOTIFY (DIRECT with an empty list -> NOTIFY, one CAS that
 * fails if a block arrived meanwhile) when it moves a page to the full list,
 * and takes xdelayed in its allocation slow path, freeing each block as a
 * local free, which moves the page back to its queue. A remote free never
 * waits and never takes a lock: a bounded number of CAS retries, one of
 * which may be followed by a push onto xdelayed and a second CAS.
 *
 * Why a remote free cannot touch freed memory.
 *  - The page: a remote thread touches a page only while it holds one of its
 *    blocks, and a held block is counted in used (as is a block on
 *    xthread_free or xdelayed), so used > 0 and the page is not retired.
 *    Retiring needs used == 0, which the owner checks after collecting.
 *  - The heap, which a notifier dereferences while NOTIFYING. Abandonment
 *    (cy_pool_thread_done) first moves every page of the heap out of NOTIFY and
 *    NOTIFYING into ABANDONED, waiting for a NOTIFYING page to become
 *    DIRECT. The notifier's push onto xdelayed precedes its release CAS to
 *    DIRECT, which the abandoner reads with acquire; so once the loop is
 *    done, no remote thread can start a notification (no page is NOTIFY)
 *    or be inside one (none is NOTIFYING), and every notification is on
 *    xdelayed, which the abandoner then drains. Only after that is the heap
 *    freed.
 *  - The notifier's last step, NOTIFYING -> DIRECT, writes the page after
 *    its block is already on xdelayed. If the owner freed that block at
 *    once, the page could empty, be retired and be reused before that
 *    write. So the owner, before it frees a block from xdelayed, waits
 *    until the block's page is no longer NOTIFYING (mimalloc's
 *    _mi_free_delayed_block does the same). These two waits are the only
 *    places an owner waits for another thread, for a few instructions.
 *
 * Abandoned pages. Their owner fields (free, local_free, used, links)
 * belong to whoever holds abandoned_lock. A heap that needs a page of a
 * class adopts one with free blocks (after collecting its remote frees)
 * before it maps new memory, and a sweep (before mapping an arena, at every
 * heap abandonment, and in cy_pool_collect) returns abandoned pages whose
 * blocks have all come back. So an abandoned page is never leaked: it is
 * adopted, or swept once its last block is freed.
 *
 * Debug pages (pool_debug.c) take the slow paths, which call their checks.
 * Under AddressSanitizer, free blocks are poisoned past their link word in
 * every mode, and a live block past the size it was asked for.
 */
#include "pool_internal.h"

#include <assert.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#ifndef CY_DEBUG
#define CY_DEBUG 0
#endif

/*
 * xthread_free packs three things: the list's length in the top 16 bits
 * (arena.c maps only below 2^48; a page has at most 1,024 blocks), so that
 * the owner can take the list without walking it; the list's head, 16-byte
 * aligned; and the notification state in the low 2 bits.
 */
enum {
	TF_DIRECT = 0,
	TF_NOTIFY = 1,
	TF_NOTIFYING = 2,
	TF_ABANDONED = 3,
	TF_STATE = 3,
};

#define TF_COUNT_SHIFT 48
#define TF_LIST(word) ((cy_pool_block *)((word) & (((uintptr_t)1 << TF_COUNT_SHIFT) - 1) & ~(uintptr_t)TF_STATE))
#define TF_COUNT(word) ((uint32_t)((word) >> TF_COUNT_SHIFT))
#define TF_WITH_STATE(word, state) (((word) & ~(uintptr_t)TF_STATE) | (uintptr_t)(state))

/* Every block carved at once, at most this many bytes of them: touch memory only as it is needed. */
#define EXTEND_BYTES 4096
/* Abandoned pages an allocation looks at before it takes a fresh page instead. */
#define ADOPT_SCAN 8

/* No free block: the direct page of every class of a heap that has no page of that class. */
static cy_pool_page empty_page;

#define EMPTY_SLOT {.direct = &empty_page}
#define EMPTY_SLOTS_4 EMPTY_SLOT, EMPTY_SLOT, EMPTY_SLOT, EMPTY_SLOT
#define EMPTY_SLOTS_16 EMPTY_SLOTS_4, EMPTY_SLOTS_4, EMPTY_SLOTS_4, EMPTY_SLOTS_4
_Static_assert(CY_POOL_CLASSES == 32, "empty_heap lists one slot per class");
/* Read-only: the fast paths read it and fall through to the slow paths, which make a real heap. */
static cy_pool_heap empty_heap = {.classes = {EMPTY_SLOTS_16, EMPTY_SLOTS_16}};

_Thread_local cy_pool_heap *cy_pool_tls_heap = &empty_heap;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pthread_key_t heap_key;
static int debug_pages = CY_DEBUG; /* ATOMIC (relaxed): read when a page is made */

/* The heap registry, for statistics: live heaps, and what freed heaps counted. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static cy_pool_heap *registry;
static cy_pool_totals retired;
static int64_t heaps_live;

/* Abandoned pages by class, doubly linked through next/prev, under abandoned_lock. */
static pthread_mutex_t abandoned_lock = PTHREAD_MUTEX_INITIALIZER;
static cy_pool_page *abandoned[CY_POOL_CLASSES];
static int64_t abandoned_count; /* written under the lock, read relaxed as a hint */

static void heap_key_destructor(void *heap);

static unsigned env_unsigned(const char *name, unsigned fallback)
{
	const char *s = getenv(name);
	if (!s || !*s)
		return fallback;
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*end != '\0' || v > 1u << 20) {
		fprintf(stderr, "cyclab: %s: expected a number up to %u, not '%s'\n", name, 1u << 20, s);
		exit(2);
	}
	return (unsigned)v;
}

static void pool_init(void)
{
	if (pthread_key_create(&heap_key, heap_key_destructor) != 0)
		cy_pool_fatal("pthread_key_create failed");
	cy_atomic_store_relaxed(&debug_pages, (int)env_unsigned("CYCLAB_POOL_DEBUG", (unsigned)CY_DEBUG) != 0);
	cy_arena_set_cache(env_unsigned("CYCLAB_POOL_ARENA_CACHE", cy_arena_cache()));
	cy_arena_set_decay_ms(env_unsigned("CYCLAB_POOL_ARENA_DECAY_MS", cy_arena_decay_ms()));
}

void cy_pool_set_debug(int on)
{
	pthread_once(&init_once, pool_init);
	cy_atomic_store_relaxed(&debug_pages, on != 0);
}

int cy_pool_debug(void)
{
	pthread_once(&init_once, pool_init);
	return cy_atomic_load_relaxed(&debug_pages);
}

void cy_pool_set_arena_cache(unsigned arenas)
{
	pthread_once(&init_once, pool_init);
	cy_arena_set_cache(arenas);
}

unsigned cy_pool_arena_cache(void)
{
	pthread_once(&init_once, pool_init);
	return cy_arena_cache();
}

void cy_pool_set_arena_decay_ms(unsigned ms)
{
	pthread_once(&init_once, pool_init);
	cy_arena_set_decay_ms(ms);
}

unsigned cy_pool_arena_decay_ms(void)
{
	pthread_once(&init_once, pool_init);
	return cy_arena_decay_ms();
}

/* ---- page lists (owner only) -------------------------------------------- */

static void slot_set_direct(cy_pool_class_slot *slot)
{
	slot->direct = slot->first && !slot->first->debug ? slot->first : &empty_page;
}

static void list_unlink(cy_pool_page **first, cy_pool_page **last, cy_pool_page *page)
{
	if (page->prev)
		page->prev->next = page->next;
	else
		*first = page->next;
	if (page->next)
		page->next->prev = page->prev;
	else if (last)
		*last = page->prev;
	page->next = page->prev = NULL;
}

static void list_push_front(cy_pool_page **first, cy_pool_page **last, cy_pool_page *page)
{
	page->prev = NULL;
	page->next = *first;
	if (*first)
		(*first)->prev = page;
	else if (last)
		*last = page;
	*first = page;
}

static void queue_push_back(cy_pool_class_slot *slot, cy_pool_page *page)
{
	page->next = NULL;
	page->prev = slot->last;
	if (slot->last)
		slot->last->next = page;
	else
		slot->first = page;
	slot->last = page;
	slot_set_direct(slot);
}

static uintptr_t owner_word(const cy_pool_heap *heap, const cy_pool_page *page)
{
	return (uintptr_t)heap | (page->debug ? CY_POOL_OWNER_DEBUG : 0) | (page->in_full ? CY_POOL_OWNER_FULL : 0);
}

/* ---- pages -------------------------------------------------------------- */

/* The invariant of pool.h: used + |free| + |local_free| = capacity <= reserved. Assertions only. */
static __attribute__((unused)) int page_is_valid(const cy_pool_page *page)
{
	uint32_t listed = 0;
	for (const cy_pool_block *b = page->free; b; b = b->next)
		listed++;
	for (const cy_pool_block *b = page->local_free; b; b = b->next)
		listed++;
	return page->used + listed == page->capacity && page->capacity <= page->reserved;
}

/* Carve the next blocks of the page onto its (empty) free list, in address order. */
static void page_extend(cy_pool_page *page)
{
	size_t size = page->block_size;
	uint32_t count = EXTEND_BYTES / size ? (uint32_t)(EXTEND_BYTES / size) : 1;
	if (count > page->reserved - page->capacity)
		count = page->reserved - page->capacity;
	char *start = page->start + (size_t)page->capacity * size;
	page->capacity += count;
	for (uint32_t i = 0; i < count; i++) {
		cy_pool_block *block = (cy_pool_block *)(start + i * size);
		CY_POOL_UNPOISON(block, sizeof *block);
		block->next = i + 1 < count ? (cy_pool_block *)(start + (i + 1) * size) : page->free;
		if (page->debug)
			cy_pool_debug_fill(page, block);
	}
	page->free = (cy_pool_block *)start;
}

static void page_init(cy_pool_page *page, cy_pool_heap *heap, unsigned size_class)
{
	size_t size = cy_pool_class_size(size_class);
	page->free = page->local_free = NULL;
	page->used = page->capacity = 0;
	page->next = page->prev = NULL;
	page->in_full = 0;
	page->reserved = (uint32_t)(CY_POOL_PAGE_SIZE / size);
	page->block_size = (uint16_t)size;
	page->size_class = (uint8_t)size_class;
	page->debug_live = NULL;
	if (cy_atomic_load_relaxed(&debug_pages))
		page->debug_live = calloc((page->reserved + 63) / 64, sizeof(uint64_t));
	page->debug = page->debug_live != NULL;
	CY_POOL_POISON(page->start, CY_POOL_PAGE_SIZE);
	cy_atomic_store_relaxed(&page->xthread_free, (uintptr_t)TF_DIRECT);
	cy_atomic_store_release(&page->xowner, owner_word(heap, page));
	page_extend(page);
}

/* The page has no block anywhere but its owner lists (used == 0): back to its arena. */
static void page_release(cy_pool_page *page)
{
	assert(page->used == 0);
	free(page->debug_live);
	page->debug_live = NULL;
	CY_POOL_POISON(page->start, CY_POOL_PAGE_SIZE);
	cy_arena_page_free(page);
}

/*
 * Take the blocks other threads freed. Owner (or abandoned_lock holder)
 * only. The acquire pairs with each remote push's release: a CAS chain is
 * one release sequence, so every block's link and contents written before
 * its push are visible. The list goes where it needs no walk: onto an empty
 * free or local_free list; only when both are in use is it walked to its
 * tail (never on the allocation path, whose refill empties both first).
 */
static void page_collect_remote(cy_pool_page *page)
{
	uintptr_t old = cy_atomic_load_relaxed(&page->xthread_free);
	do {
		if (!TF_LIST(old))
			return;
	} while (!cy_atomic_cas_weak_acq_rel(&page->xthread_free, &old, old & TF_STATE));
	cy_pool_block *list = TF_LIST(old);
	page->used -= TF_COUNT(old);
	if (!page->free) {
		page->free = list;
	} else if (!page->local_free) {
		page->local_free = list;
	} else {
		cy_pool_block *tail = list;
		while (tail->next)
			tail = tail->next;
		tail->next = page->local_free;
		page->local_free = list;
	}
}

/*
 * Owner: the page's free list is empty; refill it. Returns nonzero if it now
 * has a block. The local frees become the free list and the remote frees,
 * if any, the new local_free (or the free list if there were no local ones).
 */
static int page_refill(cy_pool_page *page)
{
	page->free = page->local_free;
	page->local_free = NULL;
	page_collect_remote(page);
	if (!page->free && page->capacity < page->reserved)
		page_extend(page);
	return page->free != NULL;
}

static void page_wait_not_notifying(cy_pool_page *page)
{
	unsigned spins = 0;
	/* Acquire: pairs with the notifier's release CAS that ends NOTIFYING. */
	while ((cy_atomic_load_acquire(&page->xthread_free) & TF_STATE) == TF_NOTIFYING) {
		if (++spins > 64)
			sched_yield();
	}
}

/* Owner: the page has no free block; park it on the full list, armed to be told of a remote free. */
static int page_try_mark_full(cy_pool_heap *heap, cy_pool_page *page)
{
	uintptr_t expected = TF_DIRECT;
	/* Fails if a block arrived (the caller collects it) or a notifier is still finishing. */
	if (!cy_atomic_cas_strong_acq_rel(&page->xthread_free, &expected, (uintptr_t)TF_NOTIFY))
		return 0;
	cy_pool_class_slot *slot = &heap->classes[page->size_class];
	list_unlink(&slot->first, &slot->last, page);
	slot_set_direct(slot);
	list_push_front(&heap->full_first, NULL, page);
	page->in_full = 1;
	cy_atomic_store_relaxed(&page->xowner, owner_word(heap, page));
	return 1;
}

/* Owner: a block of a full page came back; the page returns to the end of its queue. */
static void page_unfull(cy_pool_heap *heap, cy_pool_page *page)
{
	list_unlink(&heap->full_first, NULL, page);
	page->in_full = 0;
	queue_push_back(&heap->classes[page->size_class], page);
	cy_atomic_store_relaxed(&page->xowner, owner_word(heap, page));
	/* Disarm; a NOTIFYING notifier sets DIRECT itself, and ABANDONED stays. */
	uintptr_t old = cy_atomic_load_relaxed(&page->xthread_free);
	while ((old & TF_STATE) == TF_NOTIFY &&
	       !cy_atomic_cas_weak_acq_rel(&page->xthread_free, &old, TF_WITH_STATE(old, TF_DIRECT))) {
	}
}

/* Owner: page has used == 0 and is in the class queue. */
static void page_retire(cy_pool_heap *heap, cy_pool_page *page)
{
	cy_pool_class_slot *slot = &heap->classes[page->size_class];
	list_unlink(&slot->first, &slot->last, page);
	slot_set_direct(slot);
	page_release(page);
}

void cy_pool_page_emptied(cy_pool_heap *heap, cy_pool_page *page)
{
	if (page != heap->classes[page->size_class].first)
		page_retire(heap, page);
}

/* Owner: free a block of one of our pages, full or not. */
static void page_free_local(cy_pool_heap *heap, cy_pool_page *page, cy_pool_block *block)
{
	if (page->in_full)
		page_unfull(heap, page);
	block->next = page->local_free;
	page->local_free = block;
	if (--page->used == 0)
		cy_pool_page_emptied(heap, page);
}

/*
 * Any thread but the owner: push block onto the page's xthread_free, or,
 * if the page is armed (NOTIFY), hand the block to the owner's heap. The
 * argument that this is safe against the owner's exit is at the top.
 */
static void page_free_remote(cy_pool_page *page, cy_pool_block *block)
{
	uintptr_t old = cy_atomic_load_relaxed(&page->xthread_free), desired;
	int notify;
	do {
		notify = (old & TF_STATE) == TF_NOTIFY;
		if (notify) {
			desired = TF_WITH_STATE(old, TF_NOTIFYING);
		} else {
			block->next = TF_LIST(old);
			desired = (uintptr_t)(TF_COUNT(old) + 1) << TF_COUNT_SHIFT | (uintptr_t)block | (old & TF_STATE);
		}
		/* Release: the block's contents and link before the push; paired with page_collect_remote. */
	} while (!cy_atomic_cas_weak_acq_rel(&page->xthread_free, &old, desired));
	if (!notify)
		return;

	cy_pool_heap *owner = (cy_pool_heap *)(cy_atomic_load_acquire(&page->xowner) & ~(uintptr_t)CY_POOL_OWNER_TAGS);
	cy_pool_block *head = cy_atomic_load_relaxed(&owner->xdelayed);
	do {
		block->next = head;
		/* Release: paired with the exchange in heap_free_delayed. */
	} while (!cy_atomic_cas_weak_acq_rel(&owner->xdelayed, &head, block));

	/* Only this thread changes the state while it is NOTIFYING; others push blocks meanwhile. */
	old = cy_atomic_load_relaxed(&page->xthread_free);
	do {
		assert((old & TF_STATE) == TF_NOTIFYING);
		/* Release: paired with page_wait_not_notifying and page_close_notifications. */
	} while (!cy_atomic_cas_weak_acq_rel(&page->xthread_free, &old, TF_WITH_STATE(old, TF_DIRECT)));
}

/* ---- heaps -------------------------------------------------------------- */

static void heap_key_destructor(void *heap)
{
	(void)heap;
	cy_pool_thread_done();
}

static cy_pool_heap *heap_create(void)
{
	pthread_once(&init_once, pool_init);
	cy_pool_heap *heap = aligned_alloc(CY_POOL_LINE, sizeof *heap);
	if (!heap)
		return NULL;
	memset(heap, 0, sizeof *heap);
	for (unsigned c = 0; c < CY_POOL_CLASSES; c++)
		heap->classes[c].direct = &empty_page;
	pthread_mutex_lock(&registry_lock);
	heap->reg_next = registry;
	if (registry)
		registry->reg_prev = heap;
	registry = heap;
	heaps_live++;
	pthread_mutex_unlock(&registry_lock);
	cy_pool_tls_heap = heap;
	pthread_setspecific(heap_key, heap);
	return heap;
}

/* The calling thread's heap, made if it has none; NULL when memory is exhausted. */
static cy_pool_heap *heap_get(void)
{
	cy_pool_heap *heap = cy_pool_tls_heap;
	return heap != &empty_heap ? heap : heap_create();
}

/* Owner: free locally the blocks other threads handed us from our full pages. */
static void heap_free_delayed(cy_pool_heap *heap)
{
	/* Acquire: paired with the notifiers' pushes. */
	cy_pool_block *list = cy_atomic_exchange_acq_rel(&heap->xdelayed, NULL);
	while (list) {
		cy_pool_block *block = list;
		list = block->next;
		cy_pool_page *page = cy_pool_page_of(block);
		page_wait_not_notifying(page);
		cy_atomic_add_owner(&heap->notifications, 1);
		page_free_local(heap, page, block);
	}
}

/* abandoned_lock held: take a page off the abandoned list. */
static void abandoned_unlink(cy_pool_page *page)
{
	list_unlink(&abandoned[page->size_class], NULL, page);
	cy_atomic_store_relaxed(&abandoned_count, abandoned_count - 1);
}

/* Release pages chained through next (taken out under abandoned_lock, released without it). */
static void release_chain(cy_pool_page *chain)
{
	while (chain) {
		cy_pool_page *next = chain->next;
		page_release(chain);
		chain = next;
	}
}

/* Return every abandoned page whose blocks have all been freed. */
static void sweep_abandoned(void)
{
	cy_pool_page *release = NULL;
	pthread_mutex_lock(&abandoned_lock);
	for (unsigned c = 0; c < CY_POOL_CLASSES; c++) {
		cy_pool_page *next;
		for (cy_pool_page *page = abandoned[c]; page; page = next) {
			next = page->next;
			page_collect_remote(page);
			if (page->used == 0) {
				abandoned_unlink(page);
				page->next = release;
				release = page;
			}
		}
	}
	pthread_mutex_unlock(&abandoned_lock);
	release_chain(release);
}

/* An abandoned page of the class with a free block, now the heap's; NULL if none. */
static cy_pool_page *heap_adopt(cy_pool_heap *heap, unsigned size_class)
{
	if (!cy_atomic_load_relaxed(&abandoned_count))
		return NULL;
	cy_pool_page *found = NULL, *release = NULL, *next;
	unsigned scanned = 0;
	pthread_mutex_lock(&abandoned_lock);
	for (cy_pool_page *page = abandoned[size_class]; page && !found && scanned < ADOPT_SCAN; page = next) {
		next = page->next;
		scanned++;
		page_collect_remote(page);
		if (page->used == 0) {
			abandoned_unlink(page);
			page->next = release;
			release = page;
		} else if (page->free || page->local_free || page->capacity < page->reserved) {
			abandoned_unlink(page);
			found = page;
		}
	}
	pthread_mutex_unlock(&abandoned_lock);
	release_chain(release);
	if (!found)
		return NULL;
	assert(page_is_valid(found));
	cy_atomic_store_release(&found->xowner, owner_word(heap, found));
	uintptr_t old = cy_atomic_load_relaxed(&found->xthread_free);
	while (!cy_atomic_cas_weak_acq_rel(&found->xthread_free, &old, TF_WITH_STATE(old, TF_DIRECT))) {
	}
	cy_atomic_add_owner(&heap->pages_adopted, 1);
	return found;
}

static cy_pool_page *heap_fresh_page(cy_pool_heap *heap, unsigned size_class)
{
	cy_pool_page *page = cy_arena_page_alloc(size_class, 0);
	if (!page) {
		/* About to map memory: first give back what abandoned pages no longer use. */
		if (cy_atomic_load_relaxed(&abandoned_count))
			sweep_abandoned();
		page = cy_arena_page_alloc(size_class, 1);
		if (!page)
			return NULL;
	}
	page_init(page, heap, size_class);
	return page;
}

/* Owner: a page of the class with a free block, first in its queue; NULL when memory is exhausted. */
static cy_pool_page *heap_find_page(cy_pool_heap *heap, unsigned size_class)
{
	cy_pool_class_slot *slot = &heap->classes[size_class];
	cy_pool_page *page, *next;
	for (page = slot->first; page; page = next) {
		next = page->next;
		if (page->free || page_refill(page) || (!page_try_mark_full(heap, page) && page_refill(page)))
			break;
	}
	if (!page) {
		page = heap_adopt(heap, size_class);
		if (!page)
			page = heap_fresh_page(heap, size_class);
		if (!page)
			return NULL;
		if (!page->free)
			page_refill(page); /* an adopted page may keep its blocks on local_free */
	} else if (page == slot->first) {
		slot_set_direct(slot); /* a debug page's class keeps the empty direct page */
		return page;
	} else {
		list_unlink(&slot->first, &slot->last, page);
	}
	list_push_front(&slot->first, &slot->last, page);
	slot_set_direct(slot);
	return page;
}

static void count_large(int64_t allocs, int64_t frees, int64_t bytes_allocated, int64_t bytes_freed)
{
	cy_pool_heap *heap = heap_get();
	if (heap) {
		cy_atomic_add_owner(&heap->large_allocs, allocs);
		cy_atomic_add_owner(&heap->large_frees, frees);
		cy_atomic_add_owner(&heap->large_bytes_allocated, bytes_allocated);
		cy_atomic_add_owner(&heap->large_bytes_freed, bytes_freed);
		return;
	}
	pthread_mutex_lock(&registry_lock); /* no heap to count in: memory is exhausted */
	retired.large_allocs += allocs;
	retired.large_frees += frees;
	retired.large_bytes_allocated += bytes_allocated;
	retired.large_bytes_freed += bytes_freed;
	pthread_mutex_unlock(&registry_lock);
}

void *cy_pool_alloc_slow(size_t size)
{
	if (size > CY_POOL_MAX_SIZE) {
		void *p = malloc(size);
		if (p)
			count_large(1, 0, (int64_t)size, 0);
		return p;
	}
	cy_pool_heap *heap = heap_get();
	if (!heap)
		return NULL;
	if (cy_atomic_load_relaxed(&heap->xdelayed))
		heap_free_delayed(heap);
	unsigned size_class = cy_pool_size_class(size);
	cy_pool_page *page = heap_find_page(heap, size_class);
	if (!page)
		return NULL;
	cy_pool_block *block = page->free;
	page->free = block->next;
	page->used++;
	cy_atomic_add_owner(&heap->classes[size_class].allocs, 1);
	if (page->debug)
		cy_pool_debug_on_alloc(page, block);
	CY_POOL_UNPOISON(block, size);
	return block;
}

void cy_pool_free_slow(void *p, size_t size)
{
	if (size > CY_POOL_MAX_SIZE) {
		free(p);
		count_large(0, 1, 0, (int64_t)size);
		return;
	}
	cy_pool_page *page = cy_pool_page_of(p);
	cy_pool_block *block = p;
	if (page->debug)
		cy_pool_debug_on_free(page, block, size);
	CY_POOL_POISON(block + 1, page->block_size - sizeof *block);
	cy_pool_heap *heap = cy_pool_tls_heap;
	unsigned size_class = cy_pool_size_class(size);
	if ((cy_atomic_load_relaxed(&page->xowner) & ~(uintptr_t)CY_POOL_OWNER_TAGS) == (uintptr_t)heap) {
		cy_atomic_add_owner(&heap->classes[size_class].frees, 1);
		page_free_local(heap, page, block);
		return;
	}
	heap = heap_get();
	if (heap) {
		cy_atomic_add_owner(&heap->classes[size_class].frees, 1);
		cy_atomic_add_owner(&heap->remote_frees, 1);
	} else {
		pthread_mutex_lock(&registry_lock);
		retired.frees[size_class]++;
		retired.remote_frees++;
		pthread_mutex_unlock(&registry_lock);
	}
	page_free_remote(page, block);
}

/* Arm nothing new and wait out notifications in flight: the heap may be freed afterwards. */
static void page_close_notifications(cy_pool_page *page)
{
	uintptr_t old = cy_atomic_load_acquire(&page->xthread_free);
	for (;;) {
		if ((old & TF_STATE) == TF_NOTIFYING) {
			page_wait_not_notifying(page);
			old = cy_atomic_load_acquire(&page->xthread_free);
			continue;
		}
		if (cy_atomic_cas_weak_acq_rel(&page->xthread_free, &old, TF_WITH_STATE(old, TF_ABANDONED)))
			return;
	}
}

/*
 * Owner, at the end of abandonment: page leaves the heap, for its arena or
 * the abandoned list. Its free and local_free lists go with it as they are.
 */
static void page_abandon(cy_pool_page *page, cy_pool_page **release)
{
	page_collect_remote(page);
	page->in_full = 0;
	if (page->used == 0) {
		page->next = *release;
		*release = page;
		return;
	}
	/* Before it is listed: an adopter stores its own heap here. */
	cy_atomic_store_release(&page->xowner, (uintptr_t)0);
	pthread_mutex_lock(&abandoned_lock);
	list_push_front(&abandoned[page->size_class], NULL, page);
	cy_atomic_store_relaxed(&abandoned_count, abandoned_count + 1);
	pthread_mutex_unlock(&abandoned_lock);
}

static void totals_add_heap(cy_pool_totals *t, const cy_pool_heap *heap)
{
	for (unsigned c = 0; c < CY_POOL_CLASSES; c++) {
		t->allocs[c] += cy_atomic_load_relaxed(&heap->classes[c].allocs);
		t->frees[c] += cy_atomic_load_relaxed(&heap->classes[c].frees);
	}
	t->remote_frees += cy_atomic_load_relaxed(&heap->remote_frees);
	t->large_allocs += cy_atomic_load_relaxed(&heap->large_allocs);
	t->large_frees += cy_atomic_load_relaxed(&heap->large_frees);
	t->large_bytes_allocated += cy_atomic_load_relaxed(&heap->large_bytes_allocated);
	t->large_bytes_freed += cy_atomic_load_relaxed(&heap->large_bytes_freed);
	t->pages_adopted += cy_atomic_load_relaxed(&heap->pages_adopted);
	t->notifications += cy_atomic_load_relaxed(&heap->notifications);
}

void cy_pool_thread_done(void)
{
	cy_pool_heap *heap = cy_pool_tls_heap;
	if (heap == &empty_heap)
		return;

	/* 1. No notification may start, or still be running, once this is done. */
	for (unsigned c = 0; c < CY_POOL_CLASSES; c++) {
		for (cy_pool_page *page = heap->classes[c].first; page; page = page->next)
			page_close_notifications(page);
	}
	for (cy_pool_page *page = heap->full_first; page; page = page->next)
		page_close_notifications(page);
	/* 2. So xdelayed is complete: free its blocks while the pages are still ours. */
	heap_free_delayed(heap);
	/* 3. Every page goes to its arena (empty) or the abandoned list. */
	cy_pool_page *release = NULL, *next;
	for (unsigned c = 0; c < CY_POOL_CLASSES; c++) {
		for (cy_pool_page *page = heap->classes[c].first; page; page = next) {
			next = page->next;
			page_abandon(page, &release);
		}
	}
	for (cy_pool_page *page = heap->full_first; page; page = next) {
		next = page->next;
		page_abandon(page, &release);
	}
	release_chain(release);
	/* 4. Fold the counters and forget the heap. */
	pthread_mutex_lock(&registry_lock);
	if (heap->reg_prev)
		heap->reg_prev->reg_next = heap->reg_next;
	else
		registry = heap->reg_next;
	if (heap->reg_next)
		heap->reg_next->reg_prev = heap->reg_prev;
	totals_add_heap(&retired, heap);
	heaps_live--;
	pthread_mutex_unlock(&registry_lock);
	cy_pool_tls_heap = &empty_heap;
	pthread_setspecific(heap_key, NULL);
	free(heap);
	/* Pages abandoned earlier may have emptied since: a thread exit is a good time to look. */
	if (cy_atomic_load_relaxed(&abandoned_count))
		sweep_abandoned();
}

void cy_pool_collect(int how)
{
	cy_pool_heap *heap = cy_pool_tls_heap;
	if (heap != &empty_heap) {
		if (cy_atomic_load_relaxed(&heap->xdelayed))
			heap_free_delayed(heap);
		for (unsigned c = 0; c < CY_POOL_CLASSES; c++) {
			cy_pool_page *next;
			for (cy_pool_page *page = heap->classes[c].first; page; page = next) {
				next = page->next;
				page_collect_remote(page);
				assert(page_is_valid(page));
				if (page->used == 0)
					page_retire(heap, page);
			}
		}
	}
	if (cy_atomic_load_relaxed(&abandoned_count))
		sweep_abandoned();
	cy_arena_trim(how == CY_POOL_RELEASE_ALL);
}

/* ---- for pool_stats.c ------------------------------------------------- */

void cy_pool_sum_heaps(cy_pool_totals *t, int64_t *heaps)
{
	pthread_mutex_lock(&registry_lock);
	for (unsigned c = 0; c < CY_POOL_CLASSES; c++) {
		t->allocs[c] += retired.allocs[c];
		t->frees[c] += retired.frees[c];
	}
	t->remote_frees += retired.remote_frees;
	t->large_allocs += retired.large_allocs;
	t->large_frees += retired.large_frees;
	t->large_bytes_allocated += retired.large_bytes_allocated;
	t->large_bytes_freed += retired.large_bytes_freed;
	t->pages_adopted += retired.pages_adopted;
	t->notifications += retired.notifications;
	for (const cy_pool_heap *heap = registry; heap; heap = heap->reg_next)
		totals_add_heap(t, heap);
	*heaps = heaps_live;
	pthread_mutex_unlock(&registry_lock);
}

int64_t cy_pool_abandoned_pages(void)
{
	pthread_mutex_lock(&abandoned_lock);
	int64_t n = abandoned_count;
	pthread_mutex_unlock(&abandoned_lock);
	return n;
}
