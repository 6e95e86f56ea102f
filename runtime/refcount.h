/*
 * refcount.h: reference counting in three modes, chosen at run time without
 * an indirect call on the fast path.
 *
 * cy_incref_in(mode, o) and cy_decref_in(mode, o) are always inlined; code
 * that runs objects (containers, workloads, tests, benchmarks) is compiled
 * once per mode with the mode a constant (variant.h), so each copy holds only
 * its mode's instructions, and the program picks a copy once, at its outer
 * loop. Mode-independent code (the collector) calls cy_incref_any and
 * cy_decref_any, which switch on the running mode.
 *
 *  nonatomic  plain load and store of ob_ref_local; one mutator thread only.
 *  atomic     lock-prefixed add on ob_ref_shared by every thread.
 *  biased     Choi, Shull and Torrellas (PACT 2018), as in CPython's
 *             free-threaded build (PEP 703): the owner thread updates
 *             ob_ref_local with plain instructions, other threads update
 *             ob_ref_shared atomically. The shared count may go negative;
 *             the protocol that merges the two is in refcount.c.
 *
 * The true count of a biased object is ob_ref_local + (ob_ref_shared >> 2),
 * and while the object is QUEUED that includes the reference its queue entry
 * holds. All modes treat ob_ref_local == CY_REF_IMMORTAL as immortal.
 */
#ifndef CY_REFCOUNT_H
#define CY_REFCOUNT_H

#include "counters.h"
#include "object.h"
#include "thread.h"

typedef enum cy_rc_mode {
	CY_RC_NONATOMIC = 0,
	CY_RC_ATOMIC = 1,
	CY_RC_BIASED = 2,
} cy_rc_mode;

#define CY_RC_MODE_COUNT 3

/* The mode objects are counted in; set by cy_runtime_init, fixed while objects exist. */
extern cy_rc_mode cy_rc_mode_running;

const char *cy_rc_mode_name(cy_rc_mode mode);
/* Parse "nonatomic", "atomic" or "biased"; returns -1 for anything else. */
int cy_rc_mode_parse(const char *name);

/* A shared count past this is treated as corruption rather than wrapped. */
#define CY_SHARED_LIMIT ((int64_t)1 << 60)

/* Slow paths (refcount.c). */
CY_COLD void cy_rc_shared_overflow(cy_object *o);
void cy_rc_decref_shared(cy_object *o);
void cy_rc_merge_zero(cy_object *o);

CY_INLINE int cy_rc_is_owner(const cy_object *o)
{
	return cy_atomic_load_relaxed(&o->ob_owner) == cy_tls_thread_id;
}

CY_INLINE void cy_rc_shared_add(cy_object *o)
{
	int64_t before = cy_atomic_fetch_add_relaxed(&o->ob_ref_shared, CY_SHARED_ONE);
	if (CY_UNLIKELY(before >= CY_SHARED_LIMIT))
		cy_rc_shared_overflow(o);
	CY_COUNT(rc_atomic_ops);
}

CY_INLINE void cy_incref_in(cy_rc_mode mode, cy_object *o)
{
	uint32_t local = cy_atomic_load_relaxed(&o->ob_ref_local);
	if (CY_UNLIKELY(local == CY_REF_IMMORTAL))
		return;
	switch (mode) {
	case CY_RC_NONATOMIC:
		/* Reaching CY_REF_IMMORTAL saturates: the object becomes immortal. */
		o->ob_ref_local = local + 1;
		CY_COUNT(rc_nonatomic_ops);
		return;
	case CY_RC_ATOMIC:
		cy_rc_shared_add(o);
		return;
	case CY_RC_BIASED:
		if (CY_LIKELY(cy_rc_is_owner(o))) {
			cy_atomic_store_relaxed(&o->ob_ref_local, local + 1);
			CY_COUNT(rc_nonatomic_ops);
		} else {
			cy_rc_shared_add(o);
		}
		return;
	}
}

CY_INLINE void cy_decref_in(cy_rc_mode mode, cy_object *o)
{
	uint32_t local = cy_atomic_load_relaxed(&o->ob_ref_local);
	if (CY_UNLIKELY(local == CY_REF_IMMORTAL))
		return;
	switch (mode) {
	case CY_RC_NONATOMIC:
		o->ob_ref_local = local - 1;
		CY_COUNT(rc_nonatomic_decrements);
		if (CY_UNLIKELY(local == 1))
			cy_object_dealloc(o);
		return;
	case CY_RC_ATOMIC: {
		CY_COUNT(rc_atomic_decrements);
		/*
		 * Release our writes to the object; the decrement that frees
		 * acquires everyone's. (acq_rel rather than release plus an
		 * acquire fence: the same lock xadd on x86-64, and ThreadSanitizer
		 * does not model fences.)
		 */
		int64_t before = cy_atomic_fetch_sub_acq_rel(&o->ob_ref_shared, CY_SHARED_ONE);
		if (CY_UNLIKELY(before == CY_SHARED_ONE))
			cy_object_dealloc(o);
		return;
	}
	case CY_RC_BIASED:
		if (CY_LIKELY(cy_rc_is_owner(o))) {
			cy_atomic_store_relaxed(&o->ob_ref_local, local - 1);
			CY_COUNT(rc_nonatomic_decrements);
			if (CY_UNLIKELY(local == 1))
				cy_rc_merge_zero(o);
		} else {
			cy_rc_decref_shared(o);
		}
		return;
	}
}

/*
 * Take a new reference only if o is still alive (count above zero), for weak
 * references. The caller must keep o's storage valid during the call (weak
 * references do so under their lock). Returns 1 on success.
 */
int cy_try_incref_any(cy_object *o);

/* Mode-dispatched versions for code compiled once (collector, weak references). */
void cy_incref_any(cy_object *o);
void cy_decref_any(cy_object *o);

/*
 * The true count (tests and the collector, with the world stopped or one
 * thread). Inline: the collector reads it for every object it examines.
 */
CY_INLINE int64_t cy_refcount(const cy_object *o)
{
	uint32_t local = cy_atomic_load_relaxed(&o->ob_ref_local);
	if (local == CY_REF_IMMORTAL)
		return INT64_MAX;
	return (int64_t)local + (cy_atomic_load_relaxed(&o->ob_ref_shared) >> CY_SHARED_SHIFT);
}

/*
 * Give o a count of one held by the calling thread: for a dead object being
 * revived for its finalizer, or a new one. Exclusive access is required.
 * Inline: every allocation runs it.
 */
CY_INLINE void cy_rc_init_one(cy_object *o)
{
	switch (cy_rc_mode_running) {
	case CY_RC_NONATOMIC:
		o->ob_owner = 0;
		o->ob_ref_local = 1;
		cy_atomic_store_relaxed(&o->ob_ref_shared, (int64_t)0);
		return;
	case CY_RC_ATOMIC:
		/* Atomic stores: the concurrent collector may read the counts of a dying old object being revived. */
		cy_atomic_store_relaxed(&o->ob_owner, (uint64_t)0);
		cy_atomic_store_relaxed(&o->ob_ref_local, 0u);
		cy_atomic_store_relaxed(&o->ob_ref_shared, CY_SHARED_ONE);
		return;
	case CY_RC_BIASED:
		cy_atomic_store_relaxed(&o->ob_owner, cy_tls_thread_id);
		cy_atomic_store_relaxed(&o->ob_ref_local, 1u);
		cy_atomic_store_relaxed(&o->ob_ref_shared, (int64_t)0);
		return;
	}
}

/*
 * Add delta references to o's count (delta may be negative; the result
 * stays above zero), with the world stopped and every thread's local claim
 * held (the collector's settling, shared_rc.c). In biased mode this merges
 * o, as its owner would: the count lives in the shared word from then on.
 */
void cy_rc_fold_stopped(cy_object *o, int64_t delta);

/*
 * Biased mode: record that weak references to o exist (state WEAKREFS), so
 * that its owner merges instead of freeing on the spot when its local count
 * ends, and cy_try_incref_any can tell a dead object. The caller holds a
 * reference. No effect in the other modes.
 */
void cy_rc_mark_weakrefs(cy_object *o);

#endif
