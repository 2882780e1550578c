#!/usr/bin/env node
/*
 * Writes a self-contained test page for the flamegraph viewer: reports/assets/flame.css,
 * flame-model.js and flame.js inlined (the two scripts in one element, as loopscope does), with
 * synthetic profile data in the viewer's format (see the top of flame.js; its "kinds" read from
 * collector/symbols/frames.h by frame-kinds.js), so the viewer can be checked without the rest of
 * loopscope.
 *
 *   node tests/tools/make-flame-fixture.js --out PAGE.html [--stacks 2000] [--min-depth 6]
 *        [--max-depth 40] [--seed 1] [--blocked full|empty|absent] [--offcpu full|empty|absent]
 *        [--embed js|json] [--assets DIR] [--data FILE.json]
 *
 * --stacks is the number of unique stacks of the "cpu" profile ("blocked" gets a quarter, "offcpu"
 * a fifth); depths are drawn uniformly from [min, max] (a stack is never shorter than its fixed
 * prefix of start-up, libuv, V8 entry and Node frames, about 16). The data mimics a Node.js server: native
 * start-up and libuv frames, V8 entry trampolines, Node internals, npm packages, application code,
 * V8 builtins, native and kernel leaves, JS frames in several tiers. It always holds hostile frame
 * names, locations and packages (markup, script end tags, U+2028, bidi overrides, __proto__...) in
 * about 10% of the samples, and a function named reallySlowChecksum (also recursive, and as a
 * substring of reallySlowChecksumFinal).
 *
 * --data embeds FILE.json (any JSON, for malformed-input tests) instead of synthetic data.
 * --embed js (default) defines window.loopscopeFlameData in a <script>; --embed json puts the
 * JSON in <script type="application/json" id="loopscope-flame-data"> instead. Either way the JSON
 * text goes through jsonForScript() below: the rule the C side must follow too.
 *
 * Prints one JSON object on stdout: {out, bytes, frames, profiles: {key: {stacks, nodes, total,
 * unit, maxDepth, expected: {reallySlowChecksum: percent}}}}, where expected is the percentage of
 * the profile's samples whose stack contains a frame matching "reallySlowChecksum" (substring,
 * case-insensitive; each sample counted once).
 */
'use strict';

const fs = require('fs');
const path = require('path');
const frameKinds = require('./frame-kinds.js');

/*
 * JSON for a <script> element (either a JS script or a type="application/json" data block): the
 * JSON text with every "<", ">", "&", U+2028 and U+2029 written as \u003c, \u003e, \u0026, \u2028
 * and \u2029. Those characters can only occur inside JSON strings, where the escapes mean the same
 * characters, so the value is unchanged; and the HTML tokenizer can then never see "</script",
 * "<!--" or "<script" in the element (it would end the script or switch it into the "escaped"
 * states), and no JS parser chokes on a raw line separator. JSON.stringify already escapes
 * control characters and lone surrogates.
 */
function jsonForScript(value) {
	return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g,
		(c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/* Refuses assets that cannot be inlined verbatim. */
function checkInlinable(text, what, tag) {
	const bad = tag === 'script' ? /<\/script|<!--|<script/i : /<\/style/i;
	const m = bad.exec(text);
	if (m) throw new Error(`${what} contains "${m[0]}" at offset ${m.index}: it cannot be inlined in <${tag}>`);
}

// ---------------------------------------------------------------- random numbers (mulberry32)

function rngFrom(seed) {
	let a = seed >>> 0;
	return function () {
		a = (a + 0x6D2B79F5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

function hash32(s) {
	let h = 0x811c9dc5;
	for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193); }
	return h >>> 0;
}

// ---------------------------------------------------------------- the frame universe

const VERBS = ['parse', 'read', 'write', 'load', 'render', 'compute', 'validate', 'encode', 'decode', 'merge',
	'resolve', 'build', 'format', 'apply', 'handle', 'dispatch', 'collect', 'normalize', 'serialize', 'hash',
	'compile', 'match', 'transform', 'fetch', 'update', 'create', 'process', 'visit', 'check', 'flush'];
const NOUNS = ['Request', 'Response', 'Header', 'Body', 'Token', 'Schema', 'Row', 'Query', 'Template', 'Node',
	'Buffer', 'Chunk', 'Session', 'User', 'Order', 'Invoice', 'Cache', 'Route', 'Param', 'Field', 'Record',
	'Stream', 'Config', 'Path', 'Entry', 'Value', 'Payload', 'Message', 'Event', 'Batch'];
const PACKAGES = {
	'express': ['Layer.handle [as handle_request]', 'next', 'Route.dispatch', 'router.handle', 'trim_prefix', 'process_params', 'expressInit', 'query'],
	'body-parser': ['jsonParser', 'read', 'parse'],
	'raw-body': ['getRawBody', 'readStream', 'onData'],
	'lodash': ['cloneDeep', 'baseClone', 'baseMerge', 'arrayEach', 'baseFor', 'isObject'],
	'ejs': ['render', 'compile', 'Template.compile', 'escapeXML'],
	'pg': ['Client.query', 'Connection.parseMessage', 'Parser.parse', 'Result.addRow'],
	'ajv': ['validate', 'compileSchema', 'checkKeyword'],
	'qs': ['parse', 'parseValues', 'stringify'],
	'moment': ['createLocal', 'format', 'configFromString'],
	'uuid': ['v4', 'rng', 'unsafeStringify'],
	'ws': ['Receiver.getData', 'Sender.frame', 'WebSocket.send'],
	'zod': ['ZodObject._parse', 'ZodString._parse', 'ParseStatus.mergeObjectSync'],
};
const NODE_JS = ['processTicksAndRejections', 'listOnTimeout', 'processTimers', 'emit', 'onStreamRead',
	'Readable.push', 'readableAddChunk', 'addChunk', 'Socket._write', 'writeGeneric', 'parserOnIncoming',
	'parserOnHeadersComplete', 'resOnFinish', 'ServerResponse.end', 'OutgoingMessage._send', 'Hash.update',
	'Hash.digest', 'JSON.parse', 'Buffer.from', 'fromString', 'processImmediate', 'runMicrotasks',
	'Module._compile', 'Module.require', 'afterWriteDispatched', 'Socket.write', 'zlibOnError', 'Gzip._transform'];
const V8 = ['Builtins_JSEntry', 'Builtins_JSEntryTrampoline', 'Builtins_CallFunction_ReceiverIsAny',
	'Builtins_InterpreterEntryTrampoline', 'Builtins_StringPrototypeCharCodeAt', 'Builtins_ArrayPrototypePush',
	'Builtins_KeyedLoadIC_Megamorphic', 'Builtins_StringAdd_CheckNone', 'Builtins_JsonParse', 'Builtins_CEntry_Return1_ArgvOnStack_NoBuiltinExit',
	'v8::internal::Execution::Call', 'v8::internal::Runtime_StringSplit', 'v8::internal::JsonParser<unsigned char>::ParseJson',
	'v8::internal::Heap::CollectGarbage', 'v8::internal::ScavengerCollector::CollectGarbage', 'v8::internal::Factory::NewStringFromUtf8',
	'v8::internal::Runtime_CompileLazy', 'v8::internal::Compiler::Compile', 'v8::internal::MarkCompactCollector::CollectGarbage'];
const NATIVE = ['memcpy', '__memmove_avx_unaligned_erms', 'malloc', 'free', 'uv__read', 'uv__write', 'uv__stream_io',
	'uv__server_io', 'uv__io_poll', 'node::StreamBase::ReadStart', 'node::LibuvStreamWrap::OnUvRead',
	'node::crypto::Hash::HashUpdate', 'EVP_DigestUpdate', 'SHA256_Update', 'sha256_block_data_order_avx2',
	'inflate', 'deflate', 'node::Buffer::(anonymous namespace)::CreateFromString', 'write', 'read', 'epoll_wait',
	'pthread_cond_wait', '__GI___pthread_mutex_lock'];
const KERNEL = ['entry_SYSCALL_64_after_hwframe', 'do_syscall_64', '__x64_sys_epoll_wait', 'do_epoll_wait', 'ep_poll',
	'schedule_hrtimeout_range', 'schedule', '__schedule', '__x64_sys_write', 'ksys_write', 'vfs_write', 'sock_write_iter',
	'tcp_sendmsg', 'tcp_sendmsg_locked', '__x64_sys_read', 'ksys_read', 'tcp_recvmsg', 'copy_user_enhanced_fast_string',
	'asm_exc_page_fault', 'exc_page_fault', 'handle_mm_fault', 'futex_wait', '__x64_sys_futex', 'clear_page_erms'];
const BASE_CHAIN = ['_start', '__libc_start_main', 'main', 'node::Start', 'node::NodeMainInstance::Run',
	'node::SpinEventLoop', 'uv_run'];
const HOSTILE = [
	{ name: '<img src=x onerror=alert(1)>', kind: 'app', tier: '*', location: '/app/<script>alert(2)</script>.js:1:1' },
	{ name: '</script><script>alert(1)</script>', kind: 'dep', tier: '^', package: '<svg onload=alert(3)>', location: '/app/node_modules/x/</script>.js:9:9' },
	{ name: '"><svg/onload=alert(4)> \u2028\u2029 & &amp; <!-- --> ${alert(8)}', kind: 'node', tier: '~' },
	{ name: "{{constructor.constructor('alert(5)')()}}'; alert(7); //", kind: 'v8', tier: '' },
	{ name: '__proto__', kind: 'dep', tier: '+', package: '__proto__', module: 'constructor' },
	{ name: 'javascript:alert(6)\u202Egnp.exe\u0000\u0007\n\ttabbed', kind: 'unknown', tier: '' },
	{ name: 'veryLongName_' + 'abcdefghij'.repeat(40) + '_end', kind: 'app', tier: '*', location: '/app/' + 'deep/'.repeat(50) + 'x.js:1:1' },
];

class Universe {
	constructor(rng) {
		this.rng = rng;
		this.frames = [];
		this.index = new Map();
		this.fns = { app: [], node: [], v8: [], native: [], kernel: [], dep: new Map() };
		for (const n of BASE_CHAIN) this.frame({ name: n, kind: 'native', module: n.startsWith('uv') ? 'libuv.so.1' : n.includes('::') || n === 'main' ? 'node' : 'libc.so.6' });
		for (const n of NODE_JS) this.fns.node.push(this.jsFunction(n, 'node', '', 'node:internal/' + n.split('.')[0].toLowerCase()));
		for (const n of V8) this.fns.v8.push([this.frame({ name: n, kind: 'v8', module: 'node' })]);
		for (const n of NATIVE) this.fns.native.push([this.frame({ name: n, kind: 'native', module: n.includes('::') ? 'node' : n.startsWith('uv') ? 'libuv.so.1' : 'libc.so.6' })]);
		for (const n of KERNEL) this.fns.kernel.push([this.frame({ name: n, kind: 'kernel', module: '[kernel.kallsyms]' })]);
		for (const pkg of Object.keys(PACKAGES)) {
			const list = [];
			const names = PACKAGES[pkg].slice();
			for (let i = 0; i < 120; i++) names.push(this.word() + (i % 3 ? '' : '$' + i));
			for (const n of names) list.push(this.jsFunction(n, 'dep', pkg, `/app/node_modules/${pkg}/lib/${n.length % 4 ? 'index' : 'util'}.js`));
			this.fns.dep.set(pkg, list);
		}
		const appNames = ['handleRequest', 'computeReport', 'renderInvoice', 'loadUser', 'authenticate', 'serializeOrders'];
		for (let i = 0; i < 1500; i++) appNames.push(this.word());
		for (const n of appNames) this.fns.app.push(this.jsFunction(n, 'app', '', `/app/src/${n.length % 5 ? 'routes' : 'lib'}.js`));
		this.checksum = this.jsFunction('reallySlowChecksum', 'app', '', '/app/lib/checksum.js', ['*', '~']);
		this.checksumFinal = this.jsFunction('reallySlowChecksumFinal', 'app', '', '/app/lib/checksum.js', ['*']);
		this.checksumStep = this.jsFunction('checksumStep', 'app', '', '/app/lib/checksum.js', ['*', '+']);
		this.hostile = HOSTILE.map((h) => this.frame(h));
		this.children = new Map(); // frame id of a JS function (first variant) -> callee function list
	}

	word() {
		const r = this.rng;
		return VERBS[(r() * VERBS.length) | 0] + NOUNS[(r() * NOUNS.length) | 0] + (r() < 0.3 ? NOUNS[(r() * NOUNS.length) | 0] : '');
	}

	frame(f) {
		const o = { name: f.name, kind: f.kind, tier: f.tier || '', location: f.location || '', module: f.module || '', package: f.package || '' };
		const key = JSON.stringify(o);
		if (this.index.has(key)) return this.index.get(key);
		this.frames.push(o);
		this.index.set(key, this.frames.length - 1);
		return this.frames.length - 1;
	}

	/* A JS function: 1 to 3 frames, one per tier it was seen in (the first is the hottest). */
	jsFunction(name, kind, pkg, file, tiers) {
		const r = this.rng;
		if (!tiers) {
			const all = ['*', '^', '+', '~'];
			const first = all[(r() * (r() < 0.6 ? 1 : 4)) | 0];
			tiers = [first];
			if (r() < 0.35) tiers.push(all[(r() * 4) | 0]);
			tiers = [...new Set(tiers)];
		}
		const line = 1 + ((r() * 400) | 0), col = 1 + ((r() * 60) | 0);
		return tiers.map((t) => this.frame({ name, kind, tier: t, location: `${file}:${line}:${col}`, package: pkg, module: kind === 'node' ? 'node' : '' }));
	}

	/* Callees of FN (a variant list): a stable, per-function choice. */
	callees(fn, kind, pkg) {
		const key = fn[0];
		let c = this.children.get(key);
		if (c) return c;
		const r = rngFrom(hash32('callees' + key));
		c = [];
		const n = 3 + ((r() * 9) | 0);
		for (let i = 0; i < n; i++) {
			const x = r();
			if (kind === 'app') {
				if (x < 0.6) c.push(['app', this.fns.app[(r() * this.fns.app.length) | 0]]);
				else if (x < 0.9) c.push(this.pickDep(r));
				else c.push(['node', this.fns.node[(r() * this.fns.node.length) | 0]]);
			} else if (kind === 'dep') {
				if (x < 0.7) { const l = this.fns.dep.get(pkg); c.push(['dep', l[(r() * l.length) | 0], pkg]); }
				else if (x < 0.85) c.push(this.pickDep(r));
				else if (x < 0.93) c.push(['app', this.fns.app[(r() * this.fns.app.length) | 0]]);
				else c.push(['node', this.fns.node[(r() * this.fns.node.length) | 0]]);
			} else {
				if (x < 0.5) c.push(['node', this.fns.node[(r() * this.fns.node.length) | 0]]);
				else if (x < 0.8) c.push(this.pickDep(r));
				else c.push(['app', this.fns.app[(r() * this.fns.app.length) | 0]]);
			}
		}
		if (key === this.fns.app[0][0] || key === this.fns.app[1][0]) c.unshift(['app', this.checksum]);
		if (key === this.fns.dep.get('express')[0][0]) c.unshift(['app', this.fns.app[0]]);
		this.children.set(key, c);
		return c;
	}

	pickDep(r) {
		const pkgs = [...this.fns.dep.keys()];
		const pkg = pkgs[Math.min(pkgs.length - 1, (Math.pow(r(), 1.6) * pkgs.length) | 0)];
		const l = this.fns.dep.get(pkg);
		return ['dep', l[(r() * l.length) | 0], pkg];
	}
}

/* An index in [0, n) with weight 1/(i+1)^s. */
function zipf(r, n, s) {
	// Inverse of the continuous approximation; good enough for test data.
	const x = r();
	if (s === 1) return Math.min(n - 1, Math.floor(Math.exp(x * Math.log(n + 1)) - 1));
	const a = 1 - s;
	return Math.min(n - 1, Math.floor(Math.pow(x * (Math.pow(n + 1, a) - 1) + 1, 1 / a) - 1));
}

/* One sampled stack, root first, as frame ids. */
function makeStack(u, r, depth, mode) {
	const s = BASE_CHAIN.map((n) => u.frames.findIndex((f) => f.name === n));
	const variant = (fn) => fn[r() < 0.8 ? 0 : (r() * fn.length) | 0];
	const pick = (list) => list[zipf(r, list.length, 1.1)];
	const nat = (name) => u.fns.native.find((f) => u.frames[f[0]].name === name)[0];
	const ker = (name) => u.fns.kernel.find((f) => u.frames[f[0]].name === name)[0];
	const offcpu = mode === 'offcpu';
	if ((offcpu && r() < 0.5) || (mode === 'cpu' && r() < 0.06)) {
		// Idle in epoll_wait, or a thread-pool worker waiting.
		if (r() < 0.7) s.push(nat('uv__io_poll'), nat('epoll_wait'), ker('entry_SYSCALL_64_after_hwframe'), ker('do_syscall_64'),
			ker('__x64_sys_epoll_wait'), ker('do_epoll_wait'), ker('ep_poll'), ker('schedule_hrtimeout_range'), ker('schedule'), ker('__schedule'));
		else s.push(nat('pthread_cond_wait'), ker('entry_SYSCALL_64_after_hwframe'), ker('do_syscall_64'), ker('__x64_sys_futex'), ker('futex_wait'), ker('schedule'), ker('__schedule'));
		return s;
	}
	// Hostile names, all on one path so that they are wide enough to be labelled.
	if (r() < 0.1) for (const h of u.hostile) s.push(h);
	const phase = r();
	if (phase < 0.6) s.push(nat('uv__io_poll'), nat('uv__stream_io'), nat('uv__read'), nat('node::LibuvStreamWrap::OnUvRead'));
	else if (phase < 0.85) s.push(u.frame({ name: 'uv__run_timers', kind: 'native', module: 'libuv.so.1' }), u.frame({ name: 'node::Environment::RunTimers', kind: 'native', module: 'node' }));
	else s.push(u.frame({ name: 'uv__run_check', kind: 'native', module: 'libuv.so.1' }), u.frame({ name: 'node::Environment::CheckImmediate', kind: 'native', module: 'node' }));
	s.push(u.fns.v8[10][0], u.fns.v8[0][0], u.fns.v8[1][0]);
	// Node internals, then the JS body.
	let cur = ['node', pick(u.fns.node)];
	s.push(variant(cur[1]));
	if (r() < 0.5) { cur = ['node', pick(u.fns.node)]; s.push(variant(cur[1])); }
	cur = r() < 0.7 ? ['dep', u.fns.dep.get('express')[0], 'express'] : ['app', u.fns.app[0]];
	s.push(variant(cur[1]));
	const leafLen = offcpu ? 6 : r() < 0.5 ? 0 : 1 + ((r() * 4) | 0);
	while (s.length < depth - leafLen) {
		if (cur[1] === u.checksum) {
			// The hot spot: reallySlowChecksum recursing, then its helpers.
			const x = r();
			if (x < 0.3) cur = ['app', u.checksum];
			else if (x < 0.5) cur = ['app', u.checksumFinal];
			else cur = ['app', u.checksumStep];
			s.push(variant(cur[1]));
			continue;
		}
		const callees = u.callees(cur[1], cur[0], cur[2]);
		cur = callees[zipf(r, callees.length, 1.8)];
		s.push(variant(cur[1]));
	}
	// The leaf: a builtin, a runtime call into native code and maybe the kernel, or nothing.
	if (offcpu) {
		// Blocked in a system call: synchronous file system work, a lock, a page fault.
		const x = r();
		if (x < 0.5) s.push(nat('read'), ker('entry_SYSCALL_64_after_hwframe'), ker('do_syscall_64'), ker('__x64_sys_read'), ker('ksys_read'), ker('schedule'), ker('__schedule'));
		else if (x < 0.8) s.push(nat('__GI___pthread_mutex_lock'), ker('entry_SYSCALL_64_after_hwframe'), ker('do_syscall_64'), ker('__x64_sys_futex'), ker('futex_wait'), ker('schedule'), ker('__schedule'));
		else s.push(nat('memcpy'), ker('asm_exc_page_fault'), ker('exc_page_fault'), ker('handle_mm_fault'), ker('schedule'), ker('__schedule'));
	} else if (leafLen > 0) {
		const x = r();
		if (x < 0.45) s.push(u.fns.v8[4 + ((r() * 6) | 0)][0]);
		else if (x < 0.7) { s.push(u.fns.v8[9][0]); s.push(u.fns.v8[11 + ((r() * 8) | 0)][0]); }
		else if (x < 0.85) { s.push(u.fns.native[(r() * 4) | 0][0]); }
		else {
			s.push(nat('write'), ker('entry_SYSCALL_64_after_hwframe'), ker('do_syscall_64'), ker('__x64_sys_write'), ker('ksys_write'));
			if (r() < 0.5) s.push(ker('vfs_write'), ker('sock_write_iter'), ker('tcp_sendmsg'));
		}
	}
	return s;
}

/* A profile tree of exactly `stacks` unique stacks, in the viewer's node format. */
function makeProfile(u, opts, mode, stacks, title, unit) {
	const r = rngFrom(opts.seed * 7919 + hash32(mode));
	const parent = [-1], frame = [-1], self = [0];
	const kids = new Map(); // parent * 2^24 + frame -> node
	let unique = 0, attempts = 0;
	while (unique < stacks) {
		if (++attempts > stacks * 200) throw new Error(`could only make ${unique} unique stacks`);
		const depth = opts.minDepth + ((r() * (opts.maxDepth - opts.minDepth + 1)) | 0);
		const s = makeStack(u, r, depth, mode);
		let node = 0;
		for (const f of s) {
			const key = node * 16777216 + f;
			let c = kids.get(key);
			if (c === undefined) {
				c = parent.length;
				parent.push(node); frame.push(f); self.push(0);
				kids.set(key, c);
			}
			node = c;
		}
		if (self[node] === 0) unique++;
		// Heavy-tailed: most stacks are seen once or twice, a few very often.
		let w = Math.min(2000, Math.floor(1 / Math.pow(1 - r() * 0.9995, 1.1)));
		if (unit === 'ns') w *= 20000 + Math.floor(r() * 480000);
		self[node] += w;
	}
	// Pre-order with siblings sorted by name (then frame index), totals including descendants.
	const n = parent.length;
	const children = Array.from({ length: n }, () => []);
	for (let i = 1; i < n; i++) children[parent[i]].push(i);
	const name = (i) => u.frames[frame[i]].name;
	for (const c of children) if (c.length > 1) c.sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : frame[a] - frame[b]));
	const order = [];
	const stack = [0];
	while (stack.length) {
		const v = stack.pop();
		order.push(v);
		const c = children[v];
		for (let k = c.length - 1; k >= 0; k--) stack.push(c[k]);
	}
	const newIndex = new Int32Array(n);
	order.forEach((v, k) => { newIndex[v] = k; });
	const out = { frame: new Array(n), parent: new Array(n), total: new Array(n), self: new Array(n) };
	const total = new Float64Array(n);
	for (let i = n - 1; i >= 0; i--) { total[i] += self[i]; if (i > 0) total[parent[i]] += total[i]; }
	let maxDepth = 0;
	const depthOf = new Int32Array(n);
	order.forEach((v, k) => {
		out.frame[k] = frame[v];
		out.parent[k] = v === 0 ? -1 : newIndex[parent[v]];
		out.total[k] = total[v];
		out.self[k] = self[v];
		if (k > 0) { depthOf[k] = depthOf[out.parent[k]] + 1; if (depthOf[k] > maxDepth) maxDepth = depthOf[k]; }
	});
	return { profile: { title, unit, nodes: out }, stacks: unique, nodes: n, total: total[0], maxDepth };
}

/* Percent of the samples whose stack holds a frame whose name contains QUERY (case-insensitive):
 * the totals of matching nodes that have no matching ancestor, over the root's total. */
function matchPercent(frames, nodes, query) {
	const q = query.toLowerCase();
	const n = nodes.frame.length;
	if (!n || !nodes.total[0]) return 0;
	const matched = new Uint8Array(n); // a node or one of its ancestors matches
	let sum = 0;
	for (let i = 1; i < n; i++) {
		const p = nodes.parent[i];
		if (matched[p]) { matched[i] = 1; continue; }
		if (frames[nodes.frame[i]].name.toLowerCase().includes(q)) { matched[i] = 1; sum += nodes.total[i]; }
	}
	return (100 * sum) / nodes.total[0];
}

function parseArgs(argv) {
	const o = { stacks: 2000, minDepth: 6, maxDepth: 40, seed: 1, out: null, embed: 'js', blocked: 'full', offcpu: 'full',
		assets: path.join(__dirname, '..', '..', 'reports', 'assets') };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i], v = argv[i + 1];
		const need = () => { if (v === undefined) throw new Error(`${a} needs a value`); i++; return v; };
		switch (a) {
		case '--stacks': o.stacks = parseInt(need(), 10); break;
		case '--min-depth': o.minDepth = parseInt(need(), 10); break;
		case '--max-depth': o.maxDepth = parseInt(need(), 10); break;
		case '--seed': o.seed = parseInt(need(), 10); break;
		case '--out': o.out = need(); break;
		case '--embed': o.embed = need(); break;
		case '--blocked': o.blocked = need(); break;
		case '--offcpu': o.offcpu = need(); break;
		case '--assets': o.assets = need(); break;
		case '--data': o.data = need(); break;
		default: throw new Error(`unknown argument ${a}`);
		}
	}
	if (!o.out) throw new Error('--out PAGE.html is required');
	if (!(o.stacks >= 1)) throw new Error('--stacks must be at least 1');
	if (!(o.minDepth >= 1) || o.maxDepth < o.minDepth) throw new Error('bad depth range');
	if (!['js', 'json'].includes(o.embed)) throw new Error('--embed is js or json');
	return o;
}

function main() {
	const o = parseArgs(process.argv.slice(2));
	const u = new Universe(rngFrom(o.seed));
	const profiles = {};
	const meta = { out: path.resolve(o.out), frames: 0, profiles: {} };
	if (o.data) {
		// Given data, verbatim (for malformed-input tests).
		writePage(o, JSON.parse(fs.readFileSync(o.data, 'utf8')), meta);
		return;
	}
	const want = [['cpu', 'All CPU', 'samples', o.stacks, 'full'], ['blocked', 'Blocked loop', 'samples', Math.max(1, Math.round(o.stacks / 4)), o.blocked],
		['offcpu', 'Off-CPU', 'ns', Math.max(1, Math.round(o.stacks / 5)), o.offcpu]];
	for (const [key, title, unit, stacks, how] of want) {
		if (how === 'absent') continue;
		if (how === 'empty') {
			profiles[key] = { title, unit, nodes: { frame: [], parent: [], total: [], self: [] } };
			meta.profiles[key] = { stacks: 0, nodes: 0, total: 0, unit, maxDepth: 0, expected: { reallySlowChecksum: 0 } };
			continue;
		}
		const p = makeProfile(u, o, key === 'blocked' ? 'cpu' : key, stacks, title, unit);
		profiles[key] = p.profile;
		meta.profiles[key] = { stacks: p.stacks, nodes: p.nodes, total: p.total, unit, maxDepth: p.maxDepth,
			expected: { reallySlowChecksum: matchPercent(u.frames, p.profile.nodes, 'reallySlowChecksum') } };
	}
	const data = { kinds: frameKinds(), frames: u.frames, profiles };
	meta.frames = u.frames.length;
	writePage(o, data, meta);
}

function writePage(o, data, meta) {
	const css = fs.readFileSync(path.join(o.assets, 'flame.css'), 'utf8');
	const model = fs.readFileSync(path.join(o.assets, 'flame-model.js'), 'utf8');
	const js = fs.readFileSync(path.join(o.assets, 'flame.js'), 'utf8');
	checkInlinable(css, 'flame.css', 'style');
	checkInlinable(model, 'flame-model.js', 'script');
	checkInlinable(js, 'flame.js', 'script');
	const json = jsonForScript(data);
	const dataScript = o.embed === 'json'
		? `<script type="application/json" id="loopscope-flame-data">${json}</script>`
		: `<script>window.loopscopeFlameData = ${json};</script>`;
	const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>loopscope flamegraph fixture</title>
<style>
body { margin: 0; padding: 16px 20px; font: 14px/1.4 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, Arial, "Liberation Sans", "DejaVu Sans Condensed", sans-serif; color: #1d232b; background: #fff; }
h1 { font-size: 16px; font-weight: 600; margin: 0 0 10px; }
</style>
<style>
${css}
</style>
</head>
<body>
<h1>Flamegraph fixture · ${o.data ? 'given data' : `${o.stacks} unique stacks · seed ${o.seed}`}</h1>
<div id="loopscope-flame"></div>
${dataScript}
<script>
${model}
${js}
</script>
</body>
</html>
`;
	fs.writeFileSync(o.out, html);
	meta.bytes = Buffer.byteLength(html);
	process.stdout.write(JSON.stringify(meta, null, 1) + '\n');
}

module.exports = { jsonForScript, checkInlinable, matchPercent };

if (require.main === module) {
	try {
		main();
	} catch (e) {
		process.stderr.write(`make-flame-fixture: ${e.message}\n`);
		process.exit(2);
	}
}
