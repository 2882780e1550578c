// SPDX-License-Identifier: GPL-2.0
/* Event-loop probe: the entry and exit of every epoll wait (epoll_wait, epoll_pwait, epoll_pwait2) of
 * the threads of the target process tree, streamed in time order; the collector computes the agent's
 * loop figures from them. fentry/fexit on the three system calls costs nothing to other calls (the
 * raw sys_enter/sys_exit tracepoints are the fallback where trampolines are missing). The tree is
 * followed in the kernel (fork); exec and exit go to user space. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "loop_maps.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define MS_MAX 0x7fffffff

/* epoll_pwait2's timeout in ms, rounded up as epoll_wait's would be; NULL waits forever. */
static __always_inline int timespec_ms(const void *uts)
{
	struct __kernel_timespec ts;
	__u64 ms;

	if (!uts)
		return -1;
	if (bpf_probe_read_user(&ts, sizeof(ts), uts) < 0)
		return 1; /* unreadable: the call will fail or wait; either way not a zero-timeout poll */
	if (ts.tv_sec < 0 || ts.tv_nsec < 0)
		return 1;
	if (ts.tv_sec == 0 && ts.tv_nsec == 0)
		return 0;
	if ((__u64)ts.tv_sec > MS_MAX / 1000)
		return MS_MAX;
	ms = (__u64)ts.tv_sec * 1000 + ((__u64)ts.tv_nsec + 999999) / 1000000;
	return ms > MS_MAX ? MS_MAX : (int)ms;
}

static __always_inline int poll_enter(const struct pt_regs *regs, int nr)
{
	struct loop_poll_event *e;
	__u32 tid, pid = target_pid(&tid);

	if (!pid)
		return 0;
	e = event_reserve(sizeof(*e), pid, tid, LOOP_EV_POLL_ENTER);
	if (!e)
		return 0;
	e->h.arg = (int)PT_REGS_PARM1_CORE_SYSCALL(regs);
	if (nr == NR_EPOLL_PWAIT2)
		e->timeout_ms = timespec_ms((const void *)PT_REGS_PARM4_CORE_SYSCALL(regs));
	else
		e->timeout_ms = (int)PT_REGS_PARM4_CORE_SYSCALL(regs);
	e->sp = (__u32)BPF_CORE_READ(regs, sp);
	event_submit(e, false);
	return 0;
}

static __always_inline int poll_exit(const struct pt_regs *regs, long ret)
{
	struct loop_poll_exit *e;
	__u32 tid, pid = target_pid(&tid);

	if (!pid)
		return 0;
	e = event_reserve(sizeof(*e), pid, tid, LOOP_EV_POLL_EXIT);
	if (!e)
		return 0;
	e->h.arg = (int)ret;
	e->epfd = (int)PT_REGS_PARM1_CORE_SYSCALL(regs);
	e->pad = 0;
	event_submit(e, false);
	return 0;
}

/* epoll_wait, epoll_pwait and epoll_pwait2: NAME_enter and NAME_exit, on the system call's entry
 * and return. */
#define EPOLL_PROGS(name, nr)                                                                      \
	SEC("fentry/__x64_sys_" #name)                                                             \
	int BPF_PROG(name##_enter, const struct pt_regs *regs)                                     \
	{                                                                                          \
		return poll_enter(regs, nr);                                                       \
	}                                                                                          \
	SEC("fexit/__x64_sys_" #name)                                                              \
	int BPF_PROG(name##_exit, const struct pt_regs *regs, long ret)                            \
	{                                                                                          \
		return poll_exit(regs, ret);                                                       \
	}

EPOLL_PROGS(epoll_wait, NR_EPOLL_WAIT)
EPOLL_PROGS(epoll_pwait, NR_EPOLL_PWAIT)
EPOLL_PROGS(epoll_pwait2, NR_EPOLL_PWAIT2)

/* Fallback (not loaded unless fentry is refused): every system call passes here, so filter on the
 * number first. */
SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_poll, struct pt_regs *regs, long id)
{
	if (!is_epoll_wait(id))
		return 0;
	return poll_enter(regs, (int)id);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_poll, struct pt_regs *regs, long ret)
{
	long id = BPF_CORE_READ(regs, orig_ax);

	if (!is_epoll_wait(id))
		return 0;
	return poll_exit(regs, ret);
}

/* Follow the process tree: a child process of a target is a target. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(loop_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ppid = BPF_CORE_READ(parent, tgid), cpid = BPF_CORE_READ(child, tgid);
	struct loop_event *e;
	__u8 one = 1;

	if (ppid == cpid || !bpf_map_lookup_elem(&targets, &ppid))
		return 0; /* a new thread, or not ours */
	bpf_map_update_elem(&targets, &cpid, &one, BPF_ANY);
	e = event_reserve(sizeof(*e), ppid, (__u32)BPF_CORE_READ(parent, pid), LOOP_EV_FORK);
	if (!e)
		return 0;
	e->arg = (int)cpid;
	event_submit(e, true);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(loop_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct loop_event *e;
	__u32 tid, pid = target_pid(&tid);

	if (!pid)
		return 0;
	e = event_reserve(sizeof(*e), pid, tid, LOOP_EV_EXEC);
	if (e)
		event_submit(e, true);
	return 0;
}

/* Every thread's exit: its loops end; the last thread's ends the process. The group is dead when
 * signal->live reached 0, which do_exit decrements before this tracepoint. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(loop_exit, struct task_struct *p)
{
	struct loop_event *e;
	__u32 tid, pid = target_pid(&tid);
	bool group_dead;

	if (!pid)
		return 0;
	group_dead = BPF_CORE_READ(p, signal, live.counter) == 0;
	e = event_reserve(sizeof(*e), pid, tid, LOOP_EV_EXIT);
	if (e) {
		e->arg = BPF_CORE_READ(p, exit_code);
		e->flags = group_dead ? LOOP_EXIT_GROUP_DEAD : 0;
		event_submit(e, group_dead);
	}
	if (group_dead)
		bpf_map_delete_elem(&targets, &pid);
	return 0;
}
