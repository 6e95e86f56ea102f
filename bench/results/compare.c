/*
 * compare.c: `cyclab compare A B` (compare.h says what it reports).
 *
 * The work is in three steps: load both sides whole (bad input is refused
 * before anything is printed, so an error is exactly one line on stderr),
 * group each side's results by cell key and pair the groups, then test
 * every figure of every pair and print the report, as text, as JSON
 * (--json) or both (-o FILE writes the JSON atomically beside the text).
 *
 * Figures that are zero in every run on both sides (atomic operations in a
 * non-atomic mode, lock waits in a lock-free workload) carry no
 * information and are named on one line instead of taking a row each.
 */
#include "bench/results/compare.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bench/results/aggregate.h"
#include "bench/results/atomic_file.h"
#include "bench/results/figures.h"
#include "bench/results/result_read.h"
#include "bench/results/results.h"

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

/* One figure of one matched cell. */
typedef struct figure_row {
	size_t n_a, n_b;
	double median_a, median_b, ratio;
	int tested, significant, zero;
	cy_mann_whitney test;
	const char *verdict;
} figure_row;

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

static int all_zero(const double *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i] != 0)
			return 0;
	}
	return 1;
}

static const char *verdict_of(const cy_figure *figure, const figure_row *row)
{
	if (!row->tested)
		return "missing";
	if (row->test.min_p > CY_COMPARE_ALPHA)
		return "too few runs";
	if (!row->significant)
		return "not significant";
	/* U of A counts pairs where A is larger; B tends larger when A's U is under half the pairs. */
	int b_larger = row->test.u < (double)row->n_a * (double)row->n_b / 2;
	switch (figure->direction) {
	case CY_BETTER_HIGHER: return b_larger ? "better" : "worse";
	case CY_BETTER_LOWER: return b_larger ? "worse" : "better";
	case CY_BETTER_NEITHER: break;
	}
	return "differs";
}

static int compare_figure(const cell_group *a, const cell_group *b, cy_figure_id figure, figure_row *row)
{
	memset(row, 0, sizeof *row);
	double *va = malloc((a->runs ? a->runs : 1) * sizeof *va);
	double *vb = malloc((b->runs ? b->runs : 1) * sizeof *vb);
	int err = !va || !vb ? -1 : 0;
	if (!err) {
		row->n_a = pooled_samples(a, figure, va);
		row->n_b = pooled_samples(b, figure, vb);
		cy_aggregate agg_a, agg_b;
		err |= cy_aggregate_compute(va, row->n_a, &agg_a);
		err |= cy_aggregate_compute(vb, row->n_b, &agg_b);
		row->median_a = agg_a.median;
		row->median_b = agg_b.median;
		row->ratio = row->median_a != 0 ? row->median_b / row->median_a : NAN;
		row->zero = row->n_a && row->n_b && all_zero(va, row->n_a) && all_zero(vb, row->n_b);
		if (!err && row->n_a && row->n_b) {
			err = cy_mann_whitney_test(va, row->n_a, vb, row->n_b, &row->test);
			row->tested = err == 0;
			row->significant = row->tested && row->test.p < CY_COMPARE_ALPHA && row->test.min_p <= CY_COMPARE_ALPHA;
		}
		row->verdict = verdict_of(&cy_figures[figure], row);
	}
	free(va);
	free(vb);
	return err ? -1 : 0;
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

static void print_cell(FILE *out, const cell_group *a, const cell_group *b, const figure_row *rows)
{
	fprintf(out, "\n%s\n", a->key);
	if (strcmp(a->key, b->key) != 0)
		print_key_difference(out, a->key, b->key);
	fprintf(out, "  runs: A %zu%s, B %zu%s\n", a->runs, a->count > 1 ? " (results pooled)" : "", b->runs,
		b->count > 1 ? " (results pooled)" : "");
	fprintf(out, "  %-15s %-7s %10s %10s %7s %8s  %s\n", "figure", "better", "A median", "B median", "B/A", "p",
		"verdict");
	int zeros = 0;
	double min_p = 0;
	for (int f = 0; f < CY_FIGURE_COUNT; f++) {
		const figure_row *row = &rows[f];
		if (row->zero) {
			zeros++;
			continue;
		}
		if (!row->n_a && !row->n_b)
			continue;
		char ma[32], mb[32], ratio[32] = "n/a", p[32] = "-", verdict[64];
		format_value(row->median_a, ma, sizeof ma);
		format_value(row->median_b, mb, sizeof mb);
		if (isfinite(row->ratio))
			snprintf(ratio, sizeof ratio, "%.3f", row->ratio);
		if (row->tested) {
			snprintf(p, sizeof p, row->test.p < 0.0001 ? "<0.0001" : "%.4f", row->test.p);
			min_p = fmax(min_p, row->test.min_p);
		}
		if (row->significant && strcmp(row->verdict, "differs") != 0)
			snprintf(verdict, sizeof verdict, "significant, B %s", row->verdict);
		else if (row->significant)
			snprintf(verdict, sizeof verdict, "significant");
		else
			snprintf(verdict, sizeof verdict, "%s", row->verdict);
		fprintf(out, "  %-15s %-7s %10s %10s %7s %8s  %s\n", cy_figures[f].name,
			cy_figure_direction_name(cy_figures[f].direction), ma, mb, ratio, p, verdict);
	}
	if (zeros) {
		fprintf(out, "  zero in every run of both:");
		for (int f = 0; f < CY_FIGURE_COUNT; f++) {
			if (rows[f].zero)
				fprintf(out, " %s", cy_figures[f].name);
		}
		fputc('\n', out);
	}
	if (min_p > CY_COMPARE_ALPHA)
		fprintf(out,
			"  warning: too few runs to tell: with %zu and %zu runs the smallest p-value possible is %.3f, "
			"above %.2f, so no difference here can be significant (use --repeat 4 or more on both sides)\n",
			rows[CY_FIGURE_OPS_PER_S].n_a, rows[CY_FIGURE_OPS_PER_S].n_b, min_p, CY_COMPARE_ALPHA);
}

/* ---- JSON ------------------------------------------------------------------------------- */

static json_t *number(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *paths_of(const cell_group *g)
{
	json_t *list = json_array();
	for (size_t i = 0; list && i < g->count; i++)
		json_array_append_new(list, json_string(g->members[i]->path));
	return list;
}

static json_t *cell_json(const cell_group *a, const cell_group *b, const figure_row *rows)
{
	json_t *cell = json_object(), *figures = json_array();
	if (!cell || !figures) {
		json_decref(cell);
		json_decref(figures);
		return NULL;
	}
	json_object_set_new(cell, "key", json_string(a->key));
	if (strcmp(a->key, b->key) != 0)
		json_object_set_new(cell, "b_key", json_string(b->key));
	json_object_set_new(cell, "a_results", paths_of(a));
	json_object_set_new(cell, "b_results", paths_of(b));
	json_object_set_new(cell, "a_runs", json_integer((json_int_t)a->runs));
	json_object_set_new(cell, "b_runs", json_integer((json_int_t)b->runs));
	for (int f = 0; f < CY_FIGURE_COUNT; f++) {
		const figure_row *row = &rows[f];
		json_t *o = json_object();
		if (!o)
			break;
		json_object_set_new(o, "figure", json_string(cy_figures[f].name));
		json_object_set_new(o, "unit", json_string(cy_figures[f].unit));
		json_object_set_new(o, "better", json_string(cy_figure_direction_name(cy_figures[f].direction)));
		json_object_set_new(o, "a_n", json_integer((json_int_t)row->n_a));
		json_object_set_new(o, "b_n", json_integer((json_int_t)row->n_b));
		json_object_set_new(o, "a_median", number(row->median_a));
		json_object_set_new(o, "b_median", number(row->median_b));
		json_object_set_new(o, "ratio", number(row->ratio));
		json_object_set_new(o, "u", row->tested ? number(row->test.u) : json_null());
		json_object_set_new(o, "p", row->tested ? number(row->test.p) : json_null());
		json_object_set_new(o, "min_p", row->tested ? number(row->test.min_p) : json_null());
		json_object_set_new(o, "method",
			row->tested ? json_string(row->test.exact ? "exact" : "normal approximation") : json_null());
		json_object_set_new(o, "significant", json_boolean(row->significant));
		json_object_set_new(o, "verdict", json_string(row->verdict));
		json_array_append_new(figures, o);
	}
	json_object_set_new(cell, "figures", figures);
	return cell;
}

static json_t *side_json(const side *s)
{
	json_t *o = json_object();
	if (o) {
		json_object_set_new(o, "path", json_string(s->path));
		json_object_set_new(o, "kind", json_string(s->set.is_directory ? "directory" : "file"));
		json_object_set_new(o, "results", json_integer((json_int_t)s->set.count));
	}
	return o;
}

/* Write document to path through path.tmp and a rename; -1 with why. */
static int write_json_file(const char *path, const json_t *document, char *why, size_t len)
{
	char tmp[4096];
	FILE *out = cy_atomic_open(path, tmp, sizeof tmp, why, len);
	if (!out)
		return -1;
	int failed = json_dumpf(document, out, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) != 0;
	failed |= fputc('\n', out) == EOF;
	return cy_atomic_commit(out, tmp, path, failed, why, len);
}

/* ---- the command -------------------------------------------------------------------------- */

static void print_usage(FILE *out)
{
	fputs("usage: cyclab compare A B [--json] [-o FILE]\n"
	      "\n"
	      "Compares two cyclab-result/1 files, or two `cyclab suite` output directories cell by\n"
	      "cell (matched by workload and configuration; seed, warm-up and repetitions aside).\n"
	      "For each figure: both medians over the runs, the ratio B/A, the two-sided Mann-Whitney\n"
	      "p-value (exact for up to 50 runs in all) and a verdict at the 5% level. With fewer\n"
	      "than 4 runs a side, no difference can be significant: the report says so.\n"
	      "\n"
	      "options:\n"
	      "  --json     print the comparison as JSON (schema cyclab-compare/1) instead of text\n"
	      "  -o FILE    also write the JSON to FILE (atomically)\n"
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

static int run_compare(const char *prog, side *a, side *b, int as_json, const char *output)
{
	/* Pairs of groups: for files the one cell of each, whatever the keys; for directories by key. */
	const cell_group **pairs = calloc(2 * (a->group_count ? a->group_count : 1), sizeof *pairs);
	json_t *cells = json_array(), *only_a = json_array(), *only_b = json_array(), *root = json_object();
	figure_row rows[CY_FIGURE_COUNT];
	char why[1024];
	int status = 0;
	if (!pairs || !cells || !only_a || !only_b || !root) {
		fprintf(stderr, "%s: out of memory\n", prog);
		status = 1;
		goto done;
	}
	size_t count = 0;
	for (size_t g = 0; g < a->group_count; g++) {
		const cell_group *match = a->set.is_directory ? find_group(b, a->groups[g].key) : &b->groups[0];
		if (match) {
			pairs[2 * count] = &a->groups[g];
			pairs[2 * count + 1] = match;
			count++;
		} else {
			json_array_append_new(only_a, json_string(a->groups[g].key));
		}
	}
	for (size_t g = 0; a->set.is_directory && g < b->group_count; g++) {
		if (!find_group(a, b->groups[g].key))
			json_array_append_new(only_b, json_string(b->groups[g].key));
	}
	warn_machines(prog, pairs, count);

	if (!as_json)
		printf("A: %s (%zu result%s)\nB: %s (%zu result%s)\n", a->path, a->set.count, a->set.count == 1 ? "" : "s",
			b->path, b->set.count, b->set.count == 1 ? "" : "s");
	size_t too_few = 0;
	for (size_t i = 0; i < count; i++) {
		for (int f = 0; f < CY_FIGURE_COUNT; f++) {
			if (compare_figure(pairs[2 * i], pairs[2 * i + 1], (cy_figure_id)f, &rows[f]) != 0) {
				fprintf(stderr, "%s: out of memory\n", prog);
				status = 1;
				goto done;
			}
		}
		too_few += rows[CY_FIGURE_OPS_PER_S].tested && rows[CY_FIGURE_OPS_PER_S].test.min_p > CY_COMPARE_ALPHA;
		if (!as_json)
			print_cell(stdout, pairs[2 * i], pairs[2 * i + 1], rows);
		json_array_append_new(cells, cell_json(pairs[2 * i], pairs[2 * i + 1], rows));
	}
	if (!as_json) {
		size_t index;
		json_t *key;
		if (json_array_size(only_a) || json_array_size(only_b))
			putchar('\n');
		json_array_foreach(only_a, index, key)
		{
			printf("only in A: %s\n", json_string_value(key));
		}
		json_array_foreach(only_b, index, key)
		{
			printf("only in B: %s\n", json_string_value(key));
		}
	}
	json_object_set_new(root, "schema", json_string(CY_COMPARE_SCHEMA));
	json_object_set_new(root, "alpha", json_real(CY_COMPARE_ALPHA));
	json_object_set_new(root, "a", side_json(a));
	json_object_set_new(root, "b", side_json(b));
	json_object_set(root, "cells", cells);
	json_object_set(root, "only_in_a", only_a);
	json_object_set(root, "only_in_b", only_b);
	if (as_json) {
		json_dumpf(root, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
		putchar('\n');
	}
	if (output && write_json_file(output, root, why, sizeof why) != 0) {
		fprintf(stderr, "%s: %s\n", prog, why);
		status = 2;
		goto done;
	}
	if (too_few)
		fprintf(stderr,
			"%s: warning: %zu of %zu cells have too few runs for any difference to be significant at 5%%; "
			"use --repeat 4 or more on both sides\n",
			prog, too_few, count);
	if (count == 0) {
		fprintf(stderr, "%s: %s and %s have no cell in common\n", prog, a->path, b->path);
		status = 1;
	}
done:
	free(pairs);
	json_decref(cells);
	json_decref(only_a);
	json_decref(only_b);
	json_decref(root);
	return status;
}

int cy_compare_main(int argc, char **argv)
{
	const char *prog = argv[0], *paths[2] = {NULL, NULL}, *output = NULL;
	int as_json = 0, given = 0;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			print_usage(stdout);
			return 0;
		} else if (strcmp(arg, "--json") == 0) {
			as_json = 1;
		} else if (strcmp(arg, "-o") == 0) {
			if (i + 1 >= argc || !*argv[i + 1]) {
				fprintf(stderr, "%s: -o needs a value (-o FILE)\n", prog);
				return 2;
			}
			output = argv[++i];
		} else if (arg[0] == '-' && arg[1]) {
			fprintf(stderr, "%s: unknown option '%s' (valid: --json, -o FILE, --help)\n", prog, arg);
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
		status = run_compare(prog, &a, &b, as_json, output);
	}
	side_free(&a);
	side_free(&b);
	return status;
}
