// SPDX-License-Identifier: GPL-2.0
/* Off-CPU time: when a thread of the target tree is switched out, its stacks and the time are
 * kept; when it is switched in again, the time in between is added to (thread, stacks). Waiting in
 * the run queue counts as off CPU too (a preempted thread is off CPU). Follows forks like profile. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "common.bpf.h"
#include "offcpu.h"

char LICENSE[] SEC("license") = "GPL";

/* Switches shorter than this are not worth a map update (ns); set by the loader. */
const volatile __u64 min_ns = 1000;

TARGETS_MAP(OFFCPU_MAX_PIDS);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OFFCPU_MAX_THREADS);
	__type(key, __u32); /* tid */
	__type(value, struct offcpu_start);
} starts SEC(".maps");

STACKS_MAP(OFFCPU_MAX_STACKS, OFFCPU_STACK_DEPTH);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OFFCPU_MAX_STACKS);
	__type(key, struct offcpu_key);
	__type(value, __u64);
} times SEC(".maps");

/* Whether t, switching out of its own accord (not preempted), sleeps in an epoll wait. */
static __always_inline bool waits_in_epoll(struct task_struct *t, bool preempt)
{
	if (preempt)
		return false;
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(t);
	long nr = BPF_CORE_READ(regs, orig_ax);
	return is_epoll_wait(nr);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(offcpu_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 prev_pid = BPF_CORE_READ(prev, tgid), next_pid = BPF_CORE_READ(next, tgid);
	__u32 prev_tid = BPF_CORE_READ(prev, pid), next_tid = BPF_CORE_READ(next, pid);
	bool prev_ours = prev_pid && bpf_map_lookup_elem(&targets, &prev_pid);
	bool next_ours = next_pid && bpf_map_lookup_elem(&targets, &next_pid);

	/* Most switches on a busy machine are other processes': nothing more (not even the clock). */
	if (!prev_ours && !next_ours)
		return 0;
	__u64 now = bpf_ktime_get_ns();

	/* prev is still current here: its stacks are the ones it switched out with. */
	if (prev_ours) {
		struct offcpu_start st = {.ts = now};
		if (waits_in_epoll(prev, preempt)) {
			st.user_stack_id = st.kern_stack_id = OFFCPU_STACK_EPOLL_WAIT;
		} else {
			st.user_stack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
			st.kern_stack_id = bpf_get_stackid(ctx, &stacks, OFFCPU_KSTACK_SKIP & BPF_F_SKIP_FIELD_MASK);
		}
		BPF_CORE_READ_STR_INTO(&st.comm, prev, comm);
		bpf_map_update_elem(&starts, &prev_tid, &st, BPF_ANY);
	}
	if (!next_ours)
		return 0;
	struct offcpu_start *st = bpf_map_lookup_elem(&starts, &next_tid);
	if (!st)
		return 0;
	__u64 delta = now - st->ts;
	if (delta >= min_ns) {
		struct offcpu_key key = {.pid = next_pid, .tid = next_tid,
					 .user_stack_id = st->user_stack_id, .kern_stack_id = st->kern_stack_id};
		__builtin_memcpy(key.comm, st->comm, sizeof(key.comm));
		__u64 *t = bpf_map_lookup_elem(&times, &key);
		if (t)
			__sync_fetch_and_add(t, delta);
		else
			bpf_map_update_elem(&times, &key, &delta, BPF_NOEXIST);
	}
	bpf_map_delete_elem(&starts, &next_tid);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(offcpu_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ppid = BPF_CORE_READ(parent, tgid), cpid = BPF_CORE_READ(child, tgid);
	__u8 one = 1;

	if (ppid != cpid && bpf_map_lookup_elem(&targets, &ppid))
		bpf_map_update_elem(&targets, &cpid, &one, BPF_ANY);
	return 0;
}
