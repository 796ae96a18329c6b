/*
 * audit.h -- the tamper-evident trace (留痕): verifying the hash chain of
 * the audit log and the case rows against it, and `jiceng audit`.  How the
 * chain is hashed: chain.h.
 */
#ifndef JC_AUDIT_H
#define JC_AUDIT_H

#include "chain.h"
#include "jc.h"
#include "model.h"

typedef struct jc_conn jc_conn;

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
