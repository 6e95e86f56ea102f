/*
 * sysalloc.c: opening mimalloc and jemalloc with dlopen (see sysalloc.h).
 *
 * Each library is opened once, under open_lock, and never closed. After
 * opening, the global "malloc" is looked up again and must be the one it
 * was before: RTLD_LOCAL guarantees it, and the check makes the guarantee
 * visible (test_pool checks it too).
 */
#include "sysalloc.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STATIC_TLS_TUNABLE "glibc.rtld.optional_static_tls"
#define STATIC_TLS_BYTES "16384"

cy_sysalloc_fns cy_sys_mimalloc, cy_sys_jemalloc;

static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static char error_text[512];

const char *cy_sysalloc_error(void) { return error_text; }

static __attribute__((format(printf, 1, 2))) int fail(const char *format, ...)
{
	va_list args;
	va_start(args, format);
	vsnprintf(error_text, sizeof error_text, format, args);
	va_end(args);
	return -1;
}

/* open_lock held. Open library and look up symbols (NULL-terminated); 0 or -1. */
static int open_library(const char *library, const char *const *names, void **out)
{
	void *malloc_before = dlsym(RTLD_DEFAULT, "malloc");
	void *handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		const char *why = dlerror();
		if (why && strstr(why, "static TLS"))
			return fail("cannot load %s: start the program with GLIBC_TUNABLES=" STATIC_TLS_TUNABLE
				    "=" STATIC_TLS_BYTES " (the library needs more static TLS than glibc reserves)",
				    why);
		return fail("cannot load %s", why);
	}
	if (dlsym(RTLD_DEFAULT, "malloc") != malloc_before)
		return fail("%s replaced the process's malloc when loaded; refusing to use it", library);
	for (unsigned i = 0; names[i]; i++) {
		out[i] = dlsym(handle, names[i]);
		if (!out[i])
			return fail("symbol %s missing from the allocator library", names[i]);
	}
	return 0;
}

int cy_sysalloc_open_mimalloc(void)
{
#ifdef CY_HAVE_MIMALLOC
	static int opened;
	pthread_mutex_lock(&open_lock);
	int result = 0;
	if (!opened) {
		static const char *const names[] = {"mi_malloc", "mi_free", "mi_collect", NULL};
		void *fns[3];
		result = open_library("libmimalloc.so.2", names, fns);
		if (result == 0) {
			cy_sys_mimalloc.malloc = (void *(*)(size_t))fns[0];
			cy_sys_mimalloc.free = (void (*)(void *))fns[1];
			cy_sys_mimalloc.collect = (void (*)(_Bool))fns[2];
			opened = 1;
		}
	}
	pthread_mutex_unlock(&open_lock);
	return result;
#else
	return fail("mimalloc is not available in this build: install the Debian package libmimalloc-dev and rerun "
		    "./configure");
#endif
}

int cy_sysalloc_open_jemalloc(void)
{
#ifdef CY_HAVE_JEMALLOC
	static int opened;
	pthread_mutex_lock(&open_lock);
	int result = 0;
	if (!opened) {
		static const char *const names[] = {"malloc", "sdallocx", "mallctl", NULL};
		void *fns[3];
		result = open_library("libjemalloc.so.2", names, fns);
		if (result == 0) {
			cy_sys_jemalloc.malloc = (void *(*)(size_t))fns[0];
			cy_sys_jemalloc.free_sized = (void (*)(void *, size_t, int))fns[1];
			cy_sys_jemalloc.mallctl = (int (*)(const char *, void *, size_t *, void *, size_t))fns[2];
			opened = 1;
		}
	}
	pthread_mutex_unlock(&open_lock);
	return result;
#else
	return fail("jemalloc is not available in this build: install the Debian package libjemalloc-dev and rerun "
		    "./configure");
#endif
}

void cy_sysalloc_reserve_static_tls(char **argv)
{
#ifdef CY_HAVE_JEMALLOC
	const char *tunables = getenv("GLIBC_TUNABLES");
	if (tunables && strstr(tunables, STATIC_TLS_TUNABLE))
		return;
	char value[1024];
	int n = snprintf(value, sizeof value, "%s%s" STATIC_TLS_TUNABLE "=" STATIC_TLS_BYTES, tunables ? tunables : "",
			 tunables && *tunables ? ":" : "");
	if (n < 0 || (size_t)n >= sizeof value || setenv("GLIBC_TUNABLES", value, 1) != 0)
		return;
	execv("/proc/self/exe", argv);
	/* Could not re-execute: carry on; selecting jemalloc will say what to do. */
#else
	(void)argv;
#endif
}
