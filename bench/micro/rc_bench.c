/*
 * rc_bench.c: what one increment+decrement pair costs in each
 * reference-counting mode.
 *
 * Compiled once per mode (variant.h); each copy registers
 * rc_pair/CASE/MODE, where CASE is the object the pair works on:
 *
 *   private   created by the only thread that counts it (in biased mode,
 *             its owner: the plain-store path Choi et al. make common);
 *   shared    counted by 2 threads at once. Thread 0 created it, so in
 *             biased mode thread 0 is the owner and thread 1 takes the
 *             atomic path; both touch the same header line, which is the
 *             cost being measured. Each thread's CPU time per pair is
 *             reported as the counters threadN_ns_per_pair, and the share of
 *             its loop's wall-clock time it spent on a CPU as
 *             threadN_on_cpu: contention is only measured while both
 *             threads run at once, which an oversubscribed machine (below
 *             about 0.9) does not give. Not registered for nonatomic, which
 *             admits one mutator thread.
 *   immortal  a static object with the immortal count: the pair is two
 *             loads and compares, never a store (what PEP 683 buys).
 *   shared_deferred, shared_per_thread
 *             shared, 2 threads, but the object is published under the
 *             --shared-rc scheme of that name (runtime/shared_rc.h) and
 *             the pair is a stack reference taken and dropped
 *             (cy_stackref_take_in, cy_stackref_drop_in): deferred writes
 *             nothing, per-thread adds to the thread's own entry, so
 *             against `shared` these show what the schemes save on a
 *             header line two cores count at once. Teardown drops the
 *             object and collects, which alone frees a published object.
 *
 * The pair is cy_incref then cy_decref, the mode's inline fast paths as
 * every container uses them, event counters included when ./configure
 * leaves them on (the output's context says which). An empty asm that
 * claims to change the object pointer sits before each operation, so the
 * compiler cannot see that the decrement undoes the increment nor merge
 * successive pairs; it adds no instruction. Pairs run in batches of
 * PAIRS_PER_BATCH per call into the harness, since a call costs more than
 * the pair; each batch ends at a safepoint poll, as a workload's loop does.
 *
 * Each run starts from a clean runtime: setup (thread 0) initialises it in
 * this copy's mode, registers thread 0 and creates the object; other threads
 * register themselves; teardown drops the object, so a leak shows up as live
 * objects at exit (micro.c checks).
 *
 * Run-time selection against a hard-wired build. cyclab picks a mode's copy
 * of hot code through a table, once, at the outer loop (variant.h). micro_rc
 * does that: a run asks cy_rc_pair_loops[cy_rc_mode_running] for its loop,
 * one indirect call per run. micro_rc_hardwired is this same file compiled
 * with -DCY_RC_BENCH_HARDWIRED=1: a run calls its own copy's loop by name.
 * run-micro divides their medians benchmark by benchmark. What makes the
 * comparison fair:
 *  - the measured code is one function, the loop, with the same
 *    instructions at the same offsets in both programs (only the addresses
 *    it refers to differ; objdump shows it): same source, same flags, and
 *    noipa, so no caller's constants (a known object, a known mode) are
 *    inlined or cloned into it;
 *  - it starts on a 64-byte boundary in both programs, so its inner loop has
 *    the same offset within cache lines and fetch windows: moving a tiny loop
 *    by a few bytes can change its speed by more than the 3% under test;
 *  - both programs register the same benchmarks in the same order under the
 *    same names, and run-micro runs them with the same flags, one after the
 *    other, and compares medians of repetitions.
 * What remains different is the indirect call per run and code outside the
 * loop; what the check guards is that a run-time choice never leaks into the
 * loop (a mode test or a call per operation would show at once). The two
 * programs run at different times, and on a shared machine the speed of a
 * core drifts by more than 3% between them: run-micro reports the spread,
 * the ratio of the fastest repetitions, and can alternate the programs.
 */
#include <stdio.h>
#include <time.h>

#include "bench/micro/micro.h"
#include "collector/gc.h"
#include "runtime/runtime.h"
#include "runtime/shared_rc.h"
#include "runtime/variant.h"

enum { PAIRS_PER_BATCH = 1000 };

/* The measured loop: not inlined, cloned or specialised, and aligned alike in every program. */
#if defined(__clang__)
#define RC_BENCH_LOOP __attribute__((noinline, aligned(64)))
#else
#define RC_BENCH_LOOP __attribute__((noipa, aligned(64)))
#endif

/* The compiler must assume p changed here, so it forgets what p points at. */
#define rc_bench_opaque(p) __asm__ volatile("" : "+r"(p))

typedef enum rc_case_kind {
	RC_PRIVATE,
	RC_SHARED,
	RC_IMMORTAL,
	RC_STACKREF, /* published under `scheme`, counted by stack references */
} rc_case_kind;

typedef struct rc_case {
	const char *name;
	rc_case_kind kind;
	int threads;
	cy_shared_rc_scheme scheme;
	/* Written by setup (thread 0), read by every thread of the run after the setup gate. */
	cy_object *object;
} rc_case;

static rc_case rc_cases[] = {
	{.name = "private", .kind = RC_PRIVATE, .threads = 1},
	{.name = "shared", .kind = RC_SHARED, .threads = 2},
	{.name = "immortal", .kind = RC_IMMORTAL, .threads = 1},
	{.name = "shared_deferred", .kind = RC_STACKREF, .threads = 2, .scheme = CY_SHARED_RC_DEFERRED},
	{.name = "shared_per_thread", .kind = RC_STACKREF, .threads = 2, .scheme = CY_SHARED_RC_PER_THREAD},
};

static const cy_type rc_bench_type = {
	.name = "rc_bench_object",
	.basic_size = sizeof(cy_object),
};

/* Never written: the immortal count makes every increment and decrement a no-op. */
static cy_object rc_immortal_object = {
	.ob_ref_local = CY_REF_IMMORTAL,
	.ob_flags = CY_OBJ_STATIC,
	.ob_type = &rc_bench_type,
};

RC_BENCH_LOOP void CY_SYM(cy_rc_pair_loop)(cy_bench_state *state, cy_object *o)
{
	while (cy_bench_keep_running_batch(state, PAIRS_PER_BATCH)) {
		for (int i = 0; i < PAIRS_PER_BATCH; i++) {
			rc_bench_opaque(o);
			cy_incref(o);
			rc_bench_opaque(o);
			cy_decref(o);
		}
		cy_safepoint();
	}
}

/* The same batches of stack references, each batch ending at a safepoint (which a deferred one may not outlive). */
RC_BENCH_LOOP static void CY_SYM(cy_rc_stackref_loop)(cy_bench_state *state, cy_object *o)
{
	while (cy_bench_keep_running_batch(state, PAIRS_PER_BATCH)) {
		for (int i = 0; i < PAIRS_PER_BATCH; i++) {
			rc_bench_opaque(o);
			cy_stackref_take_in(CY_RC_MODE, o);
			rc_bench_opaque(o);
			cy_stackref_drop_in(CY_RC_MODE, o);
		}
		cy_safepoint();
	}
}

#if CY_RC_BENCH_HARDWIRED
/* Hard-wired: this copy's loop, called by name. */
static cy_rc_pair_loop_fn *rc_pair_loop_for_run(void) { return CY_SYM(cy_rc_pair_loop); }
#else
/* Run-time selected: the running mode picks the loop, as cyclab's workloads pick their copy. */
static cy_rc_pair_loop_fn *rc_pair_loop_for_run(void) { return cy_rc_pair_loops[cy_rc_mode_running]; }
#endif

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const char *rc_pair_setup(cy_bench_state *state, void *context)
{
	rc_case *c = context;
	int err = cy_runtime_init(CY_RC_MODE, CY_ALLOC_MALLOC);
	if (err != CY_RUNTIME_OK)
		return cy_runtime_strerror(err);
	if (cy_shared_rc_select(c->kind == RC_STACKREF ? c->scheme : CY_SHARED_RC_OFF) != 0)
		return "cannot select the --shared-rc scheme: the runtime is in use";
	err = cy_thread_register(CY_ROLE_MUTATOR);
	if (err != CY_THREAD_OK)
		return cy_thread_strerror(err);
	if (c->kind == RC_IMMORTAL) {
		c->object = &rc_immortal_object;
		return NULL;
	}
	c->object = cy_object_new(&rc_bench_type, 0);
	if (!c->object) {
		cy_thread_unregister();
		return "out of memory creating the benchmark's object";
	}
	if (c->kind == RC_STACKREF && !cy_shared_rc_publish(c->object)) {
		cy_decref(c->object);
		cy_thread_unregister();
		return "cannot publish the benchmark's object";
	}
	return NULL;
}

static void rc_pair_teardown(cy_bench_state *state, void *context)
{
	rc_case *c = context;
	if (c->kind != RC_IMMORTAL)
		cy_decref(c->object);
	if (c->kind == RC_STACKREF)
		cy_gc_collect(0); /* frees the published object */
	c->object = NULL;
	cy_thread_unregister();
	cy_shared_rc_select(CY_SHARED_RC_OFF);
}

static void rc_pair_run(cy_bench_state *state, void *context)
{
	rc_case *c = context;
	int thread = cy_bench_thread_index(state);
	/* Thread 0 was registered by setup; the others join the runtime here. */
	if (thread != 0) {
		int err = cy_thread_register(CY_ROLE_MUTATOR);
		if (err != CY_THREAD_OK) {
			cy_bench_skip_with_error(state, cy_thread_strerror(err));
			return;
		}
	}
	cy_rc_pair_loop_fn *loop = c->kind == RC_STACKREF ? CY_SYM(cy_rc_stackref_loop) : rc_pair_loop_for_run();
	uint64_t wall_start = cy_now_ns(), cpu_start = thread_cpu_ns();
	loop(state, c->object);
	uint64_t cpu_ns = thread_cpu_ns() - cpu_start, wall_ns = cy_now_ns() - wall_start;
	int64_t pairs = cy_bench_iterations(state);
	cy_bench_set_items_processed(state, pairs);
	if (c->threads > 1 && pairs > 0 && wall_ns > 0) {
		char key[32];
		snprintf(key, sizeof key, "thread%d_ns_per_pair", thread);
		cy_bench_set_counter(state, key, (double)cpu_ns / (double)pairs, CY_BENCH_COUNTER_SUM);
		snprintf(key, sizeof key, "thread%d_on_cpu", thread);
		cy_bench_set_counter(state, key, (double)cpu_ns / (double)wall_ns, CY_BENCH_COUNTER_SUM);
	}
	if (thread != 0)
		cy_thread_unregister();
}

int CY_SYM(cy_rc_bench_register)(void)
{
	for (size_t i = 0; i < sizeof rc_cases / sizeof rc_cases[0]; i++) {
		rc_case *c = &rc_cases[i];
		if (c->threads > 1 && CY_RC_MODE == CY_RC_NONATOMIC)
			continue; /* the runtime admits one mutator thread in nonatomic mode */
		char name[64];
		snprintf(name, sizeof name, "rc_pair/%s/%s", c->name, cy_rc_mode_name(CY_RC_MODE));
		cy_bench_def def = {
			.name = name,
			.run = rc_pair_run,
			.context = c,
			.setup = rc_pair_setup,
			.teardown = rc_pair_teardown,
			.threads = c->threads > 1 ? c->threads : 0,
		};
		if (cy_bench_register(&def) != 0)
			return -1;
	}
	return 0;
}
