/*
 * binary_trees.c: the `binary-trees` workload, the allocation stress of the
 * Computer Language Benchmarks Game's binary-trees and of Boehm's GCBench
 * (Ellis, Kovac and Boehm): build complete binary trees of a given depth,
 * walk each once to count its nodes, drop it, and keep one long-lived tree
 * of a larger depth alive for the whole run.
 *
 * What it measures: allocation and deallocation of small containers in
 * bursts (a tree of depth d is 2^(d+1) - 1 nodes, all freed by one
 * decrement of the root), and, with a collector, the cost of a large
 * long-lived structure that every full collection must traverse. Trees are
 * acyclic, so reference counting frees everything; the collector finds no
 * garbage here.
 *
 * Invariants: every tree walked has exactly 2^(d+1) - 1 nodes (each thread
 * tallies the walks that did not, and check() requires none); the
 * long-lived tree is built in setup, never written while threads run, and
 * dropped in teardown.
 *
 * Sharing: each thread builds and drops its own trees. The long-lived tree
 * is shared read-only: nobody increments or decrements inside it until
 * teardown, on thread 0, after the threads have joined.
 *
 * Compiled once per reference-counting mode (runtime/variant.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "runtime/object.h"
#include "runtime/variant.h"
#include "workloads/scenarios.h"

typedef struct tree_node {
	cy_object base;
	cy_object *left;
	cy_object *right;
} tree_node;

/*
 * Children are read with acquire loads and written with atomic stores
 * (release when building), so the concurrent collector may traverse a node
 * that a young collection promoted while its builder was still filling it.
 */
static int tree_traverse(cy_object *self, cy_visit_fn visit, void *arg)
{
	tree_node *n = (tree_node *)self;
	cy_object *left = cy_atomic_load_acquire(&n->left);
	cy_object *right = cy_atomic_load_acquire(&n->right);
	int r;
	if (left && (r = visit(left, arg)) != 0)
		return r;
	return right ? visit(right, arg) : 0;
}

static void tree_clear(cy_object *self)
{
	tree_node *n = (tree_node *)self;
	cy_object *left = n->left, *right = n->right;
	cy_atomic_store_relaxed(&n->left, NULL);
	cy_atomic_store_relaxed(&n->right, NULL);
	cy_xdecref(left);
	cy_xdecref(right);
}

static const cy_type tree_node_type = {
	.name = "tree node",
	.basic_size = sizeof(tree_node),
	.flags = CY_TYPE_CONTAINER,
	.traverse = tree_traverse,
	.traverse_concurrent = tree_traverse,
	.clear = tree_clear,
};

/* A complete tree of the given depth (depth 0 is one node), or NULL without memory. */
static cy_object *tree_build(int depth)
{
	tree_node *n = (tree_node *)cy_object_new(&tree_node_type, 0);
	if (!n)
		return NULL;
	if (depth == 0)
		return &n->base;
	cy_atomic_store_release(&n->left, tree_build(depth - 1));
	cy_atomic_store_release(&n->right, tree_build(depth - 1));
	if (!n->left || !n->right) {
		cy_decref(&n->base);
		return NULL;
	}
	return &n->base;
}

static int64_t tree_count(const cy_object *o)
{
	const tree_node *n = (const tree_node *)o;
	return 1 + (n->left ? tree_count(n->left) : 0) + (n->right ? tree_count(n->right) : 0);
}

typedef struct trees_state {
	int depth;
	int long_depth;
	cy_object *long_lived;
	cy_tally tally[CY_WORKLOAD_MAX_THREADS]; /* a: trees built, b: trees of the wrong size, c: allocation failures */
} trees_state;

static int trees_setup(cy_workload_run *run)
{
	trees_state *s = cy_scenario_state_new(sizeof *s);
	if (!s) {
		cy_workload_error(run, "binary-trees: out of memory");
		return -1;
	}
	s->depth = (int)cy_param_int(run, "depth");
	s->long_depth = (int)cy_param_int(run, "long_depth");
	if (s->long_depth > 0) {
		s->long_lived = tree_build(s->long_depth);
		if (!s->long_lived) {
			cy_workload_error(run, "binary-trees: out of memory building the long-lived tree of depth %d",
				s->long_depth);
			free(s);
			return -1;
		}
	}
	run->state = s;
	return 0;
}

static void trees_thread(cy_workload_run *run, unsigned index)
{
	trees_state *s = run->state;
	cy_tally *t = &s->tally[index];
	int64_t expected = ((int64_t)1 << (s->depth + 1)) - 1;
	while (!cy_workload_should_stop(run, index)) {
		cy_object *tree = tree_build(s->depth);
		if (!tree) {
			t->c++;
			break;
		}
		if (tree_count(tree) != expected)
			t->b++;
		cy_decref(tree);
		t->a++;
		cy_workload_count(run, index, 1);
		cy_safepoint();
	}
}

static int trees_check(cy_workload_run *run, char *why, size_t len)
{
	trees_state *s = run->state;
	int64_t wrong = 0, failed = 0;
	for (unsigned i = 0; i < run->threads; i++) {
		wrong += s->tally[i].b;
		failed += s->tally[i].c;
	}
	if (failed) {
		snprintf(why, len, "%lld tree builds ran out of memory", (long long)failed);
		return -1;
	}
	if (wrong) {
		snprintf(why, len, "%lld trees did not have 2^(depth+1)-1 nodes", (long long)wrong);
		return -1;
	}
	if (s->long_lived && tree_count(s->long_lived) != ((int64_t)1 << (s->long_depth + 1)) - 1) {
		snprintf(why, len, "the long-lived tree lost nodes");
		return -1;
	}
	return 0;
}

static void trees_teardown(cy_workload_run *run)
{
	trees_state *s = run->state;
	if (!s)
		return;
	cy_xdecref(s->long_lived);
	free(s);
	run->state = NULL;
}

const cy_workload_ops CY_SYM(cy_binary_trees_ops) = {
	.setup = trees_setup,
	.thread = trees_thread,
	.check = trees_check,
	.teardown = trees_teardown,
};

#if CY_RC_VARIANT == 0
CY_WORKLOAD_DECLARE_OPS(cy_binary_trees_ops);

static const cy_param_spec binary_trees_params[] = {
	{"depth", CY_PARAM_INT, "10", 0, 24, NULL, "depth of each short-lived tree (2^(depth+1)-1 nodes)"},
	{"long_depth", CY_PARAM_INT, "16", 0, 24, NULL,
		"depth of the tree kept alive for the whole run (0: none)"},
};

const cy_workload_def cy_workload_binary_trees = {
	.name = "binary-trees",
	.summary = "build, walk and drop complete binary trees; keep one long-lived tree (GCBench)",
	.help = "The allocation stress of the Benchmarks Game's binary-trees and Boehm's GCBench. Each "
		"operation builds a complete binary tree of depth `depth` out of two-field containers, "
		"walks it to count its nodes and drops it; one tree of depth `long_depth` is built "
		"before the run and kept alive until the end, so every full collection has a large "
		"live structure to traverse. Threads build their own trees. Trees are acyclic: "
		"reference counting frees everything and nothing may leak.",
	.op_name = "tree built and dropped",
	.params = binary_trees_params,
	.param_count = sizeof binary_trees_params / sizeof binary_trees_params[0],
	.ops = CY_WORKLOAD_OPS(cy_binary_trees_ops),
};
#endif
