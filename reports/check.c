/* loopscope check: each side's runs (session directories, summary files or session sets) read
 * into one sample per figure, then figure by figure the shift of the current runs over the
 * baseline runs with its lower confidence bound (check_stats.h), against the figure's tolerance.
 * A regression is a shift whose lower bound is past the tolerance: worse beyond the runs' own
 * noise and beyond what is allowed. Figures and tolerances: check_metrics.c, docs/ci.md. */
#include "reports/check.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/analysis/analyze.h"
#include "collector/analysis/session_set.h"
#include "collector/util/files.h"
#include "collector/util/grow.h"
#include "collector/util/xalloc.h"

int check_parse_limit(const char *spec, struct check_limit *out, char *err, size_t errlen)
{
	const char *eq = strchr(spec, '=');
	char *end;

	memset(out, 0, sizeof(*out));
	if (!eq) {
		snprintf(err, errlen, "--max wants METRIC=LIMIT (e.g. delay_p99_ms=+20%%), not '%s'", spec);
		return -EINVAL;
	}
	size_t len = (size_t)(eq - spec);
	if (!check_kind_find(spec, len) || len >= sizeof(out->metric)) {
		snprintf(err, errlen, "unknown metric '%.*s' (loopscope check --help lists them)", (int)len, spec);
		return -EINVAL;
	}
	memcpy(out->metric, spec, len);
	const char *v = eq + 1, *digits = *v == '+' ? v + 1 : v;
	out->growth = *v == '+';
	double x = strtod(digits, &end);
	out->percent = *end == '%';
	if (out->percent)
		end++;
	if (*end || end == digits || !isfinite(x) || x < 0 || (out->percent && !out->growth)) {
		snprintf(err, errlen, "bad limit '%s' for %.*s: use +N%%, +N or N", v, (int)len, spec);
		return -EINVAL;
	}
	out->value = x;
	return 0;
}

/* --- reading the runs --- */

/* The summary of one session directory or summary file: summary.json, or, for a directory whose
 * collector died before writing it, recomputed from the records. NULL with the reason in err. */
static cJSON *load_summary(const char *path, bool dir, char *err, size_t errlen)
{
	char file[PATH_MAX];
	char *text;
	size_t len;
	int rc;

	if (dir)
		snprintf(file, sizeof(file), "%s/summary.json", path);
	else if (!realpath(path, file)) { /* a file named on the command line may be the user's link */
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	rc = read_file_limit(file, 64 << 20, &text, &len, err, errlen);
	if (rc == -ENOENT && dir) {
		struct session s;
		struct summary sum;
		memset(&sum, 0, sizeof(sum));
		if (analyze_session(path, &s, &sum, NULL, err, errlen) < 0)
			return NULL;
		cJSON *j = summary_to_json(&sum, &s);
		summary_free(&sum);
		session_free(&s);
		return j;
	}
	if (rc < 0)
		return NULL;
	cJSON *j = cJSON_ParseWithLength(text, len);
	free(text);
	if (!cJSON_IsObject(j) || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "loops"))) {
		cJSON_Delete(j);
		snprintf(err, errlen, "%s: not a loopscope summary (corrupt or truncated?)", file);
		return NULL;
	}
	return j;
}

struct side {
	char **paths;
	size_t n, cap;
};

static void side_add(struct side *s, const char *path)
{
	s->paths = xgrow_array(s->paths, &s->cap, s->n + 1, sizeof(*s->paths));
	s->paths[s->n++] = xstrdup(path);
}

/* PATH into the side: a summary file, or a session directory or session set
 * (collector/analysis/session_set.h). */
static int side_expand(struct side *s, const char *path, char *err, size_t errlen)
{
	struct session_set set;
	struct stat st;
	int rc;

	if (stat(path, &st) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (!S_ISDIR(st.st_mode)) {
		side_add(s, path);
		return 0;
	}
	if ((rc = session_set_expand(path, &set, err, errlen)) < 0)
		return rc;
	for (size_t i = 0; i < set.n; i++)
		side_add(s, set.dirs[i]);
	session_set_free(&set);
	return 0;
}

/* Every figure seen, with each side's values. */
struct figure {
	char name[128];
	const struct metric_kind *kind;
	double *v[2];
	size_t n[2], cap[2];
};

struct figures {
	struct figure *f;
	size_t n, cap;
	int side;
};

static void collect(const char *name, const struct metric_kind *k, double value, void *arg)
{
	struct figures *fs = arg;
	struct figure *f = NULL;

	for (size_t i = 0; i < fs->n && !f; i++)
		if (!strcmp(fs->f[i].name, name))
			f = &fs->f[i];
	if (!f) {
		fs->f = xgrow_array(fs->f, &fs->cap, fs->n + 1, sizeof(*fs->f));
		f = &fs->f[fs->n++];
		memset(f, 0, sizeof(*f));
		snprintf(f->name, sizeof(f->name), "%s", name);
		f->kind = k;
	}
	int s = fs->side;
	f->v[s] = xgrow_array(f->v[s], &f->cap[s], f->n[s] + 1, sizeof(double));
	f->v[s][f->n[s]++] = value;
}

static int read_side(struct figures *fs, int which, const struct side *s, char *err, size_t errlen)
{
	fs->side = which;
	for (size_t i = 0; i < s->n; i++) {
		struct stat st;
		bool dir = stat(s->paths[i], &st) == 0 && S_ISDIR(st.st_mode);
		cJSON *sum = load_summary(s->paths[i], dir, err, errlen);
		const char *key = NULL;
		if (!sum)
			return -EINVAL;
		int rc = check_figures(sum, collect, fs, &key);
		cJSON_Delete(sum);
		if (rc < 0) {
			snprintf(err, errlen, "%s: '%s' is not a number: not a summary loopscope wrote", s->paths[i], key);
			return -EINVAL;
		}
	}
	return 0;
}

/* --- verdicts --- */

/* The limit asked for this figure (its own name first, then its kind's), or NULL. */
static const struct check_limit *limit_for(const struct check_opts *o, const struct figure *f)
{
	const struct check_limit *kind_limit = NULL;
	for (size_t i = 0; i < o->nlimits; i++) {
		if (!strcmp(o->limits[i].metric, f->name))
			return &o->limits[i];
		if (!strcmp(o->limits[i].metric, f->kind->name))
			kind_limit = &o->limits[i];
	}
	return kind_limit;
}

static void judge(const struct check_opts *o, struct figure *f, const struct check_limit *lim, struct check_result *r)
{
	const struct metric_kind *k = f->kind;

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", f->name);
	r->kind = k;
	r->nbase = f->n[0];
	r->ncur = f->n[1];
	if (!f->n[0] || !f->n[1]) {
		r->verdict = CHECK_NA;
		r->why = f->n[0] ? "only in the baseline" : "only in the current runs";
		return;
	}
	/* Worse is up: a figure where lower is worse is compared negated. */
	for (int s = 0; s < 2; s++)
		for (size_t i = 0; i < f->n[s]; i++)
			f->v[s][i] *= k->worse;
	stats_shift(f->v[0], f->n[0], f->v[1], f->n[1], o->confidence, &r->shift);
	r->shift.base_median *= k->worse;
	r->shift.cur_median *= k->worse;
	double base = fabs(r->shift.base_median);
	r->weak = r->shift.confidence + 1e-9 < o->confidence;
	r->shift.estimate *= k->worse; /* reported in the figure's own direction */
	r->shift.lower *= k->worse;
	if (lim && !lim->growth) { /* a ceiling on the current median: no statistics, never weak */
		r->ceiling = true;
		r->weak = false;
		r->allowed = lim->value;
		snprintf(r->limit, sizeof(r->limit), "%s %g", k->worse > 0 ? "<=" : ">=", lim->value);
		r->verdict = r->shift.cur_median * k->worse > lim->value * k->worse ? CHECK_REGRESSION : CHECK_OK;
		return;
	}
	/* A limit given replaces the tolerance, floor included (it may be tighter). */
	if (!lim)
		r->allowed = fmax(k->rel * base, k->floor);
	else
		r->allowed = lim->percent ? lim->value / 100 * base : lim->value;
	if (lim)
		snprintf(r->limit, sizeof(r->limit), "%s%g%s", k->worse > 0 ? "+" : "-", lim->value, lim->percent ? "%" : "");
	else if (k->rel > 0)
		snprintf(r->limit, sizeof(r->limit), "%s%g%%", k->worse > 0 ? "+" : "-", k->rel * 100);
	else
		snprintf(r->limit, sizeof(r->limit), "%s%g", k->worse > 0 ? "+" : "-", k->floor);
	/* With fewer runs than the confidence needs, the limit is doubled: a weak verdict fails only on
	 * a large change. allowed is the one applied. */
	if (r->weak)
		r->allowed *= 2;
	double lower = r->shift.lower * k->worse, estimate = r->shift.estimate * k->worse; /* worse is up */
	if (lower > r->allowed)
		r->verdict = CHECK_REGRESSION;
	else if (estimate < -r->allowed)
		r->verdict = CHECK_BETTER;
	else
		r->verdict = CHECK_OK;
}

static void side_free(struct side *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->paths[i]);
	free(s->paths);
}

int check_compare(const struct check_opts *o, struct check_outcome *out, char *err, size_t errlen)
{
	struct side sides[2] = {{0}};
	struct figures fs = {0};
	int rc = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < o->nbase && !rc; i++)
		rc = side_expand(&sides[0], o->base[i], err, errlen);
	for (size_t i = 0; i < o->ncur && !rc; i++)
		rc = side_expand(&sides[1], o->cur[i], err, errlen);
	if (!rc)
		rc = read_side(&fs, 0, &sides[0], err, errlen);
	if (!rc)
		rc = read_side(&fs, 1, &sides[1], err, errlen);
	if (!rc) {
		out->results = xcalloc(fs.n ? fs.n : 1, sizeof(*out->results));
		for (size_t i = 0; i < fs.n; i++) {
			const struct check_limit *lim = limit_for(o, &fs.f[i]);
			if (o->nlimits ? !lim : !fs.f[i].kind->by_default)
				continue; /* with --max given, only those are checked */
			struct check_result *r = &out->results[out->n++];
			judge(o, &fs.f[i], lim, r);
			out->regressions += r->verdict == CHECK_REGRESSION;
			out->weak |= r->weak && r->verdict != CHECK_NA;
		}
		out->nbase = sides[0].n;
		out->ncur = sides[1].n;
		out->base_paths = sides[0].paths;
		out->cur_paths = sides[1].paths;
		sides[0].paths = sides[1].paths = NULL;
		sides[0].n = sides[1].n = 0;
	}
	for (size_t i = 0; i < fs.n; i++) {
		free(fs.f[i].v[0]);
		free(fs.f[i].v[1]);
	}
	free(fs.f);
	side_free(&sides[0]);
	side_free(&sides[1]);
	return rc;
}

void check_outcome_free(struct check_outcome *out)
{
	struct side b = {out->base_paths, out->nbase, 0}, c = {out->cur_paths, out->ncur, 0};
	side_free(&b);
	side_free(&c);
	free(out->results);
	memset(out, 0, sizeof(*out));
}

void check_print_metrics(FILE *out)
{
	for (size_t i = 0; i < check_nkinds; i++) {
		const struct metric_kind *k = &check_kinds[i];
		char tol[48];
		if (k->rel > 0)
			snprintf(tol, sizeof(tol), "%s%g%% (at least %g)", k->worse > 0 ? "+" : "-", k->rel * 100, k->floor);
		else
			snprintf(tol, sizeof(tol), "%s%g", k->worse > 0 ? "+" : "-", k->floor);
		fprintf(out, "  %s%-22s %s; tolerance %s%s\n", k->per_loop ? "ROLE." : "", k->name, k->what, tol,
			k->by_default ? "" : " (checked when given)");
	}
}
