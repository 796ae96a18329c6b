/*
 * test_worklist.c -- the community work list: CSV import (all-or-nothing,
 * row-numbered errors), versions, admission (admit / refuse / exception),
 * data requests answered from the store, the community's done, burden.
 * Each test works on its own temporary database.
 */
#include "t.h"
#include "auth.h"
#include "store.h"
#include "store_sqlite.h"
#include "worklist.h"

#include <jansson.h>
#include <unistd.h>

static char tdir[64];
static jc_store *st;
static jc_conn *rd;
static jc_user u_minzheng, u_chengguan, u_dispatcher, u_comm1, u_comm2;

static jc_err setup_run(jc_conn *w, void *arg) {
    (void)arg;
    jc_area a = {0};
    jc_err e;
    snprintf(a.code, sizeof a.code, "110101001");
    snprintf(a.level, sizeof a.level, "street");
    snprintf(a.name, sizeof a.name, "东华门街道");
    if ((e = store_area_put(w, &a))) return e;
    const char *comms[] = {"110101001001", "110101001002", "110101002001"};
    for (int i = 0; i < 3; i++) {
        snprintf(a.code, sizeof a.code, "%s", comms[i]);
        snprintf(a.parent, sizeof a.parent, "%.9s", comms[i]);
        snprintf(a.level, sizeof a.level, "community");
        snprintf(a.name, sizeof a.name, "社区%d", i + 1);
        if ((e = store_area_put(w, &a))) return e;
    }
    const char *depts[] = {"minzheng", "chengguan", "zhujian", "shuiwu", "weijian", "gongan",
                           "xiaofang", "ranqi", "wuye", "jiaotong", "shichang"};
    for (size_t i = 0; i < JC_ARRAY_LEN(depts); i++) {
        jc_dept d = {0};
        snprintf(d.code, sizeof d.code, "%s", depts[i]);
        snprintf(d.name, sizeof d.name, "%s", depts[i]);
        if ((e = store_dept_put(w, &d))) return e;
        if (i == 0) u_minzheng.dept_id = d.id;
        if (i == 1) u_chengguan.dept_id = d.id;
    }
    return worklist_seed_demo(w, "data");
}

static int open_db(void) {
    snprintf(tdir, sizeof tdir, "/tmp/jc-wl-XXXXXX");
    if (!mkdtemp(tdir)) return -1;
    char path[128];
    snprintf(path, sizeof path, "%s/t.db", tdir);
    int v;
    if (auth_init() || store_open(path, &st) || store_migrate(st, &v)) return -1;
    memset(&u_minzheng, 0, sizeof u_minzheng);
    memset(&u_chengguan, 0, sizeof u_chengguan);
    if (store_exec(st, setup_run, NULL) || store_conn_open(st, &rd)) return -1;
    u_minzheng.id = 11, snprintf(u_minzheng.name, 64, "dept_minzheng"), u_minzheng.role = ROLE_DEPT_STAFF;
    u_chengguan.id = 12, snprintf(u_chengguan.name, 64, "dept_chengguan"), u_chengguan.role = ROLE_DEPT_STAFF;
    memset(&u_dispatcher, 0, sizeof u_dispatcher);
    u_dispatcher.id = 13, snprintf(u_dispatcher.name, 64, "dispatcher");
    u_dispatcher.role = ROLE_DISPATCHER, snprintf(u_dispatcher.area, 24, "110101001");
    memset(&u_comm1, 0, sizeof u_comm1);
    u_comm1.id = 14, snprintf(u_comm1.name, 64, "community1");
    u_comm1.role = ROLE_COMMUNITY_STAFF, snprintf(u_comm1.area, 24, "110101001001");
    u_comm2 = u_comm1;
    u_comm2.id = 15, snprintf(u_comm2.name, 64, "community2"), snprintf(u_comm2.area, 24, "110101001002");
    return 0;
}

static void close_db(void) {
    store_conn_close(rd);
    store_close(st);
    rd = NULL, st = NULL;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tdir);
    if (system(cmd)) {}
}

/* ---- a job wrapper: submit a task on the writer --------------------------- */
typedef struct {
    const jc_user *actor;
    wl_task_in in;
    json_t *out;
    char msg[256];
    jc_err err;
    int64_t id;
    const char *reason, *community;
    int op; /* 0 submit, 1 exception, 2 done */
} job;

static jc_err job_run(jc_conn *w, void *arg) {
    job *j = arg;
    if (j->op == 0) j->err = worklist_task_submit(w, j->actor, &j->in, jc_now_ms(), &j->out, j->msg, sizeof j->msg);
    else if (j->op == 1)
        j->err = worklist_task_exception(w, j->actor, j->id, j->reason, jc_now_ms(), &j->out, j->msg, sizeof j->msg);
    else j->err = worklist_task_done(w, j->actor, j->id, j->community, jc_now_ms(), &j->out, j->msg, sizeof j->msg);
    return JC_OK; /* keep whatever the call wrote, like the API does on success */
}

static const char *C1[] = {"110101001001"};
static const char *C12[] = {"110101001001", "110101001002"};

static json_t *submit(const jc_user *u, const char *kind, const char *item, const char **comms, size_t nc,
                      const char *resources, const char **fields, size_t nf, jc_err *err) {
    job j = {.actor = u};
    j.in.title = "测试任务";
    j.in.kind = kind;
    j.in.item = item;
    j.in.communities = comms;
    j.in.ncommunities = nc;
    j.in.resources = resources;
    j.in.fields = fields;
    j.in.nfields = nf;
    if (store_exec(st, job_run, &j)) j.err = JC_ERR_DB;
    *err = j.err;
    return j.out;
}

static const char *decision(json_t *t) { return json_string_value(json_object_get(t, "decision")); }
static const char *target_status(json_t *t, size_t i) {
    return json_string_value(json_object_get(json_array_get(json_object_get(t, "communities"), i), "status"));
}

/* ---- CSV ---------------------------------------------------------------------- */

TEST(csv_demo_list_parses) {
    FILE *f = fopen("data/worklist.csv", "rb");
    ASSERT(f);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    wl_item *items = NULL;
    size_t k = 0;
    ASSERT_OK(worklist_parse_csv(buf, n, &items, &k, NULL));
    ASSERT_EQ(k, 25);
    int duty = 0, assist = 0, res = 0;
    for (size_t i = 0; i < k; i++) {
        duty += !strcmp(items[i].kind, "duty");
        assist += !strcmp(items[i].kind, "assist");
        res += !strcmp(items[i].kind, "resourced");
    }
    ASSERT_EQ(duty, 12);
    ASSERT_EQ(assist, 9);
    ASSERT_EQ(res, 4);
    ASSERT_STR_EQ(items[5].code, "WL-D06");
    ASSERT_STR_EQ(items[5].depts, "minzheng");
    free(items);
}

TEST(csv_errors_are_row_numbered_and_all_or_nothing) {
    const char *csv = "code,name,kind,basis,depts\n"
                      "A1,好的事项,duty,某法,street\n"
                      "A2,坏的类型,sometimes,某法,street\n"
                      "A3,,assist,某法,street\n"
                      "A1,重复,duty,某法,street\n"
                      "A 5,空格,duty,某法,street\n";
    wl_item *items = NULL;
    size_t n = 99;
    jc_buf errs;
    jc_buf_init(&errs, 0);
    ASSERT_EQ(worklist_parse_csv(csv, strlen(csv), &items, &n, &errs), JC_ERR_INVALID);
    ASSERT(items == NULL);
    ASSERT(errs.data);
    ASSERT(strstr(errs.data, "row 3: kind 'sometimes'"));
    ASSERT(strstr(errs.data, "row 4: 'name' is empty"));
    ASSERT(strstr(errs.data, "row 5: code 'A1' appears twice"));
    ASSERT(strstr(errs.data, "row 6: code 'A 5'"));
    ASSERT(!strstr(errs.data, "row 2:"));
    jc_buf_free(&errs);
    /* A missing column is named; an empty file is refused; bad quoting too. */
    jc_buf_init(&errs, 0);
    ASSERT_EQ(worklist_parse_csv("code,name,kind\nX,y,duty\n", 23, &items, &n, &errs), JC_ERR_INVALID);
    ASSERT(strstr(errs.data, "row 1: header lacks column 'basis'"));
    jc_buf_free(&errs);
    ASSERT_EQ(worklist_parse_csv("", 0, &items, &n, NULL), JC_ERR_INVALID);
    const char *bad = "code,name,kind,basis,depts\n\"A1,x,duty,b,street\n";
    ASSERT_EQ(worklist_parse_csv(bad, strlen(bad), &items, &n, NULL), JC_ERR_INVALID);
}

/* ---- admission ---------------------------------------------------------------- */

TEST(admission_admit_refuse_exception_done) {
    ASSERT_OK(open_db());
    int64_t v = 0;
    ASSERT_OK(worklist_active_version(rd, &v));
    ASSERT_EQ(v, 1);
    jc_err e;
    /* On the list and the department may request it: admitted, delivered. */
    json_t *t = submit(&u_minzheng, "form", "WL-D06", C12, 2, NULL, NULL, 0, &e);
    ASSERT_OK(e);
    ASSERT_STR_EQ(decision(t), "admitted");
    ASSERT_EQ(json_integer_value(json_object_get(t, "list_version")), 1);
    ASSERT_STR_EQ(target_status(t, 0), "received");
    ASSERT_STR_EQ(target_status(t, 1), "received");
    int64_t admitted_id = json_integer_value(json_object_get(t, "id"));
    json_decref(t);
    /* Another department may not request it: refused with the reason. */
    t = submit(&u_chengguan, "form", "WL-D06", C1, 1, NULL, NULL, 0, &e);
    ASSERT_OK(e);
    ASSERT_STR_EQ(decision(t), "refused");
    /* the reason as a code the UI words (docs/audit.md, "Reason codes") */
    ASSERT(strstr(json_string_value(json_object_get(t, "reason")), "{\"code\":\"task_sender\",\"dept\":\"chengguan\",\"item\":\"WL-D06\""));
    ASSERT_STR_EQ(target_status(t, 0), "refused");
    int64_t refused_id = json_integer_value(json_object_get(t, "id"));
    json_decref(t);
    /* Not on the list at all. */
    t = submit(&u_minzheng, "report", "WL-X99", C1, 1, NULL, NULL, 0, &e);
    ASSERT_STR_EQ(decision(t), "refused");
    ASSERT(strstr(json_string_value(json_object_get(t, "reason")), "{\"code\":\"task_not_listed\",\"item\":\"WL-X99\""));
    json_decref(t);
    /* Resourced item: refused without resources, admitted with them. */
    t = submit(&u_chengguan, "meeting", "WL-R02", C1, 1, NULL, NULL, 0, &e);
    ASSERT_STR_EQ(decision(t), "refused");
    ASSERT(strstr(json_string_value(json_object_get(t, "reason")), "{\"code\":\"task_resources\""));
    json_decref(t);
    t = submit(&u_chengguan, "meeting", "WL-R02", C1, 1, "经费2000元，宣传员2名", NULL, 0, &e);
    ASSERT_STR_EQ(decision(t), "admitted");
    json_decref(t);
    /* Bad input is an error, not a refusal, and stores nothing. */
    const char *nowhere[] = {"999999999999"};
    t = submit(&u_minzheng, "form", "WL-D06", nowhere, 1, NULL, NULL, 0, &e);
    ASSERT_EQ(e, JC_ERR_INVALID);
    ASSERT(t == NULL);
    t = submit(&u_minzheng, "poster", "WL-D06", C1, 1, NULL, NULL, 0, &e);
    ASSERT_EQ(e, JC_ERR_INVALID);
    /* The street's scope is enforced. */
    const char *other_street[] = {"110101002001"};
    t = submit(&u_dispatcher, "task", "WL-D02", other_street, 1, NULL, NULL, 0, &e);
    ASSERT_EQ(e, JC_ERR_DENIED);
    /* A community may not send tasks. */
    t = submit(&u_comm1, "task", "WL-D02", C1, 1, NULL, NULL, 0, &e);
    ASSERT_EQ(e, JC_ERR_DENIED);

    /* Exception: only the street, only for refused tasks, recorded. */
    job j = {.actor = &u_minzheng, .op = 1, .id = refused_id, .reason = "区里临时部署"};
    ASSERT_OK(store_exec(st, job_run, &j));
    ASSERT_EQ(j.err, JC_ERR_DENIED);
    j = (job){.actor = &u_dispatcher, .op = 1, .id = admitted_id, .reason = "x"};
    ASSERT_OK(store_exec(st, job_run, &j));
    ASSERT_EQ(j.err, JC_ERR_CONFLICT);
    j = (job){.actor = &u_dispatcher, .op = 1, .id = refused_id, .reason = "防汛紧急摸底，经街道主任批准"};
    ASSERT_OK(store_exec(st, job_run, &j));
    ASSERT_OK(j.err);
    ASSERT_STR_EQ(decision(j.out), "exception");
    json_t *ex = json_object_get(j.out, "exception");
    ASSERT_STR_EQ(json_string_value(json_object_get(ex, "by")), "dispatcher");
    ASSERT_STR_EQ(json_string_value(json_object_get(ex, "reason")), "防汛紧急摸底，经街道主任批准");
    ASSERT_STR_EQ(target_status(j.out, 0), "received");
    /* The refusal reason is kept. */
    ASSERT(strstr(json_string_value(json_object_get(j.out, "reason")), "\"code\":\"task_sender\""));
    json_decref(j.out);

    /* Done: community 1 marks its copy; community 2 may not mark community 1's. */
    j = (job){.actor = &u_comm2, .op = 2, .id = refused_id};
    ASSERT_OK(store_exec(st, job_run, &j));
    ASSERT_EQ(j.err, JC_ERR_NOTFOUND);
    j = (job){.actor = &u_comm1, .op = 2, .id = admitted_id};
    ASSERT_OK(store_exec(st, job_run, &j));
    ASSERT_OK(j.err);
    ASSERT_STR_EQ(target_status(j.out, 0), "done");
    ASSERT_STR_EQ(target_status(j.out, 1), "received");
    json_decref(j.out);
    j = (job){.actor = &u_comm1, .op = 2, .id = admitted_id};
    ASSERT_OK(store_exec(st, job_run, &j));
    ASSERT_EQ(j.err, JC_ERR_CONFLICT);

    /* Visibility: community 2 sees only tasks sent to it; chengguan only its own. */
    json_t *list;
    ASSERT_OK(worklist_tasks_list(rd, &u_comm2, NULL, 0, 100, &list));
    ASSERT_EQ(json_array_size(list), 1);
    ASSERT_EQ(json_integer_value(json_object_get(json_array_get(list, 0), "id")), admitted_id);
    ASSERT_EQ(json_array_size(json_object_get(json_array_get(list, 0), "communities")), 1);
    json_decref(list);
    ASSERT_OK(worklist_tasks_list(rd, &u_chengguan, NULL, 0, 100, &list));
    ASSERT_EQ(json_array_size(list), 3);
    json_decref(list);
    ASSERT_OK(worklist_tasks_list(rd, &u_dispatcher, NULL, 0, 100, &list));
    ASSERT_EQ(json_array_size(list), 5);
    json_decref(list);

    /* Every decision is in the audit trail. */
    sqlite3_stmt *s;
    ASSERT_OK(sqlite3_prepare_v2(store_sqlite_db(rd),
                                 "SELECT count(*) FROM audit WHERE action IN('task_admit','task_refuse','task_exception','task_done')",
                                 -1, &s, NULL));
    ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
    ASSERT_EQ(sqlite3_column_int(s, 0), 2 + 3 + 1 + 1);
    sqlite3_finalize(s);
    close_db();
}

typedef struct {
    const jc_user *actor;
    wl_item *items;
    size_t n;
    int64_t v;
    char msg[256];
    jc_err e;
} put_job;

static jc_err put_run(jc_conn *w, void *arg) {
    put_job *p = arg;
    p->e = worklist_put_version(w, p->actor, p->items, p->n, "test", &p->v, p->msg, sizeof p->msg);
    return p->e;
}

TEST(new_version_is_recorded_on_decisions) {
    ASSERT_OK(open_db());
    jc_user admin = {0};
    admin.role = ROLE_ADMIN;
    snprintf(admin.name, 64, "admin");
    wl_item one = {0};
    snprintf(one.code, 32, "WL-Z01"), snprintf(one.name, 256, "新事项"), snprintf(one.kind, 12, "assist");
    snprintf(one.basis, 512, "某文件"), snprintf(one.depts, 512, "chengguan");
    put_job p = {&admin, &one, 1, 0, "", 0};
    ASSERT_OK(store_exec(st, put_run, &p));
    ASSERT_EQ(p.v, 2);
    /* An unknown department is refused and changes nothing. */
    snprintf(one.depts, 512, "chengguan;nosuchdept");
    put_job bad = {&admin, &one, 1, 0, "", 0};
    ASSERT_EQ(store_exec(st, put_run, &bad), JC_ERR_INVALID);
    ASSERT(strstr(bad.msg, "nosuchdept"));
    int64_t v;
    ASSERT_OK(worklist_active_version(rd, &v));
    ASSERT_EQ(v, 2);
    jc_err e;
    json_t *t = submit(&u_minzheng, "form", "WL-D06", C1, 1, NULL, NULL, 0, &e);
    ASSERT_STR_EQ(decision(t), "refused");
    ASSERT_EQ(json_integer_value(json_object_get(t, "list_version")), 2);
    json_decref(t);
    t = submit(&u_chengguan, "task", "WL-Z01", C1, 1, NULL, NULL, 0, &e);
    ASSERT_STR_EQ(decision(t), "admitted");
    ASSERT_EQ(json_integer_value(json_object_get(t, "list_version")), 2);
    ASSERT_STR_EQ(json_string_value(json_object_get(t, "item_name")), "新事项");
    json_decref(t);
    close_db();
}

static jc_err cases_run(jc_conn *w, void *arg) {
    (void)arg;
    /* Three cases in community 1 (two open), one in community 2. */
    return sqlite3_exec(store_sqlite_db(w),
                        "INSERT INTO cases(title,body,category,source,state,area,created_at,updated_at,version)"
                        " VALUES('a','','0101','web','handling','110101001001001',1,1,1),"
                        "('b','','0101','web','closed','110101001001002',1,1,1),"
                        "('c','','0104','web','dispatched','110101001001001',1,1,1),"
                        "('d','','0104','web','registered','110101001002001',1,1,1)",
                        NULL, NULL, NULL) == SQLITE_OK ? JC_OK : JC_ERR_DB;
}

TEST(data_request_answered_from_store) {
    ASSERT_OK(open_db());
    ASSERT_OK(store_exec(st, cases_run, NULL));
    jc_err e;
    const char *fields[] = {"open_cases", "population", "cases_by_category"};
    json_t *t = submit(&u_minzheng, "data_request", "WL-D12", C12, 2, NULL, fields, 3, &e);
    ASSERT_OK(e);
    ASSERT_STR_EQ(decision(t), "answered_from_store");
    ASSERT_STR_EQ(target_status(t, 0), "answered");
    json_t *a1 = json_object_get(json_object_get(t, "answer"), "110101001001");
    json_t *a2 = json_object_get(json_object_get(t, "answer"), "110101001002");
    ASSERT_EQ(json_integer_value(json_object_get(a1, "open_cases")), 2);
    ASSERT_EQ(json_integer_value(json_object_get(a2, "open_cases")), 1);
    /* Seeded base count: 5200 + community number x 317. */
    ASSERT_EQ(json_integer_value(json_object_get(a1, "population")), 5200 + 317);
    ASSERT_EQ(json_integer_value(json_object_get(a2, "population")), 5200 + 2 * 317);
    json_t *byc = json_object_get(a1, "cases_by_category");
    ASSERT_EQ(json_integer_value(json_object_get(byc, "0101")), 2);
    ASSERT_EQ(json_integer_value(json_object_get(byc, "0104")), 1);
    json_decref(t);
    /* One field the platform does not hold: the request goes through admission. */
    const char *fields2[] = {"open_cases", "bicycles"};
    t = submit(&u_minzheng, "data_request", "WL-D12", C1, 1, NULL, fields2, 2, &e);
    ASSERT_STR_EQ(decision(t), "admitted");
    ASSERT(json_is_null(json_object_get(t, "answer")));
    json_decref(t);
    /* A data request must name fields. */
    t = submit(&u_minzheng, "data_request", "WL-D12", C1, 1, NULL, NULL, 0, &e);
    ASSERT_EQ(e, JC_ERR_INVALID);
    close_db();
}

static jc_err cfg_run(jc_conn *w, void *arg) {
    return worklist_config_set(w, arg, "limit.tasks_per_community_month", 2);
}

static int64_t burden_num(json_t *b, const char *list, const char *keyname, const char *key, const char *field) {
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(b, list), i, v) {
        if (!strcmp(json_string_value(json_object_get(v, keyname)), key))
            return json_integer_value(json_object_get(v, field));
    }
    return -1;
}

TEST(burden_counts_per_community_and_dept) {
    ASSERT_OK(open_db());
    jc_err e;
    json_t *t;
    /* minzheng: 2 forms to C1+C2 (admitted), 1 report to C1 (admitted). */
    for (int i = 0; i < 2; i++) json_decref(submit(&u_minzheng, "form", "WL-D06", C12, 2, NULL, NULL, 0, &e));
    json_decref(submit(&u_minzheng, "report", "WL-D05", C1, 1, NULL, NULL, 0, &e));
    /* chengguan: 1 refused to C1, later excepted; 1 refused to C2. */
    t = submit(&u_chengguan, "form", "WL-D06", C1, 1, NULL, NULL, 0, &e);
    job j = {.actor = &u_dispatcher, .op = 1, .id = json_integer_value(json_object_get(t, "id")), .reason = "ok"};
    json_decref(t);
    ASSERT_OK(store_exec(st, job_run, &j));
    json_decref(j.out);
    json_decref(submit(&u_chengguan, "task", "WL-X01", (const char *[]){"110101001002"}, 1, NULL, NULL, 0, &e));
    /* A data request answered from the store. */
    const char *f[] = {"open_cases"};
    json_decref(submit(&u_minzheng, "data_request", "WL-D12", C1, 1, NULL, f, 1, &e));
    char now[40], month[8];
    jc_fmt_local(jc_now_ms(), now, sizeof now);
    snprintf(month, sizeof month, "%.7s", now);
    json_t *b;
    jc_user admin = {0};
    admin.role = ROLE_ADMIN;
    ASSERT_OK(worklist_burden(rd, &admin, month, &b));
    /* C1: 2 forms + 1 report + 1 excepted form = 4 received. */
    ASSERT_EQ(burden_num(b, "communities", "community", "110101001001", "received"), 4);
    ASSERT_EQ(burden_num(b, "communities", "community", "110101001001", "forms"), 3);
    ASSERT_EQ(burden_num(b, "communities", "community", "110101001001", "reports"), 1);
    ASSERT_EQ(burden_num(b, "communities", "community", "110101001001", "exceptions"), 1);
    ASSERT_EQ(burden_num(b, "communities", "community", "110101001001", "refused"), 0);
    ASSERT_EQ(burden_num(b, "communities", "community", "110101001001", "answered_from_store"), 1);
    ASSERT_EQ(burden_num(b, "communities", "community", "110101001002", "received"), 2);
    ASSERT_EQ(burden_num(b, "communities", "community", "110101001002", "refused"), 1);
    ASSERT_EQ(burden_num(b, "depts", "dept", "chengguan", "refused"), 1);
    ASSERT_EQ(burden_num(b, "depts", "dept", "chengguan", "exceptions"), 1);
    ASSERT_EQ(burden_num(b, "depts", "dept", "minzheng", "received"), 5);
    ASSERT_EQ(burden_num(b, "depts", "dept", "minzheng", "answered_from_store"), 1);
    /* Hours: C1 = 3 forms x 1.5 + 1 report x 3 = 7.5. */
    size_t i;
    json_t *v;
    double h = -1;
    json_array_foreach(json_object_get(b, "communities"), i, v) if (!strcmp(json_string_value(json_object_get(v, "community")), "110101001001")) h = json_real_value(json_object_get(v, "hours"));
    ASSERT_NEAR(h, 7.5, 1e-9);
    ASSERT_EQ(json_array_size(json_object_get(b, "warnings")), 0);
    json_decref(b);
    /* Lower the limit to 2 tasks per community per month: minzheng x C1 (3) warns. */
    jc_user sup = u_dispatcher;
    ASSERT_OK(store_exec(st, cfg_run, &sup));
    ASSERT_OK(worklist_burden(rd, &admin, month, &b));
    ASSERT_EQ(json_array_size(json_object_get(b, "warnings")), 1);
    json_t *w0 = json_array_get(json_object_get(b, "warnings"), 0);
    ASSERT_STR_EQ(json_string_value(json_object_get(w0, "dept")), "minzheng");
    ASSERT_STR_EQ(json_string_value(json_object_get(w0, "community")), "110101001001");
    ASSERT_EQ(json_integer_value(json_object_get(w0, "tasks")), 3);
    json_decref(b);
    /* A bad month is refused; another month is empty. */
    ASSERT_EQ(worklist_burden(rd, &admin, "2026-13", &b), JC_ERR_INVALID);
    ASSERT_OK(worklist_burden(rd, &admin, "2001-01", &b));
    ASSERT_EQ(json_array_size(json_object_get(b, "communities")), 0);
    json_decref(b);
    close_db();
}

T_MAIN(T(csv_demo_list_parses), T(csv_errors_are_row_numbered_and_all_or_nothing),
       T(admission_admit_refuse_exception_done), T(new_version_is_recorded_on_decisions),
       T(data_request_answered_from_store), T(burden_counts_per_community_and_dept))
