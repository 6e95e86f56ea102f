/*
 * sysalloc.h: mimalloc and jemalloc, loaded at run time for comparison.
 *
 * Debian's libmimalloc and libjemalloc both define malloc and free, so
 * linking either would replace the C library's allocator for the whole
 * process, cyclab's own malloc calls and glibc's comparison included.
 * cyclab never links them: --alloc mimalloc|jemalloc opens the library with
 * dlopen(RTLD_LOCAL), which keeps its symbols out of the global scope, and
 * calls its allocation functions through the pointers below. (configure
 * defines CY_HAVE_MIMALLOC / CY_HAVE_JEMALLOC when the packages are there.)
 *
 * Which functions: mimalloc's mi_malloc and mi_free; jemalloc's malloc and
 * sdallocx (its sized free, which skips the size lookup that free needs,
 * as cyclab's sized cy_mem_free lets every backend do). To give memory back
 * (cy_alloc_release_memory): mi_collect(true), and jemalloc's mallctl
 * "arena.<all>.purge".
 *
 * jemalloc's TLS uses the initial-exec model, so it fits only in the
 * surplus of static TLS that glibc reserves for dlopen, and that surplus is
 * 512 bytes unless the process started with
 * GLIBC_TUNABLES=glibc.rtld.optional_static_tls=N. A program that may
 * select jemalloc calls cy_sysalloc_reserve_static_tls(argv) first thing in
 * main: it re-executes the program once with the tunable set.
 */
#ifndef CY_SYSALLOC_H
#define CY_SYSALLOC_H

#include <stddef.h>

typedef struct cy_sysalloc_fns {
	void *(*malloc)(size_t size);
	void (*free)(void *p);                               /* mimalloc */
	void (*free_sized)(void *p, size_t size, int flags); /* jemalloc's sdallocx */
	void (*collect)(_Bool force);                        /* mimalloc's mi_collect */
	int (*mallctl)(const char *name, void *old, size_t *old_length, void *new_value, size_t new_length); /* jemalloc */
} cy_sysalloc_fns;

/* Filled by a successful cy_sysalloc_open_*; read-only afterwards. */
extern cy_sysalloc_fns cy_sys_mimalloc, cy_sys_jemalloc;

/* Load the library (once). Returns 0, or -1 with the reason in cy_sysalloc_error(). */
int cy_sysalloc_open_mimalloc(void);
int cy_sysalloc_open_jemalloc(void);
const char *cy_sysalloc_error(void);

/*
 * When this build can use jemalloc and the environment does not reserve
 * static TLS for it, re-execute the running program (/proc/self/exe) with
 * argv and GLIBC_TUNABLES extended. Returns only if no re-execution was
 * needed or it failed.
 */
void cy_sysalloc_reserve_static_tls(char **argv);

#endif
