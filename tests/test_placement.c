/*
 * test_placement.c: thread placement, the machine's allowed CPUs and
 * fingerprint, and the topology XML export (bench/harness/placement.c,
 * bench/harness/machine.c).
 *
 * Orders are checked exactly on synthetic hwloc topologies, where compact
 * and scatter differ (two packages, cache groups, hardware threads), and
 * against the process's own affinity on the real machine, so the tests
 * hold on any machine: on this one (1 package, 2 cores, 2 PUs) 3 and 5
 * threads oversubscribe. Binding is checked from real threads: each binds
 * itself, and sched_getcpu must then name the planned PU. Tests that
 * narrow the process's affinity restore it before they return.
 */
#include <errno.h>
#include <hwloc.h>
#include <jansson.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "bench/harness/machine.h"
#include "bench/harness/placement.h"
#include "bench/results/json_writer.h"
#include "tests/cyclab_binary.h"

static char scratch[1024];

/* ---- helpers ------------------------------------------------------------------ */

/* The CPUs this thread may run on, ascending, into cpus; returns how many. */
static unsigned allowed_cpus(int *cpus, unsigned max)
{
	cpu_set_t set;
	assert_int_equal(sched_getaffinity(0, sizeof set, &set), 0);
	unsigned n = 0;
	for (int cpu = 0; cpu < CPU_SETSIZE && n < max; cpu++) {
		if (CPU_ISSET(cpu, &set))
			cpus[n++] = cpu;
	}
	return n;
}

static cy_placement *plan_or_fail(cy_pin_policy policy, unsigned threads)
{
	char err[256] = "";
	cy_placement *p = cy_placement_plan(policy, threads, err, sizeof err);
	if (!p)
		fail_msg("plan %s x%u failed: %s", cy_pin_policy_name(policy), threads, err);
	return p;
}

static cy_placement *synthetic_or_fail(const char *description, const char *allowed, cy_pin_policy policy,
                                       unsigned threads)
{
	char err[256] = "";
	cy_placement *p = cy_placement_plan_synthetic(description, allowed, policy, threads, err, sizeof err);
	if (!p)
		fail_msg("synthetic plan \"%s\" failed: %s", description, err);
	return p;
}

/* The plan's PUs must be exactly `expected`, thread by thread. */
static void expect_order(const cy_placement *p, const int *expected, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (cy_placement_planned_pu(p, i) != expected[i])
			fail_msg("thread %u: planned PU %d, expected %d", i, cy_placement_planned_pu(p, i), expected[i]);
	}
}

/* The placement written as a one-member object and parsed back; its "placement" member. */
static json_t *placement_json(const cy_placement *p, json_t **document)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	assert_non_null(out);
	cy_json w;
	cy_json_init(&w, out);
	cy_json_begin_object(&w, NULL);
	cy_placement_write_json(p, &w);
	cy_json_end_object(&w);
	assert_int_equal(w.failed, 0);
	assert_int_equal(fclose(out), 0);
	json_error_t error;
	*document = json_loadb(text, size, 0, &error);
	if (!*document)
		fail_msg("not JSON (%s): %s", error.text, text);
	free(text);
	json_t *placement = json_object_get(*document, "placement");
	assert_true(json_is_object(placement));
	return placement;
}

static json_t *thread_entry(json_t *placement, unsigned index)
{
	json_t *threads = json_object_get(placement, "threads");
	assert_true(json_is_array(threads));
	json_t *entry = json_array_get(threads, index);
	assert_true(json_is_object(entry));
	return entry;
}

/* ---- policies ----------------------------------------------------------------- */

static void policies_parse(void **state)
{
	static const struct { const char *text; cy_pin_policy policy; } good[] = {
		{"none", CY_PIN_NONE}, {"compact", CY_PIN_COMPACT}, {"scatter", CY_PIN_SCATTER},
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		cy_pin_policy policy = (cy_pin_policy)99;
		assert_int_equal(cy_pin_policy_parse(good[i].text, &policy), 0);
		assert_int_equal(policy, good[i].policy);
		assert_string_equal(cy_pin_policy_name(policy), good[i].text);
	}
	static const char *const bad[] = {"", "Compact", "spread", "compact ", "nonee", "1"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cy_pin_policy policy = CY_PIN_SCATTER;
		assert_int_equal(cy_pin_policy_parse(bad[i], &policy), -1);
		assert_int_equal(policy, CY_PIN_SCATTER);
	}
	cy_pin_policy policy = CY_PIN_COMPACT;
	assert_int_equal(cy_pin_policy_parse(NULL, &policy), -1);
	assert_int_equal(policy, CY_PIN_COMPACT);
}

static void bad_plans_are_refused(void **state)
{
	char err[256] = "";
	assert_null(cy_placement_plan(CY_PIN_COMPACT, 0, err, sizeof err));
	assert_non_null(strstr(err, "1 to"));
	err[0] = '\0';
	assert_null(cy_placement_plan_synthetic("pack:two", NULL, CY_PIN_COMPACT, 2, err, sizeof err));
	assert_non_null(strstr(err, "pack:two"));
	err[0] = '\0';
	assert_null(cy_placement_plan_synthetic("pack:2 pu:2", "zero", CY_PIN_COMPACT, 2, err, sizeof err));
	assert_non_null(strstr(err, "zero"));
	err[0] = '\0';
	assert_null(cy_placement_plan_synthetic("pack:2 pu:2", "100-101", CY_PIN_COMPACT, 2, err, sizeof err));
	assert_non_null(strstr(err, "no CPU is allowed"));
}

/* ---- orders on synthetic topologies ------------------------------------------- */

static void compact_fills_cores_then_packages(void **state)
{
	cy_placement *p = synthetic_or_fail("pack:2 core:2 pu:2", NULL, CY_PIN_COMPACT, 8);
	expect_order(p, (const int[]){0, 1, 2, 3, 4, 5, 6, 7}, 8);
	assert_int_equal(cy_placement_allowed_pus(p), 8);
	assert_false(cy_placement_oversubscribed(p));
	cy_placement_free(p);
}

static void scatter_spreads_packages_then_cores_then_pus(void **state)
{
	cy_placement *p = synthetic_or_fail("pack:2 core:2 pu:2", NULL, CY_PIN_SCATTER, 8);
	expect_order(p, (const int[]){0, 4, 2, 6, 1, 5, 3, 7}, 8);
	assert_false(cy_placement_oversubscribed(p));
	json_t *document;
	json_t *placement = placement_json(p, &document);
	/* thread 1: the second package's first core (logical core 2), its first PU */
	json_t *entry = thread_entry(placement, 1);
	assert_int_equal(json_integer_value(json_object_get(entry, "pu")), 4);
	assert_int_equal(json_integer_value(json_object_get(entry, "core")), 2);
	assert_int_equal(json_integer_value(json_object_get(entry, "package")), 1);
	json_decref(document);
	cy_placement_free(p);

	/* two threads on two packages land on different packages */
	p = synthetic_or_fail("pack:2 core:2 pu:2", NULL, CY_PIN_SCATTER, 2);
	expect_order(p, (const int[]){0, 4}, 2);
	cy_placement_free(p);
	p = synthetic_or_fail("pack:2 core:2 pu:2", NULL, CY_PIN_COMPACT, 2);
	expect_order(p, (const int[]){0, 1}, 2);
	cy_placement_free(p);
}

/* Between package and core, scatter spreads over cache groups too. */
static void scatter_spreads_cache_groups_before_cores(void **state)
{
	cy_placement *p = synthetic_or_fail("pack:2 l3:2 core:2 pu:1", NULL, CY_PIN_SCATTER, 8);
	expect_order(p, (const int[]){0, 4, 2, 6, 1, 5, 3, 7}, 8);
	cy_placement_free(p);
}

/* Only allowed PUs are used; ranks count only the allowed ones. */
static void allowed_set_restricts_the_plan(void **state)
{
	cy_placement *p = synthetic_or_fail("pack:2 core:2 pu:2", "1-3,6", CY_PIN_COMPACT, 4);
	expect_order(p, (const int[]){1, 2, 3, 6}, 4);
	assert_int_equal(cy_placement_allowed_pus(p), 4);
	cy_placement_free(p);
	p = synthetic_or_fail("pack:2 core:2 pu:2", "1-3,6", CY_PIN_SCATTER, 4);
	expect_order(p, (const int[]){1, 6, 2, 3}, 4);
	cy_placement_free(p);
}

static void synthetic_oversubscription_wraps(void **state)
{
	cy_placement *p = synthetic_or_fail("pack:2 core:1 pu:2", NULL, CY_PIN_SCATTER, 6);
	expect_order(p, (const int[]){0, 2, 1, 3, 0, 2}, 6);
	assert_true(cy_placement_oversubscribed(p));
	/* a plan for another machine cannot bind, and says so */
	assert_int_equal(cy_placement_bind_self(p, 0), -1);
	cy_placement_free(p);
}

/* ---- the real machine ------------------------------------------------------------ */

/* Each allowed CPU once for n threads; threads past n wrap around. */
static void real_plan_covers_allowed_cpus_and_wraps(void **state)
{
	int cpus[CPU_SETSIZE];
	unsigned n = allowed_cpus(cpus, CPU_SETSIZE);
	assert_true(n >= 1);
	for (cy_pin_policy policy = CY_PIN_COMPACT; policy <= CY_PIN_SCATTER; policy++) {
		cy_placement *p = plan_or_fail(policy, n);
		assert_int_equal(cy_placement_allowed_pus(p), n);
		assert_false(cy_placement_oversubscribed(p));
		for (unsigned k = 0; k < n; k++) {
			unsigned uses = 0;
			for (unsigned i = 0; i < n; i++)
				uses += cy_placement_planned_pu(p, i) == cpus[k];
			if (uses != 1)
				fail_msg("%s: CPU %d planned %u times for %u threads", cy_pin_policy_name(policy),
				         cpus[k], uses, n);
		}
		cy_placement_free(p);
		/* 3 and 5 threads on this machine's 2 PUs */
		for (unsigned threads = n + 1; threads <= 2 * n + 1; threads += n) {
			p = plan_or_fail(policy, threads);
			assert_true(cy_placement_oversubscribed(p));
			for (unsigned i = n; i < threads; i++)
				assert_int_equal(cy_placement_planned_pu(p, i), cy_placement_planned_pu(p, i % n));
			cy_placement_free(p);
		}
	}
	/* none plans no PU but still knows the allowed CPUs */
	cy_placement *p = plan_or_fail(CY_PIN_NONE, n + 1);
	assert_int_equal(cy_placement_planned_pu(p, 0), -1);
	assert_int_equal(cy_placement_allowed_pus(p), n);
	assert_true(cy_placement_oversubscribed(p));
	cy_placement_free(p);
}

/* With the process bound to one CPU (as `taskset -c` would), only it is used. */
static void process_binding_restricts_the_plan(void **state)
{
	cpu_set_t before, one;
	assert_int_equal(sched_getaffinity(0, sizeof before, &before), 0);
	int cpus[CPU_SETSIZE];
	unsigned n = allowed_cpus(cpus, CPU_SETSIZE);
	int last = cpus[n - 1];
	CPU_ZERO(&one);
	CPU_SET(last, &one);
	assert_int_equal(sched_setaffinity(0, sizeof one, &one), 0);

	cy_placement *p = plan_or_fail(CY_PIN_SCATTER, 2);
	int planned[2] = {cy_placement_planned_pu(p, 0), cy_placement_planned_pu(p, 1)};
	unsigned allowed = cy_placement_allowed_pus(p);
	int oversubscribed = cy_placement_oversubscribed(p);
	json_t *document;
	json_t *placement = placement_json(p, &document);
	char expected_list[32];
	snprintf(expected_list, sizeof expected_list, "%d", last);
	int list_matches = strcmp(json_string_value(json_object_get(placement, "allowed_cpus")), expected_list) == 0;
	json_decref(document);
	cy_placement_free(p);
	cy_machine m;
	cy_machine_probe(&m);

	assert_int_equal(sched_setaffinity(0, sizeof before, &before), 0);
	assert_int_equal(planned[0], last);
	assert_int_equal(planned[1], last);
	assert_int_equal(allowed, 1);
	assert_true(oversubscribed);
	assert_true(list_matches);
	assert_string_equal(m.allowed_cpus, expected_list);
	assert_int_equal(m.allowed_pus, 1);
	/* One CPU: no second one to measure a round trip with. */
	assert_int_equal(m.core_round_trip.cpus[0], last);
	assert_int_equal(m.core_round_trip.cpus[1], -1);
	assert_true(m.core_round_trip.median_ns == 0);
}

/* Two allowed CPUs or more: a round trip between two of them, the caller's binding unchanged. */
static void round_trip_between_two_allowed_cpus(void **state)
{
	(void)state;
	int cpus[CPU_SETSIZE];
	unsigned n = allowed_cpus(cpus, CPU_SETSIZE);
	if (n < 2)
		skip();
	cpu_set_t before, after;
	assert_int_equal(sched_getaffinity(0, sizeof before, &before), 0);
	cy_machine m;
	cy_machine_probe(&m);
	assert_int_equal(sched_getaffinity(0, sizeof after, &after), 0);
	assert_true(CPU_EQUAL(&before, &after));
	const cy_core_round_trip *trip = &m.core_round_trip;
	assert_int_not_equal(trip->cpus[0], trip->cpus[1]);
	assert_true(CPU_ISSET(trip->cpus[0], &before) && CPU_ISSET(trip->cpus[1], &before));
	assert_int_equal(trip->cpus[0], cpus[0]);
	/*
	 * How many batches finish before the measurement gives up depends on
	 * the scheduler (on a busy machine the partner may never run in time):
	 * only the record's consistency is an outcome. A measurement has 1..15
	 * batches and a median; none has neither.
	 */
	assert_true(trip->batches >= 0 && trip->batches <= 15);
	assert_int_equal(trip->batches > 0, trip->median_ns > 0);
	/* Refused without measuring: one CPU twice, or none. */
	cy_core_round_trip refused;
	assert_int_equal(cy_core_round_trip_measure(cpus[0], cpus[0], &refused), -1);
	assert_true(refused.median_ns == 0);
	assert_int_equal(cy_core_round_trip_measure(-1, cpus[0], &refused), -1);
	assert_true(refused.median_ns == 0);
}

typedef struct bind_job {
	cy_placement *placement;
	unsigned index;
	int bound;        /* bind_self's result */
	int cpu_after;    /* sched_getcpu right after binding */
} bind_job;

static void *bind_and_note(void *arg)
{
	bind_job *job = arg;
	job->bound = cy_placement_bind_self(job->placement, job->index);
	job->cpu_after = sched_getcpu();
	for (volatile unsigned spin = 0; spin < 100000; spin++)
		;
	cy_placement_note_cpu(job->placement, job->index);
	return NULL;
}

static void run_two_binding_threads(cy_placement *p, bind_job jobs[2])
{
	pthread_t ids[2];
	for (unsigned i = 0; i < 2; i++) {
		jobs[i] = (bind_job){.placement = p, .index = i, .bound = -2, .cpu_after = -1};
		assert_int_equal(pthread_create(&ids[i], NULL, bind_and_note, &jobs[i]), 0);
	}
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(pthread_join(ids[i], NULL), 0);
}

/* Two threads bind themselves; each then runs, and is recorded, on its planned PU. */
static void threads_bind_where_planned(void **state)
{
	for (cy_pin_policy policy = CY_PIN_COMPACT; policy <= CY_PIN_SCATTER; policy++) {
		cy_placement *p = plan_or_fail(policy, 2);
		bind_job jobs[2];
		run_two_binding_threads(p, jobs);
		json_t *document;
		json_t *placement = placement_json(p, &document);
		assert_string_equal(json_string_value(json_object_get(placement, "policy")), cy_pin_policy_name(policy));
		for (unsigned i = 0; i < 2; i++) {
			int planned = cy_placement_planned_pu(p, i);
			assert_int_equal(jobs[i].bound, 0);
			assert_int_equal(jobs[i].cpu_after, planned);
			json_t *seen = json_object_get(thread_entry(placement, i), "seen_cpus");
			assert_int_equal(json_array_size(seen), 1);
			assert_int_equal(json_integer_value(json_array_get(seen, 0)), planned);
		}
		json_decref(document);
		cy_placement_free(p);
	}
}

/* Policy none binds nothing and still records where each thread ran. */
static void none_records_where_threads_ran(void **state)
{
	cy_placement *p = plan_or_fail(CY_PIN_NONE, 2);
	bind_job jobs[2];
	run_two_binding_threads(p, jobs);
	json_t *document;
	json_t *placement = placement_json(p, &document);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(jobs[i].bound, 0);
		json_t *entry = thread_entry(placement, i);
		assert_true(json_is_null(json_object_get(entry, "pu")));
		json_t *seen = json_object_get(entry, "seen_cpus");
		assert_true(json_array_size(seen) >= 1);
		assert_int_equal(json_integer_value(json_array_get(seen, 0)), jobs[i].cpu_after);
	}
	json_decref(document);
	cy_placement_free(p);
}

/* A thread that bound itself plans from its old binding, and free restores it. */
static void free_restores_the_binding_of_a_bound_thread(void **state)
{
	cpu_set_t before, during, after;
	assert_int_equal(sched_getaffinity(0, sizeof before, &before), 0);
	cy_placement *p = plan_or_fail(CY_PIN_COMPACT, 2);
	assert_int_equal(cy_placement_bind_self(p, 0), 0);
	assert_int_equal(sched_getaffinity(0, sizeof during, &during), 0);
	int pinned = CPU_COUNT(&during) == 1 && CPU_ISSET(cy_placement_planned_pu(p, 0), &during);
	cy_placement *again = plan_or_fail(CY_PIN_COMPACT, 2);
	unsigned again_allowed = cy_placement_allowed_pus(again);
	cy_placement_free(again);
	cy_placement_free(p);
	assert_int_equal(sched_getaffinity(0, sizeof after, &after), 0);
	int restored = CPU_EQUAL(&before, &after);
	if (!restored)
		sched_setaffinity(0, sizeof before, &before);
	assert_true(pinned);
	assert_int_equal(again_allowed, (unsigned)CPU_COUNT(&before));
	assert_true(restored);
}

static void json_has_every_member(void **state)
{
	int cpus[CPU_SETSIZE];
	unsigned n = allowed_cpus(cpus, CPU_SETSIZE);
	cy_placement *p = plan_or_fail(CY_PIN_COMPACT, n + 1);
	json_t *document;
	json_t *placement = placement_json(p, &document);
	assert_string_equal(json_string_value(json_object_get(placement, "policy")), "compact");
	assert_true(json_is_true(json_object_get(placement, "oversubscribed")));
	assert_true(json_is_string(json_object_get(placement, "allowed_cpus")));
	assert_int_equal(json_integer_value(json_object_get(placement, "allowed_pus")), n);
	json_t *threads = json_object_get(placement, "threads");
	assert_int_equal(json_array_size(threads), n + 1);
	for (unsigned i = 0; i <= n; i++) {
		json_t *entry = thread_entry(placement, i);
		assert_int_equal(json_integer_value(json_object_get(entry, "index")), i);
		assert_int_equal(json_integer_value(json_object_get(entry, "pu")), cy_placement_planned_pu(p, i));
		assert_true(json_is_integer(json_object_get(entry, "core")));
		assert_true(json_is_integer(json_object_get(entry, "package")));
		assert_true(json_is_array(json_object_get(entry, "seen_cpus")));
		assert_int_equal(json_array_size(json_object_get(entry, "seen_cpus")), 0);
	}
	json_decref(document);
	cy_placement_free(p);
}

/* ---- machine: allowed CPUs and fingerprint ---------------------------------------- */

static void fingerprint_is_stable_and_telling(void **state)
{
	cy_machine a, b;
	cy_machine_probe(&a);
	cy_machine_probe(&b);
	assert_true(a.topology_known);
	assert_string_equal(a.topology_fingerprint, b.topology_fingerprint);
	char counts[64];
	snprintf(counts, sizeof counts, "/%dp%dc%dt/%dn/", a.packages, a.cores, a.pus, a.numa_nodes);
	if (!strstr(a.topology_fingerprint, counts))
		fail_msg("fingerprint %s lacks %s", a.topology_fingerprint, counts);
	int cpus[CPU_SETSIZE];
	assert_int_equal(a.allowed_pus, (int)allowed_cpus(cpus, CPU_SETSIZE));
	/* recomputed from the same fields: the same; any field changed: different */
	char again[CY_MACHINE_FINGERPRINT_LEN], changed[CY_MACHINE_FINGERPRINT_LEN];
	cy_machine_fingerprint(&a, again, sizeof again);
	assert_string_equal(again, a.topology_fingerprint);
	b.pus++;
	cy_machine_fingerprint(&b, changed, sizeof changed);
	assert_string_not_equal(changed, a.topology_fingerprint);
	b = a;
	b.cpu_model[0] = b.cpu_model[0] == 'X' ? 'Y' : 'X';
	cy_machine_fingerprint(&b, changed, sizeof changed);
	assert_string_not_equal(changed, a.topology_fingerprint);
	if (a.cache_count > 0) {
		b = a;
		b.caches[0].line *= 2; /* not in the readable part: the hash must tell */
		cy_machine_fingerprint(&b, changed, sizeof changed);
		assert_string_not_equal(changed, a.topology_fingerprint);
	}
}

static void fingerprint_shortens_the_model(void **state)
{
	cy_machine m = {.topology_known = 1, .packages = 2, .cores = 16, .pus = 32, .numa_nodes = 2};
	m.caches[0] = (cy_machine_cache){.level = 1, .kind = "data", .size = 48 * 1024, .line = 64, .instances = 16};
	m.caches[1] = (cy_machine_cache){.level = 2, .kind = "unified", .size = 1280 * 1024, .line = 64, .instances = 16};
	m.caches[2] = (cy_machine_cache){.level = 3, .kind = "unified", .size = 32 << 20, .line = 64, .instances = 2};
	m.cache_count = 3;
	snprintf(m.cpu_model, sizeof m.cpu_model, "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz");
	char f[CY_MACHINE_FINGERPRINT_LEN];
	cy_machine_fingerprint(&m, f, sizeof f);
	const char *prefix = "Intel-Xeon-Platinum-8375C/2p16c32t/2n/L1d48K-L2u1280K-L3u32M/";
	assert_int_equal(strncmp(f, prefix, strlen(prefix)), 0);
	assert_int_equal(strlen(f), strlen(prefix) + 8);
	snprintf(m.cpu_model, sizeof m.cpu_model, "AMD EPYC 7B13 64-Core Processor");
	cy_machine_fingerprint(&m, f, sizeof f);
	assert_int_equal(strncmp(f, "AMD-EPYC-7B13/", 14), 0);
}

/* ---- topology XML ----------------------------------------------------------------- */

static void topology_xml_loads_back(void **state)
{
	char path[1100], tmp[1110], err[256] = "";
	snprintf(path, sizeof path, "%s/topology.xml", scratch);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	assert_int_equal(cy_topology_export_xml(path, err, sizeof err), 0);
	struct stat st;
	assert_int_equal(stat(tmp, &st), -1);

	hwloc_topology_t loaded, real;
	assert_int_equal(hwloc_topology_init(&loaded), 0);
	assert_int_equal(hwloc_topology_set_xml(loaded, path), 0);
	assert_int_equal(hwloc_topology_load(loaded), 0);
	assert_int_equal(hwloc_topology_init(&real), 0);
	assert_int_equal(hwloc_topology_load(real), 0);
	assert_int_equal(hwloc_get_nbobjs_by_type(loaded, HWLOC_OBJ_PU), hwloc_get_nbobjs_by_type(real, HWLOC_OBJ_PU));
	assert_int_equal(hwloc_get_nbobjs_by_type(loaded, HWLOC_OBJ_CORE),
	                 hwloc_get_nbobjs_by_type(real, HWLOC_OBJ_CORE));
	hwloc_topology_destroy(loaded);
	hwloc_topology_destroy(real);
	unlink(path);

	snprintf(path, sizeof path, "%s/missing/topology.xml", scratch);
	assert_int_equal(cy_topology_export_xml(path, err, sizeof err), -1);
	assert_non_null(strstr(err, "missing/topology.xml"));
	assert_int_equal(stat(path, &st), -1);
}

int main(void)
{
	if (cy_test_make_scratch(scratch, sizeof scratch, "test_placement") != 0) {
		fprintf(stderr, "test_placement: cannot create a scratch directory: %s\n", strerror(errno));
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(policies_parse),
		cmocka_unit_test(bad_plans_are_refused),
		cmocka_unit_test(compact_fills_cores_then_packages),
		cmocka_unit_test(scatter_spreads_packages_then_cores_then_pus),
		cmocka_unit_test(scatter_spreads_cache_groups_before_cores),
		cmocka_unit_test(allowed_set_restricts_the_plan),
		cmocka_unit_test(synthetic_oversubscription_wraps),
		cmocka_unit_test(real_plan_covers_allowed_cpus_and_wraps),
		cmocka_unit_test(process_binding_restricts_the_plan),
		cmocka_unit_test(threads_bind_where_planned),
		cmocka_unit_test(none_records_where_threads_ran),
		cmocka_unit_test(free_restores_the_binding_of_a_bound_thread),
		cmocka_unit_test(json_has_every_member),
		cmocka_unit_test(fingerprint_is_stable_and_telling),
		cmocka_unit_test(round_trip_between_two_allowed_cpus),
		cmocka_unit_test(fingerprint_shortens_the_model),
		cmocka_unit_test(topology_xml_loads_back),
	};
	int failed = cmocka_run_group_tests_name("test_placement", tests, NULL, NULL);
	rmdir(scratch);
	return failed;
}
