/*
 * admin_pg.c -- the PostgreSQL half of the admin module (see admin_store.h;
 * admin_sqlite.c is its twin: same rows, same answers).  No tables of its
 * own: it updates the core users table and reads the core audit table.
 */
#include "admin_store.h"
#include "store_pg.h"

#include <string.h>

#define TAG "admin"

static jc_err pg_user_update(jc_conn *w, const jc_user *u) {
    static const char sql[] = "UPDATE users SET display=$1, role=$2, area=$3, dept_id=$4, phone=$5, disabled=$6"
                              " WHERE id=$7";
    pg_params p = {0};
    pgp_text_opt(&p, u->display);
    pgp_text(&p, role_name(u->role));
    pgp_text_opt(&p, u->area);
    pgp_i64_opt(&p, u->dept_id);
    pgp_text_opt(&p, u->phone);
    pgp_i64(&p, u->disabled ? 1 : 0);
    pgp_i64(&p, u->id);
    int64_t n = 0;
    jc_err e = pg_run_done(w, sql, &p, TAG, "user update", &n);
    return e ? e : n ? JC_OK : JC_ERR_NOTFOUND;
}

static jc_err pg_audit_head(jc_conn *c, int64_t *seq) {
    static const char sql[] = "SELECT COALESCE(max(seq), 0) FROM audit";
    pg_params p = {0};
    jc_err e;
    PGresult *r = pg_run(c, sql, &p, TAG, "audit head", &e);
    if (!r) return e;
    *seq = pg_i64(r, 0, 0);
    PQclear(r);
    return JC_OK;
}

static int64_t pg_audit_seq_at(jc_conn *c, int64_t at, int before) {
    static const char sql_before[] = "SELECT seq FROM audit WHERE at < $1 ORDER BY at DESC LIMIT 1";
    static const char sql_after[] = "SELECT seq FROM audit WHERE at >= $1 ORDER BY at LIMIT 1";
    pg_params p = {0};
    pgp_i64(&p, at);
    jc_err e;
    PGresult *r = pg_run(c, before ? sql_before : sql_after, &p, TAG, "audit seq at", &e);
    if (!r) return 0;
    int64_t seq = PQntuples(r) ? pg_i64(r, 0, 0) : 0;
    PQclear(r);
    return seq;
}

#define AUDIT_SELECT                                                                                    \
    "SELECT a.seq, COALESCE(a.case_id, 0), a.at, COALESCE(a.actor_id, 0), a.actor, a.role, a.action," \
    " a.from_state, a.to_state, a.reason, a.payload_hash, a.state_hash, " PG_AUDIT_PREV_HASH ", a.hash,"          \
    " c.id, c.area, c.created_at, COALESCE(u.display, '')"                                             \
    " FROM audit a LEFT JOIN cases c ON c.id = a.case_id LEFT JOIN users u ON u.id = a.actor_id"
#define AUDIT_CONDITIONS                                                                       \
    " AND a.seq < $1 AND a.seq >= $2"                                                          \
    " AND ($3::text IS NULL OR a.actor = $3) AND ($4::text IS NULL OR a.action = $4)"         \
    " AND ($6::bigint = 0 OR a.at >= $6) AND ($7::bigint = 0 OR a.at < $7)"                   \
    " AND ($8::text = '' OR left(c.area, length($8::text)) = $8)"                             \
    " ORDER BY a.seq DESC LIMIT $9"

static jc_err pg_audit_rows(jc_conn *c, const admin_audit_filter *f, int64_t before, int64_t from_seq,
                            admin_audit_fn cb, void *arg, int *count, int64_t *last) {
    /* the same parameters in both; the second walks the audit_case index */
    static const char sql[] = AUDIT_SELECT " WHERE ($5::bigint = 0 OR a.case_id = $5)" AUDIT_CONDITIONS;
    static const char sql_case[] = AUDIT_SELECT " WHERE a.case_id = $5" AUDIT_CONDITIONS;
    pg_params p = {0};
    pgp_i64(&p, before);
    pgp_i64(&p, from_seq);
    pgp_text_opt(&p, f->actor);
    pgp_text_opt(&p, f->action);
    pgp_i64(&p, f->case_id);
    pgp_i64(&p, f->from_ms);
    pgp_i64(&p, f->to_ms);
    pgp_text_empty(&p, f->area_prefix);
    pgp_i64(&p, f->limit);
    jc_err e;
    PGresult *r = pg_run(c, f->case_id ? sql_case : sql, &p, TAG, "audit", &e);
    if (!r) return e;
    int n = 0;
    for (int i = 0, rows = PQntuples(r); i < rows; i++) {
        jc_audit a;
        store_pg_audit_row(r, i, &a);
        jc_case k;
        memset(&k, 0, sizeof k);
        int has_case = !pg_null(r, i, 14);
        if (has_case) {
            k.id = pg_i64(r, i, 14);
            pg_copy(r, i, 15, k.area, sizeof k.area);
            k.created_ms = pg_i64(r, i, 16);
        }
        *last = a.seq;
        n++;
        int stop = cb(&a, has_case ? &k : NULL, pg_str(r, i, 17), arg);
        audit_clear(&a);
        if (stop) break;
    }
    PQclear(r);
    *count = n;
    return JC_OK;
}

const admin_store_ops admin_store_pg = {pg_user_update, pg_audit_head, pg_audit_seq_at, pg_audit_rows};
