# The diagnosis on workloads with one known problem each, through loopscope run:
#   16 pbkdf2 on a pool of 4            -> threadpool-starved
#   allocation churn                    -> gc-pressure
#   a heap growing 5 MB/s for 8 s       -> memory-growth
#   an idle HTTP server, stopped at 3 s -> none
#   pool workers blocked reading FIFOs  -> io-bound
# Expected: the kind is among the findings (and for the idle server, it is the only one).
. tests/lib.sh

kinds() { python3 -c 'import json,sys; print(" ".join(f["kind"] for f in json.load(open(sys.argv[1]))["diagnosis"]))' "$1/summary.json"; }
expect() {
	local dir=$1 want=$2 got
	got=$(kinds "$dir")
	case " $got " in *" $want "*) note "$want: found ($got)" ;; *) fail "want $want, got: $got" ;; esac
}

UV_THREADPOOL_SIZE=4 "$LOOPSCOPE" run -q -o "$T/pool" -- node "$NODE_WORKLOADS/pool-pbkdf2.js" --tasks 16 >/dev/null || fail "pool run"
expect "$T/pool" threadpool-starved
"$LOOPSCOPE" run -q -o "$T/gc" -- node "$NODE_WORKLOADS/alloc-churn.js" --seconds 3 >/dev/null || fail "gc run"
expect "$T/gc" gc-pressure
"$LOOPSCOPE" run -q -o "$T/leak" -- node "$NODE_WORKLOADS/leak.js" --seconds 8 --mb-per-s 5 >/dev/null || fail "leak run"
expect "$T/leak" memory-growth
port=$(free_port)
"$LOOPSCOPE" run -q -o "$T/idle" --duration 3 -- node "$NODE_WORKLOADS/server.js" "$port" >/dev/null || fail "idle run"
[ "$(kinds "$T/idle")" = none ] || fail "idle server: want only none, got $(kinds "$T/idle")"
note "none: the only finding for an idle server"
"$LOOPSCOPE" run -q -o "$T/io" -- node "$NODE_WORKLOADS/fifo-wait.js" --readers 4 --seconds 3 >/dev/null || fail "io run"
expect "$T/io" io-bound
