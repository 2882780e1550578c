/* rtld_local_libuv — libuv loaded the way a Python extension loads it (uvloop): the program has no
 * libuv of its own; it dlopens an extension, RTLD_NOW | RTLD_LOCAL, that is linked against
 * libuv.so.1, so libuv sits in that extension's local scope, not in the global one. The
 * extension's calls go through its PLT: an interposer of uv_* in the global scope gets them and must
 * find the real functions in a library that dlsym(RTLD_NEXT, ...) cannot see.
 *
 * Built twice from this file: the program (make hazards), and with -DHAZARD_EXTENSION -shared -fPIC
 * ... -luv the extension (by the test, into its scratch directory).
 * Usage: rtld_local_libuv EXTENSION.so  runs the extension's loop: 8 uv_queue_work tasks, a file
 * written, read back and removed with uv_fs_* callbacks in the working directory, uv_getaddrinfo of
 * localhost, a 20 ms timer for 40 ticks with a 150 ms busy span on tick 10; prints the results. */
#include <dlfcn.h>
#include <string.h>

#include "hazard.h"

#ifdef HAZARD_EXTENSION
#include <fcntl.h>
#include <stdarg.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <uv.h>

#define TASKS 8
#define TEXT "written and read back through the pool\n"

int hazard_ext_run(char *out, size_t cap);

static uv_loop_t loop;
static uv_work_t works[TASKS];
static uint64_t results[TASKS];
static unsigned works_done;
static uv_fs_t fs_req;
static uv_file file;
static char readbuf[64];
static uv_buf_t buf;
static uv_getaddrinfo_t gai_req;
static uv_timer_t timer;
static unsigned ticks;
/* What each part reports, printed in this order whatever order the pool finished them in. */
enum { R_WORK, R_FS, R_GAI, R_TIMER, R_OTHER, NREPORTS };
static char reports[NREPORTS][512];

static void say(int part, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(int part, const char *fmt, ...)
{
	size_t len = strlen(reports[part]);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reports[part] + len, sizeof reports[part] - len, fmt, ap);
	va_end(ap);
}

static void work(uv_work_t *req)
{
	unsigned k = (unsigned)(req - works);
	uint64_t s = 0;
	for (uint64_t i = 0; i < 1000000; i++)
		s += (i * i) % (k + 7);
	results[k] = s;
}

static void after_work(uv_work_t *req, int status)
{
	(void)req;
	if (status == 0 && ++works_done == TASKS) {
		uint64_t s = 0;
		for (unsigned k = 0; k < TASKS; k++)
			s += results[k];
		say(R_WORK, "work: %u tasks done, checksum %llu\n", works_done, (unsigned long long)s);
	}
}

/* The file: open, write, close, open, read, close, unlink; each step in the previous one's callback. */
static void fs_step(uv_fs_t *req);
static int fs_stage;

static void fs_next(int rc)
{
	if (rc < 0)
		say(R_FS, "fs: stage %d failed: %s\n", fs_stage, uv_strerror(rc));
}

static void fs_step(uv_fs_t *req)
{
	ssize_t res = req->result;
	uv_fs_req_cleanup(req);
	if (res < 0) {
		say(R_FS, "fs: stage %d failed: %s\n", fs_stage, uv_strerror((int)res));
		return;
	}
	switch (fs_stage++) {
	case 0: /* opened for writing */
		file = (uv_file)res;
		buf = uv_buf_init((char *)TEXT, sizeof TEXT - 1);
		fs_next(uv_fs_write(&loop, &fs_req, file, &buf, 1, 0, fs_step));
		break;
	case 1:
		fs_next(uv_fs_close(&loop, &fs_req, file, fs_step));
		break;
	case 2:
		fs_next(uv_fs_open(&loop, &fs_req, "hazard-file.txt", O_RDONLY, 0, fs_step));
		break;
	case 3:
		file = (uv_file)res;
		buf = uv_buf_init(readbuf, sizeof readbuf);
		fs_next(uv_fs_read(&loop, &fs_req, file, &buf, 1, 0, fs_step));
		break;
	case 4:
		say(R_FS, "fs: read back %zd bytes, %s\n", res,
		    (size_t)res == sizeof TEXT - 1 && memcmp(readbuf, TEXT, (size_t)res) == 0 ? "same" : "different");
		fs_next(uv_fs_close(&loop, &fs_req, file, fs_step));
		break;
	case 5:
		fs_next(uv_fs_unlink(&loop, &fs_req, "hazard-file.txt", fs_step));
		break;
	case 6:
		say(R_FS, "fs: file removed\n");
		break;
	}
}

static void resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	(void)req;
	if (status < 0) {
		say(R_GAI, "getaddrinfo localhost: %s\n", uv_strerror(status));
		return;
	}
	char ip[INET_ADDRSTRLEN] = "?";
	inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, ip, sizeof ip);
	say(R_GAI, "getaddrinfo localhost: %s\n", ip);
	uv_freeaddrinfo(res);
}

static void on_tick(uv_timer_t *t)
{
	if (++ticks == 10)
		hazard_busy(150);
	if (ticks == 40) {
		uv_timer_stop(t);
		uv_close((uv_handle_t *)t, NULL);
		say(R_TIMER, "timer: %u ticks\n", ticks);
	}
}

int hazard_ext_run(char *out, size_t cap)
{
	if (uv_loop_init(&loop) != 0)
		return -1;
	for (unsigned k = 0; k < TASKS; k++)
		if (uv_queue_work(&loop, &works[k], work, after_work) != 0)
			say(R_OTHER, "uv_queue_work failed\n");
	fs_next(uv_fs_open(&loop, &fs_req, "hazard-file.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644, fs_step));
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
	int rc = uv_getaddrinfo(&loop, &gai_req, resolved, "localhost", NULL, &hints);
	if (rc < 0)
		say(R_OTHER, "uv_getaddrinfo: %s\n", uv_strerror(rc));
	uv_timer_init(&loop, &timer);
	uv_timer_start(&timer, on_tick, 20, 20);
	uv_run(&loop, UV_RUN_DEFAULT);
	size_t len = 0;
	for (int part = 0; part < NREPORTS; part++)
		len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, "%s", reports[part]);
	return uv_loop_close(&loop);
}

#else

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: rtld_local_libuv EXTENSION.so\n");
		return 2;
	}
	void *uv = dlopen("libuv.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!uv) {
		fprintf(stderr, "rtld_local_libuv: %s\n", dlerror());
		return 2;
	}
	const char *(*version)(void) = (const char *(*)(void))dlsym(uv, "uv_version_string");
	if (!version || dlsym(RTLD_DEFAULT, "uv_run")) {
		fprintf(stderr, "rtld_local_libuv: libuv is in the global scope: nothing to reproduce\n");
		return 2;
	}
	printf("libuv %s loaded RTLD_LOCAL, not in the global scope\n", version());
	fflush(stdout);

	void *ext = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	int (*run)(char *, size_t) = ext ? (int (*)(char *, size_t))dlsym(ext, "hazard_ext_run") : NULL;
	if (!run) {
		fprintf(stderr, "rtld_local_libuv: %s\n", dlerror());
		return 2;
	}
	static char out[4096];
	int rc = run(out, sizeof out);
	fputs(out, stdout);
	printf("loop closed: %d\n", rc);
	return rc == 0 ? 0 : 1;
}

#endif
