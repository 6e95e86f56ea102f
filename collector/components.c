/*
 * components.c: grouping an incremental collection's candidates into
 * weakly connected components, the units its verification confirms.
 *
 * Why components. Verification applies trial deletion, with exact counts and
 * the world stopped, to a part of the candidates at a time, so that each
 * stop stays within the pause budget. Trial deletion over a part P finds
 * exactly the objects of P unreachable from outside P. Over all candidates
 * S it finds the garbage G. The two agree on P when no reference joins P to
 * the rest of S in either direction: then a reference into P from outside P
 * is a reference from outside S, and reachability inside P is reachability
 * inside S. A weakly connected component of the graph of references among
 * the candidates is such a part, and so is any union of components. So
 * confirming component by component finds G exactly, and disposes of each
 * piece of G with its finalizers, resurrections and weak references exactly
 * as a stop-the-world collection of S would: no finalizer can reach another
 * component's garbage through a strong reference. A weak reference is an
 * edge too (weak reference to referent), so that a garbage weak reference
 * and the garbage it names are confirmed together, and the weak reference
 * is known to be garbage when its referent's weak references are cleared.
 * (Closures that follow references forwards only are not enough: garbage
 * referencing a closure from outside it keeps the closure alive, and a
 * finalizer that resurrects one closure leaves another's finalizers unrun.)
 *
 * Edges are read while the world is stopped, in slices between which
 * mutators run. Garbage is unreachable, so its references no longer change
 * and no live object gains a reference to it: the components of the
 * garbage are exact. A live candidate (the estimate erred) may gain or lose
 * references between slices; that can only merge or split components of
 * live objects, which verification keeps whatever their grouping.
 *
 * Data. Candidates get indices 0..n-1 as they are added, and a candidate's
 * index is written into its GC head's refs word: the estimate that word
 * held is finished with once grouping starts, and until the candidate is
 * verified nothing else writes it (young collections write only their own
 * members' words, verification only its batch's). A head g is candidate i
 * exactly when heads[i] == g for i = g->refs, so any object's word can be
 * looked up, candidate or not, with one comparison and no table. parent[]
 * is a union-find forest (union by smaller index, path halving). Once every
 * edge is united, each candidate is pushed on its root's chain (chain_head,
 * chain_next), and groups are taken root by root in index order. A
 * candidate freed meanwhile is forgotten (heads[i] = NULL) and skipped.
 * Memory: 20 bytes per candidate, kept from one collection to the next (a
 * collector that falls into page faults on every collection pays more for
 * them than for the grouping) and reallocated when a collection needs more,
 * or less than a quarter. Without memory, grouping reports failure and the
 * caller confirms all candidates as one group.
 */
#include <stdlib.h>
#include <string.h>

#include "collector/gc_internal.h"
#include "runtime/weakref.h"

#define NONE UINT32_MAX

/* g's index among the candidates, or NONE: any head may be asked (see "Data" above). */
static uint32_t index_of(const cy_gc_components *c, const cy_gc_head *g)
{
	uint32_t i = (uint32_t)g->refs;
	return i < c->n && c->heads[i] == g ? i : NONE;
}

/* Room for cap candidates in every array; returns -1, having freed them all, without memory. */
static int reserve(cy_gc_components *c, size_t cap)
{
	cy_gc_head **heads = realloc(c->heads, cap * sizeof *heads);
	if (heads)
		c->heads = heads;
	uint32_t *parent = realloc(c->parent, cap * sizeof *parent);
	if (parent)
		c->parent = parent;
	uint32_t *chain_next = realloc(c->chain_next, cap * sizeof *chain_next);
	if (chain_next)
		c->chain_next = chain_next;
	uint32_t *chain_head = realloc(c->chain_head, cap * sizeof *chain_head);
	if (chain_head)
		c->chain_head = chain_head;
	if (!heads || !parent || !chain_next || !chain_head) {
		free(c->heads);
		free(c->parent);
		free(c->chain_next);
		free(c->chain_head);
		memset(c, 0, sizeof *c);
		return -1;
	}
	c->cap = cap;
	return 0;
}

int cy_gc_components_begin(cy_gc_components *c, size_t expected)
{
	size_t need = expected + 1;
	if ((c->cap < need || c->cap / 4 > need) && reserve(c, need) != 0)
		return -1;
	c->n = 0;
	c->cursor = 0;
	c->stage = CY_GC_COMPONENTS_ADDING;
	return 0;
}

int cy_gc_components_add(cy_gc_components *c, cy_gc_head *g)
{
	if (c->n == c->cap || c->n >= NONE - 1 || c->n > INT32_MAX)
		return -1; /* more candidates than begin was told */
	uint32_t i = (uint32_t)c->n++;
	c->heads[i] = g;
	c->parent[i] = i;
	g->refs = (int32_t)i;
	return 0;
}

static uint32_t find(cy_gc_components *c, uint32_t i)
{
	while (c->parent[i] != i) {
		c->parent[i] = c->parent[c->parent[i]];
		i = c->parent[i];
	}
	return i;
}

static void unite(cy_gc_components *c, uint32_t a, uint32_t b)
{
	a = find(c, a);
	b = find(c, b);
	if (a < b)
		c->parent[b] = a;
	else if (b < a)
		c->parent[a] = b;
}

typedef struct unite_visit {
	cy_gc_components *c;
	uint32_t from;
} unite_visit;

static int visit_unite(cy_object *referent, void *arg)
{
	unite_visit *v = arg;
	if (!referent || !cy_gc_is_tracked_type(referent->ob_type))
		return 0;
	uint32_t to = index_of(v->c, cy_gc_head_of(referent));
	if (to != NONE)
		unite(v->c, v->from, to);
	return 0;
}

void cy_gc_components_adding_done(cy_gc_components *c)
{
	c->stage = CY_GC_COMPONENTS_UNITING;
	c->cursor = 0;
}

int cy_gc_components_step(cy_gc_components *c, uint64_t deadline)
{
	unsigned since_clock = 0;
	while (c->stage != CY_GC_COMPONENTS_READY) {
		if (c->cursor == c->n) {
			c->cursor = 0;
			if (c->stage == CY_GC_COMPONENTS_UNITING) {
				c->stage = CY_GC_COMPONENTS_CHAINING;
				memset(c->chain_head, 0xff, c->n * sizeof *c->chain_head);
			} else {
				c->stage = CY_GC_COMPONENTS_READY;
			}
			continue;
		}
		uint32_t i = (uint32_t)c->cursor++;
		if (c->stage == CY_GC_COMPONENTS_UNITING) {
			cy_gc_head *g = c->heads[i];
			if (g) {
				cy_object *o = cy_gc_object_of(g);
				unite_visit v = {c, i};
				o->ob_type->traverse(o, visit_unite, &v);
				if (o->ob_type == &cy_weakref_type)
					visit_unite(cy_weakref_peek(o), &v);
			}
		} else {
			uint32_t root = find(c, i);
			c->chain_next[i] = c->chain_head[root];
			c->chain_head[root] = i;
		}
		if (++since_clock == 64) {
			since_clock = 0;
			if (cy_now_ns() >= deadline)
				return 0;
		}
	}
	return 1;
}

void cy_gc_components_forget(cy_gc_components *c, cy_gc_head *g)
{
	if (c->stage == CY_GC_COMPONENTS_OFF)
		return;
	uint32_t i = index_of(c, g);
	if (i != NONE)
		c->heads[i] = NULL; /* its slot keeps the index, so probes past it still work */
}

size_t cy_gc_components_take(cy_gc_components *c, cy_gc_head *batch, size_t max)
{
	size_t moved = 0;
	while (c->cursor < c->n && (moved == 0 || moved < max)) {
		uint32_t root = (uint32_t)c->cursor++;
		for (uint32_t i = c->chain_head[root]; i != NONE; i = c->chain_next[i]) {
			cy_gc_head *g = c->heads[i];
			if (!g)
				continue;
			cy_gc_list_move(g, batch);
			moved++;
		}
	}
	return moved;
}

void cy_gc_components_end(cy_gc_components *c)
{
	/* The arrays stay for the next collection (see "Data" above). */
	c->stage = CY_GC_COMPONENTS_OFF;
	c->n = 0;
	c->cursor = 0;
}
