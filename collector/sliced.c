/*
 * sliced.c: a collection cut into slices, each a short stop of the world,
 * with the mutators running in between: the engine of the incremental
 * flavour (incremental.c decides when a slice is due) and of the concurrent
 * one (concurrent.c computes the estimate with the world running: mark_until's
 * concurrent flag).
 *
 * A stop-the-world collection of a large generation stops the world for
 * time proportional to the generation. Here the work is done in slices:
 * each slice stops the world for about the pause budget and resumes where
 * the last one stopped. Mutators run between slices and change counts and
 * pointers, so the marking slices compute only an estimate: a set of
 * candidate garbage. Verification slices then confirm the candidates with
 * exact counts, a batch at a time (collect.c's trial deletion is sound for
 * any subset of the heap when the world is stopped), and dispose of the
 * confirmed garbage as a stop-the-world collection would; an object the
 * estimate got wrong survives, and garbage it missed is found next time.
 *
 * What bounds a slice: the budget is checked every 64 objects marked and
 * after each verified batch, and a batch is sized to what is left of the
 * slice at the cost per object measured on earlier batches. Between marking
 * and verification the candidates are grouped into weakly connected
 * components (components.c), in slices too; a batch is whole components,
 * which is what makes the result and the order of finalizers, resurrections
 * and weak reference callbacks the same as a stop-the-world collection's.
 * One object's traverse is never split, nor one component, so a single huge
 * container (a list of a million items) or a huge garbage structure costs
 * its whole traversal in one slice.
 *
 * In incremental mode no object is read while mutators run: every slice is
 * a stop of the world, so containers are between operations and need no
 * lock. (The concurrent mode's reads while mutators run are argued in
 * concurrent.c.) What mutators may
 * do between slices, and why it is safe:
 *  - Free an object of the collected generations: its list belongs to this
 *    collection, so gc_track.c marks it DEAD and pushes it on a dead stack
 *    instead of unlinking it; each slice first unlinks and releases those.
 *    Which objects that covers is decided by the old-generation epoch: the
 *    collection takes generations 1..k as they were at its start, and
 *    objects promoted meanwhile (young collections still run) carry a later
 *    epoch and live in the ordinary lists.
 *  - Allocate: new objects go to young lists, outside the collection.
 *
 * Marks without writes to survivors. The estimate's per-object data lives
 * in the GC head's refs word: bits 0..22 the estimated outside count, bit
 * 23 "reachable", bits 24..31 this collection's 8-bit mark (1..254: a
 * stop-the-world collection leaves counts, top byte 0, or -1, top byte
 * 255). An object whose mark is not this collection's has not been visited
 * yet, so nothing needs clearing afterwards; a stale mark that happens to
 * match (one in 254 collections) only makes the estimate worse, never the
 * result.
 *
 * Members as an array. The collection's lists are in no useful memory
 * order, and walking one is a chain of cache misses, one per object.
 * The subtracting pass must walk the list; it also records each member in
 * an array, and the passes that read every member again (seeding, and
 * adding the candidates to the components) read the array, prefetching
 * a few entries ahead so that the misses overlap (not when the list is
 * found to follow memory order: see members_append). The array stays valid
 * only while no member's storage is released: until the candidates are
 * added, the dead stack is left alone (release_postponed), and every pass
 * skips members marked DEAD, whose storage is intact. Without memory for
 * the array, or past MEMBERS_MAX, the lists are walked as before.
 */
#include <stdio.h>
#include <stdlib.h>

#include "collector/gc_internal.h"
#include "runtime/refcount.h"
#include "runtime/thread_internal.h"

/* The most members recorded (32 MiB of array); past it, the lists are walked. */
#define MEMBERS_MAX ((size_t)1 << 22)
/* Members the subtracting pass looks at to tell whether the list follows memory order. */
#define MEMBERS_SAMPLE 4096
/* How many array entries ahead a pass prefetches: about the misses a core keeps in flight. */
#define PREFETCH_AHEAD 8

#define COUNT_MASK 0x7fffffu
#define REACHABLE_BIT 0x800000u
#define MARK_SHIFT 24

/* The state of the sliced collection: cy_gc's, touched with collect_lock held (or by the collector thread alone while it marks). */
static cy_gc_sliced_state *const inc = &cy_gc.sliced;

/*
 * The members in the order the subtracting pass met them ("Members as an
 * array" above), under the same rule as inc; the array is kept from one
 * collection to the next.
 */
static struct {
	cy_gc_head **items;
	size_t len, cap;
	size_t cursor; /* where seeding or adding resumes */
	size_t near;   /* of the first members, those within a page of the one before */
	int ok;        /* the array holds every member met so far, and is to be used */
	int add_from;  /* grouping takes its candidates from the array, not from work */
} rec;

int cy_gc_sliced_active(void) { return inc->gen != 0; }

/* ---- the estimate's marks -------------------------------------------------------- */

CY_INLINE uint32_t refs_word(const cy_gc_head *g) { return (uint32_t)g->refs; }
CY_INLINE int visited(const cy_gc_head *g) { return refs_word(g) >> MARK_SHIFT == inc->mark; }
CY_INLINE uint32_t estimate(const cy_gc_head *g) { return refs_word(g) & COUNT_MASK; }
CY_INLINE int marked_reachable(const cy_gc_head *g) { return visited(g) && (refs_word(g) & REACHABLE_BIT); }

/* A count of zero is an object being torn down: outside-referenced, as collect.c's copy_count says. */
static void visit_first(cy_gc_head *g)
{
	int64_t count = cy_refcount(cy_gc_object_of(g));
	uint32_t c = count > (int64_t)COUNT_MASK || count == 0 ? COUNT_MASK : (uint32_t)count;
	g->refs = (int32_t)(inc->mark << MARK_SHIFT | c);
}

/* Is g one of the objects this collection took (and not dead)? The rule is gc_track.c's. */
static int in_collection(const cy_gc_head *g)
{
	uint32_t state = cy_gc_state(g);
	return !(state & CY_GC_DEAD) && cy_gc_old_owned_by(state, inc->gen, inc->start_epoch);
}

CY_INLINE cy_gc_head *collected_head(cy_object *o)
{
	if (!o || !cy_gc_is_tracked_type(o->ob_type))
		return NULL;
	cy_gc_head *g = cy_gc_head_of(o);
	return in_collection(g) ? g : NULL;
}

static int visit_subtract(cy_object *referent, void *arg)
{
	(void)arg;
	cy_gc_head *g = collected_head(referent);
	if (!g)
		return 0;
	if (!visited(g))
		visit_first(g);
	/* Counts moved between slices: an estimate may bottom out early. */
	if (estimate(g) > 0 && estimate(g) != COUNT_MASK)
		g->refs--;
	return 0;
}

/*
 * Mark g reachable and queue it. Survivors go to generation 2 (from either
 * generation), so one still labelled generation 1 is relabelled now, in a
 * slice, with the collection's survivor epoch: it stays the collection's
 * for mutators, and the last pause has no survivor to touch.
 */
static void mark_reachable(cy_gc_head *g)
{
	g->refs = (int32_t)(refs_word(g) | REACHABLE_BIT);
	/*
	 * A compare-and-swap that keeps the flags: while the concurrent
	 * collector marks, a mutator freeing g may set DEAD at the same time.
	 */
	uint32_t state = cy_gc_state(g);
	while ((state & CY_GC_WHERE_MASK) == CY_GC_OLD1) {
		uint32_t survivor =
			(state & CY_GC_DEAD) | CY_GC_OLD2 | cy_gc_epoch_next(inc->start_epoch) << CY_GC_EPOCH_SHIFT;
		if (cy_atomic_cas_weak_acq_rel(&g->state, &state, survivor))
			break;
	}
	cy_gc_list_move(g, &inc->reachable);
	inc->reachable_count++;
}

static int visit_reach(cy_object *referent, void *arg)
{
	(void)arg;
	cy_gc_head *g = collected_head(referent);
	if (!g || marked_reachable(g))
		return 0;
	if (!visited(g))
		visit_first(g);
	mark_reachable(g);
	return 0;
}

/* ---- objects mutators freed between slices ------------------------------------------ */

/*
 * Record g, met by the subtracting pass; on failure the array is given up
 * for this collection. So it is when the list turns out to follow memory
 * order (most of the first MEMBERS_SAMPLE members within a page of the one
 * before, as a structure built in one go is): the processor streams such a
 * list by itself, and the array would only add 8 bytes of traffic per
 * member and per pass, and up to MEMBERS_MAX entries of memory (collect.c's
 * member array, measured the same way: 10% slower at a million objects).
 */
static void members_append(cy_gc_head *g)
{
	if (rec.len > 0 && rec.len <= MEMBERS_SAMPLE) {
		uintptr_t here = (uintptr_t)g, before = (uintptr_t)rec.items[rec.len - 1];
		rec.near += (here > before ? here - before : before - here) < 4096;
		if (rec.len == MEMBERS_SAMPLE && rec.near * 4 > MEMBERS_SAMPLE * 3) {
			rec.ok = 0;
			return;
		}
	}
	if (CY_UNLIKELY(rec.len == rec.cap)) {
		size_t cap = rec.cap ? rec.cap * 2 : 4096;
		cy_gc_head **bigger = cap <= MEMBERS_MAX ? realloc(rec.items, cap * sizeof *bigger) : NULL;
		if (!bigger) {
			rec.ok = 0;
			return;
		}
		rec.items = bigger;
		rec.cap = cap;
	}
	rec.items[rec.len++] = g;
}

/* Is the members array in use, so that no member's storage may be released yet? */
static int release_postponed(void)
{
	if (!rec.ok)
		return 0;
	if (inc->phase < CY_GC_SLICED_GROUP)
		return 1;
	return inc->phase == CY_GC_SLICED_GROUP && !inc->ungrouped && inc->groups.stage == CY_GC_COMPONENTS_ADDING;
}

/*
 * Called once per object a pass handles: nonzero when the pass should stop
 * there. The clock is read every 64 objects. Marking with the world
 * running (concurrent), the collector thread also answers a stop within 8
 * objects rather than at the end of its chunk: a young collection's pause
 * would otherwise include that wait, spent spinning by the mutator that
 * stops the world.
 */
CY_INLINE int time_to_stop(unsigned *since_clock, uint64_t deadline, int concurrent)
{
	++*since_clock;
	if (concurrent && *since_clock % 8 == 0 && CY_UNLIKELY(cy_atomic_load_relaxed(&cy_tls_poll) & CY_POLL_STOP))
		return 1;
	if (*since_clock < 64)
		return 0;
	*since_clock = 0;
	return cy_now_ns() >= deadline;
}

/*
 * Objects taken from the dead stack and not released yet (a slice ran out
 * of time), linked the same way; the same rule as inc.
 */
static cy_object *dead_taken;

/*
 * Release what mutators freed of the collection's objects, until the
 * deadline; returns nonzero when none is left. Bounded because the members
 * array may have kept the dead stack waiting through the whole marking.
 * Nothing left on it may reach a verification batch, so the callers stop
 * the slice when this returns 0.
 */
static int release_dead_until(uint64_t deadline)
{
	unsigned since_clock = 0;
	for (;;) {
		if (!dead_taken) {
			/* Taken again after releasing: a verification batch's finalizers may free more meanwhile. */
			pthread_mutex_lock(&cy_gc_dead_lock);
			dead_taken = cy_gc_dead_stack;
			cy_gc_dead_stack = NULL;
			pthread_mutex_unlock(&cy_gc_dead_lock);
			if (!dead_taken)
				return 1;
		}
		if (time_to_stop(&since_clock, deadline, 0))
			return 0;
		cy_object *o = dead_taken;
		dead_taken = (cy_object *)(uintptr_t)cy_atomic_load_relaxed(&o->ob_owner);
		cy_gc_head *g = cy_gc_head_of(o);
		if (inc->cursor == g)
			inc->cursor = g->next;
		inc->reachable_count -= marked_reachable(g);
		cy_gc_components_forget(&inc->groups, g);
		cy_gc_list_remove(g);
		cy_object_release_storage(o);
	}
}

/* ---- slices ----------------------------------------------------------------------------- */

/*
 * Mark until the deadline; returns MARK_DONE when the estimate is complete,
 * else MARK_MORE. With concurrent set, the world is running
 * (concurrent.c): only types with traverse_concurrent are traversed, and
 * at an object of any other type the cursor stays on it and MARK_NEEDS_STW
 * asks for a slice with the world stopped; members that mutators freed
 * meanwhile are passed over (their storage waits on the dead stack).
 */
enum { MARK_MORE = 0, MARK_DONE = 1, MARK_NEEDS_STW = 2 };

/*
 * The seeding pass over the members array (see "Members as an array"):
 * returns nonzero when it is done, 0 at the deadline or when a stop is
 * asked of the marking thread.
 */
static int seed_members(uint64_t deadline, int concurrent)
{
	unsigned since_clock = 0;
	while (rec.cursor < rec.len) {
		size_t i = rec.cursor++;
		if (i + PREFETCH_AHEAD < rec.len)
			__builtin_prefetch(rec.items[i + PREFETCH_AHEAD], 1);
		cy_gc_head *g = rec.items[i];
		if (!(cy_gc_state(g) & CY_GC_DEAD)) {
			if (!visited(g))
				visit_first(g);
			if (estimate(g) > 0)
				mark_reachable(g);
		}
		if (time_to_stop(&since_clock, deadline, concurrent))
			return 0;
	}
	return 1;
}

/* Seeding from the array, if that is the way: returns 0 when it stopped before the end. */
static int seed_from_members_if_recorded(uint64_t deadline, int concurrent)
{
	if (inc->phase != CY_GC_SLICED_SEED || !rec.ok)
		return 1;
	if (!seed_members(deadline, concurrent))
		return 0;
	inc->phase = CY_GC_SLICED_SCAN;
	inc->cursor = inc->reachable.next;
	return 1;
}

static int mark_until(uint64_t deadline, int concurrent)
{
	unsigned since_clock = 0;
	if (!seed_from_members_if_recorded(deadline, concurrent))
		return MARK_MORE;
	for (;;) {
		cy_gc_head *list = inc->phase == CY_GC_SLICED_SCAN ? &inc->reachable : &inc->work;
		cy_gc_head *g = inc->cursor;
		if (g == list) {
			/* This phase is done: on to the next. */
			if (inc->phase == CY_GC_SLICED_SCAN)
				return MARK_DONE;
			inc->phase = inc->phase == CY_GC_SLICED_SUBTRACT ? CY_GC_SLICED_SEED : CY_GC_SLICED_SCAN;
			inc->cursor = inc->phase == CY_GC_SLICED_SCAN ? inc->reachable.next : inc->work.next;
			rec.cursor = 0;
			if (!seed_from_members_if_recorded(deadline, concurrent))
				return MARK_MORE;
			continue;
		}
		/* Start the load of the object after next while this one is worked on (the list is circular). */
		__builtin_prefetch(g->next->next);
		cy_object *o = cy_gc_object_of(g);
		int (*traverse)(cy_object *, cy_visit_fn, void *) = o->ob_type->traverse;
		/*
		 * A member a mutator freed keeps its storage until the dead stack is
		 * released, but its fields may be gone with its teardown: pass it
		 * over (the world running, or between slices while the members
		 * array keeps the dead stack waiting).
		 */
		if (cy_gc_state(g) & CY_GC_DEAD) {
			inc->cursor = g->next;
			continue;
		}
		if (concurrent) {
			traverse = o->ob_type->traverse_concurrent;
			if (!traverse && inc->phase != CY_GC_SLICED_SEED)
				return MARK_NEEDS_STW;
		}
		/* SEED moves g to reachable; SCAN appends after g, so its cursor is read after the traverse. */
		if (inc->phase != CY_GC_SLICED_SCAN)
			inc->cursor = g->next;
		switch (inc->phase) {
		case CY_GC_SLICED_SUBTRACT:
			if (rec.ok)
				members_append(g);
			if (!visited(g))
				visit_first(g);
			traverse(o, visit_subtract, NULL);
			break;
		case CY_GC_SLICED_SEED:
			if (!visited(g))
				visit_first(g);
			if (estimate(g) > 0)
				mark_reachable(g);
			break;
		case CY_GC_SLICED_SCAN:
			traverse(o, visit_reach, NULL);
			inc->cursor = g->next;
			break;
		case CY_GC_SLICED_GROUP:
		case CY_GC_SLICED_VERIFY: /* not marking any more: work_until does not call us */
			return MARK_DONE;
		}
		inc->info.examined += inc->phase == CY_GC_SLICED_SUBTRACT;
		if (time_to_stop(&since_clock, deadline, concurrent))
			return MARK_MORE;
	}
}

/*
 * Every stop of an incremental collection starts with the collecting
 * thread's CPU clock in cpu_start. end is taken before cy_world_resume: the
 * stopper's own return to running may wait behind the next thread's stop,
 * which is that stop's pause.
 */
/* CPU time of the stops this thread made (the concurrent marking's CPU time is the rest of the collector thread's). */
static _Thread_local uint64_t own_stops_cpu_ns;

static void record_stop(cy_stw_report *stop, cy_gc_pause_kind kind, uint64_t cpu_start, uint64_t end)
{
	uint64_t cpu = cy_thread_cpu_ns() - cpu_start;
	inc->info.cpu_ns += cpu;
	own_stops_cpu_ns += cpu;
	cy_gc_record_pause(inc->info.number, stop, end, cpu, kind);
	inc->info.pause_ns += end - stop->requested_ns;
	uint64_t ttsp = cy_gc_max_time_to_safepoint(stop);
	if (ttsp > inc->info.max_time_to_safepoint_ns)
		inc->info.max_time_to_safepoint_ns = ttsp;
	inc->last_slice_end = end;
}

/*
 * A collection takes the young lists too, so that it collects generations
 * 0..gen as a stop-the-world one does: their objects are
 * relabelled generation 1 of the start epoch, which makes them the
 * collection's for mutators that free them (gc_track.c). Remote frees
 * pending on a young list are done first, so that no dead object is taken.
 */
static void take_young_lists(void)
{
	uint32_t state = CY_GC_OLD1 | inc->start_epoch << CY_GC_EPOCH_SHIFT;
	for (unsigned i = 0, end = cy_thread_slots_end(); i < end; i++) {
		cy_thread *t = &cy_threads[i];
		if (cy_atomic_load_acquire(&t->state) == CY_THREAD_FREE)
			continue;
		cy_gc_process_remote_of(t);
		for (cy_gc_head *g = t->young.next; g != &t->young; g = g->next)
			cy_gc_set_state(g, state);
		cy_gc_list_splice(&inc->work, &t->young);
	}
}

/*
 * Objects in generations 0..gen (collect_lock held), estimated from what
 * collections moved into them, frees ignored: the generation-0 count,
 * what young collections promoted since generation 1 was last collected,
 * and for a full collection the long-lived objects (CPython's counts).
 */
static int64_t estimated_objects(int gen)
{
	int64_t objects = cy_atomic_load_relaxed(&cy_gc_young_count) + cy_gc.generation1_promoted;
	if (gen == CY_GC_GENERATIONS - 1)
		objects += cy_gc.long_lived_total + cy_gc.long_lived_pending;
	return objects;
}

static void begin(int gen, int automatic, int concurrent)
{
	inc->info = (cy_gc_collection_info){0};
	inc->info.number = ++cy_gc.collections;
	inc->info.generation = gen;
	inc->info.automatic = automatic;
	cy_gc_flush_count();
	inc->info.counts_before[0] = cy_atomic_load_relaxed(&cy_gc_young_count);
	inc->info.counts_before[1] = cy_gc.count[1];
	inc->info.counts_before[2] = cy_gc.count[2];
	cy_gc_run_callbacks(1, &inc->info);
	inc->info.start_ns = cy_now_ns();
	uint64_t cpu_start = cy_thread_cpu_ns();

	cy_stw_report stop;
	cy_world_stop(&stop);
	cy_gc_tls_collecting = 1;
	inc->gen = gen;
	inc->phase = CY_GC_SLICED_SUBTRACT;
	inc->marked = 0;
	inc->concurrent = concurrent;
	inc->mark = inc->mark % 254 + 1; /* 1..254: see "Marks without writes to survivors" above */
	inc->slices = 0;
	inc->reachable_count = 0;
	inc->survivors = 0;
	/*
	 * Take generations 1..gen as they are. The next epoch marks this
	 * collection's survivors; later promotions get the one after.
	 */
	inc->start_epoch = cy_atomic_load_relaxed(&cy_gc_old_epoch);
	cy_atomic_store_relaxed(&cy_gc_old_epoch, cy_gc_epoch_next(cy_gc_epoch_next(inc->start_epoch)));
	for (int g = 1; g <= gen; g++)
		cy_gc_list_splice(&inc->work, &cy_gc_old[g]);
	inc->taken_generation1 = cy_gc.generation1_promoted;
	inc->taken_estimate = estimated_objects(gen);
	rec.len = 0;
	rec.cursor = 0;
	rec.near = 0;
	rec.ok = 1;
	/* The array is kept between collections, but not four times bigger than this one is expected to need. */
	if (rec.cap > 65536 && (int64_t)(rec.cap / 4) > inc->taken_estimate) {
		free(rec.items);
		rec.items = NULL;
		rec.cap = 0;
	}
	take_young_lists();
	inc->cursor = inc->work.next;
	cy_atomic_store_relaxed(&cy_gc_incremental_epoch, inc->start_epoch);
	cy_atomic_store_release(&cy_gc_incremental_gen, gen);
	if (concurrent) {
		/* Inside the stop: no mutator is between reading the flag and freeing (gc_track.h). */
		cy_atomic_store_relaxed(&cy_gc_collector_reading, 1);
	} else {
		mark_until(cy_now_ns() + cy_gc.pause_budget_ns, 0);
	}
	cy_gc_tls_collecting = 0;
	uint64_t end = cy_now_ns();
	cy_world_resume();
	record_stop(&stop, CY_GC_PAUSE_SNAPSHOT, cpu_start, end);
	if (concurrent) {
		/* The concurrent marking's CPU time counts from here (see cy_gc_sliced_mark_concurrently). */
		inc->marking_cpu_start = cy_thread_cpu_ns();
		inc->marking_cpu_in_stops = own_stops_cpu_ns;
	}
}

/*
 * The estimate is complete. Its survivors, all relabelled generation 2 when
 * they were marked, join generation 2 in one splice. Until the collection
 * ends they keep the collection's survivor epoch: a mutator that frees one
 * leaves it to the dead stack, which unlinks it from wherever it is. The
 * candidates left in work are then grouped into components.
 */
static void start_grouping(void)
{
	inc->survivors = inc->reachable_count;
	cy_gc_list_splice(&cy_gc_old[CY_GC_GENERATIONS - 1], &inc->reachable);
	inc->phase = CY_GC_SLICED_GROUP;
	int64_t expected = inc->info.examined - inc->reachable_count;
	inc->ungrouped = cy_gc_components_begin(&inc->groups, expected > 0 ? (size_t)expected : 0) != 0;
	inc->cursor = inc->work.next;
	/*
	 * The array holds survivors too: read it only when candidates are a fair
	 * part of it; a few candidates are quicker found in work.
	 */
	rec.add_from = rec.ok && (size_t)(expected > 0 ? expected : 0) * 8 >= rec.len;
	rec.cursor = 0;
}

/* Is g a candidate to group: not marked reachable, and not freed meanwhile? */
static int candidate(const cy_gc_head *g) { return !(cy_gc_state(g) & CY_GC_DEAD) && !marked_reachable(g); }

/* Group the candidates until the deadline; returns nonzero when their components are known. */
static int group_until(uint64_t deadline)
{
	if (inc->ungrouped)
		return 1;
	if (inc->groups.stage == CY_GC_COMPONENTS_ADDING) {
		unsigned since_clock = 0;
		for (;;) {
			cy_gc_head *g;
			if (rec.add_from) {
				if (rec.cursor == rec.len)
					break;
				size_t i = rec.cursor++;
				if (i + PREFETCH_AHEAD < rec.len)
					__builtin_prefetch(rec.items[i + PREFETCH_AHEAD], 1);
				g = rec.items[i];
			} else {
				if (inc->cursor == &inc->work)
					break;
				g = inc->cursor;
				inc->cursor = g->next;
				__builtin_prefetch(g->next->next, 1);
			}
			if (candidate(g) && cy_gc_components_add(&inc->groups, g) != 0) {
				cy_gc_components_end(&inc->groups);
				inc->ungrouped = 1;
				return 1;
			}
			if (time_to_stop(&since_clock, deadline, 0))
				return 0;
		}
		cy_gc_components_adding_done(&inc->groups);
	}
	return cy_gc_components_step(&inc->groups, deadline);
}

/* Verification is over: what it kept joins generation 2 (still the collection's until it ends). */
static void promote_kept(void)
{
	for (cy_gc_head *g = inc->kept.next; g != &inc->kept; g = g->next)
		inc->survivors++;
	cy_gc_list_splice(&cy_gc_old[CY_GC_GENERATIONS - 1], &inc->kept);
}

/* Move the next batch of candidates into batch; returns how many. */
static size_t take_batch(cy_gc_head *batch, size_t max)
{
	size_t n = inc->ungrouped ? 0 : cy_gc_components_take(&inc->groups, batch, max);
	if (n == 0) {
		/* Ungrouped, or (should never be) candidates in no group: all at once is always sound. */
		cy_gc_list_splice(batch, &inc->work);
		n = cy_gc_list_length(batch);
	}
	return n;
}

/*
 * Confirm candidates batch by batch until the deadline; returns nonzero when
 * none is left. A batch is whole components (components.c): confirming
 * them one at a time finds the same garbage, and disposes of it the same
 * way, as a stop-the-world collection of all the candidates, while each
 * stop of the world stays near the budget (a component is never split, so
 * one bigger than the budget is confirmed in one stop). Survivors wait in
 * kept, labelled as the collection's survivors.
 */
static int verify_until(uint64_t deadline)
{
	uint32_t survivor_state = CY_GC_OLD2 | cy_gc_epoch_next(inc->start_epoch) << CY_GC_EPOCH_SHIFT;
	for (;;) {
		if (cy_gc_list_is_empty(&inc->work)) {
			promote_kept();
			return 1;
		}
		/* As many objects as fit in what is left of the slice, at the cost per object seen so far. */
		uint64_t start = cy_now_ns();
		size_t batch_max = (size_t)((deadline > start ? deadline - start : 0) / inc->verify_ns_per_object) + 1;
		cy_gc_head batch;
		cy_gc_list_init(&batch);
		size_t n = take_batch(&batch, batch_max);
		inc->survivors += cy_gc_verify_candidates(&batch, inc->gen, &inc->info, &inc->kept, survivor_state);
		uint64_t end = cy_now_ns();
		uint64_t per_object = (end - start) / n + 1;
		inc->verify_ns_per_object = (3 * inc->verify_ns_per_object + per_object) / 4;
		/* What disposing of the batch freed of the other candidates, before the next batch is taken. */
		if (!release_dead_until(deadline))
			return 0;
		if (end >= deadline) {
			if (!cy_gc_list_is_empty(&inc->work))
				return 0;
			promote_kept();
			return 1;
		}
	}
}

/* Both lists are empty: the collection is over. */
static void complete(void)
{
	/* Young collections went on meanwhile: what they promoted is generation 1 now. */
	int64_t promoted_meanwhile = cy_gc.generation1_promoted - inc->taken_generation1;
	cy_gc_update_counts(inc->gen, inc->survivors);
	cy_gc.generation1_promoted = promoted_meanwhile > 0 ? promoted_meanwhile : 0;
	cy_atomic_store_release(&cy_gc_incremental_gen, 0);
	inc->gen = 0;
	cy_gc_components_end(&inc->groups);
}

/*
 * CYCLAB_GC_VERIFY (verify.c), at each stop: the collection's lists are
 * consistent; once it is over, a full collection missed no garbage, which
 * must hold exactly when nothing but the collection could run meanwhile (an
 * explicit collection on the collector thread, the only mutator waiting;
 * an incremental collection is driven by its mutators' own safepoints).
 */
static void verify_stop(int done)
{
	cy_gc_verify_list(&inc->work, 0, "a slice (work)");
	cy_gc_verify_list(&inc->reachable, 0, "a slice (reachable)");
	cy_gc_verify_list(&inc->kept, 0, "a slice (kept)");
	if (done && inc->info.generation == CY_GC_GENERATIONS - 1)
		cy_gc_verify_nothing_missed(inc->concurrent && !inc->info.automatic && cy_thread_count(CY_ROLE_MUTATOR) <= 1);
}

/* One stop of the world doing up to budget's worth of the next work; returns nonzero when done. */
static int work_until(uint64_t deadline)
{
	if (!release_postponed() && !release_dead_until(deadline))
		return 0;
	if (inc->phase < CY_GC_SLICED_GROUP) {
		if (mark_until(deadline, 0) != MARK_DONE)
			return 0;
		start_grouping();
	}
	if (inc->phase == CY_GC_SLICED_GROUP) {
		if (!group_until(deadline))
			return 0;
		inc->phase = CY_GC_SLICED_VERIFY;
		/* No member freed meanwhile may reach a batch (the members array kept the dead stack waiting). */
		if (!release_dead_until(deadline))
			return 0;
	}
	if (!verify_until(deadline))
		return 0;
	complete();
	return 1;
}

static void after_last_pause(void)
{
	inc->last_found = inc->info.collected + inc->info.uncollectable;
	inc->info.wall_ns = cy_now_ns() - inc->info.start_ns;
	cy_gc_account(&inc->info);
	cy_gc_run_callbacks(0, &inc->info);
}

static void finish(void)
{
	uint64_t cpu_start = cy_thread_cpu_ns();
	cy_stw_report stop;
	cy_world_stop(&stop);
	cy_gc_tls_collecting = 1;
	work_until(UINT64_MAX);
	if (CY_UNLIKELY(cy_gc_verify_enabled))
		verify_stop(1);
	cy_gc_tls_collecting = 0;
	uint64_t end = cy_now_ns();
	cy_world_resume();
	record_stop(&stop, CY_GC_PAUSE_VERIFY, cpu_start, end);
	after_last_pause();
}

/*
 * Pacing: how long the mutators are owed between two slices. Young
 * collections go on while a sliced collection runs and promote into
 * generation 1, outside it; what they promote is the next collection's
 * work. A collection that leaves the mutators a whole budget between slices
 * can fall behind them: the next collection is bigger, takes longer, lets
 * more be promoted meanwhile, and the old generations grow without bound.
 * So the gap shrinks as the promotions catch up with the collection: a
 * whole budget while the young collections have promoted at most half of
 * what the collection took (estimated when it began, as
 * cy_gc_fits_in_a_pause estimates, not counted by the marking, which the
 * collector thread does without the lock; plus one young generation's
 * worth so that small collections are not rushed), none once
 * they have promoted as much, linearly in between. The next collection is
 * then at most about twice the last one's size plus what the thresholds let
 * in, and every slice is still bounded by the budget: falling behind costs
 * the mutators time between pauses, never a longer pause.
 */
static uint64_t gap_ns(void)
{
	uint64_t budget = cy_gc.pause_budget_ns;
	int64_t promoted = cy_gc.generation1_promoted - inc->taken_generation1;
	int64_t young = cy_atomic_load_relaxed(&cy_gc.threshold[0]);
	int64_t high = inc->taken_estimate + (young > 0 ? young : 0);
	int64_t low = high / 2;
	if (promoted <= low)
		return budget;
	if (promoted >= high)
		return 0;
	return (uint64_t)((double)budget * (double)(high - promoted) / (double)(high - low));
}

uint64_t cy_gc_sliced_gap_ns(void) { return inc->gen ? gap_ns() : 0; }

/* One stop of the world for the next budget's worth of work; returns whether it stopped. */
static int step(int even_if_early)
{
	if (!inc->gen)
		return 0;
	/* Leave the mutators the time pacing owes them since the last slice. */
	if (!even_if_early && cy_now_ns() - inc->last_slice_end < gap_ns())
		return 0;
	uint64_t cpu_start = cy_thread_cpu_ns();
	cy_stw_report stop;
	cy_world_stop(&stop);
	cy_gc_tls_collecting = 1;
	/* Read with the world stopped: the concurrent marking moves the phase on without the lock. */
	cy_gc_pause_kind kind = inc->phase >= CY_GC_SLICED_GROUP || inc->marked ? CY_GC_PAUSE_VERIFY : CY_GC_PAUSE_SLICE;
	/* The budget counts from the stop request: time spent waiting for safepoints is pause too. */
	int done = work_until(stop.requested_ns + cy_gc.pause_budget_ns);
	if (CY_UNLIKELY(cy_gc_verify_enabled))
		verify_stop(done);
	cy_gc_tls_collecting = 0;
	uint64_t end = cy_now_ns();
	cy_world_resume();
	record_stop(&stop, kind, cpu_start, end);
	inc->slices++;
	if (done)
		after_last_pause();
	return 1;
}

/*
 * Would a collection of generations 0..gen fit in one pause? Then slicing
 * it is not worth its cost: the snapshot and verify stops alone would take
 * as long, and a sliced collection walks its objects several times more
 * than a stop-the-world one. The size is estimated from what collections
 * moved into the generations, frees ignored; the cost per object from
 * the CPU time of recent stop-the-world collections (gc.c).
 */
int cy_gc_objects_fit_in_a_pause(int64_t objects)
{
	/*
	 * Until a stop-the-world collection has measured it, the cost per
	 * object is taken to be a typical one of a current core (young
	 * collections cost 20 to 70 ns an object on the machines measured):
	 * without a guess, a mode whose collections all run sliced would never
	 * measure it.
	 */
	uint64_t ns_per_object = cy_gc.stw_cpu_ns_per_object ? cy_gc.stw_cpu_ns_per_object : 50;
	return objects >= 0 && (uint64_t)objects * ns_per_object <= cy_gc.pause_budget_ns;
}

int cy_gc_fits_in_a_pause(int gen) { return cy_gc_objects_fit_in_a_pause(estimated_objects(gen)); }

void cy_gc_sliced_begin(int gen, int automatic, int concurrent) { begin(gen, automatic, concurrent); }

int cy_gc_sliced_slice(int even_if_early) { return step(even_if_early); }

void cy_gc_sliced_finish(void)
{
	if (inc->gen)
		finish();
}

int cy_gc_sliced_marking(void) { return inc->gen && inc->phase < CY_GC_SLICED_GROUP; }

int cy_gc_sliced_mark_concurrently(uint64_t ns)
{
	/* A mutator's slice (concurrent.c's assist) may have finished the marking, or the whole collection. */
	int result = inc->gen && inc->phase < CY_GC_SLICED_GROUP ? mark_until(cy_now_ns() + ns, 1) : MARK_DONE;
	switch (result) {
	case MARK_DONE:
		inc->marked = 1;
		/*
		 * The collection's CPU time is its stops' and the marking's: the
		 * collector thread's clock since the snapshot, less the stops it
		 * made meanwhile, which record_stop has counted already.
		 */
		inc->info.cpu_ns += cy_thread_cpu_ns() - inc->marking_cpu_start -
			(own_stops_cpu_ns - inc->marking_cpu_in_stops);
		return CY_GC_MARKED;
	case MARK_NEEDS_STW: return CY_GC_MARK_NEEDS_STW;
	default: return CY_GC_MARK_MORE;
	}
}

int64_t cy_gc_sliced_last_found(void) { return inc->last_found; }
