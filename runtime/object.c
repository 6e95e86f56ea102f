/*
 * object.c: creating objects and freeing them without recursion.
 *
 * When a count reaches zero, cy_object_dealloc runs the finalizer if the
 * type has one and it has not run (PEP 442: the object is revived with a
 * count of one for the call, and freed only if the finalizer left it
 * unreferenced), clears weak references, and then pushes the object on a
 * per-thread stack of objects to free. Only the outermost call on a thread
 * pops and frees; a dealloc that releases children pushes them instead of
 * recursing. The stack is linked through ob_owner, which a dead object no
 * longer needs (thread ids are odd, so the link never reads as an owner).
 *
 * Containers carry a cy_gc_head in front of the header and are linked into
 * a generation list from birth to death (gc_track.h); their storage block
 * starts at the head.
 */
#include "object.h"

#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "counters.h"
#include "gc_track.h"
#include "refcount.h"
#include "tracemalloc.h"
#include "weakref.h"

static _Thread_local cy_object *free_stack;
static _Thread_local int freeing;

CY_INLINE size_t object_size(const cy_object *o)
{
	const cy_type *t = o->ob_type;
	if (!t->item_size)
		return t->basic_size;
	return t->basic_size + t->item_size * ((const cy_varobject *)o)->ob_size;
}

size_t cy_object_size(const cy_object *o) { return object_size(o); }

/* Bytes of the storage block behind o: the object, and its GC head if it has one. */
static size_t block_size(const cy_object *o)
{
	size_t size = object_size(o);
	return cy_gc_is_tracked_type(o->ob_type) ? size + sizeof(cy_gc_head) : size;
}

static void *block_of(cy_object *o)
{
	return cy_gc_is_tracked_type(o->ob_type) ? (void *)cy_gc_head_of(o) : (void *)o;
}

/*
 * Most objects have a few pointer-sized fields after the header: a body of
 * up to this many bytes, a multiple of 8, is zeroed with direct stores
 * rather than a call to memset, which would cost as much as the rest of an
 * allocation.
 */
#define SMALL_BODY 32

CY_INLINE int has_small_body(size_t size)
{
	size_t body = size - sizeof(cy_object);
	return body <= SMALL_BODY && body % 8 == 0;
}

/* Everything but ob_size (varobjects) and tracking: the header, and the body zeroed. */
CY_INLINE void init_object(cy_object *o, const cy_type *t, size_t size)
{
	cy_rc_init_one(o); /* ob_owner, ob_ref_local, ob_ref_shared */
	cy_atomic_store_relaxed(&o->ob_flags, 0u);
	o->ob_type = t;
	char *body = (char *)(o + 1);
	if (has_small_body(size)) {
		switch (size - sizeof(cy_object)) {
		case 8: __builtin_memset(body, 0, 8); break;
		case 16: __builtin_memset(body, 0, 16); break;
		case 24: __builtin_memset(body, 0, 24); break;
		case 32: __builtin_memset(body, 0, 32); break;
		default: break;
		}
	} else {
		memset(body, 0, size - sizeof(cy_object));
	}
}

/* Any object: variable size, not a container, another allocator, a slow path anywhere. */
static CY_NOINLINE cy_object *new_object(const cy_type *t, size_t nitems)
{
	size_t size = t->basic_size;
	if (t->item_size) {
		if (nitems > (SIZE_MAX - size - sizeof(cy_gc_head)) / t->item_size)
			return NULL;
		size += t->item_size * nitems;
	}
	int tracked = cy_gc_is_tracked_type(t);
	size_t block = tracked ? size + sizeof(cy_gc_head) : size;
	char *storage = cy_mem_alloc(block);
	if (CY_UNLIKELY(!storage))
		return NULL;
	cy_object *o = (cy_object *)(tracked ? storage + sizeof(cy_gc_head) : storage);
	init_object(o, t, size);
	if (t->item_size)
		((cy_varobject *)o)->ob_size = nitems;
	CY_COUNT_ADD_ALWAYS(objects_allocated, 1);
	CY_COUNT_ADD_ALWAYS(bytes_allocated, (int64_t)block);
	if (tracked)
		cy_gc_track_new(cy_gc_head_of(o));
	if (CY_UNLIKELY(cy_tracemalloc_is_tracing()))
		cy_tracemalloc_record(o, block);
	return o;
}

static CY_NOINLINE cy_object *track_slow(cy_object *o)
{
	cy_gc_track_new_slow(cy_gc_head_of(o));
	return o;
}

/*
 * The common case, a fixed-size container with a small body from the
 * pool's current page, is written so that it needs no stack frame: every
 * other case, and every slow path, is a tail call. Allocation tracing
 * (tracemalloc.h) is one of the other cases: while it is on, every object
 * goes through new_object, which records it, so the fast path pays one
 * relaxed load and a branch folded into the test it already makes, and
 * makes no call, when tracing is off.
 */
cy_object *cy_object_new(const cy_type *t, size_t nitems)
{
	size_t size = t->basic_size;
	if (CY_UNLIKELY(t->item_size || !cy_gc_is_tracked_type(t) || !has_small_body(size) ||
			cy_tracemalloc_is_tracing()))
		return new_object(t, nitems);
	size_t block = size + sizeof(cy_gc_head);
	char *storage = cy_mem_try_alloc(block);
	if (CY_UNLIKELY(!storage))
		return new_object(t, nitems);
	cy_object *o = (cy_object *)(storage + sizeof(cy_gc_head));
	init_object(o, t, size);
	CY_COUNT_ADD_ALWAYS(objects_allocated, 1);
	CY_COUNT_ADD_ALWAYS(bytes_allocated, (int64_t)block);
	if (CY_UNLIKELY(!cy_gc_try_track_new(cy_gc_head_of(o))))
		return track_slow(o);
	return o;
}

/* Must storage freed now wait for the concurrent collector? See cy_object_release_storage. */
CY_INLINE int must_defer_free(void) { return cy_gc_collector_is_reading() && !cy_gc_tls_collecting; }

void cy_object_release_storage(cy_object *o)
{
	/* Forgotten before the block can be reused: a traced address is never that of two live objects. */
	if (CY_UNLIKELY(cy_tracemalloc_is_tracing()))
		cy_tracemalloc_forget(o);
	size_t block = block_size(o);
	CY_COUNT_ADD_ALWAYS(bytes_freed, (int64_t)block);
	/*
	 * The concurrent collector may still read this header (gc_track.h): keep
	 * the bytes for now. Not while this thread has the world stopped for a
	 * collection: the collector thread is parked between two chunks of
	 * marking then, or is this thread, and holds no pointer to the object.
	 */
	if (CY_UNLIKELY(must_defer_free()))
		cy_mem_free_deferred(block_of(o), block);
	else
		cy_mem_free(block_of(o), block);
}

/*
 * The answer to must_defer_free is read once, not per block: the reading
 * flag is only set with the world stopped, which cannot happen while this
 * thread runs without reaching a safepoint, and a block deferred after the
 * flag was cleared is merely freed a little later. Clearing weak
 * references takes a lock and may wait (a safepoint): read it again after.
 */
void cy_object_release_containers(cy_gc_head *const *heads, size_t n)
{
	int defer = must_defer_free();
	int tracing = cy_tracemalloc_is_tracing();
	int64_t bytes = 0;
	for (size_t i = 0; i < n; i++) {
		cy_gc_head *g = heads[i];
		cy_object *o = cy_gc_object_of(g);
		if (CY_UNLIKELY(tracing))
			cy_tracemalloc_forget(o);
		if (CY_UNLIKELY(cy_object_flags(o) & CY_OBJ_HAS_WEAKREFS)) {
			cy_weakref_clear_referent(o);
			defer = must_defer_free();
		}
		size_t block = object_size(o) + sizeof(cy_gc_head);
		bytes += (int64_t)block;
		if (CY_UNLIKELY(defer))
			cy_mem_free_deferred(g, block);
		else
			cy_mem_free(g, block);
	}
	CY_COUNT_ADD_ALWAYS(bytes_freed, bytes);
}

/*
 * An object is counted freed when it dies; its bytes when its storage goes
 * back to the allocator, which for a container freed by a thread other than
 * its list's owner happens at the owner's next safepoint.
 */
void cy_object_free(cy_object *o)
{
	if (cy_object_flags(o) & CY_OBJ_STATIC)
		return;
	CY_COUNT_ADD_ALWAYS(objects_freed, 1);
	if (cy_gc_is_tracked_type(o->ob_type) && !cy_gc_untrack_dead(cy_gc_head_of(o)))
		return; /* its list's owner releases the storage */
	cy_object_release_storage(o);
}

void cy_object_immortalize(cy_object *o)
{
	cy_atomic_store_relaxed(&o->ob_ref_local, CY_REF_IMMORTAL);
}

static void release(cy_object *o)
{
	const cy_type *t = o->ob_type;
	if (t->dealloc) {
		t->dealloc(o);
		return;
	}
	if (t->clear)
		t->clear(o);
	cy_object_free(o);
}

void cy_object_dealloc(cy_object *o)
{
	const cy_type *t = o->ob_type;
	uint32_t flags = cy_object_flags(o);
	if (t->finalize && !(flags & CY_OBJ_FINALIZED)) {
		cy_object_set_flags(o, CY_OBJ_FINALIZED);
		cy_rc_init_one(o);
		if (flags & CY_OBJ_HAS_WEAKREFS)
			cy_rc_mark_weakrefs(o);
		t->finalize(o);
		/* Back to zero frees it (this function again, finalizer done); above zero, it was resurrected. */
		cy_decref_any(o);
		return;
	}
	if (flags & CY_OBJ_HAS_WEAKREFS)
		cy_weakref_clear_referent(o);
	cy_atomic_store_relaxed(&o->ob_owner, (uint64_t)(uintptr_t)free_stack);
	free_stack = o;
	if (freeing)
		return;
	freeing = 1;
	while ((o = free_stack) != NULL) {
		free_stack = (cy_object *)(uintptr_t)cy_atomic_load_relaxed(&o->ob_owner);
		release(o);
	}
	freeing = 0;
}
