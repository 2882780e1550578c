/* The session reader on written fixtures: a complete agent file reads into loops, blocks, GC and
 * histograms; an unfinished last line is ignored; a corrupt line in the middle is an error naming
 * file and line; a file from a newer format version is refused; a missing directory is an error;
 * impossible durations (negative, written unsigned, past their record's time) are refused naming
 * the file, the line and the figure; blocked time stays inside the loop's observed window; numbers
 * out of an int's range (a system call, an exit status) read as unknown, never cast; run --heap's
 * snapshot windows take their blocks out of the loops'. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/analysis/session.h"
#include "collector/analysis/summary.h"
#include "tests/unit/tmpdir.h"

#define PROCESS "{\"type\":\"process\",\"ts\":1000,\"version\":1,\"pid\":42,\"ppid\":1,\"exe\":\"/usr/bin/node\",\"cmdline\":[\"node\",\"x.js\"],\"interval_ns\":100000000}\n"
#define LOOP "{\"type\":\"loop\",\"ts\":1000,\"loop\":1,\"tid\":42,\"epfd\":3,\"name\":\"node\",\"main\":true}\n"
#define INTERVAL "{\"type\":\"interval\",\"ts\":100001000,\"loop\":1,\"dt\":100000000,\"busy\":40000000,\"idle\":60000000,\"iterations\":7,\"polls\":7}\n"
#define BLOCK "{\"type\":\"block\",\"ts\":60001000,\"loop\":1,\"start\":1000,\"dur\":60000000}\n"
#define GC "{\"type\":\"gc\",\"ts\":70000000,\"loop\":1,\"start\":69000000,\"dur\":1000000,\"kind\":\"scavenge\"}\n"
#define HIST "{\"type\":\"hist\",\"ts\":100001000,\"name\":\"delay\",\"loop\":1,\"count\":3,\"sum\":30,\"max\":20,\"buckets\":[[0,1],[10,1],[20,1]]}\n"

/* Expected: one process, one loop with ELU 0.4, one block of 60 ms, one GC, a delay histogram of 3. */
static void test_reads_records(void **state)
{
	(void)state;
	struct session s;
	char err[256];
	tmpdir_write("agent-42.jsonl", PROCESS LOOP INTERVAL BLOCK GC HIST);
	assert_int_equal(session_load(&s, dir, err, sizeof(err)), 0);
	assert_int_equal(s.procs.len, 1);
	struct s_process *p = vec_at(&s.procs, 0);
	assert_int_equal(p->pid, 42);
	assert_string_equal(p->argv[1], "x.js");
	struct s_loop *l = process_loop(p, 1);
	assert_non_null(l);
	assert_int_equal(l->busy, 40000000);
	assert_int_equal(l->idle, 60000000);
	assert_int_equal(l->blocks.len, 1);
	assert_int_equal(l->gcs.len, 1);
	assert_true(l->delay_h.present);
	assert_int_equal(l->delay_h.h->count, 3);
	session_free(&s);
}

/* A process killed mid-write leaves an unfinished last line: the complete ones read. */
static void test_unfinished_last_line(void **state)
{
	(void)state;
	struct session s;
	char err[256];
	tmpdir_write("agent-42.jsonl", PROCESS LOOP INTERVAL "{\"type\":\"interval\",\"ts\":2000");
	assert_int_equal(session_load(&s, dir, err, sizeof(err)), 0);
	assert_int_equal(process_loop(vec_at(&s.procs, 0), 1)->intervals.len, 1);
	session_free(&s);
}

/* A corrupt line in the middle: an error naming the file and the line. */
static void test_corrupt_line(void **state)
{
	(void)state;
	struct session s;
	char err[256];
	tmpdir_write("agent-42.jsonl", PROCESS LOOP "{\"type\":\"interval\",\"ts\":5,#garbage\n" INTERVAL);
	assert_int_equal(session_load(&s, dir, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "agent-42.jsonl:3"));
	session_free(&s);
}

/* Buckets out of range, wrong types: refused, no crash. */
static void test_bad_histogram(void **state)
{
	(void)state;
	struct session s;
	char err[256];
	tmpdir_write("agent-42.jsonl", PROCESS LOOP
		   "{\"type\":\"hist\",\"ts\":1,\"name\":\"delay\",\"loop\":1,\"buckets\":[[999999,1]]}\n");
	assert_int_equal(session_load(&s, dir, err, sizeof(err)), -EBADMSG);
	session_free(&s);
	/* A count past 2^64 (1e67): refused, not cast (undefined behaviour, caught by the sanitizers). */
	tmpdir_write("agent-42.jsonl", PROCESS LOOP
		   "{\"type\":\"hist\",\"ts\":1,\"name\":\"delay\",\"loop\":1,\"buckets\":[[3,1e67]]}\n");
	assert_int_equal(session_load(&s, dir, err, sizeof(err)), -EBADMSG);
	session_free(&s);
}

/* A newer format version is refused with the reason; a first line that is not a process record too. */
static void test_version_and_header(void **state)
{
	(void)state;
	struct session s;
	char err[256];
	tmpdir_write("agent-42.jsonl", "{\"type\":\"process\",\"ts\":1,\"version\":99,\"pid\":42}\n");
	assert_int_equal(session_load(&s, dir, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "newer"));
	session_free(&s);
	tmpdir_write("agent-42.jsonl", LOOP PROCESS);
	assert_int_equal(session_load(&s, dir, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "not a loopscope record file"));
	session_free(&s);
}

/* The file holds PROCESS LOOP and then `line` (its line 3): refused, the error naming the file's
 * line 3 and holding `reason`. */
static void refused(const char *line, const char *reason)
{
	struct session s;
	char err[512], text[1024];

	snprintf(text, sizeof(text), "%s%s%s", PROCESS, LOOP, line);
	tmpdir_write("agent-42.jsonl", text);
	assert_int_equal(session_load(&s, dir, err, sizeof(err)), -EBADMSG);
	if (!strstr(err, "agent-42.jsonl:3: impossible") || !strstr(err, reason))
		print_error("for %s: error \"%s\" lacks \"%s\"\n", line, err, reason);
	assert_true(strstr(err, "agent-42.jsonl:3: impossible") && strstr(err, reason));
	session_free(&s);
}

/* A block that starts after its own record's time: the unsigned underflow issue 13 saw as a block of
 * 18446744073710 ms (start 85 us after ts, dur 2^64 - 85 us). Refused, not summed. */
static void test_block_after_its_time(void **state)
{
	(void)state;
	refused("{\"type\":\"block\",\"ts\":31136964396699,\"loop\":1,\"start\":31136964481669,"
		"\"dur\":1.8446744073709468e+19,\"open\":true}\n",
		"longer than the clock had run");
	refused("{\"type\":\"block\",\"ts\":31136964396699,\"loop\":1,\"start\":31136964481669,\"dur\":60000000}\n",
		"after its own time 31136964396699");
	/* It ends after its record's time. */
	refused("{\"type\":\"block\",\"ts\":60001000,\"loop\":1,\"start\":1000,\"dur\":60000001}\n",
		"past its own time 60001000");
	/* A negative duration, a duration that is no number. */
	refused("{\"type\":\"block\",\"ts\":60001000,\"loop\":1,\"start\":1000,\"dur\":-5}\n", "dur is negative");
	refused("{\"type\":\"block\",\"ts\":60001000,\"loop\":1,\"start\":1000,\"dur\":\"60\"}\n",
		"dur is not a number");
	/* A GC pause is a span too. */
	refused("{\"type\":\"gc\",\"ts\":70000000,\"loop\":1,\"start\":70000001,\"dur\":1,\"kind\":\"scavenge\"}\n",
		"gc record: it starts at 70000001, after its own time");
}

/* Interval figures: none longer than the clock had run (busy_max of 2^64 - 2 us, as the loop probe
 * wrote when a poll returned while it took its time), none negative, busy + idle + away within dt. */
static void test_interval_ranges(void **state)
{
	(void)state;
	refused("{\"type\":\"interval\",\"ts\":31084339372572,\"loop\":1,\"dt\":206002236,\"busy\":206002236,"
		"\"idle\":0,\"iterations\":124,\"polls\":7755,\"busy_max\":1.8446744073709124e+19}\n",
		"busy_max of 18446744073709123584 ns is longer than the clock");
	refused("{\"type\":\"interval\",\"ts\":100001000,\"loop\":1,\"dt\":100000000,\"busy\":-1,\"idle\":0}\n",
		"busy is negative");
	refused("{\"type\":\"interval\",\"ts\":100001000,\"loop\":1,\"dt\":100000000,\"busy\":60000000,"
		"\"idle\":60000000}\n",
		"busy 60000000 + idle 60000000 + away 0 ns exceed its dt 100000000");
	refused("{\"type\":\"interval\",\"ts\":1000,\"loop\":1,\"dt\":100000000,\"busy\":0,\"idle\":100000000}\n",
		"dt of 100000000 ns is longer than the clock had run at its time 1000");
	/* The edges are fine: a block ending at its record's time, an interval all busy. */
	struct session s;
	char err[256];
	tmpdir_write("agent-42.jsonl",
		     PROCESS LOOP "{\"type\":\"interval\",\"ts\":100001000,\"loop\":1,\"dt\":100000000,\"busy\":100000000,"
				  "\"idle\":0,\"busy_max\":100000000}\n" BLOCK);
	assert_int_equal(session_load(&s, dir, err, sizeof(err)), 0);
	session_free(&s);
}

/* A block that started before the loop was observed (a window's start) counts from the window's
 * start: 60 ms of a 100 ms window, not 5 s; a loop is never blocked longer than it was observed. */
static void test_blocked_inside_window(void **state)
{
	(void)state;
	struct session s;
	struct summary sum;
	char err[256];
	tmpdir_write("agent-42.jsonl", PROCESS
		     "{\"type\":\"interval\",\"ts\":5100000000,\"loop\":1,\"dt\":100000000,\"busy\":100000000,\"idle\":0}\n"
		     "{\"type\":\"block\",\"ts\":5060000000,\"loop\":1,\"start\":60000000,\"dur\":5000000000}\n"
		     "{\"type\":\"block\",\"ts\":4000000000,\"loop\":1,\"start\":1000000000,\"dur\":3000000000}\n");
	assert_int_equal(session_load(&s, dir, err, sizeof(err)), 0);
	summary_compute(&sum, &s);
	assert_int_equal(sum.nloops, 1);
	assert_int_equal(sum.loops[0].blocks, 1); /* the other ended before the window */
	assert_true(sum.loops[0].blocked_ms > 59.999 && sum.loops[0].blocked_ms < 60.001);
	assert_true(sum.loops[0].blocked_ms <= sum.loops[0].seconds * 1000.0);
	summary_free(&sum);
	session_free(&s);
}

/* run --heap's snapshot windows (session.json's heap_snapshots): a block lying mostly inside one of
 * the same process is loopscope's and leaves the loop's blocks (a 900 ms block in a 1 s window);
 * a block mostly outside (20 ms inside a 100 ms block) and a block of another pid's window stay;
 * the watchdog's stacks of the window go with them; RSS from the first snapshot on is left out. */
static void test_snapshot_windows(void **state)
{
	(void)state;
	struct session s;
	struct summary sum;
	char err[256];
	tmpdir_write("session.json",
		     "{\"version\":1,\"kind\":\"run\",\"command\":[\"node\",\"x.js\"],\"pid\":42,\"start_ts\":1000,"
		     "\"heap_snapshots\":[{\"file\":\"heap-1.heapsnapshot\",\"pid\":42,\"start_ts\":2000000000,"
		     "\"end_ts\":3000000000,\"pause_ms\":950,\"bytes\":5},{\"pid\":7,\"start_ts\":3500000000,"
		     "\"end_ts\":3600000000,\"error\":\"x\"}]}\n");
	tmpdir_write("agent-42.jsonl", PROCESS LOOP
		     "{\"type\":\"interval\",\"ts\":4000001000,\"loop\":1,\"dt\":4000000000,\"busy\":1200000000,\"idle\":2800000000}\n"
		     "{\"type\":\"block\",\"ts\":3000000000,\"loop\":1,\"start\":2100000000,\"dur\":900000000}\n"
		     "{\"type\":\"block\",\"ts\":3130000000,\"loop\":1,\"start\":3030000000,\"dur\":100000000}\n"
		     "{\"type\":\"block\",\"ts\":3600000000,\"loop\":1,\"start\":3500000000,\"dur\":100000000}\n"
		     "{\"type\":\"stack\",\"ts\":2500000000,\"loop\":1,\"block_start\":2100000000,\"state\":\"R\",\"frames\":[\"0x1\"]}\n"
		     "{\"type\":\"stack\",\"ts\":3550000000,\"loop\":1,\"block_start\":3500000000,\"state\":\"R\",\"frames\":[\"0x1\"]}\n"
		     "{\"type\":\"proc\",\"ts\":1000000000,\"utime\":1,\"stime\":1,\"rss\":100000000}\n"
		     "{\"type\":\"proc\",\"ts\":2500000000,\"utime\":1,\"stime\":1,\"rss\":900000000}\n");
	assert_int_equal(session_load(&s, dir, err, sizeof(err)), 0);
	assert_int_equal(s.nsnaps, 2);
	assert_int_equal(s.snap_blocks, 1);
	assert_int_equal(s.snap_blocked_ns, 900000000);
	summary_compute(&sum, &s);
	assert_int_equal(sum.loops[0].blocks, 2); /* 3030 ms (20 of 100 ms inside), and pid 7's window is not pid 42's */
	assert_int_equal(sum.snapshots.count, 1);
	assert_int_equal(sum.snapshots.blocks_excluded, 1);
	assert_true(sum.rss_max_mb > 95 && sum.rss_max_mb < 101); /* the 900 MB sample is during the snapshot */
	const struct s_loop *l = vec_at(&((const struct s_process *)vec_at(&s.procs, 0))->loops, 0);
	assert_int_equal(l->stacks.len, 1); /* the one of the window went, the other stays */
	summary_free(&sum);
	session_free(&s);
}

/* A stack's system call and session.json's exit status out of range (1e30, negative): unknown, not
 * cast (undefined behaviour, caught by the sanitizers; found by fuzz_records). */
static void test_numbers_out_of_range(void **state)
{
	(void)state;
	struct session s;
	char err[256];
	tmpdir_write("agent-42.jsonl", PROCESS LOOP
		   "{\"type\":\"stack\",\"ts\":2,\"loop\":1,\"state\":\"S\",\"syscall\":1e30,\"frames\":[\"0x1\"]}\n"
		   "{\"type\":\"stack\",\"ts\":3,\"loop\":1,\"state\":\"S\",\"syscall\":-7,\"frames\":[\"0x1\"]}\n"
		   "{\"type\":\"stack\",\"ts\":4,\"loop\":1,\"state\":\"S\",\"syscall\":7,\"frames\":[\"0x1\"]}\n");
	tmpdir_write("session.json", "{\"version\":1,\"pid\":42,\"exit_status\":1e30}");
	assert_int_equal(session_load(&s, dir, err, sizeof(err)), 0);
	struct s_loop *l = process_loop(vec_at(&s.procs, 0), 1);
	assert_int_equal(l->stacks.len, 3);
	assert_int_equal(((struct s_stack *)vec_at(&l->stacks, 0))->syscall, -1);
	assert_int_equal(((struct s_stack *)vec_at(&l->stacks, 1))->syscall, -1);
	assert_int_equal(((struct s_stack *)vec_at(&l->stacks, 2))->syscall, 7);
	assert_int_equal(s.exit_status, -1);
	session_free(&s);
	tmpdir_write("session.json", "{\"version\":1,\"pid\":42,\"exit_status\":-2}");
	assert_int_equal(session_load(&s, dir, err, sizeof(err)), 0);
	assert_int_equal(s.exit_status, -1);
	session_free(&s);
	tmpdir_write("session.json", "{\"version\":1,\"pid\":42,\"exit_status\":3}");
	assert_int_equal(session_load(&s, dir, err, sizeof(err)), 0);
	assert_int_equal(s.exit_status, 3);
	session_free(&s);
}

/* A record file whose line is longer than any record (here 5 MiB, no newline): refused naming the
 * file and line, without reading the line whole (a corrupt or planted file could hold gigabytes). */
static void test_line_too_long(void **state)
{
	(void)state;
	struct session s;
	char err[256], path[256];
	tmpdir_write("agent-42.jsonl", PROCESS LOOP);
	snprintf(path, sizeof(path), "%s/agent-42.jsonl", dir);
	FILE *f = fopen(path, "a");
	for (int i = 0; i < 5 << 20; i++)
		fputc('x', f);
	fclose(f);
	assert_int_equal(session_load(&s, dir, err, sizeof(err)), -EFBIG);
	assert_non_null(strstr(err, "agent-42.jsonl:3: a line longer than 4 MiB"));
	session_free(&s);
}

/* No directory, or no records in it. */
static void test_missing(void **state)
{
	(void)state;
	struct session s;
	char err[256];
	assert_true(session_load(&s, "/nonexistent/loopscope", err, sizeof(err)) < 0);
	session_free(&s);
	assert_int_equal(session_load(&s, dir, err, sizeof(err)), -ENOENT);
	session_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reads_records, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_unfinished_last_line, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_line, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_bad_histogram, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_version_and_header, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_numbers_out_of_range, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_missing, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_line_too_long, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_block_after_its_time, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_interval_ranges, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_blocked_inside_window, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_windows, tmpdir_setup, tmpdir_teardown),
	};
	return cmocka_run_group_tests_name("session", tests, NULL, NULL);
}
