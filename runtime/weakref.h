/*
 * weakref.h: weak references with optional callbacks.
 *
 * A weak reference names its referent without counting it. When the
 * referent dies, every weak reference to it reads as dead from then on and
 * its callback, if any, runs once with the weak reference (alive for the
 * call). A weak reference that is itself dying when its referent dies never
 * calls back; that includes one dropped after cy_weakref_get has already
 * found the referent dying (count zero) but before the referent's dealloc
 * reached its weak references. Hold a weak reference to get its callback.
 *
 * Synchronisation: weak references live in a table striped by referent
 * address; each stripe has a cy_mutex. cy_weakref_get takes the stripe lock
 * and then a reference only if the referent's count is above zero
 * (cy_try_incref_any); the referent's dealloc clears its weak references
 * under the same lock before its storage is freed, so a get never sees freed
 * memory and never revives a dead object.
 *
 * This module uses the mode-dispatched counting functions: weak references
 * are not on the increment/decrement fast path.
 */
#ifndef CY_WEAKREF_H
#define CY_WEAKREF_H

#include "object.h"

typedef void (*cy_weakref_callback)(cy_object *weakref, void *data);

extern const cy_type cy_weakref_type;

/* A new weak reference (count one) to referent, or NULL without memory. */
cy_object *cy_weakref_new(cy_object *referent, cy_weakref_callback callback, void *data);

/* A new strong reference to the referent, or NULL once it has died. */
cy_object *cy_weakref_get(cy_object *weakref);

/* The referent pointer without a reference (for identity tests only); NULL once dead. */
cy_object *cy_weakref_peek(cy_object *weakref);

/* Number of weak references to o (tests). */
size_t cy_weakref_count(cy_object *o);

/* Called by cy_object_dealloc for objects flagged CY_OBJ_HAS_WEAKREFS. */
void cy_weakref_clear_referent(cy_object *o);

/*
 * For the collector: detach every weak reference to o without calling back,
 * appending those with callbacks (each with a new reference) to out via
 * append(out, weakref). Returns the number detached.
 */
size_t cy_weakref_detach(cy_object *o, void (*append)(void *out, cy_object *weakref), void *out);

/* Run a detached weak reference's callback (the collector's phase, after detaching). */
void cy_weakref_call_back(cy_object *weakref);

#endif
