/*
 * result_read.c: cyclab-result/1 files read back with jansson (the key
 * and fingerprint rules are in result_read.h).
 *
 * The reader checks the structure a tool relies on (an object whose
 * "schema" is cyclab-result/1, a string "workload", an object "config", an
 * array of objects "runs") and is lenient below that: a figure a run does
 * not carry, or carries as null (the writer's spelling of a non-finite
 * number), is a NaN sample, so results from before a figure existed still
 * load and the aggregates leave the gap out.
 */
#include "bench/results/result_read.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/results/input_file.h"
#include "bench/results/results.h"

/* ---- a growing string -------------------------------------------------------------- */

typedef struct text_buffer {
	char *data;
	size_t used, size;
	int failed;
} text_buffer;

static void append(text_buffer *b, const char *s)
{
	size_t n = strlen(s);
	if (b->failed)
		return;
	if (b->used + n + 1 > b->size) {
		size_t size = b->size ? b->size : 128;
		while (b->used + n + 1 > size)
			size *= 2;
		char *bigger = realloc(b->data, size);
		if (!bigger) {
			b->failed = 1;
			return;
		}
		b->data = bigger;
		b->size = size;
	}
	memcpy(b->data + b->used, s, n + 1);
	b->used += n;
}

/* ---- the cell key -------------------------------------------------------------------- */

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Top-level config keys that say how a run was measured or where it wrote, not what ran. */
static int left_out_of_key(const char *key)
{
	static const char *const protocol[] = {
		"workload", "seed", "warmup", "repeat", "sample_interval_ms", "output",
		"sources", /* where each knob's value came from (default, environment, command line) */
	};
	for (size_t i = 0; i < sizeof protocol / sizeof protocol[0]; i++) {
		if (strcmp(key, protocol[i]) == 0)
			return 1;
	}
	return ends_with(key, "_file") || ends_with(key, "_path") || ends_with(key, "_xml") || ends_with(key, "_json");
}

static void append_scalar(text_buffer *b, const json_t *value)
{
	char number[64];
	switch (json_typeof(value)) {
	case JSON_STRING: append(b, json_string_value(value)); return;
	case JSON_INTEGER:
		snprintf(number, sizeof number, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
		append(b, number);
		return;
	case JSON_REAL:
		snprintf(number, sizeof number, "%.15g", json_real_value(value));
		append(b, number);
		return;
	case JSON_TRUE: append(b, "true"); return;
	case JSON_FALSE: append(b, "false"); return;
	case JSON_NULL: append(b, "null"); return;
	case JSON_OBJECT:
	case JSON_ARRAY: break;
	}
	char *text = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (!text) {
		b->failed = 1;
		return;
	}
	append(b, text);
	free(text);
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* " prefix.key=value" for each key of object in byte order; top: apply left_out_of_key. */
static void append_object(text_buffer *b, const json_t *object, const char *prefix, int top)
{
	size_t count = json_object_size(object), n = 0;
	const char **keys = malloc((count ? count : 1) * sizeof *keys);
	if (!keys) {
		b->failed = 1;
		return;
	}
	const char *key;
	json_t *value;
	json_object_foreach((json_t *)object, key, value)
	{
		keys[n++] = key;
	}
	qsort(keys, n, sizeof *keys, compare_strings);
	for (size_t i = 0; i < n && !b->failed; i++) {
		if (top && left_out_of_key(keys[i]))
			continue;
		value = json_object_get(object, keys[i]);
		char path[512];
		snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", keys[i]);
		if (json_is_object(value)) {
			append_object(b, value, path, 0);
			continue;
		}
		append(b, " ");
		append(b, path);
		append(b, "=");
		if (json_is_array(value)) {
			size_t index;
			json_t *item;
			json_array_foreach(value, index, item)
			{
				if (index)
					append(b, ",");
				append_scalar(b, item);
			}
		} else {
			append_scalar(b, value);
		}
	}
	free(keys);
}

char *cy_result_cell_key(const char *workload, const json_t *config)
{
	text_buffer b = {0};
	append(&b, workload);
	append_object(&b, config, "", 1);
	if (b.failed) {
		free(b.data);
		return NULL;
	}
	return b.data;
}

/* ---- the machine ----------------------------------------------------------------------- */

static int machine_fingerprints(cy_result *r)
{
	const json_t *fingerprint = json_object_get(r->machine, "topology_fingerprint");
	if (json_is_string(fingerprint) && !(r->machine_fingerprint = strdup(json_string_value(fingerprint))))
		return -1;
	const json_t *model = json_object_get(r->machine, "cpu_model");
	const json_t *topology = json_object_get(r->machine, "topology");
	char *topology_text = topology ? json_dumps(topology, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)
				       : strdup("null");
	if (!topology_text)
		return -1;
	text_buffer b = {0};
	append(&b, json_is_string(model) ? json_string_value(model) : "unknown");
	append(&b, " ");
	append(&b, topology_text);
	free(topology_text);
	r->machine_fallback = b.data;
	return b.failed ? -1 : 0;
}

int cy_result_same_machine(const cy_result *a, const cy_result *b)
{
	if (a->machine_fingerprint && b->machine_fingerprint)
		return strcmp(a->machine_fingerprint, b->machine_fingerprint) == 0;
	return strcmp(a->machine_fallback, b->machine_fallback) == 0;
}

double cy_result_core_round_trip_ns(const cy_result *result)
{
	const json_t *trip = json_object_get(result->machine, "core_round_trip");
	const json_t *ns = json_is_object(trip) ? json_object_get(trip, "median_ns") : NULL;
	return json_is_number(ns) && json_number_value(ns) > 0 ? json_number_value(ns) : 0;
}

const char *cy_result_machine_label(const cy_result *result)
{
	const json_t *model = json_object_get(result->machine, "cpu_model");
	return json_is_string(model) ? json_string_value(model) : "unknown machine";
}

/* ---- one result ------------------------------------------------------------------------- */

const json_t *cy_result_at_path(const json_t *object, const char *path)
{
	char part[128];
	const json_t *value = object;
	while (*path && value) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof part)
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		value = json_object_get(value, part);
		path += n + (path[n] == '.');
	}
	return value;
}

/* The number at a dotted path inside object, or NaN. */
static double number_at(const json_t *object, const char *path)
{
	const json_t *value = cy_result_at_path(object, path);
	return json_is_number(value) ? json_number_value(value) : NAN;
}

static int refuse(char *why, size_t len, const char *path, const char *what)
{
	snprintf(why, len, "%s: not a cyclab-result/1 file: %s", path, what);
	return -1;
}

static int read_document(cy_result *r, const char *path, char *why, size_t len)
{
	json_t *doc = r->document;
	if (!json_is_object(doc))
		return refuse(why, len, path, "the document is not a JSON object");
	const json_t *schema = json_object_get(doc, "schema");
	if (!schema)
		return refuse(why, len, path, "no \"schema\" key");
	if (!json_is_string(schema) || strcmp(json_string_value(schema), CY_RESULT_SCHEMA) != 0) {
		char *text = json_dumps(schema, JSON_COMPACT | JSON_ENCODE_ANY);
		snprintf(why, len, "%s: schema %.80s is not \"%s\" (valid: results of cyclab run -o FILE)", path,
			text ? text : "?", CY_RESULT_SCHEMA);
		free(text);
		return -1;
	}
	const json_t *workload = json_object_get(doc, "workload");
	if (!json_is_string(workload))
		return refuse(why, len, path, "\"workload\" is missing or not a string");
	r->workload = json_string_value(workload);
	r->config = json_object_get(doc, "config");
	if (!json_is_object(r->config))
		return refuse(why, len, path, "\"config\" is missing or not an object");
	const json_t *runs = json_object_get(doc, "runs");
	if (!json_is_array(runs))
		return refuse(why, len, path, "\"runs\" is missing or not an array");
	r->machine = json_object_get(doc, "machine");
	if (!json_is_object(r->machine)) {
		if (r->machine && !json_is_null(r->machine))
			return refuse(why, len, path, "\"machine\" is not an object");
		r->machine = json_object();
		if (!r->machine || json_object_set_new(doc, "machine", r->machine) != 0)
			goto no_memory;
	}
	r->run_count = json_array_size(runs);
	r->samples = malloc((r->run_count ? r->run_count : 1) * CY_FIGURE_COUNT * sizeof *r->samples);
	if (!r->samples)
		goto no_memory;
	for (size_t i = 0; i < r->run_count; i++) {
		const json_t *run = json_array_get(runs, i);
		if (!json_is_object(run)) {
			char what[64];
			snprintf(what, sizeof what, "runs[%zu] is not an object", i);
			return refuse(why, len, path, what);
		}
		for (int f = 0; f < CY_FIGURE_COUNT; f++)
			r->samples[(size_t)f * r->run_count + i] = number_at(run, cy_figures[f].run_path);
	}
	if (!(r->cell_key = cy_result_cell_key(r->workload, r->config)) || machine_fingerprints(r) != 0)
		goto no_memory;
	return 0;
no_memory:
	snprintf(why, len, "%s: out of memory", path);
	return -1;
}

int cy_result_parse(const char *path, const char *text, size_t size, cy_result *result, char *why, size_t len)
{
	memset(result, 0, sizeof *result);
	if (!(result->path = strdup(path))) {
		snprintf(why, len, "%s: out of memory", path);
		return -1;
	}
	const char *slash = strrchr(result->path, '/');
	result->name = slash ? slash + 1 : result->path;
	json_error_t error;
	result->document = json_loadb(text, size, JSON_REJECT_DUPLICATES, &error);
	if (!result->document) {
		snprintf(why, len, "%s: not valid JSON: line %d column %d: %s", path, error.line, error.column, error.text);
		cy_result_free(result);
		return -1;
	}
	if (read_document(result, path, why, len) != 0) {
		cy_result_free(result);
		return -1;
	}
	return 0;
}

char *cy_result_read_file(const char *path, size_t *size, char *why, size_t len)
{
	return cy_input_read(path, CY_INPUT_MAX_BYTES, size, why, len);
}

int cy_result_load(const char *path, cy_result *result, char *why, size_t len)
{
	size_t size;
	char *text = cy_result_read_file(path, &size, why, len);
	if (!text) {
		memset(result, 0, sizeof *result);
		return -1;
	}
	int err = cy_result_parse(path, text, size, result, why, len);
	free(text);
	return err;
}

void cy_result_free(cy_result *result)
{
	free(result->path);
	json_decref(result->document); /* the borrowed config and machine go with it */
	free(result->cell_key);
	free(result->machine_fingerprint);
	free(result->machine_fallback);
	free(result->samples);
	memset(result, 0, sizeof *result);
}

/* ---- a directory ---------------------------------------------------------------------- */

int cy_result_is_cell_file(const char *name)
{
	size_t n = strlen(name);
	return strncmp(name, "cell-", 5) == 0 && n > 10 && strcmp(name + n - 5, ".json") == 0;
}

static int is_cell_entry(const struct dirent *e)
{
	return cy_result_is_cell_file(e->d_name);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int cy_result_load_directory(const char *dir, cy_result_set *set, char *why, size_t len)
{
	memset(set, 0, sizeof *set);
	set->is_directory = 1;
	struct dirent **names;
	int n = scandir(dir, &names, is_cell_entry, by_name);
	if (n < 0) {
		snprintf(why, len, "%s: cannot list: %s", dir, strerror(errno));
		return -1;
	}
	int err = 0;
	if (n == 0) {
		snprintf(why, len, "%s: no cell-*.json results in it (valid: a `cyclab suite ... -o DIR` directory)", dir);
		err = -1;
	} else if (!(set->results = calloc((size_t)n, sizeof *set->results))) {
		snprintf(why, len, "%s: out of memory", dir);
		err = -1;
	}
	for (int i = 0; i < n; i++) {
		if (!err) {
			size_t size = strlen(dir) + strlen(names[i]->d_name) + 2;
			char *path = malloc(size);
			if (!path) {
				snprintf(why, len, "%s: out of memory", dir);
				err = -1;
			} else {
				snprintf(path, size, "%s/%s", dir, names[i]->d_name);
				err = cy_result_load(path, &set->results[set->count], why, len);
				set->count += err == 0;
				free(path);
			}
		}
		free(names[i]);
	}
	free(names);
	if (err)
		cy_result_set_free(set);
	return err;
}

int cy_result_load_path(const char *path, cy_result_set *set, char *why, size_t len)
{
	struct stat st;
	memset(set, 0, sizeof *set);
	if (stat(path, &st) != 0) {
		snprintf(why, len, "%s: %s (valid: a cyclab-result/1 file or a suite directory)", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return cy_result_load_directory(path, set, why, len);
	if (!(set->results = calloc(1, sizeof *set->results))) {
		snprintf(why, len, "%s: out of memory", path);
		return -1;
	}
	if (cy_result_load(path, &set->results[0], why, len) != 0) {
		cy_result_set_free(set);
		return -1;
	}
	set->count = 1;
	return 0;
}

void cy_result_set_free(cy_result_set *set)
{
	for (size_t i = 0; i < set->count; i++)
		cy_result_free(&set->results[i]);
	free(set->results);
	memset(set, 0, sizeof *set);
}
