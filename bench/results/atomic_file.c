/*
 * atomic_file.c: write to a temporary beside the target, sync, rename
 * (atomic_file.h).
 *
 * Order matters: the data must be on the disk before the rename is, or a
 * crash could leave the new name pointing at an empty file; so fsync comes
 * before rename. errno is kept from the first call that failed, since
 * fclose and unlink may overwrite it.
 */
#include "bench/results/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

FILE *cy_atomic_open(const char *path, char *tmp, size_t tmp_len, char *why, size_t len)
{
	if (snprintf(tmp, tmp_len, "%s.tmp", path) >= (int)tmp_len) {
		snprintf(why, len, "output path too long: %.64s...", path);
		return NULL;
	}
	/*
	 * The rename would replace whatever PATH is: a device or a FIFO named as
	 * the output (-o /dev/full) is refused, not swapped for a plain file.
	 */
	struct stat target;
	if (lstat(path, &target) == 0 && !S_ISREG(target.st_mode) && !S_ISLNK(target.st_mode)) {
		snprintf(why, len, "cannot write %s: not a regular file (valid: a file to create or replace)", path);
		return NULL;
	}
	/*
	 * PATH.tmp is opened without waiting (O_NONBLOCK: a FIFO of that name
	 * would block an open for writing) and without following a link; if
	 * what is there is not a regular file it is removed and a fresh one
	 * created exclusively, so what is written goes to a plain file only.
	 */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		fd = -1;
		errno = ENXIO;
	}
	if (fd < 0 && (errno == ENXIO || errno == ELOOP || errno == EISDIR || errno == EEXIST)) {
		if (remove(tmp) == 0)
			fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	}
	int flags = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
	if (flags >= 0 && fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
		flags = -1;
	FILE *out = flags >= 0 ? fdopen(fd, "w") : NULL;
	if (!out) {
		snprintf(why, len, "cannot write %s: %s", tmp, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
	}
	return out;
}

int cy_atomic_commit(FILE *out, const char *tmp, const char *path, int failed, char *why, size_t len)
{
	errno = 0;
	failed |= fflush(out) != 0 || ferror(out) || fsync(fileno(out)) != 0;
	int saved = errno;
	failed |= fclose(out) != 0;
	if (!saved)
		saved = errno;
	if (failed || rename(tmp, path) != 0) {
		if (!failed)
			saved = errno;
		snprintf(why, len, "cannot write %s: %s", path, saved ? strerror(saved) : "write error");
		unlink(tmp);
		return -1;
	}
	return 0;
}

int cy_atomic_adopt(const char *tmp, const char *path, char *why, size_t len)
{
	int fd = open(tmp, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	int failed = fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || fsync(fd) != 0;
	int saved = failed ? errno : 0;
	if (fd >= 0)
		close(fd);
	if (failed || rename(tmp, path) != 0) {
		if (!failed)
			saved = errno;
		snprintf(why, len, "cannot write %s: %s", path, saved ? strerror(saved) : "not a regular file");
		unlink(tmp);
		return -1;
	}
	return 0;
}

int cy_atomic_write(const char *path, const void *bytes, size_t size, char *why, size_t len)
{
	char tmp[4096];
	FILE *out = cy_atomic_open(path, tmp, sizeof tmp, why, len);
	if (!out)
		return -1;
	int failed = size && fwrite(bytes, 1, size, out) != size;
	return cy_atomic_commit(out, tmp, path, failed, why, len);
}

int cy_make_directories(const char *path)
{
	char buf[4096];
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0777) != 0 && errno != EEXIST ? -1 : 0;
}
