/* pool_done_first — libuv pool requests that a worker finishes before uv_fs_* / uv_queue_work /
 * uv_getaddrinfo return to their caller. The process is pinned to one CPU and, once the workers
 * exist, the loop thread lowers itself to SCHED_IDLE: a worker it wakes then preempts it at once,
 * runs the request and clears its work function (libuv does so when a request has run) before the
 * submitting call returns. That is the ordering a loaded machine gives now and then; here it is
 * every time. The first request of each kind is such a one.
 *
 * Usage: pool_done_first   runs 2 uv_queue_work (the workers start), then, under SCHED_IDLE, 12
 * uv_fs_stat, 6 uv_queue_work and 2 uv_getaddrinfo, each after the previous one's callback: 22
 * requests. Prints what ran. */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "hazard.h"

#define WARM 2
#define FS 12
#define WORK 6
#define GAI 2

static uv_loop_t loop;
static uv_work_t work_req;
static uv_fs_t fs_req;
static uv_getaddrinfo_t gai_req;
static unsigned warm, stats, works, gais;

static void next(void);

static void work_cb(uv_work_t *req)
{
	(void)req;
}

static void after_work(uv_work_t *req, int status)
{
	(void)req;
	if (status)
		hz_die("uv_queue_work");
	if (warm < WARM) {
		warm++;
		if (warm == WARM) {
			/* Workers exist (at the normal policy): from now on, each one this thread wakes
			 * preempts it. */
			struct sched_param sp = {0};
			if (sched_setscheduler(0, SCHED_IDLE, &sp) < 0)
				hz_die("sched_setscheduler");
		}
	} else {
		works++;
	}
	next();
}

static void stat_cb(uv_fs_t *req)
{
	if (req->result < 0)
		hz_die("uv_fs_stat");
	uv_fs_req_cleanup(req);
	stats++;
	next();
}

static void gai_cb(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	(void)req;
	if (status == 0)
		uv_freeaddrinfo(res);
	gais++;
	next();
}

static void next(void)
{
	int rc = 0;

	if (warm < WARM)
		rc = uv_queue_work(&loop, &work_req, work_cb, after_work);
	else if (stats < FS)
		rc = uv_fs_stat(&loop, &fs_req, "/", stat_cb);
	else if (works < WORK)
		rc = uv_queue_work(&loop, &work_req, work_cb, after_work);
	else if (gais < GAI)
		rc = uv_getaddrinfo(&loop, &gai_req, gai_cb, "localhost", NULL, NULL);
	if (rc)
		fprintf(stderr, "submit: %s\n", uv_strerror(rc)), exit(1);
}

int main(void)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (sched_setaffinity(0, sizeof(one), &one) < 0) /* before libuv makes its workers: they inherit it */
		hz_die("sched_setaffinity");
	if (uv_loop_init(&loop))
		hz_die("uv_loop_init");
	next();
	uv_run(&loop, UV_RUN_DEFAULT);
	printf("warm %u, fs %u, work %u, getaddrinfo %u: %u requests\n", warm, stats, works, gais,
	       warm + stats + works + gais);
	return uv_loop_close(&loop) ? 1 : 0;
}
