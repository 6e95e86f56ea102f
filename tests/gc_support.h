/*
 * gc_support.h: what the collector's tests (test_gc, test_gc_concurrent)
 * share: linking boxes into cycles, keeping the last collection's record,
 * and moving everything alive to the oldest generation.
 */
#ifndef CY_TEST_GC_SUPPORT_H
#define CY_TEST_GC_SUPPORT_H

#include "collector/gc.h"
#include "tests/box.h"

/* Point a at b (a takes its own reference), published for a concurrent traverse. */
static inline void link_to(box *a, box *b)
{
	cy_incref(&b->base);
	cy_setref_published(&a->item, &b->base);
}

/* The record of the last collection that finished (a callback: cy_gc_callback_add(keep_last_info, NULL)). */
static cy_gc_collection_info last_info;

static inline void keep_last_info(int start, const cy_gc_collection_info *info, void *arg)
{
	(void)arg;
	if (!start)
		last_info = *info;
}

/* Promote every object alive to generation 2. */
static inline void promote_to_old(void)
{
	assert_int_equal(cy_gc_collect(1), 0);
	assert_int_equal(cy_gc_collect(1), 0);
}

#endif
