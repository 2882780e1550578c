/* A probe record file: the process record from /proc, per-interval CPU/RSS, histograms, the end. */
#include "collector/record/probe_proc.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/histogram.h"
#include "agent/records.h"
#include "collector/record/session_dir.h"
#include "collector/util/clock.h"
#include "collector/util/files.h"

/* The whole of a small /proc file, NUL-terminated; its length or -1. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, total = 0;

	if (fd < 0)
		return -1;
	while ((size_t)total < len - 1 && (n = read(fd, buf + total, len - 1 - (size_t)total)) > 0)
		total += n;
	close(fd);
	buf[total] = 0;
	return total;
}

static int nspid_of(pid_t pid)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return (int)pid;
	char *line = strstr(buf, "\nNSpid:");
	if (!line)
		return (int)pid;
	char *end = strchr(line + 1, '\n');
	if (end)
		*end = 0;
	char *last = strrchr(line, '\t');
	return last ? atoi(last + 1) : (int)pid;
}

static cJSON *process_record(pid_t pid, uint64_t block_ns, uint64_t interval_ns, uint64_t delay_ns, uint64_t ts)
{
	char path[64], buf[8192], exe[PATH_MAX];
	cJSON *rec = cJSON_CreateObject(), *argv = cJSON_CreateArray();
	ssize_t n;

	cJSON_AddNumberToObject(rec, "version", AGENT_FORMAT_VERSION);
	cJSON_AddStringToObject(rec, "source", "probe");
	cJSON_AddStringToObject(rec, "agent", AGENT_VERSION);
	cJSON_AddNumberToObject(rec, "pid", pid);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf)) > 0) {
		char *rp = strrchr(buf, ')');
		int ppid;
		if (rp && sscanf(rp + 1, " %*c %d", &ppid) == 1)
			cJSON_AddNumberToObject(rec, "ppid", ppid);
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if ((n = readlink(path, exe, sizeof(exe) - 1)) > 0) {
		exe[n] = 0;
		cJSON_AddStringToObject(rec, "exe", exe);
	}
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if ((n = read_small(path, buf, sizeof(buf))) > 0)
		for (char *a = buf; a < buf + n; a += strlen(a) + 1)
			cJSON_AddItemToArray(argv, cJSON_CreateString(a));
	cJSON_AddItemToObject(rec, "cmdline", argv);
	uint64_t now = mono_now_ns();
	/* Exact: a JSON number through a double would lose the nanoseconds of a wall-clock time. */
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)(real_now_ns() - (now > ts ? now - ts : 0)));
	cJSON_AddRawToObject(rec, "realtime_ns", buf);
	cJSON_AddNumberToObject(rec, "block_ns", (double)block_ns);
	cJSON_AddNumberToObject(rec, "interval_ns", (double)interval_ns);
	cJSON_AddNumberToObject(rec, "delay_resolution_ns", (double)delay_ns);
	cJSON_AddNumberToObject(rec, "page_size", (double)sysconf(_SC_PAGESIZE));
	cJSON_AddNumberToObject(rec, "clock_ticks", (double)sysconf(_SC_CLK_TCK));
	cJSON_AddNumberToObject(rec, "cpus", (double)sysconf(_SC_NPROCESSORS_ONLN));
	snprintf(buf, sizeof(buf), "/tmp/perf-%d.map", nspid_of(pid));
	cJSON_AddStringToObject(rec, "perf_map", buf);
	return rec;
}

bool probe_proc_cpu_ticks(pid_t pid, unsigned long long *utime, unsigned long long *stime)
{
	char path[64], buf[4096];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return false;
	char *rp = strrchr(buf, ')');
	/* after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
	return rp && sscanf(rp + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", utime, stime) == 2;
}

int probe_file_open(struct probe_file *f, const char *dir, pid_t pid, unsigned image, uint64_t ts,
		    uint64_t block_ns, uint64_t interval_ns, uint64_t delay_resolution_ns,
		    const unsigned long long base[2])
{
	char path[PATH_MAX];

	memset(f, 0, sizeof(*f));
	f->pid = pid;
	f->image = image;
	if (base) {
		f->based = true;
		f->base_utime = base[0];
		f->base_stime = base[1];
	}
	if (image)
		snprintf(path, sizeof(path), "%s/probe-%d.%u.jsonl", dir, (int)pid, image);
	else
		snprintf(path, sizeof(path), "%s/probe-%d.jsonl", dir, (int)pid);
	if (!(f->out = fopen_private(path, O_EXCL))) {
		f->failed = true;
		return -errno;
	}
	probe_file_write(f, "process", ts, process_record(pid, block_ns, interval_ns, delay_resolution_ns, ts));
	probe_file_write_proc(f, ts); /* the base of the CPU times */
	return 0;
}

void probe_file_write(struct probe_file *f, const char *type, uint64_t ts, cJSON *rec)
{
	if (f->out) {
		/* "type" and "ts" first, as the agent writes them. */
		cJSON *head = cJSON_CreateObject(), *item;
		cJSON_AddStringToObject(head, "type", type);
		cJSON_AddNumberToObject(head, "ts", (double)ts);
		while ((item = rec->child)) {
			cJSON_DetachItemViaPointer(rec, item);
			cJSON_AddItemToObject(head, item->string, item);
		}
		char *text = cJSON_PrintUnformatted(head);
		if (text)
			fprintf(f->out, "%s\n", text);
		free(text);
		cJSON_Delete(head);
	}
	cJSON_Delete(rec);
}

/* Run-queue delay summed over the process's threads (schedstat's second field). */
static uint64_t run_delay_ns(pid_t pid)
{
	char path[96], buf[128];
	uint64_t total = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	struct dirent *e;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		unsigned long long cpu, delay;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/schedstat", (int)pid, e->d_name);
		if (read_small(path, buf, sizeof(buf)) > 0 && sscanf(buf, "%llu %llu", &cpu, &delay) == 2)
			total += delay;
	}
	closedir(d);
	return total;
}

void probe_file_write_proc(struct probe_file *f, uint64_t ts)
{
	char path[64], buf[4096];
	unsigned long long ut, st, size, resident;
	static long ticks, page;

	if (!f->out)
		return;
	if (!ticks) {
		ticks = sysconf(_SC_CLK_TCK);
		page = sysconf(_SC_PAGESIZE);
	}
	if (!probe_proc_cpu_ticks(f->pid, &ut, &st))
		return;
	snprintf(path, sizeof(path), "/proc/%d/statm", (int)f->pid);
	if (read_small(path, buf, sizeof(buf)) <= 0 || sscanf(buf, "%llu %llu", &size, &resident) != 2)
		return;
	if (!f->based) {
		f->based = true;
		f->base_utime = ut;
		f->base_stime = st;
	}
	ut = ut > f->base_utime ? ut - f->base_utime : 0;
	st = st > f->base_stime ? st - f->base_stime : 0;
	struct proc_record pr = {
		.utime = (uint64_t)((double)ut * (1e9 / (double)ticks)),
		.stime = (uint64_t)((double)st * (1e9 / (double)ticks)),
		.rss = (uint64_t)resident * (uint64_t)page,
		.run_delay = run_delay_ns(f->pid),
	};
	cJSON *rec = cJSON_CreateObject();
	RECORD_WRITE(PROC_RECORD_FIELDS, json_put, rec, &pr);
	probe_file_write(f, "proc", ts, rec);
}

void probe_file_write_hist(struct probe_file *f, uint64_t ts, const char *name, uint32_t loop, const struct hist *h)
{
	if (!f->out || !h->count)
		return;
	cJSON *rec = cJSON_CreateObject(), *buckets = cJSON_CreateArray();
	cJSON_AddStringToObject(rec, "name", name);
	if (loop)
		cJSON_AddNumberToObject(rec, "loop", loop);
	RECORD_WRITE(HIST_RECORD_FIELDS, json_put, rec, h);
	for (unsigned b = 0; b < HIST_BUCKETS; b++) {
		if (!h->counts[b])
			continue;
		cJSON *pair = cJSON_CreateArray();
		cJSON_AddItemToArray(pair, cJSON_CreateNumber(b));
		cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)h->counts[b]));
		cJSON_AddItemToArray(buckets, pair);
	}
	cJSON_AddItemToObject(rec, "buckets", buckets);
	probe_file_write(f, "hist", ts, rec);
}

void json_put_u64(cJSON *rec, const char *key, uint64_t v)
{
	cJSON_AddNumberToObject(rec, key, (double)v);
}

void json_put_i64(cJSON *rec, const char *key, int64_t v)
{
	cJSON_AddNumberToObject(rec, key, (double)v);
}

void json_put_f64(cJSON *rec, const char *key, double v)
{
	cJSON_AddNumberToObject(rec, key, v);
}

void json_put_bool(cJSON *rec, const char *key, bool v)
{
	cJSON_AddBoolToObject(rec, key, v);
}

void json_put_str(cJSON *rec, const char *key, const char *s)
{
	cJSON_AddStringToObject(rec, key, s ? s : "");
}

void probe_file_flush(struct probe_file *f)
{
	if (f->out)
		fflush(f->out);
}

void probe_file_close(struct probe_file *f, uint64_t ts, const char *reason)
{
	if (!f->out)
		return;
	if (reason) {
		cJSON *rec = cJSON_CreateObject();
		cJSON_AddStringToObject(rec, "reason", reason);
		probe_file_write(f, "end", ts, rec);
	}
	fclose(f->out);
	f->out = NULL;
}
