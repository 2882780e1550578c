/* The native heap sampler's tables and estimates (agent/heap/tables.c, sampler.c), without its
 * interposers: stacks interned once; live blocks added, taken, put back, replaced when stale, and
 * every counter back at zero when all are freed; mappings trimmed at either end and split by a hole,
 * their bytes exact; the sampling rate and the estimates' bias over a million allocations; a full
 * stack table. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>

#include "agent/heap/heap.h"

#define RATE 1024

static int setup(void **state)
{
	setenv("LOOPSCOPE_HEAP_RATE", "1024", 1);
	heap_sampler_start();
	assert_true(heap_on);
	assert_int_equal(heap_state.rate, RATE);
	return 0;
}

static uint64_t est(size_t n)
{
	return (uint64_t)(((unsigned __int128)n * heap_weight(n)) / HEAP_OBJ_ONE);
}

static void test_weight(void **state)
{
	/* w = 1/(1 - exp(-s/R)), fixed point 1024 */
	assert_int_equal(heap_weight(1u << 30), HEAP_OBJ_ONE);
	assert_int_equal(heap_weight(RATE), (uint64_t)(1024.0 / (1 - exp(-1.0)) + 0.5));
	assert_int_equal(heap_weight(0), heap_weight(1)); /* malloc(0) stands for what malloc(1) does */
}

static void test_stacks(void **state)
{
	uintptr_t a[3] = {0x401000, 0x402000, 0x403000}, b[3] = {0x401000, 0x402000, 0x403001};
	struct heap_stack *sa = heap_stack_intern(a, 3), *sb = heap_stack_intern(b, 3);
	assert_non_null(sa);
	assert_non_null(sb);
	assert_ptr_not_equal(sa, sb);
	assert_ptr_equal(heap_stack_intern(a, 3), sa);
	assert_ptr_equal(heap_stack_intern(a, 2) == sa ? NULL : sa, sa); /* a prefix is another stack */
	assert_int_equal(sb->id, sa->id + 1);
	assert_int_equal(sa->depth, 3);
}

static struct heap_stack *fresh_stack(uintptr_t tag)
{
	uintptr_t ip[2] = {tag, 0x500000};
	struct heap_stack *st = heap_stack_intern(ip, 2);
	assert_non_null(st);
	assert_int_equal(st->live_samples, 0);
	return st;
}

static void assert_live(const struct heap_stack *st, uint64_t samples, uint64_t bytes)
{
	assert_int_equal(st->live_samples, samples);
	assert_int_equal(st->live_bytes, bytes);
	if (!samples)
		assert_int_equal(st->live_objects, 0);
}

static void test_live_blocks(void **state)
{
	struct heap_stack *st = fresh_stack(0x601000);
	assert_true(heap_live_add(0x7f0000001000, 100, st));
	assert_live(st, 1, est(100));
	assert_int_equal(st->live_objects, heap_weight(100));

	/* realloc's path: taken before the real call, put back when it fails */
	struct heap_live_rec r;
	assert_true(heap_live_take(0x7f0000001000, &r));
	assert_int_equal(r.size, 100);
	assert_live(st, 0, 0);
	assert_false(heap_live_take(0x7f0000001000, &r)); /* a second free finds nothing */
	heap_live_put_back(&r);
	assert_live(st, 1, est(100));

	/* a stale record (a free we did not see) is replaced, its figures taken off first */
	assert_true(heap_live_add(0x7f0000001000, 300, st));
	assert_live(st, 1, est(300));
	heap_live_remove(0x7f0000001000);
	assert_live(st, 0, 0);
	heap_live_remove(0x7f0000001000);
	assert_live(st, 0, 0);
}

static void test_many_blocks(void **state)
{
	/* 20 000 live at once, neighbours 16 bytes apart (the allocator's own spacing): all tracked,
	 * all found again, every counter back at zero, the hint table with them */
	struct heap_stack *st = fresh_stack(0x602000);
	enum { N = 20000 };
	uint64_t want = 0;
	for (uintptr_t i = 0; i < N; i++) {
		assert_true(heap_live_add(0x7e0000000000 + 16 * i, 16 + i % 512, st));
		want += est(16 + i % 512);
	}
	assert_live(st, N, want);
	for (uintptr_t i = 0; i < N; i++)
		heap_live_remove(0x7e0000000000 + 16 * i);
	assert_live(st, 0, 0);
	for (uintptr_t i = 0; i < N; i++)
		assert_false(heap_maybe_live(0x7e0000000000 + 16 * i));
	assert_int_equal(heap_state.dropped_live, 0);
}

#define MIB (1ull << 20)

static void test_mappings(void **state)
{
	struct heap_stack *st = fresh_stack(0x603000);
	uint64_t w = heap_weight(4 * MIB), m = 0x7d0000000000;
	assert_int_equal(w, HEAP_OBJ_ONE); /* far above the rate: exactly one */
	assert_true(heap_map_add(m, 4 * MIB, st));
	assert_live(st, 1, 4 * MIB);

	heap_map_remove(m - MIB, 2 * MIB); /* the head, from below it (V8's alignment) */
	assert_live(st, 1, 3 * MIB);
	heap_map_remove(m + 3 * MIB, 2 * MIB); /* the tail, past it */
	assert_live(st, 1, 2 * MIB);
	heap_map_remove(m + 3 * MIB / 2, MIB / 4); /* a hole: two records */
	assert_live(st, 1, 2 * MIB - MIB / 4);
	heap_map_remove(m + MIB, MIB / 2); /* the part below the hole goes, with the object */
	assert_int_equal(st->live_bytes, 2 * MIB - MIB / 4 - MIB / 2); /* the part above: 1.25 MiB */
	assert_int_equal(st->live_samples, 0);
	heap_map_remove(0, UINTPTR_MAX / 2 + m); /* everything */
	assert_live(st, 0, 0);

	/* an unmap that touches no record changes nothing */
	assert_true(heap_map_add(m, MIB, st));
	heap_map_remove(m + MIB, MIB);
	heap_map_remove(m - MIB, MIB);
	assert_live(st, 1, MIB);
	heap_map_remove(m, MIB);
	assert_live(st, 0, 0);
}

static void test_sampling(void **state)
{
	/* A million allocations of 100 bytes at R = 1024: each sampled with p = 1 - e^(-100/1024)
	 * = 0.0930, so 93 000 samples (sd 290: ±1.5 % is 4.8 sd); their weights estimate the
	 * 100 000 000 bytes within ±1.5 % too (same spread) */
	enum { N = 1000000, SIZE = 100 };
	uint64_t samples = 0, bytes = 0;
	for (int i = 0; i < N; i++)
		if (heap_due(SIZE)) {
			samples++;
			bytes += est(SIZE);
		}
	double p = 1 - exp(-(double)SIZE / RATE);
	assert_true(fabs((double)samples - p * N) < 0.015 * p * N);
	assert_true(fabs((double)bytes - (double)N * SIZE) < 0.015 * N * SIZE);
	/* inside the sampler, nothing is due */
	heap_tls.inside++;
	for (int i = 0; i < 1000; i++)
		assert_false(heap_due(1u << 20));
	heap_tls.inside--;
}

static void test_fork_child(void **state)
{
	struct heap_stack *st = fresh_stack(0x604000);
	__atomic_fetch_add(&st->alloc_bytes, 1000, __ATOMIC_RELAXED);
	assert_true(heap_live_add(0x7c0000001000, 64, st));
	heap_sampler_after_fork_child();
	assert_int_equal(st->alloc_bytes, 0); /* the parent's doing */
	assert_live(st, 1, est(64));          /* the child's heap is a copy: still live */
	heap_live_remove(0x7c0000001000);
}

static void test_stacks_full(void **state)
{
	/* the table holds HEAP_MAX_STACKS; past them, NULL (the sample is counted as dropped) */
	uint32_t before = heap_state.nstacks, added = 0;
	for (uintptr_t i = 0; i < HEAP_MAX_STACKS + 10; i++) {
		uintptr_t ip[1] = {0x900000 + i};
		if (heap_stack_intern(ip, 1))
			added++;
	}
	assert_int_equal(added, HEAP_MAX_STACKS - before);
	assert_int_equal(heap_state.nstacks, HEAP_MAX_STACKS);
	uintptr_t known[1] = {0x900000};
	assert_non_null(heap_stack_intern(known, 1)); /* found, when full */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_weight),       cmocka_unit_test(test_stacks),   cmocka_unit_test(test_live_blocks),
		cmocka_unit_test(test_many_blocks),  cmocka_unit_test(test_mappings), cmocka_unit_test(test_sampling),
		cmocka_unit_test(test_fork_child),   cmocka_unit_test(test_stacks_full), /* last: fills the table */
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
