/*
 * scenarios.h: small pieces the scenario workloads share (observers,
 * caches, handoff, binary-trees, gc-collect, gc-traversal, memory-idioms).
 *
 *  - A seeded per-thread generator: splitmix64 (Steele, Lea and Flood,
 *    "Fast splittable pseudorandom number generators", OOPSLA 2014). Each
 *    thread derives its own stream from the run's seed and its index, so a
 *    run is reproducible for a given seed and thread count, and threads
 *    never share generator state.
 *  - A per-thread tally padded to a cache line, for figures (hits,
 *    lookups) that each thread writes alone and the check sums afterwards.
 *
 * Each workload source is compiled once per reference-counting mode and
 * defines its operations as CY_SYM(cy_NAME_ops); the mode-0 copy also
 * defines the cy_workload_def (CY_WORKLOAD_DECLARE_OPS / CY_WORKLOAD_OPS,
 * workload.h).
 */
#ifndef CY_SCENARIOS_H
#define CY_SCENARIOS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/workload.h"

typedef struct cy_rng {
	uint64_t state;
} cy_rng;

static inline uint64_t cy_rng_next(cy_rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Thread index's stream for a run seeded with seed. */
static inline cy_rng cy_rng_for_thread(uint64_t seed, unsigned index)
{
	cy_rng r = {seed ^ (0x632be59bd9b4e019ULL * (uint64_t)(index + 1))};
	cy_rng_next(&r);
	return r;
}

/* Uniform in [0, n), n > 0 (Lemire's multiply-shift; the bias is below 2^-32 for our n). */
static inline uint64_t cy_rng_below(cy_rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)cy_rng_next(r) * n) >> 64);
}

/* Uniform in [0, 1). */
static inline double cy_rng_unit(cy_rng *r)
{
	return (double)(cy_rng_next(r) >> 11) * 0x1.0p-53;
}

/*
 * Figures one thread writes and the check reads after the threads have
 * joined: one cache line each, so that threads counting never share a line
 * (allocate a state holding tallies with cy_scenario_state_new).
 */
typedef struct cy_tally {
	_Alignas(64) int64_t a;
	int64_t b, c;
	char pad[40];
} cy_tally;

_Static_assert(sizeof(cy_tally) == 64, "one tally per cache line");

/* A zeroed workload state aligned for its tallies (malloc only promises 16 bytes); free() frees it. */
static inline void *cy_scenario_state_new(size_t size)
{
	size_t rounded = (size + 63) / 64 * 64;
	void *state = aligned_alloc(64, rounded);
	if (state)
		memset(state, 0, rounded);
	return state;
}

#endif
