/*
 * cyclab_binary.h: for tests that run the built cyclab command: where it is,
 * and a scratch directory for what it writes.
 */
#ifndef CY_TEST_CYCLAB_BINARY_H
#define CY_TEST_CYCLAB_BINARY_H

#include <stddef.h>

/*
 * The cyclab binary beside the calling test program ($builddir/tests/X ->
 * $builddir/cyclab) into path; 0 if it is there and executable.
 */
int cy_test_find_cyclab(char *path, size_t size);

/* A new directory $TMPDIR/NAME.XXXXXX (or under /tmp) into dir; 0 on success. */
int cy_test_make_scratch(char *dir, size_t size, const char *name);

#endif
