/*
 * plot_parse.h: reading many JSON files at once, for `cyclab plot` and
 * `cyclab report` on suites of thousands of results.
 *
 * Each file is read whole with one read (not a character at a time) and
 * parsed from memory; the files are shared among a few threads (one per
 * online CPU, at most 8), each parsing whole files into trees of its own,
 * which jansson allows as long as no tree is shared. Every file gets its
 * slot: its tree, or the one line that says why it has none. The outcome
 * does not depend on the number of threads: slots are filled by index, and
 * the caller reads them in order.
 *
 * Files are opened without blocking and must be regular files, so a FIFO
 * or device named like a result is refused instead of waited on.
 */
#ifndef CY_BENCH_PLOT_PARSE_H
#define CY_BENCH_PLOT_PARSE_H

#include <stddef.h>
#include <sys/stat.h>

#include <jansson.h>

typedef struct cy_parsed_file {
	json_t *root;    /* NULL when the file could not be read or parsed */
	struct stat st;  /* the file's, when root is set */
	char error[512]; /* why root is NULL: "PATH:LINE:COLUMN: not valid JSON: ..." */
} cy_parsed_file;

/*
 * Parse paths[0 .. n) into out[0 .. n), then hand each tree to trim (unless
 * NULL) in the thread that parsed it, to drop what the caller will not
 * read while the tree is fresh in that thread's cache. Returns 0.
 */
int cy_parse_files(char *const *paths, size_t n, cy_parsed_file *out, void (*trim)(json_t *root));

#endif
