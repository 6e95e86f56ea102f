/*
 * dict.c: the dictionary, int64 or string keys to objects.
 *
 * An open-addressing hash table with linear probing over 32-byte entries,
 * each holding its key's hash, the value, and the key: an int64, a string
 * of up to 8 bytes stored inline, or a malloc'd copy of a longer string
 * (attribute names usually fit inline, so an instance's dict makes no
 * allocation per key). Int keys are mixed with splitmix64's finaliser,
 * strings hashed with FNV-1a; the int 5 and the string "5" are different
 * keys. Deleting leaves a tombstone (SLOT_DELETED) so that probe sequences
 * stay unbroken; a resize, sized by the live entries, drops them.
 *
 * Invariants, with capacity = 1 << log2_capacity when entries != NULL:
 *   used = live entries, filled = used + tombstones,
 *   filled * 3 <= capacity * 2 (so a probe always reaches an empty slot),
 *   a live entry is reachable by probing from hash & (capacity - 1)
 *   without crossing an empty slot, and entries == NULL iff filled == 0
 *   and capacity is 0.
 *
 * Who touches what: everything changes only under lock; used is also
 * stored with relaxed atomic stores so cy_dict_len reads it without the
 * lock. The collector traverses with the world stopped, without the lock,
 * or (the concurrent collector's marking) with the lock.
 * The synchronisation contract is in types.h.
 */
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "types.h"

enum slot_tag {
	SLOT_EMPTY = 0, /* calloc gives an empty table */
	SLOT_DELETED,
	KEY_INT,
	KEY_STR,
};

enum { INLINE_KEY_MAX = 8, MIN_CAPACITY_LOG2 = 3 };

typedef struct dict_entry {
	uint64_t hash;
	cy_object *value; /* owned; NULL unless the tag is KEY_INT or KEY_STR */
	uint32_t tag;
	uint32_t len; /* bytes of a string key */
	union {
		int64_t integer;
		char inline_str[INLINE_KEY_MAX]; /* len <= INLINE_KEY_MAX */
		char *heap_str;                  /* len > INLINE_KEY_MAX: owned copy */
	} key;
} dict_entry;

typedef struct dict_object {
	cy_object base;
	cy_oblock lock;
	uint32_t log2_capacity;
	size_t used;
	size_t filled;
	dict_entry *entries;
} dict_object;

_Static_assert(sizeof(dict_entry) == 32, "types.h documents 32-byte dict entries");
_Static_assert(sizeof(dict_object) == 64, "types.h documents a 64-byte dict");

/* A key being looked up: not yet owned by any table. */
typedef struct dict_key {
	uint64_t hash;
	uint32_t tag;
	uint32_t len;
	int64_t integer;
	const char *str;
} dict_key;

static dict_object *as_dict(cy_object *o)
{
	return o->ob_type == &cy_dict_type ? (dict_object *)o : NULL;
}

/* ---- keys ----------------------------------------------------------------- */


static uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return cy_hash_mix64(h);
}

static dict_key int_key(int64_t integer)
{
	return (dict_key){.hash = cy_hash_mix64((uint64_t)integer), .tag = KEY_INT, .integer = integer};
}

/* 0, or CY_ERR_TOOBIG for a key too long for an entry's 32-bit length. */
static int str_key(const char *s, size_t len, dict_key *out)
{
	if (len > CY_KEY_MAX_LEN)
		return CY_ERR_TOOBIG;
	*out = (dict_key){.hash = hash_bytes(s, len), .tag = KEY_STR, .len = (uint32_t)len, .str = s};
	return 0;
}

static const char *entry_str(const dict_entry *e)
{
	return e->len <= INLINE_KEY_MAX ? e->key.inline_str : e->key.heap_str;
}

static int key_matches(const dict_entry *e, const dict_key *k)
{
	if (e->hash != k->hash || e->tag != k->tag)
		return 0;
	if (k->tag == KEY_INT)
		return e->key.integer == k->integer;
	return e->len == k->len && (k->len == 0 || memcmp(entry_str(e), k->str, k->len) == 0);
}

/* A string key's heap copy, made before locking; NULL for keys stored inline. */
static int copy_long_key(const dict_key *k, char **copy)
{
	*copy = NULL;
	if (k->tag != KEY_STR || k->len <= INLINE_KEY_MAX)
		return 0;
	*copy = malloc(k->len);
	if (!*copy)
		return CY_ERR_NOMEM;
	memcpy(*copy, k->str, k->len);
	return 0;
}

/* Store k in an unused entry; a long key's copy moves into the entry. */
static void entry_store_key(dict_entry *e, const dict_key *k, char *long_copy)
{
	e->hash = k->hash;
	e->tag = k->tag;
	e->len = k->len;
	if (k->tag == KEY_INT)
		e->key.integer = k->integer;
	else if (k->len > INLINE_KEY_MAX)
		e->key.heap_str = long_copy;
	else if (k->len > 0)
		memcpy(e->key.inline_str, k->str, k->len);
}

/* The heap storage of a live entry's key, if any. */
static char *entry_heap_key(const dict_entry *e)
{
	return e->tag == KEY_STR && e->len > INLINE_KEY_MAX ? e->key.heap_str : NULL;
}

/* ---- the table -------------------------------------------------------------- */

static size_t capacity_of(const dict_object *d)
{
	return d->entries ? (size_t)1 << d->log2_capacity : 0;
}

/*
 * Lock held, entries != NULL: the index of k's entry (*found = 1), or of
 * the slot an insertion of k should use (the first tombstone on its probe
 * path, else the empty slot that ends it).
 */
static size_t probe(const dict_object *d, const dict_key *k, int *found)
{
	size_t mask = capacity_of(d) - 1;
	size_t i = k->hash & mask, insert_at = SIZE_MAX;
	for (;; i = (i + 1) & mask) {
		const dict_entry *e = &d->entries[i];
		if (e->tag == SLOT_EMPTY)
			break;
		if (e->tag == SLOT_DELETED) {
			if (insert_at == SIZE_MAX)
				insert_at = i;
		} else if (key_matches(e, k)) {
			*found = 1;
			return i;
		}
	}
	*found = 0;
	return insert_at != SIZE_MAX ? insert_at : i;
}

/* Lock held: the live entry for k, or NULL. */
static dict_entry *lookup(const dict_object *d, const dict_key *k)
{
	if (!d->entries)
		return NULL;
	int found;
	size_t i = probe(d, k, &found);
	return found ? &d->entries[i] : NULL;
}

/* Lock held: rehash the live entries into a table with room for `needed`. */
static int resize(dict_object *d, size_t needed)
{
	uint32_t log2 = MIN_CAPACITY_LOG2;
	while (((size_t)1 << log2) * 2 < needed * 3) {
		if (log2 >= 58)
			return CY_ERR_NOMEM;
		log2++;
	}
	dict_entry *fresh = calloc((size_t)1 << log2, sizeof *fresh);
	if (!fresh)
		return CY_ERR_NOMEM;
	dict_entry *old = d->entries;
	size_t old_capacity = capacity_of(d);
	d->entries = fresh;
	d->log2_capacity = log2;
	d->filled = d->used;
	size_t mask = ((size_t)1 << log2) - 1;
	for (size_t i = 0; i < old_capacity; i++) {
		if (old[i].tag != KEY_INT && old[i].tag != KEY_STR)
			continue;
		size_t j = old[i].hash & mask;
		while (fresh[j].tag != SLOT_EMPTY)
			j = (j + 1) & mask;
		fresh[j] = old[i];
	}
	free(old);
	return 0;
}

/* Lock held, k absent: make sure inserting it keeps the load at most 2/3. */
static int reserve_one(dict_object *d)
{
	if ((d->filled + 1) * 3 <= capacity_of(d) * 2)
		return 0;
	return resize(d, d->used + 1);
}

/* Release what a table owned, outside the lock. */
static void release_entries(dict_entry *entries, size_t capacity)
{
	for (size_t i = 0; i < capacity; i++) {
		if (entries[i].tag != KEY_INT && entries[i].tag != KEY_STR)
			continue;
		free(entry_heap_key(&entries[i]));
		cy_decref(entries[i].value);
	}
	free(entries);
}

/* ---- the type --------------------------------------------------------------- */

static int dict_traverse(cy_object *self, cy_visit_fn visit, void *arg)
{
	dict_object *d = (dict_object *)self;
	size_t capacity = capacity_of(d);
	for (size_t i = 0; i < capacity; i++) {
		if (d->entries[i].value) {
			int stop = visit(d->entries[i].value, arg);
			if (stop)
				return stop;
		}
	}
	return 0;
}

/* The concurrent collector's traverse: the table may be replaced meanwhile, so under the lock (dict_clear takes it too). */
static int dict_traverse_locked(cy_object *self, cy_visit_fn visit, void *arg)
{
	dict_object *d = (dict_object *)self;
	cy_oblock_lock(&d->lock);
	int stop = dict_traverse(self, visit, arg);
	cy_oblock_unlock(&d->lock);
	return stop;
}

static void dict_clear(cy_object *self)
{
	dict_object *d = (dict_object *)self;
	cy_oblock_lock(&d->lock);
	dict_entry *entries = d->entries;
	size_t capacity = capacity_of(d);
	d->entries = NULL;
	d->log2_capacity = 0;
	d->filled = 0;
	cy_atomic_store_relaxed(&d->used, (size_t)0);
	cy_oblock_unlock(&d->lock);
	release_entries(entries, capacity);
}

const cy_type cy_dict_type = {
	.name = "dict",
	.basic_size = sizeof(dict_object),
	.flags = CY_TYPE_CONTAINER | CY_TYPE_WEAKREFABLE,
	.traverse = dict_traverse,
	.traverse_concurrent = dict_traverse_locked,
	.clear = dict_clear,
};

cy_object *cy_dict_new(void)
{
	return cy_object_new(&cy_dict_type, 0);
}

/* ---- operations, shared by int and string keys -------------------------------- */

static int dict_set(dict_object *d, const dict_key *k, cy_object *value)
{
	char *long_copy;
	if (copy_long_key(k, &long_copy) != 0)
		return CY_ERR_NOMEM;
	cy_incref(value);
	cy_object *old = NULL;
	int err = 0;
	cy_oblock_lock(&d->lock);
	dict_entry *e = lookup(d, k);
	if (e) {
		old = e->value;
		e->value = value;
	} else if ((err = reserve_one(d)) == 0) {
		int found;
		e = &d->entries[probe(d, k, &found)];
		d->filled += e->tag == SLOT_EMPTY;
		entry_store_key(e, k, long_copy);
		e->value = value;
		long_copy = NULL;
		cy_atomic_store_relaxed(&d->used, d->used + 1);
	}
	cy_oblock_unlock(&d->lock);
	free(long_copy);
	cy_xdecref(old);
	if (err)
		cy_decref(value);
	return err;
}

static cy_object *dict_get(dict_object *d, const dict_key *k)
{
	cy_object *value = NULL;
	cy_oblock_lock(&d->lock);
	dict_entry *e = lookup(d, k);
	if (e) {
		value = e->value;
		cy_incref(value);
	}
	cy_oblock_unlock(&d->lock);
	return value;
}

static int dict_del(dict_object *d, const dict_key *k)
{
	cy_object *value = NULL;
	char *heap_key = NULL;
	cy_oblock_lock(&d->lock);
	dict_entry *e = lookup(d, k);
	if (e) {
		value = e->value;
		heap_key = entry_heap_key(e);
		*e = (dict_entry){.tag = SLOT_DELETED};
		cy_atomic_store_relaxed(&d->used, d->used - 1);
	}
	cy_oblock_unlock(&d->lock);
	if (!value)
		return CY_ERR_NOKEY;
	free(heap_key);
	cy_decref(value);
	return 0;
}

/* ---- the public functions ----------------------------------------------------- */

int cy_dict_set_int(cy_object *dict, int64_t key, cy_object *value)
{
	dict_object *d = as_dict(dict);
	dict_key k = int_key(key);
	return d ? dict_set(d, &k, value) : CY_ERR_TYPE;
}

cy_object *cy_dict_get_int(cy_object *dict, int64_t key)
{
	dict_object *d = as_dict(dict);
	dict_key k = int_key(key);
	return d ? dict_get(d, &k) : NULL;
}

int cy_dict_del_int(cy_object *dict, int64_t key)
{
	dict_object *d = as_dict(dict);
	dict_key k = int_key(key);
	return d ? dict_del(d, &k) : CY_ERR_TYPE;
}

int cy_dict_set_str(cy_object *dict, const char *key, size_t len, cy_object *value)
{
	dict_object *d = as_dict(dict);
	if (!d)
		return CY_ERR_TYPE;
	dict_key k;
	int err = str_key(key, len, &k);
	return err ? err : dict_set(d, &k, value);
}

cy_object *cy_dict_get_str(cy_object *dict, const char *key, size_t len)
{
	dict_object *d = as_dict(dict);
	dict_key k;
	if (!d || str_key(key, len, &k) != 0)
		return NULL;
	return dict_get(d, &k);
}

int cy_dict_del_str(cy_object *dict, const char *key, size_t len)
{
	dict_object *d = as_dict(dict);
	if (!d)
		return CY_ERR_TYPE;
	dict_key k;
	if (str_key(key, len, &k) != 0)
		return CY_ERR_NOKEY;
	return dict_del(d, &k);
}

size_t cy_dict_len(cy_object *dict)
{
	dict_object *d = as_dict(dict);
	return d ? cy_atomic_load_relaxed(&d->used) : 0;
}

/* Lock held: bytes of string keys, counting inline ones too when `all`. */
static size_t key_bytes(const dict_object *d, int all)
{
	size_t total = 0, capacity = capacity_of(d);
	for (size_t i = 0; i < capacity; i++) {
		const dict_entry *e = &d->entries[i];
		if (e->tag == KEY_STR && (all || e->len > INLINE_KEY_MAX))
			total += e->len;
	}
	return total;
}

size_t cy_dict_sizeof(cy_object *dict)
{
	dict_object *d = as_dict(dict);
	if (!d)
		return 0;
	cy_oblock_lock(&d->lock);
	size_t bytes = cy_types_storage_size(dict) + capacity_of(d) * sizeof(dict_entry) + key_bytes(d, 0);
	cy_oblock_unlock(&d->lock);
	return bytes;
}

/* Lock held: copy the live entries into block (items, then key bytes), taking references. */
static void snapshot_into(const dict_object *d, cy_dict_item *items, char *key_area)
{
	size_t n = 0, capacity = capacity_of(d);
	for (size_t i = 0; i < capacity; i++) {
		const dict_entry *e = &d->entries[i];
		if (!e->value)
			continue;
		cy_dict_item *item = &items[n++];
		*item = (cy_dict_item){.value = e->value};
		cy_incref(e->value);
		if (e->tag == KEY_INT) {
			item->int_key = e->key.integer;
			continue;
		}
		if (e->len > 0)
			memcpy(key_area, entry_str(e), e->len);
		item->str = key_area;
		item->str_len = e->len;
		key_area += e->len;
	}
}

int cy_dict_items(cy_object *dict, cy_dict_snapshot *out)
{
	*out = (cy_dict_snapshot){0};
	dict_object *d = as_dict(dict);
	if (!d)
		return CY_ERR_TYPE;
	/* One block allocated under the lock: the sizes must not change between measuring and copying. */
	cy_oblock_lock(&d->lock);
	size_t count = d->used;
	cy_dict_item *block = NULL;
	if (count > 0) {
		block = malloc(count * sizeof *block + key_bytes(d, 1));
		if (block)
			snapshot_into(d, block, (char *)(block + count));
	}
	cy_oblock_unlock(&d->lock);
	if (count > 0 && !block)
		return CY_ERR_NOMEM;
	*out = (cy_dict_snapshot){.count = count, .items = block};
	return 0;
}

void cy_dict_snapshot_release(cy_dict_snapshot *items)
{
	for (size_t i = 0; i < items->count; i++)
		cy_decref(items->items[i].value);
	free(items->items);
	*items = (cy_dict_snapshot){0};
}
