/*
 * results.h: the JSON result of `cyclab run` (schema cyclab-result/1), and
 * the small streaming JSON writer it is written with.
 *
 * A result file appears whole or not at all: it is written through
 * bench/results/atomic_file.h, as every file cyclab writes.
 */
#ifndef CY_BENCH_RESULTS_H
#define CY_BENCH_RESULTS_H

#include <stdint.h>
#include <stdio.h>

#include "bench/harness/machine.h"
#include "bench/harness/run.h"

#define CY_RESULT_SCHEMA "cyclab-result/1"

/* ---- a streaming JSON writer --------------------------------------------------- */

#define CY_JSON_MAX_DEPTH 16

/*
 * Values go in document order; `key` names the value inside an object and
 * is NULL inside an array or at the top. Arrays begun compact stay on one
 * line (series of numbers). Non-finite doubles are written as null, the
 * only JSON for them. Errors (depth, I/O) stick in `failed`.
 */
typedef struct cy_json {
	FILE *out;
	int depth;
	int items[CY_JSON_MAX_DEPTH];   /* values written so far at each level */
	int compact[CY_JSON_MAX_DEPTH]; /* this level is written on one line */
	int failed;
} cy_json;

void cy_json_init(cy_json *j, FILE *out);
void cy_json_begin_object(cy_json *j, const char *key);
void cy_json_end_object(cy_json *j);
void cy_json_begin_array(cy_json *j, const char *key, int compact);
void cy_json_end_array(cy_json *j);
void cy_json_string(cy_json *j, const char *key, const char *value); /* NULL: null */
void cy_json_int(cy_json *j, const char *key, int64_t value);
void cy_json_uint(cy_json *j, const char *key, uint64_t value);
void cy_json_double(cy_json *j, const char *key, double value);
void cy_json_bool(cy_json *j, const char *key, int value);
void cy_json_null(cy_json *j, const char *key);

/* ---- the result ----------------------------------------------------------------- */

typedef struct cy_run_report {
	const cy_run_config *config;
	const cy_machine *machine;
	const char *command_line; /* as typed, for reproduction */
	const char *started_utc;  /* ISO 8601 */
	const cy_run_record *runs;
	unsigned run_count;
	const char *status;       /* "ok", or what went wrong */
	const struct cy_run_interleave *interleave; /* NULL unless `cyclab suite --interleave` ran these runs */
} cy_run_report;

/*
 * How `cyclab suite --interleave` placed a cell's runs among the other cells'
 * (written as "interleave" and each run's "order_index"; absent otherwise).
 */
typedef struct cy_run_interleave {
	uint64_t seed;               /* of the shuffled order */
	uint64_t length;             /* measured repetitions in the whole schedule */
	const uint64_t *order_index; /* run_count entries: each run's position in it, from 0 */
} cy_run_interleave;

/* Write the whole document to out. Returns 0, or -1 if writing failed. */
int cy_results_print(FILE *out, const cy_run_report *report);

/* Write to path ("-": stdout) through path.tmp and a rename; -1 with why. */
int cy_results_write(const char *path, const cy_run_report *report, char *why, size_t len);

/* Can path be written? Creates and removes path.tmp; -1 with why (checked before a run starts). */
int cy_results_probe(const char *path, char *why, size_t len);

/* The revision this binary was built from (configure's `git describe`), or "unknown". */
const char *cy_build_revision(void);

#endif
