/*
 * suite_order.c: the order in which a suite's measured repetitions run, and
 * the record that lets an interrupted interleaved run continue its order.
 *
 * A schedule lists every measured repetition once, as the number of its
 * cell. Two orders draw it:
 *   - interleaved (the default): an unbiased Fisher-Yates shuffle driven by
 *     splitmix64 from a seed, so that slow drift of the machine (a core's
 *     clock, a neighbour's load, a filling page cache) spreads over every
 *     cell instead of passing for a difference between the configurations
 *     that ran early and those that ran late. Google Benchmark's random
 *     interleaving and pyperf's worker processes answer the same problem;
 *     here the unit is one repetition of a cell. A seed names one order on
 *     every machine;
 *   - sequential: each cell's repetitions together, cell after cell.
 * The runner (bench/suite/suite_run.c) takes either: the order is its only
 * difference.
 *
 * The record, DIR/order.txt (order-I-of-N.txt for a shard), keeps the seed
 * and the ids of the cells the schedule was drawn over, in that order:
 *
 *     cyclab-suite-order/1
 *     seed 1234
 *     cell 0123456789ab
 *     ...
 *
 * The same seed over the same cells in the same order draws the same
 * schedule, so a run resumed after a signal draws it again and continues
 * from where it stopped (the repetitions of cells already complete are
 * passed over). The record is written through a temporary and a rename,
 * as every file cyclab writes.
 */
#include "bench/harness/value_parse.h"
#include "bench/suite/suite.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bench/results/atomic_file.h"

#define ORDER_FORMAT "cyclab-suite-order/1"

/* splitmix64 (Steele, Lea, Flood 2014): every seed, 0 included, gives a good stream. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* Uniform in 0..bound-1 (bound > 0), by rejection: no modulo bias. */
static uint64_t random_below(uint64_t *state, uint64_t bound)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
	uint64_t x;
	do
		x = next_random(state);
	while (x >= limit);
	return x % bound;
}

static size_t fill_in_turn(const unsigned *counts, size_t count, size_t *out)
{
	size_t n = 0;
	for (size_t cell = 0; cell < count; cell++) {
		for (unsigned k = 0; k < counts[cell]; k++)
			out[n++] = cell;
	}
	return n;
}

void cy_suite_shuffle_schedule(const unsigned *counts, size_t count, uint64_t seed, size_t *out)
{
	size_t n = fill_in_turn(counts, count, out);
	uint64_t state = seed;
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)random_below(&state, i);
		size_t t = out[i - 1];
		out[i - 1] = out[j];
		out[j] = t;
	}
}

void cy_suite_draw_schedule(cy_suite_order order, const unsigned *counts, size_t count, uint64_t seed,
	size_t *out)
{
	if (order == CY_SUITE_INTERLEAVED)
		cy_suite_shuffle_schedule(counts, count, seed, out);
	else
		fill_in_turn(counts, count, out);
}

int cy_suite_parse_seed(const char *text, uint64_t *seed, char *why, size_t len)
{
	return cy_value_uint64("--seed", text, seed, why, len);
}

void cy_suite_order_file(const char *dir, unsigned shard, unsigned shards, char *out, size_t len)
{
	if (shards == 1)
		snprintf(out, len, "%s/order.txt", dir);
	else
		snprintf(out, len, "%s/order-%u-of-%u.txt", dir, shard, shards);
}

void cy_suite_order_free(cy_suite_order_record *record)
{
	free(record->ids);
	record->ids = NULL;
	record->count = 0;
}

int cy_suite_order_read(const char *path, cy_suite_order_record *record, char *why, size_t len)
{
	memset(record, 0, sizeof *record);
	FILE *in = fopen(path, "r");
	if (!in) {
		if (errno == ENOENT)
			return 1;
		snprintf(why, len, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	char line[128];
	size_t cap = 0;
	int ok = fgets(line, sizeof line, in) && strcmp(line, ORDER_FORMAT "\n") == 0;
	char *end;
	if (ok && fgets(line, sizeof line, in) && strncmp(line, "seed ", 5) == 0) {
		errno = 0;
		record->seed = strtoull(line + 5, &end, 10);
		ok = !errno && end != line + 5 && *end == '\n';
	} else {
		ok = 0;
	}
	while (ok && fgets(line, sizeof line, in)) {
		uint64_t id;
		if (strncmp(line, "cell ", 5) != 0 || strlen(line) != 18 || line[17] != '\n') {
			ok = 0;
			break;
		}
		errno = 0;
		id = strtoull(line + 5, &end, 16);
		if (errno || end != line + 17) {
			ok = 0;
			break;
		}
		if (record->count == cap) {
			cap = cap ? 2 * cap : 64;
			uint64_t *bigger = realloc(record->ids, cap * sizeof *bigger);
			if (!bigger) {
				ok = 0;
				break;
			}
			record->ids = bigger;
		}
		record->ids[record->count++] = id;
	}
	ok = ok && !ferror(in);
	fclose(in);
	if (!ok) {
		cy_suite_order_free(record);
		snprintf(why, len, "%s is not a suite order record (%s, then seed N and a line per cell); remove it to "
				   "draw a new order",
			path, ORDER_FORMAT);
		return -1;
	}
	return 0;
}

int cy_suite_order_write(const char *path, const cy_suite_order_record *record, char *why, size_t len)
{
	char tmp[4400];
	FILE *out = cy_atomic_open(path, tmp, sizeof tmp, why, len);
	if (!out)
		return -1;
	int failed = fprintf(out, "%s\nseed %" PRIu64 "\n", ORDER_FORMAT, record->seed) < 0;
	for (size_t i = 0; i < record->count && !failed; i++)
		failed = fprintf(out, "cell %012" PRIx64 "\n", record->ids[i]) < 0;
	return cy_atomic_commit(out, tmp, path, failed, why, len);
}
