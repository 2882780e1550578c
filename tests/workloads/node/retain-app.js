'use strict';
// retain-app: an HTTP server that leaks by design, for `loopscope heap` (docs/heap.md). Every
// request to / makes a SessionRecord (an id, a 120-character string, a tags array) and keeps it
// in a module-level Map, `sessions`, that nothing ever clears; the reply says how many it holds.
// --workers N starts N worker threads, each holding --worker-ledgers objects of class
// WorkerLedger (only workers have that class: a snapshot of the main thread has none).
// --ballast-k N keeps N thousand small objects from the start (a heap whose snapshot takes a
// while: ~2 s for 1000 on a 2-core VM).
// Usage: node retain-app.js [--port 0] [--workers 0] [--worker-ledgers 5000] [--ballast-k 0]
//        (prints "listening on PORT" once the workers are up; SIGINT/SIGTERM: exit 0)

const http = require('node:http');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const { options } = require('./common');

class SessionRecord {
  constructor(id) {
    this.id = id;
    this.user = `user-${id}`.padEnd(120, '.');
    this.tags = ['web', id % 7];
  }
}

const sessions = new Map(); // the leak: module-level, as most are

class WorkerLedger {
  constructor(i) {
    this.entry = i;
    this.note = `ledger-${i}`;
  }
}

if (!isMainThread) {
  const ledgers = Array.from({ length: workerData.ledgers }, (_, i) => new WorkerLedger(i));
  parentPort.postMessage('ready');
  parentPort.on('message', () => parentPort.postMessage(ledgers.length)); // keeps them alive
} else {
  const opt = options({ port: 0, workers: 0, 'worker-ledgers': 5000, 'ballast-k': 0 });
  const ballast = [];
  for (let i = 0; i < opt.ballastK * 1000; i++) ballast.push({ i, s: `b${i}` });
  let next = 0;
  const server = http.createServer((req, res) => {
    if (req.url !== '/') return res.writeHead(404).end();
    sessions.set(next, new SessionRecord(next));
    next++;
    res.end(`${sessions.size} ${ballast.length}\n`);
  });
  const workers = Array.from({ length: opt.workers }, () => new Worker(__filename, { workerData: { ledgers: opt.workerLedgers } }));
  let ready = 0;
  const listen = () => server.listen(opt.port, '127.0.0.1', () => console.log(`listening on ${server.address().port}`));
  for (const w of workers) w.once('message', () => ++ready === workers.length && listen());
  if (!workers.length) listen();
  const stop = () => {
    server.close();
    server.closeAllConnections();
    for (const w of workers) w.terminate();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
