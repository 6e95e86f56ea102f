/*
 * report.h: `cyclab report DIR [-o FILE]`: one self-contained HTML page of
 * a suite's results, to read in a browser or send as a single file.
 *
 * The page holds the summary table (a row per cell: configuration,
 * throughput, pauses, memory, leaks), every figure of `cyclab plot` as
 * inline SVG (with the reasons for those skipped), the machine(s) the
 * results were measured on, and each cell's full configuration and command
 * line. It references nothing outside itself: no script, stylesheet, font
 * or image is fetched. The figures are drawn first when DIR/plots (for a
 * single result NAME.json: NAME-plots) is missing or older than a result. The page is written to FILE.tmp
 * and renamed, so FILE (default DIR/report.html) is whole or absent.
 */
#ifndef CY_BENCH_REPORT_H
#define CY_BENCH_REPORT_H

/* The command (argv[0] reads "cyclab report"). */
int cy_report_main(int argc, char **argv);

#endif
