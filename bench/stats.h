/*
 * stats.h: what a run's pauses add up to, for the runner's results.
 *
 * Pause percentiles (p50, p90, p99, p99.9, max) by nearest rank over the
 * pauses of one repetition, and minimum mutator utilisation (Cheng and
 * Blelloch, "A parallel, real-time garbage collector", PLDI 2001): for a
 * window length w, the smallest fraction of any w-long interval of the run
 * in which the mutators were not paused. MMU(w) = 1 means no window of
 * length w ever saw a pause; 0 means some pause was at least w long.
 */
#ifndef CY_BENCH_STATS_H
#define CY_BENCH_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "collector/gc.h"

#define CY_MMU_WINDOWS 3
extern const double cy_mmu_window_ms[CY_MMU_WINDOWS]; /* 1, 10, 100 */

typedef struct cy_pause_summary {
	uint64_t count;
	double total_ms;
	double p50_us, p90_us, p99_us, p999_us, max_us;
	double mmu[CY_MMU_WINDOWS]; /* by cy_mmu_window_ms */
} cy_pause_summary;

/*
 * Summarise pauses (ordered by start, not overlapping, as the collector
 * records them) of a run that lasted from run_start_ns to run_end_ns
 * (CLOCK_MONOTONIC). A window longer than the run is the whole run.
 * Pauses outside the run are clipped to it. Returns -1 without memory.
 */
int cy_pause_summarize(const cy_gc_pause *pauses, size_t n, uint64_t run_start_ns, uint64_t run_end_ns,
	cy_pause_summary *out);

/* Minimum mutator utilisation for one window length (exposed for the tests). */
double cy_mmu(const cy_gc_pause *pauses, size_t n, uint64_t run_start_ns, uint64_t run_end_ns, uint64_t window_ns);

/* Nearest-rank percentile q (0..100) of sorted values; 0 for none. */
double cy_percentile_sorted(const double *sorted, size_t n, double q);

/* Median of n values (sorts them in place); 0 for none. */
double cy_median(double *values, size_t n);

#endif
