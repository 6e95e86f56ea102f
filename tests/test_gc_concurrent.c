/*
 * test_gc_concurrent.c: the concurrent collector while the test changes
 * the heap. test_gc.c runs the exact-count cases in concurrent mode too,
 * with the test waiting for each collection; here a second thread asks for
 * the collection and the test frees, allocates and revives objects while
 * the collector thread works on it, and the results must still be exact.
 * Compiled for the atomic and biased modes (the concurrent collector
 * refuses nonatomic counting).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "collector/gc.h"
#include "runtime/types.h"
#include "runtime/variant.h"
#include "tests/box.h"
#include "tests/gc_support.h"
#include "tests/test_support.h"

static int setup(void **state)
{
	if (cy_gc_start(CY_GC_MODE_CONCURRENT) != 0) {
		fprintf(stderr, "cannot start the concurrent collector\n");
		return -1;
	}
	if (cy_test_setup(state) != 0)
		return -1;
	cy_gc_disable();
	cy_gc_set_threshold(700, 10, 10);
	cy_gc_collect(2);
	cy_gc_reset_statistics();
	box_finalizer_record_reset();
	return 0;
}

static int teardown(void **state)
{
	cy_gc_collect(2);
	cy_gc_enable();
	cy_gc_set_pause_budget_us(200);
	int result = cy_test_teardown(state);
	return cy_gc_start(CY_GC_MODE_STW) == 0 ? result : -1;
}

/*
 * A collection of generation 2 asked for by a second thread, so that this
 * one can act while the collector thread marks (cy_gc_incremental_running
 * says a collection is in progress). The pause budget is 1 us: every
 * collection goes to the collector thread, in many slices.
 */
typedef struct background_collection {
	pthread_t thread;
	int64_t found;
} background_collection;

static void *collect_in_background(void *arg)
{
	background_collection *b = arg;
	if (cy_thread_register(CY_ROLE_MUTATOR) != CY_THREAD_OK)
		abort();
	b->found = cy_gc_collect(2);
	cy_thread_unregister();
	return NULL;
}

static void start_background_collection(background_collection *b)
{
	assert_int_equal(pthread_create(&b->thread, NULL, collect_in_background, b), 0);
	while (!cy_gc_incremental_running())
		cy_safepoint();
}

static void finish_background_collection(background_collection *b)
{
	cy_blocking_begin();
	pthread_join(b->thread, NULL);
	cy_blocking_end();
}

/* Garbage 2-cycles of boxes in generation 2, held by a list until the caller drops it; first: the last a, kept. */
static cy_object *old_garbage_cycles(int cycles, box **first)
{
	cy_object *holder = cy_list_new();
	for (int i = 0; i < cycles; i++) {
		box *a = box_new(NULL), *b = box_new(NULL);
		link_to(a, b);
		link_to(b, a);
		assert_int_equal(cy_list_append(holder, &a->base), 0);
		if (first && i == cycles - 1)
			*first = a;
		else
			cy_decref(&a->base);
		cy_decref(&b->base);
	}
	return holder;
}

/* Enough for the marking to outlast the test's few operations by far. */
#ifdef __SANITIZE_THREAD__
enum { BACKGROUND_CYCLES = 10000 };
#else
enum { BACKGROUND_CYCLES = 50000 };
#endif

static void concurrent_collection_while_the_test_frees_and_allocates(void **state)
{
	(void)state;
	cy_gc_set_pause_budget_us(1);
	assert_int_equal(cy_gc_callback_add(keep_last_info, NULL), 0);
	cy_object *holder = old_garbage_cycles(BACKGROUND_CYCLES, NULL);
	cy_object *loner = cy_list_new(); /* held only by the test: freed while the collection owns it */
	promote_to_old();
	cy_decref(holder);

	background_collection b;
	start_background_collection(&b);
	cy_decref(loner);
	/* New garbage, young, outside this collection; and a short-lived tuple freed at once. */
	box *x = box_new(NULL), *y = box_new(NULL);
	link_to(x, y);
	link_to(y, x);
	cy_decref(&x->base);
	cy_decref(&y->base);
	cy_object *seven = cy_int_new(7), *t = cy_tuple_new(1);
	assert_int_equal(cy_tuple_init_item(t, 0, seven), 0);
	cy_decref(seven);
	cy_decref(t);
	finish_background_collection(&b);

	assert_int_equal(b.found, 2 * BACKGROUND_CYCLES);
	assert_int_equal(last_info.generation, 2);
	assert_int_equal(last_info.collected, 2 * BACKGROUND_CYCLES);
	assert_int_equal(cy_objects_live(), 2); /* the young cycle */
	cy_gc_callback_remove(keep_last_info, NULL);
	cy_gc_set_pause_budget_us(200);
	assert_int_equal(cy_gc_collect(2), 2);
}

static void concurrent_estimate_errors_are_caught_by_verification(void **state)
{
	(void)state;
	cy_gc_set_pause_budget_us(1);
	assert_int_equal(cy_gc_callback_add(keep_last_info, NULL), 0);
	box *first = NULL;
	cy_object *holder = old_garbage_cycles(BACKGROUND_CYCLES, &first);
	cy_object *weak = cy_weakref_new(&first->base, NULL, NULL);
	cy_decref(&first->base); /* only the holder and the weak reference now */
	promote_to_old();
	cy_decref(holder);

	background_collection b;
	start_background_collection(&b);
	/* Take a cycle back while the collection runs: garbage to the estimate, alive when verified. */
	cy_object *revived = cy_weakref_get(weak);
	finish_background_collection(&b);

	printf("the cycle was %s\n", revived ? "revived while the collection ran" : "already freed");
	if (revived) {
		assert_int_equal(b.found, 2 * (BACKGROUND_CYCLES - 1));
		assert_int_equal(cy_objects_live(), 3); /* the revived cycle and the weak reference */
		cy_decref(revived);
		assert_int_equal(cy_gc_collect(2), 2);
	} else {
		/* The collection had already freed it (a slow machine): then everything was garbage. */
		assert_int_equal(b.found, 2 * BACKGROUND_CYCLES);
	}
	cy_decref(weak);
	assert_int_equal(cy_objects_live(), 0);
	cy_gc_callback_remove(keep_last_info, NULL);
	cy_gc_set_pause_budget_us(200);
}

/* A box whose type does not offer traverse_concurrent. */
static const cy_type serial_box_type = {
	.name = "box, traversed with the world stopped",
	.basic_size = sizeof(box),
	.flags = CY_TYPE_CONTAINER,
	.traverse = box_traverse,
	.clear = box_clear,
};

/*
 * Objects whose type has no traverse_concurrent are marked by the collector
 * thread in slices with the world stopped, and the same garbage is found.
 * The pause budget is 1 us, so that the collection does not fit in one
 * pause and goes to the thread.
 */
static void types_without_concurrent_traverse_are_marked_with_the_world_stopped(void **state)
{
	(void)state;
	enum { CYCLES = 100 };
	cy_gc_set_pause_budget_us(1);
	cy_object *holder = cy_list_new();
	for (int i = 0; i < CYCLES; i++) {
		box *a = box_new_of(&serial_box_type, NULL, i), *b = box_new_of(&finalizing_box_type, NULL, -i);
		link_to(a, b);
		link_to(b, a);
		assert_int_equal(cy_list_append(holder, &a->base), 0);
		cy_decref(&a->base);
		cy_decref(&b->base);
	}
	promote_to_old();
	cy_decref(holder);
	cy_gc_reset_statistics();
	assert_int_equal(cy_gc_collect(2), 2 * CYCLES);
	assert_int_equal(box_finalizer_record.finalized, CYCLES);
	assert_int_equal(cy_objects_live(), 0);
	cy_gc_pause pauses[64];
	uint64_t next;
	size_t n = cy_gc_pauses(0, pauses, 64, &next);
	int slices = 0;
	for (size_t i = 0; i < n; i++)
		slices += pauses[i].kind == CY_GC_PAUSE_SLICE;
	assert_int_equal(pauses[0].kind, CY_GC_PAUSE_SNAPSHOT);
	assert_true(slices >= 1);
}

/*
 * The caller of an explicit collection hands its own young list to
 * generation 1 before the collector thread takes it, with the world
 * running, while another thread frees objects of that list (remote frees:
 * pushed on the caller's remote list before the handing-in, unlinked from
 * generation 1 after). The collection still finds exactly the garbage, and
 * every object is freed once.
 */
typedef struct dropper {
	pthread_t thread;
	cy_object **held; /* references this thread drops, objects of the test thread's young list */
	int n;
	int go;           /* atomic: start dropping */
} dropper;

static void *drop_while_the_caller_hands_in(void *arg)
{
	dropper *d = arg;
	if (cy_thread_register(CY_ROLE_MUTATOR) != CY_THREAD_OK)
		abort();
	while (!cy_atomic_load_acquire(&d->go))
		cy_safepoint();
	for (int i = 0; i < d->n; i++) {
		cy_decref(d->held[i]);
		if (i % 64 == 0)
			cy_safepoint();
	}
	cy_thread_unregister();
	return NULL;
}

#ifdef __SANITIZE_THREAD__
enum { HANDED_IN_CYCLES = 5000, DROPPED = 5000 };
#else
enum { HANDED_IN_CYCLES = 30000, DROPPED = 30000 };
#endif

static void explicit_collection_hands_in_the_young_list_while_another_thread_frees_from_it(void **state)
{
	(void)state;
	cy_gc_set_pause_budget_us(1); /* nothing fits in one pause: the collection goes to the collector thread */
	dropper d = {.held = malloc(DROPPED * sizeof(cy_object *)), .n = DROPPED};
	assert_non_null(d.held);
	/* Interleaved in the young list: garbage cycles and objects only the other thread holds. */
	for (int i = 0; i < HANDED_IN_CYCLES || i < DROPPED; i++) {
		if (i < HANDED_IN_CYCLES) {
			box *a = box_new(NULL), *b = box_new(NULL);
			link_to(a, b);
			link_to(b, a);
			cy_decref(&a->base);
			cy_decref(&b->base);
		}
		if (i < DROPPED)
			d.held[i] = &box_new(NULL)->base;
	}
	assert_int_equal(pthread_create(&d.thread, NULL, drop_while_the_caller_hands_in, &d), 0);
	cy_atomic_store_release(&d.go, 1);
	assert_int_equal(cy_gc_collect(2), 2 * HANDED_IN_CYCLES);
	cy_blocking_begin();
	pthread_join(d.thread, NULL);
	cy_blocking_end();
	free(d.held);
	cy_safepoint(); /* remote frees pushed after the handing-in are done */
	assert_int_equal(cy_objects_live(), 0);
	assert_int_equal(cy_gc_collect(2), 0);
	cy_gc_set_pause_budget_us(200);
}

/*
 * Mutators assist: while the collector thread verifies a collection and the
 * young collections' promotions catch up with it, a mutator's safepoint
 * runs verify slices itself. Here the test thread allocates and promotes
 * (automatic collection on, a small young threshold) while a second thread
 * waits for a collection of old garbage in slices of 1 us; whichever
 * thread runs the slices, the collection finds exactly the garbage it took.
 */
static void mutators_that_outpace_the_collection_assist_it(void **state)
{
	(void)state;
	cy_gc_set_pause_budget_us(1);
	cy_gc_set_threshold(100, 10, 10);
	assert_int_equal(cy_gc_callback_add(keep_last_info, NULL), 0);
	cy_object *holder = old_garbage_cycles(BACKGROUND_CYCLES, NULL);
	promote_to_old();
	cy_decref(holder);
	background_collection b;
	start_background_collection(&b);
	cy_gc_enable();
	/*
	 * Live young objects, promoted by the young collections, then dropped a
	 * list at a time (promotions are counted, frees are not): the memory
	 * stays small while the promotions outgrow the collection.
	 */
	while (cy_gc_incremental_running()) {
		cy_object *kept = cy_list_new();
		for (int i = 0; i < 1000; i++) {
			box *x = box_new(NULL);
			assert_int_equal(cy_list_append(kept, &x->base), 0);
			cy_decref(&x->base);
			if (i % 100 == 0)
				cy_safepoint(); /* where young collections, and assists, run */
		}
		cy_decref(kept);
	}
	finish_background_collection(&b);
	cy_gc_disable();
	assert_int_equal(b.found, 2 * BACKGROUND_CYCLES);
	cy_gc_callback_remove(keep_last_info, NULL);
	cy_gc_set_threshold(700, 10, 10);
	cy_gc_set_pause_budget_us(200);
	cy_gc_collect(2);
	assert_int_equal(cy_objects_live(), 0);
}

enum { BACKLOG_CYCLES = 20000 };

/*
 * A young generation many times its threshold, built while automatic
 * collection was disabled, is not collected by one young stop-the-world
 * collection when automatic collection resumes: its owner hands it to
 * generation 1 and the collector thread collects that. However the threads
 * are scheduled, the garbage is found by a collection of generation 1, and
 * the young collections meanwhile (of live objects allocated to reach
 * safepoints) find nothing.
 */
static void a_young_backlog_goes_to_the_collector_thread(void **state)
{
	(void)state;
	cy_gc_generation_stats before[CY_GC_GENERATIONS], after[CY_GC_GENERATIONS];
	cy_gc_get_stats(before);
	for (int i = 0; i < BACKLOG_CYCLES; i++) {
		box *a = box_new(NULL), *b = box_new(NULL);
		link_to(a, b);
		link_to(b, a);
		cy_decref(&a->base);
		cy_decref(&b->base);
	}
	cy_gc_enable();
	/* Live objects, counted in generation 0 until their young collection: what makes collections due. */
	size_t held_count = 0, held_size = 1024;
	cy_object **held = malloc(held_size * sizeof *held);
	assert_non_null(held);
	do {
		if (held_count == held_size) {
			held_size *= 2;
			held = realloc(held, held_size * sizeof *held);
			assert_non_null(held);
		}
		held[held_count++] = &box_new(NULL)->base;
		cy_safepoint();
		cy_gc_get_stats(after);
	} while (after[1].collections == before[1].collections || cy_gc_incremental_running());
	cy_gc_disable();
	for (size_t i = 0; i < held_count; i++)
		cy_decref(held[i]);
	free(held);
	assert_int_equal(after[0].collected, before[0].collected);
	assert_int_equal(after[1].collected - before[1].collected, 2 * BACKLOG_CYCLES);
	assert_int_equal(after[2].collections, before[2].collections);
	assert_int_equal(cy_objects_live(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(concurrent_collection_while_the_test_frees_and_allocates, setup, teardown),
		cmocka_unit_test_setup_teardown(concurrent_estimate_errors_are_caught_by_verification, setup, teardown),
		cmocka_unit_test_setup_teardown(types_without_concurrent_traverse_are_marked_with_the_world_stopped, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			explicit_collection_hands_in_the_young_list_while_another_thread_frees_from_it, setup, teardown),
		cmocka_unit_test_setup_teardown(mutators_that_outpace_the_collection_assist_it, setup, teardown),
		cmocka_unit_test_setup_teardown(a_young_backlog_goes_to_the_collector_thread, setup, teardown),
	};
	return cy_run_tests("gc_concurrent", tests, sizeof tests / sizeof tests[0], CY_RC_MODE);
}
