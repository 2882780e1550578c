'use strict';
// idle: an event loop with one timer every 500 ms doing nothing, for --seconds. The baseline a
// profiler should report as (almost) fully idle. Prints ELU and event-loop delay as JSON.
// Usage: node idle.js [--seconds 5]

const { options, runPeriodic, DELAY_NOTE } = require('./common');

const opt = options({ seconds: 5 });

setImmediate(async () => {
  const r = await runPeriodic({ periodMs: 500, seconds: opt.seconds }, () => {});
  console.log(JSON.stringify({
    workload: 'idle', pid: process.pid,
    elu: r.elu, active_ms: r.active_ms, idle_ms: r.idle_ms, elapsed_ms: r.elapsed_ms,
    delay: r.delay, ticks: r.ticks, period_ms: 500, seconds: opt.seconds, note: DELAY_NOTE,
  }));
});
