/*
 * input_file.c: open for reading only what is a regular file
 * (input_file.h).
 *
 * open(O_NONBLOCK) returns at once even on a FIFO that no one writes to;
 * fstat of that descriptor then says what was opened, and anything but a
 * regular file is closed unread. For a regular file O_NONBLOCK has no
 * effect on reads, but it is cleared all the same so that the stream
 * behaves as an ordinary blocking one.
 */
#include "bench/results/input_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *kind_of(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	return "not a plain file";
}

/* A descriptor open on the regular file at path, blocking; -1 with why. st receives its status. */
static int open_regular(const char *path, struct stat *st, char *why, size_t len)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(why, len, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, st) != 0) {
		snprintf(why, len, "%s: cannot open: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(why, len, "%s: not a regular file (%s; valid: a file)", path, kind_of(st->st_mode));
		close(fd);
		return -1;
	}
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
		snprintf(why, len, "%s: cannot open: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

char *cy_input_read(const char *path, size_t max_size, size_t *size, char *why, size_t len)
{
	struct stat st;
	int fd = open_regular(path, &st, why, len);
	if (fd < 0)
		return NULL;
	if ((uintmax_t)st.st_size > (uintmax_t)max_size) {
		snprintf(why, len, "%s: too large (%jd bytes; valid: up to %zu)", path, (intmax_t)st.st_size, max_size);
		close(fd);
		return NULL;
	}
	/* The size is a hint: a file that grows while it is read is read up to max_size. */
	size_t cap = (size_t)st.st_size + 1, used = 0;
	char *text = malloc(cap);
	if (!text)
		snprintf(why, len, "%s: out of memory", path);
	while (text) {
		if (used + 1 == cap) {
			size_t bigger_cap = cap * 2 > max_size + 1 ? max_size + 1 : cap * 2;
			char *bigger = bigger_cap > cap ? realloc(text, bigger_cap) : NULL;
			if (!bigger) {
				snprintf(why, len, "%s: %s", path,
					bigger_cap > cap ? "out of memory" : "grew too large while it was read");
				free(text);
				text = NULL;
				break;
			}
			text = bigger;
			cap = bigger_cap;
		}
		ssize_t n = read(fd, text + used, cap - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, len, "%s: cannot read: %s", path, strerror(errno));
			free(text);
			text = NULL;
			break;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	if (text) {
		text[used] = '\0';
		*size = used;
	}
	return text;
}

FILE *cy_input_open(const char *path, const char *mode, char *why, size_t len)
{
	struct stat st;
	int fd = open_regular(path, &st, why, len);
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, mode);
	if (!f) {
		snprintf(why, len, "%s: cannot open: %s", path, strerror(errno));
		close(fd);
	}
	return f;
}
