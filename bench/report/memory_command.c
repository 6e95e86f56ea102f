/*
 * memory_command.c: `cyclab memory RESULT`, the allocation sites a
 * `cyclab run --trace-alloc` result holds, printed the way Python's
 * tracemalloc prints a comparison:
 *
 *   workloads/observers.c:118: size=12.3 MiB (+11.9 MiB), count=201,344 (+195,210), average=64 B
 *
 * One measured run's groups (the last, or --run N), in the order the
 * result keeps them (biggest change of size first), as text, CSV or JSON.
 * Sizes are live bytes at the end of the run's timed part; the changes are
 * from its start (bench/harness/memory_trace.h). The result is read with
 * jansson, and the JSON format written with the one JSON writer
 * (bench/results/json_writer.h); anything the result does not hold as
 * expected is one line on stderr and exit status 2.
 */
#include "bench/report/memory_command.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/results/json_writer.h"
#include "runtime/tracemalloc.h"

typedef enum output_format { FORMAT_TEXT, FORMAT_CSV, FORMAT_JSON } output_format;

typedef struct memory_options {
	const char *path;
	cy_tracemalloc_key by;
	long top;
	long run; /* 1-based; 0: the last run that has a trace */
	output_format format;
} memory_options;

static void print_usage(FILE *out)
{
	fputs("usage: cyclab memory RESULT [--by file|line|site|traceback|type] [--top N] [--run N]\n"
	      "                            [--format text|csv|json]\n"
	      "\n"
	      "Prints the allocation sites that `cyclab run NAME --trace-alloc[=FRAMES] -o RESULT`\n"
	      "kept for a measured run (the last, or run N counted from 1): for each group, the\n"
	      "live size and count at the end of the run, their change since its start, and the\n"
	      "average block size, biggest change first. --by chooses the grouping (default\n"
	      "line: file:line of the innermost frame outside runtime/), --top how many groups\n"
	      "(default 10; the result keeps 25 per grouping).\n",
	      out);
}

/* 1536 -> "1.5 KiB"; with sign, "+1.5 KiB" or "-1.5 KiB". */
static const char *human_bytes(int64_t bytes, int sign, char *buf, size_t len)
{
	const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)(bytes < 0 ? -bytes : bytes);
	int u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	const char *prefix = bytes < 0 ? "-" : sign ? "+" : "";
	if (u == 0)
		snprintf(buf, len, "%s%" PRId64 " B", prefix, bytes < 0 ? -bytes : bytes);
	else
		snprintf(buf, len, "%s%.1f %s", prefix, v, units[u]);
	return buf;
}

/* 201344 -> "201,344"; with sign, "+201,344". */
static const char *grouped(int64_t n, int sign, char *buf, size_t len)
{
	char digits[32];
	uint64_t magnitude = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
	snprintf(digits, sizeof digits, "%" PRIu64, magnitude);
	size_t d = strlen(digits), o = 0;
	if (n < 0)
		buf[o++] = '-';
	else if (sign)
		buf[o++] = '+';
	for (size_t i = 0; i < d && o + 2 < len; i++) {
		if (i && (d - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

static int parse_options(int argc, char **argv, memory_options *o)
{
	*o = (memory_options){.by = CY_TRACE_BY_LINE, .top = 10, .format = FORMAT_TEXT};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			print_usage(stdout);
			exit(0);
		}
		if (a[0] != '-') {
			if (o->path) {
				fprintf(stderr, "cyclab memory: one result at a time (got %s and %s)\n", o->path, a);
				return -1;
			}
			o->path = a;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "cyclab memory: %s needs a value (cyclab memory --help)\n", a);
			return -1;
		}
		const char *v = argv[++i];
		char *end;
		if (strcmp(a, "--by") == 0) {
			int k = cy_tracemalloc_key_parse(v);
			if (k < 0) {
				fprintf(stderr, "cyclab memory: --by takes file, line, site, traceback or type, not '%s'\n", v);
				return -1;
			}
			o->by = (cy_tracemalloc_key)k;
		} else if (strcmp(a, "--top") == 0 || strcmp(a, "--run") == 0) {
			long n = strtol(v, &end, 10);
			if (!*v || *end || n < 1 || n > 1000000) {
				fprintf(stderr, "cyclab memory: %s takes a whole number from 1, not '%s'\n", a, v);
				return -1;
			}
			*(strcmp(a, "--top") == 0 ? &o->top : &o->run) = n;
		} else if (strcmp(a, "--format") == 0) {
			if (strcmp(v, "text") == 0)
				o->format = FORMAT_TEXT;
			else if (strcmp(v, "csv") == 0)
				o->format = FORMAT_CSV;
			else if (strcmp(v, "json") == 0)
				o->format = FORMAT_JSON;
			else {
				fprintf(stderr, "cyclab memory: --format takes text, csv or json, not '%s'\n", v);
				return -1;
			}
		} else {
			fprintf(stderr, "cyclab memory: unknown option '%s' (valid: --by, --top, --run, --format, --help)\n",
				a);
			return -1;
		}
	}
	if (!o->path) {
		fprintf(stderr, "cyclab memory: which result? (cyclab memory RESULT; --help says more)\n");
		return -1;
	}
	return 0;
}

static int64_t int_of(json_t *object, const char *key) { return (int64_t)json_integer_value(json_object_get(object, key)); }

static void print_text_group(json_t *g, cy_tracemalloc_key by)
{
	char size[32], size_diff[32], count[32], count_diff[32], average[32];
	int64_t n = int_of(g, "count");
	const char *key = json_string_value(json_object_get(g, "key"));
	human_bytes(int_of(g, "size"), 0, size, sizeof size);
	human_bytes(int_of(g, "size_diff"), 1, size_diff, sizeof size_diff);
	grouped(n, 0, count, sizeof count);
	grouped(int_of(g, "count_diff"), 1, count_diff, sizeof count_diff);
	human_bytes(n ? int_of(g, "size") / n : 0, 0, average, sizeof average);
	const char *figures_format = "size=%s (%s), count=%s (%s), average=%s\n";
	if (by == CY_TRACE_BY_TRACEBACK) {
		printf(figures_format, size, size_diff, count, count_diff, average);
		for (const char *line = key; *line;) {
			size_t l = strcspn(line, "\n");
			printf("  %.*s\n", (int)l, line);
			line += l + (line[l] == '\n');
		}
		return;
	}
	printf("%s: ", key);
	printf(figures_format, size, size_diff, count, count_diff, average);
}

static void print_csv_key(const char *key)
{
	putchar('"');
	for (const char *c = key; *c; c++) {
		if (*c == '"')
			fputs("\"\"", stdout);
		else if (*c == '\n')
			fputs(" <- ", stdout);
		else
			putchar(*c);
	}
	putchar('"');
}

/* A value read from the result, written back as it is (absent: null). */
static void write_value(cy_json *j, const char *key, const json_t *v)
{
	const char *name;
	json_t *item;
	size_t i;
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_OBJECT:
		cy_json_begin_object(j, key);
		json_object_foreach((json_t *)v, name, item)
			write_value(j, name, item);
		cy_json_end_object(j);
		break;
	case JSON_ARRAY:
		cy_json_begin_array(j, key, 0);
		json_array_foreach(v, i, item)
			write_value(j, NULL, item);
		cy_json_end_array(j);
		break;
	case JSON_STRING: cy_json_string(j, key, json_string_value(v)); break;
	case JSON_INTEGER: cy_json_int(j, key, json_integer_value(v)); break;
	case JSON_REAL: cy_json_double(j, key, json_real_value(v)); break;
	case JSON_TRUE: cy_json_bool(j, key, 1); break;
	case JSON_FALSE: cy_json_bool(j, key, 0); break;
	case JSON_NULL: cy_json_null(j, key); break;
	}
}

static int print_groups(json_t *root, json_t *trace, long run, long runs, const memory_options *o)
{
	json_t *groups = json_object_get(trace, cy_tracemalloc_key_name(o->by));
	if (!json_is_array(groups)) {
		fprintf(stderr, "cyclab memory: %s: run %ld has no '%s' groups in its alloc_trace\n", o->path, run,
			cy_tracemalloc_key_name(o->by));
		return 2;
	}
	size_t shown = json_array_size(groups) < (size_t)o->top ? json_array_size(groups) : (size_t)o->top;
	if (o->format == FORMAT_JSON) {
		cy_json j;
		cy_json_init(&j, stdout);
		cy_json_begin_object(&j, NULL);
		write_value(&j, "workload", json_object_get(root, "workload"));
		cy_json_int(&j, "run", run);
		cy_json_string(&j, "by", cy_tracemalloc_key_name(o->by));
		write_value(&j, "frames", json_object_get(trace, "frames"));
		write_value(&j, "traced_bytes_start", json_object_get(trace, "traced_bytes_start"));
		write_value(&j, "traced_bytes_end", json_object_get(trace, "traced_bytes_end"));
		write_value(&j, "dropped", json_object_get(trace, "dropped"));
		cy_json_begin_array(&j, "groups", 0);
		for (size_t i = 0; i < shown; i++)
			write_value(&j, NULL, json_array_get(groups, i));
		cy_json_end_array(&j);
		cy_json_end_object(&j);
		return cy_json_finish(&j) == 0 ? 0 : 2;
	}
	if (o->format == FORMAT_CSV) {
		printf("%s,size,size_diff,count,count_diff,average\n", cy_tracemalloc_key_name(o->by));
		for (size_t i = 0; i < shown; i++) {
			json_t *g = json_array_get(groups, i);
			int64_t n = int_of(g, "count");
			print_csv_key(json_string_value(json_object_get(g, "key")));
			printf(",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 "\n", int_of(g, "size"),
			       int_of(g, "size_diff"), n, int_of(g, "count_diff"), n ? int_of(g, "size") / n : 0);
		}
		return 0;
	}
	char start[32], end[32], peak[32];
	const char *workload = json_string_value(json_object_get(root, "workload"));
	printf("%s, run %ld of %ld: top %zu by %s (stacks of %" PRId64 " frames; traced %s at the start, %s at the end, "
	       "peak %s",
	       workload ? workload : "?", run, runs, shown, cy_tracemalloc_key_name(o->by), int_of(trace, "frames"),
	       human_bytes(int_of(trace, "traced_bytes_start"), 0, start, sizeof start),
	       human_bytes(int_of(trace, "traced_bytes_end"), 0, end, sizeof end),
	       human_bytes(int_of(trace, "traced_bytes_peak"), 0, peak, sizeof peak));
	if (int_of(trace, "dropped"))
		printf("; %" PRId64 " allocations past the limit not traced", int_of(trace, "dropped"));
	puts(")");
	for (size_t i = 0; i < shown; i++)
		print_text_group(json_array_get(groups, i), o->by);
	return 0;
}

int cy_memory_main(int argc, char **argv)
{
	memory_options o;
	if (parse_options(argc, argv, &o) != 0)
		return 2;
	json_error_t error;
	json_t *root = json_load_file(o.path, 0, &error);
	if (!root) {
		if (error.line > 0)
			fprintf(stderr, "cyclab memory: %s: %s (line %d)\n", o.path, error.text, error.line);
		else
			fprintf(stderr, "cyclab memory: %s: %s\n", o.path, error.text);
		return 2;
	}
	json_t *runs = json_object_get(root, "runs");
	if (!json_is_array(runs) || json_array_size(runs) == 0) {
		fprintf(stderr, "cyclab memory: %s: not a cyclab run result with measured runs\n", o.path);
		json_decref(root);
		return 2;
	}
	long count = (long)json_array_size(runs), run = o.run;
	if (run > count) {
		fprintf(stderr, "cyclab memory: %s has %ld measured runs, not %ld\n", o.path, count, run);
		json_decref(root);
		return 2;
	}
	if (!run) {
		for (long r = count; r >= 1 && !run; r--)
			if (json_object_get(json_array_get(runs, (size_t)(r - 1)), "alloc_trace"))
				run = r;
	}
	json_t *trace = run ? json_object_get(json_array_get(runs, (size_t)(run - 1)), "alloc_trace") : NULL;
	int status;
	if (!json_is_object(trace)) {
		fprintf(stderr,
			"cyclab memory: %s: no allocation trace in %s (run the workload with --trace-alloc[=FRAMES])\n",
			o.path, o.run ? "that run" : "any run");
		status = 2;
	} else {
		status = print_groups(root, trace, run, count, &o);
	}
	json_decref(root);
	return status;
}
