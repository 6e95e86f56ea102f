/*
 * tracemalloc.h: allocation tracing, Python's tracemalloc in C.
 *
 * While tracing is on, every object cy_object_new creates is recorded with
 * its storage size (the block the allocator gave, GC head included, as
 * cy_bytes_live counts it), its type and the call stack that asked for it,
 * until its storage is released. A snapshot copies the records; its
 * statistics group them by file, by file:line, by site (function and
 * file), by whole traceback or by type; two snapshots compare. Storage that
 * is not an object (a list's item array, a dict's table: malloc'd by the
 * types themselves) is not traced.
 *
 * Cost. Off: one relaxed load and a predictable branch on the allocation
 * path (cy_object_new goes to its out-of-line path when tracing is on) and
 * on the release path; nothing else. On: a backtrace() of nframes frames
 * into a stack buffer, a hash of it, and a lock that only the calling
 * thread takes in the common case (each thread records into a table of its
 * own), plus one atomic add to the traced total. Stacks are stored once per
 * thread per distinct stack (interned by hash) and turned into file, line
 * and function names, with elfutils' libdw, only when a snapshot is read.
 *
 * Frees. An object freed by the thread that allocated it is found in that
 * thread's table; one freed by another thread is looked for in the others'
 * tables (each under its own lock), as is every object that was never
 * traced (allocated before tracing started, or past the limit): a free
 * costs more the more threads have traced.
 *
 * Bounded memory. Each thread's table holds at most the limit's number of
 * traces, and as many distinct stacks (cy_tracemalloc_set_limit; default
 * CY_TRACEMALLOC_DEFAULT_LIMIT). An allocation past the limit is not
 * traced: it is counted in `dropped`, and current and peak traced memory
 * leave it out. A trace costs about 64 bytes of table (half-full open
 * addressing) plus its share of a stack (16 + 8 * frames bytes per distinct
 * stack). Stacks stay until cy_tracemalloc_clear or stop. Symbol names are
 * cached for the life of the process (one entry per distinct return
 * address in the program).
 *
 * Snapshots while other threads allocate: each thread's table is copied
 * whole under its lock, one table after another, so every trace in a
 * snapshot was live at the moment its table was copied.
 *
 * The frames. Stacks are captured from the allocation path itself; the
 * frames of the tracer and of cy_object_new are left out when a snapshot is
 * read, and nframes frames are kept from there (a constructor such as
 * cy_list_new is one of them). Grouping by file, line or site uses the
 * innermost kept frame outside the runtime's own sources (runtime/), so an
 * allocation made by a constructor is charged to its caller when the
 * caller's frame was captured; with nframes = 1 it is charged to the
 * constructor.
 *
 * Built only with libdw (CY_HAVE_LIBDW, found by ./configure); without it
 * cy_tracemalloc_start fails with a message saying so.
 */
#ifndef CY_TRACEMALLOC_H
#define CY_TRACEMALLOC_H

#include <stddef.h>
#include <stdint.h>

#include "atomics.h"
#include "object.h"

#define CY_TRACEMALLOC_MAX_FRAMES 64
#define CY_TRACEMALLOC_DEFAULT_LIMIT ((size_t)1 << 22)

/* Nonzero while tracing (atomic, relaxed): the allocation and release paths test it. */
extern int cy_tracemalloc_on;

CY_INLINE int cy_tracemalloc_is_tracing(void) { return cy_atomic_load_relaxed(&cy_tracemalloc_on); }

/* Is tracing compiled in (libdw was found)? */
int cy_tracemalloc_available(void);

/*
 * Start tracing with stacks of nframes frames (1..CY_TRACEMALLOC_MAX_FRAMES).
 * 0, or -1 with one line saying why in cy_tracemalloc_error(). Starting
 * while tracing changes the number of frames for new traces.
 */
int cy_tracemalloc_start(int nframes);
const char *cy_tracemalloc_error(void);
/* Stop tracing and forget every trace (tracemalloc.stop). */
void cy_tracemalloc_stop(void);
/* Forget every trace and reset the peak; tracing goes on (tracemalloc.clear_traces). */
void cy_tracemalloc_clear(void);
/* Frames per stack of the current or last tracing session. */
int cy_tracemalloc_frames(void);
/* Traces per thread, and distinct stacks per thread (see above); applies from the next trace on. */
void cy_tracemalloc_set_limit(size_t traces_per_thread);

/* Bytes of traced objects alive now, and the most there were since start, clear or reset_peak. */
void cy_tracemalloc_traced_memory(int64_t *current, int64_t *peak);
void cy_tracemalloc_reset_peak(void);
/* Allocations not traced because a table was full, since start or clear. */
int64_t cy_tracemalloc_dropped(void);

/*
 * The allocation path's hooks (object.c): o has just been created with a
 * block of size bytes; o's storage is about to be released. Called only
 * while cy_tracemalloc_is_tracing().
 */
void cy_tracemalloc_record(const cy_object *o, size_t size);
void cy_tracemalloc_forget(const cy_object *o);

/*
 * Where o was allocated, one frame a line, innermost first, as
 * "file:line function"; malloc'd, for the caller to free. NULL when o is
 * not traced (or memory ran out).
 */
char *cy_tracemalloc_object_traceback(const cy_object *o);

/* ---- snapshots (trace_snapshot.c) ---------------------------------------- */

typedef struct cy_tracemalloc_snapshot cy_tracemalloc_snapshot;

/*
 * A copy of every trace now; NULL when memory ran out. Free with
 * cy_tracemalloc_snapshot_free. Frames are named the first time a snapshot
 * is read (filter, statistics, compare), so those functions change the
 * snapshot: one thread at a time per snapshot.
 */
cy_tracemalloc_snapshot *cy_tracemalloc_take_snapshot(void);
void cy_tracemalloc_snapshot_free(cy_tracemalloc_snapshot *s);
/* Traces in the snapshot, and their bytes. */
size_t cy_tracemalloc_snapshot_count(const cy_tracemalloc_snapshot *s);
int64_t cy_tracemalloc_snapshot_size(const cy_tracemalloc_snapshot *s);

/*
 * A trace is kept by a filter list when it matches an inclusive filter (or
 * the list has none) and no exclusive one. A filter matches when every
 * criterion given matches: the file (fnmatch pattern, on the grouping frame
 * or, with all_frames, on any kept frame) and the type's name (exact).
 */
typedef struct cy_tracemalloc_filter {
	int inclusive;
	const char *file_pattern; /* NULL: any file */
	int all_frames;
	const char *type_name;    /* NULL: any type */
} cy_tracemalloc_filter;

/* A new snapshot with the traces the filters keep; NULL when memory ran out. */
cy_tracemalloc_snapshot *cy_tracemalloc_snapshot_filter(cy_tracemalloc_snapshot *s,
							const cy_tracemalloc_filter *filters, size_t count);

typedef enum cy_tracemalloc_key {
	CY_TRACE_BY_FILE,      /* "runtime/list.c" */
	CY_TRACE_BY_LINE,      /* "workloads/observers.c:118" */
	CY_TRACE_BY_SITE,      /* "observer_new (workloads/observers.c)" */
	CY_TRACE_BY_TRACEBACK, /* the kept frames, "file:line function" each, joined by newlines, innermost first */
	CY_TRACE_BY_TYPE,      /* "list" */
	CY_TRACE_KEY_COUNT,
} cy_tracemalloc_key;

const char *cy_tracemalloc_key_name(cy_tracemalloc_key key); /* "file", "line", "site", "traceback", "type" */
int cy_tracemalloc_key_parse(const char *name);                /* -1 if unknown */

/* One group: its key, size and count, and with a comparison the change from the old snapshot. */
typedef struct cy_tracemalloc_stat {
	char *key;
	int64_t size;
	int64_t count;
	int64_t size_diff;
	int64_t count_diff;
} cy_tracemalloc_stat;

typedef struct cy_tracemalloc_stats {
	size_t count;
	cy_tracemalloc_stat *items;
} cy_tracemalloc_stats;

/*
 * Snapshot.statistics(key): one group per key, biggest size first (then
 * count, then key). 0, or -1 when memory ran out.
 */
int cy_tracemalloc_statistics(cy_tracemalloc_snapshot *s, cy_tracemalloc_key key, cy_tracemalloc_stats *out);
/*
 * Snapshot.compare_to(old, key): every key in either snapshot, with new
 * size and count and their changes, biggest absolute size change first
 * (then size, absolute count change, count, key). 0 or -1 as above.
 */
int cy_tracemalloc_compare(cy_tracemalloc_snapshot *now, cy_tracemalloc_snapshot *old,
			   cy_tracemalloc_key key, cy_tracemalloc_stats *out);
void cy_tracemalloc_stats_release(cy_tracemalloc_stats *stats);

#endif
