// SPDX-License-Identifier: GPL-2.0
/* CPU sampler: runs on software-clock perf events opened on the target's threads (inherited by the
 * threads and processes they create, so it fires only while the tree runs); it counts (pid, tid,
 * user stack, kernel stack) and streams a timestamped event per sample.
 * The process tree is followed in the kernel (a fork of a traced process is traced too); forks,
 * execs and exits are streamed so user space re-reads a process's mappings when its image changes,
 * and a task of the tree left without a sampling event is streamed so user space opens one. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "common.bpf.h"
#include "profile.h"

char LICENSE[] SEC("license") = "GPL";

TARGETS_MAP(PROFILE_MAX_PIDS);

STACKS_MAP(PROFILE_MAX_STACKS, PROFILE_STACK_DEPTH);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PROFILE_MAX_STACKS);
	__type(key, struct profile_key);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, PROFILE_RINGBUF_BYTES);
} events SEC(".maps");

STATS_MAP(PROFILE_STATS)

static __always_inline void emit_code(__u32 type, __u32 pid, __u32 tid, __s32 ustack, __s32 kstack, __u32 code)
{
	struct profile_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_add(PROFILE_STAT_LOST_EVENTS);
		return;
	}
	e->ts = bpf_ktime_get_ns();
	e->pid = pid;
	e->tid = tid;
	e->user_stack_id = ustack;
	e->kern_stack_id = kstack;
	e->cpu = bpf_get_smp_processor_id();
	e->type = type;
	e->exit_code = code;
	e->pad = 0;
	if (type == PROFILE_EXIT)
		bpf_get_current_comm(e->comm, sizeof(e->comm)); /* sched_process_exit runs in the exiting task */
	else
		e->comm[0] = 0;
	bpf_ringbuf_submit(e, type != PROFILE_SAMPLE ||
				      bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= PROFILE_WAKEUP_BYTES
			      ? BPF_RB_FORCE_WAKEUP
			      : BPF_RB_NO_WAKEUP);
}

static __always_inline void emit(__u32 type, __u32 pid, __u32 tid, __s32 ustack, __s32 kstack)
{
	emit_code(type, pid, tid, ustack, kstack, 0);
}

SEC("perf_event")
int profile_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32, tid = (__u32)id;
	struct profile_key key = {};
	__u64 one = 1, *count;

	if (!pid)
		return 0; /* the idle task */
	if (!bpf_map_lookup_elem(&targets, &pid)) {
		stat_add(PROFILE_STAT_FOREIGN);
		return 0;
	}

	key.pid = pid;
	key.tid = tid;
	key.user_stack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	key.kern_stack_id = bpf_get_stackid(ctx, &stacks, 0);
	/* -EFAULT (14): no user stack at all (a kernel thread); anything else is a lost stack */
	if (key.user_stack_id < 0 && key.user_stack_id != -14)
		stat_add(PROFILE_STAT_LOST_STACKS);
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	stat_add(PROFILE_STAT_SAMPLES);

	count = bpf_map_lookup_elem(&counts, &key);
	if (count)
		__sync_fetch_and_add(count, 1);
	else if (bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST))
		stat_add(PROFILE_STAT_COUNTS_FULL);

	emit(PROFILE_SAMPLE, pid, tid, key.user_stack_id, key.kern_stack_id);
	return 0;
}

/* Kernels before 6.2 kept one perf context per kind (hardware, software); ours are software. */
struct task_struct___pre62 {
	struct perf_event_context *perf_event_ctxp[2];
} __attribute__((preserve_access_index));

/* Whether the task has perf events: every task of the tree inherits ours, except one created by a
 * thread that had none, or one whose exec dropped them (perf_event_exit_task when the exec makes
 * the process undumpable). */
static __always_inline bool has_perf_events(struct task_struct *t)
{
	if (bpf_core_field_size(t->perf_event_ctxp) == sizeof(void *))
		return BPF_CORE_READ(t, perf_event_ctxp) != NULL;
	return BPF_CORE_READ((struct task_struct___pre62 *)t, perf_event_ctxp[1]) != NULL;
}

/* Follow the process tree: a child of a traced process is traced. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(profile_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ppid = BPF_CORE_READ(parent, tgid), cpid = BPF_CORE_READ(child, tgid);
	__u8 one = 1;

	if (!bpf_map_lookup_elem(&targets, &ppid))
		return 0;
	if (ppid != cpid) {
		bpf_map_update_elem(&targets, &cpid, &one, BPF_ANY);
		emit(PROFILE_FORK, cpid, ppid, -1, -1);
	}
	if (!has_perf_events(child))
		emit(PROFILE_UNSAMPLED, cpid, BPF_CORE_READ(child, pid), -1, -1);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(profile_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 pid = BPF_CORE_READ(p, tgid);

	if (!bpf_map_lookup_elem(&targets, &pid))
		return 0;
	emit(PROFILE_EXEC, pid, pid, -1, -1);
	if (!has_perf_events(p))
		emit(PROFILE_UNSAMPLED, pid, pid, -1, -1);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(profile_exit, struct task_struct *p)
{
	__u32 pid = BPF_CORE_READ(p, tgid), tid = BPF_CORE_READ(p, pid);

	if (pid == tid && bpf_map_lookup_elem(&targets, &pid))
		emit_code(PROFILE_EXIT, pid, tid, -1, -1, BPF_CORE_READ(p, exit_code));
	return 0;
}
