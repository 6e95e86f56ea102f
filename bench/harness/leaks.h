/*
 * leaks.h: `cyclab run --find-leaks[=DOT]`, which container types grew over
 * each measured run, and what holds one instance of the type that grew
 * most.
 *
 * As the timed part of a repetition starts, the tracked containers are
 * counted by type; as it ends, they are counted again and the heap of
 * tracked containers is copied as a graph (each container, its type, its
 * count, the references its traverse visits), with the world stopped. From
 * one instance of the type that grew most, references are followed
 * backwards, breadth first, to the nearest container that something
 * outside the tracked heap refers to (a root: its count exceeds the
 * references containers hold to it, the test CPython's collector makes)
 * or back to the instance itself (a cycle); the shortest such chain is
 * kept. Only containers are counted: ints, floats and bytes are never
 * tracked, and hold nothing.
 *
 * The graph is copied only at the end of a run and dropped once the chain
 * is found; a heap of more than CY_LEAKS_MAX_OBJECTS containers is counted
 * but not searched.
 */
#ifndef CY_BENCH_LEAKS_H
#define CY_BENCH_LEAKS_H

#include <stdint.h>
#include <stdio.h>

#include "bench/results/json_writer.h"

#define CY_LEAKS_MAX_OBJECTS ((size_t)1 << 24)
#define CY_LEAKS_MAX_CHAIN 32

typedef struct cy_leak_type {
	const char *name; /* the type's name (static) */
	int64_t start, end;
} cy_leak_type;

typedef struct cy_leak_link {
	const char *type_name;
	uintptr_t address;
} cy_leak_link;

typedef struct cy_leak_report {
	size_t type_count;
	cy_leak_type *types; /* every type seen, biggest growth first */
	/* From the root (or the instance, for a cycle) to the instance; empty when not searched. */
	size_t chain_length;
	cy_leak_link chain[CY_LEAKS_MAX_CHAIN];
	int cycle;    /* the chain leaves the instance and comes back to it */
	int searched; /* 0: nothing grew, or the heap was too big */
} cy_leak_report;

/* The timed part starts: count the containers by type. */
void cy_leaks_mark_start(void);
/* It has ended: count again and search. NULL when memory ran out. */
cy_leak_report *cy_leaks_end(void);
void cy_leak_report_free(cy_leak_report *report);

/* "leaks": {...} in a run's object; nothing for NULL. */
void cy_leaks_write_json(cy_json *j, const cy_leak_report *report);

/* What the measured runs found, for a person: each type that grew, its growth in each run, and the last run's chain. */
struct cy_run_record;
void cy_leaks_print(FILE *out, const struct cy_run_record *runs, unsigned count);
/*
 * The last run's chain as a Graphviz digraph in path (no nodes when nothing
 * grew); -1 after a line on stderr when it cannot be written.
 */
int cy_leaks_write_dot(const struct cy_run_record *runs, unsigned count, const char *path);

#endif
