/*
 * cli.h -- the command-line subcommands of the `jiceng` binary.
 *
 * How to add a subcommand (four steps, as git's builtin.h):
 *   1. write `int cmd_foo(int argc, char **argv)` in the module it belongs to
 *      (argv[0] is "foo"); it prints its own help on --help and returns
 *      JC_EXIT_OK, JC_EXIT_FAIL (a failed check) or JC_EXIT_USAGE;
 *   2. declare it below;
 *   3. add one row to the `commands` table in src/main.c;
 *   4. document it in docs/cli.md with an example a user can paste.
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

int cmd_init(int argc, char **argv);      /* src/main.c  */
int cmd_serve(int argc, char **argv);     /* src/server.c */
int cmd_user(int argc, char **argv);      /* src/auth.c   */
int cmd_audit(int argc, char **argv);     /* src/audit.c  */
int cmd_demo(int argc, char **argv);      /* src/seed.c   */
int cmd_clock(int argc, char **argv);     /* src/clock.c  */
int cmd_detect(int argc, char **argv);    /* src/detect_cli.c */
int cmd_classify(int argc, char **argv);  /* src/classify_cli.c */
int cmd_evaluation(int argc, char **argv); /* src/eval.c ("eval") */
int cmd_device(int argc, char **argv);    /* src/sensor.c */
int cmd_open311(int argc, char **argv);   /* src/open311_keys.c */
int cmd_warn(int argc, char **argv);      /* src/warning.c */
int cmd_simulate(int argc, char **argv);  /* src/simulate.c */
int cmd_base(int argc, char **argv);      /* src/base.c */
int cmd_people(int argc, char **argv);    /* src/people_cli.c */
int cmd_bench_fill(int argc, char **argv); /* src/fill.c */
int cmd_routes(int argc, char **argv);    /* src/api.c */
int cmd_backup(int argc, char **argv);    /* src/backup.c */
int cmd_restore(int argc, char **argv);   /* src/backup.c */
int cmd_doctor(int argc, char **argv);    /* src/doctor.c */

#endif
