/*
 * run_result.c: the result document of a run (run_result.h).
 *
 * The document (schema cyclab-result/1) holds, key by key:
 * schema, workload, config (every knob, defaults included), machine,
 * version, runs (one object per measured repetition: ops, seconds,
 * ops_per_s, pauses, gc, rc, locks, memory, leaked_objects, metrics,
 * series), plus a summary over the runs and a status. Names are part of
 * the schema: a program reading results depends on them, so a key is
 * added, never renamed. Sections that belong to one part of the harness
 * (placement, allocation sites, leaks) are written by that part through
 * the same writer (bench/results/json_writer.h).
 */
#include "bench/harness/run_result.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/harness/leaks.h"
#include "bench/harness/memory_trace.h"
#include "bench/harness/placement.h"
#include "bench/results/aggregate.h"
#include "bench/results/atomic_file.h"
#include "bench/results/figures.h"
#include "bench/results/json_writer.h"
#include "bench/results/results.h"
#include "bench/version.h"

static void write_param(cy_json *j, const cy_run_config *c, size_t i)
{
	const cy_param_spec *spec = &c->workload->params[i];
	switch (spec->kind) {
	case CY_PARAM_INT: cy_json_int(j, spec->name, (int64_t)c->param_values[i]); break;
	case CY_PARAM_FLOAT: cy_json_double(j, spec->name, c->param_values[i]); break;
	case CY_PARAM_CHOICE: cy_json_string(j, spec->name, c->param_choices[i]); break;
	}
}

static void write_config(cy_json *j, const cy_run_config *c)
{
	cy_json_begin_object(j, "config");
	cy_json_string(j, "workload", c->workload->name);
	cy_json_int(j, "threads", c->threads);
	cy_json_string(j, "rc", cy_rc_mode_name(c->rc));
	/* Only when on: results without it (off) keep the cell key they had before the knob existed. */
	if (c->shared_rc != CY_SHARED_RC_OFF)
		cy_json_string(j, "shared_rc", cy_shared_rc_name(c->shared_rc));
	cy_json_string(j, "gc", cy_gc_mode_name(c->gc));
	cy_json_begin_array(j, "threshold", 1);
	for (int g = 0; g < CY_GC_GENERATIONS; g++)
		cy_json_int(j, NULL, c->threshold[g]);
	cy_json_end_array(j);
	cy_json_int(j, "pause_budget_us", c->pause_budget_us);
	cy_json_string(j, "alloc", cy_alloc_name(c->alloc));
	if (c->ops > 0) {
		cy_json_null(j, "duration_s");
		cy_json_int(j, "ops", c->ops);
	} else {
		cy_json_double(j, "duration_s", c->duration_s);
		cy_json_null(j, "ops");
	}
	cy_json_uint(j, "seed", c->seed);
	cy_json_int(j, "warmup", c->warmup);
	cy_json_int(j, "repeat", c->repeat);
	cy_json_int(j, "sample_interval_ms", c->sample_interval_ms);
	cy_json_string(j, "pin", cy_pin_policy_name(c->pin));
	cy_json_begin_object(j, "params");
	for (size_t i = 0; i < c->workload->param_count; i++)
		write_param(j, c, i);
	cy_json_end_object(j);
	cy_json_end_object(j);
}

/*
 * Where each knob of "config" came from: "default", "environment" or
 * "command-line" (bench/harness/run_env.c). Beside "config", not in it: the same
 * configuration set another way is the same cell (result_read.h's key).
 */
static void write_config_sources(cy_json *j, const cy_run_config *c)
{
	cy_json_begin_object(j, "config_sources");
	for (int k = 0; k < CY_KNOB_COUNT; k++)
		cy_json_string(j, cy_run_knob_key((cy_run_knob)k), cy_knob_source_name(c->source[k]));
	cy_json_begin_object(j, "params");
	for (size_t i = 0; i < c->workload->param_count; i++)
		cy_json_string(j, c->workload->params[i].name, cy_knob_source_name(c->param_source[i]));
	cy_json_end_object(j);
	cy_json_end_object(j);
}

static void write_machine(cy_json *j, const cy_machine *m)
{
	cy_json_begin_object(j, "machine");
	cy_json_string(j, "cpu_model", m->cpu_model);
	cy_json_int(j, "cpus_online", m->cpus_online);
	cy_json_string(j, "kernel", m->kernel);
	cy_json_string(j, "topology_fingerprint", m->topology_fingerprint);
	cy_json_string(j, "allowed_cpus", m->allowed_cpus);
	cy_json_int(j, "allowed_pus", m->allowed_pus);
	if (m->core_round_trip.median_ns > 0) {
		cy_json_begin_object(j, "core_round_trip");
		cy_json_begin_array(j, "cpus", 1);
		cy_json_int(j, NULL, m->core_round_trip.cpus[0]);
		cy_json_int(j, NULL, m->core_round_trip.cpus[1]);
		cy_json_end_array(j);
		cy_json_double(j, "median_ns", m->core_round_trip.median_ns);
		cy_json_int(j, "batches", m->core_round_trip.batches);
		cy_json_end_object(j);
	} else {
		cy_json_null(j, "core_round_trip");
	}
	cy_json_begin_object(j, "topology");
	if (m->topology_known) {
		cy_json_int(j, "packages", m->packages);
		cy_json_int(j, "cores", m->cores);
		cy_json_int(j, "pus", m->pus);
		cy_json_int(j, "numa_nodes", m->numa_nodes);
		cy_json_begin_array(j, "caches", 0);
		for (int i = 0; i < m->cache_count; i++) {
			const cy_machine_cache *cache = &m->caches[i];
			cy_json_begin_object(j, NULL);
			cy_json_int(j, "level", cache->level);
			cy_json_string(j, "kind", cache->kind);
			cy_json_uint(j, "size_bytes", cache->size);
			cy_json_int(j, "line_bytes", cache->line);
			cy_json_int(j, "instances", cache->instances);
			cy_json_end_object(j);
		}
		cy_json_end_array(j);
	}
	cy_json_end_object(j);
	cy_json_end_object(j);
}

static void write_pauses(cy_json *j, const cy_run_record *r)
{
	cy_json_begin_object(j, "pauses");
	cy_json_uint(j, "count", r->pauses.count + r->pauses_unrecorded);
	cy_json_double(j, "total_ms", r->pauses.total_ms);
	cy_json_double(j, "p50_us", r->pauses.p50_us);
	cy_json_double(j, "p90_us", r->pauses.p90_us);
	cy_json_double(j, "p99_us", r->pauses.p99_us);
	cy_json_double(j, "p999_us", r->pauses.p999_us);
	cy_json_double(j, "max_us", r->pauses.max_us);
	cy_json_begin_object(j, "mmu");
	for (int w = 0; w < CY_MMU_WINDOWS; w++) {
		char key[16];
		snprintf(key, sizeof key, "%gms", cy_mmu_window_ms[w]);
		cy_json_double(j, key, r->pauses.mmu[w]);
	}
	cy_json_end_object(j);
	cy_json_uint(j, "unrecorded", r->pauses_unrecorded);
	/* The stopping threads' CPU time, and the percentiles without the pauses the OS interrupted (stats.h). */
	cy_json_double(j, "cpu_ms", r->pauses.cpu_ms);
	cy_json_uint(j, "preempted", r->pauses.preempted);
	const cy_pause_percentiles *np = &r->pauses.not_preempted;
	cy_json_begin_object(j, "not_preempted");
	cy_json_uint(j, "count", np->count);
	cy_json_double(j, "p50_us", np->p50_us);
	cy_json_double(j, "p90_us", np->p90_us);
	cy_json_double(j, "p99_us", np->p99_us);
	cy_json_double(j, "p999_us", np->p999_us);
	cy_json_double(j, "max_us", np->max_us);
	cy_json_end_object(j);
	/* For plots (bench/results/stats.h): counts has one bucket more than bounds_us; the recorded pauses only. */
	cy_json_begin_object(j, "histogram");
	cy_json_begin_array(j, "bounds_us", 1);
	for (int b = 0; b < CY_PAUSE_HIST_BOUNDS; b++)
		cy_json_double(j, NULL, (double)cy_pause_hist_bound_ns(b) / 1e3);
	cy_json_end_array(j);
	cy_json_begin_array(j, "counts", 1);
	for (int b = 0; b < CY_PAUSE_HIST_BUCKETS; b++)
		cy_json_uint(j, NULL, r->pauses.histogram[b]);
	cy_json_end_array(j);
	cy_json_end_object(j);
	cy_json_begin_object(j, "mmu_curve");
	cy_json_begin_array(j, "window_ms", 1);
	for (int w = 0; w < CY_MMU_CURVE_POINTS; w++)
		cy_json_double(j, NULL, cy_mmu_curve_window_ms[w]);
	cy_json_end_array(j);
	cy_json_begin_array(j, "utilisation", 1);
	for (int w = 0; w < CY_MMU_CURVE_POINTS; w++)
		cy_json_double(j, NULL, r->pauses.mmu_curve[w]);
	cy_json_end_array(j);
	cy_json_end_object(j);
	cy_json_begin_array(j, "longest", 0);
	for (unsigned i = 0; i < r->longest_count; i++) {
		const cy_gc_pause *p = &r->longest[i];
		cy_json_begin_object(j, NULL);
		cy_json_double(j, "at_ms", (double)p->start_ns / 1e6);
		cy_json_double(j, "us", (double)p->duration_ns / 1e3);
		cy_json_double(j, "time_to_safepoint_us", (double)p->max_time_to_safepoint_ns / 1e3);
		cy_json_double(j, "cpu_us", (double)p->cpu_ns / 1e3);
		cy_json_bool(j, "preempted", cy_pause_preempted(p));
		cy_json_string(j, "kind", cy_gc_pause_kind_name(p->kind));
		cy_json_uint(j, "collection", p->collection);
		cy_json_end_object(j);
	}
	cy_json_end_array(j);
	cy_json_end_object(j);
}

/* What the operating system gave the run (bench/harness/noise.h); unknown values are null. */
static void write_noise(cy_json *j, const cy_run_noise *n)
{
	cy_json_begin_object(j, "noise");
	cy_json_double(j, "user_s", n->user_s);
	cy_json_double(j, "system_s", n->system_s);
	cy_json_double(j, "cpu_asked_s", n->cpu_asked_s);
	cy_json_double(j, "runqueue_wait_s", n->runqueue_wait_s >= 0 ? n->runqueue_wait_s : NAN);
	cy_json_int(j, "voluntary_switches", n->voluntary_switches);
	cy_json_int(j, "involuntary_switches", n->involuntary_switches);
	cy_json_begin_array(j, "load_average", 1);
	for (int i = 0; i < 3; i++)
		cy_json_double(j, NULL, n->load_average[i] >= 0 ? n->load_average[i] : NAN);
	cy_json_end_array(j);
	cy_json_bool(j, "disturbed", n->disturbed);
	cy_json_end_object(j);
}

static void write_gc(cy_json *j, const cy_run_record *r)
{
	cy_json_begin_object(j, "gc");
	cy_json_begin_array(j, "collections", 1);
	for (int g = 0; g < CY_GC_GENERATIONS; g++)
		cy_json_int(j, NULL, r->generations[g].collections);
	cy_json_end_array(j);
	cy_json_int(j, "collected", r->collected);
	cy_json_int(j, "uncollectable", r->uncollectable);
	cy_json_int(j, "examined", r->examined);
	cy_json_begin_object(j, "phase_ms");
	for (int p = 0; p < CY_GC_PHASE_COUNT; p++)
		cy_json_double(j, cy_gc_phase_name((cy_gc_phase)p), (double)r->phase_ns[p] / 1e6);
	cy_json_end_object(j);
	cy_json_end_object(j);
}

static void write_series(cy_json *j, const cy_run_record *r, unsigned interval_ms)
{
	cy_json_begin_object(j, "series");
	cy_json_int(j, "interval_ms", interval_ms);
	cy_json_bool(j, "truncated", r->series_truncated);
	cy_json_begin_array(j, "time_s", 1);
	for (size_t i = 0; i < r->series_len; i++)
		cy_json_double(j, NULL, r->series[i].time_s);
	cy_json_end_array(j);
	cy_json_begin_array(j, "ops", 1);
	for (size_t i = 0; i < r->series_len; i++)
		cy_json_int(j, NULL, r->series[i].ops);
	cy_json_end_array(j);
	cy_json_begin_array(j, "heap_bytes", 1);
	for (size_t i = 0; i < r->series_len; i++)
		cy_json_int(j, NULL, r->series[i].heap_bytes);
	cy_json_end_array(j);
	cy_json_begin_array(j, "live_objects", 1);
	for (size_t i = 0; i < r->series_len; i++)
		cy_json_int(j, NULL, r->series[i].live_objects);
	cy_json_end_array(j);
	cy_json_end_object(j);
}

/* order_index: the run's place in an interleaved suite's schedule, or -1 (not written). */
static void write_run(cy_json *j, const cy_run_record *r, unsigned interval_ms, int64_t order_index)
{
	cy_json_begin_object(j, NULL);
	if (order_index >= 0)
		cy_json_int(j, "order_index", order_index);
	cy_json_int(j, "ops", r->ops);
	cy_json_double(j, "seconds", r->seconds);
	cy_json_double(j, "ops_per_s", r->ops_per_s);
	write_noise(j, &r->noise);
	write_pauses(j, r);
	write_gc(j, r);
	cy_json_begin_object(j, "rc");
	cy_json_int(j, "nonatomic_ops", r->rc_nonatomic_ops);
	cy_json_int(j, "atomic_ops", r->rc_atomic_ops);
	cy_json_int(j, "merges", r->rc_merges);
	cy_json_int(j, "merges_queued", r->rc_merges_queued);
	cy_json_bool(j, "counted", CY_COUNTERS); /* --counters=off builds count none of these */
	cy_json_end_object(j);
	cy_json_begin_object(j, "locks");
	cy_json_int(j, "acquisitions", r->lock_acquisitions);
	cy_json_int(j, "contended", r->lock_contended);
	cy_json_int(j, "wait_ns", r->lock_wait_ns);
	cy_json_end_object(j);
	cy_json_begin_object(j, "memory");
	cy_json_int(j, "peak_rss_bytes", r->peak_rss_bytes);
	cy_json_string(j, "peak_rss_scope", r->peak_rss_of_run ? "run" : "process");
	cy_json_int(j, "rss_start_bytes", r->rss_start_bytes);
	cy_json_int(j, "peak_rss_growth_bytes", r->peak_rss_growth_bytes);
	cy_json_int(j, "pool_bytes_mapped", r->pool_bytes_mapped);
	cy_json_int(j, "live_objects_end", r->live_objects_end);
	cy_json_int(j, "heap_bytes_end", r->heap_bytes_end);
	cy_json_int(j, "objects_allocated", r->objects_allocated);
	cy_json_int(j, "bytes_allocated", r->bytes_allocated);
	cy_json_end_object(j);
	cy_json_int(j, "leaked_objects", r->leaked_objects);
	cy_json_bool(j, "leaks_by_design", r->leaks_by_design);
	if (r->check_failed)
		cy_json_string(j, "check", r->check_message);
	else
		cy_json_string(j, "check", "ok");
	cy_json_begin_object(j, "metrics");
	for (unsigned m = 0; m < r->metrics; m++)
		cy_json_double(j, r->metric_names[m], r->metric_values[m]);
	cy_json_end_object(j);
	cy_placement_write_json(r->placement, j); /* where the threads were planned and seen */
	cy_memory_sites_write_json(j, r->alloc_sites);
	cy_leaks_write_json(j, r->leaks);
	write_series(j, r, interval_ms);
	cy_json_end_object(j);
}

/* One figure of bench/results/figures.h as the record holds it. */
static double figure_of_record(cy_figure_id figure, const cy_run_record *r)
{
	switch (figure) {
#define FIGURE_CASE(id, name, path, field, direction, unit, scope) \
	case CY_FIGURE_##id: return (double)r->field;
		CY_FIGURES(FIGURE_CASE)
#undef FIGURE_CASE
	case CY_FIGURE_COUNT: break;
	}
	return NAN;
}

static void write_aggregate(cy_json *j, const char *key, const double *values, unsigned n)
{
	cy_aggregate a;
	if (cy_aggregate_compute(values, n, &a) != 0) {
		j->failed = 1;
		return;
	}
	cy_json_begin_object(j, key);
	cy_json_uint(j, "n", a.n);
	cy_json_double(j, "median", a.median);
	cy_json_double(j, "mad", a.mad);
	cy_json_double(j, "mean", a.mean);
	cy_json_double(j, "stddev", a.stddev);
	cy_json_double(j, "cv", a.cv);
	cy_json_double(j, "min", a.min);
	cy_json_double(j, "max", a.max);
	cy_json_begin_object(j, "ci95");
	cy_json_double(j, "low", a.ci_low);
	cy_json_double(j, "high", a.ci_high);
	cy_json_double(j, "coverage", a.ci_coverage); /* below 0.95 when n <= 5: no interval reaches it */
	cy_json_string(j, "method", CY_AGGREGATE_CI_METHOD);
	cy_json_end_object(j);
	cy_json_end_object(j);
}

static void write_summary(cy_json *j, const cy_run_report *report)
{
	unsigned n = report->run_count;
	double *rates = malloc((n ? n : 1) * sizeof *rates);
	cy_json_begin_object(j, "summary");
	if (rates) {
		double min = 0, max = 0;
		for (unsigned i = 0; i < n; i++) {
			rates[i] = report->runs[i].ops_per_s;
			if (i == 0 || rates[i] < min)
				min = rates[i];
			if (i == 0 || rates[i] > max)
				max = rates[i];
		}
		cy_json_double(j, "ops_per_s_median", cy_median(rates, n));
		cy_json_double(j, "ops_per_s_min", min);
		cy_json_double(j, "ops_per_s_max", max);
	} else {
		j->failed = 1;
	}
	cy_json_int(j, "runs", n);
	unsigned disturbed = 0;
	for (unsigned i = 0; i < n; i++)
		disturbed += report->runs[i].noise.disturbed != 0;
	cy_json_int(j, "disturbed_runs", disturbed); /* runs whose threads waited for a CPU (noise.h) */
	int64_t leaked = 0;
	for (unsigned i = 0; i < n; i++)
		leaked = report->runs[i].leaked_objects > leaked ? report->runs[i].leaked_objects : leaked;
	cy_json_int(j, "leaked_objects", leaked); /* the most one measured run left alive: the cell's leak figure */
	/* Each main figure's aggregates over the runs (bench/results/aggregate.h defines them; the MAD is unscaled). */
	cy_json_bool(j, "mad_scaled", 0);
	for (int f = 0; f < CY_FIGURE_COUNT && rates; f++) {
		for (unsigned i = 0; i < n; i++)
			rates[i] = figure_of_record((cy_figure_id)f, &report->runs[i]);
		write_aggregate(j, cy_figures[f].name, rates, n);
	}
	free(rates);
	cy_json_end_object(j);
}

/* The whole document to out; 0, or -1 if writing failed. */
static int print_report(FILE *out, const cy_run_report *report)
{
	cy_json j;
	cy_json_init(&j, out);
	const cy_run_config *c = report->config;
	cy_json_begin_object(&j, NULL);
	cy_json_string(&j, "schema", CY_RESULT_SCHEMA);
	cy_json_string(&j, "workload", c->workload->name);
	cy_json_string(&j, "op_name", c->workload->op_name);
	cy_json_string(&j, "version", cy_build_revision());
	cy_json_begin_object(&j, "build");
	cy_json_string(&j, "cyclab", CY_VERSION);
	cy_json_string(&j, "kind", CY_BUILD_KIND);
	cy_json_string(&j, "counters", CY_BUILD_COUNTERS);
	cy_json_end_object(&j);
	cy_json_string(&j, "command", report->command_line);
	cy_json_string(&j, "started", report->started_utc);
	cy_json_string(&j, "status", report->status);
	write_config(&j, c);
	write_config_sources(&j, c);
	write_machine(&j, report->machine);
	write_summary(&j, report);
	const cy_run_interleave *interleave = report->interleave;
	if (interleave) {
		cy_json_begin_object(&j, "interleave");
		cy_json_uint(&j, "seed", interleave->seed);
		cy_json_uint(&j, "schedule_length", interleave->length);
		cy_json_end_object(&j);
	}
	cy_json_begin_array(&j, "runs", 0);
	for (unsigned i = 0; i < report->run_count; i++)
		write_run(&j, &report->runs[i], c->sample_interval_ms,
			interleave ? (int64_t)interleave->order_index[i] : -1);
	cy_json_end_array(&j);
	cy_json_end_object(&j);
	return cy_json_finish(&j);
}


int cy_results_write(const char *path, const cy_run_report *report, char *why, size_t len)
{
	if (strcmp(path, "-") == 0) {
		if (print_report(stdout, report) != 0 || fflush(stdout) != 0) {
			snprintf(why, len, "cannot write the result to standard output");
			return -1;
		}
		return 0;
	}
	char tmp[4096];
	FILE *out = cy_atomic_open(path, tmp, sizeof tmp, why, len);
	if (!out)
		return -1;
	int failed = print_report(out, report) != 0;
	return cy_atomic_commit(out, tmp, path, failed, why, len);
}
