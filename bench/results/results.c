/*
 * results.c: what every writer of a result shares (results.h): the
 * revision a build records in its results, and the check, made before a
 * run starts, that the result's path can be written at all.
 *
 * The document itself is written by the harness, which alone knows what a
 * run recorded (bench/harness/run_result.c), through the one JSON writer
 * (json_writer.h) and the atomic write (atomic_file.h) of this room.
 */
#include "bench/results/results.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef CY_GIT_REVISION
#define CY_GIT_REVISION "unknown"
#endif

const char *cy_build_revision(void) { return CY_GIT_REVISION; }

static int temp_path(const char *path, char *out, size_t len)
{
	return snprintf(out, len, "%s.tmp", path) < (int)len ? 0 : -1;
}

int cy_results_probe(const char *path, char *why, size_t len)
{
	if (strcmp(path, "-") == 0)
		return 0;
	char tmp[4096];
	struct stat st;
	if (temp_path(path, tmp, sizeof tmp) != 0) {
		snprintf(why, len, "output path too long: %.64s...", path);
		return -1;
	}
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(why, len, "cannot write %s: it is a directory (valid: -o FILE in a writable directory)", path);
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		snprintf(why, len, "cannot write %s: %s (valid: -o FILE in a writable directory)", tmp, strerror(errno));
		return -1;
	}
	close(fd);
	unlink(tmp);
	return 0;
}
