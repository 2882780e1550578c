/* The exports of a session's stack profiles, one format per file: export_folded.c (as is),
 * export_speedscope.c (speedscope's JSON file format), export_cpuprofile.c (Chrome DevTools'
 * .cpuprofile). export.c picks the profile and its source. */
#ifndef LOOPSCOPE_REPORTS_EXPORT_H
#define LOOPSCOPE_REPORTS_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "reports/calltree.h"
#include "reports/frametab.h"
#include "reports/profiles.h"
#include "collector/analysis/blocked.h"
#include "collector/analysis/samples.h"

/* The CPU profile with every sample in time order: the tree of cpu-stacks.txt, the node each of its
 * lines ends in, and cpu-samples.bin. */
struct sampled {
	struct frametab frames;
	struct calltree tree;
	int32_t *node_of_stack; /* line of cpu-stacks.txt -> node (-1 when the line holds no sample) */
	size_t nstacks;
	struct samples samples;
};
/* 0, -ENOENT when the directory has no cpu-samples.bin, other -errno with a reason in err. */
int sampled_load(struct sampled *sp, const char *dir, char *err, size_t errlen);
void sampled_free(struct sampled *sp);

/* Folded lines of a tree: "frame;frame;... count" for each node with a self count. */
void folded_write_tree(FILE *out, const struct frametab *ft, const struct calltree *t);

/* speedscope: one sampled profile (distinct stacks weighted by their counts; ns for off-CPU, bytes
 * for the native heap's). */
void speedscope_write_tree(FILE *out, const struct frametab *ft, const struct profile *p, const char *name);
/* speedscope: one sampled profile per thread, samples in time order, weights in ns. */
void speedscope_write_sampled(FILE *out, const struct sampled *sp, const char *name);

/* .cpuprofile with samples synthesized from the counts: PERIOD_US apart (a profile in ns: one
 * sample per stack, as long as its time); NOTE says so in the file. */
void cpuprofile_write_tree(FILE *out, const struct frametab *ft, const struct profile *p, double period_us,
			   const char *note);
/* .cpuprofile with every sample at its time. */
void cpuprofile_write_sampled(FILE *out, const struct sampled *sp);

/* pprof (a gzipped profile.proto) of profile P, the profile KEY (enum profile_key) of the session:
 * its sample types, and PERIOD_NS the time a sample stands for (cpu, blocked; 0 for the others);
 * COMMENT a line for humans; the stack's first frame as a label ("thread"). 0, or -EIO when OUT
 * failed. */
int pprof_write_tree(FILE *out, const struct frametab *ft, const struct profile *p, int key, double period_ns,
		     const char *comment);
/* A thread that ran an event loop: CPU samples of it are labelled loop=main or loop=worker. */
struct pprof_loop {
	int pid, tid;
	bool main;
};
/* pprof of CPU samples, profile KEY (PROFILE_CPU or PROFILE_BLOCKED): every sample of SP, or only
 * PICKS[0..NPICKS) when PICKS is not NULL (the blocked profile's); a sample per (process, thread,
 * stack) labelled thread (its name), pid, tid, and loop when LOOPS has the thread. */
int pprof_write_sampled(FILE *out, const struct sampled *sp, int key, const struct blocked_sample *picks, size_t npicks,
			const struct pprof_loop *loops, size_t nloops, double period_ns, const char *comment);
/* pprof of the native heap (KEY PROFILE_HEAP or PROFILE_ALLOC: the sample type shown first): V the
 * four profiles alloc_objects, alloc_space, inuse_objects, inuse_space as folded stacks ("process;
 * outer;...;inner"), their frames interned into FT and described from FRAMES_PATH (NULL: guessed). */
int pprof_write_heap(FILE *out, struct frametab *ft, const struct folded *v[4], int key, const char *frames_path,
		     const char *comment);

/* The path of a location "path:line[:col]" (its length), with line and col (1-based; 0 unknown). */
size_t export_split_location(const char *loc, long *line, long *col);
/* The frames of node V, root first, into buf (at most max); returns how many (the root excluded). */
size_t export_path(const struct calltree *t, uint32_t v, uint32_t *buf, size_t max);

#endif
