/* What run and attach report while they record (collector/record/notice.h), worded: one
 * "loopscope: " line on stderr each. -q leaves out the events that only say things go as asked (the
 * load started, --duration elapsed, a heap snapshot taken or no node to take one of, what attach
 * records, the process exited). */
#include <stdbool.h>
#include <stdio.h>

#include "cli/cli.h"
#include "collector/record/notice.h"

/* The events that only say all goes as asked: -q leaves them out. */
static bool informative(enum record_event ev)
{
	switch (ev) {
	case REC_EV_LOAD_STARTED:
	case REC_EV_ELAPSED:
	case REC_EV_HEAP_TAKEN:
	case REC_EV_HEAP_NO_NODE:
	case REC_EV_ATTACHED:
	case REC_EV_ATTACHED_NO_AGENT:
	case REC_EV_TARGET_GONE:
		return true;
	default:
		return false;
	}
}

static void say_daemonized(const struct record_event_info *e)
{
	char more[128] = "";
	size_t n = 0;

	/* The first eight pids, then "..." */
	for (size_t i = 1; i < e->count && i < 8; i++)
		n += (size_t)snprintf(more + n, sizeof(more) - n, ", %d", (int)e->pids[i]);
	cli_error("the target (pid %d) exited 0 and left %zu process%s running: it daemonized; following pid "
		  "%d%s%s until %s, --duration, the end of --load or Ctrl-C",
		  e->pid, e->count, e->count == 1 ? "" : "es", (int)e->pids[0], more,
		  e->count > 8 ? "..." : "", e->count == 1 ? "it ends" : "they end");
}

static void say(const struct record_event_info *e)
{
	const char *until = e->secs > 0 ? "" : "; Ctrl-C ends the window";

	switch (e->ev) {
	case REC_EV_STATIC:
		cli_error("%s is statically linked: LD_PRELOAD cannot load the agent, so no loop will be recorded "
			  "(the CPU profile still is); for loops, use loopscope attach PID",
			  e->path);
		break;
	case REC_EV_NO_PROBES:
		cli_error("no eBPF probes: %s; recording agent data only", e->text);
		break;
	case REC_EV_LOAD_STARTED:
		cli_error("the target listens on port %u; load started: %s", e->port, e->text);
		break;
	case REC_EV_LOAD_NOT_STARTED:
		cli_error("cannot start the load command: %s", e->text);
		break;
	case REC_EV_LOAD_FAILED:
		cli_error("the load command failed (%s %d); stopping the target", e->sig ? "signal" : "exit status",
			  e->sig ? e->sig : e->status);
		break;
	case REC_EV_PORT_WAIT:
		cli_error("still waiting for the target to listen on a TCP port before the load starts");
		break;
	case REC_EV_ELAPSED:
		cli_error("%.3g s elapsed; stopping the target", e->secs);
		break;
	case REC_EV_HEAP_TAKEN:
		cli_error("heap snapshot of pid %d%s%s%s: %s, %.1f MB; the target paused %.0f ms", e->pid,
			  e->text ? " (" : "", e->text ? e->text : "", e->text ? ")" : "", e->path, (double)e->count / 1e6,
			  e->secs * 1000);
		break;
	case REC_EV_HEAP_FAILED:
		cli_error("--heap: no snapshot of pid %d: %s", e->pid, e->text);
		break;
	case REC_EV_HEAP_NO_NODE:
		cli_error("--heap: no node process in the target's tree: no V8 heap snapshot (the native heap is sampled)");
		break;
	case REC_EV_STOPPING:
		cli_error("stopping the target and writing the session (Ctrl-C again to kill it)");
		break;
	case REC_EV_KILLING:
		cli_error("stopping now (SIGKILL)");
		break;
	case REC_EV_SIGTERM_SENT:
		cli_error("the target did not stop on SIGINT; sending SIGTERM");
		break;
	case REC_EV_SIGKILL_SENT:
		cli_error("the target did not stop on SIGTERM; sending SIGKILL");
		break;
	case REC_EV_DAEMONIZED:
		say_daemonized(e);
		break;
	case REC_EV_ATTACHED:
		cli_error("recording process %d%s (%zu with the agent; %s)%s", e->pid,
			  e->count > 1 ? " and its children" : "", e->count, e->text, until);
		break;
	case REC_EV_ATTACHED_NO_AGENT:
		cli_error("recording process %d and its children without the agent (%s)%s", e->pid, e->text, until);
		break;
	case REC_EV_TARGET_GONE:
		cli_error("process %d exited; the session ends there", e->pid);
		break;
	case REC_EV_CANNOT_COPY:
		cli_error("cannot copy %s: %s", e->path, e->text);
		break;
	case REC_EV_CANNOT_SAMPLE:
		cli_error("no CPU samples: cannot sample process %d: %s", e->pid, e->text);
		break;
	}
}

static void say_quietly(const struct record_event_info *e)
{
	if (!informative(e->ev))
		say(e);
}

record_notify_fn cli_notifier(bool quiet)
{
	return quiet ? say_quietly : say;
}
