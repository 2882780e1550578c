# A node program whose first event loop is not its main one: execFileSync before anything else
# polls a loop of its own (libuv's spawnSync), which becomes the thread's first registered loop and
# then stops. The main loop that follows must get the heap figures and the GC pauses (docs/agent.md,
# "V8"): before, they stayed with the dead loop, so the heap was read once, at the start, and a
# growing heap showed as flat. Workload: execFileSync('true'), then for 2 s every 100 ms 20 000
# objects with 100-character strings kept (~60 MB). Expected: at least 12 heap records (one per
# 100 ms interval; before: 1); summary.json's heap peak at least 30 MB (before: ~4); nearly all
# GC records (at least 90 %) on the main loop, the one with the most intervals.
. tests/lib.sh
command -v node >/dev/null || skip "node is not installed (Debian package nodejs; make deps installs it)"

cat >"$T/app.js" <<'JS'
require('node:child_process').execFileSync('true');
const keep = [];
const t = setInterval(() => { for (let i = 0; i < 20000; i++) keep.push({ i, s: `${i}`.padEnd(100, 'x') }); }, 100);
setTimeout(() => clearInterval(t), 2000);
JS
"$LOOPSCOPE" run -q --no-report --no-bpf -o "$T/s" -- node "$T/app.js" >/dev/null 2>"$T/err" || fail "run: $(cat "$T/err")"
agent=$(ls "$T"/s/agent-*.jsonl | head -1)
heaps=$(grep -c '"type":"heap"' "$agent")
loops=$(grep -c '"type":"loop"' "$agent")
main=$(grep '"type":"interval"' "$agent" | sed 's/.*"loop":\([0-9]*\).*/\1/' | sort | uniq -c | sort -rn | awk 'NR == 1 {print $2}')
gcs=$(grep -c '"type":"gc"' "$agent")
gc_main=$(grep '"type":"gc"' "$agent" | grep -c "\"loop\":$main,")
peak=$(json "$T/s/summary.json" 'd["heap"]["used_max_mb"]')
note "$loops loops; main loop $main; $heaps heap records; GC records $gc_main of $gcs on the main loop; heap peak $peak MB"
[ "$loops" -ge 2 ] || fail "execFileSync's loop was not seen: $loops loops"
[ "$heaps" -ge 12 ] || fail "$heaps heap records in 2 s (expected one per 100 ms interval)"
at_least "heap peak (MB)" "$peak" 30
[ $((gc_main * 10)) -ge $((gcs * 9)) ] || fail "GC records on the main loop: $gc_main of $gcs"
