/* What blocked the loop: the agent's watchdog stacks (and, once probes ran, the samples that fell
 * inside blocks), symbolized, and the frame most often on top of them per loop. */
#ifndef LOOPSCOPE_COLLECTOR_BLOCKED_H
#define LOOPSCOPE_COLLECTOR_BLOCKED_H

#include "collector/session.h"
#include "collector/summary.h"

/* Fill top_frame, top_location and top_frame_stacks of each loop summary that has stacks. */
void blocked_top_frames(struct summary *sum, const struct session *s);

#endif
