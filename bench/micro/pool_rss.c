/*
 * pool_rss.c: does memory go back? Allocate and free 1 GiB of small
 * objects in waves, then print the resident set size at the start, at its
 * peak, and at the end once the allocator has released what it can.
 *
 *   pool_rss [ALLOC...]     default: pool malloc mimalloc jemalloc
 *
 * Each allocator runs in a child process of its own (fork), so that one's
 * leftovers do not count against the next. A wave allocates objects of
 * pseudo-random sizes, 16..512 bytes, until 128 MiB have been requested,
 * then frees them in a shuffled order: the even-numbered half from the main
 * thread, the odd-numbered half from a second thread (so that the pools'
 * cross-thread frees have to come back too). The second thread runs from
 * before the start is read to after the waves. Eight waves make 1 GiB. Then
 * cy_alloc_release_memory() (for the pools: collect, unmap every empty
 * arena, decommit free pages) and the end RSS is read.
 *
 * The figure that says whether memory went back is the anonymous resident
 * set (RssAnon in /proc/self/status): the total (VmRSS) also counts the
 * pages of code that the waves ran for the first time (the allocator's slow
 * paths, libc's), a few hundred KiB that no allocator can give back; both
 * are printed. The peak is the largest RssAnon seen at the end of a wave's
 * allocations (and VmHWM for the total). The start is read after both
 * threads have allocated or freed once, so their fixed costs (stacks, the C
 * library's per-thread arena, the pools' heaps) are in it; the array of
 * object pointers is mmap'd apart and unmapped before the end is read, so
 * neither figure includes it (the peaks do). Target for the pools: the
 * anonymous end within 10% of its start. One summary line per allocator:
 *   RSS alloc=pool anon_start_kib=... anon_peak_kib=... anon_end_kib=... ...
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/alloc.h"
#include "runtime/pool.h"
#include "runtime/sysalloc.h"

#define WAVE_BYTES ((size_t)128 << 20)
#define WAVES 8
#define MAX_OBJECTS (WAVE_BYTES / 16)

typedef struct object_ref {
	void *p;
	size_t size;
} object_ref;

/* A "Name:   N kB" line of /proc/self/status, in KiB; -1 if missing. */
static long status_kib(const char *name)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t length = strlen(name);
	long value = -1;
	while (f && fgets(line, sizeof line, f)) {
		if (strncmp(line, name, length) == 0 && line[length] == ':') {
			value = strtol(line + length + 1, NULL, 10);
			break;
		}
	}
	if (f)
		fclose(f);
	return value;
}

static uint64_t next_random(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/*
 * The second thread lives through the whole run and frees the odd half of
 * each wave when asked, so that its stack and its C library arena are
 * resident before the start is read, like the main thread's.
 */
typedef struct helper {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	object_ref *objects;
	size_t count;   /* objects to free, odd indices; 0 when there is no work */
	int done, quit;
} helper;

static void *helper_main(void *arg)
{
	helper *h = arg;
	pthread_mutex_lock(&h->lock);
	for (;;) {
		while (!h->quit && h->done)
			pthread_cond_wait(&h->wake, &h->lock);
		if (h->quit)
			break;
		pthread_mutex_unlock(&h->lock);
		for (size_t i = 1; i < h->count; i += 2)
			cy_mem_free(h->objects[i].p, h->objects[i].size);
		pthread_mutex_lock(&h->lock);
		h->done = 1;
		pthread_cond_broadcast(&h->wake);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* Have the helper free the odd-numbered objects[1], objects[3]... while the caller frees the even ones. */
static void free_in_two_threads(helper *h, object_ref *objects, size_t count)
{
	pthread_mutex_lock(&h->lock);
	h->objects = objects;
	h->count = count;
	h->done = 0;
	pthread_cond_broadcast(&h->wake);
	pthread_mutex_unlock(&h->lock);
	for (size_t i = 0; i < count; i += 2)
		cy_mem_free(objects[i].p, objects[i].size);
	pthread_mutex_lock(&h->lock);
	while (!h->done)
		pthread_cond_wait(&h->wake, &h->lock);
	pthread_mutex_unlock(&h->lock);
}

static int run(cy_alloc_kind kind)
{
	if (cy_alloc_select(kind) != 0) {
		fprintf(stderr, "pool_rss: %s\n", cy_alloc_error());
		return 1;
	}
	object_ref *objects = mmap(NULL, MAX_OBJECTS * sizeof *objects, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (objects == MAP_FAILED) {
		perror("pool_rss: mmap");
		return 1;
	}
	static helper h = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, 1, 0};
	pthread_t helper_thread;
	if (pthread_create(&helper_thread, NULL, helper_main, &h) != 0) {
		fprintf(stderr, "pool_rss: pthread_create failed\n");
		return 1;
	}
	/* Warm up: both threads allocate or free once, so their fixed costs are in the start. */
	objects[0] = (object_ref){cy_mem_alloc(64), 64};
	objects[1] = (object_ref){cy_mem_alloc(64), 64};
	free_in_two_threads(&h, objects, 2);
	long start = status_kib("RssAnon"), start_total = status_kib("VmRSS"), peak = start;

	uint64_t x = 20261124;
	for (int wave = 0; wave < WAVES; wave++) {
		size_t count = 0, bytes = 0;
		while (bytes < WAVE_BYTES) {
			size_t size = 16 + (size_t)(next_random(&x) % 497);
			void *p = cy_mem_alloc(size);
			if (!p) {
				fprintf(stderr, "pool_rss: out of memory in wave %d\n", wave);
				return 1;
			}
			memset(p, 0x5a, size);
			objects[count++] = (object_ref){p, size};
			bytes += size;
		}
		long now = status_kib("RssAnon");
		peak = now > peak ? now : peak;
		for (size_t i = count; i > 1; i--) {
			size_t j = next_random(&x) % i;
			object_ref t = objects[i - 1];
			objects[i - 1] = objects[j];
			objects[j] = t;
		}
		free_in_two_threads(&h, objects, count);
	}
	pthread_mutex_lock(&h.lock);
	h.quit = 1;
	pthread_cond_broadcast(&h.wake);
	pthread_mutex_unlock(&h.lock);
	pthread_join(helper_thread, NULL);
	long peak_total = status_kib("VmHWM");
	munmap(objects, MAX_OBJECTS * sizeof *objects);
	cy_alloc_release_memory();
	long end = status_kib("RssAnon"), end_total = status_kib("VmRSS");
	printf("%-9s anonymous RSS: start %6ld KiB, peak %7ld KiB, end %6ld KiB, end/start %.3f"
	       "   (all RSS: start %6ld, peak %7ld, end %6ld KiB)\n",
	       cy_alloc_name(kind), start, peak, end, (double)end / (double)start, start_total, peak_total, end_total);
	printf("RSS alloc=%s anon_start_kib=%ld anon_peak_kib=%ld anon_end_kib=%ld anon_end_over_start=%.3f "
	       "rss_start_kib=%ld rss_peak_kib=%ld rss_end_kib=%ld\n",
	       cy_alloc_name(kind), start, peak, end, (double)end / (double)start, start_total, peak_total, end_total);
	if (kind == CY_ALLOC_POOL) {
		cy_pool_stats s;
		cy_pool_stats_get(&s);
		printf("POOL arenas_mapped=%lld arenas_returned=%lld pages_decommitted=%lld remote_frees=%lld\n",
		       (long long)s.arenas_mapped, (long long)s.arenas_returned, (long long)s.pages_decommitted,
		       (long long)s.remote_frees);
	}
	return 0;
}

int main(int argc, char **argv)
{
	cy_sysalloc_reserve_static_tls(argv);
	static const char *const defaults[] = {"pool", "malloc", "mimalloc", "jemalloc"};
	const char *const *names = argc > 1 ? (const char *const *)argv + 1 : defaults;
	int count = argc > 1 ? argc - 1 : 4;
	int status = 0;
	for (int i = 0; i < count; i++) {
		int kind = cy_alloc_parse(names[i]);
		if (kind < 0) {
			fprintf(stderr, "pool_rss: unknown allocator '%s' (pool, malloc, mimalloc, jemalloc)\n", names[i]);
			return 2;
		}
		fflush(stdout);
		pid_t child = fork();
		if (child < 0) {
			perror("pool_rss: fork");
			return 1;
		}
		if (child == 0) {
			int result = run((cy_alloc_kind)kind);
			fflush(stdout);
			_exit(result);
		}
		int child_status;
		if (waitpid(child, &child_status, 0) != child || !WIFEXITED(child_status) ||
		    WEXITSTATUS(child_status) != 0)
			status = 1;
	}
	return status;
}
