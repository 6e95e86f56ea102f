/*
 * run.c: one repetition of a workload, measured (cy_run_repetition); the
 * command around it is run_main.c, its options run_options.c.
 *
 * What one repetition does (cy_run_repetition), in order:
 *
 *   1. cy_runtime_init in the chosen counting mode and allocator, so every
 *      repetition starts from an empty heap; cy_gc_start; thresholds set.
 *   2. The calling thread registers as thread 0 and runs the workload's
 *      setup. Collector statistics are reset and the peak RSS is reset to
 *      the current RSS (/proc/self/clear_refs), so both describe the run.
 *   3. Threads 1..N-1 start, bind themselves to their CPU (--pin; thread
 *      0 binds after creating them and the sampler, which must not inherit
 *      its binding, and is unbound again at the end), register and wait at
 *      a gate; the sampler thread (never registered: it touches no object)
 *      waits too. The clock starts when the gate opens, and every thread,
 *      thread 0 included, runs the workload's thread function, then notes
 *      the CPU it ended on. The sampler records (time, operations,
 *      heap bytes, live objects) every sample_interval_ms and, in a timed
 *      run, raises the workload's stop flag when the duration is up. The
 *      clock stops when the last thread has returned.
 *   4. Counters, collector statistics and the pause ring are read; the
 *      workload checks its invariants, then tears down; a full collection
 *      runs (unless --gc off) and whatever is still alive is the leak.
 *   5. Cleanup whatever the run leaked (a full collection even under
 *      --gc off, the garbage list emptied), unregister, stop the collector,
 *      return free memory to the system: the next repetition starts clean.
 *
 * Measuring does not disturb the measured: counters are per thread and read
 * only before and after the timed part; the collector records pauses in a
 * preallocated ring; the sampler, 100 times a second, takes one lock
 * (cy_counters_snapshot's) and reads the workload's progress words with
 * relaxed loads. --trace-gc's callback is attached from the statistics'
 * reset to the end of the timed part, so it sees exactly the collections
 * counted; it only copies figures, and the sampler writes the trace as it
 * wakes (run_trace.c says what it costs). The placement is planned
 * (hwloc reads the topology) before the runtime starts, outside the
 * measured part. Warm-up repetitions run the same path and are discarded
 * (pyperf's and hyperfine's convention); every repetition uses the same
 * seed, so their spread is the system's, not the workload's.
 *
 * A configuration this build cannot run (the concurrent collector, a
 * missing allocator) is CY_RUN_UNAVAILABLE; a setup that fails, or objects
 * that survive the cleanup, CY_RUN_FAILED with why.
 */
#include "bench/harness/run.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench/harness/leaks.h"
#include "bench/harness/memory_trace.h"
#include "bench/harness/run_internal.h"
#include "runtime/atomics.h"
#include "runtime/pool.h"
#include "runtime/runtime.h"

typedef struct runner {
	const cy_run_config *config;
	cy_workload_run *run;
	const cy_workload_ops *ops;
	cy_placement *placement; /* slot i written by thread i only (placement.h) */

	/* The start gate: workers and the sampler wait for `open`. */
	pthread_mutex_t gate_lock;
	pthread_cond_t gate_cond;
	unsigned ready; /* workers registered and waiting (under gate_lock) */
	int open;       /* under gate_lock */
	int abandon;    /* under gate_lock: the run failed to start; leave without working */
	uint64_t start_ns; /* written before open, read after */

	/* The sampler's: it alone writes these until it is joined. */
	cy_run_sample *series;
	size_t series_len, series_cap;
	int series_truncated;
	int done; /* atomic: the threads have all returned (set under gate_lock, then wake signalled) */
	pthread_cond_t wake; /* the sampler sleeps on it (CLOCK_MONOTONIC) so the end of a run wakes it */
} runner;

typedef struct worker {
	runner *r;
	unsigned index;
	int register_error;
	int bind_failed;
	int64_t runqueue_ns; /* run-queue wait over its share of the work (noise.h), -1 if unknown */
} worker;

/* Run-queue wait since before, or -1 if either reading is unknown. */
static int64_t runqueue_since(int64_t before)
{
	int64_t now = cy_noise_thread_runqueue_ns();
	return before >= 0 && now >= before ? now - before : -1;
}

/* Wait at the gate; returns 0 to run, -1 if the run was abandoned. */
static int wait_at_gate(runner *r, int registered)
{
	if (registered)
		cy_blocking_begin();
	pthread_mutex_lock(&r->gate_lock);
	r->ready++;
	pthread_cond_broadcast(&r->gate_cond);
	while (!r->open && !r->abandon)
		pthread_cond_wait(&r->gate_cond, &r->gate_lock);
	int go = !r->abandon;
	pthread_mutex_unlock(&r->gate_lock);
	if (registered)
		cy_blocking_end();
	return go ? 0 : -1;
}

static void *worker_main(void *p)
{
	worker *w = p;
	/* Bound before registering, so its pool heap is made on the CPU it will run on. */
	w->bind_failed = cy_placement_bind_self(w->r->placement, w->index) != 0;
	int err = cy_thread_register(CY_ROLE_MUTATOR);
	if (err != CY_THREAD_OK) {
		w->register_error = err;
		wait_at_gate(w->r, 0);
		return NULL;
	}
	int64_t runqueue_before = cy_noise_thread_runqueue_ns();
	if (wait_at_gate(w->r, 1) == 0) {
		w->r->ops->thread(w->r->run, w->index);
		w->runqueue_ns = runqueue_since(runqueue_before);
		cy_placement_note_cpu(w->r->placement, w->index);
	}
	cy_thread_unregister();
	return NULL;
}

static int64_t total_ops(const cy_workload_run *run)
{
	int64_t sum = 0;
	for (unsigned i = 0; i < run->threads; i++)
		sum += cy_atomic_load_relaxed(&run->progress[i].ops);
	return sum;
}

static void take_sample(runner *r, uint64_t now)
{
	if (r->series_len == r->series_cap) {
		size_t cap = r->series_cap ? r->series_cap * 2 : 1024;
		cy_run_sample *bigger = realloc(r->series, cap * sizeof *bigger);
		if (!bigger) {
			r->series_truncated = 1;
			return;
		}
		r->series = bigger;
		r->series_cap = cap;
	}
	cy_counters c;
	cy_counters_snapshot(&c);
	r->series[r->series_len++] = (cy_run_sample){
		.time_s = (double)(now - r->start_ns) / 1e9,
		.ops = total_ops(r->run),
		.heap_bytes = c.bytes_allocated - c.bytes_freed,
		.live_objects = c.objects_allocated - c.objects_freed,
	};
}

/* Sleep until ns (CLOCK_MONOTONIC) or until the run is done, whichever comes first. */
static void sleep_until(runner *r, uint64_t ns)
{
	struct timespec t = {.tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u)};
	pthread_mutex_lock(&r->gate_lock);
	while (!cy_atomic_load_acquire(&r->done) && pthread_cond_timedwait(&r->wake, &r->gate_lock, &t) == 0)
		;
	pthread_mutex_unlock(&r->gate_lock);
}

/* The sampler and timekeeper: unregistered, it never touches an object. */
static void *sampler_main(void *p)
{
	runner *r = p;
	if (wait_at_gate(r, 0) != 0)
		return NULL;
	const uint64_t interval = (uint64_t)r->config->sample_interval_ms * 1000000u;
	const uint64_t deadline = r->config->ops > 0 ? UINT64_MAX
						     : r->start_ns + (uint64_t)(r->config->duration_s * 1e9);
	take_sample(r, r->start_ns);
	uint64_t next = r->start_ns + interval;
	int stopped = 0;
	while (!cy_atomic_load_acquire(&r->done)) {
		sleep_until(r, !stopped && deadline < next ? deadline : next);
		uint64_t now = cy_now_ns();
		if (!stopped && now >= deadline) {
			cy_atomic_store_relaxed(&r->run->stop, 1);
			stopped = 1;
		}
		if (now >= next) {
			take_sample(r, now);
			while (next <= now)
				next += interval;
		}
		if (r->config->trace)
			cy_gc_trace_drain(r->config->trace); /* formatting the trace here, not on a collecting thread */
	}
	take_sample(r, cy_now_ns());
	return NULL;
}

/* A "Name: N kB" line of /proc/self/status, in bytes; -1 if it cannot be read. */
static int64_t status_bytes(const char *name)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	char line[256], format[40];
	snprintf(format, sizeof format, "%s: %%lld kB", name);
	long long kib = -1;
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, format, &kib) == 1)
			break;
	}
	fclose(f);
	return kib >= 0 ? (int64_t)kib * 1024 : -1;
}

/* Peak RSS since the last reset (VmHWM), else since the process started (ru_maxrss). */
static int64_t peak_rss_bytes(void)
{
	int64_t peak = status_bytes("VmHWM");
	if (peak >= 0)
		return peak;
	struct rusage u;
	return getrusage(RUSAGE_SELF, &u) == 0 ? (int64_t)u.ru_maxrss * 1024 : 0;
}

/* Reset VmHWM to the current RSS (Linux 4.0+); 0 if done. */
static int reset_peak_rss(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY);
	if (fd < 0)
		return -1;
	int ok = write(fd, "5", 1) == 1;
	close(fd);
	return ok ? 0 : -1;
}

static void record_counters(cy_run_record *rec, const cy_counters *before, const cy_counters *after)
{
#define DELTA(field) (after->field - before->field)
	rec->rc_nonatomic_ops = DELTA(rc_nonatomic_ops);
	rec->rc_atomic_ops = DELTA(rc_atomic_ops);
	rec->rc_merges = DELTA(rc_merges);
	rec->rc_merges_queued = DELTA(rc_merges_queued);
	rec->lock_acquisitions = DELTA(lock_acquisitions);
	rec->lock_contended = DELTA(lock_contended);
	rec->lock_wait_ns = DELTA(lock_wait_ns);
	rec->objects_allocated = DELTA(objects_allocated);
	rec->bytes_allocated = DELTA(bytes_allocated);
#undef DELTA
	rec->live_objects_end = after->objects_allocated - after->objects_freed;
	rec->heap_bytes_end = after->bytes_allocated - after->bytes_freed;
}

static int record_collector(cy_run_record *rec, uint64_t start_ns, uint64_t end_ns)
{
	cy_gc_get_stats(rec->generations);
	cy_gc_totals totals;
	cy_gc_get_totals(&totals);
	for (int g = 0; g < CY_GC_GENERATIONS; g++) {
		rec->collected += rec->generations[g].collected;
		rec->uncollectable += rec->generations[g].uncollectable;
	}
	rec->examined = totals.examined;
	memcpy(rec->phase_ns, totals.phase_ns, sizeof rec->phase_ns);
	size_t want = totals.pauses < CY_GC_PAUSE_RING ? (size_t)totals.pauses : CY_GC_PAUSE_RING;
	cy_gc_pause *pauses = malloc((want ? want : 1) * sizeof *pauses);
	if (!pauses)
		return -1;
	uint64_t next;
	size_t got = cy_gc_pauses(0, pauses, want, &next);
	rec->pauses_unrecorded = totals.pauses > got ? totals.pauses - got : 0;
	for (size_t i = 0; i < got; i++) {
		/* Insertion into a short sorted list: the few pauses worth a look by name. */
		unsigned at = rec->longest_count;
		while (at > 0 && rec->longest[at - 1].duration_ns < pauses[i].duration_ns)
			at--;
		if (at >= CY_RUN_LONGEST_PAUSES)
			continue;
		unsigned last = rec->longest_count < CY_RUN_LONGEST_PAUSES ? rec->longest_count : CY_RUN_LONGEST_PAUSES - 1;
		memmove(&rec->longest[at + 1], &rec->longest[at], (last - at) * sizeof rec->longest[0]);
		rec->longest[at] = pauses[i];
		rec->longest[at].start_ns = pauses[i].start_ns > start_ns ? pauses[i].start_ns - start_ns : 0;
		if (rec->longest_count < CY_RUN_LONGEST_PAUSES)
			rec->longest_count++;
	}
	int err = cy_pause_summarize(pauses, got, start_ns, end_ns, &rec->pauses);
	free(pauses);
	return err;
}

/*
 * Start workers 1..n-1 and the sampler, bind thread 0 (the caller) after
 * them so that they do not inherit its binding, open the gate; -1 if a
 * thread could not start or thread 0 could not be bound.
 */
static int start_threads(runner *r, pthread_t *ids, worker *workers, pthread_t *sampler, char *why, size_t len)
{
	unsigned n = r->run->threads, workers_started = 0;
	int sampler_started = pthread_create(sampler, NULL, sampler_main, r) == 0;
	int failed = !sampler_started;
	for (unsigned i = 1; i < n && !failed; i++) {
		workers[i] = (worker){.r = r, .index = i};
		if (pthread_create(&ids[i], NULL, worker_main, &workers[i]) == 0)
			workers_started++;
		else
			failed = 1;
	}
	int bind_failed = !failed && cy_placement_bind_self(r->placement, 0) != 0;
	failed |= bind_failed;
	cy_blocking_begin();
	pthread_mutex_lock(&r->gate_lock);
	if (!failed) {
		while (r->ready < n) /* n - 1 workers and the sampler */
			pthread_cond_wait(&r->gate_cond, &r->gate_lock);
		r->start_ns = cy_now_ns();
		if (r->config->trace)
			cy_gc_trace_set_origin(r->config->trace, r->start_ns);
		r->open = 1;
	} else {
		r->abandon = 1;
	}
	pthread_cond_broadcast(&r->gate_cond);
	pthread_mutex_unlock(&r->gate_lock);
	if (failed) {
		for (unsigned i = 1; i <= workers_started; i++)
			pthread_join(ids[i], NULL);
		if (sampler_started)
			pthread_join(*sampler, NULL);
		if (bind_failed)
			snprintf(why, len, "cannot bind thread 0 to its CPU (--pin %s)", cy_pin_policy_name(r->config->pin));
		else
			snprintf(why, len, "cannot start %u threads", n);
	}
	cy_blocking_end();
	return failed ? -1 : 0;
}

/* Free what the run leaked and leave the runtime idle; -1 with why if objects survive. */
static int clean_up(const cy_run_config *c, char *why, size_t len)
{
	if (cy_objects_live() != 0) {
		cy_gc_collect(CY_GC_GENERATIONS - 1);
		cy_gc_garbage_clear();
		cy_safepoint();
	}
	cy_memory_trace_abandon();
	cy_thread_unregister();
	cy_gc_stop();
	cy_alloc_release_memory();
	int64_t live = cy_objects_live();
	if (live != 0) {
		snprintf(why, len,
			"%" PRId64 " objects of %s are still alive after a full collection: the next run cannot "
			"start from an empty heap",
			live, c->workload->name);
		return -1;
	}
	return 0;
}

static int measure(const cy_run_config *c, runner *r, cy_run_record *rec, char *why, size_t len)
{
	cy_workload_run *run = r->run;
	pthread_t ids[CY_WORKLOAD_MAX_THREADS], sampler;
	worker *workers = calloc(run->threads, sizeof *workers);
	if (!workers) {
		snprintf(why, len, "out of memory for %u threads", run->threads);
		return -1;
	}
	/* Thread 0's binding from before, given back at the end: later threads it starts inherit it. */
	cpu_set_t unbound;
	int rebind = c->pin != CY_PIN_NONE && pthread_getaffinity_np(pthread_self(), sizeof unbound, &unbound) == 0;
	cy_gc_reset_statistics();
	if (c->trace && cy_gc_trace_attach(c->trace) != 0) {
		snprintf(why, len, "cannot attach the collection trace: the collector's callback table is full");
		free(workers);
		return -1;
	}
	rec->peak_rss_of_run = reset_peak_rss() == 0;
	rec->rss_start_bytes = status_bytes("VmRSS");
	if (c->trace_alloc_frames)
		cy_memory_trace_mark_start();
	if (c->find_leaks)
		cy_leaks_mark_start();
	cy_counters before, after;
	cy_counters_snapshot(&before);
	double load_average[3];
	cy_noise_load_average(load_average);
	cy_noise_mark usage_before, usage_after;
	cy_noise_mark_now(&usage_before);
	int64_t runqueue_before = cy_noise_thread_runqueue_ns();
	if (start_threads(r, ids, workers, &sampler, why, len) != 0) {
		if (c->trace)
			cy_gc_trace_detach(c->trace);
		if (rebind)
			pthread_setaffinity_np(pthread_self(), sizeof unbound, &unbound);
		free(workers);
		return -1;
	}
	r->ops->thread(run, 0);
	int64_t runqueue_ns = runqueue_since(runqueue_before);
	cy_placement_note_cpu(r->placement, 0);
	cy_blocking_begin();
	for (unsigned i = 1; i < run->threads; i++)
		pthread_join(ids[i], NULL);
	uint64_t end_ns = cy_now_ns();
	cy_noise_mark_now(&usage_after);
	pthread_mutex_lock(&r->gate_lock);
	cy_atomic_store_release(&r->done, 1);
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->gate_lock);
	pthread_join(sampler, NULL);
	cy_blocking_end();
	/* No collection runs now: every thread but this one is gone, and this one is between safepoints. */
	if (c->trace)
		cy_gc_trace_detach(c->trace);
	if (c->trace_alloc_frames)
		rec->alloc_sites = cy_memory_trace_end();
	if (c->find_leaks)
		rec->leaks = cy_leaks_end();
	if (rebind)
		pthread_setaffinity_np(pthread_self(), sizeof unbound, &unbound);
	int register_error = 0, bind_failed = 0;
	for (unsigned i = 1; i < run->threads; i++) {
		if (workers[i].register_error)
			register_error = workers[i].register_error;
		bind_failed |= workers[i].bind_failed;
		runqueue_ns = runqueue_ns >= 0 && workers[i].runqueue_ns >= 0 ? runqueue_ns + workers[i].runqueue_ns : -1;
	}
	free(workers);
	if (register_error) {
		snprintf(why, len, "a workload thread could not register: %s", cy_thread_strerror(register_error));
		return -1;
	}
	if (bind_failed) {
		snprintf(why, len, "a workload thread could not be bound to its CPU (--pin %s)", cy_pin_policy_name(c->pin));
		return -1;
	}
	cy_counters_snapshot(&after);
	record_counters(rec, &before, &after);
	if (record_collector(rec, r->start_ns, end_ns) != 0) {
		snprintf(why, len, "out of memory summarising pauses");
		return -1;
	}
	rec->ops = total_ops(run);
	rec->seconds = (double)(end_ns - r->start_ns) / 1e9;
	rec->ops_per_s = rec->seconds > 0 ? (double)rec->ops / rec->seconds : 0;
	cy_noise_finish(&rec->noise, &usage_before, &usage_after, load_average, run->threads, rec->seconds, runqueue_ns);
	rec->peak_rss_bytes = peak_rss_bytes();
	rec->peak_rss_growth_bytes = rec->rss_start_bytes >= 0 && rec->peak_rss_bytes > rec->rss_start_bytes
					     ? rec->peak_rss_bytes - rec->rss_start_bytes
					     : 0;
	cy_pool_stats pool;
	cy_pool_stats_get(&pool);
	rec->pool_bytes_mapped = pool.bytes_mapped;
	rec->series = r->series;
	rec->series_len = r->series_len;
	rec->series_truncated = r->series_truncated;
	r->series = NULL;
	return 0;
}

static void copy_metrics(cy_run_record *rec, const cy_workload_run *run)
{
	rec->metrics = run->metrics;
	for (unsigned m = 0; m < run->metrics; m++) {
		rec->metric_names[m] = run->metric_names[m];
		rec->metric_values[m] = run->metric_values[m];
	}
}

int cy_run_repetition(const cy_run_config *c, cy_run_record *rec, char *why, size_t len)
{
	memset(rec, 0, sizeof *rec);
	int err = cy_runtime_init(c->rc, c->alloc);
	if (err != CY_RUNTIME_OK) {
		if (err == CY_RUNTIME_BAD_ALLOC) {
			snprintf(why, len, "--alloc %s: %s", cy_alloc_name(c->alloc), cy_alloc_error());
			return CY_RUN_UNAVAILABLE;
		}
		snprintf(why, len, "cannot initialise the runtime: %s", cy_runtime_strerror(err));
		return CY_RUN_FAILED;
	}
	if (cy_shared_rc_select(c->shared_rc) != 0) {
		snprintf(why, len, "cannot select --shared-rc %s: the runtime is in use", cy_shared_rc_name(c->shared_rc));
		return CY_RUN_FAILED;
	}
	if (cy_gc_start(c->gc) != 0) {
		snprintf(why, len,
			"the %s collector is not available with --rc %s (valid: --gc off, stw, incremental, or concurrent "
			"with --rc atomic or biased)",
			cy_gc_mode_name(c->gc), cy_rc_mode_name(c->rc));
		return CY_RUN_UNAVAILABLE;
	}
	cy_gc_set_threshold(c->threshold[0], c->threshold[1], c->threshold[2]);
	cy_gc_set_pause_budget_us((uint64_t)c->pause_budget_us);
	cy_gc_enable();
	err = cy_thread_register(CY_ROLE_MUTATOR);
	if (err != CY_THREAD_OK) {
		cy_gc_stop();
		snprintf(why, len, "cannot register the main thread: %s", cy_thread_strerror(err));
		return CY_RUN_FAILED;
	}

	if (c->trace_alloc_frames)
		cy_memory_trace_begin(c->trace_alloc_frames);
	char plan_why[256];
	rec->placement = cy_placement_plan(c->pin, c->threads, plan_why, sizeof plan_why);
	if (!rec->placement) {
		snprintf(why, len, "--pin %s: %s", cy_pin_policy_name(c->pin), plan_why);
		clean_up(c, plan_why, sizeof plan_why);
		return CY_RUN_FAILED;
	}
	runner r = {
		.config = c,
		.ops = c->workload->ops[c->rc],
		.placement = rec->placement,
		.gate_lock = PTHREAD_MUTEX_INITIALIZER,
		.gate_cond = PTHREAD_COND_INITIALIZER,
	};
	pthread_condattr_t monotonic;
	pthread_condattr_init(&monotonic);
	pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC);
	pthread_cond_init(&r.wake, &monotonic);
	pthread_condattr_destroy(&monotonic);
	cy_workload_run *run = calloc(1, sizeof *run);
	if (!run) {
		pthread_cond_destroy(&r.wake);
		snprintf(why, len, "out of memory");
		clean_up(c, why, len);
		return CY_RUN_FAILED;
	}
	r.run = run;
	run->def = c->workload;
	run->threads = c->threads;
	run->seed = c->seed;
	run->ops_target = c->ops;
	run->rc = c->rc;
	run->gc = c->gc;
	memcpy(run->param_values, c->param_values, sizeof run->param_values);
	memcpy(run->param_choices, c->param_choices, sizeof run->param_choices);

	int status = CY_RUN_OK;
	if (r.ops->setup(run) != 0) {
		snprintf(why, len, "setup failed: %s", run->error[0] ? run->error : "(no reason given)");
		status = CY_RUN_FAILED;
	} else {
		if (measure(c, &r, rec, why, len) != 0)
			status = CY_RUN_FAILED;
		if (status == CY_RUN_OK && r.ops->check &&
			r.ops->check(run, rec->check_message, sizeof rec->check_message) != 0) {
			rec->check_failed = 1;
			if (!rec->check_message[0])
				snprintf(rec->check_message, sizeof rec->check_message, "failed (no reason given)");
		}
		r.ops->teardown(run);
		copy_metrics(rec, run);
		if (c->gc != CY_GC_MODE_OFF)
			cy_gc_collect(CY_GC_GENERATIONS - 1);
		cy_safepoint(); /* merges queued to this thread */
		rec->leaked_objects = cy_objects_live();
		rec->leaks_by_design = c->workload->leaks_by_design && c->workload->leaks_by_design(run);
	}
	free(r.series);
	free(run);
	pthread_cond_destroy(&r.wake);
	char cleanup_why[256];
	if (clean_up(c, cleanup_why, sizeof cleanup_why) != 0 && status == CY_RUN_OK) {
		snprintf(why, len, "%s", cleanup_why);
		status = CY_RUN_FAILED;
	}
	return status;
}

void cy_run_record_free(cy_run_record *rec)
{
	free(rec->series);
	rec->series = NULL;
	rec->series_len = 0;
	if (rec->placement)
		cy_placement_free(rec->placement);
	rec->placement = NULL;
	cy_memory_sites_free(rec->alloc_sites);
	rec->alloc_sites = NULL;
	cy_leak_report_free(rec->leaks);
	rec->leaks = NULL;
}
