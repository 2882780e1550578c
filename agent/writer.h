/* The agent's record file: one JSON object per line (docs/session-format.md), appended by the agent
 * thread only. Files are 0600 in a 0700 directory (0711 with a uid-N/ subdirectory of 0700 for a
 * process that dropped privileges), opened without following symlinks, for each flush. A full disk
 * drops bytes and counts them; nothing here ever waits on the target's threads. */
#ifndef LOOPSCOPE_AGENT_WRITER_H
#define LOOPSCOPE_AGENT_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A record under construction, in a fixed buffer. On overflow the record is dropped and counted. */
struct rec {
	char *buf;
	size_t len, cap;
	bool overflow;
	bool need_comma;
};

/* Start a record {"type":TYPE,"ts":TS ... in the writer's scratch buffer. */
struct rec *rec_begin(const char *type, uint64_t ts);
void rec_u64(struct rec *r, const char *key, uint64_t v);
void rec_i64(struct rec *r, const char *key, int64_t v);
void rec_f64(struct rec *r, const char *key, double v);
void rec_bool(struct rec *r, const char *key, bool v);
void rec_str(struct rec *r, const char *key, const char *s);
void rec_strn(struct rec *r, const char *key, const char *s, size_t n);
void rec_hex(struct rec *r, const char *key, uint64_t v);
/* Raw JSON text for KEY (the caller guarantees it is valid JSON), or, with key NULL, raw text. */
void rec_raw(struct rec *r, const char *key, const char *json);
void rec_rawf(struct rec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Close the record and queue it for writing. */
void rec_end(struct rec *r);

/* Create the directory (if needed) and this process's file, and write the "process" record.
 * 0 or -errno. Idempotent. */
int writer_open(void);
/* Write what is queued. */
void writer_flush(void);
/* Constructor: whose state this is. */
void writer_init(void);
/* Fork child: drop the parent's file and queue without touching them. */
void writer_after_fork_child(void);
/* On the target's thread, before its effective uid changes from root to UID (agent/identity.c). */
void writer_before_uid(uid_t uid);

/* Read a small file (a /proc entry) whole into buf (at most cap-1 bytes, NUL-terminated): open,
 * read, close, no stdio (fopen's buffer costs an fstat more). Its length, or -1 if it cannot be
 * opened. */
ssize_t read_small_file(const char *path, char *buf, size_t cap);

#endif
