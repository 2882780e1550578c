#!/usr/bin/env node
/*
 * Screenshots of a loopscope report for docs/report.md, with tests/tools/cdp.js:
 *
 *   node tests/tools/report-shots.js REPORT.html OUTDIR
 *
 * writes OUTDIR/report-diagnosis.png (header, verdict, findings, key figures), report-timelines.png
 * (the timelines with the hover line and readout inside the middle block of the delay chart),
 * report-histograms.png, report-flamegraph.png (after the finding's "Show it in the flame graph"
 * link) and report-dark.png (the diagnosis under prefers-color-scheme: dark), 1280 px wide, and
 * prints each file's size.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const cdp = require('./cdp.js');

async function rectOf(page, selector, pad) {
	return page.evaluate(`(function () {
		var e = document.querySelector(${JSON.stringify(selector)});
		if (!e) return null;
		var r = e.getBoundingClientRect();
		return { x: 0, y: Math.max(0, r.top + window.scrollY - ${pad}), width: 1280, height: r.height + 2 * ${pad} };
	})()`);
}

async function shot(page, file, clip) {
	const bytes = await page.screenshot(file, clip);
	console.log(`${file}: ${clip.width}x${Math.round(clip.height)}, ${(bytes / 1024).toFixed(0)} KiB`);
}

async function main() {
	const [report, outdir] = process.argv.slice(2);
	if (!report || !outdir) {
		console.error('usage: node tests/tools/report-shots.js REPORT.html OUTDIR');
		process.exit(2);
	}
	fs.mkdirSync(outdir, { recursive: true });
	const url = 'file://' + path.resolve(report);
	const browser = await cdp.launch({ limitMs: 60000 });
	try {
		// A viewport as tall as the page: every clip is inside it, nothing scrolls.
		let page = await browser.newPage({ width: 1280, height: 900 });
		await page.goto(url);
		const height = await page.evaluate('document.documentElement.scrollHeight');
		page = await browser.newPage({ width: 1280, height: Math.min(height + 100, 16000) });
		await page.goto(url);
		const top = await page.evaluate(`(function () {
			var f = document.querySelector('.figures').getBoundingClientRect();
			return f.bottom + 16;
		})()`);
		await shot(page, path.join(outdir, 'report-diagnosis.png'), { x: 0, y: 0, width: 1280, height: top });
		await page.evaluate(`(function () {
			var d = window.loopscopeReport.data.charts.filter(function (c) { return c.id === 'delay'; })[0];
			var t = d && d.spans && d.spans.length ? d.spans[Math.floor(d.spans.length / 2)][0] + 0.02 : window.loopscopeReport.data.duration / 2;
			return window.loopscopeReport.showAt(t);
		})()`);
		await shot(page, path.join(outdir, 'report-timelines.png'), await rectOf(page, '#timelines', 8));
		await shot(page, path.join(outdir, 'report-histograms.png'), await rectOf(page, '#histograms', 8));
		await page.evaluate(`(function () {
			var a = document.querySelector('a.to-flame');
			if (a) a.click();
			return window.loopscopeFlame.state();
		})()`);
		await page.evaluate('new Promise(function (r) { setTimeout(r, 400); })');
		await shot(page, path.join(outdir, 'report-flamegraph.png'), await rectOf(page, '#flamegraph', 8));
		const dark = await browser.newPage({ width: 1280, height: 900 });
		await dark.send('Emulation.setEmulatedMedia', { features: [{ name: 'prefers-color-scheme', value: 'dark' }] });
		await dark.goto(url);
		await shot(dark, path.join(outdir, 'report-dark.png'), { x: 0, y: 0, width: 1280, height: 900 });
		const errors = page.exceptions.concat(dark.exceptions, cdp.consoleErrors({ console: page.console.concat(dark.console) }));
		if (errors.length) {
			console.error('errors on the page:', JSON.stringify(errors));
			process.exitCode = 1;
		}
	} finally {
		await browser.close();
	}
}

main().catch((e) => {
	console.error(e.stack || String(e));
	process.exit(1);
});
