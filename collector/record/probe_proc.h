/* The record file of one process that the probes watched (probe-PID[.N].jsonl): its `process`
 * record, and what /proc tells of it each interval (`proc`). Records are written with the agent's
 * types and fields (docs/session-format.md), so readers treat the file like an agent file. */
#ifndef LOOPSCOPE_COLLECTOR_PROBE_PROC_H
#define LOOPSCOPE_COLLECTOR_PROBE_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct cJSON;

struct probe_file {
	pid_t pid;
	unsigned image; /* 0, then 1, 2... after each exec: the file's .N */
	FILE *out;
	bool failed;    /* could not be created: its records are dropped */
	bool based;     /* CPU times are counted from base_* (the window's start, or the first proc record) */
	unsigned long long base_utime, base_stime;
};

/* The CPU time pid used so far, in clock ticks (utime and stime of /proc/PID/stat); false when
 * unreadable. */
bool probe_proc_cpu_ticks(pid_t pid, unsigned long long *utime, unsigned long long *stime);
/* Create dir/probe-PID[.N].jsonl (0600, no symlink followed) and write its `process` record, read
 * from /proc/PID now. ts: CLOCK_MONOTONIC ns of the record. base: the CPU ticks its CPU times count
 * from (probe_proc_cpu_ticks when the window started), NULL: from now. */
int probe_file_open(struct probe_file *f, const char *dir, pid_t pid, unsigned image, uint64_t ts,
		    uint64_t block_ns, uint64_t interval_ns, uint64_t delay_resolution_ns,
		    const unsigned long long base[2]);
/* Append one record (its "ts" and "type" are added first); takes ownership of rec. */
void probe_file_write(struct probe_file *f, const char *type, uint64_t ts, struct cJSON *rec);
/* The `proc` record for now: CPU time since the file's first proc record, RSS and run-queue delay
 * from /proc/PID (skipped when the process is gone). */
void probe_file_write_proc(struct probe_file *f, uint64_t ts);
/* A `hist` record of a histogram (skipped when empty). loop 0: none. */
struct hist;
void probe_file_write_hist(struct probe_file *f, uint64_t ts, const char *name, uint32_t loop, const struct hist *h);
void probe_file_flush(struct probe_file *f);
/* One field into a record under construction, for RECORD_WRITE (agent/records.h): numbers as the
 * agent writes them (integers below 2^53 print as integers). */
void json_put_u64(struct cJSON *rec, const char *key, uint64_t v);
void json_put_i64(struct cJSON *rec, const char *key, int64_t v);
void json_put_f64(struct cJSON *rec, const char *key, double v);
void json_put_bool(struct cJSON *rec, const char *key, bool v);
void json_put_str(struct cJSON *rec, const char *key, const char *s);
/* Write `end` with reason (NULL: none, the process still runs) and close. */
void probe_file_close(struct probe_file *f, uint64_t ts, const char *reason);

#endif
