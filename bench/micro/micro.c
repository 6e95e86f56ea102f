/*
 * micro.c: the micro-benchmark suite, registered and run as one.
 *
 * Per-mode benchmarks are registered through a table indexed by cy_rc_mode,
 * the same shape cyclab uses to pick a mode's copy of any hot code, and the
 * table of rc_pair loops here is what the run-time selected build of
 * rc_bench.c dispatches through. The build is recorded in the output's
 * context (version, counters, build kind, allocator), so a JSON file says
 * how its numbers were made. After the run no object may be live: each
 * benchmark's teardown releases what its setup made, and a leak would make
 * the next run's cy_runtime_init fail anyway.
 */
#include "bench/micro/micro.h"

#include <inttypes.h>
#include <stdio.h>

#include "bench/version.h"
#include "runtime/runtime.h"

cy_rc_pair_loop_fn *const cy_rc_pair_loops[CY_RC_MODE_COUNT] = {
	[CY_RC_NONATOMIC] = cy_rc_pair_loop_nonatomic,
	[CY_RC_ATOMIC] = cy_rc_pair_loop_atomic,
	[CY_RC_BIASED] = cy_rc_pair_loop_biased,
};

static int (*const rc_registrars[CY_RC_MODE_COUNT])(void) = {
	[CY_RC_NONATOMIC] = cy_rc_bench_register_nonatomic,
	[CY_RC_ATOMIC] = cy_rc_bench_register_atomic,
	[CY_RC_BIASED] = cy_rc_bench_register_biased,
};

int cy_micro_main(int argc, char **argv)
{
	const char *program = argc > 0 && argv[0] ? argv[0] : "cyclab micro";
	for (int mode = 0; mode < CY_RC_MODE_COUNT; mode++) {
		if (rc_registrars[mode]() != 0)
			return 1;
	}
	cy_bench_add_context("cyclab_version", CY_VERSION);
	cy_bench_add_context("cyclab_build", CY_BUILD_KIND);
	cy_bench_add_context("cyclab_rc_counters", CY_BUILD_COUNTERS);
	cy_bench_add_context("cyclab_allocator", cy_alloc_name(CY_ALLOC_MALLOC));
	int status = cy_bench_main(argc, argv);
	int64_t live = cy_objects_live();
	if (live != 0) {
		fprintf(stderr, "%s: %" PRId64 " objects still live after the benchmarks: one of them leaks\n", program,
			live);
		return 1;
	}
	return status;
}
