/*
 * counters.c: summing the per-thread counter blocks.
 *
 * A running thread's block is read with relaxed loads while its owner
 * updates it, so a snapshot taken mid-run is a consistent-enough sum (each
 * counter exact as of some instant); one taken after the threads have
 * unregistered is exact.
 */
#include "thread_internal.h"

_Thread_local cy_counters cy_tls_counters;

static cy_counters retired; /* under cy_world_lock */

static const char *const counter_names[] = {
#define CY_COUNTER_NAME(name, doc) #name,
	CY_ALL_COUNTERS(CY_COUNTER_NAME)
#undef CY_COUNTER_NAME
};

static const char *const counter_docs[] = {
#define CY_COUNTER_DOC(name, doc) doc,
	CY_ALL_COUNTERS(CY_COUNTER_DOC)
#undef CY_COUNTER_DOC
};

#define COUNTER_TOTAL (sizeof counter_names / sizeof counter_names[0])

const char *cy_counter_name(unsigned i) { return i < COUNTER_TOTAL ? counter_names[i] : NULL; }
const char *cy_counter_doc(unsigned i) { return i < COUNTER_TOTAL ? counter_docs[i] : NULL; }

int64_t cy_counter_value(const cy_counters *c, unsigned i)
{
	const int64_t *fields = (const int64_t *)c;
	return i < COUNTER_TOTAL ? fields[i] : 0;
}

static void add_into(cy_counters *sum, const cy_counters *c)
{
#define CY_COUNTER_ADD(name, doc) sum->name += cy_atomic_load_relaxed(&c->name);
	CY_ALL_COUNTERS(CY_COUNTER_ADD)
#undef CY_COUNTER_ADD
}

void cy_counters_retire(const cy_counters *c) { add_into(&retired, c); }

void cy_counters_snapshot(cy_counters *out)
{
	*out = (cy_counters){0};
	pthread_mutex_lock(&cy_world_lock);
	add_into(out, &retired);
	for (unsigned i = 0, end = cy_thread_slots_end(); i < end; i++) {
		if (cy_threads[i].counters)
			add_into(out, cy_threads[i].counters);
	}
	pthread_mutex_unlock(&cy_world_lock);
	/* Threads count decrements apart (counters.h); totals include them. */
	out->rc_nonatomic_ops += out->rc_nonatomic_decrements;
	out->rc_atomic_ops += out->rc_atomic_decrements;
}

int64_t cy_objects_live(void)
{
	cy_counters c;
	cy_counters_snapshot(&c);
	return c.objects_allocated - c.objects_freed;
}

int64_t cy_bytes_live(void)
{
	cy_counters c;
	cy_counters_snapshot(&c);
	return c.bytes_allocated - c.bytes_freed;
}
