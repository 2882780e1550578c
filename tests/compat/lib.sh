# Shared helpers for the compatibility tests (sourced after tests/lib.sh, not run). A test runs a
# real server or runtime under a real load twice, without and with `loopscope run`, and checks that
# it behaved the same both times and that the session recorded it.

# The suite tests Debian's packages: their programs come first on PATH (python3-uvloop is installed
# for /usr/bin/python3, not for another python3 a user may have put first).
PATH="/usr/bin:/bin:$PATH"
COMPAT_APPS="$PWD/tests/compat/apps"

# need PROGRAM PACKAGE: skip unless PROGRAM is installed (mk/deps.sh lists the package).
need() {
	command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed (Debian package $2; make deps installs it)"
}

# _stop PID: what `loopscope run` does to end its target: SIGINT, SIGTERM 3 s later, SIGKILL 3 s
# after that. Prints the exit status (128+N when killed by signal N).
_stop() {
	local pid=$1 sig i
	for sig in INT TERM KILL; do
		kill -s "$sig" "$pid" 2>/dev/null
		for i in $(seq 60); do
			kill -0 "$pid" 2>/dev/null || break 2
			sleep 0.05
		done
	done
	wait "$pid"
	echo $?
}

# The log files a server writes (set SERVER_LOGS="PATH..." before serve_pair): after each run they
# become PATH.plain, PATH.traced and PATH.heap, compared by same_behaviour with every number masked
# (times, pids, connection numbers). A worker that crashed and was respawned shows there.
SERVER_LOGS=""
_move_logs() {
	local f
	for f in $SERVER_LOGS; do
		if [ -f "$f" ]; then mv "$f" "$f.$1"; else : >"$f.$1"; fi
	done
}

# serve_pair PORT LOAD [RUN OPTIONS] -- CMD [ARGS]: runs CMD three times,
# under the shell command LOAD.
#   plain:  CMD alone; once 127.0.0.1:PORT accepts, `LOOPSCOPE_PORT=PORT LOAD $T/plain`; then CMD is
#           stopped as loopscope stops it (SIGINT, then SIGTERM, then SIGKILL, 3 s apart).
#   traced: loopscope run -q --no-report --duration 60 -o $T/s --load 'LOAD $T/traced' [RUN OPTIONS]
#           -- CMD (the duration only bounds a target that never listens).
#   heap:   the same into $T/sh with LOAD given $T/heap, plus --heap-rate $HEAP_RATE (the native
#           heap sampler preloaded beside the agent; for node also V8 heap snapshots) and --no-bpf
#           (the CPU profile is the traced run's; the eBPF probes are outside the process). The
#           load's environment has COMPAT_LOAD_SECONDS=1: a load that runs for a time runs
#           ${COMPAT_LOAD_SECONDS:-3} s, 1 s here. COMPAT_HEAP=0 leaves this run out.
# LOAD gets the prefix of its output files as its last argument (it writes PREFIX.load-rc and
# whatever it wants to compare). For each run: PREFIX.out and PREFIX.err (CMD's output; loopscope
# -q adds nothing), PREFIX.status (CMD's exit status as loopscope reports it, session.json's
# exit_status under loopscope), PREFIX.fds (fd_table.py: the descriptors of the process holding the
# listening socket, read just before the load).
HEAP_RATE=${HEAP_RATE:-16384}
COMPAT_HEAP=${COMPAT_HEAP:-1}
RUNS="plain traced"
[ "$COMPAT_HEAP" = 0 ] || RUNS="plain traced heap"
FD_TABLE="python3 $PWD/tests/compat/fd_table.py"
# SAME_FDS=0 (set by a test before same_behaviour): its server's descriptors are not compared. node's
# are not the same under loopscope by design: V8's --perf-basic-prof, which loopscope turns on
# (docs/cli.md), keeps /tmp/perf-PID.map open.
SAME_FDS=${SAME_FDS:-1}

# What node prints on its stderr when loopscope's SIGUSR1 opens its inspector for a V8 heap
# snapshot (docs/heap.md, "Its stderr"): node's lines, not a change of the program's output.
NODE_INSPECTOR_LINES='^(Debugger listening on ws://|For help, see: https://nodejs\.org/en/docs/inspector$|Debugger attached\.$|Debugger ending on ws://)'

serve_pair() {
	local port=$1 load=$2 opts=() pid
	shift 2
	while [ "$1" != "--" ]; do opts+=("$1"); shift; done
	shift
	# A background job of a script ignores SIGINT; CMD gets the default dispositions, as under run.
	env --default-signal "$@" >"$T/plain.out" 2>"$T/plain.err" &
	pid=$!
	bg_track "$pid"
	wait_port "$port" 20
	LOOPSCOPE_PORT=$port bash -c "$FD_TABLE plain >$T/plain.fds; $load $T/plain" >"$T/plain.load" 2>&1
	_stop "$pid" >"$T/plain.rc"
	_move_logs plain
	# As loopscope reports it (session.json's exit_status): a target that ended on the SIGINT or
	# SIGTERM it was sent (killed by it, or exit 130/143) succeeded.
	case $(cat "$T/plain.rc") in 130 | 143) echo 0 ;; *) cat "$T/plain.rc" ;; esac >"$T/plain.status"
	note "plain:  $* -> exit $(cat "$T/plain.rc") (as loopscope reports it: $(cat "$T/plain.status"))"
	[ -f "$T/plain.load-rc" ] || fail "the load did not run without loopscope (the target's exit status $(cat "$T/plain.rc")): $(tail -5 "$T/plain.err" "$T/plain.load")"

	_run_traced traced "$T/s" "$load" "${opts[@]}" -- "$@"
	[ "$COMPAT_HEAP" = 0 ] ||
		COMPAT_LOAD_SECONDS=1 _run_traced heap "$T/sh" "$load" --no-bpf --heap-rate "$HEAP_RATE" "${opts[@]}" -- "$@"
}

# _run_traced NAME DIR LOAD [RUN OPTIONS] -- CMD [ARGS]: serve_pair's run under loopscope.
_run_traced() {
	local name=$1 dir=$2 load=$3 rc
	shift 3
	"$LOOPSCOPE" run -q --no-report --duration 60 -o "$dir" --load "$FD_TABLE $name >$T/$name.fds; $load $T/$name" "$@" \
		>"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	_move_logs "$name"
	[ -f "$dir/session.json" ] || fail "loopscope run ($name) exited $rc without a session: $(tail -5 "$T/$name.err")"
	json "$dir/session.json" 'd["exit_status"]' >"$T/$name.status"
	while [ "$1" != "--" ]; do shift; done
	shift
	note "$name: loopscope run $* -> exit $rc, the target's $(cat "$T/$name.status")"
	[ -f "$T/$name.load-rc" ] || fail "the load did not run under loopscope ($name; the target's exit status $(cat "$T/$name.status")): $(tail -5 "$T/$name.err")"
}

# same_behaviour FILE-SUFFIX...: plain and each run under loopscope (traced, heap) agree on CMD's
# exit status, its stdout and stderr (but for loopscope's lines, shown; and in the heap run node's
# own lines about the inspector the V8 snapshots open, docs/heap.md), its descriptor table as the
# load started, its SERVER_LOGS, the load's exit status (0) and each named output of the load (e.g.
# check: PREFIX.check).
same_behaviour() {
	local f run
	[ "$(cat "$T/plain.load-rc")" = 0 ] || fail "the load failed without loopscope (exit $(cat "$T/plain.load-rc")): $(tail -5 "$T/plain.load")"
	for f in $RUNS; do
		# loopscope's own lines (and the agent's, which start the same way) are not the target's.
		grep -v '^loopscope: ' "$T/$f.err" >"$T/$f.target-err"
		grep '^loopscope: ' "$T/$f.err" | sed "s/^/  ($f) /" >&2
	done
	if [ -f "$T/heap.target-err" ]; then
		grep -vE "$NODE_INSPECTOR_LINES" "$T/heap.target-err" >"$T/heap.target-err.tmp"
		mv "$T/heap.target-err.tmp" "$T/heap.target-err"
	fi
	for run in ${RUNS#plain }; do
		[ "$(cat "$T/$run.load-rc")" = 0 ] || fail "the load failed under loopscope ($run; exit $(cat "$T/$run.load-rc")): $(tail -5 "$T/$run.err")"
		[ "$(cat "$T/plain.status")" = "$(cat "$T/$run.status")" ] ||
			fail "exit status $(cat "$T/plain.status") alone, $(cat "$T/$run.status") under loopscope ($run); stderr: $(tail -5 "$T/$run.err")"
		for f in out target-err "$@"; do
			diff -u "$T/plain.$f" "$T/$run.$f" >"$T/diff" ||
				fail "$f differs under loopscope ($run): $(head -20 "$T/diff")"
		done
		if [ "$SAME_FDS" = 1 ] && [ "$(_fd_shape "$T/plain.fds")" != "$(_fd_shape "$T/$run.fds")" ]; then
			diff -u "$T/plain.fds" "$T/$run.fds" >"$T/diff"
			fail "the server's descriptors differ under loopscope ($run): $(head -30 "$T/diff")"
		fi
		for f in $SERVER_LOGS; do
			diff -u <(sed -E 's/[0-9]+/N/g' "$f.plain") <(sed -E 's/[0-9]+/N/g' "$f.$run") >"$T/diff" ||
				fail "$(basename "$f") differs under loopscope ($run; numbers masked): $(head -20 "$T/diff")"
		done
	done
	note "same exit status ($(cat "$T/plain.status")), output, $([ "$SAME_FDS" = 1 ] && echo "descriptors ($(grep -c . "$T/plain.fds")), ")${SERVER_LOGS:+logs, }load results ($*) alone and under loopscope (${RUNS#plain })"
}

# _fd_shape FDS: what same_behaviour compares of a descriptor table: what the descriptors are, as a
# sorted list. A descriptor held by the agent or the sampler shows as one more (libunwind's pipe:
# two). Not their numbers: haproxy's two threads each make a pipe and an epoll fd, in either order
# from one start to the next, and a server that opens descriptors while the agent's thread holds
# one for a read or a write (its record file, a /proc file: docs/agent.md) gets the next numbers
# (seen once: uvloop's listening socket and /dev/null one number up).
_fd_shape() {
	cut -d' ' -f3- "$1" | sort
}

# wrk_clean FILE...: each wrk report shows requests and no error of any kind (socket errors,
# non-2xx/3xx responses); notes the request counts.
wrk_clean() {
	local f counts=""
	for f in "$@"; do
		grep -q 'requests in' "$f" || fail "no wrk report in $f: $(cat "$f")"
		if grep -E 'Socket errors|Non-2xx' "$f" >&2; then fail "wrk saw errors ($f)"; fi
		counts="$counts $(basename "$f" .wrk) $(awk '/requests in/ { print $1 }' "$f")"
	done
	note "wrk without errors, requests:$counts"
}

# serve_wrk PORT LOAD [RUN OPTIONS] -- CMD [ARGS]: serve_pair for a load that writes a "check"
# output and a wrk report: every run behaved the same, and wrk saw no error in any.
serve_wrk() {
	serve_pair "$@"
	same_behaviour check
	wrk_clean $(for r in $RUNS; do echo "$T/$r.wrk"; done)
}

# busy_loops: the loops of $T/summary.json that ran (iterations > 0, ELU > 0), one per line:
# "pid tid thread iterations elu".
busy_loops() {
	python3 - "$T/summary.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for l in d["loops"]:
    if l["iterations"] > 0 and l["elu"] > 0:
        print(l["pid"], l["tid"], l["thread"].replace(" ", "_"), l["iterations"], l["elu"])
PY
}

# samples_by_pid DIR: CPU samples per process from DIR/cpu-samples.bin, one "pid count" a line.
samples_by_pid() {
	python3 - "$1/cpu-samples.bin" <<'PY'
import struct, sys, collections
data = open(sys.argv[1], "rb").read()
magic, hz, size = struct.unpack_from("<8sII", data, 0)
assert magic == b"LSSAMPL1", magic
n = collections.Counter()
for off in range(16, len(data) - size + 1, size):
    n[struct.unpack_from("<QII", data, off)[1]] += 1
for pid, c in sorted(n.items()):
    print(pid, c)
PY
}

# folded_samples DIR REGEX: how many samples of DIR/cpu.folded have a stack matching REGEX (Python).
folded_samples() {
	python3 - "$1/cpu.folded" "$2" <<'PY'
import re, sys
rx = re.compile(sys.argv[2])
print(sum(int(l.rsplit(" ", 1)[1]) for l in open(sys.argv[1]) if rx.search(l.rsplit(" ", 1)[0])))
PY
}

# session_recorded: the common part of every test's session checks. The session $T/s reads
# (doctor --json into $T/summary.json), every agent record file (also those of processes that
# dropped privileges, under uid-N/) is valid, at least MIN (default 1) loops were busy, and the
# CPU profile holds samples (summary cpu.samples and cpu.folded).
session_recorded() {
	local min=${1:-1} n
	n=$(python3 -c 'import glob,sys; print(len(glob.glob(sys.argv[1]+"/agent-*.jsonl")+glob.glob(sys.argv[1]+"/uid-*/agent-*.jsonl")))' "$T/s")
	[ "$n" -gt 0 ] || fail "the agent recorded nothing (no agent-PID.jsonl); loopscope said: $(tail -5 "$T/traced.err")"
	note "agent record files: $n"
	summarize "$T/s"
	[ -z "$(ls "$T"/s/agent-*.jsonl 2>/dev/null)" ] || records_valid "$T/s" >/dev/null || fail "invalid records"
	[ -z "$(ls "$T"/s/uid-*/agent-*.jsonl 2>/dev/null)" ] || records_valid "$T/s" 'uid-*/agent-*.jsonl' >/dev/null ||
		fail "invalid records under uid-*/"
	busy_loops >"$T/busy"
	sed 's/^/    busy loop: pid tid thread iterations elu: /' "$T/busy" >&2
	[ "$(wc -l <"$T/busy")" -ge "$min" ] || fail "$(wc -l <"$T/busy") busy loops, expected at least $min; loops: $(sum 'd["loops"]')"
	note "busy loops: $(wc -l <"$T/busy") >= $min: ok"
	# Without root (or CAP_BPF and CAP_PERFMON) run records with the agent alone.
	grep -q 'no eBPF probes' "$T/s/session.json" &&
		skip "the agent's part passed, but no CPU profile: $(json "$T/s/session.json" 'd["notes"]')"
	at_least "CPU samples (summary)" "$(sum 'd["cpu"]["samples"]')" 1 || fail "no CPU samples"
	[ -s "$T/s/cpu.folded" ] || fail "cpu.folded is empty"
	note "diagnosis: $(sum '[(f["kind"], f["severity"]) for f in d["diagnosis"]]')"
}

# heap_recorded MIN: the heap run's session ($T/sh) holds valid records, and at least MIN record files
# (processes whose loop polled: the agent's thread writes the sampler's figures; nginx's master
# never polls) with native_heap records of samples > 0 and stacks of more than one frame (the
# unwinder ran); notes each file's figures.
heap_recorded() {
	[ "$COMPAT_HEAP" = 0 ] && return 0
	[ -z "$(ls "$T"/sh/agent-*.jsonl 2>/dev/null)" ] || records_valid "$T/sh" >/dev/null || fail "invalid records (heap run)"
	[ -z "$(ls "$T"/sh/uid-*/agent-*.jsonl 2>/dev/null)" ] || records_valid "$T/sh" 'uid-*/agent-*.jsonl' >/dev/null ||
		fail "invalid records under uid-*/ (heap run)"
	python3 - "$T/sh" "$1" <<'PY' || fail "the heap run's native heap records (session $T/sh)"
import glob, json, sys
d, want = sys.argv[1], int(sys.argv[2])
good = 0
for f in sorted(glob.glob(d + "/agent-*.jsonl") + glob.glob(d + "/uid-*/agent-*.jsonl")):
    last, deep, stacks = None, 0, 0
    for l in open(f):
        if not l.endswith("\n"):
            continue
        r = json.loads(l)
        if r["type"] == "native_heap":
            last = r
        elif r["type"] == "native_stack":
            stacks += 1
            deep = max(deep, len(r["frames"]))
    name = f[len(d) + 1:]
    if not last:
        print(f"    {name}: no native_heap record", file=sys.stderr)
        continue
    ok = last["samples"] > 0 and deep > 1
    good += ok
    print(f"    {name}: rate {last['rate']}, samples {last['samples']}, stacks {stacks} (deepest {deep} frames), "
          f"unwind_fail {last['unwind_fail']}, dropped {last['dropped_stacks']}+{last['dropped_live']}", file=sys.stderr)
print(f"  record files with native heap samples and stacks: {good} >= {want}: {'ok' if good >= want else 'TOO FEW'}", file=sys.stderr)
sys.exit(0 if good >= want else 1)
PY
}

# diagnosis_kinds: the kinds of the session's findings, sorted, space-separated.
diagnosis_kinds() { sum '" ".join(sorted(f["kind"] for f in d["diagnosis"]))'; }

# named_samples DIR MODULE-REGEX: CPU samples of DIR/cpu.folded with a frame named from a module
# (the path in frames.jsonl) matching MODULE-REGEX (Python); prints the count, then the 5 names seen
# most often in those samples.
named_samples() {
	python3 - "$1" "$2" <<'PY'
import json, re, sys, collections
rx = re.compile(sys.argv[2])
named = set()
for l in open(sys.argv[1] + "/frames.jsonl"):
    f = json.loads(l)
    if "name" in f and rx.search(f.get("module", "")):
        named.add(f["frame"])
n, names = 0, collections.Counter()
for l in open(sys.argv[1] + "/cpu.folded"):
    stack, count = l.rsplit(" ", 1)
    hits = [fr for fr in stack.split(";")[1:] if fr in named]
    if hits:
        n += int(count)
        names.update({fr: int(count) for fr in set(hits)})
print(n, " ".join(f for f, _ in names.most_common(5)))
PY
}

# ---- hazard programs: tests/compat/hazards/NAME.c, built by `make hazards` into $BUILD/compat -----
# Each hazard test runs its program without the agent, then with it (LD_PRELOAD, records into
# $T/s), and where the native heap sampler could disturb it, with the sampler too (records into
# $T/sh); compares what the program did, and reads the session. AGENT_SO=PATH tests another build
# of the agent library (e.g. one from before a fix), HEAP_SO=PATH another build of the sampler, with
# this tree's programs and loopscope.
HAZARDS="$PWD/$BUILD/compat"
[ -z "${AGENT_SO:-}" ] || AGENT=$AGENT_SO
HEAP_LIB=${HEAP_SO:-$PWD/$BUILD/lib/libloopscope-heap.so}
# The hazard programs allocate little: at a mean of 64 bytes between samples nearly every
# allocation is sampled and its stack walked.
HAZARD_HEAP_RATE=${HAZARD_HEAP_RATE:-64}
# The runs under the agent a hazard test makes where the sampler could disturb its program: agent,
# and heap unless COMPAT_HEAP=0.
HAZARD_MODES="agent"
[ "$COMPAT_HEAP" = 0 ] || HAZARD_MODES="agent heap"

# hazard NAME: the program's path; fails when it is not built.
hazard() {
	[ -x "$HAZARDS/$1" ] || fail "$HAZARDS/$1 is not built (make hazards)"
	echo "$HAZARDS/$1"
}

# status_text RC: "exit N", or "killed by SIGNAME" for 128+N.
status_text() {
	if [ "$1" -gt 128 ] && [ "$1" -lt 192 ]; then echo "killed by SIG$(kill -l $(($1 - 128)))"; else echo "exit $1"; fi
}

# hazard_run MODE CMD [ARGS]: runs CMD in the working directory $T/MODE (made), without the agent
# (MODE plain), with it recording into $T/s (MODE agent), or with the native heap sampler and the
# agent, as `loopscope run --heap` preloads them, recording into $T/sh (MODE heap;
# LOOPSCOPE_HEAP_RATE=$HAZARD_HEAP_RATE). Its pid goes to $T/MODE.pid, its stdout and stderr to
# $T/MODE.out and $T/MODE.err, its exit status (128+N when killed by signal N) to $T/MODE.rc.
# With COMPAT_HEAP=0, MODE heap runs nothing (and hazard_same and hazard_heap_sampled of it check
# nothing).
hazard_run() {
	local mode=$1 rc
	shift
	[ "$mode" = heap ] && [ "$COMPAT_HEAP" = 0 ] && return 0
	mkdir -p "$T/$mode"
	case $mode in
	agent)
		(cd "$T/$mode" && echo "$BASHPID" >"$T/$mode.pid" &&
			LD_PRELOAD="$AGENT" LOOPSCOPE_DIR="$T/s" exec "$@") >"$T/$mode.out" 2>"$T/$mode.err" ;;
	heap)
		[ -f "$HEAP_LIB" ] || fail "$HEAP_LIB is not built (make)"
		(cd "$T/$mode" && echo "$BASHPID" >"$T/$mode.pid" &&
			LD_PRELOAD="$HEAP_LIB $AGENT" LOOPSCOPE_HEAP_RATE=$HAZARD_HEAP_RATE LOOPSCOPE_DIR="$T/sh" exec "$@") \
			>"$T/$mode.out" 2>"$T/$mode.err" ;;
	*)
		(cd "$T/$mode" && echo "$BASHPID" >"$T/$mode.pid" && exec "$@") >"$T/$mode.out" 2>"$T/$mode.err" ;;
	esac
	rc=$?
	echo "$rc" >"$T/$mode.rc"
	note "$mode: $(basename "$1") -> $(status_text "$rc")"
}

# hazard_same [FILE...]: with and without the agent, the same exit status, stdout, stderr and the
# same content of each FILE the program wrote in its working directory. HAZARD_MODE=heap compares
# the run with the sampler instead.
hazard_same() {
	local f plain mode=${HAZARD_MODE:-agent} agent
	[ "$mode" = heap ] && [ "$COMPAT_HEAP" = 0 ] && return 0
	plain=$(cat "$T/plain.rc") agent=$(cat "$T/$mode.rc")
	[ "$plain" = "$agent" ] ||
		fail "$(status_text "$plain") without the agent, $(status_text "$agent") with it ($mode); stderr: $(tail -3 "$T/$mode.err")"
	for f in out err; do
		diff -u "$T/plain.$f" "$T/$mode.$f" >"$T/diff" || fail "std$f differs under the agent ($mode): $(head -20 "$T/diff")"
	done
	for f in "$@"; do
		[ -f "$T/plain/$f" ] || fail "the program wrote no $f without the agent"
		cmp -s "$T/plain/$f" "$T/$mode/$f" ||
			fail "$f differs under the agent ($mode): $(diff -u "$T/plain/$f" "$T/$mode/$f" 2>&1 | head -8)"
	done
	note "same $(status_text "$plain"), stdout, stderr${1:+ and $*} with and without the agent ($mode)"
}

# hazard_heap_sampled PID: the sampler's session $T/sh has native_heap records of process PID with
# samples > 0 and a stack of more than one frame: the sampler sampled and walked stacks in it.
hazard_heap_sampled() {
	local f
	[ "$COMPAT_HEAP" = 0 ] && return 0
	f=$(find "$T/sh" -name "agent-$1.jsonl" | head -1)
	[ -n "$f" ] || fail "no record file of pid $1 in the heap run's session: $(cd "$T/sh" 2>/dev/null && find . | head)"
	records_valid "$(dirname "$f")" "$(basename "$f")" >/dev/null || fail "invalid records (heap run)"
	python3 - "$f" <<'PY' || fail "the sampler recorded no sample with a stack in pid $1 ($f)"
import json, sys
last, deep = None, 0
for l in open(sys.argv[1]):
    if l.endswith("\n"):
        r = json.loads(l)
        if r["type"] == "native_heap":
            last = r
        elif r["type"] == "native_stack":
            deep = max(deep, len(r["frames"]))
ok = bool(last) and last["samples"] > 0 and deep > 1
print("  native heap (rate %s): samples %s, deepest stack %d frames, unwind_fail %s: %s" % (
    last and last["rate"], last and last["samples"], deep, last and last["unwind_fail"], "ok" if ok else "NONE"), file=sys.stderr)
sys.exit(0 if ok else 1)
PY
}

# hazard_loop DIR PID MIN_ITERATIONS ELU_MIN ELU_MAX: the session DIR (doctor --json into
# $T/summary.json) holds a main-thread loop of process PID (the busiest, when there are several;
# saved as $T/loop.json) with at least MIN_ITERATIONS iterations and an ELU in [ELU_MIN, ELU_MAX].
hazard_loop() {
	local dir=$1 pid=$2
	summarize "$dir"
	python3 - "$T/summary.json" "$pid" >"$T/loop.json" <<'PY' || fail "no main loop of pid $pid in $dir: loops $(sum 'd["loops"]')"
import json, sys
loops = [l for l in json.load(open(sys.argv[1]))["loops"] if l["pid"] == int(sys.argv[2]) and l["main"]]
if not loops:
    sys.exit(1)
print(json.dumps(max(loops, key=lambda l: l["elu"])))
PY
	note "loop of pid $pid: $(loop_fig "{k: d[k] for k in ('iterations', 'elu', 'blocks', 'longest_block_ms', 'stacks')}")"
	at_least "iterations" "$(loop_fig 'd["iterations"]')" "$3" || fail "too few iterations recorded"
	between "ELU" "$(loop_fig 'd["elu"]')" "$4" "$5" || fail "ELU out of range"
}

# loop_fig EXPR: EXPR on the loop hazard_loop found, as `d`, e.g. loop_fig 'd["longest_block_ms"]'.
loop_fig() { json "$T/loop.json" "$1"; }

# between NAME VALUE LO HI: LO <= VALUE <= HI, else fail with the numbers.
between() {
	python3 - "$@" <<'PY' || exit 1
import sys
name, v, lo, hi = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
ok = lo <= v <= hi
print(f"  {name}: {v:.4g} in [{lo:.4g}, {hi:.4g}]: {'ok' if ok else 'OUT OF RANGE'}", file=sys.stderr)
sys.exit(0 if ok else 1)
PY
}

# record_pids DIR: the pids of the agent record files in DIR and its uid-N/ directories.
record_pids() {
	find "$1" -name 'agent-*.jsonl' | sed -E 's|.*/agent-([0-9]+)(\.[0-9]+)?\.jsonl$|\1|' | sort -un
}

# healthy_diagnosis: the diagnosis of a server that only served a light load: "none", or at most
# an event-loop-blocked of medium severity (on 2 busy cores a turn can be preempted past 50 ms, and
# a server's first requests can fault its caches in); never high, never another finding.
healthy_diagnosis() {
	python3 - "$T/summary.json" <<'PY' || fail "diagnosis of a healthy server: $(sum 'd["diagnosis"]')"
import json, sys
d = json.load(open(sys.argv[1]))
f = d["diagnosis"]
ok = bool(f) and all(x["kind"] == "none" or (x["kind"] == "event-loop-blocked" and x["severity"] == "medium") for x in f)
print("  diagnosis of a healthy server (none, or a medium event-loop-blocked):", [(x["kind"], x["severity"]) for x in f], "ok" if ok else "WRONG", file=sys.stderr)
sys.exit(0 if ok else 1)
PY
}
