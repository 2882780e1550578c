/* The shared libuv1's pool, through its public calls. Each pool request carries a struct uv__work
 * whose work function a worker calls and whose done function the loop thread calls. After the real
 * call queues the request, we swap both for trampolines that time the work (wait = submit to start,
 * run = start to end) and then call libuv's own functions, learned per kind of request. The done
 * swap cannot race (the loop thread, which calls done, is the one in this wrapper); the work swap
 * is a compare-and-swap, and a worker that took the request first runs it untimed ("unobserved",
 * counted at done). Requests are keyed by their uv__work in a lock-free table. */
#include <dlfcn.h>
#include <stddef.h>
#include <string.h>
#include <uv.h>

#include "agent/agent.h"
#include "agent/pool.h"
#include "agent/resolve.h"

#define EXPORT __attribute__((visibility("default")))
#define TASKS 8192 /* power of two */
#define TOMBSTONE ((uintptr_t)1)

enum kind { K_FS, K_WORK, K_GETADDRINFO, K_GETNAMEINFO, K_RANDOM, K_COUNT };

typedef void (*work_fn)(struct uv__work *);
typedef void (*done_fn)(struct uv__work *, int);

struct task {
	uintptr_t key; /* the request's struct uv__work; 0 empty, 1 removed */
	uint64_t submit, start;
	int started;
};

static struct task tasks[TASKS];

/* libuv's own work and done functions, per kind: done from the first request of that kind, work from
 * the first that still had one (a worker clears it once the request ran). Written by loop threads,
 * read by workers: relaxed atomics (the values never change once set). */
static struct {
	work_fn work;
	done_fn done;
} learned[K_COUNT];

static inline size_t slot_of(uintptr_t key)
{
	return (size_t)((key >> 4) * UINT64_C(0x9e3779b97f4a7c15) >> 51) & (TASKS - 1);
}

static struct task *task_insert(struct uv__work *w, uint64_t now)
{
	uintptr_t key = (uintptr_t)w;
	size_t h = slot_of(key);

	for (size_t i = 0; i < TASKS; i++) {
		struct task *t = &tasks[(h + i) & (TASKS - 1)];
		uintptr_t k = __atomic_load_n(&t->key, __ATOMIC_RELAXED);
		if ((k == 0 || k == TOMBSTONE) &&
		    __atomic_compare_exchange_n(&t->key, &k, key, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
			t->submit = now;
			t->start = 0;
			__atomic_store_n(&t->started, 0, __ATOMIC_RELEASE);
			return t;
		}
	}
	agent_drop(DROP_POOL_TASKS);
	return NULL;
}

static struct task *task_find(struct uv__work *w)
{
	uintptr_t key = (uintptr_t)w;
	size_t h = slot_of(key);

	for (size_t i = 0; i < TASKS; i++) {
		struct task *t = &tasks[(h + i) & (TASKS - 1)];
		uintptr_t k = __atomic_load_n(&t->key, __ATOMIC_ACQUIRE);
		if (k == key)
			return t;
		if (k == 0)
			return NULL;
	}
	return NULL;
}

static void task_remove(struct task *t)
{
	__atomic_store_n(&t->key, TOMBSTONE, __ATOMIC_RELEASE);
}

static void work_timed(enum kind k, struct uv__work *w)
{
	struct task *t = task_find(w);
	uint64_t start = agent_now();
	struct pool_worker *me = pool_worker_self();

	if (t) {
		t->start = start;
		__atomic_store_n(&t->started, 1, __ATOMIC_RELEASE);
		if (me)
			hist_record(&me->wait, start > t->submit ? start - t->submit : 0);
	}
	__atomic_fetch_add(&pool.n.started, 1, __ATOMIC_ACQ_REL);
	__atomic_load_n(&learned[k].work, __ATOMIC_RELAXED)(w);
	if (me)
		hist_record(&me->run, agent_now() - start);
	__atomic_fetch_add(&pool.n.done, 1, __ATOMIC_ACQ_REL);
}

static void done_timed(enum kind k, struct uv__work *w, int status)
{
	struct task *t = task_find(w);
	done_fn done = __atomic_load_n(&learned[k].done, __ATOMIC_RELAXED);

	if (t) {
		if (!__atomic_load_n(&t->started, __ATOMIC_ACQUIRE)) {
			/* Ran before we could swap its work function in, or was cancelled. */
			__atomic_fetch_add(&pool.n.unobserved, 1, __ATOMIC_RELAXED);
			__atomic_fetch_add(&pool.n.started, 1, __ATOMIC_ACQ_REL);
			__atomic_fetch_add(&pool.n.done, 1, __ATOMIC_ACQ_REL);
		}
		task_remove(t);
	}
	done(w, status);
}

#define TRAMPOLINES(k)                                                             \
	static void work_##k(struct uv__work *w) { work_timed(k, w); }                 \
	static void done_##k(struct uv__work *w, int status) { done_timed(k, w, status); }
TRAMPOLINES(K_FS)
TRAMPOLINES(K_WORK)
TRAMPOLINES(K_GETADDRINFO)
TRAMPOLINES(K_GETNAMEINFO)
TRAMPOLINES(K_RANDOM)

static const work_fn work_trampoline[K_COUNT] = {work_K_FS, work_K_WORK, work_K_GETADDRINFO,
						  work_K_GETNAMEINFO, work_K_RANDOM};
static const done_fn done_trampoline[K_COUNT] = {done_K_FS, done_K_WORK, done_K_GETADDRINFO,
						  done_K_GETNAMEINFO, done_K_RANDOM};

/* Whether a real function lives in the shared libuv (not, say, node exporting its own uv_*). */
static int in_shared_libuv(void *fn)
{
	Dl_info info;
	return fn && dladdr(fn, &info) && info.dli_fname && strstr(info.dli_fname, "/libuv.so");
}

/* Before the real call: a table entry, and the pool's size read as libuv is about to read it. */
static struct task *before_submit(struct uv__work *w, int shared)
{
	if (agent_cfg.disabled || shared != 1)
		return NULL;
	int impl = __atomic_load_n(&pool.impl, __ATOMIC_ACQUIRE);
	if (impl == POOL_IN_BINARY)
		return NULL; /* a second libuv beside the program's own: not ours to time */
	if (impl == POOL_NONE) {
		pool.size = pool_size_from_env();
		__atomic_store_n(&pool.impl, POOL_SHARED_LIBUV, __ATOMIC_RELEASE);
	}
	return task_insert(w, agent_now());
}

/* After the real call queued the request: swap in the trampolines. */
static void after_submit(enum kind k, struct task *t, struct uv__work *w, int rc)
{
	if (!t)
		return;
	if (rc != 0) {
		task_remove(t);
		return;
	}
	/* A worker may have run the request already: libuv then cleared its work function, so the
	 * work function is learned from the first request that still has one. */
	work_fn work = __atomic_load_n(&w->work, __ATOMIC_ACQUIRE);
	done_fn done = w->done;
	done_fn known_done = NULL;
	work_fn known_work = NULL;
	__atomic_compare_exchange_n(&learned[k].done, &known_done, done, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	if (work)
		__atomic_compare_exchange_n(&learned[k].work, &known_work, work, false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED);
	known_done = __atomic_load_n(&learned[k].done, __ATOMIC_RELAXED);
	known_work = __atomic_load_n(&learned[k].work, __ATOMIC_RELAXED);
	if (done != known_done || (work && work != known_work)) {
		task_remove(t); /* not the libuv we learned from: leave it alone */
		return;
	}
	__atomic_fetch_add(&pool.n.submitted, 1, __ATOMIC_ACQ_REL);
	w->done = done_trampoline[k];
	if (!work || !__atomic_compare_exchange_n(&w->work, &work, work_trampoline[k], false,
						  __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		/* Already done by a worker: done_timed counts it unobserved. */
	}
	agent_thread_ensure();
}

/* The real NAME for this caller, as the dynamic linker would bind it without us (agent/resolve.c:
 * a libuv loaded with RTLD_LOCAL is found through its caller, one per calling object), and whether
 * it is the shared libuv's. When no loaded object defines it (nothing should call us then), the call
 * steps aside: UV_ENOSYS, counted, and said once on stderr. */
#define REAL(name)                                                                   \
	static struct resolve_cache cache_;                                          \
	static name##_fn last_;  /* the function last_shared_ describes */           \
	static int last_shared_;                                                     \
	name##_fn real = (name##_fn)agent_resolve_for(#name, __builtin_return_address(0), &cache_); \
	if (!real)                                                                   \
		return step_aside(#name);                                            \
	int shared = real == __atomic_load_n(&last_, __ATOMIC_ACQUIRE) ?             \
			     __atomic_load_n(&last_shared_, __ATOMIC_RELAXED) :          \
			     remember_shared((void *)real, (void **)&last_, &last_shared_)

/* Whether FN is the shared libuv's, remembered for the next call of that wrapper (almost always
 * the same function: one libuv per process). */
static int remember_shared(void *fn, void **last, int *last_shared)
{
	int shared = in_shared_libuv(fn);
	__atomic_store_n(last_shared, shared, __ATOMIC_RELAXED);
	__atomic_store_n(last, fn, __ATOMIC_RELEASE);
	return shared;
}

static int step_aside(const char *name)
{
	agent_drop(DROP_UNRESOLVED);
	agent_warn_once("no loaded library defines %s; the call fails with ENOSYS (LOOPSCOPE_DISABLE=1 "
			"turns the agent off)", name);
	return UV_ENOSYS;
}

typedef int (*uv_queue_work_fn)(uv_loop_t *, uv_work_t *, uv_work_cb, uv_after_work_cb);
EXPORT int uv_queue_work(uv_loop_t *loop, uv_work_t *req, uv_work_cb work_cb, uv_after_work_cb after_cb)
{
	REAL(uv_queue_work);
	struct task *t = work_cb ? before_submit(&req->work_req, shared) : NULL;
	int rc = real(loop, req, work_cb, after_cb);
	after_submit(K_WORK, t, &req->work_req, rc);
	return rc;
}

typedef int (*uv_getaddrinfo_fn)(uv_loop_t *, uv_getaddrinfo_t *, uv_getaddrinfo_cb, const char *,
				 const char *, const struct addrinfo *);
EXPORT int uv_getaddrinfo(uv_loop_t *loop, uv_getaddrinfo_t *req, uv_getaddrinfo_cb cb, const char *node,
			  const char *service, const struct addrinfo *hints)
{
	REAL(uv_getaddrinfo);
	struct task *t = cb ? before_submit(&req->work_req, shared) : NULL;
	int rc = real(loop, req, cb, node, service, hints);
	after_submit(K_GETADDRINFO, t, &req->work_req, rc);
	return rc;
}

typedef int (*uv_getnameinfo_fn)(uv_loop_t *, uv_getnameinfo_t *, uv_getnameinfo_cb, const struct sockaddr *,
				 int);
EXPORT int uv_getnameinfo(uv_loop_t *loop, uv_getnameinfo_t *req, uv_getnameinfo_cb cb,
			  const struct sockaddr *addr, int flags)
{
	REAL(uv_getnameinfo);
	struct task *t = cb ? before_submit(&req->work_req, shared) : NULL;
	int rc = real(loop, req, cb, addr, flags);
	after_submit(K_GETNAMEINFO, t, &req->work_req, rc);
	return rc;
}

typedef int (*uv_random_fn)(uv_loop_t *, uv_random_t *, void *, size_t, unsigned, uv_random_cb);
EXPORT int uv_random(uv_loop_t *loop, uv_random_t *req, void *buf, size_t buflen, unsigned flags,
		     uv_random_cb cb)
{
	REAL(uv_random);
	struct task *t = cb ? before_submit(&req->work_req, shared) : NULL;
	int rc = real(loop, req, buf, buflen, flags, cb);
	after_submit(K_RANDOM, t, &req->work_req, rc);
	return rc;
}

/* The uv_fs_* calls: with a callback they go to the pool, without one they run in the caller. */
#define FS_CALL(name, params, args)                                                   \
	typedef int(*name##_fn) params;                                               \
	EXPORT int name params                                                        \
	{                                                                             \
		REAL(name);                                                           \
		struct task *t = cb && req ? before_submit(&req->work_req, shared) : NULL;    \
		int rc = real args;                                                   \
		after_submit(K_FS, t, req ? &req->work_req : NULL, rc);               \
		return rc;                                                            \
	}

#define L uv_loop_t *loop
#define R uv_fs_t *req
#define C uv_fs_cb cb
FS_CALL(uv_fs_close, (L, R, uv_file file, C), (loop, req, file, cb))
FS_CALL(uv_fs_open, (L, R, const char *path, int flags, int mode, C), (loop, req, path, flags, mode, cb))
FS_CALL(uv_fs_read, (L, R, uv_file file, const uv_buf_t bufs[], unsigned int nbufs, int64_t offset, C),
	(loop, req, file, bufs, nbufs, offset, cb))
FS_CALL(uv_fs_write, (L, R, uv_file file, const uv_buf_t bufs[], unsigned int nbufs, int64_t offset, C),
	(loop, req, file, bufs, nbufs, offset, cb))
FS_CALL(uv_fs_unlink, (L, R, const char *path, C), (loop, req, path, cb))
FS_CALL(uv_fs_mkdir, (L, R, const char *path, int mode, C), (loop, req, path, mode, cb))
FS_CALL(uv_fs_mkdtemp, (L, R, const char *tpl, C), (loop, req, tpl, cb))
FS_CALL(uv_fs_mkstemp, (L, R, const char *tpl, C), (loop, req, tpl, cb))
FS_CALL(uv_fs_rmdir, (L, R, const char *path, C), (loop, req, path, cb))
FS_CALL(uv_fs_scandir, (L, R, const char *path, int flags, C), (loop, req, path, flags, cb))
FS_CALL(uv_fs_opendir, (L, R, const char *path, C), (loop, req, path, cb))
FS_CALL(uv_fs_readdir, (L, R, uv_dir_t *dir, C), (loop, req, dir, cb))
FS_CALL(uv_fs_closedir, (L, R, uv_dir_t *dir, C), (loop, req, dir, cb))
FS_CALL(uv_fs_stat, (L, R, const char *path, C), (loop, req, path, cb))
FS_CALL(uv_fs_fstat, (L, R, uv_file file, C), (loop, req, file, cb))
FS_CALL(uv_fs_lstat, (L, R, const char *path, C), (loop, req, path, cb))
FS_CALL(uv_fs_statfs, (L, R, const char *path, C), (loop, req, path, cb))
FS_CALL(uv_fs_rename, (L, R, const char *path, const char *new_path, C), (loop, req, path, new_path, cb))
FS_CALL(uv_fs_fsync, (L, R, uv_file file, C), (loop, req, file, cb))
FS_CALL(uv_fs_fdatasync, (L, R, uv_file file, C), (loop, req, file, cb))
FS_CALL(uv_fs_ftruncate, (L, R, uv_file file, int64_t offset, C), (loop, req, file, offset, cb))
FS_CALL(uv_fs_copyfile, (L, R, const char *path, const char *new_path, int flags, C),
	(loop, req, path, new_path, flags, cb))
FS_CALL(uv_fs_sendfile, (L, R, uv_file out_fd, uv_file in_fd, int64_t in_offset, size_t length, C),
	(loop, req, out_fd, in_fd, in_offset, length, cb))
FS_CALL(uv_fs_access, (L, R, const char *path, int mode, C), (loop, req, path, mode, cb))
FS_CALL(uv_fs_chmod, (L, R, const char *path, int mode, C), (loop, req, path, mode, cb))
FS_CALL(uv_fs_fchmod, (L, R, uv_file file, int mode, C), (loop, req, file, mode, cb))
FS_CALL(uv_fs_utime, (L, R, const char *path, double atime, double mtime, C), (loop, req, path, atime, mtime, cb))
FS_CALL(uv_fs_futime, (L, R, uv_file file, double atime, double mtime, C), (loop, req, file, atime, mtime, cb))
FS_CALL(uv_fs_lutime, (L, R, const char *path, double atime, double mtime, C), (loop, req, path, atime, mtime, cb))
FS_CALL(uv_fs_link, (L, R, const char *path, const char *new_path, C), (loop, req, path, new_path, cb))
FS_CALL(uv_fs_symlink, (L, R, const char *path, const char *new_path, int flags, C),
	(loop, req, path, new_path, flags, cb))
FS_CALL(uv_fs_readlink, (L, R, const char *path, C), (loop, req, path, cb))
FS_CALL(uv_fs_realpath, (L, R, const char *path, C), (loop, req, path, cb))
FS_CALL(uv_fs_chown, (L, R, const char *path, uv_uid_t uid, uv_gid_t gid, C), (loop, req, path, uid, gid, cb))
FS_CALL(uv_fs_fchown, (L, R, uv_file file, uv_uid_t uid, uv_gid_t gid, C), (loop, req, file, uid, gid, cb))
FS_CALL(uv_fs_lchown, (L, R, const char *path, uv_uid_t uid, uv_gid_t gid, C), (loop, req, path, uid, gid, cb))
