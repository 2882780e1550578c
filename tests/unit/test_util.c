/* collector/util/: array growth refuses overflow; the out-of-memory exit is one line and status 70;
 * write_all finishes through short and interrupted writes (write(2) is replaced below for files
 * the test marks), and json_write_file uses it; private files refuse symlinks and, with O_EXCL, a
 * file already there; whole-file reads refuse symlinks, non-files and files over the limit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collector/util/files.h"
#include "collector/util/json_file.h"
#include "collector/util/grow.h"
#include "collector/util/xalloc.h"

/* While short_writes is on, write(2) on descriptors above 2 writes at most 7 bytes and fails every
 * third call with EINTR, as a signal or a full pipe would make it. */
static int short_writes;
static unsigned write_calls;

ssize_t write(int fd, const void *buf, size_t len)
{
	if (short_writes && fd > 2) {
		if (++write_calls % 3 == 0) {
			errno = EINTR;
			return -1;
		}
		if (len > 7)
			len = 7;
	}
	return syscall(SYS_write, fd, buf, len);
}

static char dir[] = "/tmp/test_util.XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* DIR/NAME, in one of four buffers used in turn (two may be arguments of one call). */
static char *path_in(const char *name)
{
	static char path[4][128];
	static unsigned next;
	char *p = path[next++ % 4];
	snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
	return p;
}

static void put(const char *name, const char *text)
{
	FILE *f = fopen(path_in(name), "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_grow(void **state)
{
	(void)state;
	size_t cap = 0;
	int *a = grow_array(NULL, &cap, 1, sizeof(int));
	assert_non_null(a);
	assert_int_equal(cap, 16);
	a = grow_array(a, &cap, 16, sizeof(int)); /* already room */
	assert_int_equal(cap, 16);
	a = grow_array(a, &cap, 100, sizeof(int));
	assert_non_null(a);
	assert_int_equal(cap, 128);
	a[99] = 7;
	/* need * elem past SIZE_MAX: refused, the array and its capacity as they were */
	assert_int_equal(grow_cap(128, SIZE_MAX / 4 + 1, sizeof(int)), 0);
	assert_null(grow_array(a, &cap, SIZE_MAX / 4 + 1, sizeof(int)));
	assert_int_equal(cap, 128);
	assert_int_equal(a[99], 7);
	/* doubling would overflow but need fits: exactly need */
	assert_int_equal(grow_cap(16, SIZE_MAX / 4 + 1, 2), SIZE_MAX / 4 + 1);
	assert_int_equal(grow_cap(16, SIZE_MAX / 2 + 2, 1), SIZE_MAX / 2 + 2);
	assert_int_equal(grow_cap(0, 1, 0), 0);
	size_t xcap = cap;
	a = xgrow_array(a, &xcap, 129, sizeof(int));
	assert_int_equal(xcap, 256);
	assert_int_equal(a[99], 7);
	free(a);
}

/* Run fn in a child; its exit status and what it printed on stderr. */
static int in_child(void (*fn)(void), char *out, size_t outlen)
{
	int pfd[2], status;
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], 2);
		fn();
		_exit(0);
	}
	close(pfd[1]);
	ssize_t n = read(pfd[0], out, outlen - 1);
	out[n > 0 ? n : 0] = 0;
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void grow_overflow(void)
{
	size_t cap = 16;
	void *p = malloc(16 * 8);
	xgrow_array(p, &cap, SIZE_MAX / 8 + 1, 8);
}

static void reallocarray_overflow(void)
{
	xreallocarray(NULL, SIZE_MAX / 2 + 1, 4);
}

static void check_null(void)
{
	xcheck(NULL);
}

static void test_out_of_memory(void **state)
{
	(void)state;
	char out[256];
	assert_int_equal(in_child(grow_overflow, out, sizeof(out)), XALLOC_EXIT);
	assert_string_equal(out, "loopscope: out of memory\n");
	assert_int_equal(in_child(reallocarray_overflow, out, sizeof(out)), 70);
	assert_string_equal(out, "loopscope: out of memory\n");
	assert_int_equal(in_child(check_null, out, sizeof(out)), 70);
	assert_string_equal(out, "loopscope: out of memory\n");
	char *s = xasprintf("%s-%d", "loop", 42);
	assert_string_equal(s, "loop-42");
	free(s);
}

static void test_write_all_short(void **state)
{
	(void)state;
	char text[1000], back[1100];
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)('a' + i % 26);
	int fd = open(path_in("short"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	write_calls = 0;
	short_writes = 1;
	int rc = write_all(fd, text, sizeof(text));
	short_writes = 0;
	assert_int_equal(rc, 0);
	assert_true(write_calls > sizeof(text) / 7); /* it did go through many short writes */
	assert_int_equal(pread(fd, back, sizeof(back), 0), sizeof(text));
	assert_memory_equal(back, text, sizeof(text));
	close(fd);
	int bad[2];
	assert_int_equal(pipe(bad), 0);
	close(bad[0]);
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(write_all(bad[1], "x", 1), -EPIPE);
	close(bad[1]);
}

static void test_json_write_file_short(void **state)
{
	(void)state;
	cJSON *j = cJSON_CreateObject();
	for (int i = 0; i < 200; i++) {
		char key[16];
		snprintf(key, sizeof(key), "k%d", i);
		cJSON_AddNumberToObject(j, key, i * 1.5);
	}
	write_calls = 0;
	short_writes = 1;
	int rc = json_write_file(dir, "j.json", j);
	short_writes = 0;
	assert_int_equal(rc, 0);
	char *want = cJSON_Print(j), *got;
	size_t len;
	assert_int_equal(read_file_limit(path_in("j.json"), 1 << 20, &got, &len, NULL, 0), 0);
	assert_int_equal(len, strlen(want) + 1);
	assert_memory_equal(got, want, strlen(want));
	assert_int_equal(got[len - 1], '\n');
	struct stat st;
	assert_int_equal(stat(path_in("j.json"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(access(path_in(".j.json.tmp"), F_OK), -1); /* renamed away */
	free(want);
	free(got);
	cJSON_Delete(j);
}

static void test_open_private(void **state)
{
	(void)state;
	char *text;
	size_t len;
	put("there", "old\n");
	/* O_EXCL: a file already there is refused and left as it was */
	errno = 0;
	assert_int_equal(open_private(path_in("there"), O_EXCL), -1);
	assert_int_equal(errno, EEXIST);
	assert_null(fopen_private(path_in("there"), O_EXCL));
	assert_int_equal(errno, EEXIST);
	assert_int_equal(read_file_limit(path_in("there"), 100, &text, &len, NULL, 0), 0);
	assert_string_equal(text, "old\n");
	free(text);
	/* O_TRUNC: replaced */
	FILE *f = fopen_private(path_in("there"), O_TRUNC);
	assert_non_null(f);
	fputs("new", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(read_file_limit(path_in("there"), 100, &text, &len, NULL, 0), 0);
	assert_string_equal(text, "new");
	free(text);
	/* a new file is 0600 */
	f = fopen_private(path_in("fresh"), O_EXCL);
	assert_non_null(f);
	fclose(f);
	struct stat st;
	assert_int_equal(stat(path_in("fresh"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* never through a symlink, whichever way: the target keeps its contents */
	assert_int_equal(symlink(path_in("there"), path_in("link")), 0);
	errno = 0;
	assert_int_equal(open_private(path_in("link"), O_TRUNC), -1);
	assert_int_equal(errno, ELOOP);
	assert_int_equal(open_private(path_in("link"), O_EXCL), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(read_file_limit(path_in("there"), 100, &text, &len, NULL, 0), 0);
	assert_string_equal(text, "new");
	free(text);
	/* neither O_EXCL nor O_TRUNC: refused */
	assert_int_equal(open_private(path_in("other"), 0), -1);
	assert_int_equal(errno, EINVAL);
}

static void test_read_file_limit(void **state)
{
	(void)state;
	char err[256], *text = (char *)1, big[100];
	size_t len = 5;
	memset(big, 'x', sizeof(big));
	FILE *f = fopen(path_in("hundred"), "w");
	fwrite(big, 1, sizeof(big), f);
	fclose(f);
	/* exactly the limit reads; one byte over is refused, with the reason */
	assert_int_equal(read_file_limit(path_in("hundred"), 100, &text, &len, err, sizeof(err)), 0);
	assert_int_equal(len, 100);
	assert_memory_equal(text, big, 100);
	assert_int_equal(text[100], 0);
	free(text);
	assert_int_equal(read_file_limit(path_in("hundred"), 99, &text, &len, err, sizeof(err)), -EFBIG);
	assert_null(text);
	assert_int_equal(len, 0);
	assert_non_null(strstr(err, "hundred: larger than 99 bytes"));
	/* a symlink is refused, not followed */
	assert_int_equal(symlink(path_in("hundred"), path_in("hlink")), 0);
	assert_int_equal(read_file_limit(path_in("hlink"), 1000, &text, &len, err, sizeof(err)), -ELOOP);
	assert_non_null(strstr(err, "hlink: a symbolic link"));
	/* not a regular file */
	assert_int_equal(read_file_limit(dir, 1000, &text, &len, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(read_file_limit(path_in("none"), 1000, &text, &len, err, sizeof(err)), -ENOENT);
	/* an empty file; a /proc file whose size says 0 */
	put("empty", "");
	assert_int_equal(read_file_limit(path_in("empty"), 0, &text, &len, err, sizeof(err)), 0);
	assert_int_equal(len, 0);
	assert_string_equal(text, "");
	free(text);
	assert_int_equal(read_file_limit("/proc/self/status", 1 << 20, &text, &len, err, sizeof(err)), 0);
	assert_true(len > 0);
	assert_non_null(strstr(text, "\nPid:"));
	free(text);
	assert_int_equal(read_file_limit("/proc/self/status", 10, &text, &len, err, sizeof(err)), -EFBIG);
}

/* count the entries of the test directory whose name starts with '.' (temporary files) */
static int hidden_files(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "exit $(ls -A %s | grep -c '^\\.')", dir);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* DIR/NAME's contents, read plainly (the test's own hard links are refused by read_file_limit) */
static char *slurp(const char *name)
{
	char *text = calloc(1, 256);
	FILE *f = fopen(path_in(name), "r");
	assert_non_null(f);
	assert_true(fread(text, 1, 255, f) < 255);
	fclose(f);
	return text;
}

static void test_replace_file(void **state)
{
	(void)state;
	struct replace_file r;
	struct stat st;
	char *text;

	/* the file at the path is replaced by a rename, never written through: its old inode (seen
	 * through a second name) keeps its contents, and the new file is ours, 0600 */
	put("target", "old");
	assert_int_equal(chmod(path_in("target"), 0666), 0);
	assert_int_equal(link(path_in("target"), path_in("keep")), 0);
	FILE *f = replace_open(&r, path_in("target"));
	assert_non_null(f);
	fputs("new", f);
	assert_string_equal(text = slurp("target"), "old"); /* not before the commit */
	free(text);
	assert_int_equal(replace_commit(&r), 0);
	assert_string_equal(text = slurp("target"), "new");
	free(text);
	assert_string_equal(text = slurp("keep"), "old");
	free(text);
	assert_int_equal(stat(path_in("target"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_uid, geteuid());
	/* a symlink at the path: replaced, its target untouched */
	put("victim", "precious");
	assert_int_equal(symlink(path_in("victim"), path_in("sl")), 0);
	assert_non_null(f = replace_open(&r, path_in("sl")));
	fputs("report", f);
	assert_int_equal(replace_commit(&r), 0);
	assert_string_equal(text = slurp("victim"), "precious");
	free(text);
	assert_int_equal(lstat(path_in("sl"), &st), 0);
	assert_true(S_ISREG(st.st_mode));
	/* a link to a device (-o /dev/stdout is one): written through, the link left in place (a
	 * rename over /dev/stdout would replace the system's link) */
	assert_int_equal(symlink("/dev/null", path_in("devnull")), 0);
	assert_non_null(f = replace_open(&r, path_in("devnull")));
	fputs("gone", f);
	assert_int_equal(replace_commit(&r), 0);
	assert_int_equal(lstat(path_in("devnull"), &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(hidden_files(), 0);
	/* a directory is not a file to write */
	assert_null(replace_open(&r, dir));
	assert_int_equal(errno, EISDIR);
	/* given up: the path as it was, no temporary file left */
	assert_non_null(f = replace_open(&r, path_in("target")));
	fputs("half", f);
	replace_abort(&r);
	assert_string_equal(text = slurp("target"), "new");
	free(text);
	assert_int_equal(hidden_files(), 0);
	/* a write the disk refuses is the commit's error, with its cause */
	assert_non_null(f = replace_open(&r, path_in("full")));
	fclose(r.f);
	r.f = fopen("/dev/full", "w");
	assert_non_null(r.f);
	fputs("x", r.f);
	assert_int_equal(replace_commit(&r), -ENOSPC);
	assert_int_equal(access(path_in("full"), F_OK), -1);
	assert_int_equal(hidden_files(), 0);
}

/* Readers refuse a file with a second link, or owned by someone other than us, root or the owner
 * of its directory (a file planted by another user). */
static void test_open_regular_owner(void **state)
{
	(void)state;
	char err[256];
	int fd;

	put("one", "x");
	assert_int_equal(link(path_in("one"), path_in("two")), 0);
	assert_int_equal(open_regular(path_in("one"), err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "has 2 links"));
	assert_int_equal(unlink(path_in("two")), 0);
	assert_true((fd = open_regular(path_in("one"), err, sizeof(err))) >= 0);
	close(fd);
	if (geteuid() != 0) {
		print_message("not root: the owner cases need chown (skipped)\n");
		return;
	}
	assert_int_equal(chown(path_in("one"), 65534, 65534), 0);
	assert_int_equal(open_regular(path_in("one"), err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "owned by uid 65534"));
	assert_int_equal(chown(dir, 65534, 65534), 0); /* now the directory's owner's: read */
	fd = open_regular(path_in("one"), err, sizeof(err));
	assert_int_equal(chown(dir, 0, 0), 0);
	assert_true(fd >= 0);
	close(fd);
}

/* getline_limit: lines up to the bound as getline gives them (NULs inside kept), a longer one
 * refused without reading it whole. */
static void test_getline_limit(void **state)
{
	(void)state;
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen(path_in("lines"), "w");
	fwrite("ab\0c\n", 1, 5, f);
	for (int i = 0; i < 100; i++)
		fputc('x', f);
	fputs("\nlast", f);
	fclose(f);
	f = fopen(path_in("lines"), "r");
	assert_int_equal(getline_limit(&line, &cap, f, 64), 5);
	assert_memory_equal(line, "ab\0c\n", 6);
	assert_int_equal(getline_limit(&line, &cap, f, 64), -EFBIG); /* 101 bytes */
	assert_true(cap <= 66);
	fclose(f);
	f = fopen(path_in("lines"), "r");
	assert_int_equal(getline_limit(&line, &cap, f, 200), 5);
	assert_int_equal(getline_limit(&line, &cap, f, 200), 101);
	assert_int_equal(getline_limit(&line, &cap, f, 200), 4); /* no newline at the end */
	assert_string_equal(line, "last");
	assert_int_equal(getline_limit(&line, &cap, f, 200), -1);
	fclose(f);
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grow),
		cmocka_unit_test(test_out_of_memory),
		cmocka_unit_test(test_write_all_short),
		cmocka_unit_test(test_json_write_file_short),
		cmocka_unit_test(test_open_private),
		cmocka_unit_test(test_read_file_limit),
		cmocka_unit_test(test_replace_file),
		cmocka_unit_test(test_open_regular_owner),
		cmocka_unit_test(test_getline_limit),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
