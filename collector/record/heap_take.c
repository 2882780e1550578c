/* Heap snapshots through node's inspector (heap_take.h): HeapProfiler.takeHeapSnapshot on the main
 * thread's session, and for workers the same inside NodeWorker.sendMessageToWorker; the chunks the
 * isolate streams back are written to the file as they come. */
#include "collector/record/heap_take.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "collector/record/inspector.h"
#include "collector/record/proctree.h"
#include "collector/util/clock.h"
#include "collector/util/errbuf.h"
#include "collector/util/files.h"
#include "collector/util/xalloc.h"

#define MAX_WORKERS 64
#define STOP_WAIT_MS 2000
#define INSPECTOR_START_MS 5000 /* node listens 3-13 ms after SIGUSR1 (docs/heap.md) */

/* A channel to one isolate: the main thread's session (SESSION NULL) or a worker's. */
struct channel {
	struct inspector *in;
	const char *session;
};

/* Send METHOD to the isolate; its id (the worker's own numbering for a worker) in *ID. */
static int chan_send(struct channel *c, const char *method, const char *params, uint32_t *id)
{
	if (!c->session)
		return inspector_send(c->in, method, params, id);
	*id = c->in->next_id++;
	char *inner = xasprintf("{\"id\":%u,\"method\":\"%s\",\"params\":%s}", *id, method, params ? params : "{}");
	cJSON *p = xcheck(cJSON_CreateObject());
	cJSON_AddStringToObject(p, "sessionId", c->session);
	cJSON_AddStringToObject(p, "message", inner);
	char *text = xcheck(cJSON_PrintUnformatted(p));
	int rc = inspector_send(c->in, "NodeWorker.sendMessageToWorker", text, NULL);
	free(text);
	free(inner);
	cJSON_Delete(p);
	return rc;
}

/* The next message of the isolate (a worker's unwrapped), parsed; NULL with *RC set on an error.
 * Messages of other isolates are passed over. */
static cJSON *chan_recv(struct channel *c, int timeout_ms, int *rc, char *err, size_t errlen)
{
	for (;;) {
		const char *text;
		size_t len;
		if ((*rc = inspector_recv(c->in, timeout_ms, &text, &len, err, errlen)))
			return NULL;
		cJSON *m = cJSON_ParseWithLength(text, len);
		if (!m)
			continue;
		if (!c->session)
			return m;
		const cJSON *method = cJSON_GetObjectItemCaseSensitive(m, "method");
		const cJSON *params = cJSON_GetObjectItemCaseSensitive(m, "params");
		const cJSON *sid = cJSON_GetObjectItemCaseSensitive(params, "sessionId");
		const cJSON *inner = cJSON_GetObjectItemCaseSensitive(params, "message");
		cJSON *im = NULL;
		if (cJSON_IsString(method) && !strcmp(method->valuestring, "NodeWorker.receivedMessageFromWorker") &&
		    cJSON_IsString(sid) && !strcmp(sid->valuestring, c->session) && cJSON_IsString(inner))
			im = cJSON_Parse(inner->valuestring);
		cJSON_Delete(m);
		if (im)
			return im;
	}
}

static int take_one(struct channel *c, struct heap_shot *shot, int timeout_ms, void (*progress)(uint64_t, void *), void *arg,
		    char *err, size_t errlen)
{
	struct replace_file rf;
	FILE *out = replace_open(&rf, shot->path);
	if (!out) {
		int e = errno;
		errbuf_printf(err, errlen, "%s: %s", shot->path, strerror(e));
		return -e;
	}
	uint32_t id;
	uint64_t t0 = mono_now_ns(), last = t0;
	int rc = chan_send(c, "HeapProfiler.takeHeapSnapshot", "{\"reportProgress\":false}", &id);
	while (!rc) {
		cJSON *m = chan_recv(c, timeout_ms, &rc, err, errlen);
		if (!m)
			break;
		const cJSON *method = cJSON_GetObjectItemCaseSensitive(m, "method");
		const cJSON *mid = cJSON_GetObjectItemCaseSensitive(m, "id");
		if (cJSON_IsString(method) && !strcmp(method->valuestring, "HeapProfiler.addHeapSnapshotChunk")) {
			const cJSON *chunk = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "params"), "chunk");
			if (cJSON_IsString(chunk)) {
				size_t n = strlen(chunk->valuestring);
				if (fwrite(chunk->valuestring, 1, n, out) != n) {
					rc = -(errno ? errno : EIO);
					errbuf_printf(err, errlen, "%s: %s", shot->path, strerror(-rc));
				}
				shot->bytes += n;
				last = mono_now_ns();
				if (progress)
					progress(shot->bytes, arg);
			}
		} else if (cJSON_IsNumber(mid) && mid->valuedouble == id) {
			const cJSON *e = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "error"), "message");
			if (e) {
				errbuf_printf(err, errlen, "the inspector refused the snapshot: %s", cJSON_IsString(e) ? e->valuestring : "?");
				rc = -EPROTO;
			}
			cJSON_Delete(m);
			break;
		}
		cJSON_Delete(m);
	}
	if (!rc && !shot->bytes) {
		errbuf_printf(err, errlen, "the inspector sent an empty snapshot");
		rc = -EPROTO;
	}
	if (rc) {
		replace_abort(&rf);
		return rc;
	}
	if ((rc = replace_commit(&rf))) {
		errbuf_printf(err, errlen, "%s: %s", shot->path, strerror(-rc));
		return rc;
	}
	shot->pause_ms = (double)(last - t0) / 1e6;
	shot->total_ms = (double)(mono_now_ns() - t0) / 1e6;
	return 0;
}

/* PATH with "-worker-ID" before its extension (".heapsnapshot", or none). */
static void worker_path(char *out, size_t len, const char *path, const char *id)
{
	const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
	if (!dot || (slash && dot < slash))
		dot = path + strlen(path);
	snprintf(out, len, "%.*s-worker-%s%s", (int)(dot - path), path, id, dot);
}

/* Attach to every worker (NodeWorker.enable): their session ids and names into the result's
 * shots (from 1), SESSIONS parallel. */
static int workers_list(struct inspector *in, const char *path, struct heap_take_result *r, char sessions[][64], int timeout_ms,
			char *err, size_t errlen)
{
	uint32_t id;
	int rc = inspector_send(in, "NodeWorker.enable", "{\"waitForDebuggerOnStart\":false}", &id);
	bool answered = false;
	/* The attachedToWorker events come before the answer; then a short wait for late ones. */
	while (!rc) {
		const char *text;
		size_t len;
		rc = inspector_recv(in, answered ? 200 : timeout_ms, &text, &len, err, errlen);
		if (rc == -ETIMEDOUT && answered) {
			rc = 0;
			break;
		}
		if (rc)
			break;
		cJSON *m = cJSON_ParseWithLength(text, len);
		const cJSON *mid = cJSON_GetObjectItemCaseSensitive(m, "id");
		const cJSON *method = cJSON_GetObjectItemCaseSensitive(m, "method");
		const cJSON *params = cJSON_GetObjectItemCaseSensitive(m, "params");
		if (cJSON_IsNumber(mid) && mid->valuedouble == id)
			answered = true;
		else if (cJSON_IsString(method) && !strcmp(method->valuestring, "NodeWorker.attachedToWorker") && r->n <= MAX_WORKERS) {
			const cJSON *sid = cJSON_GetObjectItemCaseSensitive(params, "sessionId");
			const cJSON *info = cJSON_GetObjectItemCaseSensitive(params, "workerInfo");
			const cJSON *wid = cJSON_GetObjectItemCaseSensitive(info, "workerId");
			const cJSON *url = cJSON_GetObjectItemCaseSensitive(info, "url");
			if (cJSON_IsString(sid) && cJSON_IsString(wid) && strlen(sid->valuestring) < 64) {
				struct heap_shot *s = &r->shots[r->n];
				memset(s, 0, sizeof(*s));
				snprintf(sessions[r->n], 64, "%s", sid->valuestring);
				snprintf(s->what, sizeof(s->what), "worker %.20s (%.120s)", wid->valuestring,
					 cJSON_IsString(url) ? url->valuestring : "?");
				char wname[32];
				snprintf(wname, sizeof(wname), "%.20s", wid->valuestring);
				for (char *p = wname; *p; p++)
					if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '-'))
						*p = '_';
				worker_path(s->path, sizeof(s->path), path, wname);
				r->n++;
			}
		}
		cJSON_Delete(m);
	}
	return rc;
}

/* Stop the inspector we started: process._debugEnd() on the main thread (node's own counterpart of
 * SIGUSR1), then the connection ends from its side. */
static bool stop_inspector(struct inspector *in)
{
	uint32_t id;
	if (inspector_send(in, "Runtime.evaluate", "{\"expression\":\"process._debugEnd()\"}", &id))
		return false;
	char err[128];
	for (;;) {
		const char *text;
		size_t len;
		int rc = inspector_recv(in, STOP_WAIT_MS, &text, &len, err, sizeof(err));
		if (rc == -ECONNRESET)
			return true;
		if (rc)
			return false;
	}
}

int heap_take(pid_t pid, const char *path, bool workers, int timeout_ms, void (*progress)(uint64_t bytes, void *arg),
	      void *arg, struct heap_take_result *r, char *err, size_t errlen)
{
	struct inspector in;
	char(*sessions)[64] = xcalloc(MAX_WORKERS + 1, sizeof(*sessions));
	memset(r, 0, sizeof(*r));
	uint64_t t0 = mono_now_ns();
	int rc = inspector_open(pid, timeout_ms < INSPECTOR_START_MS ? timeout_ms : INSPECTOR_START_MS, &in, err, errlen);
	if (rc) {
		free(sessions);
		return rc;
	}
	r->port = in.port;
	r->started = in.started;
	r->open_ms = (double)(mono_now_ns() - t0) / 1e6;
	snprintf(r->shots[0].what, sizeof(r->shots[0].what), "main thread");
	snprintf(r->shots[0].path, sizeof(r->shots[0].path), "%s", path);
	sessions[0][0] = '\0';
	r->n = 1;
	if (workers)
		rc = workers_list(&in, path, r, sessions, timeout_ms, err, errlen);
	for (size_t i = 0; i < r->n && !rc; i++) {
		struct channel c = {&in, i ? sessions[i] : NULL};
		rc = take_one(&c, &r->shots[i], timeout_ms, progress, arg, err, errlen);
	}
	struct proc_ids ids;
	if (rc && rc != -EPROTO && (proctree_ids(pid, &ids) < 0 || ids.state == 'Z')) {
		errbuf_printf(err, errlen, "process %d exited during the snapshot", (int)pid);
		rc = -ESRCH;
	}
	if (in.started && in.fd >= 0 && (rc == 0 || rc == -EPROTO))
		r->stopped = stop_inspector(&in);
	inspector_close(&in);
	free(sessions);
	return rc;
}
