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
#include "weakref.h"

static _Thread_local cy_object *free_stack;
static _Thread_local int freeing;

size_t cy_object_size(const cy_object *o)
{
	const cy_type *t = o->ob_type;
	if (!t->item_size)
		return t->basic_size;
	return t->basic_size + t->item_size * ((const cy_varobject *)o)->ob_size;
}

/* Bytes of the storage block behind o: the object, and its GC head if it has one. */
static size_t block_size(const cy_object *o)
{
	size_t size = cy_object_size(o);
	return cy_gc_is_tracked_type(o->ob_type) ? size + sizeof(cy_gc_head) : size;
}

static void *block_of(cy_object *o)
{
	return cy_gc_is_tracked_type(o->ob_type) ? (void *)cy_gc_head_of(o) : (void *)o;
}

cy_object *cy_object_new(const cy_type *t, size_t nitems)
{
	if (t->item_size && nitems > (SIZE_MAX - t->basic_size - sizeof(cy_gc_head)) / t->item_size)
		return NULL;
	size_t size = t->basic_size + t->item_size * nitems;
	int tracked = cy_gc_is_tracked_type(t);
	size_t block = tracked ? size + sizeof(cy_gc_head) : size;
	char *storage = cy_mem_alloc(block);
	if (!storage)
		return NULL;
	cy_object *o = (cy_object *)(tracked ? storage + sizeof(cy_gc_head) : storage);
	memset(o, 0, size);
	o->ob_type = t;
	if (t->item_size)
		((cy_varobject *)o)->ob_size = nitems;
	cy_rc_init_one(o);
	CY_COUNT_ADD_ALWAYS(objects_allocated, 1);
	CY_COUNT_ADD_ALWAYS(bytes_allocated, (int64_t)block);
	if (tracked)
		cy_gc_track_new(cy_gc_head_of(o));
	return o;
}

void cy_object_release_storage(cy_object *o)
{
	size_t block = block_size(o);
	CY_COUNT_ADD_ALWAYS(bytes_freed, (int64_t)block);
	/*
	 * The concurrent collector may still read this header (gc_track.h): keep
	 * the bytes for now. Not while this thread has the world stopped for a
	 * collection: the collector thread is parked between two chunks of
	 * marking then, or is this thread, and holds no pointer to the object.
	 */
	if (CY_UNLIKELY(cy_gc_collector_is_reading()) && !cy_gc_tls_collecting)
		cy_mem_free_deferred(block_of(o), block);
	else
		cy_mem_free(block_of(o), block);
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
