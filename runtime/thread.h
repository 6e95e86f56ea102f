/*
 * thread.h: mutator registration, safepoints, blocking regions and
 * stop-the-world.
 *
 * Every thread that touches objects registers. A registered thread is online
 * in liburcu's QSBR flavour: cyclab's safepoint poll is QSBR's quiescent
 * state, so a grace period (synchronize_rcu, call_rcu) ends once every
 * mutator has polled, and memory that a concurrent reader (the collector) may
 * still be traversing is reused only after that. QSBR was chosen over memb
 * because mutators already poll at safepoints: its read side costs nothing,
 * and reporting a quiescent state is one load and compare unless a grace
 * period is waiting. Its price, that a thread which stops polling stalls
 * grace periods, is paid anyway by stop-the-world; blocking calls are
 * bracketed with cy_blocking_begin/end, which take the thread offline for
 * both.
 *
 * A safepoint poll is one thread-local load and branch (plus QSBR's check).
 * Other threads set bits in a thread's poll word to ask it to stop for a
 * collection (CY_POLL_STOP) or to merge biased counts queued to it
 * (CY_POLL_MERGE).
 *
 * Stop-the-world: cy_world_stop() sets CY_POLL_STOP on every running mutator
 * and waits until each has parked at a safepoint or is offline; each thread's
 * time to reach its safepoint is recorded. Offline threads count as stopped
 * and cannot come back online until cy_world_resume().
 */
#ifndef CY_THREAD_H
#define CY_THREAD_H

#include <stdint.h>

#define _LGPL_SOURCE /* inline QSBR fast paths: cyclab is LGPL-2.1-or-later compatible */
#include <urcu/urcu-qsbr.h>

#include "atomics.h"

#define CY_MAX_THREADS 1024
#define CY_THREAD_ID_NONE UINT64_MAX /* never an owner id: ids are odd */

typedef enum cy_thread_role {
	CY_ROLE_MUTATOR, /* runs workload code */
	CY_ROLE_SERVICE, /* runs the runtime's own work (a collector thread) */
} cy_thread_role;

enum {
	CY_POLL_STOP = 1u << 0,    /* park: the world is stopping */
	CY_POLL_MERGE = 1u << 1,   /* merge biased counts queued to this thread */
	CY_POLL_UNLINK = 1u << 2,  /* unlink containers of this thread freed elsewhere */
	CY_POLL_COLLECT = 1u << 3, /* the young generation passed its threshold */
};

/*
 * Run at a safepoint that found CY_POLL_COLLECT (installed by the collector):
 * a collection starts where no lock is held, as CPython's eval breaker does.
 */
extern void (*cy_safepoint_collect_hook)(void);

/* Ask the calling thread to run the collect hook at its next safepoint. */
void cy_request_collect(void);

enum cy_thread_error {
	CY_THREAD_OK = 0,
	CY_THREAD_TOO_MANY = -1,      /* CY_MAX_THREADS already registered */
	CY_THREAD_NONATOMIC_TWO = -2, /* nonatomic counting allows one mutator */
	CY_THREAD_ALREADY = -3,       /* this thread is registered */
};

/* The calling thread's id (CY_THREAD_ID_NONE when unregistered). */
extern _Thread_local uint64_t cy_tls_thread_id;
/* Work requested of this thread: CY_POLL_* bits, set by other threads. */
extern _Thread_local unsigned cy_tls_poll;

int cy_thread_register(cy_thread_role role);
void cy_thread_unregister(void);
const char *cy_thread_strerror(int error);

void cy_safepoint_slow(void);

/* Poll: cheap enough to call in every loop iteration of a workload. */
CY_INLINE void cy_safepoint(void)
{
	if (CY_UNLIKELY(cy_atomic_load_relaxed(&cy_tls_poll)))
		cy_safepoint_slow();
	urcu_qsbr_quiescent_state();
}

/* Bracket a call that may block; the thread touches no object in between. Pairs may nest. */
void cy_blocking_begin(void);
void cy_blocking_end(void);

/* Mutators registered now. */
unsigned cy_thread_count(cy_thread_role role);

#define CY_STW_MAX_RECORDED 64

typedef struct cy_stw_arrival {
	uint64_t thread_id;
	uint64_t ns_to_safepoint;
} cy_stw_arrival;

typedef struct cy_stw_report {
	uint64_t requested_ns; /* CLOCK_MONOTONIC */
	uint64_t stopped_ns;   /* when the last mutator had stopped */
	uint32_t waited_for;   /* running mutators that had to reach a safepoint */
	uint32_t recorded;     /* entries in arrivals (the first CY_STW_MAX_RECORDED) */
	cy_stw_arrival arrivals[CY_STW_MAX_RECORDED];
} cy_stw_report;

/*
 * Stop every mutator other than the caller. The caller may be a registered
 * thread (it counts as stopped) or not. report may be NULL. One stop at a
 * time: a second caller waits for the first to resume.
 */
void cy_world_stop(cy_stw_report *report);
void cy_world_resume(void);

/* Monotonic clock in nanoseconds. */
uint64_t cy_now_ns(void);
/*
 * CPU time the calling thread has used (CLOCK_THREAD_CPUTIME_ID), in ns,
 * read with at most one system call per CY_THREAD_CPU_SLACK_NS of wall
 * time per thread: a read within that long of the thread's last exact one
 * is that read plus the wall time since. Each value v satisfies
 * true <= v < true + CY_THREAD_CPU_SLACK_NS (plus one system call's
 * duration), and values strictly increase on a thread. So an interval
 * measured with two reads is positive and exact to within the slack
 * either way: less than the slack off the CPU may go unseen, or time off
 * it just before the first read may be charged to the interval; but time
 * off the CPU within the interval that is longer than the slack is always
 * seen whole.
 */
#define CY_THREAD_CPU_SLACK_NS 50000u
uint64_t cy_thread_cpu_ns(void);

#endif
