/*
 * result_read.h: reading cyclab-result/1 files back (bench/harness/run_result.c
 * writes them), one file or a `cyclab suite` output directory.
 *
 * A loaded result keeps the whole parsed document (jansson) and offers the
 * parts a tool compares: the workload, the "config" and "machine" objects,
 * a canonical cell key, a machine fingerprint and, for each main figure of
 * bench/results/figures.h, one sample per measured repetition.
 *
 * The cell key names what was run, so that the same cell run twice (two
 * suite directories, two machines) has the same key:
 *
 *     WORKLOAD key=value key=value ...
 *
 * built from every key of "config" in byte order, nested objects flattened
 * with dots (params.length=2), arrays joined with commas
 * (threshold=700,10,10), numbers as the writer prints them (%.15g), null as
 * "null". Left out, because they say how a configuration was measured
 * rather than what it is: seed (seeds are replications of one
 * configuration), warmup, repeat, sample_interval_ms, sources (where each
 * knob's value came from), and any key naming an output (output, or ending
 * in _file, _path, _xml or _json). The amount of
 * work, duration_s or ops, stays in: throughput, pauses and peak memory
 * depend on how long a run lasts. A knob added to "config" later joins the
 * key by itself.
 *
 * The machine fingerprint is machine.topology_fingerprint when the result
 * has one; cy_result_same_machine falls back to the CPU model and the
 * topology object when either side lacks it.
 *
 * Errors are one line, starting with the file's path: missing or unreadable
 * file, not JSON (with jansson's line and column), not a cyclab-result/1
 * document (wrong or absent schema, or "runs", "config", "workload" of the
 * wrong type).
 */
#ifndef CY_BENCH_RESULT_READ_H
#define CY_BENCH_RESULT_READ_H

#include <stddef.h>

#include <jansson.h>

#include "bench/results/figures.h"

typedef struct cy_result {
	char *path;           /* as opened: FILE, or DIR/NAME for a directory's results */
	const char *name;     /* the file name part of path */
	json_t *document;     /* the whole result; owned (one reference) */
	const char *workload; /* borrowed from document */
	json_t *config;       /* borrowed: the "config" object */
	json_t *machine;      /* borrowed: the "machine" object, an empty object if absent */
	char *cell_key;
	char *machine_fingerprint; /* machine.topology_fingerprint, or NULL when the result has none */
	char *machine_fallback;    /* "cpu_model topology-as-compact-JSON": compared when a fingerprint is missing */
	size_t run_count;          /* entries of "runs" */
	double *samples;           /* [figure * run_count + run]; NaN where a run lacks the figure or has null */
} cy_result;

typedef struct cy_result_set {
	cy_result *results;
	size_t count;
	int is_directory; /* loaded from a directory (a suite's output), not a single file */
} cy_result_set;

/* Parse text (size bytes; path names it in errors) into result; -1 with why. */
int cy_result_parse(const char *path, const char *text, size_t size, cy_result *result, char *why, size_t len);

/* Read and parse the file at path; -1 with why. */
int cy_result_load(const char *path, cy_result *result, char *why, size_t len);

void cy_result_free(cy_result *result);

/* Does name follow a suite's naming for results, cell-*.json? */
int cy_result_is_cell_file(const char *name);

/*
 * Load every cell-*.json in dir, in name order (other files, such as
 * summary.csv, are ignored); -1 with why if dir cannot be read, holds no
 * result, or one of them is not a result.
 */
int cy_result_load_directory(const char *dir, cy_result_set *set, char *why, size_t len);

/* A result file (a set of one) or a suite directory; -1 with why. */
int cy_result_load_path(const char *path, cy_result_set *set, char *why, size_t len);

void cy_result_set_free(cy_result_set *set);

/* The run_count samples of figure in result (NaN where missing). */
static inline const double *cy_result_samples(const cy_result *result, cy_figure_id figure)
{
	return result->samples + (size_t)figure * result->run_count;
}

/* The value at a dotted path ("pauses.mmu.10ms") inside object, or NULL (borrowed). */
const json_t *cy_result_at_path(const json_t *object, const char *path);

/* The cell key of a workload and its config object (see above); NULL without memory. Free with free(). */
char *cy_result_cell_key(const char *workload, const json_t *config);

/* Were a and b measured on the same machine (fingerprints, or the fallback when either lacks one)? */
int cy_result_same_machine(const cy_result *a, const cy_result *b);

/* The readable name of a result's machine for messages: its CPU model, or "unknown machine". */
const char *cy_result_machine_label(const cy_result *result);

/* machine.core_round_trip.median_ns (bench/harness/core_latency.h), or 0 when the result has none. */
double cy_result_core_round_trip_ns(const cy_result *result);

/*
 * Round trips this far apart (the larger over the smaller) mean that
 * cross-thread costs differed between two results: `cyclab compare` says so.
 */
#define CY_ROUND_TRIP_WARN_RATIO 1.5

/* Read a whole file into a NUL-terminated buffer (size without the NUL); NULL with why. */
char *cy_result_read_file(const char *path, size_t *size, char *why, size_t len);

#endif
