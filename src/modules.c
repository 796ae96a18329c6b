/*
 * modules.c -- the table of modules (module.h): the one place that lists
 * them, and the loops over it that the rest of the program calls (schemas,
 * subcommands, serve options, start and stop, ticks, metrics).
 *
 * The order of the table is the order in which schemas are migrated, ticks
 * run, modules start, and subcommands are listed in `jiceng --help`.  Routes
 * do not depend on it (api.c picks the most specific match).
 */
#include "module.h"
#include "store_pg.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const jc_module module_core;
extern const jc_module module_auth;
extern const jc_module module_events;
extern const jc_module module_dispatch;
extern const jc_module module_base;
extern const jc_module module_open311;
extern const jc_module module_photo;
extern const jc_module module_worklist;
extern const jc_module module_eval;
extern const jc_module module_sensor;
extern const jc_module module_warning;
extern const jc_module module_stats;
extern const jc_module module_detect;
extern const jc_module module_classify;
extern const jc_module module_demo;
extern const jc_module module_simulate;
extern const jc_module module_notify;
extern const jc_module module_caselist;
extern const jc_module module_admin;
extern const jc_module module_people;
extern const jc_module module_fill;
extern const jc_module module_followup;
extern const jc_module module_brief;
extern const jc_module module_attach;

const jc_module *const jc_modules[] = {
    &module_core,     /* cases, audit, the clock (api.c) */
    &module_auth,     /* accounts: `jiceng user`, login throttling */
    &module_events,   /* live updates: Server-Sent Events */
    &module_dispatch, /* automatic dispatch, deadlines, escalation, whistles */
    &module_base,     /* base data: people, households, houses */
    &module_open311,  /* Open311 GeoReport v2 */
    &module_photo,    /* photos of reports */
    &module_worklist, /* the work list, admission, burden */
    &module_eval,     /* evaluation indicators */
    &module_sensor,   /* devices, readings, alarms; MQTT */
    &module_warning,  /* classifier, counts, early warnings */
    &module_stats,    /* dashboard aggregates */
    &module_notify,   /* message centre, webhooks */
    &module_caselist, /* case lists, search, export; the text index (after dispatch) */
    &module_admin,    /* administration pages' API */
    &module_people,   /* one collection of people: import, linking, golden records */
    &module_followup, /* 回访: follow-up calls after an unsatisfied rating */
    &module_brief,    /* leaders' statistics over a range, the daily/weekly brief */
    &module_attach,   /* documents on cases */
    &module_fill,     /* `jiceng bench-fill` */
    &module_detect,   /* `jiceng detect` */
    &module_classify, /* `jiceng classify` */
    &module_demo,     /* `jiceng demo` */
    &module_simulate, /* `jiceng simulate` */
};
const size_t jc_modules_count = JC_ARRAY_LEN(jc_modules);

/* ---- schemas --------------------------------------------------------------- */

/* The subcommand's module this process runs (modules_command), if any. */
static const jc_module *running;

/* What an operator reads for a backend kind. */
static const char *kind_name(jc_store_kind kind) { return kind == JC_STORE_PG ? "PostgreSQL" : "SQLite"; }

jc_err store_migrate(jc_store *st, int *version) {
    jc_store_kind kind = store_kind_of(st);
    /* a module that does not run on this backend is left out on it
     * (module_runs_on); the subcommand of such a module refuses the store */
    if (running && !module_runs_on(running, kind)) {
        jc_log(JC_LOG_ERROR, "module %s has no %s storage yet", running->name, kind_name(kind));
        return JC_ERR_UNAVAILABLE;
    }
    jc_err e = store_migrate_core(st, version);
    char out[1024] = "";
    size_t n = 0;
    for (size_t i = 0; !e && i < jc_modules_count; i++) {
        const jc_module *m = jc_modules[i];
        if (!module_runs_on(m, kind)) {
            int w = snprintf(out + n, sizeof out - n, "%s%s", n ? ", " : "", m->name);
            if (w > 0 && (size_t)w < sizeof out - n) n += (size_t)w;
        } else if (m->schema[kind]) {
            e = store_migrate_schema(st, m->schema[kind]);
        }
    }
    if (!e && n) jc_log(JC_LOG_WARN, "modules with no %s storage yet, left out: %s", kind_name(kind), out);
    return e;
}

jc_err store_refuse_newer(const char *db, char *msg, size_t msgsz) {
    int pg = store_pg_is_url(db);
    jc_store_kind kind = pg ? JC_STORE_PG : JC_STORE_SQLITE;
    const jc_schema *schemas[64];
    size_t ns = 0;
    for (size_t i = 0; i < jc_modules_count && ns < JC_ARRAY_LEN(schemas); i++)
        if (jc_modules[i]->schema[kind]) schemas[ns++] = jc_modules[i]->schema[kind];
    jc_store_schema sc;
    jc_err e;
    char why[256];
    if (pg) {
        jc_conn *c = NULL;
        int leaders = 0;
        e = store_pg_conn_open_url(db, &c);
        if (!e) e = store_pg_inspect(c, schemas, ns, &sc, &leaders);
        store_conn_close(c);
    } else {
        e = store_inspect(db, schemas, ns, &sc, why, sizeof why);
    }
    if (e) return JC_OK; /* unreadable: the caller's open says why */
    if (sc.version > sc.target)
        snprintf(msg, msgsz, "the database is newer than this program (core schema %d > %d): use the jiceng it was last used with",
                 sc.version, sc.target);
    else if (sc.modules_ahead)
        snprintf(msg, msgsz, "the database is newer than this program (module %s's schema): use the jiceng it was last used with",
                 sc.first_ahead);
    else
        return JC_OK;
    return JC_ERR_CONFLICT;
}

/* ---- subcommands and serve options ------------------------------------------ */

const jc_command *modules_command(const char *name) {
    for (size_t i = 0; i < jc_modules_count; i++)
        for (size_t c = 0; c < JC_MODULE_COMMANDS && jc_modules[i]->commands[c].name; c++)
            if (!strcmp(jc_modules[i]->commands[c].name, name)) {
                running = jc_modules[i];
                return &jc_modules[i]->commands[c];
            }
    return NULL;
}

void modules_print_commands(FILE *f) {
    for (size_t i = 0; i < jc_modules_count; i++)
        for (size_t c = 0; c < JC_MODULE_COMMANDS && jc_modules[i]->commands[c].name; c++)
            fprintf(f, "  %-10s %s\n", jc_modules[i]->commands[c].name, jc_modules[i]->commands[c].summary);
}

void modules_print_serve_options(FILE *f) {
    for (size_t i = 0; i < jc_modules_count; i++)
        for (size_t o = 0; o < JC_MODULE_OPTIONS && jc_modules[i]->options[o].flag; o++)
            fprintf(f, "  %s %s\n", jc_modules[i]->options[o].flag, jc_modules[i]->options[o].help);
}

/* The serve option given to each module (modules_serve_option), by index:
 * a module left out on the store's backend refuses to start over it. */
static const char *opted[64];
_Static_assert(JC_ARRAY_LEN(opted) >= JC_ARRAY_LEN(jc_modules), "one slot per module");

int modules_serve_option(const char *flag, const char *value) {
    for (size_t i = 0; i < jc_modules_count; i++)
        for (size_t o = 0; o < JC_MODULE_OPTIONS && jc_modules[i]->options[o].flag; o++)
            if (!strcmp(jc_modules[i]->options[o].flag, flag)) {
                opted[i] = jc_modules[i]->options[o].flag;
                return jc_modules[i]->options[o].set(value) == JC_OK ? 1 : -1;
            }
    return 0;
}

/* ---- start, stop, tick, metrics ---------------------------------------------- */

static size_t started; /* modules [0, started) were started (serve's main thread) */
static jc_store_kind serving = JC_STORE_SQLITE; /* the served store's backend */

jc_err modules_start(jc_store *st, char *msg, size_t msgsz) {
    serving = store_kind_of(st);
    for (size_t i = 0; i < jc_modules_count; i++)
        if (opted[i] && !module_runs_on(jc_modules[i], serving)) {
            snprintf(msg, msgsz, "%s: module %s has no %s storage yet", opted[i], jc_modules[i]->name,
                     kind_name(serving));
            started = 0;
            return JC_ERR_UNAVAILABLE;
        }
    for (started = 0; started < jc_modules_count; started++) {
        const jc_module *m = jc_modules[started];
        if (!m->start || !module_runs_on(m, serving)) continue;
        jc_err e = m->start(st, msg, msgsz);
        if (e) {
            modules_stop();
            return e;
        }
    }
    return JC_OK;
}

void modules_stop(void) {
    while (started > 0) {
        const jc_module *m = jc_modules[--started];
        if (m->start && m->stop && module_runs_on(m, serving)) m->stop();
    }
}

jc_err modules_tick(jc_conn *w, int64_t now_ms) {
    for (size_t i = 0; i < jc_modules_count; i++) {
        if (!jc_modules[i]->tick || !module_runs_on_conn(jc_modules[i], w)) continue;
        jc_err e = jc_modules[i]->tick(w, now_ms);
        if (e) jc_log(JC_LOG_WARN, "ticker %s: %s", jc_modules[i]->name, jc_err_code(e));
    }
    return JC_OK;
}

jc_err modules_thread_start(int index, jc_conn *db) {
    jc_err e = JC_OK;
    for (size_t i = 0; !e && i < jc_modules_count; i++)
        if (jc_modules[i]->thread_start && module_runs_on_conn(jc_modules[i], db))
            e = jc_modules[i]->thread_start(index, db);
    return e;
}

void modules_thread_tick(int index) {
    for (size_t i = 0; i < jc_modules_count; i++)
        if (jc_modules[i]->thread_tick && module_runs_on(jc_modules[i], serving)) jc_modules[i]->thread_tick(index);
}

int modules_live_json(int (*emit)(const jc_live_event *ev, void *arg), void *arg, jc_live_event ev, json_t *d) {
    char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
    int r = 0;
    if (text) {
        ev.data = text;
        r = emit(&ev, arg);
    }
    free(text);
    json_decref(d);
    return r;
}

jc_err modules_metrics(jc_conn *c, jc_buf *b) {
    jc_err e = JC_OK;
    for (size_t i = 0; !e && i < jc_modules_count; i++)
        if (jc_modules[i]->metrics && module_runs_on_conn(jc_modules[i], c)) e = jc_modules[i]->metrics(c, b);
    return e;
}
