/* V8, when the process has it (node): GC pauses by type through GC prologue/epilogue callbacks and
 * heap figures through Isolate::GetHeapStatistics, both on the isolate's own (loop) thread. */
#ifndef LOOPSCOPE_AGENT_V8_H
#define LOOPSCOPE_AGENT_V8_H

#include <stdbool.h>
#include <stdint.h>

struct loop;

/* Resolve V8's exported API (constructor time). */
void v8_init(void);
/* On the loop thread before a poll: register GC callbacks once the thread has an isolate; read
 * heap figures once per interval. Returns true when it did V8 work (so the caller rereads the
 * clock). Sets l->v8_state to -1 when this thread has no isolate. */
bool v8_on_poll(struct loop *l, uint64_t now);
/* Agent thread: the loop's latest heap figures; false if there are none. */
struct v8_heap;
bool v8_heap_read(const struct loop *l, struct v8_heap *out);
/* For the process record: the V8 version, or NULL; whether heap figures are refused, and why. */
const char *v8_version(void);
const char *v8_heap_refusal(void);
/* GC type name for a v8::GCType bit. */
const char *v8_gc_type_name(uint32_t type);

#endif
