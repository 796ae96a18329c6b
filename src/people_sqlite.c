/*
 * people_sqlite.c -- the SQLite half of the people subsystem (module
 * "people"; its table people_store_sqlite of the row operations declared
 * in people_store.h; people_pg.c is its twin):
 *
 *  people_sources  a department's table: key, name, the saved column mapping
 *  people_imports  each import of a file: counts, who, when, the link's figures
 *  people_records  one row per record of a source's file: cleaned values;
 *                  ID number, phones and other columns only as ciphertext
 *                  (id_enc, phone_enc, attrs_enc) with keyed blind indexes
 *                  (id_bidx, phone_bidx) and masked forms; the person it
 *                  was linked to; fresh until the next link has seen it
 *  people_links    scored pairs (weight, probability, levels of each field)
 *  people_review   the review queue by (source, record id) pairs, so a
 *                  decision survives re-imports and re-links
 *  people_persons  golden records with per-field provenance
 *  people_meta     the linker's last estimate of m and u
 */
#include "people_store.h"
#include "store_sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const people_migrations[] = {
    "CREATE TABLE people_sources(key TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '',"
    "  mapping TEXT NOT NULL DEFAULT '{}', created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
    "  withdrawn_at INTEGER);"
    "CREATE TABLE people_imports(id INTEGER PRIMARY KEY, source TEXT NOT NULL, file_name TEXT NOT NULL,"
    "  format TEXT NOT NULL, encoding TEXT NOT NULL, actor TEXT NOT NULL, at INTEGER NOT NULL,"
    "  rows INTEGER NOT NULL DEFAULT 0, added INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL DEFAULT 0,"
    "  retired INTEGER NOT NULL DEFAULT 0, unchanged INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0,"
    "  persons INTEGER NOT NULL DEFAULT 0, review INTEGER NOT NULL DEFAULT 0, link_ms INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX people_imports_source ON people_imports(source, id);"
    "CREATE TABLE people_records(id INTEGER PRIMARY KEY, source TEXT NOT NULL, record_id TEXT NOT NULL,"
    "  active INTEGER NOT NULL DEFAULT 1, fresh INTEGER NOT NULL DEFAULT 1, row_hash INTEGER NOT NULL,"
    "  row_no INTEGER NOT NULL DEFAULT 0, name TEXT NOT NULL, sex TEXT, birth INTEGER, age INTEGER,"
    "  id_kind INTEGER NOT NULL, id_known INTEGER NOT NULL DEFAULT 0, id_enc BLOB, id_bidx BLOB, id_mask TEXT,"
    "  phone_enc BLOB, phone_bidx BLOB, phone_mask TEXT, address TEXT, community TEXT, household TEXT,"
    "  relation TEXT, flags INTEGER NOT NULL DEFAULT 0, attrs_enc BLOB, person_id INTEGER,"
    "  import_id INTEGER, added_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, retired_at INTEGER,"
    "  UNIQUE(source, record_id));"
    "CREATE INDEX people_records_person ON people_records(person_id);"
    "CREATE INDEX people_records_bidx ON people_records(id_bidx);"
    "CREATE INDEX people_records_fresh ON people_records(fresh) WHERE fresh = 1;"
    "CREATE TABLE people_links(a INTEGER NOT NULL, b INTEGER NOT NULL, weight REAL NOT NULL, prob REAL NOT NULL,"
    "  levels TEXT NOT NULL, linked INTEGER NOT NULL, PRIMARY KEY(a, b)) WITHOUT ROWID;"
    "CREATE INDEX people_links_b ON people_links(b);"
    "CREATE TABLE people_review(a_source TEXT NOT NULL, a_record TEXT NOT NULL, b_source TEXT NOT NULL,"
    "  b_record TEXT NOT NULL, prob REAL NOT NULL, weight REAL NOT NULL, levels TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'pending' CHECK(status = 'pending' OR status = 'same' OR status = 'different'),"
    "  decided_by TEXT, decided_at INTEGER, created_at INTEGER NOT NULL,"
    "  PRIMARY KEY(a_source, a_record, b_source, b_record)) WITHOUT ROWID;"
    "CREATE TABLE people_persons(id INTEGER PRIMARY KEY, name TEXT NOT NULL, sex TEXT, birth INTEGER,"
    "  id_enc BLOB, id_bidx BLOB, id_mask TEXT, phone_enc BLOB, phone_mask TEXT, address TEXT, community TEXT,"
    "  household TEXT, flags INTEGER NOT NULL DEFAULT 0, records INTEGER NOT NULL, sources TEXT NOT NULL,"
    "  provenance TEXT NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE INDEX people_persons_comm ON people_persons(community, id);"
    "CREATE INDEX people_persons_bidx ON people_persons(id_bidx);"
    "CREATE TABLE people_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    /* 2: the dwelling of a golden record (community and the address's
     * numbers), for households where no department gave a household number */
    "ALTER TABLE people_persons ADD COLUMN house TEXT;",
};

const jc_schema schema_people = {"people", people_migrations, (int)JC_ARRAY_LEN(people_migrations)};

#define TAG "people"

static void bind_blob(sqlite3_stmt *s, int i, const void *p, size_t n) {
    if (p && n) sqlite3_bind_blob(s, i, p, (int)n, SQLITE_TRANSIENT);
    else sqlite3_bind_null(s, i);
}

static void bind_sex(sqlite3_stmt *s, int i, char sex) {
    if (sex) {
        char b[2] = {sex, 0};
        sqlite3_bind_text(s, i, b, 1, SQLITE_TRANSIENT);
    } else sqlite3_bind_null(s, i);
}

static jc_err each_row(jc_conn *c, sqlite3_stmt *s, int (*row)(sqlite3_stmt *s, void *arg), void *arg) {
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (row(s, arg)) break;
    jc_err e = rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(c), TAG, "read");
    sqlite3_reset(s);
    return e;
}

/* ---- sources ----------------------------------------------------------------------- */

static void source_from(sqlite3_stmt *s, pstore_source *o) {
    memset(o, 0, sizeof *o);
    sq_col_copy(s, 0, o->key, sizeof o->key);
    sq_col_copy(s, 1, o->name, sizeof o->name);
    o->mapping = (char *)sqlite3_column_text(s, 2);
    o->created_at = sqlite3_column_int64(s, 3);
    o->updated_at = sqlite3_column_int64(s, 4);
    o->withdrawn_at = sqlite3_column_int64(s, 5);
    o->records = sqlite3_column_int64(s, 6);
    o->imports = sqlite3_column_int64(s, 7);
}

#define SOURCE_COLS                                                                                      \
    "key, name, mapping, created_at, updated_at, withdrawn_at,"                                          \
    " (SELECT count(*) FROM people_records r WHERE r.source = s.key AND r.active = 1),"                  \
    " (SELECT count(*) FROM people_imports i WHERE i.source = s.key)"

static jc_err lite_source_get(jc_conn *c, const char *key, pstore_source *out) {
    static const char sql[] = "SELECT " SOURCE_COLS " FROM people_sources s WHERE key = ?";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, key);
    int rc = sqlite3_step(s);
    jc_err e = JC_OK;
    if (rc == SQLITE_ROW) {
        source_from(s, out);
        out->mapping = sq_col_dup(s, 2);
        if (!out->mapping) e = JC_ERR_NOMEM;
    } else e = rc == SQLITE_DONE ? JC_ERR_NOTFOUND : sq_fail(store_sqlite_db(c), TAG, "source");
    sqlite3_reset(s);
    return e;
}

static jc_err lite_source_put(jc_conn *w, const char *key, const char *name, const char *mapping, int64_t now) {
    static const char sql[] =
        "INSERT INTO people_sources(key, name, mapping, created_at, updated_at) VALUES(?1, ?2, COALESCE(?3, '{}'), ?4, ?4)"
        " ON CONFLICT(key) DO UPDATE SET name = CASE WHEN ?2 = '' THEN name ELSE ?2 END, mapping = COALESCE(?3, mapping),"
        " updated_at = ?4, withdrawn_at = NULL";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sq_bind_text_empty(s, 1, key);
    sq_bind_text_empty(s, 2, name);
    if (mapping) sq_bind_text(s, 3, mapping);
    else sqlite3_bind_null(s, 3);
    sqlite3_bind_int64(s, 4, now);
    return sq_step_done(store_sqlite_db(w), s, TAG, "source put");
}

static jc_err lite_source_withdrawn(jc_conn *w, const char *key, int64_t now) {
    static const char sql[] = "UPDATE people_sources SET withdrawn_at = ?2, updated_at = ?2 WHERE key = ?1";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, key);
    sqlite3_bind_int64(s, 2, now);
    return sq_step_done(store_sqlite_db(w), s, TAG, "source withdrawn");
}

typedef struct {
    int (*cb)(const pstore_source *s, void *arg);
    void *arg;
} source_cb;
static int source_row(sqlite3_stmt *s, void *arg) {
    source_cb *c = arg;
    pstore_source o;
    source_from(s, &o);
    return c->cb(&o, c->arg);
}

static jc_err lite_source_each(jc_conn *c, int (*cb)(const pstore_source *s, void *arg), void *arg) {
    static const char sql[] = "SELECT " SOURCE_COLS " FROM people_sources s ORDER BY key";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    source_cb a = {cb, arg};
    return each_row(c, s, source_row, &a);
}

/* ---- imports ----------------------------------------------------------------------- */

static jc_err lite_import_insert(jc_conn *w, pstore_import *im) {
    static const char sql[] =
        "INSERT INTO people_imports(source, file_name, format, encoding, actor, at) VALUES(?,?,?,?,?,?)";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, im->source);
    sq_bind_text(s, 2, im->file_name);
    sq_bind_text(s, 3, im->format);
    sq_bind_text(s, 4, im->encoding);
    sq_bind_text(s, 5, im->actor);
    sqlite3_bind_int64(s, 6, im->at);
    jc_err e = sq_step_done(store_sqlite_db(w), s, TAG, "import insert");
    if (!e) im->id = sqlite3_last_insert_rowid(store_sqlite_db(w));
    return e;
}

static jc_err lite_import_update(jc_conn *w, const pstore_import *im) {
    static const char sql[] = "UPDATE people_imports SET rows=?2, added=?3, updated=?4, retired=?5, unchanged=?6,"
                              " skipped=?7, persons=?8, review=?9, link_ms=?10 WHERE id=?1";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, im->id);
    sqlite3_bind_int64(s, 2, im->rows);
    sqlite3_bind_int64(s, 3, im->added);
    sqlite3_bind_int64(s, 4, im->updated);
    sqlite3_bind_int64(s, 5, im->retired);
    sqlite3_bind_int64(s, 6, im->unchanged);
    sqlite3_bind_int64(s, 7, im->skipped);
    sqlite3_bind_int64(s, 8, im->persons);
    sqlite3_bind_int64(s, 9, im->review);
    sqlite3_bind_int64(s, 10, im->link_ms);
    return sq_step_done(store_sqlite_db(w), s, TAG, "import update");
}

typedef struct {
    int (*cb)(const pstore_import *im, void *arg);
    void *arg;
} import_cb;
static int import_row(sqlite3_stmt *s, void *arg) {
    import_cb *c = arg;
    pstore_import im;
    memset(&im, 0, sizeof im);
    im.id = sqlite3_column_int64(s, 0);
    sq_col_copy(s, 1, im.source, sizeof im.source);
    sq_col_copy(s, 2, im.file_name, sizeof im.file_name);
    sq_col_copy(s, 3, im.format, sizeof im.format);
    sq_col_copy(s, 4, im.encoding, sizeof im.encoding);
    sq_col_copy(s, 5, im.actor, sizeof im.actor);
    int64_t *v[] = {&im.at, &im.rows, &im.added, &im.updated, &im.retired, &im.unchanged, &im.skipped,
                    &im.persons, &im.review, &im.link_ms};
    for (int i = 0; i < (int)JC_ARRAY_LEN(v); i++) *v[i] = sqlite3_column_int64(s, 6 + i);
    return c->cb(&im, c->arg);
}

static jc_err lite_import_each(jc_conn *c, const char *source, int limit, int (*cb)(const pstore_import *im, void *arg),
                               void *arg) {
    static const char sql[] =
        "SELECT id, source, file_name, format, encoding, actor, at, rows, added, updated, retired, unchanged, skipped,"
        " persons, review, link_ms FROM people_imports WHERE (?1 IS NULL OR source = ?1) ORDER BY id DESC LIMIT ?2";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    sq_bind_text_opt(s, 1, source);
    sqlite3_bind_int(s, 2, limit);
    import_cb a = {cb, arg};
    return each_row(c, s, import_row, &a);
}

/* ---- records ----------------------------------------------------------------------- */

typedef struct {
    int (*cb)(const char *record_id, int64_t rowid, int64_t hash, int active, void *arg);
    void *arg;
} keys_cb;
static int keys_row(sqlite3_stmt *s, void *arg) {
    keys_cb *c = arg;
    return c->cb(sq_col_str(s, 0), sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2), sqlite3_column_int(s, 3),
                 c->arg);
}

static jc_err lite_record_keys(jc_conn *c, const char *source,
                               int (*cb)(const char *record_id, int64_t rowid, int64_t hash, int active, void *arg),
                          void *arg) {
    static const char sql[] = "SELECT record_id, id, row_hash, active FROM people_records WHERE source = ?";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, source);
    keys_cb a = {cb, arg};
    return each_row(c, s, keys_row, &a);
}

/* Binds the value columns 1..22 shared by insert and update. */
static void bind_values(sqlite3_stmt *s, const pstore_record *r) {
    sqlite3_bind_int64(s, 1, r->row_hash);
    sqlite3_bind_int(s, 2, r->row_no);
    sq_bind_text_empty(s, 3, r->name);
    bind_sex(s, 4, r->sex);
    sq_bind_i64_opt(s, 5, r->birth);
    if (r->age >= 0) sqlite3_bind_int(s, 6, r->age);
    else sqlite3_bind_null(s, 6);
    sqlite3_bind_int(s, 7, r->id_kind);
    sqlite3_bind_int(s, 8, r->id_known);
    bind_blob(s, 9, r->id_enc, r->id_enc_len);
    bind_blob(s, 10, r->id_bidx, r->id_bidx ? 16 : 0);
    sq_bind_text_opt(s, 11, r->id_mask);
    bind_blob(s, 12, r->phone_enc, r->phone_enc_len);
    bind_blob(s, 13, r->phone_bidx, r->phone_bidx ? 16 : 0);
    sq_bind_text_opt(s, 14, r->phone_mask);
    sq_bind_text_opt(s, 15, r->address);
    sq_bind_text_opt(s, 16, r->community);
    sq_bind_text_opt(s, 17, r->household);
    sq_bind_text_opt(s, 18, r->relation);
    sqlite3_bind_int(s, 19, r->flags);
    bind_blob(s, 20, r->attrs_enc, r->attrs_enc_len);
    sq_bind_i64_opt(s, 21, r->import_id);
    sqlite3_bind_int64(s, 22, r->updated_at);
}

static jc_err lite_record_insert(jc_conn *w, pstore_record *r) {
    static const char sql[] =
        "INSERT INTO people_records(row_hash, row_no, name, sex, birth, age, id_kind, id_known, id_enc, id_bidx,"
        " id_mask, phone_enc, phone_bidx, phone_mask, address, community, household, relation, flags, attrs_enc,"
        " import_id, updated_at, source, record_id, added_at, active, fresh)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?22,1,1)";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    bind_values(s, r);
    sq_bind_text(s, 23, r->source);
    sq_bind_text(s, 24, r->record_id);
    jc_err e = sq_step_done(store_sqlite_db(w), s, TAG, "record insert");
    if (!e) r->rowid = sqlite3_last_insert_rowid(store_sqlite_db(w));
    return e;
}

static jc_err lite_record_update(jc_conn *w, const pstore_record *r) {
    static const char sql[] =
        "UPDATE people_records SET row_hash=?1, row_no=?2, name=?3, sex=?4, birth=?5, age=?6, id_kind=?7,"
        " id_known=?8, id_enc=?9, id_bidx=?10, id_mask=?11, phone_enc=?12, phone_bidx=?13, phone_mask=?14,"
        " address=?15, community=?16, household=?17, relation=?18, flags=?19, attrs_enc=?20, import_id=?21,"
        " updated_at=?22, active=1, fresh=1, retired_at=NULL WHERE id=?23";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    bind_values(s, r);
    sqlite3_bind_int64(s, 23, r->rowid);
    return sq_step_done(store_sqlite_db(w), s, TAG, "record update");
}

static jc_err lite_record_retire(jc_conn *w, int64_t rowid, int64_t now) {
    static const char sql[] =
        "UPDATE people_records SET active=0, fresh=1, retired_at=?2, updated_at=?2, person_id=NULL WHERE id=?1";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, rowid);
    sqlite3_bind_int64(s, 2, now);
    return sq_step_done(store_sqlite_db(w), s, TAG, "record retire");
}

static jc_err lite_source_purge(jc_conn *w, const char *key, int64_t *n) {
    sqlite3 *db = store_sqlite_db(w);
    static const char links[] =
        "DELETE FROM people_links WHERE a IN (SELECT id FROM people_records WHERE source = ?1)"
        " OR b IN (SELECT id FROM people_records WHERE source = ?1)";
    static const char review[] = "DELETE FROM people_review WHERE a_source = ?1 OR b_source = ?1";
    static const char recs[] = "DELETE FROM people_records WHERE source = ?1";
    const char *sqls[] = {links, review, recs};
    for (int i = 0; i < 3; i++) {
        sqlite3_stmt *s = store_sqlite_prepare(w, sqls[i]);
        if (!s) return JC_ERR_DB;
        sq_bind_text(s, 1, key);
        jc_err e = sq_step_done(db, s, TAG, "purge");
        if (e) return e;
        if (i == 2) *n = sqlite3_changes(db);
    }
    return JC_OK;
}

#define RECORD_COLS                                                                                        \
    "id, source, record_id, row_no, row_hash, name, sex, birth, age, id_kind, id_known, id_enc, id_bidx,"  \
    " id_mask, phone_enc, phone_bidx, phone_mask, address, community, household, relation, flags,"         \
    " attrs_enc, person_id, import_id, added_at, updated_at, fresh, active"

typedef struct {
    int (*cb)(const pstore_record *r, void *arg);
    void *arg;
} record_cb;
static int record_row(sqlite3_stmt *s, void *arg) {
    record_cb *c = arg;
    pstore_record r;
    memset(&r, 0, sizeof r);
    r.rowid = sqlite3_column_int64(s, 0);
    sq_col_copy(s, 1, r.source, sizeof r.source);
    r.record_id = sq_col_str(s, 2);
    r.row_no = sqlite3_column_int(s, 3);
    r.row_hash = sqlite3_column_int64(s, 4);
    r.name = sq_col_str(s, 5);
    r.sex = sq_col_str(s, 6)[0];
    r.birth = sqlite3_column_int(s, 7);
    r.age = sqlite3_column_type(s, 8) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 8);
    r.id_kind = sqlite3_column_int(s, 9);
    r.id_known = sqlite3_column_int(s, 10);
    r.id_enc = sqlite3_column_blob(s, 11);
    r.id_enc_len = (size_t)sqlite3_column_bytes(s, 11);
    r.id_bidx = sqlite3_column_bytes(s, 12) == 16 ? sqlite3_column_blob(s, 12) : NULL;
    r.id_mask = sq_col_str(s, 13);
    r.phone_enc = sqlite3_column_blob(s, 14);
    r.phone_enc_len = (size_t)sqlite3_column_bytes(s, 14);
    r.phone_bidx = sqlite3_column_bytes(s, 15) == 16 ? sqlite3_column_blob(s, 15) : NULL;
    r.phone_mask = sq_col_str(s, 16);
    r.address = sq_col_str(s, 17);
    r.community = sq_col_str(s, 18);
    r.household = sq_col_str(s, 19);
    r.relation = sq_col_str(s, 20);
    r.flags = sqlite3_column_int(s, 21);
    r.attrs_enc = sqlite3_column_blob(s, 22);
    r.attrs_enc_len = (size_t)sqlite3_column_bytes(s, 22);
    r.person_id = sqlite3_column_int64(s, 23);
    r.import_id = sqlite3_column_int64(s, 24);
    r.added_at = sqlite3_column_int64(s, 25);
    r.updated_at = sqlite3_column_int64(s, 26);
    r.fresh = sqlite3_column_int(s, 27);
    r.active = sqlite3_column_int(s, 28);
    return c->cb(&r, c->arg);
}

static jc_err lite_record_each(jc_conn *c, int64_t person, int (*cb)(const pstore_record *r, void *arg), void *arg) {
    static const char all[] = "SELECT " RECORD_COLS " FROM people_records WHERE active = 1 ORDER BY id";
    static const char one[] = "SELECT " RECORD_COLS " FROM people_records WHERE person_id = ?1 AND active = 1"
                              " ORDER BY id";
    sqlite3_stmt *s = store_sqlite_prepare(c, person > 0 ? one : all);
    if (!s) return JC_ERR_DB;
    if (person > 0) sqlite3_bind_int64(s, 1, person);
    record_cb a = {cb, arg};
    return each_row(c, s, record_row, &a);
}

static jc_err lite_record_get(jc_conn *c, int64_t rowid, int (*cb)(const pstore_record *r, void *arg), void *arg) {
    static const char sql[] = "SELECT " RECORD_COLS " FROM people_records WHERE id = ?1";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, rowid);
    record_cb a = {cb, arg};
    return each_row(c, s, record_row, &a);
}

static jc_err lite_record_set_person(jc_conn *w, int64_t rowid, int64_t person) {
    static const char sql[] = "UPDATE people_records SET person_id = ?2 WHERE id = ?1";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, rowid);
    sqlite3_bind_int64(s, 2, person);
    return sq_step_done(store_sqlite_db(w), s, TAG, "set person");
}

static jc_err lite_record_set_community(jc_conn *w, int64_t rowid, const char *community) {
    static const char sql[] = "UPDATE people_records SET community = ?2 WHERE id = ?1";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, rowid);
    sq_bind_text(s, 2, community);
    return sq_step_done(store_sqlite_db(w), s, TAG, "set community");
}

static jc_err lite_records_settled(jc_conn *w) {
    static const char sql[] = "UPDATE people_records SET fresh = 0 WHERE fresh = 1";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    return sq_step_done(store_sqlite_db(w), s, TAG, "settled");
}

typedef struct {
    int (*cb)(const char *source, const char *record_id, int64_t person, void *arg);
    void *arg;
} export_cb;
static int export_row(sqlite3_stmt *s, void *arg) {
    export_cb *c = arg;
    return c->cb(sq_col_str(s, 0), sq_col_str(s, 1), sqlite3_column_int64(s, 2), c->arg);
}

static jc_err lite_links_export(jc_conn *c, int (*cb)(const char *source, const char *record_id, int64_t person, void *arg),
                                void *arg) {
    static const char sql[] =
        "SELECT source, record_id, person_id FROM people_records WHERE active = 1 ORDER BY source, id";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    export_cb a = {cb, arg};
    return each_row(c, s, export_row, &a);
}

/* ---- links ------------------------------------------------------------------------- */

typedef struct {
    int (*cb)(int64_t a, int64_t b, double weight, double prob, const char *levels, void *arg);
    void *arg;
} kept_cb;
static int kept_row(sqlite3_stmt *s, void *arg) {
    kept_cb *c = arg;
    return c->cb(sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), sqlite3_column_double(s, 2),
                 sqlite3_column_double(s, 3), sq_col_str(s, 4), c->arg);
}

static jc_err lite_link_each_kept(jc_conn *c,
                                  int (*cb)(int64_t a, int64_t b, double weight, double prob, const char *levels, void *arg),
                             void *arg) {
    /* every link: the caller keeps those between two records it holds and
     * that are not fresh (cheaper than joining each link to its records) */
    static const char sql[] = "SELECT a, b, weight, prob, levels FROM people_links";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    kept_cb a = {cb, arg};
    return each_row(c, s, kept_row, &a);
}

static jc_err lite_links_clear(jc_conn *w, int all) {
    static const char every[] = "DELETE FROM people_links";
    /* two statements, each by an index (with OR, SQLite scans the table) */
    static const char fresh_a[] = "DELETE FROM people_links WHERE a IN (SELECT id FROM people_records WHERE fresh = 1)";
    static const char fresh_b[] = "DELETE FROM people_links WHERE b IN (SELECT id FROM people_records WHERE fresh = 1)";
    const char *sqls[2] = {all ? every : fresh_a, all ? NULL : fresh_b};
    for (int i = 0; i < 2 && sqls[i]; i++) {
        sqlite3_stmt *s = store_sqlite_prepare(w, sqls[i]);
        if (!s) return JC_ERR_DB;
        jc_err e = sq_step_done(store_sqlite_db(w), s, TAG, "links clear");
        if (e) return e;
    }
    return JC_OK;
}

static jc_err lite_link_put(jc_conn *w, int64_t a, int64_t b, double weight, double prob, const char *levels, int linked) {
    static const char sql[] = "INSERT OR REPLACE INTO people_links(a, b, weight, prob, levels, linked)"
                              " VALUES(?,?,?,?,?,?)";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, a);
    sqlite3_bind_int64(s, 2, b);
    sqlite3_bind_double(s, 3, weight);
    sqlite3_bind_double(s, 4, prob);
    sq_bind_text(s, 5, levels);
    sqlite3_bind_int(s, 6, linked);
    return sq_step_done(store_sqlite_db(w), s, TAG, "link put");
}

typedef struct {
    int (*cb)(int64_t other, double weight, double prob, const char *levels, int linked, void *arg);
    void *arg;
} of_cb;
static int of_row(sqlite3_stmt *s, void *arg) {
    of_cb *c = arg;
    return c->cb(sqlite3_column_int64(s, 0), sqlite3_column_double(s, 1), sqlite3_column_double(s, 2),
                 sq_col_str(s, 3), sqlite3_column_int(s, 4), c->arg);
}

static jc_err lite_link_of(jc_conn *c, int64_t rowid,
                      int (*cb)(int64_t other, double weight, double prob, const char *levels, int linked, void *arg),
                      void *arg) {
    static const char sql[] = "SELECT b, weight, prob, levels, linked FROM people_links WHERE a = ?1"
                              " UNION ALL SELECT a, weight, prob, levels, linked FROM people_links WHERE b = ?1";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, rowid);
    of_cb a = {cb, arg};
    return each_row(c, s, of_row, &a);
}

/* ---- review queue ------------------------------------------------------------------- */

typedef struct {
    int (*cb)(const pstore_review *r, void *arg);
    void *arg;
} review_cb;
static int review_row(sqlite3_stmt *s, void *arg) {
    review_cb *c = arg;
    pstore_review r = {sq_col_str(s, 0), sq_col_str(s, 1), sq_col_str(s, 2), sq_col_str(s, 3),
                       sqlite3_column_double(s, 4), sqlite3_column_double(s, 5), sq_col_str(s, 6), sq_col_str(s, 7),
                       sq_col_str(s, 8), sqlite3_column_int64(s, 9), sqlite3_column_int64(s, 10),
                       sqlite3_column_int64(s, 11), sqlite3_column_int64(s, 12)};
    return c->cb(&r, c->arg);
}

#define REVIEW_COLS                                                                                      \
    "v.a_source, v.a_record, v.b_source, v.b_record, v.prob, v.weight, v.levels, v.status, v.decided_by,"  \
    " v.decided_at, v.created_at, ra.id, rb.id"

static jc_err lite_review_decided(jc_conn *c, int (*cb)(const pstore_review *r, void *arg), void *arg) {
    static const char sql[] =
        "SELECT " REVIEW_COLS " FROM people_review v"
        " LEFT JOIN people_records ra ON ra.source = v.a_source AND ra.record_id = v.a_record AND ra.active = 1"
        " LEFT JOIN people_records rb ON rb.source = v.b_source AND rb.record_id = v.b_record AND rb.active = 1"
        " WHERE v.status <> 'pending'";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    review_cb a = {cb, arg};
    return each_row(c, s, review_row, &a);
}

static jc_err lite_review_pending(jc_conn *c, const char *area_prefix, int limit, int offset,
                                  int (*cb)(const pstore_review *r, void *arg), void *arg) {
    static const char sql[] =
        "SELECT " REVIEW_COLS " FROM people_review v"
        " JOIN people_records ra ON ra.source = v.a_source AND ra.record_id = v.a_record AND ra.active = 1"
        " JOIN people_records rb ON rb.source = v.b_source AND rb.record_id = v.b_record AND rb.active = 1"
        " WHERE v.status = 'pending' AND (?1 = '' OR substr(coalesce(ra.community, ''), 1, length(?1)) = ?1"
        "  OR substr(coalesce(rb.community, ''), 1, length(?1)) = ?1)"
        " ORDER BY abs(v.prob - 0.5), v.a_source, v.a_record LIMIT ?2 OFFSET ?3";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, area_prefix ? area_prefix : "");
    sqlite3_bind_int(s, 2, limit);
    sqlite3_bind_int(s, 3, offset);
    review_cb a = {cb, arg};
    return each_row(c, s, review_row, &a);
}

static jc_err lite_review_count(jc_conn *c, const char *area_prefix, int64_t *pending, int64_t *decided) {
    static const char sql[] =
        "SELECT sum(v.status = 'pending'), sum(v.status <> 'pending') FROM people_review v"
        " LEFT JOIN people_records ra ON ra.source = v.a_source AND ra.record_id = v.a_record AND ra.active = 1"
        " LEFT JOIN people_records rb ON rb.source = v.b_source AND rb.record_id = v.b_record AND rb.active = 1"
        " WHERE (v.status <> 'pending' OR (ra.id IS NOT NULL AND rb.id IS NOT NULL))"
        " AND (?1 = '' OR substr(coalesce(ra.community, ''), 1, length(?1)) = ?1"
        "  OR substr(coalesce(rb.community, ''), 1, length(?1)) = ?1)";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, area_prefix ? area_prefix : "");
    int rc = sqlite3_step(s);
    *pending = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    *decided = rc == SQLITE_ROW ? sqlite3_column_int64(s, 1) : 0;
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(c), TAG, "review count");
}

static jc_err lite_review_clear_pending(jc_conn *w, int all) {
    static const char every[] = "DELETE FROM people_review WHERE status = 'pending'";
    static const char fresh[] =
        "DELETE FROM people_review WHERE status = 'pending' AND ("
        " EXISTS(SELECT 1 FROM people_records r WHERE r.source = a_source AND r.record_id = a_record AND r.fresh = 1)"
        " OR EXISTS(SELECT 1 FROM people_records r WHERE r.source = b_source AND r.record_id = b_record"
        " AND r.fresh = 1))";
    sqlite3_stmt *s = store_sqlite_prepare(w, all ? every : fresh);
    if (!s) return JC_ERR_DB;
    return sq_step_done(store_sqlite_db(w), s, TAG, "review clear");
}

static jc_err lite_review_add(jc_conn *w, const pstore_review *r) {
    static const char sql[] =
        "INSERT INTO people_review(a_source, a_record, b_source, b_record, prob, weight, levels, created_at)"
        " VALUES(?,?,?,?,?,?,?,?) ON CONFLICT DO UPDATE SET prob = excluded.prob, weight = excluded.weight,"
        " levels = excluded.levels WHERE status = 'pending'";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, r->a_source);
    sq_bind_text(s, 2, r->a_record);
    sq_bind_text(s, 3, r->b_source);
    sq_bind_text(s, 4, r->b_record);
    sqlite3_bind_double(s, 5, r->prob);
    sqlite3_bind_double(s, 6, r->weight);
    sq_bind_text(s, 7, r->levels);
    sqlite3_bind_int64(s, 8, r->created_at);
    return sq_step_done(store_sqlite_db(w), s, TAG, "review add");
}

static jc_err lite_review_decide(jc_conn *w, const char *as, const char *ar, const char *bs, const char *br,
                                 const char *status, const char *by, int64_t now) {
    static const char sql[] = "UPDATE people_review SET status = ?5, decided_by = ?6, decided_at = ?7"
                              " WHERE a_source = ?1 AND a_record = ?2 AND b_source = ?3 AND b_record = ?4";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, as);
    sq_bind_text(s, 2, ar);
    sq_bind_text(s, 3, bs);
    sq_bind_text(s, 4, br);
    sq_bind_text(s, 5, status);
    sq_bind_text(s, 6, by);
    sqlite3_bind_int64(s, 7, now);
    jc_err e = sq_step_done(store_sqlite_db(w), s, TAG, "review decide");
    if (!e && sqlite3_changes(store_sqlite_db(w)) == 0) return JC_ERR_NOTFOUND;
    return e;
}

/* ---- persons --------------------------------------------------------------------------- */

static jc_err lite_person_put(jc_conn *w, const pstore_person *p) {
    static const char sql[] =
        "INSERT OR REPLACE INTO people_persons(id, name, sex, birth, id_enc, id_bidx, id_mask, phone_enc, phone_mask,"
        " address, community, household, flags, records, sources, provenance, updated_at, house)"
        " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, p->id);
    sq_bind_text_empty(s, 2, p->name);
    bind_sex(s, 3, p->sex);
    sq_bind_i64_opt(s, 4, p->birth);
    bind_blob(s, 5, p->id_enc, p->id_enc_len);
    bind_blob(s, 6, p->id_bidx, p->id_bidx ? 16 : 0);
    sq_bind_text_opt(s, 7, p->id_mask);
    bind_blob(s, 8, p->phone_enc, p->phone_enc_len);
    sq_bind_text_opt(s, 9, p->phone_mask);
    sq_bind_text_opt(s, 10, p->address);
    sq_bind_text_opt(s, 11, p->community);
    sq_bind_text_opt(s, 12, p->household);
    sqlite3_bind_int(s, 13, p->flags);
    sqlite3_bind_int(s, 14, p->records);
    sq_bind_text(s, 15, p->sources ? p->sources : "[]");
    sq_bind_text(s, 16, p->provenance ? p->provenance : "{}");
    sqlite3_bind_int64(s, 17, p->updated_at);
    sq_bind_text_opt(s, 18, p->house);
    return sq_step_done(store_sqlite_db(w), s, TAG, "person put");
}

static jc_err lite_persons_prune(jc_conn *w, int64_t *n) {
    static const char sql[] =
        "DELETE FROM people_persons WHERE id NOT IN (SELECT person_id FROM people_records"
        " WHERE active = 1 AND person_id IS NOT NULL)";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    jc_err e = sq_step_done(store_sqlite_db(w), s, TAG, "persons prune");
    if (!e && n) *n = sqlite3_changes(store_sqlite_db(w));
    return e;
}

static jc_err lite_person_max_id(jc_conn *c, int64_t *out) {
    static const char sql[] = "SELECT max(coalesce((SELECT max(id) FROM people_persons), 0),"
                              " coalesce((SELECT max(person_id) FROM people_records), 0))";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    int rc = sqlite3_step(s);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? JC_OK : sq_fail(store_sqlite_db(c), TAG, "max id");
}

#define PERSON_COLS                                                                                      \
    "id, name, sex, birth, id_enc, id_bidx, id_mask, phone_enc, phone_mask, address, community, household,"  \
    " flags, records, sources, provenance, updated_at"

typedef struct {
    int (*cb)(const pstore_person *p, void *arg);
    void *arg;
} person_cb;
static int person_row(sqlite3_stmt *s, void *arg) {
    person_cb *c = arg;
    pstore_person p;
    memset(&p, 0, sizeof p);
    p.id = sqlite3_column_int64(s, 0);
    p.name = sq_col_str(s, 1);
    p.sex = sq_col_str(s, 2)[0];
    p.birth = sqlite3_column_int(s, 3);
    p.id_enc = sqlite3_column_blob(s, 4);
    p.id_enc_len = (size_t)sqlite3_column_bytes(s, 4);
    p.id_bidx = sqlite3_column_bytes(s, 5) == 16 ? sqlite3_column_blob(s, 5) : NULL;
    p.id_mask = sq_col_str(s, 6);
    p.phone_enc = sqlite3_column_blob(s, 7);
    p.phone_enc_len = (size_t)sqlite3_column_bytes(s, 7);
    p.phone_mask = sq_col_str(s, 8);
    p.address = sq_col_str(s, 9);
    p.community = sq_col_str(s, 10);
    p.household = sq_col_str(s, 11);
    p.flags = sqlite3_column_int(s, 12);
    p.records = sqlite3_column_int(s, 13);
    p.sources = sq_col_str(s, 14);
    p.provenance = sq_col_str(s, 15);
    p.updated_at = sqlite3_column_int64(s, 16);
    return c->cb(&p, c->arg);
}

static jc_err lite_person_get(jc_conn *c, int64_t id, int (*cb)(const pstore_person *p, void *arg), void *arg) {
    static const char sql[] = "SELECT " PERSON_COLS " FROM people_persons WHERE id = ?1";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, id);
    person_cb a = {cb, arg};
    return each_row(c, s, person_row, &a);
}

static jc_err lite_person_household(jc_conn *c, int64_t id, int limit, int (*cb)(const pstore_person *p, void *arg),
                                    void *arg) {
    static const char sql[] =
        "SELECT " PERSON_COLS " FROM people_persons"
        " WHERE community = (SELECT community FROM people_persons WHERE id = ?1) AND id != ?1 AND ("
        "  (SELECT coalesce(household, '') FROM people_persons WHERE id = ?1) != ''"
        "   AND household = (SELECT household FROM people_persons WHERE id = ?1)"
        "  OR (SELECT coalesce(household, '') FROM people_persons WHERE id = ?1) = ''"
        "   AND coalesce(household, '') = '' AND house = (SELECT house FROM people_persons WHERE id = ?1))"
        " ORDER BY birth, id LIMIT ?2";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int(s, 2, limit);
    person_cb a = {cb, arg};
    return each_row(c, s, person_row, &a);
}

static jc_err lite_person_list(jc_conn *c, const char *area_prefix, const char *q, int64_t after_id, int limit,
                               int (*cb)(const pstore_person *p, void *arg), void *arg) {
    static const char sql[] =
        "SELECT " PERSON_COLS " FROM people_persons WHERE id > ?3"
        " AND (?1 = '' OR substr(coalesce(community, ''), 1, length(?1)) = ?1)"
        " AND (?2 = '' OR instr(name, ?2) > 0) ORDER BY id LIMIT ?4";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, area_prefix ? area_prefix : "");
    sq_bind_text(s, 2, q ? q : "");
    sqlite3_bind_int64(s, 3, after_id);
    sqlite3_bind_int(s, 4, limit);
    person_cb a = {cb, arg};
    return each_row(c, s, person_row, &a);
}

static jc_err lite_person_by_bidx(jc_conn *c, const unsigned char bidx[16], int (*cb)(const pstore_person *p, void *arg),
                                  void *arg) {
    static const char sql[] = "SELECT " PERSON_COLS " FROM people_persons WHERE id_bidx = ?1 ORDER BY id";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_blob(s, 1, bidx, 16, SQLITE_TRANSIENT);
    person_cb a = {cb, arg};
    return each_row(c, s, person_row, &a);
}

typedef struct {
    int (*cb)(const pstore_counts *k, void *arg);
    void *arg;
} counts_cb;
static int counts_row(sqlite3_stmt *s, void *arg) {
    counts_cb *c = arg;
    pstore_counts k;
    memset(&k, 0, sizeof k);
    sq_col_copy(s, 0, k.community, sizeof k.community);
    int64_t *v[] = {&k.people, &k.households, &k.elders, &k.elders_alone, &k.disabled, &k.students, &k.children,
                    &k.linked_from_sources};
    for (int i = 0; i < (int)JC_ARRAY_LEN(v); i++) *v[i] = sqlite3_column_int64(s, 1 + i);
    return c->cb(&k, c->arg);
}

static jc_err lite_person_counts(jc_conn *c, const char *area_prefix, int64_t today_ymd,
                                 int (*cb)(const pstore_counts *k, void *arg), void *arg) {
    /* flags: 1 living alone, 2 disability, 4 student (people.h PEOPLE_FLAG_*) */
    static const char sql[] =
        "SELECT community, count(*),"
        " count(DISTINCT coalesce(household, house, 'p' || id)),"
        " sum(birth > 0 AND (?2 - birth) / 10000 >= 60),"
        " sum(birth > 0 AND (?2 - birth) / 10000 >= 60 AND (flags & 1) != 0),"
        " sum((flags & 2) != 0), sum((flags & 4) != 0),"
        " sum(birth > 0 AND (?2 - birth) / 10000 < 18),"
        " sum(records > 1)"
        " FROM people_persons WHERE community IS NOT NULL AND community <> ''"
        " AND substr(community, 1, length(?1)) = ?1 GROUP BY community ORDER BY community";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, area_prefix ? area_prefix : "");
    sqlite3_bind_int64(s, 2, today_ymd);
    counts_cb a = {cb, arg};
    return each_row(c, s, counts_row, &a);
}

/* ---- meta, communities ------------------------------------------------------------------ */

static jc_err lite_meta_get(jc_conn *c, const char *key, char **out) {
    static const char sql[] = "SELECT value FROM people_meta WHERE key = ?";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, key);
    int rc = sqlite3_step(s);
    *out = rc == SQLITE_ROW ? sq_col_dup(s, 0) : NULL;
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(c), TAG, "meta");
}

static jc_err lite_meta_put(jc_conn *w, const char *key, const char *value) {
    static const char sql[] = "INSERT OR REPLACE INTO people_meta(key, value) VALUES(?, ?)";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, key);
    sq_bind_text(s, 2, value);
    return sq_step_done(store_sqlite_db(w), s, TAG, "meta put");
}

typedef struct {
    int (*cb)(const char *code, const char *name, void *arg);
    void *arg;
} comm_cb;
static int comm_row(sqlite3_stmt *s, void *arg) {
    comm_cb *c = arg;
    return c->cb(sq_col_str(s, 0), sq_col_str(s, 1), c->arg);
}

static jc_err lite_communities(jc_conn *c, int (*cb)(const char *code, const char *name, void *arg), void *arg) {
    static const char sql[] = "SELECT code, name FROM areas WHERE level = 'community' ORDER BY code";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    comm_cb a = {cb, arg};
    return each_row(c, s, comm_row, &a);
}

static jc_err lite_db_path(jc_conn *c, char *out, size_t outsz) {
    const char *p = sqlite3_db_filename(store_sqlite_db(c), "main");
    if (!p || !p[0]) return JC_ERR_NOTFOUND;
    snprintf(out, outsz, "%s", p);
    return JC_OK;
}

static jc_err lite_record_community(jc_conn *c, const char *source, const char *record_id, char *out, size_t outsz) {
    static const char sql[] =
        "SELECT coalesce(community, '') FROM people_records WHERE source = ? AND record_id = ? AND active = 1";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, source);
    sq_bind_text(s, 2, record_id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) sq_col_copy(s, 0, out, outsz);
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? JC_OK : rc == SQLITE_DONE ? JC_ERR_NOTFOUND : sq_fail(store_sqlite_db(c), TAG, "community");
}

static jc_err lite_counts_to_base(jc_conn *w, int64_t now, int64_t today_ymd) {
    /* the work list's answerable base figures (module worklist's base_counts),
     * for every community with golden records; the newest as_of wins there */
    static const char sql[] =
        "INSERT OR REPLACE INTO base_counts(area, field, value, as_of)"
        " SELECT community, 'population', count(*), ?1 FROM people_persons WHERE community GLOB '[0-9]*'"
        "  GROUP BY community"
        " UNION ALL SELECT community, 'households', count(DISTINCT coalesce(household, house, 'p' || id)), ?1"
        "  FROM people_persons WHERE community GLOB '[0-9]*' GROUP BY community"
        " UNION ALL SELECT community, 'elders_living_alone', sum(birth > 0 AND (?2 - birth) / 10000 >= 60"
        "  AND (flags & 1) != 0), ?1 FROM people_persons WHERE community GLOB '[0-9]*' GROUP BY community"
        " UNION ALL SELECT community, 'disabled', sum((flags & 2) != 0), ?1 FROM people_persons"
        "  WHERE community GLOB '[0-9]*' GROUP BY community"
        " UNION ALL SELECT community, 'students', sum((flags & 4) != 0), ?1 FROM people_persons"
        "  WHERE community GLOB '[0-9]*' GROUP BY community";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, today_ymd);
    return sq_step_done(store_sqlite_db(w), s, TAG, "base counts");
}

static jc_err lite_person_flagged(jc_conn *c, const char *area_prefix, int flags,
                                  int (*cb)(const pstore_person *p, void *arg), void *arg) {
    static const char sql[] =
        "SELECT " PERSON_COLS " FROM people_persons WHERE (flags & ?2) = ?2"
        " AND substr(coalesce(community, ''), 1, length(?1)) = ?1 ORDER BY community, id";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, area_prefix ? area_prefix : "");
    sqlite3_bind_int(s, 2, flags);
    person_cb a = {cb, arg};
    return each_row(c, s, person_row, &a);
}

static jc_err lite_bulk_cache(jc_conn *w, int mib) {
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA cache_size=-%d", mib * 1024);
    return sq_exec(store_sqlite_db(w), TAG, sql) == SQLITE_OK ? JC_OK : JC_ERR_DB;
}

const people_store_ops people_store_sqlite = {
    .source_get = lite_source_get,
    .source_put = lite_source_put,
    .source_withdrawn = lite_source_withdrawn,
    .source_each = lite_source_each,
    .import_insert = lite_import_insert,
    .import_update = lite_import_update,
    .import_each = lite_import_each,
    .record_keys = lite_record_keys,
    .record_insert = lite_record_insert,
    .record_update = lite_record_update,
    .record_retire = lite_record_retire,
    .source_purge = lite_source_purge,
    .record_each = lite_record_each,
    .record_get = lite_record_get,
    .record_set_person = lite_record_set_person,
    .record_set_community = lite_record_set_community,
    .records_settled = lite_records_settled,
    .links_export = lite_links_export,
    .link_each_kept = lite_link_each_kept,
    .links_clear = lite_links_clear,
    .link_put = lite_link_put,
    .link_of = lite_link_of,
    .review_decided = lite_review_decided,
    .review_pending = lite_review_pending,
    .review_count = lite_review_count,
    .review_clear_pending = lite_review_clear_pending,
    .review_add = lite_review_add,
    .review_decide = lite_review_decide,
    .person_put = lite_person_put,
    .persons_prune = lite_persons_prune,
    .person_max_id = lite_person_max_id,
    .person_get = lite_person_get,
    .person_household = lite_person_household,
    .person_list = lite_person_list,
    .person_by_bidx = lite_person_by_bidx,
    .person_counts = lite_person_counts,
    .meta_get = lite_meta_get,
    .meta_put = lite_meta_put,
    .communities = lite_communities,
    .db_path = lite_db_path,
    .record_community = lite_record_community,
    .counts_to_base = lite_counts_to_base,
    .person_flagged = lite_person_flagged,
    .bulk_cache = lite_bulk_cache,
};
