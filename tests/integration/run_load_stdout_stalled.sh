# The recording never waits on its own stdout: with loopscope's stdout a FIFO whose reader never
# reads, and a load command that writes 50 MB and then keeps running, `run --duration 3` ends in
# about 3 s and keeps what it could of the output in load.txt. Workload: httpserver, the load
# `yes loopscope | head -c 50000000; sleep 8`. Expected: exit 0 within 8 s (before: the pass-through
# blocked in write(2) until the reader went away: 30 s here), load.txt at least 1 MiB.
. tests/lib.sh

mkfifo "$T/out"
sleep 30 <"$T/out" &
reader=$!
bg_track $reader
start=$(date +%s%N)
"$LOOPSCOPE" run -q --no-report --duration 3 -o "$T/s" --load 'yes loopscope | head -c 50000000; sleep 8' \
	-- "$WORKLOADS/httpserver" 0 >"$T/out" 2>"$T/err"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
[ $rc -eq 0 ] || fail "exit $rc: $(tail -3 "$T/err")"
at_least "8000 ms minus the run's time (ms)" $((8000 - ms)) 0 || fail "the run waited on its stdout: $ms ms"
size=$(stat -c %s "$T/s/load.txt")
at_least "load.txt bytes" "$size" 1048576 || fail "the load's output was not kept"
note "run with a stalled stdout: $ms ms, load.txt $size bytes"
