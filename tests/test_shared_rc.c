/*
 * test_shared_rc.c: deferred and per-thread counting of published objects
 * (runtime/shared_rc.h), under every counting mode (the threaded cases
 * under atomic and biased, which allow several mutators).
 *
 * What is checked, exactly: publishing takes one reference (the bias) and
 * a ticket, and leaves containers, immortals and objects already published
 * alone; a deferred stack reference changes no count; a published object
 * outlives its last reference until a collection, which frees it, once
 * (a counting dealloc), and keeps it while something refers to it; the
 * per-thread entries of several threads, taken and dropped in unequal
 * numbers, fold into the stored count exactly at a collection, including
 * those of threads that have exited, and stack references taken while
 * other threads collect are never lost.
 */
#include <pthread.h>
#include <stdlib.h>

#include "collector/gc.h"
#include "runtime/shared_rc.h"
#include "tests/test_support.h"

/* ---- a leaf and a container that count their deallocations ------------------ */

static int64_t deallocs;

static void counted_dealloc(cy_object *o)
{
	cy_atomic_fetch_add_relaxed(&deallocs, 1);
	cy_object_free(o);
}

static const cy_type leaf_type = {
	.name = "counted_leaf",
	.basic_size = sizeof(cy_object) + 16,
	.dealloc = counted_dealloc,
};

static int no_referents(cy_object *self, cy_visit_fn visit, void *arg)
{
	(void)self;
	(void)visit;
	(void)arg;
	return 0;
}

static void nothing_to_clear(cy_object *self) { (void)self; }

static const cy_type container_type = {
	.name = "empty_container",
	.basic_size = sizeof(cy_object) + 16,
	.flags = CY_TYPE_CONTAINER,
	.traverse = no_referents,
	.clear = nothing_to_clear,
};

static cy_object *leaf_new(void)
{
	cy_object *o = cy_object_new(&leaf_type, 0);
	if (!o)
		abort();
	return o;
}

static int64_t freed(void) { return cy_atomic_load_relaxed(&deallocs); }

static void take(cy_object *o) { cy_stackref_take_in(cy_rc_mode_running, o); }
static void drop(cy_object *o) { cy_stackref_drop_in(cy_rc_mode_running, o); }

static int multithreaded_mode(void) { return cy_rc_mode_running != CY_RC_NONATOMIC; }

/* ---- set-up per scheme -------------------------------------------------------- */

static int setup_scheme(void **state, cy_shared_rc_scheme scheme)
{
	if (cy_shared_rc_select(scheme) != 0)
		return -1;
	cy_atomic_store_relaxed(&deallocs, (int64_t)0);
	return cy_test_setup(state);
}

static int setup_off(void **state) { return setup_scheme(state, CY_SHARED_RC_OFF); }
static int setup_deferred(void **state) { return setup_scheme(state, CY_SHARED_RC_DEFERRED); }
static int setup_per_thread(void **state) { return setup_scheme(state, CY_SHARED_RC_PER_THREAD); }

static int teardown_scheme(void **state)
{
	int status = cy_test_teardown(state);
	if (cy_shared_rc_live() != 0)
		status = -1;
	if (cy_shared_rc_select(CY_SHARED_RC_OFF) != 0)
		status = -1;
	return status;
}

/* ---- single thread ------------------------------------------------------------- */

static void names_parse_back(void **state)
{
	(void)state;
	for (int s = 0; s < CY_SHARED_RC_SCHEME_COUNT; s++)
		assert_int_equal(cy_shared_rc_parse(cy_shared_rc_name((cy_shared_rc_scheme)s)), s);
	assert_int_equal(cy_shared_rc_parse("perthread"), -1);
	assert_int_equal(cy_shared_rc_parse(""), -1);
	/* Not while objects are live. */
	cy_object *o = leaf_new();
	assert_int_equal(cy_shared_rc_select(CY_SHARED_RC_OFF), -1);
	cy_decref_any(o);
}

static void off_publishes_nothing(void **state)
{
	(void)state;
	cy_object *o = leaf_new();
	assert_int_equal(cy_shared_rc_publish(o), 0);
	assert_int_equal(cy_shared_rc_ticket(o), 0);
	take(o);
	assert_int_equal(cy_refcount(o), 2); /* an ordinary counted reference */
	drop(o);
	assert_int_equal(cy_refcount(o), 1);
	cy_decref_any(o);
	assert_int_equal(freed(), 1);
}

static void publish_takes_a_ticket_and_the_bias(void **state)
{
	(void)state;
	cy_object *o = leaf_new();
	assert_int_equal(cy_shared_rc_publish(o), 1);
	uint32_t ticket = cy_shared_rc_ticket(o);
	assert_true(ticket > 0);
	assert_int_equal(cy_refcount(o), 2);
	assert_int_equal(cy_shared_rc_live(), 1);
	/* Once only. */
	assert_int_equal(cy_shared_rc_publish(o), 0);
	assert_int_equal(cy_shared_rc_ticket(o), ticket);
	assert_int_equal(cy_refcount(o), 2);
	/* Containers and immortals are never published. */
	cy_object *c = cy_object_new(&container_type, 0);
	assert_non_null(c);
	assert_int_equal(cy_shared_rc_publish(c), 0);
	assert_int_equal(cy_refcount(c), 1);
	cy_decref_any(c);
	cy_decref_any(o);
	assert_int_equal(freed(), 0);
	assert_int_equal(cy_gc_collect(0), 0);
	assert_int_equal(freed(), 1);
	assert_int_equal(cy_shared_rc_live(), 0);
}

static void deferred_stack_references_are_not_counted(void **state)
{
	(void)state;
	cy_object *o = leaf_new();
	assert_int_equal(cy_shared_rc_publish(o), 1);
	for (int i = 0; i < 1000; i++)
		take(o);
	assert_int_equal(cy_refcount(o), 2);
	for (int i = 0; i < 1000; i++)
		drop(o);
	assert_int_equal(cy_refcount(o), 2);
	cy_decref_any(o);
	cy_gc_collect(0);
	assert_int_equal(freed(), 1);
}

static void published_objects_are_freed_only_by_a_collection(void **state)
{
	(void)state;
	enum { N = 300 };
	cy_object *objects[N];
	for (int i = 0; i < N; i++) {
		objects[i] = leaf_new();
		assert_int_equal(cy_shared_rc_publish(objects[i]), 1);
	}
	/* A heap reference to every third one survives the first collection. */
	for (int i = 0; i < N; i++) {
		if (i % 3)
			cy_decref_any(objects[i]);
	}
	assert_int_equal(freed(), 0);
	assert_int_equal(cy_objects_live(), N);
	cy_gc_collect(0);
	assert_int_equal(freed(), N - N / 3);
	assert_int_equal(cy_shared_rc_live(), N / 3);
	for (int i = 0; i < N; i += 3)
		assert_int_equal(cy_refcount(objects[i]), 2);
	for (int i = 0; i < N; i += 3)
		cy_decref_any(objects[i]);
	cy_gc_collect(0);
	assert_int_equal(freed(), N);
	assert_int_equal(cy_shared_rc_live(), 0);
	/* Released tickets can be handed out again. */
	cy_object *again = leaf_new();
	assert_int_equal(cy_shared_rc_publish(again), 1);
	assert_int_equal(cy_shared_rc_live(), 1);
	cy_decref_any(again);
	cy_gc_collect(0);
	assert_int_equal(freed(), N + 1);
}

static void per_thread_entries_fold_at_a_collection(void **state)
{
	(void)state;
	cy_object *o = leaf_new();
	assert_int_equal(cy_shared_rc_publish(o), 1);
	for (int i = 0; i < 7; i++)
		take(o);
	/* The stored count has not moved: the seven are this thread's entry. */
	assert_int_equal(cy_refcount(o), 2);
	cy_gc_collect(0);
	assert_int_equal(cy_refcount(o), 9);
	for (int i = 0; i < 7; i++)
		drop(o);
	cy_gc_collect(0);
	assert_int_equal(cy_refcount(o), 2);
	cy_decref_any(o);
	cy_gc_collect(0);
	assert_int_equal(freed(), 1);
}

/* ---- several threads ------------------------------------------------------------ */

enum { OBJECTS = 64, THREADS = 4, ROUNDS = 200 };

typedef struct shared_set {
	cy_object *objects[OBJECTS];
	int64_t wrong_type; /* stack references that found something else: atomic */
} shared_set;

static void register_or_die(void)
{
	if (cy_thread_register(CY_ROLE_MUTATOR) != CY_THREAD_OK)
		abort();
}

/* OBJECTS new leaves in set, each published (one reference each, the scheme's). */
static void publish_leaves(shared_set *set)
{
	for (int i = 0; i < OBJECTS; i++) {
		set->objects[i] = leaf_new();
		assert_int_equal(cy_shared_rc_publish(set->objects[i]), 1);
	}
}

/*
 * Take and drop stack references on every object, a safepoint between
 * rounds; thread 0 collects now and then, so settling runs while the others
 * hold stack references between their safepoints.
 */
static void reader(unsigned index, void *arg)
{
	shared_set *set = arg;
	register_or_die();
	for (int round = 0; round < ROUNDS; round++) {
		for (int i = 0; i < OBJECTS; i++) {
			cy_object *o = set->objects[(i + (int)index * 7) % OBJECTS];
			take(o);
			take(o);
			if (cy_type_of(o) != &leaf_type)
				cy_atomic_fetch_add_relaxed(&set->wrong_type, 1);
			drop(o);
			drop(o);
		}
		if (index == 0 && round % 50 == 25)
			cy_gc_collect(0);
		cy_safepoint();
	}
	cy_thread_unregister();
}

static void readers_leave_counts_exact(void **state)
{
	(void)state;
	if (!multithreaded_mode())
		skip();
	shared_set set = {0};
	publish_leaves(&set);
	cy_test_run_threads(THREADS, reader, &set);
	assert_int_equal(set.wrong_type, 0);
	assert_int_equal(freed(), 0);
	cy_gc_collect(0);
	for (int i = 0; i < OBJECTS; i++)
		assert_int_equal(cy_refcount(set.objects[i]), 2);
	for (int i = 0; i < OBJECTS; i++)
		cy_decref_any(set.objects[i]);
	assert_int_equal(freed(), 0);
	cy_gc_collect(0);
	assert_int_equal(freed(), OBJECTS);
	assert_int_equal(cy_shared_rc_live(), 0);
}

/* Per-thread: thread i keeps i + 1 references to each object, taken and dropped in unequal numbers. */
static void keeper(unsigned index, void *arg)
{
	shared_set *set = arg;
	register_or_die();
	for (int i = 0; i < OBJECTS; i++) {
		cy_object *o = set->objects[i];
		for (unsigned k = 0; k < 2 * index + 3; k++)
			take(o);
		for (unsigned k = 0; k < index + 2; k++)
			drop(o);
		cy_safepoint();
	}
	if (index == 1)
		cy_gc_collect(0);
	cy_thread_unregister();
}

static void per_thread_counts_are_exact_after_merge(void **state)
{
	(void)state;
	if (!multithreaded_mode())
		skip();
	shared_set set = {0};
	publish_leaves(&set);
	cy_test_run_threads(THREADS, keeper, &set);
	/* The threads have exited; what they kept is still in their slots' entries (or folded by thread 1). */
	cy_gc_collect(0);
	int64_t kept = 0;
	for (unsigned t = 0; t < THREADS; t++)
		kept += t + 1;
	for (int i = 0; i < OBJECTS; i++)
		assert_int_equal(cy_refcount(set.objects[i]), 2 + kept);
	/* Those references are ordinary ones now: release them as heap references. */
	for (int i = 0; i < OBJECTS; i++) {
		for (int64_t k = 0; k < kept + 1; k++)
			cy_decref_any(set.objects[i]);
	}
	assert_int_equal(freed(), 0);
	cy_gc_collect(0);
	assert_int_equal(freed(), OBJECTS);
	assert_int_equal(cy_shared_rc_live(), 0);
}

#define with_scheme(fn, scheme) cmocka_unit_test_setup_teardown(fn, setup_##scheme, teardown_scheme)

int main(void)
{
	const struct CMUnitTest tests[] = {
		with_scheme(names_parse_back, off),
		with_scheme(off_publishes_nothing, off),
		with_scheme(publish_takes_a_ticket_and_the_bias, deferred),
		with_scheme(publish_takes_a_ticket_and_the_bias, per_thread),
		with_scheme(deferred_stack_references_are_not_counted, deferred),
		with_scheme(published_objects_are_freed_only_by_a_collection, deferred),
		with_scheme(published_objects_are_freed_only_by_a_collection, per_thread),
		with_scheme(per_thread_entries_fold_at_a_collection, per_thread),
		with_scheme(readers_leave_counts_exact, deferred),
		with_scheme(readers_leave_counts_exact, per_thread),
		with_scheme(per_thread_counts_are_exact_after_merge, per_thread),
	};
	int failed = 0;
	for (int mode = 0; mode < CY_RC_MODE_COUNT; mode++)
		failed += cy_run_tests("test_shared_rc", tests, sizeof tests / sizeof tests[0], (cy_rc_mode)mode);
	return failed != 0;
}
