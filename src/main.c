/*
 * main.c -- entry point of the `jiceng` binary: its own subcommands (init,
 * serve) and every module's (module.h).  See cli.h for the checklist to add one.
 */
#include "cli.h"
#include "module.h"
#include "store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The program's own subcommands; every module adds its own (module.h). */
static const jc_command commands[] = {
    {"init", cmd_init, "create or migrate a database (idempotent)"},
    {"serve", cmd_serve, "run the HTTP API server"},
    {"backup", cmd_backup, "copy the database while it is served, verified (docs/operations.md)"},
    {"restore", cmd_restore, "put a verified backup in place of the database"},
    {"doctor", cmd_doctor, "check a deployment and say what to fix"},
};

static void usage(FILE *f) {
    fprintf(f, "jiceng %s -- neighbourhood affairs, one closed loop\n\n"
               "usage: jiceng <command> [options]   (jiceng <command> --help)\n\n"
               "commands:\n",
            JC_VERSION);
    for (size_t i = 0; i < JC_ARRAY_LEN(commands); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    modules_print_commands(f);
    fprintf(f, "\nexit codes: 0 ok, 1 a check failed, 2 usage error\n");
}

int cmd_init(int argc, char **argv) {
    static const char help[] =
        "usage: jiceng init DB\n"
        "Creates the database DB (SQLite) or brings its schema up to date.\n"
        "Safe to run again: migrations already applied are skipped.\n";
    if (cli_wants_help(argc, argv)) return fputs(help, stdout), JC_EXIT_OK;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--db") && i + 1 < argc) path = argv[++i];
        else if (argv[i][0] != '-' && !path) path = argv[i];
        else return cli_usage_error("init", "unexpected argument '%s'", argv[i]);
    }
    if (!path) return cli_usage_error("init", "missing DB path");
    jc_store *st = NULL;
    jc_err e = store_open(path, &st);
    if (e) {
        fprintf(stderr, "jiceng init: cannot open %s: %s\n", path, jc_err_code(e));
        return JC_EXIT_FAIL;
    }
    int version = 0;
    e = store_migrate(st, &version);
    store_close(st);
    if (e) {
        fprintf(stderr, "jiceng init: migration failed: %s\n", jc_err_code(e));
        return JC_EXIT_FAIL;
    }
    printf("%s: schema version %d\n", path, version);
    return JC_EXIT_OK;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return JC_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("jiceng %s\n", JC_VERSION);
        return JC_EXIT_OK;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return JC_EXIT_OK;
    }
    const char *lvl = getenv("JICENG_LOG");
    if (lvl && !strcmp(lvl, "debug")) jc_log_level = JC_LOG_DEBUG;
    if (lvl && !strcmp(lvl, "warn")) jc_log_level = JC_LOG_WARN;
    for (size_t i = 0; i < JC_ARRAY_LEN(commands); i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
    const jc_command *c = modules_command(argv[1]);
    if (c) return c->fn(argc - 1, argv + 1);
    fprintf(stderr, "jiceng: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return JC_EXIT_USAGE;
}
