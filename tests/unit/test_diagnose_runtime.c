/* The diagnosis in the language of the runtime, on written sessions (agent records, CPU samples,
 * frames.jsonl) read the way `doctor` reads them: a C server's block gets C advice, a Python one
 * asyncio advice, node keeps its words; a multi-threaded server is judged by its busiest loops; a
 * memory series that levels off is not growth, one that rises to the end is; samples are placed in
 * a loop's blocks in time linear in samples plus blocks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "collector/analysis/analyze.h"
#include "tests/unit/analyzed.h"

#define MS 1000000ull
#define MB (1024ull * 1024ull)
#define T0 (1000ull * MS) /* the first record's timestamp */

/* agent-PID.jsonl's first line: a process record with this executable and argv[0]. */
static FILE *agent_file(int pid, const char *exe, const char *arg0)
{
	char name[64];
	snprintf(name, sizeof(name), "agent-%d.jsonl", pid);
	FILE *f = tmpdir_open(name, "w");
	fprintf(f,
		"{\"type\":\"process\",\"ts\":%llu,\"version\":1,\"pid\":%d,\"ppid\":1,\"exe\":\"%s\",\"cmdline\":[\"%s\"],"
		"\"block_ns\":50000000,\"interval_ns\":100000000,\"delay_resolution_ns\":10000000,\"cpus\":2}\n",
		T0, pid, exe, arg0);
	return f;
}

static void loop_record(FILE *f, unsigned id, int tid, const char *name, bool main)
{
	fprintf(f, "{\"type\":\"loop\",\"ts\":%llu,\"loop\":%u,\"tid\":%d,\"epfd\":%u,\"name\":\"%s\",\"main\":%s}\n", T0, id,
		tid, id + 2, name, main ? "true" : "false");
}

/* n intervals of 100 ms of loop id, busy_ms of each busy. */
static void intervals(FILE *f, unsigned id, unsigned n, unsigned busy_ms)
{
	for (unsigned i = 1; i <= n; i++)
		fprintf(f,
			"{\"type\":\"interval\",\"ts\":%llu,\"loop\":%u,\"dt\":%llu,\"busy\":%llu,\"idle\":%llu,"
			"\"iterations\":10,\"polls\":10}\n",
			T0 + i * 100 * MS, id, 100 * MS, busy_ms * MS, (100 - busy_ms) * MS);
}

static void block_record(FILE *f, unsigned id, unsigned long long start, unsigned long long dur)
{
	fprintf(f, "{\"type\":\"block\",\"ts\":%llu,\"loop\":%u,\"start\":%llu,\"dur\":%llu}\n", start + dur, id, start, dur);
}

/* agent_file with a node process's v8 record (when v8) and loop 1, the process's main loop. */
static FILE *main_loop(int pid, const char *exe, const char *arg0, bool v8)
{
	FILE *f = agent_file(pid, exe, arg0);
	if (v8)
		fputs("{\"type\":\"v8\",\"ts\":1000000000,\"version\":\"10.2.154.26-node.26\"}\n", f);
	loop_record(f, 1, pid, arg0, true);
	return f;
}

/* Four "mc-worker" loops (ids 2-5, tids pid+1..pid+4) beside the dispatcher, 3 s each, busy_ms[w]
 * of each 100 ms. */
static void workers(FILE *f, int pid, const unsigned busy_ms[4])
{
	for (unsigned w = 0; w < 4; w++) {
		loop_record(f, 2 + w, pid + 1 + (int)w, "mc-worker", false);
		intervals(f, 2 + w, 30, busy_ms[w]);
	}
}

static void proc_record(FILE *f, unsigned long long ts, unsigned long long utime, unsigned long long rss)
{
	fprintf(f, "{\"type\":\"proc\",\"ts\":%llu,\"utime\":%llu,\"stime\":0,\"rss\":%llu,\"run_delay\":0}\n", ts,
		utime, rss);
}

/* 3 s of proc records (5 ms of CPU per 100 ms, rss_mb) and a pool of 4 busy workers (impl) waiting
 * on I/O: submissions rise 4 per 100 ms when `rising`, else 4 in all and none done. */
static void busy_pool(FILE *f, const char *impl, unsigned long long rss_mb, bool rising)
{
	for (unsigned i = 0; i <= 30; i++) {
		proc_record(f, T0 + i * 100 * MS, i * 5 * MS, rss_mb * MB);
		if (!i)
			continue;
		unsigned submitted = rising ? i * 4 : 4, done = rising ? i * 4 - 4 : 0;
		fprintf(f,
			"{\"type\":\"pool\",\"ts\":%llu,\"impl\":\"%s\",\"size\":4,\"queued\":0,\"busy\":4,"
			"\"queued_max\":0,\"busy_max\":4,\"queued_mean\":0,\"busy_mean\":4,\"saturated\":0,"
			"\"samples\":100,\"submitted\":%u,\"started\":%u,\"done\":%u,\"unobserved\":0}\n",
			T0 + i * 100 * MS, impl, submitted, submitted, done);
	}
}

/* The CPU sampler's files: one stack (cpu-stacks.txt line 0), n samples of pid/tid on it spread
 * over [from, from + span), and frames.jsonl describing the stack's frames. */
static void samples(int pid, int tid, const char *stack, unsigned n, unsigned long long from, unsigned long long span,
		    const char *frames_jsonl)
{
	FILE *f = tmpdir_open("cpu-stacks.txt", "w");
	fprintf(f, "%s\n", stack);
	fclose(f);
	f = tmpdir_open("cpu-samples.bin", "wb");
	uint32_t hz = 99, size = 24;
	fwrite("LSSAMPL1", 1, 8, f);
	fwrite(&hz, 4, 1, f);
	fwrite(&size, 4, 1, f);
	for (unsigned i = 0; i < n; i++) {
		uint64_t ts = from + span * i / n;
		uint32_t rec[4] = {(uint32_t)pid, (uint32_t)tid, 0, 0};
		fwrite(&ts, 8, 1, f);
		fwrite(rec, 4, 4, f);
	}
	fclose(f);
	f = tmpdir_open("frames.jsonl", "w");
	fputs(frames_jsonl, f);
	fclose(f);
}

static void analyze(void)
{
	char err[256];
	assert_int_equal(analyze_session(dir, &s, &sum, NULL, err, sizeof(err)), 0);
	loaded = true;
}

static const struct finding *finding(const char *kind)
{
	for (unsigned i = 0; i < sum.nfindings; i++)
		if (!strcmp(sum.findings[i].kind, kind))
			return &sum.findings[i];
	return NULL;
}

static double evidence(const struct finding *f, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(f->evidence, key);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* No finding of the session speaks of JavaScript or node's APIs. */
static void assert_no_javascript(void)
{
	static const char *const words[] = {"JavaScript", "setImmediate", "worker_threads", "--perf-basic-prof",
					    "heap snapshot", "node "};
	for (unsigned i = 0; i < sum.nfindings; i++)
		for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
			if (strstr(sum.findings[i].summary, words[w]) || strstr(sum.findings[i].advice, words[w]))
				fail_msg("%s finding says \"%s\": %s / %s", sum.findings[i].kind, words[w],
					 sum.findings[i].summary, sum.findings[i].advice);
		}
}

/* summary.json's string at key of the document (top level), or of process_list[0] when in_proc. */
static void assert_json_string(const char *key, bool in_proc, const char *want)
{
	cJSON *j = summary_to_json(&sum, &s);
	const cJSON *o = j;
	if (in_proc)
		o = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "process_list"), 0);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	char got[64];
	snprintf(got, sizeof(got), "%s", cJSON_IsString(v) ? v->valuestring : "(none)");
	cJSON_Delete(j);
	if (strcmp(got, want))
		fail_msg("summary.json %s%s: want \"%s\", got %s", in_proc ? "process_list[0]." : "", key, want, got);
}

/* summary.json's number at key, in the object `within` of the document (top level when NULL). */
static double json_number(const char *within, const char *key)
{
	cJSON *j = summary_to_json(&sum, &s);
	const cJSON *o = within ? cJSON_GetObjectItemCaseSensitive(j, within) : j;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	double x = cJSON_IsNumber(v) ? v->valuedouble : NAN;
	cJSON_Delete(j);
	return x;
}

/* The C HTTP server (httpserver on libuv), blocked twice 150 ms in really_slow_checksum over 3 s;
 * 30 CPU samples inside the blocks, all in it. Expected: event-loop-blocked naming it, advice
 * for a C callback (a worker thread, uv_queue_work), shares of native code and the kernel only,
 * nothing about JavaScript; runtime "native". */
static void test_c_block(void **state)
{
	(void)state;
	FILE *f = main_loop(200, "/srv/bin/httpserver", "httpserver", false);
	intervals(f, 1, 30, 12);
	block_record(f, 1, T0 + 1000 * MS, 150 * MS);
	block_record(f, 1, T0 + 2000 * MS, 150 * MS);
	fclose(f);
	samples(200, 200, "httpserver;_start;main;uv_run;uv__io_poll;on_request;really_slow_checksum", 30, T0 + 1000 * MS,
		140 * MS,
		"{\"frame\":\"_start\",\"name\":\"_start\",\"kind\":\"native\",\"module\":\"/srv/bin/httpserver\"}\n"
		"{\"frame\":\"main\",\"name\":\"main\",\"kind\":\"native\",\"module\":\"/srv/bin/httpserver\"}\n"
		"{\"frame\":\"uv_run\",\"name\":\"uv_run\",\"kind\":\"native\",\"module\":\"/usr/lib/x86_64-linux-gnu/libuv.so.1\"}\n"
		"{\"frame\":\"uv__io_poll\",\"name\":\"uv__io_poll\",\"kind\":\"native\",\"module\":\"/usr/lib/x86_64-linux-gnu/libuv.so.1\"}\n"
		"{\"frame\":\"on_request\",\"name\":\"on_request\",\"kind\":\"native\",\"module\":\"/srv/bin/httpserver\"}\n"
		"{\"frame\":\"really_slow_checksum\",\"name\":\"really_slow_checksum\",\"kind\":\"native\",\"module\":\"/srv/bin/httpserver\"}\n");
	analyze();
	const struct finding *b = finding("event-loop-blocked");
	assert_non_null(b);
	assert_string_equal(b->top_frame, "really_slow_checksum");
	assert_non_null(strstr(b->advice, "really_slow_checksum"));
	assert_non_null(strstr(b->advice, "worker thread"));
	assert_non_null(strstr(b->advice, "uv_queue_work"));
	assert_non_null(strstr(b->summary, "100% ran native code"));
	assert_no_javascript();
	assert_json_string("runtime", false, "native");
}

/* A stripped C server (/srv/bin/server: only _start and main exported), blocked 150 ms twice in
 * its own code, 30 CPU samples inside the blocks whose stack holds only the process's entry
 * frames and two addresses of the program nothing names (issue 13: _start, an entry frame of the
 * program, was blamed as its own code). Expected: the top frame is "unnamed native code" at
 * server, on all 30 samples, never _start, __libc_start_* or main; the advice says to keep the
 * program's symbols, not to make a frame cheaper. */
static void test_c_stripped_block(void **state)
{
	(void)state;
	FILE *f = main_loop(250, "/srv/bin/server", "server", false);
	intervals(f, 1, 30, 12);
	block_record(f, 1, T0 + 1000 * MS, 150 * MS);
	block_record(f, 1, T0 + 2000 * MS, 150 * MS);
	fclose(f);
	samples(250, 250, "server;_start;__libc_start_main;__libc_start_call_main;main;server+0x1a2b;server+0x1c00", 30,
		T0 + 1000 * MS, 140 * MS,
		"{\"frame\":\"_start\",\"name\":\"_start\",\"kind\":\"native\",\"module\":\"/srv/bin/server\"}\n"
		"{\"frame\":\"__libc_start_main\",\"name\":\"__libc_start_main\",\"kind\":\"native\","
		"\"module\":\"/usr/lib/x86_64-linux-gnu/libc.so.6\"}\n"
		"{\"frame\":\"__libc_start_call_main\",\"name\":\"__libc_start_call_main\",\"kind\":\"native\","
		"\"module\":\"/usr/lib/x86_64-linux-gnu/libc.so.6\"}\n"
		"{\"frame\":\"main\",\"name\":\"main\",\"kind\":\"native\",\"module\":\"/srv/bin/server\"}\n"
		"{\"frame\":\"server+0x1a2b\",\"kind\":\"native\",\"module\":\"/srv/bin/server\"}\n"
		"{\"frame\":\"server+0x1c00\",\"kind\":\"native\",\"module\":\"/srv/bin/server\"}\n");
	analyze();
	const struct finding *b = finding("event-loop-blocked");
	assert_non_null(b);
	const struct loop_summary *ls = summary_main_loop(&sum);
	assert_string_equal(b->top_frame, "unnamed native code");
	assert_string_equal(ls->top_location, "server");
	assert_int_equal(ls->top_frame_stacks, 30);
	assert_non_null(strstr(b->advice, "Keep its symbols"));
	assert_null(strstr(b->advice, "cheaper"));
	assert_no_javascript();
}

/* A Python asyncio server (/usr/bin/python3.11) whose coroutine computed 400 ms without awaiting:
 * 40 samples inside the block, in the interpreter's frames (named and not). Expected: the top frame
 * is "Python code", the advice speaks asyncio (asyncio.to_thread, run_in_executor, await
 * asyncio.sleep(0)), the shares say 100% Python code, nothing about JavaScript; runtime "python". */
static void test_python_block(void **state)
{
	(void)state;
	FILE *f = main_loop(300, "/usr/bin/python3.11", "python3", false);
	intervals(f, 1, 30, 15);
	block_record(f, 1, T0 + 1000 * MS, 400 * MS);
	fclose(f);
	samples(300, 300, "python3;_start;Py_RunMain;_PyEval_EvalFrameDefault;python3.11+0x95001f;PyNumber_And", 40,
		T0 + 1000 * MS, 390 * MS,
		"{\"frame\":\"_start\",\"name\":\"_start\",\"kind\":\"native\",\"module\":\"/usr/bin/python3.11\"}\n"
		"{\"frame\":\"Py_RunMain\",\"name\":\"Py_RunMain\",\"kind\":\"native\",\"module\":\"/usr/bin/python3.11\"}\n"
		"{\"frame\":\"_PyEval_EvalFrameDefault\",\"name\":\"_PyEval_EvalFrameDefault\",\"kind\":\"native\",\"module\":\"/usr/bin/python3.11\"}\n"
		"{\"frame\":\"python3.11+0x95001f\",\"kind\":\"native\",\"module\":\"/usr/bin/python3.11\"}\n"
		"{\"frame\":\"PyNumber_And\",\"name\":\"PyNumber_And\",\"kind\":\"native\",\"module\":\"/usr/bin/python3.11\"}\n");
	analyze();
	const struct finding *b = finding("event-loop-blocked");
	assert_non_null(b);
	assert_string_equal(b->top_frame, "Python code");
	assert_non_null(strstr(b->advice, "asyncio.to_thread"));
	assert_non_null(strstr(b->advice, "run_in_executor"));
	assert_non_null(strstr(b->advice, "await asyncio.sleep(0)"));
	assert_non_null(strstr(b->summary, "100% ran Python code"));
	assert_no_javascript();
	assert_json_string("runtime", false, "python");
	assert_json_string("runtime", true, "python");
}

/* node (a v8 record) blocked 300 ms in reallySlowChecksum, JavaScript of the application.
 * Expected: today's words — setImmediate in the advice, "ran JavaScript" in the shares — and
 * runtime "node". */
static void test_node_unchanged(void **state)
{
	(void)state;
	FILE *f = main_loop(400, "/usr/bin/node", "node", true);
	intervals(f, 1, 30, 15);
	block_record(f, 1, T0 + 1000 * MS, 300 * MS);
	fclose(f);
	samples(400, 400, "node;uv_run;uv__io_poll;reallySlowChecksum /app/server.js:3:28 [*]", 20, T0 + 1000 * MS,
		290 * MS,
		"{\"frame\":\"uv_run\",\"name\":\"uv_run\",\"kind\":\"v8\",\"module\":\"/usr/bin/node\"}\n"
		"{\"frame\":\"uv__io_poll\",\"name\":\"uv__io_poll\",\"kind\":\"v8\",\"module\":\"/usr/bin/node\"}\n"
		"{\"frame\":\"reallySlowChecksum /app/server.js:3:28 [*]\",\"name\":\"reallySlowChecksum\",\"kind\":\"app\","
		"\"module\":\"/app/server.js\",\"location\":\"/app/server.js:3:28\",\"tier\":\"*\"}\n");
	analyze();
	const struct finding *b = finding("event-loop-blocked");
	assert_non_null(b);
	assert_string_equal(b->top_frame, "reallySlowChecksum");
	assert_string_equal(b->advice, "Make reallySlowChecksum cheaper, split it into chunks that yield (setImmediate), or "
				       "move it off the loop (a worker thread, the thread pool).");
	assert_non_null(strstr(b->summary, "100% ran JavaScript"));
	assert_json_string("runtime", false, "node");
}

/* memcached -t 4: the main thread's dispatcher loop 1 % busy, four mc-worker loops 60-80 % busy,
 * 3 s. Expected: "none" describes the busiest worker (ELU 0.80, its tid), not the dispatcher's
 * 0.01; summary.json names it as the busiest loop; per process too. */
static void test_workers_not_dispatcher(void **state)
{
	(void)state;
	FILE *f = main_loop(500, "/usr/bin/memcached", "memcached", false);
	intervals(f, 1, 30, 1);
	workers(f, 500, (const unsigned[4]){60, 66, 73, 80});
	fclose(f);
	analyze();
	const struct finding *n = finding("none");
	assert_non_null(n);
	assert_int_equal(sum.nfindings, 1);
	assert_true(fabs(evidence(n, "elu") - 0.8) < 0.001);
	assert_int_equal((int)evidence(n, "tid"), 504);
	assert_non_null(strstr(n->summary, "mc-worker"));
	assert_null(strstr(n->summary, "0.01"));
	assert_null(strstr(n->summary, "GC")); /* no V8 here, and no pool */
	cJSON *j = summary_to_json(&sum, &s);
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(j, "busiest_loop");
	assert_non_null(b);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(b, "tid")->valueint, 504);
	const cJSON *p = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "process_list"), 0);
	assert_non_null(p);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p, "busiest_loop"), "tid")->valueint,
			 504);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(p, "loops")->valueint, 5);
	cJSON_Delete(j);
}

/* The same server with a libuv pool whose 4 busy workers use 2.5 % of the CPU they could (waiting
 * on I/O), and a worker loop blocked 3 x 120 ms. Expected: no io-bound (the busiest loops are 60-80 %
 * busy: the loops, not I/O, hold the work; the idle dispatcher does not count), and
 * event-loop-blocked on that worker, called a "loop" (not node's "worker loop"). */
static void test_workers_io_and_blocked(void **state)
{
	(void)state;
	FILE *f = main_loop(600, "/usr/bin/memcached", "memcached", false);
	intervals(f, 1, 30, 1);
	workers(f, 600, (const unsigned[4]){60, 66, 73, 80});
	for (unsigned b = 0; b < 3; b++)
		block_record(f, 3, T0 + (500 + 800 * b) * MS, 120 * MS);
	busy_pool(f, "shared-libuv", 20, true);
	fclose(f);
	analyze();
	assert_true(sum.pool.present);
	assert_true(sum.pool.busy_cpu_ratio < 0.1); /* the io-bound premise holds but for the loops */
	assert_null(finding("io-bound"));
	const struct finding *b = finding("event-loop-blocked");
	assert_non_null(b);
	assert_int_equal((int)evidence(b, "tid"), 602);
	assert_non_null(strstr(b->summary, "The loop of pid 600 (thread 602, mc-worker)"));
	assert_no_javascript();
}

/* The same premise with the workers' loops idle (5-10 % busy): io-bound holds, judged on the
 * busiest worker loop (ELU 0.10), not the dispatcher's 0.01. */
static void test_workers_io_bound(void **state)
{
	(void)state;
	FILE *f = main_loop(700, "/usr/bin/memcached", "memcached", false);
	intervals(f, 1, 30, 1);
	workers(f, 700, (const unsigned[4]){4, 6, 8, 10});
	busy_pool(f, "shared-libuv", 20, true);
	fclose(f);
	analyze();
	const struct finding *io = finding("io-bound");
	assert_non_null(io);
	assert_true(fabs(evidence(io, "elu") - 0.10) < 0.001);
	assert_non_null(strstr(io->summary, "mc-worker"));
}

/* node's main thread with two loops: its event loop, 3 s at 2 % busy, and a loop it ran for 0.4 s
 * at start-up, 95 % busy (libuv's temporary loop of a synchronous call); the pool's 4 workers
 * wait on I/O. Expected: the busiest loop is the event loop (the other is transient: its thread's
 * loop is the one observed longest), so io-bound holds with ELU 0.02. */
static void test_transient_loop_not_busiest(void **state)
{
	(void)state;
	FILE *f = main_loop(1100, "/usr/bin/node", "node", true);
	intervals(f, 1, 4, 95);
	loop_record(f, 2, 1100, "node", true);
	intervals(f, 2, 30, 2);
	busy_pool(f, "in-binary", 40, false);
	fclose(f);
	analyze();
	const struct finding *io = finding("io-bound");
	assert_non_null(io);
	assert_true(fabs(evidence(io, "elu") - 0.02) < 0.001);
	cJSON *j = summary_to_json(&sum, &s);
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(j, "busiest_loop");
	double elu = cJSON_IsObject(b) ? cJSON_GetObjectItemCaseSensitive(b, "elu")->valuedouble : NAN;
	cJSON_Delete(j);
	if (!(fabs(elu - 0.02) < 0.001))
		fail_msg("busiest_loop's ELU %.4f, want 0.02 (the event loop, not the start-up loop)", elu);
}

/* RSS of a native cache server over 6 s (61 samples): 20 MB rising to 60 MB in the first 3 s, then
 * flat. Over the run: +400 MB/min, R² 0.80, 40 MB — what the old rule flagged. Over the last third:
 * 0 MB/min. Expected: no memory-growth. */
static void test_rss_plateau(void **state)
{
	(void)state;
	FILE *f = main_loop(800, "/usr/bin/cached", "cached", false);
	intervals(f, 1, 60, 5);
	for (unsigned i = 0; i <= 60; i++) {
		double t = i / 10.0, mb = 20 + 40 * (t < 3 ? t / 3 : 1);
		proc_record(f, T0 + i * 100 * MS, i * MS, (unsigned long long)(mb * MB));
	}
	fclose(f);
	analyze();
	assert_true(sum.rss_growth_mb_per_min > 300 && sum.rss_growth_r2 > 0.75); /* growth over the run */
	assert_true(fabs(json_number(NULL, "rss_late_growth_mb_per_min")) < 1);
	assert_null(finding("memory-growth"));
	assert_non_null(finding("none"));
}

/* node's heap over 6 s: 10 MB rising to 40 MB in the first 3 s (a cache warming up), then flat.
 * Expected: no memory-growth. */
static void test_heap_plateau(void **state)
{
	(void)state;
	FILE *f = main_loop(900, "/usr/bin/node", "node", true);
	intervals(f, 1, 60, 5);
	for (unsigned i = 1; i <= 60; i++) {
		double t = i / 10.0, mb = 10 + 30 * (t < 3 ? t / 3 : 1);
		fprintf(f,
			"{\"type\":\"heap\",\"ts\":%llu,\"loop\":1,\"used\":%llu,\"total\":%llu,\"limit\":%llu,\"external\":0}\n",
			T0 + i * 100 * MS, (unsigned long long)(mb * MB), 64 * MB, 4096 * MB);
	}
	fclose(f);
	analyze();
	assert_true(sum.heap.growth_mb_per_min > 200 && sum.heap.growth_r2 > 0.75);
	assert_true(fabs(json_number("heap", "late_growth_mb_per_min")) < 1);
	assert_null(finding("memory-growth"));
}

/* RSS rising steadily from 20 to 80 MB over 6 s (+600 MB/min) with ±1 MB of noise. Expected:
 * memory-growth, with the late slope in its evidence, 600 ± 60 MB/min, and native advice
 * (no heap snapshots). */
static void test_rss_steady_growth(void **state)
{
	(void)state;
	FILE *f = main_loop(1000, "/usr/bin/leaky", "leaky", false);
	intervals(f, 1, 60, 5);
	for (unsigned i = 0; i <= 60; i++) {
		double mb = 20 + i + (i % 2 ? 1 : -1);
		proc_record(f, T0 + i * 100 * MS, i * MS, (unsigned long long)(mb * MB));
	}
	fclose(f);
	analyze();
	const struct finding *m = finding("memory-growth");
	assert_non_null(m);
	double late = evidence(m, "rss_late_growth_mb_per_min");
	if (!(fabs(late - 600) <= 60))
		fail_msg("late growth %.1f MB/min, want 600 ± 60", late);
	assert_non_null(strstr(m->advice, "heaptrack"));
	assert_no_javascript();
}

/* A C server blocked 60 ms of every 100 ms for 2000 s (20 000 blocks), sampled every 10 ms (200 000
 * samples): 6 samples in each block. Every sample was compared with every block (13 s for an hour
 * of such a session): now a binary search, well under a second here. */
static void test_many_blocks(void **state)
{
	(void)state;
	FILE *f = main_loop(200, "/srv/bin/httpserver", "httpserver", false);
	intervals(f, 1, 20000, 60);
	for (unsigned k = 0; k < 20000; k++)
		block_record(f, 1, T0 + k * 100 * MS, 60 * MS);
	fclose(f);
	samples(200, 200, "httpserver;main;uv_run;on_request;really_slow_checksum", 200000, T0, 2000000 * MS,
		"{\"frame\":\"really_slow_checksum\",\"name\":\"really_slow_checksum\",\"kind\":\"native\","
		"\"module\":\"/srv/bin/httpserver\"}\n");
	clock_t start = clock();
	analyze();
	double cpu = (double)(clock() - start) / CLOCKS_PER_SEC;
	assert_int_equal(sum.nloops, 1);
	assert_int_equal(sum.loops[0].blocked_samples, 120000);
	assert_string_equal(sum.loops[0].top_frame, "really_slow_checksum");
	if (cpu > 3.0)
		fail_msg("analysis of 20 000 blocks and 200 000 samples took %.1f s of CPU", cpu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_c_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_c_stripped_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_python_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_workers_not_dispatcher, setup, teardown),
		cmocka_unit_test_setup_teardown(test_workers_io_and_blocked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_workers_io_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transient_loop_not_busiest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rss_plateau, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heap_plateau, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rss_steady_growth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_blocks, setup, teardown),
	};
	return cmocka_run_group_tests_name("diagnose_runtime", tests, NULL, NULL);
}
