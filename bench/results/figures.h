/*
 * figures.h: the main figures of a result, the numbers a person compares
 * between two configurations, in one list.
 *
 * Each figure is one number per measured repetition. The list says, once,
 * for each: its name (the key of its aggregate in a result's "summary" and
 * its label in `cyclab compare`), where it sits inside each entry of the
 * result's "runs" array (a dotted path: what bench/results/result_read.c reads
 * back), where it sits in the runner's cy_run_record (what bench/harness/run_result.c
 * aggregates when it writes the summary), whether a higher value is better,
 * and its unit. Writer and reader expand the same list, so they cannot
 * disagree on a name.
 *
 * Direction: throughput and minimum mutator utilisation are better higher;
 * time, pauses, memory, atomic operations and lock waits are better lower;
 * objects collected follow from the work done and are neither.
 */
#ifndef CY_BENCH_FIGURES_H
#define CY_BENCH_FIGURES_H

typedef enum cy_figure_direction {
	CY_BETTER_HIGHER,
	CY_BETTER_LOWER,
	CY_BETTER_NEITHER, /* informational: a change is neither a gain nor a loss */
} cy_figure_direction;

/*
 * Scope: what a figure's value depends on. Most describe the run alone. A
 * process-level figure also carries the process's history: the peak RSS
 * includes what the process held before the run began (code, libraries,
 * memory kept from earlier runs), which depends on what ran before it in
 * that process. A suite runs all repetitions of a side in one process, so
 * its runs never sample that variation, and a test would take the
 * difference between two processes for an effect: `cyclab compare` shows a
 * process-level figure's ratio and interval but does not test it. Its
 * run-level counterpart, the growth of the peak over the run, is tested.
 */
typedef enum cy_figure_scope {
	CY_SCOPE_RUN,
	CY_SCOPE_PROCESS,
} cy_figure_scope;

/*
 * X(ID, name, path in a "runs" entry, field of cy_run_record, direction, unit, scope).
 * The record fields of mmu_1ms and mmu_10ms are indexes 0 and 1 of cy_mmu_window_ms (1, 10, 100 ms).
 * The *_not_preempted_us figures are the percentiles over the pauses the
 * operating system did not interrupt (bench/results/stats.h).
 */
#define CY_FIGURES(X)                                                                                                \
	X(OPS_PER_S, "ops_per_s", "ops_per_s", ops_per_s, CY_BETTER_HIGHER, "ops/s", CY_SCOPE_RUN)                   \
	X(SECONDS, "seconds", "seconds", seconds, CY_BETTER_LOWER, "s", CY_SCOPE_RUN)                                \
	X(PAUSE_TOTAL_MS, "pause_total_ms", "pauses.total_ms", pauses.total_ms, CY_BETTER_LOWER, "ms", CY_SCOPE_RUN) \
	X(PAUSE_P50_US, "pause_p50_us", "pauses.p50_us", pauses.p50_us, CY_BETTER_LOWER, "us", CY_SCOPE_RUN)         \
	X(PAUSE_P99_US, "pause_p99_us", "pauses.p99_us", pauses.p99_us, CY_BETTER_LOWER, "us", CY_SCOPE_RUN)         \
	X(PAUSE_MAX_US, "pause_max_us", "pauses.max_us", pauses.max_us, CY_BETTER_LOWER, "us", CY_SCOPE_RUN)         \
	X(PAUSE_P50_NOT_PREEMPTED_US, "pause_p50_not_preempted_us", "pauses.not_preempted.p50_us",                   \
		pauses.not_preempted.p50_us, CY_BETTER_LOWER, "us", CY_SCOPE_RUN)                                    \
	X(PAUSE_P99_NOT_PREEMPTED_US, "pause_p99_not_preempted_us", "pauses.not_preempted.p99_us",                   \
		pauses.not_preempted.p99_us, CY_BETTER_LOWER, "us", CY_SCOPE_RUN)                                    \
	X(PAUSE_MAX_NOT_PREEMPTED_US, "pause_max_not_preempted_us", "pauses.not_preempted.max_us",                   \
		pauses.not_preempted.max_us, CY_BETTER_LOWER, "us", CY_SCOPE_RUN)                                    \
	X(MMU_1MS, "mmu_1ms", "pauses.mmu.1ms", pauses.mmu[0], CY_BETTER_HIGHER, "fraction", CY_SCOPE_RUN)           \
	X(MMU_10MS, "mmu_10ms", "pauses.mmu.10ms", pauses.mmu[1], CY_BETTER_HIGHER, "fraction", CY_SCOPE_RUN)        \
	X(GC_COLLECTED, "gc_collected", "gc.collected", collected, CY_BETTER_NEITHER, "objects", CY_SCOPE_RUN)       \
	X(PEAK_RSS_BYTES, "peak_rss_bytes", "memory.peak_rss_bytes", peak_rss_bytes, CY_BETTER_LOWER, "bytes",       \
		CY_SCOPE_PROCESS)                                                                                    \
	X(PEAK_RSS_GROWTH_BYTES, "peak_rss_growth_bytes", "memory.peak_rss_growth_bytes", peak_rss_growth_bytes,     \
		CY_BETTER_LOWER, "bytes", CY_SCOPE_RUN)                                                              \
	X(RC_ATOMIC_OPS, "rc_atomic_ops", "rc.atomic_ops", rc_atomic_ops, CY_BETTER_LOWER, "ops", CY_SCOPE_RUN)      \
	X(LOCK_WAIT_NS, "lock_wait_ns", "locks.wait_ns", lock_wait_ns, CY_BETTER_LOWER, "ns", CY_SCOPE_RUN)

typedef enum cy_figure_id {
#define CY_FIGURE_ENUM(id, name, path, field, direction, unit, scope) CY_FIGURE_##id,
	CY_FIGURES(CY_FIGURE_ENUM)
#undef CY_FIGURE_ENUM
	CY_FIGURE_COUNT
} cy_figure_id;

typedef struct cy_figure {
	const char *name;     /* "pause_p99_us" */
	const char *run_path; /* "pauses.p99_us", inside one entry of "runs" */
	cy_figure_direction direction;
	const char *unit;
	cy_figure_scope scope;
} cy_figure;

/* By cy_figure_id. */
extern const cy_figure cy_figures[CY_FIGURE_COUNT];

/* "higher", "lower" or "neither": which way is better, for people. */
const char *cy_figure_direction_name(cy_figure_direction direction);

#endif
