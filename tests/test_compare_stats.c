/*
 * test_compare_stats.c: the statistics `cyclab compare` judges by
 * (bench/results/compare_stats.c), on synthetic data whose truth is known.
 *
 * - Holm's adjustment and the normal quantile against numbers worked by hand.
 * - A/A: many simulated comparisons, each a family of figures whose A and B
 *   runs are drawn from one distribution; the share of figures called
 *   significant, and the share of families with any, stay at or below the
 *   nominal 5%.
 * - A known shift (B 10% above A in one figure of each family, 10 runs a
 *   side, 3% noise) is found in nearly every family, and the geometric mean
 *   of many such cells has an interval around 1.10 that excludes 1.
 * - Runs that scatter are unstable, not significant; too few runs say how
 *   many would do.
 * The draws come from a fixed seed, so each count is the same on every run.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bench/results/aggregate.h"
#include "bench/results/compare_stats.h"

static uint64_t rng_state;

static double uniform(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return ((double)(z >> 11) + 0.5) / 9007199254740992.0; /* (0, 1) */
}

/* A standard normal draw (Box-Muller). */
static double normal(void)
{
	return sqrt(-2 * log(uniform())) * cos(2 * M_PI * uniform());
}

/* n runs of a figure around centre with relative noise (log-normal, as timings are). */
static void draw_runs(double *out, size_t n, double centre, double noise)
{
	for (size_t i = 0; i < n; i++)
		out[i] = centre * exp(noise * normal());
}

static void holm_by_hand(void **state)
{
	(void)state;
	/* Sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1: 0.02, 0.03, 0.06, 0.04, made monotone: 0.06 for the last. */
	const double p[] = {0.01, 0.04, 0.03, 0.005, NAN};
	double adjusted[5];
	assert_int_equal(cy_holm_adjust(p, 5, adjusted), 0);
	assert_true(fabs(adjusted[0] - 0.03) < 1e-15);
	assert_true(fabs(adjusted[1] - 0.06) < 1e-15);
	assert_true(fabs(adjusted[2] - 0.06) < 1e-15);
	assert_true(fabs(adjusted[3] - 0.02) < 1e-15);
	assert_true(isnan(adjusted[4]));
	/* Capped at 1. */
	const double big[] = {0.5, 0.6};
	assert_int_equal(cy_holm_adjust(big, 2, adjusted), 0);
	assert_true(adjusted[0] == 1 && adjusted[1] == 1);
	/* z(0.975) = 1.959964, z(0.8) = 0.841621, z(0.5) = 0. */
	assert_true(fabs(cy_normal_quantile(0.975) - 1.959964) < 1e-6);
	assert_true(fabs(cy_normal_quantile(0.8) - 0.841621) < 1e-6);
	assert_true(fabs(cy_normal_quantile(0.5)) < 1e-9);
}

#define FIGURES 16
#define RUNS 10

/* One simulated `cyclab compare` of one cell: FIGURES figures, figure 0 of B scaled by shift. */
static void simulate_family(cy_comparison *family, double shift, double noise, size_t runs, int keep)
{
	double a[64], b[64];
	for (int f = 0; f < FIGURES; f++) {
		double centre = 10 + 100 * f; /* figures of different scales */
		draw_runs(a, runs, centre, noise);
		draw_runs(b, runs, centre * (f == 0 ? shift : 1), noise);
		assert_int_equal(cy_comparison_measure(&family[f], a, runs, b, runs, (uint64_t)f + 77, keep), 0);
	}
	cy_comparison_decide(family, FIGURES, CY_COMPARE_ALPHA);
}

static void free_family(cy_comparison *family)
{
	for (int f = 0; f < FIGURES; f++)
		cy_comparison_free(&family[f]);
}

static void aa_false_positives_within_nominal(void **state)
{
	(void)state;
	rng_state = 12;
	enum { FAMILIES = 200 };
	size_t significant = 0, families_with_any = 0, raw = 0, tested = 0;
	for (int k = 0; k < FAMILIES; k++) {
		cy_comparison family[FIGURES];
		simulate_family(family, 1.0, 0.03, RUNS, 0);
		size_t here = 0;
		for (int f = 0; f < FIGURES; f++) {
			here += family[f].verdict == CY_VERDICT_SIGNIFICANT;
			raw += family[f].p < CY_COMPARE_ALPHA;
			tested += family[f].tested;
		}
		significant += here;
		families_with_any += here > 0;
		free_family(family);
	}
	assert_int_equal(tested, FAMILIES * FIGURES);
	/* The figures called significant, and the families with any: at most 5% of each. */
	assert_true((double)significant <= 0.05 * FAMILIES * FIGURES);
	assert_true((double)families_with_any <= 0.05 * FAMILIES);
	/* Without the adjustment about one figure in twenty would be: which is what the adjustment is for. */
	assert_true(raw > significant);
	print_message("A/A: %zu of %d figures significant (%zu unadjusted), %zu of %d families with any\n", significant,
		FAMILIES * FIGURES, raw, families_with_any, FAMILIES);
}

static void known_shift_is_found(void **state)
{
	(void)state;
	rng_state = 34;
	enum { FAMILIES = 100, CELLS = 8 };
	size_t found = 0, false_positives = 0;
	for (int k = 0; k < FAMILIES; k++) {
		cy_comparison family[FIGURES];
		simulate_family(family, 1.10, 0.03, RUNS, 0);
		found += family[0].verdict == CY_VERDICT_SIGNIFICANT && family[0].ci_low > 1;
		for (int f = 1; f < FIGURES; f++)
			false_positives += family[f].verdict == CY_VERDICT_SIGNIFICANT;
		free_family(family);
	}
	assert_true(found >= 95 * FAMILIES / 100);
	assert_true((double)false_positives <= 0.05 * FAMILIES * (FIGURES - 1));
	print_message("shift of 10%%: found in %zu of %d families\n", found, FAMILIES);

	/* The geometric mean over eight cells, each shifted by 10%: its interval holds 1.10 and not 1. */
	cy_comparison cells[CELLS];
	const cy_comparison *items[CELLS];
	for (int c = 0; c < CELLS; c++) {
		double a[RUNS], b[RUNS];
		draw_runs(a, RUNS, 100 + c, 0.03);
		draw_runs(b, RUNS, (100 + c) * 1.10, 0.03);
		assert_int_equal(cy_comparison_measure(&cells[c], a, RUNS, b, RUNS, (uint64_t)c, 1), 0);
		items[c] = &cells[c];
	}
	cy_comparison_decide(cells, CELLS, CY_COMPARE_ALPHA);
	double mean, low, high;
	assert_int_equal(cy_geometric_mean(items, CELLS, &mean, &low, &high), CELLS);
	assert_true(low < 1.10 && high > 1.10 && low > 1);
	assert_true(low <= mean && mean <= high);
	for (int c = 0; c < CELLS; c++)
		cy_comparison_free(&cells[c]);
}

static void scatter_is_unstable_and_few_runs_say_how_many(void **state)
{
	(void)state;
	/* A doubling, but runs scattered by a factor of two each way: unstable, whatever the p-value. */
	const double a[] = {50, 100, 200, 60, 180, 90, 110, 70, 150, 120};
	double b[10];
	for (int i = 0; i < 10; i++)
		b[i] = 2 * a[i];
	cy_comparison c;
	assert_int_equal(cy_comparison_measure(&c, a, 10, b, 10, 1, 0), 0);
	cy_comparison_decide(&c, 1, CY_COMPARE_ALPHA);
	assert_int_equal(c.verdict, CY_VERDICT_UNSTABLE);
	assert_true(c.ratio == 2);
	cy_comparison_free(&c);

	/* Three runs a side, clearly apart: the smallest p possible, 2 / C(6, 3) = 0.1, cannot reach 5%. */
	const double lo[] = {100, 101, 102}, hi[] = {200, 201, 202};
	assert_int_equal(cy_comparison_measure(&c, lo, 3, hi, 3, 1, 0), 0);
	cy_comparison_decide(&c, 1, CY_COMPARE_ALPHA);
	assert_int_equal(c.verdict, CY_VERDICT_TOO_FEW);
	/* Four a side can (2 / C(8, 4) = 0.029), and so small a spread needs no more. */
	assert_int_equal(c.runs_needed, 4);
	cy_comparison_free(&c);

	/* One value in every run of both, and zero in every run: nothing to test, not in the family. */
	const double same[] = {7, 7, 7}, zero[] = {0, 0, 0};
	assert_int_equal(cy_comparison_measure(&c, same, 3, same, 3, 1, 0), 0);
	assert_int_equal(c.verdict, CY_VERDICT_CONSTANT);
	assert_false(c.tested);
	assert_int_equal(cy_comparison_measure(&c, zero, 3, zero, 3, 1, 0), 0);
	assert_int_equal(c.verdict, CY_VERDICT_ZERO);
	assert_int_equal(cy_comparison_measure(&c, zero, 0, zero, 3, 1, 0), 0);
	assert_int_equal(c.verdict, CY_VERDICT_MISSING);

	/* The same samples and seed give the same interval. */
	cy_comparison x, y;
	assert_int_equal(cy_comparison_measure(&x, a, 10, b, 10, 9, 0), 0);
	assert_int_equal(cy_comparison_measure(&y, a, 10, b, 10, 9, 0), 0);
	assert_true(x.ci_low == y.ci_low && x.ci_high == y.ci_high);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(holm_by_hand),
		cmocka_unit_test(aa_false_positives_within_nominal),
		cmocka_unit_test(known_shift_is_found),
		cmocka_unit_test(scatter_is_unstable_and_few_runs_say_how_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
