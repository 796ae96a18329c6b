/*
 * main.c -- entry point of the `jiceng` binary: the table of subcommands.
 * See cli.h for the checklist to add one.
 */
#include "cli.h"
#include "store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} jc_command;

static const jc_command commands[] = {
    {"init", cmd_init, "create or migrate a database (idempotent)"},
    {"serve", cmd_serve, "run the HTTP API server"},
    {"user", cmd_user, "add, list users or set a password"},
    {"audit", cmd_audit, "verify the tamper-evident trace"},
    {"demo", cmd_demo, "seed a small demo street into a database"},
    {"clock", cmd_clock, "show or set the platform clock (simulated time for demos)"},
    {"detect", cmd_detect, "early warning on a count series (EARS, CUSUM, Farrington)"},
    {"classify", cmd_classify, "train, evaluate and run the report text classifier"},
    {"eval", cmd_evaluation, "evaluation tables (三率, GB/T 30428 indicators), CSV or Excel"},
    {"device", cmd_device, "register sensor devices in bulk from CSV"},
    {"open311", cmd_open311, "manage the API keys of Open311 GeoReport v2 clients"},
    {"warn", cmd_warn, "early warnings: train the classifier from closed cases, recount, run detectors"},
    {"simulate", cmd_simulate, "replay a month of a street's life against a running server (demo)"},
    {"base", cmd_base, "generate (demo) and count base data: people, households, houses, organisations"},
    {"people", cmd_people, "import departments' person tables, link them into one record per person"},
    {"bench-fill", cmd_bench_fill, "write N realistic cases directly into a database (for benchmarks)"},
    {"routes", cmd_routes, "list the compiled HTTP route table and who may call each route (JSON)"},
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
    fprintf(stderr, "jiceng: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return JC_EXIT_USAGE;
}
