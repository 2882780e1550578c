/* The symbolizer on native code: this test binary names its own functions through /proc/self/maps,
 * return addresses name the call, libc and the vDSO resolve, node's non-PIE text resolves from maps
 * text alone, addresses outside every mapping still come back as module+offset, and frame_format
 * keeps one frame to one clean line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/symbols/symbolize.h"

#define NODE "/usr/bin/node"

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

__attribute__((noinline, used)) static int symbolize_target_fn(int x)
{
	__asm__ volatile("" ::: "memory");
	return x * 3 + 1;
}

static uint64_t captured_ra;

__attribute__((noinline)) static int record_return_address(int x)
{
	captured_ra = (uint64_t)(uintptr_t)__builtin_return_address(0);
	__asm__ volatile("" ::: "memory");
	return x + 1;
}

__attribute__((noinline, used)) static int symbolize_caller_fn(int x)
{
	int r = record_return_address(x);
	__asm__ volatile("" ::: "memory");
	return r * 2;
}

/* This process seen by a fresh symbolizer: the fixture of the tests that look up their own code. */
struct self {
	struct symbolizer *s;
	struct proc_syms *p;
};

static int self_setup(void **state)
{
	struct self *x = calloc(1, sizeof(*x));
	assert_non_null(x);
	x->s = symbolizer_new();
	x->p = proc_syms_from_pid(x->s, getpid());
	assert_non_null(x->p);
	*state = x;
	return 0;
}

static int self_teardown(void **state)
{
	struct self *x = *state;
	proc_syms_free(x->p);
	symbolizer_free(x->s);
	free(x);
	return 0;
}

/* This binary, a PIE, names its own noinline function from /proc/self/maps: the name from .symtab,
 * the module this executable, kind native; a second process view on the same symbolizer opens no
 * file again. */
static void test_names_own_function(void **state)
{
	struct self *x = *state;
	struct symbolizer *s = x->s;
	struct proc_syms *p = x->p;
	struct frame f;
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	assert_non_null(p);
	assert_true(n > 0);
	exe[n] = 0;
	assert_int_equal(proc_syms_lookup(p, (uint64_t)(uintptr_t)symbolize_target_fn + 2, false, &f), 0);
	assert_string_equal(f.name, "symbolize_target_fn");
	assert_string_equal(f.module, exe);
	assert_int_equal(f.kind, FRAME_NATIVE);
	assert_null(f.location);
	assert_int_equal(f.tier, 0);

	struct symbolizer_stats st1, st2;
	symbolizer_get_stats(s, &st1);
	assert_int_equal(st1.elf_opened, 1);
	struct proc_syms *q = proc_syms_from_pid(s, getpid());
	assert_non_null(q);
	assert_int_equal(proc_syms_lookup(q, (uint64_t)(uintptr_t)symbolize_target_fn, false, &f), 0);
	assert_string_equal(f.name, "symbolize_target_fn");
	symbolizer_get_stats(s, &st2);
	assert_int_equal(st2.elf_opened, 1);
	assert_true(st2.elf_cache_hits > st1.elf_cache_hits);
	proc_syms_free(q);
}

static char *read_self_maps(void)
{
	FILE *fp = fopen("/proc/self/maps", "r");
	char *text = calloc(1, 1 << 20);
	assert_non_null(fp);
	assert_non_null(text);
	size_t n = fread(text, 1, (1 << 20) - 1, fp);
	assert_true(n > 0);
	fclose(fp);
	return text;
}

/* Recorded maps text read with a root where the files are not (a chroot's paths show in full): a
 * path is used as it is only when its device and inode are those of the maps line. Expected: our
 * function named with the true inode; unnamed when the line claims another inode. */
static void test_root_fallback_checks_inode(void **state)
{
	(void)state;
	char *text = read_self_maps();
	uint64_t fn = (uint64_t)(uintptr_t)symbolize_target_fn;
	struct symbolizer *s = symbolizer_new();
	struct proc_syms *p = proc_syms_from_maps(s, getpid(), text, "/nonexistent-root");
	struct frame f;

	assert_non_null(p);
	assert_int_equal(proc_syms_lookup(p, fn, false, &f), 0);
	assert_string_equal(f.name, "symbolize_target_fn");
	proc_syms_free(p);

	/* The line holding fn, with inode 1. */
	char line[4200] = "", path[4096] = "", word[4096];
	unsigned long long lo, hi, off, ino;
	unsigned maj, min;
	char perms[5];
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
		if (sscanf(l, "%llx-%llx %4s %llx %x:%x %llu %4095s", &lo, &hi, perms, &off, &maj, &min, &ino,
			   word) != 8 || fn < lo || fn >= hi)
			continue;
		strcpy(path, word);
		snprintf(line, sizeof(line), "%llx-%llx %s %llx %x:%x 1 %s\n", lo, hi, perms, off, maj, min,
			 path);
	}
	assert_true(line[0] != 0);
	p = proc_syms_from_maps(s, getpid(), line, "/nonexistent-root");
	assert_non_null(p);
	assert_int_equal(proc_syms_lookup(p, fn, false, &f), -ENOENT);
	assert_null(f.name);
	assert_string_equal(f.module, path);
	proc_syms_free(p);
	symbolizer_free(s);
	free(text);
}

/* A return address points after the call: with is_return it names the caller (addr-1, with the
 * offset of addr-1). A function's first byte as a return address belongs to whatever precedes it. */
static void test_return_address(void **state)
{
	struct self *x = *state;
	struct proc_syms *p = x->p;
	struct frame f, g;
	uint64_t fn = (uint64_t)(uintptr_t)symbolize_target_fn;

	assert_int_equal(symbolize_caller_fn(1), 4);
	assert_int_equal(proc_syms_lookup(p, captured_ra, true, &f), 0);
	assert_string_equal(f.name, "symbolize_caller_fn");
	assert_int_equal(proc_syms_lookup(p, captured_ra - 1, false, &g), 0);
	assert_int_equal(f.offset, g.offset);

	assert_int_equal(proc_syms_lookup(p, fn, false, &f), 0);
	assert_string_equal(f.name, "symbolize_target_fn");
	proc_syms_lookup(p, fn, true, &g);
	assert_true(g.name == NULL || strcmp(g.name, "symbolize_target_fn") != 0);
	assert_int_equal(g.offset + 1, f.offset);
}

/* The GNU build-id of the loaded object whose base is BASE, in hex, from its PT_NOTE segments in
 * memory (the dynamic loader's view, not the file the symbolizer reads). */
struct note_search {
	uintptr_t base;
	char hex[129];
};

static int find_build_id(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct note_search *ns = arg;
	(void)size;
	if (info->dlpi_addr != ns->base)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_NOTE)
			continue;
		const unsigned char *p = (const void *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *nh = (const void *)p;
			const unsigned char *desc = p + sizeof(*nh) + ((nh->n_namesz + 3) & ~3u);
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && !memcmp(p + sizeof(*nh), "GNU", 4) &&
			    nh->n_descsz <= 64) {
				for (unsigned k = 0; k < nh->n_descsz; k++)
					snprintf(ns->hex + 2 * k, 3, "%02x", desc[k]);
				return 1;
			}
			p = desc + ((nh->n_descsz + 3) & ~3u);
		}
	}
	return 0;
}

/* A shared library: getpid in libc, under its own name (not the __getpid alias), kind native, the
 * offset its ELF address, its build-id the one the loader's copy of libc holds. libc6-dbg's separate
 * debug file, when installed, is read as well. */
static void test_shared_library(void **state)
{
	struct self *x = *state;
	struct proc_syms *p = x->p;
	struct frame f;
	Dl_info info;
	uint64_t addr = (uint64_t)(uintptr_t)dlsym(RTLD_DEFAULT, "getpid");

	assert_true(addr != 0);
	assert_int_equal(proc_syms_lookup(p, addr, false, &f), 0);
	assert_string_equal(f.name, "getpid");
	assert_string_equal(base(f.module), "libc.so.6");
	assert_int_equal(f.kind, FRAME_NATIVE);
	assert_true(dladdr((void *)(uintptr_t)addr, &info) != 0);
	assert_int_equal(f.offset, addr - (uint64_t)(uintptr_t)info.dli_fbase);
	struct note_search ns = {(uintptr_t)info.dli_fbase, ""};
	assert_int_equal(dl_iterate_phdr(find_build_id, &ns), 1);
	assert_true(strlen(ns.hex) >= 16);
	assert_non_null(f.build_id);
	assert_string_equal(f.build_id, ns.hex);
}

/* The vDSO, through the image this process has: clock_gettime's vDSO entry is named. */
static void test_vdso(void **state)
{
	(void)state;
	void *h = dlopen("linux-vdso.so.1", RTLD_LAZY | RTLD_NOLOAD);
	void *fn = h ? dlsym(h, "__vdso_clock_gettime") : NULL;
	if (!fn)
		skip();
	struct symbolizer *s = symbolizer_new();
	struct proc_syms *p = proc_syms_from_pid(s, getpid());
	struct frame f;

	assert_int_equal(proc_syms_lookup(p, (uint64_t)(uintptr_t)fn, false, &f), 0);
	assert_string_equal(f.module, "[vdso]");
	assert_non_null(strstr(f.name, "clock_gettime"));
	proc_syms_free(p);
	symbolizer_free(s);
	dlclose(h);
}

static void copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	char buf[65536];
	size_t n;

	assert_non_null(in);
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
}

/* A library deleted after it was loaded (rebuilt, upgraded): its maps line says "(deleted)", so its
 * path is not trusted, but a live process's /proc/PID/map_files still opens the mapped file.
 * Workload: a copy of libcmocka, dlopen'ed then unlinked. Expected: mock_assert named in the copy,
 * module the copy's path; the original libcmocka, same build-id, is then not parsed again. */
static void test_deleted_library(void **state)
{
	(void)state;
	Dl_info info;
	char copy[] = "/tmp/test_symbolize.XXXXXX";
	void *orig = dlsym(RTLD_DEFAULT, "mock_assert");

	if (geteuid() != 0 || !orig || !dladdr(orig, &info))
		skip(); /* map_files needs CAP_SYS_ADMIN */
	int fd = mkstemp(copy);
	assert_true(fd >= 0);
	close(fd);
	copy_file(info.dli_fname, copy);
	void *h = dlopen(copy, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(h);
	void *fn = dlsym(h, "mock_assert");
	assert_non_null(fn);
	assert_true(fn != orig);
	unlink(copy);

	struct symbolizer *s = symbolizer_new();
	struct proc_syms *p = proc_syms_from_pid(s, getpid());
	struct symbolizer_stats st1, st2;
	struct frame f;
	symbolizer_get_stats(s, &st1);
	assert_int_equal(st1.elf_opened, 1); /* the deleted copy, read at once */
	assert_int_equal(proc_syms_lookup(p, (uint64_t)(uintptr_t)fn, false, &f), 0);
	assert_string_equal(f.name, "mock_assert");
	assert_string_equal(f.module, copy);
	assert_int_equal(proc_syms_lookup(p, (uint64_t)(uintptr_t)orig, false, &f), 0);
	assert_string_equal(f.name, "mock_assert");
	char *real = realpath(info.dli_fname, NULL);
	assert_non_null(real);
	assert_string_equal(f.module, real); /* maps shows the path with symlinks resolved */
	free(real);
	symbolizer_get_stats(s, &st2);
	assert_int_equal(st2.elf_opened, 1);
	assert_true(st2.elf_cache_hits > st1.elf_cache_hits);
	proc_syms_free(p);
	symbolizer_free(s);
	dlclose(h);
}

/* Oracle for the node test, independent of the code under test: a .dynsym value and the PT_LOAD
 * headers turned into the maps lines the kernel would show for a non-PIE executable. */
static uint64_t dynsym_value(Elf *elf, const char *name)
{
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *n;
			if (gelf_getsym(d, (int)i, &sym) && sym.st_shndx != SHN_UNDEF &&
			    (n = elf_strptr(elf, sh.sh_link, sym.st_name)) && strcmp(n, name) == 0)
				return sym.st_value;
		}
	}
	return 0;
}

static size_t node_maps_text(Elf *elf, char *buf, size_t len)
{
	size_t nph = 0, n = 0;
	elf_getphdrnum(elf, &nph);
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		uint64_t start = ph.p_vaddr & ~0xfffull, end = (ph.p_vaddr + ph.p_filesz + 0xfff) & ~0xfffull;
		n += (size_t)snprintf(buf + n, len - n, "%08llx-%08llx %c%c%cp %08llx fe:00 247823      %s\n",
				      (unsigned long long)start, (unsigned long long)end,
				      ph.p_flags & PF_R ? 'r' : '-', ph.p_flags & PF_W ? 'w' : '-',
				      ph.p_flags & PF_X ? 'x' : '-',
				      (unsigned long long)(ph.p_offset & ~0xfffull), NODE);
	}
	n += (size_t)snprintf(
		buf + n, len - n,
		"1f11a000-1f3dd000 rw-p 00000000 00:00 0                                  [heap]\n"
		"24826c40000-24826c80000 rwxp 00000000 00:00 0 \n"
		"7f6e8c000000-7f6e8c021000 rw-p 00000000 00:00 0 \n"
		"7ffc1e0f3000-7ffc1e114000 rw-p 00000000 00:00 0                          [stack]\n");
	return n;
}

/* Maps text of node (not PIE: text at its link address, 0x400000 up). Expected: an address 0x10 into
 * uv_default_loop is named uv_default_loop in /usr/bin/node at offset = the address itself, kind V8
 * (node holds V8: its C++ and libuv are the runtime); a C++ function comes back demangled. */
static void test_node_non_pie(void **state)
{
	(void)state;
	int fd = open(NODE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		skip();
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	assert_non_null(elf);
	GElf_Ehdr eh;
	assert_non_null(gelf_getehdr(elf, &eh));
	if (eh.e_type != ET_EXEC) {
		elf_end(elf);
		close(fd);
		skip(); /* a PIE node: this test is about the non-PIE layout */
	}
	uint64_t loop = dynsym_value(elf, "uv_default_loop");
	uint64_t getcur = dynsym_value(elf, "_ZN2v87Isolate10GetCurrentEv");
	static char text[8192];
	node_maps_text(elf, text, sizeof(text));
	elf_end(elf);
	close(fd);
	assert_true(loop != 0);

	struct symbolizer *s = symbolizer_new();
	struct proc_syms *p = proc_syms_from_maps(s, 4242, text, "");
	struct frame f;
	assert_non_null(p);
	assert_int_equal(proc_syms_lookup(p, loop + 0x10, false, &f), 0);
	assert_string_equal(f.name, "uv_default_loop");
	assert_string_equal(f.module, NODE);
	assert_int_equal(f.offset, loop + 0x10);
	assert_int_equal(f.kind, FRAME_V8);
	if (getcur) {
		assert_int_equal(proc_syms_lookup(p, getcur + 1, false, &f), 0);
		assert_string_equal(f.name, "v8::Isolate::GetCurrent()");
	}
	/* Anonymous executable memory without a perf map: [jit], absolute offset. */
	assert_int_equal(proc_syms_lookup(p, 0x24826c40100ull, false, &f), -ENOENT);
	assert_null(f.name);
	assert_string_equal(f.module, "[jit]");
	assert_int_equal(f.offset, 0x24826c40100ull);
	assert_int_equal(proc_syms_lookup(p, 0x7f6e8c000100ull, false, &f), -ENOENT);
	assert_string_equal(f.module, "[anon]");
	proc_syms_free(p);
	symbolizer_free(s);
}

/* An address in no mapping: -ENOENT, name NULL, module [unknown], offset the address; formatted as
 * "[unknown]+0x...". A file that cannot be read keeps its path and file offset. */
static void test_unknown_address(void **state)
{
	(void)state;
	const char *text =
		"00400000-00401000 r-xp 00000000 fe:00 1 /nonexistent/prog\n"
		"7f0000000000-7f0000010000 r-xp 00002000 fe:00 2 /nonexistent/lib dir/libx.so (deleted)\n";
	struct symbolizer *s = symbolizer_new();
	struct proc_syms *p = proc_syms_from_maps(s, 1, text, NULL);
	struct frame f;
	char buf[64];

	assert_non_null(p);
	assert_int_equal(proc_syms_lookup(p, 0x1234, false, &f), -ENOENT);
	assert_null(f.name);
	assert_string_equal(f.module, "[unknown]");
	assert_int_equal(f.offset, 0x1234);
	assert_int_equal(f.kind, FRAME_UNKNOWN);
	assert_int_equal(frame_format(&f, buf, sizeof(buf)), strlen("[unknown]+0x1234"));
	assert_string_equal(buf, "[unknown]+0x1234");

	assert_int_equal(proc_syms_lookup(p, 0x400010, false, &f), -ENOENT);
	assert_string_equal(f.module, "/nonexistent/prog");
	assert_int_equal(f.offset, 0x10);
	assert_int_equal(proc_syms_lookup(p, 0x7f0000000020, false, &f), -ENOENT);
	assert_string_equal(f.module, "/nonexistent/lib dir/libx.so");
	assert_int_equal(f.offset, 0x2020);
	frame_format(&f, buf, sizeof(buf));
	assert_string_equal(buf, "libx.so+0x2020");
	proc_syms_free(p);
	symbolizer_free(s);
}

/* Maps text is data: malformed lines are skipped and counted, the good ones kept; text with no
 * mapping at all is refused (NULL, EINVAL). */
static void test_maps_garbage(void **state)
{
	(void)state;
	const char *text = "garbage\n"
			   "00400000-00300000 r-xp 00000000 fe:00 1 /backwards\n"
			   "ffffffffffffffffff-1 r-xp 00000000 fe:00 1 /overflow\n"
			   "00400000-00401000 r-xp\n"
			   "00400000-00401000 rzxp 00000000 fe:00 1 /bad-perms\n"
			   "00400000-00401000 r-xp 00000000 fe:00 x /bad-inode\n"
			   "\n"
			   "00500000-00501000 r-xp 00000000 fe:00 7 /ok;<script>\r\n"
			   "00600000-00601000 r-xp 00000000 00:00 0";
	struct symbolizer *s = symbolizer_new();
	struct proc_syms *p = proc_syms_from_maps(s, 1, text, "");
	struct proc_syms_stats ps;
	struct frame f;

	assert_non_null(p);
	proc_syms_get_stats(p, &ps);
	assert_int_equal(ps.mappings, 2);
	assert_int_equal(ps.maps_skipped, 6);
	proc_syms_lookup(p, 0x500000, false, &f);
	assert_string_equal(f.module, "/ok;<script>");
	proc_syms_lookup(p, 0x600000, false, &f);
	assert_string_equal(f.module, "[jit]");
	proc_syms_free(p);

	errno = 0;
	assert_null(proc_syms_from_maps(s, 1, "not maps\nat all\n", ""));
	assert_int_equal(errno, EINVAL);
	assert_null(proc_syms_from_maps(s, 1, "", ""));
	assert_null(proc_syms_from_maps(s, 1, NULL, ""));
	symbolizer_free(s);
}

/* frame_format: the documented shapes; ';' and newlines never come out; cut short like snprintf,
 * never inside a UTF-8 character. */
static void test_frame_format(void **state)
{
	(void)state;
	char buf[128];
	struct frame js = {.name = "reallySlowChecksum",
			   .module = "/app/x.js",
			   .location = "/app/x.js:2:28",
			   .tier = '*',
			   .kind = FRAME_JS_APP};
	assert_int_equal(frame_format(&js, buf, sizeof(buf)),
			 strlen("reallySlowChecksum /app/x.js:2:28 [*]"));
	assert_string_equal(buf, "reallySlowChecksum /app/x.js:2:28 [*]");
	frame_format_flags(&js, FRAME_FORMAT_NO_TIER, buf, sizeof(buf));
	assert_string_equal(buf, "reallySlowChecksum /app/x.js:2:28");

	struct frame k = {.name = "schedule", .module = "[kernel]", .kind = FRAME_KERNEL};
	frame_format(&k, buf, sizeof(buf));
	assert_string_equal(buf, "schedule_[k]");

	struct frame native = {.name = "uv_run", .module = "/usr/lib/libuv.so.1", .kind = FRAME_NATIVE};
	frame_format(&native, buf, sizeof(buf));
	assert_string_equal(buf, "uv_run");

	struct frame hostile = {.name = "a;b\nc\r</script>", .module = "[jit]", .kind = FRAME_V8};
	frame_format(&hostile, buf, sizeof(buf));
	assert_string_equal(buf, "a_b c </script>");

	/* "é" is two bytes: a 3-byte buffer holds "a" and not half of it. */
	struct frame utf = {.name = "a\xc3\xa9z", .kind = FRAME_NATIVE};
	assert_int_equal(frame_format(&utf, buf, 3), 4);
	assert_string_equal(buf, "a");
	assert_int_equal(frame_format(&utf, buf, 4), 4);
	assert_string_equal(buf, "a\xc3\xa9");
	assert_int_equal(frame_format(&utf, NULL, 0), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_names_own_function, self_setup, self_teardown),
		cmocka_unit_test(test_root_fallback_checks_inode),
		cmocka_unit_test_setup_teardown(test_return_address, self_setup, self_teardown),
		cmocka_unit_test_setup_teardown(test_shared_library, self_setup, self_teardown),
		cmocka_unit_test(test_vdso),
		cmocka_unit_test(test_deleted_library),
		cmocka_unit_test(test_node_non_pie),
		cmocka_unit_test(test_unknown_address),
		cmocka_unit_test(test_maps_garbage),
		cmocka_unit_test(test_frame_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
