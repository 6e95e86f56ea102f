/*
 * machine.h: what a result was measured on, for the "machine" object of
 * every result (Google Benchmark's "context" does the same job): the CPU
 * model from /proc/cpuinfo, the CPUs online, and hwloc's view of the
 * topology (packages, cores, hardware threads, NUMA nodes, caches), the
 * CPUs the process was allowed to use, and a fingerprint of the machine
 * (below), so two results can be compared knowing whether their machines
 * could be.
 */
#ifndef CY_BENCH_MACHINE_H
#define CY_BENCH_MACHINE_H

#include <stddef.h>
#include <stdint.h>

#include "bench/harness/core_latency.h"

typedef struct cy_machine_cache {
	int level;         /* 1, 2, 3... */
	const char *kind;  /* "data", "instruction", "unified" */
	uint64_t size;     /* bytes, one instance */
	unsigned line;     /* bytes */
	int instances;
} cy_machine_cache;

#define CY_MACHINE_MAX_CACHES 8
#define CY_MACHINE_FINGERPRINT_LEN 160

typedef struct cy_machine {
	char cpu_model[160];    /* "unknown" when /proc/cpuinfo does not say */
	long cpus_online;       /* sysconf(_SC_NPROCESSORS_ONLN) */
	char kernel[256];       /* uname: sysname release machine */
	int topology_known;     /* hwloc loaded the topology; the counts below are valid */
	int packages, cores, pus, numa_nodes;
	cy_machine_cache caches[CY_MACHINE_MAX_CACHES];
	int cache_count;
	/* The CPUs this process may run on: the calling thread's binding
	 * (`taskset`, a container's cpuset) within the topology, as a list
	 * ("0-1", "0,2-3"; "unknown" without a topology), and their count. */
	char allowed_cpus[256];
	int allowed_pus;
	char topology_fingerprint[CY_MACHINE_FINGERPRINT_LEN];
	/* The round trip of a cache line between the first allowed CPU and the
	 * first allowed one on another core (another hardware thread of the
	 * same core when there is no other core); median_ns 0 when fewer than
	 * two CPUs are allowed or it could not be measured (core_latency.h). */
	cy_core_round_trip core_round_trip;
} cy_machine;

/* Fill m, the round trip measured (a few milliseconds); never fails (what cannot be found reads "unknown" or 0). */
void cy_machine_probe(cy_machine *m);

/*
 * The topology fingerprint: one short line that is the same on machines
 * with the same CPU model and topology and differs otherwise, so results
 * from different machines are not compared as if they were alike:
 *
 *     AMD-EPYC/1p2c2t/1n/L1d48K-L2u1M-L3u32M/0235190e
 *
 * Fields, separated by '/':
 *   1. the CPU model, shortened: "CPU", "Processor", "N-Core(s)", the
 *      "@ frequency" and anything in parentheses ("(R)", "(TM)") dropped,
 *      words joined by '-', whole words up to 40 characters ("unknown"
 *      when /proc/cpuinfo does not say);
 *   2. packages 'p', cores 'c', PUs (hardware threads) 't';
 *   3. NUMA nodes 'n';
 *   4. each cache level hwloc reports (by default it leaves instruction
 *      caches out): 'L', level, kind ('d' data, 'i' instruction,
 *      'u' unified), size of one instance (K, M, or B when neither);
 *      "nocache" when none; fields 2-4 read "unknown" without a topology;
 *   5. 8 hex digits: a 32-bit FNV-1a hash of the full CPU model string and
 *      of every count and cache attribute (line size and instances too), so
 *      machines that differ only in what field 1 or 4 shortened still differ.
 * The allowed CPU set, the kernel and the online count are not part of
 * it: they describe how the machine was used, and are recorded beside it.
 * It is computed from the fields above, so cy_machine_fingerprint can
 * recompute it from a cy_machine filled some other way.
 */
void cy_machine_fingerprint(const cy_machine *m, char *out, size_t len);

#endif
