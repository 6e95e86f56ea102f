/*
 * records.c: what collections did, for the gc module's readers and the
 * benchmarks: statistics per generation (gc.get_stats), totals over the
 * run, and a ring of the latest pauses with what each was for.
 *
 * Every flavour reports here, with collect_lock held: a finished
 * collection (cy_gc_account) and each stop of the world it made
 * (cy_gc_record_pause). The ring is preallocated at the first pause, so
 * recording costs a copy and no allocation; pause number n lives at
 * ring[n % CY_GC_PAUSE_RING], and a reader asking for records the ring
 * has overwritten gets the oldest kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/gc_internal.h"

static const char *const phase_names[CY_GC_PHASE_COUNT] = {
	"stop_world", "prepare", "mark", "weakrefs", "finalize", "clear", "promote",
};
static const char *const pause_kind_names[CY_GC_PAUSE_KIND_COUNT] = {
	"collection", "snapshot", "verify", "slice", "other",
};

void cy_gc_get_stats(cy_gc_generation_stats out[CY_GC_GENERATIONS])
{
	int taken = cy_gc_api_lock();
	memcpy(out, cy_gc.stats, sizeof cy_gc.stats);
	cy_gc_api_unlock(taken);
}

void cy_gc_get_totals(cy_gc_totals *out)
{
	int taken = cy_gc_api_lock();
	*out = cy_gc.totals;
	cy_gc_api_unlock(taken);
}

void cy_gc_reset_statistics(void)
{
	int taken = cy_gc_api_lock();
	memset(cy_gc.stats, 0, sizeof cy_gc.stats);
	memset(&cy_gc.totals, 0, sizeof cy_gc.totals);
	cy_gc.pauses_recorded = 0;
	cy_gc_api_unlock(taken);
}

void cy_gc_account(const cy_gc_collection_info *info)
{
	cy_gc_generation_stats *s = &cy_gc.stats[info->generation];
	s->collections++;
	s->collected += info->collected;
	s->uncollectable += info->uncollectable;
	cy_gc.totals.collections++;
	cy_gc.totals.examined += info->examined;
	for (int i = 0; i < CY_GC_PHASE_COUNT; i++)
		cy_gc.totals.phase_ns[i] += info->phase_ns[i];
}

uint64_t cy_gc_max_time_to_safepoint(const cy_stw_report *stop)
{
	uint64_t max = 0;
	for (uint32_t i = 0; i < stop->recorded; i++) {
		if (stop->arrivals[i].ns_to_safepoint > max)
			max = stop->arrivals[i].ns_to_safepoint;
	}
	return max;
}

void cy_gc_record_pause(uint64_t collection, const cy_stw_report *stop, uint64_t end_ns, uint64_t cpu_ns,
	cy_gc_pause_kind kind)
{
	if (!cy_gc.ring) {
		cy_gc.ring = calloc(CY_GC_PAUSE_RING, sizeof *cy_gc.ring);
		if (!cy_gc.ring) {
			fprintf(stderr, "cyclab: out of memory for the pause record\n");
			abort();
		}
	}
	uint64_t duration = end_ns - stop->requested_ns;
	cy_gc.ring[cy_gc.pauses_recorded % CY_GC_PAUSE_RING] = (cy_gc_pause){
		.collection = collection,
		.start_ns = stop->requested_ns,
		.duration_ns = duration,
		.max_time_to_safepoint_ns = cy_gc_max_time_to_safepoint(stop),
		.cpu_ns = cpu_ns,
		.kind = kind,
	};
	cy_gc.pauses_recorded++;
	cy_gc.totals.pauses++;
	cy_gc.totals.pause_ns += duration;
	if (duration > cy_gc.totals.max_pause_ns)
		cy_gc.totals.max_pause_ns = duration;
}

size_t cy_gc_pauses(uint64_t from, cy_gc_pause *out, size_t max, uint64_t *next)
{
	int taken = cy_gc_api_lock();
	uint64_t end = cy_gc.pauses_recorded;
	uint64_t oldest = end > CY_GC_PAUSE_RING ? end - CY_GC_PAUSE_RING : 0;
	if (from < oldest)
		from = oldest;
	size_t n = 0;
	for (uint64_t i = from; i < end && n < max; i++, n++)
		out[n] = cy_gc.ring[i % CY_GC_PAUSE_RING];
	*next = from + n;
	cy_gc_api_unlock(taken);
	return n;
}

const char *cy_gc_phase_name(cy_gc_phase phase)
{
	return (unsigned)phase < CY_GC_PHASE_COUNT ? phase_names[phase] : "unknown";
}

const char *cy_gc_pause_kind_name(cy_gc_pause_kind kind)
{
	return (unsigned)kind < CY_GC_PAUSE_KIND_COUNT ? pause_kind_names[kind] : "unknown";
}
