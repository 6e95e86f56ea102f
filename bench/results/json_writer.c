/*
 * json_writer.c: the streaming JSON writer (json_writer.h).
 *
 * A stack of "values written at this level" decides where commas go, and
 * a stack of "this level is on one line" where newlines go; nothing is
 * buffered or allocated, so a document of any size costs a few hundred
 * bytes of state. Strings are escaped per RFC 8259 (quote, backslash,
 * control characters as \u00XX); bytes >= 0x80 pass through, so UTF-8
 * stays UTF-8.
 */
#include "bench/results/json_writer.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

void cy_json_init(cy_json *j, FILE *out)
{
	memset(j, 0, sizeof *j);
	j->out = out;
}

static void write_escaped(cy_json *j, const char *s)
{
	FILE *out = j->out;
	putc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		case '\b': fputs("\\b", out); break;
		case '\f': fputs("\\f", out); break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				putc(*p, out);
		}
	}
	putc('"', out);
}

/* Comma, newline and indentation before a value, then its key. */
static void before_value(cy_json *j, const char *key)
{
	if (j->depth > 0) {
		int level = j->depth - 1;
		if (j->items[level]++ > 0)
			putc(',', j->out);
		if (j->compact[level]) {
			if (j->items[level] > 1)
				putc(' ', j->out);
		} else {
			putc('\n', j->out);
			for (int i = 0; i < j->depth; i++)
				fputs("  ", j->out);
		}
	}
	if (key) {
		write_escaped(j, key);
		fputs(": ", j->out);
	}
}

static void open_level(cy_json *j, const char *key, char bracket, int compact)
{
	before_value(j, key);
	putc(bracket, j->out);
	if (j->depth == CY_JSON_MAX_DEPTH) {
		j->failed = 1;
		return;
	}
	j->items[j->depth] = 0;
	j->compact[j->depth] = compact || (j->depth > 0 && j->compact[j->depth - 1]);
	j->depth++;
}

static void close_level(cy_json *j, char bracket)
{
	if (j->depth == 0) {
		j->failed = 1;
		return;
	}
	j->depth--;
	if (j->items[j->depth] > 0 && !j->compact[j->depth]) {
		putc('\n', j->out);
		for (int i = 0; i < j->depth; i++)
			fputs("  ", j->out);
	}
	putc(bracket, j->out);
	if (j->depth == 0)
		putc('\n', j->out);
}

void cy_json_begin_object(cy_json *j, const char *key) { open_level(j, key, '{', 0); }
void cy_json_begin_compact_object(cy_json *j, const char *key) { open_level(j, key, '{', 1); }
void cy_json_end_object(cy_json *j) { close_level(j, '}'); }
void cy_json_begin_array(cy_json *j, const char *key, int compact) { open_level(j, key, '[', compact); }
void cy_json_end_array(cy_json *j) { close_level(j, ']'); }

void cy_json_string(cy_json *j, const char *key, const char *value)
{
	before_value(j, key);
	if (value)
		write_escaped(j, value);
	else
		fputs("null", j->out);
}

void cy_json_int(cy_json *j, const char *key, int64_t value)
{
	before_value(j, key);
	fprintf(j->out, "%" PRId64, value);
}

void cy_json_uint(cy_json *j, const char *key, uint64_t value)
{
	before_value(j, key);
	fprintf(j->out, "%" PRIu64, value);
}

void cy_json_double(cy_json *j, const char *key, double value)
{
	before_value(j, key);
	if (!isfinite(value)) {
		fputs("null", j->out);
		return;
	}
	/* Shortest of 15 significant digits that reads back as written; integers without a fraction. */
	char text[40];
	snprintf(text, sizeof text, "%.15g", value);
	fputs(text, j->out);
}

void cy_json_bool(cy_json *j, const char *key, int value)
{
	before_value(j, key);
	fputs(value ? "true" : "false", j->out);
}

void cy_json_null(cy_json *j, const char *key)
{
	before_value(j, key);
	fputs("null", j->out);
}

int cy_json_finish(const cy_json *j)
{
	return j->failed || j->depth != 0 || ferror(j->out) ? -1 : 0;
}
