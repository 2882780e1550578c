/* Recorded stacks named through the symbolizer (stack_names.h). */
#include "collector/analysis/stack_names.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool system_module(const char *module)
{
	return !module || module[0] == '[' || !strncmp(module, "/lib/", 5) || !strncmp(module, "/lib64/", 7) ||
	       !strncmp(module, "/usr/lib/", 9) || !strncmp(module, "/usr/lib64/", 11);
}

/* The Python interpreter's own code: the executable python3.11 (Debian links libpython in) or
 * libpython3.11.so. Its frames run Python code, whose functions native stacks do not name. */
bool python_module(const char *module)
{
	const char *base = module ? strrchr(module, '/') : NULL;
	base = base ? base + 1 : module;
	if (!base)
		return false;
	if (!strncmp(base, "libpython", 9))
		return true;
	if (strncmp(base, "python", 6))
		return false;
	for (base += 6; (*base >= '0' && *base <= '9') || *base == '.'; base++)
		;
	return !*base || !base[1];
}

/* Frames on every stack of a loop thread: what starts the process or a thread, and what runs the
 * event loop and waits in it (libuv's, node's, epoll's). The loop is never blocked by them but by
 * what they called. Names compare up to a C++ signature's "(". */
static const char *const scaffolding[] = {
	"_start", "__libc_start_main", "__libc_start_main_impl", "__libc_start_call_main", "main",
	"start_thread", "clone", "clone3", "__clone", "__clone3", "__clone_internal",
	"uv_run", "uv__io_poll", "uv__run_timers", "uv__run_pending", "uv__run_idle", "uv__run_prepare",
	"uv__run_check", "uv__run_closing_handles",
	"epoll_wait", "epoll_pwait", "epoll_pwait2",
	"node::Start", "node::NodeMainInstance::Run", "node::SpinEventLoop", "node::SpinEventLoopInternal",
};

bool scaffolding_frame(const char *name)
{
	size_t len = strcspn(name, "(");
	for (size_t i = 0; i < sizeof(scaffolding) / sizeof(scaffolding[0]); i++)
		if (strlen(scaffolding[i]) == len && !strncmp(name, scaffolding[i], len))
			return true;
	return false;
}

struct proc_syms *stack_proc_syms(struct symbolizer *sym, const struct session *s, const struct s_process *p)
{
	if (!p->maps.len)
		return NULL;
	const struct s_maps *m = vec_at(&p->maps, p->maps.len - 1);
	struct proc_syms *ps = proc_syms_from_maps(sym, p->pid, m->text, NULL);
	if (!ps)
		return NULL;
	/* The perf map was written by the target: accept it only from the target's user, who also
	 * owns its record file. */
	struct stat st;
	uid_t owner = stat(p->file, &st) == 0 ? st.st_uid : geteuid();
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/perf-%d.map", s->dir, p->pid);
	if (proc_syms_load_perf_map(ps, path, owner) < 0 && p->perf_map && p->perf_map[0])
		proc_syms_load_perf_map(ps, p->perf_map, owner);
	return ps;
}

void stack_name_frames(struct proc_syms *ps, const uint64_t *addrs, unsigned n, bool first_is_pc, struct stack_frames *sf,
		       struct frame_table *ft)
{
	sf->n = n < STACK_FRAMES_MAX ? n : STACK_FRAMES_MAX;
	for (unsigned i = 0; i < sf->n; i++) {
		sf->named[i] = ps && proc_syms_lookup(ps, addrs[i], i > 0 || !first_is_pc, &sf->f[i]) == 0;
		if (!ps)
			sf->f[i] = (struct frame){.module = "[unknown]", .offset = addrs[i], .kind = FRAME_UNKNOWN};
		frame_format(&sf->f[i], sf->text[i], sizeof(sf->text[i]));
		if (ft)
			frame_table_add(ft, sf->text[i], &sf->f[i]);
	}
}

void stack_fold(const struct stack_frames *sf, const char *root, char *line, size_t linelen)
{
	size_t used = (size_t)snprintf(line, linelen, "%s", root);
	for (unsigned i = sf->n; i-- > 0 && used < linelen;)
		used += (size_t)snprintf(line + used, linelen - used, ";%s", sf->text[i]);
}

void frame_site(const struct frame *f, char *name, size_t namelen, char *where, size_t wherelen)
{
	const char *base = f->module ? strrchr(f->module, '/') : NULL;
	frame_format_flags(f, FRAME_FORMAT_NO_TIER, name, namelen);
	if (f->location) { /* JS frames read "name location": keep the name alone */
		char *at = strstr(name, f->location);
		if (at && at > name)
			at[-1] = 0;
		snprintf(where, wherelen, "%s", f->location);
	} else {
		snprintf(where, wherelen, "%s", base ? base + 1 : f->module ? f->module : "");
	}
}

struct frame_table *stack_frame_table(const char *dir)
{
	struct frame_table *ft = frame_table_new();
	frame_table_load(ft, dir);
	return ft;
}

void stack_frame_table_write(struct frame_table *ft, const char *dir)
{
	if (frame_table_count(ft))
		frame_table_write(ft, dir);
	frame_table_free(ft);
}
