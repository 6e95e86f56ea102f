/*
 * memory_trace.h: `cyclab run --trace-alloc[=FRAMES]`, allocation tracing
 * around each repetition, and the top allocation sites it leaves in the
 * result.
 *
 * A repetition traces from before its workload's setup (so what setup
 * builds is traced) to the end of its timed part, takes a snapshot as the
 * timed part starts and one as it ends, both outside the timed part, and
 * keeps, for each grouping (file, line, site, traceback, type), the
 * CY_MEMORY_TOP groups whose size changed most between the two: live size
 * and count at the end, and their change over the run. The result carries
 * them per run as "alloc_trace" (cyclab memory prints them).
 *
 * One repetition runs at a time in a process; the tracing session is the
 * process's (tracemalloc.h).
 */
#ifndef CY_BENCH_MEMORY_TRACE_H
#define CY_BENCH_MEMORY_TRACE_H

#include <stdint.h>

#include "bench/results/json_writer.h"
#include "runtime/tracemalloc.h"

#define CY_MEMORY_TOP 25

typedef struct cy_memory_sites {
	int frames;
	int64_t traced_start, traced_end, traced_peak; /* bytes */
	int64_t dropped;                               /* allocations past the limit, not traced */
	cy_tracemalloc_stats by[CY_TRACE_KEY_COUNT];   /* at most CY_MEMORY_TOP each */
} cy_memory_sites;

/* Start tracing for a repetition (before its setup); frames was checked by the option. */
void cy_memory_trace_begin(int frames);
/* The timed part starts: the first snapshot. */
void cy_memory_trace_mark_start(void);
/* The timed part has ended: the second snapshot, the groups, and tracing stopped. NULL when memory ran out. */
cy_memory_sites *cy_memory_trace_end(void);
/* Stop tracing and drop a first snapshot left by a repetition that failed; nothing if none is running. */
void cy_memory_trace_abandon(void);

void cy_memory_sites_free(cy_memory_sites *sites);
/* "alloc_trace": {...} in a run's object; nothing for NULL. */
void cy_memory_sites_write_json(cy_json *j, const cy_memory_sites *sites);

/* --trace-alloc's value: NULL (no value: 1 frame) or 1..CY_TRACEMALLOC_MAX_FRAMES; -1 with why. */
int cy_memory_trace_parse_frames(const char *value, int *frames, char *why, size_t len);

#endif
