/*
 * test_case.c -- the case loop (src/case.c) driven directly on the writer,
 * without HTTP: who may see and move a case, the whole loop from report to
 * rating with its audit chain verifying, refusals that change nothing, and
 * the case numbers and masked phones the API shows.
 */
#include "audit.h"
#include "auth.h"
#include "case.h"
#include "eval.h"
#include "store.h"
#include "t.h"
#include "t_store.h"
#include "t_fixture.h"

#include <unistd.h>

static jc_user resident, other_resident, dispatcher, far_dispatcher, dept_staff, other_dept, worker;
static int64_t dept_id, dept2_id;

#define GRID "110101001001001"

static jc_err fixture_run(jc_conn *w, void *arg) {
    (void)arg;
    jc_err e;
    if ((e = t_put_area(w, "110101", "", "district")) || (e = t_put_area(w, "110101001", "110101", "street")) ||
        (e = t_put_area(w, "110101001001", "110101001", "community")) ||
        (e = t_put_area(w, GRID, "110101001001", "grid")) || (e = t_put_area(w, "110101002", "110101", "street")))
        return e;
    jc_dept d = {0}, d2 = {0};
    snprintf(d.code, sizeof d.code, "chengguan");
    snprintf(d.name, sizeof d.name, "城管");
    snprintf(d2.code, sizeof d2.code, "shuiwu");
    snprintf(d2.name, sizeof d2.name, "水务");
    if ((e = store_dept_put(w, &d)) || (e = store_dept_put(w, &d2))) return e;
    dept_id = d.id;
    dept2_id = d2.id;
    jc_category k = {.code = "0202", .name = "路灯", .kind = "component", .dept_code = "chengguan",
                     .accept_h = 2, .handle_h = 24, .verify_h = 8};
    if ((e = store_category_put(w, &k))) return e;
    if ((e = t_put_user(w, &resident, "r1", ROLE_RESIDENT, "", 0)) ||
        (e = t_put_user(w, &other_resident, "r2", ROLE_RESIDENT, "", 0)) ||
        (e = t_put_user(w, &dispatcher, "disp", ROLE_DISPATCHER, "110101001", 0)) ||
        (e = t_put_user(w, &far_dispatcher, "disp2", ROLE_DISPATCHER, "110101002", 0)) ||
        (e = t_put_user(w, &dept_staff, "dept", ROLE_DEPT_STAFF, "", dept_id)) ||
        (e = t_put_user(w, &other_dept, "dept2", ROLE_DEPT_STAFF, "", dept2_id)) ||
        (e = t_put_user(w, &worker, "gw", ROLE_GRID_WORKER, GRID, 0)))
        return e;
    return JC_OK;
}

static int open_store(void) {
    if (auth_init() || t_store_open("case")) return -1;
    return store_exec(st, fixture_run, NULL) ? -1 : 0;
}

static void close_store(void) { t_store_close(); }

/* ---- jobs ------------------------------------------------------------------ */

typedef struct {
    const jc_user *actor;
    const char *category, *area;
    int64_t id;
    jc_err e;
    jc_case_err why;
} create_job;

static jc_err create_run(jc_conn *w, void *arg) {
    create_job *j = arg;
    jc_case k = {0};
    k.title = jc_strdup("路灯不亮");
    k.body = jc_strdup("三号楼前的路灯坏了");
    snprintf(k.category, sizeof k.category, "%s", j->category);
    snprintf(k.area, sizeof k.area, "%s", j->area);
    snprintf(k.source, sizeof k.source, "web");
    snprintf(k.phone, sizeof k.phone, "13812345678");
    k.reporter_id = j->actor->id;
    j->e = case_create(w, j->actor, &k, NULL, &j->why);
    j->id = k.id;
    case_clear(&k);
    return j->e;
}

static int64_t create(const jc_user *actor) {
    create_job j = {actor, "0202", GRID};
    return store_exec(st, create_run, &j) ? -1 : j.id;
}

typedef struct {
    const jc_user *actor;
    int64_t id;
    jc_action a;
    jc_action_args args;
    jc_case out;
    jc_case_err why;
    jc_err e;
} act_job;

static jc_err act_run(jc_conn *w, void *arg) {
    act_job *j = arg;
    j->e = case_act(w, j->actor, j->id, j->a, &j->args, &j->out, &j->why);
    return j->e;
}

/* The action's error (JC_OK: *state is the new state). */
static jc_err act(const jc_user *actor, int64_t id, jc_action a, const jc_action_args *args, jc_state *state) {
    act_job j = {.actor = actor, .id = id, .a = a};
    if (args) j.args = *args;
    jc_err e = store_exec(st, act_run, &j);
    if (e == JC_OK) {
        if (state) *state = j.out.state;
        case_clear(&j.out);
    }
    return e ? e : j.e;
}

static jc_case get(int64_t id) {
    jc_conn *c = NULL;
    jc_case k = {0};
    if (store_conn_open(st, &c) || store_case_get(c, id, &k)) k.id = -1;
    store_conn_close(c);
    return k;
}

static int count_entry(const jc_audit *e, void *arg) {
    (void)e;
    (*(int *)arg)++;
    return 0;
}

static int entries(int64_t id) {
    jc_conn *c = NULL;
    int n = 0;
    if (store_conn_open(st, &c) || store_audit_each(c, id, count_entry, &n)) n = -1;
    store_conn_close(c);
    return n;
}

/* ---- tests ------------------------------------------------------------------- */

TEST(who_may_see_a_case) {
    jc_case k = {.id = 1, .reporter_id = 5, .dept_id = 7};
    snprintf(k.area, sizeof k.area, GRID);
    jc_user r = {.id = 5, .role = ROLE_RESIDENT}, r2 = {.id = 6, .role = ROLE_RESIDENT};
    jc_user d = {.role = ROLE_DISPATCHER}, d_far = {.role = ROLE_DISPATCHER};
    snprintf(d.area, sizeof d.area, "110101001");
    snprintf(d_far.area, sizeof d_far.area, "110101002");
    jc_user s = {.role = ROLE_DEPT_STAFF, .dept_id = 7}, s2 = {.role = ROLE_DEPT_STAFF, .dept_id = 8};
    ASSERT(case_visible(&r, &k));
    ASSERT(!case_visible(&r2, &k));
    ASSERT(case_visible(&d, &k));
    ASSERT(!case_visible(&d_far, &k));
    ASSERT(case_visible(&s, &k));
    ASSERT(!case_visible(&s2, &k));
    ASSERT(!case_role_may(ROLE_RESIDENT, ACT_DISPATCH));
    ASSERT(case_role_may(ROLE_DISPATCHER, ACT_DISPATCH));
    ASSERT(case_role_may(ROLE_DEPT_STAFF, ACT_ACCEPT));
    ASSERT(!case_role_may(ROLE_RESIDENT, ACT_CLOSE));
}

TEST(the_whole_loop_verifies) {
    ASSERT_OK(open_store());
    int64_t id = create(&resident);
    ASSERT(id > 0);
    jc_case k = get(id);
    ASSERT_EQ(k.state, ST_REPORTED);
    case_clear(&k);
    jc_state s;
    jc_action_args none = {0}, to_dept = {.dept_id = dept_id}, note = {.note = "修好了"};
    jc_action_args rating = {.rating = "satisfied"};
    ASSERT_OK(act(&dispatcher, id, ACT_REGISTER, &none, &s));
    if (s == ST_REGISTERED) ASSERT_OK(act(&dispatcher, id, ACT_DISPATCH, &to_dept, &s));
    ASSERT_EQ(s, ST_DISPATCHED);
    k = get(id);
    ASSERT_EQ(k.dept_id, dept_id);
    case_clear(&k);
    ASSERT_OK(act(&dept_staff, id, ACT_ACCEPT, &none, &s));
    ASSERT_EQ(s, ST_ACCEPTED);
    ASSERT_OK(act(&dept_staff, id, ACT_HANDLE, &note, &s));
    ASSERT_OK(act(&dept_staff, id, ACT_FEEDBACK, &note, &s));
    ASSERT_EQ(s, ST_FEEDBACK);
    ASSERT_OK(act(&worker, id, ACT_VERIFY, &note, &s));
    ASSERT_EQ(s, ST_VERIFIED);
    ASSERT_OK(act(&dispatcher, id, ACT_CLOSE, &none, &s));
    ASSERT_EQ(s, ST_CLOSED);
    ASSERT_OK(act(&resident, id, ACT_RATE, &rating, &s));
    ASSERT_EQ(s, ST_RATED);
    ASSERT(entries(id) >= 9); /* report ... rate, each appended */
    jc_conn *c = NULL;
    ASSERT_OK(store_conn_open(st, &c));
    jc_verify_report rep;
    ASSERT_OK(audit_verify_case(c, id, &rep));
    ASSERT(rep.ok);
    ASSERT_OK(audit_verify(c, &rep));
    ASSERT(rep.ok);
    store_conn_close(c);
    close_store();
}

TEST(refusals_change_nothing) {
    ASSERT_OK(open_store());
    int64_t id = create(&resident);
    ASSERT(id > 0);
    int before = entries(id);
    jc_case k0 = get(id);
    jc_action_args none = {0}, to_dept = {.dept_id = dept_id}, no_reason = {0};
    /* a resident may not register; a dispatcher of another street does not see it */
    ASSERT_EQ(act(&resident, id, ACT_REGISTER, &none, NULL), JC_ERR_DENIED);
    ASSERT_EQ(act(&far_dispatcher, id, ACT_REGISTER, &none, NULL), JC_ERR_NOTFOUND);
    /* close before anything: not from this state; a department does not see
     * a case not sent to it; an unknown case */
    ASSERT_EQ(act(&dispatcher, id, ACT_CLOSE, &none, NULL), JC_ERR_CONFLICT);
    ASSERT_EQ(act(&dept_staff, id, ACT_ACCEPT, &none, NULL), JC_ERR_NOTFOUND);
    ASSERT_EQ(act(&dispatcher, id + 1000, ACT_REGISTER, &none, NULL), JC_ERR_NOTFOUND);
    ASSERT_EQ(act(&dispatcher, id, ACT_VOID, &no_reason, NULL), JC_ERR_INVALID); /* void needs a reason */
    jc_case k1 = get(id);
    ASSERT_EQ(k1.state, k0.state);
    ASSERT_EQ(k1.version, k0.version);
    ASSERT_EQ(entries(id), before);
    case_clear(&k0);
    case_clear(&k1);
    /* after dispatch, only that department accepts */
    jc_state s;
    ASSERT_OK(act(&dispatcher, id, ACT_REGISTER, &none, &s));
    if (s == ST_REGISTERED) ASSERT_OK(act(&dispatcher, id, ACT_DISPATCH, &to_dept, &s));
    ASSERT_EQ(s, ST_DISPATCHED);
    jc_err e = act(&other_dept, id, ACT_ACCEPT, &none, NULL);
    ASSERT(e == JC_ERR_NOTFOUND || e == JC_ERR_DENIED);
    ASSERT_OK(act(&dept_staff, id, ACT_ACCEPT, &none, &s));
    close_store();
}

TEST(unknown_category_or_area_is_refused) {
    ASSERT_OK(open_store());
    create_job j = {&resident, "9999", GRID};
    ASSERT_EQ(store_exec(st, create_run, &j), JC_ERR_INVALID);
    ASSERT(j.why.message[0]);
    create_job j2 = {&resident, "0202", "999999999999999"};
    ASSERT_EQ(store_exec(st, create_run, &j2), JC_ERR_INVALID);
    close_store();
}

TEST(numbers_and_masks) {
    jc_case k = {.id = 123};
    ASSERT_OK(jc_parse_time("2026-11-27T10:00+08:00", &k.created_ms));
    char no[40];
    case_number(&k, no, sizeof no);
    ASSERT_STR_EQ(no, "JC20261127-123");
    int64_t id;
    ASSERT_OK(case_number_parse(no, &id));
    ASSERT_EQ(id, 123);
    ASSERT_OK(case_number_parse("77", &id));
    ASSERT_EQ(id, 77);
    ASSERT_EQ(case_number_parse("JC2026-x", &id), JC_ERR_INVALID);
    char m[32];
    case_mask_phone("13812345678", m, sizeof m);
    ASSERT_STR_EQ(m, "138****5678");
    case_mask_phone("12345", m, sizeof m);
    ASSERT_STR_EQ(m, "****");
    case_mask_phone("", m, sizeof m);
    ASSERT_STR_EQ(m, "");
    ASSERT_STR_EQ(case_action_name(ACT_DISPATCH), "dispatch");
    ASSERT_EQ(case_action_parse("rate"), ACT_RATE);
    ASSERT_EQ(case_action_parse("fly"), -1);
}

/* ---- the changed cases the counters take: none dropped --------------------- */

static int64_t touched[2];

static jc_err touch_run(jc_conn *w, void *arg) {
    int n = *(int *)arg;
    jc_user sys;
    auth_system_actor(&sys, "tests");
    for (int i = 0; i < n; i++) {
        jc_case k;
        jc_err e = store_case_get(w, touched[i % 2], &k);
        if (e) return e;
        e = case_touch(w, &sys, &k, "note", NULL);
        case_clear(&k);
        if (e) return e;
    }
    return JC_OK;
}

typedef struct {
    size_t n, out_of_order;
} taken;

static jc_err take_run(jc_conn *w, void *arg) {
    taken *t = arg;
    int64_t ids[512];
    size_t n;
    while ((n = eval_take_changed(w, ids, JC_ARRAY_LEN(ids))) > 0)
        for (size_t i = 0; i < n; i++, t->n++)
            if (ids[i] != touched[t->n % 2]) t->out_of_order++;
    return JC_OK;
}

TEST(changed_cases_past_8192_in_one_tick_are_all_taken) {
    ASSERT_OK(open_store());
    touched[0] = create(&resident);
    touched[1] = create(&resident);
    ASSERT(touched[0] > 0 && touched[1] > 0);
    int n = 9000;
    ASSERT_OK(store_exec(st, touch_run, &n));
    taken t = {0};
    ASSERT_OK(store_exec(st, take_run, &t));
    ASSERT_EQ(t.n, 9000);
    ASSERT_EQ(t.out_of_order, 0);
    taken again = {0};
    ASSERT_OK(store_exec(st, take_run, &again)); /* taken once */
    ASSERT_EQ(again.n, 0);
    close_store();
}

T_MAIN(T(changed_cases_past_8192_in_one_tick_are_all_taken), T(who_may_see_a_case), T(the_whole_loop_verifies), T(refusals_change_nothing),
       T(unknown_category_or_area_is_refused), T(numbers_and_masks))
