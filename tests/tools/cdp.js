#!/usr/bin/env node
/*
 * A dependency-free Chrome DevTools Protocol client for tests (node >= 18).
 *
 * It starts headless Chromium with --remote-debugging-pipe: Chromium reads protocol messages on
 * its fd 3 and writes them on its fd 4, each message one JSON text followed by a NUL byte. There
 * is no port, no WebSocket and no HTTP: nothing else on the machine can talk to that browser.
 *
 * As a module:
 *   const cdp = require('./cdp.js');
 *   const browser = await cdp.launch({ limitMs: 30000 });         // hard limit: killed after it
 *   const page = await browser.newPage({ width: 1280, height: 800, dpr: 1, preload: 'js...' });
 *   await page.goto('file:///tmp/x.html');                          // resolves on the load event
 *   const v = await page.evaluate('document.title');               // awaits promises, by value
 *   await page.screenshot('/tmp/x.png');
 *   page.console / page.exceptions / page.dialogs                  // collected since newPage()
 *   await browser.close();                                         // Browser.close, then SIGKILL
 *   await cdp.check(file, { evals: [...], screenshot, ... })        // what the CLI does
 *
 * As a command:
 *   node tests/tools/cdp.js check PAGE.html [--eval EXPR]... [--screenshot OUT.png]
 *        [--clip X,Y,W,H] [--width 1280] [--height 800] [--dpr 1] [--timeout 30] [--preload JS]
 *        [--wait EXPR] [--allow-errors]
 *   loads PAGE.html (a path or a URL), waits for its load event (and until EXPR of --wait is
 *   truthy), evaluates each --eval in order (promises are awaited), takes the screenshot, and
 *   prints one JSON object:
 *     { url, console: [{type, text, url, line}], exceptions: [{text, url, line}],
 *       dialogs: [{type, message}], errors: [...], value: <last --eval>, values: [<each --eval>],
 *       screenshot: {path, bytes} }
 *   Exit status: 0 clean; 1 when the page threw, logged a console error (console.error/assert or
 *   a Log entry of level "error"), opened a JavaScript dialog (alert/confirm/prompt; the dialog is
 *   dismissed and recorded) or an --eval threw (unless --allow-errors); 2 on usage errors, when
 *   Chromium cannot start, or on timeout (--timeout seconds for the whole run, default 30; the
 *   browser is killed and the JSON still printed, with "error").
 *
 * Chromium is $CHROMIUM, else /usr/bin/chromium, else chromium/chromium-browser/google-chrome on
 * PATH. Each launch uses a fresh temporary profile directory, removed at close.
 */
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const url = require('url');

const FLAGS = [
	'--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync',
	'--disable-dev-shm-usage', '--no-default-browser-check', '--mute-audio',
	'--force-color-profile=srgb', '--hide-scrollbars=false',
];

function findChromium() {
	if (process.env.CHROMIUM) return process.env.CHROMIUM;
	const candidates = ['/usr/bin/chromium'];
	for (const dir of (process.env.PATH || '').split(':'))
		for (const n of ['chromium', 'chromium-browser', 'google-chrome'])
			if (dir) candidates.push(path.join(dir, n));
	for (const c of candidates) {
		try { fs.accessSync(c, fs.constants.X_OK); return c; } catch (e) { /* next */ }
	}
	return null;
}

function remoteText(o) {
	if (!o) return '';
	if ('value' in o) return typeof o.value === 'string' ? o.value : JSON.stringify(o.value);
	if ('unserializableValue' in o) return o.unserializableValue;
	return o.description || o.type || '';
}

function exceptionText(d) {
	let text = d.text || 'exception';
	if (d.exception) text += ' ' + (d.exception.description || remoteText(d.exception));
	return { text, url: d.url || '', line: d.lineNumber != null ? d.lineNumber + 1 : 0 };
}

class Browser {
	constructor(proc, profileDir, limitMs) {
		this.proc = proc;
		this.profileDir = profileDir;
		this.nextId = 1;
		this.pending = new Map(); // id -> {resolve, reject, method, timer}
		this.listeners = [];     // {method, sessionId, fn}
		this.exited = false;
		this.exitPromise = new Promise((resolve) => {
			proc.on('exit', (code, signal) => {
				this.exited = true;
				this.exitCode = code;
				this.exitSignal = signal;
				this._failAll(new Error(`chromium exited (${signal || code}); stderr: ${this.stderrTail()}`));
				resolve();
			});
		});
		this.stderr = '';
		proc.stderr.on('data', (b) => {
			this.stderr = (this.stderr + b.toString()).slice(-8192);
		});
		this.writer = proc.stdio[3];
		this.reader = proc.stdio[4];
		this.writer.on('error', () => {});
		this.reader.on('error', () => {});
		let chunks = [];
		this.reader.on('data', (buf) => {
			let start = 0;
			for (let i = buf.indexOf(0); i !== -1; i = buf.indexOf(0, start)) {
				chunks.push(buf.subarray(start, i));
				const text = Buffer.concat(chunks).toString('utf8');
				chunks = [];
				start = i + 1;
				this._dispatch(text);
			}
			if (start < buf.length) chunks.push(buf.subarray(start));
		});
		this.deadline = Date.now() + limitMs;
		this.limitTimer = setTimeout(() => {
			this.timedOut = true;
			this._failAll(new Error(`time limit of ${limitMs} ms reached`));
			this.kill();
		}, limitMs);
		this.limitTimer.unref();
		this._onProcessExit = () => {
			this.kill();
			try { fs.rmSync(this.profileDir, { recursive: true, force: true }); } catch (e) { /* best effort */ }
		};
		process.on('exit', this._onProcessExit);
	}

	stderrTail() {
		return this.stderr.split('\n').filter((l) => l.trim()).slice(-5).join(' | ');
	}

	_failAll(err) {
		for (const [, p] of this.pending) {
			clearTimeout(p.timer);
			p.reject(err);
		}
		this.pending.clear();
	}

	_dispatch(text) {
		let msg;
		try { msg = JSON.parse(text); } catch (e) { return; }
		if (msg.id !== undefined) {
			const p = this.pending.get(msg.id);
			if (!p) return;
			this.pending.delete(msg.id);
			clearTimeout(p.timer);
			if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}${msg.error.data ? ' (' + msg.error.data + ')' : ''}`));
			else p.resolve(msg.result || {});
			return;
		}
		for (const l of this.listeners.slice())
			if (l.method === msg.method && (l.sessionId === undefined || l.sessionId === msg.sessionId))
				l.fn(msg.params || {}, msg);
	}

	/* Sends one command; rejects on protocol error, on exit, or after timeoutMs (default: the time
	 * left before the browser's limit). */
	send(method, params, sessionId, timeoutMs) {
		if (this.exited) return Promise.reject(new Error(`${method}: chromium is not running`));
		const id = this.nextId++;
		const msg = { id, method, params: params || {} };
		if (sessionId) msg.sessionId = sessionId;
		const left = Math.max(1, this.deadline - Date.now());
		const limit = Math.min(timeoutMs || left, left);
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.pending.delete(id);
				reject(new Error(`${method}: no answer after ${limit} ms`));
			}, limit);
			this.pending.set(id, { resolve, reject, method, timer });
			this.writer.write(JSON.stringify(msg) + '\0');
		});
	}

	on(method, fn, sessionId) {
		const l = { method, fn, sessionId };
		this.listeners.push(l);
		return () => { this.listeners = this.listeners.filter((x) => x !== l); };
	}

	/* Resolves with the event's params at the next METHOD (in SESSIONID), rejects after timeoutMs. */
	waitFor(method, sessionId, timeoutMs) {
		const left = Math.max(1, this.deadline - Date.now());
		const limit = Math.min(timeoutMs || left, left);
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => { off(); reject(new Error(`no ${method} after ${limit} ms`)); }, limit);
			const off = this.on(method, (params) => { clearTimeout(timer); off(); resolve(params); }, sessionId);
		});
	}

	async newPage(opts = {}) {
		const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' });
		const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
		const page = new Page(this, targetId, sessionId);
		await page._init(opts);
		return page;
	}

	/* SIGKILL to Chromium's process group (it was started as a group leader): the browser, its
	 * renderers, GPU and utility processes. */
	kill() {
		if (!this.exited) {
			try { process.kill(-this.proc.pid, 'SIGKILL'); } catch (e) {
				try { this.proc.kill('SIGKILL'); } catch (e2) { /* gone */ }
			}
		}
	}

	/* Browser.close, then SIGKILL if it has not exited within graceMs; removes the profile. Never
	 * throws. */
	async close(graceMs = 3000) {
		if (!this.exited) {
			this.send('Browser.close', {}, undefined, graceMs).catch(() => {});
			const timer = new Promise((r) => setTimeout(r, graceMs));
			await Promise.race([this.exitPromise, timer]);
			if (!this.exited) {
				this.kill();
				await Promise.race([this.exitPromise, new Promise((r) => setTimeout(r, 2000))]);
			}
		}
		clearTimeout(this.limitTimer);
		process.removeListener('exit', this._onProcessExit);
		for (const s of [this.writer, this.reader]) try { s.destroy(); } catch (e) { /* closed */ }
		try { fs.rmSync(this.profileDir, { recursive: true, force: true, maxRetries: 3 }); } catch (e) { /* best effort */ }
	}
}

class Page {
	constructor(browser, targetId, sessionId) {
		this.browser = browser;
		this.targetId = targetId;
		this.sessionId = sessionId;
		this.console = [];
		this.exceptions = [];
		this.dialogs = [];
		this.logs = [];
	}

	send(method, params, timeoutMs) {
		return this.browser.send(method, params, this.sessionId, timeoutMs);
	}

	on(method, fn) {
		return this.browser.on(method, fn, this.sessionId);
	}

	async _init(opts) {
		this.on('Runtime.consoleAPICalled', (p) => {
			const frame = p.stackTrace && p.stackTrace.callFrames && p.stackTrace.callFrames[0];
			this.console.push({
				type: p.type,
				text: (p.args || []).map(remoteText).join(' '),
				url: frame ? frame.url : '',
				line: frame ? frame.lineNumber + 1 : 0,
			});
		});
		this.on('Runtime.exceptionThrown', (p) => this.exceptions.push(exceptionText(p.exceptionDetails || {})));
		this.on('Log.entryAdded', (p) => {
			const e = p.entry || {};
			this.logs.push(e);
			this.console.push({ type: 'log:' + e.level, source: e.source, text: e.text || '', url: e.url || '', line: e.lineNumber != null ? e.lineNumber + 1 : 0 });
		});
		this.on('Page.javascriptDialogOpening', (p) => {
			this.dialogs.push({ type: p.type, message: p.message });
			this.send('Page.handleJavaScriptDialog', { accept: false }).catch(() => {});
		});
		await Promise.all([this.send('Runtime.enable'), this.send('Log.enable'), this.send('Page.enable')]);
		await this.send('Emulation.setDeviceMetricsOverride', {
			width: opts.width || 1280, height: opts.height || 800,
			deviceScaleFactor: opts.dpr || 1, mobile: false,
		});
		if (opts.preload) await this.send('Page.addScriptToEvaluateOnNewDocument', { source: opts.preload });
	}

	/* Navigates and resolves once the load event fired (rejects on a navigation error). */
	async goto(target, timeoutMs) {
		const loaded = this.browser.waitFor('Page.loadEventFired', this.sessionId, timeoutMs);
		loaded.catch(() => {});
		const r = await this.send('Page.navigate', { url: target }, timeoutMs);
		if (r.errorText) throw new Error(`navigation to ${target} failed: ${r.errorText}`);
		await loaded;
	}

	/* The value of EXPR (a promise is awaited), by value; throws with the page's message when it
	 * throws. */
	async evaluate(expr, timeoutMs) {
		const r = await this.send('Runtime.evaluate', {
			expression: String(expr), returnByValue: true, awaitPromise: true, userGesture: true,
		}, timeoutMs);
		if (r.exceptionDetails) {
			const e = exceptionText(r.exceptionDetails);
			throw new Error(`evaluation threw: ${e.text}`);
		}
		const v = r.result || {};
		if ('value' in v) return v.value;
		if ('unserializableValue' in v) return v.unserializableValue;
		return undefined;
	}

	/* Polls EXPR until truthy (every 50 ms), at most timeoutMs. */
	async waitUntil(expr, timeoutMs = 10000) {
		const end = Date.now() + timeoutMs;
		for (;;) {
			if (await this.evaluate(expr)) return;
			if (Date.now() > end) throw new Error(`still false after ${timeoutMs} ms: ${expr}`);
			await new Promise((r) => setTimeout(r, 50));
		}
	}

	/* A PNG of the viewport (or of CLIP {x, y, width, height} in CSS px) written to FILE; returns
	 * its size in bytes. */
	async screenshot(file, clip, timeoutMs) {
		const params = { format: 'png' };
		if (clip) params.clip = Object.assign({ scale: 1 }, clip);
		const r = await this.send('Page.captureScreenshot', params, timeoutMs);
		const buf = Buffer.from(r.data, 'base64');
		fs.writeFileSync(file, buf);
		return buf.length;
	}
}

/* Starts Chromium. opts: executable, limitMs (default 30000: the browser is killed after it, and
 * every pending call fails), args (extra flags). */
async function launch(opts = {}) {
	const exe = opts.executable || findChromium();
	if (!exe) throw new Error('no chromium found (set $CHROMIUM)');
	const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-profile-'));
	const args = FLAGS.concat(opts.args || [], ['--remote-debugging-pipe', `--user-data-dir=${profileDir}`, 'about:blank']);
	const proc = spawn(exe, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true });
	const browser = new Browser(proc, profileDir, opts.limitMs || 30000);
	const spawnError = new Promise((resolve, reject) => proc.on('error', reject));
	try {
		// The pipe answers once the browser is up.
		await Promise.race([browser.send('Browser.getVersion', {}, undefined, 15000), spawnError]);
	} catch (e) {
		await browser.close(500);
		throw new Error(`chromium did not start: ${e.message}`);
	}
	return browser;
}

function toUrl(p) {
	if (/^[a-z][a-z0-9+.-]*:/i.test(p)) return p;
	return url.pathToFileURL(path.resolve(p)).href;
}

/* Loads PAGE, runs the evals, takes the screenshot; resolves with the report the CLI prints (never
 * rejects: failures land in report.error / report.errors). */
async function check(pageFile, opts = {}) {
	const report = { url: toUrl(pageFile), console: [], exceptions: [], dialogs: [], errors: [], values: [] };
	let browser = null, page = null;
	const limitMs = opts.limitMs || 30000;
	try {
		browser = await launch({ limitMs });
		page = await browser.newPage(opts);
		await page.goto(report.url);
		if (opts.wait) await page.waitUntil(opts.wait, Math.max(1000, browser.deadline - Date.now() - 1000));
		for (const e of opts.evals || []) {
			try {
				report.values.push(await page.evaluate(e));
			} catch (err) {
				report.values.push(null);
				report.errors.push(err.message);
			}
		}
		if (opts.screenshot) {
			const bytes = await page.screenshot(opts.screenshot, opts.clip);
			report.screenshot = { path: opts.screenshot, bytes };
		}
		// Let late console messages and exceptions arrive.
		await page.evaluate('new Promise((r) => setTimeout(r, 50))').catch(() => {});
		if (browser.timedOut) throw new Error('evaluation did not finish');
	} catch (err) {
		report.error = browser && browser.timedOut ? `timeout after ${limitMs} ms: ${err.message}` : err.message;
	}
	if (page) {
		report.console = page.console;
		report.exceptions = page.exceptions;
		report.dialogs = page.dialogs;
	}
	if (report.values.length) report.value = report.values[report.values.length - 1];
	if (browser) await browser.close();
	return report;
}

function consoleErrors(report) {
	return report.console.filter((c) => c.type === 'error' || c.type === 'assert' || c.type === 'log:error');
}

function usage(msg) {
	if (msg) process.stderr.write(`cdp.js: ${msg}\n`);
	process.stderr.write('usage: node cdp.js check PAGE.html [--eval EXPR]... [--screenshot OUT.png] [--clip X,Y,W,H] ' +
		'[--width W] [--height H] [--dpr N] [--timeout SECONDS] [--preload JS] [--wait EXPR] [--allow-errors]\n');
	process.exit(2);
}

async function main(argv) {
	if (argv[0] !== 'check' || argv.length < 2) usage();
	const opts = { evals: [] };
	let file = null, allowErrors = false;
	for (let i = 1; i < argv.length; i++) {
		const a = argv[i];
		const val = () => {
			if (i + 1 >= argv.length) usage(`${a} needs a value`);
			return argv[++i];
		};
		switch (a) {
		case '--eval': opts.evals.push(val()); break;
		case '--screenshot': opts.screenshot = path.resolve(val()); break;
		case '--width': opts.width = +val(); break;
		case '--height': opts.height = +val(); break;
		case '--dpr': opts.dpr = +val(); break;
		case '--timeout': opts.limitMs = Math.round(+val() * 1000); break;
		case '--preload': opts.preload = val(); break;
		case '--wait': opts.wait = val(); break;
		case '--clip': {
			const c = val().split(',').map(Number);
			if (c.length !== 4 || c.some((x) => !(x >= 0))) usage('--clip is X,Y,WIDTH,HEIGHT');
			opts.clip = { x: c[0], y: c[1], width: c[2], height: c[3] };
			break;
		}
		case '--allow-errors': allowErrors = true; break;
		default:
			if (a.startsWith('--') || file) usage(`unexpected argument ${a}`);
			file = a;
		}
	}
	if (!file) usage('no page');
	if (!/^[a-z][a-z0-9+.-]*:/i.test(file) && !fs.existsSync(file)) usage(`no such file: ${file}`);
	const report = await check(file, opts);
	process.stdout.write(JSON.stringify(report, null, 1) + '\n');
	if (report.error) return 2;
	if (allowErrors) return 0;
	if (report.exceptions.length || consoleErrors(report).length || report.dialogs.length || report.errors.length) return 1;
	return 0;
}

module.exports = { launch, check, consoleErrors, findChromium, Browser, Page, FLAGS };

if (require.main === module) {
	for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => process.exit(128 + os.constants.signals[sig]));
	main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
		process.stderr.write(`cdp.js: ${err.stack || err}\n`);
		process.exit(2);
	});
}
