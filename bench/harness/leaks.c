/*
 * leaks.c: the leak finder of `cyclab run --find-leaks` (leaks.h says what
 * it counts and how it searches).
 *
 * Everything read from objects is read inside cy_gc_get_objects' visits,
 * with the world stopped: counts by type, and at the end a copy of the
 * graph (addresses, types, counts and references). The search then runs
 * on the copy alone, so no object is touched after the world resumes, and
 * the runner's thread may free them all. Addresses in the chain name the
 * objects as they were; they are not pointers to anything afterwards.
 *
 * Types are counted in an open-addressing table of TYPE_SLOTS entries; a
 * program has a few dozen types, and any past TYPE_SLOTS / 2 are counted
 * together under "(other types)".
 */
#include "bench/harness/leaks.h"
#include "bench/results/atomic_file.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bench/harness/run.h"
#include "collector/gc.h"
#include "runtime/hash.h"
#include "runtime/refcount.h"

enum { TYPE_SLOTS = 1024 };

typedef struct type_counts {
	const cy_type *type[TYPE_SLOTS]; /* NULL: empty */
	int64_t count[TYPE_SLOTS];
	size_t used;
	int64_t other;
} type_counts;

static type_counts at_start;

static void count_type(type_counts *c, const cy_type *t)
{
	size_t i = cy_hash_pointer(t) & (TYPE_SLOTS - 1);
	for (; c->type[i]; i = (i + 1) & (TYPE_SLOTS - 1)) {
		if (c->type[i] == t) {
			c->count[i]++;
			return;
		}
	}
	if (c->used >= TYPE_SLOTS / 2) {
		c->other++;
		return;
	}
	c->type[i] = t;
	c->count[i] = 1;
	c->used++;
}

static int64_t count_of(const type_counts *c, const cy_type *t)
{
	for (size_t i = cy_hash_pointer(t) & (TYPE_SLOTS - 1); c->type[i]; i = (i + 1) & (TYPE_SLOTS - 1))
		if (c->type[i] == t)
			return c->count[i];
	return 0;
}

static void count_visit(cy_object *o, void *arg) { count_type(arg, cy_type_of(o)); }

void cy_leaks_mark_start(void)
{
	memset(&at_start, 0, sizeof at_start);
	cy_gc_get_objects(-1, count_visit, &at_start);
}

/* ---- the graph at the end ---------------------------------------------------------- */

typedef struct node {
	uintptr_t address;
	const cy_type *type;
	int64_t refcount;
	size_t first_edge, edges; /* into graph.targets */
	size_t internal;          /* references containers hold to it */
} node;

typedef struct graph {
	type_counts counts;
	node *nodes;
	size_t count, capacity;
	uintptr_t *targets; /* referents' addresses, then (resolved) node indices */
	size_t target_count, target_capacity;
	int failed, too_big;
} graph;

static int grow(void **array, size_t *capacity, size_t needed, size_t element)
{
	if (needed <= *capacity)
		return 0;
	size_t grown = *capacity ? 2 * *capacity : 1024;
	while (grown < needed)
		grown *= 2;
	void *p = realloc(*array, grown * element);
	if (!p)
		return -1;
	*array = p;
	*capacity = grown;
	return 0;
}

static int add_target(cy_object *referent, void *arg)
{
	graph *g = arg;
	if (grow((void **)&g->targets, &g->target_capacity, g->target_count + 1, sizeof *g->targets) != 0) {
		g->failed = 1;
		return 1;
	}
	g->targets[g->target_count++] = (uintptr_t)referent;
	return 0;
}

static void copy_visit(cy_object *o, void *arg)
{
	graph *g = arg;
	count_type(&g->counts, cy_type_of(o));
	if (g->failed || g->too_big)
		return;
	if (g->count >= CY_LEAKS_MAX_OBJECTS) {
		g->too_big = 1;
		return;
	}
	if (grow((void **)&g->nodes, &g->capacity, g->count + 1, sizeof *g->nodes) != 0) {
		g->failed = 1;
		return;
	}
	node *n = &g->nodes[g->count++];
	*n = (node){.address = (uintptr_t)o, .type = cy_type_of(o), .refcount = cy_refcount(o),
		    .first_edge = g->target_count};
	if (n->type->traverse)
		n->type->traverse(o, add_target, g);
	n->edges = g->target_count - n->first_edge;
}

/* Turn every target address into its node's index, or SIZE_MAX for an untracked object. */
static int resolve_targets(graph *g)
{
	size_t slots = 1;
	while (slots < 2 * g->count)
		slots *= 2;
	size_t *index = malloc(slots * sizeof *index);
	if (!index)
		return -1;
	for (size_t i = 0; i < slots; i++)
		index[i] = SIZE_MAX;
	for (size_t k = 0; k < g->count; k++) {
		size_t i = cy_hash_mix64(g->nodes[k].address) & (slots - 1);
		while (index[i] != SIZE_MAX)
			i = (i + 1) & (slots - 1);
		index[i] = k;
	}
	for (size_t e = 0; e < g->target_count; e++) {
		size_t found = SIZE_MAX;
		for (size_t i = cy_hash_mix64(g->targets[e]) & (slots - 1); index[i] != SIZE_MAX; i = (i + 1) & (slots - 1)) {
			if (g->nodes[index[i]].address == g->targets[e]) {
				found = index[i];
				break;
			}
		}
		g->targets[e] = found;
		if (found != SIZE_MAX)
			g->nodes[found].internal++;
	}
	free(index);
	return 0;
}

/* Something outside the tracked heap holds it. */
static int is_root(const node *n) { return n->refcount > (int64_t)n->internal; }

/*
 * Breadth first from start along references backwards. next[k] is the node
 * that k refers to on its way to start. Fills the chain from its first
 * holder to start.
 */
static int find_chain(graph *g, size_t start, cy_leak_report *r)
{
	size_t n = g->count;
	size_t *referrers_at = calloc(n + 1, sizeof *referrers_at); /* CSR of the reversed edges */
	size_t *referrers = malloc((g->target_count ? g->target_count : 1) * sizeof *referrers);
	size_t *next = malloc(n * sizeof *next);
	size_t *queue = malloc(n * sizeof *queue);
	int result = -1;
	if (!referrers_at || !referrers || !next || !queue)
		goto out;
	for (size_t k = 0; k < n; k++)
		for (size_t e = g->nodes[k].first_edge; e < g->nodes[k].first_edge + g->nodes[k].edges; e++)
			if (g->targets[e] != SIZE_MAX)
				referrers_at[g->targets[e] + 1]++;
	for (size_t k = 0; k < n; k++)
		referrers_at[k + 1] += referrers_at[k];
	for (size_t k = 0; k < n; k++) {
		for (size_t e = g->nodes[k].first_edge; e < g->nodes[k].first_edge + g->nodes[k].edges; e++) {
			size_t t = g->targets[e];
			if (t != SIZE_MAX)
				referrers[referrers_at[t]++] = k;
		}
	}
	/* The fill above advanced each start to the next one's: shift back. */
	for (size_t k = n; k > 0; k--)
		referrers_at[k] = referrers_at[k - 1];
	referrers_at[0] = 0;
	for (size_t k = 0; k < n; k++)
		next[k] = SIZE_MAX;
	size_t head = 0, tail = 0, found = SIZE_MAX;
	queue[tail++] = start;
	next[start] = start;
	while (head < tail && found == SIZE_MAX) {
		size_t k = queue[head++];
		for (size_t i = referrers_at[k]; i < referrers_at[k + 1]; i++) {
			size_t holder = referrers[i];
			if (holder == start) {
				r->cycle = 1;
				found = k;
				break;
			}
			if (next[holder] != SIZE_MAX)
				continue;
			next[holder] = k;
			if (is_root(&g->nodes[holder])) {
				found = holder;
				break;
			}
			queue[tail++] = holder;
		}
	}
	/* A cycle is listed from the instance round to the last node before it; a chain from its holder to it. */
	size_t length = 0;
	if (r->cycle) {
		r->chain[length++] = (cy_leak_link){g->nodes[start].type->name, g->nodes[start].address};
		for (size_t k = found; k != start && length < CY_LEAKS_MAX_CHAIN; k = next[k])
			r->chain[length++] = (cy_leak_link){g->nodes[k].type->name, g->nodes[k].address};
	} else {
		if (found == SIZE_MAX)
			found = start; /* no holder among the containers */
		for (size_t k = found; length < CY_LEAKS_MAX_CHAIN; k = next[k]) {
			r->chain[length++] = (cy_leak_link){g->nodes[k].type->name, g->nodes[k].address};
			if (k == start)
				break;
		}
	}
	r->chain_length = length;
	result = 0;
out:
	free(referrers_at);
	free(referrers);
	free(next);
	free(queue);
	return result;
}

static int by_growth(const void *a, const void *b)
{
	const cy_leak_type *x = a, *y = b;
	int64_t gx = x->end - x->start, gy = y->end - y->start;
	if (gx != gy)
		return gx > gy ? -1 : 1;
	return strcmp(x->name, y->name);
}

cy_leak_report *cy_leaks_end(void)
{
	cy_leak_report *r = calloc(1, sizeof *r);
	graph *g = calloc(1, sizeof *g);
	if (!r || !g) {
		free(r);
		free(g);
		return NULL;
	}
	cy_gc_get_objects(-1, copy_visit, g);
	size_t types = g->counts.used;
	for (size_t i = 0; i < TYPE_SLOTS; i++)
		if (at_start.type[i] && !count_of(&g->counts, at_start.type[i]))
			types++;
	r->types = calloc(types + 1, sizeof *r->types);
	int failed = g->failed || !r->types;
	for (size_t i = 0; i < TYPE_SLOTS && !failed; i++) {
		if (g->counts.type[i])
			r->types[r->type_count++] = (cy_leak_type){g->counts.type[i]->name, count_of(&at_start, g->counts.type[i]),
								   g->counts.count[i]};
		if (at_start.type[i] && !count_of(&g->counts, at_start.type[i]))
			r->types[r->type_count++] = (cy_leak_type){at_start.type[i]->name, at_start.count[i], 0};
	}
	if (!failed && (g->counts.other || at_start.other))
		r->types[r->type_count++] = (cy_leak_type){"(other types)", at_start.other, g->counts.other};
	if (!failed && r->type_count)
		qsort(r->types, r->type_count, sizeof *r->types, by_growth);
	/* The instance: the first container of the type that grew most, in the collector's list order. */
	if (!failed && !g->too_big && r->type_count && r->types[0].end > r->types[0].start) {
		size_t start = SIZE_MAX;
		for (size_t k = 0; k < g->count && start == SIZE_MAX; k++)
			if (strcmp(g->nodes[k].type->name, r->types[0].name) == 0)
				start = k;
		if (start != SIZE_MAX) {
			failed = resolve_targets(g) != 0 || find_chain(g, start, r) != 0;
			r->searched = !failed;
		}
	}
	free(g->nodes);
	free(g->targets);
	free(g);
	if (failed) {
		cy_leak_report_free(r);
		return NULL;
	}
	return r;
}

void cy_leak_report_free(cy_leak_report *report)
{
	if (!report)
		return;
	free(report->types);
	free(report);
}

/* ---- output ---------------------------------------------------------------------------- */

void cy_leaks_write_json(cy_json *j, const cy_leak_report *r)
{
	if (!r)
		return;
	cy_json_begin_object(j, "leaks");
	cy_json_begin_array(j, "types", 0);
	for (size_t i = 0; i < r->type_count; i++) {
		cy_json_begin_object(j, NULL);
		cy_json_string(j, "type", r->types[i].name);
		cy_json_int(j, "live_start", r->types[i].start);
		cy_json_int(j, "live_end", r->types[i].end);
		cy_json_end_object(j);
	}
	cy_json_end_array(j);
	cy_json_begin_array(j, "chain", 0);
	char address[32];
	for (size_t i = 0; i < r->chain_length; i++) {
		cy_json_begin_object(j, NULL);
		cy_json_string(j, "type", r->chain[i].type_name);
		snprintf(address, sizeof address, "0x%" PRIxPTR, r->chain[i].address);
		cy_json_string(j, "address", address);
		cy_json_end_object(j);
	}
	cy_json_end_array(j);
	cy_json_bool(j, "cycle", r->cycle);
	cy_json_end_object(j);
}

/* The instance's place in the chain: first in a cycle, last in a chain from a holder. */
static size_t instance_at(const cy_leak_report *r) { return r->cycle ? 0 : r->chain_length - 1; }

/* Written whole or not at all, as every file cyclab writes (bench/results/atomic_file.h). */
static int write_dot(const cy_leak_report *r, const char *path)
{
	char tmp[4096], why[512];
	FILE *out = cy_atomic_open(path, tmp, sizeof tmp, why, sizeof why);
	if (!out) {
		fprintf(stderr, "cyclab: %s\n", why);
		return -1;
	}
	fprintf(out, "digraph leak {\n\tnode [shape=box, fontname=\"monospace\"];\n");
	for (size_t i = 0; i < r->chain_length; i++)
		fprintf(out, "\tn%zu [label=\"%s\\n0x%" PRIxPTR "\"%s];\n", i, r->chain[i].type_name, r->chain[i].address,
			i == instance_at(r) ? ", style=bold" : "");
	for (size_t i = 0; i + 1 < r->chain_length; i++)
		fprintf(out, "\tn%zu -> n%zu;\n", i, i + 1);
	if (r->cycle && r->chain_length)
		fprintf(out, "\tn%zu -> n0;\n", r->chain_length - 1);
	fprintf(out, "}\n");
	if (cy_atomic_commit(out, tmp, path, 0, why, sizeof why) != 0) {
		fprintf(stderr, "cyclab: %s\n", why);
		return -1;
	}
	return 0;
}

/* The report of the last run that has one. */
static const cy_leak_report *last_report(const cy_run_record *runs, unsigned count)
{
	const cy_leak_report *last = NULL;
	for (unsigned i = 0; i < count; i++)
		if (runs[i].leaks)
			last = runs[i].leaks;
	return last;
}

/* Its growth in run i, 0 when the type was not seen there. */
static int64_t growth_in(const cy_run_record *run, const char *name)
{
	const cy_leak_report *r = run->leaks;
	for (size_t k = 0; r && k < r->type_count; k++)
		if (strcmp(r->types[k].name, name) == 0)
			return r->types[k].end - r->types[k].start;
	return 0;
}

void cy_leaks_print(FILE *out, const cy_run_record *runs, unsigned count)
{
	const cy_leak_report *last = last_report(runs, count);
	if (!last) {
		fprintf(out, "find-leaks: no run was searched (out of memory)\n");
		return;
	}
	fprintf(out, "find-leaks: live containers by type, change over the timed part of each measured run:\n");
	size_t shown = 0;
	for (size_t t = 0; t < last->type_count; t++) {
		const char *name = last->types[t].name;
		unsigned grew = 0;
		for (unsigned i = 0; i < count; i++)
			grew += growth_in(&runs[i], name) > 0;
		if (!grew)
			continue;
		fprintf(out, "  %s:", name);
		for (unsigned i = 0; i < count; i++)
			fprintf(out, " %+" PRId64, growth_in(&runs[i], name));
		fprintf(out, " (grew in %u of %u runs)\n", grew, count);
		shown++;
	}
	if (!shown) {
		fprintf(out, "  none grew\n");
		return;
	}
	if (!last->searched) {
		fprintf(out, "no chain: the heap had more than %zu containers\n", CY_LEAKS_MAX_OBJECTS);
		return;
	}
	const char *instance = last->chain[instance_at(last)].type_name;
	if (last->cycle)
		fprintf(out, "one %s of the last run, around its cycle:\n ", instance);
	else if (last->chain_length > 1)
		fprintf(out, "one %s of the last run, from the nearest container held from outside the heap:\n ",
			instance);
	else
		fprintf(out, "one %s of the last run: no container holds it (held from outside the heap):\n ", instance);
	for (size_t i = 0; i < last->chain_length; i++)
		fprintf(out, " %s%s 0x%" PRIxPTR, i ? "-> " : "", last->chain[i].type_name, last->chain[i].address);
	fprintf(out, "%s\n", last->cycle ? " -> (back to the first)" : "");
}

int cy_leaks_write_dot(const cy_run_record *runs, unsigned count, const char *path)
{
	const cy_leak_report *last = last_report(runs, count);
	/* Nothing grew (or the heap was too big): an empty digraph. */
	if (!last || write_dot(last, path) != 0) {
		fprintf(stderr, "cyclab run: --find-leaks: %s: %s\n", path,
			last ? "cannot be written" : "no run was searched (out of memory)");
		return -1;
	}
	return 0;
}
