/*
 * plot_study.h: figures that follow a study: each main figure of the
 * results drawn against a knob the cells vary, never pooling cells that
 * differ in another knob.
 *
 * A study is the cells of a directory seen as points in knob space. The
 * knobs are the workload, threshold0, threshold1 and threshold2 (the three
 * numbers of --threshold, each its own knob), threads, rc, gc, alloc,
 * pause_budget_us, duration_s, ops, pin and every workload parameter by
 * its name. A knob is numeric when every cell that has it holds a number,
 * categorical otherwise. Cells that agree on every knob (they differ in
 * seed, warm-up or repetitions only) are repetitions of one configuration
 * and their runs are pooled.
 *
 * A figure of FIGURE against knob X over a set of cells: one point per
 * (value of X, series), where a series is one combination of the values of
 * every other knob that varies in the set, so no point mixes two
 * configurations. A point holds the median of FIGURE over its runs and the
 * distribution-free 95% interval of that median (bench/results/aggregate.h:
 * with five runs or fewer the interval is [min, max]). Numeric X draws a
 * line per series with error bars, on a log axis when X spans more than
 * 10x; categorical X draws grouped bars, a bar per series.
 *
 * The data file beside each figure (NAME.dat) is tab-separated with a
 * header line: x, series, n, median, ci_low, ci_high, one row per point,
 * rows ordered by series then x, so any tool reads it as a table.
 */
#ifndef CY_BENCH_PLOT_STUDY_H
#define CY_BENCH_PLOT_STUDY_H

#include <stddef.h>
#include <stdio.h>

#include "bench/report/plot_gnuplot.h"
#include "bench/report/plot_input.h"

typedef struct cy_study cy_study;

/* A figure drawn by name: `--y NAME`. */
typedef struct cy_study_figure {
	const char *name;  /* "pause_p99_us" */
	const char *title; /* "Pause p99" */
	const char *axis;  /* "pause p99 (us)" */
} cy_study_figure;

/* The main figures, in the order the default form draws them. */
extern const cy_study_figure cy_study_figures[];
extern const size_t cy_study_figure_count;

/* The knobs every result has, in the order labels name them (parameters follow). */
extern const char *const cy_study_fixed_knobs[];
extern const size_t cy_study_fixed_knob_count;

/* What `--x`, `--y`, `--by` and `--where` ask for. */
#define CY_STUDY_WHERE_MAX 16
typedef struct cy_study_request {
	const char *x, *y, *by; /* by may be NULL */
	const char *where_knob[CY_STUDY_WHERE_MAX], *where_value[CY_STUDY_WHERE_MAX];
	size_t where_count;
} cy_study_request;

/* Index the cells of in (knob values and figures of every run). -1 with why (out of memory). */
int cy_study_open(const cy_plot_input *in, cy_study **out, char *why, size_t len);
void cy_study_free(cy_study *study);

/*
 * Draw every main figure against every knob that varies among the cells of
 * each workload into gp, named "study-FIGURE-KNOB-WORKLOAD"; figures no
 * cell has data for are skipped with the reason. -1 with why.
 */
int cy_study_draw_all(const cy_study *study, cy_gp *gp, char *why, size_t len);

/*
 * Draw one figure as the request says, named name in gp's directory.
 * 0 drawn; 2 the request does not fit the cells (an unknown knob or figure,
 * a knob that does not vary, a --where that keeps no cell), with one line in
 * why; -1 any other failure, with why.
 */
int cy_study_draw_request(const cy_study *study, const cy_study_request *request, cy_gp *gp, const char *name,
	char *why, size_t len);

/* The knob and figure names, for --help. */
void cy_study_print_names(FILE *out);

#endif
