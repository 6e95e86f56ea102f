/*
 * harness.h: Google Benchmark, driven from C.
 *
 * cyclab's benchmarks are written in C, like the code they measure, and run
 * under Google Benchmark's runner (harness.cc is a thin C++ shim), so they
 * take its usual flags (--benchmark_filter, --benchmark_repetitions,
 * --benchmark_format=json, --benchmark_out=FILE) and its compare.py reads
 * their output. A benchmark function receives an opaque state and loops
 * while the harness says to keep running:
 *
 *     static void pair(cy_bench_state *s, void *context)
 *     {
 *         while (cy_bench_keep_running_batch(s, 1000))
 *             for (int i = 0; i < 1000; i++)
 *                 ...one iteration...
 *     }
 *
 * The batch form exists because each call into the harness costs a few
 * nanoseconds: for an operation that costs less than one, a call per
 * iteration would be most of what is measured.
 *
 * Multi-threaded runs. With threads > 1 every thread calls the function
 * with its own state (thread index 0 .. threads-1); thread 0 is the thread
 * that runs the whole program. A benchmark whose threads share something
 * gives a setup and a teardown: thread 0 runs setup before any thread calls
 * the function, and teardown after every thread's function has returned, so
 * what setup builds is visible to every thread and nobody uses it after
 * teardown. Setup and teardown run once per measured run, outside the timed
 * loop. Google Benchmark's own Setup/Teardown hooks take a bare function
 * pointer with no context, so the shim implements these itself.
 *
 * The harness keeps every thread's loop protocol whole: a function that
 * returns before its loop ended (say, after cy_bench_skip_with_error) is
 * finished by the harness, so the other threads never wait for it forever.
 *
 * Registration, context and cy_bench_main belong to the main thread before
 * the run; every other function is called inside a running benchmark by the
 * thread that owns the state.
 */
#ifndef CY_BENCH_HARNESS_H
#define CY_BENCH_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cy_bench_state cy_bench_state;

/* The measured function: loops while cy_bench_keep_running* returns nonzero. */
typedef void (*cy_bench_fn)(cy_bench_state *state, void *context);
/* Runs on thread 0 before the run; returns NULL, or a message that skips the run. */
typedef const char *(*cy_bench_setup_fn)(cy_bench_state *state, void *context);
/* Runs on thread 0 after every thread's function returned (only if setup succeeded). */
typedef void (*cy_bench_teardown_fn)(cy_bench_state *state, void *context);

/* Number of values at most in cy_bench_def.args and .thread_list. */
#define CY_BENCH_MAX_LIST 16

/*
 * A benchmark to register. Fields left zero take their defaults; at most
 * one of threads, threads_min/threads_max and thread_list may be given.
 * Repetitions are not set here: --benchmark_repetitions chooses them.
 */
typedef struct cy_bench_def {
	const char *name;              /* e.g. "rc_pair/private/biased" (copied) */
	cy_bench_fn run;
	void *context;                 /* passed to run, setup and teardown */
	cy_bench_setup_fn setup;       /* optional */
	cy_bench_teardown_fn teardown; /* optional */
	/* One run per value, read with cy_bench_range(state, 0); appended to the name. */
	const int64_t *args;
	size_t arg_count;
	const char *arg_name; /* optional: the name shows "arg_name:value" */
	/* Threads: exactly `threads`; or min..max by powers of two; or each listed count. */
	int threads;
	int threads_min, threads_max;
	const int *thread_list;
	size_t thread_list_count;
	int use_real_time; /* time by wall clock instead of the threads' CPU time */
} cy_bench_def;

/* Register a benchmark. Returns 0, or -1 after printing why def is invalid. */
int cy_bench_register(const cy_bench_def *def);

/* A key and value for the "context" object of the output (both copied). */
void cy_bench_add_context(const char *key, const char *value);

/*
 * Parse Google Benchmark's flags from argv, run the registered benchmarks
 * the filter selects, and report. Returns the exit status: 0; 1 when no
 * benchmark matched the filter or a benchmark reported an error; 2 for an
 * unknown argument (after a one-line message). --help prints the flags and
 * exits 0.
 */
int cy_bench_main(int argc, char **argv);

/* ---- inside a running benchmark ---------------------------------------- */

/* One iteration: nonzero while the loop should go on. */
int cy_bench_keep_running(cy_bench_state *state);
/* n iterations at a time (n > 0); the last batch may overshoot the count. */
int cy_bench_keep_running_batch(cy_bench_state *state, int64_t n);

int cy_bench_thread_index(const cy_bench_state *state);
int cy_bench_threads(const cy_bench_state *state);
/* The i-th argument of this run; the benchmark must have been given one. */
int64_t cy_bench_range(const cy_bench_state *state, unsigned i);
/* Iterations this thread has run (0 before its loop starts). */
int64_t cy_bench_iterations(const cy_bench_state *state);

/* Stop and restart this thread's timer inside the loop (costly: not per iteration). */
void cy_bench_pause_timing(cy_bench_state *state);
void cy_bench_resume_timing(cy_bench_state *state);

/* After the loop: reported as items_per_second. */
void cy_bench_set_items_processed(cy_bench_state *state, int64_t items);

/* How a user counter is combined and scaled (bits may be combined). */
enum {
	CY_BENCH_COUNTER_SUM = 0,                 /* summed over threads */
	CY_BENCH_COUNTER_RATE = 1u << 0,          /* divided by the run's duration */
	CY_BENCH_COUNTER_THREAD_AVERAGE = 1u << 1, /* divided by the number of threads */
	CY_BENCH_COUNTER_PER_ITERATION = 1u << 2, /* divided by the iterations */
};

/* A user counter: a plain key of the JSON output. name is copied. */
void cy_bench_set_counter(cy_bench_state *state, const char *name, double value, unsigned flags);

/*
 * Report this run as failed with message (copied); the run's numbers are
 * dropped. The function should return soon after; the harness finishes
 * its loop for it. Only the first call on a state has an effect.
 */
void cy_bench_skip_with_error(cy_bench_state *state, const char *message);

#ifdef __cplusplus
}
#endif

#endif
