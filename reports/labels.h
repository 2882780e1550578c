/* The words the report shows for the keys of the session's files — the evidence of a finding
 * (summary.json), the recording's options (session.json) and what the agent dropped (the drops
 * record, agent/drops.h) — with the unit of their values: the one table of them, so no key
 * reaches the page as a file spells it. */
#ifndef LOOPSCOPE_REPORTS_LABELS_H
#define LOOPSCOPE_REPORTS_LABELS_H

#include <stddef.h>

enum label_group {
	LABEL_EVIDENCE, /* summary.json: diagnosis[].evidence */
	LABEL_OPTION,   /* session.json: options */
	LABEL_DROP,     /* the agent's drops record (AGENT_DROP_NAMES) */
};

struct label {
	enum label_group group;
	const char *key, *text;
	const char *unit; /* "" a count; "ms", "s", "MB", "MB/min", "Hz"; "share" a fraction shown as %;
			     "r" a ratio with two decimals */
};

/* The label of key in group; NULL when the table has none. */
const struct label *label_find(enum label_group group, const char *key);
/* The words for key: its label's text, else (a key this version does not know: a newer session)
 * the key with its underscores as spaces, written into buf. */
const char *label_text(enum label_group group, const char *key, char *buf, size_t len);
/* The unit of key's values ("" when it has no label). */
const char *label_unit(enum label_group group, const char *key);

#endif
