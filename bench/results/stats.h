/*
 * stats.h: what a run's pauses add up to, for the runner's results.
 *
 * Pause percentiles (p50, p90, p99, p99.9, max) by nearest rank over the
 * pauses of one repetition, and minimum mutator utilisation (Cheng and
 * Blelloch, "A parallel, real-time garbage collector", PLDI 2001): for a
 * window length w, the smallest fraction of any w-long interval of the run
 * in which the mutators were not paused. MMU(w) = 1 means no window of
 * length w ever saw a pause; 0 means some pause was at least w long.
 *
 * For plots, a run also gets the distribution behind the percentiles and
 * the whole MMU curve:
 *   - a histogram of pause lengths on a logarithmic ladder of bounds, ten
 *     per decade from 1 us to 10 s (the R10 preferred numbers 1, 1.25, 1.6,
 *     2, 2.5, 3.15, 4, 5, 6.3, 8 times a power of ten), so any two runs'
 *     histograms add bucket by bucket and a CDF is a running sum;
 *   - MMU at a 1-2-5 ladder of windows from 0.1 ms to 1 s.
 *
 * Preempted pauses. A pause is wall time; the stopping thread's CPU time
 * over it (cy_gc_pause.cpu_ns) says how much of it the collector worked.
 * The stopper also sleeps while it waits for the mutators to reach their
 * safepoints, so that wait (max_time_to_safepoint_ns) is set aside first;
 * of the rest, a pause is preempted when the thread was off its CPU for
 * more than half of it and for at least CY_PAUSE_PREEMPTED_MIN_US (a
 * wake-up after the wait costs some tens of microseconds on a virtual
 * machine; a preemption costs a scheduler slice, milliseconds). Such a
 * pause measures the operating system more than the collector: the
 * summary gives its percentiles over every pause and again over the pauses
 * not preempted.
 */
#ifndef CY_BENCH_STATS_H
#define CY_BENCH_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "collector/gc.h"

#define CY_MMU_WINDOWS 3
extern const double cy_mmu_window_ms[CY_MMU_WINDOWS]; /* 1, 10, 100 */

/*
 * Histogram buckets: with b[i] = cy_pause_hist_bound_ns(i), bucket 0 counts
 * pauses shorter than b[0], bucket i (1 <= i < CY_PAUSE_HIST_BOUNDS) those
 * in [b[i-1], b[i]), and the last bucket those of b[CY_PAUSE_HIST_BOUNDS-1]
 * or longer: one more bucket than bounds.
 */
#define CY_PAUSE_HIST_BOUNDS 71 /* 1 us, 1.25 us, ... 8 s, 10 s */
#define CY_PAUSE_HIST_BUCKETS (CY_PAUSE_HIST_BOUNDS + 1)
uint64_t cy_pause_hist_bound_ns(int i);

/* The bucket a pause of duration_ns falls in. */
int cy_pause_hist_bucket(uint64_t duration_ns);

#define CY_MMU_CURVE_POINTS 13
extern const double cy_mmu_curve_window_ms[CY_MMU_CURVE_POINTS]; /* 0.1, 0.2, 0.5, 1, ... 1000 */

#define CY_PAUSE_PREEMPTED_FRACTION 0.5
#define CY_PAUSE_PREEMPTED_MIN_US 50.0

/* Was the stopping thread preempted during pause p (above)? */
int cy_pause_preempted(const cy_gc_pause *p);

/* Percentiles by nearest rank over one set of pauses. */
typedef struct cy_pause_percentiles {
	uint64_t count;
	double p50_us, p90_us, p99_us, p999_us, max_us; /* 0 when count is 0 */
} cy_pause_percentiles;

typedef struct cy_pause_summary {
	uint64_t count;
	double total_ms;
	double cpu_ms;      /* the stopping threads' CPU time over all pauses */
	uint64_t preempted; /* pauses cy_pause_preempted flags */
	cy_pause_percentiles not_preempted; /* the percentiles again, over the pauses not preempted */
	double p50_us, p90_us, p99_us, p999_us, max_us;
	double mmu[CY_MMU_WINDOWS]; /* by cy_mmu_window_ms */
	uint64_t histogram[CY_PAUSE_HIST_BUCKETS]; /* sums to count */
	double mmu_curve[CY_MMU_CURVE_POINTS];     /* by cy_mmu_curve_window_ms */
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
