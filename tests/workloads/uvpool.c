/* uvpool — on the system's shared libuv, submits --tasks uv_queue_work items at once, each spinning
 * for --task-ms of wall-clock time in pool_checksum_work, for --rounds rounds (one after the other),
 * and prints what each task saw (queue wait, run time) and each round's wave time as one JSON line.
 *
 * Usage: uvpool [--tasks 16] [--task-ms 50] [--rounds 1]
 * With a pool of P threads, task i waits about floor(i/P)*task_ms: the last wave starts after
 * (ceil(tasks/P)-1)*task_ms. task-ms is wall time, so this holds even with fewer cores than threads.
 */
#include <uv.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "workload.h"

typedef struct {
	uv_work_t req;
	uint64_t submit, start, end; /* uv_hrtime, ns */
	uint32_t sum;
} task_t;

void pool_checksum_work(uv_work_t *req);

static uv_loop_t *loop;
static unsigned ntasks = 16, task_ms = 50, nrounds = 1;
static unsigned round_no, done;
static task_t *tasks; /* nrounds * ntasks */

/* The work callback: FNV-1a passes over the noise buffer until task_ms of wall time have passed. */
NOINLINE void pool_checksum_work(uv_work_t *req)
{
	task_t *t = req->data;
	t->start = uv_hrtime();
	t->sum = wl_checksum_for_ms(task_ms);
	t->end = uv_hrtime();
}

static void after_work(uv_work_t *req, int status);

static void submit_round(void)
{
	done = 0;
	for (unsigned i = 0; i < ntasks; i++) {
		task_t *t = &tasks[round_no * ntasks + i];
		t->req.data = t;
		t->submit = uv_hrtime();
		if (uv_queue_work(loop, &t->req, pool_checksum_work, after_work) != 0) {
			fprintf(stderr, "uvpool: uv_queue_work failed\n");
			exit(1);
		}
	}
}

static void after_work(uv_work_t *req, int status)
{
	(void)req;
	if (status != 0) {
		fprintf(stderr, "uvpool: work cancelled\n");
		exit(1);
	}
	if (++done == ntasks && ++round_no < nrounds)
		submit_round();
}

/* The pool size exactly as libuv 1.44 computes it (src/threadpool.c: init_threads). */
static unsigned libuv_pool_size(void)
{
	const char *val = getenv("UV_THREADPOOL_SIZE");
	unsigned n = 4;
	if (val != NULL)
		n = (unsigned)atoi(val); /* negative numbers wrap to huge and are clamped below */
	if (n == 0)
		n = 1;
	if (n > 1024)
		n = 1024;
	return n;
}

int main(int argc, char **argv)
{
	const wl_opt_t opts[] = {{"--tasks", &ntasks}, {"--task-ms", &task_ms}, {"--rounds", &nrounds}};
	if (wl_parse_opts(argc, argv, opts, 3, 1, 100000ul, "[--tasks 16] [--task-ms 50] [--rounds 1]"))
		return 2;
	if ((tasks = calloc((size_t)ntasks * nrounds, sizeof *tasks)) == NULL)
		return 1;
	wl_noise_fill();

	loop = uv_default_loop();
	submit_round();
	uv_run(loop, UV_RUN_DEFAULT);
	uv_loop_close(loop);

	unsigned pool = libuv_pool_size(), waves = (ntasks + pool - 1) / pool;
	double max_wait = 0;
	uint32_t sum = 0;
	printf("{\"workload\":\"uvpool\",\"libuv\":\"%s\",\"pool_size\":%u,\"tasks\":%u,\"task_ms\":%u,"
	       "\"rounds\":%u,\"expected_waves\":%u,\"expected_wave_ms\":%u,\"expected_max_wait_ms\":%u,"
	       "\"per_round\":[",
	       uv_version_string(), pool, ntasks, task_ms, nrounds, waves, waves * task_ms,
	       (waves - 1) * task_ms);
	for (unsigned r = 0; r < nrounds; r++) {
		task_t *t = &tasks[r * ntasks];
		uint64_t first = t[0].submit, last = 0;
		double rmax = 0;
		for (unsigned i = 0; i < ntasks; i++) {
			if (t[i].end > last)
				last = t[i].end;
			if (wl_ms(t[i].start - t[i].submit) > rmax)
				rmax = wl_ms(t[i].start - t[i].submit);
			sum ^= t[i].sum;
		}
		if (rmax > max_wait)
			max_wait = rmax;
		printf("%s{\"wave_ms\":%.2f,\"max_wait_ms\":%.2f,\"wait_ms\":[", r ? "," : "", wl_ms(last - first), rmax);
		for (unsigned i = 0; i < ntasks; i++)
			printf("%s%.2f", i ? "," : "", wl_ms(t[i].start - t[i].submit));
		printf("],\"run_ms\":[");
		for (unsigned i = 0; i < ntasks; i++)
			printf("%s%.2f", i ? "," : "", wl_ms(t[i].end - t[i].start));
		printf("]}");
	}
	printf("],\"max_wait_ms\":%.2f,\"checksum\":%" PRIu32 "}\n", max_wait, sum);
	free(tasks);
	return 0;
}
