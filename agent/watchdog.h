/* Blocked-loop stacks: the agent thread's watchdog and the signal handler that walks the frames of
 * a loop thread that has been busy past the block threshold. */
#ifndef LOOPSCOPE_AGENT_WATCHDOG_H
#define LOOPSCOPE_AGENT_WATCHDOG_H

#include <stdbool.h>
#include <stdint.h>

/* Agent thread, once: pick a free real-time signal and install the handler. */
void watchdog_init(void);
/* The signal in use, or 0 when none could be had. */
int watchdog_signal(void);
/* Agent thread, every wake: capture stacks of loops blocked past the threshold. Returns when it
 * must look again for the loops busy now (a busy span reaching the threshold, a block's next
 * stack); UINT64_MAX when no loop is busy. */
uint64_t watchdog_tick(uint64_t now);
/* Write a "maps" record if the mappings changed (force: whatever the time since the last). */
void watchdog_write_maps(uint64_t now, bool force);
void watchdog_after_fork_child(void);
/* On a thread about to exec: stop sending stack signals and take one pending on this thread. */
void watchdog_before_exec(void);
/* The exec returned (failed): signals may be sent again. */
void watchdog_after_exec_failed(void);

#endif
