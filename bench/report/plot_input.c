/*
 * plot_input.c: reading result files for plots and reports (plot_input.h).
 *
 * A file is told apart by its top-level keys: "schema" equal to
 * cyclab-result/1 makes a cell; "benchmarks" (an array) with "context"
 * makes Google Benchmark output. Both are checked for the few keys every
 * reader relies on (a result's workload, config and runs), so a figure can
 * read the rest with fallbacks and never meets a wrong type where it
 * expects an object.
 */
#include "bench/report/plot_input.h"
#include "bench/report/plot_parse.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RESULT_SCHEMA "cyclab-result/1"

/* ---- reading values --------------------------------------------------------------- */

json_t *cy_plot_get(json_t *root, const char *path)
{
	json_t *at = root;
	const char *p = path;
	while (at && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char key[128];
		if (n >= sizeof key || !json_is_object(at))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		at = json_object_get(at, key);
		p += n + (dot != NULL);
	}
	return at;
}

double cy_plot_number(json_t *root, const char *path, double fallback)
{
	json_t *v = cy_plot_get(root, path);
	return json_is_number(v) ? json_number_value(v) : fallback;
}

const char *cy_plot_string(json_t *root, const char *path, const char *fallback)
{
	json_t *v = cy_plot_get(root, path);
	return json_is_string(v) ? json_string_value(v) : fallback;
}

static void scalar_text(json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%g", json_real_value(v));
	else if (json_is_true(v))
		snprintf(buf, len, "true");
	else if (json_is_false(v))
		snprintf(buf, len, "false");
	else
		snprintf(buf, len, "-");
}

void cy_plot_value_text(json_t *v, char *buf, size_t len)
{
	if (!json_is_array(v)) {
		scalar_text(v, buf, len);
		return;
	}
	size_t used = 0, i;
	json_t *item;
	buf[0] = '\0';
	json_array_foreach(v, i, item) {
		char one[64];
		scalar_text(item, one, sizeof one);
		int n = snprintf(buf + used, len - used, "%s%s", i ? "," : "", one);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

void cy_plot_text(json_t *root, const char *path, char *buf, size_t len)
{
	cy_plot_value_text(cy_plot_get(root, path), buf, len);
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double cy_plot_run_median(const cy_plot_cell *cell, const char *path, const char *per)
{
	json_t *runs = json_object_get(cell->root, "runs");
	size_t n = json_array_size(runs), got = 0;
	double *values = malloc((n ? n : 1) * sizeof *values);
	if (!values)
		return NAN;
	for (size_t i = 0; i < n; i++) {
		json_t *run = json_array_get(runs, i), *v = cy_plot_get(run, path);
		double divisor = per ? cy_plot_number(run, per, 0) : 1;
		if (json_is_number(v) && divisor != 0)
			values[got++] = json_number_value(v) / divisor;
	}
	double median = NAN;
	if (got > 0) {
		qsort(values, got, sizeof *values, compare_double);
		median = got % 2 ? values[got / 2] : (values[got / 2 - 1] + values[got / 2]) / 2;
	}
	free(values);
	return median;
}

/* ---- describing cells ---------------------------------------------------------------- */

/* The knobs a cell is described by, in the order labels name them; then each workload parameter. */
static const struct knob {
	const char *name, *path;
} knobs[] = {
	{"rc", "config.rc"},
	{"gc", "config.gc"},
	{"threads", "config.threads"},
	{"alloc", "config.alloc"},
	{"threshold", "config.threshold"},
	{"pause_budget_us", "config.pause_budget_us"},
	{"duration_s", "config.duration_s"},
	{"ops", "config.ops"},
	{"shared_rc", "config.shared_rc"}, /* absent: off */
};
enum {
	KNOB_RC, KNOB_GC, KNOB_THREADS, KNOB_ALLOC, KNOB_THRESHOLD, KNOB_PAUSE_BUDGET, KNOB_DURATION, KNOB_OPS,
	KNOB_SHARED_RC, KNOB_COUNT
};

size_t cy_plot_workloads(const cy_plot_input *in, const char **out, size_t max)
{
	size_t count = 0;
	for (size_t i = 0; i < in->cell_count; i++) {
		size_t k = 0;
		while (k < count && strcmp(out[k], in->cells[i].workload) != 0)
			k++;
		if (k == count && count < max)
			out[count++] = in->cells[i].workload;
	}
	return count;
}

/* Knob number k of a cell: the fixed knobs, then the parameters of the cell's workload by name. */
static json_t *knob_value(const cy_plot_cell *cell, size_t k, const char **name)
{
	if (k < KNOB_COUNT) {
		*name = knobs[k].name;
		return cy_plot_get(cell->root, knobs[k].path);
	}
	json_t *params = cy_plot_get(cell->root, "config.params");
	void *it = json_object_iter(params);
	for (size_t skip = k - KNOB_COUNT; it && skip > 0; skip--)
		it = json_object_iter_next(params, it);
	if (!it)
		return NULL;
	*name = json_object_iter_key(it);
	return json_object_iter_value(it);
}

static size_t knob_count(const cy_plot_cell *cell)
{
	return KNOB_COUNT + json_object_size(cy_plot_get(cell->root, "config.params"));
}

#define MAX_LABEL_KNOBS 64 /* bits of cy_plot_cell.varying; knobs beyond never label */

/* Does knob k take more than one value among the cells of this workload? */
static int knob_varies(const cy_plot_input *in, const char *workload, size_t k)
{
	for (size_t i = 0; i < in->cell_count; i++) {
		if (strcmp(in->cells[i].workload, workload) == 0)
			return k < MAX_LABEL_KNOBS && (in->cells[i].varying >> k & 1);
	}
	return 0;
}

/*
 * Fill every cell's varying: each cell's knobs are compared with those of
 * the first cell of its workload, so the whole costs one pass over the
 * cells per workload.
 */
static int find_varying(cy_plot_input *in)
{
	char first[256], text[256];
	const char **done = malloc((in->cell_count ? in->cell_count : 1) * sizeof *done); /* workloads done */
	size_t done_count = 0;
	if (!done)
		return -1;
	for (size_t i = 0; i < in->cell_count; i++) {
		cy_plot_cell *lead = &in->cells[i];
		size_t w = 0;
		while (w < done_count && strcmp(done[w], lead->workload) != 0)
			w++;
		if (w < done_count)
			continue;
		done[done_count++] = lead->workload;
		unsigned long long mask = 0;
		size_t count = knob_count(lead);
		for (size_t j = i; j < in->cell_count; j++) {
			const cy_plot_cell *c = &in->cells[j];
			if (strcmp(c->workload, lead->workload) != 0)
				continue;
			for (size_t k = 0; k < count && k < MAX_LABEL_KNOBS; k++) {
				const char *name;
				if (mask >> k & 1)
					continue;
				cy_plot_value_text(knob_value(lead, k, &name), first, sizeof first);
				cy_plot_value_text(knob_value(c, k, &name), text, sizeof text);
				if (strcmp(first, text) != 0)
					mask |= 1ull << k;
			}
		}
		for (size_t j = i; j < in->cell_count; j++) {
			if (strcmp(in->cells[j].workload, lead->workload) == 0)
				in->cells[j].varying = mask;
		}
	}
	free(done);
	return 0;
}

static void append(char *buf, size_t len, size_t *used, const char *fmt, const char *a, const char *b)
{
	if (*used >= len)
		return;
	int n = snprintf(buf + *used, len - *used, fmt, a, b);
	if (n > 0)
		*used += (size_t)n < len - *used ? (size_t)n : len - *used - 1;
}

void cy_plot_label(const cy_plot_input *in, const cy_plot_cell *cell, const char *skip, char *buf, size_t len)
{
	size_t used = 0, count = knob_count(cell);
	char text[256];
	buf[0] = '\0';
	for (size_t k = 0; k < count; k++) {
		const char *name = NULL;
		json_t *v = knob_value(cell, k, &name);
		if ((skip && strcmp(name, skip) == 0) || k >= MAX_LABEL_KNOBS || !(cell->varying >> k & 1))
			continue;
		cy_plot_value_text(v, text, sizeof text);
		append(buf, len, &used, used ? " %s=%s" : "%s=%s", name, text);
	}
	if (used > 0)
		return;
	for (size_t k = KNOB_RC; k <= KNOB_THREADS; k++) {
		if (skip && strcmp(knobs[k].name, skip) == 0)
			continue;
		cy_plot_value_text(cy_plot_get(cell->root, knobs[k].path), text, sizeof text);
		append(buf, len, &used, used ? " %s=%s" : "%s=%s", knobs[k].name, text);
	}
}

void cy_plot_common(const cy_plot_input *in, const char *workload, char *buf, size_t len)
{
	const cy_plot_cell *first = NULL;
	for (size_t i = 0; i < in->cell_count && !first; i++) {
		if (strcmp(in->cells[i].workload, workload) == 0)
			first = &in->cells[i];
	}
	buf[0] = '\0';
	if (!first)
		return;
	size_t used = 0;
	char text[256];
	for (size_t k = KNOB_RC; k <= KNOB_ALLOC; k++) {
		if (knob_varies(in, workload, k))
			continue;
		cy_plot_value_text(cy_plot_get(first->root, knobs[k].path), text, sizeof text);
		append(buf, len, &used, used ? ", %s %s" : "%s %s", knobs[k].name, text);
	}
	/* How many runs each cell holds and how long each was, where all cells agree. */
	size_t runs = json_array_size(json_object_get(first->root, "runs"));
	int same_runs = 1;
	for (size_t i = 0; i < in->cell_count; i++) {
		const cy_plot_cell *c = &in->cells[i];
		if (strcmp(c->workload, workload) == 0 && json_array_size(json_object_get(c->root, "runs")) != runs)
			same_runs = 0;
	}
	char count[64] = "runs", each[64] = "";
	if (same_runs)
		snprintf(count, sizeof count, "%zu run%s", runs, runs == 1 ? "" : "s");
	if (!knob_varies(in, workload, KNOB_DURATION) && !knob_varies(in, workload, KNOB_OPS)) {
		double seconds = cy_plot_number(first->root, "config.duration_s", 0);
		if (seconds > 0)
			snprintf(each, sizeof each, " of %g s", seconds);
		else
			snprintf(each, sizeof each, " of %.0f ops", cy_plot_number(first->root, "config.ops", 0));
	}
	if (same_runs || each[0])
		append(buf, len, &used, used ? "; %s%s" : "%s%s", count, each);
	if (same_runs && each[0])
		append(buf, len, &used, "%s%s", " each", "");
}

int cy_plot_later(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/* ---- loading ---------------------------------------------------------------------- */

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Check a cyclab result's structure; NULL if fine, else what is wrong. */
static const char *result_problem(json_t *root)
{
	const char *schema = cy_plot_string(root, "schema", "");
	if (strcmp(schema, RESULT_SCHEMA) != 0)
		return "unsupported result schema (valid: " RESULT_SCHEMA ")";
	if (!json_is_string(json_object_get(root, "workload")))
		return "no \"workload\" string";
	if (!json_is_object(json_object_get(root, "config")))
		return "no \"config\" object";
	json_t *runs = json_object_get(root, "runs");
	if (!json_is_array(runs))
		return "no \"runs\" array";
	size_t i;
	json_t *run;
	json_array_foreach(runs, i, run) {
		if (!json_is_object(run))
			return "a \"runs\" entry is not an object";
	}
	return NULL;
}

/*
 * Drop what no figure, label or page reads (the result's own summary, where
 * each knob came from, thread placement, metrics, the longest pauses), so
 * ten thousand results fit in a fraction of the memory. Harmless on other
 * JSON: it only deletes keys that are there.
 */
static void drop_unread(json_t *root)
{
	json_object_del(root, "summary");
	json_object_del(root, "config_sources");
	size_t i;
	json_t *run;
	json_array_foreach(json_object_get(root, "runs"), i, run) {
		json_object_del(run, "placement");
		json_object_del(run, "metrics");
		json_object_del(json_object_get(run, "pauses"), "longest");
	}
}

/* Take a parsed file in (its tree now belongs to in, or is freed on a refusal). -1 with why. */
static int add_file(cy_plot_input *in, const char *path, cy_parsed_file *parsed, char *why, size_t len)
{
	json_t *root = parsed->root;
	parsed->root = NULL;
	if (!root) {
		snprintf(why, len, "%s", parsed->error);
		return -1;
	}
	if (cy_plot_later(&parsed->st.st_mtim, &in->newest_mtime))
		in->newest_mtime = parsed->st.st_mtim;
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	if (json_is_object(root) && json_object_get(root, "schema")) {
		const char *problem = json_is_string(json_object_get(root, "schema")) ? result_problem(root)
											: "\"schema\" is not a string";
		if (problem) {
			snprintf(why, len, "%s: %s", path, problem);
			json_decref(root);
			return -1;
		}
		size_t capacity = in->cell_count < in->cell_capacity ? in->cell_capacity : 2 * in->cell_capacity + 16;
		cy_plot_cell *grown = capacity == in->cell_capacity ? in->cells : realloc(in->cells, capacity * sizeof *grown);
		char *copy = strdup(path);
		if (!grown || !copy) {
			free(copy);
			if (grown)
				in->cells = grown;
			json_decref(root);
			snprintf(why, len, "out of memory reading %s", path);
			return -1;
		}
		in->cells = grown;
		in->cell_capacity = capacity;
		in->cells[in->cell_count++] = (cy_plot_cell){
			.path = copy,
			.name = copy + (name - path),
			.root = root,
			.workload = json_string_value(json_object_get(root, "workload")),
		};
		return 0;
	}
	if (json_is_object(root) && json_is_array(json_object_get(root, "benchmarks")) &&
		json_is_object(json_object_get(root, "context"))) {
		cy_plot_micro *grown = realloc(in->micro, (in->micro_count + 1) * sizeof *grown);
		char *copy = strdup(path);
		if (!grown || !copy) {
			free(copy);
			if (grown)
				in->micro = grown;
			json_decref(root);
			snprintf(why, len, "out of memory reading %s", path);
			return -1;
		}
		in->micro = grown;
		cy_plot_micro *m = &in->micro[in->micro_count++];
		*m = (cy_plot_micro){.path = copy, .root = root};
		size_t n = 0;
		for (const char *p = name; *p && n + 1 < sizeof m->stem && !(p[0] == '.' && strcmp(p, ".json") == 0); p++) {
			char c = *p;
			int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
				    c == '_' || c == '.';
			m->stem[n++] = plain ? c : '_';
		}
		m->stem[n] = '\0';
		return 0;
	}
	snprintf(why, len,
		"%s: neither a cyclab result (\"schema\": \"" RESULT_SCHEMA "\") nor Google Benchmark output "
		"(\"context\" and \"benchmarks\")",
		path);
	json_decref(root);
	return -1;
}

static int json_file_filter(const struct dirent *e)
{
	return e->d_name[0] != '.' && ends_with(e->d_name, ".json");
}

int cy_plot_input_load(const char *path, cy_plot_input *in, char *why, size_t len)
{
	memset(in, 0, sizeof *in);
	struct stat st;
	if (stat(path, &st) != 0) {
		snprintf(why, len, "cannot read %s: %s (valid: a `cyclab suite` directory or a result file)", path,
			strerror(errno));
		return -1;
	}
	in->source = strdup(path);
	if (!in->source) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		cy_parsed_file *parsed = malloc(sizeof *parsed);
		char *paths[1] = {(char *)path};
		int failed = !parsed || cy_parse_files(paths, 1, parsed, drop_unread) != 0;
		if (failed)
			snprintf(why, len, "out of memory reading %s", path);
		else
			failed = add_file(in, path, parsed, why, len) != 0;
		free(parsed);
		if (failed) {
			cy_plot_input_free(in);
			return -1;
		}
		return 0;
	}
	in->is_dir = 1;
	struct dirent **names;
	int n = scandir(path, &names, json_file_filter, alphasort);
	if (n < 0) {
		snprintf(why, len, "cannot read directory %s: %s", path, strerror(errno));
		cy_plot_input_free(in);
		return -1;
	}
	/* The regular files among the names, parsed all at once, then taken in name order. */
	char **files = calloc(n > 0 ? (size_t)n : 1, sizeof *files);
	size_t count = 0;
	int failed = !files;
	for (int i = 0; i < n; i++) {
		char file[4096];
		struct stat fst;
		int fits = snprintf(file, sizeof file, "%s/%s", path, names[i]->d_name) < (int)sizeof file;
		if (!failed && fits && stat(file, &fst) == 0 && S_ISREG(fst.st_mode)) {
			files[count] = strdup(file);
			failed = !files[count++];
		}
		free(names[i]);
	}
	free(names);
	cy_parsed_file *parsed = failed ? NULL : calloc(count ? count : 1, sizeof *parsed);
	if (!parsed || cy_parse_files(files, count, parsed, drop_unread) != 0) {
		snprintf(why, len, "out of memory reading %s", path);
		failed = 1;
	}
	for (size_t i = 0; i < count; i++) {
		if (parsed && !failed)
			failed = add_file(in, files[i], &parsed[i], why, len) != 0;
		if (parsed)
			json_decref(parsed[i].root); /* those not taken in: after a refusal */
		free(files[i]);
	}
	free(parsed);
	free(files);
	if (!failed && in->cell_count == 0 && in->micro_count == 0) {
		snprintf(why, len,
			"%s holds no result: no *.json file in it is a cyclab result or Google Benchmark output "
			"(valid: a `cyclab suite` output directory, a result file, or `ninja micro`'s micro-results)",
			path);
		failed = 1;
	}
	if (failed) {
		cy_plot_input_free(in);
		return -1;
	}
	if (find_varying(in) != 0) {
		snprintf(why, len, "out of memory reading %s", path);
		cy_plot_input_free(in);
		return -1;
	}
	return 0;
}

void cy_plot_input_free(cy_plot_input *in)
{
	for (size_t i = 0; i < in->cell_count; i++) {
		json_decref(in->cells[i].root);
		free(in->cells[i].path);
	}
	for (size_t i = 0; i < in->micro_count; i++) {
		json_decref(in->micro[i].root);
		free(in->micro[i].path);
	}
	free(in->cells);
	free(in->micro);
	free(in->source);
	memset(in, 0, sizeof *in);
}
