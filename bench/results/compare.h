/*
 * compare.h: `cyclab compare A B`, two result files or two suite output
 * directories side by side, with a judgement per figure that does not cry
 * wolf.
 *
 * Cells are matched by cell key (bench/results/result_read.h); two single
 * files are compared whatever their keys, since comparing two
 * configurations is the point, and the differing knobs are named. Results
 * in one directory with the same key (a suite that lists several seeds)
 * are pooled: their runs are replications of one configuration. For each
 * matched cell and each main figure (bench/results/figures.h) the report
 * gives both medians, the ratio B/A with its 95% bootstrap interval, the
 * Mann-Whitney p-value and the p-value adjusted by Holm's method over every
 * figure of every cell compared, and a verdict (compare_stats.h): better
 * or worse by the figure's direction when significant, unstable, too few
 * runs (with how many would do), or not significant. Then, per figure, the
 * geometric mean of the ratios over the cells with its interval.
 *
 * Formats: text (for people), csv (one row per cell and figure, then the
 * geometric means), markdown (tables for a paper's notes) and json (schema
 * cyclab-compare/2: every cell's figures with metric, ratio, ci_low,
 * ci_high, p, p_adjusted, significant and verdict). Version 2 differs from
 * version 1 in what "significant" means (adjusted for the family, interval
 * excluding 1); a reader of version 1 files finds the same keys, plus new
 * ones.
 */
#ifndef CY_BENCH_COMPARE_H
#define CY_BENCH_COMPARE_H

#include "bench/results/compare_stats.h"

#define CY_COMPARE_SCHEMA "cyclab-compare/2"

/* The command (argv[0] reads "cyclab compare"). */
int cy_compare_main(int argc, char **argv);

#endif
