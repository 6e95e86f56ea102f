/*
 * lock.h: the mutex that containers and the runtime use, with its costs
 * counted.
 *
 * An uncontended acquisition costs one trylock plus a thread-local counter
 * increment; only an acquisition that finds the lock held reads the clock,
 * so measuring contention does not slow the uncontended case.
 *
 * Rule: never poll a safepoint while holding a cy_mutex. A stop-the-world
 * then never waits on a thread that waits on a parked thread's lock.
 */
#ifndef CY_LOCK_H
#define CY_LOCK_H

#include <pthread.h>

#include "atomics.h"
#include "counters.h"

typedef struct cy_mutex {
	pthread_mutex_t m;
} cy_mutex;

#define CY_MUTEX_INIT {PTHREAD_MUTEX_INITIALIZER}

void cy_mutex_init(cy_mutex *m);
void cy_mutex_destroy(cy_mutex *m);
void cy_mutex_lock_contended(cy_mutex *m);

CY_INLINE void cy_mutex_lock(cy_mutex *m)
{
	CY_COUNT_ADD_ALWAYS(lock_acquisitions, 1);
	if (CY_LIKELY(pthread_mutex_trylock(&m->m) == 0))
		return;
	cy_mutex_lock_contended(m);
}

CY_INLINE void cy_mutex_unlock(cy_mutex *m) { pthread_mutex_unlock(&m->m); }

#endif
