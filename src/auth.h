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
#define AUTH_MIN_PASSWORD 8

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
/* The built-in actor used by the CLI and the platform's own jobs. */
void auth_system_actor(jc_user *out, const char *name);

#endif
