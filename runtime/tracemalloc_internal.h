/*
 * tracemalloc_internal.h: what the tracer's files share (tracemalloc.c
 * keeps the tables, trace_snapshot.c reads them, symbolize.c names frames).
 * Not for users: tracemalloc.h is the interface.
 */
#ifndef CY_TRACEMALLOC_INTERNAL_H
#define CY_TRACEMALLOC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "object.h"

/*
 * Frames captured beyond the ones asked for: the tracer's own and
 * cy_object_new's (which cy_tracemalloc_is_machinery names), left out when
 * the stack is read; and under AddressSanitizer or ThreadSanitizer the
 * sanitizer's interceptor of backtrace(), which shows as a frame of its own.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CY_TRACEMALLOC_MACHINERY_FRAMES 4
#else
#define CY_TRACEMALLOC_MACHINERY_FRAMES 3
#endif

/* A stack, interned per thread table; immutable once made, freed only by clear or stop. */
typedef struct cy_traceback {
	struct cy_traceback *next; /* the intern table's chain */
	uint64_t hash;
	uint32_t nframes;
	uintptr_t frames[]; /* return addresses, innermost first */
} cy_traceback;

/* One live traced object. object == 0 marks an empty slot. */
typedef struct cy_trace {
	uintptr_t object;
	int64_t size;
	const cy_traceback *traceback;
	const cy_type *type;
} cy_trace;

/*
 * Call fn for every trace of every table, each table under its lock for
 * the whole of its visit (fn may allocate with malloc, nothing else).
 */
void cy_tracemalloc_each_trace(void (*fn)(const cy_trace *trace, void *arg), void *arg);

/* A frame's names. Strings live as long as the process. */
typedef struct cy_trace_frame {
	const char *file;     /* relative to the source tree when under it; "?" when unknown */
	const char *function; /* "?" when unknown */
	int line;             /* 0 when unknown */
} cy_trace_frame;

/* Name the frame whose return address is pc (symbolize.c; thread-safe, cached). */
void cy_symbolize(uintptr_t pc, cy_trace_frame *out);

/* Is this frame the tracer's or cy_object_new's (left out of what users see)? */
int cy_tracemalloc_is_machinery(const cy_trace_frame *frame);
/* Is this frame in the runtime's own sources (skipped when choosing the frame a trace is grouped by)? */
int cy_tracemalloc_is_runtime(const cy_trace_frame *frame);

#endif
