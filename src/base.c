/*
 * base.c -- base data (人/户/房/单位): the GB 11643 check digit, the demo's
 * fictional ID numbers, `GET /api/v1/base/summary` (counts only: personal
 * data stays in the server), `jiceng base` and the demo's generator of
 * fictional base data.  Storage is in base_sqlite.c (base_store.h).
 */
#include "base.h"
#include "base_int.h"
#include "base_store.h"
#include "cli.h"
#include "http.h"
#include "model.h"
#include "module.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char base_id_check(const char *id17) {
    static const int weight[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    static const char check[] = "10X98765432";
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        if (id17[i] < '0' || id17[i] > '9') return 0;
        sum += (id17[i] - '0') * weight[i];
    }
    return check[sum % 11];
}

int base_id_valid(const char *id) {
    if (!id || strlen(id) != 18) return 0;
    char c = base_id_check(id);
    return c && (id[17] == c || (c == 'X' && id[17] == 'x'));
}

void base_id_make(int yyyymmdd, int seq, int male, char out[19]) {
    int s = (seq % 500) * 2 + (male ? 1 : 0); /* the 17th digit: odd for men, even for women */
    snprintf(out, 19, "999999%08u%03u", (unsigned)yyyymmdd % 100000000u, (unsigned)s % 1000u);
    out[17] = base_id_check(out);
    out[18] = 0;
}

/* ---- the demo's fictional base data ---------------------------------------------
 * Deterministic from the seed: houses in every grid's box, households (an
 * elder alone, an old couple, a family, a single adult), their people with
 * fictional ID numbers (base_id_make) and phones, and organisations; then
 * the counts per community.  The rows are written through base_store.h. */

/* deterministic random numbers (splitmix64) */
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

typedef struct {
    bgrid *v;
    int n, cap;
    jc_err e;
} grid_list;

static int grid_add(const char *code, const char *name, const char *geojson, void *arg) {
    grid_list *l = arg;
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 64;
        bgrid *v = realloc(l->v, (size_t)cap * sizeof *v);
        if (!v) {
            l->e = JC_ERR_NOMEM;
            return 1;
        }
        l->v = v, l->cap = cap;
    }
    bgrid *g = &l->v[l->n];
    snprintf(g->code, sizeof g->code, "%s", code);
    snprintf(g->name, sizeof g->name, "%s", name);
    if (!base__bbox(geojson, &g->w, &g->s, &g->e, &g->n)) l->n++;
    return 0;
}

typedef struct {
    int seq_by_birth;
    int64_t phone_n;
} gen_state;

/* One household of size people in house (the head first); *e the error. */
static jc_err gen_household(jc_conn *w, brng *r, gen_state *gs, const char *comm, int64_t house, int size, int alone,
                            int head_age) {
    int64_t hh, head = 0;
    jc_err e = base_db(w)->household_add(w, house, comm, size, &hh);
    const int year_now = 2026;
    for (int p = 0; !e && p < size; p++) {
        int age, male;
        const char *rel;
        if (p == 0) age = head_age, male = bint(r, 2), rel = "户主";
        else if (p == 1) age = head_age - 3 + bint(r, 7), male = -1, rel = "配偶";
        else if (p == 4) age = head_age + 22 + bint(r, 8), male = bint(r, 2), rel = "父母";
        else age = head_age - 22 - bint(r, 12), male = bint(r, 2), rel = "子女";
        if (age < 0) age = bint(r, 10);
        if (male < 0) male = !bint(r, 2);
        char name[64], id[19], birth[32], phone[32];
        person_name(r, male, name, sizeof name);
        int ymd = ymd_of(year_now - age, r);
        snprintf(birth, sizeof birth, "%04d-%02d-%02d", ymd / 10000, ymd / 100 % 100, ymd % 100);
        base_id_make(ymd, gs->seq_by_birth++, male, id);
        snprintf(phone, sizeof phone, "100%08lld", (long long)(++gs->phone_n));
        base_person_row row = {hh, comm, name, male ? "男" : "女", birth, id, age >= 16 ? phone : NULL, rel, alone};
        int64_t pid = 0;
        e = base_db(w)->person_add(w, &row, &pid);
        if (e == JC_ERR_CONFLICT) {
            /* a sequence clash on one birth date: try the next one */
            base_id_make(ymd, gs->seq_by_birth++ + 250, male, id);
            e = base_db(w)->person_add(w, &row, &pid);
        }
        if (p == 0) head = pid;
    }
    return e ? e : base_db(w)->household_head(w, hh, head);
}

/* The houses, households and organisations of grid gi. */
static jc_err gen_grid(jc_conn *w, const bgrid *g, int gi, uint64_t seed, gen_state *gs) {
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
    jc_err e = JC_OK;
    for (int b = 0; !e && b < nbuild; b++) {
        int building = (gno - 1) * 10 + b + 1, floors = 4 + bint(&r, 3), per_floor = 2 + bint(&r, 2);
        double lon = g->w + (g->e - g->w) * (0.1 + 0.8 * bunit(&r)), lat = g->s + (g->n - g->s) * (0.1 + 0.8 * bunit(&r));
        for (int f = 1; !e && f <= floors; f++)
            for (int u = 1; !e && u <= per_floor; u++) {
                char addr[256];
                snprintf(addr, sizeof addr, "%s%d号楼%d%02d室", stem, building, f, u);
                int64_t house;
                if ((e = base_db(w)->house_add(w, comm, g->code, addr, lon, lat, 45 + bint(&r, 80), &house))) break;
                if (bunit(&r) < 0.08) continue; /* vacant */
                /* a household: an elder alone, an old couple, a family, a single adult */
                double kind = bunit(&r);
                int size, alone = 0, head_age;
                if (kind < 0.10) size = 1, alone = 1, head_age = 70 + bint(&r, 22);
                else if (kind < 0.25) size = 2, head_age = 62 + bint(&r, 20);
                else if (kind < 0.85) size = 3 + bint(&r, 3), head_age = 32 + bint(&r, 25);
                else size = 1, head_age = 22 + bint(&r, 40);
                e = gen_household(w, &r, gs, comm, house, size, alone, head_age);
            }
    }
    int norg = 1 + bint(&r, 3);
    for (int o = 0; !e && o < norg; o++) {
        int k = bint(&r, (int)JC_ARRAY_LEN(org_kinds));
        char name[256], addr[256];
        snprintf(name, sizeof name, "%s%s（虚构）", stem, org_kinds[k][1]);
        snprintf(addr, sizeof addr, "%s底商%d号", stem, (gno - 1) * 10 + o + 1);
        double lon = g->w + (g->e - g->w) * bunit(&r);
        double lat = g->s + (g->n - g->s) * bunit(&r);
        e = base_db(w)->org_add(w, comm, g->code, name, org_kinds[k][0], addr, lon, lat);
    }
    return e;
}

jc_err base_seed_demo(jc_conn *w, uint64_t seed) {
    int64_t have;
    jc_err e = base_db(w)->people_count(w, &have);
    if (e || have) return e;
    /* the grids of every community, with their boxes */
    grid_list l = {0};
    e = base_db(w)->grids(w, grid_add, &l);
    if (!e) e = l.e;
    gen_state gs = {0};
    for (int gi = 0; !e && gi < l.n; gi++) e = gen_grid(w, &l.v[gi], gi, seed, &gs);
    free(l.v);
    /* the counts, for the work list's answers and the community cloud */
    return e ? e : base_db(w)->counts_refresh(w, jc_now_ms());
}


void base_bbox_extend(json_t *v, double *w, double *s, double *e, double *n) {
    if (json_is_array(v) && json_array_size(v) >= 2 && json_is_number(json_array_get(v, 0))) {
        double x = json_number_value(json_array_get(v, 0)), y = json_number_value(json_array_get(v, 1));
        if (x < *w) *w = x;
        if (x > *e) *e = x;
        if (y < *s) *s = y;
        if (y > *n) *n = y;
        return;
    }
    size_t i;
    json_t *c;
    json_array_foreach(v, i, c) base_bbox_extend(c, w, s, e, n);
}

int base__bbox(const char *geojson, double *w, double *s, double *e, double *n) {
    json_t *g = geojson ? json_loads(geojson, 0, NULL) : NULL;
    if (!g) return -1;
    *w = *s = 1e9;
    *e = *n = -1e9;
    json_t *geom = json_object_get(g, "geometry");
    base_bbox_extend(json_object_get(geom ? geom : g, "coordinates"), w, s, e, n);
    json_decref(g);
    return *w <= *e ? 0 : -1;
}

/* GET /api/v1/base/summary?area=CODE: counts per community, within the
 * caller's own area. */
static void h_summary(jc_req *r) {
    char area[32] = "";
    http_query(r, "area", area, sizeof area);
    for (const char *p = area; *p; p++)
        if (*p < '0' || *p > '9') return http_reply_error(r, JC_ERR_INVALID, "area must be an area code");
    const char *mine = r->user.area;
    const char *prefix = area;
    if (mine[0] && r->user.role != ROLE_ADMIN) {
        if (!area[0]) prefix = mine;
        else if (strncmp(area, mine, strlen(mine)) && strncmp(mine, area, strlen(area)))
            return api_deny_scope(r, area, mine);
        else if (strlen(area) < strlen(mine)) prefix = mine; /* narrowed to the scope */
    }
    json_t *out = NULL;
    jc_err e = base__summary(r->db, prefix, &out);
    if (e) return http_reply_error(r, e, "base summary");
    http_reply_json(r, 200, out);
}

#define R(x) ROLE_BIT(ROLE_##x)
static const jc_route routes[] = {
    {"GET", "/api/v1/base/summary", h_summary,
     R(ADMIN) | R(DISPATCHER) | R(SUPERVISOR) | R(COMMUNITY_STAFF) | R(GRID_WORKER) | R(DEPT_STAFF), NULL},
};
static const jc_route_table base_routes = {routes, JC_ARRAY_LEN(routes)};

/* ---- jiceng base ----------------------------------------------------------------- */

static jc_err run_seed(jc_conn *w, void *arg) { return base_seed_demo(w, *(uint64_t *)arg); }

static int cmd_base(int argc, char **argv) {
    static const char help[] =
        "usage: jiceng base seed --db DB [--seed N]   generate the demo's fictional base data\n"
        "       jiceng base summary --db DB [--area CODE]   counts per community (JSON)\n"
        "The generated people are fictional: ID numbers use area code 999999 (no region has it)\n"
        "with a valid GB 11643 check digit; phones start with 100 (no mobile number does).\n"
        "Seeding does nothing when the database already holds people.  Run `jiceng demo` first.\n";
    if (argc < 2 || cli_wants_help(argc, argv)) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? JC_EXIT_USAGE : JC_EXIT_OK;
    }
    const char *sub = argv[1], *db = NULL, *area = "";
    uint64_t seed = 42;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return cli_usage_error("base", "option %s needs a value", a);
        i++;
        int64_t n;
        if (!strcmp(a, "--db")) db = v;
        else if (!strcmp(a, "--area")) area = v;
        else if (!strcmp(a, "--seed")) {
            if (jc_parse_i64(v, &n) || n < 0) return cli_usage_error("base", "--seed must be a number >= 0");
            seed = (uint64_t)n;
        } else return cli_usage_error("base", "unexpected argument '%s'", a);
    }
    if (!db) return cli_usage_error("base", "missing --db DB");
    if (strcmp(sub, "seed") && strcmp(sub, "summary")) return cli_usage_error("base", "unknown subcommand '%s'", sub);
    jc_store *st = NULL;
    int version;
    if (store_open(db, &st) || store_migrate(st, &version)) {
        fprintf(stderr, "jiceng base: cannot open %s\n", db);
        store_close(st);
        return JC_EXIT_FAIL;
    }
    int rc = JC_EXIT_OK;
    jc_conn *c = NULL;
    json_t *out = NULL;
    if (!strcmp(sub, "seed") && store_exec(st, run_seed, &seed)) {
        fprintf(stderr, "jiceng base: seeding failed\n");
        rc = JC_EXIT_FAIL;
    } else if (store_conn_open(st, &c) || base__summary(c, area, &out)) {
        rc = JC_EXIT_FAIL;
    } else {
        json_t *t = json_object_get(out, "total");
        if (!strcmp(sub, "seed"))
            printf("base data (fictional): %lld people, %lld households, %lld elders living alone, %lld houses, "
                   "%lld organisations\n",
                   (long long)json_integer_value(json_object_get(t, "people")),
                   (long long)json_integer_value(json_object_get(t, "households")),
                   (long long)json_integer_value(json_object_get(t, "elders_living_alone")),
                   (long long)json_integer_value(json_object_get(t, "houses")),
                   (long long)json_integer_value(json_object_get(t, "organisations")));
        else json_dumpf(out, stdout, JSON_INDENT(2)), putchar('\n');
    }
    json_decref(out);
    store_conn_close(c);
    store_close(st);
    return rc;
}

/* Today's local (Asia/Shanghai) date on the platform clock as yyyymmdd, as
 * the people module's birth dates are written. */
static int64_t today_ymd(void) {
    time_t tt = (time_t)(jc_now_ms() / 1000 + 8 * 3600);
    struct tm tm;
    gmtime_r(&tt, &tm);
    return (int64_t)(tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

typedef struct {
    json_t *arr;
    long long tot[5], disabled, students;
    int collected;
} summary_acc;

static int summary_add(const base_summary_row *r, void *arg) {
    summary_acc *a = arg;
    long long v[5] = {r->people, r->households, r->elders_living_alone, r->houses, r->organisations};
    for (int i = 0; i < 5; i++) a->tot[i] += v[i];
    json_t *row = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I}", "area", r->area, "name", r->name, "people",
                            (json_int_t)v[0], "households", (json_int_t)v[1], "elders_living_alone",
                            (json_int_t)v[2], "houses", (json_int_t)v[3], "organisations", (json_int_t)v[4]);
    a->collected |= r->from_departments;
    json_object_set_new(row, "from_departments", json_boolean(r->from_departments));
    /* people with a disability and students: only the departments' data
     * knows them (null where none reached the community) */
    json_object_set_new(row, "disabled", r->from_departments ? json_integer(r->disabled) : json_null());
    json_object_set_new(row, "students", r->from_departments ? json_integer(r->students) : json_null());
    if (r->from_departments) a->disabled += r->disabled, a->students += r->students;
    json_array_append_new(a->arr, row);
    return 0;
}

jc_err base__summary(jc_conn *c, const char *prefix, json_t **out) {
    summary_acc a = {json_array(), {0}, 0, 0, 0};
    jc_err e = base_db(c)->summary_each(c, prefix, today_ymd(), summary_add, &a);
    if (e) {
        json_decref(a.arr);
        return e;
    }
    int collected = a.collected;
    long long *tot = a.tot;
    *out = json_pack("{s:o,s:{s:I,s:I,s:I,s:I,s:I},s:b}", "communities", a.arr, "total", "people", (json_int_t)tot[0],
                     "households", (json_int_t)tot[1], "elders_living_alone", (json_int_t)tot[2], "houses",
                     (json_int_t)tot[3], "organisations", (json_int_t)tot[4], "fictional", !collected);
    json_object_set_new(*out, "from_departments", json_boolean(collected));
    json_t *total = json_object_get(*out, "total");
    json_object_set_new(total, "disabled", collected ? json_integer(a.disabled) : json_null());
    json_object_set_new(total, "students", collected ? json_integer(a.students) : json_null());
    return JC_OK;
}

jc_err base_alone_elders(jc_conn *c, int limit, int (*cb)(int64_t person_id, const char *grid, void *arg),
                         void *arg) {
    return base_db(c)->alone_elders(c, limit, cb, arg);
}

/* The base module's row (src/modules.c). */
const jc_module module_base = {
    .name = "base",
    .schema = {[JC_STORE_SQLITE] = &schema_base, [JC_STORE_PG] = &schema_base_pg},
    .store = {[JC_STORE_SQLITE] = &base_store_sqlite, [JC_STORE_PG] = &base_store_pg},
    .routes = {&base_routes},
    .commands = {{"base", cmd_base, "generate (demo) and count base data: people, households, houses, organisations"}},
};
