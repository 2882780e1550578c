/* The work a load generator reported (load_output.h): its output read line by line ('\n' and '\r'
 * both end a line: progress lines redraw with '\r'), each line matched against the summary lines of
 * wrk, autocannon, ab and redis-benchmark as these tools print them, each tool's figures added up
 * on their own. The tool whose summary came first is the one reported. Formats: docs/metrics.md. */
#include "collector/analysis/load_output.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/util/errbuf.h"
#include "collector/util/files.h"
#include "collector/util/xalloc.h"

#define MAX_COUNT 9007199254740992.0 /* 2^53: a count above it is not a count (JSON keeps it exact below) */
#define MAX_SECONDS 1e9
#define REDIS_DEFAULT_N 100000 /* redis-benchmark's own default for -n */

enum tool { T_WRK, T_AUTOCANNON, T_AB, T_REDIS, T_COUNT };
static const char *const tool_names[T_COUNT] = {"wrk", "autocannon", "ab", "redis-benchmark"};

/* One tool's figures. */
struct acc {
	unsigned summaries, order; /* order: 1 + the rank of its first summary */
	double requests, seconds, errors;
	bool inexact;
	unsigned rates;            /* overall rates it printed (wrk, ab): used for a single summary */
	double rate;
	bool banner;               /* it started (its first lines), summary or not */
};

struct scan {
	struct acc a[T_COUNT];
	unsigned summaries;
	double ab_seconds;          /* "Time taken for tests" before its "Complete requests" */
	bool ab_failed;             /* the line after "Failed requests" may break it down */
	double ac_exact;            /* autocannon: responses counted exactly, for its next summary line */
	bool ac_has_exact, ac_codes;
	bool redis_csv;             /* a --csv header was seen */
	unsigned redis_rated;       /* -q and --csv tests: their rates */
	double redis_inverse;       /* sum of 1/rate */
};

/* --- small matchers over [p, e) --- */

static const char *skip_space(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* p past the literal s, or NULL. */
static const char *lit(const char *p, const char *e, const char *s)
{
	size_t n = strlen(s);
	return (size_t)(e - p) >= n && !memcmp(p, s, n) ? p + n : NULL;
}

static const char *find(const char *p, const char *e, const char *s)
{
	size_t n = strlen(s);
	for (; p && (size_t)(e - p) >= n; p++)
		if (!memcmp(p, s, n))
			return p;
	return NULL;
}

/* A decimal number (digits, at most one '.', no sign, no exponent) at p: its end, or NULL. */
static const char *number(const char *p, const char *e, double *v)
{
	char buf[40];
	size_t n = 0;
	bool dot = false;

	while (p + n < e && n < sizeof(buf) - 1 && (isdigit((unsigned char)p[n]) || (p[n] == '.' && !dot && n))) {
		dot |= p[n] == '.';
		n++;
	}
	if (!n || n == sizeof(buf) - 1 || p[n - 1] == '.')
		return NULL;
	memcpy(buf, p, n);
	buf[n] = 0;
	*v = strtod(buf, NULL);
	return *v <= MAX_COUNT ? p + n : NULL;
}

/* A whole number (digits only). */
static const char *count(const char *p, const char *e, double *v)
{
	const char *q = number(p, e, v);
	return q && !memchr(p, '.', (size_t)(q - p)) ? q : NULL;
}

/* A duration as wrk prints it: a number and a unit (us, ms, s, m, h), in seconds. */
static const char *wrk_time(const char *p, const char *e, double *secs)
{
	static const struct {
		const char *unit;
		double scale;
	} units[] = {{"us", 1e-6}, {"ms", 1e-3}, {"s", 1}, {"m", 60}, {"h", 3600}};
	double v;
	const char *q = number(p, e, &v);

	if (!q)
		return NULL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		const char *r = lit(q, e, units[i].unit);
		if (r && (r == e || *r == ',')) {
			*secs = v * units[i].scale;
			return *secs <= MAX_SECONDS ? r : NULL;
		}
	}
	return NULL;
}

/* A sum of counts as an integer: never a cast past uint64's range (2^64 requests do not happen, a
 * corrupt or crafted load.txt may claim them); 2^53 and more read as 2^53, where doubles stop being
 * exact. */
static uint64_t to_u64(double v)
{
	return v > 0 ? (v < 9007199254740992.0 ? (uint64_t)v : UINT64_C(9007199254740992)) : 0;
}

/* A count as autocannon prints it: exact below 1000, else rounded thousands ("29k"). */
static const char *ac_count(const char *p, const char *e, double *v, bool *rounded)
{
	const char *q = count(p, e, v);
	*rounded = false;
	if (q && q < e && *q == 'k') {
		*v *= 1000;
		*rounded = true;
		q++;
	}
	return q;
}

static void summary(struct scan *s, enum tool t, double requests, double seconds, bool inexact)
{
	struct acc *a = &s->a[t];
	if (!a->order)
		a->order = ++s->summaries;
	a->summaries++;
	a->requests += requests;
	a->seconds += seconds;
	a->inexact |= inexact;
	a->banner = true;
}

/* --- wrk --- */

/* "  14604 requests in 2.04s, 2.14MB read": indented (autocannon's is not). */
static bool wrk_line(struct scan *s, const char *line, const char *p, const char *e)
{
	double v, secs;
	const char *q;

	if (p > line && (q = count(p, e, &v)) && (q = lit(q, e, " requests in ")) && (q = wrk_time(q, e, &secs)) &&
	    lit(q, e, ", ") && e - q >= 7 && !memcmp(e - 6, "B read", 6)) {
		summary(s, T_WRK, v, secs, false);
		return true;
	}
	if ((q = lit(p, e, "Non-2xx or 3xx responses: ")) && count(q, e, &v)) {
		s->a[T_WRK].errors += v;
		return true;
	}
	if ((q = lit(p, e, "Socket errors: "))) {
		static const char *const kinds[] = {"connect ", ", read ", ", write ", ", timeout "};
		double sum = 0;
		for (size_t i = 0; q && i < 4; i++)
			if ((q = lit(q, e, kinds[i])))
				if ((q = count(q, e, &v)))
					sum += v;
		if (q)
			s->a[T_WRK].errors += sum;
		return true;
	}
	if ((q = lit(p, e, "Requests/sec:")) && number(skip_space(q, e), e, &v)) {
		s->a[T_WRK].rates++;
		s->a[T_WRK].rate = v;
		return true;
	}
	if (find(p, e, " threads and ") && find(p, e, " connections"))
		s->a[T_WRK].banner = true;
	return false;
}

/* --- autocannon --- */

/* The Code/Count table of --renderStatusCodes: "│ 200  │ 34757 │" (box-drawing bars, UTF-8). */
static bool ac_table(struct scan *s, const char *p, const char *e)
{
	static const char bar[] = "\xe2\x94\x82"; /* │ */
	double code, n;
	const char *q;

	if (!(q = lit(p, e, bar)))
		return false;
	q = skip_space(q, e);
	if (lit(q, e, "Code") && find(q, e, "Count")) {
		s->ac_codes = true;
		s->ac_exact = 0;
		s->ac_has_exact = false;
		return true;
	}
	if (!s->ac_codes || !(q = count(q, e, &code)) || !(q = lit(skip_space(q, e), e, bar)) ||
	    !(q = count(skip_space(q, e), e, &n)))
		return false;
	s->ac_exact += n;
	s->ac_has_exact = true;
	return true;
}

/* autocannon --json: one line, its result object. */
static bool ac_json(struct scan *s, const char *p, const char *e)
{
	if (p == e || *p != '{' || !find(p, e, "\"sampleInt\""))
		return false;
	cJSON *j = cJSON_ParseWithLength(p, (size_t)(e - p));
	const cJSON *req = cJSON_GetObjectItemCaseSensitive(j, "requests");
	const cJSON *total = cJSON_GetObjectItemCaseSensitive(req, "total");
	const cJSON *dur = cJSON_GetObjectItemCaseSensitive(j, "duration");
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(j, "errors");
	const cJSON *non2xx = cJSON_GetObjectItemCaseSensitive(j, "non2xx");
	bool ok = cJSON_IsNumber(total) && cJSON_IsNumber(dur) && total->valuedouble >= 0 &&
		  total->valuedouble <= MAX_COUNT && dur->valuedouble >= 0 && dur->valuedouble <= MAX_SECONDS;
	if (ok) {
		summary(s, T_AUTOCANNON, total->valuedouble, dur->valuedouble, false);
		if (cJSON_IsNumber(err) && err->valuedouble > 0 && err->valuedouble <= MAX_COUNT)
			s->a[T_AUTOCANNON].errors += err->valuedouble;
		if (cJSON_IsNumber(non2xx) && non2xx->valuedouble > 0 && non2xx->valuedouble <= MAX_COUNT)
			s->a[T_AUTOCANNON].errors += non2xx->valuedouble;
	}
	cJSON_Delete(j);
	return ok;
}

static bool autocannon_line(struct scan *s, const char *line, const char *p, const char *e)
{
	double v, n2, secs;
	bool rounded, r2;
	const char *q;

	/* "29k requests in 2.03s, 4.41 MB read", from the first column */
	if (p == line && (q = ac_count(p, e, &v, &rounded)) && (q = lit(q, e, " requests in ")) &&
	    (q = number(q, e, &secs)) && (q = lit(q, e, "s, ")) && e - q >= 5 && !memcmp(e - 5, " read", 5)) {
		if (s->ac_has_exact) { /* the same run's exact count, printed above this line */
			v = s->ac_exact;
			rounded = false;
		}
		summary(s, T_AUTOCANNON, v, secs, rounded);
		s->ac_has_exact = s->ac_codes = false;
		s->ac_exact = 0;
		return true;
	}
	/* "0 2xx responses, 16097 non 2xx responses" (printed only when some are not 2xx) */
	if ((q = count(p, e, &v)) && (q = lit(q, e, " 2xx responses, ")) && (q = count(q, e, &n2)) &&
	    lit(q, e, " non 2xx responses")) {
		s->a[T_AUTOCANNON].errors += n2;
		s->ac_exact = v + n2;
		s->ac_has_exact = true;
		return true;
	}
	/* "4 errors (4 timeouts)": timeouts are among the errors */
	if ((q = ac_count(p, e, &v, &rounded)) && (q = lit(q, e, " errors (")) && ac_count(q, e, &n2, &r2) &&
	    find(q, e, " timeouts)")) {
		s->a[T_AUTOCANNON].errors += v;
		return true;
	}
	if (ac_table(s, p, e) || ac_json(s, p, e))
		return true;
	if (p == line && (q = count(p, e, &v)) && lit(q, e, " connections"))
		s->a[T_AUTOCANNON].banner = true;
	return false;
}

/* --- ab --- */

/* "Complete requests:      1025" and its neighbours; a label, a colon, spaces, a number. */
static const char *ab_field(const char *p, const char *e, const char *label, double *v)
{
	const char *q = lit(p, e, label);
	return q ? number(skip_space(q, e), e, v) : NULL;
}

static bool ab_line(struct scan *s, const char *p, const char *e)
{
	double v, c, r, l, x;
	const char *q;
	bool failed = s->ab_failed;

	s->ab_failed = false;
	if (ab_field(p, e, "Time taken for tests:", &v)) {
		s->ab_seconds = v <= MAX_SECONDS ? v : 0;
		return true;
	}
	if ((q = ab_field(p, e, "Complete requests:", &v)) && q == e) {
		summary(s, T_AB, v, s->ab_seconds, false);
		s->ab_seconds = 0;
		return true;
	}
	if ((q = ab_field(p, e, "Failed requests:", &v)) && q == e) {
		s->a[T_AB].errors += v;
		s->ab_failed = true;
		return true;
	}
	/* "(Connect: 0, Receive: 0, Length: 291, Exceptions: 0)": a body of another length than the
	 * first one's (any dynamic page) is no error */
	if (failed && (q = ab_field(p, e, "(Connect:", &c)) && (q = ab_field(q, e, ", Receive:", &r)) &&
	    (q = ab_field(q, e, ", Length:", &l)) && ab_field(q, e, ", Exceptions:", &x)) {
		s->a[T_AB].errors -= l < s->a[T_AB].errors ? l : s->a[T_AB].errors;
		return true;
	}
	if (ab_field(p, e, "Non-2xx responses:", &v)) {
		s->a[T_AB].errors += v;
		return true;
	}
	if ((q = ab_field(p, e, "Requests per second:", &v)) && find(q, e, "[#/sec]")) {
		s->a[T_AB].rates++;
		s->a[T_AB].rate = v;
		return true;
	}
	if (lit(p, e, "This is ApacheBench"))
		s->a[T_AB].banner = true;
	return false;
}

/* --- redis-benchmark --- */

static void redis_rated(struct scan *s, double rate)
{
	if (rate <= 0)
		return;
	s->redis_rated++;
	s->redis_inverse += 1.0 / rate;
	s->a[T_REDIS].banner = true;
	if (!s->a[T_REDIS].order)
		s->a[T_REDIS].order = ++s->summaries;
}

static bool redis_line(struct scan *s, const char *p, const char *e)
{
	double v, secs;
	const char *q;

	/* "  20000 requests completed in 1.15 seconds" (the default output, one per test) */
	if ((q = count(p, e, &v)) && (q = lit(q, e, " requests completed in ")) && (q = number(q, e, &secs)) &&
	    lit(q, e, " seconds") && secs <= MAX_SECONDS) {
		summary(s, T_REDIS, v, secs, false);
		return true;
	}
	/* --csv: "\"test\",\"rps\",..." then "\"SET\",\"15540.02\",..." */
	if (lit(p, e, "\"test\",\"rps\"")) {
		s->redis_csv = true;
		return true;
	}
	if (s->redis_csv && *p == '"' && (q = memchr(p + 1, '"', (size_t)(e - p - 1))) && (q = lit(q + 1, e, ",\"")) &&
	    (q = number(q, e, &v)) && lit(q, e, "\"")) {
		redis_rated(s, v);
		return true;
	}
	/* -q: "SET: 12570.71 requests per second, p50=1.351 msec"; not the default output's
	 * "throughput summary: ..." */
	if (!lit(p, e, "throughput summary:") && (q = find(p, e, ": ")) && (q = number(q + 2, e, &v)) &&
	    lit(q, e, " requests per second")) {
		redis_rated(s, v);
		return true;
	}
	if (lit(p, e, "====== ") || find(p, e, ": rps="))
		s->a[T_REDIS].banner = true;
	return false;
}

/* -n of the redis-benchmark in COMMAND (its default when not given); 0 when the command does not
 * run redis-benchmark by that name, or runs it with different counts. */
static double redis_n(const char *command)
{
	double n = 0;
	const char *p = command;

	while (p && (p = strstr(p, "redis-benchmark"))) {
		double this = REDIS_DEFAULT_N;
		p += strlen("redis-benchmark");
		/* its arguments: up to the end of the simple command */
		size_t len = strcspn(p, ";|&\n");
		const char *e = p + len;
		for (const char *q = p; (q = find(q, e, "-n")) && q < e; q += 2) {
			double v;
			const char *r = skip_space(q + 2, e);
			if ((q == p || q[-1] == ' ' || q[-1] == '\t') && r > q + 2 && count(r, e, &v))
				this = v;
		}
		if (n && this != n)
			return 0;
		n = this;
		p = e;
	}
	return n;
}

/* --- the whole text --- */

static void scan_line(struct scan *s, const char *line, const char *e)
{
	while (e > line && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	const char *p = skip_space(line, e);
	if (p == e)
		return;
	if (wrk_line(s, line, p, e) || autocannon_line(s, line, p, e) || ab_line(s, p, e))
		return;
	redis_line(s, p, e);
}

static void not_recognized(struct load_work *out, const struct scan *s, size_t len)
{
	out->tool = NULL;
	for (int t = 0; t < T_COUNT; t++)
		if (s->a[t].banner) {
			snprintf(out->reason, sizeof(out->reason),
				 "%s printed no summary (it stopped early or failed: see " LOAD_FILE ")", tool_names[t]);
			return;
		}
	snprintf(out->reason, sizeof(out->reason), "%s",
		 len ? "no summary of wrk, autocannon, ab or redis-benchmark in " LOAD_FILE
		     : "the load command printed nothing");
}

void load_output_parse(const char *text, size_t len, const char *command, struct load_work *out)
{
	struct scan *s = xcalloc(1, sizeof(*s));
	const char *p = text, *end = text + len;
	bool present = out->present;

	memset(out, 0, sizeof(*out));
	out->present = present;
	while (p < end) {
		const char *eol = p;
		while (eol < end && *eol != '\n' && *eol != '\r')
			eol++;
		scan_line(s, p, eol);
		p = eol + 1;
	}
	/* redis-benchmark -q and --csv print rates only: each test made -n requests */
	struct acc *redis = &s->a[T_REDIS];
	if (!redis->summaries && s->redis_rated) {
		double n = redis_n(command);
		if (!n) {
			snprintf(out->reason, sizeof(out->reason),
				 "redis-benchmark -q and --csv print no request count, and the load command shows no "
				 "redis-benchmark -n: run it without -q and --csv");
			free(s);
			return;
		}
		for (unsigned i = 0; i < s->redis_rated; i++)
			summary(s, T_REDIS, n, 0, true);
		redis->seconds = n * s->redis_inverse;
	}
	int best = -1;
	for (int t = 0; t < T_COUNT; t++)
		if (s->a[t].summaries && (best < 0 || s->a[t].order < s->a[best].order))
			best = t;
	if (best < 0) {
		not_recognized(out, s, len);
		free(s);
		return;
	}
	const struct acc *a = &s->a[best];
	out->tool = tool_names[best];
	out->requests = to_u64(a->requests);
	out->requests_exact = !a->inexact;
	out->seconds = a->seconds;
	out->errors = to_u64(a->errors);
	out->summaries = a->summaries;
	if (a->summaries == 1 && a->rates == 1)
		out->requests_per_s = a->rate; /* the tool's own, from its exact run time */
	else
		out->requests_per_s = a->seconds > 0 ? a->requests / a->seconds : 0;
	free(s);
}

void load_output_read(const char *dir, const char *command, struct load_work *out)
{
	char path[4096], err[256];
	char *text = NULL;
	size_t len = 0;

	memset(out, 0, sizeof(*out));
	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, LOAD_FILE);
	int rc = read_file_limit(path, LOAD_FILE_MAX, &text, &len, err, sizeof(err));
	if (rc == -ENOENT)
		return;
	out->present = true;
	if (rc < 0)
		errbuf_printf(out->reason, sizeof(out->reason), "%s", err);
	else
		load_output_parse(text, len, command, out);
	free(text);
}
