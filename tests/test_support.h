/*
 * test_support.h: what every cyclab test program shares.
 *
 * Each test runs on a registered main thread with the runtime set to the
 * mode under test, and must leave no object alive: the teardown checks the
 * live-object and live-byte counts are back to zero, so a leak fails the
 * test that caused it.
 */
#ifndef CY_TEST_SUPPORT_H
#define CY_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "runtime/runtime.h"

int cy_test_setup(void **state);
int cy_test_teardown(void **state);

#define cy_test(fn) cmocka_unit_test_setup_teardown(fn, cy_test_setup, cy_test_teardown)

/*
 * Run tests with the runtime in `mode`; the group is named after the
 * program and the mode. Returns cmocka's result (the number that failed).
 */
int cy_run_tests(const char *program, const struct CMUnitTest *tests, size_t count, cy_rc_mode mode);

/* Start n threads running fn(i, arg) and wait for them all (offline, if registered). */
void cy_test_run_threads(unsigned n, void (*fn)(unsigned index, void *arg), void *arg);

/* A seed for randomized tests: CYCLAB_TEST_SEED, else a fixed default. */
uint64_t cy_test_seed(void);

#endif
