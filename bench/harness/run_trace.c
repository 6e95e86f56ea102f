/*
 * run_trace.c: --trace-gc and --trace-gc-json, a record per collection, in
 * the spirit of Go's GODEBUG=gctrace=1.
 *
 * The trace is a collector callback (collector/gc.h), attached for the
 * timed part of each repetition only, so it reports exactly the
 * collections the repetition's statistics count: a collection is counted
 * when it ends (cy_gc_account runs just before the closing callback), and
 * its record is taken when it ends. The opening callback notes the heap
 * (bytes and objects live, from the allocation counters) under the
 * collection's number; the closing one reads the heap again and keeps
 * the record with the collection's own figures (pause, wall and CPU time,
 * phases, objects examined and freed).
 *
 * Cost, on the collecting thread: two counter snapshots (a short lock and
 * a sum over the thread slots) and a copy of the collection's figures
 * into a preallocated ring of RING_SIZE records, about 40 ns in all.
 * Formatting and writing (about 1.3 us a record) happen elsewhere: the
 * runner's sampler thread drains the ring each time it wakes (every
 * --sample-ms), and detach drains the rest once the timed part is over.
 * Only when the ring is full (the sampler fell RING_SIZE collections
 * behind) does the collecting thread drain it itself, so records are
 * never lost or reordered. Lines reach stderr in batches, one write per
 * batch; JSON lines, an object on a line written by the one JSON writer
 * (bench/results/json_writer.h), go through the file's 64 KiB stdio
 * buffer: never a system call per record or per field. Nothing here touches a runtime
 * object or allocates in a callback. The ring (about 800 KiB) is made
 * resident when the trace is opened, so it moves no run's peak RSS, only
 * the baseline of all of them.
 *
 * Concurrency. Callbacks run with the collector's collect_lock held, so
 * they never overlap one another: they are the ring's one producer, and
 * advance `head` (release; the drainer's acquire pairs with it). Drainers,
 * the sampler, a callback finding the ring full and detach, take
 * write_lock, so records are written once and in order; they advance
 * `tail` (release; the producer's acquire pairs with it before it reuses
 * a slot). Attach and detach go through cy_gc_callback_add and _remove,
 * which take collect_lock too. The origin and the repetition's label are
 * written by the runner's thread 0 before it starts the threads (label)
 * or opens the start gate (origin), and read after it. An incremental
 * collection may be open while young ones start and end: the opened
 * table holds a few.
 *
 * The JSON file is written to FILE.tmp and renamed into place when the
 * command ends, so FILE never exists half-written.
 */
#include "bench/harness/run_internal.h"
#include "bench/results/atomic_file.h"
#include "bench/results/json_writer.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/atomics.h"
#include "runtime/counters.h"

#define GCTRACE_SCHEMA "cyclab-gctrace/1"

enum {
	OPEN_MAX = 4,            /* collections open at once: an incremental one, a young one, spare */
	RING_SIZE = 4096,        /* records taken and not yet written (a power of two) */
	JSON_BUFFER = 64 * 1024, /* bytes of the JSON file's stdio buffer */
	TEXT_BUFFER = 64 * 1024, /* bytes of text gathered before one write to stderr */
	LINE_MAX_BYTES = 2048,   /* one record as a line of text */
};

typedef struct heap_figures {
	int64_t bytes, objects;
} heap_figures;

/* One collection, as the closing callback saw it. */
typedef struct trace_record {
	cy_gc_collection_info info;
	heap_figures before, after;
	int before_known;
} trace_record;

struct cy_gc_trace {
	int text;
	FILE *json;
	char *json_path, *json_tmp;
	int write_failed;

	/* Set between repetitions by the command; read by callbacks. */
	int warmup;
	unsigned repetition;
	uint64_t origin_ns;

	/* Collections opened and not yet closed (callbacks only, under collect_lock). */
	struct {
		uint64_t number; /* 0: free slot */
		heap_figures heap;
	} opened[OPEN_MAX];

	/* Closed collections: slots [tail, head) are taken and not yet written. */
	trace_record *ring;
	uint64_t head; /* atomic: written by the producer (callbacks) */
	uint64_t tail; /* atomic: written by the drainer holding write_lock */
	pthread_mutex_t write_lock; /* the drainer's: ring slots up to head, text_buffer, json, write_failed */
	char *text_buffer;
	size_t text_used;
};

static heap_figures heap_now(void)
{
	cy_counters c;
	cy_counters_snapshot(&c);
	return (heap_figures){.bytes = c.bytes_allocated - c.bytes_freed, .objects = c.objects_allocated - c.objects_freed};
}

static void note_opened(cy_gc_trace *t, uint64_t number)
{
	for (int i = 0; i < OPEN_MAX; i++) {
		if (t->opened[i].number == 0) {
			t->opened[i].number = number;
			t->opened[i].heap = heap_now();
			return;
		}
	}
	/* More open than expected: this collection's "before" will read unknown. */
}

/* The heap when collection number opened, removed from the table; 0 if it was not seen opening. */
static int take_opened(cy_gc_trace *t, uint64_t number, heap_figures *out)
{
	for (int i = 0; i < OPEN_MAX; i++) {
		if (t->opened[i].number == number) {
			*out = t->opened[i].heap;
			t->opened[i].number = 0;
			return 0;
		}
	}
	return -1;
}

/* snprintf that accumulates into buf[*used..len), never past its end. */
static void append(char *buf, size_t len, size_t *used, const char *format, ...)
	__attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t len, size_t *used, const char *format, ...)
{
	if (*used >= len)
		return;
	va_list args;
	va_start(args, format);
	int n = vsnprintf(buf + *used, len - *used, format, args);
	va_end(args);
	*used = n < 0 ? len : *used + (size_t)n;
}

static double ms(uint64_t ns) { return (double)ns / 1e6; }

static size_t format_text(const cy_gc_trace *t, const trace_record *r, char *buf, size_t len)
{
	const cy_gc_collection_info *info = &r->info;
	double at_s = ((double)info->start_ns - (double)t->origin_ns) / 1e9;
	heap_figures before = r->before, after = r->after;
	size_t used = 0;
	append(buf, len, &used, "gc %" PRIu64 " @%.3fs %s %u: gen %d %s, pause %.3f ms, wall %.3f ms, cpu %.3f ms, phases ",
		info->number, at_s, t->warmup ? "warm-up" : "run", t->repetition, info->generation,
		info->automatic ? "auto" : "manual", ms(info->pause_ns), ms(info->wall_ns), ms(info->cpu_ns));
	for (int p = 0; p < CY_GC_PHASE_COUNT; p++)
		append(buf, len, &used, "%s%.3f", p ? "+" : "", ms(info->phase_ns[p]));
	append(buf, len, &used, " ms, %" PRId64 " examined, %" PRId64 " freed, %" PRId64 " uncollectable, heap ",
		info->examined, info->collected, info->uncollectable);
	if (r->before_known)
		append(buf, len, &used, "%.1f->%.1f KiB, %" PRId64 "->%" PRId64 " objects\n", (double)before.bytes / 1024,
			(double)after.bytes / 1024, before.objects, after.objects);
	else
		append(buf, len, &used, "?->%.1f KiB, ?->%" PRId64 " objects\n", (double)after.bytes / 1024, after.objects);
	return used < len ? used : 0;
}

/* One record as one JSON line, through the results room's writer; 0, or -1 if it did not go out whole. */
static int write_json(const cy_gc_trace *t, const trace_record *r)
{
	const cy_gc_collection_info *info = &r->info;
	/* Microseconds are the clock's useful resolution here: t_s is rounded to them. */
	double at_s = round(((double)info->start_ns - (double)t->origin_ns) / 1e3) / 1e6;
	cy_json j;
	cy_json_init(&j, t->json);
	cy_json_begin_compact_object(&j, NULL);
	cy_json_string(&j, "schema", GCTRACE_SCHEMA);
	cy_json_bool(&j, "warmup", t->warmup);
	cy_json_uint(&j, "repetition", t->repetition);
	cy_json_uint(&j, "collection", info->number);
	cy_json_double(&j, "t_s", at_s);
	cy_json_int(&j, "generation", info->generation);
	cy_json_bool(&j, "automatic", info->automatic);
	cy_json_uint(&j, "pause_ns", info->pause_ns);
	cy_json_uint(&j, "wall_ns", info->wall_ns);
	cy_json_uint(&j, "cpu_ns", info->cpu_ns);
	cy_json_uint(&j, "max_time_to_safepoint_ns", info->max_time_to_safepoint_ns);
	cy_json_begin_object(&j, "phase_ns");
	for (int p = 0; p < CY_GC_PHASE_COUNT; p++)
		cy_json_uint(&j, cy_gc_phase_name((cy_gc_phase)p), info->phase_ns[p]);
	cy_json_end_object(&j);
	cy_json_int(&j, "examined", info->examined);
	cy_json_int(&j, "collected", info->collected);
	cy_json_int(&j, "uncollectable", info->uncollectable);
	if (r->before_known) {
		cy_json_int(&j, "heap_bytes_before", r->before.bytes);
		cy_json_int(&j, "live_objects_before", r->before.objects);
	} else {
		cy_json_null(&j, "heap_bytes_before");
		cy_json_null(&j, "live_objects_before");
	}
	cy_json_int(&j, "heap_bytes_after", r->after.bytes);
	cy_json_int(&j, "live_objects_after", r->after.objects);
	cy_json_end_object(&j);
	return cy_json_finish(&j);
}

static void flush_text(cy_gc_trace *t)
{
	if (t->text_used > 0)
		fwrite(t->text_buffer, 1, t->text_used, stderr);
	t->text_used = 0;
}

/* Format and write the records taken, then free their slots; write_lock held. */
static void drain(cy_gc_trace *t)
{
	char line[LINE_MAX_BYTES];
	uint64_t head = cy_atomic_load_acquire(&t->head); /* pairs with on_collection's release */
	for (uint64_t i = t->tail; i < head; i++) {
		const trace_record *r = &t->ring[i & (RING_SIZE - 1)];
		if (t->text) {
			size_t n = format_text(t, r, line, sizeof line);
			if (t->text_used + n > TEXT_BUFFER)
				flush_text(t);
			memcpy(t->text_buffer + t->text_used, line, n);
			t->text_used += n;
		}
		if (t->json && write_json(t, r) != 0)
			t->write_failed = 1;
	}
	cy_atomic_store_release(&t->tail, head); /* pairs with on_collection's acquire */
	if (t->text)
		flush_text(t);
}

static void on_collection(int start, const cy_gc_collection_info *info, void *arg)
{
	cy_gc_trace *t = arg;
	if (start) {
		note_opened(t, info->number);
		return;
	}
	uint64_t head = cy_atomic_load_relaxed(&t->head); /* only callbacks write it */
	if (head - cy_atomic_load_acquire(&t->tail) == RING_SIZE) {
		/* Full: the sampler is behind (or not running). Drain here, in order. */
		pthread_mutex_lock(&t->write_lock);
		drain(t);
		pthread_mutex_unlock(&t->write_lock);
	}
	trace_record *r = &t->ring[head & (RING_SIZE - 1)];
	r->info = *info;
	r->after = heap_now();
	r->before_known = take_opened(t, info->number, &r->before) == 0;
	cy_atomic_store_release(&t->head, head + 1); /* pairs with drain's acquire */
}

void cy_gc_trace_drain(cy_gc_trace *t)
{
	/* Someone else draining is as good: the records get written either way. */
	if (pthread_mutex_trylock(&t->write_lock) != 0)
		return;
	drain(t);
	pthread_mutex_unlock(&t->write_lock);
}

static char *copy_string(const char *s)
{
	size_t n = strlen(s) + 1;
	char *copy = malloc(n);
	if (copy)
		memcpy(copy, s, n);
	return copy;
}

cy_gc_trace *cy_gc_trace_open(int text, const char *json_path, char *why, size_t len)
{
	cy_gc_trace *t = calloc(1, sizeof *t);
	if (!t) {
		snprintf(why, len, "out of memory for the collection trace");
		return NULL;
	}
	t->text = text;
	pthread_mutex_init(&t->write_lock, NULL);
	t->ring = malloc(RING_SIZE * sizeof *t->ring);
	t->text_buffer = text ? malloc(TEXT_BUFFER) : NULL;
	if (!t->ring || (text && !t->text_buffer)) {
		snprintf(why, len, "out of memory for the collection trace");
		cy_gc_trace_close(t, 0, NULL, 0);
		return NULL;
	}
	/* Resident now, not during a run: each run's peak RSS starts from a baseline that includes them. */
	memset(t->ring, 0, RING_SIZE * sizeof *t->ring);
	if (t->text_buffer)
		memset(t->text_buffer, 0, TEXT_BUFFER);
	if (json_path) {
		t->json_path = copy_string(json_path);
		size_t tmp_size = strlen(json_path) + 5;
		t->json_tmp = malloc(tmp_size);
		if (!t->json_path || !t->json_tmp) {
			snprintf(why, len, "out of memory for the collection trace");
			cy_gc_trace_close(t, 0, NULL, 0);
			return NULL;
		}
		char reason[512];
		t->json = cy_atomic_open(json_path, t->json_tmp, tmp_size, reason, sizeof reason);
		if (!t->json) {
			snprintf(why, len, "%s (valid: --trace-gc-json FILE in a writable directory)", reason);
			cy_gc_trace_close(t, 0, NULL, 0);
			return NULL;
		}
		setvbuf(t->json, NULL, _IOFBF, JSON_BUFFER);
	}
	return t;
}

void cy_gc_trace_begin_repetition(cy_gc_trace *t, int warmup, unsigned number)
{
	t->warmup = warmup;
	t->repetition = number;
}

int cy_gc_trace_attach(cy_gc_trace *t)
{
	memset(t->opened, 0, sizeof t->opened);
	t->origin_ns = 0;
	return cy_gc_callback_add(on_collection, t);
}

void cy_gc_trace_set_origin(cy_gc_trace *t, uint64_t start_ns) { t->origin_ns = start_ns; }

void cy_gc_trace_detach(cy_gc_trace *t)
{
	cy_gc_callback_remove(on_collection, t);
	pthread_mutex_lock(&t->write_lock);
	drain(t); /* the rest: no collection runs now, and none will call back */
	pthread_mutex_unlock(&t->write_lock);
}

int cy_gc_trace_close(cy_gc_trace *t, int keep, char *why, size_t len)
{
	if (!t)
		return 0;
	int status = 0;
	if (t->json) {
		if (keep) {
			char ignored[8];
			status = cy_atomic_commit(t->json, t->json_tmp, t->json_path, t->write_failed, why ? why : ignored,
				why ? len : sizeof ignored);
		} else {
			fclose(t->json);
			unlink(t->json_tmp);
		}
	}
	free(t->json_path);
	free(t->json_tmp);
	free(t->ring);
	free(t->text_buffer);
	pthread_mutex_destroy(&t->write_lock);
	free(t);
	return status;
}

void cy_gc_trace_print_help(FILE *out)
{
	fputs("\n--trace-gc prints a line to stderr for each collection that ends in the timed part\n"
	      "of a run (warm-up runs included), like Go's GODEBUG=gctrace=1, in batches written\n"
	      "by the runner's sampler thread (no formatting or write by the collecting thread); e.g.\n"
	      "  gc 7 @0.214s run 1: gen 0 auto, pause 0.085 ms, wall 0.090 ms, cpu 0.088 ms,\n"
	      "  phases 0.002+0.004+0.061+0.000+0.000+0.015+0.003 ms, 2100 examined, 1980 freed,\n"
	      "  0 uncollectable, heap 310.2->190.5 KiB, 4100->2120 objects\n"
	      "(one line): gc N, the collection's number in this run's collector; @T, its start in\n"
	      "seconds since the run's clock started; run R or warm-up R; gen G, the oldest\n"
	      "generation collected; auto (a threshold) or manual; pause, the time the world was\n"
	      "stopped; wall, from start to end; cpu, CPU time of the collecting thread(s); phases,\n"
	      "in ms, ",
	      out);
	for (int p = 0; p < CY_GC_PHASE_COUNT; p++)
		fprintf(out, "%s%s", p ? "+" : "", cy_gc_phase_name((cy_gc_phase)p));
	fputs(";\nexamined, objects in the generations collected; freed, unreachable objects freed;\n"
	      "uncollectable, garbage kept; heap and objects, bytes and objects live when the\n"
	      "collection began and ended (? if unknown).\n"
	      "--trace-gc-json FILE writes the same records as JSON lines, each an object with\n"
	      "\"schema\": \"" GCTRACE_SCHEMA "\", integers in ns and bytes, and null for what is unknown.\n",
	      out);
}
