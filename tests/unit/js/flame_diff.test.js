/*
 * The differential flame graph's model (reports/assets/flame-model.js: makeDiff, diffMix,
 * diffByFrame, describeDiffNode) under node, without a browser.
 * Workload: a request handler profiled twice. Baseline, 100 samples: parseHeaders 30, parseTemplate
 * 20 (under render), gc 40, legacyAuth 10. Current, 200 samples: parseHeaders 20, parseTemplate 80,
 * gc 80, walk;walk 20 (a recursive frame), no legacyAuth. Given to the model as the viewer's data
 * gives it (the union of both sides' stacks, nodes in creation order, not pre-order; "base" and
 * "baseSelf" beside "total" and "self").
 * Expected: each node's change of share is its share of the current total less its share of the
 * baseline's (render +20 pp, parseHeaders -20 pp, gc and handleRequest 0, legacyAuth -10 pp and
 * gone, walk +10 pp and new), the colour scale is the largest change (at least 1 pp); colours are
 * the "same" colour at no change, the grew/shrank colour at full scale, halfway at a quarter of
 * it (the square root of the change's part of the scale); per frame,
 * a recursive frame's samples count once; widths by the baseline show the frame that is gone; the
 * tooltip gives both sides' counts and shares and the change.
 */
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('path');

const M = require(path.join(__dirname, '..', '..', '..', 'reports', 'assets', 'flame-model.js'));
const frameKinds = require(path.join(__dirname, '..', '..', 'tools', 'frame-kinds.js'));

const KINDS = new M.Kinds(frameKinds());

const BASE = ['main;handleRequest;parseHeaders 30', 'main;handleRequest;render;parseTemplate 20', 'main;gc 40', 'main;legacyAuth 10'];
const CUR = ['main;walk;walk 20', 'main;gc 80', 'main;handleRequest;render;parseTemplate 80', 'main;handleRequest;parseHeaders 20'];

// Two sides' folded lines -> the viewer's data: the union tree, nodes numbered as first met (the
// current side first), each with both sides' totals and self counts.
function fromPair(base, cur) {
	const frames = [], frameIdx = new Map(), child = new Map();
	const nodes = { frame: [-1], parent: [-1], total: [0], self: [0], base: [0], baseSelf: [0] };
	const add = (lines, total, self) => {
		for (const line of lines) {
			const sp = line.lastIndexOf(' '), count = +line.slice(sp + 1);
			let node = 0;
			nodes[total][0] += count;
			for (const name of line.slice(0, sp).split(';')) {
				if (!frameIdx.has(name)) {
					frameIdx.set(name, frames.length);
					frames.push({ name, kind: 'app' });
				}
				const key = node + '/' + name;
				if (!child.has(key)) {
					child.set(key, nodes.frame.length);
					nodes.frame.push(frameIdx.get(name));
					nodes.parent.push(node);
					for (const k of ['total', 'self', 'base', 'baseSelf']) nodes[k].push(0);
				}
				node = child.get(key);
				nodes[total][node] += count;
			}
			nodes[self][node] += count;
		}
	};
	add(cur, 'total', 'self');
	add(base, 'base', 'baseSelf');
	return { frames, nodes };
}

function load() {
	const d = fromPair(BASE, CUR);
	const frames = new M.Frames(d.frames, KINDS);
	const r = M.treeFromProfile({ title: 'All CPU', unit: 'samples', nodes: d.nodes }, frames);
	return { frames, r, diff: r.diff };
}

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

const close = (a, b, what) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

test('each node: its share of the current total less its share of the baseline total', () => {
	const { frames, diff } = load();
	assert.ok(diff, 'a profile with "base" is differential');
	assert.equal(diff.cur.total[0], 200);
	assert.equal(diff.base.total[0], 100);
	const want = { main: 0, 'main;handleRequest': 0, 'main;handleRequest;render': 0.2, 'main;handleRequest;render;parseTemplate': 0.2,
		'main;handleRequest;parseHeaders': -0.2, 'main;gc': 0, 'main;legacyAuth': -0.1, 'main;walk': 0.1, 'main;walk;walk': 0.1 };
	for (const p in want) close(diff.delta[nodeAt(diff.cur, frames, p)], want[p], p);
	assert.equal(diff.delta[0], 0);
	close(diff.scale, 0.2, 'scale');
	// The same nodes in both trees; widths by the baseline show what is gone.
	const gone = nodeAt(diff.cur, frames, 'main;legacyAuth');
	assert.equal(diff.cur.total[gone], 0);
	assert.equal(diff.base.total[gone], 10);
	assert.equal(diff.base.total[nodeAt(diff.cur, frames, 'main;walk')], 0);
	const b = new M.Boxes();
	b.layout(diff.base, 0, 1000, 0.35);
	const k = b.indexOf(gone);
	assert.ok(k >= 0, 'the frame that is gone is drawn with the baseline widths');
	close(b.x1[k] - b.x0[k], 100, 'its width (10 of 100 samples over 1000 px)');
	b.layout(diff.cur, 0, 1000, 0.35);
	assert.equal(b.indexOf(gone), -1, 'and not with the current widths');
});

test('the colour scale is at least one percentage point', () => {
	const frames = new M.Frames([{ name: 'a' }, { name: 'b' }], KINDS);
	const r = M.treeFromProfile({ nodes: { frame: [-1, 0, 1], parent: [-1, 0, 0], total: [1000, 501, 499], base: [1000, 500, 500] } }, frames);
	close(r.diff.scale, M.DIFF_MIN_SCALE, 'scale of a 0.1 pp change');
	assert.equal(M.DIFF_MIN_SCALE, 0.01);
	assert.deepEqual(Array.from(r.diff.base.self), [0, 500, 500], 'baseSelf derived from "base" when absent');
});

test('colours: the same colour at no change, grew or shrank at full scale, by the square root between', () => {
	const same = [240, 240, 240], grew = [220, 40, 40], shrank = [40, 90, 220];
	assert.deepEqual(M.diffMix(0, 0.2, same, grew, shrank), same);
	assert.deepEqual(M.diffMix(0.2, 0.2, same, grew, shrank), grew);
	assert.deepEqual(M.diffMix(0.5, 0.2, same, grew, shrank), grew);
	assert.deepEqual(M.diffMix(-0.2, 0.2, same, grew, shrank), shrank);
	assert.deepEqual(M.diffMix(-0.05, 0.2, same, grew, shrank), [140, 165, 230]); // a quarter of the scale: halfway
	assert.deepEqual(M.diffMix(0.1, 0.2, same, grew, shrank), [226, 99, 99]); // half of it: sqrt(0.5) of the way
});

test('per frame: the largest changes first, a recursive frame counted once, frames of one side only listed', () => {
	const { frames, diff } = load();
	const rows = M.diffByFrame(diff, frames).map((c) => [frames.name[c.frame], c.base, c.cur, Math.round(c.delta * 1000) / 10]);
	assert.deepEqual(rows, [
		['parseHeaders', 30, 20, -20], ['parseTemplate', 20, 80, 20], ['render', 20, 80, 20],
		['legacyAuth', 10, 0, -10], ['walk', 0, 20, 10],
		['gc', 40, 80, 0], ['handleRequest', 50, 100, 0], ['main', 100, 200, 0]]);
});

test('tooltip and status line: both sides with their shares, and the change', () => {
	const { frames, diff } = load();
	const p = { title: 'All CPU', unit: 'samples' };
	const text = (node) => M.describeDiffNode(diff, frames, KINDS, node, p).map((l) => (l.k ? l.k + ': ' : '') + l.text);
	assert.deepEqual(text(nodeAt(diff.cur, frames, 'main;handleRequest;render;parseTemplate')), [
		'parseTemplate', 'Kind: application JavaScript',
		'Current: 80 samples \u00b7 40.0% (self 80 samples \u00b7 40.0%)',
		'Baseline: 20 samples \u00b7 20.0% (self 20 samples \u00b7 20.0%)',
		'Change: +20.0 pp of the profile (grew)']);
	assert.deepEqual(text(nodeAt(diff.cur, frames, 'main;legacyAuth')).slice(2), [
		'Current: 0 samples \u00b7 0% (self 0 samples \u00b7 0%)', 'Baseline: 10 samples \u00b7 10.0% (self 10 samples \u00b7 10.0%)',
		'Change: -10.0 pp of the profile (shrank) \u00b7 gone']);
	assert.equal(text(nodeAt(diff.cur, frames, 'main;walk'))[4], 'Change: +10.0 pp of the profile (grew) \u00b7 new');
	assert.deepEqual(text(0), ['all', 'Profile: All CPU', 'Current: 200 samples', 'Baseline: 100 samples']);
	assert.equal(M.oneLineDiff(diff, frames, nodeAt(diff.cur, frames, 'main;handleRequest;parseHeaders'), p),
		'parseHeaders \u2014 -20.0 pp \u00b7 current 20 samples \u00b7 10.0% \u00b7 baseline 30 samples \u00b7 30.0%');
	assert.equal(M.fmtPoints(0.00001), '0 pp');
	assert.equal(M.fmtPoints(-0.0123), '-1.23 pp');
});

test('a tree out of order is reordered with its baseline counts; a profile not compared says why', () => {
	const frames = new M.Frames([{ name: 'b' }, { name: 'a' }], KINDS);
	// Children given b before a: reordered to a, b, with "base" following its nodes.
	const r = M.treeFromProfile({ nodes: { frame: [-1, 0, 1], parent: [-1, 0, 0], total: [10, 6, 4], base: [10, 1, 9] } }, frames);
	assert.deepEqual(Array.from(r.tree.frame), [-1, 1, 0]);
	assert.deepEqual(Array.from(r.diff.base.total), [10, 9, 1]);
	close(r.diff.delta[1], -0.5, 'a');
	const bad = M.treeFromProfile({ nodes: { frame: [-1, 0], parent: [-1, 0], total: [1, 1], base: [1] } }, frames);
	assert.equal(bad.error, 'the node arrays are missing or of different lengths');
	const absent = M.treeFromProfile({ title: 'Off-CPU', absent: 'not in the baseline: the off-CPU probe was not on' }, frames);
	assert.deepEqual(absent, { absent: true, why: 'not in the baseline: the off-CPU probe was not on' });
	assert.equal(M.resultState(absent), 'absent');
});
