/* Shared between profile.bpf.c and the collector: the CPU sampler's keys, events and limits.
 * The sampler fires on a software CPU clock on every CPU; for threads of the target process tree it
 * counts (thread, user stack, kernel stack) in a map and streams each sample in time order, along
 * with the tree's forks, execs and exits. */
#ifndef LOOPSCOPE_PROBES_PROFILE_H
#define LOOPSCOPE_PROBES_PROFILE_H

#define PROFILE_STACK_DEPTH 127
#define PROFILE_MAX_STACKS 65536
#define PROFILE_MAX_PIDS 4096
#define PROFILE_RINGBUF_BYTES (16u << 20)
/* Samples wake the reader only once this much waits (process events always do): a wake-up per
 * sample costs the machine more than the sample. The reader also drains on its own timer. */
#define PROFILE_WAKEUP_BYTES (1u << 20)
#define TASK_COMM_LEN 16

/* One cell of the in-kernel aggregation. */
struct profile_key {
	__u32 pid;
	__u32 tid;
	__s32 user_stack_id; /* negative: no user stack (kernel thread, or lost: -EEXIST, -ENOMEM...) */
	__s32 kern_stack_id;
	char comm[TASK_COMM_LEN];
};

enum profile_event_type {
	PROFILE_SAMPLE = 0,
	PROFILE_FORK = 1, /* pid: the new process; tid: its parent */
	PROFILE_EXEC = 2, /* pid replaced its image */
	PROFILE_EXIT = 3, /* the process (its last thread) exited */
	/* tid (of process pid) runs unsampled: it was created by a thread without a sampling event, or
	 * an exec that made it undumpable (setuid program, euid != uid) dropped its events. */
	PROFILE_UNSAMPLED = 4,
};

/* One event of the stream, in time order per CPU. */
struct profile_event {
	__u64 ts; /* CLOCK_MONOTONIC ns, as the agent's clock */
	__u32 pid;
	__u32 tid;
	__s32 user_stack_id;
	__s32 kern_stack_id;
	__u32 cpu;
	__u32 type; /* enum profile_event_type */
	__u32 exit_code; /* PROFILE_EXIT: as wait() encodes it (signal in the low 7 bits, status << 8) */
	__u32 pad;
	char comm[16]; /* PROFILE_EXIT: the process's name as it ends (it may end before /proc is read) */
};

/* Indexes of the per-CPU `stats` array. */
enum profile_stat {
	PROFILE_STAT_SAMPLES,
	PROFILE_STAT_LOST_EVENTS, /* ring buffer full */
	PROFILE_STAT_COUNTS_FULL, /* aggregation map full */
	PROFILE_STAT_LOST_STACKS, /* a stack the stack map could not hold */
	PROFILE_STAT_FOREIGN,     /* an interrupt of a thread outside the target tree (should not happen) */
	PROFILE_STATS
};

#endif
