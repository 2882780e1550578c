/* Agent settings from the environment, read once when the library loads. Bad values fall back to
 * defaults (the agent never refuses to let its host start). */
#include "agent/agent.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct agent_config agent_cfg;
uint64_t agent_drops[DROP_KINDS];

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
	agent_cfg.tick_ns = env_ms("LOOPSCOPE_TICK_MS", 10, 1, 1000);
	agent_cfg.stack_interval_ns = env_ms("LOOPSCOPE_STACK_MS", 10, 1, 60000);
	agent_cfg.delay_resolution_ns = 10000000u;
	agent_cfg.max_stacks_per_block = (unsigned)env_num("LOOPSCOPE_MAX_STACKS", 100, 1, 10000);
	agent_cfg.signo = SIGRTMIN + 6;
	if ((s = getenv("LOOPSCOPE_SIGNAL")) && *s) {
		int n = atoi(s);
		if (n >= SIGRTMIN && n <= SIGRTMAX)
			agent_cfg.signo = n;
	}
	agent_cfg.debug = (s = getenv("LOOPSCOPE_DEBUG")) && *s && strcmp(s, "0") != 0;
	agent_cfg.disabled = (s = getenv("LOOPSCOPE_DISABLE")) && *s && strcmp(s, "0") != 0;
	agent_cfg.dir = (s = getenv("LOOPSCOPE_DIR")) && *s ? s : NULL;
}

pid_t agent_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

void agent_debug(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n, off;

	if (!agent_cfg.debug)
		return;
	off = snprintf(buf, sizeof(buf), "loopscope[%d]: ", (int)getpid());
	va_start(ap, fmt);
	n = vsnprintf(buf + off, sizeof(buf) - (size_t)off - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n += off;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, (size_t)n) < 0)
		return;
}
