/* The native heap on written sessions (hand-made agent records: libloopscope-heap.so's native_stack
 * and native_heap records): the reader keeps, per stack, the latest record's cumulative figures and
 * those of the reference (the latest record at or before the first one's time + 2 s); every
 * malformed record is refused naming the file, the line and what is wrong; the stacks are named
 * for real — return addresses of this test binary's own functions, of libc's malloc and of
 * libstdc++'s operator new, through this process's /proc/self/maps written as the `maps` record —
 * so the allocation sites skip the allocator's frames; native-live.folded and native-alloc.folded
 * are written root first with the bytes; the memory-growth finding cites the site that grew; the
 * report's profiles read them in bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "collector/analysis/analyze.h"
#include "collector/analysis/native_heap.h"
#include "collector/util/files.h"
#include "collector/util/xalloc.h"
#include "reports/profiles.h"
#include "reports/report.h"
#include "tests/unit/analyzed.h"

#define MS 1000000ull
#define S 1000000000ull
#define MB 1000000ull
#define T0 (1000ull * MS)

#define PROCESS                                                                                                   \
	"{\"type\":\"process\",\"ts\":1000000000,\"version\":1,\"pid\":42,\"ppid\":1,\"exe\":\"/opt/app/leaky\","    \
	"\"cmdline\":[\"leaky\"],\"interval_ns\":100000000}\n"

/* --- the functions the stacks name: each allocates for real, so none is folded away --- */

__attribute__((noinline)) void *grow_cache(size_t n);
__attribute__((noinline)) void *load_config(size_t n);
__attribute__((noinline)) void *parse_request(size_t n);
__attribute__((noinline)) void app_main(void);

void *grow_cache(size_t n)
{
	void *p = malloc(n);
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

void *load_config(size_t n)
{
	void *p = calloc(1, n);
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

void *parse_request(size_t n)
{
	void *p = malloc(n + 1);
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

void app_main(void)
{
	free(grow_cache(8));
	free(load_config(8));
	free(parse_request(8));
}

/* A return address in fn: its first byte + 1 (named at address - 1). */
static uint64_t ret_in(const void *fn)
{
	return (uint64_t)(uintptr_t)fn + 1;
}

/* A function of a library this process has loaded (loaded now when it was not), by its symbol. */
static void *library_fn(const char *lib, const char *sym)
{
	void *h = dlopen(lib, RTLD_NOLOAD | RTLD_LAZY);
	if (!h)
		h = dlopen(lib, RTLD_LAZY);
	assert_non_null(h);
	void *fn = dlsym(h, sym);
	assert_non_null(fn);
	return fn;
}

static void write_maps(FILE *f)
{
	char *self, err[256];
	size_t len;
	assert_int_equal(read_file_limit("/proc/self/maps", 1 << 20, &self, &len, err, sizeof(err)), 0);
	/* and loopscope's agent, as it would be mapped (a file that is not there: its frames unnamed) */
	char *text = xasprintf("%s7e0000000000-7e0000100000 r-xp 00000000 fe:00 1 /opt/loopscope/lib/libloopscope.so\n", self);
	free(self);
	cJSON *rec = cJSON_CreateObject();
	cJSON_AddStringToObject(rec, "type", "maps");
	cJSON_AddNumberToObject(rec, "ts", (double)(T0 + 10 * MS));
	cJSON_AddStringToObject(rec, "text", text);
	char *line = cJSON_PrintUnformatted(rec);
	fprintf(f, "%s\n", line);
	free(line);
	cJSON_Delete(rec);
	free(text);
}

static void native_stack(FILE *f, unsigned id, const uint64_t *frames, unsigned n)
{
	fprintf(f, "{\"type\":\"native_stack\",\"ts\":%llu,\"id\":%u,\"frames\":[", T0 + 20 * MS, id);
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "%s\"0x%llx\"", i ? "," : "", (unsigned long long)frames[i]);
	fputs("]}\n", f);
}

/* --- the reader --- */

static struct s_native_stack *stack_of(const struct s_native_heap *nh, uint32_t id)
{
	size_t pos = id_index_get(&nh->index, id);
	assert_true(pos > 0);
	return vec_at(&nh->stacks, pos - 1);
}

/* Records at 0, 1, 2, 3 and 4 s (ts T0 + ...). Expected: stack 1's figures the 3 s record's (the
 * latest that lists it), its reference the 2 s record's (the latest at or before first + 2 s);
 * stack 2 listed only at 1 s: now = reference; stack 3 listed first at 4 s: reference zero; the
 * process's samples the last record's; summary: 6000 + 500 + 700 B live, growth +3000 + 0 + 700. */
static void test_latest_wins_and_reference(void **state)
{
	char err[256];
	(void)state;
	tmpdir_write("agent-42.jsonl",
		     PROCESS
		     "{\"type\":\"native_stack\",\"ts\":1000000001,\"id\":1,\"frames\":[\"0x401000\",\"0x402000\"]}\n"
		     "{\"type\":\"native_stack\",\"ts\":1000000001,\"id\":2,\"frames\":[\"0x401100\"]}\n"
		     "{\"type\":\"native_heap\",\"ts\":1000000002,\"rate\":524288,\"samples\":1,\"dropped_stacks\":0,\"dropped_live\":0,"
		     "\"stacks\":[[1,1,1,1000,1,1,1000]]}\n"
		     "{\"type\":\"native_heap\",\"ts\":2000000002,\"rate\":524288,\"samples\":2,\"dropped_stacks\":0,\"dropped_live\":0,"
		     "\"stacks\":[[2,1,1,500,1,1,500]]}\n"
		     "{\"type\":\"native_heap\",\"ts\":3000000002,\"rate\":524288,\"samples\":3,\"dropped_stacks\":0,\"dropped_live\":0,"
		     "\"stacks\":[[1,2,2,3000,2,2,3000]]}\n"
		     "{\"type\":\"native_stack\",\"ts\":3500000000,\"id\":3,\"frames\":[\"0x401200\"]}\n"
		     "{\"type\":\"native_heap\",\"ts\":4000000002,\"rate\":524288,\"samples\":9,\"dropped_stacks\":1,\"dropped_live\":2,"
		     "\"stacks\":[[1,5,5,9000,3,3,6000]]}\n"
		     "{\"type\":\"native_heap\",\"ts\":5000000002,\"rate\":524288,\"samples\":10,\"dropped_stacks\":1,\"dropped_live\":2,"
		     "\"stacks\":[[3,1,1,700,1,1,700]]}\n");
	assert_int_equal(session_load(&s, dir, err, sizeof(err)), 0);
	const struct s_native_heap *nh = &((struct s_process *)vec_at(&s.procs, 0))->native;
	assert_true(nh->present);
	assert_int_equal(nh->rate, 524288);
	assert_int_equal(nh->samples, 10);
	assert_int_equal(nh->dropped_stacks, 1);
	assert_int_equal(nh->dropped_live, 2);
	assert_int_equal(nh->first_ts, 1000000002);
	assert_int_equal(nh->ref_ts, 3000000002);
	assert_int_equal(nh->ref_samples, 3);
	assert_int_equal(nh->last_ts, 5000000002);
	struct s_native_stack *a = stack_of(nh, 1), *b = stack_of(nh, 2), *c = stack_of(nh, 3);
	assert_int_equal(a->nframes, 2);
	assert_int_equal(a->frames[0], 0x401000);
	assert_int_equal(a->now.alloc_bytes, 9000);
	assert_int_equal(a->now.live_bytes, 6000);
	assert_int_equal(a->now.live_samples, 3);
	assert_int_equal(a->ref.live_bytes, 3000);
	assert_int_equal(b->now.live_bytes, 500);
	assert_int_equal(b->ref.live_bytes, 500);
	assert_int_equal(c->now.live_bytes, 700);
	assert_int_equal(c->ref.live_bytes, 0);
	summary_compute(&sum, &s);
	loaded = true;
	assert_true(sum.native.present);
	assert_int_equal(sum.native.processes, 1);
	assert_int_equal(sum.native.live_bytes, 7200);
	assert_int_equal(sum.native.alloc_bytes, 10200);
	assert_int_equal(sum.native.growth, 3700);
	assert_true(sum.native.ref_s > 1.99 && sum.native.ref_s < 2.01);
	assert_true(sum.native.span_s > 1.99 && sum.native.span_s < 2.01);
}

/* A fork child's file: the stacks announced again, live figures inherited from the parent above its
 * own allocated ones (counted from zero), the sampler's unwind_fail. Expected: read as written. */
static void test_fork_child(void **state)
{
	char err[256];
	(void)state;
	tmpdir_write("agent-42.jsonl",
		     PROCESS "{\"type\":\"native_stack\",\"ts\":1000000001,\"id\":1,\"frames\":[\"0x401000\"]}\n"
			     "{\"type\":\"native_heap\",\"ts\":1000000002,\"rate\":4096,\"samples\":7,\"dropped_stacks\":0,"
			     "\"dropped_live\":0,\"unwind_fail\":3,\"stacks\":[[1,0,0,0,5,5,20480]]}\n");
	assert_int_equal(session_load(&s, dir, err, sizeof(err)), 0);
	const struct s_native_heap *nh = &((struct s_process *)vec_at(&s.procs, 0))->native;
	assert_int_equal(stack_of(nh, 1)->now.live_bytes, 20480);
	assert_int_equal(stack_of(nh, 1)->now.alloc_bytes, 0);
	assert_int_equal(nh->unwind_fail, 3);
	summary_compute(&sum, &s);
	loaded = true;
	assert_int_equal(sum.native.unwind_fail, 3);
}

/* A session without native records: no native heap anywhere, "native_heap": null. */
static void test_absent(void **state)
{
	char err[256];
	(void)state;
	tmpdir_write("agent-42.jsonl", PROCESS);
	assert_int_equal(session_load(&s, dir, err, sizeof(err)), 0);
	summary_compute(&sum, &s);
	loaded = true;
	assert_false(sum.native.present);
	cJSON *j = native_heap_json(&sum.native);
	assert_true(cJSON_IsNull(j));
	cJSON_Delete(j);
}

#define STACK1 "{\"type\":\"native_stack\",\"ts\":1000000001,\"id\":1,\"frames\":[\"0x401000\"]}\n"
#define HEAP(ts, samples, entries)                                                                                \
	"{\"type\":\"native_heap\",\"ts\":" ts ",\"rate\":4096,\"samples\":" samples                                    \
	",\"dropped_stacks\":0,\"dropped_live\":0,\"stacks\":[" entries "]}\n"

/* The file holds PROCESS STACK1 HEAP(first) and then `line` (its line 4): refused, the error naming
 * the file's line 4 and holding `reason`. */
static void refused(const char *line, const char *reason)
{
	struct session bad;
	char err[512], text[2048];

	snprintf(text, sizeof(text), "%s%s%s%s", PROCESS, STACK1, HEAP("2000000000", "1", "[1,1,1,100,1,1,100]"), line);
	tmpdir_write("agent-42.jsonl", text);
	assert_int_equal(session_load(&bad, dir, err, sizeof(err)), -EBADMSG);
	if (!strstr(err, "agent-42.jsonl:4: impossible") || !strstr(err, reason))
		fail_msg("for %s: error \"%s\" lacks \"%s\"", line, err, reason);
	session_free(&bad);
}

/* Every way a native record can break the format: refused, never read as something else. Expected
 * (each): -EBADMSG, "agent-42.jsonl:4: impossible ..." with the reason. */
static void test_malformed_refused(void **state)
{
	(void)state;
	refused("{\"type\":\"native_stack\",\"ts\":1,\"id\":0,\"frames\":[]}\n", "its id is not a stack id");
	refused("{\"type\":\"native_stack\",\"ts\":1,\"id\":4294967296,\"frames\":[]}\n", "its id is not a stack id");
	refused("{\"type\":\"native_stack\",\"ts\":1,\"id\":2.5,\"frames\":[]}\n", "its id is not a stack id");
	refused("{\"type\":\"native_stack\",\"ts\":1,\"id\":\"2\",\"frames\":[]}\n", "its id is not a stack id");
	refused("{\"type\":\"native_stack\",\"ts\":1,\"id\":1,\"frames\":[\"0x1\"]}\n", "stack 1 is defined twice");
	refused("{\"type\":\"native_stack\",\"ts\":1,\"id\":2}\n", "no array of at most 4096 frames");
	refused("{\"type\":\"native_stack\",\"ts\":1,\"id\":2,\"frames\":{}}\n", "no array of at most 4096 frames");
	refused("{\"type\":\"native_stack\",\"ts\":1,\"id\":2,\"frames\":[\"0x12\",\"0xzz\"]}\n", "frame 1 of stack 2 is not an address");
	refused("{\"type\":\"native_stack\",\"ts\":1,\"id\":2,\"frames\":[4198400]}\n", "frame 0 of stack 2 is not an address");
	refused("{\"type\":\"native_stack\",\"ts\":1,\"id\":2,\"frames\":[\"0x\"]}\n", "not an address");
	refused("{\"type\":\"native_stack\",\"ts\":1,\"id\":2,\"frames\":[\"0x10000000000000000\"]}\n", "not an address");
	refused(HEAP("3000000000", "2", "[7,1,1,100,1,1,100]"), "stack 7 has no native_stack record before it");
	refused(HEAP("3000000000", "2", "[1,1,1,100,1,1]"), "not an array of 7 whole numbers");
	refused(HEAP("3000000000", "2", "[1,2,2,200,1,1,-100]"), "not an array of 7 whole numbers");
	refused(HEAP("3000000000", "2", "[1,2,2,200.5,1,1,100]"), "not an array of 7 whole numbers");
	refused(HEAP("3000000000", "2", "[1,2,2,1e30,1,1,100]"), "not an array of 7 whole numbers");
	refused(HEAP("3000000000", "2", "1"), "not an array of 7 whole numbers");
	refused(HEAP("3000000000", "2", "[1,1,1,50,1,1,50]"), "allocations went down");
	refused(HEAP("3000000000", "0", "[1,2,2,200,1,1,100]"), "samples went down from 1 to 0");
	refused(HEAP("1000000000", "2", ""), "its time 1000000000 is before the previous one's, 2000000000");
	refused("{\"type\":\"native_heap\",\"ts\":3000000000,\"rate\":0,\"samples\":2,\"dropped_stacks\":0,\"dropped_live\":0,"
		"\"stacks\":[]}\n",
		"a sampling rate of 0 bytes");
	refused("{\"type\":\"native_heap\",\"ts\":3000000000,\"rate\":4096,\"dropped_stacks\":0,\"dropped_live\":0,"
		"\"stacks\":[]}\n",
		"samples is missing or not a whole number");
	refused("{\"type\":\"native_heap\",\"ts\":3000000000,\"rate\":4096,\"samples\":2,\"dropped_stacks\":0,"
		"\"dropped_live\":0}\n",
		"no array of stacks");
	refused("{\"type\":\"native_heap\",\"ts\":3000000000,\"rate\":4096,\"samples\":2,\"dropped_stacks\":0,"
		"\"dropped_live\":0,\"unwind_fail\":-1,\"stacks\":[]}\n",
		"unwind_fail is not a whole number");
	refused("{\"type\":\"native_heap\",\"rate\":4096,\"samples\":2,\"dropped_stacks\":0,\"dropped_live\":0,"
		"\"stacks\":[]}\n",
		"no time");
}

/* --- named stacks: sites, profiles, the diagnosis --- */

/* A session of pid 42 ("/opt/app/leaky") whose records hold this process's maps and three stacks,
 * each innermost first:
 *   1 malloc (libc) <- grow_cache <- app_main: live 1 MB at the reference (2 s), 49 MB at 10 s;
 *   2 operator new (libstdc++) <- parse_request <- app_main: 900 MB allocated, all freed;
 *   3 fopen (libc, not an allocator) <- load_config <- app_main: 2 MB live from the start, no
 *     growth;
 *   5 calloc <- qsort (both libc: nothing of the program's own): 3 MB live from the start;
 *   4 libloopscope.so <- app_main (the agent's hook): 1 MB live at the reference, 9 MB at 10 s;
 * and RSS rising 6 MB/s over the 10 s (memory-growth holds). */
static void leaky_session(void)
{
	uint64_t s1[] = {ret_in(library_fn("libc.so.6", "malloc")), ret_in((void *)grow_cache), ret_in((void *)app_main)};
	uint64_t s2[] = {ret_in(library_fn("libstdc++.so.6", "_Znwm")), ret_in((void *)parse_request),
			 ret_in((void *)app_main)};
	uint64_t s3[] = {ret_in(library_fn("libc.so.6", "fopen")), ret_in((void *)load_config), ret_in((void *)app_main)};
	uint64_t s5[] = {ret_in(library_fn("libc.so.6", "calloc")), ret_in(library_fn("libc.so.6", "qsort"))};
	FILE *f = tmpdir_open("agent-42.jsonl", "w");
	fputs(PROCESS, f);
	write_maps(f);
	native_stack(f, 1, s1, 3);
	native_stack(f, 2, s2, 3);
	native_stack(f, 3, s3, 3);
	uint64_t s4[] = {0x7e0000000100, ret_in((void *)app_main)};
	native_stack(f, 4, s4, 2);
	native_stack(f, 5, s5, 2);
	for (unsigned i = 0; i <= 10; i++) {
		/* stack 1 keeps all it allocates: 1 MB up to 2 s, then 6 MB more a second */
		unsigned long long live1 = (1 + 6ull * (i > 2 ? i - 2 : 0)) * MB, n1 = 10 + 50 * i;
		fprintf(f,
			"{\"type\":\"native_heap\",\"ts\":%llu,\"rate\":524288,\"samples\":%u,\"dropped_stacks\":0,"
			"\"dropped_live\":0,\"stacks\":[[1,%llu,%llu,%llu,%llu,%llu,%llu],[2,%u,%u,%llu,0,0,0],"
			"[4,%u,%u,%llu,%u,%u,%llu]%s]}\n",
			T0 + i * S, 200 * (i + 1), n1, n1 * 100, live1, n1, n1 * 100, live1, 150 * (i + 1), 1000 * (i + 1),
			90ull * MB * (i + 1), i + 1, i + 1, (1 + i) * MB, i + 1, i + 1, (1 + i) * MB,
			i ? "" : ",[3,4,4,2000000,4,4,2000000],[5,6,6,3000000,6,6,3000000]");
	}
	for (unsigned i = 0; i <= 100; i++) /* 0.6 MiB more every 100 ms */
		fprintf(f, "{\"type\":\"proc\",\"ts\":%llu,\"utime\":0,\"stime\":0,\"rss\":%llu,\"run_delay\":0}\n",
			T0 + i * 100 * MS, (unsigned long long)((20 + 0.6 * i) * 1048576));
	fclose(f);
}

/* The self executable's file name, as a site's module reads. */
static const char *self_name(void)
{
	static char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = 0;
	return strrchr(exe, '/') + 1;
}

/* Expected: the sites are the program's own functions, past malloc, operator new and fopen: grew =
 * [grow_cache +48 MB] (the others did not grow; the agent's stack is no site), held = [grow_cache
 * 49 MB, qsort 3 MB (libc: no frame of the program, the innermost named past calloc), load_config
 * 2 MB] (parse_request freed all), grow_cache and load_config in this test binary; the memory-growth finding cites grow_cache and its module with +48.00 MB and advises
 * on it, no tool; summary.json's native_heap carries the same. */
static void test_sites_and_diagnosis(void **state)
{
	char err[256];
	(void)state;
	leaky_session();
	assert_int_equal(analyze_session(dir, &s, &sum, NULL, err, sizeof(err)), 0);
	loaded = true;
	const struct native_heap_summary *n = &sum.native;
	assert_true(n->present);
	assert_int_equal(n->ngrew, 1);
	assert_string_equal(n->grew[0].function, "grow_cache");
	assert_string_equal(n->grew[0].module, self_name());
	assert_int_equal(n->grew[0].growth, 48 * MB);
	assert_int_equal(n->grew[0].live_bytes, 49 * MB);
	assert_int_equal(n->grew[0].stacks, 1);
	assert_int_equal(n->nheld, 3);
	assert_string_equal(n->held[0].function, "grow_cache");
	assert_string_equal(n->held[1].function, "qsort");
	assert_string_equal(n->held[1].module, "libc.so.6");
	assert_string_equal(n->held[2].function, "load_config");
	assert_string_equal(n->held[2].module, self_name());
	assert_int_equal(n->held[2].live_bytes, 2 * MB);
	assert_int_equal(n->alloc_bytes, 1055 * MB);
	assert_int_equal(n->live_bytes, 65 * MB);

	const struct finding *mg = NULL;
	for (unsigned i = 0; i < sum.nfindings; i++)
		if (!strcmp(sum.findings[i].kind, "memory-growth"))
			mg = &sum.findings[i];
	assert_non_null(mg);
	if (!strstr(mg->summary, "those made in grow_cache (") || !strstr(mg->summary, "+48.00 MB since 2.0 s"))
		fail_msg("summary: %s", mg->summary);
	assert_non_null(strstr(mg->advice, "grow_cache"));
	assert_null(strstr(mg->advice, "heaptrack"));
	assert_null(strstr(mg->advice, "valgrind"));
	const cJSON *fn = cJSON_GetObjectItemCaseSensitive(mg->evidence, "native_site_function");
	assert_true(cJSON_IsString(fn) && !strcmp(fn->valuestring, "grow_cache"));

	cJSON *j = summary_to_json(&sum, &s);
	const cJSON *nj = cJSON_GetObjectItemCaseSensitive(j, "native_heap");
	const cJSON *top = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(nj, "top_growth"), 0);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(top, "function")->valuestring, "grow_cache");
	assert_true(cJSON_GetObjectItemCaseSensitive(top, "growth_bytes")->valuedouble == 48e6);
	/* the process's growth: the agent's 8 MB too */
	assert_true(cJSON_GetObjectItemCaseSensitive(nj, "live_growth_bytes")->valuedouble == 56e6);
	assert_true(cJSON_GetObjectItemCaseSensitive(nj, "rate")->valuedouble == 524288);
	cJSON_Delete(j);
}

/* The two profiles written as at the end of a recording. Expected: native-live.folded has the four
 * stacks still holding memory, root first ("leaky;app_main;grow_cache;malloc" or its alias),
 * 49000000, 2000000, 3000000 and the agent's 11000000; native-alloc.folded the five, operator new's 990000000; the report reads
 * them as the heap and alloc profiles in bytes, and refuses a .cpuprofile of one. */
static void test_profiles_written(void **state)
{
	struct analysis_profiles prof = {0};
	struct profile_set ps;
	char err[256], line[1024], note[256];
	const char *failed = "";
	(void)state;
	leaky_session();
	assert_int_equal(analyze_session(dir, &s, &sum, &prof, err, sizeof(err)), 0);
	loaded = true;
	assert_true(prof.native);
	assert_int_equal(analyze_write_profiles(dir, &prof, &failed), 0);
	analysis_profiles_free(&prof);

	FILE *f = tmpdir_open(NATIVE_LIVE_FOLDED, "r");
	unsigned lines = 0;
	bool cache = false, config = false;
	while (fgets(line, sizeof(line), f)) {
		lines++;
		assert_true(!strncmp(line, "leaky;app_main;", 15) || strstr(line, ";qsort;"));
		if (strstr(line, ";grow_cache;") && strstr(line, "malloc") && strstr(line, " 49000000\n"))
			cache = true;
		if (strstr(line, ";load_config;") && strstr(line, " 2000000\n"))
			config = true;
	}
	fclose(f);
	assert_int_equal(lines, 4);
	assert_true(cache && config);
	f = tmpdir_open(NATIVE_ALLOC_FOLDED, "r");
	bool churn = false;
	lines = 0;
	while (fgets(line, sizeof(line), f)) {
		lines++;
		churn = churn || (strstr(line, "leaky;app_main;parse_request;operator new(unsigned long) 990000000\n") != NULL);
	}
	fclose(f);
	assert_int_equal(lines, 5);
	assert_true(churn);

	assert_int_equal(profiles_load(&ps, dir, NULL, err, sizeof(err)), 0);
	assert_true(ps.p[PROFILE_HEAP].present);
	assert_int_equal(ps.p[PROFILE_HEAP].unit, UNIT_BYTES);
	assert_int_equal(ps.p[PROFILE_HEAP].tree.total[0], 65 * MB);
	assert_int_equal(ps.p[PROFILE_ALLOC].tree.total[0], 1055 * MB);
	assert_string_equal(profile_unit_word(ps.p[PROFILE_ALLOC].unit), "bytes");
	profiles_free(&ps);

	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	assert_int_equal(report_export(dir, REPORT_CPUPROFILE, "heap", out, note, sizeof(note), err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "counts bytes"));
	assert_int_equal(report_export(dir, REPORT_SPEEDSCOPE, "alloc", out, note, sizeof(note), err, sizeof(err)), 0);
	fclose(out);
	assert_non_null(strstr(text, "\"unit\":\"bytes\""));
	assert_non_null(strstr(text, "\"endValue\":1055000000"));
	free(text);
}

/* A session whose process sampled but kept nothing: both files written, empty; the profiles present
 * with a total of 0. Without native records: neither file, the profiles absent with the sentence. */
static void test_empty_and_absent_profiles(void **state)
{
	struct analysis_profiles prof = {0};
	struct profile_set ps;
	char err[256];
	const char *failed = "";
	(void)state;
	tmpdir_write("agent-42.jsonl", PROCESS STACK1 HEAP("2000000000", "1", "[1,1,1,100,0,0,0]"));
	assert_int_equal(analyze_session(dir, &s, &sum, &prof, err, sizeof(err)), 0);
	loaded = true;
	assert_int_equal(analyze_write_profiles(dir, &prof, &failed), 0);
	analysis_profiles_free(&prof);
	char path[128];
	snprintf(path, sizeof(path), "%s/" NATIVE_LIVE_FOLDED, dir);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(profiles_load(&ps, dir, NULL, err, sizeof(err)), 0);
	assert_true(ps.p[PROFILE_HEAP].present);
	assert_int_equal(ps.p[PROFILE_HEAP].tree.total[0], 0);
	assert_int_equal(ps.p[PROFILE_ALLOC].tree.total[0], 100);
	profiles_free(&ps);

	tmpdir_write("agent-42.jsonl", PROCESS);
	snprintf(path, sizeof(path), "%s/" NATIVE_LIVE_FOLDED, dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/" NATIVE_ALLOC_FOLDED, dir);
	unlink(path);
	assert_int_equal(profiles_load_session(&ps, dir, err, sizeof(err)), 0);
	assert_false(ps.p[PROFILE_HEAP].present);
	assert_non_null(strstr(ps.p[PROFILE_HEAP].absent, "no native heap samples"));
	profiles_free(&ps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_latest_wins_and_reference, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fork_child, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sites_and_diagnosis, setup, teardown),
		cmocka_unit_test_setup_teardown(test_profiles_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_and_absent_profiles, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
