/*
 * shared_rc.c: the registry of published objects, the per-thread entries,
 * and the collector's step that settles them (shared_rc.h says what the
 * schemes mean).
 *
 * Registry. A ticket t (1 .. CY_SHARED_RC_MAX_TICKETS) names one published
 * object: chunks[(t - 1) / CHUNK][(t - 1) % CHUNK]. Chunks are allocated on
 * demand and never move, so a publisher writes its own ticket's cell
 * without a lock. Tickets reach threads in blocks of TICKET_BLOCK (a slot's
 * reserve), taken under registry_lock from the stack of released tickets
 * or, failing that, from the never-used range; so a publish takes the lock
 * once per block, and no cache line is written by every publisher.
 *
 * Per-thread state lives in the thread's registration slot (slots[], by
 * cy_thread_slot_of): its ticket reserve, its entries (per-thread scheme)
 * and how many objects it published. A slot has one thread at a time; the
 * thread that takes a slot over after an exit inherits its reserve and
 * entries, which stay correct because entries are only deltas of counts.
 * A slot's fields are written by its thread while it runs and read (and the
 * entries zeroed) by the collector while the world is stopped, which
 * orders the two.
 *
 * Settling, with the world stopped: every slot's nonzero entries are folded
 * into the stored counts (cy_rc_fold_stopped), then every registered
 * object whose count is the bias alone is unregistered, its ticket returned
 * to the stack, and the bias dropped, which frees it. Since no thread holds
 * a stack reference at a safepoint and every entry is zero after folding,
 * a count of one means nothing refers to the object. The cost is one pass
 * over the registry, proportional to the objects published and not yet
 * freed.
 */
#include "shared_rc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc_track.h"
#include "name_table.h"
#include "thread_internal.h"

#define CHUNK_BITS 12
#define CHUNK ((uint32_t)1 << CHUNK_BITS)
#define CHUNK_COUNT ((CY_SHARED_RC_MAX_TICKETS + CHUNK) / CHUNK)
#define TICKET_BLOCK 64

/* A line of its own or more: two threads' publishes must not write one line. */
typedef struct slot_state {
	_Alignas(64) int64_t *entries; /* per-thread scheme: this slot's deltas, by ticket - 1 */
	uint32_t cap;
	uint32_t reserved; /* tickets in reserve */
	uint32_t reserve[TICKET_BLOCK];
	int64_t published; /* written by the slot's thread (relaxed), read by anyone */
	uint32_t uncounted; /* publishes not yet counted toward generation 0 */
} slot_state;

cy_shared_rc_scheme cy_shared_rc_running = CY_SHARED_RC_OFF;
_Thread_local cy_shared_rc_tls cy_shared_rc_tls_entries;

static slot_state slots[CY_MAX_THREADS];
static cy_object **chunks[CHUNK_COUNT];
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t ticket_end = 1; /* under registry_lock: the lowest ticket never handed out */
static uint32_t *released_tickets; /* under registry_lock: capacity is ticket_end - 1, so a push always fits */
static uint32_t released_count;
static int64_t released_total; /* objects the collector freed (relaxed, written with the world stopped) */
/*
 * Publishes per allocation counted toward generation 0 (relaxed; set by
 * settling). Settling passes over every published object, so a collection
 * per threshold0 publishes would cost, per publish, a share of the whole
 * registry; counting one allocation per `stride` publishes, stride growing
 * with what the last settling left published, keeps that share bounded,
 * as CPython delays a full collection until a quarter of the long-lived
 * objects are new.
 */
static uint32_t publish_stride = 1;
#define OBJECTS_PER_STRIDE 1000

static const char *const scheme_names[CY_SHARED_RC_SCHEME_COUNT] = {"off", "deferred", "per-thread"};

const char *cy_shared_rc_name(cy_shared_rc_scheme scheme)
{
	return cy_name_of(scheme_names, CY_SHARED_RC_SCHEME_COUNT, (int)scheme);
}

int cy_shared_rc_parse(const char *name) { return cy_name_index(scheme_names, CY_SHARED_RC_SCHEME_COUNT, name); }

int cy_shared_rc_select(cy_shared_rc_scheme scheme)
{
	if ((unsigned)scheme >= CY_SHARED_RC_SCHEME_COUNT)
		return -1;
	if (cy_thread_count(CY_ROLE_MUTATOR) + cy_thread_count(CY_ROLE_SERVICE) > 0 || cy_objects_live() != 0)
		return -1;
	cy_shared_rc_running = scheme;
	return 0;
}

CY_INLINE cy_object **registry_cell(uint32_t ticket)
{
	return &chunks[(ticket - 1) >> CHUNK_BITS][(ticket - 1) & (CHUNK - 1)];
}

/* The calling thread's slot, or NULL when it is not registered. */
static slot_state *my_slot(void)
{
	uint64_t id = cy_tls_thread_id;
	if (id == CY_THREAD_ID_NONE)
		return NULL;
	return &slots[cy_thread_slot_of(id)];
}

/* Make ticket_end .. ticket_end + TICKET_BLOCK usable; registry_lock held. Returns -1 without memory. */
static int extend_tickets(void)
{
	uint32_t last = ticket_end + TICKET_BLOCK - 1;
	if (last > CY_SHARED_RC_MAX_TICKETS)
		return -1;
	uint32_t chunk = (last - 1) >> CHUNK_BITS;
	if (!chunks[chunk]) {
		cy_object **fresh = calloc(CHUNK, sizeof *fresh);
		uint32_t *stack = realloc(released_tickets, (size_t)(chunk + 1) * CHUNK * sizeof *stack);
		if (stack)
			released_tickets = stack;
		if (!fresh || !stack) {
			free(fresh);
			return -1;
		}
		chunks[chunk] = fresh;
	}
	return 0;
}

/* Refill s's reserve; -1 when no ticket is left or memory ran out. */
static int refill(slot_state *s)
{
	pthread_mutex_lock(&registry_lock);
	while (s->reserved < TICKET_BLOCK && released_count > 0)
		s->reserve[s->reserved++] = released_tickets[--released_count];
	if (s->reserved == 0 && extend_tickets() == 0) {
		for (uint32_t i = 0; i < TICKET_BLOCK; i++)
			s->reserve[s->reserved++] = ticket_end + TICKET_BLOCK - 1 - i;
		ticket_end += TICKET_BLOCK;
	}
	int ok = s->reserved > 0;
	pthread_mutex_unlock(&registry_lock);
	return ok ? 0 : -1;
}

int cy_shared_rc_publish(cy_object *o)
{
	if (cy_shared_rc_running == CY_SHARED_RC_OFF || (cy_type_of(o)->flags & CY_TYPE_CONTAINER) ||
		cy_object_is_immortal(o) || cy_shared_rc_ticket(o) != 0)
		return 0;
	slot_state *s = my_slot();
	if (!s || (s->reserved == 0 && refill(s) != 0))
		return 0;
	uint32_t ticket = s->reserve[--s->reserved];
	cy_incref_any(o); /* the bias */
	cy_atomic_store_relaxed(registry_cell(ticket), o);
	/* The caller shares o afterwards (with release), which orders this for its readers. */
	cy_atomic_fetch_or_relaxed(&o->ob_flags, ticket << CY_SHARED_RC_TICKET_SHIFT);
	cy_atomic_add_owner(&s->published, 1);
	/* Only a collection frees it: it counts toward generation 0, one allocation per stride. */
	if (++s->uncounted >= cy_atomic_load_relaxed(&publish_stride)) {
		s->uncounted = 0;
		cy_gc_count_young(1);
	}
	return 1;
}

int64_t cy_shared_rc_live(void)
{
	int64_t published = 0;
	for (unsigned i = 0; i < CY_MAX_THREADS; i++)
		published += cy_atomic_load_relaxed(&slots[i].published);
	return published - cy_atomic_load_relaxed(&released_total);
}

void cy_shared_rc_entry_add_slow(cy_object *o, uint32_t ticket, int64_t delta)
{
	slot_state *s = my_slot();
	if (!s) {
		/* Not registered: no slot, so count in the stored count, which the bias keeps above zero. */
		if (delta > 0)
			cy_incref_any(o);
		else
			cy_decref_any(o);
		return;
	}
	if (ticket > s->cap) {
		uint32_t cap = s->cap ? s->cap : 1024;
		while (cap < ticket)
			cap *= 2;
		int64_t *bigger = realloc(s->entries, (size_t)cap * sizeof *bigger);
		if (!bigger) {
			fprintf(stderr, "cyclab: out of memory growing per-thread reference counts to %u entries\n", cap);
			abort();
		}
		memset(bigger + s->cap, 0, (size_t)(cap - s->cap) * sizeof *bigger);
		s->entries = bigger;
		s->cap = cap;
	}
	cy_shared_rc_tls_entries = (cy_shared_rc_tls){.thread_id = cy_tls_thread_id, .entries = s->entries, .cap = s->cap};
	s->entries[ticket - 1] += delta;
}

/* Fold every slot's entries into the stored counts and zero them (world stopped). */
static void fold_entries(void)
{
	for (unsigned i = 0; i < CY_MAX_THREADS; i++) {
		slot_state *s = &slots[i];
		for (uint32_t j = 0; j < s->cap; j++) {
			if (s->entries[j] == 0)
				continue;
			cy_rc_fold_stopped(cy_atomic_load_relaxed(registry_cell(j + 1)), s->entries[j]);
			s->entries[j] = 0;
		}
	}
}

int64_t cy_shared_rc_settle(void)
{
	if (cy_shared_rc_running == CY_SHARED_RC_OFF)
		return 0;
	if (cy_shared_rc_running == CY_SHARED_RC_PER_THREAD)
		fold_entries();
	pthread_mutex_lock(&registry_lock);
	uint32_t end = ticket_end;
	pthread_mutex_unlock(&registry_lock);
	int64_t freed = 0;
	for (uint32_t ticket = 1; ticket < end; ticket++) {
		cy_object *o = cy_atomic_load_relaxed(registry_cell(ticket));
		if (!o || cy_refcount(o) != 1)
			continue;
		cy_atomic_store_relaxed(registry_cell(ticket), (cy_object *)NULL);
		cy_atomic_fetch_and_relaxed(&o->ob_flags, (1u << CY_SHARED_RC_TICKET_SHIFT) - 1);
		pthread_mutex_lock(&registry_lock);
		released_tickets[released_count++] = ticket;
		pthread_mutex_unlock(&registry_lock);
		freed++;
		cy_decref_any(o); /* the bias, the last reference */
	}
	cy_atomic_store_relaxed(&released_total, cy_atomic_load_relaxed(&released_total) + freed);
	cy_atomic_store_relaxed(&publish_stride, (uint32_t)(1 + cy_shared_rc_live() / OBJECTS_PER_STRIDE));
	return freed;
}
