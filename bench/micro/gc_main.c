/*
 * gc_main.c: main() of micro_gc, the collector's micro-benchmarks in every
 * reference-counting mode.
 *
 * CYCLAB_GC_FULL_CYCLES=N,N,... replaces gc_full's sizes (numbers of
 * 2-node cycles, 1 to 10^8 each, at most CY_BENCH_MAX_LIST of them), for
 * curves such as bench/perf/full-collection-curve draws; anything else in
 * it is refused with one line and exit status 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/micro/gc_bench.h"
#include "runtime/runtime.h"

#define MAX_FULL_CYCLES 100000000

/* Parse text as a list of cycle counts into sizes; returns how many, 0 if it is not valid. */
static unsigned parse_full_cycles(const char *text, int64_t sizes[CY_BENCH_MAX_LIST])
{
	unsigned count = 0;
	const char *p = text;
	for (;;) {
		int64_t value = 0;
		const char *start = p;
		while (*p >= '0' && *p <= '9') {
			value = value * 10 + (*p - '0');
			if (value > MAX_FULL_CYCLES)
				return 0;
			p++;
		}
		if (p == start || value < 1 || count == CY_BENCH_MAX_LIST)
			return 0;
		sizes[count++] = value;
		if (*p == '\0')
			return count;
		if (*p != ',')
			return 0;
		p++;
	}
}

int main(int argc, char **argv)
{
	static int64_t full_cycles[CY_BENCH_MAX_LIST];
	const char *sizes = getenv("CYCLAB_GC_FULL_CYCLES");
	if (sizes) {
		unsigned count = parse_full_cycles(sizes, full_cycles);
		if (count == 0) {
			fprintf(stderr,
				"micro_gc: CYCLAB_GC_FULL_CYCLES=%s: not valid (valid: comma-separated numbers of cycles, "
				"1 to %d each, at most %d)\n",
				sizes, MAX_FULL_CYCLES, CY_BENCH_MAX_LIST);
			return 2;
		}
		cy_gc_bench_set_full_sizes(full_cycles, count);
	}
	int (*const register_mode[CY_RC_MODE_COUNT])(void) = {
		[CY_RC_NONATOMIC] = cy_gc_bench_register_nonatomic,
		[CY_RC_ATOMIC] = cy_gc_bench_register_atomic,
		[CY_RC_BIASED] = cy_gc_bench_register_biased,
	};
	for (int mode = 0; mode < CY_RC_MODE_COUNT; mode++) {
		if (register_mode[mode]() != 0)
			return 1;
	}
	cy_bench_add_context("cyclab_counters", CY_COUNTERS ? "on" : "off");
	int status = cy_bench_main(argc, argv);
	if (cy_objects_live() != 0) {
		fprintf(stderr, "micro_gc: %lld objects left alive\n", (long long)cy_objects_live());
		return 1;
	}
	return status;
}
