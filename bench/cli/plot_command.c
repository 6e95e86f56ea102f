/*
 * plot_command.c: `cyclab plot DIR [-o OUT] [--quiet]` and its explicit
 * form `cyclab plot DIR --x KNOB --y FIGURE [--by KNOB] [--where
 * KNOB=VALUE]... -o OUT` (plot.h, plot_study.h).
 *
 * Reads the results (plot_input.c), draws what they support (plot.c) and
 * prints one line per figure, made or skipped with the reason; the explicit
 * form draws the one figure asked for as OUT.svg, OUT.png, OUT.gp and
 * OUT.dat and touches nothing else in OUT's directory. Bad input, a name
 * that is not a knob or figure, a knob that does not vary, and gnuplot
 * missing or failing, get one line on stderr and exit status 2.
 * The command line's parser and the names of files beside an input serve
 * `cyclab report` too (report.c).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/report/plot.h"
#include "bench/report/plot_study.h"

static void usage(FILE *out)
{
	fputs("usage: cyclab plot DIR [-o OUT] [--quiet]\n"
	      "       cyclab plot DIR --x KNOB --y FIGURE [--by KNOB] [--where KNOB=VALUE]... -o OUT\n"
	      "\n"
	      "First, per workload, every figure below against every knob that varies among its cells\n"
	      "(study-FIGURE-KNOB-WORKLOAD): a line per combination of the other knobs that vary, or\n"
	      "grouped bars for a categorical knob, each point the median over the runs of one\n"
	      "configuration with its 95% interval as error bars; a log axis beyond a 10x span.\n"
	      "Then draws the results in DIR (a `cyclab suite` output directory, a single result file, or\n"
	      "Google Benchmark JSON such as `ninja micro`'s micro-results) with gnuplot, as SVG and PNG\n"
	      "in OUT (default DIR/plots, or NAME-plots for a file NAME.json), each beside its gnuplot\n"
	      "script and data: per workload,\n"
	      "throughput against threads, pause-time CDF and histogram and MMU curves per configuration,\n"
	      "heap and live objects over time, collector time per phase, lock wait and\n"
	      "reference-count operations per configuration; per micro-benchmark file, median time\n"
	      "per benchmark. Figures the data cannot support are skipped, with the reason;\n"
	      "OUT/plots.tsv lists both. --quiet prints nothing but errors.\n"
	      "\n"
	      "The explicit form draws FIGURE against KNOB over the cells kept by every --where, a\n"
	      "series per value of --by and of every other knob that still varies (cells that differ\n"
	      "in a knob are never pooled), and writes OUT.svg, OUT.png, the script OUT.gp and the data\n"
	      "OUT.dat (tab-separated, a header line, columns x, series, n, median, ci_low, ci_high).\n"
	      "\n",
		out);
	cy_study_print_names(out);
}

/* Take the explicit form's options out of argv (the rest is the shared command line). 2 on a bad one. */
static int take_request(int *argc, char **argv, cy_study_request *request, int *explicit_form)
{
	int kept = 1;
	*request = (cy_study_request){0};
	*explicit_form = 0;
	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i];
		int is_x = strcmp(a, "--x") == 0, is_y = strcmp(a, "--y") == 0, is_by = strcmp(a, "--by") == 0;
		int is_where = strcmp(a, "--where") == 0;
		if (!is_x && !is_y && !is_by && !is_where) {
			argv[kept++] = argv[i];
			continue;
		}
		*explicit_form = 1;
		if (i + 1 >= *argc || argv[i + 1][0] == '\0') {
			fprintf(stderr, "%s: %s needs a value (valid: --x KNOB, --y FIGURE, --by KNOB, --where KNOB=VALUE)\n",
				argv[0], a);
			return 2;
		}
		const char *value = argv[++i];
		if (is_x)
			request->x = value;
		else if (is_y)
			request->y = value;
		else if (is_by)
			request->by = value;
		else {
			const char *equals = strchr(value, '=');
			if (!equals || equals == value || !equals[1]) {
				fprintf(stderr, "%s: --where '%s' is not KNOB=VALUE (valid: --where gc=stw)\n", argv[0], value);
				return 2;
			}
			if (request->where_count == CY_STUDY_WHERE_MAX) {
				fprintf(stderr, "%s: more than %d --where conditions\n", argv[0], CY_STUDY_WHERE_MAX);
				return 2;
			}
			/* KNOB and VALUE point into argv: the '=' becomes the knob's end. */
			argv[i][equals - value] = '\0';
			request->where_knob[request->where_count] = value;
			request->where_value[request->where_count++] = equals + 1;
		}
	}
	*argc = kept;
	argv[kept] = NULL;
	return -1;
}

/* The explicit form: one figure, OUT.svg beside OUT.png, OUT.gp and OUT.dat. */
static int plot_request(const char *command, const cy_plot_input *in, const cy_study_request *request,
	const char *output, int quiet)
{
	char why[1024], dir[4096], name[CY_GP_NAME_MAX];
	const char *slash = strrchr(output, '/');
	const char *base = slash ? slash + 1 : output;
	snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - output) : 1, slash ? output : ".");
	if (slash == output)
		snprintf(dir, sizeof dir, "/");
	int plain = *base != '\0' && *base != '.' && strlen(base) < sizeof name;
	for (const char *p = base; *p && plain; p++)
		plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
			*p == '_' || *p == '.';
	if (!plain) {
		fprintf(stderr, "%s: -o '%s': the file name must be letters, digits, '-', '_' and '.' (valid: -o plots/p99)\n",
			command, output);
		return 2;
	}
	snprintf(name, sizeof name, "%s", base);
	cy_study *study;
	if (cy_study_open(in, &study, why, sizeof why) != 0) {
		fprintf(stderr, "%s: %s\n", command, why);
		return 2;
	}
	cy_gp gp;
	int status = 2;
	if (cy_gp_open_keeping(&gp, dir, why, sizeof why) == 0) {
		status = cy_study_draw_request(study, request, &gp, name, why, sizeof why);
		cy_gp_close(&gp);
	}
	if (status != 0)
		fprintf(stderr, "%s: %s\n", command, why);
	else if (!quiet)
		printf("%s: wrote %s.svg, %s.png, %s.gp and %s.dat\n", command, output, output, output, output);
	cy_study_free(study);
	return status != 0 ? 2 : 0;
}

void cy_plot_name_beside(const char *input, const char *suffix, char *out, size_t len)
{
	size_t n = strlen(input);
	if (n > 5 && strcmp(input + n - 5, ".json") == 0)
		n -= 5;
	snprintf(out, len, "%.*s%s", (int)n, input, suffix);
}

void cy_plot_default_dir(const char *input, char *out, size_t len)
{
	struct stat st;
	if (stat(input, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(out, len, "%s/plots", input);
		return;
	}
	/* A file's figures beside it, named after it, so they never mix with a suite's DIR/plots. */
	cy_plot_name_beside(input, "-plots", out, len);
}

int cy_plot_parse_command_line(int argc, char **argv, const cy_plot_command_line *line, cy_plot_args *args)
{
	*args = (cy_plot_args){0};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			line->usage(stdout);
			return 0;
		} else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
			if (i + 1 >= argc || argv[i + 1][0] == '\0') {
				fprintf(stderr, "%s: %s needs %s (valid: -o %s)\n", argv[0], a, line->output_what,
					line->output_value);
				return 2;
			}
			args->output = argv[++i];
		} else if (strcmp(a, line->flag) == 0) {
			args->flag = 1;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "%s: unknown option '%s' (valid: -o %s, %s, --help)\n", argv[0], a, line->output_value,
				line->flag);
			return 2;
		} else if (args->input) {
			fprintf(stderr, "%s: one input only, got '%s' and '%s' (valid: cyclab %s DIR [-o %s])\n", argv[0],
				args->input, a, line->command, line->output_value);
			return 2;
		} else {
			args->input = a;
		}
	}
	if (!args->input) {
		fprintf(stderr, "%s: no input given (valid: cyclab %s DIR [-o %s], DIR a suite's output)\n", argv[0],
			line->command, line->output_value);
		return 2;
	}
	return -1;
}

int cy_plot_main(int argc, char **argv)
{
	static const cy_plot_command_line line = {.command = "plot", .output_value = "OUT",
		.output_what = "a directory", .flag = "--quiet", .usage = usage};
	cy_plot_args args;
	cy_study_request request;
	int explicit_form;
	int status = take_request(&argc, argv, &request, &explicit_form);
	if (status >= 0)
		return status;
	status = cy_plot_parse_command_line(argc, argv, &line, &args);
	if (status >= 0)
		return status;
	if (explicit_form && (!request.x || !request.y || !args.output)) {
		fprintf(stderr, "%s: the explicit form needs %s (valid: cyclab plot DIR --x KNOB --y FIGURE -o OUT)\n",
			argv[0], !request.x ? "--x KNOB" : !request.y ? "--y FIGURE" : "-o OUT");
		return 2;
	}
	const char *input = args.input;
	int quiet = args.flag;
	char why[1024], out_dir[4096];
	if (args.output)
		snprintf(out_dir, sizeof out_dir, "%s", args.output);
	else
		cy_plot_default_dir(input, out_dir, sizeof out_dir);
	cy_plot_input in;
	if (cy_plot_input_load(input, &in, why, sizeof why) != 0) {
		fprintf(stderr, "%s: %s\n", argv[0], why);
		return 2;
	}
	if (explicit_form) {
		status = plot_request(argv[0], &in, &request, args.output, quiet);
		cy_plot_input_free(&in);
		return status;
	}
	cy_gp gp;
	if (cy_gp_open(&gp, out_dir, why, sizeof why) != 0) {
		fprintf(stderr, "%s: %s\n", argv[0], why);
		cy_plot_input_free(&in);
		return 2;
	}
	int err = cy_plot_draw(&in, &gp, why, sizeof why);
	if (err != 0) {
		fprintf(stderr, "%s: %s\n", argv[0], why);
	} else if (!quiet) {
		size_t made = 0;
		for (size_t i = 0; i < gp.count; i++)
			made += gp.entries[i].made;
		printf("%s: %zu figure%s (SVG and PNG) in %s, %zu skipped\n", argv[0], made, made == 1 ? "" : "s", out_dir,
			gp.count - made);
		for (size_t i = 0; i < gp.count; i++) {
			const cy_gp_entry *e = &gp.entries[i];
			if (e->made)
				printf("  made     %-28s %s\n", e->name, e->title);
			else
				printf("  skipped  %-28s %s\n", e->name, e->subtitle);
		}
	}
	cy_gp_close(&gp);
	cy_plot_input_free(&in);
	return err ? 2 : 0;
}
