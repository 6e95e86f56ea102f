/*
 * aggregate.h: statistics over the repetitions of one configuration, and
 * the test that tells two configurations apart.
 *
 * Descriptive aggregates of n samples (cy_aggregate):
 *   median       the middle value; for even n the mean of the two middle ones
 *                (as cy_median in bench/results/stats.h, so summary medians agree);
 *   mad          median absolute deviation, median of |x - median|, RAW: not
 *                scaled (multiply by 1.4826 for a normal-consistent sigma);
 *   mean, stddev sample standard deviation, divisor n - 1 (undefined, NaN,
 *                for n = 1);
 *   cv           stddev / |mean| (NaN when either is undefined or mean is 0);
 *   min, max;
 *   ci_low, ci_high, ci_coverage: a distribution-free confidence interval
 *                for the median from order statistics. Sorted samples
 *                x(1) <= ... <= x(n); [x(k), x(n+1-k)] covers the true
 *                median with probability 1 - 2 P(B <= k - 1), B ~ Binomial(n,
 *                1/2), whatever the distribution (continuous). k is the
 *                largest with coverage >= 95%. No k reaches 95% when n <= 5:
 *                the interval is then [min, max] and ci_coverage says what it
 *                really covers (n = 1: 0, 2: 0.5, 3: 0.75, 4: 0.875,
 *                5: 0.9375); n = 6 is the first with a true 95% interval
 *                (still [min, max], coverage 0.96875). Chosen over a
 *                bootstrap because it is exact, needs no random numbers and
 *                does not pretend to more than a handful of repetitions give.
 * Non-finite samples (a figure a run lacks: null in the JSON) are left
 * out; n counts the finite ones. With n = 0 every field is NaN.
 *
 * Two-sample test (cy_mann_whitney): the two-sided Wilcoxon-Mann-Whitney
 * rank-sum test, which asks whether one sample tends to be larger than the
 * other without assuming a distribution (pyperf and Google Benchmark's
 * compare.py use the same test). Ties get midranks. For n + m <= 50
 * (CY_MANN_WHITNEY_EXACT_MAX) the p-value is exact: the permutation
 * distribution of the rank sum given the observed ranks (ties included),
 * counted by dynamic programming. Beyond that, the normal approximation of
 * U with the tie-corrected variance and a continuity correction.
 * min_p is the smallest p-value any data could give at these sample sizes,
 * 2 / C(n + m, n): with n = m = 2 it is 0.333 and with n = m = 3 it is 0.1,
 * so no difference can ever be significant at 5%; n = m = 4 is the first
 * balanced size that can be (0.029).
 */
#ifndef CY_BENCH_AGGREGATE_H
#define CY_BENCH_AGGREGATE_H

#include <stddef.h>

/* What the interval in cy_aggregate is, as results and reports name it. */
#define CY_AGGREGATE_CI_METHOD "median order statistics (binomial, distribution-free)"
#define CY_AGGREGATE_CI_LEVEL 0.95

typedef struct cy_aggregate {
	size_t n;
	double median, mad, mean, stddev, cv, min, max;
	double ci_low, ci_high, ci_coverage;
} cy_aggregate;

/* Aggregate the finite values among n (the input is not modified); -1 without memory. */
int cy_aggregate_compute(const double *values, size_t n, cy_aggregate *out);

/* Median of sorted values (n > 0). */
double cy_aggregate_median_sorted(const double *sorted, size_t n);

#define CY_MANN_WHITNEY_EXACT_MAX 50

typedef struct cy_mann_whitney {
	double u;     /* U of the first sample: pairs (a, b) with a > b, ties counting one half */
	double p;     /* two-sided */
	double min_p; /* the smallest p these sample sizes allow */
	int exact;    /* 1: exact permutation distribution; 0: normal approximation */
} cy_mann_whitney;

/* Test finite samples a (n) and b (m), both non-empty; -1 if either is empty or without memory. */
int cy_mann_whitney_test(const double *a, size_t n, const double *b, size_t m, cy_mann_whitney *out);

/* 2 / C(n + m, n), at most 1: the smallest two-sided p-value the test can give. */
double cy_mann_whitney_min_p(size_t n, size_t m);

#endif
