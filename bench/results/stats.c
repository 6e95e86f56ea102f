/*
 * stats.c: pause percentiles and minimum mutator utilisation (stats.h).
 *
 * MMU in O(n log n) for n pauses, then O(n) per window length. The pauses
 * are first clipped to the run and merged where they overlap, giving
 * disjoint intervals sorted by start (so their ends are sorted too) and a
 * prefix sum of their lengths; the paused time inside a window is then the
 * difference of two prefix sums, found by two cursors that only move
 * forward as the candidate windows do. Among all
 * windows of length w, utilisation is lowest for one that starts where a
 * pause starts or ends where a pause ends (sliding a window off such a
 * position only trades pause time for mutator time or leaves it the same),
 * so those 2n windows, pushed inside the run where they stick out, are the
 * only candidates.
 *
 * The histogram's bounds are kept in integer nanoseconds (the R10 mantissas
 * in thousandths times a power of ten), so which bucket a pause falls in is
 * exact and agrees with the bounds written into the result.
 */
#include "bench/results/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const double cy_mmu_window_ms[CY_MMU_WINDOWS] = {1, 10, 100};
const double cy_mmu_curve_window_ms[CY_MMU_CURVE_POINTS] = {0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};

/* R10 preferred numbers in thousandths: a decade in ten nearly equal ratios of 10^(1/10). */
static const uint64_t r10_milli[10] = {1000, 1250, 1600, 2000, 2500, 3150, 4000, 5000, 6300, 8000};

uint64_t cy_pause_hist_bound_ns(int i)
{
	if (i < 0)
		i = 0;
	if (i >= CY_PAUSE_HIST_BOUNDS)
		i = CY_PAUSE_HIST_BOUNDS - 1;
	uint64_t bound = r10_milli[i % 10]; /* in ns: 1000 ns = 1 us is the first bound */
	for (int decade = 0; decade < i / 10; decade++)
		bound *= 10;
	return bound;
}

int cy_pause_hist_bucket(uint64_t duration_ns)
{
	int lo = 0, hi = CY_PAUSE_HIST_BOUNDS; /* the first bound above duration_ns, or none */
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (cy_pause_hist_bound_ns(mid) <= duration_ns)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

typedef struct interval {
	uint64_t start, end;
} interval;

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int compare_interval(const void *a, const void *b)
{
	const interval *x = a, *y = b;
	return (x->start > y->start) - (x->start < y->start);
}

double cy_percentile_sorted(const double *sorted, size_t n, double q)
{
	if (n == 0)
		return 0;
	/* Nearest rank: the smallest value with at least q% of the values at or below it. */
	double rank = q / 100.0 * (double)n;
	size_t index = (size_t)rank;
	if ((double)index < rank)
		index++;
	if (index == 0)
		index = 1;
	if (index > n)
		index = n;
	return sorted[index - 1];
}

double cy_median(double *values, size_t n)
{
	if (n == 0)
		return 0;
	qsort(values, n, sizeof *values, compare_double);
	return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/* Clip to [start, end], sort, merge overlaps; returns the interval count, or -1 without memory. */
static long disjoint_pauses(const cy_gc_pause *pauses, size_t n, uint64_t start, uint64_t end, interval **out)
{
	interval *v = malloc((n ? n : 1) * sizeof *v);
	if (!v)
		return -1;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t s = pauses[i].start_ns, e = pauses[i].start_ns + pauses[i].duration_ns;
		if (s < start)
			s = start;
		if (e > end)
			e = end;
		if (e > s)
			v[m++] = (interval){s, e};
	}
	qsort(v, m, sizeof *v, compare_interval);
	size_t k = 0;
	for (size_t i = 0; i < m; i++) {
		if (k > 0 && v[i].start <= v[k - 1].end) {
			if (v[i].end > v[k - 1].end)
				v[k - 1].end = v[i].end;
		} else {
			v[k++] = v[i];
		}
	}
	*out = v;
	return (long)k;
}

/*
 * Where a window [a, b] lies among the intervals: the first interval ending
 * after a, and the first starting at or after b. Both only move forward
 * while the windows asked about move forward.
 */
typedef struct window_cursor {
	size_t first, after;
} window_cursor;

/*
 * Paused time inside [a, b], for disjoint sorted intervals with prefix sums
 * of their lengths. a and b must not decrease between calls on one cursor.
 */
static uint64_t paused_within(const interval *v, const uint64_t *prefix, size_t n, window_cursor *c, uint64_t a,
	uint64_t b)
{
	while (c->first < n && v[c->first].end <= a)
		c->first++;
	if (c->after < c->first)
		c->after = c->first; /* those before first end at or before a < b, so start before b */
	while (c->after < n && v[c->after].start < b)
		c->after++;
	if (c->after <= c->first)
		return 0;
	size_t first = c->first, last = c->after - 1;
	uint64_t total = prefix[last + 1] - prefix[first];
	if (v[first].start < a)
		total -= a - v[first].start;
	if (v[last].end > b)
		total -= v[last].end - b;
	return total;
}

static double mmu_of(const interval *v, const uint64_t *prefix, size_t n, uint64_t start, uint64_t end,
	uint64_t window)
{
	if (end <= start)
		return 1.0;
	if (window > end - start)
		window = end - start;
	double worst = 1.0;
	window_cursor cursor = {0, 0};
	for (size_t i = 0; i < 2 * n; i++) {
		/*
		 * Candidates: windows starting at each pause's start, then (a second
		 * pass, so a fresh cursor) windows ending at each pause's end. Within
		 * a pass the windows move forward, pushed inside the run.
		 */
		if (i == n)
			cursor = (window_cursor){0, 0};
		uint64_t a = i < n ? v[i].start : (v[i - n].end >= start + window ? v[i - n].end - window : start);
		if (a + window > end)
			a = end - window;
		double utilisation = 1.0 - (double)paused_within(v, prefix, n, &cursor, a, a + window) / (double)window;
		if (utilisation < worst)
			worst = utilisation;
	}
	return worst < 0 ? 0 : worst;
}

static int mmu_all(const cy_gc_pause *pauses, size_t n, uint64_t start, uint64_t end, const uint64_t *windows,
	double *out, size_t count)
{
	interval *v;
	long m = disjoint_pauses(pauses, n, start, end, &v);
	if (m < 0)
		return -1;
	uint64_t *prefix = malloc(((size_t)m + 1) * sizeof *prefix);
	if (!prefix) {
		free(v);
		return -1;
	}
	prefix[0] = 0;
	for (long i = 0; i < m; i++)
		prefix[i + 1] = prefix[i] + (v[i].end - v[i].start);
	for (size_t w = 0; w < count; w++)
		out[w] = mmu_of(v, prefix, (size_t)m, start, end, windows[w]);
	free(prefix);
	free(v);
	return 0;
}

double cy_mmu(const cy_gc_pause *pauses, size_t n, uint64_t run_start_ns, uint64_t run_end_ns, uint64_t window_ns)
{
	double result;
	if (mmu_all(pauses, n, run_start_ns, run_end_ns, &window_ns, &result, 1) != 0)
		return -1;
	return result;
}

int cy_pause_preempted(const cy_gc_pause *p)
{
	uint64_t working = p->duration_ns > p->max_time_to_safepoint_ns ? p->duration_ns - p->max_time_to_safepoint_ns : 0;
	uint64_t off_cpu = working > p->cpu_ns ? working - p->cpu_ns : 0;
	return (double)off_cpu > CY_PAUSE_PREEMPTED_FRACTION * (double)working &&
	       (double)off_cpu >= CY_PAUSE_PREEMPTED_MIN_US * 1e3;
}

/* Sort n durations (us) in place and take their percentiles. */
static void percentiles_of(double *us, size_t n, cy_pause_percentiles *out)
{
	qsort(us, n, sizeof *us, compare_double);
	out->count = n;
	out->p50_us = cy_percentile_sorted(us, n, 50);
	out->p90_us = cy_percentile_sorted(us, n, 90);
	out->p99_us = cy_percentile_sorted(us, n, 99);
	out->p999_us = cy_percentile_sorted(us, n, 99.9);
	out->max_us = n ? us[n - 1] : 0;
}

int cy_pause_summarize(const cy_gc_pause *pauses, size_t n, uint64_t run_start_ns, uint64_t run_end_ns,
	cy_pause_summary *out)
{
	memset(out, 0, sizeof *out);
	double *us = malloc((n ? n : 1) * sizeof *us);
	if (!us)
		return -1;
	uint64_t total_ns = 0, cpu_ns = 0;
	size_t kept = 0; /* the pauses not preempted, first in us */
	for (size_t i = 0; i < n; i++) {
		total_ns += pauses[i].duration_ns;
		cpu_ns += pauses[i].cpu_ns;
		out->histogram[cy_pause_hist_bucket(pauses[i].duration_ns)]++;
		if (!cy_pause_preempted(&pauses[i]))
			us[kept++] = (double)pauses[i].duration_ns / 1e3;
	}
	out->preempted = n - kept;
	percentiles_of(us, kept, &out->not_preempted);
	for (size_t i = 0; i < n; i++)
		us[i] = (double)pauses[i].duration_ns / 1e3;
	cy_pause_percentiles all;
	percentiles_of(us, n, &all);
	free(us);
	out->count = n;
	out->total_ms = (double)total_ns / 1e6;
	out->cpu_ms = (double)cpu_ns / 1e6;
	out->p50_us = all.p50_us;
	out->p90_us = all.p90_us;
	out->p99_us = all.p99_us;
	out->p999_us = all.p999_us;
	out->max_us = all.max_us;
	/* One pass over the merged pauses for the fixed windows and the curve together. */
	uint64_t windows[CY_MMU_WINDOWS + CY_MMU_CURVE_POINTS];
	double utilisation[CY_MMU_WINDOWS + CY_MMU_CURVE_POINTS];
	for (int w = 0; w < CY_MMU_WINDOWS; w++)
		windows[w] = (uint64_t)llround(cy_mmu_window_ms[w] * 1e6);
	for (int w = 0; w < CY_MMU_CURVE_POINTS; w++)
		windows[CY_MMU_WINDOWS + w] = (uint64_t)llround(cy_mmu_curve_window_ms[w] * 1e6);
	if (mmu_all(pauses, n, run_start_ns, run_end_ns, windows, utilisation, CY_MMU_WINDOWS + CY_MMU_CURVE_POINTS) != 0)
		return -1;
	memcpy(out->mmu, utilisation, sizeof out->mmu);
	memcpy(out->mmu_curve, utilisation + CY_MMU_WINDOWS, sizeof out->mmu_curve);
	return 0;
}
