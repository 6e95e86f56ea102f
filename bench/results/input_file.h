/*
 * input_file.h: how cyclab opens a file it reads (a result, a suite file, a
 * report's manifest): as a regular file, or not at all.
 *
 * A FIFO, a device or a directory named like an input would block a reader
 * forever (a FIFO with no writer) or feed it something that is not a file;
 * so the file is opened with O_NONBLOCK, which never waits for a writer,
 * checked with fstat on the descriptor itself (no window between the check
 * and the open), and only a regular file is read. Every refusal and every
 * read error is one line in why: "PATH: not a regular file (a FIFO)".
 */
#ifndef CY_BENCH_INPUT_FILE_H
#define CY_BENCH_INPUT_FILE_H

#include <stddef.h>
#include <stdio.h>

/*
 * Read the regular file at path whole into a NUL-terminated malloc'd buffer
 * (*size without the NUL; a NUL inside the file is kept and counted). NULL
 * with why when path cannot be opened, is not a regular file, is larger
 * than max_size bytes, or cannot be read.
 */
#define CY_INPUT_MAX_BYTES ((size_t)1 << 30) /* the largest input read whole: 1 GiB */

char *cy_input_read(const char *path, size_t max_size, size_t *size, char *why, size_t len);

/* Open the regular file at path for reading as a stream (mode "r" or "rb"); NULL with why. */
FILE *cy_input_open(const char *path, const char *mode, char *why, size_t len);

#endif
