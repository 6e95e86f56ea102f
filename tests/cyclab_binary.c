/*
 * cyclab_binary.c: finding the built cyclab, a scratch directory, and
 * running programs from tests with their output captured
 * (cyclab_binary.h says what each promises).
 *
 * A child is waited for without being reaped (waitid with WNOWAIT) until it
 * ends or its deadline passes: while the leader is a zombie its process
 * group id cannot be reused, so killing the group afterwards reaches only
 * what the child started (Chromium's helpers, a gnuplot), never a stranger.
 */
#include "tests/cyclab_binary.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

extern char **environ;

static char cyclab_path[PATH_MAX];
static char scratch[PATH_MAX];

/* ---- the binary and the scratch directory ------------------------------------------ */

static int find_cyclab(char *path, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	/* Two levels up: drop the program's name, then its tests/ directory. */
	for (int level = 0; level < 2; level++) {
		char *slash = strrchr(self, '/');
		if (!slash)
			return -1;
		*slash = '\0';
	}
	if (snprintf(path, size, "%s/cyclab", self) >= (int)size)
		return -1;
	return access(path, X_OK);
}

int cy_test_make_scratch(char *dir, size_t size, const char *name)
{
	const char *base = getenv("TMPDIR");
	if (snprintf(dir, size, "%s/%s.XXXXXX", base && *base ? base : "/tmp", name) >= (int)size)
		return -1;
	return mkdtemp(dir) ? 0 : -1;
}

int cy_test_cyclab_setup(const char *name)
{
	if (find_cyclab(cyclab_path, sizeof cyclab_path) != 0) {
		fprintf(stderr, "%s: cannot find the cyclab binary beside the tests (%s)\n", name, cyclab_path);
		return -1;
	}
	if (cy_test_make_scratch(scratch, sizeof scratch, name) != 0) {
		fprintf(stderr, "%s: cannot make a scratch directory: %s\n", name, strerror(errno));
		return -1;
	}
	return 0;
}

const char *cy_test_cyclab_path(void) { return cyclab_path; }

const char *cy_test_scratch(void) { return scratch; }

void cy_test_scratch_path(char *out, size_t size, const char *name)
{
	assert_true(snprintf(out, size, "%s/%s", scratch, name) < (int)size);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

int cy_test_remove_tree(const char *path) { return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

/* ---- running ----------------------------------------------------------------------- */

/* Does the "NAME=VALUE" list set name the variable of assignment? */
static int sets_variable(const char *const *set, const char *assignment)
{
	for (; set && *set; set++) {
		size_t name = strcspn(*set, "=");
		if (strncmp(*set, assignment, name) == 0 && assignment[name] == '=')
			return 1;
	}
	return 0;
}

/* This process's environment changed as env says: an array to free (the strings are borrowed). */
static char **child_environment(const cy_test_env *env)
{
	const char *const *set = env ? env->set : NULL;
	const char *drop = env ? env->drop_prefix : NULL;
	size_t inherited = 0, added = 0;
	while (environ[inherited])
		inherited++;
	while (set && set[added])
		added++;
	char **envp = calloc(inherited + added + 1, sizeof *envp);
	assert_non_null(envp);
	size_t n = 0;
	for (size_t i = 0; i < inherited; i++) {
		if ((drop && strncmp(environ[i], drop, strlen(drop)) == 0) || sets_variable(set, environ[i]))
			continue;
		envp[n++] = environ[i];
	}
	for (size_t i = 0; i < added; i++)
		envp[n++] = (char *)set[i];
	return envp;
}

pid_t cy_test_start(char *const argv[], const cy_test_env *env)
{
	char out_path[PATH_MAX + 16], err_path[PATH_MAX + 16];
	cy_test_scratch_path(out_path, sizeof out_path, "stdout");
	cy_test_scratch_path(err_path, sizeof err_path, "stderr");
	posix_spawn_file_actions_t files;
	assert_int_equal(posix_spawn_file_actions_init(&files), 0);
	posix_spawn_file_actions_addopen(&files, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addopen(&files, STDERR_FILENO, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawnattr_t attr;
	assert_int_equal(posix_spawnattr_init(&attr), 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	char **envp = child_environment(env);
	pid_t pid;
	int err = posix_spawn(&pid, argv[0], &files, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&files);
	posix_spawnattr_destroy(&attr);
	free(envp);
	if (err != 0)
		fail_msg("cannot start %s: %s", argv[0], strerror(err));
	return pid;
}

cy_test_outcome cy_test_finish(pid_t pid, int deadline_s)
{
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	long pause_ns = 1000 * 1000; /* doubled up to 16 ms: quick runs are seen at once */
	int timed_out = 0;
	for (;;) {
		siginfo_t info = {0};
		if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0) {
			if (info.si_pid == pid)
				break;
		} else if (errno != EINTR) {
			fail_msg("cannot wait for child %d: %s", (int)pid, strerror(errno));
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= deadline_s) {
			timed_out = 1;
			break;
		}
		nanosleep(&(struct timespec){.tv_nsec = pause_ns}, NULL);
		if (pause_ns < 16 * 1000 * 1000)
			pause_ns *= 2;
	}
	kill(-pid, SIGKILL);
	int wstatus;
	while (waitpid(pid, &wstatus, 0) < 0)
		assert_int_equal(errno, EINTR);
	cy_test_outcome o = {.status = -1};
	if (!timed_out && WIFEXITED(wstatus)) {
		o.status = WEXITSTATUS(wstatus);
	} else if (!timed_out) {
		o.signal = WTERMSIG(wstatus);
		o.status = 128 + o.signal;
	}
	char path[PATH_MAX + 16];
	cy_test_scratch_path(path, sizeof path, "stdout");
	o.out = cy_test_slurp(path, NULL);
	cy_test_scratch_path(path, sizeof path, "stderr");
	o.err = cy_test_slurp(path, NULL);
	assert_non_null(o.out);
	assert_non_null(o.err);
	return o;
}

cy_test_outcome cy_test_run(char *const argv[], const cy_test_env *env, int deadline_s)
{
	return cy_test_finish(cy_test_start(argv, env), deadline_s);
}

#define ARGS_MAX 64

/* cyclab and the arguments from first on into argv (NULL-terminated); fails the test if they do not fit. */
static void cyclab_argv(char *argv[ARGS_MAX], const char *first, va_list args)
{
	int argc = 0;
	argv[argc++] = cyclab_path;
	for (const char *a = first; a; a = va_arg(args, const char *)) {
		if (argc == ARGS_MAX - 1)
			fail_msg("more than %d arguments for cyclab", ARGS_MAX - 2);
		argv[argc++] = (char *)a;
	}
	argv[argc] = NULL;
}

cy_test_outcome cy_test_run_cyclabv(const cy_test_env *env, const char *first, va_list args)
{
	char *argv[ARGS_MAX];
	cyclab_argv(argv, first, args);
	return cy_test_run(argv, env, CY_TEST_CYCLAB_DEADLINE_S);
}

cy_test_outcome cy_test_run_cyclab(const char *first, ...)
{
	va_list args;
	va_start(args, first);
	cy_test_outcome o = cy_test_run_cyclabv(NULL, first, args);
	va_end(args);
	return o;
}

cy_test_outcome cy_test_run_cyclab_env(const cy_test_env *env, const char *first, ...)
{
	va_list args;
	va_start(args, first);
	cy_test_outcome o = cy_test_run_cyclabv(env, first, args);
	va_end(args);
	return o;
}

pid_t cy_test_start_cyclab(const char *first, ...)
{
	char *argv[ARGS_MAX];
	va_list args;
	va_start(args, first);
	cyclab_argv(argv, first, args);
	va_end(args);
	return cy_test_start(argv, NULL);
}

void cy_test_outcome_free(cy_test_outcome *o)
{
	free(o->out);
	free(o->err);
	o->out = o->err = NULL;
}

/* ---- checking ---------------------------------------------------------------------- */

void cy_test_expect_status(const cy_test_outcome *o, int status)
{
	if (o->status != status || o->signal != 0)
		fail_msg("exit status %d (signal %d; -1: past its deadline), expected %d; stdout '%s', stderr '%s'",
			o->status, o->signal, status, o->out, o->err);
}

void cy_test_expect_refusal(cy_test_outcome o, const char *needle, const char *other)
{
	if (o.status != 2 || o.signal != 0 || o.out[0] != '\0' || cy_test_count_lines(o.err) != 1 ||
		!strstr(o.err, needle) || (other && !strstr(o.err, other)))
		fail_msg("expected exit 2, no output and one line on stderr with '%s'%s%s%s; got %d, stdout '%s', "
			 "stderr '%s'",
			needle, other ? " and '" : "", other ? other : "", other ? "'" : "", o.status, o.out, o.err);
	cy_test_outcome_free(&o);
}

/* ---- files and text ---------------------------------------------------------------- */

char *cy_test_slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	while (buf) {
		len += fread(buf + len, 1, cap - len - 1, f);
		if (len + 1 < cap)
			break; /* a short read: the end, or an error */
		char *bigger = realloc(buf, cap * 2);
		if (!bigger)
			free(buf);
		buf = bigger;
		cap *= 2;
	}
	int failed = ferror(f);
	fclose(f);
	if (!buf || failed) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	if (size)
		*size = len;
	return buf;
}

void cy_test_write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		fail_msg("cannot write %s: %s", path, strerror(errno));
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

size_t cy_test_count_lines(const char *text)
{
	size_t n = 0;
	for (; *text; text++)
		n += *text == '\n';
	return n;
}
