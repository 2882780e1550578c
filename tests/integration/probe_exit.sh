# A process that exits mid-run keeps its samples named. Workload: node starts a child node that
# spins in childSpin for 2 s and exits (so its start-up, unnamed, is a small share: with 1 s the
# share was 0.77-0.85 on 2 loaded cores); the parent lives 4 s. The child's mappings and perf map
# are read while it lives. Expected: at least 80 % of the child's samples have childSpin on the
# stack.
. tests/lib.sh

cat >"$T/parent.js" <<'JS'
const { spawn } = require('child_process');
const child = spawn(process.execPath, ['-e', `
  function childSpin(ms) { const end = Date.now() + ms; let x = 0; while (Date.now() < end) x = (x * 31 + 7) | 0; return x; }
  console.log(process.pid); childSpin(2000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
child.stdout.on('data', (d) => require('fs').writeFileSync(process.argv[2], String(d).trim()));
setTimeout(() => {}, 4000);
JS
"$LOOPSCOPE" run -q --no-report -o "$T/s" -- node "$T/parent.js" "$T/child.pid" >/dev/null || fail "run failed"
grep -q 'no eBPF probes' "$T/s/session.json" && skip "the kernel refused eBPF"
child=$(cat "$T/child.pid")
share=$(python3 tests/tools/folded.py pid-share "$T/s" "$child" '^childSpin ')
at_least "share of the exited child's samples named childSpin" "$share" 0.80 || fail "the child's samples are not named"
