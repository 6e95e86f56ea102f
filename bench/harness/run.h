/*
 * run.h: `cyclab run` and `cyclab list`, and the runner's C interface
 * (the tests drive workloads through it, without a process per run).
 *
 * A configuration holds every knob of a run, defaults included; a
 * repetition runs the workload once under it and fills a record with what
 * was measured (the fields of the "runs" entries of the JSON result,
 * bench/harness/run_result.c). The command line is a thin layer over both: it parses
 * options into a configuration, runs warm-up and measured repetitions,
 * prints a summary and writes the result.
 */
#ifndef CY_BENCH_RUN_H
#define CY_BENCH_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "bench/harness/noise.h"
#include "bench/harness/placement.h"
#include "bench/results/stats.h"
#include "collector/gc.h"
#include "runtime/alloc.h"
#include "runtime/refcount.h"
#include "runtime/shared_rc.h"
#include "workloads/workload.h"

/*
 * The knobs: what shapes a run. Each is set by its option (--threads) or
 * its environment variable (CYCLAB_THREADS, run_env.c), the command line
 * winning; a configuration remembers where each value came from.
 */
typedef enum cy_run_knob {
	CY_KNOB_THREADS,
	CY_KNOB_RC,
	CY_KNOB_SHARED_RC,
	CY_KNOB_GC,
	CY_KNOB_THRESHOLD,
	CY_KNOB_PAUSE_BUDGET_US,
	CY_KNOB_ALLOC,
	CY_KNOB_DURATION,
	CY_KNOB_OPS,
	CY_KNOB_SEED,
	CY_KNOB_WARMUP,
	CY_KNOB_REPEAT,
	CY_KNOB_SAMPLE_MS,
	CY_KNOB_PIN,
	CY_KNOB_COUNT,
} cy_run_knob;

typedef enum cy_knob_source {
	CY_SOURCE_DEFAULT = 0,
	CY_SOURCE_ENVIRONMENT,
	CY_SOURCE_COMMAND_LINE, /* an option, a suite cell's words, cy_run_apply_option, cy_run_set_param */
} cy_knob_source;

/* The knob's key in the result's "config" ("pause_budget_us"). */
const char *cy_run_knob_key(cy_run_knob knob);
/* "default", "environment" or "command-line". */
const char *cy_knob_source_name(cy_knob_source source);

struct cy_gc_trace; /* --trace-gc and --trace-gc-json (run_trace.c) */

typedef struct cy_run_config {
	const cy_workload_def *workload;
	unsigned threads;
	cy_rc_mode rc;
	cy_shared_rc_scheme shared_rc; /* how published objects are counted (runtime/shared_rc.h) */
	cy_gc_mode gc;
	int64_t threshold[CY_GC_GENERATIONS];
	int64_t pause_budget_us; /* recorded; only the concurrent collector uses it */
	cy_alloc_kind alloc;
	double duration_s;       /* a timed run; 0 when ops is set */
	int64_t ops;             /* a run of this many operations; 0 when timed */
	uint64_t seed;
	unsigned warmup, repeat;
	unsigned sample_interval_ms;
	/* Parameters by the workload's spec index: the text as given (or the default) and its value. */
	char param_text[CY_WORKLOAD_MAX_PARAMS][64];
	double param_values[CY_WORKLOAD_MAX_PARAMS];
	const char *param_choices[CY_WORKLOAD_MAX_PARAMS];
	cy_pin_policy pin;
	cy_knob_source source[CY_KNOB_COUNT];
	cy_knob_source param_source[CY_WORKLOAD_MAX_PARAMS];
	/* What is reported, and where: not knobs (command line only). */
	const char *output; /* -o FILE, or NULL */
	int quiet;
	int show_config;           /* --show-config: print the knobs and their sources, run nothing */
	int trace_gc;              /* --trace-gc: a line per collection on stderr */
	const char *trace_gc_json; /* --trace-gc-json FILE, or NULL */
	const char *topology_xml;  /* --topology-xml FILE, or NULL */
	int trace_alloc_frames;    /* --trace-alloc[=FRAMES]: frames per traced stack (bench/memory_trace.h), 0 off */
	int find_leaks;            /* --find-leaks[=DOT] (bench/leaks.h) */
	const char *find_leaks_dot; /* its DOT file, or NULL */
	/* Set by the command when tracing (NULL otherwise): each repetition attaches it to its timed part. */
	struct cy_gc_trace *trace;
} cy_run_config;

#define CY_RUN_LONGEST_PAUSES 5

/* One point of the time series, taken by the sampler thread. */
typedef struct cy_run_sample {
	double time_s; /* since the start of the timed part */
	int64_t ops, heap_bytes, live_objects;
} cy_run_sample;

typedef struct cy_run_record {
	int64_t ops;
	double seconds, ops_per_s;
	cy_run_noise noise; /* CPU time, switches, load, run-queue wait, disturbed (noise.h) */
	cy_pause_summary pauses;
	uint64_t pauses_unrecorded; /* beyond the collector's ring: counted, not in the percentiles */
	cy_gc_pause longest[CY_RUN_LONGEST_PAUSES]; /* longest first, start_ns relative to the run's start */
	unsigned longest_count;
	cy_gc_generation_stats generations[CY_GC_GENERATIONS];
	int64_t collected, uncollectable, examined;
	uint64_t phase_ns[CY_GC_PHASE_COUNT];
	int64_t rc_nonatomic_ops, rc_atomic_ops, rc_merges, rc_merges_queued;
	int64_t lock_acquisitions, lock_contended, lock_wait_ns;
	int64_t objects_allocated, bytes_allocated;
	/*
	 * The process's peak RSS includes what it held before the run began
	 * (code, libraries, memory kept from earlier runs in the same process),
	 * which depends on the process's history, not on the run; the growth
	 * (peak minus the RSS at the start) is what the run itself added, and
	 * is the memory figure compared between configurations.
	 */
	int64_t peak_rss_bytes;
	int peak_rss_of_run; /* 1: the peak was reset before this run; 0: it is the process's */
	int64_t rss_start_bytes;       /* RSS when the peak was reset; -1 if unreadable */
	int64_t peak_rss_growth_bytes; /* peak_rss_bytes - rss_start_bytes, at least 0 */
	int64_t pool_bytes_mapped, live_objects_end, heap_bytes_end;
	int64_t leaked_objects;
	int leaks_by_design;
	int check_failed;
	char check_message[256];
	unsigned metrics;
	const char *metric_names[CY_WORKLOAD_MAX_METRICS];
	double metric_values[CY_WORKLOAD_MAX_METRICS];
	cy_run_sample *series;
	size_t series_len;
	int series_truncated; /* the sampler ran out of memory for more points */
	cy_placement *placement; /* where each thread was planned and seen (owned; NULL if not planned) */
	struct cy_memory_sites *alloc_sites; /* --trace-alloc: the top allocation sites (owned; else NULL) */
	struct cy_leak_report *leaks;        /* --find-leaks: types that grew, one chain (owned; else NULL) */
} cy_run_record;

/* What a repetition returns. */
enum {
	CY_RUN_OK = 0,
	CY_RUN_FAILED = 1,      /* setup failed, or objects survived the run's cleanup: why says */
	CY_RUN_UNAVAILABLE = 2, /* the build cannot run this configuration (collector, allocator) */
};

/* Defaults for workload w (its parameters' defaults included). */
void cy_run_config_init(cy_run_config *config, const cy_workload_def *w);

/* Set parameter key to value after checking it against the spec; -1 with why on bad input. */
int cy_run_set_param(cy_run_config *config, const char *key, const char *value, char *why, size_t len);

/* Apply one `cyclab run` option that takes a value ("--threads", "4") as the command line would; -1 with why.
 * Counts take K, M, G suffixes (powers of 1000; powers of 1024 for parameters named *_bytes). */
int cy_run_apply_option(cy_run_config *config, const char *name, const char *value, char *why, size_t len);

/* Check the combination of knobs (nonatomic counting with threads...); -1 with why. */
int cy_run_validate(const cy_run_config *config, char *why, size_t len);

/*
 * Run the workload once: fresh runtime, collector started, setup, timed
 * threads (placed as config->pin says) with the sampler, check, teardown,
 * full collection, leak count.
 * The record is filled on CY_RUN_OK, and also on CY_RUN_FAILED once the
 * workload ran. Free it with cy_run_record_free.
 */
int cy_run_repetition(const cy_run_config *config, cy_run_record *record, char *why, size_t len);
void cy_run_record_free(cy_run_record *record);

/* The commands (argv[0] reads "cyclab run" / "cyclab list"). */
int cy_run_main(int argc, char **argv);
int cy_list_main(int argc, char **argv);

#endif
