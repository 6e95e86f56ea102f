/*
 * core_latency.c: the core-to-core round trip of one cache line (see
 * core_latency.h for why results record it).
 *
 * The caller's thread and a partner each spin on one shared word: the
 * caller stores an odd value and waits for the partner to store the next
 * even one. Each store invalidates the line in the other core's cache, so a
 * round trip is two transfers of the line plus two stores. Batches of
 * ROUND_TRIPS round trips are timed with CLOCK_MONOTONIC; the median of
 * the batches is kept (a batch interrupted by the scheduler is an outlier,
 * not noise to average in).
 */
#include "bench/harness/core_latency.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/atomics.h"

#define BATCHES 15
#define ROUND_TRIPS 1000
#define GIVE_UP_NS (100 * 1000 * 1000)

typedef struct ping_pong {
	_Alignas(64) uint64_t word; /* odd: the caller's turn is over; even: the partner's */
	_Alignas(64) int cpu;       /* the partner's CPU */
	int stop;                   /* atomic: the partner returns at its next look */
	int pinned;                 /* atomic: 1 pinned and ready, -1 could not pin */
} ping_pong;

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int pin_to(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

/* Answer every odd value with the next even one until told to stop. */
static void *partner(void *arg)
{
	ping_pong *p = arg;
	cy_atomic_store_release(&p->pinned, pin_to(p->cpu) == 0 ? 1 : -1);
	uint64_t seen = 0;
	while (!cy_atomic_load_relaxed(&p->stop)) {
		uint64_t v = cy_atomic_load_acquire(&p->word);
		if (v != seen && (v & 1)) {
			cy_atomic_store_release(&p->word, v + 1);
			seen = v + 1;
		}
	}
	return NULL;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* One batch of round trips; the time per round trip, or 0 when the deadline passed first. */
static double one_batch(ping_pong *p, uint64_t *value, uint64_t deadline)
{
	uint64_t start = now_ns();
	for (int i = 0; i < ROUND_TRIPS; i++) {
		uint64_t sent = *value + 1; /* odd */
		cy_atomic_store_release(&p->word, sent);
		unsigned spins = 0;
		while (cy_atomic_load_acquire(&p->word) != sent + 1) {
			if (++spins % 4096 == 0 && now_ns() > deadline)
				return 0;
		}
		*value = sent + 1;
	}
	return (double)(now_ns() - start) / ROUND_TRIPS;
}

int cy_core_round_trip_measure(int cpu_a, int cpu_b, cy_core_round_trip *out)
{
	memset(out, 0, sizeof *out);
	out->cpus[0] = cpu_a;
	out->cpus[1] = cpu_b;
	if (cpu_a < 0 || cpu_b < 0 || cpu_a == cpu_b || cpu_a >= CPU_SETSIZE || cpu_b >= CPU_SETSIZE)
		return -1;
	cpu_set_t saved;
	if (pthread_getaffinity_np(pthread_self(), sizeof saved, &saved) != 0)
		return -1;
	ping_pong *p = aligned_alloc(64, sizeof *p);
	if (!p)
		return -1;
	memset(p, 0, sizeof *p);
	p->cpu = cpu_b;
	pthread_t thread;
	int status = -1;
	if (pin_to(cpu_a) != 0 || pthread_create(&thread, NULL, partner, p) != 0) {
		pthread_setaffinity_np(pthread_self(), sizeof saved, &saved);
		free(p);
		return -1;
	}
	uint64_t deadline = now_ns() + GIVE_UP_NS;
	int pinned;
	while ((pinned = cy_atomic_load_acquire(&p->pinned)) == 0 && now_ns() < deadline)
		sched_yield();
	double batch_ns[BATCHES];
	int batches = 0;
	if (pinned == 1) {
		uint64_t value = 0;
		one_batch(p, &value, deadline); /* warm-up: both threads spinning, the line in play */
		while (batches < BATCHES) {
			double ns = one_batch(p, &value, deadline);
			if (ns == 0)
				break;
			batch_ns[batches++] = ns;
		}
	}
	cy_atomic_store_relaxed(&p->stop, 1);
	pthread_join(thread, NULL);
	pthread_setaffinity_np(pthread_self(), sizeof saved, &saved);
	free(p);
	if (batches > 0) {
		qsort(batch_ns, (size_t)batches, sizeof batch_ns[0], compare_doubles);
		out->median_ns = batches % 2 ? batch_ns[batches / 2] : (batch_ns[batches / 2 - 1] + batch_ns[batches / 2]) / 2;
		out->batches = batches;
		status = 0;
	}
	return status;
}
