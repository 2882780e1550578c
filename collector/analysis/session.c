/* Reads a session directory: session.json and every agent-PID.jsonl (also those in uid-N/, written by
 * processes that dropped privileges to uid N), one JSON record per line, into the in-memory model of
 * session.h. Unknown record types and keys are skipped (later versions add them); an unfinished last
 * line is a process killed mid-write; anything else malformed is an error that names the file and
 * line. Record files that are not regular files, or in uid-N/ not owned by N or root, are not read. */
#include "collector/analysis/session.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/records.h"
#include "collector/analysis/native_read.h"
#include "collector/util/errbuf.h"
#include "collector/util/files.h"
#include "collector/util/grow.h"
#include "collector/util/xalloc.h"

void vec_init(struct vec *v, size_t elem)
{
	memset(v, 0, sizeof(*v));
	v->elem = elem;
}

void *vec_push(struct vec *v)
{
	v->data = xgrow_array(v->data, &v->cap, v->len + 1, v->elem);
	void *e = (char *)v->data + v->len++ * v->elem;
	memset(e, 0, v->elem);
	return e;
}

void *vec_at(const struct vec *v, size_t i)
{
	return (char *)v->data + i * v->elem;
}

void vec_free(struct vec *v)
{
	free(v->data);
	v->data = NULL;
	v->len = v->cap = 0;
}


static uint64_t u64(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsNumber(v) || v->valuedouble < 0)
		return 0;
	if (v->valuedouble >= 18446744073709551615.0)
		return UINT64_MAX;
	return (uint64_t)v->valuedouble;
}

static double f64(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool flag(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* The readers of agent/records.h's field types, for RECORD_READ. */
#define READ_u64(rec, key, dst) ((dst) = u64(rec, key))
#define READ_i64(rec, key, dst) ((dst) = (__typeof__(dst))u64(rec, key))
#define READ_f64(rec, key, dst) ((dst) = f64(rec, key))
#define READ_bool(rec, key, dst) ((dst) = flag(rec, key))
#define READ_str(rec, key, dst) snprintf(dst, sizeof(dst), "%s", str(rec, key) ? str(rec, key) : "")

static char *dupstr(const char *s)
{
	return xstrdup(s ? s : "");
}

/* Loops by id through the process's index: a session of many loops reads in linear time. */
struct s_loop *process_loop(struct s_process *p, uint32_t id)
{
	size_t i = id_index_get(&p->loop_index, id);
	return i ? vec_at(&p->loops, i - 1) : NULL;
}

static struct s_loop *loop_of(struct s_process *p, const cJSON *rec)
{
	uint32_t id = (uint32_t)u64(rec, "loop");
	struct s_loop *l = process_loop(p, id);
	if (l || !id)
		return l;
	/* Records of a loop whose "loop" record we did not see (attach window): make it. */
	l = vec_push(&p->loops);
	l->id = id;
	id_index_put(&p->loop_index, id, (uint32_t)(p->loops.len - 1));
	vec_init(&l->intervals, sizeof(struct s_interval));
	vec_init(&l->blocks, sizeof(struct s_block));
	vec_init(&l->stacks, sizeof(struct s_stack));
	vec_init(&l->gcs, sizeof(struct s_gc));
	vec_init(&l->heaps, sizeof(struct s_heap));
	return l;
}

/* A "hist" record into h. false on a malformed bucket list. */
static bool read_hist(const cJSON *rec, struct s_hist *out)
{
	const cJSON *buckets = cJSON_GetObjectItemCaseSensitive(rec, "buckets");
	const cJSON *b;

	if (!cJSON_IsArray(buckets))
		return false;
	if (!out->h)
		out->h = xmalloc(sizeof(*out->h));
	memset(out->h, 0, sizeof(*out->h));
	out->present = false;
	cJSON_ArrayForEach(b, buckets)
	{
		const cJSON *i = cJSON_GetArrayItem(b, 0), *c = cJSON_GetArrayItem(b, 1);
		/* A count is a u64: 2^64 and beyond (1e67) would be undefined as an integer. */
		if (!cJSON_IsNumber(i) || !cJSON_IsNumber(c) || !(i->valuedouble >= 0) || i->valuedouble >= HIST_BUCKETS ||
		    !(c->valuedouble >= 0) || c->valuedouble >= 18446744073709551616.0)
			return false;
		out->h->counts[(unsigned)i->valuedouble] += (uint64_t)c->valuedouble;
	}
	RECORD_READ(HIST_RECORD_FIELDS, READ, rec, out->h);
	out->present = true;
	return true;
}

static bool read_stack(const cJSON *rec, struct s_loop *l)
{
	const cJSON *frames = cJSON_GetObjectItemCaseSensitive(rec, "frames"), *f;
	const char *state = str(rec, "state");
	const cJSON *sc = cJSON_GetObjectItemCaseSensitive(rec, "syscall");
	int n = cJSON_GetArraySize(frames);

	if (!cJSON_IsArray(frames) || n > 4096)
		return false;
	struct s_stack *s = vec_push(&l->stacks);
	s->ts = u64(rec, "ts");
	s->block_start = u64(rec, "block_start");
	s->state = state && *state ? state[0] : '?';
	/* a number, never cast from out of an int's range (undefined) */
	s->syscall = cJSON_IsNumber(sc) && sc->valuedouble >= 0 && sc->valuedouble <= INT_MAX ? (int)sc->valuedouble : -1;
	s->frames = xcalloc((size_t)n + 1, sizeof(uint64_t));
	cJSON_ArrayForEach(f, frames)
	{
		if (!cJSON_IsString(f))
			return false;
		s->frames[s->nframes++] = strtoull(f->valuestring, NULL, 16);
	}
	return true;
}

/* Durations are range-checked where they are read: never negative, never longer than the clock has
 * run at the record's time (CLOCK_MONOTONIC ns: a longer one is a negative difference written
 * unsigned, like a block of 18446744073710 ms), and a span never ends after the record that
 * reports it. Each returns false with the reason in why. */

/* Each of keys (NULL-terminated), when present, a number from 0 to ts. */
static bool durations_ok(const cJSON *rec, const char *type, uint64_t ts, const char *const *keys, char *why,
			 size_t whylen)
{
	for (; *keys; keys++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, *keys);
		if (!v)
			continue;
		if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0)) {
			errbuf_printf(why, whylen, "%s record: %s is %s, not a duration in ns", type, *keys,
				      cJSON_IsNumber(v) ? "negative" : "not a number");
			return false;
		}
		if (v->valuedouble > (double)ts) {
			errbuf_printf(why, whylen,
				      "%s record: %s of %.0f ns is longer than the clock had run at its time %llu "
				      "(a negative duration written unsigned)",
				      type, *keys, v->valuedouble, (unsigned long long)ts);
			return false;
		}
	}
	return true;
}

/* A block or GC pause: a time and a duration; it starts by its record's time and ends by it. */
static bool span_ok(const cJSON *rec, const char *type, uint64_t ts, char *why, size_t whylen)
{
	static const char *const dur_key[] = {"dur", NULL};
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, "start");

	if (v && (!cJSON_IsNumber(v) || !(v->valuedouble >= 0))) {
		errbuf_printf(why, whylen, "%s record: start is %s, not a time in ns", type,
			      cJSON_IsNumber(v) ? "negative" : "not a number");
		return false;
	}
	if (!durations_ok(rec, type, ts, dur_key, why, whylen))
		return false;
	uint64_t start = u64(rec, "start"), dur = u64(rec, "dur");
	if (start > ts) {
		errbuf_printf(why, whylen, "%s record: it starts at %llu, after its own time %llu (a negative duration)",
			      type, (unsigned long long)start, (unsigned long long)ts);
		return false;
	}
	if (dur > ts - start) {
		errbuf_printf(why, whylen, "%s record: it starts at %llu and lasts %llu ns, past its own time %llu", type,
			      (unsigned long long)start, (unsigned long long)dur, (unsigned long long)ts);
		return false;
	}
	return true;
}

static const char *const interval_durations[] = {"dt",	      "busy",	     "idle",	  "away",      "busy_p99",
						  "busy_max", "delay_p50", "delay_p99", "delay_max", NULL};

/* One record into p. false if it is malformed in a way that matters (the reason in why, when it is
 * more than "corrupt"). */
static bool apply_record(struct s_process *p, const cJSON *rec, char *why, size_t whylen)
{
	const char *type = str(rec, "type");
	uint64_t ts = u64(rec, "ts");
	struct s_loop *l;

	if (!type)
		return false;
	if (ts) {
		if (!p->start_ts || ts < p->start_ts)
			p->start_ts = ts;
		if (ts > p->end_ts)
			p->end_ts = ts;
	}
	if (!strcmp(type, "process")) {
		const cJSON *argv = cJSON_GetObjectItemCaseSensitive(rec, "cmdline"), *a;
		const char *source = str(rec, "source");
		p->from_probe = source && !strcmp(source, "probe");
		p->pid = (int)u64(rec, "pid");
		p->ppid = (int)u64(rec, "ppid");
		free(p->exe);
		p->exe = dupstr(str(rec, "exe"));
		p->realtime_ns = u64(rec, "realtime_ns");
		p->block_ns = u64(rec, "block_ns");
		p->interval_ns = u64(rec, "interval_ns");
		p->delay_resolution_ns = u64(rec, "delay_resolution_ns");
		p->cpus = (unsigned)u64(rec, "cpus");
		free(p->perf_map);
		p->perf_map = dupstr(str(rec, "perf_map"));
		if (cJSON_IsArray(argv) && !p->argv) {
			p->argv = xcalloc((size_t)cJSON_GetArraySize(argv) + 1, sizeof(char *));
			cJSON_ArrayForEach(a, argv) p->argv[p->argc++] = dupstr(cJSON_IsString(a) ? a->valuestring : "");
		}
	} else if (!strcmp(type, "v8")) {
		free(p->v8_version);
		p->v8_version = dupstr(str(rec, "version"));
		if (str(rec, "heap_refused")) {
			free(p->heap_refused);
			p->heap_refused = dupstr(str(rec, "heap_refused"));
		}
	} else if (!strcmp(type, "loop")) {
		if (!(l = loop_of(p, rec)))
			return false;
		RECORD_READ(LOOP_RECORD_FIELDS, READ, rec, l);
		l->first_ts = ts;
		if (!l->last_ts)
			l->last_ts = ts;
	} else if (!strcmp(type, "interval")) {
		if (!durations_ok(rec, type, ts, interval_durations, why, whylen) || !(l = loop_of(p, rec)))
			return false;
		struct s_interval *iv = vec_push(&l->intervals);
		iv->ts = ts;
		RECORD_READ(INTERVAL_RECORD_FIELDS, READ, rec, iv);
		if (iv->busy > iv->dt || iv->idle > iv->dt - iv->busy || iv->away > iv->dt - iv->busy - iv->idle) {
			errbuf_printf(why, whylen, "interval record: busy %llu + idle %llu + away %llu ns exceed its dt %llu",
				      (unsigned long long)iv->busy, (unsigned long long)iv->idle,
				      (unsigned long long)iv->away, (unsigned long long)iv->dt);
			return false;
		}
		l->busy += iv->busy;
		l->idle += iv->idle;
		l->iterations += iv->iterations;
		l->polls += iv->polls;
		if (!l->first_ts || ts - iv->dt < l->first_ts)
			l->first_ts = ts - iv->dt;
		l->last_ts = ts;
	} else if (!strcmp(type, "block")) {
		if (!span_ok(rec, type, ts, why, whylen) || !(l = loop_of(p, rec)))
			return false;
		struct s_block *b = vec_push(&l->blocks);
		RECORD_READ(BLOCK_RECORD_FIELDS, READ, rec, b);
	} else if (!strcmp(type, "stack")) {
		if (!(l = loop_of(p, rec)))
			return false;
		return read_stack(rec, l);
	} else if (!strcmp(type, "maps")) {
		struct s_maps *m = vec_push(&p->maps);
		m->ts = ts;
		m->text = dupstr(str(rec, "text"));
	} else if (!strcmp(type, "native_stack")) {
		return native_stack_read(&p->native, rec, ts, why, whylen);
	} else if (!strcmp(type, "native_heap")) {
		return native_heap_read(&p->native, rec, ts, why, whylen);
	} else if (!strcmp(type, "gc")) {
		if (!span_ok(rec, type, ts, why, whylen) || !(l = loop_of(p, rec)))
			return false;
		struct s_gc *g = vec_push(&l->gcs);
		RECORD_READ(GC_RECORD_FIELDS, READ, rec, g);
		if (!g->kind[0])
			snprintf(g->kind, sizeof(g->kind), "other");
	} else if (!strcmp(type, "heap")) {
		if (!(l = loop_of(p, rec)))
			return false;
		struct s_heap *h = vec_push(&l->heaps);
		h->ts = ts;
		RECORD_READ(HEAP_RECORD_FIELDS, READ, rec, h);
	} else if (!strcmp(type, "pool")) {
		struct s_pool_interval *pi = vec_push(&p->pool);
		RECORD_READ(POOL_RECORD_HEAD, READ, rec, &p->pool_head);
		pi->ts = ts;
		RECORD_READ(POOL_RECORD_FIELDS, READ, rec, pi);
		if (p->pool.len > 1)
			pi->dt = ts - ((struct s_pool_interval *)vec_at(&p->pool, p->pool.len - 2))->ts;
		else
			pi->dt = p->interval_ns;
	} else if (!strcmp(type, "proc")) {
		struct s_proc_sample *ps = vec_push(&p->procs);
		ps->ts = ts;
		RECORD_READ(PROC_RECORD_FIELDS, READ, rec, ps);
	} else if (!strcmp(type, "hist")) {
		const char *name = str(rec, "name");
		struct s_hist *h = NULL;
		if (!name)
			return false;
		if (!strcmp(name, "pool_wait"))
			h = &p->pool_wait;
		else if (!strcmp(name, "pool_run"))
			h = &p->pool_run;
		else if ((l = loop_of(p, rec)))
			h = !strcmp(name, "busy") ? &l->busy_h : !strcmp(name, "delay") ? &l->delay_h
			  : !strcmp(name, "gc_pause") ? &l->gc_h : NULL;
		if (h)
			return read_hist(rec, h);
	} else if (!strcmp(type, "drops")) {
		static const char *const names[DROP_KINDS] = AGENT_DROP_NAMES;
		for (int i = 0; i < DROP_KINDS; i++)
			p->drops[i] = u64(rec, names[i]);
	} else if (!strcmp(type, "loop_end")) {
		if ((l = loop_of(p, rec)))
			l->ended = true;
	} else if (!strcmp(type, "end")) {
		p->ended = true;
	}
	return true;
}

/* Open a record file: open_regular's (a regular file of one link, never through a symlink, never
 * blocking on a FIFO, owned by us, root or the directory's owner), and owned by `owner` or root
 * unless owner is (uid_t)-1. */
static FILE *open_records(const char *path, uid_t owner, char *err, size_t errlen, int *rc)
{
	struct stat st;
	int fd = open_regular(path, err, errlen);
	FILE *f;

	if (fd < 0) {
		*rc = fd;
		return NULL;
	}
	if (owner != (uid_t)-1 && (fstat(fd, &st) < 0 || (st.st_uid != owner && st.st_uid != 0))) {
		close(fd);
		*rc = -EPERM;
		errbuf_printf(err, errlen, "%s: not owned by uid %u or root: not read", path, (unsigned)owner);
		return NULL;
	}
	if (!(f = fdopen(fd, "r"))) {
		*rc = -errno;
		close(fd);
		errbuf_printf(err, errlen, "cannot read %s: %s", path, strerror(-*rc));
	}
	return f;
}

long session_read_records(struct s_process *p, const char *path, long offset, char *err, size_t errlen)
{
	return session_read_records_as(p, path, (uid_t)-1, offset, err, errlen);
}

long session_read_records_as(struct s_process *p, const char *path, uid_t owner, long offset, char *err,
			     size_t errlen)
{
	char *line = NULL, why[256];
	size_t cap = 0;
	ssize_t n;
	long consumed = offset, lineno = 0;
	int rc = 0;
	FILE *f = open_records(path, owner, err, errlen, &rc);

	if (!f)
		return rc;
	if (offset && fseek(f, offset, SEEK_SET) < 0) {
		int e = errno;
		fclose(f);
		errbuf_printf(err, errlen, "cannot seek in %s: %s", path, strerror(e));
		return -e;
	}
	while ((n = getline_limit(&line, &cap, f, SESSION_LINE_MAX)) > 0) {
		lineno++;
		if (line[n - 1] != '\n')
			break; /* unfinished: the writer was killed mid-line, or is writing it now */
		cJSON *rec = cJSON_ParseWithLength(line, (size_t)n);
		bool ok = rec && cJSON_IsObject(rec);
		if (ok && offset == 0 && lineno == 1) {
			const char *type = str(rec, "type");
			ok = type && !strcmp(type, "process");
			if (ok && u64(rec, "version") > SESSION_VERSION) {
				errbuf_printf(err, errlen, "%s: written by a newer loopscope (format version %llu)", path,
				     (unsigned long long)u64(rec, "version"));
				cJSON_Delete(rec);
				free(line);
				fclose(f);
				return -EPROTO;
			}
		}
		why[0] = 0;
		if (ok)
			ok = apply_record(p, rec, why, sizeof(why));
		cJSON_Delete(rec);
		if (!ok) {
			p->bad_lines++;
			if (why[0])
				errbuf_printf(err, errlen, "%s:%ld: impossible %s: the file is damaged, record the session again",
					      path, lineno, why);
			else
				errbuf_printf(err, errlen, "%s:%ld: corrupt record%s", path, lineno + 0,
					      offset == 0 && lineno == 1 ? " (not a loopscope record file)" : "");
			free(line);
			fclose(f);
			return -EBADMSG;
		}
		consumed += n;
	}
	if (n == -EFBIG) {
		free(line);
		fclose(f);
		errbuf_printf(err, errlen, "%s:%ld: a line longer than %u MiB: not a loopscope record file", path, lineno + 1,
			      SESSION_LINE_MAX >> 20);
		return -EFBIG;
	}
	free(line);
	fclose(f);
	return consumed;
}

int session_meta_read(const char *dir, cJSON **out, char *err, size_t errlen)
{
	char path[4096], *text;
	size_t len;
	int rc;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/session.json", dir);
	if ((rc = read_file_limit(path, 64 << 20, &text, &len, err, errlen)) < 0)
		return rc == -ENOENT ? 0 : rc;
	cJSON *j = cJSON_ParseWithLength(text, len);
	free(text);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		errbuf_printf(err, errlen, "%s: corrupt or truncated (not a JSON object)", path);
		return -EBADMSG;
	}
	if (u64(j, "version") > SESSION_VERSION) {
		errbuf_printf(err, errlen, "%s: written by a newer loopscope (version %llu)", path,
			      (unsigned long long)u64(j, "version"));
		cJSON_Delete(j);
		return -EPROTO;
	}
	*out = j;
	return 0;
}

static int read_meta(struct session *s, char *err, size_t errlen)
{
	cJSON *j;
	int rc = session_meta_read(s->dir, &j, err, errlen);

	if (rc < 0 || !j)
		return rc;
	s->has_meta = true;
	const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(j, "command"), *a;
	if (cJSON_IsArray(cmd)) {
		s->command = xcalloc((size_t)cJSON_GetArraySize(cmd) + 1, sizeof(char *));
		cJSON_ArrayForEach(a, cmd) s->command[s->ncommand++] = dupstr(cJSON_IsString(a) ? a->valuestring : "");
	}
	s->start_ts = u64(j, "start_ts");
	s->end_ts = u64(j, "end_ts");
	s->start_realtime_ns = u64(j, "start_realtime_ns");
	s->root_pid = (int)u64(j, "pid");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "exit_status");
	s->exit_status = cJSON_IsNumber(st) && st->valuedouble >= 0 && st->valuedouble <= 255 ? (int)st->valuedouble : -1;
	const cJSON *load = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "options"), "load");
	if (cJSON_IsString(load))
		s->load = dupstr(load->valuestring);
	const cJSON *snaps = cJSON_GetObjectItemCaseSensitive(j, "heap_snapshots"), *h;
	if (!cJSON_IsArray(snaps))
		snaps = NULL;
	cJSON_ArrayForEach(h, snaps)
	{
		if (s->nsnaps == SESSION_SNAPSHOTS_MAX || !cJSON_IsObject(h))
			break;
		struct s_snapshot *sn = &s->snaps[s->nsnaps];
		const cJSON *file = cJSON_GetObjectItemCaseSensitive(h, "file");
		const cJSON *pause = cJSON_GetObjectItemCaseSensitive(h, "pause_ms");
		sn->pid = (int)u64(h, "pid");
		sn->start = u64(h, "start_ts");
		sn->end = u64(h, "end_ts");
		sn->bytes = u64(h, "bytes");
		sn->pause_ms = cJSON_IsNumber(pause) && pause->valuedouble >= 0 && pause->valuedouble < 1e9 ? pause->valuedouble : 0;
		if (cJSON_IsString(file))
			snprintf(sn->file, sizeof(sn->file), "%s", file->valuestring);
		if (sn->end >= sn->start && sn->pid > 0)
			s->nsnaps++;
	}
	cJSON_Delete(j);
	return 0;
}

/* Blocks of a snapshot's process that lie mostly inside its window (more than half their span,
 * the window widened by a block threshold's worth for the poll that ends it) are the snapshot's:
 * out of the loop's blocks, with the watchdog's stacks of those windows. */
#define SNAPSHOT_SLACK_NS 50000000ull
static void drop_snapshot_blocks(struct session *s)
{
	for (size_t k = 0; k < s->nsnaps; k++) {
		const struct s_snapshot *sn = &s->snaps[k];
		uint64_t lo = sn->start, hi = sn->end + SNAPSHOT_SLACK_NS;
		for (size_t i = 0; i < s->procs.len; i++) {
			struct s_process *p = vec_at(&s->procs, i);
			if (p->pid != sn->pid)
				continue;
			for (size_t li = 0; li < p->loops.len; li++) {
				struct s_loop *l = vec_at(&p->loops, li);
				size_t keep = 0;
				for (size_t b = 0; b < l->blocks.len; b++) {
					struct s_block *bl = vec_at(&l->blocks, b);
					uint64_t a = bl->start > lo ? bl->start : lo;
					uint64_t z = bl->start + bl->dur < hi ? bl->start + bl->dur : hi;
					if (z > a && (z - a) * 2 > bl->dur) {
						s->snap_blocks++;
						s->snap_blocked_ns += bl->dur;
						continue;
					}
					*(struct s_block *)vec_at(&l->blocks, keep++) = *bl;
				}
				l->blocks.len = keep;
				keep = 0;
				for (size_t t = 0; t < l->stacks.len; t++) {
					struct s_stack *st = vec_at(&l->stacks, t);
					if (st->ts >= lo && st->ts <= hi) {
						free(st->frames);
						continue;
					}
					*(struct s_stack *)vec_at(&l->stacks, keep++) = *st;
				}
				l->stacks.len = keep;
			}
		}
	}
}

/* Whether a file name is a record file: agent-PID[.N].jsonl or probe-PID.jsonl. */
static bool record_file_name(const char *name, bool agent_only)
{
	size_t n = strlen(name);
	if (n < 12 || strcmp(name + n - 6, ".jsonl"))
		return false;
	return !strncmp(name, "agent-", 6) || (!agent_only && !strncmp(name, "probe-", 6));
}

/* "uid-N" (N decimal, no sign, no leading zero) -> N, else -1. */
static long uid_dir_name(const char *name)
{
	char *end;
	if (strncmp(name, "uid-", 4) || name[4] < '0' || name[4] > '9' || (name[4] == '0' && name[5]) ||
	    strlen(name + 4) > 10)
		return -1;
	unsigned long n = strtoul(name + 4, &end, 10);
	return *end || n >= (uid_t)-1 ? -1 : (long)n;
}

long session_uid_dir(const char *dir, const char *name, char *where, size_t len, bool *spool)
{
	char path[4096];
	struct stat st, top;
	long uid = uid_dir_name(name);

	*spool = false;
	if (uid < 0 || stat(dir, &top) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (lstat(path, &st) < 0)
		return -1;
	if (S_ISLNK(st.st_mode)) {
		/* the agent's spool for a uid that could not reach DIR: the link, made as root, is as
		 * trustworthy as DIR; its target must be a directory itself, owned by N */
		ssize_t n;
		if ((st.st_uid != 0 && st.st_uid != top.st_uid) || (n = readlink(path, where, len - 1)) <= 0 ||
		    (size_t)n >= len - 1)
			return -1;
		where[n] = 0;
		if (where[0] != '/' || lstat(where, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != (uid_t)uid)
			return -1;
		*spool = true;
		return uid;
	}
	/* made by the agent, as root, for a process about to drop to uid N: a directory itself, owned by
	 * N (or root) */
	if (!S_ISDIR(st.st_mode) || (st.st_uid != (uid_t)uid && st.st_uid != 0) || strlen(path) >= len)
		return -1;
	memcpy(where, path, strlen(path) + 1);
	return uid;
}

int session_list_records(const char *dir, session_record_fn fn, void *arg)
{
	char path[4096], where[4096];
	struct dirent *e;
	DIR *d = opendir(dir);
	int rc = 0;
	bool spool;

	if (!d)
		return -errno;
	while (!rc && (e = readdir(d))) {
		if (record_file_name(e->d_name, false)) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			rc = fn(path, (uid_t)-1, arg);
			continue;
		}
		long uid = session_uid_dir(dir, e->d_name, where, sizeof(where), &spool);
		if (uid < 0)
			continue;
		DIR *sub = opendir(where);
		struct dirent *f;
		while (sub && !rc && (f = readdir(sub))) {
			char file[4096 + 300];
			if (!record_file_name(f->d_name, true))
				continue;
			snprintf(file, sizeof(file), "%s/%s", where, f->d_name);
			rc = fn(file, (uid_t)uid, arg);
		}
		if (sub)
			closedir(sub);
	}
	closedir(d);
	return rc;
}

/* A process seen by both the agent and the probes is the agent's; the probes fill only what the
 * agent did not record: GC pauses (a process whose V8 callbacks were not reachable) and the pool. */
static void merge_sources(struct session *s)
{
	for (size_t i = 0; i < s->procs.len; i++) {
		struct s_process *probe = vec_at(&s->procs, i), *agent = NULL;
		if (!probe->from_probe)
			continue;
		for (size_t k = 0; k < s->procs.len && !agent; k++) {
			struct s_process *a = vec_at(&s->procs, k);
			if (!a->from_probe && a->pid == probe->pid)
				agent = a;
		}
		if (!agent)
			continue;
		size_t agent_gcs = 0;
		for (size_t k = 0; k < agent->loops.len; k++)
			agent_gcs += ((struct s_loop *)vec_at(&agent->loops, k))->gcs.len;
		for (size_t k = 0; k < probe->loops.len && !agent_gcs; k++) {
			struct s_loop *pl = vec_at(&probe->loops, k), *al = NULL;
			for (size_t j = 0; j < agent->loops.len && !al; j++) {
				struct s_loop *l = vec_at(&agent->loops, j);
				if (l->tid == pl->tid)
					al = l;
			}
			if (al && pl->gcs.len) { /* hand the probe's GC events to the agent's loop */
				struct vec tmp = al->gcs;
				al->gcs = pl->gcs;
				pl->gcs = tmp;
				struct s_hist h = al->gc_h; /* swapped: each is freed once */
				al->gc_h = pl->gc_h;
				pl->gc_h = h;
			}
		}
		if (!agent->pool.len && probe->pool.len) {
			struct vec tmp = agent->pool;
			agent->pool = probe->pool;
			probe->pool = tmp;
			agent->pool_head = probe->pool_head;
			struct s_hist wait = agent->pool_wait, run = agent->pool_run; /* swapped: each freed once */
			agent->pool_wait = probe->pool_wait;
			agent->pool_run = probe->pool_run;
			probe->pool_wait = wait;
			probe->pool_run = run;
		}
		process_free(probe);
		memmove(probe, probe + 1, (s->procs.len - i - 1) * sizeof(*probe));
		s->procs.len--;
		i--;
	}
}

static int by_start(const void *a, const void *b)
{
	const struct s_process *x = a, *y = b;
	return x->start_ts < y->start_ts ? -1 : x->start_ts > y->start_ts;
}

struct load_ctx {
	struct session *s;
	char *err;
	size_t errlen;
	bool failed;
};

static int load_file(const char *path, uid_t owner, void *arg)
{
	struct load_ctx *c = arg;
	struct s_process *p = vec_push(&c->s->procs);
	vec_init(&p->loops, sizeof(struct s_loop));
	vec_init(&p->pool, sizeof(struct s_pool_interval));
	vec_init(&p->procs, sizeof(struct s_proc_sample));
	vec_init(&p->maps, sizeof(struct s_maps));
	p->file = xstrdup(path);
	long r = session_read_records_as(p, path, owner, 0, c->err, c->errlen);
	if (r == -ENOENT || ((r == -EPERM || r == -ELOOP || r == -EINVAL) && owner != (uid_t)-1))
		p->pid = 0; /* gone meanwhile, or a spooled file not the agent's: skipped */
	else if (r < 0) { /* one in the session itself that is not ours to read: said */
		c->failed = true;
		return (int)r;
	}
	if (!p->pid) { /* skipped, or an empty file: the agent was killed before its first line */
		process_free(p);
		c->s->procs.len--;
	}
	return 0;
}

int session_load(struct session *s, const char *dir, char *err, size_t errlen)
{
	struct stat st;
	int rc;

	memset(s, 0, sizeof(*s));
	s->exit_status = -1;
	vec_init(&s->procs, sizeof(struct s_process));
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		int err_no = errno ? errno : ENOTDIR;
		errbuf_printf(err, errlen, "%s: not a session directory (%s)", dir, strerror(err_no));
		return -err_no;
	}
	s->dir = xstrdup(dir);
	if ((rc = read_meta(s, err, errlen)) < 0)
		return rc;
	struct load_ctx ctx = {s, err, errlen, false};
	if ((rc = session_list_records(dir, load_file, &ctx)) < 0) {
		if (!ctx.failed) /* else the file's own reason is in err */
			errbuf_printf(err, errlen, "cannot list %s: %s", dir, strerror(-rc));
		return rc;
	}
	merge_sources(s);
	drop_snapshot_blocks(s);
	if (!s->procs.len) {
		errbuf_printf(err, errlen, "%s: no records (agent-PID.jsonl or probe-PID.jsonl) in this directory", dir);
		return -ENOENT;
	}
	qsort(s->procs.data, s->procs.len, sizeof(struct s_process), by_start);
	return 0;
}

void process_free(struct s_process *p)
{
	for (size_t i = 0; i < p->loops.len; i++) {
		struct s_loop *l = vec_at(&p->loops, i);
		for (size_t k = 0; k < l->stacks.len; k++)
			free(((struct s_stack *)vec_at(&l->stacks, k))->frames);
		vec_free(&l->intervals);
		vec_free(&l->blocks);
		vec_free(&l->stacks);
		vec_free(&l->gcs);
		vec_free(&l->heaps);
		free(l->busy_h.h);
		free(l->delay_h.h);
		free(l->gc_h.h);
	}
	free(p->pool_wait.h);
	free(p->pool_run.h);
	for (size_t i = 0; i < p->maps.len; i++)
		free(((struct s_maps *)vec_at(&p->maps, i))->text);
	for (int i = 0; i < p->argc; i++)
		free(p->argv[i]);
	free(p->argv);
	free(p->file);
	free(p->exe);
	free(p->perf_map);
	free(p->v8_version);
	free(p->heap_refused);
	vec_free(&p->loops);
	id_index_free(&p->loop_index);
	vec_free(&p->pool);
	vec_free(&p->procs);
	vec_free(&p->maps);
	native_heap_free(&p->native);
}

void session_free(struct session *s)
{
	for (size_t i = 0; i < s->procs.len; i++)
		process_free(vec_at(&s->procs, i));
	vec_free(&s->procs);
	for (int i = 0; i < s->ncommand; i++)
		free(s->command[i]);
	free(s->command);
	free(s->load);
	free(s->dir);
	memset(s, 0, sizeof(*s));
}

uint64_t session_duration(const struct session *s)
{
	if (s->has_meta && s->end_ts > s->start_ts && s->start_ts)
		return s->end_ts - s->start_ts;
	uint64_t lo = UINT64_MAX, hi = 0;
	for (size_t i = 0; i < s->procs.len; i++) {
		struct s_process *p = vec_at(&s->procs, i);
		if (p->start_ts && p->start_ts < lo)
			lo = p->start_ts;
		if (p->end_ts > hi)
			hi = p->end_ts;
	}
	return hi > lo ? hi - lo : 0;
}

struct s_process *session_root(struct session *s)
{
	for (size_t i = 0; i < s->procs.len; i++) {
		struct s_process *p = vec_at(&s->procs, i);
		if (s->root_pid && p->pid == s->root_pid)
			return p;
	}
	return s->procs.len ? vec_at(&s->procs, 0) : NULL;
}
