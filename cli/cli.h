/* The subcommands of loopscope, one file each; main.c dispatches. The command's policy lives here
 * and in the files of cli/: defaults (cli/defaults.h), messages, colour and exit statuses; the
 * collector and the reports return outcomes and reasons. Exit statuses (docs/cli.md): 0 success;
 * 1 check found a regression, or run recorded nothing; 2 usage or bad input; 3 could not set up
 * (agent library, session directory) or write the session; 4 attach saw no event loop; 126/127
 * run's command could not be run / was not found; for run, otherwise the target's own status. */
#ifndef LOOPSCOPE_CLI_H
#define LOOPSCOPE_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "collector/record/notice.h"

#define LOOPSCOPE_VERSION "0.1.0"

struct record_end;

enum {
	EXIT_OK = 0,
	EXIT_REGRESSION = 1,   /* check */
	EXIT_NOTHING = 1,      /* run: nothing recorded (and the target did not fail) */
	EXIT_USAGE = 2,        /* bad usage or bad input: options, a process, a session */
	EXIT_SETUP = 3,        /* could not set up, or could not write the session */
	EXIT_NO_LOOP = 4,      /* attach: no agent and no event loop polled in the window */
	EXIT_CANNOT_EXEC = 126, /* run: CMD could not be run */
	EXIT_NOT_FOUND = 127,  /* run: CMD was not found */
};

int cmd_run(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_heap(int argc, char **argv);

/* "loopscope: " + message + newline on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The function that words the events run and attach report while they record
 * (collector/record/notice.h) and shows them the same way; quiet (-q): without those that only say
 * things go as asked (cli/notices.c). */
record_notify_fn cli_notifier(bool quiet);
/* The end of every subcommand's getopt switch: for -h the usage on stdout and EXIT_OK, for an
 * unknown option the usage on stderr and EXIT_USAGE. */
int cli_usage_status(int opt, void (*usage)(FILE *out));
/* After getopt: the one operand a command takes (a session directory), or NULL with the usage on
 * stderr. */
const char *cli_operand(int argc, char **argv, void (*usage)(FILE *out));
/* A number from min to max for option `opt`; -1 with a one-line error otherwise. */
int cli_number(const char *opt, const char *s, double min, double max, double *out);
/* At the end of run or attach: the finish's warnings, one "loopscope: " line each. */
void cli_session_warnings(const struct record_end *end);
/* Records were lost to the disk (end->lost): says so in one line (nothing is to be diagnosed from
 * an incomplete session) and returns true. */
bool cli_session_lost(const struct record_end *end, const char *dir);
/* The diagnosis (coloured on a terminal) and the session's path, on stderr. */
void cli_session_diagnosis(const struct record_end *end, const char *dir);
/* After run or attach: write DIR/report.html and say where; a failure is reported, never fatal
 * (the session stays). */
void cli_session_report(const char *dir, bool quiet);
/* Colour on a terminal, unless NO_COLOR is set. */
bool cli_color(int fd);

#endif
