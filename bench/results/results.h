/*
 * results.h: the name of the result document of `cyclab run` (schema
 * cyclab-result/1), the revision it records and the check that its path
 * can be written. What it holds is written by bench/harness/run_result.h
 * and read back by result_read.h; docs/result-schema.md describes it.
 *
 * A result file appears whole or not at all: it is written through
 * bench/results/atomic_file.h, as every file cyclab writes.
 */
#ifndef CY_BENCH_RESULTS_H
#define CY_BENCH_RESULTS_H

#include <stddef.h>

#define CY_RESULT_SCHEMA "cyclab-result/1"

/* Can path be written? Creates and removes path.tmp; -1 with why (checked before a run starts). */
int cy_results_probe(const char *path, char *why, size_t len);

/* The revision this binary was built from (configure's `git describe`), or "unknown". */
const char *cy_build_revision(void);

#endif
