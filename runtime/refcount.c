/*
 * refcount.c: the slow paths of reference counting and the biased mode's
 * merge protocol.
 *
 * Biased counting (after CPython's Objects/object.c and Python/brc.c).
 * ob_ref_shared holds (count << 2) | state, states DEFAULT < WEAKREFS <
 * QUEUED < MERGED, moving only upward, always by compare-and-swap.
 *
 *  - The owner's local count reaching zero (cy_rc_merge_zero): if the shared
 *    word is exactly zero, no other thread holds a reference: free. Otherwise
 *    the owner gives up its bias: ob_owner = 0, state MERGED, and the count
 *    lives in the shared word from now on; free if that count is zero.
 *  - A non-owner decrement (cy_rc_decref_shared) that finds the shared word
 *    exactly zero (or zero with WEAKREFS) does not decrement: it marks the
 *    object QUEUED and hands its reference to the owner's merge queue. Later
 *    decrements may take the shared count below zero; that is fine, because
 *    the owner's local count, or the queue's reference, keeps the sum
 *    positive while anyone holds the object.
 *  - A merge (owner at a safepoint, or a thread acting for an owner that is
 *    offline or has exited) folds local into shared, drops the queue's
 *    reference, sets MERGED and frees the object if the sum is zero.
 *  - In state MERGED the shared count is the true count: the decrement that
 *    takes it to zero frees.
 *
 * Who may merge: the merge writes ob_ref_local, which has a single writer,
 * the owner. A merge runs on the owner itself, or under the owner's
 * local claim (held by the owner whenever it runs, so a helper gets it only
 * while the owner is offline or parked), or after the owner has exited
 * (its slot's id changed under merge_lock, which orders its last writes
 * before our reads). Only the thread that moved an object to QUEUED merges
 * it, exactly once, so a dead owner's objects need no lock.
 *
 * No object is stranded: a queuer pushes under merge_lock and sets the
 * owner's CY_POLL_MERGE bit there, then, if the owner is not RUNNING, tries
 * to merge for it (cy_brc_help_offline). An owner leaving RUNNING re-checks
 * its queue after publishing its state and, if something arrived, comes
 * back to drain it (a thread that is not RUNNING never touches objects:
 * the world may be stopped around it); a helper re-checks after releasing
 * the claim. So every push is seen by the owner or a helper.
 *
 * Only running threads merge. A helper is itself running, so a stop of the
 * world waits for its merge to finish; a collector with the world stopped
 * merges every queue itself before it reads a count.
 */
#include "refcount.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "name_table.h"
#include "thread_internal.h"

cy_rc_mode cy_rc_mode_running = CY_RC_BIASED;

static const char *const mode_names[CY_RC_MODE_COUNT] = {"nonatomic", "atomic", "biased"};

const char *cy_rc_mode_name(cy_rc_mode mode) { return cy_name_of(mode_names, CY_RC_MODE_COUNT, (int)mode); }

int cy_rc_mode_parse(const char *name) { return cy_name_index(mode_names, CY_RC_MODE_COUNT, name); }

void cy_rc_shared_overflow(cy_object *o)
{
	fprintf(stderr, "cyclab: shared reference count of a %s object passed 2^60: counting error, aborting\n",
		o->ob_type->name);
	abort();
}

static int64_t shared_count(int64_t shared) { return shared >> CY_SHARED_SHIFT; }
static int shared_state(int64_t shared) { return (int)(shared & CY_SHARED_STATE_MASK); }

/*
 * Fold o's local count into its shared word, minus `adjust` references,
 * and give up the bias. The caller has exclusive write access to
 * ob_ref_local (see "Who may merge"). Returns the merged count.
 */
static int64_t merge_counts(cy_object *o, int64_t adjust)
{
	int64_t local = cy_atomic_load_relaxed(&o->ob_ref_local);
	cy_atomic_store_relaxed(&o->ob_ref_local, 0u);
	cy_atomic_store_relaxed(&o->ob_owner, (uint64_t)0);
	int64_t shared = cy_atomic_load_relaxed(&o->ob_ref_shared);
	int64_t merged;
	do {
		merged = (local + shared_count(shared) + adjust) * CY_SHARED_ONE | CY_SHARED_MERGED;
	} while (!cy_atomic_cas_weak_acq_rel(&o->ob_ref_shared, &shared, merged));
	CY_COUNT(rc_merges);
	return shared_count(merged);
}

/* Merge an object whose queue entry we hold, freeing it if nothing else refers to it. */
static void merge_queued(cy_object *o)
{
	if (cy_object_is_immortal(o))
		return;
	if (merge_counts(o, -1) == 0)
		cy_object_dealloc(o);
}

void cy_rc_fold_stopped(cy_object *o, int64_t delta)
{
	if (delta == 0 || cy_object_is_immortal(o))
		return;
	switch (cy_rc_mode_running) {
	case CY_RC_NONATOMIC:
		o->ob_ref_local = (uint32_t)((int64_t)o->ob_ref_local + delta);
		return;
	case CY_RC_ATOMIC:
		cy_atomic_fetch_add_relaxed(&o->ob_ref_shared, delta * CY_SHARED_ONE);
		return;
	case CY_RC_BIASED:
		/* Every claim is held and every queue drained: we may write ob_ref_local. */
		merge_counts(o, delta);
		return;
	}
}

void cy_rc_merge_zero(cy_object *o)
{
	/* Acquire pairs with the release of non-owners' compare-and-swaps. */
	int64_t shared = cy_atomic_load_acquire(&o->ob_ref_shared);
	if (shared == 0) {
		cy_object_dealloc(o);
		return;
	}
	cy_atomic_store_relaxed(&o->ob_owner, (uint64_t)0);
	int64_t merged;
	do {
		merged = (shared & ~(int64_t)CY_SHARED_STATE_MASK) | CY_SHARED_MERGED;
	} while (!cy_atomic_cas_weak_acq_rel(&o->ob_ref_shared, &shared, merged));
	CY_COUNT(rc_merges);
	if (merged == CY_SHARED_MERGED)
		cy_object_dealloc(o);
}

static void queue_to_owner(cy_object *o);

_Thread_local int cy_rc_tls_owns_all;

void cy_rc_decref_shared(cy_object *o)
{
	if (CY_UNLIKELY(cy_rc_tls_owns_all) && cy_atomic_load_relaxed(&o->ob_owner) != 0) {
		/*
		 * A collector with the world stopped holds every owner's claim:
		 * it decrements as the owner. An unmerged object has a local
		 * count of at least one (an owner merges when it reaches zero,
		 * and no merge is queued: they were all drained first).
		 */
		uint32_t local = cy_atomic_load_relaxed(&o->ob_ref_local);
		cy_atomic_store_relaxed(&o->ob_ref_local, local - 1);
		CY_COUNT(rc_nonatomic_decrements);
		if (local == 1)
			cy_rc_merge_zero(o);
		return;
	}
	CY_COUNT(rc_atomic_ops);
	int64_t shared = cy_atomic_load_relaxed(&o->ob_ref_shared);
	int64_t next;
	int queue;
	do {
		queue = shared == 0 || shared == CY_SHARED_WEAKREFS;
		/* Queued: the entry keeps our reference until the owner merges. */
		next = queue ? CY_SHARED_QUEUED : shared - CY_SHARED_ONE;
	} while (!cy_atomic_cas_weak_acq_rel(&o->ob_ref_shared, &shared, next));
	if (queue)
		queue_to_owner(o);
	else if (next == CY_SHARED_MERGED)
		cy_object_dealloc(o);
}

/* ---- the merge queue ---------------------------------------------------- */

static void queue_grow(cy_thread *t)
{
	size_t cap = t->merge_cap * 2;
	cy_object **bigger = realloc(t->merge_queue, cap * sizeof *bigger);
	if (!bigger) {
		fprintf(stderr, "cyclab: out of memory growing a merge queue to %zu entries\n", cap);
		abort();
	}
	t->merge_queue = bigger;
	t->merge_cap = cap;
}

static void queue_to_owner(cy_object *o)
{
	CY_COUNT(rc_merges_queued);
	uint64_t owner = cy_atomic_load_relaxed(&o->ob_owner);
	cy_thread *t = &cy_threads[cy_thread_slot_of(owner)];
	pthread_mutex_lock(&t->merge_lock);
	if (owner == 0 || cy_atomic_load_relaxed(&t->id) != owner) {
		/* The owner has exited (or merged already): merge on the spot. */
		pthread_mutex_unlock(&t->merge_lock);
		merge_queued(o);
		return;
	}
	if (t->merge_len == t->merge_cap)
		queue_grow(t);
	t->merge_queue[t->merge_len++] = o;
	cy_atomic_fetch_or_release(t->poll, CY_POLL_MERGE);
	pthread_mutex_unlock(&t->merge_lock);
	if (cy_atomic_load_seq_cst(&t->state) != CY_THREAD_RUNNING)
		cy_brc_help_offline(t);
}

/* Take t's whole queue; returns the entries and their number through *len. */
static cy_object **queue_take(cy_thread *t, size_t *len, cy_object **spare, size_t spare_cap)
{
	pthread_mutex_lock(&t->merge_lock);
	size_t n = t->merge_len;
	cy_object **taken = spare;
	if (n > spare_cap) {
		/* Swap buffers rather than copy: the queue gets a fresh one. */
		taken = t->merge_queue;
		cy_object **fresh = malloc(64 * sizeof *fresh);
		if (!fresh) {
			fprintf(stderr, "cyclab: out of memory replacing a merge queue\n");
			abort();
		}
		t->merge_queue = fresh;
		t->merge_cap = 64;
	} else if (n) {
		memcpy(spare, t->merge_queue, n * sizeof *spare);
	}
	t->merge_len = 0;
	pthread_mutex_unlock(&t->merge_lock);
	*len = n;
	return taken;
}

void cy_brc_drain(cy_thread *t)
{
	enum { SPARE = 64 };
	cy_object *spare[SPARE];
	for (;;) {
		size_t n;
		cy_object **batch = queue_take(t, &n, spare, SPARE);
		if (n == 0)
			return;
		for (size_t i = 0; i < n; i++)
			merge_queued(batch[i]);
		if (batch != spare)
			free(batch);
	}
}

int cy_brc_queue_empty(cy_thread *t)
{
	pthread_mutex_lock(&t->merge_lock);
	int empty = t->merge_len == 0;
	pthread_mutex_unlock(&t->merge_lock);
	return empty;
}

void cy_brc_help_offline(cy_thread *t)
{
	while (!cy_brc_queue_empty(t)) {
		/* Held: the owner is running (it will poll) or another helper is draining. */
		if (!cy_local_try_claim(t))
			return;
		cy_brc_drain(t);
		cy_local_release(t);
		if (cy_atomic_load_seq_cst(&t->state) == CY_THREAD_RUNNING)
			return;
	}
}

void cy_brc_close(cy_thread *t)
{
	/* The thread itself, still running (it holds its local claim), done with objects. */
	pthread_mutex_lock(&t->merge_lock);
	cy_atomic_store_relaxed(&t->id, (uint64_t)0);
	pthread_mutex_unlock(&t->merge_lock);
	/* No push can land now; merge what is left. */
	cy_brc_drain(t);
}

/* ---- mode-dispatched operations ---------------------------------------- */

void cy_incref_any(cy_object *o)
{
	switch (cy_rc_mode_running) {
	case CY_RC_NONATOMIC: cy_incref_in(CY_RC_NONATOMIC, o); return;
	case CY_RC_ATOMIC: cy_incref_in(CY_RC_ATOMIC, o); return;
	case CY_RC_BIASED: cy_incref_in(CY_RC_BIASED, o); return;
	}
}

void cy_decref_any(cy_object *o)
{
	switch (cy_rc_mode_running) {
	case CY_RC_NONATOMIC: cy_decref_in(CY_RC_NONATOMIC, o); return;
	case CY_RC_ATOMIC: cy_decref_in(CY_RC_ATOMIC, o); return;
	case CY_RC_BIASED: cy_decref_in(CY_RC_BIASED, o); return;
	}
}

/* Add one to a shared count unless the object is dead (MERGED, or atomic, with count zero). */
static int shared_try_add(cy_object *o, int64_t dead)
{
	int64_t shared = cy_atomic_load_relaxed(&o->ob_ref_shared);
	do {
		if (shared == dead)
			return 0;
	} while (!cy_atomic_cas_weak_acq_rel(&o->ob_ref_shared, &shared, shared + CY_SHARED_ONE));
	CY_COUNT(rc_atomic_ops);
	return 1;
}

int cy_try_incref_any(cy_object *o)
{
	uint32_t local = cy_atomic_load_relaxed(&o->ob_ref_local);
	if (local == CY_REF_IMMORTAL)
		return 1;
	switch (cy_rc_mode_running) {
	case CY_RC_NONATOMIC:
		if (local == 0)
			return 0;
		o->ob_ref_local = local + 1;
		return 1;
	case CY_RC_ATOMIC:
		return shared_try_add(o, 0);
	case CY_RC_BIASED:
		/*
		 * An object with weak references carries at least the WEAKREFS
		 * state, so its owner merges rather than frees when its local
		 * count ends; the object is dead only as MERGED with count zero.
		 */
		if (cy_rc_is_owner(o)) {
			cy_atomic_store_relaxed(&o->ob_ref_local, local + 1);
			return 1;
		}
		return shared_try_add(o, CY_SHARED_MERGED);
	}
	return 0;
}

void cy_rc_mark_weakrefs(cy_object *o)
{
	if (cy_rc_mode_running != CY_RC_BIASED || cy_object_is_immortal(o))
		return;
	int64_t shared = cy_atomic_load_relaxed(&o->ob_ref_shared);
	do {
		if (shared_state(shared) != CY_SHARED_DEFAULT)
			return; /* WEAKREFS or beyond: the owner already cannot free on the spot */
	} while (!cy_atomic_cas_weak_acq_rel(&o->ob_ref_shared, &shared, shared | CY_SHARED_WEAKREFS));
}
