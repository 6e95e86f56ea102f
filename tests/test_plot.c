/*
 * test_plot.c: the pause distribution of a run (bench/results/stats.c), `cyclab
 * plot` and `cyclab report`.
 *
 * The histogram's ladder and buckets are checked at their edges, and the
 * MMU curve against values worked out by hand for one pause.
 *
 * The commands run on a synthetic suite directory this program writes:
 * hand-made cyclab-result/1 files whose numbers are chosen so that each
 * figure is either clearly drawable or clearly not (one thread count, no
 * pauses, no locks), plus a Google Benchmark file. `cyclab plot` must then
 * make exactly the expected figures (SVG and PNG, non-empty, the SVG with
 * its title) and skip exactly the others with a reason; bad inputs, and
 * gnuplot missing or failing, must exit 2 with one line and leave no
 * figure or temporary file. The report is loaded in headless Chromium
 * (the path configure found, or CYCLAB_CHROMIUM): its DOM must hold the
 * summary table and one inline SVG per figure, and a screenshot must come
 * out as a PNG. Each Chromium run has its own profile directory and a
 * deadline, after which its whole process group is killed
 * (tests/cyclab_binary.c runs every program).
 *
 * The study figures (bench/report/plot_study.h) are checked on the same
 * suite (which figures against which knob, made or skipped) and on a small
 * thresholds study: threshold0 at four values under two collectors, three
 * runs each with pause p99 chosen per run, so that the explicit form's
 * table must hold one row per (threshold0, gc) with the median and interval
 * worked out by hand; names that are not knobs or figures, and a knob that
 * does not vary, must be refused with one line and exit status 2.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "bench/results/stats.h"
#include "tests/cyclab_binary.h"

#ifndef CY_TEST_CHROMIUM
#define CY_TEST_CHROMIUM ""
#endif

static char suite_dir[PATH_MAX];

/* ---- output and files ------------------------------------------------------------------ */

static size_t count_of(const char *text, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Which names list_matching keeps: the study figures, the others, or all. */
enum { ALL_FIGURES, STUDY_FIGURES, OTHER_FIGURES };

/* Names in dir with the suffix (of the figures asked for), sorted, joined by spaces. */
static void list_matching(const char *dir, const char *suffix, int which, char *out, size_t len)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	size_t used = 0;
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		size_t a = strlen(names[i]->d_name), b = strlen(suffix);
		int study = strncmp(names[i]->d_name, "study-", 6) == 0;
		if (which != ALL_FIGURES && study != (which == STUDY_FIGURES))
			;
		else if (a > b && strcmp(names[i]->d_name + a - b, suffix) == 0)
			used += (size_t)snprintf(out + used, len - used, "%s%s", used ? " " : "", names[i]->d_name);
		free(names[i]);
	}
	if (n > 0)
		free(names);
}

static void list_suffix(const char *dir, const char *suffix, char *out, size_t len)
{
	list_matching(dir, suffix, ALL_FIGURES, out, len);
}

/* ---- the synthetic suite --------------------------------------------------------------------- */

typedef struct cell_spec {
	const char *workload, *rc, *gc;
	int threads;
	int locks; /* takes locks */
} cell_spec;

static const cell_spec cells[] = {
	{"linked-cycles", "atomic", "stw", 1, 0},
	{"linked-cycles", "atomic", "stw", 2, 0},
	{"linked-cycles", "biased", "incremental", 1, 0},
	{"linked-cycles", "biased", "incremental", 2, 0},
	{"caches", "atomic", "off", 2, 1},
	{"caches", "biased", "off", 2, 1},
};
enum { CELL_COUNT = sizeof cells / sizeof cells[0] };

/* Figures the data supports, and those it does not (in the order cyclab plot goes through them). */
static const struct {
	const char *name, *title;
} expected_made[] = {
	{"heap-caches", "Heap in use over time: caches"},
	{"heap-linked-cycles", "Heap in use over time: linked-cycles"},
	{"live-caches", "Live objects over time: caches"},
	{"live-linked-cycles", "Live objects over time: linked-cycles"},
	{"locks-caches", "Lock wait and contention: caches"},
	{"micro-micro_rc", "Micro-benchmarks: micro_rc"},
	{"mmu-linked-cycles", "Minimum mutator utilisation: linked-cycles"},
	{"pause-cdf-linked-cycles", "Pause-time distribution (CDF): linked-cycles"},
	{"pause-hist-linked-cycles", "Pause-time histogram: linked-cycles"},
	{"phases-linked-cycles", "Collector time per phase: linked-cycles"},
	{"rc-ops-caches", "Reference-count operations: caches"},
	{"rc-ops-linked-cycles", "Reference-count operations: linked-cycles"},
	{"throughput-linked-cycles", "Throughput against threads: linked-cycles"},
};
enum { MADE_COUNT = sizeof expected_made / sizeof expected_made[0] };

static const char *const expected_skipped[] = {
	"locks-linked-cycles", "throughput-caches", "pause-cdf-caches", "pause-hist-caches", "mmu-caches", "phases-caches",
};
enum { SKIPPED_COUNT = sizeof expected_skipped / sizeof expected_skipped[0] };

/*
 * The study figures of the suite: linked-cycles varies threads, rc and gc
 * (every figure has data), caches varies rc and never collects, so its six
 * pause and MMU figures are skipped and the other six drawn.
 */
static const char *const study_figures[] = {
	"ops_per_s", "pause_p50_us", "pause_p99_us", "pause_max_us", "mmu_1ms", "mmu_10ms", "gc_time_share",
	"collections", "peak_rss_bytes", "leaked_objects", "pause_p99_not_preempted_us", "peak_rss_growth_bytes",
};
enum { STUDY_FIGURES_PER_KNOB = sizeof study_figures / sizeof study_figures[0] };
static const char *const study_knobs_linked_cycles[] = {"threads", "rc", "gc"};
enum {
	STUDY_PAUSE_FIGURES = 6, /* the pause percentiles and MMU: nothing to draw without a collector */
	STUDY_MADE = 3 * STUDY_FIGURES_PER_KNOB + STUDY_FIGURES_PER_KNOB - STUDY_PAUSE_FIGURES,
	STUDY_SKIPPED = STUDY_PAUSE_FIGURES,
	ALL_MADE = MADE_COUNT + STUDY_MADE,
};

static void write_run(FILE *f, const cell_spec *c, int run)
{
	int collects = strcmp(c->gc, "off") != 0;
	double seconds = 0.5, ops = 1e6 * c->threads * (run + 1) * (strcmp(c->rc, "biased") == 0 ? 1.5 : 1.0);
	uint64_t counts[CY_PAUSE_HIST_BUCKETS] = {0};
	if (collects) {
		int shift = strcmp(c->gc, "incremental") == 0 ? -4 : 0; /* incremental pauses are shorter */
		counts[14 + shift] = 50; /* [20, 25) us */
		counts[20 + shift] = 20; /* [80, 100) us */
		counts[31 + shift] = 3;  /* [1, 1.25) ms */
	}
	uint64_t pauses = 0;
	for (int b = 0; b < CY_PAUSE_HIST_BUCKETS; b++)
		pauses += counts[b];
	fprintf(f, "    {\"ops\": %.0f, \"seconds\": %g, \"ops_per_s\": %.1f,\n", ops, seconds, ops / seconds);
	fprintf(f, "     \"pauses\": {\"count\": %llu, \"total_ms\": %g, \"p50_us\": 22, \"p90_us\": 90, \"p99_us\": 1100,"
		   " \"p999_us\": 1100, \"max_us\": %g,\n",
		(unsigned long long)pauses, collects ? 5.0 : 0.0, collects ? 1200.0 : 0.0);
	if (collects)
		fputs("       \"not_preempted\": {\"p50_us\": 22, \"p99_us\": 1000, \"max_us\": 1100},\n", f);
	fprintf(f, "       \"mmu\": {\"1ms\": 0, \"10ms\": %g, \"100ms\": %g}, \"unrecorded\": 0,\n", collects ? 0.8 : 1.0,
		collects ? 0.97 : 1.0);
	fputs("       \"histogram\": {\"bounds_us\": [", f);
	for (int b = 0; b < CY_PAUSE_HIST_BOUNDS; b++)
		fprintf(f, "%s%g", b ? ", " : "", (double)cy_pause_hist_bound_ns(b) / 1e3);
	fputs("], \"counts\": [", f);
	for (int b = 0; b < CY_PAUSE_HIST_BUCKETS; b++)
		fprintf(f, "%s%llu", b ? ", " : "", (unsigned long long)counts[b]);
	fputs("]},\n       \"mmu_curve\": {\"window_ms\": [", f);
	for (int w = 0; w < CY_MMU_CURVE_POINTS; w++)
		fprintf(f, "%s%g", w ? ", " : "", cy_mmu_curve_window_ms[w]);
	fputs("], \"utilisation\": [", f);
	for (int w = 0; w < CY_MMU_CURVE_POINTS; w++)
		fprintf(f, "%s%g", w ? ", " : "", collects ? fmin(1.0, cy_mmu_curve_window_ms[w] / 20.0) : 1.0);
	fputs("]}, \"longest\": []},\n", f);
	fprintf(f, "     \"gc\": {\"collections\": [%d, 2, 0], \"collected\": 1000, \"uncollectable\": 0, \"examined\": 5000,"
		   " \"phase_ms\": {\"stop_world\": %g, \"mark\": %g, \"clear\": %g}},\n",
		collects ? 30 : 0, collects ? 0.5 : 0.0, collects ? 3.0 : 0.0, collects ? 1.5 : 0.0);
	fprintf(f, "     \"rc\": {\"nonatomic_ops\": %.0f, \"atomic_ops\": %.0f, \"merges\": 0, \"merges_queued\": 0,"
		   " \"counted\": true},\n",
		strcmp(c->rc, "biased") == 0 ? 2 * ops : 0.0, strcmp(c->rc, "atomic") == 0 ? 2 * ops : 0.0);
	fprintf(f, "     \"locks\": {\"acquisitions\": %d, \"contended\": %d, \"wait_ns\": %d},\n", c->locks ? 5000 : 0,
		c->locks ? 40 : 0, c->locks ? 2000000 : 0);
	fputs("     \"memory\": {\"peak_rss_bytes\": 8388608, \"peak_rss_scope\": \"run\", \"rss_start_bytes\": 6291456,"
	      " \"peak_rss_growth_bytes\": 2097152, \"pool_bytes_mapped\": 2097152,"
	      " \"live_objects_end\": 0, \"heap_bytes_end\": 0},\n"
	      "     \"leaked_objects\": 0, \"check\": \"ok\", \"metrics\": {},\n"
	      "     \"series\": {\"interval_ms\": 100, \"truncated\": false, \"time_s\": [0, 0.1, 0.2, 0.3, 0.4],"
	      " \"ops\": [0, 1, 2, 3, 4], \"heap_bytes\": [0, 1048576, 2097152, 1572864, 2621440],"
	      " \"live_objects\": [0, 1000, 2500, 2000, 3000]}}",
		f);
}

static void write_cell(int index)
{
	const cell_spec *c = &cells[index];
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/cell-%03d-%s-%s-%s-t%d.json", suite_dir, index, c->workload, c->rc, c->gc,
		c->threads);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "{\"schema\": \"cyclab-result/1\", \"workload\": \"%s\", \"op_name\": \"ring created\",\n"
		   " \"version\": \"test\", \"build\": {\"cyclab\": \"0.1.0\", \"kind\": \"release\", \"counters\": \"on\"},\n"
		   " \"command\": \"cyclab run %s --rc %s --gc %s --threads %d\", \"started\": \"2026-01-01T00:00:00Z\","
		   " \"status\": \"ok\",\n",
		c->workload, c->workload, c->rc, c->gc, c->threads);
	fprintf(f, " \"config\": {\"workload\": \"%s\", \"threads\": %d, \"rc\": \"%s\", \"gc\": \"%s\","
		   " \"threshold\": [700, 10, 10], \"pause_budget_us\": 200, \"alloc\": \"pool\", \"duration_s\": 0.5,"
		   " \"ops\": null, \"seed\": 1, \"warmup\": 0, \"repeat\": 2, \"sample_interval_ms\": 100,"
		   " \"params\": {\"length\": 2}},\n",
		c->workload, c->threads, c->rc, c->gc);
	fputs(" \"machine\": {\"cpu_model\": \"Synthetic CPU 9000\", \"cpus_online\": 2, \"kernel\": \"Linux test\","
	      " \"topology\": {\"packages\": 1, \"cores\": 2, \"pus\": 2, \"numa_nodes\": 1, \"caches\": ["
	      "{\"level\": 1, \"kind\": \"data\", \"size_bytes\": 49152, \"line_bytes\": 64, \"instances\": 2}]}},\n"
	      " \"summary\": {\"runs\": 2},\n \"runs\": [\n",
		f);
	write_run(f, c, 0);
	fputs(",\n", f);
	write_run(f, c, 1);
	fputs("\n ]}\n", f);
	assert_int_equal(fclose(f), 0);
}

static void write_micro(void)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/micro_rc.json", suite_dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"context\": {\"date\": \"2026-01-01T00:00:00+00:00\", \"host_name\": \"testhost\", \"num_cpus\": 2},\n"
	      " \"benchmarks\": [\n",
		f);
	static const char *const names[] = {"rc_pair/private/nonatomic", "rc_pair/private/atomic", "rc_pair/private/biased"};
	static const double ns[] = {1.0, 10.0, 1.1};
	for (int i = 0; i < 3; i++) {
		for (int a = 0; a < 2; a++) {
			fprintf(f, "%s  {\"name\": \"%s_%s\", \"run_name\": \"%s\", \"run_type\": \"aggregate\", \"repetitions\": 5,"
				   " \"aggregate_name\": \"%s\", \"real_time\": %g, \"cpu_time\": %g, \"time_unit\": \"ns\"}",
				i + a ? ",\n" : "", names[i], a ? "median" : "mean", names[i], a ? "median" : "mean",
				ns[i] * (a ? 1 : 1.02), ns[i] * (a ? 1 : 1.02));
		}
	}
	fputs("\n]}\n", f);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	(void)state;
	if (cy_test_cyclab_setup("cyclab-test-plot") != 0)
		return -1;
	cy_test_scratch_path(suite_dir, sizeof suite_dir, "suite");
	return mkdir(suite_dir, 0755);
}

static int teardown(void **state)
{
	(void)state;
	cy_test_remove_tree(cy_test_scratch());
	return 0;
}

static void write_suite(void)
{
	for (int i = 0; i < CELL_COUNT; i++)
		write_cell(i);
	write_micro();
}

/* ---- the pause distribution ---------------------------------------------------------------------- */

#define MS (1000 * 1000ull)

static void pause_histogram_ladder(void **state)
{
	(void)state;
	assert_int_equal(cy_pause_hist_bound_ns(0), 1000);
	assert_int_equal(cy_pause_hist_bound_ns(1), 1250);
	assert_int_equal(cy_pause_hist_bound_ns(5), 3150);
	assert_int_equal(cy_pause_hist_bound_ns(9), 8000);
	assert_int_equal(cy_pause_hist_bound_ns(10), 10000);
	assert_int_equal(cy_pause_hist_bound_ns(36), 4000000);
	assert_int_equal(cy_pause_hist_bound_ns(CY_PAUSE_HIST_BOUNDS - 1), 10000000000ull); /* 10 s */
	for (int i = 1; i < CY_PAUSE_HIST_BOUNDS; i++)
		assert_true(cy_pause_hist_bound_ns(i) > cy_pause_hist_bound_ns(i - 1));
	/* Bucket 0 below the first bound; bucket i from bound i-1 (inclusive) to bound i; the last open. */
	assert_int_equal(cy_pause_hist_bucket(0), 0);
	assert_int_equal(cy_pause_hist_bucket(999), 0);
	assert_int_equal(cy_pause_hist_bucket(1000), 1);
	assert_int_equal(cy_pause_hist_bucket(1249), 1);
	assert_int_equal(cy_pause_hist_bucket(1250), 2);
	assert_int_equal(cy_pause_hist_bucket(9999999999ull), CY_PAUSE_HIST_BOUNDS - 1);
	assert_int_equal(cy_pause_hist_bucket(10000000000ull), CY_PAUSE_HIST_BOUNDS);
	assert_int_equal(cy_pause_hist_bucket(UINT64_MAX), CY_PAUSE_HIST_BUCKETS - 1);
}

static void pause_summary_distribution(void **state)
{
	(void)state;
	/* A 100 ms run: a 2 ms pause at 10 ms, and three short ones far from it. */
	cy_gc_pause pauses[] = {
		{.start_ns = 10 * MS, .duration_ns = 2 * MS},
		{.start_ns = 50 * MS, .duration_ns = 500},
		{.start_ns = 60 * MS, .duration_ns = 1000},
		{.start_ns = 70 * MS, .duration_ns = 1000},
	};
	cy_pause_summary s;
	assert_int_equal(cy_pause_summarize(pauses, 4, 0, 100 * MS, &s), 0);
	uint64_t total = 0;
	for (int b = 0; b < CY_PAUSE_HIST_BUCKETS; b++)
		total += s.histogram[b];
	assert_int_equal(total, 4);
	assert_int_equal(s.histogram[0], 1);                          /* 0.5 us */
	assert_int_equal(s.histogram[1], 2);                          /* 1 us, twice */
	assert_int_equal(s.histogram[cy_pause_hist_bucket(2 * MS)], 1); /* [2, 2.5) ms */
	assert_int_equal(cy_pause_hist_bucket(2 * MS), 34);
	/* The curve agrees with the three fixed windows, which it contains. */
	for (int w = 0; w < CY_MMU_WINDOWS; w++) {
		int found = 0;
		for (int p = 0; p < CY_MMU_CURVE_POINTS; p++) {
			if (cy_mmu_curve_window_ms[p] == cy_mmu_window_ms[w]) {
				assert_true(s.mmu_curve[p] == s.mmu[w]);
				found = 1;
			}
		}
		assert_true(found);
	}
	/*
	 * By hand: a window of w ms or less inside the 2 ms pause is fully paused;
	 * a longer one holds the whole 2 ms (the short pauses are 10 ms and more
	 * away from it, 2.5 us in all). The 20 ms window from 0 holds 2 ms; the
	 * 50 ms window [10, 60] also takes the 0.5 us one (the 1 us at 60 starts
	 * at its end); 100 ms and beyond: the whole run, 2.0025 ms paused.
	 */
	const double want[CY_MMU_CURVE_POINTS] = {
		0, 0, 0, 0, 0, 1 - 2.0 / 5, 1 - 2.0 / 10, 1 - 2.0 / 20, 1 - 2.0005 / 50,
		1 - 2.0025 / 100, 1 - 2.0025 / 100, 1 - 2.0025 / 100, 1 - 2.0025 / 100,
	};
	for (int p = 0; p < CY_MMU_CURVE_POINTS; p++) {
		if (fabs(s.mmu_curve[p] - want[p]) > 1e-9)
			fail_msg("MMU at %g ms: %.9f, expected %.9f", cy_mmu_curve_window_ms[p], s.mmu_curve[p], want[p]);
	}
}

/* ---- cyclab plot --------------------------------------------------------------------------------- */

static void plot_draws_what_the_data_supports(void **state)
{
	(void)state;
	write_suite();
	char out_dir[PATH_MAX + 16], path[PATH_MAX + 128], listing[4096], want[4096];
	cy_test_scratch_path(out_dir, sizeof out_dir, "figures");
	cy_test_outcome o = cy_test_run_cyclab("plot", suite_dir, "-o", out_dir, NULL);
	if (o.status != 0)
		fail_msg("cyclab plot failed (%d): %s", o.status, o.err);
	/* Exactly the expected SVGs and PNGs, and nothing half-written. */
	for (int kind = 0; kind < 2; kind++) {
		const char *suffix = kind ? ".png" : ".svg";
		size_t used = 0;
		for (int i = 0; i < MADE_COUNT; i++)
			used += (size_t)snprintf(want + used, sizeof want - used, "%s%s%s", i ? " " : "", expected_made[i].name,
				suffix);
		list_matching(out_dir, suffix, OTHER_FIGURES, listing, sizeof listing);
		assert_string_equal(listing, want);
	}
	list_suffix(out_dir, ".tmp", listing, sizeof listing);
	assert_string_equal(listing, "");
	for (int i = 0; i < MADE_COUNT; i++) {
		size_t size;
		snprintf(path, sizeof path, "%s/%s.svg", out_dir, expected_made[i].name);
		char *svg = cy_test_slurp(path, &size);
		assert_non_null(svg);
		if (!(strncmp(svg, "<?xml", 5) == 0 || strncmp(svg, "<svg", 4) == 0) || !strstr(svg, "</svg>"))
			fail_msg("%s is not an SVG document", path);
		if (!strstr(svg, expected_made[i].title))
			fail_msg("%s lacks its title '%s'", path, expected_made[i].title);
		free(svg);
		snprintf(path, sizeof path, "%s/%s.png", out_dir, expected_made[i].name);
		char *png = cy_test_slurp(path, &size);
		assert_non_null(png);
		assert_true(size > 1000 && memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
		free(png);
		/* The script and data stay beside the figure, so it can be redrawn by hand. */
		snprintf(path, sizeof path, "%s/%s.gp", out_dir, expected_made[i].name);
		assert_int_equal(access(path, R_OK), 0);
		snprintf(path, sizeof path, "%s/%s.dat", out_dir, expected_made[i].name);
		assert_int_equal(access(path, R_OK), 0);
	}
	/* Every figure skipped is said so, with a reason, on stdout and in plots.tsv. */
	snprintf(path, sizeof path, "%s/plots.tsv", out_dir);
	char *manifest = cy_test_slurp(path, NULL);
	assert_non_null(manifest);
	assert_int_equal(cy_test_count_lines(manifest), ALL_MADE + SKIPPED_COUNT + STUDY_SKIPPED);
	assert_int_equal(count_of(manifest, "made\t"), ALL_MADE);
	assert_int_equal(count_of(manifest, "made\tstudy-"), STUDY_MADE);
	for (int i = 0; i < SKIPPED_COUNT; i++) {
		char line[128];
		snprintf(line, sizeof line, "skipped\t%s\t", expected_skipped[i]);
		if (!strstr(manifest, line))
			fail_msg("plots.tsv does not list %s as skipped:\n%s", expected_skipped[i], manifest);
		snprintf(line, sizeof line, "skipped  %s", expected_skipped[i]);
		if (!strstr(o.out, line))
			fail_msg("stdout does not report %s as skipped:\n%s", expected_skipped[i], o.out);
	}
	assert_non_null(strstr(manifest, "all measured cells of caches ran with 2 threads"));
	assert_non_null(strstr(manifest, "no collector ran (gc off in every cell of caches)"));
	assert_non_null(strstr(manifest, "linked-cycles took no counted lock"));
	assert_non_null(strstr(o.out, "55 figures (SVG and PNG)"));
	assert_non_null(strstr(o.out, "12 skipped"));
	/* Each CDF reaches 100%: one line per configuration, never pooled over threads or counting modes. */
	snprintf(path, sizeof path, "%s/pause-cdf-linked-cycles.dat", out_dir);
	char *cdf = cy_test_slurp(path, NULL);
	assert_non_null(cdf);
	assert_int_equal(count_of(cdf, " 100\n"), 4);
	assert_non_null(strstr(cdf, "# rc=atomic gc=stw threads=1:"));
	assert_non_null(strstr(cdf, "# rc=atomic gc=stw threads=2:"));
	assert_non_null(strstr(cdf, "# rc=biased gc=incremental threads=1:"));
	assert_non_null(strstr(cdf, "# rc=biased gc=incremental threads=2:"));
	free(cdf);
	/* The study figures: every figure against each knob linked-cycles varies; caches' without pauses skipped. */
	for (size_t f = 0; f < STUDY_FIGURES_PER_KNOB; f++) {
		char name[160];
		for (size_t k = 0; k < 3; k++) {
			snprintf(path, sizeof path, "%s/study-%s-%s-linked-cycles.svg", out_dir, study_figures[f],
				study_knobs_linked_cycles[k]);
			if (access(path, R_OK) != 0)
				fail_msg("no %s", path);
		}
		snprintf(name, sizeof name, "study-%s-rc-caches", study_figures[f]);
		char svg[PATH_MAX + 256];
		snprintf(svg, sizeof svg, "%s/%s.svg", out_dir, name);
		char line[200];
		snprintf(line, sizeof line, "skipped\t%s\tno run of these cells has %s", name, study_figures[f]);
		int pause_figure = strncmp(study_figures[f], "pause_", 6) == 0 || strncmp(study_figures[f], "mmu_", 4) == 0;
		if (pause_figure) {
			assert_int_equal(access(svg, F_OK), -1);
			if (!strstr(manifest, line))
				fail_msg("plots.tsv does not skip %s:\n%s", name, manifest);
		} else if (access(svg, R_OK) != 0) {
			fail_msg("no %s", svg);
		}
	}
	list_matching(out_dir, ".svg", STUDY_FIGURES, listing, sizeof listing);
	assert_int_equal(count_of(listing, ".svg"), STUDY_MADE);
	/* Against threads: a line per (rc, gc), each point the median of its two runs (1 and 2 M ops/s per thread). */
	snprintf(path, sizeof path, "%s/study-ops_per_s-threads-linked-cycles.dat", out_dir);
	char *table = cy_test_slurp(path, NULL);
	assert_non_null(table);
	assert_string_equal(table, "x\tseries\tn\tmedian\tci_low\tci_high\n"
				   "1\trc=atomic gc=stw\t2\t3000000\t2000000\t4000000\n"
				   "2\trc=atomic gc=stw\t2\t6000000\t4000000\t8000000\n"
				   "1\trc=biased gc=incremental\t2\t4500000\t3000000\t6000000\n"
				   "2\trc=biased gc=incremental\t2\t9000000\t6000000\t12000000\n");
	free(table);
	free(manifest);
	cy_test_outcome_free(&o);
}

static void plot_refuses_bad_input(void **state)
{
	(void)state;
	write_suite();
	char dir[PATH_MAX + 32], out_dir[PATH_MAX + 32], path[PATH_MAX + 64], fake[PATH_MAX + 32];
	char listing[4096], gnuplot_variable[PATH_MAX + 64];
	const char *gnuplot_set[] = {gnuplot_variable, NULL};
	const cy_test_env gnuplot = {.set = gnuplot_set}; /* CYCLAB_GNUPLOT as gnuplot_variable says */
	cy_test_scratch_path(out_dir, sizeof out_dir, "bad-out");

	cy_test_expect_refusal(cy_test_run_cyclab("plot", NULL), "no input given", NULL);
	cy_test_expect_refusal(cy_test_run_cyclab("plot", "--frobnicate", NULL), "unknown option '--frobnicate'", NULL);
	cy_test_scratch_path(dir, sizeof dir, "absent");
	cy_test_expect_refusal(cy_test_run_cyclab("plot", dir, "-o", out_dir, NULL), "cannot read", NULL);

	cy_test_scratch_path(dir, sizeof dir, "empty");
	assert_int_equal(mkdir(dir, 0755), 0);
	cy_test_expect_refusal(cy_test_run_cyclab("plot", dir, "-o", out_dir, NULL), "holds no result", NULL);

	cy_test_scratch_path(dir, sizeof dir, "broken");
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(path, sizeof path, "%s/cell-000.json", dir);
	cy_test_write_text(path, "{\"schema\": \"cyclab-result/1\",\n \"runs\": [\n");
	cy_test_expect_refusal(
		cy_test_run_cyclab("plot", dir, "-o", out_dir, NULL), "cell-000.json:3:", "not valid JSON");
	cy_test_write_text(
		path, "{\"schema\": \"cyclab-result/9\", \"workload\": \"x\", \"config\": {}, \"runs\": []}\n");
	cy_test_expect_refusal(cy_test_run_cyclab("plot", dir, "-o", out_dir, NULL), "unsupported result schema", NULL);
	cy_test_write_text(path, "[1, 2, 3]\n");
	cy_test_expect_refusal(cy_test_run_cyclab("plot", dir, "-o", out_dir, NULL), "neither a cyclab result", NULL);
	cy_test_write_text(
		path, "{\"schema\": \"cyclab-result/1\", \"workload\": \"x\", \"config\": {}, \"runs\": [3]}\n");
	cy_test_expect_refusal(cy_test_run_cyclab("plot", dir, "-o", out_dir, NULL), "not an object", NULL);

	/* gnuplot missing, not gnuplot, or failing on a figure. */
	snprintf(gnuplot_variable, sizeof gnuplot_variable, "CYCLAB_GNUPLOT=%s/no-such-gnuplot", cy_test_scratch());
	cy_test_expect_refusal(cy_test_run_cyclab_env(&gnuplot, "plot", suite_dir, "-o", out_dir, NULL),
		"gnuplot not found", NULL);
	snprintf(gnuplot_variable, sizeof gnuplot_variable, "CYCLAB_GNUPLOT=/bin/false");
	cy_test_expect_refusal(
		cy_test_run_cyclab_env(&gnuplot, "plot", suite_dir, "-o", out_dir, NULL), "does not run", NULL);
	/* Passes the terminal checks (gnuplot -e ...), fails on every script. */
	cy_test_scratch_path(fake, sizeof fake, "failing-gnuplot");
	cy_test_write_text(fake, "#!/bin/sh\n[ \"$1\" = -e ] && exit 0\necho \"$1 line 9: all wrong\" >&2\nexit 1\n");
	assert_int_equal(chmod(fake, 0755), 0);
	snprintf(gnuplot_variable, sizeof gnuplot_variable, "CYCLAB_GNUPLOT=%s", fake);
	cy_test_expect_refusal(cy_test_run_cyclab_env(&gnuplot, "plot", suite_dir, "-o", out_dir, NULL),
		"gnuplot failed on", "all wrong");
	list_suffix(out_dir, ".svg", listing, sizeof listing);
	assert_string_equal(listing, "");
	list_suffix(out_dir, ".png", listing, sizeof listing);
	assert_string_equal(listing, "");
	list_suffix(out_dir, ".tmp", listing, sizeof listing);
	assert_string_equal(listing, "");
	/* The report says the same and writes no page. */
	cy_test_scratch_path(path, sizeof path, "page.html");
	cy_test_expect_refusal(
		cy_test_run_cyclab_env(&gnuplot, "report", dir, "-o", path, NULL), "not an object", NULL);
	assert_int_equal(access(path, F_OK), -1);
}

/* ---- a thresholds study ------------------------------------------------------------------------ */

static const int study_thresholds[] = {100, 700, 5000, 50000};
static const char *const study_collectors[] = {"stw", "incremental"};
enum { STUDY_THRESHOLDS = 4, STUDY_COLLECTORS = 2, STUDY_RUNS = 3 };

/* Pause p99 of run r (0..2) of a cell: the threshold over 10, times r + 1, doubled under stw. */
static double study_p99(int threshold0, int gc, int run)
{
	return threshold0 / 10.0 * (run + 1) * (gc == 0 ? 2 : 1);
}

static void write_study_cell(const char *dir, int t, int g)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/cell-%03d.json", dir, t * STUDY_COLLECTORS + g);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "{\"schema\": \"cyclab-result/1\", \"workload\": \"linked-cycles\", \"op_name\": \"ring created\",\n"
		   " \"status\": \"ok\", \"config\": {\"workload\": \"linked-cycles\", \"threads\": 1, \"rc\": \"biased\","
		   " \"gc\": \"%s\", \"threshold\": [%d, 10, 10], \"pause_budget_us\": 200, \"alloc\": \"pool\","
		   " \"duration_s\": 0.5, \"ops\": null, \"seed\": %d, \"warmup\": 0, \"repeat\": 3, \"pin\": \"none\","
		   " \"params\": {\"length\": 2, \"live\": 0.05}},\n \"runs\": [",
		study_collectors[g], study_thresholds[t], 1 + t);
	for (int r = 0; r < STUDY_RUNS; r++) {
		double p99 = study_p99(study_thresholds[t], g, r);
		fprintf(f, "%s\n  {\"ops\": 1000000, \"seconds\": 0.5, \"ops_per_s\": %d, \"pauses\": {\"count\": 10,"
			   " \"total_ms\": 1, \"p50_us\": %g, \"p99_us\": %g, \"max_us\": %g,"
			   " \"not_preempted\": {\"p99_us\": %g},"
			   " \"mmu\": {\"1ms\": 0.5, \"10ms\": 0.9, \"100ms\": 0.99}},"
			   " \"gc\": {\"collections\": [10, 1, 0], \"collected\": 100, \"phase_ms\": {\"mark\": 1}},"
			   " \"memory\": {\"peak_rss_bytes\": 8388608, \"peak_rss_growth_bytes\": 2097152},"
			   " \"leaked_objects\": 0}",
			r ? "," : "", 2000000 + 1000 * study_thresholds[t] + r, p99 / 2, p99, p99 * 2, p99);
	}
	fputs("\n]}\n", f);
	assert_int_equal(fclose(f), 0);
}

static void write_study(char *dir, size_t len)
{
	cy_test_scratch_path(dir, len, "thresholds");
	assert_true(mkdir(dir, 0755) == 0 || errno == EEXIST);
	for (int t = 0; t < STUDY_THRESHOLDS; t++) {
		for (int g = 0; g < STUDY_COLLECTORS; g++)
			write_study_cell(dir, t, g);
	}
}

static void plot_follows_the_study(void **state)
{
	(void)state;
	char dir[PATH_MAX], out[PATH_MAX + 16], path[PATH_MAX + 64], want[2048];
	write_study(dir, sizeof dir);
	cy_test_scratch_path(out, sizeof out, "F");
	cy_test_outcome o = cy_test_run_cyclab("plot", dir, "--x", "threshold0", "--y", "pause_p99_us", "--by", "gc",
		"-o", out, NULL);
	cy_test_expect_status(&o, 0);
	cy_test_outcome_free(&o);
	/* One row per (threshold0, gc): the median of the three runs and their [min, max] (n = 3). */
	size_t used = (size_t)snprintf(want, sizeof want, "x\tseries\tn\tmedian\tci_low\tci_high\n");
	for (int g = 0; g < STUDY_COLLECTORS; g++) {
		for (int t = 0; t < STUDY_THRESHOLDS; t++)
			used += (size_t)snprintf(want + used, sizeof want - used, "%d\tgc=%s\t3\t%.9g\t%.9g\t%.9g\n",
				study_thresholds[t], study_collectors[g], study_p99(study_thresholds[t], g, 1),
				study_p99(study_thresholds[t], g, 0), study_p99(study_thresholds[t], g, 2));
	}
	snprintf(path, sizeof path, "%s.dat", out);
	char *table = cy_test_slurp(path, NULL);
	assert_non_null(table);
	assert_string_equal(table, want);
	free(table);
	static const char *const beside[] = {".svg", ".png", ".gp"};
	for (size_t i = 0; i < 3; i++) {
		size_t size;
		snprintf(path, sizeof path, "%s%s", out, beside[i]);
		char *text = cy_test_slurp(path, &size);
		assert_non_null(text);
		assert_true(size > 100);
		if (i == 2) /* threshold0 spans 500x: a log axis */
			assert_non_null(strstr(text, "set logscale x"));
		free(text);
	}
	/* --where narrows the cells: one collector, one series. */
	o = cy_test_run_cyclab("plot", dir, "--x", "threshold0", "--y", "ops_per_s", "--where", "gc=stw", "-o", out, NULL);
	cy_test_expect_status(&o, 0);
	cy_test_outcome_free(&o);
	snprintf(path, sizeof path, "%s.dat", out);
	table = cy_test_slurp(path, NULL);
	assert_non_null(table);
	assert_string_equal(table, "x\tseries\tn\tmedian\tci_low\tci_high\n"
				   "100\tall cells\t3\t2100001\t2100000\t2100002\n"
				   "700\tall cells\t3\t2700001\t2700000\t2700002\n"
				   "5000\tall cells\t3\t7000001\t7000000\t7000002\n"
				   "50000\tall cells\t3\t52000001\t52000000\t52000002\n");
	free(table);

	/* The default form draws throughput and pauses against threshold0, and against gc. */
	char figures[PATH_MAX + 16];
	cy_test_scratch_path(figures, sizeof figures, "study-figures");
	o = cy_test_run_cyclab("plot", dir, "-o", figures, NULL);
	cy_test_expect_status(&o, 0);
	cy_test_outcome_free(&o);
	static const char *const drawn[] = {
		"study-ops_per_s-threshold0-linked-cycles", "study-pause_p50_us-threshold0-linked-cycles",
		"study-pause_p99_us-threshold0-linked-cycles", "study-pause_max_us-threshold0-linked-cycles",
		"study-mmu_10ms-threshold0-linked-cycles", "study-ops_per_s-gc-linked-cycles",
		"study-pause_p99_us-gc-linked-cycles",
	};
	for (size_t i = 0; i < sizeof drawn / sizeof drawn[0]; i++) {
		snprintf(path, sizeof path, "%s/%s.svg", figures, drawn[i]);
		if (access(path, R_OK) != 0)
			fail_msg("the default plot did not draw %s", drawn[i]);
	}
	char listing[8192];
	list_matching(figures, ".svg", STUDY_FIGURES, listing, sizeof listing);
	assert_int_equal(count_of(listing, ".svg"), 2 * STUDY_FIGURES_PER_KNOB); /* threshold0 and gc vary, nothing else */
	snprintf(path, sizeof path, "%s/study-pause_p99_us-threshold0-linked-cycles.dat", figures);
	table = cy_test_slurp(path, NULL);
	assert_non_null(table);
	assert_int_equal(cy_test_count_lines(table), 1 + STUDY_THRESHOLDS * STUDY_COLLECTORS);
	free(table);
}

static void plot_refuses_what_the_study_lacks(void **state)
{
	(void)state;
	char dir[PATH_MAX], out[PATH_MAX + 16];
	write_study(dir, sizeof dir);
	cy_test_scratch_path(out, sizeof out, "refused");
	cy_test_expect_refusal(cy_test_run_cyclab("plot", dir, "--x", "thresh", "--y", "ops_per_s", "-o", out, NULL),
		"unknown knob 'thresh'", "threshold0");
	cy_test_expect_refusal(cy_test_run_cyclab("plot", dir, "--x", "threshold0", "--y", "p99", "-o", out, NULL),
		"unknown figure 'p99'", "pause_p99_us");
	cy_test_expect_refusal(cy_test_run_cyclab("plot", dir, "--x", "threads", "--y", "ops_per_s", "-o", out, NULL),
		"knob 'threads' does not vary", "threads=1");
	cy_test_expect_refusal(cy_test_run_cyclab("plot", dir, "--x", "threshold0", "--y", "ops_per_s", "--by",
				       "threshold1", "-o", out, NULL),
		"'threshold1' given to --by does not vary", NULL);
	cy_test_expect_refusal(cy_test_run_cyclab("plot", dir, "--x", "gc", "--y", "ops_per_s", "--where", "threshold0=1",
				       "-o", out, NULL),
		"no cell has threshold0=1", "100, 700, 5000, 50000");
	cy_test_expect_refusal(cy_test_run_cyclab("plot", dir, "--x", "gc", "--y", "ops_per_s", "--where", "gc=stw",
				       "-o", out, NULL),
		"knob 'gc' does not vary", NULL);
	cy_test_expect_refusal(cy_test_run_cyclab("plot", dir, "--x", "gc", "--y", "ops_per_s", "--where", "gc", "-o",
				       out, NULL),
		"is not KNOB=VALUE", NULL);
	cy_test_expect_refusal(cy_test_run_cyclab("plot", dir, "--x", "gc", "--y", "ops_per_s", NULL), "needs -o OUT", NULL);
	cy_test_expect_refusal(cy_test_run_cyclab("plot", dir, "--x", "gc", "-o", out, NULL), "needs --y FIGURE", NULL);
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s.dat", out);
	assert_int_equal(access(path, F_OK), -1);
	/* --help names every fixed knob and every figure. */
	cy_test_outcome o = cy_test_run_cyclab("plot", "--help", NULL);
	cy_test_expect_status(&o, 0);
	static const char *const names[] = {"threshold0", "threshold1", "threshold2", "threads", "rc", "gc", "alloc",
		"pause_budget_us", "pause_p99_us", "mmu_1ms", "gc_time_share", "collections", "peak_rss_bytes",
		"leaked_objects", "pause_p99_not_preempted_us", "peak_rss_growth_bytes"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (!strstr(o.out, names[i]))
			fail_msg("cyclab plot --help does not name %s", names[i]);
	}
	cy_test_outcome_free(&o);
}

/* ---- cyclab report in a browser ---------------------------------------------------------------------- */

static const char *chromium_path(void)
{
	const char *path = getenv("CYCLAB_CHROMIUM");
	return path && *path ? path : CY_TEST_CHROMIUM;
}

static cy_test_outcome run_chromium(const char *mode_flag, const char *page)
{
	char profile[PATH_MAX + 32], url[PATH_MAX + 32];
	cy_test_scratch_path(profile, sizeof profile, "chromium-profile-XXXXXX");
	assert_non_null(mkdtemp(profile));
	char profile_flag[PATH_MAX + 64];
	snprintf(profile_flag, sizeof profile_flag, "--user-data-dir=%s", profile);
	snprintf(url, sizeof url, "file://%s", page);
	char *argv[] = {(char *)chromium_path(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-extensions", "--hide-scrollbars", "--window-size=1280,4000", profile_flag, (char *)mode_flag,
		url, NULL};
	return cy_test_run(argv, NULL, 90); /* a page of some fifty SVGs, on a machine that may be busy */
}

static void report_renders_in_chromium(void **state)
{
	(void)state;
	const char *chromium = chromium_path();
	if (!*chromium || access(chromium, X_OK) != 0)
		fail_msg("chromium not found (%s): the report test loads the page in headless Chromium; run "
			 "./configure --install-deps, or set CYCLAB_CHROMIUM to a chromium binary",
			*chromium ? chromium : "configure found none");
	write_suite();
	char page[PATH_MAX + 32], tmp[PATH_MAX + 40], shot_flag[PATH_MAX + 48], shot[PATH_MAX + 32];
	snprintf(page, sizeof page, "%s/report.html", suite_dir);
	snprintf(tmp, sizeof tmp, "%s.tmp", page);
	cy_test_outcome o = cy_test_run_cyclab("report", suite_dir, NULL);
	if (o.status != 0)
		fail_msg("cyclab report failed (%d): %s", o.status, o.err);
	cy_test_outcome_free(&o);
	assert_int_equal(access(tmp, F_OK), -1);
	char *html = cy_test_slurp(page, NULL);
	assert_non_null(html);
	/* Self-contained: nothing fetched from anywhere. */
	static const char *const external[] = {"src=", "<link", "@import", "href=\"http", "href='http", "url(http"};
	for (size_t i = 0; i < sizeof external / sizeof external[0]; i++) {
		if (strstr(html, external[i]))
			fail_msg("report.html refers outside itself: '%s'", external[i]);
	}
	assert_int_equal(count_of(html, "<svg"), ALL_MADE);
	/* The study opens the page: its section before the summary table and the other figures. */
	const char *study = strstr(html, "<h2 id=\"study\">"), *summary = strstr(html, "<h2 id=\"summary\">");
	const char *first_study = strstr(html, "<figure id=\"fig-study-"), *first_other = strstr(html, "<figure id=\"fig-heap");
	assert_non_null(study);
	assert_non_null(summary);
	assert_non_null(first_study);
	assert_non_null(first_other);
	assert_true(study < first_study && first_study < summary && summary < first_other);
	free(html);

	o = run_chromium("--dump-dom", page);
	if (o.status != 0)
		fail_msg("chromium --dump-dom failed (%d): %.2000s", o.status, o.err);
	const char *dom = o.out;
	assert_non_null(strstr(dom, "<table id=\"summary-table\""));
	assert_non_null(strstr(dom, "<table id=\"configurations-table\""));
	assert_int_equal(count_of(dom, "<svg"), ALL_MADE);
	for (int i = 0; i < MADE_COUNT; i++) {
		if (!strstr(dom, expected_made[i].title))
			fail_msg("the rendered page lacks '%s'", expected_made[i].title);
	}
	assert_non_null(strstr(dom, "Synthetic CPU 9000"));
	assert_non_null(strstr(dom, "throughput-caches"));  /* among the figures not drawn */
	assert_int_equal(count_of(dom, "<tr><td>linked-cycles</td>"), 4); /* summary rows */
	assert_int_equal(count_of(dom, "<tr><td>caches</td>"), 2);
	cy_test_outcome_free(&o);

	cy_test_scratch_path(shot, sizeof shot, "report.png");
	snprintf(shot_flag, sizeof shot_flag, "--screenshot=%s", shot);
	o = run_chromium(shot_flag, page);
	if (o.status != 0)
		fail_msg("chromium --screenshot failed (%d): %.2000s", o.status, o.err);
	cy_test_outcome_free(&o);
	size_t size;
	char *png = cy_test_slurp(shot, &size);
	assert_non_null(png);
	assert_true(size > 20000 && memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
	free(png);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pause_histogram_ladder),
		cmocka_unit_test(pause_summary_distribution),
		cmocka_unit_test(plot_draws_what_the_data_supports),
		cmocka_unit_test(plot_refuses_bad_input),
		cmocka_unit_test(plot_follows_the_study),
		cmocka_unit_test(plot_refuses_what_the_study_lacks),
		cmocka_unit_test(report_renders_in_chromium),
	};
	return cmocka_run_group_tests_name("plot", tests, setup, teardown);
}
