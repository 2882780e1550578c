'use strict';
// never-idle: a loop that never waits. Once the loop runs, a callback prints a line, runs
// reallySlowChecksum(--first-block-ms) and prints a line with its start and end (process.hrtime:
// CLOCK_MONOTONIC ns, the profiler's clock); then, for --seconds, a
// setImmediate chain whose callbacks each burn --work-us of CPU, so every poll has a zero timeout
// and returns at once (a server whose loop is always behind). A profiler attached during the first
// block finds the loop busy from its first moment. Prints the runtime's own ELU over the chain.
// Usage: node never-idle.js [--first-block-ms 4000] [--work-us 50] [--seconds 10]

const { performance } = require('node:perf_hooks');
const { options, reallySlowChecksum, round4 } = require('./common');

const opt = options({ 'first-block-ms': 4000, 'work-us': 50, seconds: 10 });

setImmediate(() => {
  console.log(JSON.stringify({ blocking: opt.firstBlockMs }));
  const start = process.hrtime.bigint();
  let sink = reallySlowChecksum(opt.firstBlockMs);
  console.log(JSON.stringify({ start_ns: String(start), blocked_until_ns: String(process.hrtime.bigint()) }));
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  let callbacks = 0;
  (function next() {
    const end = performance.now() + opt.workUs / 1000;
    while (performance.now() < end) sink ^= callbacks;
    callbacks++;
    if (performance.now() - t0 < opt.seconds * 1000) return setImmediate(next);
    const elu = performance.eventLoopUtilization(elu0);
    console.log(JSON.stringify({
      workload: 'never-idle', pid: process.pid, elu: round4(elu.utilization),
      elapsed_ms: Math.round((performance.now() - t0) * 10) / 10, callbacks,
      first_block_ms: opt.firstBlockMs, work_us: opt.workUs, seconds: opt.seconds, checksum: sink >>> 0,
    }));
  })();
});
