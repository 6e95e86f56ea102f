/*
 * introspect.h: looking at live objects, CPython's sys.getrefcount,
 * sys.getsizeof and gc.get_referents / get_referrers / get_objects /
 * is_tracked / is_finalized in C.
 *
 * Valid in every counting mode and while other threads run. What each
 * answer means then:
 *
 *  - cy_getrefcount reads the count without stopping anyone: exact when no
 *    other thread changes o's count during the call (one thread, the world
 *    stopped, or o held still by the caller's design); otherwise a value the
 *    count had at some moment, give or take the increments and decrements in
 *    flight. In biased mode it is the owner's local part plus the shared
 *    part, two separate loads, so a reference moving between the two parts
 *    during the call (a merge) may be seen twice or not at all; and while o
 *    is queued for a merge the queue's own reference is included, as in
 *    refcount.h. Immortal objects answer CY_REFCOUNT_IMMORTAL. Unlike
 *    Python's, the answer has no temporary reference of the call in it.
 *  - cy_getsizeof is exact: a list's capacity is read under its lock, a
 *    dict's table likewise (the cy_*_sizeof functions of types.h).
 *  - cy_get_referents stops the world for the traversal, so the referents
 *    are those of one instant, and each is returned with a new reference
 *    taken while nobody could free it.
 *  - cy_get_referrers and cy_get_objects walk every tracked container with
 *    the world stopped (cy_gc_get_objects), taking a reference to each
 *    object they return before the world resumes. Cost: one stop of the
 *    world for a walk of all tracked objects (get_referrers also traverses
 *    each one: time proportional to every reference held by a container),
 *    as CPython's gc.get_referrers is a full heap scan. Untracked objects
 *    (ints, floats, bytes) hold no references and are never referrers;
 *    cy_get_objects lists tracked containers only, as gc.get_objects does.
 *
 * Compiled once per counting mode (variant.h): the functions that take
 * references are renamed with CY_SYM. Including this header requires
 * CY_RC_VARIANT.
 */
#ifndef CY_INTROSPECT_H
#define CY_INTROSPECT_H

#include <stddef.h>
#include <stdint.h>

#include "collector/gc.h"
#include "object.h"
#include "refcount.h"
#include "variant.h"

/* What cy_getrefcount answers for an immortal object. */
#define CY_REFCOUNT_IMMORTAL INT64_MAX

/* The count's parts, as the header holds them (object.h's table). */
typedef struct cy_refcount_parts {
	int64_t total;      /* local + shared, or CY_REFCOUNT_IMMORTAL */
	uint32_t local;     /* ob_ref_local: the count (nonatomic), the owner's part (biased), 0 (atomic) */
	int64_t shared;     /* ob_ref_shared >> 2: the count (atomic), other threads' part (biased) */
	unsigned state;     /* biased: CY_SHARED_DEFAULT .. CY_SHARED_MERGED; 0 otherwise */
	uint64_t owner;     /* biased: the owning thread's id, 0 once merged; 0 otherwise */
	int immortal;
} cy_refcount_parts;

CY_INLINE void cy_getrefcount_parts(const cy_object *o, cy_refcount_parts *out)
{
	uint32_t local = cy_atomic_load_relaxed(&o->ob_ref_local);
	int64_t shared = cy_atomic_load_relaxed(&o->ob_ref_shared);
	out->local = local;
	out->shared = shared >> CY_SHARED_SHIFT;
	out->state = cy_rc_mode_running == CY_RC_BIASED ? (unsigned)(shared & CY_SHARED_STATE_MASK) : 0u;
	out->owner = cy_atomic_load_relaxed(&o->ob_owner);
	out->immortal = local == CY_REF_IMMORTAL;
	out->total = out->immortal ? CY_REFCOUNT_IMMORTAL : (int64_t)local + out->shared;
}

/* sys.getrefcount(o) without the argument's temporary reference. */
CY_INLINE int64_t cy_getrefcount(const cy_object *o)
{
	cy_refcount_parts parts;
	cy_getrefcount_parts(o, &parts);
	return parts.total;
}

/* gc.is_finalized(o): has o's finalizer run (it never runs again)? */
CY_INLINE int cy_is_finalized(const cy_object *o) { return (cy_object_flags(o) & CY_OBJ_FINALIZED) != 0; }

/* gc.is_tracked(o): is o a container in one of the collector's lists? */
CY_INLINE int cy_is_tracked(const cy_object *o) { return cy_gc_is_tracked(o); }

/* A list of objects, each with a reference the array owns; release with cy_object_array_release. */
typedef struct cy_object_array {
	size_t count;
	cy_object **items;
} cy_object_array;

#define cy_getsizeof CY_SYM(cy_getsizeof)
#define cy_get_referents CY_SYM(cy_get_referents)
#define cy_get_referrers CY_SYM(cy_get_referrers)
#define cy_get_objects CY_SYM(cy_get_objects)
#define cy_object_array_release CY_SYM(cy_object_array_release)

/*
 * sys.getsizeof(o): o's storage plus what it owns outside it that is not an
 * object (a list's item array, a dict's table and long key copies; an
 * instance counts its attribute dict, as types.h's cy_instance_sizeof
 * does). with_gc_head adds the collector's 24-byte head in front of a
 * container (Python's getsizeof adds its GC header the same way; its
 * __sizeof__ leaves it out).
 */
size_t cy_getsizeof(cy_object *o, int with_gc_head);

/*
 * gc.get_referents(o): what o's traverse visits, in its order, duplicates
 * kept. 0, or -1 when memory ran out (out is then empty).
 */
int cy_get_referents(cy_object *o, cy_object_array *out);

/*
 * gc.get_referrers(target): every tracked container whose traverse visits
 * target, each once, in the collector's list order (generation 0 of each
 * thread, then 1, then 2). 0 or -1 as above.
 */
int cy_get_referrers(const cy_object *target, cy_object_array *out);

/*
 * gc.get_objects(generation) with a type filter: the tracked containers of
 * generation gen (0..2, or -1 for all), of type t (NULL for any type).
 * 0, or -1 for a bad generation or when memory ran out.
 */
int cy_get_objects(int gen, const cy_type *t, cy_object_array *out);

/* Drop the array's references and its storage; it is empty afterwards. */
void cy_object_array_release(cy_object_array *array);

#endif
