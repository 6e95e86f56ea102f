/*
 * box.h: the smallest container, for tests compiled once per mode: one
 * owned reference (enough for chains, rings and cycles) and a payload a
 * finalizer can check is still intact.
 */
#ifndef CY_TEST_BOX_H
#define CY_TEST_BOX_H

#include "runtime/variant.h"
#include "tests/test_support.h"

typedef struct box {
	cy_object base;
	cy_object *item;
	int64_t payload;
} box;

static inline int box_traverse(cy_object *self, cy_visit_fn visit, void *arg)
{
	box *b = (box *)self;
	return b->item ? visit(b->item, arg) : 0;
}

static inline void box_clear(cy_object *self)
{
	box *b = (box *)self;
	cy_object *item = b->item;
	b->item = NULL;
	cy_xdecref(item);
}

__attribute__((unused)) static const cy_type box_type = {
	.name = "box",
	.basic_size = sizeof(box),
	.flags = CY_TYPE_CONTAINER,
	.traverse = box_traverse,
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

#endif
