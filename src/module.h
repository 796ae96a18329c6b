/*
 * module.h -- what a module gives the program: one row, jc_module.
 *
 * jiceng is a core (cases, audit, accounts, the clock, the HTTP server and
 * the store) and modules (dispatch, sensor, warning, eval ...).  Everything
 * the rest of the program takes from a module is named in its row: its
 * tables (schema migrations), its HTTP routes, its periodic work (tick), its
 * Prometheus figures, its subcommands, its `jiceng serve` options and what it
 * starts and stops with the server (an MQTT client).  The rows are listed in
 * one table, `jc_modules[]` in src/modules.c; nothing else in the program
 * names a module.
 *
 * How to add a module "foo" (docs/hacking.md has the longer version):
 *   1. write src/foo.c (and foo.h, foo_int.h, foo_store.h, foo_sqlite.c as
 *      it needs; SQL only in foo_sqlite.c);
 *   2. define its row there: `const jc_module module_foo = {.name = "foo",
 *      .schema = {[JC_STORE_SQLITE] = &schema_foo}, .routes = {&foo_routes},
 *      .tick = foo_tick ...};` (leave out what it does not have);
 *   3. list it in src/modules.c (an extern line and one entry of the table);
 *   4. document its endpoints and commands in docs/foo.md.
 */
#ifndef JC_MODULE_H
#define JC_MODULE_H

#include "jc.h"
#include "http.h"
#include "store.h"

#include <stdio.h>

/* A subcommand: `jiceng <name> ...` calls fn(argc, argv) with argv[0] the
 * name; it prints its own help on --help and returns JC_EXIT_OK,
 * JC_EXIT_FAIL (a failed check) or JC_EXIT_USAGE (cli.h). */
typedef struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary; /* one line for `jiceng --help` */
} jc_command;

/* An option of `jiceng serve` that belongs to a module: "--flag VALUE".
 * set() runs while the arguments are read (before the store is open) and
 * keeps a copy of what it needs; it returns JC_ERR_INVALID for a value it
 * refuses (a usage error). */
typedef struct {
    const char *flag; /* "--mqtt" */
    const char *help; /* the rest of its line in `serve --help`: "URL  ..." */
    jc_err (*set)(const char *value);
} jc_serve_option;

/* A live update for the browsers (events.c's Server-Sent Events): one event
 * of a type, its data (a JSON object's text), and who may see it: a case
 * event whoever may see the case (case_visible); otherwise for_user(u, row)
 * when set, else the staff whose area is a prefix of area (not residents,
 * not department staff). */
typedef struct {
    const char *type; /* "case", "alarm" ... */
    const char *data;
    const jc_case *k; /* a case event */
    int (*for_user)(const jc_user *u, const void *row);
    const void *row;
    const char *area;
} jc_live_event;

typedef struct case_hooks case_hooks; /* case.h */

#define JC_MODULE_ROUTES 3
#define JC_MODULE_COMMANDS 4
#define JC_MODULE_OPTIONS 4

typedef struct {
    const char *name;       /* "sensor": also its schema's name in meta */
    /* Its tables and its row operations on each kind of storage backend
     * (store.h's jc_store_kind): .schema[JC_STORE_SQLITE] and
     * .store[JC_STORE_SQLITE] from X_sqlite.c, the PostgreSQL ones from
     * X_pg.c.  .store points to the module's own table of row operations
     * (the type its X_store.h declares; module_store() finds the one of a
     * connection).  NULL: none (no tables of its own, or not yet on that
     * backend). */
    const jc_schema *schema[JC_STORE__COUNT];
    const void *store[JC_STORE__COUNT];
    /* 1: it keeps nothing but through store.h (no tables, no SQL of its
     * own), so it runs on every backend.  See module_runs_on. */
    int store_h_only;
    /* Its route tables; a request goes to the route that matches it most
     * specifically (a literal segment wins over a :param), whatever the
     * order of modules. */
    const jc_route_table *routes[JC_MODULE_ROUTES];
    /* Periodic work: every second, one writer job runs every module's tick
     * in table order (in one transaction).  A tick must be quick and find
     * its work from the database, so that nothing is lost across a restart
     * (or keep it in memory read from the database, as dispatch's
     * escalation timer does). */
    jc_err (*tick)(jc_conn *w, int64_t now_ms);
    /* Prometheus text of its own figures appended to b (GET /metrics); c is
     * the serving thread's read connection. */
    jc_err (*metrics)(jc_conn *c, jc_buf *b);
    jc_command commands[JC_MODULE_COMMANDS];
    jc_serve_option options[JC_MODULE_OPTIONS];
    /* Called by `jiceng serve` after the schema is migrated and before the
     * first request (start), and after the last request but before the
     * store's pending writes are drained (stop).  start's error stops the
     * server with msg (for the operator) printed. */
    jc_err (*start)(jc_store *st, char *msg, size_t msgsz);
    void (*stop)(void);
    /* Per serving thread of `jiceng serve`: thread_start runs on the main
     * thread before serving, once per thread (index 0 .. threads-1, db that
     * thread's read connection; an error stops the server); thread_tick
     * runs on serving thread index after every turn of its event loop
     * (at least every 200 ms). */
    jc_err (*thread_start)(int index, jc_conn *db);
    void (*thread_tick)(int index);
    /* Its live updates, polled by every serving thread that has listeners:
     * emits its events after *mark (a position of its own: an id or a seq)
     * in order, at most a few hundred a call, and advances *mark past them;
     * with emit NULL it only sets *mark to the newest (a stream starts from
     * now).  c is the thread's read connection. */
    jc_err (*live)(jc_conn *c, int64_t *mark, int (*emit)(const jc_live_event *ev, void *arg), void *arg);
    /* Its part in the case loop (case.h): prepare, after, visible. */
    const case_hooks *case_hooks;
} jc_module;

/* The table of module m's row operations on c's backend (its .store), or
 * NULL when it has none there. */
static inline const void *module_store(const jc_module *m, const jc_conn *c) { return m->store[store_kind(c)]; }

/* 1 when module m runs on storage backend kind: every module on SQLite (the
 * first backend); on another one a module with its schema or its row
 * operations there, or one that keeps nothing but through store.h.  A
 * module that does not run on a store's backend is left out on it: not
 * migrated, not started, no ticks, hooks or live events, its routes answer
 * 503 and its subcommands refuse (modules.c, api.c, case.c, events.c). */
static inline int module_runs_on(const jc_module *m, jc_store_kind kind) {
    return kind == JC_STORE_SQLITE || m->schema[kind] || m->store[kind] || m->store_h_only;
}
/* module_runs_on for c's backend. */
static inline int module_runs_on_conn(const jc_module *m, const jc_conn *c) { return module_runs_on(m, store_kind(c)); }

/* ---- the table (src/modules.c) ------------------------------------------ */
extern const jc_module *const jc_modules[];
extern const size_t jc_modules_count;

/* The subcommand called name, from every module's row; NULL when none.  Its
 * module is remembered as the one this process runs: store_migrate then
 * refuses a backend that module does not run on (module_runs_on). */
const jc_command *modules_command(const char *name);
/* Writes one line per module subcommand ("  name  summary") to f. */
void modules_print_commands(FILE *f);
/* Writes one line per module's serve option to f ("  --flag help"). */
void modules_print_serve_options(FILE *f);
/* Passes a serve option to the module that has it: 1 taken, 0 no module
 * has flag, -1 the module refused value. */
int modules_serve_option(const char *flag, const char *value);
/* Starts every module that has a start hook and runs on st's backend, in
 * table order; on an error stops those already started and returns it with
 * msg set.  JC_ERR_UNAVAILABLE when a serve option was given to a module
 * that does not run on st's backend (msg names both). */
jc_err modules_start(jc_store *st, char *msg, size_t msgsz) JC_MUST_CHECK;
/* Stops the started modules, in reverse order. */
void modules_stop(void);
/* Runs every module's tick (a writer job's body).  An error of one is
 * logged and does not stop the others; returns JC_OK. */
jc_err modules_tick(jc_conn *w, int64_t now_ms);
/* Every module's thread_start for serving thread index (the first error
 * is returned), and every module's thread_tick. */
jc_err modules_thread_start(int index, jc_conn *db) JC_MUST_CHECK;
void modules_thread_tick(int index);
/* For a module's .live: emits ev with d (stolen: a JSON object, NULL out
 * of memory) as its data; returns what emit returns (0 when d is NULL). */
int modules_live_json(int (*emit)(const jc_live_event *ev, void *arg), void *arg, jc_live_event ev,
                      json_t *d);
/* Appends every module's metrics to b. */
jc_err modules_metrics(jc_conn *c, jc_buf *b) JC_MUST_CHECK;

#endif
