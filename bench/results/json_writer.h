/*
 * json_writer.h: the one JSON writer of cyclab, streaming and
 * allocation-free. Every JSON document cyclab writes goes through it: the
 * result of a run (cyclab-result/1), the collection trace's JSON lines
 * (cyclab-gctrace/1) and compare's document (cyclab-compare/2). jansson is
 * used for reading only.
 *
 * Values go in document order; `key` names the value inside an object and
 * is NULL inside an array or at the top. An object or array begun compact
 * stays on one line, and so does everything inside it (series of numbers,
 * one JSON line per record); otherwise each value gets a line of its own,
 * indented two spaces a level. Separators are ", " on one line and ": "
 * after a key. Non-finite doubles are written as null, the only JSON for
 * them. A document ends with a newline when its outermost value closes.
 * Errors (nesting deeper than CY_JSON_MAX_DEPTH, closing what is not open)
 * stick in `failed`; I/O errors stick in the FILE (ferror).
 */
#ifndef CY_BENCH_JSON_WRITER_H
#define CY_BENCH_JSON_WRITER_H

#include <stdint.h>
#include <stdio.h>

#define CY_JSON_MAX_DEPTH 16

typedef struct cy_json {
	FILE *out;
	int depth;
	int items[CY_JSON_MAX_DEPTH];   /* values written so far at each level */
	int compact[CY_JSON_MAX_DEPTH]; /* this level is written on one line */
	int failed;
} cy_json;

void cy_json_init(cy_json *j, FILE *out);
void cy_json_begin_object(cy_json *j, const char *key);
void cy_json_begin_compact_object(cy_json *j, const char *key); /* on one line, all it holds included */
void cy_json_end_object(cy_json *j);
void cy_json_begin_array(cy_json *j, const char *key, int compact);
void cy_json_end_array(cy_json *j);
void cy_json_string(cy_json *j, const char *key, const char *value); /* NULL: null */
void cy_json_int(cy_json *j, const char *key, int64_t value);
void cy_json_uint(cy_json *j, const char *key, uint64_t value);
void cy_json_double(cy_json *j, const char *key, double value);
void cy_json_bool(cy_json *j, const char *key, int value);
void cy_json_null(cy_json *j, const char *key);

/* 0 when every value went out whole and every level opened was closed; -1 otherwise. */
int cy_json_finish(const cy_json *j);

#endif
