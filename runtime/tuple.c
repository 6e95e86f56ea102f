/*
 * tuple.c: fixed-size, immutable sequences.
 *
 * A tuple is a variable-size object: its items follow the header, so a
 * tuple of n items is one allocation of 40 + 8n bytes (CPython's layout).
 * It is created with every item NULL and filled by its creator with
 * cy_tuple_init_item before anyone else sees it; from then on its items
 * never change until it dies or the collector clears it as garbage, so
 * reads take no lock. Writes are atomic stores and the traverse reads with
 * acquire loads, so the concurrent collector may traverse a tuple while
 * mutators run (traverse_concurrent). (A reader holds a reference to the tuple, and the
 * tuple holds one to each item, so the item outlives the reader's incref.)
 */
#include "types.h"

typedef struct tuple_object {
	cy_varobject base;
	cy_object *items[];
} tuple_object;

static tuple_object *as_tuple(const cy_object *o)
{
	return o->ob_type == &cy_tuple_type ? (tuple_object *)o : NULL;
}

static int tuple_traverse(cy_object *self, cy_visit_fn visit, void *arg)
{
	tuple_object *t = (tuple_object *)self;
	for (size_t i = 0; i < t->base.ob_size; i++) {
		/* Acquire: the concurrent collector traverses while the tuple may be cleared (pairs with init_item). */
		cy_object *item = cy_atomic_load_acquire(&t->items[i]);
		if (item) {
			int stop = visit(item, arg);
			if (stop)
				return stop;
		}
	}
	return 0;
}

/* Only on garbage or a dying tuple: no reader can be looking. */
static void tuple_clear(cy_object *self)
{
	tuple_object *t = (tuple_object *)self;
	for (size_t i = 0; i < t->base.ob_size; i++) {
		cy_object *item = t->items[i];
		cy_atomic_store_relaxed(&t->items[i], NULL);
		cy_xdecref(item);
	}
}

const cy_type cy_tuple_type = {
	.name = "tuple",
	.basic_size = sizeof(tuple_object),
	.item_size = sizeof(cy_object *),
	.flags = CY_TYPE_CONTAINER,
	.traverse = tuple_traverse,
	.traverse_concurrent = tuple_traverse,
	.clear = tuple_clear,
};

cy_object *cy_tuple_new(size_t n)
{
	return cy_object_new(&cy_tuple_type, n);
}

int cy_tuple_init_item(cy_object *tuple, size_t i, cy_object *item)
{
	tuple_object *t = as_tuple(tuple);
	if (!t)
		return CY_ERR_TYPE;
	if (i >= t->base.ob_size)
		return CY_ERR_RANGE;
	cy_xincref(item);
	cy_setref_published(&t->items[i], item);
	return 0;
}

cy_object *cy_tuple_from_array(size_t n, cy_object *const *items)
{
	cy_object *tuple = cy_tuple_new(n);
	if (!tuple)
		return NULL;
	for (size_t i = 0; i < n; i++)
		cy_tuple_init_item(tuple, i, items[i]);
	return tuple;
}

cy_object *cy_tuple_get(cy_object *tuple, size_t i)
{
	tuple_object *t = as_tuple(tuple);
	if (!t || i >= t->base.ob_size || !t->items[i])
		return NULL;
	cy_incref(t->items[i]);
	return t->items[i];
}

size_t cy_tuple_len(const cy_object *tuple)
{
	tuple_object *t = as_tuple(tuple);
	return t ? t->base.ob_size : 0;
}
