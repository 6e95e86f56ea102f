/*
 * plot_parse.c: JSON files read and parsed by a few threads (plot_parse.h).
 *
 * Threads take the next file index from one atomic counter, so a slow file
 * holds up only its own thread. jansson's hash seed is fixed before any
 * thread starts (its lazy initialisation is the one shared state a parse
 * touches). A thread that cannot be started leaves its share to the
 * others: the calling thread always parses too, so every file is parsed
 * even when no thread starts.
 */
#include "bench/report/plot_parse.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_THREADS 8

/* The whole of a regular file, NUL-terminated, to free; NULL with why. */
static char *read_whole(const char *path, size_t *size, struct stat *st, char *why, size_t len)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, len, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		snprintf(why, len, "%s: not a regular file (valid: cyclab-result/1 results, Google Benchmark JSON)", path);
		close(fd);
		return NULL;
	}
	size_t capacity = (size_t)st->st_size + 1, used = 0;
	char *text = malloc(capacity);
	while (text) {
		if (used + 1 >= capacity) { /* the file grew since fstat */
			char *grown = realloc(text, capacity * 2);
			if (!grown) {
				free(text);
				text = NULL;
				break;
			}
			text = grown;
			capacity *= 2;
		}
		ssize_t n = read(fd, text + used, capacity - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, len, "cannot read %s: %s", path, strerror(errno));
			free(text);
			close(fd);
			return NULL;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	if (!text) {
		snprintf(why, len, "out of memory reading %s", path);
		return NULL;
	}
	text[used] = '\0';
	*size = used;
	return text;
}

static void parse_one(const char *path, cy_parsed_file *slot)
{
	size_t size;
	slot->root = NULL;
	slot->error[0] = '\0';
	char *text = read_whole(path, &size, &slot->st, slot->error, sizeof slot->error);
	if (!text)
		return;
	json_error_t error;
	slot->root = json_loadb(text, size, 0, &error);
	free(text);
	if (!slot->root)
		snprintf(slot->error, sizeof slot->error,
			"%s:%d:%d: not valid JSON: %s (valid: cyclab-result/1 results, Google Benchmark JSON)", path,
			error.line, error.column, error.text);
}

typedef struct batch {
	void (*trim)(json_t *root);
	char *const *paths;
	cy_parsed_file *out;
	size_t count;
	atomic_size_t next;
} batch;

static void *parse_share(void *arg)
{
	batch *b = arg;
	for (size_t i; (i = atomic_fetch_add(&b->next, 1)) < b->count;) {
		parse_one(b->paths[i], &b->out[i]);
		if (b->out[i].root && b->trim)
			b->trim(b->out[i].root);
	}
	return NULL;
}

int cy_parse_files(char *const *paths, size_t n, cy_parsed_file *out, void (*trim)(json_t *root))
{
	json_object_seed(0);
	batch b = {.trim = trim, .paths = paths, .out = out, .count = n};
	atomic_init(&b.next, 0);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t helpers = cpus > 1 ? (size_t)cpus - 1 : 0;
	if (helpers > MAX_THREADS - 1)
		helpers = MAX_THREADS - 1;
	if (helpers + 1 > n)
		helpers = n > 0 ? n - 1 : 0;
	pthread_t threads[MAX_THREADS];
	size_t started = 0;
	for (; started < helpers; started++) {
		if (pthread_create(&threads[started], NULL, parse_share, &b) != 0)
			break;
	}
	parse_share(&b);
	for (size_t t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	return 0;
}
