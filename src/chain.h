/*
 * chain.h -- the hashes of the audit chain (chain.c).
 *
 * Every action is one row of an append-only log.  Each row carries the
 * BLAKE2b-256 hash of the previous row, so the rows form a chain:
 *
 *   hash = BLAKE2b-256("jiceng-audit-v1" || field_1 || ... || prev_hash)
 *
 * where every field is written as an 8-byte little-endian length followed by
 * its bytes (numbers as decimal text), in the order seq, case_id, at_ms,
 * actor_id, actor, role, action, from_state, to_state, reason, payload_hash,
 * state_hash, prev_hash.  The first row's prev_hash is the genesis value
 * (64 zeros).  state_hash is the hash of the case row right after the action
 * (chain_case_hash), so a case row altered outside the program no longer
 * matches the last entry of its case.  A storage backend computes them when
 * it appends (store_audit_append), audit.c when it verifies.
 */
#ifndef JC_CHAIN_H
#define JC_CHAIN_H

#include "jc.h"
#include "model.h"

/* A hash column as the whole chain's verification reads it (store_audit_walk):
 * text NULL when the column holds a hash (its 32 bytes, or its lower-case
 * hex as older rows store it), b then holding it; else text is what the
 * column reads as (a tampered value: not a hash), as chain_entry_hash would
 * see it in jc_audit. */
typedef struct {
    const char *text;
    unsigned char b[32];
} jc_hash_col;

/* The texts of an entry as stored, by pointer and length (never NULL; ""
 * for none). */
enum { JC_AR_ACTOR, JC_AR_ROLE, JC_AR_ACTION, JC_AR_FROM, JC_AR_TO, JC_AR_REASON, JC_AR__COUNT };

/* An audit entry as read for verification: no hex, no copies. */
typedef struct {
    int64_t seq, case_id, at_ms, actor_id;
    struct {
        const char *p; /* NUL-terminated */
        size_t n;
    } text[JC_AR__COUNT];
    jc_hash_col payload_hash, state_hash, prev_hash, hash;
} jc_audit_raw;

/* Two hash columns read alike (as the hex texts chain_entry_hash sees). */
int chain_hash_col_eq(const jc_hash_col *a, const jc_hash_col *b);
/* Fills h from a hash as text (a jc_audit's column): NULL text when it is
 * 64 lower-case hex digits. */
void chain_hash_col_from_text(jc_hash_col *h, const char *text);
/* The digest chain_entry_hash computes (as bytes), of the entry e reads as. */
void chain_entry_digest_raw(const jc_audit_raw *e, unsigned char out[32]);
/* The bytes chain_entry_digest_raw hashes, written to buf when they fit in
 * cap; returns their length (more than cap: nothing written).  Their hash
 * is chain_stream_digest's (the work split between threads: audit.c). */
size_t chain_entry_stream(const jc_audit_raw *e, unsigned char *buf, size_t cap);
/* BLAKE2b-256 of n bytes at p. */
void chain_stream_digest(const unsigned char *p, size_t n, unsigned char out[32]);

/* Writes the genesis prev_hash (64 '0' characters) into out[65]. */
void chain_genesis(char out[65]);
/* Computes the chain hash of e (all fields, including e->prev_hash). */
void chain_entry_hash(const jc_audit *e, char out[65]);
/* Hash of the canonical serialisation of a case row. */
void chain_case_hash(const jc_case *k, char out[65]);
/* The same hash as its 32 bytes. */
void chain_case_digest(const jc_case *k, unsigned char out[32]);
/* Hash of an arbitrary payload (request body) as hex. */
void chain_payload_hash(const void *p, size_t n, char out[65]);
/* chain_payload_hash of no payload (computed once). */
const char *chain_empty_payload_hash(void);

#endif
