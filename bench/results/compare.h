/*
 * compare.h: `cyclab compare A B`, two result files or two suite output
 * directories side by side, with a significance verdict per figure.
 *
 * Cells are matched by cell key (bench/results/result_read.h); two single files
 * are compared whatever their keys, since comparing two configurations is
 * the point, and the differing knobs are named. Results in one directory
 * with the same key (a suite that lists several seeds) are pooled: their
 * runs are replications of one configuration. For each matched cell and
 * each main figure (bench/results/figures.h) the report gives both medians, the
 * ratio B/A, the two-sided Mann-Whitney p-value (bench/results/aggregate.h) and a
 * verdict at the 5% level: better or worse (by the figure's direction, in
 * the direction the test found), "differs" for a figure that is neither,
 * "not significant", or "too few runs" when the sample sizes cannot reach
 * 5% whatever the data (n = m = 2 gives at least p = 0.333).
 */
#ifndef CY_BENCH_COMPARE_H
#define CY_BENCH_COMPARE_H

#define CY_COMPARE_ALPHA 0.05
#define CY_COMPARE_SCHEMA "cyclab-compare/1"

/* The command (argv[0] reads "cyclab compare"). */
int cy_compare_main(int argc, char **argv);

#endif
