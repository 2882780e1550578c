/* Perf maps through the symbolizer: V8's names split into tier, function, script and line:col and
 * classified; the later line wins where ranges overlap; malformed lines are skipped and counted; a
 * map that is a symlink or someone else's is refused; lines appended later are picked up. Fixtures
 * are written to temporary files by each test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/symbols/symbolize.h"

/* A process with one anonymous executable mapping, where the fixtures' code lives. */
static const char maps[] = "00400000-00401000 r-xp 00000000 fe:00 1 /nonexistent/prog\n"
			   "7f0000000000-7f0000100000 rwxp 00000000 00:00 0 \n";
#define JIT 0x7f0000000000ull

struct fixture {
	char dir[64], path[96];
	struct symbolizer *s;
	struct proc_syms *p;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	strcpy(f->dir, "/tmp/test_perf_map.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/perf-1.map", f->dir);
	f->s = symbolizer_new();
	f->p = proc_syms_from_maps(f->s, 1, maps, "");
	assert_non_null(f->p);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char link[128];
	snprintf(link, sizeof(link), "%s/link.map", f->dir);
	unlink(link);
	unlink(f->path);
	rmdir(f->dir);
	proc_syms_free(f->p);
	symbolizer_free(f->s);
	free(f);
	return 0;
}

static void write_file(const char *path, const char *mode, const char *text, size_t len)
{
	FILE *fp = fopen(path, mode);
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	fclose(fp);
}

static void write_text(const char *path, const char *mode, const char *text)
{
	write_file(path, mode, text, strlen(text));
}

/* Ranges: old [1000,1100), new [1080,1180) written later; big [2000,3000) then small [2400,2410)
 * inside it; inner [4000,4010) then outer [3f00,4100) over it. Expected: each byte named by the
 * latest line covering it, the offset relative to that entry's start; 1180 named by nothing. */
static void test_later_line_wins(void **state)
{
	struct fixture *f = *state;
	struct frame fr;

	write_text(f->path, "w",
		   "7f0000001000 100 JS:~old /app/a.js:1:1\n"
		   "7f0000001080 100 JS:*new /app/a.js:5:3\n"
		   "7f0000002000 1000 Builtin:Big\n"
		   "7f0000002400 10 JS:^small /app/b.js:2:2\n"
		   "7f0000004000 10 JS:~inner /app/c.js:1:1\n"
		   "7f0000003f00 200 JS:~outer /app/c.js:9:9\n");
	assert_int_equal(proc_syms_load_perf_map(f->p, f->path, getuid()), 6);

	/* address in the JIT region, is_return, name (NULL: none), offset (-1: any) */
	static const struct {
		uint64_t at;
		const char *name;
		long offset;
	} want[] = {
		{0x1010, "old", 0x10},  {0x1090, "new", 0x10},        {0x117f, "new", -1},     {0x1180, NULL, -1},
		{0x2405, "small", -1}, {0x2410, "Builtin:Big", 0x410}, {0x4005, "outer", 0x105},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int rc = proc_syms_lookup(f->p, JIT + want[i].at, false, &fr);
		if (!want[i].name) {
			assert_int_equal(rc, -ENOENT);
			assert_null(fr.name);
			assert_string_equal(fr.module, "[jit]");
			continue;
		}
		assert_int_equal(rc, 0);
		assert_string_equal(fr.name, want[i].name);
		if (want[i].offset >= 0)
			assert_int_equal(fr.offset, want[i].offset);
	}
	assert_int_equal(proc_syms_lookup(f->p, JIT + 0x1090, false, &fr), 0);
	assert_int_equal(fr.tier, '*');

	/* A return address one past the end of an entry is still that entry's call. */
	assert_int_equal(proc_syms_lookup(f->p, JIT + 0x1180, true, &fr), 0);
	assert_string_equal(fr.name, "new");
}

/* Ten malformed lines among two good ones. Expected: 2 loaded, 10 skipped and counted (per
 * process and in the symbolizer), nothing fatal; a last line without its newline waits for the
 * next call, which loads it once it is complete. */
static void test_malformed_lines(void **state)
{
	struct fixture *f = *state;
	struct proc_syms_stats ps;
	struct symbolizer_stats st;
	struct frame fr;
	size_t huge = 300 * 1024;
	char *text = malloc(huge + 4096);
	size_t n = 0;

	assert_non_null(text);
	n += (size_t)sprintf(text + n,
			     "7f0000001000 10 JS:~good /app/a.js:1:1\n"
			     "\n"                                        /* empty */
			     "zzzz 10 JS:~x /a.js:1:1\n"                 /* not hex */
			     "7f0000001000\n"                            /* no size */
			     "7f0000001000 10\n"                         /* no name */
			     "7f0000001000 10 \n"                        /* empty name */
			     "1ffffffffffffffff 10 JS:~big /a.js:1:1\n"  /* start overflows */
			     "fffffffffffffff0 100 JS:~wrap /a.js:1:1\n" /* start + size overflows */
			     "7f0000002000 0 JS:~empty /a.js:1:1\n");    /* size 0 */
	/* A NUL inside a line. */
	text[n++] = '7';
	text[n++] = 0;
	n += (size_t)sprintf(text + n, " 10 JS:~nul\n");
	memset(text + n, 'a', huge); /* a line longer than any kept */
	n += huge;
	n += (size_t)sprintf(text + n,
			     "\n7f0000003000 10 JS:~also_good /app/a.js:2:2\n7f0000004000 10 JS:~partial");
	write_file(f->path, "w", text, n);
	free(text);

	assert_int_equal(proc_syms_load_perf_map(f->p, f->path, getuid()), 2);
	proc_syms_get_stats(f->p, &ps);
	assert_int_equal(ps.perf_map_entries, 2);
	assert_int_equal(ps.perf_map_skipped, 10);
	symbolizer_get_stats(f->s, &st);
	assert_int_equal(st.perf_map_skipped, 10);
	assert_int_equal(proc_syms_lookup(f->p, JIT + 0x3004, false, &fr), 0);
	assert_string_equal(fr.name, "also_good");
	assert_int_equal(proc_syms_lookup(f->p, JIT + 0x4004, false, &fr), -ENOENT);

	write_text(f->path, "a", " /app/p.js:3:3\n");
	assert_int_equal(proc_syms_load_perf_map(f->p, f->path, getuid()), 1);
	assert_int_equal(proc_syms_lookup(f->p, JIT + 0x4004, false, &fr), 0);
	assert_string_equal(fr.name, "partial");
	assert_string_equal(fr.location, "/app/p.js:3:3");
	proc_syms_get_stats(f->p, &ps);
	assert_int_equal(ps.perf_map_entries, 3);
	assert_int_equal(ps.perf_map_skipped, 10);
}

struct name_case {
	const char *text;
	const char *name, *module, *location, *package;
	char tier;
	enum frame_kind kind;
};

/* Names as V8 writes them (seen in node 20's maps) and hostile ones. Expected: the fields below. */
static const struct name_case cases[] = {
	{"JS:*reallySlowChecksum /tmp/lt/block.js:2:28", "reallySlowChecksum", "/tmp/lt/block.js",
	 "/tmp/lt/block.js:2:28", NULL, '*', FRAME_JS_APP},
	{"JS:~ /tmp/lt/block.js:6:23", "(anonymous)", "/tmp/lt/block.js", "/tmp/lt/block.js:6:23", NULL, '~',
	 FRAME_JS_APP},
	{"JS:~listOnTimeout node:internal/timers:524:25", "listOnTimeout", "node:internal/timers",
	 "node:internal/timers:524:25", NULL, '~', FRAME_JS_NODE},
	{"JS:^get y /tmp/lt/block.js:5:44", "get y", "/tmp/lt/block.js", "/tmp/lt/block.js:5:44", NULL, '^',
	 FRAME_JS_APP},
	{"JS:+hot /srv/node_modules/@scope/pkg/index.js:1:27", "hot", "/srv/node_modules/@scope/pkg/index.js",
	 "/srv/node_modules/@scope/pkg/index.js:1:27", "@scope/pkg", '+', FRAME_JS_DEP},
	{"JS:*sum /srv/node_modules/lodash/index.js:1:23", "sum", "/srv/node_modules/lodash/index.js",
	 "/srv/node_modules/lodash/index.js:1:23", "lodash", '*', FRAME_JS_DEP},
	{"JS:~f /srv/node_modules/a/node_modules/b/lib/c.js:3:4", "f",
	 "/srv/node_modules/a/node_modules/b/lib/c.js", "/srv/node_modules/a/node_modules/b/lib/c.js:3:4",
	 "b", '~', FRAME_JS_DEP},
	{"JS:*spacey /tmp/my dir/sp ace.js:1:28", "spacey", "/tmp/my dir/sp ace.js",
	 "/tmp/my dir/sp ace.js:1:28", NULL, '*', FRAME_JS_APP},
	{"JS:*evald :1:15", "evald", "[eval]", "[eval]:1:15", NULL, '*', FRAME_JS_APP},
	{"JS:^vmf vm-script.js:1:13", "vmf", "vm-script.js", "vm-script.js:1:13", NULL, '^', FRAME_JS_APP},
	{"JS:~ file:///srv/x.mjs:3:1", "(anonymous)", "file:///srv/x.mjs", "file:///srv/x.mjs:3:1", NULL, '~',
	 FRAME_JS_APP},
	{"Eval:~ /tmp/lt/more.js:1:1", "(anonymous)", "/tmp/lt/more.js", "/tmp/lt/more.js:1:1", NULL, '~',
	 FRAME_JS_APP},
	{"LazyCompile:*old /x.js:10", "old", "/x.js", "/x.js:10", NULL, '*', FRAME_JS_APP},
	{"JS:wasm-function[0]-0-liftoff", "wasm-function[0]-0-liftoff", "[jit]", NULL, NULL, 0, FRAME_JS_APP},
	{"Builtin:JSEntryTrampoline", "Builtin:JSEntryTrampoline", "[jit]", NULL, NULL, 0, FRAME_V8},
	{"BytecodeHandler:Ldar", "BytecodeHandler:Ldar", "[jit]", NULL, NULL, 0, FRAME_V8},
	{"Stub:js-to-wasm:ii:i", "Stub:js-to-wasm:ii:i", "[jit]", NULL, NULL, 0, FRAME_V8},
	{"RegExp:^((?:@[^/\\\\%]+\\/)?[^./\\\\%][^/\\\\%]*)(\\/.*)?$",
	 "RegExp:^((?:@[^/\\\\%]+\\/)?[^./\\\\%][^/\\\\%]*)(\\/.*)?$", "[jit]", NULL, NULL, 0, FRAME_V8},
	{"RegExp:</script><script>alert(1)</script>;x", "RegExp:</script><script>alert(1)</script>;x",
	 "[jit]", NULL, NULL, 0, FRAME_V8},
	{"py::handler:/srv/app.py", "py::handler:/srv/app.py", "[jit]", NULL, NULL, 0, FRAME_UNKNOWN},
	{"JS:~a;b<i> /x.js:1:1", "a;b<i>", "/x.js", "/x.js:1:1", NULL, '~', FRAME_JS_APP},
	{"JS:~f /srv/node_modules/@scope:1:1", "f", "/srv/node_modules/@scope",
	 "/srv/node_modules/@scope:1:1", NULL, '~', FRAME_JS_DEP},
	{"JS:~ no location", " no location", "[jit]", NULL, NULL, '~', FRAME_JS_APP},
};

static void test_name_parsing(void **state)
{
	struct fixture *f = *state;
	size_t n = sizeof(cases) / sizeof(cases[0]);
	char line[512];

	for (size_t i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "%llx 10 %s\n", JIT + 0x100 * (i + 1), cases[i].text);
		write_text(f->path, i ? "a" : "w", line);
	}
	assert_int_equal(proc_syms_load_perf_map(f->p, f->path, getuid()), n);
	for (size_t i = 0; i < n; i++) {
		const struct name_case *c = &cases[i];
		struct frame fr;
		assert_int_equal(proc_syms_lookup(f->p, JIT + 0x100 * (i + 1) + 4, false, &fr), 0);
		assert_string_equal(fr.name, c->name);
		assert_string_equal(fr.module, c->module);
		if (c->location)
			assert_string_equal(fr.location, c->location);
		else
			assert_null(fr.location);
		if (c->package)
			assert_string_equal(fr.package, c->package);
		else
			assert_null(fr.package);
		assert_int_equal(fr.tier, c->tier);
		assert_int_equal(fr.kind, c->kind);
		assert_int_equal(fr.offset, 4);

		char text[512];
		frame_format(&fr, text, sizeof(text));
		assert_null(strchr(text, ';'));
		assert_null(strchr(text, '\n'));
	}
}

/* The map must be a regular file, not a symlink, owned by the target's user or root. Expected:
 * -EPERM for a symlink (even to a good map), a directory, a file of uid 4242 when the target is
 * uid 1000; accepted for owner 4242, and for a root-owned file whatever the owner. */
static void test_refuses_foreign_or_symlink(void **state)
{
	struct fixture *f = *state;
	char link[128];

	write_text(f->path, "w", "7f0000001000 10 JS:~ok /a.js:1:1\n");
	snprintf(link, sizeof(link), "%s/link.map", f->dir);
	assert_int_equal(symlink(f->path, link), 0);
	assert_int_equal(proc_syms_load_perf_map(f->p, link, getuid()), -EPERM);
	assert_int_equal(proc_syms_load_perf_map(f->p, f->dir, getuid()), -EPERM);
	assert_int_equal(proc_syms_load_perf_map(f->p, "/nonexistent/perf-1.map", getuid()), -ENOENT);
	if (geteuid() != 0) {
		assert_int_equal(proc_syms_load_perf_map(f->p, f->path, getuid() + 1), -EPERM);
		return;
	}
	assert_int_equal(proc_syms_load_perf_map(f->p, f->path, 1000), 1); /* root's file */
	assert_int_equal(chown(f->path, 4242, 4242), 0);
	assert_int_equal(proc_syms_load_perf_map(f->p, f->path, 1000), -EPERM);
	assert_int_equal(proc_syms_load_perf_map(f->p, f->path, 4242), 0); /* nothing new since */
}

/* Following a growing map: 2 lines, then 1 appended (1 loaded); the file replaced by a shorter one
 * starts over: only its lines are known afterwards. */
static void test_follow_and_restart(void **state)
{
	struct fixture *f = *state;
	struct proc_syms_stats ps;
	struct frame fr;

	write_text(f->path, "w", "7f0000001000 10 JS:~a /a.js:1:1\n7f0000002000 10 JS:~b /a.js:2:1\n");
	assert_int_equal(proc_syms_load_perf_map(f->p, f->path, getuid()), 2);
	write_text(f->path, "a", "7f0000003000 10 JS:~c /a.js:3:1\n");
	assert_int_equal(proc_syms_load_perf_map(f->p, f->path, getuid()), 1);
	proc_syms_get_stats(f->p, &ps);
	assert_int_equal(ps.perf_map_entries, 3);

	write_text(f->path, "w", "7f0000004000 10 JS:~d /a.js:4:1\n");
	assert_int_equal(proc_syms_load_perf_map(f->p, f->path, getuid()), 1);
	proc_syms_get_stats(f->p, &ps);
	assert_int_equal(ps.perf_map_entries, 1);
	assert_int_equal(proc_syms_lookup(f->p, JIT + 0x1004, false, &fr), -ENOENT);
	assert_int_equal(proc_syms_lookup(f->p, JIT + 0x4004, false, &fr), 0);
	assert_string_equal(fr.name, "d");
}

/* Code made after the maps snapshot (a new code space): an address in no mapping that the perf map
 * names is a JIT frame, not [unknown]. */
static void test_jit_outside_snapshot(void **state)
{
	struct fixture *f = *state;
	struct frame fr;

	write_text(f->path, "w", "7f1000000000 40 JS:*late /app/late.js:7:7\n");
	assert_int_equal(proc_syms_load_perf_map(f->p, f->path, getuid()), 1);
	assert_int_equal(proc_syms_lookup(f->p, 0x7f1000000010ull, false, &fr), 0);
	assert_string_equal(fr.name, "late");
	assert_int_equal(fr.kind, FRAME_JS_APP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_later_line_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_parsing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_foreign_or_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_follow_and_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jit_outside_snapshot, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
