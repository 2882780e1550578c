/* run --heap's snapshots (run_heap.h). */
#include "collector/record/run_heap.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/analysis/heap_analysis.h"
#include "collector/util/clock.h"
#include "collector/util/errbuf.h"

#define HEAP_TIMEOUT_MS 600000 /* per answer: a heap of 100 MB of small objects takes 20-30 s */

void run_heap_init(struct run_heap *h, uv_loop_t *loop, const char *dir)
{
	memset(h, 0, sizeof(*h));
	h->loop = loop;
	h->dir = dir;
	h->work.data = h;
}

static void take(uv_work_t *w)
{
	struct run_heap *h = w->data;
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", h->dir, h->name);
	h->t0 = mono_now_ns();
	h->rc = heap_take(h->pid, path, false, HEAP_TIMEOUT_MS, NULL, NULL, &h->res, h->err, sizeof(h->err));
	h->t1 = mono_now_ns();
}

static void taken(uv_work_t *w, int status)
{
	struct run_heap *h = w->data;
	struct session_heap *m = &h->marks[h->n++];
	memset(m, 0, sizeof(*m));
	m->pid = h->pid;
	m->start_ts = h->t0;
	m->end_ts = h->t1;
	snprintf(m->what, sizeof(m->what), "main thread");
	snprintf(m->why, sizeof(m->why), "%s", h->why ? h->why : "");
	if (status == 0 && h->rc == 0) {
		snprintf(m->file, sizeof(m->file), "%s", h->name);
		m->pause_ms = h->res.shots[0].pause_ms;
		m->bytes = h->res.shots[0].bytes;
	} else
		snprintf(m->error, sizeof(m->error), "%.255s", status ? uv_strerror(status) : h->err);
	h->busy = false;
	h->base_used = 0;
	if (h->done)
		h->done(h, h->arg);
}

int run_heap_take(struct run_heap *h, pid_t pid, const char *name, const char *why, void (*done)(struct run_heap *, void *), void *arg)
{
	if (h->busy)
		return -EBUSY;
	if (h->n >= RUN_HEAP_MAX)
		return -ENOSPC;
	h->pid = pid;
	h->why = why;
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->done = done;
	h->arg = arg;
	int rc = uv_queue_work(h->loop, &h->work, take, taken);
	if (rc == 0)
		h->busy = true;
	return rc;
}

#define TAIL_BYTES (256u << 10)

/* The used bytes of the last `heap` record in the end of DIR/agent-PID.jsonl, or 0. */
static uint64_t last_heap_used(const char *dir, pid_t pid)
{
	static char buf[TAIL_BYTES + 1];
	char path[4096];
	snprintf(path, sizeof(path), "%s/agent-%d.jsonl", dir, (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	off_t end = lseek(fd, 0, SEEK_END);
	off_t at = end > (off_t)TAIL_BYTES ? end - (off_t)TAIL_BYTES : 0;
	ssize_t n = pread(fd, buf, TAIL_BYTES, at);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	const char *rec = NULL;
	for (const char *p = buf; (p = strstr(p, "{\"type\":\"heap\"")); p++)
		rec = p;
	const char *used = rec ? strstr(rec, "\"used\":") : NULL;
	const char *eol = rec ? strchr(rec, '\n') : NULL;
	if (!used || !eol || used > eol)
		return 0; /* none, or the last one not written whole yet */
	return strtoull(used + 7, NULL, 10);
}

bool run_heap_grew(struct run_heap *h, uint64_t now, unsigned gap_s)
{
	if (h->busy || !h->n || h->n >= RUN_HEAP_MAX - 1 || !gap_s)
		return false;
	const struct session_heap *last = &h->marks[h->n - 1];
	uint64_t used = last_heap_used(h->dir, last->pid);
	if (!used)
		return false;
	if (!h->base_used || used < h->base_used) { /* the low point since the snapshot's collection */
		h->base_used = used;
		return false;
	}
	return now - last->end_ts >= (uint64_t)gap_s * 1000000000u &&
	       used >= (uint64_t)(h->base_used * RUN_HEAP_GROWTH_RATIO) &&
	       used - h->base_used >= (uint64_t)RUN_HEAP_GROWTH_MIN_MB << 20;
}

pid_t run_heap_node_pid(const pid_t *pids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char link[64], exe[256];
		snprintf(link, sizeof(link), "/proc/%d/exe", (int)pids[i]);
		ssize_t len = readlink(link, exe, sizeof(exe) - 1);
		if (len <= 0)
			continue;
		exe[len] = '\0';
		const char *base = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
		if (!strncmp(base, "node", 4))
			return pids[i];
	}
	return 0;
}

int run_heap_diff(const struct run_heap *h, char *err, size_t errlen)
{
	const struct session_heap *first = NULL, *last = NULL;
	for (size_t i = 0; i < h->n; i++)
		if (h->marks[i].file[0]) {
			if (!first)
				first = &h->marks[i];
			last = &h->marks[i];
		}
	if (!first || first == last)
		return 1;
	char a[4096], b[4096];
	snprintf(a, sizeof(a), "%s/%s", h->dir, first->file);
	snprintf(b, sizeof(b), "%s/%s", h->dir, last->file);
	struct heap_comparison c;
	int rc = heap_compare(a, b, HEAP_DIFF_TOP, HEAP_DIFF_PATHS, &c, err, errlen);
	if (rc)
		return rc;
	rc = heap_comparison_write(h->dir, &c, first->file, last->file);
	if (rc)
		errbuf_printf(err, errlen, "%s/" HEAP_DIFF_FILE ": %s", h->dir, strerror(-rc));
	heap_comparison_free(&c);
	return rc;
}
