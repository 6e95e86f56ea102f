/*
 * trace_snapshot.c: snapshots of the traces, filtered, grouped and
 * compared, as tracemalloc's Snapshot.filter_traces, statistics and
 * compare_to.
 *
 * A snapshot owns copies of everything: per trace its size, type name (a
 * type's name lives as long as the program) and stack index; the stacks'
 * return addresses, one copy per distinct stack of the tables it came from.
 * Tables may be cleared or the tracer stopped once it is taken.
 *
 * Reading. The first read names the frames (symbolize.c) and works out for
 * each stack its view: the frames users see (the tracer's and
 * cy_object_new's leading frames left out, then at most nframes), and among
 * them the grouping frame (the innermost outside runtime/, else the
 * innermost). Every key is a string built from that view: the same stack
 * seen by two snapshots, or two stacks that differ only in left-out frames,
 * give the same key, so groups match across snapshots by key.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "name_table.h"
#include "tracemalloc.h"
#include "tracemalloc_internal.h"

typedef struct snap_trace {
	int64_t size;
	uint32_t stack;
	const char *type_name;
} snap_trace;

typedef struct snap_stack {
	uint32_t first; /* into pcs */
	uint32_t count;
	/* The view, once named: kept frames are frames[shown .. shown + shown_count), grouped by frames[group]. */
	uint32_t shown;
	uint32_t shown_count;
	uint32_t group;
} snap_stack;

struct cy_tracemalloc_snapshot {
	int nframes;
	int failed; /* taking it ran out of memory */
	size_t ntraces, traces_capacity;
	snap_trace *traces;
	size_t nstacks, stacks_capacity;
	snap_stack *stacks;
	size_t npcs, pcs_capacity;
	uintptr_t *pcs;
	cy_trace_frame *frames; /* one per pc, once named; NULL before */
	int64_t size;
	/* While taking: which table stack became which snapshot stack (open addressing on the pointer). */
	const cy_traceback **seen;
	uint32_t *seen_index;
	size_t seen_capacity;
};

static int reserve(void **array, size_t *capacity, size_t needed, size_t element)
{
	if (needed <= *capacity)
		return 0;
	size_t grown = *capacity ? *capacity : 64;
	while (grown < needed)
		grown *= 2;
	void *p = realloc(*array, grown * element);
	if (!p)
		return -1;
	*array = p;
	*capacity = grown;
	return 0;
}

/* ---- taking ------------------------------------------------------------------------ */

static int grow_seen(cy_tracemalloc_snapshot *s)
{
	size_t capacity = s->seen_capacity ? 2 * s->seen_capacity : 1024;
	const cy_traceback **seen = calloc(capacity, sizeof *seen);
	uint32_t *index = calloc(capacity, sizeof *index);
	if (!seen || !index) {
		free(seen);
		free(index);
		return -1;
	}
	for (size_t i = 0; i < s->seen_capacity; i++) {
		if (!s->seen[i])
			continue;
		size_t j = cy_hash_pointer(s->seen[i]) & (capacity - 1);
		while (seen[j])
			j = (j + 1) & (capacity - 1);
		seen[j] = s->seen[i];
		index[j] = s->seen_index[i];
	}
	free(s->seen);
	free(s->seen_index);
	s->seen = seen;
	s->seen_index = index;
	s->seen_capacity = capacity;
	return 0;
}

/* The snapshot's index of a table's stack, copying it the first time; UINT32_MAX when out of memory. */
static uint32_t stack_index(cy_tracemalloc_snapshot *s, const cy_traceback *tb)
{
	if (2 * (s->nstacks + 1) > s->seen_capacity && grow_seen(s) != 0)
		return UINT32_MAX;
	size_t i = cy_hash_pointer(tb) & (s->seen_capacity - 1);
	for (; s->seen[i]; i = (i + 1) & (s->seen_capacity - 1))
		if (s->seen[i] == tb)
			return s->seen_index[i];
	if (reserve((void **)&s->stacks, &s->stacks_capacity, s->nstacks + 1, sizeof *s->stacks) != 0 ||
	    reserve((void **)&s->pcs, &s->pcs_capacity, s->npcs + tb->nframes, sizeof *s->pcs) != 0)
		return UINT32_MAX;
	memcpy(s->pcs + s->npcs, tb->frames, tb->nframes * sizeof *s->pcs);
	s->stacks[s->nstacks] = (snap_stack){.first = (uint32_t)s->npcs, .count = tb->nframes};
	s->npcs += tb->nframes;
	s->seen[i] = tb;
	s->seen_index[i] = (uint32_t)s->nstacks;
	return (uint32_t)s->nstacks++;
}

static void copy_trace(const cy_trace *trace, void *arg)
{
	cy_tracemalloc_snapshot *s = arg;
	if (s->failed)
		return;
	uint32_t stack = stack_index(s, trace->traceback);
	if (stack == UINT32_MAX ||
	    reserve((void **)&s->traces, &s->traces_capacity, s->ntraces + 1, sizeof *s->traces) != 0) {
		s->failed = 1;
		return;
	}
	s->traces[s->ntraces++] = (snap_trace){.size = trace->size, .stack = stack, .type_name = trace->type->name};
	s->size += trace->size;
}

cy_tracemalloc_snapshot *cy_tracemalloc_take_snapshot(void)
{
	cy_tracemalloc_snapshot *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->nframes = cy_tracemalloc_frames();
	cy_tracemalloc_each_trace(copy_trace, s);
	free(s->seen);
	free(s->seen_index);
	s->seen = NULL;
	s->seen_index = NULL;
	if (s->failed) {
		cy_tracemalloc_snapshot_free(s);
		return NULL;
	}
	return s;
}

void cy_tracemalloc_snapshot_free(cy_tracemalloc_snapshot *s)
{
	if (!s)
		return;
	free(s->traces);
	free(s->stacks);
	free(s->pcs);
	free(s->frames);
	free(s->seen);
	free(s->seen_index);
	free(s);
}

size_t cy_tracemalloc_snapshot_count(const cy_tracemalloc_snapshot *s) { return s->ntraces; }
int64_t cy_tracemalloc_snapshot_size(const cy_tracemalloc_snapshot *s) { return s->size; }

/* ---- naming the frames --------------------------------------------------------------- */

static int name_frames(cy_tracemalloc_snapshot *s)
{
	if (s->frames || s->npcs == 0)
		return 0;
	s->frames = calloc(s->npcs, sizeof *s->frames);
	if (!s->frames)
		return -1;
	for (size_t k = 0; k < s->nstacks; k++) {
		snap_stack *st = &s->stacks[k];
		uint32_t i = st->first, end = st->first + st->count;
		for (; i < end; i++) {
			cy_symbolize(s->pcs[i], &s->frames[i]);
			if (!cy_tracemalloc_is_machinery(&s->frames[i]))
				break;
		}
		st->shown = i;
		st->shown_count = 0;
		for (; i < end && st->shown_count < (uint32_t)s->nframes; i++, st->shown_count++)
			if (i > st->shown)
				cy_symbolize(s->pcs[i], &s->frames[i]);
		st->group = st->shown;
		for (uint32_t j = st->shown; j < st->shown + st->shown_count; j++) {
			if (!cy_tracemalloc_is_runtime(&s->frames[j])) {
				st->group = j;
				break;
			}
		}
	}
	return 0;
}

static const cy_trace_frame unknown_frame = {.file = "?", .function = "?", .line = 0};

static const cy_trace_frame *group_frame(const cy_tracemalloc_snapshot *s, const snap_stack *st)
{
	return st->shown_count ? &s->frames[st->group] : &unknown_frame;
}

/* ---- filtering ------------------------------------------------------------------------ */

static int file_matches(const cy_tracemalloc_snapshot *s, const snap_stack *st, const cy_tracemalloc_filter *f)
{
	if (!f->file_pattern)
		return 1;
	if (!f->all_frames)
		return fnmatch(f->file_pattern, group_frame(s, st)->file, 0) == 0;
	for (uint32_t j = st->shown; j < st->shown + st->shown_count; j++)
		if (fnmatch(f->file_pattern, s->frames[j].file, 0) == 0)
			return 1;
	return 0;
}

static int filter_matches(const cy_tracemalloc_snapshot *s, const snap_trace *t, const cy_tracemalloc_filter *f)
{
	if (f->type_name && strcmp(f->type_name, t->type_name) != 0)
		return 0;
	return file_matches(s, &s->stacks[t->stack], f);
}

static int kept(const cy_tracemalloc_snapshot *s, const snap_trace *t, const cy_tracemalloc_filter *filters,
		size_t count)
{
	int any_inclusive = 0, included = 0;
	for (size_t i = 0; i < count; i++) {
		int match = filter_matches(s, t, &filters[i]);
		if (filters[i].inclusive) {
			any_inclusive = 1;
			included |= match;
		} else if (match) {
			return 0;
		}
	}
	return !any_inclusive || included;
}

static void *copy_of(const void *p, size_t bytes)
{
	void *copy = malloc(bytes ? bytes : 1);
	if (copy && bytes)
		memcpy(copy, p, bytes);
	return copy;
}

cy_tracemalloc_snapshot *cy_tracemalloc_snapshot_filter(cy_tracemalloc_snapshot *s,
							const cy_tracemalloc_filter *filters, size_t count)
{
	if (name_frames(s) != 0)
		return NULL;
	cy_tracemalloc_snapshot *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->nframes = s->nframes;
	r->nstacks = r->stacks_capacity = s->nstacks;
	r->npcs = r->pcs_capacity = s->npcs;
	r->stacks = copy_of(s->stacks, s->nstacks * sizeof *s->stacks);
	r->pcs = copy_of(s->pcs, s->npcs * sizeof *s->pcs);
	r->frames = s->frames ? copy_of(s->frames, s->npcs * sizeof *s->frames) : NULL;
	r->traces = malloc((s->ntraces ? s->ntraces : 1) * sizeof *r->traces);
	if (!r->stacks || !r->pcs || (s->frames && !r->frames) || !r->traces) {
		cy_tracemalloc_snapshot_free(r);
		return NULL;
	}
	r->traces_capacity = s->ntraces;
	for (size_t i = 0; i < s->ntraces; i++) {
		if (kept(s, &s->traces[i], filters, count)) {
			r->traces[r->ntraces++] = s->traces[i];
			r->size += s->traces[i].size;
		}
	}
	return r;
}

/* ---- keys and groups -------------------------------------------------------------------- */

static const char *const key_names[CY_TRACE_KEY_COUNT] = {"file", "line", "site", "traceback", "type"};

const char *cy_tracemalloc_key_name(cy_tracemalloc_key key)
{
	return (unsigned)key < CY_TRACE_KEY_COUNT ? key_names[key] : "?";
}

int cy_tracemalloc_key_parse(const char *name) { return cy_name_index(key_names, CY_TRACE_KEY_COUNT, name); }

/* A stack's key for a frame-based key kind, malloc'd; NULL when out of memory. */
static char *stack_key(const cy_tracemalloc_snapshot *s, const snap_stack *st, cy_tracemalloc_key key)
{
	const cy_trace_frame *g = group_frame(s, st);
	char *text = NULL;
	size_t length = 0;
	FILE *out = open_memstream(&text, &length);
	if (!out)
		return NULL;
	switch (key) {
	case CY_TRACE_BY_FILE: fputs(g->file, out); break;
	case CY_TRACE_BY_LINE: fprintf(out, "%s:%d", g->file, g->line); break;
	case CY_TRACE_BY_SITE: fprintf(out, "%s (%s)", g->function, g->file); break;
	case CY_TRACE_BY_TRACEBACK:
		for (uint32_t j = st->shown; j < st->shown + st->shown_count; j++)
			fprintf(out, "%s%s:%d %s", j > st->shown ? "\n" : "", s->frames[j].file, s->frames[j].line,
				s->frames[j].function);
		if (!st->shown_count)
			fputs("?", out);
		break;
	default: break;
	}
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* Groups by key string: stats in the order first seen, found through an open-addressing index. */
typedef struct grouping {
	cy_tracemalloc_stats stats;
	size_t capacity;
	size_t *index; /* into stats.items, + 1; 0 empty */
	size_t index_capacity;
} grouping;

static uint64_t hash_text(const char *s)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL;
	for (; *s; s++)
		h = cy_hash_mix64(h ^ (unsigned char)*s);
	return h;
}

static int grow_index(grouping *g)
{
	size_t capacity = g->index_capacity ? 2 * g->index_capacity : 64;
	size_t *index = calloc(capacity, sizeof *index);
	if (!index)
		return -1;
	for (size_t i = 0; i < g->stats.count; i++) {
		size_t j = hash_text(g->stats.items[i].key) & (capacity - 1);
		while (index[j])
			j = (j + 1) & (capacity - 1);
		index[j] = i + 1;
	}
	free(g->index);
	g->index = index;
	g->index_capacity = capacity;
	return 0;
}

/* The group for key (copied when new); NULL when out of memory. */
static cy_tracemalloc_stat *group_of(grouping *g, const char *key)
{
	if (2 * (g->stats.count + 1) > g->index_capacity && grow_index(g) != 0)
		return NULL;
	size_t j = hash_text(key) & (g->index_capacity - 1);
	for (; g->index[j]; j = (j + 1) & (g->index_capacity - 1))
		if (strcmp(g->stats.items[g->index[j] - 1].key, key) == 0)
			return &g->stats.items[g->index[j] - 1];
	if (reserve((void **)&g->stats.items, &g->capacity, g->stats.count + 1, sizeof *g->stats.items) != 0)
		return NULL;
	char *copy = strdup(key);
	if (!copy)
		return NULL;
	g->index[j] = g->stats.count + 1;
	cy_tracemalloc_stat *stat = &g->stats.items[g->stats.count++];
	*stat = (cy_tracemalloc_stat){.key = copy};
	return stat;
}

/* Add each trace of s to its group, with sign +1 (the snapshot now) or -1 (the old one). */
static int add_snapshot(grouping *g, cy_tracemalloc_snapshot *s, cy_tracemalloc_key key, int sign)
{
	if (name_frames(s) != 0)
		return -1;
	char **keys = NULL;
	if (key != CY_TRACE_BY_TYPE) {
		keys = calloc(s->nstacks ? s->nstacks : 1, sizeof *keys);
		if (!keys)
			return -1;
	}
	int result = 0;
	for (size_t i = 0; i < s->ntraces && result == 0; i++) {
		const snap_trace *t = &s->traces[i];
		const char *k = t->type_name;
		if (keys) {
			if (!keys[t->stack])
				keys[t->stack] = stack_key(s, &s->stacks[t->stack], key);
			k = keys[t->stack];
		}
		cy_tracemalloc_stat *stat = k ? group_of(g, k) : NULL;
		if (!stat) {
			result = -1;
			break;
		}
		if (sign > 0) {
			stat->size += t->size;
			stat->count++;
		}
		stat->size_diff += sign * t->size;
		stat->count_diff += sign;
	}
	if (keys)
		for (size_t i = 0; i < s->nstacks; i++)
			free(keys[i]);
	free(keys);
	return result;
}

static int64_t magnitude(int64_t v) { return v < 0 ? -v : v; }

static int by_size(const void *a, const void *b)
{
	const cy_tracemalloc_stat *x = a, *y = b;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->key, y->key);
}

static int by_change(const void *a, const void *b)
{
	const cy_tracemalloc_stat *x = a, *y = b;
	if (magnitude(x->size_diff) != magnitude(y->size_diff))
		return magnitude(x->size_diff) > magnitude(y->size_diff) ? -1 : 1;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	if (magnitude(x->count_diff) != magnitude(y->count_diff))
		return magnitude(x->count_diff) > magnitude(y->count_diff) ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->key, y->key);
}

static int finish(grouping *g, int result, int (*order)(const void *, const void *), cy_tracemalloc_stats *out)
{
	free(g->index);
	if (result != 0) {
		cy_tracemalloc_stats_release(&g->stats);
		*out = (cy_tracemalloc_stats){0};
		return -1;
	}
	if (g->stats.count)
		qsort(g->stats.items, g->stats.count, sizeof *g->stats.items, order);
	*out = g->stats;
	return 0;
}

int cy_tracemalloc_statistics(cy_tracemalloc_snapshot *s, cy_tracemalloc_key key, cy_tracemalloc_stats *out)
{
	grouping g = {0};
	int result = (unsigned)key < CY_TRACE_KEY_COUNT ? add_snapshot(&g, s, key, 1) : -1;
	/* Statistics of one snapshot carry no change. */
	for (size_t i = 0; i < g.stats.count; i++)
		g.stats.items[i].size_diff = g.stats.items[i].count_diff = 0;
	return finish(&g, result, by_size, out);
}

int cy_tracemalloc_compare(cy_tracemalloc_snapshot *now, cy_tracemalloc_snapshot *old, cy_tracemalloc_key key,
			   cy_tracemalloc_stats *out)
{
	grouping g = {0};
	int result = -1;
	if ((unsigned)key < CY_TRACE_KEY_COUNT && add_snapshot(&g, now, key, 1) == 0)
		result = add_snapshot(&g, old, key, -1);
	return finish(&g, result, by_change, out);
}

void cy_tracemalloc_stats_release(cy_tracemalloc_stats *stats)
{
	for (size_t i = 0; i < stats->count; i++)
		free(stats->items[i].key);
	free(stats->items);
	*stats = (cy_tracemalloc_stats){0};
}
