/*
 * types.h: cyclab's built-in object types, the objects workloads are made of.
 *
 *   tuple     fixed size, items set while it is being built, then read only
 *   list      growable array of objects
 *   dict      int64 or string keys (bytes copied in) to objects; open addressing
 *   instance  attributes in a dict of its own (a Python object with __dict__)
 *   slotted   a fixed number of object fields chosen at creation (__slots__)
 *   int       boxed int64, immutable
 *   float     boxed double, immutable
 *   bytes     any number of bytes, stored inline
 *   weakdict  int64 key to a weak reference to a value; an entry disappears
 *             when its value dies (WeakValueDictionary)
 *
 * Every type that owns references is a container (CY_TYPE_CONTAINER) with
 * traverse and clear; int, float and bytes own none. Each module is compiled
 * once per reference-counting mode (variant.h): the functions and the type
 * descriptors below are renamed with CY_SYM, so a caller compiled for a mode
 * reaches that mode's copy, and the increments and decrements inside are the
 * mode's inline fast paths. Including this header requires CY_RC_VARIANT.
 *
 * References. A function that stores an object takes a reference of its own
 * (the caller keeps its reference); a function that returns an object returns
 * a new reference, which the caller releases with cy_decref. No function
 * aborts on exhausted memory: it returns CY_ERR_NOMEM (or NULL) and leaves
 * the container as it was. A function given an object of the wrong type
 * returns CY_ERR_TYPE (or NULL). Storage that is not an object (a list's item
 * array, a dict's table, long key copies) comes from malloc and is not in
 * cy_bytes_live(); the cy_*_sizeof functions count it, as sys.getsizeof does.
 *
 * Synchronisation. Lists, dicts, slotted objects and weak-value dicts are
 * safe to read and mutate from several threads at once; each has a 4-byte
 * cy_oblock (lock.h), held for a few instructions and never across a call
 * that could run arbitrary code. The contract, which keeps a value alive
 * without making any read lock-free:
 *
 *  - A read (get, pop, snapshot) takes the lock, increments the count of
 *    what it returns, and only then unlocks: a concurrent writer may drop
 *    the container's reference at any moment after the unlock, but the
 *    reader's own reference keeps the value alive.
 *  - A write (set, append, del) increments the new value before locking,
 *    swaps the pointer under the lock, and decrements the old value after
 *    unlocking. A decrement may free the value, and freeing runs
 *    finalizers and weak reference callbacks, which may take other locks
 *    (or this one): so no decrement ever happens with a lock held.
 *  - clear (the collector's, or cy_list_clear) takes the whole contents out
 *    under the lock, leaving the container empty and valid, and releases
 *    them after unlocking. dealloc is clear and then free: the object is
 *    unreachable, so nobody else can be waiting on its lock.
 *  - The collector traverses with the world stopped and without locks: no
 *    mutator holds a container lock at a safepoint (lock.h's rule), so every
 *    container is between operations and its fields are consistent.
 *
 * Tuples, ints, floats and bytes need no lock: their references and values
 * do not change once the object is shared (a tuple is filled with
 * cy_tuple_init_item before any other thread sees it; a bytes object's data
 * likewise). An instance has no lock of its own: its dict pointer is set at
 * creation and dropped only by clear or dealloc, when it is unreachable, and
 * its attributes are guarded by the dict's lock.
 *
 * A weak-value dict's entries are also removed by callbacks, on whichever
 * thread a value dies; weakdict.c explains how an entry is retired exactly
 * once however the callback and a removal interleave.
 *
 * Sizes on x86-64, header included (bytes): int 40, float 40, bytes 40 + n,
 * tuple 40 + 8n, list 64 (+ 8 per allocated item), dict 64 (+ 32 per table
 * slot, at least 8 slots, plus the copy of each string key over 8 bytes),
 * instance 40 plus its dict, slotted 48 + 8n, weakdict 40 (+ its table,
 * and per entry 48 bytes and a weak reference). Containers also carry the
 * collector's 24-byte GC head in front of the header (gc_track.h), which
 * cy_bytes_live() and the cy_*_sizeof functions count. test_types.c
 * measures an instance against a slotted object with the same fields.
 */
#ifndef CY_TYPES_H
#define CY_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "gc_track.h"
#include "lock.h"
#include "object.h"
#include "variant.h"

/* Results of the operations that can fail; 0 is success. */
enum cy_types_error {
	CY_TYPES_OK = 0,
	CY_ERR_NOMEM = -1,  /* memory exhausted: nothing was changed */
	CY_ERR_NOKEY = -2,  /* no such key or attribute */
	CY_ERR_RANGE = -3,  /* index out of range */
	CY_ERR_TYPE = -4,   /* the object is not of the type the function works on */
	CY_ERR_TOOBIG = -5, /* a string key longer than CY_KEY_MAX_LEN */
};

/* Longest string key a dict accepts. */
#define CY_KEY_MAX_LEN ((size_t)UINT32_MAX)

/* Bytes of o's storage block: the object, and the GC head in front of a container. */
static inline size_t cy_types_storage_size(const cy_object *o)
{
	return cy_object_size(o) + (cy_gc_is_tracked_type(o->ob_type) ? sizeof(cy_gc_head) : 0);
}

static inline const char *cy_types_strerror(int error)
{
	switch (error) {
	case CY_TYPES_OK: return "ok";
	case CY_ERR_NOMEM: return "out of memory";
	case CY_ERR_NOKEY: return "no such key";
	case CY_ERR_RANGE: return "index out of range";
	case CY_ERR_TYPE: return "object of the wrong type";
	case CY_ERR_TOOBIG: return "string key too long";
	}
	return "unknown error";
}

/* ---- int, float, bytes (scalar.c) ---------------------------------------- */

#define cy_int_type CY_SYM(cy_int_type)
#define cy_float_type CY_SYM(cy_float_type)
#define cy_bytes_type CY_SYM(cy_bytes_type)
#define cy_int_new CY_SYM(cy_int_new)
#define cy_int_value CY_SYM(cy_int_value)
#define cy_float_new CY_SYM(cy_float_new)
#define cy_float_value CY_SYM(cy_float_value)
#define cy_bytes_new CY_SYM(cy_bytes_new)
#define cy_bytes_data CY_SYM(cy_bytes_data)
#define cy_bytes_len CY_SYM(cy_bytes_len)

extern const cy_type cy_int_type;
extern const cy_type cy_float_type;
extern const cy_type cy_bytes_type;

cy_object *cy_int_new(int64_t value);
/* The value; 0 for an object that is not an int. */
int64_t cy_int_value(const cy_object *o);
cy_object *cy_float_new(double value);
/* The value; 0.0 for an object that is not a float. */
double cy_float_value(const cy_object *o);
/* size zeroed bytes; fill them through cy_bytes_data before sharing the object. */
cy_object *cy_bytes_new(size_t size);
/* The bytes, or NULL for an object that is not bytes. */
unsigned char *cy_bytes_data(cy_object *o);
size_t cy_bytes_len(const cy_object *o);

/* ---- tuple (tuple.c) ------------------------------------------------------ */

#define cy_tuple_type CY_SYM(cy_tuple_type)
#define cy_tuple_new CY_SYM(cy_tuple_new)
#define cy_tuple_init_item CY_SYM(cy_tuple_init_item)
#define cy_tuple_from_array CY_SYM(cy_tuple_from_array)
#define cy_tuple_get CY_SYM(cy_tuple_get)
#define cy_tuple_len CY_SYM(cy_tuple_len)

extern const cy_type cy_tuple_type;

/* A tuple of n empty (NULL) items, to be filled with cy_tuple_init_item. */
cy_object *cy_tuple_new(size_t n);
/* Construction only, before the tuple is shared: store item i (0, CY_ERR_RANGE or CY_ERR_TYPE). */
int cy_tuple_init_item(cy_object *tuple, size_t i, cy_object *item);
/* A tuple holding items[0..n); NULL items stay empty. */
cy_object *cy_tuple_from_array(size_t n, cy_object *const *items);
/* Item i (new reference), or NULL when out of range or empty. */
cy_object *cy_tuple_get(cy_object *tuple, size_t i);
size_t cy_tuple_len(const cy_object *tuple);

/* ---- list (list.c) -------------------------------------------------------- */

#define cy_list_type CY_SYM(cy_list_type)
#define cy_list_new CY_SYM(cy_list_new)
#define cy_list_append CY_SYM(cy_list_append)
#define cy_list_get CY_SYM(cy_list_get)
#define cy_list_set CY_SYM(cy_list_set)
#define cy_list_pop CY_SYM(cy_list_pop)
#define cy_list_len CY_SYM(cy_list_len)
#define cy_list_clear CY_SYM(cy_list_clear)
#define cy_list_sizeof CY_SYM(cy_list_sizeof)

extern const cy_type cy_list_type;

cy_object *cy_list_new(void);
/* 0, CY_ERR_NOMEM or CY_ERR_TYPE. item must not be NULL. */
int cy_list_append(cy_object *list, cy_object *item);
/* Item i (new reference), or NULL when out of range. */
cy_object *cy_list_get(cy_object *list, size_t i);
/* Replace item i: 0, CY_ERR_RANGE or CY_ERR_TYPE. item must not be NULL. */
int cy_list_set(cy_object *list, size_t i, cy_object *item);
/* Remove and return the last item (the list's reference), or NULL when empty. */
cy_object *cy_list_pop(cy_object *list);
size_t cy_list_len(cy_object *list);
/* Drop every item and the item array. */
void cy_list_clear(cy_object *list);
/* Object plus item array, in bytes. */
size_t cy_list_sizeof(cy_object *list);

/* ---- dict (dict.c) -------------------------------------------------------- */

#define cy_dict_type CY_SYM(cy_dict_type)
#define cy_dict_new CY_SYM(cy_dict_new)
#define cy_dict_set_int CY_SYM(cy_dict_set_int)
#define cy_dict_get_int CY_SYM(cy_dict_get_int)
#define cy_dict_del_int CY_SYM(cy_dict_del_int)
#define cy_dict_set_str CY_SYM(cy_dict_set_str)
#define cy_dict_get_str CY_SYM(cy_dict_get_str)
#define cy_dict_del_str CY_SYM(cy_dict_del_str)
#define cy_dict_len CY_SYM(cy_dict_len)
#define cy_dict_items CY_SYM(cy_dict_items)
#define cy_dict_snapshot_release CY_SYM(cy_dict_snapshot_release)
#define cy_dict_sizeof CY_SYM(cy_dict_sizeof)

extern const cy_type cy_dict_type;

cy_object *cy_dict_new(void);
/* Insert or replace: 0, CY_ERR_NOMEM, CY_ERR_TOOBIG or CY_ERR_TYPE. value must not be NULL. */
int cy_dict_set_int(cy_object *dict, int64_t key, cy_object *value);
int cy_dict_set_str(cy_object *dict, const char *key, size_t len, cy_object *value);
/* The value (new reference), or NULL when absent. */
cy_object *cy_dict_get_int(cy_object *dict, int64_t key);
cy_object *cy_dict_get_str(cy_object *dict, const char *key, size_t len);
/* 0, CY_ERR_NOKEY or CY_ERR_TYPE. */
int cy_dict_del_int(cy_object *dict, int64_t key);
int cy_dict_del_str(cy_object *dict, const char *key, size_t len);
size_t cy_dict_len(cy_object *dict);
/* Object plus table plus long key copies, in bytes. */
size_t cy_dict_sizeof(cy_object *dict);

/* One entry of a snapshot: an int key (str == NULL) or a string key. */
typedef struct cy_dict_item {
	int64_t int_key;
	const char *str; /* not NUL-terminated; owned by the snapshot */
	size_t str_len;
	cy_object *value; /* a reference owned by the snapshot */
} cy_dict_item;

typedef struct cy_dict_snapshot {
	size_t count;
	cy_dict_item *items; /* in table order; one block with the key copies */
} cy_dict_snapshot;

/*
 * Snapshot the entries, taken atomically under the dict's lock; the dict
 * may change afterwards without affecting it. 0, CY_ERR_NOMEM or CY_ERR_TYPE.
 * Release it with cy_dict_snapshot_release.
 */
int cy_dict_items(cy_object *dict, cy_dict_snapshot *out);
void cy_dict_snapshot_release(cy_dict_snapshot *items);

/* ---- instance and slotted object (instance.c) ----------------------------- */

#define cy_instance_type CY_SYM(cy_instance_type)
#define cy_instance_new CY_SYM(cy_instance_new)
#define cy_instance_getattr CY_SYM(cy_instance_getattr)
#define cy_instance_setattr CY_SYM(cy_instance_setattr)
#define cy_instance_delattr CY_SYM(cy_instance_delattr)
#define cy_instance_dict CY_SYM(cy_instance_dict)
#define cy_instance_sizeof CY_SYM(cy_instance_sizeof)
#define cy_slotted_type CY_SYM(cy_slotted_type)
#define cy_slotted_new CY_SYM(cy_slotted_new)
#define cy_slotted_get CY_SYM(cy_slotted_get)
#define cy_slotted_set CY_SYM(cy_slotted_set)
#define cy_slotted_count CY_SYM(cy_slotted_count)

extern const cy_type cy_instance_type;
extern const cy_type cy_slotted_type;

/* An instance with an empty attribute dict. */
cy_object *cy_instance_new(void);
/* Attribute name (NUL-terminated) as a new reference, or NULL when absent. */
cy_object *cy_instance_getattr(cy_object *instance, const char *name);
/* 0, CY_ERR_NOMEM or CY_ERR_TYPE. value must not be NULL. */
int cy_instance_setattr(cy_object *instance, const char *name, cy_object *value);
/* 0, CY_ERR_NOKEY or CY_ERR_TYPE. */
int cy_instance_delattr(cy_object *instance, const char *name);
/* The attribute dict (new reference), or NULL once cleared. */
cy_object *cy_instance_dict(cy_object *instance);
/* Instance plus its dict, in bytes. */
size_t cy_instance_sizeof(cy_object *instance);

/* An object with nslots empty (NULL) fields. */
cy_object *cy_slotted_new(size_t nslots);
/* Field i (new reference), or NULL when out of range or empty. */
cy_object *cy_slotted_get(cy_object *slotted, size_t i);
/* Replace field i; value may be NULL to empty it. 0, CY_ERR_RANGE or CY_ERR_TYPE. */
int cy_slotted_set(cy_object *slotted, size_t i, cy_object *value);
size_t cy_slotted_count(const cy_object *slotted);

/* ---- weak-value dictionary (weakdict.c) ----------------------------------- */

#define cy_weakdict_type CY_SYM(cy_weakdict_type)
#define cy_weakdict_new CY_SYM(cy_weakdict_new)
#define cy_weakdict_set CY_SYM(cy_weakdict_set)
#define cy_weakdict_get CY_SYM(cy_weakdict_get)
#define cy_weakdict_del CY_SYM(cy_weakdict_del)
#define cy_weakdict_len CY_SYM(cy_weakdict_len)

extern const cy_type cy_weakdict_type;

cy_object *cy_weakdict_new(void);
/* Map key to a weak reference to value: 0, CY_ERR_NOMEM or CY_ERR_TYPE. */
int cy_weakdict_set(cy_object *weakdict, int64_t key, cy_object *value);
/* The value (new reference), or NULL when absent or dead. */
cy_object *cy_weakdict_get(cy_object *weakdict, int64_t key);
/* 0, CY_ERR_NOKEY or CY_ERR_TYPE. */
int cy_weakdict_del(cy_object *weakdict, int64_t key);
/* Entries, counting any whose value has died but whose callback has not yet run. */
size_t cy_weakdict_len(cy_object *weakdict);

#endif
