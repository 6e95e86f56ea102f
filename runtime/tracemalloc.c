/*
 * tracemalloc.c: recording allocations, one table per thread.
 *
 * Each thread that allocates while tracing owns a table: an open-addressing
 * map (linear probing, at most half full, deletion by shifting back) from
 * object address to its trace, and a chained map that interns stacks by
 * hash. A table has a mutex that its owner takes for every record and
 * forget: uncontended, except when another thread frees one of its objects
 * or a snapshot copies it. Tables are never freed: a thread that exits
 * gives its table up (a pthread key's destructor) with its traces in it,
 * and the next thread that needs one adopts it, so there are at most as
 * many tables as threads ever traced at once. The list of tables only
 * grows, by an atomic push, and is read without a lock.
 *
 * Invariants, each kept under the table's lock:
 *   table.bytes = the sum of its traces' sizes;
 *   cy_tracemalloc current = the sum over tables of table.bytes
 *     (updated in the same critical section as the table);
 *   table.count <= limit, table.stacks <= limit;
 *   a trace's stack belongs to the same table.
 * Records are made only while tracing is on, checked again under the lock,
 * so a stop (which turns tracing off and then empties each table under its
 * lock) leaves no trace behind.
 */
#include "tracemalloc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "tracemalloc_internal.h"

#ifdef CY_HAVE_LIBDW
#include <execinfo.h>
#endif

int cy_tracemalloc_on;

typedef struct trace_table {
	pthread_mutex_t lock;
	struct trace_table *next; /* the list of tables; set before the table is published */
	int owned;                /* atomic: a thread records into it */
	cy_trace *slots;
	size_t capacity; /* power of two, or 0 */
	size_t count;
	int64_t bytes;
	cy_traceback **stack_buckets;
	size_t stack_capacity; /* power of two, or 0 */
	size_t stacks;
} trace_table;

static trace_table *tables; /* atomic: head of the list */
static int frames_wanted = 1;  /* atomic */
static size_t limit = CY_TRACEMALLOC_DEFAULT_LIMIT; /* atomic */
static int64_t traced_current; /* atomic */
static int64_t traced_peak;    /* atomic */
static int64_t dropped;        /* atomic */
static char error_line[256];

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t table_key;
static _Thread_local trace_table *my_table;

const char *cy_tracemalloc_error(void) { return error_line; }
int cy_tracemalloc_frames(void) { return cy_atomic_load_relaxed(&frames_wanted); }
void cy_tracemalloc_set_limit(size_t traces_per_thread) { cy_atomic_store_relaxed(&limit, traces_per_thread); }
int64_t cy_tracemalloc_dropped(void) { return cy_atomic_load_relaxed(&dropped); }

void cy_tracemalloc_traced_memory(int64_t *current, int64_t *peak)
{
	*current = cy_atomic_load_relaxed(&traced_current);
	*peak = cy_atomic_load_relaxed(&traced_peak);
}

void cy_tracemalloc_reset_peak(void) { cy_atomic_store_relaxed(&traced_peak, cy_atomic_load_relaxed(&traced_current)); }

static void add_traced(int64_t size)
{
	int64_t now = cy_atomic_fetch_add_relaxed(&traced_current, size) + size;
	int64_t peak = cy_atomic_load_relaxed(&traced_peak);
	while (now > peak && !__atomic_compare_exchange_n(&traced_peak, &peak, now, 1, __ATOMIC_RELAXED,
							 __ATOMIC_RELAXED)) {
	}
}

/* ---- a table's maps ---------------------------------------------------------- */

static size_t slot_of(uintptr_t object, size_t capacity) { return cy_hash_mix64(object) & (capacity - 1); }

/* Insert into slots known to have room; object is not there. */
static void put(cy_trace *slots, size_t capacity, const cy_trace *trace)
{
	size_t i = slot_of(trace->object, capacity);
	while (slots[i].object)
		i = (i + 1) & (capacity - 1);
	slots[i] = *trace;
}

static int grow_slots(trace_table *t)
{
	size_t capacity = t->capacity ? 2 * t->capacity : 1024;
	cy_trace *slots = calloc(capacity, sizeof *slots);
	if (!slots)
		return -1;
	for (size_t i = 0; i < t->capacity; i++)
		if (t->slots[i].object)
			put(slots, capacity, &t->slots[i]);
	free(t->slots);
	t->slots = slots;
	t->capacity = capacity;
	return 0;
}

static cy_trace *find(trace_table *t, uintptr_t object)
{
	if (!t->capacity)
		return NULL;
	for (size_t i = slot_of(object, t->capacity);; i = (i + 1) & (t->capacity - 1)) {
		if (t->slots[i].object == object)
			return &t->slots[i];
		if (!t->slots[i].object)
			return NULL;
	}
}

/* Remove the trace at slot i, shifting later entries of its run back so no probe sequence breaks. */
static void remove_at(trace_table *t, size_t i)
{
	size_t mask = t->capacity - 1;
	size_t hole = i;
	for (size_t j = (i + 1) & mask; t->slots[j].object; j = (j + 1) & mask) {
		size_t home = slot_of(t->slots[j].object, t->capacity);
		/* Move j into the hole unless its home lies cyclically in (hole, j]. */
		if (((j - home) & mask) >= ((j - hole) & mask)) {
			t->slots[hole] = t->slots[j];
			hole = j;
		}
	}
	t->slots[hole].object = 0;
	t->count--;
}

static uint64_t hash_stack(const uintptr_t *frames, int n)
{
	uint64_t h = (uint64_t)n;
	for (int i = 0; i < n; i++)
		h = cy_hash_mix64(h ^ frames[i]);
	return h;
}

static int grow_stacks(trace_table *t)
{
	size_t capacity = t->stack_capacity ? 2 * t->stack_capacity : 256;
	cy_traceback **buckets = calloc(capacity, sizeof *buckets);
	if (!buckets)
		return -1;
	for (size_t i = 0; i < t->stack_capacity; i++) {
		cy_traceback *tb = t->stack_buckets[i];
		while (tb) {
			cy_traceback *next = tb->next;
			size_t b = tb->hash & (capacity - 1);
			tb->next = buckets[b];
			buckets[b] = tb;
			tb = next;
		}
	}
	free(t->stack_buckets);
	t->stack_buckets = buckets;
	t->stack_capacity = capacity;
	return 0;
}

/* The table's copy of this stack, made if new; NULL past the limit or out of memory. */
static const cy_traceback *intern(trace_table *t, const uintptr_t *frames, int n, uint64_t hash, size_t max)
{
	if (t->stack_capacity) {
		for (cy_traceback *tb = t->stack_buckets[hash & (t->stack_capacity - 1)]; tb; tb = tb->next)
			if (tb->hash == hash && tb->nframes == (uint32_t)n &&
			    memcmp(tb->frames, frames, (size_t)n * sizeof *frames) == 0)
				return tb;
	}
	if (t->stacks >= max)
		return NULL;
	if (t->stacks >= t->stack_capacity && grow_stacks(t) != 0)
		return NULL;
	cy_traceback *tb = malloc(sizeof *tb + (size_t)n * sizeof *frames);
	if (!tb)
		return NULL;
	tb->hash = hash;
	tb->nframes = (uint32_t)n;
	memcpy(tb->frames, frames, (size_t)n * sizeof *frames);
	size_t b = hash & (t->stack_capacity - 1);
	tb->next = t->stack_buckets[b];
	t->stack_buckets[b] = tb;
	t->stacks++;
	return tb;
}

/* Drop every trace and stack; the caller holds t's lock. */
static void empty_table(trace_table *t)
{
	for (size_t i = 0; i < t->stack_capacity; i++) {
		cy_traceback *tb = t->stack_buckets[i];
		while (tb) {
			cy_traceback *next = tb->next;
			free(tb);
			tb = next;
		}
	}
	free(t->stack_buckets);
	free(t->slots);
	cy_atomic_fetch_add_relaxed(&traced_current, -t->bytes);
	t->slots = NULL;
	t->stack_buckets = NULL;
	t->capacity = t->count = t->stack_capacity = t->stacks = 0;
	t->bytes = 0;
}

/* ---- which table is the thread's ---------------------------------------------- */

static void give_up_table(void *table)
{
	cy_atomic_store_release(&((trace_table *)table)->owned, 0);
}

static void make_key(void)
{
	if (pthread_key_create(&table_key, give_up_table) != 0)
		abort();
}

/* The calling thread's table: one given up by an exited thread, or a new one. NULL when out of memory. */
static trace_table *thread_table(void)
{
	if (CY_LIKELY(my_table != NULL))
		return my_table;
	pthread_once(&key_once, make_key);
	trace_table *t;
	for (t = cy_atomic_load_acquire(&tables); t; t = t->next) {
		int free_table = 0;
		if (cy_atomic_load_relaxed(&t->owned) == 0 &&
		    __atomic_compare_exchange_n(&t->owned, &free_table, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			break;
	}
	if (!t) {
		t = calloc(1, sizeof *t);
		if (!t)
			return NULL;
		pthread_mutex_init(&t->lock, NULL);
		t->owned = 1;
		t->next = cy_atomic_load_relaxed(&tables);
		while (!__atomic_compare_exchange_n(&tables, &t->next, t, 1, __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
		}
	}
	pthread_setspecific(table_key, t);
	my_table = t;
	return t;
}

/* ---- recording ------------------------------------------------------------------ */

#ifdef CY_HAVE_LIBDW

int cy_tracemalloc_available(void) { return 1; }

int cy_tracemalloc_start(int nframes)
{
	if (nframes < 1 || nframes > CY_TRACEMALLOC_MAX_FRAMES) {
		snprintf(error_line, sizeof error_line, "the number of frames must be 1 to %d, not %d",
			 CY_TRACEMALLOC_MAX_FRAMES, nframes);
		return -1;
	}
	/* backtrace's first call loads the unwinder (dlopen, malloc): not on the allocation path. */
	void *warm[2];
	backtrace(warm, 2);
	cy_atomic_store_relaxed(&frames_wanted, nframes);
	cy_atomic_store_release(&cy_tracemalloc_on, 1);
	return 0;
}

void cy_tracemalloc_record(const cy_object *o, size_t size)
{
	uintptr_t frames[CY_TRACEMALLOC_MAX_FRAMES + CY_TRACEMALLOC_MACHINERY_FRAMES];
	int n = backtrace((void **)frames, cy_atomic_load_relaxed(&frames_wanted) + CY_TRACEMALLOC_MACHINERY_FRAMES);
	uint64_t hash = hash_stack(frames, n);
	trace_table *t = thread_table();
	if (!t) {
		cy_atomic_fetch_add_relaxed(&dropped, 1);
		return;
	}
	size_t max = cy_atomic_load_relaxed(&limit);
	pthread_mutex_lock(&t->lock);
	if (!cy_atomic_load_relaxed(&cy_tracemalloc_on)) {
		pthread_mutex_unlock(&t->lock);
		return;
	}
	/* An address can only be reused after its storage was released, and so forgotten: a hit is stale. */
	cy_trace *old = find(t, (uintptr_t)o);
	if (old) {
		t->bytes -= old->size;
		cy_atomic_fetch_add_relaxed(&traced_current, -old->size);
		remove_at(t, (size_t)(old - t->slots));
	}
	const cy_traceback *tb = NULL;
	if (t->count < max && (2 * (t->count + 1) <= t->capacity || grow_slots(t) == 0))
		tb = intern(t, frames, n, hash, max);
	if (!tb) {
		pthread_mutex_unlock(&t->lock);
		cy_atomic_fetch_add_relaxed(&dropped, 1);
		return;
	}
	cy_trace trace = {.object = (uintptr_t)o, .size = (int64_t)size, .traceback = tb, .type = o->ob_type};
	put(t->slots, t->capacity, &trace);
	t->count++;
	t->bytes += trace.size;
	add_traced(trace.size);
	pthread_mutex_unlock(&t->lock);
}

#else

int cy_tracemalloc_available(void) { return 0; }

int cy_tracemalloc_start(int nframes)
{
	(void)nframes;
	snprintf(error_line, sizeof error_line,
		 "allocation tracing is not in this build: libdw (Debian package libdw-dev) was missing when "
		 "./configure ran; install it and run ./configure again");
	return -1;
}

void cy_tracemalloc_record(const cy_object *o, size_t size)
{
	(void)o;
	(void)size;
}

#endif

/* Remove o's trace from t if it is there; 1 if it was. */
static int forget_in(trace_table *t, uintptr_t object)
{
	pthread_mutex_lock(&t->lock);
	cy_trace *trace = find(t, object);
	if (trace) {
		t->bytes -= trace->size;
		cy_atomic_fetch_add_relaxed(&traced_current, -trace->size);
		remove_at(t, (size_t)(trace - t->slots));
	}
	pthread_mutex_unlock(&t->lock);
	return trace != NULL;
}

void cy_tracemalloc_forget(const cy_object *o)
{
	uintptr_t object = (uintptr_t)o;
	trace_table *mine = my_table;
	if (mine && forget_in(mine, object))
		return;
	for (trace_table *t = cy_atomic_load_acquire(&tables); t; t = t->next)
		if (t != mine && forget_in(t, object))
			return;
}

void cy_tracemalloc_clear(void)
{
	for (trace_table *t = cy_atomic_load_acquire(&tables); t; t = t->next) {
		pthread_mutex_lock(&t->lock);
		empty_table(t);
		pthread_mutex_unlock(&t->lock);
	}
	cy_atomic_store_relaxed(&dropped, (int64_t)0);
	cy_tracemalloc_reset_peak();
}

void cy_tracemalloc_stop(void)
{
	cy_atomic_store_release(&cy_tracemalloc_on, 0);
	cy_tracemalloc_clear();
}

void cy_tracemalloc_each_trace(void (*fn)(const cy_trace *trace, void *arg), void *arg)
{
	for (trace_table *t = cy_atomic_load_acquire(&tables); t; t = t->next) {
		pthread_mutex_lock(&t->lock);
		for (size_t i = 0; i < t->capacity; i++)
			if (t->slots[i].object)
				fn(&t->slots[i], arg);
		pthread_mutex_unlock(&t->lock);
	}
}

/* ---- one object's traceback ------------------------------------------------------ */

int cy_tracemalloc_is_machinery(const cy_trace_frame *frame)
{
	static const char *const names[] = {"cy_tracemalloc_record", "new_object", "cy_object_new", "backtrace"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(frame->function, names[i]) == 0)
			return 1;
	/* A sanitizer's interceptor of backtrace() (sanitizer builds only). */
	return strncmp(frame->function, "__interceptor_", 14) == 0 || strncmp(frame->function, "___interceptor_", 15) == 0;
}

int cy_tracemalloc_is_runtime(const cy_trace_frame *frame) { return strncmp(frame->file, "runtime/", 8) == 0; }

char *cy_tracemalloc_object_traceback(const cy_object *o)
{
	uintptr_t frames[CY_TRACEMALLOC_MAX_FRAMES + CY_TRACEMALLOC_MACHINERY_FRAMES];
	uint32_t n = 0;
	int found = 0;
	for (trace_table *t = cy_atomic_load_acquire(&tables); t && !found; t = t->next) {
		pthread_mutex_lock(&t->lock);
		cy_trace *trace = find(t, (uintptr_t)o);
		if (trace) {
			found = 1;
			n = trace->traceback->nframes;
			memcpy(frames, trace->traceback->frames, n * sizeof *frames);
		}
		pthread_mutex_unlock(&t->lock);
	}
	if (!found)
		return NULL;
	char *text = NULL;
	size_t length = 0;
	FILE *out = open_memstream(&text, &length);
	if (!out)
		return NULL;
	int kept = 0, wanted = cy_tracemalloc_frames();
	for (uint32_t i = 0; i < n && kept < wanted; i++) {
		cy_trace_frame frame;
		cy_symbolize(frames[i], &frame);
		if (kept == 0 && cy_tracemalloc_is_machinery(&frame))
			continue;
		fprintf(out, "%s:%d %s\n", frame.file, frame.line, frame.function);
		kept++;
	}
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
