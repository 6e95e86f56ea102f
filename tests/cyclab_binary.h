/*
 * cyclab_binary.h: for tests that run the built cyclab command (or another
 * program, such as Chromium): where cyclab is, a scratch directory for what
 * it writes, and running a program with its output captured and checked.
 *
 * A test program calls cy_test_cyclab_setup once, before its tests. Each
 * run then starts the child in a process group of its own, stdin from
 * /dev/null, stdout and stderr into SCRATCH/stdout and SCRATCH/stderr, and
 * reads both back whole when it has ended: so one child at a time. A child
 * that outlives its deadline is killed with everything it started, and so
 * is anything it leaves behind when it ends.
 *
 * The checks use cmocka's assertions: a failure fails the calling test.
 */
#ifndef CY_TEST_CYCLAB_BINARY_H
#define CY_TEST_CYCLAB_BINARY_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

/* How long a cyclab run may take before it is killed (the tests' runs take seconds). */
#define CY_TEST_CYCLAB_DEADLINE_S 120

/* How a child ended and everything it wrote. */
typedef struct cy_test_outcome {
	int status;      /* exit status; 128 + signal if a signal ended it; -1 if it ran past its deadline */
	int signal;      /* the signal that ended it, or 0 */
	char *out, *err; /* its standard output and error, NUL-terminated */
} cy_test_outcome;

/* A child's environment: this process's, changed. NULL where one is asked for: unchanged. */
typedef struct cy_test_env {
	const char *const *set;  /* "NAME=VALUE" strings, NULL-terminated: each replaces any inherited NAME */
	const char *drop_prefix; /* inherited variables whose names start with it are left out; NULL: none */
} cy_test_env;

/* ---- the binary and the scratch directory ------------------------------------------ */

/*
 * Find the cyclab binary beside the calling test program ($builddir/tests/X
 * -> $builddir/cyclab) and make the scratch directory $TMPDIR/NAME.XXXXXX
 * (or under /tmp). 0, or -1 after one line on stderr saying which failed.
 */
int cy_test_cyclab_setup(const char *name);

/* What cy_test_cyclab_setup found and made. */
const char *cy_test_cyclab_path(void);
const char *cy_test_scratch(void);

/* SCRATCH/name into out; fails the test if it does not fit. */
void cy_test_scratch_path(char *out, size_t size, const char *name);

/* A new directory $TMPDIR/NAME.XXXXXX (or under /tmp) into dir; 0 on success (for tests that run no binary). */
int cy_test_make_scratch(char *dir, size_t size, const char *name);

/* Remove path and, if it is a directory, everything below it; 0 on success. */
int cy_test_remove_tree(const char *path);

/* ---- running ----------------------------------------------------------------------- */

/* Start argv (argv[0] the program's path, NULL-terminated) as described above; fails the test if it cannot. */
pid_t cy_test_start(char *const argv[], const cy_test_env *env);

/* Wait for a started child up to deadline_s seconds, kill its process group, and collect its outcome. */
cy_test_outcome cy_test_finish(pid_t pid, int deadline_s);

/* cy_test_start, then cy_test_finish. */
cy_test_outcome cy_test_run(char *const argv[], const cy_test_env *env, int deadline_s);

/*
 * Run cyclab with the arguments from first on (NULL-terminated), in this
 * process's environment or in env, within CY_TEST_CYCLAB_DEADLINE_S.
 */
cy_test_outcome cy_test_run_cyclab(const char *first, ...) __attribute__((sentinel));
cy_test_outcome cy_test_run_cyclab_env(const cy_test_env *env, const char *first, ...) __attribute__((sentinel));
cy_test_outcome cy_test_run_cyclabv(const cy_test_env *env, const char *first, va_list args);

/* Start cyclab with the arguments from first on (NULL-terminated); finish it with cy_test_finish. */
pid_t cy_test_start_cyclab(const char *first, ...) __attribute__((sentinel));

void cy_test_outcome_free(cy_test_outcome *o);

/* ---- checking ---------------------------------------------------------------------- */

/* The child exited (no signal, no deadline) with status; else the test fails, showing what it wrote. */
void cy_test_expect_status(const cy_test_outcome *o, int status);

/*
 * Bad input refused: exit status 2, nothing on stdout, exactly one line on
 * stderr holding needle and other (unless NULL). Frees o.
 */
void cy_test_expect_refusal(cy_test_outcome o, const char *needle, const char *other);

/* ---- files and text ---------------------------------------------------------------- */

/* The whole file, NUL-terminated (its length into size, unless NULL), to free; NULL if it cannot be read. */
char *cy_test_slurp(const char *path, size_t *size);

/* Write text as the whole of path; fails the test if it cannot. */
void cy_test_write_text(const char *path, const char *text);

/* The newlines in text. */
size_t cy_test_count_lines(const char *text);

#endif
