// SPDX-License-Identifier: GPL-2.0
/* Uprobes for what the event loop cannot show by itself: V8's GC pauses (entry and return of the
 * heap's collection function, and the collector it picks) and libuv's thread pool (a task's
 * submission, the start and end of its work function). The collector attaches them per process
 * (collector/record/probe_node.c) by symbol; each writes one small event into the loop probe's ring, whose
 * maps replace these at load, and pairs nothing itself: user space does. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "loop_maps.bpf.h"
#include "node.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline int node_event(__u16 kind, int arg, __u64 ptr, __u64 ptr2)
{
	struct node_event *e;
	__u32 tid, pid = target_pid(&tid);

	if (!pid)
		return 0;
	e = event_reserve(sizeof(*e), pid, tid, kind);
	if (!e)
		return 0;
	e->h.arg = arg;
	e->ptr = ptr;
	e->ptr2 = ptr2;
	event_submit(e, false);
	return 0;
}

/* v8::internal::Heap::CollectGarbage(this, AllocationSpace space, GarbageCollectionReason,
 * GCCallbackFlags): the main thread's pause, callbacks included. */
SEC("uprobe")
int BPF_KPROBE(gc_enter)
{
	return node_event(NODE_EV_GC_ENTER, (int)PT_REGS_PARM2(ctx), 0, PT_REGS_PARM4(ctx));
}

SEC("uretprobe")
int BPF_KRETPROBE(gc_exit)
{
	return node_event(NODE_EV_GC_EXIT, 0, 0, 0);
}

/* v8::internal::Heap::PerformGarbageCollection(this, GarbageCollector collector, ...): which
 * collection the pause runs. */
SEC("uprobe")
int BPF_KPROBE(gc_type)
{
	return node_event(NODE_EV_GC_TYPE, (int)PT_REGS_PARM2(ctx), 0, 0);
}

/* uv__work_submit(loop, struct uv__work *w, enum uv__work_kind kind, work, done). */
SEC("uprobe")
int BPF_KPROBE(pool_submit)
{
	return node_event(NODE_EV_POOL_SUBMIT, (int)PT_REGS_PARM3(ctx), PT_REGS_PARM2(ctx), 0);
}

/* uv_queue_work(loop, uv_work_t *req, uv_work_cb work_cb, after_work_cb) of a shared libuv. */
SEC("uprobe")
int BPF_KPROBE(pool_queue_work)
{
	return node_event(NODE_EV_POOL_QUEUE_WORK, 0, PT_REGS_PARM2(ctx), PT_REGS_PARM3(ctx));
}

/* A work function (uv__fs_work, uv__queue_work ... or a uv_queue_work work_cb): its first argument
 * is the submitted uv__work (uv_work_t for a work_cb). */
SEC("uprobe")
int BPF_KPROBE(pool_work_start)
{
	return node_event(NODE_EV_POOL_START, 0, PT_REGS_PARM1(ctx), 0);
}

SEC("uretprobe")
int BPF_KRETPROBE(pool_work_end)
{
	return node_event(NODE_EV_POOL_END, 0, 0, 0);
}
