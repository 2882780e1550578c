/* What the agent had to drop, by kind: counters in the agent, the "drops" record in a session.
 * Shared by the agent (which counts and writes them) and the collector (which reads them). */
#ifndef LOOPSCOPE_AGENT_DROPS_H
#define LOOPSCOPE_AGENT_DROPS_H

enum agent_drop_kind {
	DROP_LOOPS,       /* loops beyond LOOPS_MAX */
	DROP_BLOCKS,      /* block ring full */
	DROP_GC_EVENTS,   /* GC ring full */
	DROP_POOL_TASKS,  /* task table full: task not timed */
	DROP_STACKS,      /* stack not captured in time */
	DROP_RECORDS,     /* record larger than the format buffer */
	DROP_WRITE_BYTES, /* bytes the disk refused (ENOSPC, EIO ...) */
	DROP_UNRESOLVED,  /* calls to a wrapper whose real function no loaded object defines */
	DROP_STACKS_MASKED, /* stacks read from /proc (one frame): the thread blocks the stack signal */
	DROP_KINDS
};

/* The keys of the "drops" record, in enum order. */
#define AGENT_DROP_NAMES \
	{"loops", "blocks", "gc_events", "pool_tasks", "stacks", "records", "write_bytes", \
	 "unresolved_calls", "stacks_masked"}

#endif
