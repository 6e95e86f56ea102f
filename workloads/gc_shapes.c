/*
 * gc_shapes.c: the `gc-collect` and `gc-traversal` workloads, the shapes of
 * pyperformance's two collector benchmarks (bm_gc_collect and
 * bm_gc_traversal).
 *
 * gc-collect: each operation builds one ring of `ring_nodes` nodes (21 in
 * pyperformance: a first node and 20 links), doubly linked, so every node
 * holds two references and the ring is garbage that only a collector can
 * free the moment it is let go. After `rings` operations the thread calls
 * a full collection, as the benchmark calls gc.collect(). The collection is
 * explicit, so the workload leaks nothing under --gc off either; under stw
 * automatic collections also run in between.
 *
 * gc-traversal: setup builds one large live structure of `objects`
 * containers (a complete binary tree, a chain, or one list holding them
 * all), and each operation is one full collection over it that must find
 * no garbage: the cost of traversing live objects, which generational
 * collection exists to avoid and a full collection cannot.
 *
 * Invariants: a collection of gc-collect finds at most what was dropped
 * (exactly what this thread dropped since its last collection when one
 * thread runs without automatic collections); gc-traversal's collections
 * find nothing. Both are checked in check().
 *
 * Sharing: gc-collect threads share nothing but the collector. The
 * gc-traversal structure is built in setup, read by the collector only,
 * and dropped in teardown; the workload is single-threaded (collections
 * serialise anyway).
 *
 * Compiled once per reference-counting mode (runtime/variant.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "collector/gc.h"
#include "runtime/types.h"
#include "runtime/variant.h"
#include "workloads/scenarios.h"

typedef struct gc_node {
	cy_object base;
	cy_object *a; /* next in a ring or chain, left child in a tree */
	cy_object *b; /* previous in a ring, right child in a tree */
} gc_node;

/*
 * a and b are read with acquire loads and written with atomic stores
 * (release when linking), so the concurrent collector may traverse nodes
 * while they are being linked or cleared (object.h, traverse_concurrent).
 */
static int gc_node_traverse(cy_object *self, cy_visit_fn visit, void *arg)
{
	gc_node *n = (gc_node *)self;
	cy_object *a = cy_atomic_load_acquire(&n->a), *b = cy_atomic_load_acquire(&n->b);
	int r;
	if (a && (r = visit(a, arg)) != 0)
		return r;
	return b ? visit(b, arg) : 0;
}

static void link_field(cy_object **field, gc_node *to) { cy_atomic_store_release(field, &to->base); }

static void gc_node_clear(cy_object *self)
{
	gc_node *n = (gc_node *)self;
	cy_object *a = n->a, *b = n->b;
	cy_atomic_store_relaxed(&n->a, NULL);
	cy_atomic_store_relaxed(&n->b, NULL);
	cy_xdecref(a);
	cy_xdecref(b);
}

static const cy_type gc_node_type = {
	.name = "gc node",
	.basic_size = sizeof(gc_node),
	.flags = CY_TYPE_CONTAINER,
	.traverse = gc_node_traverse,
	.traverse_concurrent = gc_node_traverse,
	.clear = gc_node_clear,
};

static gc_node *gc_node_new(void) { return (gc_node *)cy_object_new(&gc_node_type, 0); }

/* ---- gc-collect --------------------------------------------------------------- */

typedef struct collect_state {
	int64_t ring_nodes;
	int64_t rings;
	cy_tally tally[CY_WORKLOAD_MAX_THREADS]; /* a: nodes dropped, b: nodes found, c: exact-count mismatches or OOM */
} collect_state;

/* Build a ring of n doubly linked nodes and drop it; -1 when not even its first node could be made. */
static int ring_drop(int64_t n)
{
	gc_node *first = gc_node_new();
	if (!first)
		return -1;
	gc_node *last = first; /* borrowed: the ring owns it */
	for (int64_t i = 1; i < n; i++) {
		gc_node *node = gc_node_new();
		if (!node)
			break; /* close what was built: a shorter ring, still collectable */
		link_field(&last->a, node); /* the chain takes our reference */
		cy_incref(&last->base);
		link_field(&node->b, last);
		last = node;
	}
	cy_incref(&first->base);
	link_field(&last->a, first);
	cy_incref(&last->base);
	link_field(&first->b, last);
	cy_decref(&first->base);
	return 0;
}

static int collect_setup(cy_workload_run *run)
{
	collect_state *s = cy_scenario_state_new(sizeof *s);
	if (!s) {
		cy_workload_error(run, "gc-collect: out of memory");
		return -1;
	}
	s->ring_nodes = cy_param_int(run, "ring_nodes");
	s->rings = cy_param_int(run, "rings");
	run->state = s;
	return 0;
}

static void collect_thread(cy_workload_run *run, unsigned index)
{
	collect_state *s = run->state;
	cy_tally *t = &s->tally[index];
	int exact = run->threads == 1 && run->gc == CY_GC_MODE_OFF;
	int64_t since_collection = 0, n;
	while ((n = cy_workload_next_batch(run, index, s->rings - since_collection)) > 0) {
		for (int64_t i = 0; i < n; i++) {
			if (ring_drop(s->ring_nodes) != 0) {
				t->c++;
				return;
			}
		}
		t->a += n * s->ring_nodes;
		since_collection += n;
		cy_workload_count(run, index, n);
		if (since_collection == s->rings) {
			int64_t found = cy_gc_collect(CY_GC_GENERATIONS - 1);
			t->b += found;
			if (exact && found != s->rings * s->ring_nodes)
				t->c++;
			since_collection = 0;
		}
		cy_safepoint();
	}
	/* Rings dropped since the last collection are collected too, so none outlives the run. */
	if (since_collection > 0)
		t->b += cy_gc_collect(CY_GC_GENERATIONS - 1);
}

static int collect_check(cy_workload_run *run, char *why, size_t len)
{
	collect_state *s = run->state;
	int64_t dropped = 0, found = 0, bad = 0;
	for (unsigned i = 0; i < run->threads; i++) {
		dropped += s->tally[i].a;
		found += s->tally[i].b;
		bad += s->tally[i].c;
	}
	if (bad) {
		snprintf(why, len, "%lld collections did not find exactly the rings dropped before them (or memory ran out)",
			(long long)bad);
		return -1;
	}
	if (found > dropped) {
		snprintf(why, len, "collections found %lld objects but only %lld were dropped", (long long)found,
			(long long)dropped);
		return -1;
	}
	return 0;
}

static void collect_teardown(cy_workload_run *run)
{
	free(run->state);
	run->state = NULL;
}

const cy_workload_ops CY_SYM(cy_gc_collect_ops) = {
	.setup = collect_setup,
	.thread = collect_thread,
	.check = collect_check,
	.teardown = collect_teardown,
};

/* ---- gc-traversal --------------------------------------------------------------- */

typedef struct traversal_state {
	cy_object *root;
	int64_t objects;
	int64_t collections;
	int64_t found; /* garbage found by our collections: must stay 0 */
} traversal_state;

/* objects nodes as a complete binary tree (node i owns 2i+1 and 2i+2), or a chain; the root, or NULL. */
static cy_object *build_linked(int64_t objects, int tree)
{
	gc_node **nodes = malloc((size_t)objects * sizeof *nodes);
	if (!nodes)
		return NULL;
	int64_t made = 0;
	for (; made < objects; made++) {
		if (!(nodes[made] = gc_node_new()))
			break;
	}
	/* Each node's reference passes to its parent; the root's stays ours. */
	for (int64_t i = 1; i < made; i++) {
		gc_node *parent = tree ? nodes[(i - 1) / 2] : nodes[i - 1];
		if (tree && i % 2 == 0)
			link_field(&parent->b, nodes[i]);
		else
			link_field(&parent->a, nodes[i]);
	}
	cy_object *root = made ? &nodes[0]->base : NULL;
	free(nodes);
	if (made < objects) {
		cy_xdecref(root);
		return NULL;
	}
	return root;
}

static cy_object *build_list(int64_t objects)
{
	cy_object *list = cy_list_new();
	for (int64_t i = 0; list && i < objects; i++) {
		gc_node *node = gc_node_new();
		int err = node ? cy_list_append(list, &node->base) : CY_ERR_NOMEM;
		if (node)
			cy_decref(&node->base);
		if (err != 0) {
			cy_decref(list);
			return NULL;
		}
	}
	return list;
}

static int traversal_setup(cy_workload_run *run)
{
	traversal_state *s = calloc(1, sizeof *s);
	if (!s) {
		cy_workload_error(run, "gc-traversal: out of memory");
		return -1;
	}
	const char *shape = cy_param_choice(run, "shape");
	s->objects = cy_param_int(run, "objects");
	if (shape[0] == 't')
		s->root = build_linked(s->objects, 1);
	else if (shape[0] == 'c')
		s->root = build_linked(s->objects, 0);
	else
		s->root = build_list(s->objects);
	if (!s->root) {
		cy_workload_error(run, "gc-traversal: out of memory building %lld objects", (long long)s->objects);
		free(s);
		return -1;
	}
	/* Start from a clean heap: whatever was garbage before the run is not ours to count. */
	cy_gc_collect(CY_GC_GENERATIONS - 1);
	run->state = s;
	return 0;
}

static void traversal_thread(cy_workload_run *run, unsigned index)
{
	traversal_state *s = run->state;
	while (cy_workload_next_batch(run, index, 1) > 0) {
		s->found += cy_gc_collect(CY_GC_GENERATIONS - 1);
		s->collections++;
		cy_workload_count(run, index, 1);
		cy_safepoint();
	}
}

static int traversal_check(cy_workload_run *run, char *why, size_t len)
{
	traversal_state *s = run->state;
	if (s->found != 0) {
		snprintf(why, len, "%lld collections over a live structure found %lld garbage objects",
			(long long)s->collections, (long long)s->found);
		return -1;
	}
	return 0;
}

static void traversal_teardown(cy_workload_run *run)
{
	traversal_state *s = run->state;
	if (!s)
		return;
	cy_xdecref(s->root);
	free(s);
	run->state = NULL;
}

const cy_workload_ops CY_SYM(cy_gc_traversal_ops) = {
	.setup = traversal_setup,
	.thread = traversal_thread,
	.check = traversal_check,
	.teardown = traversal_teardown,
};

#if CY_RC_VARIANT == 0
CY_WORKLOAD_DECLARE_OPS(cy_gc_collect_ops);
CY_WORKLOAD_DECLARE_OPS(cy_gc_traversal_ops);

static const cy_param_spec gc_collect_params[] = {
	{.name = "ring_nodes", .kind = CY_PARAM_INT, .default_value = "21", .min = 2, .max = 100000,
		.doc = "nodes per doubly linked ring (pyperformance: 21)"},
	{.name = "rings", .kind = CY_PARAM_INT, .default_value = "100", .min = 1, .max = 10000000,
		.doc = "rings each thread drops between its full collections (pyperformance: 100)"},
};

const cy_workload_def cy_workload_gc_collect = {
	.name = "gc-collect",
	.summary = "many rings of 21 doubly linked nodes dropped, then collected (pyperformance gc_collect)",
	.help = "The shape of pyperformance's gc_collect benchmark. Each operation builds one ring of "
		"`ring_nodes` nodes, each linked to its neighbours both ways, and drops it: garbage "
		"only a collector can free. After `rings` rings the thread runs a full collection "
		"(gc.collect()), so nothing leaks even under --gc off; under stw automatic "
		"collections run in between as well.",
	.op_name = "ring dropped",
	.params = gc_collect_params,
	.param_count = sizeof gc_collect_params / sizeof gc_collect_params[0],
	.ops = CY_WORKLOAD_OPS(cy_gc_collect_ops),
};

static const cy_param_spec gc_traversal_params[] = {
	{.name = "objects", .kind = CY_PARAM_INT, .default_value = "100000", .min = 1, .max = 100000000,
		.doc = "containers in the live structure"},
	{.name = "shape", .kind = CY_PARAM_CHOICE, .default_value = "tree", .choices = "tree|chain|list",
		.doc = "complete binary tree, singly linked chain, or one list holding every node"},
};

const cy_workload_def cy_workload_gc_traversal = {
	.name = "gc-traversal",
	.summary = "full collections over a large live structure that holds no garbage (pyperformance gc_traversal)",
	.help = "The shape of pyperformance's gc_traversal benchmark. Setup builds `objects` live "
		"containers (a complete binary tree, a chain, or one list holding them all); each "
		"operation is one full collection, which must traverse every one of them and find "
		"no garbage. Single-threaded: collections serialise.",
	.op_name = "full collection",
	.params = gc_traversal_params,
	.param_count = sizeof gc_traversal_params / sizeof gc_traversal_params[0],
	.single_thread_only = 1,
	.ops = CY_WORKLOAD_OPS(cy_gc_traversal_ops),
};
#endif
