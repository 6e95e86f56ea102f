/*
 * run_main.c: the commands `cyclab run NAME [options]` and `cyclab list`.
 *
 * `cyclab run` turns its argument vector into a configuration (defaults,
 * then CYCLAB_ variables: run_env.c, then the options in order:
 * run_options.c), refuses bad input before anything runs (one line naming
 * what is valid, exit status 2: an unwritable -o, --trace-gc-json or
 * --topology-xml file included), then runs the warm-up repetitions
 * (discarded: pyperf's and hyperfine's convention) and the measured ones
 * (run.c), prints a line per run and the summary (run_summary.c), and
 * writes the JSON result (run_result.c). --show-config stops after the
 * checks and prints the configuration instead.
 *
 * Exit status: 0 ok; 1 a workload check failed or objects leaked (the
 * result is written all the same); 2 bad input, or a configuration this
 * build cannot run (the concurrent collector, a missing allocator).
 */
#include "bench/harness/run_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/harness/leaks.h"
#include "bench/harness/machine.h"
#include "bench/harness/run_result.h"
#include "bench/results/results.h"

extern char **environ;

int cy_list_main(int argc, char **argv)
{
	if (argc > 1) {
		if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
			printf("usage: cyclab list\n\nLists the workloads that cyclab run knows, with a line each.\n");
			return 0;
		}
		fprintf(stderr, "%s: takes no arguments, not '%s' (valid: cyclab list, cyclab run NAME --help)\n",
			argv[0], argv[1]);
		return 2;
	}
	size_t n;
	const cy_workload_def *const *all = cy_workloads(&n);
	for (size_t i = 0; i < n; i++)
		printf("%-16s %s\n", all[i]->name, all[i]->summary);
	printf("\n`cyclab run NAME --help` describes a workload and its parameters.\n");
	return 0;
}


static char *join_command(int argc, char **argv)
{
	size_t len = 1;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 3;
	char *s = malloc(len);
	if (!s)
		return NULL;
	size_t used = 0;
	for (int i = 0; i < argc; i++) {
		int quote = argv[i][strcspn(argv[i], " \t'\"")] != '\0' && i > 0;
		used += (size_t)snprintf(s + used, len - used, "%s%s%s%s", i ? " " : "", quote ? "'" : "", argv[i],
			quote ? "'" : "");
	}
	return s;
}

/* The workload named on the command line: the first argument that is neither an option nor its value. */
static int find_workload_arg(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (arg[0] != '-')
			return i;
		if (strchr(arg, '='))
			continue;
		if (cy_run_option_takes_value(arg))
			i++;
	}
	return -1;
}

/*
 * Before anything runs, everything the run will write: the result's path
 * is probed, the trace file opened (as FILE.tmp), the topology exported,
 * and the placement planned once (a plan that fails is bad input; one
 * with more threads than CPUs gets a warning, once). 0, or -1 after one
 * line on stderr.
 */
static int prepare_outputs(const char *prog, cy_run_config *c)
{
	char why[512];
	if (c->output && cy_results_probe(c->output, why, sizeof why) != 0) {
		fprintf(stderr, "%s: %s\n", prog, why);
		return -1;
	}
	if (c->output && strcmp(c->output, "-") == 0)
		c->quiet = 1; /* standard output carries the JSON alone */
	cy_placement *plan = cy_placement_plan(c->pin, c->threads, why, sizeof why);
	if (!plan) {
		fprintf(stderr, "%s: --pin %s: %s\n", prog, cy_pin_policy_name(c->pin), why);
		return -1;
	}
	if (cy_placement_oversubscribed(plan))
		fprintf(stderr, "%s: warning: %u threads on %u allowed CPUs: some share a CPU (each run records where its threads ran)\n",
			prog, c->threads, cy_placement_allowed_pus(plan));
	cy_placement_free(plan);
	if (c->topology_xml && cy_topology_export_xml(c->topology_xml, why, sizeof why) != 0) {
		fprintf(stderr, "%s: --topology-xml: %s\n", prog, why);
		return -1;
	}
	if (c->trace_gc || c->trace_gc_json) {
		c->trace = cy_gc_trace_open(c->trace_gc, c->trace_gc_json, why, sizeof why);
		if (!c->trace) {
			fprintf(stderr, "%s: %s\n", prog, why);
			return -1;
		}
	}
	return 0;
}

static int run_command(const char *prog, const cy_run_config *c, const char *command)
{
	char why[512];
	cy_machine machine;
	cy_machine_probe(&machine);
	char started[32];
	time_t now = time(NULL);
	struct tm utc;
	gmtime_r(&now, &utc);
	strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", &utc);

	if (!c->quiet) {
		printf("%s: %u thread%s, rc %s, gc %s, alloc %s, ", c->workload->name, c->threads, c->threads == 1 ? "" : "s",
			cy_rc_mode_name(c->rc), cy_gc_mode_name(c->gc), cy_alloc_name(c->alloc));
		if (c->ops > 0)
			printf("%" PRId64 " ops", c->ops);
		else
			printf("%g s", c->duration_s);
		printf(" x %u (+%u warm-up), seed %" PRIu64, c->repeat, c->warmup, c->seed);
		/* What sharing costs here now (core_latency.h): it moves on virtual machines. */
		if (c->threads > 1 && machine.core_round_trip.median_ns > 0)
			printf("; core round trip %.0f ns (CPUs %d, %d)", machine.core_round_trip.median_ns,
				machine.core_round_trip.cpus[0], machine.core_round_trip.cpus[1]);
		printf("\n");
		fflush(stdout);
	}
	for (unsigned i = 0; i < c->warmup; i++) {
		if (c->trace)
			cy_gc_trace_begin_repetition(c->trace, 1, i + 1);
		cy_run_record rec;
		int status = cy_run_repetition(c, &rec, why, sizeof why);
		cy_run_record_free(&rec);
		if (status != CY_RUN_OK) {
			fprintf(stderr, "%s %s: %s\n", prog, c->workload->name, why);
			return status == CY_RUN_UNAVAILABLE ? 2 : 1;
		}
		if (!c->quiet) {
			char a[32];
			printf("  warm-up %u: %s ops/s\n", i + 1, cy_run_human(rec.ops_per_s, a, sizeof a));
			fflush(stdout);
		}
	}
	cy_run_record *runs = calloc(c->repeat, sizeof *runs);
	if (!runs) {
		fprintf(stderr, "%s: out of memory for %u run records\n", prog, c->repeat);
		return 1;
	}
	unsigned done = 0;
	int exit_status = 0;
	const char *status = "ok";
	char status_text[600];
	int64_t most_leaked = 0;
	for (; done < c->repeat; done++) {
		if (c->trace)
			cy_gc_trace_begin_repetition(c->trace, 0, done + 1);
		int result = cy_run_repetition(c, &runs[done], why, sizeof why);
		if (result == CY_RUN_UNAVAILABLE) {
			fprintf(stderr, "%s %s: %s\n", prog, c->workload->name, why);
			exit_status = 2;
			break;
		}
		if (result == CY_RUN_OK || runs[done].ops > 0) {
			if (!c->quiet) {
				char label[32];
				snprintf(label, sizeof label, "  run %u:", done + 1);
				cy_run_print_run_line(label, &runs[done]);
				fflush(stdout);
			}
		}
		if (result != CY_RUN_OK) {
			fprintf(stderr, "%s %s: %s\n", prog, c->workload->name, why);
			snprintf(status_text, sizeof status_text, "failed: %s", why);
			status = status_text;
			exit_status = 1;
			done += runs[done].ops > 0;
			break;
		}
		if (runs[done].check_failed && exit_status == 0) {
			snprintf(status_text, sizeof status_text, "check failed: %s", runs[done].check_message);
			status = status_text;
			exit_status = 1;
		}
		if (runs[done].leaked_objects > most_leaked && !runs[done].leaks_by_design)
			most_leaked = runs[done].leaked_objects;
	}
	/* The leak figure everywhere it is shown: the most one run left (run_summary.c). */
	if (most_leaked > 0 && exit_status == 0) {
		snprintf(status_text, sizeof status_text, "leaked %" PRId64 " objects", most_leaked);
		status = status_text;
		exit_status = 1;
	}
	if (exit_status != 2) {
		if (!c->quiet)
			cy_run_print_summary(c, runs, done);
		if (c->find_leaks && !c->quiet)
			cy_leaks_print(stdout, runs, done);
		if (c->find_leaks_dot && cy_leaks_write_dot(runs, done, c->find_leaks_dot) != 0)
			exit_status = 1;
		else if (c->find_leaks_dot && !c->quiet)
			printf("chain written to %s (Graphviz: dot -Tsvg %s)\n", c->find_leaks_dot, c->find_leaks_dot);
		if (c->output) {
			cy_run_report report = {
				.config = c,
				.machine = &machine,
				.command_line = command,
				.started_utc = started,
				.runs = runs,
				.run_count = done,
				.status = status,
			};
			if (cy_results_write(c->output, &report, why, sizeof why) != 0) {
				fprintf(stderr, "%s: %s\n", prog, why);
				exit_status = 1;
			} else if (!c->quiet && strcmp(c->output, "-") != 0) {
				printf("result written to %s\n", c->output);
			}
		}
		if (exit_status == 1 && !c->quiet)
			fprintf(stderr, "%s %s: %s\n", prog, c->workload->name, status);
	}
	for (unsigned i = 0; i < c->repeat; i++)
		cy_run_record_free(&runs[i]);
	free(runs);
	return exit_status;
}

int cy_run_main(int argc, char **argv)
{
	const char *prog = argv[0];
	int name_at = find_workload_arg(argc, argv);
	int want_help = 0;
	for (int i = 1; i < argc; i++)
		want_help |= strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0;
	if (name_at < 0) {
		if (want_help) {
			cy_run_print_usage(stdout);
			return 0;
		}
		fprintf(stderr, "%s: no workload given (valid: ", prog);
		cy_run_print_workload_names(stderr);
		fputs("; cyclab list describes them)\n", stderr);
		return 2;
	}
	const cy_workload_def *w = cy_workload_find(argv[name_at]);
	if (!w) {
		fprintf(stderr, "%s: unknown workload '%s' (valid: ", prog, argv[name_at]);
		cy_run_print_workload_names(stderr);
		fputs(")\n", stderr);
		return 2;
	}
	if (want_help) {
		cy_run_print_workload_help(stdout, w);
		return 0;
	}
	cy_run_config config;
	cy_run_config_init(&config, w);
	if (cy_run_apply_environment(&config, environ, prog) != 0)
		return 2;
	cli_state state = {.config = &config, .source = CY_SOURCE_COMMAND_LINE};
	char why[512];
	for (int i = 1; i < argc; i++) {
		if (i == name_at)
			continue;
		if (argv[i][0] != '-') {
			fprintf(stderr, "%s: one workload per run, not '%s' after '%s'\n", prog, argv[i], w->name);
			return 2;
		}
		const char *value;
		const run_option *o = cy_run_match_option(prog, argc, argv, &i, &value);
		if (!o)
			return 2;
		if (cy_run_apply(o, &state, value, why, sizeof why) != 0) {
			fprintf(stderr, "%s: %s\n", prog, why);
			return 2;
		}
	}
	if (state.duration_given && state.ops_given) {
		fprintf(stderr, "%s: give --duration or --ops, not both\n", prog);
		return 2;
	}
	if (cy_run_validate(&config, why, sizeof why) != 0) {
		char from[256];
		cy_run_describe_environment(&config, from, sizeof from);
		fprintf(stderr, "%s: %s%s\n", prog, why, from);
		return 2;
	}
	if (config.show_config) {
		cy_run_print_config(stdout, &config);
		return 0;
	}
	if (prepare_outputs(prog, &config) != 0)
		return 2;
	char *command = join_command(argc, argv);
	int status = run_command(prog, &config, command ? command : prog);
	free(command);
	if (config.trace && cy_gc_trace_close(config.trace, status != 2, why, sizeof why) != 0) {
		fprintf(stderr, "%s: %s\n", prog, why);
		if (status == 0)
			status = 1;
	}
	return status;
}
