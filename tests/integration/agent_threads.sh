# Agent safety: threads that come and go. Workload: 50 short-lived threads, at most 4 alive at once,
# each with its own epoll loop. Expected: the program's output is unchanged; 50 loops are recorded,
# each ends with its thread (50 loop_end records) and none is dropped (slots are recycled).
. tests/lib.sh

want=$("$WORKLOADS/threads" --seconds 2 --threads 50 --alive 4) || fail "threads failed without the agent"
got=$(LOOPSCOPE_DIR="$T/d" LD_PRELOAD="$AGENT" "$WORKLOADS/threads" --seconds 2 --threads 50 --alive 4) ||
	fail "threads failed under the agent"
[ "$(echo "$got" | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["threads_run"])')" = 50 ] ||
	fail "output changed: $got"
records_valid "$T/d" >/dev/null || fail "invalid records"
loops=$(count_records "$T/d/agent-*.jsonl" loop)
ends=$(count_records "$T/d/agent-*.jsonl" loop_end)
within "loops recorded" "$loops" 50 0 || fail "want 50 loops"
within "loops ended" "$ends" 50 0 || fail "want 50 loop_end"
summarize "$T/d"
within "loops dropped" "$(sum 'd["drops"]["loops"]')" 0 0 || fail "loops were dropped"
