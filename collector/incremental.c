/*
 * incremental.c: the incremental collector mode (--gc incremental) as a
 * flavour table, and its part of the gc module's interface.
 *
 * Young collections stay stop-the-world: they are small, and so does a
 * collection of old generations estimated to fit in one pause of the
 * budget (sliced.c's cy_gc_fits_in_a_pause). A bigger collection of
 * the old generations (0..gen, gen >= 1) runs as a sliced collection
 * (sliced.c): its first stop takes the generations and marks for the pause
 * budget, and every later safepoint at which a slice is due (at most one
 * per budget's worth of mutator time, see sliced.c's step) stops the world
 * for one more budget of work, until verification has confirmed and
 * disposed of every candidate. Slices are driven by the mutators' own
 * safepoints: work_due makes each count check ask for one while a
 * collection runs. An explicit cy_gc_collect finishes the collection in
 * progress, then collects stop-the-world, so that it returns an exact
 * count at once, as CPython's gc.collect() does.
 */
#include "collector/gc_internal.h"

static void nothing(void) {}

static void collect_due(int gen)
{
	if (cy_gc_sliced_active()) {
		/* Young collections go on beside it; the old generations are its. */
		cy_gc_sliced_slice(0);
		if (gen >= 0 && cy_atomic_load_relaxed(&cy_gc_young_count) > cy_gc.threshold[0])
			cy_gc_collect_stw(0, 1);
	} else if (gen == 0) {
		cy_gc_collect_stw(0, 1);
	} else if (gen > 0 && cy_gc_fits_in_a_pause(gen)) {
		cy_gc_collect_stw(gen, 1); /* one pause within the budget: slicing would only cost more */
	} else if (gen > 0) {
		cy_gc_sliced_begin(gen, 1, 0);
	}
}

static int64_t collect_now(int gen)
{
	cy_gc_sliced_finish();
	return cy_gc_collect_stw(gen, 0);
}

static int slice_due(void) { return cy_atomic_load_relaxed(&cy_gc_incremental_gen) != 0; }

const cy_gc_flavor cy_gc_flavor_incremental = {
	.mode = CY_GC_MODE_INCREMENTAL,
	.name = "incremental",
	.start = nothing,
	.stop = cy_gc_sliced_finish,
	.collect_automatic = collect_due,
	.collect_explicit = collect_now,
	.finish = cy_gc_sliced_finish,
	.work_due = slice_due,
};

/* ---- the interface (gc.h) ------------------------------------------------------------ */

int cy_gc_collect_incremental(int generation)
{
	if (generation < 1 || generation >= CY_GC_GENERATIONS || cy_gc_tls_lock_held)
		return -1;
	cy_gc_lock_offline();
	int result = -1;
	if (cy_gc.mode == CY_GC_MODE_INCREMENTAL && !cy_gc_sliced_active()) {
		cy_gc_sliced_begin(generation, 0, 0);
		result = 0;
	}
	cy_gc_unlock();
	return result;
}

int cy_gc_incremental_slice(void)
{
	int taken = cy_gc_api_lock();
	/* A concurrent collection is its collector thread's to drive; a slice does not run inside a slice. */
	if (taken && cy_gc_sliced_active() && cy_gc.mode == CY_GC_MODE_INCREMENTAL)
		cy_gc_sliced_slice(1);
	int running = cy_gc_sliced_active();
	cy_gc_api_unlock(taken);
	return running;
}

int cy_gc_incremental_running(void)
{
	int taken = cy_gc_api_lock();
	int running = cy_gc_sliced_active();
	cy_gc_api_unlock(taken);
	return running;
}
