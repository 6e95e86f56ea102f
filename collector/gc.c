/*
 * gc.c: the collector's settings, statistics and triggers (the gc module's
 * surface); the algorithm is in collect.c.
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
	.pause_budget_ns = 200000,
};

static const char *const mode_names[CY_GC_MODE_COUNT] = {"off", "stw", "concurrent", "incremental"};
static const char *const phase_names[CY_GC_PHASE_COUNT] = {
	"stop_world", "prepare", "mark", "weakrefs", "finalize", "clear", "promote",
};
static const char *const pause_kind_names[CY_GC_PAUSE_KIND_COUNT] = {
	"collection", "snapshot", "verify", "slice", "other",
};

const char *cy_gc_mode_name(cy_gc_mode mode)
{
	return (unsigned)mode < CY_GC_MODE_COUNT ? mode_names[mode] : "unknown";
}

int cy_gc_mode_parse(const char *name)
{
	for (int i = 0; i < CY_GC_MODE_COUNT; i++) {
		if (strcmp(name, mode_names[i]) == 0)
			return i;
	}
	return -1;
}

const char *cy_gc_phase_name(cy_gc_phase phase)
{
	return (unsigned)phase < CY_GC_PHASE_COUNT ? phase_names[phase] : "unknown";
}

const char *cy_gc_pause_kind_name(cy_gc_pause_kind kind)
{
	return (unsigned)kind < CY_GC_PAUSE_KIND_COUNT ? pause_kind_names[kind] : "unknown";
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
	if (!__atomic_load_n(&cy_gc.enabled, __ATOMIC_RELAXED))
		return;
	int64_t threshold = __atomic_load_n(&cy_gc.threshold[0], __ATOMIC_RELAXED);
	/* An incremental collection in progress takes a slice whenever one is due (a concurrent one drives itself). */
	if ((threshold > 0 && count > threshold) ||
		(__atomic_load_n(&cy_gc_incremental_gen, __ATOMIC_RELAXED) &&
			__atomic_load_n(&cy_gc.mode, __ATOMIC_RELAXED) == CY_GC_MODE_INCREMENTAL))
		cy_request_collect();
}

/* collect_lock held: CPython's choice of generation; -1 when none is due. */
static int select_generation(void)
{
	int64_t counts[CY_GC_GENERATIONS] = {cy_atomic_load_relaxed(&cy_gc_young_count), cy_gc.count[1], cy_gc.count[2]};
	for (int gen = CY_GC_GENERATIONS - 1; gen >= 0; gen--) {
		int64_t threshold = __atomic_load_n(&cy_gc.threshold[gen], __ATOMIC_RELAXED);
		if (threshold <= 0 || counts[gen] <= threshold)
			continue;
		/* A full collection waits until a quarter of the long-lived objects are new. */
		if (gen == CY_GC_GENERATIONS - 1 && cy_gc.long_lived_pending < cy_gc.long_lived_total / 4)
			continue;
		return gen;
	}
	return -1;
}

/*
 * Concurrent mode, collect_lock held: would a collection of generations
 * 0..gen fit in one pause? Then the collector thread is not worth waking
 * (its snapshot and verify pauses alone would cost as much). The size is
 * estimated from what collections moved into the generations, frees
 * ignored; the cost per object from recent stop-the-world collections.
 */
static int fits_in_a_pause(int gen)
{
	if (!cy_gc.stw_ns_per_object)
		return 0;
	int64_t objects = cy_atomic_load_relaxed(&cy_gc_young_count) + cy_gc.generation1_promoted;
	if (gen == CY_GC_GENERATIONS - 1)
		objects += cy_gc.long_lived_total + cy_gc.long_lived_pending;
	return objects >= 0 && (uint64_t)objects * cy_gc.stw_ns_per_object <= cy_gc.pause_budget_ns;
}

static void collect_at_safepoint(void)
{
	/* User code of this thread's own collection reached a safepoint: no collection inside a collection. */
	if (cy_gc_tls_lock_held)
		return;
	if (!__atomic_load_n(&cy_gc.enabled, __ATOMIC_RELAXED) ||
		__atomic_load_n(&cy_gc.mode, __ATOMIC_RELAXED) == CY_GC_MODE_OFF)
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
		if (__atomic_load_n(&cy_gc.mode, __ATOMIC_RELAXED) != CY_GC_MODE_CONCURRENT)
			return;
		cy_gc_lock_offline();
	}
	int gen = select_generation();
	if (cy_gc.mode == CY_GC_MODE_CONCURRENT) {
		/* Old generations are the collector thread's, unless small; young collections stay here, beside it. */
		if (gen > 0 && !cy_gc_concurrent_busy() && fits_in_a_pause(gen))
			cy_gc_collect_stw(gen, 1);
		else if (gen > 0 && !cy_gc_concurrent_busy())
			cy_gc_concurrent_request(gen, 1);
		else if (gen >= 0 && cy_atomic_load_relaxed(&cy_gc_young_count) > cy_gc.threshold[0])
			cy_gc_collect_stw(0, 1);
	} else if (cy_gc.mode != CY_GC_MODE_INCREMENTAL) {
		if (gen >= 0)
			cy_gc_collect_stw(gen, 1);
	} else if (cy_gc_incremental_active()) {
		/* Young collections go on beside it; the old generations are its. */
		cy_gc_incremental_step(0, 1);
		if (gen >= 0 && cy_atomic_load_relaxed(&cy_gc_young_count) > cy_gc.threshold[0])
			cy_gc_collect_stw(0, 1);
	} else if (gen == 0) {
		cy_gc_collect_stw(0, 1);
	} else if (gen > 0) {
		cy_gc_incremental_step(gen, 1);
	}
	cy_gc_unlock();
}

/* collect_lock held: finish the old-generation collection in progress, if any. */
static void finish_old_collection(void)
{
	cy_gc_concurrent_wait_idle();
	cy_gc_incremental_finish();
}

int cy_gc_start(cy_gc_mode mode)
{
	if ((unsigned)mode >= CY_GC_MODE_COUNT || cy_gc_tls_lock_held)
		return -1;
	/* The collector thread reads counts while mutators run: nonatomic counts allow one thread only. */
	if (mode == CY_GC_MODE_CONCURRENT && cy_rc_mode_running == CY_RC_NONATOMIC)
		return -1;
	cy_gc_concurrent_stop(); /* joins the collector thread, if any, once its collection is done */
	cy_gc_lock_offline();
	finish_old_collection();
	__atomic_store_n(&cy_gc.mode, mode, __ATOMIC_RELAXED);
	if (mode == CY_GC_MODE_CONCURRENT)
		cy_gc_concurrent_start();
	cy_gc_unlock();
	__atomic_store_n(&cy_gc_on_young_count, mode == CY_GC_MODE_OFF ? NULL : on_young_count, __ATOMIC_RELEASE);
	__atomic_store_n(&cy_safepoint_collect_hook, mode == CY_GC_MODE_OFF ? NULL : collect_at_safepoint,
		__ATOMIC_RELEASE);
	return 0;
}

void cy_gc_stop(void) { cy_gc_start(CY_GC_MODE_OFF); }

cy_gc_mode cy_gc_running_mode(void) { return __atomic_load_n(&cy_gc.mode, __ATOMIC_RELAXED); }

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
	int64_t found;
	if (cy_gc.mode == CY_GC_MODE_CONCURRENT && generation > 0) {
		found = cy_gc_concurrent_collect(generation);
	} else {
		/* A young collection may run beside a concurrent one, as automatic ones do. */
		if (cy_gc.mode != CY_GC_MODE_CONCURRENT)
			cy_gc_incremental_finish();
		found = cy_gc_collect_stw(generation, 0);
	}
	cy_gc_unlock();
	return found;
}

void cy_gc_enable(void) { __atomic_store_n(&cy_gc.enabled, 1, __ATOMIC_RELAXED); }
void cy_gc_disable(void) { __atomic_store_n(&cy_gc.enabled, 0, __ATOMIC_RELAXED); }
int cy_gc_isenabled(void) { return __atomic_load_n(&cy_gc.enabled, __ATOMIC_RELAXED); }

void cy_gc_set_threshold(int64_t threshold0, int64_t threshold1, int64_t threshold2)
{
	int64_t values[CY_GC_GENERATIONS] = {threshold0, threshold1, threshold2};
	for (int i = 0; i < CY_GC_GENERATIONS; i++) {
		if (values[i] >= 0)
			__atomic_store_n(&cy_gc.threshold[i], values[i], __ATOMIC_RELAXED);
	}
}

void cy_gc_get_threshold(int64_t out[CY_GC_GENERATIONS])
{
	for (int i = 0; i < CY_GC_GENERATIONS; i++)
		out[i] = __atomic_load_n(&cy_gc.threshold[i], __ATOMIC_RELAXED);
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

void cy_gc_get_stats(cy_gc_generation_stats out[CY_GC_GENERATIONS])
{
	int taken = cy_gc_api_lock();
	memcpy(out, cy_gc.stats, sizeof cy_gc.stats);
	cy_gc_api_unlock(taken);
}

void cy_gc_get_totals(cy_gc_totals *out)
{
	int taken = cy_gc_api_lock();
	*out = cy_gc.totals;
	cy_gc_api_unlock(taken);
}

void cy_gc_reset_statistics(void)
{
	int taken = cy_gc_api_lock();
	memset(cy_gc.stats, 0, sizeof cy_gc.stats);
	memset(&cy_gc.totals, 0, sizeof cy_gc.totals);
	cy_gc.pauses_recorded = 0;
	cy_gc_api_unlock(taken);
}

void cy_gc_account(const cy_gc_collection_info *info)
{
	cy_gc_generation_stats *s = &cy_gc.stats[info->generation];
	s->collections++;
	s->collected += info->collected;
	s->uncollectable += info->uncollectable;
	cy_gc.totals.collections++;
	cy_gc.totals.examined += info->examined;
	for (int i = 0; i < CY_GC_PHASE_COUNT; i++)
		cy_gc.totals.phase_ns[i] += info->phase_ns[i];
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
} api_stop;

static void stop_for_api(api_stop *stop)
{
	stop->took_lock = cy_gc_api_lock();
	if (stop->took_lock)
		finish_old_collection();
	stop->stopped = !cy_gc_tls_collecting;
	if (stop->stopped) {
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
		cy_gc_record_pause(0, &stop->report, end, CY_GC_PAUSE_OTHER);
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
			if (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) == CY_THREAD_FREE)
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
		if (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) == CY_THREAD_FREE)
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

void cy_gc_set_debug(unsigned flags) { __atomic_store_n(&cy_gc.debug, flags, __ATOMIC_RELAXED); }
unsigned cy_gc_get_debug(void) { return __atomic_load_n(&cy_gc.debug, __ATOMIC_RELAXED); }

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

void cy_gc_run_callbacks(int start, const cy_gc_collection_info *info)
{
	/* A callback may add or remove callbacks: run the ones installed when the collection got here. */
	unsigned n = cy_gc.ncallbacks;
	__typeof__(cy_gc.callbacks) installed;
	memcpy(installed, cy_gc.callbacks, n * sizeof installed[0]);
	for (unsigned i = 0; i < n; i++)
		installed[i].fn(start, info, installed[i].arg);
}

uint64_t cy_gc_max_time_to_safepoint(const cy_stw_report *stop)
{
	uint64_t max = 0;
	for (uint32_t i = 0; i < stop->recorded; i++) {
		if (stop->arrivals[i].ns_to_safepoint > max)
			max = stop->arrivals[i].ns_to_safepoint;
	}
	return max;
}

void cy_gc_record_pause(uint64_t collection, const cy_stw_report *stop, uint64_t end_ns, cy_gc_pause_kind kind)
{
	if (!cy_gc.ring) {
		cy_gc.ring = calloc(CY_GC_PAUSE_RING, sizeof *cy_gc.ring);
		if (!cy_gc.ring) {
			fprintf(stderr, "cyclab: out of memory for the pause record\n");
			abort();
		}
	}
	uint64_t duration = end_ns - stop->requested_ns;
	cy_gc.ring[cy_gc.pauses_recorded % CY_GC_PAUSE_RING] = (cy_gc_pause){
		.collection = collection,
		.start_ns = stop->requested_ns,
		.duration_ns = duration,
		.max_time_to_safepoint_ns = cy_gc_max_time_to_safepoint(stop),
		.kind = kind,
	};
	cy_gc.pauses_recorded++;
	cy_gc.totals.pauses++;
	cy_gc.totals.pause_ns += duration;
	if (duration > cy_gc.totals.max_pause_ns)
		cy_gc.totals.max_pause_ns = duration;
}

size_t cy_gc_pauses(uint64_t from, cy_gc_pause *out, size_t max, uint64_t *next)
{
	int taken = cy_gc_api_lock();
	uint64_t end = cy_gc.pauses_recorded;
	uint64_t oldest = end > CY_GC_PAUSE_RING ? end - CY_GC_PAUSE_RING : 0;
	if (from < oldest)
		from = oldest;
	size_t n = 0;
	for (uint64_t i = from; i < end && n < max; i++, n++)
		out[n] = cy_gc.ring[i % CY_GC_PAUSE_RING];
	*next = from + n;
	cy_gc_api_unlock(taken);
	return n;
}
