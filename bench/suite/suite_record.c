/*
 * suite_record.c: DIR/suite.txt, and the cells a suite expects
 * (suite_record.h).
 *
 * The record is a byte copy of the suite file, so expanding it later gives
 * the cells the shards ran, wherever the merge happens. Shards of one job
 * array may record into one shared directory at the same moment: each
 * writes through a temporary named for its own process and renames it over
 * suite.txt, so two recorders never write into one file, and since they
 * copy the same bytes either rename leaves the same whole record.
 */
#include "bench/suite/suite_record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/results/atomic_file.h"
#include "bench/results/input_file.h"
#include "bench/suite/suite.h"

enum { SUITE_MAX_BYTES = 1 << 24 };

int cy_suite_record(const char *dir, const char *suite_path, char *why, size_t len)
{
	size_t size;
	char *text = cy_input_read(suite_path, SUITE_MAX_BYTES, &size, why, len);
	if (!text)
		return -1;
	if (cy_make_directories(dir) != 0) {
		snprintf(why, len, "cannot create %s: %s (valid: -o DIR, a directory that exists or can be created)", dir,
			strerror(errno));
		free(text);
		return -1;
	}
	char path[4400], base[4500], tmp[4600];
	if (snprintf(path, sizeof path, "%s/%s", dir, CY_SUITE_RECORD_NAME) >= (int)sizeof path) {
		snprintf(why, len, "results directory path too long: %.64s...", dir);
		free(text);
		return -1;
	}
	snprintf(base, sizeof base, "%s.%ld", path, (long)getpid());
	char ignored[256];
	size_t old_size;
	char *old = cy_input_read(path, SUITE_MAX_BYTES, &old_size, ignored, sizeof ignored);
	int same = old && old_size == size && memcmp(old, text, size) == 0;
	free(old);
	int err = 0;
	if (!same) {
		FILE *out = cy_atomic_open(base, tmp, sizeof tmp, why, len);
		if (!out)
			err = -1;
		else
			err = cy_atomic_commit(out, tmp, path, size && fwrite(text, 1, size, out) != size, why, len);
	}
	free(text);
	return err;
}

int cy_suite_expected_files(const char *suite_path, char ***names, size_t *count, char *why, size_t len)
{
	*names = NULL;
	*count = 0;
	cy_suite suite;
	if (cy_suite_load(suite_path, &suite, why, len) != 0)
		return -1;
	char **list = calloc(suite.count ? suite.count : 1, sizeof *list);
	int err = list ? 0 : -1;
	for (size_t i = 0; i < suite.count && !err; i++) {
		char name[160];
		cy_suite_cell_file(&suite.cells[i], name, sizeof name);
		if (!(list[i] = strdup(name)))
			err = -1;
	}
	if (err) {
		snprintf(why, len, "%s: out of memory for %zu cells", suite_path, suite.count);
		for (size_t i = 0; list && i < suite.count; i++)
			free(list[i]);
		free(list);
	} else {
		*names = list;
		*count = suite.count;
	}
	cy_suite_free(&suite);
	return err;
}
