/*
 * loopscope flamegraph viewer (reports/assets/flame.js). Plain JavaScript, no dependencies, no
 * network: loopscope inlines it into report.html after flame.css and the data. It must never
 * contain the character sequences that end or escape an inline script (a "<" followed by "/script",
 * "script" or "!--"); tests/integration/flame_viewer.sh checks.
 *
 * ---------------------------------------------------------------------------------------------
 * INPUT: window.loopscopeFlameData, defined by an earlier script element:
 *
 *   { "frames": [ { "name": "reallySlowChecksum",
 *                   "kind": "app" | "dep" | "node" | "v8" | "native" | "kernel" | "unknown",
 *                   "tier": "*" | "~" | "^" | "+" | "",
 *                   "location": "/app/x.js:2:28" or "",
 *                   "module": "libuv.so.1" or "",
 *                   "package": "express" or "" }, ... ],
 *     "profiles": { "cpu":     { "title": "All CPU", "unit": "samples", "nodes": NODES },
 *                   "blocked": { "title": "Blocked loop", "unit": "samples", "nodes": NODES },
 *                   "offcpu":  { "title": "Off-CPU", "unit": "ns", "nodes": NODES } } }
 *
 *   NODES = { "frame": [...], "parent": [...], "total": [...], "self": [...] }, four arrays of the
 *   same length: the call tree in depth-first pre-order, node 0 the root (frame -1, parent -1),
 *   siblings sorted by frame name, frame = index into "frames" (shared by all profiles), parent =
 *   index of the parent node (always < the node's own index), total = the node's samples (or
 *   nanoseconds) including its descendants, self = excluding them.
 *
 *   kind: app = the application's JavaScript, dep = an npm package's (package names it), node =
 *   Node.js internals (node:internal/...), v8 = V8 builtins and runtime, native = C/C++ in user
 *   space (libc, libuv, node's C++), kernel, unknown. tier (JS frames only, V8's own markers): "~"
 *   interpreted (Ignition), "^" baseline (Sparkplug), "+" Maglev, "*" TurboFan, "" not JS/unknown.
 *   unit: "samples" or "ns" (any other word is shown as a plain count of that word).
 *   Profiles are shown as tabs in the order cpu, blocked, offcpu, then any other key; a missing
 *   profile, or one with no nodes or a zero total, shows a "no samples" message. Out-of-range frame
 *   indexes show as "(invalid frame)"; parents that do not precede their node make the profile
 *   show an error; a tree not in pre-order or with unsorted siblings is reordered; a total smaller
 *   than self + the children's totals is raised to it. Every string is untrusted: it is only ever
 *   drawn with fillText or set with textContent.
 *
 *   Alternatively the same JSON may sit in a script element of type "application/json" with id
 *   "loopscope-flame-data" (used when window.loopscopeFlameData is undefined). For either, the JSON
 *   text must be escaped for a script element: every "<", ">", "&", U+2028 and U+2029
 *   written as \u003c, \u003e, \u0026, \u2028, \u2029. Never emit an object key taken from the
 *   data (a "__proto__" key means something else in a JS object literal).
 *
 * MOUNT: into the element with id "loopscope-flame" (created at the end of <body> when absent),
 *   which gets the class "flame". The script may run before or after that element is parsed.
 *   Colours, fonts and sizes are CSS variables on .flame (see flame.css).
 *
 * ---------------------------------------------------------------------------------------------
 * TEST API: window.loopscopeFlame (everything acts on the profile of the selected tab, synchronously,
 * redrawing before it returns):
 *   search(query)       -> {query, valid, matchPercent, matchPercentOfZoom, matchedTotal, total,
 *                           matchedNodes, ms}; "" clears. Plain text: case-insensitive substring of
 *                           the frame name; "/re/flags": a regular expression (always
 *                           case-insensitive). matchPercent = the totals of matching nodes that
 *                           have no matching ancestor, over the root's total (each sample once).
 *   zoomTo(name)        -> {name, depth, total, percent} | null: zooms to the widest node whose frame
 *                           name is exactly NAME.
 *   reset()             -> resets the zoom (what Escape and the button do).
 *   visibleLabels()     -> the label texts drawn for the current zoom (all rows, scrolled or not;
 *                           truncated ones end in "…"), in drawing order.
 *   visibleFrames()     -> [{name, label, depth, x, width, ancestor}] for every drawn box (CSS px).
 *   frameRect(name)     -> {x, y, width, height} in viewport (client) coordinates of the widest drawn
 *                           box of that name after scrolling it into view, or null.
 *   describe(name)      -> the tooltip's lines for the widest node of that name, or null.
 *   select(key)         -> shows profile KEY ("cpu", "blocked", "offcpu"); false if unknown.
 *   profiles()          -> [{key, title, unit, total, nodes, state: "ok"|"empty"|"absent"|"error"}].
 *   setIcicle(bool), setKindVisible(kind, bool), refreshTheme()
 *   state()             -> {profile, zoom (name|null), icicle, query, matchPercent, hiddenKinds,
 *                           nodes, drawn (boxes), rows, width, height (CSS px of the canvas), dpr,
 *                           message ("No samples. ..." and the like, or null)}
 *   timings             -> {start, dataReady, firstRender (performance.now() when the first frame was
 *                           drawn), init (ms from this script's start to it), build, layout, draw,
 *                           search (ms of the last of each)}
 * ---------------------------------------------------------------------------------------------
 */
(function () {
	'use strict';

	var T_START = performance.now();
	var doc = document;
	var KINDS = ['app', 'dep', 'node', 'v8', 'native', 'kernel', 'unknown'];
	var KIND_INDEX = Object.create(null);
	KINDS.forEach(function (k, i) { KIND_INDEX[k] = i; });
	var K_UNKNOWN = 6;
	var KIND_LEGEND = ['application', 'dependencies', 'Node.js', 'V8 / runtime', 'native', 'kernel', 'unknown'];
	var KIND_WORD = ['application JavaScript', 'dependency', 'Node.js internals', 'V8 builtin / runtime', 'native code', 'kernel', 'unknown'];
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
	var MIN_WIDTH = 0.35;  // CSS px: narrower boxes (and their subtrees) are not drawn
	var LABEL_MIN = 16;    // CSS px: narrower boxes get no label
	var hasOwn = Object.prototype.hasOwnProperty;

	// ------------------------------------------------------------------ small helpers

	function el(tag, cls, text) {
		var e = doc.createElement(tag);
		if (cls) e.className = cls;
		if (text != null) e.textContent = text;
		return e;
	}

	function str(v) {
		return typeof v === 'string' ? v : v == null ? '' : String(v);
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
	function fmtPct(p) {
		if (!(p > 0)) return '0%';
		if (p >= 100) return '100%';
		if (p < 0.01) return '<0.01%';
		if (p < 10) return p.toFixed(2) + '%';
		return p.toFixed(1) + '%';
	}
	function fmtValue(v, unit) {
		if (unit === 'ns') return fmtNs(v);
		if (unit === 'samples') return fmtInt(v) + (Math.round(v) === 1 ? ' sample' : ' samples');
		return fmtInt(v) + ' ' + unit;
	}
	function fmtShort(v, unit) {
		if (unit === 'ns') return fmtNs(v);
		var s = v >= 1e9 ? fmt3(v / 1e9) + 'G' : v >= 1e6 ? fmt3(v / 1e6) + 'M' : v >= 1e4 ? fmt3(v / 1e3) + 'k' : fmtInt(v);
		return s + ' ' + unit;
	}

	// ------------------------------------------------------------------ frames

	function Frames(list) {
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
			var kind = bad ? '' : str(o.kind);
			var tier = bad ? '' : str(o.tier);
			this.name[i] = name;
			this.label[i] = printable(name);
			this.kind[i] = hasOwn.call(KIND_INDEX, kind) ? KIND_INDEX[kind] : K_UNKNOWN;
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
	function reorder(n, F, P, T, S, frames) {
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
		var newIdx = new Int32Array(n), stack = new Int32Array(n + 1), sp = 0, k = 0;
		stack[sp++] = 0;
		while (sp > 0) {
			var v = stack[--sp];
			newIdx[v] = k;
			oF[k] = v === 0 ? -1 : F[v];
			oP[k] = v === 0 ? -1 : newIdx[P[v]];
			oT[k] = T[v];
			oS[k] = S[v];
			k++;
			for (var q = start[v + 1] - 1; q >= start[v]; q--) stack[sp++] = kids[q];
		}
		return new Tree(n, oF, oP, oT, oS);
	}

	function num(v) {
		v = +v;
		return v > 0 && v < Infinity ? v : 0;
	}

	// A profile object of the input -> {tree} | {empty: reason} | {error}.
	function treeFromProfile(p, frames) {
		if (!p || typeof p !== 'object') return { absent: true };
		var nodes = p.nodes;
		if (!nodes || typeof nodes !== 'object') return { empty: true };
		var fr = nodes.frame, pa = nodes.parent, to = nodes.total, se = nodes.self;
		if (!Array.isArray(fr) || fr.length === 0) return { empty: true };
		var n = fr.length;
		if (!Array.isArray(pa) || pa.length !== n || !Array.isArray(to) || to.length !== n || (se != null && (!Array.isArray(se) || se.length !== n)))
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
		if (!se) {
			// Derive self from the totals.
			var childSum = new Float64Array(n);
			for (i = n - 1; i >= 1; i--) childSum[P[i]] += T[i];
			for (i = 0; i < n; i++) S[i] = Math.max(0, T[i] - childSum[i]);
		}
		var tree = preorder && sorted ? new Tree(n, F, P, T, S) : reorder(n, F, P, T, S, frames);
		if (!(tree.total[0] > 0)) return { empty: true };
		return { tree: tree };
	}

	// BASE without the frames whose kind is hidden: a hidden frame's children join its nearest shown
	// ancestor, merging with same-frame siblings there; its self time goes to that ancestor.
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

	// ------------------------------------------------------------------ colours

	function parseColor(ctx, css, fallback) {
		ctx.fillStyle = '#000';
		ctx.fillStyle = fallback;
		if (css) ctx.fillStyle = css;
		var s = ctx.fillStyle, m;
		if (s[0] === '#') return [parseInt(s.slice(1, 3), 16), parseInt(s.slice(3, 5), 16), parseInt(s.slice(5, 7), 16), 1];
		m = /rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?/.exec(s);
		return m ? [+m[1], +m[2], +m[3], m[4] == null ? 1 : +m[4]] : [128, 128, 128, 1];
	}

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

	// Per-kind jitter (hue degrees, lightness points) so neighbouring frames stay apart.
	var JITTER_H = [13, 5, 14, 9, 7, 9, 0];
	var JITTER_L = [4, 3, 5, 5, 5, 5, 6];

	// ------------------------------------------------------------------ the viewer

	var data = null, frames = null, profiles = [], cur = null;
	var hidden = new Uint8Array(KINDS.length), hiddenKey = '';
	var icicle = false, query = '', matcher = null, queryError = '';
	var frameMatch = null, matchCache = null;
	var theme = null, colorOf = null, greyOf = null, probeCtx = null;
	var root, tabsEl, searchEl, matchEl, icicleBtn, resetBtn, legendEl, bodyEl, messageEl, viewport, sizer, stage;
	var canvas, overlay, ctx, octx, tooltip, statusEl, liveEl, legendBoxes = [];
	var width = 0, height = 0, contentH = 0, dpr = 1, rowH = 17, font = '', smallFont = '', padX = 4;
	// The layout: drawn boxes in pre-order, then indexed by row.
	var D = 0, dNode = new Int32Array(1024), dX0 = new Float64Array(1024), dX1 = new Float64Array(1024), dAnc = new Uint8Array(1024);
	var dLabel = [], rowOff = new Int32Array(1), rowIdx = new Int32Array(0), rows = 0;
	var hoverK = -1, focusNode = -1, pendingDraw = 0, pendingLayout = 0;
	var timings = { start: T_START, dataReady: 0, firstRender: 0, init: 0, build: 0, layout: 0, draw: 0, search: 0 };
	var api = {};

	function readData() {
		var d = window.loopscopeFlameData;
		if (d == null) {
			var s = doc.getElementById('loopscope-flame-data');
			if (s) {
				try {
					d = JSON.parse(s.textContent);
				} catch (e) {
					return { error: 'The flame graph data is not valid JSON.' };
				}
			}
		}
		if (!d || typeof d !== 'object') return { error: 'This report holds no flame graph data.' };
		return d;
	}

	function setupProfiles() {
		var ps = data.profiles && typeof data.profiles === 'object' ? data.profiles : {};
		var keys = PROFILE_ORDER.slice();
		Object.keys(ps).forEach(function (k) { if (keys.indexOf(k) < 0) keys.push(k); });
		profiles = keys.map(function (k) {
			var raw = hasOwn.call(ps, k) ? ps[k] : null;
			var ok = raw && typeof raw === 'object';
			var title = ok && typeof raw.title === 'string' && raw.title ? raw.title : DEFAULT_TITLE[k] || k;
			var unit = ok && typeof raw.unit === 'string' && raw.unit ? raw.unit : 'samples';
			return { key: k, title: printable(title), unit: printable(unit), raw: raw, result: null, base: null, tree: null, treeKey: null,
				zoom: 0, zoomPath: [], tab: null, totalEl: null, cache: new Map() };
		});
	}

	// Builds (once) the profile's tree, then its view with the hidden kinds.
	function ensureTree(p) {
		var t0 = performance.now();
		if (!p.result) {
			p.result = treeFromProfile(p.raw, frames);
			p.base = p.result.tree || null;
		}
		if (p.base && p.treeKey !== hiddenKey) {
			// The filtered trees of the last few kind selections stay cached.
			var cached = p.cache.get(hiddenKey);
			if (!cached) {
				cached = filterTree(p.base, hidden, frames);
				if (p.cache.size >= 4) p.cache.delete(p.cache.keys().next().value);
			} else p.cache.delete(hiddenKey);
			p.cache.set(hiddenKey, cached);
			p.tree = cached;
			p.treeKey = hiddenKey;
			// Find the zoomed frame again (skipping hidden frames on its path).
			var z = 0;
			for (var k = 0; k < p.zoomPath.length; k++) {
				var f = p.zoomPath[k];
				if (hidden[frames.kind[f]]) continue;
				var c = childWithFrame(p.tree, z, f);
				if (c < 0) break;
				z = c;
			}
			p.zoom = z;
			focusNode = -1;
			matchCache = null;
			timings.build = performance.now() - t0;
		}
		return p.tree;
	}

	function profileState(p) {
		if (!p.result) ensureTree(p);
		return p.result.error ? 'error' : p.result.absent ? 'absent' : p.result.empty ? 'empty' : 'ok';
	}

	// ---------------------------------------------------------------- DOM

	function button(cls, text, title) {
		var b = el('button', 'flame-btn ' + cls, text);
		b.type = 'button';
		if (title) b.title = title;
		return b;
	}

	function buildDom(host) {
		root = host;
		root.classList.add('flame');
		while (root.firstChild) root.removeChild(root.firstChild);

		var bar = el('div', 'flame-bar');
		tabsEl = el('div', 'flame-tabs');
		tabsEl.setAttribute('role', 'tablist');
		tabsEl.setAttribute('aria-label', 'Profiles');
		bar.appendChild(tabsEl);

		var tools = el('div', 'flame-tools');
		var searchWrap = el('div', 'flame-search');
		searchEl = el('input', 'flame-search-input');
		searchEl.type = 'search';
		searchEl.placeholder = 'Search frames (text or /regex/)';
		searchEl.setAttribute('aria-label', 'Search frames: text (case-insensitive) or /regular expression/');
		searchEl.spellcheck = false;
		searchEl.autocomplete = 'off';
		searchWrap.appendChild(searchEl);
		matchEl = el('span', 'flame-match');
		matchEl.setAttribute('aria-live', 'polite');
		searchWrap.appendChild(matchEl);
		tools.appendChild(searchWrap);
		icicleBtn = button('flame-icicle', 'Icicle', 'Root at the top (icicle) or at the bottom (flame)');
		icicleBtn.setAttribute('aria-pressed', 'false');
		resetBtn = button('flame-reset', 'Reset zoom', 'Show the whole profile (Esc)');
		tools.appendChild(icicleBtn);
		tools.appendChild(resetBtn);
		bar.appendChild(tools);
		root.appendChild(bar);

		legendEl = el('div', 'flame-legend');
		legendEl.setAttribute('role', 'group');
		legendEl.setAttribute('aria-label', 'Frame kinds shown');
		root.appendChild(legendEl);

		bodyEl = el('div', 'flame-body');
		bodyEl.setAttribute('role', 'tabpanel');
		messageEl = el('div', 'flame-message');
		messageEl.hidden = true;
		bodyEl.appendChild(messageEl);
		viewport = el('div', 'flame-viewport');
		sizer = el('div', 'flame-sizer');
		stage = el('div', 'flame-stage');
		canvas = el('canvas', 'flame-canvas');
		canvas.tabIndex = 0;
		canvas.setAttribute('role', 'img');
		canvas.setAttribute('aria-label', 'Flame graph. Arrow keys move between frames, Enter zooms, Escape resets the zoom, slash searches.');
		overlay = el('canvas', 'flame-overlay');
		overlay.setAttribute('aria-hidden', 'true');
		stage.appendChild(canvas);
		stage.appendChild(overlay);
		sizer.appendChild(stage);
		viewport.appendChild(sizer);
		bodyEl.appendChild(viewport);
		root.appendChild(bodyEl);

		statusEl = el('div', 'flame-status');
		root.appendChild(statusEl);
		// What screen readers hear: the frame reached with the keyboard, zoom changes.
		liveEl = el('div', 'flame-sr-only');
		liveEl.setAttribute('aria-live', 'polite');
		root.appendChild(liveEl);
		tooltip = el('div', 'flame-tooltip');
		tooltip.setAttribute('role', 'tooltip');
		tooltip.hidden = true;
		root.appendChild(tooltip);

		ctx = canvas.getContext('2d', { alpha: true });
		octx = overlay.getContext('2d');
	}

	function buildTabs() {
		while (tabsEl.firstChild) tabsEl.removeChild(tabsEl.firstChild);
		profiles.forEach(function (p) {
			var t = el('button', 'flame-tab');
			t.type = 'button';
			t.setAttribute('role', 'tab');
			t.id = 'flame-tab-' + profiles.indexOf(p);
			t.appendChild(el('span', 'flame-tab-title', p.title));
			p.totalEl = el('span', 'flame-tab-total');
			t.appendChild(p.totalEl);
			p.tab = t;
			updateTabTotal(p);
			t.addEventListener('click', function () { select(p); });
			t.addEventListener('keydown', function (e) {
				var i = profiles.indexOf(p), j = -1;
				if (e.key === 'ArrowRight') j = (i + 1) % profiles.length;
				else if (e.key === 'ArrowLeft') j = (i + profiles.length - 1) % profiles.length;
				else if (e.key === 'Home') j = 0;
				else if (e.key === 'End') j = profiles.length - 1;
				if (j >= 0) {
					e.preventDefault();
					select(profiles[j]);
					profiles[j].tab.focus();
				}
			});
			p.tab = t;
			tabsEl.appendChild(t);
		});
	}

	// The tab's subtitle; profiles not shown yet are not parsed, their root total is peeked at.
	function updateTabTotal(p) {
		var st, total = 0;
		if (p.result) {
			st = profileState(p);
			if (st === 'ok') total = p.base.total[0];
		} else {
			var nodes = p.raw && typeof p.raw === 'object' && p.raw.nodes;
			total = nodes && Array.isArray(nodes.total) && nodes.total.length ? num(nodes.total[0]) : 0;
			st = total > 0 ? 'ok' : 'empty';
		}
		p.totalEl.textContent = st === 'ok' ? fmtShort(total, p.unit) : st === 'error' ? 'invalid' : 'no samples';
		p.tab.classList.toggle('flame-tab-empty', st !== 'ok');
	}

	function buildLegend() {
		while (legendEl.firstChild) legendEl.removeChild(legendEl.firstChild);
		legendBoxes = [];
		var present = new Uint8Array(KINDS.length);
		for (var f = 0; f < frames.count; f++) present[frames.kind[f]] = 1;
		KINDS.forEach(function (k, i) {
			if (!present[i]) return;
			var label = el('label', 'flame-legend-item flame-kind-' + k);
			var box = el('input');
			box.type = 'checkbox';
			box.checked = !hidden[i];
			box.addEventListener('change', function () { setKindVisible(k, box.checked); });
			var sw = el('span', 'flame-swatch');
			sw.setAttribute('aria-hidden', 'true');
			label.title = 'Show ' + KIND_WORD[i] + ' frames (unchecked: merged into their callers)';
			label.appendChild(box);
			label.appendChild(sw);
			label.appendChild(el('span', 'flame-legend-text', KIND_LEGEND[i]));
			legendEl.appendChild(label);
			legendBoxes.push({ kind: i, box: box, swatch: sw });
		});
		var tiers = el('span', 'flame-legend-tiers', 'I interpreted \u00b7 B baseline \u00b7 M Maglev \u00b7 T TurboFan');
		tiers.title = 'V8 tier of JavaScript frames, drawn before their name';
		legendEl.appendChild(tiers);
	}

	// ---------------------------------------------------------------- theme

	function readTheme() {
		var cs = getComputedStyle(root);
		var v = function (name) { return cs.getPropertyValue(name).trim(); };
		var probe = probeCtx || (probeCtx = doc.createElement('canvas').getContext('2d'));
		var fallback = ['#e8613c', '#e3b23c', '#7cbf5e', '#6ba6db', '#4fb5ad', '#a58bd6', '#b4b4b4'];
		var t = {
			kinds: KINDS.map(function (k, i) { return parseColor(probe, v('--flame-' + k), fallback[i]); }),
			root: v('--flame-root') || '#cfc8c0',
			text: v('--flame-text') || '#1b1b1b',
			tierText: v('--flame-tier-text') || 'rgba(0,0,0,0.5)',
			match: v('--flame-match') || '#d83ad8',
			matchText: v('--flame-match-text') || '#fff',
			bg: v('--flame-canvas-bg') || 'transparent',
			hover: v('--flame-hover') || '#111',
			focus: v('--flame-focus') || '#1a66ff',
			dim: parseFloat(v('--flame-dim-alpha')) || 0.45,
			fade: parseFloat(v('--flame-fade-alpha')) || 0.6,
			row: parseFloat(v('--flame-row-height')) || 17,
			fontSize: parseFloat(v('--flame-font-size')) || 11.5,
			fontFamily: v('--flame-font-family') || 'sans-serif',
		};
		t.key = JSON.stringify(t);
		return t;
	}

	function applyTheme(force) {
		var t = readTheme();
		if (!force && theme && t.key === theme.key) return false;
		theme = t;
		colorOf = new Array(frames.n);
		greyOf = new Array(frames.n);
		rowH = Math.max(8, Math.round(t.row));
		legendBoxes.forEach(function (b) {
			var c = t.kinds[b.kind];
			b.swatch.style.background = 'rgb(' + c[0] + ',' + c[1] + ',' + c[2] + ')';
		});
		return true;
	}

	function frameColor(f) {
		var c = colorOf[f];
		if (c !== undefined) return c;
		var k = frames.kind[f], base = rgbToHsl(theme.kinds[k]), h = hash32(frames.name[f]);
		var j1 = ((h & 0xffff) / 65535) * 2 - 1, j2 = ((h >>> 16) / 65535) * 2 - 1;
		var hue = base[0] + j1 * JITTER_H[k], sat = base[1], lig = base[2] + j2 * JITTER_L[k];
		if (k === 1) {
			// Dependencies: a stable colour per npm package.
			var ph = hash32('pkg:' + frames.pkg[f]);
			hue = base[0] + ((((ph & 0xff) / 255) * 2 - 1) * 13) + j1 * 2;
			lig = base[2] + ((((ph >>> 8) & 0xff) / 255) * 2 - 1) * 9 + j2 * 2;
			sat = base[1] + ((((ph >>> 16) & 0xff) / 255) * 2 - 1) * 12;
		}
		c = hsl(hue, sat, lig);
		colorOf[f] = c;
		greyOf[f] = hsl(0, 0, 80 + j2 * 4);
		return c;
	}

	// ---------------------------------------------------------------- search

	function compileQuery(q) {
		queryError = '';
		if (!q || !/\S/.test(q)) return null;
		var m = /^\/(.+)\/([a-z]*)$/.exec(q);
		if (m) {
			var flags = m[2].replace(/[^imsu]/g, '').replace('i', '');
			try {
				var re = new RegExp(m[1], 'i' + flags);
				return function (i) { return re.test(frames.name[i]); };
			} catch (e) {
				queryError = 'invalid regular expression';
				return function () { return false; };
			}
		}
		var needle = q.toLowerCase(), lower = frames.lowerNames();
		return function (i) { return lower[i].indexOf(needle) !== -1; };
	}

	function setQuery(q) {
		query = q;
		matcher = compileQuery(q);
		frameMatch = null;
		if (matcher) {
			frameMatch = new Uint8Array(frames.n);
			for (var f = 0; f < frames.n; f++) if (matcher(f)) frameMatch[f] = 1;
		}
		matchCache = null;
	}

	// {matchedTotal, matchedNodes, ofZoom} for the current tree: each sample counted once.
	function matchStats() {
		var t = cur && cur.tree;
		if (!t || !frameMatch) return null;
		if (matchCache && matchCache.tree === t && matchCache.zoom === cur.zoom) return matchCache;
		var F = t.frame, T = t.total, E = t.end, sum = 0, nodes = 0, i;
		for (i = 1; i < t.n;) {
			if (frameMatch[F[i]]) {
				sum += T[i];
				nodes++;
				i = E[i];
			} else i++;
		}
		var z = cur.zoom, zsum = 0, anc = false;
		for (var a = z; a > 0; a = t.parent[a]) if (frameMatch[F[a]]) anc = true;
		if (anc) zsum = T[z];
		else for (i = z + 1; i < E[z];) {
			if (frameMatch[F[i]]) {
				zsum += T[i];
				i = E[i];
			} else i++;
		}
		matchCache = { tree: t, zoom: z, matchedTotal: sum, matchedNodes: nodes, ofZoom: T[z] > 0 ? (100 * zsum) / T[z] : 0 };
		return matchCache;
	}

	function updateMatchText() {
		var s = matchStats();
		matchEl.classList.toggle('flame-match-error', !!queryError);
		if (queryError) {
			matchEl.textContent = queryError;
			return;
		}
		if (!s) {
			matchEl.textContent = '';
			return;
		}
		var pct = (100 * s.matchedTotal) / cur.tree.total[0];
		var what = cur.unit === 'ns' ? 'of time' : 'of samples';
		var text = fmtPct(pct) + ' ' + what + ' match' + (s.matchedNodes ? '' : ' (no frame)');
		if (cur.zoom > 0) text += ' \u00b7 ' + fmtPct(s.ofZoom) + ' of zoomed frame';
		matchEl.textContent = text;
	}

	// ---------------------------------------------------------------- layout and drawing

	function grow(k) {
		var cap = dNode.length;
		if (k < cap) return;
		while (cap <= k) cap *= 2;
		var a = new Int32Array(cap); a.set(dNode); dNode = a;
		var b = new Float64Array(cap); b.set(dX0); dX0 = b;
		var c = new Float64Array(cap); c.set(dX1); dX1 = c;
		var d = new Uint8Array(cap); d.set(dAnc); dAnc = d;
	}

	function showMessage(text) {
		messageEl.textContent = '';
		if (text) {
			messageEl.appendChild(el('strong', null, text[0]));
			if (text[1]) messageEl.appendChild(el('span', null, ' ' + text[1]));
		}
		messageEl.hidden = !text;
		viewport.hidden = !!text;
		statusEl.hidden = !!text;
	}

	function emptyText(p) {
		var st = profileState(p);
		if (st === 'absent') return ['No samples.', p.title + ' was not recorded in this session.'];
		if (st === 'empty') return ['No samples.', p.title + ' was recorded but holds no samples.'];
		if (st === 'error') return ['Invalid profile data.', p.title + ': ' + p.result.error + '.'];
		return null;
	}

	function scheduleLayout() {
		if (!pendingLayout) pendingLayout = requestAnimationFrame(function () { pendingLayout = 0; layout(); });
	}

	function scheduleDraw() {
		if (!pendingDraw) pendingDraw = requestAnimationFrame(function () { pendingDraw = 0; draw(); });
	}

	// Computes the boxes of the current zoom at the current width, sizes the canvases, draws.
	function layout(keepScroll) {
		if (!cur) return;
		var t0 = performance.now();
		applyTheme(false);
		var msg = emptyText(cur);
		showMessage(msg);
		resetBtn.disabled = !cur.tree || cur.zoom === 0;
		if (msg) {
			D = 0;
			rows = 0;
			hideTooltip();
			updateMatchText();
			updateStatus();
			return;
		}
		var t = ensureTree(cur);
		var W = viewport.clientWidth;
		if (W <= 0) return; // not displayed: the resize observer calls again
		dpr = window.devicePixelRatio || 1;
		width = W;
		font = theme.fontSize * dpr + 'px ' + theme.fontFamily;
		smallFont = '600 ' + Math.round(theme.fontSize * 0.78 * dpr) + 'px ' + theme.fontFamily;
		var z = cur.zoom, T = t.total, X = t.x, E = t.end, Dp = t.depth, P = t.parent;
		var scale = W / T[z], xz = X[z], k = 0, i, maxDepth = Dp[z];
		var anc = [];
		for (var a = P[z]; a >= 0; a = P[a]) anc.push(a);
		for (i = anc.length - 1; i >= 0; i--) {
			grow(k);
			dNode[k] = anc[i]; dX0[k] = 0; dX1[k] = W; dAnc[k] = 1;
			k++;
		}
		var end = E[z];
		for (i = z; i < end;) {
			var w = T[i] * scale;
			if (w < MIN_WIDTH) {
				i = E[i];
				continue;
			}
			grow(k);
			var x = (X[i] - xz) * scale;
			dNode[k] = i; dX0[k] = x; dX1[k] = x + w; dAnc[k] = 0;
			k++;
			if (Dp[i] > maxDepth) maxDepth = Dp[i];
			i++;
		}
		D = k;
		rows = maxDepth + 1;
		// Index by row (a stable counting sort keeps each row in x order).
		rowOff = new Int32Array(rows + 1);
		for (i = 0; i < D; i++) rowOff[Dp[dNode[i]] + 1]++;
		for (i = 0; i < rows; i++) rowOff[i + 1] += rowOff[i];
		var fill = rowOff.slice(0, rows);
		rowIdx = new Int32Array(D);
		for (i = 0; i < D; i++) rowIdx[fill[Dp[dNode[i]]]++] = i;
		dLabel = new Array(D);

		// Sizes: the viewport scrolls a sizer as tall as the graph; the stage (both canvases) sticks.
		var oldContent = contentH, oldTop = viewport.scrollTop, oldClient = viewport.clientHeight;
		contentH = rows * rowH + 4;
		sizer.style.height = contentH + 'px';
		var H = Math.max(1, Math.min(contentH, viewport.clientHeight || contentH));
		height = H;
		stage.style.height = H + 'px';
		var cw = Math.round(W * dpr), ch = Math.round(H * dpr);
		[canvas, overlay].forEach(function (c) {
			if (c.width !== cw) c.width = cw;
			if (c.height !== ch) c.height = ch;
			c.style.width = W + 'px';
			c.style.height = H + 'px';
		});
		if (keepScroll && oldContent) {
			// Keep the root where it was (bottom in flame mode, top in icicle mode).
			viewport.scrollTop = icicle ? oldTop : contentH - H - (oldContent - oldTop - oldClient);
		} else {
			// The zoomed frame with up to 3 ancestors, and as much of its subtree as fits.
			var ctxRow = Math.max(0, Dp[z] - 3);
			viewport.scrollTop = icicle ? (ctxRow > 0 ? rowY(ctxRow) : 0) : ctxRow > 0 ? rowY(ctxRow) + rowH - H : contentH;
		}
		if (focusNode >= 0 && indexOfNode(focusNode) < 0) focusNode = -1;
		timings.layout = performance.now() - t0;
		draw();
		updateMatchText();
		updateStatus();
	}

	function rowY(depth) {
		return icicle ? depth * rowH + 2 : contentH - 2 - (depth + 1) * rowH;
	}

	// The label for drawn box K: printable name, truncated with an ellipsis, or '' when none fits.
	function labelFor(k, wDev) {
		var s = dLabel[k];
		if (s !== undefined) return s;
		var node = dNode[k], t = cur.tree, f = t.frame[node], text;
		if (node === 0) text = 'all \u00b7 ' + fmtValue(t.total[0], cur.unit);
		else text = frames.label[f];
		if (text.length > 400) text = text.slice(0, 400) + '\u2026';
		var avail = wDev - 2 * padX * dpr - (node !== 0 && frames.tier[f] ? tierWidth() : 0);
		s = fitText(text, avail);
		dLabel[k] = s;
		return s;
	}

	var tierW = 0, tierWKey = '';
	function tierWidth() {
		if (tierWKey !== smallFont) {
			var old = ctx.font;
			ctx.font = smallFont;
			tierW = ctx.measureText('M').width + 3 * dpr;
			ctx.font = old;
			tierWKey = smallFont;
		}
		return tierW;
	}

	function fitText(text, avail) {
		if (avail < 6 * dpr) return '';
		var full = ctx.measureText(text).width;
		if (full <= avail) return text;
		var ell = '\u2026', ew = ctx.measureText(ell).width;
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
		while (n > 0 && ctx.measureText(cut(n)).width > avail && guard++ < 64) n--;
		while (n < text.length - 1 && ctx.measureText(cut(n + 1)).width <= avail && guard++ < 64) n++;
		return n > 0 ? cut(n) : '';
	}

	// Device-pixel width of drawn box K as painted (a gap on its right when there is room).
	function boxWidth(k) {
		var gap = Math.max(1, Math.round(dpr)), w = Math.round(dX1[k] * dpr) - Math.round(dX0[k] * dpr);
		if (w > 2 * gap + 1) w -= gap;
		return w < 1 ? 1 : w;
	}

	function draw() {
		if (!cur || !cur.tree || D === 0 && rows === 0) return;
		if ((window.devicePixelRatio || 1) !== dpr) {
			// Zoomed, or moved to another screen, without a media query event.
			layout(true);
			return;
		}
		var t0 = performance.now();
		var t = cur.tree, F = t.frame, Dp = t.depth;
		var cw = canvas.width, ch = canvas.height;
		ctx.setTransform(1, 0, 0, 1, 0, 0);
		ctx.clearRect(0, 0, cw, ch);
		if (theme.bg !== 'transparent') {
			ctx.fillStyle = theme.bg;
			ctx.fillRect(0, 0, cw, ch);
		}
		var top = viewport.scrollTop, H = height;
		var rh = Math.round(rowH * dpr), gapY = Math.max(1, Math.round(dpr));
		var first = 0, last = rows - 1, r;
		// Rows that intersect [top, top + H).
		var lo = rows, hi = -1;
		for (r = first; r <= last; r++) {
			var y = rowY(r);
			if (y + rowH > top && y < top + H) {
				if (r < lo) lo = r;
				if (r > hi) hi = r;
			}
		}
		ctx.font = font;
		ctx.textBaseline = 'middle';
		var searching = !!frameMatch;
		var tierMarks = [];
		for (r = lo; r <= hi; r++) {
			var y0 = Math.round((rowY(r) - top) * dpr), hgt = rh - gapY;
			for (var j = rowOff[r]; j < rowOff[r + 1]; j++) {
				var k = rowIdx[j], node = dNode[k], f = F[node];
				var x0 = Math.round(dX0[k] * dpr), w = boxWidth(k);
				var color = node === 0 ? theme.root : frameColor(f), alpha = 1;
				if (searching && node !== 0) {
					if (frameMatch[f]) color = theme.match;
					else {
						color = greyOf[f];
						alpha = theme.fade;
					}
				}
				if (dAnc[k]) alpha *= theme.dim;
				ctx.globalAlpha = alpha;
				ctx.fillStyle = color;
				ctx.fillRect(x0, y0, w, hgt);
				if (w >= LABEL_MIN * dpr) {
					var label = labelFor(k, w);
					if (label) {
						var tx = x0 + padX * dpr;
						if (node !== 0 && frames.tier[f]) {
							tierMarks.push(tx, y0 + hgt / 2, f, alpha);
							tx += tierWidth();
						}
						ctx.fillStyle = searching && frameMatch[f] && node !== 0 ? theme.matchText : theme.text;
						ctx.fillText(label, tx, y0 + hgt / 2 + 0.5 * dpr);
					}
				}
			}
		}
		if (tierMarks.length) {
			ctx.font = smallFont;
			ctx.fillStyle = theme.tierText;
			for (var m = 0; m < tierMarks.length; m += 4) {
				ctx.globalAlpha = tierMarks[m + 3];
				ctx.fillText(TIER[frames.tier[tierMarks[m + 2]]].letter, tierMarks[m], tierMarks[m + 1] + 0.5 * dpr);
			}
		}
		ctx.globalAlpha = 1;
		drawOverlay();
		timings.draw = performance.now() - t0;
		if (!timings.firstRender) {
			timings.firstRender = performance.now();
			timings.init = timings.firstRender - T_START;
		}
	}

	function boxRect(k) {
		var y = rowY(cur.tree.depth[dNode[k]]) - viewport.scrollTop;
		return { x: dX0[k], y: y, w: dX1[k] - dX0[k], h: rowH };
	}

	function drawOverlay() {
		octx.setTransform(1, 0, 0, 1, 0, 0);
		octx.clearRect(0, 0, overlay.width, overlay.height);
		var stroke = function (k, color, lw) {
			if (k < 0) return;
			var b = boxRect(k);
			var x0 = Math.round(b.x * dpr), y0 = Math.round(b.y * dpr);
			var gap = Math.max(1, Math.round(dpr)), h = Math.round(rowH * dpr) - gap, half = lw / 2, w = boxWidth(k);
			octx.strokeStyle = color;
			octx.lineWidth = lw;
			octx.strokeRect(x0 + half, y0 + half, Math.max(w - lw, 1), Math.max(h - lw, 1));
		};
		stroke(hoverK, theme.hover, Math.max(1, Math.round(dpr)));
		if (doc.activeElement === canvas && focusNode >= 0) stroke(indexOfNode(focusNode), theme.focus, 2 * Math.max(1, Math.round(dpr)));
	}

	function indexOfNode(node) {
		for (var k = 0; k < D; k++) if (dNode[k] === node) return k;
		return -1;
	}

	// Drawn box under client point (cx, cy), or -1.
	function hit(cx, cy) {
		if (!cur || !cur.tree || !D) return -1;
		var rect = canvas.getBoundingClientRect();
		var x = cx - rect.left, y = cy - rect.top + viewport.scrollTop;
		if (x < 0 || x >= width || cy - rect.top < 0 || cy - rect.top >= height) return -1;
		var r = icicle ? Math.floor((y - 2) / rowH) : Math.ceil((contentH - 2 - y) / rowH) - 1;
		if (r < 0 || r >= rows) return -1;
		var lo = rowOff[r], hi = rowOff[r + 1] - 1;
		while (lo <= hi) {
			var mid = (lo + hi) >> 1, k = rowIdx[mid];
			if (x < dX0[k]) hi = mid - 1;
			else if (x >= dX1[k]) lo = mid + 1;
			else return k;
		}
		return -1;
	}

	// ---------------------------------------------------------------- tooltip and status

	function describeNode(node) {
		var t = cur.tree, f = t.frame[node], lines = [];
		var total = t.total[node], all = t.total[0], p = t.parent[node];
		if (node === 0) {
			lines.push({ cls: 'name', text: 'all' });
			lines.push({ cls: 'row', k: 'Profile', text: cur.title });
			lines.push({ cls: 'row', k: 'Total', text: fmtValue(total, cur.unit) });
			return lines;
		}
		lines.push({ cls: 'name', text: frames.label[f].length > 2000 ? frames.label[f].slice(0, 2000) + '\u2026' : frames.label[f] });
		if (frames.location[f]) lines.push({ cls: 'loc', text: frames.location[f] });
		lines.push({ cls: 'row', k: 'Kind', text: KIND_WORD[frames.kind[f]] });
		if (frames.tier[f]) lines.push({ cls: 'row', k: 'Tier', text: TIER[frames.tier[f]].word });
		if (frames.pkg[f]) lines.push({ cls: 'row', k: 'Package', text: frames.pkg[f] });
		if (frames.module[f]) lines.push({ cls: 'row', k: 'Module', text: frames.module[f] });
		lines.push({ cls: 'row', k: 'Total', text: fmtValue(total, cur.unit) + ' \u00b7 ' + fmtPct((100 * total) / all) + ' of all \u00b7 ' +
			fmtPct(p >= 0 && t.total[p] > 0 ? (100 * total) / t.total[p] : 100) + ' of parent' });
		lines.push({ cls: 'row', k: 'Self', text: fmtValue(t.self[node], cur.unit) + ' \u00b7 ' + fmtPct((100 * t.self[node]) / all) + ' of all' });
		return lines;
	}

	function fillTooltip(lines) {
		while (tooltip.firstChild) tooltip.removeChild(tooltip.firstChild);
		lines.forEach(function (l) {
			if (l.cls === 'row') {
				var row = el('div', 'flame-tt-row');
				row.appendChild(el('span', 'flame-tt-key', l.k));
				row.appendChild(el('span', 'flame-tt-val', l.text));
				tooltip.appendChild(row);
			} else tooltip.appendChild(el('div', 'flame-tt-' + l.cls, l.text));
		});
		var hint = cur.zoom === dNode[hoverK] ? 'click: zoom out one level' : 'click: zoom';
		tooltip.appendChild(el('div', 'flame-tt-hint', hint));
	}

	function showTooltip(k, cx, cy) {
		fillTooltip(describeNode(dNode[k]));
		tooltip.hidden = false;
		var vw = doc.documentElement.clientWidth, vh = doc.documentElement.clientHeight;
		var tw = tooltip.offsetWidth, th = tooltip.offsetHeight;
		var x = cx + 14, y = cy + 16;
		if (x + tw > vw - 4) x = Math.max(4, cx - tw - 14);
		if (y + th > vh - 4) y = Math.max(4, cy - th - 12);
		tooltip.style.left = x + 'px';
		tooltip.style.top = y + 'px';
	}

	function hideTooltip() {
		if (tooltip) tooltip.hidden = true;
	}

	function oneLine(node) {
		var t = cur.tree, f = t.frame[node];
		if (node === 0) return 'all \u00b7 ' + fmtValue(t.total[0], cur.unit);
		var s = frames.label[f];
		if (s.length > 300) s = s.slice(0, 300) + '\u2026';
		s += ' \u2014 ' + fmtValue(t.total[node], cur.unit) + ', ' + fmtPct((100 * t.total[node]) / t.total[0]) + ' \u00b7 ' + KIND_WORD[frames.kind[f]];
		if (frames.pkg[f]) s += ' (' + frames.pkg[f] + ')';
		if (frames.tier[f]) s += ' \u00b7 ' + TIER[frames.tier[f]].word;
		if (frames.location[f]) s += ' \u00b7 ' + frames.location[f];
		return s;
	}

	function updateStatus() {
		if (!statusEl) return;
		var text;
		if (!cur || !cur.tree || emptyText(cur)) text = '';
		else if (focusNode >= 0 && doc.activeElement === canvas) text = oneLine(focusNode);
		else if (hoverK >= 0) text = oneLine(dNode[hoverK]);
		else if (cur.zoom > 0) text = 'Zoomed into ' + oneLine(cur.zoom) + ' \u2014 Esc resets';
		else text = 'Click a frame to zoom \u00b7 Esc resets \u00b7 / searches \u00b7 arrow keys move between frames';
		statusEl.textContent = text;
	}

	// ---------------------------------------------------------------- actions

	function select(p) {
		if (cur) {
			cur.scrollTop = viewport.scrollTop;
		}
		cur = p;
		profiles.forEach(function (q) {
			q.tab.setAttribute('aria-selected', q === p ? 'true' : 'false');
			q.tab.tabIndex = q === p ? 0 : -1;
			q.tab.classList.toggle('flame-tab-active', q === p);
		});
		bodyEl.setAttribute('aria-labelledby', p.tab.id);
		hoverK = -1;
		focusNode = -1;
		hideTooltip();
		matchCache = null;
		layout(false);
		updateTabTotal(p);
		return true;
	}

	function zoom(node) {
		var t = cur.tree;
		if (!t) return;
		cur.zoom = node;
		var path = [];
		for (var a = node; a > 0; a = t.parent[a]) path.push(t.frame[a]);
		cur.zoomPath = path.reverse();
		hoverK = -1;
		hideTooltip();
		matchCache = null;
		layout(false);
		if (focusNode >= 0) focusNode = node;
		drawOverlay();
		if (node > 0) liveEl.textContent = 'Zoomed into ' + oneLine(node);
	}

	function reset() {
		if (cur && cur.tree) {
			var was = cur.zoom;
			zoom(0);
			if (was > 0) liveEl.textContent = 'Zoom reset';
		}
	}

	function setIcicle(on) {
		icicle = !!on;
		icicleBtn.setAttribute('aria-pressed', icicle ? 'true' : 'false');
		root.classList.toggle('flame-is-icicle', icicle);
		layout(false);
	}

	function setKindVisible(kind, on) {
		if (!hasOwn.call(KIND_INDEX, kind)) return false;
		hidden[KIND_INDEX[kind]] = on ? 0 : 1;
		hiddenKey = Array.prototype.join.call(hidden, '');
		legendBoxes.forEach(function (b) { if (b.kind === KIND_INDEX[kind]) b.box.checked = !!on; });
		layout(false);
		return true;
	}

	function search(q) {
		var t0 = performance.now();
		setQuery(q);
		draw();
		updateMatchText();
		timings.search = performance.now() - t0;
		return timings.search;
	}

	function moveFocus(node) {
		focusNode = node;
		var k = indexOfNode(node);
		if (k >= 0) {
			// Scroll the row into view.
			var y = rowY(cur.tree.depth[node]);
			if (y < viewport.scrollTop) viewport.scrollTop = y;
			else if (y + rowH > viewport.scrollTop + height) viewport.scrollTop = y + rowH - height;
			draw();
			var rect = canvas.getBoundingClientRect(), b = boxRect(k);
			hoverK = -1;
			fillTooltip(describeNode(node));
			tooltip.hidden = false;
			showTooltip(k, rect.left + Math.min(b.x + b.w / 2, b.x + 40), rect.top + b.y + rowH);
		}
		liveEl.textContent = oneLine(node);
		updateStatus();
	}

	function onKey(e) {
		if (!cur || !cur.tree) return;
		var t = cur.tree, node = focusNode >= 0 ? focusNode : cur.zoom, k = indexOfNode(node), next = -1;
		var deeper = icicle ? 'ArrowDown' : 'ArrowUp', shallower = icicle ? 'ArrowUp' : 'ArrowDown';
		switch (e.key) {
		case deeper: {
			// The widest drawn child.
			var best = -1;
			for (var j = node + 1; j < t.end[node]; j = t.end[j]) if (indexOfNode(j) >= 0 && (best < 0 || t.total[j] > t.total[best])) best = j;
			next = best;
			break;
		}
		case shallower:
			next = t.parent[node];
			break;
		case 'ArrowLeft':
		case 'ArrowRight': {
			if (k < 0) break;
			var r = t.depth[node], pos = -1;
			for (var q = rowOff[r]; q < rowOff[r + 1]; q++) if (rowIdx[q] === k) pos = q;
			pos += e.key === 'ArrowLeft' ? -1 : 1;
			if (pos >= rowOff[r] && pos < rowOff[r + 1]) next = dNode[rowIdx[pos]];
			break;
		}
		case 'Home':
			next = cur.zoom;
			break;
		case 'Enter':
		case ' ':
			e.preventDefault();
			zoom(node === cur.zoom && node > 0 ? t.parent[node] : node);
			moveFocus(cur.zoom === 0 && node !== 0 ? node : cur.zoom);
			return;
		default:
			return;
		}
		e.preventDefault();
		if (next >= 0) moveFocus(next);
	}

	// ---------------------------------------------------------------- events

	function attachEvents() {
		canvas.addEventListener('mousemove', function (e) {
			var k = hit(e.clientX, e.clientY);
			if (k !== hoverK) {
				hoverK = k;
				drawOverlay();
				updateStatus();
			}
			canvas.style.cursor = k >= 0 ? 'pointer' : '';
			if (k >= 0) showTooltip(k, e.clientX, e.clientY);
			else hideTooltip();
		});
		canvas.addEventListener('mouseleave', function () {
			hoverK = -1;
			hideTooltip();
			drawOverlay();
			updateStatus();
		});
		canvas.addEventListener('click', function (e) {
			var k = hit(e.clientX, e.clientY);
			if (k < 0) return;
			var node = dNode[k];
			// Clicking the zoomed frame again zooms out one level.
			if (node === cur.zoom && node > 0) node = cur.tree.parent[node];
			zoom(node);
			focusNode = -1;
			if (e.clientX != null) {
				var k2 = hit(e.clientX, e.clientY);
				hoverK = k2;
				drawOverlay();
				if (k2 >= 0) showTooltip(k2, e.clientX, e.clientY);
			}
			updateStatus();
		});
		canvas.addEventListener('keydown', onKey);
		canvas.addEventListener('focus', function () {
			if (focusNode < 0 && cur && cur.tree) focusNode = cur.zoom;
			drawOverlay();
			updateStatus();
		});
		canvas.addEventListener('blur', function () {
			hideTooltip();
			drawOverlay();
			updateStatus();
		});
		viewport.addEventListener('scroll', function () {
			hideTooltip();
			if (hoverK >= 0) {
				hoverK = -1;
				updateStatus();
			}
			scheduleDraw();
		}, { passive: true });
		var timer = 0;
		searchEl.addEventListener('input', function () {
			clearTimeout(timer);
			var big = cur && cur.tree && cur.tree.n > 300000;
			timer = setTimeout(function () { search(searchEl.value); }, big ? 120 : 30);
		});
		searchEl.addEventListener('keydown', function (e) {
			if (e.key === 'Escape' && searchEl.value) {
				e.preventDefault();
				e.stopPropagation();
				searchEl.value = '';
				search('');
			} else if (e.key === 'Enter') {
				clearTimeout(timer);
				search(searchEl.value);
			}
		});
		icicleBtn.addEventListener('click', function () { setIcicle(!icicle); });
		resetBtn.addEventListener('click', reset);
		root.addEventListener('keydown', function (e) {
			if (e.defaultPrevented) return;
			if (e.key === 'Escape') {
				reset();
				hideTooltip();
			} else if (e.key === '/' && e.target !== searchEl) {
				e.preventDefault();
				searchEl.focus();
				searchEl.select();
			}
		});
		// Escape and "/" also work when nothing in particular has the focus.
		doc.addEventListener('keydown', function (e) {
			if (e.defaultPrevented || (doc.activeElement && doc.activeElement !== doc.body)) return;
			if (e.key === 'Escape') reset();
			else if (e.key === '/' && root.offsetParent !== null) {
				e.preventDefault();
				searchEl.focus();
			}
		});
		if (typeof ResizeObserver !== 'undefined') {
			var lastW = -1;
			new ResizeObserver(function () {
				var w = viewport.clientWidth;
				if (w !== lastW) {
					lastW = w;
					scheduleLayout();
				}
			}).observe(viewport);
		} else window.addEventListener('resize', scheduleLayout);
		var watchDpr = function () {
			if (!window.matchMedia) return;
			var mq = window.matchMedia('(resolution: ' + (window.devicePixelRatio || 1) + 'dppx)');
			var h = function () {
				mq.removeEventListener('change', h);
				scheduleLayout();
				watchDpr();
		window.addEventListener('resize', function () {
			if ((window.devicePixelRatio || 1) !== dpr) scheduleLayout();
		});
			};
			mq.addEventListener('change', h);
		};
		watchDpr();
		window.addEventListener('resize', function () {
			if ((window.devicePixelRatio || 1) !== dpr) scheduleLayout();
		});
		if (window.matchMedia) window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', function () { applyTheme(true); layout(true); });
	}

	// ---------------------------------------------------------------- test API

	function widest(name) {
		var t = cur && cur.tree;
		if (!t) return -1;
		var best = -1;
		for (var i = 1; i < t.n; i++) if (frames.name[t.frame[i]] === name && (best < 0 || t.total[i] > t.total[best])) best = i;
		return best;
	}

	function widestDrawn(name) {
		var best = -1;
		for (var k = 0; k < D; k++) {
			var node = dNode[k];
			if (node > 0 && frames.name[cur.tree.frame[node]] === name && (best < 0 || dX1[k] - dX0[k] > dX1[best] - dX0[best])) best = k;
		}
		return best;
	}

	function allLabels() {
		var out = [];
		ctx.font = font;
		for (var k = 0; k < D; k++) {
			var w = boxWidth(k);
			if (w >= LABEL_MIN * dpr) {
				var s = labelFor(k, w);
				if (s) out.push(s);
			}
		}
		return out;
	}

	function buildApi() {
		api.version = 1;
		api.timings = timings;
		api.search = function (q) {
			q = str(q);
			searchEl.value = q;
			var ms = search(q);
			var s = matchStats(), t = cur && cur.tree;
			var total = t ? t.total[0] : 0;
			return { query: q, valid: !queryError, matchPercent: s && total ? (100 * s.matchedTotal) / total : 0,
				matchPercentOfZoom: s ? s.ofZoom : 0, matchedTotal: s ? s.matchedTotal : 0, total: total,
				matchedNodes: s ? s.matchedNodes : 0, ms: ms };
		};
		api.zoomTo = function (name) {
			var i = widest(str(name));
			if (i < 0) return null;
			zoom(i);
			var t = cur.tree;
			return { name: frames.name[t.frame[i]], depth: t.depth[i], total: t.total[i], percent: (100 * t.total[i]) / t.total[0] };
		};
		api.reset = function () { reset(); };
		api.visibleLabels = allLabels;
		api.visibleFrames = function () {
			var out = [];
			ctx.font = font;
			for (var k = 0; k < D; k++) {
				var node = dNode[k], w = boxWidth(k);
				out.push({ name: node === 0 ? 'all' : frames.name[cur.tree.frame[node]], label: w >= LABEL_MIN * dpr ? labelFor(k, w) : '',
					depth: cur.tree.depth[node], x: dX0[k], width: dX1[k] - dX0[k], ancestor: !!dAnc[k] });
			}
			return out;
		};
		api.frameRect = function (name) {
			var k = widestDrawn(str(name));
			if (k < 0) return null;
			var y = rowY(cur.tree.depth[dNode[k]]);
			if (y < viewport.scrollTop || y + rowH > viewport.scrollTop + height) {
				viewport.scrollTop = Math.max(0, y - height / 2);
				draw();
			}
			var r = canvas.getBoundingClientRect(), b = boxRect(k);
			return { x: r.left + b.x, y: r.top + b.y, width: b.w, height: b.h };
		};
		api.describe = function (name) {
			var i = widest(str(name));
			if (i < 0) return null;
			return describeNode(i).map(function (l) { return l.k ? l.k + ': ' + l.text : l.text; });
		};
		api.select = function (key) {
			for (var i = 0; i < profiles.length; i++) if (profiles[i].key === key) return select(profiles[i]);
			return false;
		};
		api.profiles = function () {
			return profiles.map(function (p) {
				var st = profileState(p);
				return { key: p.key, title: p.title, unit: p.unit, state: st, total: st === 'ok' ? p.base.total[0] : 0, nodes: st === 'ok' ? p.base.n : 0 };
			});
		};
		api.setIcicle = setIcicle;
		api.setKindVisible = setKindVisible;
		api.refreshTheme = function () { applyTheme(true); layout(true); };
		api.state = function () {
			var s = matchStats(), t = cur && cur.tree, msg = cur ? emptyText(cur) : ['No data.'];
			return { profile: cur ? cur.key : null, zoom: t && cur.zoom > 0 ? frames.name[t.frame[cur.zoom]] : null, icicle: icicle,
				query: query, matchPercent: s && t ? (100 * s.matchedTotal) / t.total[0] : null,
				hiddenKinds: KINDS.filter(function (k, i) { return hidden[i]; }), nodes: t ? t.n : 0, drawn: msg ? 0 : D,
				rows: msg ? 0 : rows, width: width, height: height, dpr: dpr, message: msg ? msg.join(' ') : null };
		};
		window.loopscopeFlame = api;
	}

	// ---------------------------------------------------------------- start

	function start() {
		var host = doc.getElementById('loopscope-flame');
		if (!host) {
			host = el('div');
			host.id = 'loopscope-flame';
			doc.body.appendChild(host);
		}
		buildDom(host);
		buildApi();
		data = readData();
		timings.dataReady = performance.now();
		if (data.error) {
			frames = new Frames([]);
			profiles = [];
			showMessage([data.error]);
			root.classList.add('flame-no-data');
			return;
		}
		frames = new Frames(data.frames);
		setupProfiles();
		buildTabs();
		buildLegend();
		applyTheme(true);
		attachEvents();
		var first = null;
		for (var i = 0; i < profiles.length && !first; i++) if (!profiles[i].tab.classList.contains('flame-tab-empty') && profileState(profiles[i]) === 'ok') first = profiles[i];
		select(first || profiles[0]);
	}

	if (doc.readyState === 'loading' && !doc.getElementById('loopscope-flame')) doc.addEventListener('DOMContentLoaded', start);
	else start();
})();
