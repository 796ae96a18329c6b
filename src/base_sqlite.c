/*
 * base_sqlite.c -- storage of the base data (module "base"): the tables, the
 * deterministic generator of the demo's fictional people, households, houses
 * and organisations, and the per-community counts.
 */
#include "base.h"
#include "base_int.h"
#include "store.h"
#include "store_sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* ---- deterministic random numbers (splitmix64) ------------------------------ */

typedef struct { uint64_t s; } brng;
static uint64_t bnext(brng *r) {
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static int bint(brng *r, int n) { return n <= 0 ? 0 : (int)(bnext(r) % (uint64_t)n); }
static double bunit(brng *r) { return (double)(bnext(r) >> 11) / 9007199254740992.0; }

static const char *const surnames[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙",
                                       "胡", "朱", "高", "林", "何", "郭", "马", "罗", "梁", "宋", "郑", "谢"};
static const char *const given_m[] = {"伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "明", "超", "刚", "平",
                                      "建国", "志强", "海峰", "文博", "子轩", "浩然", "宇航", "德福"};
static const char *const given_f[] = {"芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲", "桂英", "秀兰",
                                      "玉珍", "淑华", "雨涵", "欣怡", "梓萱", "思彤", "凤英", "秀珍"};
static const char *const org_kinds[][2] = {{"shop", "便民超市"}, {"restaurant", "小吃店"}, {"clinic", "社区卫生服务站"},
                                           {"school", "幼儿园"}, {"company", "文化传媒有限公司"},
                                           {"hotel", "宾馆"}, {"pharmacy", "大药房"}, {"repair", "家电维修部"}};

typedef struct { char code[24], name[128]; double w, s, e, n; } bgrid;

static void person_name(brng *r, int male, char *out, size_t n) {
    snprintf(out, n, "%s%s", surnames[bint(r, (int)JC_ARRAY_LEN(surnames))],
             male ? given_m[bint(r, (int)JC_ARRAY_LEN(given_m))] : given_f[bint(r, (int)JC_ARRAY_LEN(given_f))]);
}

static int ymd_of(int year, brng *r) {
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int m = bint(r, 12);
    return year * 10000 + (m + 1) * 100 + 1 + bint(r, mdays[m]);
}

static jc_err exec_insert(sqlite3_stmt *s) {
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc == SQLITE_DONE ? JC_OK : JC_ERR_DB;
}

jc_err base_seed_demo(jc_conn *w, uint64_t seed) {
    sqlite3 *db = store_sqlite_db(w);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM base_people", -1, &s, NULL) != SQLITE_OK) return JC_ERR_DB;
    int have = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
    sqlite3_finalize(s);
    if (have) return JC_OK;
    /* the grids of every community, with their boxes */
    bgrid *grids = NULL;
    int ngrids = 0, cap = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT g.code, c.name, g.geojson FROM areas g JOIN areas c ON c.code = g.parent"
                           " WHERE g.level = 'grid' AND c.level = 'community' ORDER BY g.code",
                           -1, &s, NULL) != SQLITE_OK)
        return JC_ERR_DB;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (ngrids == cap) {
            cap = cap ? cap * 2 : 64;
            bgrid *n = realloc(grids, (size_t)cap * sizeof *n);
            if (!n) { free(grids); sqlite3_finalize(s); return JC_ERR_NOMEM; }
            grids = n;
        }
        bgrid *g = &grids[ngrids];
        snprintf(g->code, sizeof g->code, "%s", (const char *)sqlite3_column_text(s, 0));
        snprintf(g->name, sizeof g->name, "%s", (const char *)sqlite3_column_text(s, 1));
        if (base__bbox((const char *)sqlite3_column_text(s, 2), &g->w, &g->s, &g->e, &g->n)) continue;
        ngrids++;
    }
    sqlite3_finalize(s);
    sqlite3_stmt *ih = NULL, *ihh = NULL, *ip = NULL, *io = NULL, *uh = NULL;
    jc_err e = JC_OK;
    if (sqlite3_prepare_v2(db, "INSERT INTO base_houses(community,grid,address,lon,lat,area_m2) VALUES(?,?,?,?,?,?)",
                           -1, &ih, NULL) ||
        sqlite3_prepare_v2(db, "INSERT INTO base_households(house_id,community,size) VALUES(?,?,?)", -1, &ihh, NULL) ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO base_people(household_id,community,name,gender,birth,id_number,phone,relation,"
                           "alone_elder) VALUES(?,?,?,?,?,?,?,?,?)",
                           -1, &ip, NULL) ||
        sqlite3_prepare_v2(db, "INSERT INTO base_orgs(community,grid,name,kind,address,lon,lat) VALUES(?,?,?,?,?,?,?)",
                           -1, &io, NULL) ||
        sqlite3_prepare_v2(db, "UPDATE base_households SET head_id=? WHERE id=?", -1, &uh, NULL))
        e = JC_ERR_DB;
    int seq_by_birth = 0;
    int64_t phone_n = 0;
    for (int gi = 0; !e && gi < ngrids; gi++) {
        bgrid *g = &grids[gi];
        char comm[16];
        snprintf(comm, sizeof comm, "%.12s", g->code);
        brng r = {seed * 1000003u + (uint64_t)gi * 7919u + 17};
        bnext(&r);
        /* "多福巷社区" -> street-name stem for addresses */
        char stem[128];
        snprintf(stem, sizeof stem, "%s", g->name);
        char *suf = strstr(stem, "社区");
        if (suf) *suf = 0;
        int64_t gno64 = 1;
        if (strlen(g->code) > 12 && jc_parse_i64(g->code + 12, &gno64)) gno64 = 1; /* grid codes end in digits */
        int gno = gno64 > 0 && gno64 < 1000 ? (int)gno64 : 1;
        int nbuild = 3 + bint(&r, 3);
        for (int b = 0; !e && b < nbuild; b++) {
            int building = (gno - 1) * 10 + b + 1, floors = 4 + bint(&r, 3), per_floor = 2 + bint(&r, 2);
            double lon = g->w + (g->e - g->w) * (0.1 + 0.8 * bunit(&r)), lat = g->s + (g->n - g->s) * (0.1 + 0.8 * bunit(&r));
            for (int f = 1; !e && f <= floors; f++)
                for (int u = 1; !e && u <= per_floor; u++) {
                    char addr[256];
                    snprintf(addr, sizeof addr, "%s%d号楼%d%02d室", stem, building, f, u);
                    sqlite3_bind_text(ih, 1, comm, -1, SQLITE_TRANSIENT);
                    sqlite3_bind_text(ih, 2, g->code, -1, SQLITE_TRANSIENT);
                    sqlite3_bind_text(ih, 3, addr, -1, SQLITE_TRANSIENT);
                    sqlite3_bind_double(ih, 4, lon);
                    sqlite3_bind_double(ih, 5, lat);
                    sqlite3_bind_double(ih, 6, 45 + bint(&r, 80));
                    if ((e = exec_insert(ih))) break;
                    int64_t house = sqlite3_last_insert_rowid(db);
                    if (bunit(&r) < 0.08) continue; /* vacant */
                    /* a household: an elder alone, an old couple, a family, a single adult */
                    double kind = bunit(&r);
                    int size, alone = 0, head_age;
                    if (kind < 0.10) size = 1, alone = 1, head_age = 70 + bint(&r, 22);
                    else if (kind < 0.25) size = 2, head_age = 62 + bint(&r, 20);
                    else if (kind < 0.85) size = 3 + bint(&r, 3), head_age = 32 + bint(&r, 25);
                    else size = 1, head_age = 22 + bint(&r, 40);
                    sqlite3_bind_int64(ihh, 1, house);
                    sqlite3_bind_text(ihh, 2, comm, -1, SQLITE_TRANSIENT);
                    sqlite3_bind_int(ihh, 3, size);
                    if ((e = exec_insert(ihh))) break;
                    int64_t hh = sqlite3_last_insert_rowid(db), head = 0;
                    const int year_now = 2026;
                    for (int p = 0; !e && p < size; p++) {
                        int age, male;
                        const char *rel;
                        if (p == 0) age = head_age, male = bint(&r, 2), rel = "户主";
                        else if (p == 1) age = head_age - 3 + bint(&r, 7), male = -1, rel = "配偶";
                        else if (p == 4) age = head_age + 22 + bint(&r, 8), male = bint(&r, 2), rel = "父母";
                        else age = head_age - 22 - bint(&r, 12), male = bint(&r, 2), rel = "子女";
                        if (age < 0) age = bint(&r, 10);
                        if (male < 0) male = !bint(&r, 2);
                        char name[64], id[19], birth[32], phone[32];
                        person_name(&r, male, name, sizeof name);
                        int ymd = ymd_of(year_now - age, &r);
                        snprintf(birth, sizeof birth, "%04d-%02d-%02d", ymd / 10000, ymd / 100 % 100, ymd % 100);
                        base_id_make(ymd, seq_by_birth++, male, id);
                        snprintf(phone, sizeof phone, "100%08lld", (long long)(++phone_n));
                        sqlite3_bind_int64(ip, 1, hh);
                        sqlite3_bind_text(ip, 2, comm, -1, SQLITE_TRANSIENT);
                        sqlite3_bind_text(ip, 3, name, -1, SQLITE_TRANSIENT);
                        sqlite3_bind_text(ip, 4, male ? "男" : "女", -1, SQLITE_STATIC);
                        sqlite3_bind_text(ip, 5, birth, -1, SQLITE_TRANSIENT);
                        sqlite3_bind_text(ip, 6, id, -1, SQLITE_TRANSIENT);
                        if (age >= 16) sqlite3_bind_text(ip, 7, phone, -1, SQLITE_TRANSIENT);
                        sqlite3_bind_text(ip, 8, rel, -1, SQLITE_STATIC);
                        sqlite3_bind_int(ip, 9, alone);
                        if (sqlite3_step(ip) != SQLITE_DONE) {
                            /* a sequence clash on one birth date: try the next one */
                            sqlite3_reset(ip);
                            base_id_make(ymd, seq_by_birth++ + 250, male, id);
                            sqlite3_bind_text(ip, 6, id, -1, SQLITE_TRANSIENT);
                            if (sqlite3_step(ip) != SQLITE_DONE) e = JC_ERR_DB;
                        }
                        sqlite3_reset(ip);
                        sqlite3_clear_bindings(ip);
                        if (p == 0) head = sqlite3_last_insert_rowid(db);
                    }
                    if (e) break;
                    sqlite3_bind_int64(uh, 1, head);
                    sqlite3_bind_int64(uh, 2, hh);
                    e = exec_insert(uh);
                }
        }
        int norg = 1 + bint(&r, 3);
        for (int o = 0; !e && o < norg; o++) {
            int k = bint(&r, (int)JC_ARRAY_LEN(org_kinds));
            char name[256], addr[256];
            snprintf(name, sizeof name, "%s%s（虚构）", stem, org_kinds[k][1]);
            snprintf(addr, sizeof addr, "%s底商%d号", stem, (gno - 1) * 10 + o + 1);
            sqlite3_bind_text(io, 1, comm, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(io, 2, g->code, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(io, 3, name, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(io, 4, org_kinds[k][0], -1, SQLITE_STATIC);
            sqlite3_bind_text(io, 5, addr, -1, SQLITE_TRANSIENT);
            sqlite3_bind_double(io, 6, g->w + (g->e - g->w) * bunit(&r));
            sqlite3_bind_double(io, 7, g->s + (g->n - g->s) * bunit(&r));
            e = exec_insert(io);
        }
    }
    sqlite3_finalize(ih);
    sqlite3_finalize(ihh);
    sqlite3_finalize(ip);
    sqlite3_finalize(io);
    sqlite3_finalize(uh);
    free(grids);
    if (e) return e;
    /* the counts, for the work list's answers and the community cloud */
    static const char counts[] =
        "INSERT OR REPLACE INTO base_counts(area, field, value, as_of)"
        " SELECT community, 'population', count(*), ?1 FROM base_people GROUP BY community"
        " UNION ALL SELECT community, 'households', count(*), ?1 FROM base_households GROUP BY community"
        " UNION ALL SELECT community, 'elders_living_alone', sum(alone_elder), ?1 FROM base_people GROUP BY community"
        " UNION ALL SELECT community, 'houses', count(*), ?1 FROM base_houses GROUP BY community"
        " UNION ALL SELECT community, 'organisations', count(*), ?1 FROM base_orgs GROUP BY community";
    if (sqlite3_prepare_v2(db, counts, -1, &s, NULL) != SQLITE_OK) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, jc_now_ms());
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? JC_OK : JC_ERR_DB;
}

/* Today's local (Asia/Shanghai) date on the platform clock as yyyymmdd, as
 * the people module's birth dates are written. */
static int64_t today_ymd(void) {
    time_t tt = (time_t)(jc_now_ms() / 1000 + 8 * 3600);
    struct tm tm;
    gmtime_r(&tt, &tm);
    return (int64_t)(tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

jc_err base__summary(jc_conn *c, const char *prefix, json_t **out) {
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
        " g.n > 0"
        " FROM areas a LEFT JOIN (SELECT community, count(*) AS n,"
        "  count(DISTINCT coalesce(household, house, 'p' || id)) AS hh,"
        "  sum(birth > 0 AND (?2 - birth) / 10000 >= 60 AND (flags & 1) != 0) AS alone"
        "  FROM people_persons GROUP BY community) g ON g.community = a.code"
        " WHERE a.level = 'community' AND substr(a.code, 1, length(?1)) = ?1 ORDER BY a.code";
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(store_sqlite_db(c), sql, -1, &s, NULL) != SQLITE_OK) return JC_ERR_DB;
    sqlite3_bind_text(s, 1, prefix, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, today_ymd());
    json_t *arr = json_array();
    long long tot[5] = {0};
    int collected = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        long long v[5];
        for (int i = 0; i < 5; i++) tot[i] += v[i] = sqlite3_column_int64(s, 2 + i);
        json_array_append_new(arr, json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I}", "area", sqlite3_column_text(s, 0),
                                             "name", sqlite3_column_text(s, 1), "people", (json_int_t)v[0],
                                             "households", (json_int_t)v[1], "elders_living_alone", (json_int_t)v[2],
                                             "houses", (json_int_t)v[3], "organisations", (json_int_t)v[4]));
        int from_people = sqlite3_column_int(s, 7);
        collected |= from_people;
        json_object_set_new(json_array_get(arr, json_array_size(arr) - 1), "from_departments", json_boolean(from_people));
    }
    sqlite3_finalize(s);
    *out = json_pack("{s:o,s:{s:I,s:I,s:I,s:I,s:I},s:b}", "communities", arr, "total", "people", (json_int_t)tot[0],
                     "households", (json_int_t)tot[1], "elders_living_alone", (json_int_t)tot[2], "houses",
                     (json_int_t)tot[3], "organisations", (json_int_t)tot[4], "fictional", !collected);
    json_object_set_new(*out, "from_departments", json_boolean(collected));
    return JC_OK;
}

jc_err base_alone_elders(jc_conn *c, int limit, int (*cb)(int64_t person_id, const char *grid, void *arg),
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
