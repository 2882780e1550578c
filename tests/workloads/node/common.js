'use strict';
// Shared pieces of the Node workloads: option parsing, the CPU-burning reallySlowChecksum, the
// block-every-period pattern (used by block-interval.js and each worker of worker-block.js), and
// summaries of the runtime's own figures (event-loop delay histogram, ELU). No dependencies.

const { parseArgs } = require('node:util');
const { performance, monitorEventLoopDelay } = require('node:perf_hooks');

// options({ 'block-ms': 40, ... }): parses --name VALUE flags as non-negative numbers.
function options(defaults, argv = process.argv.slice(2)) {
  const spec = {};
  for (const name of Object.keys(defaults)) spec[name] = { type: 'string' };
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: spec, strict: true }));
  } catch (err) {
    usage(defaults, err.message);
  }
  const out = {};
  for (const [name, def] of Object.entries(defaults)) {
    const raw = values[name];
    const v = raw === undefined ? def : Number(raw);
    if (!Number.isFinite(v) || v < 0) usage(defaults, `bad value for --${name}: ${raw}`);
    out[name.replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = v;
  }
  return out;
}

function usage(defaults, why) {
  const flags = Object.entries(defaults).map(([n, d]) => `[--${n} ${d}]`).join(' ');
  console.error(`${why}\nusage: node ${require('node:path').basename(process.argv[1])} ${flags}`);
  process.exit(2);
}

// The buffer the checksum walks (xorshift32 noise, so nothing can be folded away).
const NOISE = new Uint8Array(16 * 1024);
for (let i = 0, x = 2463534242; i < NOISE.length; i++) {
  x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
  NOISE[i] = x & 0xff;
}

// Burns CPU on the calling thread for `ms` milliseconds of wall time: FNV-1a passes over NOISE,
// checking the clock after each pass. Returns the checksum so the work is observable.
function reallySlowChecksum(ms) {
  const deadline = performance.now() + ms;
  let sum = 0x811c9dc5;
  do {
    for (let i = 0; i < NOISE.length; i++) sum = Math.imul(sum ^ NOISE[i], 16777619);
  } while (performance.now() < deadline);
  return sum >>> 0;
}

const ms3 = (ns) => Math.round(ns / 1e3) / 1e3; // ns -> ms with 3 decimals

// Summary of a perf_hooks IntervalHistogram (values in ns) as raw milliseconds.
function delaySummary(h) {
  if (h.count === 0) return { min_ms: null, max_ms: null, mean_ms: null, p50_ms: null, p90_ms: null, p99_ms: null, count: 0 };
  return {
    min_ms: ms3(h.min), max_ms: ms3(h.max), mean_ms: ms3(h.mean),
    p50_ms: ms3(h.percentile(50)), p90_ms: ms3(h.percentile(90)), p99_ms: ms3(h.percentile(99)),
    count: h.count,
  };
}

const DELAY_NOTE = 'delay: raw monitorEventLoopDelay({resolution:10}) samples in ms; the 10 ms resolution is NOT subtracted';

const round4 = (x) => Math.round(x * 1e4) / 1e4;

// Calls fn every periodMs for `seconds` from a timer callback. Ticks are due at k*periodMs after the
// start, k = 0 .. ceil(seconds*1000/periodMs)-1, each re-armed from the start time so they do not
// drift; the window ends with a timer at seconds*1000. Resolves with the loop's own figures:
// ELU over the window (eventLoopUtilization delta) and the event-loop delay histogram. SIGUSR2 (main
// thread) starts both figures afresh, so a profiler attached mid-run can be compared over its own
// window, without the time its probes took to load (they compete for the CPU).
// Call once the event loop runs (from a callback), not from the top level of a script.
function runPeriodic({ periodMs, seconds }, fn) {
  return new Promise((resolve) => {
    const n = Math.ceil((seconds * 1000) / periodMs);
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    let elu0 = performance.eventLoopUtilization();
    const restart = () => { h.reset(); elu0 = performance.eventLoopUtilization(); };
    if (require('node:worker_threads').isMainThread) process.on('SIGUSR2', restart);
    const t0 = performance.now();
    let ticks = 0;
    let timer = setTimeout(function tick() {
      fn();
      if (++ticks < n) timer = setTimeout(tick, Math.max(1, Math.round(t0 + ticks * periodMs - performance.now())));
    }, 1);
    setTimeout(() => {
      const elu = performance.eventLoopUtilization(elu0);
      const elapsed = performance.now() - t0;
      clearTimeout(timer);
      h.disable();
      process.removeListener('SIGUSR2', restart);
      resolve({
        elu: round4(elu.utilization),
        active_ms: Math.round(elu.active * 10) / 10,
        idle_ms: Math.round(elu.idle * 10) / 10,
        elapsed_ms: Math.round(elapsed * 10) / 10,
        delay: delaySummary(h),
        ticks,
      });
    }, seconds * 1000);
  });
}

// The block-interval pattern: reallySlowChecksum(blockMs) from a timer every periodMs.
async function blockInterval({ blockMs, periodMs, seconds }) {
  let sink = 0;
  const r = await runPeriodic({ periodMs, seconds }, () => { sink ^= reallySlowChecksum(blockMs); });
  const expected = Math.min(1, (Math.ceil((seconds * 1000) / periodMs) * blockMs) / (seconds * 1000));
  return { elu: r.elu, expected_elu: round4(expected), active_ms: r.active_ms, idle_ms: r.idle_ms,
           elapsed_ms: r.elapsed_ms, delay: r.delay, blocks: r.ticks, checksum: sink >>> 0 };
}

module.exports = { options, reallySlowChecksum, delaySummary, DELAY_NOTE, runPeriodic, blockInterval, round4 };
