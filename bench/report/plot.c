/*
 * plot.c: the figures of `cyclab plot` and the command (plot.h).
 *
 * Each figure function looks at one workload's cells, decides whether the
 * data can carry the figure (and says why not when it cannot), writes the
 * numbers and the gnuplot commands through plot_gnuplot.c, and has gnuplot
 * draw them. Numbers over repetitions are medians over a cell's runs;
 * pause distributions are pooled over the runs of one configuration (cells
 * with the same label, differing in seed or repetitions only), because a
 * histogram adds bucket by bucket (bench/results/stats.h); cells that
 * differ in a knob are never pooled.
 *
 * The pause histogram's first and last buckets are open (below 1 us, at or
 * above 10 s); where a figure needs their edges it takes one R10 step
 * (x1.25) beyond the bound, which is where the ladder would put them.
 */
#include "bench/report/plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/report/plot_micro.h"
#include "bench/report/plot_study.h"
#include "bench/results/stats.h"

#define LABEL_MAX 256
#define TEXT_MAX 400

/* Configurations drawn one line (or bar) each: beyond this a figure is unreadable, and skipped. */
#define MAX_CONFIGURATIONS 24

typedef struct workload_cells {
	const char *workload;
	const cy_plot_cell **cells;
	char (*labels)[LABEL_MAX]; /* labels[i]: cells[i]'s configuration (cy_plot_label) */
	size_t count;
	char common[TEXT_MAX]; /* what all its cells share, for subtitles */
} workload_cells;

/* ---- helpers -------------------------------------------------------------------- */

static void figure_name(char *out, size_t len, const char *kind, const char *workload)
{
	int n = snprintf(out, len, "%s-", kind);
	size_t at = n > 0 ? (size_t)n : 0;
	for (const char *p = workload; *p && at + 1 < len; p++) {
		char c = *p;
		int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
			    c == '_';
		out[at++] = plain ? c : '_';
	}
	out[at] = '\0';
}

static void subtitle(char *out, size_t len, const workload_cells *w, const char *what)
{
	if (w->common[0])
		snprintf(out, len, "%.250s; %.140s", w->common, what);
	else
		snprintf(out, len, "%s", what);
}

static const char *gc_of(const cy_plot_cell *c) { return cy_plot_string(c->root, "config.gc", "?"); }

/*
 * The distinct configurations (labels) among the cells that ran a
 * collector, in order of appearance; returns the count, or max + 1 when
 * there are more than max.
 */
static size_t configurations_of(const workload_cells *w, const char **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < w->count; i++) {
		if (strcmp(gc_of(w->cells[i]), "off") == 0)
			continue;
		size_t k = 0;
		while (k < n && strcmp(out[k], w->labels[i]) != 0)
			k++;
		if (k < n)
			continue;
		if (n == max)
			return max + 1;
		out[n++] = w->labels[i];
	}
	return n;
}

/* Why a figure with a line per configuration is not drawn when there are too many. */
static void too_many_configurations(cy_gp *gp, const char *name, const workload_cells *w)
{
	cy_gp_skip(gp, name,
		"more than %d configurations of %s: too many for a line each; the study-* figures summarise them, "
		"and cyclab plot DIR --x KNOB --y FIGURE --where KNOB=VALUE narrows them",
		MAX_CONFIGURATIONS, w->workload);
}

/*
 * The runs of the cells of one configuration, cell by cell:
 *   configuration_runs it = {.w = w, .label = "gc=stw"};
 *   for (json_t *run; (run = next_configuration_run(&it));) ...
 */
typedef struct configuration_runs {
	const workload_cells *w;
	const char *label;
	size_t cell, run; /* the next run to return */
} configuration_runs;

static json_t *next_configuration_run(configuration_runs *it)
{
	for (; it->cell < it->w->count; it->cell++, it->run = 0) {
		const cy_plot_cell *c = it->w->cells[it->cell];
		json_t *runs = json_object_get(c->root, "runs");
		if (strcmp(it->w->labels[it->cell], it->label) == 0 && it->run < json_array_size(runs))
			return json_array_get(runs, it->run++);
	}
	return NULL;
}

static int is_finite_number(double x) { return !isnan(x) && !isinf(x); }

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Figures with a line or bar per cell: skipped, with the reason, when the workload has too many cells. */
static int too_many_cells(cy_gp *gp, const char *name, const workload_cells *w)
{
	if (w->count <= MAX_CONFIGURATIONS)
		return 0;
	cy_gp_skip(gp, name,
		"%zu cells of %s: more than %d, too many for a line or bar each; the study-* figures summarise them",
		w->count, w->workload, MAX_CONFIGURATIONS);
	return 1;
}

/* ---- throughput against threads ---------------------------------------------------- */

static int compare_cells_by_threads(const void *a, const void *b)
{
	double x = cy_plot_number((*(const cy_plot_cell *const *)a)->root, "config.threads", 0);
	double y = cy_plot_number((*(const cy_plot_cell *const *)b)->root, "config.threads", 0);
	return (x > y) - (x < y);
}

/* Smallest and largest ops_per_s over a cell's runs. */
static void throughput_range(const cy_plot_cell *c, double *lo, double *hi)
{
	json_t *runs = json_object_get(c->root, "runs");
	*lo = INFINITY;
	*hi = -INFINITY;
	for (size_t i = 0; i < json_array_size(runs); i++) {
		double v = cy_plot_number(json_array_get(runs, i), "ops_per_s", NAN);
		if (is_finite_number(v)) {
			*lo = fmin(*lo, v);
			*hi = fmax(*hi, v);
		}
	}
}

static int plot_throughput(const cy_plot_input *in, cy_gp *gp, const workload_cells *w, char *why, size_t len)
{
	char name[CY_GP_NAME_MAX], text[TEXT_MAX], title[TEXT_MAX];
	figure_name(name, sizeof name, "throughput", w->workload);
	double threads[64];
	size_t thread_counts = 0;
	for (size_t i = 0; i < w->count; i++) {
		double t = cy_plot_number(w->cells[i]->root, "config.threads", 0);
		if (!is_finite_number(cy_plot_run_median(w->cells[i], "ops_per_s", NULL)))
			continue; /* no measured run */
		size_t k = 0;
		while (k < thread_counts && threads[k] != t)
			k++;
		if (k == thread_counts && thread_counts < 64)
			threads[thread_counts++] = t;
	}
	if (thread_counts == 0) {
		cy_gp_skip(gp, name, "no cell of %s has a measured run", w->workload);
		return 0;
	}
	if (thread_counts < 2) {
		cy_gp_skip(gp, name,
			"all measured cells of %s ran with %g thread%s: a line against threads needs two counts or more",
			w->workload, threads[0], threads[0] == 1 ? "" : "s");
		return 0;
	}
	const cy_plot_cell **sorted = malloc(w->count * sizeof *sorted);
	char(*labels)[LABEL_MAX] = malloc(w->count * sizeof *labels);
	if (!sorted || !labels) {
		free(sorted);
		free(labels);
		snprintf(why, len, "out of memory");
		return -1;
	}
	memcpy(sorted, w->cells, w->count * sizeof *sorted);
	qsort(sorted, w->count, sizeof *sorted, compare_cells_by_threads);
	for (size_t i = 0; i < w->count; i++)
		cy_plot_label(in, sorted[i], "threads", labels[i], LABEL_MAX);
	snprintf(title, sizeof title, "Throughput against threads: %s", w->workload);
	subtitle(text, sizeof text, w, "median over runs, bars from the slowest to the fastest run");
	if (cy_gp_begin(gp, name, title, text, why, len) != 0) {
		free(sorted);
		free(labels);
		return -1;
	}
	/* One block per distinct label (configuration of the other knobs), its cells by thread count. */
	size_t blocks = 0;
	const char *block_labels[64];
	for (size_t i = 0; i < w->count && blocks < 64; i++) {
		size_t k = 0;
		while (k < blocks && strcmp(block_labels[k], labels[i]) != 0)
			k++;
		if (k < blocks)
			continue;
		block_labels[blocks++] = labels[i];
		fprintf(gp->data, "%s# %s: threads, median ops/s, slowest, fastest\n", blocks > 1 ? "\n\n" : "", labels[i]);
		for (size_t j = i; j < w->count; j++) {
			if (strcmp(labels[j], labels[i]) != 0)
				continue;
			double lo, hi, median = cy_plot_run_median(sorted[j], "ops_per_s", NULL);
			throughput_range(sorted[j], &lo, &hi);
			if (!is_finite_number(median) || !is_finite_number(lo) || !is_finite_number(hi))
				continue; /* a cell without a measured run */
			fprintf(gp->data, "%g %.9g %.9g %.9g\n", cy_plot_number(sorted[j]->root, "config.threads", 0), median,
				lo, hi);
		}
	}
	FILE *s = gp->script;
	fputs("set xlabel 'mutator threads'\n", s);
	snprintf(text, sizeof text, "throughput (ops/s; an op: %s)",
		cy_plot_string(w->cells[0]->root, "op_name", "one workload operation"));
	fputs("set ylabel ", s);
	cy_gp_quote(s, text);
	fputs("\nset format y '%.1s%c'\nset yrange [0:*]\nset xtics (", s);
	double lo_threads = threads[0], hi_threads = threads[0];
	for (size_t i = 0; i < thread_counts; i++) {
		fprintf(s, "%s%g", i ? ", " : "", threads[i]);
		lo_threads = fmin(lo_threads, threads[i]);
		hi_threads = fmax(hi_threads, threads[i]);
	}
	double pad = (hi_threads - lo_threads) * 0.08;
	fprintf(s, ")\nset xrange [%g:%g]\nplot ", lo_threads - pad, hi_threads + pad);
	for (size_t b = 0; b < blocks; b++) {
		fprintf(s, "%s'%s' index %zu using 1:2:3:4 with yerrorlines lw 2 pt 7 title ", b ? ", \\\n     " : "",
			gp->data_name, b);
		cy_gp_quote(s, block_labels[b]);
	}
	fputc('\n', s);
	free(sorted);
	free(labels);
	return cy_gp_end(gp, why, len);
}

/* ---- pause distributions ------------------------------------------------------------ */

typedef struct pooled_pauses {
	uint64_t counts[CY_PAUSE_HIST_BUCKETS];
	uint64_t total;
	unsigned runs;
} pooled_pauses;

/* Does this run's histogram use our ladder? Then add it in. */
static int pool_run(json_t *run, pooled_pauses *pool)
{
	json_t *bounds = cy_plot_get(run, "pauses.histogram.bounds_us");
	json_t *counts = cy_plot_get(run, "pauses.histogram.counts");
	if (json_array_size(bounds) != CY_PAUSE_HIST_BOUNDS || json_array_size(counts) != CY_PAUSE_HIST_BUCKETS)
		return 0;
	for (size_t b = 0; b < CY_PAUSE_HIST_BOUNDS; b++) {
		double want = (double)cy_pause_hist_bound_ns((int)b) / 1e3;
		if (fabs(json_number_value(json_array_get(bounds, b)) - want) > want * 1e-9)
			return 0;
	}
	for (size_t b = 0; b < CY_PAUSE_HIST_BUCKETS; b++) {
		double v = json_number_value(json_array_get(counts, b));
		uint64_t count = v > 0 ? (uint64_t)v : 0;
		pool->counts[b] += count;
		pool->total += count;
	}
	pool->runs++;
	return 1;
}

/* The edges of bucket b in microseconds (the open ends one R10 step out). */
static void bucket_edges(int b, double *lower, double *upper)
{
	double first = (double)cy_pause_hist_bound_ns(0) / 1e3;
	double last = (double)cy_pause_hist_bound_ns(CY_PAUSE_HIST_BOUNDS - 1) / 1e3;
	*lower = b == 0 ? first / 1.25 : (double)cy_pause_hist_bound_ns(b - 1) / 1e3;
	*upper = b == CY_PAUSE_HIST_BOUNDS ? last * 1.25 : (double)cy_pause_hist_bound_ns(b) / 1e3;
}

/* Why a workload has no pause figure: nothing ran a collector, results too old, or no pause at all. */
static void no_pauses_reason(const workload_cells *w, unsigned runs_without_data, const char *what, char *out,
	size_t len)
{
	int any_collector = 0;
	for (size_t i = 0; i < w->count; i++)
		any_collector |= strcmp(gc_of(w->cells[i]), "off") != 0;
	if (!any_collector)
		snprintf(out, len, "no collector ran (gc off in every cell of %s)", w->workload);
	else if (runs_without_data > 0)
		snprintf(out, len, "%u run%s of %s have no %s (results written before cyclab recorded it)",
			runs_without_data, runs_without_data == 1 ? "" : "s", w->workload, what);
	else
		snprintf(out, len, "no collector pause was recorded in any run of %s", w->workload);
}

static int plot_pauses(cy_gp *gp, const workload_cells *w, char *why, size_t len)
{
	char cdf_name[CY_GP_NAME_MAX], hist_name[CY_GP_NAME_MAX], title[TEXT_MAX], text[TEXT_MAX];
	figure_name(cdf_name, sizeof cdf_name, "pause-cdf", w->workload);
	figure_name(hist_name, sizeof hist_name, "pause-hist", w->workload);
	const char *collectors[MAX_CONFIGURATIONS];
	size_t n = configurations_of(w, collectors, MAX_CONFIGURATIONS);
	if (n > MAX_CONFIGURATIONS) {
		too_many_configurations(gp, cdf_name, w);
		too_many_configurations(gp, hist_name, w);
		return 0;
	}
	pooled_pauses *pools = calloc(n ? n : 1, sizeof *pools);
	if (!pools) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	unsigned without = 0;
	size_t lines = 0;
	for (size_t g = 0; g < n; g++) {
		configuration_runs it = {.w = w, .label = collectors[g]};
		for (json_t *run; (run = next_configuration_run(&it));)
			without += !pool_run(run, &pools[g]);
		lines += pools[g].total > 0;
	}
	if (lines == 0) {
		no_pauses_reason(w, without, "pause histogram", text, sizeof text);
		cy_gp_skip(gp, cdf_name, "%s", text);
		cy_gp_skip(gp, hist_name, "%s", text);
		free(pools);
		return 0;
	}
	for (int figure = 0; figure < 2; figure++) {
		int cdf = figure == 0;
		snprintf(title, sizeof title, "%s: %s", cdf ? "Pause-time distribution (CDF)" : "Pause-time histogram",
			w->workload);
		subtitle(text, sizeof text, w, "the pauses of all runs of each configuration");
		if (cy_gp_begin(gp, cdf ? cdf_name : hist_name, title, text, why, len) != 0) {
			free(pools);
			return -1;
		}
		size_t block = 0;
		FILE *s = gp->script;
		fputs("set logscale x\nset xlabel 'pause time (us)'\nset format x '%g'\n", s);
		if (cdf)
			fputs("set ylabel 'pauses shorter than x (%)'\nset yrange [0:100]\nset key right bottom inside\n", s);
		else
			fputs("set logscale y\nset ylabel 'share of the collector''s pauses (%)'\nset format y '%g'\n", s);
		fputs("plot ", s);
		for (size_t g = 0; g < n; g++) {
			const pooled_pauses *p = &pools[g];
			if (p->total == 0)
				continue;
			int first = 0, last = CY_PAUSE_HIST_BUCKETS - 1;
			while (p->counts[first] == 0)
				first++;
			while (p->counts[last] == 0)
				last--;
			fprintf(gp->data, "%s# %s: %s\n", block ? "\n\n" : "", collectors[g],
				cdf ? "pause time (us), % of pauses shorter" : "bucket centre (us), % of pauses in the bucket");
			double lower, upper;
			uint64_t below = 0;
			if (cdf) {
				bucket_edges(first, &lower, &upper);
				fprintf(gp->data, "%g 0\n", lower);
			}
			for (int b = first; b <= last; b++) {
				bucket_edges(b, &lower, &upper);
				below += p->counts[b];
				if (cdf)
					fprintf(gp->data, "%g %.9g\n", upper, 100.0 * (double)below / (double)p->total);
				else if (p->counts[b] > 0)
					fprintf(gp->data, "%.6g %.9g\n", sqrt(lower * upper),
						100.0 * (double)p->counts[b] / (double)p->total);
			}
			snprintf(text, sizeof text, "%s: %llu pauses in %u runs", collectors[g], (unsigned long long)p->total,
				p->runs);
			fprintf(s, "%s'%s' index %zu using 1:2 with %s lw 2 title ", block ? ", \\\n     " : "",
				gp->data_name, block, cdf ? "lines" : "linespoints pt 7");
			cy_gp_quote(s, text);
			block++;
		}
		fputc('\n', s);
		if (cy_gp_end(gp, why, len) != 0) {
			free(pools);
			return -1;
		}
	}
	free(pools);
	return 0;
}

/* ---- minimum mutator utilisation ---------------------------------------------------- */

static int plot_mmu(cy_gp *gp, const workload_cells *w, char *why, size_t len)
{
	char name[CY_GP_NAME_MAX], title[TEXT_MAX], text[TEXT_MAX];
	figure_name(name, sizeof name, "mmu", w->workload);
	const char *collectors[MAX_CONFIGURATIONS];
	size_t n = configurations_of(w, collectors, MAX_CONFIGURATIONS), total_runs = 0;
	if (n > MAX_CONFIGURATIONS) {
		too_many_configurations(gp, name, w);
		return 0;
	}
	/* The runs of configuration g: values from first_run[g] on, each window point of them in turn. */
	size_t first_run[MAX_CONFIGURATIONS + 1], config_runs[MAX_CONFIGURATIONS] = {0};
	for (size_t i = 0; i < w->count; i++) {
		for (size_t g = 0; g < n; g++) {
			if (strcmp(w->labels[i], collectors[g]) == 0)
				config_runs[g] += json_array_size(json_object_get(w->cells[i]->root, "runs"));
		}
	}
	for (size_t g = 0; g < n; g++) {
		first_run[g] = total_runs;
		total_runs += config_runs[g];
	}
	/* values[first_run[g] * POINTS + point * config_runs[g] + k]: run k of g at window point, for runs that lasted it. */
	double *values = malloc((total_runs ? total_runs : 1) * CY_MMU_CURVE_POINTS * sizeof *values);
	size_t(*got)[CY_MMU_CURVE_POINTS] = calloc(n ? n : 1, sizeof *got);
	unsigned *runs_used = calloc(n ? n : 1, sizeof *runs_used);
	if (!values || !got || !runs_used) {
		free(values);
		free(got);
		free(runs_used);
		snprintf(why, len, "out of memory");
		return -1;
	}
	unsigned without = 0;
	double pauses = 0;
	size_t lines = 0;
	for (size_t g = 0; g < n; g++) {
		configuration_runs it = {.w = w, .label = collectors[g]};
		for (json_t *run; (run = next_configuration_run(&it));) {
			json_t *windows = cy_plot_get(run, "pauses.mmu_curve.window_ms");
			json_t *util = cy_plot_get(run, "pauses.mmu_curve.utilisation");
			double run_ms = cy_plot_number(run, "seconds", 0) * 1e3;
			if (json_array_size(windows) != CY_MMU_CURVE_POINTS || json_array_size(util) != CY_MMU_CURVE_POINTS) {
				without++;
				continue;
			}
			runs_used[g]++;
			pauses += cy_plot_number(run, "pauses.count", 0);
			for (size_t p = 0; p < CY_MMU_CURVE_POINTS; p++) {
				double window = json_number_value(json_array_get(windows, p));
				json_t *u = json_array_get(util, p);
				/* A window longer than the run would only repeat the run's overall utilisation. */
				if (window != cy_mmu_curve_window_ms[p] || window > run_ms || !json_is_number(u))
					continue;
				values[first_run[g] * CY_MMU_CURVE_POINTS + p * config_runs[g] + got[g][p]++] = json_number_value(u);
			}
		}
		for (size_t p = 0; p < CY_MMU_CURVE_POINTS; p++) {
			if (got[g][p] > 0) {
				lines++;
				break;
			}
		}
	}
	int err = 0;
	/* Without a single pause every curve is 100% at every window: nothing to see. */
	if (lines == 0 || pauses == 0) {
		no_pauses_reason(w, lines ? 0 : without, "MMU curve", text, sizeof text);
		cy_gp_skip(gp, name, "%s", text);
		goto done;
	}
	snprintf(title, sizeof title, "Minimum mutator utilisation: %s", w->workload);
	subtitle(text, sizeof text, w, "median over the runs of each configuration; windows up to the run's length");
	if (cy_gp_begin(gp, name, title, text, why, len) != 0) {
		err = -1;
		goto done;
	}
	FILE *s = gp->script;
	fputs("set logscale x\nset xlabel 'time window (ms)'\nset format x '%g'\n"
	      "set ylabel 'minimum mutator utilisation (%)'\nset yrange [0:100]\nset key right bottom inside\nplot ",
		s);
	size_t block = 0;
	for (size_t g = 0; g < n; g++) {
		if (runs_used[g] == 0)
			continue;
		fprintf(gp->data, "%s# %s: window (ms), median MMU (%%)\n", block ? "\n\n" : "", collectors[g]);
		for (size_t p = 0; p < CY_MMU_CURVE_POINTS; p++) {
			size_t k = got[g][p];
			if (k == 0)
				continue;
			double *v = &values[first_run[g] * CY_MMU_CURVE_POINTS + p * config_runs[g]];
			qsort(v, k, sizeof *v, compare_double);
			double median = k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
			fprintf(gp->data, "%g %.9g\n", cy_mmu_curve_window_ms[p], 100.0 * median);
		}
		snprintf(text, sizeof text, "%s (%u runs)", collectors[g], runs_used[g]);
		fprintf(s, "%s'%s' index %zu using 1:2 with linespoints lw 2 pt 7 title ", block ? ", \\\n     " : "",
			gp->data_name, block);
		cy_gp_quote(s, text);
		block++;
	}
	fputc('\n', s);
	err = cy_gp_end(gp, why, len);
done:
	free(values);
	free(got);
	free(runs_used);
	return err;
}

/* ---- heap and live objects over time ------------------------------------------------- */

/* The run whose throughput is the (lower) median of its cell's: a typical run's series. */
static json_t *median_run(const cy_plot_cell *c)
{
	json_t *runs = json_object_get(c->root, "runs");
	size_t n = json_array_size(runs);
	json_t *best = NULL;
	for (size_t i = 0; i < n; i++) {
		json_t *run = json_array_get(runs, i);
		double v = cy_plot_number(run, "ops_per_s", 0);
		size_t below = 0, equal_before = 0;
		for (size_t j = 0; j < n; j++) {
			double u = cy_plot_number(json_array_get(runs, j), "ops_per_s", 0);
			below += u < v;
			equal_before += u == v && j < i;
		}
		/* Rank (0-based, ties in order) equal to (n - 1) / 2. */
		if (below + equal_before == (n - 1) / 2)
			best = run;
	}
	return best;
}

static int plot_series(const cy_plot_input *in, cy_gp *gp, const workload_cells *w, int heap, char *why, size_t len)
{
	char name[CY_GP_NAME_MAX], title[TEXT_MAX], text[TEXT_MAX], label[LABEL_MAX];
	const char *key = heap ? "series.heap_bytes" : "series.live_objects";
	figure_name(name, sizeof name, heap ? "heap" : "live", w->workload);
	if (too_many_cells(gp, name, w))
		return 0;
	size_t drawable = 0;
	for (size_t i = 0; i < w->count; i++) {
		json_t *run = median_run(w->cells[i]);
		drawable += run && json_array_size(cy_plot_get(run, "series.time_s")) >= 2 &&
			    json_array_size(cy_plot_get(run, key)) == json_array_size(cy_plot_get(run, "series.time_s"));
	}
	if (drawable == 0) {
		cy_gp_skip(gp, name,
			"no run of %s has a time series of two samples or more (runs shorter than the sampling interval)",
			w->workload);
		return 0;
	}
	snprintf(title, sizeof title, "%s over time: %s", heap ? "Heap in use" : "Live objects", w->workload);
	subtitle(text, sizeof text, w, "the run with the median throughput of each cell");
	if (cy_gp_begin(gp, name, title, text, why, len) != 0)
		return -1;
	FILE *s = gp->script;
	fputs("set xlabel 'time since the timed run started (s)'\nset yrange [0:*]\n", s);
	if (heap)
		fputs("set ylabel 'heap bytes in use (MiB)'\n", s);
	else
		fputs("set ylabel 'live objects'\nset format y '%.1s%c'\n", s);
	fputs("plot ", s);
	size_t block = 0;
	for (size_t i = 0; i < w->count; i++) {
		json_t *run = median_run(w->cells[i]);
		json_t *times = run ? cy_plot_get(run, "series.time_s") : NULL, *values = run ? cy_plot_get(run, key) : NULL;
		if (json_array_size(times) < 2 || json_array_size(values) != json_array_size(times))
			continue;
		cy_plot_label(in, w->cells[i], NULL, label, sizeof label);
		fprintf(gp->data, "%s# %s (%s): time (s), %s\n", block ? "\n\n" : "", label, w->cells[i]->name,
			heap ? "heap bytes" : "live objects");
		for (size_t k = 0; k < json_array_size(times); k++)
			fprintf(gp->data, "%.9g %.17g\n", json_number_value(json_array_get(times, k)),
				json_number_value(json_array_get(values, k)));
		fprintf(s, "%s'%s' index %zu using 1:%s with lines lw 2 title ", block ? ", \\\n     " : "", gp->data_name,
			block, heap ? "($2/1048576.0)" : "2");
		cy_gp_quote(s, label);
		block++;
	}
	fputc('\n', s);
	return cy_gp_end(gp, why, len);
}

/* ---- bars per cell: collector phases, locks, reference-count operations ---------------- */

#define MAX_PHASES 16

/* One bar of a bar chart per configuration: a figure of the runs and its legend. */
typedef struct bar_series {
	const char *path;  /* the figure in each run, "rc.merges" */
	const char *title; /* its legend */
	int shown;         /* drawn: some cell has it above zero */
} bar_series;

/* The x axis of a chart with a bar (or a stack of bars) per configuration. */
static void configuration_xtics(const cy_plot_input *in, cy_gp *gp, const workload_cells *w)
{
	char label[LABEL_MAX];
	cy_plot_label(in, w->cells[0], NULL, label, sizeof label);
	cy_gp_slanted_xtics(gp->script, label);
}

/*
 * A data row per cell: its label, then for each series shown the median
 * over the cell's runs of the series' figure per `per` (0 where no run
 * measured it).
 */
static void write_bar_rows(const cy_plot_input *in, cy_gp *gp, const workload_cells *w, const bar_series *series,
	size_t count, const char *per)
{
	char label[LABEL_MAX];
	for (size_t i = 0; i < w->count; i++) {
		cy_plot_label(in, w->cells[i], NULL, label, sizeof label);
		cy_gp_label(gp->data, label);
		for (size_t k = 0; k < count; k++) {
			if (!series[k].shown)
				continue;
			double v = cy_plot_run_median(w->cells[i], series[k].path, per);
			fprintf(gp->data, " %.9g", is_finite_number(v) ? v : 0.0);
		}
		fputc('\n', gp->data);
	}
}

/* The rest of the script's "plot " line: a histogram of the data's columns 2, 3, ..., one per series shown. */
static void plot_bar_columns(cy_gp *gp, const bar_series *series, size_t count)
{
	FILE *s = gp->script;
	int column = 2;
	for (size_t k = 0; k < count; k++) {
		if (!series[k].shown)
			continue;
		if (column == 2)
			fprintf(s, "'%s' using 2:xtic(1) title ", gp->data_name);
		else
			fprintf(s, ", \\\n     '' using %d title ", column);
		cy_gp_quote(s, series[k].title);
		column++;
	}
	fputc('\n', s);
}

static int plot_phases(const cy_plot_input *in, cy_gp *gp, const workload_cells *w, char *why, size_t len)
{
	char name[CY_GP_NAME_MAX], title[TEXT_MAX], text[TEXT_MAX], paths[MAX_PHASES][160];
	figure_name(name, sizeof name, "phases", w->workload);
	if (too_many_cells(gp, name, w))
		return 0;
	/* The phases by name, in the order the results list them, and whether any cell spent time in each. */
	bar_series phases[MAX_PHASES] = {{0}};
	size_t phase_count = 0, cells_with_time = 0;
	for (size_t i = 0; i < w->count; i++) {
		json_t *run0 = json_array_get(json_object_get(w->cells[i]->root, "runs"), 0);
		json_t *phase_ms = cy_plot_get(run0, "gc.phase_ms");
		const char *phase;
		json_t *value;
		int any = 0;
		json_object_foreach(phase_ms, phase, value) {
			size_t k = 0;
			while (k < phase_count && strcmp(phases[k].title, phase) != 0)
				k++;
			if (k == phase_count && phase_count < MAX_PHASES) {
				snprintf(paths[k], sizeof paths[k], "gc.phase_ms.%s", phase);
				phases[phase_count++] = (bar_series){.path = paths[k], .title = phase};
			}
			if (k < phase_count && cy_plot_run_median(w->cells[i], phases[k].path, "seconds") > 0) {
				phases[k].shown = 1;
				any = 1;
			}
		}
		cells_with_time += any;
	}
	if (cells_with_time == 0) {
		no_pauses_reason(w, 0, "", text, sizeof text);
		cy_gp_skip(gp, name, "%s",
			strstr(text, "gc off") ? text : "no time in any collector phase was recorded");
		return 0;
	}
	snprintf(title, sizeof title, "Collector time per phase: %s", w->workload);
	subtitle(text, sizeof text, w, "median over runs, per second of run");
	if (cy_gp_begin(gp, name, title, text, why, len) != 0)
		return -1;
	fputs("# configuration", gp->data);
	for (size_t k = 0; k < phase_count; k++) {
		if (phases[k].shown)
			fprintf(gp->data, " %s", phases[k].title);
	}
	fputs(" (ms of collector time per second of run)\n", gp->data);
	write_bar_rows(in, gp, w, phases, phase_count, "seconds");
	configuration_xtics(in, gp, w);
	fputs("set style data histograms\nset style histogram rowstacked\nset style fill solid 0.85 border -1\n"
	      "set boxwidth 0.7\nset xlabel 'configuration'\n"
	      "set ylabel 'collector time (ms per second of run)'\nset yrange [0:*]\nset grid noxtics ytics\nplot ",
		gp->script);
	plot_bar_columns(gp, phases, phase_count);
	return cy_gp_end(gp, why, len);
}

static int plot_locks(const cy_plot_input *in, cy_gp *gp, const workload_cells *w, char *why, size_t len)
{
	char name[CY_GP_NAME_MAX], title[TEXT_MAX], text[TEXT_MAX], label[LABEL_MAX];
	figure_name(name, sizeof name, "locks", w->workload);
	if (too_many_cells(gp, name, w))
		return 0;
	int any = 0;
	for (size_t i = 0; i < w->count; i++)
		any |= cy_plot_run_median(w->cells[i], "locks.acquisitions", NULL) > 0;
	if (!any) {
		cy_gp_skip(gp, name, "%s took no counted lock in any cell", w->workload);
		return 0;
	}
	snprintf(title, sizeof title, "Lock wait and contention: %s", w->workload);
	subtitle(text, sizeof text, w, "median over runs, per second of run");
	if (cy_gp_begin(gp, name, title, text, why, len) != 0)
		return -1;
	fputs("# configuration, lock wait (ms per s), contended acquisitions per s, acquisitions per s\n", gp->data);
	for (size_t i = 0; i < w->count; i++) {
		const cy_plot_cell *c = w->cells[i];
		cy_plot_label(in, c, NULL, label, sizeof label);
		cy_gp_label(gp->data, label);
		double wait = cy_plot_run_median(c, "locks.wait_ns", "seconds") / 1e6;
		double contended = cy_plot_run_median(c, "locks.contended", "seconds");
		double taken = cy_plot_run_median(c, "locks.acquisitions", "seconds");
		fprintf(gp->data, " %.9g %.9g %.9g\n", is_finite_number(wait) ? wait : 0.0,
			is_finite_number(contended) ? contended : 0.0, is_finite_number(taken) ? taken : 0.0);
	}
	configuration_xtics(in, gp, w);
	fputs("set style fill solid 0.8 border -1\nset boxwidth 0.6\n"
	      "set xlabel 'configuration'\nset ylabel 'lock wait (ms per second of run)'\nset yrange [0:*]\n"
	      "set y2label 'contended acquisitions per second'\nset y2tics\nset format y2 '%.1s%c'\nset y2range [0:*]\n"
	      "set grid noxtics ytics\nset xrange [-0.6:*]\nset offsets 0, 0.6, 0, 0\n",
		gp->script);
	fprintf(gp->script,
		"plot '%s' using 0:2:xtic(1) with boxes lc rgb '#4a7ab5' title 'lock wait (left axis)', \\\n"
		"     '' using 0:3 axes x1y2 with points pt 7 ps 1.5 lc rgb '#c0392b' title 'contended acquisitions (right axis)'\n",
		gp->data_name);
	return cy_gp_end(gp, why, len);
}

static int plot_rc_ops(const cy_plot_input *in, cy_gp *gp, const workload_cells *w, char *why, size_t len)
{
	char name[CY_GP_NAME_MAX], title[TEXT_MAX], text[TEXT_MAX], label[LABEL_MAX];
	figure_name(name, sizeof name, "rc-ops", w->workload);
	if (too_many_cells(gp, name, w))
		return 0;
	bar_series series[] = {
		{"rc.nonatomic_ops", "non-atomic increments and decrements", 0},
		{"rc.atomic_ops", "atomic increments and decrements", 0},
		{"rc.merges", "biased merges", 0},
	};
	const size_t count = sizeof series / sizeof series[0];
	int counted = 0;
	for (size_t i = 0; i < w->count; i++) {
		json_t *run0 = json_array_get(json_object_get(w->cells[i]->root, "runs"), 0);
		counted |= !json_is_false(cy_plot_get(run0, "rc.counted"));
		for (size_t k = 0; k < count; k++)
			series[k].shown |= cy_plot_run_median(w->cells[i], series[k].path, "ops") > 0;
	}
	if (!counted) {
		cy_gp_skip(gp, name, "the results of %s come from a build with --counters=off, which counts no "
				     "reference-count operation",
			w->workload);
		return 0;
	}
	if (!series[0].shown && !series[1].shown && !series[2].shown) {
		cy_gp_skip(gp, name, "no reference-count operation was counted in any cell of %s", w->workload);
		return 0;
	}
	snprintf(title, sizeof title, "Reference-count operations: %s", w->workload);
	snprintf(label, sizeof label, "median over runs, per op (%s)",
		cy_plot_string(w->cells[0]->root, "op_name", "one workload operation"));
	subtitle(text, sizeof text, w, label);
	if (cy_gp_begin(gp, name, title, text, why, len) != 0)
		return -1;
	fputs("# configuration", gp->data);
	for (size_t k = 0; k < count; k++) {
		if (series[k].shown)
			fprintf(gp->data, ", %s", series[k].path);
	}
	fputs(" (per op)\n", gp->data);
	write_bar_rows(in, gp, w, series, count, "ops");
	configuration_xtics(in, gp, w);
	fputs("set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.85 border -1\n"
	      "set xlabel 'configuration'\n"
	      "set ylabel 'reference-count operations per op'\nset yrange [0:*]\nset grid noxtics ytics\nplot ",
		gp->script);
	plot_bar_columns(gp, series, count);
	return cy_gp_end(gp, why, len);
}

/* ---- all figures ----------------------------------------------------------------------- */

static int plot_workload(const cy_plot_input *in, cy_gp *gp, const workload_cells *w, char *why, size_t len)
{
	if (plot_throughput(in, gp, w, why, len) != 0 || plot_pauses(gp, w, why, len) != 0 ||
		plot_mmu(gp, w, why, len) != 0 || plot_series(in, gp, w, 1, why, len) != 0 ||
		plot_series(in, gp, w, 0, why, len) != 0 || plot_phases(in, gp, w, why, len) != 0 ||
		plot_locks(in, gp, w, why, len) != 0 || plot_rc_ops(in, gp, w, why, len) != 0)
		return -1;
	return 0;
}

int cy_plot_draw(const cy_plot_input *in, cy_gp *gp, char *why, size_t len)
{
	/* The study figures first: what a suite varies, against each knob; the report opens with them. */
	cy_study *study;
	if (cy_study_open(in, &study, why, len) != 0)
		return -1;
	int err = cy_study_draw_all(study, gp, why, len);
	cy_study_free(study);
	if (err != 0)
		return -1;
	size_t slots = in->cell_count ? in->cell_count : 1;
	const char **names = malloc(slots * sizeof *names);
	const cy_plot_cell **cells = malloc(slots * sizeof *cells);
	char(*labels)[LABEL_MAX] = malloc(slots * sizeof *labels);
	if (!names || !cells || !labels) {
		free(names);
		free(cells);
		free(labels);
		snprintf(why, len, "out of memory");
		return -1;
	}
	size_t workloads = cy_plot_workloads(in, names, in->cell_count);
	for (size_t k = 0; k < workloads && err == 0; k++) {
		workload_cells w = {.workload = names[k], .cells = cells, .labels = labels};
		for (size_t i = 0; i < in->cell_count; i++) {
			if (strcmp(in->cells[i].workload, names[k]) == 0) {
				cy_plot_label(in, &in->cells[i], NULL, labels[w.count], LABEL_MAX);
				cells[w.count++] = &in->cells[i];
			}
		}
		cy_plot_common(in, names[k], w.common, sizeof w.common);
		err = plot_workload(in, gp, &w, why, len);
	}
	for (size_t m = 0; m < in->micro_count && err == 0; m++)
		err = cy_plot_micro_figure(&in->micro[m], gp, why, len);
	free(names);
	free(cells);
	free(labels);
	if (err == 0)
		err = cy_gp_write_manifest(gp, why, len);
	return err;
}
