/*
 * run.c: the workload runner, `cyclab run NAME [options]`, and `cyclab list`.
 *
 * What one repetition does (cy_run_repetition), in order:
 *
 *   1. cy_runtime_init in the chosen counting mode and allocator, so every
 *      repetition starts from an empty heap; cy_gc_start; thresholds set.
 *   2. The calling thread registers as thread 0 and runs the workload's
 *      setup. Collector statistics are reset and the peak RSS is reset to
 *      the current RSS (/proc/self/clear_refs), so both describe the run.
 *   3. Threads 1..N-1 start, register and wait at a gate; the sampler thread
 *      (never registered: it touches no object) waits too. The clock starts
 *      when the gate opens, and every thread, thread 0 included, runs the
 *      workload's thread function. The sampler records (time, operations,
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
 * relaxed loads. Warm-up repetitions run the same path and are discarded
 * (pyperf's and hyperfine's convention); every repetition uses the same
 * seed, so their spread is the system's, not the workload's.
 *
 * Bad input is refused before anything runs, with one line naming what is
 * valid and exit status 2; a configuration this build cannot run (the
 * concurrent collector, a missing allocator) is exit 2 too. A failed
 * workload check or an unexpected leak is exit 1, with the result written.
 */
#include "bench/run.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench/machine.h"
#include "bench/results.h"
#include "runtime/pool.h"
#include "runtime/runtime.h"

enum {
	DEFAULT_REPEAT = 5,
	DEFAULT_WARMUP = 1,
	DEFAULT_SAMPLE_MS = 10,
	MAX_REPEAT = 10000,
};
#define DEFAULT_DURATION_S 1.0
#define DEFAULT_SEED 20261124u
#define DEFAULT_PAUSE_BUDGET_US 200

/* ---- configuration ----------------------------------------------------------------- */

static int parse_int_text(const char *text, int64_t *out)
{
	if (!*text)
		return -1;
	char *end;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (errno || end == text)
		return -1;
	long long scale = 1;
	switch (*end) {
	case 'k': case 'K': scale = 1000; end++; break;
	case 'm': case 'M': scale = 1000 * 1000; end++; break;
	case 'g': case 'G': scale = 1000 * 1000 * 1000; end++; break;
	}
	if (*end || (v > 0 && v > INT64_MAX / scale) || (v < 0 && v < INT64_MIN / scale))
		return -1;
	*out = v * scale;
	return 0;
}

static int parse_double_text(const char *text, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(text, &end);
	if (errno || end == text || *end || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

static const char *choice_in(const char *choices, const char *value)
{
	size_t n = strlen(value);
	for (const char *p = choices; *p;) {
		size_t len = strcspn(p, "|");
		if (len == n && strncmp(p, value, n) == 0)
			return p;
		p += len + (p[len] == '|');
	}
	return NULL;
}

static void describe_range(const cy_param_spec *spec, char *out, size_t len)
{
	switch (spec->kind) {
	case CY_PARAM_INT: snprintf(out, len, "an integer in %.0f..%.0f", spec->min, spec->max); break;
	case CY_PARAM_FLOAT: snprintf(out, len, "a number in %g..%g", spec->min, spec->max); break;
	case CY_PARAM_CHOICE: snprintf(out, len, "one of %s", spec->choices); break;
	}
}

/* Parse value for spec into the configuration's slot i. */
static int set_param_at(cy_run_config *c, size_t i, const char *value, char *why, size_t len)
{
	const cy_param_spec *spec = &c->workload->params[i];
	char range[128];
	describe_range(spec, range, sizeof range);
	if (strlen(value) >= sizeof c->param_text[i]) {
		snprintf(why, len, "--param %s: value too long (valid: %s)", spec->name, range);
		return -1;
	}
	switch (spec->kind) {
	case CY_PARAM_INT: {
		int64_t v;
		if (parse_int_text(value, &v) != 0 || (double)v < spec->min || (double)v > spec->max) {
			snprintf(why, len, "--param %s=%s: not valid (valid: %s)", spec->name, value, range);
			return -1;
		}
		c->param_values[i] = (double)v;
		break;
	}
	case CY_PARAM_FLOAT: {
		double v;
		if (parse_double_text(value, &v) != 0 || v < spec->min || v > spec->max) {
			snprintf(why, len, "--param %s=%s: not valid (valid: %s)", spec->name, value, range);
			return -1;
		}
		c->param_values[i] = v;
		break;
	}
	case CY_PARAM_CHOICE: {
		if (!choice_in(spec->choices, value) || !*value) {
			snprintf(why, len, "--param %s=%s: not valid (valid: %s)", spec->name, value, range);
			return -1;
		}
		snprintf(c->param_text[i], sizeof c->param_text[i], "%s", value);
		c->param_choices[i] = c->param_text[i];
		return 0;
	}
	}
	snprintf(c->param_text[i], sizeof c->param_text[i], "%s", value);
	return 0;
}

void cy_run_config_init(cy_run_config *c, const cy_workload_def *w)
{
	memset(c, 0, sizeof *c);
	c->workload = w;
	c->threads = 1;
	c->rc = CY_RC_BIASED;
	c->gc = CY_GC_MODE_STW;
	c->threshold[0] = 700; /* CPython's */
	c->threshold[1] = 10;
	c->threshold[2] = 10;
	c->pause_budget_us = DEFAULT_PAUSE_BUDGET_US;
	c->alloc = CY_ALLOC_DEFAULT;
	c->duration_s = DEFAULT_DURATION_S;
	c->seed = DEFAULT_SEED;
	c->warmup = DEFAULT_WARMUP;
	c->repeat = DEFAULT_REPEAT;
	c->sample_interval_ms = DEFAULT_SAMPLE_MS;
	for (size_t i = 0; i < w->param_count && i < CY_WORKLOAD_MAX_PARAMS; i++) {
		char why[256];
		if (set_param_at(c, i, w->params[i].default_value, why, sizeof why) != 0) {
			/* A default outside its own range is a bug in the workload's def. */
			fprintf(stderr, "cyclab: workload %s: default of %s: %s\n", w->name, w->params[i].name, why);
			abort();
		}
	}
}

int cy_run_set_param(cy_run_config *c, const char *key, const char *value, char *why, size_t len)
{
	const cy_workload_def *w = c->workload;
	for (size_t i = 0; i < w->param_count; i++) {
		if (strcmp(w->params[i].name, key) == 0)
			return set_param_at(c, i, value, why, len);
	}
	char names[512] = "";
	size_t used = 0;
	for (size_t i = 0; i < w->param_count && used < sizeof names; i++)
		used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "", w->params[i].name);
	snprintf(why, len, "unknown parameter '%s' for %s (valid: %s)", key, w->name,
		w->param_count ? names : "none; this workload takes no --param");
	return -1;
}

int cy_run_validate(const cy_run_config *c, char *why, size_t len)
{
	if (c->rc == CY_RC_NONATOMIC && c->threads > 1) {
		snprintf(why, len,
			"--rc nonatomic allows one thread, not --threads %u (valid: --threads 1, or --rc atomic|biased)",
			c->threads);
		return -1;
	}
	if (c->workload->single_thread_only && c->threads > 1) {
		snprintf(why, len, "%s runs on one thread only (valid: --threads 1)", c->workload->name);
		return -1;
	}
	if (c->threads < 1 || c->threads > CY_WORKLOAD_MAX_THREADS) {
		snprintf(why, len, "--threads must be in 1..%d", CY_WORKLOAD_MAX_THREADS);
		return -1;
	}
	if ((c->ops > 0) == (c->duration_s > 0)) {
		snprintf(why, len, "a run is timed (--duration SECONDS) or counted (--ops N), exactly one of them");
		return -1;
	}
	return 0;
}

/* ---- one repetition ---------------------------------------------------------------- */

typedef struct runner {
	const cy_run_config *config;
	cy_workload_run *run;
	const cy_workload_ops *ops;

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
	int done; /* atomic: the threads have all returned */
} runner;

typedef struct worker {
	runner *r;
	unsigned index;
	int register_error;
} worker;

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
	int err = cy_thread_register(CY_ROLE_MUTATOR);
	if (err != CY_THREAD_OK) {
		w->register_error = err;
		wait_at_gate(w->r, 0);
		return NULL;
	}
	if (wait_at_gate(w->r, 1) == 0)
		w->r->ops->thread(w->r->run, w->index);
	cy_thread_unregister();
	return NULL;
}

static int64_t total_ops(const cy_workload_run *run)
{
	int64_t sum = 0;
	for (unsigned i = 0; i < run->threads; i++)
		sum += __atomic_load_n(&run->progress[i].ops, __ATOMIC_RELAXED);
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

static void sleep_until(uint64_t ns)
{
	struct timespec t = {.tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u)};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
		;
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
	while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) {
		sleep_until(!stopped && deadline < next ? deadline : next);
		uint64_t now = cy_now_ns();
		if (!stopped && now >= deadline) {
			__atomic_store_n(&r->run->stop, 1, __ATOMIC_RELAXED);
			stopped = 1;
		}
		if (now >= next) {
			take_sample(r, now);
			while (next <= now)
				next += interval;
		}
	}
	take_sample(r, cy_now_ns());
	return NULL;
}

/* Peak RSS since the last reset (VmHWM), else since the process started (ru_maxrss). */
static int64_t peak_rss_bytes(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (f) {
		char line[256];
		long long kib = -1;
		while (fgets(line, sizeof line, f)) {
			if (sscanf(line, "VmHWM: %lld kB", &kib) == 1)
				break;
		}
		fclose(f);
		if (kib >= 0)
			return (int64_t)kib * 1024;
	}
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

/* Start workers 1..n-1 and the sampler, open the gate; -1 if a thread could not start. */
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
	cy_blocking_begin();
	pthread_mutex_lock(&r->gate_lock);
	if (!failed) {
		while (r->ready < n) /* n - 1 workers and the sampler */
			pthread_cond_wait(&r->gate_cond, &r->gate_lock);
		r->start_ns = cy_now_ns();
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
	cy_gc_reset_statistics();
	rec->peak_rss_of_run = reset_peak_rss() == 0;
	cy_counters before, after;
	cy_counters_snapshot(&before);
	if (start_threads(r, ids, workers, &sampler, why, len) != 0) {
		free(workers);
		return -1;
	}
	r->ops->thread(run, 0);
	cy_blocking_begin();
	for (unsigned i = 1; i < run->threads; i++)
		pthread_join(ids[i], NULL);
	uint64_t end_ns = cy_now_ns();
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	pthread_join(sampler, NULL);
	cy_blocking_end();
	int register_error = 0;
	for (unsigned i = 1; i < run->threads; i++) {
		if (workers[i].register_error)
			register_error = workers[i].register_error;
	}
	free(workers);
	if (register_error) {
		snprintf(why, len, "a workload thread could not register: %s", cy_thread_strerror(register_error));
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
	rec->peak_rss_bytes = peak_rss_bytes();
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
	if (cy_gc_start(c->gc) != 0) {
		snprintf(why, len, "the %s collector is not available in this build (valid: --gc off, stw, incremental)",
			cy_gc_mode_name(c->gc));
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

	runner r = {
		.config = c,
		.ops = c->workload->ops[c->rc],
		.gate_lock = PTHREAD_MUTEX_INITIALIZER,
		.gate_cond = PTHREAD_COND_INITIALIZER,
	};
	cy_workload_run *run = calloc(1, sizeof *run);
	if (!run) {
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
}

/* ---- the command line ---------------------------------------------------------------- */

typedef struct cli_state {
	cy_run_config *config;
	int duration_given, ops_given;
} cli_state;

typedef int (*option_fn)(cli_state *s, const char *value, char *why, size_t len);

typedef struct run_option {
	const char *name;
	const char *metavar; /* NULL: a flag without a value */
	const char *doc;     /* one line, default included */
	option_fn apply;
} run_option;

static int int_option(const char *name, const char *value, int64_t min, int64_t max, int64_t *out, char *why,
	size_t len)
{
	int64_t v;
	if (parse_int_text(value, &v) != 0 || v < min || v > max) {
		snprintf(why, len, "%s takes an integer in %" PRId64 "..%" PRId64 ", not '%s'", name, min, max, value);
		return -1;
	}
	*out = v;
	return 0;
}

static int opt_threads(cli_state *s, const char *value, char *why, size_t len)
{
	int64_t v;
	if (int_option("--threads", value, 1, CY_WORKLOAD_MAX_THREADS, &v, why, len) != 0)
		return -1;
	s->config->threads = (unsigned)v;
	return 0;
}

static int opt_rc(cli_state *s, const char *value, char *why, size_t len)
{
	int mode = cy_rc_mode_parse(value);
	if (mode < 0) {
		snprintf(why, len, "unknown --rc '%s' (valid: nonatomic, atomic, biased)", value);
		return -1;
	}
	s->config->rc = (cy_rc_mode)mode;
	return 0;
}

static int opt_gc(cli_state *s, const char *value, char *why, size_t len)
{
	int mode = cy_gc_mode_parse(value);
	if (mode < 0) {
		snprintf(why, len, "unknown --gc '%s' (valid: off, stw, incremental, concurrent)", value);
		return -1;
	}
	s->config->gc = (cy_gc_mode)mode;
	return 0;
}

static int opt_threshold(cli_state *s, const char *value, char *why, size_t len)
{
	int64_t t[CY_GC_GENERATIONS];
	const char *p = value;
	for (int g = 0; g < CY_GC_GENERATIONS; g++) {
		char part[32];
		size_t n = strcspn(p, ",");
		int last = g == CY_GC_GENERATIONS - 1;
		if (n == 0 || n >= sizeof part || (last ? p[n] != '\0' : p[n] != ',')) {
			snprintf(why, len,
				"malformed --threshold '%s' (valid: three non-negative integers A,B,C such as 700,10,10; "
				"A = 0 turns automatic collection off)",
				value);
			return -1;
		}
		memcpy(part, p, n);
		part[n] = '\0';
		if (parse_int_text(part, &t[g]) != 0 || t[g] < 0) {
			snprintf(why, len,
				"malformed --threshold '%s' (valid: three non-negative integers A,B,C such as 700,10,10)",
				value);
			return -1;
		}
		p += n + 1;
	}
	memcpy(s->config->threshold, t, sizeof t);
	return 0;
}

static int opt_pause_budget(cli_state *s, const char *value, char *why, size_t len)
{
	return int_option("--pause-budget-us", value, 1, 1000 * 1000 * 1000, &s->config->pause_budget_us, why, len);
}

static int opt_alloc(cli_state *s, const char *value, char *why, size_t len)
{
	int kind = cy_alloc_parse(value);
	if (kind < 0) {
		snprintf(why, len, "unknown --alloc '%s' (valid: pool, malloc, mimalloc, jemalloc)", value);
		return -1;
	}
	s->config->alloc = (cy_alloc_kind)kind;
	return 0;
}

static int opt_duration(cli_state *s, const char *value, char *why, size_t len)
{
	double v;
	if (parse_double_text(value, &v) != 0 || v <= 0 || v > 86400) {
		snprintf(why, len, "--duration takes seconds in (0, 86400], not '%s'", value);
		return -1;
	}
	s->config->duration_s = v;
	s->config->ops = 0;
	s->duration_given = 1;
	return 0;
}

static int opt_ops(cli_state *s, const char *value, char *why, size_t len)
{
	if (int_option("--ops", value, 1, INT64_MAX / 2, &s->config->ops, why, len) != 0)
		return -1;
	s->config->duration_s = 0;
	s->ops_given = 1;
	return 0;
}

static int opt_seed(cli_state *s, const char *value, char *why, size_t len)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(value, &end, 0);
	if (errno || end == value || *end || value[0] == '-') {
		snprintf(why, len, "--seed takes a non-negative integer below 2^64, not '%s'", value);
		return -1;
	}
	s->config->seed = v;
	return 0;
}

static int opt_warmup(cli_state *s, const char *value, char *why, size_t len)
{
	int64_t v;
	if (int_option("--warmup", value, 0, MAX_REPEAT, &v, why, len) != 0)
		return -1;
	s->config->warmup = (unsigned)v;
	return 0;
}

static int opt_repeat(cli_state *s, const char *value, char *why, size_t len)
{
	int64_t v;
	if (int_option("--repeat", value, 1, MAX_REPEAT, &v, why, len) != 0)
		return -1;
	s->config->repeat = (unsigned)v;
	return 0;
}

static int opt_sample(cli_state *s, const char *value, char *why, size_t len)
{
	int64_t v;
	if (int_option("--sample-ms", value, 1, 60000, &v, why, len) != 0)
		return -1;
	s->config->sample_interval_ms = (unsigned)v;
	return 0;
}

static int opt_param(cli_state *s, const char *value, char *why, size_t len)
{
	const char *eq = strchr(value, '=');
	if (!eq || eq == value) {
		snprintf(why, len, "--param takes key=value, not '%s' (keys of %s: ", value, s->config->workload->name);
		size_t used = strlen(why);
		for (size_t i = 0; i < s->config->workload->param_count && used < len; i++)
			used += (size_t)snprintf(why + used, len - used, "%s%s", i ? ", " : "",
				s->config->workload->params[i].name);
		if (used < len)
			snprintf(why + used, len - used, ")");
		return -1;
	}
	char key[64];
	if ((size_t)(eq - value) >= sizeof key) {
		snprintf(why, len, "--param key too long: '%.32s...'", value);
		return -1;
	}
	memcpy(key, value, (size_t)(eq - value));
	key[eq - value] = '\0';
	return cy_run_set_param(s->config, key, eq + 1, why, len);
}

static int opt_output(cli_state *s, const char *value, char *why, size_t len)
{
	if (!*value) {
		snprintf(why, len, "-o takes a file name (or - for standard output)");
		return -1;
	}
	s->config->output = value;
	return 0;
}

static int opt_quiet(cli_state *s, const char *value, char *why, size_t len)
{
	s->config->quiet = 1;
	return 0;
}

static const run_option run_options[] = {
	{"--threads", "N", "workload threads (default 1)", opt_threads},
	{"--rc", "MODE", "reference counting: nonatomic, atomic or biased (default biased)", opt_rc},
	{"--gc", "MODE", "cycle collector: off, stw, incremental or concurrent (default stw)", opt_gc},
	{"--threshold", "A,B,C", "collection thresholds per generation (default 700,10,10)", opt_threshold},
	{"--pause-budget-us", "N", "longest marking pause of the incremental collector, in us (default 200)", opt_pause_budget},
	{"--alloc", "NAME", "object storage: pool, malloc, mimalloc or jemalloc (default pool)", opt_alloc},
	{"--duration", "SECONDS", "length of each timed run (default 1)", opt_duration},
	{"--ops", "N", "run N operations instead of a fixed time (K, M, G suffixes: powers of 1000)", opt_ops},
	{"--seed", "N", "seed of the workload's random choices (default 20261124)", opt_seed},
	{"--warmup", "N", "unmeasured runs first (default 1)", opt_warmup},
	{"--repeat", "N", "measured runs (default 5)", opt_repeat},
	{"--sample-ms", "N", "interval of the time series (default 10)", opt_sample},
	{"--param", "KEY=VALUE", "a workload parameter (repeatable; see cyclab run NAME --help)", opt_param},
	{"-o", "FILE", "write the JSON result to FILE (- for standard output)", opt_output},
	{"--quiet", NULL, "print nothing but errors", opt_quiet},
};

enum { RUN_OPTION_COUNT = sizeof run_options / sizeof run_options[0] };

int cy_run_apply_option(cy_run_config *config, const char *name, const char *value, char *why, size_t len)
{
	for (int k = 0; k < RUN_OPTION_COUNT; k++) {
		if (strcmp(run_options[k].name, name) == 0 && run_options[k].metavar) {
			cli_state state = {.config = config};
			return run_options[k].apply(&state, value, why, len);
		}
	}
	snprintf(why, len, "unknown option '%s'", name);
	return -1;
}

static void print_option_names(FILE *out)
{
	for (int i = 0; i < RUN_OPTION_COUNT; i++)
		fprintf(out, "%s, ", run_options[i].name);
	fputs("--help", out);
}

static void print_workload_names(FILE *out)
{
	size_t n;
	const cy_workload_def *const *all = cy_workloads(&n);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? ", " : "", all[i]->name);
}

/*
 * Match argv[i] against the table: "--name value" or "--name=value".
 * Returns the option (and its value, advancing *i past it), or NULL after
 * printing why (unknown option, missing value).
 */
static const run_option *match_option(const char *prog, int argc, char **argv, int *i, const char **value)
{
	const char *arg = argv[*i];
	const char *eq = strchr(arg, '=');
	size_t name_len = eq && arg[1] == '-' ? (size_t)(eq - arg) : strlen(arg);
	for (int k = 0; k < RUN_OPTION_COUNT; k++) {
		const run_option *o = &run_options[k];
		if (strlen(o->name) != name_len || strncmp(o->name, arg, name_len) != 0)
			continue;
		if (!o->metavar) {
			if (name_len != strlen(arg)) {
				fprintf(stderr, "%s: %s takes no value\n", prog, o->name);
				return NULL;
			}
			*value = NULL;
			return o;
		}
		if (name_len != strlen(arg)) {
			*value = arg + name_len + 1;
		} else if (*i + 1 < argc) {
			*value = argv[++*i];
		} else {
			fprintf(stderr, "%s: %s needs a value (%s %s)\n", prog, o->name, o->name, o->metavar);
			return NULL;
		}
		return o;
	}
	fprintf(stderr, "%s: unknown option '%.*s' (valid: ", prog, (int)name_len, arg);
	print_option_names(stderr);
	fputs(")\n", stderr);
	return NULL;
}

static void print_run_usage(FILE *out)
{
	fputs("usage: cyclab run NAME [options] [--param KEY=VALUE]...\n"
	      "       cyclab run NAME --help     (the workload and its parameters)\n"
	      "\n"
	      "Runs workload NAME (cyclab list shows them): warm-up runs, then measured runs,\n"
	      "each from an empty heap; prints a summary and writes a JSON result with -o.\n"
	      "\n"
	      "options:\n",
	      out);
	for (int i = 0; i < RUN_OPTION_COUNT; i++) {
		char left[40];
		snprintf(left, sizeof left, "%s%s%s", run_options[i].name, run_options[i].metavar ? " " : "",
			run_options[i].metavar ? run_options[i].metavar : "");
		fprintf(out, "  %-24s %s\n", left, run_options[i].doc);
	}
	fputs("\nExit status: 0 ok; 1 a workload check failed or objects leaked; 2 bad input or a\n"
	      "configuration this build cannot run.\n",
	      out);
}

static void print_workload_help(FILE *out, const cy_workload_def *w)
{
	fprintf(out, "%s: %s\n\n%s\n\nOne operation: %s.%s\n\nparameters (--param KEY=VALUE):\n", w->name, w->summary,
		w->help, w->op_name, w->single_thread_only ? " Runs on one thread only." : "");
	if (w->param_count == 0)
		fputs("  (none)\n", out);
	for (size_t i = 0; i < w->param_count; i++) {
		const cy_param_spec *spec = &w->params[i];
		char range[128];
		describe_range(spec, range, sizeof range);
		fprintf(out, "  %-12s %s\n  %-12s (default %s; %s)\n", spec->name, spec->doc, "", spec->default_value,
			range);
	}
	fputc('\n', out);
	print_run_usage(out);
}

int cy_list_main(int argc, char **argv)
{
	if (argc > 1) {
		if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
			printf("usage: cyclab list\n\nLists the workloads that cyclab run knows, with a line each.\n");
			return 0;
		}
		fprintf(stderr, "%s: takes no arguments, not '%s' (valid: cyclab list, cyclab run NAME --help)\n",
			argv[0], argv[1]);
		return 2;
	}
	size_t n;
	const cy_workload_def *const *all = cy_workloads(&n);
	for (size_t i = 0; i < n; i++)
		printf("%-16s %s\n", all[i]->name, all[i]->summary);
	printf("\n`cyclab run NAME --help` describes a workload and its parameters.\n");
	return 0;
}

/* "9.87 M" */
static const char *human(double v, char *buf, size_t len)
{
	static const char *const units[] = {"", " k", " M", " G", " T"};
	int u = 0;
	while (fabs(v) >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	snprintf(buf, len, "%.3g%s", v, units[u]);
	return buf;
}

static void print_run_line(const char *label, const cy_run_record *r)
{
	char a[32], b[32];
	printf("%s %s ops/s (%s in %.3f s); collections %" PRId64 "/%" PRId64 "/%" PRId64 "; pauses p50 %.0f us, p99 "
	       "%.0f us, max %.0f us; peak RSS %.1f MiB; leaked %" PRId64 "%s\n",
		label, human(r->ops_per_s, a, sizeof a), human((double)r->ops, b, sizeof b), r->seconds,
		r->generations[0].collections, r->generations[1].collections, r->generations[2].collections,
		r->pauses.p50_us, r->pauses.p99_us, r->pauses.max_us, (double)r->peak_rss_bytes / (1024.0 * 1024.0),
		r->leaked_objects, r->leaks_by_design ? " (by design)" : "");
	if (r->check_failed)
		printf("  check failed: %s\n", r->check_message);
}

static void print_summary(const cy_run_config *c, const cy_run_record *runs, unsigned n)
{
	if (n == 0)
		return;
	double *v = malloc(n * sizeof *v);
	if (!v)
		return;
	double min = runs[0].ops_per_s, max = runs[0].ops_per_s, pause_max = 0;
	int64_t peak = 0, leaked = 0, collections = 0;
	for (unsigned i = 0; i < n; i++) {
		v[i] = runs[i].ops_per_s;
		min = fmin(min, v[i]);
		max = fmax(max, v[i]);
		pause_max = fmax(pause_max, runs[i].pauses.max_us);
		if (runs[i].peak_rss_bytes > peak)
			peak = runs[i].peak_rss_bytes;
		leaked += runs[i].leaked_objects;
		for (int g = 0; g < CY_GC_GENERATIONS; g++)
			collections += runs[i].generations[g].collections;
	}
	char a[32], b[32], d[32];
	double median = cy_median(v, n);
	printf("\n%s: %s ops/s, median of %u runs (min %s, max %s); one op: %s\n", c->workload->name,
		human(median, a, sizeof a), n, human(min, b, sizeof b), human(max, d, sizeof d), c->workload->op_name);
	for (unsigned i = 0; i < n; i++)
		v[i] = runs[i].pauses.p50_us;
	double p50 = cy_median(v, n);
	for (unsigned i = 0; i < n; i++)
		v[i] = runs[i].pauses.p99_us;
	double p99 = cy_median(v, n);
	printf("  pauses: p50 %.1f us, p99 %.1f us (medians over runs), max %.1f us; %.0f collections per run\n", p50,
		p99, pause_max, (double)collections / n);
	printf("  peak RSS %.1f MiB; leaked objects %" PRId64 "%s\n", (double)peak / (1024.0 * 1024.0), leaked,
		leaked && runs[0].leaks_by_design ? " (by design in this configuration)" : "");
	printf("SUMMARY workload=%s threads=%u rc=%s gc=%s alloc=%s ops_per_s_median=%.0f min=%.0f max=%.0f "
	       "pause_max_us=%.1f leaked=%" PRId64 "\n",
		c->workload->name, c->threads, cy_rc_mode_name(c->rc), cy_gc_mode_name(c->gc), cy_alloc_name(c->alloc),
		median, min, max, pause_max, leaked);
	free(v);
}

static char *join_command(int argc, char **argv)
{
	size_t len = 1;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 3;
	char *s = malloc(len);
	if (!s)
		return NULL;
	size_t used = 0;
	for (int i = 0; i < argc; i++) {
		int quote = argv[i][strcspn(argv[i], " \t'\"")] != '\0' && i > 0;
		used += (size_t)snprintf(s + used, len - used, "%s%s%s%s", i ? " " : "", quote ? "'" : "", argv[i],
			quote ? "'" : "");
	}
	return s;
}

/* The workload named on the command line: the first argument that is neither an option nor its value. */
static int find_workload_arg(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (arg[0] != '-')
			return i;
		if (strchr(arg, '='))
			continue;
		for (int k = 0; k < RUN_OPTION_COUNT; k++) {
			if (strcmp(run_options[k].name, arg) == 0 && run_options[k].metavar) {
				i++;
				break;
			}
		}
	}
	return -1;
}

static int run_command(const char *prog, const cy_run_config *c, const char *command)
{
	char why[512];
	cy_machine machine;
	cy_machine_probe(&machine);
	char started[32];
	time_t now = time(NULL);
	struct tm utc;
	gmtime_r(&now, &utc);
	strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", &utc);

	if (!c->quiet) {
		printf("%s: %u thread%s, rc %s, gc %s, alloc %s, ", c->workload->name, c->threads, c->threads == 1 ? "" : "s",
			cy_rc_mode_name(c->rc), cy_gc_mode_name(c->gc), cy_alloc_name(c->alloc));
		if (c->ops > 0)
			printf("%" PRId64 " ops", c->ops);
		else
			printf("%g s", c->duration_s);
		printf(" x %u (+%u warm-up), seed %" PRIu64 "\n", c->repeat, c->warmup, c->seed);
		fflush(stdout);
	}
	for (unsigned i = 0; i < c->warmup; i++) {
		cy_run_record rec;
		int status = cy_run_repetition(c, &rec, why, sizeof why);
		cy_run_record_free(&rec);
		if (status != CY_RUN_OK) {
			fprintf(stderr, "%s %s: %s\n", prog, c->workload->name, why);
			return status == CY_RUN_UNAVAILABLE ? 2 : 1;
		}
		if (!c->quiet) {
			char a[32];
			printf("  warm-up %u: %s ops/s\n", i + 1, human(rec.ops_per_s, a, sizeof a));
			fflush(stdout);
		}
	}
	cy_run_record *runs = calloc(c->repeat, sizeof *runs);
	if (!runs) {
		fprintf(stderr, "%s: out of memory for %u run records\n", prog, c->repeat);
		return 1;
	}
	unsigned done = 0;
	int exit_status = 0;
	const char *status = "ok";
	char status_text[600];
	for (; done < c->repeat; done++) {
		int result = cy_run_repetition(c, &runs[done], why, sizeof why);
		if (result == CY_RUN_UNAVAILABLE) {
			fprintf(stderr, "%s %s: %s\n", prog, c->workload->name, why);
			exit_status = 2;
			break;
		}
		if (result == CY_RUN_OK || runs[done].ops > 0) {
			if (!c->quiet) {
				char label[32];
				snprintf(label, sizeof label, "  run %u:", done + 1);
				print_run_line(label, &runs[done]);
				fflush(stdout);
			}
		}
		if (result != CY_RUN_OK) {
			fprintf(stderr, "%s %s: %s\n", prog, c->workload->name, why);
			snprintf(status_text, sizeof status_text, "failed: %s", why);
			status = status_text;
			exit_status = 1;
			done += runs[done].ops > 0;
			break;
		}
		if (runs[done].check_failed && exit_status == 0) {
			snprintf(status_text, sizeof status_text, "check failed: %s", runs[done].check_message);
			status = status_text;
			exit_status = 1;
		}
		if (runs[done].leaked_objects > 0 && !runs[done].leaks_by_design && exit_status == 0) {
			snprintf(status_text, sizeof status_text, "leaked %" PRId64 " objects", runs[done].leaked_objects);
			status = status_text;
			exit_status = 1;
		}
	}
	if (exit_status != 2) {
		if (!c->quiet)
			print_summary(c, runs, done);
		if (c->output) {
			cy_run_report report = {
				.config = c,
				.machine = &machine,
				.command_line = command,
				.started_utc = started,
				.runs = runs,
				.run_count = done,
				.status = status,
			};
			if (cy_results_write(c->output, &report, why, sizeof why) != 0) {
				fprintf(stderr, "%s: %s\n", prog, why);
				exit_status = 1;
			} else if (!c->quiet && strcmp(c->output, "-") != 0) {
				printf("result written to %s\n", c->output);
			}
		}
		if (exit_status == 1 && !c->quiet)
			fprintf(stderr, "%s %s: %s\n", prog, c->workload->name, status);
	}
	for (unsigned i = 0; i < c->repeat; i++)
		cy_run_record_free(&runs[i]);
	free(runs);
	return exit_status;
}

int cy_run_main(int argc, char **argv)
{
	const char *prog = argv[0];
	int name_at = find_workload_arg(argc, argv);
	int want_help = 0;
	for (int i = 1; i < argc; i++)
		want_help |= strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0;
	if (name_at < 0) {
		if (want_help) {
			print_run_usage(stdout);
			return 0;
		}
		fprintf(stderr, "%s: no workload given (valid: ", prog);
		print_workload_names(stderr);
		fputs("; cyclab list describes them)\n", stderr);
		return 2;
	}
	const cy_workload_def *w = cy_workload_find(argv[name_at]);
	if (!w) {
		fprintf(stderr, "%s: unknown workload '%s' (valid: ", prog, argv[name_at]);
		print_workload_names(stderr);
		fputs(")\n", stderr);
		return 2;
	}
	if (want_help) {
		print_workload_help(stdout, w);
		return 0;
	}
	cy_run_config config;
	cy_run_config_init(&config, w);
	cli_state state = {.config = &config};
	char why[512];
	for (int i = 1; i < argc; i++) {
		if (i == name_at)
			continue;
		if (argv[i][0] != '-') {
			fprintf(stderr, "%s: one workload per run, not '%s' after '%s'\n", prog, argv[i], w->name);
			return 2;
		}
		const char *value;
		const run_option *o = match_option(prog, argc, argv, &i, &value);
		if (!o)
			return 2;
		if (o->apply(&state, value, why, sizeof why) != 0) {
			fprintf(stderr, "%s: %s\n", prog, why);
			return 2;
		}
	}
	if (state.duration_given && state.ops_given) {
		fprintf(stderr, "%s: give --duration or --ops, not both\n", prog);
		return 2;
	}
	if (cy_run_validate(&config, why, sizeof why) != 0) {
		fprintf(stderr, "%s: %s\n", prog, why);
		return 2;
	}
	if (config.output && cy_results_probe(config.output, why, sizeof why) != 0) {
		fprintf(stderr, "%s: %s\n", prog, why);
		return 2;
	}
	if (config.output && strcmp(config.output, "-") == 0)
		config.quiet = 1; /* standard output carries the JSON alone */
	char *command = join_command(argc, argv);
	int status = run_command(prog, &config, command ? command : prog);
	free(command);
	return status;
}
