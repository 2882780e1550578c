'use strict';
// delayed: runs another workload after a pause, with its own arguments, so a tool attached to the
// running process (loopscope attach) sees the workload from its first task on.
// Usage: node delayed.js MS script.js [ARGS...]

const path = require('node:path');

const [ms, script, ...args] = process.argv.slice(2);
if (!script || !(Number(ms) >= 0)) {
  console.error('usage: node delayed.js MS script.js [ARGS...]');
  process.exit(2);
}
const file = path.resolve(script);
process.argv = [process.argv[0], file, ...args];
setTimeout(() => require(file), Number(ms));
