/* Agent settings from the environment, read once when the library loads. Bad values fall back to
 * defaults (the agent never refuses to let its host start). */
#include "agent/agent.h"
#include "agent/loop_model.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct agent_config agent_cfg;
uint64_t agent_drops[DROP_KINDS];

/* LOOPSCOPE_DIR, copied: nginx and redis overwrite their environment in place for a process title,
 * so a pointer kept from getenv() would later read as the title's bytes or as nothing. */
static char dir_copy[4096], tmpdir_copy[3072], metrics_copy[128];

/* The target's stderr as it was at load: agent_warn writes only while descriptor 2 is still that
 * file (a daemon that closed it may have reopened the number for a file of its own). */
static struct {
	bool ok;
	dev_t dev;
	ino_t ino;
} stderr_at_load;

static const char *env_copy(const char *name, char *buf, size_t cap)
{
	const char *s = getenv(name);
	if (!s || !*s || strlen(s) >= cap)
		return NULL;
	memcpy(buf, s, strlen(s) + 1);
	return buf;
}

static uint64_t env_num(const char *name, uint64_t def, uint64_t min, uint64_t max)
{
	const char *s = getenv(name);
	char *end;
	unsigned long long v;

	if (!s || !*s)
		return def;
	v = strtoull(s, &end, 10);
	if (*end || v < min || v > max)
		return def;
	return (uint64_t)v;
}

static uint64_t env_ms(const char *name, uint64_t def_ms, uint64_t min_ms, uint64_t max_ms)
{
	return env_num(name, def_ms, min_ms, max_ms) * 1000000u;
}

void agent_config_load(void)
{
	const char *s;

	agent_cfg.block_ns = env_ms("LOOPSCOPE_BLOCK_MS", 50, 1, 3600000);
	agent_cfg.interval_ns = env_ms("LOOPSCOPE_INTERVAL_MS", 100, 10, 60000);
	agent_cfg.tick_ns = env_ms("LOOPSCOPE_TICK_MS", 50, 1, 1000);
	agent_cfg.stack_interval_ns = env_ms("LOOPSCOPE_STACK_MS", 10, 1, 60000);
	agent_cfg.delay_resolution_ns = LOOP_DELAY_RESOLUTION_NS;
	agent_cfg.max_stacks_per_block = (unsigned)env_num("LOOPSCOPE_MAX_STACKS", 100, 1, 10000);
	agent_cfg.signo = SIGRTMIN + 6;
	if ((s = getenv("LOOPSCOPE_SIGNAL")) && *s) {
		int n = atoi(s);
		if (n >= SIGRTMIN && n <= SIGRTMAX)
			agent_cfg.signo = n;
	}
	agent_cfg.debug = (s = getenv("LOOPSCOPE_DEBUG")) && *s && strcmp(s, "0") != 0;
	struct stat st;
	if (fstat(STDERR_FILENO, &st) == 0 && !S_ISSOCK(st.st_mode))
		stderr_at_load = (typeof(stderr_at_load)){true, st.st_dev, st.st_ino};
	agent_cfg.quiet = (s = getenv("LOOPSCOPE_QUIET")) && *s && strcmp(s, "0") != 0;
	agent_cfg.disabled = (s = getenv("LOOPSCOPE_DISABLE")) && *s && strcmp(s, "0") != 0;
	agent_cfg.dir = env_copy("LOOPSCOPE_DIR", dir_copy, sizeof(dir_copy));
	agent_cfg.tmpdir = env_copy("TMPDIR", tmpdir_copy, sizeof(tmpdir_copy));
	agent_cfg.metrics = env_copy("LOOPSCOPE_METRICS", metrics_copy, sizeof(metrics_copy));
	if (!agent_cfg.metrics && (s = getenv("LOOPSCOPE_METRICS")) && *s)
		agent_cfg.metrics = "(too long)"; /* refused, with its warning, when the agent thread starts */
}

pid_t agent_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static void say(const char *fmt, va_list ap)
{
	char buf[512];
	int n, off;

	off = snprintf(buf, sizeof(buf), "loopscope[%d]: ", (int)getpid());
	n = vsnprintf(buf + off, sizeof(buf) - (size_t)off - 1, fmt, ap);
	if (n < 0)
		return;
	n += off;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, (size_t)n) < 0)
		return;
}

void agent_debug(const char *fmt, ...)
{
	va_list ap;

	if (!agent_cfg.debug)
		return;
	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
}

void agent_warn(const char *fmt, ...)
{
	struct stat st;
	va_list ap;

	if (agent_cfg.quiet && !agent_cfg.debug)
		return;
	if (!stderr_at_load.ok || fstat(STDERR_FILENO, &st) < 0 || st.st_dev != stderr_at_load.dev ||
	    st.st_ino != stderr_at_load.ino)
		return;
	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
}
