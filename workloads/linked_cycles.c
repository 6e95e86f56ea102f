/*
 * linked_cycles.c: the `linked-cycles` workload, the smallest program that
 * needs a cycle collector.
 *
 * Each operation builds one ring of `length` nodes (n1 -> n2 -> ... -> n1),
 * the shape CPython, PHP, Nim's ORC and the Boehm collector were measured on
 * in shared/REFERENCES.md and bench/baselines (two nodes, one reference
 * each). With probability `live` the
 * ring replaces a random slot of the thread's live set of `live_size` slots
 * (the ring it displaces becomes garbage then); otherwise it is dropped at
 * once. Reference counting frees none of them: every ring is garbage the
 * moment it is let go, so without a collector every node ever made leaks
 * (leaks_by_design for --gc off), and with one the heap stays near
 * live_size rings per thread plus what the young generation holds between
 * collections. Operations per second measure allocation, counting,
 * collection and freeing together.
 *
 * The node is a minimal container (a box: one reference), optionally
 * carrying `payload` inline bytes so the same shape can be made heavier
 * without adding objects: node counts stay exact, which the tests use
 * (under --gc off, leaked objects = operations * length).
 *
 * Threads share nothing: each has its own live set and random stream
 * (splitmix64 from seed and thread index), so a seeded run with --ops N is
 * deterministic per thread. Only thread i touches threads[i] until the
 * threads are joined; check and teardown (thread 0) read them after.
 *
 * Compiled once per reference-counting mode (variant.h); the def, with the
 * three copies of the ops, is in the CY_RC_VARIANT == 0 copy.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"
#include "runtime/variant.h"
#include "workloads/workload.h"

/* ---- nodes ------------------------------------------------------------------ */

typedef struct lc_node {
	cy_object base;
	cy_object *next;
} lc_node;

/* With a payload: variable size, item_size 1, the bytes after next. */
typedef struct lc_payload_node {
	cy_varobject base;
	cy_object *next;
	unsigned char bytes[];
} lc_payload_node;

/*
 * next is set once, on a new node, and cleared when the node dies: the
 * traverse reads it with an acquire load and clear stores NULL atomically,
 * so the concurrent collector may traverse nodes while mutators run.
 */
static int node_traverse(cy_object *self, cy_visit_fn visit, void *arg)
{
	cy_object *next = cy_atomic_load_acquire(&((lc_node *)self)->next);
	return next ? visit(next, arg) : 0;
}

static void node_clear(cy_object *self)
{
	lc_node *n = (lc_node *)self;
	cy_object *next = n->next;
	cy_atomic_store_relaxed(&n->next, NULL);
	cy_xdecref(next);
}

static int payload_node_traverse(cy_object *self, cy_visit_fn visit, void *arg)
{
	cy_object *next = cy_atomic_load_acquire(&((lc_payload_node *)self)->next);
	return next ? visit(next, arg) : 0;
}

static void payload_node_clear(cy_object *self)
{
	lc_payload_node *n = (lc_payload_node *)self;
	cy_object *next = n->next;
	cy_atomic_store_relaxed(&n->next, NULL);
	cy_xdecref(next);
}

static const cy_type node_type = {
	.name = "linked_cycles.node",
	.basic_size = sizeof(lc_node),
	.flags = CY_TYPE_CONTAINER,
	.traverse = node_traverse,
	.traverse_concurrent = node_traverse,
	.clear = node_clear,
};

static const cy_type payload_node_type = {
	.name = "linked_cycles.payload_node",
	.basic_size = sizeof(lc_payload_node),
	.item_size = 1,
	.flags = CY_TYPE_CONTAINER,
	.traverse = payload_node_traverse,
	.traverse_concurrent = payload_node_traverse,
	.clear = payload_node_clear,
};

static inline cy_object **next_slot(cy_object *o, int payload)
{
	return payload ? &((lc_payload_node *)o)->next : &((lc_node *)o)->next;
}

/*
 * A ring of length nodes; returns its first node with the caller's
 * reference (the ring's own references: each node owns the next), or NULL
 * when memory ran out (nothing is left allocated then).
 */
static inline cy_object *make_ring(int64_t length, size_t payload)
{
	const cy_type *type = payload ? &payload_node_type : &node_type;
	cy_object *first = cy_object_new(type, payload);
	if (CY_UNLIKELY(!first))
		return NULL;
	cy_object *last = first;
	for (int64_t i = 1; i < length; i++) {
		cy_object *node = cy_object_new(type, payload);
		if (CY_UNLIKELY(!node)) {
			cy_decref(first); /* a chain, not yet a ring: counting frees it */
			return NULL;
		}
		*next_slot(last, payload != 0) = node; /* last takes node's creation reference */
		last = node;
	}
	cy_incref(first);
	*next_slot(last, payload != 0) = first; /* closes the ring (a self-loop for length 1) */
	return first;
}

/* ---- the workload --------------------------------------------------------------- */

typedef struct lc_thread {
	uint64_t rng;
	cy_object **live; /* live_size slots, NULL or a ring's first node */
	int64_t kept;     /* rings put in the live set */
	int out_of_memory;
	char pad[36];
} lc_thread;

typedef struct lc_state {
	int64_t length, live_size;
	size_t payload;
	uint64_t keep_below; /* keep a ring when the top 53 bits of a draw are below this */
	lc_thread threads[];
} lc_state;

static inline uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static int lc_setup(cy_workload_run *run)
{
	lc_state *s = calloc(1, sizeof *s + run->threads * sizeof(lc_thread));
	if (!s) {
		cy_workload_error(run, "out of memory for the state of %u threads", run->threads);
		return -1;
	}
	s->length = cy_param_int(run, "length");
	s->live_size = cy_param_int(run, "live_size");
	s->payload = (size_t)cy_param_int(run, "payload");
	s->keep_below = (uint64_t)ldexp(cy_param_float(run, "live"), 53);
	for (unsigned i = 0; i < run->threads; i++) {
		lc_thread *t = &s->threads[i];
		t->rng = run->seed ^ (0x632be59bd9b4e019u * (i + 1));
		t->live = calloc((size_t)s->live_size, sizeof *t->live);
		if (!t->live) {
			for (unsigned j = 0; j < i; j++)
				free(s->threads[j].live);
			free(s);
			cy_workload_error(run, "out of memory for a live set of %lld slots",
				(long long)cy_param_int(run, "live_size"));
			return -1;
		}
	}
	run->state = s;
	return 0;
}

static void lc_thread_run(cy_workload_run *run, unsigned index)
{
	lc_state *s = run->state;
	lc_thread *t = &s->threads[index];
	const int64_t length = s->length, live_size = s->live_size;
	const size_t payload = s->payload;
	const uint64_t keep_below = s->keep_below;
	uint64_t rng = t->rng;
	int64_t kept = 0;
	int64_t batch;
	while ((batch = cy_workload_next_batch(run, index, 64)) > 0) {
		for (int64_t i = 0; i < batch; i++) {
			cy_object *ring = make_ring(length, payload);
			if (CY_UNLIKELY(!ring)) {
				t->out_of_memory = 1;
				goto out;
			}
			if ((splitmix64(&rng) >> 11) < keep_below) {
				/* Lemire's multiply-shift: a slot without a division. */
				uint64_t slot = (uint64_t)(((unsigned __int128)splitmix64(&rng) * (uint64_t)live_size) >> 64);
				cy_object *old = t->live[slot];
				t->live[slot] = ring; /* the slot takes our reference */
				cy_xdecref(old);
				kept++;
			} else {
				cy_decref(ring);
			}
		}
		cy_workload_count(run, index, batch);
		cy_safepoint();
	}
out:
	t->rng = rng;
	t->kept = kept;
}

static int lc_check(cy_workload_run *run, char *why, size_t len)
{
	lc_state *s = run->state;
	int64_t ops = 0, kept = 0;
	for (unsigned i = 0; i < run->threads; i++) {
		if (s->threads[i].out_of_memory) {
			snprintf(why, len, "thread %u ran out of memory building a ring", i);
			return -1;
		}
		ops += run->progress[i].ops;
		kept += s->threads[i].kept;
	}
	/* Every ring in a live set is intact: length nodes of our type, closing on the first. */
	int64_t steps_left = 10 * 1000 * 1000; /* bounded: a check, not a second benchmark */
	const cy_type *type = s->payload ? &payload_node_type : &node_type;
	for (unsigned i = 0; i < run->threads && steps_left > 0; i++) {
		for (int64_t slot = 0; slot < s->live_size && steps_left > 0; slot++) {
			cy_object *first = s->threads[i].live[slot], *node = first;
			if (!first)
				continue;
			for (int64_t k = 0; k < s->length; k++, steps_left--) {
				if (!node || node->ob_type != type) {
					snprintf(why, len, "thread %u slot %lld: ring broken after %lld nodes", i,
						(long long)slot, (long long)k);
					return -1;
				}
				node = *next_slot(node, s->payload != 0);
			}
			if (node != first) {
				snprintf(why, len, "thread %u slot %lld: ring does not close after %lld nodes", i,
					(long long)slot, (long long)s->length);
				return -1;
			}
		}
	}
	/* kept ~ Binomial(ops, live): six standard deviations and a little slack. */
	double p = cy_param_float(run, "live");
	double expected = (double)ops * p, spread = 6.0 * sqrt((double)ops * p * (1.0 - p)) + 8.0;
	if (fabs((double)kept - expected) > spread) {
		snprintf(why, len, "%lld of %lld rings kept, expected %.0f +- %.0f for live=%g", (long long)kept,
			(long long)ops, expected, spread, p);
		return -1;
	}
	cy_workload_metric(run, "kept_fraction", ops ? (double)kept / (double)ops : 0.0);
	cy_workload_metric(run, "nodes_per_op", (double)s->length);
	cy_workload_metric(run, "node_bytes", (double)(type->basic_size + s->payload));
	return 0;
}

static void lc_teardown(cy_workload_run *run)
{
	lc_state *s = run->state;
	if (!s)
		return;
	for (unsigned i = 0; i < run->threads; i++) {
		cy_object **live = s->threads[i].live;
		for (int64_t slot = 0; slot < s->live_size; slot++) {
			cy_object *ring = live[slot];
			live[slot] = NULL;
			cy_xdecref(ring);
		}
		free(live);
	}
	free(s);
	run->state = NULL;
}

const cy_workload_ops CY_SYM(cy_linked_cycles_ops) = {
	.setup = lc_setup,
	.thread = lc_thread_run,
	.check = lc_check,
	.teardown = lc_teardown,
};

#if CY_RC_VARIANT == 0

CY_WORKLOAD_DECLARE_OPS(cy_linked_cycles_ops);

static const cy_param_spec lc_params[] = {
	{.name = "length", .kind = CY_PARAM_INT, .default_value = "2", .min = 1, .max = 1000,
		.doc = "nodes per ring (2: the shape of the published comparisons with CPython, PHP, Nim ORC and Boehm)"},
	{.name = "live", .kind = CY_PARAM_FLOAT, .default_value = "0.05", .min = 0, .max = 1,
		.doc = "fraction of rings kept in the live set, each displacing an older one"},
	{.name = "live_size", .kind = CY_PARAM_INT, .default_value = "1000", .min = 1, .max = 10000000,
		.doc = "slots in each thread's live set"},
	{.name = "payload", .kind = CY_PARAM_INT, .default_value = "0", .min = 0, .max = 65536,
		.doc = "extra bytes carried inline by each node"},
};

static int lc_leaks_by_design(const cy_workload_run *run)
{
	return run->gc == CY_GC_MODE_OFF; /* every ring is garbage only a collector can free */
}

const cy_workload_def cy_workload_linked_cycles = {
	.name = "linked-cycles",
	.summary = "rings of nodes made and dropped; a fraction kept in a live set that turns over",
	.help = "Each operation builds one ring of `length` nodes, each node owning a reference to\n"
		"the next (a 2-node cycle by default, the shape CPython, PHP, Nim ORC and Boehm GC\n"
		"were measured on). With probability `live` the ring replaces a random slot of the\n"
		"thread's live set, otherwise it is dropped at once. Reference counting alone frees\n"
		"none of them: under --gc off every node leaks (by design). Threads share nothing.",
	.op_name = "ring created",
	.params = lc_params,
	.param_count = sizeof lc_params / sizeof lc_params[0],
	.ops = CY_WORKLOAD_OPS(cy_linked_cycles_ops),
	.leaks_by_design = lc_leaks_by_design,
};

#endif
