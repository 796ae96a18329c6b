/*
 * test_auth.c -- accounts (src/auth.c) without HTTP: password hashes that
 * check only their own password, session tokens whose stored hash is all
 * that is kept, user records validated against the catalogue, and audit
 * entries about no case that keep the chain whole.
 */
#include "audit.h"
#include "auth.h"
#include "store.h"
#include "t.h"

#include <unistd.h>

TEST(passwords_hash_with_salt_and_check) {
    ASSERT_OK(auth_init());
    char h1[160], h2[160];
    ASSERT_OK(auth_hash_password("correct horse", h1));
    ASSERT_OK(auth_hash_password("correct horse", h2));
    ASSERT(strcmp(h1, h2)); /* a salt of its own each time */
    ASSERT(!strncmp(h1, "$argon2id$", 10));
    ASSERT(auth_check_password(h1, "correct horse"));
    ASSERT(auth_check_password(h2, "correct horse"));
    ASSERT(!auth_check_password(h1, "correct horsE"));
    ASSERT(!auth_check_password(h1, ""));
    ASSERT(!auth_check_password("not a hash", "correct horse"));
}

TEST(tokens_are_kept_as_hashes) {
    ASSERT_OK(auth_init());
    char tok[65], stored[65], again[65], tok2[65], stored2[65];
    auth_new_token(tok, stored);
    auth_new_token(tok2, stored2);
    ASSERT_EQ(strlen(tok), 64);
    ASSERT(strcmp(tok, tok2) && strcmp(stored, stored2));
    ASSERT(strcmp(tok, stored)); /* the token itself is never what is stored */
    ASSERT_OK(auth_token_hash(tok, 64, again));
    ASSERT_STR_EQ(again, stored);
    ASSERT_EQ(auth_token_hash(tok, 63, again), JC_ERR_AUTH);
    char bad[65];
    memcpy(bad, tok, 65);
    bad[10] = 'G';
    ASSERT_EQ(auth_token_hash(bad, 64, again), JC_ERR_AUTH);
    bad[10] = 'A'; /* upper case is not a token either */
    ASSERT_EQ(auth_token_hash(bad, 64, again), JC_ERR_AUTH);
}

/* ---- on a store -------------------------------------------------------------- */

static jc_store *st;
static char tdir[64];
static int64_t dept_id;

static jc_err catalogue_run(jc_conn *w, void *arg) {
    (void)arg;
    jc_area a = {.code = "110101001", .level = "street", .name = "东华门街道"};
    jc_dept d = {.code = "chengguan", .name = "城管"};
    jc_err e;
    if ((e = store_area_put(w, &a)) || (e = store_dept_put(w, &d))) return e;
    dept_id = d.id;
    return JC_OK;
}

typedef struct {
    jc_user u;
    char msg[256];
} check;

static jc_err validate_run(jc_conn *w, void *arg) {
    check *c = arg;
    return auth_validate_user(w, &c->u, c->msg, sizeof c->msg);
}

static jc_err validate(const char *name, jc_role role, const char *area, int64_t dept, char *msg) {
    check c = {.u = {.role = role, .dept_id = dept}};
    snprintf(c.u.name, sizeof c.u.name, "%s", name);
    snprintf(c.u.area, sizeof c.u.area, "%s", area);
    jc_err e = store_exec(st, validate_run, &c);
    snprintf(msg, 256, "%s", c.msg);
    return e;
}

TEST(users_are_checked_against_the_catalogue) {
    snprintf(tdir, sizeof tdir, "/tmp/jc-auth-XXXXXX");
    ASSERT(mkdtemp(tdir));
    char path[128], msg[256];
    snprintf(path, sizeof path, "%s/t.db", tdir);
    int v;
    ASSERT_OK(auth_init());
    ASSERT_OK(store_open(path, &st));
    ASSERT_OK(store_migrate(st, &v));
    ASSERT_OK(store_exec(st, catalogue_run, NULL));
    ASSERT_OK(validate("li", ROLE_DISPATCHER, "110101001", 0, msg));
    ASSERT_OK(validate("wang", ROLE_RESIDENT, "", 0, msg));
    ASSERT_OK(validate("zhao", ROLE_DEPT_STAFF, "", dept_id, msg));
    ASSERT_EQ(validate("", ROLE_RESIDENT, "", 0, msg), JC_ERR_INVALID);
    ASSERT_EQ(validate("two words", ROLE_RESIDENT, "", 0, msg), JC_ERR_INVALID);
    ASSERT_EQ(validate("li", ROLE_DISPATCHER, "", 0, msg), JC_ERR_INVALID); /* a dispatcher needs an area */
    ASSERT(strstr(msg, "area"));
    ASSERT_EQ(validate("li", ROLE_DISPATCHER, "999999999", 0, msg), JC_ERR_INVALID);
    ASSERT(strstr(msg, "unknown area"));
    ASSERT_EQ(validate("zhao", ROLE_DEPT_STAFF, "", 0, msg), JC_ERR_INVALID);
    ASSERT_EQ(validate("zhao", ROLE_DEPT_STAFF, "", dept_id + 100, msg), JC_ERR_INVALID);
    ASSERT_EQ(validate("wang", ROLE_RESIDENT, "", dept_id, msg), JC_ERR_INVALID); /* only staff have one */
    ASSERT_EQ(validate("sys", ROLE_SYSTEM, "", 0, msg), JC_ERR_INVALID);
    store_close(st);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tdir);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", tdir);
}

static jc_err note_run(jc_conn *w, void *arg) {
    (void)arg;
    jc_user sys;
    auth_system_actor(&sys, "tests");
    jc_err e = auth_audit(w, &sys, "user_add", "added li");
    return e ? e : auth_audit(w, &sys, "catalogue", NULL);
}

static int last_entry(const jc_audit *e, void *arg) {
    jc_audit *out = arg;
    free(out->reason);
    *out = *e;
    out->reason = e->reason ? jc_strdup(e->reason) : NULL;
    return 0;
}

TEST(audit_entries_about_no_case_keep_the_chain) {
    snprintf(tdir, sizeof tdir, "/tmp/jc-auth-XXXXXX");
    ASSERT(mkdtemp(tdir));
    char path[128];
    snprintf(path, sizeof path, "%s/t.db", tdir);
    int v;
    ASSERT_OK(auth_init());
    ASSERT_OK(store_open(path, &st));
    ASSERT_OK(store_migrate(st, &v));
    ASSERT_OK(store_exec(st, note_run, NULL));
    jc_user sys;
    auth_system_actor(&sys, "tests");
    ASSERT_EQ(sys.role, ROLE_SYSTEM);
    ASSERT_STR_EQ(sys.name, "tests");
    jc_conn *c = NULL;
    ASSERT_OK(store_conn_open(st, &c));
    jc_audit e = {0};
    ASSERT_OK(store_audit_each(c, -1, last_entry, &e));
    ASSERT_EQ(e.seq, 2);
    ASSERT_EQ(e.case_id, 0);
    ASSERT_STR_EQ(e.action, "catalogue");
    ASSERT_STR_EQ(e.actor, "tests");
    ASSERT_STR_EQ(e.role, "system");
    ASSERT_STR_EQ(e.payload_hash, chain_empty_payload_hash());
    free(e.reason);
    jc_verify_report rep;
    ASSERT_OK(audit_verify(c, &rep));
    ASSERT(rep.ok);
    ASSERT_EQ(rep.entries, 2);
    store_conn_close(c);
    store_close(st);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tdir);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", tdir);
}

T_MAIN(T(passwords_hash_with_salt_and_check), T(tokens_are_kept_as_hashes), T(users_are_checked_against_the_catalogue),
       T(audit_entries_about_no_case_keep_the_chain))
