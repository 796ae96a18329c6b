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

#include <jansson.h>
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

/* 1 when m has tables on some backend but not on kind's. */
static int missing_on(const jc_module *m, jc_store_kind kind) {
    if (m->schema[kind]) return 0;
    for (int k = 0; k < JC_STORE__COUNT; k++)
        if (m->schema[k]) return 1;
    return 0;
}

jc_err store_migrate(jc_store *st, int *version) {
    jc_store_kind kind = store_kind_of(st);
    /* a module whose tables this backend lacks would be called on it all
     * the same (the case loop calls dispatch ...): refuse the store */
    int missing = 0;
    for (size_t i = 0; i < jc_modules_count; i++)
        if (missing_on(jc_modules[i], kind)) {
            jc_log(JC_LOG_ERROR, "module %s has no tables on this storage backend yet", jc_modules[i]->name);
            missing++;
        }
    if (missing) return JC_ERR_UNAVAILABLE;
    jc_err e = store_migrate_core(st, version);
    for (size_t i = 0; !e && i < jc_modules_count; i++)
        if (jc_modules[i]->schema[kind]) e = store_migrate_schema(st, jc_modules[i]->schema[kind]);
    return e;
}

/* ---- subcommands and serve options ------------------------------------------ */

const jc_command *modules_command(const char *name) {
    for (size_t i = 0; i < jc_modules_count; i++)
        for (size_t c = 0; c < JC_MODULE_COMMANDS && jc_modules[i]->commands[c].name; c++)
            if (!strcmp(jc_modules[i]->commands[c].name, name)) return &jc_modules[i]->commands[c];
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

int modules_serve_option(const char *flag, const char *value) {
    for (size_t i = 0; i < jc_modules_count; i++)
        for (size_t o = 0; o < JC_MODULE_OPTIONS && jc_modules[i]->options[o].flag; o++)
            if (!strcmp(jc_modules[i]->options[o].flag, flag))
                return jc_modules[i]->options[o].set(value) == JC_OK ? 1 : -1;
    return 0;
}

/* ---- start, stop, tick, metrics ---------------------------------------------- */

static size_t started; /* modules [0, started) were started (serve's main thread) */

jc_err modules_start(jc_store *st, char *msg, size_t msgsz) {
    for (started = 0; started < jc_modules_count; started++) {
        const jc_module *m = jc_modules[started];
        if (!m->start) continue;
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
        if (m->start && m->stop) m->stop();
    }
}

jc_err modules_tick(jc_conn *w, int64_t now_ms) {
    for (size_t i = 0; i < jc_modules_count; i++) {
        if (!jc_modules[i]->tick) continue;
        jc_err e = jc_modules[i]->tick(w, now_ms);
        if (e) jc_log(JC_LOG_WARN, "ticker %s: %s", jc_modules[i]->name, jc_err_code(e));
    }
    return JC_OK;
}

jc_err modules_thread_start(int index, jc_conn *db) {
    jc_err e = JC_OK;
    for (size_t i = 0; !e && i < jc_modules_count; i++)
        if (jc_modules[i]->thread_start) e = jc_modules[i]->thread_start(index, db);
    return e;
}

void modules_thread_tick(int index) {
    for (size_t i = 0; i < jc_modules_count; i++)
        if (jc_modules[i]->thread_tick) jc_modules[i]->thread_tick(index);
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
        if (jc_modules[i]->metrics) e = jc_modules[i]->metrics(c, b);
    return e;
}
