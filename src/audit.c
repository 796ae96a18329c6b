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
#include <unistd.h>

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
    jc_hash_col last;  /* the whole chain: last_hash as read (store_audit_walk) */
    char last_text[65];
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

/* ---- hashes on other threads ------------------------------------------------
 * Each entry stores its predecessor's hash, so the entries' own hashes are
 * independent of one another, and so are the case rows' hashes once the
 * replay has given each case the state hash its last entry recorded: for
 * the whole chain a pool of threads (one per processor, at most
 * HASH_THREADS) computes them, a batch at a time, while this thread reads
 * on and checks the links and the replay in seq order: the case rows
 * always; the entries when the store cannot read them on several threads
 * (PostgreSQL; SQLite reads and hashes them on its reading threads, see
 * walk_work below).  A batch holds copies of its rows, their texts (an
 * entry's: the bytes its hash covers) in the batch's own arena (no
 * allocation per row).  The first failure in seq order is
 * reported as before: of one entry, a broken link before its hash, its
 * hash before its replay; of one case row, its replay checks before its
 * hash; every entry before every case row. */

#define HASH_BATCH 1024
#define HASH_ARENA (256u << 10)
#define HASH_THREADS 8

typedef struct hash_batch {
    struct hash_batch *next;
    int n, cases;    /* rows held; 1: case rows (k, want), 2: entries (r) */
    size_t used;     /* of arena */
    struct {             /* entries as read: the bytes hashed, in the arena */
        int64_t seq, case_id;
        size_t off, len;
        jc_hash_col hash; /* its text (if any) in the arena too */
    } r[HASH_BATCH];
    jc_case k[HASH_BATCH];
    unsigned char want[HASH_BATCH][32]; /* a case row's hash as its last entry recorded */
    char arena[HASH_ARENA];
} hash_batch;

typedef struct hasher {
    pthread_t thread[HASH_THREADS];
    int nthreads;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    hash_batch *queue, **tail; /* full batches, oldest first */
    hash_batch *free_list;
    int busy;                  /* batches queued or being hashed */
    int quit;
    int bad;                   /* a mismatch was found */
    int64_t bad_seq, bad_case; /* the first entry whose hash did not match (0: none) */
    int64_t bad_row;           /* the first case row whose hash did not match (0: none) */
    hash_batch *fill;          /* the batch this thread fills */
} hasher;

/* Checks the hashes of b's rows: the first mismatch (in seq or id order)
 * is recorded in h unless an earlier one is. */
static void hash_check(hasher *h, hash_batch *b) {
    int64_t bad_seq = 0, bad_case = 0, bad_row = 0;
    if (b->cases == 2) {
        for (int i = 0; i < b->n && !bad_seq; i++) {
            unsigned char d[32];
            chain_stream_digest((const unsigned char *)b->arena + b->r[i].off, b->r[i].len, d);
            if (b->r[i].hash.text || memcmp(d, b->r[i].hash.b, 32)) bad_seq = b->r[i].seq, bad_case = b->r[i].case_id;
        }
    } else {
        for (int i = 0; i < b->n && !bad_row; i++) {
            unsigned char d[32];
            chain_case_digest(&b->k[i], d);
            if (memcmp(d, b->want[i], 32)) bad_row = b->k[i].id;
        }
    }
    b->n = 0;
    b->used = 0;
    if (!bad_seq && !bad_row) return;
    pthread_mutex_lock(&h->mu);
    if (bad_seq && (!h->bad_seq || bad_seq < h->bad_seq)) h->bad_seq = bad_seq, h->bad_case = bad_case;
    if (bad_row && (!h->bad_row || bad_row < h->bad_row)) h->bad_row = bad_row;
    h->bad = 1;
    pthread_mutex_unlock(&h->mu);
}

static void *hasher_main(void *arg) {
    hasher *h = arg;
    pthread_mutex_lock(&h->mu);
    for (;;) {
        while (!h->queue && !h->quit) pthread_cond_wait(&h->cv, &h->mu);
        if (!h->queue) break;
        hash_batch *b = h->queue;
        h->queue = b->next;
        if (!h->queue) h->tail = &h->queue;
        pthread_mutex_unlock(&h->mu);
        hash_check(h, b);
        pthread_mutex_lock(&h->mu);
        b->next = h->free_list;
        h->free_list = b;
        h->busy--;
        pthread_cond_broadcast(&h->cv);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

static hash_batch *batch_new(void) {
    hash_batch *b = malloc(sizeof *b);
    if (b) b->next = NULL, b->n = 0, b->cases = 0, b->used = 0;
    return b;
}

static void hasher_free(hasher *h) {
    for (hash_batch *b = h->free_list, *n; b; b = n) n = b->next, free(b);
    free(h->fill);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    free(h);
}

/* A hasher with its threads started; NULL when none can be (then the
 * hashes are checked on the calling thread). */
static hasher *hasher_start(void) {
    hasher *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    h->tail = &h->queue;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int want = ncpu < 1 ? 1 : ncpu > HASH_THREADS ? HASH_THREADS : (int)ncpu;
    /* two batches a thread: one hashed, one queued, while this one fills */
    for (int i = 0; i < 2 * want + 1; i++) {
        hash_batch *b = batch_new();
        if (!b) break;
        b->next = h->free_list;
        h->free_list = b;
    }
    h->fill = h->free_list;
    if (h->fill) h->free_list = h->fill->next;
    while (h->fill && h->free_list && h->nthreads < want &&
           pthread_create(&h->thread[h->nthreads], NULL, hasher_main, h) == 0)
        h->nthreads++;
    if (!h->nthreads) {
        hasher_free(h);
        return NULL;
    }
    return h;
}

/* Hands the batch being filled to the threads and takes a free one;
 * 1 when a mismatch was found already (no point reading on). */
static int hasher_submit(hasher *h) {
    pthread_mutex_lock(&h->mu);
    if (h->fill->n) {
        h->fill->next = NULL;
        *h->tail = h->fill;
        h->tail = &h->fill->next;
        h->busy++;
        pthread_cond_signal(&h->cv);
        while (!h->free_list) pthread_cond_wait(&h->cv, &h->mu);
        h->fill = h->free_list;
        h->free_list = h->fill->next;
    }
    int bad = h->bad;
    pthread_mutex_unlock(&h->mu);
    return bad;
}

/* Waits until every batch handed over is hashed; 1 when a mismatch was
 * found. */
static int hasher_drain(hasher *h) {
    pthread_mutex_lock(&h->mu);
    while (h->busy) pthread_cond_wait(&h->cv, &h->mu);
    int bad = h->bad;
    pthread_mutex_unlock(&h->mu);
    return bad;
}

/* A copy of s in the batch's arena, or NULL (set *full) when it does not fit. */
static char *arena_dup(hash_batch *b, const char *s, int *full) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    if (n > HASH_ARENA - b->used) {
        *full = 1;
        return NULL;
    }
    char *d = memcpy(b->arena + b->used, s, n);
    b->used += n;
    return d;
}

/* Queues the bytes e's hash covers (written here, hashed by the pool: one
 * copy of its texts); 1 when reading should stop (a mismatch found). */
static int hasher_add_raw(hasher *h, const jc_audit_raw *e) {
    for (int pass = 0;; pass++) {
        hash_batch *b = h->fill;
        if (b->cases != 2 && b->n && hasher_submit(h)) return 1;
        b = h->fill;
        b->cases = 2;
        size_t room = HASH_ARENA - b->used;
        size_t tn = e->hash.text ? strlen(e->hash.text) + 1 : 0;
        size_t n = room > tn ? chain_entry_stream(e, (unsigned char *)b->arena + b->used, room - tn) : room + 1;
        if (n + tn <= room) {
            b->r[b->n].seq = e->seq;
            b->r[b->n].case_id = e->case_id;
            b->r[b->n].off = b->used;
            b->r[b->n].len = n;
            b->r[b->n].hash = e->hash;
            b->used += n;
            if (tn) b->r[b->n].hash.text = memcpy(b->arena + b->used, e->hash.text, tn), b->used += tn;
            return ++b->n == HASH_BATCH ? hasher_submit(h) : 0;
        }
        if (pass || !b->n) break; /* larger than an arena */
        if (hasher_submit(h)) return 1;
    }
    unsigned char x[32]; /* checked here, now */
    chain_entry_digest_raw(e, x);
    pthread_mutex_lock(&h->mu);
    if ((e->hash.text || memcmp(x, e->hash.b, 32)) && (!h->bad_seq || e->seq < h->bad_seq))
        h->bad_seq = e->seq, h->bad_case = e->case_id, h->bad = 1;
    int bad = h->bad;
    pthread_mutex_unlock(&h->mu);
    return bad;
}

/* Queues a copy of case row k with the hash want its last entry recorded;
 * 1 when reading should stop. */
static int hasher_add_case(hasher *h, const jc_case *k, const unsigned char want[32]) {
    for (int pass = 0;; pass++) {
        hash_batch *b = h->fill;
        if (b->cases != 1 && b->n && hasher_submit(h)) return 1;
        b = h->fill;
        b->cases = 1;
        jc_case *d = &b->k[b->n];
        int full = 0;
        *d = *k;
        d->title = arena_dup(b, k->title, &full);
        d->body = arena_dup(b, k->body, &full);
        d->address = arena_dup(b, k->address, &full);
        d->extra = arena_dup(b, k->extra, &full);
        if (!full) {
            memcpy(b->want[b->n], want, 32);
            return ++b->n == HASH_BATCH ? hasher_submit(h) : 0;
        }
        if (pass || !b->n) break;
        if (hasher_submit(h)) return 1;
    }
    unsigned char d[32];
    chain_case_digest(k, d);
    pthread_mutex_lock(&h->mu);
    if (memcmp(d, want, 32) && (!h->bad_row || k->id < h->bad_row)) h->bad_row = k->id, h->bad = 1;
    int bad = h->bad;
    pthread_mutex_unlock(&h->mu);
    return bad;
}

/* After the entries: hashes what is still queued and reports the first
 * entry whose hash did not match if it comes before the failure found in
 * seq order (if any); 1 when any failure is known. */
static int hasher_entries_done(verify_ctx *v) {
    hasher *h = v->hs;
    if (!h) return v->failed;
    hasher_submit(h);
    hasher_drain(h);
    if (h->bad_seq && (!v->failed || h->bad_seq < v->r->bad_seq ||
                       (h->bad_seq == v->r->bad_seq && v->fail_kind == FAIL_REPLAY)))
        fail(v, h->bad_seq, h->bad_case, "audit entry %lld: contents do not match its hash", (long long)h->bad_seq);
    return v->failed;
}

/* After the case rows: as above for the first row whose hash did not
 * match; then stops the threads. */
static void hasher_finish(verify_ctx *v) {
    hasher *h = v->hs;
    if (!h) return;
    hasher_submit(h);
    hasher_drain(h);
    if (h->bad_row && !h->bad_seq && (!v->failed || (v->r->bad_seq == 0 && h->bad_row < v->r->bad_case)))
        fail(v, 0, h->bad_row, "case %lld: the row differs from what its last audit entry recorded",
             (long long)h->bad_row);
    pthread_mutex_lock(&h->mu);
    h->quit = 1;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    for (int i = 0; i < h->nthreads; i++) pthread_join(h->thread[i], NULL);
    hasher_free(h);
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
    chain_entry_hash(e, h); /* (one case: no pool) */
    if (strcmp(h, e->hash))
        return fail(v, e->seq, e->case_id, "audit entry %lld: contents do not match its hash", (long long)e->seq);
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

/* The replay of an entry of case case_id from state from to state to,
 * recording the state hash sh. */
static int replay(verify_ctx *v, int64_t seq, int64_t case_id, const char *from, const char *to,
                  const jc_hash_col *sh) {
    if (case_id <= 0) return 0;
    replay_slot *s = slot_for(v, case_id);
    if (!s) return fail(v, seq, case_id, "out of memory");
    if (!s->seen && from[0])
        return fail(v, seq, case_id, "audit entry %lld: first entry of case %lld starts from '%s', not creation",
                    (long long)seq, (long long)case_id, from);
    if (s->seen && strcmp(slot_state(s), from))
        return fail(v, seq, case_id, "audit entry %lld: case %lld moves from '%s' but was '%s'", (long long)seq,
                    (long long)case_id, from, slot_state(s));
    int st = state_parse(to);
    if (st < 0)
        return fail(v, seq, case_id, "audit entry %lld: case %lld moves to an unknown state '%s'", (long long)seq,
                    (long long)case_id, to);
    s->seen = 1;
    s->state = (uint8_t)(st + 1);
    /* a state hash that is not one matches no row: all zeros */
    if (sh->text) memset(s->hash, 0, sizeof s->hash);
    else memcpy(s->hash, sh->b, sizeof s->hash);
    return 0;
}

/* verify_entry for an entry as store_audit_walk reads it: the same checks
 * in the same order, with the same messages. */
static int verify_entry_raw(const jc_audit_raw *e, void *arg) {
    verify_ctx *v = arg;
    const char *from = e->text[JC_AR_FROM].p, *to = e->text[JC_AR_TO].p;
    v->r->entries++;
    if (v->progress && !(v->r->entries & 4095)) __atomic_store_n(v->progress, v->r->entries, __ATOMIC_RELAXED);
    v->fail_kind = FAIL_LINK;
    if (e->seq != v->last_seq + 1)
        return fail(v, e->seq, e->case_id, "audit entry %lld follows entry %lld: entries are missing",
                    (long long)e->seq, (long long)v->last_seq);
    if (!chain_hash_col_eq(&e->prev_hash, &v->last))
        return fail(v, e->seq, e->case_id, "audit entry %lld: prev_hash does not match the hash of entry %lld",
                    (long long)e->seq, (long long)v->last_seq);
    if (v->hs) {
        if (hasher_add_raw(v->hs, e)) return 1; /* hasher_finish reports it */
    } else {
        unsigned char d[32];
        chain_entry_digest_raw(e, d);
        if (e->hash.text || memcmp(d, e->hash.b, 32))
            return fail(v, e->seq, e->case_id, "audit entry %lld: contents do not match its hash",
                        (long long)e->seq);
    }
    v->fail_kind = FAIL_REPLAY;
    v->last_seq = e->seq;
    v->last = e->hash;
    if (v->last.text) {
        snprintf(v->last_text, sizeof v->last_text, "%s", e->hash.text);
        v->last.text = v->last_text;
    }
    return replay(v, e->seq, e->case_id, from, to, &e->state_hash);
}

/* ---- the chain read and hashed on several threads (SQLite) -----------------
 * Each reading thread (store_audit_walk_par) hashes the entries it reads
 * and keeps of each what the checks in seq order need; this thread then
 * checks the links, the hashes' outcome and the replay of every entry in
 * seq order, as verify_entry_raw does, so the first failure is the same.
 * Reading took as long as hashing; on one thread it bounded the rate. */

typedef struct {
    int64_t seq, case_id;
    int hash_ok;
    jc_hash_col prev, hash, state;
    char from[16], to[16];   /* as a jc_audit holds them */
    char text[3][65];        /* the hash columns' texts, if any */
} walk_slot;

static void slot_col(walk_slot *w, jc_hash_col *d, const jc_hash_col *c, int i) {
    *d = *c;
    if (c->text) d->text = memcpy(w->text[i], c->text, strnlen(c->text, 64) + 1), w->text[i][64] = 0;
}

static void slot_text(char *d, size_t cap, const char *p, size_t n) {
    if (n >= cap) n = cap - 1;
    memcpy(d, p, n);
    d[n] = 0;
}

static void walk_work(const jc_audit_raw *e, void *slot, void *arg) {
    (void)arg;
    walk_slot *w = slot;
    unsigned char buf[2048], d[32];
    size_t n = chain_entry_stream(e, buf, sizeof buf);
    if (n <= sizeof buf) chain_stream_digest(buf, n, d);
    else chain_entry_digest_raw(e, d);
    w->seq = e->seq;
    w->case_id = e->case_id;
    w->hash_ok = !e->hash.text && !memcmp(d, e->hash.b, 32);
    slot_col(w, &w->prev, &e->prev_hash, 0);
    slot_col(w, &w->hash, &e->hash, 1);
    slot_col(w, &w->state, &e->state_hash, 2);
    slot_text(w->from, sizeof w->from, e->text[JC_AR_FROM].p, e->text[JC_AR_FROM].n);
    slot_text(w->to, sizeof w->to, e->text[JC_AR_TO].p, e->text[JC_AR_TO].n);
}

/* verify_entry_raw's checks, of an entry hashed already. */
static int walk_each(void *slot, void *arg) {
    verify_ctx *v = arg;
    walk_slot *e = slot;
    v->r->entries++;
    if (v->progress && !(v->r->entries & 4095)) __atomic_store_n(v->progress, v->r->entries, __ATOMIC_RELAXED);
    if (e->seq != v->last_seq + 1)
        return fail(v, e->seq, e->case_id, "audit entry %lld follows entry %lld: entries are missing",
                    (long long)e->seq, (long long)v->last_seq);
    if (!chain_hash_col_eq(&e->prev, &v->last))
        return fail(v, e->seq, e->case_id, "audit entry %lld: prev_hash does not match the hash of entry %lld",
                    (long long)e->seq, (long long)v->last_seq);
    if (!e->hash_ok)
        return fail(v, e->seq, e->case_id, "audit entry %lld: contents do not match its hash", (long long)e->seq);
    v->last_seq = e->seq;
    v->last = e->hash;
    if (v->last.text) v->last.text = memcpy(v->last_text, e->hash.text, strlen(e->hash.text) + 1);
    return replay(v, e->seq, e->case_id, e->from, e->to, &e->state);
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
    s->seen = 2; /* row present */
    if (v->hs) return hasher_add_case(v->hs, k, s->hash); /* hasher_finish reports it */
    unsigned char b[32];
    chain_case_digest(k, b);
    if (memcmp(b, s->hash, sizeof b))
        return fail(v, 0, k->id,
                    "case %lld: the row differs from what its last audit entry recorded",
                    (long long)k->id);
    return 0;
}

jc_err audit_verify_watch(jc_conn *c, jc_verify_report *r, int64_t *progress) {
    memset(r, 0, sizeof *r);
    r->ok = 1;
    verify_ctx v = {.r = r, .check_links = 1, .progress = progress, .hs = hasher_start()};
    chain_genesis(v.last_hash); /* and v.last: the genesis value's bytes, zeros */
    /* the entries and the rows of one moment: an action committed between
     * the two reads would otherwise show a row newer than its entries */
    int snap;
    jc_err e = store_snapshot_begin(c, &snap);
    if (!e) {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        int nread = ncpu < 1 ? 1 : ncpu > HASH_THREADS ? HASH_THREADS : (int)ncpu;
        e = store_audit_walk_par(c, nread, sizeof(walk_slot), walk_work, walk_each, &v);
        if (e == JC_ERR_UNAVAILABLE) e = store_audit_walk(c, verify_entry_raw, &v);
    }
    if (!hasher_entries_done(&v) && !e) e = store_case_scan(c, 0, verify_case_row, &v);
    hasher_finish(&v);
    if (!e && !v.failed) {
        for (size_t i = 0; i < v.nslots; i++)
            if (v.slots[i].seen == 1) {
                fail(&v, 0, (int64_t)i, "case %zu has audit entries but no row (deleted?)", i);
                break;
            }
    }
    store_snapshot_end(c, snap);
    if (progress) __atomic_store_n(progress, r->entries, __ATOMIC_RELAXED);
    if (v.last.text) snprintf(r->head_hash, sizeof r->head_hash, "%s", v.last.text);
    else jc_hex(v.last.b, 32, r->head_hash);
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
    char newer[300];
    if (store_refuse_newer(db, newer, sizeof newer)) {
        fprintf(stderr, "jiceng audit: %s\n", newer);
        return JC_EXIT_FAIL;
    }
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
