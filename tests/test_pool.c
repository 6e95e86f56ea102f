/*
 * test_pool.c: the small-object pools (pool.h), one behaviour per test.
 *
 * Size classes and their boundaries, pages filling and emptying, arenas
 * returned under the cache knob, frees from other threads (plain, into a
 * full page, into an abandoned page), thread exit with blocks still in use
 * elsewhere, deferred free, debug mode's aborts (in a forked child), the
 * --alloc switch and mimalloc/jemalloc loading. Every test starts and ends
 * with no block in use and no page carved; the numbers asserted are exact.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/pool.h"
#include "runtime/sysalloc.h"
#include "tests/test_support.h"

static cy_pool_stats stats(void)
{
	cy_pool_stats s;
	cy_pool_stats_get(&s);
	return s;
}

/* Nothing in use, and once the calling thread has collected, no page carved. */
static void assert_pool_empty(void)
{
	cy_pool_collect(CY_POOL_COLLECT);
	cy_pool_stats s = stats();
	assert_int_equal(s.blocks_in_use, 0);
	assert_int_equal(s.large_blocks_in_use, 0);
	assert_int_equal(s.pages, 0);
	assert_int_equal(s.pages_abandoned, 0);
}

static size_t blocks_per_page(size_t block_size)
{
	return CY_POOL_PAGE_SIZE / block_size;
}

static int compare_pointers(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
	return x < y ? -1 : x > y;
}

static uint64_t next_random(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

static void shuffle(void **items, size_t n, uint64_t seed)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = next_random(&seed) % i;
		void *t = items[i - 1];
		items[i - 1] = items[j];
		items[j] = t;
	}
}

/* ---- size classes ------------------------------------------------------- */

static void boundaries_map_to_their_classes(void **state)
{
	(void)state;
	assert_pool_empty();
	static const struct {
		size_t request, block;
	} cases[] = {{0, 16}, {1, 16}, {16, 16}, {17, 32}, {511, 512}, {512, 512}};
	void *blocks[6];
	for (unsigned i = 0; i < 6; i++) {
		blocks[i] = cy_pool_alloc(cases[i].request);
		assert_non_null(blocks[i]);
		assert_int_equal((uintptr_t)blocks[i] % CY_POOL_ALIGN, 0);
		assert_int_equal(cy_pool_block_size(cases[i].request), cases[i].block);
		assert_int_equal(cy_pool_page_of(blocks[i])->block_size, cases[i].block);
		memset(blocks[i], 0xa5, cases[i].request); /* under ASan, the bytes past the request are poisoned */
	}
	cy_pool_stats s = stats();
	assert_int_equal(s.classes[0].blocks_in_use, 3);
	assert_int_equal(s.classes[1].blocks_in_use, 1);
	assert_int_equal(s.classes[31].blocks_in_use, 2);
	assert_int_equal(s.bytes_in_use, 3 * 16 + 32 + 2 * 512);
	assert_int_equal(s.pages, 3);

	/* 513 bytes is past the pools: malloc'd, counted apart. */
	void *large = cy_pool_alloc(513);
	assert_non_null(large);
	memset(large, 0x5a, 513);
	assert_int_equal(cy_pool_block_size(513), 513);
	s = stats();
	assert_int_equal(s.large_blocks_in_use, 1);
	assert_int_equal(s.large_bytes_in_use, 513);
	assert_int_equal(s.blocks_in_use, 6);
	cy_pool_free(large, 513);

	for (unsigned i = 0; i < 6; i++)
		cy_pool_free(blocks[i], cases[i].request);
	s = stats();
	assert_int_equal(s.blocks_in_use, 0);
	assert_int_equal(s.large_blocks_in_use, 0);
	assert_pool_empty();
}

static void every_class_fills_pages_with_distinct_blocks(void **state)
{
	(void)state;
	assert_pool_empty();
	for (unsigned c = 0; c < CY_POOL_CLASSES; c++) {
		size_t size = cy_pool_class_size(c), per_page = blocks_per_page(size);
		size_t n = 2 * per_page + 1; /* three pages, the last with one block */
		void **blocks = malloc(n * sizeof *blocks);
		assert_non_null(blocks);
		for (size_t i = 0; i < n; i++) {
			/* Every size of the class, round robin, its last byte included. */
			size_t request = size - (i % CY_POOL_ALIGN);
			blocks[i] = cy_pool_alloc(request);
			assert_non_null(blocks[i]);
			memset(blocks[i], (int)(i & 0xff), request);
		}
		cy_pool_stats s = stats();
		assert_int_equal(s.classes[c].blocks_in_use, n);
		assert_int_equal(s.classes[c].bytes_in_use, n * size);
		assert_int_equal(s.classes[c].pages, 3);
		for (size_t i = 0; i < n; i++) {
			size_t request = size - (i % CY_POOL_ALIGN);
			for (size_t b = 0; b < request; b++)
				assert_int_equal(((unsigned char *)blocks[i])[b], i & 0xff);
		}
		void **sorted = malloc(n * sizeof *sorted);
		assert_non_null(sorted);
		memcpy(sorted, blocks, n * sizeof *sorted);
		qsort(sorted, n, sizeof *sorted, compare_pointers);
		for (size_t i = 1; i < n; i++)
			assert_true((uintptr_t)sorted[i] - (uintptr_t)sorted[i - 1] >= size);
		free(sorted);
		shuffle(blocks, n, cy_test_seed() + c);
		for (size_t i = 0; i < n; i++)
			cy_pool_free(blocks[i], size);
		free(blocks);
		s = stats();
		assert_int_equal(s.classes[c].blocks_in_use, 0);
		/* Emptied pages went back at once, except the class's current one. */
		assert_int_equal(s.classes[c].pages, 1);
	}
	assert_pool_empty();
}

static void one_object_in_a_loop_keeps_one_page(void **state)
{
	(void)state;
	assert_pool_empty();
	cy_pool_stats before = stats();
	for (int i = 0; i < 100000; i++) {
		void *p = cy_pool_alloc(32);
		assert_non_null(p);
		cy_pool_free(p, 32);
	}
	cy_pool_stats after = stats();
	assert_int_equal(after.classes[1].pages, 1);
	assert_int_equal(after.pages, 1);
	assert_true(after.arenas_mapped_total - before.arenas_mapped_total <= 1);
	assert_pool_empty();
}

/* ---- arenas ------------------------------------------------------------- */

#define ARENAS_WORTH 3

static void **fill_arenas(size_t size, size_t *count)
{
	size_t n = ARENAS_WORTH * CY_POOL_ARENA_USABLE_PAGES * blocks_per_page(size);
	void **blocks = malloc(n * sizeof *blocks);
	assert_non_null(blocks);
	for (size_t i = 0; i < n; i++) {
		blocks[i] = cy_pool_alloc(size);
		assert_non_null(blocks[i]);
	}
	*count = n;
	return blocks;
}

static void empty_arenas_are_unmapped_beyond_the_cache(void **state)
{
	(void)state;
	assert_pool_empty();
	cy_pool_collect(CY_POOL_RELEASE_ALL);
	unsigned old_cache = cy_pool_arena_cache(), old_decay = cy_pool_arena_decay_ms();
	cy_pool_set_arena_cache(1);
	cy_pool_set_arena_decay_ms(0);
	cy_pool_stats before = stats();
	assert_int_equal(before.arenas_mapped, 0);

	size_t n;
	void **blocks = fill_arenas(256, &n);
	cy_pool_stats full = stats();
	assert_int_equal(full.arenas_mapped, ARENAS_WORTH);
	assert_int_equal(full.pages, ARENAS_WORTH * CY_POOL_ARENA_USABLE_PAGES);
	assert_true(full.fragmentation >= 1.0);
	for (size_t i = 0; i < n; i++)
		cy_pool_free(blocks[i], 256);
	free(blocks);
	/* The class keeps its current page; every other page is back, every other arena unmapped or cached. */
	cy_pool_stats emptied = stats();
	assert_int_equal(emptied.pages, 1);
	assert_int_equal(emptied.arenas_mapped, 2); /* the current page's arena and one cached */
	assert_int_equal(emptied.arenas_cached, 1);
	assert_int_equal(emptied.arenas_returned - before.arenas_returned, ARENAS_WORTH - 2);

	cy_pool_collect(CY_POOL_COLLECT);
	cy_pool_stats collected = stats();
	assert_int_equal(collected.pages, 0);
	assert_int_equal(collected.arenas_mapped, 1);
	assert_int_equal(collected.arenas_cached, 1);

	cy_pool_collect(CY_POOL_RELEASE_ALL);
	cy_pool_stats released = stats();
	assert_int_equal(released.arenas_mapped, 0);
	assert_int_equal(released.bytes_mapped, 0);
	assert_int_equal(released.arenas_returned - before.arenas_returned, ARENAS_WORTH);
	cy_pool_set_arena_cache(old_cache);
	cy_pool_set_arena_decay_ms(old_decay);
	assert_pool_empty();
}

/*
 * With a decay, empty arenas beyond the cache stay mapped until they have
 * been empty that long: a decay no test outlives keeps them all, and a
 * decay of 0, or an explicit collect, returns them at once.
 */
static void empty_arenas_beyond_the_cache_wait_for_the_decay(void **state)
{
	(void)state;
	assert_pool_empty();
	cy_pool_collect(CY_POOL_RELEASE_ALL);
	unsigned old_cache = cy_pool_arena_cache(), old_decay = cy_pool_arena_decay_ms();
	cy_pool_set_arena_cache(1);
	cy_pool_set_arena_decay_ms(24u * 3600 * 1000);
	cy_pool_stats before = stats();

	size_t n;
	void **blocks = fill_arenas(256, &n);
	for (size_t i = 0; i < n; i++)
		cy_pool_free(blocks[i], 256);
	cy_pool_stats emptied = stats();
	assert_int_equal(emptied.pages, 1);
	assert_int_equal(emptied.arenas_mapped, ARENAS_WORTH); /* nothing returned: none has decayed */
	assert_int_equal(emptied.arenas_cached, ARENAS_WORTH - 1);
	assert_int_equal(emptied.arenas_returned, before.arenas_returned);

	/* Built again within the decay: the arenas are reused, none mapped afresh. */
	for (size_t i = 0; i < n; i++)
		blocks[i] = cy_pool_alloc(256);
	for (size_t i = 0; i < n; i++)
		cy_pool_free(blocks[i], 256);
	free(blocks);
	cy_pool_stats again = stats();
	assert_int_equal(again.arenas_mapped_total, emptied.arenas_mapped_total);
	assert_int_equal(again.arenas_returned, before.arenas_returned);

	/* A decay of 0 returns every empty arena beyond the cache at once. */
	cy_pool_set_arena_decay_ms(0);
	cy_pool_stats decayed = stats();
	assert_int_equal(decayed.arenas_mapped, 2); /* the current page's arena and one cached */
	assert_int_equal(decayed.arenas_returned - before.arenas_returned, ARENAS_WORTH - 2);

	cy_pool_collect(CY_POOL_RELEASE_ALL);
	cy_pool_set_arena_cache(old_cache);
	cy_pool_set_arena_decay_ms(old_decay);
	assert_pool_empty();
}

static void steady_state_neither_maps_nor_unmaps(void **state)
{
	(void)state;
	assert_pool_empty();
	unsigned old_cache = cy_pool_arena_cache();
	cy_pool_set_arena_cache(ARENAS_WORTH);
	size_t n;
	void **blocks = fill_arenas(128, &n);
	for (size_t i = 0; i < n; i++)
		cy_pool_free(blocks[i], 128);
	cy_pool_stats warm = stats();
	for (int wave = 0; wave < 4; wave++) {
		for (size_t i = 0; i < n; i++)
			blocks[i] = cy_pool_alloc(128);
		for (size_t i = 0; i < n; i++)
			cy_pool_free(blocks[i], 128);
	}
	cy_pool_stats after = stats();
	assert_int_equal(after.arenas_mapped_total, warm.arenas_mapped_total);
	assert_int_equal(after.arenas_returned, warm.arenas_returned);
	free(blocks);
	cy_pool_set_arena_cache(old_cache);
	assert_pool_empty();
}

static void release_all_decommits_free_pages_of_used_arenas(void **state)
{
	(void)state;
	assert_pool_empty();
	size_t n;
	void **blocks = fill_arenas(512, &n);
	size_t per_page = blocks_per_page(512);
	/* Keep one block in every other page: no arena empties, half the pages do. */
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		if ((i / per_page) % 2 == 0 && i % per_page == 0)
			blocks[kept++] = blocks[i];
		else
			cy_pool_free(blocks[i], 512);
	}
	cy_pool_stats before = stats();
	cy_pool_collect(CY_POOL_RELEASE_ALL);
	cy_pool_stats after = stats();
	assert_true(after.pages_decommitted - before.pages_decommitted >= (int64_t)(ARENAS_WORTH * CY_POOL_ARENA_USABLE_PAGES) / 2 - 1);
	assert_int_equal(after.blocks_in_use, kept);
	for (size_t i = 0; i < kept; i++)
		cy_pool_free(blocks[i], 512);
	free(blocks);
	assert_pool_empty();
}

/* ---- other threads -------------------------------------------------------- */

typedef struct handoff {
	void **blocks;
	size_t count, size;
} handoff;

static void free_all_remotely(unsigned index, void *arg)
{
	(void)index;
	handoff *h = arg;
	for (size_t i = 0; i < h->count; i++)
		cy_pool_free(h->blocks[i], h->size);
}

static void remote_frees_return_to_the_owner(void **state)
{
	(void)state;
	assert_pool_empty();
	handoff h = {.count = 3 * blocks_per_page(48), .size = 48};
	h.blocks = malloc(h.count * sizeof *h.blocks);
	assert_non_null(h.blocks);
	for (size_t i = 0; i < h.count; i++)
		h.blocks[i] = cy_pool_alloc(48);
	cy_pool_stats before = stats();
	assert_int_equal(before.classes[2].pages, 3);
	cy_test_run_threads(1, free_all_remotely, &h);
	cy_pool_stats after = stats();
	assert_int_equal(after.remote_frees - before.remote_frees, h.count);
	assert_int_equal(after.blocks_in_use, 0);
	/* The owner finds them again: allocating as many needs no new page. */
	for (size_t i = 0; i < h.count; i++)
		h.blocks[i] = cy_pool_alloc(48);
	assert_int_equal(stats().classes[2].pages, 3);
	for (size_t i = 0; i < h.count; i++)
		cy_pool_free(h.blocks[i], 48);
	free(h.blocks);
	assert_pool_empty();
}

static void free_one_remotely(unsigned index, void *arg)
{
	(void)index;
	cy_pool_free(arg, 80);
}

static void remote_free_wakes_a_full_page(void **state)
{
	(void)state;
	assert_pool_empty();
	size_t per_page = blocks_per_page(80), n = 2 * per_page;
	void **blocks = malloc((n + 1) * sizeof *blocks);
	assert_non_null(blocks);
	/* per_page + 1 allocations: the first page fills and moves to the full list. */
	for (size_t i = 0; i <= per_page; i++)
		blocks[i] = cy_pool_alloc(80);
	assert_ptr_not_equal(cy_pool_page_of(blocks[0]), cy_pool_page_of(blocks[per_page]));
	void *freed = blocks[7];
	cy_pool_stats before = stats();
	cy_test_run_threads(1, free_one_remotely, freed);
	/* Fill the second page; the next allocation takes the notified block, not a third page. */
	for (size_t i = per_page + 1; i < n; i++)
		blocks[i] = cy_pool_alloc(80);
	void *again = cy_pool_alloc(80);
	cy_pool_stats after = stats();
	assert_ptr_equal(again, freed);
	assert_int_equal(after.classes[4].pages, 2);
	assert_int_equal(after.notifications - before.notifications, 1);
	blocks[7] = again;
	for (size_t i = 0; i < n; i++)
		cy_pool_free(blocks[i], 80);
	free(blocks);
	assert_pool_empty();
}

typedef struct exiting {
	handoff h;
	int registered;
} exiting;

static void allocate_and_exit(unsigned index, void *arg)
{
	(void)index;
	exiting *e = arg;
	if (e->registered && cy_thread_register(CY_ROLE_MUTATOR) != CY_THREAD_OK)
		abort();
	for (size_t i = 0; i < e->h.count; i++)
		e->h.blocks[i] = cy_pool_alloc(e->h.size);
	if (e->registered)
		cy_thread_unregister(); /* abandons the heap; otherwise the key destructor does */
}

static void allocate_and_free_some(unsigned index, void *arg)
{
	(void)index;
	handoff *h = arg;
	for (size_t i = 0; i < h->count; i++)
		h->blocks[i] = cy_pool_alloc(h->size);
	for (size_t i = 0; i < h->count; i++)
		cy_pool_free(h->blocks[i], h->size);
}

static void thread_exit_leaves_pages_to_adopt(int registered)
{
	assert_pool_empty();
	size_t per_page = blocks_per_page(160);
	exiting e = {.h = {.count = 4 * per_page, .size = 160}, .registered = registered};
	e.h.blocks = malloc(e.h.count * sizeof *e.h.blocks);
	assert_non_null(e.h.blocks);
	cy_pool_stats before = stats();
	cy_test_run_threads(1, allocate_and_exit, &e);
	cy_pool_stats exited = stats();
	assert_int_equal(exited.heaps, before.heaps);
	assert_int_equal(exited.pages_abandoned, 4);
	assert_int_equal(exited.classes[9].blocks_in_use, e.h.count);

	/* Free every block of the first page and half of the second, from here. */
	for (size_t i = 0; i < per_page + per_page / 2; i++)
		cy_pool_free(e.h.blocks[i], 160);
	/* Another thread needing that class adopts a page with free blocks rather than carve one. */
	handoff other = {.count = per_page / 4, .size = 160};
	other.blocks = malloc(other.count * sizeof *other.blocks);
	assert_non_null(other.blocks);
	cy_test_run_threads(1, allocate_and_free_some, &other);
	cy_pool_stats adopted = stats();
	assert_true(adopted.pages_adopted > before.pages_adopted);
	assert_true(adopted.pages <= 4);
	free(other.blocks);

	for (size_t i = per_page + per_page / 2; i < e.h.count; i++)
		cy_pool_free(e.h.blocks[i], 160);
	free(e.h.blocks);
	cy_pool_stats s = stats();
	assert_int_equal(s.blocks_in_use, 0);
	assert_pool_empty();
}

static void thread_exit_with_blocks_in_use_elsewhere(void **state)
{
	(void)state;
	thread_exit_leaves_pages_to_adopt(0);
}

static void registered_thread_exit_with_blocks_in_use_elsewhere(void **state)
{
	(void)state;
	thread_exit_leaves_pages_to_adopt(1);
}

static void abandoned_pages_are_swept_once_freed(void **state)
{
	(void)state;
	assert_pool_empty();
	exiting e = {.h = {.count = 3 * blocks_per_page(272), .size = 272}};
	e.h.blocks = malloc(e.h.count * sizeof *e.h.blocks);
	assert_non_null(e.h.blocks);
	cy_test_run_threads(1, allocate_and_exit, &e);
	assert_int_equal(stats().pages_abandoned, 3);
	for (size_t i = 0; i < e.h.count; i++)
		cy_pool_free(e.h.blocks[i], 272);
	free(e.h.blocks);
	cy_pool_collect(CY_POOL_COLLECT);
	cy_pool_stats s = stats();
	assert_int_equal(s.pages_abandoned, 0);
	assert_int_equal(s.pages, 0);
	assert_pool_empty();
}

/* ---- deferred free ------------------------------------------------------ */

static void deferred_free_waits_for_a_grace_period(void **state)
{
	(void)state;
	assert_pool_empty();
	assert_int_equal(cy_alloc_select(CY_ALLOC_POOL), 0);
	enum { N = 300 }; /* one full batch of 256 goes to call_rcu at once, the rest at the barrier */
	void *blocks[N];
	for (int i = 0; i < N; i++)
		blocks[i] = cy_mem_alloc(64);
	cy_mem_deferred_stats d0;
	cy_mem_deferred_stats_get(&d0);
	for (int i = 0; i < N; i++)
		cy_mem_free_deferred(blocks[i], 64);
	cy_mem_deferred_stats d1;
	cy_mem_deferred_stats_get(&d1);
	assert_int_equal(d1.handed_over - d0.handed_over, 256);
	/* This thread is online and has not passed a quiescent state: nothing can be freed yet. */
	assert_int_equal(d1.freed, d0.freed);
	assert_int_equal(stats().classes[3].blocks_in_use, N);
	cy_mem_deferred_barrier();
	cy_mem_deferred_stats d2;
	cy_mem_deferred_stats_get(&d2);
	assert_int_equal(d2.handed_over - d0.handed_over, N);
	assert_int_equal(d2.freed - d0.freed, N);
	assert_int_equal(stats().blocks_in_use, 0);
	assert_int_equal(cy_alloc_select(CY_ALLOC_MALLOC), 0);
	assert_pool_empty();
}

/* ---- the backend switch, and objects ---------------------------------- */

static void backends_parse_and_allocate(void **state)
{
	(void)state;
	static const char *const names[] = {"malloc", "pool", "mimalloc", "jemalloc"};
	for (int k = 0; k < CY_ALLOC_KIND_COUNT; k++) {
		assert_int_equal(cy_alloc_parse(names[k]), k);
		assert_string_equal(cy_alloc_name((cy_alloc_kind)k), names[k]);
	}
	assert_int_equal(cy_alloc_parse("tcmalloc"), -1);
	assert_int_equal(cy_alloc_select((cy_alloc_kind)17), -1);
	assert_non_null(strstr(cy_alloc_error(), "unknown"));

	void *malloc_before = dlsym(RTLD_DEFAULT, "malloc");
	for (int k = 0; k < CY_ALLOC_KIND_COUNT; k++) {
		int available = k == CY_ALLOC_MALLOC || k == CY_ALLOC_POOL;
#ifdef CY_HAVE_MIMALLOC
		available |= k == CY_ALLOC_MIMALLOC;
#endif
#ifdef CY_HAVE_JEMALLOC
		available |= k == CY_ALLOC_JEMALLOC;
#endif
		int result = cy_alloc_select((cy_alloc_kind)k);
		if (!available) {
			assert_int_equal(result, -1);
			assert_non_null(strstr(cy_alloc_error(), "install the Debian package"));
			continue;
		}
		if (result != 0)
			fail_msg("%s", cy_alloc_error());
		assert_int_equal(cy_alloc_selected(), k);
		void *small = cy_mem_alloc(40), *large = cy_mem_alloc(5000);
		assert_non_null(small);
		assert_non_null(large);
		memset(small, 1, 40);
		memset(large, 2, 5000);
		cy_mem_free(small, 40);
		cy_mem_free(large, 5000);
		cy_mem_free(NULL, 8);
	}
	/* Loading mimalloc and jemalloc left the process's malloc as it was. */
	assert_ptr_equal(dlsym(RTLD_DEFAULT, "malloc"), malloc_before);
	void *p = malloc(100);
	free(p);
	assert_int_equal(cy_alloc_select(CY_ALLOC_MALLOC), 0);
	assert_pool_empty();
}

typedef struct leaf {
	cy_object base;
	int64_t payload[3];
} leaf;

static const cy_type leaf_type = {.name = "leaf", .basic_size = sizeof(leaf)};

static void objects_come_from_the_pool(void **state)
{
	(void)state;
	assert_pool_empty();
	assert_int_equal(cy_alloc_select(CY_ALLOC_POOL), 0);
	cy_object *o = cy_object_new(&leaf_type, 0);
	assert_non_null(o);
	cy_pool_stats s = stats();
	assert_int_equal(s.blocks_in_use, 1);
	assert_int_equal(s.classes[cy_pool_size_class(sizeof(leaf))].blocks_in_use, 1);
	assert_int_equal(cy_pool_page_of(o)->block_size, cy_pool_block_size(sizeof(leaf)));
	cy_decref_any(o);
	assert_int_equal(stats().blocks_in_use, 0);
	assert_int_equal(cy_alloc_select(CY_ALLOC_MALLOC), 0);
	assert_pool_empty();
}

static void statistics_print_a_summary_line(void **state)
{
	(void)state;
	assert_pool_empty();
	void *a = cy_pool_alloc(100), *b = cy_pool_alloc(100), *c = cy_pool_alloc(600);
	char *text = NULL;
	size_t length = 0;
	FILE *out = open_memstream(&text, &length);
	assert_non_null(out);
	cy_pool_stats s = stats();
	cy_pool_stats_print(out, &s);
	fclose(out);
	assert_non_null(strstr(text, "POOL blocks_in_use=2 bytes_in_use=224 pages=1 "));
	assert_non_null(strstr(text, " large_blocks_in_use=1 large_bytes_in_use=600 "));
	assert_non_null(strstr(text, "    6   112              2           224      1\n"));
	free(text);
	cy_pool_free(a, 100);
	cy_pool_free(b, 100);
	cy_pool_free(c, 600);
	assert_pool_empty();
}

/* ---- debug mode: each check aborts a forked child with its message ------ */

static void run_in_child(void (*body)(void), const char *expected, const char *expected_under_asan)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit no_core = {0, 0};
		setrlimit(RLIMIT_CORE, &no_core);
		dup2(fds[1], 2);
		close(fds[0]);
		/* A fresh heap, so that the pages made next are debug pages. */
		cy_pool_thread_done();
		cy_pool_set_debug(1);
		body();
		_exit(0);
	}
	close(fds[1]);
	char text[8192];
	size_t length = 0;
	ssize_t got;
	while ((got = read(fds[0], text + length, sizeof text - 1 - length)) > 0)
		length += (size_t)got;
	text[length] = '\0';
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
		fail_msg("child did not abort; it wrote: %s", text);
	const char *want = CY_POOL_ASAN && expected_under_asan ? expected_under_asan : expected;
	if (!strstr(text, want))
		fail_msg("expected '%s' in: %s", want, text);
}

static void double_free_body(void)
{
	void *p = cy_pool_alloc(48);
	cy_pool_free(p, 48);
	cy_pool_free(p, 48);
}

static void *free_48(void *p)
{
	cy_pool_free(p, 48);
	return NULL;
}

static void remote_double_free_body(void)
{
	void *p = cy_pool_alloc(48);
	cy_pool_free(p, 48);
	pthread_t other;
	if (pthread_create(&other, NULL, free_48, p) == 0)
		pthread_join(other, NULL);
}

static void write_after_free_body(void)
{
	unsigned char *p = cy_pool_alloc(64);
	cy_pool_free(p, 64);
	p[20] = 1;
	for (size_t i = 0; i <= blocks_per_page(64); i++)
		cy_pool_alloc(64);
}

static void wrong_size_body(void)
{
	void *p = cy_pool_alloc(100);
	cy_pool_free(p, 200);
}

static void debug_mode_catches_double_free(void **state)
{
	(void)state;
	run_in_child(double_free_body, "double free of", NULL);
	run_in_child(remote_double_free_body, "double free of", NULL);
}

static void debug_mode_catches_write_after_free(void **state)
{
	(void)state;
	run_in_child(write_after_free_body, "was written after it was freed: byte 20 is 0x01", "use-after-poison");
}

static void debug_mode_catches_wrong_size(void **state)
{
	(void)state;
	run_in_child(wrong_size_body, "with size 200, but it was allocated in the 112-byte class", NULL);
}

static void debug_pages_work_normally(void **state)
{
	(void)state;
	assert_pool_empty();
	cy_pool_thread_done();
	cy_pool_set_debug(1);
	void *blocks[1000];
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 1000; i++) {
			blocks[i] = cy_pool_alloc((size_t)(i % 300) + 1);
			assert_non_null(blocks[i]);
			memset(blocks[i], 0x11, (size_t)(i % 300) + 1);
		}
		for (int i = 0; i < 1000; i++)
			cy_pool_free(blocks[i], (size_t)(i % 300) + 1);
	}
	cy_pool_set_debug(0);
	assert_pool_empty();
}

int main(int argc, char **argv)
{
	(void)argc;
	/* jemalloc needs static TLS reserved at start-up; this re-executes once if it is not. */
	cy_sysalloc_reserve_static_tls(argv);
	/* The death tests fork, so they come first, before any other thread exists. */
	const struct CMUnitTest tests[] = {
		cy_test(debug_mode_catches_double_free),
		cy_test(debug_mode_catches_write_after_free),
		cy_test(debug_mode_catches_wrong_size),
		cy_test(boundaries_map_to_their_classes),
		cy_test(every_class_fills_pages_with_distinct_blocks),
		cy_test(one_object_in_a_loop_keeps_one_page),
		cy_test(empty_arenas_are_unmapped_beyond_the_cache),
		cy_test(empty_arenas_beyond_the_cache_wait_for_the_decay),
		cy_test(steady_state_neither_maps_nor_unmaps),
		cy_test(release_all_decommits_free_pages_of_used_arenas),
		cy_test(remote_frees_return_to_the_owner),
		cy_test(remote_free_wakes_a_full_page),
		cy_test(thread_exit_with_blocks_in_use_elsewhere),
		cy_test(registered_thread_exit_with_blocks_in_use_elsewhere),
		cy_test(abandoned_pages_are_swept_once_freed),
		cy_test(debug_pages_work_normally),
		cy_test(deferred_free_waits_for_a_grace_period),
		cy_test(backends_parse_and_allocate),
		cy_test(objects_come_from_the_pool),
		cy_test(statistics_print_a_summary_line),
	};
	return cy_run_tests("test_pool", tests, sizeof tests / sizeof tests[0], CY_RC_ATOMIC);
}
