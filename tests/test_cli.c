/*
 * test_cli.c: the cyclab command as a user meets it.
 *
 * Each test runs the built binary ($builddir/cyclab, found beside this
 * program's directory) with posix_spawn, its standard output and error in
 * temporary files, and checks the exit status and the text: every kind of
 * bad input is exit status 2 with exactly one line on stderr that names
 * what is valid and nothing on stdout; a good short run exits 0 and leaves
 * a complete JSON result (checked by a small validating parser below, which
 * also collects every key path so the schema's required keys can be
 * looked up) and no FILE.tmp beside it.
 *
 * The workload runs here are a few thousand operations: quick under the
 * sanitizers too. Not a benchmark.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/cyclab_binary.h"

extern char **environ;

static char cyclab_path[PATH_MAX];
static char scratch_dir[PATH_MAX];

typedef struct outcome {
	int status; /* exit status, or 128 + signal */
	char *out, *err;
} outcome;

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	size_t n;
	while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len - 1 == 0) {
			char *bigger = realloc(buf, cap * 2);
			if (!bigger) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	fclose(f);
	if (buf)
		buf[len] = '\0';
	return buf;
}

/* Run cyclab with the given arguments (NULL-terminated). */
static outcome run_cyclab(const char *first, ...)
{
	char *argv[64];
	int argc = 0;
	argv[argc++] = cyclab_path;
	va_list args;
	va_start(args, first);
	for (const char *a = first; a && argc < 63; a = va_arg(args, const char *))
		argv[argc++] = (char *)a;
	va_end(args);
	argv[argc] = NULL;

	char out_path[PATH_MAX + 16], err_path[PATH_MAX + 16];
	snprintf(out_path, sizeof out_path, "%s/stdout", scratch_dir);
	snprintf(err_path, sizeof err_path, "%s/stderr", scratch_dir);
	posix_spawn_file_actions_t actions;
	assert_int_equal(posix_spawn_file_actions_init(&actions), 0);
	posix_spawn_file_actions_addopen(&actions, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&actions, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	pid_t pid;
	int err = posix_spawn(&pid, cyclab_path, &actions, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	assert_int_equal(err, 0);
	int wstatus;
	while (waitpid(pid, &wstatus, 0) < 0)
		assert_int_equal(errno, EINTR);
	outcome o = {
		.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus),
		.out = slurp(out_path),
		.err = slurp(err_path),
	};
	assert_non_null(o.out);
	assert_non_null(o.err);
	return o;
}

static void outcome_free(outcome *o)
{
	free(o->out);
	free(o->err);
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Exit status 2, nothing on stdout, one line on stderr holding each of the needles. */
static void expect_refusal(outcome o, const char *needle1, const char *needle2)
{
	if (o.status != 2 || count_lines(o.err) != 1 || o.out[0] != '\0')
		fprintf(stderr, "status %d, stdout '%s', stderr '%s'\n", o.status, o.out, o.err);
	assert_int_equal(o.status, 2);
	assert_string_equal(o.out, "");
	assert_int_equal(count_lines(o.err), 1);
	assert_non_null(strstr(o.err, needle1));
	if (needle2)
		assert_non_null(strstr(o.err, needle2));
	outcome_free(&o);
}

/* ---- bad input ---------------------------------------------------------------------- */

static void unknown_workload(void **state)
{
	(void)state;
	expect_refusal(run_cyclab("run", "no-such-workload", NULL), "unknown workload 'no-such-workload'",
		"linked-cycles");
}

static void no_workload(void **state)
{
	(void)state;
	expect_refusal(run_cyclab("run", "--threads", "2", NULL), "no workload given", "linked-cycles");
}

static void unknown_option(void **state)
{
	(void)state;
	expect_refusal(run_cyclab("run", "linked-cycles", "--bogus", NULL), "unknown option '--bogus'", "--threads");
	expect_refusal(run_cyclab("run", "linked-cycles", "--rc", "refcount", NULL), "unknown --rc 'refcount'",
		"nonatomic, atomic, biased");
	expect_refusal(run_cyclab("run", "linked-cycles", "--gc=sometimes", NULL), "unknown --gc 'sometimes'",
		"off, stw, incremental, concurrent");
	expect_refusal(run_cyclab("run", "linked-cycles", "--alloc", "tcmalloc", NULL), "unknown --alloc 'tcmalloc'",
		"pool, malloc, mimalloc, jemalloc");
	expect_refusal(run_cyclab("run", "linked-cycles", "--threads", NULL), "--threads needs a value", NULL);
}

static void unknown_param_key(void **state)
{
	(void)state;
	expect_refusal(run_cyclab("run", "linked-cycles", "--param", "depth=3", NULL), "unknown parameter 'depth'",
		"length, live, live_size, payload");
	expect_refusal(run_cyclab("run", "linked-cycles", "--param", "length", NULL), "--param takes key=value",
		"length");
}

static void malformed_value(void **state)
{
	(void)state;
	expect_refusal(run_cyclab("run", "linked-cycles", "--param", "length=abc", NULL), "length=abc",
		"an integer in 1..1000");
	expect_refusal(run_cyclab("run", "linked-cycles", "--param=length=0", NULL), "length=0", "1..1000");
	expect_refusal(run_cyclab("run", "linked-cycles", "--param", "live=1.5", NULL), "live=1.5", "0..1");
	expect_refusal(run_cyclab("run", "linked-cycles", "--threads", "0", NULL), "--threads", "1..256");
	expect_refusal(run_cyclab("run", "linked-cycles", "--duration", "-1", NULL), "--duration", "not '-1'");
	expect_refusal(run_cyclab("run", "linked-cycles", "--ops", "12x", NULL), "--ops", "not '12x'");
	expect_refusal(run_cyclab("run", "linked-cycles", "--ops", "10", "--duration", "1", NULL), "not both", NULL);
}

static void malformed_threshold(void **state)
{
	(void)state;
	static const char *const bad[] = {"700,10", "700,10,10,10", "a,b,c", "700,,10", "-1,10,10", "700,10,", ""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect_refusal(run_cyclab("run", "linked-cycles", "--threshold", bad[i], NULL), "malformed --threshold",
			"A,B,C");
}

static void nonatomic_with_threads(void **state)
{
	(void)state;
	expect_refusal(run_cyclab("run", "linked-cycles", "--rc", "nonatomic", "--threads", "2", NULL),
		"--rc nonatomic allows one thread", "--rc atomic|biased");
}

static void unwritable_output(void **state)
{
	(void)state;
	expect_refusal(run_cyclab("run", "linked-cycles", "-o", "/nonexistent-directory/result.json", NULL),
		"cannot write", "writable directory");
	expect_refusal(run_cyclab("run", "linked-cycles", "-o", scratch_dir, NULL), "is a directory", NULL);
}

static void concurrent_unavailable(void **state)
{
	(void)state;
	/* Until the concurrent collector exists; then this run should succeed (change the test). */
	outcome o = run_cyclab("run", "linked-cycles", "--gc", "concurrent", "--ops", "100", "--quiet", NULL);
	if (o.status == 0) {
		outcome_free(&o);
		return;
	}
	expect_refusal(o, "concurrent collector is not available in this build", "--gc off, stw, incremental");
}

/* ---- help and list ------------------------------------------------------------------- */

static void list_and_help(void **state)
{
	(void)state;
	outcome o = run_cyclab("list", NULL);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.out, "linked-cycles"));
	outcome_free(&o);

	o = run_cyclab("run", "linked-cycles", "--help", NULL);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.out, "length"));
	assert_non_null(strstr(o.out, "(default 2; an integer in 1..1000)"));
	assert_non_null(strstr(o.out, "--threshold A,B,C"));
	assert_string_equal(o.err, "");
	outcome_free(&o);

	o = run_cyclab("run", "--help", NULL);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.out, "usage: cyclab run NAME"));
	outcome_free(&o);

	expect_refusal(run_cyclab("list", "extra", NULL), "takes no arguments", NULL);
}

/* ---- a good run and its JSON ----------------------------------------------------------- */

/*
 * A validating JSON parser (RFC 8259 syntax) that records the path of
 * every key it meets, "runs[].pauses.p50_us" style, for lookups.
 */
typedef struct json_parser {
	const char *p;
	char paths[4096][96];
	size_t path_count;
	int failed;
} json_parser;

static void skip_space(json_parser *j)
{
	while (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r')
		j->p++;
}

static int parse_value(json_parser *j, const char *path);

static int parse_string(json_parser *j, char *out, size_t len)
{
	if (*j->p != '"')
		return -1;
	j->p++;
	size_t n = 0;
	while (*j->p != '"') {
		unsigned char c = (unsigned char)*j->p;
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			j->p++;
			if (*j->p == 'u') {
				for (int k = 1; k <= 4; k++) {
					if (!strchr("0123456789abcdefABCDEF", j->p[k]) || !j->p[k])
						return -1;
				}
				j->p += 4;
			} else if (!strchr("\"\\/bfnrt", *j->p) || !*j->p) {
				return -1;
			}
		}
		if (out && n + 1 < len)
			out[n++] = (char)c;
		j->p++;
	}
	j->p++;
	if (out)
		out[n] = '\0';
	return 0;
}

static int parse_number(json_parser *j)
{
	const char *start = j->p;
	if (*j->p == '-')
		j->p++;
	if (*j->p == '0')
		j->p++;
	else if (*j->p >= '1' && *j->p <= '9')
		while (*j->p >= '0' && *j->p <= '9')
			j->p++;
	else
		return -1;
	if (*j->p == '.') {
		j->p++;
		if (!(*j->p >= '0' && *j->p <= '9'))
			return -1;
		while (*j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (*j->p == 'e' || *j->p == 'E') {
		j->p++;
		if (*j->p == '+' || *j->p == '-')
			j->p++;
		if (!(*j->p >= '0' && *j->p <= '9'))
			return -1;
		while (*j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	return j->p > start ? 0 : -1;
}

static void add_path(json_parser *j, const char *path)
{
	for (size_t i = 0; i < j->path_count; i++) {
		if (strcmp(j->paths[i], path) == 0)
			return;
	}
	if (j->path_count < sizeof j->paths / sizeof j->paths[0])
		snprintf(j->paths[j->path_count++], sizeof j->paths[0], "%s", path);
}

static int parse_value(json_parser *j, const char *path)
{
	skip_space(j);
	char sub[96];
	if (*j->p == '{') {
		j->p++;
		skip_space(j);
		if (*j->p == '}') {
			j->p++;
			return 0;
		}
		for (;;) {
			skip_space(j);
			char key[64];
			if (parse_string(j, key, sizeof key) != 0)
				return -1;
			snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", key);
			add_path(j, sub);
			skip_space(j);
			if (*j->p++ != ':')
				return -1;
			if (parse_value(j, sub) != 0)
				return -1;
			skip_space(j);
			if (*j->p == ',') {
				j->p++;
				continue;
			}
			if (*j->p++ != '}')
				return -1;
			return 0;
		}
	}
	if (*j->p == '[') {
		j->p++;
		snprintf(sub, sizeof sub, "%s[]", path);
		skip_space(j);
		if (*j->p == ']') {
			j->p++;
			return 0;
		}
		for (;;) {
			if (parse_value(j, sub) != 0)
				return -1;
			skip_space(j);
			if (*j->p == ',') {
				j->p++;
				continue;
			}
			if (*j->p++ != ']')
				return -1;
			return 0;
		}
	}
	if (*j->p == '"')
		return parse_string(j, NULL, 0);
	if (strncmp(j->p, "true", 4) == 0 || strncmp(j->p, "null", 4) == 0) {
		j->p += 4;
		return 0;
	}
	if (strncmp(j->p, "false", 5) == 0) {
		j->p += 5;
		return 0;
	}
	return parse_number(j);
}

static int has_path(const json_parser *j, const char *path)
{
	for (size_t i = 0; i < j->path_count; i++) {
		if (strcmp(j->paths[i], path) == 0)
			return 1;
	}
	return 0;
}

static void good_run_writes_json(void **state)
{
	(void)state;
	char result[PATH_MAX + 32], tmp[PATH_MAX + 48];
	snprintf(result, sizeof result, "%s/result.json", scratch_dir);
	snprintf(tmp, sizeof tmp, "%s.tmp", result);
	outcome o = run_cyclab("run", "linked-cycles", "--ops", "3000", "--repeat", "2", "--warmup", "0", "--threads",
		"2", "--param", "length=3", "--quiet", "-o", result, NULL);
	if (o.status != 0)
		fprintf(stderr, "status %d, stderr: %s\n", o.status, o.err);
	assert_int_equal(o.status, 0);
	assert_string_equal(o.out, "");
	assert_string_equal(o.err, "");
	outcome_free(&o);

	struct stat st;
	assert_int_not_equal(stat(tmp, &st), 0); /* no half-written file left behind */
	char *text = slurp(result);
	assert_non_null(text);
	json_parser *j = calloc(1, sizeof *j);
	assert_non_null(j);
	j->p = text;
	assert_int_equal(parse_value(j, ""), 0);
	skip_space(j);
	assert_int_equal(*j->p, '\0');
	assert_non_null(strstr(text, "\"schema\": \"cyclab-result/1\""));
	assert_non_null(strstr(text, "\"status\": \"ok\""));
	assert_non_null(strstr(text, "\"length\": 3"));

	static const char *const required[] = {
		"schema", "workload", "version", "config", "config.threads", "config.rc", "config.gc",
		"config.threshold", "config.pause_budget_us", "config.alloc", "config.duration_s", "config.ops",
		"config.seed", "config.warmup", "config.repeat", "config.params.length", "config.params.live",
		"machine.cpu_model", "machine.cpus_online", "machine.topology", "runs", "runs[].ops", "runs[].seconds",
		"runs[].ops_per_s", "runs[].pauses.count", "runs[].pauses.total_ms", "runs[].pauses.p50_us",
		"runs[].pauses.p90_us", "runs[].pauses.p99_us", "runs[].pauses.p999_us", "runs[].pauses.max_us",
		"runs[].pauses.mmu.1ms", "runs[].pauses.mmu.10ms", "runs[].pauses.mmu.100ms",
		"runs[].gc.collections", "runs[].gc.collected", "runs[].gc.uncollectable", "runs[].gc.phase_ms.mark",
		"runs[].rc.nonatomic_ops", "runs[].rc.atomic_ops", "runs[].rc.merges", "runs[].locks.acquisitions",
		"runs[].locks.contended", "runs[].locks.wait_ns", "runs[].memory.peak_rss_bytes",
		"runs[].memory.pool_bytes_mapped", "runs[].memory.live_objects_end", "runs[].leaked_objects",
		"runs[].metrics.kept_fraction", "runs[].series.time_s", "runs[].series.ops",
		"runs[].series.heap_bytes", "runs[].series.live_objects",
	};
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
		if (!has_path(j, required[i]))
			fprintf(stderr, "missing key %s\n", required[i]);
		assert_true(has_path(j, required[i]));
	}
	/* Two runs of exactly 3000 operations each, nothing leaked. */
	const char *p = text;
	int runs = 0;
	while ((p = strstr(p, "\"ops\": 3000,")) != NULL) {
		runs++;
		p++;
	}
	assert_int_equal(runs, 3); /* config.ops and each run's ops */
	runs = 0;
	for (p = text; (p = strstr(p, "\"leaked_objects\": 0,")) != NULL; p++)
		runs++;
	assert_int_equal(runs, 2);
	free(j);
	free(text);
	unlink(result);
}

int main(void)
{
	if (cy_test_find_cyclab(cyclab_path, sizeof cyclab_path) != 0) {
		fprintf(stderr, "test_cli: cannot find the cyclab binary beside the tests (%s)\n", cyclab_path);
		return 1;
	}
	if (cy_test_make_scratch(scratch_dir, sizeof scratch_dir, "test_cli") != 0) {
		fprintf(stderr, "test_cli: cannot make a scratch directory: %s\n", strerror(errno));
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unknown_workload),
		cmocka_unit_test(no_workload),
		cmocka_unit_test(unknown_option),
		cmocka_unit_test(unknown_param_key),
		cmocka_unit_test(malformed_value),
		cmocka_unit_test(malformed_threshold),
		cmocka_unit_test(nonatomic_with_threads),
		cmocka_unit_test(unwritable_output),
		cmocka_unit_test(concurrent_unavailable),
		cmocka_unit_test(list_and_help),
		cmocka_unit_test(good_run_writes_json),
	};
	int failed = cmocka_run_group_tests_name("test_cli", tests, NULL, NULL);
	char path[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/stdout", scratch_dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/stderr", scratch_dir);
	unlink(path);
	rmdir(scratch_dir);
	return failed;
}
