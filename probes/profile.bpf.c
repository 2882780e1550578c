// SPDX-License-Identifier: GPL-2.0
/* CPU sampler: runs on a software-clock perf event on each CPU; for threads of the target process
 * tree it counts (pid, tid, user stack, kernel stack) and streams a timestamped event per sample.
 * The process tree is followed in the kernel: a fork of a traced process is traced too. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "profile.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before load. trace_all: sample every process (system-wide profile). */
const volatile bool trace_all = false;
const volatile bool stream_events = true;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PROFILE_MAX_PIDS);
	__type(key, __u32); /* tgid */
	__type(value, __u8);
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, PROFILE_MAX_STACKS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, PROFILE_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

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

/* Counters the loader reads: [0] samples, [1] events dropped (ring full), [2] counts map full. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void stat_add(__u32 i)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &i);
	if (v)
		*v += 1;
}

SEC("perf_event")
int profile_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32, tid = (__u32)id;
	struct profile_key key = {};
	__u64 one = 1, *count;

	if (!pid)
		return 0; /* idle task */
	if (!trace_all && !bpf_map_lookup_elem(&targets, &pid))
		return 0;

	key.pid = pid;
	key.tid = tid;
	key.user_stack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	key.kern_stack_id = bpf_get_stackid(ctx, &stacks, 0);
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	stat_add(0);

	count = bpf_map_lookup_elem(&counts, &key);
	if (count)
		__sync_fetch_and_add(count, 1);
	else if (bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST))
		stat_add(2);

	if (stream_events) {
		struct profile_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (!e) {
			stat_add(1);
			return 0;
		}
		e->ts = bpf_ktime_get_ns();
		e->pid = pid;
		e->tid = tid;
		e->user_stack_id = key.user_stack_id;
		e->kern_stack_id = key.kern_stack_id;
		e->cpu = bpf_get_smp_processor_id();
		e->pad = 0;
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}

/* Follow the process tree: a child of a traced process is traced. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(profile_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ppid = BPF_CORE_READ(parent, tgid), cpid = BPF_CORE_READ(child, tgid);
	__u8 one = 1;

	if (ppid != cpid && bpf_map_lookup_elem(&targets, &ppid))
		bpf_map_update_elem(&targets, &cpid, &one, BPF_ANY);
	return 0;
}
