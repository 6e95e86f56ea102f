/*
 * placement.h: where the threads of a run are placed (`--pin`), with hwloc.
 *
 * A plan maps thread index i (0 .. threads-1) to one processing unit (PU,
 * a hardware thread) taken from the CPUs the process is allowed to use
 * (its binding: `taskset`, a container's cpuset), never from CPUs it may
 * not use. Policies:
 *   none     no binding; threads go where the scheduler puts them, and
 *            where they ran is still recorded.
 *   compact  fill a core's PUs, then the next core, then the next package
 *            (neighbours share caches).
 *   scatter  round-robin across packages first, then across the cores of
 *            each package (and the cache groups or dies between them),
 *            then across each core's PUs (threads spread out so each gets
 *            the most cache and bandwidth).
 * More threads than allowed PUs is allowed: the order wraps around and the
 * plan is marked oversubscribed (the caller warns; the result records it);
 * a plan for none is marked the same way, since its threads share PUs too.
 *
 * The JSON (cy_placement_write_json), for compact with 3 threads here:
 *   "placement": {"policy": "compact", "oversubscribed": true,
 *     "allowed_cpus": "0-1", "allowed_pus": 2,
 *     "threads": [{"index": 0, "pu": 0, "core": 0, "package": 0,
 *                  "seen_cpus": [0]}, ...]}
 * "pu" is the OS index (what sched_getcpu and taskset use), "core" and
 * "package" hwloc's logical indexes; all three are null for none.
 *
 * Concurrency: a plan is built and freed by one thread; while workers run,
 * bind_self and note_cpu may be called concurrently from different threads
 * as long as each call uses its own index (each writes only its own slot).
 */
#ifndef CY_BENCH_PLACEMENT_H
#define CY_BENCH_PLACEMENT_H

#include <stddef.h>

#include "bench/harness/value_parse.h" /* cy_pin_policy, the knob this plans for */

typedef struct cy_json cy_json; /* the streaming writer, bench/results/json_writer.h */

typedef struct cy_placement cy_placement;

/* Plan `threads` threads (at least 1) on the real topology, restricted to
 * the allowed CPUs. NULL with a one-line message in err on failure. */
cy_placement *cy_placement_plan(cy_pin_policy policy, unsigned threads, char *err, size_t errlen);

/* In worker thread `index`: bind the calling thread to its planned PU
 * (HWLOC_CPUBIND_THREAD; nothing for policy none) and record the CPU it is
 * on now. 0 ok, -1 if binding failed or index is out of range. */
int cy_placement_bind_self(cy_placement *placement, unsigned index);

/* At the end of worker `index`: record the CPU it is on (sched_getcpu). */
void cy_placement_note_cpu(cy_placement *placement, unsigned index);

/* 1 when there are more threads than allowed PUs. */
int cy_placement_oversubscribed(const cy_placement *placement);

/* Write the member "placement" into the object open in w: policy,
 * oversubscribed, allowed_cpus, allowed_pus, and "threads": one entry per
 * index with the planned PU (os index), its core and package (logical
 * indexes; null for policy none) and "seen_cpus", the CPUs it was seen on. */
void cy_placement_write_json(const cy_placement *placement, cy_json *w);

/* Free the plan (NULL is fine). If the calling thread bound itself with
 * bind_self, its binding from before is restored, so threads it creates
 * later are not pinned to its PU. */
void cy_placement_free(cy_placement *placement);

/* ---- for tests and tools ---- */

/* Plan on a synthetic hwloc topology ("pack:2 core:2 pu:2") instead of this
 * machine, using only the PUs in allowed_list ("0-3,6"; NULL: all). Such a
 * plan cannot bind (bind_self records the CPU and returns -1). */
cy_placement *cy_placement_plan_synthetic(const char *description, const char *allowed_list,
                                          cy_pin_policy policy, unsigned threads, char *err, size_t errlen);

/* The OS index of thread index's planned PU; -1 for policy none or a bad index. */
int cy_placement_planned_pu(const cy_placement *placement, unsigned index);

/* How many PUs the plan could use (allowed and present). */
unsigned cy_placement_allowed_pus(const cy_placement *placement);

/* Export the machine's topology as hwloc XML to path, through path.tmp
 * and a rename. 0, or -1 with a one-line message in err. */
int cy_topology_export_xml(const char *path, char *err, size_t errlen);

#endif
