/* Loading a session's profiles into call trees: folded files read whole and parsed line by line
 * (sharing the work of a prefix with the line before), frames described from frames.jsonl or
 * guessed, and the trees put in the viewer's order. */
#include "reports/profiles.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/analysis/analyze.h"
#include "collector/analysis/native_heap.h"
#include "collector/util/grow.h"
#include "collector/util/xalloc.h"
#include "collector/analysis/samples.h"

const char *const profile_keys[PROFILE_KEYS] = {"cpu", "blocked", "offcpu", "heap", "alloc"};
const char *const profile_titles[PROFILE_KEYS] = {"All CPU", "Blocked loop", "Off-CPU", "Native heap: live",
						  "Native heap: allocated"};
const char *const profile_files[PROFILE_KEYS] = {"cpu.folded", "blocked.folded", "offcpu.folded", NATIVE_LIVE_FOLDED,
						 NATIVE_ALLOC_FOLDED};
const enum profile_unit profile_units[PROFILE_KEYS] = {UNIT_SAMPLES, UNIT_SAMPLES, UNIT_NS, UNIT_BYTES, UNIT_BYTES};

const char *profile_unit_word(enum profile_unit unit)
{
	return unit == UNIT_NS ? "ns" : unit == UNIT_BYTES ? "bytes" : "samples";
}

bool profile_default(int key)
{
	return profile_units[key] != UNIT_BYTES;
}

int profile_index(const char *key)
{
	for (int k = 0; k < PROFILE_KEYS; k++)
		if (!strcmp(key, profile_keys[k]))
			return k;
	return -1;
}

void stack_reader_init(struct stack_reader *r, struct frametab *ft, struct calltree *tree)
{
	memset(r, 0, sizeof(*r));
	r->ft = ft;
	r->tree = tree;
}

void stack_reader_free(struct stack_reader *r)
{
	free(r->node);
	free(r->end);
	memset(r, 0, sizeof(*r));
}

static size_t common_prefix(const char *a, const char *b, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t x, y;
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			break;
	}
	while (i < n && a[i] == b[i])
		i++;
	return i;
}

uint32_t stack_reader_add(struct stack_reader *r, const char *stack, size_t len, uint64_t count)
{
	size_t keep = 0, pos = 0;

	if (r->prev) {
		size_t common = common_prefix(stack, r->prev, len < r->prev_len ? len : r->prev_len);
		while (keep < r->depth && r->end[keep] <= common && (r->end[keep] == len || stack[r->end[keep]] == ';'))
			keep++;
		pos = keep ? r->end[keep - 1] + 1 : 0;
	}
	uint32_t node = keep ? r->node[keep - 1] : 0;
	size_t depth = keep;
	/* Unless the whole stack is the previous one's prefix, read its remaining frames. */
	while (!(depth && r->end[depth - 1] == len)) {
		const char *semi = memchr(stack + pos, ';', len - pos);
		size_t end = semi ? (size_t)(semi - stack) : len;
		uint32_t frame = frametab_intern(r->ft, stack + pos, end - pos);
		if (depth == 0)
			r->ft->v[frame].root = true;
		node = calltree_child(r->tree, node, frame);
		if (depth == r->cap) {
			size_t cap = r->cap;
			r->node = xgrow_array(r->node, &cap, depth + 1, sizeof(*r->node));
			r->end = xreallocarray(r->end, cap, sizeof(*r->end));
			r->cap = cap;
		}
		r->node[depth] = node;
		r->end[depth++] = end;
		pos = end + 1;
	}
	r->depth = depth;
	r->prev = stack;
	r->prev_len = len;
	r->tree->self[node] += count;
	return node;
}

bool stack_reader_add_line(struct stack_reader *r, const char *line, size_t len)
{
	const char *space = memrchr(line, ' ', len);
	if (!space || space == line || space + 1 == line + len)
		return false;
	uint64_t count = 0;
	for (const char *p = space + 1; p < line + len; p++) {
		if (*p < '0' || *p > '9' || count > UINT64_MAX / 10 - 9)
			return false;
		count = count * 10 + (uint64_t)(*p - '0');
	}
	stack_reader_add(r, line, (size_t)(space - line), count);
	return true;
}

/* --- the session's files --- */

static int read_folded(struct profile_set *ps, struct profile *p, const char *path, struct lines *keep)
{
	struct stack_reader r;
	int rc = lines_read(keep, path);
	if (rc < 0)
		return rc;
	stack_reader_init(&r, &ps->frames, &p->tree);
	for (size_t i = 0; i < keep->n; i++)
		if (keep->len[i] && stack_reader_add_line(&r, keep->line[i], keep->len[i]))
			p->lines++;
	stack_reader_free(&r);
	return 0;
}

/* cpu.folded's equivalent from the samples themselves. */
static int read_samples(struct profile_set *ps, struct profile *p, const char *dir, struct lines *keep, char *err,
			size_t errlen)
{
	struct samples s;
	struct stack_reader r;
	char path[4096];
	int rc = samples_open(&s, dir, err, errlen);
	if (rc < 0)
		return rc;
	snprintf(path, sizeof(path), "%s/cpu-stacks.txt", dir);
	if ((rc = lines_read(keep, path)) < 0) {
		snprintf(err, errlen, "cpu-stacks.txt: %s", strerror(-rc));
		samples_close(&s);
		return rc;
	}
	uint32_t *leaf = xmalloc((keep->n + 1) * sizeof(*leaf));
	stack_reader_init(&r, &ps->frames, &p->tree);
	for (size_t i = 0; i < keep->n; i++)
		leaf[i] = stack_reader_add(&r, keep->line[i], keep->len[i], 0);
	stack_reader_free(&r);
	for (size_t i = 0; i < s.n; i++) {
		struct sample smp;
		samples_get(&s, i, &smp);
		if (smp.stack < keep->n)
			p->tree.self[leaf[smp.stack]]++;
	}
	p->lines = keep->n;
	free(leaf);
	samples_close(&s);
	return 0;
}

/* A profile the analysis made from the agent's records. */
static void read_made(struct profile_set *ps, struct profile *p, const struct folded *f)
{
	struct stack_reader r;
	stack_reader_init(&r, &ps->frames, &p->tree);
	for (size_t i = 0; i < f->n; i++) {
		stack_reader_add(&r, f->stacks[i], strlen(f->stacks[i]), f->counts[i]);
		p->lines++;
	}
	stack_reader_free(&r);
}

/* Why the native heap's profiles are missing, or what made them instead of their files. */
static void native_fallback(struct profile_set *ps, struct profile *p, const struct analysis_profiles *made, bool live)
{
	if (made && made->native) {
		read_made(ps, p, live ? &made->native_live : &made->native_alloc);
		p->present = true;
		snprintf(p->source, sizeof(p->source), "the agent's native_heap records");
	} else {
		snprintf(p->absent, sizeof(p->absent),
			 "no native heap samples in this session (loopscope run --heap samples native allocations)");
	}
}

int profiles_load(struct profile_set *ps, const char *dir, const struct analysis_profiles *made, char *err,
		  size_t errlen)
{
	struct lines text[PROFILE_KEYS];
	char path[4096], why[256];
	int rc;

	memset(ps, 0, sizeof(*ps));
	memset(text, 0, sizeof(text));
	frametab_init(&ps->frames);
	/* A file that cannot be read costs its profile, not the report: the reason is shown instead. */
	for (int k = 0; k < PROFILE_KEYS; k++) {
		struct profile *p = &ps->p[k];
		calltree_init(&p->tree);
		p->unit = profile_units[k];
		snprintf(path, sizeof(path), "%s/%s", dir, profile_files[k]);
		rc = read_folded(ps, p, path, &text[k]);
		if (rc == 0) {
			p->present = true;
			snprintf(p->source, sizeof(p->source), "%s", profile_files[k]);
			continue;
		}
		if (rc != -ENOENT) {
			snprintf(p->absent, sizeof(p->absent), "%s could not be read (%s)", profile_files[k], strerror(-rc));
			continue;
		}
		if (k == PROFILE_CPU) {
			why[0] = 0;
			rc = read_samples(ps, p, dir, &text[k], why, sizeof(why));
			if (rc == 0) {
				p->present = true;
				snprintf(p->source, sizeof(p->source), "cpu-samples.bin");
			} else if (rc == -ENOENT) {
				snprintf(p->absent, sizeof(p->absent),
					 "no eBPF probes in this session (run loopscope as root, without --no-bpf)");
			} else {
				snprintf(p->absent, sizeof(p->absent), "the CPU samples could not be read: %.200s", why);
			}
		} else if (k == PROFILE_HEAP || k == PROFILE_ALLOC) {
			native_fallback(ps, p, made, k == PROFILE_HEAP);
		} else if (k == PROFILE_BLOCKED) {
			if (made && made->blocked.n) {
				read_made(ps, p, &made->blocked);
				p->present = true;
				snprintf(p->source, sizeof(p->source), "the agent's watchdog stacks");
			} else {
				snprintf(p->absent, sizeof(p->absent),
					 "no stack was caught inside a block (no loop stayed busy past the block "
					 "threshold long enough for the watchdog's first stack)");
			}
		} else {
			snprintf(p->absent, sizeof(p->absent),
				 "the off-CPU probe was not on (loopscope run --offcpu or attach --offcpu turns it "
				 "on, as root: it costs a busy server 1-3 %% of its CPU)");
		}
	}
	snprintf(path, sizeof(path), "%s/frames.jsonl", dir);
	ps->described = frametab_describe(&ps->frames, path) >= 0;
	frametab_guess(&ps->frames);
	uint32_t *rank = frametab_ranks(&ps->frames);
	for (int k = 0; k < PROFILE_KEYS; k++) {
		/* A partial tree from a failed read is dropped whole. */
		if (!ps->p[k].present) {
			calltree_free(&ps->p[k].tree);
			calltree_init(&ps->p[k].tree);
		}
		calltree_finish(&ps->p[k].tree, rank, NULL);
	}
	free(rank);
	/* The frame table holds copies: the files' text can go. */
	for (int k = 0; k < PROFILE_KEYS; k++)
		lines_free(&text[k]);
	(void)err;
	(void)errlen;
	return 0;
}

int profiles_load_session(struct profile_set *ps, const char *dir, char *err, size_t errlen)
{
	struct session s;
	struct summary sum;
	struct analysis_profiles made = {0};
	char blocked[4096], live[4096], why[256];

	snprintf(blocked, sizeof(blocked), "%s/blocked.folded", dir);
	snprintf(live, sizeof(live), "%s/" NATIVE_LIVE_FOLDED, dir);
	memset(&sum, 0, sizeof(sum));
	if ((access(blocked, R_OK) < 0 || access(live, R_OK) < 0) &&
	    analyze_session(dir, &s, &sum, &made, why, sizeof(why)) == 0) {
		summary_free(&sum);
		session_free(&s);
	}
	int rc = profiles_load(ps, dir, &made, err, errlen);
	analysis_profiles_free(&made);
	return rc;
}

void profiles_free(struct profile_set *ps)
{
	for (int k = 0; k < PROFILE_KEYS; k++)
		calltree_free(&ps->p[k].tree);
	frametab_free(&ps->frames);
}
