'use strict';
// worker-block: the main thread stays (almost) idle while each of --workers worker_threads runs the
// block-interval pattern (reallySlowChecksum(--block-ms) every --period-ms) on its own event loop.
// Each worker posts its own ELU to the parent at the end; the main thread prints all, by threadId.
// Usage: node worker-block.js [--workers 2] [--block-ms 30] [--period-ms 100] [--seconds 3]

const { Worker, isMainThread, parentPort, workerData, threadId } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const { options, blockInterval, round4, DELAY_NOTE } = require('./common');

if (!isMainThread) {
  setImmediate(async () => {
    const r = await blockInterval(workerData);
    parentPort.postMessage({ threadId, elu: r.elu, blocks: r.blocks, active_ms: r.active_ms,
                             idle_ms: r.idle_ms, elapsed_ms: r.elapsed_ms, delay: r.delay });
  });
} else {
  const opt = options({ workers: 2, 'block-ms': 30, 'period-ms': 100, seconds: 3 });
  setImmediate(async () => {
    const elu0 = performance.eventLoopUtilization();
    const results = await Promise.all(Array.from({ length: opt.workers }, () => new Promise((resolve, reject) => {
      const w = new Worker(__filename, {
        workerData: { blockMs: opt.blockMs, periodMs: opt.periodMs, seconds: opt.seconds },
      });
      let result = null;
      w.once('message', (m) => { result = m; });
      w.once('error', reject);
      w.once('exit', (code) => (code === 0 && result ? resolve(result) : reject(new Error(`worker exited ${code}`))));
    })));
    const elu = performance.eventLoopUtilization(elu0);
    results.sort((a, b) => a.threadId - b.threadId);
    const expected = Math.min(1, (Math.ceil((opt.seconds * 1000) / opt.periodMs) * opt.blockMs) / (opt.seconds * 1000));
    console.log(JSON.stringify({
      workload: 'worker-block', pid: process.pid,
      main: { threadId, elu: round4(elu.utilization), active_ms: Math.round(elu.active * 10) / 10 },
      workers: results, expected_worker_elu: round4(expected),
      block_ms: opt.blockMs, period_ms: opt.periodMs, seconds: opt.seconds, note: DELAY_NOTE,
    }));
  });
}
