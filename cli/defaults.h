/* The defaults of loopscope's options, in one place: the commands' options start from them, their
 * usage texts print them, and they reach the collector through struct run_opts and attach_opts
 * (docs/cli.md lists them). LOOPSCOPE_DEFAULT_BLOCK_MS and _INTERVAL_MS are also the agent's own
 * defaults (agent/config.c), which a process started with the agent but not by run keeps. */
#ifndef LOOPSCOPE_CLI_DEFAULTS_H
#define LOOPSCOPE_CLI_DEFAULTS_H

#define LOOPSCOPE_DEFAULT_BLOCK_MS 50     /* --block-ms: a busy span this long is a block */
#define LOOPSCOPE_DEFAULT_HZ 99           /* --hz: CPU samples per second of a thread's CPU time */
#define LOOPSCOPE_DEFAULT_HEAP_GAP_S 60   /* --heap-gap: snapshots on the heap's growth at least this far apart */
#define LOOPSCOPE_DEFAULT_INTERVAL_MS 100 /* --interval-ms: the agent's interval records (its own default) */
#define CHECK_CONFIDENCE 0.95            /* check --confidence: of the verdicts */

/* A default as text, for the usage lines: DEFAULT_STR(LOOPSCOPE_DEFAULT_HZ) is "99". */
#define DEFAULT_STR_(x) #x
#define DEFAULT_STR(x) DEFAULT_STR_(x)

#endif
