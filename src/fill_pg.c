/*
 * fill_pg.c -- the PostgreSQL table of `jiceng bench-fill` (fill_store.h;
 * fill_sqlite.c is its twin: the same rows).
 *  - Audit entries go through the store's own append (store_pg.c): the
 *    writer keeps a batch's entries and chains them at its end under the
 *    chain's lock, so the seq and hashes the generator computed are
 *    replaced by the same ones (or by later ones if another instance
 *    appended meanwhile: the chain stays one).
 *  - A case's id is taken by bench-fill with one nextval and the next ones
 *    are used in order (store_case_insert with the id given): bulk_end moves
 *    the sequence past the highest id, so that the next case created
 *    anywhere takes a free one.
 *  - Bulk mode sets nothing aside here (the indexes are kept: a fill on
 *    PostgreSQL is for tests and small stores, docs/scale.md); it turns
 *    synchronous_commit off for the writer's session while it fills -- a
 *    crash then loses the last commits, and a fill that fails is started
 *    again on a new database anyway.
 */
#include "fill_store.h"
#include "chain.h"
#include "store_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static jc_err pg_active_list(jc_conn *c, int *version, char **csv) {
    static const char sql[] = "SELECT version, csv FROM duty_lists WHERE active=1 ORDER BY version DESC LIMIT 1";
    *version = 0;
    *csv = NULL;
    jc_err e;
    PGresult *r = pg_run(c, sql, NULL, "fill", "active list", &e);
    if (!r) return e;
    if (PQntuples(r)) {
        *version = (int)pg_i64(r, 0, 0);
        if (!(*csv = pg_dup(r, 0, 1))) e = JC_ERR_NOMEM;
    }
    PQclear(r);
    return e;
}

static jc_err pg_audit_tail(jc_conn *c, int64_t *seq, char hash[65]) {
    static const char sql[] = "SELECT seq, encode(hash, 'hex') FROM audit ORDER BY seq DESC LIMIT 1";
    *seq = 0;
    chain_genesis(hash);
    jc_err e;
    PGresult *r = pg_run(c, sql, NULL, "fill", "audit tail", &e);
    if (!r) return e;
    if (PQntuples(r)) {
        *seq = pg_i64(r, 0, 0);
        pg_copy(r, 0, 1, hash, 65);
    }
    PQclear(r);
    return JC_OK;
}

static jc_err pg_audit(jc_conn *w, const jc_audit *e) {
    jc_audit a = *e; /* the append assigns seq and hashes in its copy */
    return store_audit_append(w, &a);
}

static jc_err pg_route(jc_conn *w, const fill_route *r) {
    static const char sql[] =
        "INSERT INTO case_route(case_id, list_version, entry_id, category, scope, lead_dept, co_depts,"
        " legal_basis, grid, located, manual, explanation, routed_at)"
        " VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)";
    pg_params p = {0};
    pgp_i64(&p, r->case_id);
    pgp_i64(&p, r->list_version);
    pgp_text(&p, r->entry_id);
    pgp_text(&p, r->category);
    pgp_text(&p, r->scope);
    pgp_text(&p, r->lead_dept);
    pgp_text(&p, r->co_depts);
    pgp_text(&p, r->manual ? NULL : "");
    pgp_text(&p, r->grid);
    pgp_text_empty(&p, r->located);
    pgp_i64(&p, r->manual);
    pgp_text_empty(&p, r->explanation);
    pgp_i64(&p, r->routed_at);
    return pg_run_done(w, sql, &p, "fill", "route", NULL);
}

static jc_err pg_owner(jc_conn *w, int64_t case_id, int64_t dept_id, int lead, int64_t start_at, int64_t end_at,
                       const char *end_reason) {
    static const char sql[] =
        "INSERT INTO case_owner(case_id, dept_id, role, start_at, end_at, end_reason) VALUES($1,$2,$3,$4,$5,$6)";
    pg_params p = {0};
    pgp_i64(&p, case_id);
    pgp_i64(&p, dept_id);
    pgp_text(&p, lead ? "lead" : "co");
    pgp_i64(&p, start_at);
    pgp_i64_opt(&p, end_at);
    pgp_text(&p, end_reason);
    return pg_run_done(w, sql, &p, "fill", "owner", NULL);
}

static jc_err pg_phase(jc_conn *w, const fill_phase *ph) {
    static const char sql[] =
        "INSERT INTO case_phase(case_id, phase, dept_id, user_id, start_at, deadline_at, end_at,"
        " end_reason, reminded_at, overdue_at, level, next_at) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)";
    pg_params p = {0};
    pgp_i64(&p, ph->case_id);
    pgp_text(&p, ph->phase == 'a' ? "accept" : ph->phase == 'h' ? "handle" : "verify");
    pgp_i64_opt(&p, ph->dept_id);
    pgp_i64_opt(&p, ph->user_id);
    pgp_i64(&p, ph->start_at);
    pgp_i64_opt(&p, ph->deadline_at);
    pgp_i64_opt(&p, ph->end_at);
    pgp_text(&p, ph->end_reason);
    pgp_i64_opt(&p, ph->reminded_at);
    pgp_i64_opt(&p, ph->overdue_at);
    pgp_i64(&p, ph->level);
    pgp_i64_opt(&p, ph->next_at);
    return pg_run_done(w, sql, &p, "fill", "phase", NULL);
}

static jc_err pg_return(jc_conn *w, int64_t case_id, int64_t dept_id, const char *reason, int64_t at,
                        int64_t decided_at, const char *decided_by) {
    static const char sql[] =
        "INSERT INTO returns(case_id, dept_id, reason_code, reason, at, decision, decided_at, decided_by)"
        " VALUES($1,$2,'not_our_duty',$3,$4,'upheld',$5,$6)";
    pg_params p = {0};
    pgp_i64(&p, case_id);
    pgp_i64(&p, dept_id);
    pgp_text_empty(&p, reason);
    pgp_i64(&p, at);
    pgp_i64(&p, decided_at);
    pgp_text_empty(&p, decided_by);
    return pg_run_done(w, sql, &p, "fill", "return", NULL);
}

static jc_err pg_bulk_begin(jc_conn *w, int drop, fill_bulk **b) {
    static const char sql[] = "SELECT set_config('synchronous_commit', 'off', false)";
    (void)drop;
    *b = NULL;
    jc_err e;
    PGresult *r = pg_run(w, sql, NULL, "fill", "bulk", &e);
    if (r) PQclear(r);
    return e;
}

static jc_err pg_bulk_end(jc_conn *w, fill_bulk *b) {
    static const char seq[] =
        "SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))";
    static const char sync[] = "SELECT set_config('synchronous_commit', 'on', false)";
    (void)b;
    jc_err e;
    PGresult *r = pg_run(w, seq, NULL, "fill", "case ids", &e);
    if (!r) return e;
    PQclear(r);
    if (!(r = pg_run(w, sync, NULL, "fill", "bulk end", &e))) return e;
    PQclear(r);
    return JC_OK;
}

const fill_store_ops fill_store_pg = {
    .active_list = pg_active_list,
    .audit_tail = pg_audit_tail,
    .audit = pg_audit,
    .route = pg_route,
    .owner = pg_owner,
    .phase = pg_phase,
    .ret = pg_return,
    .bulk_begin = pg_bulk_begin,
    .bulk_end = pg_bulk_end,
};
