/*
 * loopscope flamegraph viewer (reports/assets/flame.js): the page — DOM, canvas, events — over its
 * model, reports/assets/flame-model.js (trees, search, layout arithmetic, texts; no DOM). Plain
 * JavaScript, no dependencies, no network: loopscope inlines flame-model.js then this file, in one
 * script element, into report.html after flame.css and the data. Neither may contain the
 * character sequences that end or escape an inline script (a "<" followed by "/script", "script"
 * or "!--"); tests/integration/flame_viewer.sh checks.
 *
 * ---------------------------------------------------------------------------------------------
 * INPUT: window.loopscopeFlameData, defined by an earlier script element:
 *
 *   { "kinds": [ { "name": "app", "legend": "application", "description": "application JavaScript" },
 *                ... ],
 *     "frames": [ { "name": "reallySlowChecksum",
 *                   "kind": "app" (one of the names in "kinds"),
 *                   "tier": "*" | "~" | "^" | "+" | "",
 *                   "location": "/app/x.js:2:28" or "",
 *                   "module": "libuv.so.1" or "",
 *                   "package": "express" or "" }, ... ],
 *     "profiles": { "cpu":     { "title": "All CPU", "unit": "samples", "nodes": NODES },
 *                   "blocked": { "title": "Blocked loop", "unit": "samples", "nodes": NODES },
 *                   "offcpu":  { "title": "Off-CPU", "unit": "ns", "nodes": NODES },
 *                   "heap":    { "title": "Native heap: live", "unit": "bytes", "nodes": NODES },
 *                   "alloc":   { "title": "Native heap: allocated", "unit": "bytes", "nodes": NODES } } }
 *
 *   NODES = { "frame": [...], "parent": [...], "total": [...], "self": [...] }, four arrays of the
 *   same length: the call tree in depth-first pre-order, node 0 the root (frame -1, parent -1),
 *   siblings sorted by frame name, frame = index into "frames" (shared by all profiles), parent =
 *   index of the parent node (always < the node's own index), total = the node's samples (or
 *   nanoseconds) including its descendants, self = excluding them.
 *
 *   kinds: the frame kinds in the order the legend shows them; loopscope writes them from the one
 *   list, FRAME_KINDS in collector/symbols/frames.h (app = the application's JavaScript, dep = an
 *   npm package's, node = Node.js internals, v8 = V8 builtins and runtime, native = C/C++ in user
 *   space, kernel, unknown). name: lower-case letters, digits, "-" and "_" (others are skipped);
 *   flame.css's --flame-NAME colours the kind and --flame-NAME-jitter says how far (hue degrees,
 *   lightness points) a frame's colour strays from it. legend: the legend's label; description:
 *   the tooltip's words. A frame whose kind is not listed is "unknown" (listed last when the data
 *   does not list it). A frame with a package gets a colour per package around its kind's.
 *   tier (JS frames only, V8's own markers): "~"
 *   interpreted (Ignition), "^" baseline (Sparkplug), "+" Maglev, "*" TurboFan, "" not JS/unknown.
 *   unit: "samples", "ns" or "bytes" (any other word is shown as a plain count of that word).
 *   Profiles are shown as tabs in the order cpu, blocked, offcpu, then any other key (heap, alloc); a missing
 *   profile, or one with no nodes or a zero total, shows a "no samples" message. Out-of-range frame
 *   indexes show as "(invalid frame)"; parents that do not precede their node make the profile
 *   show an error; a tree not in pre-order or with unsorted siblings is reordered; a total smaller
 *   than self + the children's totals is raised to it. Every string is untrusted: it is only ever
 *   drawn with fillText or set with textContent.
 *
 *   A DIFFERENTIAL flame graph (loopscope report --diff, or the report's "Compared with baseline"
 *   section) has the same data and, beside it:
 *     "diff": { "baseline": { "sessions": N }, "current": { "sessions": N } },
 *   and in each compared profile's NODES two more arrays of the same length: "base" (each node's
 *   total in the baseline) and "baseSelf" (its self count there; derived from "base" when absent);
 *   "total" and "self" are the current run's. The tree is the union of both sides' stacks: a node
 *   only the baseline has is there with total 0. A profile not compared has no nodes but
 *   "absent": why (shown as the tab's message). Frames are then coloured by the change of their
 *   node's share of the profile (flame-model.js, makeDiff and diffMix; --flame-diff-grew,
 *   --flame-diff-shrank, --flame-diff-same), kinds are not hidden, the widths are those of either
 *   side (buttons "Widths: current | baseline"), and under the graph a table lists the frames whose
 *   share changed most.
 *
 *   Alternatively the same JSON may sit in a script element of type "application/json" with id
 *   "loopscope-flame-data" (used when window.loopscopeFlameData is undefined). For either, the JSON
 *   text must be escaped for a script element: every "<", ">", "&", U+2028 and U+2029
 *   written as \u003c, \u003e, \u0026, \u2028, \u2029. Never emit an object key taken from the
 *   data (a "__proto__" key means something else in a JS object literal).
 *
 * MOUNT: into the element with id "loopscope-flame" (created at the end of <body> when absent),
 *   which gets the class "flame". The script may run before or after that element is parsed.
 *   Colours, fonts and sizes are CSS variables on .flame (see flame.css). When the page has an
 *   element with id "loopscope-flame-diff", a second viewer mounts there, with its data from the
 *   script element "loopscope-flame-diff-data" and its test API at window.loopscopeFlameDiff; the
 *   first is then started only when the page has its element or its data too. When the page has an
 *   element with id "loopscope-flame-memory" (the report's Memory section), a third viewer mounts
 *   there with the same data, showing only the profiles in bytes (the native heap's), its test API
 *   at window.loopscopeFlameMemory; the first viewer then leaves those out.
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
 *   colorOf(name)       -> {css, pixel: [r, g, b, a]} of the widest drawn box of that name: the colour
 *                           it was given, and the pixel read back from the canvas inside it; or null.
 *   Of a differential flame graph also:
 *   diff()              -> {widths, scale, baseTotal, currentTotal, changes: [{name, base, current,
 *                           baseShare, currentShare, delta}] (every frame, largest |delta| first;
 *                           shares and delta as fractions), table: the rows shown, [frame, baseline,
 *                           current, change] as text} | null
 *   setWidths("current"|"baseline"), showFrame(name, widths) (what a click in the table does)
 * ---------------------------------------------------------------------------------------------
 */
(function () {
	'use strict';

	var T_START = performance.now();
	var doc = document;
	var M = window.loopscopeFlameModel;
	var str = M.str, printable = M.printable, fmtValue = M.fmtValue, fmtPct = M.fmtPct, fmtShort = M.fmtShort, TIER = M.TIER;
	var MIN_WIDTH = 0.35;  // CSS px: narrower boxes (and their subtrees) are not drawn
	var LABEL_MIN = 16;    // CSS px: narrower boxes get no label

	function el(tag, cls, text) {
		var e = doc.createElement(tag);
		if (cls) e.className = cls;
		if (text != null) e.textContent = text;
		return e;
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

	// ------------------------------------------------------------------ the viewer

	// One viewer: OPT = {host: id of its element, data: id of its JSON script element, global: the
	// window property that may hold its data instead (or null), api: the window property its test
	// API goes to, keys: whether "/" and Escape pressed on the page (not in a viewer) are its, only:
	// which of the data's profiles it shows (a test on each of M.profileList's; all when absent)}.
	function createViewer(opt) {
		var data = null, kinds = null, frames = null, profiles = [], cur = null;
		var hidden = new Uint8Array(0), hiddenKey = '';
		var icicle = false, query = '', matcher = null, queryError = '';
		var frameMatch = null, matchCache = null;
		var theme = null, colorOf = null, greyOf = null, probeCtx = null;
		var root, tabsEl, searchEl, matchEl, icicleBtn, resetBtn, legendEl, bodyEl, messageEl, viewport, sizer, stage;
		var canvas, overlay, ctx, octx, tooltip, statusEl, liveEl, legendBoxes = [];
		// A differential flame graph (the data has "diff"): widths by one side, colours by the change.
		var isDiff = false, widthsEl = null, widthBtns = {}, changesEl = null;
		var width = 0, height = 0, contentH = 0, dpr = 1, rowH = 17, font = '', smallFont = '', padX = 4;
		// The layout: drawn boxes in pre-order, then indexed by row; their labels.
		var boxes = new M.Boxes(), dLabel = [];
		var hoverK = -1, focusNode = -1, pendingDraw = 0, pendingLayout = 0;
		var timings = { start: T_START, dataReady: 0, firstRender: 0, init: 0, build: 0, layout: 0, draw: 0, search: 0 };
		var api = {};

		function readData() {
			var d = opt.global ? window[opt.global] : null;
			if (d == null) {
				var s = doc.getElementById(opt.data);
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
			profiles = M.profileList(data).filter(opt.only || function () { return true; }).map(function (p) {
				p.result = null;
				p.base = null;
				p.tree = null;
				p.treeKey = null;
				p.zoom = 0;
				p.zoomPath = [];
				p.tab = null;
				p.totalEl = null;
				p.cache = new Map();
				p.widths = 'current';
				p.colors = null;
				return p;
			});
		}

		// Builds (once) the profile's tree, then its view with the hidden kinds (a differential
		// profile: its tree with the widths of the side chosen; kinds are not hidden there).
		function ensureTree(p) {
			var t0 = performance.now();
			if (!p.result) {
				p.result = M.treeFromProfile(p.raw, frames);
				p.base = p.result.tree || null;
			}
			var d = p.result.diff;
			if (d && p.treeKey !== 'widths:' + p.widths) {
				var was = p.tree;
				p.tree = p.widths === 'baseline' ? d.base : d.cur;
				p.treeKey = 'widths:' + p.widths;
				// The same nodes in both: the zoom stays, unless that side has nothing there.
				if (was && !(p.tree.total[p.zoom] > 0)) p.zoom = 0;
				focusNode = -1;
				matchCache = null;
			} else if (!d && p.base && p.treeKey !== hiddenKey) {
				// The filtered trees of the last few kind selections stay cached.
				var cached = p.cache.get(hiddenKey);
				if (!cached) {
					cached = M.filterTree(p.base, hidden, frames);
					if (p.cache.size >= 4) p.cache.delete(p.cache.keys().next().value);
				} else p.cache.delete(hiddenKey);
				p.cache.set(hiddenKey, cached);
				p.tree = cached;
				p.treeKey = hiddenKey;
				// Find the zoomed frame again (skipping hidden frames on its path).
				p.zoom = M.nodeOfPath(p.tree, p.zoomPath, hidden, frames);
				focusNode = -1;
				matchCache = null;
				timings.build = performance.now() - t0;
			}
			return p.tree;
		}

		function profileState(p) {
			if (!p.result) ensureTree(p);
			return M.resultState(p.result);
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
			widthsEl = el('div', 'flame-widths');
			widthsEl.setAttribute('role', 'group');
			widthsEl.setAttribute('aria-label', 'Widths');
			widthsEl.appendChild(el('span', 'flame-widths-label', 'Widths:'));
			['current', 'baseline'].forEach(function (w) {
				var b = button('flame-widths-' + w, w, w === 'current' ? 'Frames as wide as the current run\u2019s time' :
					'Frames as wide as the baseline\u2019s time: the frames that are gone show');
				b.setAttribute('aria-pressed', 'false');
				b.addEventListener('click', function () { setWidths(w); });
				widthBtns[w] = b;
				widthsEl.appendChild(b);
			});
			widthsEl.hidden = true;
			tools.appendChild(widthsEl);
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
			changesEl = el('div', 'flame-changes');
			changesEl.hidden = true;
			root.appendChild(changesEl);
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
				total = M.peekTotal(p.raw);
				st = total > 0 ? 'ok' : p.raw && typeof p.raw.absent === 'string' ? 'absent' : 'empty';
			}
			var text = st === 'ok' ? fmtShort(total, p.unit) : st === 'error' ? 'invalid' : st === 'absent' && isDiff ? 'not compared' : 'no samples';
			// A comparison: the baseline's total, then the current one.
			var nodes = p.raw && p.raw.nodes;
			if (st === 'ok' && isDiff && nodes && Array.isArray(nodes.base) && nodes.base.length) text = fmtShort(M.num(nodes.base[0]), p.unit) + ' \u2192 ' + text;
			p.totalEl.textContent = text;
			p.tab.classList.toggle('flame-tab-empty', st !== 'ok');
		}

		function buildLegend() {
			while (legendEl.firstChild) legendEl.removeChild(legendEl.firstChild);
			legendBoxes = [];
			if (isDiff) {
				// Colours say how a frame's share changed, not its kind.
				[['grew', 'grew (a larger share now)'], ['shrank', 'shrank (a smaller share now, or gone)'], ['same', 'unchanged']].forEach(function (k) {
					var item = el('span', 'flame-legend-item flame-diff-' + k[0]);
					var sw = el('span', 'flame-swatch');
					sw.setAttribute('aria-hidden', 'true');
					item.appendChild(sw);
					item.appendChild(el('span', 'flame-legend-text', k[1]));
					legendEl.appendChild(item);
					legendBoxes.push({ diff: k[0], swatch: sw });
				});
				legendEl.appendChild(el('span', 'flame-legend-tiers flame-diff-scale', ''));
				return;
			}
			var present = new Uint8Array(kinds.count);
			for (var f = 0; f < frames.count; f++) present[frames.kind[f]] = 1;
			kinds.name.forEach(function (k, i) {
				if (!present[i]) return;
				var label = el('label', 'flame-legend-item flame-kind-' + k);
				var box = el('input');
				box.type = 'checkbox';
				box.checked = !hidden[i];
				box.addEventListener('change', function () { setKindVisible(k, box.checked); });
				var sw = el('span', 'flame-swatch');
				sw.setAttribute('aria-hidden', 'true');
				label.title = 'Show ' + kinds.description[i] + ' frames (unchecked: merged into their callers)';
				label.appendChild(box);
				label.appendChild(sw);
				label.appendChild(el('span', 'flame-legend-text', kinds.legend[i]));
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
			var jitter = function (k) {
				var j = v('--flame-' + k + '-jitter').split(/\s+/).map(parseFloat);
				return [j[0] || 0, j[1] || 0];
			};
			var t = {
				kinds: kinds.name.map(function (k) { return parseColor(probe, v('--flame-' + k), '#b4b4b4'); }),
				jitter: kinds.name.map(jitter),
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
				diffGrew: parseColor(probe, v('--flame-diff-grew'), '#d8392f'),
				diffShrank: parseColor(probe, v('--flame-diff-shrank'), '#3f78e0'),
				diffSame: parseColor(probe, v('--flame-diff-same'), '#e9e6e1'),
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
			profiles.forEach(function (p) { p.colors = null; });
			legendBoxes.forEach(function (b) {
				var c = b.diff ? t[b.diff === 'grew' ? 'diffGrew' : b.diff === 'shrank' ? 'diffShrank' : 'diffSame'] : t.kinds[b.kind];
				b.swatch.style.background = 'rgb(' + c[0] + ',' + c[1] + ',' + c[2] + ')';
			});
			return true;
		}

		// The colour of node NODE of a differential profile P: by the change of its share.
		function diffColor(p, node) {
			var d = p.result.diff;
			if (!p.colors) p.colors = new Array(d.cur.n);
			var c = p.colors[node];
			if (c === undefined) {
				var rgb = M.diffMix(d.delta[node], d.scale, theme.diffSame, theme.diffGrew, theme.diffShrank);
				c = p.colors[node] = 'rgb(' + rgb[0] + ',' + rgb[1] + ',' + rgb[2] + ')';
			}
			return c;
		}

		function frameColor(f) {
			var c = colorOf[f];
			if (c !== undefined) return c;
			var k = frames.kind[f], cs = M.frameColors(frames, f, theme.kinds[k], theme.jitter[k]);
			colorOf[f] = cs.color;
			greyOf[f] = cs.grey;
			return cs.color;
		}

		// ---------------------------------------------------------------- search

		function setQuery(q) {
			query = q;
			var c = M.compileQuery(q, frames);
			matcher = c.match;
			queryError = c.error;
			frameMatch = M.frameMatches(frames, matcher);
			matchCache = null;
		}

		// {matchedTotal, matchedNodes, ofZoom} for the current tree: each sample counted once.
		function matchStats() {
			var t = cur && cur.tree;
			if (!t || !frameMatch) return null;
			if (matchCache && matchCache.tree === t && matchCache.zoom === cur.zoom) return matchCache;
			matchCache = M.matchStats(t, cur.zoom, frameMatch);
			matchCache.tree = t;
			matchCache.zoom = cur.zoom;
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
			var what = cur.unit === 'ns' ? 'of time' : cur.unit === 'bytes' ? 'of bytes' : 'of samples';
			var text = fmtPct(pct) + ' ' + what + ' match' + (s.matchedNodes ? '' : ' (no frame)');
			if (cur.zoom > 0) text += ' \u00b7 ' + fmtPct(s.ofZoom) + ' of zoomed frame';
			matchEl.textContent = text;
		}

		// ---------------------------------------------------------------- layout and drawing

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
			if (st === 'absent' && p.result.why) return [isDiff ? 'Not compared.' : 'No samples.', p.title + ': ' + p.result.why + '.'];
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
				boxes.clear();
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
			var z = cur.zoom, Dp = t.depth;
			boxes.layout(t, z, W, MIN_WIDTH);
			dLabel = new Array(boxes.n);

			// Sizes: the viewport scrolls a sizer as tall as the graph; the stage (both canvases) sticks.
			var oldContent = contentH, oldTop = viewport.scrollTop, oldClient = viewport.clientHeight;
			contentH = boxes.rows * rowH + 4;
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
			return M.rowTop(depth, icicle, rowH, contentH);
		}

		// The label for drawn box K: printable name, truncated with an ellipsis, or '' when none fits.
		function labelFor(k, wDev) {
			var s = dLabel[k];
			if (s !== undefined) return s;
			var node = boxes.node[k], t = cur.tree, f = t.frame[node], text;
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

		function measure(text) {
			return ctx.measureText(text).width;
		}

		function fitText(text, avail) {
			return M.fitText(text, avail, measure, dpr);
		}

		// Device-pixel width of drawn box K as painted (a gap on its right when there is room).
		function boxWidth(k) {
			var gap = Math.max(1, Math.round(dpr)), w = Math.round(boxes.x1[k] * dpr) - Math.round(boxes.x0[k] * dpr);
			if (w > 2 * gap + 1) w -= gap;
			return w < 1 ? 1 : w;
		}

		function draw() {
			if (!cur || !cur.tree || boxes.n === 0 && boxes.rows === 0) return;
			if ((window.devicePixelRatio || 1) !== dpr) {
				// Zoomed, or moved to another screen, without a media query event.
				layout(true);
				return;
			}
			var t0 = performance.now();
			var t = cur.tree, F = t.frame, Dp = t.depth, diff = !!cur.result.diff;
			var cw = canvas.width, ch = canvas.height;
			ctx.setTransform(1, 0, 0, 1, 0, 0);
			ctx.clearRect(0, 0, cw, ch);
			if (theme.bg !== 'transparent') {
				ctx.fillStyle = theme.bg;
				ctx.fillRect(0, 0, cw, ch);
			}
			var top = viewport.scrollTop, H = height;
			var rh = Math.round(rowH * dpr), gapY = Math.max(1, Math.round(dpr));
			var first = 0, last = boxes.rows - 1, r;
			var rowOff = boxes.rowOff, rowIdx = boxes.rowIdx, dNode = boxes.node, dX0 = boxes.x0, dAnc = boxes.anc;
			// Rows that intersect [top, top + H).
			var lo = boxes.rows, hi = -1;
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
					var color = node === 0 ? theme.root : diff ? diffColor(cur, node) : frameColor(f), alpha = 1;
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
			var y = rowY(cur.tree.depth[boxes.node[k]]) - viewport.scrollTop;
			return { x: boxes.x0[k], y: y, w: boxes.x1[k] - boxes.x0[k], h: rowH };
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
			return boxes.indexOf(node);
		}

		// Drawn box under client point (cx, cy), or -1.
		function hit(cx, cy) {
			if (!cur || !cur.tree || !boxes.n) return -1;
			var rect = canvas.getBoundingClientRect();
			var x = cx - rect.left, y = cy - rect.top + viewport.scrollTop;
			if (x < 0 || x >= width || cy - rect.top < 0 || cy - rect.top >= height) return -1;
			return boxes.at(M.rowAt(y, icicle, rowH, contentH), x);
		}

		// ---------------------------------------------------------------- tooltip and status

		function describeNode(node) {
			if (cur.result.diff) return M.describeDiffNode(cur.result.diff, frames, kinds, node, cur);
			return M.describeNode(cur.tree, frames, kinds, node, cur);
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
			var hint = cur.zoom === boxes.node[hoverK] ? 'click: zoom out one level' : 'click: zoom';
			tooltip.appendChild(el('div', 'flame-tt-hint', hint));
		}

		function showTooltip(k, cx, cy) {
			fillTooltip(describeNode(boxes.node[k]));
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
			if (cur.result.diff) return M.oneLineDiff(cur.result.diff, frames, node, cur);
			return M.oneLine(cur.tree, frames, kinds, node, cur);
		}

		function updateStatus() {
			if (!statusEl) return;
			var text;
			if (!cur || !cur.tree || emptyText(cur)) text = '';
			else if (focusNode >= 0 && doc.activeElement === canvas) text = oneLine(focusNode);
			else if (hoverK >= 0) text = oneLine(boxes.node[hoverK]);
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
			showDiff();
			return true;
		}

		// The comparison's parts for the current profile: the widths buttons, the colour scale, and
		// the table of the frames whose share changed most.
		var CHANGES_SHOWN = 20;
		function showDiff() {
			var d = cur && profileState(cur) === 'ok' ? cur.result.diff : null;
			widthsEl.hidden = !d;
			changesEl.hidden = !d;
			while (changesEl.firstChild) changesEl.removeChild(changesEl.firstChild);
			if (!d) return;
			['current', 'baseline'].forEach(function (w) { widthBtns[w].setAttribute('aria-pressed', cur.widths === w ? 'true' : 'false'); });
			var scaleEl = legendEl.querySelector('.flame-diff-scale');
			if (scaleEl) scaleEl.textContent = 'full colour at ' + M.fmtPoints(d.scale).replace(/^\+/, '\u00b1') + ' of the profile';
			var rows = M.diffByFrame(d, frames);
			changesEl.appendChild(el('div', 'flame-changes-title', 'Frames whose share changed most (' + Math.min(rows.length, CHANGES_SHOWN) + ' of ' + rows.length + ')'));
			var table = el('table', 'flame-changes-table'), head = el('tr');
			['Frame', 'Baseline', 'Current', 'Change'].forEach(function (h, i) { head.appendChild(el('th', i ? 'flame-n' : null, h)); });
			var thead = el('thead');
			thead.appendChild(head);
			table.appendChild(thead);
			var tbody = el('tbody');
			rows.slice(0, CHANGES_SHOWN).forEach(function (c) {
				var tr = el('tr', c.delta > 0 ? 'flame-grew' : c.delta < 0 ? 'flame-shrank' : 'flame-same');
				var name = el('td'), cell = el('div', 'flame-changes-frame');
				name.appendChild(cell);
				var rgb = M.diffMix(c.delta, d.scale, theme.diffSame, theme.diffGrew, theme.diffShrank);
				var sw = el('span', 'flame-swatch');
				sw.style.background = 'rgb(' + rgb[0] + ',' + rgb[1] + ',' + rgb[2] + ')';
				sw.setAttribute('aria-hidden', 'true');
				var link = el('button', 'flame-changes-link', frames.label[c.frame].length > 300 ? frames.label[c.frame].slice(0, 300) + '\u2026' : frames.label[c.frame]);
				link.type = 'button';
				link.title = 'Show it in the graph';
				link.addEventListener('click', function () { showFrame(frames.name[c.frame], c.cur > 0 ? 'current' : 'baseline'); });
				cell.appendChild(sw);
				cell.appendChild(link);
				if (!(c.cur > 0)) cell.appendChild(el('span', 'flame-changes-tag', 'gone'));
				else if (!(c.base > 0)) cell.appendChild(el('span', 'flame-changes-tag', 'new'));
				tr.appendChild(name);
				tr.appendChild(el('td', 'flame-n', M.fmtShare(c.base, d.base.total[0], cur.unit)));
				tr.appendChild(el('td', 'flame-n', M.fmtShare(c.cur, d.cur.total[0], cur.unit)));
				tr.appendChild(el('td', 'flame-n flame-changes-delta', M.fmtPoints(c.delta)));
				tbody.appendChild(tr);
			});
			table.appendChild(tbody);
			changesEl.appendChild(table);
		}

		function setWidths(w) {
			if (!isDiff || (w !== 'current' && w !== 'baseline') || !cur) return false;
			cur.widths = w;
			hoverK = -1;
			hideTooltip();
			layout(false);
			showDiff();
			return true;
		}

		// Zoom to the widest node of frame NAME, with the widths of side W.
		function showFrame(name, w) {
			if (isDiff) setWidths(w);
			var i = cur && cur.tree ? M.widest(cur.tree, frames, name) : -1;
			if (i >= 0) {
				zoom(i);
				root.scrollIntoView({ block: 'nearest' });
			}
			return i;
		}

		function zoom(node) {
			var t = cur.tree;
			if (!t) return;
			cur.zoom = node;
			cur.zoomPath = M.framePath(t, node);
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
			var i = kinds.find(str(kind));
			if (i < 0 || isDiff) return false;
			hidden[i] = on ? 0 : 1;
			hiddenKey = Array.prototype.join.call(hidden, '');
			legendBoxes.forEach(function (b) { if (b.kind === i) b.box.checked = !!on; });
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
				var rowOff = boxes.rowOff, rowIdx = boxes.rowIdx;
				for (var q = rowOff[r]; q < rowOff[r + 1]; q++) if (rowIdx[q] === k) pos = q;
				pos += e.key === 'ArrowLeft' ? -1 : 1;
				if (pos >= rowOff[r] && pos < rowOff[r + 1]) next = boxes.node[rowIdx[pos]];
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
				var node = boxes.node[k];
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
			// Escape and "/" also work when nothing in particular has the focus (for one viewer of the page).
			if (opt.keys) doc.addEventListener('keydown', function (e) {
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
			return cur && cur.tree ? M.widest(cur.tree, frames, name) : -1;
		}

		function widestDrawn(name) {
			var best = -1, w = function (k) { return boxes.x1[k] - boxes.x0[k]; };
			for (var k = 0; k < boxes.n; k++) {
				var node = boxes.node[k];
				if (node > 0 && frames.name[cur.tree.frame[node]] === name && (best < 0 || w(k) > w(best))) best = k;
			}
			return best;
		}

		function allLabels() {
			var out = [];
			ctx.font = font;
			for (var k = 0; k < boxes.n; k++) {
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
				for (var k = 0; k < boxes.n; k++) {
					var node = boxes.node[k], w = boxWidth(k);
					out.push({ name: node === 0 ? 'all' : frames.name[cur.tree.frame[node]], label: w >= LABEL_MIN * dpr ? labelFor(k, w) : '',
						depth: cur.tree.depth[node], x: boxes.x0[k], width: boxes.x1[k] - boxes.x0[k], ancestor: !!boxes.anc[k] });
				}
				return out;
			};
			api.frameRect = function (name) {
				var k = widestDrawn(str(name));
				if (k < 0) return null;
				var y = rowY(cur.tree.depth[boxes.node[k]]);
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
			// A differential flame graph's: the comparison of the current profile, the widths, what a
			// frame is drawn with.
			api.diff = function () {
				var d = cur && profileState(cur) === 'ok' ? cur.result.diff : null;
				if (!d) return null;
				return { widths: cur.widths, scale: d.scale, baseTotal: d.base.total[0], currentTotal: d.cur.total[0],
					changes: M.diffByFrame(d, frames).map(function (c) {
						return { name: frames.name[c.frame], base: c.base, current: c.cur, baseShare: c.baseShare, currentShare: c.curShare, delta: c.delta };
					}),
					// The table as shown: [frame, baseline, current, change] per row (the frame's name
					// without its "new" or "gone" tag).
					table: Array.prototype.map.call(changesEl.querySelectorAll('tbody tr'), function (tr) {
						return Array.prototype.map.call(tr.cells, function (td, i) {
							return i ? td.textContent : td.querySelector('.flame-changes-link').textContent;
						});
					}) };
			};
			api.setWidths = setWidths;
			api.showFrame = function (name, w) { return showFrame(str(name), w === 'baseline' ? 'baseline' : 'current') >= 0; };
			// The fill colour of the widest drawn box of frame NAME: {css (what was asked for), pixel
			// ([r, g, b, a] read back from the canvas, inside the box, left of its label)}, or null.
			api.colorOf = function (name) {
				var k = widestDrawn(str(name));
				if (k < 0) return null;
				var node = boxes.node[k], y = rowY(cur.tree.depth[node]);
				if (y < viewport.scrollTop || y + rowH > viewport.scrollTop + height) {
					viewport.scrollTop = Math.max(0, y - height / 2);
					draw();
				}
				var css = node === 0 ? theme.root : cur.result.diff ? diffColor(cur, node) : frameColor(cur.tree.frame[node]);
				var px = Math.round(boxes.x0[k] * dpr) + Math.max(1, Math.round(dpr)), py = Math.round((rowY(cur.tree.depth[node]) - viewport.scrollTop) * dpr) + Math.max(1, Math.round(dpr));
				var pixel = Array.prototype.slice.call(ctx.getImageData(px, py, 1, 1).data);
				return { css: css, pixel: pixel };
			};
			api.setIcicle = setIcicle;
			api.setKindVisible = setKindVisible;
			api.refreshTheme = function () { applyTheme(true); layout(true); };
			api.state = function () {
				var s = matchStats(), t = cur && cur.tree, msg = cur ? emptyText(cur) : ['No data.'];
				return { profile: cur ? cur.key : null, zoom: t && cur.zoom > 0 ? frames.name[t.frame[cur.zoom]] : null, icicle: icicle,
					query: query, matchPercent: s && t ? (100 * s.matchedTotal) / t.total[0] : null,
					hiddenKinds: kinds ? kinds.name.filter(function (k, i) { return hidden[i]; }) : [], nodes: t ? t.n : 0, drawn: msg ? 0 : boxes.n,
					rows: msg ? 0 : boxes.rows, width: width, height: height, dpr: dpr, message: msg ? msg.join(' ') : null };
			};
			window[opt.api] = api;
		}

		// ---------------------------------------------------------------- start

		function start() {
			var host = doc.getElementById(opt.host);
			if (!host) {
				host = el('div');
				host.id = opt.host;
				doc.body.appendChild(host);
			}
			buildDom(host);
			buildApi();
			data = readData();
			timings.dataReady = performance.now();
			kinds = new M.Kinds(data.error ? [] : data.kinds);
			hidden = new Uint8Array(kinds.count);
			if (data.error) {
				frames = new M.Frames([], kinds);
				profiles = [];
				showMessage([data.error]);
				root.classList.add('flame-no-data');
				return;
			}
			frames = new M.Frames(data.frames, kinds);
			isDiff = !!data.diff && typeof data.diff === 'object';
			root.classList.toggle('flame-is-diff', isDiff);
			setupProfiles();
			buildTabs();
			buildLegend();
			applyTheme(true);
			attachEvents();
			var first = null;
			for (var i = 0; i < profiles.length && !first; i++) if (!profiles[i].tab.classList.contains('flame-tab-empty') && profileState(profiles[i]) === 'ok') first = profiles[i];
			select(first || profiles[0]);
		}

		start();
	}

	// The page's viewers: the flame graph (unless the page holds only a comparison), the Memory
	// section's (the profiles in bytes) when it has one, and the differential flame graph when there
	// is one.
	function startAll() {
		var diffHost = doc.getElementById('loopscope-flame-diff'), memHost = doc.getElementById('loopscope-flame-memory');
		var plain = !diffHost || doc.getElementById('loopscope-flame') || doc.getElementById('loopscope-flame-data') || window.loopscopeFlameData != null;
		var bytes = function (p) { return p.unit === 'bytes'; };
		if (plain) createViewer({ host: 'loopscope-flame', data: 'loopscope-flame-data', global: 'loopscopeFlameData', api: 'loopscopeFlame', keys: true,
			only: memHost ? function (p) { return !bytes(p); } : null });
		if (memHost) createViewer({ host: 'loopscope-flame-memory', data: 'loopscope-flame-data', global: 'loopscopeFlameData', api: 'loopscopeFlameMemory', keys: false, only: bytes });
		if (diffHost) createViewer({ host: 'loopscope-flame-diff', data: 'loopscope-flame-diff-data', global: null, api: 'loopscopeFlameDiff', keys: !plain });
	}

	if (doc.readyState === 'loading' && !doc.getElementById('loopscope-flame') && !doc.getElementById('loopscope-flame-diff') &&
		!doc.getElementById('loopscope-flame-memory')) doc.addEventListener('DOMContentLoaded', startAll);
	else startAll();
})();
