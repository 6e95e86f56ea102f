/*
 * workload.c: the few functions workloads call that are not inline
 * (workload.h): parameter lookup by name, extra figures, setup errors.
 *
 * All three run on thread 0 of a run (setup, check or teardown) or on a
 * workload thread reading its own parameters; none touches shared state
 * another thread writes, so none needs a lock.
 */
#include "workloads/workload.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t cy_param_index(const cy_workload_run *run, const char *name)
{
	const cy_workload_def *def = run->def;
	for (size_t i = 0; i < def->param_count; i++) {
		if (strcmp(def->params[i].name, name) == 0)
			return i;
	}
	/* A workload asking for a parameter it does not declare is a bug in the workload. */
	fprintf(stderr, "cyclab: workload %s reads undeclared parameter '%s'\n", def->name, name);
	abort();
}

void cy_workload_metric(cy_workload_run *run, const char *name, double value)
{
	for (unsigned i = 0; i < run->metrics; i++) {
		if (strcmp(run->metric_names[i], name) == 0) {
			run->metric_values[i] = value; /* reported twice: the last value wins */
			return;
		}
	}
	if (run->metrics == CY_WORKLOAD_MAX_METRICS) {
		fprintf(stderr, "cyclab: workload %s reports more than %d metrics\n", run->def->name,
			CY_WORKLOAD_MAX_METRICS);
		abort();
	}
	run->metric_names[run->metrics] = name;
	run->metric_values[run->metrics] = value;
	run->metrics++;
}

void cy_workload_error(cy_workload_run *run, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	vsnprintf(run->error, sizeof run->error, format, args);
	va_end(args);
	/* One line: the runner prints it after "cyclab run NAME: ". */
	run->error[strcspn(run->error, "\n")] = '\0';
}
