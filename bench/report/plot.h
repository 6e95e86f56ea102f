/*
 * plot.h: `cyclab plot DIR [-o OUT]`: figures of a suite's results (or of
 * one result file, or of Google Benchmark output) drawn with gnuplot, as
 * SVG and PNG, with the scripts and data beside them (plot_gnuplot.h).
 *
 First, per workload, the study figures (plot_study.h): each main figure
 * against each knob that varies among the cells, study-FIGURE-KNOB-W.
 * Then, per workload, where the results support it:
 *   throughput-W   throughput against threads, a line per configuration
 *                  of the other knobs (rc first): needs two thread counts
 *   pause-cdf-W    the pause-time CDF, a line per configuration
 *   pause-hist-W   the pause-time histogram, a line per configuration
 *   mmu-W          minimum mutator utilisation against window, per configuration
 *   heap-W         heap bytes in use over time, a line per cell
 *   live-W         live objects over time, a line per cell
 *   phases-W       collector time per phase, a stacked bar per cell
 *   locks-W        lock wait and contended acquisitions, per cell
 *   rc-ops-W       reference-count operations per operation, per cell
 * and per Google Benchmark file F: micro-F, median CPU time per benchmark.
 * A figure the data cannot support is skipped with the reason, printed
 * and listed in OUT/plots.tsv; so is one that would need a line or bar for
 * each of more than 24 configurations or cells (the study figures
 * summarise those, and the explicit form narrows them with --where).
 */
#ifndef CY_BENCH_PLOT_H
#define CY_BENCH_PLOT_H

#include <stddef.h>
#include <stdio.h>

#include "bench/report/plot_gnuplot.h"
#include "bench/report/plot_input.h"

/* Draw every figure into gp's directory and write its plots.tsv. -1 with why. */
int cy_plot_draw(const cy_plot_input *in, cy_gp *gp, char *why, size_t len);

/* The default output directory for input path: DIR/plots, or NAME-plots for a file NAME.json. */
void cy_plot_default_dir(const char *input, char *out, size_t len);

/* A file named after the input file, beside it: NAME.json (or NAME) and suffix give NAME<suffix>. */
void cy_plot_name_beside(const char *input, const char *suffix, char *out, size_t len);

/*
 * The command line that `cyclab plot` and `cyclab report` share:
 * COMMAND INPUT [-o VALUE] [FLAG] [--help], in any order, -o also --output.
 */
typedef struct cy_plot_command_line {
	const char *command;      /* "plot": the subcommand, as the messages name it */
	const char *output_value; /* "OUT": what -o takes, as the messages name it */
	const char *output_what;  /* "a directory": what -o needs, for its message */
	const char *flag;         /* "--quiet": the one flag */
	void (*usage)(FILE *out); /* prints --help's text */
} cy_plot_command_line;

typedef struct cy_plot_args {
	const char *input, *output; /* output NULL: no -o */
	int flag;                   /* the flag was given */
} cy_plot_args;

/*
 * Parse argv (argv[0] reads "cyclab plot") into args. -1: go on; otherwise
 * the exit status to return at once: 0 after --help, 2 after one line on
 * stderr that says what is valid.
 */
int cy_plot_parse_command_line(int argc, char **argv, const cy_plot_command_line *line, cy_plot_args *args);

/* The command (argv[0] reads "cyclab plot"). */
int cy_plot_main(int argc, char **argv);

#endif
