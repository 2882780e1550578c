'use strict';
// alloc-churn: allocation churn for --seconds so the GC works hard: many short-lived objects (die
// young: scavenges) plus a ring of medium-lived batches that survive long enough to be promoted and
// then die in old space (mark-compacts). Counts GCs with a PerformanceObserver on 'gc' entries.
// Usage: node alloc-churn.js [--seconds 3]

const { PerformanceObserver, performance, constants } = require('node:perf_hooks');
const { options } = require('./common');

const opt = options({ seconds: 3 });

const KINDS = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',             // scavenge
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',             // mark-compact
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental', // incremental marking step
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',           // weak callbacks
};
const gc = { total: { count: 0, duration_ms: 0 } };
for (const k of Object.values(KINDS)) gc[k] = { count: 0, duration_ms: 0 };

const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = KINDS[e.detail ? e.detail.kind : e.kind] || 'other';
    gc[kind] = gc[kind] || { count: 0, duration_ms: 0 };
    gc[kind].count++;
    gc[kind].duration_ms += e.duration;
    gc.total.count++;
    gc.total.duration_ms += e.duration;
  }
});
observer.observe({ entryTypes: ['gc'] });

const RING = 48;            // medium-lived batches kept; each lives RING slices (~0.5 s)
const BATCH = 5000;         // medium-lived objects per slice
const ring = new Array(RING);
let slices = 0;
let allocated = 0;
let sink = 0;
const scratch = new Array(1024); // short-lived objects escape here (so they are really allocated) and die young

// One slice of about 10 ms: short-lived garbage, then one medium-lived batch replacing the oldest.
function slice() {
  const end = performance.now() + 10;
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) {
      scratch[i & 1023] = { id: i, name: 'tmp-' + (allocated + i), list: [i, i + 1, i + 2] };
    }
    allocated += 1000;
  }
  const batch = new Array(BATCH);
  for (let i = 0; i < BATCH; i++) batch[i] = { id: slices, n: i, text: `medium-${slices}-${i}`, pair: [i, slices] };
  ring[slices % RING] = batch;
  allocated += BATCH;
  slices++;
}

const t0 = performance.now();
(function loop() {
  if (performance.now() - t0 < opt.seconds * 1000) {
    slice();
    setImmediate(loop); // yield to the loop: GC observer entries are delivered from it
    return;
  }
  ring.fill(undefined);
  sink = scratch[0].list.length;
  // Let pending 'gc' entries reach the observer before reporting.
  setTimeout(() => {
    observer.disconnect();
    const round = (x) => Math.round(x * 100) / 100;
    for (const v of Object.values(gc)) v.duration_ms = round(v.duration_ms);
    const mem = process.memoryUsage();
    console.log(JSON.stringify({
      workload: 'alloc-churn', pid: process.pid, seconds: opt.seconds,
      elapsed_ms: round(performance.now() - t0), slices, objects_allocated: allocated,
      gc_count: gc.total.count, gc_duration_ms: gc.total.duration_ms, gc,
      heap_used_mb: round(mem.heapUsed / 1048576), heap_total_mb: round(mem.heapTotal / 1048576),
      rss_mb: round(mem.rss / 1048576), sink: sink % 1000,
    }));
  }, 50);
})();
