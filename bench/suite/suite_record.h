/*
 * suite_record.h: the suite a results directory belongs to, recorded in it,
 * and the cells that make that directory complete.
 *
 * `cyclab suite FILE -o DIR` (run, shard or --list) copies FILE's text to
 * DIR/suite.txt, so that a directory filled by a job array or by GNU
 * parallel says which suite its cells come from even when FILE is not at
 * hand where the shards are merged. `cyclab merge` reads it back (or the
 * suite given with --suite) and expands it to the file names every cell's
 * result has (cy_suite_cell_file), which is what complete means.
 */
#ifndef CY_BENCH_SUITE_RECORD_H
#define CY_BENCH_SUITE_RECORD_H

#include <stddef.h>

/* The recorded suite's name inside a results directory. */
#define CY_SUITE_RECORD_NAME "suite.txt"

/*
 * Create dir if missing and record the suite file at suite_path in it as
 * dir/suite.txt (written atomically; left alone when it already holds the
 * same bytes). 0, or -1 with why.
 */
int cy_suite_record(const char *dir, const char *suite_path, char *why, size_t len);

/*
 * The result file name of every cell of the suite at suite_path, in matrix
 * order: *names (malloc'd array of malloc'd strings, *count of them). 0, or
 * -1 with why (the suite file is unreadable or not valid).
 */
int cy_suite_expected_files(const char *suite_path, char ***names, size_t *count, char *why, size_t len);

#endif
