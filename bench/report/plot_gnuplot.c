/*
 * plot_gnuplot.c: figure files and the gnuplot runs behind them (plot_gnuplot.h).
 *
 * gnuplot runs once per figure, in the output directory, with the script's
 * name as its only argument, standard input from /dev/null and standard
 * error collected: on failure its last line goes into the message, on
 * success any warnings are passed on to our standard error. One process
 * per figure keeps a failure to its figure and the scripts independent.
 */
#include "bench/report/plot_gnuplot.h"
#include "bench/results/atomic_file.h"
#include "bench/results/input_file.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_GNUPLOT "/usr/bin/gnuplot"
#define FIGURE_SIZE "960,600"
/* Room for the output directory (4096), a name and a suffix. */
#define PATH_BUF (4096 + CY_GP_NAME_MAX + 32)

static const char *const figure_suffixes[] = {".svg", ".png", ".gp", ".dat"};

/* ---- running gnuplot ---------------------------------------------------------------- */

/*
 * Run gnuplot in dir with the given arguments; returns its exit status (127:
 * it could not be started, -1: no process), with its standard error in err.
 */
static int run_gnuplot(const cy_gp *gp, const char *dir, const char *const *args, char *err, size_t err_len)
{
	int pipe_fds[2];
	err[0] = '\0';
	if (pipe2(pipe_fds, O_CLOEXEC) != 0)
		return -1;
	char *argv[8];
	int argc = 0;
	argv[argc++] = (char *)gp->gnuplot;
	for (; args[argc - 1] && argc < 7; argc++)
		argv[argc] = (char *)args[argc - 1];
	argv[argc] = NULL;
	/*
	 * posix_spawn, not fork: the results read for a large suite fill a
	 * large heap, and a fork would copy its page tables and make every
	 * later write of ours fault, once per figure.
	 */
	posix_spawn_file_actions_t actions;
	if (posix_spawn_file_actions_init(&actions) != 0) {
		close(pipe_fds[0]);
		close(pipe_fds[1]);
		return -1;
	}
	int setup = posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	setup |= posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	setup |= posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
	if (dir)
		setup |= posix_spawn_file_actions_addchdir_np(&actions, dir);
	fflush(NULL);
	pid_t pid;
	int spawned = setup == 0 ? posix_spawn(&pid, gp->gnuplot, &actions, NULL, argv, environ) : -1;
	posix_spawn_file_actions_destroy(&actions);
	if (spawned != 0) {
		close(pipe_fds[0]);
		close(pipe_fds[1]);
		return spawned == ENOENT || spawned == EACCES || spawned == ENOEXEC ? 127 : -1;
	}
	close(pipe_fds[1]);
	size_t used = 0;
	char chunk[1024];
	ssize_t n;
	while ((n = read(pipe_fds[0], chunk, sizeof chunk)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		/* Keep the tail: the last lines say what went wrong. */
		for (ssize_t i = 0; i < n; i++) {
			if (used + 1 >= err_len) {
				memmove(err, err + err_len / 2, used - err_len / 2);
				used -= err_len / 2;
			}
			err[used++] = chunk[i];
		}
	}
	err[used] = '\0';
	close(pipe_fds[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The last non-empty line of text, without its newline, into line. */
static void last_line(const char *text, char *line, size_t len)
{
	const char *end = text + strlen(text);
	while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	const char *start = end;
	while (start > text && start[-1] != '\n')
		start--;
	snprintf(line, len, "%.*s", (int)(end - start), start);
}

/* Can gnuplot set this terminal? */
static int has_terminal(const cy_gp *gp, const char *terminal)
{
	char command[128], err[1024];
	snprintf(command, sizeof command, "set terminal %s", terminal);
	const char *args[] = {"-e", command, NULL};
	return run_gnuplot(gp, NULL, args, err, sizeof err) == 0;
}

/* ---- output files ------------------------------------------------------------------- */

static int path_in(const cy_gp *gp, char *buf, size_t len, const char *name, const char *suffix)
{
	return snprintf(buf, len, "%s/%s%s", gp->out_dir, name, suffix) < (int)len ? 0 : -1;
}

/* Remove what an earlier run's plots.tsv says it made or meant to make, so no stale figure outlives it. */
static void remove_previous(const cy_gp *gp)
{
	char path[PATH_BUF], line[2048];
	if (path_in(gp, path, sizeof path, "plots", ".tsv") != 0)
		return;
	char ignored[256];
	FILE *f = cy_input_open(path, "r", ignored, sizeof ignored);
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		char *name = strchr(line, '\t');
		if (!name)
			continue;
		name++;
		char *end = strchr(name, '\t');
		if (!end || end == name || (size_t)(end - name) >= CY_GP_NAME_MAX)
			continue;
		*end = '\0';
		if (strchr(name, '/') || name[0] == '.')
			continue;
		for (size_t i = 0; i < sizeof figure_suffixes / sizeof figure_suffixes[0]; i++) {
			if (path_in(gp, path, sizeof path, name, figure_suffixes[i]) == 0)
				unlink(path);
		}
	}
	fclose(f);
}

static int open_dir(cy_gp *gp, const char *out_dir, int clean, char *why, size_t len)
{
	memset(gp, 0, sizeof *gp);
	const char *gnuplot = getenv("CYCLAB_GNUPLOT");
	if (!gnuplot || !*gnuplot)
		gnuplot = DEFAULT_GNUPLOT;
	snprintf(gp->gnuplot, sizeof gp->gnuplot, "%s", gnuplot);
	if (snprintf(gp->out_dir, sizeof gp->out_dir, "%s", out_dir) >= (int)sizeof gp->out_dir) {
		snprintf(why, len, "output directory name too long");
		return -1;
	}
	if (access(gp->gnuplot, X_OK) != 0) {
		snprintf(why, len,
			"gnuplot not found at %s: %s (install Debian's gnuplot-nox, e.g. ./configure --install-deps, "
			"or set CYCLAB_GNUPLOT to a gnuplot)",
			gp->gnuplot, strerror(errno));
		return -1;
	}
	if (!has_terminal(gp, "svg")) {
		snprintf(why, len, "gnuplot at %s does not run or cannot write SVG (valid: gnuplot 5 with its svg terminal)",
			gp->gnuplot);
		return -1;
	}
	gp->png_terminal = has_terminal(gp, "pngcairo") ? "pngcairo" : has_terminal(gp, "png") ? "png" : NULL;
	if (!gp->png_terminal) {
		snprintf(why, len, "gnuplot at %s has neither the pngcairo nor the png terminal (install gnuplot-nox)",
			gp->gnuplot);
		return -1;
	}
	if (cy_make_directories(out_dir) != 0) {
		snprintf(why, len, "cannot create %s: %s (valid: -o DIR where a directory can be made)", out_dir,
			strerror(errno));
		return -1;
	}
	char probe[PATH_BUF];
	if (path_in(gp, probe, sizeof probe, "plots", ".tsv.tmp") != 0) {
		snprintf(why, len, "output directory name too long");
		return -1;
	}
	int fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(why, len, "cannot write in %s: %s (valid: -o DIR, a writable directory)", out_dir, strerror(errno));
		return -1;
	}
	close(fd);
	unlink(probe);
	if (clean)
		remove_previous(gp);
	return 0;
}

int cy_gp_open(cy_gp *gp, const char *out_dir, char *why, size_t len) { return open_dir(gp, out_dir, 1, why, len); }

int cy_gp_open_keeping(cy_gp *gp, const char *out_dir, char *why, size_t len)
{
	return open_dir(gp, out_dir, 0, why, len);
}

void cy_gp_close(cy_gp *gp)
{
	if (gp->script)
		fclose(gp->script);
	if (gp->data)
		fclose(gp->data);
	free(gp->entries);
	gp->entries = NULL;
	gp->script = gp->data = NULL;
	gp->count = 0;
}

static cy_gp_entry *add_entry(cy_gp *gp, int made, const char *name)
{
	cy_gp_entry *grown = realloc(gp->entries, (gp->count + 1) * sizeof *grown);
	if (!grown)
		return NULL;
	gp->entries = grown;
	cy_gp_entry *e = &gp->entries[gp->count++];
	memset(e, 0, sizeof *e);
	e->made = made;
	snprintf(e->name, sizeof e->name, "%s", name);
	return e;
}

/* Copy text with tabs, newlines and other control characters as spaces (for plots.tsv and titles). */
static void flatten(char *out, size_t len, const char *text)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)text; *p && n + 1 < len; p++)
		out[n++] = *p < 0x20 || *p == 0x7f ? ' ' : (char)*p;
	out[n] = '\0';
}

void cy_gp_skip(cy_gp *gp, const char *name, const char *fmt, ...)
{
	cy_gp_entry *e = add_entry(gp, 0, name);
	if (!e)
		return;
	char reason[CY_GP_TEXT_MAX];
	va_list args;
	va_start(args, fmt);
	vsnprintf(reason, sizeof reason, fmt, args);
	va_end(args);
	flatten(e->subtitle, sizeof e->subtitle, reason);
}

void cy_gp_quote(FILE *out, const char *text)
{
	putc('\'', out);
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p == '\'')
			fputs("''", out);
		else if (*p >= 0x20 && *p != 0x7f)
			putc(*p, out);
	}
	putc('\'', out);
}

void cy_gp_label(FILE *out, const char *text)
{
	putc('"', out);
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		putc(*p == '"' ? '\'' : *p < 0x20 || *p == '\\' ? ' ' : *p, out);
	putc('"', out);
}

void cy_gp_slanted_xtics(FILE *script, const char *first_label)
{
	/* At 30 degrees a label reaches cos(30) of its length left; a character is about 0.6 em wide. */
	int margin = (int)(0.75 * (double)strlen(first_label)) - 2;
	fputs("set xtics rotate by 30 right\n", script);
	if (margin > 10)
		fprintf(script, "set lmargin %d\n", margin);
}

/* A gnuplot double-quoted string (backslash escapes apply): for the two-line title. */
static void quote_escaped(FILE *out, const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p == '"' || *p == '\\')
			putc('\\', out);
		if (*p >= 0x20 && *p != 0x7f)
			putc(*p, out);
	}
}

/*
 * A subtitle in lines of at most SUBTITLE_LINE characters, broken at
 * spaces: the title is centred over the plot area, which the key outside
 * narrows, so one long line would run off the figure's left edge.
 */
enum { SUBTITLE_LINE = 72 };

static void quote_wrapped(FILE *out, const char *text)
{
	size_t len = strlen(text), start = 0;
	char line[SUBTITLE_LINE + 1];
	while (start < len) {
		size_t end = len;
		if (len - start > SUBTITLE_LINE) {
			end = start + SUBTITLE_LINE;
			while (end > start && text[end] != ' ')
				end--;
			if (end == start) /* one word longer than a line: break it */
				end = start + SUBTITLE_LINE;
		}
		memcpy(line, text + start, end - start);
		line[end - start] = '\0';
		if (start > 0)
			fputs("\\n", out);
		quote_escaped(out, line);
		start = end;
		while (start < len && text[start] == ' ')
			start++;
	}
}

static void unlink_figure_temps(const cy_gp *gp, const char *name)
{
	static const char *const temps[] = {".svg.tmp", ".png.tmp", ".gp.tmp", ".dat.tmp"};
	char path[PATH_BUF];
	for (size_t i = 0; i < sizeof temps / sizeof temps[0]; i++) {
		if (path_in(gp, path, sizeof path, name, temps[i]) == 0)
			unlink(path);
	}
}

int cy_gp_begin(cy_gp *gp, const char *name, const char *title, const char *subtitle, char *why, size_t len)
{
	char script_path[PATH_BUF], data_path[PATH_BUF], tmp[PATH_BUF + 8];
	cy_gp_entry *e = add_entry(gp, 1, name);
	if (!e || path_in(gp, script_path, sizeof script_path, name, ".gp") != 0 ||
		path_in(gp, data_path, sizeof data_path, name, ".dat") != 0) {
		snprintf(why, len, "out of memory or path too long for figure %s", name);
		return -1;
	}
	flatten(e->title, sizeof e->title, title);
	flatten(e->subtitle, sizeof e->subtitle, subtitle ? subtitle : "");
	snprintf(gp->data_name, sizeof gp->data_name, "%s.dat", name);
	/* Both through atomic_file.h: NAME.gp.tmp and NAME.dat.tmp, committed in cy_gp_end. */
	gp->script = cy_atomic_open(script_path, tmp, sizeof tmp, why, len);
	gp->data = gp->script ? cy_atomic_open(data_path, tmp, sizeof tmp, why, len) : NULL;
	if (!gp->script || !gp->data) {
		if (gp->script)
			fclose(gp->script);
		if (gp->data)
			fclose(gp->data);
		gp->script = gp->data = NULL;
		unlink_figure_temps(gp, name);
		return -1;
	}
	FILE *s = gp->script;
	if (!gp->table_data)
		fprintf(gp->data, "# %s.dat: the data of %s.gp (%s)\n", name, name, e->title);
	fprintf(s, "# %s.gp: %s\n", name, e->title);
	fprintf(s, "# Written by `cyclab plot`; the numbers are in %s.dat. Run `gnuplot %s.gp` here.\n", name, name);
	/* Dynamic: the SVG takes the width of whatever holds it (the report's page). */
	fprintf(s, "set terminal svg size " FIGURE_SIZE " dynamic noenhanced font 'sans,13' background '#ffffff'\n");
	fprintf(s, "set output '%s.svg.tmp'\n", name);
	fprintf(s, "set encoding utf8\n");
	fputs("set title \"", s);
	quote_escaped(s, e->title);
	if (e->subtitle[0]) {
		fputs("\\n", s);
		quote_wrapped(s, e->subtitle);
	}
	fputs("\"\n", s);
	fputs("set grid back lc rgb '#dddddd'\n", s);
	fputs("set border 3\nset tics nomirror\n", s);
	fputs("set key outside right top vertical Left reverse noenhanced box lc rgb '#bbbbbb'\n", s);
	fputs("set datafile missing 'NaN'\n", s);
	return 0;
}

/*
 * Does the figure at path end as a whole one does: an SVG with its closing
 * </svg> (then only blanks), a PNG with its IEND chunk?
 */
static int figure_is_whole(const char *path, int png)
{
	char ignored[256];
	size_t size;
	char *bytes = cy_input_read(path, CY_INPUT_MAX_BYTES, &size, ignored, sizeof ignored);
	if (!bytes)
		return 0;
	int whole;
	if (png) {
		static const unsigned char iend[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
		whole = size >= sizeof iend && memcmp(bytes + size - sizeof iend, iend, sizeof iend) == 0;
	} else {
		while (size > 0 && strchr(" \t\r\n", bytes[size - 1]) && bytes[size - 1])
			size--;
		whole = size >= 6 && memcmp(bytes + size - 6, "</svg>", 6) == 0;
	}
	free(bytes);
	return whole;
}

int cy_gp_end(cy_gp *gp, char *why, size_t len)
{
	cy_gp_entry *e = &gp->entries[gp->count - 1];
	const char *name = e->name;
	FILE *s = gp->script;
	fprintf(s, "\nset terminal %s size " FIGURE_SIZE " noenhanced font 'sans,10' background '#ffffff'\n",
		gp->png_terminal);
	fprintf(s, "set output '%s.png.tmp'\nreplot\nunset output\n", name);
	char from[PATH_BUF], to[PATH_BUF];
	FILE *files[2] = {s, gp->data};
	static const char *const written[] = {".gp", ".dat"};
	gp->script = gp->data = NULL;
	int failed = 0;
	for (size_t i = 0; i < 2; i++) {
		char tmp_suffix[16];
		snprintf(tmp_suffix, sizeof tmp_suffix, "%s.tmp", written[i]);
		path_in(gp, from, sizeof from, name, tmp_suffix);
		path_in(gp, to, sizeof to, name, written[i]);
		if (failed)
			fclose(files[i]);
		else
			failed = cy_atomic_commit(files[i], from, to, 0, why, len) != 0;
	}
	if (failed) {
		unlink_figure_temps(gp, name);
		return -1;
	}
	char script[CY_GP_NAME_MAX + 8], err[4096];
	snprintf(script, sizeof script, "%s.gp", name);
	const char *args[] = {script, NULL};
	int status = run_gnuplot(gp, gp->out_dir, args, err, sizeof err);
	if (status != 0) {
		char line[512];
		last_line(err, line, sizeof line);
		if (status == 127 || status < 0)
			snprintf(why, len, "cannot run gnuplot (%s) on %s/%s", gp->gnuplot, gp->out_dir, script);
		else
			snprintf(why, len, "gnuplot failed on %s/%s (exit status %d): %s", gp->out_dir, script, status,
				line[0] ? line : "no message");
		unlink_figure_temps(gp, name);
		return -1;
	}
	if (err[0])
		fprintf(stderr, "cyclab plot: gnuplot said, on %s:\n%s", script, err);
	static const char *const drawn[] = {".svg", ".png"};
	for (size_t i = 0; i < 2; i++) {
		char tmp_suffix[16];
		struct stat st;
		snprintf(tmp_suffix, sizeof tmp_suffix, "%s.tmp", drawn[i]);
		path_in(gp, from, sizeof from, name, tmp_suffix);
		path_in(gp, to, sizeof to, name, drawn[i]);
		if (stat(from, &st) != 0 || st.st_size == 0) {
			snprintf(why, len, "gnuplot wrote no %s for %s/%s", drawn[i] + 1, gp->out_dir, script);
			unlink_figure_temps(gp, name);
			return -1;
		}
		/* gnuplot may end 0 having lost the end of a file (a full disk): only a whole figure is kept. */
		if (!figure_is_whole(from, i == 1)) {
			snprintf(why, len, "gnuplot wrote a truncated %s for %s/%s (is the disk full?)", drawn[i] + 1,
				gp->out_dir, script);
			unlink_figure_temps(gp, name);
			return -1;
		}
		if (cy_atomic_adopt(from, to, why, len) != 0) {
			unlink_figure_temps(gp, name);
			return -1;
		}
	}
	return 0;
}

int cy_gp_write_manifest(cy_gp *gp, char *why, size_t len)
{
	char path[PATH_BUF], tmp[PATH_BUF];
	path_in(gp, path, sizeof path, "plots", ".tsv");
	path_in(gp, tmp, sizeof tmp, "plots", ".tsv.tmp");
	FILE *f = cy_atomic_open(path, tmp, sizeof tmp, why, len);
	if (!f)
		return -1;
	for (size_t i = 0; i < gp->count; i++) {
		const cy_gp_entry *e = &gp->entries[i];
		if (e->made)
			fprintf(f, "made\t%s\t%s\t%s\n", e->name, e->title, e->subtitle);
		else
			fprintf(f, "skipped\t%s\t%s\n", e->name, e->subtitle);
	}
	return cy_atomic_commit(f, tmp, path, 0, why, len);
}
