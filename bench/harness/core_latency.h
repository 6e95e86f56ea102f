/*
 * core_latency.h: how long a cache line takes to go from one core to
 * another and back, measured when a result is made.
 *
 * Every cost that threads share (a contended count, a lock word, a hash
 * table bucket) is paid in such transfers, and on a virtual machine their
 * price is not a property of the CPU model: it depends on where the host
 * placed the virtual CPUs at that moment (here it has been seen to move
 * between 85 and 375 ns within an hour, and 2-thread throughput of a
 * shared cache with it). So each result records the round trip it was
 * measured under, beside the topology fingerprint, and `cyclab compare`
 * warns when two results differ in it.
 */
#ifndef CY_BENCH_CORE_LATENCY_H
#define CY_BENCH_CORE_LATENCY_H

typedef struct cy_core_round_trip {
	int cpus[2];     /* the two CPUs (OS numbering) the line went between */
	double median_ns; /* median over the batches of one round trip; 0: not measured */
	int batches;      /* batches measured */
} cy_core_round_trip;

/*
 * Ping-pong one cache line between a thread pinned to cpu_a (the caller,
 * pinned for the duration and then given its affinity back) and one pinned
 * to cpu_b, in batches of round trips; give up after about 100 ms (a
 * partner descheduled by the host) with whatever batches completed.
 * Returns 0 with out filled, -1 if nothing could be measured (a CPU not
 * allowed, a thread not created, no batch completed).
 */
int cy_core_round_trip_measure(int cpu_a, int cpu_b, cy_core_round_trip *out);

#endif
