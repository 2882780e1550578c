/* The report page as a whole: one self-contained HTML document (styles and scripts inline, no
 * network), its header (the command, when, where), the key figures, the loops, the session's
 * details, and the order of the sections the other page_*.c files write. */
#include "reports/page.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "reports/assets.h"
#include "reports/escape.h"
#include "reports/labels.h"

#define LOOPSCOPE_REPORT_VERSION "0.1.0"

const char *page_ms(char *buf, size_t len, double ms)
{
	if (!(ms > 0))
		snprintf(buf, len, "0 ms");
	else if (ms < 0.001)
		snprintf(buf, len, "%.0f ns", ms * 1e6);
	else if (ms < 0.01)
		snprintf(buf, len, "%.1f \xc2\xb5s", ms * 1e3);
	else if (ms < 1)
		snprintf(buf, len, "%.0f \xc2\xb5s", ms * 1e3);
	else if (ms < 10)
		snprintf(buf, len, "%.1f ms", ms);
	else if (ms < 10000)
		snprintf(buf, len, "%.0f ms", ms);
	else
		snprintf(buf, len, "%.1f s", ms / 1000);
	return buf;
}

const char *page_duration(char *buf, size_t len, double s)
{
	if (!(s >= 0) || s > 1e9) /* NaN, negative or past 30 years: no integer cast */
		snprintf(buf, len, "%.3g s", s);
	else if (s < 1)
		return page_ms(buf, len, s * 1000);
	else if (s < 60)
		snprintf(buf, len, "%.2f s", s);
	else if (s < 3600)
		snprintf(buf, len, "%d min %02d s", (int)(s / 60), (int)s % 60);
	else
		snprintf(buf, len, "%d h %02d min", (int)(s / 3600), (int)s % 3600 / 60);
	return buf;
}

const char *page_count(char *buf, size_t len, double v)
{
	char digits[32];
	size_t n, o = 0;
	snprintf(digits, sizeof(digits), "%.0f", v < 0 ? 0 : v);
	n = strlen(digits);
	for (size_t i = 0; i < n && o + 2 < len; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = 0;
	return buf;
}

const char *page_bytes(char *buf, size_t len, double b, bool sign)
{
	double a = fabs(b);
	const char *s = !sign || b == 0 ? "" : b > 0 ? "+" : "\xe2\x88\x92";
	if (a >= 1e9)
		snprintf(buf, len, "%s%.2f GB", s, a / 1e9);
	else if (a >= 1e6)
		snprintf(buf, len, "%s%.2f MB", s, a / 1e6);
	else if (a >= 1e3)
		snprintf(buf, len, "%s%.1f kB", s, a / 1e3);
	else
		snprintf(buf, len, "%s%.0f B", s, a);
	return buf;
}

const char *page_amount(char *buf, size_t len, enum profile_unit unit, double v)
{
	char n[32];
	if (unit == UNIT_BYTES)
		return page_bytes(buf, len, v, false);
	if (unit == UNIT_NS)
		snprintf(buf, len, "%s ms off CPU", page_count(n, sizeof(n), v / 1e6));
	else
		snprintf(buf, len, "%s sample%s", page_count(n, sizeof(n), v), v == 1 ? "" : "s");
	return buf;
}

const char *page_num(char *buf, size_t len, double v, const char *unit)
{
	double a = fabs(v);
	const char *sep = unit && *unit && strcmp(unit, "%") ? " " : "";
	snprintf(buf, len, a >= 100 || a == 0 ? "%.0f%s%s" : a >= 10 ? "%.1f%s%s" : "%.2f%s%s", v, sep, unit ? unit : "");
	return buf;
}

void page_value(FILE *out, const cJSON *v, const char *unit)
{
	char buf[64];
	if (!cJSON_IsNumber(v)) {
		char *text = cJSON_IsString(v) ? NULL : cJSON_PrintUnformatted(v);
		escape_html(out, text ? text : v->valuestring);
		free(text);
		return;
	}
	double x = v->valuedouble;
	if (!strcmp(unit, "ms"))
		fputs(page_ms(buf, sizeof(buf), x), out);
	else if (!strcmp(unit, "share"))
		fputs(page_num(buf, sizeof(buf), 100 * x, "%"), out);
	else if (!strcmp(unit, "r"))
		fprintf(out, "%.2f", x);
	else if (!*unit)
		fputs(page_count(buf, sizeof(buf), x), out);
	else if (x == floor(x) && fabs(x) < 1e9) /* a whole number of its unit: "99 Hz", not "99.0 Hz" */
		fprintf(out, "%.0f %s", x, unit);
	else
		fputs(page_num(buf, sizeof(buf), x, unit), out);
}

static const struct {
	const char *kind, *title, *chart;
} kinds[] = {
	{"event-loop-blocked", "Event loop blocked", "delay"},
	{"threadpool-starved", "Thread pool starved", "pool"},
	{"gc-pressure", "GC pressure", "gc"},
	{"memory-growth", "Memory growing", "memory"},
	{"io-bound", "Waiting on I/O", "pool"},
	{"none", "No problem found", "elu"},
};

static const struct {
	const char *id, *name;
} chart_names[] = {
	{"cpu", "CPU"}, {"memory", "memory"}, {"elu", "utilization"}, {"delay", "delay"}, {"gc", "GC"}, {"pool", "thread-pool"},
};

const char *page_chart_name(const char *id)
{
	for (size_t i = 0; i < sizeof(chart_names) / sizeof(chart_names[0]); i++)
		if (!strcmp(id, chart_names[i].id))
			return chart_names[i].name;
	return id;
}

const char *page_kind_title(const char *kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kind, kinds[i].kind))
			return kinds[i].title;
	return kind;
}

const char *page_kind_chart(const char *kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kind, kinds[i].kind))
			return kinds[i].chart;
	return "elu";
}

void page_asset(FILE *out, const char *name)
{
	const struct report_asset *a = report_asset_find(name);
	if (a)
		fwrite(a->data, 1, a->size, out);
}

/* The command line, each argument escaped; arguments with spaces or quotes in single quotes. */
static void command_line(FILE *out, const struct session *s)
{
	char **argv = s->command;
	int argc = s->ncommand;
	const struct s_process *root = session_root((struct session *)s);
	if (!argc && root) {
		argv = root->argv;
		argc = root->argc;
	}
	if (!argc) {
		fputs("(unknown command)", out);
		return;
	}
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i] ? argv[i] : "";
		bool quote = !*a || strpbrk(a, " \t\n'\"\\$`;&|<>*?()[]{}");
		if (i)
			fputc(' ', out);
		if (quote)
			fputc('\'', out);
		escape_html(out, a);
		if (quote)
			fputc('\'', out);
	}
}

static const char *meta_str(const struct page *pg, const char *a, const char *b)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(pg->meta, a);
	if (b)
		o = cJSON_GetObjectItemCaseSensitive(o, b);
	return cJSON_IsString(o) ? o->valuestring : NULL;
}

static double meta_num(const struct page *pg, const char *a, const char *b)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(pg->meta, a);
	if (b)
		o = cJSON_GetObjectItemCaseSensitive(o, b);
	return cJSON_IsNumber(o) ? o->valuedouble : NAN;
}

static void wall_clock(char *buf, size_t len, uint64_t realtime_ns)
{
	time_t t = (time_t)(realtime_ns / 1000000000u);
	struct tm tm;
	if (!realtime_ns || !gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, len, "unknown time");
}

static uint64_t start_realtime(const struct session *s)
{
	if (s->start_realtime_ns)
		return s->start_realtime_ns;
	const struct s_process *root = session_root((struct session *)s);
	return root ? root->realtime_ns : 0;
}

static void head(FILE *out, const struct page *pg)
{
	const struct summary *sum = pg->sum;
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta name=\"color-scheme\" content=\"light dark\">\n"
	      "<meta name=\"generator\" content=\"loopscope " LOOPSCOPE_REPORT_VERSION "\">\n<title>",
	      out);
	fputs(sum->nfindings ? page_kind_title(sum->findings[0].kind) : "loopscope report", out);
	fputs(" \xc2\xb7 ", out);
	command_line(out, pg->s);
	fputs(" \xc2\xb7 loopscope</title>\n<style>\n", out);
	page_asset(out, "report.css");
	page_asset(out, "flame.css");
	fputs("</style>\n</head>\n", out);
}

static void header(FILE *out, const struct page *pg)
{
	const struct session *s = pg->s;
	char when[64], buf[64];
	const char *host = meta_str(pg, "host", "hostname"), *kernel = meta_str(pg, "host", "kernel");
	double cpus = meta_num(pg, "host", "cpus");

	wall_clock(when, sizeof(when), start_realtime(s));
	fputs("<header class=\"top\">\n<div class=\"wrap\">\n<p class=\"brand\">loopscope <span>report</span></p>\n", out);
	fputs("<h1 class=\"command\" title=\"the command profiled\"><code>", out);
	command_line(out, s);
	fputs("</code></h1>\n<ul class=\"meta\">", out);
	/* The pid the charts, figures and loops speak of; the command's own when it is another (a
	 * wrapper that ran no event loop: sh -c, npm). */
	fprintf(out, "<li>pid <b class=\"pid\">%d</b>", pg->sum->root_pid);
	const struct s_process *root = session_root((struct session *)s);
	if (pg->sum->pid && pg->sum->pid != pg->sum->root_pid) {
		const char *exe = root && root->exe ? strrchr(root->exe, '/') : NULL;
		fputs(" <span class=\"muted\">(", out);
		escape_html(out, exe ? exe + 1 : root && root->exe ? root->exe : "?");
		fprintf(out, ", started under the command's pid %d, which recorded no event loop)</span>", pg->sum->pid);
	}
	fputs("</li>", out);
	fprintf(out, "<li><b>%s</b> recorded</li>", page_duration(buf, sizeof(buf), pg->sum->duration_s));
	fprintf(out, "<li>started <b>%s</b></li>", when);
	if (host) {
		fputs("<li>on <b>", out);
		escape_html(out, host);
		fputs("</b>", out);
		if (!isnan(cpus))
			fprintf(out, ", %.0f CPUs", cpus);
		if (kernel) {
			fputs(", Linux ", out);
			escape_html(out, kernel);
		}
		fputs("</li>", out);
	}
	if (s->exit_status >= 0)
		fprintf(out, "<li>exit status <b>%d</b></li>", s->exit_status);
	if (pg->sum->processes > 1)
		fprintf(out, "<li><b>%u</b> processes</li>", pg->sum->processes);
	fputs("</ul>\n<nav class=\"toc\" aria-label=\"Sections\"><a href=\"#diagnosis\">Diagnosis</a>"
	      "<a href=\"#timelines\">Timelines</a><a href=\"#histograms\">Histograms</a>"
	      "<a href=\"#flamegraph\">Flame graph</a>",
	      out);
	if (pg->s->nsnaps || pg->sum->native.present)
		fputs("<a href=\"#memory\">Memory</a>", out);
	if (pg->diff)
		fputs("<a href=\"#diff\">Baseline</a>", out);
	fputs("<a href=\"#loops\">Loops</a><a href=\"#session\">Session</a></nav>\n</div>\n</header>\n", out);
}

static void tile(FILE *out, const char *label, const char *value, const char *detail, const char *href)
{
	fprintf(out, "<li class=\"tile\"><a href=\"#%s\"><span class=\"label\">%s</span><span class=\"value\">%s</span>",
		href, label, value);
	if (detail && *detail)
		fprintf(out, "<span class=\"detail\">%s</span>", detail);
	fputs("</a></li>\n", out);
}

void page_figures(FILE *out, const struct page *pg)
{
	const struct summary *sum = pg->sum;
	const struct loop_summary *ml = summary_main_loop(sum);
	char v[64], d[160], a[64], b[64], c[64];

	fputs("<section class=\"figures\" aria-label=\"Key figures\">\n<ul class=\"tiles\">\n", out);
	if (ml) {
		snprintf(v, sizeof(v), "%.2f", ml->elu);
		snprintf(d, sizeof(d), "%s iterations", page_count(a, sizeof(a), (double)ml->iterations));
		tile(out, "ELU, main loop", v, d, "chart-elu");
		snprintf(d, sizeof(d), "p50 %s \xc2\xb7 max %s", page_ms(a, sizeof(a), ml->delay_ms.p50),
			 page_ms(b, sizeof(b), ml->delay_ms.max));
		tile(out, "Delay p99", page_ms(v, sizeof(v), ml->delay_ms.p99), d, "chart-delay");
		if (ml->blocks)
			snprintf(d, sizeof(d), "%s in all \xc2\xb7 longest %s", page_ms(a, sizeof(a), ml->blocked_ms),
				 page_ms(b, sizeof(b), ml->longest_block_ms));
		else
			snprintf(d, sizeof(d), "none of %s or more", page_ms(a, sizeof(a), ml->proc->block_ns / 1e6));
		tile(out, "Blocks", page_count(v, sizeof(v), (double)ml->blocks), d, "chart-delay");
	}
	double cpu = sum->cpu_user_s + sum->cpu_sys_s;
	snprintf(d, sizeof(d), "user %s \xc2\xb7 system %s", page_num(a, sizeof(a), sum->cpu_user_s, "s"),
		 page_num(b, sizeof(b), sum->cpu_sys_s, "s"));
	if (sum->duration_s > 0) {
		snprintf(c, sizeof(c), " \xc2\xb7 %.0f%% of one CPU", 100 * cpu / sum->duration_s);
		strncat(d, c, sizeof(d) - strlen(d) - 1);
	}
	tile(out, "CPU time", page_num(v, sizeof(v), cpu, "s"), d, "chart-cpu");
	snprintf(d, sizeof(d), "growth %s/min", page_num(a, sizeof(a), sum->rss_growth_mb_per_min, "MB"));
	tile(out, "RSS peak", page_num(v, sizeof(v), sum->rss_max_mb, "MB"), d, "chart-memory");
	if (sum->heap.present) {
		snprintf(d, sizeof(d), "total %s \xc2\xb7 growth %s/min", page_num(a, sizeof(a), sum->heap.total_max_mb, "MB"),
			 page_num(b, sizeof(b), sum->heap.growth_mb_per_min, "MB"));
		tile(out, "Heap used peak", page_num(v, sizeof(v), sum->heap.used_max_mb, "MB"), d, "chart-memory");
	}
	if (sum->gc.present) {
		snprintf(d, sizeof(d), "%s collections \xc2\xb7 longest %s", page_count(a, sizeof(a), (double)sum->gc.count),
			 page_ms(b, sizeof(b), sum->gc.max_ms));
		tile(out, "GC pauses", page_ms(v, sizeof(v), sum->gc.total_ms), d, "chart-gc");
	}
	if (sum->pool.present) {
		if (sum->pool.wait_known)
			snprintf(d, sizeof(d), "wait p99 %s \xc2\xb7 saturated %s", page_ms(a, sizeof(a), sum->pool.wait_ms.p99),
				 page_num(b, sizeof(b), sum->pool.saturated_s, "s"));
		else
			snprintf(d, sizeof(d), "saturated %s", page_num(b, sizeof(b), sum->pool.saturated_s, "s"));
		snprintf(v, sizeof(v), "%s tasks", page_count(a, sizeof(a), (double)sum->pool.tasks));
		tile(out, "Thread pool", v, d, "chart-pool");
	}
	fputs("</ul>\n</section>\n", out);
}

static void loops_table(FILE *out, const struct page *pg)
{
	const struct summary *sum = pg->sum;
	char a[64], b[64], c[64];

	fputs("<section id=\"loops\" class=\"block\">\n<h2>Loops</h2>\n", out);
	if (!sum->nloops) {
		fputs("<p class=\"empty\">The program never polled: no event loop to show.</p>\n</section>\n", out);
		return;
	}
	fputs("<div class=\"scroll\"><table class=\"data\">\n<thead><tr><th>pid</th><th>thread</th><th class=\"n\">ELU</th>"
	      "<th class=\"n\">iterations</th><th class=\"n\">blocks</th><th class=\"n\">blocked</th><th class=\"n\">longest</th>"
	      "<th class=\"n\">delay p50</th><th class=\"n\">p99</th><th class=\"n\">max</th><th class=\"n\">busy p99</th>"
	      "<th>on top of blocked stacks</th></tr></thead>\n<tbody>\n",
	      out);
	for (unsigned i = 0; i < sum->nloops; i++) {
		const struct loop_summary *ls = &sum->loops[i];
		fprintf(out, "<tr><td>%d</td><td>%d ", ls->pid, ls->tid);
		escape_html(out, ls->name);
		fprintf(out, "%s</td><td class=\"n\">%.2f</td>", ls->main ? " <span class=\"tag\">main</span>" : "", ls->elu);
		fprintf(out, "<td class=\"n\">%s</td><td class=\"n\">%s</td>", page_count(a, sizeof(a), (double)ls->iterations),
			page_count(b, sizeof(b), (double)ls->blocks));
		fprintf(out, "<td class=\"n\">%s</td>", page_ms(a, sizeof(a), ls->blocked_ms));
		fprintf(out, "<td class=\"n\">%s</td>", page_ms(a, sizeof(a), ls->longest_block_ms));
		fprintf(out, "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>",
			page_ms(a, sizeof(a), ls->delay_ms.p50), page_ms(b, sizeof(b), ls->delay_ms.p99),
			page_ms(c, sizeof(c), ls->delay_ms.max));
		fprintf(out, "<td class=\"n\">%s</td><td>", page_ms(a, sizeof(a), ls->busy_ms.p99));
		if (ls->top_frame[0]) {
			fputs("<code>", out);
			escape_html(out, ls->top_frame);
			fputs("</code>", out);
			if (ls->top_location[0]) {
				fputs(" <span class=\"loc\">", out);
				escape_html(out, ls->top_location);
				fputs("</span>", out);
			}
			fprintf(out, " <span class=\"muted\">%u of %u stacks</span>", ls->top_frame_stacks, ls->stacks);
		} else {
			fputs("<span class=\"muted\">\xe2\x80\x94</span>", out);
		}
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody>\n</table></div>\n</section>\n", out);
}

static void detail(FILE *out, const char *term, const char *value)
{
	if (!value)
		return;
	fprintf(out, "<dt>%s</dt><dd>", term);
	escape_html(out, value);
	fputs("</dd>\n", out);
}

/* session.json's "options" as "label value" pairs (reports/labels.c). */
static void options(FILE *out, const struct page *pg)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(pg->meta, "options"), *v;
	bool first = true;
	char buf[128];
	if (!cJSON_IsObject(o))
		return;
	fputs("<dt>options</dt><dd>", out);
	cJSON_ArrayForEach(v, o)
	{
		fputs(first ? "" : " \xc2\xb7 ", out);
		escape_html(out, label_text(LABEL_OPTION, v->string, buf, sizeof(buf)));
		fputc(' ', out);
		page_value(out, v, label_unit(LABEL_OPTION, v->string));
		first = false;
	}
	fputs("</dd>\n", out);
}

static void files(FILE *out, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096], size[64];
	bool first = true;
	if (!d)
		return;
	fputs("<dt>files</dt><dd class=\"files\">", out);
	while ((e = readdir(d))) {
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		fputs(first ? "<code>" : ", <code>", out);
		escape_html(out, e->d_name);
		fprintf(out, "</code> %s", page_num(size, sizeof(size), st.st_size / 1024.0, "KiB"));
		first = false;
	}
	closedir(d);
	fputs("</dd>\n", out);
}

static void session_details(FILE *out, const struct page *pg)
{
	const struct session *s = pg->s;
	char buf[128], n1[32], n2[32];
	static const char *const drop_names[DROP_KINDS] = AGENT_DROP_NAMES;

	fputs("<section id=\"session\" class=\"block\">\n<h2>Session</h2>\n<dl class=\"details\">\n", out);
	detail(out, "directory", pg->dir);
	const char *kind = meta_str(pg, "kind", NULL);
	if (kind) {
		fputs("<dt>recorded by</dt><dd>loopscope ", out);
		escape_html(out, kind);
		fputs("</dd>\n", out);
	} else {
		detail(out, "recorded by", "the agent alone (no session.json)");
	}
	options(out, pg);
	detail(out, "notes", meta_str(pg, "notes", NULL));
	for (size_t i = 0; i < s->procs.len; i++) {
		const struct s_process *p = vec_at(&s->procs, i);
		fprintf(out, "<dt>process %d</dt><dd>", p->pid);
		escape_html(out, p->exe ? p->exe : "?");
		fprintf(out, " \xc2\xb7 parent %d \xc2\xb7 %zu loop%s \xc2\xb7 %s%s", p->ppid, p->loops.len, p->loops.len == 1 ? "" : "s",
			p->ended ? "exited normally" : "no end record (killed, or still running)",
			p->from_probe ? " \xc2\xb7 from the eBPF probes" : "");
		if (p->v8_version) {
			fputs(" \xc2\xb7 V8 ", out);
			escape_html(out, p->v8_version);
		}
		if (p->heap_refused) {
			fputs(" \xc2\xb7 heap figures refused: ", out);
			escape_html(out, p->heap_refused);
		}
		if (p->bad_lines)
			fprintf(out, " \xc2\xb7 %zu corrupt record lines skipped", p->bad_lines);
		fputs("</dd>\n", out);
	}
	bool dropped = false;
	for (int d = 0; d < DROP_KINDS; d++)
		dropped = dropped || pg->sum->drops[d];
	if (dropped) {
		fputs("<dt>dropped by the agent</dt><dd class=\"warn\">", out);
		for (int d = 0, first = 1; d < DROP_KINDS; d++)
			if (pg->sum->drops[d]) {
				fprintf(out, "%s%s ", first ? "" : " \xc2\xb7 ",
					page_count(n1, sizeof(n1), (double)pg->sum->drops[d]));
				escape_html(out, label_text(LABEL_DROP, drop_names[d], buf, sizeof(buf)));
				first = 0;
			}
		fputs("</dd>\n", out);
	}
	for (int k = 0; k < PROFILE_KEYS; k++) {
		const struct profile *p = &pg->ps->p[k];
		snprintf(buf, sizeof(buf), "%s profile", profile_titles[k]);
		fprintf(out, "<dt>%s</dt><dd>", buf);
		if (p->present)
			fprintf(out, "from %s: %s distinct stacks, %s nodes", p->source,
				page_count(n1, sizeof(n1), (double)p->lines), page_count(n2, sizeof(n2), p->tree.n));
		else
			fprintf(out, "not recorded: %s", p->absent);
		fputs("</dd>\n", out);
	}
	detail(out, "frames", pg->ps->described ? "described by frames.jsonl" : "kinds guessed from their names (no frames.jsonl)");
	files(out, pg->dir);
	fputs("</dl>\n</section>\n", out);
}

void page_write(FILE *out, const struct page *pg)
{
	head(out, pg);
	fputs("<body>\n", out);
	header(out, pg);
	fputs("<main class=\"wrap\">\n", out);
	page_findings(out, pg);
	page_figures(out, pg);
	page_timelines(out, pg);
	page_histograms(out, pg);
	page_flame(out, pg);
	page_memory(out, pg);
	if (pg->diff)
		page_diff(out, pg->diff, "Compared with baseline");
	loops_table(out, pg);
	session_details(out, pg);
	fputs("</main>\n<footer class=\"wrap\"><p>Written by loopscope " LOOPSCOPE_REPORT_VERSION
	      ". Every figure is defined in docs/metrics.md; the diagnosis rules are in docs/diagnosis.md.</p></footer>\n",
	      out);
	page_data(out, pg);
	page_flame_data(out, pg);
	if (pg->diff)
		page_diff_data(out, pg->diff);
	fputs("<script>\n", out);
	page_asset(out, "report.js");
	fputs("</script>\n<script>\n", out);
	page_asset(out, "flame-model.js"); /* the viewer's model, then its page: one script */
	page_asset(out, "flame.js");
	fputs("</script>\n</body>\n</html>\n", out);
}
