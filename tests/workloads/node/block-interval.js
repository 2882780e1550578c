'use strict';
// block-interval: every --period-ms a timer callback runs reallySlowChecksum(--block-ms), busy CPU on
// the main thread, for --seconds. Prints the runtime's own view (ELU, event-loop delay) as JSON.
// Usage: node block-interval.js [--block-ms 40] [--period-ms 100] [--seconds 5]

const { options, blockInterval, DELAY_NOTE } = require('./common');

const opt = options({ 'block-ms': 40, 'period-ms': 100, seconds: 5 });

// Start once the event loop runs: ELU is only defined from the loop's start.
setImmediate(async () => {
  const r = await blockInterval(opt);
  console.log(JSON.stringify({
    workload: 'block-interval', pid: process.pid,
    elu: r.elu, expected_elu: r.expected_elu, active_ms: r.active_ms, idle_ms: r.idle_ms,
    elapsed_ms: r.elapsed_ms, delay: r.delay, blocks: r.blocks,
    block_ms: opt.blockMs, period_ms: opt.periodMs, seconds: opt.seconds, note: DELAY_NOTE,
  }));
});
