/*
 * notify_sqlite.c -- the SQLite half of the notify module (see
 * notify_store.h for the operations, notify.c for what they mean).
 *
 *  notifications  one row per (event, audience): a user, a department's
 *                 staff, or a role over an area; the kind is a code the UI
 *                 renders in the reader's language.
 *  notify_read    which user has read which notification;
 *  notify_seen    ... and the id up to which everything counts as read.
 *  notify_meta    'audit_seq': the audit entry up to which notifications
 *                 were produced (written in the producing transaction).
 *  notify_hooks   outbound webhooks (SMS gateways, 政务微信 bridges ...);
 *  notify_outbox  one delivery per (hook, notification): its attempts, the
 *                 next try, the last HTTP status and error.
 *
 * Reads the core tables audit, cases and users, and dispatch's whistles and
 * returns, read-only.
 */
#include "notify_store.h"
#include "store_sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const notify_migrations[] = {
    "CREATE TABLE notifications(id INTEGER PRIMARY KEY, at INTEGER NOT NULL, kind TEXT NOT NULL,"
    "  case_id INTEGER, audit_seq INTEGER, actor_id INTEGER, user_id INTEGER, dept_id INTEGER,"
    "  role TEXT, area TEXT, detail TEXT);"
    "CREATE INDEX notifications_user ON notifications(user_id, id) WHERE user_id IS NOT NULL;"
    "CREATE INDEX notifications_dept ON notifications(dept_id, id) WHERE dept_id IS NOT NULL;"
    "CREATE INDEX notifications_role ON notifications(role, id) WHERE role IS NOT NULL;"
    "CREATE INDEX notifications_case ON notifications(case_id) WHERE case_id IS NOT NULL;"
    "CREATE TABLE notify_read(user_id INTEGER NOT NULL, notification_id INTEGER NOT NULL,"
    "  at INTEGER NOT NULL, PRIMARY KEY(user_id, notification_id)) WITHOUT ROWID;"
    "CREATE TABLE notify_seen(user_id INTEGER PRIMARY KEY, upto INTEGER NOT NULL);"
    "CREATE TABLE notify_meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    /* a database that already has a history starts from its end */
    "INSERT INTO notify_meta(key, value) SELECT 'audit_seq', COALESCE(max(seq), 0) FROM audit;"
    "CREATE TABLE notify_hooks(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, url TEXT NOT NULL,"
    "  secret TEXT NOT NULL, kinds TEXT NOT NULL DEFAULT '', area TEXT NOT NULL DEFAULT '',"
    "  dept_id INTEGER, active INTEGER NOT NULL DEFAULT 1, created_at INTEGER NOT NULL,"
    "  created_by TEXT NOT NULL);"
    "CREATE TABLE notify_outbox(id INTEGER PRIMARY KEY, hook_id INTEGER NOT NULL,"
    "  notification_id INTEGER NOT NULL, state TEXT NOT NULL DEFAULT 'pending'"
    "  CHECK(state = 'pending' OR state = 'sent' OR state = 'failed'),"
    "  attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, created_at INTEGER NOT NULL,"
    "  sent_at INTEGER, last_status INTEGER, last_error TEXT);"
    "CREATE INDEX notify_outbox_due ON notify_outbox(next_at) WHERE state = 'pending';"
    "CREATE INDEX notify_outbox_hook ON notify_outbox(hook_id, id);",
};

const jc_schema schema_notify = {"notify", notify_migrations,
                                 (int)(sizeof notify_migrations / sizeof notify_migrations[0])};

#define PREP(c, sql) store_sqlite_prepare((c), (sql))
#define TAG "notify"

static jc_err done(jc_conn *c, sqlite3_stmt *s, const char *what) {
    return sq_step_done(store_sqlite_db(c), s, TAG, what);
}

/* ---- production ----------------------------------------------------------------- */

static const char sql_hw_get[] = "SELECT value FROM notify_meta WHERE key='audit_seq'";
static const char sql_hw_set[] =
    "INSERT INTO notify_meta(key, value) VALUES('audit_seq', ?)"
    " ON CONFLICT(key) DO UPDATE SET value=excluded.value";

static jc_err nsq_hw(jc_conn *w, int64_t *seq) {
    sqlite3_stmt *s = PREP(w, sql_hw_get);
    if (!s) return JC_ERR_DB;
    int rc = sqlite3_step(s);
    *seq = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(w), TAG, "hw");
}

static jc_err nsq_set_hw(jc_conn *w, int64_t seq) {
    sqlite3_stmt *s = PREP(w, sql_hw_set);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, seq);
    return done(w, s, "set hw");
}

static const char sql_audit[] =
    "SELECT a.seq, a.case_id, a.at, COALESCE(a.actor_id, 0), a.role, a.action, COALESCE(a.to_state, ''),"
    " a.reason, c.id, c.area, c.state, COALESCE(c.dept_id, 0), COALESCE(c.assignee_id, 0),"
    " COALESCE(c.reporter_id, 0), c.flags, c.rating"
    " FROM audit a LEFT JOIN cases c ON c.id = a.case_id WHERE a.seq > ? ORDER BY a.seq LIMIT ?";

static jc_err nsq_audit_each(jc_conn *w, int64_t seq, int limit, int64_t *last,
                            int (*cb)(const notify_src *src, void *arg), void *arg) {
    sqlite3_stmt *s = PREP(w, sql_audit);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, seq);
    sqlite3_bind_int(s, 2, limit);
    *last = seq;
    int rc;
    jc_err e = JC_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        *last = sqlite3_column_int64(s, 0);
        if (sqlite3_column_type(s, 8) == SQLITE_NULL) continue; /* about no case */
        notify_src src;
        memset(&src, 0, sizeof src);
        src.seq = *last;
        src.case_id = sqlite3_column_int64(s, 1);
        src.at_ms = sqlite3_column_int64(s, 2);
        src.actor_id = sqlite3_column_int64(s, 3);
        sq_col_copy(s, 4, src.actor_role, sizeof src.actor_role);
        sq_col_copy(s, 5, src.action, sizeof src.action);
        sq_col_copy(s, 6, src.to_state, sizeof src.to_state);
        src.reason = sqlite3_column_type(s, 7) == SQLITE_NULL ? NULL : (const char *)sqlite3_column_text(s, 7);
        sq_col_copy(s, 9, src.area, sizeof src.area);
        sq_col_copy(s, 10, src.state, sizeof src.state);
        src.dept_id = sqlite3_column_int64(s, 11);
        src.assignee_id = sqlite3_column_int64(s, 12);
        src.reporter_id = sqlite3_column_int64(s, 13);
        src.flags = (unsigned)sqlite3_column_int64(s, 14);
        sq_col_copy(s, 15, src.rating, sizeof src.rating);
        if (cb(&src, arg)) {
            e = JC_ERR_INTERNAL;
            break;
        }
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) e = sq_fail(store_sqlite_db(w), TAG, "audit");
    sqlite3_reset(s);
    return e;
}

static const char sql_whistle_depts[] =
    "SELECT m.dept_id FROM whistle_members m WHERE m.whistle_id ="
    " (SELECT id FROM whistles WHERE case_id=? ORDER BY id DESC LIMIT 1) ORDER BY m.dept_id";

static jc_err nsq_whistle_depts(jc_conn *w, int64_t case_id, int64_t *out, int max, int *n) {
    *n = 0;
    sqlite3_stmt *s = PREP(w, sql_whistle_depts);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, case_id);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (*n < max) out[(*n)++] = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(w), TAG, "whistle depts");
}

static const char sql_reassigned[] =
    "SELECT dept_id FROM case_owner WHERE case_id=? AND role='lead' AND end_reason='reassigned'"
    " ORDER BY end_at DESC, id DESC LIMIT 1";

static jc_err nsq_reassigned_dept(jc_conn *w, int64_t case_id, int64_t *dept_id) {
    sqlite3_stmt *s = PREP(w, sql_reassigned);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, case_id);
    int rc = sqlite3_step(s);
    *dept_id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(w), TAG, "reassigned dept");
}

static const char sql_return_dept[] = "SELECT dept_id FROM returns WHERE case_id=? ORDER BY id DESC LIMIT 1";

static jc_err nsq_return_dept(jc_conn *w, int64_t case_id, int64_t *dept_id) {
    sqlite3_stmt *s = PREP(w, sql_return_dept);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, case_id);
    int rc = sqlite3_step(s);
    *dept_id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(w), TAG, "return dept");
}

static const char sql_insert[] =
    "INSERT INTO notifications(at, kind, case_id, audit_seq, actor_id, user_id, dept_id, role, area, detail)"
    " VALUES(?,?,?,?,?,?,?,?,?,?)";

static jc_err nsq_insert(jc_conn *w, notify_row *n) {
    sqlite3_stmt *s = PREP(w, sql_insert);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, n->at_ms);
    sq_bind_text(s, 2, n->kind);
    sq_bind_i64_opt(s, 3, n->case_id);
    sq_bind_i64_opt(s, 4, n->audit_seq);
    sq_bind_i64_opt(s, 5, n->actor_id);
    sq_bind_i64_opt(s, 6, n->user_id);
    sq_bind_i64_opt(s, 7, n->dept_id);
    sq_bind_text_opt(s, 8, n->role);
    sq_bind_text_opt(s, 9, n->role[0] ? n->area : NULL);
    sq_bind_text_opt(s, 10, n->detail);
    jc_err e = done(w, s, "insert");
    if (!e) n->id = sqlite3_last_insert_rowid(store_sqlite_db(w));
    return e;
}

static jc_err nsq_begin(jc_conn *w) {
    return sq_exec(store_sqlite_db(w), TAG, "SAVEPOINT notify") == SQLITE_OK ? JC_OK : JC_ERR_DB;
}

static void nsq_end(jc_conn *w, int ok) {
    sqlite3 *db = store_sqlite_db(w);
    if (!ok) {
        (void)sq_exec(db, TAG, "ROLLBACK TO notify");
        store_sqlite_touch(w); /* what the writer kept may be undone */
    }
    (void)sq_exec(db, TAG, "RELEASE notify");
}

/* ---- reading ---------------------------------------------------------------------- */

/* The three audiences of a feed, each read newest first through its own
 * index and cut to the limit before they are merged: ?1 user, ?2 dept, ?3
 * role, ?4 area scope, ?5 before, ?6 limit, ?7 unread only, ?8 read up to. */
#define FEED_FILTER                                                                              \
    " AND id < ?5 AND (actor_id IS NULL OR actor_id <> ?1)"                                       \
    " AND (?7 = 0 OR (id > ?8 AND NOT EXISTS(SELECT 1 FROM notify_read r"                          \
    " WHERE r.user_id = ?1 AND r.notification_id = notifications.id)))"                           \
    " ORDER BY id DESC LIMIT ?6)"
#define FEED_IDS                                                                                 \
    "SELECT id FROM (SELECT id FROM notifications WHERE user_id = ?1" FEED_FILTER                 \
    " UNION ALL SELECT id FROM (SELECT id FROM notifications WHERE dept_id = ?2" FEED_FILTER      \
    " UNION ALL SELECT id FROM (SELECT id FROM notifications WHERE role = ?3"                      \
    " AND substr(area, 1, length(?4)) = ?4" FEED_FILTER

static const char sql_feed[] =
    "WITH feed(id) AS (" FEED_IDS ")"
    " SELECT n.id, n.at, n.kind, COALESCE(n.case_id, 0), COALESCE(n.audit_seq, 0), COALESCE(n.actor_id, 0),"
    " COALESCE(n.user_id, 0), COALESCE(n.dept_id, 0), n.role, n.area, n.detail,"
    " (n.id <= ?8 OR EXISTS(SELECT 1 FROM notify_read r WHERE r.user_id = ?1 AND r.notification_id = n.id)),"
    " c.id, c.title, c.state, c.area, COALESCE(c.dept_id, 0), COALESCE(c.reporter_id, 0), c.created_at,"
    " COALESCE(NULLIF(u.display, ''), u.name)"
    " FROM feed JOIN notifications n ON n.id = feed.id LEFT JOIN cases c ON c.id = n.case_id"
    " LEFT JOIN users u ON u.id = n.actor_id ORDER BY n.id DESC LIMIT ?6";

static const char sql_seen[] = "SELECT upto FROM notify_seen WHERE user_id=?";

static int64_t seen_upto(jc_conn *c, int64_t user_id) {
    sqlite3_stmt *s = PREP(c, sql_seen);
    if (!s) return 0;
    sqlite3_bind_int64(s, 1, user_id);
    int64_t v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return v;
}

static void bind_who(sqlite3_stmt *s, const notify_who *who) {
    sqlite3_bind_int64(s, 1, who->user_id);
    sqlite3_bind_int64(s, 2, who->dept_id ? who->dept_id : -1);
    sq_bind_text(s, 3, who->role);
    sq_bind_text(s, 4, who->area ? who->area : "");
}

static void row_from(sqlite3_stmt *s, int i, notify_row *n) {
    n->id = sqlite3_column_int64(s, i);
    n->at_ms = sqlite3_column_int64(s, i + 1);
    sq_col_copy(s, i + 2, n->kind, sizeof n->kind);
    n->case_id = sqlite3_column_int64(s, i + 3);
    n->audit_seq = sqlite3_column_int64(s, i + 4);
    n->actor_id = sqlite3_column_int64(s, i + 5);
    n->user_id = sqlite3_column_int64(s, i + 6);
    n->dept_id = sqlite3_column_int64(s, i + 7);
    sq_col_copy(s, i + 8, n->role, sizeof n->role);
    sq_col_copy(s, i + 9, n->area, sizeof n->area);
    sq_col_copy(s, i + 10, n->detail, sizeof n->detail);
}

static jc_err nsq_feed(jc_conn *c, const notify_who *who, int64_t before, int limit, int unread_only,
                      int (*cb)(const notify_item *it, void *arg), void *arg) {
    int64_t upto = seen_upto(c, who->user_id);
    sqlite3_stmt *s = PREP(c, sql_feed);
    if (!s) return JC_ERR_DB;
    bind_who(s, who);
    sqlite3_bind_int64(s, 5, before > 0 ? before : INT64_MAX);
    sqlite3_bind_int(s, 6, limit);
    sqlite3_bind_int(s, 7, unread_only);
    sqlite3_bind_int64(s, 8, upto);
    int rc;
    jc_err e = JC_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        notify_item it;
        memset(&it, 0, sizeof it);
        row_from(s, 0, &it.n);
        it.read = sqlite3_column_int(s, 11);
        if (sqlite3_column_type(s, 12) != SQLITE_NULL) {
            it.has_case = 1;
            it.k.id = sqlite3_column_int64(s, 12);
            it.k.title = (char *)sqlite3_column_text(s, 13);
            int st = state_parse(sq_col_str(s, 14));
            it.k.state = st < 0 ? ST_REPORTED : (jc_state)st;
            sq_col_copy(s, 15, it.k.area, sizeof it.k.area);
            it.k.dept_id = sqlite3_column_int64(s, 16);
            it.k.reporter_id = sqlite3_column_int64(s, 17);
            it.k.created_ms = sqlite3_column_int64(s, 18);
        }
        sq_col_copy(s, 19, it.actor, sizeof it.actor);
        if (cb(&it, arg)) break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) e = sq_fail(store_sqlite_db(c), TAG, "feed");
    sqlite3_reset(s);
    return e;
}

#define UNREAD_PART(aud)                                                                         \
    "(SELECT count(*) FROM (SELECT 1 FROM notifications WHERE " aud " AND id > ?5"                 \
    " AND (actor_id IS NULL OR actor_id <> ?1) AND NOT EXISTS(SELECT 1 FROM notify_read r"        \
    " WHERE r.user_id = ?1 AND r.notification_id = notifications.id) LIMIT ?6))"
static const char sql_unread[] =
    "SELECT " UNREAD_PART("user_id = ?1") " + " UNREAD_PART("dept_id = ?2") " + "
    UNREAD_PART("role = ?3 AND substr(area, 1, length(?4)) = ?4");

static jc_err nsq_unread(jc_conn *c, const notify_who *who, int cap, int64_t *n) {
    int64_t upto = seen_upto(c, who->user_id);
    sqlite3_stmt *s = PREP(c, sql_unread);
    if (!s) return JC_ERR_DB;
    bind_who(s, who);
    sqlite3_bind_int64(s, 5, upto);
    sqlite3_bind_int(s, 6, cap);
    int rc = sqlite3_step(s);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    if (*n > cap) *n = cap;
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? JC_OK : sq_fail(store_sqlite_db(c), TAG, "unread");
}

#define ROW_COLS                                                                                \
    "id, at, kind, COALESCE(case_id, 0), COALESCE(audit_seq, 0), COALESCE(actor_id, 0),"          \
    " COALESCE(user_id, 0), COALESCE(dept_id, 0), role, area, detail"
static const char sql_since[] = "SELECT " ROW_COLS " FROM notifications WHERE id > ? ORDER BY id LIMIT ?";

static jc_err nsq_since(jc_conn *c, int64_t after, int limit, int64_t *last,
                       int (*cb)(const notify_row *n, void *arg), void *arg) {
    *last = after;
    sqlite3_stmt *s = PREP(c, sql_since);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, after);
    sqlite3_bind_int(s, 2, limit);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        notify_row n;
        row_from(s, 0, &n);
        *last = n.id;
        if (cb(&n, arg)) break;
    }
    jc_err e = rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(c), TAG, "since");
    sqlite3_reset(s);
    return e;
}

static const char sql_max[] = "SELECT COALESCE(max(id), 0) FROM notifications";

static jc_err nsq_max_id(jc_conn *c, int64_t *id) {
    sqlite3_stmt *s = PREP(c, sql_max);
    if (!s) return JC_ERR_DB;
    int rc = sqlite3_step(s);
    *id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? JC_OK : sq_fail(store_sqlite_db(c), TAG, "max id");
}

static const char sql_get[] = "SELECT " ROW_COLS " FROM notifications WHERE id = ?";

static jc_err nsq_get(jc_conn *c, int64_t id, notify_row *out) {
    sqlite3_stmt *s = PREP(c, sql_get);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) row_from(s, 0, out);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW) return JC_OK;
    return rc == SQLITE_DONE ? JC_ERR_NOTFOUND : sq_fail(store_sqlite_db(c), TAG, "get");
}

/* ---- read marks ----------------------------------------------------------------------- */

static const char sql_mark[] =
    "INSERT INTO notify_read(user_id, notification_id, at) VALUES(?,?,?) ON CONFLICT DO NOTHING";

static jc_err nsq_mark(jc_conn *w, int64_t user_id, int64_t id, int64_t at_ms) {
    sqlite3_stmt *s = PREP(w, sql_mark);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, id);
    sqlite3_bind_int64(s, 3, at_ms);
    return done(w, s, "mark");
}

static const char sql_mark_case[] =
    "INSERT INTO notify_read(user_id, notification_id, at)"
    " SELECT ?1, id, ?7 FROM notifications WHERE case_id = ?5 AND id > ?6"
    " AND (user_id = ?1 OR dept_id = ?2 OR (role = ?3 AND substr(area, 1, length(?4)) = ?4))"
    " ON CONFLICT DO NOTHING";

static jc_err nsq_mark_case(jc_conn *w, const notify_who *who, int64_t case_id, int64_t at_ms, int64_t *n) {
    int64_t upto = seen_upto(w, who->user_id);
    sqlite3_stmt *s = PREP(w, sql_mark_case);
    if (!s) return JC_ERR_DB;
    bind_who(s, who);
    sqlite3_bind_int64(s, 5, case_id);
    sqlite3_bind_int64(s, 6, upto);
    sqlite3_bind_int64(s, 7, at_ms);
    jc_err e = done(w, s, "mark case");
    *n = e ? 0 : sqlite3_changes(store_sqlite_db(w));
    return e;
}

static const char sql_upto[] =
    "INSERT INTO notify_seen(user_id, upto) VALUES(?1, ?2)"
    " ON CONFLICT(user_id) DO UPDATE SET upto = max(upto, excluded.upto)";
static const char sql_upto_clean[] = "DELETE FROM notify_read WHERE user_id = ? AND notification_id <= ?";

static jc_err nsq_mark_upto(jc_conn *w, int64_t user_id, int64_t upto) {
    sqlite3_stmt *s = PREP(w, sql_upto);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, upto);
    jc_err e = done(w, s, "mark upto");
    if (e) return e;
    /* the single marks below the line say nothing any more */
    s = PREP(w, sql_upto_clean);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, seen_upto(w, user_id));
    return done(w, s, "mark upto clean");
}

/* ---- webhooks ---------------------------------------------------------------------------- */

static const char sql_hook_insert[] =
    "INSERT INTO notify_hooks(name, url, secret, kinds, area, dept_id, active, created_at, created_by)"
    " VALUES(?,?,?,?,?,?,?,?,?)";

static jc_err nsq_hook_insert(jc_conn *w, notify_hook *h) {
    sqlite3_stmt *s = PREP(w, sql_hook_insert);
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, h->name);
    sq_bind_text(s, 2, h->url);
    sq_bind_text(s, 3, h->secret);
    sq_bind_text_empty(s, 4, h->kinds);
    sq_bind_text_empty(s, 5, h->area);
    sq_bind_i64_opt(s, 6, h->dept_id);
    sqlite3_bind_int(s, 7, h->active);
    sqlite3_bind_int64(s, 8, h->created_ms);
    sq_bind_text(s, 9, h->created_by);
    jc_err e = done(w, s, "hook insert");
    if (!e) h->id = sqlite3_last_insert_rowid(store_sqlite_db(w));
    return e;
}

#define HOOK_COLS                                                                                \
    "h.id, h.name, h.url, h.secret, h.kinds, h.area, COALESCE(h.dept_id, 0), h.active, h.created_at,"  \
    " h.created_by"

static void hook_from(sqlite3_stmt *s, notify_hook *h) {
    memset(h, 0, sizeof *h);
    h->id = sqlite3_column_int64(s, 0);
    sq_col_copy(s, 1, h->name, sizeof h->name);
    sq_col_copy(s, 2, h->url, sizeof h->url);
    sq_col_copy(s, 3, h->secret, sizeof h->secret);
    sq_col_copy(s, 4, h->kinds, sizeof h->kinds);
    sq_col_copy(s, 5, h->area, sizeof h->area);
    h->dept_id = sqlite3_column_int64(s, 6);
    h->active = sqlite3_column_int(s, 7);
    h->created_ms = sqlite3_column_int64(s, 8);
    sq_col_copy(s, 9, h->created_by, sizeof h->created_by);
}

static const char sql_hook_get[] = "SELECT " HOOK_COLS " FROM notify_hooks h WHERE h.id = ?";

static jc_err nsq_hook_get(jc_conn *c, int64_t id, notify_hook *out) {
    sqlite3_stmt *s = PREP(c, sql_hook_get);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) hook_from(s, out);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW) return JC_OK;
    return rc == SQLITE_DONE ? JC_ERR_NOTFOUND : sq_fail(store_sqlite_db(c), TAG, "hook get");
}

static const char sql_hook_update[] =
    "UPDATE notify_hooks SET url=?, kinds=?, area=?, dept_id=?, active=? WHERE id=?";

static jc_err nsq_hook_update(jc_conn *w, const notify_hook *h) {
    sqlite3_stmt *s = PREP(w, sql_hook_update);
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, h->url);
    sq_bind_text_empty(s, 2, h->kinds);
    sq_bind_text_empty(s, 3, h->area);
    sq_bind_i64_opt(s, 4, h->dept_id);
    sqlite3_bind_int(s, 5, h->active);
    sqlite3_bind_int64(s, 6, h->id);
    return done(w, s, "hook update");
}

static const char sql_hook_each[] =
    "SELECT " HOOK_COLS ","
    " (SELECT count(*) FROM notify_outbox o WHERE o.hook_id = h.id AND o.state = 'pending'),"
    " (SELECT count(*) FROM notify_outbox o WHERE o.hook_id = h.id AND o.state = 'sent'),"
    " (SELECT count(*) FROM notify_outbox o WHERE o.hook_id = h.id AND o.state = 'failed')"
    " FROM notify_hooks h WHERE ?1 = 0 OR h.active = 1 ORDER BY h.id";
static const char sql_hook_each_lean[] =
    "SELECT " HOOK_COLS " FROM notify_hooks h WHERE h.active = 1 ORDER BY h.id";

static jc_err nsq_hook_each(jc_conn *c, int active_only, int (*cb)(const notify_hook *h, void *arg), void *arg) {
    /* the producer wants the active hooks only, without the counts */
    sqlite3_stmt *s = PREP(c, active_only ? sql_hook_each_lean : sql_hook_each);
    if (!s) return JC_ERR_DB;
    if (!active_only) sqlite3_bind_int(s, 1, 0);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        notify_hook h;
        hook_from(s, &h);
        if (!active_only) {
            h.pending = sqlite3_column_int64(s, 10);
            h.sent = sqlite3_column_int64(s, 11);
            h.failed = sqlite3_column_int64(s, 12);
        }
        if (cb(&h, arg)) break;
    }
    jc_err e = rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(c), TAG, "hooks");
    sqlite3_reset(s);
    return e;
}

static const char sql_outbox_add[] =
    "INSERT INTO notify_outbox(hook_id, notification_id, next_at, created_at) VALUES(?,?,?,?)";

static jc_err nsq_outbox_add(jc_conn *w, int64_t hid, int64_t nid, int64_t next_ms) {
    sqlite3_stmt *s = PREP(w, sql_outbox_add);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, hid);
    sqlite3_bind_int64(s, 2, nid);
    sqlite3_bind_int64(s, 3, next_ms);
    sqlite3_bind_int64(s, 4, next_ms);
    return done(w, s, "outbox add");
}

#define DELIVERY_COLS                                                                            \
    "o.id, o.hook_id, o.notification_id, o.state, o.attempts, o.next_at, COALESCE(o.sent_at, 0),"   \
    " o.created_at, COALESCE(o.last_status, 0), o.last_error, COALESCE(n.kind, '')"

static void delivery_from(sqlite3_stmt *s, notify_delivery *d) {
    memset(d, 0, sizeof *d);
    d->id = sqlite3_column_int64(s, 0);
    d->hook_id = sqlite3_column_int64(s, 1);
    d->notification_id = sqlite3_column_int64(s, 2);
    sq_col_copy(s, 3, d->state, sizeof d->state);
    d->attempts = sqlite3_column_int(s, 4);
    d->next_ms = sqlite3_column_int64(s, 5);
    d->sent_ms = sqlite3_column_int64(s, 6);
    d->created_ms = sqlite3_column_int64(s, 7);
    d->last_status = sqlite3_column_int(s, 8);
    sq_col_copy(s, 9, d->last_error, sizeof d->last_error);
    sq_col_copy(s, 10, d->kind, sizeof d->kind);
}

static jc_err delivery_loop(jc_conn *c, sqlite3_stmt *s, int (*cb)(const notify_delivery *d, void *arg),
                            void *arg) {
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        notify_delivery d;
        delivery_from(s, &d);
        if (cb(&d, arg)) break;
    }
    jc_err e = rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(c), TAG, "deliveries");
    sqlite3_reset(s);
    return e;
}

static const char sql_due[] =
    "SELECT " DELIVERY_COLS " FROM notify_outbox o JOIN notify_hooks h ON h.id = o.hook_id"
    " LEFT JOIN notifications n ON n.id = o.notification_id"
    " WHERE o.state = 'pending' AND o.next_at <= ? AND h.active = 1 ORDER BY o.next_at, o.id LIMIT ?";

static jc_err nsq_outbox_due(jc_conn *c, int64_t now_ms, int limit,
                            int (*cb)(const notify_delivery *d, void *arg), void *arg) {
    sqlite3_stmt *s = PREP(c, sql_due);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, now_ms);
    sqlite3_bind_int(s, 2, limit);
    return delivery_loop(c, s, cb, arg);
}

static const char sql_outbox_each[] =
    "SELECT " DELIVERY_COLS " FROM notify_outbox o LEFT JOIN notifications n ON n.id = o.notification_id"
    " WHERE o.hook_id = ?1 AND o.id < ?2 AND (?3 IS NULL OR o.state = ?3) ORDER BY o.id DESC LIMIT ?4";

static jc_err nsq_outbox_each(jc_conn *c, int64_t hook_id, const char *state, int64_t before, int limit,
                             int (*cb)(const notify_delivery *d, void *arg), void *arg) {
    sqlite3_stmt *s = PREP(c, sql_outbox_each);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, hook_id);
    sqlite3_bind_int64(s, 2, before > 0 ? before : INT64_MAX);
    sq_bind_text(s, 3, state);
    sqlite3_bind_int(s, 4, limit);
    return delivery_loop(c, s, cb, arg);
}

static const char sql_outbox_result[] =
    "UPDATE notify_outbox SET state=?, attempts=?, next_at=?, sent_at=?, last_status=?, last_error=?"
    " WHERE id=? AND state='pending'";

static jc_err nsq_outbox_result(jc_conn *w, int64_t id, const char *state, int attempts, int64_t next_ms,
                               int64_t sent_ms, int status, const char *error) {
    sqlite3_stmt *s = PREP(w, sql_outbox_result);
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, state);
    sqlite3_bind_int(s, 2, attempts);
    sqlite3_bind_int64(s, 3, next_ms);
    sq_bind_i64_opt(s, 4, sent_ms);
    sq_bind_i64_opt(s, 5, status);
    sq_bind_text_opt(s, 6, error);
    sqlite3_bind_int64(s, 7, id);
    return done(w, s, "outbox result");
}

/* The SQLite half of notify_store.h. */
const notify_store_ops notify_store_sqlite = {
    .hw = nsq_hw,
    .set_hw = nsq_set_hw,
    .audit_each = nsq_audit_each,
    .whistle_depts = nsq_whistle_depts,
    .reassigned_dept = nsq_reassigned_dept,
    .return_dept = nsq_return_dept,
    .insert = nsq_insert,
    .begin = nsq_begin,
    .end = nsq_end,
    .feed = nsq_feed,
    .unread = nsq_unread,
    .since = nsq_since,
    .max_id = nsq_max_id,
    .get = nsq_get,
    .mark = nsq_mark,
    .mark_case = nsq_mark_case,
    .mark_upto = nsq_mark_upto,
    .hook_insert = nsq_hook_insert,
    .hook_get = nsq_hook_get,
    .hook_update = nsq_hook_update,
    .hook_each = nsq_hook_each,
    .outbox_add = nsq_outbox_add,
    .outbox_due = nsq_outbox_due,
    .outbox_each = nsq_outbox_each,
    .outbox_result = nsq_outbox_result,
};
