/*
 * loopscope report page (reports/assets/report.js): the hover line and readout shared by every
 * timeline, and the links from findings to charts and to the flame graph. Plain JavaScript, no
 * dependencies, no network. It must never contain the sequences that end or escape an inline
 * script (mk/embed.sh refuses them). Every string from the session is set with textContent.
 *
 * Data: the JSON in the script element of type application/json with id "loopscope-report-data":
 *   { duration (s), charts: [{ id, title, x0, x1, y0, y1 (plot area as fractions of the SVG),
 *     series: [{ name, unit, color, digits, events, t: [...], dt: [...], v: [...] }],
 *     spans: [[start, duration], ...] }], summary: { ...summary.json... } }
 *   For an interval series t[i] is the end of interval i (s from the start) and dt[i] its length;
 *   for an event series (GC pauses) t[i] is the start and dt[i] the duration.
 *
 * Test API: window.loopscopeReport
 *   data                 the parsed data
 *   valuesAt(t)          -> { t, charts: [{ id, title, rows: [{ name, text }], block }] }
 *   showAt(t)            shows the line and readout at time t; returns the readout's text
 *   timeAtClientX(x)     -> seconds at that viewport x, or null outside the plot area
 */
(function () {
	'use strict';

	var doc = document;
	var data = null;
	try {
		var el = doc.getElementById('loopscope-report-data');
		data = el ? JSON.parse(el.textContent) : null;
	} catch (e) {
		data = null;
	}
	if (!data || typeof data !== 'object') data = { duration: 0, charts: [] };
	var charts = Array.isArray(data.charts) ? data.charts : [];
	var byId = Object.create(null);
	charts.forEach(function (c) { byId[c.id] = c; });

	// ------------------------------------------------------------------ values at a time

	function fmt(v, digits, unit) {
		if (typeof v !== 'number' || !isFinite(v)) return '\u2014';
		var d = Math.max(0, Math.min(4, digits | 0));
		if (Math.abs(v) >= 1000) d = 0;
		var s = v.toFixed(d);
		if (!unit) return s;
		return unit === '%' ? s + '%' : s + ' ' + unit;
	}

	function fmtTime(t) {
		if (data.duration >= 100) return t.toFixed(1) + ' s';
		if (data.duration >= 10) return t.toFixed(2) + ' s';
		return t.toFixed(3) + ' s';
	}

	// The first index whose interval end is at or after t.
	function lowerBound(a, t) {
		var lo = 0, hi = a.length;
		while (lo < hi) {
			var mid = (lo + hi) >> 1;
			if (a[mid] < t) lo = mid + 1;
			else hi = mid;
		}
		return lo;
	}

	function intervalValue(s, t) {
		var T = s.t || [], D = s.dt || [], V = s.v || [];
		var i = lowerBound(T, t);
		if (i >= T.length) return null;
		if (T[i] - (D[i] || 0) > t + 1e-9) return null;
		return V[i];
	}

	// The largest event under the pointer: starting within TOL of t, or lasting over t.
	function eventValue(s, t, tol) {
		var T = s.t || [], D = s.dt || [], V = s.v || [];
		var best = null;
		var i = lowerBound(T, t - tol - 60);
		for (; i < T.length && T[i] <= t + tol; i++) {
			var inside = t >= T[i] - tol && t <= T[i] + (D[i] || 0) + tol;
			if (inside && (best === null || V[i] > best)) best = V[i];
		}
		return best;
	}

	function spanAt(c, t) {
		var sp = c.spans || [];
		for (var i = 0; i < sp.length; i++) if (t >= sp[i][0] && t <= sp[i][0] + sp[i][1]) return sp[i];
		return null;
	}

	function tolerance() {
		// Three pixels of the plot area, in seconds.
		var svg = firstSvg();
		var c = charts[0];
		if (!svg || !c) return data.duration / 300;
		var w = svg.getBoundingClientRect().width * (c.x1 - c.x0);
		return w > 0 ? (3 * data.duration) / w : data.duration / 300;
	}

	function valuesAt(t) {
		var tol = tolerance();
		var out = { t: t, charts: [] };
		charts.forEach(function (c) {
			var rows = [];
			(c.series || []).forEach(function (s) {
				var v = s.events ? eventValue(s, t, tol) : intervalValue(s, t);
				var text = v === null ? (s.events ? 'none' : '\u2014') : fmt(v, s.digits, s.unit);
				rows.push({ name: String(s.name), color: String(s.color || ''), text: text, has: v !== null });
			});
			var span = spanAt(c, t);
			out.charts.push({ id: c.id, title: String(c.title || c.id), rows: rows,
				block: span ? fmt(span[1] * 1000, 1, 'ms') : null });
		});
		return out;
	}

	// ------------------------------------------------------------------ hover line and readout

	var stack = doc.getElementById('timeline-stack');
	var line = stack ? stack.querySelector('.hover-line') : null;
	var readout = stack ? stack.querySelector('.readout') : null;

	function firstSvg() {
		if (!stack) return null;
		for (var i = 0; i < charts.length; i++) {
			var fig = doc.getElementById('chart-' + charts[i].id);
			var svg = fig && fig.querySelector('.plot svg');
			if (svg) return svg;
		}
		return null;
	}

	function timeAtClientX(x) {
		var svg = firstSvg(), c = charts[0];
		if (!svg || !c || !(data.duration > 0)) return null;
		var r = svg.getBoundingClientRect();
		if (!(r.width > 0)) return null;
		var f = (x - r.left) / r.width;
		var t = ((f - c.x0) / (c.x1 - c.x0)) * data.duration;
		return t >= 0 && t <= data.duration ? t : null;
	}

	function clientXAtTime(t) {
		var svg = firstSvg(), c = charts[0];
		if (!svg || !c) return null;
		var r = svg.getBoundingClientRect();
		return r.left + (c.x0 + (t / data.duration) * (c.x1 - c.x0)) * r.width;
	}

	function add(parent, tag, cls, text) {
		var e = doc.createElement(tag);
		if (cls) e.className = cls;
		if (text != null) e.textContent = text;
		parent.appendChild(e);
		return e;
	}

	function fillReadout(t) {
		var vals = valuesAt(t);
		readout.textContent = '';
		add(readout, 'div', 't', 'at ' + fmtTime(t));
		vals.charts.forEach(function (c) {
			add(readout, 'div', 'g', c.title);
			c.rows.forEach(function (row) {
				var r = add(readout, 'div', 'r');
				var sw = add(r, 'i');
				if (/^#[0-9a-fA-F]{6}$/.test(row.color)) sw.style.setProperty('--c', row.color);
				add(r, 'span', 'n', row.name);
				add(r, 'span', 'v', row.text);
			});
			if (c.block) add(readout, 'div', 'blk', 'inside a block of ' + c.block);
		});
		return readout.textContent;
	}

	function hide() {
		if (line) line.hidden = true;
		if (readout) readout.hidden = true;
	}

	function place(clientX, clientY, t) {
		var box = stack.getBoundingClientRect();
		line.style.left = clientX - box.left + 'px';
		line.hidden = false;
		var text = fillReadout(t);
		readout.hidden = false;
		var w = readout.offsetWidth, h = readout.offsetHeight;
		var x = clientX - box.left + 16;
		if (x + w > box.width - 4) x = clientX - box.left - 16 - w;
		var y = clientY - box.top - h / 2;
		y = Math.max(4, Math.min(y, box.height - h - 4));
		readout.style.left = Math.max(4, x) + 'px';
		readout.style.top = y + 'px';
		return text;
	}

	function onMove(e) {
		var t = timeAtClientX(e.clientX);
		if (t === null) {
			hide();
			return;
		}
		place(e.clientX, e.clientY, t);
	}

	if (stack && line && readout && charts.length) {
		stack.addEventListener('mousemove', onMove);
		stack.addEventListener('mouseleave', hide);
		stack.addEventListener('touchstart', function (e) {
			if (e.touches.length === 1) onMove(e.touches[0]);
		}, { passive: true });
	}

	// ------------------------------------------------------------------ links

	function flash(target) {
		if (!target) return;
		target.classList.remove('flash');
		void target.offsetWidth;
		target.classList.add('flash');
	}

	function toFlame(a) {
		var api = window.loopscopeFlame;
		var frame = a.getAttribute('data-frame') || '';
		var profile = a.getAttribute('data-profile') || '';
		if (!api) return false;
		if (profile) api.select(profile);
		api.reset();
		// Highlight every call of it in the whole profile (the share shows beside the search box).
		if (frame) api.search(frame);
		return true;
	}

	doc.addEventListener('click', function (e) {
		var a = e.target && e.target.closest ? e.target.closest('a') : null;
		if (!a) return;
		if (a.classList.contains('to-flame')) {
			var host = doc.getElementById('flamegraph');
			if (toFlame(a) && host) {
				e.preventDefault();
				host.scrollIntoView({ behavior: 'smooth', block: 'start' });
				flash(doc.getElementById('loopscope-flame'));
			}
		} else if (a.classList.contains('to-chart')) {
			flash(doc.getElementById('chart-' + a.getAttribute('data-chart')));
		}
	});

	// ------------------------------------------------------------------ test API

	window.loopscopeReport = {
		data: data,
		valuesAt: valuesAt,
		timeAtClientX: timeAtClientX,
		showAt: function (t) {
			if (!stack || !line || !readout) return null;
			var x = clientXAtTime(t);
			if (x === null) return null;
			var box = stack.getBoundingClientRect();
			return place(x, box.top + box.height / 2, t);
		},
	};
})();
