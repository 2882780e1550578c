/* node's inspector, from outside (inspector.h): find or start it, its WebSocket, its messages. */
#include "collector/record/inspector.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "collector/record/proctree.h"
#include "collector/util/clock.h"
#include "collector/util/errbuf.h"
#include "collector/util/files.h"
#include "collector/util/grow.h"
#include "collector/util/xalloc.h"

#define MAX_PORTS 256
#define HTTP_MAX (64 << 10)
#define MESSAGE_MAX (256u << 20) /* one protocol message; a snapshot comes in chunks far smaller */

/* Whether PID catches SIGUSR1 (SigCgt, bit 9): sending it to a process that does not would end
 * it. Also its executable's name, for the message. */
static int catches_usr1(pid_t pid, char *exe, size_t exelen)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	unsigned long long caught = 0;
	bool have = false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SigCgt: %llx", &caught) == 1)
			have = true;
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(path, exe, exelen - 1);
	exe[n > 0 ? n : 0] = '\0';
	return have && (caught >> (SIGUSR1 - 1) & 1);
}

/* Whether the process was started with an inspector of its own (--inspect... in its command line
 * or NODE_OPTIONS): then its loopback ports are asked for /json/list, never otherwise (they are
 * the application's). */
static bool has_inspect_flag(pid_t pid)
{
	static const char *const files[] = {"cmdline", "environ"};
	for (size_t k = 0; k < 2; k++) {
		char path[64], *text = NULL, err[8];
		size_t len = 0;
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, files[k]);
		if (read_file_limit(path, 1 << 20, &text, &len, err, sizeof(err)))
			continue;
		bool found = false;
		for (size_t i = 0; i < len && !found; i += strlen(text + i) + 1)
			found = strstr(text + i, "--inspect") != NULL;
		free(text);
		if (found)
			return true;
	}
	return false;
}

static int connect_port(unsigned port, int timeout_ms)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS) {
		int e = -errno;
		close(fd);
		return e;
	}
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	int rc = poll(&p, 1, timeout_ms);
	if (rc <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
		close(fd);
		return rc == 0 ? -ETIMEDOUT : -(soerr ? soerr : ECONNREFUSED);
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* Read from FD into IN's buffer, waiting at most TIMEOUT_MS. Bytes read, 0 at the peer's end. */
static ssize_t read_more(struct inspector *in, int timeout_ms)
{
	struct pollfd p = {.fd = in->fd, .events = POLLIN};
	int rc = poll(&p, 1, timeout_ms);
	if (rc < 0)
		return errno == EINTR ? -EINTR : -errno;
	if (rc == 0)
		return -ETIMEDOUT;
	in->buf = xgrow_array(in->buf, &in->cap, in->len + 65536, 1);
	ssize_t n = read(in->fd, in->buf + in->len, in->cap - in->len);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? -EINTR : -errno;
	in->len += (size_t)n;
	return n;
}

static int send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pf = {.fd = fd, .events = POLLOUT};
			if (poll(&pf, 1, 5000) <= 0)
				return -ETIMEDOUT;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The head of an HTTP response in IN's buffer: its length (through the blank line), 0 while it is
 * incomplete. */
static size_t http_head(const struct inspector *in)
{
	for (size_t i = 0; i + 3 < in->len; i++)
		if (!memcmp(in->buf + i, "\r\n\r\n", 4))
			return i + 4;
	return 0;
}

/* Whether the response head BUF (LEN bytes) has status CODE (node answers in HTTP/1.0). */
static bool status_is(const unsigned char *buf, size_t len, const char *code)
{
	return len >= 12 && (!memcmp(buf, "HTTP/1.1 ", 9) || !memcmp(buf, "HTTP/1.0 ", 9)) && !memcmp(buf + 9, code, 3);
}

/* The Content-Length of the response head BUF (LEN bytes), or what HTTP_MAX allows. */
static size_t content_length(const unsigned char *buf, size_t len)
{
	static const char key[] = "\r\ncontent-length:";
	for (size_t i = 0; i + sizeof(key) - 1 < len; i++)
		if (!strncasecmp((const char *)buf + i, key, sizeof(key) - 1)) {
			unsigned long v = strtoul((const char *)buf + i + sizeof(key) - 1, NULL, 10);
			return v < HTTP_MAX ? v : HTTP_MAX;
		}
	return HTTP_MAX;
}

/* GET /json/list from the inspector on PORT: the WebSocket path of its first target, "/UUID". */
static int debugger_path(unsigned port, char *path, size_t len, int timeout_ms)
{
	struct inspector h = {.fd = connect_port(port, timeout_ms)};
	size_t want = SIZE_MAX;
	if (h.fd < 0)
		return h.fd;
	char req[160];
	int n = snprintf(req, sizeof(req), "GET /json/list HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n\r\n", port);
	int rc = send_all(h.fd, req, (size_t)n);
	size_t head = 0;
	while (!rc) {
		/* node keeps the connection open: the body ends at its Content-Length */
		if (!head && (head = http_head(&h)))
			want = head + content_length(h.buf, head);
		if (head && h.len >= want)
			break;
		ssize_t got = read_more(&h, timeout_ms);
		if (got == 0)
			break;
		if (got < 0 && got != -EINTR)
			rc = (int)got;
		if (h.len > HTTP_MAX)
			rc = -EMSGSIZE;
	}
	close(h.fd);
	head = rc ? 0 : http_head(&h);
	rc = rc ? rc : -EPROTO;
	if (head && status_is(h.buf, head, "200")) {
		cJSON *list = cJSON_ParseWithLength((const char *)h.buf + head, h.len - head);
		const cJSON *url = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(list, 0), "webSocketDebuggerUrl");
		const char *slash = cJSON_IsString(url) && !strncmp(url->valuestring, "ws://", 5) ? strchr(url->valuestring + 5, '/') : NULL;
		if (slash && strlen(slash) < len) {
			snprintf(path, len, "%s", slash);
			rc = 0;
		}
		cJSON_Delete(list);
	}
	free(h.buf);
	return rc;
}

static void base64(const unsigned char *in, size_t n, char *out)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
		out[o++] = t[v >> 18 & 63];
		out[o++] = t[v >> 12 & 63];
		out[o++] = i + 1 < n ? t[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? t[v & 63] : '=';
	}
	out[o] = '\0';
}

/* The WebSocket handshake on IN's connection to PATH. */
static int upgrade(struct inspector *in, const char *path, int timeout_ms)
{
	unsigned char key[16];
	char key64[32], req[512];
	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key))
		return -EIO;
	base64(key, sizeof(key), key64);
	int n = snprintf(req, sizeof(req),
			 "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			 "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
			 path, in->port, key64);
	int rc = send_all(in->fd, req, (size_t)n);
	size_t head = 0;
	while (!rc && !(head = http_head(in))) {
		ssize_t got = read_more(in, timeout_ms);
		if (got == 0)
			rc = -ECONNRESET;
		else if (got < 0 && got != -EINTR)
			rc = (int)got;
		else if (in->len > HTTP_MAX)
			rc = -EMSGSIZE;
	}
	if (rc)
		return rc;
	if (!status_is(in->buf, head, "101"))
		return -EPROTO;
	memmove(in->buf, in->buf + head, in->len - head);
	in->len -= head;
	return 0;
}

/* Whether anyone listens on 127.0.0.1:PORT in PID's network namespace. */
static bool loopback_listening(pid_t pid, unsigned port)
{
	char path[64], line[256], want[16];
	snprintf(path, sizeof(path), "/proc/%d/net/tcp", (int)pid);
	snprintf(want, sizeof(want), "0100007F:%04X", port);
	FILE *f = fopen(path, "re");
	bool found = false;
	while (f && !found && fgets(line, sizeof(line), f)) {
		char local[64];
		unsigned state;
		found = sscanf(line, " %*d: %63s %*s %x", local, &state) == 2 && state == 0x0A && !strcmp(local, want);
	}
	if (f)
		fclose(f);
	return found;
}

/* The inspector's port: an existing one (a process started with --inspect), or the one it opens on
 * SIGUSR1 (a new loopback port). */
static int find_port(pid_t pid, int timeout_ms, struct inspector *in, char *path, size_t pathlen, char *err, size_t errlen)
{
	unsigned before[MAX_PORTS], now[MAX_PORTS];
	size_t nb = proctree_loopback_ports(pid, before, MAX_PORTS);
	if (has_inspect_flag(pid))
		for (size_t i = 0; i < nb; i++)
			if (debugger_path(before[i], path, pathlen, timeout_ms) == 0) {
				in->port = before[i];
				return 0;
			}
	if (kill(pid, SIGUSR1) < 0) {
		int e = errno;
		errbuf_printf(err, errlen, "process %d: %s", (int)pid, e == EPERM ? "not yours (run as its user, or root)" : strerror(e));
		return -e;
	}
	in->started = true;
	uint64_t until = mono_now_ns() + (uint64_t)timeout_ms * 1000000u;
	do {
		struct timespec ts = {0, 20 * 1000000};
		nanosleep(&ts, NULL);
		size_t nn = proctree_loopback_ports(pid, now, MAX_PORTS);
		for (size_t i = 0; i < nn; i++) {
			bool old = false;
			for (size_t k = 0; k < nb && !old; k++)
				old = now[i] == before[k];
			if (!old && debugger_path(now[i], path, pathlen, timeout_ms) == 0) {
				in->port = now[i];
				return 0;
			}
		}
		if (kill(pid, 0) < 0) {
			errbuf_printf(err, errlen, "process %d exited", (int)pid);
			return -ESRCH;
		}
	} while (mono_now_ns() < until);
	unsigned ports[MAX_PORTS];
	size_t n = proctree_loopback_ports(pid, ports, MAX_PORTS);
	bool taken = false;
	for (size_t i = 0; i < n; i++)
		taken |= ports[i] == 9229;
	if (!taken && loopback_listening(pid, 9229))
		errbuf_printf(err, errlen,
			      "process %d could not open its inspector: 127.0.0.1:9229 is taken by another process (node "
			      "tries no other port); free it, or start node with --inspect-port=0",
			      (int)pid);
	else
		errbuf_printf(err, errlen,
			      "process %d did not open its inspector within %d ms of SIGUSR1 (does it handle SIGUSR1 "
			      "itself, with process.on('SIGUSR1')? then the signal went to its handler)",
			      (int)pid, timeout_ms);
	return -ETIMEDOUT;
}

int inspector_open(pid_t pid, int timeout_ms, struct inspector *in, char *err, size_t errlen)
{
	char exe[256], path[256];
	memset(in, 0, sizeof(*in));
	in->fd = -1;
	in->pid = pid;
	in->next_id = 1;
	int rc = catches_usr1(pid, exe, sizeof(exe));
	if (rc < 0) {
		errbuf_printf(err, errlen, "process %d: %s", (int)pid, rc == -ENOENT ? "no such process" : strerror(-rc));
		return rc == -ENOENT ? -ESRCH : rc;
	}
	const char *base = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
	if (!rc || strncmp(base, "node", 4)) {
		errbuf_printf(err, errlen, "process %d (%s) is not a node process that handles SIGUSR1: no inspector to ask",
			      (int)pid, exe[0] ? exe : "executable unknown");
		return -ENOTSUP;
	}
	if ((rc = find_port(pid, timeout_ms, in, path, sizeof(path), err, errlen)))
		return rc;
	if ((in->fd = connect_port(in->port, timeout_ms)) < 0 || (rc = upgrade(in, path, timeout_ms))) {
		rc = in->fd < 0 ? in->fd : rc;
		errbuf_printf(err, errlen, "process %d: its inspector on 127.0.0.1:%u refused the connection: %s", (int)pid,
			      in->port, strerror(-rc));
		inspector_close(in);
		return rc;
	}
	return 0;
}

/* One frame of OPCODE, masked as a client's must be. */
static int send_frame(struct inspector *in, unsigned opcode, const char *data, size_t len)
{
	unsigned char *f = xmalloc(len + 14), mask[4];
	size_t h = 0;
	if (getrandom(mask, sizeof(mask), 0) != (ssize_t)sizeof(mask))
		memset(mask, 0x5a, sizeof(mask));
	f[h++] = (unsigned char)(0x80 | opcode);
	if (len < 126)
		f[h++] = (unsigned char)(0x80 | len);
	else if (len < 65536) {
		f[h++] = 0x80 | 126;
		f[h++] = (unsigned char)(len >> 8);
		f[h++] = (unsigned char)len;
	} else {
		f[h++] = 0x80 | 127;
		for (int i = 7; i >= 0; i--)
			f[h++] = (unsigned char)((uint64_t)len >> (8 * i));
	}
	memcpy(f + h, mask, 4);
	h += 4;
	for (size_t i = 0; i < len; i++)
		f[h + i] = (unsigned char)data[i] ^ mask[i & 3];
	int rc = send_all(in->fd, f, h + len);
	free(f);
	return rc;
}

int inspector_send(struct inspector *in, const char *method, const char *params, uint32_t *id)
{
	char *text = xasprintf("{\"id\":%u,\"method\":\"%s\",\"params\":%s}", in->next_id, method, params ? params : "{}");
	int rc = send_frame(in, 1, text, strlen(text));
	free(text);
	if (!rc && id)
		*id = in->next_id;
	in->next_id++;
	return rc;
}

int inspector_recv(struct inspector *in, int timeout_ms, const char **msg, size_t *len, char *err, size_t errlen)
{
	for (;;) {
		/* A whole frame in the buffer? */
		if (in->len >= 2) {
			const unsigned char *b = in->buf;
			uint64_t plen = b[1] & 0x7f;
			size_t h = 2;
			if (plen == 126 && in->len >= 4) {
				plen = (uint64_t)b[2] << 8 | b[3];
				h = 4;
			} else if (plen == 127 && in->len >= 10) {
				plen = 0;
				for (int i = 0; i < 8; i++)
					plen = plen << 8 | b[2 + i];
				h = 10;
			} else if (plen >= 126)
				h = SIZE_MAX;
			bool masked = b[1] & 0x80;
			if (h != SIZE_MAX && plen > MESSAGE_MAX) {
				errbuf_printf(err, errlen, "process %d: a message of %llu bytes from its inspector", (int)in->pid,
					      (unsigned long long)plen);
				return -EMSGSIZE;
			}
			if (h != SIZE_MAX && in->len >= h + (masked ? 4 : 0) + plen) {
				unsigned op = b[0] & 0x0f;
				bool fin = b[0] & 0x80;
				unsigned char *p = in->buf + h + (masked ? 4 : 0);
				if (masked)
					for (uint64_t i = 0; i < plen; i++)
						p[i] ^= b[h + (i & 3)];
				size_t used = (size_t)(p - in->buf) + (size_t)plen;
				int rc = 1;
				if (op == 8)
					rc = -ECONNRESET;
				else if (op == 9)
					rc = send_frame(in, 10, (const char *)p, (size_t)plen) ? -EPIPE : 1;
				else if (op == 1 || op == 0) {
					if (in->msg_len + plen > MESSAGE_MAX)
						rc = -EMSGSIZE;
					else {
						in->msg = xgrow_array(in->msg, &in->msg_cap, in->msg_len + (size_t)plen + 1, 1);
						memcpy(in->msg + in->msg_len, p, (size_t)plen);
						in->msg_len += (size_t)plen;
						rc = fin ? 0 : 1;
					}
				}
				memmove(in->buf, in->buf + used, in->len - used);
				in->len -= used;
				if (rc == 0) {
					in->msg[in->msg_len] = '\0';
					*msg = in->msg;
					*len = in->msg_len;
					in->msg_len = 0;
					return 0;
				}
				if (rc < 0) {
					errbuf_printf(err, errlen, "process %d: %s", (int)in->pid,
						      rc == -ECONNRESET ? "its inspector closed the connection" : strerror(-rc));
					return rc;
				}
				continue;
			}
		}
		ssize_t got = read_more(in, timeout_ms);
		if (got == -EINTR)
			continue;
		if (got <= 0) {
			int rc = got == 0 ? -ECONNRESET : (int)got;
			errbuf_printf(err, errlen, "process %d: %s", (int)in->pid,
				      rc == -ECONNRESET ? "the connection to its inspector ended (did it exit?)"
				      : rc == -ETIMEDOUT ? "its inspector did not answer in time"
							 : strerror(-rc));
			return rc;
		}
	}
}

void inspector_close(struct inspector *in)
{
	if (in->fd >= 0)
		close(in->fd);
	free(in->buf);
	free(in->msg);
	in->fd = -1;
	in->buf = NULL;
	in->msg = NULL;
	in->len = in->cap = in->msg_len = in->msg_cap = 0;
}
