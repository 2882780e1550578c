# Agent safety: processes with no event loop (ls, bash -c, python3 -c) run exactly as without the
# agent — same output, same exit status — and leave no record files (no loop, no agent thread).
. tests/lib.sh

run_both() {
	local want got
	want=$(bash -c "$1" 2>&1; echo "exit=$?")
	got=$(LOOPSCOPE_DIR="$T/d" LD_PRELOAD="$AGENT" bash -c "$1" 2>&1; echo "exit=$?")
	[ "$got" = "$want" ] || fail "'$1' changed under the agent: want [$want] got [$got]"
	note "'$1': same output and status ($(echo "$want" | tail -1))"
}

run_both 'ls / | head -3'
run_both 'echo hi; exit 3'
run_both 'python3 -c "import sys; print(42); sys.exit(5)"'
run_both 'sort -n <<< "$(printf "3\n1\n2\n")"'
[ ! -e "$T/d" ] || [ -z "$(ls -A "$T/d")" ] || fail "record files for processes without a loop: $(ls "$T/d")"
note "no record files written"
