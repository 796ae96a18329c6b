/*
 * eval_hook.c -- keeps the evaluation counters current: every second the
 * ticker hands the cases changed since the last tick to the incremental
 * path of eval.c, and once per (simulated) day it recomputes the current
 * month in full, which also repairs anything a crash left out (and at the
 * first tick, when the month has no counters yet).
 */
#include "case.h"
#include "eval.h"
#include "eval_store.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the cases changed since the counters last looked ------------------------------
 * The writer's own list, one per store (store_writer_state), filled by the
 * module's case hook after every action and touch, growing as needed, so
 * that no id is dropped however many change between two ticks (a
 * rolled-back job leaves a harmless extra id). */
typedef struct {
    int64_t *ids;
    size_t n, head, cap; /* ids[head .. n) are waiting */
} changed_list;
static const char changed_key; /* its address names the list */

static void changed_free(void *p) { free(((changed_list *)p)->ids); }

static void mark_changed(jc_conn *w, int64_t id) {
    changed_list *d = store_writer_state(w, &changed_key, sizeof *d, changed_free);
    if (!d) goto lost;
    if (d->n > d->head && d->ids[d->n - 1] == id) return;
    if (d->n == d->cap) {
        if (d->head > 0) { /* room taken already: move the waiting ones down */
            memmove(d->ids, d->ids + d->head, (d->n - d->head) * sizeof *d->ids);
            d->n -= d->head;
            d->head = 0;
        }
        if (d->n == d->cap) {
            size_t cap = d->cap ? d->cap * 2 : 1024;
            int64_t *ids = realloc(d->ids, cap * sizeof *ids);
            if (!ids) goto lost;
            d->ids = ids;
            d->cap = cap;
        }
    }
    d->ids[d->n++] = id;
    return;
lost: /* out of memory: the month's daily recomputation repairs it */
    jc_log(JC_LOG_ERROR, "case %lld changed but not listed for the counters: out of memory", (long long)id);
}

size_t eval_take_changed(jc_conn *w, int64_t *out, size_t max) {
    const eval_store_ops *ops = eval_store(w);
    if (ops && ops->changed_take) {
        size_t n = 0;
        jc_err e = ops->changed_take(w, out, max, &n);
        if (e) jc_log(JC_LOG_WARN, "eval: taking the changed cases: %s", jc_err_code(e));
        return e ? 0 : n;
    }
    changed_list *d = store_writer_state(w, &changed_key, sizeof *d, changed_free);
    if (!d) return 0;
    size_t n = d->n - d->head < max ? d->n - d->head : max;
    if (!n) return 0; /* ids is NULL before the first change */
    memcpy(out, d->ids + d->head, n * sizeof *out);
    d->head += n;
    if (d->head == d->n) d->head = d->n = 0;
    return n;
}

/* After an action or a touch (not a creation: the counters take a case from
 * its first action on). */
static jc_err case_changed(jc_conn *w, const jc_user *actor, const jc_case *k, int a, case_plan *plan, void *scratch,
                           jc_case_err *why) {
    (void)actor, (void)plan, (void)scratch, (void)why;
    if (a == CASE_CREATE) return JC_OK;
    const eval_store_ops *ops = eval_store(w);
    if (ops && ops->changed_put) return ops->changed_put(w, k->id); /* queued where the leader reads it */
    mark_changed(w, k->id);
    return JC_OK;
}

const case_hooks eval__case_hooks = {.after = case_changed};

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
    char day[32];
    jc_fmt_local(now_ms, day, sizeof day); /* "YYYY-MM-DD HH:MM" */
    day[10] = 0;
    char month[8];
    snprintf(month, sizeof month, "%.7s", day);
    /* whether the month was counted before this tick applies the changed
     * cases (on PostgreSQL they may be queued before the first tick) */
    int have = 1;
    if (!hook->last_day[0] && eval_counters_present(w, month, &have)) have = 1;
    int64_t ids[512];
    size_t n;
    while ((n = eval_take_changed(w, ids, JC_ARRAY_LEN(ids))) > 0) {
        jc_err e = eval_inc_events(hook->inc, ids, n, now_ms);
        if (e) jc_log(JC_LOG_WARN, "eval: %zu changed cases: %s", n, jc_err_code(e));
    }
    const eval_store_ops *ops = eval_store(w);
    if (ops && ops->changed_take) { /* settings may change on another instance: read them each tick */
        eval_inc_close(hook->inc);
        hook->inc = NULL;
    }
    if (strcmp(day, hook->last_day)) {
        /* at the day's change; and at the first tick when the month has
         * no counters yet (cases written by another program, such as
         * `jiceng demo`, or a database of an earlier build) */
        if (hook->last_day[0] || !have) {
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
