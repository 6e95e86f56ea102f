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
#include <stdint.h>

#include "atomics.h"
#include "counters.h"

typedef struct cy_mutex {
	pthread_mutex_t m;
} cy_mutex;

/*
 * glibc's adaptive mutex spins briefly before sleeping: a critical section
 * of a few instructions is usually over by then, and a waiter woken from
 * the futex costs far more than the wait (about 0.5 ms on this machine).
 */
#define CY_MUTEX_INIT {PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP}

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

/*
 * cy_oblock: a 4-byte mutex for one object (list, dict, slotted object),
 * after the third mutex of Drepper's "Futexes Are Tricky" (2011), with the
 * unlock an exchange rather than a decrement. state is
 *   0 unlocked, 1 locked with no waiter, 2 locked and a waiter may sleep.
 * Lock: one compare-and-swap 0 -> 1. Unlock: one exchange to 0; only if it
 * returns 2 is a futex wake made. A thread that finds the lock held spins
 * briefly, then exchanges 2 in and sleeps on the futex until its exchange
 * returns 0. Each acquire pairs with the exchange of the previous unlock.
 * A zeroed cy_oblock is unlocked: objects need no initialisation call.
 * Acquisitions, contended acquisitions and waiting time are counted like
 * cy_mutex's. Same rule: no safepoint poll and no decref while holding one.
 */
typedef struct cy_oblock {
	uint32_t state; /* atomic: only the lock functions touch it */
} cy_oblock;

#define CY_OBLOCK_INIT {0}

void cy_oblock_lock_contended(cy_oblock *l);
void cy_oblock_wake(cy_oblock *l);

CY_INLINE void cy_oblock_lock(cy_oblock *l)
{
	CY_COUNT_ADD_ALWAYS(lock_acquisitions, 1);
	uint32_t expected = 0;
	if (CY_LIKELY(cy_atomic_cas_strong_acq_rel(&l->state, &expected, 1u)))
		return;
	cy_oblock_lock_contended(l);
}

CY_INLINE void cy_oblock_unlock(cy_oblock *l)
{
	if (CY_UNLIKELY(cy_atomic_exchange_acq_rel(&l->state, 0u) == 2u))
		cy_oblock_wake(l);
}

#endif
