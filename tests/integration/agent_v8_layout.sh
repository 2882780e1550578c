# The agent reads V8's HeapStatistics only with a layout it knows for that V8 version, and checks it.
# Workload: fake-v8, a program exporting V8's API names (as node does), with
#   a known version and V8 11's layout   -> heap records, no refusal;
#   version 99 (unknown)                 -> no heap records, GetHeapStatistics never called, refusal
#                                           said once ("unknown V8 version");
#   version 11 with a layout that writes past the struct -> called once, refused, said once.
# In every case the program runs normally and its GC callbacks are recorded.
. tests/lib.sh

run_fake() {
	FAKE_V8_VERSION="$2" FAKE_V8_LAYOUT="$3" LOOPSCOPE_DIR="$T/$1" LD_PRELOAD="$AGENT" "$WORKLOADS/fake-v8" --seconds 1 |
		tail -1 >"$T/$1.json" ||
		fail "fake-v8 $2 $3 failed under the agent"
	v8=$(count_records "$T/$1/agent-*.jsonl" v8)
	refusals=$(grep -h '"type":"v8"' "$T"/$1/agent-*.jsonl | grep -c heap_refused)
	heaps=$(count_records "$T/$1/agent-*.jsonl" heap)
	gcs=$(count_records "$T/$1/agent-*.jsonl" gc)
	calls=$(json "$T/$1.json" 'd["heap_statistics_calls"]')
	note "version $2, layout $3: heap records $heaps, refusals said $refusals, GetHeapStatistics calls $calls, gc records $gcs"
	at_least "gc records" "$gcs" 3 || fail "GC callbacks not recorded"
}

run_fake good 11.3.0 good
at_least "heap records" "$heaps" 5 || fail "no heap figures with a known layout"
[ "$refusals" -eq 0 ] || fail "refused a good layout"

run_fake unknown 99.0.0 good
[ "$heaps" -eq 0 ] && [ "$calls" -eq 0 ] && [ "$refusals" -eq 1 ] || fail "unknown version not refused once"
grep -q 'unknown V8 version' "$T"/unknown/agent-*.jsonl || fail "refusal does not say why"

run_fake bad 11.3.0 bad
[ "$heaps" -eq 0 ] && [ "$calls" -eq 1 ] && [ "$refusals" -eq 1 ] || fail "bad layout not refused once"
grep -q 'did not match the layout' "$T"/bad/agent-*.jsonl || fail "refusal does not say why"
