/*
 * variant.h: compiling one source once per reference-counting mode.
 *
 * A source that increments or decrements counts on a hot path (containers,
 * workloads, tests, benchmarks) is compiled three times, with
 * -DCY_RC_VARIANT=0, 1 or 2 (build.ninja does this). Within it, cy_incref and
 * cy_decref are the inline fast paths of that one mode, and CY_SYM(name)
 * gives each copy of a function its own symbol (name_nonatomic,
 * name_atomic, name_biased), the way liburcu builds its flavours. A program
 * picks one copy at its outer loop, through a table indexed by cy_rc_mode,
 * and no increment or decrement ever goes through a function pointer.
 *
 * Headers of such modules rename their functions with CY_SYM, so a caller
 * compiled for a mode calls that mode's copy without writing the suffix.
 */
#ifndef CY_VARIANT_H
#define CY_VARIANT_H

#include "refcount.h"

#ifndef CY_RC_VARIANT
#error "this source is compiled once per reference-counting mode: build it with -DCY_RC_VARIANT=0, 1 or 2"
#endif

#if CY_RC_VARIANT == 0
#define CY_RC_MODE CY_RC_NONATOMIC
#define CY_VARIANT_SUFFIX nonatomic
#elif CY_RC_VARIANT == 1
#define CY_RC_MODE CY_RC_ATOMIC
#define CY_VARIANT_SUFFIX atomic
#elif CY_RC_VARIANT == 2
#define CY_RC_MODE CY_RC_BIASED
#define CY_VARIANT_SUFFIX biased
#else
#error "CY_RC_VARIANT must be 0 (nonatomic), 1 (atomic) or 2 (biased)"
#endif

#define CY_SYM_JOIN2(name, suffix) name##_##suffix
#define CY_SYM_JOIN(name, suffix) CY_SYM_JOIN2(name, suffix)
#define CY_SYM(name) CY_SYM_JOIN(name, CY_VARIANT_SUFFIX)

/* Declare the three copies of a function, for the table that picks one. */
#define CY_DECLARE_VARIANTS(ret, name, params) \
	ret name##_nonatomic params;           \
	ret name##_atomic params;              \
	ret name##_biased params

#define cy_incref(o) cy_incref_in(CY_RC_MODE, (o))
#define cy_decref(o) cy_decref_in(CY_RC_MODE, (o))

CY_INLINE void cy_xincref_in(cy_rc_mode mode, cy_object *o)
{
	if (o)
		cy_incref_in(mode, o);
}

CY_INLINE void cy_xdecref_in(cy_rc_mode mode, cy_object *o)
{
	if (o)
		cy_decref_in(mode, o);
}

#define cy_xincref(o) cy_xincref_in(CY_RC_MODE, (o))
#define cy_xdecref(o) cy_xdecref_in(CY_RC_MODE, (o))

/* Replace *slot with value (a new reference), releasing the old one after the store. */
#define cy_setref(slot, value)                 \
	do {                                   \
		cy_object *cy_setref_old = *(slot); \
		*(slot) = (value);             \
		cy_xdecref(cy_setref_old);     \
	} while (0)

/*
 * cy_setref for a field that the concurrent collector may read while this
 * thread writes it (a type with traverse_concurrent, object.h): the new
 * referent is published with a release store, which the traverse's acquire
 * load pairs with, so the collector sees its header initialised.
 */
#define cy_setref_published(slot, value)                                     \
	do {                                                                 \
		cy_object *cy_setref_old = cy_atomic_load_relaxed((slot)); \
		cy_atomic_store_release((slot), (value));         \
		cy_xdecref(cy_setref_old);                                   \
	} while (0)

#endif
