/* Record file of one process: LOOPSCOPE_DIR/agent-PID.jsonl (agent-PID.N.jsonl after an exec in the
 * same process; LOOPSCOPE_DIR/uid-N/... once the process dropped from root to uid N). Records are formatted into a scratch buffer, queued, and written with write(2) at
 * each flush, so a process killed with SIGKILL leaves every record up to its last flush. */
#include "agent/writer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/watchdog.h"

#define SCRATCH_BYTES (512u << 10)
#define QUEUE_BYTES (1u << 20)

/* Agent-thread state (and the exit path's, once the agent thread has stopped). */
static struct {
	pthread_mutex_t lock; /* w.dir, w.where, w.name: the agent thread and a setuid wrapper */
	bool dir_ready, created;
	uid_t dir_uid;        /* the session directory's owner */
	uid_t where_uid;      /* the user w.where was made for */
	pid_t owner_pid;      /* the process this state is of (a vfork child shares it) */
	char dir[PATH_MAX - 192]; /* the session directory; room in PATH_MAX for the rest */
	char where[PATH_MAX - 128]; /* the directory the record file is in: dir, dir/uid-N or a spool */
	char name[64];        /* agent-PID.jsonl */
	size_t queued;
	struct rec rec;
} w = {.lock = PTHREAD_MUTEX_INITIALIZER};

static char scratch[SCRATCH_BYTES];
static char queue[QUEUE_BYTES];

static void put(struct rec *r, const char *s, size_t n)
{
	if (r->overflow || n > r->cap - r->len) {
		r->overflow = true;
		return;
	}
	memcpy(r->buf + r->len, s, n);
	r->len += n;
}

static void putc1(struct rec *r, char c)
{
	put(r, &c, 1);
}

static void vputf(struct rec *r, const char *fmt, va_list ap)
{
	int n;

	if (r->overflow)
		return;
	n = vsnprintf(r->buf + r->len, r->cap - r->len, fmt, ap);
	if (n < 0 || (size_t)n >= r->cap - r->len)
		r->overflow = true;
	else
		r->len += (size_t)n;
}

static void putf(struct rec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct rec *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vputf(r, fmt, ap);
	va_end(ap);
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* A JSON string: quotes, backslashes and control characters escaped; bytes that are not valid
 * UTF-8 are read as Latin-1, so every record parses whatever the target's strings hold. */
static void put_json_string(struct rec *r, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	putc1(r, '"');
	for (size_t i = 0; i < n && !r->overflow; i++) {
		unsigned char c = p[i];
		if (c == '"' || c == '\\') {
			putc1(r, '\\');
			putc1(r, (char)c);
		} else if (c == '\n') {
			put(r, "\\n", 2);
		} else if (c == '\t') {
			put(r, "\\t", 2);
		} else if (c < 0x20 || c == 0x7f) {
			putf(r, "\\u%04x", c);
		} else if (c < 0x80) {
			putc1(r, (char)c);
		} else {
			size_t len = utf8_len(p + i, n - i);
			if (len) {
				put(r, (const char *)p + i, len);
				i += len - 1;
			} else {
				putf(r, "\\u%04x", c);
			}
		}
	}
	putc1(r, '"');
}

static void key(struct rec *r, const char *k)
{
	if (r->need_comma)
		putc1(r, ',');
	r->need_comma = true;
	if (k) {
		put_json_string(r, k, strlen(k));
		putc1(r, ':');
	}
}

struct rec *rec_begin(const char *type, uint64_t ts)
{
	struct rec *r = &w.rec;
	r->buf = scratch;
	r->cap = sizeof(scratch);
	r->len = 0;
	r->overflow = false;
	r->need_comma = false;
	putc1(r, '{');
	rec_str(r, "type", type);
	rec_u64(r, "ts", ts);
	return r;
}

void rec_u64(struct rec *r, const char *k, uint64_t v)
{
	key(r, k);
	putf(r, "%llu", (unsigned long long)v);
}

void rec_i64(struct rec *r, const char *k, int64_t v)
{
	key(r, k);
	putf(r, "%lld", (long long)v);
}

void rec_f64(struct rec *r, const char *k, double v)
{
	key(r, k);
	if (v != v || v > 1e300 || v < -1e300)
		put(r, "null", 4);
	else
		putf(r, "%.6g", v);
}

void rec_bool(struct rec *r, const char *k, bool v)
{
	key(r, k);
	if (v)
		put(r, "true", 4);
	else
		put(r, "false", 5);
}

void rec_strn(struct rec *r, const char *k, const char *s, size_t n)
{
	key(r, k);
	put_json_string(r, s, n);
}

void rec_str(struct rec *r, const char *k, const char *s)
{
	rec_strn(r, k, s ? s : "", s ? strlen(s) : 0);
}

void rec_hex(struct rec *r, const char *k, uint64_t v)
{
	key(r, k);
	putf(r, "\"0x%llx\"", (unsigned long long)v);
}

void rec_raw(struct rec *r, const char *k, const char *json)
{
	if (k)
		key(r, k);
	put(r, json, strlen(json));
}

void rec_rawf(struct rec *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vputf(r, fmt, ap);
	va_end(ap);
}

/* The record file, opened for each flush and closed after it: the agent holds none of the target's
 * descriptors between flushes, so a daemon that closes every descriptor cannot hand our number to a
 * file of its own, and a target at its descriptor limit opens as many files as without us. The
 * file is checked after each open (a regular file of ours, one link). */
static int open_record_file(void)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	pthread_mutex_lock(&w.lock); /* a setuid wrapper may be moving the file (writer_before_uid) */
	if (snprintf(path, sizeof(path), "%s/%s", w.where, w.name) >= (int)sizeof(path)) {
		pthread_mutex_unlock(&w.lock);
		return -1;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	pthread_mutex_unlock(&w.lock);
	if (fd < 0) {
		/* The target at its descriptor limit: ours is the write that gives way, silently (the
		 * bytes are counted). Anything else is said once. */
		if (errno == EMFILE || errno == ENFILE)
			agent_debug("no descriptor free for %s: records dropped this flush", path);
		else
			agent_warn_once("cannot reopen %s: %s; records are dropped", path, strerror(errno));
		return -1;
	}
	/* Ours: owned by the user we run as; as root, also by the user writer_before_uid gave it to
	 * (the instants before the real setuid, or a setuid that failed). */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    (st.st_uid != geteuid() && !(geteuid() == 0 && st.st_uid == w.where_uid))) {
		close(fd);
		agent_warn_once("%s is no longer the agent's record file; records are dropped", path);
		return -1;
	}
	return fd;
}

static void write_all(const char *p, size_t n)
{
	int fd = open_record_file();

	if (fd < 0) {
		__atomic_fetch_add(&agent_drops[DROP_WRITE_BYTES], n, __ATOMIC_RELAXED);
		return;
	}
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			/* Full disk, I/O error: drop the rest and count it. The next flush tries again. */
			__atomic_fetch_add(&agent_drops[DROP_WRITE_BYTES], n, __ATOMIC_RELAXED);
			break;
		}
		p += k;
		n -= (size_t)k;
	}
	close(fd);
}

void writer_flush(void)
{
	if (w.created && w.queued)
		write_all(queue, w.queued);
	w.queued = 0;
}

void rec_end(struct rec *r)
{
	put(r, "}\n", 2);
	if (r->overflow) {
		agent_drop(DROP_RECORDS);
		return;
	}
	if (!w.created)
		return;
	if (r->len > sizeof(queue) - w.queued)
		writer_flush();
	if (r->len > sizeof(queue)) {
		write_all(r->buf, r->len);
		return;
	}
	memcpy(queue + w.queued, r->buf, r->len);
	w.queued += r->len;
}

/* The session directory: LOOPSCOPE_DIR (made 0700 if missing; refused if a symlink, not owned by
 * the user we run as — or by root, for a process that dropped privileges — or writable by others),
 * else a new private directory under TMPDIR. Sets w.dir and w.dir_uid; 0 or -errno. Under w.lock. */
static int prepare_dir(void)
{
	struct stat st;
	int fd;

	if (w.dir_ready)
		return 0;
	if (agent_cfg.dir) {
		if (strlen(agent_cfg.dir) >= sizeof(w.dir))
			return -ENAMETOOLONG;
		strcpy(w.dir, agent_cfg.dir);
		if (mkdir(w.dir, 0700) < 0 && errno != EEXIST)
			return -errno;
	} else {
		const char *tmp = agent_cfg.tmpdir ? agent_cfg.tmpdir : "/tmp";
		if (snprintf(w.dir, sizeof(w.dir), "%s/loopscope-%d-XXXXXX", tmp, (int)getpid()) >=
		    (int)sizeof(w.dir))
			return -ENAMETOOLONG;
		if (!mkdtemp(w.dir))
			return -errno;
	}
	fd = open(w.dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC); /* 0711 after a drop: no read */
	if (fd < 0)
		return -errno;
	int rc = fstat(fd, &st) < 0 ? -errno : 0;
	close(fd);
	if (rc < 0)
		return rc;
	if ((st.st_uid != geteuid() && st.st_uid != 0) || (st.st_mode & 0022))
		return -EPERM;
	w.dir_uid = st.st_uid;
	w.dir_ready = true;
	return 0;
}

/* Where a process records (w.where): the session directory for its owner; for a process that runs
 * as another user, the place writer_before_uid made for that user while the process was still
 * root: DIR/uid-N/, found again here after an exec. Under w.lock. */
static int pick_where(void)
{
	char path[sizeof(w.where)];
	struct stat st;
	uid_t e = geteuid();

	if (w.where[0] && (w.where_uid == e || e == 0))
		return 0; /* made for this user in this image (a spool, maybe), or root before the drop */
	if (e == w.dir_uid) {
		snprintf(w.where, sizeof(w.where), "%s", w.dir);
		w.where_uid = e;
		return 0;
	}
	snprintf(path, sizeof(path), "%s/uid-%u", w.dir, (unsigned)e);
	if (lstat(path, &st) < 0)
		return -errno; /* EACCES: a directory above is closed to us; ENOENT: never made */
	if (!S_ISDIR(st.st_mode) || st.st_uid != e)
		return -EPERM;
	memcpy(w.where, path, sizeof(path));
	w.where_uid = e;
	return 0;
}

ssize_t read_small_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;

	buf[0] = 0;
	if (fd < 0)
		return -1;
	while (len < cap - 1) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = 0;
	close(fd);
	return (ssize_t)len;
}

static void write_process_record(void)
{
	char exe[PATH_MAX], cmd[8192];
	size_t cmdlen;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct timespec real;
	uint64_t mono = agent_now();

	clock_gettime(CLOCK_REALTIME, &real);
	exe[n > 0 ? n : 0] = 0;
	ssize_t got = read_small_file("/proc/self/cmdline", cmd, sizeof(cmd));
	cmdlen = got > 0 ? (size_t)got : 0;

	struct rec *r = rec_begin("process", mono);
	rec_u64(r, "version", AGENT_FORMAT_VERSION);
	rec_str(r, "agent", AGENT_VERSION);
	rec_i64(r, "pid", getpid());
	rec_i64(r, "ppid", getppid());
	rec_str(r, "exe", exe);
	key(r, "cmdline");
	putc1(r, '[');
	for (size_t off = 0; off < cmdlen;) {
		size_t len = strnlen(cmd + off, cmdlen - off);
		if (off)
			putc1(r, ',');
		put_json_string(r, cmd + off, len);
		off += len + 1;
	}
	putc1(r, ']');
	rec_u64(r, "realtime_ns", (uint64_t)real.tv_sec * 1000000000u + (uint64_t)real.tv_nsec);
	rec_u64(r, "block_ns", agent_cfg.block_ns);
	rec_u64(r, "interval_ns", agent_cfg.interval_ns);
	rec_u64(r, "delay_resolution_ns", agent_cfg.delay_resolution_ns);
	rec_i64(r, "signal", watchdog_signal());
	rec_u64(r, "page_size", (uint64_t)sysconf(_SC_PAGESIZE));
	rec_u64(r, "clock_ticks", (uint64_t)sysconf(_SC_CLK_TCK));
	rec_u64(r, "cpus", (uint64_t)sysconf(_SC_NPROCESSORS_ONLN));
	char perf_map[64];
	snprintf(perf_map, sizeof(perf_map), "/tmp/perf-%d.map", (int)getpid());
	rec_str(r, "perf_map", perf_map);
	rec_end(r);
	writer_flush();
}

int writer_open(void)
{
	char path[PATH_MAX];
	int fd = -1, rc;

	if (w.created)
		return 0;
	pthread_mutex_lock(&w.lock);
	rc = prepare_dir();
	if (rc == 0)
		rc = pick_where();
	for (int k = 0; rc == 0 && k < 100 && fd < 0; k++) {
		if (k == 0)
			snprintf(w.name, sizeof(w.name), "agent-%d.jsonl", (int)getpid());
		else
			snprintf(w.name, sizeof(w.name), "agent-%d.%d.jsonl", (int)getpid(), k);
		snprintf(path, sizeof(path), "%s/%s", w.where, w.name);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			rc = -errno;
	}
	if (fd >= 0) {
		close(fd);
		w.created = true;
	}
	pthread_mutex_unlock(&w.lock);
	if (!w.created) {
		/* Why a process that runs as another user cannot write: the session (or uid-N in it) was
		 * not opened to it, because it changed user without a call we see; or a directory above
		 * the session is closed to it. */
		char parent[sizeof(w.dir)];
		snprintf(parent, sizeof(parent), "%s", w.dir);
		char *slash = strrchr(parent, '/');
		if (slash)
			*slash = 0;
		bool above_closed = slash && parent[0] && faccessat(AT_FDCWD, parent, X_OK, AT_EACCESS) < 0;
		if (w.dir_ready && geteuid() != w.dir_uid && (rc == -ENOENT || rc == -EACCES) && !above_closed)
			agent_warn("not recording: this process runs as uid %u and cannot write to %s (owned by "
				   "uid %u): it changed user without a setuid call the agent sees; give "
				   "LOOPSCOPE_DIR a directory uid %u owns", (unsigned)geteuid(), w.dir,
				   (unsigned)w.dir_uid, (unsigned)geteuid());
		else if (w.dir_ready && geteuid() != w.dir_uid && rc == -EACCES)
			agent_warn("not recording: this process runs as uid %u, which cannot reach %s (a "
				   "directory above it is closed to that user); put the session under one it can "
				   "search, e.g. /tmp", (unsigned)geteuid(), w.dir);
		else if (rc == -EPERM)
			agent_warn("not recording: %s is not owned by uid %u or is writable by others; give "
				   "LOOPSCOPE_DIR a private directory", w.dir, (unsigned)geteuid());
		else
			agent_warn("not recording: cannot create a record file in %s: %s; give LOOPSCOPE_DIR "
				   "a writable directory", w.dir[0] ? w.dir : "(none)", strerror(rc ? -rc : EEXIST));
		return rc ? rc : -EEXIST;
	}
	agent_debug("recording to %s/%s", w.where, w.name);
	write_process_record();
	return 0;
}

/* Whether user UID (group GID) may search PATH and every directory above it. Supplementary groups
 * are not known here: a "no" may be wrong, which only costs a spool directory. */
static bool reachable_by(const char *path, uid_t uid, gid_t gid)
{
	char p[PATH_MAX];
	struct stat st;

	if (!realpath(path, p))
		return false;
	for (;;) {
		if (stat(p, &st) < 0)
			return false;
		mode_t bit = st.st_uid == uid ? S_IXUSR : st.st_gid == gid ? S_IXGRP : S_IXOTH;
		if (!(st.st_mode & bit))
			return false;
		char *slash = strrchr(p, '/');
		if (!slash)
			return false;
		if (slash == p) {
			if (p[1] == 0)
				return true;
			p[1] = 0;
		} else {
			*slash = 0;
		}
	}
}

/* A directory descriptor for PATH if it is a real directory owned by UID and closed to others. */
static int open_owned_dir(const char *path, uid_t uid)
{
	struct stat st;
	int fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && (fstat(fd, &st) < 0 || st.st_uid != uid || (st.st_mode & 0077))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* The directory for UID's records, made as root; its path into WHERE and a descriptor returned (or
 * -errno). DIR/uid-UID (owned by UID, 0700; DIR becomes 0711 so that UID can reach it and nobody
 * can list it). When UID cannot reach DIR at all (a parent like /root is 0700), a spool directory
 * under TMPDIR (owned by UID, 0700) that DIR/uid-UID links to, so the collector finds it. Names are
 * made in directories only root can write (DIR, or a new mkdtemp name in sticky /tmp), and what
 * UID owns is used through descriptors only: UID cannot redirect a root operation. */
static int make_where(uid_t uid, char *where, size_t cap)
{
	char link[PATH_MAX];
	struct stat st;

	snprintf(link, sizeof(link), "%s/uid-%u", w.dir, (unsigned)uid);
	if (lstat(link, &st) == 0 && S_ISLNK(st.st_mode)) {
		ssize_t n = readlink(link, where, cap - 1);
		if (n <= 0)
			return -EINVAL;
		where[n] = 0;
		int fd = open_owned_dir(where, uid);
		return fd >= 0 ? fd : -EPERM;
	}
	if (reachable_by(w.dir, uid, getegid()) || (chmod(w.dir, 0711) == 0 && reachable_by(w.dir, uid, getegid()))) {
		if (mkdir(link, 0700) < 0 && errno != EEXIST)
			return -errno;
		if (lstat(link, &st) < 0 || !S_ISDIR(st.st_mode))
			return -EPERM;
		/* DIR is root's and closed to UID: the name cannot have been swapped under us. */
		if (st.st_uid != uid && (st.st_uid != geteuid() || chown(link, uid, (gid_t)-1) < 0))
			return -EPERM;
		if (strlen(link) >= cap)
			return -ENAMETOOLONG;
		memcpy(where, link, strlen(link) + 1);
		return open_owned_dir(where, uid);
	}
	const char *tmp = agent_cfg.tmpdir ? agent_cfg.tmpdir : "/tmp";
	if (snprintf(where, cap, "%s/loopscope-uid%u-XXXXXX", tmp, (unsigned)uid) >= (int)cap || !mkdtemp(where))
		return -errno;
	int fd = open(where, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchownat(fd, "", uid, (gid_t)-1, AT_EMPTY_PATH) < 0 || symlink(where, link) < 0) {
		int err = -errno;
		if (fd >= 0)
			close(fd);
		rmdir(where);
		return err;
	}
	return fd;
}

/* Move the record file (in root's w.where) into the directory TO, given to UID: its owner changed
 * through a descriptor while it is still in root's directory, then renamed into TO's descriptor; on
 * another file system, copied. 0 or -errno. */
static int move_record_file(int to, uid_t uid)
{
	char from[PATH_MAX], buf[65536];
	int in = -1, out = -1, rc = 0;

	snprintf(from, sizeof(from), "%s/%s", w.where, w.name);
	if ((in = open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 || fchown(in, uid, (gid_t)-1) < 0) {
		rc = -errno;
		goto out;
	}
	if (renameat(AT_FDCWD, from, to, w.name) == 0)
		goto out;
	if (errno != EXDEV) {
		rc = -errno;
		goto out;
	}
	if ((out = openat(to, w.name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0 ||
	    fchown(out, uid, (gid_t)-1) < 0) {
		rc = -errno;
		goto out;
	}
	for (ssize_t n; (n = read(in, buf, sizeof(buf))) > 0;)
		if (write(out, buf, (size_t)n) != n) {
			rc = -EIO;
			goto out;
		}
	unlink(from);
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return rc;
}

/* Called on the target's thread just before it gives up root for good (setuid and the like, not a
 * seteuid bracket): while still root, make the place UID records into (make_where) and move a
 * record file already made there, so that the process goes on recording as UID and the session
 * stays closed to every other user. A vfork child (it shares our memory) only makes the place, for
 * the program it is about to exec. Without LOOPSCOPE_DIR and before any record, nothing: the
 * private directory will be made as UID. */
void writer_before_uid(uid_t uid)
{
	char where[sizeof(w.where)];
	bool vfork_child = getpid() != w.owner_pid;

	if (!agent_cfg.dir && !w.created)
		return;
	pthread_mutex_lock(&w.lock);
	if (prepare_dir() < 0 || w.dir_uid != geteuid() || uid == w.dir_uid)
		goto out;
	if (!vfork_child && w.where[0] && w.where_uid == uid)
		goto out;
	int to = make_where(uid, where, sizeof(where));
	if (to < 0 || vfork_child)
		goto done;
	if (w.created && move_record_file(to, uid) < 0)
		goto done; /* it stays where it was: its records end at the drop (said at the next flush) */
	memcpy(w.where, where, sizeof(where));
	w.where_uid = uid;
done:
	if (to >= 0)
		close(to);
out:
	pthread_mutex_unlock(&w.lock);
}

void writer_init(void)
{
	w.owner_pid = getpid();
}


void writer_after_fork_child(void)
{
	/* The parent's file stays the parent's: the child writes nothing there and makes its own file
	 * at its first loop. The directory is shared by the process tree. */
	pthread_mutex_init(&w.lock, NULL); /* a fork from under the parent's lock leaves it held */
	w.owner_pid = getpid();
	w.created = false;
	w.queued = 0;
	w.name[0] = 0;
}

