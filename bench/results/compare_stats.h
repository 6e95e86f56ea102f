/*
 * compare_stats.h: the statistics `cyclab compare` judges a difference by,
 * in a form the tests can drive with synthetic samples.
 *
 * One comparison is one figure of one cell: samples a (n runs of A) and b
 * (m runs of B). For each:
 *   ratio       median(b) / median(a);
 *   ci_low/high a 95% percentile bootstrap interval of that ratio: A and B
 *               resampled with replacement, each on its own, iterations
 *               times, from a seeded generator (splitmix64), so the same
 *               inputs and seed give the same interval;
 *   p           the two-sided Mann-Whitney p-value (aggregate.h), exact up
 *               to 50 runs in all;
 *   cv          the robust coefficient of variation of each side,
 *               1.4826 MAD / |median| (a normal sample's sigma / mean),
 *               which one wild run does not inflate as it does stddev/mean.
 * A figure zero in every run of both, or one value in every run of both
 * (a count fixed by the workload), is not tested: there is nothing to tell.
 * Nor is a process-level figure (figures.h), whose runs on each side share
 * one process and so cannot tell a difference between processes from an
 * effect.
 *
 * A family is every tested comparison of one `cyclab compare` (every cell,
 * every figure): testing 72 figures at 5% each would find three or four
 * differences in identical data. The p-values are adjusted by Holm's
 * step-down method (sorted ascending, p(i) times m - i + 1, made monotone,
 * at most 1), which keeps the chance of any false finding in the family at
 * alpha whatever the dependence between figures. A comparison is then
 *   unstable      when either side's robust CV exceeds CY_COMPARE_UNSTABLE_CV:
 *                 the runs disagree too much among themselves to judge;
 *   too few runs  when even the most extreme data could not reach the
 *                 adjusted level at these sample sizes (min_p times m above
 *                 alpha, Holm's first step);
 *   significant   when p_adjusted < alpha and the interval excludes 1: the
 *                 test finds a shift and the size of it is pinned away from
 *                 none;
 *   not significant otherwise.
 * runs_needed says how many runs a side would let a comparison that is not
 * significant be judged: the fewest at which the exact test can reach
 * alpha / m, and, for the difference observed, the normal approximation
 * n = 2 (z(1 - alpha/2m) + z(0.8))^2 (cv / ln ratio)^2 times pi/3 (the
 * Mann-Whitney test's efficiency against the t-test) for 80% power,
 * whichever is larger, capped at CY_COMPARE_RUNS_CAP.
 *
 * The geometric mean of a figure's ratios over the cells comes with its
 * own bootstrap interval: iteration i takes each cell's i-th resampled log
 * ratio, so the interval carries every cell's uncertainty at once.
 */
#ifndef CY_BENCH_COMPARE_STATS_H
#define CY_BENCH_COMPARE_STATS_H

#include <stddef.h>
#include <stdint.h>

#define CY_COMPARE_ALPHA 0.05
#define CY_COMPARE_BOOTSTRAP 2000
#define CY_COMPARE_SEED 1
#define CY_COMPARE_UNSTABLE_CV 0.25
#define CY_COMPARE_RUNS_CAP 1000
#define CY_COMPARE_ADJUSTMENT "Holm"
#define CY_COMPARE_CI_METHOD "percentile bootstrap of the ratio of medians"

typedef enum cy_compare_verdict {
	CY_VERDICT_MISSING,         /* a side has no sample */
	CY_VERDICT_ZERO,            /* zero in every run of both */
	CY_VERDICT_CONSTANT,        /* one value in every run of both */
	CY_VERDICT_PROCESS_LEVEL,   /* a process-level figure (figures.h): shown, not tested */
	CY_VERDICT_UNSTABLE,
	CY_VERDICT_TOO_FEW,
	CY_VERDICT_NOT_SIGNIFICANT,
	CY_VERDICT_SIGNIFICANT,
} cy_compare_verdict;

typedef struct cy_comparison {
	size_t n_a, n_b;
	double median_a, median_b, ratio, ci_low, ci_high;
	double cv_a, cv_b;
	double p, min_p, u;  /* Mann-Whitney; NAN when not tested */
	int tested;          /* counted in the family */
	double p_adjusted;   /* NAN when not tested */
	cy_compare_verdict verdict;
	unsigned runs_needed; /* 0 when significant, not tested, or already enough */
	double *log_ratios;   /* CY_COMPARE_BOOTSTRAP resampled ln(ratio), NAN where undefined; owned, may be NULL */
} cy_comparison;

/*
 * Measure one comparison from the finite samples a (n) and b (m), with the
 * bootstrap seeded by seed; keep_resamples keeps log_ratios for a
 * geometric mean. -1 without memory.
 */
int cy_comparison_measure(cy_comparison *c, const double *a, size_t n, const double *b, size_t m, uint64_t seed,
	int keep_resamples);

void cy_comparison_free(cy_comparison *c);

/*
 * Take c out of the family: its ratio and interval stay, it gets no p-value
 * adjustment and its verdict says it was not tested (a process-level figure).
 */
void cy_comparison_exclude(cy_comparison *c);

/* Adjust the family's p-values (Holm) and give every comparison its verdict (above). */
void cy_comparison_decide(cy_comparison *family, size_t count, double alpha);

/* Holm's adjustment of p (count values; NAN ones are skipped and left NAN) into adjusted. -1 without memory. */
int cy_holm_adjust(const double *p, size_t count, double *adjusted);

/*
 * The geometric mean of the ratios of count comparisons (those with a
 * finite positive ratio and kept resamples) and its 95% bootstrap interval;
 * returns how many comparisons it took (0: all three NAN).
 */
size_t cy_geometric_mean(const cy_comparison *const *items, size_t count, double *mean, double *low, double *high);

/* "significant", "not significant", "unstable", "too few runs", ... */
const char *cy_compare_verdict_name(cy_compare_verdict v);

/* The upper q-quantile of the standard normal distribution's inverse: z with P(Z < z) = q. */
double cy_normal_quantile(double q);

#endif
