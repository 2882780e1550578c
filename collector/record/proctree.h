/* The target's process tree and what it listens on, read from /proc: for `run --load` (start the
 * load once the target listens: detected, not guessed), for following children and daemons, and
 * for telling why a process was not recorded (it changed uid). */
#ifndef LOOPSCOPE_COLLECTOR_PROCTREE_H
#define LOOPSCOPE_COLLECTOR_PROCTREE_H

#include <stddef.h>
#include <sys/types.h>

/* pid and its descendants into out (at most max); returns how many. */
size_t proctree_list(pid_t root, pid_t *out, size_t max);
/* The same for several roots at once (one reading of /proc): the roots, then their descendants. */
size_t proctree_list_from(const pid_t *roots, size_t nroots, pid_t *out, size_t max);
/* pid's children (direct ones) into out (at most max); returns how many. */
size_t proctree_children(pid_t parent, pid_t *out, size_t max);

struct proc_ids {
	char state;        /* R, S, D, Z... */
	pid_t ppid, pgrp, sid;
	uid_t uid, euid;   /* real and effective */
	char comm[16];
};
/* One process's ids from /proc. 0, or -1 when it is gone. */
int proctree_ids(pid_t pid, struct proc_ids *out);

/* The TCP ports PID listens on at 127.0.0.1, as its network namespace shows them, into OUT (at
 * most MAX); how many. */
size_t proctree_loopback_ports(pid_t pid, unsigned *out, size_t max);
/* The first TCP port (IPv4 or IPv6) in LISTEN state owned by one of pids, or 0. */
unsigned proctree_listen_port(const pid_t *pids, size_t n);

#endif
