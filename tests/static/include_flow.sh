#!/usr/bin/env bash
# The include direction: every `#include "..."` of a C file in agent/, probes/, collector/*/,
# reports/ and cli/ names a header its folder's README allows on its "**May include:**" line
# (backquoted paths: a folder ending in / allows all of it; * matches any name), or one of its own folder.
# Workload: this repository, then a copy of one folder with a planted include against the flow.
# Expected: no violation in the repository; exactly the planted one in the copy.
set -u
cd "$(dirname "$0")/../.."

check() { # ROOT: prints one line per include against the flow; exits 1 if any
	python3 - "$1" <<'PY'
import fnmatch, os, re, sys
root = sys.argv[1]
folders = ["agent", "agent/heap", "probes", "collector/util", "collector/symbols", "collector/analysis",
           "collector/record", "reports", "cli"]
allowed, bad = {}, 0
for d in folders:
    readme = os.path.join(root, d, "README.md")
    text = open(readme).read() if os.path.exists(readme) else ""
    m = re.search(r"^\*\*May include:\*\*(.*?)(?:\n\s*\n|\Z)", text, re.M | re.S)
    if not m:
        print(f"{d}/README.md: no '**May include:**' line"); bad += 1; continue
    allowed[d] = [d + "/"] + re.findall(r"`([^`]+)`", m.group(1))
for d in folders:
    for name in sorted(os.listdir(os.path.join(root, d))):
        if not name.endswith((".c", ".h")): continue
        path = os.path.join(d, name)
        for n, line in enumerate(open(os.path.join(root, path)), 1):
            m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if not m: continue
            inc = m.group(1)
            if "/" not in inc and os.path.exists(os.path.join(root, d, inc)):
                inc = d + "/" + inc          # probes/*.bpf.c name their neighbours bare
            elif not os.path.exists(os.path.join(root, inc)) and not inc.endswith(".skel.h") and inc != "vmlinux.h":
                print(f"{path}:{n}: includes {inc}, which is not a file of the project"); bad += 1; continue
            if not any(fnmatch.fnmatch(inc, a + "*" if a.endswith("/") else a) for a in allowed.get(d, [])):
                print(f"{path}:{n}: includes {inc}: not on {d}/README.md's May include line"); bad += 1
sys.exit(1 if bad else 0)
PY
}

check . || { echo "FAIL: includes against the flow (docs/architecture.md, 'Who may include what')"; exit 1; }
echo "repository: every include follows the flow"

# The check can fail: reports/ reading the symbolizer directly is against the flow.
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cp -r agent probes collector reports cli "$T"/
echo '#include "collector/symbols/symbolize.h"' >>"$T/reports/report.c"
out=$(check "$T") && { echo "FAIL: a planted include of the symbolizer in reports/ was not caught"; exit 1; }
[ "$(echo "$out" | wc -l)" = 1 ] && echo "$out" | grep -q "reports/report.c:.*collector/symbols/symbolize.h" ||
	{ echo "FAIL: want exactly the planted violation, got: $out"; exit 1; }
echo "planted violation caught: $out"
