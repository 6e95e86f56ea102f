/*
 * gc_main.c: main() of micro_gc, the collector's micro-benchmarks in every
 * reference-counting mode.
 */
#include <stdio.h>

#include "bench/micro/gc_bench.h"
#include "runtime/runtime.h"

int main(int argc, char **argv)
{
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
