/*
 * gc_model.h: random object graphs and an independent model of what one
 * full collection must do to them, for test_gc_model.c.
 *
 * A graph is a list of nodes, each of one kind (a plain container, one with
 * a finalizer, finalizers that resurrect, containers without clear, weak
 * references with or without callbacks), with up to MODEL_MAX_EDGES strong
 * edges to other nodes and, for a weak reference, one weak edge to its
 * referent. Some nodes are external: the test keeps holding them; the test
 * drops its reference to every other node, then collects once.
 *
 * The model knows nothing of the collector: it reads the graph alone and
 * computes, with plain reachability over arrays, what CPython's gc module
 * (Python/gc.c, the PEP 442 order) would do, with cyclab's documented
 * difference (collector/gc.h: weak references to the garbage are cleared
 * before finalizers run, so an object a finalizer resurrects has lost them):
 *
 *   U   unreachable: nodes no external node reaches by strong edges.
 *   UC  uncollectable: the nodes of U without clear and all they reach in
 *       U (CPython's legacy-finalizer rule, cyclab's for clear-less types).
 *       They go to the garbage list untouched: not finalized, their weak
 *       references kept.
 *   U'  = U - UC, the garbage proper.
 *   Weak references to nodes of U' are cleared; each that has a callback
 *   and is not itself in U' calls back once (one in UC does: CPython treats
 *   gc.garbage as alive).
 *   Every finalizer of U' runs exactly once, before anything is cleared.
 *   Resurrected: the nodes a finalizer stored into the test's root array,
 *   and all they reach in U'; they survive (call that R).
 *   Freed: U' - R. collect returns |U' - R| + |UC|.
 *
 * The graphs are normalised so that dropping the test's references frees
 * nothing by reference counting alone (the generator closes a cycle
 * through such a node where it can; normalising makes the rest external):
 * every finalizer and callback that runs is the collector's doing. A second step drops the resurrected nodes' roots
 * and collects again: reference counting frees the part of R that no cycle
 * of R reaches, the collection the rest, and no finalizer runs twice.
 *
 * model_options leave features out of random graphs (each a class of
 * known failures, test_gc_model.c lists them): the generator edits a graph
 * until it has none (kinds changed, edges cut), and model_within_options
 * tells the shrinker which candidates stay inside.
 *
 * Invariants of a normalised graph: edge targets and referents are valid
 * node indices or -1; weak references own no strong edges and name a node
 * that is not a weak reference; every node is external, reachable from an
 * external node, or reachable from a cycle.
 */
#ifndef CY_TEST_GC_MODEL_H
#define CY_TEST_GC_MODEL_H

#include <stdint.h>
#include <stdio.h>

enum {
	MODEL_MAX_NODES = 256,
	MODEL_MAX_EDGES = 4,
};

typedef enum model_kind {
	MODEL_PLAIN,               /* traverse and clear */
	MODEL_FINALIZER,           /* and a finalizer that notes it ran */
	MODEL_RESURRECT_SELF,      /* finalizer stores the node itself into the test's roots */
	MODEL_RESURRECT_NEIGHBOUR, /* finalizer stores its first edge's target into the test's roots */
	MODEL_CLEARLESS,           /* traverse but no clear */
	MODEL_CLEARLESS_FINALIZER, /* no clear, and a finalizer */
	MODEL_WEAKREF,             /* a weak reference without callback */
	MODEL_WEAKREF_CALLBACK,    /* a weak reference with a callback */
	MODEL_KIND_COUNT,
} model_kind;

typedef struct model_node {
	uint8_t kind;     /* model_kind */
	uint8_t external; /* the test holds it through the collection */
	uint8_t reenters; /* its finalizer or callback calls into the gc module */
	int16_t edge[MODEL_MAX_EDGES]; /* strong edges, -1 for none */
	int16_t referent;              /* weak references: the node named, else -1 */
} model_node;

typedef struct model_graph {
	int n;
	/*
	 * Where the nodes are when the test lets go: 0 all young, 1 all in
	 * generation 1, 2 all in generation 2, 3 the first half of the objects
	 * in generation 2 and the rest young. A full collection must not care:
	 * the model ignores it.
	 */
	int age;
	model_node node[MODEL_MAX_NODES];
} model_graph;

/* What to put in random graphs. */
typedef struct model_options {
	int allow_reentry;   /* finalizers and callbacks that call into the gc module */
	int allow_uncollectable_callback; /* callback weak references that can end in the garbage list */
	int allow_garbage_into_uncollectable; /* edges from U' into UC */
	int allow_garbage_callback; /* callback weak references in U' to nodes of U' (they must not call back) */
	int allow_resurrection; /* resurrecting finalizers */
	int allow_shared_uncollectable; /* a node of UC reached from two clear-less nodes that do not reach each other */
	int large_every;     /* one graph in this many has 60..200 nodes (0: never) */
} model_options;

/* Expected (or observed) outcome, per node where it is per node. */
typedef struct model_outcome {
	int64_t found;         /* the first collection's return */
	int64_t collected;     /* its collected and uncollectable statistics */
	int64_t uncollectable;
	int64_t found_again;   /* the second collection's return, after dropping resurrection roots */
	int64_t alive;         /* nodes alive after the first collection */
	int64_t alive_again;   /* after the second */
	int64_t callout_errors; /* wrong answers seen inside finalizers and callbacks (a live referent, a gc call) */
	uint8_t finalized[MODEL_MAX_NODES];     /* finalizer runs over both collections */
	uint8_t called_back[MODEL_MAX_NODES];   /* callbacks run over both collections */
	uint8_t survives[MODEL_MAX_NODES];      /* alive after the first collection */
	uint8_t survives_again[MODEL_MAX_NODES]; /* alive and tracked after the second */
	uint8_t in_garbage[MODEL_MAX_NODES];    /* in the garbage list after it */
	uint8_t weak_dead[MODEL_MAX_NODES];     /* weak references alive after it: reads as dead */
	uint8_t resurrected[MODEL_MAX_NODES];   /* times stored into the test's roots */
	uint8_t garbage_proper[MODEL_MAX_NODES]; /* the model's U' (not observed, not compared) */
} model_outcome;

/* A random normalised graph from seed. */
void model_generate(model_graph *g, uint64_t seed, const model_options *options);

/* Nonzero if g has none of the features options leave out (the shrinker keeps to the classes it started in). */
int model_within_options(const model_graph *g, const model_options *options);

/* Two clear-less nodes of U that do not reach each other reach a common node. */
int model_has_shared_uncollectable(const model_graph *g);

/* Make a graph normalised (after the shrinker edited it): see the header. */
void model_normalise(model_graph *g);

/* Remove node i, renumbering the rest; weak references that named it become plain nodes. */
void model_remove_node(model_graph *g, int i);

/* The expected outcome of the two collections. */
void model_expect(const model_graph *g, model_outcome *out);

/* Nonzero if they differ; each difference is printed as one line to f (NULL: silent). */
int model_compare(const model_graph *g, const model_outcome *expected, const model_outcome *observed, FILE *f);

/* The graph, one node a line. */
void model_print(const model_graph *g, FILE *f);

/*
 * The graph as one line that model_parse reads back:
 *   age A: KIND [external] [reenters] [-> E0,E1,...] [~> R]; KIND ...
 * nodes in order from 0; edges by slot, "-" for an empty one; "~> R" is a
 * weak reference's referent. Returns the length it needed (as snprintf).
 */
size_t model_format(const model_graph *g, char *buffer, size_t size);

/* Read model_format's line into g (normalised). 0, or -1 with a one-line reason in error. */
int model_parse(const char *text, model_graph *g, char *error, size_t error_size);

const char *model_kind_name(model_kind kind);

static inline int model_is_weakref(const model_node *n)
{
	return n->kind == MODEL_WEAKREF || n->kind == MODEL_WEAKREF_CALLBACK;
}

static inline int model_has_finalizer(const model_node *n)
{
	return n->kind == MODEL_FINALIZER || n->kind == MODEL_RESURRECT_SELF || n->kind == MODEL_RESURRECT_NEIGHBOUR ||
	       n->kind == MODEL_CLEARLESS_FINALIZER;
}

static inline int model_is_clearless(const model_node *n)
{
	return n->kind == MODEL_CLEARLESS || n->kind == MODEL_CLEARLESS_FINALIZER;
}

#endif
