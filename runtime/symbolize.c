/*
 * symbolize.c: naming the frames of traced stacks, with elfutils' libdw.
 *
 * One Dwfl session describes the process's modules (read from
 * /proc/self/maps on first use, and again when an address falls outside
 * every module known, as after a dlopen). For a return address the
 * function is the ELF symbol containing address - 1 (the call
 * instruction, not the one after it) and the file and line come from the
 * DWARF line table at that address, so an inlined call is named by the line
 * of the inlined code and the function it was inlined into.
 *
 * A function's name is its C name: the suffixes GCC gives the copies it
 * specialises (".constprop.0", ".isra.0", ".part.0", ".cold") and symbol
 * versions ("@@GLIBC_2.34") are cut off, so a specialised copy groups
 * with its function.
 *
 * File names are made relative to the source tree: the tree's root is what
 * precedes "runtime/symbolize.c" in this file's own name as DWARF records
 * it, whatever directory the build ran in (./, ../../ or an absolute path).
 *
 * Every answer is cached, by address, for the life of the process, and the
 * strings are interned there: a cache entry per distinct return address the
 * tracer ever saw, which the program's code bounds. libdw is not
 * thread-safe: one mutex covers the session and the cache. Nothing here
 * runs on the allocation path; it runs when a snapshot is read.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "tracemalloc_internal.h"

#ifdef CY_HAVE_LIBDW

#include <elfutils/libdwfl.h>
#include <unistd.h>

typedef struct named_pc {
	uintptr_t pc; /* 0: empty */
	cy_trace_frame frame;
} named_pc;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static Dwfl *session;
static named_pc *cache;
static size_t cache_capacity, cache_count;
static char **names; /* interned strings, linear probing on their hash */
static size_t names_capacity, names_count;
static const char *tree_root; /* prefix stripped from file names; "" when unknown */
static size_t tree_root_length;

static uint64_t hash_string(const char *s)
{
	uint64_t h = 0;
	for (; *s; s++)
		h = cy_hash_mix64(h ^ (unsigned char)*s);
	return h;
}

/* The interned copy of s; s itself (a string that lives for ever) when memory ran out. */
static const char *intern_name(const char *s)
{
	if (2 * (names_count + 1) > names_capacity) {
		size_t capacity = names_capacity ? 2 * names_capacity : 256;
		char **grown = calloc(capacity, sizeof *grown);
		if (!grown)
			return "?";
		for (size_t i = 0; i < names_capacity; i++) {
			if (!names[i])
				continue;
			size_t j = hash_string(names[i]) & (capacity - 1);
			while (grown[j])
				j = (j + 1) & (capacity - 1);
			grown[j] = names[i];
		}
		free(names);
		names = grown;
		names_capacity = capacity;
	}
	size_t i = hash_string(s) & (names_capacity - 1);
	for (; names[i]; i = (i + 1) & (names_capacity - 1))
		if (strcmp(names[i], s) == 0)
			return names[i];
	char *copy = strdup(s);
	if (!copy)
		return "?";
	names[i] = copy;
	names_count++;
	return copy;
}

static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
};

static int report_modules(void)
{
	if (session)
		dwfl_end(session);
	session = dwfl_begin(&callbacks);
	if (!session)
		return -1;
	if (dwfl_linux_proc_report(session, getpid()) != 0 || dwfl_report_end(session, NULL, NULL) != 0) {
		dwfl_end(session);
		session = NULL;
		return -1;
	}
	return 0;
}

/* Names straight from libdw, file as recorded; the caller holds the lock. */
static void look_up(uintptr_t pc, const char **function, const char **file, int *line)
{
	*function = "?";
	*file = "?";
	*line = 0;
	if (!session && report_modules() != 0)
		return;
	Dwarf_Addr address = pc - 1;
	Dwfl_Module *module = dwfl_addrmodule(session, address);
	if (!module && report_modules() == 0)
		module = dwfl_addrmodule(session, address);
	if (!module)
		return;
	const char *name = dwfl_module_addrname(module, address);
	if (name)
		*function = name;
	Dwfl_Line *where = dwfl_module_getsrc(module, address);
	if (where) {
		const char *source = dwfl_lineinfo(where, NULL, line, NULL, NULL, NULL);
		if (source)
			*file = source;
	}
}

static void find_tree_root(void)
{
	static const char self[] = "runtime/symbolize.c";
	const char *function, *file;
	int line;
	/* An address inside this file: the return address of a call made here would do; a function's start + 1 does too. */
	look_up((uintptr_t)&find_tree_root + 1, &function, &file, &line);
	size_t length = strlen(file), self_length = sizeof self - 1;
	tree_root = "";
	tree_root_length = 0;
	if (length >= self_length && strcmp(file + length - self_length, self) == 0) {
		char *root = strndup(file, length - self_length);
		if (root) {
			tree_root = intern_name(root);
			tree_root_length = strlen(tree_root);
			free(root);
		}
	}
}

static const char *relative(const char *file)
{
	if (tree_root_length && strncmp(file, tree_root, tree_root_length) == 0)
		return file + tree_root_length;
	return file;
}

static int grow_cache(void)
{
	size_t capacity = cache_capacity ? 2 * cache_capacity : 1024;
	named_pc *grown = calloc(capacity, sizeof *grown);
	if (!grown)
		return -1;
	for (size_t i = 0; i < cache_capacity; i++) {
		if (!cache[i].pc)
			continue;
		size_t j = cy_hash_mix64(cache[i].pc) & (capacity - 1);
		while (grown[j].pc)
			j = (j + 1) & (capacity - 1);
		grown[j] = cache[i];
	}
	free(cache);
	cache = grown;
	cache_capacity = capacity;
	return 0;
}

void cy_symbolize(uintptr_t pc, cy_trace_frame *out)
{
	pthread_mutex_lock(&lock);
	if (!tree_root)
		find_tree_root();
	if (2 * (cache_count + 1) > cache_capacity && grow_cache() != 0) {
		pthread_mutex_unlock(&lock);
		*out = (cy_trace_frame){.file = "?", .function = "?", .line = 0};
		return;
	}
	size_t i = cy_hash_mix64(pc) & (cache_capacity - 1);
	for (; cache[i].pc; i = (i + 1) & (cache_capacity - 1)) {
		if (cache[i].pc == pc) {
			*out = cache[i].frame;
			pthread_mutex_unlock(&lock);
			return;
		}
	}
	const char *function, *file;
	int line;
	look_up(pc, &function, &file, &line);
	char c_name[256];
	size_t name_length = strcspn(function, ".@");
	if (name_length >= sizeof c_name)
		name_length = sizeof c_name - 1;
	memcpy(c_name, function, name_length);
	c_name[name_length] = '\0';
	cache[i].pc = pc;
	cache[i].frame = (cy_trace_frame){
		.file = intern_name(relative(file)),
		.function = intern_name(name_length ? c_name : function),
		.line = line,
	};
	cache_count++;
	*out = cache[i].frame;
	pthread_mutex_unlock(&lock);
}

#else

void cy_symbolize(uintptr_t pc, cy_trace_frame *out)
{
	(void)pc;
	*out = (cy_trace_frame){.file = "?", .function = "?", .line = 0};
}

#endif
