/*
 * alloc.c: the allocation backend switch, and deferred free.
 *
 * The backend is a process-wide setting read with a relaxed load on every
 * call; it changes only while nothing allocated through it is live, so a
 * block is always freed by the backend that made it. The pool is tested
 * first, inline in alloc.h; malloc, mimalloc and jemalloc are called out of
 * line, the last two through the function pointers sysalloc.c filled in
 * when they were selected.
 *
 * Deferred free, on liburcu's QSBR flavour (the runtime's: thread.h). Each
 * thread collects the blocks it defers in a batch of its own: an array of
 * (pointer, size) pairs in a malloc'd block with one rcu_head. A full batch,
 * or one flushed explicitly or at thread exit, goes to urcu_qsbr_call_rcu,
 * whose worker thread frees every block after the next grace period. Why
 * call_rcu and batches:
 *  - call_rcu never blocks the mutator, whereas synchronize_rcu would stall
 *    it for a grace period, which lasts until every other mutator has
 *    passed a safepoint.
 *  - One rcu_head per object would have to live in the dead object, and
 *    writing it would clobber the header that a concurrent reader may still
 *    be reading; the batch keeps the dead block untouched until it is
 *    freed, and costs one call_rcu per 256 blocks instead of one per block.
 * call_rcu must be called by a thread that is online for QSBR. A thread
 * that is not (it never registered, it is in a blocking region, or it is
 * unregistering) waits for the grace period itself with
 * urcu_qsbr_synchronize_rcu, which is allowed offline and costs such a
 * thread nothing it was using.
 *
 * The worker's frees are frees from another thread: lock-free pushes onto
 * the blocks' pages (pool.c). liburcu's own queue is not instrumented for
 * ThreadSanitizer, so each batch carries a flag stored with release before
 * call_rcu and read with acquire by the callback: the hand-off becomes
 * visible to it (it happens anyway through liburcu's barriers).
 */
#include "alloc.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomics.h"
#include "name_table.h"
#include "pool.h"
#include "sysalloc.h"
#include "thread.h"

cy_alloc_kind cy_alloc_kind_selected = CY_ALLOC_DEFAULT;
static char select_error[600];

static const char *const alloc_names[CY_ALLOC_KIND_COUNT] = {
	[CY_ALLOC_MALLOC] = "malloc",
	[CY_ALLOC_POOL] = "pool",
	[CY_ALLOC_MIMALLOC] = "mimalloc",
	[CY_ALLOC_JEMALLOC] = "jemalloc",
};

int cy_alloc_select(cy_alloc_kind kind)
{
	int result = 0;
	select_error[0] = '\0';
	switch (kind) {
	case CY_ALLOC_MALLOC:
	case CY_ALLOC_POOL:
		break;
	case CY_ALLOC_MIMALLOC:
		result = cy_sysalloc_open_mimalloc();
		break;
	case CY_ALLOC_JEMALLOC:
		result = cy_sysalloc_open_jemalloc();
		break;
	default:
		snprintf(select_error, sizeof select_error, "unknown allocator %d", (int)kind);
		return -1;
	}
	if (result != 0) {
		snprintf(select_error, sizeof select_error, "--alloc %s: %s", alloc_names[kind], cy_sysalloc_error());
		return -1;
	}
	cy_atomic_store_relaxed(&cy_alloc_kind_selected, kind);
	return 0;
}

const char *cy_alloc_error(void) { return select_error; }

cy_alloc_kind cy_alloc_selected(void) { return cy_atomic_load_relaxed(&cy_alloc_kind_selected); }

const char *cy_alloc_name(cy_alloc_kind kind) { return cy_name_of(alloc_names, CY_ALLOC_KIND_COUNT, (int)kind); }

int cy_alloc_parse(const char *name) { return cy_name_index(alloc_names, CY_ALLOC_KIND_COUNT, name); }

void *cy_mem_alloc_other(cy_alloc_kind kind, size_t size)
{
	switch (kind) {
	case CY_ALLOC_MIMALLOC: return cy_sys_mimalloc.malloc(size);
	case CY_ALLOC_JEMALLOC: return cy_sys_jemalloc.malloc(size);
	default: return malloc(size);
	}
}

void cy_mem_free_other(cy_alloc_kind kind, void *p, size_t size)
{
	switch (kind) {
	case CY_ALLOC_MIMALLOC: cy_sys_mimalloc.free(p); break;
	case CY_ALLOC_JEMALLOC: cy_sys_jemalloc.free_sized(p, size, 0); break;
	default: free(p); break;
	}
}

/* Free with the backend that was selected when p was allocated (a deferred batch records it). */
static void free_with(cy_alloc_kind kind, void *p, size_t size)
{
	if (CY_LIKELY(kind == CY_ALLOC_POOL))
		cy_pool_free(p, size);
	else
		cy_mem_free_other(kind, p, size);
}

void cy_alloc_release_memory(void)
{
	switch (cy_alloc_selected()) {
	case CY_ALLOC_POOL:
		cy_pool_collect(CY_POOL_RELEASE_ALL);
		malloc_trim(0);
		break;
	case CY_ALLOC_MALLOC: malloc_trim(0); break;
	case CY_ALLOC_MIMALLOC: cy_sys_mimalloc.collect(1); break;
	case CY_ALLOC_JEMALLOC: {
		/* "arena.<MALLCTL_ARENAS_ALL>.purge": 4096 names every arena. */
		cy_sys_jemalloc.mallctl("arena.4096.purge", NULL, NULL, NULL, 0);
		break;
	}
	}
}

/* ---- deferred free ------------------------------------------------------ */

#define DEFERRED_BATCH 256

typedef struct deferred_batch {
	struct rcu_head rcu;
	int ready;         /* ATOMIC: release before call_rcu, acquire in the callback */
	cy_alloc_kind kind; /* the backend every block in the batch came from */
	unsigned count;
	struct {
		void *p;
		size_t size;
	} entries[DEFERRED_BATCH];
} deferred_batch;

static _Thread_local deferred_batch *tls_batch;
static pthread_once_t batch_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t batch_key; /* set while a thread has a batch: flushes it at thread exit */
static int64_t deferred_handed_over, deferred_freed; /* ATOMIC */
static uint64_t reader_quiescent_states; /* ATOMIC: release by readers, acquire before a batch is freed */

static void batch_key_destructor(void *batch)
{
	(void)batch;
	cy_mem_deferred_flush();
}

static void batch_key_create(void)
{
	if (pthread_key_create(&batch_key, batch_key_destructor) != 0) {
		fprintf(stderr, "cyclab: pthread_key_create failed\n");
		abort();
	}
}

static void batch_free(deferred_batch *batch)
{
	for (unsigned i = 0; i < batch->count; i++)
		free_with(batch->kind, batch->entries[i].p, batch->entries[i].size);
	cy_atomic_fetch_add_relaxed(&deferred_freed, (int64_t)batch->count);
	free(batch);
}

static void batch_after_grace_period(struct rcu_head *head)
{
	deferred_batch *batch = caa_container_of(head, deferred_batch, rcu);
	(void)cy_atomic_load_acquire(&batch->ready); /* paired with the release in cy_mem_deferred_flush */
	(void)cy_atomic_load_acquire(&reader_quiescent_states); /* paired with cy_mem_reader_quiescent */
	batch_free(batch);
}

void cy_mem_reader_quiescent(void)
{
	cy_atomic_fetch_add_release(&reader_quiescent_states, 1);
}

void cy_mem_deferred_flush(void)
{
	deferred_batch *batch = tls_batch;
	if (!batch)
		return;
	tls_batch = NULL;
	pthread_setspecific(batch_key, NULL);
	cy_atomic_fetch_add_relaxed(&deferred_handed_over, (int64_t)batch->count);
	if (urcu_qsbr_read_ongoing()) {
		cy_atomic_store_release(&batch->ready, 1);
		urcu_qsbr_call_rcu(&batch->rcu, batch_after_grace_period);
	} else {
		urcu_qsbr_synchronize_rcu();
		batch_free(batch);
	}
}

void cy_mem_free_deferred(void *p, size_t size)
{
	if (!p)
		return;
	cy_alloc_kind kind = cy_atomic_load_relaxed(&cy_alloc_kind_selected);
	deferred_batch *batch = tls_batch;
	if (batch && batch->kind != kind) {
		cy_mem_deferred_flush();
		batch = NULL;
	}
	if (!batch) {
		batch = malloc(sizeof *batch);
		if (!batch) {
			/* No memory for a batch: wait for the grace period here instead. */
			int online = urcu_qsbr_read_ongoing();
			if (online)
				urcu_qsbr_thread_offline();
			urcu_qsbr_synchronize_rcu();
			if (online)
				urcu_qsbr_thread_online();
			free_with(kind, p, size);
			return;
		}
		batch->ready = 0;
		batch->kind = kind;
		batch->count = 0;
		pthread_once(&batch_key_once, batch_key_create);
		pthread_setspecific(batch_key, batch);
		tls_batch = batch;
	}
	batch->entries[batch->count].p = p;
	batch->entries[batch->count].size = size;
	if (++batch->count == DEFERRED_BATCH)
		cy_mem_deferred_flush();
}

void cy_mem_deferred_barrier(void)
{
	cy_mem_deferred_flush();
	urcu_qsbr_barrier(); /* goes offline for QSBR meanwhile if the caller is online */
}

void cy_mem_deferred_stats_get(cy_mem_deferred_stats *out)
{
	out->handed_over = cy_atomic_load_relaxed(&deferred_handed_over);
	out->freed = cy_atomic_load_relaxed(&deferred_freed);
}

void cy_alloc_thread_done(void)
{
	cy_mem_deferred_flush();
	cy_pool_thread_done();
}
