/* Shared between loop.bpf.c, node.bpf.c and the collector (collector/record/probe_loop.c): the events the
 * loop probes stream, their kinds and limits. Every poll call of a thread of the target process tree
 * gives an entry and an exit event; forks, execs and thread exits follow the tree. The collector
 * turns them into the agent's records with the agent's own loop model (agent/loop_stats.c). */
#ifndef LOOPSCOPE_PROBES_LOOP_H
#define LOOPSCOPE_PROBES_LOOP_H

#define LOOP_MAX_PIDS 4096
#define LOOP_RINGBUF_BYTES (8u << 20)
/* The ring wakes its reader only once this much waits (and for process events): at 100 k polls a
 * second, a wake-up per event would cost more than the probes themselves. The reader also drains
 * on its own timer. */
#define LOOP_WAKEUP_BYTES (256u << 10)

enum loop_event_kind {
	LOOP_EV_POLL_ENTER = 1, /* struct loop_poll_event: arg = epfd */
	LOOP_EV_POLL_EXIT = 2,  /* struct loop_poll_exit: arg = return value */
	LOOP_EV_FORK = 3,       /* pid = parent, arg = the child process */
	LOOP_EV_EXEC = 4,       /* pid execs a new program */
	LOOP_EV_EXIT = 5,       /* thread tid exits: arg = exit code, flags LOOP_EXIT_GROUP_DEAD */
	/* node.h: V8 and the libuv thread pool (uprobes) */
	NODE_EV_GC_ENTER = 16,  /* struct node_event: arg = the AllocationSpace argument, ptr2 = GCCallbackFlags */
	NODE_EV_GC_EXIT = 17,
	NODE_EV_GC_TYPE = 18,   /* PerformGarbageCollection: arg = the GarbageCollector */
	NODE_EV_POOL_SUBMIT = 19,     /* uv__work_submit: ptr = the uv__work, arg = its uv__work_kind */
	NODE_EV_POOL_QUEUE_WORK = 20, /* uv_queue_work (shared libuv): ptr = the uv_work_t, ptr2 = work_cb */
	NODE_EV_POOL_START = 21,      /* a work function starts: ptr = its uv__work (or uv_work_t) */
	NODE_EV_POOL_END = 22,        /* ... and returns (paired by thread) */
};

#define LOOP_EXIT_GROUP_DEAD 1 /* the last thread of the process */

/* Every event starts with this (24 bytes). ts: bpf_ktime_get_ns() = CLOCK_MONOTONIC. */
struct loop_event {
	__u64 ts;
	__u32 pid; /* the process (tgid) */
	__u32 tid;
	__u16 kind; /* enum loop_event_kind */
	__u16 flags;
	__s32 arg;
};

/* A poll call's entry (32 bytes). */
struct loop_poll_event {
	struct loop_event h;
	__s32 timeout_ms; /* -1 infinite; epoll_pwait2: from the timespec, rounded up (NULL: -1) */
	__u32 sp;         /* low 32 bits of the user stack pointer: a deeper poll is a nested loop */
};

/* A poll call's return (32 bytes). The epoll fd lets user space adopt a poll that was under way
 * when the probes started (attach to a running process). */
struct loop_poll_exit {
	struct loop_event h;
	__s32 epfd;
	__u32 pad;
};

/* Counters (per-CPU array `stats`). */
enum loop_stat {
	LOOP_STAT_EVENTS = 0, /* events written */
	LOOP_STAT_LOST = 1,   /* events lost: ring full */
	LOOP_STATS = 2,
};

#endif
