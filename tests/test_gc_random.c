/*
 * test_gc_random.c: seeded random object graphs mutated by several threads
 * while collections run, checked against a reachability oracle.
 *
 * Each worker keeps a few root slots and does random operations on lists
 * reachable from them and from a handful of shared lists: create, link,
 * unlink, publish to and take from the shared lists, drop, and now and then
 * an explicit collection of a random generation (automatic collections run
 * too, with low thresholds), with the stop-the-world collector, the
 * incremental one (slices of 20 us) and the concurrent one; and once more
 * with the concurrent one and a large old generation (the ballast) that
 * the workers change while the collector thread marks it. A collector
 * that freed something reachable
 * makes a mutator touch freed memory, which the sanitizer builds report, and
 * leaves the final count wrong.
 *
 * The oracle: after the workers stop and hand their roots to the test, and
 * a full collection has run, a breadth-first search from the roots counts
 * the objects that are reachable; exactly that many must be alive (nothing
 * reachable freed, every unreachable object freed). Then dropping the roots
 * and collecting once more must leave nothing alive.
 *
 * CYCLAB_TEST_SEED reproduces a failing run (the seed is printed).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "collector/gc.h"
#include "runtime/atomics.h"
#include "runtime/types.h"
#include "runtime/variant.h"
#include "tests/test_support.h"

enum {
	SHARED = 4,     /* shared lists, held by the test */
	ROOTS = 8,      /* root slots per worker */
	MAX_FANOUT = 4, /* links per list */
};

/* BALLAST: objects of the large old generation of the test that mutates while the collector marks. */
#ifdef __SANITIZE_THREAD__
enum { OPERATIONS = 6000, BALLAST = 20000 };
#elif defined(__SANITIZE_ADDRESS__)
enum { OPERATIONS = 10000, BALLAST = 50000 };
#else
enum { OPERATIONS = 40000, BALLAST = 200000 };
#endif

typedef struct world {
	cy_object *shared[SHARED];
	cy_object *ballast; /* a large old generation (or NULL): a list of live 2-cycles of lists */
	cy_object *roots[8][ROOTS]; /* handed over by each worker when it stops */
	uint64_t seed;
	unsigned workers;
	int explicit_every; /* operations between explicit collections */
	int incremental;    /* also start incremental collections and run their slices */
	int64_t operations; /* ATOMIC: done by all workers so far */
	int64_t operations_during_old_collections; /* ATOMIC: between the callbacks of collections of generations 1 and 2 */
	int64_t operations_at_start;
	/*
	 * Keep mutating past OPERATIONS (up to MAX_EXTRA_ROUNDS times as many)
	 * until some operations have run during an old collection: whether the
	 * first OPERATIONS overlap one is up to the scheduler.
	 */
	int until_overlap;
} world;

enum { MAX_EXTRA_ROUNDS = 20 };

static uint64_t next_random(uint64_t *state)
{
	/* splitmix64: small, seeded, good enough to pick operations. */
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A random object reachable from the worker: a root, a shared list, or an item of one. */
static cy_object *pick(world *w, cy_object **roots, uint64_t *rng)
{
	uint64_t r = next_random(rng);
	cy_object *o = (r & 1) ? roots[(r >> 1) % ROOTS] : w->shared[(r >> 1) % SHARED];
	if (!o)
		return NULL;
	cy_incref(o);
	for (int hops = (int)((r >> 8) % 3); hops > 0; hops--) {
		size_t n = cy_list_len(o);
		if (n == 0)
			break;
		cy_object *next = cy_list_get(o, (r >> 16) % n);
		if (!next)
			break;
		cy_decref(o);
		o = next;
	}
	return o;
}

static void mutate(world *w, cy_object **roots, uint64_t *rng)
{
	uint64_t r = next_random(rng);
	unsigned slot = (unsigned)(r >> 8) % ROOTS;
	switch (r % 8) {
	case 0: /* a new list in a root slot */
	case 1: {
		cy_object *l = cy_list_new();
		if (!l)
			abort();
		cy_setref(&roots[slot], l);
		break;
	}
	case 2: /* link two reachable objects (cycles happen) */
	case 3: {
		cy_object *from = pick(w, roots, rng), *to = pick(w, roots, rng);
		if (from && to && cy_list_len(from) < MAX_FANOUT)
			cy_list_append(from, to);
		cy_xdecref(from);
		cy_xdecref(to);
		break;
	}
	case 4: { /* unlink */
		cy_object *from = pick(w, roots, rng);
		if (from) {
			cy_object *gone = cy_list_pop(from);
			cy_xdecref(gone);
			cy_decref(from);
		}
		break;
	}
	case 5: { /* publish to a shared list */
		cy_object *o = pick(w, roots, rng);
		cy_object *s = w->shared[(r >> 16) % SHARED];
		if (o) {
			if (cy_list_len(s) < 64)
				cy_list_append(s, o);
			else
				cy_list_set(s, (r >> 24) % 64, o);
			cy_decref(o);
		}
		break;
	}
	case 6: /* take into a root slot, maybe from another thread */
		cy_setref(&roots[slot], pick(w, roots, rng));
		break;
	case 7: /* drop a root */
		cy_setref(&roots[slot], NULL);
		break;
	}
}

/* The calling thread is registered. */
static void work(unsigned index, world *w)
{
	uint64_t rng = w->seed * 0x100000001b3ULL + index;
	cy_object *roots[ROOTS] = {0};
	for (int op = 0;; op++) {
		if (op >= OPERATIONS &&
		    (!w->until_overlap || op >= OPERATIONS * (MAX_EXTRA_ROUNDS + 1) ||
		     cy_atomic_load_relaxed(&w->operations_during_old_collections) > 0))
			break;
		mutate(w, roots, &rng);
		/* Staggered: workers that all waited for the same collection would never run beside one. */
		if ((op + (int)index * 331) % w->explicit_every == 0)
			cy_gc_collect((int)(next_random(&rng) % CY_GC_GENERATIONS));
		if (w->incremental && op % 1499 == 0)
			cy_gc_collect_incremental(1 + (int)(next_random(&rng) % 2)); /* -1 if one runs: fine */
		else if (w->incremental && op % 97 == 0)
			cy_gc_incremental_slice();
		cy_safepoint();
		cy_atomic_fetch_add_relaxed(&w->operations, 1);
	}
	for (unsigned i = 0; i < ROOTS; i++)
		w->roots[index][i] = roots[i];
}

static void worker(unsigned index, void *arg)
{
	if (cy_thread_register(CY_ROLE_MUTATOR) != CY_THREAD_OK)
		abort();
	work(index, arg);
	cy_thread_unregister();
}

/* ---- the oracle ------------------------------------------------------------------ */

typedef struct seen_set {
	cy_object **items;
	size_t len, cap;
} seen_set;

static int seen_contains(const seen_set *s, const cy_object *o)
{
	/* Quadratic, but the graphs are a few thousand objects. */
	for (size_t i = 0; i < s->len; i++) {
		if (s->items[i] == o)
			return 1;
	}
	return 0;
}

static void seen_add(seen_set *s, cy_object *o)
{
	if (!o || seen_contains(s, o))
		return;
	if (s->len == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->items = realloc(s->items, s->cap * sizeof *s->items);
		if (!s->items)
			abort();
	}
	s->items[s->len++] = o;
}

static int collect_referent(cy_object *referent, void *arg)
{
	seen_add(arg, referent);
	return 0;
}

/* Objects reachable from the roots, counted by breadth-first search. */
static size_t reachable_count(world *w)
{
	seen_set s = {0};
	for (unsigned i = 0; i < SHARED; i++)
		seen_add(&s, w->shared[i]);
	seen_add(&s, w->ballast);
	for (unsigned t = 0; t < w->workers; t++)
		for (unsigned i = 0; i < ROOTS; i++)
			seen_add(&s, w->roots[t][i]);
	for (size_t i = 0; i < s.len; i++) {
		const cy_type *t = cy_type_of(s.items[i]);
		if (t->traverse)
			t->traverse(s.items[i], collect_referent, &s);
	}
	size_t n = s.len;
	free(s.items);
	return n;
}

/* Callbacks run on the collecting thread: how many operations the workers did while old generations were collected. */
static void note_old_collection(int start, const cy_gc_collection_info *info, void *arg)
{
	world *w = arg;
	if (info->generation == 0)
		return;
	int64_t now = cy_atomic_load_relaxed(&w->operations);
	if (start)
		w->operations_at_start = now;
	else
		cy_atomic_fetch_add_relaxed(&w->operations_during_old_collections, now - w->operations_at_start);
}

/*
 * The ballast: n lists in 2-cycles, held by one list, some of them also in
 * the shared lists so that the workers link to, unlink from and drop them
 * while collections mark them. Promoted to generation 2.
 */
static void make_ballast(world *w, size_t n)
{
	w->ballast = cy_list_new();
	assert_non_null(w->ballast);
	for (size_t i = 0; i + 1 < n; i += 2) {
		cy_object *a = cy_list_new(), *b = cy_list_new();
		assert_non_null(a);
		assert_non_null(b);
		assert_int_equal(cy_list_append(a, b), 0);
		assert_int_equal(cy_list_append(b, a), 0);
		assert_int_equal(cy_list_append(w->ballast, a), 0);
		if (i % 1024 == 0)
			assert_int_equal(cy_list_append(w->shared[(i / 1024) % SHARED], a), 0);
		cy_decref(a);
		cy_decref(b);
	}
	cy_gc_collect(1);
	cy_gc_collect(1);
}

static void run_random_graphs(unsigned workers, cy_gc_mode mode, size_t ballast)
{
	world *w = calloc(1, sizeof *w);
	assert_non_null(w);
	w->seed = cy_test_seed();
	w->workers = workers;
	/* Incremental collections need room to run slices between explicit (complete) ones. */
	w->explicit_every = mode == CY_GC_MODE_INCREMENTAL ? 9973 : 997;
	w->incremental = mode == CY_GC_MODE_INCREMENTAL;
	printf("seed %" PRIu64 " (set CYCLAB_TEST_SEED to reproduce), %u workers, %d operations each, %s collector, "
	       "ballast %zu\n",
		w->seed, workers, OPERATIONS, cy_gc_mode_name(mode), ballast);
	assert_int_equal(cy_gc_start(mode), 0);
	cy_gc_set_pause_budget_us(20);
	for (unsigned i = 0; i < SHARED; i++)
		w->shared[i] = cy_list_new();
	if (ballast)
		make_ballast(w, ballast);
	w->until_overlap = mode == CY_GC_MODE_CONCURRENT && ballast;
	cy_gc_reset_statistics();
	assert_int_equal(cy_gc_callback_add(note_old_collection, w), 0);
	cy_gc_set_threshold(200, 2, 2);
	cy_gc_enable();
	if (workers == 1)
		work(0, w); /* on the test's own thread: the nonatomic mode allows no other */
	else
		cy_test_run_threads(workers, worker, w);
	cy_gc_disable();
	cy_gc_callback_remove(note_old_collection, w);

	cy_gc_totals totals;
	cy_gc_get_totals(&totals);
	printf("%" PRIu64 " collections, %" PRIu64 " pauses, %" PRId64 " worker operations during old collections\n",
		totals.collections, totals.pauses, w->operations_during_old_collections);
	/* The workers ran while the collector thread marked the ballast. */
	if (mode == CY_GC_MODE_CONCURRENT && ballast)
		assert_true(w->operations_during_old_collections > 0);
	cy_gc_collect(2);
	assert_int_equal(cy_objects_live(), reachable_count(w));
	cy_xdecref(w->ballast);

	for (unsigned t = 0; t < workers; t++)
		for (unsigned i = 0; i < ROOTS; i++)
			cy_xdecref(w->roots[t][i]);
	for (unsigned i = 0; i < SHARED; i++)
		cy_decref(w->shared[i]);
	cy_gc_collect(2);
	assert_int_equal(cy_objects_live(), 0);
	cy_gc_set_threshold(700, 10, 10);
	cy_gc_set_pause_budget_us(200);
	assert_int_equal(cy_gc_start(CY_GC_MODE_STW), 0);
	free(w);
}

static void random_graphs_one_thread(void **state)
{
	(void)state;
	run_random_graphs(1, CY_GC_MODE_STW, 0);
}

static void random_graphs_three_threads(void **state)
{
	(void)state;
	if (CY_RC_MODE == CY_RC_NONATOMIC)
		skip(); /* one mutator only */
	run_random_graphs(3, CY_GC_MODE_STW, 0);
}

static void random_graphs_one_thread_incremental(void **state)
{
	(void)state;
	run_random_graphs(1, CY_GC_MODE_INCREMENTAL, 0);
}

static void random_graphs_three_threads_incremental(void **state)
{
	(void)state;
	if (CY_RC_MODE == CY_RC_NONATOMIC)
		skip(); /* one mutator only */
	run_random_graphs(3, CY_GC_MODE_INCREMENTAL, 0);
}

/* The concurrent collector's thread reads counts: not with nonatomic counting. */
static void random_graphs_one_thread_concurrent(void **state)
{
	(void)state;
	if (CY_RC_MODE == CY_RC_NONATOMIC)
		skip();
	run_random_graphs(1, CY_GC_MODE_CONCURRENT, 0);
}

static void random_graphs_three_threads_concurrent(void **state)
{
	(void)state;
	if (CY_RC_MODE == CY_RC_NONATOMIC)
		skip();
	run_random_graphs(3, CY_GC_MODE_CONCURRENT, 0);
}

/* A large old generation makes each full collection mark for a while, the workers changing it meanwhile. */
static void random_graphs_change_while_the_collector_marks(void **state)
{
	(void)state;
	if (CY_RC_MODE == CY_RC_NONATOMIC)
		skip();
	run_random_graphs(3, CY_GC_MODE_CONCURRENT, BALLAST);
}

int main(void)
{
	if (cy_gc_start(CY_GC_MODE_STW) != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cy_test(random_graphs_one_thread),
		cy_test(random_graphs_three_threads),
		cy_test(random_graphs_one_thread_incremental),
		cy_test(random_graphs_three_threads_incremental),
		cy_test(random_graphs_one_thread_concurrent),
		cy_test(random_graphs_three_threads_concurrent),
		cy_test(random_graphs_change_while_the_collector_marks),
	};
	return cy_run_tests("gc_random", tests, sizeof tests / sizeof tests[0], CY_RC_MODE);
}
