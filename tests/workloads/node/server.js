'use strict';
// server: the Node twin of httpserver.c (http module, keep-alive) with routes of known cost, plus
// /hash and /alloc. /block burns CPU on the main thread in reallySlowChecksum; /work burns CPU on
// the libuv pool with crypto.pbkdf2 calibrated at startup to ~1 ms per `itersPerMs` iterations.
// Usage: node server.js PORT   (PORT 0: the kernel picks; prints "listening on PORT")
//
//   /                 hello
//   /block?ms=N       reallySlowChecksum(N) on the main thread; replies the checksum (hex)
//   /sleep?ms=N       Atomics.wait for N ms on the main thread: the loop blocked, off the CPU
//   /work?ms=N        one async crypto.pbkdf2 (sha256) of about N ms of CPU on a pool thread; with
//                     more busy pool threads than cores each one takes longer in wall time
//   /fs               fs.readFile(this file) with a callback; replies the byte count
//   /leak?kb=N        Buffer.alloc(N KiB) kept forever in a global (outside the V8 heap: RSS and
//                     process.memoryUsage().external grow); replies the total leaked KiB
//   /hash[?iterations=N]  crypto.pbkdf2 (sha256) async, default 100000 iterations; replies the key (hex)
//   /alloc            ~10 MB of short-lived objects (garbage for the GC); replies the object count
//   /render?items=N   a fixed amount of JavaScript work, no clock: builds N records, serializes them
//                     to JSON, parses them back and sums a field (the CPU-heavy route of the overhead
//                     benchmark); replies the sum
// Missing or invalid ms/kb/iterations/items: 400. ms is capped at 60000, kb at 1048576, iterations at
// 1e7, items at 1e6.

const http = require('node:http');
const crypto = require('node:crypto');
const fs = require('node:fs');
const { performance } = require('node:perf_hooks');
const { reallySlowChecksum } = require('./common');

const MAX_MS = 60000;
const MAX_KB = 1048576;
const MAX_ITERATIONS = 10000000;
const MAX_ITEMS = 1000000;

const port = Number(process.argv[2]);
if (process.argv.length !== 3 || !Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('usage: node server.js PORT');
  process.exit(2);
}

// Calibration for /work: pbkdf2 iterations per millisecond of CPU, measured synchronously at startup.
function calibrate() {
  let best = Infinity;
  const n = 20000;
  crypto.pbkdf2Sync('loopscope', 'salt', n, 32, 'sha256'); // warm-up
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    crypto.pbkdf2Sync('loopscope', 'salt', n, 32, 'sha256');
    best = Math.min(best, performance.now() - t);
  }
  return n / best;
}
const itersPerMs = calibrate();

global.leaked = []; // /leak buffers, kept forever
let leakedKb = 0;

// key=DIGITS from the query, clamped to max; -1 if absent or not a plain number.
function queryNumber(params, key, max) {
  const v = params.get(key);
  if (v === null || !/^[0-9]+$/.test(v)) return -1;
  return Math.min(Number(v), max);
}

function reply(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function pbkdf2(res, iterations) {
  crypto.pbkdf2('loopscope', 'salt', iterations, 32, 'sha256', (err, key) => {
    if (err) reply(res, 500, `${err.message}\n`);
    else reply(res, 200, `${key.toString('hex')}\n`);
  });
}

// About 10 MB of garbage: 27000 objects with a fresh 120-char string each (~390 B apiece, measured on
// node 20 x64), linked in short chains and all dropped by the time the request is answered.
function churn() {
  let kept = null;
  let count = 0;
  for (let i = 0; i < 27000; i++) {
    kept = { id: i, text: `alloc-${i}-${count}`.padEnd(120, '.'), prev: i % 100 ? kept : null };
    count++;
  }
  return kept ? count : 0;
}

// The same work for the same N on every call: N records through JSON and back.
function render(items) {
  const rows = [];
  for (let i = 0; i < items; i++) rows.push({ id: i, name: `item-${i}`, price: (i * 37) % 1000, tags: ['a', 'b'] });
  let sum = 0;
  for (const row of JSON.parse(JSON.stringify(rows))) sum += row.price;
  return sum;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4)); // never notified: Atomics.wait times out

const routes = {
  '/': (req, res) => reply(res, 200, 'hello\n'),
  '/block': (req, res, q) => {
    const ms = queryNumber(q, 'ms', MAX_MS);
    if (ms < 0) return reply(res, 400, 'need ms=N\n');
    reply(res, 200, `${reallySlowChecksum(ms).toString(16).padStart(8, '0')}\n`);
  },
  '/sleep': (req, res, q) => {
    const ms = queryNumber(q, 'ms', MAX_MS);
    if (ms < 0) return reply(res, 400, 'need ms=N\n');
    Atomics.wait(sleeper, 0, 0, ms);
    reply(res, 200, 'slept\n');
  },
  '/work': (req, res, q) => {
    const ms = queryNumber(q, 'ms', MAX_MS);
    if (ms < 0) return reply(res, 400, 'need ms=N\n');
    pbkdf2(res, Math.max(1, Math.round(ms * itersPerMs)));
  },
  '/fs': (req, res) => {
    fs.readFile(__filename, (err, data) => {
      if (err) reply(res, 500, `${err.message}\n`);
      else reply(res, 200, `${data.length}\n`);
    });
  },
  '/leak': (req, res, q) => {
    const kb = queryNumber(q, 'kb', MAX_KB);
    if (kb < 0) return reply(res, 400, 'need kb=N\n');
    if (kb > 0) {
      global.leaked.push(Buffer.alloc(kb * 1024, 1)); // filled: every page touched
      leakedKb += kb;
    }
    reply(res, 200, `${leakedKb}\n`);
  },
  '/hash': (req, res, q) => {
    const iterations = q.has('iterations') ? queryNumber(q, 'iterations', MAX_ITERATIONS) : 100000;
    if (iterations < 1) return reply(res, 400, 'need iterations=N (N >= 1)\n');
    pbkdf2(res, iterations);
  },
  '/alloc': (req, res) => reply(res, 200, `${churn()}\n`),
  '/render': (req, res, q) => {
    const items = queryNumber(q, 'items', MAX_ITEMS);
    if (items < 0) return reply(res, 400, 'need items=N\n');
    reply(res, 200, `${render(items)}\n`);
  },
};

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const route = routes[url.pathname];
  if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'only GET and HEAD\n');
  if (!route) return reply(res, 404, 'not found\n');
  route(req, res, url.searchParams);
});

server.listen(port, '127.0.0.1', () => {
  console.log(`listening on ${server.address().port}`);
});

function shutdown(signal) {
  console.error(`server.js: ${signal}, shutting down`);
  server.close();
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 5000).unref(); // in-flight pool work gets 5 s at most
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
