/*
 * introspect.c: getsizeof, get_referents, get_referrers and get_objects
 * (introspect.h says what each answer means while other threads run).
 *
 * Everything that hands out objects finds them with the world stopped and
 * takes a reference to each as it is found, before the world resumes, so
 * no object can be freed between being found and being counted (increments
 * free nothing, so they are allowed there). When the array cannot grow, the
 * search goes on without adding, and the references already taken are
 * dropped after the world has resumed: a decrement may free, and freeing
 * runs finalizers, which must not run with the world stopped. The arrays
 * grow with realloc, safe with the world stopped: no mutator stops inside
 * the allocator.
 *
 * Compiled once per counting mode: the increments are the mode's inline
 * ones, and getsizeof reaches the mode's copies of the types.
 */
#include "introspect.h"

#include <stdlib.h>

#include "collector/gc.h"
#include "thread.h"
#include "types.h"

/* Found objects, each holding a reference taken as it was appended; failed: an append ran out of memory. */
typedef struct gathering {
	cy_object **items;
	size_t count;
	size_t capacity;
	int failed;
} gathering;

static void gather(gathering *g, cy_object *o)
{
	if (g->failed)
		return;
	if (g->count == g->capacity) {
		size_t capacity = g->capacity ? 2 * g->capacity : 16;
		cy_object **items = realloc(g->items, capacity * sizeof *items);
		if (!items) {
			g->failed = 1;
			return;
		}
		g->items = items;
		g->capacity = capacity;
	}
	cy_incref(o);
	g->items[g->count++] = o;
}

/* After the world has resumed: hand the objects over, or drop them if the search ran out of memory. */
static int finish(gathering *g, cy_object_array *out)
{
	*out = (cy_object_array){.count = g->count, .items = g->items};
	if (!g->failed)
		return 0;
	cy_object_array_release(out);
	return -1;
}

size_t cy_getsizeof(cy_object *o, int with_gc_head)
{
	const cy_type *t = cy_type_of(o);
	size_t size;
	if (t == &cy_list_type)
		size = cy_list_sizeof(o);
	else if (t == &cy_dict_type)
		size = cy_dict_sizeof(o);
	else if (t == &cy_instance_type)
		size = cy_instance_sizeof(o);
	else
		size = cy_types_storage_size(o);
	/* The cy_*_sizeof functions and cy_types_storage_size count the head of a container. */
	if (!with_gc_head && cy_gc_is_tracked_type(t))
		size -= sizeof(cy_gc_head);
	return size;
}

static int gather_visit(cy_object *referent, void *arg)
{
	gather(arg, referent);
	return 0;
}

int cy_get_referents(cy_object *o, cy_object_array *out)
{
	const cy_type *t = cy_type_of(o);
	gathering g = {0};
	if (!t->traverse) {
		*out = (cy_object_array){0};
		return 0;
	}
	cy_world_stop(NULL);
	t->traverse(o, gather_visit, &g);
	cy_world_resume();
	return finish(&g, out);
}

typedef struct referrer_search {
	const cy_object *target;
	gathering found;
} referrer_search;

/* Stops o's traversal at the first reference to the target: o is listed once. */
static int is_target(cy_object *referent, void *arg)
{
	return referent == ((const referrer_search *)arg)->target;
}

/*
 * A container may be in a list with a count of zero while its thread,
 * stopped at a safepoint inside a lock wait, is freeing it: such an object
 * is dead, and a reference taken to it would revive it under its freer.
 */
static int is_dying(const cy_object *o) { return cy_refcount(o) <= 0; }

static void consider_referrer(cy_object *o, void *arg)
{
	referrer_search *search = arg;
	if (is_dying(o))
		return;
	const cy_type *t = cy_type_of(o);
	if (t->traverse && t->traverse(o, is_target, search))
		gather(&search->found, o);
}

int cy_get_referrers(const cy_object *target, cy_object_array *out)
{
	referrer_search search = {.target = target};
	cy_gc_get_objects(-1, consider_referrer, &search);
	return finish(&search.found, out);
}

typedef struct type_filter {
	const cy_type *type;
	gathering found;
} type_filter;

static void consider_object(cy_object *o, void *arg)
{
	type_filter *filter = arg;
	if (is_dying(o))
		return;
	if (!filter->type || cy_type_of(o) == filter->type)
		gather(&filter->found, o);
}

int cy_get_objects(int gen, const cy_type *t, cy_object_array *out)
{
	*out = (cy_object_array){0};
	if (gen < -1 || gen >= CY_GC_GENERATIONS)
		return -1;
	type_filter filter = {.type = t};
	cy_gc_get_objects(gen, consider_object, &filter);
	return finish(&filter.found, out);
}

void cy_object_array_release(cy_object_array *array)
{
	for (size_t i = 0; i < array->count; i++)
		cy_decref(array->items[i]);
	free(array->items);
	*array = (cy_object_array){0};
}
