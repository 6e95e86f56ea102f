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
 */
#ifndef CY_BENCH_MERGE_H
#define CY_BENCH_MERGE_H

/* The command (argv[0] reads "cyclab merge"). */
int cy_merge_main(int argc, char **argv);

#endif
