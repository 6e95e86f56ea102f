/*
 * test_scenarios.c: the scenario workloads (observers, caches, handoff,
 * binary-trees, gc-collect, gc-traversal, memory-idioms) run briefly,
 * driven directly through their cy_workload_ops as the runner drives them:
 * setup on the main thread, the threads registered, check, teardown. Each
 * runs under each collector that applies (off, and every collector this
 * build can start: stw, incremental...), and its invariants are
 * asserted: nothing alive after teardown where nothing may leak, strong
 * observers leaking without a collector and freed with one, the LRU bound
 * and the hit ratio the skew implies (check()), the measured pairs of
 * memory-idioms ordered as they must be.
 *
 * Compiled once per mode; the nonatomic copy runs everything on one thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/gc.h"
#include "runtime/variant.h"
#include "tests/test_support.h"
#include "workloads/workload.h"

extern const cy_workload_def cy_workload_observers;
extern const cy_workload_def cy_workload_caches;
extern const cy_workload_def cy_workload_handoff;
extern const cy_workload_def cy_workload_binary_trees;
extern const cy_workload_def cy_workload_gc_collect;
extern const cy_workload_def cy_workload_gc_traversal;
extern const cy_workload_def cy_workload_memory_idioms;

/* Threads for the multithreaded runs: one in nonatomic mode, which allows one mutator. */
static unsigned threads_for(unsigned wanted) { return CY_RC_MODE == CY_RC_NONATOMIC ? 1 : wanted; }

/*
 * The collectors this build can start, besides off: stw, and whichever of
 * the others (incremental, concurrent) cy_gc_start accepts. Returns how many.
 */
#define MAX_COLLECTORS 8
static size_t collectors(cy_gc_mode out[MAX_COLLECTORS])
{
	size_t n = 0;
	for (int mode = CY_GC_MODE_STW; mode < MAX_COLLECTORS; mode++) {
		if (cy_gc_start((cy_gc_mode)mode) == 0)
			out[n++] = (cy_gc_mode)mode;
	}
	cy_gc_stop();
	return n;
}

/* A run of def with its defaults, overridden by "name=value" strings (NULL-terminated list). */
static cy_workload_run *run_new(const cy_workload_def *def, unsigned threads, int64_t ops, cy_gc_mode gc,
	const char *const *overrides)
{
	cy_workload_run *run = calloc(1, sizeof *run);
	assert_non_null(run);
	run->def = def;
	run->threads = threads;
	run->seed = cy_test_seed();
	run->ops_target = ops;
	run->rc = CY_RC_MODE;
	run->gc = gc;
	for (size_t i = 0; i < def->param_count; i++) {
		const cy_param_spec *spec = &def->params[i];
		const char *value = spec->default_value;
		for (const char *const *o = overrides; o && *o; o++) {
			size_t n = strlen(spec->name);
			if (strncmp(*o, spec->name, n) == 0 && (*o)[n] == '=')
				value = *o + n + 1;
		}
		if (spec->kind == CY_PARAM_CHOICE)
			run->param_choices[i] = value;
		else
			run->param_values[i] = strtod(value, NULL);
	}
	/* Every override names a declared parameter (a typo would test the default). */
	for (const char *const *o = overrides; o && *o; o++) {
		int known = 0;
		for (size_t i = 0; i < def->param_count; i++) {
			size_t n = strlen(def->params[i].name);
			known |= strncmp(*o, def->params[i].name, n) == 0 && (*o)[n] == '=';
		}
		if (!known)
			fail_msg("override %s names no parameter of %s", *o, def->name);
	}
	return run;
}

static void workload_thread(unsigned index, void *arg)
{
	cy_workload_run *run = arg;
	assert_int_equal(cy_thread_register(CY_ROLE_MUTATOR), CY_THREAD_OK);
	run->def->ops[CY_RC_MODE]->thread(run, index);
	cy_thread_unregister();
}

static int64_t ops_done(const cy_workload_run *run)
{
	int64_t ops = 0;
	for (unsigned i = 0; i < run->threads; i++)
		ops += run->progress[i].ops;
	return ops;
}

/* Setup, threads, check (which must pass), teardown; the collector is gc for the run. */
static void run_through(cy_workload_run *run)
{
	const cy_workload_ops *ops = run->def->ops[CY_RC_MODE];
	assert_int_equal(cy_gc_start(run->gc), 0);
	cy_gc_enable();
	if (ops->setup(run) != 0)
		fail_msg("setup of %s failed: %s", run->def->name, run->error);
	if (run->threads == 1)
		ops->thread(run, 0);
	else
		cy_test_run_threads(run->threads, workload_thread, run);
	assert_int_equal(ops_done(run), run->ops_target);
	char why[256] = "";
	if (ops->check && ops->check(run, why, sizeof why) != 0)
		fail_msg("check of %s failed: %s", run->def->name, why);
	ops->teardown(run);
	assert_null(run->state);
	cy_safepoint(); /* merges queued to this thread */
	cy_gc_stop();
}

/* Nothing may be alive after teardown, without the help of a collection. */
static void assert_nothing_alive(void)
{
	cy_safepoint();
	if (cy_objects_live() != 0)
		fail_msg("%lld objects alive after teardown", (long long)cy_objects_live());
}

static double metric(const cy_workload_run *run, const char *name)
{
	for (unsigned i = 0; i < run->metrics; i++) {
		if (strcmp(run->metric_names[i], name) == 0)
			return run->metric_values[i];
	}
	fail_msg("%s reported no %s", run->def->name, name);
	return 0;
}

/* ---- observers ------------------------------------------------------------------ */

static void observers_run(const char *variant, cy_gc_mode gc, int leaks)
{
	char v[32];
	snprintf(v, sizeof v, "variant=%s", variant);
	const char *const overrides[] = {v, "observers=4", "shared=4", "replace_every=10", NULL};
	cy_workload_run *run = run_new(&cy_workload_observers, threads_for(2), 400, gc, overrides);
	assert_int_equal(cy_workload_observers.leaks_by_design(run), leaks);
	run_through(run);
	if (leaks) {
		/* Every subject dropped is a cycle: 400 made, 4 + replacements shared. */
		assert_true(cy_objects_live() > 400);
		assert_true(cy_gc_collect(CY_GC_GENERATIONS - 1) > 400);
	} else if (gc != CY_GC_MODE_OFF) {
		cy_gc_collect(CY_GC_GENERATIONS - 1);
	}
	assert_nothing_alive();
	free(run);
}

static void observers_strong_leak_without_a_collector(void **state) { observers_run("strong", CY_GC_MODE_OFF, 1); }
static void observers_strong_are_freed_by_the_collector(void **state)
{
	cy_gc_mode modes[MAX_COLLECTORS];
	size_t n = collectors(modes);
	assert_true(n >= 1);
	for (size_t i = 0; i < n; i++)
		observers_run("strong", modes[i], 0);
}

static void observers_weak_leak_nothing(void **state)
{
	cy_gc_mode modes[MAX_COLLECTORS];
	size_t n = collectors(modes);
	observers_run("weak", CY_GC_MODE_OFF, 0);
	for (size_t i = 0; i < n; i++)
		observers_run("weak", modes[i], 0);
}

static void observers_cleanup_leak_nothing(void **state)
{
	cy_gc_mode modes[MAX_COLLECTORS];
	size_t n = collectors(modes);
	observers_run("cleanup", CY_GC_MODE_OFF, 0);
	for (size_t i = 0; i < n; i++)
		observers_run("cleanup", modes[i], 0);
}

/* ---- caches --------------------------------------------------------------------- */

static cy_workload_run *caches_run_holding(const char *variant, const char *sync, cy_gc_mode gc, unsigned threads,
	const char *hold)
{
	char v[32], s[32];
	snprintf(v, sizeof v, "variant=%s", variant);
	snprintf(s, sizeof s, "sync=%s", sync);
	const char *const overrides[] = {v, s, hold, "size=100", "keys=1000", "skew=1.0", "stripes=4", "value_bytes=16", NULL};
	cy_workload_run *run = run_new(&cy_workload_caches, threads_for(threads), 10000, gc, overrides);
	run_through(run); /* check(): bound, values, hit ratio against the skew */
	assert_nothing_alive();
	return run;
}

static cy_workload_run *caches_run(const char *variant, const char *sync, cy_gc_mode gc, unsigned threads)
{
	return caches_run_holding(variant, sync, gc, threads, "hold=reference");
}

static void caches_lru_stays_within_its_bound_and_skew(void **state)
{
	const char *syncs[] = {"global", "striped", "rcu"};
	for (int i = 0; i < 3; i++) {
		cy_workload_run *run = caches_run("lru", syncs[i], CY_GC_MODE_OFF, 2);
		assert_true(metric(run, "entries") <= 100);
		double expected = metric(run, "expected_hit_ratio");
		/* Zipf(1.0) over 1000 keys, 100 cached: Che's approximation gives about 0.58. */
		assert_true(expected > 0.5 && expected < 0.65);
		free(run);
	}
}

static void caches_rcu_hits_may_borrow(void **state)
{
	cy_workload_run *run = caches_run_holding("lru", "rcu", CY_GC_MODE_OFF, 2, "hold=borrow");
	assert_true(metric(run, "entries") <= 100);
	free(run);
}

static void caches_under_the_collector(void **state)
{
	cy_gc_mode modes[MAX_COLLECTORS];
	size_t n = collectors(modes);
	for (size_t i = 0; i < n; i++) {
		free(caches_run("lru", "rcu", modes[i], 2));
		free(caches_run("weak", "striped", modes[i], 2));
	}
}

static void caches_unbounded_grows_to_the_keys_drawn(void **state)
{
	cy_workload_run *run = caches_run("unbounded", "rcu", CY_GC_MODE_OFF, 2);
	double entries = metric(run, "entries");
	/* Every key drawn stays: misses are exactly the distinct keys (when no two threads raced on one). */
	assert_true(entries > 100 && entries <= 1000);
	free(run);
	free(caches_run("unbounded", "global", CY_GC_MODE_OFF, 1));
}

static void caches_weak_values_die_with_their_users(void **state)
{
	cy_workload_run *run = caches_run("weak", "global", CY_GC_MODE_OFF, 2);
	assert_true(metric(run, "hit_ratio") > 0.3);
	free(run);
}

static void caches_refuse_what_cannot_work(void **state)
{
	const char *const overrides[] = {"variant=weak", "sync=rcu", NULL};
	cy_workload_run *run = run_new(&cy_workload_caches, 1, 10, CY_GC_MODE_OFF, overrides);
	assert_int_equal(cy_workload_caches.ops[CY_RC_MODE]->setup(run), -1);
	assert_non_null(strstr(run->error, "variant=weak takes sync=global or sync=striped"));
	assert_null(run->state);
	free(run);

	const char *const borrowing[] = {"sync=striped", "hold=borrow", NULL};
	run = run_new(&cy_workload_caches, 1, 10, CY_GC_MODE_OFF, borrowing);
	assert_int_equal(cy_workload_caches.ops[CY_RC_MODE]->setup(run), -1);
	assert_non_null(strstr(run->error, "hold=borrow takes sync=rcu"));
	free(run);
}

/* ---- handoff --------------------------------------------------------------------- */

static void handoff_releases_everything_on_the_other_side(void **state)
{
	const unsigned counts[] = {1, 2, 3};
	for (int i = 0; i < 3; i++) {
		const char *const overrides[] = {"batch=16", "capacity=64", NULL};
		cy_workload_run *run = run_new(&cy_workload_handoff, threads_for(counts[i]), 4000, CY_GC_MODE_OFF, overrides);
		run_through(run);
		assert_nothing_alive();
		free(run);
	}
}

/* ---- binary-trees, gc-collect, gc-traversal --------------------------------------------- */

static void binary_trees_leave_nothing(void **state)
{
	cy_gc_mode modes[MAX_COLLECTORS + 1] = {CY_GC_MODE_OFF};
	size_t n = 1 + collectors(modes + 1);
	for (size_t i = 0; i < n; i++) {
		const char *const overrides[] = {"depth=6", "long_depth=8", NULL};
		cy_workload_run *run = run_new(&cy_workload_binary_trees, threads_for(2), 60, modes[i], overrides);
		run_through(run);
		assert_nothing_alive();
		free(run);
	}
}

static void gc_collect_finds_every_ring(void **state)
{
	cy_gc_mode modes[MAX_COLLECTORS + 1] = {CY_GC_MODE_OFF};
	size_t n = 1 + collectors(modes + 1);
	for (size_t i = 0; i < n; i++) {
		/* One thread under off: each collection must find exactly 10 rings of 21 (check()). */
		for (unsigned threads = 1; threads <= threads_for(2); threads++) {
			const char *const overrides[] = {"ring_nodes=21", "rings=10", NULL};
			cy_workload_run *run = run_new(&cy_workload_gc_collect, threads, 55, modes[i], overrides);
			run_through(run);
			assert_nothing_alive();
			free(run);
		}
	}
}

static void gc_traversal_finds_no_garbage(void **state)
{
	const char *shapes[] = {"shape=tree", "shape=chain", "shape=list"};
	cy_gc_mode modes[MAX_COLLECTORS + 1] = {CY_GC_MODE_OFF};
	size_t n = 1 + collectors(modes + 1);
	for (int i = 0; i < 3; i++) {
		for (size_t m = 0; m < n; m++) {
			const char *const overrides[] = {shapes[i], "objects=3000", NULL};
			cy_workload_run *run = run_new(&cy_workload_gc_traversal, 1, 3, modes[m], overrides);
			run_through(run);
			assert_nothing_alive();
			free(run);
		}
	}
}

/* ---- memory-idioms ---------------------------------------------------------------- */

static double idiom_figure(const char *idiom, const char *figure)
{
	char i[32];
	snprintf(i, sizeof i, "idiom=%s", idiom);
	const char *const overrides[] = {i, "items=1000", "fields=4", "buffer_bytes=65536", NULL};
	cy_workload_run *run = run_new(&cy_workload_memory_idioms, 1, 5, CY_GC_MODE_OFF, overrides);
	run_through(run);
	assert_nothing_alive();
	double value = metric(run, figure);
	free(run);
	return value;
}

static void memory_idioms_pairs_differ_as_they_should(void **state)
{
	double streaming = idiom_figure("streaming", "peak_bytes");
	double materialising = idiom_figure("materialising", "peak_bytes");
	/* One int (40 bytes) alive against 1000 ints, a list and its item array. */
	assert_true(streaming == 40);
	assert_true(materialising >= 1000 * 40 + 1000 * 8);

	double slotted = idiom_figure("slotted", "bytes_per_object");
	double dict = idiom_figure("dict", "bytes_per_object");
	/* A slotted object of 4 fields: 24-byte GC head + 48 + 4 * 8; an instance adds a dict and its table. */
	assert_true(slotted == 24 + 48 + 4 * 8);
	assert_true(dict > 2 * slotted);

	double prompt = idiom_figure("prompt", "peak_bytes");
	double late = idiom_figure("late", "peak_bytes");
	assert_true(late >= prompt + 65536);
	assert_true(prompt < 65536);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cy_test(observers_strong_leak_without_a_collector),
		cy_test(observers_strong_are_freed_by_the_collector),
		cy_test(observers_weak_leak_nothing),
		cy_test(observers_cleanup_leak_nothing),
		cy_test(caches_lru_stays_within_its_bound_and_skew),
		cy_test(caches_rcu_hits_may_borrow),
		cy_test(caches_under_the_collector),
		cy_test(caches_unbounded_grows_to_the_keys_drawn),
		cy_test(caches_weak_values_die_with_their_users),
		cy_test(caches_refuse_what_cannot_work),
		cy_test(handoff_releases_everything_on_the_other_side),
		cy_test(binary_trees_leave_nothing),
		cy_test(gc_collect_finds_every_ring),
		cy_test(gc_traversal_finds_no_garbage),
		cy_test(memory_idioms_pairs_differ_as_they_should),
	};
	return cy_run_tests("scenarios", tests, sizeof tests / sizeof tests[0], CY_RC_MODE);
}
