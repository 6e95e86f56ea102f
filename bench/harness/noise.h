/*
 * noise.h: what the operating system gave a run and what it took from it,
 * measured around the timed part of each repetition (bench/harness/run.c).
 *
 * A benchmark on a shared machine competes with everything else on it.
 * Each repetition records:
 *   - the process's CPU time, user and system, and its voluntary and
 *     involuntary context switches over the timed part (getrusage,
 *     RUSAGE_SELF: the workload's threads, the sampler and any collector
 *     thread together);
 *   - the load average (1, 5, 15 minutes) as the timed part began;
 *   - the time the workload's threads spent runnable but waiting for a CPU
 *     (the second field of /proc/thread-self/schedstat, read by each thread
 *     around its share of the work), when the kernel keeps it.
 *
 * The threads asked for threads x seconds of CPU. A run is disturbed when
 * they got markedly less than they asked for because something else ran:
 * their run-queue wait exceeds CY_RUN_DISTURBED_FRACTION of what they asked
 * for. Waiting on a lock, a queue or a safepoint is sleeping, not waiting
 * for a CPU, so workloads that block by design (handoff, caches) are not
 * flagged for it. Without schedstat (a kernel without CONFIG_SCHED_INFO)
 * the process's CPU time stands in: disturbed when it falls below
 * 1 - CY_RUN_DISTURBED_FRACTION of min(threads, online CPUs) x seconds, a
 * weaker test that blocking workloads can trip.
 */
#ifndef CY_BENCH_NOISE_H
#define CY_BENCH_NOISE_H

#include <stdint.h>

#define CY_RUN_DISTURBED_FRACTION 0.10

typedef struct cy_run_noise {
	double user_s, system_s;                        /* CPU time of the process over the timed part */
	int64_t voluntary_switches, involuntary_switches;
	double load_average[3];                          /* 1, 5, 15 minutes at the start; negative if unknown */
	double cpu_asked_s;                              /* threads x seconds */
	double runqueue_wait_s;                          /* the workload's threads, runnable without a CPU; negative if unknown */
	int disturbed;
} cy_run_noise;

/* The process's usage at one moment; taken before and after the timed part. */
typedef struct cy_noise_mark {
	double user_s, system_s;
	int64_t voluntary_switches, involuntary_switches;
} cy_noise_mark;

void cy_noise_mark_now(cy_noise_mark *mark);

/* The calling thread's run-queue wait so far in ns, or -1 where the kernel does not keep it. */
int64_t cy_noise_thread_runqueue_ns(void);

/*
 * Fill out from the marks around the timed part, the load average taken at
 * its start, the run's threads and seconds and the summed run-queue wait of
 * its threads (negative if any thread could not read it), then decide
 * whether the run was disturbed (above).
 */
void cy_noise_finish(cy_run_noise *out, const cy_noise_mark *before, const cy_noise_mark *after,
	const double load_average[3], unsigned threads, double seconds, int64_t runqueue_wait_ns);

/* The load average now into out (1, 5, 15 minutes), negative where unknown. */
void cy_noise_load_average(double out[3]);

#endif
