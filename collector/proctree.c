/* Process tree by parent pid (/proc/PID/stat), listening sockets by inode (/proc/net/tcp{,6} in
 * LISTEN state, matched against /proc/PID/fd links "socket:[INODE]"). */
#include "collector/proctree.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_PROCS 32768
#define MAX_LISTEN 1024

static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512];
	FILE *f;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "re")))
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')'); /* the name may hold spaces and parentheses */
	int ppid;
	if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return -1;
	return ppid;
}

size_t proctree_list(pid_t root, pid_t *out, size_t max)
{
	static pid_t pids[MAX_PROCS], ppids[MAX_PROCS];
	size_t n = 0, count = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (!max)
		return 0;
	out[count++] = root;
	if (!d)
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
	/* Breadth-first from the root: out[] doubles as the queue. */
	for (size_t head = 0; head < count; head++)
		for (size_t i = 0; i < n && count < max; i++)
			if (ppids[i] == out[head] && pids[i] != root)
				out[count++] = pids[i];
	return count;
}

/* LISTEN sockets' (inode, port) from one /proc/net file. */
static size_t read_listen(const char *path, unsigned long *inodes, unsigned *ports, size_t n, size_t max)
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
		if (!colon)
			continue;
		inodes[n] = inode;
		ports[n] = (unsigned)strtoul(colon + 1, NULL, 16);
		n++;
	}
	fclose(f);
	return n;
}

unsigned proctree_listen_port(const pid_t *pids, size_t npids)
{
	static unsigned long inodes[MAX_LISTEN];
	static unsigned ports[MAX_LISTEN];
	size_t n = read_listen("/proc/net/tcp", inodes, ports, 0, MAX_LISTEN);
	n = read_listen("/proc/net/tcp6", inodes, ports, n, MAX_LISTEN);
	if (!n)
		return 0;
	for (size_t k = 0; k < npids; k++) {
		char dir[64];
		snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pids[k]);
		DIR *d = opendir(dir);
		struct dirent *e;
		if (!d)
			continue;
		while ((e = readdir(d))) {
			char path[384], link[64];
			unsigned long inode;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			ssize_t len = readlink(path, link, sizeof(link) - 1);
			if (len <= 0)
				continue;
			link[len] = 0;
			if (sscanf(link, "socket:[%lu]", &inode) != 1)
				continue;
			for (size_t i = 0; i < n; i++) {
				if (inodes[i] == inode) {
					closedir(d);
					return ports[i];
				}
			}
		}
		closedir(d);
	}
	return 0;
}
