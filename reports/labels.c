/* The one table of labels: reports/labels.h. A key added to the diagnosis's evidence, to
 * session.json's options or to agent/drops.h gets its words here (tests/unit/test_report_labels.c
 * fails on a key without them). */
#include "reports/labels.h"

#include <stdio.h>
#include <string.h>

static const struct label labels[] = {
	/* the diagnosis's evidence (docs/diagnosis.md) */
	{LABEL_EVIDENCE, "blocks", "blocks", ""},
	{LABEL_EVIDENCE, "blocked_ms", "blocked", "ms"},
	{LABEL_EVIDENCE, "blocked_share", "of its time", "share"},
	{LABEL_EVIDENCE, "longest_ms", "longest block", "ms"},
	{LABEL_EVIDENCE, "delay_p99_ms", "delay p99", "ms"},
	{LABEL_EVIDENCE, "loops_affected", "loops affected", ""},
	{LABEL_EVIDENCE, "stacks", "stacks caught", ""},
	{LABEL_EVIDENCE, "top_frame_stacks", "with the top frame", ""},
	{LABEL_EVIDENCE, "blocked_samples", "CPU samples in blocks", ""},
	{LABEL_EVIDENCE, "blocked_share_js", "of them JavaScript", "share"},
	{LABEL_EVIDENCE, "blocked_share_gc", "of them GC", "share"},
	{LABEL_EVIDENCE, "blocked_share_python", "of them Python code", "share"},
	{LABEL_EVIDENCE, "blocked_share_native", "of them native code", "share"},
	{LABEL_EVIDENCE, "size", "pool threads", ""},
	{LABEL_EVIDENCE, "queue_depth_max", "queue depth max", ""},
	{LABEL_EVIDENCE, "saturated_s", "saturated", "s"},
	{LABEL_EVIDENCE, "saturated_share", "of the run saturated", "share"},
	{LABEL_EVIDENCE, "wait_p99_ms", "queue wait p99", "ms"},
	{LABEL_EVIDENCE, "run_p99_ms", "run time p99", "ms"},
	{LABEL_EVIDENCE, "count", "collections", ""},
	{LABEL_EVIDENCE, "total_ms", "paused in all", "ms"},
	{LABEL_EVIDENCE, "loop_share", "of a loop's time", "share"},
	{LABEL_EVIDENCE, "max_ms", "longest pause", "ms"},
	{LABEL_EVIDENCE, "scavenges", "scavenges", ""},
	{LABEL_EVIDENCE, "mark_sweep_compacts", "mark-sweep-compacts", ""},
	{LABEL_EVIDENCE, "heap_growth_mb_per_min", "heap growth", "MB/min"},
	{LABEL_EVIDENCE, "heap_growth_r2", "fit R\xc2\xb2", "r"},
	{LABEL_EVIDENCE, "heap_late_growth_mb_per_min", "heap growth, last third", "MB/min"},
	{LABEL_EVIDENCE, "heap_used_start_mb", "heap used at start", "MB"},
	{LABEL_EVIDENCE, "heap_used_end_mb", "heap used at end", "MB"},
	{LABEL_EVIDENCE, "growing_class_count_delta", "objects added of the class that grew most", ""},
	{LABEL_EVIDENCE, "growing_class_retained_delta_mb", "its retained size added", "MB"},
	{LABEL_EVIDENCE, "native_site_function", "native allocation site that grew most", ""},
	{LABEL_EVIDENCE, "native_site_module", "its module", ""},
	{LABEL_EVIDENCE, "native_site_growth_mb", "its live bytes added", "MB"},
	{LABEL_EVIDENCE, "native_site_live_mb", "its live bytes", "MB"},
	{LABEL_EVIDENCE, "native_site_live_samples", "its live samples", ""},
	{LABEL_EVIDENCE, "rss_growth_mb_per_min", "RSS growth", "MB/min"},
	{LABEL_EVIDENCE, "rss_late_growth_mb_per_min", "RSS growth, last third", "MB/min"},
	{LABEL_EVIDENCE, "rss_max_mb", "RSS peak", "MB"},
	{LABEL_EVIDENCE, "busy_worker_s", "busy worker time", "s"},
	{LABEL_EVIDENCE, "cpu_s", "CPU used", "s"},
	{LABEL_EVIDENCE, "busy_cpu_ratio", "CPU per busy worker", "r"},
	{LABEL_EVIDENCE, "elu", "ELU", "r"},
	/* session.json's options (docs/cli.md) */
	{LABEL_OPTION, "block_ms", "block threshold", "ms"},
	{LABEL_OPTION, "hz", "CPU sampling rate", "Hz"},
	{LABEL_OPTION, "load", "load command", ""},
	/* what the agent dropped (agent/drops.h, docs/session-format.md) */
	{LABEL_DROP, "loops", "loops beyond the agent's table", ""},
	{LABEL_DROP, "blocks", "blocks not recorded (ring full)", ""},
	{LABEL_DROP, "gc_events", "GC pauses not recorded (ring full)", ""},
	{LABEL_DROP, "pool_tasks", "pool tasks not timed (table full)", ""},
	{LABEL_DROP, "stacks", "stacks not caught in time", ""},
	{LABEL_DROP, "records", "records too large to write", ""},
	{LABEL_DROP, "write_bytes", "bytes the disk refused", ""},
	{LABEL_DROP, "unresolved_calls", "calls to a function no library defines (failed with ENOSYS)", ""},
	{LABEL_DROP, "stacks_masked", "stacks not taken (the thread blocks the stack signal)", ""},
};

const struct label *label_find(enum label_group group, const char *key)
{
	for (size_t i = 0; key && i < sizeof(labels) / sizeof(labels[0]); i++)
		if (labels[i].group == group && !strcmp(labels[i].key, key))
			return &labels[i];
	return NULL;
}

const char *label_text(enum label_group group, const char *key, char *buf, size_t len)
{
	const struct label *l = label_find(group, key);
	if (l)
		return l->text;
	snprintf(buf, len, "%s", key ? key : "");
	for (char *c = buf; *c; c++)
		if (*c == '_')
			*c = ' ';
	return buf;
}

const char *label_unit(enum label_group group, const char *key)
{
	const struct label *l = label_find(group, key);
	return l ? l->unit : "";
}
