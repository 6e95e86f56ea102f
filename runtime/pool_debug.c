/*
 * pool_debug.c: debug pages (CYCLAB_POOL_DEBUG=1, cy_pool_set_debug, and
 * the default of --mode=debug builds), and the pools' fatal errors.
 *
 * pymalloc's debug hooks fill freed memory with DEADBYTE and check the pads
 * around a block; mimalloc's debug build fills freed blocks and looks for a
 * block on its page's lists to diagnose a double free. A debug page does the
 * first and replaces the second with something exact and cheap under
 * threads: a bitmap with one bit per block, set by the allocation and
 * cleared by the free with an atomic read-modify-write, so of two frees of
 * one block, by whichever threads, exactly one finds the bit already clear.
 *
 *  - free: the size must be in the block's class (a free with the wrong
 *    size would corrupt another class's counts), the address must be a
 *    block boundary of the page, the live bit must be set; then bytes 8 and
 *    up are filled with CY_POOL_DEBUG_BYTE (the first 8 hold the link).
 *  - allocation: the fill must be intact (a write after free shows here,
 *    with the offset and the byte found), and the live bit must be clear.
 *
 * Debug pages never take the fast paths (pool.h), so none of this costs a
 * normal page anything. Under AddressSanitizer, freed bytes are also
 * poisoned: the fill and the check unpoison them for a moment.
 */
#include "pool_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cy_pool_fatal(const char *format, ...)
{
	va_list args;
	va_start(args, format);
	fputs("cyclab pool: ", stderr);
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
	va_end(args);
	abort();
}

static size_t block_index(const cy_pool_page *page, const cy_pool_block *block)
{
	size_t offset = (size_t)((const char *)block - page->start);
	size_t index = offset / page->block_size;
	if ((const char *)block < page->start || offset % page->block_size ||
	    index >= page->reserved) /* not capacity: other threads free here, and capacity is the owner's */
		cy_pool_fatal("%p is not a block of the %u-byte pool page %p", (const void *)block, page->block_size,
			      (const void *)page);
	return index;
}

void cy_pool_debug_fill(const cy_pool_page *page, cy_pool_block *block)
{
	size_t rest = page->block_size - sizeof *block;
	CY_POOL_UNPOISON(block + 1, rest);
	memset(block + 1, CY_POOL_DEBUG_BYTE, rest);
	CY_POOL_POISON(block + 1, rest);
}

void cy_pool_debug_on_alloc(cy_pool_page *page, cy_pool_block *block)
{
	size_t index = block_index(page, block);
	const unsigned char *bytes = (const unsigned char *)(block + 1);
	size_t rest = page->block_size - sizeof *block;
	CY_POOL_UNPOISON(block + 1, rest);
	for (size_t i = 0; i < rest; i++) {
		if (bytes[i] != CY_POOL_DEBUG_BYTE)
			cy_pool_fatal("block %p (%u-byte class) was written after it was freed: byte %zu is 0x%02x, not 0x%02x",
				      (void *)block, page->block_size, i + sizeof *block, bytes[i], CY_POOL_DEBUG_BYTE);
	}
	CY_POOL_POISON(block + 1, rest);
	uint64_t bit = (uint64_t)1 << (index % 64);
	if (cy_atomic_fetch_or_relaxed(&page->debug_live[index / 64], bit) & bit)
		cy_pool_fatal("block %p (%u-byte class) handed out while live: the pool's lists are corrupt", (void *)block,
			      page->block_size);
}

void cy_pool_debug_on_free(cy_pool_page *page, cy_pool_block *block, size_t size)
{
	if (cy_pool_size_class(size) != page->size_class)
		cy_pool_fatal("free of %p with size %zu, but it was allocated in the %u-byte class", (void *)block, size,
			      page->block_size);
	size_t index = block_index(page, block);
	uint64_t bit = (uint64_t)1 << (index % 64);
	if (!(cy_atomic_fetch_and_relaxed(&page->debug_live[index / 64], ~bit) & bit))
		cy_pool_fatal("double free of %p (%u-byte class): the block is not allocated", (void *)block,
			      page->block_size);
	cy_pool_debug_fill(page, block);
}

