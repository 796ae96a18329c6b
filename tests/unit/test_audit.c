/*
 * test_audit.c -- verification of the audit chain: one case is verified
 * with the work and memory of its own entries whatever its id (a case
 * numbered 2^40 verifies; the earlier replay table sized by the id asked
 * for terabytes and failed), a changed row or a broken replay is named,
 * the whole chain's verification reports its progress, and its reads see
 * one state of the store while others commit (a case acted on between its
 * read of the entries and its read of the rows looked tampered with).
 */
#include "audit.h"
#include "store.h"
#include "store_sqlite.h"
#include "t.h"
#include "t_store.h"



typedef struct {
    int64_t id;
    jc_state states[4];
    int n;
} mk_arg;

/* Inserts case a->id and appends an entry per state of a->states, as
 * case.c would: the row as it stands after each action. */
static jc_err make_case(jc_conn *w, void *arg) {
    mk_arg *a = arg;
    jc_case k = {0};
    k.id = a->id;
    k.title = "井盖缺失";
    k.body = "人行道井盖缺失";
    snprintf(k.category, sizeof k.category, "0201");
    snprintf(k.source, sizeof k.source, "web");
    snprintf(k.area, sizeof k.area, "110101001001001");
    k.held_from = ST__COUNT;
    k.created_ms = k.updated_ms = 1700000000000;
    const char *from = "";
    for (int i = 0; i < a->n; i++) {
        k.state = a->states[i];
        k.version = i + 1;
        k.updated_ms += 1000;
        jc_audit e = {0};
        e.case_id = k.id;
        e.at_ms = k.updated_ms;
        snprintf(e.actor, sizeof e.actor, "t");
        snprintf(e.role, sizeof e.role, "dispatcher");
        snprintf(e.action, sizeof e.action, "step%d", i);
        snprintf(e.from_state, sizeof e.from_state, "%s", from);
        snprintf(e.to_state, sizeof e.to_state, "%s", state_name(k.state));
        snprintf(e.payload_hash, sizeof e.payload_hash, "%s", chain_empty_payload_hash());
        chain_case_hash(&k, e.state_hash);
        jc_err err = store_audit_append(w, &e);
        if (err) return err;
        from = state_name(k.state);
    }
    k.unsaved = 1; /* inserted with its own id */
    return store_case_insert(w, &k);
}


TEST(one_case_verified_whatever_its_id) {
    ASSERT_OK(t_store_open("audit"));
    mk_arg a = {(int64_t)1 << 40, {ST_REPORTED, ST_REGISTERED, ST_DISPATCHED}, 3};
    ASSERT_OK(store_exec(st, make_case, &a));
    jc_verify_report r;
    ASSERT_OK(audit_verify_case(rd, a.id, &r));
    ASSERT_STR_EQ(r.message, "");
    ASSERT_EQ(r.ok, 1);
    ASSERT_EQ(r.entries, 3);
    ASSERT_EQ(r.cases, 1);
    /* the row changed outside the program */
    ASSERT_OK(t_store_sql("UPDATE cases SET title='x'"));
    ASSERT_OK(audit_verify_case(rd, a.id, &r));
    ASSERT_EQ(r.ok, 0);
    ASSERT(strstr(r.message, "the row differs") != NULL);
    t_store_close();
}

TEST(a_replay_that_skips_a_state_is_named) {
    ASSERT_OK(t_store_open("audit"));
    mk_arg a = {7, {ST_REPORTED, ST_REGISTERED, ST_DISPATCHED}, 3};
    ASSERT_OK(store_exec(st, make_case, &a));
    /* the middle entry deleted: the entry after it no longer follows on.
     * Entry 3 as the releases before core migration 3 stored it, with its
     * prev_hash, so that its own hash still holds and the replay names it */
    ASSERT_OK(t_store_sql("UPDATE audit SET prev_hash=(SELECT p.hash FROM audit p WHERE p.seq=2) WHERE seq=3"));
    ASSERT_OK(t_store_sql("DELETE FROM audit WHERE seq=2"));
    jc_verify_report r;
    ASSERT_OK(audit_verify_case(rd, 7, &r));
    ASSERT_EQ(r.ok, 0);
    ASSERT(strstr(r.message, "moves from 'registered' but was 'reported'") != NULL);
    t_store_close();
}

TEST(a_deleted_entry_breaks_the_next_ones_derived_prev_hash) {
    ASSERT_OK(t_store_open("audit"));
    mk_arg a = {7, {ST_REPORTED, ST_REGISTERED, ST_DISPATCHED}, 3};
    ASSERT_OK(store_exec(st, make_case, &a));
    jc_verify_report r;
    ASSERT_OK(audit_verify_case(rd, 7, &r));
    ASSERT_EQ(r.ok, 1);
    /* rows written now store no prev_hash: it reads as entry seq - 1's hash */
    ASSERT_OK(t_store_sql("DELETE FROM audit WHERE seq=2 AND length(prev_hash)=0 AND"
                          " (SELECT length(prev_hash) FROM audit WHERE seq=3)=0"));
    ASSERT_OK(audit_verify_case(rd, 7, &r));
    ASSERT_EQ(r.ok, 0);
    ASSERT(strstr(r.message, "audit entry 3: contents do not match its hash") != NULL);
    ASSERT_OK(audit_verify(rd, &r));
    ASSERT_EQ(r.ok, 0);
    ASSERT_EQ(r.bad_seq, 3);
    t_store_close();
}

TEST(the_whole_chain_reports_its_progress) {
    ASSERT_OK(t_store_open("audit"));
    for (int64_t id = 1; id <= 3; id++) {
        mk_arg a = {id * 1000, {ST_REPORTED, ST_REGISTERED}, 2};
        ASSERT_OK(store_exec(st, make_case, &a));
    }
    jc_verify_report r;
    int64_t progress = -1;
    ASSERT_OK(audit_verify_watch(rd, &r, &progress));
    ASSERT_STR_EQ(r.message, "");
    ASSERT_EQ(r.ok, 1);
    ASSERT_EQ(r.entries, 6);
    ASSERT_EQ(r.cases, 3);
    ASSERT_EQ(progress, 6);
    /* a case row without entries */
    ASSERT_OK(t_store_sql("INSERT INTO cases(id, title, body, category, source, state, area, created_at, updated_at,"
                       " version) VALUES(5000, 'a', 'b', '0201', 'web', 'reported', '110101001', 1, 1, 1)"));
    ASSERT_OK(audit_verify(rd, &r));
    ASSERT_EQ(r.ok, 0);
    ASSERT_EQ(r.bad_case, 5000);
    t_store_close();
}

static int count_cb(const jc_case *k, void *arg) {
    (void)k;
    (*(int *)arg)++;
    return 0;
}

/* What verification relies on: between store_snapshot_begin and _end a
 * reader sees the store as it was, whatever commits meanwhile. */
TEST(a_snapshot_holds_while_others_commit) {
    ASSERT_OK(t_store_open("audit"));
    mk_arg a = {1, {ST_REPORTED}, 1};
    ASSERT_OK(store_exec(st, make_case, &a));
    int began, n = 0;
    ASSERT_OK(store_snapshot_begin(rd, &began));
    ASSERT_EQ(began, 1);
    ASSERT_OK(store_case_scan(rd, 0, count_cb, &n));
    ASSERT_EQ(n, 1);
    mk_arg b = {2, {ST_REPORTED, ST_REGISTERED}, 2};
    ASSERT_OK(store_exec(st, make_case, &b));
    n = 0;
    ASSERT_OK(store_case_scan(rd, 0, count_cb, &n));
    ASSERT_EQ(n, 1); /* still the state the snapshot began with */
    jc_verify_report r;
    ASSERT_OK(audit_verify(rd, &r)); /* inside it: the same state, consistent */
    ASSERT_EQ(r.ok, 1);
    ASSERT_EQ(r.cases, 1);
    store_snapshot_end(rd, began);
    n = 0;
    ASSERT_OK(store_case_scan(rd, 0, count_cb, &n));
    ASSERT_EQ(n, 2);
    t_store_close();
}

/* 2,500 cases of two entries each, in one job. */
static jc_err make_many(jc_conn *w, void *arg) {
    (void)arg;
    for (int64_t id = 1; id <= 2500; id++) {
        mk_arg a = {id, {ST_REPORTED, ST_REGISTERED}, 2};
        jc_err e = make_case(w, &a);
        if (e) return e;
    }
    return JC_OK;
}

/* The whole chain's verification checks the entries' hashes on other
 * threads in batches (1,024 entries) while it reads on; the first failure
 * in seq order is still the one named, whichever thread found it. */
TEST(the_first_failure_is_named_across_batches) {
    ASSERT_OK(t_store_open("audit"));
    ASSERT_OK(store_exec(st, make_many, NULL));
    jc_verify_report r;
    ASSERT_OK(audit_verify(rd, &r));
    ASSERT_STR_EQ(r.message, "");
    ASSERT_EQ(r.entries, 5000);
    /* an entry's contents changed, in the third batch */
    ASSERT_OK(t_store_sql("UPDATE audit SET actor='x' WHERE seq=4321"));
    ASSERT_OK(audit_verify(rd, &r));
    ASSERT_EQ(r.ok, 0);
    ASSERT_EQ(r.bad_seq, 4321);
    ASSERT(strstr(r.message, "contents do not match") != NULL);
    /* and an entry missing after it: the changed one is still the first */
    ASSERT_OK(t_store_sql("DELETE FROM audit WHERE seq=4900"));
    ASSERT_OK(audit_verify(rd, &r));
    ASSERT_EQ(r.bad_seq, 4321);
    /* an entry missing before it: that one is */
    ASSERT_OK(t_store_sql("DELETE FROM audit WHERE seq=100"));
    ASSERT_OK(audit_verify(rd, &r));
    ASSERT_EQ(r.bad_seq, 101);
    ASSERT(strstr(r.message, "entries are missing") != NULL);
    t_store_close();
    /* one entry whose contents and replay are both wrong: its hash is named,
     * as when one thread checked both */
    ASSERT_OK(t_store_open("audit"));
    ASSERT_OK(store_exec(st, make_many, NULL));
    ASSERT_OK(t_store_sql("UPDATE audit SET from_state='closed' WHERE seq=2002"));
    ASSERT_OK(audit_verify(rd, &r));
    ASSERT_EQ(r.bad_seq, 2002);
    ASSERT(strstr(r.message, "contents do not match") != NULL);
    t_store_close();
}

/* The case rows' hashes are checked on the same threads, in batches
 * (1,024 rows): the first changed row in id order is named whichever
 * thread found it, a row whose replay fails before a later changed row is
 * named first, and an entry or a row too long for a batch's arena is
 * still checked. */
TEST(the_first_changed_row_is_named_across_batches) {
    ASSERT_OK(t_store_open("audit"));
    ASSERT_OK(store_exec(st, make_many, NULL));
    jc_verify_report r;
    /* two rows changed, in the third batch and in the first */
    ASSERT_OK(t_store_sql("UPDATE cases SET title='x' WHERE id=2100"));
    ASSERT_OK(audit_verify(rd, &r));
    ASSERT_EQ(r.ok, 0);
    ASSERT_EQ(r.bad_case, 2100);
    ASSERT_EQ(r.bad_seq, 0);
    ASSERT(strstr(r.message, "the row differs") != NULL);
    ASSERT_OK(t_store_sql("UPDATE cases SET body='y' WHERE id=700"));
    ASSERT_OK(audit_verify(rd, &r));
    ASSERT_EQ(r.bad_case, 700);
    /* a row whose state its entries do not lead to, before them: that one */
    ASSERT_OK(t_store_sql("UPDATE cases SET state='closed' WHERE id=650"));
    ASSERT_OK(audit_verify(rd, &r));
    ASSERT_EQ(r.bad_case, 650);
    ASSERT(strstr(r.message, "its audit entries lead to") != NULL);
    /* and one after them: the changed row 700 is still the first */
    ASSERT_OK(t_store_sql("UPDATE cases SET state='registered' WHERE id=650"));
    ASSERT_OK(t_store_sql("UPDATE cases SET state='closed' WHERE id=1500"));
    ASSERT_OK(audit_verify(rd, &r));
    ASSERT_EQ(r.bad_case, 700);
    ASSERT(strstr(r.message, "the row differs") != NULL);
    t_store_close();
    /* texts larger than a batch's arena (256 KiB): checked all the same */
    ASSERT_OK(t_store_open("audit"));
    ASSERT_OK(store_exec(st, make_many, NULL));
    ASSERT_OK(t_store_sql("UPDATE cases SET body=printf('%.300000c', 'z') WHERE id=1200"));
    ASSERT_OK(audit_verify(rd, &r));
    ASSERT_EQ(r.bad_case, 1200);
    ASSERT(strstr(r.message, "the row differs") != NULL);
    ASSERT_OK(t_store_sql("UPDATE audit SET reason=printf('%.300000c', 'r') WHERE seq=3000"));
    ASSERT_OK(audit_verify(rd, &r));
    ASSERT_EQ(r.bad_seq, 3000);
    ASSERT(strstr(r.message, "contents do not match") != NULL);
    t_store_close();
}

/* The whole chain is read on several connections, 4,096 seqs each
 * (store_audit_walk_par) and checked in seq order: what happens at a
 * range's first entry (its derived prev_hash is the previous range's last
 * hash) is named as on one connection; rows of older stores (prev_hash
 * stored, as bytes or hex text; a hash as hex text) verify among derived
 * ones. */
TEST(the_chain_read_in_ranges_checks_their_borders) {
    ASSERT_OK(t_store_open("audit"));
    ASSERT_OK(store_exec(st, make_many, NULL));
    jc_verify_report r, r0;
    ASSERT_OK(audit_verify(rd, &r0));
    ASSERT_EQ(r0.ok, 1);
    ASSERT_EQ(r0.entries, 5000);
    /* older rows: prev_hash stored as bytes and as lower-case hex, a hash as hex */
    ASSERT_OK(t_store_sql("UPDATE audit SET prev_hash=(SELECT hash FROM audit WHERE seq=4096) WHERE seq=4097"));
    ASSERT_OK(t_store_sql("UPDATE audit SET prev_hash=lower(hex((SELECT hash FROM audit WHERE seq=4097))) WHERE seq=4098"));
    ASSERT_OK(t_store_sql("UPDATE audit SET prev_hash=lower(hex((SELECT hash FROM audit WHERE seq=4999))) WHERE seq=5000"));
    ASSERT_OK(t_store_sql("UPDATE audit SET hash=lower(hex(hash)) WHERE seq IN (4096, 4999)"));
    ASSERT_OK(audit_verify(rd, &r));
    ASSERT_STR_EQ(r.message, "");
    ASSERT_EQ(r.ok, 1);
    ASSERT_EQ(r.entries, 5000);
    ASSERT_STR_EQ(r.head_hash, r0.head_hash);
    /* a stored prev_hash that is not the hash before it, at a range's start */
    ASSERT_OK(t_store_sql("UPDATE audit SET prev_hash=zeroblob(32) WHERE seq=4097"));
    ASSERT_OK(audit_verify(rd, &r));
    ASSERT_EQ(r.ok, 0);
    ASSERT_EQ(r.bad_seq, 4097);
    ASSERT(strstr(r.message, "prev_hash does not match the hash of entry 4096") != NULL);
    /* in upper-case hex it is not the hash either (as before) */
    ASSERT_OK(t_store_sql("UPDATE audit SET prev_hash=hex((SELECT hash FROM audit WHERE seq=4096)) WHERE seq=4097"));
    ASSERT_OK(audit_verify(rd, &r));
    ASSERT_EQ(r.bad_seq, 4097);
    ASSERT(strstr(r.message, "prev_hash does not match") != NULL);
    t_store_close();
    /* the last entry of a range missing: the next range's first is named */
    ASSERT_OK(t_store_open("audit"));
    ASSERT_OK(store_exec(st, make_many, NULL));
    ASSERT_OK(t_store_sql("DELETE FROM audit WHERE seq=4096"));
    ASSERT_OK(audit_verify(rd, &r));
    ASSERT_EQ(r.ok, 0);
    ASSERT_EQ(r.bad_seq, 4097);
    ASSERT(strstr(r.message, "audit entry 4097 follows entry 4095: entries are missing") != NULL);
    t_store_close();
    /* a range's first entry changed; then the first range's last one too */
    ASSERT_OK(t_store_open("audit"));
    ASSERT_OK(store_exec(st, make_many, NULL));
    ASSERT_OK(t_store_sql("UPDATE audit SET reason='x' WHERE seq=4097"));
    ASSERT_OK(audit_verify(rd, &r));
    ASSERT_EQ(r.bad_seq, 4097);
    ASSERT(strstr(r.message, "contents do not match") != NULL);
    ASSERT_OK(t_store_sql("UPDATE audit SET at=at+1 WHERE seq=4096"));
    ASSERT_OK(audit_verify(rd, &r));
    ASSERT_EQ(r.bad_seq, 4096);
    ASSERT(strstr(r.message, "contents do not match") != NULL);
    /* a replay failure in the first range comes before both */
    ASSERT_OK(t_store_sql("UPDATE audit SET to_state='nowhere' WHERE seq=10"));
    ASSERT_OK(audit_verify(rd, &r));
    ASSERT_EQ(r.bad_seq, 10);
    t_store_close();
}

T_MAIN(T(one_case_verified_whatever_its_id), T(a_replay_that_skips_a_state_is_named), T(a_deleted_entry_breaks_the_next_ones_derived_prev_hash),
       T(the_whole_chain_reports_its_progress), T(a_snapshot_holds_while_others_commit),
       T(the_first_failure_is_named_across_batches), T(the_first_changed_row_is_named_across_batches),
       T(the_chain_read_in_ranges_checks_their_borders))
