/*
 * workload.h: what a workload is, between the workloads and the runner
 * (`cyclab run`, bench/harness/run.c). docs/contributing.md has the recipe
 * for adding one; workloads/handoff.c is a short complete example.
 *
 * A workload is a small, seeded, multithreaded program on the runtime: a
 * memory scenario with knobs. Its code counts references on every
 * operation, so each workload source is compiled once per reference-counting
 * mode (runtime/variant.h) and defines its operations with CY_SYM names; its
 * cy_workload_def (in the same file, guarded so the mode-independent parts
 * appear once, or in workloads/registry.c) points at the three copies, and
 * the runner picks the running mode's copy once, before the run.
 *
 * A run, as the runner drives it (every step on registered threads):
 *
 *   setup(run)              thread 0: build shared state in run->state
 *   thread(run, i)          on each of run->threads threads, at once: loop
 *                           { some operations; cy_workload_count(run, i, n);
 *                           cy_safepoint(); } until
 *                           cy_workload_should_stop(run, i); return
 *   check(run, why, len)    thread 0: the workload's own invariants (an LRU
 *                           cache never above its bound, a hit ratio in the
 *                           range its skew implies); 0 when they hold
 *   teardown(run)           thread 0: drop every reference the workload
 *                           holds; after it and a full collection, no
 *                           object may be alive unless leaks_by_design says
 *                           this configuration leaks (strong observers
 *                           without a collector)
 *
 * An operation is what the workload's op_name says ("cycle created"); the
 * runner reports operations per second. Workloads report extra figures
 * (hit ratio, bytes per object) with cy_workload_metric.
 *
 * Parameters are declared in the def with a kind, a default and a range;
 * the runner validates `--param key=value` against them, so a workload
 * reads already valid values with cy_param_int / cy_param_float /
 * cy_param_choice.
 */
#ifndef CY_WORKLOAD_H
#define CY_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "collector/gc.h"
#include "runtime/refcount.h"

#define CY_WORKLOAD_MAX_PARAMS 16
#define CY_WORKLOAD_MAX_METRICS 16
#define CY_WORKLOAD_MAX_THREADS 256

typedef enum cy_param_kind {
	CY_PARAM_INT,    /* integer in [min, max]; K/M/G suffixes accepted */
	CY_PARAM_FLOAT,  /* real number in [min, max] */
	CY_PARAM_CHOICE, /* one of choices, "a|b|c" */
} cy_param_kind;

typedef struct cy_param_spec {
	const char *name;
	cy_param_kind kind;
	const char *default_value;
	double min, max;     /* INT and FLOAT */
	const char *choices; /* CHOICE */
	const char *doc;     /* one line */
} cy_param_spec;

/* Per-thread progress, written by its thread only (relaxed), read by the sampler. */
typedef struct cy_workload_progress {
	int64_t ops;
	char pad[56]; /* one cache line each: threads do not share counters */
} cy_workload_progress;

typedef struct cy_workload_run {
	/* Set by the runner before setup; read-only for the workload. */
	const struct cy_workload_def *def;
	unsigned threads;
	uint64_t seed;
	int64_t ops_target; /* total operations for this run; 0 when the run is timed */
	cy_rc_mode rc;
	cy_gc_mode gc;
	double param_values[CY_WORKLOAD_MAX_PARAMS]; /* INT and FLOAT, by spec index */
	const char *param_choices[CY_WORKLOAD_MAX_PARAMS]; /* CHOICE, by spec index */

	int stop;          /* atomic: the runner's duration has elapsed (set by its sampler thread) */
	void *state;       /* the workload's, from setup to teardown */
	cy_workload_progress progress[CY_WORKLOAD_MAX_THREADS];

	/* Figures the workload reports (cy_workload_metric), after the run. */
	const char *metric_names[CY_WORKLOAD_MAX_METRICS];
	double metric_values[CY_WORKLOAD_MAX_METRICS];
	unsigned metrics;

	char error[256]; /* why setup failed (cy_workload_error) */
} cy_workload_run;

typedef struct cy_workload_ops {
	int (*setup)(cy_workload_run *run);                      /* 0, or -1 after cy_workload_error */
	void (*thread)(cy_workload_run *run, unsigned index);
	int (*check)(cy_workload_run *run, char *why, size_t len); /* optional */
	void (*teardown)(cy_workload_run *run);
} cy_workload_ops;

typedef struct cy_workload_def {
	const char *name;
	const char *summary; /* one line, for `cyclab list` */
	const char *help;    /* a paragraph, for `cyclab run NAME --help` */
	const char *op_name; /* what one operation is */
	const cy_param_spec *params;
	size_t param_count;
	int single_thread_only; /* the scenario makes no sense on more than one thread */
	const cy_workload_ops *ops[3]; /* by cy_rc_mode */
	/* Optional: nonzero when this configuration leaves objects alive on purpose. */
	int (*leaks_by_design)(const cy_workload_run *run);
} cy_workload_def;

/* ---- for workloads --------------------------------------------------------- */

/* Index of parameter name in def->params; aborts on a name the def does not declare (a bug). */
size_t cy_param_index(const cy_workload_run *run, const char *name);

static inline int64_t cy_param_int(const cy_workload_run *run, const char *name)
{
	return (int64_t)run->param_values[cy_param_index(run, name)];
}

static inline double cy_param_float(const cy_workload_run *run, const char *name)
{
	return run->param_values[cy_param_index(run, name)];
}

static inline const char *cy_param_choice(const cy_workload_run *run, const char *name)
{
	return run->param_choices[cy_param_index(run, name)];
}

/* Thread index did n more operations. */
static inline void cy_workload_count(cy_workload_run *run, unsigned index, int64_t n)
{
	int64_t *ops = &run->progress[index].ops;
	cy_atomic_store_relaxed(ops, cy_atomic_load_relaxed(ops) + n);
}

/*
 * Should thread index stop? When the run is timed, once the runner says so;
 * when it counts operations, once this thread has done its share
 * (ops_target split evenly, the remainder to the first threads).
 */
static inline int cy_workload_should_stop(const cy_workload_run *run, unsigned index)
{
	if (run->ops_target > 0) {
		int64_t share = run->ops_target / run->threads + ((int64_t)index < run->ops_target % run->threads);
		return cy_atomic_load_relaxed(&run->progress[index].ops) >= share;
	}
	return cy_atomic_load_relaxed(&run->stop);
}

/*
 * How many operations thread index should do before its next
 * cy_workload_count and safepoint: at most max, fewer at the end of its
 * share of ops_target, 0 once it should stop. Batching keeps the shared
 * progress counter and the safepoint off the per-operation path.
 */
static inline int64_t cy_workload_next_batch(const cy_workload_run *run, unsigned index, int64_t max)
{
	if (run->ops_target > 0) {
		int64_t share = run->ops_target / run->threads + ((int64_t)index < run->ops_target % run->threads);
		int64_t left = share - cy_atomic_load_relaxed(&run->progress[index].ops);
		return left < max ? (left > 0 ? left : 0) : max;
	}
	return cy_atomic_load_relaxed(&run->stop) ? 0 : max;
}

/* The three per-mode copies of a workload's ops, for cy_workload_def.ops. */
#define CY_WORKLOAD_DECLARE_OPS(prefix)                  \
	extern const cy_workload_ops prefix##_nonatomic; \
	extern const cy_workload_ops prefix##_atomic;    \
	extern const cy_workload_ops prefix##_biased
#define CY_WORKLOAD_OPS(prefix) {&prefix##_nonatomic, &prefix##_atomic, &prefix##_biased}

/* Report a figure of the run (hit_ratio, bytes_per_object...). */
void cy_workload_metric(cy_workload_run *run, const char *name, double value);

/* Say why setup failed (one line, printed by the runner). */
void cy_workload_error(cy_workload_run *run, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* ---- for the runner ---------------------------------------------------------- */

/* Every workload, in the order `cyclab list` shows them. */
const cy_workload_def *const *cy_workloads(size_t *count);
const cy_workload_def *cy_workload_find(const char *name);

#endif
