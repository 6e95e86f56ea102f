/*
 * test_gc_reentry.c: user code that calls back into the collector, and the
 * corner cases of weak references and uncollectable garbage, in every
 * collector mode. Compiled once per counting mode; each test runs under the
 * stop-the-world, incremental and concurrent collectors (not concurrent
 * with nonatomic counts, which it refuses).
 *
 * CPython lets __del__, weak reference callbacks and gc.callbacks call the
 * whole gc module: gc.collect() returns 0 while a collection runs, the rest
 * answers or acts at once. Each API function is called from a finalizer of
 * garbage, a finalizer run by reference counting, a weak reference callback
 * and a gc callback; the tests check that the call returns what gc.c's
 * "calls from inside a collection" promises and that the collection around
 * it still gives exact numbers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/gc.h"
#include "runtime/atomics.h"
#include "runtime/types.h"
#include "runtime/variant.h"
#include "runtime/weakref.h"
#include "tests/box.h"
#include "tests/gc_support.h"
#include "tests/test_support.h"

/* ---- every gc API function, called from user code --------------------------------- */

/* What the calls made from user code returned, checked by the tests. */
static struct {
	int calls;            /* times exercise_gc_api ran */
	int64_t collect[3];   /* cy_gc_collect(0..2) */
	int start;            /* cy_gc_start of the running mode */
	int incremental;      /* cy_gc_collect_incremental(2) */
	size_t objects;       /* cy_gc_get_objects(-1) */
	int64_t count_sum;    /* cy_gc_get_count, summed, >= 0 */
	int tracked;          /* cy_gc_is_tracked of the object the call came from */
	int enabled;          /* cy_gc_isenabled, as the test set it (disabled) */
	int threshold_kept;   /* set_threshold then get_threshold read back */
	int callback_added;   /* cy_gc_callback_add */
	size_t frozen;        /* cy_gc_get_freeze_count after freeze (then unfrozen) */
} api;

static void count_object(cy_object *o, void *arg)
{
	(void)o;
	(*(size_t *)arg)++;
}

static void idle_callback(int start, const cy_gc_collection_info *info, void *arg)
{
	(void)start;
	(void)info;
	(void)arg;
}

/* Call every function of the gc module once; self is the object whose user code calls (or NULL). */
static void exercise_gc_api(cy_object *self)
{
	api.calls++;
	for (int gen = 0; gen < CY_GC_GENERATIONS; gen++)
		api.collect[gen] = cy_gc_collect(gen);
	api.start = cy_gc_start(cy_gc_running_mode());
	api.incremental = cy_gc_collect_incremental(2);
	(void)cy_gc_incremental_slice();
	(void)cy_gc_incremental_running();
	size_t visited = 0;
	api.objects = cy_gc_get_objects(-1, count_object, &visited);
	assert_int_equal(api.objects, visited);
	int64_t counts[CY_GC_GENERATIONS];
	cy_gc_get_count(counts);
	api.count_sum = counts[0] + counts[1] + counts[2];
	api.tracked = self ? cy_gc_is_tracked(self) : -1;
	api.enabled = cy_gc_isenabled();
	cy_gc_disable();
	int64_t thresholds[CY_GC_GENERATIONS];
	cy_gc_get_threshold(thresholds);
	cy_gc_set_threshold(thresholds[0] + 1, -1, -1);
	int64_t changed[CY_GC_GENERATIONS];
	cy_gc_get_threshold(changed);
	api.threshold_kept = changed[0] == thresholds[0] + 1;
	cy_gc_set_threshold(thresholds[0], -1, -1);
	cy_gc_generation_stats stats[CY_GC_GENERATIONS];
	cy_gc_get_stats(stats);
	cy_gc_totals totals;
	cy_gc_get_totals(&totals);
	cy_gc_pause pauses[4];
	uint64_t next;
	(void)cy_gc_pauses(0, pauses, 4, &next);
	(void)cy_gc_garbage_count();
	(void)cy_gc_garbage_item(0);
	cy_gc_set_debug(cy_gc_get_debug());
	cy_gc_set_pause_budget_us(cy_gc_get_pause_budget_us());
	api.callback_added = cy_gc_callback_add(idle_callback, NULL);
	cy_gc_callback_remove(idle_callback, NULL);
	cy_gc_freeze();
	api.frozen = cy_gc_get_freeze_count();
	cy_gc_unfreeze();
	cy_gc_stop(); /* refused inside a collection: the mode stays */
}

/* Inside a collection, collect found nothing to do and start was refused. */
static void assert_called_from_inside(void)
{
	assert_true(api.calls > 0);
	for (int gen = 0; gen < CY_GC_GENERATIONS; gen++)
		assert_int_equal(api.collect[gen], 0);
	assert_int_equal(api.start, -1);
	assert_int_equal(api.incremental, -1);
	assert_true(api.count_sum >= 0);
	assert_int_equal(api.enabled, 0);
	assert_true(api.threshold_kept);
	assert_int_equal(api.callback_added, 0);
	assert_int_equal(cy_gc_get_freeze_count(), 0);
}

/* ---- test types ---------------------------------------------------------------------- */

static void finalize_calling_gc(cy_object *self)
{
	box_finalizer_record.finalized++;
	exercise_gc_api(self);
	/* Allocating and dropping inside the collection: a young cycle the collection does not see. */
	box *spare = box_new(NULL);
	link_to(spare, spare);
	cy_decref(&spare->base);
}

static const cy_type gc_calling_box_type = {
	.name = "gc-calling box",
	.basic_size = sizeof(box),
	.flags = CY_TYPE_CONTAINER,
	.traverse = box_traverse,
	.traverse_concurrent = box_traverse,
	.clear = box_clear,
	.finalize = finalize_calling_gc,
};


/* Two references: a pair can be in a cycle and point elsewhere too. */
typedef struct pair {
	cy_object base;
	cy_object *first, *second;
} pair;

static int pair_traverse(cy_object *self, cy_visit_fn visit, void *arg)
{
	pair *p = (pair *)self;
	cy_object *first = cy_atomic_load_acquire(&p->first);
	cy_object *second = cy_atomic_load_acquire(&p->second);
	if (first && visit(first, arg))
		return 1;
	return second ? visit(second, arg) : 0;
}

static void pair_clear(cy_object *self)
{
	pair *p = (pair *)self;
	cy_object *first = p->first, *second = p->second;
	cy_atomic_store_relaxed(&p->first, NULL);
	cy_atomic_store_relaxed(&p->second, NULL);
	cy_xdecref(first);
	cy_xdecref(second);
}

/* The weak reference a finalizer made to its pair's second object (see weakref_made_by_a_finalizer...). */
static cy_object *late_weakref;

static void pair_finalize(cy_object *self)
{
	box_finalizer_record.finalized++;
	pair *p = (pair *)self;
	if (p->second && !late_weakref) {
		late_weakref = cy_weakref_new(p->second, NULL, NULL);
		assert_non_null(late_weakref);
	}
}

static const cy_type pair_type = {
	.name = "pair",
	.basic_size = sizeof(pair),
	.flags = CY_TYPE_CONTAINER,
	.traverse = pair_traverse,
	.traverse_concurrent = pair_traverse,
	.clear = pair_clear,
};

static const cy_type finalizing_pair_type = {
	.name = "finalizing pair",
	.basic_size = sizeof(pair),
	.flags = CY_TYPE_CONTAINER,
	.traverse = pair_traverse,
	.traverse_concurrent = pair_traverse,
	.clear = pair_clear,
	.finalize = pair_finalize,
};

static pair *pair_new(const cy_type *t, cy_object *first, cy_object *second)
{
	pair *p = (pair *)cy_object_new(t, 0);
	assert_non_null(p);
	p->first = first;
	p->second = second;
	return p;
}

/* ---- set-up: one entry per test and collector mode ------------------------------------ */

static int setup_in(void **state, cy_gc_mode mode)
{
	if (cy_gc_start(mode) != 0) {
		fprintf(stderr, "cannot start the %s collector\n", cy_gc_mode_name(mode));
		return -1;
	}
	if (cy_test_setup(state) != 0)
		return -1;
	cy_gc_disable();
	cy_gc_set_threshold(700, 10, 10);
	cy_gc_set_debug(0);
	cy_gc_collect(2);
	cy_gc_reset_statistics();
	box_finalizer_record_reset();
	memset(&api, 0, sizeof api);
	late_weakref = NULL;
	return 0;
}

static int setup_stw(void **state) { return setup_in(state, CY_GC_MODE_STW); }
static int setup_incremental(void **state) { return setup_in(state, CY_GC_MODE_INCREMENTAL); }
static int setup_concurrent(void **state) { return setup_in(state, CY_GC_MODE_CONCURRENT); }

static int teardown(void **state)
{
	cy_gc_set_debug(0);
	cy_gc_garbage_clear();
	cy_gc_collect(2);
	cy_gc_enable();
	int result = cy_test_teardown(state);
	if (cy_gc_start(CY_GC_MODE_STW) != 0)
		return -1;
	return result;
}

/*
 * A whole collection of generations 0..2 the way the mode does it when asked:
 * explicitly in stw and concurrent mode (the latter on its thread), and for
 * incremental mode both explicitly and as slices of cy_gc_collect_incremental.
 */
static int64_t collect_all(void)
{
	return cy_gc_collect(2);
}

/* ---- the API from finalizers, weak reference callbacks and gc callbacks ----------------- */

static void api_from_a_finalizer_of_garbage(void **state)
{
	(void)state;
	box *a = box_new_of(&gc_calling_box_type, NULL, 1), *b = box_new_of(&box_type, NULL, 2);
	link_to(a, b);
	link_to(b, a);
	cy_decref(&a->base);
	cy_decref(&b->base);
	assert_int_equal(collect_all(), 2);
	assert_int_equal(box_finalizer_record.finalized, 1);
	assert_called_from_inside();
	assert_int_equal(api.tracked, 1);
	assert_int_equal(cy_gc_running_mode(), cy_gc_running_mode()); /* not stopped by the finalizer */
	/* The young cycle the finalizer made survived the collection it was made in, and goes now. */
	assert_int_equal(cy_objects_live(), 1);
	assert_int_equal(collect_all(), 1);
	assert_int_equal(cy_objects_live(), 0);
}

static void api_from_a_finalizer_run_by_reference_counting(void **state)
{
	(void)state;
	/* No collection runs: the calls act as they would anywhere. */
	box *a = box_new_of(&gc_calling_box_type, NULL, 1);
	cy_decref(&a->base);
	assert_int_equal(box_finalizer_record.finalized, 1);
	assert_int_equal(api.calls, 1);
	for (int gen = 0; gen < CY_GC_GENERATIONS; gen++)
		assert_true(api.collect[gen] >= 0);
	assert_int_equal(api.start, 0);
	/* What is left is the young cycle the finalizer made. */
	assert_int_equal(cy_objects_live(), 1);
	assert_int_equal(collect_all(), 1);
	assert_int_equal(cy_objects_live(), 0);
}

static int weakref_callbacks_run;

static void weakref_callback_calling_gc(cy_object *weakref, void *data)
{
	(void)data;
	weakref_callbacks_run++;
	exercise_gc_api(weakref);
}

static void api_from_a_weakref_callback_of_garbage(void **state)
{
	(void)state;
	weakref_callbacks_run = 0;
	box *a = box_new(NULL);
	link_to(a, a);
	cy_object *w = cy_weakref_new(&a->base, weakref_callback_calling_gc, NULL);
	assert_non_null(w);
	cy_decref(&a->base);
	assert_int_equal(collect_all(), 1);
	assert_int_equal(weakref_callbacks_run, 1);
	assert_called_from_inside();
	assert_null(cy_weakref_get(w));
	cy_decref(w);
	assert_int_equal(cy_objects_live(), 0);
}

static int gc_callbacks_calling;

static void gc_callback_calling_gc(int start, const cy_gc_collection_info *info, void *arg)
{
	(void)start;
	(void)info;
	(void)arg;
	if (gc_callbacks_calling)
		exercise_gc_api(NULL);
}

static void api_from_a_gc_callback(void **state)
{
	(void)state;
	box *a = box_new(NULL);
	link_to(a, a);
	cy_decref(&a->base);
	assert_int_equal(cy_gc_callback_add(gc_callback_calling_gc, NULL), 0);
	gc_callbacks_calling = 1;
	int64_t found = collect_all();
	gc_callbacks_calling = 0;
	cy_gc_callback_remove(gc_callback_calling_gc, NULL);
	assert_int_equal(found, 1);
	assert_true(api.calls >= 2); /* before and after */
	assert_called_from_inside();
	assert_int_equal(cy_objects_live(), 0);
}

/* ---- collections that run while reference counting tears objects down --------------------- */

/* A parent freed by reference counting releases a child whose finalizer collects everything. */
static void collect_while_a_parent_is_freed_by_reference_counting(void **state)
{
	(void)state;
	box *child = box_new_of(&gc_calling_box_type, NULL, 2);
	box *parent = box_new_of(&box_type, &child->base, 1);
	cy_decref(&parent->base);
	/* The collection the finalizer ran saw the parent (count zero) and must not have taken it as garbage. */
	assert_int_equal(box_finalizer_record.finalized, 1);
	for (int gen = 0; gen < CY_GC_GENERATIONS; gen++)
		assert_int_equal(api.collect[gen], 0);
	assert_int_equal(cy_objects_live(), 1); /* the finalizer's young cycle */
	assert_int_equal(collect_all(), 1);
	assert_int_equal(cy_objects_live(), 0);
}

static int collecting_callbacks_run;

static void weakref_callback_collecting(cy_object *weakref, void *data)
{
	(void)weakref;
	(void)data;
	collecting_callbacks_run++;
	assert_int_equal(cy_gc_collect(2), 0);
}

/* A referent freed by reference counting whose weak reference's callback collects everything. */
static void collect_from_the_callback_of_a_referent_being_freed(void **state)
{
	(void)state;
	collecting_callbacks_run = 0;
	box *referent = box_new(NULL);
	cy_object *w = cy_weakref_new(&referent->base, weakref_callback_collecting, NULL);
	cy_decref(&referent->base);
	assert_int_equal(collecting_callbacks_run, 1);
	assert_null(cy_weakref_get(w));
	cy_decref(w);
	assert_int_equal(cy_objects_live(), 0);
}

static int trashcan_finalized;

static void finalize_collecting_sometimes(cy_object *self)
{
	if (((box *)self)->payload % 97 == 0)
		assert_int_equal(cy_gc_collect(((box *)self)->payload % 3), 0);
	trashcan_finalized++;
}

static const cy_type trashcan_box_type = {
	.name = "trashcan box",
	.basic_size = sizeof(box),
	.flags = CY_TYPE_CONTAINER,
	.traverse = box_traverse,
	.traverse_concurrent = box_traverse,
	.clear = box_clear,
	.finalize = finalize_collecting_sometimes,
};

/* CPython's trashcan test: a deep chain freed by counting whose elements' finalizers collect now and then. */
static void deep_chain_with_collecting_finalizers_is_freed_once(void **state)
{
	(void)state;
	enum { DEPTH = 20000 };
	trashcan_finalized = 0;
	box *head = NULL;
	for (int i = 0; i < DEPTH; i++)
		head = box_new_of(&trashcan_box_type, head ? &head->base : NULL, i);
	cy_decref(&head->base);
	assert_int_equal(trashcan_finalized, DEPTH);
	assert_int_equal(cy_objects_live(), 0);
}

/* ---- weak references and the clear phase ------------------------------------------------------ */

static int weakref_callbacks_counted;

static void count_weakref_callback(cy_object *weakref, void *data)
{
	(void)weakref;
	(void)data;
	weakref_callbacks_counted++;
}

/*
 * Young garbage holds a weak reference (with a callback) to an old object
 * that only the garbage keeps alive: clearing the garbage frees the old
 * object, and the garbage weak reference must not call back. Here a young
 * self-cycle a owns holder, which holds the weak reference w and the old
 * object.
 */
static void garbage_weakref_is_detached_before_clearing(void **state)
{
	(void)state;
	weakref_callbacks_counted = 0;
	box *old = box_new_of(&box_type, NULL, 7);
	promote_to_old();
	/* Allocated in this order, so that clearing one by one reaches w last. */
	pair *a = pair_new(&pair_type, NULL, NULL);
	pair *holder = pair_new(&pair_type, &old->base, NULL); /* takes our reference to old */
	cy_object *w = cy_weakref_new(&old->base, count_weakref_callback, NULL);
	assert_non_null(w);
	holder->second = w; /* and to w */
	a->first = &a->base;
	cy_incref(&a->base);
	a->second = &holder->base; /* a owns holder */
	cy_decref(&a->base);
	assert_int_equal(cy_gc_collect(0), 3); /* a, holder and w are young garbage; old dies by clearing */
	assert_int_equal(weakref_callbacks_counted, 0);
	assert_int_equal(cy_objects_live(), 0);
}

/* What the getter's finalizer read through late_weakref. */
static cy_object *late_get;
static int getter_finalized;

static void finalize_getter(cy_object *self)
{
	(void)self;
	getter_finalized++;
	late_get = late_weakref ? cy_weakref_get(late_weakref) : NULL;
}

static const cy_type getter_box_type = {
	.name = "getter box",
	.basic_size = sizeof(box),
	.flags = CY_TYPE_CONTAINER,
	.traverse = box_traverse,
	.traverse_concurrent = box_traverse,
	.clear = box_clear,
	.finalize = finalize_getter,
};

/*
 * A finalizer of garbage makes a weak reference to another object of the
 * garbage (other); clearing the garbage then frees an old object (getter)
 * whose finalizer reads that weak reference. It must find it dead, not hand
 * out an object the collection is freeing (CPython gh-91636).
 */
static void weakref_made_by_a_finalizer_to_garbage_reads_dead(void **state)
{
	(void)state;
	late_get = NULL;
	getter_finalized = 0;
	box *getter = box_new_of(&getter_box_type, NULL, 9);
	promote_to_old();
	box *other = box_new_of(&box_type, &getter->base, 3); /* takes our reference to getter */
	pair *f = pair_new(&finalizing_pair_type, NULL, &other->base);
	f->first = &f->base;
	cy_incref(&f->base);
	cy_decref(&f->base);
	assert_int_equal(cy_gc_collect(0), 2); /* f and other; getter is old and dies by clearing */
	assert_int_equal(box_finalizer_record.finalized, 1);
	assert_int_equal(getter_finalized, 1);
	assert_null(late_get);
	assert_non_null(late_weakref);
	assert_null(cy_weakref_peek(late_weakref));
	assert_null(cy_weakref_get(late_weakref));
	cy_decref(late_weakref);
	assert_int_equal(cy_objects_live(), 0);
}

/* ---- uncollectable garbage ----------------------------------------------------------------------- */

/*
 * A finalizing object in a garbage cycle references a clear-less object:
 * the clear-less one (and what it reaches) goes to gc.garbage, the
 * finalizing one is collected, and the garbage list keeps its object alive.
 */
static void uncollectable_beside_a_finalizer_stays_in_gc_garbage(void **state)
{
	(void)state;
	box *stuck = box_new_of(&stuck_type, NULL, 5);
	pair *f = pair_new(&finalizing_pair_type, NULL, &stuck->base);
	f->first = &f->base;
	cy_incref(&f->base);
	cy_decref(&f->base);
	cy_gc_callback_add(keep_last_info, NULL);
	int64_t found = collect_all();
	cy_gc_callback_remove(keep_last_info, NULL);
	assert_int_equal(found, 2);
	assert_int_equal(last_info.uncollectable, 1);
	assert_int_equal(last_info.collected, 1);
	assert_int_equal(box_finalizer_record.finalized, 1);
	assert_int_equal(cy_gc_garbage_count(), 1);
	assert_ptr_equal(cy_gc_garbage_item(0), &stuck->base);
	assert_int_equal(cy_objects_live(), 2); /* stuck, and the weak reference the finalizer made to it */
	assert_int_equal(((box *)cy_gc_garbage_item(0))->payload, 5);
	cy_decref(late_weakref);
	cy_gc_garbage_clear();
	assert_int_equal(cy_objects_live(), 0);
}

/* ---- modes ---------------------------------------------------------------------------------------- */

/* cy_gc_collect_incremental(2) collects generations 0..2: a young self-loop too. */
static void incremental_collection_of_generation_2_takes_the_young_generation(void **state)
{
	(void)state;
	if (cy_gc_running_mode() != CY_GC_MODE_INCREMENTAL)
		return;
	box *a = box_new(NULL);
	link_to(a, a);
	cy_decref(&a->base);
	cy_gc_callback_add(keep_last_info, NULL);
	assert_int_equal(cy_gc_collect_incremental(2), 0);
	while (cy_gc_incremental_slice())
		;
	cy_gc_callback_remove(keep_last_info, NULL);
	assert_int_equal(last_info.collected, 1);
	assert_int_equal(cy_objects_live(), 0);
}

/* A live chain collected explicitly keeps every link. */
static void explicit_collection_of_a_live_chain_keeps_it(void **state)
{
	(void)state;
	enum { LENGTH = 20000 };
	box *head = NULL;
	for (int i = 0; i < LENGTH; i++)
		head = box_new_of(&box_type, head ? &head->base : NULL, i);
	assert_int_equal(cy_gc_collect(1), 0);
	assert_int_equal(cy_gc_collect(2), 0);
	assert_int_equal(cy_objects_live(), LENGTH);
	cy_decref(&head->base);
	assert_int_equal(cy_objects_live(), 0);
}

/* A long chain of finalizing objects, old, freed by counting: every finalizer once. */
static void long_old_chain_of_finalizers_freed_by_counting(void **state)
{
	(void)state;
	enum { LENGTH = 50000 };
	box *head = NULL;
	for (int i = 0; i < LENGTH; i++)
		head = box_new_of(&finalizing_box_type, head ? &head->base : NULL, i);
	promote_to_old();
	cy_decref(&head->base);
	assert_int_equal(box_finalizer_record.finalized, LENGTH);
	assert_int_equal(cy_objects_live(), 0);
}

/* ---- explicit collections from several threads ------------------------------------------ */

enum { COLLECTING_THREADS = 2, CYCLES_PER_THREAD = 500, ROUNDS = 20 };

typedef struct collecting_threads {
	int64_t found[COLLECTING_THREADS]; /* what each thread's collections returned, summed */
} collecting_threads;

static void drop_cycles_and_collect(unsigned index, void *arg)
{
	collecting_threads *c = arg;
	if (cy_thread_register(CY_ROLE_MUTATOR) != CY_THREAD_OK)
		abort();
	for (int round = 0; round < ROUNDS; round++) {
		for (int i = 0; i < CYCLES_PER_THREAD; i++) {
			box *b = box_new(NULL);
			link_to(b, b);
			cy_decref(&b->base);
		}
		c->found[index] += cy_gc_collect(2);
	}
	cy_thread_unregister();
}

/*
 * Threads dropping garbage and collecting at the same time: each object is
 * found by exactly one collection, so what the calls returned adds up to
 * what was dropped, however the collections interleave (in concurrent mode
 * several callers wait for the collector thread at once, and each must be
 * told its own collection's count).
 */
static void explicit_collections_from_threads_count_each_object_once(void **state)
{
	(void)state;
	if (CY_RC_MODE == CY_RC_NONATOMIC)
		return; /* one mutator only */
	collecting_threads c = {{0}};
	cy_test_run_threads(COLLECTING_THREADS, drop_cycles_and_collect, &c);
	int64_t total = cy_gc_collect(2);
	for (int i = 0; i < COLLECTING_THREADS; i++)
		total += c.found[i];
	assert_int_equal(total, (int64_t)COLLECTING_THREADS * CYCLES_PER_THREAD * ROUNDS);
	assert_int_equal(cy_objects_live(), 0);
}

/* ---- the table -------------------------------------------------------------------------------------- */

#define in_every_mode(fn) \
	{#fn " (stw)", fn, setup_stw, teardown, NULL}, {#fn " (incremental)", fn, setup_incremental, teardown, NULL}, \
	{#fn " (concurrent)", fn, setup_concurrent, teardown, NULL}

int main(void)
{
	if (cy_gc_start(CY_GC_MODE_STW) != 0) {
		fprintf(stderr, "cannot start the collector\n");
		return 1;
	}
	const struct CMUnitTest all[] = {
		in_every_mode(api_from_a_finalizer_of_garbage),
		in_every_mode(api_from_a_finalizer_run_by_reference_counting),
		in_every_mode(api_from_a_weakref_callback_of_garbage),
		in_every_mode(api_from_a_gc_callback),
		in_every_mode(collect_while_a_parent_is_freed_by_reference_counting),
		in_every_mode(collect_from_the_callback_of_a_referent_being_freed),
		in_every_mode(deep_chain_with_collecting_finalizers_is_freed_once),
		in_every_mode(garbage_weakref_is_detached_before_clearing),
		in_every_mode(weakref_made_by_a_finalizer_to_garbage_reads_dead),
		in_every_mode(uncollectable_beside_a_finalizer_stays_in_gc_garbage),
		in_every_mode(incremental_collection_of_generation_2_takes_the_young_generation),
		in_every_mode(explicit_collection_of_a_live_chain_keeps_it),
		in_every_mode(long_old_chain_of_finalizers_freed_by_counting),
		in_every_mode(explicit_collections_from_threads_count_each_object_once),
	};
	/* Nonatomic counting: the concurrent collector refuses it, so every third entry is left out. */
	struct CMUnitTest tests[sizeof all / sizeof all[0]];
	size_t n = 0;
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		if (CY_RC_MODE == CY_RC_NONATOMIC && i % 3 == 2)
			continue;
		tests[n++] = all[i];
	}
	return cy_run_tests("gc_reentry", tests, n, CY_RC_MODE);
}
