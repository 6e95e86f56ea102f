/*
 * suite_cell.c: a suite cell made explicit: every knob on its command line,
 * an identity made of those knobs, its result's file name, and the command
 * `--list` prints for it.
 *
 * A cell read from a suite file names only the knobs the file lists; the
 * rest come from the defaults and from the CYCLAB_* variables of the shell
 * that runs the suite. Resolving a cell fixes them all, once, the way
 * `cyclab run` would (defaults, then the environment, then the file's
 * words, which win) and writes the outcome back as words that name every
 * knob and every parameter of the workload, in the knobs table's order.
 * Those words are what runs in process, what `--list` prints and what the
 * result records, so a listed command means the same in any shell: the
 * environment of the shell that ran it cannot change a knob the command
 * line already sets.
 *
 * Invariants:
 *   - explicit_words holds NAME followed by --knob VALUE for each knob of
 *     the table (--duration or --ops, whichever the run uses) and then
 *     --param KEY=VALUE for each parameter of the workload, in the order of
 *     its spec: two cells with the same knobs have the same words, whatever
 *     the order of the lines and blocks of the file they came from;
 *   - id is a 64-bit FNV-1a hash of those words (each followed by a NUL),
 *     so it identifies the cell by its knobs and not by its position; the
 *     result's file name carries it, and a cell whose file is present in
 *     the directory is complete;
 *   - config is exactly what the explicit words give `cyclab run`.
 */
#include "bench/suite/suite.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bench/harness/run_internal.h"

/* One knob's value as `cyclab run` reads it back, or 0 when the knob is not used (duration of a counted run). */
static int format_knob(const cy_run_config *c, cy_run_knob knob, char *out, size_t len)
{
	switch (knob) {
	case CY_KNOB_THREADS: snprintf(out, len, "%u", c->threads); return 1;
	case CY_KNOB_RC: snprintf(out, len, "%s", cy_rc_mode_name(c->rc)); return 1;
	case CY_KNOB_SHARED_RC:
		/* Off is left out, so cells made before the knob keep their ids. */
		if (c->shared_rc == CY_SHARED_RC_OFF)
			return 0;
		snprintf(out, len, "%s", cy_shared_rc_name(c->shared_rc));
		return 1;
	case CY_KNOB_GC: snprintf(out, len, "%s", cy_gc_mode_name(c->gc)); return 1;
	case CY_KNOB_THRESHOLD:
		snprintf(out, len, "%" PRId64 ",%" PRId64 ",%" PRId64, c->threshold[0], c->threshold[1], c->threshold[2]);
		return 1;
	case CY_KNOB_PAUSE_BUDGET_US: snprintf(out, len, "%" PRId64, c->pause_budget_us); return 1;
	case CY_KNOB_ALLOC: snprintf(out, len, "%s", cy_alloc_name(c->alloc)); return 1;
	case CY_KNOB_DURATION:
		if (c->ops > 0)
			return 0;
		/* The shortest text that reads back as the same double. */
		for (int digits = 6; digits <= 17; digits++) {
			snprintf(out, len, "%.*g", digits, c->duration_s);
			if (strtod(out, NULL) == c->duration_s)
				break;
		}
		return 1;
	case CY_KNOB_OPS:
		if (c->ops <= 0)
			return 0;
		snprintf(out, len, "%" PRId64, c->ops);
		return 1;
	case CY_KNOB_SEED: snprintf(out, len, "%" PRIu64, c->seed); return 1;
	case CY_KNOB_WARMUP: snprintf(out, len, "%u", c->warmup); return 1;
	case CY_KNOB_REPEAT: snprintf(out, len, "%u", c->repeat); return 1;
	case CY_KNOB_SAMPLE_MS: snprintf(out, len, "%u", c->sample_interval_ms); return 1;
	case CY_KNOB_PIN: snprintf(out, len, "%s", cy_pin_policy_name(c->pin)); return 1;
	case CY_KNOB_COUNT: break;
	}
	return 0;
}

/* The option of the table that sets knob. */
static const char *knob_option(cy_run_knob knob)
{
	for (size_t k = 0; k < cy_run_option_count; k++) {
		if (cy_run_options[k].knob == (int)knob)
			return cy_run_options[k].name;
	}
	return NULL;
}

static void free_words(char **words, int count)
{
	for (int i = 0; i < count; i++)
		free(words[i]);
	free(words);
}

/* NAME, every knob, every parameter, from config; -1 without memory. */
static int explicit_words(const cy_run_config *c, char ***out, int *count)
{
	const cy_workload_def *w = c->workload;
	int cap = 1 + 2 * CY_KNOB_COUNT + 2 * (int)w->param_count, n = 0;
	char **words = calloc((size_t)cap, sizeof *words);
	if (!words || !(words[n++] = strdup(w->name)))
		goto oom;
	for (int k = 0; k < CY_KNOB_COUNT; k++) {
		char value[96];
		const char *option = knob_option((cy_run_knob)k);
		if (!option || !format_knob(c, (cy_run_knob)k, value, sizeof value))
			continue;
		if (!(words[n++] = strdup(option)) || !(words[n++] = strdup(value)))
			goto oom;
	}
	for (size_t p = 0; p < w->param_count; p++) {
		char text[160];
		snprintf(text, sizeof text, "%s=%s", w->params[p].name, c->param_text[p]);
		if (!(words[n++] = strdup("--param")) || !(words[n++] = strdup(text)))
			goto oom;
	}
	*out = words;
	*count = n;
	return 0;
oom:
	free_words(words, cap);
	return -1;
}

static uint64_t hash_words(char **words, int count)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (int i = 0; i < count; i++) {
		for (const unsigned char *s = (const unsigned char *)words[i];; s++) {
			h = (h ^ *s) * 0x100000001b3u;
			if (!*s)
				break;
		}
	}
	return h;
}

int cy_suite_is_param_variable(const char *var, const cy_workload_def *w)
{
	if (strncmp(var, "CYCLAB_PARAM_", 13) != 0)
		return 0;
	size_t n = strcspn(var, "=");
	for (size_t p = 0; p < w->param_count; p++) {
		const char *key = w->params[p].name;
		size_t k = strlen(key), i = 0;
		if (n != 13 + k)
			continue;
		while (i < k && toupper((unsigned char)key[i]) == var[13 + i])
			i++;
		if (i == k)
			return 1;
	}
	return 0;
}

/* Is var (NAME=VALUE) a CYCLAB_ knob variable, or a CYCLAB_PARAM_ variable of workload w? */
static int applies_to(const char *var, const cy_workload_def *w)
{
	size_t n = strcspn(var, "=");
	if (strncmp(var, "CYCLAB_PARAM_", 13) == 0)
		return cy_suite_is_param_variable(var, w);
	if (strncmp(var, "CYCLAB_", 7) != 0)
		return 0;
	for (size_t k = 0; k < cy_run_option_count; k++) {
		const run_option *o = &cy_run_options[k];
		if (o->knob == NOT_A_KNOB)
			continue;
		const char *name = o->name;
		while (*name == '-')
			name++;
		size_t len = strlen(name), i = 0;
		if (n != 7 + len)
			continue;
		while (i < len && (name[i] == '-' ? '_' : toupper((unsigned char)name[i])) == var[7 + i])
			i++;
		if (i == len)
			return 1;
	}
	return 0;
}

/*
 * Resolve cell under env (only the variables that apply to its workload:
 * the whole environment was checked once before). 0; 1 when the runner
 * refuses the combination (why says, with the variables that took part);
 * 2 when a variable's value is refused for this workload (printed, as
 * `cyclab run` prints it); -1 without memory.
 */
static int resolve_cell(cy_suite_cell *cell, char *const *env, char *why, size_t len)
{
	const cy_workload_def *w = cell->config.workload;
	size_t n = 0;
	while (env[n])
		n++;
	char **mine = calloc(n + 1, sizeof *mine);
	if (!mine)
		return -1;
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		if (applies_to(env[i], w))
			mine[used++] = env[i];
	}
	cy_run_config c;
	cy_run_config_init(&c, w);
	int refused = cy_run_apply_environment(&c, mine, "cyclab suite") != 0;
	free(mine);
	if (refused)
		return 2;
	int err = 0;
	for (int i = 1; i + 1 < cell->word_count && !err; i += 2) {
		const char *name = cell->words[i], *value = cell->words[i + 1];
		if (strcmp(name, "--param") == 0) {
			char key[64];
			size_t k = strcspn(value, "=");
			snprintf(key, sizeof key, "%.*s", (int)k, value);
			err = value[k] != '=' || cy_run_set_param(&c, key, value + k + 1, why, len) != 0;
		} else {
			err = cy_run_apply_option(&c, name, value, why, len) != 0;
		}
	}
	if (!err && cy_run_validate(&c, why, len) != 0) {
		char from[256];
		cy_run_describe_environment(&c, from, sizeof from);
		snprintf(why + strlen(why), len - strlen(why), "%s", from);
		err = 1;
	}
	if (err)
		return 1;
	char **words;
	int count;
	if (explicit_words(&c, &words, &count) != 0)
		return -1;
	free_words(cell->explicit_words, cell->explicit_count);
	cell->explicit_words = words;
	cell->explicit_count = count;
	cell->id = hash_words(words, count);
	cell->config = c;
	/* A choice parameter points into its own config's text: aim it at the copy. */
	for (size_t k = 0; k < CY_WORKLOAD_MAX_PARAMS; k++) {
		if (cell->config.param_choices[k])
			cell->config.param_choices[k] = cell->config.param_text[k];
	}
	return 0;
}

static int compare_ids(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

void cy_suite_cell_free(cy_suite_cell *cell)
{
	free_words(cell->words, cell->word_count);
	free_words(cell->explicit_words, cell->explicit_count);
	cell->words = cell->explicit_words = NULL;
	cell->word_count = cell->explicit_count = 0;
}

int cy_suite_resolve(cy_suite *suite, char *const *env, char *why, size_t len)
{
	size_t kept = 0;
	for (size_t i = 0; i < suite->count; i++) {
		cy_suite_cell *cell = &suite->cells[i];
		char reason[600] = "";
		int r = resolve_cell(cell, env, reason, sizeof reason);
		if (r < 0) {
			snprintf(why, len, "out of memory resolving cell %zu", i);
			return -1;
		}
		if (r == 2) {
			snprintf(why, len, "the environment is refused (the line above says why)");
			return -2;
		}
		if (r == 1) {
			if (!suite->skip_reason[0])
				snprintf(suite->skip_reason, sizeof suite->skip_reason, "%.500s", reason);
			suite->skipped++;
			cy_suite_cell_free(cell);
			continue;
		}
		if (kept != i)
			suite->cells[kept] = *cell;
		suite->cells[kept].index = kept;
		kept++;
	}
	suite->count = kept;
	for (size_t i = 0; i < kept; i++) {
		cy_run_config *c = &suite->cells[i].config;
		for (size_t k = 0; k < CY_WORKLOAD_MAX_PARAMS; k++) {
			if (c->param_choices[k])
				c->param_choices[k] = c->param_text[k];
		}
	}
	/* Two cells with the same knobs would share a result file: a suite lists each cell once. */
	uint64_t *ids = malloc((kept ? kept : 1) * sizeof *ids);
	if (!ids) {
		snprintf(why, len, "out of memory checking %zu cells", kept);
		return -1;
	}
	for (size_t i = 0; i < kept; i++)
		ids[i] = suite->cells[i].id;
	qsort(ids, kept, sizeof *ids, compare_ids);
	for (size_t i = 1; i < kept; i++) {
		if (ids[i] != ids[i - 1])
			continue;
		for (size_t k = 0; k < kept; k++) {
			if (suite->cells[k].id == ids[i]) {
				snprintf(why, len, "the cell %s is listed twice, with the same knobs (valid: each cell once)",
					suite->cells[k].slug);
				break;
			}
		}
		free(ids);
		return -1;
	}
	free(ids);
	if (suite->count == 0) {
		snprintf(why, len, "every combination is refused by the runner: %s", suite->skip_reason);
		return -1;
	}
	return 0;
}

void cy_suite_cell_file(const cy_suite_cell *cell, char *out, size_t len)
{
	snprintf(out, len, "cell-%012" PRIx64 "-%s.json", cell->id >> 16, cell->slug);
}

int cy_suite_cell_file_id(const char *name, uint64_t *id)
{
	if (strncmp(name, "cell-", 5) != 0)
		return -1;
	uint64_t v = 0;
	for (int i = 0; i < 12; i++) {
		char c = name[5 + i];
		int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (digit < 0)
			return -1;
		v = v << 4 | (uint64_t)digit;
	}
	size_t n = strlen(name);
	if (name[17] != '-' || n < 23 || strcmp(name + n - 5, ".json") != 0)
		return -1;
	*id = v;
	return 0;
}

uint64_t cy_suite_cell_short_id(const cy_suite_cell *cell)
{
	return cell->id >> 16;
}

/* A word for a POSIX shell: quoted unless plainly safe. */
static void print_word(FILE *out, const char *word)
{
	if (*word && strspn(word, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,=/:+") ==
			     strlen(word)) {
		fputs(word, out);
		return;
	}
	fputc('\'', out);
	for (const char *s = word; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", out);
		else
			fputc(*s, out);
	}
	fputc('\'', out);
}

char *cy_suite_shell_words(int count, char *const *words)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (!out)
		return NULL;
	for (int k = 0; k < count; k++) {
		if (k)
			fputc(' ', out);
		print_word(out, words[k]);
	}
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

char *cy_suite_cell_command(const cy_suite_cell *cell, const char *program, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (!out)
		return NULL;
	print_word(out, program);
	fputs(" run", out);
	for (int k = 0; k < cell->explicit_count; k++) {
		fputc(' ', out);
		print_word(out, cell->explicit_words[k]);
	}
	fputs(" --quiet -o ", out);
	print_word(out, path);
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

int cy_suite_print_list(FILE *out, const cy_suite *suite, const unsigned char *done, const char *program,
	const char *dir, unsigned shard, unsigned shards)
{
	for (size_t i = 0; i < suite->count; i++) {
		if (!cy_suite_in_shard(i, shard, shards) || (done && done[i]))
			continue;
		const cy_suite_cell *cell = &suite->cells[i];
		char name[160], path[4300];
		cy_suite_cell_file(cell, name, sizeof name);
		snprintf(path, sizeof path, "%s/%s", dir, name);
		char *command = cy_suite_cell_command(cell, program, path);
		if (!command)
			return -1;
		fprintf(out, "%s\n", command);
		free(command);
	}
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
