/*
 * pool_bench.c: what allocation costs, cyclab's pools against glibc,
 * mimalloc and jemalloc, measured in one run (the program micro_pool).
 *
 *   pool_batch/ALLOC      1,000 objects of mixed sizes, 16..256 bytes (a
 *                         fixed pseudo-random sequence), allocated, then
 *                         freed in the same order; time per alloc+free pair.
 *   pool_single32/ALLOC   one 32-byte object allocated and freed, in a loop.
 *   pool_xthread/ALLOC    producer and consumer: even threads allocate
 *                         (the same size sequence) and pass each object
 *                         through a single-producer, single-consumer ring
 *                         to the next odd thread, which frees it: the
 *                         cross-thread free path. 2 threads (one pair) and
 *                         4 (two pairs); wall-clock time per object.
 *
 * ALLOC is one of
 *   pool      cy_pool_alloc / cy_pool_free, their fast paths inlined, as
 *             the runtime's object code gets them;
 *   pool_call the same through cy_mem_alloc / cy_mem_free, the runtime's
 *             backend switch: one call and one predictable branch more;
 *   glibc     malloc / free;
 *   mimalloc  mi_malloc / mi_free, loaded with dlopen (sysalloc.h), so
 *             called through a pointer, as a PLT call would be;
 *   jemalloc  malloc / sdallocx (sized free), likewise.
 * Every allocator runs the same loop (one always-inline body per shape,
 * instantiated per allocator), and every pointer escapes to an empty asm,
 * so no allocation can be optimised away. bench/micro/pool-report prints the
 * medians and the ratios against each other allocator.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/micro/harness.h"
#include "bench/version.h"
#include "runtime/alloc.h"
#include "runtime/atomics.h"
#include "runtime/pool.h"
#include "runtime/sysalloc.h"

#define BATCH 1000
#define SINGLE_PER_BATCH 1000
#define RING_SLOTS 1024 /* a power of two */
#define MAX_PAIRS 2
#define SPINS_BEFORE_YIELD 64

/* The sizes of a batch: fixed pseudo-random numbers in 16..256, shared by every allocator. */
static size_t batch_sizes[BATCH];

static void make_sizes(void)
{
	uint64_t x = 20261124;
	for (int i = 0; i < BATCH; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		batch_sizes[i] = 16 + (size_t)(x % 241);
	}
}

/* The pointer escapes: the compiler must assume it is read, so the allocation stays. */
#define ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")

typedef void *alloc_fn(size_t size);
typedef void free_fn(void *p, size_t size);

/* ---- the measured loops, one body per shape ---------------------------- */

static inline __attribute__((always_inline)) void batch_body(cy_bench_state *s, alloc_fn *alloc, free_fn *release)
{
	void *objects[BATCH];
	while (cy_bench_keep_running_batch(s, BATCH)) {
		for (int i = 0; i < BATCH; i++) {
			objects[i] = alloc(batch_sizes[i]);
			ESCAPE(objects[i]);
		}
		for (int i = 0; i < BATCH; i++)
			release(objects[i], batch_sizes[i]);
	}
}

static inline __attribute__((always_inline)) void single_body(cy_bench_state *s, alloc_fn *alloc, free_fn *release)
{
	while (cy_bench_keep_running_batch(s, SINGLE_PER_BATCH)) {
		for (int i = 0; i < SINGLE_PER_BATCH; i++) {
			void *p = alloc(32);
			ESCAPE(p);
			release(p, 32);
		}
	}
}

/*
 * A single-producer, single-consumer ring. Each side keeps its own index
 * and a cached copy of the other's, refreshed only when the ring looks full
 * (producer) or empty (consumer), and publishes its index every PUBLISH
 * objects (and at the end of each batch), so that the ring's own cache-line
 * traffic is small beside the allocator's. tail is stored with release
 * after the slots are written, and read with acquire by the consumer; head
 * likewise the other way. Each index has its own cache line.
 */
#define PUBLISH 32

typedef struct ring {
	uint64_t tail __attribute__((aligned(64))); /* ATOMIC: written by the producer */
	uint64_t head __attribute__((aligned(64))); /* ATOMIC: written by the consumer */
	void *slots[RING_SLOTS] __attribute__((aligned(64)));
} ring;

static ring rings[MAX_PAIRS];

static void wait_a_little(unsigned *spins)
{
	if (++*spins >= SPINS_BEFORE_YIELD) {
		*spins = 0;
		sched_yield(); /* 2 cores, up to 4 threads: let the other side run */
	}
}

static inline __attribute__((always_inline)) void producer_body(cy_bench_state *s, ring *r, alloc_fn *alloc)
{
	uint64_t tail = cy_atomic_load_relaxed(&r->tail);
	uint64_t head = cy_atomic_load_acquire(&r->head);
	while (cy_bench_keep_running_batch(s, BATCH)) {
		for (int i = 0; i < BATCH; i++) {
			void *p = alloc(batch_sizes[i]);
			ESCAPE(p);
			unsigned spins = 0;
			while (tail - head == RING_SLOTS) {
				cy_atomic_store_release(&r->tail, tail);
				head = cy_atomic_load_acquire(&r->head); /* paired with the consumer's release */
				if (tail - head == RING_SLOTS)
					wait_a_little(&spins);
			}
			r->slots[tail % RING_SLOTS] = p;
			tail++;
			if (tail % PUBLISH == 0 || i == BATCH - 1)
				cy_atomic_store_release(&r->tail, tail);
		}
	}
	cy_bench_set_items_processed(s, cy_bench_iterations(s));
}

static inline __attribute__((always_inline)) void consumer_body(cy_bench_state *s, ring *r, free_fn *release)
{
	uint64_t head = cy_atomic_load_relaxed(&r->head);
	uint64_t tail = cy_atomic_load_acquire(&r->tail);
	while (cy_bench_keep_running_batch(s, BATCH)) {
		for (int i = 0; i < BATCH; i++) {
			unsigned spins = 0;
			while (head == tail) {
				cy_atomic_store_release(&r->head, head);
				tail = cy_atomic_load_acquire(&r->tail); /* paired with the producer's release */
				if (head == tail)
					wait_a_little(&spins);
			}
			release(r->slots[head % RING_SLOTS], batch_sizes[i]);
			head++;
			if (head % PUBLISH == 0)
				cy_atomic_store_release(&r->head, head);
		}
	}
	cy_atomic_store_release(&r->head, head);
}

/* ---- one copy of each loop per allocator -------------------------------- */

/* Inlined into each loop (the calls are direct once the body is instantiated). */
#define WRAPPER static inline __attribute__((always_inline))

WRAPPER void *pool_alloc(size_t size) { return cy_pool_alloc(size); }
WRAPPER void pool_free(void *p, size_t size) { cy_pool_free(p, size); }
WRAPPER void *pool_call_alloc(size_t size) { return cy_mem_alloc(size); }
WRAPPER void pool_call_free(void *p, size_t size) { cy_mem_free(p, size); }
WRAPPER void *glibc_alloc(size_t size) { return malloc(size); }
WRAPPER void glibc_free(void *p, size_t size)
{
	(void)size;
	free(p);
}
WRAPPER void *mimalloc_alloc(size_t size) { return cy_sys_mimalloc.malloc(size); }
WRAPPER void mimalloc_free(void *p, size_t size)
{
	(void)size;
	cy_sys_mimalloc.free(p);
}
WRAPPER void *jemalloc_alloc(size_t size) { return cy_sys_jemalloc.malloc(size); }
WRAPPER void jemalloc_free(void *p, size_t size) { cy_sys_jemalloc.free_sized(p, size, 0); }

typedef struct allocator {
	const char *name;
	cy_alloc_kind kind; /* selected in each run's setup (and checked available) */
	void (*batch)(cy_bench_state *s);
	void (*single)(cy_bench_state *s);
	void (*produce)(cy_bench_state *s, ring *r);
	void (*consume)(cy_bench_state *s, ring *r);
} allocator;

#define ALLOCATOR_LOOPS(name)                                                                                   \
	static void name##_batch(cy_bench_state *s) { batch_body(s, name##_alloc, name##_free); }                 \
	static void name##_single(cy_bench_state *s) { single_body(s, name##_alloc, name##_free); }               \
	static void name##_produce(cy_bench_state *s, ring *r) { producer_body(s, r, name##_alloc); }             \
	static void name##_consume(cy_bench_state *s, ring *r) { consumer_body(s, r, name##_free); }

ALLOCATOR_LOOPS(pool)
ALLOCATOR_LOOPS(pool_call)
ALLOCATOR_LOOPS(glibc)
ALLOCATOR_LOOPS(mimalloc)
ALLOCATOR_LOOPS(jemalloc)

#define ALLOCATOR(name, kind) {#name, kind, name##_batch, name##_single, name##_produce, name##_consume}

static const allocator allocators[] = {
	ALLOCATOR(pool, CY_ALLOC_POOL),
	ALLOCATOR(pool_call, CY_ALLOC_POOL),
	ALLOCATOR(glibc, CY_ALLOC_MALLOC),
	ALLOCATOR(mimalloc, CY_ALLOC_MIMALLOC),
	ALLOCATOR(jemalloc, CY_ALLOC_JEMALLOC),
};

/* ---- runs ----------------------------------------------------------------- */

static const char *select_allocator(cy_bench_state *s, void *context)
{
	(void)s;
	const allocator *a = context;
	return cy_alloc_select(a->kind) == 0 ? NULL : cy_alloc_error();
}

static void run_batch(cy_bench_state *s, void *context) { ((const allocator *)context)->batch(s); }
static void run_single(cy_bench_state *s, void *context) { ((const allocator *)context)->single(s); }

static const char *xthread_setup(cy_bench_state *s, void *context)
{
	memset(rings, 0, sizeof rings);
	return select_allocator(s, context);
}

static void run_xthread(cy_bench_state *s, void *context)
{
	const allocator *a = context;
	int index = cy_bench_thread_index(s);
	ring *r = &rings[index / 2];
	if (index % 2 == 0)
		a->produce(s, r);
	else
		a->consume(s, r);
}

static const int xthread_threads[] = {2, 4};

int main(int argc, char **argv)
{
	/* jemalloc needs static TLS reserved when the process starts: re-executes once if it is not. */
	cy_sysalloc_reserve_static_tls(argv);
	make_sizes();
	for (size_t i = 0; i < sizeof allocators / sizeof allocators[0]; i++) {
		const allocator *a = &allocators[i];
		char batch_name[64], single_name[64];
		snprintf(batch_name, sizeof batch_name, "pool_batch/%s", a->name);
		snprintf(single_name, sizeof single_name, "pool_single32/%s", a->name);
		cy_bench_def batch = {.name = batch_name, .run = run_batch, .context = (void *)a, .setup = select_allocator};
		cy_bench_def single = {
			.name = single_name, .run = run_single, .context = (void *)a, .setup = select_allocator};
		if (cy_bench_register(&batch) != 0 || cy_bench_register(&single) != 0)
			return 1;
	}
	for (size_t i = 0; i < sizeof allocators / sizeof allocators[0]; i++) {
		const allocator *a = &allocators[i];
		char name[64];
		snprintf(name, sizeof name, "pool_xthread/%s", a->name);
		cy_bench_def xthread = {.name = name,
					.run = run_xthread,
					.context = (void *)a,
					.setup = xthread_setup,
					.thread_list = xthread_threads,
					.thread_list_count = 2,
					.use_real_time = 1};
		if (cy_bench_register(&xthread) != 0)
			return 1;
	}
	cy_bench_add_context("cyclab_version", CY_VERSION);
	cy_bench_add_context("cyclab_build", CY_BUILD_KIND);
	int status = cy_bench_main(argc, argv);
	cy_alloc_select(CY_ALLOC_DEFAULT);
	return status;
}
