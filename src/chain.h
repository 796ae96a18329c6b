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
