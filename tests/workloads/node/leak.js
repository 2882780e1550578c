'use strict';
// leak: retains V8-heap memory steadily, --mb-per-s for --seconds, in a global array (objects that
// each hold a fresh 200-character string), every 100 ms. A profiler should see heapUsed climb at
// that rate. Prints heapUsed at start and end, the expected growth and RSS as JSON.
// Usage: node leak.js [--seconds 10] [--mb-per-s 5]

const { performance } = require('node:perf_hooks');
const { options } = require('./common');

const opt = options({ seconds: 10, 'mb-per-s': 5 });

// One retained item: a 2-property object (~40 B) + a flat one-byte string of 200 chars (~216 B) + the
// array slot (8 B): measured at ~265 B of heap on node 20 / x64.
const ITEM_BYTES = 265;
const STEP_MS = 100;
const perStep = Math.round((opt.mbPerS * 1048576 * STEP_MS) / 1000 / ITEM_BYTES);

global.leaked = []; // the leak: never shrinks
const pattern = Buffer.alloc(200, 'leak:');
let n = 0;

function retain() {
  for (let i = 0; i < perStep; i++, n++) {
    pattern.writeUInt32LE(n, 0); // makes every string different
    global.leaked.push({ id: n, text: pattern.toString('latin1') }); // latin1 decode: a flat heap string
  }
}

const mb = (x) => Math.round((x / 1048576) * 100) / 100;
const start = process.memoryUsage();
const t0 = performance.now();
const steps = Math.round((opt.seconds * 1000) / STEP_MS);
let done = 0;
const timer = setInterval(() => {
  retain();
  if (++done < steps) return;
  clearInterval(timer);
  const end = process.memoryUsage();
  console.log(JSON.stringify({
    workload: 'leak', pid: process.pid, seconds: opt.seconds, mb_per_s: opt.mbPerS,
    elapsed_ms: Math.round(performance.now() - t0), items: n,
    expected_growth_mb: mb(n * ITEM_BYTES),
    heap_used_start_mb: mb(start.heapUsed), heap_used_end_mb: mb(end.heapUsed),
    heap_growth_mb: mb(end.heapUsed - start.heapUsed),
    rss_start_mb: mb(start.rss), rss_end_mb: mb(end.rss),
  }));
}, STEP_MS);
