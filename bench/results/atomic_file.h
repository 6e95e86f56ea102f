/*
 * atomic_file.h: how every file cyclab writes appears whole or not at all.
 *
 * A file is written to PATH.tmp beside it, then flushed, synced to the
 * disk and renamed over PATH; rename is atomic within a file system, so a
 * reader (or a suite resumed after a crash) finds the old file or the new
 * one, never a part. Every write error counts, including one hidden behind
 * a later successful flush (ferror), and on any failure the .tmp is removed
 * and one line says why: a command never exits 0 having left a truncated
 * file.
 *
 *     char tmp[4096];
 *     FILE *out = cy_atomic_open(path, tmp, sizeof tmp, why, len);
 *     if (!out) return -1;
 *     ... fprintf(out, ...) ...
 *     return cy_atomic_commit(out, tmp, path, failed, why, len);
 */
#ifndef CY_BENCH_ATOMIC_FILE_H
#define CY_BENCH_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

/* Open path.tmp (its name into tmp) for writing; NULL with why ("cannot write PATH.tmp: reason"). */
FILE *cy_atomic_open(const char *path, char *tmp, size_t tmp_len, char *why, size_t len);

/*
 * Finish writing path through tmp: out (open on tmp) is flushed to the
 * disk and closed, then tmp renamed over path, so that path is whole or as
 * it was. failed: writing out failed already. 0, or -1 with why ("cannot
 * write PATH: reason") and tmp removed.
 */
int cy_atomic_commit(FILE *out, const char *tmp, const char *path, int failed, char *why, size_t len);

/*
 * Finish a file another program wrote to tmp (gnuplot's figures): synced to
 * the disk, then renamed over path. The caller has checked that it is
 * whole. 0, or -1 with why and tmp removed.
 */
int cy_atomic_adopt(const char *tmp, const char *path, char *why, size_t len);

/* Write size bytes as the whole of path, through cy_atomic_open and cy_atomic_commit; 0, or -1 with why. */
int cy_atomic_write(const char *path, const void *bytes, size_t size, char *why, size_t len);

/* mkdir -p: create path and any missing parents; 0, or -1 with errno set. */
int cy_make_directories(const char *path);

#endif
