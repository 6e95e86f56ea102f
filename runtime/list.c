/*
 * list.c: the growable list.
 *
 * A list is a 64-byte object pointing at a malloc'd array of item pointers
 * that grows by half again when full (CPython grows by about an eighth; a
 * larger step means fewer reallocations under the lock). Invariant:
 * len <= capacity, items[0..len) are non-NULL references the list owns, and
 * items is NULL exactly when capacity is 0.
 *
 * Who touches what: items, capacity and len change only under lock. len is
 * also stored with relaxed atomic stores so that cy_list_len can read it
 * without the lock (a length is stale the moment it is returned anyway).
 * The collector reads all three with the world stopped, without the lock,
 * or (the concurrent collector's marking) with the lock.
 * The synchronisation contract is in types.h: incref under the lock before
 * returning an item, decref only after unlocking.
 */
#include <stdlib.h>

#include "types.h"

typedef struct list_object {
	cy_object base;
	cy_oblock lock;
	size_t len;
	size_t capacity;
	cy_object **items;
} list_object;

_Static_assert(sizeof(list_object) == 64, "types.h documents a 64-byte list");

static list_object *as_list(cy_object *o)
{
	return o->ob_type == &cy_list_type ? (list_object *)o : NULL;
}

static int list_traverse(cy_object *self, cy_visit_fn visit, void *arg)
{
	list_object *l = (list_object *)self;
	for (size_t i = 0; i < l->len; i++) {
		int stop = visit(l->items[i], arg);
		if (stop)
			return stop;
	}
	return 0;
}

/* The concurrent collector's traverse: items may be reallocated meanwhile, so under the lock (list_clear takes it too). */
static int list_traverse_locked(cy_object *self, cy_visit_fn visit, void *arg)
{
	list_object *l = (list_object *)self;
	cy_oblock_lock(&l->lock);
	int stop = list_traverse(self, visit, arg);
	cy_oblock_unlock(&l->lock);
	return stop;
}

static void release_items(cy_object **items, size_t len)
{
	for (size_t i = 0; i < len; i++)
		cy_decref(items[i]);
	free(items);
}

static void list_clear(cy_object *self)
{
	list_object *l = (list_object *)self;
	cy_oblock_lock(&l->lock);
	cy_object **items = l->items;
	size_t len = l->len;
	l->items = NULL;
	l->capacity = 0;
	cy_atomic_store_relaxed(&l->len, (size_t)0);
	cy_oblock_unlock(&l->lock);
	release_items(items, len);
}

const cy_type cy_list_type = {
	.name = "list",
	.basic_size = sizeof(list_object),
	.flags = CY_TYPE_CONTAINER | CY_TYPE_WEAKREFABLE,
	.traverse = list_traverse,
	.traverse_concurrent = list_traverse_locked,
	.clear = list_clear,
};

cy_object *cy_list_new(void)
{
	return cy_object_new(&cy_list_type, 0);
}

/* Lock held: make room for one more item. 0 or CY_ERR_NOMEM. */
static int reserve_one(list_object *l)
{
	if (l->len < l->capacity)
		return 0;
	size_t capacity = l->capacity < 4 ? 4 : l->capacity + l->capacity / 2;
	if (capacity > SIZE_MAX / sizeof(cy_object *))
		return CY_ERR_NOMEM;
	cy_object **items = realloc(l->items, capacity * sizeof *items);
	if (!items)
		return CY_ERR_NOMEM;
	l->items = items;
	l->capacity = capacity;
	return 0;
}

int cy_list_append(cy_object *list, cy_object *item)
{
	list_object *l = as_list(list);
	if (!l)
		return CY_ERR_TYPE;
	cy_incref(item);
	cy_oblock_lock(&l->lock);
	int err = reserve_one(l);
	if (!err) {
		l->items[l->len] = item;
		cy_atomic_store_relaxed(&l->len, l->len + 1);
	}
	cy_oblock_unlock(&l->lock);
	if (err)
		cy_decref(item);
	return err;
}

cy_object *cy_list_get(cy_object *list, size_t i)
{
	list_object *l = as_list(list);
	if (!l)
		return NULL;
	cy_object *item = NULL;
	cy_oblock_lock(&l->lock);
	if (i < l->len) {
		item = l->items[i];
		cy_incref(item);
	}
	cy_oblock_unlock(&l->lock);
	return item;
}

int cy_list_set(cy_object *list, size_t i, cy_object *item)
{
	list_object *l = as_list(list);
	if (!l)
		return CY_ERR_TYPE;
	cy_incref(item);
	cy_object *old = item; /* out of range: the new reference is dropped instead */
	int err = CY_ERR_RANGE;
	cy_oblock_lock(&l->lock);
	if (i < l->len) {
		old = l->items[i];
		l->items[i] = item;
		err = 0;
	}
	cy_oblock_unlock(&l->lock);
	cy_decref(old);
	return err;
}

cy_object *cy_list_pop(cy_object *list)
{
	list_object *l = as_list(list);
	if (!l)
		return NULL;
	cy_object *item = NULL;
	cy_oblock_lock(&l->lock);
	if (l->len > 0) {
		item = l->items[l->len - 1];
		cy_atomic_store_relaxed(&l->len, l->len - 1);
	}
	cy_oblock_unlock(&l->lock);
	return item;
}

size_t cy_list_len(cy_object *list)
{
	list_object *l = as_list(list);
	return l ? cy_atomic_load_relaxed(&l->len) : 0;
}

void cy_list_clear(cy_object *list)
{
	if (as_list(list))
		list_clear(list);
}

size_t cy_list_sizeof(cy_object *list)
{
	list_object *l = as_list(list);
	if (!l)
		return 0;
	cy_oblock_lock(&l->lock);
	size_t capacity = l->capacity;
	cy_oblock_unlock(&l->lock);
	return cy_types_storage_size(list) + capacity * sizeof(cy_object *);
}
