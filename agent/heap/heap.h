/* The heap sampler's internal interface (libloopscope-heap.so only). */
#ifndef LOOPSCOPE_AGENT_HEAP_H
#define LOOPSCOPE_AGENT_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/heap/heap_shared.h"

#define HEAP_HIDDEN __attribute__((visibility("hidden")))
#define heap_likely(x) __builtin_expect(!!(x), 1)
#define heap_unlikely(x) __builtin_expect(!!(x), 0)

/* Per thread (initial-exec TLS: the library is preloaded). */
struct heap_thread {
	int64_t until;     /* bytes until the next sample */
	uint64_t rng;      /* xorshift64* state; 0: not seeded */
	uint32_t inside;   /* >0: in the sampler: allocations pass through */
};
extern __thread struct heap_thread heap_tls HEAP_HIDDEN;

extern struct heap_shared heap_state HEAP_HIDDEN;
extern bool heap_on HEAP_HIDDEN; /* sampling started (rate read, tables mapped) */

/* sampler.c: whether an allocation of N bytes is to be sampled (the fast path, inline). */
bool heap_sample_slow(size_t n) HEAP_HIDDEN;
static inline bool heap_due(size_t n)
{
	if (heap_unlikely(heap_tls.inside))
		return false;
	heap_tls.until -= (int64_t)n;
	return heap_unlikely(heap_tls.until < 0) && heap_sample_slow(n);
}
/* Record a sampled allocation at P of N bytes (a mapping: MAPPING) made from CALLER (the hook's
 * return address). */
void heap_record(void *p, size_t n, uintptr_t caller, bool mapping) HEAP_HIDDEN;
/* The weight of a sample of N bytes: the allocations it stands for, fixed point HEAP_OBJ_ONE. */
uint64_t heap_weight(size_t n) HEAP_HIDDEN;
void heap_sampler_start(void) HEAP_HIDDEN;
void heap_sampler_after_fork_child(void) HEAP_HIDDEN;

/* tables.c: stacks, and the live sampled blocks (exact addresses) and mappings (ranges). */
int heap_tables_init(void) HEAP_HIDDEN;
/* The stack for these frames (interned), or NULL when the table is full or busy. */
struct heap_stack *heap_stack_intern(const uintptr_t *ip, unsigned depth) HEAP_HIDDEN;
/* Track a sampled block: false when it could not be (counted as dropped_live). */
bool heap_live_add(uintptr_t addr, size_t size, const struct heap_stack *st) HEAP_HIDDEN;
/* A block being freed: if sampled, its record goes and its stack's live figures drop. Lock-free;
 * cheap when P was never sampled. */
void heap_live_remove(uintptr_t addr) HEAP_HIDDEN;
/* Whether ADDR may be a live sampled block: a counter per address hash (64 Ki of them, one byte
 * each: stays in the cache), read inline by every free. */
#define HEAP_HINT_SLOTS (1u << 16)
extern uint8_t *heap_hint HEAP_HIDDEN;
static inline uint32_t heap_hint_index(uintptr_t addr)
{
	return (uint32_t)(((addr >> 4) * 0x9E3779B97F4A7C15ull) >> 48);
}
static inline bool heap_maybe_live(uintptr_t addr)
{
	const uint8_t *h = heap_hint;
	return h && __atomic_load_n(&h[heap_hint_index(addr)], __ATOMIC_ACQUIRE);
}
/* Blocks by their owner's view: put back a block removed before a realloc that failed. */
struct heap_live_rec {
	uintptr_t addr;
	size_t size;
	uint32_t stack; /* index + 1; 0: none */
};
bool heap_live_take(uintptr_t addr, struct heap_live_rec *out) HEAP_HIDDEN;
void heap_live_put_back(const struct heap_live_rec *r) HEAP_HIDDEN;
/* Mappings: sampled anonymous mappings, trimmed by munmap of any part. */
bool heap_map_add(uintptr_t addr, size_t len, const struct heap_stack *st) HEAP_HIDDEN;
void heap_map_remove(uintptr_t addr, size_t len) HEAP_HIDDEN;
void heap_tables_after_fork_child(void) HEAP_HIDDEN;

/* unwind.c */
void heap_unwind_init(void) HEAP_HIDDEN;
/* The stack of the allocation (return addresses, innermost first, the sampler's own frames left
 * out): at least CALLER. */
unsigned heap_unwind(uintptr_t caller, uintptr_t *ip, unsigned max) HEAP_HIDDEN;

#endif
