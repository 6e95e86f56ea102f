/*
 * memory_idioms.c: the `memory-idioms` workload: three memory optimisation
 * techniques of everyday Python, each as a measured pair of idioms (param
 * idiom), so that one run per idiom puts a number on the difference.
 *
 *   streaming / materialising   summing a sequence of `items` ints made one
 *            at a time (a generator: one item alive at once) or first
 *            collected in a list (a list comprehension): figure peak_bytes,
 *            the most bytes alive at once during an operation
 *   slotted / dict   instances with `fields` attributes, as an object with
 *            __slots__ (cy_slotted) or one with a __dict__ (cy_instance):
 *            figure bytes_per_object, the instance's storage (its dict and
 *            the dict's table included, as sys.getsizeof counts them,
 *            attribute values excluded: they are the same objects in both);
 *            the last `items` instances stay alive, as a program's would
 *   prompt / late   a large temporary buffer (`buffer_bytes`, e.g. a file
 *            read whole) used and then released before the rest of the work
 *            (building a result of `items` ints) or only at the end of the
 *            function: figure peak_bytes
 *
 * Peak bytes are cy_bytes_live() differences from the start of each
 * operation, plus the malloc'd item array of a list (not an object, so not
 * in cy_bytes_live), taken at the point each idiom holds the most; they are
 * exact and deterministic, not sampled. cy_bytes_live() counts every
 * thread, so the workload runs on one thread.
 *
 * Invariants: every sum comes out as items * (items - 1) / 2; check()
 * reports the figures.
 *
 * Compiled once per reference-counting mode (runtime/variant.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/types.h"
#include "runtime/variant.h"
#include "workloads/scenarios.h"

enum idiom { STREAMING, MATERIALISING, SLOTTED, DICT, PROMPT, LATE };

static const char *const idiom_names[] = {"streaming", "materialising", "slotted", "dict", "prompt", "late"};

#define MAX_FIELDS 64

typedef struct idioms_state {
	enum idiom idiom;
	int64_t items;
	int64_t fields;
	size_t buffer_bytes;
	int64_t peak_bytes;
	int64_t bytes_per_object;
	int64_t wrong_sums;
	int64_t failures;
	cy_object *field_values[MAX_FIELDS]; /* shared attribute values for slotted and dict */
	cy_object **kept;                    /* slotted and dict: the last `items` instances */
	size_t kept_next;
} idioms_state;

static void note_peak(idioms_state *s, int64_t bytes)
{
	if (bytes > s->peak_bytes)
		s->peak_bytes = bytes;
}

/* Bytes of a list's item array, which lives outside the object heap. */
static int64_t list_array_bytes(cy_object *list)
{
	return (int64_t)cy_list_sizeof(list) - (int64_t)cy_types_storage_size(list);
}

static int64_t expected_sum(const idioms_state *s) { return s->items * (s->items - 1) / 2; }

/* A list of the ints 0..items-1, or NULL without memory. */
static cy_object *make_list(const idioms_state *s)
{
	cy_object *list = cy_list_new();
	for (int64_t i = 0; list && i < s->items; i++) {
		cy_object *item = cy_int_new(i);
		int err = item ? cy_list_append(list, item) : CY_ERR_NOMEM;
		cy_xdecref(item);
		if (err != 0) {
			cy_decref(list);
			list = NULL;
		}
	}
	return list;
}

static int64_t sum_list(cy_object *list)
{
	int64_t sum = 0;
	size_t n = cy_list_len(list);
	for (size_t i = 0; i < n; i++) {
		cy_object *item = cy_list_get(list, i);
		sum += cy_int_value(item);
		cy_decref(item);
	}
	return sum;
}

static int streaming(idioms_state *s)
{
	int64_t start = cy_bytes_live(), sum = 0;
	for (int64_t i = 0; i < s->items; i++) {
		cy_object *item = cy_int_new(i);
		if (!item)
			return -1;
		sum += cy_int_value(item);
		if (i == 0)
			note_peak(s, cy_bytes_live() - start); /* one item alive: the most there ever is */
		cy_decref(item);
	}
	s->wrong_sums += sum != expected_sum(s);
	return 0;
}

static int materialising(idioms_state *s)
{
	int64_t start = cy_bytes_live();
	cy_object *list = make_list(s);
	if (!list)
		return -1;
	note_peak(s, cy_bytes_live() - start + list_array_bytes(list));
	s->wrong_sums += sum_list(list) != expected_sum(s);
	cy_decref(list);
	return 0;
}

static int instance(idioms_state *s, int slotted)
{
	static const char *const names[] = {"f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7"};
	cy_object *o = slotted ? cy_slotted_new((size_t)s->fields) : cy_instance_new();
	if (!o)
		return -1;
	for (int64_t i = 0; i < s->fields; i++) {
		char name[16];
		if (i < 8)
			strcpy(name, names[i]);
		else
			snprintf(name, sizeof name, "f%d", (int)i);
		int err = slotted ? cy_slotted_set(o, (size_t)i, s->field_values[i])
				  : cy_instance_setattr(o, name, s->field_values[i]);
		if (err != 0) {
			cy_decref(o);
			return -1;
		}
	}
	s->bytes_per_object = (int64_t)(slotted ? cy_types_storage_size(o) : cy_instance_sizeof(o));
	cy_object *old = s->kept[s->kept_next];
	s->kept[s->kept_next] = o;
	s->kept_next = (s->kept_next + 1) % (size_t)s->items;
	cy_xdecref(old);
	return 0;
}

static int buffer(idioms_state *s, int prompt)
{
	int64_t start = cy_bytes_live();
	cy_object *buf = cy_bytes_new(s->buffer_bytes);
	if (!buf)
		return -1;
	unsigned char *data = cy_bytes_data(buf);
	memset(data, 1, s->buffer_bytes); /* the buffer is used: its pages are touched */
	int64_t used = 0;
	for (size_t i = 0; i < s->buffer_bytes; i += 4096)
		used += data[i];
	if (prompt) {
		cy_decref(buf);
		buf = NULL;
	}
	cy_object *result = make_list(s);
	if (result)
		note_peak(s, cy_bytes_live() - start + list_array_bytes(result));
	cy_xdecref(buf); /* late: only now */
	if (!result)
		return -1;
	s->wrong_sums += sum_list(result) != expected_sum(s) || used != (int64_t)((s->buffer_bytes + 4095) / 4096);
	cy_decref(result);
	return 0;
}

static void idioms_teardown(cy_workload_run *run);

static int idioms_setup(cy_workload_run *run)
{
	idioms_state *s = calloc(1, sizeof *s);
	if (!s) {
		cy_workload_error(run, "memory-idioms: out of memory");
		return -1;
	}
	run->state = s;
	const char *idiom = cy_param_choice(run, "idiom");
	for (size_t i = 0; i < sizeof idiom_names / sizeof idiom_names[0]; i++) {
		if (strcmp(idiom, idiom_names[i]) == 0)
			s->idiom = (enum idiom)i;
	}
	s->items = cy_param_int(run, "items");
	s->fields = cy_param_int(run, "fields");
	s->buffer_bytes = (size_t)cy_param_int(run, "buffer_bytes");
	if (s->idiom == SLOTTED || s->idiom == DICT) {
		s->kept = calloc((size_t)s->items, sizeof *s->kept);
		if (!s->kept) {
			idioms_teardown(run);
			cy_workload_error(run, "memory-idioms: out of memory for %lld instances", (long long)s->items);
			return -1;
		}
		for (int64_t i = 0; i < s->fields; i++) {
			if (!(s->field_values[i] = cy_int_new(i))) {
				idioms_teardown(run);
				cy_workload_error(run, "memory-idioms: out of memory");
				return -1;
			}
		}
	}
	return 0;
}

static void idioms_thread(cy_workload_run *run, unsigned index)
{
	idioms_state *s = run->state;
	int64_t n;
	while ((n = cy_workload_next_batch(run, index, 1)) > 0) {
		int err = 0;
		switch (s->idiom) {
		case STREAMING: err = streaming(s); break;
		case MATERIALISING: err = materialising(s); break;
		case SLOTTED: err = instance(s, 1); break;
		case DICT: err = instance(s, 0); break;
		case PROMPT: err = buffer(s, 1); break;
		case LATE: err = buffer(s, 0); break;
		}
		if (err) {
			s->failures++;
			return;
		}
		cy_workload_count(run, index, 1);
		cy_safepoint();
	}
}

static int idioms_check(cy_workload_run *run, char *why, size_t len)
{
	idioms_state *s = run->state;
	if (s->idiom == SLOTTED || s->idiom == DICT)
		cy_workload_metric(run, "bytes_per_object", (double)s->bytes_per_object);
	else
		cy_workload_metric(run, "peak_bytes", (double)s->peak_bytes);
	if (s->failures) {
		snprintf(why, len, "memory ran out");
		return -1;
	}
	if (s->wrong_sums) {
		snprintf(why, len, "%lld operations computed a wrong sum", (long long)s->wrong_sums);
		return -1;
	}
	return 0;
}

static void idioms_teardown(cy_workload_run *run)
{
	idioms_state *s = run->state;
	if (!s)
		return;
	for (size_t i = 0; s->kept && i < (size_t)s->items; i++)
		cy_xdecref(s->kept[i]);
	for (int i = 0; i < MAX_FIELDS; i++)
		cy_xdecref(s->field_values[i]);
	free(s->kept);
	free(s);
	run->state = NULL;
}

const cy_workload_ops CY_SYM(cy_memory_idioms_ops) = {
	.setup = idioms_setup,
	.thread = idioms_thread,
	.check = idioms_check,
	.teardown = idioms_teardown,
};

#if CY_RC_VARIANT == 0
CY_WORKLOAD_DECLARE_OPS(cy_memory_idioms_ops);

static const cy_param_spec memory_idioms_params[] = {
	{.name = "idiom", .kind = CY_PARAM_CHOICE, .default_value = "streaming",
		.choices = "streaming|materialising|slotted|dict|prompt|late",
		.doc = "which side of which pair: streaming|materialising (peak_bytes), slotted|dict "
		       "(bytes_per_object), prompt|late release of a large buffer (peak_bytes)"},
	{.name = "items", .kind = CY_PARAM_INT, .default_value = "10000", .min = 1, .max = 1e9,
		.doc = "sequence length, result length, or instances kept alive"},
	{.name = "fields", .kind = CY_PARAM_INT, .default_value = "4", .min = 1, .max = MAX_FIELDS,
		.doc = "attributes per instance (slotted, dict)"},
	{.name = "buffer_bytes", .kind = CY_PARAM_INT, .default_value = "1048576", .min = 1, .max = 1e10,
		.doc = "size of the temporary buffer (prompt, late)"},
};

const cy_workload_def cy_workload_memory_idioms = {
	.name = "memory-idioms",
	.summary = "measured pairs: streaming vs materialising, slotted vs dict instances, prompt vs late release",
	.help = "Three memory techniques as pairs of idioms; run each side and compare the figure. "
		"streaming sums `items` ints made one at a time, materialising collects them in a list "
		"first (peak_bytes). slotted and dict make instances with `fields` attributes, with "
		"__slots__ or a __dict__, keeping the last `items` alive (bytes_per_object). prompt "
		"releases a `buffer_bytes` buffer before building a result of `items` ints, late only "
		"after (peak_bytes). One thread: the figures are exact live-byte differences.",
	.op_name = "idiom performed once",
	.params = memory_idioms_params,
	.param_count = sizeof memory_idioms_params / sizeof memory_idioms_params[0],
	.single_thread_only = 1,
	.ops = CY_WORKLOAD_OPS(cy_memory_idioms_ops),
};
#endif
