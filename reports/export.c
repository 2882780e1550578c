/* loopscope report --format folded|speedscope|cpuprofile: the profile asked for (or the first
 * recorded of cpu, blocked, off-CPU), from its folded file, from the CPU samples themselves when
 * the format keeps time order, or from the agent's records (watchdog stacks, native heap) for an
 * agent-only session. The native heap's profiles count bytes: folded and speedscope say so, a
 * .cpuprofile (samples and times) cannot, and is refused. */
#include "reports/report.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/analysis/analyze.h"
#include "collector/analysis/session.h"
#include "collector/util/files.h"
#include "collector/util/xalloc.h"
#include "reports/export.h"

size_t export_split_location(const char *loc, long *line, long *col)
{
	size_t len = strlen(loc), end = len;
	long nums[2] = {0, 0};
	int k = 0;
	*line = *col = 0;
	while (k < 2 && end > 0) {
		size_t i = end;
		while (i > 0 && loc[i - 1] >= '0' && loc[i - 1] <= '9')
			i--;
		if (i == end || i == 0 || loc[i - 1] != ':')
			break;
		nums[k++] = strtol(loc + i, NULL, 10);
		end = i - 1;
	}
	if (k == 2) {
		*line = nums[1];
		*col = nums[0];
	} else if (k == 1) {
		*line = nums[0];
	}
	return end;
}

size_t export_path(const struct calltree *t, uint32_t v, uint32_t *buf, size_t max)
{
	size_t n = 0;
	for (int32_t u = (int32_t)v; u > 0; u = t->parent[u])
		n++;
	if (n > max)
		n = max;
	size_t i = n;
	for (int32_t u = (int32_t)v; u > 0 && i > 0; u = t->parent[u])
		buf[--i] = (uint32_t)t->frame[u];
	return n;
}

void folded_write_tree(FILE *out, const struct frametab *ft, const struct calltree *t)
{
	uint32_t *path = xmalloc(4096 * sizeof(*path));
	for (uint32_t v = 1; v < t->n; v++) {
		if (!t->self[v])
			continue;
		size_t n = export_path(t, v, path, 4096);
		for (size_t i = 0; i < n; i++) {
			if (i)
				fputc(';', out);
			fwrite(ft->v[path[i]].text, 1, ft->v[path[i]].len, out);
		}
		fprintf(out, " %llu\n", (unsigned long long)t->self[v]);
	}
	free(path);
}

int sampled_load(struct sampled *sp, const char *dir, char *err, size_t errlen)
{
	struct lines stacks;
	struct stack_reader r;
	char path[PATH_MAX];
	int rc;

	memset(sp, 0, sizeof(*sp));
	if ((rc = samples_open(&sp->samples, dir, err, errlen)) < 0)
		return rc;
	snprintf(path, sizeof(path), "%s/cpu-stacks.txt", dir);
	if ((rc = lines_read(&stacks, path)) < 0) {
		/* Samples without their stacks: as if there were none (cpu.folded may still be there). */
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		samples_close(&sp->samples);
		return -ENOENT;
	}
	frametab_init(&sp->frames);
	calltree_init(&sp->tree);
	uint32_t *leaf = xmalloc((stacks.n + 1) * sizeof(*leaf));
	stack_reader_init(&r, &sp->frames, &sp->tree);
	for (size_t i = 0; i < stacks.n; i++)
		leaf[i] = stack_reader_add(&r, stacks.line[i], stacks.len[i], 0);
	stack_reader_free(&r);
	for (size_t i = 0; i < sp->samples.n; i++) {
		struct sample s;
		samples_get(&sp->samples, i, &s);
		if (s.stack < stacks.n)
			sp->tree.self[leaf[s.stack]]++;
	}
	snprintf(path, sizeof(path), "%s/frames.jsonl", dir);
	frametab_describe(&sp->frames, path);
	frametab_guess(&sp->frames);
	uint32_t *rank = frametab_ranks(&sp->frames);
	int32_t *remap;
	calltree_finish(&sp->tree, rank, &remap);
	free(rank);
	sp->nstacks = stacks.n;
	sp->node_of_stack = xmalloc((stacks.n + 1) * sizeof(*sp->node_of_stack));
	for (size_t i = 0; i < stacks.n; i++)
		sp->node_of_stack[i] = remap[leaf[i]];
	free(remap);
	free(leaf);
	lines_free(&stacks);
	return 0;
}

void sampled_free(struct sampled *sp)
{
	frametab_free(&sp->frames);
	calltree_free(&sp->tree);
	free(sp->node_of_stack);
	samples_close(&sp->samples);
	memset(sp, 0, sizeof(*sp));
}

/* The sampling rate recorded in session.json ("options": {"hz": N}), else 99. */
static double session_hz(const char *dir)
{
	double hz = 99;
	cJSON *j;
	if (session_meta_read(dir, &j, NULL, 0) < 0 || !j)
		return hz;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "options"), "hz");
	if (cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble <= 1e6) /* else not ours: the default */
		hz = v->valuedouble;
	cJSON_Delete(j);
	return hz;
}

static int copy_file(const char *path, FILE *out, char *err, size_t errlen)
{
	FILE *in = fopen_regular(path, err, errlen);
	char buf[65536];
	size_t n;
	if (!in)
		return -errno;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	return ferror(out) ? -EIO : 0;
}

static int export_sampled(const char *dir, enum report_format format, FILE *out, char *err, size_t errlen)
{
	struct sampled sp;
	int rc = sampled_load(&sp, dir, err, errlen);
	if (rc < 0)
		return rc;
	if (format == REPORT_SPEEDSCOPE)
		speedscope_write_sampled(out, &sp, "All CPU");
	else
		cpuprofile_write_sampled(out, &sp);
	sampled_free(&sp);
	return 0;
}

/* The loops of DIR/summary.json (pid, tid, main), or NULL when it cannot be read. */
static struct pprof_loop *summary_loops(const char *dir, size_t *n)
{
	char path[PATH_MAX], *text, why[256];
	size_t len;
	struct pprof_loop *loops = NULL;

	*n = 0;
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	if (read_file_limit(path, 64 << 20, &text, &len, why, sizeof(why)) < 0)
		return NULL;
	cJSON *j = cJSON_ParseWithLength(text, len), *l;
	free(text);
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "loops");
	if (cJSON_IsArray(arr)) {
		loops = xcalloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(*loops));
		cJSON_ArrayForEach(l, arr) {
			const cJSON *pid = cJSON_GetObjectItemCaseSensitive(l, "pid"),
				    *tid = cJSON_GetObjectItemCaseSensitive(l, "tid");
			if (cJSON_IsNumber(pid) && cJSON_IsNumber(tid))
				loops[(*n)++] = (struct pprof_loop){pid->valueint, tid->valueint,
								    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(l, "main"))};
		}
	}
	cJSON_Delete(j);
	return loops;
}

/* pprof of CPU samples themselves, threads and loops labelled: all of them (cpu), or those inside
 * blocks (blocked) when every stack of that profile is a sample. -ENOENT without cpu-samples.bin, or
 * for a blocked profile that holds watchdog stacks (the caller writes it from the folded stacks). */
static int pprof_sampled(const char *dir, int key, FILE *out, char *note, size_t notelen, char *err, size_t errlen)
{
	struct sampled sp;
	struct session s;
	struct summary sum;
	struct analysis_profiles made = {0};
	struct pprof_loop *loops = NULL;
	size_t nloops = 0;
	char comment[PATH_MAX + 64], why[256];
	int rc = sampled_load(&sp, dir, err, errlen);

	if (rc < 0)
		return -ENOENT; /* unreadable samples: cpu.folded may still serve */
	/* The loops' threads, when the agent recorded them (a probes-only session has none): from
	 * summary.json, or from the analysis the blocked profile needs anyway (which would load the
	 * samples a second time for cpu alone). */
	memset(&sum, 0, sizeof(sum));
	if (key == PROFILE_CPU)
		loops = summary_loops(dir, &nloops);
	if (!loops && analyze_session(dir, &s, &sum, key == PROFILE_BLOCKED ? &made : NULL, why, sizeof(why)) == 0) {
		loops = xcalloc(sum.nloops ? sum.nloops : 1, sizeof(*loops));
		for (unsigned i = 0; i < sum.nloops; i++)
			loops[nloops++] = (struct pprof_loop){sum.loops[i].pid, sum.loops[i].tid, sum.loops[i].main};
		summary_free(&sum);
		session_free(&s);
	}
	const struct blocked_samples *picks = key == PROFILE_BLOCKED ? &made.blocked_samples : NULL;
	if (picks && (!picks->n || picks->watchdog)) {
		rc = -ENOENT;
	} else {
		snprintf(comment, sizeof(comment), "loopscope: the %s profile of %s, from cpu-samples.bin%s",
			 profile_keys[key], dir, picks ? " (the samples inside blocks)" : "");
		rc = pprof_write_sampled(out, &sp, key, picks ? picks->v : NULL, picks ? picks->n : 0, loops, nloops,
					 1e9 / session_hz(dir), comment);
		if (rc < 0)
			snprintf(err, errlen, "writing the pprof profile: %s", strerror(-rc));
		else if (note)
			snprintf(note, notelen, "the %s profile (cpu-samples.bin: %zu samples)", profile_keys[key],
				 picks ? picks->n : sp.samples.n);
	}
	free(loops);
	analysis_profiles_free(&made);
	sampled_free(&sp);
	return rc;
}

/* pprof of the native heap: its four figures per stack, from the agent's records. -ENOENT when the
 * records cannot be read or hold no native heap (the caller falls back to the folded files). */
static int pprof_heap(const char *dir, int key, FILE *out, char *note, size_t notelen, char *err, size_t errlen)
{
	struct session s;
	struct summary sum;
	struct analysis_profiles made = {0};
	struct frametab ft;
	char comment[PATH_MAX + 64], frames[PATH_MAX];
	int rc;

	memset(&sum, 0, sizeof(sum));
	if (analyze_session(dir, &s, &sum, &made, err, errlen) < 0 || !made.native) {
		analysis_profiles_free(&made); /* no records to read: the folded files may still serve */
		return -ENOENT;
	}
	summary_free(&sum);
	session_free(&s);
	const struct folded *v[4] = {&made.native_alloc_objects, &made.native_alloc, &made.native_live_objects,
				     &made.native_live};
	snprintf(comment, sizeof(comment), "loopscope: the native heap of %s, from the agent's native_heap records", dir);
	snprintf(frames, sizeof(frames), "%s/frames.jsonl", dir);
	frametab_init(&ft);
	rc = pprof_write_heap(out, &ft, v, key, frames, comment);
	if (rc < 0)
		snprintf(err, errlen, "writing the pprof profile: %s", strerror(-rc));
	else if (note)
		snprintf(note, notelen, "the native heap (alloc_objects, alloc_space, inuse_objects, inuse_space; %s first)",
			 key == PROFILE_ALLOC ? "alloc_space" : "inuse_space");
	frametab_free(&ft);
	analysis_profiles_free(&made);
	return rc;
}

int report_export(const char *dir, enum report_format format, const char *profile, FILE *out, char *note,
		  size_t notelen, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct profile_set ps;
	int key = profile ? profile_index(profile) : -1, rc;

	if (note && notelen)
		note[0] = 0;
	if (format == REPORT_HTML) {
		snprintf(err, errlen, "report_export: html is not an export (report_write writes it)");
		return -EINVAL;
	}
	if (profile && key < 0) {
		snprintf(err, errlen, "unknown profile '%s' (cpu, blocked, offcpu, heap or alloc)", profile);
		return -EINVAL;
	}
	if (key >= 0 && profile_units[key] == UNIT_BYTES && format == REPORT_CPUPROFILE) {
		snprintf(err, errlen, "the %s profile counts bytes, which a .cpuprofile (samples in time) cannot hold: "
				      "export it with --format folded or speedscope", profile);
		return -EINVAL;
	}
	if (access(dir, R_OK | X_OK) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return rc;
	}
	/* The folded file as it is, when there is one. */
	if (format == REPORT_FOLDED) {
		for (int k = key < 0 ? 0 : key; k < PROFILE_KEYS && (key >= 0 || profile_default(k)); k++) {
			snprintf(path, sizeof(path), "%s/%s", dir, profile_files[k]);
			if (access(path, R_OK) == 0) {
				if (key < 0 && note)
					snprintf(note, notelen, "the %s profile (%s)", profile_keys[k], profile_files[k]);
				return copy_file(path, out, err, errlen);
			}
			/* A profile asked for, or CPU samples without cpu.folded: read below. */
			snprintf(path, sizeof(path), "%s/cpu-samples.bin", dir);
			if (key >= 0 || (k == PROFILE_CPU && access(path, R_OK) == 0))
				break;
		}
	}
	/* CPU samples in time order, for the formats that keep it. */
	if ((key == PROFILE_CPU || key < 0) && format != REPORT_FOLDED && format != REPORT_PPROF) {
		rc = export_sampled(dir, format, out, err, errlen);
		if (rc != -ENOENT) {
			if (rc == 0 && key < 0 && note)
				snprintf(note, notelen, "the cpu profile (cpu-samples.bin, every sample at its time)");
			return rc;
		}
	}
	/* pprof: CPU samples with their threads and loops, the native heap with its objects. */
	if (format == REPORT_PPROF && (key == PROFILE_CPU || key == PROFILE_BLOCKED || key < 0)) {
		rc = pprof_sampled(dir, key < 0 ? PROFILE_CPU : key, out, note, notelen, err, errlen);
		if (rc != -ENOENT)
			return rc;
	}
	if (format == REPORT_PPROF && key >= 0 && profile_units[key] == UNIT_BYTES) {
		rc = pprof_heap(dir, key, out, note, notelen, err, errlen);
		if (rc != -ENOENT)
			return rc;
	}
	/* Otherwise the profiles as the report reads them (the watchdog's stacks when there is no
	 * blocked.folded, the native heap's when there is no native-live.folded: those need the session
	 * analyzed). */
	if (key < 0 || key == PROFILE_BLOCKED || profile_units[key] == UNIT_BYTES)
		rc = profiles_load_session(&ps, dir, err, errlen);
	else
		rc = profiles_load(&ps, dir, NULL, err, errlen);
	if (rc == 0) {
		if (key < 0)
			for (int k = 0; k < PROFILE_KEYS && key < 0; k++)
				if (ps.p[k].present && profile_default(k))
					key = k;
		if (key < 0) {
			snprintf(err, errlen, "%s holds no stack profile (no cpu.folded, blocked.folded, offcpu.folded, "
					      "cpu-samples.bin, nor stacks from the agent's watchdog)",
				 dir);
			rc = -ENOENT;
		} else if (!ps.p[key].present) {
			snprintf(err, errlen, "the %s profile is not in this session: %s", profile_keys[key], ps.p[key].absent);
			rc = -ENOENT;
		} else {
			const struct profile *p = &ps.p[key];
			/* Blocked-loop stacks are CPU samples when the probes ran, else the watchdog's (every
			 * LOOPSCOPE_STACK_MS, 10 ms by default). */
			double period_us = key == PROFILE_BLOCKED && !ps.p[PROFILE_CPU].present ? 10000.0 : 1e6 / session_hz(dir);
			if (note)
				snprintf(note, notelen, "the %s profile (from %s)", profile_keys[key], p->source);
			if (format == REPORT_FOLDED) {
				folded_write_tree(out, &ps.frames, &p->tree);
			} else if (format == REPORT_PPROF) {
				char comment[256];
				snprintf(comment, sizeof(comment), "loopscope: the %s profile of %s, from %s", profile_keys[key],
					 dir, p->source);
				double period_ns = key == PROFILE_CPU || key == PROFILE_BLOCKED ? period_us * 1000 : 0;
				rc = pprof_write_tree(out, &ps.frames, p, key, period_ns, comment);
				if (rc < 0)
					snprintf(err, errlen, "writing the pprof profile: %s", strerror(-rc));
			} else if (format == REPORT_SPEEDSCOPE) {
				speedscope_write_tree(out, &ps.frames, p, profile_titles[key]);
			} else {
				char msg[256];
				if (p->unit == UNIT_NS)
					snprintf(msg, sizeof(msg), "synthesized: one sample per distinct stack of %s, as long as "
								   "its time off CPU",
						 p->source);
				else
					snprintf(msg, sizeof(msg), "synthesized: %s has counts, not times; samples are "
								   "spaced evenly, %.0f us apart",
						 p->source, period_us);
				cpuprofile_write_tree(out, &ps.frames, p, period_us, msg);
				if (note)
					snprintf(note + strlen(note), notelen - strlen(note), "; samples %s", msg);
			}
		}
	}
	profiles_free(&ps);
	return rc;
}
