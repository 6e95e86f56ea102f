/*
 * registry.c: every workload `cyclab list` shows, in that order.
 *
 * Adding a workload is one line in each list below: its def is defined in
 * the workload's own source (once, in the CY_RC_VARIANT == 0 copy).
 */
#include <string.h>

#include "workloads/workload.h"

extern const cy_workload_def cy_workload_linked_cycles;
extern const cy_workload_def cy_workload_observers, cy_workload_caches, cy_workload_handoff, cy_workload_binary_trees, cy_workload_gc_collect, cy_workload_gc_traversal, cy_workload_memory_idioms;

static const cy_workload_def *const workloads[] = {
	&cy_workload_linked_cycles,
	&cy_workload_observers, &cy_workload_caches, &cy_workload_handoff, &cy_workload_binary_trees, &cy_workload_gc_collect, &cy_workload_gc_traversal, &cy_workload_memory_idioms,
};

const cy_workload_def *const *cy_workloads(size_t *count)
{
	*count = sizeof workloads / sizeof workloads[0];
	return workloads;
}

const cy_workload_def *cy_workload_find(const char *name)
{
	for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++) {
		if (strcmp(workloads[i]->name, name) == 0)
			return workloads[i];
	}
	return NULL;
}
