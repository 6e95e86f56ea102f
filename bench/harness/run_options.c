/*
 * run_options.c: the knobs of `cyclab run`: the configuration and its
 * defaults, the option table (one row per option: name, value, one line of
 * help, the function that applies it), checking every value, and the help
 * text made from the table.
 *
 * Every value is checked here, where it is parsed: a bad one is refused
 * with why it is bad and what is valid, in one line, before anything runs.
 * The suite parser (bench/suite/suite.c) checks suite files with the same
 * functions (cy_run_apply_option, cy_run_set_param), and the environment
 * (run_env.c) goes through the same table, so a suite, a CYCLAB_ variable
 * and the command line accept exactly the same values.
 *
 * Numbers. Counts (threads, operations, repetitions, thresholds,
 * microseconds, integer parameters) take a K, M or G suffix for powers of
 * 1000: 2K operations are 2000, as a person counting them means. Byte
 * sizes, the parameters whose name ends in _bytes, take the same suffixes
 * as powers of 1024 (64K bytes are 65536), as a person sizing memory means.
 * Seeds and durations take plain numbers.
 *
 * Sources. Applying an option records where the knob's value came from
 * (cli_state.source): the configuration starts with every knob at
 * CY_SOURCE_DEFAULT, the environment is applied next, the command line
 * last, each overwriting value and source together.
 */
#include "bench/harness/run_internal.h"
#include "bench/harness/value_parse.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/harness/memory_trace.h"

enum {
	DEFAULT_REPEAT = 5,
	DEFAULT_WARMUP = 1,
	DEFAULT_SAMPLE_MS = 10,
	MAX_REPEAT = 10000,
};
#define DEFAULT_DURATION_S 1.0
#define DEFAULT_SEED 20261124u
#define DEFAULT_PAUSE_BUDGET_US 200

static const char *const knob_keys[CY_KNOB_COUNT] = {
	[CY_KNOB_THREADS] = "threads",
	[CY_KNOB_RC] = "rc",
	[CY_KNOB_SHARED_RC] = "shared_rc",
	[CY_KNOB_GC] = "gc",
	[CY_KNOB_THRESHOLD] = "threshold",
	[CY_KNOB_PAUSE_BUDGET_US] = "pause_budget_us",
	[CY_KNOB_ALLOC] = "alloc",
	[CY_KNOB_DURATION] = "duration_s",
	[CY_KNOB_OPS] = "ops",
	[CY_KNOB_SEED] = "seed",
	[CY_KNOB_WARMUP] = "warmup",
	[CY_KNOB_REPEAT] = "repeat",
	[CY_KNOB_SAMPLE_MS] = "sample_interval_ms",
	[CY_KNOB_PIN] = "pin",
};

const char *cy_run_knob_key(cy_run_knob knob)
{
	return (unsigned)knob < CY_KNOB_COUNT ? knob_keys[knob] : "?";
}

const char *cy_knob_source_name(cy_knob_source source)
{
	switch (source) {
	case CY_SOURCE_DEFAULT: return "default";
	case CY_SOURCE_ENVIRONMENT: return "environment";
	case CY_SOURCE_COMMAND_LINE: return "command-line";
	}
	return "?";
}

/* ---- configuration ----------------------------------------------------------------- */

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

int cy_run_param_is_bytes(const cy_param_spec *spec)
{
	size_t n = strlen(spec->name);
	return spec->kind == CY_PARAM_INT && n > 6 && strcmp(spec->name + n - 6, "_bytes") == 0;
}

static void describe_range(const cy_param_spec *spec, char *out, size_t len)
{
	switch (spec->kind) {
	case CY_PARAM_INT:
		snprintf(out, len, "an integer in %.0f..%.0f%s", spec->min, spec->max,
			cy_run_param_is_bytes(spec) ? ", K M G = 1024^1..3" : "");
		break;
	case CY_PARAM_FLOAT: snprintf(out, len, "a number in %g..%g", spec->min, spec->max); break;
	case CY_PARAM_CHOICE: snprintf(out, len, "one of %s", spec->choices); break;
	}
}

/* Parse value for spec into the configuration's slot i, which then came from source. */
static int set_param_at(cy_run_config *c, size_t i, const char *value, cy_knob_source source, char *why, size_t len)
{
	const cy_param_spec *spec = &c->workload->params[i];
	char range[128];
	describe_range(spec, range, sizeof range);
	if (strlen(value) >= sizeof c->param_text[i]) {
		snprintf(why, len, "--param %s: value too long (valid: %s)", spec->name, range);
		return -1;
	}
	char name[96];
	snprintf(name, sizeof name, "--param %s", spec->name);
	switch (spec->kind) {
	case CY_PARAM_INT: {
		int64_t v;
		if (cy_value_int(name, value, (int64_t)spec->min, (int64_t)spec->max,
			    cy_run_param_is_bytes(spec) ? CY_VALUE_BINARY_SUFFIX : CY_VALUE_DECIMAL_SUFFIX, &v, why,
			    len) != 0)
			return -1;
		c->param_values[i] = (double)v;
		break;
	}
	case CY_PARAM_FLOAT: {
		double v;
		if (cy_value_double(name, value, spec->min, 0, spec->max, "a number", &v, why, len) != 0)
			return -1;
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
		c->param_source[i] = source;
		return 0;
	}
	}
	snprintf(c->param_text[i], sizeof c->param_text[i], "%s", value);
	c->param_source[i] = source;
	return 0;
}

void cy_run_config_init(cy_run_config *c, const cy_workload_def *w)
{
	memset(c, 0, sizeof *c);
	c->workload = w;
	c->threads = 1;
	c->rc = CY_RC_BIASED;
	c->shared_rc = CY_SHARED_RC_OFF;
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
		if (set_param_at(c, i, w->params[i].default_value, CY_SOURCE_DEFAULT, why, sizeof why) != 0) {
			/* A default outside its own range is a bug in the workload's def. */
			fprintf(stderr, "cyclab: workload %s: default of %s: %s\n", w->name, w->params[i].name, why);
			abort();
		}
	}
}

int cy_run_set_param_from(cy_run_config *c, const char *key, const char *value, cy_knob_source source, char *why,
	size_t len)
{
	const cy_workload_def *w = c->workload;
	for (size_t i = 0; i < w->param_count; i++) {
		if (strcmp(w->params[i].name, key) == 0)
			return set_param_at(c, i, value, source, why, len);
	}
	char names[512] = "";
	size_t used = 0;
	for (size_t i = 0; i < w->param_count && used < sizeof names; i++)
		used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "", w->params[i].name);
	snprintf(why, len, "unknown parameter '%s' for %s (valid: %s)", key, w->name,
		w->param_count ? names : "none; this workload takes no --param");
	return -1;
}

int cy_run_set_param(cy_run_config *c, const char *key, const char *value, char *why, size_t len)
{
	return cy_run_set_param_from(c, key, value, CY_SOURCE_COMMAND_LINE, why, len);
}

int cy_run_validate(const cy_run_config *c, char *why, size_t len)
{
	if (c->rc == CY_RC_NONATOMIC && c->threads > 1) {
		snprintf(why, len,
			"--rc nonatomic allows one thread, not --threads %u (valid: --threads 1, or --rc atomic|biased)",
			c->threads);
		return -1;
	}
	if (c->rc == CY_RC_NONATOMIC && c->gc == CY_GC_MODE_CONCURRENT) {
		/* Its collector thread reads counts that nonatomic counting keeps in plain fields. */
		snprintf(why, len,
			"the concurrent collector is not available with --rc nonatomic (valid: --gc off, stw, incremental, "
			"or concurrent with --rc atomic or biased)");
		return -1;
	}
	if (c->shared_rc != CY_SHARED_RC_OFF && c->gc == CY_GC_MODE_OFF) {
		/* Published objects are freed only by a collection. */
		snprintf(why, len, "--shared-rc %s needs a collector, which alone frees published objects (valid: --shared-rc "
			"off with --gc off, or --gc stw, incremental or concurrent)", cy_shared_rc_name(c->shared_rc));
		return -1;
	}
	if (c->shared_rc != CY_SHARED_RC_OFF && c->gc == CY_GC_MODE_CONCURRENT) {
		/*
		 * Published objects are freed where counts are made exact with the
		 * world stopped; a concurrent full collection does that only in its
		 * verify pauses, which it skips when it finds no candidate, so an
		 * explicit collection could leave them.
		 */
		snprintf(why, len, "--shared-rc %s is not available with --gc concurrent (valid: --gc stw or incremental, "
			"or --shared-rc off)", cy_shared_rc_name(c->shared_rc));
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

/* ---- the options ------------------------------------------------------------------- */

static int int_option(const char *name, const char *value, int64_t min, int64_t max, int64_t *out, char *why,
	size_t len)
{
	return cy_value_int(name, value, min, max, CY_VALUE_DECIMAL_SUFFIX, out, why, len);
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

static int opt_shared_rc(cli_state *s, const char *value, char *why, size_t len)
{
	int scheme = cy_shared_rc_parse(value);
	if (scheme < 0) {
		snprintf(why, len, "unknown --shared-rc '%s' (valid: off, deferred, per-thread)", value);
		return -1;
	}
	s->config->shared_rc = (cy_shared_rc_scheme)scheme;
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
		/* Blanks around a part belong to the list ("700, 10, 10"), not to the number. */
		size_t from = strspn(p, " \t"), to = n;
		while (to > from && (p[to - 1] == ' ' || p[to - 1] == '\t'))
			to--;
		memcpy(part, p + from, to - from);
		part[to - from] = '\0';
		char ignored[160];
		if (cy_value_int("--threshold", part, 0, INT64_MAX, CY_VALUE_DECIMAL_SUFFIX, &t[g], ignored,
			    sizeof ignored) != 0) {
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
	if (cy_value_double("--duration", value, 0, 1, 86400, "seconds", &v, why, len) != 0)
		return -1;
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
	return cy_value_uint64("--seed", value, &s->config->seed, why, len);
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
	return cy_run_set_param_from(s->config, key, eq + 1, s->source, why, len);
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

static int opt_pin(cli_state *s, const char *value, char *why, size_t len)
{
	if (cy_pin_policy_parse(value, &s->config->pin) != 0) {
		snprintf(why, len, "unknown --pin '%s' (valid: none, compact, scatter)", value);
		return -1;
	}
	return 0;
}

static int opt_show_config(cli_state *s, const char *value, char *why, size_t len)
{
	s->config->show_config = 1;
	return 0;
}

static int opt_trace_gc(cli_state *s, const char *value, char *why, size_t len)
{
	s->config->trace_gc = 1;
	return 0;
}

/* A file name for option name: not empty, not standard output (stdout carries the summary or the result). */
static int file_value(const char *name, const char *value, const char **out, char *why, size_t len)
{
	if (!*value || strcmp(value, "-") == 0) {
		snprintf(why, len, "%s takes a file name, not '%s'", name, value);
		return -1;
	}
	*out = value;
	return 0;
}

static int opt_trace_gc_json(cli_state *s, const char *value, char *why, size_t len)
{
	return file_value("--trace-gc-json", value, &s->config->trace_gc_json, why, len);
}

static int opt_trace_alloc(cli_state *s, const char *value, char *why, size_t len)
{
	return cy_memory_trace_parse_frames(value, &s->config->trace_alloc_frames, why, len);
}

static int opt_find_leaks(cli_state *s, const char *value, char *why, size_t len)
{
	s->config->find_leaks = 1;
	return value ? file_value("--find-leaks", value, &s->config->find_leaks_dot, why, len) : 0;
}

static int opt_topology_xml(cli_state *s, const char *value, char *why, size_t len)
{
	return file_value("--topology-xml", value, &s->config->topology_xml, why, len);
}

/* Knobs first, in the order --show-config lists them; then what is reported and where. */
static const run_option option_table[] = {
	{"--threads", "N", CY_KNOB_THREADS, "workload threads (default 1)", opt_threads},
	{"--rc", "MODE", CY_KNOB_RC, "reference counting: nonatomic, atomic or biased (default biased)", opt_rc},
	{"--shared-rc", "SCHEME", CY_KNOB_SHARED_RC,
		"counting of objects many threads read: off (default), deferred (freed\n"
		"                           only by the collector) or per-thread (counts per thread, merged by it)",
		opt_shared_rc},
	{"--gc", "MODE", CY_KNOB_GC, "cycle collector: off, stw, incremental or concurrent (default stw)", opt_gc},
	{"--threshold", "A,B,C", CY_KNOB_THRESHOLD, "collection thresholds per generation (default 700,10,10)",
		opt_threshold},
	{"--pause-budget-us", "N", CY_KNOB_PAUSE_BUDGET_US,
		"longest pause of the incremental and concurrent collectors, in us (default 200)", opt_pause_budget},
	{"--alloc", "NAME", CY_KNOB_ALLOC, "object storage: pool, malloc, mimalloc or jemalloc (default pool)",
		opt_alloc},
	{"--duration", "SECONDS", CY_KNOB_DURATION, "length of each timed run (default 1)", opt_duration},
	{"--ops", "N", CY_KNOB_OPS, "run N operations instead of a fixed time (K, M, G suffixes: powers of 1000)",
		opt_ops},
	{"--seed", "N", CY_KNOB_SEED, "seed of the workload's random choices (default 20261124)", opt_seed},
	{"--warmup", "N", CY_KNOB_WARMUP, "unmeasured runs first (default 1)", opt_warmup},
	{"--repeat", "N", CY_KNOB_REPEAT, "measured runs (default 5)", opt_repeat},
	{"--sample-ms", "N", CY_KNOB_SAMPLE_MS, "interval of the time series (default 10)", opt_sample},
	{"--pin", "POLICY", CY_KNOB_PIN,
		"bind each thread to a CPU: none (default), compact (a core's\n"
		"                           hardware threads first) or scatter (packages and cores first)",
		opt_pin},
	{"--param", "KEY=VALUE", NOT_A_KNOB, "a workload parameter (repeatable; see cyclab run NAME --help)",
		opt_param},
	{"-o", "FILE", NOT_A_KNOB, "write the JSON result to FILE (- for standard output)", opt_output},
	{"--quiet", NULL, NOT_A_KNOB, "print nothing but errors", opt_quiet},
	{"--show-config", NULL, NOT_A_KNOB,
		"print every knob's value and where it came from (default,\n"
		"                           environment, command-line), then exit without running",
		opt_show_config},
	{"--trace-gc", NULL, NOT_A_KNOB, "print a line per collection to stderr (format below)", opt_trace_gc},
	{"--trace-gc-json", "FILE", NOT_A_KNOB,
		"write a JSON line per collection to FILE (cyclab-gctrace/1)", opt_trace_gc_json},
	{"--topology-xml", "FILE", NOT_A_KNOB, "export this machine's hwloc topology as XML to FILE", opt_topology_xml},
	{"--trace-alloc", "[=FRAMES]", NOT_A_KNOB,
		"trace allocations, with stacks of FRAMES frames (default 1), and keep\n"
		"                           the top sites in the result (cyclab memory prints them)",
		opt_trace_alloc},
	{"--find-leaks", "[=DOT]", NOT_A_KNOB,
		"list the container types that grew in each run and what holds one instance of\n"
		"                           the top one (around its cycle or from a root); the chain as Graphviz to DOT",
		opt_find_leaks},
};

enum { OPTION_COUNT = sizeof option_table / sizeof option_table[0] };

const run_option *const cy_run_options = option_table;
const size_t cy_run_option_count = OPTION_COUNT;

int cy_run_apply(const run_option *o, cli_state *s, const char *value, char *why, size_t len)
{
	if (o->apply(s, value, why, len) != 0)
		return -1;
	if (o->knob == CY_KNOB_DURATION || o->knob == CY_KNOB_OPS) {
		/* One of them sets the length of a run and turns the other off: both came from here. */
		s->config->source[CY_KNOB_DURATION] = s->source;
		s->config->source[CY_KNOB_OPS] = s->source;
	} else if (o->knob != NOT_A_KNOB) {
		s->config->source[o->knob] = s->source;
	}
	return 0;
}

int cy_run_apply_option(cy_run_config *config, const char *name, const char *value, char *why, size_t len)
{
	for (int k = 0; k < OPTION_COUNT; k++) {
		if (strcmp(option_table[k].name, name) == 0 && option_table[k].metavar) {
			cli_state state = {.config = config, .source = CY_SOURCE_COMMAND_LINE};
			return cy_run_apply(&option_table[k], &state, value, why, len);
		}
	}
	snprintf(why, len, "unknown option '%s'", name);
	return -1;
}

static void print_option_names(FILE *out)
{
	for (int i = 0; i < OPTION_COUNT; i++)
		fprintf(out, "%s, ", option_table[i].name);
	fputs("--help", out);
}

void cy_run_print_workload_names(FILE *out)
{
	size_t n;
	const cy_workload_def *const *all = cy_workloads(&n);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? ", " : "", all[i]->name);
}

const run_option *cy_run_match_option(const char *prog, int argc, char **argv, int *i, const char **value)
{
	const char *arg = argv[*i];
	const char *eq = strchr(arg, '=');
	size_t name_len = eq && arg[1] == '-' ? (size_t)(eq - arg) : strlen(arg);
	for (int k = 0; k < OPTION_COUNT; k++) {
		const run_option *o = &option_table[k];
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
		} else if (o->metavar[0] == '[') { /* an optional value, given with '=' only */
			*value = NULL;
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

void cy_run_print_usage(FILE *out)
{
	fputs("usage: cyclab run NAME [options] [--param KEY=VALUE]...\n"
	      "       cyclab run NAME --help     (the workload and its parameters)\n"
	      "\n"
	      "Runs workload NAME (cyclab list shows them): warm-up runs, then measured runs,\n"
	      "each from an empty heap; prints a summary and writes a JSON result with -o.\n"
	      "\n"
	      "options:\n",
	      out);
	for (int i = 0; i < OPTION_COUNT; i++) {
		char left[40];
		snprintf(left, sizeof left, "%s%s%s", option_table[i].name,
			option_table[i].metavar && option_table[i].metavar[0] != '[' ? " " : "",
			option_table[i].metavar ? option_table[i].metavar : "");
		fprintf(out, "  %-24s %s\n", left, option_table[i].doc);
	}
	fputs("\nNumbers: counts (--threads, --ops, --warmup, --repeat, --sample-ms, --pause-budget-us,\n"
	      "the parts of --threshold, integer parameters) take a K, M or G suffix for powers\n"
	      "of 1000 (2K = 2000, 1M = 1000000); byte sizes (parameters named *_bytes) take them\n"
	      "as powers of 1024 (64K = 65536). --seed and --duration take plain numbers.\n",
	      out);
	cy_run_print_environment_help(out);
	cy_gc_trace_print_help(out);
	fputs("\nExit status: 0 ok; 1 a workload check failed or objects leaked; 2 bad input or a\n"
	      "configuration this build cannot run.\n",
	      out);
}

void cy_run_print_workload_help(FILE *out, const cy_workload_def *w)
{
	fprintf(out, "%s: %s\n\n%s\n\nOne operation: %s.%s\n\nparameters (--param KEY=VALUE, or CYCLAB_PARAM_KEY=VALUE):\n",
		w->name, w->summary,
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
	cy_run_print_usage(out);
}

int cy_run_option_takes_value(const char *arg)
{
	for (int k = 0; k < OPTION_COUNT; k++) {
		if (strcmp(option_table[k].name, arg) == 0 && option_table[k].metavar && option_table[k].metavar[0] != '[')
			return 1;
	}
	return 0;
}
