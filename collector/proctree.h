/* The target's process tree and what it listens on, read from /proc: for `run --load` (start the
 * load once the target listens: detected, not guessed) and for following children. */
#ifndef LOOPSCOPE_COLLECTOR_PROCTREE_H
#define LOOPSCOPE_COLLECTOR_PROCTREE_H

#include <stddef.h>
#include <sys/types.h>

/* pid and its descendants into out (at most max); returns how many. */
size_t proctree_list(pid_t root, pid_t *out, size_t max);
/* The first TCP port (IPv4 or IPv6) in LISTEN state owned by one of pids, or 0. */
unsigned proctree_listen_port(const pid_t *pids, size_t n);

#endif
