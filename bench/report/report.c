/*
 * report.c: the HTML report (report.h).
 *
 * Inline SVG shares one document with the others, so the ids gnuplot
 * writes in each file (its canvas, point symbols, clip paths, filters)
 * would collide: every id, and every reference to one (href="#...",
 * url(#...)), is prefixed with the figure's name. The XML prolog before
 * <svg is dropped (HTML has none), and the SVG's <title> (gnuplot writes
 * "Gnuplot") becomes the figure's title.
 *
 * The machine and Google Benchmark context objects are shown key by key as
 * they stand in the results, so keys other parts of cyclab add appear
 * without this file knowing them.
 */
#include "bench/report/report.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/report/plot.h"
#include "bench/results/atomic_file.h"
#include "bench/results/input_file.h"
#include "bench/version.h"

#define DIR_BUF 4096
#define PATH_BUF (DIR_BUF + 256) /* a directory, a file name of plots.tsv's and a suffix */

/* Set a message (vsnprintf: the text may be cut, never overrun). */
static void say(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t len, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	vsnprintf(why, len, fmt, args);
	va_end(args);
}

/* ---- text ------------------------------------------------------------------------- */

static void html(FILE *out, const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		switch (*p) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		default:
			if (*p >= 0x20 || *p == '\n' || *p == '\t')
				putc(*p, out);
		}
	}
}

/* A number with an SI prefix: 12.9 M, 850 k, 41.6. */
static void si(char *buf, size_t len, double v)
{
	static const char prefixes[] = " kMGT";
	if (!isfinite(v)) {
		snprintf(buf, len, "-");
		return;
	}
	int k = 0;
	while (fabs(v) >= 1000 && k < 4) {
		v /= 1000;
		k++;
	}
	if (k == 0)
		snprintf(buf, len, "%.3g", v);
	else
		snprintf(buf, len, "%.3g %c", v, prefixes[k]);
}

static void cell_number(FILE *out, const char *fmt, double v)
{
	fputs("<td class=\"n\">", out);
	if (isfinite(v))
		fprintf(out, fmt, v);
	else
		fputs("-", out);
	fputs("</td>", out);
}

static void cell_text(FILE *out, const char *text)
{
	fputs("<td>", out);
	html(out, text);
	fputs("</td>", out);
}

/* ---- the parts ---------------------------------------------------------------------- */

static const char stylesheet[] =
	"body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;color:#1d2330;"
	"background:#f6f7f9;margin:0}\n"
	"main{max-width:1180px;margin:0 auto;padding:24px 28px 60px;background:#fff;min-height:100vh}\n"
	"h1{font-size:28px;margin:0 0 4px}h2{font-size:21px;margin:36px 0 10px;border-bottom:2px solid #e3e6ec;"
	"padding-bottom:4px}h3{font-size:16px;margin:22px 0 6px}\n"
	"p.meta{color:#5a6272;margin:0 0 12px}nav a{margin-right:14px;color:#2a5db0;text-decoration:none}\n"
	"table{border-collapse:collapse;margin:8px 0 16px;font-size:13.5px}\n"
	"th,td{padding:4px 9px;border-bottom:1px solid #e3e6ec;text-align:left;vertical-align:top}\n"
	"th{background:#eef1f5;font-weight:600;position:sticky;top:0}tr:nth-child(even) td{background:#fafbfc}\n"
	"td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	"td.bad{color:#b3261e;font-weight:600}code{font:12.5px ui-monospace,'DejaVu Sans Mono',monospace}\n"
	"td code{white-space:nowrap}ol.commands li{margin:4px 0}ol.commands code{white-space:pre-wrap;"
	"word-break:break-all}\n"
	".wide{overflow-x:auto}figure{margin:18px 0 30px;border:1px solid #e3e6ec;border-radius:6px;padding:10px}\n"
	"figure svg{display:block;width:100%;height:auto}figcaption{color:#3b4250;font-size:14px;margin-top:6px}\n"
	"figcaption .file{color:#7a8292;font-size:12.5px}ul.skipped li{margin:3px 0;color:#3b4250}\n";

static void write_head(FILE *out, const cy_plot_input *in)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>cyclab report: ",
		out);
	html(out, in->source);
	fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n", stylesheet);
}

static void write_intro(FILE *out, const cy_plot_input *in)
{
	const char *names[64];
	size_t workloads = cy_plot_workloads(in, names, 64);
	char when[64];
	time_t now = time(NULL);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime(&now));
	fputs("<h1>cyclab report</h1>\n<p class=\"meta\">Results in <code>", out);
	html(out, in->source);
	fprintf(out, "</code>: %zu result%s", in->cell_count, in->cell_count == 1 ? "" : "s");
	if (workloads > 0) {
		fputs(" of ", out);
		for (size_t i = 0; i < workloads; i++) {
			fputs(i ? ", " : "", out);
			html(out, names[i]);
		}
	}
	if (in->micro_count)
		fprintf(out, "; %zu Google Benchmark file%s", in->micro_count, in->micro_count == 1 ? "" : "s");
	fprintf(out, ". Written %s by cyclab %s.</p>\n", when, CY_VERSION);
	fputs("<nav><a href=\"#study\">Study</a><a href=\"#summary\">Summary</a><a href=\"#plots\">Plots</a><a href=\"#machine\">Machine</a>"
	      "<a href=\"#configurations\">Configurations</a></nav>\n",
		out);
}

static void write_summary(FILE *out, const cy_plot_input *in)
{
	fputs("<h2 id=\"summary\">Summary</h2>\n", out);
	if (in->cell_count == 0) {
		fputs("<p>No cyclab result in the input (only micro-benchmarks).</p>\n", out);
		return;
	}
	fputs("<p>One row per cell (result file). Figures are medians over the measured runs; "
	      "the range is the slowest and the fastest run; max pause is over all runs.</p>\n"
	      "<div class=\"wide\"><table id=\"summary-table\">\n<thead><tr><th>workload</th><th>configuration</th>"
	      "<th>runs</th><th>ops/s</th><th>range</th><th>pause p50 (us)</th><th>pause p99 (us)</th>"
	      "<th>max pause (us)</th><th>MMU 10 ms</th><th>peak RSS (MiB)</th><th>leaked objects</th><th>status</th>"
	      "</tr></thead>\n<tbody>\n",
		out);
	for (size_t i = 0; i < in->cell_count; i++) {
		const cy_plot_cell *c = &in->cells[i];
		char label[256], a[32], b[32], range[80];
		json_t *runs = json_object_get(c->root, "runs");
		double lo = INFINITY, hi = -INFINITY, max_pause = NAN;
		for (size_t r = 0; r < json_array_size(runs); r++) {
			json_t *run = json_array_get(runs, r);
			double v = cy_plot_number(run, "ops_per_s", NAN), m = cy_plot_number(run, "pauses.max_us", NAN);
			if (isfinite(v)) {
				lo = fmin(lo, v);
				hi = fmax(hi, v);
			}
			if (isfinite(m))
				max_pause = isfinite(max_pause) ? fmax(max_pause, m) : m;
		}
		cy_plot_label(in, c, NULL, label, sizeof label);
		fputs("<tr>", out);
		cell_text(out, c->workload);
		fputs("<td>", out);
		html(out, label);
		fputs("<br><span class=\"file\"><code>", out);
		html(out, c->name);
		fputs("</code></span></td>", out);
		fprintf(out, "<td class=\"n\">%zu</td>", json_array_size(runs));
		si(a, sizeof a, cy_plot_run_median(c, "ops_per_s", NULL));
		fputs("<td class=\"n\">", out);
		html(out, a);
		fputs("</td>", out);
		si(a, sizeof a, lo);
		si(b, sizeof b, hi);
		snprintf(range, sizeof range, "%s - %s", a, b);
		fputs("<td class=\"n\">", out);
		html(out, isfinite(lo) ? range : "-");
		fputs("</td>", out);
		cell_number(out, "%.1f", cy_plot_run_median(c, "pauses.p50_us", NULL));
		cell_number(out, "%.1f", cy_plot_run_median(c, "pauses.p99_us", NULL));
		cell_number(out, "%.1f", max_pause);
		cell_number(out, "%.3f", cy_plot_run_median(c, "pauses.mmu.10ms", NULL));
		cell_number(out, "%.1f", cy_plot_run_median(c, "memory.peak_rss_bytes", NULL) / 1048576.0);
		double leaked = cy_plot_number(c->root, "summary.leaked_objects", cy_plot_run_median(c, "leaked_objects", NULL));
		fprintf(out, "<td class=\"n%s\">", leaked > 0 ? " bad" : "");
		if (isfinite(leaked))
			fprintf(out, "%.0f", leaked);
		else
			fputs("-", out);
		fputs("</td>", out);
		const char *status = cy_plot_string(c->root, "status", "?");
		fprintf(out, "<td%s>", strcmp(status, "ok") != 0 ? " class=\"bad\"" : "");
		html(out, status);
		if (cy_plot_number(c->root, "summary.disturbed_runs", 0) > 0)
			fprintf(out, " (disturbed: %.0f runs)", cy_plot_number(c->root, "summary.disturbed_runs", 0));
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table></div>\n", out);
}

/* Copy an SVG file into the page: from <svg on, ids prefixed, its <title> replaced. */
static int inline_svg(FILE *out, const char *path, const char *prefix, const char *title)
{
	char ignored[512];
	size_t size;
	char *text = cy_input_read(path, CY_INPUT_MAX_BYTES, &size, ignored, sizeof ignored);
	if (!text)
		return -1;
	const char *p = strstr(text, "<svg");
	if (!p) {
		free(text);
		return -1;
	}
	static const char *const refs[] = {" id=\"", " id='", "href=\"#", "href='#", "url(#"};
	int titled = 0;
	while (*p) {
		if (!titled && strncmp(p, "<title>", 7) == 0) {
			const char *end = strstr(p, "</title>");
			if (end) {
				fputs("<title>", out);
				html(out, title);
				fputs("</title>", out);
				p = end + 8;
				titled = 1;
				continue;
			}
		}
		size_t matched = 0;
		for (size_t r = 0; r < sizeof refs / sizeof refs[0] && !matched; r++) {
			size_t n = strlen(refs[r]);
			if (strncmp(p, refs[r], n) == 0)
				matched = n;
		}
		if (matched) {
			fwrite(p, 1, matched, out);
			fprintf(out, "%s-", prefix);
			p += matched;
			continue;
		}
		putc(*p++, out);
	}
	free(text);
	return 0;
}

/* One line of plots.tsv, split in place into up to four fields. */
static size_t split_tabs(char *line, char **fields, size_t max)
{
	size_t n = 0;
	line[strcspn(line, "\r\n")] = '\0';
	char *p = line;
	while (n < max) {
		fields[n++] = p;
		char *tab = strchr(p, '\t');
		if (!tab)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	return n;
}

/* Study figures (plot_study.h) open the page; their names say which they are. */
static int is_study_figure(const char *name) { return strncmp(name, "study-", 6) == 0; }

/*
 * The figures plots.tsv lists as made, the study figures (study set) or the
 * others; after the others, every figure not drawn with the reason.
 */
static int write_plots(FILE *out, const char *plots_dir, int study, char *why, size_t len)
{
	char path[PATH_BUF], line[2048];
	snprintf(path, sizeof path, "%s/plots.tsv", plots_dir);
	FILE *list = cy_input_open(path, "r", why, len);
	if (!list)
		return -1;
	if (study) {
		fputs("<h2 id=\"study\">Study</h2>\n<p>Each main figure against each knob the cells vary, per workload: "
		      "a line (or a bar) per combination of the other knobs that vary, so no point pools two "
		      "configurations; each point is the median over the runs of one configuration, with the 95% "
		      "interval of that median as error bars (min to max with 5 runs or fewer). The data of each "
		      "is a table beside it, <code>NAME.dat</code>.</p>\n",
			out);
	} else {
		fputs("<h2 id=\"plots\">Plots</h2>\n", out);
		fputs("<p>Drawn by <code>cyclab plot</code>; each figure's SVG, PNG, gnuplot script and data are in <code>",
			out);
		html(out, plots_dir);
		fputs("</code>.</p>\n", out);
	}
	size_t made = 0, skipped = 0;
	while (fgets(line, sizeof line, list)) {
		char *f[4];
		size_t n = split_tabs(line, f, 4);
		if (n < 4 || strcmp(f[0], "made") != 0 || is_study_figure(f[1]) != study)
			continue;
		snprintf(path, sizeof path, "%s/%s.svg", plots_dir, f[1]);
		fputs("<figure id=\"fig-", out);
		html(out, f[1]);
		fputs("\">\n", out);
		if (inline_svg(out, path, f[1], f[2]) != 0) {
			say(why, len, "cannot read %s (rerun cyclab plot)", path);
			fclose(list);
			return -1;
		}
		fputs("\n<figcaption><strong>", out);
		html(out, f[2]);
		fputs("</strong>", out);
		if (f[3][0]) {
			fputs(" &mdash; ", out);
			html(out, f[3]);
		}
		fputs(" <span class=\"file\">(", out);
		html(out, f[1]);
		fputs(".svg, .png)</span></figcaption>\n</figure>\n", out);
		made++;
	}
	if (study) {
		if (made == 0)
			fputs("<p>No knob varies among the cells of any workload, or no figure had data.</p>\n", out);
		fclose(list);
		return 0;
	}
	rewind(list);
	while (fgets(line, sizeof line, list)) {
		char *f[3];
		if (split_tabs(line, f, 3) < 3 || strcmp(f[0], "skipped") != 0)
			continue;
		if (skipped++ == 0)
			fputs("<h3>Not drawn</h3>\n<ul class=\"skipped\">\n", out);
		fputs("<li><strong>", out);
		html(out, f[1]);
		fputs("</strong>: ", out);
		html(out, f[2]);
		fputs("</li>\n", out);
	}
	if (skipped)
		fputs("</ul>\n", out);
	if (made == 0)
		fputs("<p>No figure could be drawn from these results.</p>\n", out);
	fclose(list);
	return 0;
}

/*
 * A JSON object as rows of a two-column table: scalars as text, arrays of
 * scalars joined, arrays of objects a line per object, nested objects as
 * rows of their own ("topology.cores").
 */
static void json_rows(FILE *out, json_t *object, const char *prefix)
{
	const char *key;
	json_t *value;
	json_object_foreach(object, key, value) {
		char name[256], text[512];
		snprintf(name, sizeof name, "%s%s", prefix, key);
		if (json_is_object(value)) {
			char nested[260];
			snprintf(nested, sizeof nested, "%s.", name);
			json_rows(out, value, nested);
			continue;
		}
		fputs("<tr><th>", out);
		html(out, name);
		fputs("</th><td>", out);
		if (json_is_array(value) && json_array_size(value) > 0 && json_is_object(json_array_get(value, 0))) {
			/* An array of objects (caches): one line each, "key value" pairs. */
			size_t i;
			json_t *item;
			json_array_foreach(value, i, item) {
				const char *k;
				json_t *v;
				int first = 1;
				json_object_foreach(item, k, v) {
					cy_plot_value_text(v, text, sizeof text);
					fprintf(out, "%s", first ? "" : ", ");
					html(out, k);
					fputs(" ", out);
					html(out, text);
					first = 0;
				}
				fputs("<br>", out);
			}
		} else {
			cy_plot_value_text(value, text, sizeof text);
			html(out, text);
		}
		fputs("</td></tr>\n", out);
	}
}

/*
 * Two cells were measured on the same machine when their machine objects
 * agree except for the core-to-core round trip, which each run measures
 * afresh (bench/harness/core_latency.h): shown as a range instead.
 */
static int same_machine(const json_t *a, const json_t *b)
{
	if (!json_is_object(a) || !json_is_object(b))
		return json_equal(a, b);
	json_t *ca = json_copy((json_t *)a), *cb = json_copy((json_t *)b);
	int same = 0;
	if (ca && cb) {
		json_object_del(ca, "core_round_trip");
		json_object_del(cb, "core_round_trip");
		same = json_equal(ca, cb);
	}
	json_decref(ca);
	json_decref(cb);
	return same;
}

static double round_trip_ns(const json_t *machine)
{
	const json_t *trip = json_object_get(machine, "core_round_trip");
	const json_t *ns = json_is_object(trip) ? json_object_get(trip, "median_ns") : NULL;
	return json_is_number(ns) ? json_number_value(ns) : 0;
}

static void write_machines(FILE *out, const cy_plot_input *in)
{
	fputs("<h2 id=\"machine\">Machine</h2>\n", out);
	/* Distinct machines, each with the cells measured on it. */
	size_t shown = 0;
	for (size_t i = 0; i < in->cell_count; i++) {
		json_t *machine = json_object_get(in->cells[i].root, "machine");
		int seen = 0;
		for (size_t j = 0; j < i && !seen; j++)
			seen = same_machine(machine, json_object_get(in->cells[j].root, "machine"));
		if (seen || !json_is_object(machine))
			continue;
		shown++;
		fputs("<div class=\"wide\"><table class=\"machine\">\n", out);
		json_rows(out, machine, "");
		size_t same = 0, trips = 0;
		double low = 0, high = 0;
		for (size_t j = i; j < in->cell_count; j++) {
			const json_t *other = json_object_get(in->cells[j].root, "machine");
			if (!same_machine(machine, other))
				continue;
			same++;
			double ns = round_trip_ns(other);
			if (ns > 0) {
				low = trips && low < ns ? low : ns;
				high = trips && high > ns ? high : ns;
				trips++;
			}
		}
		if (trips > 1)
			fprintf(out, "<tr><th>core round trip over these results</th><td>%.0f to %.0f ns</td></tr>\n", low,
				high);
		fprintf(out, "<tr><th>results measured here</th><td>%zu of %zu</td></tr>\n</table></div>\n", same,
			in->cell_count);
	}
	if (shown > 1)
		fprintf(out, "<p class=\"bad\">The results come from %zu different machines: compare them with care.</p>\n",
			shown);
	for (size_t m = 0; m < in->micro_count; m++) {
		fputs("<h3>Micro-benchmarks: <code>", out);
		html(out, in->micro[m].stem);
		fputs("</code> (Google Benchmark context)</h3>\n<div class=\"wide\"><table class=\"machine\">\n", out);
		json_rows(out, json_object_get(in->micro[m].root, "context"), "");
		fputs("</table></div>\n", out);
	}
	if (shown == 0 && in->micro_count == 0)
		fputs("<p>The results carry no machine description.</p>\n", out);
}

static void write_configurations(FILE *out, const cy_plot_input *in)
{
	static const struct {
		const char *head, *path;
	} columns[] = {
		{"threads", "config.threads"}, {"rc", "config.rc"}, {"gc", "config.gc"},
		{"threshold", "config.threshold"}, {"pause budget (us)", "config.pause_budget_us"},
		{"alloc", "config.alloc"}, {"duration (s)", "config.duration_s"}, {"ops", "config.ops"},
		{"warmup", "config.warmup"}, {"repeat", "config.repeat"}, {"seed", "config.seed"},
		{"sample (ms)", "config.sample_interval_ms"}, {"build", "build.kind"}, {"counters", "build.counters"},
		{"revision", "version"}, {"started", "started"},
	};
	fputs("<h2 id=\"configurations\">Configurations</h2>\n", out);
	if (in->cell_count == 0) {
		fputs("<p>No cyclab result in the input.</p>\n", out);
		return;
	}
	fputs("<p>Every knob of every cell, defaults included.</p>\n"
	      "<div class=\"wide\"><table id=\"configurations-table\">\n<thead><tr><th>result</th><th>workload</th>",
		out);
	for (size_t k = 0; k < sizeof columns / sizeof columns[0]; k++) {
		fputs("<th>", out);
		html(out, columns[k].head);
		fputs("</th>", out);
	}
	fputs("<th>params</th></tr></thead>\n<tbody>\n", out);
	for (size_t i = 0; i < in->cell_count; i++) {
		const cy_plot_cell *c = &in->cells[i];
		char text[512];
		fputs("<tr><td><code>", out);
		html(out, c->name);
		fputs("</code></td>", out);
		cell_text(out, c->workload);
		for (size_t k = 0; k < sizeof columns / sizeof columns[0]; k++) {
			cy_plot_text(c->root, columns[k].path, text, sizeof text);
			cell_text(out, text);
		}
		fputs("<td>", out);
		const char *key;
		json_t *value;
		int first = 1;
		json_object_foreach(cy_plot_get(c->root, "config.params"), key, value) {
			cy_plot_value_text(value, text, sizeof text);
			fputs(first ? "" : ", ", out);
			html(out, key);
			fputs("=", out);
			html(out, text);
			first = 0;
		}
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table></div>\n<h3>Commands</h3>\n<p>Each result's own command line: running it again "
	      "reproduces the cell.</p>\n<ol class=\"commands\">\n",
		out);
	for (size_t i = 0; i < in->cell_count; i++) {
		fputs("<li><code>", out);
		html(out, cy_plot_string(in->cells[i].root, "command", "-"));
		fputs("</code></li>\n", out);
	}
	fputs("</ol>\n", out);
}

/* ---- the command ---------------------------------------------------------------------- */

/* Are the figures in plots_dir missing or older than the results? */
static int plots_stale(const cy_plot_input *in, const char *plots_dir)
{
	char path[PATH_BUF], line[2048];
	struct stat st;
	snprintf(path, sizeof path, "%s/plots.tsv", plots_dir);
	if (stat(path, &st) != 0 || cy_plot_later(&in->newest_mtime, &st.st_mtim))
		return 1;
	char ignored[512];
	FILE *list = cy_input_open(path, "r", ignored, sizeof ignored);
	if (!list)
		return 1;
	int stale = 0;
	while (!stale && fgets(line, sizeof line, list)) {
		char *f[2];
		if (split_tabs(line, f, 2) < 2 || strcmp(f[0], "made") != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s.svg", plots_dir, f[1]);
		stale = access(path, R_OK) != 0;
	}
	fclose(list);
	return stale;
}

static int write_page(const char *path, const cy_plot_input *in, const char *plots_dir, char *why, size_t len)
{
	char tmp[PATH_BUF], reason[PATH_BUF + 128];
	FILE *out = cy_atomic_open(path, tmp, sizeof tmp, reason, sizeof reason);
	if (!out) {
		say(why, len, "%s (valid: -o FILE in a writable directory)", reason);
		return -1;
	}
	write_head(out, in);
	write_intro(out, in);
	int err = write_plots(out, plots_dir, 1, why, len);
	if (err == 0) {
		write_summary(out, in);
		err = write_plots(out, plots_dir, 0, why, len);
	}
	if (err == 0) {
		write_machines(out, in);
		write_configurations(out, in);
		fputs("</main>\n</body>\n</html>\n", out);
	}
	if (err != 0) {
		/* why already says what went wrong in the page; the temporary goes */
		fclose(out);
		unlink(tmp);
		return -1;
	}
	return cy_atomic_commit(out, tmp, path, 0, why, len);
}

static void usage(FILE *out)
{
	fputs("usage: cyclab report DIR [-o FILE] [--replot]\n"
	      "\n"
	      "Writes one self-contained HTML page (default DIR/report.html) of the results in DIR (a\n"
	      "`cyclab suite` output directory or a result file): the summary table, every figure of\n"
	      "`cyclab plot` inline, the machine and each configuration. The figures are drawn into\n"
	      "DIR/plots first when they are missing or older than the results (--replot: always).\n",
		out);
}

int cy_report_main(int argc, char **argv)
{
	static const cy_plot_command_line line = {.command = "report", .output_value = "FILE",
		.output_what = "a file name", .flag = "--replot", .usage = usage};
	cy_plot_args args;
	int status = cy_plot_parse_command_line(argc, argv, &line, &args);
	if (status >= 0)
		return status;
	const char *input = args.input;
	int replot = args.flag;
	char why[1024], plots_dir[DIR_BUF], page[DIR_BUF];
	cy_plot_input in;
	if (cy_plot_input_load(input, &in, why, sizeof why) != 0) {
		fprintf(stderr, "%s: %s\n", argv[0], why);
		return 2;
	}
	cy_plot_default_dir(input, plots_dir, sizeof plots_dir);
	if (args.output)
		snprintf(page, sizeof page, "%s", args.output);
	else if (in.is_dir)
		snprintf(page, sizeof page, "%s/report.html", input);
	else
		cy_plot_name_beside(input, ".html", page, sizeof page);
	int err = 0;
	if (replot || plots_stale(&in, plots_dir)) {
		cy_gp gp;
		err = cy_gp_open(&gp, plots_dir, why, sizeof why);
		if (err == 0) {
			err = cy_plot_draw(&in, &gp, why, sizeof why);
			cy_gp_close(&gp);
		}
		if (err == 0)
			printf("%s: drew the figures into %s\n", argv[0], plots_dir);
	}
	if (err == 0)
		err = write_page(page, &in, plots_dir, why, sizeof why);
	if (err != 0)
		fprintf(stderr, "%s: %s\n", argv[0], why);
	else
		printf("%s: wrote %s\n", argv[0], page);
	cy_plot_input_free(&in);
	return err ? 2 : 0;
}
