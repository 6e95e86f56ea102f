/*
 * suite_interleave.c: `cyclab suite --interleave`: the measured repetitions
 * of different cells run in a seeded random order, so that slow drift of
 * the machine (a core's clock, a neighbour's load, a filling page cache)
 * spreads over every cell instead of masquerading as a difference between
 * the configurations that happened to run early and those that ran late.
 * Google Benchmark's --benchmark_enable_random_interleaving and pyperf's
 * worker processes answer the same problem; here the unit is one
 * repetition of a cell (one cy_run_repetition), not one cell.
 *
 * The schedule lists every measured repetition once, as the number of its
 * cell; its order is an unbiased Fisher-Yates shuffle driven by splitmix64
 * from the seed, so a seed names one order on every machine. A repetition's
 * position in the schedule is its order index, recorded in the result
 * beside the seed ("interleave" and each run's "order_index").
 *
 * Warm-up: a cell's unmeasured warm-up repetitions run immediately before
 * its first measured repetition, wherever the schedule puts that, just as
 * `cyclab run` runs them before its first; later repetitions of the cell
 * get none.
 *
 * A cell's configuration is made as `cyclab run` makes it from the cell's
 * words: defaults, then the CYCLAB_ variables, then the words, which win;
 * so a cell run here, one run cell by cell and its --list line run by hand
 * are the same run. That happens before the schedule is drawn, since the
 * environment may set a cell's repetitions.
 *
 * Invariants, the same as for cells run one by one (bench/suite/suite_run.c):
 *   - a cell's runs stay in memory, in the order they ran, until its last
 *     repetition has run; only then is its result written, whole, through
 *     a .tmp and a rename (cy_results_write);
 *   - a cell that fails stops there, as `cyclab run` would: a repetition
 *     the runner cannot start (exit 2 there) leaves no result, a failed one
 *     writes the runs so far with the failure as status, a failed check or
 *     a leak is recorded in the status and the cell goes on;
 *   - Ctrl-C (*stop) takes effect after the running repetition: the cells
 *     with repetitions still to run are dropped, without a result, and run
 *     again in full next time.
 * Repetitions run on the calling thread, one at a time, as sequential cells
 * do; the suite starts no thread of its own.
 */
#include "bench/suite/suite.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/harness/machine.h"
#include "bench/results/results.h"
#include "bench/harness/run_internal.h"
#include "bench/harness/value_parse.h"

extern char **environ;

/* ---- the schedule ------------------------------------------------------------------- */

/* splitmix64 (Steele, Lea, Flood 2014): every seed, 0 included, gives a good stream. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* Uniform in 0..bound-1 (bound > 0), by rejection: no modulo bias. */
static uint64_t random_below(uint64_t *state, uint64_t bound)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
	uint64_t x;
	do
		x = next_random(state);
	while (x >= limit);
	return x % bound;
}

void cy_suite_shuffle_schedule(const unsigned *counts, size_t count, uint64_t seed, size_t *out)
{
	size_t n = 0;
	for (size_t cell = 0; cell < count; cell++) {
		for (unsigned k = 0; k < counts[cell]; k++)
			out[n++] = cell;
	}
	uint64_t state = seed;
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)random_below(&state, i);
		size_t t = out[i - 1];
		out[i - 1] = out[j];
		out[j] = t;
	}
}

int cy_suite_parse_seed(const char *text, uint64_t *seed, char *why, size_t len)
{
	return cy_value_uint64("--seed", text, seed, why, len);
}

/* ---- running ------------------------------------------------------------------------ */

/* A cell of the schedule, from its first repetition to its result. */
typedef struct cell_state {
	const cy_suite_cell *cell;
	cy_run_config config;  /* what runs: see make_config (its choice params point into it: not to be copied) */
	cy_run_record *runs;   /* config.repeat entries, allocated when the cell starts */
	uint64_t *order_index; /* of each kept run */
	unsigned done;         /* measured runs kept in runs */
	unsigned units;        /* repetitions run, warm-up included (for the estimate of time left) */
	int scheduled, started, finished;
	int exit_status;       /* 0, or 1 once a check failed, a leak or a failure was recorded */
	char started_utc[32];
	char status[600];      /* "ok" or what went wrong first, as `cyclab run` words it */
} cell_state;

typedef struct interleaver {
	const char *dir;
	uint64_t seed, length;
	int tty;
	const cy_machine *machine;
	cy_suite_outcome *outcome;
	/* Progress counts warm-up and measured repetitions alike: both take time. */
	size_t units_total, units_done;
} interleaver;

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
		for (unsigned i = 0; i < s->config.repeat; i++)
			cy_run_record_free(&s->runs[i]);
	}
	free(s->runs);
	free(s->order_index);
	s->runs = NULL;
	s->order_index = NULL;
}

/* An error line of a cell, off the progress line. */
static void say(const interleaver *it, const cell_state *s, const char *what)
{
	char name[160];
	cy_suite_cell_file(s->cell, name, sizeof name);
	if (it->tty)
		fputs("\r\033[K", stderr);
	fprintf(stderr, "cyclab suite: cell %zu (%s) %s\n", s->cell->index, name, what);
}

/* The cell is over (done, or stopped by a failure): write what it has unless nothing may be written. */
static void finish(interleaver *it, cell_state *s, int write_result)
{
	const cy_run_config *c = &s->config;
	if (s->scheduled)
		it->units_total -= (size_t)(c->warmup + c->repeat - s->units); /* what it will not run */
	s->finished = 1;
	it->outcome->ran++;
	if (!write_result) {
		it->outcome->failed++;
		say(it, s, "could not run; no result");
		release_runs(s);
		return;
	}
	char path[4400], why[512];
	cell_path(s->cell, it->dir, path, sizeof path);
	char *command = cy_suite_cell_command(s->cell, "cyclab", path);
	cy_run_interleave interleave = {.seed = it->seed, .length = it->length, .order_index = s->order_index};
	cy_run_report report = {
		.config = c,
		.machine = it->machine,
		.command_line = command ? command : "cyclab run",
		.started_utc = s->started_utc,
		.runs = s->runs,
		.run_count = s->done,
		.status = s->status,
		.interleave = &interleave,
	};
	if (cy_results_write(path, &report, why, sizeof why) != 0) {
		say(it, s, why);
		s->exit_status = 1;
	}
	free(command);
	if (s->exit_status) {
		it->outcome->failed++;
		say(it, s, "failed; its result says why");
	}
	release_runs(s);
}

/* First repetition of the cell: its records, its start time and its warm-up runs; -1 if it cannot go on. */
static int start(interleaver *it, cell_state *s)
{
	const cy_run_config *c = &s->config;
	s->started = 1;
	snprintf(s->status, sizeof s->status, "ok");
	time_t now = time(NULL);
	struct tm utc;
	gmtime_r(&now, &utc);
	strftime(s->started_utc, sizeof s->started_utc, "%Y-%m-%dT%H:%M:%SZ", &utc);
	s->runs = calloc(c->repeat, sizeof *s->runs);
	s->order_index = calloc(c->repeat, sizeof *s->order_index);
	if (!s->runs || !s->order_index) {
		say(it, s, "out of memory for its run records");
		return -1;
	}
	char why[512];
	for (unsigned i = 0; i < c->warmup; i++) {
		cy_run_record rec;
		int status = cy_run_repetition(c, &rec, why, sizeof why);
		cy_run_record_free(&rec);
		it->units_done++;
		s->units++;
		if (status != CY_RUN_OK) {
			char what[600];
			snprintf(what, sizeof what, "warm-up: %s", why);
			say(it, s, what);
			return -1;
		}
	}
	return 0;
}

/* One measured repetition of the cell, at position k of the schedule. */
static void run_one(interleaver *it, cell_state *s, uint64_t k)
{
	const cy_run_config *c = &s->config;
	cy_run_record *rec = &s->runs[s->done];
	char why[512];
	int result = cy_run_repetition(c, rec, why, sizeof why);
	it->units_done++;
	s->units++;
	if (result == CY_RUN_UNAVAILABLE) {
		say(it, s, why);
		finish(it, s, 0);
		return;
	}
	if (result != CY_RUN_OK) {
		say(it, s, why);
		snprintf(s->status, sizeof s->status, "failed: %s", why);
		s->exit_status = 1;
		if (rec->ops > 0)
			s->order_index[s->done++] = k;
		finish(it, s, 1);
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
		finish(it, s, 1);
}

/*
 * The cell's configuration as `cyclab run` makes it from the cell's words
 * (NAME, then pairs: --knob value or --param key=value): defaults, the
 * CYCLAB_ variables, the words. 0, or -1 after printing why, as `cyclab
 * run` would (the environment can make a combination the suite checked
 * without it invalid).
 */
static int make_config(const cy_suite_cell *cell, cy_run_config *c)
{
	cy_run_config_init(c, cell->config.workload);
	if (cy_run_apply_environment(c, environ, "cyclab run") != 0)
		return -1;
	char why[512];
	int err = 0;
	for (int i = 1; i + 1 < cell->word_count && !err; i += 2) {
		const char *name = cell->words[i], *value = cell->words[i + 1];
		if (strcmp(name, "--param") == 0) {
			char key[64];
			size_t n = strcspn(value, "=");
			snprintf(key, sizeof key, "%.*s", (int)n, value);
			err = value[n] != '=' || cy_run_set_param(c, key, value + n + 1, why, sizeof why) != 0;
		} else {
			err = cy_run_apply_option(c, name, value, why, sizeof why) != 0;
		}
	}
	if (!err && cy_run_validate(c, why, sizeof why) != 0) {
		char from[256];
		cy_run_describe_environment(c, from, sizeof from);
		snprintf(why + strlen(why), sizeof why - strlen(why), "%s", from);
		err = 1;
	}
	if (err)
		fprintf(stderr, "cyclab run: %s\n", why);
	return err ? -1 : 0;
}

static void show_progress(const interleaver *it, const cell_state *s, uint64_t k, double spent)
{
	char name[160], eta[64] = "time left: estimating";
	cy_suite_cell_file(s->cell, name, sizeof name);
	if (it->units_done > 0) {
		char left[40];
		double per_unit = spent / (double)it->units_done;
		cy_suite_format_duration(per_unit * (double)(it->units_total - it->units_done), left, sizeof left);
		snprintf(eta, sizeof eta, "about %s left", left);
	}
	const char *warmup = !s->started && s->config.warmup ? "warm-up, then " : "";
	fprintf(stderr, "\r\033[K[%" PRIu64 "/%" PRIu64 " runs, %zu cells done] %s: %srun %u/%u (%s)", k, it->length,
		it->outcome->ran, name, warmup, s->done + 1, s->config.repeat, eta);
	fflush(stderr);
}

void cy_suite_run_interleaved(const cy_suite *suite, const size_t *pending, size_t count, const char *dir,
	uint64_t seed, int tty, volatile sig_atomic_t *stop, cy_suite_outcome *outcome)
{
	memset(outcome, 0, sizeof *outcome);
	cell_state *cells = calloc(count ? count : 1, sizeof *cells);
	/* The cells that can run, and their repetitions: what the schedule is drawn over. */
	size_t *runnable = calloc(count ? count : 1, sizeof *runnable);
	unsigned *repeats = calloc(count ? count : 1, sizeof *repeats);
	size_t *schedule = NULL;
	if (!cells || !runnable || !repeats) {
		fprintf(stderr, "cyclab suite: out of memory for the interleaved schedule of %zu cells\n", count);
		outcome->failed = outcome->dropped = count;
		goto out;
	}
	interleaver it = {.dir = dir, .seed = seed, .tty = tty, .outcome = outcome};
	size_t n = 0;
	for (size_t i = 0; i < count; i++) {
		cell_state *s = &cells[i];
		s->cell = &suite->cells[pending[i]];
		if (make_config(s->cell, &s->config) != 0) {
			finish(&it, s, 0);
			continue;
		}
		s->scheduled = 1;
		runnable[n] = i;
		repeats[n++] = s->config.repeat;
		it.length += s->config.repeat;
		it.units_total += s->config.warmup + s->config.repeat;
	}
	schedule = malloc((it.length ? it.length : 1) * sizeof *schedule);
	if (!schedule) {
		fprintf(stderr, "cyclab suite: out of memory for the interleaved schedule of %zu cells\n", count);
		outcome->failed += n;
		outcome->dropped = n;
		goto out;
	}
	cy_suite_shuffle_schedule(repeats, n, seed, schedule);
	cy_machine machine;
	cy_machine_probe(&machine);
	it.machine = &machine;
	for (uint64_t k = 0; k < it.length && !*stop; k++) {
		cell_state *s = &cells[runnable[schedule[k]]];
		if (s->finished)
			continue; /* stopped by a failure: its remaining repetitions are not run */
		if (tty)
			show_progress(&it, s, k, outcome->spent_s);
		double began = seconds_now();
		if (!s->started && start(&it, s) != 0)
			finish(&it, s, 0);
		else
			run_one(&it, s, k);
		outcome->spent_s += seconds_now() - began;
	}
	for (size_t i = 0; i < count; i++) {
		if (!cells[i].finished)
			outcome->dropped++;
		release_runs(&cells[i]);
	}
out:
	free(schedule);
	free(repeats);
	free(runnable);
	free(cells);
}
