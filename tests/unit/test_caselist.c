/*
 * test_caselist.c -- the case lists and the search: the index terms of a
 * text and the query built from a search, the index each list walks (its
 * query plan takes the index that matches the filter and the order and
 * never sorts), keyset pages with a budget, and the text index.
 */
#include "caselist.h"
#include "caselist_store.h"
#include "store_sqlite.h"
#include "t.h"
#include "t_store.h"



TEST(terms_are_bigrams_and_words) {
    jc_case k = {0};
    k.title = "井盖松动！";
    k.body = "路灯，ＡＢＣ12号";
    k.address = NULL;
    jc_buf b;
    jc_buf_init(&b, 0);
    ASSERT_OK(caselist_terms(&k, &b));
    /* each CJK character starts a term; full-width letters are folded */
    ASSERT_STR_EQ(b.data, "井盖 盖松 松动 动 路灯 灯 abc12 号");
    jc_buf_free(&b);
}

TEST(a_search_becomes_bigrams_prefixes_and_words) {
    caselist_q *q;
    ASSERT_OK(caselist_q_parse("井盖松动 灯 A1", &q));
    ASSERT_STR_EQ(caselist_q_match(q), "\"井盖\" \"盖松\" \"松动\" \"灯\"* \"a1\"*");
    jc_case k = {0};
    k.title = "人行道井盖松动";
    k.body = "路灯A12不亮";
    ASSERT_EQ(caselist_q_hit(q, &k), 1);
    k.body = "路灯不亮"; /* no A1 */
    ASSERT_EQ(caselist_q_hit(q, &k), 0);
    k.title = "井盖动松"; /* the bigrams are there, the word is not */
    k.body = "盖松 路灯A1";
    ASSERT_EQ(caselist_q_hit(q, &k), 0);
    caselist_q_free(q);
    ASSERT_EQ(caselist_q_parse("，。！", &q), JC_ERR_INVALID);
}

/* Inserts n cases: ids 1..n, every third open, every fifth in area
 * ...002, reporter 7 for every tenth, texts varying. */
static jc_err make_cases(jc_conn *w, void *arg) {
    int n = *(int *)arg;
    static const char *const titles[] = {"井盖缺失", "路灯不亮", "垃圾满溢", "噪声扰民", "占道经营"};
    for (int i = 1; i <= n; i++) {
        jc_case k = {0};
        k.title = (char *)titles[i % 5];
        k.body = "请尽快处理";
        snprintf(k.category, sizeof k.category, "010%d", i % 4);
        snprintf(k.source, sizeof k.source, "web");
        snprintf(k.area, sizeof k.area, i % 5 ? "110101001001001" : "110101001002001");
        k.state = i % 3 ? ST_CLOSED : ST_DISPATCHED;
        k.held_from = ST__COUNT;
        k.reporter_id = i % 10 ? 3 : 7;
        k.dept_id = 1 + i % 2;
        k.created_ms = k.updated_ms = 1700000000000LL + i * 1000LL;
        k.version = 1;
        jc_err e = store_case_insert(w, &k);
        if (e) return e;
    }
    return JC_OK;
}

/* 1 when w's plan names want and sorts nothing, except (sorts_after) what
 * comes after that step. */
static int plan_has_sorting(const caselist_walk *w, const char *want, const char *sorts_after) {
    jc_buf b;
    jc_buf_init(&b, 0);
    int ok = caselist_store_plan(rd, w, &b) == JC_OK && b.data && strstr(b.data, want);
    const char *sort = ok ? strstr(b.data, "TEMP B-TREE") : NULL;
    if (sort) ok = sorts_after && strstr(b.data, sorts_after) && strstr(b.data, sorts_after) < sort;
    if (!ok) fprintf(stderr, "plan: %s\n", b.data ? b.data : "(none)");
    jc_buf_free(&b);
    return ok;
}

static int plan_has(const caselist_walk *w, const char *want) { return plan_has_sorting(w, want, NULL); }

/* Every list walks the index that matches its filter and its order; none
 * sorts (the dispatcher's list took the area index and sorted every case of
 * the street: 330 ms at 1.15 M cases). */
TEST(each_list_walks_its_own_index) {
    ASSERT_OK(t_store_open("caselist"));
    caselist_walk w = {.limit = 50, .budget = 100};
    w.area_prefix = "110101001";
    ASSERT(plan_has(&w, "USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)")); /* the dispatcher's */
    w.area_prefix = "110101001001";
    ASSERT(plan_has(&w, "USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)")); /* a community's */
    w.asc = 1;
    ASSERT(plan_has(&w, "USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)"));
    w.asc = 0;
    w.by = CL_BY_OPEN, w.open_only = 1;
    ASSERT(plan_has(&w, "USING INDEX caselist_open (id>? AND id<?)"));
    w.by = CL_BY_REPORTER, w.reporter_id = 7;
    ASSERT(plan_has(&w, "USING INDEX cases_reporter (reporter_id=? AND rowid>? AND rowid<?)"));
    w.by = CL_BY_ASSIGNEE, w.assignee_id = 9;
    ASSERT(plan_has(&w, "USING INDEX caselist_assignee (assignee_id=? AND rowid>? AND rowid<?)"));
    w.by = CL_BY_DEPT, w.dept_id = 2;
    ASSERT(plan_has(&w, "USING INDEX cases_dept (dept_id=? AND rowid>? AND rowid<?)"));
    /* a department's: led, co-handled, summoned, merged by id; only the
     * cases of its whistles (few) are sorted */
    w.by = CL_BY_INVOLVED, w.involved_dept = 2;
    ASSERT(plan_has_sorting(&w, "MERGE (UNION)", "caselist_whistle_dept"));
    ASSERT(plan_has_sorting(&w, "INDEX cases_dept (dept_id=? AND rowid>? AND rowid<?)", "caselist_whistle_dept"));
    ASSERT(plan_has_sorting(&w, "USING INDEX caselist_co (dept_id=? AND case_id>? AND case_id<?)", "caselist_whistle_dept"));
    w.by = CL_BY_TEXT, w.match = "\"井盖\"";
    ASSERT(plan_has(&w, "VIRTUAL TABLE INDEX"));
    t_store_close();
}

typedef struct {
    int64_t ids[600];
    int n;
} got_t;

static int take(const jc_case *k, void *arg) {
    got_t *g = arg;
    if (g->n < 600) g->ids[g->n++] = k->id;
    return 1;
}

/* Pages of a walk, each from the id the last stopped at, list every
 * matching case once, newest first, whatever the budget. */
TEST(keyset_pages_with_a_budget_list_each_case_once) {
    ASSERT_OK(t_store_open("caselist"));
    int n = 300;
    ASSERT_OK(store_exec(st, make_cases, &n));
    caselist_walk w = {.by = CL_BY_ID, .limit = 7, .budget = 25, .area_prefix = "110101001002"};
    got_t g = {{0}, 0};
    caselist_result r;
    int pages = 0, short_pages = 0;
    do {
        int before = g.n;
        ASSERT_OK(caselist_store_walk(rd, &w, take, &g, &r));
        short_pages += r.more && g.n - before < w.limit;
        w.after = r.stopped_at;
        pages++;
    } while (r.more && pages < 100);
    ASSERT_EQ(g.n, 60); /* every fifth of 300 */
    for (int i = 0; i < g.n; i++) ASSERT_EQ(g.ids[i], 300 - 5 * i);
    ASSERT(short_pages > 0); /* the budget ended pages early */
    /* the open ones of a reporter, oldest first */
    memset(&w, 0, sizeof w);
    w.by = CL_BY_REPORTER, w.reporter_id = 7, w.open_only = 1, w.asc = 1, w.limit = 50, w.budget = 1000;
    g.n = 0;
    ASSERT_OK(caselist_store_walk(rd, &w, take, &g, &r));
    ASSERT_EQ(g.n, 10); /* multiples of 30 */
    ASSERT_EQ(g.ids[0], 30);
    ASSERT_EQ(g.ids[9], 300);
    t_store_close();
}

static jc_err index_all(jc_conn *w, void *arg) {
    (void)arg;
    return caselist_index_all(w);
}

/* The text index: the cases above its mark are found all the same, and
 * after indexing through the index. */
TEST(text_search_finds_indexed_and_new_cases) {
    ASSERT_OK(t_store_open("caselist"));
    int n = 100;
    ASSERT_OK(store_exec(st, make_cases, &n));
    caselist_q *q;
    ASSERT_OK(caselist_q_parse("路灯", &q));
    caselist_walk w = {.by = CL_BY_TEXT, .match = caselist_q_match(q), .limit = 500, .budget = 1000};
    got_t g = {{0}, 0};
    caselist_result r;
    ASSERT_OK(caselist_store_walk(rd, &w, take, &g, &r)); /* nothing indexed yet */
    ASSERT_EQ(r.examined, 100);
    int found_new = g.n;
    int64_t left;
    ASSERT_OK(caselist_store_unindexed(rd, &left));
    ASSERT_EQ(left, 100);
    ASSERT_OK(store_exec(st, index_all, NULL));
    ASSERT_OK(caselist_store_unindexed(rd, &left));
    ASSERT_EQ(left, 0);
    g.n = 0;
    ASSERT_OK(caselist_store_walk(rd, &w, take, &g, &r));
    ASSERT_EQ(g.n, 20); /* i % 5 == 1 */
    ASSERT_EQ(r.examined, 20); /* through the index: only candidates */
    ASSERT_EQ(g.ids[0], 96);
    ASSERT_EQ(found_new, 100); /* from the table every row was a candidate (the words are checked above it) */
    caselist_q_free(q);
    t_store_close();
}

T_MAIN(T(terms_are_bigrams_and_words), T(a_search_becomes_bigrams_prefixes_and_words), T(each_list_walks_its_own_index),
       T(keyset_pages_with_a_budget_list_each_case_once), T(text_search_finds_indexed_and_new_cases))
