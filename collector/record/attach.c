/* loopscope attach PID, for a process that already runs with the agent: its record file is found
 * where the agent makes it (LOOPSCOPE_DIR in the process's environment), the records of the window are copied into a new
 * session, and cumulative figures (histograms, CPU time, pool counters) are rebased to the window's
 * start, so the session describes the window alone. Descendants with the agent come along. */
#include "collector/record/attach.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "agent/records.h"
#include "collector/record/notice.h"
#include "collector/record/probeset.h"
#include "collector/record/proctree.h"
#include "collector/record/session_dir.h"
#include "collector/util/clock.h"
#include "collector/util/errbuf.h"
#include "collector/util/files.h"
#include "collector/util/xalloc.h"

#define ALIVE_CHECK_MS 200
#define MAX_TRACKED 256

/* One record file followed: where the window starts, and the cumulative values there. */
struct tracked {
	int pid;
	char path[PATH_MAX];
	long start;       /* offset at the window's start */
	cJSON *statics;   /* records kept from before the window: process, v8, loop, maps */
	cJSON *base;      /* last cumulative records before the window, by key */
};

struct attach {
	const struct attach_opts *o;
	uv_loop_t *loop;
	uv_timer_t duration, alive;
	uv_signal_t sigint, sigterm;
	struct probeset ps;
	char probe_note[320];
	bool cpu_ran;
	struct tracked files[MAX_TRACKED];
	size_t nfiles;
	uint64_t start_ts, start_real;
	bool target_gone;
};

/* VAR's value in PID's initial environment (/proc/PID/environ), into out; false if unset. */
static bool environ_of(int pid, const char *var, char *out, size_t len)
{
	char path[64], buf[65536];
	size_t vlen = strlen(var);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	for (char *p = buf; p < buf + n; p += strlen(p) + 1)
		if (!strncmp(p, var, vlen) && p[vlen] == '=' && p[vlen + 1] && strlen(p + vlen + 1) < len) {
			strcpy(out, p + vlen + 1);
			return true;
		}
	return false;
}

/* The newest record file of PID in DIR (agent-PID.jsonl, or agent-PID.N.jsonl after N execs): a
 * regular file owned by UID or root. */
static bool newest_record_in(const char *dir, int pid, uid_t uid, char *out, size_t len)
{
	char name[64], path[PATH_MAX];
	struct stat st;
	bool found = false;

	for (int k = 0; k < 100; k++) {
		if (k == 0)
			snprintf(name, sizeof(name), "agent-%d.jsonl", pid);
		else
			snprintf(name, sizeof(name), "agent-%d.%d.jsonl", pid, k);
		if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path) || lstat(path, &st) < 0)
			break;
		if (S_ISREG(st.st_mode) && (st.st_uid == uid || st.st_uid == 0) && strlen(path) < len) {
			strcpy(out, path);
			found = true;
		}
	}
	return found;
}

/* The agent record file of PID, or -ENOENT. The agent holds no descriptor on it (docs/agent.md), so
 * it is found where the agent makes it: LOOPSCOPE_DIR of the process's environment (uid-N/ inside it
 * for a process that dropped to uid N), else its private $TMPDIR/loopscope-PID-XXXXXX. */
static int agent_file_of(int pid, char *out, size_t len)
{
	char path[64], dir[PATH_MAX], sub[PATH_MAX + 320];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d", pid);
	if (stat(path, &st) < 0)
		return -errno;
	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	if (access(path, R_OK) < 0)
		return -errno;
	uid_t uid = st.st_uid;
	if (environ_of(pid, "LOOPSCOPE_DIR", dir, sizeof(dir))) {
		snprintf(sub, sizeof(sub), "%s/uid-%u", dir, (unsigned)uid);
		if ((uid != 0 && newest_record_in(sub, pid, uid, out, len)) || newest_record_in(dir, pid, uid, out, len))
			return 0;
		return -ENOENT;
	}
	if (!environ_of(pid, "TMPDIR", dir, sizeof(dir)))
		strcpy(dir, "/tmp");
	DIR *d = opendir(dir);
	struct dirent *e;
	char prefix[32];
	int rc = -ENOENT;
	snprintf(prefix, sizeof(prefix), "loopscope-%d-", pid);
	while (d && rc < 0 && (e = readdir(d)))
		if (!strncmp(e->d_name, prefix, strlen(prefix))) {
			snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
			if (newest_record_in(sub, pid, uid, out, len))
				rc = 0;
		}
	if (d)
		closedir(d);
	return rc;
}

static bool maps_have_agent(int pid)
{
	char path[64], line[4096];
	bool found = false;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, "/libloopscope.so") != NULL;
	fclose(f);
	return found;
}

/* Key of a cumulative record: "hist:NAME:LOOP", "proc", "pool". NULL for others. */
static const char *cumulative_key(const cJSON *rec, char *buf, size_t len)
{
	const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "type"));
	if (!type)
		return NULL;
	if (!strcmp(type, "hist")) {
		const cJSON *loop = cJSON_GetObjectItemCaseSensitive(rec, "loop");
		snprintf(buf, len, "hist:%s:%d", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "name")),
			 cJSON_IsNumber(loop) ? (int)loop->valuedouble : 0);
		return buf;
	}
	if (!strcmp(type, "proc") || !strcmp(type, "pool"))
		return type;
	return NULL;
}

/* Read the file from where the last call stopped (its start, the first time) up to its current
 * end: keep static records and the last cumulative ones. */
static int track_start(struct tracked *t, char *err, size_t errlen)
{
	FILE *f = fopen(t->path, "re");
	char *line = NULL, key[128];
	size_t cap = 0;
	ssize_t n;

	if (!f) {
		int e = errno;
		errbuf_printf(err, errlen, "cannot read %s: %s", t->path, strerror(e));
		return -e;
	}
	if (!t->statics) {
		t->statics = cJSON_CreateArray();
		t->base = cJSON_CreateObject();
		t->start = 0;
	}
	if (fseek(f, t->start, SEEK_SET) < 0) {
		int e = errno;
		errbuf_printf(err, errlen, "cannot read %s: %s", t->path, strerror(e));
		fclose(f);
		return -e;
	}
	while ((n = getline(&line, &cap, f)) > 0 && line[n - 1] == '\n') {
		t->start += n;
		cJSON *rec = cJSON_ParseWithLength(line, (size_t)n);
		const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "type"));
		const char *k;
		if (!type) {
			cJSON_Delete(rec);
			continue;
		}
		/* the native heap's records too: its stacks are named once, and its figures are the process's
		 * since it began sampling (a record lists only the stacks that changed) */
		if (!strcmp(type, "process") || !strcmp(type, "v8") || !strcmp(type, "loop") || !strcmp(type, "maps") ||
		    !strcmp(type, "loop_end") || !strcmp(type, "native_stack") || !strcmp(type, "native_heap")) {
			cJSON_AddItemToArray(t->statics, rec);
		} else if ((k = cumulative_key(rec, key, sizeof(key)))) {
			cJSON_DeleteItemFromObjectCaseSensitive(t->base, k);
			cJSON_AddItemToObject(t->base, k, rec);
		} else {
			cJSON_Delete(rec);
		}
	}
	free(line);
	fclose(f);
	return 0;
}

static void sub_field(cJSON *rec, const cJSON *base, const char *field)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, field);
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(base, field);
	if (cJSON_IsNumber(v) && cJSON_IsNumber(b))
		cJSON_SetNumberValue(v, v->valuedouble > b->valuedouble ? v->valuedouble - b->valuedouble : 0);
}

/* A cumulative field of agent/records.h's lists minus its value at the window's start. */
#define REBASE_FIELD_(key, type, when, rec, base) sub_field(rec, base, #key);

/* A cumulative histogram minus its value at the window's start. */
static void rebase_hist(cJSON *rec, const cJSON *base)
{
	cJSON *buckets = cJSON_GetObjectItemCaseSensitive(rec, "buckets"), *b;
	const cJSON *old = cJSON_GetObjectItemCaseSensitive(base, "buckets"), *o;
	cJSON *out = cJSON_CreateArray();
	double count = 0;

	cJSON_ArrayForEach(b, buckets)
	{
		double idx = cJSON_GetArrayItem(b, 0)->valuedouble, c = cJSON_GetArrayItem(b, 1)->valuedouble;
		cJSON_ArrayForEach(o, old) if (cJSON_GetArrayItem(o, 0)->valuedouble == idx) c -= cJSON_GetArrayItem(o, 1)->valuedouble;
		if (c > 0) {
			cJSON *pair = cJSON_CreateArray();
			cJSON_AddItemToArray(pair, cJSON_CreateNumber(idx));
			cJSON_AddItemToArray(pair, cJSON_CreateNumber(c));
			cJSON_AddItemToArray(out, pair);
			count += c;
		}
	}
	cJSON_ReplaceItemInObjectCaseSensitive(rec, "buckets", out);
	sub_field(rec, base, "sum");
	cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(rec, "count"), count);
	/* max stays the run's: it is the window's too unless the run's max came before the window,
	 * in which case the window's is at most the top bucket's upper value. */
}

/* A block or GC pause written in the window: the part of it inside the window (one under way when
 * the window started counts from there, so no loop is blocked longer than the window). false: it
 * ended before the window started (the agent writes a block once it ended). */
static bool clip_to_window(cJSON *rec, double window_start)
{
	const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "type"));
	cJSON *start = cJSON_GetObjectItemCaseSensitive(rec, "start"), *dur = cJSON_GetObjectItemCaseSensitive(rec, "dur");

	if (!type || (strcmp(type, "block") && strcmp(type, "gc")) || !cJSON_IsNumber(start) || !cJSON_IsNumber(dur) ||
	    start->valuedouble >= window_start)
		return true;
	double end = start->valuedouble + dur->valuedouble;
	if (end <= window_start)
		return false;
	cJSON_SetNumberValue(start, window_start);
	cJSON_SetNumberValue(dur, end - window_start);
	return true;
}

/* Write the window's session file for one tracked process. */
static int write_window(const struct attach *a, struct tracked *t, const char *dir)
{
	char out_path[PATH_MAX + 64], key[128];
	const char *name = strrchr(t->path, '/');
	snprintf(out_path, sizeof(out_path), "%s%s", dir, name);
	FILE *in = fopen(t->path, "re");
	FILE *out = in ? fopen_private(out_path, O_EXCL) : NULL;
	if (!out) {
		int e = errno;
		if (in)
			fclose(in);
		return -e;
	}
	const cJSON *s;
	cJSON_ArrayForEach(s, t->statics)
	{
		char *text = cJSON_PrintUnformatted(s);
		fprintf(out, "%s\n", text);
		free(text);
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	if (fseek(in, t->start, SEEK_SET) == 0) {
		while ((n = getline(&line, &cap, in)) > 0 && line[n - 1] == '\n') {
			cJSON *rec = cJSON_ParseWithLength(line, (size_t)n);
			const char *k = rec ? cumulative_key(rec, key, sizeof(key)) : NULL;
			const cJSON *base = k ? cJSON_GetObjectItemCaseSensitive(t->base, k) : NULL;
			if (!rec)
				continue;
			if (!clip_to_window(rec, (double)a->start_ts)) {
				cJSON_Delete(rec);
				continue;
			}
			if (base && !strncmp(k, "hist:", 5))
				rebase_hist(rec, base);
			else if (base && !strcmp(k, "proc")) {
				PROC_RECORD_CUMULATIVE(REBASE_FIELD_, rec, base)
			} else if (base && !strcmp(k, "pool")) {
				POOL_RECORD_CUMULATIVE(REBASE_FIELD_, rec, base)
			}
			char *text = cJSON_PrintUnformatted(rec);
			fprintf(out, "%s\n", text);
			free(text);
			cJSON_Delete(rec);
		}
	}
	free(line);
	fclose(in);
	return fclose(out) == 0 ? 0 : -errno;
}

/* Follow PID and its descendants that have the agent. */
static void track_tree(struct attach *a, char *err, size_t errlen)
{
	pid_t pids[MAX_TRACKED];
	size_t n = proctree_list(a->o->pid, pids, MAX_TRACKED);
	for (size_t i = 0; i < n && a->nfiles < MAX_TRACKED; i++) {
		struct tracked *t = &a->files[a->nfiles];
		memset(t, 0, sizeof(*t));
		t->pid = pids[i];
		if (agent_file_of(pids[i], t->path, sizeof(t->path)) < 0)
			continue;
		if (track_start(t, err, errlen) == 0)
			a->nfiles++;
	}
}

static void stop(struct attach *a)
{
	probeset_unwatch(&a->ps);
	uv_close((uv_handle_t *)&a->duration, NULL);
	uv_close((uv_handle_t *)&a->alive, NULL);
	uv_close((uv_handle_t *)&a->sigint, NULL);
	uv_close((uv_handle_t *)&a->sigterm, NULL);
}

static void on_duration(uv_timer_t *t)
{
	stop(t->data);
}

static void on_alive(uv_timer_t *t)
{
	struct attach *a = t->data;
	if (kill(a->o->pid, 0) < 0 && errno == ESRCH) {
		a->target_gone = true;
		stop(a);
	}
}

static void on_signal(uv_signal_t *h, int sig)
{
	(void)sig;
	stop(h->data);
}

/* The CPU probe always (unless --no-bpf); the loop probe when the process has no agent. Returns
 * false when the probes were needed (no agent) and could not start; the reason is in a->probe_note. */
static bool start_probes(struct attach *a, const char *dir, bool need_loop)
{
	const struct attach_opts *o = a->o;
	struct probeset_opts po = {.hz = o->hz, .offcpu = o->offcpu, .loops = need_loop, .block_ms = o->block_ms,
				   .interval_ms = o->interval_ms, .dir = dir};
	char err[256];
	pid_t pids[MAX_TRACKED];
	size_t n = proctree_list(o->pid, pids, MAX_TRACKED);

	if (o->no_bpf) {
		snprintf(a->probe_note, sizeof(a->probe_note), "probes off (--no-bpf)");
		return !need_loop;
	}
	if (probeset_start(&a->ps, a->loop, &po, err, sizeof(err)) < 0) {
		snprintf(a->probe_note, sizeof(a->probe_note), "%s", err);
		return false;
	}
	int sampled = 0, rc = 0;
	if (need_loop) {
		/* The window starts when the loop probe watches the processes: loops that ran then are
		 * observed from then (collector/record/probe_loop.c). */
		for (size_t i = 0; i < n; i++)
			probeset_prepare_pid(&a->ps, pids[i]);
		a->start_ts = mono_now_ns();
		a->start_real = real_now_ns();
	}
	for (size_t i = 0; i < n; i++) {
		int e = probeset_add_pid(&a->ps, pids[i]);
		if (e == 0)
			sampled++;
		else
			rc = e;
	}
	probeset_watch(&a->ps);
	if (!a->ps.cpu) {
		snprintf(a->probe_note, sizeof(a->probe_note), "no CPU probe: %s", a->ps.cpu_err);
		return true;
	}
	a->cpu_ran = true;
	if (n && !sampled) {
		snprintf(a->probe_note, sizeof(a->probe_note), "no CPU samples: cannot sample process %d: %s", (int)pids[0],
			 strerror(-rc));
		record_notify(o->notify, .ev = REC_EV_CANNOT_SAMPLE, .pid = pids[0], .text = strerror(-rc));
	} else {
		probeset_describe(&a->ps, a->probe_note, sizeof(a->probe_note));
	}
	return true;
}

enum attach_outcome attach_session(const struct attach_opts *o, struct attach_result *res)
{
	struct attach a;
	char dir[PATH_MAX], probe[PATH_MAX];
	struct stat st;

	memset(res, 0, sizeof(*res));
	memset(&a, 0, sizeof(a));
	a.o = o;
	snprintf(probe, sizeof(probe), "/proc/%d", o->pid);
	if (o->pid <= 0 || stat(probe, &st) < 0)
		return res->outcome = ATTACH_NO_PROCESS;
	int rc = agent_file_of(o->pid, probe, sizeof(probe));
	if (rc == -EACCES || rc == -EPERM)
		return res->outcome = ATTACH_NOT_ALLOWED;
	bool agent = rc == 0;
	if (!agent && maps_have_agent(o->pid) && o->no_bpf)
		return res->outcome = ATTACH_AGENT_SILENT;
	if (!agent && o->no_bpf)
		return res->outcome = ATTACH_NOTHING;
	if (agent) {
		track_tree(&a, res->reason, sizeof(res->reason));
		if (!a.nfiles)
			return res->outcome = ATTACH_AGENT_UNREADABLE;
	}
	if (session_dir_create(o->out_dir, dir, sizeof(dir), res->reason, sizeof(res->reason)) < 0)
		return res->outcome = ATTACH_NO_DIR;
	a.loop = uv_default_loop();
	if (!start_probes(&a, dir, !agent)) {
		snprintf(res->reason, sizeof(res->reason), "%s", a.probe_note);
		uv_loop_close(a.loop);
		rmdir(dir);
		return res->outcome = ATTACH_NO_PROBES;
	}
	if (agent) {
		/* The window starts now (the probes took their time to load): the agent's records from
		 * here on are the window's. */
		a.start_ts = mono_now_ns();
		a.start_real = real_now_ns();
		char why[256]; /* a file unreadable now keeps the window from its first read */
		for (size_t i = 0; i < a.nfiles; i++)
			track_start(&a.files[i], why, sizeof(why));
	}
	uv_update_time(a.loop);
	uv_timer_init(a.loop, &a.duration);
	uv_timer_init(a.loop, &a.alive);
	uv_signal_init(a.loop, &a.sigint);
	uv_signal_init(a.loop, &a.sigterm);
	a.duration.data = a.alive.data = a.sigint.data = a.sigterm.data = &a;
	if (o->duration_s > 0) { /* --duration after the window's start (the probes took time since) */
		uint64_t want = (uint64_t)(o->duration_s * 1000.0);
		uint64_t spent = a.start_ts ? (mono_now_ns() - a.start_ts) / 1000000u : 0;
		uv_timer_start(&a.duration, on_duration, want > spent ? want - spent : 0, 0);
	}
	uv_timer_start(&a.alive, on_alive, ALIVE_CHECK_MS, ALIVE_CHECK_MS);
	uv_signal_start(&a.sigint, on_signal, SIGINT);
	uv_signal_start(&a.sigterm, on_signal, SIGTERM);
	if (agent)
		record_notify(o->notify, .ev = REC_EV_ATTACHED, .pid = o->pid, .count = a.nfiles, .text = a.probe_note,
			      .secs = o->duration_s);
	else
		record_notify(o->notify, .ev = REC_EV_ATTACHED_NO_AGENT, .pid = o->pid, .text = a.probe_note,
			      .secs = o->duration_s);
	uv_run(a.loop, UV_RUN_DEFAULT);
	if (a.target_gone)
		record_notify(o->notify, .ev = REC_EV_TARGET_GONE, .pid = o->pid);
	/* Give the agents one interval to flush the window's last records. */
	if (agent && !a.target_gone)
		usleep(150000);
	for (size_t i = 0; i < a.nfiles; i++) {
		if (write_window(&a, &a.files[i], dir) < 0)
			record_notify(o->notify, .ev = REC_EV_CANNOT_COPY, .path = a.files[i].path, .text = strerror(errno));
		cJSON_Delete(a.files[i].statics);
		cJSON_Delete(a.files[i].base);
	}
	char pidstr[16];
	snprintf(pidstr, sizeof(pidstr), "%d", o->pid);
	char *command[] = {"attach", pidstr, NULL};
	char note[400];
	snprintf(note, sizeof(note), "%s; %s", agent ? "agent records of the window" : "no agent: probe records",
		 a.probe_note);
	struct session_meta m = {"attach", command, o->pid, a.start_ts, 0, a.start_real, -1, o->block_ms, o->hz,
				 NULL, note, NULL, 0};
	rc = record_finish(dir, &m, &a.ps, &res->end, res->reason, sizeof(res->reason));
	uv_run(a.loop, UV_RUN_NOWAIT);
	uv_loop_close(a.loop);
	snprintf(res->dir, sizeof(res->dir), "%s", dir);
	res->cpu_profile = a.cpu_ran;
	if (rc < 0)
		return res->outcome = agent ? ATTACH_UNREADABLE : ATTACH_NO_LOOP;
	return res->outcome = ATTACH_RECORDED;
}

void attach_result_free(struct attach_result *res)
{
	record_end_free(&res->end);
}
