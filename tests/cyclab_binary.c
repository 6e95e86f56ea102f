/*
 * cyclab_binary.c: finding the built cyclab and a scratch directory for tests.
 */
#include "tests/cyclab_binary.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cy_test_find_cyclab(char *path, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	/* Two levels up: drop the program's name, then its tests/ directory. */
	for (int level = 0; level < 2; level++) {
		char *slash = strrchr(self, '/');
		if (!slash)
			return -1;
		*slash = '\0';
	}
	if (snprintf(path, size, "%s/cyclab", self) >= (int)size)
		return -1;
	return access(path, X_OK);
}

int cy_test_make_scratch(char *dir, size_t size, const char *name)
{
	const char *base = getenv("TMPDIR");
	if (snprintf(dir, size, "%s/%s.XXXXXX", base && *base ? base : "/tmp", name) >= (int)size)
		return -1;
	return mkdtemp(dir) ? 0 : -1;
}
