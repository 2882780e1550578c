# Shared helpers for integration tests (sourced, not run). Each test is a script under
# tests/integration/ that exits 0 on pass, 77 on skip (with a reason on stderr), anything else on fail.
# Tests run from the repository root; $BUILD (default build) holds the built products.

set -u
: "${BUILD:=build}"
LOOPSCOPE="$BUILD/bin/loopscope"
AGENT="$PWD/$BUILD/lib/libloopscope.so"
WORKLOADS="$BUILD/workloads"
NODE_WORKLOADS="tests/workloads/node"

# A scratch directory removed when the test ends, and every background process killed.
T=$(mktemp -d "${TMPDIR:-/tmp}/loopscope-test.XXXXXX")
_pids=""
_cleanup() {
	for p in $_pids; do kill -9 "$p" 2>/dev/null; done
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap _cleanup EXIT

# Remember a background pid so it is killed at exit.
bg_track() { _pids="$_pids $1"; }

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
note() { echo "  $*" >&2; }

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
