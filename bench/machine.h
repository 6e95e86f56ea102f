/*
 * machine.h: what a result was measured on, for the "machine" object of
 * every result (Google Benchmark's "context" does the same job): the CPU
 * model from /proc/cpuinfo, the CPUs online, and hwloc's view of the
 * topology (packages, cores, hardware threads, NUMA nodes, caches), so two
 * results can be compared knowing whether their machines could be.
 */
#ifndef CY_BENCH_MACHINE_H
#define CY_BENCH_MACHINE_H

#include <stdint.h>

typedef struct cy_machine_cache {
	int level;         /* 1, 2, 3... */
	const char *kind;  /* "data", "instruction", "unified" */
	uint64_t size;     /* bytes, one instance */
	unsigned line;     /* bytes */
	int instances;
} cy_machine_cache;

#define CY_MACHINE_MAX_CACHES 8

typedef struct cy_machine {
	char cpu_model[160];    /* "unknown" when /proc/cpuinfo does not say */
	long cpus_online;       /* sysconf(_SC_NPROCESSORS_ONLN) */
	char kernel[256];       /* uname: sysname release machine */
	int topology_known;     /* hwloc loaded the topology; the counts below are valid */
	int packages, cores, pus, numa_nodes;
	cy_machine_cache caches[CY_MACHINE_MAX_CACHES];
	int cache_count;
} cy_machine;

/* Fill m; never fails (what cannot be found reads "unknown" or 0). */
void cy_machine_probe(cy_machine *m);

#endif
