/*
 * object.h: the object header, the type descriptor, and object lifetime.
 *
 * Every cyclab object starts with a cy_object header, then its type's fields.
 * The header is the same 32 bytes in every reference-counting mode, so that
 * the allocator and the collector never depend on the mode and a comparison
 * between modes measures the counting and nothing else:
 *
 *   offset  field          nonatomic        atomic           biased
 *   0       ob_owner       0                0                owning thread's id, 0 once merged
 *   8       ob_ref_local   the count        0                the owner's count
 *   12      ob_flags       CY_OBJ_* bits    same             same
 *   16      ob_ref_shared  0                count << 2       (other threads' count << 2) | state
 *   24      ob_type        type descriptor  same             same
 *
 * (CPython's default build has a 16-byte header; its free-threaded build a
 * 32-byte one with the same fields as the biased column.)
 *
 * ob_ref_local == CY_REF_IMMORTAL marks an immortal object in every mode:
 * increments and decrements leave it alone, and it is never freed. A local
 * count that reaches CY_REF_IMMORTAL by increments has saturated and is
 * immortal from then on: counts never wrap. The 62-bit shared count cannot
 * reach its limit in practice; crossing 2^60 aborts with a message.
 *
 * Who touches what: ob_owner and ob_ref_local are written by the owner thread
 * only (or, under the merge protocol in refcount.c, by a thread that has
 * excluded the owner); others read them with relaxed loads. ob_ref_shared is
 * updated atomically. ob_flags bits are set atomically and read relaxed.
 * ob_type never changes.
 */
#ifndef CY_OBJECT_H
#define CY_OBJECT_H

#include <stddef.h>
#include <stdint.h>

#include "atomics.h"

typedef struct cy_object cy_object;
typedef struct cy_type cy_type;

struct cy_object {
	uint64_t ob_owner;
	uint32_t ob_ref_local;
	uint32_t ob_flags;
	int64_t ob_ref_shared;
	const cy_type *ob_type;
};

_Static_assert(sizeof(cy_object) == 32, "the object header is documented as 32 bytes");

/* Variable-size objects (item_size != 0) keep their item count after the header. */
typedef struct cy_varobject {
	cy_object base;
	size_t ob_size;
} cy_varobject;

#define CY_REF_IMMORTAL UINT32_MAX

/* Object flags (ob_flags). */
enum {
	CY_OBJ_FINALIZED = 1u << 0,    /* finalize() has run; it never runs again */
	CY_OBJ_HAS_WEAKREFS = 1u << 1, /* weak references may point here (weakref.c) */
	CY_OBJ_STATIC = 1u << 2,       /* storage not from cy_object_alloc: never freed */
};

/*
 * Called once per reference an object owns. Returning nonzero stops the
 * traversal and traverse returns that value.
 */
typedef int (*cy_visit_fn)(cy_object *referent, void *arg);

/* Type flags (cy_type.flags). */
enum {
	CY_TYPE_CONTAINER = 1u << 0, /* may own references, so may be part of a cycle: has traverse and clear */
	CY_TYPE_WEAKREFABLE = 1u << 1,
};

/*
 * A type descriptor. Types that own references are containers and must
 * provide traverse and clear; a leaf (int, float, bytes) owns none. Built-in
 * types exist once per reference-counting mode because clear and dealloc
 * release references with that mode's code (see variant.h).
 */
struct cy_type {
	const char *name;
	size_t basic_size; /* bytes of an instance, header included */
	size_t item_size;  /* bytes per item for variable-size types, else 0 */
	uint32_t flags;    /* CY_TYPE_* */
	/* Visit each owned reference once. */
	int (*traverse)(cy_object *self, cy_visit_fn visit, void *arg);
	/*
	 * Optional: traverse while other threads run and may change or free
	 * self (the concurrent collector's marking). NULL: the collector
	 * traverses objects of this type only with the world stopped. A type
	 * with fixed reference fields can give its traverse here if it reads
	 * each field with an acquire load and every writer of a field that may
	 * run on an old object (clear included) stores it atomically (release
	 * for a new referent); a type whose layout changes (a resizable array)
	 * gives a wrapper that holds the object's lock around its traverse.
	 * visit only reads: it takes no lock and frees nothing.
	 */
	int (*traverse_concurrent)(cy_object *self, cy_visit_fn visit, void *arg);
	/* Drop owned references so a cycle through self falls apart; self stays valid. */
	void (*clear)(cy_object *self);
	/* Optional, like __del__: runs at most once, before any clearing; may resurrect. */
	void (*finalize)(cy_object *self);
	/* Release what self owns and its storage; NULL means clear (if any) then cy_object_free. */
	void (*dealloc)(cy_object *self);
};

/* Shared state of the biased mode's ob_ref_shared low bits. States only move up. */
enum {
	CY_SHARED_DEFAULT = 0,
	CY_SHARED_WEAKREFS = 1, /* weak references exist: a zero local count must merge, not free */
	CY_SHARED_QUEUED = 2,   /* queued to the owner for a merge; the queue holds one reference */
	CY_SHARED_MERGED = 3,   /* owner gave up its bias: the count lives in ob_ref_shared alone */
	CY_SHARED_SHIFT = 2,
	CY_SHARED_STATE_MASK = 3,
};
#define CY_SHARED_ONE ((int64_t)1 << CY_SHARED_SHIFT)

/* ---- allocation and deallocation (object.c) ---------------------------- */

/*
 * A new object of type t with count 1 owned by the calling thread, header
 * initialised for the running mode, fields zeroed. nitems sizes a
 * variable-size type. Returns NULL when memory is exhausted.
 */
cy_object *cy_object_new(const cy_type *t, size_t nitems);

/*
 * Storage release for dealloc functions: the object must be dead. A
 * container also leaves its generation list; if that list belongs to
 * another thread, that thread releases the storage later.
 */
void cy_object_free(cy_object *o);

/* Return o's storage to the allocator now (gc_track.c, once o is unlinked). */
void cy_object_release_storage(cy_object *o);

/*
 * The collector's bulk free: cy_object_release_storage for each of n dead
 * containers, given by their GC heads and unlinked from every list, after
 * clearing weak references made to one of them since it was found dead (a
 * clear may have made one).
 */
struct cy_gc_head;
void cy_object_release_containers(struct cy_gc_head *const *heads, size_t n);

/*
 * Entry point when a count reaches zero. Never recurses: objects freed while
 * another is being freed are queued and handled by the outermost call, so a
 * chain a million deep is freed in constant C stack (CPython's trashcan does
 * the same job with a depth limit).
 */
void cy_object_dealloc(cy_object *o);

/* Make o immortal: its count never changes again and it is never freed. */
void cy_object_immortalize(cy_object *o);

/* Size in bytes of o's storage (what the allocator was asked for). */
size_t cy_object_size(const cy_object *o);

CY_INLINE const cy_type *cy_type_of(const cy_object *o) { return o->ob_type; }

CY_INLINE int cy_object_is_immortal(const cy_object *o)
{
	return cy_atomic_load_relaxed(&o->ob_ref_local) == CY_REF_IMMORTAL;
}

CY_INLINE uint32_t cy_object_flags(const cy_object *o) { return cy_atomic_load_relaxed(&o->ob_flags); }

CY_INLINE void cy_object_set_flags(cy_object *o, uint32_t bits)
{
	if ((cy_object_flags(o) & bits) != bits)
		cy_atomic_fetch_or_relaxed(&o->ob_flags, bits);
}

/* Live objects and bytes over all threads, exited ones included. */
int64_t cy_objects_live(void);
int64_t cy_bytes_live(void);

#endif
