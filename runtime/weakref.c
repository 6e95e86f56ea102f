/*
 * weakref.c: the striped table of weak references.
 *
 * Each stripe is a chained hash table from referent address to the weak
 * references that name it, linked through the weak references themselves
 * (next_in_bucket). A weak reference is in the table exactly while its
 * referent field is non-NULL; the field only ever goes from an object to
 * NULL, under the stripe's lock.
 */
#include "weakref.h"

#include <stdio.h>
#include <stdlib.h>

#include "hash.h"
#include "lock.h"
#include "refcount.h"

typedef struct weakref_obj {
	cy_object base;
	cy_object *referent; /* under the stripe lock; relaxed reads outside it */
	cy_weakref_callback callback;
	void *data;
	struct weakref_obj *next_in_bucket;
} weakref_obj;

#define STRIPES 256

typedef struct stripe {
	cy_mutex lock;
	weakref_obj **buckets;
	size_t nbuckets; /* a power of two, or 0 before first use */
	size_t count;
} stripe;

static stripe stripes[STRIPES];
static pthread_once_t stripes_once = PTHREAD_ONCE_INIT;

static void stripes_init(void)
{
	for (unsigned i = 0; i < STRIPES; i++)
		cy_mutex_init(&stripes[i].lock);
}

static stripe *stripe_of(const cy_object *referent)
{
	pthread_once(&stripes_once, stripes_init);
	return &stripes[cy_hash_pointer(referent) % STRIPES];
}

static weakref_obj **bucket_of(stripe *s, const cy_object *referent)
{
	return &s->buckets[(cy_hash_pointer(referent) / STRIPES) & (s->nbuckets - 1)];
}

/* Stripe lock held. Returns -1 without memory. */
static int stripe_grow(stripe *s)
{
	size_t n = s->nbuckets ? s->nbuckets * 2 : 16;
	weakref_obj **fresh = calloc(n, sizeof *fresh);
	if (!fresh)
		return -1;
	weakref_obj **old = s->buckets;
	size_t old_n = s->nbuckets;
	s->buckets = fresh;
	s->nbuckets = n;
	for (size_t i = 0; i < old_n; i++) {
		weakref_obj *w = old[i];
		while (w) {
			weakref_obj *next = w->next_in_bucket;
			weakref_obj **b = bucket_of(s, w->referent);
			w->next_in_bucket = *b;
			*b = w;
			w = next;
		}
	}
	free(old);
	return 0;
}

/* Stripe lock held: remove w from its bucket. */
static void stripe_unlink(stripe *s, weakref_obj *w)
{
	weakref_obj **p = bucket_of(s, w->referent);
	while (*p != w)
		p = &(*p)->next_in_bucket;
	*p = w->next_in_bucket;
	w->next_in_bucket = NULL;
	s->count--;
}

/* Take w out of the table without calling back (its referent pointer becomes NULL). */
static void weakref_detach_self(weakref_obj *w)
{
	/* Acquire pairs with the release in cy_weakref_detach: NULL means it is done with w. */
	cy_object *referent = cy_atomic_load_acquire(&w->referent);
	if (!referent)
		return;
	stripe *s = stripe_of(referent);
	cy_mutex_lock(&s->lock);
	if (w->referent) {
		stripe_unlink(s, w);
		cy_atomic_store_relaxed(&w->referent, NULL);
	}
	cy_mutex_unlock(&s->lock);
}

static void weakref_dealloc(cy_object *self)
{
	weakref_obj *w = (weakref_obj *)self;
	weakref_detach_self(w);
	cy_object_free(self);
}

/* A weak reference owns no strong references: nothing to visit. */
static int weakref_traverse(cy_object *self, cy_visit_fn visit, void *arg)
{
	(void)self;
	(void)visit;
	(void)arg;
	return 0;
}

/* The collector clears a weak reference that is garbage: it stops referring, silently. */
static void weakref_clear(cy_object *self) { weakref_detach_self((weakref_obj *)self); }

/*
 * Weak references are tracked although they own no strong reference, so
 * the collector can tell a weak reference that is garbage itself (it must
 * not call back) from one that is alive.
 */
const cy_type cy_weakref_type = {
	.name = "weakref",
	.basic_size = sizeof(weakref_obj),
	.flags = CY_TYPE_CONTAINER,
	.traverse = weakref_traverse,
	.clear = weakref_clear,
	.dealloc = weakref_dealloc,
};

cy_object *cy_weakref_new(cy_object *referent, cy_weakref_callback callback, void *data)
{
	weakref_obj *w = (weakref_obj *)cy_object_new(&cy_weakref_type, 0);
	if (!w)
		return NULL;
	w->callback = callback;
	w->data = data;
	/*
	 * The collector and a dying referent take references to weak
	 * references with cy_try_incref_any, which needs the WEAKREFS state to
	 * tell a dying object in biased mode: so the weak reference gets it too.
	 */
	cy_rc_mark_weakrefs(&w->base);
	cy_rc_mark_weakrefs(referent);
	cy_object_set_flags(referent, CY_OBJ_HAS_WEAKREFS);
	stripe *s = stripe_of(referent);
	cy_mutex_lock(&s->lock);
	if (s->count >= s->nbuckets * 2 && stripe_grow(s) != 0) {
		cy_mutex_unlock(&s->lock);
		cy_object_free(&w->base);
		return NULL;
	}
	cy_atomic_store_relaxed(&w->referent, referent);
	weakref_obj **b = bucket_of(s, referent);
	w->next_in_bucket = *b;
	*b = w;
	s->count++;
	cy_mutex_unlock(&s->lock);
	return &w->base;
}

cy_object *cy_weakref_get(cy_object *self)
{
	weakref_obj *w = (weakref_obj *)self;
	cy_object *referent = cy_atomic_load_relaxed(&w->referent);
	if (!referent)
		return NULL;
	stripe *s = stripe_of(referent);
	cy_mutex_lock(&s->lock);
	cy_object *result = NULL;
	if (w->referent == referent && cy_try_incref_any(referent))
		result = referent;
	cy_mutex_unlock(&s->lock);
	return result;
}

cy_object *cy_weakref_peek(cy_object *self)
{
	return cy_atomic_load_relaxed(&((weakref_obj *)self)->referent);
}

size_t cy_weakref_count(cy_object *o)
{
	stripe *s = stripe_of(o);
	size_t n = 0;
	cy_mutex_lock(&s->lock);
	if (s->nbuckets) {
		for (weakref_obj *w = *bucket_of(s, o); w; w = w->next_in_bucket)
			n += w->referent == o;
	}
	cy_mutex_unlock(&s->lock);
	return n;
}

size_t cy_weakref_detach(cy_object *o, void (*append)(void *out, cy_object *weakref), void *out)
{
	stripe *s = stripe_of(o);
	size_t detached = 0;
	cy_mutex_lock(&s->lock);
	if (s->nbuckets) {
		weakref_obj **p = bucket_of(s, o);
		while (*p) {
			weakref_obj *w = *p;
			if (w->referent != o) {
				p = &w->next_in_bucket;
				continue;
			}
			*p = w->next_in_bucket;
			w->next_in_bucket = NULL;
			s->count--;
			/*
			 * Take the reference for the callback before the referent reads
			 * as dead: whoever sees it dead may drop the weak reference at
			 * once. One that is dying already does not call back.
			 */
			if (w->callback && cy_try_incref_any(&w->base))
				append(out, &w->base);
			cy_atomic_store_release(&w->referent, NULL);
			detached++;
		}
	}
	cy_mutex_unlock(&s->lock);
	return detached;
}

void cy_weakref_call_back(cy_object *self)
{
	weakref_obj *w = (weakref_obj *)self;
	if (w->callback)
		w->callback(self, w->data);
}

typedef struct callback_list {
	cy_object *inline_items[8];
	cy_object **items;
	size_t len, cap;
} callback_list;

static void callback_list_append(void *out, cy_object *weakref)
{
	callback_list *l = out;
	if (l->len == l->cap) {
		size_t cap = l->cap * 2;
		cy_object **bigger = malloc(cap * sizeof *bigger);
		if (!bigger) {
			fprintf(stderr, "cyclab: out of memory collecting weak reference callbacks\n");
			abort();
		}
		for (size_t i = 0; i < l->len; i++)
			bigger[i] = l->items[i];
		if (l->items != l->inline_items)
			free(l->items);
		l->items = bigger;
		l->cap = cap;
	}
	l->items[l->len++] = weakref;
}

void cy_weakref_clear_referent(cy_object *o)
{
	callback_list l = {.len = 0, .cap = 8};
	l.items = l.inline_items;
	cy_weakref_detach(o, callback_list_append, &l);
	/* Callbacks run outside the stripe lock: they may create or drop weak references. */
	for (size_t i = 0; i < l.len; i++) {
		cy_weakref_call_back(l.items[i]);
		cy_decref_any(l.items[i]);
	}
	if (l.items != l.inline_items)
		free(l.items);
}
