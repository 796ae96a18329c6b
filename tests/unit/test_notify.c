/*
 * test_notify.c -- the notify module's pure parts: the webhook retry
 * schedule and who a notification is for (the live stream's filter, which
 * must agree with the feed's SQL: tests/integration/60-notify.test.mjs).
 */
#include "notify.h"
#include "notify_store.h"
#include "store_pg.h"
#include "t.h"
#include "t_pg.h"

#include <pthread.h>

#include <string.h>

TEST(retries_double_from_one_second_up_to_an_hour) {
    ASSERT_EQ(notify_retry_delay_ms(1), 1000);
    ASSERT_EQ(notify_retry_delay_ms(2), 2000);
    ASSERT_EQ(notify_retry_delay_ms(3), 4000);
    ASSERT_EQ(notify_retry_delay_ms(12), 2048000);
    ASSERT_EQ(notify_retry_delay_ms(13), 3600000);
    ASSERT_EQ(notify_retry_delay_ms(NOTIFY_MAX_ATTEMPTS), 3600000);
    ASSERT_EQ(notify_retry_delay_ms(1000), 3600000); /* no overflow */
    int64_t total = 0;
    for (int a = 1; a < NOTIFY_MAX_ATTEMPTS; a++) total += notify_retry_delay_ms(a);
    ASSERT(total > 8 * 3600 * 1000LL); /* a gateway down for a working day still gets it */
}

static jc_user user(int64_t id, jc_role role, const char *area, int64_t dept) {
    jc_user u;
    memset(&u, 0, sizeof u);
    u.id = id;
    u.role = role;
    snprintf(u.area, sizeof u.area, "%s", area);
    u.dept_id = dept;
    return u;
}

TEST(audience_user_dept_role_area) {
    notify_row n;
    memset(&n, 0, sizeof n);
    jc_user w1 = user(5, ROLE_GRID_WORKER, "110101001001001", 0), w2 = user(6, ROLE_GRID_WORKER, "110101001001001", 0);
    n.user_id = 5;
    ASSERT(notify_for_user(&n, &w1));
    ASSERT(!notify_for_user(&n, &w2));
    memset(&n, 0, sizeof n);
    n.dept_id = 3;
    jc_user d3 = user(7, ROLE_DEPT_STAFF, "", 3), d4 = user(8, ROLE_DEPT_STAFF, "", 4);
    jc_user disp_with_dept = user(9, ROLE_DISPATCHER, "110101001", 3);
    ASSERT(notify_for_user(&n, &d3));
    ASSERT(!notify_for_user(&n, &d4));
    ASSERT(!notify_for_user(&n, &disp_with_dept)); /* only department staff are its staff */
    memset(&n, 0, sizeof n);
    snprintf(n.role, sizeof n.role, "community_staff");
    snprintf(n.area, sizeof n.area, "110101001002003");
    jc_user c2 = user(10, ROLE_COMMUNITY_STAFF, "110101001002", 0), c1 = user(11, ROLE_COMMUNITY_STAFF, "110101001001", 0);
    jc_user disp = user(12, ROLE_DISPATCHER, "110101001", 0);
    ASSERT(notify_for_user(&n, &c2));
    ASSERT(!notify_for_user(&n, &c1));   /* another community */
    ASSERT(!notify_for_user(&n, &disp)); /* another role */
    snprintf(n.role, sizeof n.role, "dispatcher");
    ASSERT(notify_for_user(&n, &disp));
    jc_user disp_all = user(13, ROLE_DISPATCHER, "", 0);
    ASSERT(notify_for_user(&n, &disp_all)); /* no scope: everywhere */
    n.actor_id = 12;
    ASSERT(!notify_for_user(&n, &disp)); /* never one's own action */
}

TEST(kinds_known_and_texts) {
    ASSERT(notify_kind_known("dispatched"));
    ASSERT(notify_kind_known("verify_task"));
    ASSERT(!notify_kind_known("dispatch"));
    ASSERT(!notify_kind_known(""));
    ASSERT_STR_EQ(notify_kind_text("dispatched"), "新派单");
    ASSERT_STR_EQ(notify_kind_text("nonsense"), "");
}

/* A second producer on PostgreSQL (a leader cut off from the lock but not
 * yet from its writer) waits for the first's commit and reads the mark it
 * moved: nothing is produced twice (notify_pg.c, pg_hw). */
typedef struct {
    jc_conn *c;
    int64_t hw;
    jc_err e;
} hw_reader;

static void *read_hw_in_tx(void *arg) {
    hw_reader *x = arg;
    PQclear(PQexec(store_pg_raw(x->c), "BEGIN"));
    x->e = notify_db_hw(x->c, &x->hw);
    PQclear(PQexec(store_pg_raw(x->c), "COMMIT"));
    return NULL;
}

TEST(postgresql_two_producers_read_the_mark_in_turn) {
    char url[512];
    ASSERT(new_db(url, sizeof url) == 0);
    jc_store *st = NULL;
    jc_conn *a = NULL, *b = NULL;
    int v;
    ASSERT_OK(store_open(url, &st));
    ASSERT_OK(store_migrate(st, &v));
    ASSERT_OK(store_conn_open(st, &a));
    ASSERT_OK(store_conn_open(st, &b));
    PQclear(PQexec(store_pg_raw(a), "BEGIN"));
    int64_t hw = -1;
    ASSERT_OK(notify_db_hw(a, &hw));
    ASSERT_EQ(hw, 0);
    hw_reader x = {.c = b, .hw = -1};
    pthread_t t;
    ASSERT(pthread_create(&t, NULL, read_hw_in_tx, &x) == 0);
    usleep(300 * 1000); /* the second one is waiting by now */
    ASSERT_OK(notify_db_set_hw(a, hw + 5));
    PQclear(PQexec(store_pg_raw(a), "COMMIT"));
    pthread_join(t, NULL);
    ASSERT_OK(x.e);
    ASSERT_EQ(x.hw, hw + 5);
    store_conn_close(a);
    store_conn_close(b);
    store_close(st);
}

T_MAIN(T(retries_double_from_one_second_up_to_an_hour), T(audience_user_dept_role_area), T(kinds_known_and_texts),
       T(postgresql_two_producers_read_the_mark_in_turn))
