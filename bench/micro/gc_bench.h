/*
 * gc_bench.h: the collector's micro-benchmarks (gc_bench.c, one copy per
 * mode), run by the micro_gc program.
 */
#ifndef CY_BENCH_GC_BENCH_H
#define CY_BENCH_GC_BENCH_H

#include "bench/micro/harness.h"

int cy_gc_bench_register_nonatomic(void);
int cy_gc_bench_register_atomic(void);
int cy_gc_bench_register_biased(void);

#endif
