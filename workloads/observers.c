/*
 * observers.c: the `observers` workload, the observer pattern: a subject
 * keeps a list of its observers and each observer refers back to its
 * subject. With strong references both ways every subject is a cycle
 * (subject -> list -> observer -> subject) that reference counting never
 * frees: the textbook leak without a collector, and what Python's
 * weakref.WeakSet / explicit unsubscribe idioms exist to avoid.
 *
 * Variants (param variant):
 *   strong   the back reference is strong: garbage cycles, freed only by a
 *            collector (leaks_by_design under --gc off)
 *   weak     the back reference is a weak reference (weakref.h): no cycle;
 *            reference counting frees a subject and its observers as soon
 *            as the last outside reference goes
 *   cleanup  strong back references, but observers unsubscribe explicitly
 *            (they leave the subject's list) before the subject is dropped
 *            and when they are displaced: the cycle is broken by hand
 *
 * Objects: a subject is a slotted object (slot 0: a list of observers,
 * slot 1: its latest state, an int); an observer is a slotted object (slot
 * 0: its subject or a weak reference to it, slot 1: the last state it was
 * notified of). Notifying iterates the subject's list, follows each
 * observer's back reference (checking it leads to the subject) and stores
 * the new state in the observer.
 *
 * One operation: make a subject with `observers` observers, notify them,
 * drop the subject; then, with `shared` > 0, subscribe one new observer to
 * a random shared subject (it displaces a random current one: the
 * displaced observer unsubscribes) and notify that subject's observers.
 * Every `replace_every` operations a thread replaces a random shared
 * subject with a new one and drops the old.
 *
 * Sharing: the shared subjects are an array under one cy_oblock, held only
 * to read or swap a pointer (a reader increments the subject it got before
 * unlocking; a replacer drops the old subject after unlocking). The
 * subjects themselves are lists and slotted objects, safe to use from
 * several threads (types.h). Tallies are per thread.
 *
 * Compiled once per reference-counting mode (runtime/variant.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/lock.h"
#include "runtime/types.h"
#include "runtime/variant.h"
#include "runtime/weakref.h"
#include "workloads/scenarios.h"

enum observer_variant { VARIANT_STRONG, VARIANT_WEAK, VARIANT_CLEANUP };

enum { SUBJECT_OBSERVERS = 0, SUBJECT_STATE = 1, OBSERVER_SUBJECT = 0, OBSERVER_SEEN = 1 };

typedef struct observers_state {
	enum observer_variant variant;
	int64_t observers;
	int64_t replace_every;
	size_t shared_count;
	cy_oblock shared_lock; /* held for a few loads and stores: spins briefly before sleeping */
	cy_object **shared; /* under shared_lock: each a reference the array owns */
	cy_tally tally[CY_WORKLOAD_MAX_THREADS]; /* a: notifications, b: broken back references, c: OOM */
} observers_state;

/* A new observer of subject, or NULL without memory. */
static cy_object *observer_new(const observers_state *s, cy_object *subject)
{
	cy_object *observer = cy_slotted_new(2);
	if (!observer)
		return NULL;
	cy_object *back = s->variant == VARIANT_WEAK ? cy_weakref_new(subject, NULL, NULL) : subject;
	if (!back) {
		cy_decref(observer);
		return NULL;
	}
	cy_slotted_set(observer, OBSERVER_SUBJECT, back);
	if (back != subject)
		cy_decref(back);
	return observer;
}

/* A subject with n observers, or NULL without memory. */
static cy_object *subject_new(const observers_state *s, int64_t n)
{
	cy_object *subject = cy_slotted_new(2), *list = cy_list_new();
	if (!subject || !list) {
		cy_xdecref(subject);
		cy_xdecref(list);
		return NULL;
	}
	cy_slotted_set(subject, SUBJECT_OBSERVERS, list);
	for (int64_t i = 0; i < n; i++) {
		cy_object *observer = observer_new(s, subject);
		int err = observer ? cy_list_append(list, observer) : CY_ERR_NOMEM;
		cy_xdecref(observer);
		if (err != 0) {
			cy_decref(list);
			cy_decref(subject); /* a strong subject's partial cycle is the collector's */
			return NULL;
		}
	}
	cy_decref(list);
	return subject;
}

/* Every observer leaves the subject's list (cleanup); each is released as it leaves. */
static void unsubscribe_all(cy_object *subject)
{
	cy_object *list = cy_slotted_get(subject, SUBJECT_OBSERVERS);
	if (!list)
		return;
	cy_object *observer;
	while ((observer = cy_list_pop(list)) != NULL)
		cy_decref(observer);
	cy_decref(list);
}

static void subject_drop(const observers_state *s, cy_object *subject)
{
	if (s->variant == VARIANT_CLEANUP)
		unsubscribe_all(subject);
	cy_decref(subject);
}

/* Publish a new state to every observer; returns how many observers lost their subject. */
static int64_t notify(const observers_state *s, cy_object *subject, int64_t state, cy_tally *t)
{
	cy_object *value = cy_int_new(state);
	cy_object *list = cy_slotted_get(subject, SUBJECT_OBSERVERS);
	if (!value || !list) {
		cy_xdecref(value);
		cy_xdecref(list);
		t->c++;
		return 0;
	}
	cy_slotted_set(subject, SUBJECT_STATE, value);
	int64_t broken = 0;
	size_t n = cy_list_len(list);
	for (size_t i = 0; i < n; i++) {
		cy_object *observer = cy_list_get(list, i);
		if (!observer)
			break; /* another thread's cleanup emptied the list meanwhile */
		cy_object *back = cy_slotted_get(observer, OBSERVER_SUBJECT);
		cy_object *seen = back && s->variant == VARIANT_WEAK ? cy_weakref_get(back) : back;
		if (seen != subject)
			broken++;
		if (seen != back)
			cy_xdecref(seen);
		cy_xdecref(back);
		cy_slotted_set(observer, OBSERVER_SEEN, value);
		cy_decref(observer);
		t->a++;
	}
	cy_decref(list);
	cy_decref(value);
	return broken;
}

/* The shared subject at index i (a new reference). */
static cy_object *shared_get(observers_state *s, size_t i)
{
	cy_oblock_lock(&s->shared_lock);
	cy_object *subject = s->shared[i];
	cy_incref(subject);
	cy_oblock_unlock(&s->shared_lock);
	return subject;
}

/* Put subject (our reference passes to the array) at index i; the old one is dropped after unlocking. */
static void shared_replace(observers_state *s, size_t i, cy_object *subject)
{
	cy_oblock_lock(&s->shared_lock);
	cy_object *old = s->shared[i];
	s->shared[i] = subject;
	cy_oblock_unlock(&s->shared_lock);
	if (old)
		subject_drop(s, old);
}

/* A new observer displaces a random one of a shared subject (which unsubscribes), then all are notified. */
static void visit_shared(observers_state *s, cy_rng *rng, int64_t state, cy_tally *t)
{
	cy_object *subject = shared_get(s, (size_t)cy_rng_below(rng, s->shared_count));
	cy_object *list = cy_slotted_get(subject, SUBJECT_OBSERVERS);
	cy_object *observer = observer_new(s, subject);
	if (list && observer) {
		size_t n = cy_list_len(list);
		/* An empty list is one being dropped by cleanup: subscribing now would outlive it. */
		if (n > 0)
			cy_list_set(list, (size_t)cy_rng_below(rng, n), observer);
	} else {
		t->c++;
	}
	cy_xdecref(observer);
	cy_xdecref(list);
	t->b += notify(s, subject, state, t);
	cy_decref(subject);
}

static void observers_teardown(cy_workload_run *run);

static int observers_setup(cy_workload_run *run)
{
	observers_state *s = cy_scenario_state_new(sizeof *s);
	if (!s) {
		cy_workload_error(run, "observers: out of memory");
		return -1;
	}
	const char *variant = cy_param_choice(run, "variant");
	s->variant = strcmp(variant, "weak") == 0 ? VARIANT_WEAK
		: strcmp(variant, "cleanup") == 0 ? VARIANT_CLEANUP
						  : VARIANT_STRONG;
	s->observers = cy_param_int(run, "observers");
	s->replace_every = cy_param_int(run, "replace_every");
	s->shared_count = (size_t)cy_param_int(run, "shared");
	run->state = s;
	if (s->shared_count) {
		s->shared = calloc(s->shared_count, sizeof *s->shared);
		if (!s->shared) {
			observers_teardown(run);
			cy_workload_error(run, "observers: out of memory for %zu shared subjects", s->shared_count);
			return -1;
		}
		for (size_t i = 0; i < s->shared_count; i++) {
			if (!(s->shared[i] = subject_new(s, s->observers))) {
				observers_teardown(run);
				cy_workload_error(run, "observers: out of memory making the shared subjects");
				return -1;
			}
		}
	}
	return 0;
}

static void observers_thread(cy_workload_run *run, unsigned index)
{
	observers_state *s = run->state;
	cy_tally *t = &s->tally[index];
	cy_rng rng = cy_rng_for_thread(run->seed, index);
	int64_t done = 0, n;
	while ((n = cy_workload_next_batch(run, index, 16)) > 0) {
		for (int64_t i = 0; i < n; i++, done++) {
			cy_object *subject = subject_new(s, s->observers);
			if (!subject) {
				t->c++;
				return;
			}
			t->b += notify(s, subject, done, t);
			subject_drop(s, subject);
			if (s->shared_count) {
				visit_shared(s, &rng, done, t);
				if ((done + 1) % s->replace_every == 0) {
					cy_object *fresh = subject_new(s, s->observers);
					if (fresh)
						shared_replace(s, (size_t)cy_rng_below(&rng, s->shared_count), fresh);
					else
						t->c++;
				}
			}
		}
		cy_workload_count(run, index, n);
		cy_safepoint();
	}
}

static int observers_check(cy_workload_run *run, char *why, size_t len)
{
	observers_state *s = run->state;
	int64_t notified = 0, broken = 0, failed = 0;
	for (unsigned i = 0; i < run->threads; i++) {
		notified += s->tally[i].a;
		broken += s->tally[i].b;
		failed += s->tally[i].c;
	}
	if (failed) {
		snprintf(why, len, "memory ran out %lld times", (long long)failed);
		return -1;
	}
	if (broken) {
		snprintf(why, len, "%lld of %lld notified observers did not lead back to their subject", (long long)broken,
			(long long)notified);
		return -1;
	}
	return 0;
}

static void observers_teardown(cy_workload_run *run)
{
	observers_state *s = run->state;
	if (!s)
		return;
	for (size_t i = 0; s->shared && i < s->shared_count; i++)
		shared_replace(s, i, NULL);
	free(s->shared);
	free(s);
	run->state = NULL;
}

const cy_workload_ops CY_SYM(cy_observers_ops) = {
	.setup = observers_setup,
	.thread = observers_thread,
	.check = observers_check,
	.teardown = observers_teardown,
};

#if CY_RC_VARIANT == 0
CY_WORKLOAD_DECLARE_OPS(cy_observers_ops);

static const cy_param_spec observers_params[] = {
	{.name = "variant", .kind = CY_PARAM_CHOICE, .default_value = "strong", .choices = "strong|weak|cleanup",
		.doc = "observer's back reference: strong (cycles: needs the collector), weak (a weak "
		       "reference), cleanup (strong, but observers unsubscribe explicitly)"},
	{.name = "observers", .kind = CY_PARAM_INT, .default_value = "8", .min = 1, .max = 65536,
		.doc = "observers per subject"},
	{.name = "shared", .kind = CY_PARAM_INT, .default_value = "16", .min = 0, .max = 1048576,
		.doc = "subjects shared by all threads (0: threads share nothing)"},
	{.name = "replace_every", .kind = CY_PARAM_INT, .default_value = "100", .min = 1, .max = 1e12,
		.doc = "operations between a thread's replacements of a random shared subject"},
};

static int observers_leaks_by_design(const cy_workload_run *run)
{
	/* Strong back references make every dropped subject a garbage cycle. */
	return run->gc == CY_GC_MODE_OFF && strcmp(cy_param_choice(run, "variant"), "strong") == 0;
}

const cy_workload_def cy_workload_observers = {
	.name = "observers",
	.summary = "subjects with observer lists, observers referring back: the pattern that leaks without a collector",
	.help = "Each operation makes a subject with `observers` observers (a list on the subject, a "
		"back reference on each observer), notifies them and drops the subject; then it "
		"subscribes a new observer to one of `shared` subjects all threads share (displacing "
		"one) and notifies that subject's observers. Every `replace_every` operations a thread "
		"replaces a shared subject. variant=strong makes every dropped subject a cycle that "
		"only a collector frees (it leaks under --gc off, by design); weak makes the back "
		"reference a weak reference; cleanup keeps it strong but observers unsubscribe "
		"explicitly.",
	.op_name = "subject made, notified and dropped",
	.params = observers_params,
	.param_count = sizeof observers_params / sizeof observers_params[0],
	.ops = CY_WORKLOAD_OPS(cy_observers_ops),
	.leaks_by_design = observers_leaks_by_design,
};
#endif
