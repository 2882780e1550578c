'use strict';
// ci-app: the bundled workload of the CI gate (docs/ci.md, tests/bench/check_power.sh). An HTTP
// server whose one route, GET /, costs a known amount of each thing `loopscope check` weighs, with
// knobs that inject the regressions the gate must catch:
//   - JavaScript work: --items records through JSON and back (CPU on the main loop);
//   - garbage: --garbage-kb KiB of short-lived objects per request (scavenges);
//   - medium-lived objects: --keep-kb KiB of each request's kept for --keep-requests requests
//     (they survive scavenges and are promoted: the GC's load grows, not the allocation);
//   - a thread-pool task: a read that waits --pool-ms ms of wall time on a pool thread, burning no
//     CPU, like a read from a slow disk (the pool's size, UV_THREADPOOL_SIZE, then bounds how many
//     requests wait at once; on a 2-core machine CPU-bound pool work such as pbkdf2 would not);
//   - a block: every --block-every-th request (0: none) also burns --block-ms ms on the main loop.
// The pool task is two fs calls submitted together: a 1-byte write to a FIFO the main loop watches
// (so it learns when a pool thread took the task), then a read of the task's own FIFO, which blocks
// that thread until the main loop writes a byte --pool-ms ms later. FIFO order of libuv's queue puts
// the read right behind the write, so a thread is held pool-ms from when the task started, however
// long it queued. Up to SLOTS tasks at once (more wait in a JavaScript queue: keep connections below).
// Usage: node ci-app.js [--port 0] [--items 40] [--garbage-kb 1024] [--keep-kb 0] [--keep-requests 50]
//        [--pool-ms 12] [--block-every 0] [--block-ms 30]   (prints "listening on PORT"; SIGINT/SIGTERM: exit 0)

const http = require('node:http');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { options, reallySlowChecksum } = require('./common');

const opt = options({
  port: 0, items: 40, 'garbage-kb': 1024, 'keep-kb': 0, 'keep-requests': 50, 'pool-ms': 12, 'block-every': 0, 'block-ms': 30,
});
const SLOTS = 64;

// The FIFOs: "start" (pool threads announce a task) and one per slot (the task's wait), made by
// mkfifo(1) before the loop runs (child_process.spawn from the loop costs it a 50-70 ms busy span
// here: a block; execFileSync's own loop is a transient one, which check leaves out).
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ci-app-'));
const fifo = (name) => path.join(dir, name);
const ONE = Buffer.from([1]);
const noop = () => {};
const slotBuf = Array.from({ length: SLOTS }, () => Buffer.alloc(1));
const slotByte = Array.from({ length: SLOTS }, (_, k) => Buffer.from([k]));
const slotDone = new Array(SLOTS);
const free = Array.from({ length: SLOTS }, (_, k) => SLOTS - 1 - k);
const waiting = [];
let stopping = false;
let started = null;
let startFd = -1;
let slotFd = [];

function openFifos() {
  // O_RDWR opens of a FIFO never block. The watcher's open is its own (libuv makes it
  // non-blocking); the pool's stay blocking.
  started = new net.Socket({ fd: fs.openSync(fifo('start'), 'r+'), readable: true, writable: false });
  started.on('data', (chunk) => {
    for (const k of chunk) setTimeout(() => fs.writeSync(slotFd[k], ONE), opt.poolMs);
  });
  startFd = fs.openSync(fifo('start'), 'r+');
  slotFd = Array.from({ length: SLOTS }, (_, k) => fs.openSync(fifo(`slot${k}`), 'r+'));
  fs.rmSync(dir, { recursive: true }); // open, they need no name: nothing to clean up at exit
}

function poolTask(done) {
  if (stopping) return;
  if (free.length === 0) return waiting.push(done);
  const k = free.pop();
  slotDone[k] = done;
  fs.write(startFd, slotByte[k], 0, 1, null, noop);
  fs.read(slotFd[k], slotBuf[k], 0, 1, null, () => {
    const cb = slotDone[k];
    free.push(k);
    if (waiting.length) poolTask(waiting.shift());
    cb();
  });
}

// About kb KiB of short-lived objects (~40-byte objects with 80-char strings, in chains of 50),
// all dropped before the function returns: garbage for the scavenger. (Keeping a share of it until
// the reply makes the GC time grow faster with kb, but its scavenges copy and promote it, and
// then the loop's delay p99 went from 7-21 ms to 27-45 ms, and blocks appeared.)
function garbage(kb) {
  let kept = null;
  let n = 0;
  for (let i = 0, count = Math.round((kb * 1024) / 160); i < count; i++) {
    kept = { id: i, text: `g-${i}`.padEnd(80, '.'), prev: i % 50 ? kept : null };
    n++;
  }
  return kept ? n : 0;
}

// Medium-lived objects: each request's --keep-kb KiB (the same ~160-byte objects) stay alive for
// the next --keep-requests requests, in a ring. They survive scavenges, are copied and promoted,
// and old-space collections follow: the GC's work grows with no more allocation (0: none).
const ring = new Array(Math.max(1, opt.keepRequests)).fill(null);
let ringAt = 0;
function keep(kb) {
  if (kb <= 0) return 0;
  const kept = [];
  for (let i = 0, count = Math.round((kb * 1024) / 160); i < count; i++) kept.push({ id: i, text: `k-${i}`.padEnd(80, '.') });
  ring[ringAt] = kept;
  ringAt = (ringAt + 1) % ring.length;
  return kept.length;
}

// The same JavaScript work on every call: `items` records through JSON and back.
function render(items) {
  const rows = [];
  for (let i = 0; i < items; i++) rows.push({ id: i, name: `item-${i}`, price: (i * 37) % 1000, tags: ['a', 'b'] });
  let sum = 0;
  for (const row of JSON.parse(JSON.stringify(rows))) sum += row.price;
  return sum;
}

let requests = 0;
const server = http.createServer((req, res) => {
  if (req.url !== '/') {
    res.writeHead(404).end();
    return;
  }
  requests++;
  let sum = render(opt.items) + garbage(opt.garbageKb) + keep(opt.keepKb);
  if (opt.blockEvery > 0 && requests % opt.blockEvery === 0) sum ^= reallySlowChecksum(opt.blockMs);
  poolTask(() => {
    const body = `${sum >>> 0}\n`;
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
    res.end(body);
  });
});

execFileSync('mkfifo', [fifo('start'), ...Array.from({ length: SLOTS }, (_, k) => fifo(`slot${k}`))]);
openFifos();
server.listen(opt.port, '127.0.0.1', () => console.log(`listening on ${server.address().port}`));

// Ends the way the loop ends by itself: the loop runs out of work and node exits. (process.exit
// from the signal's callback would leave the loop busy until the exit, a span that under the agent
// often passes 50 ms: a block at the end of the run.) Every task's read is released first: libuv
// joins its pool threads at exit (a slot has one read at most; no new task starts).
function shutdown() {
  stopping = true;
  waiting.length = 0;
  for (const fd of slotFd) fs.writeSync(fd, ONE);
  started.destroy();
  server.close();
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 5000).unref();
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
