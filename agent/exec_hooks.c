/* The exec calls, interposed so that no stack signal of ours is pending when the program image is
 * replaced: the new image has no handler for it and a real-time signal's default action kills
 * (watchdog_before_exec); and so that the image's last records are written (agent_before_exec). glibc's exec family calls execve inside libc, past any interposition, so
 * every public entry is wrapped; the list forms are turned into vectors and go to the vector forms. */
#include <errno.h>
#include <stdarg.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/resolve.h"
#include "agent/watchdog.h"

#define EXPORT __attribute__((visibility("default")))
#define ARGS_MAX 4096 /* arguments a list form may pass (exec itself allows far more in vectors) */

typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*execv_fn)(const char *, char *const[]);
typedef int (*execveat_fn)(int, const char *, char *const[], char *const[], int);
typedef int (*fexecve_fn)(int, char *const[], char *const[]);

/* Around every exec: the guard before, and its release when the exec returned (it failed). */
static int done(int rc)
{
	int saved = errno;
	watchdog_after_exec_failed();
	errno = saved;
	return rc;
}

#define REAL(type, name)                                                             \
	static void *cache_;                                                         \
	type fn = (type)agent_resolve_cached(#name, &cache_);                                        \
	if (!fn)                                                                     \
		return -1;                                                           \
	agent_before_exec();                                                         \
	watchdog_before_exec()

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	REAL(execve_fn, execve);
	return done(fn(path, argv, envp));
}

EXPORT int execv(const char *path, char *const argv[])
{
	REAL(execv_fn, execv);
	return done(fn(path, argv));
}

EXPORT int execvp(const char *file, char *const argv[])
{
	REAL(execv_fn, execvp);
	return done(fn(file, argv));
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	REAL(execve_fn, execvpe);
	return done(fn(file, argv, envp));
}

EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
	REAL(execveat_fn, execveat);
	return done(fn(dirfd, path, argv, envp, flags));
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	REAL(fexecve_fn, fexecve);
	return done(fn(fd, argv, envp));
}

/* The list forms: arguments up to the NULL (and, for execle, the environment after it). */
static int collect(const char *arg0, va_list ap, char **argv, char ***envp)
{
	int n = 0;
	argv[n++] = (char *)arg0;
	while (argv[n - 1]) {
		if (n == ARGS_MAX) {
			errno = E2BIG;
			return -1;
		}
		argv[n++] = va_arg(ap, char *);
	}
	if (envp)
		*envp = va_arg(ap, char **);
	return 0;
}

EXPORT int execl(const char *path, const char *arg, ...)
{
	char *argv[ARGS_MAX];
	va_list ap;
	va_start(ap, arg);
	int rc = collect(arg, ap, argv, NULL);
	va_end(ap);
	return rc < 0 ? -1 : execv(path, argv);
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
	char *argv[ARGS_MAX];
	va_list ap;
	va_start(ap, arg);
	int rc = collect(arg, ap, argv, NULL);
	va_end(ap);
	return rc < 0 ? -1 : execvp(file, argv);
}

EXPORT int execle(const char *path, const char *arg, ...)
{
	char *argv[ARGS_MAX], **envp;
	va_list ap;
	va_start(ap, arg);
	int rc = collect(arg, ap, argv, &envp);
	va_end(ap);
	return rc < 0 ? -1 : execve(path, argv, envp);
}
