/* Process tree by parent pid (/proc/PID/stat), listening sockets by inode (/proc/net/tcp{,6} in
 * LISTEN state, matched against /proc/PID/fd links "socket:[INODE]"), and what run needs to know of
 * one process: state, session, user ids (/proc/PID/stat and status). */
#include "collector/record/proctree.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_PROCS 32768
#define MAX_LISTEN 1024

/* Fields of /proc/PID/stat after the name: state, ppid, pgrp, session. 0 or -1. */
static int read_stat(pid_t pid, struct proc_ids *out)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *open = strchr(buf, '('), *p = strrchr(buf, ')'); /* the name may hold spaces and parentheses */
	int ppid, pgrp, sid;
	if (!open || !p || sscanf(p + 1, " %c %d %d %d", &out->state, &ppid, &pgrp, &sid) != 4)
		return -1;
	out->ppid = ppid;
	out->pgrp = pgrp;
	out->sid = sid;
	snprintf(out->comm, sizeof(out->comm), "%.*s", (int)(p - open - 1), open + 1);
	return 0;
}

static pid_t parent_of(pid_t pid)
{
	struct proc_ids ids;
	return read_stat(pid, &ids) < 0 ? -1 : ids.ppid;
}

int proctree_ids(pid_t pid, struct proc_ids *out)
{
	char path[64], line[256];
	FILE *f;
	bool uid = false;

	memset(out, 0, sizeof(*out));
	if (read_stat(pid, out) < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "re")))
		return -1;
	while (!uid && fgets(line, sizeof(line), f)) {
		unsigned r, e;
		if (!strncmp(line, "Uid:", 4) && sscanf(line + 4, " %u %u", &r, &e) == 2) {
			out->uid = r;
			out->euid = e;
			uid = true;
		}
	}
	fclose(f);
	return uid ? 0 : -1;
}

size_t proctree_children(pid_t parent, pid_t *out, size_t max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		if (parent_of((pid_t)pid) == parent)
			out[n++] = (pid_t)pid;
	}
	closedir(d);
	return n;
}

size_t proctree_list_from(const pid_t *roots, size_t nroots, pid_t *out, size_t max)
{
	static pid_t pids[MAX_PROCS], ppids[MAX_PROCS];
	size_t n = 0, count = 0;
	DIR *d;
	struct dirent *e;

	for (size_t i = 0; i < nroots && count < max; i++)
		out[count++] = roots[i];
	if (!count || !(d = opendir("/proc")))
		return count;
	while ((e = readdir(d)) && n < MAX_PROCS) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		pids[n] = (pid_t)pid;
		ppids[n] = parent_of((pid_t)pid);
		n++;
	}
	closedir(d);
	/* Breadth-first from the roots: out[] doubles as the queue. */
	for (size_t head = 0; head < count; head++)
		for (size_t i = 0; i < n && count < max; i++) {
			if (ppids[i] != out[head])
				continue;
			bool dup = false;
			for (size_t k = 0; k < nroots && !dup; k++)
				dup = pids[i] == roots[k];
			if (!dup)
				out[count++] = pids[i];
		}
	return count;
}

size_t proctree_list(pid_t root, pid_t *out, size_t max)
{
	return proctree_list_from(&root, 1, out, max);
}

/* LISTEN sockets' (inode, port) from one /proc/net file; with LOOPBACK only those bound to
 * 127.0.0.1. */
static size_t read_listen_on(const char *path, unsigned long *inodes, unsigned *ports, size_t n, size_t max, bool loopback)
{
	char line[512];
	FILE *f = fopen(path, "re");
	if (!f)
		return n;
	if (!fgets(line, sizeof(line), f)) { /* header */
		fclose(f);
		return n;
	}
	while (n < max && fgets(line, sizeof(line), f)) {
		char local[128];
		unsigned state;
		unsigned long inode;
		if (sscanf(line, " %*d: %127s %*s %x %*s %*s %*s %*s %*s %lu", local, &state, &inode) != 3 || state != 0x0A)
			continue;
		char *colon = strrchr(local, ':');
		if (!colon || (loopback && strncmp(local, "0100007F:", 9)))
			continue;
		inodes[n] = inode;
		ports[n] = (unsigned)strtoul(colon + 1, NULL, 16);
		n++;
	}
	fclose(f);
	return n;
}

static size_t read_listen(const char *path, unsigned long *inodes, unsigned *ports, size_t n, size_t max)
{
	return read_listen_on(path, inodes, ports, n, max, false);
}

/* The socket inodes PID holds (its fds), into OUT (at most MAX); how many. */
static size_t socket_inodes(pid_t pid, unsigned long *out, size_t max)
{
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;
	if (!d)
		return 0;
	while (n < max && (e = readdir(d))) {
		char path[384], link[64];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		ssize_t len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = 0;
		if (sscanf(link, "socket:[%lu]", &out[n]) == 1)
			n++;
	}
	closedir(d);
	return n;
}

/* The first of PORTS whose inode (INODES, N of them) PID holds: its index, or -1. HELD: scratch. */
static long held_listener(pid_t pid, const unsigned long *inodes, size_t n, unsigned long *held, size_t max)
{
	size_t nh = socket_inodes(pid, held, max);
	for (size_t k = 0; k < nh; k++)
		for (size_t i = 0; i < n; i++)
			if (inodes[i] == held[k])
				return (long)i;
	return -1;
}

size_t proctree_loopback_ports(pid_t pid, unsigned *out, size_t max)
{
	unsigned long inodes[MAX_LISTEN], held[MAX_LISTEN]; /* not static: heap snapshots call it from a pool thread */
	unsigned ports[MAX_LISTEN];
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/net/tcp", (int)pid);
	size_t n = read_listen_on(path, inodes, ports, 0, MAX_LISTEN, true), k = 0;
	size_t nh = socket_inodes(pid, held, MAX_LISTEN);
	for (size_t i = 0; i < n && k < max; i++)
		for (size_t h = 0; h < nh; h++)
			if (inodes[i] == held[h]) {
				out[k++] = ports[i];
				break;
			}
	return k;
}

unsigned proctree_listen_port(const pid_t *pids, size_t npids)
{
	static unsigned long inodes[MAX_LISTEN], held[MAX_LISTEN];
	static unsigned ports[MAX_LISTEN];
	size_t n = read_listen("/proc/net/tcp", inodes, ports, 0, MAX_LISTEN);
	n = read_listen("/proc/net/tcp6", inodes, ports, n, MAX_LISTEN);
	for (size_t k = 0; k < npids && n; k++) {
		long i = held_listener(pids[k], inodes, n, held, MAX_LISTEN);
		if (i >= 0)
			return ports[i];
	}
	return 0;
}
