/*
 * suite_run.c: the one runner of a suite's cells. It takes a schedule of
 * measured repetitions drawn by an order (bench/suite/suite_order.c:
 * interleaved or sequential) and runs it, one repetition at a time on the
 * calling thread, keeping each cell's runs in memory until its last one has
 * run; then the cell's result is written, whole, through a temporary and a
 * rename (cy_results_write). The suite starts no thread of its own, so
 * nothing it does competes with a timed repetition.
 *
 * A cell runs under its resolved configuration (bench/suite/suite_cell.c),
 * the one its explicit words give `cyclab run`; the result records those
 * words as its command line, and, when interleaved, the seed, the length of
 * the schedule and each run's place in it ("interleave", "order_index").
 * A cell's unmeasured warm-up repetitions run just before its first
 * measured one, wherever the schedule puts that, as `cyclab run` runs them
 * before its first.
 *
 * Invariants of DIR:
 *   - a cell's result file exists only whole; a leftover .tmp (the process
 *     was killed while writing) is removed by the next run of that cell;
 *   - a cell whose result exists is complete, and is passed over: in the
 *     schedule its repetitions are skipped, so a resumed run continues the
 *     same order;
 *   - a cell that fails stops there, as `cyclab run` would: a repetition
 *     the runner cannot start leaves no result, a failed one writes the runs
 *     so far with the failure as status, a failed check or a leak is
 *     recorded in the status and the cell goes on.
 *
 * Signals: the first SIGINT or SIGTERM (Ctrl-C; what Slurm and timeout
 * send) takes effect after the running repetition; cells not complete by
 * then are abandoned, without a result, and run again in full next time. A
 * batch system's grace period is short, so the runner stops promptly rather
 * than finish a long cell. A second signal ends the process at once, after
 * removing the temporary being written, so nothing partial is left.
 *
 * A result that cannot be written (directory gone or read-only, disk full)
 * stops the run there: every later cell would fail the same way.
 */
#include "bench/suite/suite.h"

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/harness/machine.h"
#include "bench/harness/run_internal.h"
#include "bench/harness/run_result.h"

/* ---- signals ------------------------------------------------------------------------ */

static volatile sig_atomic_t stop_signal;
/* The temporaries a second signal removes: the result being written (when set), the summary's. */
static char cell_temp[4500], summary_temp[4500];
static volatile sig_atomic_t cell_temp_set;
static struct sigaction previous_int, previous_term;

static void on_signal(int sig)
{
	if (stop_signal) {
		if (cell_temp_set)
			unlink(cell_temp);
		if (summary_temp[0])
			unlink(summary_temp);
		static const char said[] = "cyclab suite: a second signal: stopped at once; complete results are kept, "
					   "the same command resumes\n";
		ssize_t ignored = write(STDERR_FILENO, said, sizeof said - 1);
		(void)ignored;
		_exit(128 + sig);
	}
	stop_signal = sig;
}

void cy_suite_catch_signals(const char *dir)
{
	stop_signal = 0;
	cell_temp_set = 0;
	snprintf(summary_temp, sizeof summary_temp, "%s/summary.csv.tmp", dir);
	struct sigaction action = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
	sigemptyset(&action.sa_mask);
	sigaddset(&action.sa_mask, SIGINT);
	sigaddset(&action.sa_mask, SIGTERM);
	sigaction(SIGINT, &action, &previous_int);
	sigaction(SIGTERM, &action, &previous_term);
}

void cy_suite_release_signals(void)
{
	sigaction(SIGINT, &previous_int, NULL);
	sigaction(SIGTERM, &previous_term, NULL);
	summary_temp[0] = '\0';
}

int cy_suite_stop_signal(void)
{
	return stop_signal;
}

/* ---- a cell from its first repetition to its result ------------------------------------ */

typedef struct cell_state {
	const cy_suite_cell *cell;
	cy_run_record *runs;   /* config.repeat entries, allocated when the cell starts */
	uint64_t *order_index; /* of each kept run */
	unsigned done;         /* measured runs kept in runs */
	unsigned units;        /* repetitions run, warm-up included (for the estimate of time left) */
	int complete;          /* its result was present before the run: skipped */
	int started, finished;
	int exit_status;       /* 0, or 1 once a check failed, a leak or a failure was recorded */
	double spent_s;
	char started_utc[32];
	char status[600];      /* "ok" or what went wrong first, as `cyclab run` words it */
} cell_state;

typedef struct runner {
	const cy_suite_plan *plan;
	uint64_t length;
	const cy_machine *machine;
	cy_suite_outcome *outcome;
	/* Progress counts warm-up and measured repetitions alike: both take time. */
	size_t units_total, units_done;
	double began;
} runner;

static double seconds_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void cell_path(const cy_suite_cell *cell, const char *dir, char *out, size_t len)
{
	char name[160];
	cy_suite_cell_file(cell, name, sizeof name);
	snprintf(out, len, "%s/%s", dir, name);
}

static void release_runs(cell_state *s)
{
	if (s->runs) {
		for (unsigned i = 0; i < s->cell->config.repeat; i++)
			cy_run_record_free(&s->runs[i]);
	}
	free(s->runs);
	free(s->order_index);
	s->runs = NULL;
	s->order_index = NULL;
}

/* An error line of a cell, off the progress line. */
static void say(const runner *r, const cell_state *s, const char *what)
{
	char name[160];
	cy_suite_cell_file(s->cell, name, sizeof name);
	if (r->plan->tty)
		fputs("\r\033[K", stderr);
	fprintf(stderr, "cyclab suite: cell %zu (%s) %s\n", s->cell->index, name, what);
}

/* The log line's medians look at the first runs of a cell, up to this many. */
enum { CY_SUITE_MAX_REPEAT_LOGGED = 1024 };

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The median over the cell's runs of ops/s, or of pause p99 over the runs that paused; -1 if none. */
static double median_of(const cell_state *s, int pause_p99)
{
	double values[CY_SUITE_MAX_REPEAT_LOGGED];
	unsigned n = 0;
	for (unsigned i = 0; i < s->done && n < CY_SUITE_MAX_REPEAT_LOGGED; i++) {
		const cy_run_record *rec = &s->runs[i];
		if (pause_p99 && rec->pauses.count == 0)
			continue;
		values[n++] = pause_p99 ? rec->pauses.p99_us : rec->ops_per_s;
	}
	if (n == 0)
		return -1;
	qsort(values, n, sizeof *values, compare_doubles);
	return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

static void time_left(const runner *r, char *out, size_t len)
{
	double spent = r->outcome->spent_s;
	if (r->units_done == 0) {
		snprintf(out, len, "time left: estimating");
		return;
	}
	char left[40];
	cy_suite_format_duration(spent / (double)r->units_done * (double)(r->units_total - r->units_done), left,
		sizeof left);
	snprintf(out, len, "about %s left", left);
}

/* A line per finished cell, for logs: the cell, its figures, its time, the suite's, the time left. */
static void log_line(const runner *r, const cell_state *s)
{
	if (!r->plan->log_lines)
		return;
	char name[160], figures[160], took[40], elapsed[40], eta[64], buf[32];
	cy_suite_cell_file(s->cell, name, sizeof name);
	double ops = median_of(s, 0), p99 = median_of(s, 1);
	if (ops < 0)
		snprintf(figures, sizeof figures, "no run");
	else if (p99 < 0)
		snprintf(figures, sizeof figures, "%sops/s, no collection", cy_run_human(ops, buf, sizeof buf));
	else
		snprintf(figures, sizeof figures, "%sops/s, pause p99 %.0f us", cy_run_human(ops, buf, sizeof buf),
			p99);
	cy_suite_format_duration(s->spent_s, took, sizeof took);
	cy_suite_format_duration(seconds_now() - r->began, elapsed, sizeof elapsed);
	time_left(r, eta, sizeof eta);
	printf("cyclab suite: [%zu/%zu] %s: %s, %s%s; took %s, %s elapsed, %s\n",
		r->plan->already_done + r->outcome->ran, r->plan->count, name, figures, s->exit_status ? "failed: " : "",
		s->status, took, elapsed, eta);
	fflush(stdout);
}

/* The cell is over (done, or stopped by a failure): write what it has unless nothing may be written. */
static void finish(runner *r, cell_state *s, int write_result)
{
	const cy_run_config *c = &s->cell->config;
	r->units_total -= (size_t)(c->warmup + c->repeat - s->units); /* what it will not run */
	s->finished = 1;
	r->outcome->ran++;
	if (!write_result) {
		r->outcome->failed++;
		say(r, s, "could not run; no result");
		snprintf(s->status, sizeof s->status, "could not run");
		s->exit_status = 1;
		log_line(r, s);
		release_runs(s);
		return;
	}
	char path[4400], why[512];
	cell_path(s->cell, r->plan->dir, path, sizeof path);
	char *command = cy_suite_cell_command(s->cell, "cyclab", path);
	cy_run_interleave interleave = {.seed = r->plan->seed, .length = r->length, .order_index = s->order_index};
	cy_run_report report = {
		.config = c,
		.machine = r->machine,
		.command_line = command ? command : "cyclab run",
		.started_utc = s->started_utc,
		.runs = s->runs,
		.run_count = s->done,
		.status = s->status,
		.interleave = r->plan->order == CY_SUITE_INTERLEAVED ? &interleave : NULL,
	};
	snprintf(cell_temp, sizeof cell_temp, "%s.tmp", path);
	cell_temp_set = 1;
	int err = cy_results_write(path, &report, why, sizeof why);
	cell_temp_set = 0;
	free(command);
	if (err != 0) {
		if (r->plan->tty)
			fputs("\r\033[K", stderr);
		fprintf(stderr, "cyclab suite: cannot write the result of cell %zu: %s; stopping (later results "
				"would fail the same way: check the directory's space and permissions)\n",
			s->cell->index, why);
		r->outcome->failed++;
		r->outcome->write_failed = 1;
		release_runs(s);
		return;
	}
	if (s->exit_status) {
		r->outcome->failed++;
		say(r, s, "failed; its result says why");
	}
	log_line(r, s);
	release_runs(s);
}

/* First repetition of the cell: its records, its start time and its warm-up runs; -1 if it cannot go on. */
static int start(runner *r, cell_state *s)
{
	const cy_run_config *c = &s->cell->config;
	s->started = 1;
	snprintf(s->status, sizeof s->status, "ok");
	time_t now = time(NULL);
	struct tm utc;
	gmtime_r(&now, &utc);
	strftime(s->started_utc, sizeof s->started_utc, "%Y-%m-%dT%H:%M:%SZ", &utc);
	s->runs = calloc(c->repeat, sizeof *s->runs);
	s->order_index = calloc(c->repeat, sizeof *s->order_index);
	if (!s->runs || !s->order_index) {
		say(r, s, "out of memory for its run records");
		return -1;
	}
	char why[512];
	for (unsigned i = 0; i < c->warmup; i++) {
		cy_run_record rec;
		int status = cy_run_repetition(c, &rec, why, sizeof why);
		cy_run_record_free(&rec);
		r->units_done++;
		s->units++;
		if (status != CY_RUN_OK) {
			char what[600];
			snprintf(what, sizeof what, "warm-up: %s", why);
			say(r, s, what);
			return -1;
		}
	}
	return 0;
}

/* One measured repetition of the cell, at position k of the schedule. */
static void run_one(runner *r, cell_state *s, uint64_t k)
{
	const cy_run_config *c = &s->cell->config;
	cy_run_record *rec = &s->runs[s->done];
	char why[512];
	int result = cy_run_repetition(c, rec, why, sizeof why);
	r->units_done++;
	s->units++;
	if (result == CY_RUN_UNAVAILABLE) {
		say(r, s, why);
		finish(r, s, 0);
		return;
	}
	if (result != CY_RUN_OK) {
		say(r, s, why);
		snprintf(s->status, sizeof s->status, "failed: %s", why);
		s->exit_status = 1;
		if (rec->ops > 0)
			s->order_index[s->done++] = k;
		finish(r, s, 1);
		return;
	}
	s->order_index[s->done++] = k;
	if (rec->check_failed && !s->exit_status) {
		snprintf(s->status, sizeof s->status, "check failed: %s", rec->check_message);
		s->exit_status = 1;
	}
	if (rec->leaked_objects > 0 && !rec->leaks_by_design && !s->exit_status) {
		snprintf(s->status, sizeof s->status, "leaked %" PRId64 " objects", rec->leaked_objects);
		s->exit_status = 1;
	}
	if (s->done == c->repeat)
		finish(r, s, 1);
}

static void show_progress(const runner *r, const cell_state *s, uint64_t k)
{
	char name[160], eta[64];
	cy_suite_cell_file(s->cell, name, sizeof name);
	time_left(r, eta, sizeof eta);
	const char *warmup = !s->started && s->cell->config.warmup ? "warm-up, then " : "";
	fprintf(stderr, "\r\033[K[%" PRIu64 "/%" PRIu64 " runs, %zu/%zu cells done] %s: %srun %u/%u (%s)", k,
		r->length, r->plan->already_done + r->outcome->ran, r->plan->count, name, warmup, s->done + 1,
		s->cell->config.repeat, eta);
	fflush(stderr);
}

void cy_suite_run(const cy_suite *suite, const cy_suite_plan *plan, cy_suite_outcome *outcome)
{
	memset(outcome, 0, sizeof *outcome);
	size_t count = plan->count;
	cell_state *cells = calloc(count ? count : 1, sizeof *cells);
	unsigned *repeats = calloc(count ? count : 1, sizeof *repeats);
	size_t *schedule = NULL;
	runner r = {.plan = plan, .outcome = outcome, .began = seconds_now()};
	if (!cells || !repeats)
		goto oom;
	for (size_t i = 0; i < count; i++) {
		cell_state *s = &cells[i];
		s->cell = &suite->cells[plan->cells[i]];
		s->complete = plan->done && plan->done[plan->cells[i]];
		repeats[i] = s->cell->config.repeat;
		r.length += repeats[i];
		if (!s->complete)
			r.units_total += s->cell->config.warmup + s->cell->config.repeat;
	}
	schedule = malloc((r.length ? r.length : 1) * sizeof *schedule);
	if (!schedule)
		goto oom;
	cy_suite_draw_schedule(plan->order, repeats, count, plan->seed, schedule);
	cy_machine machine;
	cy_machine_probe(&machine);
	r.machine = &machine;
	for (uint64_t k = 0; k < r.length && !stop_signal && !outcome->write_failed; k++) {
		cell_state *s = &cells[schedule[k]];
		if (s->complete || s->finished)
			continue; /* done before, or stopped by a failure: its remaining repetitions are not run */
		if (plan->tty)
			show_progress(&r, s, k);
		double began = seconds_now();
		if (!s->started && start(&r, s) != 0)
			finish(&r, s, 0);
		else
			run_one(&r, s, k);
		double spent = seconds_now() - began;
		outcome->spent_s += spent;
		s->spent_s += spent;
	}
	for (size_t i = 0; i < count; i++) {
		if (!cells[i].complete && !cells[i].finished)
			outcome->dropped++;
		release_runs(&cells[i]);
	}
	if (plan->tty)
		fputs("\r\033[K", stderr);
	goto out;
oom:
	fprintf(stderr, "cyclab suite: out of memory for the schedule of %zu cells\n", count);
	outcome->failed = outcome->dropped = count;
out:
	free(schedule);
	free(repeats);
	free(cells);
}
