/*
 * audit.h -- the tamper-evident trace (留痕).
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
 * (audit_case_hash), so a case row altered outside the program no longer
 * matches the last entry of its case.
 */
#ifndef JC_AUDIT_H
#define JC_AUDIT_H

#include "jc.h"
#include "model.h"

typedef struct jc_conn jc_conn;

/* Writes the genesis prev_hash (64 '0' characters) into out[65]. */
void audit_genesis(char out[65]);
/* Computes the chain hash of e (all fields, including e->prev_hash). */
void audit_compute_hash(const jc_audit *e, char out[65]);
/* Hash of the canonical serialisation of a case row. */
void audit_case_hash(const jc_case *k, char out[65]);
/* Hash of an arbitrary payload (request body) as hex. */
void audit_payload_hash(const void *p, size_t n, char out[65]);
/* audit_payload_hash of no payload (computed once). */
const char *audit_empty_payload_hash(void);

typedef struct {
    int ok;
    int64_t entries, cases;
    int64_t bad_seq;      /* first bad audit entry (0 when the fault is a case row) */
    int64_t bad_case;     /* case involved, 0 if none */
    char message[256];    /* what is wrong, for people */
    char head_hash[65];   /* hash of the last entry */
} jc_verify_report;

/* Verifies the whole chain and every case row against its entries.
 * Returns JC_OK with report->ok = 0/1; other errors are storage failures. */
jc_err audit_verify(jc_conn *c, jc_verify_report *report) JC_MUST_CHECK;
/* audit_verify that stores the number of entries checked so far in
 * *progress (atomically, every 4096 entries and at the end) for another
 * thread to read; progress may be NULL.  Memory: 34 bytes per case id. */
jc_err audit_verify_watch(jc_conn *c, jc_verify_report *report, int64_t *progress) JC_MUST_CHECK;
/* Verifies the entries of one case (each entry's hash, the replay of its
 * states) and the case row against its last entry: the work and memory are
 * those of the case's own entries, whatever the case's id. */
jc_err audit_verify_case(jc_conn *c, int64_t case_id, jc_verify_report *report) JC_MUST_CHECK;

/* `jiceng audit verify|log|head` (a command of the core module). */
int cmd_audit(int argc, char **argv);

#endif
