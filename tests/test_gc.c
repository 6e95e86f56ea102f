/*
 * test_gc.c: the collector's semantics, in the spirit of CPython's
 * Lib/test/test_gc.py: automatic collection off and a clean collection
 * before each test, then exact numbers. Compiled once per mode.
 */
#include <stdio.h>
#include <stdlib.h>

#include "collector/gc.h"
#include "runtime/types.h"
#include "runtime/variant.h"
#include "tests/box.h"
#include "tests/gc_support.h"
#include "tests/test_support.h"

/* ---- set-up ----------------------------------------------------------------------- */

static int gc_setup(void **state)
{
	if (cy_test_setup(state) != 0)
		return -1;
	cy_gc_disable();
	cy_gc_set_threshold(700, 10, 10);
	cy_gc_set_debug(0);
	cy_gc_collect(2);
	cy_gc_reset_statistics();
	box_finalizer_record_reset();
	return 0;
}

static int gc_teardown(void **state)
{
	cy_gc_set_debug(0);
	cy_gc_garbage_clear();
	cy_gc_collect(2);
	cy_gc_enable();
	return cy_test_teardown(state);
}

#define gc_test(fn) cmocka_unit_test_setup_teardown(fn, gc_setup, gc_teardown)

/*
 * The same tests with the concurrent collector: collections of generations
 * 1 and 2 run on its thread (marking, then verify slices) while the test
 * waits, and must give the same exact numbers. Not with nonatomic counts
 * (the collector thread reads them): main leaves these out then.
 */
static int gc_setup_concurrent(void **state)
{
	if (cy_gc_start(CY_GC_MODE_CONCURRENT) != 0) {
		fprintf(stderr, "cannot start the concurrent collector\n");
		return -1;
	}
	return gc_setup(state);
}

static int gc_teardown_concurrent(void **state)
{
	int result = gc_teardown(state);
	if (cy_gc_start(CY_GC_MODE_STW) != 0)
		return -1;
	return result;
}

#define gc_test_concurrent(fn) {#fn " (concurrent)", fn, gc_setup_concurrent, gc_teardown_concurrent, NULL}

/* ---- CPython's basic cases -------------------------------------------------------- */

static void self_referencing_list_collects_exactly_one(void **state)
{
	(void)state;
	cy_object *l = cy_list_new();
	assert_int_equal(cy_list_append(l, l), 0);
	cy_decref(l);
	assert_int_equal(cy_objects_live(), 1);
	assert_int_equal(cy_gc_collect(2), 1);
	assert_int_equal(cy_objects_live(), 0);
}

static void two_object_cycle_collects_exactly_two(void **state)
{
	(void)state;
	box *a = box_new_of(&box_type, NULL, 1), *b = box_new_of(&box_type, NULL, 2);
	link_to(a, b);
	link_to(b, a);
	cy_decref(&a->base);
	cy_decref(&b->base);
	assert_int_equal(cy_gc_collect(2), 2);
	assert_int_equal(cy_objects_live(), 0);
}

static void ring_with_an_outside_reference_survives_whole(void **state)
{
	(void)state;
	enum { RING = 10 };
	box *nodes[RING];
	for (int i = 0; i < RING; i++)
		nodes[i] = box_new_of(&box_type, NULL, i);
	for (int i = 0; i < RING; i++)
		link_to(nodes[i], nodes[(i + 1) % RING]);
	for (int i = 1; i < RING; i++)
		cy_decref(&nodes[i]->base);
	assert_int_equal(cy_gc_collect(2), 0);
	assert_int_equal(cy_objects_live(), RING);
	for (int i = 0; i < RING; i++)
		assert_int_equal(((box *)nodes[0])->payload, 0);
	cy_decref(&nodes[0]->base);
	assert_int_equal(cy_gc_collect(2), RING);
	assert_int_equal(cy_objects_live(), 0);
}

static void garbage_cycle_referencing_a_live_object(void **state)
{
	(void)state;
	cy_object *live = cy_list_new();
	assert_int_equal(cy_refcount(live), 1);
	/* a <-> b, and both point at live through lists of their own */
	cy_object *la = cy_list_new(), *lb = cy_list_new();
	assert_int_equal(cy_list_append(la, live), 0);
	assert_int_equal(cy_list_append(lb, live), 0);
	assert_int_equal(cy_list_append(la, lb), 0);
	assert_int_equal(cy_list_append(lb, la), 0);
	cy_decref(la);
	cy_decref(lb);
	assert_int_equal(cy_refcount(live), 3);
	assert_int_equal(cy_gc_collect(2), 2);
	/* Lowered by exactly the two edges from the garbage. */
	assert_int_equal(cy_refcount(live), 1);
	assert_int_equal(cy_objects_live(), 1);
	cy_decref(live);
}

/*
 * What only the garbage held dies with it: a leaf, and an older container
 * outside the generations collected, whose finalizer runs once and finds
 * its neighbour intact (the collector frees a batch only after every clear
 * of the batch has run).
 */
static void garbage_releases_what_only_it_held(void **state)
{
	(void)state;
	box_finalizer_record_reset();
	box *held = box_new_of(&finalizing_box_type, NULL, 0);
	box *neighbour = box_new_of(&box_type, NULL, 41);
	assert_int_equal(cy_gc_collect(0), 0); /* held and neighbour to generation 1 */
	held->item = &neighbour->base;
	cy_object *a = cy_list_new(), *b = cy_list_new();
	assert_int_equal(cy_list_append(a, b), 0);
	assert_int_equal(cy_list_append(b, a), 0);
	assert_int_equal(cy_list_append(a, &held->base), 0);
	cy_object *leaf = cy_int_new(5);
	assert_int_equal(cy_list_append(b, leaf), 0);
	cy_decref(leaf);
	cy_decref(&held->base);
	cy_decref(a);
	cy_decref(b);
	assert_int_equal(cy_objects_live(), 5);
	/* Only generation 0: held and neighbour are not in the set, yet die through their counts. */
	assert_int_equal(cy_gc_collect(0), 2);
	assert_int_equal(box_finalizer_record.finalized, 1);
	assert_int_equal(box_finalizer_record.neighbour_payload, 41);
	assert_int_equal(cy_objects_live(), 0);
}

/* ---- generations ----------------------------------------------------------------- */

typedef struct find {
	cy_object *target;
	int found;
} find;

static void find_object(cy_object *o, void *arg)
{
	find *f = arg;
	f->found += o == f->target;
}

static int in_generation(cy_object *o, int gen)
{
	find f = {o, 0};
	cy_gc_get_objects(gen, find_object, &f);
	return f.found;
}

static void counts_and_promotion_through_the_generations(void **state)
{
	(void)state;
	int64_t count[3];
	cy_gc_get_count(count);
	assert_int_equal(count[0], 0);
	cy_object *l = cy_list_new();
	box *b = box_new_of(&box_type, NULL, 0);
	cy_object *leaf = cy_int_new(7); /* not a container: never counted */
	cy_gc_get_count(count);
	assert_int_equal(count[0], 2);
	assert_true(in_generation(l, 0));
	assert_true(cy_gc_is_tracked(l));
	assert_false(cy_gc_is_tracked(leaf));

	assert_int_equal(cy_gc_collect(0), 0);
	cy_gc_get_count(count);
	assert_int_equal(count[0], 0);
	assert_int_equal(count[1], 1);
	assert_true(in_generation(l, 1));
	assert_false(in_generation(l, 0));

	assert_int_equal(cy_gc_collect(1), 0);
	cy_gc_get_count(count);
	assert_int_equal(count[1], 0);
	assert_int_equal(count[2], 1);
	assert_true(in_generation(l, 2));

	assert_int_equal(cy_gc_collect(2), 0);
	cy_gc_get_count(count);
	assert_int_equal(count[2], 0);
	assert_true(in_generation(&b->base, 2));
	cy_decref(l);
	cy_decref(&b->base);
	cy_decref(leaf);
	/* A freed object leaves its generation's count. */
	cy_object *young = cy_list_new();
	cy_gc_get_count(count);
	assert_int_equal(count[0], 1);
	cy_decref(young);
	cy_gc_get_count(count);
	assert_int_equal(count[0], 0);
}

static int collections_seen;
static int starts_seen;
static int order_ok;
static int64_t last_collected;

static void count_collections(int start, const cy_gc_collection_info *info, void *arg)
{
	(void)arg;
	if (start) {
		/* Every start is followed by its stop before the next start. */
		order_ok &= starts_seen == collections_seen;
		starts_seen++;
		return;
	}
	order_ok &= starts_seen == collections_seen + 1;
	collections_seen++;
	last_collected = info->collected;
	order_ok &= info->wall_ns >= info->pause_ns || info->pause_ns > 0;
}

static void crossing_the_threshold_collects_exactly_once(void **state)
{
	(void)state;
	collections_seen = starts_seen = 0;
	order_ok = 1;
	assert_int_equal(cy_gc_callback_add(count_collections, NULL), 0);
	cy_gc_set_threshold(100, 10, 10);
	cy_gc_enable();
	cy_object *keep = cy_list_new();
	/* The count is flushed every CY_GC_COUNT_BATCH allocations: 128 > 100 starts one. */
	for (int i = 0; i < 150; i++) {
		cy_object *l = cy_list_new();
		assert_int_equal(cy_list_append(keep, l), 0);
		cy_decref(l);
		cy_safepoint();
	}
	assert_int_equal(collections_seen, 1);
	cy_gc_generation_stats stats[3];
	cy_gc_get_stats(stats);
	assert_int_equal(stats[0].collections, 1);

	cy_gc_disable();
	for (int i = 0; i < 1000; i++) {
		cy_object *l = cy_list_new();
		assert_int_equal(cy_list_append(keep, l), 0);
		cy_decref(l);
		cy_safepoint();
	}
	assert_int_equal(collections_seen, 1);
	assert_true(order_ok);
	cy_gc_callback_remove(count_collections, NULL);
	cy_decref(keep);
}

static void a_threshold_changed_at_run_time_applies_at_the_next_count_check(void **state)
{
	(void)state;
	collections_seen = starts_seen = 0;
	order_ok = 1;
	assert_int_equal(cy_gc_callback_add(count_collections, NULL), 0);
	cy_gc_set_threshold(100000, 10, 10);
	cy_gc_enable();
	cy_object *keep = cy_list_new();
	for (int i = 0; i < CY_GC_COUNT_BATCH * 3; i++) {
		cy_object *l = cy_list_new();
		assert_int_equal(cy_list_append(keep, l), 0);
		cy_decref(l);
		cy_safepoint();
	}
	assert_int_equal(collections_seen, 0);
	/* Lowered below the current count: the next flush of the count starts a collection. */
	cy_gc_set_threshold(10, -1, -1);
	int64_t thresholds[3];
	cy_gc_get_threshold(thresholds);
	assert_int_equal(thresholds[0], 10);
	assert_int_equal(thresholds[1], 10);
	for (int i = 0; i < CY_GC_COUNT_BATCH; i++) {
		cy_object *l = cy_list_new();
		assert_int_equal(cy_list_append(keep, l), 0);
		cy_decref(l);
	}
	cy_safepoint();
	assert_int_equal(collections_seen, 1);
	cy_gc_disable();
	cy_gc_callback_remove(count_collections, NULL);
	cy_decref(keep);
}

static void stats_per_generation(void **state)
{
	(void)state;
	for (int gen = 0; gen < 3; gen++) {
		for (int cycles = 0; cycles <= gen; cycles++) {
			cy_object *l = cy_list_new();
			assert_int_equal(cy_list_append(l, l), 0);
			cy_decref(l);
		}
		assert_int_equal(cy_gc_collect(gen), gen + 1);
	}
	cy_gc_generation_stats stats[3];
	cy_gc_get_stats(stats);
	for (int gen = 0; gen < 3; gen++) {
		assert_int_equal(stats[gen].collections, 1);
		assert_int_equal(stats[gen].collected, gen + 1);
		assert_int_equal(stats[gen].uncollectable, 0);
	}
}

static void callbacks_run_in_order_with_the_results(void **state)
{
	(void)state;
	collections_seen = starts_seen = 0;
	order_ok = 1;
	assert_int_equal(cy_gc_callback_add(count_collections, NULL), 0);
	box *a = box_new_of(&box_type, NULL, 0), *b = box_new_of(&box_type, NULL, 0);
	link_to(a, b);
	link_to(b, a);
	cy_decref(&a->base);
	cy_decref(&b->base);
	/* Concurrent mode: with no pause budget nothing fits in one pause, so the old collection goes to the collector thread. */
	if (cy_gc_running_mode() == CY_GC_MODE_CONCURRENT)
		cy_gc_set_pause_budget_us(0);
	assert_int_equal(cy_gc_collect(1), 2);
	cy_gc_set_pause_budget_us(200);
	assert_int_equal(collections_seen, 1);
	assert_int_equal(last_collected, 2);
	assert_int_equal(cy_gc_collect(0), 0);
	assert_int_equal(collections_seen, 2);
	assert_int_equal(last_collected, 0);
	assert_true(order_ok);
	cy_gc_callback_remove(count_collections, NULL);
	cy_gc_totals totals;
	cy_gc_get_totals(&totals);
	assert_int_equal(totals.collections, 2);
	cy_gc_pause pauses[4];
	uint64_t next;
	if (cy_gc_running_mode() == CY_GC_MODE_CONCURRENT) {
		/* The old collection stops the world twice: its snapshot, and one verify slice for two objects. */
		assert_int_equal(totals.pauses, 3);
		assert_int_equal(cy_gc_pauses(0, pauses, 4, &next), 3);
		assert_int_equal(next, 3);
		assert_int_equal(pauses[0].kind, CY_GC_PAUSE_SNAPSHOT);
		assert_int_equal(pauses[1].kind, CY_GC_PAUSE_VERIFY);
		assert_int_equal(pauses[0].collection, pauses[1].collection);
		assert_int_equal(pauses[2].kind, CY_GC_PAUSE_COLLECTION);
		return;
	}
	assert_int_equal(totals.pauses, 2);
	assert_int_equal(cy_gc_pauses(0, pauses, 4, &next), 2);
	assert_int_equal(next, 2);
	assert_int_equal(pauses[0].kind, CY_GC_PAUSE_COLLECTION);
}

/* ---- finalizers, resurrection, weak references -------------------------------------- */

static void finalizers_run_once_and_see_intact_neighbours(void **state)
{
	(void)state;
	box *a = box_new_of(&finalizing_box_type, NULL, 11), *b = box_new_of(&finalizing_box_type, NULL, 22);
	link_to(a, b);
	link_to(b, a);
	cy_decref(&a->base);
	cy_decref(&b->base);
	assert_int_equal(cy_gc_collect(2), 2);
	assert_int_equal(box_finalizer_record.finalized, 2);
	/* Each finalizer saw its neighbour's field before anything was cleared. */
	assert_true(box_finalizer_record.neighbour_payload == 11 || box_finalizer_record.neighbour_payload == 22);
	assert_int_equal(cy_objects_live(), 0);
}

static void resurrected_objects_survive_with_what_they_reach(void **state)
{
	(void)state;
	box *a = box_new_of(&resurrecting_box_type, NULL, 1), *b = box_new_of(&box_type, NULL, 2);
	link_to(a, b);
	link_to(b, a);
	cy_decref(&a->base);
	cy_decref(&b->base);
	assert_int_equal(cy_gc_collect(2), 0);
	assert_int_equal(box_finalizer_record.finalized, 1);
	assert_ptr_equal(box_finalizer_record.resurrected, &a->base);
	assert_int_equal(cy_objects_live(), 2);
	assert_int_equal(((box *)a->item)->payload, 2); /* nothing was cleared */
	/* Dropped again: collected, and the finalizer does not run twice. */
	cy_decref(box_finalizer_record.resurrected);
	box_finalizer_record.resurrected = NULL;
	assert_int_equal(cy_gc_collect(2), 2);
	assert_int_equal(box_finalizer_record.finalized, 1);
	assert_int_equal(cy_objects_live(), 0);
}

static int weak_callbacks;
static int referent_gone_in_callback;

static void weak_noted(cy_object *weakref, void *data)
{
	(void)data;
	weak_callbacks++;
	referent_gone_in_callback = cy_weakref_get(weakref) == NULL;
}

static void weakref_callback_on_garbage_runs_once(void **state)
{
	(void)state;
	weak_callbacks = 0;
	box *a = box_new_of(&box_type, NULL, 0), *b = box_new_of(&box_type, NULL, 0);
	link_to(a, b);
	link_to(b, a);
	cy_object *w = cy_weakref_new(&a->base, weak_noted, NULL);
	cy_decref(&a->base);
	cy_decref(&b->base);
	assert_int_equal(cy_gc_collect(2), 2);
	assert_int_equal(weak_callbacks, 1);
	assert_true(referent_gone_in_callback);
	assert_null(cy_weakref_get(w));
	assert_int_equal(cy_gc_collect(2), 0);
	assert_int_equal(weak_callbacks, 1);
	cy_decref(w);
}

static void weakref_that_is_garbage_never_calls_back(void **state)
{
	(void)state;
	weak_callbacks = 0;
	/* The cycle a -> b -> l -> a, where l also holds w2, a weak reference to a. */
	box *a = box_new_of(&box_type, NULL, 0), *b = box_new_of(&box_type, NULL, 0);
	cy_object *l = cy_list_new();
	cy_object *w = cy_weakref_new(&a->base, weak_noted, NULL);  /* held by the test: calls back */
	cy_object *w2 = cy_weakref_new(&a->base, weak_noted, NULL); /* garbage: must not call back */
	assert_int_equal(cy_list_append(l, w2), 0);
	assert_int_equal(cy_list_append(l, &a->base), 0);
	link_to(a, b);
	cy_setref(&b->item, l);
	cy_decref(w2);
	cy_decref(&a->base);
	cy_decref(&b->base);
	assert_int_equal(cy_weakref_count(&a->base), 2);
	assert_int_equal(cy_gc_collect(2), 4);
	assert_int_equal(weak_callbacks, 1);
	assert_null(cy_weakref_get(w));
	cy_decref(w);
	assert_int_equal(cy_objects_live(), 0);
}

static void saveall_keeps_the_garbage(void **state)
{
	(void)state;
	cy_gc_set_debug(CY_GC_DEBUG_SAVEALL);
	box *a = box_new_of(&box_type, NULL, 0), *b = box_new_of(&box_type, NULL, 0);
	link_to(a, b);
	link_to(b, a);
	cy_decref(&a->base);
	cy_decref(&b->base);
	assert_int_equal(cy_gc_collect(2), 2);
	assert_int_equal(cy_gc_garbage_count(), 2);
	assert_int_equal(cy_objects_live(), 2);
	cy_gc_set_debug(0);
	cy_gc_garbage_clear();
	assert_int_equal(cy_gc_collect(2), 2);
	assert_int_equal(cy_objects_live(), 0);
}

static void a_cycle_without_clear_is_uncollectable(void **state)
{
	(void)state;
	box *a = box_new_of(&stuck_type, NULL, 0), *b = box_new_of(&stuck_type, NULL, 0);
	box *tail = box_new_of(&box_type, NULL, 0);
	link_to(a, b);
	link_to(b, a);
	cy_object *l = cy_list_new();
	assert_int_equal(cy_list_append(l, &tail->base), 0);
	cy_decref(&tail->base);
	(void)l;
	cy_decref(&a->base);
	cy_decref(&b->base);
	assert_int_equal(cy_gc_collect(2), 2);
	cy_gc_generation_stats stats[3];
	cy_gc_get_stats(stats);
	assert_int_equal(stats[2].uncollectable, 2);
	assert_int_equal(stats[2].collected, 0);
	assert_int_equal(cy_gc_garbage_count(), 2);
	/* Break the cycle by hand, as a Python program would with gc.garbage. */
	box *stuck = (box *)cy_gc_garbage_item(0);
	box_clear(&stuck->base);
	cy_gc_garbage_clear();
	cy_decref(l);
	assert_int_equal(cy_objects_live(), 0);
}

/* ---- no recursion --------------------------------------------------------------------- */

static void million_node_ring_collects_without_recursion(void **state)
{
	(void)state;
	enum { RING = 1000000 };
	box *first = box_new_of(&box_type, NULL, 0), *prev = first;
	for (int i = 1; i < RING; i++) {
		box *b = box_new_of(&box_type, NULL, i);
		prev->item = &b->base; /* prev takes b's reference */
		prev = b;
	}
	link_to(prev, first);
	cy_decref(&first->base);
	assert_int_equal(cy_objects_live(), RING);
	assert_int_equal(cy_gc_collect(2), RING);
	assert_int_equal(cy_objects_live(), 0);
}

static void million_deep_garbage_chain_collects_without_recursion(void **state)
{
	(void)state;
	enum { DEPTH = 1000000 };
	box *a = box_new_of(&box_type, NULL, 0), *b = box_new_of(&box_type, NULL, 0);
	link_to(a, b);
	cy_object *chain = NULL;
	for (int i = 0; i < DEPTH; i++)
		chain = &box_new_of(&box_type, chain, i)->base;
	/* b -> [a, chain]: the cycle a -> b -> list -> a holds a million-deep chain. */
	cy_object *l = cy_list_new();
	assert_int_equal(cy_list_append(l, &a->base), 0);
	assert_int_equal(cy_list_append(l, chain), 0);
	cy_decref(chain);
	cy_setref(&b->item, l);
	cy_decref(&a->base);
	cy_decref(&b->base);
	assert_int_equal(cy_gc_collect(2), DEPTH + 3);
	assert_int_equal(cy_objects_live(), 0);
}

static void frozen_objects_are_never_scanned(void **state)
{
	(void)state;
	box *a = box_new_of(&box_type, NULL, 0), *b = box_new_of(&box_type, NULL, 0);
	link_to(a, b);
	link_to(b, a);
	cy_decref(&a->base);
	cy_decref(&b->base);
	cy_gc_freeze();
	assert_int_equal(cy_gc_get_freeze_count(), 2);
	assert_int_equal(cy_gc_collect(2), 0);
	assert_int_equal(cy_objects_live(), 2);
	cy_gc_unfreeze();
	assert_int_equal(cy_gc_get_freeze_count(), 0);
	assert_int_equal(cy_gc_collect(2), 2);
	assert_int_equal(cy_objects_live(), 0);
}

/* ---- incremental mode --------------------------------------------------------------- */

/* A new list holding one box of each of n two-box cycles: dropping the list makes 2n objects of garbage. */
static cy_object *list_of_two_box_cycles(int n)
{
	cy_object *holder = cy_list_new();
	for (int i = 0; i < n; i++) {
		box *a = box_new(NULL), *b = box_new(NULL);
		link_to(a, b);
		link_to(b, a);
		assert_int_equal(cy_list_append(holder, &a->base), 0);
		cy_decref(&a->base);
		cy_decref(&b->base);
	}
	return holder;
}

static void incremental_collection_of_old_garbage_in_slices(void **state)
{
	(void)state;
	enum { CYCLES = 4000, RING = 100 };
	assert_int_equal(cy_gc_start(CY_GC_MODE_INCREMENTAL), 0);
	cy_gc_set_pause_budget_us(1); /* one slice every few hundred objects */
	assert_int_equal(cy_gc_callback_add(keep_last_info, NULL), 0);

	cy_object *holder = list_of_two_box_cycles(CYCLES);
	box *ring[RING];
	for (int i = 0; i < RING; i++)
		ring[i] = box_new(NULL);
	for (int i = 0; i < RING; i++)
		link_to(ring[i], ring[(i + 1) % RING]);
	cy_object *loner = cy_list_new(); /* held only by the test: freed between slices */
	promote_to_old();
	cy_decref(holder); /* the cycles are garbage in generation 2 now */
	assert_int_equal(cy_objects_live(), 2 * CYCLES + RING + 1);

	assert_int_equal(cy_gc_collect_incremental(2), 0);
	assert_true(cy_gc_incremental_running());
	int slices = 0;
	while (cy_gc_incremental_slice()) {
		slices++;
		if (slices == 2) {
			/* A mutator frees an object the collection owns: it goes to the dead stack. */
			cy_decref(loner);
			/* And makes new garbage, young, outside this collection. */
			box *a = box_new(NULL), *b = box_new(NULL);
			link_to(a, b);
			link_to(b, a);
			cy_decref(&a->base);
			cy_decref(&b->base);
		}
	}
	assert_true(slices > 2);
	assert_int_equal(last_info.generation, 2);
	assert_int_equal(last_info.collected, 2 * CYCLES);
	/* The ring (held by the test) and the young cycle survive; the loner is gone. */
	assert_int_equal(cy_objects_live(), RING + 2);
	cy_gc_pause pauses[8];
	uint64_t next;
	size_t n = cy_gc_pauses(0, pauses, 8, &next);
	assert_true(n >= 3);
	assert_int_equal(pauses[0].kind, CY_GC_PAUSE_COLLECTION); /* the collect(1) calls above */

	for (int i = 0; i < RING; i++)
		cy_decref(&ring[i]->base);
	assert_int_equal(cy_gc_collect(2), RING + 2);
	cy_gc_callback_remove(keep_last_info, NULL);
	cy_gc_set_pause_budget_us(200);
	assert_int_equal(cy_gc_start(CY_GC_MODE_STW), 0);
}

/*
 * A bag owns references in an array of its own, which its teardown frees
 * (leaving the pointer as it was): a collection that traversed a bag after
 * its death would read freed memory, which AddressSanitizer reports.
 */
typedef struct bag {
	cy_object base;
	size_t n;
	cy_object **items;
} bag;

static int bag_traverse(cy_object *self, cy_visit_fn visit, void *arg)
{
	bag *b = (bag *)self;
	for (size_t i = 0; i < b->n; i++) {
		int result = b->items[i] ? visit(b->items[i], arg) : 0;
		if (result)
			return result;
	}
	return 0;
}

static void bag_clear(cy_object *self)
{
	bag *b = (bag *)self;
	for (size_t i = 0; i < b->n; i++) {
		cy_object *item = b->items[i];
		b->items[i] = NULL;
		cy_xdecref(item);
	}
}

static void bag_dealloc(cy_object *self)
{
	bag_clear(self);
	free(((bag *)self)->items);
	cy_object_free(self);
}

static const cy_type bag_type = {
	.name = "bag",
	.basic_size = sizeof(bag),
	.flags = CY_TYPE_CONTAINER,
	.traverse = bag_traverse,
	.clear = bag_clear,
	.dealloc = bag_dealloc,
};

/* A bag holding one new box. */
static cy_object *bag_of_a_box(void)
{
	bag *b = (bag *)cy_object_new(&bag_type, 0);
	assert_non_null(b);
	b->items = calloc(1, sizeof *b->items);
	assert_non_null(b->items);
	b->items[0] = &box_new(NULL)->base;
	b->n = 1;
	return &b->base;
}

/*
 * Members freed by a mutator at every slice, whatever phase it reaches:
 * marking, grouping or verifying. Each is a bag holding a box, so its
 * teardown releases what it owned before the collection releases its
 * storage; the passes skip it meanwhile, and the collection's result is
 * exact.
 */
static void incremental_members_freed_at_every_slice(void **state)
{
	(void)state;
	enum { CYCLES = 3000, LONERS = 200 };
	assert_int_equal(cy_gc_start(CY_GC_MODE_INCREMENTAL), 0);
	cy_gc_set_pause_budget_us(1);
	assert_int_equal(cy_gc_callback_add(keep_last_info, NULL), 0);
	cy_object *holder = list_of_two_box_cycles(CYCLES);
	cy_object *loners[LONERS];
	for (int i = 0; i < LONERS; i++)
		loners[i] = bag_of_a_box();
	promote_to_old();
	cy_decref(holder);
	assert_int_equal(cy_objects_live(), 2 * CYCLES + 2 * LONERS);

	assert_int_equal(cy_gc_collect_incremental(2), 0);
	int freed = 0;
	while (cy_gc_incremental_slice()) {
		if (freed < LONERS)
			cy_decref(loners[freed++]);
	}
	assert_int_equal(last_info.collected, 2 * CYCLES);
	assert_int_equal(cy_objects_live(), 2 * (LONERS - freed));
	while (freed < LONERS)
		cy_decref(loners[freed++]);
	assert_int_equal(cy_objects_live(), 0);
	cy_gc_callback_remove(keep_last_info, NULL);
	cy_gc_set_pause_budget_us(200);
	assert_int_equal(cy_gc_start(CY_GC_MODE_STW), 0);
}

static void incremental_estimate_errors_are_caught_by_the_last_pause(void **state)
{
	(void)state;
	assert_int_equal(cy_gc_start(CY_GC_MODE_INCREMENTAL), 0);
	cy_gc_set_pause_budget_us(1);
	assert_int_equal(cy_gc_callback_add(keep_last_info, NULL), 0);
	/* A cycle that looks like garbage to the estimate but is taken by the test between slices. */
	enum { CYCLES = 3000 };
	cy_object *holder = cy_list_new();
	box *first = NULL;
	for (int i = 0; i < CYCLES; i++) {
		box *a = box_new(NULL), *b = box_new(NULL);
		link_to(a, b);
		link_to(b, a);
		assert_int_equal(cy_list_append(holder, &a->base), 0);
		if (i == CYCLES - 1)
			first = a; /* keep our reference: the test will hold it */
		else
			cy_decref(&a->base);
		cy_decref(&b->base);
	}
	cy_object *weak = cy_weakref_new(&first->base, NULL, NULL);
	cy_decref(&first->base); /* only the holder and the weak reference now */
	promote_to_old();
	cy_decref(holder);
	assert_int_equal(cy_gc_collect_incremental(2), 0);
	cy_object *revived = NULL;
	int slices = 0;
	while (cy_gc_incremental_slice()) {
		/* Late in the marking, take the object back through the weak reference. */
		if (++slices == 3)
			revived = cy_weakref_get(weak);
	}
	assert_non_null(revived);
	/* Everything but the revived cycle was garbage. */
	assert_int_equal(last_info.collected, 2 * (CYCLES - 1));
	assert_int_equal(cy_objects_live(), 3); /* the revived cycle and the weak reference */
	cy_decref(revived);
	assert_int_equal(cy_gc_collect(2), 2);
	cy_decref(weak);
	cy_gc_callback_remove(keep_last_info, NULL);
	cy_gc_set_pause_budget_us(200);
	assert_int_equal(cy_gc_start(CY_GC_MODE_STW), 0);
}

enum { CONCURRENT_TESTS = 19 }; /* the gc_test_concurrent entries, last in main's table */

int main(void)
{
	if (cy_gc_start(CY_GC_MODE_STW) != 0) {
		fprintf(stderr, "cannot start the collector\n");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		gc_test(self_referencing_list_collects_exactly_one),
		gc_test(two_object_cycle_collects_exactly_two),
		gc_test(ring_with_an_outside_reference_survives_whole),
		gc_test(garbage_cycle_referencing_a_live_object),
		gc_test(garbage_releases_what_only_it_held),
		gc_test(counts_and_promotion_through_the_generations),
		gc_test(crossing_the_threshold_collects_exactly_once),
		gc_test(a_threshold_changed_at_run_time_applies_at_the_next_count_check),
		gc_test(stats_per_generation),
		gc_test(callbacks_run_in_order_with_the_results),
		gc_test(finalizers_run_once_and_see_intact_neighbours),
		gc_test(resurrected_objects_survive_with_what_they_reach),
		gc_test(weakref_callback_on_garbage_runs_once),
		gc_test(weakref_that_is_garbage_never_calls_back),
		gc_test(saveall_keeps_the_garbage),
		gc_test(a_cycle_without_clear_is_uncollectable),
		gc_test(million_node_ring_collects_without_recursion),
		gc_test(million_deep_garbage_chain_collects_without_recursion),
		gc_test(frozen_objects_are_never_scanned),
		gc_test(incremental_collection_of_old_garbage_in_slices),
		gc_test(incremental_members_freed_at_every_slice),
		gc_test(incremental_estimate_errors_are_caught_by_the_last_pause),
		/* From here on, concurrent mode (not with nonatomic counts). */
		gc_test_concurrent(self_referencing_list_collects_exactly_one),
		gc_test_concurrent(two_object_cycle_collects_exactly_two),
		gc_test_concurrent(ring_with_an_outside_reference_survives_whole),
		gc_test_concurrent(garbage_cycle_referencing_a_live_object),
		gc_test_concurrent(garbage_releases_what_only_it_held),
		gc_test_concurrent(counts_and_promotion_through_the_generations),
		gc_test_concurrent(crossing_the_threshold_collects_exactly_once),
		gc_test_concurrent(a_threshold_changed_at_run_time_applies_at_the_next_count_check),
		gc_test_concurrent(stats_per_generation),
		gc_test_concurrent(callbacks_run_in_order_with_the_results),
		gc_test_concurrent(finalizers_run_once_and_see_intact_neighbours),
		gc_test_concurrent(resurrected_objects_survive_with_what_they_reach),
		gc_test_concurrent(weakref_callback_on_garbage_runs_once),
		gc_test_concurrent(weakref_that_is_garbage_never_calls_back),
		gc_test_concurrent(saveall_keeps_the_garbage),
		gc_test_concurrent(a_cycle_without_clear_is_uncollectable),
		gc_test_concurrent(million_node_ring_collects_without_recursion),
		gc_test_concurrent(million_deep_garbage_chain_collects_without_recursion),
		gc_test_concurrent(frozen_objects_are_never_scanned),
	};
	size_t n = sizeof tests / sizeof tests[0];
	if (CY_RC_MODE == CY_RC_NONATOMIC)
		n -= CONCURRENT_TESTS;
	return cy_run_tests("gc", tests, n, CY_RC_MODE);
}
