/* The probes of one recording (probeset.h): one start, one way of reading them from the libuv
 * loop, one finish, for run and attach alike. */
#include "collector/record/probeset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/record/probe_loop.h"
#include "collector/symbols/symbolize.h"
#include "collector/util/clock.h"
#include "collector/util/errbuf.h"

#define LOOP_TICK_MS 100 /* the loop probe's intervals */
#define CPU_DRAIN_MS 250 /* the sample stream alone */

int probeset_start(struct probeset *ps, uv_loop_t *loop, const struct probeset_opts *o, char *err, size_t errlen)
{
	memset(ps, 0, sizeof(*ps));
	ps->loop = loop;
	ps->o = *o;
	if (o->loops) {
		struct loop_probe_opts lo = {(uint64_t)o->block_ms * 1000000u, (uint64_t)o->interval_ms * 1000000u, o->dir};
		int rc = loop_probe_start(&ps->lp, &lo, err, errlen);
		if (rc < 0) {
			ps->lp = NULL;
			return rc;
		}
	}
	struct cpu_probe_opts po = {.hz = o->hz, .offcpu = o->offcpu};
	ps->sym = symbolizer_new();
	if (!ps->sym) {
		errbuf_printf(ps->cpu_err, sizeof(ps->cpu_err), "out of memory");
		return 0;
	}
	if (cpu_probe_start(&ps->cpu, &po, ps->sym, ps->cpu_err, sizeof(ps->cpu_err)) < 0)
		ps->cpu = NULL;
	return 0;
}

void probeset_describe(const struct probeset *ps, char *out, size_t len)
{
	snprintf(out, len, "eBPF probes: CPU at %u Hz%s%s", ps->o.hz, ps->o.offcpu ? ", off-CPU" : "",
		 ps->lp ? ", event loops (epoll)" : "");
}

void probeset_prepare_pid(struct probeset *ps, pid_t pid)
{
	if (ps->lp)
		loop_probe_prepare_pid(ps->lp, pid);
}

int probeset_add_pid(struct probeset *ps, pid_t pid)
{
	if (ps->lp)
		loop_probe_add_pid(ps->lp, pid);
	return ps->cpu ? cpu_probe_add_pid(ps->cpu, pid) : 0;
}

int probeset_add_child(struct probeset *ps, pid_t pid)
{
	if (ps->lp)
		loop_probe_add_pid(ps->lp, pid);
	return ps->cpu ? cpu_probe_add_child(ps->cpu, pid) : 0;
}

bool probeset_traced(struct probeset *ps, pid_t pid)
{
	return ps->cpu && cpu_probe_traced(ps->cpu, pid);
}

static void on_cpu_events(uv_poll_t *h, int status, int events)
{
	struct probeset *ps = h->data;
	(void)status;
	(void)events;
	cpu_probe_poll(ps->cpu);
}

static void on_loop_events(uv_poll_t *h, int status, int events)
{
	struct probeset *ps = h->data;
	(void)status;
	(void)events;
	loop_probe_poll(ps->lp);
}

static void on_tick(uv_timer_t *t)
{
	struct probeset *ps = t->data;
	if (ps->lp)
		loop_probe_tick(ps->lp);
	if (ps->cpu) /* samples wake us only in bulk */
		cpu_probe_poll(ps->cpu);
}

void probeset_watch(struct probeset *ps)
{
	if (ps->watching || (!ps->cpu && !ps->lp))
		return;
	ps->watching = true;
	if (ps->lp) {
		uv_poll_init(ps->loop, &ps->loop_poll, loop_probe_fd(ps->lp));
		ps->loop_poll.data = ps;
		uv_poll_start(&ps->loop_poll, UV_READABLE, on_loop_events);
	}
	if (ps->cpu) {
		uv_poll_init(ps->loop, &ps->cpu_poll, cpu_probe_fd(ps->cpu));
		ps->cpu_poll.data = ps;
		uv_poll_start(&ps->cpu_poll, UV_READABLE, on_cpu_events);
	}
	uv_timer_init(ps->loop, &ps->tick);
	ps->tick.data = ps;
	unsigned ms = ps->lp ? LOOP_TICK_MS : CPU_DRAIN_MS;
	uv_timer_start(&ps->tick, on_tick, ms, ms);
}

void probeset_unwatch(struct probeset *ps)
{
	if (!ps->watching)
		return;
	ps->watching = false;
	if (ps->lp)
		uv_close((uv_handle_t *)&ps->loop_poll, NULL);
	if (ps->cpu)
		uv_close((uv_handle_t *)&ps->cpu_poll, NULL);
	uv_close((uv_handle_t *)&ps->tick, NULL);
}

static void debug_stats(const struct probeset *ps, uint64_t t0)
{
	if (ps->lp) {
		struct loop_probe_stats st;
		loop_probe_get_stats(ps->lp, &st);
		fprintf(stderr, "loopscope: loop probe: %llu events (%llu lost), %llu loops in %llu processes\n",
			(unsigned long long)st.events, (unsigned long long)st.lost, (unsigned long long)st.loops,
			(unsigned long long)st.processes);
	}
	if (ps->cpu) {
		struct cpu_probe_stats st;
		cpu_probe_get_stats(ps->cpu, &st);
		fprintf(stderr,
			"loopscope: probes: %llu samples (%llu streamed, %llu lost; %llu interrupts outside the target; "
			"%llu tasks given an event late) named, folded and written in %.1f ms\n",
			(unsigned long long)st.samples, (unsigned long long)st.streamed, (unsigned long long)st.lost_events,
			(unsigned long long)st.foreign, (unsigned long long)st.resampled, (mono_now_ns() - t0) / 1e6);
	}
}

int probeset_finish(struct probeset *ps, const char *dir, char *err, size_t errlen)
{
	uint64_t t0 = mono_now_ns();
	int rc = 0;

	probeset_unwatch(ps);
	if (ps->lp)
		ps->loops_end = loop_probe_finish(ps->lp);
	if (ps->cpu) {
		cpu_probe_crashed(ps->cpu, &ps->crash);
		rc = cpu_probe_finish(ps->cpu, dir, err, errlen);
	}
	if (getenv("LOOPSCOPE_DEBUG")) /* a developer's figures, not a message of the command */
		debug_stats(ps, t0);
	if (ps->lp)
		loop_probe_free(ps->lp);
	ps->lp = NULL;
	cpu_probe_free(ps->cpu);
	ps->cpu = NULL;
	if (ps->sym)
		symbolizer_free(ps->sym);
	ps->sym = NULL;
	return rc;
}
