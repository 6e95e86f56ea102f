/*
 * gc_track.h: the lists that hold every tracked container, between the
 * object runtime (which links objects in and out as they are born and die)
 * and the cycle collector (which moves them between lists).
 *
 * A container (CY_TYPE_CONTAINER) is allocated with a cy_gc_head in front of
 * its cy_object header and is always in exactly one list:
 *
 *   young      one per registered thread: generation 0 of the objects it
 *              allocated. Owner only: linking a new object and unlinking a
 *              freed one are plain pointer writes.
 *   old[1..2]  generations 1 and 2, global, under old_lock.
 *   permanent  frozen objects, never scanned, under old_lock.
 *   a collection's working lists, owned by the collecting thread.
 *
 * The head's state word says which, and only changes while the object's
 * list owner is excluded (the owner itself, old_lock, or the world stopped),
 * so the thread that frees an object can read it and act:
 *
 *   in my young list        unlink, free the storage.
 *   in another's young list push on that thread's remote list (under its
 *                           remote_lock); the owner unlinks and frees at its
 *                           next safepoint (CY_POLL_UNLINK).
 *   old or permanent        unlink under old_lock, free; but if an
 *                           incremental collection owns it (see the epochs
 *                           below), mark DEAD and push it on the dead stack
 *                           for the collector to unlink and free.
 *   collecting              (world stopped) the collecting thread: unlink, free.
 *
 * The generation-0 count (containers born minus young ones that died) is kept
 * per thread and added to the global count every CY_GC_COUNT_BATCH
 * operations, so allocation touches no shared cache line in the common case.
 */
#ifndef CY_GC_TRACK_H
#define CY_GC_TRACK_H

#include <pthread.h>
#include <stdint.h>

#include "atomics.h"
#include "object.h"

typedef struct cy_gc_head {
	struct cy_gc_head *next;
	struct cy_gc_head *prev;
	int32_t refs;   /* collector scratch: references from outside the set being collected */
	uint32_t state; /* CY_GC_* where-bits | flags; see above for who writes it */
} cy_gc_head;

_Static_assert(sizeof(cy_gc_head) == 24, "the GC head is documented as 24 bytes");

/* Where the object is (low 4 bits of state). */
enum {
	CY_GC_YOUNG = 1,      /* a thread's young list; the thread's slot is in bits 16..31 */
	CY_GC_OLD1 = 2,
	CY_GC_OLD2 = 3,
	CY_GC_PERMANENT = 4,
	CY_GC_COLLECTING = 5, /* a collection's working lists */
	CY_GC_WHERE_MASK = 0xf,
	/* Flags. */
	CY_GC_DEAD = 1u << 4,      /* freed by a mutator while a collection owned its list */
	CY_GC_REACHABLE = 1u << 5, /* collector scratch */
	CY_GC_SLOT_SHIFT = 16,     /* YOUNG: the owner thread's slot */
	CY_GC_EPOCH_SHIFT = 6,     /* OLD1, OLD2: the old-generation epoch it was put there in */
};

/*
 * Old-generation epochs. An incremental collection takes generations 1..k
 * as they are at its start and works on them over several pauses; objects
 * promoted meanwhile carry a later epoch. A mutator freeing an old object
 * from an epoch the collection took leaves it to the collector (DEAD), any
 * other it unlinks itself. 26 bits: wrapping would take 67 million
 * incremental collections.
 */
extern uint32_t cy_gc_old_epoch; /* atomic: the epoch new old objects get */

CY_INLINE uint32_t cy_gc_old_state(int gen)
{
	uint32_t where = gen == 1 ? CY_GC_OLD1 : CY_GC_OLD2;
	return where | cy_atomic_load_relaxed(&cy_gc_old_epoch) << CY_GC_EPOCH_SHIFT;
}

CY_INLINE uint32_t cy_gc_epoch_of(uint32_t state) { return state >> CY_GC_EPOCH_SHIFT; }
CY_INLINE uint32_t cy_gc_epoch_next(uint32_t epoch) { return (epoch + 1) & ((1u << (32 - CY_GC_EPOCH_SHIFT)) - 1); }

/*
 * Does an incremental collection of generations 1..gen that started at
 * epoch start own the old object with this state? It owns what it took
 * (generations 1..gen, epochs up to start) and its survivors, which carry
 * epoch start + 1 in generation 2; objects promoted meanwhile carry later
 * epochs. Epochs only grow: a signed 26-bit difference orders them.
 */
CY_INLINE int cy_gc_old_owned_by(uint32_t state, int gen, uint32_t start)
{
	uint32_t where = state & CY_GC_WHERE_MASK;
	if (where != CY_GC_OLD1 && where != CY_GC_OLD2)
		return 0;
	uint32_t epoch = cy_gc_epoch_of(state);
	if (epoch == cy_gc_epoch_next(start))
		return 1;
	int object_gen = where == CY_GC_OLD1 ? 1 : 2;
	int32_t age = (int32_t)((epoch - start) << CY_GC_EPOCH_SHIFT) >> CY_GC_EPOCH_SHIFT;
	return object_gen <= gen && age <= 0;
}

/*
 * The incremental collection in progress, if any: it owns old generations
 * 1..cy_gc_incremental_gen (0: none) as they were at epoch
 * cy_gc_incremental_epoch. Written with the world stopped.
 */
extern int cy_gc_incremental_gen;
extern uint32_t cy_gc_incremental_epoch;

/*
 * Set while the concurrent collector reads objects without stopping the
 * world (collector/concurrent.c explains the protocol). Object storage
 * released meanwhile (cy_object_release_storage) goes back through
 * cy_mem_free_deferred, so its bytes stay as they were until the collector
 * has passed a quiescent state; not on a thread that has the world stopped
 * (cy_gc_tls_collecting), since the collector thread is parked between
 * chunks then, holding no pointer. Set with the world stopped, so no free is
 * half done when it turns on; cleared with a release store that pairs with
 * the acquire load on the free path (a block freed at once after that is
 * one the collector has finished reading).
 */
extern int cy_gc_collector_reading;

CY_INLINE int cy_gc_collector_is_reading(void) { return cy_atomic_load_acquire(&cy_gc_collector_reading); }

/*
 * Objects a mutator freed while the incremental collection owned them,
 * linked through ob_owner; the collector releases them at its next pause.
 */
extern pthread_mutex_t cy_gc_dead_lock;
extern cy_object *cy_gc_dead_stack;

CY_INLINE cy_gc_head *cy_gc_head_of(const cy_object *o) { return (cy_gc_head *)((char *)o - sizeof(cy_gc_head)); }
CY_INLINE cy_object *cy_gc_object_of(const cy_gc_head *g) { return (cy_object *)((char *)g + sizeof(cy_gc_head)); }
CY_INLINE int cy_gc_is_tracked_type(const cy_type *t) { return (t->flags & CY_TYPE_CONTAINER) != 0; }

CY_INLINE uint32_t cy_gc_state(const cy_gc_head *g) { return cy_atomic_load_relaxed(&g->state); }
CY_INLINE void cy_gc_set_state(cy_gc_head *g, uint32_t s) { cy_atomic_store_relaxed(&g->state, s); }
CY_INLINE uint32_t cy_gc_where(const cy_gc_head *g) { return cy_gc_state(g) & CY_GC_WHERE_MASK; }

/* ---- circular lists with a sentinel --------------------------------------- */

CY_INLINE void cy_gc_list_init(cy_gc_head *list)
{
	list->next = list;
	list->prev = list;
}

CY_INLINE int cy_gc_list_is_empty(const cy_gc_head *list) { return list->next == list; }

CY_INLINE void cy_gc_list_append(cy_gc_head *list, cy_gc_head *g)
{
	cy_gc_head *last = list->prev;
	g->prev = last;
	g->next = list;
	last->next = g;
	list->prev = g;
}

CY_INLINE void cy_gc_list_remove(cy_gc_head *g)
{
	g->prev->next = g->next;
	g->next->prev = g->prev;
	g->next = g->prev = NULL;
}

CY_INLINE void cy_gc_list_move(cy_gc_head *g, cy_gc_head *list)
{
	g->prev->next = g->next;
	g->next->prev = g->prev;
	cy_gc_list_append(list, g);
}

/* Append all of from to to; from becomes empty. */
void cy_gc_list_splice(cy_gc_head *to, cy_gc_head *from);
size_t cy_gc_list_length(const cy_gc_head *list);

/* ---- the runtime's side --------------------------------------------------- */

#define CY_GC_COUNT_BATCH 64

/*
 * The calling thread's side of tracking, read on every allocation of a
 * container: its young list (NULL while the thread is not registered), the
 * state its young objects carry (YOUNG and its slot), and its
 * generation-0 count delta not yet added to cy_gc_young_count.
 */
typedef struct cy_gc_tls_young {
	cy_gc_head *list;
	uint32_t state;
	int64_t unflushed;
} cy_gc_tls_young;

extern _Thread_local cy_gc_tls_young cy_gc_tls_young_list;

/* Flush the calling thread's unflushed count delta. */
void cy_gc_flush_count(void);

CY_INLINE void cy_gc_count_young(int64_t delta)
{
	int64_t unflushed = cy_gc_tls_young_list.unflushed += delta;
	if (CY_UNLIKELY(unflushed >= CY_GC_COUNT_BATCH || unflushed <= -CY_GC_COUNT_BATCH))
		cy_gc_flush_count();
}

/*
 * The common case of cy_gc_track_new: link g into the registered calling
 * thread's young list and count it. Returns 0, having done nothing, when
 * the thread is not registered or its count delta is due to be flushed:
 * then cy_gc_track_new_slow does it all.
 */
CY_INLINE int cy_gc_try_track_new(cy_gc_head *g)
{
	cy_gc_tls_young *young = &cy_gc_tls_young_list;
	if (CY_UNLIKELY(!young->list || young->unflushed >= CY_GC_COUNT_BATCH - 1))
		return 0;
	g->refs = 0;
	cy_gc_set_state(g, young->state);
	cy_gc_list_append(young->list, g);
	young->unflushed++;
	return 1;
}

void cy_gc_track_new_slow(cy_gc_head *g);

/* Link a new container into the calling thread's young list (generation 1 if it is not registered). */
CY_INLINE void cy_gc_track_new(cy_gc_head *g)
{
	if (CY_UNLIKELY(!cy_gc_try_track_new(g)))
		cy_gc_track_new_slow(g);
}

/* The calling thread registered as t: its new containers go to t's young list from now on. */
struct cy_thread;
void cy_gc_thread_start(struct cy_thread *t);

/*
 * A container is dead; take it out of its list. Returns 1 if the caller
 * frees the storage now, 0 if someone else will (its young list's owner, or
 * a concurrent collector).
 */
int cy_gc_untrack_dead(cy_gc_head *g);


/* Thread exit: its young list and remote list go to generation 1. */
void cy_gc_thread_exit(struct cy_thread *t);

/* ---- the collector's side ---------------------------------------------------- */

/* Global generation lists; hold old_lock (or stop the world) to touch them. */
extern pthread_mutex_t cy_gc_old_lock; /* not a cy_mutex: lock statistics are about the workload's locks */
extern cy_gc_head cy_gc_old[3];     /* [1] and [2] used; [0] unused (young lists are per thread) */
extern cy_gc_head cy_gc_permanent;

/* Generation-0 count: tracked allocations minus frees since the last collection. */
extern int64_t cy_gc_young_count;   /* atomic */

/*
 * Called (outside any lock) by an allocating thread each time it adds a batch
 * to cy_gc_young_count; the collector installs it to start collections.
 */
extern void (*cy_gc_on_young_count)(int64_t count);

/*
 * Set on a thread while it runs a collection and owns the collecting lists:
 * its own frees of collecting objects unlink them directly.
 */
extern _Thread_local int cy_gc_tls_collecting;

#endif
