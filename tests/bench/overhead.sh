# What loopscope costs a server per request, decomposed: tests/bench/overhead.py (its opening
# comment says how; docs/performance.md has the results). Each component's CPU per request against
# its base, with 95 % intervals, for node hello-world, the C libuv server and a CPU-heavy node route;
# then the agent thread's, the eBPF programs' and the collector's own CPU per request.
#   WORKLOADS, CONFIGS, SETS (3), ROUNDS (5), SECONDS (2), WARMUP (5), CONNS (20), OUT
. tests/lib.sh
command -v wrk >/dev/null || fail "wrk is not installed (mk/deps.sh installs it)"
/usr/bin/env python3 tests/bench/overhead.py
