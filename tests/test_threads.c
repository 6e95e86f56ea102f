/*
 * test_threads.c: reference counting across threads, safepoints and
 * stop-the-world. Compiled once per mode; the nonatomic copy checks only
 * that a second mutator is refused, since that mode allows one.
 *
 * The biased-mode scenarios are the merge protocol's cases (refcount.c):
 * a non-owner releasing the last reference while the owner runs, after it
 * has exited, and while it is blocked offline; each ends with every object
 * freed and, with counters on, exactly one queued merge per object.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <time.h>

#include "runtime/atomics.h"
#include "runtime/variant.h"
#include "tests/box.h"
#include "tests/test_support.h"

static cy_object *cell_new(void) { return &box_new(NULL)->base; }

static int multithreaded_mode(void) { return CY_RC_MODE != CY_RC_NONATOMIC; }

static int64_t merges_queued(void)
{
	cy_counters c;
	cy_counters_snapshot(&c);
	return c.rc_merges_queued;
}

/* Register the calling helper thread; cmocka's asserts are for the main thread only. */
static void register_or_die(void)
{
	if (cy_thread_register(CY_ROLE_MUTATOR) != CY_THREAD_OK)
		abort();
}

static void *register_once(void *p)
{
	int *result = p;
	*result = cy_thread_register(CY_ROLE_MUTATOR);
	if (*result == CY_THREAD_OK)
		cy_thread_unregister();
	return NULL;
}

static void nonatomic_refuses_a_second_mutator(void **state)
{
	(void)state;
	if (multithreaded_mode())
		skip();
	/* The main thread is registered by the test set-up. */
	pthread_t t;
	int result = 0;
	assert_int_equal(pthread_create(&t, NULL, register_once, &result), 0);
	pthread_join(t, NULL);
	assert_int_equal(result, CY_THREAD_NONATOMIC_TWO);
}

/* ---- handing objects to another thread ----------------------------------- */

enum { HANDED = 20000 };

typedef struct handoff {
	cy_object *objects[HANDED];
	sem_t ready;    /* producer -> consumer: objects are there */
	sem_t released; /* consumer -> producer: all released */
	int producer_mode;
	int64_t live_after_release;
} handoff;

enum { OWNER_POLLS, OWNER_EXITS_FIRST, OWNER_BLOCKED, OWNER_KEEPS_A_REFERENCE };

static void handoff_thread(unsigned index, void *arg)
{
	handoff *h = arg;
	register_or_die();
	if (index == 0) {
		for (int i = 0; i < HANDED; i++) {
			h->objects[i] = cell_new();
			if (h->producer_mode == OWNER_KEEPS_A_REFERENCE)
				cy_incref(h->objects[i]);
		}
		if (h->producer_mode == OWNER_EXITS_FIRST) {
			cy_thread_unregister();
			sem_post(&h->ready);
			return;
		}
		sem_post(&h->ready);
		if (h->producer_mode == OWNER_BLOCKED) {
			cy_blocking_begin();
			sem_wait(&h->released);
			cy_blocking_end();
		} else if (h->producer_mode == OWNER_KEEPS_A_REFERENCE) {
			/* Not polling: the consumer's releases stay queued to us. */
			sem_wait(&h->released);
			for (int i = 0; i < HANDED; i++)
				cy_decref(h->objects[i]);
		} else {
			int value;
			do {
				cy_safepoint();
				sem_getvalue(&h->released, &value);
			} while (value == 0);
			sem_wait(&h->released);
		}
		cy_thread_unregister();
		return;
	}
	sem_wait(&h->ready);
	for (int i = 0; i < HANDED; i++)
		cy_decref(h->objects[i]);
	/*
	 * A blocked or exited owner cannot merge: its objects must be freed
	 * by this thread or another helper, without the owner. Wait for that
	 * (bounded, so a stranded object fails the test instead of hanging it).
	 */
	if (h->producer_mode == OWNER_BLOCKED || h->producer_mode == OWNER_EXITS_FIRST) {
		struct timespec tick = {0, 1000 * 1000};
		for (int waited = 0; waited < 10000 && cy_objects_live() != 0; waited++)
			nanosleep(&tick, NULL);
	}
	h->live_after_release = cy_objects_live();
	sem_post(&h->released);
	cy_thread_unregister();
}

static void run_handoff(int producer_mode, int64_t expected_live_after_release)
{
	if (!multithreaded_mode())
		skip();
	handoff *h = calloc(1, sizeof *h);
	assert_non_null(h);
	sem_init(&h->ready, 0, 0);
	sem_init(&h->released, 0, 0);
	h->producer_mode = producer_mode;
	int64_t queued_before = merges_queued();
	cy_test_run_threads(2, handoff_thread, h);
	assert_int_equal(cy_objects_live(), 0);
	if (expected_live_after_release >= 0)
		assert_int_equal(h->live_after_release, expected_live_after_release);
#if CY_COUNTERS
	int64_t queued = merges_queued() - queued_before;
	assert_int_equal(queued, CY_RC_MODE == CY_RC_BIASED ? HANDED : 0);
#else
	(void)queued_before;
#endif
	sem_destroy(&h->ready);
	sem_destroy(&h->released);
	free(h);
}

static void released_by_non_owner_while_owner_polls(void **state)
{
	(void)state;
	run_handoff(OWNER_POLLS, -1);
}

static void released_after_owner_exited(void **state)
{
	(void)state;
	run_handoff(OWNER_EXITS_FIRST, 0);
}

static void released_while_owner_blocked(void **state)
{
	(void)state;
	run_handoff(OWNER_BLOCKED, 0);
}

static void owner_exits_with_merges_queued(void **state)
{
	(void)state;
	/* The owner keeps a reference until after the consumer's releases, so nothing is freed early. */
	run_handoff(OWNER_KEEPS_A_REFERENCE, HANDED);
}

/* ---- many threads on one object ------------------------------------------ */

enum { SHARERS = 4, PAIRS = 100000 };

static void hammer(unsigned index, void *arg)
{
	cy_object *o = arg;
	register_or_die();
	for (int i = 0; i < PAIRS; i++) {
		cy_incref(o);
		if (i % 3 == 0)
			cy_incref(o);
		cy_decref(o);
		if (i % 3 == 0)
			cy_decref(o);
		if ((i & 255) == 0)
			cy_safepoint();
	}
	(void)index;
	cy_thread_unregister();
}

static void shared_object_count_is_exact(void **state)
{
	(void)state;
	if (!multithreaded_mode())
		skip();
	cy_object *o = cell_new();
	cy_test_run_threads(SHARERS, hammer, o);
	assert_int_equal(cy_refcount(o), 1);
	cy_decref(o);
	assert_int_equal(cy_objects_live(), 0);
}

/* ---- stop-the-world ------------------------------------------------------ */

enum { SPINNERS = 3 };

typedef struct spin_state {
	int64_t progress[SPINNERS + 1];
	int stop;
	sem_t started;
} spin_state;

static void spinner(unsigned index, void *arg)
{
	spin_state *s = arg;
	register_or_die();
	if (index == SPINNERS) {
		/* One thread sits in a blocking region: it counts as stopped. */
		cy_blocking_begin();
		sem_post(&s->started);
		while (!cy_atomic_load_acquire(&s->stop))
			sched_yield();
		cy_blocking_end();
	} else {
		sem_post(&s->started);
		while (!cy_atomic_load_acquire(&s->stop)) {
			cy_atomic_add_owner(&s->progress[index], 1);
			cy_safepoint();
		}
	}
	cy_thread_unregister();
}

typedef struct stopper_args {
	spin_state *spin;
	cy_stw_report report;
	int64_t before[SPINNERS], after[SPINNERS];
} stopper_args;

static void *stopper(void *p)
{
	stopper_args *a = p;
	for (int i = 0; i < SPINNERS + 1; i++)
		sem_wait(&a->spin->started);
	cy_world_stop(&a->report);
	for (int i = 0; i < SPINNERS; i++)
		a->before[i] = cy_atomic_load_relaxed(&a->spin->progress[i]);
	struct timespec pause = {0, 20 * 1000 * 1000};
	nanosleep(&pause, NULL);
	for (int i = 0; i < SPINNERS; i++)
		a->after[i] = cy_atomic_load_relaxed(&a->spin->progress[i]);
	cy_world_resume();
	cy_atomic_store_release(&a->spin->stop, 1);
	return NULL;
}

static void spin_or_stop(unsigned index, void *arg)
{
	stopper_args *a = arg;
	if (index == 0) {
		stopper(a);
		return;
	}
	spinner(index - 1, a->spin);
}

static void world_stop_waits_for_every_running_mutator(void **state)
{
	(void)state;
	if (!multithreaded_mode())
		skip();
	spin_state spin = {0};
	sem_init(&spin.started, 0, 0);
	stopper_args *a = calloc(1, sizeof *a);
	assert_non_null(a);
	a->spin = &spin;
	cy_test_run_threads(SPINNERS + 2, spin_or_stop, a);
	assert_int_equal(a->report.waited_for, SPINNERS);
	assert_int_equal(a->report.recorded, SPINNERS);
	for (int i = 0; i < SPINNERS; i++)
		assert_int_equal(a->before[i], a->after[i]);
	assert_true(a->report.stopped_ns >= a->report.requested_ns);
	sem_destroy(&spin.started);
	free(a);
}

/* ---- weak references racing with the last release ------------------------- */

enum { WEAK_ROUNDS = 2000 };

typedef struct weak_race {
	cy_object *object, *weak;
	sem_t go_release, go_read;
	int callbacks;
	int got_after_death;
} weak_race;

static void note_death(cy_object *weakref, void *data)
{
	(void)weakref;
	weak_race *r = data;
	cy_atomic_fetch_add_relaxed(&r->callbacks, 1);
}

static void weak_racer(unsigned index, void *arg)
{
	weak_race *r = arg;
	register_or_die();
	if (index == 0) {
		sem_wait(&r->go_release);
		cy_decref(r->object);
	} else {
		sem_wait(&r->go_read);
		for (;;) {
			cy_object *strong = cy_weakref_get(r->weak);
			if (!strong)
				break;
			/* A reference from a live weakref is a real one. */
			if (cy_type_of(strong) != &box_type)
				abort();
			cy_decref(strong);
			cy_safepoint();
		}
		if (cy_weakref_get(r->weak) != NULL)
			r->got_after_death = 1;
	}
	cy_thread_unregister();
}

static void racing_start(unsigned index, void *arg)
{
	weak_race *r = arg;
	if (index == 2) {
		sem_post(&r->go_read);
		sem_post(&r->go_release);
		return;
	}
	weak_racer(index, r);
}

static void weakref_races_with_last_release(void **state)
{
	(void)state;
	if (!multithreaded_mode())
		skip();
	int total_callbacks = 0;
	for (int round = 0; round < WEAK_ROUNDS; round++) {
		weak_race r = {0};
		sem_init(&r.go_release, 0, 0);
		sem_init(&r.go_read, 0, 0);
		r.object = cell_new();
		r.weak = cy_weakref_new(r.object, note_death, &r);
		assert_non_null(r.weak);
		cy_test_run_threads(3, racing_start, &r);
		assert_int_equal(r.callbacks, 1);
		assert_int_equal(r.got_after_death, 0);
		assert_null(cy_weakref_get(r.weak));
		cy_decref(r.weak);
		total_callbacks += r.callbacks;
		sem_destroy(&r.go_release);
		sem_destroy(&r.go_read);
	}
	assert_int_equal(total_callbacks, WEAK_ROUNDS);
	assert_int_equal(cy_objects_live(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cy_test(nonatomic_refuses_a_second_mutator),
		cy_test(released_by_non_owner_while_owner_polls),
		cy_test(released_after_owner_exited),
		cy_test(released_while_owner_blocked),
		cy_test(owner_exits_with_merges_queued),
		cy_test(shared_object_count_is_exact),
		cy_test(world_stop_waits_for_every_running_mutator),
		cy_test(weakref_races_with_last_release),
	};
	return cy_run_tests("threads", tests, sizeof tests / sizeof tests[0], CY_RC_MODE);
}
