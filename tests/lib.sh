# Shared helpers for integration tests (sourced, not run). Each test is a script under
# tests/integration/ that exits 0 on pass, 77 on skip (with a reason on stderr), anything else on fail.
# Tests run from the repository root; $BUILD (default build) holds the built products.

set -u
: "${BUILD:=build}"
LOOPSCOPE="$BUILD/bin/loopscope"
AGENT="$PWD/$BUILD/lib/libloopscope.so"
HEAP_LIB="$PWD/$BUILD/lib/libloopscope-heap.so"
WORKLOADS="$BUILD/workloads"
NODE_WORKLOADS="tests/workloads/node"

# A scratch directory removed when the test ends, and every background process killed.
T=$(mktemp -d "${TMPDIR:-/tmp}/loopscope-test.XXXXXX")
_pids=""
_cleanup() {
	for p in $_pids; do { kill -9 "$p" && wait "$p"; } 2>/dev/null; done
	[ -n "${KEEP:-}" ] && return
	# Spool directories the agent made for a user who could not reach a session in $T (docs/agent.md).
	find "$T" -type l -name 'uid-*' 2>/dev/null | while read -r l; do
		case "$(readlink "$l")" in "${TMPDIR:-/tmp}"/loopscope-uid*) rm -rf "$(readlink "$l")" ;; esac
	done
	rm -rf "$T"
}
trap _cleanup EXIT

# Remember a background pid so it is killed at exit.
bg_track() { _pids="$_pids $1"; }

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
note() { echo "  $*" >&2; }

# nginx_temp_paths DIR: nginx.conf lines (inside http {}) that keep every temporary file nginx
# makes under DIR, so an unprivileged nginx never writes to its compiled-in /var/lib/nginx.
nginx_temp_paths() {
	local k
	for k in client_body proxy fastcgi uwsgi scgi; do
		printf '\t%s_temp_path %s/%s;\n' "$k" "$1" "${k#client_}"
	done
}

# need_chromium: $CHROMIUM (exported) is a headless-capable Chromium, else the test skips.
need_chromium() {
	if [ -z "${CHROMIUM:-}" ]; then
		for c in chromium chromium-browser google-chrome; do
			if command -v "$c" >/dev/null; then CHROMIUM=$(command -v "$c"); break; fi
		done
	fi
	[ -n "${CHROMIUM:-}" ] || skip "chromium is not installed"
	export CHROMIUM
}

# A TCP port nobody listens on (the kernel picks it).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Wait until something listens on 127.0.0.1:PORT, at most SECONDS (default 10).
wait_port() {
	local port=$1 limit=${2:-10} i=0
	while [ "$i" -lt $((limit * 20)) ]; do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
		sleep 0.05
		i=$((i + 1))
	done
	fail "nothing listens on port $port after ${limit}s"
}

# HTTP GET on localhost, body to stdout.
http_get() { curl -sS --max-time 30 "http://127.0.0.1:$1$2"; }

# json FILE EXPR: evaluate a Python expression on the parsed JSON document `d`.
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# within NAME VALUE EXPECTED TOL: |VALUE-EXPECTED| <= TOL, else fail with the numbers.
within() {
	python3 - "$@" <<'PY' || exit 1
import sys
name, v, e, tol = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
ok = abs(v - e) <= tol
print(f"  {name}: {v:.4g} vs expected {e:.4g} ± {tol:.4g}: {'ok' if ok else 'OUT OF TOLERANCE'}", file=sys.stderr)
sys.exit(0 if ok else 1)
PY
}

# at_least NAME VALUE MIN
at_least() {
	python3 - "$@" <<'PY' || exit 1
import sys
name, v, m = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
ok = v >= m
print(f"  {name}: {v:.4g} >= {m:.4g}: {'ok' if ok else 'TOO LOW'}", file=sys.stderr)
sys.exit(0 if ok else 1)
PY
}

# The summary of a session directory (loopscope doctor --json) into $T/summary.json; then
# `sum EXPR` evaluates EXPR on it as `d` (Python), e.g. sum 'd["loops"][0]["elu"]'.
summarize() {
	"$LOOPSCOPE" doctor "$1" --json >"$T/summary.json" || fail "loopscope doctor $1 failed"
}
sum() { json "$T/summary.json" "$1"; }

# The main loop of the root process in the summary, as a Python expression prefix.
MAINLOOP='[l for l in d["loops"] if l["main"] and l["pid"] == d["pid"]][0]'

# Every complete line of each agent record file in DIR parses as JSON, and the first is a process
# record whose pid matches the file name; prints the number of records.
records_valid() { # DIR [GLOB (default agent-*.jsonl)]
	python3 - "$1" "${2:-agent-*.jsonl}" <<'PY' || exit 1
import json, sys, glob, os, re
n = 0
files = glob.glob(os.path.join(sys.argv[1], sys.argv[2]))
if not files:
    sys.exit(f"no record files {sys.argv[2]} in {sys.argv[1]}")
for f in files:
    data = open(f, "rb").read().decode("utf-8")
    lines = data.split("\n")
    complete = lines[:-1]  # the last piece is empty, or an unfinished write
    for i, line in enumerate(complete):
        rec = json.loads(line)
        n += 1
        if i == 0:
            pid = int(re.match(r"(?:agent|probe)-(\d+)", os.path.basename(f)).group(1))
            assert rec["type"] == "process" and rec["pid"] == pid, f"{f}: first record {rec['type']} pid {rec.get('pid')}"
        elif rec["type"] == "process":
            sys.exit(f"{f}:{i+1}: a second process record (another process wrote here)")
        # A loop is announced only once its thread has filled it in: ids start at 1, tids are real.
        if "loop" in rec and rec["type"] != "process":
            assert rec["loop"] >= 1, f"{f}:{i+1}: {rec['type']} record of loop {rec['loop']}"
        if rec["type"] == "loop":
            assert rec["tid"] > 0 and rec["ts"] > 0, f"{f}:{i+1}: loop record not filled in: {line}"
print(n)
PY
}

# count_records DIR/FILE TYPE: how many records of TYPE in the file(s).
count_records() {
	python3 -c 'import json,sys,glob
n=0
for f in glob.glob(sys.argv[1]):
    for l in open(f):
        if l.endswith("\n") and json.loads(l)["type"]==sys.argv[2]: n+=1
print(n)' "$1" "$2"
}
