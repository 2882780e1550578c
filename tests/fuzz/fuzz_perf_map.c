/* libFuzzer target for the symbolizer's text parsers: the perf-map parser (line by line, and through
 * the file reader, as /tmp/perf-PID.map would be read) and the /proc/PID/maps parser, each followed
 * by lookups and frame_format on addresses taken from the input. Any input must neither crash nor
 * overflow.
 *
 * Input: a perf map (or maps text). Build and run: make fuzz FUZZ_TARGET=perf_map
 * (tests/fuzz/README.md). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/symbols/perf_map.h"
#include "collector/symbols/proc_maps.h"
#include "collector/symbols/symbolize.h"
#include "tests/fuzz/fuzz_dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t addr_at(const uint8_t *data, size_t size, size_t i)
{
	uint64_t a = 0;
	for (size_t k = 0; k < 8 && size; k++)
		a = a << 8 | data[(i * 8 + k) % size];
	return a;
}

static void format_all(const struct frame *f)
{
	char small[7], big[512];
	frame_format(f, small, sizeof(small));
	frame_format_flags(f, FRAME_FORMAT_NO_TIER, big, sizeof(big));
	if (strchr(big, ';') || strchr(big, '\n'))
		abort();
}

static void fuzz_perf_map_lines(const uint8_t *data, size_t size)
{
	struct perf_map *m = perf_map_new();
	const char *p = (const char *)data, *end = p + size;

	if (!m)
		return;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		perf_map_add_line(m, p, (size_t)(eol - p));
		p = eol + 1;
	}
	for (size_t i = 0; i < 16; i++) {
		struct jit_symbol js;
		uint64_t a = addr_at(data, size, i);
		if (perf_map_find(m, a, &js) == 0) {
			struct frame f = {.name = js.name,
					  .module = js.module,
					  .location = js.location,
					  .package = js.package,
					  .tier = js.tier,
					  .kind = js.kind};
			if (!js.name || !js.module || a < js.start)
				abort();
			format_all(&f);
		}
	}
	perf_map_free(m);
}

static void fuzz_maps(struct symbolizer *s, const uint8_t *data, size_t size, const char *map_path)
{
	char *text = malloc(size + 1);
	struct proc_map *maps = NULL;
	size_t n = 0, skipped = 0;

	if (!text)
		return;
	if (proc_maps_parse((const char *)data, size, &maps, &n, &skipped) == 0) {
		for (size_t i = 0; i < n; i++)
			if (maps[i].start >= maps[i].end)
				abort();
		proc_maps_free(maps, n);
	}
	memcpy(text, data, size);
	text[size] = 0;
	struct proc_syms *p = proc_syms_from_maps(s, 1, text, "/nonexistent-fuzz-root");
	if (p) {
		proc_syms_load_perf_map(p, map_path, getuid());
		for (size_t i = 0; i < 16; i++) {
			struct frame f;
			proc_syms_lookup(p, addr_at(data, size, i), i & 1, &f);
			if (!f.module)
				abort();
			format_all(&f);
		}
		proc_syms_free(p);
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct symbolizer *s;
	char map_path[512];

	if (!s)
		s = symbolizer_new();
	fuzz_perf_map_lines(data, size);

	/* The same bytes as a perf map file, read back through the file reader. */
	fuzz_dir_clear();
	fuzz_dir_write("perf-1.map", data, size);
	snprintf(map_path, sizeof(map_path), "%s/perf-1.map", fuzz_dir());
	fuzz_maps(s, data, size, map_path);
	return 0;
}
