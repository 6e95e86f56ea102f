/*
 * tracemalloc_bench.c: micro_tracemalloc, what allocation tracing costs an
 * allocation.
 *
 *   trace_alloc/frames:0     tracing off: the fast path with its one added
 *                            branch (compare with micro_pool's figures)
 *   trace_alloc/frames:1     tracing on, one frame per stack
 *   trace_alloc/frames:16    tracing on, sixteen frames per stack
 *
 * Each iteration creates one small container (two pointer fields, the
 * shape of a linked-cycles node) with cy_object_new and, 64 at a time,
 * frees it: items_per_second is allocations and frees per second, biased
 * counting, cyclab's pools, one thread. With tracing on an allocation is
 * recorded (a backtrace, a hash, the thread's table) and a free forgotten;
 * the same stack every time, so interning finds it at once. Teardown stops
 * tracing and checks nothing is left alive.
 *
 * A comparison of the whole workload (linked-cycles under `cyclab run
 * --trace-alloc`) is in the README.
 */
#include <stdio.h>

#include "bench/micro/harness.h"
#include "collector/gc.h"
#include "runtime/runtime.h"
#include "runtime/tracemalloc.h"
#include "runtime/variant.h"

typedef struct pair_node {
	cy_object base;
	cy_object *left;
	cy_object *right;
} pair_node;

static int pair_traverse(cy_object *self, cy_visit_fn visit, void *arg)
{
	pair_node *n = (pair_node *)self;
	int r = n->left ? visit(n->left, arg) : 0;
	return r ? r : n->right ? visit(n->right, arg) : 0;
}

static void pair_clear(cy_object *self)
{
	pair_node *n = (pair_node *)self;
	cy_object *left = n->left, *right = n->right;
	n->left = n->right = NULL;
	cy_xdecref(left);
	cy_xdecref(right);
}

static const cy_type pair_type = {
	.name = "tracemalloc_bench_pair",
	.basic_size = sizeof(pair_node),
	.flags = CY_TYPE_CONTAINER,
	.traverse = pair_traverse,
	.clear = pair_clear,
};

static const char *trace_setup(cy_bench_state *state, void *context)
{
	(void)context;
	int err = cy_runtime_init(CY_RC_MODE, CY_ALLOC_POOL);
	if (err != CY_RUNTIME_OK)
		return cy_runtime_strerror(err);
	err = cy_thread_register(CY_ROLE_MUTATOR);
	if (err != CY_THREAD_OK)
		return cy_thread_strerror(err);
	if (cy_gc_start(CY_GC_MODE_STW) != 0) {
		cy_thread_unregister();
		return "cannot start the collector";
	}
	int frames = (int)cy_bench_range(state, 0);
	if (frames > 0 && cy_tracemalloc_start(frames) != 0) {
		cy_gc_stop();
		cy_thread_unregister();
		return cy_tracemalloc_error();
	}
	return NULL;
}

static void trace_teardown(cy_bench_state *state, void *context)
{
	(void)state;
	(void)context;
	cy_tracemalloc_stop();
	cy_gc_collect(2);
	cy_gc_stop();
	cy_thread_unregister();
}

static void trace_alloc_run(cy_bench_state *state, void *context)
{
	(void)context;
	enum { BATCH = 64 };
	cy_object *objects[BATCH];
	while (cy_bench_keep_running_batch(state, BATCH)) {
		for (int i = 0; i < BATCH; i++) {
			objects[i] = cy_object_new(&pair_type, 0);
			if (!objects[i]) {
				cy_bench_skip_with_error(state, "out of memory");
				return;
			}
		}
		for (int i = 0; i < BATCH; i++)
			cy_decref(objects[i]);
		cy_safepoint();
	}
	cy_bench_set_items_processed(state, cy_bench_iterations(state));
}

static const int64_t frame_counts[] = {0, 1, 16};

int main(int argc, char **argv)
{
	cy_bench_def def = {
		.name = "trace_alloc",
		.run = trace_alloc_run,
		.setup = trace_setup,
		.teardown = trace_teardown,
		.args = frame_counts,
		.arg_count = sizeof frame_counts / sizeof frame_counts[0],
		.arg_name = "frames",
	};
	if (cy_bench_register(&def) != 0)
		return 1;
	cy_bench_add_context("cyclab_counters", CY_COUNTERS ? "on" : "off");
	cy_bench_add_context("tracemalloc", cy_tracemalloc_available() ? "libdw" : "not built");
	int status = cy_bench_main(argc, argv);
	if (cy_objects_live() != 0) {
		fprintf(stderr, "micro_tracemalloc: %lld objects left alive\n", (long long)cy_objects_live());
		return 1;
	}
	return status;
}
