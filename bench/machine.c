/*
 * machine.c: describing the machine a result was measured on (machine.h).
 *
 * The CPU model comes from /proc/cpuinfo's first "model name" line (x86;
 * other architectures fall back to "Processor" or "cpu model", then
 * "unknown"). The topology comes from hwloc, which reads sysfs: one load
 * per run, done before anything is timed.
 */
#include "bench/machine.h"

#include <hwloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static void read_cpu_model(char *out, size_t len)
{
	snprintf(out, len, "unknown");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return;
	static const char *const keys[] = {"model name", "Processor", "cpu model"};
	char line[512];
	int best = 3; /* index of the key found so far; lower is better */
	while (fgets(line, sizeof line, f)) {
		for (int k = 0; k < best; k++) {
			size_t n = strlen(keys[k]);
			if (strncmp(line, keys[k], n) != 0)
				continue;
			const char *colon = strchr(line + n, ':');
			if (!colon)
				continue;
			const char *value = colon + 1;
			value += strspn(value, " \t");
			snprintf(out, len, "%.*s", (int)strcspn(value, "\n"), value);
			best = k;
			break;
		}
		if (best == 0)
			break;
	}
	fclose(f);
}

static int count_of(hwloc_topology_t topology, hwloc_obj_type_t type)
{
	int n = hwloc_get_nbobjs_by_type(topology, type);
	return n < 0 ? 0 : n;
}

static const char *cache_kind(hwloc_obj_cache_type_t type)
{
	switch (type) {
	case HWLOC_OBJ_CACHE_DATA: return "data";
	case HWLOC_OBJ_CACHE_INSTRUCTION: return "instruction";
	default: return "unified";
	}
}

static void read_topology(cy_machine *m)
{
	hwloc_topology_t topology;
	if (hwloc_topology_init(&topology) != 0)
		return;
	if (hwloc_topology_load(topology) != 0) {
		hwloc_topology_destroy(topology);
		return;
	}
	m->topology_known = 1;
	m->packages = count_of(topology, HWLOC_OBJ_PACKAGE);
	m->cores = count_of(topology, HWLOC_OBJ_CORE);
	m->pus = count_of(topology, HWLOC_OBJ_PU);
	m->numa_nodes = count_of(topology, HWLOC_OBJ_NUMANODE);
	static const hwloc_obj_type_t cache_types[] = {
		HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L1ICACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L3CACHE,
		HWLOC_OBJ_L4CACHE, HWLOC_OBJ_L5CACHE,
	};
	for (size_t t = 0; t < sizeof cache_types / sizeof cache_types[0]; t++) {
		int n = count_of(topology, cache_types[t]);
		hwloc_obj_t cache = n ? hwloc_get_obj_by_type(topology, cache_types[t], 0) : NULL;
		if (!cache || !cache->attr || m->cache_count == CY_MACHINE_MAX_CACHES)
			continue;
		m->caches[m->cache_count++] = (cy_machine_cache){
			.level = (int)cache->attr->cache.depth,
			.kind = cache_kind(cache->attr->cache.type),
			.size = cache->attr->cache.size,
			.line = cache->attr->cache.linesize,
			.instances = n,
		};
	}
	hwloc_topology_destroy(topology);
}

void cy_machine_probe(cy_machine *m)
{
	memset(m, 0, sizeof *m);
	read_cpu_model(m->cpu_model, sizeof m->cpu_model);
	m->cpus_online = sysconf(_SC_NPROCESSORS_ONLN);
	struct utsname u;
	if (uname(&u) == 0)
		snprintf(m->kernel, sizeof m->kernel, "%s %s %s", u.sysname, u.release, u.machine);
	else
		snprintf(m->kernel, sizeof m->kernel, "unknown");
	read_topology(m);
}
