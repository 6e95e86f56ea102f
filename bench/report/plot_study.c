/*
 * plot_study.c: figures against the knobs a study varies (plot_study.h).
 *
 * Opening a study reads every cell once: each knob's value becomes a small
 * integer (its value id) and each main figure of each run a double. Value
 * ids are ordered, numerically for a numeric knob and by first appearance
 * for a categorical one, so that sorting cells by ids sorts points along
 * the x axis and keeps a suite's own order of categories. They are found
 * by sorting each knob's values, never by comparing every cell with every
 * other, so opening costs O(cells x knobs x log cells) and drawing a figure
 * O(cells x knobs + cells x log cells): ten thousand cells take moments.
 *
 * Invariants: a point of a figure is the cells whose value ids agree on x
 * and on every series knob; the series knobs are all knobs that vary among
 * the cells drawn, x aside, so the cells of one point agree on every knob.
 * A figure value a run lacks (null, or a pause figure of a run without a
 * pause) is NaN and left out of the point's statistics, never counted as 0.
 */
#include "bench/report/plot_study.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench/results/aggregate.h"

/* More lines or bars than this in one figure are not readable: such a figure is skipped. */
#define MAX_SERIES 24
#define LABEL_MAX 256

const cy_study_figure cy_study_figures[] = {
	{"ops_per_s", "Throughput", "throughput (ops/s)"},
	{"pause_p50_us", "Pause p50", "pause p50 (us)"},
	{"pause_p99_us", "Pause p99", "pause p99 (us)"},
	{"pause_max_us", "Longest pause", "longest pause (us)"},
	{"mmu_1ms", "MMU at 1 ms", "minimum mutator utilisation, 1 ms windows"},
	{"mmu_10ms", "MMU at 10 ms", "minimum mutator utilisation, 10 ms windows"},
	{"gc_time_share", "Collector time share", "collector time / run time"},
	{"collections", "Collections", "collections per run (all generations)"},
	{"peak_rss_bytes", "Peak RSS", "peak resident set (bytes)"},
	{"leaked_objects", "Leaked objects", "objects alive after teardown and a full collection"},
	{"pause_p99_not_preempted_us", "Pause p99, not preempted", "pause p99 over pauses not preempted (us)"},
	{"peak_rss_growth_bytes", "Peak RSS growth", "peak resident set minus that at the run's start (bytes)"},
};
const size_t cy_study_figure_count = sizeof cy_study_figures / sizeof cy_study_figures[0];
enum { FIGURE_COUNT = sizeof cy_study_figures / sizeof cy_study_figures[0] };

const char *const cy_study_fixed_knobs[] = {
	"workload", "threshold0", "threshold1", "threshold2", "threads", "rc", "gc", "alloc", "pause_budget_us",
	"duration_s", "ops", "pin", "shared_rc",
};
const size_t cy_study_fixed_knob_count = sizeof cy_study_fixed_knobs / sizeof cy_study_fixed_knobs[0];
enum { FIXED_KNOBS = sizeof cy_study_fixed_knobs / sizeof cy_study_fixed_knobs[0], KNOB_WORKLOAD = 0 };

/* Where each fixed knob sits in a result (threshold0..2: an index into config.threshold). */
static const char *const fixed_paths[FIXED_KNOBS] = {
	"workload", "config.threshold", "config.threshold", "config.threshold", "config.threads", "config.rc",
	"config.gc", "config.alloc", "config.pause_budget_us", "config.duration_s", "config.ops", "config.pin",
	"config.shared_rc",
};

typedef struct study_knob {
	char *name;
	int numeric;        /* every cell that has it holds a number */
	size_t distinct;    /* how many values */
	char **texts;       /* by value id */
	double *numbers;    /* by value id (NaN when not a number) */
} study_knob;

struct cy_study {
	const cy_plot_input *in;
	size_t cells, knob_count;
	study_knob *knobs;
	size_t *value;      /* [cell * knob_count + knob]: value id */
	size_t *run_start;  /* cells + 1: the runs of cell c are run_start[c] .. run_start[c + 1] - 1 */
	double *figures;    /* [run * FIGURE_COUNT + figure] */
};

/* ---- reading a cell ------------------------------------------------------------------- */

static json_t *knob_json(const cy_study *s, const cy_plot_cell *cell, size_t k)
{
	if (k >= FIXED_KNOBS)
		return json_object_get(cy_plot_get(cell->root, "config.params"), s->knobs[k].name);
	json_t *v = cy_plot_get(cell->root, fixed_paths[k]);
	if (k >= 1 && k <= 3)
		return json_is_array(v) ? json_array_get(v, k - 1) : NULL;
	return v;
}

static double sum_of(json_t *container)
{
	double total = 0;
	int any = 0;
	if (json_is_array(container)) {
		size_t i;
		json_t *v;
		json_array_foreach(container, i, v) {
			if (json_is_number(v)) {
				total += json_number_value(v);
				any = 1;
			}
		}
	} else if (json_is_object(container)) {
		const char *key;
		json_t *v;
		json_object_foreach(container, key, v) {
			if (json_is_number(v)) {
				total += json_number_value(v);
				any = 1;
			}
		}
	}
	return any ? total : NAN;
}

/* Figure f of one run; NaN when the run lacks it. Pause figures need a pause. */
static double run_figure(json_t *run, size_t f)
{
	double pauses = cy_plot_number(run, "pauses.count", 0);
	switch (f) {
	case 0: return cy_plot_number(run, "ops_per_s", NAN);
	case 1: return pauses > 0 ? cy_plot_number(run, "pauses.p50_us", NAN) : NAN;
	case 2: return pauses > 0 ? cy_plot_number(run, "pauses.p99_us", NAN) : NAN;
	case 3: return pauses > 0 ? cy_plot_number(run, "pauses.max_us", NAN) : NAN;
	case 4: return pauses > 0 ? cy_plot_number(run, "pauses.mmu.1ms", NAN) : NAN;
	case 5: return pauses > 0 ? cy_plot_number(run, "pauses.mmu.10ms", NAN) : NAN;
	case 6: {
		double seconds = cy_plot_number(run, "seconds", 0), ms = sum_of(cy_plot_get(run, "gc.phase_ms"));
		return seconds > 0 ? ms / (seconds * 1e3) : NAN;
	}
	case 7: return sum_of(cy_plot_get(run, "gc.collections"));
	case 8: return cy_plot_number(run, "memory.peak_rss_bytes", NAN);
	case 9: return cy_plot_number(run, "leaked_objects", NAN);
	case 10: return pauses > 0 ? cy_plot_number(run, "pauses.not_preempted.p99_us", NAN) : NAN;
	case 11: return cy_plot_number(run, "memory.peak_rss_growth_bytes", NAN);
	}
	return NAN;
}

/* ---- opening ---------------------------------------------------------------------------- */

typedef struct knob_entry {
	char *text;
	double number; /* NaN: not a number */
	size_t cell;
} knob_entry;

static int compare_entry_text(const void *a, const void *b)
{
	const knob_entry *x = a, *y = b;
	int c = strcmp(x->text, y->text);
	return c ? c : (x->cell > y->cell) - (x->cell < y->cell);
}

typedef struct distinct_value {
	size_t first_cell, old_id;
	double number;
} distinct_value;

/* context: non-NULL for a numeric knob (numbers first, in order, then by first appearance). */
static int compare_distinct(const void *a, const void *b, void *context)
{
	const distinct_value *x = a, *y = b;
	if (context) {
		int xn = isnan(x->number), yn = isnan(y->number);
		if (xn != yn)
			return xn - yn; /* missing values last */
		if (!xn && x->number != y->number)
			return (x->number > y->number) - (x->number < y->number);
	}
	return (x->first_cell > y->first_cell) - (x->first_cell < y->first_cell);
}

/* Value ids of knob k for every cell. -1 without memory. */
static int index_knob(cy_study *s, size_t k, knob_entry *entries)
{
	study_knob *knob = &s->knobs[k];
	char text[LABEL_MAX];
	int all_numbers = 1, any_number = 0;
	for (size_t c = 0; c < s->cells; c++) {
		json_t *v = knob_json(s, &s->in->cells[c], k);
		cy_plot_value_text(v, text, sizeof text);
		for (char *p = text; *p; p++) /* one line, one table field, one gnuplot string */
			*p = (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p;
		entries[c] = (knob_entry){.text = strdup(text), .number = json_is_number(v) ? json_number_value(v) : NAN,
			.cell = c};
		if (!entries[c].text)
			return -1;
		if (json_is_number(v))
			any_number = 1;
		else if (v && !json_is_null(v))
			all_numbers = 0;
	}
	knob->numeric = all_numbers && any_number;
	qsort(entries, s->cells, sizeof *entries, compare_entry_text);
	distinct_value *values = malloc((s->cells ? s->cells : 1) * sizeof *values);
	size_t *old_of = malloc((s->cells ? s->cells : 1) * sizeof *old_of);
	if (!values || !old_of) {
		free(values);
		free(old_of);
		return -1;
	}
	size_t n = 0;
	for (size_t i = 0; i < s->cells; i++) {
		if (i == 0 || strcmp(entries[i].text, entries[i - 1].text) != 0) {
			values[n] = (distinct_value){.first_cell = entries[i].cell, .old_id = n, .number = entries[i].number};
			n++;
		}
		old_of[entries[i].cell] = n - 1; /* entries of one text are in cell order: first_cell is the least */
	}
	qsort_r(values, n, sizeof *values, compare_distinct, knob->numeric ? knob : NULL);
	size_t *new_of_old = malloc((n ? n : 1) * sizeof *new_of_old);
	knob->texts = calloc(n ? n : 1, sizeof *knob->texts);
	knob->numbers = malloc((n ? n : 1) * sizeof *knob->numbers);
	int err = !new_of_old || !knob->texts || !knob->numbers ? -1 : 0;
	if (err == 0) {
		knob->distinct = n;
		for (size_t id = 0; id < n; id++) {
			new_of_old[values[id].old_id] = id;
			knob->numbers[id] = values[id].number;
		}
		for (size_t i = 0; i < s->cells; i++) {
			size_t id = new_of_old[old_of[entries[i].cell]];
			s->value[entries[i].cell * s->knob_count + k] = id;
			if (!knob->texts[id]) {
				knob->texts[id] = entries[i].text;
				entries[i].text = NULL;
			}
		}
	}
	free(values);
	free(old_of);
	free(new_of_old);
	return err;
}

/* The knob names: the fixed ones, then each parameter name in order of first appearance. */
static int name_knobs(cy_study *s)
{
	size_t cap = FIXED_KNOBS + 8;
	s->knobs = calloc(cap, sizeof *s->knobs);
	if (!s->knobs)
		return -1;
	for (size_t k = 0; k < FIXED_KNOBS; k++) {
		if (!(s->knobs[k].name = strdup(cy_study_fixed_knobs[k])))
			return -1;
	}
	s->knob_count = FIXED_KNOBS;
	for (size_t c = 0; c < s->cells; c++) {
		json_t *params = cy_plot_get(s->in->cells[c].root, "config.params");
		const char *key;
		json_t *value;
		json_object_foreach(params, key, value) {
			size_t k = FIXED_KNOBS;
			while (k < s->knob_count && strcmp(s->knobs[k].name, key) != 0)
				k++;
			if (k < s->knob_count)
				continue;
			if (s->knob_count == cap) {
				study_knob *grown = realloc(s->knobs, 2 * cap * sizeof *grown);
				if (!grown)
					return -1;
				memset(grown + cap, 0, cap * sizeof *grown);
				s->knobs = grown;
				cap *= 2;
			}
			if (!(s->knobs[s->knob_count].name = strdup(key)))
				return -1;
			s->knob_count++;
		}
	}
	return 0;
}

int cy_study_open(const cy_plot_input *in, cy_study **out, char *why, size_t len)
{
	cy_study *s = calloc(1, sizeof *s);
	*out = NULL;
	if (!s)
		goto no_memory;
	s->in = in;
	s->cells = in->cell_count;
	if (name_knobs(s) != 0)
		goto no_memory;
	s->value = malloc((s->cells ? s->cells : 1) * s->knob_count * sizeof *s->value);
	knob_entry *entries = calloc(s->cells ? s->cells : 1, sizeof *entries);
	int failed = !s->value || !entries;
	for (size_t k = 0; k < s->knob_count && !failed; k++) {
		failed = index_knob(s, k, entries) != 0;
		for (size_t c = 0; c < s->cells; c++) {
			free(entries[c].text);
			entries[c].text = NULL;
		}
	}
	free(entries);
	if (failed)
		goto no_memory;
	s->run_start = malloc((s->cells + 1) * sizeof *s->run_start);
	if (!s->run_start)
		goto no_memory;
	size_t runs = 0;
	for (size_t c = 0; c < s->cells; c++) {
		s->run_start[c] = runs;
		runs += json_array_size(json_object_get(in->cells[c].root, "runs"));
	}
	s->run_start[s->cells] = runs;
	s->figures = malloc((runs ? runs : 1) * FIGURE_COUNT * sizeof *s->figures);
	if (!s->figures)
		goto no_memory;
	for (size_t c = 0; c < s->cells; c++) {
		json_t *array = json_object_get(in->cells[c].root, "runs");
		for (size_t r = s->run_start[c]; r < s->run_start[c + 1]; r++) {
			json_t *run = json_array_get(array, r - s->run_start[c]);
			for (size_t f = 0; f < FIGURE_COUNT; f++)
				s->figures[r * FIGURE_COUNT + f] = run_figure(run, f);
		}
	}
	*out = s;
	return 0;
no_memory:
	cy_study_free(s);
	snprintf(why, len, "out of memory indexing the results");
	return -1;
}

void cy_study_free(cy_study *s)
{
	if (!s)
		return;
	for (size_t k = 0; s->knobs && k < s->knob_count; k++) {
		for (size_t id = 0; s->knobs[k].texts && id < s->knobs[k].distinct; id++)
			free(s->knobs[k].texts[id]);
		free(s->knobs[k].texts);
		free(s->knobs[k].numbers);
		free(s->knobs[k].name);
	}
	free(s->knobs);
	free(s->value);
	free(s->run_start);
	free(s->figures);
	free(s);
}

/* ---- one figure ------------------------------------------------------------------------ */

static size_t value_of(const cy_study *s, size_t cell, size_t k) { return s->value[cell * s->knob_count + k]; }

static int varies_among(const cy_study *s, const size_t *cells, size_t n, size_t k)
{
	for (size_t i = 1; i < n; i++) {
		if (value_of(s, cells[i], k) != value_of(s, cells[0], k))
			return 1;
	}
	return 0;
}

/* Sorting the cells of a figure: by the series knobs' value ids, then x's. */
typedef struct sort_context {
	const cy_study *study;
	const size_t *order; /* knobs compared, in turn */
	size_t count;
} sort_context;

static int compare_cells(const void *a, const void *b, void *context)
{
	const sort_context *sc = context;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	for (size_t i = 0; i < sc->count; i++) {
		size_t u = value_of(sc->study, x, sc->order[i]), v = value_of(sc->study, y, sc->order[i]);
		if (u != v)
			return (u > v) - (u < v);
	}
	return (x > y) - (x < y);
}

typedef struct point {
	size_t x;      /* value id of the x knob */
	size_t series; /* index into the figure's series */
	cy_aggregate a;
} point;

typedef struct figure_spec {
	size_t x, by, figure; /* by: a knob, or SIZE_MAX */
	const char *name, *title, *subtitle;
} figure_spec;

static void append_text(char *buf, size_t len, size_t *used, const char *a, const char *b)
{
	if (*used + 1 >= len)
		return;
	int n = snprintf(buf + *used, len - *used, "%s%s=%s", *used ? " " : "", a, b);
	if (n > 0)
		*used += (size_t)n < len - *used ? (size_t)n : len - *used - 1;
}

/* A field of the table: tabs, newlines and other control characters become spaces, so every row stays one row. */
static void table_text(FILE *out, const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		putc(*p < 0x20 || *p == 0x7f ? ' ' : *p, out);
}

/* The gnuplot script for the points: lines with error bars, or grouped bars for a categorical x. */
static void write_script(const cy_study *s, cy_gp *gp, const figure_spec *spec, const point *points, size_t count,
	char (*labels)[LABEL_MAX], size_t series)
{
	const study_knob *x = &s->knobs[spec->x];
	FILE *out = gp->script;
	fputs("set datafile separator '\\t'\nset xlabel ", out);
	cy_gp_quote(out, x->name);
	fputs("\nset ylabel ", out);
	cy_gp_quote(out, cy_study_figures[spec->figure].axis);
	fputc('\n', out);
	if (series > 8)
		fputs("set key outside right top font ',8'\n", out);
	/* The y range: from 0 for figures that are never negative; a flat figure gets room around its value. */
	double low = INFINITY, high = -INFINITY;
	for (size_t i = 0; i < count; i++) {
		low = fmin(low, points[i].a.ci_low);
		high = fmax(high, points[i].a.ci_high);
	}
	if (low == high) {
		double room = low != 0 ? fabs(low) * 0.5 : 1;
		fprintf(out, "set yrange [%.9g:%.9g]\n", low >= 0 && low - room < 0 ? 0 : low - room, high + room);
	} else if (low > 0 && high > 10 * low) {
		fputs("set logscale y\nset format y '%g'\n", out);
	} else if (low >= 0) {
		fputs("set yrange [0:*]\n", out);
	}
	if (!(low > 0 && high > 10 * low) && fmax(fabs(low), fabs(high)) >= 1e4)
		fputs("set format y '%.1s%c'\n", out);
	if (x->numeric) {
		double lo = INFINITY, hi = -INFINITY;
		for (size_t i = 0; i < count; i++) {
			lo = fmin(lo, x->numbers[points[i].x]);
			hi = fmax(hi, x->numbers[points[i].x]);
		}
		if (lo > 0 && hi > 10 * lo)
			fputs("set logscale x\nset format x '%g'\n", out);
		else
			fputs("set offsets graph 0.04, graph 0.04, 0, 0\n", out);
		fputs("plot ", out);
		for (size_t k = 0; k < series; k++) {
			fprintf(out, "%s'%s' skip 1 using 1:(strcol(2) eq ", k ? ", \\\n     " : "", gp->data_name);
			cy_gp_quote(out, labels[k]);
			fputs(" ? $4 : NaN):5:6 with yerrorlines lw 2 pt 7 title ", out);
			cy_gp_quote(out, labels[k]);
		}
		fputc('\n', out);
		return;
	}
	/* Categories at 0, 1, 2, ...; series side by side within each. */
	size_t used = 0;
	int *present = calloc(x->distinct ? x->distinct : 1, sizeof *present);
	size_t *slot = malloc((x->distinct ? x->distinct : 1) * sizeof *slot);
	if (present && slot) {
		for (size_t i = 0; i < count; i++)
			present[points[i].x] = 1;
		fputs("category(s) = ", out);
		for (size_t id = 0; id < x->distinct; id++) {
			if (!present[id])
				continue;
			slot[id] = used++;
			fputs("s eq ", out);
			cy_gp_quote(out, x->texts[id]);
			fprintf(out, " ? %zu : ", slot[id]);
		}
		fputs("NaN\nset xtics (", out);
		for (size_t id = 0, shown = 0; id < x->distinct; id++) {
			if (!present[id])
				continue;
			fputs(shown++ ? ", " : "", out);
			cy_gp_quote(out, x->texts[id]);
			fprintf(out, " %zu", slot[id]);
		}
		fputs(")\n", out);
	}
	free(present);
	free(slot);
	double width = 0.8 / (double)(series ? series : 1);
	fprintf(out, "set xrange [-0.6:%g]\nset style fill solid 0.8 border -1\n"
		     "set grid noxtics ytics\nplot ",
		(double)used - 0.4);
	for (size_t k = 0; k < series; k++) {
		double offset = -0.4 + width * ((double)k + 0.5);
		fprintf(out, "%s'%s' skip 1 using (category(strcol(1)) + %g):(strcol(2) eq ", k ? ", \\\n     " : "",
			gp->data_name, offset);
		cy_gp_quote(out, labels[k]);
		fprintf(out, " ? $4 : NaN):5:6:(%g) with boxerrorbars title ", width / 2);
		cy_gp_quote(out, labels[k]);
	}
	fputc('\n', out);
}

/* Does knob k take one value at each value of knob x among the cells (it follows x, as threshold2 may threshold1)? */
static int follows(const cy_study *s, const size_t *cells, size_t n, size_t k, size_t x, size_t *seen)
{
	size_t distinct = s->knobs[x].distinct;
	for (size_t id = 0; id < distinct; id++)
		seen[id] = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		size_t at = value_of(s, cells[i], x), v = value_of(s, cells[i], k);
		if (seen[at] == SIZE_MAX)
			seen[at] = v;
		else if (seen[at] != v)
			return 0;
	}
	return 1;
}

/*
 * Draw spec over the cells given (modified: sorted). *drawn says whether a
 * figure came out; when not, reason says why. -1 with why on failure.
 *
 * The series knobs are those that vary among the cells, x aside, and
 * --by first; a knob that follows x (one value at each x) tells no two
 * cells at one x apart, so it splits nothing and is named in the subtitle
 * instead. Against a numeric x, a series with a single point draws no
 * line: such series are left out (and counted in the subtitle) when
 * another series has two points or more.
 */
static int draw_points(const cy_study *s, size_t *cells, size_t n, const figure_spec *spec, cy_gp *gp, int *drawn,
	char *reason, size_t reason_len, char *why, size_t len)
{
	*drawn = 0;
	size_t *order = malloc((s->knob_count + 1) * sizeof *order), series_knobs = 0;
	size_t *seen = malloc((s->knobs[spec->x].distinct ? s->knobs[spec->x].distinct : 1) * sizeof *seen);
	size_t runs = 0;
	for (size_t i = 0; i < n; i++)
		runs += s->run_start[cells[i] + 1] - s->run_start[cells[i]];
	double *values = malloc((runs ? runs : 1) * sizeof *values);
	point *points = malloc((n ? n : 1) * sizeof *points);
	size_t *series_points = calloc(n ? n : 1, sizeof *series_points), *renumber = malloc((n ? n : 1) * sizeof *renumber);
	char(*labels)[LABEL_MAX] = malloc((n ? n : 1) * sizeof *labels);
	char subtitle[CY_GP_TEXT_MAX], followers[CY_GP_TEXT_MAX] = "";
	size_t followers_used = 0;
	int err = 0;
	if (!order || !seen || !values || !points || !series_points || !renumber || !labels) {
		snprintf(why, len, "out of memory");
		err = -1;
		goto done;
	}
	for (size_t pass = 0; pass < 2; pass++) {
		for (size_t k = 0; k < s->knob_count; k++) {
			int wanted = pass == 0 ? k == spec->by : k != spec->by;
			if (!wanted || k == spec->x || !varies_among(s, cells, n, k))
				continue;
			if (follows(s, cells, n, k, spec->x, seen)) {
				int w = snprintf(followers + followers_used, sizeof followers - followers_used, "%s%s",
					followers_used ? ", " : "", s->knobs[k].name);
				if (w > 0 && (size_t)w < sizeof followers - followers_used)
					followers_used += (size_t)w;
				continue;
			}
			order[series_knobs++] = k;
		}
	}
	order[series_knobs] = spec->x;
	sort_context context = {.study = s, .order = order, .count = series_knobs + 1};
	qsort_r(cells, n, sizeof *cells, compare_cells, &context);
	size_t count = 0, series = 0, series_cell = 0; /* series_cell: a cell of the last series */
	for (size_t i = 0; i < n;) {
		/* The point: cells i .. j - 1, equal on every series knob and on x. */
		size_t j = i + 1, got = 0;
		while (j < n) {
			int same = 1;
			for (size_t o = 0; o <= series_knobs && same; o++)
				same = value_of(s, cells[i], order[o]) == value_of(s, cells[j], order[o]);
			if (!same)
				break;
			j++;
		}
		for (size_t c = i; c < j; c++) {
			for (size_t r = s->run_start[cells[c]]; r < s->run_start[cells[c] + 1]; r++) {
				double v = s->figures[r * FIGURE_COUNT + spec->figure];
				if (isfinite(v))
					values[got++] = v;
			}
		}
		if (got > 0) {
			int new_series = series == 0;
			for (size_t o = 0; o < series_knobs && !new_series; o++)
				new_series = value_of(s, series_cell, order[o]) != value_of(s, cells[i], order[o]);
			if (new_series) {
				size_t used = 0;
				labels[series][0] = '\0';
				for (size_t o = 0; o < series_knobs; o++)
					append_text(labels[series], LABEL_MAX, &used, s->knobs[order[o]].name,
						s->knobs[order[o]].texts[value_of(s, cells[i], order[o])]);
				if (used == 0)
					snprintf(labels[series], LABEL_MAX, "all cells");
				series++;
				series_cell = cells[i];
			}
			point *p = &points[count++];
			p->x = value_of(s, cells[i], spec->x);
			p->series = series - 1;
			series_points[series - 1]++;
			if (cy_aggregate_compute(values, got, &p->a) != 0) {
				snprintf(why, len, "out of memory");
				err = -1;
				goto done;
			}
		}
		i = j;
	}
	/* Single points left out against a numeric x, when some series makes a line. */
	size_t left_out = 0, lines = 0;
	for (size_t k = 0; k < series; k++)
		lines += series_points[k] >= 2;
	if (s->knobs[spec->x].numeric && lines > 0 && lines < series) {
		size_t kept = 0, kept_points = 0;
		for (size_t k = 0; k < series; k++) {
			renumber[k] = series_points[k] >= 2 ? kept : SIZE_MAX;
			if (series_points[k] >= 2) {
				if (kept != k)
					memcpy(labels[kept], labels[k], LABEL_MAX);
				kept++;
			} else {
				left_out++;
			}
		}
		for (size_t i = 0; i < count; i++) {
			if (renumber[points[i].series] == SIZE_MAX)
				continue;
			points[kept_points] = points[i];
			points[kept_points++].series = renumber[points[i].series];
		}
		series = kept;
		count = kept_points;
	}
	if (series > MAX_SERIES) {
		snprintf(reason, reason_len,
			"%zu series (combinations of the other knobs that vary), more than %d: too many lines for one "
			"figure; narrow it with cyclab plot DIR --x %s --y %s --where KNOB=VALUE",
			series, MAX_SERIES, s->knobs[spec->x].name, cy_study_figures[spec->figure].name);
		goto done;
	}
	if (count == 0) {
		snprintf(reason, reason_len, "no run of these cells has %s (no collector pause, or not recorded)",
			cy_study_figures[spec->figure].name);
		goto done;
	}
	size_t used = (size_t)snprintf(subtitle, sizeof subtitle, "%s", spec->subtitle);
	if (followers_used && used < sizeof subtitle)
		used += (size_t)snprintf(subtitle + used, sizeof subtitle - used, "; %s follow%s %s", followers,
			strchr(followers, ',') ? "" : "s", s->knobs[spec->x].name);
	if (left_out && used < sizeof subtitle)
		snprintf(subtitle + used, sizeof subtitle - used, "; %zu configuration%s with one %s value left out",
			left_out, left_out == 1 ? "" : "s", s->knobs[spec->x].name);
	gp->table_data = 1;
	int begun = cy_gp_begin(gp, spec->name, spec->title, subtitle, why, len);
	gp->table_data = 0;
	if (begun != 0) {
		err = -1;
		goto done;
	}
	fputs("x\tseries\tn\tmedian\tci_low\tci_high\n", gp->data);
	const study_knob *x = &s->knobs[spec->x];
	for (size_t i = 0; i < count; i++) {
		const point *p = &points[i];
		if (x->numeric)
			fprintf(gp->data, "%.17g", x->numbers[p->x]);
		else
			table_text(gp->data, x->texts[p->x]);
		fputc('\t', gp->data);
		table_text(gp->data, labels[p->series]);
		fprintf(gp->data, "\t%zu\t%.9g\t%.9g\t%.9g\n", p->a.n, p->a.median, p->a.ci_low, p->a.ci_high);
	}
	write_script(s, gp, spec, points, count, labels, series);
	err = cy_gp_end(gp, why, len);
	*drawn = err == 0;
done:
	free(order);
	free(seen);
	free(values);
	free(points);
	free(series_points);
	free(renumber);
	free(labels);
	return err;
}

/* ---- the default form: every figure against every varied knob, per workload ------------- */

static void name_part(char *out, size_t len, size_t *used, const char *text)
{
	for (const char *p = text; *p && *used + 1 < len; p++) {
		char c = *p;
		int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
			    c == '_';
		out[(*used)++] = plain ? c : '_';
	}
	out[*used] = '\0';
}

int cy_study_draw_all(const cy_study *s, cy_gp *gp, char *why, size_t len)
{
	size_t *cells = malloc((s->cells ? s->cells : 1) * sizeof *cells);
	if (!cells) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	const study_knob *workload = &s->knobs[KNOB_WORKLOAD];
	int err = 0;
	for (size_t w = 0; w < workload->distinct && err == 0; w++) {
		const char *name = workload->texts[w];
		size_t n = 0;
		for (size_t c = 0; c < s->cells; c++) {
			if (value_of(s, c, KNOB_WORKLOAD) == w)
				cells[n++] = c;
		}
		size_t varied = 0;
		for (size_t k = 0; k < s->knob_count && err == 0; k++) {
			if (k == KNOB_WORKLOAD || !varies_among(s, cells, n, k))
				continue;
			varied++;
			for (size_t f = 0; f < FIGURE_COUNT && err == 0; f++) {
				char figure[CY_GP_NAME_MAX], title[CY_GP_TEXT_MAX], subtitle[CY_GP_TEXT_MAX], reason[512];
				size_t used = 0;
				name_part(figure, sizeof figure, &used, "study-");
				name_part(figure, sizeof figure, &used, cy_study_figures[f].name);
				name_part(figure, sizeof figure, &used, "-");
				name_part(figure, sizeof figure, &used, s->knobs[k].name);
				name_part(figure, sizeof figure, &used, "-");
				name_part(figure, sizeof figure, &used, name);
				snprintf(title, sizeof title, "%s against %s: %s", cy_study_figures[f].title, s->knobs[k].name, name);
				snprintf(subtitle, sizeof subtitle,
					"median over the runs of each configuration, bars: 95%% interval of the median "
					"(min to max with 5 runs or fewer)");
				figure_spec spec = {.x = k, .by = SIZE_MAX, .figure = f, .name = figure, .title = title,
					.subtitle = subtitle};
				int drawn;
				err = draw_points(s, cells, n, &spec, gp, &drawn, reason, sizeof reason, why, len);
				if (err == 0 && !drawn)
					cy_gp_skip(gp, figure, "%s", reason);
			}
		}
		if (varied == 0 && err == 0) {
			char figure[CY_GP_NAME_MAX];
			size_t used = 0;
			name_part(figure, sizeof figure, &used, "study-");
			name_part(figure, sizeof figure, &used, name);
			cy_gp_skip(gp, figure, "no knob varies among the %zu cell%s of %s", n, n == 1 ? "" : "s", name);
		}
	}
	free(cells);
	return err;
}

/* ---- the explicit form ------------------------------------------------------------------- */

static size_t find_knob(const cy_study *s, const char *name)
{
	if (strncmp(name, "param.", 6) == 0)
		name += 6;
	for (size_t k = 0; k < s->knob_count; k++) {
		if (strcmp(s->knobs[k].name, name) == 0)
			return k;
	}
	return SIZE_MAX;
}

static void knob_list(const cy_study *s, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t k = 0; k < s->knob_count && used + 1 < len; k++) {
		int n = snprintf(buf + used, len - used, "%s%s", k ? ", " : "", s->knobs[k].name);
		if (n > 0)
			used += (size_t)n < len - used ? (size_t)n : len - used - 1;
	}
}

int cy_study_draw_request(const cy_study *s, const cy_study_request *r, cy_gp *gp, const char *name, char *why,
	size_t len)
{
	char known[1024];
	knob_list(s, known, sizeof known);
	size_t x = find_knob(s, r->x), by = r->by ? find_knob(s, r->by) : SIZE_MAX, figure = SIZE_MAX;
	for (size_t f = 0; f < FIGURE_COUNT; f++) {
		if (strcmp(cy_study_figures[f].name, r->y) == 0)
			figure = f;
	}
	if (x == SIZE_MAX || (r->by && by == SIZE_MAX)) {
		snprintf(why, len, "unknown knob '%s' (valid: %s)", x == SIZE_MAX ? r->x : r->by, known);
		return 2;
	}
	if (figure == SIZE_MAX) {
		size_t used = 0;
		char figures[512] = "";
		for (size_t f = 0; f < FIGURE_COUNT; f++)
			used += (size_t)snprintf(figures + used, sizeof figures - used, "%s%s", f ? ", " : "",
				cy_study_figures[f].name);
		snprintf(why, len, "unknown figure '%s' (valid: %s)", r->y, figures);
		return 2;
	}
	size_t where[CY_STUDY_WHERE_MAX], where_id[CY_STUDY_WHERE_MAX];
	for (size_t i = 0; i < r->where_count; i++) {
		where[i] = find_knob(s, r->where_knob[i]);
		if (where[i] == SIZE_MAX) {
			snprintf(why, len, "unknown knob '%s' in --where (valid: %s)", r->where_knob[i], known);
			return 2;
		}
		const study_knob *k = &s->knobs[where[i]];
		where_id[i] = SIZE_MAX;
		for (size_t id = 0; id < k->distinct; id++) {
			char *end;
			double number = strtod(r->where_value[i], &end);
			if (strcmp(k->texts[id], r->where_value[i]) == 0 ||
				(k->numeric && *r->where_value[i] && !*end && number == k->numbers[id]))
				where_id[i] = id;
		}
		if (where_id[i] == SIZE_MAX) {
			size_t used = 0;
			char values[512] = "";
			for (size_t id = 0; id < k->distinct && used + 1 < sizeof values; id++) {
				int n = snprintf(values + used, sizeof values - used, "%s%s", id ? ", " : "", k->texts[id]);
				if (n > 0)
					used += (size_t)n < sizeof values - used ? (size_t)n : sizeof values - used - 1;
			}
			snprintf(why, len, "no cell has %s=%s (valid values of %s: %s)", k->name, r->where_value[i], k->name,
				values);
			return 2;
		}
	}
	size_t *cells = malloc((s->cells ? s->cells : 1) * sizeof *cells), n = 0;
	if (!cells) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	for (size_t c = 0; c < s->cells; c++) {
		int keep = 1;
		for (size_t i = 0; i < r->where_count && keep; i++)
			keep = value_of(s, c, where[i]) == where_id[i];
		if (keep)
			cells[n++] = c;
	}
	int status = 0;
	if (n == 0) {
		snprintf(why, len, "the --where conditions together keep no cell");
		status = 2;
	} else if (!varies_among(s, cells, n, x)) {
		snprintf(why, len, "knob '%s' does not vary: every cell %shas %s=%s (valid: a knob that takes two values "
				   "or more)",
			s->knobs[x].name, r->where_count ? "kept by --where " : "", s->knobs[x].name,
			s->knobs[x].texts[value_of(s, cells[0], x)]);
		status = 2;
	} else if (by != SIZE_MAX && !varies_among(s, cells, n, by)) {
		snprintf(why, len, "knob '%s' given to --by does not vary: every cell %shas %s=%s", s->knobs[by].name,
			r->where_count ? "kept by --where " : "", s->knobs[by].name,
			s->knobs[by].texts[value_of(s, cells[0], by)]);
		status = 2;
	} else {
		char title[CY_GP_TEXT_MAX], subtitle[CY_GP_TEXT_MAX], reason[512];
		snprintf(title, sizeof title, "%s against %s", cy_study_figures[figure].title, s->knobs[x].name);
		size_t used = 0;
		subtitle[0] = '\0';
		for (size_t i = 0; i < r->where_count; i++)
			append_text(subtitle, sizeof subtitle, &used, s->knobs[where[i]].name,
				s->knobs[where[i]].texts[where_id[i]]);
		snprintf(subtitle + used, sizeof subtitle - used, "%smedian over runs, bars: 95%% interval of the median",
			used ? "; " : "");
		figure_spec spec = {.x = x, .by = by, .figure = figure, .name = name, .title = title, .subtitle = subtitle};
		int drawn;
		status = draw_points(s, cells, n, &spec, gp, &drawn, reason, sizeof reason, why, len);
		if (status == 0 && !drawn) {
			snprintf(why, len, "%s", reason);
			status = 2;
		}
	}
	free(cells);
	return status;
}

void cy_study_print_names(FILE *out)
{
	fputs("Knobs (--x, --by, --where):\n ", out);
	for (size_t k = 0; k < FIXED_KNOBS; k++)
		fprintf(out, "%s %s", k ? "," : "", cy_study_fixed_knobs[k]);
	fputs(",\n  and each workload parameter by its name (param.NAME also works).\n"
	      "Figures (--y):\n",
		out);
	for (size_t f = 0; f < FIGURE_COUNT; f++)
		fprintf(out, "  %-16s %s\n", cy_study_figures[f].name, cy_study_figures[f].axis);
}
