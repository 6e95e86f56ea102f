/*
 * machine.c: describing the machine a result was measured on (machine.h).
 *
 * The CPU model comes from /proc/cpuinfo's first "model name" line (x86;
 * other architectures fall back to "Processor" or "cpu model", then
 * "unknown"). The topology comes from hwloc, which reads sysfs: one load
 * per run, done before anything is timed. The fingerprint is built from
 * those fields alone (machine.h documents its format).
 */
#include "bench/harness/machine.h"

#include <ctype.h>
#include <hwloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
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

/*
 * The CPUs the round trip is measured between: the first allowed PU, and
 * the first allowed PU of another core, or failing that another PU of the
 * same core; -1 where there is none.
 */
static void choose_round_trip_cpus(hwloc_topology_t topology, hwloc_const_bitmap_t allowed, int cpus[2])
{
	cpus[0] = cpus[1] = -1;
	hwloc_obj_t first = hwloc_get_next_obj_inside_cpuset_by_type(topology, allowed, HWLOC_OBJ_PU, NULL);
	if (!first)
		return;
	cpus[0] = (int)first->os_index;
	hwloc_obj_t first_core = hwloc_get_ancestor_obj_by_type(topology, HWLOC_OBJ_CORE, first);
	for (hwloc_obj_t pu = hwloc_get_next_obj_inside_cpuset_by_type(topology, allowed, HWLOC_OBJ_PU, first); pu;
		pu = hwloc_get_next_obj_inside_cpuset_by_type(topology, allowed, HWLOC_OBJ_PU, pu)) {
		if (hwloc_get_ancestor_obj_by_type(topology, HWLOC_OBJ_CORE, pu) != first_core) {
			cpus[1] = (int)pu->os_index;
			return;
		}
		if (cpus[1] < 0)
			cpus[1] = (int)pu->os_index;
	}
}

/*
 * What threads created now may run on: this thread's binding (inherited
 * from `taskset` or set by a container), within what the topology allows.
 * Probed before any thread is pinned (bench/harness/placement.c pins threads).
 */
static void read_allowed_cpus(hwloc_topology_t topology, cy_machine *m)
{
	hwloc_bitmap_t allowed = hwloc_bitmap_alloc();
	if (!allowed)
		return;
	if (hwloc_get_cpubind(topology, allowed, HWLOC_CPUBIND_THREAD) != 0)
		hwloc_bitmap_copy(allowed, hwloc_topology_get_allowed_cpuset(topology));
	hwloc_bitmap_and(allowed, allowed, hwloc_topology_get_allowed_cpuset(topology));
	hwloc_bitmap_and(allowed, allowed, hwloc_topology_get_topology_cpuset(topology));
	if (hwloc_bitmap_list_snprintf(m->allowed_cpus, sizeof m->allowed_cpus, allowed) >= 0) {
		int n = hwloc_get_nbobjs_inside_cpuset_by_type(topology, allowed, HWLOC_OBJ_PU);
		m->allowed_pus = n < 0 ? 0 : n;
	}
	choose_round_trip_cpus(topology, allowed, m->core_round_trip.cpus);
	hwloc_bitmap_free(allowed);
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
	read_allowed_cpus(topology, m);
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

/* ---- the topology fingerprint (machine.h says what it holds) ---------------- */

/* Append formatted text to out[len] at *at; output that does not fit is cut. */
static void append(char *out, size_t len, size_t *at, const char *format, ...)
	__attribute__((format(printf, 4, 5)));

static void append(char *out, size_t len, size_t *at, const char *format, ...)
{
	if (*at >= len)
		return;
	va_list args;
	va_start(args, format);
	int n = vsnprintf(out + *at, len - *at, format, args);
	va_end(args);
	if (n > 0)
		*at = *at + (size_t)n < len ? *at + (size_t)n : len - 1;
}

static uint32_t fnv1a(uint32_t hash, const char *text)
{
	for (; *text; text++) {
		hash ^= (unsigned char)*text;
		hash *= 16777619u;
	}
	return hash;
}

static int ends_with_ci(const char *word, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n >= k && strncasecmp(word + n - k, suffix, k) == 0;
}

/* Field 1: the model's words without trademarks, filler and frequency. */
static void model_slug(const char *model, char *out, size_t len)
{
	enum { SLUG_MAX = 40 };
	size_t at = 0;
	out[0] = '\0';
	while (*model) {
		model += strspn(model, " \t");
		size_t n = strcspn(model, " \t");
		if (n == 0 || model[0] == '@')
			break;
		char word[64];
		size_t w = 0;
		for (size_t i = 0; i < n && w + 1 < sizeof word; i++) {
			if (model[i] == '(') { /* "(R)", "(TM)": drop the parenthesis */
				const char *close = memchr(model + i, ')', n - i);
				if (close) {
					i = (size_t)(close - model);
					continue;
				}
			}
			if (isalnum((unsigned char)model[i]) || model[i] == '-' || model[i] == '.')
				word[w++] = model[i];
		}
		word[w] = '\0';
		model += n;
		if (w == 0 || strcasecmp(word, "CPU") == 0 || strcasecmp(word, "Processor") == 0 ||
		    ends_with_ci(word, w, "-Core") || ends_with_ci(word, w, "-Cores"))
			continue;
		if (at == 0 && w > SLUG_MAX)
			word[w = SLUG_MAX] = '\0'; /* one long word: cut it */
		if (at + (at ? 1 : 0) + w > SLUG_MAX || at + (at ? 1 : 0) + w >= len)
			break;
		append(out, len, &at, "%s%s", at ? "-" : "", word);
	}
	if (at == 0)
		snprintf(out, len, "unknown");
}

static void size_text(uint64_t bytes, char *out, size_t len)
{
	if (bytes && bytes % (1024 * 1024) == 0)
		snprintf(out, len, "%lluM", (unsigned long long)(bytes / (1024 * 1024)));
	else if (bytes && bytes % 1024 == 0)
		snprintf(out, len, "%lluK", (unsigned long long)(bytes / 1024));
	else
		snprintf(out, len, "%lluB", (unsigned long long)bytes);
}

void cy_machine_fingerprint(const cy_machine *m, char *out, size_t len)
{
	if (len == 0)
		return;
	char slug[48];
	model_slug(m->cpu_model, slug, sizeof slug);
	/* The hash covers the exact values; canonical text keeps it independent of struct layout. */
	char full[256];
	uint32_t hash = fnv1a(2166136261u, m->cpu_model);
	size_t at = 0;
	out[0] = '\0';
	append(out, len, &at, "%s/", slug);
	if (!m->topology_known) {
		append(out, len, &at, "unknown/unknown/unknown/");
		hash = fnv1a(hash, "|unknown");
	} else {
		append(out, len, &at, "%dp%dc%dt/%dn/", m->packages, m->cores, m->pus, m->numa_nodes);
		snprintf(full, sizeof full, "|%d|%d|%d|%d", m->packages, m->cores, m->pus, m->numa_nodes);
		hash = fnv1a(hash, full);
		for (int i = 0; i < m->cache_count; i++) {
			const cy_machine_cache *c = &m->caches[i];
			char size[32];
			size_text(c->size, size, sizeof size);
			append(out, len, &at, "%sL%d%c%s", i ? "-" : "", c->level, c->kind[0], size);
			snprintf(full, sizeof full, "|L%d,%s,%llu,%u,%d", c->level, c->kind,
			         (unsigned long long)c->size, c->line, c->instances);
			hash = fnv1a(hash, full);
		}
		append(out, len, &at, "%s/", m->cache_count ? "" : "nocache");
	}
	append(out, len, &at, "%08x", (unsigned)hash);
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
	snprintf(m->allowed_cpus, sizeof m->allowed_cpus, "unknown");
	m->core_round_trip.cpus[0] = m->core_round_trip.cpus[1] = -1;
	read_topology(m);
	cy_machine_fingerprint(m, m->topology_fingerprint, sizeof m->topology_fingerprint);
	cy_core_round_trip_measure(m->core_round_trip.cpus[0], m->core_round_trip.cpus[1], &m->core_round_trip);
}
