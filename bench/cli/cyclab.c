/*
 * cyclab.c: the cyclab command.
 *
 *   cyclab --version | --help
 *   cyclab COMMAND [ARGS...]
 *
 * main() only dispatches: it looks COMMAND up in a table and hands the
 * command its own argument vector (argv[0] reads "cyclab COMMAND", for
 * messages). Adding a command, such as the workload runner, is adding a
 * row. A command line that names no known command or option is answered
 * with one line on stderr naming the valid choices, and exit status 2.
 *
 * What a command prints on stdout is data (a comparison, a list of
 * commands for a job array, a result with -o -): it is flushed and checked
 * here, once for every command, so output lost to a full disk or a closed
 * file is an error (exit 1 when the command had succeeded), not a silent
 * truncation.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bench/report/memory_command.h"
#include "bench/results/compare.h"
#include "bench/results/merge.h"
#include "bench/micro/micro.h"
#include "bench/report/plot.h"
#include "bench/report/report.h"
#include "bench/results/results.h"
#include "bench/harness/run.h"
#include "bench/cli/suite_command.h"
#include "bench/suite/suite.h"
#include "bench/suite/suite_record.h"
#include "bench/version.h"
#include "runtime/sysalloc.h"

/* merge, with the suite room's expansion of a suite into its cells' file names. */
static int merge_main(int argc, char **argv)
{
	return cy_merge_run(argc, argv, cy_suite_expected_files);
}

typedef struct cyclab_command {
	const char *name;
	const char *synopsis; /* its arguments, for --help */
	const char *summary;
	int (*run)(int argc, char **argv);
} cyclab_command;

static const cyclab_command commands[] = {
	{
		.name = "list",
		.synopsis = "",
		.summary = "list the workloads, a line each",
		.run = cy_list_main,
	},
	{
		.name = "run",
		.synopsis = "NAME [--threads N] [--rc MODE] [--gc MODE] [--alloc NAME] [--duration S | --ops N]\n"
			    "        [--repeat N] [--warmup N] [--param KEY=VALUE]... [-o FILE] ...",
		.summary = "run a workload, print a summary, write a JSON result\n"
			   "        (`cyclab run --help`, `cyclab run NAME --help`)",
		.run = cy_run_main,
	},
	{"suite", "FILE -o DIR [--force] [--shard I/N] [--list] [--sequential] [--quiet]", "run a suite's matrix of cyclab run cells (`cyclab suite --help`)", cy_suite_main},
	{"compare", "A B [--json] [-o FILE]", "compare two results or suite directories, with significance (`cyclab compare --help`)", cy_compare_main},
	{"merge", "DIR... -o OUT [--suite FILE] [--allow-missing]", "join suite directories (shards) into one, checked complete, summary.csv rewritten (`cyclab merge --help`)", merge_main},
	{"plot", "DIR [-o OUT]", "draw a suite's results (and micro-benchmark JSON) with gnuplot, SVG and PNG (`cyclab plot --help`)", cy_plot_main},
	{"memory", "RESULT [--by line|site|file|traceback|type] [--top N] [--format text|csv|json]", "the top allocation sites of a result from `cyclab run --trace-alloc` (`cyclab memory --help`)", cy_memory_main},
	{"report", "DIR [-o FILE]", "one self-contained HTML page: summary, plots, machine, configurations (`cyclab report --help`)", cy_report_main},
	{
		.name = "micro",
		.synopsis = "[--benchmark_filter=REGEX] [--benchmark_repetitions=N] [--benchmark_format=json] ...",
		.summary = "run the micro-benchmarks in this process; takes Google Benchmark's flags\n"
			   "        (`cyclab micro --help` lists them all)",
		.run = cy_micro_main,
	},
};

enum { COMMAND_COUNT = sizeof commands / sizeof commands[0] };

static void print_command_names(FILE *out)
{
	for (int i = 0; i < COMMAND_COUNT; i++)
		fprintf(out, "%s%s", i ? ", " : "", commands[i].name);
}

static void print_usage(FILE *out)
{
	fputs("usage: cyclab --version | --help\n"
	      "       cyclab COMMAND [ARGS...]\n"
	      "\n"
	      "commands:\n",
	      out);
	for (int i = 0; i < COMMAND_COUNT; i++)
		fprintf(out, "  cyclab %s %s\n        %s\n", commands[i].name, commands[i].synopsis, commands[i].summary);
}

static void print_version(void)
{
	printf("cyclab %s, revision %s (%s build, reference-count counters %s)\n", CY_VERSION, cy_build_revision(),
		CY_BUILD_KIND, CY_BUILD_COUNTERS);
}

/* The exit status once stdout is flushed: status, or 1 with a line on stderr if anything written to it was lost. */
static int finish_stdout(const char *name, int status)
{
	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return status;
	fprintf(stderr, "%s: cannot write standard output: %s\n", name, errno ? strerror(errno) : "write error");
	return status ? status : 1;
}

static const cyclab_command *find_command(const char *name)
{
	for (int i = 0; i < COMMAND_COUNT; i++) {
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	}
	return NULL;
}

int main(int argc, char **argv)
{
	/* Before anything else: --alloc jemalloc needs static TLS that only a fresh exec can reserve. */
	cy_sysalloc_reserve_static_tls(argv);
	if (argc < 2) {
		fputs("cyclab: no command given (valid: ", stderr);
		print_command_names(stderr);
		fputs("; or --help, --version)\n", stderr);
		return 2;
	}
	const char *word = argv[1];
	if (strcmp(word, "--version") == 0 || strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0) {
		if (argc > 2) {
			fprintf(stderr, "cyclab: %s takes no arguments (got '%s')\n", word, argv[2]);
			return 2;
		}
		if (strcmp(word, "--version") == 0)
			print_version();
		else
			print_usage(stdout);
		return finish_stdout("cyclab", 0);
	}
	if (word[0] == '-') {
		fprintf(stderr, "cyclab: unknown option '%s' (valid: --help, --version, or a command first)\n", word);
		return 2;
	}
	const cyclab_command *command = find_command(word);
	if (!command) {
		fprintf(stderr, "cyclab: unknown command '%s' (valid: ", word);
		print_command_names(stderr);
		fputs(")\n", stderr);
		return 2;
	}
	char name[64];
	snprintf(name, sizeof name, "cyclab %s", command->name);
	argv[1] = name;
	return finish_stdout(name, command->run(argc - 1, argv + 1));
}
