# Agent accuracy on C programs, against their own figures from the same run.
# 1. uvblock (shared libuv 1.44, block 40 ms every 100 ms, 3 s): ELU within ±0.03 of
#    uv_metrics_idle_time's; blocks (threshold 30 ms) within ±1 of the blocks done.
# 2. epoll-loop (plain epoll, same pattern): ELU within ±0.03 of its own.
# 3. uvpool (16 uv_queue_work of 50 ms on a pool of 4): tasks exactly 16; wait max within 15 % of
#    the waits the program measured itself.
# 4. the HTTP server: 16 concurrent /work?ms=50 on a pool of 4: wait max within 15 % of 150 ms.
. tests/lib.sh

LOOPSCOPE_BLOCK_MS=30 LOOPSCOPE_DIR="$T/u" LD_PRELOAD="$AGENT" "$WORKLOADS/uvblock" --seconds 3 >"$T/u.out" || fail "uvblock failed"
tail -1 "$T/u.out" >"$T/u.json"
summarize "$T/u"
within "uvblock ELU vs uv_metrics_idle_time" "$(sum "$MAINLOOP[\"elu\"]")" "$(json "$T/u.json" 'd["elu"]')" 0.03 || fail "ELU"
within "uvblock blocks" "$(sum "$MAINLOOP[\"blocks\"]")" "$(json "$T/u.json" 'd["blocks"]')" 1 || fail "blocks"

LOOPSCOPE_DIR="$T/e" LD_PRELOAD="$AGENT" "$WORKLOADS/epoll-loop" --seconds 3 >"$T/e.out" || fail "epoll-loop failed"
tail -1 "$T/e.out" >"$T/e.json"
summarize "$T/e"
within "epoll-loop ELU vs its own" "$(sum "$MAINLOOP[\"elu\"]")" "$(json "$T/e.json" 'd["elu"]')" 0.03 || fail "ELU"

UV_THREADPOOL_SIZE=4 LOOPSCOPE_DIR="$T/q" LD_PRELOAD="$AGENT" "$WORKLOADS/uvpool" --tasks 16 --task-ms 50 >"$T/q.out" || fail "uvpool failed"
tail -1 "$T/q.out" >"$T/q.json"
summarize "$T/q"
within "uvpool tasks" "$(sum 'd["threadpool"]["tasks"]')" 16 0 || fail "tasks"
own=$(json "$T/q.json" 'd["max_wait_ms"]')
within "uvpool wait max (ms) vs its own" "$(sum 'd["threadpool"]["wait_ms"]["max"]')" "$own" \
	"$(python3 -c "print(0.15 * $own)")" || fail "wait max"

port=$(free_port)
UV_THREADPOOL_SIZE=4 LOOPSCOPE_DIR="$T/h" LD_PRELOAD="$AGENT" "$WORKLOADS/httpserver" "$port" >/dev/null &
srv=$!
bg_track $srv
wait_port "$port"
# one curl opening the 16 connections at once (16 curl processes started one by one arrive spread
# over tens of ms on a busy machine, and the last task then waits less than 3 x 50 ms)
urls=()
for i in $(seq 16); do urls+=(-o /dev/null "http://127.0.0.1:$port/work?ms=50&i=$i"); done
curl -sS --max-time 30 --parallel --parallel-immediate --parallel-max 16 "${urls[@]}" || fail "requests failed"
sleep 0.3
kill -INT $srv
wait $srv
summarize "$T/h"
within "server wait max (ms) for 16 x 50 ms on 4 threads" "$(sum 'd["threadpool"]["wait_ms"]["max"]')" 150 22.5 || fail "wait max"
