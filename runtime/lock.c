/*
 * lock.c: the contended path of cy_mutex, where waiting is timed.
 */
#include "lock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thread.h"

void cy_mutex_init(cy_mutex *m)
{
	int err = pthread_mutex_init(&m->m, NULL);
	if (err) {
		fprintf(stderr, "cyclab: pthread_mutex_init: %s\n", strerror(err));
		abort();
	}
}

void cy_mutex_destroy(cy_mutex *m) { pthread_mutex_destroy(&m->m); }

void cy_mutex_lock_contended(cy_mutex *m)
{
	uint64_t start = cy_now_ns();
	int err = pthread_mutex_lock(&m->m);
	if (err) {
		fprintf(stderr, "cyclab: pthread_mutex_lock: %s\n", strerror(err));
		abort();
	}
	CY_COUNT_ADD_ALWAYS(lock_contended, 1);
	CY_COUNT_ADD_ALWAYS(lock_wait_ns, (int64_t)(cy_now_ns() - start));
}
