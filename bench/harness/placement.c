/*
 * placement.c: planning and binding thread placement with hwloc
 * (placement.h).
 *
 * The plan. The usable PUs are the calling thread's binding (what threads
 * it creates inherit: `taskset`, a container's cpuset) intersected with
 * the topology's allowed set. Each usable PU gets a path: at every depth
 * of the tree from the root down to the PU, the rank of its ancestor among
 * the siblings that contain usable PUs. Compact orders PUs by that path,
 * which is hwloc's logical order (a core's PUs, then the next core, then
 * the next package). Scatter orders them by the reversed path, deepest
 * rank most significant: consecutive threads land on different packages,
 * then (inside a package) on different cache groups and cores, and only
 * then on a core's second PU. Thread i gets PU order[i mod usable], so
 * more threads than PUs wrap around and the plan says so.
 *
 * Bindings outlive plans unless undone: a thread created by a bound thread
 * inherits its binding. So the first bind_self in a thread saves that
 * thread's binding from before (thread-local, no allocation), later plans
 * made from that thread start from the saved set rather than from the PU
 * it was pinned to, and cy_placement_free restores it when called from
 * that thread (the runner's thread 0 is its main thread).
 *
 * Slots: slot i is written only by the thread that calls bind_self(i) and
 * note_cpu(i), and read by write_json after that thread was joined.
 */
#include "bench/harness/placement.h"

#include <errno.h>
#include <fcntl.h>
#include <hwloc.h>
#include <hwloc/glibc-sched.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/results/atomic_file.h"
#include "bench/results/json_writer.h"

#define SEEN_MAX 8 /* distinct CPUs recorded per thread; a thread is seen twice */
#define THREADS_MAX 65536u

typedef struct placement_slot {
	hwloc_obj_t pu;        /* the planned PU; NULL for policy none */
	int core, package;     /* logical indexes of its core and package, -1 if none */
	int seen[SEEN_MAX];    /* distinct CPUs the thread was seen on, first first */
	unsigned seen_count;
} placement_slot;

struct cy_placement {
	cy_pin_policy policy;
	unsigned threads;
	unsigned usable_pus;
	int oversubscribed;
	int is_this_system;    /* binding is possible (not a synthetic topology) */
	char *usable_list;     /* the usable PUs as a list, "0-1" */
	hwloc_topology_t topology;
	placement_slot slots[];
};

/* The calling thread's binding from before its first bind_self, if any. */
static _Thread_local struct {
	int saved;
	cpu_set_t before;
} thread_binding;

/* ---- ordering the usable PUs ------------------------------------------------ */

typedef struct ranked_pu {
	hwloc_obj_t pu;
	const unsigned *path; /* ranks from depth 1 down to the PU's depth */
} ranked_pu;

static int compare_compact(const void *a, const void *b, void *depth_arg)
{
	const ranked_pu *x = a, *y = b;
	unsigned depth = *(const unsigned *)depth_arg;
	for (unsigned d = 0; d < depth; d++) {
		if (x->path[d] != y->path[d])
			return x->path[d] < y->path[d] ? -1 : 1;
	}
	return 0;
}

static int compare_scatter(const void *a, const void *b, void *depth_arg)
{
	const ranked_pu *x = a, *y = b;
	unsigned depth = *(const unsigned *)depth_arg;
	for (unsigned d = depth; d-- > 0;) {
		if (x->path[d] != y->path[d])
			return x->path[d] < y->path[d] ? -1 : 1;
	}
	return 0;
}

/*
 * Fill order[0..count) with the usable PUs in the policy's order. PUs are
 * visited in logical order, so the children of one object are contiguous
 * and each level's rank is computed from the previous PU's: it restarts at
 * 0 under a new parent and goes up by one for a new sibling.
 */
static int order_pus(hwloc_topology_t topology, hwloc_const_bitmap_t usable, cy_pin_policy policy,
                     hwloc_obj_t *order, unsigned count)
{
	int pu_depth = hwloc_get_type_depth(topology, HWLOC_OBJ_PU);
	if (pu_depth < 1)
		return -1;
	unsigned depth = (unsigned)pu_depth; /* path entries: depths 1..pu_depth */
	ranked_pu *ranked = calloc(count, sizeof *ranked);
	unsigned *paths = calloc((size_t)count * depth, sizeof *paths);
	hwloc_obj_t *previous = calloc(depth, sizeof *previous);
	if (!ranked || !paths || !previous) {
		free(ranked);
		free(paths);
		free(previous);
		return -1;
	}
	unsigned n = 0;
	hwloc_obj_t pu = NULL;
	while (n < count && (pu = hwloc_get_next_obj_inside_cpuset_by_type(topology, usable, HWLOC_OBJ_PU, pu))) {
		unsigned *path = paths + (size_t)n * depth;
		const unsigned *previous_path = n ? path - depth : NULL;
		int parent_changed = n == 0;
		for (unsigned d = 0; d < depth; d++) {
			hwloc_obj_t ancestor =
				d + 1 == depth ? pu : hwloc_get_ancestor_obj_by_depth(topology, (int)d + 1, pu);
			if (parent_changed)
				path[d] = 0;
			else if (ancestor != previous[d])
				path[d] = previous_path[d] + 1;
			else
				path[d] = previous_path[d];
			if (ancestor != previous[d])
				parent_changed = 1;
			previous[d] = ancestor;
		}
		ranked[n++] = (ranked_pu){.pu = pu, .path = path};
	}
	if (policy == CY_PIN_SCATTER)
		qsort_r(ranked, n, sizeof *ranked, compare_scatter, &depth);
	else
		qsort_r(ranked, n, sizeof *ranked, compare_compact, &depth);
	for (unsigned i = 0; i < n; i++)
		order[i] = ranked[i].pu;
	free(ranked);
	free(paths);
	free(previous);
	return n == count ? 0 : -1;
}

static int logical_index_of(hwloc_topology_t topology, hwloc_obj_type_t type, hwloc_obj_t pu)
{
	hwloc_obj_t ancestor = hwloc_get_ancestor_obj_by_type(topology, type, pu);
	return ancestor ? (int)ancestor->logical_index : -1;
}

/* ---- planning ---------------------------------------------------------------- */

/* Plan on `topology` (taken over: destroyed on failure, owned by the plan otherwise). */
static cy_placement *plan_on(hwloc_topology_t topology, hwloc_const_bitmap_t binding, cy_pin_policy policy,
                             unsigned threads, char *err, size_t errlen)
{
	cy_placement *p = NULL;
	hwloc_obj_t *order = NULL;
	hwloc_bitmap_t usable = hwloc_bitmap_alloc();
	if (!usable) {
		snprintf(err, errlen, "out of memory planning thread placement");
		goto fail;
	}
	hwloc_bitmap_and(usable, binding, hwloc_topology_get_allowed_cpuset(topology));
	hwloc_bitmap_and(usable, usable, hwloc_topology_get_topology_cpuset(topology));
	int usable_pus = hwloc_get_nbobjs_inside_cpuset_by_type(topology, usable, HWLOC_OBJ_PU);
	if (usable_pus <= 0) {
		snprintf(err, errlen, "no CPU is allowed for this process; cannot place threads");
		goto fail;
	}
	p = calloc(1, sizeof *p + (size_t)threads * sizeof p->slots[0]);
	order = calloc((size_t)usable_pus, sizeof *order);
	if (!p || !order || hwloc_bitmap_list_asprintf(&p->usable_list, usable) < 0) {
		snprintf(err, errlen, "out of memory planning thread placement");
		goto fail;
	}
	if (order_pus(topology, usable, policy, order, (unsigned)usable_pus) != 0) {
		snprintf(err, errlen, "hwloc could not list the allowed CPUs (%s)", p->usable_list);
		goto fail;
	}
	p->policy = policy;
	p->threads = threads;
	p->usable_pus = (unsigned)usable_pus;
	p->oversubscribed = threads > p->usable_pus;
	p->is_this_system = hwloc_topology_is_thissystem(topology);
	p->topology = topology;
	for (unsigned i = 0; i < threads; i++) {
		placement_slot *s = &p->slots[i];
		s->pu = policy == CY_PIN_NONE ? NULL : order[i % p->usable_pus];
		s->core = s->pu ? logical_index_of(topology, HWLOC_OBJ_CORE, s->pu) : -1;
		s->package = s->pu ? logical_index_of(topology, HWLOC_OBJ_PACKAGE, s->pu) : -1;
	}
	free(order);
	hwloc_bitmap_free(usable);
	return p;
fail:
	if (p)
		free(p->usable_list);
	free(p);
	free(order);
	hwloc_bitmap_free(usable);
	hwloc_topology_destroy(topology);
	return NULL;
}

static int check_threads(unsigned threads, char *err, size_t errlen)
{
	if (threads >= 1 && threads <= THREADS_MAX)
		return 0;
	snprintf(err, errlen, "cannot place %u threads: 1 to %u are valid", threads, THREADS_MAX);
	return -1;
}

/* The set threads created now by the calling thread may run on (see the essay). */
static int current_binding(hwloc_topology_t topology, hwloc_bitmap_t out)
{
	if (thread_binding.saved)
		return hwloc_cpuset_from_glibc_sched_affinity(topology, out, &thread_binding.before,
		                                              sizeof thread_binding.before);
	if (hwloc_get_cpubind(topology, out, HWLOC_CPUBIND_THREAD) == 0)
		return 0;
	if (hwloc_get_cpubind(topology, out, HWLOC_CPUBIND_PROCESS) == 0)
		return 0;
	return hwloc_bitmap_copy(out, hwloc_topology_get_allowed_cpuset(topology));
}

/*
 * The plan on this machine's topology for the CPUs the calling thread may
 * use (synthetic NULL), or on hwloc's synthetic topology for the CPUs in
 * allowed_list (NULL: all of them).
 */
static cy_placement *plan(const char *synthetic, const char *allowed_list, cy_pin_policy policy, unsigned threads,
                          char *err, size_t errlen)
{
	if (check_threads(threads, err, errlen) != 0)
		return NULL;
	hwloc_topology_t topology;
	if (hwloc_topology_init(&topology) != 0) {
		snprintf(err, errlen, "hwloc could not start: %s", strerror(errno));
		return NULL;
	}
	if (synthetic && (hwloc_topology_set_synthetic(topology, synthetic) != 0 || hwloc_topology_load(topology) != 0)) {
		snprintf(err, errlen, "not a synthetic topology hwloc accepts: \"%s\"", synthetic);
		hwloc_topology_destroy(topology);
		return NULL;
	}
	if (!synthetic && hwloc_topology_load(topology) != 0) {
		snprintf(err, errlen, "hwloc could not read this machine's topology: %s", strerror(errno));
		hwloc_topology_destroy(topology);
		return NULL;
	}
	hwloc_bitmap_t binding = hwloc_bitmap_alloc();
	int bad = !binding;
	if (!bad && !synthetic)
		bad = current_binding(topology, binding) != 0;
	else if (!bad && allowed_list)
		bad = hwloc_bitmap_list_sscanf(binding, allowed_list) != 0;
	else if (!bad)
		bad = hwloc_bitmap_copy(binding, hwloc_topology_get_allowed_cpuset(topology)) != 0;
	if (bad) {
		if (synthetic)
			snprintf(err, errlen, "not a CPU list (like 0-3,6): \"%s\"", allowed_list ? allowed_list : "");
		else
			snprintf(err, errlen, "cannot read this process's CPU binding: %s", strerror(errno));
		hwloc_bitmap_free(binding);
		hwloc_topology_destroy(topology);
		return NULL;
	}
	cy_placement *p = plan_on(topology, binding, policy, threads, err, errlen);
	hwloc_bitmap_free(binding);
	return p;
}

cy_placement *cy_placement_plan(cy_pin_policy policy, unsigned threads, char *err, size_t errlen)
{
	return plan(NULL, NULL, policy, threads, err, errlen);
}

cy_placement *cy_placement_plan_synthetic(const char *description, const char *allowed_list,
                                          cy_pin_policy policy, unsigned threads, char *err, size_t errlen)
{
	return plan(description, allowed_list, policy, threads, err, errlen);
}

/* ---- binding and recording ----------------------------------------------------- */

static void note_seen(placement_slot *s, int cpu)
{
	if (cpu < 0)
		return;
	for (unsigned i = 0; i < s->seen_count; i++) {
		if (s->seen[i] == cpu)
			return;
	}
	if (s->seen_count < SEEN_MAX)
		s->seen[s->seen_count++] = cpu;
}

int cy_placement_bind_self(cy_placement *p, unsigned index)
{
	if (!p || index >= p->threads)
		return -1;
	placement_slot *s = &p->slots[index];
	int status = 0;
	if (s->pu) {
		if (!p->is_this_system) {
			status = -1; /* a synthetic plan describes another machine */
		} else {
			if (!thread_binding.saved &&
			    sched_getaffinity(0, sizeof thread_binding.before, &thread_binding.before) == 0)
				thread_binding.saved = 1;
			status = hwloc_set_cpubind(p->topology, s->pu->cpuset, HWLOC_CPUBIND_THREAD) == 0 ? 0 : -1;
		}
	}
	note_seen(s, sched_getcpu());
	return status;
}

void cy_placement_note_cpu(cy_placement *p, unsigned index)
{
	if (p && index < p->threads)
		note_seen(&p->slots[index], sched_getcpu());
}

int cy_placement_oversubscribed(const cy_placement *p)
{
	return p && p->oversubscribed;
}

int cy_placement_planned_pu(const cy_placement *p, unsigned index)
{
	if (!p || index >= p->threads || !p->slots[index].pu)
		return -1;
	return (int)p->slots[index].pu->os_index;
}

unsigned cy_placement_allowed_pus(const cy_placement *p)
{
	return p ? p->usable_pus : 0;
}

static void write_index_or_null(cy_json *w, const char *key, int value)
{
	if (value < 0)
		cy_json_null(w, key);
	else
		cy_json_int(w, key, value);
}

void cy_placement_write_json(const cy_placement *p, cy_json *w)
{
	if (!p) {
		cy_json_null(w, "placement");
		return;
	}
	cy_json_begin_object(w, "placement");
	cy_json_string(w, "policy", cy_pin_policy_name(p->policy));
	cy_json_bool(w, "oversubscribed", p->oversubscribed);
	cy_json_string(w, "allowed_cpus", p->usable_list);
	cy_json_uint(w, "allowed_pus", p->usable_pus);
	cy_json_begin_array(w, "threads", 0);
	for (unsigned i = 0; i < p->threads; i++) {
		const placement_slot *s = &p->slots[i];
		cy_json_begin_object(w, NULL);
		cy_json_uint(w, "index", i);
		write_index_or_null(w, "pu", cy_placement_planned_pu(p, i));
		write_index_or_null(w, "core", s->core);
		write_index_or_null(w, "package", s->package);
		cy_json_begin_array(w, "seen_cpus", 1);
		for (unsigned k = 0; k < s->seen_count; k++)
			cy_json_int(w, NULL, s->seen[k]);
		cy_json_end_array(w);
		cy_json_end_object(w);
	}
	cy_json_end_array(w);
	cy_json_end_object(w);
}

void cy_placement_free(cy_placement *p)
{
	if (thread_binding.saved) {
		sched_setaffinity(0, sizeof thread_binding.before, &thread_binding.before);
		thread_binding.saved = 0;
	}
	if (!p)
		return;
	hwloc_topology_destroy(p->topology);
	free(p->usable_list);
	free(p);
}

/* ---- topology export ------------------------------------------------------------ */

int cy_topology_export_xml(const char *path, char *err, size_t errlen)
{
	hwloc_topology_t topology;
	if (hwloc_topology_init(&topology) != 0 || hwloc_topology_load(topology) != 0) {
		snprintf(err, errlen, "hwloc could not read this machine's topology: %s", strerror(errno));
		return -1;
	}
	/* Exported to memory first, so the file goes through the same checked, atomic write as every other. */
	char *xml = NULL;
	int size = 0, status = -1;
	if (hwloc_topology_export_xmlbuffer(topology, &xml, &size, 0) != 0 || size <= 0) {
		snprintf(err, errlen, "hwloc could not export the topology as XML: %s", strerror(errno));
	} else {
		/* size counts the closing NUL, which is not part of the document. */
		status = cy_atomic_write(path, xml, (size_t)size - 1, err, errlen);
	}
	if (xml)
		hwloc_free_xmlbuffer(topology, xml);
	hwloc_topology_destroy(topology);
	return status;
}
