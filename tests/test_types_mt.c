/*
 * test_types_mt.c: the containers shared by several threads, some mutating
 * while others read. Compiled once per mode; the nonatomic mode allows one
 * mutator thread, so its copy skips.
 *
 * Not a benchmark: deterministic pseudo-random operations per thread
 * (seeded by CYCLAB_TEST_SEED), fewer under sanitizers. Every value stored
 * is an int tagged with the key it was stored under (key * TAG + sequence),
 * so a reader that gets a value checks it belongs where it found it: a
 * freed, torn or misplaced value fails the check (ASan and TSan catch the
 * rest). Worker threads cannot use cmocka's asserts (they longjmp), so they
 * count failures and the main thread asserts there were none. Each test
 * ends with exactly zero live objects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "runtime/runtime.h"
#include "runtime/types.h"
#include "runtime/variant.h"
#include "tests/test_support.h"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
enum { ITERATIONS = 20000 };
#else
enum { ITERATIONS = 200000 };
#endif

enum {
	THREADS = 4, /* threads 0 and 1 write, 2 and 3 read */
	WRITERS = 2,
	KEYS = 16,
	TAG = 1000000,
	LIST_KEY = 99,
	LIST_MAX = 64,
};

static const char *const attribute_names[KEYS] = {
	"a", "b", "c", "d", "e", "f", "g", "h", /* stored inline in the dict entry */
	"attribute_i", "attribute_j", "attribute_k", "attribute_l",
	"attribute_m", "attribute_n", "attribute_o", "attribute_p", /* copied to the heap */
};

static int failures;

static void record_failure(const char *what, int64_t key)
{
	if (cy_atomic_fetch_add_relaxed(&failures, 1) == 0)
		fprintf(stderr, "check failed: %s (key %lld)\n", what, (long long)key);
}

typedef struct rng {
	uint64_t state;
} rng;

static uint64_t next_random(rng *r)
{
	r->state ^= r->state >> 12;
	r->state ^= r->state << 25;
	r->state ^= r->state >> 27;
	return r->state * 0x2545f4914f6cdd1dULL;
}

static cy_object *tagged(int64_t key, uint64_t sequence)
{
	cy_object *v = cy_int_new(key * TAG + (int64_t)(sequence % TAG));
	if (!v)
		record_failure("out of memory", key);
	return v;
}

/* Releases v (which may be NULL) after checking it was stored under key. */
static void check_and_drop(cy_object *v, int64_t key)
{
	if (!v)
		return;
	if (cy_type_of(v) != &cy_int_type || cy_int_value(v) / TAG != key)
		record_failure("value under the wrong key", key);
	cy_decref(v);
}

static void expect_ok(int err, const char *what)
{
	if (err != 0)
		record_failure(what, err);
}

typedef struct shared {
	cy_object *list, *dict, *instance, *slotted, *weakdict;
	cy_object *keepalive; /* list: the strong references behind weakdict's values */
	uint64_t seed;
} shared;

/* ---- writers and readers ------------------------------------------------------- */

static void write_list(shared *s, rng *r, uint64_t n)
{
	if (cy_list_len(s->list) >= LIST_MAX) {
		check_and_drop(cy_list_pop(s->list), LIST_KEY);
		return;
	}
	cy_object *v = tagged(LIST_KEY, n);
	expect_ok(cy_list_append(s->list, v), "append");
	int err = cy_list_set(s->list, next_random(r) % LIST_MAX, v);
	if (err != 0 && err != CY_ERR_RANGE)
		record_failure("list set", err);
	cy_decref(v);
}

static void write_dict(shared *s, rng *r, uint64_t n)
{
	int64_t key = (int64_t)(next_random(r) % KEYS);
	if (n % 4 == 0) {
		int err = cy_dict_del_int(s->dict, key);
		if (err != 0 && err != CY_ERR_NOKEY)
			record_failure("dict del", err);
		return;
	}
	cy_object *v = tagged(key, n);
	expect_ok(cy_dict_set_int(s->dict, key, v), "dict set");
	cy_decref(v);
}

static void write_instance(shared *s, rng *r, uint64_t n)
{
	int64_t key = (int64_t)(next_random(r) % KEYS);
	if (n % 5 == 0) {
		int err = cy_instance_delattr(s->instance, attribute_names[key]);
		if (err != 0 && err != CY_ERR_NOKEY)
			record_failure("delattr", err);
		return;
	}
	cy_object *v = tagged(key, n);
	expect_ok(cy_instance_setattr(s->instance, attribute_names[key], v), "setattr");
	cy_decref(v);
}

static void write_slotted(shared *s, rng *r, uint64_t n)
{
	int64_t key = (int64_t)(next_random(r) % KEYS);
	cy_object *v = n % 7 == 0 ? NULL : tagged(key, n);
	expect_ok(cy_slotted_set(s->slotted, (size_t)key, v), "slotted set");
	cy_xdecref(v);
}

/* A new value for key: weakly in weakdict, strongly in keepalive, whose old one dies. */
static void write_weakdict(shared *s, rng *r, uint64_t n)
{
	int64_t key = (int64_t)(next_random(r) % KEYS);
	cy_object *v = tagged(key, n);
	expect_ok(cy_weakdict_set(s->weakdict, key, v), "weakdict set");
	expect_ok(cy_list_set(s->keepalive, (size_t)key, v), "keepalive set");
	cy_decref(v);
	if (n % 8 == 0) {
		int err = cy_weakdict_del(s->weakdict, key);
		if (err != 0 && err != CY_ERR_NOKEY)
			record_failure("weakdict del", err);
	}
}

/* A short-lived weakdict over the shared values: callbacks may reach it after it died. */
static void churn_weakdict(shared *s, rng *r)
{
	cy_object *wd = cy_weakdict_new();
	if (!wd) {
		record_failure("out of memory", 0);
		return;
	}
	for (int i = 0; i < 4; i++) {
		int64_t key = (int64_t)(next_random(r) % KEYS);
		cy_object *v = cy_list_get(s->keepalive, (size_t)key);
		expect_ok(cy_weakdict_set(wd, key, v), "churn set");
		cy_decref(v);
	}
	cy_decref(wd);
}

static void writer(shared *s, rng *r, uint64_t n)
{
	switch (next_random(r) % 6) {
	case 0: write_list(s, r, n); break;
	case 1: write_dict(s, r, n); break;
	case 2: write_instance(s, r, n); break;
	case 3: write_slotted(s, r, n); break;
	case 4: write_weakdict(s, r, n); break;
	case 5: churn_weakdict(s, r); break;
	}
}

static void read_snapshot(shared *s)
{
	cy_dict_snapshot snap;
	expect_ok(cy_dict_items(s->dict, &snap), "snapshot");
	if (snap.count > KEYS)
		record_failure("snapshot too large", (int64_t)snap.count);
	for (size_t i = 0; i < snap.count; i++) {
		cy_incref(snap.items[i].value);
		check_and_drop(snap.items[i].value, snap.items[i].int_key);
	}
	cy_dict_snapshot_release(&snap);
}

/* held: a weakdict value kept across iterations, so values also die on readers. */
static void reader(shared *s, rng *r, cy_object **held, int64_t *held_key)
{
	int64_t key = (int64_t)(next_random(r) % KEYS);
	switch (next_random(r) % 6) {
	case 0: check_and_drop(cy_list_get(s->list, next_random(r) % LIST_MAX), LIST_KEY); break;
	case 1: check_and_drop(cy_dict_get_int(s->dict, key), key); break;
	case 2: read_snapshot(s); break;
	case 3: check_and_drop(cy_instance_getattr(s->instance, attribute_names[key]), key); break;
	case 4: check_and_drop(cy_slotted_get(s->slotted, (size_t)key), key); break;
	case 5:
		check_and_drop(*held, *held_key);
		*held = cy_weakdict_get(s->weakdict, key);
		*held_key = key;
		break;
	}
}

static int register_worker(void)
{
	int err = cy_thread_register(CY_ROLE_MUTATOR);
	if (err != CY_THREAD_OK)
		record_failure(cy_thread_strerror(err), err);
	return err == CY_THREAD_OK;
}

static void worker(unsigned index, void *arg)
{
	shared *s = arg;
	if (!register_worker())
		return;
	rng r = {s->seed * 2 + index * 0x9e3779b97f4a7c15ULL + 1};
	cy_object *held = NULL;
	int64_t held_key = 0;
	for (uint64_t n = 0; n < ITERATIONS; n++) {
		if (index < WRITERS)
			writer(s, &r, n);
		else
			reader(s, &r, &held, &held_key);
		cy_safepoint();
	}
	check_and_drop(held, held_key);
	cy_thread_unregister();
}

static int64_t acquisitions_by_thread[THREADS];

/* Appends to one list; counts its own lock acquisitions (other runtime locks count too). */
static void worker_append_only(unsigned index, void *arg)
{
	shared *s = arg;
	if (!register_worker())
		return;
	cy_object *v = tagged(LIST_KEY, index);
	int64_t before = cy_tls_counters.lock_acquisitions;
	for (uint64_t n = 0; n < ITERATIONS; n++)
		expect_ok(cy_list_append(s->list, v), "append");
	acquisitions_by_thread[index] = cy_tls_counters.lock_acquisitions - before;
	cy_decref(v);
	cy_thread_unregister();
}

/* ---- tests ------------------------------------------------------------------------ */

static cy_object *placeholder_list(size_t n)
{
	cy_object *l = cy_list_new();
	for (size_t k = 0; k < n; k++) {
		cy_object *v = tagged((int64_t)k, 0);
		assert_int_equal(cy_list_append(l, v), 0);
		cy_decref(v);
	}
	return l;
}

static void run_workers(shared *s)
{
	cy_test_run_threads(THREADS, worker, s); /* waits offline: holds up no merge or stop */
	assert_int_equal(failures, 0);
}

static void shared_containers_under_mutation(void **state)
{
	(void)state;
	if (CY_RC_MODE == CY_RC_NONATOMIC)
		skip(); /* one mutator thread only */
	shared s = {
		.list = cy_list_new(),
		.dict = cy_dict_new(),
		.instance = cy_instance_new(),
		.slotted = cy_slotted_new(KEYS),
		.weakdict = cy_weakdict_new(),
		.keepalive = placeholder_list(KEYS),
		.seed = cy_test_seed(),
	};
	run_workers(&s);

	/* Quiescent now: the contents are exactly what the writers left. */
	assert_true(cy_list_len(s.list) <= LIST_MAX);
	assert_true(cy_dict_len(s.dict) <= KEYS);
	assert_true(cy_weakdict_len(s.weakdict) <= KEYS);
	for (int64_t key = 0; key < KEYS; key++)
		check_and_drop(cy_weakdict_get(s.weakdict, key), key);
	/* Dropping the strong references kills every value: the callbacks empty the weakdict. */
	cy_list_clear(s.keepalive);
	assert_int_equal(cy_weakdict_len(s.weakdict), 0);
	assert_int_equal(failures, 0);

	cy_object *all[] = {s.list, s.dict, s.instance, s.slotted, s.weakdict, s.keepalive};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		cy_decref(all[i]);
	cy_safepoint(); /* merge what other threads queued to this one */
	assert_int_equal(cy_objects_live(), 0);
	assert_int_equal(cy_bytes_live(), 0);
}

/* Contention on one list from every thread: exactly one lock acquisition per append. */
static void lock_counts_every_acquisition(void **state)
{
	(void)state;
	if (CY_RC_MODE == CY_RC_NONATOMIC)
		skip();
	shared s = {.list = cy_list_new(), .seed = cy_test_seed()};
	cy_counters before, after;
	cy_counters_snapshot(&before);
	cy_test_run_threads(THREADS, worker_append_only, &s);
	cy_counters_snapshot(&after);
	assert_int_equal(failures, 0);
	assert_int_equal(cy_list_len(s.list), THREADS * ITERATIONS);
	/* One acquisition per append; contention is reported, never asserted (it depends on timing). */
	for (unsigned i = 0; i < THREADS; i++)
		assert_int_equal(acquisitions_by_thread[i], ITERATIONS);
	print_message("%d appends from %d threads: %lld contended, %lld ns waiting\n", THREADS * ITERATIONS, THREADS,
		      (long long)(after.lock_contended - before.lock_contended),
		      (long long)(after.lock_wait_ns - before.lock_wait_ns));
	cy_decref(s.list);
	cy_safepoint();
	assert_int_equal(cy_objects_live(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cy_test(shared_containers_under_mutation),
		cy_test(lock_counts_every_acquisition),
	};
	return cy_run_tests("types_mt", tests, sizeof tests / sizeof tests[0], CY_RC_MODE);
}
