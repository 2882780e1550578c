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

/* The list forms, as glibc builds them: the arguments counted, then a vector of exactly that size
 * on the caller's stack (no fixed buffer that a small thread stack could not hold). */
#define LIST_TO_VECTOR(arg0, argv, envp, with_env)                                     \
	va_list ap_;                                                                 \
	size_t argc_ = 1;                                                            \
	va_start(ap_, arg0);                                                         \
	while (va_arg(ap_, char *))                                                  \
		argc_++;                                                             \
	va_end(ap_);                                                                 \
	char *argv[argc_ + 1];                                                       \
	argv[0] = (char *)(arg0);                                                    \
	va_start(ap_, arg0);                                                         \
	for (size_t i_ = 1; i_ <= argc_; i_++)                                       \
		argv[i_] = va_arg(ap_, char *);                                      \
	if (with_env) /* only execle passes one */                                  \
		envp = va_arg(ap_, char **);                                         \
	va_end(ap_)

EXPORT int execl(const char *path, const char *arg, ...)
{
	char **envp = NULL;
	LIST_TO_VECTOR(arg, argv, envp, 0);
	(void)envp;
	return execv(path, argv);
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
	char **envp = NULL;
	LIST_TO_VECTOR(arg, argv, envp, 0);
	(void)envp;
	return execvp(file, argv);
}

EXPORT int execle(const char *path, const char *arg, ...)
{
	char **envp = NULL;
	LIST_TO_VECTOR(arg, argv, envp, 1);
	return execve(path, argv, envp);
}
