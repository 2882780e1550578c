/* Thread-pool figures common to both ways of seeing the pool: the agent thread samples depth and
 * busy workers (every millisecond while there is work), integrates saturated time, and writes one
 * "pool" record per interval; workers keep their own wait/run histograms, summed when written. */
#include "agent/pool.h"

#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/records.h"
#include "agent/writer.h"

struct pool_state pool;

/* Agent-thread sampling state. */
static struct {
	uint64_t last_ts;
	unsigned queued, busy;
	bool saturated;
	/* this interval */
	unsigned queued_max, busy_max;
	uint64_t saturated_ns, samples, queued_sum, busy_sum;
} smp;

static __thread struct pool_worker *tls_worker;
static struct hist wait_sum, run_sum, scratch;
static uint64_t saturated_total;
static bool hists_summed;

void pool_init(void)
{
}

/* As libuv's init_threads(): an unsigned from atoi ("-1" is huge, so 1024), 0 becomes 1. */
unsigned pool_size_from_env(void)
{
	const char *s = getenv("UV_THREADPOOL_SIZE");
	unsigned n = 4;
	if (s) {
		n = (unsigned)atoi(s);
		if (n == 0)
			n = 1;
		if (n > 1024)
			n = 1024;
	}
	return n;
}

struct pool_worker *pool_worker_self(void)
{
	if (tls_worker)
		return tls_worker;
	for (unsigned i = 0; i < POOL_WORKERS_MAX; i++) {
		int expect = 0;
		if (__atomic_compare_exchange_n(&pool.workers[i].used, &expect, 1, false, __ATOMIC_ACQ_REL,
						 __ATOMIC_RELAXED)) {
			pool.workers[i].tid = agent_gettid();
			tls_worker = &pool.workers[i];
			return tls_worker;
		}
	}
	return NULL;
}

void pool_discover(void)
{
	if (__atomic_load_n(&pool.impl, __ATOMIC_ACQUIRE) == POOL_NONE && pool_node_discover())
		__atomic_store_n(&pool.impl, POOL_IN_BINARY, __ATOMIC_RELEASE);
}

static bool sample(uint64_t now, unsigned *queued, unsigned *busy)
{
	switch (__atomic_load_n(&pool.impl, __ATOMIC_ACQUIRE)) {
	case POOL_SHARED_LIBUV: {
		uint64_t sub = __atomic_load_n(&pool.n.submitted, __ATOMIC_ACQUIRE);
		uint64_t started = __atomic_load_n(&pool.n.started, __ATOMIC_ACQUIRE);
		uint64_t done = __atomic_load_n(&pool.n.done, __ATOMIC_ACQUIRE);
		*queued = sub > started ? (unsigned)(sub - started) : 0;
		*busy = started > done ? (unsigned)(started - done) : 0;
		return true;
	}
	case POOL_IN_BINARY: {
		unsigned size;
		if (!pool_node_sample(now, queued, busy, &size))
			return false;
		if (size)
			pool.size = size;
		return true;
	}
	default:
		return false;
	}
}

void pool_tick(uint64_t now)
{
	unsigned queued, busy;

	if (!sample(now, &queued, &busy))
		return;
	if (smp.last_ts && smp.saturated)
		smp.saturated_ns += now - smp.last_ts;
	smp.last_ts = now;
	smp.queued = queued;
	smp.busy = busy;
	smp.saturated = pool.size && busy >= pool.size && queued > 0;
	if (queued > smp.queued_max)
		smp.queued_max = queued;
	if (busy > smp.busy_max)
		smp.busy_max = busy;
	smp.samples++;
	smp.queued_sum += queued;
	smp.busy_sum += busy;
}

bool pool_active(void)
{
	return smp.queued + smp.busy > 0;
}

static void write_hists(void)
{
	memset(&wait_sum, 0, sizeof(wait_sum));
	memset(&run_sum, 0, sizeof(run_sum));
	for (unsigned i = 0; i < POOL_WORKERS_MAX; i++) {
		if (!__atomic_load_n(&pool.workers[i].used, __ATOMIC_ACQUIRE))
			continue;
		hist_snapshot(&scratch, &pool.workers[i].wait);
		hist_add(&wait_sum, &scratch);
		hist_snapshot(&scratch, &pool.workers[i].run);
		hist_add(&run_sum, &scratch);
	}
	hist_add(&wait_sum, &pool.agent_wait);
	hists_summed = true;
	agent_write_hist("pool_wait", 0, &wait_sum);
	agent_write_hist("pool_run", 0, &run_sum);
}

void pool_write_interval(uint64_t now, bool hists)
{
	int impl = __atomic_load_n(&pool.impl, __ATOMIC_ACQUIRE);
	uint64_t sub = __atomic_load_n(&pool.n.submitted, __ATOMIC_RELAXED);

	if (impl == POOL_NONE || !pool.size)
		return; /* no pool, or one libuv has not started yet (it starts on first use) */
	/* The state since the last sample counts toward this interval. */
	if (smp.last_ts && smp.saturated && now > smp.last_ts) {
		smp.saturated_ns += now - smp.last_ts;
		smp.last_ts = now;
	}
	saturated_total += smp.saturated_ns;
	struct pool_record pr = {
		.impl = impl == POOL_SHARED_LIBUV ? "shared-libuv" : "in-binary",
		.size = pool.size,
		.queued = smp.queued,
		.queued_max = smp.queued_max,
		.busy = smp.busy,
		.busy_max = smp.busy_max,
		.queued_mean = smp.samples ? (double)smp.queued_sum / (double)smp.samples : 0,
		.busy_mean = smp.samples ? (double)smp.busy_sum / (double)smp.samples : 0,
		.saturated = smp.saturated_ns,
		.samples = smp.samples,
		.submitted = sub,
		.started = __atomic_load_n(&pool.n.started, __ATOMIC_RELAXED),
		.done = __atomic_load_n(&pool.n.done, __ATOMIC_RELAXED),
		.unobserved = __atomic_load_n(&pool.n.unobserved, __ATOMIC_RELAXED),
	};
	struct rec *r = rec_begin("pool", now);
	RECORD_WRITE(POOL_RECORD_HEAD, rec, r, &pr);
	RECORD_WRITE(POOL_RECORD_FIELDS, rec, r, &pr);
	rec_end(r);
	smp.queued_max = smp.queued;
	smp.busy_max = smp.busy;
	smp.saturated_ns = smp.samples = smp.queued_sum = smp.busy_sum = 0;
	if (hists)
		write_hists();
}

void pool_after_fork_child(void)
{
	/* The child has no workers (threads do not survive fork); libuv re-creates the pool there.
	 * Only what was written is cleared: the state is megabytes of histograms, and a pre-forking
	 * server's every worker (or a child that is about to exec) would otherwise touch them all. */
	memset(&smp, 0, sizeof(smp));
	saturated_total = 0;
	hists_summed = false;
	int impl = pool.impl;
	for (unsigned i = 0; i < POOL_WORKERS_MAX && pool.workers[i].used; i++)
		memset(&pool.workers[i], 0, sizeof(pool.workers[i]));
	if (pool.agent_wait.count)
		memset(&pool.agent_wait, 0, sizeof(pool.agent_wait));
	memset(&pool, 0, offsetof(struct pool_state, workers));
	if (impl == POOL_IN_BINARY)
		pool.impl = impl;
	tls_worker = NULL;
	pool_node_after_fork_child();
}

void pool_now_read(struct pool_now *out)
{
	int impl = __atomic_load_n(&pool.impl, __ATOMIC_ACQUIRE);

	memset(out, 0, sizeof(*out));
	if (impl == POOL_NONE || !pool.size)
		return;
	out->impl = impl;
	out->size = pool.size;
	out->queued = smp.queued;
	out->busy = smp.busy;
	out->saturated_ns = saturated_total;
	out->submitted = __atomic_load_n(&pool.n.submitted, __ATOMIC_RELAXED);
	out->done = __atomic_load_n(&pool.n.done, __ATOMIC_RELAXED);
	if (hists_summed) {
		out->wait = &wait_sum;
		out->run = &run_sum;
	}
}
