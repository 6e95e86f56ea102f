/*
 * gc_track.c: linking containers into generation lists and taking dead ones
 * out, from any thread (the protocol is described in gc_track.h).
 *
 * Remote unlinks. A thread that frees a container living in another
 * thread's young list cannot touch that list. It marks the object DEAD and
 * pushes it, under the owner's remote_lock, on the owner's remote list
 * (linked through ob_owner, which a dead object no longer needs), and sets
 * the owner's CY_POLL_UNLINK bit. The owner unlinks and frees at its next
 * safepoint; a collector that stops the world does it for every thread
 * first, so no dead object is ever scanned. A thread that exits closes its
 * remote list and hands its young list to generation 1, both under its
 * remote_lock, so a pusher that re-reads the state under that lock either
 * pushes to a live list or sees the object's new home.
 */
#include "gc_track.h"

#include <stdio.h>
#include <stdlib.h>

#include "thread_internal.h"

pthread_mutex_t cy_gc_old_lock = PTHREAD_MUTEX_INITIALIZER;
cy_gc_head cy_gc_old[3] = {
	{&cy_gc_old[0], &cy_gc_old[0], 0, 0},
	{&cy_gc_old[1], &cy_gc_old[1], 0, 0},
	{&cy_gc_old[2], &cy_gc_old[2], 0, 0},
};
cy_gc_head cy_gc_permanent = {&cy_gc_permanent, &cy_gc_permanent, 0, 0};
int64_t cy_gc_young_count;
void (*cy_gc_on_young_count)(int64_t count);
_Thread_local int cy_gc_tls_collecting;
uint32_t cy_gc_old_epoch;
int cy_gc_incremental_gen;
int cy_gc_collector_reading;
uint32_t cy_gc_incremental_epoch;
pthread_mutex_t cy_gc_dead_lock = PTHREAD_MUTEX_INITIALIZER;
cy_object *cy_gc_dead_stack;

_Thread_local cy_gc_tls_young cy_gc_tls_young_list;

void cy_gc_list_splice(cy_gc_head *to, cy_gc_head *from)
{
	if (cy_gc_list_is_empty(from))
		return;
	cy_gc_head *first = from->next, *last = from->prev;
	cy_gc_head *tail = to->prev;
	tail->next = first;
	first->prev = tail;
	last->next = to;
	to->prev = last;
	cy_gc_list_init(from);
}

size_t cy_gc_list_length(const cy_gc_head *list)
{
	size_t n = 0;
	for (const cy_gc_head *g = list->next; g != list; g = g->next)
		n++;
	return n;
}

void cy_gc_flush_count(void)
{
	int64_t delta = cy_gc_tls_young_list.unflushed;
	if (!delta)
		return;
	cy_gc_tls_young_list.unflushed = 0;
	int64_t count = cy_atomic_fetch_add_relaxed(&cy_gc_young_count, delta) + delta;
	/* Frees of older objects must not drive the count below zero (CPython's rule). */
	while (count < 0 && !cy_atomic_cas_weak_acq_rel(&cy_gc_young_count, &count, (int64_t)0))
		;
	void (*hook)(int64_t) = cy_atomic_load_acquire(&cy_gc_on_young_count);
	if (delta > 0 && hook)
		hook(count);
}

void cy_gc_thread_start(cy_thread *t)
{
	cy_gc_tls_young_list.list = &t->young;
	cy_gc_tls_young_list.state = CY_GC_YOUNG | (uint32_t)(t - cy_threads) << CY_GC_SLOT_SHIFT;
}

void cy_gc_track_new_slow(cy_gc_head *g)
{
	cy_gc_head *young = cy_gc_tls_young_list.list;
	if (young) {
		g->refs = 0;
		cy_gc_set_state(g, cy_gc_tls_young_list.state);
		cy_gc_list_append(young, g);
	} else {
		pthread_mutex_lock(&cy_gc_old_lock);
		cy_gc_set_state(g, cy_gc_old_state(1));
		cy_gc_list_append(&cy_gc_old[1], g);
		pthread_mutex_unlock(&cy_gc_old_lock);
	}
	cy_gc_count_young(1);
}

/* Push a dead object on its young list owner's remote list; 0 if the object moved meanwhile. */
static int push_remote(cy_thread *owner, cy_gc_head *g, uint32_t seen_state)
{
	int pushed = 0;
	pthread_mutex_lock(&owner->remote_lock);
	if (cy_gc_state(g) == seen_state && !owner->remote_closed) {
		cy_gc_set_state(g, seen_state | CY_GC_DEAD);
		cy_object *o = cy_gc_object_of(g);
		cy_atomic_store_relaxed(&o->ob_owner, (uint64_t)(uintptr_t)owner->remote);
		owner->remote = o;
		cy_atomic_fetch_or_release(owner->poll, CY_POLL_UNLINK);
		pushed = 1;
	}
	pthread_mutex_unlock(&owner->remote_lock);
	return pushed;
}

/* Is this old object the incremental collection's (gc_track.h's rule)? */
static int owned_by_incremental(uint32_t state)
{
	/*
	 * Even the collecting thread leaves these to the dead stack: a young
	 * collection running between slices must not unlink under the
	 * incremental collection's cursor. (The incremental collection itself
	 * frees nothing while it owns the lists.)
	 */
	int gen = cy_atomic_load_acquire(&cy_gc_incremental_gen);
	return gen && cy_gc_old_owned_by(state, gen, cy_atomic_load_relaxed(&cy_gc_incremental_epoch));
}

static void push_dead(cy_gc_head *g)
{
	cy_object *o = cy_gc_object_of(g);
	pthread_mutex_lock(&cy_gc_dead_lock);
	cy_atomic_fetch_or_relaxed(&g->state, CY_GC_DEAD);
	cy_atomic_store_relaxed(&o->ob_owner, (uint64_t)(uintptr_t)cy_gc_dead_stack);
	cy_gc_dead_stack = o;
	pthread_mutex_unlock(&cy_gc_dead_lock);
}

int cy_gc_untrack_dead(cy_gc_head *g)
{
	for (;;) {
		uint32_t state = cy_gc_state(g);
		switch (state & CY_GC_WHERE_MASK) {
		case CY_GC_YOUNG: {
			/* The generation-0 count is young objects born minus young objects dead. */
			cy_gc_count_young(-1);
			cy_thread *owner = &cy_threads[state >> CY_GC_SLOT_SHIFT];
			if (owner == cy_thread_self()) {
				cy_gc_list_remove(g);
				return 1;
			}
			if (push_remote(owner, g, state))
				return 0;
			continue; /* its owner exited and handed it on: look again */
		}
		case CY_GC_OLD1:
		case CY_GC_OLD2:
			if (owned_by_incremental(state)) {
				/* The collection's lists are not ours to touch: it releases the storage. */
				push_dead(g);
				return 0;
			}
			/* fall through */
		case CY_GC_PERMANENT:
			pthread_mutex_lock(&cy_gc_old_lock);
			cy_gc_list_remove(g);
			pthread_mutex_unlock(&cy_gc_old_lock);
			return 1;
		case CY_GC_COLLECTING:
			if (cy_gc_tls_collecting) {
				cy_gc_list_remove(g);
				return 1;
			}
			/*
			 * Collecting objects exist only while the world is stopped, so only
			 * the collecting thread can free one; should another ever do so,
			 * the object is left marked DEAD in the collection's lists.
			 */
			cy_atomic_fetch_or_release(&g->state, CY_GC_DEAD);
			return 0;
		default:
			fprintf(stderr, "cyclab: freeing a container in no generation list (state %#x): heap corrupted\n",
				state);
			abort();
		}
	}
}

/* Take t's remote list (t's remote_lock held). */
static cy_object *take_remote(cy_thread *t)
{
	cy_object *list = t->remote;
	t->remote = NULL;
	return list;
}

static void release_remote(cy_object *list)
{
	while (list) {
		cy_object *next = (cy_object *)(uintptr_t)cy_atomic_load_relaxed(&list->ob_owner);
		cy_object_release_storage(list);
		list = next;
	}
}

/* Unlink each object of a taken remote list from the young list it is in. */
static void unlink_remote(cy_object *list)
{
	for (cy_object *o = list; o; o = (cy_object *)(uintptr_t)cy_atomic_load_relaxed(&o->ob_owner))
		cy_gc_list_remove(cy_gc_head_of(o));
}

void cy_gc_process_remote_of(cy_thread *t)
{
	pthread_mutex_lock(&t->remote_lock);
	cy_object *list = take_remote(t);
	pthread_mutex_unlock(&t->remote_lock);
	unlink_remote(list);
	release_remote(list);
}

void cy_gc_thread_exit(cy_thread *t)
{
	cy_gc_flush_count();
	cy_gc_tls_young_list.list = NULL;
	pthread_mutex_lock(&t->remote_lock);
	cy_object *list = take_remote(t);
	t->remote_closed = 1;
	unlink_remote(list);
	pthread_mutex_lock(&cy_gc_old_lock);
	uint32_t old1 = cy_gc_old_state(1);
	for (cy_gc_head *g = t->young.next; g != &t->young; g = g->next)
		cy_gc_set_state(g, old1);
	cy_gc_list_splice(&cy_gc_old[1], &t->young);
	pthread_mutex_unlock(&cy_gc_old_lock);
	pthread_mutex_unlock(&t->remote_lock);
	release_remote(list);
}
