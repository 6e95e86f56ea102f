/*
 * box.h: the smallest container, for tests compiled once per mode: one
 * owned reference (enough for chains, rings and cycles) and a payload a
 * finalizer can check is still intact.
 */
#ifndef CY_TEST_BOX_H
#define CY_TEST_BOX_H

#include "runtime/atomics.h"
#include "runtime/variant.h"
#include "tests/test_support.h"

typedef struct box {
	cy_object base;
	cy_object *item;
	int64_t payload;
} box;

static inline int box_traverse(cy_object *self, cy_visit_fn visit, void *arg)
{
	/* Acquire, and atomic stores by every writer: the concurrent collector traverses boxes while tests run. */
	cy_object *item = cy_atomic_load_acquire(&((box *)self)->item);
	return item ? visit(item, arg) : 0;
}

static inline void box_clear(cy_object *self)
{
	box *b = (box *)self;
	cy_object *item = b->item;
	cy_atomic_store_relaxed(&b->item, NULL);
	cy_xdecref(item);
}

__attribute__((unused)) static const cy_type box_type = {
	.name = "box",
	.basic_size = sizeof(box),
	.flags = CY_TYPE_CONTAINER,
	.traverse = box_traverse,
	.traverse_concurrent = box_traverse,
	.clear = box_clear,
};

/* A box of type t (box_type or a variant of it) owning item's reference. */
static inline box *box_new_of(const cy_type *t, cy_object *item, int64_t payload)
{
	box *b = (box *)cy_object_new(t, 0);
	assert_non_null(b);
	b->item = item;
	b->payload = payload;
	return b;
}

static inline box *box_new(cy_object *item) { return box_new_of(&box_type, item, 0); }

/*
 * Boxes with finalizers. Each test resets the record before use: how many
 * finalizers ran, the payload of the neighbour the last one saw (-1 for
 * none), and the object the resurrecting finalizer stored a reference to.
 */
static struct {
	int finalized;
	int64_t neighbour_payload;
	cy_object *resurrected;
} box_finalizer_record;

static inline void box_finalize_note(cy_object *self)
{
	box *b = (box *)self;
	box_finalizer_record.finalized++;
	/* Neighbours are intact while the finalizer runs. */
	if (b->item && cy_type_of(b->item)->traverse == box_traverse)
		box_finalizer_record.neighbour_payload = ((box *)b->item)->payload;
}

static inline void box_finalize_resurrect(cy_object *self)
{
	box_finalizer_record.finalized++;
	cy_incref(self);
	box_finalizer_record.resurrected = self;
}

__attribute__((unused)) static const cy_type finalizing_box_type = {
	.name = "finalizing box",
	.basic_size = sizeof(box),
	.flags = CY_TYPE_CONTAINER,
	.traverse = box_traverse,
	.traverse_concurrent = box_traverse,
	.clear = box_clear,
	.finalize = box_finalize_note,
};

__attribute__((unused)) static const cy_type resurrecting_box_type = {
	.name = "resurrecting box",
	.basic_size = sizeof(box),
	.flags = CY_TYPE_CONTAINER,
	.traverse = box_traverse,
	.traverse_concurrent = box_traverse,
	.clear = box_clear,
	.finalize = box_finalize_resurrect,
};

/* A box that cannot break a cycle: no clear (uncollectable in a garbage cycle); its dealloc still releases its item. */
static inline void stuck_dealloc(cy_object *self)
{
	box_clear(self);
	cy_object_free(self);
}

__attribute__((unused)) static const cy_type stuck_type = {
	.name = "stuck",
	.basic_size = sizeof(box),
	.flags = CY_TYPE_CONTAINER,
	.traverse = box_traverse,
	.traverse_concurrent = box_traverse,
	.dealloc = stuck_dealloc,
};

static inline void box_finalizer_record_reset(void)
{
	box_finalizer_record.finalized = 0;
	box_finalizer_record.neighbour_payload = -1;
	box_finalizer_record.resurrected = NULL;
}

#endif
