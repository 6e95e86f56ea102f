/*
 * test_introspect.c: getrefcount, getsizeof, is_tracked, is_finalized,
 * get_referents, get_referrers and get_objects, with exact answers, in each
 * counting mode (compiled once per mode), and get_referrers while other
 * threads allocate and free containers that refer to the target.
 *
 * Automatic collection is off in every test, so objects stay in the
 * generation they were born in until a test collects.
 */
#include <pthread.h>
#include <stdio.h>

#include "collector/gc.h"
#include "runtime/atomics.h"
#include "runtime/introspect.h"
#include "runtime/types.h"
#include "runtime/variant.h"
#include "tests/box.h"
#include "tests/test_support.h"

enum { GC_HEAD = 24, INT_BYTES = 40, LIST_BYTES = 64, SLOTTED_HEADER = 48, POINTER = 8 };

static int setup(void **state)
{
	if (cy_test_setup(state) != 0)
		return -1;
	cy_gc_disable();
	cy_gc_collect(2);
	box_finalizer_record_reset();
	return 0;
}

static int teardown(void **state)
{
	cy_gc_collect(2);
	cy_gc_enable();
	return cy_test_teardown(state);
}

#define introspect_test(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* How many times o is in the array. */
static size_t occurrences(const cy_object_array *a, const cy_object *o)
{
	size_t n = 0;
	for (size_t i = 0; i < a->count; i++)
		n += a->items[i] == o;
	return n;
}

/* ---- getrefcount ------------------------------------------------------------------ */

static void refcount_counts_every_reference(void **state)
{
	(void)state;
	cy_object *i = cy_int_new(7);
	assert_int_equal(cy_getrefcount(i), 1);
	cy_object *list = cy_list_new();
	assert_int_equal(cy_list_append(list, i), 0);
	assert_int_equal(cy_list_append(list, i), 0);
	assert_int_equal(cy_getrefcount(i), 3);

	cy_refcount_parts parts;
	cy_getrefcount_parts(i, &parts);
	assert_int_equal(parts.total, 3);
	assert_false(parts.immortal);
	switch (CY_RC_MODE) {
	case CY_RC_NONATOMIC:
		assert_int_equal(parts.local, 3);
		assert_int_equal(parts.shared, 0);
		break;
	case CY_RC_ATOMIC:
		assert_int_equal(parts.local, 0);
		assert_int_equal(parts.shared, 3);
		break;
	case CY_RC_BIASED:
		/* The owner's references are all local. */
		assert_int_equal(parts.local, 3);
		assert_int_equal(parts.shared, 0);
		assert_int_equal(parts.owner, cy_tls_thread_id);
		assert_int_equal(parts.state, CY_SHARED_DEFAULT);
		break;
	}
	cy_decref(list);
	assert_int_equal(cy_getrefcount(i), 1);
	cy_decref(i);
}

static void immortal_objects_are_marked(void **state)
{
	(void)state;
	cy_object *i = cy_int_new(1);
	cy_object_immortalize(i);
	assert_true(cy_getrefcount(i) == CY_REFCOUNT_IMMORTAL);
	cy_incref(i);
	cy_decref(i);
	cy_refcount_parts parts;
	cy_getrefcount_parts(i, &parts);
	assert_true(parts.immortal);
	assert_true(parts.total == CY_REFCOUNT_IMMORTAL);
	/* Immortal objects are never freed: give the storage back by hand so the test leaves nothing. */
	cy_rc_init_one(i);
	cy_decref(i);
}

typedef struct foreign_refs {
	cy_object *target;
	int take; /* 1: take two references, 0: drop them */
} foreign_refs;

static void *foreign_thread(void *arg)
{
	foreign_refs *f = arg;
	if (cy_thread_register(CY_ROLE_MUTATOR) != CY_THREAD_OK)
		return NULL;
	for (int k = 0; k < 2; k++) {
		if (f->take)
			cy_incref(f->target);
		else
			cy_decref(f->target);
	}
	cy_thread_unregister();
	return NULL;
}

static void run_foreign(foreign_refs *f)
{
	pthread_t t;
	cy_blocking_begin();
	assert_int_equal(pthread_create(&t, NULL, foreign_thread, f), 0);
	pthread_join(t, NULL);
	cy_blocking_end();
}

/* Biased mode: references another thread holds are in the shared part, and the total is their sum. */
static void refcount_adds_local_and_shared_parts(void **state)
{
	(void)state;
	if (CY_RC_MODE == CY_RC_NONATOMIC)
		skip(); /* one mutator thread only */
	cy_object *i = cy_int_new(3);
	foreign_refs f = {.target = i, .take = 1};
	run_foreign(&f);
	cy_refcount_parts parts;
	cy_getrefcount_parts(i, &parts);
	assert_int_equal(parts.total, 3);
	assert_int_equal(cy_getrefcount(i), 3);
	if (CY_RC_MODE == CY_RC_BIASED) {
		assert_int_equal(parts.local, 1);
		assert_int_equal(parts.shared, 2);
	} else {
		assert_int_equal(parts.local, 0);
		assert_int_equal(parts.shared, 3);
	}
	f.take = 0;
	run_foreign(&f);
	assert_int_equal(cy_getrefcount(i), 1);
	cy_decref(i);
}

/* ---- getsizeof ---------------------------------------------------------------------- */

static void sizeof_with_and_without_the_gc_head(void **state)
{
	(void)state;
	cy_object *i = cy_int_new(1);
	assert_int_equal(cy_getsizeof(i, 1), INT_BYTES);
	assert_int_equal(cy_getsizeof(i, 0), INT_BYTES);

	cy_object *list = cy_list_new();
	assert_int_equal(cy_getsizeof(list, 1), GC_HEAD + LIST_BYTES);
	assert_int_equal(cy_getsizeof(list, 0), LIST_BYTES);
	assert_int_equal(cy_list_append(list, i), 0);
	/* The item array counts: whatever capacity the list chose, as cy_list_sizeof reports it. */
	size_t with_items = cy_list_sizeof(list);
	assert_true(with_items > GC_HEAD + LIST_BYTES);
	assert_int_equal((with_items - GC_HEAD - LIST_BYTES) % POINTER, 0);
	assert_int_equal(cy_getsizeof(list, 1), with_items);
	assert_int_equal(cy_getsizeof(list, 0), with_items - GC_HEAD);

	cy_object *slotted = cy_slotted_new(3);
	assert_int_equal(cy_getsizeof(slotted, 1), GC_HEAD + SLOTTED_HEADER + 3 * POINTER);
	assert_int_equal(cy_getsizeof(slotted, 0), SLOTTED_HEADER + 3 * POINTER);

	cy_object *instance = cy_instance_new();
	cy_object *dict = cy_instance_dict(instance);
	assert_int_equal(cy_getsizeof(instance, 1), cy_types_storage_size(instance) + cy_dict_sizeof(dict));
	assert_int_equal(cy_getsizeof(instance, 0), cy_getsizeof(instance, 1) - GC_HEAD);
	assert_int_equal(cy_getsizeof(dict, 1), cy_dict_sizeof(dict));
	cy_decref(dict);

	cy_decref(instance);
	cy_decref(slotted);
	cy_decref(list);
	cy_decref(i);
}

/* ---- is_tracked, is_finalized ------------------------------------------------------ */

static void only_containers_are_tracked(void **state)
{
	(void)state;
	cy_object *i = cy_int_new(1);
	cy_object *list = cy_list_new();
	assert_false(cy_is_tracked(i));
	assert_true(cy_is_tracked(list));
	cy_decref(list);
	cy_decref(i);
}

static void finalized_after_the_finalizer_ran(void **state)
{
	(void)state;
	box *b = box_new_of(&resurrecting_box_type, NULL, 0);
	assert_false(cy_is_finalized(&b->base));
	cy_decref(&b->base); /* the finalizer resurrects it */
	assert_int_equal(box_finalizer_record.finalized, 1);
	assert_ptr_equal(box_finalizer_record.resurrected, &b->base);
	assert_true(cy_is_finalized(&b->base));
	assert_int_equal(cy_getrefcount(&b->base), 1);
	cy_decref(&b->base); /* finalized already: freed now */
	assert_int_equal(box_finalizer_record.finalized, 1);
}

/* ---- get_referents ------------------------------------------------------------------ */

static void referents_in_traverse_order(void **state)
{
	(void)state;
	cy_object *a = cy_int_new(1), *b = cy_int_new(2);
	cy_object *list = cy_list_new();
	assert_int_equal(cy_list_append(list, a), 0);
	assert_int_equal(cy_list_append(list, b), 0);
	assert_int_equal(cy_list_append(list, a), 0);
	cy_object_array referents;
	assert_int_equal(cy_get_referents(list, &referents), 0);
	assert_int_equal(referents.count, 3);
	assert_ptr_equal(referents.items[0], a);
	assert_ptr_equal(referents.items[1], b);
	assert_ptr_equal(referents.items[2], a);
	/* The array holds a reference per entry. */
	assert_int_equal(cy_getrefcount(a), 1 + 2 + 2);
	assert_int_equal(cy_getrefcount(b), 1 + 1 + 1);
	cy_object_array_release(&referents);
	assert_int_equal(referents.count, 0);
	assert_int_equal(cy_getrefcount(a), 3);

	/* A leaf has none. */
	assert_int_equal(cy_get_referents(a, &referents), 0);
	assert_int_equal(referents.count, 0);
	cy_object_array_release(&referents);

	cy_decref(list);
	cy_decref(a);
	cy_decref(b);
}

/* ---- get_referrers ------------------------------------------------------------------ */

static void referrers_are_the_containers_that_hold_it(void **state)
{
	(void)state;
	cy_object *x = cy_int_new(42);
	cy_object *holder = cy_list_new(), *twice = cy_list_new(), *other = cy_list_new();
	cy_object *dict = cy_dict_new();
	assert_int_equal(cy_list_append(holder, x), 0);
	assert_int_equal(cy_list_append(twice, x), 0);
	assert_int_equal(cy_list_append(twice, x), 0);
	assert_int_equal(cy_list_append(other, holder), 0);
	assert_int_equal(cy_dict_set_int(dict, 5, x), 0);

	cy_object_array referrers;
	assert_int_equal(cy_get_referrers(x, &referrers), 0);
	assert_int_equal(referrers.count, 3);
	assert_int_equal(occurrences(&referrers, holder), 1);
	assert_int_equal(occurrences(&referrers, twice), 1); /* once, though it holds x twice */
	assert_int_equal(occurrences(&referrers, dict), 1);
	cy_object_array_release(&referrers);

	/* What holds a container; and survivors of a collection are found in the old generations. */
	assert_int_equal(cy_gc_collect(0), 0);
	assert_int_equal(cy_get_referrers(holder, &referrers), 0);
	assert_int_equal(referrers.count, 1);
	assert_ptr_equal(referrers.items[0], other);
	cy_object_array_release(&referrers);

	/* A self-reference makes an object its own referrer. */
	box *self = box_new(NULL);
	cy_incref(&self->base);
	self->item = &self->base;
	assert_int_equal(cy_get_referrers(&self->base, &referrers), 0);
	assert_int_equal(referrers.count, 1);
	assert_ptr_equal(referrers.items[0], &self->base);
	cy_object_array_release(&referrers);
	cy_decref(&self->base);
	assert_int_equal(cy_gc_collect(0), 1);

	cy_decref(other);
	cy_decref(dict);
	cy_decref(twice);
	cy_decref(holder);
	assert_int_equal(cy_get_referrers(x, &referrers), 0);
	assert_int_equal(referrers.count, 0);
	cy_object_array_release(&referrers);
	cy_decref(x);
}

/* ---- get_objects --------------------------------------------------------------------- */

static size_t objects_of(int gen, const cy_type *t)
{
	cy_object_array objects;
	assert_int_equal(cy_get_objects(gen, t, &objects), 0);
	size_t n = objects.count;
	for (size_t i = 0; i < n; i++)
		assert_true(!t || cy_type_of(objects.items[i]) == t);
	cy_object_array_release(&objects);
	return n;
}

static void objects_by_type_and_generation(void **state)
{
	(void)state;
	cy_object *lists[3], *dicts[2];
	for (int k = 0; k < 3; k++)
		lists[k] = cy_list_new();
	for (int k = 0; k < 2; k++)
		dicts[k] = cy_dict_new();
	cy_object *i = cy_int_new(9); /* not tracked: never listed */

	assert_int_equal(objects_of(0, &cy_list_type), 3);
	assert_int_equal(objects_of(0, &cy_dict_type), 2);
	assert_int_equal(objects_of(0, NULL), 5);
	assert_int_equal(objects_of(-1, NULL), 5);
	assert_int_equal(objects_of(1, NULL), 0);
	assert_int_equal(objects_of(0, &cy_int_type), 0);

	assert_int_equal(cy_gc_collect(0), 0); /* survivors move to generation 1 */
	assert_int_equal(objects_of(0, NULL), 0);
	assert_int_equal(objects_of(1, &cy_list_type), 3);
	assert_int_equal(objects_of(1, &cy_dict_type), 2);
	assert_int_equal(cy_gc_collect(1), 0); /* and then to 2 */
	assert_int_equal(objects_of(1, NULL), 0);
	assert_int_equal(objects_of(2, &cy_list_type), 3);
	assert_int_equal(objects_of(-1, &cy_dict_type), 2);

	cy_object_array objects;
	assert_int_equal(cy_get_objects(3, NULL, &objects), -1);
	assert_int_equal(objects.count, 0);
	assert_int_equal(cy_get_objects(-2, NULL, &objects), -1);

	for (int k = 0; k < 3; k++)
		cy_decref(lists[k]);
	for (int k = 0; k < 2; k++)
		cy_decref(dicts[k]);
	cy_decref(i);
	assert_int_equal(objects_of(-1, NULL), 0);
}

/* ---- while other threads run ----------------------------------------------------------- */

enum { CHURN_THREADS = 3, SEARCHES = 200 };

typedef struct churn {
	cy_object *target;
	int stop; /* atomic */
	int failures; /* atomic */
} churn;

/* Allocate lists holding the target and free them, until told to stop. */
static void *churn_thread(void *arg)
{
	churn *c = arg;
	if (cy_thread_register(CY_ROLE_MUTATOR) != CY_THREAD_OK) {
		cy_atomic_fetch_add_relaxed(&c->failures, 1);
		return NULL;
	}
	while (!cy_atomic_load_relaxed(&c->stop)) {
		cy_object *list = cy_list_new();
		if (!list || cy_list_append(list, c->target) != 0)
			cy_atomic_fetch_add_relaxed(&c->failures, 1);
		cy_safepoint();
		cy_xdecref(list);
	}
	cy_thread_unregister();
	return NULL;
}

/*
 * Every search finds the list this thread keeps, once, and nothing but
 * lists holding the target, each kept alive by the array until released.
 */
static void referrers_while_threads_churn(void **state)
{
	(void)state;
	if (CY_RC_MODE == CY_RC_NONATOMIC)
		skip(); /* one mutator thread only */
	churn c = {.target = cy_int_new(5)};
	cy_object *kept = cy_list_new();
	assert_int_equal(cy_list_append(kept, c.target), 0);
	pthread_t threads[CHURN_THREADS];
	for (int k = 0; k < CHURN_THREADS; k++)
		assert_int_equal(pthread_create(&threads[k], NULL, churn_thread, &c), 0);
	for (int n = 0; n < SEARCHES; n++) {
		cy_object_array referrers;
		assert_int_equal(cy_get_referrers(c.target, &referrers), 0);
		assert_int_equal(occurrences(&referrers, kept), 1);
		for (size_t i = 0; i < referrers.count; i++) {
			cy_object *r = referrers.items[i];
			assert_ptr_equal(cy_type_of(r), &cy_list_type);
			assert_int_equal(cy_list_len(r), 1);
			cy_object *item = cy_list_get(r, 0);
			assert_ptr_equal(item, c.target);
			cy_decref(item);
		}
		cy_object_array_release(&referrers);
		cy_safepoint();
	}
	cy_atomic_store_relaxed(&c.stop, 1);
	cy_blocking_begin();
	for (int k = 0; k < CHURN_THREADS; k++)
		pthread_join(threads[k], NULL);
	cy_blocking_end();
	assert_int_equal(c.failures, 0);
	cy_decref(kept);
	assert_int_equal(cy_getrefcount(c.target), 1);
	cy_decref(c.target);
	cy_safepoint();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		introspect_test(refcount_counts_every_reference),
		introspect_test(immortal_objects_are_marked),
		introspect_test(refcount_adds_local_and_shared_parts),
		introspect_test(sizeof_with_and_without_the_gc_head),
		introspect_test(only_containers_are_tracked),
		introspect_test(finalized_after_the_finalizer_ran),
		introspect_test(referents_in_traverse_order),
		introspect_test(referrers_are_the_containers_that_hold_it),
		introspect_test(objects_by_type_and_generation),
		introspect_test(referrers_while_threads_churn),
	};
	return cy_run_tests("introspect", tests, sizeof tests / sizeof tests[0], CY_RC_MODE);
}
