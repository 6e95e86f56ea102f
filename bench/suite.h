/*
 * suite.h: benchmark suites, `cyclab suite FILE -o DIR`.
 *
 * A suite file (format: the essay at the top of bench/suite.c) names
 * workloads and lists of values for `cyclab run` knobs and workload
 * parameters; loading it checks every value with the runner's own
 * validation and expands each workload block into the cartesian product of
 * its lists, in file order, the last list varying fastest. A cell is one
 * `cyclab run` command: its words are kept as the command line would carry
 * them, so running a cell in-process, printing it for a cluster (--list)
 * and parsing that line back all go through the same option parser.
 */
#ifndef CY_BENCH_SUITE_H
#define CY_BENCH_SUITE_H

#include <stddef.h>
#include <stdio.h>

#include "bench/run.h"

typedef struct cy_suite_cell {
	size_t index;  /* in the whole matrix, from 0; names the result file */
	cy_run_config config; /* validated: what `cyclab run` would run (its choice params point into it: not to be copied) */
	int word_count;
	char **words;  /* NAME --knob value ... --param key=value (no program, no -o) */
	char slug[96]; /* workload and the values that vary, safe in a file name */
} cy_suite_cell;

typedef struct cy_suite {
	cy_suite_cell *cells;
	size_t count;
	size_t skipped;        /* combinations the runner refuses (nonatomic with threads > 1...) */
	char skip_reason[512]; /* the first such reason */
} cy_suite;

/* Parse text (named path in errors) into suite; -1 with "path:line: why" on bad input. */
int cy_suite_parse(const char *path, const char *text, cy_suite *suite, char *why, size_t len);

/* Read and parse the file at path; -1 with why. */
int cy_suite_load(const char *path, cy_suite *suite, char *why, size_t len);

void cy_suite_free(cy_suite *suite);

/* "I/N", I 0-based in 0..N-1; -1 with why. */
int cy_suite_parse_shard(const char *text, unsigned *index, unsigned *count, char *why, size_t len);

/* Cell i belongs to shard index of count: every count-th cell from index. */
static inline int cy_suite_in_shard(size_t cell, unsigned index, unsigned count)
{
	return cell % count == index;
}

/* The cell's result file name inside the output directory: cell-NNN-<slug>.json. */
void cy_suite_cell_file(const cy_suite_cell *cell, char *out, size_t len);

/* One self-contained `PROGRAM run ... -o DIR/cell-NNN-slug.json` line per cell of the shard. */
void cy_suite_print_list(FILE *out, const cy_suite *suite, const char *program, const char *dir, unsigned shard,
	unsigned shards);

/* Rewrite DIR/summary.csv from the cell-*.json files present in DIR; -1 with why. */
int cy_suite_write_summary(const char *dir, char *why, size_t len);

/* The command (argv[0] reads "cyclab suite"). */
int cy_suite_main(int argc, char **argv);

#endif
