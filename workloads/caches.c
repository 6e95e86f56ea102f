/*
 * caches.c: the `caches` workload: one cache shared by every thread, keys
 * drawn from a Zipf distribution, values that are objects.
 *
 * Each operation draws a key (rank r in [0, keys) with probability
 * proportional to 1/(r+1)^skew: the cumulative distribution is computed
 * once in setup, and each thread samples it with its own seeded generator
 * and a binary search), looks it up, and on a miss makes the value (a bytes
 * object of `value_bytes` bytes beginning with the key) and inserts it. The
 * caller then reads the value and releases its reference (param hold=borrow,
 * rcu only: a hit reads the value without counting a reference at all).
 *
 * Variants (param variant):
 *   unbounded  never evicts: the cache grows to every key drawn (its memory
 *              is the point)
 *   lru        bounded by `size` entries: least recently used eviction
 *              under locks; under RCU, CLOCK (second chance, Corbato 1968),
 *              the approximation of LRU that lets a hit set one bit instead
 *              of moving the entry to the front of a shared list
 *   weak       a weak-value dictionary (cy_weakdict): an entry lives while
 *              some thread still holds its value; each thread keeps the
 *              last size/threads values it used, so `size` is the working
 *              set all threads hold between them
 *
 * Synchronisation (param sync):
 *   global   one lock around the whole cache, a GIL-like baseline
 *   striped  `stripes` segments by key hash, each with its own lock, table,
 *            LRU list and bound (size/stripes each, so the total never
 *            exceeds size)
 *   rcu      lock-free lookups in liburcu's RCU hash table (cds_lfht, QSBR
 *            flavour: every registered cyclab thread is an online QSBR
 *            reader and its safepoints are its quiescent states); inserts
 *            and evictions take the lock of the key's segment (segments as
 *            in striped), so misses on different segments proceed in
 *            parallel. weak does not take rcu: the weak-value dictionary
 *            has its own lock.
 *
 * Lifetime under RCU, the delicate part. A reader finds an entry without a
 * lock and must take a reference to its value while a writer may be
 * removing the entry at that moment. The entry's node memory must not be
 * reused while a reader may be looking at it (the classic RCU rule), and
 * the value must not die either: the pools reuse an object's storage as
 * soon as it is freed, so even a try-increment (cy_try_incref_any) on a
 * freed value could read memory that is already someone else's. So the
 * entry's reference to its value is given up only after a grace period,
 * with the node: a writer unlinks the entry (cds_lfht_del) under its
 * segment lock, adds it to a batch of its own, and hands each full batch of
 * RETIRE_BATCH entries to call_rcu; the callback (liburcu's worker thread,
 * not a cyclab mutator) only moves the batch to a retired list, and the
 * next mutator that misses releases the values and frees the entries. While a
 * reader can reach an entry its value's count is therefore at least one,
 * and a plain increment (the mode's inline fast path) is safe; a borrowed
 * value (hold=borrow) stays valid until the reader's next quiescent state,
 * which is why a hit on a hot key need not write its shared count (the
 * cache line every thread's increment would otherwise bounce).
 * ThreadSanitizer cannot see liburcu's grace periods, so under TSan readers
 * release, and the reclaimer acquires, a token that states the ordering a
 * grace period provides; entry fields readers touch are atomics, written
 * before the entry is published (key relaxed, value with release).
 *
 * Invariants checked by check(): a bounded cache never held more than its
 * bound (each segment records its high-water count under its lock); every
 * value found had the key it was filed under; the hit ratio lies within a
 * tolerance of what the skew implies: for lru, Che's approximation of LRU
 * under independent references (Che, Tung and Wang, IEEE JSAC 2002),
 * which CLOCK follows closely; for unbounded, one minus the expected number
 * of distinct keys over the lookups; for weak, the probability that the key
 * was drawn among the last `size` lookups (down to the last size/threads
 * for threads that did not overlap in time). The tolerance allows for the
 * cold start (the first `size` misses fill the cache) and sampling noise.
 *
 * Counting hot values (--shared-rc, runtime/shared_rc.h). A hit's
 * reference is a stack reference, given up before the thread's next
 * safepoint (the end of its batch); every value filed in the cache is
 * published, so under the deferred or per-thread scheme a hit on a hot key
 * writes nothing on the value's cache line, and a value evicted from the
 * cache is freed by the collector once nothing refers to it. With the
 * scheme off a stack reference is an ordinary counted one.
 *
 * Sharing: segments under their locks, cy_oblocks (lock.h): they spin
 * briefly before sleeping, and a segment is held for a few hundred
 * nanoseconds, far less than a sleeping waiter takes to wake (a mutex that
 * slept at once halved two threads' throughput here); the RCU table as
 * above; the retired list under its own pthread mutex (the callback is not
 * a cyclab thread, so it takes no cyclab lock). Entries come from the
 * runtime's allocator (entry_alloc); tallies are per thread, written once
 * per batch.
 *
 * Compiled once per reference-counting mode (runtime/variant.h).
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/alloc.h"
#include "runtime/hash.h"
#include "runtime/lock.h"
#include "runtime/shared_rc.h"
#include "runtime/types.h"
#include "runtime/variant.h"
#include "workloads/scenarios.h"

#include <urcu/rculfhash.h>

/*
 * ThreadSanitizer does not see liburcu's ordering (it is not instrumented):
 * these annotations state it. An entry is published by cds_lfht_add after
 * it is filled in (PUBLISHED / FOUND); a grace period separates every
 * reader's last look at an entry from its reclamation (READER_QUIESCENT /
 * GRACE_PERIOD_PASSED). Without TSan they compile to nothing.
 */
#if defined(__SANITIZE_THREAD__)
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define PUBLISHED(entry) __tsan_release(entry)
#define FOUND(entry) __tsan_acquire((void *)(entry))
#define GRACE_PERIOD_PASSED(token) __tsan_acquire(token)
#define READER_QUIESCENT(token) __tsan_release(token)
#else
#define PUBLISHED(entry) ((void)(entry))
#define FOUND(entry) ((void)(entry))
#define GRACE_PERIOD_PASSED(token) ((void)(token))
#define READER_QUIESCENT(token) ((void)(token))
#endif

enum cache_variant { CACHE_UNBOUNDED, CACHE_LRU, CACHE_WEAK };
enum cache_sync { SYNC_GLOBAL, SYNC_STRIPED, SYNC_RCU };

struct caches_state;

typedef struct cache_entry {
	struct cds_lfht_node node; /* rcu: the table's link */
	int64_t key;               /* rcu readers: relaxed atomic */
	cy_object *value;          /* the entry's reference; rcu readers: acquire */
	uint32_t referenced;       /* rcu CLOCK bit: relaxed atomic, set by readers */
	struct cache_entry *chain;  /* locked: bucket chain; teardown: everything to release */
	struct cache_entry *newer;  /* locked lru: towards the most recently used */
	struct cache_entry *older;
} cache_entry;

/*
 * Entries a thread has unlinked, retired together: one call_rcu per batch,
 * not per entry (as alloc.c batches deferred frees), which keeps call_rcu's
 * queue and the retired list's lock off the per-miss path.
 */
#define RETIRE_BATCH 1024

typedef struct retire_batch {
	struct rcu_head rcu;
	struct caches_state *cache;
	int ready;                 /* release before call_rcu, acquire in the callback */
	size_t count;
	struct retire_batch *next; /* on the retired list, under retired_lock */
	cache_entry *entries[RETIRE_BATCH];
} retire_batch;

/* What one thread keeps between operations: its retire batch. */
typedef struct cache_worker {
	retire_batch *batch; /* entries this thread unlinked, not yet handed to call_rcu */
	retire_batch *spare; /* an empty batch to reuse */
} cache_worker;

typedef struct cache_segment {
	cy_oblock lock; /* spins briefly before sleeping: held for a few hundred nanoseconds */
	size_t bound;     /* entries allowed (0: unbounded) */
	size_t count;     /* under lock */
	size_t max_count; /* under lock: high-water mark, for check() */
	/* global and striped */
	cache_entry **buckets;
	size_t bucket_mask;
	cache_entry lru; /* sentinel: lru.older is the most recent, lru.newer the least */
	/* rcu lru: the CLOCK ring */
	cache_entry **clock;
	size_t hand;
	/* weak */
	cy_object *weakdict;
	char pad[64];
} cache_segment;

typedef struct caches_state {
	enum cache_variant variant;
	enum cache_sync sync;
	int borrow; /* hold=borrow: rcu hits use the value without counting a reference */
	size_t size, keys, value_bytes, segments;
	double *cdf;
	cache_segment *segment;
	struct cds_lfht *table;
	pthread_mutex_t retired_lock;
	retire_batch *retired; /* under retired_lock: grace period passed, values not yet released */
	int64_t retiring;      /* atomic: batches handed to call_rcu whose callback has not run */
	int retired_pending;  /* relaxed hint that retired is not empty */
	char grace_token;     /* TSan only: see GRACE_PERIOD_PASSED */
	double expected_hit_ratio, expected_low, expected_high;
	cy_tally tally[CY_WORKLOAD_MAX_THREADS]; /* a: lookups, b: hits, c: wrong values or OOM */
} caches_state;

/* ---- keys ------------------------------------------------------------------ */

static size_t zipf_sample(const caches_state *s, cy_rng *rng)
{
	double u = cy_rng_unit(rng);
	size_t lo = 0, hi = s->keys - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->cdf[mid] > u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static double key_probability(const caches_state *s, size_t i) { return s->cdf[i] - (i ? s->cdf[i - 1] : 0.0); }

static uint64_t key_hash(int64_t key) { return cy_hash_mix64((uint64_t)key); }

static cache_segment *segment_of(caches_state *s, uint64_t hash) { return &s->segment[(hash >> 40) % s->segments]; }

/* ---- values ------------------------------------------------------------------ */

static cy_object *value_new(const caches_state *s, int64_t key)
{
	cy_object *v = cy_bytes_new(s->value_bytes);
	if (v)
		memcpy(cy_bytes_data(v), &key, sizeof key);
	return v;
}

static int value_has_key(cy_object *v, int64_t key)
{
	int64_t stored;
	memcpy(&stored, cy_bytes_data(v), sizeof stored);
	return stored == key;
}

/* ---- global and striped: a chained table and an LRU list per segment --------------- */

static cache_entry *bucket_find(const cache_segment *g, int64_t key, uint64_t hash)
{
	for (cache_entry *e = g->buckets[hash & g->bucket_mask]; e; e = e->chain) {
		if (e->key == key)
			return e;
	}
	return NULL;
}

static void lru_unlink(cache_entry *e)
{
	e->newer->older = e->older;
	e->older->newer = e->newer;
}

static void lru_push_recent(cache_segment *g, cache_entry *e)
{
	e->newer = &g->lru;
	e->older = g->lru.older;
	g->lru.older->newer = e;
	g->lru.older = e;
}

static cy_object *locked_get(caches_state *s, int64_t key, uint64_t hash)
{
	cache_segment *g = segment_of(s, hash);
	cy_oblock_lock(&g->lock);
	cache_entry *e = bucket_find(g, key, hash);
	cy_object *v = NULL;
	if (e) {
		if (g->bound) {
			lru_unlink(e);
			lru_push_recent(g, e);
		}
		v = e->value;
		cy_stackref_take_in(CY_RC_MODE, v);
	}
	cy_oblock_unlock(&g->lock);
	return v;
}

/* Unlink the least recently used entry from its bucket and the list; returns it. Lock held. */
static cache_entry *locked_evict(cache_segment *g)
{
	cache_entry *victim = g->lru.newer;
	lru_unlink(victim);
	cache_entry **link = &g->buckets[key_hash(victim->key) & g->bucket_mask];
	while (*link != victim)
		link = &(*link)->chain;
	*link = victim->chain;
	g->count--;
	return victim;
}

/* File e (its value referenced) unless the key is already there; returns what must be released. */
static cache_entry *locked_put(caches_state *s, cache_entry *e, uint64_t hash)
{
	cache_segment *g = segment_of(s, hash);
	cache_entry *release = NULL;
	cy_oblock_lock(&g->lock);
	if (bucket_find(g, e->key, hash)) {
		release = e; /* another thread filed it first: keep theirs */
	} else {
		if (g->bound && g->count == g->bound)
			release = locked_evict(g);
		cache_entry **bucket = &g->buckets[hash & g->bucket_mask];
		e->chain = *bucket;
		*bucket = e;
		lru_push_recent(g, e);
		if (++g->count > g->max_count)
			g->max_count = g->count;
	}
	cy_oblock_unlock(&g->lock);
	return release;
}

/* ---- rcu: lock-free lookups, segment-locked updates, deferred release --------------- */

static int entry_match(struct cds_lfht_node *node, const void *key)
{
	const cache_entry *e = caa_container_of(node, cache_entry, node);
	FOUND(e);
	return cy_atomic_load_relaxed(&e->key) == *(const int64_t *)key;
}

/*
 * The value for key, or NULL. With a reference (hold=reference) the caller
 * owns it; borrowed (hold=borrow), it is valid until the caller's next
 * quiescent state (safepoint), the RCU idiom: the entry's own reference is
 * released only after a grace period.
 */
static cy_object *rcu_get(caches_state *s, int64_t key, uint64_t hash)
{
	struct cds_lfht_iter iter;
	cy_object *v = NULL;
	/* A no-op under QSBR for an online thread; it marks where the reader may see retired entries. */
	urcu_qsbr_read_lock();
	cds_lfht_lookup(s->table, hash, entry_match, &key, &iter);
	struct cds_lfht_node *node = cds_lfht_iter_get_node(&iter);
	if (node) {
		cache_entry *e = caa_container_of(node, cache_entry, node);
		v = cy_atomic_load_acquire(&e->value);
		if (!s->borrow)
			cy_stackref_take_in(CY_RC_MODE, v); /* the entry's reference outlives every reader that can reach it */
		if (!cy_atomic_load_relaxed(&e->referenced))
			cy_atomic_store_relaxed(&e->referenced, 1u);
	}
	urcu_qsbr_read_unlock();
	return v; /* the caller states READER_QUIESCENT once done with the entry and the value */
}

static void batch_after_grace_period(struct rcu_head *head)
{
	retire_batch *b = caa_container_of(head, retire_batch, rcu);
	(void)cy_atomic_load_acquire(&b->ready);
	caches_state *s = b->cache;
	pthread_mutex_lock(&s->retired_lock);
	b->next = s->retired;
	s->retired = b;
	cy_atomic_store_relaxed(&s->retired_pending, 1);
	cy_atomic_fetch_sub_release(&s->retiring, 1);
	pthread_mutex_unlock(&s->retired_lock);
}

/*
 * Entries come from the runtime's allocator (--alloc), like the values:
 * with the pools, an entry made on one thread and released on another goes
 * back to its page with one atomic push, where malloc would take the
 * owning arena's lock on every such free.
 */
static cache_entry *entry_alloc(void)
{
	cache_entry *e = cy_mem_alloc(sizeof *e);
	if (e)
		memset(e, 0, sizeof *e);
	return e;
}

/* Release e's value and free e. No lock held. */
static void entry_release(cache_entry *e)
{
	cy_decref(e->value);
	cy_mem_free(e, sizeof *e);
}

/* Release the values of entries whose grace period has passed (a mutator, no lock held). */
static void release_retired(caches_state *s, cache_worker *w)
{
	if (!cy_atomic_load_relaxed(&s->retired_pending))
		return;
	pthread_mutex_lock(&s->retired_lock);
	retire_batch *b = s->retired;
	s->retired = NULL;
	cy_atomic_store_relaxed(&s->retired_pending, 0);
	pthread_mutex_unlock(&s->retired_lock);
	GRACE_PERIOD_PASSED(&s->grace_token);
	while (b) {
		retire_batch *next = b->next;
		for (size_t i = 0; i < b->count; i++)
			entry_release(b->entries[i]);
		if (w && !w->spare)
			w->spare = b;
		else
			free(b);
		b = next;
	}
}

/* Hand the thread's batch to call_rcu (the thread is online, as call_rcu requires). */
static void retire_flush(caches_state *s, cache_worker *w)
{
	retire_batch *b = w->batch;
	if (!b)
		return;
	w->batch = NULL;
	b->cache = s;
	cy_atomic_store_release(&b->ready, 1);
	cy_atomic_fetch_add_relaxed(&s->retiring, 1);
	urcu_qsbr_call_rcu(&b->rcu, batch_after_grace_period);
}

/* Retire an unlinked entry: its value is released after a grace period. No lock held. */
static void retire(caches_state *s, cache_worker *w, cache_entry *e)
{
	if (!w->batch) {
		if ((w->batch = w->spare) != NULL) {
			w->spare = NULL;
			memset(w->batch, 0, sizeof *w->batch);
		} else if (!(w->batch = calloc(1, sizeof *w->batch))) {
			/* No memory for a batch: wait for the grace period here, offline. */
			cy_blocking_begin();
			urcu_qsbr_synchronize_rcu();
			cy_blocking_end();
			GRACE_PERIOD_PASSED(&s->grace_token);
			entry_release(e);
			return;
		}
	}
	w->batch->entries[w->batch->count++] = e;
	if (w->batch->count == RETIRE_BATCH)
		retire_flush(s, w);
}

/* The thread is done: hand over its last batch, free its spare one. */
static void worker_finish(caches_state *s, cache_worker *w)
{
	retire_flush(s, w);
	free(w->spare);
}

/* CLOCK: the first entry from the hand without its referenced bit (clearing bits on the way). Lock held. */
static size_t clock_victim(cache_segment *g)
{
	for (;;) {
		size_t slot = g->hand;
		g->hand = slot + 1 < g->bound ? slot + 1 : 0; /* no division: the hand moves on every step */
		cache_entry *e = g->clock[slot];
		if (!cy_atomic_load_relaxed(&e->referenced))
			return slot;
		cy_atomic_store_relaxed(&e->referenced, 0u);
	}
}

static cache_entry *rcu_put(caches_state *s, cache_entry *e, uint64_t hash, cache_worker *w)
{
	cache_segment *g = segment_of(s, hash);
	cache_entry *release = NULL, *victim = NULL;
	struct cds_lfht_iter iter;
	int64_t key = e->key;
	cy_oblock_lock(&g->lock);
	urcu_qsbr_read_lock();
	/* Keys of this segment are only added under its lock: this lookup is authoritative. */
	cds_lfht_lookup(s->table, hash, entry_match, &key, &iter);
	if (cds_lfht_iter_get_node(&iter)) {
		release = e;
	} else {
		size_t slot = g->count;
		if (g->bound && g->count == g->bound) {
			slot = clock_victim(g);
			victim = g->clock[slot];
			cds_lfht_del(s->table, &victim->node);
			g->count--;
		}
		cds_lfht_add(s->table, hash, &e->node);
		if (g->bound)
			g->clock[slot] = e;
		if (++g->count > g->max_count)
			g->max_count = g->count;
	}
	urcu_qsbr_read_unlock();
	cy_oblock_unlock(&g->lock);
	if (victim)
		retire(s, w, victim);
	return release;
}

/* ---- the operations ---------------------------------------------------------------- */

/* The cached value for key (a new reference), or NULL on a miss. */
static cy_object *cache_get(caches_state *s, int64_t key, uint64_t hash)
{
	if (s->variant == CACHE_WEAK)
		return cy_weakdict_get(segment_of(s, hash)->weakdict, key);
	return s->sync == SYNC_RCU ? rcu_get(s, key, hash) : locked_get(s, key, hash);
}

/* File value under key (the caller keeps its reference); -1 without memory. */
static int cache_put(caches_state *s, int64_t key, uint64_t hash, cy_object *value, cache_worker *w)
{
	if (s->variant == CACHE_WEAK)
		return cy_weakdict_set(segment_of(s, hash)->weakdict, key, value) == 0 ? 0 : -1;
	if (s->sync == SYNC_RCU)
		release_retired(s, w);
	cache_entry *e = entry_alloc();
	if (!e)
		return -1;
	cy_incref(value);
	cy_shared_rc_publish(value); /* before any other thread can reach it */
	cy_atomic_store_relaxed(&e->key, key);
	cy_atomic_store_release(&e->value, value);
	PUBLISHED(e);
	cache_entry *release = s->sync == SYNC_RCU ? rcu_put(s, e, hash, w) : locked_put(s, e, hash);
	if (release)
		entry_release(release);
	return 0;
}

static void caches_thread(cy_workload_run *run, unsigned index)
{
	caches_state *s = run->state;
	cy_tally *t = &s->tally[index];
	cy_rng rng = cy_rng_for_thread(run->seed, index);
	/* weak: the values this thread still uses, which keep their entries alive. */
	size_t ring_size = 0, ring_next = 0;
	cy_object **ring = NULL;
	if (s->variant == CACHE_WEAK) {
		ring_size = s->size / run->threads ? s->size / run->threads : 1;
		if (!(ring = calloc(ring_size, sizeof *ring))) {
			t->c++;
			return;
		}
	}
	cache_worker worker = {0};
	int64_t hits = 0, bad = 0;
	int64_t n;
	while ((n = cy_workload_next_batch(run, index, 64)) > 0) {
		for (int64_t i = 0; i < n; i++) {
			int64_t key = (int64_t)zipf_sample(s, &rng);
			uint64_t hash = key_hash(key);
			cy_object *v = cache_get(s, key, hash);
			int borrowed = 0, stack = 0;
			if (v) {
				hits++;
				borrowed = s->borrow;
				stack = s->variant != CACHE_WEAK; /* a stack reference (shared_rc.h); weak hits are counted */
			} else if (!(v = value_new(s, key)) || cache_put(s, key, hash, v, &worker) != 0) {
				cy_xdecref(v);
				bad++;
				continue;
			}
			if (!value_has_key(v, key))
				bad++;
			READER_QUIESCENT(&s->grace_token); /* done with what the lookup found */
			if (borrowed)
				continue;
			if (ring) {
				cy_object *old = ring[ring_next];
				ring[ring_next] = v;
				ring_next = (ring_next + 1) % ring_size;
				cy_xdecref(old);
			} else if (stack) {
				cy_stackref_drop_in(CY_RC_MODE, v);
			} else {
				cy_decref(v);
			}
		}
		t->a += n; /* per batch: the tally is written once per 64 lookups */
		t->b += hits;
		t->c += bad;
		hits = bad = 0;
		cy_workload_count(run, index, n);
		cy_safepoint();
	}
	worker_finish(s, &worker);
	for (size_t i = 0; i < ring_size; i++)
		cy_xdecref(ring[i]);
	free(ring);
}

/* ---- expected hit ratios ----------------------------------------------------------- */

/* Che's approximation for an LRU cache of c entries: the characteristic time T solves sum(1 - e^(-p T)) = c. */
static double che_hit_ratio(const caches_state *s, double c)
{
	double lo = 0, hi = 1;
	for (;;) {
		double filled = 0;
		for (size_t i = 0; i < s->keys; i++)
			filled += -expm1(-key_probability(s, i) * hi);
		if (filled >= c || hi > 1e18)
			break;
		hi *= 2;
	}
	for (int iteration = 0; iteration < 100; iteration++) {
		double mid = (lo + hi) / 2, filled = 0;
		for (size_t i = 0; i < s->keys; i++)
			filled += -expm1(-key_probability(s, i) * mid);
		if (filled < c)
			lo = mid;
		else
			hi = mid;
	}
	double hit = 0;
	for (size_t i = 0; i < s->keys; i++) {
		double p = key_probability(s, i);
		hit += p * -expm1(-p * lo);
	}
	return hit;
}

/* Probability that a key was drawn at least once among the previous `window` draws. */
static double window_hit_ratio(const caches_state *s, double window)
{
	double hit = 0;
	for (size_t i = 0; i < s->keys; i++) {
		double p = key_probability(s, i);
		hit += p * -expm1(window * log1p(-fmin(p, 1 - 1e-16)));
	}
	return hit;
}

/* What the skew implies for lookups lookups by threads threads, and how far a run may stray from it. */
static void expected_hits(caches_state *s, int64_t lookups, unsigned threads)
{
	double low_capacity = 0;
	double n = (double)lookups, capacity = (double)s->size;
	switch (s->variant) {
	case CACHE_UNBOUNDED: {
		double distinct = 0;
		for (size_t i = 0; i < s->keys; i++)
			distinct += -expm1(n * log1p(-fmin(key_probability(s, i), 1 - 1e-16)));
		s->expected_hit_ratio = 1 - distinct / n;
		s->expected_low = s->expected_hit_ratio - 0.03;
		s->expected_high = s->expected_hit_ratio + 0.03;
		return;
	}
	case CACHE_LRU: {
		size_t held = 0;
		for (size_t i = 0; i < s->segments; i++)
			held += s->segment[i].bound;
		capacity = (double)held;
		s->expected_hit_ratio = capacity >= (double)s->keys ? 1.0 : che_hit_ratio(s, capacity);
		break;
	}
	case CACHE_WEAK:
		/*
		 * Threads that overlap in time keep each other's values alive
		 * (window: all rings); a thread running alone, as at the start
		 * and end of a short run, only has its own ring.
		 */
		s->expected_hit_ratio = window_hit_ratio(s, capacity);
		low_capacity = (double)(s->size / threads ? s->size / threads : 1);
		break;
	}
	/* Cold start: up to `capacity` extra misses while the cache fills; then sampling noise. */
	double tolerance = 0.05 + capacity / n;
	s->expected_low = (low_capacity ? window_hit_ratio(s, low_capacity) : s->expected_hit_ratio) - tolerance;
	s->expected_high = s->expected_hit_ratio + tolerance;
}

static int caches_check(cy_workload_run *run, char *why, size_t len)
{
	caches_state *s = run->state;
	int64_t lookups = 0, hits = 0, bad = 0;
	for (unsigned i = 0; i < run->threads; i++) {
		lookups += s->tally[i].a;
		hits += s->tally[i].b;
		bad += s->tally[i].c;
	}
	size_t entries = 0, bound = 0;
	for (size_t i = 0; i < s->segments; i++) {
		cache_segment *g = &s->segment[i];
		entries += g->count;
		bound += g->bound;
		if (g->bound && g->max_count > g->bound) {
			snprintf(why, len, "segment %zu held %zu entries, above its bound of %zu", i, g->max_count, g->bound);
			return -1;
		}
	}
	if (s->variant == CACHE_LRU && bound > s->size) {
		snprintf(why, len, "segment bounds add up to %zu, above size=%zu", bound, s->size);
		return -1;
	}
	if (bad) {
		snprintf(why, len, "%lld lookups found a value filed under another key (or memory ran out)", (long long)bad);
		return -1;
	}
	if (lookups == 0)
		return 0;
	double ratio = (double)hits / (double)lookups;
	expected_hits(s, lookups, run->threads);
	cy_workload_metric(run, "hit_ratio", ratio);
	cy_workload_metric(run, "expected_hit_ratio", s->expected_hit_ratio);
	if (s->variant != CACHE_WEAK)
		cy_workload_metric(run, "entries", (double)entries);
	if (ratio < s->expected_low || ratio > s->expected_high) {
		snprintf(why, len, "hit ratio %.4f is outside [%.4f, %.4f], what skew implies for this cache", ratio,
			s->expected_low, s->expected_high);
		return -1;
	}
	return 0;
}

/* ---- setup and teardown ------------------------------------------------------------ */

static size_t power_of_two_at_least(size_t n)
{
	size_t p = 16;
	while (p < n)
		p *= 2;
	return p;
}

static void caches_teardown(cy_workload_run *run);

static int caches_fail(cy_workload_run *run, const char *why)
{
	caches_teardown(run);
	cy_workload_error(run, "caches: %s", why);
	return -1;
}

static int caches_setup(cy_workload_run *run)
{
	caches_state *s = cy_scenario_state_new(sizeof *s);
	if (!s) {
		cy_workload_error(run, "caches: out of memory");
		return -1;
	}
	run->state = s;
	pthread_mutex_init(&s->retired_lock, NULL);
	const char *variant = cy_param_choice(run, "variant"), *sync = cy_param_choice(run, "sync");
	s->variant = strcmp(variant, "lru") == 0 ? CACHE_LRU : strcmp(variant, "weak") == 0 ? CACHE_WEAK : CACHE_UNBOUNDED;
	s->sync = strcmp(sync, "striped") == 0 ? SYNC_STRIPED : strcmp(sync, "rcu") == 0 ? SYNC_RCU : SYNC_GLOBAL;
	s->size = (size_t)cy_param_int(run, "size");
	s->keys = (size_t)cy_param_int(run, "keys");
	s->value_bytes = (size_t)cy_param_int(run, "value_bytes");
	double skew = cy_param_float(run, "skew");
	if (s->variant == CACHE_WEAK && s->sync == SYNC_RCU)
		return caches_fail(run, "variant=weak takes sync=global or sync=striped (the weak-value dictionary has its own lock)");
	s->borrow = strcmp(cy_param_choice(run, "hold"), "borrow") == 0;
	if (s->borrow && s->sync != SYNC_RCU)
		return caches_fail(run, "hold=borrow takes sync=rcu (a borrowed value stays valid only until a grace period)");

	s->segments = s->sync == SYNC_GLOBAL ? 1 : (size_t)cy_param_int(run, "stripes");
	if (s->variant == CACHE_LRU && s->segments > s->size)
		s->segments = s->size; /* every segment holds at least one entry */

	if (!(s->cdf = malloc(s->keys * sizeof *s->cdf)))
		return caches_fail(run, "out of memory for the key distribution");
	double total = 0;
	for (size_t i = 0; i < s->keys; i++)
		s->cdf[i] = (total += pow((double)(i + 1), -skew));
	for (size_t i = 0; i < s->keys; i++)
		s->cdf[i] /= total;
	s->cdf[s->keys - 1] = 1.0;

	if (!(s->segment = calloc(s->segments, sizeof *s->segment)))
		return caches_fail(run, "out of memory for the segments");
	size_t per_segment = s->variant == CACHE_LRU ? s->size / s->segments : 0;
	size_t expected_entries = per_segment ? per_segment : s->keys / s->segments + 1;
	for (size_t i = 0; i < s->segments; i++) {
		cache_segment *g = &s->segment[i];
		g->bound = per_segment;
		g->lru.newer = g->lru.older = &g->lru;
		if (s->variant == CACHE_WEAK) {
			if (!(g->weakdict = cy_weakdict_new()))
				return caches_fail(run, "out of memory for the weak-value dictionaries");
		} else if (s->sync == SYNC_RCU) {
			if (g->bound && !(g->clock = calloc(g->bound, sizeof *g->clock)))
				return caches_fail(run, "out of memory for the CLOCK rings");
		} else {
			size_t buckets = power_of_two_at_least(expected_entries);
			if (!(g->buckets = calloc(buckets, sizeof *g->buckets)))
				return caches_fail(run, "out of memory for the hash tables");
			g->bucket_mask = buckets - 1;
		}
	}
	if (s->sync == SYNC_RCU) {
		size_t buckets = power_of_two_at_least(per_segment ? s->size : s->keys);
		s->table = cds_lfht_new_flavor(buckets, buckets, buckets, 0, &urcu_qsbr_flavor, NULL);
		if (!s->table)
			return caches_fail(run, "cannot create the RCU hash table");
	}
	return 0;
}

static void caches_teardown(cy_workload_run *run)
{
	caches_state *s = run->state;
	if (!s)
		return;
	cache_entry *all = NULL;
	if (s->table) {
		/*
		 * Wait, offline, for every retirement in flight (a grace period
		 * needs no help from us). Counted rather than rcu_barrier: that
		 * waits for every callback of the process, the runtime's too.
		 */
		cy_blocking_begin();
		while (cy_atomic_load_acquire(&s->retiring) > 0)
			usleep(100);
		cy_blocking_end();
		release_retired(s, NULL);
		struct cds_lfht_iter iter;
		cache_entry *e;
		urcu_qsbr_read_lock();
		cds_lfht_for_each_entry (s->table, &iter, e, node) {
			cds_lfht_del(s->table, &e->node);
			e->chain = all;
			all = e;
		}
		urcu_qsbr_read_unlock();
		cy_blocking_begin();
		cds_lfht_destroy(s->table, NULL);
		cy_blocking_end();
	}
	for (size_t i = 0; s->segment && i < s->segments; i++) {
		cache_segment *g = &s->segment[i];
		if (g->buckets) {
			for (size_t b = 0; b <= g->bucket_mask; b++) {
				for (cache_entry *e = g->buckets[b], *next; e; e = next) {
					next = e->chain;
					e->chain = all;
					all = e;
				}
			}
		}
		cy_xdecref(g->weakdict);
		free(g->buckets);
		free(g->clock);
	}
	/* No thread can reach these entries any more: release their values. */
	while (all) {
		cache_entry *next = all->chain;
		entry_release(all);
		all = next;
	}
	pthread_mutex_destroy(&s->retired_lock);
	free(s->segment);
	free(s->cdf);
	free(s);
	run->state = NULL;
}

const cy_workload_ops CY_SYM(cy_caches_ops) = {
	.setup = caches_setup,
	.thread = caches_thread,
	.check = caches_check,
	.teardown = caches_teardown,
};

#if CY_RC_VARIANT == 0
CY_WORKLOAD_DECLARE_OPS(cy_caches_ops);

static const cy_param_spec caches_params[] = {
	{.name = "variant", .kind = CY_PARAM_CHOICE, .default_value = "lru", .choices = "unbounded|lru|weak",
		.doc = "unbounded (never evicts), lru (at most `size` entries), weak (weak-value dictionary)"},
	{.name = "sync", .kind = CY_PARAM_CHOICE, .default_value = "rcu", .choices = "global|striped|rcu",
		.doc = "one global lock, striped locks, or lock-free RCU lookups (liburcu's cds_lfht)"},
	{.name = "size", .kind = CY_PARAM_INT, .default_value = "10000", .min = 1, .max = 1e9,
		.doc = "lru: entries at most; weak: values the threads keep using between them"},
	{.name = "keys", .kind = CY_PARAM_INT, .default_value = "100000", .min = 1, .max = 1e9,
		.doc = "key space the Zipf distribution ranges over"},
	{.name = "skew", .kind = CY_PARAM_FLOAT, .default_value = "1.0", .min = 0, .max = 5,
		.doc = "Zipf exponent: P(rank r) proportional to 1/(r+1)^skew (0: uniform)"},
	{.name = "hold", .kind = CY_PARAM_CHOICE, .default_value = "reference", .choices = "reference|borrow",
		.doc = "a hit counts a reference to the value, or (rcu) borrows it until the next safepoint"},
	{.name = "stripes", .kind = CY_PARAM_INT, .default_value = "16", .min = 1, .max = 65536,
		.doc = "segments (each its own lock and share of size) for sync=striped and sync=rcu"},
	{.name = "value_bytes", .kind = CY_PARAM_INT, .default_value = "64", .min = 8, .max = 1048576,
		.doc = "bytes in each cached value (a bytes object)"},
};

const cy_workload_def cy_workload_caches = {
	.name = "caches",
	.summary = "a cache shared by all threads, Zipf keys: unbounded, LRU or weak-value; global, striped or RCU",
	.help = "Each operation draws a key from a Zipf distribution (`skew` over `keys` keys), looks it "
		"up in a cache all threads share and, on a miss, makes the value and files it. "
		"variant=unbounded never evicts; lru holds at most `size` entries (LRU under locks, "
		"CLOCK under RCU); weak is a weak-value dictionary whose entries live while some "
		"thread still uses the value (each keeps its last size/threads). sync=global is one "
		"lock, striped `stripes` locks by key hash, rcu lock-free lookups in liburcu's RCU "
		"hash table with segment-locked inserts; with hold=borrow an RCU hit uses the value "
		"until the thread's next safepoint without counting a reference. Reports hit_ratio "
		"and the ratio the skew implies (expected_hit_ratio); check() requires them to agree.",
	.op_name = "lookup",
	.params = caches_params,
	.param_count = sizeof caches_params / sizeof caches_params[0],
	.ops = CY_WORKLOAD_OPS(cy_caches_ops),
};
#endif
