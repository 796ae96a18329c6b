/*
 * eval.h -- evaluation (评价) of departments, streets, communities and grid
 * workers: the Beijing 三率 (response, resolution, satisfaction) and GB/T
 * 30428-style indicators, scored only on what a unit owned (see
 * docs/eval.md for every formula).
 *
 * How it is computed: a case belongs to the period in which it was created
 * (受理月).  For each case of the period, eval_case_facts() turns its rows
 * in the dispatch tables (case_owner, case_phase, returns, whistles) into
 * facts "unit U, indicator I, numerator x, denominator y"; a table sums the
 * facts per unit, a drill-down lists the cases behind one figure, and the
 * incremental counters (eval_counters) apply the difference between a
 * case's old and new facts when an event arrives (eval_on_event).
 */
#ifndef JC_EVAL_H
#define JC_EVAL_H

#include "jc.h"
#include "store.h"
#include "http.h"

typedef struct json_t json_t;

typedef enum { EV_DEPT = 0, EV_STREET, EV_COMMUNITY, EV_WORKER, EV__KINDS } ev_kind;

typedef enum {
    IND_RESPONSE = 0,   /* 响应率 */
    IND_ONTIME_ACCEPT,  /* 按时签收率 */
    IND_RESOLUTION,     /* 解决率 */
    IND_SATISFACTION,   /* 满意率 */
    IND_ONTIME_CLOSE,   /* 按时办结率 */
    IND_ONTIME_VERIFY,  /* 按时核查率 */
    IND_REWORK,         /* 返工率 */
    IND_RETURN,         /* 退单率 */
    IND_UPHELD_RETURNS, /* 退单成立数 (count) */
    IND_OVERDUE,        /* 超期件数 (count) */
    IND_AVG_CLOSE_H,    /* 平均办结工时 (average, working hours) */
    IND_ONTIME_DISPATCH,/* 按时派遣率 */
    IND_ACCURATE_DISPATCH, /* 派遣准确率 */
    IND_WHISTLE_CHECKIN,/* 报到及时率 */
    IND_WHISTLE_RATING, /* 吹哨评价均分 (average) */
    IND_FOLLOWUP,       /* 回访率: unsatisfied cases called back, someone reached */
    IND__COUNT
} ev_ind;

enum { EV_RATE = 0, EV_COUNT = 1, EV_AVG = 2 };
typedef struct {
    const char *name, *zh;
    int type;         /* EV_RATE, EV_COUNT, EV_AVG */
    unsigned kinds;   /* bit per ev_kind where it is shown */
} ev_ind_meta;
extern const ev_ind_meta eval_ind[IND__COUNT];
extern const char *const eval_kind_name[EV__KINDS];    /* "dept", "street" ... */
extern const char *const eval_kind_zh[EV__KINDS];      /* "职能部门" ... */

/* Settings (eval_config, defaults in eval.c). */
typedef struct {
    double w_basic;        /* weight of 基本满意 in the satisfaction rate (0.8) */
    int min_cases;         /* fewer cases: flagged, not ranked (10) */
    double grade[4];       /* lower bounds of A, B, C, D (90, 80, 70, 60); below: E */
    double dispatch_limit_h; /* working hours from creation to dispatch (2) */
    double weight[IND__COUNT]; /* composite score weights (rates only) */
} eval_params;
/* Defaults overlaid with the eval_config rows. */
jc_err eval_params_load(jc_conn *c, eval_params *p) JC_MUST_CHECK;
/* Stores one setting (writer): key as eval_params_set takes it. */
jc_err eval_params_put(jc_conn *w, const char *key, double value) JC_MUST_CHECK;
/* Sets one setting by its eval_config key (w_basic, min_cases,
 * dispatch_limit_h, grade.A..D, weight.<indicator>); 0 for an unknown key. */
int eval_params_set(eval_params *p, const char *key, double v);

/* "2026-11" (a month), "2026" (a year) or "2026-11-01..2026-11-15" (days,
 * inclusive) in Asia/Shanghai into [t0, t1) UTC ms.  JC_ERR_INVALID. */
jc_err eval_period_parse(const char *s, int64_t *t0, int64_t *t1) JC_MUST_CHECK;

/* One unit's row of a table. */
typedef struct {
    ev_kind kind;
    char key[48];    /* "dept:3", "street:110101001", "community:…", "worker:7" */
    char name[128];
    int64_t n;       /* cases behind the row */
    double num[IND__COUNT], den[IND__COUNT];
    double score;    /* composite 0..100, <0 when nothing to score */
    char grade[4];   /* "A".."E", "" when small sample */
    int rank;        /* 1.. within its kind, 0 = not ranked (small sample) */
    int small;       /* fewer than min_cases */
} eval_row;

typedef struct {
    eval_row *rows;
    size_t n;
    int64_t t0, t1, as_of;
    eval_params params;
    int64_t cases;   /* cases of the period */
} eval_table;

/* Computes every unit's row for cases created in [t0, t1), judging open
 * phases as of as_of.  Caller frees with eval_table_free. */
jc_err eval_compute(jc_conn *c, int64_t t0, int64_t t1, int64_t as_of, eval_table **out) JC_MUST_CHECK;
void eval_table_free(eval_table *t);
/* The value of indicator i of a row: a rate 0..1, a count, an average;
 * NAN when its denominator is 0. */
double eval_value(const eval_row *r, ev_ind i);
/* JSON of the rows of one kind (-1 all). Caller decrefs. */
json_t *eval_table_json(const eval_table *t, int kind);

/* The cases behind one figure: unit key ("dept:3") and indicator name.
 * *out = [{case_id, num, den}] (caller decrefs).  JC_ERR_INVALID for an
 * unknown indicator or unit kind. */
jc_err eval_drill(jc_conn *c, int64_t t0, int64_t t1, int64_t as_of, const char *unit,
                  const char *indicator, json_t **out) JC_MUST_CHECK;

/* Excel workbook: a sheet per unit kind, Chinese headers, a title row with
 * the period, percentages formatted.  JC_ERR_IO when it cannot be written. */
jc_err eval_export_xlsx(const eval_table *t, const char *period, const char *path) JC_MUST_CHECK;
/* CSV of all rows (UTF-8 with BOM, Chinese headers) appended to b. */
jc_err eval_export_csv(const eval_table *t, jc_buf *b) JC_MUST_CHECK;

/* ---- incremental counters (eval_counters, per unit and month) ----------- */
/* A handle with the prepared statements of the incremental path, for one
 * connection (the writer): keep one for the life of the connection. */
typedef struct eval_inc eval_inc;
jc_err eval_inc_open(jc_conn *w, eval_inc **out) JC_MUST_CHECK;
void eval_inc_close(eval_inc *inc); /* NULL is a no-op */
/* eval_on_event through a kept handle (the fast path); settings are read
 * when the handle is opened: reopen it after changing eval_config. */
jc_err eval_inc_event(eval_inc *inc, int64_t case_id, int64_t now_ms) JC_MUST_CHECK;
/* The same for many cases at once (ids is sorted and deduplicated in
 * place): runs of nearby ids are read with one range scan per table and the
 * counter changes are summed before they are written. */
jc_err eval_inc_events(eval_inc *inc, int64_t *ids, size_t n, int64_t now_ms) JC_MUST_CHECK;
/* Call after any event of case_id (on the writer): recomputes the case's
 * facts as of now_ms and applies the difference to the counters of the
 * case's month.  Cheap: a few indexed reads and the changed counters. */
jc_err eval_on_event(jc_conn *w, int64_t case_id, int64_t now_ms) JC_MUST_CHECK;
/* The server's ticker: feeds changed cases to the counters; recomputes the
 * month when the (simulated) day changes.  Defined in eval_hook.c. */
jc_err eval_hook_tick(jc_conn *w, int64_t now_ms) JC_MUST_CHECK;
/* After eval_config changed (on the writer, in the same job): the counters
 * of the current month are recomputed with the new settings and the ticker
 * reopens its handle. */
jc_err eval_hook_settings_changed(jc_conn *w, int64_t now_ms) JC_MUST_CHECK;
/* Full recomputation of month "YYYY-MM": rebuilds its counters and facts. */
jc_err eval_recompute_month(jc_conn *w, const char *month, int64_t as_of) JC_MUST_CHECK;
/* *yes = 1 when month "YYYY-MM" has counters (a recomputation or an event
 * wrote some). */
jc_err eval_counters_present(jc_conn *c, const char *month, int *yes) JC_MUST_CHECK;
/* Builds a table from the counters of a month (no score until computed). */
jc_err eval_from_counters(jc_conn *c, const char *month, eval_table **out) JC_MUST_CHECK;
/* The rows (num, den, n) for cases created in [t0, t1), any range: whole
 * months that are over from their counters, the current month and the days
 * of partial months computed from their cases as of as_of.  Scores are not
 * filled in.  Caller frees with eval_table_free. */
jc_err eval_range(jc_conn *c, int64_t t0, int64_t t1, int64_t as_of, eval_table **out) JC_MUST_CHECK;

/* ---- internal (eval.c <-> eval_inc.c) ----------------------------------- */
#define EV_MAX_ROWS 32
typedef struct {
    char phase;          /* 'a' accept, 'h' handle, 'v' verify */
    int64_t dept, user, start, deadline, end, paused;
    char reason[16];
} ev_phase;
typedef struct {
    int64_t dept, start, end;
    int lead;
    char reason[16];
} ev_owner;
typedef struct {
    int64_t dept, at;
    int upheld;
} ev_return;
typedef struct {
    int64_t dept, deadline, checked_in;
    int rating; /* 0 none */
} ev_member;
typedef struct {
    int64_t id, created;
    char area[24], state[16], rating[16];
    ev_phase ph[EV_MAX_ROWS];
    ev_owner ow[EV_MAX_ROWS];
    ev_return rt[EV_MAX_ROWS];
    ev_member wm[EV_MAX_ROWS];
    int nph, now, nrt, nwm;
    int followups_reached; /* 回访 calls that reached someone (case_followups) */
} ev_case;
typedef void (*ev_emit)(void *ctx, ev_kind kind, const char *key, ev_ind ind, int64_t case_id,
                        double num, double den);
/* The facts of one case (pure; cal may be NULL: natural time). */
struct calendar;
void eval__case_facts(const ev_case *k, const eval_params *p, const struct calendar *cal,
                      int64_t as_of, ev_emit emit, void *ctx);
/* Calls cb for each case created in [t0, t1) (only_id > 0: that case). */
jc_err eval__scan(jc_conn *c, int64_t t0, int64_t t1, int64_t only_id,
                  void (*cb)(const ev_case *k, void *arg), void *arg) JC_MUST_CHECK;
/* Unit display names. */
jc_err eval__unit_name(jc_conn *c, const char *key, char *out, size_t outsz);
/* The calendar (official data plus calendar_days overrides), cached. */
const struct calendar *eval__calendar(jc_conn *c);

/* A recomputation of months fed case by case, for a writer that knows each
 * case's final rows as it writes them (bench-fill): the counters come out
 * as eval_recompute_month's when the cases of a month are added in id
 * order.  eval_acc_month recomputes a month's cases now in the store (its
 * facts and counters cleared, the facts written, the totals kept);
 * eval_acc_facts packs the facts of one case (as of as_of; out holds
 * EVAL_FACTS_MAX bytes; its month "YYYY-MM" into month; no store access:
 * any thread), which the caller stores (eval_store_ops.facts_put) and adds
 * with eval_acc_add; eval_acc_write writes the totals of every month (its
 * counters must have been cleared: eval_acc_month). */
#define EVAL_FACTS_MAX 16900
typedef struct eval_acc eval_acc;
jc_err eval_acc_open(jc_conn *c, int64_t as_of, eval_acc **out) JC_MUST_CHECK;
jc_err eval_acc_month(eval_acc *a, jc_conn *w, const char *month) JC_MUST_CHECK;
size_t eval_acc_facts(const eval_acc *a, const ev_case *k, unsigned char *out, char month[8]);
jc_err eval_acc_add(eval_acc *a, const char *month, const unsigned char *facts, size_t len) JC_MUST_CHECK;
jc_err eval_acc_write(eval_acc *a, jc_conn *w) JC_MUST_CHECK;
void eval_acc_free(eval_acc *a);

/* The eval module's tables (eval_sqlite.c) and the routes of eval_api.c,
 * named in its row (eval.c). */
extern const jc_schema schema_eval;
extern const jc_route_table eval__config_routes;

/* The ids of the cases changed (an action, a touch) since the last call, up
 * to max, in the order they changed (w the writer, on its thread; the
 * ticker's).  None is dropped: call again until it returns 0. */
size_t eval_take_changed(jc_conn *w, int64_t *out, size_t max);
/* The module's case hooks (eval_hook.c), named in its row (eval.c). */
typedef struct case_hooks case_hooks;
extern const case_hooks eval__case_hooks;

#endif
