/*
 * test_intake.c -- the one intake (src/intake.c) driven directly: the rules
 * every channel's report meets (one set, one error code each), the
 * channels' table (who may name a channel, which reports are registered at
 * once), and case_report on a real store for each channel, with the same
 * result shape and nothing written for a refused report.
 */
#include "auth.h"
#include "case.h"
#include "intake.h"
#include "store.h"
#include "t.h"
#include "t_store.h"
#include "t_fixture.h"

#include <jansson.h>

#define GRID "110101001001001"

static jc_user resident, dispatcher, worker, admin, sys;

static jc_err fixture_run(jc_conn *w, void *arg) {
    (void)arg;
    jc_err e;
    if ((e = t_put_grid(w))) return e;
    jc_dept d = {0};
    snprintf(d.code, sizeof d.code, "chengguan");
    snprintf(d.name, sizeof d.name, "城管");
    if ((e = store_dept_put(w, &d))) return e;
    jc_category k = {.code = "0202", .name = "路灯", .kind = "component", .dept_code = "chengguan",
                     .accept_h = 2, .handle_h = 24, .verify_h = 8, .urgent = 1};
    if ((e = store_category_put(w, &k))) return e;
    if ((e = t_put_user(w, &resident, "r1", ROLE_RESIDENT, "", 0)) ||
        (e = t_put_user(w, &dispatcher, "disp", ROLE_DISPATCHER, "110101001", 0)) ||
        (e = t_put_user(w, &worker, "gw", ROLE_GRID_WORKER, GRID, 0)) || (e = t_put_user(w, &admin, "adm", ROLE_ADMIN, "", 0)))
        return e;
    snprintf(resident.phone, sizeof resident.phone, "13900001111");
    return JC_OK;
}

static int open_store(void) {
    if (auth_init() || t_store_open("intake")) return -1;
    auth_system_actor(&sys, "sensors");
    return store_exec(st, fixture_run, NULL) ? -1 : 0;
}

/* A good report on channel ch. */
static intake_report good(intake_channel ch) {
    return (intake_report){.channel = ch, .title = "路灯不亮", .body = "三号楼前的路灯坏了", .category = "0202",
                           .area = GRID};
}

/* ---- the rules (no store) ------------------------------------------------------ */

TEST(every_channel_meets_the_same_rules) {
    static char long_title[INTAKE_TITLE_MAX * 3 + 8];
    size_t n = 0;
    for (int i = 0; i <= INTAKE_TITLE_MAX; i++) memcpy(long_title + n, "长", 3), n += 3; /* 201 characters */
    long_title[n] = 0;
    jc_user gw = {.role = ROLE_GRID_WORKER};
    snprintf(gw.area, sizeof gw.area, GRID);
    jc_user s = {.role = ROLE_SYSTEM};
    for (int ch = 0; ch < INTAKE__COUNT; ch++) {
        const jc_user *who = ch == INTAKE_SENSOR || ch == INTAKE_WARNING || ch == INTAKE_OPEN311 ? &s : &gw;
        intake_result res;
        intake_report rp = good((intake_channel)ch);
        ASSERT_OK(intake_check(who, &rp, &res));
        rp.title = "";
        ASSERT_EQ(intake_check(who, &rp, &res), JC_ERR_INVALID);
        ASSERT_STR_EQ(res.field, "title");
        rp = good((intake_channel)ch);
        rp.title = long_title;
        ASSERT_EQ(intake_check(who, &rp, &res), JC_ERR_INVALID);
        ASSERT_STR_EQ(res.field, "title");
        ASSERT(strstr(res.message, "longer than 200 characters"));
        rp.title = long_title + 3; /* 200: the limit itself passes */
        ASSERT_OK(intake_check(who, &rp, &res));
        rp = good((intake_channel)ch);
        rp.phone = "call me maybe";
        ASSERT_EQ(intake_check(who, &rp, &res), JC_ERR_INVALID);
        ASSERT_STR_EQ(res.field, "phone");
        rp.phone = "(010) 6512-3456"; /* the one phone rule: parentheses too */
        ASSERT_OK(intake_check(who, &rp, &res));
        rp.phone = "+-";
        ASSERT_EQ(intake_check(who, &rp, &res), JC_ERR_INVALID);
        rp = good((intake_channel)ch);
        rp.category = "02 02";
        ASSERT_EQ(intake_check(who, &rp, &res), JC_ERR_INVALID);
        ASSERT_STR_EQ(res.field, "category");
        rp = good((intake_channel)ch);
        rp.area = "1101;--";
        ASSERT_EQ(intake_check(who, &rp, &res), JC_ERR_INVALID);
        rp = good((intake_channel)ch);
        rp.has_point = 1, rp.lon = 181, rp.lat = 39.9;
        ASSERT_EQ(intake_check(who, &rp, &res), JC_ERR_INVALID);
        rp.lon = NAN;
        ASSERT_EQ(intake_check(who, &rp, &res), JC_ERR_INVALID);
        rp = good((intake_channel)ch);
        rp.area = NULL; /* the actor's own area stands in; the platform has none */
        ASSERT_EQ(intake_check(who, &rp, &res), who == &s ? JC_ERR_INVALID : JC_OK);
    }
}

TEST(who_may_name_a_channel) {
    jc_user r = {.role = ROLE_RESIDENT}, a = {.role = ROLE_ADMIN}, gw = {.role = ROLE_GRID_WORKER};
    snprintf(gw.area, sizeof gw.area, GRID);
    intake_result res;
    const struct { intake_channel ch; const jc_user *who; jc_err e; } cases[] = {
        {INTAKE_WEB, &r, JC_OK},           {INTAKE_API, &r, JC_OK},          {INTAKE_HOTLINE, &r, JC_ERR_DENIED},
        {INTAKE_PATROL, &r, JC_ERR_DENIED}, {INTAKE_PATROL, &gw, JC_OK},      {INTAKE_SENSOR, &r, JC_ERR_DENIED},
        {INTAKE_SENSOR, &a, JC_OK},         {INTAKE_OPEN311, &gw, JC_ERR_DENIED}, {INTAKE_WARNING, &a, JC_OK},
    };
    for (size_t i = 0; i < JC_ARRAY_LEN(cases); i++) {
        intake_report rp = good(cases[i].ch);
        rp.named = 1;
        ASSERT_EQ(intake_check(cases[i].who, &rp, &res), cases[i].e);
        if (cases[i].e) ASSERT(strstr(res.message, "may not report with source"));
        rp.named = 0; /* the channel's own module reports: no role rule */
        ASSERT_OK(intake_check(cases[i].who, &rp, &res));
    }
    ASSERT_EQ(intake_channel_parse("carrier-pigeon"), -1);
    for (int ch = 0; ch < INTAKE__COUNT; ch++) ASSERT_EQ(intake_channel_parse(intake_channel_name((intake_channel)ch)), ch);
}

TEST(staff_report_within_their_scope) {
    jc_user d = {.role = ROLE_DISPATCHER};
    snprintf(d.area, sizeof d.area, "110101002");
    intake_result res;
    intake_report rp = good(INTAKE_WEB);
    ASSERT_EQ(intake_check(&d, &rp, &res), JC_ERR_DENIED);
    ASSERT(strstr(res.message, "outside your scope"));
    ASSERT(strstr(res.message, "out_of_scope")); /* the reason code for the UI */
    rp.channel = INTAKE_OPEN311; /* located by the channel, not named by the person */
    ASSERT_OK(intake_check(&d, &rp, &res));
}

/* ---- case_report on a store ------------------------------------------------------ */

typedef struct {
    const jc_user *actor;
    intake_report rp;
    intake_result res;
    jc_case k;
    jc_err e;
} report_job;

static jc_err report_run(jc_conn *w, void *arg) {
    report_job *j = arg;
    memset(&j->k, 0, sizeof j->k);
    j->e = case_report(w, j->actor, &j->rp, &j->k, &j->res);
    return j->e;
}

static int count_entry(const jc_audit *e, void *arg) {
    (void)e;
    (*(int *)arg)++;
    return 0;
}

static int entries(int64_t id) {
    int n = 0;
    if (store_audit_each(rd, id, count_entry, &n)) n = -1;
    return n;
}

static int64_t cases_now(void) {
    int64_t last = 0;
    jc_case k = {0};
    for (int64_t id = 1; id < 100; id++)
        if (store_case_get(rd, id, &k) == JC_OK) last = id, case_clear(&k);
    return last;
}

TEST(each_channel_through_case_report) {
    ASSERT_OK(open_store());
    const struct {
        intake_channel ch;
        const jc_user *who;
        int named;
        int registered; /* at once */
        int entries;    /* audit entries of the request */
    } cases[] = {
        {INTAKE_WEB, &resident, 0, 0, 1},    {INTAKE_API, &resident, 1, 0, 1},
        {INTAKE_HOTLINE, &dispatcher, 1, 0, 1},
        {INTAKE_PATROL, &worker, 0, 1, 1},   /* registered in the request: one entry */
        {INTAKE_OPEN311, &admin, 0, 0, 1},
        {INTAKE_SENSOR, &sys, 0, 1, 2},      /* report, then the platform's registration */
        {INTAKE_WARNING, &dispatcher, 0, 1, 2},
        {INTAKE_SENSOR, &admin, 1, 0, 1},    /* named over the API: stays reported */
        {INTAKE_OPEN311, &resident, 0, 0, 1}, /* a key's account: not the resident's own report */
    };
    for (size_t i = 0; i < JC_ARRAY_LEN(cases); i++) {
        report_job j = {.actor = cases[i].who, .rp = good(cases[i].ch)};
        j.rp.named = cases[i].named;
        ASSERT_OK(store_exec(st, report_run, &j));
        ASSERT_OK(j.e);
        ASSERT_OK(j.res.err);
        ASSERT(j.res.case_id > 0);
        ASSERT_EQ(j.k.id, j.res.case_id);
        ASSERT(!strncmp(j.res.case_no, "JC", 2));
        ASSERT_EQ(j.res.registered, cases[i].registered);
        ASSERT_EQ(j.res.state, j.k.state);
        ASSERT_EQ(j.k.state, cases[i].registered ? ST_REGISTERED : ST_REPORTED);
        ASSERT_STR_EQ(j.k.source, intake_channel_name(cases[i].ch));
        ASSERT_EQ(j.k.reporter_id, cases[i].who->id);
        ASSERT_EQ(j.k.priority, 1); /* classified: the category is urgent */
        /* a resident's own report without a phone carries theirs */
        ASSERT_STR_EQ(j.k.phone, cases[i].who == &resident && cases[i].ch != INTAKE_OPEN311 ? "13900001111" : "");
        case_clear(&j.k);
        jc_case stored;
        ASSERT_OK(store_case_get(rd, j.res.case_id, &stored));
        ASSERT_EQ(stored.state, j.res.state);
        ASSERT_STR_EQ(stored.title, "路灯不亮");
        case_clear(&stored);
        ASSERT_EQ(entries(j.res.case_id), cases[i].entries);
    }
    t_store_close();
}

TEST(a_refused_report_writes_nothing) {
    ASSERT_OK(open_store());
    int64_t before = cases_now();
    report_job j = {.actor = &resident, .rp = good(INTAKE_WEB)};
    j.rp.category = "9999";
    ASSERT_EQ(store_exec(st, report_run, &j), JC_ERR_INVALID);
    ASSERT_EQ(j.res.err, JC_ERR_INVALID);
    ASSERT(strstr(j.res.message, "unknown category"));
    ASSERT_EQ(j.k.id, 0);
    ASSERT(!j.k.title);
    j.rp = good(INTAKE_SENSOR);
    j.rp.area = "110101009009009";
    j.actor = &sys;
    ASSERT_EQ(store_exec(st, report_run, &j), JC_ERR_INVALID);
    ASSERT(strstr(j.res.message, "unknown area"));
    j.rp = good(INTAKE_WEB);
    j.rp.title = NULL;
    j.actor = &resident;
    ASSERT_EQ(store_exec(st, report_run, &j), JC_ERR_INVALID);
    ASSERT_STR_EQ(j.res.field, "title");
    ASSERT_EQ(cases_now(), before);
    /* the same report again (a job run twice): rp is unchanged, so is the result */
    j.rp = good(INTAKE_PATROL);
    j.actor = &worker;
    ASSERT_OK(store_exec(st, report_run, &j));
    int64_t first = j.res.case_id;
    case_clear(&j.k);
    ASSERT_STR_EQ(j.rp.title, "路灯不亮");
    ASSERT_OK(store_exec(st, report_run, &j));
    ASSERT_EQ(j.res.case_id, first + 1);
    ASSERT_EQ(j.k.state, ST_REGISTERED);
    case_clear(&j.k);
    t_store_close();
}

TEST(attributes_against_the_category) {
    ASSERT_OK(open_store());
    intake_result res;
    char *extra = NULL;
    ASSERT_OK(intake_attributes(rd, "0202", NULL, &extra, &res));
    ASSERT(!extra);
    json_t *a = json_pack("{s:s}", "colour", "red");
    ASSERT_EQ(intake_attributes(rd, "0202", a, &extra, &res), JC_ERR_INVALID);
    ASSERT(strstr(res.message, "has no field 'colour'"));
    ASSERT_EQ(intake_attributes(rd, "9999", a, &extra, &res), JC_ERR_INVALID);
    ASSERT(strstr(res.message, "unknown category"));
    json_decref(a);
    a = json_array();
    ASSERT_EQ(intake_attributes(rd, "0202", a, &extra, &res), JC_ERR_INVALID);
    json_decref(a);
    t_store_close();
}

T_MAIN(T(every_channel_meets_the_same_rules), T(who_may_name_a_channel), T(staff_report_within_their_scope),
       T(each_channel_through_case_report), T(a_refused_report_writes_nothing), T(attributes_against_the_category))
