/*
 * The frame kinds as the viewer's data lists them ("kinds", reports/assets/flame.js), read from the
 * one list, FRAME_KINDS in collector/symbols/frames.h, for tests that make viewer data without
 * loopscope (tests/tools/make-flame-fixture.js, tests/unit/js/). Throws when the list cannot be
 * read, so a changed header fails those tests instead of going unnoticed.
 *
 *   const kinds = require('./frame-kinds.js')();   // [{name, legend, description}, ...]
 */
'use strict';

const fs = require('fs');
const path = require('path');

module.exports = function frameKinds(header) {
	header = header || path.join(__dirname, '..', '..', 'collector', 'symbols', 'frames.h');
	const text = fs.readFileSync(header, 'utf8');
	const list = /#define FRAME_KINDS\(X\)((?:.*\\\n)*.*)/.exec(text);
	if (!list) throw new Error(`${header}: no FRAME_KINDS list`);
	const row = /X\(\s*(\w+)\s*,\s*(\d+)\s*,\s*"([^"]*)"\s*,\s*"([^"]*)"\s*,\s*"([^"]*)"\s*\)/g;
	const kinds = [];
	for (let m; (m = row.exec(list[1]));) kinds.push({ name: m[3], legend: m[4], description: m[5] });
	if (!kinds.length) throw new Error(`${header}: FRAME_KINDS has no row this reader understands`);
	return kinds;
};
