/*
 * summary_table.h: DIR/summary.csv, one row per result file in a directory
 * of results (a suite's output, or the union `cyclab merge` writes).
 *
 * The table is derived state: it is rebuilt whole from the cell-*.json files
 * present, whoever wrote them, so it never disagrees with them for longer
 * than one rewrite. Files that are not cyclab-result/1 documents are left
 * out with a warning line on stderr. The file is written through
 * summary.csv.tmp and a rename (bench/results/atomic_file.h), so a reader sees the
 * old table or the new one, never a part.
 */
#ifndef CY_BENCH_SUMMARY_TABLE_H
#define CY_BENCH_SUMMARY_TABLE_H

#include <stddef.h>
#include <stdio.h>

/* Write text as one CSV value, quoted (RFC 4180) when it holds a comma, a quote or a line break. */
void cy_csv_text(FILE *out, const char *text);

/* Rewrite DIR/summary.csv (and runs.csv) from the cell-*.json files present in DIR; -1 with why. */
int cy_results_write_summary(const char *dir, char *why, size_t len);

#endif
