'use strict';
// fifo-wait: thread-pool workers blocked on I/O, not on CPU. --readers fs.readFile calls on named
// pipes (FIFOs) occupy that many pool threads, each blocked in open/read until a writer process
// writes, --seconds later. The main loop stays idle. Prints the wait each read saw as JSON.
// Usage: node fifo-wait.js [--readers 4] [--seconds 3]
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawn } = require('node:child_process');
const { options } = require('./common');
const opt = options({ readers: 4, seconds: 3 });

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fifo-wait-'));
const start = Date.now();
const waits = [];
let done = 0;
for (let i = 0; i < opt.readers; i++) {
  const fifo = path.join(dir, `f${i}`);
  execFileSync('mkfifo', [fifo]);
  fs.readFile(fifo, (err, data) => {
    if (err) throw err;
    waits.push(Date.now() - start);
    if (++done === opt.readers) {
      fs.rmSync(dir, { recursive: true, force: true });
      console.log(JSON.stringify({ workload: 'fifo-wait', readers: opt.readers, seconds: opt.seconds, wait_ms: waits, bytes: data.length }));
    }
  });
  // The writer: another process that sleeps, then writes and closes the FIFO.
  spawn('sh', ['-c', `sleep ${opt.seconds}; echo data > '${fifo}'`], { stdio: 'ignore' });
}
