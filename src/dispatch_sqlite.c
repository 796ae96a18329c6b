/*
 * dispatch_sqlite.c -- the SQL behind dispatch_store.h: the escalation
 * settings in meta, and the running phases the escalation timer re-arms.
 */
#include "dispatch_store.h"
#include "store_sqlite.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void esc_defaults(dispatch_esc_cfg *out) {
    out->remind_pct = 80;
    out->levels = 2;
    out->leader_after_min = 420;
}

jc_err dispatch_store_esc_get(jc_conn *c, dispatch_esc_cfg *out) {
    static const char sql[] = "SELECT value FROM meta WHERE key='dispatch.escalation'";
    esc_defaults(out);
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        int pct, levels, after;
        if (sscanf(sq_col_str(s, 0), "%d %d %d", &pct, &levels, &after) == 3 && pct >= 1 && pct <= 99 &&
            (levels == 1 || levels == 2) && after >= 0) {
            out->remind_pct = pct;
            out->levels = levels;
            out->leader_after_min = after;
        }
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : JC_ERR_DB;
}

jc_err dispatch_store_esc_put(jc_conn *w, const dispatch_esc_cfg *cfg) {
    static const char sql[] = "INSERT INTO meta(key, value) VALUES('dispatch.escalation', ?)"
                              " ON CONFLICT(key) DO UPDATE SET value=excluded.value";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    char v[48];
    snprintf(v, sizeof v, "%d %d %d", cfg->remind_pct, cfg->levels, cfg->leader_after_min);
    sq_bind_text(s, 1, v);
    return sq_step_done(store_sqlite_db(w), s, "dispatch", "escalation settings");
}

#define PHASE_COLS "id, case_id, start_at, deadline_at, reminded_at, level, natural_time, phase"

static void read_phase(sqlite3_stmt *s, dispatch_phase_row *r, int *phase) {
    r->id = sqlite3_column_int64(s, 0);
    r->case_id = sqlite3_column_int64(s, 1);
    r->start = sqlite3_column_int64(s, 2);
    r->deadline = sqlite3_column_int64(s, 3);
    r->reminded = sqlite3_column_int64(s, 4); /* NULL reads as 0 */
    r->level = sqlite3_column_int(s, 5);
    r->natural = sqlite3_column_int(s, 6);
    if (phase) {
        const char *p = sq_col_str(s, 7);
        *phase = !strcmp(p, "handle") ? 1 : !strcmp(p, "verify") ? 2 : 0;
    }
}

jc_err dispatch_store_due_phase(jc_conn *w, int64_t id, int64_t next_at, dispatch_phase_row *row, int *phase) {
    static const char sql[] = "SELECT " PHASE_COLS " FROM case_phase WHERE id=? AND next_at=? AND end_at IS NULL";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, next_at);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) read_phase(s, row, phase);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW) return JC_OK;
    return rc == SQLITE_DONE ? JC_ERR_NOTFOUND : sq_fail(store_sqlite_db(w), "dispatch", "due phase");
}

jc_err dispatch_store_running_phases(jc_conn *w, int64_t case_id, int64_t phase_id,
                                     int (*fn)(const dispatch_phase_row *row, void *arg), void *arg) {
    static const char by_case[] = "SELECT " PHASE_COLS " FROM case_phase"
                                  " WHERE case_id=? AND end_at IS NULL AND paused_at IS NULL AND deadline_at IS NOT NULL";
    static const char by_id[] = "SELECT " PHASE_COLS " FROM case_phase"
                                " WHERE id=? AND end_at IS NULL AND paused_at IS NULL AND deadline_at IS NOT NULL";
    sqlite3_stmt *s = store_sqlite_prepare(w, phase_id ? by_id : by_case);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, phase_id ? phase_id : case_id);
    /* a case has one or two open phases: read them all before fn writes */
    dispatch_phase_row rows[8];
    int n = 0, rc = SQLITE_DONE;
    while (n < 8 && (rc = sqlite3_step(s)) == SQLITE_ROW) read_phase(s, &rows[n++], NULL);
    if (n < 8 && rc != SQLITE_DONE) {
        sqlite3_reset(s);
        return sq_fail(store_sqlite_db(w), "dispatch", "running phases");
    }
    sqlite3_reset(s);
    for (int i = 0; i < n; i++)
        if (fn(&rows[i], arg)) break;
    return JC_OK;
}

jc_err dispatch_store_phase_next(jc_conn *w, int64_t id, int64_t next_at) {
    static const char sql[] = "UPDATE case_phase SET next_at=? WHERE id=?";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sq_bind_i64_opt(s, 1, next_at);
    sqlite3_bind_int64(s, 2, id);
    return sq_step_done(store_sqlite_db(w), s, "dispatch", "phase next_at");
}
