/*
 * auth.h -- accounts: argon2id password hashes, session tokens (random, only
 * their hash stored), and validation of user records.
 */
#ifndef JC_AUTH_H
#define JC_AUTH_H

#include "jc.h"
#include "model.h"

typedef struct jc_conn jc_conn;

#define AUTH_SESSION_MS (12LL * 3600 * 1000) /* a session lasts 12 hours */
#define AUTH_MIN_PASSWORD 10 /* characters; see auth_password_ok */

/* Initialises libsodium; call once before anything else here. */
jc_err auth_init(void) JC_MUST_CHECK;
/* argon2id hash of password into out (crypto_pwhash_STRBYTES <= 160). */
jc_err auth_hash_password(const char *password, char out[160]) JC_MUST_CHECK;
/* 1 when password matches the stored hash. */
int auth_check_password(const char *hash, const char *password);
/* A new random token (64 hex chars) and its storage hash. */
void auth_new_token(char token[65], char token_hash[65]);
/* The storage hash of a presented token; JC_ERR_AUTH when malformed. */
jc_err auth_token_hash(const char *token, size_t len, char out[65]) JC_MUST_CHECK;
/* Checks a user record before insert (name, role and its scope) against the
 * catalogue; message gets the reason on JC_ERR_INVALID. */
jc_err auth_validate_user(jc_conn *c, const jc_user *u, char *message, size_t msz) JC_MUST_CHECK;
/* Appends an audit entry about no case (user and catalogue changes). */
jc_err auth_audit(jc_conn *w, const jc_user *actor, const char *action, const char *reason) JC_MUST_CHECK;
/* The reason of an audit entry about a user as a code (src/reason.h,
 * docs/audit.md): {"code":code,"user":login,"role":role,"area":scope or
 * null,"dept":id,"disabled":0|1}, written into dst (n >= 16 bytes) and
 * returned; the web UI words it in the reader's language. */
const char *auth_user_reason(char *dst, size_t n, const char *code, const jc_user *u);
/* The built-in actor used by the CLI and the platform's own jobs. */
void auth_system_actor(jc_user *out, const char *name);

/* The password policy (docs/security.md): at least AUTH_MIN_PASSWORD
 * characters and at most 127 bytes, not only digits, not one character
 * repeated, not containing the user's name, not on the list of common
 * passwords.  JC_OK, or JC_ERR_INVALID with the reason in msg. */
jc_err auth_password_ok(const char *password, const char *name, char *msg, size_t msz) JC_MUST_CHECK;

/* ---- login throttling (docs/security.md) ---------------------------------
 * Failed logins are counted per account name as typed (known or not) and
 * per client address.  A few are free; then each further attempt waits 1 s,
 * 2 s, 4 s ... (at most a minute) after the last failure; past a limit the
 * account or address is locked for 30 minutes, which an admin can lift
 * (API and `jiceng user unlock`).  Failures are forgotten an hour after the
 * last one; a successful login forgets its account's. */
typedef struct {
    char account[300]; /* "account:<name>" */
    char address[64];  /* "address:<ip>" */
} auth_keys;
/* Fills the throttling keys of a login for name from address addr. */
void auth_throttle_keys(const char *name, const char *addr, auth_keys *k);
/* Milliseconds a login with keys k must still wait at now (0: may try now);
 * *locked is set to 1 when the wait is a lockout. */
int64_t auth_throttle_wait(jc_conn *c, const auth_keys *k, int64_t now, int *locked);
/* Records a failed login at now (on the writer) and audits the start of a
 * throttle and a lockout (actor: the platform). */
jc_err auth_throttle_fail(jc_conn *w, const auth_keys *k, int64_t now) JC_MUST_CHECK;
/* A successful login: forgets the account's failures. */
jc_err auth_throttle_clear(jc_conn *w, const auth_keys *k) JC_MUST_CHECK;
/* Lifts key's failures and lock ("account:<name>" or "address:<ip>"),
 * audited as actor's; JC_ERR_NOTFOUND when there were none. */
jc_err auth_throttle_lift(jc_conn *w, const jc_user *actor, const char *key) JC_MUST_CHECK;
/* Concurrent attempts: 1 and counted when a login with keys k may start
 * now (at most 2 at once per account, 8 per address, so that a burst cannot
 * run ahead of the recorded failures); 0 when it must wait.  Every 1 is
 * matched by one auth_attempt_end. */
int auth_attempt_begin(const auth_keys *k);
void auth_attempt_end(const auth_keys *k);
/* `jiceng user add|list|passwd` (a command of the core module). */
int cmd_user(int argc, char **argv);

#endif
