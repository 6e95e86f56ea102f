/*
 * alloc.h: where object storage comes from.
 *
 * cy_mem_alloc/cy_mem_free route every object allocation to the backend
 * chosen at start-up (--alloc): cyclab's per-thread pools or the system
 * allocator. The size passed to cy_mem_free is the size that was allocated,
 * so a sized backend needs no header of its own.
 */
#ifndef CY_ALLOC_H
#define CY_ALLOC_H

#include <stddef.h>

typedef enum cy_alloc_kind {
	CY_ALLOC_MALLOC = 0, /* the C library's malloc */
} cy_alloc_kind;

/* Choose the backend; only while no object is live. Returns 0, or -1 if it is unavailable. */
int cy_alloc_select(cy_alloc_kind kind);
cy_alloc_kind cy_alloc_selected(void);
const char *cy_alloc_name(cy_alloc_kind kind);
/* Parse a backend name; returns -1 for an unknown one. */
int cy_alloc_parse(const char *name);

void *cy_mem_alloc(size_t size);
void cy_mem_free(void *p, size_t size);

#endif
