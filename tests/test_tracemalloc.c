/*
 * test_tracemalloc.c: allocation tracing with exact counts and sizes: a
 * known pattern of allocations seen through snapshots, statistics,
 * filters and comparisons; one object's traceback; the limit on traces;
 * clearing; and threads allocating and freeing each other's objects while
 * snapshots are taken. Compiled once per counting mode.
 *
 * Sizes are storage blocks as the tracer records them: an int 40 bytes, a
 * list 64 plus the 24-byte GC head (types.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/gc.h"
#include "runtime/atomics.h"
#include "runtime/tracemalloc.h"
#include "runtime/types.h"
#include "runtime/variant.h"
#include "tests/test_support.h"

enum { INT_BYTES = 40, LIST_BYTES = 24 + 64 };

static int setup(void **state)
{
	if (cy_test_setup(state) != 0)
		return -1;
	cy_gc_disable();
	return 0;
}

static int teardown(void **state)
{
	cy_tracemalloc_stop();
	cy_tracemalloc_set_limit(CY_TRACEMALLOC_DEFAULT_LIMIT);
	cy_gc_collect(2);
	cy_gc_enable();
	return cy_test_teardown(state);
}

#define trace_test(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

static void start_or_skip(int nframes)
{
	if (!cy_tracemalloc_available()) {
		assert_int_equal(cy_tracemalloc_start(nframes), -1);
		print_message("%s\n", cy_tracemalloc_error());
		skip();
	}
	assert_int_equal(cy_tracemalloc_start(nframes), 0);
}

/* The lines the pattern allocates on, set by the functions below. */
static int list_line, int_line;

static __attribute__((noinline)) void make_lists(cy_object **out, int n)
{
	for (int i = 0; i < n; i++) {
		list_line = __LINE__ + 1;
		out[i] = cy_list_new();
		assert_non_null(out[i]);
	}
}

static __attribute__((noinline)) void make_ints(cy_object **out, int n)
{
	for (int i = 0; i < n; i++) {
		int_line = __LINE__ + 1;
		out[i] = cy_int_new(i);
		assert_non_null(out[i]);
	}
}

static const cy_tracemalloc_stat *stat_for(const cy_tracemalloc_stats *stats, const char *key)
{
	for (size_t i = 0; i < stats->count; i++)
		if (strcmp(stats->items[i].key, key) == 0)
			return &stats->items[i];
	for (size_t i = 0; i < stats->count; i++)
		print_message("group: %s\n", stats->items[i].key);
	fail_msg("no group %s", key);
	return NULL;
}

static void bad_frame_counts_are_refused(void **state)
{
	(void)state;
	assert_int_equal(cy_tracemalloc_start(0), -1);
	assert_non_null(strstr(cy_tracemalloc_error(), cy_tracemalloc_available() ? "frames" : "libdw"));
	assert_int_equal(cy_tracemalloc_start(CY_TRACEMALLOC_MAX_FRAMES + 1), -1);
	assert_false(cy_tracemalloc_is_tracing());
	assert_int_equal(cy_tracemalloc_key_parse("line"), CY_TRACE_BY_LINE);
	assert_int_equal(cy_tracemalloc_key_parse("lines"), -1);
	assert_string_equal(cy_tracemalloc_key_name(CY_TRACE_BY_TRACEBACK), "traceback");
}

enum { LISTS = 100, INTS = 50 };

static void a_known_pattern_compares_exactly(void **state)
{
	(void)state;
	cy_object *before = cy_int_new(-1); /* allocated before tracing: never traced */
	start_or_skip(4);
	cy_tracemalloc_snapshot *empty = cy_tracemalloc_take_snapshot();
	assert_non_null(empty);
	assert_int_equal(cy_tracemalloc_snapshot_count(empty), 0);

	cy_object *lists[LISTS], *ints[INTS];
	make_lists(lists, LISTS);
	make_ints(ints, INTS);
	int64_t current, peak;
	cy_tracemalloc_traced_memory(&current, &peak);
	assert_int_equal(current, LISTS * LIST_BYTES + INTS * INT_BYTES);
	assert_int_equal(peak, current);

	cy_tracemalloc_snapshot *full = cy_tracemalloc_take_snapshot();
	assert_non_null(full);
	assert_int_equal(cy_tracemalloc_snapshot_count(full), LISTS + INTS);
	assert_int_equal(cy_tracemalloc_snapshot_size(full), current);

	cy_tracemalloc_stats stats;
	assert_int_equal(cy_tracemalloc_statistics(full, CY_TRACE_BY_TYPE, &stats), 0);
	assert_int_equal(stats.count, 2);
	assert_string_equal(stats.items[0].key, "list"); /* biggest first */
	assert_int_equal(stats.items[0].size, LISTS * LIST_BYTES);
	assert_int_equal(stats.items[0].count, LISTS);
	assert_string_equal(stats.items[1].key, "int");
	assert_int_equal(stats.items[1].size, INTS * INT_BYTES);
	assert_int_equal(stats.items[1].count, INTS);
	cy_tracemalloc_stats_release(&stats);

	/* By line: the constructors are in runtime/, so each group is the test's own line. */
	char list_key[128], int_key[128];
	snprintf(list_key, sizeof list_key, "tests/test_tracemalloc.c:%d", list_line);
	snprintf(int_key, sizeof int_key, "tests/test_tracemalloc.c:%d", int_line);
	assert_int_equal(cy_tracemalloc_compare(full, empty, CY_TRACE_BY_LINE, &stats), 0);
	assert_int_equal(stats.count, 2);
	const cy_tracemalloc_stat *s = stat_for(&stats, list_key);
	assert_int_equal(s->size, LISTS * LIST_BYTES);
	assert_int_equal(s->size_diff, LISTS * LIST_BYTES);
	assert_int_equal(s->count_diff, LISTS);
	s = stat_for(&stats, int_key);
	assert_int_equal(s->count, INTS);
	assert_int_equal(s->count_diff, INTS);
	cy_tracemalloc_stats_release(&stats);

	assert_int_equal(cy_tracemalloc_statistics(full, CY_TRACE_BY_SITE, &stats), 0);
	assert_int_equal(stats.count, 2);
	stat_for(&stats, "make_lists (tests/test_tracemalloc.c)");
	stat_for(&stats, "make_ints (tests/test_tracemalloc.c)");
	cy_tracemalloc_stats_release(&stats);
	assert_int_equal(cy_tracemalloc_statistics(full, CY_TRACE_BY_FILE, &stats), 0);
	assert_int_equal(stats.count, 1);
	assert_string_equal(stats.items[0].key, "tests/test_tracemalloc.c");
	assert_int_equal(stats.items[0].count, LISTS + INTS);
	cy_tracemalloc_stats_release(&stats);

	/* Free every other list: the comparison shows the change. */
	for (int i = 0; i < LISTS; i += 2) {
		cy_decref(lists[i]);
		lists[i] = NULL;
	}
	cy_tracemalloc_traced_memory(&current, &peak);
	assert_int_equal(current, LISTS / 2 * LIST_BYTES + INTS * INT_BYTES);
	assert_int_equal(peak, LISTS * LIST_BYTES + INTS * INT_BYTES);
	cy_tracemalloc_snapshot *half = cy_tracemalloc_take_snapshot();
	assert_non_null(half);
	assert_int_equal(cy_tracemalloc_compare(half, full, CY_TRACE_BY_TYPE, &stats), 0);
	assert_int_equal(stats.count, 2);
	assert_string_equal(stats.items[0].key, "list");
	assert_int_equal(stats.items[0].size, LISTS / 2 * LIST_BYTES);
	assert_int_equal(stats.items[0].size_diff, -(LISTS / 2) * LIST_BYTES);
	assert_int_equal(stats.items[0].count, LISTS / 2);
	assert_int_equal(stats.items[0].count_diff, -(LISTS / 2));
	assert_string_equal(stats.items[1].key, "int");
	assert_int_equal(stats.items[1].size_diff, 0);
	assert_int_equal(stats.items[1].count_diff, 0);
	cy_tracemalloc_stats_release(&stats);

	/* Filters: by type, by file, inclusive and exclusive. */
	cy_tracemalloc_filter only_ints = {.inclusive = 1, .type_name = "int"};
	cy_tracemalloc_snapshot *f = cy_tracemalloc_snapshot_filter(half, &only_ints, 1);
	assert_non_null(f);
	assert_int_equal(cy_tracemalloc_snapshot_count(f), INTS);
	assert_int_equal(cy_tracemalloc_snapshot_size(f), INTS * INT_BYTES);
	cy_tracemalloc_snapshot_free(f);
	cy_tracemalloc_filter not_here = {.inclusive = 0, .file_pattern = "tests/*"};
	f = cy_tracemalloc_snapshot_filter(half, &not_here, 1);
	assert_int_equal(cy_tracemalloc_snapshot_count(f), 0);
	cy_tracemalloc_snapshot_free(f);
	cy_tracemalloc_filter runtime_any_frame = {.inclusive = 1, .file_pattern = "runtime/*", .all_frames = 1};
	cy_tracemalloc_filter runtime_group = {.inclusive = 1, .file_pattern = "runtime/*"};
	f = cy_tracemalloc_snapshot_filter(half, &runtime_group, 1);
	assert_int_equal(cy_tracemalloc_snapshot_count(f), 0); /* grouped by the test's frame */
	cy_tracemalloc_snapshot_free(f);
	/* Some constructor frame is kept (cy_int_new is not a tail call), so any-frame matching finds the ints. */
	f = cy_tracemalloc_snapshot_filter(half, &runtime_any_frame, 1);
	assert_true(cy_tracemalloc_snapshot_count(f) >= INTS);
	cy_tracemalloc_snapshot_free(f);
	cy_tracemalloc_filter both[] = {only_ints, {.inclusive = 1, .type_name = "list"}};
	f = cy_tracemalloc_snapshot_filter(half, both, 2);
	assert_int_equal(cy_tracemalloc_snapshot_count(f), LISTS / 2 + INTS);
	cy_tracemalloc_snapshot_free(f);

	/* One object's traceback names the line that made it; an untraced object has none. */
	char *tb = cy_tracemalloc_object_traceback(lists[1]);
	assert_non_null(tb);
	char expected[160];
	snprintf(expected, sizeof expected, "tests/test_tracemalloc.c:%d make_lists\n", list_line);
	if (!strstr(tb, expected))
		fail_msg("traceback without %s:\n%s", expected, tb);
	free(tb);
	assert_null(cy_tracemalloc_object_traceback(before));

	cy_tracemalloc_snapshot_free(empty);
	cy_tracemalloc_snapshot_free(full);
	cy_tracemalloc_snapshot_free(half);
	for (int i = 0; i < LISTS; i++)
		cy_xdecref(lists[i]);
	for (int i = 0; i < INTS; i++)
		cy_decref(ints[i]);
	cy_decref(before);
	cy_tracemalloc_traced_memory(&current, &peak);
	assert_int_equal(current, 0);
}

static void past_the_limit_allocations_are_dropped(void **state)
{
	(void)state;
	start_or_skip(1);
	cy_tracemalloc_clear(); /* this thread's table may hold traces from before */
	cy_tracemalloc_set_limit(10);
	cy_object *ints[20];
	make_ints(ints, 20);
	int64_t current, peak;
	cy_tracemalloc_traced_memory(&current, &peak);
	assert_int_equal(current, 10 * INT_BYTES);
	assert_int_equal(cy_tracemalloc_dropped(), 10);
	for (int i = 0; i < 20; i++)
		cy_decref(ints[i]);
	cy_tracemalloc_traced_memory(&current, &peak);
	assert_int_equal(current, 0);
	assert_int_equal(peak, 10 * INT_BYTES);
}

static void clear_forgets_and_tracing_goes_on(void **state)
{
	(void)state;
	start_or_skip(2);
	cy_object *a[5], *b[3];
	make_ints(a, 5);
	cy_tracemalloc_clear();
	int64_t current, peak;
	cy_tracemalloc_traced_memory(&current, &peak);
	assert_int_equal(current, 0);
	assert_int_equal(peak, 0);
	make_ints(b, 3);
	cy_tracemalloc_snapshot *s = cy_tracemalloc_take_snapshot();
	assert_int_equal(cy_tracemalloc_snapshot_count(s), 3);
	cy_tracemalloc_snapshot_free(s);
	for (int i = 0; i < 5; i++)
		cy_decref(a[i]); /* untraced now: frees change nothing */
	cy_tracemalloc_traced_memory(&current, &peak);
	assert_int_equal(current, 3 * INT_BYTES);
	cy_tracemalloc_stop();
	assert_false(cy_tracemalloc_is_tracing());
	cy_tracemalloc_traced_memory(&current, &peak);
	assert_int_equal(current, 0);
	for (int i = 0; i < 3; i++)
		cy_decref(b[i]);
}

/* ---- threads --------------------------------------------------------------------------- */

enum { WORKERS = 3, ROUNDS = 2000 };

typedef struct exchange {
	cy_object *list; /* ints pushed by every worker, popped by any */
	int done;        /* atomic: workers finished */
	int failures;    /* atomic */
} exchange;

/* Push an int, pop one (often another thread's) and free it; every third round keep it. */
static void *exchange_worker(void *arg)
{
	exchange *x = arg;
	if (cy_thread_register(CY_ROLE_MUTATOR) != CY_THREAD_OK) {
		cy_atomic_fetch_add_relaxed(&x->failures, 1);
		cy_atomic_fetch_add_release(&x->done, 1);
		return NULL;
	}
	for (int n = 0; n < ROUNDS; n++) {
		cy_object *i = cy_int_new(n);
		if (!i || cy_list_append(x->list, i) != 0)
			cy_atomic_fetch_add_relaxed(&x->failures, 1);
		cy_xdecref(i);
		if (n % 3 != 0)
			cy_xdecref(cy_list_pop(x->list));
		cy_safepoint();
	}
	cy_thread_unregister();
	cy_atomic_fetch_add_release(&x->done, 1);
	return NULL;
}

/*
 * Snapshots taken while workers run are consistent per table; once they
 * are done, the traced ints are exactly those left in the list, whichever
 * thread allocated or freed each.
 */
static void threads_allocate_and_free_during_snapshots(void **state)
{
	(void)state;
	if (CY_RC_MODE == CY_RC_NONATOMIC)
		skip(); /* one mutator thread only */
	exchange x = {.list = cy_list_new()};
	start_or_skip(3);
	pthread_t threads[WORKERS];
	for (int k = 0; k < WORKERS; k++)
		assert_int_equal(pthread_create(&threads[k], NULL, exchange_worker, &x), 0);
	int snapshots = 0;
	while (cy_atomic_load_acquire(&x.done) < WORKERS || snapshots == 0) {
		cy_tracemalloc_snapshot *s = cy_tracemalloc_take_snapshot();
		assert_non_null(s);
		cy_tracemalloc_stats stats;
		assert_int_equal(cy_tracemalloc_statistics(s, CY_TRACE_BY_TYPE, &stats), 0);
		for (size_t i = 0; i < stats.count; i++) {
			assert_string_equal(stats.items[i].key, "int");
			assert_int_equal(stats.items[i].size, stats.items[i].count * INT_BYTES);
		}
		cy_tracemalloc_stats_release(&stats);
		cy_tracemalloc_snapshot_free(s);
		snapshots++;
		cy_safepoint();
	}
	cy_blocking_begin();
	for (int k = 0; k < WORKERS; k++)
		pthread_join(threads[k], NULL);
	cy_blocking_end();
	assert_int_equal(x.failures, 0);

	size_t left = cy_list_len(x.list);
	cy_tracemalloc_snapshot *s = cy_tracemalloc_take_snapshot();
	assert_int_equal(cy_tracemalloc_snapshot_count(s), left);
	assert_int_equal(cy_tracemalloc_snapshot_size(s), (int64_t)left * INT_BYTES);
	int64_t current, peak;
	cy_tracemalloc_traced_memory(&current, &peak);
	assert_int_equal(current, (int64_t)left * INT_BYTES);
	cy_tracemalloc_snapshot_free(s);
	cy_decref(x.list);
	cy_tracemalloc_traced_memory(&current, &peak);
	assert_int_equal(current, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		trace_test(bad_frame_counts_are_refused),
		trace_test(a_known_pattern_compares_exactly),
		trace_test(past_the_limit_allocations_are_dropped),
		trace_test(clear_forgets_and_tracing_goes_on),
		trace_test(threads_allocate_and_free_during_snapshots),
	};
	return cy_run_tests("tracemalloc", tests, sizeof tests / sizeof tests[0], CY_RC_MODE);
}
