/*
 * weakdict.c: the weak-value dictionary, int64 key to a weak reference to
 * a value (Python's WeakValueDictionary).
 *
 * Each entry is a malloc'd node in a chained hash table, holding one
 * reference to a weak reference whose callback removes the entry when the
 * value dies. The difficulty is lifetime: a callback can come at any time
 * while its weak reference lives, and in the biased mode a weak reference
 * whose last reference was dropped by a non-owner stays alive (queued to
 * its owner) until a merge, so a dying value can still revive it and call
 * back after the weakdict has dropped the entry, or died. (CPython's
 * callback holds a weak reference to the dict for a similar reason.) So
 * nothing here depends on when a weak reference dies:
 *
 *  - A registry, striped by weak reference address, maps each live entry's
 *    weak reference to the entry. Whoever takes the entry out of the
 *    registry (registry_claim) owns it and retires it: frees it, dropping
 *    its weak reference and its count on the table. Exactly one claim
 *    succeeds: the callback's, or the remover's (set replacing a key, del,
 *    clear). A callback that finds nothing returns; it never reads the
 *    entry, and its own weak reference, alive during the call, keys the
 *    lookup, so the address cannot belong to another entry meanwhile.
 *  - A remover unlinks the entry from the table under the table lock and
 *    takes a reference to its weak reference there, so that the address it
 *    then claims cannot be reused before the claim.
 *  - The table lives outside the object, counted by refs: one for the
 *    weakdict object, one for each entry not yet retired; a callback can
 *    therefore retire an entry after the object is gone.
 *
 * A table lock and a registry stripe lock are never held together, and no
 * decrement happens under either.
 *
 * Who touches what: buckets, nbuckets, count and each entry's next and
 * in_table change only under the table lock (count also by relaxed store,
 * for cy_weakdict_len); registry_next only under its stripe lock; key,
 * table and weakref are fixed once the entry is published; refs is atomic.
 * The collector traverses with the world stopped.
 */
#include <stdlib.h>

#include "hash.h"
#include "types.h"
#include "weakref.h"

typedef struct weakdict_table weakdict_table;

typedef struct weakdict_entry {
	weakdict_table *table;
	struct weakdict_entry *next;          /* table bucket chain */
	struct weakdict_entry *registry_next; /* registry bucket chain */
	cy_object *weakref;                   /* the entry's reference, until it is retired */
	int64_t key;
	int in_table;
} weakdict_entry;

struct weakdict_table {
	cy_oblock lock;
	size_t refs;
	size_t count;
	size_t nbuckets; /* a power of two, or 0 before the first set */
	weakdict_entry **buckets;
};

typedef struct weakdict_object {
	cy_object base;
	weakdict_table *table;
} weakdict_object;

static weakdict_object *as_weakdict(cy_object *o)
{
	return o->ob_type == &cy_weakdict_type ? (weakdict_object *)o : NULL;
}


/* ---- the registry: weak reference -> entry, for callbacks -------------------- */

enum { REGISTRY_STRIPES = 64 };

typedef struct registry_stripe {
	cy_oblock lock;
	size_t count;
	size_t nbuckets; /* a power of two, or 0 before first use */
	weakdict_entry **buckets;
} registry_stripe;

/* Static, so zeroed and unlocked; bucket arrays live as long as the process. */
static registry_stripe registry[REGISTRY_STRIPES];

static registry_stripe *stripe_of(const cy_object *weakref)
{
	return &registry[cy_hash_mix64((uintptr_t)weakref) % REGISTRY_STRIPES];
}

static weakdict_entry **registry_bucket(const registry_stripe *s, const cy_object *weakref)
{
	return &s->buckets[(cy_hash_mix64((uintptr_t)weakref) / REGISTRY_STRIPES) & (s->nbuckets - 1)];
}

/* Stripe lock held: double the buckets. */
static int registry_grow(registry_stripe *s)
{
	size_t n = s->nbuckets ? s->nbuckets * 2 : 16;
	weakdict_entry **fresh = calloc(n, sizeof *fresh);
	if (!fresh)
		return CY_ERR_NOMEM;
	weakdict_entry **old = s->buckets;
	size_t old_n = s->nbuckets;
	s->buckets = fresh;
	s->nbuckets = n;
	for (size_t i = 0; i < old_n; i++) {
		while (old[i]) {
			weakdict_entry *e = old[i];
			old[i] = e->registry_next;
			weakdict_entry **b = registry_bucket(s, e->weakref);
			e->registry_next = *b;
			*b = e;
		}
	}
	free(old);
	return 0;
}

static int registry_add(weakdict_entry *e)
{
	registry_stripe *s = stripe_of(e->weakref);
	cy_oblock_lock(&s->lock);
	int err = s->count >= s->nbuckets * 2 ? registry_grow(s) : 0;
	if (!err) {
		weakdict_entry **b = registry_bucket(s, e->weakref);
		e->registry_next = *b;
		*b = e;
		s->count++;
	}
	cy_oblock_unlock(&s->lock);
	return err;
}

/* Take weakref's entry out of the registry: the caller now owns it. NULL if claimed already. */
static weakdict_entry *registry_claim(const cy_object *weakref)
{
	registry_stripe *s = stripe_of(weakref);
	weakdict_entry *e = NULL;
	cy_oblock_lock(&s->lock);
	if (s->nbuckets) {
		weakdict_entry **p = registry_bucket(s, weakref);
		while (*p && (*p)->weakref != weakref)
			p = &(*p)->registry_next;
		e = *p;
		if (e) {
			*p = e->registry_next;
			s->count--;
		}
	}
	cy_oblock_unlock(&s->lock);
	return e;
}

/* ---- table and entries ------------------------------------------------------ */

static size_t bucket_index(const weakdict_table *t, int64_t key)
{
	return (size_t)cy_hash_mix64((uint64_t)key) & (t->nbuckets - 1);
}

static void table_release(weakdict_table *t)
{
	/* acq_rel: the last release sees every other holder's writes before freeing. */
	if (cy_atomic_fetch_sub_acq_rel(&t->refs, (size_t)1) != 1)
		return;
	free(t->buckets);
	free(t);
}

static weakdict_entry *entry_new(weakdict_table *t, int64_t key)
{
	weakdict_entry *e = malloc(sizeof *e);
	if (!e)
		return NULL;
	*e = (weakdict_entry){.table = t, .key = key};
	cy_atomic_fetch_add_relaxed(&t->refs, (size_t)1);
	return e;
}

/* Free an entry we own (claimed, or never published), with the reference it holds. */
static void entry_retire(weakdict_entry *e)
{
	weakdict_table *t = e->table;
	cy_xdecref(e->weakref);
	free(e);
	table_release(t);
}

/* Lock held: the entry for key, or NULL. */
static weakdict_entry *table_find(const weakdict_table *t, int64_t key)
{
	if (!t->nbuckets)
		return NULL;
	weakdict_entry *e = t->buckets[bucket_index(t, key)];
	while (e && e->key != key)
		e = e->next;
	return e;
}

/* Lock held: take a linked entry out of the table. */
static void table_unlink(weakdict_table *t, weakdict_entry *e)
{
	weakdict_entry **p = &t->buckets[bucket_index(t, e->key)];
	while (*p != e)
		p = &(*p)->next;
	*p = e->next;
	e->next = NULL;
	e->in_table = 0;
	cy_atomic_store_relaxed(&t->count, t->count - 1);
}

/* Lock held: double the buckets when the chains average two entries. */
static int table_reserve(weakdict_table *t)
{
	if (t->count < t->nbuckets * 2)
		return 0;
	size_t n = t->nbuckets ? t->nbuckets * 2 : 8;
	weakdict_entry **fresh = calloc(n, sizeof *fresh);
	if (!fresh)
		return CY_ERR_NOMEM;
	weakdict_entry **old = t->buckets;
	size_t old_n = t->nbuckets;
	t->buckets = fresh;
	t->nbuckets = n;
	for (size_t i = 0; i < old_n; i++) {
		while (old[i]) {
			weakdict_entry *e = old[i];
			old[i] = e->next;
			weakdict_entry **b = &fresh[bucket_index(t, e->key)];
			e->next = *b;
			*b = e;
		}
	}
	free(old);
	return 0;
}

/* Lock held, space reserved: link e. */
static void table_link(weakdict_table *t, weakdict_entry *e)
{
	weakdict_entry **b = &t->buckets[bucket_index(t, e->key)];
	e->next = *b;
	*b = e;
	e->in_table = 1;
	cy_atomic_store_relaxed(&t->count, t->count + 1);
}

/* Lock held: unlink e, returning a new reference to its weak reference for entry_removed. */
static cy_object *table_take(weakdict_table *t, weakdict_entry *e)
{
	table_unlink(t, e);
	cy_incref(e->weakref);
	return e->weakref;
}

/* Lock released: retire the entry we took, unless its callback claimed it first. */
static void entry_removed(cy_object *weakref)
{
	weakdict_entry *e = registry_claim(weakref);
	if (e)
		entry_retire(e);
	cy_decref(weakref);
}

/* The weak reference callback: the value has died. */
static void entry_died(cy_object *weakref, void *unused)
{
	(void)unused;
	weakdict_entry *e = registry_claim(weakref);
	if (!e)
		return; /* a remover owns it */
	weakdict_table *t = e->table;
	cy_oblock_lock(&t->lock);
	if (e->in_table)
		table_unlink(t, e);
	cy_oblock_unlock(&t->lock);
	entry_retire(e); /* our caller still holds a reference to the weak reference */
}

/* ---- the type --------------------------------------------------------------- */

static int weakdict_traverse(cy_object *self, cy_visit_fn visit, void *arg)
{
	weakdict_table *t = ((weakdict_object *)self)->table;
	for (size_t i = 0; i < t->nbuckets; i++) {
		for (weakdict_entry *e = t->buckets[i]; e; e = e->next) {
			int stop = visit(e->weakref, arg);
			if (stop)
				return stop;
		}
	}
	return 0;
}

/* Take some entry out of the table (see table_take); NULL when empty. */
static cy_object *take_any(weakdict_table *t, size_t *cursor)
{
	cy_object *weakref = NULL;
	cy_oblock_lock(&t->lock);
	while (*cursor < t->nbuckets && !t->buckets[*cursor])
		++*cursor;
	if (*cursor < t->nbuckets)
		weakref = table_take(t, t->buckets[*cursor]);
	cy_oblock_unlock(&t->lock);
	return weakref;
}

/* One entry per lock hold: entry_removed must run with the lock released. */
static void weakdict_clear(cy_object *self)
{
	weakdict_table *t = ((weakdict_object *)self)->table;
	size_t cursor = 0;
	cy_object *weakref;
	while ((weakref = take_any(t, &cursor)) != NULL)
		entry_removed(weakref);
}

static void weakdict_dealloc(cy_object *self)
{
	weakdict_clear(self);
	table_release(((weakdict_object *)self)->table);
	cy_object_free(self);
}

const cy_type cy_weakdict_type = {
	.name = "weakdict",
	.basic_size = sizeof(weakdict_object),
	.flags = CY_TYPE_CONTAINER,
	.traverse = weakdict_traverse,
	.clear = weakdict_clear,
	.dealloc = weakdict_dealloc,
};

cy_object *cy_weakdict_new(void)
{
	weakdict_table *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->refs = 1;
	cy_object *self = cy_object_new(&cy_weakdict_type, 0);
	if (!self) {
		free(t);
		return NULL;
	}
	((weakdict_object *)self)->table = t;
	return self;
}

/* ---- operations --------------------------------------------------------------- */

/* A registered entry for key with a weak reference to value, not yet in the table. */
static weakdict_entry *entry_publish(weakdict_table *t, int64_t key, cy_object *value)
{
	weakdict_entry *e = entry_new(t, key);
	if (!e)
		return NULL;
	e->weakref = cy_weakref_new(value, entry_died, NULL);
	/*
	 * A dying value's detach takes its weak references with
	 * cy_try_incref_any, which in the biased mode tells a dead object only
	 * in the WEAKREFS state: without it, a weak reference that its owner is
	 * freeing could be revived and call back.
	 */
	if (e->weakref)
		cy_rc_mark_weakrefs(e->weakref);
	/* The caller's reference keeps value alive, so no callback can come before this. */
	if (!e->weakref || registry_add(e) != 0) {
		entry_retire(e);
		return NULL;
	}
	return e;
}

int cy_weakdict_set(cy_object *weakdict, int64_t key, cy_object *value)
{
	weakdict_object *d = as_weakdict(weakdict);
	if (!d)
		return CY_ERR_TYPE;
	weakdict_table *t = d->table;
	weakdict_entry *e = entry_publish(t, key, value);
	if (!e)
		return CY_ERR_NOMEM;
	cy_object *removed = NULL;
	cy_oblock_lock(&t->lock);
	int err = table_reserve(t);
	if (err) {
		cy_incref(e->weakref); /* unpublish it like any removed entry */
		removed = e->weakref;
	} else {
		weakdict_entry *old = table_find(t, key);
		if (old)
			removed = table_take(t, old);
		table_link(t, e);
	}
	cy_oblock_unlock(&t->lock);
	if (removed)
		entry_removed(removed);
	return err;
}

cy_object *cy_weakdict_get(cy_object *weakdict, int64_t key)
{
	weakdict_object *d = as_weakdict(weakdict);
	if (!d)
		return NULL;
	weakdict_table *t = d->table;
	cy_oblock_lock(&t->lock);
	weakdict_entry *e = table_find(t, key);
	cy_object *weakref = e ? e->weakref : NULL;
	cy_xincref(weakref);
	cy_oblock_unlock(&t->lock);
	if (!weakref)
		return NULL;
	cy_object *value = cy_weakref_get(weakref);
	cy_decref(weakref);
	return value;
}

int cy_weakdict_del(cy_object *weakdict, int64_t key)
{
	weakdict_object *d = as_weakdict(weakdict);
	if (!d)
		return CY_ERR_TYPE;
	weakdict_table *t = d->table;
	cy_oblock_lock(&t->lock);
	weakdict_entry *e = table_find(t, key);
	cy_object *removed = e ? table_take(t, e) : NULL;
	cy_oblock_unlock(&t->lock);
	if (!removed)
		return CY_ERR_NOKEY;
	entry_removed(removed);
	return 0;
}

size_t cy_weakdict_len(cy_object *weakdict)
{
	weakdict_object *d = as_weakdict(weakdict);
	return d ? cy_atomic_load_relaxed(&d->table->count) : 0;
}
