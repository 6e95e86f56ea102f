/*
 * run_internal.h: what the files of `cyclab run` share with each other and
 * with nobody else (bench/harness/run.h is the public interface).
 *
 *   run.c          one repetition: runtime up, threads placed, sampler, measure, clean up
 *   run_options.c  the option table, parsing and checking values, the help text
 *   run_env.c      the knobs from CYCLAB_* variables, and --show-config
 *   run_trace.c    --trace-gc and --trace-gc-json: a record per collection
 *   run_summary.c  what a person reads: a line per run and the summary
 *   run_main.c     the run driver, `cyclab run` and `cyclab list`: argument vector to
 *                  configuration, repetitions, result (suites run their cells through it)
 */
#ifndef CY_BENCH_RUN_INTERNAL_H
#define CY_BENCH_RUN_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "bench/harness/run.h"

/* ---- run_options.c -------------------------------------------------------------- */

/* The state of applying options from one source: the configuration, and what was given. */
typedef struct cli_state {
	cy_run_config *config;
	cy_knob_source source; /* recorded for each knob applied */
	int duration_given, ops_given;
} cli_state;

typedef int (*option_fn)(cli_state *s, const char *value, char *why, size_t len);

#define NOT_A_KNOB (-1)

typedef struct run_option {
	const char *name;
	const char *metavar; /* NULL: a flag without a value */
	int knob;            /* the cy_run_knob it sets (it has a CYCLAB_ variable), or NOT_A_KNOB */
	const char *doc;     /* one line (or two), default included */
	option_fn apply;
} run_option;

extern const run_option *const cy_run_options; /* the table, in --help order */
extern const size_t cy_run_option_count;

/*
 * Match argv[*i] against the table: "--name value" or "--name=value".
 * Returns the option (and its value, advancing *i past it), or NULL after
 * printing why (unknown option, missing value).
 */
const run_option *cy_run_match_option(const char *prog, int argc, char **argv, int *i, const char **value);

/* Apply option o with value (NULL for a flag) and record s->source as its knob's source; -1 with why. */
int cy_run_apply(const run_option *o, cli_state *s, const char *value, char *why, size_t len);

/* cy_run_set_param, recording where the value came from. */
int cy_run_set_param_from(cy_run_config *c, const char *key, const char *value, cy_knob_source source, char *why,
	size_t len);

/* Is spec a byte size (an integer parameter named *_bytes), whose suffixes are powers of 1024? */
int cy_run_param_is_bytes(const cy_param_spec *spec);

/* Is arg exactly the name of an option that takes a value (so the next word is its value)? */
int cy_run_option_takes_value(const char *arg);

void cy_run_print_usage(FILE *out);
void cy_run_print_workload_help(FILE *out, const cy_workload_def *w);
void cy_run_print_workload_names(FILE *out);

/* ---- run_env.c ------------------------------------------------------------------- */

/*
 * Apply the knobs set in env (a NULL-terminated "NAME=VALUE" array, such as
 * environ) to c, as the environment's. 0, or -1 after printing one line
 * naming the variable and what is valid. Prints a warning line for each
 * CYCLAB_ variable it ignores.
 */
int cy_run_apply_environment(cy_run_config *c, char *const *env, const char *prog);

/* " (from the environment: CYCLAB_RC=nonatomic, ...)" when knobs came from there, else "": for messages. */
void cy_run_describe_environment(const cy_run_config *c, char *out, size_t len);

/* --show-config: every knob and parameter, its value and its source. */
void cy_run_print_config(FILE *out, const cy_run_config *c);

/* The environment's part of --help: the variables, precedence, what is refused. */
void cy_run_print_environment_help(FILE *out);

/* ---- run_trace.c ----------------------------------------------------------------- */

typedef struct cy_gc_trace cy_gc_trace;

/*
 * A trace: lines on stderr if text, JSON lines to json_path if not NULL
 * (written to json_path.tmp, renamed by cy_gc_trace_close). NULL with why
 * if json_path cannot be written (checked before the run starts).
 */
cy_gc_trace *cy_gc_trace_open(int text, const char *json_path, char *why, size_t len);

/* The repetition that follows is warm-up run (warmup = 1) or measured run `number`, counted from 1. */
void cy_gc_trace_begin_repetition(cy_gc_trace *t, int warmup, unsigned number);

/*
 * Around the timed part of a repetition: attach before any workload thread
 * can collect, set the origin of the times (the start of the run) before
 * any collection can end, detach when no collection can be running. Only
 * collections that end while attached are traced: exactly those the
 * repetition's collector statistics count.
 */
int cy_gc_trace_attach(cy_gc_trace *t);
void cy_gc_trace_set_origin(cy_gc_trace *t, uint64_t start_ns);
void cy_gc_trace_detach(cy_gc_trace *t);

/* Write the records taken so far, off the collecting threads (the sampler calls it as it wakes). */
void cy_gc_trace_drain(cy_gc_trace *t);

/* Flush and, if keep, rename the JSON file into place (else remove it); frees t. 0, or -1 with why. */
int cy_gc_trace_close(cy_gc_trace *t, int keep, char *why, size_t len);

/* The trace's part of --help: the line format. */
void cy_gc_trace_print_help(FILE *out);

/* ---- run_summary.c -------------------------------------------------------------- */

/* v with an SI prefix, "9.87 M", into buf. */
const char *cy_run_human(double v, char *buf, size_t len);
/* One line for a measured run, after label. */
void cy_run_print_run_line(const char *label, const cy_run_record *r);
/* The summary over n runs, ending with the SUMMARY line for scripts. */
void cy_run_print_summary(const cy_run_config *c, const cy_run_record *runs, unsigned n);

#endif
