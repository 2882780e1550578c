#!/usr/bin/env bash
# make demo: profile the bundled node demo server (tests/workloads/node/server.js) under a bounded
# load — wrk on '/', a few requests that block the loop (/block) and some pool work (/hash) — with
# loopscope run, then show the diagnosis and where the session is.
set -eu
: "${BUILD:=build}"
out="$BUILD/demo"
rm -rf "$out"
load="$BUILD/demo-load.sh"
cat >"$load" <<'SH'
base="http://127.0.0.1:$LOOPSCOPE_PORT"
( for i in 1 2 3 4 5 6 7 8; do curl -s "$base/block?ms=120" >/dev/null; sleep 0.5; done ) &
( for i in 1 2 3 4 5 6 7 8 9 10 11 12; do curl -s "$base/hash?iterations=200000" >/dev/null & done; wait ) &
timeout 30 wrk -t1 -c20 -d6s "$base/"
wait
SH
echo "loopscope demo: profiling tests/workloads/node/server.js under load (about 10 s)"
"$BUILD/bin/loopscope" run -o "$out" --load "bash $load" -- node tests/workloads/node/server.js 0
echo
echo "The session is in $out: summary.json (figures and diagnosis), agent records, perf maps."
echo "  $BUILD/bin/loopscope doctor $out     # the diagnosis again"
if [ -f "$out/report.html" ]; then
	echo "Report: $out/report.html"
else
	echo "Not built yet: the HTML report and flamegraphs (issue 6) and the eBPF probes (issue 5);"
	echo "this demo shows the agent's figures and the diagnosis."
fi
