/*
 * suite.h: benchmark suites, `cyclab suite FILE -o DIR`.
 *
 * A suite file (format: the essay at the top of bench/suite/suite.c) names
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

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bench/harness/run.h"

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

/*
 * The cell as one self-contained shell command, `PROGRAM run WORDS --quiet -o
 * PATH`, words quoted for a POSIX shell where needed; malloc'd (NULL without memory).
 */
char *cy_suite_cell_command(const cy_suite_cell *cell, const char *program, const char *path);

/* One self-contained `PROGRAM run ... -o DIR/cell-NNN-slug.json` line per cell of the shard. */
void cy_suite_print_list(FILE *out, const cy_suite *suite, const char *program, const char *dir, unsigned shard,
	unsigned shards);

/* "12 s", "3 min 04 s", "2 h 05 min": for progress lines. */
void cy_suite_format_duration(double seconds, char *out, size_t len);

/* ---- interleaving: bench/suite/suite_interleave.c ------------------------------------ */

/*
 * The interleaved schedule: out receives every measured repetition of every
 * cell as the cell's number i (0 <= i < count), cell i appearing counts[i]
 * times, in a random order drawn from seed (splitmix64, then an unbiased
 * Fisher-Yates shuffle): the same counts and seed give the same order on any
 * machine. out holds the sum of counts.
 */
void cy_suite_shuffle_schedule(const unsigned *counts, size_t count, uint64_t seed, size_t *out);

/* --seed's value: an unsigned 64-bit decimal integer; -1 with why. */
int cy_suite_parse_seed(const char *text, uint64_t *seed, char *why, size_t len);

/* What running a suite's cells came to: the closing line and the exit status are made of it. */
typedef struct cy_suite_outcome {
	size_t ran;      /* cells run to their end (result written, or failed) */
	size_t failed;   /* of those, cells that failed or could not run */
	size_t dropped;  /* cells left unfinished by Ctrl-C: no result, they run again next time */
	double spent_s;  /* time spent running repetitions */
} cy_suite_outcome;

/*
 * Run the cells numbered in pending (indices into suite->cells) with their
 * measured repetitions interleaved in the order cy_suite_shuffle_schedule
 * draws from seed; each cell's result goes to DIR/cell-NNN-<slug>.json,
 * written atomically once its last repetition has run. A progress line goes
 * to stderr when tty. Stops after the running repetition once *stop is
 * nonzero (Ctrl-C): cells not finished by then leave no result.
 */
void cy_suite_run_interleaved(const cy_suite *suite, const size_t *pending, size_t count, const char *dir,
	uint64_t seed, int tty, volatile sig_atomic_t *stop, cy_suite_outcome *outcome);

/* The command (argv[0] reads "cyclab suite"). */
int cy_suite_main(int argc, char **argv);

#endif
