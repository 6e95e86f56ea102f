/*
 * verify.c: the collector checking itself (CYCLAB_GC_VERIFY=1), as Go's
 * gccheckmark re-marks with the world stopped and CPython's debug build
 * validates its lists between phases.
 *
 * Two checks, both with the world stopped, both off unless asked for:
 *
 *  - Lists, after each phase of a collection (collect.c) and at each stop
 *    of a sliced one (sliced.c): every list is a consistent circle
 *    (g->next->prev == g), and every member carries the state the phase
 *    expects of it (cy_gc_verify_list's `where`). A broken link or a stray
 *    object here is a heap corruption found where it happens rather than
 *    collections later.
 *
 *  - Garbage missed, after every full collection: the old generations are
 *    analysed again by trial deletion, written independently of collect.c
 *    (a side table of counts, no list moves, no state changes), and every
 *    object found unreachable is garbage the collection missed. Young
 *    objects are left out: user code (finalizers, callbacks) may have made
 *    new garbage while the collection ran. A collection while no other
 *    mutator could run (an explicit collection by the only mutator, which
 *    waits for it) must miss nothing: then a miss aborts with a message.
 *    Otherwise mutators may have dropped objects after the collection's
 *    snapshot, which a sliced collection rightly leaves to the next one;
 *    those are only counted (cy_gc_verify_missed).
 *
 * Cost: the list check is a walk of the lists touched; the garbage check
 * is a walk of the old generations with an open-addressing table, about
 * 16 bytes per object, for the length of the check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/gc_internal.h"
#include "runtime/hash.h"
#include "runtime/refcount.h"

int cy_gc_verify_enabled;
static int64_t missed_total;

void cy_gc_verify_configure(void)
{
	const char *v = getenv("CYCLAB_GC_VERIFY");
	cy_gc_verify_enabled = v && *v && strcmp(v, "0") != 0;
}

int64_t cy_gc_verify_missed(void) { return missed_total; }

static CY_COLD void fail(const char *what, const cy_gc_head *g, const char *phase)
{
	fprintf(stderr, "cyclab: CYCLAB_GC_VERIFY: %s (object %p, a %s, state %#x) after %s\n", what, (const void *)g,
		g ? cy_gc_object_of(g)->ob_type->name : "-", g ? cy_gc_state(g) : 0u, phase);
	abort();
}

void cy_gc_verify_list(const cy_gc_head *list, uint32_t where, const char *phase)
{
	const cy_gc_head *prev = list;
	for (const cy_gc_head *g = list->next; g != list; prev = g, g = g->next) {
		if (!g || g->prev != prev)
			fail("a list link does not point back", g, phase);
		if (where && (cy_gc_state(g) & CY_GC_WHERE_MASK) != where)
			fail("an object is in a list its state does not name", g, phase);
	}
	if (list->prev != prev)
		fail("a list's last link does not point back", prev, phase);
}

/* ---- garbage missed: an independent trial deletion over the old generations ---------- */

typedef struct entry {
	const cy_gc_head *head;
	int64_t refs;   /* outside references, once internal ones are subtracted */
	int reachable;
} entry;

typedef struct table {
	entry *slots;
	size_t mask;
	const cy_gc_head **queue; /* reachable objects still to scan */
	size_t queued;
} table;

static entry *lookup(table *t, const cy_gc_head *g)
{
	size_t i = (size_t)cy_hash_pointer(g) & t->mask;
	while (t->slots[i].head && t->slots[i].head != g)
		i = (i + 1) & t->mask;
	return &t->slots[i];
}

static int visit_subtract(cy_object *referent, void *arg)
{
	table *t = arg;
	if (referent && cy_gc_is_tracked_type(referent->ob_type)) {
		entry *e = lookup(t, cy_gc_head_of(referent));
		if (e->head)
			e->refs--;
	}
	return 0;
}

static int visit_reach(cy_object *referent, void *arg)
{
	table *t = arg;
	if (referent && cy_gc_is_tracked_type(referent->ob_type)) {
		entry *e = lookup(t, cy_gc_head_of(referent));
		if (e->head && !e->reachable) {
			e->reachable = 1;
			t->queue[t->queued++] = e->head;
		}
	}
	return 0;
}

void cy_gc_verify_nothing_missed(int must_be_exact)
{
	size_t n = 0;
	for (int gen = 1; gen < CY_GC_GENERATIONS; gen++)
		n += cy_gc_list_length(&cy_gc_old[gen]);
	size_t nslots = 16;
	while (nslots < 2 * n + 2)
		nslots *= 2;
	table t = {.slots = calloc(nslots, sizeof(entry)), .mask = nslots - 1, .queue = malloc((n + 1) * sizeof(void *))};
	if (!t.slots || !t.queue) {
		fprintf(stderr, "cyclab: CYCLAB_GC_VERIFY: no memory to check %zu objects; check skipped\n", n);
		free(t.slots);
		free(t.queue);
		return;
	}
	for (int gen = 1; gen < CY_GC_GENERATIONS; gen++) {
		for (const cy_gc_head *g = cy_gc_old[gen].next; g != &cy_gc_old[gen]; g = g->next) {
			entry *e = lookup(&t, g);
			int64_t count = cy_refcount(cy_gc_object_of(g));
			e->head = g;
			e->refs = count == 0 ? INT64_MAX : count; /* zero: being torn down, as the collector treats it */
		}
	}
	for (int gen = 1; gen < CY_GC_GENERATIONS; gen++) {
		for (const cy_gc_head *g = cy_gc_old[gen].next; g != &cy_gc_old[gen]; g = g->next) {
			cy_object *o = cy_gc_object_of(g);
			o->ob_type->traverse(o, visit_subtract, &t);
		}
	}
	for (size_t i = 0; i < nslots; i++) {
		entry *e = &t.slots[i];
		if (e->head && e->refs > 0) {
			e->reachable = 1;
			t.queue[t.queued++] = e->head;
		}
	}
	while (t.queued > 0) {
		cy_object *o = cy_gc_object_of(t.queue[--t.queued]);
		o->ob_type->traverse(o, visit_reach, &t);
	}
	int64_t missed = 0;
	const cy_gc_head *example = NULL;
	for (size_t i = 0; i < nslots; i++) {
		if (t.slots[i].head && !t.slots[i].reachable) {
			missed++;
			example = t.slots[i].head;
		}
	}
	free(t.slots);
	free(t.queue);
	missed_total += missed;
	if (missed && must_be_exact) {
		fprintf(stderr, "cyclab: CYCLAB_GC_VERIFY: a full collection left %lld unreachable objects in the old generations\n",
			(long long)missed);
		fail("garbage missed by a full collection", example, "a full collection");
	}
}
