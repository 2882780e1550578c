/*
 * loopscope flamegraph viewer, its model (reports/assets/flame-model.js): everything of the viewer
 * that touches no document, DOM or canvas — the frame and kind tables read from the data, the call
 * trees (checked, reordered, filtered by kind), search, the layout arithmetic of a zoom, colours,
 * label fitting with a given measure, the texts of the tooltip and status line; and for a
 * differential profile (a baseline's counts beside the current ones) the change of each node's
 * share, its colour and the frames that changed most. The data's format
 * is at the top of flame.js, which draws with this and which loopscope inlines right after it, in
 * the same script element. Like flame.js it must never contain a "<" followed by "/script",
 * "script" or "!--".
 *
 * In a page it defines window.loopscopeFlameModel; under node (tests/unit/js/) it is a module.
 */
(function (root, factory) {
	'use strict';
	var model = factory();
	if (typeof module === 'object' && module && module.exports) module.exports = model;
	else root.loopscopeFlameModel = model;
})(typeof window !== 'undefined' ? window : this, function () {
	'use strict';

	var hasOwn = Object.prototype.hasOwnProperty;
	var TIER = Object.create(null);
	TIER['~'] = { letter: 'I', word: 'interpreted (Ignition)' };
	TIER['^'] = { letter: 'B', word: 'baseline (Sparkplug)' };
	TIER['+'] = { letter: 'M', word: 'optimized (Maglev)' };
	TIER['*'] = { letter: 'T', word: 'optimized (TurboFan)' };
	var PROFILE_ORDER = ['cpu', 'blocked', 'offcpu'];
	var DEFAULT_TITLE = Object.create(null);
	DEFAULT_TITLE.cpu = 'All CPU';
	DEFAULT_TITLE.blocked = 'Blocked loop';
	DEFAULT_TITLE.offcpu = 'Off-CPU';
	DEFAULT_TITLE.heap = 'Native heap: live';
	DEFAULT_TITLE.alloc = 'Native heap: allocated';
	// The kind a frame of a kind the table does not list is shown as (added when the table has none).
	var UNKNOWN_KIND = 'unknown';

	// ------------------------------------------------------------------ small helpers

	function str(v) {
		return typeof v === 'string' ? v : v == null ? '' : String(v);
	}

	function num(v) {
		v = +v;
		return v > 0 && v < Infinity ? v : 0;
	}

	function hash32(s) {
		var h = 0x811c9dc5;
		for (var i = 0; i < s.length; i++) {
			h ^= s.charCodeAt(i);
			h = Math.imul(h, 0x01000193);
		}
		h ^= h >>> 13;
		h = Math.imul(h, 0x5bd1e995);
		h ^= h >>> 15;
		return h >>> 0;
	}

	// Control, line-separator and bidi-override characters would garble or disguise a label.
	var UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
	function printable(s) {
		return s.replace(UNPRINTABLE, '\ufffd');
	}

	var NF = typeof Intl !== 'undefined' ? new Intl.NumberFormat('en-US') : null;
	function fmtInt(v) {
		v = Math.round(v);
		return NF ? NF.format(v) : String(v);
	}
	function fmt3(v) {
		return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
	}
	function fmtNs(ns) {
		if (ns === 0) return '0 ns';
		if (ns < 1e3) return fmt3(ns) + ' ns';
		if (ns < 1e6) return fmt3(ns / 1e3) + ' \u00b5s';
		if (ns < 1e9) return fmt3(ns / 1e6) + ' ms';
		return fmt3(ns / 1e9) + ' s';
	}
	// Bytes in decimal units, as the report writes them: "512 B", "4.1 kB", "12.30 MB", "1.20 GB".
	function fmtBytes(b) {
		if (b < 1e3) return fmtInt(b) + ' B';
		if (b < 1e6) return (b / 1e3).toFixed(1) + ' kB';
		if (b < 1e9) return (b / 1e6).toFixed(2) + ' MB';
		return (b / 1e9).toFixed(2) + ' GB';
	}
	function fmtPct(p) {
		if (!(p > 0)) return '0%';
		if (p >= 100) return '100%';
		if (p < 0.01) return '<0.01%';
		if (p < 10) return p.toFixed(2) + '%';
		return p.toFixed(1) + '%';
	}
	function fmtValue(v, unit) {
		if (unit === 'ns') return fmtNs(v);
		if (unit === 'bytes') return fmtBytes(v);
		if (unit === 'samples') return fmtInt(v) + (Math.round(v) === 1 ? ' sample' : ' samples');
		return fmtInt(v) + ' ' + unit;
	}
	function fmtShort(v, unit) {
		if (unit === 'ns') return fmtNs(v);
		if (unit === 'bytes') return fmtBytes(v);
		var s = v >= 1e9 ? fmt3(v / 1e9) + 'G' : v >= 1e6 ? fmt3(v / 1e6) + 'M' : v >= 1e4 ? fmt3(v / 1e3) + 'k' : fmtInt(v);
		return s + ' ' + unit;
	}

	// ------------------------------------------------------------------ kinds and frames

	// The data's "kinds" (loopscope writes them from collector/symbols/frames.h's FRAME_KINDS) in
	// their order: name, legend, description per kind; entries without a usable name, and repeated
	// names, are skipped. unknown = the index frames of an unlisted kind get.
	function Kinds(list) {
		list = Array.isArray(list) ? list : [];
		this.name = [];
		this.legend = [];
		this.description = [];
		this.index = Object.create(null);
		for (var i = 0; i < list.length; i++) {
			var o = list[i], name = o && typeof o === 'object' ? str(o.name) : '';
			if (!/^[a-z0-9_-]+$/.test(name) || hasOwn.call(this.index, name)) continue;
			this.add(name, printable(str(o.legend)) || name, printable(str(o.description)) || name);
		}
		if (!hasOwn.call(this.index, UNKNOWN_KIND)) this.add(UNKNOWN_KIND, UNKNOWN_KIND, UNKNOWN_KIND);
		this.unknown = this.index[UNKNOWN_KIND];
		this.count = this.name.length;
	}
	Kinds.prototype.add = function (name, legend, description) {
		this.index[name] = this.name.length;
		this.name.push(name);
		this.legend.push(legend);
		this.description.push(description);
	};
	// The index of kind NAME, or -1.
	Kinds.prototype.find = function (name) {
		return hasOwn.call(this.index, name) ? this.index[name] : -1;
	};

	function Frames(list, kinds) {
		list = Array.isArray(list) ? list : [];
		var n = list.length + 1; // the last one stands for invalid indexes
		this.n = n;
		this.count = list.length;
		this.name = new Array(n);
		this.label = new Array(n);   // printable name
		this.kind = new Uint8Array(n);
		this.tier = new Array(n);
		this.location = new Array(n);
		this.module = new Array(n);
		this.pkg = new Array(n);
		for (var i = 0; i < n; i++) {
			var o = i < list.length ? list[i] : null;
			var bad = !o || typeof o !== 'object';
			var name = bad ? '(invalid frame)' : str(o.name) || '(anonymous)';
			var kind = bad ? -1 : kinds.find(str(o.kind));
			var tier = bad ? '' : str(o.tier);
			this.name[i] = name;
			this.label[i] = printable(name);
			this.kind[i] = kind >= 0 ? kind : kinds.unknown;
			this.tier[i] = hasOwn.call(TIER, tier) ? tier : '';
			this.location[i] = bad ? '' : printable(str(o.location));
			this.module[i] = bad ? '' : printable(str(o.module));
			this.pkg[i] = bad ? '' : printable(str(o['package']));
		}
		this.lower = null;
		this.rankCache = null;
	}
	Frames.prototype.index = function (f) {
		return f >= 0 && f < this.count && f === Math.floor(f) ? f : this.count;
	};
	Frames.prototype.lowerNames = function () {
		if (!this.lower) this.lower = this.name.map(function (s) { return s.toLowerCase(); });
		return this.lower;
	};
	// Rank of each frame in name order (then tier, then index): sorts siblings.
	Frames.prototype.rank = function () {
		if (this.rankCache) return this.rankCache;
		var names = this.name, tiers = this.tier, idx = new Array(this.n);
		for (var i = 0; i < this.n; i++) idx[i] = i;
		idx.sort(function (a, b) {
			var x = names[a], y = names[b];
			if (x !== y) return x < y ? -1 : 1;
			if (tiers[a] !== tiers[b]) return tiers[a] < tiers[b] ? -1 : 1;
			return a - b;
		});
		var r = new Int32Array(this.n);
		for (var k = 0; k < this.n; k++) r[idx[k]] = k;
		this.rankCache = r;
		return r;
	};

	// The profiles of the data as tabs: cpu, blocked, offcpu, then any other key.
	function profileList(data) {
		var ps = data && data.profiles && typeof data.profiles === 'object' ? data.profiles : {};
		var keys = PROFILE_ORDER.slice();
		Object.keys(ps).forEach(function (k) { if (keys.indexOf(k) < 0) keys.push(k); });
		return keys.map(function (k) {
			var raw = hasOwn.call(ps, k) ? ps[k] : null;
			var ok = raw && typeof raw === 'object';
			var title = ok && typeof raw.title === 'string' && raw.title ? raw.title : DEFAULT_TITLE[k] || k;
			var unit = ok && typeof raw.unit === 'string' && raw.unit ? raw.unit : 'samples';
			return { key: k, title: printable(title), unit: printable(unit), raw: raw };
		});
	}

	// The root total of a profile not parsed yet (0 when there is none).
	function peekTotal(raw) {
		var nodes = raw && typeof raw === 'object' && raw.nodes;
		return nodes && Array.isArray(nodes.total) && nodes.total.length ? num(nodes.total[0]) : 0;
	}

	// ------------------------------------------------------------------ trees

	// A call tree in pre-order in typed arrays; x = left edge in units of the total (layout).
	function Tree(n, frame, parent, total, self) {
		this.n = n;
		this.frame = frame;
		this.parent = parent;
		this.total = total;
		this.self = self;
		this.depth = new Int32Array(n);
		this.end = new Int32Array(n);   // subtree = [i, end[i])
		this.x = new Float64Array(n);
		this.maxDepth = 0;
		var P = parent, T = total, S = self, D = this.depth, E = this.end, X = this.x, i, p;
		var acc = new Float64Array(n);
		for (i = n - 1; i >= 1; i--) {
			var need = acc[i] + S[i];
			if (!(T[i] >= need)) T[i] = need;
			acc[P[i]] += T[i];
		}
		if (!(T[0] >= acc[0] + S[0])) T[0] = acc[0] + S[0];
		acc[0] = 0;
		var maxD = 0;
		for (i = 1; i < n; i++) {
			p = P[i];
			var d = D[p] + 1;
			D[i] = d;
			if (d > maxD) maxD = d;
			X[i] = acc[p];
			acc[p] += T[i];
			acc[i] = X[i];
		}
		this.maxDepth = maxD;
		for (i = 0; i < n; i++) E[i] = i + 1;
		for (i = n - 1; i >= 1; i--) if (E[i] > E[P[i]]) E[P[i]] = E[i];
	}

	// Nodes given with parent[i] < i (any order): children sorted by frame rank, emitted in pre-order.
	// Linear: a counting sort by rank, then a stable one by parent.
	// EXTRA (optional): more per-node arrays, permuted the same way into the tree's "extra".
	function reorder(n, F, P, T, S, frames, extra) {
		var rank = frames.rank(), R = frames.n, i;
		var byRank = new Int32Array(R + 1), order = new Int32Array(Math.max(n - 1, 0));
		for (i = 1; i < n; i++) byRank[rank[F[i]] + 1]++;
		for (i = 0; i < R; i++) byRank[i + 1] += byRank[i];
		for (i = 1; i < n; i++) order[byRank[rank[F[i]]]++] = i;
		var start = new Int32Array(n + 1);
		for (i = 1; i < n; i++) start[P[i] + 1]++;
		for (i = 0; i < n; i++) start[i + 1] += start[i];
		var fill = start.slice(0, n), kids = new Int32Array(Math.max(n - 1, 0));
		for (var j = 0; j < n - 1; j++) {
			var c = order[j];
			kids[fill[P[c]]++] = c;
		}
		var oF = new Int32Array(n), oP = new Int32Array(n), oT = new Float64Array(n), oS = new Float64Array(n);
		var newIdx = new Int32Array(n), stack = new Int32Array(n + 1), sp = 0, k = 0, e;
		var oE = (extra || []).map(function () { return new Float64Array(n); });
		stack[sp++] = 0;
		while (sp > 0) {
			var v = stack[--sp];
			newIdx[v] = k;
			oF[k] = v === 0 ? -1 : F[v];
			oP[k] = v === 0 ? -1 : newIdx[P[v]];
			oT[k] = T[v];
			oS[k] = S[v];
			for (e = 0; e < oE.length; e++) oE[e][k] = extra[e][v];
			k++;
			for (var q = start[v + 1] - 1; q >= start[v]; q--) stack[sp++] = kids[q];
		}
		var tree = new Tree(n, oF, oP, oT, oS);
		tree.extra = oE;
		return tree;
	}

	// Self counts from totals: a node's total less its children's (never below 0).
	function deriveSelf(n, P, T, S) {
		var childSum = new Float64Array(n), i;
		for (i = n - 1; i >= 1; i--) childSum[P[i]] += T[i];
		for (i = 0; i < n; i++) S[i] = Math.max(0, T[i] - childSum[i]);
	}

	// A profile object of the input -> {tree} | {tree, diff} | {empty: true} | {absent: true, why} | {error}.
	// A differential profile (nodes.base, and nodes.baseSelf or not: the baseline's totals and self
	// counts per node beside the current ones) gets diff = makeDiff(...).
	function treeFromProfile(p, frames) {
		if (!p || typeof p !== 'object') return { absent: true, why: '' };
		var nodes = p.nodes;
		if (!nodes || typeof nodes !== 'object') return typeof p.absent === 'string' ? { absent: true, why: printable(p.absent) } : { empty: true };
		var fr = nodes.frame, pa = nodes.parent, to = nodes.total, se = nodes.self, ba = nodes.base, bs = nodes.baseSelf;
		if (!Array.isArray(fr) || fr.length === 0) return { empty: true };
		var n = fr.length;
		var badExtra = function (a) { return a != null && (!Array.isArray(a) || a.length !== n); };
		if (!Array.isArray(pa) || pa.length !== n || !Array.isArray(to) || to.length !== n || badExtra(se) || badExtra(ba) || badExtra(bs))
			return { error: 'the node arrays are missing or of different lengths' };
		var F = new Int32Array(n), P = new Int32Array(n), T = new Float64Array(n), S = new Float64Array(n);
		var path = new Int32Array(n + 1), sp = 0, preorder = true, sorted = true, rank = null, i;
		F[0] = -1;
		P[0] = -1;
		T[0] = num(to[0]);
		S[0] = se ? num(se[0]) : 0;
		path[sp++] = 0;
		var lastChild = new Int32Array(n).fill(-1);
		for (i = 1; i < n; i++) {
			var q = pa[i];
			if (typeof q !== 'number' || !(q >= 0 && q < i) || q !== Math.floor(q))
				return { error: 'node ' + i + ' has an invalid parent' };
			P[i] = q;
			F[i] = frames.index(fr[i]);
			T[i] = num(to[i]);
			S[i] = se ? num(se[i]) : 0;
			if (preorder) {
				while (sp > 0 && path[sp - 1] !== q) sp--;
				if (sp === 0) preorder = false;
				else path[sp++] = i;
			}
			if (sorted) {
				var prev = lastChild[q];
				if (prev >= 0) {
					if (!rank) rank = frames.rank();
					if (rank[F[prev]] > rank[F[i]]) sorted = false;
				}
				lastChild[q] = i;
			}
		}
		if (!se) deriveSelf(n, P, T, S);
		var B = null, BS = null;
		if (ba) {
			B = new Float64Array(n);
			BS = new Float64Array(n);
			for (i = 0; i < n; i++) {
				B[i] = num(ba[i]);
				if (bs) BS[i] = num(bs[i]);
			}
			if (!bs) deriveSelf(n, P, B, BS);
		}
		var tree;
		if (preorder && sorted) tree = new Tree(n, F, P, T, S);
		else {
			tree = reorder(n, F, P, T, S, frames, B ? [B, BS] : null);
			if (B) {
				B = tree.extra[0];
				BS = tree.extra[1];
			}
		}
		if (!(tree.total[0] > 0)) return { empty: true };
		return B ? { tree: tree, diff: makeDiff(tree, B, BS) } : { tree: tree };
	}

	// ------------------------------------------------------------------ differential profiles

	// A change in share under this (1 percentage point) is never drawn at full colour.
	var DIFF_MIN_SCALE = 0.01;

	// The comparison of CUR (a Tree of the current run's counts) with the baseline's per-node totals B
	// and self counts BS (same nodes): {cur, base (the same nodes as a Tree of the baseline's counts:
	// widths by the baseline), delta (per node: its share of the current total less its share of the
	// baseline's, each side divided by its own total as difffolded.pl -n does; 0 at the root), scale
	// (the largest |delta| below the root, at least DIFF_MIN_SCALE: the colour's full intensity)}.
	function makeDiff(cur, B, BS) {
		var base = new Tree(cur.n, cur.frame, cur.parent, B, BS);
		var n = cur.n, delta = new Float64Array(n), ct = cur.total[0], bt = base.total[0], scale = DIFF_MIN_SCALE;
		for (var i = 1; i < n; i++) {
			var d = (ct > 0 ? cur.total[i] / ct : 0) - (bt > 0 ? base.total[i] / bt : 0);
			delta[i] = d;
			if (Math.abs(d) > scale) scale = Math.abs(d);
		}
		return { cur: cur, base: base, delta: delta, scale: scale };
	}

	// The colour of a change D (a share's difference, a fraction) at full intensity SCALE: SAME for no
	// change, mixed towards GREW (D > 0) or SHRANK (D < 0) by the square root of |D| / SCALE (a change
	// a quarter of the largest is drawn halfway, so that a frame whose samples are split over several
	// call paths still shows which way it went). [r, g, b].
	function diffMix(d, scale, same, grew, shrank) {
		var t = scale > 0 ? Math.sqrt(Math.min(1, Math.abs(d) / scale)) : 0, to = d > 0 ? grew : shrank;
		return [0, 1, 2].map(function (c) { return Math.round(same[c] + (to[c] - same[c]) * t); });
	}

	// Per frame, the samples of each side under it (a stack counted once however often the frame
	// recurs in it) and the change of its share: [{frame, cur, base, curShare, baseShare, delta}]
	// for every frame either side has, the largest |delta| first (then by name).
	function diffByFrame(diff, frames) {
		var t = diff.cur, CT = t.total, BT = diff.base.total, F = t.frame, P = t.parent, n = t.n;
		var curSum = new Float64Array(frames.n), baseSum = new Float64Array(frames.n), open = new Int32Array(frames.n);
		var path = new Int32Array(n + 1), sp = 0, i;
		path[sp++] = 0;
		for (i = 1; i < n; i++) {
			while (path[sp - 1] !== P[i]) open[F[path[--sp]]]--;
			var f = F[i];
			if (!open[f]) {
				curSum[f] += CT[i];
				baseSum[f] += BT[i];
			}
			open[f]++;
			path[sp++] = i;
		}
		var ct = CT[0], bt = BT[0], out = [];
		for (var g = 0; g < frames.n; g++) {
			if (!(curSum[g] > 0 || baseSum[g] > 0)) continue;
			var cs = ct > 0 ? curSum[g] / ct : 0, bs = bt > 0 ? baseSum[g] / bt : 0;
			out.push({ frame: g, cur: curSum[g], base: baseSum[g], curShare: cs, baseShare: bs, delta: cs - bs });
		}
		var names = frames.name;
		out.sort(function (a, b) {
			var d = Math.abs(b.delta) - Math.abs(a.delta);
			if (Math.abs(d) > 1e-12) return d;
			return names[a.frame] < names[b.frame] ? -1 : names[a.frame] > names[b.frame] ? 1 : a.frame - b.frame;
		});
		return out;
	}

	// The state of a parsed profile: 'ok', 'absent', 'empty' or 'error'.
	function resultState(r) {
		return r.error ? 'error' : r.absent ? 'absent' : r.empty ? 'empty' : 'ok';
	}

	// BASE without the frames whose kind is hidden (HIDDEN[kind] set): a hidden frame's children join
	// its nearest shown ancestor, merging with same-frame siblings there; its self time goes to that
	// ancestor.
	function filterTree(base, hidden, frames) {
		var n = base.n, F = base.frame, P = base.parent, T = base.total, S = base.self, K = frames.kind;
		var any = false, i;
		for (i = 1; i < n && !any; i++) if (hidden[K[F[i]]]) any = true;
		if (!any) return base;
		var attach = new Int32Array(n);
		var nF = new Int32Array(n), nP = new Int32Array(n), nT = new Float64Array(n), nS = new Float64Array(n);
		// (new parent, frame) -> new node: open addressing in typed arrays (a Map of 10^6 keys is slow).
		var cap = 1;
		while (cap < 2 * n) cap <<= 1;
		var mask = cap - 1, slotNode = new Int32Array(cap).fill(-1), m = 1;
		nF[0] = -1;
		nP[0] = -1;
		nT[0] = T[0];
		nS[0] = S[0];
		for (i = 1; i < n; i++) {
			var a = attach[P[i]], f = F[i];
			if (hidden[K[f]]) {
				attach[i] = a;
				nS[a] += S[i];
				continue;
			}
			var h = (Math.imul(a, 0x9e3779b1) ^ Math.imul(f + 1, 0x85ebca6b)) & mask, id;
			for (;;) {
				id = slotNode[h];
				if (id < 0) {
					id = m++;
					slotNode[h] = id;
					nF[id] = f;
					nP[id] = a;
					break;
				}
				if (nP[id] === a && nF[id] === f) break;
				h = (h + 1) & mask;
			}
			nT[id] += T[i];
			nS[id] += S[i];
			attach[i] = id;
		}
		return reorder(m, nF, nP, nT, nS, frames);
	}

	// First child of node C with frame F in tree T, or -1.
	function childWithFrame(t, c, f) {
		for (var j = c + 1; j < t.end[c]; j = t.end[j]) if (t.frame[j] === f) return j;
		return -1;
	}

	// The frames from the root to NODE (excluded root): what a zoom is remembered by.
	function framePath(t, node) {
		var path = [];
		for (var a = node; a > 0; a = t.parent[a]) path.push(t.frame[a]);
		return path.reverse();
	}

	// The node PATH leads to in T, skipping hidden frames, as far as it goes (0: the root).
	function nodeOfPath(t, path, hidden, frames) {
		var z = 0;
		for (var k = 0; k < path.length; k++) {
			var f = path[k];
			if (hidden[frames.kind[f]]) continue;
			var c = childWithFrame(t, z, f);
			if (c < 0) break;
			z = c;
		}
		return z;
	}

	// The node of frame name NAME with the largest total (above 0), or -1.
	function widest(t, frames, name) {
		var best = -1;
		for (var i = 1; i < t.n; i++) if (t.total[i] > 0 && frames.name[t.frame[i]] === name && (best < 0 || t.total[i] > t.total[best])) best = i;
		return best;
	}

	// ------------------------------------------------------------------ search

	// Q -> {match: function (frame) -> bool, or null for no search; error: '' or why Q is invalid}.
	// Plain text: case-insensitive substring of the name; "/re/flags": a regular expression, always
	// case-insensitive (flags other than m, s, u are dropped).
	function compileQuery(q, frames) {
		if (!q || !/\S/.test(q)) return { match: null, error: '' };
		var m = /^\/(.+)\/([a-z]*)$/.exec(q);
		if (m) {
			var flags = m[2].replace(/[^imsu]/g, '').replace('i', '');
			try {
				var re = new RegExp(m[1], 'i' + flags);
				return { match: function (i) { return re.test(frames.name[i]); }, error: '' };
			} catch (e) {
				return { match: function () { return false; }, error: 'invalid regular expression' };
			}
		}
		var needle = q.toLowerCase(), lower = frames.lowerNames();
		return { match: function (i) { return lower[i].indexOf(needle) !== -1; }, error: '' };
	}

	// One byte per frame, 1 where MATCH accepts it (null for no search).
	function frameMatches(frames, match) {
		if (!match) return null;
		var out = new Uint8Array(frames.n);
		for (var f = 0; f < frames.n; f++) if (match(f)) out[f] = 1;
		return out;
	}

	// What matches in tree T: {matchedTotal, matchedNodes, ofZoom}, each sample counted once (the
	// matching nodes without a matching ancestor); ofZoom = the percentage of node Z's total.
	function matchStats(t, z, frameMatch) {
		var F = t.frame, T = t.total, E = t.end, sum = 0, nodes = 0, i;
		for (i = 1; i < t.n;) {
			if (frameMatch[F[i]]) {
				sum += T[i];
				nodes++;
				i = E[i];
			} else i++;
		}
		var zsum = 0, anc = false;
		for (var a = z; a > 0; a = t.parent[a]) if (frameMatch[F[a]]) anc = true;
		if (anc) zsum = T[z];
		else for (i = z + 1; i < E[z];) {
			if (frameMatch[F[i]]) {
				zsum += T[i];
				i = E[i];
			} else i++;
		}
		return { matchedTotal: sum, matchedNodes: nodes, ofZoom: T[z] > 0 ? (100 * zsum) / T[z] : 0 };
	}

	// ------------------------------------------------------------------ layout arithmetic

	// The boxes drawn for a zoom, in pre-order (the zoomed node's ancestors first, full width), then
	// indexed by row: row r holds rowIdx[rowOff[r] .. rowOff[r + 1]), in x order.
	function Boxes() {
		this.n = 0;
		this.node = new Int32Array(1024);
		this.x0 = new Float64Array(1024);
		this.x1 = new Float64Array(1024);
		this.anc = new Uint8Array(1024);
		this.rows = 0;
		this.rowOff = new Int32Array(1);
		this.rowIdx = new Int32Array(0);
	}
	Boxes.prototype.grow = function (k) {
		var cap = this.node.length;
		if (k < cap) return;
		while (cap <= k) cap *= 2;
		var a = new Int32Array(cap); a.set(this.node); this.node = a;
		var b = new Float64Array(cap); b.set(this.x0); this.x0 = b;
		var c = new Float64Array(cap); c.set(this.x1); this.x1 = c;
		var d = new Uint8Array(cap); d.set(this.anc); this.anc = d;
	};
	Boxes.prototype.clear = function () {
		this.n = 0;
		this.rows = 0;
	};
	// Tree T zoomed to node Z over W CSS px; boxes narrower than MINW px (and their subtrees) are left out.
	Boxes.prototype.layout = function (t, z, W, minW) {
		var T = t.total, X = t.x, E = t.end, Dp = t.depth, P = t.parent;
		var scale = W / T[z], xz = X[z], k = 0, i, maxDepth = Dp[z];
		var anc = [];
		for (var a = P[z]; a >= 0; a = P[a]) anc.push(a);
		for (i = anc.length - 1; i >= 0; i--) {
			this.grow(k);
			this.node[k] = anc[i]; this.x0[k] = 0; this.x1[k] = W; this.anc[k] = 1;
			k++;
		}
		var end = E[z];
		for (i = z; i < end;) {
			var w = T[i] * scale;
			if (w < minW) {
				i = E[i];
				continue;
			}
			this.grow(k);
			var x = (X[i] - xz) * scale;
			this.node[k] = i; this.x0[k] = x; this.x1[k] = x + w; this.anc[k] = 0;
			k++;
			if (Dp[i] > maxDepth) maxDepth = Dp[i];
			i++;
		}
		this.n = k;
		var rows = maxDepth + 1, N = this.node;
		this.rows = rows;
		// Index by row (a stable counting sort keeps each row in x order).
		var rowOff = new Int32Array(rows + 1);
		for (i = 0; i < k; i++) rowOff[Dp[N[i]] + 1]++;
		for (i = 0; i < rows; i++) rowOff[i + 1] += rowOff[i];
		var fill = rowOff.slice(0, rows), rowIdx = new Int32Array(k);
		for (i = 0; i < k; i++) rowIdx[fill[Dp[N[i]]]++] = i;
		this.rowOff = rowOff;
		this.rowIdx = rowIdx;
	};
	// The box of row R that holds x (CSS px), or -1.
	Boxes.prototype.at = function (r, x) {
		if (r < 0 || r >= this.rows) return -1;
		var lo = this.rowOff[r], hi = this.rowOff[r + 1] - 1;
		while (lo <= hi) {
			var mid = (lo + hi) >> 1, k = this.rowIdx[mid];
			if (x < this.x0[k]) hi = mid - 1;
			else if (x >= this.x1[k]) lo = mid + 1;
			else return k;
		}
		return -1;
	};
	// The box of NODE, or -1.
	Boxes.prototype.indexOf = function (node) {
		for (var k = 0; k < this.n; k++) if (this.node[k] === node) return k;
		return -1;
	};

	// Rows: the top (CSS px, in a graph CONTENTH tall) of row DEPTH, rows ROWH tall with 2 px of
	// margin; the root at the top in icicle mode, at the bottom in flame mode; and back.
	function rowTop(depth, icicle, rowH, contentH) {
		return icicle ? depth * rowH + 2 : contentH - 2 - (depth + 1) * rowH;
	}
	function rowAt(y, icicle, rowH, contentH) {
		return icicle ? Math.floor((y - 2) / rowH) : Math.ceil((contentH - 2 - y) / rowH) - 1;
	}

	// TEXT cut to fit AVAIL (device px) with an ellipsis, or '' when no useful part fits. MEASURE
	// gives a text's width; DPR scales the minimums (6 px of room, 4 px beside the ellipsis).
	function fitText(text, avail, measure, dpr) {
		if (avail < 6 * dpr) return '';
		var full = measure(text);
		if (full <= avail) return text;
		var ell = '\u2026', ew = measure(ell);
		if (avail < ew + 4 * dpr) return '';
		var n = Math.max(0, Math.floor(text.length * (avail - ew) / full));
		var cut = function (m) {
			if (m > 0 && m < text.length) {
				var c = text.charCodeAt(m - 1);
				if (c >= 0xd800 && c <= 0xdbff) m--;
			}
			return text.slice(0, m) + ell;
		};
		var guard = 0;
		while (n > 0 && measure(cut(n)) > avail && guard++ < 64) n--;
		while (n < text.length - 1 && measure(cut(n + 1)) <= avail && guard++ < 64) n++;
		return n > 0 ? cut(n) : '';
	}

	// ------------------------------------------------------------------ colours

	function rgbToHsl(c) {
		var r = c[0] / 255, g = c[1] / 255, b = c[2] / 255;
		var max = Math.max(r, g, b), min = Math.min(r, g, b), l = (max + min) / 2, h = 0, s = 0;
		if (max !== min) {
			var d = max - min;
			s = l > 0.5 ? d / (2 - max - min) : d / (max + min);
			h = max === r ? (g - b) / d + (g < b ? 6 : 0) : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
			h *= 60;
		}
		return [h, s * 100, l * 100];
	}

	function hsl(h, s, l) {
		h = ((h % 360) + 360) % 360;
		s = Math.max(0, Math.min(100, s));
		l = Math.max(0, Math.min(100, l));
		return 'hsl(' + h.toFixed(1) + ',' + s.toFixed(1) + '%,' + l.toFixed(1) + '%)';
	}

	// Frame F's colours around its kind's RGB: a stable hue/lightness jitter by name of at most
	// JITTER = [hue degrees, lightness points]; a frame of an npm package gets a colour per package
	// instead. {color, grey (when searching and not matched)}.
	function frameColors(frames, f, rgb, jitter) {
		var base = rgbToHsl(rgb), h = hash32(frames.name[f]);
		var j1 = ((h & 0xffff) / 65535) * 2 - 1, j2 = ((h >>> 16) / 65535) * 2 - 1;
		var hue = base[0] + j1 * jitter[0], sat = base[1], lig = base[2] + j2 * jitter[1];
		if (frames.pkg[f]) {
			var ph = hash32('pkg:' + frames.pkg[f]);
			hue = base[0] + ((((ph & 0xff) / 255) * 2 - 1) * 13) + j1 * 2;
			lig = base[2] + ((((ph >>> 8) & 0xff) / 255) * 2 - 1) * 9 + j2 * 2;
			sat = base[1] + ((((ph >>> 16) & 0xff) / 255) * 2 - 1) * 12;
		}
		return { color: hsl(hue, sat, lig), grey: hsl(0, 0, 80 + j2 * 4) };
	}

	// ------------------------------------------------------------------ texts

	// The lines naming frame F, a tooltip's head: its name, location, kind, tier and package.
	function frameLines(frames, kinds, f, lines) {
		lines.push({ cls: 'name', text: frames.label[f].length > 2000 ? frames.label[f].slice(0, 2000) + '\u2026' : frames.label[f] });
		if (frames.location[f]) lines.push({ cls: 'loc', text: frames.location[f] });
		lines.push({ cls: 'row', k: 'Kind', text: kinds.description[frames.kind[f]] });
		if (frames.tier[f]) lines.push({ cls: 'row', k: 'Tier', text: TIER[frames.tier[f]].word });
		if (frames.pkg[f]) lines.push({ cls: 'row', k: 'Package', text: frames.pkg[f] });
	}

	// The tooltip of NODE of tree T in a profile {title, unit}: [{cls: 'name'|'loc'|'row', k, text}].
	function describeNode(t, frames, kinds, node, p) {
		var f = t.frame[node], lines = [];
		var total = t.total[node], all = t.total[0], up = t.parent[node];
		if (node === 0) {
			lines.push({ cls: 'name', text: 'all' });
			lines.push({ cls: 'row', k: 'Profile', text: p.title });
			lines.push({ cls: 'row', k: 'Total', text: fmtValue(total, p.unit) });
			return lines;
		}
		frameLines(frames, kinds, f, lines);
		if (frames.module[f]) lines.push({ cls: 'row', k: 'Module', text: frames.module[f] });
		lines.push({ cls: 'row', k: 'Total', text: fmtValue(total, p.unit) + ' \u00b7 ' + fmtPct((100 * total) / all) + ' of all \u00b7 ' +
			fmtPct(up >= 0 && t.total[up] > 0 ? (100 * total) / t.total[up] : 100) + ' of parent' });
		lines.push({ cls: 'row', k: 'Self', text: fmtValue(t.self[node], p.unit) + ' \u00b7 ' + fmtPct((100 * t.self[node]) / all) + ' of all' });
		return lines;
	}

	// NODE of tree T on one line (the status line, what screen readers hear).
	function oneLine(t, frames, kinds, node, p) {
		var f = t.frame[node];
		if (node === 0) return 'all \u00b7 ' + fmtValue(t.total[0], p.unit);
		var s = frames.label[f];
		if (s.length > 300) s = s.slice(0, 300) + '\u2026';
		s += ' \u2014 ' + fmtValue(t.total[node], p.unit) + ', ' + fmtPct((100 * t.total[node]) / t.total[0]) + ' \u00b7 ' + kinds.description[frames.kind[f]];
		if (frames.pkg[f]) s += ' (' + frames.pkg[f] + ')';
		if (frames.tier[f]) s += ' \u00b7 ' + TIER[frames.tier[f]].word;
		if (frames.location[f]) s += ' \u00b7 ' + frames.location[f];
		return s;
	}

	// A change of share D (a fraction) in percentage points: "+25.0 pp", "-3.20 pp", "0 pp".
	function fmtPoints(d) {
		var p = d * 100, a = Math.abs(p);
		if (a < 0.005) return '0 pp';
		return (p > 0 ? '+' : '-') + (a >= 10 ? a.toFixed(1) : a.toFixed(2)) + ' pp';
	}

	// "1,234 samples · 45.0%": a side's count of a node and its share of that side.
	function fmtShare(v, all, unit) {
		return fmtValue(v, unit) + ' \u00b7 ' + fmtPct(all > 0 ? (100 * v) / all : 0);
	}

	// The tooltip of NODE of a differential profile DIFF (the widths' tree aside, the nodes are the
	// same): its frame, then each side's total (and self) with its share, and the change.
	function describeDiffNode(diff, frames, kinds, node, p) {
		var c = diff.cur, b = diff.base, f = c.frame[node], lines = [], d = diff.delta[node];
		if (node === 0) {
			lines.push({ cls: 'name', text: 'all' });
			lines.push({ cls: 'row', k: 'Profile', text: p.title });
			lines.push({ cls: 'row', k: 'Current', text: fmtValue(c.total[0], p.unit) });
			lines.push({ cls: 'row', k: 'Baseline', text: fmtValue(b.total[0], p.unit) });
			return lines;
		}
		frameLines(frames, kinds, f, lines);
		lines.push({ cls: 'row', k: 'Current', text: fmtShare(c.total[node], c.total[0], p.unit) + ' (self ' + fmtShare(c.self[node], c.total[0], p.unit) + ')' });
		lines.push({ cls: 'row', k: 'Baseline', text: fmtShare(b.total[node], b.total[0], p.unit) + ' (self ' + fmtShare(b.self[node], b.total[0], p.unit) + ')' });
		lines.push({ cls: 'row', k: 'Change', text: fmtPoints(d) + ' of the profile' + (d > 0 ? ' (grew)' : d < 0 ? ' (shrank)' : '') +
			(b.total[node] > 0 ? '' : ' \u00b7 new') + (c.total[node] > 0 ? '' : ' \u00b7 gone') });
		return lines;
	}

	// NODE of a differential profile on one line.
	function oneLineDiff(diff, frames, node, p) {
		var c = diff.cur, b = diff.base;
		if (node === 0) return 'all \u00b7 current ' + fmtValue(c.total[0], p.unit) + ' \u00b7 baseline ' + fmtValue(b.total[0], p.unit);
		var s = frames.label[c.frame[node]];
		if (s.length > 300) s = s.slice(0, 300) + '\u2026';
		return s + ' \u2014 ' + fmtPoints(diff.delta[node]) + ' \u00b7 current ' + fmtShare(c.total[node], c.total[0], p.unit) +
			' \u00b7 baseline ' + fmtShare(b.total[node], b.total[0], p.unit);
	}

	return {
		TIER: TIER, str: str, num: num, hash32: hash32, printable: printable,
		fmtInt: fmtInt, fmtNs: fmtNs, fmtBytes: fmtBytes, fmtPct: fmtPct, fmtValue: fmtValue, fmtShort: fmtShort,
		Kinds: Kinds, Frames: Frames, profileList: profileList, peekTotal: peekTotal,
		Tree: Tree, treeFromProfile: treeFromProfile, resultState: resultState, filterTree: filterTree,
		childWithFrame: childWithFrame, framePath: framePath, nodeOfPath: nodeOfPath, widest: widest,
		compileQuery: compileQuery, frameMatches: frameMatches, matchStats: matchStats,
		Boxes: Boxes, rowTop: rowTop, rowAt: rowAt, fitText: fitText,
		rgbToHsl: rgbToHsl, hsl: hsl, frameColors: frameColors,
		describeNode: describeNode, oneLine: oneLine,
		DIFF_MIN_SCALE: DIFF_MIN_SCALE, makeDiff: makeDiff, diffMix: diffMix, diffByFrame: diffByFrame,
		fmtPoints: fmtPoints, fmtShare: fmtShare, describeDiffNode: describeDiffNode, oneLineDiff: oneLineDiff,
	};
});
