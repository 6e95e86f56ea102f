/*
 * handoff.c: the `handoff` workload: objects made on one thread and
 * released on another, through bounded queues.
 *
 * Threads pair up: thread 2k produces into queue k and thread 2k+1
 * consumes from it; with an odd count the last thread, and with one thread
 * thread 0, produces and consumes on its own queue (the same work with no
 * handoff, the baseline). A producer makes `batch` objects (a tuple of two
 * ints: three objects, owned by the producer), pushes them under the
 * queue's lock and goes on; the consumer pops up to `batch`, reads each and
 * releases it. Every release on the consumer is a release of an object
 * another thread owns and allocated:
 *
 *  - biased counting (Choi et al., PACT 2018; PEP 703): the consumer's
 *    decrement goes to the shared count, which reaches a negative value
 *    with the owner's local count still 1, so the object is queued to its
 *    owner and freed at the producer's next safepoint, after the merge;
 *  - the pools: the storage goes back to the producer's pages from another
 *    thread (pool.c's remote free list), mimalloc-style.
 *
 * Counting: a producer counts each object it makes, a consumer each object
 * it releases, so an object handed over counts twice and `--ops N` moves
 * about N/2 objects (the producing and consuming thread of a pair do
 * comparable work: both sides' rates are what the workload measures).
 *
 * Queue: a ring of `capacity` slots under a cy_oblock. Decrements never
 * happen under it (lock.h's rule): a consumer copies pointers out, unlocks,
 * then releases. A producer that finds the queue full, or a consumer that
 * finds it empty, polls its safepoint and yields; it gives up when its
 * partner has finished (producer_done / consumer_done, release stores read
 * with acquire), so a run with --ops or --duration always ends. Objects
 * left in a queue when a consumer stops early are released by teardown.
 *
 * Sharing: queue k is touched by its two threads under its lock; the done
 * flags are atomics. Tallies are per thread.
 *
 * Compiled once per reference-counting mode (runtime/variant.h).
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "runtime/lock.h"
#include "runtime/types.h"
#include "runtime/variant.h"
#include "workloads/scenarios.h"

typedef struct handoff_queue {
	cy_oblock lock; /* held for a few stores: spins briefly before sleeping */
	cy_object **slots;
	size_t capacity;
	size_t head;  /* under lock: next slot to pop */
	size_t count; /* under lock: objects queued */
	int producer_done; /* atomic */
	int consumer_done; /* atomic */
	char pad[64];
} handoff_queue;

typedef struct handoff_state {
	size_t batch;
	size_t queues;
	handoff_queue *queue;
	cy_tally tally[CY_WORKLOAD_MAX_THREADS]; /* a: made, b: released, c: bad payloads or OOM */
} handoff_state;

/* Push up to n of items[0..n) (in order); returns how many went in. */
static size_t queue_push(handoff_queue *q, cy_object **items, size_t n)
{
	cy_oblock_lock(&q->lock);
	size_t room = q->capacity - q->count, k = n < room ? n : room;
	for (size_t i = 0; i < k; i++)
		q->slots[(q->head + q->count + i) % q->capacity] = items[i];
	q->count += k;
	cy_oblock_unlock(&q->lock);
	return k;
}

/* Pop up to n into out; returns how many. The caller releases them after. */
static size_t queue_pop(handoff_queue *q, cy_object **out, size_t n)
{
	cy_oblock_lock(&q->lock);
	size_t k = n < q->count ? n : q->count;
	for (size_t i = 0; i < k; i++)
		out[i] = q->slots[(q->head + i) % q->capacity];
	q->head = (q->head + k) % q->capacity;
	q->count -= k;
	cy_oblock_unlock(&q->lock);
	return k;
}

static void handoff_teardown(cy_workload_run *run);

static int handoff_setup(cy_workload_run *run)
{
	handoff_state *s = cy_scenario_state_new(sizeof *s);
	if (!s) {
		cy_workload_error(run, "handoff: out of memory");
		return -1;
	}
	run->state = s;
	s->batch = (size_t)cy_param_int(run, "batch");
	size_t capacity = (size_t)cy_param_int(run, "capacity");
	if (capacity < s->batch)
		capacity = s->batch; /* a self-handoff pushes a whole batch before popping it */
	s->queues = run->threads / 2 + run->threads % 2;
	s->queue = calloc(s->queues, sizeof *s->queue);
	if (!s->queue) {
		handoff_teardown(run);
		cy_workload_error(run, "handoff: out of memory");
		return -1;
	}
	for (size_t i = 0; i < s->queues; i++) {
		s->queue[i].capacity = capacity;
		s->queue[i].slots = malloc(capacity * sizeof(cy_object *));
		if (!s->queue[i].slots) {
			handoff_teardown(run);
			cy_workload_error(run, "handoff: out of memory for %zu queue slots", capacity);
			return -1;
		}
	}
	return 0;
}

/* Make n handed-off objects: (sequence number, its square). Returns how many were made. */
static size_t make_items(cy_object **items, size_t n, int64_t *sequence)
{
	for (size_t i = 0; i < n; i++) {
		int64_t v = (*sequence)++;
		cy_object *pair = cy_tuple_new(2), *first = cy_int_new(v), *second = cy_int_new(v * v);
		if (pair && first && second) {
			cy_tuple_init_item(pair, 0, first);
			cy_tuple_init_item(pair, 1, second);
		}
		cy_xdecref(first);
		cy_xdecref(second);
		if (!pair || !first || !second) {
			cy_xdecref(pair);
			return i;
		}
		items[i] = pair;
	}
	return n;
}

/* Read and release n items; returns how many did not hold (v, v*v). */
static int64_t release_items(cy_object **items, size_t n)
{
	int64_t bad = 0;
	for (size_t i = 0; i < n; i++) {
		cy_object *first = cy_tuple_get(items[i], 0), *second = cy_tuple_get(items[i], 1);
		int64_t v = first ? cy_int_value(first) : -1;
		if (!first || !second || cy_int_value(second) != v * v)
			bad++;
		cy_xdecref(first);
		cy_xdecref(second);
		cy_decref(items[i]);
	}
	return bad;
}

static void wait_a_little(void)
{
	cy_safepoint();
	sched_yield();
}

static void produce(cy_workload_run *run, unsigned index, handoff_queue *q, cy_tally *t, cy_object **items, size_t batch)
{
	int64_t sequence = 0, n;
	while ((n = cy_workload_next_batch(run, index, (int64_t)batch)) > 0) {
		size_t made = make_items(items, (size_t)n, &sequence);
		if (made < (size_t)n)
			t->c++;
		size_t pushed = 0;
		while (pushed < made) {
			pushed += queue_push(q, items + pushed, made - pushed);
			if (pushed < made) {
				if (cy_atomic_load_acquire(&q->consumer_done))
					break;
				wait_a_little();
			}
		}
		if (pushed < made)
			release_items(items + pushed, made - pushed); /* nobody will take them */
		t->a += (int64_t)made;
		cy_workload_count(run, index, (int64_t)made);
		cy_safepoint();
		if (made < (size_t)n || pushed < made)
			break;
	}
	cy_atomic_store_release(&q->producer_done, 1);
}

static void consume(cy_workload_run *run, unsigned index, handoff_queue *q, cy_tally *t, cy_object **items, size_t batch)
{
	int64_t n;
	while ((n = cy_workload_next_batch(run, index, (int64_t)batch)) > 0) {
		size_t got = queue_pop(q, items, (size_t)n);
		if (got == 0) {
			if (!cy_atomic_load_acquire(&q->producer_done)) {
				wait_a_little();
				continue;
			}
			/* The producer has finished: what it pushed before that is visible now. */
			if ((got = queue_pop(q, items, (size_t)n)) == 0)
				break;
		}
		t->c += release_items(items, got);
		t->b += (int64_t)got;
		cy_workload_count(run, index, (int64_t)got);
		cy_safepoint();
	}
	cy_atomic_store_release(&q->consumer_done, 1);
}

/* One thread on its own queue: the same objects and queue operations, no handoff. */
static void produce_and_consume(cy_workload_run *run, unsigned index, handoff_queue *q, cy_tally *t, cy_object **items,
	size_t batch)
{
	int64_t sequence = 0, n;
	/* Each object counts twice, as in a pair: made and released. */
	while ((n = cy_workload_next_batch(run, index, 2 * (int64_t)batch)) > 0) {
		size_t want = (size_t)(n + 1) / 2, made = make_items(items, want, &sequence);
		size_t pushed = queue_push(q, items, made); /* capacity >= batch: all of them */
		size_t got = queue_pop(q, items, pushed);
		t->c += release_items(items, got) + (made < want);
		t->a += (int64_t)made;
		t->b += (int64_t)got;
		/* An odd n (the end of the share) makes one object more than n/2 and counts it once. */
		cy_workload_count(run, index, made < want ? (int64_t)(made + got) : n);
		cy_safepoint();
		if (made < want)
			break;
	}
}

static void handoff_thread(cy_workload_run *run, unsigned index)
{
	handoff_state *s = run->state;
	cy_object **items = malloc(s->batch * sizeof *items);
	if (!items) {
		s->tally[index].c++;
		return;
	}
	handoff_queue *q = &s->queue[index / 2];
	if (run->threads == 1 || (run->threads % 2 == 1 && index == run->threads - 1))
		produce_and_consume(run, index, q, &s->tally[index], items, s->batch);
	else if (index % 2 == 0)
		produce(run, index, q, &s->tally[index], items, s->batch);
	else
		consume(run, index, q, &s->tally[index], items, s->batch);
	free(items);
}

static int handoff_check(cy_workload_run *run, char *why, size_t len)
{
	handoff_state *s = run->state;
	int64_t made = 0, released = 0, bad = 0, queued = 0;
	for (unsigned i = 0; i < run->threads; i++) {
		made += s->tally[i].a;
		released += s->tally[i].b;
		bad += s->tally[i].c;
	}
	for (size_t i = 0; i < s->queues; i++)
		queued += (int64_t)s->queue[i].count;
	if (bad) {
		snprintf(why, len, "%lld handed-off objects arrived damaged (or memory ran out)", (long long)bad);
		return -1;
	}
	/* Producers release what they could not push themselves: made = released + queued + those. */
	if (released + queued > made) {
		snprintf(why, len, "%lld objects released or queued but only %lld made", (long long)(released + queued),
			(long long)made);
		return -1;
	}
	return 0;
}

static void handoff_teardown(cy_workload_run *run)
{
	handoff_state *s = run->state;
	if (!s)
		return;
	for (size_t i = 0; s->queue && i < s->queues; i++) {
		handoff_queue *q = &s->queue[i];
		cy_object *item;
		while (q->slots && queue_pop(q, &item, 1) == 1)
			cy_decref(item);
		free(q->slots);
	}
	free(s->queue);
	free(s);
	run->state = NULL;
}

const cy_workload_ops CY_SYM(cy_handoff_ops) = {
	.setup = handoff_setup,
	.thread = handoff_thread,
	.check = handoff_check,
	.teardown = handoff_teardown,
};

#if CY_RC_VARIANT == 0
CY_WORKLOAD_DECLARE_OPS(cy_handoff_ops);

static const cy_param_spec handoff_params[] = {
	{.name = "batch", .kind = CY_PARAM_INT, .default_value = "64", .min = 1, .max = 65536,
		.doc = "objects moved per queue lock acquisition"},
	{.name = "capacity", .kind = CY_PARAM_INT, .default_value = "4096", .min = 1, .max = 16777216,
		.doc = "slots per queue (a full queue makes its producer wait)"},
};

const cy_workload_def cy_workload_handoff = {
	.name = "handoff",
	.summary = "producers make objects that consumers release on other threads, through bounded queues",
	.help = "Half the threads produce and half consume, in pairs sharing a bounded lock-protected "
		"queue: each object (a tuple of two ints) is made on the producer and released on the "
		"consumer, which exercises biased counting's queued merges and the pools' frees from "
		"another thread. With one thread (or the odd thread out) a thread produces and "
		"consumes on its own queue. An operation is one end of a handoff: a producer counts "
		"each object it makes, a consumer each it releases.",
	.op_name = "object made or released",
	.params = handoff_params,
	.param_count = sizeof handoff_params / sizeof handoff_params[0],
	.ops = CY_WORKLOAD_OPS(cy_handoff_ops),
};
#endif
