/*
 * test_caselist.c -- the case lists and the search: the index terms of a
 * text and the query built from a search, the index each list walks (its
 * query plan takes the index that matches the filter and the order and
 * never sorts), keyset pages with a budget, and the text index -- and the
 * same walks on PostgreSQL (caselist_pg.c) giving the same pages (the server:
 * t_pg.h).
 */
#include "caselist.h"
#include "caselist_store.h"
#include "store_sqlite.h"
#include "t.h"
#include "t_store.h"
#include "t_pg.h"
#include "store_pg.h"



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
        k.assignee_id = i % 7 ? 0 : 9;
        k.flags = i % 11 ? 0 : CASE_F_OVERDUE;
        k.escalation = i % 13 == 0;
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

/* Inserts n cases (ids 1..n): odd ones "井盖松动", even ones "路面缺失",
 * and case 3 "井盖缺失": two terms that each match half the cases and meet
 * once, in an old case. */
static jc_err make_apart(jc_conn *w, void *arg) {
    int n = *(int *)arg;
    for (int i = 1; i <= n; i++) {
        jc_case k = {0};
        k.title = (char *)(i == 3 ? "井盖缺失" : i % 2 ? "井盖松动" : "路面缺失");
        k.body = "请尽快处理";
        snprintf(k.category, sizeof k.category, "0101");
        snprintf(k.source, sizeof k.source, "web");
        snprintf(k.area, sizeof k.area, "110101001001001");
        k.state = ST_DISPATCHED;
        k.held_from = ST__COUNT;
        k.reporter_id = 3;
        k.dept_id = 1;
        k.created_ms = k.updated_ms = 1700000000000LL + i * 1000LL;
        k.version = 1;
        jc_err e = store_case_insert(w, &k);
        if (e) return e;
    }
    return JC_OK;
}

typedef struct {
    const caselist_q *q;
    got_t g;
} hits_t;

static int take_hit(const jc_case *k, void *arg) {
    hits_t *h = arg;
    if (!caselist_q_hit(h->q, k)) return 0;
    return take(k, &h->g);
}

/* A search of two terms that each match many cases but meet rarely costs
 * a bounded page (every id of either term's list stepped counts towards
 * the budget): the first pages come back short, even empty, with a cursor,
 * and following the cursors finds what a scan of every case finds, in
 * both orders.  (FTS5 does not bound an AND of terms by a rowid range: as
 * one MATCH the first page read both lists to their end.) */
TEST(two_terms_apart_cost_bounded_pages) {
    ASSERT_OK(t_store_open("caselist2"));
    int n = 2000, extra = 40;
    ASSERT_OK(store_exec(st, make_apart, &n));
    ASSERT_OK(store_exec(st, index_all, NULL));
    /* cases above the indexed mark too: 2001..2040, one of them with both */
    ASSERT_OK(store_exec(st, make_apart, &extra)); /* ids 2001..2040: its "3" is 2003 */
    const char *texts[] = {"井盖 缺失", "井盖缺失", "缺失 井盖 缺失"};
    for (size_t ti = 0; ti < JC_ARRAY_LEN(texts); ti++)
        for (int asc = 0; asc < 2; asc++) {
            caselist_q *q;
            ASSERT_OK(caselist_q_parse(texts[ti], &q));
            hits_t scan = {q, {{0}, 0}}, walked = {q, {{0}, 0}};
            caselist_walk all = {.by = CL_BY_ID, .asc = asc, .limit = 500, .budget = 100000};
            caselist_result r;
            ASSERT_OK(caselist_store_walk(rd, &all, take_hit, &scan, &r));
            ASSERT_EQ(r.more, 0);
            ASSERT_EQ(scan.g.n, 2);
            caselist_walk w = {.by = CL_BY_TEXT, .asc = asc, .match = caselist_q_match(q), .limit = 50, .budget = 100};
            int pages = 0, empty_with_next = 0;
            do {
                int before = walked.g.n;
                ASSERT_OK(caselist_store_walk(rd, &w, take_hit, &walked, &r));
                ASSERT(r.examined <= w.budget + 4); /* a round of steps over the terms past it, at most */
                empty_with_next += r.more && walked.g.n == before;
                if (r.more) ASSERT(asc ? r.stopped_at >= w.after : !w.after || r.stopped_at <= w.after);
                w.after = r.stopped_at;
            } while (r.more && ++pages < 200);
            ASSERT_EQ(r.more, 0);
            if (ti == 1) ASSERT(pages <= 2); /* a rare term ("盖缺") among them: the others catch up with it */
            else ASSERT(empty_with_next > 5); /* ~2000 ids of the lists at 100 a page */
            ASSERT_EQ(walked.g.n, scan.g.n);
            for (int i = 0; i < scan.g.n; i++) ASSERT_EQ(walked.g.ids[i], scan.g.ids[i]);
            ASSERT_EQ(walked.g.ids[asc ? 0 : 1], 3);
            caselist_q_free(q);
        }
    t_store_close();
}

/* ---- PostgreSQL: the same answers ------------------------------------------------- */

typedef struct {
    jc_buf b; /* one line per page: ids, then what the walk said */
} pages_t;

static int note_id(const jc_case *k, void *arg) {
    pages_t *p = arg;
    return jc_buf_printf(&p->b, "%lld ", (long long)k->id) ? -1 : 1;
}

/* Every page of w on c, each from where the last stopped, as text. */
static jc_err all_pages(jc_conn *c, caselist_walk w, pages_t *p) {
    caselist_result r;
    for (int n = 0; n < 400; n++) {
        jc_err e = caselist_store_walk(c, &w, note_id, p, &r);
        if (e) return e;
        if ((e = jc_buf_printf(&p->b, "| taken %d examined %d at %lld more %d\n", r.taken, r.examined,
                               (long long)r.stopped_at, r.more)))
            return e;
        if (!r.more) return JC_OK;
        w.after = r.stopped_at;
    }
    return JC_ERR_INTERNAL;
}

/* Keeps only the ids of all_pages' text, as one line. */
static void ids_only(jc_buf *b) {
    size_t o = 0;
    for (size_t i = 0; b->data && i < b->len;) {
        if (b->data[i] == '|') {
            while (i < b->len && b->data[i] != '\n') i++;
            i++;
        } else {
            b->data[o++] = b->data[i++];
        }
    }
    b->len = o;
    if (b->data) b->data[o] = 0;
}

static jc_err index_some(jc_conn *w, void *arg) {
    int done;
    return caselist_store_index(w, *(int *)arg, caselist_terms, &done);
}

/* The same cases on SQLite and on PostgreSQL, half of them in the text
 * index: every kind of walk, in both orders, with each condition, with
 * limits and budgets that end pages early, gives the same pages (the same
 * ids, rows examined, stopping points); the id range by time and the count
 * of cases not indexed agree too; a malformed match is refused; and the
 * walks by an index need no sort on PostgreSQL either. */
TEST(postgresql_walks_give_sqlites_answers) {
    ASSERT_OK(t_store_open("caselistpg"));
    char url[512];
    ASSERT(new_db(url, sizeof url) == 0);
    jc_store *pst = NULL;
    jc_conn *prd = NULL;
    int v;
    ASSERT_OK(store_open(url, &pst));
    ASSERT_OK(store_migrate(pst, &v));
    ASSERT_OK(store_conn_open(pst, &prd));
    int n = 300, half = 150;
    ASSERT_OK(store_exec(st, make_cases, &n));
    ASSERT_OK(store_exec(pst, make_cases, &n));
    int64_t left_s, left_p;
    ASSERT_OK(caselist_store_unindexed(prd, &left_p));
    ASSERT_EQ(left_p, 300);
    ASSERT_OK(store_exec(st, index_some, &half));
    ASSERT_OK(store_exec(pst, index_some, &half));
    ASSERT_OK(caselist_store_unindexed(rd, &left_s));
    ASSERT_OK(caselist_store_unindexed(prd, &left_p));
    ASSERT_EQ(left_s, 150);
    ASSERT_EQ(left_p, 150);

    caselist_q *q1, *q2, *q3;
    ASSERT_OK(caselist_q_parse("路灯", &q1));
    ASSERT_OK(caselist_q_parse("垃 满溢", &q2));
    ASSERT_OK(caselist_q_parse("井盖缺失 zz", &q3));
    const char *matches[] = {caselist_q_match(q1), caselist_q_match(q2), caselist_q_match(q3)};
    static const int kinds[] = {CL_BY_ID, CL_BY_REPORTER, CL_BY_INVOLVED, CL_BY_DEPT, CL_BY_ASSIGNEE, CL_BY_OPEN, CL_BY_TEXT};
    int compared = 0;
    for (size_t ki = 0; ki < JC_ARRAY_LEN(kinds); ki++)
        for (int variant = 0; variant < 12; variant++)
            for (int asc = 0; asc < 2; asc++) {
                caselist_walk w = {.by = kinds[ki], .asc = asc, .limit = variant % 2 ? 7 : 50,
                                   .budget = variant % 3 ? 1000 : 25};
                /* the index's own key */
                if (w.by == CL_BY_REPORTER) w.reporter_id = variant % 4 ? 7 : 3;
                if (w.by == CL_BY_INVOLVED) w.involved_dept = 2;
                if (w.by == CL_BY_DEPT) w.dept_id = 1;
                if (w.by == CL_BY_ASSIGNEE) w.assignee_id = 9;
                if (w.by == CL_BY_OPEN) w.open_only = 1;
                if (w.by == CL_BY_TEXT) w.match = matches[variant % 3];
                /* a condition */
                switch (variant) {
                case 1: w.area_prefix = "110101001002"; break;
                case 2: w.category = "0102"; break;
                case 3: w.group = "010"; break;
                case 4: w.state = "dispatched"; break;
                case 5: w.open_only = 1; break;
                case 6: w.flags = CASE_F_OVERDUE; break;
                case 7: w.escalated = 1; break;
                case 8: w.created_lo = 1700000050000LL, w.created_hi = 1700000250000LL; break;
                case 9: w.id_lo = 40, w.id_hi = 220; break;
                case 10: w.source = "web", w.rating = "satisfied"; break;
                case 11: w.after = 120; break;
                default: break;
                }
                pages_t a, b;
                jc_buf_init(&a.b, 0);
                jc_buf_init(&b.b, 0);
                ASSERT_OK(all_pages(rd, w, &a));
                ASSERT_OK(all_pages(prd, w, &b));
                if (w.by == CL_BY_TEXT && strchr(w.match, ' ')) {
                    /* SQLite merges the terms' lists itself, counting every
                     * id stepped (two_terms_apart_cost_bounded_pages): its
                     * pages end elsewhere; the cases found and their order
                     * are the same */
                    ids_only(&a.b);
                    ids_only(&b.b);
                }
                if (strcmp(a.b.data ? a.b.data : "", b.b.data ? b.b.data : ""))
                    fprintf(stderr, "walk by %d variant %d asc %d\nsqlite:\n%s\npostgresql:\n%s\n", w.by, variant, asc,
                            a.b.data, b.b.data);
                ASSERT_STR_EQ(a.b.data ? a.b.data : "", b.b.data ? b.b.data : "");
                compared++;
                jc_buf_free(&a.b);
                jc_buf_free(&b.b);
            }
    ASSERT_EQ(compared, 7 * 12 * 2);
    /* a department's cases with dispatch's tables (made here when dispatch
     * is not on PostgreSQL): led, co-handled while open (not after), and
     * summoned by a whistle (twice to one case) */
    static const char dispatch_pg[] =
        "CREATE TABLE IF NOT EXISTS case_owner(id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
        " case_id bigint NOT NULL, dept_id bigint NOT NULL, role text NOT NULL, start_at bigint NOT NULL,"
        " end_at bigint, end_reason text);"
        "CREATE TABLE IF NOT EXISTS whistles(id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
        " case_id bigint NOT NULL, raised_by bigint NOT NULL, raised_at bigint NOT NULL,"
        " checkin_minutes integer NOT NULL, note text, state text NOT NULL DEFAULT 'open', done_at bigint);"
        "CREATE TABLE IF NOT EXISTS whistle_members(whistle_id bigint NOT NULL, dept_id bigint NOT NULL,"
        " checkin_deadline bigint NOT NULL, checked_in_at bigint, late integer NOT NULL DEFAULT 0,"
        " done_at bigint, done_note text, rating integer, rated_at bigint, PRIMARY KEY(whistle_id, dept_id));";
    static const char dispatch_rows[] =
        "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 300)"
        " INSERT INTO case_owner(case_id, dept_id, role, start_at, end_at)"
        " SELECT i, 2, 'co', 1, CASE WHEN i % 3 = 0 THEN 5 END FROM s WHERE i % 2 = 0 AND i % 7 = 0;"
        "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 300)"
        " INSERT INTO whistles(id, case_id, raised_by, raised_at, checkin_minutes)"
        " SELECT i, CASE WHEN i = 22 THEN 44 ELSE i END, 1, 1, 30 FROM s WHERE i % 2 = 0 AND i % 11 = 0;"
        "INSERT INTO whistle_members(whistle_id, dept_id, checkin_deadline) SELECT id, 2, 1 FROM whistles;"
        "INSERT INTO whistle_members(whistle_id, dept_id, checkin_deadline) SELECT id, 1, 1 FROM whistles WHERE id % 4 = 0;";
    PGresult *an = PQexec(store_pg_raw(prd), dispatch_pg);
    ASSERT_EQ(PQresultStatus(an), PGRES_COMMAND_OK);
    PQclear(an);
    an = PQexec(store_pg_raw(prd), dispatch_rows);
    ASSERT_EQ(PQresultStatus(an), PGRES_COMMAND_OK);
    PQclear(an);
    ASSERT_EQ(t_store_sql(dispatch_rows), SQLITE_OK);
    for (int variant = 0; variant < 8; variant++)
        for (int asc = 0; asc < 2; asc++) {
            caselist_walk w = {.by = variant < 4 ? CL_BY_INVOLVED : variant < 6 ? CL_BY_TEXT : CL_BY_ID, .asc = asc,
                               .involved_dept = 1 + variant % 2, .limit = variant % 4 < 2 ? 7 : 50,
                               .budget = variant % 3 ? 1000 : 25, .match = matches[variant % 3]};
            if (variant == 3) w.open_only = 1;
            pages_t a, b;
            jc_buf_init(&a.b, 0);
            jc_buf_init(&b.b, 0);
            ASSERT_OK(all_pages(rd, w, &a));
            ASSERT_OK(all_pages(prd, w, &b));
            if (w.by == CL_BY_TEXT && strchr(w.match, ' ')) ids_only(&a.b), ids_only(&b.b); /* as above */
            if (strcmp(a.b.data ? a.b.data : "", b.b.data ? b.b.data : ""))
                fprintf(stderr, "involved variant %d asc %d\nsqlite:\n%s\npostgresql:\n%s\n", variant, asc, a.b.data,
                        b.b.data);
            ASSERT_STR_EQ(a.b.data ? a.b.data : "", b.b.data ? b.b.data : "");
            jc_buf_free(&a.b);
            jc_buf_free(&b.b);
        }
    /* the id range of a time range: SQLite's, or a minute wider on
     * PostgreSQL (the instances' clocks) */
    int64_t ranges[][2] = {{1700000050000LL, 1700000250000LL}, {0, 1700000000500LL}, {1700000300001LL, INT64_MAX}, {0, INT64_MAX}};
    for (size_t i = 0; i < JC_ARRAY_LEN(ranges); i++) {
        int64_t lo_s, hi_s, lo_p, hi_p;
        ASSERT_OK(caselist_store_id_range(rd, ranges[i][0], ranges[i][1], &lo_s, &hi_s));
        ASSERT_OK(caselist_store_id_range(prd, ranges[i][0], ranges[i][1], &lo_p, &hi_p));
        if (lo_s <= hi_s) { /* holds SQLite's, and at most a minute (60 cases) more each side */
            ASSERT(lo_p <= lo_s && lo_p >= lo_s - 60);
            ASSERT(hi_p >= hi_s && hi_p <= hi_s + 60);
        } else { /* none: at most a minute's cases around */
            ASSERT(lo_p > hi_p || hi_p - lo_p < 60);
        }
    }
    /* a match expression that is not caselist.c's */
    caselist_walk bad = {.by = CL_BY_TEXT, .match = "\"abc", .limit = 5, .budget = 5};
    got_t g = {{0}, 0};
    caselist_result r;
    ASSERT_EQ(caselist_store_walk(prd, &bad, take, &g, &r), JC_ERR_INVALID);
    bad.match = "abc OR def";
    ASSERT_EQ(caselist_store_walk(prd, &bad, take, &g, &r), JC_ERR_INVALID);
    /* the plans walk each index in id order, without a sort, at a size
     * where that matters (30,000 cases like those above) and with the
     * table's statistics, as autovacuum keeps them */
    an = PQexec(store_pg_raw(prd),
                          "INSERT INTO cases(title, body, category, source, state, area, reporter_id, dept_id,"
                          " created_at, updated_at, version, flags, assignee_id)"
                          " SELECT '路灯不亮', '', '0101', 'web', CASE WHEN i % 3 = 0 THEN 'dispatched' ELSE 'closed' END,"
                          " '110101001001001', CASE WHEN i % 10 = 0 THEN 7 ELSE 3 END, 1 + i % 2,"
                          " 1700000000000 + i * 1000, 1700000000000 + i * 1000, 1, 0, CASE WHEN i % 7 = 0 THEN 9 END"
                          " FROM generate_series(301, 30000) i; ANALYZE cases");
    ASSERT_EQ(PQresultStatus(an), PGRES_COMMAND_OK);
    PQclear(an);
    static const struct {
        int by;
        const char *index;
    } plans[] = {{CL_BY_ID, "cases_pkey"}, {CL_BY_REPORTER, "caselist_reporter"}, {CL_BY_DEPT, "Index Scan Backward"} /* half the cases: by id is as good */,
                 {CL_BY_ASSIGNEE, "caselist_assignee"}, {CL_BY_OPEN, "caselist_open"}};
    for (size_t i = 0; i < JC_ARRAY_LEN(plans); i++) {
        caselist_walk w = {.by = plans[i].by, .limit = 50, .budget = 100, .reporter_id = 7, .dept_id = 1,
                           .assignee_id = 9, .open_only = plans[i].by == CL_BY_OPEN};
        jc_buf b;
        jc_buf_init(&b, 0);
        ASSERT_OK(caselist_store_plan(prd, &w, &b));
        int ok = b.data && strstr(b.data, plans[i].index) && !strstr(b.data, "Sort");
        if (!ok) fprintf(stderr, "plan of walk %d: %s\n", plans[i].by, b.data ? b.data : "");
        ASSERT(ok);
        jc_buf_free(&b);
    }
    /* a text walk over 30,000 cases: a common term is found by reading the
     * index in id order, a rare one (past the first PROBE rows) by its GIN
     * index; either way every match once, in order, page by page (4247 and
     * 25904 are the first ids past the probes of a walk from the start and
     * from the end: the index holds 1..150 and 301..30,000) */
    an = PQexec(store_pg_raw(prd), "INSERT INTO caselist_terms SELECT id, array_to_tsvector(CASE WHEN id % 997 = 0"
                                   " OR id IN (4247, 25904) THEN '{井盖,盖缺,缺失,失}'::text[] ELSE '{路灯,灯不,不亮,亮}' END)"
                                   " FROM cases WHERE id > 300; DELETE FROM caselist_pending; ANALYZE caselist_terms");
    ASSERT_EQ(PQresultStatus(an), PGRES_COMMAND_OK);
    PQclear(an);
    const char *texts[] = {"井盖", "路灯", "垃 满溢", "亮"};
    for (size_t i = 0; i < JC_ARRAY_LEN(texts); i++)
        for (int asc = 0; asc < 2; asc++) {
            caselist_q *q;
            ASSERT_OK(caselist_q_parse(texts[i], &q));
            jc_buf want, tsq;
            jc_buf_init(&want, 0);
            jc_buf_init(&tsq, 0);
            const char *m = caselist_q_match(q);
            /* the FTS5 expression as a tsquery, by hand: "x" -> 'x', "x"* -> 'x':* */
            for (const char *c = m; *c; c++)
                ASSERT_OK(*c == '"' ? jc_buf_puts(&tsq, "'") : *c == '*' ? jc_buf_puts(&tsq, ":*")
                          : *c == ' ' ? jc_buf_puts(&tsq, " & ") : jc_buf_append(&tsq, c, 1));
            const char *pv[1] = {tsq.data};
            PGresult *r = PQexecParams(store_pg_raw(prd), asc ? "SELECT case_id FROM caselist_terms WHERE terms @@ $1::tsquery ORDER BY 1"
                                                              : "SELECT case_id FROM caselist_terms WHERE terms @@ $1::tsquery ORDER BY 1 DESC",
                                       1, NULL, pv, NULL, NULL, 0);
            ASSERT_EQ(PQresultStatus(r), PGRES_TUPLES_OK);
            for (int j = 0; j < PQntuples(r); j++) ASSERT_OK(jc_buf_printf(&want, "%s ", PQgetvalue(r, j, 0)));
            ASSERT(PQntuples(r) > 0);
            PQclear(r);
            caselist_walk w = {.by = CL_BY_TEXT, .asc = asc, .match = m, .limit = 500, .budget = 1000};
            pages_t got;
            jc_buf_init(&got.b, 0);
            caselist_result res;
            int pages = 0;
            do {
                ASSERT_OK(caselist_store_walk(prd, &w, note_id, &got, &res));
                w.after = res.stopped_at;
            } while (res.more && ++pages < 200);
            if (strcmp(got.b.data ? got.b.data : "", want.data)) fprintf(stderr, "search %s asc %d\n", texts[i], asc);
            ASSERT_STR_EQ(got.b.data ? got.b.data : "", want.data);
            jc_buf_free(&got.b);
            jc_buf_free(&want);
            jc_buf_free(&tsq);
            caselist_q_free(q);
        }
    caselist_q_free(q1);
    caselist_q_free(q2);
    caselist_q_free(q3);
    store_conn_close(prd);
    store_close(pst);
    t_store_close();
}

T_MAIN(T(terms_are_bigrams_and_words), T(a_search_becomes_bigrams_prefixes_and_words), T(each_list_walks_its_own_index),
       T(keyset_pages_with_a_budget_list_each_case_once), T(text_search_finds_indexed_and_new_cases), T(two_terms_apart_cost_bounded_pages),
       T(postgresql_walks_give_sqlites_answers))
