/*
 * memory_trace.c: allocation tracing around a repetition of `cyclab run`
 * (memory_trace.h says when each snapshot is taken and what is kept).
 *
 * The first snapshot waits here between mark_start and end: a process
 * runs one repetition at a time, so one is enough. Groups are ranked as
 * tracemalloc's compare_to ranks them (biggest change of size first) and
 * cut to CY_MEMORY_TOP per grouping, so a result stays small whatever the
 * workload.
 */
#include "bench/harness/memory_trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cy_tracemalloc_snapshot *start_snapshot;
static int64_t traced_at_start;

void cy_memory_trace_begin(int frames)
{
	cy_tracemalloc_stop(); /* a session left by an earlier repetition, if any */
	if (cy_tracemalloc_start(frames) != 0)
		fprintf(stderr, "cyclab: --trace-alloc: %s\n", cy_tracemalloc_error());
}

void cy_memory_trace_mark_start(void)
{
	cy_tracemalloc_snapshot_free(start_snapshot);
	start_snapshot = cy_tracemalloc_take_snapshot();
	int64_t peak;
	cy_tracemalloc_traced_memory(&traced_at_start, &peak);
	cy_tracemalloc_reset_peak();
}

void cy_memory_trace_abandon(void)
{
	cy_tracemalloc_snapshot_free(start_snapshot);
	start_snapshot = NULL;
	if (cy_tracemalloc_is_tracing())
		cy_tracemalloc_stop();
}

cy_memory_sites *cy_memory_trace_end(void)
{
	cy_memory_sites *sites = calloc(1, sizeof *sites);
	cy_tracemalloc_snapshot *end = cy_tracemalloc_take_snapshot();
	if (sites) {
		sites->frames = cy_tracemalloc_frames();
		sites->traced_start = traced_at_start;
		cy_tracemalloc_traced_memory(&sites->traced_end, &sites->traced_peak);
		sites->dropped = cy_tracemalloc_dropped();
	}
	/* Nothing more to trace: teardown and clean-up run at full speed. */
	cy_tracemalloc_stop();
	int failed = !sites || !end || !start_snapshot;
	for (int k = 0; k < CY_TRACE_KEY_COUNT && !failed; k++) {
		cy_tracemalloc_stats *stats = &sites->by[k];
		if (cy_tracemalloc_compare(end, start_snapshot, (cy_tracemalloc_key)k, stats) != 0) {
			failed = 1;
			break;
		}
		while (stats->count > CY_MEMORY_TOP)
			free(stats->items[--stats->count].key);
	}
	cy_tracemalloc_snapshot_free(end);
	cy_tracemalloc_snapshot_free(start_snapshot);
	start_snapshot = NULL;
	if (failed) {
		cy_memory_sites_free(sites);
		return NULL;
	}
	return sites;
}

void cy_memory_sites_free(cy_memory_sites *sites)
{
	if (!sites)
		return;
	for (int k = 0; k < CY_TRACE_KEY_COUNT; k++)
		cy_tracemalloc_stats_release(&sites->by[k]);
	free(sites);
}

void cy_memory_sites_write_json(cy_json *j, const cy_memory_sites *sites)
{
	if (!sites)
		return;
	cy_json_begin_object(j, "alloc_trace");
	cy_json_int(j, "frames", sites->frames);
	cy_json_int(j, "traced_bytes_start", sites->traced_start);
	cy_json_int(j, "traced_bytes_end", sites->traced_end);
	cy_json_int(j, "traced_bytes_peak", sites->traced_peak);
	cy_json_int(j, "dropped", sites->dropped);
	for (int k = 0; k < CY_TRACE_KEY_COUNT; k++) {
		cy_json_begin_array(j, cy_tracemalloc_key_name((cy_tracemalloc_key)k), 0);
		for (size_t i = 0; i < sites->by[k].count; i++) {
			const cy_tracemalloc_stat *s = &sites->by[k].items[i];
			cy_json_begin_object(j, NULL);
			cy_json_string(j, "key", s->key);
			cy_json_int(j, "size", s->size);
			cy_json_int(j, "size_diff", s->size_diff);
			cy_json_int(j, "count", s->count);
			cy_json_int(j, "count_diff", s->count_diff);
			cy_json_end_object(j);
		}
		cy_json_end_array(j);
	}
	cy_json_end_object(j);
}

int cy_memory_trace_parse_frames(const char *value, int *frames, char *why, size_t len)
{
	if (!cy_tracemalloc_available()) {
		snprintf(why, len, "%s", (cy_tracemalloc_start(1), cy_tracemalloc_error()));
		return -1;
	}
	if (!value) {
		*frames = 1;
		return 0;
	}
	char *end;
	long n = strtol(value, &end, 10);
	if (!*value || *end || n < 1 || n > CY_TRACEMALLOC_MAX_FRAMES) {
		snprintf(why, len, "--trace-alloc=FRAMES takes a number of frames from 1 to %d, not '%s'",
			 CY_TRACEMALLOC_MAX_FRAMES, value);
		return -1;
	}
	*frames = (int)n;
	return 0;
}
