/*
 * plot_input.h: what `cyclab plot` and `cyclab report` read: the
 * cyclab-result/1 files of a suite directory (or one result file) and any
 * Google Benchmark JSON beside them, held as jansson trees.
 *
 * The trees are kept whole and read by dotted paths ("config.threads",
 * "pauses.mmu_curve.utilisation") where a figure needs a value, so a plot
 * names the keys of the schema it draws and nothing else has to mirror the
 * schema in C structs.
 *
 * A cell is one result file: one configuration, its repetitions in "runs".
 * Cells are described to a reader by their knobs: threads, rc, gc, alloc,
 * threshold, pause budget, duration or ops, and each workload parameter.
 * A cell's label names the knobs that differ among the cells of its
 * workload ("rc=atomic gc=stw threads=2"), so a legend says what tells its
 * lines apart and a title what they have in common.
 */
#ifndef CY_BENCH_PLOT_INPUT_H
#define CY_BENCH_PLOT_INPUT_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

typedef struct cy_plot_cell {
	char *path;           /* as found: DIR/NAME */
	const char *name;     /* the file name inside path */
	json_t *root;         /* the whole result */
	const char *workload; /* root.workload */
	/*
	 * Bit k: label knob k (plot_input.c's order: the fixed knobs, then the
	 * workload's parameters) differs among the cells of this workload. Set
	 * once all files are read, so labels cost no pass over the other cells.
	 */
	unsigned long long varying;
} cy_plot_cell;

/* A Google Benchmark output file (`ninja micro` writes one per program). */
typedef struct cy_plot_micro {
	char *path;
	char stem[128]; /* file name without .json, letters digits - _ . only */
	json_t *root;
} cy_plot_micro;

typedef struct cy_plot_input {
	char *source; /* the directory or file named */
	int is_dir;
	cy_plot_cell *cells;
	size_t cell_count, cell_capacity;
	cy_plot_micro *micro;
	size_t micro_count;
	struct timespec newest_mtime; /* of the files read */
} cy_plot_input;

/*
 * Read every *.json of a directory (not its subdirectories; in name order)
 * or one file. Each must be a cyclab-result/1 result or Google Benchmark
 * output; anything else, unreadable or malformed, is refused with why
 * (file, line and what is wrong), as is a directory with neither.
 */
int cy_plot_input_load(const char *path, cy_plot_input *in, char *why, size_t len);
void cy_plot_input_free(cy_plot_input *in);

/* Is time a later than time b? (for modification times) */
int cy_plot_later(const struct timespec *a, const struct timespec *b);

/* ---- reading values --------------------------------------------------------------- */

/* The value at a dotted path ("runs" then an index is not a path: use json_array_get). */
json_t *cy_plot_get(json_t *root, const char *path);
/* A number at path (integer or real), or fallback when missing or not a number. */
double cy_plot_number(json_t *root, const char *path, double fallback);
/* A string at path, or fallback. */
const char *cy_plot_string(json_t *root, const char *path, const char *fallback);
/* Any scalar or array of scalars at path as text ("700,10,10", "0.3", "-" for null or missing). */
void cy_plot_text(json_t *root, const char *path, char *buf, size_t len);
/* The same for a value in hand. */
void cy_plot_value_text(json_t *value, char *buf, size_t len);

/* ---- describing cells ---------------------------------------------------------------- */

/* The distinct workloads, in order of first appearance; returns the count (at most max). */
size_t cy_plot_workloads(const cy_plot_input *in, const char **out, size_t max);

/*
 * The knobs that differ among the cells of the cell's workload, as
 * "name=value" joined by spaces, leaving out the knob named skip (or none:
 * NULL); when none differ, the cell's rc, gc and threads.
 */
void cy_plot_label(const cy_plot_input *in, const cy_plot_cell *cell, const char *skip, char *buf, size_t len);

/*
 * What all cells of a workload share, for titles: the knobs equal in every
 * cell among threads, rc, gc and alloc, and how long each run was
 * ("rc atomic, alloc pool; 3 runs of 0.3 s each"). Empty when nothing is shared.
 */
void cy_plot_common(const cy_plot_input *in, const char *workload, char *buf, size_t len);

/*
 * The median over the cell's runs of the value at path, divided by the
 * run's value at per when per is not NULL ("gc.phase_ms.mark" per
 * "seconds"); NAN when no run has both (or per is 0).
 */
double cy_plot_run_median(const cy_plot_cell *cell, const char *path, const char *per);

#endif
