/* BPF side, shared by loop.bpf.c and node.bpf.c: the target process tree, the one event ring and
 * the counters. node.bpf.c's copies are replaced by loop.bpf.c's maps before load
 * (bpf_map__reuse_fd), so both programs write one ring and each thread's events stay in order. */
#ifndef LOOPSCOPE_PROBES_LOOP_MAPS_BPF_H
#define LOOPSCOPE_PROBES_LOOP_MAPS_BPF_H

#include "common.bpf.h"
#include "loop.h"

/* Processes (tgid) whose threads we follow. */
TARGETS_MAP(LOOP_MAX_PIDS);

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, LOOP_RINGBUF_BYTES);
} events SEC(".maps");

STATS_MAP(LOOP_STATS)

/* Events lost per process (tgid): the collector reports them in that process's drops record. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LOOP_MAX_PIDS);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* The current thread's process when it is a target, else 0. */
static __always_inline __u32 target_pid(__u32 *tid)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32;

	*tid = (__u32)id;
	return bpf_map_lookup_elem(&targets, &pid) ? pid : 0;
}

/* Room for an event of `size` bytes with its header filled in, or NULL (counted as lost). */
static __always_inline void *event_reserve(__u64 size, __u32 pid, __u32 tid, __u16 kind)
{
	struct loop_event *h = bpf_ringbuf_reserve(&events, size, 0);

	if (!h) {
		__u64 one = 1, *n = bpf_map_lookup_elem(&lost, &pid);
		if (n)
			__sync_fetch_and_add(n, 1);
		else
			bpf_map_update_elem(&lost, &pid, &one, BPF_NOEXIST);
		stat_add(LOOP_STAT_LOST);
		return NULL;
	}
	h->ts = bpf_ktime_get_ns();
	h->pid = pid;
	h->tid = tid;
	h->kind = kind;
	h->flags = 0;
	h->arg = 0;
	return h;
}

/* Send; wake the reader only when much waits, or when asked (rare process events). */
static __always_inline void event_submit(void *e, bool wake)
{
	__u64 flags = wake || bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= LOOP_WAKEUP_BYTES
			      ? BPF_RB_FORCE_WAKEUP
			      : BPF_RB_NO_WAKEUP;
	stat_add(LOOP_STAT_EVENTS);
	bpf_ringbuf_submit(e, flags);
}

#endif
