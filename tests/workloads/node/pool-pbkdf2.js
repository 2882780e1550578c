'use strict';
// pool-pbkdf2: saturates libuv's thread pool. Calibrates crypto.pbkdf2 so one async call takes about
// --task-ms, then per round submits --tasks calls at once and awaits them all. Prints the pool
// size, the wave time per round and each task's completion latency as JSON.
// Usage: node pool-pbkdf2.js [--tasks 16] [--task-ms 50] [--rounds 1]   (try UV_THREADPOOL_SIZE=4)
//
// pbkdf2 is a fixed amount of CPU work, not a fixed wall time: with more pool threads than free
// cores the threads share them and a wave takes longer than task_ms. So the script also measures
// one_wave_ms (pool-size calls at once, under the same conditions) and expects expected_waves of those.

const crypto = require('node:crypto');
const os = require('node:os');
const { performance } = require('node:perf_hooks');
const { options } = require('./common');

const opt = options({ tasks: 16, 'task-ms': 50, rounds: 1 });

// The pool size exactly as libuv computes it: atoi(UV_THREADPOOL_SIZE), 0 -> 1, clamped to 1024
// (a negative value wraps to a huge unsigned number and so becomes 1024).
function threadpoolSize() {
  const v = process.env.UV_THREADPOOL_SIZE;
  if (v === undefined) return 4;
  let n = parseInt(v, 10) || 0;
  if (n < 0 || n > 1024) n = 1024;
  return n === 0 ? 1 : n;
}

function pbkdf2(iterations) {
  return new Promise((resolve, reject) => {
    crypto.pbkdf2('loopscope', 'salt', iterations, 32, 'sha256', (err, key) => (err ? reject(err) : resolve(key)));
  });
}

async function timeOne(iterations) {
  const t = performance.now();
  await pbkdf2(iterations);
  return performance.now() - t;
}

const r2 = (x) => Math.round(x * 100) / 100;

async function main() {
  const pool = threadpoolSize();
  const cpus = os.availableParallelism();

  // Calibration: single async runs, one at a time (so the pool is otherwise idle). The minimum of
  // a few runs estimates the CPU cost best when other processes compete for the cores.
  const best = async (iter, runs) => {
    let m = Infinity;
    for (let i = 0; i < runs; i++) m = Math.min(m, await timeOne(iter));
    return m;
  };
  let iterations = 20000;
  await timeOne(iterations); // warm-up: starts the pool threads
  for (let i = 0; i < 3; i++) {
    const ms = await best(iterations, i === 2 ? 3 : 1);
    iterations = Math.max(1, Math.round((iterations * opt.taskMs) / ms));
  }
  const calibrated = await best(iterations, 3);

  // Reference: one full wave (as many calls as pool threads, at once), median of 3.
  const oneWave = async () => {
    const t = performance.now();
    await Promise.all(Array.from({ length: Math.min(pool, opt.tasks) }, () => pbkdf2(iterations)));
    return performance.now() - t;
  };
  const waveSamples = [await oneWave(), await oneWave(), await oneWave()].sort((a, b) => a - b);
  const oneWaveMs = waveSamples[1];

  const perRound = [];
  for (let r = 0; r < opt.rounds; r++) {
    const t0 = performance.now();
    const latencies = await Promise.all(
      Array.from({ length: opt.tasks }, () => pbkdf2(iterations).then(() => performance.now() - t0)));
    perRound.push({ wave_ms: r2(Math.max(...latencies)), latency_ms: latencies.map(r2) });
  }

  const waves = Math.ceil(opt.tasks / pool);
  const sorted = perRound.map((p) => p.wave_ms).sort((a, b) => a - b);
  console.log(JSON.stringify({
    workload: 'pool-pbkdf2', pid: process.pid,
    threadpool_size: pool, cpus, iterations, calibrated_task_ms: r2(calibrated),
    tasks: opt.tasks, task_ms: opt.taskMs, rounds: opt.rounds,
    one_wave_ms: r2(oneWaveMs),
    expected_waves: waves,
    expected_wave_ms: r2(waves * oneWaveMs),
    ideal_wave_ms: r2(waves * calibrated * Math.max(1, Math.min(pool, opt.tasks) / cpus)),
    wave_ms: sorted[Math.floor(sorted.length / 2)], // median over rounds
    per_round: perRound,
    note: 'wave_ms: submit of the first task to completion of the last (as the main thread sees it); ' +
          'one_wave_ms: min(pool,tasks) calls at once, measured just before; expected_wave_ms = expected_waves * one_wave_ms; ' +
          'ideal_wave_ms = expected_waves * calibrated_task_ms * max(1, min(pool,tasks)/cpus), i.e. with all cores free',
  }));
}

main().catch((err) => { console.error(err); process.exit(1); });
