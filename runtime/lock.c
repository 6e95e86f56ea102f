/*
 * lock.c: the contended paths of cy_mutex and cy_oblock, where waiting is
 * timed.
 */
#include "lock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "thread.h"

void cy_mutex_init(cy_mutex *m)
{
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP); /* as CY_MUTEX_INIT */
	int err = pthread_mutex_init(&m->m, &attr);
	pthread_mutexattr_destroy(&attr);
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

/* Sleep while *word == expected; a wake, a signal or a changed word returns. */
static void futex_wait(uint32_t *word, uint32_t expected)
{
	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

/*
 * Spin before sleeping: object critical sections are a few dozen
 * instructions, so the holder usually lets go sooner than a futex sleep and
 * wake (two system calls) would take. Returns 1 with the lock taken.
 */
static int spin_acquire(cy_oblock *l)
{
	enum { OBLOCK_SPINS = 100 };
	for (int i = 0; i < OBLOCK_SPINS; i++) {
		cpu_relax();
		uint32_t expected = 0;
		if (cy_atomic_load_relaxed(&l->state) == 0 && cy_atomic_cas_strong_acq_rel(&l->state, &expected, 1u))
			return 1;
	}
	return 0;
}

void cy_oblock_lock_contended(cy_oblock *l)
{
	uint64_t start = cy_now_ns();
	if (!spin_acquire(l)) {
		/* State 2 makes the holder's unlock wake a sleeper; an exchange returning 0 means we own it. */
		while (cy_atomic_exchange_acq_rel(&l->state, 2u) != 0)
			futex_wait(&l->state, 2u);
	}
	CY_COUNT_ADD_ALWAYS(lock_contended, 1);
	CY_COUNT_ADD_ALWAYS(lock_wait_ns, (int64_t)(cy_now_ns() - start));
}

void cy_oblock_wake(cy_oblock *l)
{
	syscall(SYS_futex, &l->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}
