/* Shared between node.bpf.c and the collector: the events of the uprobes in a node binary (V8's GC,
 * libuv's thread pool) and in a shared libuv. They travel in the loop probe's ring (probes/loop.h),
 * so each thread's events arrive in order with its poll calls. */
#ifndef LOOPSCOPE_PROBES_NODE_H
#define LOOPSCOPE_PROBES_NODE_H

#include "loop.h"

/* 40 bytes. */
struct node_event {
	struct loop_event h; /* kind NODE_EV_* */
	__u64 ptr;
	__u64 ptr2;
};

/* v8::internal::GarbageCollector (V8 9 to 12). */
enum node_gc_collector {
	NODE_GC_SCAVENGER = 0,
	NODE_GC_MARK_COMPACTOR = 1,
	NODE_GC_MINOR_MARK_COMPACTOR = 2,
};

#endif
