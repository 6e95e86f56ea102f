/*
 * plot_micro.c: a bar chart of a Google Benchmark JSON file (plot_micro.h).
 *
 * Google Benchmark writes, per benchmark, either one entry per repetition
 * (run_type "iteration") or, with --benchmark_report_aggregates_only (as
 * bench/micro/run-micro runs it), aggregates only: mean, median, stddev,
 * cv and cyclab's min. A benchmark's bar is its "median" aggregate when
 * there is one, else the median of its iterations. CPU time, as run-micro
 * reports it, except for benchmarks measured in wall-clock time (named
 * .../real_time: multi-threaded ones, stop-the-world latency), whose bar is
 * their real time, as run-micro shows them too; converted to nanoseconds.
 * Benchmarks that reported an error are left out.
 */
#include "bench/report/plot_micro.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct bench_time {
	const char *name;
	double ns;
	double *samples; /* iterations, until the median is taken */
	size_t count;
	int from_median; /* ns came from a "median" aggregate */
	long repetitions;
} bench_time;

static double to_ns(double value, const char *unit)
{
	if (strcmp(unit, "us") == 0)
		return value * 1e3;
	if (strcmp(unit, "ms") == 0)
		return value * 1e6;
	if (strcmp(unit, "s") == 0)
		return value * 1e9;
	return value;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int compare_name(const void *a, const void *b)
{
	return strcmp(((const bench_time *)a)->name, ((const bench_time *)b)->name);
}

/* Collect each benchmark's time; returns the count, or -1 without memory. */
static long collect(json_t *benchmarks, bench_time *out)
{
	size_t count = 0, i;
	json_t *b;
	json_array_foreach(benchmarks, i, b) {
		if (json_is_true(json_object_get(b, "error_occurred")))
			continue;
		const char *type = cy_plot_string(b, "run_type", "iteration");
		const char *aggregate = cy_plot_string(b, "aggregate_name", "");
		int is_median = strcmp(type, "aggregate") == 0 && strcmp(aggregate, "median") == 0;
		if (!is_median && strcmp(type, "iteration") != 0)
			continue;
		const char *name = cy_plot_string(b, "run_name", cy_plot_string(b, "name", "?"));
		json_t *time = json_object_get(b, strstr(name, "/real_time") ? "real_time" : "cpu_time");
		if (!json_is_number(time))
			continue;
		double ns = to_ns(json_number_value(time), cy_plot_string(b, "time_unit", "ns"));
		size_t k = 0;
		while (k < count && strcmp(out[k].name, name) != 0)
			k++;
		if (k == count)
			out[count++] = (bench_time){.name = name};
		bench_time *t = &out[k];
		t->repetitions = (long)cy_plot_number(b, "repetitions", 0);
		if (is_median) {
			t->ns = ns;
			t->from_median = 1;
			continue;
		}
		double *grown = realloc(t->samples, (t->count + 1) * sizeof *grown);
		if (!grown)
			return -1;
		t->samples = grown;
		t->samples[t->count++] = ns;
	}
	for (size_t k = 0; k < count; k++) {
		bench_time *t = &out[k];
		if (!t->from_median && t->count > 0) {
			qsort(t->samples, t->count, sizeof *t->samples, compare_double);
			size_t n = t->count;
			t->ns = n % 2 ? t->samples[n / 2] : (t->samples[n / 2 - 1] + t->samples[n / 2]) / 2;
			if (t->repetitions == 0)
				t->repetitions = (long)n;
		}
	}
	return (long)count;
}

int cy_plot_micro_figure(const cy_plot_micro *m, cy_gp *gp, char *why, size_t len)
{
	char name[CY_GP_NAME_MAX], title[CY_GP_TEXT_MAX], text[CY_GP_TEXT_MAX];
	snprintf(name, sizeof name, "micro-%.80s", m->stem);
	json_t *benchmarks = json_object_get(m->root, "benchmarks");
	size_t n = json_array_size(benchmarks);
	bench_time *times = calloc(n ? n : 1, sizeof *times);
	if (!times) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	int err = 0;
	long count = collect(benchmarks, times);
	if (count < 0) {
		snprintf(why, len, "out of memory");
		err = -1;
		goto done;
	}
	if (count == 0) {
		cy_gp_skip(gp, name, "%s has no benchmark result without an error", m->path);
		goto done;
	}
	qsort(times, (size_t)count, sizeof *times, compare_name);
	double lo = INFINITY, hi = 0;
	long repetitions = times[0].repetitions;
	for (long k = 0; k < count; k++) {
		lo = fmin(lo, times[k].ns);
		hi = fmax(hi, times[k].ns);
		if (times[k].repetitions != repetitions)
			repetitions = -1;
	}
	snprintf(title, sizeof title, "Micro-benchmarks: %s", m->stem);
	char reps[64] = "its repetitions";
	if (repetitions > 0)
		snprintf(reps, sizeof reps, "%ld repetition%s", repetitions, repetitions == 1 ? "" : "s");
	snprintf(text, sizeof text, "median time per iteration (CPU; wall for .../real_time) over %s; %s, %s", reps,
		cy_plot_string(m->root, "context.host_name", "unknown host"),
		cy_plot_string(m->root, "context.date", "undated"));
	if (cy_gp_begin(gp, name, title, text, why, len) != 0) {
		err = -1;
		goto done;
	}
	fputs("# benchmark, median time per iteration (ns): CPU, or wall for .../real_time\n", gp->data);
	for (long k = 0; k < count; k++) {
		cy_gp_label(gp->data, times[k].name);
		fprintf(gp->data, " %.9g\n", times[k].ns);
	}
	FILE *s = gp->script;
	fputs("set style fill solid 0.8 border -1\nset boxwidth 0.6\n"
	      "set xlabel 'benchmark'\nset ylabel 'time per iteration (ns)'\nset grid noxtics ytics\n"
	      "set xrange [-0.6:*]\nset offsets 0, 0.6, 0, 0\n",
		s);
	/* The second label starts only a tick to the right of the first: a longer one needs the margin too. */
	const char *widest = times[0].name;
	if (count > 1 && strlen(times[1].name) > strlen(widest))
		widest = times[1].name;
	cy_gp_slanted_xtics(s, widest);
	/* Times a hundredfold apart would flatten the short ones: a log axis then. */
	if (lo > 0 && hi / lo > 100)
		fputs("set logscale y\nset format y '%g'\n", s);
	else
		fputs("set yrange [0:*]\n", s);
	fprintf(s, "plot '%s' using 0:2:xtic(1) with boxes lc rgb '#4a7ab5' title 'median time per iteration'\n", gp->data_name);
	err = cy_gp_end(gp, why, len);
done:
	for (size_t k = 0; k < n; k++)
		free(times[k].samples);
	free(times);
	return err;
}
