/* fake-v8 — a program that exports the names of V8's API as node does (so the agent takes it for a
 * V8 process) with a chosen version and a HeapStatistics that is either V8 11's layout or garbage.
 * It runs an epoll loop for --seconds and calls its GC callbacks a few times. For testing that the
 * agent refuses heap figures it cannot trust, says so once, and keeps everything else working.
 *
 * Usage: FAKE_V8_VERSION=11.3.0 FAKE_V8_LAYOUT=good|bad fake-v8 [--seconds 1]
 * (the environment, not arguments: V8's version is a constant an agent may ask for before main).
 * Prints {"heap_statistics_calls": N, "gc_callbacks": N} last.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

typedef void (*gc_callback)(void *isolate, int type, int flags, void *data);

static int isolate;
static int heap_calls, gc_calls;
static gc_callback prologue, epilogue;
static void *prologue_data, *epilogue_data;

/* The mangled names are valid C identifiers; -rdynamic puts them in the dynamic symbol table. */
const char *_ZN2v82V810GetVersionEv(void);
void *_ZN2v87Isolate13TryGetCurrentEv(void);
void _ZN2v87Isolate21AddGCPrologueCallbackEPFvPS0_NS_6GCTypeENS_15GCCallbackFlagsEPvES4_S2_(void *, gc_callback, void *, int);
void _ZN2v87Isolate21AddGCEpilogueCallbackEPFvPS0_NS_6GCTypeENS_15GCCallbackFlagsEPvES4_S2_(void *, gc_callback, void *, int);
void _ZN2v87Isolate17GetHeapStatisticsEPNS_14HeapStatisticsE(void *, size_t *);

const char *_ZN2v82V810GetVersionEv(void)
{
	const char *v = getenv("FAKE_V8_VERSION");
	return v && *v ? v : "11.3.0";
}

void *_ZN2v87Isolate13TryGetCurrentEv(void)
{
	return &isolate;
}

void _ZN2v87Isolate21AddGCPrologueCallbackEPFvPS0_NS_6GCTypeENS_15GCCallbackFlagsEPvES4_S2_(void *iso, gc_callback cb, void *data, int filter)
{
	(void)iso, (void)filter;
	prologue = cb;
	prologue_data = data;
}

void _ZN2v87Isolate21AddGCEpilogueCallbackEPFvPS0_NS_6GCTypeENS_15GCCallbackFlagsEPvES4_S2_(void *iso, gc_callback cb, void *data, int filter)
{
	(void)iso, (void)filter;
	epilogue = cb;
	epilogue_data = data;
}

void _ZN2v87Isolate17GetHeapStatisticsEPNS_14HeapStatisticsE(void *iso, size_t *s)
{
	(void)iso;
	const char *layout = getenv("FAKE_V8_LAYOUT");
	heap_calls++;
	if (layout && !strcmp(layout, "bad")) {
		for (int i = 0; i < 20; i++) /* writes past the 14 slots V8 11 has */
			s[i] = 12345;
		return;
	}
	size_t good[14] = {8u << 20, 1u << 20, 8u << 20, 100u << 20, 5u << 20, 2048u << 20, 1u << 20, 1u << 20, 1u << 20, 0, 1, 0, 1u << 16, 1u << 15};
	memcpy(s, good, sizeof(good));
}

int main(int argc, char **argv)
{
	int seconds = 1;
	for (int i = 1; i + 1 < argc; i += 2)
		if (!strcmp(argv[i], "--seconds"))
			seconds = atoi(argv[i + 1]);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev;
	for (int tick = 0; tick < seconds * 100; tick++) {
		epoll_wait(ep, &ev, 1, 10);
		if (tick % 20 == 10 && prologue && epilogue) { /* a "scavenge" every 200 ms */
			prologue(&isolate, 1, 0, prologue_data);
			epilogue(&isolate, 1, 0, epilogue_data);
			gc_calls++;
		}
	}
	printf("{\"heap_statistics_calls\": %d, \"gc_callbacks\": %d}\n", heap_calls, gc_calls);
	return 0;
}
