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

/* Fields within bounds, weak references without strong edges, naming a node that is not one. */
static void sanitise(model_graph *g)
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
}

void model_normalise(model_graph *g)
{
	sanitise(g);
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

/* Nodes that the counts alone would free when the test lets go (see model_normalise). */
static int first_unkept(const model_graph *g)
{
	uint8_t all[MODEL_MAX_NODES], cyclic[MODEL_MAX_NODES], seeds[MODEL_MAX_NODES] = {0}, kept[MODEL_MAX_NODES];
	memset(all, 1, MODEL_MAX_NODES);
	on_cycle(g, all, cyclic);
	for (int i = 0; i < g->n; i++)
		seeds[i] = g->node[i].external || cyclic[i];
	reach(g, seeds, all, kept);
	for (int i = 0; i < g->n; i++) {
		if (!kept[i])
			return i;
	}
	return -1;
}

static int free_slot(const model_node *v)
{
	if (model_is_weakref(v))
		return -1;
	for (int e = 0; e < MODEL_MAX_EDGES; e++) {
		if (v->edge[e] < 0)
			return e;
	}
	return -1;
}

/*
 * Turn what the counts alone would free into cyclic garbage rather than
 * external nodes: give node i an edge back from a random node it reaches
 * (itself included) that has a free slot, or, for a weak reference or a
 * node without one, an edge from a random node with a free slot. Nodes
 * left over are made external by model_normalise.
 */
static void close_cycles(model_graph *g, uint64_t *rng)
{
	for (int round = 0; round < g->n; round++) {
		int i = first_unkept(g);
		if (i < 0)
			return;
		uint8_t seeds[MODEL_MAX_NODES] = {0}, all[MODEL_MAX_NODES], below_i[MODEL_MAX_NODES];
		memset(all, 1, MODEL_MAX_NODES);
		seeds[i] = 1;
		reach(g, seeds, all, below_i);
		int16_t choices[MODEL_MAX_NODES];
		int nchoices = 0;
		for (int j = 0; j < g->n; j++) {
			if (below_i[j] && free_slot(&g->node[j]) >= 0)
				choices[nchoices++] = (int16_t)j;
		}
		if (nchoices == 0) {
			for (int j = 0; j < g->n; j++) {
				if (free_slot(&g->node[j]) >= 0)
					choices[nchoices++] = (int16_t)j;
			}
		}
		if (nchoices == 0) {
			g->node[i].external = 1;
			continue;
		}
		int from = choices[below(rng, (unsigned)nchoices)];
		g->node[from].edge[free_slot(&g->node[from])] = (int16_t)i;
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

/*
 * Two clear-less nodes of U that do not reach each other but reach a common
 * node: find one (the later in *second), or return 0.
 */
static int shared_uncollectable(const model_graph *g, int *second)
{
	model_outcome e;
	model_expect(g, &e);
	uint8_t all[MODEL_MAX_NODES], seeds[MODEL_MAX_NODES] = {0}, from_a[MODEL_MAX_NODES], from_b[MODEL_MAX_NODES];
	memset(all, 1, MODEL_MAX_NODES);
	for (int a = 0; a < g->n; a++) {
		if (!e.in_garbage[a] || !model_is_clearless(&g->node[a]))
			continue;
		seeds[a] = 1;
		reach(g, seeds, all, from_a);
		seeds[a] = 0;
		for (int b = a + 1; b < g->n; b++) {
			if (!e.in_garbage[b] || !model_is_clearless(&g->node[b]) || from_a[b])
				continue;
			seeds[b] = 1;
			reach(g, seeds, all, from_b);
			seeds[b] = 0;
			if (from_b[a])
				continue;
			for (int k = 0; k < g->n; k++) {
				if (from_a[k] && from_b[k]) {
					*second = b;
					return 1;
				}
			}
		}
	}
	return 0;
}

int model_has_shared_uncollectable(const model_graph *g)
{
	int second;
	return shared_uncollectable(g, &second);
}

/* Give the later of each such pair its clear (clearless -> plain, clearless-finalizer -> finalizer). */
static void avoid_shared_uncollectable(model_graph *g)
{
	int b;
	while (shared_uncollectable(g, &b))
		g->node[b].kind = g->node[b].kind == MODEL_CLEARLESS ? MODEL_PLAIN : MODEL_FINALIZER;
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
	unsigned external_percent = (unsigned[]){0, 3, 8, 20}[below(&rng, 4)];
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
	g->age = (int)below(&rng, 4);
	sanitise(g);
	close_cycles(g, &rng);
	model_normalise(g);
	for (int i = 0; i < g->n && !options->allow_resurrection; i++) {
		if (g->node[i].kind == MODEL_RESURRECT_SELF || g->node[i].kind == MODEL_RESURRECT_NEIGHBOUR)
			g->node[i].kind = MODEL_FINALIZER;
	}
	if (!options->allow_shared_uncollectable)
		avoid_shared_uncollectable(g);
	if (!options->allow_garbage_into_uncollectable)
		avoid_garbage_into_uncollectable(g);
	if (!options->allow_uncollectable_callback)
		avoid_uncollectable_callbacks(g);
	if (!options->allow_garbage_callback)
		avoid_garbage_callbacks(g);
}

int model_within_options(const model_graph *g, const model_options *options)
{
	if (!options->allow_shared_uncollectable && model_has_shared_uncollectable(g))
		return 0;
	model_outcome e;
	model_expect(g, &e);
	for (int i = 0; i < g->n; i++) {
		const model_node *v = &g->node[i];
		if (v->reenters && !options->allow_reentry)
			return 0;
		if ((v->kind == MODEL_RESURRECT_SELF || v->kind == MODEL_RESURRECT_NEIGHBOUR) && !options->allow_resurrection)
			return 0;
		if (v->kind == MODEL_WEAKREF_CALLBACK && e.in_garbage[i] && !options->allow_uncollectable_callback)
			return 0;
		if (v->kind == MODEL_WEAKREF_CALLBACK && e.garbage_proper[i] && e.garbage_proper[v->referent] &&
			!options->allow_garbage_callback)
			return 0;
		for (int k = 0; k < MODEL_MAX_EDGES && !options->allow_garbage_into_uncollectable; k++) {
			if (e.garbage_proper[i] && v->edge[k] >= 0 && e.in_garbage[v->edge[k]])
				return 0;
		}
	}
	return 1;
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
			out->weak_dead[i] = garbage[g->node[i].referent] || garbage[i];
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
	for (int i = 0; i < n; i++)
		out->survives_again[i] = out->survives[i] && !resurrected[i];
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
		d += differ_node(f, g, i, "survives the second collection (tracked)", expected->survives_again[i],
			observed->survives_again[i]);
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

/* ---- the one-line form ------------------------------------------------------------------- */

size_t model_format(const model_graph *g, char *buffer, size_t size)
{
	size_t used = 0;
#define APPEND(...)                                                                           \
	do {                                                                                  \
		int n = snprintf(used < size ? buffer + used : NULL, used < size ? size - used : 0, __VA_ARGS__); \
		used += n > 0 ? (size_t)n : 0;                                                \
	} while (0)
	APPEND("age %d:", g->age);
	for (int i = 0; i < g->n; i++) {
		const model_node *v = &g->node[i];
		APPEND("%s %s%s%s", i ? ";" : "", model_kind_name(v->kind), v->external ? " external" : "",
			v->reenters ? " reenters" : "");
		int last = -1;
		for (int e = 0; e < MODEL_MAX_EDGES; e++) {
			if (v->edge[e] >= 0)
				last = e;
		}
		for (int e = 0; e <= last; e++) {
			if (v->edge[e] >= 0)
				APPEND("%s%d", e ? "," : " -> ", v->edge[e]);
			else
				APPEND("%s-", e ? "," : " -> ");
		}
		if (model_is_weakref(v))
			APPEND(" ~> %d", v->referent);
	}
#undef APPEND
	return used;
}

static const char *skip_spaces(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	return p;
}

/* A node index: digits, below MODEL_MAX_NODES. */
static const char *parse_index(const char *p, int *out)
{
	if (*p < '0' || *p > '9')
		return NULL;
	long v = 0;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (*p++ - '0');
		if (v >= MODEL_MAX_NODES)
			return NULL;
	}
	*out = (int)v;
	return p;
}

int model_parse(const char *text, model_graph *g, char *error, size_t error_size)
{
	memset(g, 0, sizeof *g);
	const char *p = skip_spaces(text);
	if (strncmp(p, "age ", 4) == 0) {
		p += 4;
		if (*p < '0' || *p > '3' || p[1] != ':') {
			snprintf(error, error_size, "age must be 0..3 followed by ':'");
			return -1;
		}
		g->age = *p - '0';
		p += 2;
	}
	for (;;) {
		p = skip_spaces(p);
		if (!*p)
			break;
		if (g->n == MODEL_MAX_NODES) {
			snprintf(error, error_size, "more than %d nodes", MODEL_MAX_NODES);
			return -1;
		}
		model_node *v = &g->node[g->n];
		v->referent = -1;
		for (int e = 0; e < MODEL_MAX_EDGES; e++)
			v->edge[e] = -1;
		size_t len = strcspn(p, " ;");
		int kind = -1;
		for (int k = 0; k < MODEL_KIND_COUNT; k++) {
			if (strlen(kind_names[k]) == len && strncmp(p, kind_names[k], len) == 0)
				kind = k;
		}
		if (kind < 0) {
			snprintf(error, error_size, "node %d: unknown kind '%.*s' (plain, finalizer, resurrect-self, "
				"resurrect-neighbour, clearless, clearless-finalizer, weakref, weakref-callback)", g->n,
				(int)len, p);
			return -1;
		}
		v->kind = (uint8_t)kind;
		p += len;
		for (;;) {
			p = skip_spaces(p);
			if (strncmp(p, "external", 8) == 0) {
				v->external = 1;
				p += 8;
			} else if (strncmp(p, "reenters", 8) == 0) {
				v->reenters = 1;
				p += 8;
			} else if (strncmp(p, "->", 2) == 0) {
				p = skip_spaces(p + 2);
				for (int e = 0;; e++) {
					if (e == MODEL_MAX_EDGES) {
						snprintf(error, error_size, "node %d: more than %d edges", g->n, MODEL_MAX_EDGES);
						return -1;
					}
					int t = -1;
					p = skip_spaces(p);
					if (*p == '-') {
						p++;
					} else if (!(p = parse_index(p, &t))) {
						snprintf(error, error_size, "node %d: edge %d is not a node index", g->n, e);
						return -1;
					}
					v->edge[e] = (int16_t)t;
					if (*p != ',')
						break;
					p++;
				}
			} else if (strncmp(p, "~>", 2) == 0) {
				int r;
				if (!(p = parse_index(skip_spaces(p + 2), &r))) {
					snprintf(error, error_size, "node %d: the referent is not a node index", g->n);
					return -1;
				}
				v->referent = (int16_t)r;
			} else {
				break;
			}
		}
		g->n++;
		if (*p == ';') {
			p++;
		} else if (*p) {
			snprintf(error, error_size, "node %d: unexpected '%c'", g->n - 1, *p);
			return -1;
		}
	}
	if (g->n == 0) {
		snprintf(error, error_size, "no nodes");
		return -1;
	}
	for (int i = 0; i < g->n; i++) {
		const model_node *v = &g->node[i];
		for (int e = 0; e < MODEL_MAX_EDGES; e++) {
			if (v->edge[e] >= g->n) {
				snprintf(error, error_size, "node %d: edge to node %d of %d", i, v->edge[e], g->n);
				return -1;
			}
		}
		if (model_is_weakref(v) &&
			(v->referent < 0 || v->referent >= g->n || model_is_weakref(&g->node[v->referent]))) {
			snprintf(error, error_size, "node %d: a weak reference needs '~> R', R a node that is not one", i);
			return -1;
		}
	}
	model_normalise(g);
	return 0;
}
