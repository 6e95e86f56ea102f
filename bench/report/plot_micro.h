/*
 * plot_micro.h: the figure of a Google Benchmark output file (what `ninja
 * micro` leaves in micro-results/, one file per program): a bar per
 * benchmark, its median CPU time per iteration.
 */
#ifndef CY_BENCH_PLOT_MICRO_H
#define CY_BENCH_PLOT_MICRO_H

#include <stddef.h>

#include "bench/report/plot_gnuplot.h"
#include "bench/report/plot_input.h"

/* Draw micro-STEM (or record why not). -1 with why if drawing failed. */
int cy_plot_micro_figure(const cy_plot_micro *m, cy_gp *gp, char *why, size_t len);

#endif
