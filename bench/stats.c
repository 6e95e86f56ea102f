/*
 * stats.c: pause percentiles and minimum mutator utilisation (stats.h).
 *
 * MMU in O(n log n) for n pauses. The pauses are first clipped to the run
 * and merged where they overlap, giving disjoint intervals sorted by start
 * (so their ends are sorted too) and a prefix sum of their lengths; the
 * paused time inside any window is then two binary searches away. Among all
 * windows of length w, utilisation is lowest for one that starts where a
 * pause starts or ends where a pause ends (sliding a window off such a
 * position only trades pause time for mutator time or leaves it the same),
 * so those 2n windows, pushed inside the run where they stick out, are the
 * only candidates.
 */
#include "bench/stats.h"

#include <stdlib.h>
#include <string.h>

const double cy_mmu_window_ms[CY_MMU_WINDOWS] = {1, 10, 100};

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

/* Paused time inside [a, b], for disjoint sorted intervals with prefix sums of their lengths. */
static uint64_t paused_within(const interval *v, const uint64_t *prefix, size_t n, uint64_t a, uint64_t b)
{
	size_t lo = 0, hi = n; /* first interval ending after a */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].end <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t first = lo;
	lo = first, hi = n; /* first interval starting at or after b */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].start < b)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo <= first)
		return 0;
	size_t last = lo - 1;
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
	for (size_t i = 0; i < 2 * n; i++) {
		/* Candidates: a window starting at a pause's start, and one ending at its end. */
		uint64_t a = i < n ? v[i].start : (v[i - n].end >= start + window ? v[i - n].end - window : start);
		if (a + window > end)
			a = end - window;
		double utilisation = 1.0 - (double)paused_within(v, prefix, n, a, a + window) / (double)window;
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

int cy_pause_summarize(const cy_gc_pause *pauses, size_t n, uint64_t run_start_ns, uint64_t run_end_ns,
	cy_pause_summary *out)
{
	memset(out, 0, sizeof *out);
	double *us = malloc((n ? n : 1) * sizeof *us);
	if (!us)
		return -1;
	uint64_t total_ns = 0;
	for (size_t i = 0; i < n; i++) {
		us[i] = (double)pauses[i].duration_ns / 1e3;
		total_ns += pauses[i].duration_ns;
	}
	qsort(us, n, sizeof *us, compare_double);
	out->count = n;
	out->total_ms = (double)total_ns / 1e6;
	out->p50_us = cy_percentile_sorted(us, n, 50);
	out->p90_us = cy_percentile_sorted(us, n, 90);
	out->p99_us = cy_percentile_sorted(us, n, 99);
	out->p999_us = cy_percentile_sorted(us, n, 99.9);
	out->max_us = n ? us[n - 1] : 0;
	free(us);
	uint64_t windows[CY_MMU_WINDOWS];
	for (int w = 0; w < CY_MMU_WINDOWS; w++)
		windows[w] = (uint64_t)(cy_mmu_window_ms[w] * 1e6);
	return mmu_all(pauses, n, run_start_ns, run_end_ns, windows, out->mmu, CY_MMU_WINDOWS);
}
