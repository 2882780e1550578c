#!/usr/bin/env bash
# The flamegraph viewer's model (reports/assets/flame-model.js) under node: the unit tests in
# tests/unit/js/*.test.js (node:test, node:assert; no npm package, no browser, no build).
# Workload and expected values: at the top of each test file (a folded request-handler profile
# with known counts: tree totals, box widths within 1e-9 px, search match counts, kind filtering).
# Skips (77) without node >= 18 (node:test).
set -u
cd "$(dirname "$0")/../.."

if ! command -v node >/dev/null; then echo "SKIP: node is not installed" >&2; exit 77; fi
node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)' || { echo "SKIP: node >= 18 is needed (node:test)" >&2; exit 77; }
node --check reports/assets/flame-model.js || { echo "FAIL: flame-model.js does not parse"; exit 1; }
shopt -s nullglob
tests=(tests/unit/js/*.test.js)
[ ${#tests[@]} -gt 0 ] || { echo "FAIL: no tests/unit/js/*.test.js"; exit 1; }
node --test "${tests[@]}" || { echo "FAIL: the viewer's model tests"; exit 1; }
