/*
 * aggregate.c: descriptive statistics over repetitions and the
 * Mann-Whitney rank-sum test (aggregate.h defines every figure and says
 * how each behaves for small n).
 *
 * Everything here is plain arithmetic on copies of the caller's arrays:
 * no state, no random numbers, so the same samples always give the same
 * aggregates and the same verdict.
 */
#include "bench/results/aggregate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double cy_aggregate_median_sorted(const double *sorted, size_t n)
{
	return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/*
 * The rank k (1-based) of the order-statistic interval [x(k), x(n+1-k)]
 * for the median, and its coverage 1 - 2 P(B <= k - 1), B ~ Binomial(n, 1/2):
 * the largest k whose coverage is at least the level, or k = 1 when none is.
 * The binomial terms are summed in log space so large n does not underflow.
 */
static size_t median_interval_rank(size_t n, double level, double *coverage)
{
	double log_pmf = -(double)n * log(2.0); /* P(B = 0) */
	double cdf = exp(log_pmf);              /* P(B <= k - 1) for k = 1 */
	size_t k = 1;
	*coverage = 1 - 2 * cdf;
	while (k + 1 <= (n + 1) / 2) {
		/* P(B = k) from P(B = k - 1): times (n - k + 1) / k. */
		log_pmf += log((double)(n - k + 1)) - log((double)k);
		double next_cdf = cdf + exp(log_pmf);
		double next_coverage = 1 - 2 * next_cdf;
		if (next_coverage < level)
			break;
		cdf = next_cdf;
		*coverage = next_coverage;
		k++;
	}
	return k;
}

int cy_aggregate_compute(const double *values, size_t n, cy_aggregate *out)
{
	const double nan = NAN;
	*out = (cy_aggregate){
		.median = nan, .mad = nan, .mean = nan, .stddev = nan, .cv = nan, .min = nan, .max = nan,
		.ci_low = nan, .ci_high = nan, .ci_coverage = nan,
	};
	double *sorted = malloc((n ? n : 1) * sizeof *sorted);
	if (!sorted)
		return -1;
	size_t count = 0;
	for (size_t i = 0; i < n; i++) {
		if (isfinite(values[i]))
			sorted[count++] = values[i];
	}
	out->n = count;
	if (count == 0) {
		free(sorted);
		return 0;
	}
	qsort(sorted, count, sizeof *sorted, compare_double);
	out->min = sorted[0];
	out->max = sorted[count - 1];
	out->median = cy_aggregate_median_sorted(sorted, count);

	double sum = 0;
	for (size_t i = 0; i < count; i++)
		sum += sorted[i];
	out->mean = sum / (double)count;
	if (count > 1) {
		double squares = 0;
		for (size_t i = 0; i < count; i++)
			squares += (sorted[i] - out->mean) * (sorted[i] - out->mean);
		out->stddev = sqrt(squares / (double)(count - 1));
		if (out->mean != 0)
			out->cv = out->stddev / fabs(out->mean);
	}

	double coverage;
	size_t k = median_interval_rank(count, CY_AGGREGATE_CI_LEVEL, &coverage);
	out->ci_low = sorted[k - 1];
	out->ci_high = sorted[count - k];
	out->ci_coverage = coverage;

	/* The deviations reuse the buffer: the order statistics are taken already. */
	for (size_t i = 0; i < count; i++)
		sorted[i] = fabs(sorted[i] - out->median);
	qsort(sorted, count, sizeof *sorted, compare_double);
	out->mad = cy_aggregate_median_sorted(sorted, count);
	free(sorted);
	return 0;
}

/* ---- Mann-Whitney U ---------------------------------------------------------------- */

double cy_mann_whitney_min_p(size_t n, size_t m)
{
	/* log C(n + m, n), by the product (m + i) / i for i = 1..n. */
	double log_choose = 0;
	for (size_t i = 1; i <= n; i++)
		log_choose += log((double)(m + i)) - log((double)i);
	double p = 2 * exp(-log_choose);
	return p > 1 ? 1 : p;
}

typedef struct ranked {
	double value;
	int in_a;
} ranked;

static int compare_ranked(const void *x, const void *y)
{
	return compare_double(&((const ranked *)x)->value, &((const ranked *)y)->value);
}

/*
 * Exact two-sided p: the fraction of the C(N, n) ways to choose which n of
 * the N ranks belong to the first sample whose rank sum lies at least as far
 * from its mean n (N + 1) / 2 as the observed one. Ranks are doubled
 * (midranks of ties become integers), so sums and distances are exact
 * integers; ways[k][s] counts the subsets of the ranks seen so far with k
 * members and doubled sum s. Counts stay below C(50, 25) ~ 1.3e14, exact in
 * a double.
 */
static int exact_p(const long *rank2, size_t total, size_t n, long observed, double *p)
{
	long max_sum = (long)(total * (total + 1));
	size_t width = (size_t)max_sum + 1;
	double *ways = calloc((n + 1) * width, sizeof *ways);
	if (!ways)
		return -1;
	ways[0] = 1;
	for (size_t i = 0; i < total; i++) {
		size_t top = i + 1 < n ? i + 1 : n;
		for (size_t k = top; k >= 1; k--) {
			double *row = ways + k * width, *below = ways + (k - 1) * width;
			for (long s = max_sum; s >= rank2[i]; s--)
				row[s] += below[s - rank2[i]];
		}
	}
	long center = (long)(n * (total + 1));
	long distance = labs(observed - center);
	double extreme = 0, all = 0;
	const double *row = ways + n * width;
	for (long s = 0; s <= max_sum; s++) {
		all += row[s];
		if (labs(s - center) >= distance)
			extreme += row[s];
	}
	free(ways);
	*p = extreme / all;
	return 0;
}

int cy_mann_whitney_test(const double *a, size_t n, const double *b, size_t m, cy_mann_whitney *out)
{
	if (n == 0 || m == 0)
		return -1;
	size_t total = n + m;
	ranked *all = malloc(total * sizeof *all);
	long *rank2 = malloc(total * sizeof *rank2);
	if (!all || !rank2) {
		free(all);
		free(rank2);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		all[i] = (ranked){a[i], 1};
	for (size_t i = 0; i < m; i++)
		all[n + i] = (ranked){b[i], 0};
	qsort(all, total, sizeof *all, compare_ranked);

	/* Doubled midranks: a tie group at 1-based positions first..last gets first + last each. */
	long observed = 0;   /* doubled rank sum of the first sample */
	double ties = 0;     /* sum of t^3 - t over tie groups, for the normal variance */
	for (size_t first = 0; first < total;) {
		size_t last = first;
		while (last + 1 < total && all[last + 1].value == all[first].value)
			last++;
		long doubled = (long)(first + 1) + (long)(last + 1);
		for (size_t i = first; i <= last; i++) {
			rank2[i] = doubled;
			if (all[i].in_a)
				observed += doubled;
		}
		double t = (double)(last - first + 1);
		ties += t * t * t - t;
		first = last + 1;
	}
	free(all);

	double nn = (double)n, mm = (double)m, big = (double)total;
	out->u = (double)observed / 2 - nn * (nn + 1) / 2;
	out->min_p = cy_mann_whitney_min_p(n, m);
	out->exact = total <= CY_MANN_WHITNEY_EXACT_MAX;
	if (out->exact) {
		int err = exact_p(rank2, total, n, observed, &out->p);
		free(rank2);
		return err;
	}
	free(rank2);
	double mean = nn * mm / 2;
	double variance = nn * mm / 12 * ((big + 1) - ties / (big * (big - 1)));
	if (variance <= 0) {
		out->p = 1; /* every value tied: no evidence either way */
		return 0;
	}
	double z = (fabs(out->u - mean) - 0.5) / sqrt(variance);
	out->p = z <= 0 ? 1 : erfc(z / sqrt(2.0));
	return 0;
}
