/* The agent's own thread, and the library's life: load (constructor), fork, exit (destructor).
 * The thread starts on first need, never before (a process that never polls gets no thread and no
 * file). Every tick it runs the watchdog and samples the thread pool; every interval it turns what
 * the hooks recorded into records and flushes them. Signals are blocked in it: the target's
 * signals go to the target's threads. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/loop.h"
#include "agent/metrics.h"
#include "agent/native_heap.h"
#include "agent/pool.h"
#include "agent/records.h"
#include "agent/v8.h"
#include "agent/watchdog.h"
#include "agent/writer.h"

#define HIST_EVERY_INTERVALS 10 /* cumulative histograms once a second at the default interval */

void epoll_hooks_init(void);

static struct {
	int started; /* 0 no, 1 yes (or starting), 2 could not start */
	int stop;
	pid_t pid; /* the process that started it: a fork child has none */
	pthread_t thread;
	uint64_t intervals;
	uint64_t next_interval;
	uint64_t drops_written[DROP_KINDS];
	uint32_t exec_req, exec_done; /* an exec asks for the last records (agent_before_exec) */
} agent;

static struct hist scratch_hist;

bool agent_thread_running(void)
{
	return __atomic_load_n(&agent.started, __ATOMIC_ACQUIRE) == 1 && agent.pid == getpid();
}

static void write_hist(const char *name, uint32_t loop_id, const struct hist *h)
{
	struct rec *r = rec_begin("hist", agent_now());
	rec_str(r, "name", name);
	if (loop_id)
		rec_u64(r, "loop", loop_id);
	RECORD_WRITE(HIST_RECORD_FIELDS, rec, r, h);
	rec_raw(r, "buckets", "[");
	bool first = true;
	for (unsigned b = 0; b < HIST_BUCKETS; b++) {
		if (!h->counts[b])
			continue;
		rec_rawf(r, "%s[%u,%llu]", first ? "" : ",", b, (unsigned long long)h->counts[b]);
		first = false;
	}
	rec_raw(r, NULL, "]");
	rec_end(r);
}

/* Cumulative histograms: the collector keeps the last of each. */
void agent_write_hist(const char *name, uint32_t loop_id, const struct hist *live)
{
	hist_snapshot(&scratch_hist, live);
	if (scratch_hist.count)
		write_hist(name, loop_id, &scratch_hist);
}

static void announce_loop(struct loop *l)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", (int)l->tid);
	l->agent.name[0] = 0;
	if ((f = fopen(path, "re"))) {
		if (fgets(l->agent.name, sizeof(l->agent.name), f))
			l->agent.name[strcspn(l->agent.name, "\n")] = 0;
		fclose(f);
	}
	struct loop_view v;
	loop_read(l, &v);
	l->agent.last_ts = v.first_ts;
	struct loop_record lr = {l->tid, l->epfd, l->agent.name, l->tid == getpid()};
	struct rec *r = rec_begin("loop", v.first_ts);
	rec_u64(r, "loop", l->id);
	RECORD_WRITE(LOOP_RECORD_FIELDS, rec, r, &lr);
	rec_end(r);
	l->agent.announced = true;
}

static void write_block(const struct loop *l, uint64_t ts, const struct block_record *b)
{
	struct rec *r = rec_begin("block", ts);
	rec_u64(r, "loop", l->id);
	RECORD_WRITE(BLOCK_RECORD_FIELDS, rec, r, b);
	rec_end(r);
}

static void drain_events(struct loop *l)
{
	struct loop_block b;
	struct gc_event g;
	struct v8_heap heap;

	while (loop_block_pop(l, &b)) {
		write_block(l, b.start + b.dur, &(struct block_record){b.start, b.dur, false});
		if (metrics_on())
			metrics_loop_block(l, b.dur);
	}
	while (loop_gc_pop(l, &g)) {
		struct gc_record gr = {g.start, g.dur, v8_gc_type_name(g.type), g.flags};
		if (metrics_on())
			metrics_loop_gc(l, gr.kind, g.dur);
		struct rec *r = rec_begin("gc", g.start + g.dur);
		rec_u64(r, "loop", l->id);
		RECORD_WRITE(GC_RECORD_FIELDS, rec, r, &gr);
		rec_end(r);
	}
	if (v8_heap_read(l, &heap) && heap.ts != l->agent.last_heap_ts) {
		if (metrics_on())
			metrics_loop_heap(l, &heap);
		l->agent.last_heap_ts = heap.ts;
		struct rec *r = rec_begin("heap", heap.ts);
		rec_u64(r, "loop", l->id);
		RECORD_WRITE(HEAP_RECORD_FIELDS, rec, r, &heap);
		rec_end(r);
	}
}

/* One loop's figures for the interval that ends now. */
static void loop_interval(struct loop *l, uint64_t now, bool final)
{
	static struct hist scratch[2];
	struct loop_interval iv;

	loop_interval_take(l, now, scratch, &iv);
	if (iv.dropped_blocks)
		__atomic_fetch_add(&agent_drops[DROP_BLOCKS], iv.dropped_blocks, __ATOMIC_RELAXED);
	struct rec *r = rec_begin("interval", now);
	rec_u64(r, "loop", l->id);
	RECORD_WRITE(INTERVAL_RECORD_FIELDS, rec, r, &iv);
	rec_end(r);
	if (metrics_on())
		metrics_loop_interval(l, &iv, now);
	drain_events(l);

	if (final && iv.busy_now && now - iv.busy_start >= l->params.block_ns) /* still under way at the end */
		write_block(l, now, &(struct block_record){iv.busy_start, now - iv.busy_start, true});
}

static void write_loop_hists(struct loop *l)
{
	agent_write_hist("busy", l->id, &l->busy);
	agent_write_hist("delay", l->id, &l->delay);
	agent_write_hist("gc_pause", l->id, &l->gc_pause);
}

/* Time the process's threads spent runnable but waiting for a CPU (sum over live threads of
 * /proc/self/task/TID/schedstat's second field): what tells CPU contention from waiting on I/O. */
static uint64_t run_delay_ns(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	uint64_t total = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[64], buf[128];
		unsigned long long cpu, delay;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%.16s/schedstat", e->d_name);
		if (read_small_file(path, buf, sizeof(buf)) > 0 && sscanf(buf, "%llu %llu", &cpu, &delay) == 2)
			total += delay;
	}
	closedir(d);
	return total;
}

static void write_proc(uint64_t now)
{
	struct rusage ru;
	char buf[128];
	unsigned long long size = 0, resident = 0;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return;
	if (read_small_file("/proc/self/statm", buf, sizeof(buf)) <= 0 || sscanf(buf, "%llu %llu", &size, &resident) != 2)
		resident = 0;
	struct proc_record pr = {
		.utime = (uint64_t)ru.ru_utime.tv_sec * 1000000000u + (uint64_t)ru.ru_utime.tv_usec * 1000u,
		.stime = (uint64_t)ru.ru_stime.tv_sec * 1000000000u + (uint64_t)ru.ru_stime.tv_usec * 1000u,
		.rss = resident * (uint64_t)sysconf(_SC_PAGESIZE),
		.run_delay = run_delay_ns(),
	};
	if (metrics_on())
		metrics_proc(pr.utime + pr.stime, pr.rss);
	struct rec *r = rec_begin("proc", now);
	RECORD_WRITE(PROC_RECORD_FIELDS, rec, r, &pr);
	rec_end(r);
}

static void write_drops_if_changed(uint64_t now, bool force)
{
	static const char *const names[DROP_KINDS] = AGENT_DROP_NAMES;
	uint64_t d[DROP_KINDS];

	for (int k = 0; k < DROP_KINDS; k++)
		d[k] = __atomic_load_n(&agent_drops[k], __ATOMIC_RELAXED);
	if (!force && memcmp(d, agent.drops_written, sizeof(d)) == 0)
		return;
	memcpy(agent.drops_written, d, sizeof(d));
	struct rec *r = rec_begin("drops", now);
	for (int k = 0; k < DROP_KINDS; k++)
		rec_u64(r, names[k], d[k]);
	rec_end(r);
}

/* The "v8" record: once when V8 is found, and once more if heap figures get refused (a layout
 * that fails its check is only found out at the first read). */
static void write_runtime(uint64_t now)
{
	static const char *written_refusal;
	static bool written;
	const char *version = v8_version();
	if (!version || (written && v8_heap_refusal() == written_refusal))
		return;
	written = true;
	written_refusal = v8_heap_refusal();
	struct rec *r = rec_begin("v8", now);
	rec_str(r, "version", version);
	if (v8_heap_refusal())
		rec_str(r, "heap_refused", v8_heap_refusal());
	rec_end(r);
}

/* Everything for the interval ending now; final: the process is ending. */
static void write_interval(uint64_t now, bool final)
{
	bool hists = final || ++agent.intervals % HIST_EVERY_INTERVALS == 0;

	for (unsigned i = 0, n = loop_slots_touched(); i < n; i++) {
		struct loop *l = &agent_loops[i];
		int st = __atomic_load_n(&l->slot_state, __ATOMIC_ACQUIRE);
		if ((st != SLOT_ACTIVE && st != SLOT_DEAD) || !l->agent.announced)
			continue;
		loop_interval(l, now, final);
		if (hists || st == SLOT_DEAD)
			write_loop_hists(l);
		if (st == SLOT_DEAD) {
			struct rec *r = rec_begin("loop_end", now);
			rec_u64(r, "loop", l->id);
			rec_end(r);
			if (metrics_on())
				metrics_loop_gone(l);
			loop_slot_recycle(l);
		}
	}
	pool_write_interval(now, hists);
	write_runtime(now);
	if (hists)
		native_heap_write(now, final);
	write_proc(now);
	write_drops_if_changed(now, final);
	writer_flush();
	metrics_publish(now);
}

static void recycle_stale(void)
{
	for (unsigned i = 0, n = loop_slots_touched(); i < n; i++)
		if (__atomic_load_n(&agent_loops[i].slot_state, __ATOMIC_ACQUIRE) == SLOT_STALE)
			loop_slot_recycle(&agent_loops[i]);
}

/* New loops get their "loop" record at once, flushed: an exec (which runs no destructor) or a
 * SIGKILL right after must not leave records of a loop that was never announced. */
static void announce_new(void)
{
	bool any = false;
	for (unsigned i = 0, n = loop_slots_touched(); i < n; i++) {
		struct loop *l = &agent_loops[i];
		int st = __atomic_load_n(&l->slot_state, __ATOMIC_ACQUIRE);
		if ((st == SLOT_ACTIVE || st == SLOT_DEAD) && !l->agent.announced) {
			announce_loop(l);
			any = true;
		}
	}
	if (any)
		writer_flush();
}

static void *agent_main(void *arg)
{
	struct timespec wake;
	uint64_t now = agent_now();

	pthread_setname_np(pthread_self(), "loopscope");
	native_heap_exclude_this_thread();
	recycle_stale();
	watchdog_init(); /* first: the process record names the signal it took */
	if (writer_open() < 0) {
		/* Nowhere to write: the hooks keep counting in memory, harmlessly; nobody waits for us. */
		__atomic_store_n(&agent.started, 2, __ATOMIC_RELEASE);
		return NULL;
	}
	pool_discover();
	metrics_start(); /* LOOPSCOPE_METRICS: the endpoint's thread, fed at every interval */
	write_runtime(now);
	agent.next_interval = now + agent_cfg.interval_ns;

	while (!__atomic_load_n(&agent.stop, __ATOMIC_ACQUIRE)) {
		now = agent_now();
		recycle_stale();
		announce_new();
		uint32_t exec_req = __atomic_load_n(&agent.exec_req, __ATOMIC_ACQUIRE);
		if (exec_req != agent.exec_done) {
			write_interval(now, true); /* the image is about to be replaced: all it has */
			agent.next_interval = now + agent_cfg.interval_ns;
			__atomic_store_n(&agent.exec_done, exec_req, __ATOMIC_RELEASE);
		}
		pool_tick(now);
		uint64_t due = watchdog_tick(now);
		if (now >= agent.next_interval) {
			write_interval(now, false);
			agent.next_interval += agent_cfg.interval_ns;
			if (agent.next_interval <= now) /* we slept long (stopped, overloaded): catch up */
				agent.next_interval = now + agent_cfg.interval_ns;
		}
		/* Asleep until something is due: the next interval, a busy span reaching the block
		 * threshold or a block's next stack, the pool's next sample (every 1 ms while it has work),
		 * or at the latest one tick (a loop that turns busy meanwhile is seen before it can
		 * reach the threshold: the tick is never longer than the threshold). */
		uint64_t idle = agent_cfg.tick_ns < agent_cfg.block_ns ? agent_cfg.tick_ns : agent_cfg.block_ns;
		uint64_t next = now + (pool_active() ? POOL_TICK_NS : idle);
		if (next > due)
			next = due;
		if (next > agent.next_interval)
			next = agent.next_interval;
		wake.tv_sec = (time_t)(next / 1000000000u);
		wake.tv_nsec = (long)(next % 1000000000u);
		/* Until the next tick, or until an exec asks for the last records (agent_before_exec). */
		uint32_t seen = __atomic_load_n(&agent.exec_req, __ATOMIC_ACQUIRE);
		if (seen == agent.exec_done)
			syscall(SYS_futex, &agent.exec_req, FUTEX_WAIT_BITSET_PRIVATE, seen, &wake, NULL,
				FUTEX_BITSET_MATCH_ANY);
	}
	now = agent_now();
	announce_new();
	write_interval(now, true);
	struct rec *r = rec_begin("end", now);
	rec_str(r, "reason", "exit");
	rec_end(r);
	writer_flush();
	if (agent_drops[DROP_WRITE_BYTES])
		agent_debug("the disk refused %llu bytes of records", (unsigned long long)agent_drops[DROP_WRITE_BYTES]);
	return NULL;
}

/* On the thread about to exec: the agent thread writes what it has (the interval under way, the
 * histograms, a block still open) before the image is replaced; waits for it at most 100 ms. */
void agent_before_exec(void)
{
	struct timespec pause = {0, 100000};

	if (!agent_thread_running())
		return; /* none, or a vfork child's view of its parent's */
	uint32_t req = __atomic_add_fetch(&agent.exec_req, 1, __ATOMIC_ACQ_REL);
	syscall(SYS_futex, &agent.exec_req, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	uint64_t deadline = agent_now() + 100000000u;
	while (__atomic_load_n(&agent.exec_done, __ATOMIC_ACQUIRE) != req && agent_now() < deadline)
		nanosleep(&pause, NULL);
}

void agent_thread_poke(void)
{
	if (agent_thread_running())
		syscall(SYS_futex, &agent.exec_req, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

void agent_thread_ensure(void)
{
	int expect = 0;
	sigset_t all, old;
	pthread_attr_t attr;

	if (__atomic_load_n(&agent.started, __ATOMIC_ACQUIRE) != 0)
		return;
	if (!__atomic_compare_exchange_n(&agent.started, &expect, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return;
	agent.pid = getpid();
	agent.stop = 0;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256u << 10);
	int rc = pthread_create(&agent.thread, &attr, agent_main, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		__atomic_store_n(&agent.started, 2, __ATOMIC_RELEASE);
}

static void after_fork_child(void)
{
	/* The child has no agent thread: forget the parent's loops, file and pool, start afresh on
	 * its own first loop. Nothing here touches the parent's file. */
	__atomic_store_n(&agent.started, 0, __ATOMIC_RELEASE);
	agent.intervals = 0;
	memset(agent.drops_written, 0, sizeof(agent.drops_written));
	memset(agent_drops, 0, sizeof(agent_drops));
	writer_after_fork_child();
	watchdog_after_fork_child();
	loop_registry_after_fork_child();
	pool_after_fork_child();
	metrics_after_fork_child();
}

__attribute__((constructor)) static void agent_load(void)
{
	agent_config_load();
	epoll_hooks_init();
	if (agent_cfg.disabled)
		return;
	writer_init();
	loop_registry_init();
	v8_init();
	pool_init();
	pthread_atfork(NULL, NULL, after_fork_child);
}

__attribute__((destructor)) static void agent_unload(void)
{
	struct timespec deadline;

	if (!agent_thread_running())
		return;
	/* Let the agent thread write its last records; wait at most a second. */
	__atomic_store_n(&agent.stop, 1, __ATOMIC_RELEASE);
	metrics_stop();
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 1;
	if (pthread_timedjoin_np(agent.thread, NULL, &deadline) == 0)
		__atomic_store_n(&agent.started, 0, __ATOMIC_RELEASE);
}
