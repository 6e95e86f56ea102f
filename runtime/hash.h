/*
 * hash.h: the integer mixer behind cyclab's hash tables (dicts, weak-value
 * dicts, the weak reference stripes): splitmix64's finaliser, which spreads
 * every input bit over the whole word, so keys that differ only in their
 * high bits (pointers, sequential ids) still land in different buckets of
 * a power-of-two table.
 */
#ifndef CY_HASH_H
#define CY_HASH_H

#include <stdint.h>

static inline uint64_t cy_hash_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline uint64_t cy_hash_pointer(const void *p) { return cy_hash_mix64((uint64_t)(uintptr_t)p); }

#endif
