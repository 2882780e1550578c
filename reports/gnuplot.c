/* Running gnuplot: one process draws every chart of a report (a driver script sets each chart's
 * variables, then inlines chart.gp and the chart's script); should it fail, each chart is drawn on
 * its own so one bad chart costs only itself. Each chart also prints where its plot area lies
 * (GPVAL_TERM_*), which the page needs to map the mouse to time. */
#include "reports/gnuplot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collector/util/files.h"
#include "reports/assets.h"

extern char **environ;

static const char missing[] = "gnuplot is not installed: the report draws its charts with it "
			      "(Debian package gnuplot-nox: apt-get install gnuplot-nox)";

int gnuplot_available(char *err, size_t errlen)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	for (const char *p = path ? path : "/usr/bin:/bin"; p && *p;) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		if (len && len + sizeof("/gnuplot") < sizeof(buf)) {
			memcpy(buf, p, len);
			strcpy(buf + len, "/gnuplot");
			struct stat st;
			if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
				return 0;
		}
		p = colon ? colon + 1 : NULL;
	}
	snprintf(err, errlen, "%s", missing);
	return -ENOENT;
}

/* A path inside a gnuplot single-quoted string: a quote is doubled. */
static void gp_path(FILE *out, const char *dir, const char *name)
{
	fputc('\'', out);
	for (const char *s = dir; *s; s++) {
		if (*s == '\'')
			fputc('\'', out);
		fputc(*s, out);
	}
	fprintf(out, "/%s'", name);
}

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open_private(path, O_TRUNC);
	if (fd < 0)
		return -errno;
	int rc = write_all(fd, text, strlen(text));
	if (close(fd) < 0 && !rc)
		rc = -errno;
	return rc;
}

/* What gnuplot wrote (NUL-terminated), or NULL. */
static char *read_file(const char *path, size_t *len)
{
	char *text;
	return read_file_limit(path, SIZE_MAX, &text, len, NULL, 0) < 0 ? NULL : text;
}

/* The driver's part for one chart. */
static void driver_chart(FILE *out, const char *dir, const struct gp_chart *c)
{
	const struct report_asset *common = report_asset_find("chart.gp"), *script = report_asset_find(c->script);
	char name[96];

	fputs("reset\nset print ", out);
	gp_path(out, dir, "areas.txt");
	fprintf(out, " append\nchart_w = %d\nchart_h = %d\ndata = ", c->width, c->height);
	snprintf(name, sizeof(name), "%s.dat", c->id);
	gp_path(out, dir, name);
	fputs("\nspans = ", out);
	snprintf(name, sizeof(name), "%s.spans", c->id);
	gp_path(out, dir, name);
	fprintf(out, "\n%s\n", c->vars ? c->vars : "");
	fprintf(out, "%s\nset output ", common ? (const char *)common->data : "");
	snprintf(name, sizeof(name), "%s.svg", c->id);
	gp_path(out, dir, name);
	fprintf(out, "\n%s\nunset output\n", script ? (const char *)script->data : "");
	fprintf(out, "print sprintf(\"%s %%.3f %%.3f %%.3f %%.3f\", GPVAL_TERM_XMIN, GPVAL_TERM_XMAX, GPVAL_TERM_YMIN, "
		     "GPVAL_TERM_YMAX)\nset print\n",
		c->id);
}

/* Run gnuplot on DRIVER; its output goes to LOG. 0 when it exited 0, else -1 (-errno when it
 * could not start). */
static int run(const char *driver, const char *log)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status, rc;
	char *argv[] = {"gnuplot", (char *)driver, NULL};

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		return -rc;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* The first line of gnuplot's complaint that names a problem. */
static void first_error(const char *log, char *err, size_t errlen)
{
	size_t len;
	char *text = read_file(log, &len), *line, *save = NULL;
	snprintf(err, errlen, "gnuplot failed");
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line && *line != '^' && strstr(line, "line ")) {
			snprintf(err, errlen, "gnuplot: %s", line);
			break;
		}
	}
	free(text);
}

/* The SVG text ready to inline: from "<svg", without title and desc, ids prefixed with the chart's. */
static char *clean_svg(const char *text, const char *id)
{
	const char *start = strstr(text, "<svg");
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!start || !f) {
		if (f)
			fclose(f);
		free(out);
		return NULL;
	}
	for (const char *p = start; *p;) {
		if (!strncmp(p, "<title>", 7) || !strncmp(p, "<desc>", 6)) {
			const char *end = strstr(p, p[1] == 't' ? "</title>" : "</desc>");
			if (end) {
				p = end + (p[1] == 't' ? 8 : 7);
				continue;
			}
		}
		if (!strncmp(p, "id='", 4) || !strncmp(p, "id=\"", 4)) {
			fwrite(p, 1, 4, f);
			fprintf(f, "%s-", id);
			p += 4;
			continue;
		}
		if (!strncmp(p, "url(#", 5) || !strncmp(p, "href='#", 7) || !strncmp(p, "href=\"#", 7)) {
			size_t n = p[0] == 'u' ? 5 : 7;
			fwrite(p, 1, n, f);
			fprintf(f, "%s-", id);
			p += n;
			continue;
		}
		fputc(*p++, f);
	}
	fclose(f);
	return out;
}

static void collect(struct gp_chart *charts, size_t n, const char *dir)
{
	char path[PATH_MAX];
	size_t len;
	char *areas;

	snprintf(path, sizeof(path), "%s/areas.txt", dir);
	areas = read_file(path, &len);
	for (size_t i = 0; i < n; i++) {
		struct gp_chart *c = &charts[i];
		if (c->svg)
			continue;
		snprintf(path, sizeof(path), "%s/%s.svg", dir, c->id);
		char *raw = read_file(path, &len);
		char key[80];
		snprintf(key, sizeof(key), "%s ", c->id);
		const char *line = NULL;
		for (const char *p = areas; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
			if (!strncmp(p, key, strlen(key)))
				line = p + strlen(key);
		double xmin, xmax, ymin, ymax;
		if (raw && len && line && sscanf(line, "%lf %lf %lf %lf", &xmin, &xmax, &ymin, &ymax) == 4 && xmax > xmin) {
			c->svg = clean_svg(raw, c->id);
			c->x0 = xmin / c->width;
			c->x1 = xmax / c->width;
			c->y0 = 1 - ymax / c->height;
			c->y1 = 1 - ymin / c->height;
		}
		free(raw);
	}
	free(areas);
}

static int draw(struct gp_chart *charts, size_t n, const char *dir, char *err, size_t errlen)
{
	char driver[PATH_MAX], log[PATH_MAX];
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return -errno;
	for (size_t i = 0; i < n; i++)
		if (!charts[i].svg)
			driver_chart(f, dir, &charts[i]);
	fclose(f);
	snprintf(driver, sizeof(driver), "%s/charts.gp", dir);
	snprintf(log, sizeof(log), "%s/gnuplot.log", dir);
	int rc = write_file(dir, "charts.gp", text);
	free(text);
	if (rc < 0) {
		snprintf(err, errlen, "%.200s: %s", driver, strerror(-rc));
		return rc;
	}
	rc = run(driver, log);
	if (rc < -1) {
		snprintf(err, errlen, rc == -ENOENT ? "%s" : "cannot run gnuplot: %s", rc == -ENOENT ? missing : strerror(-rc));
		return rc;
	}
	if (rc < 0)
		first_error(log, err, errlen);
	collect(charts, n, dir);
	return rc;
}

static void remove_dir(const char *dir, const struct gp_chart *charts, size_t n)
{
	static const char *const exts[] = {"dat", "spans", "svg"};
	char path[PATH_MAX];
	for (size_t i = 0; i < n; i++)
		for (size_t e = 0; e < 3; e++) {
			snprintf(path, sizeof(path), "%s/%s.%s", dir, charts[i].id, exts[e]);
			unlink(path);
		}
	static const char *const files[] = {"charts.gp", "gnuplot.log", "areas.txt"};
	for (size_t k = 0; k < 3; k++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[k]);
		unlink(path);
	}
	rmdir(dir);
}

int gnuplot_render(struct gp_chart *charts, size_t n, char *err, size_t errlen)
{
	char dir[1024], name[96];
	const char *tmp = getenv("TMPDIR");
	int rc;

	if ((rc = gnuplot_available(err, errlen)) < 0)
		return rc;
	snprintf(dir, sizeof(dir), "%s/loopscope-report-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (strlen(dir) + 200 > sizeof(dir) || !mkdtemp(dir)) {
		snprintf(dir, sizeof(dir), "/tmp/loopscope-report-XXXXXX");
		if (!mkdtemp(dir)) {
			rc = -errno;
			snprintf(err, errlen, "cannot make a temporary directory for gnuplot: %s", strerror(errno));
			return rc;
		}
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		snprintf(name, sizeof(name), "%s.dat", charts[i].id);
		rc = write_file(dir, name, charts[i].data ? charts[i].data : "");
		snprintf(name, sizeof(name), "%s.spans", charts[i].id);
		if (rc == 0)
			rc = write_file(dir, name, charts[i].spans ? charts[i].spans : "");
		if (rc < 0)
			snprintf(err, errlen, "%.200s/%s: %s", dir, name, strerror(-rc));
	}
	if (rc == 0) {
		char first[256] = "";
		rc = draw(charts, n, dir, first, sizeof(first));
		/* gnuplot stops at its first error: draw the charts it did not reach one by one. */
		if (rc == -1) {
			rc = 0;
			for (size_t i = 0; i < n; i++) {
				if (charts[i].svg)
					continue;
				if (draw(&charts[i], 1, dir, charts[i].error, sizeof(charts[i].error)) < -1)
					break;
			}
		} else if (rc < 0) {
			snprintf(err, errlen, "%s", first);
		}
	}
	remove_dir(dir, charts, n);
	return rc;
}

void gnuplot_chart_free(struct gp_chart *c)
{
	free(c->vars);
	free(c->data);
	free(c->spans);
	free(c->svg);
	c->vars = c->data = c->spans = c->svg = NULL;
}
