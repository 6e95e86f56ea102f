/*
 * test_refcount.c: reference counting in each mode, single-threaded.
 * Compiled once per mode (variant.h); each copy tests its own mode.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "runtime/runtime.h"
#include "runtime/gc_track.h"
#include "runtime/variant.h"
#include "tests/box.h"
#include "tests/test_support.h"

static void new_object_has_count_one(void **state)
{
	(void)state;
	cy_object *o = &box_new(NULL)->base;
	assert_int_equal(cy_refcount(o), 1);
	assert_int_equal(cy_objects_live(), 1);
	/* A container carries its GC head in front of the header. */
	assert_int_equal(cy_bytes_live(), sizeof(cy_gc_head) + sizeof(box));
	cy_incref(o);
	cy_incref(o);
	assert_int_equal(cy_refcount(o), 3);
	cy_decref(o);
	cy_decref(o);
	assert_int_equal(cy_refcount(o), 1);
	cy_decref(o);
	assert_int_equal(cy_objects_live(), 0);
	assert_int_equal(cy_bytes_live(), 0);
}

static void release_frees_what_it_owned(void **state)
{
	(void)state;
	box *inner = box_new(NULL);
	box *outer = box_new(&inner->base);
	assert_int_equal(cy_objects_live(), 2);
	cy_decref(&outer->base);
	assert_int_equal(cy_objects_live(), 0);
}

static void immortal_objects_never_change(void **state)
{
	(void)state;
	cy_object *o = &box_new(NULL)->base;
	cy_object_immortalize(o);
	for (int i = 0; i < 1000; i++)
		cy_decref(o);
	for (int i = 0; i < 10; i++)
		cy_incref(o);
	assert_true(cy_object_is_immortal(o));
	assert_int_equal(cy_objects_live(), 1);
	/* Immortal storage outlives counting; the test releases it by hand. */
	cy_object_free(o);
	assert_int_equal(cy_objects_live(), 0);
}

static void local_count_saturates_instead_of_wrapping(void **state)
{
	(void)state;
	if (CY_RC_MODE == CY_RC_ATOMIC)
		skip(); /* the atomic mode counts in the 62-bit shared word */
	cy_object *o = &box_new(NULL)->base;
	cy_atomic_store_relaxed(&o->ob_ref_local, CY_REF_IMMORTAL - 2);
	cy_incref(o);
	assert_false(cy_object_is_immortal(o));
	cy_incref(o);
	assert_true(cy_object_is_immortal(o));
	cy_decref(o);
	assert_true(cy_object_is_immortal(o));
	cy_object_free(o);
	assert_int_equal(cy_objects_live(), 0);
}

static void million_deep_chain_frees_without_recursion(void **state)
{
	(void)state;
	enum { DEPTH = 1000000 };
	cy_object *head = NULL;
	for (int i = 0; i < DEPTH; i++)
		head = &box_new(head)->base;
	assert_int_equal(cy_objects_live(), DEPTH);
	cy_decref(head);
	assert_int_equal(cy_objects_live(), 0);
	assert_int_equal(cy_bytes_live(), 0);
}

/* ---- finalizers ---------------------------------------------------------- */

static void finalizer_runs_once_and_sees_fields(void **state)
{
	(void)state;
	box_finalizer_record_reset();
	box *inner = box_new(NULL);
	inner->payload = 42;
	box *b = (box *)cy_object_new(&finalizing_box_type, 0);
	b->item = &inner->base;
	cy_decref(&b->base);
	assert_int_equal(box_finalizer_record.finalized, 1);
	assert_int_equal(box_finalizer_record.neighbour_payload, 42);
	assert_int_equal(cy_objects_live(), 0);
}

static void resurrected_object_is_not_finalized_again(void **state)
{
	(void)state;
	box_finalizer_record_reset();
	cy_object *o = cy_object_new(&resurrecting_box_type, 0);
	cy_decref(o);
	assert_int_equal(box_finalizer_record.finalized, 1);
	assert_ptr_equal(box_finalizer_record.resurrected, o);
	assert_int_equal(cy_refcount(o), 1);
	assert_true(cy_object_flags(o) & CY_OBJ_FINALIZED);
	assert_int_equal(cy_objects_live(), 1);
	cy_decref(o);
	assert_int_equal(box_finalizer_record.finalized, 1);
	assert_int_equal(cy_objects_live(), 0);
}

/* ---- weak references -------------------------------------------------------- */

static int callbacks;
static cy_object *callback_weakref;

static void count_callback(cy_object *weakref, void *data)
{
	callbacks++;
	callback_weakref = weakref;
	/* The referent is gone when the callback runs. */
	assert_null(cy_weakref_get(weakref));
	*(int *)data += 1;
}

static void weakref_follows_its_referent(void **state)
{
	(void)state;
	callbacks = 0;
	int data = 0;
	cy_object *o = &box_new(NULL)->base;
	cy_object *w = cy_weakref_new(o, count_callback, &data);
	assert_non_null(w);
	assert_int_equal(cy_weakref_count(o), 1);
	cy_object *strong = cy_weakref_get(w);
	assert_ptr_equal(strong, o);
	assert_int_equal(cy_refcount(o), 2);
	cy_decref(strong);
	cy_decref(o);
	assert_int_equal(callbacks, 1);
	assert_int_equal(data, 1);
	assert_ptr_equal(callback_weakref, w);
	assert_null(cy_weakref_get(w));
	assert_null(cy_weakref_peek(w));
	cy_decref(w);
	assert_int_equal(cy_objects_live(), 0);
}

static void dead_weakref_never_calls_back(void **state)
{
	(void)state;
	callbacks = 0;
	int data = 0;
	cy_object *o = &box_new(NULL)->base;
	cy_object *w = cy_weakref_new(o, count_callback, &data);
	cy_decref(w);
	assert_int_equal(cy_weakref_count(o), 0);
	cy_decref(o);
	assert_int_equal(callbacks, 0);
	assert_int_equal(cy_objects_live(), 0);
}

static void many_weakrefs_to_many_objects(void **state)
{
	(void)state;
	enum { N = 2000 };
	static cy_object *objects[N], *weaks[N * 2];
	callbacks = 0;
	int data = 0;
	for (int i = 0; i < N; i++) {
		objects[i] = &box_new(NULL)->base;
		weaks[2 * i] = cy_weakref_new(objects[i], count_callback, &data);
		weaks[2 * i + 1] = cy_weakref_new(objects[i], NULL, NULL);
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(cy_weakref_count(objects[i]), 2);
	for (int i = 0; i < N; i += 2)
		cy_decref(objects[i]);
	assert_int_equal(callbacks, N / 2);
	for (int i = 0; i < N; i++) {
		cy_object *got = cy_weakref_get(weaks[2 * i + 1]);
		if (i % 2 == 0) {
			assert_null(got);
		} else {
			assert_ptr_equal(got, objects[i]);
			cy_decref(got);
		}
	}
	for (int i = 1; i < N; i += 2)
		cy_decref(objects[i]);
	assert_int_equal(callbacks, N);
	for (int i = 0; i < 2 * N; i++)
		cy_decref(weaks[i]);
	assert_int_equal(cy_objects_live(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cy_test(new_object_has_count_one),
		cy_test(release_frees_what_it_owned),
		cy_test(immortal_objects_never_change),
		cy_test(local_count_saturates_instead_of_wrapping),
		cy_test(million_deep_chain_frees_without_recursion),
		cy_test(finalizer_runs_once_and_sees_fields),
		cy_test(resurrected_object_is_not_finalized_again),
		cy_test(weakref_follows_its_referent),
		cy_test(dead_weakref_never_calls_back),
		cy_test(many_weakrefs_to_many_objects),
	};
	return cy_run_tests("refcount", tests, sizeof tests / sizeof tests[0], CY_RC_MODE);
}
