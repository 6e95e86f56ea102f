/*
 * test_aggregate.c: the statistics over repetitions (bench/results/aggregate.c).
 *
 * Every expected number here was worked out by hand (the arithmetic is in
 * the comments) or, for square roots and the normal tail, with a
 * calculator from the formula the comment states: odd and even n, ties,
 * n = 1, n = 0, non-finite samples, the order-statistic interval at the
 * sizes where its coverage changes, and the Mann-Whitney test on samples
 * that are clearly apart, interleaved, tied and too small to tell, exact
 * and under the normal approximation.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bench/results/aggregate.h"

static void assert_close(double got, double want)
{
	if (!(fabs(got - want) <= 1e-9 * fmax(1, fabs(want))))
		fail_msg("got %.17g, want %.17g", got, want);
}

static void odd_count(void **state)
{
	(void)state;
	const double v[] = {3, 1, 4, 1, 5};
	double copy[5];
	memcpy(copy, v, sizeof v);
	cy_aggregate a;
	assert_int_equal(cy_aggregate_compute(copy, 5, &a), 0);
	assert_memory_equal(copy, v, sizeof v); /* the input is left as it was */
	assert_int_equal(a.n, 5);
	/* Sorted 1 1 3 4 5: median 3; |x - 3| = 2 2 0 1 2, sorted 0 1 2 2 2: MAD 2. */
	assert_close(a.median, 3);
	assert_close(a.mad, 2);
	/* Mean 14 / 5 = 2.8; squares 3.24 + 3.24 + 0.04 + 1.44 + 4.84 = 12.8; variance 12.8 / 4 = 3.2. */
	assert_close(a.mean, 2.8);
	assert_close(a.stddev, 1.7888543819998317);
	assert_close(a.cv, 1.7888543819998317 / 2.8);
	assert_close(a.min, 1);
	assert_close(a.max, 5);
	/* n = 5 reaches no 95% interval: [min, max], covering 1 - 2 / 2^5 = 0.9375. */
	assert_close(a.ci_low, 1);
	assert_close(a.ci_high, 5);
	assert_close(a.ci_coverage, 0.9375);
}

static void even_count(void **state)
{
	(void)state;
	const double v[] = {60, 10, 40, 20, 50, 30};
	cy_aggregate a;
	assert_int_equal(cy_aggregate_compute(v, 6, &a), 0);
	/* Middle pair 30, 40: median 35; deviations 25 15 5 5 15 25: MAD (15 + 15) / 2. */
	assert_close(a.median, 35);
	assert_close(a.mad, 15);
	/* Mean 35; squares 625 + 225 + 25 + 25 + 225 + 625 = 1750; variance 350. */
	assert_close(a.mean, 35);
	assert_close(a.stddev, 18.708286933869708);
	assert_close(a.cv, 18.708286933869708 / 35);
	/* n = 6 is the first true 95% interval: [x(1), x(6)], 1 - 2 / 64 = 0.96875. */
	assert_close(a.ci_low, 10);
	assert_close(a.ci_high, 60);
	assert_close(a.ci_coverage, 0.96875);
}

static void ties_and_one_value(void **state)
{
	(void)state;
	const double same[] = {2, 2, 2, 2};
	cy_aggregate a;
	assert_int_equal(cy_aggregate_compute(same, 4, &a), 0);
	assert_close(a.median, 2);
	assert_close(a.mad, 0);
	assert_close(a.stddev, 0);
	assert_close(a.cv, 0);
	assert_close(a.ci_coverage, 0.875); /* 1 - 2 / 2^4 */

	/* Ties off the middle: 1 2 2 2 9, median 2, deviations 1 0 0 0 7: MAD 0. */
	const double skewed[] = {2, 9, 2, 1, 2};
	assert_int_equal(cy_aggregate_compute(skewed, 5, &a), 0);
	assert_close(a.median, 2);
	assert_close(a.mad, 0);
	assert_close(a.mean, 3.2);

	const double one[] = {7};
	assert_int_equal(cy_aggregate_compute(one, 1, &a), 0);
	assert_int_equal(a.n, 1);
	assert_close(a.median, 7);
	assert_close(a.mad, 0);
	assert_close(a.mean, 7);
	assert_true(isnan(a.stddev)); /* no spread from one sample */
	assert_true(isnan(a.cv));
	assert_close(a.ci_low, 7);
	assert_close(a.ci_high, 7);
	assert_close(a.ci_coverage, 0); /* 1 - 2 P(B <= 0) = 1 - 2 / 2 */
}

static void missing_samples_left_out(void **state)
{
	(void)state;
	const double v[] = {1, NAN, 3, INFINITY};
	cy_aggregate a;
	assert_int_equal(cy_aggregate_compute(v, 4, &a), 0);
	assert_int_equal(a.n, 2);
	assert_close(a.median, 2);
	assert_close(a.stddev, 1.4142135623730951); /* squares 1 + 1, divisor 1 */

	assert_int_equal(cy_aggregate_compute(v, 0, &a), 0);
	assert_int_equal(a.n, 0);
	assert_true(isnan(a.median) && isnan(a.mean) && isnan(a.min) && isnan(a.ci_low) && isnan(a.mad));
	/* Zero mean: no coefficient of variation. */
	const double centred[] = {-1, 1};
	assert_int_equal(cy_aggregate_compute(centred, 2, &a), 0);
	assert_true(isnan(a.cv));
}

static void median_interval_narrows_with_n(void **state)
{
	(void)state;
	double v[20];
	for (int i = 0; i < 20; i++)
		v[19 - i] = i + 1; /* 20 down to 1 */
	cy_aggregate a;
	assert_int_equal(cy_aggregate_compute(v, 20, &a), 0);
	/*
	 * n = 20: P(B <= 5) = (1 + 20 + 190 + 1140 + 4845 + 15504) / 2^20 = 21700 / 1048576, coverage
	 * 1 - 43400 / 1048576 = 0.95861; P(B <= 6) adds 38760, coverage 0.885 < 0.95. So k = 6: [x(6), x(15)].
	 */
	assert_close(a.ci_low, 6);
	assert_close(a.ci_high, 15);
	assert_close(a.ci_coverage, 1 - 43400.0 / 1048576.0);
	assert_close(a.median, 10.5);
	assert_close(a.mad, 5); /* deviations 0.5, 0.5, 1.5, 1.5, ..., 9.5, 9.5: middle pair 4.5 and 5.5 */
}

static void mann_whitney_apart(void **state)
{
	(void)state;
	const double a[] = {1, 2, 3, 4, 5}, b[] = {6, 7, 8, 9, 10};
	cy_mann_whitney t;
	assert_int_equal(cy_mann_whitney_test(a, 5, b, 5, &t), 0);
	assert_int_equal(t.exact, 1);
	assert_close(t.u, 0); /* no a above any b */
	/* Only the two extreme arrangements of C(10, 5) = 252: p = 2 / 252. */
	assert_close(t.p, 2.0 / 252.0);
	assert_close(t.min_p, 2.0 / 252.0);
	assert_true(t.p < 0.05);
	/* The other way round: U is 25, the same p. */
	assert_int_equal(cy_mann_whitney_test(b, 5, a, 5, &t), 0);
	assert_close(t.u, 25);
	assert_close(t.p, 2.0 / 252.0);
}

static void mann_whitney_overlapping_and_identical(void **state)
{
	(void)state;
	const double a[] = {1, 3, 5, 7}, b[] = {2, 4, 6, 8};
	cy_mann_whitney t;
	assert_int_equal(cy_mann_whitney_test(a, 4, b, 4, &t), 0);
	/* U = 0 + 1 + 2 + 3 = 6; rank sum 16 against a mean of 18. Of the 70 four-subsets of 1..8, 22 have a
	 * sum of 17, 18 or 19 (7 + 8 + 7), so 48 lie at least 2 away: p = 48 / 70. */
	assert_close(t.u, 6);
	assert_close(t.p, 48.0 / 70.0);
	assert_close(t.min_p, 2.0 / 70.0);

	const double same[] = {5, 5, 5, 5};
	assert_int_equal(cy_mann_whitney_test(same, 4, same, 4, &t), 0);
	assert_close(t.u, 8);
	assert_close(t.p, 1);
}

static void mann_whitney_ties_exact(void **state)
{
	(void)state;
	/* Pooled 1 1 2 2 3 3, midranks 1.5 1.5 3.5 3.5 5.5 5.5; a's ranks sum to 6.5, 4 under the mean 10.5.
	 * Of the 20 three-subsets, those with a rank sum of 6.5 (two 1s and a 2: 2 ways) or 14.5 (a 2 and
	 * two 3s: 2 ways) are as far: p = 4 / 20. U = 6.5 - 6 = 0.5 (the tied 2s count a half). */
	const double a[] = {1, 1, 2}, b[] = {2, 3, 3};
	cy_mann_whitney t;
	assert_int_equal(cy_mann_whitney_test(a, 3, b, 3, &t), 0);
	assert_close(t.u, 0.5);
	assert_close(t.p, 0.2);
}

static void too_few_to_tell(void **state)
{
	(void)state;
	const double a[] = {1, 2}, b[] = {3, 4};
	cy_mann_whitney t;
	assert_int_equal(cy_mann_whitney_test(a, 2, b, 2, &t), 0);
	/* As far apart as two pairs can be, and still p = 2 / C(4, 2) = 1/3. */
	assert_close(t.p, 1.0 / 3.0);
	assert_close(t.min_p, 1.0 / 3.0);
	assert_close(cy_mann_whitney_min_p(3, 3), 0.1);      /* 2 / 20 */
	assert_close(cy_mann_whitney_min_p(3, 4), 2.0 / 35); /* still above 0.05 */
	assert_close(cy_mann_whitney_min_p(4, 4), 2.0 / 70); /* the first balanced size below */
	assert_close(cy_mann_whitney_min_p(1, 1), 1);
	assert_int_equal(cy_mann_whitney_test(a, 0, b, 2, &t), -1);
}

static void mann_whitney_normal_approximation(void **state)
{
	(void)state;
	double a[30], b[30];
	for (int i = 0; i < 30; i++) {
		a[i] = 2 * i;     /* 0 2 ... 58 */
		b[i] = 2 * i + 1; /* 1 3 ... 59 */
	}
	cy_mann_whitney t;
	assert_int_equal(cy_mann_whitney_test(a, 30, b, 30, &t), 0);
	assert_int_equal(t.exact, 0); /* 60 values: beyond the exact limit */
	/* a = 2k is above k of b: U = 0 + ... + 29 = 435. Mean 450, variance 900 / 12 * 61 = 4575;
	 * z = (15 - 0.5) / sqrt(4575); p = erfc(z / sqrt 2). */
	assert_close(t.u, 435);
	assert_close(t.p, 0.8302552839111963);

	/* Ties: a has 15 zeros and 15 ones, b 5 zeros and 25 ones. Midranks 10.5 and 40.5, rank sum of a
	 * 765, U = 765 - 465 = 300. Tie groups of 20 and 40: variance 75 (61 - 71940 / 3540) = 3050.847...;
	 * z = (150 - 0.5) / sqrt(3050.847...). */
	for (int i = 0; i < 30; i++) {
		a[i] = i < 15 ? 0 : 1;
		b[i] = i < 5 ? 0 : 1;
	}
	assert_int_equal(cy_mann_whitney_test(a, 30, b, 30, &t), 0);
	assert_close(t.u, 300);
	assert_close(t.p, 0.006796734306865585);
	for (int i = 0; i < 30; i++)
		a[i] = b[i] = 4;
	assert_int_equal(cy_mann_whitney_test(a, 30, b, 30, &t), 0);
	assert_close(t.p, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(odd_count),
		cmocka_unit_test(even_count),
		cmocka_unit_test(ties_and_one_value),
		cmocka_unit_test(missing_samples_left_out),
		cmocka_unit_test(median_interval_narrows_with_n),
		cmocka_unit_test(mann_whitney_apart),
		cmocka_unit_test(mann_whitney_overlapping_and_identical),
		cmocka_unit_test(mann_whitney_ties_exact),
		cmocka_unit_test(too_few_to_tell),
		cmocka_unit_test(mann_whitney_normal_approximation),
	};
	return cmocka_run_group_tests_name("aggregate", tests, NULL, NULL);
}
