/*
 * alloc.c: the allocation backend switch. The pools live in pool.c.
 */
#include "alloc.h"

#include <stdlib.h>
#include <string.h>

static cy_alloc_kind selected = CY_ALLOC_MALLOC;

static const char *const alloc_names[] = {"malloc"};

int cy_alloc_select(cy_alloc_kind kind)
{
	if ((unsigned)kind >= sizeof alloc_names / sizeof alloc_names[0])
		return -1;
	selected = kind;
	return 0;
}

cy_alloc_kind cy_alloc_selected(void) { return selected; }

const char *cy_alloc_name(cy_alloc_kind kind)
{
	return (unsigned)kind < sizeof alloc_names / sizeof alloc_names[0] ? alloc_names[kind] : "unknown";
}

int cy_alloc_parse(const char *name)
{
	for (unsigned i = 0; i < sizeof alloc_names / sizeof alloc_names[0]; i++) {
		if (strcmp(name, alloc_names[i]) == 0)
			return (int)i;
	}
	return -1;
}

void *cy_mem_alloc(size_t size) { return malloc(size); }

void cy_mem_free(void *p, size_t size)
{
	(void)size;
	free(p);
}
