'use strict';
// node_workers: an HTTP server whose main thread hands the work to 2 worker_threads, for the
// compatibility tests. Each worker runs its own event loop. Routes: / answers "hello" on the main
// thread; /sum?n=N has the next worker (round robin) compute sumOfSquares(N); /block?ms=N has
// worker 0 run workerSpin for N ms, blocking that worker's loop; /recycle terminates worker 1 and
// starts a new one in its place (servers recycle workers). Usage: node node_workers.js PORT

const http = require('node:http');
const { Worker, isMainThread, parentPort } = require('node:worker_threads');

function sumOfSquares(n) {
  let s = 0;
  for (let i = 1; i <= n; i++) s = (s + i * i) % 1000000007;
  return s;
}

function workerSpin(ms) {
  const end = Date.now() + ms;
  let h = 0;
  while (Date.now() < end) for (let i = 0; i < 1000; i++) h = (h * 31 + i) >>> 0;
  return h;
}

if (!isMainThread) {
  parentPort.on('message', ({ id, route, arg }) => {
    const result = route === 'sum' ? sumOfSquares(arg) : (workerSpin(arg), `blocked ${arg} ms`);
    parentPort.postMessage({ id, result: String(result) });
  });
} else {
  const port = Number(process.argv[2]);
  const pending = new Map();
  let nextId = 0;
  let turn = 0;
  let recycled = 0;
  const startWorker = () => {
    const w = new Worker(__filename);
    w.on('message', ({ id, result }) => {
      const res = pending.get(id);
      pending.delete(id);
      res.end(`${result}\n`);
    });
    return w;
  };
  const workers = [startWorker(), startWorker()];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const arg = Number(url.searchParams.get(url.pathname === '/sum' ? 'n' : 'ms'));
    if (url.pathname === '/') return res.end('hello\n');
    if (url.pathname === '/recycle') {
      return workers[1].terminate().then(() => {
        workers[1] = startWorker();
        res.end(`recycled ${++recycled}\n`);
      });
    }
    if ((url.pathname !== '/sum' && url.pathname !== '/block') || !Number.isInteger(arg) || arg < 0) {
      res.statusCode = 404;
      return res.end('not found\n');
    }
    const id = nextId++;
    pending.set(id, res);
    const w = url.pathname === '/block' ? workers[0] : workers[turn++ % workers.length];
    w.postMessage({ id, route: url.pathname.slice(1), arg });
  });
  server.listen(port, '127.0.0.1', () => console.log(`listening on ${port} with ${workers.length} workers`));
  const stop = () => {
    server.close();
    server.closeAllConnections();
    Promise.all(workers.map((w) => w.terminate())).then(() => console.log('bye'));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
