/* The subcommands of loopscope, one file each; main.c dispatches. Exit codes (docs/cli.md):
 * 0 success; 1 check found a regression; 2 usage or bad input; 3 could not set up (spawn, BPF,
 * directory); for run, otherwise the target's own status. */
#ifndef LOOPSCOPE_CLI_H
#define LOOPSCOPE_CLI_H

#include <stdbool.h>
#include <stdio.h>

#define LOOPSCOPE_VERSION "0.1.0"

enum { EXIT_OK = 0, EXIT_REGRESSION = 1, EXIT_USAGE = 2, EXIT_SETUP = 3 };

int cmd_run(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_check(int argc, char **argv);

/* "loopscope: " + message + newline on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The end of every subcommand's getopt switch: for -h the usage on stdout and EXIT_OK, for an
 * unknown option the usage on stderr and EXIT_USAGE. */
int cli_usage_status(int opt, void (*usage)(FILE *out));
/* A number from min to max for option `opt`; -1 with a one-line error otherwise. */
int cli_number(const char *opt, const char *s, double min, double max, double *out);
/* After run or attach: write DIR/report.html and say where; a failure is reported, never fatal
 * (the session stays). */
void cli_session_report(const char *dir, bool quiet);
/* Colour on a terminal, unless NO_COLOR is set. */
bool cli_color(int fd);

#endif
