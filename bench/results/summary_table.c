/*
 * summary_table.c: DIR/summary.csv and DIR/runs.csv from the result files
 * in DIR (summary_table.h), tables for pandas, R or a spreadsheet.
 *
 * summary.csv, one row per result file (a cell): the file, the knobs that
 * tell cells apart (workload, threads, rc, gc, threshold, alloc,
 * duration_s, ops, warmup, repeat, params as key=value joined with ';'),
 * pause_budget_us and pin, the status, then
 *   n               measured runs;
 *   disturbed_runs  runs whose threads waited for a CPU (bench/harness/noise.h);
 *   leaked_objects  the most objects one run left alive (the cell's leak
 *                   figure, as the status line and the report show it);
 *   pause_count     pauses over all runs; preempted_pauses of them, the
 *                   ones the operating system interrupted (stats.h);
 * and for each main figure of figures.h, four columns: NAME_median,
 * NAME_mad (raw), NAME_ci_low and NAME_ci_high (the distribution-free
 * interval of aggregate.h; its coverage is below 95% when n <= 5).
 * A cell in which no run made a single pause (--gc off, or runs too short
 * to reach a threshold) has nothing to say about pauses: its pause and MMU
 * columns are empty, not 0 us and not an MMU of 1.
 *
 * runs.csv, one row per measured run of every result: the file and the
 * run's index, the workload, every key of "config" as a column (nested
 * objects flattened with dots, params.length; the union over the files,
 * sorted, empty where a file lacks one), the status, then the run's figures
 * by their figures.h names, its pause count and preempted pauses, and what
 * the operating system gave it (user_s, system_s, runqueue_wait_s,
 * cpu_asked_s, voluntary and involuntary switches, load_1m, disturbed as
 * 0 or 1) and its leaked objects.
 *
 * Values appear as the writer printed them: numbers in %.15g, null as an
 * empty field, arrays joined with commas. Fields holding a comma, a quote
 * or a line break are quoted as RFC 4180 says.
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

#include "bench/results/aggregate.h"
#include "bench/results/atomic_file.h"
#include "bench/results/figures.h"
#include "bench/results/input_file.h"
#include "bench/results/result_read.h"
#include "bench/results/results.h"

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

/* A scalar, or an array of scalars joined with commas. */
static void value_text(const json_t *value, char *out, size_t len)
{
	if (!json_is_array(value)) {
		scalar_text(value, out, len);
		return;
	}
	out[0] = '\0';
	size_t i;
	const json_t *element;
	json_array_foreach(value, i, element) {
		char item[64];
		size_t used = strlen(out);
		scalar_text(element, item, sizeof item);
		snprintf(out + used, len - used, "%s%s", i ? "," : "", item);
	}
}

void cy_csv_text(FILE *out, const char *text)
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
}

/* A CSV field and what follows it: a comma, or the end of the line. */
static void csv_field(FILE *out, const char *text, int last)
{
	cy_csv_text(out, text);
	fputc(last ? '\n' : ',', out);
}

/* A number field: %.15g, empty when not finite. */
static void csv_number(FILE *out, double v, int last)
{
	char text[64] = "";
	if (isfinite(v))
		snprintf(text, sizeof text, "%.15g", v);
	csv_field(out, text, last);
}

/* The number at path in root, NAN when absent or not a number. */
static double number_at(const json_t *root, const char *path)
{
	const json_t *v = cy_result_at_path(root, path);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Is this figure about pauses (empty for a cell that never paused)? */
static int is_pause_figure(cy_figure_id f)
{
	return strncmp(cy_figures[f].run_path, "pauses.", 7) == 0;
}

typedef struct loaded {
	char name[256];
	json_t *doc;
} loaded;

static const char *const summary_knobs[] = {"threads", "rc", "gc", "threshold", "alloc", "duration_s", "ops", "warmup",
	"repeat"};

static void summary_header(FILE *out)
{
	fputs("file,workload", out);
	for (size_t k = 0; k < sizeof summary_knobs / sizeof summary_knobs[0]; k++)
		fprintf(out, ",%s", summary_knobs[k]);
	fputs(",params,pause_budget_us,pin,status,n,disturbed_runs,leaked_objects,pause_count,preempted_pauses", out);
	for (int f = 0; f < CY_FIGURE_COUNT; f++)
		fprintf(out, ",%s_median,%s_mad,%s_ci_low,%s_ci_high", cy_figures[f].name, cy_figures[f].name,
			cy_figures[f].name, cy_figures[f].name);
	fputc('\n', out);
}

/* One summary row; -1 without memory. */
static int summary_row(FILE *out, const loaded *file)
{
	const json_t *doc = file->doc, *config = json_object_get(doc, "config");
	char text[512];
	csv_field(out, file->name, 0);
	scalar_text(json_object_get(doc, "workload"), text, sizeof text);
	csv_field(out, text, 0);
	for (size_t k = 0; k < sizeof summary_knobs / sizeof summary_knobs[0]; k++) {
		value_text(json_object_get(config, summary_knobs[k]), text, sizeof text);
		csv_field(out, text, 0);
	}
	char params[512] = "";
	const char *key;
	const json_t *value;
	json_object_foreach((json_t *)json_object_get(config, "params"), key, value) {
		char number[128];
		size_t used = strlen(params);
		scalar_text(value, number, sizeof number);
		snprintf(params + used, sizeof params - used, "%s%s=%s", used ? ";" : "", key, number);
	}
	csv_field(out, params, 0);
	value_text(json_object_get(config, "pause_budget_us"), text, sizeof text);
	csv_field(out, text, 0);
	value_text(json_object_get(config, "pin"), text, sizeof text);
	csv_field(out, text, 0);
	scalar_text(json_object_get(doc, "status"), text, sizeof text);
	csv_field(out, text, 0);

	const json_t *runs = json_object_get(doc, "runs");
	size_t count = json_array_size(runs);
	double *v = malloc((count ? count : 1) * sizeof *v);
	if (!v)
		return -1;
	double leaked = count ? 0 : NAN, pauses = 0, preempted = 0, disturbed = 0;
	for (size_t i = 0; i < count; i++) {
		const json_t *run = json_array_get(runs, i);
		leaked = fmax(leaked, number_at(run, "leaked_objects"));
		double c = number_at(run, "pauses.count"), p = number_at(run, "pauses.preempted");
		pauses += isfinite(c) ? c : 0;
		preempted += isfinite(p) ? p : 0;
		disturbed += json_is_true(cy_result_at_path(run, "noise.disturbed"));
	}
	csv_number(out, (double)count, 0);
	csv_number(out, disturbed, 0);
	csv_number(out, leaked, 0);
	csv_number(out, pauses, 0);
	csv_number(out, preempted, 0);
	int err = 0;
	for (int f = 0; f < CY_FIGURE_COUNT; f++) {
		int last = f == CY_FIGURE_COUNT - 1;
		for (size_t i = 0; i < count; i++)
			v[i] = number_at(json_array_get(runs, i), cy_figures[f].run_path);
		cy_aggregate a;
		if (cy_aggregate_compute(v, count, &a) != 0) {
			err = -1;
			break;
		}
		if ((is_pause_figure((cy_figure_id)f) && pauses == 0) || a.n == 0)
			fputs(last ? ",,,\n" : ",,,,", out);
		else {
			csv_number(out, a.median, 0);
			csv_number(out, a.mad, 0);
			csv_number(out, a.ci_low, 0);
			csv_number(out, a.ci_high, last);
		}
	}
	free(v);
	return err;
}

/* ---- runs.csv ---------------------------------------------------------------------- */

typedef struct key_list {
	char **keys;
	size_t count, cap;
} key_list;

static int key_add(key_list *l, const char *key)
{
	for (size_t i = 0; i < l->count; i++)
		if (strcmp(l->keys[i], key) == 0)
			return 0;
	if (l->count == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 32;
		char **keys = realloc(l->keys, cap * sizeof *keys);
		if (!keys)
			return -1;
		l->keys = keys;
		l->cap = cap;
	}
	l->keys[l->count] = strdup(key);
	return l->keys[l->count++] ? 0 : -1;
}

/* Every leaf key of a config object, nested objects as prefix.key. */
static int collect_keys(key_list *l, const json_t *object, const char *prefix)
{
	const char *key;
	const json_t *value;
	json_object_foreach((json_t *)object, key, value) {
		if (!*prefix && strcmp(key, "workload") == 0)
			continue; /* runs.csv has it as its third column already */
		char name[256];
		snprintf(name, sizeof name, "%s%s%s", prefix, *prefix ? "." : "", key);
		int err = json_is_object(value) ? collect_keys(l, value, name) : key_add(l, name);
		if (err)
			return -1;
	}
	return 0;
}

static int by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *const run_noise_columns[] = {"user_s", "system_s", "runqueue_wait_s", "cpu_asked_s",
	"voluntary_switches", "involuntary_switches"};

static void runs_header(FILE *out, const key_list *keys)
{
	fputs("file,run,workload", out);
	for (size_t k = 0; k < keys->count; k++) {
		fputc(',', out);
		cy_csv_text(out, keys->keys[k]);
	}
	fputs(",status", out);
	for (int f = 0; f < CY_FIGURE_COUNT; f++)
		fprintf(out, ",%s", cy_figures[f].name);
	fputs(",pause_count,preempted_pauses", out);
	for (size_t k = 0; k < sizeof run_noise_columns / sizeof run_noise_columns[0]; k++)
		fprintf(out, ",%s", run_noise_columns[k]);
	fputs(",load_1m,disturbed,leaked_objects\n", out);
}

static void runs_rows(FILE *out, const loaded *file, const key_list *keys)
{
	const json_t *doc = file->doc, *config = json_object_get(doc, "config");
	const json_t *runs = json_object_get(doc, "runs");
	char text[512], workload[256], status[512];
	scalar_text(json_object_get(doc, "workload"), workload, sizeof workload);
	scalar_text(json_object_get(doc, "status"), status, sizeof status);
	for (size_t i = 0; i < json_array_size(runs); i++) {
		const json_t *run = json_array_get(runs, i);
		csv_field(out, file->name, 0);
		csv_number(out, (double)i, 0);
		csv_field(out, workload, 0);
		for (size_t k = 0; k < keys->count; k++) {
			value_text(cy_result_at_path(config, keys->keys[k]), text, sizeof text);
			csv_field(out, text, 0);
		}
		csv_field(out, status, 0);
		double pauses = number_at(run, "pauses.count");
		for (int f = 0; f < CY_FIGURE_COUNT; f++) {
			double v = number_at(run, cy_figures[f].run_path);
			csv_number(out, is_pause_figure((cy_figure_id)f) && !(pauses > 0) ? NAN : v, 0);
		}
		csv_number(out, pauses, 0);
		csv_number(out, number_at(run, "pauses.preempted"), 0);
		for (size_t k = 0; k < sizeof run_noise_columns / sizeof run_noise_columns[0]; k++) {
			char path[64];
			snprintf(path, sizeof path, "noise.%s", run_noise_columns[k]);
			csv_number(out, number_at(run, path), 0);
		}
		const json_t *load = json_array_get(cy_result_at_path(run, "noise.load_average"), 0);
		csv_number(out, json_is_number(load) ? json_number_value(load) : NAN, 0);
		const json_t *disturbed = cy_result_at_path(run, "noise.disturbed");
		csv_field(out, json_is_boolean(disturbed) ? (json_is_true(disturbed) ? "1" : "0") : "", 0);
		csv_number(out, number_at(run, "leaked_objects"), 1);
	}
}

/* ---- the directory ---------------------------------------------------------------- */

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_result_entry(const struct dirent *e)
{
	return cy_result_is_cell_file(e->d_name);
}

/* Parse dir/name; NULL (with a warning) when it is not a cyclab-result/1 document. */
static json_t *load_result(const char *dir, const char *name)
{
	char path[4400];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	/* Read as a regular file or not at all (a FIFO named like a result is not waited on). */
	char why[512];
	size_t size;
	char *bytes = cy_input_read(path, CY_INPUT_MAX_BYTES, &size, why, sizeof why);
	json_error_t error;
	json_t *doc = bytes ? json_loadb(bytes, size, 0, &error) : NULL;
	free(bytes);
	const json_t *schema = json_object_get(doc, "schema");
	if (!json_is_object(doc) || !json_is_string(schema) || strcmp(json_string_value(schema), CY_RESULT_SCHEMA) != 0) {
		fprintf(stderr, "cyclab: %s is not a cyclab-result/1 file; left out of the summary\n", path);
		json_decref(doc);
		return NULL;
	}
	return doc;
}

static int write_table(const char *dir, const char *file, const loaded *files, size_t n, const key_list *keys,
	char *why, size_t len)
{
	char path[4400], tmp[4400];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	FILE *out = cy_atomic_open(path, tmp, sizeof tmp, why, len);
	if (!out)
		return -1;
	int failed = 0;
	if (keys) {
		runs_header(out, keys);
		for (size_t i = 0; i < n; i++)
			runs_rows(out, &files[i], keys);
	} else {
		summary_header(out);
		for (size_t i = 0; i < n && !failed; i++)
			failed = summary_row(out, &files[i]) != 0;
	}
	return cy_atomic_commit(out, tmp, path, failed, why, len);
}

int cy_results_write_summary(const char *dir, char *why, size_t len)
{
	struct dirent **names;
	int n = scandir(dir, &names, is_result_entry, by_name);
	if (n < 0) {
		snprintf(why, len, "cannot list %s: %s", dir, strerror(errno));
		return -1;
	}
	loaded *files = calloc((size_t)n + 1, sizeof *files);
	key_list keys = {0};
	size_t count = 0;
	int err = files ? 0 : -1;
	for (int i = 0; i < n && !err; i++) {
		json_t *doc = load_result(dir, names[i]->d_name);
		if (!doc)
			continue;
		snprintf(files[count].name, sizeof files[count].name, "%s", names[i]->d_name);
		files[count++].doc = doc;
		err = collect_keys(&keys, json_object_get(doc, "config"), "");
	}
	if (err)
		snprintf(why, len, "out of memory summarising %s", dir);
	else {
		if (keys.count)
			qsort(keys.keys, keys.count, sizeof *keys.keys, by_text);
		err = write_table(dir, "summary.csv", files, count, NULL, why, len);
		if (!err)
			err = write_table(dir, "runs.csv", files, count, &keys, why, len);
	}
	for (size_t i = 0; i < count; i++)
		json_decref(files[i].doc);
	free(files);
	for (size_t k = 0; k < keys.count; k++)
		free(keys.keys[k]);
	free(keys.keys);
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return err;
}
