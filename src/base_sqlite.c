/*
 * base_sqlite.c -- storage of the base data (module "base"): the tables, the
 * rows the demo's generator (base.c) writes, and the per-community counts.
 */
#include "base.h"
#include "base_int.h"
#include "base_store.h"
#include "store.h"
#include "store_sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const base_migrations[] = {
    "CREATE TABLE base_houses(id INTEGER PRIMARY KEY, community TEXT NOT NULL, grid TEXT NOT NULL,"
    "  address TEXT NOT NULL, lon REAL, lat REAL, area_m2 REAL);"
    "CREATE INDEX base_houses_comm ON base_houses(community);"
    "CREATE TABLE base_households(id INTEGER PRIMARY KEY, house_id INTEGER NOT NULL, community TEXT NOT NULL,"
    "  head_id INTEGER, size INTEGER NOT NULL);"
    "CREATE INDEX base_households_comm ON base_households(community);"
    "CREATE TABLE base_people(id INTEGER PRIMARY KEY, household_id INTEGER NOT NULL, community TEXT NOT NULL,"
    "  name TEXT NOT NULL, gender TEXT NOT NULL, birth TEXT NOT NULL, id_number TEXT NOT NULL UNIQUE,"
    "  phone TEXT, relation TEXT NOT NULL, alone_elder INTEGER NOT NULL DEFAULT 0,"
    "  fictional INTEGER NOT NULL DEFAULT 1);"
    "CREATE INDEX base_people_comm ON base_people(community);"
    "CREATE TABLE base_orgs(id INTEGER PRIMARY KEY, community TEXT NOT NULL, grid TEXT NOT NULL,"
    "  name TEXT NOT NULL, kind TEXT NOT NULL, address TEXT NOT NULL, lon REAL, lat REAL);"
    "CREATE INDEX base_orgs_comm ON base_orgs(community);",
};

const jc_schema schema_base = {"base", base_migrations, (int)JC_ARRAY_LEN(base_migrations)};

/* ---- the demo generator's rows (base_store.h) --------------------------------- */

static jc_err sq_people_count(jc_conn *c, int64_t *n) {
    static const char sql[] = "SELECT count(*) FROM base_people";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    int rc = sqlite3_step(s);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? JC_OK : sq_fail(store_sqlite_db(c), "base", "people count");
}

static jc_err sq_grids(jc_conn *c,
                        int (*fn)(const char *code, const char *community_name, const char *geojson, void *arg),
                        void *arg) {
    static const char sql[] = "SELECT g.code, c.name, g.geojson FROM areas g JOIN areas c ON c.code = g.parent"
                              " WHERE g.level = 'grid' AND c.level = 'community' ORDER BY g.code";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (fn(sq_col_str(s, 0), sq_col_str(s, 1), sq_col_str(s, 2), arg)) break;
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(c), "base", "grids");
}

/* Steps an INSERT; *id (when given) the new row's id. */
static jc_err insert_done(jc_conn *w, sqlite3_stmt *s, const char *what, int64_t *id) {
    jc_err e = sq_step_done(store_sqlite_db(w), s, "base", what);
    if (!e && id) *id = sqlite3_last_insert_rowid(store_sqlite_db(w));
    return e;
}

static jc_err sq_house_add(jc_conn *w, const char *community, const char *grid, const char *address, double lon,
                            double lat, double area_m2, int64_t *id) {
    static const char sql[] = "INSERT INTO base_houses(community,grid,address,lon,lat,area_m2) VALUES(?,?,?,?,?,?)";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, community);
    sq_bind_text(s, 2, grid);
    sq_bind_text(s, 3, address);
    sqlite3_bind_double(s, 4, lon);
    sqlite3_bind_double(s, 5, lat);
    sqlite3_bind_double(s, 6, area_m2);
    return insert_done(w, s, "house", id);
}

static jc_err sq_household_add(jc_conn *w, int64_t house, const char *community, int size, int64_t *id) {
    static const char sql[] = "INSERT INTO base_households(house_id,community,size) VALUES(?,?,?)";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, house);
    sq_bind_text(s, 2, community);
    sqlite3_bind_int(s, 3, size);
    return insert_done(w, s, "household", id);
}

static jc_err sq_person_add(jc_conn *w, const base_person_row *p, int64_t *id) {
    static const char sql[] =
        "INSERT INTO base_people(household_id,community,name,gender,birth,id_number,phone,relation,alone_elder)"
        " VALUES(?,?,?,?,?,?,?,?,?)";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, p->household);
    sq_bind_text(s, 2, p->community);
    sq_bind_text(s, 3, p->name);
    sq_bind_text(s, 4, p->gender);
    sq_bind_text(s, 5, p->birth);
    sq_bind_text(s, 6, p->id_number);
    sq_bind_text_opt(s, 7, p->phone);
    sq_bind_text(s, 8, p->relation);
    sqlite3_bind_int(s, 9, p->alone_elder);
    return insert_done(w, s, "person", id);
}

static jc_err sq_household_head(jc_conn *w, int64_t household, int64_t head) {
    static const char sql[] = "UPDATE base_households SET head_id=? WHERE id=?";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, head);
    sqlite3_bind_int64(s, 2, household);
    return insert_done(w, s, "household head", NULL);
}

static jc_err sq_org_add(jc_conn *w, const char *community, const char *grid, const char *name, const char *kind,
                          const char *address, double lon, double lat) {
    static const char sql[] = "INSERT INTO base_orgs(community,grid,name,kind,address,lon,lat) VALUES(?,?,?,?,?,?,?)";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, community);
    sq_bind_text(s, 2, grid);
    sq_bind_text(s, 3, name);
    sq_bind_text(s, 4, kind);
    sq_bind_text(s, 5, address);
    sqlite3_bind_double(s, 6, lon);
    sqlite3_bind_double(s, 7, lat);
    return insert_done(w, s, "organisation", NULL);
}

static jc_err sq_counts_refresh(jc_conn *w, int64_t now_ms) {
    static const char sql[] =
        "INSERT OR REPLACE INTO base_counts(area, field, value, as_of)"
        " SELECT community, 'population', count(*), ?1 FROM base_people GROUP BY community"
        " UNION ALL SELECT community, 'households', count(*), ?1 FROM base_households GROUP BY community"
        " UNION ALL SELECT community, 'elders_living_alone', sum(alone_elder), ?1 FROM base_people GROUP BY community"
        " UNION ALL SELECT community, 'houses', count(*), ?1 FROM base_houses GROUP BY community"
        " UNION ALL SELECT community, 'organisations', count(*), ?1 FROM base_orgs GROUP BY community";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, now_ms);
    return insert_done(w, s, "counts", NULL);
}

static jc_err sq_summary_each(jc_conn *c, const char *prefix, int64_t today_ymd,
                              int (*cb)(const base_summary_row *r, void *arg), void *arg) {
    static const char sql[] =
        /* people, households and elders living alone from the golden records
         * of the departments' data (module people) where the community has
         * any, else from the generated base tables */
        "SELECT a.code, a.name,"
        " CASE WHEN g.n > 0 THEN g.n ELSE (SELECT count(*) FROM base_people p WHERE p.community = a.code) END,"
        " CASE WHEN g.n > 0 THEN g.hh ELSE (SELECT count(*) FROM base_households h WHERE h.community = a.code) END,"
        " CASE WHEN g.n > 0 THEN g.alone ELSE (SELECT count(*) FROM base_people p WHERE p.community = a.code"
        "  AND p.alone_elder = 1) END,"
        " (SELECT count(*) FROM base_houses h WHERE h.community = a.code),"
        " (SELECT count(*) FROM base_orgs o WHERE o.community = a.code),"
        " g.n > 0, g.disabled, g.students"
        " FROM areas a LEFT JOIN (SELECT community, count(*) AS n,"
        "  count(DISTINCT coalesce(household, house, 'p' || id)) AS hh,"
        "  sum(birth > 0 AND (?2 - birth) / 10000 >= 60 AND (flags & 1) != 0) AS alone,"
        "  sum((flags & 2) != 0) AS disabled, sum((flags & 4) != 0) AS students"
        "  FROM people_persons GROUP BY community) g ON g.community = a.code"
        " WHERE a.level = 'community' AND substr(a.code, 1, length(?1)) = ?1 ORDER BY a.code";
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(store_sqlite_db(c), sql, -1, &s, NULL) != SQLITE_OK) return JC_ERR_DB;
    sqlite3_bind_text(s, 1, prefix, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, today_ymd);
    while (sqlite3_step(s) == SQLITE_ROW) {
        base_summary_row r = {(const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1),
                              sqlite3_column_int64(s, 2), sqlite3_column_int64(s, 3), sqlite3_column_int64(s, 4),
                              sqlite3_column_int64(s, 5), sqlite3_column_int64(s, 6), sqlite3_column_int(s, 7),
                              sqlite3_column_int64(s, 8), sqlite3_column_int64(s, 9)};
        if (cb(&r, arg)) break;
    }
    sqlite3_finalize(s);
    return JC_OK;
}

static jc_err sq_alone_elders(jc_conn *c, int limit, int (*cb)(int64_t person_id, const char *grid, void *arg),
                         void *arg) {
    static const char sql[] =
        "SELECT p.id, h.grid FROM base_people p JOIN base_households hh ON hh.id = p.household_id"
        " JOIN base_houses h ON h.id = hh.house_id WHERE p.alone_elder = 1 ORDER BY p.id LIMIT ?";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int(s, 1, limit);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (cb(sqlite3_column_int64(s, 0), sq_col_str(s, 1), arg)) break;
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(c), "base", "elders");
}

const base_store_ops base_store_sqlite = {
    .people_count = sq_people_count,
    .grids = sq_grids,
    .house_add = sq_house_add,
    .household_add = sq_household_add,
    .person_add = sq_person_add,
    .household_head = sq_household_head,
    .org_add = sq_org_add,
    .counts_refresh = sq_counts_refresh,
    .summary_each = sq_summary_each,
    .alone_elders = sq_alone_elders,
};
