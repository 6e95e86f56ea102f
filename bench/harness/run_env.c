/*
 * run_env.c: the knobs of `cyclab run` from the environment, and
 * --show-config, which says where each knob's value came from.
 *
 * Every knob (a row of the option table with a knob, run_options.c) has a
 * variable: CYCLAB_ and the option's name without its dashes, in upper
 * case, with '_' for '-': --threads is CYCLAB_THREADS, --pause-budget-us is
 * CYCLAB_PAUSE_BUDGET_US. Each parameter of the workload has CYCLAB_PARAM_
 * and its key in upper case: live_size is CYCLAB_PARAM_LIVE_SIZE. This is
 * mimalloc's MIMALLOC_<OPTION> and Go's GOGC: one prefix, one name per
 * knob. Values go through the option table's own functions, so a variable
 * accepts and refuses exactly what its option does.
 *
 * Precedence: defaults, then the environment, then the command line, each
 * overwriting value and source (cy_run_config.source); --show-config
 * prints the outcome, as the JVM's -XX:+PrintFlagsFinal does, and the
 * result's config records the sources.
 *
 * Nothing set is ignored silently:
 *   - a bad value is refused (one line naming the variable, exit 2), even
 *     when the command line sets the same knob: it is wrong wherever the
 *     run takes it from;
 *   - CYCLAB_DURATION with CYCLAB_OPS is refused, as --duration with --ops is;
 *   - CYCLAB_PARAM_KEY is refused when no workload has a parameter KEY;
 *     when another workload has it, it is ignored with a warning (one
 *     environment may serve a suite of several workloads);
 *   - another CYCLAB_ name is refused when it is a letter or two away from
 *     a knob's variable (CYCLAB_THREAD, CYCLAB_PAUSE_BUDGET: a misspelt
 *     knob would measure the wrong configuration), and otherwise ignored
 *     with a warning; the names other parts of cyclab read are left alone:
 *     CYCLAB_POOL_* (the pools, runtime/pool.h), CYCLAB_TEST_* (the
 *     tests), CYCLAB_MICRO_* (ninja micro), CYCLAB_GNUPLOT and
 *     CYCLAB_CHROMIUM (cyclab plot and report). A part of cyclab that
 *     reads a new CYCLAB_ variable adds it to foreign_names.
 */
#include "bench/harness/run_internal.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define PREFIX "CYCLAB_"
#define PARAM_PREFIX "CYCLAB_PARAM_"

enum { NAME_MAX_LEN = 96 };

/* Variables read elsewhere in cyclab, not knobs of a run: names, or prefixes when they end in '_'. */
static const char *const foreign_names[] = {
	"CYCLAB_POOL_", "CYCLAB_TEST_", "CYCLAB_MICRO_", "CYCLAB_GNUPLOT", "CYCLAB_CHROMIUM",
};

/* CYCLAB_ and the option's name without dashes, upper case, '-' as '_'. */
static void knob_variable(const run_option *o, char *out, size_t len)
{
	const char *name = o->name;
	while (*name == '-')
		name++;
	size_t n = (size_t)snprintf(out, len, "%s", PREFIX);
	for (; *name && n + 1 < len; name++)
		out[n++] = *name == '-' ? '_' : (char)toupper((unsigned char)*name);
	out[n] = '\0';
}

static void param_variable(const char *key, char *out, size_t len)
{
	size_t n = (size_t)snprintf(out, len, "%s", PARAM_PREFIX);
	for (; *key && n + 1 < len; key++)
		out[n++] = (char)toupper((unsigned char)*key);
	out[n] = '\0';
}

/* The value of name in env, or NULL. */
static const char *lookup(char *const *env, const char *name)
{
	size_t n = strlen(name);
	for (; *env; env++) {
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
			return *env + n + 1;
	}
	return NULL;
}

static int is_knob_variable(const char *name)
{
	char var[NAME_MAX_LEN];
	for (size_t k = 0; k < cy_run_option_count; k++) {
		if (cy_run_options[k].knob == NOT_A_KNOB)
			continue;
		knob_variable(&cy_run_options[k], var, sizeof var);
		if (strcmp(var, name) == 0)
			return 1;
	}
	return 0;
}

static int is_foreign(const char *name)
{
	for (size_t i = 0; i < sizeof foreign_names / sizeof foreign_names[0]; i++) {
		const char *f = foreign_names[i];
		size_t n = strlen(f);
		if (f[n - 1] == '_' ? strncmp(name, f, n) == 0 : strcmp(name, f) == 0)
			return 1;
	}
	return 0;
}

/* Levenshtein distance between a and b, or limit + 1 once it is certainly above limit. */
static size_t edit_distance(const char *a, const char *b, size_t limit)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > lb + limit || lb > la + limit || lb >= NAME_MAX_LEN)
		return limit + 1;
	size_t row[NAME_MAX_LEN];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diagonal = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t above = row[j];
			size_t best = diagonal + (a[i - 1] != b[j - 1]);
			if (above + 1 < best)
				best = above + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diagonal = above;
		}
	}
	return row[lb];
}

/* Is the shorter of a and b, five characters or more, the start of the other? */
static int shares_start(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), shorter = la < lb ? la : lb;
	return shorter >= 5 && strncmp(a, b, shorter) == 0;
}

/*
 * The knob variable that name is a misspelling of, into out; 0 if there is
 * one. Close means at most one edit from the part after CYCLAB_, or two
 * for a knob name of six letters or more (one edit turns GC into RC), or
 * a knob's name cut short or lengthened (CYCLAB_PAUSE_BUDGET).
 */
static int misspelt_knob(const char *name, char *out, size_t len)
{
	const char *word = name + strlen(PREFIX);
	char var[NAME_MAX_LEN];
	for (size_t k = 0; k < cy_run_option_count; k++) {
		if (cy_run_options[k].knob == NOT_A_KNOB)
			continue;
		knob_variable(&cy_run_options[k], var, sizeof var);
		const char *knob_word = var + strlen(PREFIX);
		size_t limit = strlen(knob_word) >= 6 ? 2 : 1;
		if (edit_distance(word, knob_word, limit) <= limit || shares_start(word, knob_word)) {
			snprintf(out, len, "%s", var);
			return 0;
		}
	}
	return -1;
}

/* Does some workload other than w have a parameter named key? */
static int other_workload_has(const cy_workload_def *w, const char *key)
{
	size_t n;
	const cy_workload_def *const *all = cy_workloads(&n);
	for (size_t i = 0; i < n; i++) {
		if (all[i] == w)
			continue;
		for (size_t p = 0; p < all[i]->param_count; p++) {
			if (strcmp(all[i]->params[p].name, key) == 0)
				return 1;
		}
	}
	return 0;
}

static void print_param_keys(FILE *out, const cy_workload_def *w)
{
	if (w->param_count == 0)
		fputs("none", out);
	for (size_t p = 0; p < w->param_count; p++) {
		char var[NAME_MAX_LEN];
		param_variable(w->params[p].name, var, sizeof var);
		fprintf(out, "%s%s", p ? ", " : "", var);
	}
}

/* CYCLAB_PARAM_<KEY>=value: set it, or say why not; 0 to go on, -1 to refuse the run. */
static int apply_param_variable(cy_run_config *c, const char *name, const char *value, const char *prog)
{
	char key[NAME_MAX_LEN];
	const char *upper = name + strlen(PARAM_PREFIX);
	size_t n = 0;
	for (; upper[n] && n + 1 < sizeof key; n++)
		key[n] = (char)tolower((unsigned char)upper[n]);
	key[n] = '\0';
	const cy_workload_def *w = c->workload;
	for (size_t p = 0; p < w->param_count; p++) {
		if (strcmp(w->params[p].name, key) != 0)
			continue;
		char why[512];
		if (cy_run_set_param_from(c, key, value, CY_SOURCE_ENVIRONMENT, why, sizeof why) == 0)
			return 0;
		fprintf(stderr, "%s: %s=%s in the environment: %s\n", prog, name, value, why);
		return -1;
	}
	if (other_workload_has(w, key)) {
		fprintf(stderr, "%s: warning: %s is ignored: %s has no parameter '%s' (its variables: ", prog, name,
			w->name, key);
		print_param_keys(stderr, w);
		fputs(")\n", stderr);
		return 0;
	}
	fprintf(stderr, "%s: %s in the environment: no workload has a parameter '%s' (valid for %s: ", prog, name, key,
		w->name);
	print_param_keys(stderr, w);
	fputs(")\n", stderr);
	return -1;
}

/* A CYCLAB_ variable that is neither a knob nor a parameter: 0 to go on, -1 to refuse the run. */
static int judge_stray_variable(const char *name, const char *prog)
{
	char knob[NAME_MAX_LEN];
	if (misspelt_knob(name, knob, sizeof knob) == 0) {
		fprintf(stderr, "%s: %s in the environment is not a knob of cyclab run (did you mean %s? cyclab run --help "
				"lists the variables)\n",
			prog, name, knob);
		return -1;
	}
	fprintf(stderr, "%s: warning: %s is not a knob of cyclab run; ignored (cyclab run --help lists the variables)\n",
		prog, name);
	return 0;
}

int cy_run_apply_environment(cy_run_config *c, char *const *env, const char *prog)
{
	cli_state state = {.config = c, .source = CY_SOURCE_ENVIRONMENT};
	char var[NAME_MAX_LEN], why[512];
	for (size_t k = 0; k < cy_run_option_count; k++) {
		const run_option *o = &cy_run_options[k];
		if (o->knob == NOT_A_KNOB)
			continue;
		knob_variable(o, var, sizeof var);
		const char *value = lookup(env, var);
		if (value && cy_run_apply(o, &state, value, why, sizeof why) != 0) {
			fprintf(stderr, "%s: %s=%s in the environment: %s\n", prog, var, value, why);
			return -1;
		}
	}
	if (state.duration_given && state.ops_given) {
		fprintf(stderr, "%s: CYCLAB_DURATION and CYCLAB_OPS are both set in the environment (valid: one of them)\n",
			prog);
		return -1;
	}
	for (char *const *e = env; *e; e++) {
		if (strncmp(*e, PREFIX, strlen(PREFIX)) != 0)
			continue;
		size_t n = strcspn(*e, "=");
		char name[NAME_MAX_LEN];
		snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), *e);
		const char *value = (*e)[n] == '=' ? *e + n + 1 : "";
		if (is_knob_variable(name) || is_foreign(name))
			continue;
		int status = strncmp(name, PARAM_PREFIX, strlen(PARAM_PREFIX)) == 0
			? apply_param_variable(c, name, value, prog)
			: judge_stray_variable(name, prog);
		if (status != 0)
			return -1;
	}
	return 0;
}

/* ---- --show-config ------------------------------------------------------------------ */

static void format_knob(const cy_run_config *c, cy_run_knob knob, char *out, size_t len)
{
	switch (knob) {
	case CY_KNOB_THREADS: snprintf(out, len, "%u", c->threads); return;
	case CY_KNOB_RC: snprintf(out, len, "%s", cy_rc_mode_name(c->rc)); return;
	case CY_KNOB_SHARED_RC: snprintf(out, len, "%s", cy_shared_rc_name(c->shared_rc)); return;
	case CY_KNOB_GC: snprintf(out, len, "%s", cy_gc_mode_name(c->gc)); return;
	case CY_KNOB_THRESHOLD:
		snprintf(out, len, "%" PRId64 ",%" PRId64 ",%" PRId64, c->threshold[0], c->threshold[1], c->threshold[2]);
		return;
	case CY_KNOB_PAUSE_BUDGET_US: snprintf(out, len, "%" PRId64, c->pause_budget_us); return;
	case CY_KNOB_ALLOC: snprintf(out, len, "%s", cy_alloc_name(c->alloc)); return;
	case CY_KNOB_DURATION:
		if (c->ops > 0)
			snprintf(out, len, "-"); /* a counted run */
		else
			snprintf(out, len, "%g", c->duration_s);
		return;
	case CY_KNOB_OPS:
		if (c->ops > 0)
			snprintf(out, len, "%" PRId64, c->ops);
		else
			snprintf(out, len, "-"); /* a timed run */
		return;
	case CY_KNOB_SEED: snprintf(out, len, "%" PRIu64, c->seed); return;
	case CY_KNOB_WARMUP: snprintf(out, len, "%u", c->warmup); return;
	case CY_KNOB_REPEAT: snprintf(out, len, "%u", c->repeat); return;
	case CY_KNOB_SAMPLE_MS: snprintf(out, len, "%u", c->sample_interval_ms); return;
	case CY_KNOB_PIN: snprintf(out, len, "%s", cy_pin_policy_name(c->pin)); return;
	case CY_KNOB_COUNT: break;
	}
	snprintf(out, len, "?");
}

static void format_param(const cy_run_config *c, size_t i, char *out, size_t len)
{
	switch (c->workload->params[i].kind) {
	case CY_PARAM_INT: snprintf(out, len, "%.0f", c->param_values[i]); return;
	case CY_PARAM_FLOAT: snprintf(out, len, "%g", c->param_values[i]); return;
	case CY_PARAM_CHOICE: snprintf(out, len, "%s", c->param_choices[i]); return;
	}
}

void cy_run_describe_environment(const cy_run_config *c, char *out, size_t len)
{
	size_t used = 0;
	out[0] = '\0';
	char value[64], var[NAME_MAX_LEN];
	for (size_t k = 0; k < cy_run_option_count && used < len; k++) {
		const run_option *o = &cy_run_options[k];
		if (o->knob == NOT_A_KNOB || c->source[o->knob] != CY_SOURCE_ENVIRONMENT)
			continue;
		format_knob(c, (cy_run_knob)o->knob, value, sizeof value);
		knob_variable(o, var, sizeof var);
		used += (size_t)snprintf(out + used, len - used, "%s%s=%s", used ? ", " : " (from the environment: ", var,
			value);
	}
	for (size_t i = 0; i < c->workload->param_count && used < len; i++) {
		if (c->param_source[i] != CY_SOURCE_ENVIRONMENT)
			continue;
		format_param(c, i, value, sizeof value);
		param_variable(c->workload->params[i].name, var, sizeof var);
		used += (size_t)snprintf(out + used, len - used, "%s%s=%s", used ? ", " : " (from the environment: ", var,
			value);
	}
	if (used > 0 && used < len)
		snprintf(out + used, len - used, ")");
}

void cy_run_print_config(FILE *out, const cy_run_config *c)
{
	fprintf(out, "# cyclab run %s: the value of every knob and where it came from\n", c->workload->name);
	fprintf(out, "%-20s %-20s %-13s %s\n", "KNOB", "VALUE", "SOURCE", "VARIABLE");
	char value[64], var[NAME_MAX_LEN];
	for (size_t k = 0; k < cy_run_option_count; k++) {
		const run_option *o = &cy_run_options[k];
		if (o->knob == NOT_A_KNOB)
			continue;
		format_knob(c, (cy_run_knob)o->knob, value, sizeof value);
		knob_variable(o, var, sizeof var);
		fprintf(out, "%-20s %-20s %-13s %s\n", o->name + 2, value, cy_knob_source_name(c->source[o->knob]), var);
	}
	for (size_t i = 0; i < c->workload->param_count; i++) {
		char name[80];
		snprintf(name, sizeof name, "param.%s", c->workload->params[i].name);
		format_param(c, i, value, sizeof value);
		param_variable(c->workload->params[i].name, var, sizeof var);
		fprintf(out, "%-20s %-20s %-13s %s\n", name, value, cy_knob_source_name(c->param_source[i]), var);
	}
}

void cy_run_print_environment_help(FILE *out)
{
	fputs("\nEnvironment: each knob can come from a variable, CYCLAB_ and the option's name\n"
	      "in upper case with _ for -, and each workload parameter from CYCLAB_PARAM_ and its\n"
	      "key in upper case (CYCLAB_PARAM_LIVE_SIZE=2K is --param live_size=2K). The command\n"
	      "line wins over the environment, the environment over the defaults; --show-config\n"
	      "shows which won. The variables:\n",
	      out);
	char var[NAME_MAX_LEN];
	size_t column = 0;
	for (size_t k = 0; k < cy_run_option_count; k++) {
		if (cy_run_options[k].knob == NOT_A_KNOB)
			continue;
		knob_variable(&cy_run_options[k], var, sizeof var);
		if (column + strlen(var) + 1 > 78) {
			fputc('\n', out);
			column = 0;
		}
		column += (size_t)fprintf(out, "%s%s", column ? " " : "  ", var);
	}
	fputs(" CYCLAB_PARAM_<KEY>\n"
	      "A bad value in the environment is refused as the option's would be (exit 2), even\n"
	      "when the command line sets the knob too; so are CYCLAB_DURATION with CYCLAB_OPS,\n"
	      "a CYCLAB_PARAM_ key that no workload has, and a name a letter or two from a\n"
	      "knob's (CYCLAB_THREAD). Other CYCLAB_ variables are ignored with a warning, but\n"
	      "those other parts of cyclab read silently: CYCLAB_POOL_* (the pools), CYCLAB_TEST_*,\n"
	      "CYCLAB_MICRO_*, CYCLAB_GNUPLOT and CYCLAB_CHROMIUM.\n"
	      "-o, --quiet, --show-config, --trace-gc, --trace-gc-json, --topology-xml,\n"
	      "--trace-alloc and --find-leaks are command-line only.\n",
	      out);
}
