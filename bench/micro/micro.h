/*
 * micro.h: the micro-benchmark suite, shared by the micro_* programs and by
 * `cyclab micro`.
 *
 * micro.c registers every benchmark (each mode's through a table indexed by
 * cy_rc_mode), records the build in the output's context and runs Google
 * Benchmark. The per-mode pieces below are defined once per mode by
 * rc_bench.c; the names carry the mode because this header is also read by
 * code compiled once.
 */
#ifndef CY_BENCH_MICRO_H
#define CY_BENCH_MICRO_H

#include "bench/micro/harness.h"
#include "runtime/object.h"
#include "runtime/refcount.h"

/*
 * Register the suite and run it with Google Benchmark's flags from argv
 * (argv[0] names the program in messages). Returns the exit status:
 * cy_bench_main's, or 1 if registration failed or objects were left live.
 */
int cy_micro_main(int argc, char **argv);

/* ---- reference counting: rc_bench.c, one copy per mode ------------------ */

/* Register one mode's rc_pair benchmarks. Returns 0, or -1 after a message. */
int cy_rc_bench_register_nonatomic(void);
int cy_rc_bench_register_atomic(void);
int cy_rc_bench_register_biased(void);

/* The measured loop: increment+decrement pairs on o while the harness says run. */
typedef void cy_rc_pair_loop_fn(cy_bench_state *state, cy_object *o);
void cy_rc_pair_loop_nonatomic(cy_bench_state *state, cy_object *o);
void cy_rc_pair_loop_atomic(cy_bench_state *state, cy_object *o);
void cy_rc_pair_loop_biased(cy_bench_state *state, cy_object *o);

/* Where the run-time selected build finds each mode's loop (defined in micro.c). */
extern cy_rc_pair_loop_fn *const cy_rc_pair_loops[CY_RC_MODE_COUNT];

#endif
