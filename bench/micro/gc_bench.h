/*
 * gc_bench.h: the collector's micro-benchmarks (gc_bench.c, one copy per
 * mode), run by the micro_gc program.
 */
#ifndef CY_BENCH_GC_BENCH_H
#define CY_BENCH_GC_BENCH_H

#include "bench/micro/harness.h"

/*
 * The numbers of cycles gc_full runs with (each a separate benchmark), for
 * every mode registered after the call; the default is 10^4, 10^5 and 10^6.
 * At most CY_BENCH_MAX_LIST; the array must outlive registration.
 */
void cy_gc_bench_set_full_sizes(const int64_t *cycles, unsigned count);

int cy_gc_bench_register_nonatomic(void);
int cy_gc_bench_register_atomic(void);
int cy_gc_bench_register_biased(void);

#endif
