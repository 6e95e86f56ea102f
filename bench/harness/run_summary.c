/*
 * run_summary.c: what `cyclab run` prints for a person: one line per
 * measured run, then the figures over the runs (medians, because a run
 * disturbed by the machine should not move them), and one SUMMARY line of
 * key=value pairs for scripts (liburcu's benchmarks end the same way).
 *
 * The leak figure has one definition everywhere it is shown (here, the
 * result's summary, summary.csv and the report): the most objects any one
 * measured run left alive after its teardown and a full collection. A
 * total would grow with --repeat; a median would hide one leaking run.
 */
#include "bench/harness/run_internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

const char *cy_run_human(double v, char *buf, size_t len)
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

void cy_run_print_run_line(const char *label, const cy_run_record *r)
{
	char a[32], b[32];
	printf("%s %s ops/s (%s in %.3f s); collections %" PRId64 "/%" PRId64 "/%" PRId64 "; pauses p50 %.0f us, p99 "
	       "%.0f us, max %.0f us; peak RSS %.1f MiB; leaked %" PRId64 "%s\n",
		label, cy_run_human(r->ops_per_s, a, sizeof a), cy_run_human((double)r->ops, b, sizeof b), r->seconds,
		r->generations[0].collections, r->generations[1].collections, r->generations[2].collections,
		r->pauses.p50_us, r->pauses.p99_us, r->pauses.max_us, (double)r->peak_rss_bytes / (1024.0 * 1024.0),
		r->leaked_objects, r->leaks_by_design ? " (by design)" : "");
	if (r->noise.disturbed)
		printf("  disturbed: the threads waited %.3f s for a CPU of %.3f s asked (load %.2f)\n",
			r->noise.runqueue_wait_s, r->noise.cpu_asked_s, r->noise.load_average[0]);
	if (r->pauses.preempted)
		printf("  %" PRIu64 " of %" PRIu64 " pauses preempted; p99 without them %.0f us\n", r->pauses.preempted,
			r->pauses.count, r->pauses.not_preempted.p99_us);
	if (r->check_failed)
		printf("  check failed: %s\n", r->check_message);
}

void cy_run_print_summary(const cy_run_config *c, const cy_run_record *runs, unsigned n)
{
	if (n == 0)
		return;
	double *v = malloc(n * sizeof *v);
	if (!v)
		return;
	double min = runs[0].ops_per_s, max = runs[0].ops_per_s, pause_max = 0;
	int64_t peak = 0, leaked = 0, collections = 0;
	unsigned disturbed = 0;
	for (unsigned i = 0; i < n; i++) {
		v[i] = runs[i].ops_per_s;
		min = fmin(min, v[i]);
		max = fmax(max, v[i]);
		pause_max = fmax(pause_max, runs[i].pauses.max_us);
		if (runs[i].peak_rss_bytes > peak)
			peak = runs[i].peak_rss_bytes;
		if (runs[i].leaked_objects > leaked)
			leaked = runs[i].leaked_objects;
		disturbed += runs[i].noise.disturbed != 0;
		for (int g = 0; g < CY_GC_GENERATIONS; g++)
			collections += runs[i].generations[g].collections;
	}
	char a[32], b[32], d[32];
	double median = cy_median(v, n);
	printf("\n%s: %s ops/s, median of %u runs (min %s, max %s); one op: %s\n", c->workload->name,
		cy_run_human(median, a, sizeof a), n, cy_run_human(min, b, sizeof b), cy_run_human(max, d, sizeof d), c->workload->op_name);
	for (unsigned i = 0; i < n; i++)
		v[i] = runs[i].pauses.p50_us;
	double p50 = cy_median(v, n);
	for (unsigned i = 0; i < n; i++)
		v[i] = runs[i].pauses.p99_us;
	double p99 = cy_median(v, n);
	printf("  pauses: p50 %.1f us, p99 %.1f us (medians over runs), max %.1f us; %.0f collections per run\n", p50,
		p99, pause_max, (double)collections / n);
	for (unsigned i = 0; i < n; i++)
		v[i] = runs[i].pauses.not_preempted.p99_us;
	double p99_kept = cy_median(v, n);
	uint64_t preempted = 0;
	for (unsigned i = 0; i < n; i++)
		preempted += runs[i].pauses.preempted;
	if (preempted)
		printf("  %" PRIu64 " pauses preempted by the OS; p99 over the others %.1f us (median over runs)\n", preempted,
			p99_kept);
	printf("  peak RSS %.1f MiB; leaked objects %" PRId64 " (most in one run)%s\n", (double)peak / (1024.0 * 1024.0),
		leaked, leaked && runs[0].leaks_by_design ? " (by design in this configuration)" : "");
	if (disturbed)
		printf("  disturbed: %u of %u runs waited for a CPU over %.0f%% of the time they asked for\n", disturbed, n,
			CY_RUN_DISTURBED_FRACTION * 100);
	printf("SUMMARY workload=%s threads=%u rc=%s gc=%s alloc=%s ops_per_s_median=%.0f min=%.0f max=%.0f "
	       "pause_max_us=%.1f leaked=%" PRId64 " disturbed_runs=%u\n",
		c->workload->name, c->threads, cy_rc_mode_name(c->rc), cy_gc_mode_name(c->gc), cy_alloc_name(c->alloc),
		median, min, max, pause_max, leaked, disturbed);
	free(v);
}
