/* BPF side, shared by every probe: the epoll system calls' numbers, and the maps every probe
 * declares in the same shape (its targets, a stack-trace map, per-CPU counters). */
#ifndef LOOPSCOPE_PROBES_COMMON_BPF_H
#define LOOPSCOPE_PROBES_COMMON_BPF_H

/* x86-64 system call numbers of the epoll waits. */
#define NR_EPOLL_WAIT 232
#define NR_EPOLL_PWAIT 281
#define NR_EPOLL_PWAIT2 441

static __always_inline bool is_epoll_wait(long nr)
{
	return nr == NR_EPOLL_WAIT || nr == NR_EPOLL_PWAIT || nr == NR_EPOLL_PWAIT2;
}

/* The processes (tgid) a probe follows: a set, filled by user space and by the fork handlers. */
#define TARGETS_MAP(max)                                                                           \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_HASH);                                                   \
		__uint(max_entries, max);                                                          \
		__type(key, __u32);                                                                \
		__type(value, __u8);                                                               \
	} targets SEC(".maps")

/* User and kernel stacks by id (bpf_get_stackid), `depth` frames each. */
#define STACKS_MAP(max, depth)                                                                     \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_STACK_TRACE);                                            \
		__uint(max_entries, max);                                                          \
		__uint(key_size, sizeof(__u32));                                                   \
		__uint(value_size, (depth) * sizeof(__u64));                                       \
	} stacks SEC(".maps")

/* `n` per-CPU counters (lost events, foreign samples...), summed by user space, and stat_add(). */
#define STATS_MAP(n)                                                                               \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                           \
		__uint(max_entries, n);                                                            \
		__type(key, __u32);                                                                \
		__type(value, __u64);                                                              \
	} stats SEC(".maps");                                                                      \
	static __always_inline void stat_add(__u32 i)                                              \
	{                                                                                          \
		__u64 *v = bpf_map_lookup_elem(&stats, &i);                                        \
		if (v)                                                                             \
			*v += 1;                                                                   \
	}

#endif
