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
#include <string.h>
#include <time.h>

#define NOINLINE __attribute__((noinline, noclone))

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
static unsigned char noise[64 * 1024];

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The work callback: FNV-1a passes over a 64 KiB buffer until task_ms of wall time have passed. */
NOINLINE void pool_checksum_work(uv_work_t *req)
{
	task_t *t = req->data;
	t->start = uv_hrtime();
	uint64_t deadline = now_ns() + (uint64_t)task_ms * 1000000u;
	uint32_t sum = 2166136261u;
	do {
		for (size_t i = 0; i < sizeof noise; i++)
			sum = (sum ^ noise[i]) * 16777619u;
	} while (now_ns() < deadline);
	t->sum = sum;
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

static unsigned arg_uint(int argc, char **argv, int *i)
{
	char *end;
	if (*i + 1 >= argc) {
		fprintf(stderr, "%s: %s needs a value\n", argv[0], argv[*i]);
		exit(2);
	}
	unsigned long v = strtoul(argv[++*i], &end, 10);
	if (*end != '\0' || end == argv[*i] || v == 0 || v > 100000ul) {
		fprintf(stderr, "%s: bad value for %s: %s\n", argv[0], argv[*i - 1], argv[*i]);
		exit(2);
	}
	return (unsigned)v;
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--tasks") == 0)
			ntasks = arg_uint(argc, argv, &i);
		else if (strcmp(argv[i], "--task-ms") == 0)
			task_ms = arg_uint(argc, argv, &i);
		else if (strcmp(argv[i], "--rounds") == 0)
			nrounds = arg_uint(argc, argv, &i);
		else {
			fprintf(stderr, "usage: %s [--tasks 16] [--task-ms 50] [--rounds 1]\n", argv[0]);
			return 2;
		}
	}
	if ((tasks = calloc((size_t)ntasks * nrounds, sizeof *tasks)) == NULL)
		return 1;
	for (size_t i = 0; i < sizeof noise; i++)
		noise[i] = (unsigned char)(i * 2654435761u >> 13);

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
			if (ms(t[i].start - t[i].submit) > rmax)
				rmax = ms(t[i].start - t[i].submit);
			sum ^= t[i].sum;
		}
		if (rmax > max_wait)
			max_wait = rmax;
		printf("%s{\"wave_ms\":%.2f,\"max_wait_ms\":%.2f,\"wait_ms\":[", r ? "," : "", ms(last - first), rmax);
		for (unsigned i = 0; i < ntasks; i++)
			printf("%s%.2f", i ? "," : "", ms(t[i].start - t[i].submit));
		printf("],\"run_ms\":[");
		for (unsigned i = 0; i < ntasks; i++)
			printf("%s%.2f", i ? "," : "", ms(t[i].end - t[i].start));
		printf("]}");
	}
	printf("],\"max_wait_ms\":%.2f,\"checksum\":%" PRIu32 "}\n", max_wait, sum);
	free(tasks);
	return 0;
}
