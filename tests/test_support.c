/*
 * test_support.c: set-up, teardown and thread helpers for the tests.
 */
#include "tests/test_support.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

int cy_test_setup(void **state)
{
	(void)state;
	int err = cy_thread_register(CY_ROLE_MUTATOR);
	if (err != CY_THREAD_OK) {
		fprintf(stderr, "setup: %s\n", cy_thread_strerror(err));
		return -1;
	}
	return cy_objects_live() == 0 ? 0 : -1;
}

int cy_test_teardown(void **state)
{
	(void)state;
	cy_thread_unregister();
	int64_t objects = cy_objects_live(), bytes = cy_bytes_live();
	if (objects != 0 || bytes != 0) {
		fprintf(stderr, "teardown: %" PRId64 " objects (%" PRId64 " bytes) still live\n", objects, bytes);
		return -1;
	}
	return 0;
}

int cy_run_tests(const char *program, const struct CMUnitTest *tests, size_t count, cy_rc_mode mode)
{
	int err = cy_runtime_init(mode, CY_ALLOC_DEFAULT);
	if (err != CY_RUNTIME_OK) {
		fprintf(stderr, "%s: %s\n", program, cy_runtime_strerror(err));
		return 1;
	}
	char name[128];
	snprintf(name, sizeof name, "%s (%s)", program, cy_rc_mode_name(mode));
	/* CYCLAB_TEST_FILTER runs only the tests whose names match (cmocka's pattern: * and ?). */
	const char *filter = getenv("CYCLAB_TEST_FILTER");
	if (filter && *filter)
		cmocka_set_test_filter(filter);
	return _cmocka_run_group_tests(name, tests, count, NULL, NULL);
}

typedef struct thread_start {
	void (*fn)(unsigned, void *);
	void *arg;
	unsigned index;
} thread_start;

static void *thread_main(void *p)
{
	thread_start *s = p;
	s->fn(s->index, s->arg);
	return NULL;
}

void cy_test_run_threads(unsigned n, void (*fn)(unsigned index, void *arg), void *arg)
{
	pthread_t *ids = calloc(n, sizeof *ids);
	thread_start *starts = calloc(n, sizeof *starts);
	if (!ids || !starts) {
		fprintf(stderr, "out of memory starting %u threads\n", n);
		abort();
	}
	/* A registered caller waits offline, so it holds up neither merges nor stops. */
	cy_blocking_begin();
	for (unsigned i = 0; i < n; i++) {
		starts[i] = (thread_start){fn, arg, i};
		if (pthread_create(&ids[i], NULL, thread_main, &starts[i]) != 0) {
			fprintf(stderr, "pthread_create failed\n");
			abort();
		}
	}
	for (unsigned i = 0; i < n; i++)
		pthread_join(ids[i], NULL);
	cy_blocking_end();
	free(ids);
	free(starts);
}

uint64_t cy_test_seed(void)
{
	const char *s = getenv("CYCLAB_TEST_SEED");
	if (s && *s) {
		char *end;
		unsigned long long v = strtoull(s, &end, 0);
		if (*end == '\0')
			return v;
		fprintf(stderr, "CYCLAB_TEST_SEED: not a number: %s\n", s);
		exit(2);
	}
	return 20261124;
}
