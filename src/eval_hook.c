/*
 * eval_hook.c -- keeps the evaluation counters current: every second the
 * ticker hands the cases changed since the last tick to the incremental
 * path of eval.c, and once per (simulated) day it recomputes the current
 * month in full, which also repairs anything a crash left out.
 */
#include "case.h"
#include "eval.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The hook's state, one per store on its writer (store_writer_state). */
typedef struct {
    eval_inc *inc;      /* the counters' handle, opened at the first tick */
    char last_day[32];  /* the (simulated) day of the last tick */
} hook_state;
static const char hook_key; /* its address names the state */

static void hook_free(void *p) { eval_inc_close(((hook_state *)p)->inc); }

static hook_state *hook_of(jc_conn *w) { return store_writer_state(w, &hook_key, sizeof(hook_state), hook_free); }

jc_err eval_hook_tick(jc_conn *w, int64_t now_ms) {
    hook_state *hook = hook_of(w);
    if (!hook) return JC_ERR_NOMEM;
    if (!hook->inc) {
        jc_err e = eval_inc_open(w, &hook->inc);
        if (e) return e;
    }
    int64_t ids[512];
    size_t n;
    while ((n = case_take_dirty(w, ids, JC_ARRAY_LEN(ids))) > 0) {
        jc_err e = eval_inc_events(hook->inc, ids, n, now_ms);
        if (e) jc_log(JC_LOG_WARN, "eval: %zu changed cases: %s", n, jc_err_code(e));
    }
    char day[32];
    jc_fmt_local(now_ms, day, sizeof day); /* "YYYY-MM-DD HH:MM" */
    day[10] = 0;
    if (strcmp(day, hook->last_day)) {
        char month[8];
        snprintf(month, sizeof month, "%.7s", day);
        if (hook->last_day[0]) {
            jc_err e = eval_recompute_month(w, month, now_ms);
            if (e) jc_log(JC_LOG_WARN, "eval: recomputing %s: %s", month, jc_err_code(e));
        }
        snprintf(hook->last_day, sizeof hook->last_day, "%s", day);
    }
    return JC_OK;
}

jc_err eval_hook_settings_changed(jc_conn *w, int64_t now_ms) {
    /* the kept handle holds the old settings: the next tick opens a new one */
    hook_state *hook = hook_of(w);
    if (hook) {
        eval_inc_close(hook->inc);
        hook->inc = NULL;
    }
    char day[32], month[8];
    jc_fmt_local(now_ms, day, sizeof day);
    snprintf(month, sizeof month, "%.7s", day);
    return eval_recompute_month(w, month, now_ms);
}
