/* Kernel symbols from kallsyms-format fixtures: text symbols found by address with their module,
 * data symbols and garbage ignored, kptr_restrict's all-zero file reported as -EPERM, kernel
 * addresses handed to a process's lookup go to the kernel's symbols, and the frames of BPF tracing
 * (what a probe's stack of itself starts with) told from the others. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/symbols/symbolize.h"

static void write_fixture(char *path, const char *text)
{
	strcpy(path, "/tmp/test_kallsyms.XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Unsorted, with data symbols, an alias, a module, a BPF program and garbage. Expected: 5 text
 * symbols (six lines, two of them one address); 0xffffffff81000123 is _stext+0x123 in [kernel] (the global
 * alias preferred over the local one at the same address); 0xffffffffc0a01010 is nft_do_chain+0x10 in
 * [nf_tables]; the data symbol does not capture the address after it; below every symbol: unnamed. */
static void test_kallsyms_fixture(void **state)
{
	(void)state;
	char path[64];
	write_fixture(path, "ffffffffc0a01000 t nft_do_chain\t[nf_tables]\n"
			    "ffffffff81000000 t _text_local\n"
			    "ffffffff81000000 T _stext\n"
			    "ffffffff81001000 T schedule\n"
			    "ffffffff81002000 D some_data\n"
			    "ffffffff81002000 W weak_fn\n"
			    "ffffffffa0000000 t bpf_prog_6deef7357e7b4530_sd_fw_ingress\t[bpf]\n"
			    "not a line\n"
			    "ffffffff81003000 T\n"
			    "zzzz T bad_hex\n"
			    "ffffffffc0a02000 t broken_module\t[nf_tables\n");
	struct symbolizer *s = symbolizer_new();
	struct frame f;
	char buf[64];

	assert_int_equal(kernel_syms_load(s, path), 5);
	assert_int_equal(kernel_syms_lookup(s, 0xffffffff81000123ull, &f), 0);
	assert_string_equal(f.name, "_stext");
	assert_string_equal(f.module, "[kernel]");
	assert_int_equal(f.offset, 0x123);
	assert_int_equal(f.kind, FRAME_KERNEL);
	frame_format(&f, buf, sizeof(buf));
	assert_string_equal(buf, "_stext_[k]");

	assert_int_equal(kernel_syms_lookup(s, 0xffffffff81001fffull, &f), 0);
	assert_string_equal(f.name, "schedule");
	assert_int_equal(kernel_syms_lookup(s, 0xffffffff81002004ull, &f), 0);
	assert_string_equal(f.name, "weak_fn");
	assert_int_equal(kernel_syms_lookup(s, 0xffffffffc0a01010ull, &f), 0);
	assert_string_equal(f.name, "nft_do_chain");
	assert_string_equal(f.module, "[nf_tables]");
	assert_int_equal(f.offset, 0x10);
	assert_int_equal(kernel_syms_lookup(s, 0xffffffffa0000040ull, &f), 0);
	assert_string_equal(f.module, "[bpf]");

	assert_int_equal(kernel_syms_lookup(s, 0xffffffff80000000ull, &f), -ENOENT);
	assert_null(f.name);
	assert_string_equal(f.module, "[kernel]");
	assert_int_equal(f.offset, 0xffffffff80000000ull);
	frame_format(&f, buf, sizeof(buf));
	assert_string_equal(buf, "[kernel]+0xffffffff80000000");

	struct symbolizer_stats st;
	symbolizer_get_stats(s, &st);
	assert_int_equal(st.kernel_symbols, 5);
	symbolizer_free(s);
	unlink(path);
}

/* Under kptr_restrict every address reads 0. Expected: -EPERM from the load and from every lookup,
 * which still fills in [kernel] and the address. */
static void test_kallsyms_restricted(void **state)
{
	(void)state;
	char path[64];
	write_fixture(path, "0000000000000000 T _stext\n0000000000000000 T schedule\n"
			    "0000000000000000 t nft_do_chain\t[nf_tables]\n");
	struct symbolizer *s = symbolizer_new();
	struct frame f;

	assert_int_equal(kernel_syms_load(s, path), -EPERM);
	assert_int_equal(kernel_syms_lookup(s, 0xffffffff81000123ull, &f), -EPERM);
	assert_null(f.name);
	assert_string_equal(f.module, "[kernel]");
	assert_int_equal(f.offset, 0xffffffff81000123ull);
	assert_int_equal(f.kind, FRAME_KERNEL);
	symbolizer_free(s);
	unlink(path);
}

/* A process's lookup of an upper-half address is the kernel's (a return address: addr-1). */
static void test_process_lookup_of_kernel_address(void **state)
{
	(void)state;
	char path[64];
	write_fixture(path, "ffffffff81001000 T schedule\nffffffff81002000 T schedule_timeout\n");
	struct symbolizer *s = symbolizer_new();
	struct proc_syms *p =
		proc_syms_from_maps(s, 1, "00400000-00401000 r-xp 00000000 fe:00 1 /bin/x\n", "");
	struct frame f;

	assert_int_equal(kernel_syms_load(s, path), 2);
	assert_int_equal(proc_syms_lookup(p, 0xffffffff81002000ull, true, &f), 0);
	assert_string_equal(f.name, "schedule");
	assert_int_equal(f.offset, 0xfff);
	assert_int_equal(f.kind, FRAME_KERNEL);
	proc_syms_free(p);
	symbolizer_free(s);
	unlink(path);
}

/* The frames a probe's stack of itself starts with (an off-CPU stack taken in sched_switch, innermost
 * first: bpf_prog_..._offcpu_switch, bpf_trace_run4, __traceiter_sched_switch, then __schedule).
 * Expected: those three, __bpf_trace_sched_switch and a trampoline in [bpf] are tracing frames;
 * __schedule, schedule, an unnamed frame and a name that merely holds "bpf" are not. */
static void test_bpf_tracing_frames(void **state)
{
	(void)state;
	char path[64];
	write_fixture(path, "ffffffff81001000 T __schedule\n"
			    "ffffffff81002000 T schedule\n"
			    "ffffffff81003000 T __traceiter_sched_switch\n"
			    "ffffffff81004000 t __bpf_trace_sched_switch\n"
			    "ffffffff81005000 T bpf_trace_run4\n"
			    "ffffffff81006000 T sock_bpf_helper\n"
			    "ffffffffa0000000 t bpf_prog_e4420ef1adbb0fa9_offcpu_switch\t[bpf]\n"
			    "ffffffffa0001000 t bpf_trampoline_6442491234\t[bpf]\n");
	struct symbolizer *s = symbolizer_new();
	static const struct { uint64_t addr; bool tracing; } cases[] = {
		{0xffffffffa0000010ull, true},  {0xffffffffa0001010ull, true},  {0xffffffff81005010ull, true},
		{0xffffffff81004010ull, true},  {0xffffffff81003010ull, true},  {0xffffffff81001010ull, false},
		{0xffffffff81002010ull, false}, {0xffffffff81006010ull, false}, {0xffffffff80000000ull, false},
	};
	struct frame f;

	assert_int_equal(kernel_syms_load(s, path), 8);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kernel_syms_lookup(s, cases[i].addr, &f);
		if (kernel_frame_is_bpf_tracing(&f) != cases[i].tracing)
			fail_msg("%s (%#llx): tracing %d, expected %d", f.name ? f.name : "(unnamed)",
				 (unsigned long long)cases[i].addr, !cases[i].tracing, cases[i].tracing);
	}
	symbolizer_free(s);
	unlink(path);
}

/* The running kernel, when /proc/kallsyms shows addresses: "schedule" is found again by its own
 * address. Skipped under kptr_restrict. */
static void test_real_kallsyms(void **state)
{
	(void)state;
	FILE *fp = fopen("/proc/kallsyms", "r");
	char line[512];
	unsigned long long addr = 0;

	if (!fp)
		skip();
	while (fgets(line, sizeof(line), fp))
		if (strstr(line, " T schedule\n") && sscanf(line, "%llx", &addr) == 1)
			break;
	fclose(fp);
	if (!addr)
		skip();
	struct symbolizer *s = symbolizer_new();
	struct frame f;
	assert_int_equal(kernel_syms_lookup(s, addr + 1, &f), 0);
	assert_string_equal(f.name, "schedule");
	assert_int_equal(f.offset, 1);
	symbolizer_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kallsyms_fixture),
		cmocka_unit_test(test_kallsyms_restricted),
		cmocka_unit_test(test_process_lookup_of_kernel_address),
		cmocka_unit_test(test_bpf_tracing_frames),
		cmocka_unit_test(test_real_kallsyms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
