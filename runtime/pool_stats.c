/*
 * pool_stats.c: the pools' statistics, summed on demand.
 *
 * What pymalloc's _PyObject_DebugMallocStats prints (per size class: blocks
 * and bytes in use, pages; arenas mapped and returned) plus what a
 * multithreaded pool adds: remote frees, full pages woken by them, pages
 * abandoned and adopted. Nothing here is counted on the side: blocks in use
 * are allocations minus frees, from the per-heap counters that the fast
 * paths keep anyway (one thread-local increment each), and the page and
 * arena figures come from arena.c, which updates them under its lock once
 * per page. A snapshot takes the registry lock, then the abandoned-list
 * lock, then the arena lock, one after the other.
 *
 * Blocks in use count a block freed by another thread as free from the
 * moment of its free, before its owner has collected it; a block waiting
 * in a deferred-free batch (alloc.c) is still in use.
 */
#include "pool_internal.h"

#include <inttypes.h>
#include <string.h>

void cy_pool_stats_get(cy_pool_stats *out)
{
	memset(out, 0, sizeof *out);
	cy_pool_totals t;
	memset(&t, 0, sizeof t);
	cy_pool_sum_heaps(&t, &out->heaps);
	for (unsigned c = 0; c < CY_POOL_CLASSES; c++) {
		cy_pool_class_stats *k = &out->classes[c];
		k->block_size = (uint32_t)cy_pool_class_size(c);
		k->blocks_in_use = t.allocs[c] - t.frees[c];
		k->bytes_in_use = k->blocks_in_use * k->block_size;
		out->blocks_in_use += k->blocks_in_use;
		out->bytes_in_use += k->bytes_in_use;
	}
	out->remote_frees = t.remote_frees;
	out->notifications = t.notifications;
	out->pages_adopted = t.pages_adopted;
	out->large_allocs = t.large_allocs;
	out->large_blocks_in_use = t.large_allocs - t.large_frees;
	out->large_bytes_in_use = t.large_bytes_allocated - t.large_bytes_freed;
	out->pages_abandoned = cy_pool_abandoned_pages();
	cy_arena_stats(out);
	out->fragmentation = out->bytes_in_use > 0 ? (double)out->bytes_mapped / (double)out->bytes_in_use : 0.0;
}

void cy_pool_stats_print(FILE *out, const cy_pool_stats *s)
{
	fprintf(out, "class  size  blocks in use  bytes in use  pages\n");
	for (unsigned c = 0; c < CY_POOL_CLASSES; c++) {
		const cy_pool_class_stats *k = &s->classes[c];
		if (!k->blocks_in_use && !k->pages)
			continue;
		fprintf(out, "%5u  %4" PRIu32 "  %13" PRId64 "  %12" PRId64 "  %5" PRId64 "\n", c, k->block_size,
			k->blocks_in_use, k->bytes_in_use, k->pages);
	}
	fprintf(out,
		"in use: %" PRId64 " blocks, %" PRId64 " bytes; pages %" PRId64 " (%" PRId64 " abandoned, %" PRId64
		" adopted); arenas %" PRId64 " mapped (%" PRId64 " empty, cached), %" PRId64 " returned\n",
		s->blocks_in_use, s->bytes_in_use, s->pages, s->pages_abandoned, s->pages_adopted, s->arenas_mapped,
		s->arenas_cached, s->arenas_returned);
	fprintf(out,
		"mapped %" PRId64 " bytes, fragmentation %.2f (mapped / in use); remote frees %" PRId64
		", full pages woken %" PRId64 "; above %d bytes: %" PRId64 " blocks, %" PRId64 " bytes; heaps %" PRId64
		"\n",
		s->bytes_mapped, s->fragmentation, s->remote_frees, s->notifications, CY_POOL_MAX_SIZE,
		s->large_blocks_in_use, s->large_bytes_in_use, s->heaps);
	fprintf(out,
		"POOL blocks_in_use=%" PRId64 " bytes_in_use=%" PRId64 " pages=%" PRId64 " pages_abandoned=%" PRId64
		" pages_adopted=%" PRId64 " pages_decommitted=%" PRId64 " arenas_mapped=%" PRId64 " arenas_cached=%" PRId64
		" arenas_mapped_total=%" PRId64 " arenas_returned=%" PRId64 " bytes_mapped=%" PRId64
		" fragmentation=%.3f remote_frees=%" PRId64 " notifications=%" PRId64 " large_blocks_in_use=%" PRId64
		" large_bytes_in_use=%" PRId64 " heaps=%" PRId64 "\n",
		s->blocks_in_use, s->bytes_in_use, s->pages, s->pages_abandoned, s->pages_adopted, s->pages_decommitted,
		s->arenas_mapped, s->arenas_cached, s->arenas_mapped_total, s->arenas_returned, s->bytes_mapped,
		s->fragmentation, s->remote_frees, s->notifications, s->large_blocks_in_use, s->large_bytes_in_use,
		s->heaps);
}
