# loopscope run --heap on a C libuv server that leaks and churns native memory in two named functions
# (tests/workloads/uvleak, built without frame pointers: DWARF unwinding alone must name them). Per
# request leak_session() keeps a 4096-byte malloc forever and churn_buffer() mallocs 65536 bytes,
# fills them and frees them before the reply. Load: wrk -t1 -c16 -d4s paced by
# tests/workloads/ci-pace.lua (1-2 ms between a connection's requests: 5 000-7 000 requests/s, 20 000-
# 28 000 requests, 80-115 MB leaked), with --heap-rate 32768. Expected:
#   - native-live.folded (live bytes): the top stack holds leak_session and not churn_buffer, no stack
#     holds churn_buffer (every churn block is freed before its reply), and leak_session's bytes are
#     requests x 4096 ± 15 %;
#   - native-alloc.folded (allocated bytes): the top stack holds churn_buffer; churn_buffer's bytes
#     are requests x 65536 ± 15 %, leak_session's requests x 4096 ± 15 %;
#   - `report --format folded --profile heap` and `--profile alloc` export those stacks and bytes;
#   - the answers are unaffected: wrk saw no error (non-2xx, socket errors), a curl after it gets
#     "hello", and the server answered from wrk's count + 1 (the curl) to that + 16 (wrk's requests
#     in flight when it stopped): requests is the server's own count, printed when it exits;
#   - with --no-leak the same load: no stack holds leak_session, in either profile; churn as above.
# The tolerance: each 4096-byte block is sampled with probability 1 - e^(-4096/32768) = 0.118; a run
# must make at least 8 800 requests (checked), so over 1 000 samples are expected: a relative
# standard deviation under 3 %, and 15 % is over 5 of them. churn_buffer's blocks are sampled with
# probability 0.86: its estimate is tighter still.
. tests/lib.sh
command -v wrk >/dev/null || skip "wrk is not installed (Debian package wrk; make deps installs it)"
[ -x "$WORKLOADS/uvleak" ] || fail "$WORKLOADS/uvleak is not built (make workloads)"
[ -e "$HEAP_LIB" ] || fail "$HEAP_LIB is not built (make all)"
RATE=32768 LEAK=4096 CHURN=65536 CONNS=16 MIN_REQUESTS=8800

# record NAME [UVLEAK OPTIONS]: run --heap under the paced load into $T/NAME; checks the answers and
# leaves the server's request count in $T/NAME.requests.
record() {
	local name=$1 s="$T/$1" served wrk_n
	shift
	"$LOOPSCOPE" run -q --heap --heap-rate "$RATE" --no-report -o "$s" \
		--load "timeout 30 wrk -t1 -c$CONNS -d4s -s tests/workloads/ci-pace.lua http://127.0.0.1:\$LOOPSCOPE_PORT/ -- 2; curl -sS --max-time 10 http://127.0.0.1:\$LOOPSCOPE_PORT/ >$T/$name.body" \
		-- "$WORKLOADS/uvleak" --leak-bytes "$LEAK" --churn-bytes "$CHURN" "$@" >"$T/$name.out" 2>"$T/$name.err" ||
		fail "$name: run exited $?: $(tail -5 "$T/$name.err")"
	[ "$(cat "$T/$name.body")" = hello ] || fail "$name: curl after the load got '$(cat "$T/$name.body")', not hello"
	grep '^{"workload":"uvleak"' "$T/$name.out" >"$T/$name.json" || fail "$name: the server printed no counts: $(tail -5 "$T/$name.out")"
	cp "$s/summary.json" "$T/summary.json"
	[ "$(sum 'd["load"]["tool"]')" = wrk ] || fail "$name: load not read: $(sum 'd.get("load")')"
	within "$name: wrk's errors (non-2xx, socket)" "$(sum 'd["load"]["errors"]')" 0 0 || fail "$name: wrk saw errors"
	wrk_n=$(sum 'd["load"]["requests"]')
	served=$(json "$T/$name.json" 'd["requests"]')
	within "$name: requests the server answered ($served) beyond wrk's $wrk_n and the curl: wrk's in flight, 0 to $CONNS" \
		$((served - wrk_n - 1)) $((CONNS / 2)) $((CONNS / 2)) || fail "$name: the server's count"
	at_least "$name: requests (enough samples for the tolerance)" "$served" "$MIN_REQUESTS" ||
		fail "$name: too few requests for the tolerance"
	echo "$served" >"$T/$name.requests"
}

# check NAME LEAKS(1|0): the two profiles and their exports against the server's count.
check() {
	local name=$1 kind
	for kind in heap alloc; do
		"$LOOPSCOPE" report "$T/$name" --format folded --profile "$kind" -o "$T/$name.$kind.folded" 2>"$T/$name.report.err" ||
			fail "$name: report --profile $kind exited $?: $(cat "$T/$name.report.err")"
	done
	python3 - "$T/$name" "$(cat "$T/$name.requests")" "$LEAK" "$CHURN" "$2" <<'PY' >&2 || fail "$name: the native heap profiles"
import re, sys
d, requests, leak, churn, leaks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
TOL = 0.15

def stacks(path):
    """comm;outer;...;inner BYTES lines, summed by stack."""
    out = {}
    for n, line in enumerate(open(path), 1):
        stack, _, count = line.rstrip("\n").rpartition(" ")
        assert stack and count.isdigit(), f"{path}:{n}: not 'stack BYTES': {line!r}"
        out[stack] = out.get(stack, 0) + int(count)
    return out

def holds(stack, fn):
    return any(re.search(rf"(^|[^\w]){fn}([^\w]|$)", f) for f in stack.split(";")[1:])

def total(prof, fn):
    return sum(b for s, b in prof.items() if holds(s, fn))

def within(what, v, e):
    ok = abs(v - e) <= TOL * e
    print(f"  {what}: {v} vs expected {e} ± {TOL:.0%} ({(v - e) / e:+.1%}): {'ok' if ok else 'OUT OF TOLERANCE'}")
    return ok

ok = True
live, alloc = stacks(f"{d}/native-live.folded"), stacks(f"{d}/native-alloc.folded")
for kind, file, prof in (("heap", "native-live.folded", live), ("alloc", "native-alloc.folded", alloc)):
    exported = stacks(f"{d}.{kind}.folded")
    if exported != prof:
        ok = False
        print(f"  report --profile {kind}: {len(exported)} stacks, {sum(exported.values())} bytes; {file}: {len(prof)} stacks, {sum(prof.values())} bytes")
top_live = max(live.items(), key=lambda kv: kv[1], default=("", 0))
top_alloc = max(alloc.items(), key=lambda kv: kv[1], default=("", 0))
print(f"  live: {len(live)} stacks, {sum(live.values())} bytes; top {top_live[1]}: {top_live[0]}")
print(f"  allocated: {len(alloc)} stacks, {sum(alloc.values())} bytes; top {top_alloc[1]}: {top_alloc[0]}")
if total(live, "churn_buffer"):
    ok = False
    print(f"  live bytes in churn_buffer: {total(live, 'churn_buffer')} (expected none: every block is freed)")
if not holds(top_alloc[0], "churn_buffer") or holds(top_alloc[0], "leak_session"):
    ok = False
    print("  the top allocating stack is not churn_buffer's")
ok &= within("allocated bytes in churn_buffer", total(alloc, "churn_buffer"), requests * churn)
if leaks:
    if not holds(top_live[0], "leak_session"):
        ok = False
        print("  the top live stack is not leak_session's")
    ok &= within("live bytes in leak_session (the leak)", total(live, "leak_session"), requests * leak)
    ok &= within("allocated bytes in leak_session", total(alloc, "leak_session"), requests * leak)
else:
    for what, prof in (("live", live), ("allocated", alloc)):
        if total(prof, "leak_session"):
            ok = False
            print(f"  {what} bytes in leak_session with --no-leak: {total(prof, 'leak_session')}")
sys.exit(0 if ok else 1)
PY
}

record leak
check leak 1
record noleak --no-leak
check noleak 0
