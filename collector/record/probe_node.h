/* What the uprobes in a node binary (probes/node.bpf.c) tell, for a process without the agent: GC
 * pauses (v8::internal::Heap::CollectGarbage, and the collector PerformGarbageCollection picks) and
 * libuv's thread pool (uv__work_submit, then each work function's entry and return), turned into the
 * agent's `gc`, `pool` and `hist` records. The uprobes write into the loop probe's ring. */
#ifndef LOOPSCOPE_COLLECTOR_PROBE_NODE_H
#define LOOPSCOPE_COLLECTOR_PROBE_NODE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct node_uprobes;
struct node_proc;
struct node_event;
struct probe_file;
struct bpf_map;

/* Load the uprobe programs over the loop probe's maps (targets, events, stats, lost). NULL when
 * the kernel refuses them (the loop figures go on without). */
struct node_uprobes *node_uprobes_load(struct bpf_map *targets, struct bpf_map *events, struct bpf_map *stats,
				       struct bpf_map *lost);
/* Attach to process pid's program when it has V8 and libuv's pool inside: true when attached. */
bool node_uprobes_attach(struct node_uprobes *u, pid_t pid);
void node_uprobes_free(struct node_uprobes *u);

/* One process's GC and pool accounting. */
struct node_proc *node_proc_new(pid_t pid);
/* An event of kind NODE_EV_*. loop: the id of the event thread's loop (0: none yet). */
void node_proc_event(struct node_proc *np, const struct node_event *e, uint32_t loop, struct probe_file *f);
/* The `pool` record of the interval ending now (once the pool has been seen), and when hists the
 * cumulative `hist` records (pool_wait, pool_run, and gc_pause per loop). */
void node_proc_interval(struct node_proc *np, uint64_t now, bool hists, struct probe_file *f);
void node_proc_free(struct node_proc *np);

#endif
