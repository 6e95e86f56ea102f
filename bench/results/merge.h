/*
 * merge.h: `cyclab merge DIR... -o OUT`, the results of several suite
 * output directories (shards run on different machines, say) joined into
 * one.
 *
 * Each cell-*.json is copied byte for byte (its machine metadata with it)
 * and summary.csv is rewritten for the union by the same writer a suite
 * uses (bench/results/summary_table.h). A cell file present in two places
 * is refused unless both copies are identical; results measured on different machines
 * (by topology fingerprint, bench/results/result_read.h) are merged with a warning.
 * The union must be the cells of one suite (--suite FILE, or the suite.txt
 * the shards recorded): missing cells refuse the merge unless
 * --allow-missing, foreign or duplicated ones always.
 */
#ifndef CY_BENCH_MERGE_H
#define CY_BENCH_MERGE_H

#include <stddef.h>

/*
 * The result file name of every cell of the suite at suite_path (*names, a
 * malloc'd array of *count malloc'd strings); 0, or -1 with why. The suite
 * room knows suites; the caller hands its expansion in, so that results
 * need not include the room above it.
 */
typedef int (*cy_merge_expected_cells)(const char *suite_path, char ***names, size_t *count, char *why, size_t len);

/* The command (argv[0] reads "cyclab merge"), checking completeness with expected_cells. */
int cy_merge_run(int argc, char **argv, cy_merge_expected_cells expected_cells);

#endif
