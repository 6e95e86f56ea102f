/*
 * thread.c: the thread table, safepoints and stop-the-world.
 *
 * All transitions between RUNNING, OFFLINE and PARKED, registration, and the
 * stop protocol happen under cy_world_lock; the fast path (cy_safepoint)
 * reads only the thread's own poll word.
 *
 * Stop protocol. cy_world_stop sets world_stopped, then for every RUNNING
 * mutator sets stop_pending and CY_POLL_STOP and counts it in
 * threads_to_stop. A thread leaves RUNNING (parks at a safepoint, goes
 * offline, unregisters) only under the lock, and if stop_pending it
 * decrements threads_to_stop and records how long it took. The stopper waits
 * for threads_to_stop == 0. While world_stopped, no thread becomes RUNNING:
 * registration, cy_blocking_end and parked threads wait on resume_cond.
 *
 * A thread that is not RUNNING is offline for QSBR and has released its
 * local claim, so a grace period or a merge on its behalf can proceed.
 */
#include "thread_internal.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "refcount.h"

cy_thread cy_threads[CY_MAX_THREADS];
unsigned cy_thread_slots_used;
pthread_mutex_t cy_world_lock = PTHREAD_MUTEX_INITIALIZER;

_Thread_local uint64_t cy_tls_thread_id = CY_THREAD_ID_NONE;
_Thread_local unsigned cy_tls_poll;
_Thread_local cy_thread *cy_tls_self;
static _Thread_local unsigned blocking_depth; /* nested cy_blocking_begin calls */
void (*cy_safepoint_collect_hook)(void);

static pthread_cond_t resume_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t stopped_cond = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t stop_serial_lock = PTHREAD_MUTEX_INITIALIZER; /* one stop at a time */

/* How long a stopper spins for mutators to park before it sleeps. */
#define STOP_SPIN_NS 200000
static int world_stopped;
static unsigned threads_to_stop; /* under cy_world_lock; also read without it while the stopper spins */
static cy_stw_report *stop_report;
static uint64_t next_serial = 1;
static unsigned registered[2]; /* by role */

uint64_t cy_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * The thread's CPU clock, read cheaply (thread.h states the contract).
 * CLOCK_THREAD_CPUTIME_ID has no vDSO path: every read is a system call,
 * 2 to 4 us on a paravirtualised machine, and the collector reads it at
 * the start and end of every pause, a young collection's pause lasting a
 * few microseconds. So a read within CY_THREAD_CPU_SLACK_NS of wall time
 * after the thread's last exact read is extrapolated from it at the wall
 * clock's rate instead: a thread cannot run faster than the wall clock,
 * so the estimate is never below the true value, and exceeds it by the
 * time the thread spent off its CPU since the exact read, less than the
 * slack. The wall stamp of an exact read is taken before the system call,
 * which keeps the estimate an upper bound whatever the call takes.
 * Values are strictly increasing per thread: a thread that reads its clock
 * twice has run in between, and a pause's CPU time is never zero. A value
 * that would go back (an exact read after a generous estimate) is the last
 * one plus a nanosecond, so the error stays within the slack.
 */
typedef struct cpu_clock {
	uint64_t exact_wall_ns; /* CLOCK_MONOTONIC just before the last exact read; 0: none yet */
	uint64_t exact_cpu_ns;  /* what that read returned */
	uint64_t last_ns;       /* the last value returned */
} cpu_clock;

static _Thread_local cpu_clock tls_cpu_clock;

static uint64_t cpu_clock_exact(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t cy_thread_cpu_ns(void)
{
	cpu_clock *c = &tls_cpu_clock;
	uint64_t now = cy_now_ns();
	uint64_t value;
	if (c->exact_wall_ns && now - c->exact_wall_ns < CY_THREAD_CPU_SLACK_NS) {
		value = c->exact_cpu_ns + (now - c->exact_wall_ns);
	} else {
		value = cpu_clock_exact();
		c->exact_wall_ns = now;
		c->exact_cpu_ns = value;
	}
	if (value <= c->last_ns)
		value = c->last_ns + 1;
	c->last_ns = value;
	return value;
}

static void lock_or_die(pthread_mutex_t *m)
{
	int err = pthread_mutex_lock(m);
	if (err) {
		fprintf(stderr, "cyclab: pthread_mutex_lock: %s\n", strerror(err));
		abort();
	}
}

void cy_local_claim(cy_thread *t)
{
	while (!cy_local_try_claim(t))
		sched_yield();
}

const char *cy_thread_strerror(int error)
{
	switch (error) {
	case CY_THREAD_OK: return "ok";
	case CY_THREAD_TOO_MANY: return "too many registered threads";
	case CY_THREAD_NONATOMIC_TWO: return "--rc nonatomic allows only one mutator thread; use atomic or biased";
	case CY_THREAD_ALREADY: return "thread already registered";
	}
	return "unknown thread error";
}

/*
 * state is written under world_lock but read without it by threads that
 * queue merges (refcount.c); the store is sequentially consistent because
 * an owner leaving RUNNING and a queuer pushing form a Dekker pair.
 */
static void set_state(cy_thread *t, int state) { cy_atomic_store_seq_cst(&t->state, state); }

/* world_lock held: self leaves RUNNING; count it as stopped if a stop waits for it. */
static void leave_running(cy_thread *self, int new_state)
{
	set_state(self, new_state);
	if (!self->stop_pending)
		return;
	self->stop_pending = 0;
	if (stop_report && stop_report->recorded < CY_STW_MAX_RECORDED) {
		cy_stw_arrival *a = &stop_report->arrivals[stop_report->recorded++];
		a->thread_id = self->id;
		a->ns_to_safepoint = cy_now_ns() - stop_report->requested_ns;
	}
	unsigned left = threads_to_stop - 1;
	cy_atomic_store_release(&threads_to_stop, left);
	if (left == 0)
		pthread_cond_signal(&stopped_cond);
}

/* world_lock held: wait until no stop is in progress, then become RUNNING. */
static void enter_running(cy_thread *self)
{
	while (world_stopped)
		pthread_cond_wait(&resume_cond, &cy_world_lock);
	set_state(self, CY_THREAD_RUNNING);
}

int cy_thread_register(cy_thread_role role)
{
	if (cy_tls_self)
		return CY_THREAD_ALREADY;
	lock_or_die(&cy_world_lock);
	if (role == CY_ROLE_MUTATOR && cy_rc_mode_running == CY_RC_NONATOMIC && registered[CY_ROLE_MUTATOR] > 0) {
		pthread_mutex_unlock(&cy_world_lock);
		return CY_THREAD_NONATOMIC_TWO;
	}
	cy_thread *t = NULL;
	for (unsigned i = 0; i < CY_MAX_THREADS; i++) {
		if (cy_threads[i].state == CY_THREAD_FREE) {
			t = &cy_threads[i];
			break;
		}
	}
	if (!t) {
		pthread_mutex_unlock(&cy_world_lock);
		return CY_THREAD_TOO_MANY;
	}
	unsigned slot = (unsigned)(t - cy_threads);
	if (slot >= cy_thread_slots_used)
		cy_atomic_store_release(&cy_thread_slots_used, slot + 1);
	if (!t->merge_cap) {
		/* First use of the slot: its mutexes live as long as the process. */
		pthread_mutex_init(&t->merge_lock, NULL);
		pthread_mutex_init(&t->remote_lock, NULL);
	}
	cy_gc_list_init(&t->young);
	t->remote = NULL;
	t->remote_closed = 0;
	uint64_t id = next_serial++ << 11 | (uint64_t)slot << 1 | 1;
	t->role = role;
	t->poll = &cy_tls_poll;
	t->counters = &cy_tls_counters;
	t->stop_pending = 0;
	memset(&cy_tls_counters, 0, sizeof cy_tls_counters);
	cy_atomic_store_relaxed(&cy_tls_poll, 0u);
	registered[role]++;
	set_state(t, CY_THREAD_OFFLINE); /* reserved; becomes RUNNING below */
	enter_running(t);
	lock_or_die(&t->merge_lock);
	cy_atomic_store_relaxed(&t->id, id);
	if (!t->merge_queue) {
		t->merge_cap = 64;
		t->merge_queue = malloc(t->merge_cap * sizeof *t->merge_queue);
		if (!t->merge_queue) {
			fprintf(stderr, "cyclab: out of memory registering a thread\n");
			abort();
		}
	}
	pthread_mutex_unlock(&t->merge_lock);
	pthread_mutex_unlock(&cy_world_lock);

	cy_local_claim(t);
	cy_tls_self = t;
	cy_gc_thread_start(t);
	cy_tls_thread_id = id;
	urcu_qsbr_register_thread();
	return CY_THREAD_OK;
}

void cy_thread_unregister(void)
{
	cy_thread *self = cy_tls_self;
	if (!self)
		return;
	/*
	 * Everything that may free objects happens while we still run: a
	 * thread that has left RUNNING must not touch objects, since the world
	 * may be stopped around it. First our merge queue, closed for good
	 * (from then on queuers merge our objects on the spot).
	 */
	cy_brc_drain(self);
	cy_brc_close(self);
	cy_gc_thread_exit(self);
	/* While still online for QSBR, so deferred frees go to call_rcu; a later free makes a new heap. */
	cy_alloc_thread_done();
	urcu_qsbr_unregister_thread();
	lock_or_die(&cy_world_lock);
	leave_running(self, CY_THREAD_OFFLINE);
	cy_local_release(self);
	cy_counters_retire(&cy_tls_counters);
	memset(&cy_tls_counters, 0, sizeof cy_tls_counters);
	registered[self->role]--;
	self->poll = NULL;
	self->counters = NULL;
	set_state(self, CY_THREAD_FREE);
	pthread_mutex_unlock(&cy_world_lock);
	cy_tls_self = NULL;
	cy_tls_thread_id = CY_THREAD_ID_NONE;
}

unsigned cy_thread_count(cy_thread_role role)
{
	lock_or_die(&cy_world_lock);
	unsigned n = registered[role];
	pthread_mutex_unlock(&cy_world_lock);
	return n;
}

static void park(cy_thread *self)
{
	urcu_qsbr_thread_offline();
	lock_or_die(&cy_world_lock);
	if (!world_stopped) {
		pthread_mutex_unlock(&cy_world_lock);
		urcu_qsbr_thread_online();
		return;
	}
	leave_running(self, CY_THREAD_PARKED);
	cy_local_release(self);
	enter_running(self);
	pthread_mutex_unlock(&cy_world_lock);
	cy_local_claim(self);
	urcu_qsbr_thread_online();
}

void cy_safepoint_slow(void)
{
	cy_thread *self = cy_tls_self;
	unsigned work = cy_atomic_exchange_acq_rel(&cy_tls_poll, 0u);
	if (!self)
		return;
	CY_COUNT_ADD_ALWAYS(safepoint_slow, 1);
	if (work & CY_POLL_MERGE)
		cy_brc_drain(self);
	if (work & CY_POLL_UNLINK)
		cy_gc_process_remote_of(self);
	if (work & CY_POLL_STOP)
		park(self);
	if (work & CY_POLL_COLLECT) {
		void (*collect)(void) = cy_atomic_load_acquire(&cy_safepoint_collect_hook);
		if (collect)
			collect();
	}
}

void cy_request_collect(void)
{
	if (cy_tls_self)
		cy_atomic_fetch_or_relaxed(&cy_tls_poll, CY_POLL_COLLECT);
}

void cy_blocking_begin(void)
{
	cy_thread *self = cy_tls_self;
	if (!self || blocking_depth++ > 0)
		return;
	for (;;) {
		cy_brc_drain(self);
		urcu_qsbr_thread_offline();
		lock_or_die(&cy_world_lock);
		leave_running(self, CY_THREAD_OFFLINE);
		cy_local_release(self);
		pthread_mutex_unlock(&cy_world_lock);
		/*
		 * Something queued between the drain and our state change was
		 * left to us by its queuer (it saw us running). We may not merge
		 * it now that we are offline (the world may be stopping around
		 * us): come back and drain again. A queuer that sees us offline
		 * merges for us itself (refcount.c).
		 */
		if (cy_brc_queue_empty(self))
			return;
		lock_or_die(&cy_world_lock);
		enter_running(self);
		pthread_mutex_unlock(&cy_world_lock);
		cy_local_claim(self);
		urcu_qsbr_thread_online();
	}
}

void cy_blocking_end(void)
{
	cy_thread *self = cy_tls_self;
	if (!self || --blocking_depth > 0)
		return;
	lock_or_die(&cy_world_lock);
	enter_running(self);
	pthread_mutex_unlock(&cy_world_lock);
	cy_local_claim(self);
	urcu_qsbr_thread_online();
	/* Merges queued while we were out: pick them up at once. */
	cy_brc_drain(self);
}

void cy_world_stop(cy_stw_report *report)
{
	cy_thread *self = cy_tls_self;
	/* A registered stopper is off the mutator side while the world is stopped. */
	if (self)
		cy_blocking_begin();
	lock_or_die(&stop_serial_lock);
	lock_or_die(&cy_world_lock);
	world_stopped = 1;
	stop_report = report;
	if (report) {
		report->requested_ns = cy_now_ns();
		report->recorded = 0;
		report->waited_for = 0;
	}
	for (unsigned i = 0; i < cy_thread_slots_end(); i++) {
		cy_thread *t = &cy_threads[i];
		if (t->state != CY_THREAD_RUNNING)
			continue;
		t->stop_pending = 1;
		threads_to_stop++;
		cy_atomic_fetch_or_release(t->poll, CY_POLL_STOP);
	}
	if (report)
		report->waited_for = threads_to_stop;
	/*
	 * Mutators usually reach a safepoint within microseconds, while a
	 * wake-up from the condition variable can take half a millisecond on a
	 * virtual machine: spin a little before sleeping. Pairs with the
	 * release store in leave_running.
	 */
	if (threads_to_stop > 0) {
		pthread_mutex_unlock(&cy_world_lock);
		uint64_t give_up = cy_now_ns() + STOP_SPIN_NS;
		while (cy_atomic_load_acquire(&threads_to_stop) > 0 && cy_now_ns() < give_up)
			cy_cpu_relax();
		lock_or_die(&cy_world_lock);
	}
	while (threads_to_stop > 0)
		pthread_cond_wait(&stopped_cond, &cy_world_lock);
	if (report)
		report->stopped_ns = cy_now_ns();
	stop_report = NULL;
	pthread_mutex_unlock(&cy_world_lock);
}

void cy_world_resume(void)
{
	lock_or_die(&cy_world_lock);
	world_stopped = 0;
	pthread_cond_broadcast(&resume_cond);
	pthread_mutex_unlock(&cy_world_lock);
	pthread_mutex_unlock(&stop_serial_lock);
	if (cy_tls_self) {
		/* The stopper went offline in cy_world_stop; it resumes like any thread. */
		cy_blocking_end();
	}
}
