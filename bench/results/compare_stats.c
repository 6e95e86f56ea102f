/*
 * compare_stats.c: bootstrap intervals of a ratio of medians, Holm's
 * adjustment, the verdict rules and the repetitions a comparison would
 * need (compare_stats.h says what each is).
 *
 * The bootstrap resamples into a scratch buffer and takes the median with
 * a sort: samples are repetitions, tens at most, so 2,000 resamples of a
 * figure cost well under a millisecond. The generator is splitmix64
 * (Steele, Lea and Flood, "Fast splittable pseudorandom number
 * generators", OOPSLA 2014), one stream per comparison from the seed its
 * caller gives it, so an interval does not depend on which other
 * comparisons ran before it.
 */
#include "bench/results/compare_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/results/aggregate.h"

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0 (the modulo bias is below 2^-50 for samples this small). */
static size_t draw(uint64_t *state, size_t n)
{
	return (size_t)(splitmix64(state) % n);
}

static int compare_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

/* Median of a resample of v (n) drawn into scratch; insertion sort, since n is a count of repetitions. */
static double resampled_median(const double *v, size_t n, double *scratch, uint64_t *state)
{
	for (size_t i = 0; i < n; i++) {
		double x = v[draw(state, n)];
		size_t k = i;
		for (; k > 0 && scratch[k - 1] > x; k--)
			scratch[k] = scratch[k - 1];
		scratch[k] = x;
	}
	return cy_aggregate_median_sorted(scratch, n);
}

/* The q-quantile (0..1) of sorted values by linear interpolation between order statistics. */
static double quantile_sorted(const double *sorted, size_t n, double q)
{
	double at = q * (double)(n - 1);
	size_t lo = (size_t)at;
	if (lo + 1 >= n)
		return sorted[n - 1];
	return sorted[lo] + (at - (double)lo) * (sorted[lo + 1] - sorted[lo]);
}

static int all_equal(const double *v, size_t n, double value)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] != value)
			return 0;
	return 1;
}

int cy_comparison_measure(cy_comparison *c, const double *a, size_t n, const double *b, size_t m, uint64_t seed,
	int keep_resamples)
{
	memset(c, 0, sizeof *c);
	c->n_a = n;
	c->n_b = m;
	c->median_a = c->median_b = c->ratio = c->ci_low = c->ci_high = NAN;
	c->cv_a = c->cv_b = c->p = c->min_p = c->u = c->p_adjusted = NAN;
	c->verdict = CY_VERDICT_MISSING;
	if (n == 0 || m == 0)
		return 0;
	cy_aggregate agg_a, agg_b;
	if (cy_aggregate_compute(a, n, &agg_a) != 0 || cy_aggregate_compute(b, m, &agg_b) != 0)
		return -1;
	c->median_a = agg_a.median;
	c->median_b = agg_b.median;
	c->ratio = c->median_a != 0 ? c->median_b / c->median_a : NAN;
	c->cv_a = agg_a.median != 0 ? 1.4826 * agg_a.mad / fabs(agg_a.median) : (agg_a.mad == 0 ? 0 : INFINITY);
	c->cv_b = agg_b.median != 0 ? 1.4826 * agg_b.mad / fabs(agg_b.median) : (agg_b.mad == 0 ? 0 : INFINITY);
	if (all_equal(a, n, a[0]) && all_equal(b, m, a[0])) {
		c->verdict = a[0] == 0 ? CY_VERDICT_ZERO : CY_VERDICT_CONSTANT;
		return 0;
	}
	cy_mann_whitney test;
	if (cy_mann_whitney_test(a, n, b, m, &test) != 0)
		return -1;
	c->p = test.p;
	c->min_p = test.min_p;
	c->u = test.u;
	c->tested = 1;
	c->verdict = CY_VERDICT_NOT_SIGNIFICANT;

	double *scratch = malloc((n > m ? n : m) * sizeof *scratch);
	double *ratios = malloc(CY_COMPARE_BOOTSTRAP * sizeof *ratios);
	if (!scratch || !ratios) {
		free(scratch);
		free(ratios);
		return -1;
	}
	uint64_t state = seed ^ (0x5851f42d4c957f2dull * (n * 131 + m));
	size_t finite = 0;
	for (unsigned i = 0; i < CY_COMPARE_BOOTSTRAP; i++) {
		double ma = resampled_median(a, n, scratch, &state), mb = resampled_median(b, m, scratch, &state);
		double r = ma != 0 ? mb / ma : NAN;
		ratios[i] = r;
		finite += isfinite(r);
	}
	if (keep_resamples) {
		c->log_ratios = malloc(CY_COMPARE_BOOTSTRAP * sizeof *c->log_ratios);
		if (!c->log_ratios) {
			free(scratch);
			free(ratios);
			return -1;
		}
		for (unsigned i = 0; i < CY_COMPARE_BOOTSTRAP; i++)
			c->log_ratios[i] = isfinite(ratios[i]) && ratios[i] > 0 ? log(ratios[i]) : NAN;
	}
	/* The interval only when every resample has a ratio: a median of zero in A leaves it undefined. */
	if (finite == CY_COMPARE_BOOTSTRAP) {
		qsort(ratios, CY_COMPARE_BOOTSTRAP, sizeof *ratios, compare_double);
		c->ci_low = quantile_sorted(ratios, CY_COMPARE_BOOTSTRAP, 0.025);
		c->ci_high = quantile_sorted(ratios, CY_COMPARE_BOOTSTRAP, 0.975);
	}
	free(scratch);
	free(ratios);
	return 0;
}

void cy_comparison_free(cy_comparison *c)
{
	free(c->log_ratios);
	c->log_ratios = NULL;
}

typedef struct ranked {
	double p;
	size_t index;
} ranked;

static int by_p(const void *x, const void *y)
{
	const ranked *a = x, *b = y;
	if (a->p != b->p)
		return (a->p > b->p) - (a->p < b->p);
	return (a->index > b->index) - (a->index < b->index);
}

int cy_holm_adjust(const double *p, size_t count, double *adjusted)
{
	ranked *r = malloc((count ? count : 1) * sizeof *r);
	if (!r)
		return -1;
	size_t m = 0;
	for (size_t i = 0; i < count; i++) {
		adjusted[i] = NAN;
		if (!isnan(p[i]))
			r[m++] = (ranked){p[i], i};
	}
	qsort(r, m, sizeof *r, by_p);
	double running = 0;
	for (size_t k = 0; k < m; k++) {
		double v = fmin(1, (double)(m - k) * r[k].p);
		running = fmax(running, v);
		adjusted[r[k].index] = running;
	}
	free(r);
	return 0;
}

double cy_normal_quantile(double q)
{
	/* Bisection on the normal CDF, 0.5 erfc(-z / sqrt 2): 200 halvings of [-40, 40] are exact to a double. */
	double lo = -40, hi = 40;
	for (int i = 0; i < 200 && hi - lo > 1e-12; i++) {
		double mid = (lo + hi) / 2;
		if (0.5 * erfc(-mid / sqrt(2)) < q)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

/* The fewest runs a side at which the exact test's smallest p-value reaches level. */
static unsigned runs_for_level(double level)
{
	for (unsigned k = 2; k < CY_COMPARE_RUNS_CAP; k++) {
		if (cy_mann_whitney_min_p(k, k) <= level)
			return k;
	}
	return CY_COMPARE_RUNS_CAP;
}

static unsigned runs_for_effect(const cy_comparison *c, double level)
{
	double shift = fabs(log(c->ratio));
	double spread = fmax(c->cv_a, c->cv_b);
	if (!isfinite(shift))
		return 0; /* no ratio (a median of zero): only the test's floor says anything */
	if (!isfinite(spread))
		return CY_COMPARE_RUNS_CAP;
	if (spread == 0)
		return 0;
	if (shift == 0)
		return CY_COMPARE_RUNS_CAP;
	double z = cy_normal_quantile(1 - level / 2) + cy_normal_quantile(0.8);
	double n = 2 * z * z * (spread / shift) * (spread / shift) * M_PI / 3;
	return n >= CY_COMPARE_RUNS_CAP ? CY_COMPARE_RUNS_CAP : (unsigned)ceil(n);
}

void cy_comparison_exclude(cy_comparison *c)
{
	if (c->verdict == CY_VERDICT_MISSING || c->verdict == CY_VERDICT_ZERO || c->verdict == CY_VERDICT_CONSTANT)
		return;
	c->tested = 0;
	c->p_adjusted = NAN;
	c->runs_needed = 0;
	c->verdict = CY_VERDICT_PROCESS_LEVEL;
}

void cy_comparison_decide(cy_comparison *family, size_t count, double alpha)
{
	double *p = malloc((count ? count : 1) * sizeof *p), *adjusted = malloc((count ? count : 1) * sizeof *adjusted);
	size_t m = 0;
	for (size_t i = 0; i < count; i++)
		m += family[i].tested;
	int adjusted_ok = p && adjusted;
	if (adjusted_ok) {
		for (size_t i = 0; i < count; i++)
			p[i] = family[i].tested ? family[i].p : NAN;
		adjusted_ok = cy_holm_adjust(p, count, adjusted) == 0;
	}
	double level = m ? alpha / (double)m : alpha; /* Holm's first step: what the smallest p must reach */
	unsigned at_least = runs_for_level(level);
	for (size_t i = 0; i < count; i++) {
		cy_comparison *c = &family[i];
		if (!c->tested)
			continue;
		/* Without memory for the adjustment, Bonferroni's: never smaller than Holm's. */
		c->p_adjusted = adjusted_ok ? adjusted[i] : fmin(1, c->p * (double)m);
		c->runs_needed = 0;
		if (c->cv_a > CY_COMPARE_UNSTABLE_CV || c->cv_b > CY_COMPARE_UNSTABLE_CV)
			c->verdict = CY_VERDICT_UNSTABLE;
		else if (c->min_p > level)
			c->verdict = CY_VERDICT_TOO_FEW;
		else if (c->p_adjusted < alpha && isfinite(c->ci_low) && (c->ci_low > 1 || c->ci_high < 1))
			c->verdict = CY_VERDICT_SIGNIFICANT;
		else
			c->verdict = CY_VERDICT_NOT_SIGNIFICANT;
		if (c->verdict != CY_VERDICT_SIGNIFICANT) {
			unsigned need = runs_for_effect(c, level);
			need = need > at_least ? need : at_least;
			size_t have = c->n_a < c->n_b ? c->n_a : c->n_b;
			c->runs_needed = need > have ? need : 0;
		}
	}
	free(p);
	free(adjusted);
}

size_t cy_geometric_mean(const cy_comparison *const *items, size_t count, double *mean, double *low, double *high)
{
	*mean = *low = *high = NAN;
	double *sums = calloc(CY_COMPARE_BOOTSTRAP, sizeof *sums);
	if (!sums)
		return 0;
	size_t used = 0;
	double total = 0;
	for (size_t k = 0; k < count; k++) {
		const cy_comparison *c = items[k];
		if (!(c->ratio > 0) || !isfinite(c->ratio) || !c->log_ratios)
			continue;
		int complete = 1;
		for (unsigned i = 0; i < CY_COMPARE_BOOTSTRAP && complete; i++)
			complete = isfinite(c->log_ratios[i]);
		if (!complete)
			continue;
		for (unsigned i = 0; i < CY_COMPARE_BOOTSTRAP; i++)
			sums[i] += c->log_ratios[i];
		total += log(c->ratio);
		used++;
	}
	if (used) {
		qsort(sums, CY_COMPARE_BOOTSTRAP, sizeof *sums, compare_double);
		*mean = exp(total / (double)used);
		*low = exp(quantile_sorted(sums, CY_COMPARE_BOOTSTRAP, 0.025) / (double)used);
		*high = exp(quantile_sorted(sums, CY_COMPARE_BOOTSTRAP, 0.975) / (double)used);
	}
	free(sums);
	return used;
}

const char *cy_compare_verdict_name(cy_compare_verdict v)
{
	switch (v) {
	case CY_VERDICT_MISSING: return "missing";
	case CY_VERDICT_ZERO: return "zero";
	case CY_VERDICT_CONSTANT: return "constant";
	case CY_VERDICT_PROCESS_LEVEL: return "not tested (depends on the process)";
	case CY_VERDICT_UNSTABLE: return "unstable";
	case CY_VERDICT_TOO_FEW: return "too few runs";
	case CY_VERDICT_NOT_SIGNIFICANT: return "not significant";
	case CY_VERDICT_SIGNIFICANT: return "significant";
	}
	return "?";
}
