/*
 * shared_rc.h: counting objects that many threads read (the --shared-rc
 * knob): deferred or per-thread reference counts for published objects.
 *
 * An object every thread looks up (a cache's hot value) takes and drops a
 * reference on each lookup, and in any counting mode those updates write one
 * cache line from every core: it bounces, and two threads run slower than
 * one. Two schemes, after CPython's free-threaded build, keep those writes
 * off the shared line; the running scheme is chosen per run and fixed while
 * objects exist:
 *
 *  off         a stack reference is an ordinary counted reference.
 *  deferred    a published object's stack references are not counted at
 *              all (CPython 3.14's deferred reference counting). The
 *              scheme holds one reference of its own (the bias), so counts
 *              never reach zero while stack references exist; the object
 *              is freed only by the collector, at a safepoint with the
 *              world stopped, when its count is the bias alone.
 *  per-thread  a published object's stack references are counted in the
 *              calling thread's own array, indexed by the object's ticket
 *              (CPython's per-thread counts of type objects,
 *              Python/uniqueid.c). The true count is the stored count plus
 *              every thread's entry; the collector folds the entries into
 *              the stored count with the world stopped, and then, as for
 *              deferred, frees the object when only the bias is left.
 *
 * Stack references (cy_stackref_take_in / cy_stackref_drop_in) are
 * references a thread holds in its own variables and gives up before its
 * next safepoint or collection, in every scheme (CPython's _PyStackRef).
 * That is what makes the deferred scheme safe: with the world stopped no
 * thread holds one, so a deferred object's count is exact apart from the
 * bias. References stored in the heap always use cy_incref/cy_decref, which
 * stay exact on published objects: they update the stored count.
 *
 * Publishing (cy_shared_rc_publish) gives an object a ticket, kept in
 * ob_flags above bit CY_SHARED_RC_TICKET_SHIFT (object.h's flags use the
 * low bits): ticket 0 is an object never published. Only leaves are
 * published: the bias would read to trial deletion as a reference from
 * outside, so a cycle through a published container could never be found.
 * Published objects count toward the collector's generation-0 threshold
 * (only a collection frees them), one allocation per stride of publishes,
 * the stride growing with how many stay published (shared_rc.c).
 *
 * Settling runs wherever the collector makes counts exact with the world
 * stopped (collect.c's settle_threads): every stop-the-world collection,
 * young collections in every mode, and the verify pauses of a sliced one.
 * A concurrent full collection that finds no candidate has no such pause,
 * so cyclab run refuses --shared-rc with --gc concurrent, and --gc off,
 * under which nothing would ever free a published object.
 *
 * Invariants: a published object's true count is at least one (the bias)
 * until the collector releases it; its ticket is live in the registry and
 * in no other object; every thread's entry for a released ticket is zero.
 */
#ifndef CY_SHARED_RC_H
#define CY_SHARED_RC_H

#include "refcount.h"

typedef enum cy_shared_rc_scheme {
	CY_SHARED_RC_OFF = 0,
	CY_SHARED_RC_DEFERRED = 1,
	CY_SHARED_RC_PER_THREAD = 2,
} cy_shared_rc_scheme;

#define CY_SHARED_RC_SCHEME_COUNT 3

/* ob_flags bits from here up hold the ticket (registry index + 1). */
#define CY_SHARED_RC_TICKET_SHIFT 8
#define CY_SHARED_RC_MAX_TICKETS ((1u << (32 - CY_SHARED_RC_TICKET_SHIFT)) - 1)

extern cy_shared_rc_scheme cy_shared_rc_running;

const char *cy_shared_rc_name(cy_shared_rc_scheme scheme);
/* "off", "deferred" or "per-thread"; -1 for anything else. */
int cy_shared_rc_parse(const char *name);
/* Choose the scheme; -1 while objects are live or threads registered (as cy_runtime_init). */
int cy_shared_rc_select(cy_shared_rc_scheme scheme);

/*
 * Mark o, a leaf the caller holds a reference to, as read by many threads,
 * before other threads can reach it. Takes the bias reference. Returns 1 if
 * o is now published, 0 if it stays ordinary (scheme off, a container, an
 * immortal, already published, or no ticket left).
 */
int cy_shared_rc_publish(cy_object *o);

/* Published objects not yet released by the collector. */
int64_t cy_shared_rc_live(void);

/*
 * The collector's step, with the world stopped, every local claim held and
 * every merge queue drained (collect.c's settle_threads): fold per-thread
 * entries into the stored counts, then release each published object whose
 * count is the bias alone. Returns how many it freed.
 */
int64_t cy_shared_rc_settle(void);

/* ---- the calling thread's entries (per-thread scheme) ---------------------- */

typedef struct cy_shared_rc_tls {
	uint64_t thread_id; /* the thread these entries belong to; 0: look them up */
	int64_t *entries;   /* indexed by ticket - 1 */
	uint32_t cap;
} cy_shared_rc_tls;

extern _Thread_local cy_shared_rc_tls cy_shared_rc_tls_entries;

void cy_shared_rc_entry_add_slow(cy_object *o, uint32_t ticket, int64_t delta);

CY_INLINE uint32_t cy_shared_rc_ticket(const cy_object *o)
{
	return cy_object_flags(o) >> CY_SHARED_RC_TICKET_SHIFT;
}

CY_INLINE void cy_shared_rc_entry_add(cy_object *o, uint32_t ticket, int64_t delta)
{
	cy_shared_rc_tls *mine = &cy_shared_rc_tls_entries;
	if (CY_LIKELY(mine->thread_id == cy_tls_thread_id && ticket <= mine->cap))
		mine->entries[ticket - 1] += delta;
	else
		cy_shared_rc_entry_add_slow(o, ticket, delta);
}

/* Take a stack reference to o (given up before the next safepoint). */
CY_INLINE void cy_stackref_take_in(cy_rc_mode mode, cy_object *o)
{
	uint32_t ticket = cy_shared_rc_ticket(o);
	if (CY_LIKELY(ticket == 0)) {
		cy_incref_in(mode, o);
		return;
	}
	if (cy_shared_rc_running == CY_SHARED_RC_PER_THREAD)
		cy_shared_rc_entry_add(o, ticket, 1);
	/* deferred: the bias keeps o alive until this thread's next safepoint */
}

CY_INLINE void cy_stackref_drop_in(cy_rc_mode mode, cy_object *o)
{
	uint32_t ticket = cy_shared_rc_ticket(o);
	if (CY_LIKELY(ticket == 0)) {
		cy_decref_in(mode, o);
		return;
	}
	if (cy_shared_rc_running == CY_SHARED_RC_PER_THREAD)
		cy_shared_rc_entry_add(o, ticket, -1);
}

#endif
