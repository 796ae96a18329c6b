/*
 * audit.c -- verification of the audit chain (see audit.h; its hashes are
 * computed in chain.c), and the `jiceng audit` subcommand.
 */
#include "audit.h"
#include "cli.h"
#include "store.h"

#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- verification ----------------------------------------------------------
 * Entries are read in seq order.  Each case's replay keeps the state its
 * last entry led to and that entry's state hash: a slot per case id for the
 * whole chain (34 bytes each: ~340 MB at ten million cases), one slot for
 * the verification of a single case, whose cost is that case's own
 * entries. */

typedef struct {
    uint8_t state;  /* jc_state + 1 after an entry; 0 before any */
    uint8_t seen;   /* 1: entries seen; 2: and the row */
    unsigned char hash[32];
} replay_slot;

typedef struct {
    jc_verify_report *r;
    int64_t last_seq;
    char last_hash[65];
    replay_slot *slots;
    size_t nslots;
    replay_slot one;  /* the slot of a single case's verification */
    int single;
    int check_links; /* whole chain: seq contiguous and prev_hash links */
    int failed;
    int fail_kind;   /* of a failure in seq order: FAIL_LINK or FAIL_REPLAY */
    int64_t *progress; /* entries checked, for another thread (NULL: none) */
    struct hasher *hs; /* entry hashes checked by another thread (NULL: here) */
} verify_ctx;

enum { FAIL_LINK, FAIL_HASH, FAIL_REPLAY }; /* an entry's checks, in the order they are reported */

static int fail(verify_ctx *v, int64_t seq, int64_t case_id, const char *fmt, ...)
    JC_PRINTF(4, 5);
static int fail(verify_ctx *v, int64_t seq, int64_t case_id, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->r->message, sizeof v->r->message, fmt, ap);
    va_end(ap);
    v->r->ok = 0;
    v->r->bad_seq = seq;
    v->r->bad_case = case_id;
    v->failed = 1;
    return 1;
}

static replay_slot *slot_for(verify_ctx *v, int64_t case_id) {
    if (case_id <= 0) return NULL;
    if (v->single) return &v->one;
    if ((size_t)case_id >= v->nslots) {
        size_t n = v->nslots ? v->nslots + v->nslots / 2 : 4096;
        if (n <= (size_t)case_id) n = (size_t)case_id + 4096;
        replay_slot *ns = realloc(v->slots, n * sizeof *ns);
        if (!ns) return NULL;
        memset(ns + v->nslots, 0, (n - v->nslots) * sizeof *ns);
        v->slots = ns;
        v->nslots = n;
    }
    return &v->slots[case_id];
}

/* The state a slot holds as text ("" before any entry). */
static const char *slot_state(const replay_slot *s) {
    return s->state ? state_name((jc_state)(s->state - 1)) : "";
}

/* ---- entry hashes on a second thread ----------------------------------------
 * Each entry stores its predecessor's hash, so the entries' own hashes are
 * independent of one another: for the whole chain a second thread computes
 * them, a batch at a time, while this one reads on and checks the links and
 * the replay in seq order.  Reading (SQLite) and hashing (BLAKE2b) each took
 * about half of a verification's time on one thread.  The first failure in
 * seq order is reported as before: of one entry, a broken link before its
 * hash, its hash before its replay. */

#define HASH_BATCH 2048

typedef struct {
    jc_audit e[HASH_BATCH];
    int n;
} hash_batch;

typedef struct hasher {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    hash_batch *job; /* the batch the thread works on; NULL when idle */
    int quit;
    int64_t bad_seq, bad_case; /* the first entry whose hash did not match (0: none) */
    hash_batch *fill;          /* the batch this thread fills */
    hash_batch buf[2];
} hasher;

/* Checks the hashes of b's entries (recording the first mismatch in h if
 * none is recorded) and frees their reasons. */
static void hash_check(hasher *h, hash_batch *b) {
    int64_t bad_seq = 0, bad_case = 0;
    for (int i = 0; i < b->n; i++) {
        char x[65];
        chain_entry_hash(&b->e[i], x);
        if (!bad_seq && strcmp(x, b->e[i].hash)) bad_seq = b->e[i].seq, bad_case = b->e[i].case_id;
        audit_clear(&b->e[i]);
    }
    b->n = 0;
    pthread_mutex_lock(&h->mu);
    if (bad_seq && !h->bad_seq) h->bad_seq = bad_seq, h->bad_case = bad_case;
    pthread_mutex_unlock(&h->mu);
}

static void *hasher_main(void *arg) {
    hasher *h = arg;
    pthread_mutex_lock(&h->mu);
    for (;;) {
        while (!h->job && !h->quit) pthread_cond_wait(&h->cv, &h->mu);
        if (!h->job) break;
        hash_batch *b = h->job;
        pthread_mutex_unlock(&h->mu);
        hash_check(h, b);
        pthread_mutex_lock(&h->mu);
        h->job = NULL;
        pthread_cond_broadcast(&h->cv);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* A hasher with its thread started; NULL when it cannot be (then the
 * hashes are checked on the calling thread). */
static hasher *hasher_start(void) {
    hasher *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    h->fill = &h->buf[0];
    if (pthread_create(&h->thread, NULL, hasher_main, h)) {
        pthread_mutex_destroy(&h->mu);
        pthread_cond_destroy(&h->cv);
        free(h);
        return NULL;
    }
    return h;
}

/* Waits until the thread is idle; 1 when it has found a mismatch. */
static int hasher_idle(hasher *h) {
    pthread_mutex_lock(&h->mu);
    while (h->job) pthread_cond_wait(&h->cv, &h->mu);
    int bad = h->bad_seq != 0;
    pthread_mutex_unlock(&h->mu);
    return bad;
}

/* Hands the batch being filled to the thread and fills the other one;
 * 1 when a mismatch was found already (no point reading on). */
static int hasher_submit(hasher *h) {
    if (hasher_idle(h)) return 1;
    pthread_mutex_lock(&h->mu);
    h->job = h->fill;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    h->fill = h->fill == &h->buf[0] ? &h->buf[1] : &h->buf[0];
    return 0;
}

/* Queues a copy of e; 1 when reading should stop (a mismatch found). */
static int hasher_add(hasher *h, const jc_audit *e) {
    jc_audit *d = &h->fill->e[h->fill->n];
    *d = *e;
    d->reason = e->reason ? jc_strdup(e->reason) : NULL;
    if (e->reason && !d->reason) { /* out of memory: check it here, now */
        char x[65];
        chain_entry_hash(e, x);
        pthread_mutex_lock(&h->mu);
        if (strcmp(x, e->hash) && !h->bad_seq) h->bad_seq = e->seq, h->bad_case = e->case_id;
        int bad = h->bad_seq != 0;
        pthread_mutex_unlock(&h->mu);
        return bad;
    }
    return ++h->fill->n == HASH_BATCH ? hasher_submit(h) : 0;
}

/* Checks what is still queued, stops the thread, and reports its first
 * mismatch if it comes before the failure found in seq order (if any). */
static void hasher_finish(verify_ctx *v) {
    hasher *h = v->hs;
    if (!h) return;
    hasher_idle(h);
    hash_check(h, h->fill);
    pthread_mutex_lock(&h->mu);
    h->quit = 1;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, NULL);
    if (h->bad_seq && (!v->failed || h->bad_seq < v->r->bad_seq ||
                       (h->bad_seq == v->r->bad_seq && v->fail_kind == FAIL_REPLAY)))
        fail(v, h->bad_seq, h->bad_case, "audit entry %lld: contents do not match its hash", (long long)h->bad_seq);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    free(h);
    v->hs = NULL;
}

static int verify_entry(const jc_audit *e, void *arg) {
    verify_ctx *v = arg;
    char h[65];
    v->r->entries++;
    if (v->progress && !(v->r->entries & 4095)) __atomic_store_n(v->progress, v->r->entries, __ATOMIC_RELAXED);
    if (v->check_links) {
        v->fail_kind = FAIL_LINK;
        if (e->seq != v->last_seq + 1)
            return fail(v, e->seq, e->case_id, "audit entry %lld follows entry %lld: entries are missing",
                        (long long)e->seq, (long long)v->last_seq);
        if (strcmp(e->prev_hash, v->last_hash))
            return fail(v, e->seq, e->case_id,
                        "audit entry %lld: prev_hash does not match the hash of entry %lld",
                        (long long)e->seq, (long long)v->last_seq);
    }
    if (v->hs) {
        if (hasher_add(v->hs, e)) return 1; /* hasher_finish reports it */
    } else {
        chain_entry_hash(e, h);
        if (strcmp(h, e->hash))
            return fail(v, e->seq, e->case_id, "audit entry %lld: contents do not match its hash",
                        (long long)e->seq);
    }
    v->fail_kind = FAIL_REPLAY;
    v->last_seq = e->seq;
    memcpy(v->last_hash, e->hash, 65);
    if (e->case_id > 0) {
        replay_slot *s = slot_for(v, e->case_id);
        if (!s) return fail(v, e->seq, e->case_id, "out of memory");
        if (!s->seen && e->from_state[0])
            return fail(v, e->seq, e->case_id,
                        "audit entry %lld: first entry of case %lld starts from '%s', not creation",
                        (long long)e->seq, (long long)e->case_id, e->from_state);
        if (s->seen && strcmp(slot_state(s), e->from_state))
            return fail(v, e->seq, e->case_id,
                        "audit entry %lld: case %lld moves from '%s' but was '%s'",
                        (long long)e->seq, (long long)e->case_id, e->from_state, slot_state(s));
        int to = state_parse(e->to_state);
        if (to < 0)
            return fail(v, e->seq, e->case_id, "audit entry %lld: case %lld moves to an unknown state '%s'",
                        (long long)e->seq, (long long)e->case_id, e->to_state);
        s->seen = 1;
        s->state = (uint8_t)(to + 1);
        /* a state hash that is not one (an edit the entry's hash did not
         * catch cannot make one) matches no row: all zeros */
        if (jc_unhex(e->state_hash, s->hash, sizeof s->hash)) memset(s->hash, 0, sizeof s->hash);
    }
    return 0;
}

static int verify_case_row(const jc_case *k, void *arg) {
    verify_ctx *v = arg;
    v->r->cases++;
    replay_slot *s = v->single ? &v->one : (size_t)k->id < v->nslots ? &v->slots[k->id] : NULL;
    if (!s || !s->seen)
        return fail(v, 0, k->id, "case %lld has no audit entries", (long long)k->id);
    if (s->state != (uint8_t)(k->state + 1))
        return fail(v, 0, k->id, "case %lld is '%s' but its audit entries lead to '%s'",
                    (long long)k->id, state_name(k->state), slot_state(s));
    char h[65];
    unsigned char b[32];
    chain_case_hash(k, h);
    if (jc_unhex(h, b, sizeof b) || memcmp(b, s->hash, sizeof b))
        return fail(v, 0, k->id,
                    "case %lld: the row differs from what its last audit entry recorded",
                    (long long)k->id);
    s->seen = 2; /* row present */
    return 0;
}

jc_err audit_verify_watch(jc_conn *c, jc_verify_report *r, int64_t *progress) {
    memset(r, 0, sizeof *r);
    r->ok = 1;
    verify_ctx v = {.r = r, .check_links = 1, .progress = progress, .hs = hasher_start()};
    chain_genesis(v.last_hash);
    /* the entries and the rows of one moment: an action committed between
     * the two reads would otherwise show a row newer than its entries */
    int snap;
    jc_err e = store_snapshot_begin(c, &snap);
    if (!e) e = store_audit_each(c, -1, verify_entry, &v);
    hasher_finish(&v);
    if (!e && !v.failed) e = store_case_scan(c, 0, verify_case_row, &v);
    if (!e && !v.failed) {
        for (size_t i = 0; i < v.nslots; i++)
            if (v.slots[i].seen == 1) {
                fail(&v, 0, (int64_t)i, "case %zu has audit entries but no row (deleted?)", i);
                break;
            }
    }
    store_snapshot_end(c, snap);
    if (progress) __atomic_store_n(progress, r->entries, __ATOMIC_RELAXED);
    memcpy(r->head_hash, v.last_hash, 65);
    free(v.slots);
    return e;
}

jc_err audit_verify(jc_conn *c, jc_verify_report *r) { return audit_verify_watch(c, r, NULL); }

jc_err audit_verify_case(jc_conn *c, int64_t case_id, jc_verify_report *r) {
    memset(r, 0, sizeof *r);
    r->ok = 1;
    verify_ctx v = {.r = r, .check_links = 0, .single = 1};
    chain_genesis(v.last_hash);
    int snap;
    jc_err e = store_snapshot_begin(c, &snap);
    if (!e) e = store_audit_each(c, case_id, verify_entry, &v);
    if (!e && !v.failed) e = store_case_scan(c, case_id, verify_case_row, &v);
    store_snapshot_end(c, snap);
    if (!e && !v.failed && r->cases == 0) fail(&v, 0, case_id, "case %lld not found", (long long)case_id);
    memcpy(r->head_hash, v.last_hash, 65);
    return e;
}

/* ---- jiceng audit --------------------------------------------------------- */

static int print_entry(const jc_audit *e, void *arg) {
    (void)arg;
    char ts[40];
    jc_fmt_utc(e->at_ms, ts, sizeof ts);
    printf("%lld\t%s\tcase=%lld\t%s(%s)\t%s\t%s->%s\t%s\t%.16s\n", (long long)e->seq, ts,
           (long long)e->case_id, e->actor, e->role, e->action, e->from_state, e->to_state,
           e->reason ? e->reason : "", e->hash);
    return 0;
}

int cmd_audit(int argc, char **argv) {
    static const char help[] =
        "usage: jiceng audit verify --db DB   check the whole chain and every case row\n"
        "       jiceng audit log --db DB [--case ID]   print entries (seq, time, actor, action)\n"
        "       jiceng audit head --db DB     print the last entry's seq and hash (publish it\n"
        "                                      elsewhere to anchor the log)\n"
        "verify exits 0 when intact, 1 naming the first bad entry or case.\n";
    if (argc < 2 || cli_wants_help(argc, argv)) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? JC_EXIT_USAGE : JC_EXIT_OK;
    }
    const char *sub = argv[1], *db = NULL;
    int64_t case_id = -1;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--db") && i + 1 < argc) db = argv[++i];
        else if (!strcmp(argv[i], "--case") && i + 1 < argc) {
            if (case_number_parse(argv[++i], &case_id))
                return cli_usage_error("audit", "bad case id '%s'", argv[i]);
        } else return cli_usage_error("audit", "unexpected argument '%s'", argv[i]);
    }
    if (!db) return cli_usage_error("audit", "missing --db DB");
    if (strcmp(sub, "verify") && strcmp(sub, "log") && strcmp(sub, "head"))
        return cli_usage_error("audit", "unknown subcommand '%s'", sub);
    if (sodium_init() < 0) return JC_EXIT_FAIL;
    jc_store *st = NULL;
    jc_conn *c = NULL;
    if (store_open(db, &st) || store_conn_open(st, &c)) {
        fprintf(stderr, "jiceng audit: cannot open %s\n", db);
        store_close(st);
        return JC_EXIT_FAIL;
    }
    int rc = JC_EXIT_OK;
    if (!strcmp(sub, "log")) {
        if (store_audit_each(c, case_id, print_entry, NULL)) rc = JC_EXIT_FAIL;
    } else {
        jc_verify_report r;
        jc_err e = audit_verify(c, &r);
        if (e) {
            fprintf(stderr, "jiceng audit: storage error: %s\n", jc_err_code(e));
            rc = JC_EXIT_FAIL;
        } else if (!strcmp(sub, "head")) {
            printf("%lld %s\n", (long long)r.entries, r.head_hash);
        } else if (r.ok) {
            printf("ok: %lld entries, %lld cases, head %s\n", (long long)r.entries,
                   (long long)r.cases, r.head_hash);
        } else {
            printf("FAILED: %s\n", r.message);
            if (r.bad_seq) printf("first bad entry: seq %lld\n", (long long)r.bad_seq);
            if (r.bad_case) printf("case: %lld\n", (long long)r.bad_case);
            rc = JC_EXIT_FAIL;
        }
    }
    store_conn_close(c);
    store_close(st);
    return rc;
}
