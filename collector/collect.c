/*
 * collect.c: one collection with the world stopped, CPython's algorithm
 * (Python/gc.c, gc_collect_region). Read cy_gc_collect_stw first: it calls
 * the phases in order.
 *
 * Trial deletion. With every mutator parked and every biased count merged,
 * each object's count is exact. Copy it into the GC head (refs), then for
 * every reference from one object of the set to another, subtract one. An
 * object left with refs > 0 is referenced from outside the set (a mutator's
 * variable, an older generation, a root), so it and everything it reaches
 * is alive; the rest is referenced only from inside the set: garbage. The
 * argument needs only that counts are exact and that every reference held
 * anywhere is counted, which reference counting guarantees, so it holds for
 * any subset of the heap: a generation, or (concurrent.c) a set of
 * candidates found while the mutators ran.
 *
 * Lists. The set being collected is the `work` list; reachability moves
 * survivors to `reachable` in breadth-first order, using the list itself as
 * the queue, so no phase recurses or needs memory proportional to the heap
 * (a million-node ring or chain is fine). Objects in either list have state
 * COLLECTING; survivors carry CY_GC_REACHABLE. An object freed during the
 * collection (by a finalizer, a callback, or clearing) unlinks itself from
 * whichever list it is in: this thread is the lists' owner
 * (cy_gc_tls_collecting).
 *
 * Order after the garbage is known: uncollectable objects out, into
 * gc.garbage at once (the list's reference keeps them alive whatever is
 * cleared later); weak references that are garbage themselves detached
 * silently, weak references to the garbage cleared and their callbacks run;
 * finalizers (each at most once per object, all before any clear); if any
 * user code ran, trial deletion again on what is left, what a finalizer
 * resurrected survives, and weak references user code made meanwhile to
 * what is still garbage are cleared without callbacks; then clear each
 * object to break its cycles; survivors move up a generation.
 *
 * Objects being torn down. An object whose count is zero is being freed by
 * reference counting on this thread, further up the stack: a finalizer or
 * weak reference callback of that teardown (or of a child it released) is
 * what is running this collection, or the object waits on object.c's free
 * stack. It is not garbage for the collector to free: it takes part as if
 * referenced from outside, so it and what it still references survive, and
 * its teardown finishes when the collection returns.
 */
#include <stdio.h>
#include <stdlib.h>

#include "collector/gc_internal.h"
#include "runtime/refcount.h"
#include "runtime/shared_rc.h"
#include "runtime/thread_internal.h"
#include "runtime/weakref.h"

typedef struct collection {
	cy_gc_head work;
	cy_gc_head reachable;
	cy_gc_head uncollectable;
	int gen;
	/* The last type enter_set found to need nothing special (NULL: none yet). */
	const cy_type *plain_type;
	/* Seen while copying counts, so whole passes can be skipped when none exist. */
	int64_t with_weakrefs, with_finalizers, without_clear, with_dealloc, weakrefs_in_set;
	/* Finalizers or weak reference callbacks ran: they may have made weak references to the garbage. */
	int user_code_ran;
	cy_gc_collection_info *info;
	uint64_t phase_start;
	cy_gc_phase phase;
	/* The set in list order, when the first pass could record it (else NULL): see member_array. */
	cy_gc_member_array *members;
	/*
	 * Nothing in the set needs more than clear-then-free, and gc.garbage is not
	 * saving it: marking pins the garbage and promotes survivors as it goes
	 * (move_reachable_in_bulk), survivor_state being where they go.
	 */
	int bulk;
	uint32_t survivor_state;
	int64_t unpinned;  /* objects the scan reached after pinning them */
	int64_t marked_survivors; /* bulk: survivors marking moved to reachable, already in their final state */
	int saveall;       /* CY_GC_DEBUG_SAVEALL, read once when the collection starts */
	int garbage_known; /* the members array holds exactly the garbage */
	/* Verifying candidates: survivors go here with keep_state instead of up a generation (NULL: promoted). */
	cy_gc_head *keep;
	uint32_t keep_state;
} collection;

static void phase_switch(collection *c, cy_gc_phase next)
{
	uint64_t now = cy_now_ns();
	c->info->phase_ns[c->phase] += now - c->phase_start;
	c->phase = next;
	c->phase_start = now;
}

CY_INLINE int in_set(const cy_gc_head *g)
{
	/* In the set being tested: collecting, not yet known to survive. */
	return (cy_gc_state(g) & (CY_GC_WHERE_MASK | CY_GC_REACHABLE)) == CY_GC_COLLECTING;
}

CY_INLINE cy_gc_head *tracked_head(cy_object *o)
{
	return o && cy_gc_is_tracked_type(o->ob_type) ? cy_gc_head_of(o) : NULL;
}

/* ---- the set as an array --------------------------------------------------------- */

/*
 * Walking a list is a chain of dependent loads: each step waits for the
 * previous object's next pointer, a cache miss whenever the set does not
 * fit in L1 (a young generation barely does). The first pass must walk the
 * list; it also records each member here, so that later passes over the
 * whole set read an array, whose loads the processor overlaps. The array
 * is only valid while no member can have been freed: until user code
 * (finalizers, weak reference callbacks) or clearing runs. It belongs to
 * whoever holds collect_lock and keeps its capacity between collections.
 *
 * It pays only while it stays in the caches. A set bigger than MEMBERS_MAX
 * is walked as a list in every pass: a list gathered from young lists is
 * in allocation order, which the pools make memory order, so the
 * processor's own prefetching streams it, and an array would add 8 bytes
 * of traffic per object per pass and page faults to grow it (measured with
 * micro_gc gc_full at a million cycles: 10% slower with the array, 20%
 * faster with it at ten thousand). Without memory for it a collection
 * walks the lists too.
 */
typedef cy_gc_member_array member_array;

/* The array belongs to whoever holds collect_lock: it lives in cy_gc. */
static member_array *const scratch_members = &cy_gc.members;

/* The most members recorded (512 KiB of array); past it the set is walked as a list. */
#define MEMBERS_MAX ((size_t)1 << 16)

static member_array *members_begin(void)
{
	scratch_members->len = 0;
	scratch_members->overflowed = 0;
	return scratch_members;
}

CY_INLINE void members_push(member_array *m, cy_gc_head *g)
{
	if (CY_UNLIKELY(m->len == m->cap)) {
		if (m->overflowed || m->cap >= MEMBERS_MAX) {
			m->overflowed = 1;
			return;
		}
		size_t cap = m->cap ? m->cap * 2 : 1024;
		cy_gc_head **bigger = realloc(m->items, cap * sizeof *bigger);
		if (!bigger) {
			m->overflowed = 1;
			return;
		}
		m->items = bigger;
		m->cap = cap;
	}
	m->items[m->len++] = g;
}

static void members_end(collection *c) { c->members = NULL; }

/* ---- preparing: exact counts, no dead objects, one list ------------------------ */

/*
 * Take every thread's local-count claim (each is parked or offline and has
 * released it; the collector's own too), merge every thread's queued biased
 * counts, then finish every thread's remote unlinks. Merges may free
 * objects, and those frees may queue unlinks for any thread, so all merges
 * come first. Until release_threads, this thread may update any object's
 * local count as its owner would (cy_rc_tls_owns_all): clearing another
 * thread's garbage then takes no merge queue.
 */
static void settle_threads(void)
{
	unsigned end = cy_thread_slots_end();
	for (unsigned i = 0; i < end; i++) {
		cy_thread *t = &cy_threads[i];
		if (cy_atomic_load_acquire(&t->state) != CY_THREAD_FREE)
			cy_local_claim(t);
	}
	cy_rc_tls_owns_all = 1;
	for (unsigned i = 0; i < end; i++) {
		cy_thread *t = &cy_threads[i];
		if (cy_atomic_load_acquire(&t->state) != CY_THREAD_FREE)
			cy_brc_drain(t);
	}
	/* Counts spread over threads (--shared-rc) become exact; published objects nothing refers to are freed. */
	cy_shared_rc_settle();
	for (unsigned i = 0; i < end; i++) {
		cy_thread *t = &cy_threads[i];
		if (cy_atomic_load_acquire(&t->state) != CY_THREAD_FREE)
			cy_gc_process_remote_of(t);
	}
}

/* Give the claims back before the world resumes (states cannot change while it is stopped). */
static void release_threads(void)
{
	cy_rc_tls_owns_all = 0;
	for (unsigned i = 0, end = cy_thread_slots_end(); i < end; i++) {
		cy_thread *t = &cy_threads[i];
		if (cy_atomic_load_acquire(&t->state) != CY_THREAD_FREE)
			cy_local_release(t);
	}
}

static void gather(collection *c)
{
	for (unsigned i = 0, end = cy_thread_slots_end(); i < end; i++) {
		cy_thread *t = &cy_threads[i];
		if (cy_atomic_load_acquire(&t->state) != CY_THREAD_FREE)
			cy_gc_list_splice(&c->work, &t->young);
	}
	for (int gen = 1; gen <= c->gen; gen++)
		cy_gc_list_splice(&c->work, &cy_gc_old[gen]);
}

/*
 * Copy o's count into its head, saturating: an immortal object is always
 * outside-referenced, and so is one whose count is zero (being torn down:
 * see "Objects being torn down" above).
 */
CY_INLINE void copy_count(cy_gc_head *g)
{
	int64_t count = cy_refcount(cy_gc_object_of(g));
	g->refs = count > INT32_MAX || count == 0 ? INT32_MAX : (int32_t)count;
}

/* One reference from inside the set to g: take it off g's outside count. */
CY_INLINE void subtract_one(cy_gc_head *g)
{
	if (g->refs == INT32_MAX)
		return;
	if (CY_UNLIKELY(g->refs <= 0)) {
		fprintf(stderr, "cyclab: a %s object has more references than its count: counting error\n",
			cy_gc_object_of(g)->ob_type->name);
		abort();
	}
	g->refs--;
}

/*
 * Before the marking pass reaches it, an object of the set still carries the
 * state of the list it was gathered from: any thread's young list, or an old
 * generation no older than the one collected.
 */
CY_INLINE int gathered(uint32_t state, int gen)
{
	uint32_t where = state & CY_GC_WHERE_MASK;
	return where == CY_GC_YOUNG || (where >= CY_GC_OLD1 && where < CY_GC_OLD1 + (uint32_t)gen);
}

/* Count what makes o need more than the plain path (enter_set found that something might). */
static CY_NOINLINE void note_special(collection *c, const cy_object *o, const cy_type *t)
{
	c->with_weakrefs += (cy_object_flags(o) & CY_OBJ_HAS_WEAKREFS) != 0;
	c->with_finalizers += t->finalize != NULL;
	c->without_clear += t->clear == NULL;
	c->with_dealloc += t->dealloc != NULL;
	c->weakrefs_in_set += t == &cy_weakref_type;
}

/* First touch of an object of the set: its count, its state, and what later passes will need. */
CY_INLINE int type_is_plain(const cy_type *t) { return !t->finalize && t->clear && !t->dealloc; }

/*
 * First touch of an object of the set: its count, its state, and what later
 * passes will need. A set is mostly objects of a few types, so the last type
 * found plain is remembered (c->plain_type): for its objects only the
 * object's own weak reference flag is left to test.
 */
CY_INLINE void enter_set(collection *c, cy_gc_head *g)
{
	copy_count(g);
	cy_gc_set_state(g, CY_GC_COLLECTING);
	cy_object *o = cy_gc_object_of(g);
	const cy_type *t = o->ob_type;
	if (CY_LIKELY(t == c->plain_type) || type_is_plain(t)) {
		c->plain_type = t;
		if (CY_LIKELY(!(cy_object_flags(o) & CY_OBJ_HAS_WEAKREFS)))
			return;
	}
	note_special(c, o, t);
}

static int visit_subtract_first(cy_object *referent, void *arg)
{
	collection *c = arg;
	cy_gc_head *g = tracked_head(referent);
	if (!g)
		return 0;
	uint32_t state = cy_gc_state(g);
	if (gathered(state, c->gen))
		enter_set(c, g);
	else if ((state & (CY_GC_WHERE_MASK | CY_GC_REACHABLE)) != CY_GC_COLLECTING)
		return 0; /* outside the set: an older generation, or permanent */
	subtract_one(g);
	return 0;
}

/*
 * Trial deletion's first two steps in one pass over the set: each object's
 * count is copied when the pass first meets it, as itself or as a referent
 * (its state still names the list it was gathered from), and each reference
 * between members is subtracted. Returns the number of objects in the set.
 */
static int64_t subtract_internal_refs(collection *c)
{
	int64_t n = 0;
	member_array *members = members_begin();
	for (cy_gc_head *g = c->work.next; g != &c->work; g = g->next, n++) {
		/* Start the load of the object after next while this one is traversed (the list is circular). */
		__builtin_prefetch(g->next->next);
		members_push(members, g);
		if (gathered(cy_gc_state(g), c->gen))
			enter_set(c, g);
		cy_object *o = cy_gc_object_of(g);
		o->ob_type->traverse(o, visit_subtract_first, c);
	}
	c->members = members->overflowed ? NULL : members;
	return n;
}

static int visit_subtract(cy_object *referent, void *arg)
{
	(void)arg;
	cy_gc_head *g = tracked_head(referent);
	if (g && in_set(g))
		subtract_one(g);
	return 0;
}

/* The same over a set already marked COLLECTING (the resurrection check). */
static void subtract_refs(cy_gc_head *set)
{
	for (cy_gc_head *g = set->next; g != set; g = g->next)
		copy_count(g);
	for (cy_gc_head *g = set->next; g != set; g = g->next) {
		cy_object *o = cy_gc_object_of(g);
		o->ob_type->traverse(o, visit_subtract, NULL);
	}
}

static int visit_reachable(cy_object *referent, void *arg)
{
	cy_gc_head *g = tracked_head(referent);
	if (g && in_set(g)) {
		cy_gc_set_state(g, CY_GC_COLLECTING | CY_GC_REACHABLE);
		cy_gc_list_move(g, arg);
	}
	return 0;
}

/* Breadth-first from survivors' objects after before_new: the list is the queue. */
static int64_t scan_survivors(cy_gc_head *survivors, cy_gc_head *before_new)
{
	int64_t moved = 0;
	for (cy_gc_head *g = before_new->next; g != survivors; g = g->next, moved++) {
		cy_object *o = cy_gc_object_of(g);
		o->ob_type->traverse(o, visit_reachable, survivors);
	}
	return moved;
}

CY_INLINE void move_if_referenced_from_outside(cy_gc_head *g, cy_gc_head *survivors)
{
	if (g->refs > 0) {
		cy_gc_set_state(g, CY_GC_COLLECTING | CY_GC_REACHABLE);
		cy_gc_list_move(g, survivors);
	}
}

/*
 * Move everything in set with refs > 0, and everything reachable from it
 * inside set, to survivors. What stays in set is unreachable. The
 * survivors list is the breadth-first queue: scanning starts at its first
 * newly added object and follows the tail as it grows.
 */
static int64_t move_reachable(cy_gc_head *set, cy_gc_head *survivors)
{
	cy_gc_head *before_new = survivors->prev;
	for (cy_gc_head *g = set->next, *next; g != set; g = next) {
		next = g->next;
		move_if_referenced_from_outside(g, survivors);
	}
	return scan_survivors(survivors, before_new);
}

/*
 * Marking for a batch that will be freed in bulk (c->bulk: nothing in the
 * set needs more than clear-then-free, see free_in_bulk). Each pass over a
 * heap bigger than the caches costs a trip to memory per object, so the
 * passes that a plain collection makes one after another are folded:
 *
 *  - Deciding and pinning in one pass. An object with refs > 0 survives; one
 *    with refs == 0 is garbage unless the scan that follows reaches it. It
 *    is pinned at once: its local count is stashed in refs (which holds 0,
 *    known from the test itself) and replaced by CY_REF_IMMORTAL, as
 *    free_in_bulk needs before any clear. An object the scan then reaches
 *    gets its local count back before anything can read it: between the
 *    pinning and the scan no user code runs and nothing reads counts.
 *  - Promoting while marking. A survivor takes its final state (the old
 *    generation it goes to) instead of COLLECTING | REACHABLE. Either way it
 *    is no longer in the set (in_set), and with no user code to run before
 *    promote, nothing else reads the difference; promote then only splices
 *    the list.
 *  - Keeping the garbage in the array. With the set recorded in members,
 *    the deciding pass also moves each object with refs == 0 to the front
 *    of the array, in place (the write index never passes the read index).
 *    If the scan reaches none of them, the front of the array is exactly the
 *    garbage and free_in_bulk needs no pass to find it (c->garbage_known).
 */
CY_INLINE void survive_final(collection *c, cy_gc_head *g)
{
	cy_gc_set_state(g, c->survivor_state);
	cy_gc_list_move(g, &c->reachable);
}

CY_INLINE void pin(cy_gc_head *g)
{
	cy_object *o = cy_gc_object_of(g);
	g->refs = (int32_t)cy_atomic_load_relaxed(&o->ob_ref_local);
	cy_atomic_store_relaxed(&o->ob_ref_local, CY_REF_IMMORTAL);
}

static int visit_reachable_pinned(cy_object *referent, void *arg)
{
	collection *c = arg;
	cy_gc_head *g = tracked_head(referent);
	if (g && in_set(g)) {
		cy_atomic_store_relaxed(&referent->ob_ref_local, (uint32_t)g->refs);
		g->refs = 0;
		c->unpinned++;
		survive_final(c, g);
	}
	return 0;
}

static int64_t scan_survivors_pinned(collection *c, cy_gc_head *before_new)
{
	int64_t moved = 0;
	for (cy_gc_head *g = before_new->next; g != &c->reachable; g = g->next, moved++) {
		cy_object *o = cy_gc_object_of(g);
		o->ob_type->traverse(o, visit_reachable_pinned, c);
	}
	return moved;
}

static int64_t move_reachable_in_bulk(collection *c)
{
	cy_gc_head *before_new = c->reachable.prev;
	member_array *m = c->members;
	if (m) {
		size_t garbage = 0;
		for (size_t i = 0; i < m->len; i++) {
			cy_gc_head *g = m->items[i];
			if (g->refs > 0) {
				survive_final(c, g);
			} else {
				pin(g);
				m->items[garbage++] = g;
			}
		}
		m->len = garbage;
	} else {
		for (cy_gc_head *g = c->work.next, *next; g != &c->work; g = next) {
			next = g->next;
			if (g->refs > 0)
				survive_final(c, g);
			else
				pin(g);
		}
	}
	int64_t moved = scan_survivors_pinned(c, before_new);
	c->garbage_known = m && c->unpinned == 0;
	c->marked_survivors = moved;
	return moved;
}

/* The same for the whole set just marked, its members read from the array rather than the list. */
static int64_t move_reachable_in_collection(collection *c)
{
	if (c->bulk)
		return move_reachable_in_bulk(c);
	if (!c->members)
		return move_reachable(&c->work, &c->reachable);
	cy_gc_head *before_new = c->reachable.prev;
	member_array *m = c->members;
	for (size_t i = 0; i < m->len; i++)
		move_if_referenced_from_outside(m->items[i], &c->reachable);
	return scan_survivors(&c->reachable, before_new);
}

/* ---- what cannot be freed -------------------------------------------------------- */

/* Out of the set, into the uncollectable list: from here on g counts as referenced from outside. */
static void take_uncollectable(cy_gc_head *g, cy_gc_head *uncollectable)
{
	cy_gc_set_state(g, CY_GC_COLLECTING | CY_GC_REACHABLE);
	cy_gc_list_move(g, uncollectable);
}

static int visit_uncollectable(cy_object *referent, void *arg)
{
	cy_gc_head *g = tracked_head(referent);
	if (g && in_set(g))
		take_uncollectable(g, arg);
	return 0;
}

/*
 * Objects without clear, and all they reach in the garbage, cannot be
 * freed: they go to gc.garbage now, before anything is cleared, so that
 * the list's reference keeps them alive when collectable garbage that
 * references them is cleared. Returns how many.
 */
static int64_t move_uncollectable(collection *c)
{
	if (!c->without_clear)
		return 0;
	for (cy_gc_head *g = c->work.next, *next; g != &c->work; g = next) {
		next = g->next;
		if (!cy_gc_object_of(g)->ob_type->clear)
			take_uncollectable(g, &c->uncollectable);
	}
	int64_t n = 0;
	for (cy_gc_head *g = c->uncollectable.next; g != &c->uncollectable; g = g->next, n++) {
		cy_object *o = cy_gc_object_of(g);
		o->ob_type->traverse(o, visit_uncollectable, &c->uncollectable);
		cy_incref_any(o);
		cy_gc_garbage_append(o);
	}
	return n;
}

/* ---- weak references ----------------------------------------------------------- */

typedef struct object_array {
	cy_object **items;
	size_t len, cap;
} object_array;

static void object_array_append(void *arg, cy_object *o)
{
	object_array *a = arg;
	if (a->len == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		cy_object **bigger = realloc(a->items, cap * sizeof *bigger);
		if (!bigger) {
			fprintf(stderr, "cyclab: out of memory collecting weak reference callbacks\n");
			abort();
		}
		a->items = bigger;
		a->cap = cap;
	}
	a->items[a->len++] = o;
}

/*
 * First, weak references that are garbage themselves stop referring,
 * silently: their referents may die later (when clearing the garbage
 * releases them), and a garbage weak reference must never call back
 * (CPython's handle_weakrefs does the same). Then clear every weak
 * reference to the garbage, and call back those that are not garbage
 * themselves. Clearing all before calling any means no callback can reach
 * a garbage object through a weak reference.
 */
static void handle_weakrefs(collection *c)
{
	if (c->weakrefs_in_set) {
		for (cy_gc_head *g = c->work.next; g != &c->work; g = g->next) {
			cy_object *o = cy_gc_object_of(g);
			if (o->ob_type == &cy_weakref_type)
				cy_weakref_type.clear(o);
		}
	}
	if (!c->with_weakrefs)
		return;
	object_array callbacks = {0};
	for (cy_gc_head *g = c->work.next; g != &c->work; g = g->next) {
		cy_object *o = cy_gc_object_of(g);
		if (cy_object_flags(o) & CY_OBJ_HAS_WEAKREFS)
			cy_weakref_detach(o, object_array_append, &callbacks);
	}
	for (size_t i = 0; i < callbacks.len; i++) {
		cy_object *weakref = callbacks.items[i];
		cy_gc_head *g = tracked_head(weakref);
		if (!(g && in_set(g))) {
			c->user_code_ran = 1;
			cy_weakref_call_back(weakref);
		}
	}
	for (size_t i = 0; i < callbacks.len; i++)
		cy_decref_any(callbacks.items[i]);
	free(callbacks.items);
}

/*
 * After user code ran, and after the resurrection check: weak references
 * it made to objects that are still garbage are cleared, without callbacks,
 * before anything is cleared, so none can hand out an object being freed
 * (CPython's clear_weakrefs after finalizers, gh-91636).
 */
static void clear_late_weakrefs(collection *c)
{
	object_array detached = {0};
	for (cy_gc_head *g = c->work.next; g != &c->work; g = g->next) {
		cy_object *o = cy_gc_object_of(g);
		if (cy_object_flags(o) & CY_OBJ_HAS_WEAKREFS)
			cy_weakref_detach(o, object_array_append, &detached);
	}
	for (size_t i = 0; i < detached.len; i++)
		cy_decref_any(detached.items[i]);
	free(detached.items);
}

/* ---- finalizers and resurrection ------------------------------------------------ */

/* Run each finalizer once; returns how many ran. */
static int64_t finalize_garbage(collection *c)
{
	int64_t ran = 0;
	if (!c->with_finalizers)
		return 0;
	cy_gc_head seen;
	cy_gc_list_init(&seen);
	/* Move each object out before its finalizer runs: the finalizer may free others. */
	while (!cy_gc_list_is_empty(&c->work)) {
		cy_gc_head *g = c->work.next;
		cy_gc_list_move(g, &seen);
		cy_object *o = cy_gc_object_of(g);
		if (o->ob_type->finalize && !(cy_object_flags(o) & CY_OBJ_FINALIZED)) {
			cy_object_set_flags(o, CY_OBJ_FINALIZED);
			cy_incref_any(o);
			o->ob_type->finalize(o);
			cy_decref_any(o);
			ran++;
		}
	}
	cy_gc_list_splice(&c->work, &seen);
	return ran;
}

/* After finalizers: whatever now has an outside reference survives, with all it reaches; returns how many. */
static int64_t handle_resurrected(collection *c)
{
	subtract_refs(&c->work);
	return move_reachable(&c->work, &c->reachable);
}

/* ---- breaking cycles ---------------------------------------------------------------- */

/*
 * One object at a time, as CPython does: clearing an object drops its
 * references, and the reference counts free whatever that leaves
 * unreferenced, other garbage included. What a clear leaves referenced
 * from outside survives.
 */
static void clear_one_by_one(collection *c, int saveall)
{
	while (!cy_gc_list_is_empty(&c->work)) {
		cy_gc_head *g = c->work.next;
		cy_object *o = cy_gc_object_of(g);
		cy_incref_any(o);
		if (saveall) {
			cy_gc_garbage_append(o); /* our reference moves into gc.garbage */
			cy_gc_set_state(g, CY_GC_COLLECTING | CY_GC_REACHABLE);
			cy_gc_list_move(g, &c->reachable);
			continue;
		}
		o->ob_type->clear(o);
		/* Still here: something outside keeps it; it survives until that goes. */
		cy_gc_set_state(g, CY_GC_COLLECTING | CY_GC_REACHABLE);
		cy_gc_list_move(g, &c->reachable);
		cy_decref_any(o);
	}
}

/*
 * The whole batch at once (the Recycler's "collect white"). Every object
 * left in work is referenced from nowhere but the batch: trial deletion
 * found no outside reference, weak references to it are gone and its
 * finalizers have run without resurrecting it. So the collector can free
 * the batch itself rather than through the counts. Each object is made
 * immortal first, so a clear that drops a reference into the batch changes
 * nothing, and no object of the batch is freed while another's clear may
 * still read it; references out of the batch are dropped for real (and may
 * free objects outside, which unlink themselves from their lists as
 * usual). Then every object's storage goes back in one pass, and the list
 * is simply forgotten. Types with their own dealloc are not freed this way
 * (their teardown is more than clear-then-free): a set holding one anywhere
 * (enter_set counts them) is cleared one by one.
 */
static void free_in_bulk(collection *c)
{
	if (c->members) {
		/*
		 * No member has been freed yet (free_in_bulk's caller checks that
		 * nothing ran), so the array still holds the whole set: keep the
		 * garbage in it, in place, and work on that.
		 */
		member_array *m = c->members;
		size_t n = m->len;
		if (!c->garbage_known) {
			n = 0;
			for (size_t i = 0; i < m->len; i++) {
				cy_gc_head *g = m->items[i];
				if (in_set(g)) {
					if (!c->bulk)
						cy_atomic_store_relaxed(&cy_gc_object_of(g)->ob_ref_local, CY_REF_IMMORTAL);
					m->items[n++] = g;
				}
			}
		}
		for (size_t i = 0; i < n; i++) {
			cy_object *o = cy_gc_object_of(m->items[i]);
			o->ob_type->clear(o);
		}
		cy_object_release_containers(m->items, n);
		CY_COUNT_ADD_ALWAYS(objects_freed, (int64_t)n);
		c->members = NULL;
		cy_gc_list_init(&c->work);
		return;
	}
	if (!c->bulk) {
		for (cy_gc_head *g = c->work.next; g != &c->work; g = g->next)
			cy_atomic_store_relaxed(&cy_gc_object_of(g)->ob_ref_local, CY_REF_IMMORTAL);
	}
	for (cy_gc_head *g = c->work.next; g != &c->work; g = g->next) {
		cy_object *o = cy_gc_object_of(g);
		o->ob_type->clear(o);
	}
	int64_t freed = 0;
	for (cy_gc_head *g = c->work.next, *next; g != &c->work; g = next, freed++) {
		next = g->next;
		cy_object_release_containers(&g, 1);
	}
	CY_COUNT_ADD_ALWAYS(objects_freed, freed);
	cy_gc_list_init(&c->work);
}

static void delete_garbage(collection *c)
{
	if (c->saveall || c->with_dealloc)
		clear_one_by_one(c, c->saveall);
	else
		free_in_bulk(c);
}

/* ---- survivors ---------------------------------------------------------------------- */

static int64_t promote(collection *c)
{
	int target = c->gen < CY_GC_GENERATIONS - 1 ? c->gen + 1 : CY_GC_GENERATIONS - 1;
	uint32_t state = cy_gc_old_state(target);
	int64_t n = 0;
	if (c->bulk) {
		cy_gc_list_splice(&cy_gc_old[target], &c->reachable);
		return c->marked_survivors;
	}
	if (c->keep) {
		for (cy_gc_head *g = c->uncollectable.next; g != &c->uncollectable; g = g->next, n++)
			cy_gc_set_state(g, state);
		cy_gc_list_splice(&cy_gc_old[target], &c->uncollectable);
		for (cy_gc_head *g = c->reachable.next; g != &c->reachable; g = g->next)
			cy_gc_set_state(g, c->keep_state);
		cy_gc_list_splice(c->keep, &c->reachable);
		return n;
	}
	cy_gc_list_splice(&c->reachable, &c->uncollectable);
	for (cy_gc_head *g = c->reachable.next; g != &c->reachable; g = g->next) {
		cy_gc_set_state(g, state);
		n++;
	}
	cy_gc_list_splice(&cy_gc_old[target], &c->reachable);
	return n;
}

void cy_gc_update_counts(int gen, int64_t survivors)
{
	if (gen + 1 < CY_GC_GENERATIONS)
		cy_gc.count[gen + 1]++;
	for (int i = 1; i <= gen; i++)
		cy_gc.count[i] = 0;
	cy_atomic_store_relaxed(&cy_gc_young_count, (int64_t)0);
	cy_gc.generation1_promoted = gen == 0 ? cy_gc.generation1_promoted + survivors : 0;
	if (gen == CY_GC_GENERATIONS - 1) {
		cy_gc.long_lived_total = survivors;
		cy_gc.long_lived_pending = 0;
	} else if (gen == CY_GC_GENERATIONS - 2) {
		cy_gc.long_lived_pending += survivors;
	}
}

/*
 * The set is marked: work holds the unreachable objects, reachable the
 * survivors. Everything after: uncollectable objects out, weak references,
 * finalizers and resurrection, clearing, promotion. Returns the number of
 * objects promoted.
 */
static int64_t dispose(collection *c, int64_t unreachable)
{
	/* Uncollectable objects look like garbage, and user code may free members: the array is stale. */
	if (c->without_clear || c->with_weakrefs || c->with_finalizers)
		c->members = NULL;
	int64_t uncollectable = move_uncollectable(c);
	c->info->uncollectable += uncollectable;
	unreachable -= uncollectable;

	/*
	 * A bulk batch has no weak references or finalizers: those phases have
	 * nothing to do and take no clock reading (on a virtual machine one
	 * costs about as much as freeing a few objects); their few nanoseconds
	 * count to marking.
	 */
	if (!c->bulk)
		phase_switch(c, CY_GC_PHASE_WEAKREFS);
	handle_weakrefs(c);

	if (!c->bulk)
		phase_switch(c, CY_GC_PHASE_FINALIZE);
	c->user_code_ran |= finalize_garbage(c) > 0;
	/* User code may free garbage early, resurrect it, or make weak references to it: count what is left. */
	if (c->user_code_ran) {
		handle_resurrected(c);
		clear_late_weakrefs(c);
		unreachable = (int64_t)cy_gc_list_length(&c->work);
	}

	phase_switch(c, CY_GC_PHASE_CLEAR);
	c->info->collected += unreachable;
	delete_garbage(c);

	phase_switch(c, CY_GC_PHASE_PROMOTE);
	int64_t promoted = promote(c);
	phase_switch(c, CY_GC_PHASE_PROMOTE);
	return promoted;
}

/* CYCLAB_GC_VERIFY (verify.c): after marking, what is left in work has no outside reference. */
static void verify_marked(const collection *c)
{
	cy_gc_verify_list(&c->work, CY_GC_COLLECTING, "marking (unreachable)");
	cy_gc_verify_list(&c->reachable, c->bulk ? c->survivor_state & CY_GC_WHERE_MASK : CY_GC_COLLECTING,
		"marking (reachable)");
	for (const cy_gc_head *g = c->work.next; g != &c->work; g = g->next) {
		if (c->bulk) {
			/* Pinned: refs holds the stashed local count; the test refs == 0 pinned it. */
			if (cy_atomic_load_relaxed(&cy_gc_object_of(g)->ob_ref_local) != CY_REF_IMMORTAL ||
				(cy_gc_state(g) & CY_GC_REACHABLE)) {
				fprintf(stderr, "cyclab: CYCLAB_GC_VERIFY: an unreachable %s was not pinned\n",
					cy_gc_object_of(g)->ob_type->name);
				abort();
			}
			continue;
		}
		if (g->refs != 0 || (cy_gc_state(g) & CY_GC_REACHABLE)) {
			fprintf(stderr, "cyclab: CYCLAB_GC_VERIFY: an unreachable %s has %d outside references\n",
				cy_gc_object_of(g)->ob_type->name, g->refs);
			abort();
		}
	}
}

/* CYCLAB_GC_VERIFY: the generations after a stop-the-world collection, and nothing missed by a full one. */
static void verify_after(int gen)
{
	for (int i = 1; i < CY_GC_GENERATIONS; i++)
		cy_gc_verify_list(&cy_gc_old[i], i == 1 ? CY_GC_OLD1 : CY_GC_OLD2, "a collection");
	/* The world was stopped throughout: only user code could have dropped anything meanwhile. */
	if (gen == CY_GC_GENERATIONS - 1)
		cy_gc_verify_nothing_missed(1);
}

int64_t cy_gc_verify_candidates(cy_gc_head *candidates, int gen, cy_gc_collection_info *info, cy_gc_head *keep,
	uint32_t keep_state)
{
	collection c = {.gen = gen, .info = info, .phase = CY_GC_PHASE_PREPARE, .phase_start = cy_now_ns(),
		.keep = keep, .keep_state = keep_state,
		.saveall = (cy_atomic_load_relaxed(&cy_gc.debug) & CY_GC_DEBUG_SAVEALL) != 0};
	cy_gc_list_init(&c.work);
	cy_gc_list_init(&c.reachable);
	cy_gc_list_init(&c.uncollectable);
	settle_threads();
	cy_gc_list_splice(&c.work, candidates);

	phase_switch(&c, CY_GC_PHASE_MARK);
	int64_t n = 0;
	for (cy_gc_head *g = c.work.next; g != &c.work; g = g->next, n++)
		enter_set(&c, g);
	for (cy_gc_head *g = c.work.next; g != &c.work; g = g->next) {
		cy_object *o = cy_gc_object_of(g);
		o->ob_type->traverse(o, visit_subtract, NULL);
	}
	int64_t unreachable = n - move_reachable(&c.work, &c.reachable);
	if (CY_UNLIKELY(cy_gc_verify_enabled))
		verify_marked(&c);
	int64_t promoted = dispose(&c, unreachable);
	release_threads();
	return promoted;
}

int64_t cy_gc_collect_stw(int gen, int automatic)
{
	cy_gc_collection_info info = {0};
	info.number = ++cy_gc.collections;
	info.generation = gen;
	info.automatic = automatic;
	cy_gc_flush_count();
	info.counts_before[0] = cy_atomic_load_relaxed(&cy_gc_young_count);
	info.counts_before[1] = cy_gc.count[1];
	info.counts_before[2] = cy_gc.count[2];
	cy_gc_run_callbacks(1, &info);

	collection c = {.gen = gen, .info = &info, .phase = CY_GC_PHASE_STOP_WORLD,
		.saveall = (cy_atomic_load_relaxed(&cy_gc.debug) & CY_GC_DEBUG_SAVEALL) != 0};
	cy_gc_list_init(&c.work);
	cy_gc_list_init(&c.reachable);
	cy_gc_list_init(&c.uncollectable);
	info.start_ns = c.phase_start = cy_now_ns();
	uint64_t cpu_start = cy_thread_cpu_ns();

	cy_stw_report stop;
	cy_world_stop(&stop);
	cy_gc_tls_collecting = 1;
	phase_switch(&c, CY_GC_PHASE_PREPARE);
	settle_threads();
	gather(&c);

	if (CY_UNLIKELY(cy_gc_verify_enabled))
		cy_gc_verify_list(&c.work, 0, "gathering");

	phase_switch(&c, CY_GC_PHASE_MARK);
	info.examined = subtract_internal_refs(&c);
	c.bulk = !c.saveall && !(c.with_weakrefs | c.with_finalizers | c.without_clear | c.with_dealloc | c.weakrefs_in_set);
	c.survivor_state = cy_gc_old_state(gen < CY_GC_GENERATIONS - 1 ? gen + 1 : CY_GC_GENERATIONS - 1);
	int64_t unreachable = info.examined - move_reachable_in_collection(&c);
	if (CY_UNLIKELY(cy_gc_verify_enabled))
		verify_marked(&c);
	cy_gc_update_counts(gen, dispose(&c, unreachable));
	members_end(&c);
	if (CY_UNLIKELY(cy_gc_verify_enabled))
		verify_after(gen);
	release_threads();

	cy_gc_tls_collecting = 0;
	/* Before resuming: our own return to running may wait behind another thread's stop. */
	uint64_t end = cy_now_ns();
	cy_world_resume();
	info.cpu_ns = cy_thread_cpu_ns() - cpu_start;
	info.wall_ns = end - info.start_ns;
	info.pause_ns = end - stop.requested_ns;
	info.max_time_to_safepoint_ns = cy_gc_max_time_to_safepoint(&stop);
	if (info.examined >= 256) {
		uint64_t per_object = info.pause_ns / (uint64_t)info.examined + 1;
		uint64_t average = cy_gc.stw_ns_per_object;
		cy_gc.stw_ns_per_object = average ? (7 * average + per_object) / 8 : per_object;
	}
	cy_gc_record_pause(info.number, &stop, end, info.cpu_ns, CY_GC_PAUSE_COLLECTION);
	cy_gc_account(&info);
	cy_gc_run_callbacks(0, &info);
	return info.collected + info.uncollectable;
}
