/*
 * test_gc_model.c: the collector against an independent model, on seeded
 * random graphs, in every collector configuration this program's counting
 * mode allows (compiled once per counting mode; concurrent is left out
 * with nonatomic counts).
 *
 * For each seed, gc_model.c draws a graph (kinds, edges, weak references,
 * external nodes, generations); this file builds it from real objects,
 * drops the test's references to every node that is not external, collects
 * fully, and records what happened: the number found, the collected and
 * uncollectable statistics, each finalizer and weak reference callback
 * that ran, which nodes are still alive (the collector's own list of
 * tracked objects, matched by address: nothing is allocated between the
 * collection and the look), which are in the garbage list, which surviving
 * weak references read as dead. Then it drops the roots the resurrecting
 * finalizers made and collects again. gc_model.c computes the same record
 * from the graph alone; any difference fails the test, after the graph has
 * been shrunk (nodes, edges, flags and kinds removed one at a time while it
 * still fails) and printed with the seed and a one-line form that rebuild
 * it. Finalizers and callbacks also check what they see: a callback's weak
 * reference reads as dead, a finalizer finds its own and its neighbours'
 * edges as built (nothing cleared yet), and, for nodes marked to re-enter,
 * the gc module answers as CPython's does during a collection (collect
 * returns 0, isenabled, the thresholds, the counts).
 *
 * Configurations (CYCLAB_MODEL_ONLY=LABEL runs one): stw; incremental
 * (cy_gc_collect, which finishes any incremental collection and collects
 * with the world stopped); incremental-slices (cy_gc_collect_incremental
 * and its slices, 1 us budget: an incremental collection takes the old
 * generations only, so the nodes are promoted first, and the second
 * collection is a young one plus an incremental one); concurrent (a budget
 * large enough for one verify batch); concurrent-short (1 us: many small
 * verify batches).
 *
 * Every graph is torn down to nothing before the next (uncollectable
 * cycles broken by hand), so each starts from an empty heap. A hang is cut
 * by a watchdog and a crash caught by a handler; both print the seed and
 * how to shrink the graph in child processes (CYCLAB_MODEL_SHRINK=LABEL,
 * see shrink_in_children), which the in-process shrinker cannot do.
 *
 * Environment: CYCLAB_TEST_SEED, the first seed (graph k uses seed + k);
 * CYCLAB_MODEL_SEED, run that one graph and print it with the difference;
 * CYCLAB_MODEL_GRAPH, run the graph written in model_format's one-line
 * form; CYCLAB_MODEL_GRAPHS, graphs per configuration (default 4000, 1000
 * under AddressSanitizer, 200 under ThreadSanitizer); CYCLAB_MODEL_WATCHDOG,
 * seconds per graph (30).
 *
 * Every feature is drawn in every configuration: garbage with edges into
 * the uncollectable part, callback weak references kept by gc.garbage,
 * gc calls from finalizers and callbacks during a collection, garbage weak
 * references whose referents are confirmed in other verify batches, nodes
 * shared by clear-less ones, resurrection followed by later full
 * collections. (Each of these once found a defect; each is a class of
 * graph the collector must keep getting right.)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collector/gc.h"
#include "runtime/atomics.h"
#include "runtime/variant.h"
#include "runtime/weakref.h"
#include "tests/gc_model.h"
#include "tests/test_support.h"

#ifdef __SANITIZE_THREAD__
enum { DEFAULT_GRAPHS = 200 };
#elif defined(__SANITIZE_ADDRESS__)
enum { DEFAULT_GRAPHS = 1000 };
#else
enum { DEFAULT_GRAPHS = 4000 };
#endif

enum {
	WATCHDOG_SECONDS = 30, /* per graph, both collections and the teardown */
	REPORTED_FAILURES = 3, /* per configuration: later ones are counted, not shrunk and printed */
	SHRINK_ATTEMPTS = 8,   /* runs of a candidate graph before the shrinker calls it passing */
	THRESHOLD0 = 700,
};

static const char *program_name = "test_gc_model";

/* ---- the node types ---------------------------------------------------------------- */

/*
 * One object per node that is not a weak reference: its index in the graph
 * and its strong edges, in the slots the model numbers. Every writer of a
 * slot on a shared object stores atomically and traverse loads with
 * acquire: the concurrent collector traverses while the test runs.
 */
typedef struct model_object {
	cy_object base;
	int32_t id;
	cy_object *edge[MODEL_MAX_EDGES];
} model_object;

static int model_object_traverse(cy_object *self, cy_visit_fn visit, void *arg)
{
	model_object *m = (model_object *)self;
	for (int e = 0; e < MODEL_MAX_EDGES; e++) {
		cy_object *t = cy_atomic_load_acquire(&m->edge[e]);
		if (t) {
			int r = visit(t, arg);
			if (r)
				return r;
		}
	}
	return 0;
}

static void release_edges(cy_object *self)
{
	model_object *m = (model_object *)self;
	cy_object *old[MODEL_MAX_EDGES];
	for (int e = 0; e < MODEL_MAX_EDGES; e++) {
		old[e] = m->edge[e];
		cy_atomic_store_relaxed(&m->edge[e], NULL);
	}
	for (int e = 0; e < MODEL_MAX_EDGES; e++)
		cy_xdecref(old[e]);
}

/* Clear-less types still release their edges when their count reaches zero. */
static void clearless_dealloc(cy_object *self)
{
	release_edges(self);
	cy_object_free(self);
}

static void model_finalize(cy_object *self);

#define MODEL_TYPE(type_name, clear_fn, dealloc_fn, finalize_fn)                                            \
	{                                                                                                  \
		.name = type_name, .basic_size = sizeof(model_object), .flags = CY_TYPE_CONTAINER,           \
		.traverse = model_object_traverse, .traverse_concurrent = model_object_traverse,             \
		.clear = clear_fn, .dealloc = dealloc_fn, .finalize = finalize_fn,                           \
	}

/* Indexed by model_kind; the weak reference kinds are cy_weakref_type. */
static const cy_type node_types[MODEL_WEAKREF] = {
	[MODEL_PLAIN] = MODEL_TYPE("model plain", release_edges, NULL, NULL),
	[MODEL_FINALIZER] = MODEL_TYPE("model finalizer", release_edges, NULL, model_finalize),
	[MODEL_RESURRECT_SELF] = MODEL_TYPE("model resurrect-self", release_edges, NULL, model_finalize),
	[MODEL_RESURRECT_NEIGHBOUR] = MODEL_TYPE("model resurrect-neighbour", release_edges, NULL, model_finalize),
	[MODEL_CLEARLESS] = MODEL_TYPE("model clearless", NULL, clearless_dealloc, NULL),
	[MODEL_CLEARLESS_FINALIZER] = MODEL_TYPE("model clearless-finalizer", NULL, clearless_dealloc, model_finalize),
};

static int is_model_object(const cy_object *o)
{
	const cy_type *t = cy_type_of(o);
	return t >= &node_types[0] && t < &node_types[MODEL_WEAKREF];
}

/* ---- one graph's run ------------------------------------------------------------------- */

/*
 * The graph being run and its record. Finalizers and callbacks write it
 * (on the collector's thread in concurrent mode, while the test waits for
 * the collection: the wait orders their writes before the test's reads).
 */
static struct graph_run {
	const model_graph *graph;
	model_outcome *observed;
	cy_object *objects[MODEL_MAX_NODES]; /* valid while the node is alive */
	cy_object *roots[2 * MODEL_MAX_NODES]; /* what resurrecting finalizers stored */
	int nroots;
	int quiet; /* tearing down: finalizers and callbacks do nothing */
	int sliced; /* collect with cy_gc_collect_incremental and its slices, not cy_gc_collect */
} run;

/* Address to node index: open addressing over the graph's objects. */
enum { LOOKUP_SLOTS = 4 * MODEL_MAX_NODES };
static struct {
	cy_object *key[LOOKUP_SLOTS];
	int16_t id[LOOKUP_SLOTS];
} lookup;

static size_t lookup_slot(const cy_object *o)
{
	return (size_t)(((uintptr_t)o >> 4) * 0x9e3779b97f4a7c15ULL >> 32) % LOOKUP_SLOTS;
}

static void lookup_add(cy_object *o, int id)
{
	size_t s = lookup_slot(o);
	while (lookup.key[s])
		s = (s + 1) % LOOKUP_SLOTS;
	lookup.key[s] = o;
	lookup.id[s] = (int16_t)id;
}

static int lookup_find(const cy_object *o)
{
	for (size_t s = lookup_slot(o); lookup.key[s]; s = (s + 1) % LOOKUP_SLOTS) {
		if (lookup.key[s] == o)
			return lookup.id[s];
	}
	return -1;
}

/* What CPython's gc module answers while a collection runs. */
static void reenter(void)
{
	if (cy_gc_collect(2) != 0)
		run.observed->callout_errors++;
	if (cy_gc_isenabled() != 0)
		run.observed->callout_errors++;
	int64_t values[CY_GC_GENERATIONS];
	cy_gc_get_threshold(values);
	if (values[0] != THRESHOLD0)
		run.observed->callout_errors++;
	cy_gc_get_count(values);
	if (values[0] < 0 || values[1] < 0 || values[2] < 0)
		run.observed->callout_errors++;
}

/* Are o's edges still those the graph gave it (nothing cleared yet)? */
static int edges_intact(const model_object *o)
{
	const model_node *v = &run.graph->node[o->id];
	for (int e = 0; e < MODEL_MAX_EDGES; e++) {
		cy_object *t = cy_atomic_load_acquire(&o->edge[e]);
		if (t != (v->edge[e] >= 0 ? run.objects[v->edge[e]] : NULL))
			return 0;
	}
	return 1;
}

/*
 * PEP 442: every finalizer of the garbage runs before anything is cleared,
 * so a finalizer finds its own edges and its neighbours' as built.
 */
static void check_intact(const model_object *m)
{
	if (!edges_intact(m)) {
		run.observed->callout_errors++;
		return;
	}
	for (int e = 0; e < MODEL_MAX_EDGES; e++) {
		cy_object *t = m->edge[e];
		if (t && is_model_object(t) && !edges_intact((const model_object *)t))
			run.observed->callout_errors++;
	}
}

static void model_finalize(cy_object *self)
{
	if (run.quiet)
		return;
	model_object *m = (model_object *)self;
	const model_node *v = &run.graph->node[m->id];
	run.observed->finalized[m->id]++;
	check_intact(m);
	if (v->reenters)
		reenter();
	cy_object *target = NULL;
	if (v->kind == MODEL_RESURRECT_SELF) {
		target = self;
	} else if (v->kind == MODEL_RESURRECT_NEIGHBOUR) {
		for (int e = 0; e < MODEL_MAX_EDGES && !target; e++)
			target = cy_atomic_load_acquire(&m->edge[e]);
	}
	if (target) {
		int id = lookup_find(target);
		if (id < 0 || run.nroots == 2 * MODEL_MAX_NODES) {
			run.observed->callout_errors++;
			return;
		}
		cy_incref(target);
		run.roots[run.nroots++] = target;
		run.observed->resurrected[id]++;
	}
}

static void model_called_back(cy_object *weakref, void *data)
{
	if (run.quiet)
		return;
	int id = (int)(intptr_t)data;
	run.observed->called_back[id]++;
	cy_object *referent = cy_weakref_get(weakref);
	if (referent) {
		run.observed->callout_errors++; /* a callback runs once its referent is dead */
		cy_decref(referent);
	}
	if (run.graph->node[id].reenters)
		reenter();
}

/* arg: the per-node record to mark (survives or survives_again). */
static void note_alive(cy_object *o, void *arg)
{
	uint8_t *alive = arg;
	int id = lookup_find(o);
	if (id >= 0)
		alive[id] = 1;
}

/* Move everything alive to generation 1 (generations 1 and 2: to 2); nothing may be garbage yet. */
static void promote(int generations)
{
	for (int i = 0; i < generations; i++)
		assert_int_equal(cy_gc_collect(i), 0);
}

static void build(const model_graph *g)
{
	memset(&lookup, 0, sizeof lookup);
	int objects = 0;
	for (int i = 0; i < g->n; i++)
		objects += !model_is_weakref(&g->node[i]);
	int made = 0;
	for (int i = 0; i < g->n; i++) {
		const model_node *v = &g->node[i];
		if (model_is_weakref(v))
			continue;
		if (g->age == 3 && made++ == objects / 2)
			promote(2);
		model_object *m = (model_object *)cy_object_new(&node_types[v->kind], 0);
		assert_non_null(m);
		m->id = i;
		run.objects[i] = &m->base;
	}
	for (int i = 0; i < g->n; i++) {
		const model_node *v = &g->node[i];
		if (!model_is_weakref(v))
			continue;
		cy_weakref_callback cb = v->kind == MODEL_WEAKREF_CALLBACK ? model_called_back : NULL;
		run.objects[i] = cy_weakref_new(run.objects[v->referent], cb, (void *)(intptr_t)i);
		assert_non_null(run.objects[i]);
	}
	for (int i = 0; i < g->n; i++) {
		const model_node *v = &g->node[i];
		lookup_add(run.objects[i], i);
		if (model_is_weakref(v))
			continue;
		model_object *m = (model_object *)run.objects[i];
		for (int e = 0; e < MODEL_MAX_EDGES; e++) {
			if (v->edge[e] >= 0) {
				cy_incref(run.objects[v->edge[e]]);
				cy_setref_published(&m->edge[e], run.objects[v->edge[e]]);
			}
		}
	}
	if (g->age == 1 || g->age == 2)
		promote(g->age);
	else if (run.sliced)
		promote(1); /* an incremental collection takes the old generations only: young ones to generation 1 */
}

/*
 * Take every node still alive, break all its edges by hand (what a Python
 * program does with gc.garbage), and let the counts free everything: the
 * next graph starts from an empty heap, and the teardown runs no
 * collection of its own, whose outcome nobody checks.
 */
static struct {
	cy_object *items[MODEL_MAX_NODES];
	int n;
} still_alive;

static void note_still_alive(cy_object *o, void *arg)
{
	(void)arg;
	if (lookup_find(o) >= 0 && still_alive.n < MODEL_MAX_NODES)
		still_alive.items[still_alive.n++] = o;
}

static void tear_down(const model_graph *g)
{
	run.quiet = 1;
	still_alive.n = 0;
	cy_gc_get_objects(-1, note_still_alive, NULL);
	for (int i = 0; i < still_alive.n; i++)
		cy_incref(still_alive.items[i]);
	for (int i = 0; i < still_alive.n; i++) {
		if (is_model_object(still_alive.items[i]))
			release_edges(still_alive.items[i]);
	}
	for (int i = 0; i < run.nroots; i++)
		cy_decref(run.roots[i]);
	run.nroots = 0;
	for (int i = 0; i < g->n; i++) {
		if (g->node[i].external)
			cy_decref(run.objects[i]);
	}
	cy_gc_garbage_clear();
	for (int i = 0; i < still_alive.n; i++)
		cy_decref(still_alive.items[i]);
	run.quiet = 0;
}

static cy_gc_collection_info last_info;

static void keep_last_info(int start, const cy_gc_collection_info *info, void *arg)
{
	(void)arg;
	if (!start)
		last_info = *info;
}

/* One full collection by the path under test; what it found (collected plus uncollectable). */
static int64_t collect_fully(void)
{
	if (!run.sliced)
		return cy_gc_collect(2);
	assert_int_equal(cy_gc_collect_incremental(2), 0);
	while (cy_gc_incremental_slice())
		;
	return last_info.collected + last_info.uncollectable;
}

static void generation_two_stats(int64_t *collected, int64_t *uncollectable)
{
	cy_gc_generation_stats stats[CY_GC_GENERATIONS];
	cy_gc_get_stats(stats);
	*collected = stats[2].collected;
	*uncollectable = stats[2].uncollectable;
}

/* Run g; fill observed. Returns nonzero if the heap was not back to empty afterwards (a leak). */
static int run_graph(const model_graph *g, model_outcome *observed)
{
	memset(observed, 0, sizeof *observed);
	run.graph = g;
	run.observed = observed;
	run.nroots = 0;
	int64_t base = cy_objects_live();

	build(g);
	for (int i = 0; i < g->n; i++) {
		if (!g->node[i].external)
			cy_decref(run.objects[i]);
	}
	/* Normalised: the counts alone freed nothing. */
	assert_int_equal(cy_objects_live() - base, g->n);

	int64_t collected0, uncollectable0, collected1, uncollectable1;
	generation_two_stats(&collected0, &uncollectable0);
	observed->found = collect_fully();
	generation_two_stats(&collected1, &uncollectable1);
	observed->collected = collected1 - collected0;
	observed->uncollectable = uncollectable1 - uncollectable0;
	observed->alive = cy_objects_live() - base;

	cy_gc_get_objects(-1, note_alive, observed->survives);
	size_t garbage = cy_gc_garbage_count();
	for (size_t i = 0; i < garbage; i++) {
		int id = lookup_find(cy_gc_garbage_item(i));
		if (id >= 0) {
			observed->in_garbage[id] = 1;
			observed->survives[id] = 1;
		}
	}
	for (int i = 0; i < g->n; i++) {
		if (observed->survives[i] && model_is_weakref(&g->node[i]))
			observed->weak_dead[i] = cy_weakref_peek(run.objects[i]) == NULL;
	}

	for (int i = 0; i < run.nroots; i++)
		cy_decref(run.roots[i]);
	run.nroots = 0;
	/*
	 * An incremental collection takes the old generations only; the
	 * collection before may have left survivors young: a young collection
	 * first, and the two together must find what the model expects.
	 */
	observed->found_again = run.sliced ? cy_gc_collect(0) : 0;
	observed->found_again += collect_fully();
	observed->alive_again = cy_objects_live() - base;
	cy_gc_get_objects(-1, note_alive, observed->survives_again);
	for (size_t i = 0; i < cy_gc_garbage_count(); i++) {
		int id = lookup_find(cy_gc_garbage_item(i));
		if (id >= 0)
			observed->survives_again[id] = 1;
	}

	tear_down(g);
	return cy_objects_live() != base;
}

/* ---- the watchdog and the crash report ------------------------------------------------------ */

/*
 * Prepared before each graph runs, so that a hang or a crash (an abort in
 * the collector, a fault) still names the seed that rebuilds the graph.
 * The handlers write with write(2); printing the graph is best effort (not
 * async-signal-safe, but the process is dying either way).
 */
static char watchdog_message[320], crash_message[320];
static size_t watchdog_length, crash_length;
static const model_graph *graph_running;

static void watchdog_fired(int sig)
{
	(void)sig;
	ssize_t ignored = write(2, watchdog_message, watchdog_length);
	(void)ignored;
	_exit(3);
}

static void crashed(int sig)
{
	ssize_t ignored = write(2, crash_message, crash_length);
	(void)ignored;
	if (graph_running)
		model_print(graph_running, stderr);
	signal(sig, SIG_DFL);
	raise(sig);
}


/* given: the graph came from CYCLAB_MODEL_GRAPH, not from seed. */
static size_t prepare(char *buffer, size_t size, uint64_t seed, int given, const char *label, const char *what)
{
	char source[64];
	if (given)
		snprintf(source, sizeof source, "the graph of CYCLAB_MODEL_GRAPH");
	else
		snprintf(source, sizeof source, "seed %" PRIu64, seed);
	char how[64];
	if (given)
		snprintf(how, sizeof how, "the same CYCLAB_MODEL_GRAPH");
	else
		snprintf(how, sizeof how, "CYCLAB_MODEL_SEED=%" PRIu64, seed);
	int n = snprintf(buffer, size,
		"gc_model: %s (%s, %s counting) %s; shrink it in child processes with: "
		"%sCYCLAB_MODEL_SHRINK=%s %s %s\n",
		source, label, cy_rc_mode_name(CY_RC_MODE), what, "", label, how, program_name);
	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

static unsigned watchdog_seconds = WATCHDOG_SECONDS;

static void watchdog_arm(const model_graph *g, uint64_t seed, int given, const char *label)
{
	char what[64];
	snprintf(what, sizeof what, "did not finish in %u s", watchdog_seconds);
	watchdog_length = prepare(watchdog_message, sizeof watchdog_message, seed, given, label, what);
	crash_length = prepare(crash_message, sizeof crash_message, seed, given, label, "crashed");
	graph_running = g;
	alarm(watchdog_seconds);
}

static void watchdog_disarm(void)
{
	alarm(0);
	graph_running = NULL;
}

/* ---- the driver ------------------------------------------------------------------------------ */

static int64_t env_count(const char *name, int64_t fallback)
{
	const char *s = getenv(name);
	if (!s || !*s)
		return fallback;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (*end != '\0' || v < 0) {
		fprintf(stderr, "%s: not a count: %s\n", name, s);
		exit(2);
	}
	return v;
}



/* The features to draw: all of them. */
static model_options graph_options(void)
{
	model_options o = {
		.allow_shared_uncollectable = 1,
		.allow_resurrection = 1,
		.allow_garbage_callback = 1,
		.allow_reentry = 1,
		.allow_uncollectable_callback = 1,
		.allow_garbage_into_uncollectable = 1,
		.large_every = 50,
	};
	return o;
}

/*
 * Does g still differ from the model (or leak)? Tried a few times: with a
 * small pause budget, how the collector splits its work depends on time,
 * and so may whether a graph fails.
 */
static int still_fails(const model_graph *g)
{
	model_outcome expected, observed;
	model_expect(g, &expected);
	for (int attempt = 0; attempt < SHRINK_ATTEMPTS; attempt++) {
		int leaked = run_graph(g, &observed);
		if (leaked || model_compare(g, &expected, &observed, NULL) != 0)
			return 1;
	}
	return 0;
}

/*
 * Delta debugging, one step at a time: keep each removal after which the
 * graph still fails and has no feature of a class the run left out (so a
 * graph does not shrink into another known failure).
 */
static model_options shrink_options;

static void shrink(model_graph *g, int (*fails)(const model_graph *))
{
	for (int progress = 1; progress;) {
		progress = 0;
		for (int i = g->n - 1; i >= 0 && g->n > 1; i--) {
			model_graph *t = malloc(sizeof *t);
			assert_non_null(t);
			*t = *g;
			model_remove_node(t, i);
			model_normalise(t);
			if (model_within_options(t, &shrink_options) && fails(t)) {
				*g = *t;
				progress = 1;
			}
			free(t);
		}
		for (int i = 0; i < g->n; i++) {
			for (int step = 0; step < MODEL_MAX_EDGES + 5; step++) {
				model_graph *t = malloc(sizeof *t);
				assert_non_null(t);
				*t = *g;
				model_node *v = &t->node[i];
				int changed = 0;
				if (step < MODEL_MAX_EDGES) {
					changed = v->edge[step] >= 0;
					v->edge[step] = -1;
				} else if (step == MODEL_MAX_EDGES) {
					changed = v->external;
					v->external = 0;
				} else if (step == MODEL_MAX_EDGES + 1) {
					changed = v->reenters;
					v->reenters = 0;
				} else if (step == MODEL_MAX_EDGES + 2) {
					changed = !model_is_weakref(v) && v->kind != MODEL_PLAIN;
					if (changed)
						v->kind = MODEL_PLAIN;
				} else if (step == MODEL_MAX_EDGES + 3) {
					/* A simpler finalizer, or a clear-less node without one. */
					changed = model_has_finalizer(v) && v->kind != MODEL_FINALIZER;
					if (changed)
						v->kind = v->kind == MODEL_CLEARLESS_FINALIZER ? MODEL_CLEARLESS : MODEL_FINALIZER;
				} else {
					changed = v->kind == MODEL_WEAKREF_CALLBACK && !v->reenters;
					if (changed)
						v->kind = MODEL_WEAKREF;
				}
				if (changed) {
					model_normalise(t);
					if (model_within_options(t, &shrink_options) && fails(t)) {
						*g = *t;
						progress = 1;
					}
				}
				free(t);
			}
		}
	}
}

/* ---- the collector configurations -------------------------------------------------------------- */

/* The ways each graph is collected; CYCLAB_MODEL_ONLY and CYCLAB_MODEL_SHRINK name one by its label. */
typedef struct configuration {
	const char *label;
	cy_gc_mode mode;
	int sliced;         /* cy_gc_collect_incremental and its slices instead of cy_gc_collect */
	uint64_t budget_us; /* pause budget; 1 us: as many slices and verify batches as the collection allows */
} configuration;

static const configuration configurations[] = {
	{"stw", CY_GC_MODE_STW, 0, 200},
	{"incremental", CY_GC_MODE_INCREMENTAL, 0, 200},
	{"incremental-slices", CY_GC_MODE_INCREMENTAL, 1, 1},
	{"concurrent", CY_GC_MODE_CONCURRENT, 0, 200}, /* the default pause budget */
	{"concurrent-short", CY_GC_MODE_CONCURRENT, 0, 1},
};
enum { CONFIGURATIONS = sizeof configurations / sizeof configurations[0] };

static const configuration *configuration_named(const char *label)
{
	for (int i = 0; i < CONFIGURATIONS; i++) {
		if (strcmp(configurations[i].label, label) == 0)
			return &configurations[i];
	}
	fprintf(stderr, "gc_model: unknown configuration '%s' (stw, incremental, incremental-slices, concurrent, "
			"concurrent-short)\n", label);
	exit(2);
}


/* The graph CYCLAB_MODEL_GRAPH gives, if any (a bad one: one line and exit 2). */
static int graph_from_environment(model_graph *g)
{
	const char *text = getenv("CYCLAB_MODEL_GRAPH");
	if (!text || !*text)
		return 0;
	char error[200];
	if (model_parse(text, g, error, sizeof error) != 0) {
		fprintf(stderr, "CYCLAB_MODEL_GRAPH: %s\n", error);
		exit(2);
	}
	return 1;
}

static char graph_line[16384];

static void report(const model_graph *g, uint64_t seed, const configuration *c, const model_outcome *expected,
	const model_outcome *observed, int leaked)
{
	printf("gc_model: seed %" PRIu64 ", %s, %s counting: the collector differs from the model\n", seed, c->label,
		cy_rc_mode_name(CY_RC_MODE));
	if (leaked)
		printf("  objects left alive after the teardown\n");
	model_compare(g, expected, observed, stdout);
	model_print(g, stdout);
	printf("  rerun: %sCYCLAB_MODEL_SEED=%" PRIu64 " CYCLAB_MODEL_ONLY=%s %s\n", "", seed,
		c->label, program_name);
	model_graph *small = malloc(sizeof *small);
	assert_non_null(small);
	*small = *g;
	shrink(small, still_fails);
	model_outcome e, o;
	model_expect(small, &e);
	int small_leaked = run_graph(small, &o);
	printf("  shrunk to %d nodes:\n", small->n);
	if (small_leaked)
		printf("  objects left alive after the teardown\n");
	model_compare(small, &e, &o, stdout);
	model_print(small, stdout);
	model_format(small, graph_line, sizeof graph_line);
	printf("  rerun: CYCLAB_MODEL_GRAPH='%s' CYCLAB_MODEL_ONLY=%s %s\n", graph_line, c->label, program_name);
	free(small);
	fflush(stdout);
}

/* What the model expected over a run: shows the graphs reach every rule. */
typedef struct coverage {
	int64_t graphs, nodes, collected, uncollectable, finalized, resurrected, callbacks, collected_again;
} coverage;

static void cover(coverage *c, const model_graph *g, const model_outcome *e)
{
	c->graphs++;
	c->nodes += g->n;
	c->collected += e->collected;
	c->uncollectable += e->uncollectable;
	c->collected_again += e->found_again;
	for (int i = 0; i < g->n; i++) {
		c->finalized += e->finalized[i];
		c->resurrected += e->resurrected[i] > 0;
		c->callbacks += e->called_back[i];
	}
}

/* Every graph under one configuration. */
static void run_configuration(const configuration *c)
{
	const char *only = getenv("CYCLAB_MODEL_ONLY");
	if (only && *only && configuration_named(only) != c)
		skip();
	if (c->mode == CY_GC_MODE_CONCURRENT && CY_RC_MODE == CY_RC_NONATOMIC)
		skip(); /* the collector thread reads counts: refused with nonatomic counting */
	assert_int_equal(cy_gc_start(c->mode), 0);
	run.sliced = c->sliced;
	cy_gc_set_pause_budget_us(c->budget_us);
	if (c->sliced)
		assert_int_equal(cy_gc_callback_add(keep_last_info, NULL), 0);
	cy_gc_disable();
	cy_gc_set_threshold(THRESHOLD0, 10, 10);
	cy_gc_set_debug(0);
	cy_gc_collect(2);
	static const int crash_signals[] = {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL};
	struct sigaction saved[sizeof crash_signals / sizeof crash_signals[0]];
	for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++) {
		struct sigaction sa = {.sa_handler = crashed};
		sigemptyset(&sa.sa_mask);
		sigaction(crash_signals[i], &sa, &saved[i]);
	}
	signal(SIGALRM, watchdog_fired);
	watchdog_seconds = (unsigned)env_count("CYCLAB_MODEL_WATCHDOG", WATCHDOG_SECONDS);

	model_options options = graph_options();
	shrink_options = options;
	model_graph *g = malloc(sizeof *g);
	assert_non_null(g);
	int given = graph_from_environment(g);
	int64_t one = env_count("CYCLAB_MODEL_SEED", -1);
	uint64_t first = one >= 0 ? (uint64_t)one : cy_test_seed();
	int64_t graphs = given || one >= 0 ? 1 : env_count("CYCLAB_MODEL_GRAPHS", DEFAULT_GRAPHS);
	int verbose = given || one >= 0;
	if (given)
		printf("gc_model: the graph of CYCLAB_MODEL_GRAPH, %s, %s counting\n", c->label, cy_rc_mode_name(CY_RC_MODE));
	else
		printf("gc_model: %" PRId64 " graphs from seed %" PRIu64 ", %s, %s counting\n", graphs, first, c->label,
			cy_rc_mode_name(CY_RC_MODE));

	int64_t failures = 0;
	coverage cov = {0};
	for (int64_t k = 0; k < graphs; k++) {
		uint64_t seed = first + (uint64_t)k;
		if (!given)
			model_generate(g, seed, &options);
		model_outcome expected, observed;
		model_expect(g, &expected);
		cover(&cov, g, &expected);
		watchdog_arm(g, seed, given, c->label);
		int leaked = run_graph(g, &observed);
		int differs = leaked || model_compare(g, &expected, &observed, NULL) != 0;
		if (verbose) {
			model_print(g, stdout);
			printf("  %s\n", differs ? "differs:" : "agrees with the model");
			if (leaked)
				printf("  objects left alive after the teardown\n");
			model_compare(g, &expected, &observed, stdout);
		} else if (differs && ++failures <= REPORTED_FAILURES) {
			report(g, seed, c, &expected, &observed, leaked);
		}
		failures += verbose && differs;
		watchdog_disarm();
	}
	free(g);
	for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++)
		sigaction(crash_signals[i], &saved[i], NULL);
	printf("gc_model: %s %s: %" PRId64 " graphs, %" PRId64 " nodes, %" PRId64 " differ; the model expected %" PRId64
	       " collected, %" PRId64 " uncollectable, %" PRId64 " finalizers, %" PRId64 " resurrected, %" PRId64
	       " callbacks, %" PRId64 " collected after resurrection\n",
		c->label, cy_rc_mode_name(CY_RC_MODE), cov.graphs, cov.nodes, failures, cov.collected, cov.uncollectable,
		cov.finalized, cov.resurrected, cov.callbacks, cov.collected_again);
	if (c->sliced)
		cy_gc_callback_remove(keep_last_info, NULL);
	cy_gc_set_pause_budget_us(200);
	run.sliced = 0;
	assert_int_equal(cy_gc_start(CY_GC_MODE_STW), 0);
	cy_gc_enable();
	assert_int_equal(failures, 0);
}

static void model_agrees_stop_the_world(void **state)
{
	(void)state;
	run_configuration(configuration_named("stw"));
}

/* cy_gc_collect in incremental mode: the same stop-the-world collection, after finishing any incremental one. */
static void model_agrees_incremental(void **state)
{
	(void)state;
	run_configuration(configuration_named("incremental"));
}

/* The incremental collector's own path: cy_gc_collect_incremental, then slices of a 1 us budget. */
static void model_agrees_incremental_in_slices(void **state)
{
	(void)state;
	run_configuration(configuration_named("incremental-slices"));
}

static void model_agrees_concurrent(void **state)
{
	(void)state;
	run_configuration(configuration_named("concurrent"));
}

/* The same with a 1 us pause budget: the verify slices confirm the garbage in many small batches. */
static void model_agrees_concurrent_in_short_slices(void **state)
{
	(void)state;
	run_configuration(configuration_named("concurrent-short"));
}

/* ---- graphs with answers worked out by hand ------------------------------------------------------ */

/*
 * The model checked against numbers derived by hand from the rules in
 * gc_model.h, then the collector (stop-the-world) against the model.
 */
typedef struct known_answer {
	const char *graph;
	int64_t found, uncollectable, found_again, finalized, callbacks;
} known_answer;

static const known_answer known_answers[] = {
	{"age 0: plain -> 0", 1, 0, 0, 0, 0},
	{"age 0: plain -> 1; plain -> 0", 2, 0, 0, 0, 0},
	{"age 0: plain external -> 1; plain -> 1", 0, 0, 0, 0, 0},
	{"age 0: finalizer -> 1; finalizer -> 0", 2, 0, 0, 2, 0},
	/* Resurrected with the node it reaches; collected on the second collection, not finalized again. */
	{"age 0: resurrect-self -> 1; plain -> 0", 0, 0, 2, 1, 0},
	/* The neighbour survives alone; when its root goes, its count frees it (no cycle left). */
	{"age 1: resurrect-neighbour -> 1, 0; plain", 1, 0, 0, 1, 0},
	{"age 2: resurrect-neighbour -> 1; plain -> 2; plain -> 0", 0, 0, 3, 1, 0},
	/* A weak reference held only by the garbage never calls back; one held by the test does. */
	{"age 0: plain -> 0, 1; weakref-callback ~> 0", 2, 0, 0, 0, 0},
	{"age 0: plain -> 0; weakref-callback external ~> 0", 1, 0, 0, 0, 1},
	/* Cleared before finalizers: the callback runs although its referent is then resurrected. */
	{"age 0: resurrect-self -> 0; weakref-callback external ~> 0", 0, 0, 1, 1, 1},
	/* Clear-less: uncollectable with all it reaches; nothing finalized, its weak references kept. */
	{"age 0: clearless-finalizer -> 1; plain -> 0; weakref-callback external ~> 1", 2, 2, 0, 0, 0},
};

static void known_answers_hold(void **state)
{
	(void)state;
	assert_int_equal(cy_gc_start(CY_GC_MODE_STW), 0);
	cy_gc_disable();
	cy_gc_collect(2);
	model_graph *g = malloc(sizeof *g);
	assert_non_null(g);
	int failures = 0;
	for (size_t i = 0; i < sizeof known_answers / sizeof known_answers[0]; i++) {
		const known_answer *a = &known_answers[i];
		char error[200];
		if (model_parse(a->graph, g, error, sizeof error) != 0)
			fail_msg("'%s': %s", a->graph, error);
		model_outcome e, o;
		model_expect(g, &e);
		int64_t finalized = 0, callbacks = 0;
		for (int j = 0; j < g->n; j++) {
			finalized += e.finalized[j];
			callbacks += e.called_back[j];
		}
		if (e.found != a->found || e.uncollectable != a->uncollectable || e.found_again != a->found_again ||
			finalized != a->finalized || callbacks != a->callbacks) {
			printf("the model's answer for '%s' is wrong: found %" PRId64 " uncollectable %" PRId64
			       " found again %" PRId64 " finalized %" PRId64 " callbacks %" PRId64 "\n",
				a->graph, e.found, e.uncollectable, e.found_again, finalized, callbacks);
			failures++;
		}
		int leaked = run_graph(g, &o);
		if (leaked || model_compare(g, &e, &o, NULL)) {
			printf("the collector differs on '%s':\n", a->graph);
			model_compare(g, &e, &o, stdout);
			failures++;
		}
		/* The one-line form reads back as the same graph. */
		model_graph *back = malloc(sizeof *back);
		assert_non_null(back);
		model_format(g, graph_line, sizeof graph_line);
		assert_int_equal(model_parse(graph_line, back, error, sizeof error), 0);
		assert_int_equal(memcmp(g, back, sizeof *g), 0);
		free(back);
	}
	free(g);
	cy_gc_enable();
	assert_int_equal(failures, 0);
}

/* ---- shrinking in child processes ------------------------------------------------------------------ */

/*
 * A graph that crashes or hangs the collector kills the process that runs
 * it, so the in-process shrinker cannot reduce it. With CYCLAB_MODEL_SHRINK
 * set to a configuration's label, this program instead runs each candidate
 * graph in a fresh copy of itself (fork and exec, before the runtime
 * starts any thread), with CYCLAB_MODEL_GRAPH and CYCLAB_MODEL_ONLY set and
 * a short watchdog, and calls it failing when the child does not exit 0.
 */
static const char *shrink_label;
static char self_path[4096];

static int fails_in_child_once(const model_graph *g)
{
	model_format(g, graph_line, sizeof graph_line);
	pid_t pid = fork();
	if (pid < 0) {
		perror("gc_model: fork");
		exit(2);
	}
	if (pid == 0) {
		setenv("CYCLAB_MODEL_GRAPH", graph_line, 1);
		setenv("CYCLAB_MODEL_ONLY", shrink_label, 1);
		setenv("CYCLAB_MODEL_WATCHDOG", "3", 1);
		unsetenv("CYCLAB_MODEL_SHRINK");
		unsetenv("CYCLAB_MODEL_SEED");
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		char *args[] = {self_path, NULL};
		execv(self_path, args);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("gc_model: waitpid");
			exit(2);
		}
	}
	return !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int fails_in_child(const model_graph *g)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		if (fails_in_child_once(g))
			return 1;
	}
	return 0;
}

static int shrink_in_children(void)
{
	const configuration *c = configuration_named(shrink_label);
	ssize_t n = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
	if (n <= 0) {
		fprintf(stderr, "gc_model: cannot find this program's path\n");
		return 2;
	}
	self_path[n] = '\0';
	model_graph *g = malloc(sizeof *g);
	if (!g)
		return 2;
	shrink_options = graph_options();
	if (!graph_from_environment(g)) {
		int64_t seed = env_count("CYCLAB_MODEL_SEED", -1);
		if (seed < 0) {
			fprintf(stderr, "gc_model: CYCLAB_MODEL_SHRINK needs CYCLAB_MODEL_SEED or CYCLAB_MODEL_GRAPH\n");
			return 2;
		}
		model_generate(g, (uint64_t)seed, &shrink_options);
	}
	if (!fails_in_child(g)) {
		printf("gc_model: the graph does not fail under %s in a fresh process: nothing to shrink\n", c->label);
		free(g);
		return 1;
	}
	shrink(g, fails_in_child);
	printf("gc_model: shrunk to %d nodes, still failing under %s:\n", g->n, c->label);
	model_print(g, stdout);
	model_format(g, graph_line, sizeof graph_line);
	printf("  rerun: CYCLAB_MODEL_GRAPH='%s' CYCLAB_MODEL_ONLY=%s %s\n", graph_line, c->label, program_name);
	free(g);
	return 0;
}

int main(int argc, char **argv)
{
	(void)argc;
	program_name = argv[0];
	setvbuf(stdout, NULL, _IOLBF, 0); /* a crash or the watchdog keeps what was printed */
	shrink_label = getenv("CYCLAB_MODEL_SHRINK");
	if (shrink_label && *shrink_label)
		return shrink_in_children();
	if (cy_gc_start(CY_GC_MODE_STW) != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cy_test(known_answers_hold),
		cy_test(model_agrees_stop_the_world),
		cy_test(model_agrees_incremental),
		cy_test(model_agrees_incremental_in_slices),
		cy_test(model_agrees_concurrent),
		cy_test(model_agrees_concurrent_in_short_slices),
	};
	return cy_run_tests("gc_model", tests, sizeof tests / sizeof tests[0], CY_RC_MODE);
}
