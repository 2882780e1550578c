/* What the loop thread records at each poll, and how the agent thread reads it. Pure functions of
 * the timestamps they are given (unit tests drive them with synthetic timelines) and of the loop's
 * own parameters; no globals, no locks, no allocation, no system calls. Definitions: docs/metrics.md. */
#include "agent/loop_model.h"

#define STORE(field, v) __atomic_store_n(&(field), (v), __ATOMIC_RELAXED)
#define LOAD(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

/* A zero-timeout poll that found nothing and is followed this soon by another poll is libuv's
 * idle-time probe (UV_METRICS_IDLE_TIME polls twice), not an iteration of its own. */
#define PROBE_POLL_GAP_NS 50000u

static inline void seq_begin(uint32_t *seq)
{
	STORE(*seq, *seq + 1);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void seq_end(uint32_t *seq)
{
	__atomic_store_n(seq, *seq + 1, __ATOMIC_RELEASE);
}

void loop_start(struct loop *l, const struct loop_params *params, uint64_t now)
{
	l->params = *params;
	seq_begin(&l->seq);
	STORE(l->first_ts, now);
	STORE(l->busy_start, now);
	STORE(l->state_since, now);
	STORE(l->state, LOOP_BUSY);
	seq_end(&l->seq);
	l->delay_next_due = now + l->params.delay_resolution_ns;
	l->last_return = now;
	l->recorded_first_span = false;
}

/* The ideal periodic timer: a due time inside an idle poll fires on time. */
static void delay_idle(struct loop *l, uint64_t from, uint64_t to)
{
	uint64_t period = l->params.delay_resolution_ns;

	if (l->delay_next_due < from)
		l->delay_next_due = from;
	if (l->delay_next_due <= to) {
		uint64_t n = (to - l->delay_next_due) / period + 1;
		hist_record_n(&l->delay, 0, n);
		l->delay_next_due += n * period;
	}
}

/* A due time that passed while the loop was busy fires when the loop next polls, late by the
 * difference; like a repeating libuv timer, it then rearms one period after it ran. */
static void delay_busy_end(struct loop *l, uint64_t now)
{
	if (l->delay_next_due <= now) {
		hist_record(&l->delay, now - l->delay_next_due);
		l->delay_next_due = now + l->params.delay_resolution_ns;
	}
}

void loop_suspend(struct loop *l, uint64_t now)
{
	seq_begin(&l->seq);
	STORE(l->state, LOOP_AWAY);
	STORE(l->state_since, now);
	seq_end(&l->seq);
}

void loop_poll_enter(struct loop *l, uint64_t now, int timeout_ms)
{
	uint64_t start = l->busy_start;
	uint64_t span = now > start ? now - start : 0;
	bool probe = l->last_timeout_zero && l->last_nfds == 0 && now - l->last_return < PROBE_POLL_GAP_NS;
	bool away = l->state == LOOP_AWAY;

	if (away) {
		/* Back from away: the time away was no busy span, and the ideal timer restarts. */
		seq_begin(&l->seq);
		STORE(l->away_ns, l->away_ns + (now > l->state_since ? now - l->state_since : 0));
		seq_end(&l->seq);
		l->delay_next_due = now + l->params.delay_resolution_ns;
	} else if (l->recorded_first_span) {
		hist_record(&l->busy, span);
		if (span >= l->params.block_ns && !loop_block_push(l, start, span))
			STORE(l->drops.blocks, l->drops.blocks + 1);
	}
	l->recorded_first_span = true;
	if (!away)
		delay_busy_end(l, now);

	seq_begin(&l->seq);
	STORE(l->state, timeout_ms != 0 ? LOOP_POLL_IDLE : LOOP_POLL_ZERO);
	STORE(l->state_since, now);
	STORE(l->polls, l->polls + 1);
	if (!probe)
		STORE(l->iterations, l->iterations + 1);
	seq_end(&l->seq);
	l->last_timeout_zero = timeout_ms == 0;
}

void loop_poll_return(struct loop *l, uint64_t now, int nfds)
{
	uint64_t since = l->state_since;
	bool idle = l->state == LOOP_POLL_IDLE;

	if (idle)
		delay_idle(l, since, now);
	seq_begin(&l->seq);
	if (idle && now > since)
		STORE(l->idle_ns, l->idle_ns + (now - since));
	STORE(l->state, LOOP_BUSY);
	STORE(l->state_since, now);
	STORE(l->busy_start, now);
	seq_end(&l->seq);
	l->last_return = now;
	l->last_nfds = nfds;
}

void loop_read(const struct loop *l, struct loop_view *v)
{
	for (;;) {
		uint32_t s1 = __atomic_load_n(&l->seq, __ATOMIC_ACQUIRE);
		if (s1 & 1)
			continue;
		v->state = LOAD(l->state);
		v->state_since = LOAD(l->state_since);
		v->first_ts = LOAD(l->first_ts);
		v->idle_ns = LOAD(l->idle_ns);
		v->away_ns = LOAD(l->away_ns);
		v->busy_start = LOAD(l->busy_start);
		v->iterations = LOAD(l->iterations);
		v->polls = LOAD(l->polls);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (LOAD(l->seq) == s1)
			return;
	}
}

uint64_t loop_view_idle_at(const struct loop_view *v, uint64_t now)
{
	uint64_t idle = v->idle_ns;
	if (v->state == LOOP_POLL_IDLE && now > v->state_since)
		idle += now - v->state_since;
	return idle;
}

uint64_t loop_view_away_at(const struct loop_view *v, uint64_t now)
{
	uint64_t away = v->away_ns;
	if (v->state == LOOP_AWAY && now > v->state_since)
		away += now - v->state_since;
	return away;
}

/* The live histogram's values recorded since *prev, into diff; *prev becomes the live one. */
static void hist_take_interval(const struct hist *live, struct hist *prev, struct hist *now, struct hist *diff)
{
	hist_snapshot(now, live);
	*diff = *now;
	hist_subtract(diff, prev);
	*prev = *now;
}

void loop_interval_take(struct loop *l, uint64_t now, struct hist scratch[2], struct loop_interval *out)
{
	struct hist *diff = &scratch[1];
	struct loop_view v;

	loop_read(l, &v);
	/* Times the loop's thread stamped after `now` (its poll returned while the reader took `now`)
	 * are not in this interval: no difference here may go below zero. */
	uint64_t idle = loop_view_idle_at(&v, now), away = loop_view_away_at(&v, now);
	uint64_t dt = now > l->agent.last_ts ? now - l->agent.last_ts : 0;
	uint64_t d_idle = idle > l->agent.last_idle ? idle - l->agent.last_idle : 0;
	uint64_t d_away = away > l->agent.last_away ? away - l->agent.last_away : 0;
	if (d_idle > dt)
		d_idle = dt;
	if (d_away > dt - d_idle)
		d_away = dt - d_idle;

	out->dt = dt;
	out->busy = dt - d_idle - d_away;
	out->idle = d_idle;
	out->away = d_away;
	out->iterations = v.iterations - l->agent.last_iterations;
	out->polls = v.polls - l->agent.last_polls;
	uint64_t dropped = LOAD(l->drops.blocks);
	out->dropped_blocks = dropped - l->agent.last_dropped_blocks;

	hist_take_interval(&l->delay, &l->agent.delay_prev, &scratch[0], diff);
	out->delay_count = diff->count;
	out->delay_p50 = hist_percentile(diff, 50);
	out->delay_p99 = hist_percentile(diff, 99);
	out->delay_max = diff->max;

	hist_take_interval(&l->busy, &l->agent.busy_prev, &scratch[0], diff);
	out->busy_p99 = hist_percentile(diff, 99);
	/* A busy span still under way counts toward the interval's longest span; one that started
	 * after `now` is not under way yet. */
	out->busy_now = v.state == LOOP_BUSY && v.busy_start <= now;
	out->busy_start = v.busy_start;
	out->busy_max = diff->max;
	if (out->busy_now && now - v.busy_start > out->busy_max)
		out->busy_max = now - v.busy_start;

	if (now > l->agent.last_ts)
		l->agent.last_ts = now;
	if (idle > l->agent.last_idle)
		l->agent.last_idle = idle;
	if (away > l->agent.last_away)
		l->agent.last_away = away;
	l->agent.last_iterations = v.iterations;
	l->agent.last_polls = v.polls;
	l->agent.last_dropped_blocks = dropped;
}

/* Rings: the producer owns head, the consumer owns tail; capacities are powers of two. */
#define RING_PUSH(idx, arr, cap, item)                                                       \
	do {                                                                                 \
		uint32_t h_ = (idx).head, t_ = __atomic_load_n(&(idx).tail, __ATOMIC_ACQUIRE); \
		if (h_ - t_ >= (cap))                                                        \
			return false;                                                        \
		(arr)[h_ & ((cap)-1)] = (item);                                              \
		__atomic_store_n(&(idx).head, h_ + 1, __ATOMIC_RELEASE);                     \
		return true;                                                                 \
	} while (0)

#define RING_POP(idx, arr, cap, out)                                                         \
	do {                                                                                 \
		uint32_t t_ = (idx).tail, h_ = __atomic_load_n(&(idx).head, __ATOMIC_ACQUIRE); \
		if (t_ == h_)                                                                \
			return false;                                                        \
		*(out) = (arr)[t_ & ((cap)-1)];                                              \
		__atomic_store_n(&(idx).tail, t_ + 1, __ATOMIC_RELEASE);                     \
		return true;                                                                 \
	} while (0)

bool loop_block_push(struct loop *l, uint64_t start, uint64_t dur)
{
	struct loop_block b = {start, dur};
	RING_PUSH(l->block_idx, l->blocks, LOOP_BLOCK_RING, b);
}

bool loop_block_pop(struct loop *l, struct loop_block *out)
{
	RING_POP(l->block_idx, l->blocks, LOOP_BLOCK_RING, out);
}

bool loop_gc_push(struct loop *l, const struct gc_event *e)
{
	RING_PUSH(l->gc_idx, l->gc, LOOP_GC_RING, *e);
}

bool loop_gc_pop(struct loop *l, struct gc_event *out)
{
	RING_POP(l->gc_idx, l->gc, LOOP_GC_RING, out);
}
