/*
 * suite.c: the suite file format, its parser and the expansion of a suite
 * into cells (one `cyclab run` each). Running them is bench/suite/suite_run.c.
 *
 * The format is plain text written by hand, one directive a line:
 *
 *   # a comment runs from '#' to the end of the line
 *   set duration = 0.2          # before the first workload: every block
 *   set repeat = 3
 *
 *   workload linked-cycles      # a block: one workload ...
 *   set rc = atomic, biased     # ... a list per knob ...
 *   set gc = stw, incremental
 *   param length = 2, 16        # ... and per workload parameter
 *
 *   workload caches
 *   set threshold = "700,10,10", "100,10,10"
 *
 * `set KNOB = V1, V2, ...` takes any knob of `cyclab run` that has a value,
 * spelled without the dashes: threads, rc, gc, threshold, pause-budget-us,
 * alloc, duration, ops, seed, warmup, repeat, sample-ms, pin. `param KEY = ...`
 * takes a parameter of the block's workload (`cyclab run NAME --help`).
 * Values are separated by commas; a value containing a comma (a
 * threshold) is written in double quotes. An item may be a range of
 * integers: `A..B` (step 1), `A..B +STEP`, `A..B *FACTOR` (1, 2, 4, ...)
 * or `A..B log COUNT` (COUNT values spaced evenly on a log scale, rounded,
 * both ends included); in a quoted value one comma-separated part may be a
 * range (`"100..50000 log 8,10,10"`: eight first thresholds). `$NPROC`
 * reads as the number of CPUs this process may run on (its affinity
 * mask, which a batch system's allocation narrows). A list that names a
 * value twice, ranges included, is refused with its line. Each block expands to the
 * cartesian product of its lists and of the suite-wide lists it does not
 * set itself (duration and ops count as one knob here: a block that sets
 * either replaces both suite-wide ones). Cells are numbered in file order,
 * the last list of a block varying fastest; the suite-wide lists come
 * first. A combination the runner refuses as a whole (nonatomic counting
 * with more than one thread, a single-threaded workload with several) is
 * left out and counted, not an error: a matrix over rc and threads is
 * the common case.
 *
 * Every value is checked when the file is read, by the runner's own option
 * parser (cy_run_apply_option, cy_run_set_param), so a suite never starts
 * with a value `cyclab run` would refuse; errors read "FILE:LINE: why
 * (valid: ...)". Nothing here runs a workload or touches the runtime.
 *
 * The file says what to run, not in which order or under which name: the
 * runner (bench/suite/suite_run.c) takes the order from
 * bench/suite/suite_order.c, and a cell is known by its knobs
 * (bench/suite/suite_cell.c), so moving blocks or lines around does not
 * make finished cells run again. The file is read as a regular file
 * only, and a NUL byte in it is refused with its line.
 */
#include "bench/suite/suite.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/harness/value_parse.h"
#include "bench/results/input_file.h"
#include <sys/stat.h>
#include <unistd.h>

#include "bench/harness/run_internal.h"

enum {
	MAX_AXES = 32,
	MAX_VALUES = 256,
	MAX_CELLS = 100000,
};

static const char *const knob_names[] = {
	"threads", "rc", "gc", "threshold", "pause-budget-us", "alloc", "duration", "ops", "seed", "warmup", "repeat",
	"sample-ms", "pin", "shared-rc",
};
enum { KNOB_COUNT = sizeof knob_names / sizeof knob_names[0] };

/* One list: a knob (or parameter) and its values. */
typedef struct axis {
	char name[64]; /* knob without dashes, or the parameter's key */
	int is_param;
	int line;
	size_t count;
	char **values;
} axis;

typedef struct block {
	const cy_workload_def *workload;
	int line;
	size_t axis_count;
	axis axes[MAX_AXES];
} block;

typedef struct parser {
	const char *path;
	int line;
	char *why;
	size_t len;
	block global; /* the suite-wide lists (workload NULL) */
	block *blocks;
	size_t block_count, block_cap;
	cy_suite *suite;
} parser;

static int fail(parser *p, const char *fmt, const char *a, const char *b)
{
	char text[600];
	snprintf(text, sizeof text, fmt, a, b);
	snprintf(p->why, p->len, "%s:%d: %s", p->path, p->line, text);
	return -1;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	char *end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/* Cut the comment off a line, quotes respected; -1 on an unclosed quote. */
static int strip_comment(char *s)
{
	int quoted = 0;
	for (; *s; s++) {
		if (*s == '"')
			quoted = !quoted;
		else if (*s == '#' && !quoted) {
			*s = '\0';
			break;
		}
	}
	return quoted ? -1 : 0;
}

static void free_axis(axis *a)
{
	for (size_t i = 0; i < a->count; i++)
		free(a->values[i]);
	free(a->values);
	a->values = NULL;
	a->count = 0;
}

static void free_block(block *b)
{
	for (size_t i = 0; i < b->axis_count; i++)
		free_axis(&b->axes[i]);
	b->axis_count = 0;
}

/* One value into a->values, refused when the list has it already; -1 with why. */
static int push_value(parser *p, axis *a, const char *what, const char *value)
{
	for (size_t i = 0; i < a->count; i++) {
		if (strcmp(a->values[i], value) == 0)
			return fail(p, "%s is listed twice for %s (valid: each value once; ranges included)", value, what);
	}
	if (a->count == MAX_VALUES)
		return fail(p, "more than 256 values for %s", what, "");
	char *copy = strdup(value);
	if (!copy || (a->count == 0 && !(a->values = calloc(MAX_VALUES, sizeof *a->values)))) {
		free(copy);
		return fail(p, "out of memory reading %s", what, "");
	}
	a->values[a->count++] = copy;
	return 0;
}

/* text with every $NPROC replaced by the number of CPUs this process may use; -1 if it does not fit. */
static int substitute_nproc(const char *text, char *out, size_t len)
{
	size_t used = 0;
	for (const char *s = text; *s;) {
		if (strncmp(s, "$NPROC", 6) == 0) {
			used += (size_t)snprintf(out + used, used < len ? len - used : 0, "%u", cy_suite_nproc());
			s += 6;
		} else {
			if (used + 1 < len)
				out[used] = *s;
			used++;
			s++;
		}
		if (used >= len)
			return -1;
	}
	out[used] = '\0';
	return 0;
}

/* Leading blanks skipped (the text ends trimmed already). */
static const char *trim_const(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

#define RANGE_FORMS "A..B (step 1), A..B +STEP, A..B *FACTOR or A..B log COUNT, integers with A <= B"

/*
 * A range: "A..B", "A..B +S", "A..B *F" or "A..B log N" into values (at
 * most MAX_VALUES, ascending, no repeats); the count, or -1 with why.
 * log N takes N values spaced evenly on a log scale from A to B, rounded
 * to integers, A and B included (fewer when rounding makes two equal).
 */
static int expand_range(parser *p, const char *what, const char *text, int64_t *values)
{
	char left[64], right[64], kind[8] = "+", step_text[64] = "1";
	const char *dots = strstr(text, "..");
	size_t n = (size_t)(dots - text), m = strcspn(dots + 2, " \t+*");
	const char *rest = dots + 2 + m;
	int ok = n < sizeof left && m < sizeof right;
	if (ok) {
		memcpy(left, text, n);
		left[n] = '\0';
		memcpy(right, dots + 2, m);
		right[m] = '\0';
		while (*rest == ' ' || *rest == '\t')
			rest++;
		if (*rest == '+' || *rest == '*') {
			kind[0] = *rest;
			ok = snprintf(step_text, sizeof step_text, "%s", trim_const(rest + 1)) < (int)sizeof step_text;
		} else if (strncmp(rest, "log", 3) == 0 && (rest[3] == ' ' || rest[3] == '\t')) {
			snprintf(kind, sizeof kind, "log");
			ok = snprintf(step_text, sizeof step_text, "%s", trim_const(rest + 3)) < (int)sizeof step_text;
		} else {
			ok = *rest == '\0';
		}
	}
	if (!ok)
		return fail(p, "malformed range '%s' for %s (valid: " RANGE_FORMS ")", text, what);
	int64_t a, b, step;
	char ignored[256]; /* the range as a whole is refused below, with the forms it may take */
	if (cy_value_int(what, trim(left), 0, INT64_MAX, CY_VALUE_DECIMAL_SUFFIX, &a, ignored, sizeof ignored) != 0 ||
		cy_value_int(what, right, 0, INT64_MAX, CY_VALUE_DECIMAL_SUFFIX, &b, ignored, sizeof ignored) != 0 ||
		cy_value_int(what, step_text, INT64_MIN, INT64_MAX, CY_VALUE_DECIMAL_SUFFIX, &step, ignored, sizeof ignored) != 0 ||
		a > b)
		return fail(p, "malformed range '%s' for %s (valid: " RANGE_FORMS ")", text, what);
	int count = 0;
	if (strcmp(kind, "+") == 0) {
		if (step < 1)
			return fail(p, "range '%s' for %s: the step must be 1 or more (valid: " RANGE_FORMS ")", text, what);
		for (int64_t v = a; v <= b; v += step) {
			if (count == MAX_VALUES)
				return fail(p, "range '%s' for %s gives more than 256 values", text, what);
			values[count++] = v;
		}
	} else if (strcmp(kind, "*") == 0) {
		if (step < 2 || a < 1)
			return fail(p, "range '%s' for %s: *FACTOR needs a factor of 2 or more and A >= 1 (valid: " RANGE_FORMS
				       ")",
				text, what);
		for (int64_t v = a; v <= b; v *= step) {
			if (count == MAX_VALUES)
				return fail(p, "range '%s' for %s gives more than 256 values", text, what);
			values[count++] = v;
			if (v > INT64_MAX / step)
				break;
		}
	} else {
		if (step < 2 || step > MAX_VALUES || a < 1)
			return fail(p, "range '%s' for %s: log COUNT needs 2 <= COUNT <= 256 and A >= 1 (valid: " RANGE_FORMS
				       ")",
				text, what);
		for (int64_t i = 0; i < step; i++) {
			double v = (double)a * pow((double)b / (double)a, (double)i / (double)(step - 1));
			int64_t rounded = i == step - 1 ? b : (int64_t)llround(v);
			if (count == 0 || rounded != values[count - 1])
				values[count++] = rounded;
		}
	}
	return count;
}

/*
 * One item of a list into a->values: a value, or a range (in a quoted
 * value such as a threshold, one of its comma-separated parts may be a
 * range: "100..50000 log 8,10,10"). $NPROC reads as the number of CPUs.
 */
static int add_item(parser *p, axis *a, const char *what, const char *item, int quoted)
{
	char text[512];
	if (substitute_nproc(item, text, sizeof text) != 0)
		return fail(p, "value too long for %s: '%.40s'", what, item);
	if (!strstr(text, ".."))
		return push_value(p, a, what, text);
	/* The part of the value holding the range, and what comes before and after it. */
	char *part = text, *after = "";
	if (quoted) {
		char *dots = strstr(text, "..");
		while (part < dots && strchr(part, ',') && strchr(part, ',') < dots)
			part = strchr(part, ',') + 1;
		char *comma = strchr(dots, ',');
		if (comma) {
			*comma = '\0';
			after = comma + 1;
		}
		if (strstr(after, ".."))
			return fail(p, "two ranges in one value of %s: '%s' (valid: one range per value)", what, item);
	}
	char before[512];
	snprintf(before, sizeof before, "%.*s", (int)(part - text), text);
	int64_t values[MAX_VALUES];
	int count = expand_range(p, what, trim(part), values);
	if (count < 0)
		return -1;
	for (int i = 0; i < count; i++) {
		char value[600];
		snprintf(value, sizeof value, "%s%" PRId64 "%s%s", before, values[i], *after ? "," : "", after);
		if (push_value(p, a, what, value) != 0)
			return -1;
	}
	return 0;
}

/* Split "v1, "v,2", v3" into a->values; -1 with why on an empty list or value. */
static int split_list(parser *p, char *list, axis *a, const char *what)
{
	list = trim(list);
	if (!*list)
		return fail(p, "empty list for %s (valid: one or more values separated by commas)", what, "");
	for (char *s = list;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		char *start = s, *end;
		int quoted = *s == '"';
		if (quoted) {
			start = ++s;
			end = strchr(s, '"');
			if (!end)
				return fail(p, "unclosed '\"' in the list for %s (valid: \"VALUE\", \"VALUE\", ...)", what, "");
			*end = '\0';
			s = end + 1;
			while (*s == ' ' || *s == '\t')
				s++;
			if (*s && *s != ',')
				return fail(p, "text after a quoted value of %s (valid: \"VALUE\", \"VALUE\", ...)", what, "");
		} else {
			s += strcspn(s, ",");
			end = s;
		}
		int more = *s == ',';
		*end = '\0';
		if (more)
			s++;
		char *value = trim(start);
		if (!*value)
			return fail(p, "empty value in the list for %s (valid: one or more values separated by commas)", what,
				"");
		if (add_item(p, a, what, value, quoted) != 0)
			return -1;
		if (!more)
			return 0;
	}
}

static const cy_workload_def *any_workload(void)
{
	size_t n;
	const cy_workload_def *const *all = cy_workloads(&n);
	return n ? all[0] : NULL;
}

/* Check one value of axis a, as `cyclab run` would take it, against workload w. */
static int check_value(parser *p, const axis *a, const cy_workload_def *w, const char *value)
{
	cy_run_config config;
	cy_run_config_init(&config, w);
	char why[512];
	int err;
	if (a->is_param) {
		err = cy_run_set_param(&config, a->name, value, why, sizeof why);
	} else {
		char option[80];
		snprintf(option, sizeof option, "--%s", a->name);
		err = cy_run_apply_option(&config, option, value, why, sizeof why);
	}
	return err ? fail(p, "%s", why, "") : 0;
}

static int is_length_knob(const char *name)
{
	return strcmp(name, "duration") == 0 || strcmp(name, "ops") == 0;
}

/* "set KNOB = LIST" or "param KEY = LIST" into the current block. */
static int parse_assignment(parser *p, char *rest, int is_param)
{
	block *b = p->block_count ? &p->blocks[p->block_count - 1] : &p->global;
	const char *directive = is_param ? "param" : "set";
	char *eq = strchr(rest, '=');
	if (!eq)
		return fail(p, "missing '=' (valid: %s NAME = VALUE, VALUE, ...)", directive, "");
	*eq = '\0';
	char *name = trim(rest);
	if (!*name || strcspn(name, " \t\"") != strlen(name))
		return fail(p, "%s needs one name, unquoted, before '=' (valid: %s NAME = VALUE, VALUE, ...)", directive,
			directive);
	if (is_param && !b->workload)
		return fail(p, "param %s before any workload line (valid: params go in a workload's block)", name, "");
	if (!is_param) {
		int known = 0;
		for (int k = 0; k < KNOB_COUNT; k++)
			known |= strcmp(knob_names[k], name) == 0;
		if (!known) {
			char valid[256] = "";
			for (int k = 0; k < KNOB_COUNT; k++) {
				strcat(valid, k ? ", " : "");
				strcat(valid, knob_names[k]);
			}
			return fail(p, "unknown knob '%s' (valid: %s; workload parameters take 'param KEY = ...')", name,
				valid);
		}
	}
	if (strlen(name) >= sizeof b->axes[0].name)
		return fail(p, "name too long: '%.40s'", name, "");
	for (size_t i = 0; i < b->axis_count; i++) {
		const axis *o = &b->axes[i];
		if (o->is_param == is_param && strcmp(o->name, name) == 0)
			return fail(p, "%s given twice in one block (valid: one list per name)", name, "");
		if (!is_param && !o->is_param && is_length_knob(name) && is_length_knob(o->name))
			return fail(p, "%s and %s both given (valid: a run is timed or counted, one of them)", o->name, name);
	}
	if (b->axis_count == MAX_AXES)
		return fail(p, "more than 32 lists in one block", "", "");
	axis *a = &b->axes[b->axis_count];
	memset(a, 0, sizeof *a);
	snprintf(a->name, sizeof a->name, "%s", name);
	a->is_param = is_param;
	a->line = p->line;
	b->axis_count++;
	if (!is_param && strcmp(name, "threshold") == 0 && !strchr(eq + 1, '"') && strchr(eq + 1, ','))
		return fail(p, "each threshold is three numbers in double quotes, or its commas would split it into "
			       "values (valid: set threshold = \"700,10,10\", \"100,10,10\")",
			"", "");
	if (split_list(p, eq + 1, a, name) != 0)
		return -1;
	const cy_workload_def *w = b->workload ? b->workload : any_workload();
	for (size_t i = 0; i < a->count; i++) {
		if (check_value(p, a, w, a->values[i]) != 0)
			return -1;
	}
	return 0;
}

static int parse_workload(parser *p, char *rest)
{
	char *name = trim(rest);
	if (!*name || strcspn(name, " \t") != strlen(name))
		return fail(p, "workload takes one name, not '%s' (valid: workload NAME; cyclab list names them)", name, "");
	const cy_workload_def *w = cy_workload_find(name);
	if (!w) {
		char valid[512] = "";
		size_t n, used = 0;
		const cy_workload_def *const *all = cy_workloads(&n);
		for (size_t i = 0; i < n && used < sizeof valid; i++)
			used += (size_t)snprintf(valid + used, sizeof valid - used, "%s%s", i ? ", " : "", all[i]->name);
		return fail(p, "unknown workload '%s' (valid: %s)", name, valid);
	}
	if (p->block_count == p->block_cap) {
		size_t cap = p->block_cap ? p->block_cap * 2 : 8;
		block *bigger = realloc(p->blocks, cap * sizeof *bigger);
		if (!bigger)
			return fail(p, "out of memory", "", "");
		p->blocks = bigger;
		p->block_cap = cap;
	}
	block *b = &p->blocks[p->block_count++];
	memset(b, 0, sizeof *b);
	b->workload = w;
	b->line = p->line;
	return 0;
}

static int parse_line(parser *p, char *line)
{
	if (strip_comment(line) != 0)
		return fail(p, "unclosed '\"' (valid: a quoted value ends on its line)", "", "");
	line = trim(line);
	if (!*line)
		return 0;
	size_t word = strcspn(line, " \t=");
	char *rest = line + word;
	if (word == 8 && strncmp(line, "workload", 8) == 0)
		return parse_workload(p, rest);
	if (word == 3 && strncmp(line, "set", 3) == 0)
		return parse_assignment(p, rest, 0);
	if (word == 5 && strncmp(line, "param", 5) == 0)
		return parse_assignment(p, rest, 1);
	line[word] = '\0';
	return fail(p, "unknown directive '%s' (valid: workload NAME, set KNOB = VALUES, param KEY = VALUES, # comment)",
		line, "");
}

/* ---- expansion ------------------------------------------------------------------- */

static void append_slug(char *slug, size_t size, const char *text)
{
	size_t used = strlen(slug);
	if (used + 1 < size)
		slug[used++] = '-';
	for (const char *s = text; *s && used + 1 < size; s++) {
		char c = *s;
		int safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
			   c == '-';
		slug[used++] = safe ? c : '_';
	}
	slug[used] = '\0';
}

static int add_word(cy_suite_cell *cell, const char *text)
{
	char *copy = strdup(text);
	if (!copy)
		return -1;
	cell->words[cell->word_count++] = copy;
	return 0;
}

/* Build the cell for one choice of value per axis; 1 if the runner refuses the combination. */
static int make_cell(parser *p, const block *b, const axis *const *axes, size_t n, const size_t *pick,
	cy_suite_cell *cell)
{
	memset(cell, 0, sizeof *cell);
	cy_run_config_init(&cell->config, b->workload);
	cell->words = calloc(1 + 2 * n, sizeof *cell->words);
	if (!cell->words || add_word(cell, b->workload->name) != 0)
		goto oom;
	snprintf(cell->slug, sizeof cell->slug, "%s", b->workload->name);
	char why[512];
	for (size_t i = 0; i < n; i++) {
		const axis *a = axes[i];
		const char *value = a->values[pick[i]];
		char option[80], text[160];
		if (a->is_param) {
			snprintf(text, sizeof text, "%s=%s", a->name, value);
			if (cy_run_set_param(&cell->config, a->name, value, why, sizeof why) != 0 ||
				add_word(cell, "--param") != 0 || add_word(cell, text) != 0)
				goto oom; /* checked when read: only memory can fail here */
		} else {
			snprintf(option, sizeof option, "--%s", a->name);
			if (cy_run_apply_option(&cell->config, option, value, why, sizeof why) != 0 ||
				add_word(cell, option) != 0 || add_word(cell, value) != 0)
				goto oom;
		}
	}
	/* The slug names the values that vary, knobs in the table's order, then parameters in the workload's:
	 * the same cell gets the same name whatever the order of the file's lines. */
	for (size_t rank = 0; rank < (size_t)KNOB_COUNT + b->workload->param_count; rank++) {
		const char *want = rank < KNOB_COUNT ? knob_names[rank] : b->workload->params[rank - KNOB_COUNT].name;
		for (size_t i = 0; i < n; i++) {
			const axis *a = axes[i];
			if (a->count < 2 || a->is_param != (rank >= KNOB_COUNT) || strcmp(a->name, want) != 0)
				continue;
			char text[160];
			const char *value = a->values[pick[i]];
			if (a->is_param)
				snprintf(text, sizeof text, "%s-%s", a->name, value);
			else if (strcmp(a->name, "threads") == 0)
				snprintf(text, sizeof text, "t%s", value);
			else
				snprintf(text, sizeof text, "%s", value);
			append_slug(cell->slug, sizeof cell->slug, text);
		}
	}
	if (cy_run_validate(&cell->config, why, sizeof why) != 0) {
		if (!p->suite->skip_reason[0])
			snprintf(p->suite->skip_reason, sizeof p->suite->skip_reason, "%s", why);
		cy_suite_cell_free(cell);
		return 1;
	}
	return 0;
oom:
	cy_suite_cell_free(cell);
	return -1;
}

static int expand_block(parser *p, const block *b)
{
	const axis *axes[2 * MAX_AXES];
	size_t n = 0;
	int block_sets_length = 0;
	for (size_t i = 0; i < b->axis_count; i++)
		block_sets_length |= !b->axes[i].is_param && is_length_knob(b->axes[i].name);
	for (size_t i = 0; i < p->global.axis_count; i++) {
		const axis *g = &p->global.axes[i];
		int overridden = block_sets_length && is_length_knob(g->name);
		for (size_t k = 0; k < b->axis_count; k++)
			overridden |= !b->axes[k].is_param && strcmp(b->axes[k].name, g->name) == 0;
		if (!overridden)
			axes[n++] = g;
	}
	for (size_t i = 0; i < b->axis_count; i++)
		axes[n++] = &b->axes[i];
	size_t total = 1;
	for (size_t i = 0; i < n; i++) {
		total *= axes[i]->count;
		if (total > MAX_CELLS) {
			p->line = b->line;
			return fail(p, "workload %s expands to more than 100000 cells", b->workload->name, "");
		}
	}
	cy_suite *s = p->suite;
	cy_suite_cell *bigger = realloc(s->cells, (s->count + total) * sizeof *bigger);
	if (!bigger)
		return fail(p, "out of memory for %s cells", b->workload->name, "");
	s->cells = bigger;
	size_t pick[2 * MAX_AXES] = {0};
	for (size_t k = 0; k < total; k++) {
		size_t rest = k;
		for (size_t i = n; i-- > 0;) {
			pick[i] = rest % axes[i]->count;
			rest /= axes[i]->count;
		}
		cy_suite_cell *cell = &s->cells[s->count];
		int made = make_cell(p, b, axes, n, pick, cell);
		if (made < 0) {
			p->line = b->line;
			return fail(p, "out of memory expanding %s", b->workload->name, "");
		}
		if (made == 1) {
			s->skipped++;
			continue;
		}
		cell->index = s->count++;
	}
	return 0;
}

/* ---- the interface ---------------------------------------------------------------- */

int cy_suite_parse(const char *path, const char *text, cy_suite *suite, char *why, size_t len)
{
	memset(suite, 0, sizeof *suite);
	parser p = {.path = path, .why = why, .len = len, .suite = suite};
	int err = 0;
	char *copy = strdup(text);
	if (!copy) {
		snprintf(why, len, "%s: out of memory", path);
		return -1;
	}
	for (char *line = copy; line && !err;) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		p.line++;
		err = parse_line(&p, line);
		line = next;
	}
	free(copy);
	if (!err && p.block_count == 0) {
		snprintf(why, len, "%s: no workload (valid: at least one 'workload NAME' line; cyclab list names them)",
			path);
		err = -1;
	}
	for (size_t i = 0; i < p.block_count && !err; i++)
		err = expand_block(&p, &p.blocks[i]);
	if (!err && suite->count == 0) {
		snprintf(why, len, "%s: every combination is refused by the runner: %s", path, suite->skip_reason);
		err = -1;
	}
	/* Every cell made explicit, as if no CYCLAB_ variable were set (the command resolves again under its own). */
	char *no_environment[] = {NULL};
	char reason[600];
	if (!err && cy_suite_resolve(suite, no_environment, reason, sizeof reason) != 0) {
		snprintf(why, len, "%s: %s", path, reason);
		err = -1;
	}
	free_block(&p.global);
	for (size_t i = 0; i < p.block_count; i++)
		free_block(&p.blocks[i]);
	free(p.blocks);
	if (err)
		cy_suite_free(suite);
	return err;
}

int cy_suite_load(const char *path, cy_suite *suite, char *why, size_t len)
{
	memset(suite, 0, sizeof *suite);
	/* Opened as a regular file or refused (a FIFO or a device is not waited on): results/input_file.h. */
	char reason[1024];
	size_t used;
	char *text = cy_input_read(path, (size_t)1 << 24, &used, reason, sizeof reason);
	if (!text) {
		snprintf(why, len, "cannot read suite %s (valid: a suite file, such as bench/suites/quick)", reason);
		return -1;
	}
	const char *nul = memchr(text, '\0', used);
	if (nul) {
		int line = 1;
		for (const char *c = text; c < nul; c++)
			line += *c == '\n';
		snprintf(why, len, "%s:%d: a NUL byte (valid: a suite file is text)", path, line);
		free(text);
		return -1;
	}
	int err = cy_suite_parse(path, text, suite, why, len);
	free(text);
	return err;
}

unsigned cy_suite_nproc(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

void cy_suite_free(cy_suite *suite)
{
	for (size_t i = 0; i < suite->count; i++)
		cy_suite_cell_free(&suite->cells[i]);
	free(suite->cells);
	suite->cells = NULL;
	suite->count = 0;
}

int cy_suite_parse_shard(const char *text, unsigned *index, unsigned *count, char *why, size_t len)
{
	/* Both parts through the one number parser: I/N is two plain integers around a slash. */
	char first[32], ignored[160];
	size_t cut = strcspn(text, "/");
	int64_t i = -1, n = 0;
	int ok = text[cut] == '/' && cut < sizeof first;
	if (ok) {
		memcpy(first, text, cut);
		first[cut] = '\0';
		ok = cy_value_int("--shard", text + cut + 1, 1, 1000000, CY_VALUE_NO_SUFFIX, &n, ignored, sizeof ignored) == 0 &&
		     cy_value_int("--shard", first, 0, n - 1, CY_VALUE_NO_SUFFIX, &i, ignored, sizeof ignored) == 0;
	}
	if (!ok) {
		snprintf(why, len, "malformed --shard '%s' (valid: I/N with 0 <= I < N, such as 0/4 ... 3/4)", text);
		return -1;
	}
	*index = (unsigned)i;
	*count = (unsigned)n;
	return 0;
}

void cy_suite_format_duration(double s, char *out, size_t len)
{
	if (s < 60)
		snprintf(out, len, "%.0f s", s);
	else if (s < 3600)
		snprintf(out, len, "%.0f min %02.0f s", floor(s / 60), fmod(s, 60));
	else
		snprintf(out, len, "%.0f h %02.0f min", floor(s / 3600), fmod(floor(s / 60), 60));
}
