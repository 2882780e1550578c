/* Shared between offcpu.bpf.c and the collector: off-CPU time of the target's threads, by stack,
 * summed in the kernel from sched_switch. */
#ifndef LOOPSCOPE_PROBES_OFFCPU_H
#define LOOPSCOPE_PROBES_OFFCPU_H

#define OFFCPU_STACK_DEPTH 127
#define OFFCPU_MAX_STACKS 32768
#define OFFCPU_MAX_THREADS 16384
#define OFFCPU_MAX_PIDS 4096
#define OFFCPU_COMM_LEN 16

/* Innermost kernel frames bpf_get_stackid skips: the program's own and bpf_trace_run4's (the
 * tracepoint's __bpf_trace_sched_switch tail-calls it, or has it inlined), between which and
 * __schedule nothing else is certain: __traceiter_sched_switch is there only while another program
 * or tracer shares the tracepoint. The collector drops any such frame still innermost
 * (kernel_frame_is_bpf_tracing), so each kernel stack starts at __schedule. */
#define OFFCPU_KSTACK_SKIP 2

/* The stack ids of a switch-out inside epoll_wait, epoll_pwait or epoll_pwait2: an event loop
 * waiting for events. No stacks are taken for it (two stack walks cost ~4 us per switch, and a
 * busy server's loop waits thousands of times a second); the collector names it with one frame. */
#define OFFCPU_STACK_EPOLL_WAIT (-1000)

/* One cell of the aggregation: time (ns) a thread spent off CPU after switching out with a stack. */
struct offcpu_key {
	__u32 pid;
	__u32 tid;
	__s32 user_stack_id;
	__s32 kern_stack_id;
	char comm[OFFCPU_COMM_LEN];
};

/* Where a thread switched out: kept until it runs again. */
struct offcpu_start {
	__u64 ts;
	__s32 user_stack_id;
	__s32 kern_stack_id;
	char comm[OFFCPU_COMM_LEN];
};

#endif
