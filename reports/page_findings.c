/* The diagnosis at the top of the page: a verdict, then each finding with its numbers (units,
 * docs/diagnosis.md's evidence), its advice, links to the chart that shows it, and — for a blocked
 * loop — the stack that did it, read from the blocked-loop profile (else the CPU profile). */
#include "reports/page.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reports/escape.h"
#include "reports/labels.h"

/* The figures a finding rests on, labelled (reports/labels.c); pid and tid are in its header. */
static void evidence(FILE *out, const cJSON *ev)
{
	const cJSON *v;
	char buf[128];
	if (!cJSON_IsObject(ev))
		return;
	fputs("<dl class=\"evidence\">", out);
	cJSON_ArrayForEach(v, ev)
	{
		if (!strcmp(v->string, "pid") || !strcmp(v->string, "tid"))
			continue;
		fputs("<div><dt>", out);
		escape_html(out, label_text(LABEL_EVIDENCE, v->string, buf, sizeof(buf)));
		fputs("</dt><dd>", out);
		page_value(out, v, label_unit(LABEL_EVIDENCE, v->string));
		fputs("</dd></div>", out);
	}
	fputs("</dl>\n", out);
}

/* --- the stack of a finding --- */

static const char *const tier_words[] = {"~", "interpreted", "^", "baseline", "+", "Maglev", "*", "TurboFan"};

static void frame_item(FILE *out, const struct frametab *ft, int32_t frame, const char *cls)
{
	const struct ft_entry *e = &ft->v[frame];
	fprintf(out, "<li class=\"k-%s%s%s\"><span class=\"fn\">", frame_kind_word(e->kind), cls ? " " : "", cls ? cls : "");
	escape_html(out, e->name);
	fputs("</span>", out);
	if (*e->location) {
		fputs(" <span class=\"loc\">", out);
		escape_html(out, e->location);
		fputs("</span>", out);
	} else if (*e->module) {
		fputs(" <span class=\"loc\">", out);
		escape_html(out, e->module);
		fputs("</span>", out);
	}
	for (size_t i = 0; e->tier && i < sizeof(tier_words) / sizeof(tier_words[0]); i += 2)
		if (e->tier == tier_words[i][0])
			fprintf(out, " <span class=\"tier\">%s</span>", tier_words[i + 1]);
	fputs("</li>\n", out);
}

static bool runtime_kind(const struct frametab *ft, int32_t frame)
{
	uint8_t k = ft->v[frame].kind;
	return k == FRAME_V8 || k == FRAME_NATIVE || k == FRAME_KERNEL || k == FRAME_UNKNOWN;
}

/* Frames [from, to) of PATH; runs of three or more runtime frames fold into a <details>. */
static void frame_list(FILE *out, const struct frametab *ft, const struct calltree *t, const uint32_t *path, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && runtime_kind(ft, t->frame[path[j]]))
			j++;
		if (j - i >= 3) {
			fprintf(out, "<li class=\"fold\"><details><summary>%zu frames of the runtime and native code</summary><ol>\n",
				j - i);
			for (size_t k = i; k < j; k++)
				frame_item(out, ft, t->frame[path[k]], NULL);
			fputs("</ol></details></li>\n", out);
			i = j;
		} else {
			frame_item(out, ft, t->frame[path[i]], NULL);
			i++;
		}
	}
}

/* The node whose frame is called NAME with the largest total. */
static uint32_t widest_named(const struct profile *p, const struct frametab *ft, const char *name)
{
	const struct calltree *t = &p->tree;
	uint32_t best = 0;
	for (uint32_t i = 1; i < t->n; i++)
		if (!strcmp(ft->v[t->frame[i]].name, name) && (!best || t->total[i] > t->total[best]))
			best = i;
	return best;
}

static void stack(FILE *out, const struct page *pg, const char *name)
{
	const struct frametab *ft = &pg->ps->frames;
	int key = PROFILE_BLOCKED;
	const struct profile *p = &pg->ps->p[key];
	uint32_t node = p->present ? widest_named(p, ft, name) : 0;
	if (!node && pg->ps->p[PROFILE_CPU].present) {
		key = PROFILE_CPU;
		p = &pg->ps->p[key];
		node = widest_named(p, ft, name);
	}
	if (!node)
		return;
	const struct calltree *t = &p->tree;
	uint32_t callers[512], callees[16];
	size_t ncallers = 0, ncallees = calltree_heaviest_path(t, node, callees, 16);
	for (int32_t v = t->parent[node]; v > 0 && ncallers < 512; v = t->parent[v])
		callers[ncallers++] = (uint32_t)v;
	double share = t->total[0] ? 100.0 * (double)t->total[node] / (double)t->total[0] : 0;
	char a[32], b[32];

	fprintf(out, "<div class=\"stack-box\"><p class=\"stack-head\">The heaviest stack through it in the %s profile: "
		     "%s of %s %s (%.0f%%). Innermost first.</p>\n<ol class=\"stack\">\n",
		key == PROFILE_BLOCKED ? "blocked-loop" : "CPU", page_count(a, sizeof(a), (double)t->total[node]),
		page_count(b, sizeof(b), (double)t->total[0]), profile_unit_word(p->unit), share);
	if (ncallees) {
		/* Callees innermost first: reverse the path down. */
		uint32_t rev[16];
		for (size_t i = 0; i < ncallees; i++)
			rev[i] = callees[ncallees - 1 - i];
		fputs("<li class=\"callees\"><ol>\n", out);
		frame_list(out, ft, t, rev, ncallees);
		fputs("</ol></li>\n", out);
	}
	frame_item(out, ft, t->frame[node], "culprit");
	frame_list(out, ft, t, callers, ncallers);
	fprintf(out, "</ol>\n<p class=\"links\"><a class=\"to-flame\" href=\"#flamegraph\" data-profile=\"%s\" data-frame=\"",
		profile_keys[key]);
	escape_html(out, name);
	fputs("\">Show it in the flame graph</a></p></div>\n", out);
}

/* --- findings --- */

static int severity_rank(const char *s)
{
	return !strcmp(s, "high") ? 3 : !strcmp(s, "medium") ? 2 : !strcmp(s, "low") ? 1 : 0;
}

static const struct loop_summary *finding_loop(const struct summary *sum, const struct finding *f)
{
	const cJSON *pid = cJSON_GetObjectItemCaseSensitive(f->evidence, "pid");
	const cJSON *tid = cJSON_GetObjectItemCaseSensitive(f->evidence, "tid");
	if (!cJSON_IsNumber(pid) || !cJSON_IsNumber(tid))
		return NULL;
	for (unsigned i = 0; i < sum->nloops; i++)
		if (sum->loops[i].pid == (int)pid->valuedouble && sum->loops[i].tid == (int)tid->valuedouble)
			return &sum->loops[i];
	return NULL;
}

static void finding(FILE *out, const struct page *pg, const struct finding *f, unsigned index)
{
	const char *chart = page_kind_chart(f->kind);
	const struct loop_summary *ls = finding_loop(pg->sum, f);

	fprintf(out, "<article class=\"finding sev-%s\" id=\"finding-%u\" data-kind=\"", f->severity, index + 1);
	escape_html(out, f->kind);
	fputs("\">\n", out);
	/* "none" is the verdict itself: no title of its own. */
	if (strcmp(f->kind, "none")) {
		fputs("<header><span class=\"sev\">", out);
		escape_html(out, f->severity);
		fputs("</span><h3>", out);
		escape_html(out, page_kind_title(f->kind));
		fputs("</h3>", out);
		if (ls)
			fprintf(out, "<span class=\"where\">pid %d \xc2\xb7 thread %d</span>", ls->pid, ls->tid);
		fputs("</header>\n", out);
	}
	fputs("<p class=\"summary\">", out);
	escape_html(out, f->summary);
	fputs("</p>\n", out);
	evidence(out, f->evidence);
	if (f->top_frame[0]) {
		fputs("<div class=\"culprit-line\"><span class=\"label\">On top of the blocked stacks</span> <code class=\"fn\">", out);
		escape_html(out, f->top_frame);
		fputs("</code>", out);
		if (ls && ls->top_location[0]) {
			fputs(" <span class=\"loc\">", out);
			escape_html(out, ls->top_location);
			fputs("</span>", out);
		}
		if (ls)
			fprintf(out, " <span class=\"muted\">in %u of %u stacks</span>", ls->top_frame_stacks, ls->stacks);
		fputs("</div>\n", out);
		stack(out, pg, f->top_frame);
	}
	if (f->advice[0]) {
		fputs("<p class=\"advice\"><strong>What to do.</strong> ", out);
		escape_html(out, f->advice);
		fputs("</p>\n", out);
	}
	fprintf(out, "<p class=\"links\"><a class=\"to-chart\" href=\"#chart-%s\" data-chart=\"%s\">See the %s chart</a>",
		chart, chart, page_chart_name(chart));
	if (!strcmp(f->kind, "event-loop-blocked"))
		fputs(" <a href=\"#chart-h-busy\">busy-span histogram</a>", out);
	else if (!strcmp(f->kind, "threadpool-starved"))
		fputs(" <a href=\"#chart-h-wait\">queue-wait histogram</a>", out);
	else if (!strcmp(f->kind, "gc-pressure"))
		fputs(" <a href=\"#chart-h-gc\">GC-pause histogram</a>", out);
	fputs("</p>\n</article>\n", out);
}

void page_findings(FILE *out, const struct page *pg)
{
	const struct summary *sum = pg->sum;
	unsigned worst = 0;

	for (unsigned i = 1; i < sum->nfindings; i++)
		if (severity_rank(sum->findings[i].severity) > severity_rank(sum->findings[worst].severity))
			worst = i;
	const char *sev = sum->nfindings ? sum->findings[worst].severity : "info";
	bool none = !sum->nfindings || !strcmp(sum->findings[0].kind, "none");
	fprintf(out, "<section id=\"diagnosis\" class=\"verdict %s sev-%s\">\n<div class=\"verdict-head\">\n",
		none ? "ok" : "problem", sev);
	fputs("<p class=\"kicker\">Diagnosis</p>\n<h2>", out);
	if (none)
		fputs("No problem found", out);
	else {
		const struct finding *w = &sum->findings[worst];
		escape_html(out, page_kind_title(w->kind));
		if (w->top_frame[0]) {
			fputs(" by <code class=\"fn\">", out);
			escape_html(out, w->top_frame);
			fputs("</code>", out);
		}
		if (sum->nfindings > 1)
			fprintf(out, " <span class=\"more\">and %u more finding%s</span>", sum->nfindings - 1,
				sum->nfindings > 2 ? "s" : "");
	}
	fputs("</h2>\n</div>\n", out);
	for (unsigned i = 0; i < sum->nfindings; i++)
		finding(out, pg, &sum->findings[i], i);
	fputs("</section>\n", out);
}
