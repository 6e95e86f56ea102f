/*
 * stw.c: the two simplest collector modes as flavour tables (gc_internal.h
 * says what each entry means).
 *
 *   off  reference counting alone: no automatic collection (gc.c installs
 *        no trigger), cycles leak until someone calls cy_gc_collect, which
 *        still collects, with the world stopped.
 *   stw  every collection, automatic or explicit, stops the world from
 *        start to end (collect.c): CPython's collector, made safe for
 *        threads by the stop.
 *
 * Neither keeps a collection in progress between calls, so there is
 * nothing to start, stop or finish.
 */
#include "collector/gc_internal.h"

static void nothing(void) {}

static void collect_due(int gen)
{
	if (gen >= 0)
		cy_gc_collect_stw(gen, 1);
}

static int64_t collect_now(int gen) { return cy_gc_collect_stw(gen, 0); }

const cy_gc_flavor cy_gc_flavor_off = {
	.mode = CY_GC_MODE_OFF,
	.name = "off",
	.start = nothing,
	.stop = nothing,
	.collect_automatic = collect_due, /* not reached: no trigger is installed */
	.collect_explicit = collect_now,
	.finish = nothing,
};

const cy_gc_flavor cy_gc_flavor_stw = {
	.mode = CY_GC_MODE_STW,
	.name = "stw",
	.start = nothing,
	.stop = nothing,
	.collect_automatic = collect_due,
	.collect_explicit = collect_now,
	.finish = nothing,
};
