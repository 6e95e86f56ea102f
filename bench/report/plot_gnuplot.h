/*
 * plot_gnuplot.h: writing gnuplot scripts and data beside each other and
 * running gnuplot on them, for `cyclab plot`.
 *
 * Each figure NAME becomes, in the output directory:
 *   NAME.dat  the numbers drawn (whitespace-separated; blocks by index)
 *   NAME.gp   the script: SVG then PNG of the same plot, runnable by hand
 *             there (`gnuplot NAME.gp`)
 *   NAME.svg, NAME.png
 * and plots.tsv lists every figure made and every one skipped, with the
 * reason, one per line: "made<TAB>NAME<TAB>TITLE<TAB>SUBTITLE" or
 * "skipped<TAB>NAME<TAB>REASON". The report reads that list.
 *
 * Every file appears whole or not at all: each is written as FILE.tmp and
 * renamed once complete (gnuplot itself writes NAME.svg.tmp and
 * NAME.png.tmp, renamed after it exits with success). A figure gnuplot
 * fails on leaves nothing behind but its .gp and .dat, for a look.
 *
 * gnuplot is /usr/bin/gnuplot (Debian's gnuplot-nox), or CYCLAB_GNUPLOT.
 * PNGs come from the cairo terminal when gnuplot has it, else libgd's.
 */
#ifndef CY_BENCH_PLOT_GNUPLOT_H
#define CY_BENCH_PLOT_GNUPLOT_H

#include <stddef.h>
#include <stdio.h>

#define CY_GP_NAME_MAX 96
#define CY_GP_TEXT_MAX 400

typedef struct cy_gp_entry {
	int made;
	char name[CY_GP_NAME_MAX];
	char title[CY_GP_TEXT_MAX];    /* made: the title */
	char subtitle[CY_GP_TEXT_MAX]; /* made: the second line; skipped: why */
} cy_gp_entry;

typedef struct cy_gp {
	char out_dir[4096];
	char gnuplot[4096];
	const char *png_terminal;
	cy_gp_entry *entries;
	size_t count;
	/* The figure being written, between cy_gp_begin and cy_gp_end. */
	FILE *script, *data;
	char data_name[CY_GP_NAME_MAX + 8]; /* NAME.dat, as the script names it */
	/* Set by the caller before cy_gp_begin: the data is a table whose first line is its header (no comment). */
	int table_data;
} cy_gp;

/*
 * Find gnuplot and check it writes SVG and PNG, create out_dir if needed
 * and remove the files of the figures an earlier plots.tsv there lists.
 * -1 with why (gnuplot missing or unusable, out_dir not writable).
 */
int cy_gp_open(cy_gp *gp, const char *out_dir, char *why, size_t len);
/* The same, leaving every file already in out_dir alone: for one figure drawn beside others. */
int cy_gp_open_keeping(cy_gp *gp, const char *out_dir, char *why, size_t len);
void cy_gp_close(cy_gp *gp);

/*
 * Start figure NAME (letters, digits, - _ . only): its data file is
 * gp->data, its script gp->script with terminal, output, title (two lines:
 * title, then subtitle in a smaller font if not empty), grid and key
 * already set. The caller writes the data, then the script's settings and
 * its plot command (reading gp->data_name). -1 with why.
 */
int cy_gp_begin(cy_gp *gp, const char *name, const char *title, const char *subtitle, char *why, size_t len);

/* Finish the figure: the PNG part of the script, gnuplot run, files renamed. -1 with why. */
int cy_gp_end(cy_gp *gp, char *why, size_t len);

/* Record a figure not drawn, and why (printf format). */
void cy_gp_skip(cy_gp *gp, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Write plots.tsv. -1 with why. */
int cy_gp_write_manifest(cy_gp *gp, char *why, size_t len);

/* A gnuplot string literal for text (single quotes; control characters dropped). */
void cy_gp_quote(FILE *out, const char *text);

/*
 * Category labels on the x axis, slanted, with a left margin wide enough
 * for the first one (slanted labels hang to the left of their tic).
 */
void cy_gp_slanted_xtics(FILE *script, const char *first_label);

/* A double-quoted field of a data file, for labels with spaces. */
void cy_gp_label(FILE *out, const char *text);

#endif
