/*
 * test_pool_stress.c: many threads allocating, checking and freeing, with
 * blocks handed between threads and outliving the threads that made them,
 * in the manner of mimalloc's test/test-stress.c. Not a benchmark: it runs
 * a fixed amount of deterministic pseudo-random work (smaller under the
 * sanitizers) and then checks that every block was intact when freed and
 * that the pools end with nothing in use and no page carved.
 *
 * Each thread keeps a private array of blocks. A step frees the block in a
 * random slot and, half the time, allocates a new one there; a quarter of
 * the frees instead swap the block into a shared transfer array, and
 * whatever comes out is freed by this thread, usually a block another
 * thread made (a remote free). The threads run in rounds; each round's
 * threads exit leaving blocks in the transfer array, so the next round
 * frees blocks whose owner is gone (abandoned pages). Half the threads
 * register with the runtime and half do not (lazy heaps). A block holds its
 * size in its first word and a pattern derived from its address after it;
 * every free checks both.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/atomics.h"
#include "runtime/pool.h"
#include "tests/test_support.h"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define STEPS 12000
#else
#define STEPS 100000
#endif
#define THREADS 4
#define ROUNDS 4
#define SLOTS 2000
#define TRANSFERS 1000

static void *transfer[TRANSFERS]; /* ATOMIC: exchanged whole */
static int corrupted;             /* ATOMIC: set by any thread that finds a bad block */

static uint64_t next_random(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/*
 * Mostly small sizes, like objects; a quarter in the largest class, whose
 * 31-block pages fill up, so that remote frees also land on full pages;
 * one in sixteen above the pools' limit.
 */
static size_t random_size(uint64_t *rng)
{
	uint64_t r = next_random(rng);
	if (r % 16 == 0)
		return CY_POOL_MAX_SIZE + 1 + (size_t)(r >> 8) % 3000;
	if (r % 4 == 1)
		return CY_POOL_MAX_SIZE - (size_t)(r >> 8) % 16;
	if (r % 4 == 2)
		return 8 + (size_t)(r >> 8) % (CY_POOL_MAX_SIZE - 7);
	return 8 + (size_t)(r >> 8) % 120;
}

static unsigned char pattern_byte(const void *p, size_t i)
{
	return (unsigned char)(((uintptr_t)p >> 4) * 31 + i);
}

static void *make_block(uint64_t *rng)
{
	size_t size = random_size(rng);
	unsigned char *p = cy_pool_alloc(size);
	if (!p) {
		fprintf(stderr, "stress: allocation of %zu bytes failed\n", size);
		abort();
	}
	memcpy(p, &size, sizeof size);
	for (size_t i = sizeof size; i < size; i++)
		p[i] = pattern_byte(p, i);
	return p;
}

static void check_and_free(void *block)
{
	if (!block)
		return;
	unsigned char *p = block;
	size_t size;
	memcpy(&size, p, sizeof size);
	int bad = size < sizeof size || size > CY_POOL_MAX_SIZE + 3001;
	for (size_t i = sizeof size; !bad && i < size; i++)
		bad = p[i] != pattern_byte(p, i);
	if (bad) {
		fprintf(stderr, "stress: block %p corrupted (size word %zu)\n", block, size);
		cy_atomic_store_relaxed(&corrupted, 1);
		return; /* leaked on purpose: its size cannot be trusted */
	}
	cy_pool_free(p, size);
}

/* Free a block, or, one time in four, hand it to whichever thread next takes its transfer slot. */
static void release(void *block, uint64_t *rng)
{
	if (!block)
		return;
	uint64_t r = next_random(rng);
	if (r % 4 == 0)
		block = cy_atomic_exchange_acq_rel(&transfer[(r >> 8) % TRANSFERS], block);
	check_and_free(block);
}

typedef struct round_args {
	unsigned round;
	uint64_t seed;
} round_args;

static void stress_thread(unsigned index, void *arg)
{
	const round_args *r = arg;
	int registered = index % 2 == 0;
	if (registered && cy_thread_register(CY_ROLE_MUTATOR) != CY_THREAD_OK)
		abort();
	uint64_t rng = r->seed * 0x9e3779b97f4a7c15u + r->round * 131 + index + 1;
	void **slots = calloc(SLOTS, sizeof *slots);
	if (!slots)
		abort();
	for (unsigned step = 0; step < STEPS; step++) {
		uint64_t choice = next_random(&rng);
		unsigned slot = (unsigned)((choice >> 16) % SLOTS);
		release(slots[slot], &rng);
		slots[slot] = choice % 2 ? make_block(&rng) : NULL;
		if (registered && step % 64 == 0)
			cy_safepoint();
	}
	/* Half of what is left goes to the transfer array, to outlive this thread. */
	for (unsigned i = 0; i < SLOTS; i++) {
		if (slots[i] && i % 2 == 0) {
			void *out = cy_atomic_exchange_acq_rel(&transfer[(i * 7 + index) % TRANSFERS], slots[i]);
			check_and_free(out);
		} else {
			check_and_free(slots[i]);
		}
	}
	free(slots);
	if (registered)
		cy_thread_unregister();
}

/* Run the rounds, free what is left in the transfer array, and check that nothing remains. */
static void stress_and_check(unsigned rounds)
{
	round_args args = {.seed = cy_test_seed()};
	for (args.round = 0; args.round < rounds; args.round++)
		cy_test_run_threads(THREADS, stress_thread, &args);
	for (unsigned t = 0; t < TRANSFERS; t++)
		check_and_free(cy_atomic_exchange_acq_rel(&transfer[t], NULL));
	assert_int_equal(cy_atomic_load_relaxed(&corrupted), 0);
	cy_pool_stats s;
	cy_pool_stats_get(&s);
	cy_pool_stats_print(stdout, &s);
	assert_int_equal(s.blocks_in_use, 0);
	assert_int_equal(s.large_blocks_in_use, 0);
	assert_true(s.remote_frees > 0);
	assert_true(s.notifications > 0);
	assert_true(s.pages_adopted > 0);

	cy_pool_collect(CY_POOL_RELEASE_ALL);
	cy_pool_stats_get(&s);
	assert_int_equal(s.pages, 0);
	assert_int_equal(s.pages_abandoned, 0);
	assert_int_equal(s.arenas_mapped, 0);
}

static void threads_exchange_blocks_and_leave_none(void **state)
{
	(void)state;
	stress_and_check(ROUNDS);
}

/* The same with every page a debug page: fills, checks and the live-block bitmaps under contention. */
static void debug_pages_under_stress(void **state)
{
	(void)state;
	cy_pool_set_debug(1);
	stress_and_check(2);
	cy_pool_set_debug(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cy_test(threads_exchange_blocks_and_leave_none),
		cy_test(debug_pages_under_stress),
	};
	return cy_run_tests("test_pool_stress", tests, sizeof tests / sizeof tests[0], CY_RC_ATOMIC);
}
