# The live progress line of `loopscope run` on a terminal (cli/cmd_run.c draws it from what run
# counts). Workload: epoll-loop blocking 60 ms every 200 ms for 3 s under `run --no-bpf`, its
# stderr a pseudo-terminal (script(1)). Expected: a line redrawn in place ("\r\033[K") at least
# twice, the last one before the end naming 1 process, 1 loop, at least 5 blocks and an ELU of
# 0.30 +- 0.10; dim (ESC[2m) by default, no colour escape with NO_COLOR=1; with -q, or with
# stderr not a terminal, no progress line at all.
. tests/lib.sh

command -v script >/dev/null || skip "script(1) is not installed (Debian package bsdutils)"

progress() { # OUT [RUN OPTION]: run under a pty, the output with every \r a line break
	local out=$1
	shift
	script -qec "$LOOPSCOPE run $* --no-bpf --no-report -o $T/s$RANDOM -- $WORKLOADS/epoll-loop --block-ms 60 --period-ms 200 --seconds 3" \
		/dev/null >"$out.raw" 2>&1 </dev/null || fail "run under a pty failed: $(tail -3 "$out.raw")"
	tr '\r' '\n' <"$out.raw" | grep -a 'loopscope [0-9]*s ·' >"$out" || true
}

progress "$T/color"
lines=$(wc -l <"$T/color")
note "$lines progress lines; last: $(tail -1 "$T/color" | cat -v)"
[ "$lines" -ge 2 ] || fail "want the line redrawn at least twice, got $lines: $(cat -v "$T/color.raw" | head -5)"
last=$(tail -1 "$T/color")
echo "$last" | grep -q '1 process · 1 loop' || fail "last line does not count 1 process and 1 loop: $(echo "$last" | cat -v)"
blocks=$(echo "$last" | sed -n 's/.* \([0-9]*\) blocks.*/\1/p')
at_least "blocks counted" "${blocks:-0}" 5 || fail "blocks"
elu=$(echo "$last" | sed -n 's/.*ELU \([0-9.]*\).*/\1/p')
within "main loop ELU on the line" "${elu:-0}" 0.30 0.10 || fail "ELU"
grep -q $'\033\\[2m' "$T/color" || fail "no dim escape on a terminal"

NO_COLOR=1 progress "$T/plain"
[ -s "$T/plain" ] || fail "no progress line with NO_COLOR=1"
if grep -q $'\033\\[[0-9]*m' "$T/plain"; then fail "a colour escape with NO_COLOR=1: $(head -1 "$T/plain" | cat -v)"; fi

progress "$T/quiet" -q
[ -s "$T/quiet" ] && fail "a progress line with -q: $(head -1 "$T/quiet" | cat -v)"

"$LOOPSCOPE" run --no-bpf --no-report -o "$T/pipe" -- "$WORKLOADS/epoll-loop" --seconds 2 >/dev/null 2>"$T/pipe.err" ||
	fail "run with stderr to a file failed"
if grep -qa 'loopscope [0-9]*s ·' "$T/pipe.err"; then fail "a progress line on a stderr that is not a terminal"; fi
note "no progress line with -q, or when stderr is a file"
