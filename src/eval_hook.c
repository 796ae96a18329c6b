/*
 * eval_hook.c -- keeps the evaluation counters current: every second the
 * ticker hands the cases changed since the last tick to the incremental
 * path of eval.c, and once per (simulated) day it recomputes the current
 * month in full, which also repairs anything a crash left out (and at the
 * first tick, when the month has no counters yet).
 */
#include "case.h"
#include "eval.h"
#include "store_sqlite.h"

#include <stdio.h>
#include <string.h>

static struct {
    sqlite3 *db;
    eval_inc *inc;
    char last_day[32];
} hook;

jc_err eval_hook_tick(jc_conn *w, int64_t now_ms) {
    sqlite3 *db = store_sqlite_db(w);
    if (hook.db != db) {
        eval_inc_close(hook.inc);
        hook.inc = NULL;
        hook.db = db;
        hook.last_day[0] = 0;
    }
    if (!hook.inc) {
        jc_err e = eval_inc_open(w, &hook.inc);
        if (e) return e;
    }
    int64_t ids[512];
    size_t n;
    while ((n = case_take_dirty(ids, JC_ARRAY_LEN(ids))) > 0) {
        jc_err e = eval_inc_events(hook.inc, ids, n, now_ms);
        if (e) jc_log(JC_LOG_WARN, "eval: %zu changed cases: %s", n, jc_err_code(e));
    }
    char day[32];
    jc_fmt_local(now_ms, day, sizeof day); /* "YYYY-MM-DD HH:MM" */
    day[10] = 0;
    if (strcmp(day, hook.last_day)) {
        char month[8];
        snprintf(month, sizeof month, "%.7s", day);
        /* at the day's change; and at the first tick when the month has
         * no counters yet (cases written by another program, such as
         * `jiceng demo`, or a database of an earlier build) */
        int have = 1;
        if (!hook.last_day[0] && eval_counters_present(w, month, &have)) have = 1;
        if (hook.last_day[0] || !have) {
            jc_err e = eval_recompute_month(w, month, now_ms);
            if (e) jc_log(JC_LOG_WARN, "eval: recomputing %s: %s", month, jc_err_code(e));
        }
        snprintf(hook.last_day, sizeof hook.last_day, "%s", day);
    }
    return JC_OK;
}

jc_err eval_hook_settings_changed(jc_conn *w, int64_t now_ms) {
    /* the kept handle holds the old settings: the next tick opens a new one */
    eval_inc_close(hook.inc);
    hook.inc = NULL;
    char day[32], month[8];
    jc_fmt_local(now_ms, day, sizeof day);
    snprintf(month, sizeof month, "%.7s", day);
    return eval_recompute_month(w, month, now_ms);
}
