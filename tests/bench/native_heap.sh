# What the native heap sampler costs a server's throughput, against the agent alone and heaptrack.
# Two servers, each under wrk -t1 -cCONNS on '/' for SECONDS_PER_RUN (after 1 s of warm-up), started afresh
# for every measurement, pinned to the last CPU with whatever they start (the agent's thread,
# heaptrack's interpreter), wrk to the first (tests/bench/lib.sh, measure_rps):
#   node    tests/workloads/node/server.js PORT
#   uvleak  build/workloads/uvleak --no-leak --port PORT (churn only: 64 KiB malloc'd, filled and
#           freed per request, so that it can run long)
# each in these configurations:
#   plain      nothing preloaded
#   agent      LD_PRELOAD=build/lib/libloopscope.so LOOPSCOPE_DIR=<a new private directory>
#   heap       LD_PRELOAD=build/lib/libloopscope-heap.so:build/lib/libloopscope.so
#              LOOPSCOPE_DIR=<a new private directory>: what `loopscope run --heap` preloads, at the
#              default rate (524288 bytes; LOOPSCOPE_HEAP_RATE in the environment changes it), without
#              run's probes and V8 flags
#   heaptrack  heaptrack -o <a new directory>/heaptrack CMD (Debian's heaptrack: every allocation,
#              with its stack, through a pipe to heaptrack_interpret, compressed with zstd)
# measured in paired rounds (tests/bench/lib.sh, paired_rounds): ROUNDS rounds of one measurement per
# configuration in a rotating order; a configuration's figure is the median of its throughput over
# plain's in the same round. Markdown table on stdout, every measurement in OUT.
#   ROUNDS (10), SECONDS_PER_RUN (5), CONNS (20), SERVERS (node uvleak), CONFIGS (plain agent heap heaptrack),
#   OUT ($BUILD/bench/native_heap.tsv)
. tests/lib.sh
. tests/bench/lib.sh
: "${ROUNDS:=10}" "${SECONDS_PER_RUN:=5}" "${CONNS:=20}" "${OUT:=$BUILD/bench/native_heap.tsv}"
read -r -a workloads <<<"${SERVERS:-node uvleak}"
read -r -a configs <<<"${CONFIGS:-plain agent heap heaptrack}"
[ "${configs[0]}" = plain ] || fail "CONFIGS must start with plain (the ratios' base): ${configs[*]}"

command -v wrk >/dev/null || fail "wrk is not installed (mk/deps.sh installs it)"
command -v node >/dev/null || fail "node is not installed (mk/deps.sh installs nodejs)"
if [[ " ${configs[*]} " == *" heaptrack "* ]] && ! command -v heaptrack >/dev/null; then
	mk/deps.sh >&2 || fail "heaptrack is not installed, and mk/deps.sh could not install it"
	command -v heaptrack >/dev/null || fail "heaptrack is not installed (Debian package heaptrack)"
fi
[ -e "$AGENT" ] || fail "$AGENT is not built (make all)"
[ -e "$HEAP_LIB" ] || fail "$HEAP_LIB is not built (make all)"
[ -x "$WORKLOADS/uvleak" ] || fail "$WORKLOADS/uvleak is not built (make workloads)"

# under CONFIG DIR CMD... PORT: exec the server under CONFIG; DIR is made for its files (a function
# for measure_rps: the subshell it runs in becomes the server, or heaptrack's script).
under() {
	local cfg=$1 dir=$2
	shift 2
	mkdir -m 700 "$dir"
	case $cfg in
	plain) exec "$@" ;;
	agent) exec env LD_PRELOAD="$AGENT" LOOPSCOPE_DIR="$dir" "$@" ;;
	heap) exec env LD_PRELOAD="$HEAP_LIB:$AGENT" LOOPSCOPE_DIR="$dir" "$@" ;;
	heaptrack) exec heaptrack -o "$dir/heaptrack" "$@" ;;
	esac
}

for w in "${workloads[@]}"; do [ -n "$(server_command "$w")" ] || fail "unknown server $w (node, uvleak)"; done
for c in "${configs[@]}"; do
	case $c in plain | agent | heap | heaptrack) ;; *) fail "unknown configuration $c (plain agent heap heaptrack)" ;; esac
done

echo "machine: $(nproc) CPUs, $(uname -r), node $(node --version), $(heaptrack --version 2>/dev/null | head -n 1 || echo 'no heaptrack')"
echo "wrk -t1 -c$CONNS on /, ${SECONDS_PER_RUN} s per measurement after 1 s of warm-up, $ROUNDS rounds; server on CPU $SERVER_CPU, wrk on CPU $LOAD_CPU"
paired_rounds
