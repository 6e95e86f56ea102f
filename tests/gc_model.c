/*
 * gc_model.c: random graphs and the model of a full collection (gc_model.h
 * states the rules). Plain reachability over index arrays: nothing here
 * knows how the collector represents objects, lists or counts, so the two
 * can only agree by both following the documented semantics.
 *
 * Generation picks, per graph, a size (2..30 nodes, now and then 60..200),
 * a weight per kind (so some graphs are all finalizers, others mostly weak
 * references), a share of external nodes, and random edges (self-edges and
 * repeated edges included); then normalises it so that only the collector
 * frees anything.
 */
#include "tests/gc_model.h"

#include <string.h>

static uint64_t model_random(uint64_t *state)
{
	/* splitmix64 */
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned below(uint64_t *state, unsigned n) { return (unsigned)(model_random(state) % n); }

static const char *const kind_names[MODEL_KIND_COUNT] = {
	"plain", "finalizer", "resurrect-self", "resurrect-neighbour", "clearless", "clearless-finalizer", "weakref",
	"weakref-callback",
};

const char *model_kind_name(model_kind kind) { return (unsigned)kind < MODEL_KIND_COUNT ? kind_names[kind] : "?"; }

/* ---- reachability ------------------------------------------------------------------ */

/*
 * Mark in out every node reachable by strong edges from the nodes marked in
 * seeds (seeds included), never leaving the nodes marked in allowed (seeds
 * outside allowed are ignored).
 */
static void reach(const model_graph *g, const uint8_t *seeds, const uint8_t *allowed, uint8_t *out)
{
	int16_t queue[MODEL_MAX_NODES];
	int head = 0, tail = 0;
	memset(out, 0, MODEL_MAX_NODES);
	for (int i = 0; i < g->n; i++) {
		if (seeds[i] && allowed[i]) {
			out[i] = 1;
			queue[tail++] = (int16_t)i;
		}
	}
	while (head < tail) {
		const model_node *v = &g->node[queue[head++]];
		for (int e = 0; e < MODEL_MAX_EDGES; e++) {
			int t = v->edge[e];
			if (t >= 0 && allowed[t] && !out[t]) {
				out[t] = 1;
				queue[tail++] = (int16_t)t;
			}
		}
	}
}

/* Mark in out the nodes of allowed that lie on a cycle of allowed nodes (a self-edge counts). */
static void on_cycle(const model_graph *g, const uint8_t *allowed, uint8_t *out)
{
	uint8_t seeds[MODEL_MAX_NODES], reached[MODEL_MAX_NODES];
	memset(out, 0, MODEL_MAX_NODES);
	for (int i = 0; i < g->n; i++) {
		if (!allowed[i])
			continue;
		/* i is on a cycle when some successor of i, inside allowed, reaches i. */
		memset(seeds, 0, MODEL_MAX_NODES);
		for (int e = 0; e < MODEL_MAX_EDGES; e++) {
			int t = g->node[i].edge[e];
			if (t >= 0)
				seeds[t] = 1;
		}
		reach(g, seeds, allowed, reached);
		out[i] = reached[i];
	}
}

/* ---- generation and normalisation ---------------------------------------------- */

void model_normalise(model_graph *g)
{
	for (int i = 0; i < g->n; i++) {
		model_node *v = &g->node[i];
		for (int e = 0; e < MODEL_MAX_EDGES; e++) {
			if (v->edge[e] >= g->n)
				v->edge[e] = -1;
		}
		if (model_is_weakref(v)) {
			int r = v->referent;
			if (r < 0 || r >= g->n || model_is_weakref(&g->node[r])) {
				v->kind = MODEL_PLAIN;
				v->referent = -1;
			} else {
				for (int e = 0; e < MODEL_MAX_EDGES; e++)
					v->edge[e] = -1;
			}
		} else {
			v->referent = -1;
		}
		if (v->kind != MODEL_WEAKREF_CALLBACK && !model_has_finalizer(v))
			v->reenters = 0;
	}
	/* Whatever neither an external node nor a cycle keeps would die by its count when the test lets go. */
	uint8_t all[MODEL_MAX_NODES], cyclic[MODEL_MAX_NODES], seeds[MODEL_MAX_NODES] = {0}, kept[MODEL_MAX_NODES];
	memset(all, 1, MODEL_MAX_NODES);
	on_cycle(g, all, cyclic);
	for (int i = 0; i < g->n; i++)
		seeds[i] = g->node[i].external || cyclic[i];
	reach(g, seeds, all, kept);
	for (int i = 0; i < g->n; i++) {
		if (!kept[i])
			g->node[i].external = 1;
	}
}

/* Callback weak references that would end in the garbage list while their referent is cleared: plain ones. */
static void avoid_uncollectable_callbacks(model_graph *g)
{
	model_outcome expect;
	model_expect(g, &expect);
	for (int i = 0; i < g->n; i++) {
		model_node *v = &g->node[i];
		if (v->kind == MODEL_WEAKREF_CALLBACK && expect.in_garbage[i]) {
			v->kind = MODEL_WEAKREF;
			v->reenters = 0;
		}
	}
}

/* Callback weak references in U' to nodes of U': plain ones. */
static void avoid_garbage_callbacks(model_graph *g)
{
	model_outcome expect;
	model_expect(g, &expect);
	for (int i = 0; i < g->n; i++) {
		model_node *v = &g->node[i];
		if (v->kind == MODEL_WEAKREF_CALLBACK && expect.garbage_proper[i] && expect.garbage_proper[v->referent]) {
			v->kind = MODEL_WEAKREF;
			v->reenters = 0;
		}
	}
}

/* Cut every edge from U' into UC, then normalise again (which can change U), until none is left. */
static void avoid_garbage_into_uncollectable(model_graph *g)
{
	for (int round = 0; round < MODEL_MAX_NODES; round++) {
		model_outcome expect;
		model_expect(g, &expect);
		int cut = 0;
		for (int i = 0; i < g->n; i++) {
			model_node *v = &g->node[i];
			if (!expect.garbage_proper[i])
				continue;
			for (int e = 0; e < MODEL_MAX_EDGES; e++) {
				if (v->edge[e] >= 0 && expect.in_garbage[v->edge[e]]) {
					v->edge[e] = -1;
					cut = 1;
				}
			}
		}
		if (!cut)
			return;
		model_normalise(g);
	}
}

void model_generate(model_graph *g, uint64_t seed, const model_options *options)
{
	uint64_t rng = seed * 0x2545f4914f6cdd1dULL + 0x632be59bd9b4e019ULL;
	memset(g, 0, sizeof *g);
	if (options->large_every > 0 && below(&rng, (unsigned)options->large_every) == 0)
		g->n = 60 + (int)below(&rng, 141);
	else
		g->n = 2 + (int)below(&rng, 29);

	unsigned weight[MODEL_KIND_COUNT], total = 0;
	for (int k = 0; k < MODEL_KIND_COUNT; k++) {
		weight[k] = below(&rng, 4);
		/* Half the graphs have no clear-less node: otherwise much of the garbage is uncollectable. */
		if ((k == MODEL_CLEARLESS || k == MODEL_CLEARLESS_FINALIZER) && below(&rng, 2) == 0)
			weight[k] = 0;
	}
	weight[MODEL_PLAIN] += 2;
	for (int k = 0; k < MODEL_KIND_COUNT; k++)
		total += weight[k];
	unsigned external_percent = (unsigned[]){0, 5, 15, 30}[below(&rng, 4)];
	unsigned edges_max = 1 + below(&rng, MODEL_MAX_EDGES);

	int ordinary = 0; /* nodes that are not weak references: possible referents */
	for (int i = 0; i < g->n; i++) {
		model_node *v = &g->node[i];
		unsigned pick = below(&rng, total);
		int k = 0;
		while (pick >= weight[k]) {
			pick -= weight[k];
			k++;
		}
		v->kind = (uint8_t)k;
		v->external = below(&rng, 100) < external_percent;
		v->reenters = options->allow_reentry && below(&rng, 4) == 0;
		v->referent = -1;
		for (int e = 0; e < MODEL_MAX_EDGES; e++)
			v->edge[e] = -1;
		ordinary += !model_is_weakref(v);
	}
	int16_t referents[MODEL_MAX_NODES];
	int nreferents = 0;
	for (int i = 0; i < g->n; i++) {
		if (!model_is_weakref(&g->node[i]))
			referents[nreferents++] = (int16_t)i;
	}
	for (int i = 0; i < g->n; i++) {
		model_node *v = &g->node[i];
		if (model_is_weakref(v)) {
			if (ordinary == 0)
				v->kind = MODEL_PLAIN;
			else
				v->referent = referents[below(&rng, (unsigned)nreferents)];
		}
		if (model_is_weakref(v))
			continue;
		unsigned edges = below(&rng, edges_max + 1);
		for (unsigned e = 0; e < edges; e++)
			v->edge[below(&rng, MODEL_MAX_EDGES)] = (int16_t)below(&rng, (unsigned)g->n);
	}
	g->age = (int)below(&rng, 4); /* drawn last: it changes no other draw */
	model_normalise(g);
	if (!options->allow_garbage_into_uncollectable)
		avoid_garbage_into_uncollectable(g);
	if (!options->allow_uncollectable_callback)
		avoid_uncollectable_callbacks(g);
	if (!options->allow_garbage_callback)
		avoid_garbage_callbacks(g);
}

void model_remove_node(model_graph *g, int i)
{
	for (int j = i; j + 1 < g->n; j++)
		g->node[j] = g->node[j + 1];
	g->n--;
	for (int j = 0; j < g->n; j++) {
		model_node *v = &g->node[j];
		for (int e = 0; e < MODEL_MAX_EDGES; e++) {
			if (v->edge[e] == i)
				v->edge[e] = -1;
			else if (v->edge[e] > i)
				v->edge[e]--;
		}
		if (v->referent == i)
			v->referent = -1; /* normalising makes it a plain node */
		else if (v->referent > i)
			v->referent--;
	}
}

/* ---- the model ------------------------------------------------------------------------ */

static int64_t count_marked(const uint8_t *set, int n)
{
	int64_t c = 0;
	for (int i = 0; i < n; i++)
		c += set[i] != 0;
	return c;
}

void model_expect(const model_graph *g, model_outcome *out)
{
	const int n = g->n;
	uint8_t all[MODEL_MAX_NODES], external[MODEL_MAX_NODES] = {0}, live[MODEL_MAX_NODES];
	uint8_t unreachable[MODEL_MAX_NODES] = {0}, clearless[MODEL_MAX_NODES] = {0}, uncollectable[MODEL_MAX_NODES];
	uint8_t garbage[MODEL_MAX_NODES] = {0}, targets[MODEL_MAX_NODES], resurrected[MODEL_MAX_NODES];
	uint8_t freed[MODEL_MAX_NODES] = {0}, cyclic[MODEL_MAX_NODES], collected_again[MODEL_MAX_NODES];
	memset(out, 0, sizeof *out);
	memset(all, 1, MODEL_MAX_NODES);

	/* U: what no external node reaches. */
	for (int i = 0; i < n; i++)
		external[i] = g->node[i].external;
	reach(g, external, all, live);
	for (int i = 0; i < n; i++)
		unreachable[i] = !live[i];

	/* UC: clear-less nodes of U and all they reach in U. */
	for (int i = 0; i < n; i++)
		clearless[i] = model_is_clearless(&g->node[i]);
	reach(g, clearless, unreachable, uncollectable);

	/* U' = U - UC. */
	for (int i = 0; i < n; i++)
		garbage[i] = unreachable[i] && !uncollectable[i];

	/* Weak references to U' are cleared; those outside U' with a callback call back. */
	for (int i = 0; i < n; i++) {
		const model_node *v = &g->node[i];
		if (v->kind == MODEL_WEAKREF_CALLBACK && garbage[v->referent] && !garbage[i])
			out->called_back[i] = 1;
	}

	/* Every finalizer of U' runs once; the resurrecting ones store their target into the roots. */
	memset(targets, 0, MODEL_MAX_NODES);
	for (int i = 0; i < n; i++) {
		const model_node *v = &g->node[i];
		if (!garbage[i] || !model_has_finalizer(v))
			continue;
		out->finalized[i] = 1;
		int target = -1;
		if (v->kind == MODEL_RESURRECT_SELF) {
			target = i;
		} else if (v->kind == MODEL_RESURRECT_NEIGHBOUR) {
			for (int e = 0; e < MODEL_MAX_EDGES && target < 0; e++)
				target = v->edge[e];
		}
		if (target >= 0) {
			out->resurrected[target]++;
			targets[target] = 1;
		}
	}

	/* R: the targets in U' and all they reach there. */
	reach(g, targets, garbage, resurrected);
	for (int i = 0; i < n; i++)
		freed[i] = garbage[i] && !resurrected[i];

	out->collected = count_marked(freed, n);
	out->uncollectable = count_marked(uncollectable, n);
	out->found = out->collected + out->uncollectable;
	for (int i = 0; i < n; i++) {
		out->survives[i] = !freed[i];
		out->in_garbage[i] = uncollectable[i];
		out->garbage_proper[i] = garbage[i];
		if (out->survives[i] && model_is_weakref(&g->node[i]))
			out->weak_dead[i] = garbage[g->node[i].referent];
	}
	out->alive = count_marked(out->survives, n);

	/*
	 * Second collection, after the roots of R are dropped: counting frees
	 * what no cycle of R reaches (its finalizers have run; every weak
	 * reference to it is cleared), the collector the rest.
	 */
	on_cycle(g, resurrected, cyclic);
	reach(g, cyclic, resurrected, collected_again);
	out->found_again = count_marked(collected_again, n);
	out->alive_again = out->alive - count_marked(resurrected, n);
}

/* ---- comparison and printing ---------------------------------------------------------- */

static int differ_count(FILE *f, const char *what, int64_t expected, int64_t observed)
{
	if (expected == observed)
		return 0;
	if (f)
		fprintf(f, "  %s: %lld, expected %lld\n", what, (long long)observed, (long long)expected);
	return 1;
}

static int differ_node(FILE *f, const model_graph *g, int i, const char *what, int expected, int observed)
{
	if (expected == observed)
		return 0;
	if (f)
		fprintf(f, "  node %d (%s): %s %d, expected %d\n", i, model_kind_name(g->node[i].kind), what, observed,
			expected);
	return 1;
}

int model_compare(const model_graph *g, const model_outcome *expected, const model_outcome *observed, FILE *f)
{
	int d = 0;
	d += differ_count(f, "first collect returned", expected->found, observed->found);
	d += differ_count(f, "collected", expected->collected, observed->collected);
	d += differ_count(f, "uncollectable", expected->uncollectable, observed->uncollectable);
	d += differ_count(f, "alive after it", expected->alive, observed->alive);
	d += differ_count(f, "second collect returned", expected->found_again, observed->found_again);
	d += differ_count(f, "alive after the second", expected->alive_again, observed->alive_again);
	d += differ_count(f, "wrong answers inside finalizers and callbacks", expected->callout_errors,
		observed->callout_errors);
	for (int i = 0; i < g->n; i++) {
		d += differ_node(f, g, i, "finalized", expected->finalized[i], observed->finalized[i]);
		d += differ_node(f, g, i, "called back", expected->called_back[i], observed->called_back[i]);
		d += differ_node(f, g, i, "survives", expected->survives[i], observed->survives[i]);
		d += differ_node(f, g, i, "in the garbage list", expected->in_garbage[i], observed->in_garbage[i]);
		d += differ_node(f, g, i, "resurrected", expected->resurrected[i], observed->resurrected[i]);
		if (expected->survives[i] && observed->survives[i] && model_is_weakref(&g->node[i]))
			d += differ_node(f, g, i, "reads dead", expected->weak_dead[i], observed->weak_dead[i]);
	}
	return d;
}

void model_print(const model_graph *g, FILE *f)
{
	static const char *const ages[] = {"young", "generation 1", "generation 2", "half in generation 2"};
	fprintf(f, "  graph of %d nodes, %s:\n", g->n, ages[g->age & 3]);
	for (int i = 0; i < g->n; i++) {
		const model_node *v = &g->node[i];
		fprintf(f, "    %d %s%s%s", i, model_kind_name(v->kind), v->external ? " external" : "",
			v->reenters ? " reenters" : "");
		if (model_is_weakref(v))
			fprintf(f, " -weak-> %d", v->referent);
		int first = 1;
		for (int e = 0; e < MODEL_MAX_EDGES; e++) {
			if (v->edge[e] >= 0) {
				fprintf(f, "%s%d", first ? " -> " : ", ", v->edge[e]);
				first = 0;
			}
		}
		fputc('\n', f);
	}
}
