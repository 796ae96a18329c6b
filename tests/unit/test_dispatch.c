/*
 * test_dispatch.c -- automatic dispatch (src/dispatch.c) driven directly on
 * the writer, without HTTP: a responsibility list imported all or nothing,
 * registration routing a case to the list's lead department with a
 * deadline, co-handling departments seeing the case and others not, and a
 * case the list does not cover waiting ownerless until it is dispatched by
 * hand.
 */
#include "auth.h"
#include "case.h"
#include "dispatch.h"
#include "store.h"
#include "t.h"
#include "t_store.h"

#include <unistd.h>

static jc_user resident, dispatcher, admin;
static int64_t chengguan, zhujian, shuiwu;

#define GRID "110101001001001"
#define HEADER "id,category,scope,lead_dept,co_depts,legal_basis,accept,handle,verify,may_delegate\n"

static jc_err put_area(jc_conn *w, const char *code, const char *parent, const char *level) {
    jc_area a = {0};
    snprintf(a.code, sizeof a.code, "%s", code);
    snprintf(a.parent, sizeof a.parent, "%s", parent);
    snprintf(a.level, sizeof a.level, "%s", level);
    snprintf(a.name, sizeof a.name, "区域%s", code);
    return store_area_put(w, &a);
}

static jc_err put_dept(jc_conn *w, const char *code, const char *name, int64_t *id) {
    jc_dept d = {0};
    snprintf(d.code, sizeof d.code, "%s", code);
    snprintf(d.name, sizeof d.name, "%s", name);
    jc_err e = store_dept_put(w, &d);
    *id = d.id;
    return e;
}

static jc_err put_user(jc_conn *w, jc_user *u, const char *name, jc_role role, const char *area) {
    memset(u, 0, sizeof *u);
    snprintf(u->name, sizeof u->name, "%s", name);
    u->role = role;
    snprintf(u->area, sizeof u->area, "%s", area);
    snprintf(u->pw_hash, sizeof u->pw_hash, "x");
    return store_user_insert(w, u);
}

static jc_err fixture_run(jc_conn *w, void *arg) {
    (void)arg;
    jc_err e;
    if ((e = put_area(w, "110101", "", "district")) || (e = put_area(w, "110101001", "110101", "street")) ||
        (e = put_area(w, "110101001001", "110101001", "community")) || (e = put_area(w, GRID, "110101001001", "grid")))
        return e;
    if ((e = put_dept(w, "chengguan", "城管", &chengguan)) || (e = put_dept(w, "zhujian", "住建", &zhujian)) ||
        (e = put_dept(w, "shuiwu", "水务", &shuiwu)))
        return e;
    jc_category lamp = {.code = "0202", .name = "路灯", .kind = "component", .dept_code = "chengguan",
                        .accept_h = 2, .handle_h = 24, .verify_h = 8};
    jc_category build = {.code = "0103", .name = "违法建设", .kind = "event", .dept_code = "chengguan",
                         .accept_h = 2, .handle_h = 24, .verify_h = 8};
    if ((e = store_category_put(w, &lamp)) || (e = store_category_put(w, &build))) return e;
    if ((e = put_user(w, &resident, "r1", ROLE_RESIDENT, "")) ||
        (e = put_user(w, &dispatcher, "disp", ROLE_DISPATCHER, "110101001")) ||
        (e = put_user(w, &admin, "admin", ROLE_ADMIN, "")))
        return e;
    return JC_OK;
}

static int open_store(void) {
    if (auth_init() || t_store_open("dispatch")) return -1;
    return store_exec(st, fixture_run, NULL) ? -1 : 0;
}

static void close_store(void) { t_store_close(); }

/* ---- jobs ------------------------------------------------------------------ */

typedef struct {
    const char *csv;
    int version;
    jc_buf errors;
    jc_err e;
} import_job;

static jc_err import_run(jc_conn *w, void *arg) {
    import_job *j = arg;
    j->e = dispatch_import_list(w, &admin, j->csv, strlen(j->csv), "test", &j->version, &j->errors);
    return JC_OK; /* a refused list is the result, not a failed job */
}

/* Imports csv; the import's error, its version in *version, its error
 * lines in errors (the caller's, may be NULL). */
static jc_err import(const char *csv, int *version, jc_buf *errors) {
    import_job j = {.csv = csv};
    jc_buf_init(&j.errors, 0);
    jc_err e = store_exec(st, import_run, &j);
    if (version) *version = j.version;
    if (errors) *errors = j.errors;
    else jc_buf_free(&j.errors);
    return e ? e : j.e;
}

typedef struct {
    const char *category;
    int64_t id;
    jc_case_err why;
} create_job;

static jc_err create_run(jc_conn *w, void *arg) {
    create_job *j = arg;
    jc_case k = {0};
    k.title = jc_strdup("路灯不亮");
    k.body = jc_strdup("三号楼前的路灯坏了");
    snprintf(k.category, sizeof k.category, "%s", j->category);
    snprintf(k.area, sizeof k.area, GRID);
    snprintf(k.source, sizeof k.source, "web");
    k.reporter_id = resident.id;
    jc_err e = case_create(w, &resident, &k, NULL, &j->why);
    j->id = k.id;
    case_clear(&k);
    return e;
}

static int64_t create(const char *category) {
    create_job j = {category};
    return store_exec(st, create_run, &j) ? -1 : j.id;
}

typedef struct {
    int64_t id;
    jc_action a;
    jc_action_args args;
    jc_case_err why;
    jc_err e;
} act_job;

static jc_err act_run(jc_conn *w, void *arg) {
    act_job *j = arg;
    jc_case out = {0};
    j->e = case_act(w, &dispatcher, j->id, j->a, &j->args, &out, &j->why);
    case_clear(&out);
    return j->e;
}

static jc_err act(int64_t id, jc_action a, int64_t dept) {
    act_job j = {.id = id, .a = a, .args = {.dept_id = dept}};
    jc_err e = store_exec(st, act_run, &j);
    return e ? e : j.e;
}

static jc_case get(int64_t id) {
    jc_conn *c = NULL;
    jc_case k = {0};
    if (store_conn_open(st, &c) || store_case_get(c, id, &k)) k.id = -1;
    store_conn_close(c);
    return k;
}

static int involved(int64_t id, int64_t dept) {
    jc_conn *c = NULL;
    int r = store_conn_open(st, &c) ? -1 : dispatch_dept_involved(c, id, dept);
    store_conn_close(c);
    return r;
}

/* ---- tests ------------------------------------------------------------------- */

static const char *LIST = HEADER
    "D-0202,0202,110101,chengguan,zhujian,《城市照明管理规定》第二十条,2wh,24wh,8wh,0\n";

TEST(registration_routes_by_the_list) {
    ASSERT_OK(open_store());
    int version = 0;
    ASSERT_OK(import(LIST, &version, NULL));
    ASSERT(version >= 1);
    int64_t id = create("0202");
    ASSERT(id > 0);
    ASSERT_OK(act(id, ACT_REGISTER, 0));
    jc_case k = get(id);
    /* the chained automatic dispatch: the lead department and a deadline */
    ASSERT_EQ(k.state, ST_DISPATCHED);
    ASSERT_EQ(k.dept_id, chengguan);
    ASSERT(k.deadline_ms > 0);
    ASSERT(!(k.flags & CASE_F_OWNERLESS));
    case_clear(&k);
    /* the co-handling department sees it, another department does not */
    ASSERT_EQ(involved(id, zhujian), 1);
    ASSERT_EQ(involved(id, shuiwu), 0);
    close_store();
}

TEST(a_bad_list_changes_nothing) {
    ASSERT_OK(open_store());
    int v1 = 0, v2 = 0;
    ASSERT_OK(import(LIST, &v1, NULL));
    jc_buf errs;
    const char *bad = HEADER "D-0202,0202,110101,shuiwu,,《城市照明管理规定》第二十条,2wh,24wh,8wh,0\n"
                             "X-0103,0103,110101,chengguang,,《城乡规划法》第六十四条,4wh,120wh,16wh,0\n";
    ASSERT_EQ(import(bad, &v2, &errs), JC_ERR_INVALID);
    ASSERT(errs.data && strstr(errs.data, "row 3: unknown department \"chengguang\""));
    jc_buf_free(&errs);
    /* the first row was good, but nothing of the file took effect */
    int64_t id = create("0202");
    ASSERT_OK(act(id, ACT_REGISTER, 0));
    jc_case k = get(id);
    ASSERT_EQ(k.dept_id, chengguan);
    case_clear(&k);
    close_store();
}

TEST(a_case_the_list_does_not_cover_waits_ownerless) {
    ASSERT_OK(open_store());
    ASSERT_OK(import(LIST, NULL, NULL));
    int64_t id = create("0103"); /* no entry for 0103 */
    ASSERT_OK(act(id, ACT_REGISTER, 0));
    jc_case k = get(id);
    ASSERT_EQ(k.state, ST_REGISTERED);
    ASSERT(k.flags & CASE_F_OWNERLESS);
    ASSERT_EQ(k.dept_id, 0);
    case_clear(&k);
    /* dispatched by hand: no longer ownerless, led by the chosen department */
    ASSERT_OK(act(id, ACT_DISPATCH, shuiwu));
    k = get(id);
    ASSERT_EQ(k.state, ST_DISPATCHED);
    ASSERT_EQ(k.dept_id, shuiwu);
    ASSERT(!(k.flags & CASE_F_OWNERLESS));
    case_clear(&k);
    close_store();
}

T_MAIN(T(registration_routes_by_the_list), T(a_bad_list_changes_nothing), T(a_case_the_list_does_not_cover_waits_ownerless))
