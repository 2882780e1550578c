#!/usr/bin/env bash
# libuv's own test suite, built against the system's shared libuv1, run plainly and under the agent:
# prints the tests whose outcome differs and fails when a test that passes plainly fails under it.
# Usage (from the repository root): tests/libuv-suite.sh [LIBUV_SOURCE_TREE]
#
# Without a tree, `apt-get source libuv1=<installed version>` fills $BUILD/libuv-src (deb-src lines
# are derived from the deb lines in a private apt directory when the system has none). The runner is
# compiled from the tree's test/*.c and linked to the installed libuv.so.1, the library the agent
# meets in real use. libuv refuses to run its suite as root: as root it runs as nobody (setpriv),
# unless LIBUV_SUITE_USER=root.
# Each test runs alone (`uv_run_tests NAME`), serially: the suite binds fixed ports 9123-9125 on
# loopback and wildcard addresses, so two runs at once collide. Tests that send packets off the
# machine are left out (EXCLUDE below); RES_OPTIONS=attempts:0 keeps the resolver from sending any.
# A test that passes plainly and fails under the agent is rerun RERUNS more times in each mode: it is
# a regression when every plain run passes and at least half the agent runs fail (else "flaky").
# Environment: LIBUV_SUITE_AGENT (agent library, default $BUILD/lib/libloopscope.so),
# LIBUV_SUITE_TESTS (names to run instead of the whole list), LIBUV_SUITE_RERUNS (default 3),
# LIBUV_SUITE_LINK=static (the runner linked with libuv_a.a of libuv1-dev: libuv inside the program),
# LIBUV_SUITE_AGENT_ENV (more settings for the agent, e.g. "LOOPSCOPE_BLOCK_MS=1 LOOPSCOPE_STACK_MS=1"
# to take stacks, with their signals, all through every test),
# LIBUV_SUITE_USER=root runs it as root (with libuv's UV_RUN_AS_ROOT; setuid spawns and files of
# other users then run too), KEEP=1 keeps the scratch directory (per-test outputs and record files).
SRC_ARG=${1:+$(cd "$1" 2>/dev/null && pwd || echo "$1")}
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh

AGENT_LIB=${LIBUV_SUITE_AGENT:-$AGENT}
RERUNS=${LIBUV_SUITE_RERUNS:-3}
TEST_LIMIT=300 # seconds; the runner's own per-test timeouts are shorter
# 8.8.8.8, 1.2.3.4 (connect timeouts) and 239.255.0.1 (multicast sends) are not on this machine.
EXCLUDE="tcp_connect_timeout tcp_close_while_connecting udp_multicast_interface udp_multicast_ttl
udp_multicast_join udp_multicast_join6"

[ -f "$AGENT_LIB" ] || fail "no agent at $AGENT_LIB (make -j2 first)"
command -v cc >/dev/null || skip "no C compiler (apt-get install gcc)"
VER=$(dpkg-query -W -f='${Version}' libuv1 2>/dev/null) || skip "libuv1 is not installed (apt-get install libuv1)"

# --- the source tree --------------------------------------------------------------------------------
apt_source() { # into $1: libuv1 at the installed version
	local dir=$1 a f o
	command -v dpkg-source >/dev/null || skip "no libuv source tree given and no dpkg-source (apt-get install dpkg-dev)"
	mkdir -p "$dir"
	a="$(cd "$dir" && pwd)/../libuv-apt"
	(cd "$dir" && apt-get source -q "libuv1=$VER") >"$T/apt.log" 2>&1 && return 0
	# No deb-src lines: the same mirrors' source indexes in a private list directory.
	rm -rf "$a" && mkdir -p "$a/sources.list.d" "$a/lists/partial"
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && sed 's/^Types:.*/Types: deb-src/' "$f" >"$a/sources.list.d/$(basename "$f")"
	done
	sed -n 's/^deb\([[:space:]]\)/deb-src\1/p' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		>"$a/sources.list" 2>/dev/null
	o="-o Dir::Etc::SourceList=$a/sources.list -o Dir::Etc::SourceParts=$a/sources.list.d -o Dir::State::Lists=$a/lists
	   -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=" # the system's own lists and caches stay as they are
	# shellcheck disable=SC2086
	{ apt-get $o -q update && (cd "$dir" && apt-get $o -q source "libuv1=$VER"); } >>"$T/apt.log" 2>&1 ||
		skip "apt-get source libuv1=$VER failed (last lines of its log below); pass a libuv source tree
$(tail -n 5 "$T/apt.log")"
}

SRC=$SRC_ARG
if [ -z "$SRC" ]; then
	SRC=$(ls -d "$BUILD"/libuv-src/libuv1-*/ 2>/dev/null | head -n 1)
	if [ -z "$SRC" ]; then
		note "fetching the source of libuv1 $VER into $BUILD/libuv-src"
		apt_source "$BUILD/libuv-src"
		SRC=$(ls -d "$BUILD"/libuv-src/libuv1-*/ 2>/dev/null | head -n 1)
	fi
fi
SRC=$(cd "$SRC" 2>/dev/null && pwd) || fail "no libuv source tree at '${SRC_ARG:-$BUILD/libuv-src}'"
[ -f "$SRC/test/run-tests.c" ] && [ -f "$SRC/include/uv/version.h" ] || fail "$SRC is not a libuv source tree"
src_ver=$(awk '/define UV_VERSION_(MAJOR|MINOR|PATCH)/ {v = v (v ? "." : "") $3} END {print v}' \
	"$SRC/include/uv/version.h")
[ "$src_ver" = "${VER%%-*}" ] || note "warning: tests of libuv $src_ver against the installed libuv1 $VER"

# --- the runner, linked to the installed libuv.so.1 (or libuv_a.a) ---------------------------------------
out="$BUILD/libuv-suite"
if [ "$(cat "$out/source" 2>/dev/null)" != "$SRC" ] || [ ! -f "$out/objs.done" ] ||
	[ -n "$(find "$SRC/test" "$SRC/include" -newer "$out/objs.done" -print -quit)" ]; then
	rm -rf "$out" && mkdir -p "$out/obj"
	note "compiling libuv's tests from $SRC"
	# The flags of libuv's CMakeLists for its runner on Linux.
	export UV_CFLAGS="-g -O2 -std=gnu90 -fno-strict-aliasing -fvisibility=hidden -DUSING_UV_SHARED=1
		-D_FILE_OFFSET_BITS=64 -D_GNU_SOURCE -D_LARGEFILE_SOURCE -D_POSIX_C_SOURCE=200112 -I$SRC/include"
	for f in runner-unix runner run-tests echo-server blackhole-server; do echo "$SRC/test/$f.c"; done |
		cat - <(ls "$SRC"/test/test-*.c) |
		xargs -P "$(nproc)" -I{} sh -c 'cc $UV_CFLAGS -c "$1" -o "$2/$(basename "$1" .c).o"' _ {} "$out/obj" \
			>"$out/build.log" 2>&1 || { tail -n 20 "$out/build.log" >&2; fail "compiling libuv's tests failed"; }
	echo "$SRC" >"$out/source"
	touch "$out/objs.done"
fi
if [ "${LIBUV_SUITE_LINK:-shared}" = static ]; then
	# libuv inside the program, as node and statically linked servers have it.
	uvlib=$(find /usr/lib /usr/lib64 -name libuv_a.a -print -quit 2>/dev/null)
	[ -n "$uvlib" ] || skip "no libuv_a.a for LIBUV_SUITE_LINK=static (apt-get install libuv1-dev)"
	RUNNER_BUILT="$out/uv_run_tests_a" lib=("$uvlib")
else
	RUNNER_BUILT="$out/uv_run_tests" lib=(-l:libuv.so.1)
fi
if [ ! -x "$RUNNER_BUILT" ] || [ "$out/objs.done" -nt "$RUNNER_BUILT" ]; then
	cc -o "$RUNNER_BUILT" "$out"/obj/*.o "${lib[@]}" -lutil -lpthread -ldl -lrt >>"$out/build.log" 2>&1 ||
		{ tail -n 20 "$out/build.log" >&2; fail "linking libuv's test runner to ${lib[*]} failed"; }
fi
if [ "${LIBUV_SUITE_LINK:-shared}" = static ]; then
	! ldd "$RUNNER_BUILT" | grep -q libuv.so || fail "the static runner loads a libuv.so"
	note "runner: libuv $src_ver tests linked with $uvlib (libuv1-dev $(dpkg-query -W -f='${Version}' libuv1-dev 2>/dev/null))"
else
	uvlib=$(ldd "$RUNNER_BUILT" | awk '$1 == "libuv.so.1" {print $3}')
	[ -n "$uvlib" ] || fail "the runner does not load libuv.so.1"
	note "runner: libuv $src_ver tests linked to $(readlink -f "$uvlib") (libuv1 $VER)"
fi

# --- where and as whom it runs ---------------------------------------------------------------------------
[ -z "${KEEP:-}" ] || note "scratch directory (kept): $T"
chmod 755 "$T"
cp "$RUNNER_BUILT" "$T/uv_run_tests"
cp "$AGENT_LIB" "$T/libloopscope.so"
AS="" ROOT_ENV=()
if [ "$(id -u)" = 0 ] && [ "${LIBUV_SUITE_USER:-nobody}" = root ]; then
	ROOT_ENV=(UV_RUN_AS_ROOT=1) # libuv's opt-in; its setuid/setgid spawn tests run only as root
elif [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null || skip "libuv's suite refuses root and there is no setpriv to drop to nobody"
	AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
fi
for mode in plain agent; do
	mkdir -p "$T/$mode/cwd/test" "$T/$mode/home" "$T/$mode/records" "$T/$mode/out"
	cp -r "$SRC/test/fixtures" "$T/$mode/cwd/test/"
	[ -z "$AS" ] || chown -R 65534:65534 "$T/$mode"
	[ -n "$AS" ] || chmod 700 "$T/$mode/records" # the agent records only into a private directory
done

# run_one MODE NAME TRY: prints pass, skip, fail or "crash (exit N)"; the output is in $T/MODE/out/.
run_one() {
	local d="$T/$1" name=$2 o="$T/$1/out/$2.$3" pre=() rc line
	# shellcheck disable=SC2206
	[ "$1" = agent ] && pre=("LD_PRELOAD=$T/libloopscope.so" "LOOPSCOPE_DIR=$d/records/$name.$3" ${LIBUV_SUITE_AGENT_ENV:-})
	# shellcheck disable=SC2086
	(cd "$d/cwd" && timeout -k 5 "$TEST_LIMIT" $AS env -i PATH=/usr/bin:/bin HOME="$d/home" \
		RES_OPTIONS=attempts:0 UV_TEST_TIMEOUT_MULTIPLIER=2 "${ROOT_ENV[@]}" "${pre[@]}" "$T/uv_run_tests" "$name") </dev/null >"$o" 2>&1
	rc=$?
	line=$(grep -m 1 -E "^(not )?ok 1 - " "$o")
	case "$line" in
	"ok 1 - $name # SKIP"*) echo skip ;;
	"ok 1 - $name") [ $rc -eq 0 ] && echo pass || echo "crash (exit $rc after ok)" ;;
	"not ok 1 - $name"*) echo fail ;;
	*) echo "crash (exit $rc)" ;;
	esac
}

if [ -n "${LIBUV_SUITE_TESTS:-}" ]; then
	TESTS=$LIBUV_SUITE_TESTS
else
	# shellcheck disable=SC2086
	TESTS=$(cd "$T/plain/cwd" && $AS env "${ROOT_ENV[@]}" "$T/uv_run_tests" --list | awk '{print $1}')
	[ -n "$TESTS" ] || fail "the runner lists no tests"
	for x in $EXCLUDE; do TESTS=$(echo "$TESTS" | grep -vx "$x"); done
	note "left out (they send to addresses off this machine):" $EXCLUDE
fi

for mode in plain agent; do
	start=$(date +%s%N)
	for name in $TESTS; do echo "$name $(run_one $mode "$name" 0)"; done >"$T/$mode.results"
	ms=$((($(date +%s%N) - start) / 1000000))
	note "$(printf '%-5s' $mode) $(wc -l <"$T/$mode.results") tests in $((ms / 1000)).$((ms % 1000 / 100)) s:" \
		"$(grep -c ' pass$' "$T/$mode.results") pass, $(grep -c ' skip$' "$T/$mode.results") skip," \
		"$(grep -vc ' pass$\| skip$' "$T/$mode.results") fail:" \
		"$(grep -v ' pass$\| skip$' "$T/$mode.results" | cut -d' ' -f1 | tr '\n' ' ')"
done

regressions=0
while read -r name plain agent; do
	[ "$plain" = "$agent" ] && continue
	if [ "$plain" != pass ] || [ "$agent" = skip ]; then
		echo "differs: $name: plain $plain, agent $agent"
		continue
	fi
	pfail=0 afail=1
	for i in $(seq 1 "$RERUNS"); do
		[ "$(run_one plain "$name" "$i")" = pass ] || pfail=$((pfail + 1))
		[ "$(run_one agent "$name" "$i")" = pass ] || afail=$((afail + 1))
	done
	runs=$((RERUNS + 1))
	if [ $pfail -eq 0 ] && [ $((2 * afail)) -ge $runs ]; then
		regressions=$((regressions + 1))
		echo "REGRESSION: $name: plain passed $runs/$runs, agent failed $afail/$runs (first: $agent):"
	else
		echo "flaky: $name: plain failed $pfail/$runs, agent failed $afail/$runs (first: $agent):"
	fi
	grep -v -E '^(not )?ok 1 - ' "$T/agent/out/$name.0" | head -n 15 | sed 's/^/    /'
done < <(join <(sort "$T/plain.results" | sed 's/ /\t/') <(sort "$T/agent.results" | sed 's/ /\t/') -t "$(printf '\t')" |
	awk -F'\t' '{gsub(/ /, "_", $2); gsub(/ /, "_", $3); print $1, $2, $3}')

# The agent was really there: libuv's loops were recorded.
nfiles=$(find "$T/agent/records" -name 'agent-*.jsonl' | wc -l)
nloops=$(find "$T/agent/records" -name 'agent-*.jsonl' -exec cat {} + | grep -c '"type":"loop"')
nuid=$(find "$T/agent/records" -path '*/uid-*/agent-*.jsonl' | wc -l)
note "agent records: $nfiles process files ($nuid of processes that changed user), $nloops loop records"
[ "$regressions" -eq 0 ] || fail "$regressions libuv test(s) pass plainly and fail under the agent"
[ "$nfiles" -gt 0 ] && [ "$nloops" -gt 0 ] || fail "the agent recorded no libuv loop (records under $T/agent/records)"
note "no libuv test passes plainly and fails under the agent"
