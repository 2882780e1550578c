# loopscope — build, test, demo, benchmark, install.
#
#   make            build build/bin/loopscope, build/lib/libloopscope.so, BPF objects and skeletons
#   make check      build and run every test (unit tests under ASan+UBSan, integration, compatibility)
#   make compat     the compatibility suite alone: real servers and runtimes with and without the agent
#   make libuv-suite  libuv's own test suite plainly and under the agent (LIBUV_SRC=tree, else apt-get source)
#   make demo       profile the bundled demo server under load and write a report
#   make bench      overhead and speed benchmarks (results: docs/performance.md)
#   make lint       cppcheck over the C sources
#   make fuzz       the libFuzzer targets, FUZZ_SECONDS each (default 30; FUZZ_TARGET=records runs one)
#   make install PREFIX=/usr/local
#   make clean
#
# Missing Debian packages are installed by mk/deps.sh (the one list of them).

PREFIX    ?= /usr/local
BUILD     ?= build
CC        ?= cc
CLANG     ?= clang
BPFTOOL   ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
LLVM_STRIP ?= llvm-strip
V         ?= @

PKGS      := libbpf libelf libuv libcjson libunwind
WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CFLAGS    ?= -O2 -g
BASEFLAGS := -std=gnu11 -D_GNU_SOURCE -fno-omit-frame-pointer $(WARN) -MMD -MP
INCLUDES   = -I. -Iprobes -I$(BUILD)/bpf
SANITIZE  := -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all

# pkg-config runs only once the packages are there (mk/deps.sh runs first).
pc_cflags = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
pc_libs   = $(shell pkg-config --libs libbpf libelf libuv libcjson 2>/dev/null)

# ---- sources --------------------------------------------------------------------------------
AGENT_SRCS     := $(wildcard agent/*.c)
# Pure agent pieces (no interposers, no settings, no globals) that the collector and unit tests
# share: the histogram layout, and the loop model (agent/loop_model.h: the loop probe computes the
# agent's figures with it, from its own parameters).
AGENT_SHARED   := agent/histogram.c agent/loop_stats.c
CORE_SRCS      := $(wildcard collector/*/*.c) $(wildcard reports/*.c) $(AGENT_SHARED)
CLI_SRCS       := $(wildcard cli/*.c)
BPF_SRCS       := $(wildcard probes/*.bpf.c)
UNIT_SRCS      := $(wildcard tests/unit/test_*.c)
WORKLOAD_SRCS  := $(wildcard tests/workloads/*.c)
HAZARD_SRCS    := $(wildcard tests/compat/hazards/*.c)
REPORT_ASSETS  := $(wildcard reports/assets/*)

AGENT_OBJS   := $(AGENT_SRCS:%.c=$(BUILD)/agent-obj/%.o)
HEAP_SRCS    := $(wildcard agent/heap/*.c)
HEAP_OBJS    := $(HEAP_SRCS:%.c=$(BUILD)/heap-obj/%.o)
CORE_OBJS    := $(CORE_SRCS:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/embedded.o
CLI_OBJS     := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
ASAN_OBJS    := $(CORE_SRCS:%.c=$(BUILD)/asan/%.o) $(BUILD)/asan/embedded.o
BPF_OBJS     := $(BPF_SRCS:probes/%.bpf.c=$(BUILD)/bpf/%.bpf.o)
BPF_SKELS    := $(BPF_SRCS:probes/%.bpf.c=$(BUILD)/bpf/%.skel.h)
UNIT_BINS    := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%)
WORKLOADS    := $(WORKLOAD_SRCS:tests/workloads/%.c=$(BUILD)/workloads/%)
HAZARDS      := $(HAZARD_SRCS:tests/compat/hazards/%.c=$(BUILD)/compat/%)
COMPAT_TESTS := $(sort $(filter-out tests/compat/lib.sh,$(wildcard tests/compat/*.sh)))

LOOPSCOPE := $(BUILD)/bin/loopscope
AGENT_SO  := $(BUILD)/lib/libloopscope.so
HEAP_SO   := $(BUILD)/lib/libloopscope-heap.so

.SECONDARY:
.PHONY: libuv-suite all deps check compat unit integration demo bench install clean workloads hazards help lint fuzz
.DEFAULT_GOAL := all

all: $(LOOPSCOPE) $(AGENT_SO) $(HEAP_SO) $(BPF_OBJS) $(BPF_SKELS)

help:
	@sed -n '3,9p' Makefile | sed 's/^# //'

# Runs once per make invocation; every compile waits for it (order-only).
deps:
	$(V)mk/deps.sh

# ---- BPF: vmlinux.h from the running kernel, objects, skeletons --------------------------------
$(BUILD)/bpf/vmlinux.h: | deps
	$(V)mkdir -p $(@D)
	$(V)test -r /sys/kernel/btf/vmlinux || { echo "loopscope: this kernel has no BTF (/sys/kernel/btf/vmlinux): CO-RE probes cannot be built" >&2; exit 1; }
	$(V)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/bpf/%.bpf.o: probes/%.bpf.c $(BUILD)/bpf/vmlinux.h $(wildcard probes/*.h) | deps
	@echo "  BPF     $@"
	$(V)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror -I$(BUILD)/bpf -Iprobes -c $< -o $@.tmp
	$(V)$(LLVM_STRIP) -g $@.tmp && mv $@.tmp $@

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	@echo "  SKEL    $@"
	$(V)$(BPFTOOL) gen skeleton $< name $*_bpf > $@.tmp && mv $@.tmp $@

# ---- the agent: a preload library that exports only its interposers ----------------------------
# Link-time optimization lets a loop thread's poll path (epoll_hooks -> loop_registry -> loop_stats ->
# histogram) compile into one function: half its instructions were calls' entries and exits
# (docs/performance.md, "the agent's poll path").
AGENT_LTO := -flto=auto
$(BUILD)/agent-obj/%.o: %.c | deps
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(V)$(CC) $(CFLAGS) $(BASEFLAGS) $(AGENT_LTO) -fPIC -fvisibility=hidden -ftls-model=initial-exec $(INCLUDES) -c $< -o $@

$(AGENT_SO): $(AGENT_OBJS) agent/exports.map
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(V)$(CC) $(CFLAGS) $(AGENT_LTO) $(WARN) -shared -o $@ $(AGENT_OBJS) -Wl,--version-script=agent/exports.map -Wl,-z,now -Wl,-z,relro \
		-lelf -ldl -lpthread

# ---- the native heap sampler: a preload library of its own (docs/native-heap.md) -------------------
# It defines malloc & co., so it is loaded only on request (run --heap); -fno-builtin: its own code
# must not be turned into calls of the functions it defines.
$(BUILD)/heap-obj/%.o: %.c | deps
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(V)$(CC) $(CFLAGS) $(BASEFLAGS) -fno-builtin -fPIC -fvisibility=hidden -ftls-model=initial-exec $(INCLUDES) -c $< -o $@

$(HEAP_SO): $(HEAP_OBJS) agent/heap/exports.map
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(V)$(CC) $(CFLAGS) $(WARN) -shared -o $@ $(HEAP_OBJS) -Wl,--version-script=agent/heap/exports.map -Wl,-z,now -Wl,-z,relro \
		-ldl -lm -lpthread

# ---- the loopscope command ------------------------------------------------------------------
$(BUILD)/obj/%.o: %.c | deps $(BPF_SKELS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(V)$(CC) $(CFLAGS) $(BASEFLAGS) $(INCLUDES) $(pc_cflags) -c $< -o $@

# Report assets (viewer JS/CSS, gnuplot scripts) are compiled into the binary.
$(BUILD)/gen/embedded.c: $(REPORT_ASSETS) mk/embed.sh
	@mkdir -p $(@D)
	$(V)mk/embed.sh $(REPORT_ASSETS) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/embedded.o: $(BUILD)/gen/embedded.c
	@mkdir -p $(@D)
	$(V)$(CC) $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror -Ireports -c $< -o $@

$(BUILD)/asan/embedded.o: $(BUILD)/gen/embedded.c
	@mkdir -p $(@D)
	$(V)$(CC) -O1 -g $(SANITIZE) -std=gnu11 -Wall -Wextra -Werror -Ireports -c $< -o $@

$(LOOPSCOPE): $(CLI_OBJS) $(CORE_OBJS)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(V)$(CC) -o $@ $(CLI_OBJS) $(CORE_OBJS) $(pc_libs) -lstdc++ -lm -lpthread

# ---- unit tests: cmocka, under AddressSanitizer and UndefinedBehaviorSanitizer ---------------
$(BUILD)/asan/%.o: %.c | deps $(BPF_SKELS)
	@mkdir -p $(@D)
	@echo "  CC+SAN  $@"
	$(V)$(CC) -O1 -g $(SANITIZE) $(BASEFLAGS) $(INCLUDES) $(pc_cflags) -c $< -o $@

$(BUILD)/asan/libcore.a: $(ASAN_OBJS)
	$(V)rm -f $@ && ar rcs $@ $^

$(BUILD)/unit/%: $(BUILD)/asan/tests/unit/%.o $(BUILD)/asan/libcore.a
	@mkdir -p $(@D)
	@echo "  LD+SAN  $@"
	$(V)$(CC) $(SANITIZE) -o $@ $< $(BUILD)/asan/libcore.a $(pc_libs) -lcmocka -lstdc++ -lm -lpthread

# The heap sampler's tables and estimates, without its interposers.
HEAP_UNIT_OBJS := $(filter-out %/hooks.o,$(HEAP_SRCS:%.c=$(BUILD)/asan/%.o))
$(BUILD)/unit/test_heap_tables: $(BUILD)/asan/tests/unit/test_heap_tables.o $(HEAP_UNIT_OBJS)
	@mkdir -p $(@D)
	@echo "  LD+SAN  $@"
	$(V)$(CC) $(SANITIZE) -o $@ $^ -lcmocka -ldl -lm -lpthread

# The command itself under the sanitizers, for tests/integration/cli_sanitized.sh.
ASAN_CLI := $(BUILD)/asan/bin/loopscope
$(ASAN_CLI): $(CLI_SRCS:%.c=$(BUILD)/asan/%.o) $(BUILD)/asan/libcore.a
	@mkdir -p $(@D)
	@echo "  LD+SAN  $@"
	$(V)$(CC) $(SANITIZE) -o $@ $(CLI_SRCS:%.c=$(BUILD)/asan/%.o) $(BUILD)/asan/libcore.a $(pc_libs) -lstdc++ -lm -lpthread

# ---- workloads with known behaviour (tests, demo, benchmarks) --------------------------------
# With frame pointers, but uvleak: the native heap profile must name its functions by DWARF
# (.eh_frame) unwinding alone, as in a distribution's binaries.
WORKLOAD_FRAMES := -fno-omit-frame-pointer
$(BUILD)/workloads/uvleak: WORKLOAD_FRAMES := -fomit-frame-pointer
$(BUILD)/workloads/%: tests/workloads/%.c tests/workloads/workload.h | deps
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(V)$(CC) -std=gnu11 -D_GNU_SOURCE -O2 -g $(WORKLOAD_FRAMES) -Wall -Wextra -Werror \
		$$(pkg-config --cflags libuv) -rdynamic -o $@ $< -Wl,--as-needed $$(pkg-config --libs libuv) -lpthread -lm

workloads: $(WORKLOADS)

# ---- compatibility: C programs that each do one thing an agent could disturb ---------------------
$(BUILD)/compat/%: tests/compat/hazards/%.c tests/compat/hazards/hazard.h | deps
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(V)$(CC) -std=gnu11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror $$(pkg-config --cflags libuv) \
		-o $@ $< $$(pkg-config --libs libuv) -ldl -lpthread

hazards: $(HAZARDS)

# ---- check, demo, bench ---------------------------------------------------------------------
unit: $(UNIT_BINS) $(ASAN_CLI)

check: all unit workloads hazards
	$(V)BUILD=$(BUILD) tests/run.sh $(sort $(wildcard tests/static/*.sh)) $(UNIT_BINS) $(sort $(wildcard tests/integration/*.sh)) $(COMPAT_TESTS)

# The compatibility suite alone: real servers and runtimes, and the hazard programs, each with and
# without the agent (docs/agent.md says what it guarantees). Also part of make check.
compat: all workloads hazards
	$(V)BUILD=$(BUILD) tests/run.sh $(COMPAT_TESTS)

# Run one integration test: make integration T=name
integration: all workloads
	$(V)BUILD=$(BUILD) tests/run.sh tests/integration/$(T).sh

# libuv's own tests against the system's libuv1, plainly and under the agent (3-5 minutes; not in
# check: the first run fetches libuv1's Debian source).
libuv-suite: all
	$(V)BUILD=$(BUILD) tests/libuv-suite.sh $(LIBUV_SRC)

demo: all workloads
	$(V)BUILD=$(BUILD) tests/demo.sh

bench: all workloads
	$(V)BUILD=$(BUILD) tests/bench/run.sh

lint: | deps
	$(V)cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --std=c11 -D_GNU_SOURCE \
		-I. -I$(BUILD)/bpf --include=mk/cppcheck.h --suppress=missingIncludeSystem --inline-suppr \
		agent collector cli reports

# ---- fuzz: a libFuzzer target (clang) per reader of files other processes write -------------------
# The readers (every core source but the recording's) built again for libFuzzer into one archive;
# each target drives its reader and what callers do with the result (tests/fuzz/README.md).
# make fuzz runs each target FUZZ_SECONDS from its checked-in corpus (tests/fuzz/corpus/NAME, copied
# into $(BUILD)/fuzz/corpus-NAME); FUZZ_TARGET=NAME runs one.
FUZZ_TARGETS := records frames folded samples perf_map summary load_output heap
FUZZ_TARGET  ?= $(FUZZ_TARGETS)
FUZZ_SECONDS ?= 30
FUZZ_FLAGS   := -g -O1 -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all
FUZZ_SRCS    := $(filter-out collector/record/%,$(CORE_SRCS))
FUZZ_OBJS    := $(FUZZ_SRCS:%.c=$(BUILD)/fuzz/obj/%.o) $(BUILD)/fuzz/obj/embedded.o

$(BUILD)/fuzz/obj/%.o: %.c | deps
	@mkdir -p $(@D)
	@echo "  CC+FUZZ $@"
	$(V)$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(BASEFLAGS) $(INCLUDES) $(pc_cflags) -c $< -o $@

$(BUILD)/fuzz/obj/embedded.o: $(BUILD)/gen/embedded.c
	@mkdir -p $(@D)
	$(V)$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -std=gnu11 -Ireports -c $< -o $@

$(BUILD)/fuzz/libreaders.a: $(FUZZ_OBJS)
	$(V)rm -f $@ && ar rcs $@ $^

$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/obj/tests/fuzz/fuzz_%.o $(BUILD)/fuzz/libreaders.a
	@echo "  LD+FUZZ $@"
	$(V)$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/fuzz/libreaders.a $(pc_libs) -lstdc++ -lm -lpthread

fuzz: $(FUZZ_TARGET:%=$(BUILD)/fuzz/fuzz_%)
	$(V)BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(FUZZ_TARGET)

# ---- install, clean -------------------------------------------------------------------------
install: $(LOOPSCOPE) $(AGENT_SO) $(HEAP_SO)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib
	install -m 0755 $(LOOPSCOPE) $(DESTDIR)$(PREFIX)/bin/loopscope
	install -m 0755 $(AGENT_SO) $(DESTDIR)$(PREFIX)/lib/libloopscope.so
	install -m 0755 $(HEAP_SO) $(DESTDIR)$(PREFIX)/lib/libloopscope-heap.so

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
