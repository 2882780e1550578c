/* CPU and off-CPU probes, user space. Sampling runs in the kernel; this side keeps the stream in
 * memory (24 bytes a sample), reads each process image's mappings as soon as it is seen (so a
 * process that exits mid-run still resolves), and at the end names each distinct (image, user
 * stack, kernel stack) once, then writes the folded profiles, the samples and frames.jsonl. */
#include "collector/record/probe_cpu.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "collector/analysis/blocked.h"
#include "collector/analysis/samples_format.h"
#include "collector/symbols/frames.h"
#include "collector/record/session_dir.h"
#include "collector/util/errbuf.h"
#include "collector/symbols/kallsyms.h"
#include "collector/record/probe_util.h"
#include "collector/symbols/symbolize.h"
#include "probes/offcpu.h"
#include "offcpu.skel.h"
#include "probes/profile.h"
#include "profile.skel.h"
#include "collector/util/clock.h"
#include "collector/util/files.h"
#include "collector/util/grow.h"
#include "collector/util/xalloc.h"

#define MAX_SAMPLES (64u << 20) /* 1.5 GiB of samples at most; beyond, samples are counted, not kept */
/* The one frame of an off-CPU stack that waited in an epoll call (OFFCPU_STACK_EPOLL_WAIT). */
#define EPOLL_WAIT_FRAME "epoll_wait (event loop idle: stack not taken)"
#define STACK_TEXT (PROFILE_STACK_DEPTH * 2 * 160 + 64)
/* Mappings of live processes are read again after 1 s, then every 2, 4, 8 and 16 s: the first
 * reading after an exec comes before the libraries are mapped, a later dlopen is rarer, and reading
 * a busy process's maps takes its mmap lock. The end of the run reads them once more. */
#define REFRESH_FIRST_NS 1000000000ull
#define REFRESH_MAX_NS 16000000000ull

/* One image of a process: from its start or an exec, with its mappings read when first seen. */
struct image {
	pid_t pid;
	uint64_t since;
	struct proc_syms *ps;
	char comm[16];
	uid_t uid;
	int nspid;
	bool perf_map_loaded;
};

struct sample {
	uint64_t ts;
	uint32_t pid, tid;
	int32_t ustack, kstack;
};

/* (image, user stack, kernel stack) -> index of its text in the stack table. */
struct stack_slot {
	const struct image *img;
	int32_t ustack, kstack;
	uint32_t index; /* + 1; 0 empty */
};

struct cpu_probe {
	struct cpu_probe_opts o;
	struct symbolizer *sym;
	struct profile_bpf *prof;
	struct offcpu_bpf *off;
	struct bpf_link **perf_links; /* one sampling event per thread opened by hand */
	struct opened { pid_t tid; uint64_t ts; } *opened; /* the thread of each, and when */
	int nperf;
	size_t capperf;
	struct ring_buffer *rb;
	struct image *images;
	size_t nimages, capimages;
	struct sample *samples;
	size_t nsamples, capsamples;
	uint64_t dropped_samples;
	uint64_t resampled; /* tasks that got an event after the fact (PROFILE_UNSAMPLED) */
	struct cpu_probe_crash crash; /* the first process of the tree that crashed */
	struct stack_slot *slots;
	size_t nslots, capslots;
	struct folded stacks;     /* every stack text named, by index */
	struct frame_table *frames;
	char *text, *frame_buf;
	uint64_t last_refresh, refresh_ns;
	/* /proc/kallsyms read and parsed on a thread while the target runs (the kernel takes tens of
	 * ms to format it, and parsing as long): the end of the run takes the table as it is. */
	pthread_t kallsyms_thread;
	bool kallsyms_started;
	struct kallsyms *ksyms;
	int ksyms_err;
};

static void *read_kallsyms(void *arg)
{
	struct cpu_probe *p = arg;
	p->ksyms_err = kallsyms_load("/proc/kallsyms", &p->ksyms);
	return NULL;
}

/* --- process images --- */

static void read_status(pid_t pid, struct image *img)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	img->nspid = (int)pid;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Name:", 5))
			sscanf(line + 5, " %15s", img->comm);
		else if (!strncmp(line, "Uid:", 4))
			sscanf(line + 4, " %*u %u", &img->uid);
		else if (!strncmp(line, "NSpid:", 6)) {
			char *last = strrchr(line, '\t');
			img->nspid = atoi(last ? last + 1 : line + 6);
		}
	}
	fclose(f);
}

/* Empty the stack table (no table yet: nothing to clear; memset of NULL is undefined even for 0). */
static void clear_slots(struct cpu_probe *p)
{
	p->nslots = 0;
	if (p->slots)
		memset(p->slots, 0, p->capslots * sizeof(*p->slots));
}

static struct image *new_image(struct cpu_probe *p, pid_t pid, uint64_t since)
{
	if (p->nimages == p->capimages) {
		p->images = xgrow_array(p->images, &p->capimages, p->nimages + 1, sizeof(*p->images));
		clear_slots(p); /* slots point at images: the table restarts when images move */
	}
	struct image *img = &p->images[p->nimages++];
	memset(img, 0, sizeof(*img));
	img->pid = pid;
	img->since = since;
	read_status(pid, img);
	img->ps = proc_syms_from_pid(p->sym, (int)pid);
	return img;
}

/* The image of pid at time ts (the latest one started by then), or NULL. */
static struct image *image_at(struct cpu_probe *p, pid_t pid, uint64_t ts)
{
	struct image *best = NULL;
	for (size_t i = 0; i < p->nimages; i++) {
		struct image *img = &p->images[i];
		if (img->pid == pid && img->since <= ts && (!best || img->since >= best->since))
			best = img;
	}
	return best;
}

static bool seen(struct cpu_probe *p, pid_t pid)
{
	for (size_t i = p->nimages; i-- > 0;)
		if (p->images[i].pid == pid)
			return true;
	return false;
}

/* --- sampling events --- */

/* One software-clock event on thread tid at o.hz of its CPU time, inherited by the threads and
 * processes it creates later, with the sampler attached. before_exec: tid is a child stopped
 * before its exec; the event counts from the exec on. 0 or -errno. */
static int sample_thread(struct cpu_probe *p, pid_t tid, bool before_exec)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.size = sizeof(attr),
		.sample_period = 1000000000u / p->o.hz, /* ns of the thread's CPU time */
		.inherit = 1,
		.disabled = before_exec,
		.enable_on_exec = before_exec,
	};
	int fd = (int)syscall(SYS_perf_event_open, &attr, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno; /* ESRCH: the thread ended meanwhile */
	struct bpf_link *link = bpf_program__attach_perf_event(p->prof->progs.profile_sample, fd);
	if (!link) {
		int e = errno;
		close(fd);
		return -e;
	}
	if ((size_t)p->nperf == p->capperf) {
		size_t cap = p->capperf;
		p->perf_links = xgrow_array(p->perf_links, &cap, (size_t)p->nperf + 1, sizeof(*p->perf_links));
		p->opened = xreallocarray(p->opened, cap, sizeof(*p->opened));
		p->capperf = cap;
	}
	p->opened[p->nperf] = (struct opened){tid, mono_now_ns()};
	p->perf_links[p->nperf++] = link;
	return 0;
}

/* Whether tid got an event from us after ts (a thread that sample_threads reached after the fork
 * tracepoint had found it without one). */
static bool opened_since(const struct cpu_probe *p, pid_t tid, uint64_t ts)
{
	for (int i = p->nperf; i-- > 0;)
		if (p->opened[i].tid == tid && p->opened[i].ts >= ts)
			return true;
	return false;
}

/* --- the stream --- */

bool crash_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGABRT || sig == SIGTRAP ||
	       sig == SIGSYS;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct cpu_probe *p = ctx;
	const struct profile_event *e = data;

	if (size < sizeof(*e))
		return 0;
	switch (e->type) {
	case PROFILE_SAMPLE:
		if (!seen(p, (pid_t)e->pid))
			new_image(p, (pid_t)e->pid, 0);
		if (p->nsamples == p->capsamples) {
			if (p->capsamples >= MAX_SAMPLES) {
				p->dropped_samples++;
				return 0;
			}
			p->samples = xgrow_array(p->samples, &p->capsamples, p->nsamples + 1, sizeof(*p->samples));
		}
		p->samples[p->nsamples++] = (struct sample){e->ts, e->pid, e->tid, e->user_stack_id, e->kern_stack_id};
		break;
	case PROFILE_FORK:
		if (!seen(p, (pid_t)e->pid))
			new_image(p, (pid_t)e->pid, 0);
		break;
	case PROFILE_EXEC:
		new_image(p, (pid_t)e->pid, e->ts);
		break;
	case PROFILE_EXIT:
		if (!p->crash.pid && crash_signal((int)(e->exit_code & 0x7f))) {
			const struct image *img = image_at(p, (pid_t)e->pid, UINT64_MAX);
			p->crash.pid = (pid_t)e->pid;
			p->crash.signal = (int)(e->exit_code & 0x7f);
			/* the probe's name at exit, else the image's (read from /proc at its exec: a process
			 * that crashes at once is gone before that) */
			snprintf(p->crash.comm, sizeof(p->crash.comm), "%.*s", (int)sizeof(e->comm),
				 e->comm[0] ? e->comm : img ? img->comm : "");
		}
		break;
	case PROFILE_UNSAMPLED:
		/* a task of the tree without our event (made by a thread that had none, or an exec that
		 * made it undumpable dropped it): it gets one now; its own children inherit it */
		if (!opened_since(p, (pid_t)e->tid, e->ts) && sample_thread(p, (pid_t)e->tid, false) == 0)
			p->resampled++;
		break;
	default:
		break;
	}
	return 0;
}

/* --- loading --- */

/* Sample the threads of pid at o.hz while they run: one software-clock event per thread, inherited
 * by the threads and processes it creates later, so the whole tree is sampled and nothing else.
 * Per-CPU events (bcc's profile) interrupt every CPU, idle or running other programs, and on these
 * VMs cost the load generator next to the server a few percent at 99 Hz (docs/performance.md).
 * A thread that a not-yet-sampled thread creates meanwhile is reported by the fork tracepoint
 * (PROFILE_UNSAMPLED) and gets its own event then. Returns the events opened, or -errno when none
 * could be. */
static int sample_threads(struct cpu_probe *p, pid_t pid)
{
	char path[64];
	struct dirent *de;
	int opened = 0, rc, last_err = ESRCH;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		char *end;
		long tid = strtol(de->d_name, &end, 10);
		if (*end || tid <= 0)
			continue;
		if ((rc = sample_thread(p, (pid_t)tid, false)) < 0)
			last_err = -rc;
		else
			opened++;
	}
	closedir(dir);
	return opened ? opened : -last_err;
}

/* Two descriptors per sampled thread: let this process open as many as it may. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void why_not(int e, char *err, size_t errlen, const char *what)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) < 0)
		errbuf_printf(err, errlen, "this kernel has no BTF (/sys/kernel/btf/vmlinux): the eBPF probes need it; use --no-bpf");
	else if (e == EPERM || e == EACCES)
		errbuf_printf(err, errlen, "eBPF needs root (or CAP_BPF and CAP_PERFMON): run as root, or use --no-bpf");
	else
		errbuf_printf(err, errlen, "the kernel refused the %s: %s; use --no-bpf", what, strerror(e));
}

int cpu_probe_start(struct cpu_probe **out, const struct cpu_probe_opts *o, struct symbolizer *sym, char *err,
		    size_t errlen)
{
	struct cpu_probe *p;
	int rc;

	if (!o->hz) {
		errbuf_printf(err, errlen, "CPU sampler: no sampling rate given");
		return -EINVAL;
	}
	p = xcalloc(1, sizeof(*p));
	p->o = *o;
	p->sym = sym;
	p->frames = frame_table_new();
	p->text = xmalloc(STACK_TEXT);
	p->frame_buf = xmalloc(4096);
	probe_libbpf_logging();

	if (!(p->prof = profile_bpf__open())) {
		why_not(errno, err, errlen, "CPU sampler");
		goto fail;
	}
	if ((rc = profile_bpf__load(p->prof)) < 0) {
		why_not(-rc, err, errlen, "CPU sampler");
		goto fail;
	}
	if ((rc = profile_bpf__attach(p->prof)) < 0) {
		why_not(-rc, err, errlen, "CPU sampler's process-tree tracepoints");
		goto fail;
	}
	raise_fd_limit();
	p->rb = ring_buffer__new(bpf_map__fd(p->prof->maps.events), on_event, p, NULL);
	if (!p->rb) {
		errbuf_printf(err, errlen, "cannot read the sample stream: %s", strerror(errno));
		goto fail;
	}
	if (p->o.offcpu) {
		if (!(p->off = offcpu_bpf__open()) || (rc = offcpu_bpf__load(p->off)) < 0 ||
		    (rc = offcpu_bpf__attach(p->off)) < 0) {
			why_not(errno, err, errlen, "off-CPU probe");
			goto fail;
		}
	}
	if (pthread_create(&p->kallsyms_thread, NULL, read_kallsyms, p) == 0)
		p->kallsyms_started = true;
	*out = p;
	return 0;
fail:
	cpu_probe_free(p);
	return -EPERM;
}

/* PID into the target maps of both samplers (the off-CPU one when it runs). */
static int trace_pid(struct cpu_probe *p, pid_t pid)
{
	__u32 key = (__u32)pid;
	__u8 one = 1;
	if (bpf_map__update_elem(p->prof->maps.targets, &key, sizeof(key), &one, sizeof(one), BPF_ANY) < 0)
		return -errno;
	if (p->off && bpf_map__update_elem(p->off->maps.targets, &key, sizeof(key), &one, sizeof(one), BPF_ANY) < 0)
		return -errno;
	return 0;
}

int cpu_probe_add_pid(struct cpu_probe *p, pid_t pid)
{
	int rc = trace_pid(p, pid);
	if (rc < 0)
		return rc;
	if (!seen(p, pid))
		new_image(p, pid, 0);
	int n = sample_threads(p, pid);
	return n < 0 ? n : 0;
}

int cpu_probe_add_child(struct cpu_probe *p, pid_t pid)
{
	int rc = trace_pid(p, pid);
	if (rc < 0)
		return rc;
	/* no image yet: the exec streams one */
	return sample_thread(p, pid, true);
}

bool cpu_probe_crashed(struct cpu_probe *p, struct cpu_probe_crash *out)
{
	ring_buffer__consume(p->rb);
	*out = p->crash;
	return p->crash.pid != 0;
}

bool cpu_probe_traced(struct cpu_probe *p, pid_t pid)
{
	__u32 key = (__u32)pid;
	__u8 v;
	return bpf_map__lookup_elem(p->prof->maps.targets, &key, sizeof(key), &v, sizeof(v), 0) == 0;
}

int cpu_probe_fd(struct cpu_probe *p)
{
	return ring_buffer__epoll_fd(p->rb);
}

/* Read again the mappings of each process's latest image while it lives: the first read comes right
 * after exec, before the loader maps the libraries, and a process may dlopen more later. */
static void refresh_images(struct cpu_probe *p)
{
	for (size_t i = 0; i < p->nimages; i++) {
		struct image *img = &p->images[i];
		if (image_at(p, img->pid, UINT64_MAX) != img)
			continue;
		struct proc_syms *ps = proc_syms_from_pid(p->sym, (int)img->pid);
		if (!ps)
			continue; /* gone: its last reading stays */
		proc_syms_free(img->ps);
		img->ps = ps;
		img->perf_map_loaded = false;
	}
}

int cpu_probe_poll(struct cpu_probe *p)
{
	/* consume, not poll: samples are submitted without a wakeup until 1 MiB waits, so the ring's
	 * epoll fd stays quiet and poll would read nothing on the drain timer */
	int n = ring_buffer__consume(p->rb);

	uint64_t now = mono_now_ns();
	if (now - p->last_refresh >= p->refresh_ns) {
		p->last_refresh = now;
		if (!p->refresh_ns)
			p->refresh_ns = REFRESH_FIRST_NS;
		else if (p->refresh_ns < REFRESH_MAX_NS)
			p->refresh_ns *= 2;
		refresh_images(p);
	}
	return n < 0 && n != -EINTR ? n : 0;
}

/* --- naming stacks --- */

static void load_perf_map(struct cpu_probe *p, struct image *img, const char *dir)
{
	char path[PATH_MAX];
	if (img->perf_map_loaded || !img->ps)
		return;
	img->perf_map_loaded = true;
	snprintf(path, sizeof(path), "%s/perf-%d.map", dir, (int)img->pid);
	if (proc_syms_load_perf_map(img->ps, path, img->uid) >= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/root/tmp/perf-%d.map", (int)img->pid, img->nspid);
	if (proc_syms_load_perf_map(img->ps, path, img->uid) >= 0)
		return;
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)img->pid);
	proc_syms_load_perf_map(img->ps, path, img->uid);
}

_Static_assert(OFFCPU_STACK_DEPTH <= PROFILE_STACK_DEPTH, "append_frames reads both probes' stacks");

/* Append the frames of one stack-map entry, outermost first. switched: a kernel stack the off-CPU
 * probe took in sched_switch, whose every address is a return address and whose innermost frames
 * may still be the tracepoint's and the program's (probes/offcpu.h): those are left out. */
static size_t append_frames(struct cpu_probe *p, int stacks_fd, int32_t id, bool kernel, bool switched,
			    struct image *img, size_t used)
{
	__u64 ips[PROFILE_STACK_DEPTH];
	int n = 0, inner = 0;

	if (id < 0 || bpf_map_lookup_elem(stacks_fd, &id, ips) < 0)
		return used;
	while (n < PROFILE_STACK_DEPTH && ips[n])
		n++;
	for (; kernel && switched && inner < n; inner++) {
		struct frame f;
		kernel_syms_lookup(p->sym, ips[inner] - 1, &f);
		if (!kernel_frame_is_bpf_tracing(&f))
			break;
	}
	for (int i = n; i-- > inner;) {
		struct frame f;
		if (kernel)
			kernel_syms_lookup(p->sym, i || switched ? ips[i] - 1 : ips[i], &f);
		else if (img && img->ps)
			proc_syms_lookup(img->ps, ips[i], i > 0, &f);
		else
			f = (struct frame){.module = "[unknown]", .offset = ips[i], .kind = FRAME_UNKNOWN};
		frame_format(&f, p->frame_buf, 4096);
		frame_table_add(p->frames, p->frame_buf, &f);
		used += (size_t)snprintf(p->text + used, used < STACK_TEXT ? STACK_TEXT - used : 0, ";%s", p->frame_buf);
		if (used >= STACK_TEXT)
			return STACK_TEXT - 1;
	}
	return used;
}

/* The index (in p->stacks) of the named stack of (img, ustack, kstack). */
static uint32_t stack_index(struct cpu_probe *p, struct image *img, const char *comm, int32_t ustack, int32_t kstack,
			    int stacks_fd, bool switched, struct folded *table)
{
	if (p->nslots * 2 >= p->capslots) {
		size_t cap = p->capslots ? p->capslots * 2 : 4096;
		struct stack_slot *old = p->slots;
		size_t oldcap = p->capslots;
		p->slots = xcalloc(cap, sizeof(*p->slots));
		p->capslots = cap;
		for (size_t i = 0; i < oldcap; i++) {
			if (!old[i].index)
				continue;
			size_t h = ((uintptr_t)old[i].img * 31 + (uint32_t)old[i].ustack * 7919u + (uint32_t)old[i].kstack) & (cap - 1);
			while (p->slots[h].index)
				h = (h + 1) & (cap - 1);
			p->slots[h] = old[i];
		}
		free(old);
	}
	size_t mask = p->capslots - 1;
	size_t h = ((uintptr_t)img * 31 + (uint32_t)ustack * 7919u + (uint32_t)kstack) & mask;
	for (; p->slots[h].index; h = (h + 1) & mask)
		if (p->slots[h].img == img && p->slots[h].ustack == ustack && p->slots[h].kstack == kstack)
			return p->slots[h].index - 1;
	size_t used = (size_t)snprintf(p->text, STACK_TEXT, "%s", img && img->comm[0] ? img->comm : comm);
	if (ustack == OFFCPU_STACK_EPOLL_WAIT) {
		/* an event loop waiting for events: the probe took no stacks (probes/offcpu.h) */
		struct frame f = {.name = EPOLL_WAIT_FRAME, .module = "[kernel]", .kind = FRAME_KERNEL};
		frame_format(&f, p->frame_buf, 4096);
		frame_table_add(p->frames, p->frame_buf, &f);
		snprintf(p->text + used, STACK_TEXT - used, ";%s", p->frame_buf);
	} else {
		used = append_frames(p, stacks_fd, ustack, false, false, img, used);
		append_frames(p, stacks_fd, kstack, true, switched, img, used);
	}
	uint32_t index = (uint32_t)folded_add(table, p->text, 0);
	p->slots[h] = (struct stack_slot){img, ustack, kstack, index + 1};
	p->nslots++;
	return index;
}

static int write_samples(struct cpu_probe *p, const char *dir, const uint32_t *index)
{
	char path[PATH_MAX];
	struct replace_file r;
	snprintf(path, sizeof(path), "%s/cpu-samples.bin", dir);
	FILE *f = replace_open(&r, path);
	if (!f)
		return -errno;
	uint32_t head[2] = {p->o.hz, SAMPLES_RECORD};
	fwrite(SAMPLES_MAGIC, 1, SAMPLES_MAGIC_LEN, f);
	fwrite(head, sizeof(head), 1, f);
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct sample *s = &p->samples[i];
		uint32_t flags = (s->ustack < 0 ? SAMPLE_USTACK_LOST : 0u) | (s->kstack < 0 ? SAMPLE_KSTACK_LOST : 0u);
		uint32_t rec[SAMPLES_RECORD / 4] = {(uint32_t)s->ts, (uint32_t)(s->ts >> 32), s->pid, s->tid, index[i], flags};
		fwrite(rec, sizeof(rec), 1, f);
	}
	return replace_commit(&r);
}

static int write_stack_lines(const struct folded *stacks, const char *dir)
{
	char path[PATH_MAX];
	struct replace_file r;
	snprintf(path, sizeof(path), "%s/cpu-stacks.txt", dir);
	FILE *f = replace_open(&r, path);
	if (!f)
		return -errno;
	for (size_t i = 0; i < stacks->n; i++)
		fprintf(f, "%s\n", stacks->stacks[i]);
	return replace_commit(&r);
}

/* A folded profile from an aggregation map of (pid, tid, stacks, comm) -> value; switched: the
 * off-CPU probe's (stacks taken in sched_switch). */
static void fold_map(struct cpu_probe *p, int map_fd, int stacks_fd, size_t key_size, bool switched,
		     struct folded *out)
{
	char key[sizeof(struct profile_key) > sizeof(struct offcpu_key) ? sizeof(struct profile_key)
										: sizeof(struct offcpu_key)];
	char next[sizeof(key)];
	void *prev = NULL;
	struct folded by_key = {0}; /* this map's own stack table: slots must not mix maps */

	while (bpf_map_get_next_key(map_fd, prev, next) == 0) {
		__u64 value;
		memcpy(key, next, key_size);
		prev = key;
		if (bpf_map_lookup_elem(map_fd, key, &value) < 0)
			continue;
		/* profile_key and offcpu_key share their first fields' layout */
		const struct profile_key *k = (const struct profile_key *)key;
		struct image *img = image_at(p, (pid_t)k->pid, UINT64_MAX);
		char comm[TASK_COMM_LEN + 1];
		memcpy(comm, k->comm, TASK_COMM_LEN);
		comm[TASK_COMM_LEN] = 0;
		size_t i = stack_index(p, img, comm, k->user_stack_id, k->kern_stack_id, stacks_fd, switched, &by_key);
		folded_add(out, by_key.stacks[i], value);
	}
	folded_free(&by_key);
}

int cpu_probe_finish(struct cpu_probe *p, const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int rc;

	for (int i = 0; i < p->nperf; i++)
		bpf_link__destroy(p->perf_links[i]);
	p->nperf = 0;
	ring_buffer__consume(p->rb);
	refresh_images(p);
	if (p->kallsyms_started) {
		pthread_join(p->kallsyms_thread, NULL);
		p->kallsyms_started = false;
		kernel_syms_adopt(p->sym, p->ksyms, p->ksyms_err);
		p->ksyms = NULL;
	}
	frame_table_load(p->frames, dir);
	for (size_t i = 0; i < p->nimages; i++)
		load_perf_map(p, &p->images[i], dir);

	/* Every sample's stack, in time order, named once per distinct stack. */
	int stacks_fd = bpf_map__fd(p->prof->maps.stacks);
	uint32_t *index = xmalloc((p->nsamples + 1) * sizeof(*index));
	for (size_t i = 0; i < p->nsamples; i++) {
		struct sample *s = &p->samples[i];
		struct image *img = image_at(p, (pid_t)s->pid, s->ts);
		index[i] = stack_index(p, img, "?", s->ustack, s->kstack, stacks_fd, false, &p->stacks);
	}
	if ((rc = write_stack_lines(&p->stacks, dir)) < 0 || (rc = write_samples(p, dir, index)) < 0) {
		free(index);
		errbuf_printf(err, errlen, "cannot write the CPU samples into %s: %s", dir, strerror(-rc));
		return rc;
	}
	free(index);

	/* cpu.folded from the in-kernel counts: exact even when the stream lost events. */
	struct folded cpu = {0};
	clear_slots(p);
	fold_map(p, bpf_map__fd(p->prof->maps.counts), stacks_fd, sizeof(struct profile_key), false, &cpu);
	snprintf(path, sizeof(path), "%s/cpu.folded", dir);
	rc = folded_write(&cpu, path);
	folded_free(&cpu);
	if (rc == 0 && p->off) {
		struct folded off = {0};
		clear_slots(p);
		fold_map(p, bpf_map__fd(p->off->maps.times), bpf_map__fd(p->off->maps.stacks), sizeof(struct offcpu_key),
			 true, &off);
		snprintf(path, sizeof(path), "%s/offcpu.folded", dir);
		rc = folded_write(&off, path);
		folded_free(&off);
	}
	if (rc == 0)
		rc = frame_table_write(p->frames, dir);
	if (rc < 0)
		errbuf_printf(err, errlen, "cannot write the CPU profiles into %s: %s", dir, strerror(-rc));
	return rc;
}

void cpu_probe_get_stats(const struct cpu_probe *p, struct cpu_probe_stats *out)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals = xcalloc(ncpu > 0 ? (size_t)ncpu : 1, sizeof(__u64));
	uint64_t sums[PROFILE_STATS] = {0};

	memset(out, 0, sizeof(*out));
	for (__u32 k = 0; k < PROFILE_STATS && ncpu > 0; k++) {
		if (bpf_map__lookup_elem(p->prof->maps.stats, &k, sizeof(k), vals, sizeof(__u64) * (size_t)ncpu, 0) < 0)
			continue;
		for (int c = 0; c < ncpu; c++)
			sums[k] += vals[c];
	}
	free(vals);
	out->samples = sums[PROFILE_STAT_SAMPLES];
	out->lost_events = sums[PROFILE_STAT_LOST_EVENTS] + p->dropped_samples;
	out->lost_stacks = sums[PROFILE_STAT_LOST_STACKS];
	out->counts_full = sums[PROFILE_STAT_COUNTS_FULL];
	out->foreign = sums[PROFILE_STAT_FOREIGN];
	out->streamed = p->nsamples;
	out->resampled = p->resampled;
	out->processes = p->nimages;
}

void cpu_probe_free(struct cpu_probe *p)
{
	if (!p)
		return;
	if (p->kallsyms_started)
		pthread_join(p->kallsyms_thread, NULL);
	kallsyms_free(p->ksyms);
	for (int i = 0; i < p->nperf; i++)
		bpf_link__destroy(p->perf_links[i]);
	free(p->perf_links);
	free(p->opened);
	ring_buffer__free(p->rb);
	profile_bpf__destroy(p->prof);
	offcpu_bpf__destroy(p->off);
	for (size_t i = 0; i < p->nimages; i++)
		proc_syms_free(p->images[i].ps);
	free(p->images);
	free(p->samples);
	free(p->slots);
	folded_free(&p->stacks);
	frame_table_free(p->frames);
	free(p->text);
	free(p->frame_buf);
	free(p);
}
