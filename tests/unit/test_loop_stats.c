/* The loop model on synthetic timelines: ELU, busy spans, blocks, iterations and the delay of the
 * ideal 10 ms timer, fed through the same functions the poll hooks call (agent/loop_stats.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "agent/loop_model.h"

#define MS 1000000ull
#define US 1000ull

static struct loop l;
static const struct loop_params params = {50 * MS, 10 * MS};

static int setup(void **state)
{
	(void)state;
	memset(&l, 0, sizeof(l));
	return 0;
}

/* One iteration: busy for `busy` ns, then a poll with `timeout_ms` that sleeps `idle` ns. */
static uint64_t iterate(uint64_t t, uint64_t busy, int timeout_ms, uint64_t idle, int nfds)
{
	t += busy;
	loop_poll_enter(&l, t, timeout_ms);
	t += idle;
	loop_poll_return(&l, t, nfds);
	return t;
}

/* The loop started at 1 s, then n iterations of iterate(busy, timeout_ms, idle); its view at the
 * end in *v and its ELU over the whole, returned; the end time in *end. */
static double run_pattern(int n, uint64_t busy, int timeout_ms, uint64_t idle, struct loop_view *v, uint64_t *end)
{
	uint64_t t = 1000 * MS;
	loop_start(&l, &params, t);
	for (int i = 0; i < n; i++)
		t = iterate(t, busy, timeout_ms, idle, 1);
	loop_read(&l, v);
	*end = t;
	return 1.0 - (double)loop_view_idle_at(v, t) / (double)(t - v->first_ts);
}

/* Workload: 10 s idle loop, 1 µs of work per 100 ms wake-up. Expected: ELU < 0.0001, every
 * delay sample 0 (the timer always falls inside an idle poll), ~1000 samples (10 s / 10 ms). */
static void test_idle_loop(void **state)
{
	(void)state;
	struct loop_view v;
	uint64_t t;
	double elu = run_pattern(100, 1 * US, 100, 100 * MS, &v, &t);
	assert_true(elu < 0.0001);
	assert_int_equal(l.delay.max, 0);
	assert_true(l.delay.count >= 999 && l.delay.count <= 1001);
	assert_int_equal(v.iterations, 100);
	assert_int_equal(l.block_idx.head, 0);
}

/* Workload: block 40 ms every 100 ms (then 60 ms idle), 5 s. Expected: ELU 0.40 ± 0.001; one late
 * timer per block, late by at most 40 ms and at least 30 ms (a due time falls in each 10 ms of the
 * block, the first one within 10 ms of its start); no block at a 50 ms threshold; p99 of delay
 * within the 40 ms bucket region. */
static void test_block_every_100ms(void **state)
{
	(void)state;
	struct loop_view v;
	uint64_t t;
	double elu = run_pattern(50, 40 * MS, 60, 60 * MS, &v, &t);
	assert_true(elu > 0.399 && elu < 0.401);
	assert_true(l.delay.max <= 40 * MS && l.delay.max >= 30 * MS);
	uint64_t late = 0;
	for (unsigned b = 1; b < HIST_BUCKETS; b++)
		late += l.delay.counts[b];
	assert_int_equal(late, 50);
	assert_int_equal(l.block_idx.head, 0);
	uint64_t p99 = hist_percentile(&l.delay, 99);
	assert_true(p99 >= 30 * MS && p99 <= 40 * MS);
}

/* Workload: a 200 ms span among 1 ms spans. Expected: exactly one block, start and duration exact;
 * the busy histogram's max is 200 ms. */
static void test_block_recorded(void **state)
{
	(void)state;
	uint64_t t = 5000 * MS;
	loop_start(&l, &params, t);
	t = iterate(t, 1 * MS, 5, 5 * MS, 1);
	uint64_t start = t;
	t = iterate(t, 200 * MS, 5, 5 * MS, 1);
	t = iterate(t, 1 * MS, 5, 5 * MS, 1);
	struct loop_block b;
	assert_true(loop_block_pop(&l, &b));
	assert_int_equal(b.start, start);
	assert_int_equal(b.dur, 200 * MS);
	assert_false(loop_block_pop(&l, &b));
	assert_int_equal(l.busy.max, 200 * MS);
}

/* libuv with UV_METRICS_IDLE_TIME polls twice per iteration: timeout 0 (nothing), then the real
 * timeout. Expected: iterations counts each pair once; zero-timeout poll time is busy. */
static void test_probe_poll_not_an_iteration(void **state)
{
	(void)state;
	uint64_t t = 100 * MS;
	loop_start(&l, &params, t);
	for (int i = 0; i < 10; i++) {
		t = iterate(t, 1 * MS, 0, 2 * US, 0);   /* probe: zero timeout, no events */
		t = iterate(t, 3 * US, 10, 9 * MS, 1);  /* the real poll */
	}
	struct loop_view v;
	loop_read(&l, &v);
	assert_int_equal(v.polls, 20);
	assert_int_equal(v.iterations, 10);
	assert_int_equal(loop_view_idle_at(&v, t), 90 * MS);
}

/* A poll still under way counts as idle up to now; ring overflow is reported, not overwritten. */
static void test_idle_in_progress_and_ring_full(void **state)
{
	(void)state;
	uint64_t t = 100 * MS;
	loop_start(&l, &params, t);
	loop_poll_enter(&l, t + 1 * MS, -1);
	struct loop_view v;
	loop_read(&l, &v);
	assert_int_equal(loop_view_idle_at(&v, t + 11 * MS), 10 * MS);
	for (unsigned i = 0; i < LOOP_BLOCK_RING; i++)
		assert_true(loop_block_push(&l, i, 1));
	assert_false(loop_block_push(&l, 0, 1));
}

/* Blocks beyond the ring's room are counted in the loop, and each is handed to the reader once.
 * Workload: LOOP_BLOCK_RING + 3 spans of 60 ms (threshold 50 ms) with no reader, then an interval,
 * then one more block. Expected: the interval reports 3 dropped blocks, the next one 0. */
static void test_dropped_blocks_counted_in_the_loop(void **state)
{
	(void)state;
	static struct hist scratch[2];
	struct loop_interval iv;
	uint64_t t = 100 * MS;
	loop_start(&l, &params, t);
	l.agent.last_ts = t;
	t = iterate(t, 0, 10, 1 * MS, 1); /* the registering poll: its span is not recorded */
	for (unsigned i = 0; i < LOOP_BLOCK_RING + 3; i++)
		t = iterate(t, 60 * MS, 10, 1 * MS, 1);
	loop_interval_take(&l, t, scratch, &iv);
	assert_int_equal(iv.dropped_blocks, 3);
	assert_int_equal(l.drops.blocks, 3);
	struct loop_block b;
	while (loop_block_pop(&l, &b))
		;
	t = iterate(t, 60 * MS, 10, 1 * MS, 1);
	loop_interval_take(&l, t, scratch, &iv);
	assert_int_equal(iv.dropped_blocks, 0);
}

/* A temporary loop (libuv's for spawnSync) that polled, then was left: once suspended it is away —
 * no busy span, no block, no busy time — and if it polls again, the time away still is none of those.
 * Expected: 1 s away, idle 10 ms, busy max 1 ms, no block. */
static void test_away_is_neither_busy_nor_idle(void **state)
{
	(void)state;
	uint64_t t = 100 * MS;
	loop_start(&l, &params, t);
	t = iterate(t, 0, 10, 0, 1); /* the registering poll: its span is not recorded */
	t = iterate(t, 1 * MS, 10, 10 * MS, 1);
	loop_suspend(&l, t);
	t += 1000 * MS;
	t = iterate(t, 0, 0, 0, 0);
	struct loop_view v;
	loop_read(&l, &v);
	assert_int_equal(loop_view_away_at(&v, t), 1000 * MS);
	assert_int_equal(loop_view_idle_at(&v, t), 10 * MS);
	assert_int_equal(l.busy.max, 1 * MS);
	assert_int_equal(l.block_idx.head, 0);
}

/* The reader takes its `now`, then the loop's poll returns a little later (the agent's thread and
 * the loop's run at once; the loop probe reads events stamped after its clock). Expected: that
 * return is not in the interval: no busy span under way (so no open block at the end), busy max
 * the spans recorded, dt never below zero; issue 13's busy_max and block of 2^64 - 85 us. */
static void test_return_after_now(void **state)
{
	(void)state;
	static struct hist scratch[2];
	struct loop_interval iv;
	uint64_t t = 100 * MS;
	loop_start(&l, &params, t);
	l.agent.last_ts = t;
	t = iterate(t, 0, 0, 0, 1); /* the registering poll */
	t = iterate(t, 2 * MS, 0, 10 * US, 1);
	loop_poll_enter(&l, t + 1 * MS, 0);
	loop_poll_return(&l, t + 1 * MS + 85 * US, 1); /* after the reader's now */
	loop_interval_take(&l, t + 1 * MS, scratch, &iv);
	assert_false(iv.busy_now);
	assert_true(iv.busy_max <= 2 * MS);
	assert_int_equal(iv.dt, t + 1 * MS - 100 * MS);
	assert_true(iv.busy + iv.idle + iv.away <= iv.dt);
	/* A reader whose clock is behind the last interval's: an empty interval, not 2^64 - x. */
	loop_interval_take(&l, t, scratch, &iv);
	assert_int_equal(iv.dt, 0);
	assert_int_equal(iv.busy, 0);
	/* Its next interval counts from the later of the two. */
	loop_interval_take(&l, t + 3 * MS, scratch, &iv);
	assert_int_equal(iv.dt, 2 * MS);
	assert_true(iv.busy_now);
	assert_int_equal(iv.busy_max, 3 * MS - 1 * MS - 85 * US);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_idle_loop, setup),
		cmocka_unit_test_setup(test_block_every_100ms, setup),
		cmocka_unit_test_setup(test_block_recorded, setup),
		cmocka_unit_test_setup(test_probe_poll_not_an_iteration, setup),
		cmocka_unit_test_setup(test_idle_in_progress_and_ring_full, setup),
		cmocka_unit_test_setup(test_away_is_neither_busy_nor_idle, setup),
		cmocka_unit_test_setup(test_dropped_blocks_counted_in_the_loop, setup),
		cmocka_unit_test_setup(test_return_after_now, setup),
	};
	return cmocka_run_group_tests_name("loop_stats", tests, NULL, NULL);
}
