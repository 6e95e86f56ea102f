/*
 * plot_command.c: `cyclab plot DIR [-o OUT] [--quiet]` (plot.h).
 *
 * Reads the results (plot_input.c), draws what they support (plot.c) and
 * prints one line per figure, made or skipped with the reason. Bad input,
 * and gnuplot missing or failing, get one line on stderr and exit status 2.
 * The command line's parser and the names of files beside an input serve
 * `cyclab report` too (report.c).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/report/plot.h"

static void usage(FILE *out)
{
	fputs("usage: cyclab plot DIR [-o OUT] [--quiet]\n"
	      "\n"
	      "Draws the results in DIR (a `cyclab suite` output directory, a single result file, or\n"
	      "Google Benchmark JSON such as `ninja micro`'s micro-results) with gnuplot, as SVG and PNG\n"
	      "in OUT (default DIR/plots, or NAME-plots for a file NAME.json), each beside its gnuplot\n"
	      "script and data: per workload,\n"
	      "throughput against threads, pause-time CDF and histogram and MMU curves per collector,\n"
	      "heap and live objects over time, collector time per phase, lock wait and\n"
	      "reference-count operations per configuration; per micro-benchmark file, median time\n"
	      "per benchmark. Figures the data cannot support are skipped, with the reason;\n"
	      "OUT/plots.tsv lists both. --quiet prints nothing but errors.\n",
		out);
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
	int status = cy_plot_parse_command_line(argc, argv, &line, &args);
	if (status >= 0)
		return status;
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
