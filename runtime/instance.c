/*
 * instance.c: objects with named attributes, two ways.
 *
 * An instance keeps its attributes in a dict of its own, as a Python object
 * with a __dict__ did before 3.11's inline values: 40 bytes for the
 * instance, 64 for the dict, each with a 24-byte GC head, and the dict's
 * table (256 bytes for up to five attributes): three allocations. A slotted
 * object has a fixed number of fields chosen at creation and reached by
 * index, as __slots__ gives: 24 + 48 + 8 bytes a field, one allocation.
 * test_types.c reports both sizes for the same fields.
 *
 * The instance needs no lock: its dict pointer is set at creation and
 * dropped only by clear or dealloc, which happen when no other thread can
 * reach the instance; the dict's own lock guards the attributes. A slotted
 * object's fields change under its cy_oblock, following types.h's contract
 * (incref under the lock before returning, decref after unlocking). The
 * collector reads fields with the world stopped, without locks, or (the
 * concurrent collector's marking) with the world running: an instance's
 * dict with an acquire load, a slotted object's fields under its lock.
 */
#include <string.h>

#include "types.h"

typedef struct instance_object {
	cy_object base;
	cy_object *dict; /* a cy_dict_type object; NULL once cleared */
} instance_object;

typedef struct slotted_object {
	cy_varobject base; /* ob_size: the number of fields */
	cy_oblock lock;
	cy_object *slots[];
} slotted_object;

_Static_assert(sizeof(instance_object) == 40, "types.h documents a 40-byte instance");
_Static_assert(sizeof(slotted_object) == 48, "types.h documents a 48-byte slotted header");

/* ---- instance ------------------------------------------------------------- */

static instance_object *as_instance(cy_object *o)
{
	return o->ob_type == &cy_instance_type ? (instance_object *)o : NULL;
}

/* Acquire, and an atomic store in clear: the concurrent collector traverses while a dying instance clears. */
static int instance_traverse(cy_object *self, cy_visit_fn visit, void *arg)
{
	cy_object *dict = cy_atomic_load_acquire(&((instance_object *)self)->dict);
	return dict ? visit(dict, arg) : 0;
}

static void instance_clear(cy_object *self)
{
	instance_object *inst = (instance_object *)self;
	cy_object *dict = inst->dict;
	cy_atomic_store_relaxed(&inst->dict, NULL);
	cy_xdecref(dict);
}

const cy_type cy_instance_type = {
	.name = "instance",
	.basic_size = sizeof(instance_object),
	.flags = CY_TYPE_CONTAINER | CY_TYPE_WEAKREFABLE,
	.traverse = instance_traverse,
	.traverse_concurrent = instance_traverse,
	.clear = instance_clear,
};

cy_object *cy_instance_new(void)
{
	cy_object *dict = cy_dict_new();
	if (!dict)
		return NULL;
	cy_object *self = cy_object_new(&cy_instance_type, 0);
	if (!self) {
		cy_decref(dict);
		return NULL;
	}
	((instance_object *)self)->dict = dict;
	return self;
}

/* The attribute dict without a reference: valid while the caller's reference to the instance is. */
static cy_object *dict_of(cy_object *instance)
{
	instance_object *inst = as_instance(instance);
	return inst ? inst->dict : NULL;
}

cy_object *cy_instance_getattr(cy_object *instance, const char *name)
{
	cy_object *dict = dict_of(instance);
	return dict ? cy_dict_get_str(dict, name, strlen(name)) : NULL;
}

int cy_instance_setattr(cy_object *instance, const char *name, cy_object *value)
{
	cy_object *dict = dict_of(instance);
	return dict ? cy_dict_set_str(dict, name, strlen(name), value) : CY_ERR_TYPE;
}

int cy_instance_delattr(cy_object *instance, const char *name)
{
	cy_object *dict = dict_of(instance);
	return dict ? cy_dict_del_str(dict, name, strlen(name)) : CY_ERR_TYPE;
}

cy_object *cy_instance_dict(cy_object *instance)
{
	cy_object *dict = dict_of(instance);
	cy_xincref(dict);
	return dict;
}

size_t cy_instance_sizeof(cy_object *instance)
{
	if (!as_instance(instance))
		return 0;
	cy_object *dict = dict_of(instance);
	return cy_types_storage_size(instance) + (dict ? cy_dict_sizeof(dict) : 0);
}

/* ---- slotted object --------------------------------------------------------- */

static slotted_object *as_slotted(const cy_object *o)
{
	return o->ob_type == &cy_slotted_type ? (slotted_object *)o : NULL;
}

static int slotted_traverse(cy_object *self, cy_visit_fn visit, void *arg)
{
	slotted_object *s = (slotted_object *)self;
	for (size_t i = 0; i < s->base.ob_size; i++) {
		if (s->slots[i]) {
			int stop = visit(s->slots[i], arg);
			if (stop)
				return stop;
		}
	}
	return 0;
}

/* The concurrent collector's traverse: under the lock, which every writer of a field takes (clear too). */
static int slotted_traverse_locked(cy_object *self, cy_visit_fn visit, void *arg)
{
	slotted_object *s = (slotted_object *)self;
	cy_oblock_lock(&s->lock);
	int stop = slotted_traverse(self, visit, arg);
	cy_oblock_unlock(&s->lock);
	return stop;
}

static void slotted_clear(cy_object *self)
{
	for (size_t i = 0; i < cy_slotted_count(self); i++)
		cy_slotted_set(self, i, NULL);
}

const cy_type cy_slotted_type = {
	.name = "slotted",
	.basic_size = sizeof(slotted_object),
	.item_size = sizeof(cy_object *),
	.flags = CY_TYPE_CONTAINER | CY_TYPE_WEAKREFABLE,
	.traverse = slotted_traverse,
	.traverse_concurrent = slotted_traverse_locked,
	.clear = slotted_clear,
};

cy_object *cy_slotted_new(size_t nslots)
{
	return cy_object_new(&cy_slotted_type, nslots);
}

cy_object *cy_slotted_get(cy_object *slotted, size_t i)
{
	slotted_object *s = as_slotted(slotted);
	if (!s || i >= s->base.ob_size)
		return NULL;
	cy_oblock_lock(&s->lock);
	cy_object *value = s->slots[i];
	cy_xincref(value);
	cy_oblock_unlock(&s->lock);
	return value;
}

int cy_slotted_set(cy_object *slotted, size_t i, cy_object *value)
{
	slotted_object *s = as_slotted(slotted);
	if (!s)
		return CY_ERR_TYPE;
	if (i >= s->base.ob_size)
		return CY_ERR_RANGE;
	cy_xincref(value);
	cy_oblock_lock(&s->lock);
	cy_object *old = s->slots[i];
	s->slots[i] = value;
	cy_oblock_unlock(&s->lock);
	cy_xdecref(old);
	return 0;
}

size_t cy_slotted_count(const cy_object *slotted)
{
	slotted_object *s = as_slotted(slotted);
	return s ? s->base.ob_size : 0;
}
