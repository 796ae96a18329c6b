/*
 * cli.h -- the command-line subcommands of the `jiceng` binary.
 *
 * How to add a subcommand (three steps, as git's builtin.h):
 *   1. write `static int cmd_foo(int argc, char **argv)` in the module it
 *      belongs to (argv[0] is "foo"); it prints its own help on --help and
 *      returns JC_EXIT_OK, JC_EXIT_FAIL (a failed check) or JC_EXIT_USAGE;
 *   2. add {"foo", cmd_foo, "one line"} to `.commands` in the module's row
 *      (module.h; src/main.c lists every module's);
 *   3. document it in docs/cli.md with an example a user can paste.
 */
#ifndef JC_CLI_H
#define JC_CLI_H

#include "jc.h"

enum { JC_EXIT_OK = 0, JC_EXIT_FAIL = 1, JC_EXIT_USAGE = 2 };

/* Prints "jiceng CMD: message" and a hint to stderr; returns JC_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) JC_PRINTF(2, 3);
/* True when argv contains -h or --help. */
int cli_wants_help(int argc, char **argv);
/* Reads one line (without the newline) from stdin into a malloc'd string. */
char *cli_read_line_stdin(void);

/* The program's own subcommands (src/main.c's table); every other one is
 * in its module's row (module.h). */
int cmd_init(int argc, char **argv);      /* src/main.c  */
int cmd_serve(int argc, char **argv);     /* src/server.c */
int cmd_backup(int argc, char **argv);    /* src/backup.c */
int cmd_restore(int argc, char **argv);   /* src/backup.c */
int cmd_doctor(int argc, char **argv);    /* src/doctor.c */

#endif
