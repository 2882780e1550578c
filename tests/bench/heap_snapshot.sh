# Heap snapshots (docs/heap.md): what `loopscope heap snapshot` costs the target against the size
# of its heap, and what `loopscope heap diff` costs to read them. Target: the retain-app server
# (tests/workloads/node/retain-app.js) with --ballast-k K thousand small objects kept alive, for
# K in SIZES (default "0 250 1000 2500": up to a ~190 MB snapshot). Per size:
#   - the pause loopscope measured (request to last chunk) and, independently, the longest a client
#     waited: a curl every 50 ms during the snapshot (its slowest reply);
#   - the snapshot's size and node count;
#   - `heap diff S S` of that snapshot against itself: wall time and peak RSS (GNU time), i.e. two
#     reads, dominators, summaries, paths. The budget (docs/performance.md): a 200 MB snapshot in
#     under 60 s and 2 GB.
. tests/lib.sh
: "${SIZES:=0 250 1000 2500}"
command -v node >/dev/null || skip "node is not installed"
[ -x /usr/bin/time ] || skip "GNU time is not installed (Debian package time)"

echo "machine: $(nproc) CPUs, $(uname -r), node $(node --version)"
printf '%-8s %9s %10s %10s %12s %12s %10s %10s\n' ballast nodes "snap MB" "pause ms" "client ms" "diff s" "diff MB" "MB/s"
for k in $SIZES; do
	node "$NODE_WORKLOADS/retain-app.js" --ballast-k "$k" >"$T/app.log" 2>&1 &
	app=$!
	bg_track $app
	port=
	for _ in $(seq 600); do port=$(sed -n 's/^listening on //p' "$T/app.log"); [ -n "$port" ] && break; sleep 0.1; done
	[ -n "$port" ] || fail "retain-app --ballast-k $k did not start"
	# A client asking every 50 ms: the slowest answer is the pause seen from outside.
	( while :; do curl -s -o /dev/null -w '%{time_total}\n' --max-time 600 "http://127.0.0.1:$port/"; sleep 0.05; done ) >"$T/client.txt" 2>/dev/null &
	client=$!
	sleep 0.5
	"$LOOPSCOPE" heap snapshot "$app" -o "$T/s.heapsnapshot" >"$T/snap.out" 2>"$T/snap.err" || fail "snapshot: $(cat "$T/snap.err")"
	sleep 0.3
	kill $client; wait $client 2>/dev/null
	kill $app; wait $app 2>/dev/null
	pause=$(sed -n 's/.*paused \([0-9]*\) ms$/\1/p' "$T/snap.out")
	slowest=$(sort -g "$T/client.txt" | tail -1 | awk '{printf "%.0f", $1 * 1000}')
	bytes=$(stat -c %s "$T/s.heapsnapshot")
	/usr/bin/time -f '%e %M' -o "$T/time.txt" "$LOOPSCOPE" heap diff --json "$T/s.heapsnapshot" "$T/s.heapsnapshot" >"$T/diff.json" ||
		fail "heap diff: $(cat "$T/time.txt")"
	read -r secs kb <"$T/time.txt"
	nodes=$(json "$T/diff.json" 'd["old"]["nodes"]')
	printf '%-8s %9s %10.1f %10s %12s %12s %10.0f %10.1f\n' "${k}k" "$nodes" "$(echo "$bytes / 1000000" | bc -l)" "$pause" "$slowest" \
		"$secs" "$(echo "$kb / 1000" | bc -l)" "$(echo "2 * $bytes / 1000000 / ($secs + 0.001)" | bc -l)"
	rm -f "$T/s.heapsnapshot"
done
