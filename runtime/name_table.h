/*
 * name_table.h: an enumeration's values by name, as knobs print and parse
 * them (--rc biased, --alloc pool, --shared-rc deferred): one array of
 * names indexed by value, looked up here rather than by a loop per enum.
 */
#ifndef CY_NAME_TABLE_H
#define CY_NAME_TABLE_H

#include <string.h>

/* The value whose name is name among names[0..count), or -1. */
static inline int cy_name_index(const char *const *names, int count, const char *name)
{
	for (int i = 0; i < count; i++) {
		if (strcmp(name, names[i]) == 0)
			return i;
	}
	return -1;
}

/* names[value], or "unknown" for a value outside 0..count-1. */
static inline const char *cy_name_of(const char *const *names, int count, int value)
{
	return value >= 0 && value < count ? names[value] : "unknown";
}

#endif
