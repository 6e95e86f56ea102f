/*
 * gc_bench.c: what the cycle collector costs, per object and per cycle.
 *
 * Compiled once per mode (variant.h); each copy registers, for its mode:
 *
 *   gc_full/cycles:N/MODE   N garbage 2-node cycles are built (untimed),
 *                           then one full collection (timed) finds and frees
 *                           them all. ns_per_object is the collection's time
 *                           over the 2N objects, freeing included (the
 *                           target: at most 20 ns; CPython 3.11 here: about
 *                           190 ns). On a shared machine wall time counts
 *                           the time other processes held the CPU, so the
 *                           collecting thread's CPU time per object is
 *                           reported beside it (cpu_ns_per_object), and its
 *                           two big phases (mark_ns_per_object: trial
 *                           deletion; clear_ns_per_object: breaking the
 *                           cycles and freeing), from the collection's own
 *                           record (cy_gc_collection_info).
 *   gc_auto/cycles2/MODE    the linked-cycles shape: create a 2-node cycle,
 *                           drop it, poll a safepoint every 64 cycles, with
 *                           automatic collection at CPython's thresholds
 *                           (700, 10, 10). items_per_second is cycles per
 *                           second, allocation, counting, collection and
 *                           freeing all included (measured here for other
 *                           systems: CPython 3.11 1.75 M/s, PHP 8.2 8 M/s,
 *                           Nim ORC 25 M/s, Boehm GC 30 M/s).
 *
 * Both run on cyclab's pools with the stop-the-world collector, single
 * threaded, and leave nothing alive (teardown checks).
 */
#include <stdio.h>

#include "bench/micro/gc_bench.h"
#include "collector/gc.h"
#include "runtime/runtime.h"
#include "runtime/variant.h"

typedef struct node {
	cy_object base;
	cy_object *other;
} node;

static int node_traverse(cy_object *self, cy_visit_fn visit, void *arg)
{
	node *n = (node *)self;
	return n->other ? visit(n->other, arg) : 0;
}

static void node_clear(cy_object *self)
{
	node *n = (node *)self;
	cy_object *other = n->other;
	n->other = NULL;
	cy_xdecref(other);
}

static const cy_type node_type = {
	.name = "gc_bench_node",
	.basic_size = sizeof(node),
	.flags = CY_TYPE_CONTAINER,
	.traverse = node_traverse,
	.clear = node_clear,
};

/* A garbage 2-node cycle: a <-> b, no outside reference. Returns 0 without memory. */
static inline int make_garbage_cycle(void)
{
	node *a = (node *)cy_object_new(&node_type, 0);
	node *b = (node *)cy_object_new(&node_type, 0);
	if (!a || !b)
		return 0;
	a->other = &b->base; /* a takes b's reference */
	cy_incref(&a->base);
	b->other = &a->base; /* b takes the second reference to a */
	cy_decref(&a->base);
	return 1;
}

static const char *gc_setup(cy_bench_state *state, void *context)
{
	(void)state;
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
	cy_gc_set_threshold(700, 10, 10);
	cy_gc_reset_statistics();
	return NULL;
}

static void gc_teardown(cy_bench_state *state, void *context)
{
	(void)state;
	(void)context;
	cy_gc_enable();
	cy_gc_collect(2);
	cy_gc_stop();
	cy_thread_unregister();
}

/* What the collections of one gc_full run cost, summed by a gc callback. */
typedef struct full_costs {
	uint64_t cpu_ns, mark_ns, clear_ns;
} full_costs;

static void add_costs(int start, const cy_gc_collection_info *info, void *arg)
{
	full_costs *costs = arg;
	if (start)
		return;
	costs->cpu_ns += info->cpu_ns;
	costs->mark_ns += info->phase_ns[CY_GC_PHASE_MARK];
	costs->clear_ns += info->phase_ns[CY_GC_PHASE_CLEAR];
}

static double per_object(uint64_t ns, int64_t objects) { return objects ? (double)ns / (double)objects : 0; }

static void gc_full_run(cy_bench_state *state, void *context)
{
	(void)context;
	int64_t cycles = cy_bench_range(state, 0);
	cy_gc_disable();
	uint64_t collect_ns = 0;
	int64_t objects = 0;
	full_costs costs = {0};
	if (cy_gc_callback_add(add_costs, &costs) != 0) {
		cy_bench_skip_with_error(state, "the gc callback table is full");
		return;
	}
	while (cy_bench_keep_running(state)) {
		cy_bench_pause_timing(state);
		for (int64_t i = 0; i < cycles; i++) {
			if (!make_garbage_cycle()) {
				cy_bench_skip_with_error(state, "out of memory building cycles");
				return;
			}
		}
		cy_bench_resume_timing(state);
		uint64_t start = cy_now_ns();
		int64_t found = cy_gc_collect(2);
		collect_ns += cy_now_ns() - start;
		if (found != 2 * cycles) {
			cy_gc_callback_remove(add_costs, &costs);
			cy_bench_skip_with_error(state, "a collection did not find every garbage object");
			return;
		}
		objects += found;
	}
	cy_gc_callback_remove(add_costs, &costs);
	cy_bench_set_items_processed(state, objects);
	cy_bench_set_counter(state, "ns_per_object", per_object(collect_ns, objects), 0);
	cy_bench_set_counter(state, "cpu_ns_per_object", per_object(costs.cpu_ns, objects), 0);
	cy_bench_set_counter(state, "mark_ns_per_object", per_object(costs.mark_ns, objects), 0);
	cy_bench_set_counter(state, "clear_ns_per_object", per_object(costs.clear_ns, objects), 0);
}

static void gc_auto_run(cy_bench_state *state, void *context)
{
	(void)context;
	cy_gc_enable();
	enum { BATCH = 64 };
	while (cy_bench_keep_running_batch(state, BATCH)) {
		for (int i = 0; i < BATCH; i++) {
			if (!make_garbage_cycle()) {
				cy_bench_skip_with_error(state, "out of memory building cycles");
				return;
			}
		}
		cy_safepoint();
	}
	cy_bench_set_items_processed(state, cy_bench_iterations(state));
	cy_gc_totals totals;
	cy_gc_get_totals(&totals);
	cy_bench_set_counter(state, "collections", (double)totals.collections, 0);
	cy_bench_set_counter(state, "max_pause_us", (double)totals.max_pause_ns / 1000.0, 0);
}

/* Shared by the three copies: defined in the first (variant 0), declared in all. */
extern const int64_t *cy_gc_bench_full_sizes;
extern unsigned cy_gc_bench_full_count;
#if CY_RC_VARIANT == 0
static const int64_t default_full_sizes[] = {10000, 100000, 1000000};
const int64_t *cy_gc_bench_full_sizes = default_full_sizes;
unsigned cy_gc_bench_full_count = sizeof default_full_sizes / sizeof default_full_sizes[0];

void cy_gc_bench_set_full_sizes(const int64_t *cycles, unsigned count)
{
	cy_gc_bench_full_sizes = cycles;
	cy_gc_bench_full_count = count;
}
#endif

int CY_SYM(cy_gc_bench_register)(void)
{
	char name[96];
	snprintf(name, sizeof name, "gc_full/%s", cy_rc_mode_name(CY_RC_MODE));
	cy_bench_def full = {
		.name = name,
		.run = gc_full_run,
		.setup = gc_setup,
		.teardown = gc_teardown,
		.args = cy_gc_bench_full_sizes,
		.arg_count = cy_gc_bench_full_count,
		.arg_name = "cycles",
		.use_real_time = 1,
	};
	if (cy_bench_register(&full) != 0)
		return -1;
	snprintf(name, sizeof name, "gc_auto/cycles2/%s", cy_rc_mode_name(CY_RC_MODE));
	cy_bench_def automatic = {
		.name = name,
		.run = gc_auto_run,
		.setup = gc_setup,
		.teardown = gc_teardown,
		.use_real_time = 1,
	};
	return cy_bench_register(&automatic);
}
