/*
 * gc.c: the gc module's surface: settings, triggers, the garbage list,
 * callbacks, get_objects and freeze, and dispatch to the running flavour
 * (the table of functions that makes a collector mode: stw.c,
 * incremental.c, concurrent.c). The algorithm is in collect.c (one
 * collection's phases) and sliced.c (a collection in slices); what
 * collections did is kept by records.c.
 *
 * Automatic collection. Allocating threads add their generation-0 count to
 * the global one in batches (gc_track.c) and call on_young_count; when the
 * count passes threshold 0, the thread asks itself to collect at its next
 * safepoint, where it holds no lock. There, the oldest generation whose
 * count passes its threshold is chosen, as CPython does.
 *
 * Deadlock freedom: a thread that waits for collect_lock while the holder
 * stops the world must not hold the world up. Automatic collections only
 * try the lock (someone else is collecting: nothing to do), and explicit
 * ones wait for it offline (cy_gc_lock_offline).
 *
 * Calls from inside a collection. Finalizers, weak reference callbacks and
 * gc callbacks are user code that the collecting thread runs while it holds
 * collect_lock (and, for finalizers and weak reference callbacks, while it
 * has the world stopped). They may call any function of this module, as
 * Python code may call the gc module from __del__ or gc.callbacks:
 *  - collect() returns 0 at once and collects nothing (CPython's rule while
 *    a collection runs), and no automatic collection starts;
 *  - readers (counts, thresholds, stats, garbage, callbacks, get_objects)
 *    answer as of that moment: get_objects sees the generation lists, not
 *    the objects the running collection has taken out of them;
 *  - freeze, unfreeze, set_threshold, enable, disable and garbage_clear take
 *    effect at once; a callback added or removed by a callback is run, or
 *    not, from the next collection on;
 *  - cy_gc_start and cy_gc_stop are refused (-1, or nothing): the mode of a
 *    collection cannot change under it;
 *  - cy_gc_collect_incremental returns -1 (a collection is running).
 * The thread-local cy_gc_tls_lock_held tells these calls apart; nothing
 * waits for the collection that is running them.
 */
#include "collector/gc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/gc_internal.h"
#include "runtime/refcount.h"
#include "runtime/thread_internal.h"

cy_gc_globals cy_gc = {
	.collect_lock = PTHREAD_MUTEX_INITIALIZER,
	.enabled = 1,
	.threshold = {700, 10, 10},
	.mode = CY_GC_MODE_OFF,
	.flavor = &cy_gc_flavor_off,
	.pause_budget_ns = 200000,
	.sliced = {
		.work = {&cy_gc.sliced.work, &cy_gc.sliced.work, 0, 0},
		.reachable = {&cy_gc.sliced.reachable, &cy_gc.sliced.reachable, 0, 0},
		.kept = {&cy_gc.sliced.kept, &cy_gc.sliced.kept, 0, 0},
		.verify_ns_per_object = 400,
	},
	.concurrent = {
		.wake = PTHREAD_COND_INITIALIZER,
		.idle = PTHREAD_COND_INITIALIZER,
	},
};

/* The collector modes, indexed by cy_gc_mode: a new mode is one more table here. */
static const cy_gc_flavor *const flavors[CY_GC_MODE_COUNT] = {
	[CY_GC_MODE_OFF] = &cy_gc_flavor_off,
	[CY_GC_MODE_STW] = &cy_gc_flavor_stw,
	[CY_GC_MODE_CONCURRENT] = &cy_gc_flavor_concurrent,
	[CY_GC_MODE_INCREMENTAL] = &cy_gc_flavor_incremental,
};

static const cy_gc_flavor *running_flavor(void) { return cy_atomic_load_acquire(&cy_gc.flavor); }

const char *cy_gc_mode_name(cy_gc_mode mode)
{
	return (unsigned)mode < CY_GC_MODE_COUNT ? flavors[mode]->name : "unknown";
}

int cy_gc_mode_parse(const char *name)
{
	for (int i = 0; i < CY_GC_MODE_COUNT; i++) {
		if (strcmp(name, flavors[i]->name) == 0)
			return i;
	}
	return -1;
}



_Thread_local int cy_gc_tls_lock_held;

void cy_gc_lock_offline(void)
{
	if (pthread_mutex_trylock(&cy_gc.collect_lock) != 0) {
		cy_blocking_begin();
		pthread_mutex_lock(&cy_gc.collect_lock);
		cy_blocking_end();
	}
	cy_gc_tls_lock_held = 1;
}

void cy_gc_unlock(void)
{
	cy_gc_tls_lock_held = 0;
	pthread_mutex_unlock(&cy_gc.collect_lock);
}

int cy_gc_api_lock(void)
{
	if (cy_gc_tls_lock_held)
		return 0;
	cy_gc_lock_offline();
	return 1;
}

void cy_gc_api_unlock(int taken)
{
	if (taken)
		cy_gc_unlock();
}

/* ---- automatic collection -------------------------------------------------- */

static void on_young_count(int64_t count)
{
	if (!cy_atomic_load_relaxed(&cy_gc.enabled))
		return;
	int64_t threshold = cy_atomic_load_relaxed(&cy_gc.threshold[0]);
	int (*work_due)(void) = running_flavor()->work_due;
	if ((threshold > 0 && count > threshold) || (work_due && work_due()))
		cy_request_collect();
}

/* collect_lock held: CPython's choice of generation; -1 when none is due. */
static int select_generation(void)
{
	int64_t counts[CY_GC_GENERATIONS] = {cy_atomic_load_relaxed(&cy_gc_young_count), cy_gc.count[1], cy_gc.count[2]};
	for (int gen = CY_GC_GENERATIONS - 1; gen >= 0; gen--) {
		int64_t threshold = cy_atomic_load_relaxed(&cy_gc.threshold[gen]);
		if (threshold <= 0 || counts[gen] <= threshold)
			continue;
		/* A full collection waits until a quarter of the long-lived objects are new. */
		if (gen == CY_GC_GENERATIONS - 1 && cy_gc.long_lived_pending < cy_gc.long_lived_total / 4)
			continue;
		return gen;
	}
	return -1;
}


static void collect_at_safepoint(void)
{
	/* User code of this thread's own collection reached a safepoint: no collection inside a collection. */
	if (cy_gc_tls_lock_held)
		return;
	if (!cy_atomic_load_relaxed(&cy_gc.enabled) ||
		cy_atomic_load_relaxed(&cy_gc.mode) == CY_GC_MODE_OFF)
		return;
	if (pthread_mutex_trylock(&cy_gc.collect_lock) == 0) {
		cy_gc_tls_lock_held = 1;
	} else {
		/*
		 * Another thread is collecting. A mutator's collection covers every
		 * young list: nothing to do. But the concurrent collector's thread
		 * holds the lock for slices of an old collection, back to back
		 * with short gaps, and a young collection that waited for a gap
		 * would find a young generation many times its threshold: wait
		 * (offline, as the world is about to stop anyway), then look again.
		 */
		if (!running_flavor()->young_waits_for_lock)
			return;
		cy_gc_lock_offline();
	}
	cy_gc.flavor->collect_automatic(select_generation());
	cy_gc_unlock();
}

/* collect_lock held: finish the collection in progress, if any. */
static void finish_old_collection(void) { cy_gc.flavor->finish(); }

int cy_gc_start(cy_gc_mode mode)
{
	if ((unsigned)mode >= CY_GC_MODE_COUNT || cy_gc_tls_lock_held)
		return -1;
	cy_gc_verify_configure();
	const cy_gc_flavor *next = flavors[mode];
	if (next->available && !next->available())
		return -1;
	cy_gc_lock_offline();
	cy_gc.flavor->stop();
	cy_atomic_store_relaxed(&cy_gc.mode, mode);
	cy_atomic_store_release(&cy_gc.flavor, next);
	next->start();
	cy_gc_unlock();
	cy_atomic_store_release(&cy_gc_on_young_count, mode == CY_GC_MODE_OFF ? NULL : on_young_count);
	cy_atomic_store_release(&cy_safepoint_collect_hook, mode == CY_GC_MODE_OFF ? NULL : collect_at_safepoint);
	return 0;
}

void cy_gc_stop(void) { cy_gc_start(CY_GC_MODE_OFF); }

cy_gc_mode cy_gc_running_mode(void) { return cy_atomic_load_relaxed(&cy_gc.mode); }

void cy_gc_set_pause_budget_us(uint64_t us)
{
	int taken = cy_gc_api_lock();
	cy_gc.pause_budget_ns = us * 1000;
	cy_gc_api_unlock(taken);
}

uint64_t cy_gc_get_pause_budget_us(void)
{
	int taken = cy_gc_api_lock();
	uint64_t us = cy_gc.pause_budget_ns / 1000;
	cy_gc_api_unlock(taken);
	return us;
}

/* ---- the gc module ---------------------------------------------------------- */

int64_t cy_gc_collect(int generation)
{
	if (generation < 0 || generation >= CY_GC_GENERATIONS)
		return -1;
	if (cy_gc_tls_lock_held)
		return 0; /* called from user code of the collection running on this thread */
	cy_gc_lock_offline();
	int64_t found = cy_gc.flavor->collect_explicit(generation);
	cy_gc_unlock();
	return found;
}

void cy_gc_enable(void) { cy_atomic_store_relaxed(&cy_gc.enabled, 1); }
void cy_gc_disable(void) { cy_atomic_store_relaxed(&cy_gc.enabled, 0); }
int cy_gc_isenabled(void) { return cy_atomic_load_relaxed(&cy_gc.enabled); }

void cy_gc_set_threshold(int64_t threshold0, int64_t threshold1, int64_t threshold2)
{
	int64_t values[CY_GC_GENERATIONS] = {threshold0, threshold1, threshold2};
	for (int i = 0; i < CY_GC_GENERATIONS; i++) {
		if (values[i] >= 0)
			cy_atomic_store_relaxed(&cy_gc.threshold[i], values[i]);
	}
}

void cy_gc_get_threshold(int64_t out[CY_GC_GENERATIONS])
{
	for (int i = 0; i < CY_GC_GENERATIONS; i++)
		out[i] = cy_atomic_load_relaxed(&cy_gc.threshold[i]);
}

void cy_gc_get_count(int64_t out[CY_GC_GENERATIONS])
{
	cy_gc_flush_count();
	int taken = cy_gc_api_lock();
	out[0] = cy_atomic_load_relaxed(&cy_gc_young_count);
	out[1] = cy_gc.count[1];
	out[2] = cy_gc.count[2];
	cy_gc_api_unlock(taken);
}





/* ---- stopping the world for the API ------------------------------------------ */

/*
 * The world stopped by the gc module for a call. From inside a collection
 * (see the top of this file) the collection is not finished first, and if
 * its thread has the world stopped already it stays as it is.
 */
typedef struct api_stop {
	cy_stw_report report;
	int took_lock;
	int stopped; /* this call stopped the world */
	uint64_t cpu_start; /* the stopping thread's CPU clock before the stop */
} api_stop;

static void stop_for_api(api_stop *stop)
{
	stop->took_lock = cy_gc_api_lock();
	if (stop->took_lock)
		finish_old_collection();
	stop->stopped = !cy_gc_tls_collecting;
	if (stop->stopped) {
		stop->cpu_start = cy_thread_cpu_ns();
		cy_world_stop(&stop->report);
		cy_gc_tls_collecting = 1;
	}
}

static void resume_after_api(api_stop *stop)
{
	if (stop->stopped) {
		cy_gc_tls_collecting = 0;
		uint64_t end = cy_now_ns();
		cy_world_resume();
		cy_gc_record_pause(0, &stop->report, end, cy_thread_cpu_ns() - stop->cpu_start, CY_GC_PAUSE_OTHER);
	}
	cy_gc_api_unlock(stop->took_lock);
}

static size_t visit_list(cy_gc_head *list, void (*fn)(cy_object *, void *), void *arg)
{
	size_t n = 0;
	for (cy_gc_head *g = list->next; g != list; g = g->next, n++)
		fn(cy_gc_object_of(g), arg);
	return n;
}

size_t cy_gc_get_objects(int gen, void (*fn)(cy_object *o, void *arg), void *arg)
{
	if (gen < -1 || gen >= CY_GC_GENERATIONS)
		return 0;
	api_stop stop;
	stop_for_api(&stop);
	size_t n = 0;
	if (gen <= 0) {
		for (unsigned i = 0, end = cy_thread_slots_end(); i < end; i++) {
			cy_thread *t = &cy_threads[i];
			if (cy_atomic_load_acquire(&t->state) == CY_THREAD_FREE)
				continue;
			cy_gc_process_remote_of(t);
			n += visit_list(&t->young, fn, arg);
		}
	}
	for (int g = 1; g < CY_GC_GENERATIONS; g++) {
		if (gen == -1 || gen == g)
			n += visit_list(&cy_gc_old[g], fn, arg);
	}
	resume_after_api(&stop);
	return n;
}

int cy_gc_is_tracked(const cy_object *o)
{
	if (!cy_gc_is_tracked_type(o->ob_type))
		return 0;
	uint32_t where = cy_gc_where(cy_gc_head_of(o));
	return where >= CY_GC_YOUNG && where <= CY_GC_COLLECTING;
}

static void move_all(cy_gc_head *to, cy_gc_head *from, uint32_t state)
{
	for (cy_gc_head *g = from->next; g != from; g = g->next)
		cy_gc_set_state(g, state);
	cy_gc_list_splice(to, from);
}

void cy_gc_freeze(void)
{
	api_stop stop;
	stop_for_api(&stop);
	for (unsigned i = 0, end = cy_thread_slots_end(); i < end; i++) {
		cy_thread *t = &cy_threads[i];
		if (cy_atomic_load_acquire(&t->state) == CY_THREAD_FREE)
			continue;
		cy_gc_process_remote_of(t);
		move_all(&cy_gc_permanent, &t->young, CY_GC_PERMANENT);
	}
	for (int g = 1; g < CY_GC_GENERATIONS; g++)
		move_all(&cy_gc_permanent, &cy_gc_old[g], CY_GC_PERMANENT);
	cy_atomic_store_relaxed(&cy_gc_young_count, (int64_t)0);
	cy_gc.count[1] = cy_gc.count[2] = 0;
	cy_gc.generation1_promoted = 0;
	resume_after_api(&stop);
}

void cy_gc_unfreeze(void)
{
	api_stop stop;
	stop_for_api(&stop);
	move_all(&cy_gc_old[CY_GC_GENERATIONS - 1], &cy_gc_permanent, cy_gc_old_state(2));
	resume_after_api(&stop);
}

size_t cy_gc_get_freeze_count(void)
{
	pthread_mutex_lock(&cy_gc_old_lock);
	size_t n = cy_gc_list_length(&cy_gc_permanent);
	pthread_mutex_unlock(&cy_gc_old_lock);
	return n;
}

void cy_gc_set_debug(unsigned flags) { cy_atomic_store_relaxed(&cy_gc.debug, flags); }
unsigned cy_gc_get_debug(void) { return cy_atomic_load_relaxed(&cy_gc.debug); }

/* ---- gc.garbage -------------------------------------------------------------- */

void cy_gc_garbage_append(cy_object *o)
{
	if (cy_gc.garbage_len == cy_gc.garbage_cap) {
		size_t cap = cy_gc.garbage_cap ? cy_gc.garbage_cap * 2 : 64;
		cy_object **bigger = realloc(cy_gc.garbage, cap * sizeof *bigger);
		if (!bigger) {
			fprintf(stderr, "cyclab: out of memory growing gc.garbage to %zu entries\n", cap);
			abort();
		}
		cy_gc.garbage = bigger;
		cy_gc.garbage_cap = cap;
	}
	cy_gc.garbage[cy_gc.garbage_len++] = o;
}

size_t cy_gc_garbage_count(void)
{
	int taken = cy_gc_api_lock();
	size_t n = cy_gc.garbage_len;
	cy_gc_api_unlock(taken);
	return n;
}

cy_object *cy_gc_garbage_item(size_t i)
{
	int taken = cy_gc_api_lock();
	cy_object *o = i < cy_gc.garbage_len ? cy_gc.garbage[i] : NULL;
	cy_gc_api_unlock(taken);
	return o;
}

void cy_gc_garbage_clear(void)
{
	int taken = cy_gc_api_lock();
	cy_object **items = cy_gc.garbage;
	size_t n = cy_gc.garbage_len;
	cy_gc.garbage = NULL;
	cy_gc.garbage_len = cy_gc.garbage_cap = 0;
	cy_gc_api_unlock(taken);
	/* Released outside the lock: freeing may run finalizers that collect. */
	for (size_t i = 0; i < n; i++)
		cy_decref_any(items[i]);
	free(items);
}

/* ---- callbacks and pauses -------------------------------------------------------- */

int cy_gc_callback_add(cy_gc_callback fn, void *arg)
{
	int result = -1;
	int taken = cy_gc_api_lock();
	if (cy_gc.ncallbacks < sizeof cy_gc.callbacks / sizeof cy_gc.callbacks[0]) {
		cy_gc.callbacks[cy_gc.ncallbacks].fn = fn;
		cy_gc.callbacks[cy_gc.ncallbacks].arg = arg;
		cy_gc.ncallbacks++;
		result = 0;
	}
	cy_gc_api_unlock(taken);
	return result;
}

void cy_gc_callback_remove(cy_gc_callback fn, void *arg)
{
	int taken = cy_gc_api_lock();
	for (unsigned i = 0; i < cy_gc.ncallbacks; i++) {
		if (cy_gc.callbacks[i].fn == fn && cy_gc.callbacks[i].arg == arg) {
			memmove(&cy_gc.callbacks[i], &cy_gc.callbacks[i + 1],
				(cy_gc.ncallbacks - i - 1) * sizeof cy_gc.callbacks[0]);
			cy_gc.ncallbacks--;
			break;
		}
	}
	cy_gc_api_unlock(taken);
}

/*
 * The cost per object of stop-the-world collections in CPU time of the
 * collecting thread, a moving average over those of 256 objects or more
 * (sliced.c's fits-in-a-pause estimate). CPU time, not the pause: a pause
 * the operating system stretched by preempting the collector says nothing
 * of the work, and one such outlier would send every later collection to
 * the sliced path, where no stop-the-world collection measures it again.
 */
static void note_cost_per_object(const cy_gc_collection_info *info)
{
	if (info == &cy_gc.sliced.info || info->examined < 256)
		return;
	uint64_t per_object = info->cpu_ns / (uint64_t)info->examined + 1;
	uint64_t average = cy_gc.stw_cpu_ns_per_object;
	cy_gc.stw_cpu_ns_per_object = average ? (7 * average + per_object) / 8 : per_object;
}

void cy_gc_run_callbacks(int start, const cy_gc_collection_info *info)
{
	if (!start)
		note_cost_per_object(info);
	/* A callback may add or remove callbacks: run the ones installed when the collection got here. */
	unsigned n = cy_gc.ncallbacks;
	cy_gc_callback_entry installed[sizeof cy_gc.callbacks / sizeof cy_gc.callbacks[0]];
	memcpy(installed, cy_gc.callbacks, n * sizeof installed[0]);
	for (unsigned i = 0; i < n; i++)
		installed[i].fn(start, info, installed[i].arg);
}



