/*
 * compare.c: `cyclab compare A B` (compare.h says what it reports, and
 * compare_stats.h how it judges).
 *
 * The work is in four steps: load both sides whole (bad input is refused
 * before anything is printed, so an error is exactly one line on stderr),
 * group each side's results by cell key and pair the groups, measure every
 * figure of every pair and judge them all as one family (the adjustment
 * needs every p-value before any verdict), then print the report in the
 * format asked for (-o FILE writes the JSON atomically beside it).
 *
 * Figures that are zero in every run on both sides (atomic operations in a
 * non-atomic mode, lock waits in a lock-free workload), or one value in
 * every run of both, carry no information: they are named on one line
 * instead of taking a row each, and are not counted in the family.
 */
#include "bench/results/compare.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "bench/results/aggregate.h"
#include "bench/results/atomic_file.h"
#include "bench/results/figures.h"
#include "bench/results/json_writer.h"
#include "bench/results/result_read.h"
#include "bench/results/results.h"
#include "bench/results/summary_table.h"

/* Results of one side with one cell key: replications of one configuration. */
typedef struct cell_group {
	const char *key;
	const cy_result **members;
	size_t count;
	size_t runs; /* over all members */
} cell_group;

typedef struct side {
	const char *path;
	cy_result_set set;
	cell_group *groups;
	size_t group_count;
} side;

static int group_side(side *s)
{
	s->groups = calloc(s->set.count, sizeof *s->groups);
	if (!s->groups)
		return -1;
	for (size_t i = 0; i < s->set.count; i++) {
		const cy_result *r = &s->set.results[i];
		size_t g = 0;
		while (g < s->group_count && strcmp(s->groups[g].key, r->cell_key) != 0)
			g++;
		cell_group *group = &s->groups[g];
		if (g == s->group_count) {
			group->key = r->cell_key;
			group->members = calloc(s->set.count, sizeof *group->members);
			if (!group->members)
				return -1;
			s->group_count++;
		}
		group->members[group->count++] = r;
		group->runs += r->run_count;
	}
	return 0;
}

static void side_free(side *s)
{
	for (size_t g = 0; g < s->group_count; g++)
		free(s->groups[g].members);
	free(s->groups);
	cy_result_set_free(&s->set);
}

static const cell_group *find_group(const side *s, const char *key)
{
	for (size_t g = 0; g < s->group_count; g++) {
		if (strcmp(s->groups[g].key, key) == 0)
			return &s->groups[g];
	}
	return NULL;
}

/* The finite samples of figure over every member of the group, into out (room for group->runs). */
static size_t pooled_samples(const cell_group *group, cy_figure_id figure, double *out)
{
	size_t n = 0;
	for (size_t i = 0; i < group->count; i++) {
		const cy_result *r = group->members[i];
		const double *samples = cy_result_samples(r, figure);
		for (size_t k = 0; k < r->run_count; k++) {
			if (isfinite(samples[k]))
				out[n++] = samples[k];
		}
	}
	return n;
}

/* ---- text ------------------------------------------------------------------------------ */

/* Four significant digits, with k, M, G, T from ten thousand up. */
static void format_value(double v, char *out, size_t len)
{
	static const char suffix[] = " kMGT";
	if (!isfinite(v)) {
		snprintf(out, len, "n/a");
		return;
	}
	int scale = 0;
	double shown = v;
	while (fabs(shown) >= 1e4 && scale < 4) {
		shown /= 1e3;
		scale++;
	}
	if (scale)
		snprintf(out, len, "%.4g%c", shown, suffix[scale]);
	else
		snprintf(out, len, "%.4g", shown);
}

/* Knobs in one key and not the other: the words of a key (keys separate knobs with spaces). */
static void print_key_difference(FILE *out, const char *a, const char *b)
{
	const char *keys[2] = {a, b};
	for (int k = 0; k < 2; k++) {
		fprintf(out, "  only %s:", k ? "B" : "A");
		const char *other = keys[1 - k];
		for (const char *w = keys[k]; *w;) {
			size_t n = strcspn(w, " ");
			int found = 0;
			for (const char *o = other; *o && !found;) {
				size_t m = strcspn(o, " ");
				found = m == n && strncmp(o, w, n) == 0;
				o += m + (o[m] == ' ');
			}
			if (!found)
				fprintf(out, " %.*s", (int)n, w);
			w += n + (w[n] == ' ');
		}
		fputc('\n', out);
	}
}

/* ---- the comparison as a whole ------------------------------------------------------------ */

typedef enum output_format { FORMAT_TEXT, FORMAT_CSV, FORMAT_MARKDOWN, FORMAT_JSON } output_format;

/* Every comparison of one `cyclab compare`: pairs of cells, each with one comparison per figure. */
typedef struct comparison_set {
	const cell_group **pairs; /* 2 * count: A's group, then B's */
	size_t count;
	cy_comparison *rows; /* [pair * CY_FIGURE_COUNT + figure] */
	uint64_t seed;
	size_t tested, significant;
	double geo_mean[CY_FIGURE_COUNT], geo_low[CY_FIGURE_COUNT], geo_high[CY_FIGURE_COUNT];
	size_t geo_cells[CY_FIGURE_COUNT];
} comparison_set;

static const cy_comparison *row_of(const comparison_set *s, size_t pair, int figure)
{
	return &s->rows[pair * CY_FIGURE_COUNT + (size_t)figure];
}

/* "better", "worse" or "differs" for a significant comparison, by the figure's direction. */
static const char *direction_found(int figure, const cy_comparison *c)
{
	int b_larger = c->ratio > 1;
	switch (cy_figures[figure].direction) {
	case CY_BETTER_HIGHER: return b_larger ? "better" : "worse";
	case CY_BETTER_LOWER: return b_larger ? "worse" : "better";
	case CY_BETTER_NEITHER: break;
	}
	return "differs";
}

/* The verdict for people: "significant, B better", "too few runs (9 a side would do)", ... */
static void verdict_text(int figure, const cy_comparison *c, char *out, size_t len)
{
	if (c->verdict == CY_VERDICT_SIGNIFICANT) {
		const char *found = direction_found(figure, c);
		if (strcmp(found, "differs") == 0)
			snprintf(out, len, "significant");
		else
			snprintf(out, len, "significant, B %s", found);
	} else if (c->runs_needed >= CY_COMPARE_RUNS_CAP) {
		snprintf(out, len, "%s (more than %d runs a side needed)", cy_compare_verdict_name(c->verdict),
			CY_COMPARE_RUNS_CAP - 1);
	} else if (c->runs_needed) {
		snprintf(out, len, "%s (%u runs a side would do)", cy_compare_verdict_name(c->verdict), c->runs_needed);
	} else {
		snprintf(out, len, "%s", cy_compare_verdict_name(c->verdict));
	}
}

static void format_p(double p, char *out, size_t len)
{
	if (!isfinite(p))
		snprintf(out, len, "-");
	else
		snprintf(out, len, p < 0.0001 ? "<0.0001" : "%.4f", p);
}

static void format_ratio(double r, char *out, size_t len)
{
	if (isfinite(r))
		snprintf(out, len, "%.3f", r);
	else
		snprintf(out, len, "n/a");
}

static void format_interval(double low, double high, char *out, size_t len)
{
	if (isfinite(low) && isfinite(high))
		snprintf(out, len, "[%.3f, %.3f]", low, high);
	else
		snprintf(out, len, "-");
}

static void print_method(FILE *out, const comparison_set *s, const char *bullet)
{
	fprintf(out,
		"%smethod: B/A is the ratio of medians, its 95%% interval a percentile bootstrap (%d resamples, seed "
		"%llu); p is the two-sided Mann-Whitney test, adjusted by %s's method over the %zu comparisons "
		"tested; significant when p adjusted < %.2f and the interval excludes 1; unstable when a side's "
		"robust CV (1.4826 MAD / median) exceeds %.2f; peak_rss_bytes depends on the process's history, so it "
		"is shown but not tested (peak_rss_growth_bytes is)\n",
		bullet, CY_COMPARE_BOOTSTRAP, (unsigned long long)s->seed, CY_COMPARE_ADJUSTMENT, s->tested,
		CY_COMPARE_ALPHA, CY_COMPARE_UNSTABLE_CV);
}

/* ---- text ---------------------------------------------------------------------------------- */

static void print_cell_text(FILE *out, const comparison_set *s, size_t pair)
{
	const cell_group *a = s->pairs[2 * pair], *b = s->pairs[2 * pair + 1];
	fprintf(out, "\n%s\n", a->key);
	if (strcmp(a->key, b->key) != 0)
		print_key_difference(out, a->key, b->key);
	fprintf(out, "  runs: A %zu%s, B %zu%s\n", a->runs, a->count > 1 ? " (results pooled)" : "", b->runs,
		b->count > 1 ? " (results pooled)" : "");
	fprintf(out, "  %-26s %-7s %10s %10s %7s %16s %8s %8s  %s\n", "figure", "better", "A median", "B median", "B/A",
		"95% interval", "p", "p adj", "verdict");
	int quiet = 0;
	double min_p = 0;
	for (int f = 0; f < CY_FIGURE_COUNT; f++) {
		const cy_comparison *c = row_of(s, pair, f);
		if (c->verdict == CY_VERDICT_ZERO || c->verdict == CY_VERDICT_CONSTANT) {
			quiet++;
			continue;
		}
		if (c->verdict == CY_VERDICT_MISSING)
			continue;
		char ma[32], mb[32], ratio[32], interval[48], p[32], padj[32], verdict[96];
		format_value(c->median_a, ma, sizeof ma);
		format_value(c->median_b, mb, sizeof mb);
		format_ratio(c->ratio, ratio, sizeof ratio);
		format_interval(c->ci_low, c->ci_high, interval, sizeof interval);
		format_p(c->p, p, sizeof p);
		format_p(c->p_adjusted, padj, sizeof padj);
		verdict_text(f, c, verdict, sizeof verdict);
		if (c->verdict == CY_VERDICT_TOO_FEW)
			min_p = fmax(min_p, c->min_p);
		fprintf(out, "  %-26s %-7s %10s %10s %7s %16s %8s %8s  %s\n", cy_figures[f].name,
			cy_figure_direction_name(cy_figures[f].direction), ma, mb, ratio, interval, p, padj, verdict);
	}
	for (int kind = 0; kind < 2 && quiet; kind++) {
		cy_compare_verdict v = kind ? CY_VERDICT_CONSTANT : CY_VERDICT_ZERO;
		int any = 0;
		for (int f = 0; f < CY_FIGURE_COUNT; f++) {
			if (row_of(s, pair, f)->verdict != v)
				continue;
			if (!any)
				fprintf(out, kind ? "  one value in every run of both:" : "  zero in every run of both:");
			fprintf(out, " %s", cy_figures[f].name);
			any = 1;
		}
		if (any)
			fputc('\n', out);
	}
	if (min_p > 0)
		fprintf(out,
			"  warning: too few runs to tell: with %zu and %zu runs the smallest p-value possible is %.3g, above "
			"%.2g/%zu, the level the smallest p of %zu comparisons must reach\n",
			row_of(s, pair, CY_FIGURE_OPS_PER_S)->n_a, row_of(s, pair, CY_FIGURE_OPS_PER_S)->n_b, min_p,
			CY_COMPARE_ALPHA, s->tested, s->tested);
}

static void print_text(FILE *out, const comparison_set *s)
{
	for (size_t i = 0; i < s->count; i++)
		print_cell_text(out, s, i);
	if (s->count == 0)
		return;
	fprintf(out, "\ngeometric mean of B/A over the cells, per figure:\n");
	fprintf(out, "  %-26s %7s %16s  %s\n", "figure", "B/A", "95% interval", "cells");
	for (int f = 0; f < CY_FIGURE_COUNT; f++) {
		if (!s->geo_cells[f])
			continue;
		char ratio[32], interval[48];
		format_ratio(s->geo_mean[f], ratio, sizeof ratio);
		format_interval(s->geo_low[f], s->geo_high[f], interval, sizeof interval);
		fprintf(out, "  %-26s %7s %16s  %zu\n", cy_figures[f].name, ratio, interval, s->geo_cells[f]);
	}
	fprintf(out, "\n%zu of %zu comparisons significant\n", s->significant, s->tested);
	print_method(out, s, "");
}

/* ---- csv ------------------------------------------------------------------------------------ */

static void csv_number(FILE *out, double v)
{
	if (isfinite(v))
		fprintf(out, ",%.15g", v);
	else
		fputc(',', out);
}

static void print_csv(FILE *out, const comparison_set *s)
{
	fputs("cell,metric,unit,better,a_n,b_n,a_median,b_median,ratio,ci_low,ci_high,p,p_adjusted,significant,"
	      "verdict,runs_needed\n",
		out);
	for (size_t i = 0; i < s->count; i++) {
		for (int f = 0; f < CY_FIGURE_COUNT; f++) {
			const cy_comparison *c = row_of(s, i, f);
			char verdict[96];
			verdict_text(f, c, verdict, sizeof verdict);
			cy_csv_text(out, s->pairs[2 * i]->key);
			fprintf(out, ",%s,%s,%s,%zu,%zu", cy_figures[f].name, cy_figures[f].unit,
				cy_figure_direction_name(cy_figures[f].direction), c->n_a, c->n_b);
			csv_number(out, c->median_a);
			csv_number(out, c->median_b);
			csv_number(out, c->ratio);
			csv_number(out, c->ci_low);
			csv_number(out, c->ci_high);
			csv_number(out, c->p);
			csv_number(out, c->p_adjusted);
			fprintf(out, ",%d,", c->verdict == CY_VERDICT_SIGNIFICANT);
			cy_csv_text(out, verdict);
			fprintf(out, ",%u\n", c->runs_needed);
		}
	}
	for (int f = 0; f < CY_FIGURE_COUNT; f++) {
		if (!s->geo_cells[f])
			continue;
		fprintf(out, "geometric mean,%s,%s,%s,%zu,%zu,,", cy_figures[f].name, cy_figures[f].unit,
			cy_figure_direction_name(cy_figures[f].direction), s->geo_cells[f], s->geo_cells[f]);
		csv_number(out, s->geo_mean[f]);
		csv_number(out, s->geo_low[f]);
		csv_number(out, s->geo_high[f]);
		fputs(",,,,,\n", out);
	}
}

/* ---- markdown ------------------------------------------------------------------------------- */

static void print_markdown(FILE *out, const comparison_set *s)
{
	for (size_t i = 0; i < s->count; i++) {
		const cell_group *a = s->pairs[2 * i], *b = s->pairs[2 * i + 1];
		fprintf(out, "### `%s`\n\n", a->key);
		if (strcmp(a->key, b->key) != 0)
			fprintf(out, "B: `%s`\n\n", b->key);
		fprintf(out, "Runs: A %zu, B %zu.\n\n", a->runs, b->runs);
		fputs("| figure | better | A median | B median | B/A | 95% interval | p | p adj | verdict |\n"
		      "|---|---|--:|--:|--:|--:|--:|--:|---|\n",
			out);
		for (int f = 0; f < CY_FIGURE_COUNT; f++) {
			const cy_comparison *c = row_of(s, i, f);
			if (c->verdict == CY_VERDICT_MISSING || c->verdict == CY_VERDICT_ZERO ||
				c->verdict == CY_VERDICT_CONSTANT)
				continue;
			char ma[32], mb[32], ratio[32], interval[48], p[32], padj[32], verdict[96];
			format_value(c->median_a, ma, sizeof ma);
			format_value(c->median_b, mb, sizeof mb);
			format_ratio(c->ratio, ratio, sizeof ratio);
			format_interval(c->ci_low, c->ci_high, interval, sizeof interval);
			format_p(c->p, p, sizeof p);
			format_p(c->p_adjusted, padj, sizeof padj);
			verdict_text(f, c, verdict, sizeof verdict);
			fprintf(out, "| %s | %s | %s | %s | %s | %s | %s | %s | %s%s%s |\n", cy_figures[f].name,
				cy_figure_direction_name(cy_figures[f].direction), ma, mb, ratio, interval, p, padj,
				c->verdict == CY_VERDICT_SIGNIFICANT ? "**" : "", verdict,
				c->verdict == CY_VERDICT_SIGNIFICANT ? "**" : "");
		}
		fputc('\n', out);
	}
	if (s->count) {
		fputs("### Geometric mean of B/A over the cells\n\n| figure | B/A | 95% interval | cells |\n|---|--:|--:|--:|\n",
			out);
		for (int f = 0; f < CY_FIGURE_COUNT; f++) {
			if (!s->geo_cells[f])
				continue;
			char ratio[32], interval[48];
			format_ratio(s->geo_mean[f], ratio, sizeof ratio);
			format_interval(s->geo_low[f], s->geo_high[f], interval, sizeof interval);
			fprintf(out, "| %s | %s | %s | %zu |\n", cy_figures[f].name, ratio, interval, s->geo_cells[f]);
		}
		fprintf(out, "\n%zu of %zu comparisons significant.\n\n", s->significant, s->tested);
		print_method(out, s, "");
	}
}

/* ---- JSON ------------------------------------------------------------------------------------ */

/* Whether group g of side s has no partner on the other side (only directories can leave one out). */
static int unmatched(const side *s, const side *other, size_t g)
{
	return s->set.is_directory && !find_group(other, s->groups[g].key);
}

static void write_paths(cy_json *j, const char *key, const cell_group *g)
{
	cy_json_begin_array(j, key, 0);
	for (size_t i = 0; i < g->count; i++)
		cy_json_string(j, NULL, g->members[i]->path);
	cy_json_end_array(j);
}

static void write_cell(cy_json *j, const comparison_set *s, size_t pair)
{
	const cell_group *a = s->pairs[2 * pair], *b = s->pairs[2 * pair + 1];
	cy_json_begin_object(j, NULL);
	cy_json_string(j, "key", a->key);
	if (strcmp(a->key, b->key) != 0)
		cy_json_string(j, "b_key", b->key);
	write_paths(j, "a_results", a);
	write_paths(j, "b_results", b);
	cy_json_uint(j, "a_runs", a->runs);
	cy_json_uint(j, "b_runs", b->runs);
	cy_json_begin_array(j, "figures", 0);
	for (int f = 0; f < CY_FIGURE_COUNT; f++) {
		const cy_comparison *c = row_of(s, pair, f);
		char verdict[96];
		verdict_text(f, c, verdict, sizeof verdict);
		cy_json_begin_object(j, NULL);
		cy_json_string(j, "metric", cy_figures[f].name);
		cy_json_string(j, "figure", cy_figures[f].name);
		cy_json_string(j, "unit", cy_figures[f].unit);
		cy_json_string(j, "better", cy_figure_direction_name(cy_figures[f].direction));
		cy_json_uint(j, "a_n", c->n_a);
		cy_json_uint(j, "b_n", c->n_b);
		cy_json_double(j, "a_median", c->median_a);
		cy_json_double(j, "b_median", c->median_b);
		cy_json_double(j, "a_cv", c->cv_a);
		cy_json_double(j, "b_cv", c->cv_b);
		cy_json_double(j, "ratio", c->ratio);
		cy_json_double(j, "ci_low", c->ci_low);
		cy_json_double(j, "ci_high", c->ci_high);
		cy_json_double(j, "u", c->u);
		cy_json_double(j, "p", c->p);
		cy_json_double(j, "min_p", c->min_p);
		cy_json_double(j, "p_adjusted", c->p_adjusted);
		cy_json_bool(j, "significant", c->verdict == CY_VERDICT_SIGNIFICANT);
		cy_json_string(j, "status", cy_compare_verdict_name(c->verdict));
		cy_json_string(j, "verdict", verdict);
		cy_json_int(j, "runs_needed", c->runs_needed);
		cy_json_end_object(j);
	}
	cy_json_end_array(j);
	cy_json_end_object(j);
}

static void write_method(cy_json *j, const comparison_set *s)
{
	cy_json_begin_object(j, "method");
	cy_json_string(j, "ratio", "median(B) / median(A)");
	cy_json_string(j, "interval", CY_COMPARE_CI_METHOD);
	cy_json_double(j, "interval_level", 0.95);
	cy_json_int(j, "bootstrap_resamples", CY_COMPARE_BOOTSTRAP);
	cy_json_uint(j, "seed", s->seed);
	cy_json_string(j, "test", "two-sided Mann-Whitney");
	cy_json_string(j, "adjustment", CY_COMPARE_ADJUSTMENT);
	cy_json_uint(j, "comparisons", s->tested);
	cy_json_double(j, "unstable_cv", CY_COMPARE_UNSTABLE_CV);
	cy_json_end_object(j);
}

static void write_geometric_means(cy_json *j, const comparison_set *s)
{
	cy_json_begin_array(j, "geometric_means", 0);
	for (int f = 0; f < CY_FIGURE_COUNT; f++) {
		if (!s->geo_cells[f])
			continue;
		cy_json_begin_object(j, NULL);
		cy_json_string(j, "metric", cy_figures[f].name);
		cy_json_double(j, "ratio", s->geo_mean[f]);
		cy_json_double(j, "ci_low", s->geo_low[f]);
		cy_json_double(j, "ci_high", s->geo_high[f]);
		cy_json_uint(j, "cells", s->geo_cells[f]);
		cy_json_end_object(j);
	}
	cy_json_end_array(j);
}

static void write_side(cy_json *j, const char *key, const side *s)
{
	cy_json_begin_object(j, key);
	cy_json_string(j, "path", s->path);
	cy_json_string(j, "kind", s->set.is_directory ? "directory" : "file");
	cy_json_uint(j, "results", s->set.count);
	cy_json_end_object(j);
}

static void write_unmatched(cy_json *j, const char *key, const side *s, const side *other)
{
	cy_json_begin_array(j, key, 0);
	for (size_t g = 0; g < s->group_count; g++) {
		if (unmatched(s, other, g))
			cy_json_string(j, NULL, s->groups[g].key);
	}
	cy_json_end_array(j);
}

/* The whole cyclab-compare/2 document to out; 0, or -1 if writing failed. */
static int write_document(FILE *out, const comparison_set *set, const side *a, const side *b)
{
	cy_json j;
	cy_json_init(&j, out);
	cy_json_begin_object(&j, NULL);
	cy_json_string(&j, "schema", CY_COMPARE_SCHEMA);
	cy_json_double(&j, "alpha", CY_COMPARE_ALPHA);
	write_method(&j, set);
	write_side(&j, "a", a);
	write_side(&j, "b", b);
	cy_json_begin_array(&j, "cells", 0);
	for (size_t i = 0; i < set->count; i++)
		write_cell(&j, set, i);
	cy_json_end_array(&j);
	write_geometric_means(&j, set);
	cy_json_uint(&j, "significant", set->significant);
	write_unmatched(&j, "only_in_a", a, b);
	write_unmatched(&j, "only_in_b", b, a);
	cy_json_end_object(&j);
	return cy_json_finish(&j);
}

/* Write the document to path through path.tmp and a rename; -1 with why. */
static int write_document_file(const char *path, const comparison_set *set, const side *a, const side *b, char *why,
	size_t len)
{
	char tmp[4096];
	FILE *out = cy_atomic_open(path, tmp, sizeof tmp, why, len);
	if (!out)
		return -1;
	int failed = write_document(out, set, a, b) != 0;
	return cy_atomic_commit(out, tmp, path, failed, why, len);
}

/* ---- the command -------------------------------------------------------------------------- */

static void print_usage(FILE *out)
{
	fputs("usage: cyclab compare A B [--format text|csv|markdown|json] [--json] [--seed N] [-o FILE]\n"
	      "\n"
	      "Compares two cyclab-result/1 files, or two `cyclab suite` output directories cell by\n"
	      "cell (matched by workload and configuration; seed, warm-up and repetitions aside).\n"
	      "For each figure: both medians over the runs, the ratio B/A with a 95% percentile\n"
	      "bootstrap interval (2000 resamples, seeded), the two-sided Mann-Whitney p-value and\n"
	      "that p-value adjusted by Holm's method over every figure of every cell compared.\n"
	      "A difference is significant when the adjusted p is below 0.05 and the interval\n"
	      "excludes 1; a figure whose runs scatter too much (robust CV above 0.25) is marked\n"
	      "unstable instead, and one with too few runs to reach the adjusted level says how\n"
	      "many would do. peak_rss_bytes includes what the process held before each run, which\n"
	      "differs between two processes, so it is shown but not tested; the run's own growth of\n"
	      "the peak, peak_rss_growth_bytes, is. Then the geometric mean of the ratios per figure\n"
	      "over the cells.\n"
	      "\n"
	      "options:\n"
	      "  --format F  text (default), csv, markdown or json (schema cyclab-compare/2)\n"
	      "  --json      the same as --format json\n"
	      "  --seed N    the bootstrap's seed (default 1): the same inputs and seed, the same intervals\n"
	      "  -o FILE     also write the JSON to FILE (atomically)\n"
	      "\n"
	      "Exit status: 0 compared; 1 the directories have no cell in common; 2 bad input.\n",
		out);
}

/*
 * One stderr line when a matched pair was measured on different machines,
 * and one when on the same machine at core-to-core round trips far apart
 * (a virtual machine whose CPUs the host moved): what threads share cost
 * differently then.
 */
static void warn_machines(const char *prog, const cell_group **pairs, size_t count)
{
	int machines_warned = 0, round_trip_warned = 0;
	for (size_t i = 0; i < count; i++) {
		const cell_group *ga = pairs[2 * i], *gb = pairs[2 * i + 1];
		for (size_t x = 0; x < ga->count; x++) {
			for (size_t y = 0; y < gb->count; y++) {
				const cy_result *ra = ga->members[x], *rb = gb->members[y];
				if (!machines_warned && !cy_result_same_machine(ra, rb)) {
					fprintf(stderr,
						"%s: warning: A and B were measured on different machines (by topology "
						"fingerprint: %s '%s', %s '%s'): differences include the machines'\n",
						prog, ra->path, cy_result_machine_label(ra), rb->path, cy_result_machine_label(rb));
					machines_warned = 1;
				}
				double ta = cy_result_core_round_trip_ns(ra), tb = cy_result_core_round_trip_ns(rb);
				if (!round_trip_warned && ta > 0 && tb > 0 &&
					(ta > tb * CY_ROUND_TRIP_WARN_RATIO || tb > ta * CY_ROUND_TRIP_WARN_RATIO)) {
					fprintf(stderr,
						"%s: warning: a cache line's core-to-core round trip was %.0f ns for %s and "
						"%.0f ns for %s: costs shared between threads differed\n",
						prog, ta, ra->path, tb, rb->path);
					round_trip_warned = 1;
				}
				if (machines_warned && round_trip_warned)
					return;
			}
		}
	}
}

/* Measure every figure of every pair, then judge them as one family; -1 without memory. */
static int measure_all(comparison_set *s)
{
	s->rows = calloc((s->count ? s->count : 1) * CY_FIGURE_COUNT, sizeof *s->rows);
	if (!s->rows)
		return -1;
	for (size_t i = 0; i < s->count; i++) {
		const cell_group *a = s->pairs[2 * i], *b = s->pairs[2 * i + 1];
		double *va = malloc((a->runs ? a->runs : 1) * sizeof *va);
		double *vb = malloc((b->runs ? b->runs : 1) * sizeof *vb);
		int err = !va || !vb;
		for (int f = 0; f < CY_FIGURE_COUNT && !err; f++) {
			size_t n = pooled_samples(a, (cy_figure_id)f, va), m = pooled_samples(b, (cy_figure_id)f, vb);
			/* Each comparison its own stream: the seed, the pair and the figure. */
			uint64_t seed = s->seed * 0x9e3779b97f4a7c15ull + i * CY_FIGURE_COUNT + (uint64_t)f;
			cy_comparison *row = &s->rows[i * CY_FIGURE_COUNT + (size_t)f];
			err = cy_comparison_measure(row, va, n, vb, m, seed, 1) != 0;
			if (!err && cy_figures[f].scope == CY_SCOPE_PROCESS)
				cy_comparison_exclude(row);
		}
		free(va);
		free(vb);
		if (err)
			return -1;
	}
	cy_comparison_decide(s->rows, s->count * CY_FIGURE_COUNT, CY_COMPARE_ALPHA);
	const cy_comparison **items = malloc((s->count ? s->count : 1) * sizeof *items);
	if (!items)
		return -1;
	for (int f = 0; f < CY_FIGURE_COUNT; f++) {
		for (size_t i = 0; i < s->count; i++)
			items[i] = row_of(s, i, f);
		s->geo_cells[f] = cy_geometric_mean(items, s->count, &s->geo_mean[f], &s->geo_low[f], &s->geo_high[f]);
	}
	free(items);
	for (size_t k = 0; k < s->count * CY_FIGURE_COUNT; k++) {
		s->tested += s->rows[k].tested;
		s->significant += s->rows[k].verdict == CY_VERDICT_SIGNIFICANT;
	}
	return 0;
}

static int run_compare(const char *prog, side *a, side *b, output_format format, uint64_t seed, const char *output)
{
	comparison_set set = {.seed = seed};
	/* Pairs of groups: for files the one cell of each, whatever the keys; for directories by key. */
	set.pairs = calloc(2 * (a->group_count ? a->group_count : 1), sizeof *set.pairs);
	char why[1024];
	int status = 0;
	if (!set.pairs) {
		fprintf(stderr, "%s: out of memory\n", prog);
		status = 1;
		goto done;
	}
	for (size_t g = 0; g < a->group_count; g++) {
		const cell_group *match = a->set.is_directory ? find_group(b, a->groups[g].key) : &b->groups[0];
		if (match) {
			set.pairs[2 * set.count] = &a->groups[g];
			set.pairs[2 * set.count + 1] = match;
			set.count++;
		}
	}
	warn_machines(prog, set.pairs, set.count);
	if (measure_all(&set) != 0) {
		fprintf(stderr, "%s: out of memory\n", prog);
		status = 1;
		goto done;
	}
	size_t too_few = 0;
	for (size_t i = 0; i < set.count; i++) {
		int any = 0;
		for (int f = 0; f < CY_FIGURE_COUNT; f++)
			any |= row_of(&set, i, f)->verdict == CY_VERDICT_TOO_FEW;
		too_few += any;
	}
	if (format == FORMAT_TEXT) {
		printf("A: %s (%zu result%s)\nB: %s (%zu result%s)\n", a->path, a->set.count, a->set.count == 1 ? "" : "s",
			b->path, b->set.count, b->set.count == 1 ? "" : "s");
		print_text(stdout, &set);
	} else if (format == FORMAT_CSV) {
		print_csv(stdout, &set);
	} else if (format == FORMAT_MARKDOWN) {
		printf("A: `%s`, B: `%s`\n\n", a->path, b->path);
		print_markdown(stdout, &set);
	}
	if (format == FORMAT_TEXT || format == FORMAT_MARKDOWN) {
		int any = 0;
		for (size_t g = 0; g < a->group_count; g++)
			any |= unmatched(a, b, g);
		for (size_t g = 0; g < b->group_count; g++)
			any |= unmatched(b, a, g);
		if (any)
			putchar('\n');
		for (size_t g = 0; g < a->group_count; g++) {
			if (unmatched(a, b, g))
				printf("only in A: %s\n", a->groups[g].key);
		}
		for (size_t g = 0; g < b->group_count; g++) {
			if (unmatched(b, a, g))
				printf("only in B: %s\n", b->groups[g].key);
		}
	}
	if (format == FORMAT_JSON)
		write_document(stdout, &set, a, b);
	if (output && write_document_file(output, &set, a, b, why, sizeof why) != 0) {
		fprintf(stderr, "%s: %s\n", prog, why);
		status = 2;
		goto done;
	}
	if (too_few)
		fprintf(stderr,
			"%s: warning: %zu of %zu cells have too few runs for some difference to be significant after "
			"adjusting for %zu comparisons; the verdicts say how many runs a side would do\n",
			prog, too_few, set.count, set.tested);
	if (set.count == 0) {
		fprintf(stderr, "%s: %s and %s have no cell in common\n", prog, a->path, b->path);
		status = 1;
	}
done:
	for (size_t k = 0; set.rows && k < set.count * CY_FIGURE_COUNT; k++)
		cy_comparison_free(&set.rows[k]);
	free(set.rows);
	free(set.pairs);
	return status;
}

int cy_compare_main(int argc, char **argv)
{
	const char *prog = argv[0], *paths[2] = {NULL, NULL}, *output = NULL;
	output_format format = FORMAT_TEXT;
	uint64_t seed = CY_COMPARE_SEED;
	int given = 0;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			print_usage(stdout);
			return 0;
		} else if (strcmp(arg, "--json") == 0) {
			format = FORMAT_JSON;
		} else if (strcmp(arg, "--format") == 0 || strcmp(arg, "--seed") == 0 || strcmp(arg, "-o") == 0) {
			if (i + 1 >= argc || !*argv[i + 1]) {
				fprintf(stderr, "%s: %s needs a value (%s)\n", prog, arg,
					arg[2] == 'f' ? "--format text|csv|markdown|json" : arg[2] == 's' ? "--seed N" : "-o FILE");
				return 2;
			}
			const char *value = argv[++i];
			if (arg[1] == 'o') {
				output = value;
			} else if (arg[2] == 's') {
				char *end;
				errno = 0;
				unsigned long long v = strtoull(value, &end, 10);
				if (errno || *end || *value == '-' || end == value) {
					fprintf(stderr, "%s: --seed '%s' is not a count (valid: --seed N, N >= 0)\n", prog, value);
					return 2;
				}
				seed = v;
			} else if (strcmp(value, "text") == 0) {
				format = FORMAT_TEXT;
			} else if (strcmp(value, "csv") == 0) {
				format = FORMAT_CSV;
			} else if (strcmp(value, "markdown") == 0) {
				format = FORMAT_MARKDOWN;
			} else if (strcmp(value, "json") == 0) {
				format = FORMAT_JSON;
			} else {
				fprintf(stderr, "%s: unknown format '%s' (valid: --format text, csv, markdown or json)\n", prog,
					value);
				return 2;
			}
		} else if (arg[0] == '-' && arg[1]) {
			fprintf(stderr, "%s: unknown option '%s' (valid: --format F, --json, --seed N, -o FILE, --help)\n", prog,
				arg);
			return 2;
		} else if (given == 2) {
			fprintf(stderr, "%s: two results to compare, not '%s' after '%s' and '%s'\n", prog, arg, paths[0],
				paths[1]);
			return 2;
		} else {
			paths[given++] = arg;
		}
	}
	if (given < 2) {
		fprintf(stderr, "%s: needs two results, A and B (valid: cyclab compare A.json B.json, or two suite directories)\n",
			prog);
		return 2;
	}
	side a = {.path = paths[0]}, b = {.path = paths[1]};
	char why[1024];
	if (output && cy_results_probe(output, why, sizeof why) != 0) {
		fprintf(stderr, "%s: %s\n", prog, why);
		return 2;
	}
	if (cy_result_load_path(a.path, &a.set, why, sizeof why) != 0 ||
		cy_result_load_path(b.path, &b.set, why, sizeof why) != 0) {
		fprintf(stderr, "%s: %s\n", prog, why);
		side_free(&a);
		return 2;
	}
	int status;
	if (a.set.is_directory != b.set.is_directory) {
		fprintf(stderr, "%s: %s is a %s and %s a %s (valid: two result files or two suite directories)\n", prog,
			a.path, a.set.is_directory ? "directory" : "file", b.path, b.set.is_directory ? "directory" : "file");
		status = 2;
	} else if (group_side(&a) != 0 || group_side(&b) != 0) {
		fprintf(stderr, "%s: out of memory\n", prog);
		status = 1;
	} else {
		status = run_compare(prog, &a, &b, format, seed, output);
	}
	side_free(&a);
	side_free(&b);
	return status;
}
