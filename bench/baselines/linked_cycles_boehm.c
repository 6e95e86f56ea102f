/*
 * linked_cycles_boehm.c: cyclab's linked-cycles workload on its defaults,
 * written for the Boehm-Demers-Weiser collector (libgc), a tracing
 * collector to set cyclab's throughput beside (`ninja baselines`).
 *
 * The same operation as workloads/linked_cycles.c: make a ring of two nodes,
 * each pointing at the other; with probability 1/20 (live = 0.05) store it
 * in a random slot of a 1000-slot live set (live_size), displacing the ring
 * there, otherwise drop it. The same generator, seeded as cyclab seeds its
 * first thread (splitmix64 from seed ^ THREAD0_SEED_MIX, the top 53 bits
 * against the keep threshold, Lemire's multiply-shift for the slot), makes
 * the same choices from the same seed: run-baselines checks that this
 * program keeps exactly as many rings as `cyclab run linked-cycles --ops N
 * --seed S` before it measures anything. What differs is only the memory
 * manager: a tracing, non-moving collector that never touches garbage
 * except to sweep it.
 *
 * Usage:
 *   linked_cycles_boehm SECONDS [WARMUP_SECONDS [SEED]]
 *     runs the warm-up, then measures for SECONDS; prints one JSON object
 *     on a line: baseline, version, workload, ops, seconds, ops_per_s,
 *     cpu_s (the process's CPU time over the measured part, every thread
 *     of the collector's included) and ops_per_cpu_s, collections.
 *   linked_cycles_boehm --ops N [SEED]
 *     exactly N operations; prints baseline, ops and kept (rings put in the
 *     live set).
 * Single-threaded marking is the caller's choice (GC_MARKERS=1 in the
 * environment; run-baselines sets it).
 */
#include <errno.h>
#include <gc.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LIVE_SIZE 1000
#define BATCH 1024
#define DEFAULT_SEED 20261124u                  /* cyclab run's default --seed */
#define THREAD0_SEED_MIX 0x632be59bd9b4e019u /* workloads/linked_cycles.c, thread 0 */

typedef struct node {
	struct node *next;
} node;

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static double clock_s(clockid_t clock)
{
	struct timespec t;
	clock_gettime(clock, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }

typedef struct run_state {
	node **live;
	uint64_t rng, keep_below;
	long kept;
} run_state;

/* One operation: a ring of two nodes, kept or dropped. */
static inline void make_ring(run_state *s)
{
	node *a = GC_MALLOC(sizeof *a), *b = GC_MALLOC(sizeof *b);
	if (!a || !b) {
		fprintf(stderr, "linked_cycles_boehm: out of memory\n");
		exit(1);
	}
	a->next = b;
	b->next = a;
	if ((splitmix64(&s->rng) >> 11) < s->keep_below) {
		uint64_t slot = (uint64_t)(((unsigned __int128)splitmix64(&s->rng) * LIVE_SIZE) >> 64);
		s->live[slot] = a;
		s->kept++;
	}
}

/* Operations done in about `seconds` (whole batches of BATCH rings). */
static long run_for(run_state *s, double seconds, double *elapsed)
{
	long ops = 0;
	double start = now_s(), t;
	do {
		for (int i = 0; i < BATCH; i++)
			make_ring(s);
		ops += BATCH;
	} while ((t = now_s()) - start < seconds);
	*elapsed = t - start;
	return ops;
}

static double parse_seconds(const char *text, const char *what)
{
	char *end;
	double v = strtod(text, &end);
	if (end == text || *end || !(v >= 0) || v > 3600) {
		fprintf(stderr, "linked_cycles_boehm: %s must be a number of seconds in [0, 3600], not '%s'\n", what, text);
		exit(2);
	}
	return v;
}

static uint64_t parse_count(const char *text, const char *what)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (end == text || *end || errno || text[0] == '-') {
		fprintf(stderr, "linked_cycles_boehm: %s must be a non-negative integer, not '%s'\n", what, text);
		exit(2);
	}
	return v;
}

static int usage(void)
{
	fprintf(stderr, "usage: linked_cycles_boehm SECONDS [WARMUP_SECONDS [SEED]]\n"
			"       linked_cycles_boehm --ops N [SEED]\n");
	return 2;
}

int main(int argc, char **argv)
{
	int exact = argc > 1 && strcmp(argv[1], "--ops") == 0;
	if (exact ? argc < 3 || argc > 4 : argc < 2 || argc > 4)
		return usage();
	uint64_t seed = DEFAULT_SEED;
	double seconds = 0, warmup = 0;
	uint64_t ops_wanted = 0;
	if (exact) {
		ops_wanted = parse_count(argv[2], "N");
		if (argc > 3)
			seed = parse_count(argv[3], "SEED");
	} else {
		seconds = parse_seconds(argv[1], "SECONDS");
		if (argc > 2)
			warmup = parse_seconds(argv[2], "WARMUP_SECONDS");
		if (argc > 3)
			seed = parse_count(argv[3], "SEED");
	}
	GC_INIT();
	run_state s = {.live = GC_MALLOC(LIVE_SIZE * sizeof(node *)), .rng = seed ^ THREAD0_SEED_MIX,
		.keep_below = (uint64_t)ldexp(0.05, 53)};
	if (!s.live) {
		fprintf(stderr, "linked_cycles_boehm: out of memory\n");
		return 1;
	}
	if (exact) {
		for (uint64_t i = 0; i < ops_wanted; i++)
			make_ring(&s);
		printf("{\"baseline\": \"boehm-gc\", \"ops\": %llu, \"kept\": %ld}\n", (unsigned long long)ops_wanted,
			s.kept);
		return 0;
	}
	double elapsed;
	if (warmup > 0)
		run_for(&s, warmup, &elapsed);
	size_t collections_before = GC_get_gc_no();
	double cpu_before = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	long ops = run_for(&s, seconds, &elapsed);
	double cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu_before;
	unsigned version = GC_get_version();
	printf("{\"baseline\": \"boehm-gc\", \"version\": \"%u.%u.%u\", \"workload\": \"linked-cycles\", "
	       "\"ops\": %ld, \"seconds\": %.6f, \"ops_per_s\": %.1f, \"cpu_s\": %.6f, \"ops_per_cpu_s\": %.1f, "
	       "\"collections\": %zu}\n",
		version >> 16, (version >> 8) & 0xff, version & 0xff, ops, elapsed, (double)ops / elapsed, cpu,
		cpu > 0 ? (double)ops / cpu : 0.0, (size_t)GC_get_gc_no() - collections_before);
	return 0;
}
