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
	size_t index;  /* in the suite's list of cells, from 0: what --shard counts */
	cy_run_config config; /* resolved: what its explicit words give `cyclab run` (choice params point into it) */
	int word_count;
	char **words;  /* as the file gives it: NAME --knob value ... --param key=value (no program, no -o) */
	int explicit_count;
	char **explicit_words; /* NAME and every knob and parameter (bench/suite/suite_cell.c): what runs */
	uint64_t id;   /* a hash of explicit_words: the cell's identity, whatever its position */
	char slug[96]; /* workload and the values that vary, safe in a file name */
} cy_suite_cell;

typedef struct cy_suite {
	cy_suite_cell *cells;
	size_t count;
	size_t skipped;        /* combinations the runner refuses (nonatomic with threads > 1...) */
	char skip_reason[512]; /* the first such reason */
} cy_suite;

/* ---- the file and its cells: bench/suite/suite.c -------------------------------------- */

/*
 * Parse text (named path in errors) into suite, its cells resolved without
 * any CYCLAB_ variable; -1 with "path:line: why" on bad input.
 */
int cy_suite_parse(const char *path, const char *text, cy_suite *suite, char *why, size_t len);

/* Read and parse the file at path; -1 with why. */
int cy_suite_load(const char *path, cy_suite *suite, char *why, size_t len);

void cy_suite_free(cy_suite *suite);

/* The CPUs this process may run on (its affinity mask): what $NPROC reads in a suite file. */
unsigned cy_suite_nproc(void);

/* "I/N", I 0-based in 0..N-1; -1 with why. */
int cy_suite_parse_shard(const char *text, unsigned *index, unsigned *count, char *why, size_t len);

/* Cell i belongs to shard index of count: every count-th cell from index. */
static inline int cy_suite_in_shard(size_t cell, unsigned index, unsigned count)
{
	return cell % count == index;
}

/* "12 s", "3 min 04 s", "2 h 05 min": for progress lines. */
void cy_suite_format_duration(double seconds, char *out, size_t len);

/* ---- explicit cells: bench/suite/suite_cell.c ----------------------------------------- */

/*
 * Resolve every cell under env (a NULL-terminated NAME=VALUE array) as
 * `cyclab run` would: its explicit words, config and id. The caller has
 * checked env as a whole first (cy_run_apply_environment). A combination
 * the environment makes invalid is left out and counted in skipped. 0; -1
 * with why (no cell left, two cells with the same knobs, no memory); -2
 * when a variable is refused for one of the workloads (printed).
 */
int cy_suite_resolve(cy_suite *suite, char *const *env, char *why, size_t len);

void cy_suite_cell_free(cy_suite_cell *cell);

/* Is var ("CYCLAB_PARAM_KEY=VALUE") the variable of one of workload w's parameters? */
int cy_suite_is_param_variable(const char *var, const cy_workload_def *w);

/* The cell's result file name inside the output directory: cell-<12 hex of its id>-<slug>.json. */
void cy_suite_cell_file(const cy_suite_cell *cell, char *out, size_t len);
/* The id a cell file's name carries (the 48 bits of cy_suite_cell_short_id); -1 if name is not a cell file. */
int cy_suite_cell_file_id(const char *name, uint64_t *id);
uint64_t cy_suite_cell_short_id(const cy_suite_cell *cell);

/* words joined by spaces, each quoted for a POSIX shell where needed; malloc'd (NULL without memory). */
char *cy_suite_shell_words(int count, char *const *words);

/*
 * The cell as one self-contained shell command, `PROGRAM run EXPLICIT-WORDS
 * --quiet -o PATH`, words quoted for a POSIX shell where needed; malloc'd
 * (NULL without memory).
 */
char *cy_suite_cell_command(const cy_suite_cell *cell, const char *program, const char *path);

/*
 * One self-contained `PROGRAM run ... -o DIR/cell-....json` line per cell of
 * the shard, leaving out cell i where done[i] (done may be NULL). -1 if out
 * could not be written.
 */
int cy_suite_print_list(FILE *out, const cy_suite *suite, const unsigned char *done, const char *program,
	const char *dir, unsigned shard, unsigned shards);

/* ---- orders: bench/suite/suite_order.c ------------------------------------------------ */

/* The order the measured repetitions of a suite's cells run in. */
typedef enum cy_suite_order {
	CY_SUITE_INTERLEAVED, /* every repetition of every cell in one seeded random order (the default) */
	CY_SUITE_SEQUENTIAL,  /* cell after cell, each one's repetitions together, in the suite's order */
} cy_suite_order;

/*
 * The shuffled schedule: out receives every measured repetition of every
 * cell as the cell's number i (0 <= i < count), cell i appearing counts[i]
 * times, in a random order drawn from seed (splitmix64, then an unbiased
 * Fisher-Yates shuffle): the same counts and seed give the same order on any
 * machine. out holds the sum of counts.
 */
void cy_suite_shuffle_schedule(const unsigned *counts, size_t count, uint64_t seed, size_t *out);

/* The schedule of order over counts (seed unused when sequential): out as above. */
void cy_suite_draw_schedule(cy_suite_order order, const unsigned *counts, size_t count, uint64_t seed,
	size_t *out);

/* --seed's value: an unsigned 64-bit decimal integer; -1 with why. */
int cy_suite_parse_seed(const char *text, uint64_t *seed, char *why, size_t len);

/*
 * The recorded order of an interleaved run, DIR/order[-I-of-N].txt: the
 * seed and the ids of the cells the schedule was drawn over, in the order
 * drawn. A resumed run that finds one for the same cells draws the same
 * schedule and continues it.
 */
typedef struct cy_suite_order_record {
	uint64_t seed;
	size_t count;
	uint64_t *ids; /* count entries, malloc'd */
} cy_suite_order_record;

void cy_suite_order_file(const char *dir, unsigned shard, unsigned shards, char *out, size_t len);
/* 0 and the record; 1 when there is none; -1 with why when it cannot be read or is malformed. */
int cy_suite_order_read(const char *path, cy_suite_order_record *record, char *why, size_t len);
/* Written whole or not at all; -1 with why. */
int cy_suite_order_write(const char *path, const cy_suite_order_record *record, char *why, size_t len);
void cy_suite_order_free(cy_suite_order_record *record);

/* ---- running: bench/suite/suite_run.c ------------------------------------------------- */

/* How to run the cells. */
typedef struct cy_suite_plan {
	const char *dir;
	cy_suite_order order;
	uint64_t seed;        /* interleaved: of the shuffle */
	const size_t *cells;  /* the cells to draw the schedule over (indices into suite->cells), in order */
	size_t count;
	const unsigned char *done; /* done[i]: cell i (an index into suite->cells) is complete, not to run */
	size_t already_done;  /* of the plan's cells, for progress */
	int tty;              /* a progress line on stderr, rewritten in place */
	int log_lines;        /* a line per finished cell on stdout (stdout is not a terminal) */
} cy_suite_plan;

/* What running a suite's cells came to: the closing line and the exit status are made of it. */
typedef struct cy_suite_outcome {
	size_t ran;      /* cells run to their end (result written, or failed) */
	size_t failed;   /* of those, cells that failed or could not run */
	size_t dropped;  /* cells left unfinished by a signal: no result, they run again next time */
	int write_failed; /* a result could not be written: the run stopped there */
	double spent_s;  /* time spent running repetitions */
} cy_suite_outcome;

/*
 * Run plan->cells not done: their measured repetitions in the order the
 * plan's order draws (each cell's warm-up just before its first measured
 * repetition); each cell's result goes to DIR/cell-<id>-<slug>.json,
 * written atomically once its last repetition has run. Stops after the
 * running repetition once a signal caught by cy_suite_catch_signals
 * arrived: cells not finished by then leave no result. Stops too when a
 * result cannot be written.
 */
void cy_suite_run(const cy_suite *suite, const cy_suite_plan *plan, cy_suite_outcome *outcome);

/*
 * SIGINT and SIGTERM, from now until cy_suite_release_signals: the first
 * asks the runner to stop after the running repetition; a second ends the
 * process at once (exit 128 + its number) after removing the temporary
 * file being written, if any, and DIR's summary.csv.tmp, so that nothing
 * partial is left either way.
 */
void cy_suite_catch_signals(const char *dir);
void cy_suite_release_signals(void);
/* The first signal caught (SIGINT, SIGTERM), or 0. */
int cy_suite_stop_signal(void);

#endif
