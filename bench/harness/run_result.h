/*
 * run_result.h: a run's records written as one JSON result document
 * (schema cyclab-result/1, bench/results/results.h; docs/result-schema.md).
 *
 * The harness writes the document because it alone knows what a run
 * recorded (its configuration, the machine, each repetition's record); it
 * writes through the results room's one JSON writer and atomic write, so
 * dependencies run from the harness down to results and never back.
 */
#ifndef CY_BENCH_RUN_RESULT_H
#define CY_BENCH_RUN_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include "bench/harness/machine.h"
#include "bench/harness/run.h"

/*
 * How an interleaved suite placed a cell's runs among the other cells'
 * (written as "interleave" and each run's "order_index"; absent otherwise).
 */
typedef struct cy_run_interleave {
	uint64_t seed;               /* of the shuffled order */
	uint64_t length;             /* measured repetitions in the whole schedule */
	const uint64_t *order_index; /* run_count entries: each run's position in it, from 0 */
} cy_run_interleave;

typedef struct cy_run_report {
	const cy_run_config *config;
	const cy_machine *machine;
	const char *command_line; /* as typed, for reproduction */
	const char *started_utc;  /* ISO 8601 */
	const cy_run_record *runs;
	unsigned run_count;
	const char *status;       /* "ok", or what went wrong */
	const cy_run_interleave *interleave; /* NULL unless an interleaved suite ran these runs */
} cy_run_report;

/* Write to path ("-": stdout) through path.tmp and a rename; -1 with why. */
int cy_results_write(const char *path, const cy_run_report *report, char *why, size_t len);

#endif
