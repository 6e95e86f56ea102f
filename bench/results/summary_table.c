/*
 * summary_table.c: DIR/summary.csv from the result files in DIR
 * (summary_table.h).
 *
 * Columns: the file, the knobs that tell cells apart (workload, threads,
 * rc, gc, threshold, alloc, duration_s, ops, warmup, repeat, params as
 * key=value joined with ';'), the status, then the figures a person scans
 * first: the median ops/s over the measured runs (the result's own
 * summary), the median of the runs' pause p99, the largest pause, the
 * largest peak RSS and the leaked objects of all runs together.
 *
 * Each value of "config" appears as the writer printed it: numbers in
 * %.15g (bench/results/results.c writes doubles so; integers as integers),
 * null as an empty field, arrays joined with commas. Fields holding a
 * comma, a quote or a line break are quoted as RFC 4180 says.
 */
#include "bench/results/summary_table.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bench/results/atomic_file.h"
#include "bench/results/input_file.h"
#include "bench/results/result_read.h"
#include "bench/results/results.h"
#include "bench/results/stats.h"

/* A scalar as the writer printed it, into out ("" for null or anything else). */
static void scalar_text(const json_t *value, char *out, size_t len)
{
	out[0] = '\0';
	if (json_is_string(value))
		snprintf(out, len, "%s", json_string_value(value));
	else if (json_is_integer(value))
		snprintf(out, len, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
	else if (json_is_real(value))
		snprintf(out, len, "%.15g", json_real_value(value));
	else if (json_is_boolean(value))
		snprintf(out, len, "%s", json_is_true(value) ? "true" : "false");
}

/* Append text to out (of size len) after sep when out is not empty. */
static void append(char *out, size_t len, const char *sep, const char *text)
{
	size_t used = strlen(out);
	snprintf(out + used, len - used, "%s%s", used ? sep : "", text);
}

/* A CSV field, quoted when it holds a comma, a quote or a line break. */
static void csv_field(FILE *out, const char *text, int last)
{
	if (text[strcspn(text, ",\"\n")]) {
		fputc('"', out);
		for (const char *s = text; *s; s++) {
			if (*s == '"')
				fputc('"', out);
			fputc(*s == '\n' ? ' ' : *s, out);
		}
		fputc('"', out);
	} else {
		fputs(text, out);
	}
	fputc(last ? '\n' : ',', out);
}

/* The number at runs[i].group.key, 0 when absent or null. */
static double run_number(const json_t *run, const char *group, const char *key)
{
	const json_t *parent = group ? json_object_get(run, group) : run;
	return json_number_value(json_object_get(parent, key));
}

/* One summary row for the result at dir/name; 0 if written, -1 if the file is not a result. */
static int summarize_file(FILE *out, const char *dir, const char *name)
{
	char path[4400];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	char why[512];
	size_t size;
	char *bytes = cy_input_read(path, CY_INPUT_MAX_BYTES, &size, why, sizeof why);
	if (!bytes)
		return -1;
	json_error_t error;
	json_t *doc = json_loadb(bytes, size, 0, &error);
	free(bytes);
	if (!doc)
		return -1;
	if (!json_is_object(doc) || !json_is_string(json_object_get(doc, "schema")) ||
		strcmp(json_string_value(json_object_get(doc, "schema")), CY_RESULT_SCHEMA) != 0) {
		json_decref(doc);
		return -1;
	}
	const json_t *config = json_object_get(doc, "config");
	static const char *const knobs[] = {"threads", "rc", "gc", "threshold", "alloc", "duration_s", "ops", "warmup",
		"repeat"};
	char text[512];
	csv_field(out, name, 0);
	scalar_text(json_object_get(doc, "workload"), text, sizeof text);
	csv_field(out, text, 0);
	for (size_t k = 0; k < sizeof knobs / sizeof knobs[0]; k++) {
		const json_t *value = json_object_get(config, knobs[k]);
		if (json_is_array(value)) {
			char joined[512] = "", item[64];
			size_t i;
			const json_t *element;
			json_array_foreach(value, i, element) {
				scalar_text(element, item, sizeof item);
				append(joined, sizeof joined, ",", item);
			}
			csv_field(out, joined, 0);
		} else {
			scalar_text(value, text, sizeof text);
			csv_field(out, text, 0);
		}
	}
	char params[512] = "", item[256];
	const char *key;
	const json_t *value;
	json_object_foreach((json_t *)json_object_get(config, "params"), key, value) {
		char number[128];
		scalar_text(value, number, sizeof number);
		snprintf(item, sizeof item, "%s=%s", key, number);
		append(params, sizeof params, ";", item);
	}
	csv_field(out, params, 0);
	scalar_text(json_object_get(doc, "status"), text, sizeof text);
	csv_field(out, text, 0);

	const json_t *runs = json_object_get(doc, "runs");
	size_t count = json_array_size(runs);
	double *p99 = malloc((count ? count : 1) * sizeof *p99);
	double pause_max = 0;
	int64_t peak_rss = 0, leaked = 0;
	for (size_t i = 0; p99 && i < count; i++) {
		const json_t *run = json_array_get(runs, i);
		p99[i] = run_number(run, "pauses", "p99_us");
		pause_max = fmax(pause_max, run_number(run, "pauses", "max_us"));
		int64_t rss = (int64_t)run_number(run, "memory", "peak_rss_bytes");
		peak_rss = rss > peak_rss ? rss : peak_rss;
		leaked += (int64_t)run_number(run, NULL, "leaked_objects");
	}
	double median_ops = json_number_value(json_object_get(json_object_get(doc, "summary"), "ops_per_s_median"));
	snprintf(text, sizeof text, "%.1f", median_ops);
	csv_field(out, text, 0);
	snprintf(text, sizeof text, "%.3f", p99 && count ? cy_median(p99, count) : 0.0);
	csv_field(out, text, 0);
	snprintf(text, sizeof text, "%.3f", pause_max);
	csv_field(out, text, 0);
	snprintf(text, sizeof text, "%" PRId64, peak_rss);
	csv_field(out, text, 0);
	snprintf(text, sizeof text, "%" PRId64, leaked);
	csv_field(out, text, 1);
	free(p99);
	json_decref(doc);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_result_entry(const struct dirent *e)
{
	return cy_result_is_cell_file(e->d_name);
}

int cy_results_write_summary(const char *dir, char *why, size_t len)
{
	struct dirent **names;
	int n = scandir(dir, &names, is_result_entry, by_name);
	if (n < 0) {
		snprintf(why, len, "cannot list %s: %s", dir, strerror(errno));
		return -1;
	}
	char path[4400], tmp[4400];
	snprintf(path, sizeof path, "%s/summary.csv", dir);
	int err = 0;
	FILE *out = cy_atomic_open(path, tmp, sizeof tmp, why, len);
	if (!out) {
		err = -1;
	} else {
		fputs("file,workload,threads,rc,gc,threshold,alloc,duration_s,ops,warmup,repeat,params,status,"
		      "ops_per_s_median,pause_p99_us_median,pause_max_us,peak_rss_bytes,leaked_objects\n",
			out);
		for (int i = 0; i < n; i++) {
			if (summarize_file(out, dir, names[i]->d_name) != 0)
				fprintf(stderr, "cyclab: %s/%s is not a cyclab-result/1 file; left out of the summary\n", dir,
					names[i]->d_name);
		}
		err = cy_atomic_commit(out, tmp, path, 0, why, len);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return err;
}
