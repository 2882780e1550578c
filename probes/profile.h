/* Shared between profile.bpf.c and the collector: the CPU sampler's keys, events and limits.
 * The sampler fires on a software CPU clock on every CPU; for threads of the target process tree it
 * counts (thread, user stack, kernel stack) in a map and streams each sample in time order. */
#ifndef LOOPSCOPE_PROBES_PROFILE_H
#define LOOPSCOPE_PROBES_PROFILE_H

#define PROFILE_STACK_DEPTH 127
#define PROFILE_MAX_STACKS 65536
#define PROFILE_MAX_PIDS 1024
#define PROFILE_RINGBUF_BYTES (8u << 20)
#define TASK_COMM_LEN 16

/* One cell of the in-kernel aggregation. */
struct profile_key {
	__u32 pid;
	__u32 tid;
	__s32 user_stack_id; /* negative: no user stack (kernel thread or lost) */
	__s32 kern_stack_id;
	char comm[TASK_COMM_LEN];
};

/* One sample, streamed for timelines and for merging with loop blocks. */
struct profile_event {
	__u64 ts; /* CLOCK_MONOTONIC ns, as the agent's clock */
	__u32 pid;
	__u32 tid;
	__s32 user_stack_id;
	__s32 kern_stack_id;
	__u32 cpu;
	__u32 pad;
};

#endif
