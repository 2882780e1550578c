/*
 * The flamegraph viewer's model (reports/assets/flame-model.js) under node, without a browser.
 * Workload: a small folded profile of a request handler (known counts: 100 samples; handleRequest
 * 60 of them, 10 its own; parseHeaders 30; render 20 through parseTemplate; gc 40), given to the
 * model the way the viewer's data gives it (frames with kinds, nodes in creation order, not in
 * pre-order), with the kinds read from collector/symbols/frames.h.
 * Expected: totals, self times, depths and left edges exactly as the counts say; boxes as wide as
 * their share of the width (within 1e-9 px) and none narrower than the minimum; searches match the
 * samples under matching frames once each; hiding a kind moves its self time to the nearest shown
 * ancestor and merges same-frame siblings; malformed trees are refused or repaired as flame.js
 * documents; labels fit the room they are given. Run by tests/static/flame_model.sh.
 */
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('path');

const M = require(path.join(__dirname, '..', '..', '..', 'reports', 'assets', 'flame-model.js'));
const frameKinds = require(path.join(__dirname, '..', '..', 'tools', 'frame-kinds.js'));

const KINDS = new M.Kinds(frameKinds());

// Folded lines -> viewer data: one frame per distinct name (kind from KIND_OF), nodes numbered as
// first met, so children come in the order the lines name them (not sorted, not pre-order).
function fromFolded(lines, kindOf) {
	const frames = [], frameIdx = new Map(), nodes = { frame: [-1], parent: [-1], total: [0], self: [0] };
	const child = new Map();
	for (const line of lines) {
		const sp = line.lastIndexOf(' '), count = +line.slice(sp + 1);
		let node = 0;
		nodes.total[0] += count;
		for (const name of line.slice(0, sp).split(';')) {
			if (!frameIdx.has(name)) {
				frameIdx.set(name, frames.length);
				frames.push({ name, kind: kindOf[name] || 'mystery' });
			}
			const key = node + '/' + name;
			if (!child.has(key)) {
				child.set(key, nodes.frame.length);
				nodes.frame.push(frameIdx.get(name));
				nodes.parent.push(node);
				nodes.total.push(0);
				nodes.self.push(0);
			}
			node = child.get(key);
			nodes.total[node] += count;
		}
		nodes.self[node] += count;
	}
	return { frames, nodes };
}

const REQUEST = [
	'main;gc 40',
	'main;handleRequest;render;parseTemplate 20',
	'main;handleRequest;parseHeaders 30',
	'main;handleRequest 10',
];
const KIND_OF = { main: 'native', handleRequest: 'app', parseHeaders: 'app', render: 'dep', parseTemplate: 'dep', gc: 'v8' };

function load(lines, kindOf) {
	const d = fromFolded(lines, kindOf || KIND_OF);
	const frames = new M.Frames(d.frames, KINDS);
	const r = M.treeFromProfile({ nodes: d.nodes }, frames);
	return { frames, tree: r.tree, result: r };
}

// Node of tree T by its path of names from the root ("main;handleRequest").
function nodeAt(t, frames, names) {
	let z = 0;
	for (const name of names.split(';')) {
		let next = -1;
		for (let j = z + 1; j < t.end[z]; j = t.end[j]) if (frames.name[t.frame[j]] === name) next = j;
		assert.notEqual(next, -1, `no node ${names}`);
		z = next;
	}
	return z;
}

// The tree as "path total/self depth x" lines in pre-order.
function dump(t, frames) {
	const out = [];
	for (let i = 1; i < t.n; i++) {
		const names = [];
		for (let a = i; a > 0; a = t.parent[a]) names.unshift(frames.name[t.frame[a]]);
		out.push(`${names.join(';')} ${t.total[i]}/${t.self[i]} d${t.depth[i]} x${t.x[i]}`);
	}
	return out;
}

test('kinds come from collector/symbols/frames.h in the legend order, unknown last', () => {
	assert.deepEqual(KINDS.name, ['app', 'dep', 'node', 'v8', 'native', 'kernel', 'unknown']);
	assert.equal(KINDS.description[KINDS.find('app')], 'application JavaScript');
	assert.equal(KINDS.legend[KINDS.find('v8')], 'V8 / runtime');
	assert.equal(KINDS.unknown, 6);
	const frames = new M.Frames([{ name: 'x', kind: 'mystery' }, { name: 'y', kind: '__proto__' }, { name: 'z', kind: 'kernel' }], KINDS);
	assert.deepEqual(Array.from(frames.kind.slice(0, 3)), [6, 6, 5]);
});

test('data without kinds: every frame is of the one kind "unknown"', () => {
	const k = new M.Kinds(undefined);
	assert.deepEqual(k.name, ['unknown']);
	const bad = new M.Kinds([{ name: 'Has Space' }, { name: 'ok' }, { name: 'ok' }, null]);
	assert.deepEqual(bad.name, ['ok', 'unknown']);
	assert.equal(bad.legend[0], 'ok');
});

test('a folded profile becomes the call tree its counts say, siblings by name, in pre-order', () => {
	const { tree: t, frames } = load(REQUEST);
	assert.equal(t.n, 7);
	assert.equal(t.total[0], 100);
	assert.deepEqual(dump(t, frames), [
		'main 100/0 d1 x0',
		'main;gc 40/40 d2 x0',
		'main;handleRequest 60/10 d2 x40',
		'main;handleRequest;parseHeaders 30/30 d3 x40',
		'main;handleRequest;render 20/0 d3 x70',
		'main;handleRequest;render;parseTemplate 20/20 d4 x70',
	]);
	assert.equal(t.maxDepth, 4);
	assert.equal(t.end[nodeAt(t, frames, 'main;handleRequest')], 7); // its subtree: nodes 3..6
});

test('totals below self + children are raised; self is derived when absent', () => {
	const frames = new M.Frames([{ name: 'a' }, { name: 'b' }], KINDS);
	const raised = M.treeFromProfile({ nodes: { frame: [-1, 0, 1], parent: [-1, 0, 1], total: [1, 2, 5], self: [0, 1, 5] } }, frames).tree;
	assert.deepEqual(Array.from(raised.total), [6, 6, 5]);
	const derived = M.treeFromProfile({ nodes: { frame: [-1, 0, 1], parent: [-1, 0, 1], total: [9, 9, 4] } }, frames).tree;
	assert.deepEqual(Array.from(derived.self), [0, 5, 4]);
});

test('malformed profiles: absent, empty, invalid parent, arrays of different lengths', () => {
	const frames = new M.Frames([{ name: 'a' }], KINDS);
	assert.equal(M.resultState(M.treeFromProfile(null, frames)), 'absent');
	assert.equal(M.resultState(M.treeFromProfile({ nodes: { frame: [] } }, frames)), 'empty');
	assert.equal(M.resultState(M.treeFromProfile({ nodes: { frame: [-1, 0], parent: [-1, 0], total: [0, 0] } }, frames)), 'empty');
	assert.deepEqual(M.treeFromProfile({ nodes: { frame: [-1, 0, 0], parent: [-1, 2, 0], total: [3, 2, 1] } }, frames),
		{ error: 'node 1 has an invalid parent' });
	assert.equal(M.treeFromProfile({ nodes: { frame: [-1, 0], parent: [-1], total: [1, 1] } }, frames).error,
		'the node arrays are missing or of different lengths');
	// An out-of-range frame index is the "(invalid frame)" frame.
	const t = M.treeFromProfile({ nodes: { frame: [-1, 7], parent: [-1, 0], total: [2, 2] } }, frames).tree;
	assert.equal(frames.name[t.frame[1]], '(invalid frame)');
});

test('layout: each box is its share of the width; the zoomed node spans it, its ancestors drawn full width', () => {
	const { tree: t, frames } = load(REQUEST);
	const b = new M.Boxes();
	b.layout(t, 0, 1000, 0.35);
	const boxes = {};
	for (let k = 0; k < b.n; k++) boxes[b.node[k] ? frames.name[t.frame[b.node[k]]] : 'all'] = [b.x0[k], b.x1[k] - b.x0[k], b.anc[k]];
	const want = { all: [0, 1000, 0], main: [0, 1000, 0], gc: [0, 400, 0], handleRequest: [400, 600, 0], parseHeaders: [400, 300, 0],
		render: [700, 200, 0], parseTemplate: [700, 200, 0] };
	assert.deepEqual(Object.keys(boxes).sort(), Object.keys(want).sort());
	for (const name in want) {
		assert.ok(Math.abs(boxes[name][0] - want[name][0]) < 1e-9, `${name} x ${boxes[name][0]}`);
		assert.ok(Math.abs(boxes[name][1] - want[name][1]) < 1e-9, `${name} width ${boxes[name][1]}`);
	}
	assert.equal(b.rows, 5);

	const z = nodeAt(t, frames, 'main;handleRequest');
	b.layout(t, z, 600, 0.35);
	const drawn = [];
	for (let k = 0; k < b.n; k++) drawn.push([b.node[k] ? frames.name[t.frame[b.node[k]]] : 'all', b.x0[k], b.x1[k], b.anc[k]]);
	assert.deepEqual(drawn, [['all', 0, 600, 1], ['main', 0, 600, 1], ['handleRequest', 0, 600, 0], ['parseHeaders', 0, 300, 0],
		['render', 300, 500, 0], ['parseTemplate', 300, 500, 0]]);
	// Hit testing by row: row 3 holds parseHeaders then render, in x order.
	assert.equal(frames.name[t.frame[b.node[b.at(3, 299.9)]]], 'parseHeaders');
	assert.equal(frames.name[t.frame[b.node[b.at(3, 300)]]], 'render');
	assert.equal(b.at(3, 500), -1);
	assert.equal(b.at(9, 10), -1);
});

test('layout leaves out boxes narrower than the minimum, with their subtrees', () => {
	const lines = ['main;big 99999', 'main;tiny;tinier 1'];
	const { tree: t } = load(lines, {});
	const b = new M.Boxes();
	b.layout(t, 0, 1000, 0.35); // tiny: 0.01 px
	assert.equal(b.n, 3);
	b.layout(t, 0, 100000, 0.35); // tiny: 1 px
	assert.equal(b.n, 5);
});

test('rows: the root at the bottom (flame) or the top (icicle), and back', () => {
	const contentH = 5 * 17 + 4;
	assert.equal(M.rowTop(0, false, 17, contentH), contentH - 2 - 17);
	assert.equal(M.rowTop(4, false, 17, contentH), 2);
	assert.equal(M.rowTop(2, true, 17, contentH), 36);
	for (let r = 0; r < 5; r++) {
		assert.equal(M.rowAt(M.rowTop(r, false, 17, contentH) + 8, false, 17, contentH), r);
		assert.equal(M.rowAt(M.rowTop(r, true, 17, contentH) + 8, true, 17, contentH), r);
	}
});

test('search counts each sample once, under the first matching frame', () => {
	const { tree: t, frames } = load(REQUEST);
	const run = (q, zoom) => {
		const c = M.compileQuery(q, frames);
		const s = M.matchStats(t, zoom || 0, M.frameMatches(frames, c.match));
		return [s.matchedTotal, s.matchedNodes, Math.round(s.ofZoom * 100) / 100, c.error];
	};
	assert.deepEqual(run('parse'), [50, 2, 50, '']);
	assert.deepEqual(run('PARSE'), [50, 2, 50, '']);
	assert.deepEqual(run('/^parse(headers)?$/'), [30, 1, 30, '']);
	assert.deepEqual(run('/handle|parse/'), [60, 1, 60, '']); // parse* inside handleRequest: not again
	assert.deepEqual(run('noSuchFrame'), [0, 0, 0, '']);
	assert.deepEqual(run('/(/'), [0, 0, 0, 'invalid regular expression']);
	// Of the zoomed node: 50 of handleRequest's 60; all of render's 20; all of a matching node.
	assert.deepEqual(run('parse', nodeAt(t, frames, 'main;handleRequest')), [50, 2, 83.33, '']);
	assert.deepEqual(run('parse', nodeAt(t, frames, 'main;handleRequest;render')), [50, 2, 100, '']);
	assert.deepEqual(run('render', nodeAt(t, frames, 'main;handleRequest;render;parseTemplate')), [20, 1, 100, '']);
	assert.equal(M.compileQuery('   ', frames).match, null);
});

test('hiding a kind gives its self time to the nearest shown ancestor and keeps the totals', () => {
	const { tree: t, frames } = load(REQUEST);
	const hide = (...names) => {
		const hidden = new Uint8Array(KINDS.count);
		for (const n of names) hidden[KINDS.find(n)] = 1;
		return M.filterTree(t, hidden, frames);
	};
	assert.equal(hide('kernel'), t); // nothing of that kind: the same tree
	assert.deepEqual(dump(hide('dep'), frames), [
		'main 100/0 d1 x0',
		'main;gc 40/40 d2 x0',
		'main;handleRequest 60/30 d2 x40',
		'main;handleRequest;parseHeaders 30/30 d3 x40',
	]);
	assert.deepEqual(dump(hide('app'), frames), [
		'main 100/40 d1 x0',
		'main;gc 40/40 d2 x0',
		'main;render 20/0 d2 x40',
		'main;render;parseTemplate 20/20 d3 x40',
	]);
	// Same frames under two hidden callers merge into one node.
	const { tree: u, frames: f2 } = load(['main;wrapA;work 5', 'main;wrapB;work 7', 'main;wrapB;other 1'], { main: 'native', wrapA: 'dep', wrapB: 'dep', work: 'app', other: 'app' });
	const hidden = new Uint8Array(KINDS.count);
	hidden[KINDS.find('dep')] = 1;
	assert.deepEqual(dump(M.filterTree(u, hidden, f2), f2), ['main 13/0 d1 x0', 'main;other 1/1 d2 x0', 'main;work 12/12 d2 x1']);
});

test('a zoom is remembered by its frames and found again with hidden frames skipped', () => {
	const { tree: t, frames } = load(REQUEST);
	const z = nodeAt(t, frames, 'main;handleRequest;render;parseTemplate');
	const path = M.framePath(t, z);
	assert.deepEqual(path.map((f) => frames.name[f]), ['main', 'handleRequest', 'render', 'parseTemplate']);
	const hidden = new Uint8Array(KINDS.count);
	hidden[KINDS.find('app')] = 1;
	const u = M.filterTree(t, hidden, frames);
	assert.equal(M.nodeOfPath(u, path, hidden, frames), nodeAt(u, frames, 'main;render;parseTemplate'));
	assert.equal(M.widest(t, frames, 'parseHeaders'), nodeAt(t, frames, 'main;handleRequest;parseHeaders'));
	assert.equal(M.widest(t, frames, 'nothing'), -1);
});

test('labels fit the room given, cut with an ellipsis, or are left out', () => {
	const measure = (s) => s.length * 6; // 6 px a character
	assert.equal(M.fitText('parseHeaders', 100, measure, 1), 'parseHeaders');
	assert.equal(M.fitText('parseHeaders', 40, measure, 1), 'parse\u2026');
	assert.equal(M.fitText('parseHeaders', 9, measure, 1), '');
	assert.equal(M.fitText('parseHeaders', 5, measure, 1), '');
	// Never half a surrogate pair: 'ab' + U+1F600 is 4 code units.
	assert.equal(M.fitText('ab\ud83d\ude00cd', 24, measure, 1), 'ab\u2026');
});

test('the tooltip and status line name the kind by its description', () => {
	const { tree: t, frames } = load(REQUEST);
	const p = { title: 'All CPU', unit: 'samples' };
	const lines = M.describeNode(t, frames, KINDS, nodeAt(t, frames, 'main;handleRequest'), p);
	assert.deepEqual(lines.map((l) => (l.k ? l.k + ': ' : '') + l.text), [
		'handleRequest', 'Kind: application JavaScript', 'Total: 60 samples \u00b7 60.0% of all \u00b7 60.0% of parent',
		'Self: 10 samples \u00b7 10.0% of all']);
	assert.equal(M.oneLine(t, frames, KINDS, nodeAt(t, frames, 'main;gc'), p), 'gc \u2014 40 samples, 40.0% \u00b7 V8 builtin / runtime');
	assert.equal(M.oneLine(t, frames, KINDS, 0, { unit: 'ns' }), 'all \u00b7 100 ns');
});

test('numbers as the viewer prints them', () => {
	assert.equal(M.fmtNs(1500000), '1.50 ms');
	assert.equal(M.fmtNs(2.5e9), '2.50 s');
	assert.equal(M.fmtPct(0.005), '<0.01%');
	assert.equal(M.fmtPct(12.345), '12.3%');
	assert.equal(M.fmtValue(1, 'samples'), '1 sample');
	assert.equal(M.fmtShort(123456, 'samples'), '123k samples');
	// the native heap's profiles: decimal units, as the report's tables write them
	assert.equal(M.fmtValue(512, 'bytes'), '512 B');
	assert.equal(M.fmtValue(4096, 'bytes'), '4.1 kB');
	assert.equal(M.fmtShort(42301440, 'bytes'), '42.30 MB');
	assert.equal(M.fmtValue(1.2e9, 'bytes'), '1.20 GB');
	assert.equal(M.fmtValue(4096, 'widgets'), '4,096 widgets');
});

test('profiles as tabs: cpu, blocked, offcpu, then others; default titles and units', () => {
	const ps = M.profileList({ profiles: { custom: { title: 'Allocations', unit: 'bytes' }, offcpu: { unit: 'ns' }, heap: { unit: 'bytes' } } });
	assert.deepEqual(ps.map((p) => [p.key, p.title, p.unit, !!p.raw]), [
		['cpu', 'All CPU', 'samples', false], ['blocked', 'Blocked loop', 'samples', false], ['offcpu', 'Off-CPU', 'ns', true],
		['custom', 'Allocations', 'bytes', true], ['heap', 'Native heap: live', 'bytes', true]]);
	assert.equal(M.peekTotal({ nodes: { total: [42] } }), 42);
});

test('colours: a stable jitter around the kind colour, one per package', () => {
	const frames = new M.Frames([{ name: 'f', kind: 'app' }, { name: 'g', kind: 'dep', package: 'express' }, { name: 'h', kind: 'dep', package: 'express' }], KINDS);
	const red = [255, 0, 0];
	const none = M.frameColors(frames, 0, red, [0, 0]);
	assert.equal(none.color, 'hsl(0.0,100.0%,50.0%)');
	const a = M.frameColors(frames, 0, red, [13, 4]), again = M.frameColors(frames, 0, red, [13, 4]);
	assert.equal(a.color, again.color);
	const hue = parseFloat(/hsl\(([\d.]+)/.exec(a.color)[1]);
	assert.ok(hue <= 13 || hue >= 347, `hue ${hue} strays more than 13 degrees`);
	// Frames of one package share its hue and saturation, whatever their names.
	const g = M.frameColors(frames, 1, red, [0, 0]).color.split(','), h = M.frameColors(frames, 2, red, [0, 0]).color.split(',');
	assert.ok(Math.abs(parseFloat(g[0].slice(4)) - parseFloat(h[0].slice(4))) <= 4.1, `${g} vs ${h}`);
	assert.equal(g[1], h[1]);
});
