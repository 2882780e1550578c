/* The Prometheus endpoint (LOOPSCOPE_METRICS=[HOST:]PORT): the agent thread turns each interval's
 * figures into the text exposition format (0.0.4) in one of two fixed buffers and publishes it; a
 * thread of the endpoint's own, started by the agent thread, copies the latest one to each client
 * of GET /metrics. No loop thread ever runs any of this (docs/agent.md, docs/metrics.md). */
#ifndef LOOPSCOPE_AGENT_METRICS_H
#define LOOPSCOPE_AGENT_METRICS_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct loop_interval;
struct v8_heap;

/* Agent thread start: parse LOOPSCOPE_METRICS, listen, start the endpoint's thread. A bad value or
 * an address in use: one agent_warn line, and no endpoint. */
void metrics_start(void);
/* True when the endpoint serves (the agent thread then feeds it). */
bool metrics_on(void);

/* Agent thread, during an interval: what it computed and drained for one loop. */
void metrics_loop_interval(const struct loop *l, const struct loop_interval *iv, uint64_t now);
void metrics_loop_block(const struct loop *l, uint64_t dur);
void metrics_loop_gc(const struct loop *l, const char *type, uint64_t dur);
void metrics_loop_heap(const struct loop *l, const struct v8_heap *h);
void metrics_loop_gone(const struct loop *l);
void metrics_proc(uint64_t cpu_ns, uint64_t rss);
/* End of an interval: build the exposition and publish it. */
void metrics_publish(uint64_t now);

/* Fork child: no endpoint; the inherited listening descriptor is closed. */
void metrics_after_fork_child(void);
/* Destructor: ask the endpoint's thread to stop. */
void metrics_stop(void);

#endif
