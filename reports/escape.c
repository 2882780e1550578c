/* Escaping for the report: HTML text, JSON strings and JSON text inside <script>. The rule for
 * <script> is the flamegraph viewer's (reports/assets/flame.js, tests/tools/make-flame-fixture.js):
 * the HTML tokenizer must never see "</script", "<!--" or "<script" inside the element. */
#include "reports/escape.h"

#include <string.h>

size_t escape_utf8_len(const unsigned char *s, size_t len)
{
	unsigned c = s[0];
	size_t n;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

void escape_html_n(FILE *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len, *run = p;

	while (p < end) {
		unsigned c = *p;
		const char *rep = NULL;
		size_t n = 1;
		if (c >= 0x80) {
			n = escape_utf8_len(p, (size_t)(end - p));
			if (!n) {
				rep = replacement;
				n = 1;
			}
		} else if (c == '&') {
			rep = "&amp;";
		} else if (c == '<') {
			rep = "&lt;";
		} else if (c == '>') {
			rep = "&gt;";
		} else if (c == '"') {
			rep = "&quot;";
		} else if (c == '\'') {
			rep = "&#39;";
		} else if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
			rep = replacement;
		}
		if (rep) {
			fwrite(run, 1, (size_t)(p - run), out);
			fputs(rep, out);
			run = p + n;
		}
		p += n;
	}
	fwrite(run, 1, (size_t)(p - run), out);
}

void escape_html(FILE *out, const char *s)
{
	if (s)
		escape_html_n(out, s, strlen(s));
}

void escape_json_string(FILE *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len, *run = p;
	char buf[8];

	putc_unlocked('"', out);
	while (p < end) {
		unsigned c = *p;
		const char *rep = NULL;
		size_t n = 1;
		if (c >= 0x80) {
			n = escape_utf8_len(p, (size_t)(end - p));
			if (!n) {
				rep = "\\ufffd";
				n = 1;
			} else if (n == 3 && c == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
				rep = p[2] == 0xa8 ? "\\u2028" : "\\u2029";
			}
		} else if (c == '"') {
			rep = "\\\"";
		} else if (c == '\\') {
			rep = "\\\\";
		} else if (c == '\n') {
			rep = "\\n";
		} else if (c == '\t') {
			rep = "\\t";
		} else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f) {
			snprintf(buf, sizeof(buf), "\\u%04x", c);
			rep = buf;
		}
		if (rep) {
			fwrite(run, 1, (size_t)(p - run), out);
			fputs(rep, out);
			run = p + n;
		}
		p += n;
	}
	fwrite(run, 1, (size_t)(p - run), out);
	putc_unlocked('"', out);
}

void escape_script_json(FILE *out, const char *json)
{
	const unsigned char *p = (const unsigned char *)json, *run = p;

	for (; *p; p++) {
		const char *rep = NULL;
		size_t skip = 1;
		if (*p == '<')
			rep = "\\u003c";
		else if (*p == '>')
			rep = "\\u003e";
		else if (*p == '&')
			rep = "\\u0026";
		else if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
			rep = p[2] == 0xa8 ? "\\u2028" : "\\u2029";
			skip = 3;
		}
		if (rep) {
			fwrite(run, 1, (size_t)(p - run), out);
			fputs(rep, out);
			p += skip - 1;
			run = p + 1;
		}
	}
	fwrite(run, 1, (size_t)(p - run), out);
}
