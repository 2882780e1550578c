#!/usr/bin/env bash
# Runs tests and prints one summary line "N passed, N failed"; exits 1 if any failed.
# Each argument is a cmocka unit-test binary (its TAP output counts case by case) or an integration
# script (exit 0 pass, 77 skip, other fail). Logs go to $BUILD/test-logs/.
set -u
: "${BUILD:=build}"
export BUILD
logs="$BUILD/test-logs"
mkdir -p "$logs"
passed=0 failed=0 skipped=0
failures="" skips=""
limit=${TEST_TIMEOUT:-300}

for t in "$@"; do
	name=$(basename "$t" .sh)
	log="$logs/$name.log"
	start=$(date +%s%N)
	case "$t" in
	*.sh)
		timeout -k 5 "$limit" bash "$t" >"$log" 2>&1
		rc=$?
		ms=$((($(date +%s%N) - start) / 1000000))
		secs="$((ms / 1000)).$((ms % 1000 / 100))"
		case $rc in
		0) passed=$((passed + 1)); echo "PASS  $name (${secs}s)" ;;
		77) skipped=$((skipped + 1)); skips="$skips $name"
		    echo "SKIP  $name: $(grep -m1 '^SKIP' "$log" | sed 's/^SKIP: //')" ;;
		*) failed=$((failed + 1)); failures="$failures $name"
		   [ $rc -eq 124 ] && echo "timed out after ${limit}s" >>"$log"
		   echo "FAIL  $name (${secs}s, exit $rc) — last lines of $log:"
		   tail -n 15 "$log" | sed 's/^/      /' ;;
		esac
		;;
	*)
		CMOCKA_MESSAGE_OUTPUT=TAP ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
			timeout -k 5 "$limit" "$t" >"$log" 2>&1
		rc=$?
		ok=$(grep -c '^ok ' "$log")
		bad=$(grep -c '^not ok ' "$log")
		if [ $rc -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; fi # crashed, sanitizer report, or no TAP
		passed=$((passed + ok))
		failed=$((failed + bad))
		if [ "$bad" -gt 0 ]; then
			failures="$failures $name"
			echo "FAIL  $name: $ok passed, $bad failed — last lines of $log:"
			tail -n 15 "$log" | sed 's/^/      /'
		else
			echo "PASS  $name ($ok cases)"
		fi
		;;
	esac
done

[ -n "$skips" ] && echo "skipped:$skips"
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
