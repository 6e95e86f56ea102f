/*
 * test_compare.c: reading results back (bench/results/result_read.c), `cyclab
 * compare` and `cyclab merge`.
 *
 * Every result here is synthetic: a small cyclab-result/1 document written
 * by the test with chosen samples, so the expected medians, ratios and
 * p-values are known exactly (the arithmetic is beside each check) and no
 * workload runs. The reader is called directly; compare and merge run as
 * the built cyclab (tests/cyclab_binary.c runs it), their output in
 * files of a scratch directory, and are checked for exit
 * status and text: bad input is exit 2 with exactly one line on stderr and
 * nothing on stdout, and nothing written.
 */
#include <dirent.h>
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

#include "bench/results/json_schema.h"
#include "bench/results/result_read.h"
#include "tests/cyclab_binary.h"


/* ---- synthetic results ------------------------------------------------------------------- */

typedef struct fake {
	const char *rc;          /* the knob that tells cells apart */
	unsigned seed;
	const char *cpu;         /* machine.cpu_model */
	const char *fingerprint; /* machine.topology_fingerprint, or NULL for none */
	size_t runs;
	const double *ops_per_s; /* one per run, ascending */
	const double *p99_us;    /* one per run; NULL: 10 each */
	double round_trip_ns;    /* machine.core_round_trip.median_ns; 0: none recorded */
	double peak_rss;         /* memory.peak_rss_bytes of every run; 0: 4096000 */
} fake;

static void write_fake(const char *path, const fake *r)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f,
		"{\"schema\": \"cyclab-result/1\", \"workload\": \"linked-cycles\",\n"
		" \"config\": {\"workload\": \"linked-cycles\", \"threads\": 1, \"rc\": \"%s\", \"gc\": \"stw\",\n"
		"   \"threshold\": [700, 10, 10], \"alloc\": \"pool\", \"duration_s\": 0.5, \"ops\": null,\n"
		"   \"seed\": %u, \"warmup\": 1, \"repeat\": %zu, \"sample_interval_ms\": 10,\n"
		"   \"params\": {\"length\": 2, \"live\": 0.05}},\n"
		" \"machine\": {\"cpu_model\": \"%s\", \"topology\": {\"packages\": 1, \"cores\": 2, \"pus\": 2}",
		r->rc, r->seed, r->runs, r->cpu ? r->cpu : "Test CPU");
	if (r->fingerprint)
		fprintf(f, ", \"topology_fingerprint\": \"%s\"", r->fingerprint);
	if (r->round_trip_ns > 0)
		fprintf(f, ", \"core_round_trip\": {\"cpus\": [0, 1], \"median_ns\": %g, \"batches\": 15}",
			r->round_trip_ns);
	/* The samples of every test are in ascending order: the middle one (or pair) is the median. */
	size_t mid = r->runs / 2;
	double median = r->runs % 2 ? r->ops_per_s[mid] : (r->ops_per_s[mid - 1] + r->ops_per_s[mid]) / 2;
	fprintf(f, "},\n \"summary\": {\"ops_per_s_median\": %.17g, \"runs\": %zu}, \"runs\": [", median, r->runs);
	for (size_t i = 0; i < r->runs; i++) {
		double p99 = r->p99_us ? r->p99_us[i] : 10;
		fprintf(f,
			"%s\n  {\"ops\": 100, \"seconds\": 0.5, \"ops_per_s\": %.17g, \"pauses\": {\"total_ms\": 1.5, "
			"\"p50_us\": 5, \"p99_us\": %.17g, \"max_us\": %.17g, \"mmu\": {\"10ms\": 0.9}}, \"gc\": "
			"{\"collected\": 1000}, \"rc\": {\"atomic_ops\": 0}, \"locks\": {\"wait_ns\": 0}, \"memory\": "
			"{\"peak_rss_bytes\": %.17g, \"peak_rss_growth_bytes\": 2048000}}",
			i ? "," : "", r->ops_per_s[i], p99, p99 * 2, r->peak_rss ? r->peak_rss : 4096000);
	}
	fputs("]}\n", f);
	assert_int_equal(fclose(f), 0);
}

static void make_dir(const char *name, char *out, size_t len)
{
	cy_test_scratch_path(out, len, name);
	assert_int_equal(mkdir(out, 0777), 0);
}

static void fake_in(const char *dir, const char *name, const fake *r)
{
	char path[PATH_MAX * 2];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	write_fake(path, r);
}

static const double ops_low[] = {100, 101, 102, 103, 104}, ops_high[] = {200, 201, 202, 203, 204};
static const double p99_low[] = {10, 11, 12, 13, 14}, p99_high[] = {20, 21, 22, 23, 24};

/* ---- checking output ------------------------------------------------------------------- */

/* The line of text that starts with prefix, into line; fails the test if there is none. */
static void line_starting(const char *text, const char *prefix, char *line, size_t len)
{
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		if (strncmp(p, prefix, strlen(prefix)) == 0) {
			snprintf(line, len, "%.*s", (int)n, p);
			return;
		}
		p += n + (p[n] == '\n');
	}
	fail_msg("no line starts with '%s' in:\n%s", prefix, text);
}

static void assert_contains(const char *text, const char *fragment)
{
	if (!strstr(text, fragment))
		fail_msg("'%s' not in:\n%s", fragment, text);
}

/* ---- the reader ---------------------------------------------------------------------------- */

static void reader_reads_key_samples_and_machine(void **state)
{
	(void)state;
	char path[PATH_MAX];
	cy_test_scratch_path(path, sizeof path, "reader.json");
	/* Output knobs and measurement protocol stay out of the key; a run lacking a figure gives NaN. */
	cy_test_write_text(path, "{\"schema\": \"cyclab-result/1\", \"workload\": \"caches\",\n"
				 " \"config\": {\"workload\": \"caches\", \"threads\": 2, \"rc\": \"biased\", \"threshold\": [700, 10, 10],\n"
				 "   \"duration_s\": 0.25, \"ops\": null, \"seed\": 7, \"warmup\": 1, \"repeat\": 2,\n"
				 "   \"sample_interval_ms\": 10, \"topology_xml\": \"/tmp/t.xml\", \"trace_gc_json\": \"/tmp/t.jsonl\",\n"
				 "   \"pin\": \"compact\", \"params\": {\"variant\": \"lru\", \"skew\": 1.1},\n"
				 "   \"sources\": {\"rc\": \"command-line\", \"seed\": \"environment\"}},\n"
				 " \"machine\": {\"cpu_model\": \"Test CPU\", \"topology_fingerprint\": \"fp-1\"},\n"
				 " \"runs\": [{\"ops_per_s\": 5e6, \"pauses\": {\"p99_us\": 12.5, \"mmu\": {\"10ms\": 0.75}},\n"
				 "            \"locks\": {\"wait_ns\": 300}},\n"
				 "          {\"ops_per_s\": 6e6, \"pauses\": {\"p99_us\": null}}]}\n");
	cy_result r;
	char why[512];
	assert_int_equal(cy_result_load(path, &r, why, sizeof why), 0);
	assert_string_equal(r.workload, "caches");
	assert_string_equal(r.name, "reader.json");
	assert_string_equal(r.cell_key, "caches duration_s=0.25 ops=null params.skew=1.1 params.variant=lru pin=compact "
					"rc=biased threads=2 threshold=700,10,10");
	assert_string_equal(r.machine_fingerprint, "fp-1");
	assert_int_equal(r.run_count, 2);
	const double *ops = cy_result_samples(&r, CY_FIGURE_OPS_PER_S);
	assert_true(ops[0] == 5e6 && ops[1] == 6e6);
	const double *p99 = cy_result_samples(&r, CY_FIGURE_PAUSE_P99_US);
	assert_true(p99[0] == 12.5 && isnan(p99[1]));
	assert_true(cy_result_samples(&r, CY_FIGURE_MMU_10MS)[0] == 0.75);
	assert_true(cy_result_samples(&r, CY_FIGURE_LOCK_WAIT_NS)[0] == 300);
	assert_true(isnan(cy_result_samples(&r, CY_FIGURE_LOCK_WAIT_NS)[1]));
	assert_true(isnan(cy_result_samples(&r, CY_FIGURE_SECONDS)[0]));
	assert_string_equal(json_string_value(json_object_get(r.config, "rc")), "biased");
	cy_result_free(&r);
}

static void reader_errors_are_one_line(void **state)
{
	(void)state;
	char path[PATH_MAX], why[512];
	cy_result r;
	cy_test_scratch_path(path, sizeof path, "absent.json");
	assert_int_equal(cy_result_load(path, &r, why, sizeof why), -1);
	assert_true(strncmp(why, path, strlen(path)) == 0);
	assert_contains(why, "cannot open: No such file or directory");

	cy_test_scratch_path(path, sizeof path, "broken.json");
	cy_test_write_text(path, "{\"schema\": \"cyclab-result/1\",\n \"runs\": [1, 2,]}\n");
	assert_int_equal(cy_result_load(path, &r, why, sizeof why), -1);
	assert_contains(why, "broken.json: not valid JSON: line 2");
	assert_null(strchr(why, '\n'));

	const struct {
		const char *text, *message;
	} wrong[] = {
		{"[1, 2]", "not a cyclab-result/1 file: the document is not a JSON object"},
		{"{\"workload\": \"x\"}", "not a cyclab-result/1 file: no \"schema\" key"},
		{"{\"schema\": \"cyclab-result/2\"}", "schema \"cyclab-result/2\" is not \"cyclab-result/1\""},
		{"{\"schema\": \"cyclab-result/1\", \"workload\": \"x\", \"config\": {}, \"runs\": {}}",
			"\"runs\" is missing or not an array"},
		{"{\"schema\": \"cyclab-result/1\", \"workload\": \"x\", \"runs\": []}", "\"config\" is missing"},
		{"{\"schema\": \"cyclab-result/1\", \"workload\": \"x\", \"config\": {}, \"runs\": [3]}",
			"runs[0] is not an object"},
	};
	for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
		cy_test_write_text(path, wrong[i].text);
		assert_int_equal(cy_result_load(path, &r, why, sizeof why), -1);
		assert_contains(why, wrong[i].message);
	}

	char dir[PATH_MAX];
	make_dir("empty", dir, sizeof dir);
	cy_result_set set;
	assert_int_equal(cy_result_load_path(dir, &set, why, sizeof why), -1);
	assert_contains(why, "no cell-*.json results in it");
	assert_true(cy_result_is_cell_file("cell-000-x.json"));
	assert_false(cy_result_is_cell_file("cell-000-x.json.tmp"));
	assert_false(cy_result_is_cell_file("summary.csv"));
}

static void machines_by_fingerprint_or_model(void **state)
{
	(void)state;
	char a_path[PATH_MAX], b_path[PATH_MAX], why[512];
	cy_test_scratch_path(a_path, sizeof a_path, "machine-a.json");
	cy_test_scratch_path(b_path, sizeof b_path, "machine-b.json");
	const double ops[] = {1};
	cy_result a, b;
	/* Same fingerprint: the same machine, whatever the model string says. */
	write_fake(a_path, &(fake){.rc = "atomic", .cpu = "CPU one", .fingerprint = "fp", .runs = 1, .ops_per_s = ops});
	write_fake(b_path, &(fake){.rc = "atomic", .cpu = "CPU two", .fingerprint = "fp", .runs = 1, .ops_per_s = ops});
	assert_int_equal(cy_result_load(a_path, &a, why, sizeof why), 0);
	assert_int_equal(cy_result_load(b_path, &b, why, sizeof why), 0);
	assert_true(cy_result_same_machine(&a, &b));
	cy_result_free(&b);
	/* One side without a fingerprint: model and topology decide. */
	write_fake(b_path, &(fake){.rc = "atomic", .cpu = "CPU one", .runs = 1, .ops_per_s = ops});
	assert_int_equal(cy_result_load(b_path, &b, why, sizeof why), 0);
	assert_null(b.machine_fingerprint);
	assert_true(cy_result_same_machine(&a, &b));
	cy_result_free(&b);
	write_fake(b_path, &(fake){.rc = "atomic", .cpu = "CPU two", .runs = 1, .ops_per_s = ops});
	assert_int_equal(cy_result_load(b_path, &b, why, sizeof why), 0);
	assert_false(cy_result_same_machine(&a, &b));
	assert_string_equal(cy_result_machine_label(&b), "CPU two");
	cy_result_free(&a);
	cy_result_free(&b);
}

/* A real (tiny) run: its summary aggregates what its "runs" hold, figure by figure. */
static void run_summary_carries_aggregates(void **state)
{
	(void)state;
	char path[PATH_MAX], why[512];
	cy_test_scratch_path(path, sizeof path, "tiny-run.json");
	cy_test_outcome o = cy_test_run_cyclab(
		"run", "linked-cycles", "--ops", "2000", "--repeat", "3", "--warmup", "0", "--quiet", "-o", path, NULL);
	assert_int_equal(o.status, 0);
	cy_test_outcome_free(&o);
	cy_result r;
	assert_int_equal(cy_result_load(path, &r, why, sizeof why), 0);
	assert_int_equal(r.run_count, 3);
	/* The result satisfies the documented schema (docs/cyclab-result-1.schema.json). */
	char schema_path[PATH_MAX];
	const char *slash = strrchr(__FILE__, '/');
	snprintf(schema_path, sizeof schema_path, "%.*s/../docs/cyclab-result-1.schema.json",
		slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".");
	json_t *schema = json_load_file(schema_path, 0, NULL);
	assert_non_null(schema);
	if (cy_json_schema_check(schema, r.document, why, sizeof why) != 0)
		fail_msg("%s: %s", path, why);
	json_decref(schema);
	const json_t *summary = json_object_get(r.document, "summary");
	assert_true(json_is_false(json_object_get(summary, "mad_scaled")));
	for (int f = 0; f < CY_FIGURE_COUNT; f++) {
		const json_t *a = json_object_get(summary, cy_figures[f].name);
		if (!json_is_object(a))
			fail_msg("summary has no object for %s", cy_figures[f].name);
		/* Three runs: the median is the middle sample, the interval [min, max] covering 1 - 2 / 8. */
		double v[3];
		memcpy(v, cy_result_samples(&r, (cy_figure_id)f), sizeof v);
		for (int i = 0; i < 2; i++) {
			for (int k = 0; k < 2 - i; k++) {
				if (v[k] > v[k + 1]) {
					double t = v[k];
					v[k] = v[k + 1];
					v[k + 1] = t;
				}
			}
		}
		assert_int_equal(json_integer_value(json_object_get(a, "n")), 3);
		assert_true(json_number_value(json_object_get(a, "median")) == v[1]);
		assert_true(json_number_value(json_object_get(a, "min")) == v[0]);
		assert_true(json_number_value(json_object_get(a, "max")) == v[2]);
		const json_t *ci = json_object_get(a, "ci95");
		assert_true(json_number_value(json_object_get(ci, "low")) == v[0]);
		assert_true(json_number_value(json_object_get(ci, "high")) == v[2]);
		assert_true(json_number_value(json_object_get(ci, "coverage")) == 0.75);
		assert_string_equal(json_string_value(json_object_get(ci, "method")),
			"median order statistics (binomial, distribution-free)");
	}
	/* The keys that were there before stay. */
	assert_true(json_number_value(json_object_get(summary, "ops_per_s_median")) ==
		    json_number_value(json_object_get(json_object_get(summary, "ops_per_s"), "median")));
	cy_result_free(&r);
}

/* ---- compare -------------------------------------------------------------------------------- */

static void compare_files_clearly_apart(void **state)
{
	(void)state;
	char a[PATH_MAX], b[PATH_MAX], line[512];
	cy_test_scratch_path(a, sizeof a, "apart-a.json");
	cy_test_scratch_path(b, sizeof b, "apart-b.json");
	write_fake(a, &(fake){.rc = "atomic", .runs = 5, .ops_per_s = ops_low, .p99_us = p99_low});
	write_fake(b, &(fake){.rc = "biased", .runs = 5, .ops_per_s = ops_high, .p99_us = p99_high});
	cy_test_outcome o = cy_test_run_cyclab("compare", a, b, NULL);
	assert_int_equal(o.status, 0);
	assert_string_equal(o.err, "");
	/*
	 * Medians 102 and 202: B/A = 1.980; every B above every A: p = 2 / C(10, 5) = 0.0079. Three figures vary
	 * (ops_per_s, pause p99 and max), so Holm multiplies the smallest of three equal p-values by 3: 0.0238.
	 */
	line_starting(o.out, "  ops_per_s ", line, sizeof line);
	assert_contains(line, " higher ");
	assert_contains(line, " 102 ");
	assert_contains(line, " 202 ");
	assert_contains(line, " 1.980 ");
	assert_contains(line, " 0.0079 ");
	assert_contains(line, " 0.0238 ");
	assert_contains(line, "significant, B better");
	/* Pauses went up: worse. Medians 12 and 22. */
	line_starting(o.out, "  pause_p99_us ", line, sizeof line);
	assert_contains(line, " lower ");
	assert_contains(line, " 1.833 ");
	assert_contains(line, "significant, B worse");
	/* The same value in every run of both: nothing to test, and not counted among the comparisons. */
	line_starting(o.out, "  one value in every run of both:", line, sizeof line);
	assert_string_equal(line, "  one value in every run of both: seconds pause_total_ms pause_p50_us mmu_10ms "
				  "gc_collected peak_rss_bytes peak_rss_growth_bytes");
	line_starting(o.out, "  zero in every run of both:", line, sizeof line);
	assert_string_equal(line, "  zero in every run of both: rc_atomic_ops lock_wait_ns");
	line_starting(o.out, "3 of 3 comparisons significant", line, sizeof line);
	line_starting(o.out, "method: ", line, sizeof line);
	assert_contains(line, "Holm's method over the 3 comparisons");
	/* One cell: the geometric mean is its ratio. */
	line_starting(o.out, "  ops_per_s ", line, sizeof line);
	assert_null(strstr(strstr(o.out, "geometric mean"), "  seconds "));
	/* Two files are compared whatever their keys, and the knobs that differ are named. */
	line_starting(o.out, "  only A:", line, sizeof line);
	assert_string_equal(line, "  only A: rc=atomic");
	line_starting(o.out, "  only B:", line, sizeof line);
	assert_string_equal(line, "  only B: rc=biased");
	assert_null(strstr(o.out, "warning"));
	cy_test_outcome_free(&o);
}

/*
 * The peak RSS includes what each side's process held before its runs: a
 * shift in it alone, however clear, is shown but not tested or counted.
 */
static void compare_process_level_figure_not_tested(void **state)
{
	(void)state;
	char a[PATH_MAX], b[PATH_MAX], line[512];
	cy_test_scratch_path(a, sizeof a, "process-a.json");
	cy_test_scratch_path(b, sizeof b, "process-b.json");
	write_fake(a, &(fake){.rc = "atomic", .runs = 5, .ops_per_s = ops_low, .p99_us = p99_low});
	write_fake(b, &(fake){.rc = "biased", .runs = 5, .ops_per_s = ops_high, .p99_us = p99_high,
			      .peak_rss = 8192000});
	cy_test_outcome o = cy_test_run_cyclab("compare", a, b, NULL);
	assert_int_equal(o.status, 0);
	line_starting(o.out, "  peak_rss_bytes ", line, sizeof line);
	assert_contains(line, " 2.000 ");
	assert_contains(line, "not tested (depends on the process)");
	line_starting(o.out, "  one value in every run of both:", line, sizeof line);
	assert_null(strstr(line, "peak_rss_bytes "));
	assert_contains(line, "peak_rss_growth_bytes");
	line_starting(o.out, "3 of 3 comparisons significant", line, sizeof line);
	cy_test_outcome_free(&o);
	o = cy_test_run_cyclab("compare", a, b, "--format", "csv", NULL);
	assert_int_equal(o.status, 0);
	assert_contains(o.out, ",peak_rss_bytes,bytes,lower,5,5,4096000,8192000,2,");
	assert_contains(o.out, ",0,not tested (depends on the process),0\n");
	cy_test_outcome_free(&o);
}

static void compare_overlapping_and_too_few(void **state)
{
	(void)state;
	char a[PATH_MAX], b[PATH_MAX], line[512];
	cy_test_scratch_path(a, sizeof a, "overlap-a.json");
	cy_test_scratch_path(b, sizeof b, "overlap-b.json");
	const double odd[] = {101, 103, 105, 107}, even[] = {102, 104, 106, 108};
	write_fake(a, &(fake){.rc = "atomic", .runs = 4, .ops_per_s = odd});
	write_fake(b, &(fake){.rc = "atomic", .runs = 4, .ops_per_s = even});
	cy_test_outcome o = cy_test_run_cyclab("compare", a, b, NULL);
	assert_int_equal(o.status, 0);
	line_starting(o.out, "  ops_per_s ", line, sizeof line);
	assert_contains(line, " 0.6857 "); /* 48 / 70, worked out in test_aggregate.c (same ranks) */
	assert_contains(line, "not significant (");
	assert_contains(line, " runs a side would do)");
	assert_null(strstr(o.out, "only A:")); /* same configuration */
	cy_test_outcome_free(&o);

	/* Two runs a side, as far apart as can be: p = 1/3, and the report says it could never be less. */
	write_fake(a, &(fake){.rc = "atomic", .runs = 2, .ops_per_s = ops_low});
	write_fake(b, &(fake){.rc = "atomic", .runs = 2, .ops_per_s = ops_high});
	o = cy_test_run_cyclab("compare", a, b, NULL);
	assert_int_equal(o.status, 0);
	line_starting(o.out, "  ops_per_s ", line, sizeof line);
	assert_contains(line, " 0.3333 ");
	assert_contains(line, "too few runs");
	line_starting(o.out, "  warning: too few runs to tell:", line, sizeof line);
	assert_contains(line, "with 2 and 2 runs the smallest p-value possible is 0.333");
	assert_int_equal(cy_test_count_lines(o.err), 1);
	assert_contains(o.err, "warning: 1 of 1 cells have too few runs");
	cy_test_outcome_free(&o);
}

static void compare_warns_on_different_machines(void **state)
{
	(void)state;
	char a[PATH_MAX], b[PATH_MAX];
	cy_test_scratch_path(a, sizeof a, "machine-1.json");
	cy_test_scratch_path(b, sizeof b, "machine-2.json");
	write_fake(a, &(fake){.rc = "atomic", .fingerprint = "pkg1-core4-pu8", .runs = 5, .ops_per_s = ops_low});
	write_fake(b, &(fake){.rc = "atomic", .fingerprint = "pkg2-core64-pu128", .runs = 5, .ops_per_s = ops_high});
	cy_test_outcome o = cy_test_run_cyclab("compare", a, b, NULL);
	assert_int_equal(o.status, 0);
	assert_int_equal(cy_test_count_lines(o.err), 1);
	assert_contains(o.err, "warning: A and B were measured on different machines");
	cy_test_outcome_free(&o);
	/* The same fingerprint: no warning, though the model strings differ. */
	write_fake(b, &(fake){.rc = "atomic", .cpu = "Renamed", .fingerprint = "pkg1-core4-pu8", .runs = 5,
			      .ops_per_s = ops_high});
	o = cy_test_run_cyclab("compare", a, b, NULL);
	assert_int_equal(o.status, 0);
	assert_string_equal(o.err, "");
	cy_test_outcome_free(&o);
}

/* The same machine at core-to-core round trips 1.5x apart or more: one warning line, and none closer. */
static void compare_warns_on_round_trips_apart(void **state)
{
	(void)state;
	char a[PATH_MAX], b[PATH_MAX];
	cy_test_scratch_path(a, sizeof a, "trip-1.json");
	cy_test_scratch_path(b, sizeof b, "trip-2.json");
	write_fake(a, &(fake){.rc = "atomic", .fingerprint = "fp", .runs = 5, .ops_per_s = ops_low, .round_trip_ns = 90});
	write_fake(b, &(fake){.rc = "atomic", .fingerprint = "fp", .runs = 5, .ops_per_s = ops_high, .round_trip_ns = 370});
	cy_test_outcome o = cy_test_run_cyclab("compare", a, b, NULL);
	assert_int_equal(o.status, 0);
	assert_int_equal(cy_test_count_lines(o.err), 1);
	assert_contains(o.err, "warning: a cache line's core-to-core round trip was 90 ns for");
	assert_contains(o.err, "and 370 ns for");
	cy_test_outcome_free(&o);
	/* 1.4x apart, or one side without a measurement: nothing to say. */
	write_fake(b, &(fake){.rc = "atomic", .fingerprint = "fp", .runs = 5, .ops_per_s = ops_high, .round_trip_ns = 126});
	o = cy_test_run_cyclab("compare", a, b, NULL);
	assert_int_equal(o.status, 0);
	assert_string_equal(o.err, "");
	cy_test_outcome_free(&o);
	write_fake(b, &(fake){.rc = "atomic", .fingerprint = "fp", .runs = 5, .ops_per_s = ops_high});
	o = cy_test_run_cyclab("compare", a, b, NULL);
	assert_int_equal(o.status, 0);
	assert_string_equal(o.err, "");
	cy_test_outcome_free(&o);
}

static void compare_directories_by_cell(void **state)
{
	(void)state;
	char da[PATH_MAX], db[PATH_MAX], summary[PATH_MAX * 2], line[512];
	make_dir("dir-a", da, sizeof da);
	make_dir("dir-b", db, sizeof db);
	/* A: two seeds of the atomic cell (pooled), and a biased cell; B: the atomic cell and a nonatomic one. */
	fake_in(da, "cell-000-atomic-1.json", &(fake){.rc = "atomic", .seed = 1, .runs = 5, .ops_per_s = ops_low});
	fake_in(da, "cell-001-atomic-2.json", &(fake){.rc = "atomic", .seed = 2, .runs = 3, .ops_per_s = ops_low});
	fake_in(da, "cell-002-biased.json", &(fake){.rc = "biased", .runs = 5, .ops_per_s = ops_low});
	fake_in(db, "cell-000-atomic-1.json", &(fake){.rc = "atomic", .seed = 1, .runs = 4, .ops_per_s = ops_high});
	fake_in(db, "cell-003-nonatomic.json", &(fake){.rc = "nonatomic", .runs = 5, .ops_per_s = ops_high});
	snprintf(summary, sizeof summary, "%s/summary.csv", da);
	cy_test_write_text(summary, "not a result, ignored\n");
	cy_test_outcome o = cy_test_run_cyclab("compare", da, db, NULL);
	assert_int_equal(o.status, 0);
	assert_string_equal(o.err, "");
	assert_contains(o.out, "(3 results)");
	line_starting(o.out, "  runs:", line, sizeof line);
	assert_string_equal(line, "  runs: A 8 (results pooled), B 4");
	/* Pooled A: 100..104 and 100..102, median 101.5; B 200..203, median 201.5. */
	line_starting(o.out, "  ops_per_s ", line, sizeof line);
	assert_contains(line, " 101.5 ");
	assert_contains(line, " 201.5 ");
	assert_contains(line, "significant, B better");
	line_starting(o.out, "only in A: ", line, sizeof line);
	assert_contains(line, " rc=biased ");
	line_starting(o.out, "only in B: ", line, sizeof line);
	assert_contains(line, " rc=nonatomic ");
	cy_test_outcome_free(&o);

	/* No cell in common: exit 1, said on stderr. */
	char dc[PATH_MAX], dd[PATH_MAX];
	make_dir("dir-c", dc, sizeof dc);
	make_dir("dir-d", dd, sizeof dd);
	fake_in(dc, "cell-000-x.json", &(fake){.rc = "biased", .runs = 2, .ops_per_s = ops_low});
	fake_in(dd, "cell-000-y.json", &(fake){.rc = "nonatomic", .runs = 2, .ops_per_s = ops_low});
	cy_test_outcome none = cy_test_run_cyclab("compare", dc, dd, NULL);
	assert_int_equal(none.status, 1);
	assert_contains(none.err, "have no cell in common");
	cy_test_outcome_free(&none);
}

static void compare_json_output(void **state)
{
	(void)state;
	char a[PATH_MAX], b[PATH_MAX], out[PATH_MAX], tmp[PATH_MAX + 8];
	cy_test_scratch_path(a, sizeof a, "json-a.json");
	cy_test_scratch_path(b, sizeof b, "json-b.json");
	cy_test_scratch_path(out, sizeof out, "comparison.json");
	snprintf(tmp, sizeof tmp, "%s.tmp", out);
	write_fake(a, &(fake){.rc = "atomic", .runs = 5, .ops_per_s = ops_low});
	write_fake(b, &(fake){.rc = "atomic", .runs = 5, .ops_per_s = ops_high});
	cy_test_outcome o = cy_test_run_cyclab("compare", "--json", a, b, "-o", out, NULL);
	assert_int_equal(o.status, 0);
	json_error_t error;
	json_t *doc = json_loads(o.out, 0, &error);
	if (!doc)
		fail_msg("stdout is not JSON: %s", error.text);
	char *written = cy_test_slurp(out, NULL);
	assert_non_null(written);
	json_t *file_doc = json_loads(written, 0, &error);
	assert_non_null(file_doc);
	assert_true(json_equal(doc, file_doc));
	assert_int_equal(access(tmp, F_OK), -1);
	assert_string_equal(json_string_value(json_object_get(doc, "schema")), "cyclab-compare/2");
	json_t *method = json_object_get(doc, "method");
	assert_string_equal(json_string_value(json_object_get(method, "adjustment")), "Holm");
	assert_int_equal(json_integer_value(json_object_get(method, "comparisons")), 1); /* only ops/s varies */
	json_t *cells = json_object_get(doc, "cells");
	assert_int_equal(json_array_size(cells), 1);
	json_t *first = json_array_get(json_object_get(json_array_get(cells, 0), "figures"), 0);
	assert_string_equal(json_string_value(json_object_get(first, "metric")), "ops_per_s");
	assert_string_equal(json_string_value(json_object_get(first, "better")), "higher");
	assert_string_equal(json_string_value(json_object_get(first, "verdict")), "significant, B better");
	assert_true(json_is_true(json_object_get(first, "significant")));
	assert_true(fabs(json_number_value(json_object_get(first, "p")) - 2.0 / 252.0) < 1e-12);
	/* One comparison in the family: adjusted, p stays p. */
	assert_true(fabs(json_number_value(json_object_get(first, "p_adjusted")) - 2.0 / 252.0) < 1e-12);
	assert_true(fabs(json_number_value(json_object_get(first, "ratio")) - 202.0 / 102.0) < 1e-12);
	/* Resampled medians lie in 100..104 and 200..204: the interval within [200/104, 204/100], so above 1. */
	double low = json_number_value(json_object_get(first, "ci_low")), high = json_number_value(json_object_get(first, "ci_high"));
	assert_true(low >= 200.0 / 104.0 && low <= 202.0 / 102.0 && high >= 202.0 / 102.0 && high <= 204.0 / 100.0);
	/* Every figure of the cell is listed; a constant one is not significant and has no p. */
	json_t *figures = json_object_get(json_array_get(cells, 0), "figures");
	assert_int_equal(json_array_size(figures), CY_FIGURE_COUNT);
	json_t *seconds = json_array_get(figures, CY_FIGURE_SECONDS);
	assert_string_equal(json_string_value(json_object_get(seconds, "status")), "constant");
	assert_true(json_is_null(json_object_get(seconds, "p_adjusted")));
	assert_true(json_is_false(json_object_get(seconds, "significant")));
	json_t *geo = json_array_get(json_object_get(doc, "geometric_means"), 0);
	assert_string_equal(json_string_value(json_object_get(geo, "metric")), "ops_per_s");
	assert_true(fabs(json_number_value(json_object_get(geo, "ratio")) - 202.0 / 102.0) < 1e-12);
	/* The same seed, the same intervals: a second run prints the same document. */
	cy_test_outcome again = cy_test_run_cyclab("compare", "--format", "json", a, b, NULL);
	assert_string_equal(again.out, o.out);
	cy_test_outcome_free(&again);
	/* CSV: a header, a row per figure, a row per figure's geometric mean. */
	again = cy_test_run_cyclab("compare", "--format", "csv", a, b, NULL);
	assert_int_equal(again.status, 0);
	const char *header = "cell,metric,unit,better,a_n,b_n,a_median,b_median,ratio,ci_low,ci_high,p,p_adjusted,"
			     "significant,verdict,runs_needed\n";
	assert_true(strncmp(again.out, header, strlen(header)) == 0);
	assert_int_equal(cy_test_count_lines(again.out), 1 + CY_FIGURE_COUNT + 1);
	assert_contains(again.out, ",ops_per_s,ops/s,higher,5,5,102,202,");
	assert_contains(again.out, "\ngeometric mean,ops_per_s,");
	cy_test_outcome_free(&again);
	again = cy_test_run_cyclab("compare", "--format", "markdown", a, b, NULL);
	assert_int_equal(again.status, 0);
	assert_contains(again.out, "| ops_per_s | higher | 102 | 202 | 1.980 | [");
	assert_contains(again.out, "| **significant, B better** |");
	cy_test_outcome_free(&again);
	assert_int_equal(json_array_size(json_object_get(doc, "only_in_a")), 0);
	json_decref(doc);
	json_decref(file_doc);
	free(written);
	cy_test_outcome_free(&o);
}

static void compare_bad_input(void **state)
{
	(void)state;
	char good[PATH_MAX], bad[PATH_MAX], wrong[PATH_MAX], dir[PATH_MAX], empty[PATH_MAX], nowhere[PATH_MAX];
	cy_test_scratch_path(good, sizeof good, "bad-good.json");
	cy_test_scratch_path(bad, sizeof bad, "bad-json.json");
	cy_test_scratch_path(wrong, sizeof wrong, "bad-schema.json");
	cy_test_scratch_path(nowhere, sizeof nowhere, "no-such-dir/out.json");
	write_fake(good, &(fake){.rc = "atomic", .runs = 3, .ops_per_s = ops_low});
	cy_test_write_text(bad, "{\"schema\": \"cyclab-result/1\", \"runs\": [\n");
	cy_test_write_text(wrong, "{\"schema\": \"google-benchmark\"}\n");
	make_dir("bad-dir", dir, sizeof dir);
	fake_in(dir, "cell-000-a.json", &(fake){.rc = "atomic", .runs = 3, .ops_per_s = ops_low});
	make_dir("bad-empty", empty, sizeof empty);

	cy_test_expect_refusal(
		cy_test_run_cyclab("compare", good, "/nonexistent/b.json", NULL), "No such file or directory", NULL);
	cy_test_expect_refusal(cy_test_run_cyclab("compare", good, bad, NULL), "not valid JSON", NULL);
	cy_test_expect_refusal(cy_test_run_cyclab("compare", "--format", "xml", good, good, NULL),
		"valid: --format text, csv, markdown or json", NULL);
	cy_test_expect_refusal(cy_test_run_cyclab("compare", "--seed", "-3", good, good, NULL), "valid: --seed N", NULL);
	cy_test_expect_refusal(cy_test_run_cyclab("compare", good, good, "--format", NULL), "--format needs a value", NULL);
	cy_test_expect_refusal(cy_test_run_cyclab("compare", wrong, good, NULL), "is not \"cyclab-result/1\"", NULL);
	cy_test_expect_refusal(cy_test_run_cyclab("compare", good, dir, NULL),
		"valid: two result files or two suite directories", NULL);
	cy_test_expect_refusal(cy_test_run_cyclab("compare", dir, empty, NULL), "no cell-*.json results", NULL);
	cy_test_expect_refusal(cy_test_run_cyclab("compare", good, NULL), "needs two results", NULL);
	cy_test_expect_refusal(cy_test_run_cyclab("compare", good, good, good, NULL), "two results to compare", NULL);
	cy_test_expect_refusal(
		cy_test_run_cyclab("compare", "--alpha", good, good, NULL), "unknown option '--alpha'", NULL);
	cy_test_expect_refusal(
		cy_test_run_cyclab("compare", good, good, "-o", nowhere, NULL), "valid: -o FILE in a writable", NULL);
	cy_test_expect_refusal(cy_test_run_cyclab("compare", good, good, "-o", NULL), "-o needs a value", NULL);
}

/* ---- merge ------------------------------------------------------------------------------------ */

static int same_bytes(const char *a, const char *b)
{
	char *x = cy_test_slurp(a, NULL), *y = cy_test_slurp(b, NULL);
	int same = x && y && strcmp(x, y) == 0;
	free(x);
	free(y);
	return same;
}

static size_t count_entries(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	size_t n = 0, k = strlen(suffix);
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		n += len >= k && strcmp(e->d_name + len - k, suffix) == 0;
	}
	closedir(d);
	return n;
}

static void merge_joins_shards(void **state)
{
	(void)state;
	char s0[PATH_MAX], s1[PATH_MAX], out[PATH_MAX], from[PATH_MAX * 2], to[PATH_MAX * 2];
	make_dir("shard-0", s0, sizeof s0);
	make_dir("shard-1", s1, sizeof s1);
	cy_test_scratch_path(out, sizeof out, "merged");
	fake_in(s0, "cell-000-atomic.json", &(fake){.rc = "atomic", .runs = 5, .ops_per_s = ops_low});
	fake_in(s0, "cell-002-nonatomic.json", &(fake){.rc = "nonatomic", .runs = 5, .ops_per_s = ops_low});
	fake_in(s1, "cell-001-biased.json", &(fake){.rc = "biased", .runs = 5, .ops_per_s = ops_high});
	snprintf(from, sizeof from, "%s/summary.csv", s0);
	cy_test_write_text(from, "stale\n");

	/* Fakes of no suite: merged unchecked, which needs --allow-missing and says so. */
	cy_test_expect_refusal(cy_test_run_cyclab("merge", s0, s1, "-o", out, NULL), "no suite to check", "--suite FILE");
	cy_test_outcome o = cy_test_run_cyclab("merge", s0, s1, "-o", out, "--allow-missing", NULL);
	assert_int_equal(o.status, 0);
	assert_string_equal(o.err, "cyclab merge: warning: no suite recorded; merged without checking that every cell is there\n");
	assert_int_equal(cy_test_count_lines(o.out), 1);
	assert_contains(o.out, "3 results in");
	assert_contains(o.out, "3 copied from 2 directories, 0 already there");
	cy_test_outcome_free(&o);
	const char *names[] = {"cell-000-atomic.json", "cell-001-biased.json", "cell-002-nonatomic.json"};
	for (int i = 0; i < 3; i++) {
		snprintf(from, sizeof from, "%s/%s", i == 1 ? s1 : s0, names[i]);
		snprintf(to, sizeof to, "%s/%s", out, names[i]);
		assert_true(same_bytes(from, to)); /* copied unchanged, machine metadata and all */
	}
	assert_int_equal(count_entries(out, ".json"), 3);
	assert_int_equal(count_entries(out, ".tmp"), 0);
	/* summary.csv for the union: the header and one row per cell, in file order. */
	snprintf(to, sizeof to, "%s/summary.csv", out);
	char *csv = cy_test_slurp(to, NULL);
	assert_non_null(csv);
	assert_int_equal(cy_test_count_lines(csv), 4);
	assert_true(strncmp(csv, "file,workload,", 14) == 0);
	char line[512];
	line_starting(csv, "cell-001-biased.json,linked-cycles,1,biased,stw,", line, sizeof line);
	assert_contains(line, ",202,"); /* the median ops/s, as the suite writes it */
	free(csv);

	/* Again, and with a directory twice: identical copies are fine and nothing is rewritten. */
	o = cy_test_run_cyclab("merge", s0, s1, s0, "-o", out, "--allow-missing", NULL);
	assert_int_equal(o.status, 0);
	assert_contains(o.out, "0 copied from 3 directories, 3 already there");
	cy_test_outcome_free(&o);
	/* Merging into one of the inputs. */
	o = cy_test_run_cyclab("merge", s1, "-o", s0, "--allow-missing", NULL);
	assert_int_equal(o.status, 0);
	assert_int_equal(count_entries(s0, ".json"), 3);
	cy_test_outcome_free(&o);
}

static void merge_refuses_conflicts_and_bad_input(void **state)
{
	(void)state;
	char s0[PATH_MAX], other[PATH_MAX], broken[PATH_MAX], out[PATH_MAX], file[PATH_MAX * 2];
	make_dir("conflict-0", s0, sizeof s0);
	make_dir("conflict-1", other, sizeof other);
	make_dir("conflict-bad", broken, sizeof broken);
	cy_test_scratch_path(out, sizeof out, "conflict-out");
	fake_in(s0, "cell-000-atomic.json", &(fake){.rc = "atomic", .runs = 5, .ops_per_s = ops_low});
	/* The same cell measured again: different bytes under the same name. */
	fake_in(other, "cell-000-atomic.json", &(fake){.rc = "atomic", .runs = 5, .ops_per_s = ops_high});
	cy_test_expect_refusal(cy_test_run_cyclab("merge", s0, other, "-o", out, "--allow-missing", NULL),
		"duplicated cell cell-000-atomic.json", "different results");
	assert_int_equal(access(out, F_OK), -1); /* nothing written */

	fake_in(broken, "cell-000-ok.json", &(fake){.rc = "atomic", .runs = 5, .ops_per_s = ops_low});
	snprintf(file, sizeof file, "%s/cell-001-bad.json", broken);
	cy_test_write_text(file, "{\"schema\": \"cyclab-result/1\"");
	cy_test_expect_refusal(
		cy_test_run_cyclab("merge", s0, broken, "-o", out, "--allow-missing", NULL), "cell-001-bad.json: not valid JSON",
		NULL);
	assert_int_equal(access(out, F_OK), -1);

	/* OUT already holds another result under the name: refused, and left as it was. */
	cy_test_outcome o = cy_test_run_cyclab("merge", s0, "-o", out, "--allow-missing", NULL);
	assert_int_equal(o.status, 0);
	cy_test_outcome_free(&o);
	cy_test_expect_refusal(cy_test_run_cyclab("merge", other, "-o", out, "--allow-missing", NULL),
		"duplicated cell cell-000-atomic.json", "different results");
	snprintf(file, sizeof file, "%s/cell-000-atomic.json", s0);
	char kept[PATH_MAX * 2];
	snprintf(kept, sizeof kept, "%s/cell-000-atomic.json", out);
	assert_true(same_bytes(file, kept));

	cy_test_expect_refusal(cy_test_run_cyclab("merge", s0, NULL), "no output directory given", NULL);
	cy_test_expect_refusal(cy_test_run_cyclab("merge", "-o", out, NULL), "no directory to merge", NULL);
	cy_test_expect_refusal(
		cy_test_run_cyclab("merge", "/nonexistent/shard", "-o", out, NULL), "No such file or directory", NULL);
	cy_test_expect_refusal(cy_test_run_cyclab("merge", s0, "-o", file, NULL), "is not a directory", NULL);
	cy_test_expect_refusal(
		cy_test_run_cyclab("merge", s0, "--force", "-o", out, NULL), "unknown option '--force'", NULL);
}

static void merge_warns_on_different_machines(void **state)
{
	(void)state;
	char s0[PATH_MAX], s1[PATH_MAX], out[PATH_MAX];
	make_dir("machines-0", s0, sizeof s0);
	make_dir("machines-1", s1, sizeof s1);
	cy_test_scratch_path(out, sizeof out, "machines-out");
	fake_in(s0, "cell-000-a.json", &(fake){.rc = "atomic", .fingerprint = "fp-a", .runs = 3, .ops_per_s = ops_low});
	fake_in(s0, "cell-002-c.json", &(fake){.rc = "nonatomic", .fingerprint = "fp-a", .runs = 3, .ops_per_s = ops_low});
	fake_in(s1, "cell-001-b.json", &(fake){.rc = "biased", .fingerprint = "fp-b", .runs = 3, .ops_per_s = ops_low});
	cy_test_outcome o = cy_test_run_cyclab("merge", s0, s1, "-o", out, "--allow-missing", NULL);
	assert_int_equal(o.status, 0);
	assert_int_equal(cy_test_count_lines(o.err), 2); /* the machines, and no suite to check against */
	assert_contains(o.err, "warning: these results come from 2 machines (by topology fingerprint");
	assert_int_equal(count_entries(out, ".json"), 3);
	cy_test_outcome_free(&o);
}

static int setup(void **state)
{
	(void)state;
	return cy_test_cyclab_setup("cyclab-compare");
}

static int teardown(void **state)
{
	(void)state;
	return cy_test_remove_tree(cy_test_scratch());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reader_reads_key_samples_and_machine),
		cmocka_unit_test(reader_errors_are_one_line),
		cmocka_unit_test(machines_by_fingerprint_or_model),
		cmocka_unit_test(run_summary_carries_aggregates),
		cmocka_unit_test(compare_files_clearly_apart),
		cmocka_unit_test(compare_process_level_figure_not_tested),
		cmocka_unit_test(compare_overlapping_and_too_few),
		cmocka_unit_test(compare_warns_on_different_machines),
		cmocka_unit_test(compare_warns_on_round_trips_apart),
		cmocka_unit_test(compare_directories_by_cell),
		cmocka_unit_test(compare_json_output),
		cmocka_unit_test(compare_bad_input),
		cmocka_unit_test(merge_joins_shards),
		cmocka_unit_test(merge_refuses_conflicts_and_bad_input),
		cmocka_unit_test(merge_warns_on_different_machines),
	};
	return cmocka_run_group_tests_name("compare", tests, setup, teardown);
}
