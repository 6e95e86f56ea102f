/*
 * atomics.h: atomic accesses that say their memory order in their name.
 *
 * cyclab keeps shared fields as plain C types and reaches them through these
 * wrappers (GCC's __atomic builtins), as mimalloc and liburcu do: a reader of
 * the code sees the ordering at every access, and a field that is plain for
 * one reference-counting mode (nonatomic) and atomic for another (biased) is
 * declared once. Every acquire names the release it pairs with at its use.
 *
 * Relaxed load plus relaxed store (cy_atomic_add_owner) is how a field that
 * only one thread writes, but others read, is updated: it compiles to plain
 * moves on x86-64 yet is not a data race for other readers.
 */
#ifndef CY_ATOMICS_H
#define CY_ATOMICS_H

#define cy_atomic_load_relaxed(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define cy_atomic_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define cy_atomic_load_seq_cst(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define cy_atomic_store_relaxed(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define cy_atomic_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define cy_atomic_store_seq_cst(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)

#define cy_atomic_fetch_add_relaxed(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
#define cy_atomic_fetch_add_release(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELEASE)
#define cy_atomic_fetch_add_acq_rel(p, v) __atomic_fetch_add((p), (v), __ATOMIC_ACQ_REL)
#define cy_atomic_fetch_sub_release(p, v) __atomic_fetch_sub((p), (v), __ATOMIC_RELEASE)
#define cy_atomic_fetch_sub_acq_rel(p, v) __atomic_fetch_sub((p), (v), __ATOMIC_ACQ_REL)
#define cy_atomic_fetch_or_relaxed(p, v) __atomic_fetch_or((p), (v), __ATOMIC_RELAXED)
#define cy_atomic_fetch_or_release(p, v) __atomic_fetch_or((p), (v), __ATOMIC_RELEASE)
#define cy_atomic_fetch_or_seq_cst(p, v) __atomic_fetch_or((p), (v), __ATOMIC_SEQ_CST)
#define cy_atomic_fetch_and_relaxed(p, v) __atomic_fetch_and((p), (v), __ATOMIC_RELAXED)
#define cy_atomic_exchange_acq_rel(p, v) __atomic_exchange_n((p), (v), __ATOMIC_ACQ_REL)

/* Compare-and-swap; on failure *expected receives the current value. */
#define cy_atomic_cas_weak_acq_rel(p, expected, desired) \
	__atomic_compare_exchange_n((p), (expected), (desired), 1, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)
#define cy_atomic_cas_strong_acq_rel(p, expected, desired) \
	__atomic_compare_exchange_n((p), (expected), (desired), 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)
#define cy_atomic_cas_strong_acquire(p, expected, desired) \
	__atomic_compare_exchange_n((p), (expected), (desired), 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)

/* An update by the only thread that writes the field; readers use relaxed loads. */
#define cy_atomic_add_owner(p, v) cy_atomic_store_relaxed((p), cy_atomic_load_relaxed(p) + (v))

#define cy_atomic_fence_seq_cst() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define cy_atomic_fence_acquire() __atomic_thread_fence(__ATOMIC_ACQUIRE)

/* Inside a spin loop: let the sibling hardware thread run, save power. */
#if defined(__x86_64__) || defined(__i386__)
#define cy_cpu_relax() __builtin_ia32_pause()
#else
#define cy_cpu_relax() ((void)0)
#endif

#define CY_LIKELY(x) __builtin_expect(!!(x), 1)
#define CY_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define CY_INLINE static inline __attribute__((always_inline))
#define CY_NOINLINE __attribute__((noinline))
#define CY_COLD __attribute__((cold, noinline))

#endif
