/*
 * fill.c -- `jiceng bench-fill`: writes N realistic cases into a seeded
 * database directly through the store, so that the benchmarks can take the
 * store's size as a parameter (bench/scale.sh) without creating millions of
 * cases over HTTP.
 *
 * Design notes
 *  - Cases are created at an even pace over the last --days days (ids in
 *    creation order, as in service) and each lives the loop as the server
 *    would write it: reports from grid workers (one gathered entry for
 *    report, registration and dispatch), residents, the hotline and sensors;
 *    registration, automatic dispatch by the active responsibility list with
 *    working-time deadlines (calendar.c), accept, handle, feedback, the grid
 *    worker's verification (sometimes a rework), close and the rating; some
 *    returns upheld and re-dispatched by hand, some voided reports, the
 *    timer's reminders at 80 % and escalations when a phase overruns.
 *  - Every action is appended to the audit chain when it happens, in time
 *    order across cases (a heap of the cases in flight by their next
 *    event), with the state hash of the row as it stood, so `jiceng audit
 *    verify` passes.  A case's row, route, owners, phases and returns are
 *    written once, when it reaches its last state (or at the end, for the
 *    cases still open), with the values the server would have left.
 *  - Writes go through the writer (store_exec) in transactions of about
 *    2,000 cases; afterwards the text index of the search takes them all
 *    (caselist.c).
 *  - The counters are counted as the cases finish, not recomputed from the
 *    rows afterwards (two passes over every row: 437 s and 516 s of the
 *    1,913 s at 10 M): the dashboard's (stats_store.h: a case's counter and
 *    its created and closed days, in memory, written at the end with
 *    stats_store_ops.add on top of the store's counters rebuilt before) and
 *    the evaluation's (eval.h's eval_acc: each case's facts from its rows
 *    as the recomputation's scan reads them, written per case, summed per
 *    month in id order).  Exactly what stats_rebuild and
 *    eval_recompute_month make (`--recount` runs them; 94-fill compares).
 *  - The users it needs and that the demo does not have -- a pool of
 *    residents (one per 20 cases), a grid worker per grid -- are added with
 *    a password hash that matches no password ("!"): they cannot log in.
 */
#include "audit.h"
#include "auth.h"
#include "calendar.h"
#include "caselist.h"
#include "cli.h"
#include "module.h"
#include "duty.h"
#include "eval.h"
#include "eval_store.h"
#include "fill_store.h"
#include "geo.h"
#include "notify.h"
#include "stats_store.h"
#include "store.h"

#include <pthread.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FILL_MAX_GRIDS 4096
#define FILL_MAX_TEXTS 4096
#define FILL_MAX_DEPTS 256
#define HOUR_MS 3600000LL
#define MIN_MS 60000LL

typedef struct {
    char code[24], comm_name[128];
    double bbox[4];
    geo_shape *shape;
    int64_t worker_id;
    char worker[64];
} fill_grid;

typedef struct {
    char *title, *body;
    char category[16];
} fill_text;

typedef struct {
    int64_t id;
    char code[32], name[128];
    int64_t staff_id;
    char staff[64];
} fill_dept;

enum { SRC_PATROL, SRC_WEB, SRC_HOTLINE, SRC_SENSOR };

/* what happens next to a case */
enum {
    FE_REGISTER, FE_DISPATCH, FE_ACCEPT, FE_HANDLE, FE_FEEDBACK, FE_VERIFY, FE_REWORK, FE_CLOSE,
    FE_RATE, FE_RETURN, FE_UPHOLD, FE_VOID, FE_REMIND, FE_ESCALATE
};

#define FC_MAX_PH 8
#define FC_MAX_OW 8
#define FC_MAX_Q 4

typedef struct {
    jc_case k;
    char addr[160];
    int grid, src, dept; /* dept: index into depts, -1 none */
    int64_t reporter_id;
    char reporter[64];
    jc_role reporter_role;
    struct { int64_t at; int ev; } q[FC_MAX_Q]; /* pending events, by time */
    int nq;
    fill_phase ph[FC_MAX_PH];
    int nph, open_ph; /* open_ph: index of the open phase or -1 */
    struct { int64_t dept_id, start, end; int lead; const char *reason; } ow[FC_MAX_OW];
    int now_;
    const duty_entry *en;
    int routed, manual, reworked, returned;
    char manual_ex[256];
    int64_t routed_at, ret_dept, ret_at, ret_decided, closed_at;
} fcase;

typedef struct {
    int64_t at; /* the case's next event (next_at) */
    fcase *c;
} heap_slot;

typedef struct {
    jc_store *st;
    int64_t target, made, start_ms, end_ms, next_id, entries;
    uint64_t rng;
    fill_grid *grids;
    int ngrids;
    fill_text texts[FILL_MAX_TEXTS];
    int ntexts;
    fill_dept depts[FILL_MAX_DEPTS];
    int ndepts;
    int64_t *residents;
    char (*resident_phone)[16];
    char (*resident_name)[24];
    int nresidents;
    jc_user dispatcher;
    duty_list *list;
    int list_version;
    calendar *cal;
    heap_slot *heap;
    size_t nheap, capheap;
    int64_t chunk_cases; /* cases created per chunk */
    int64_t tail_seq;    /* the chain's last entry, as the generator wrote it */
    char tail_hash[65];
    int drop;            /* the store was new: its indexes are set aside (fill_store.h) */
    int set_aside;       /* the backend did set something aside */
    fill_bulk *bulk;
    /* the counters, counted as the cases are generated (instead of a
     * recomputation pass over every row afterwards) */
    eval_acc *acc;       /* evaluation totals per month */
    struct pend_fact **pend; /* facts waiting for the ids before them: a month's totals are summed in id order */
    size_t pcap;
    int64_t pnext;       /* the next id whose facts are added */
    int count_all;       /* the counting triggers were set aside: every case is counted here, else its close only */
    struct tally { struct tally_slot *s; size_t cap, n; } counts, days;
    char msg[256];
} fill_ctx;

/* ---- randomness ------------------------------------------------------------ */

static uint64_t rnd_u64(fill_ctx *f) {
    /* xorshift64* */
    f->rng ^= f->rng >> 12;
    f->rng ^= f->rng << 25;
    f->rng ^= f->rng >> 27;
    return f->rng * 2685821657736338717ULL;
}
static double rnd01(fill_ctx *f) { return (double)(rnd_u64(f) >> 11) / 9007199254740992.0; }
static int rnd_n(fill_ctx *f, int n) { return (int)(rnd01(f) * n); }
static int64_t rnd_range(fill_ctx *f, int64_t lo, int64_t hi) {
    return lo + (int64_t)(rnd01(f) * (double)(hi - lo));
}

/* ---- the heap of cases in flight, by their next event ----------------------- */

/* Each slot keeps its case's next time: a comparison reads the array, not
 * the case (at 10 M cases some 100,000 are in flight). */
static int64_t next_at(const fcase *c) { return c->nq ? c->q[0].at : INT64_MAX; }

static void heap_up(fill_ctx *f, size_t i) {
    heap_slot x = f->heap[i];
    while (i && f->heap[(i - 1) / 2].at > x.at) {
        f->heap[i] = f->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    f->heap[i] = x;
}

static void heap_down(fill_ctx *f, size_t i) {
    heap_slot x = f->heap[i];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = l;
        if (l >= f->nheap) break;
        if (r < f->nheap && f->heap[r].at < f->heap[l].at) m = r;
        if (f->heap[m].at >= x.at) break;
        f->heap[i] = f->heap[m];
        i = m;
    }
    f->heap[i] = x;
}

static jc_err heap_push(fill_ctx *f, fcase *c) {
    if (f->nheap == f->capheap) {
        size_t n = f->capheap ? f->capheap * 2 : 4096;
        heap_slot *h = realloc(f->heap, n * sizeof *h);
        if (!h) return JC_ERR_NOMEM;
        f->heap = h;
        f->capheap = n;
    }
    f->heap[f->nheap].at = next_at(c);
    f->heap[f->nheap].c = c;
    heap_up(f, f->nheap++);
    return JC_OK;
}

static void heap_pop(fill_ctx *f) {
    f->nheap--;
    if (f->nheap) {
        f->heap[0] = f->heap[f->nheap];
        heap_down(f, 0);
    }
}

/* Schedules event ev of c at time at (kept in time order). */
static void sched(fcase *c, int64_t at, int ev) {
    if (c->nq == FC_MAX_Q) return;
    int i = c->nq++;
    while (i && c->q[i - 1].at > at) {
        c->q[i] = c->q[i - 1];
        i--;
    }
    c->q[i].at = at;
    c->q[i].ev = ev;
}

/* ---- the counters, counted as cases finish ----------------------------------- */

static void put(char *dst, size_t n, const char *src);

/* A dashboard counter (a, b: the department and marks << 8 | state) or a
 * day's (a, b: the department and the day), with its sums. */
typedef struct tally_slot {
    int64_t a, b, n1, n2;
    char area[24], category[16];
    int used;
} tally_slot;

static uint64_t tally_hash(int64_t a, int64_t b, const char *area, const char *cat) {
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)a * 0x9E3779B97F4A7C15ULL ^ (uint64_t)b * 0xC2B2AE3D27D4EB4FULL;
    for (; *area; area++) h = (h ^ (unsigned char)*area) * 1099511628211ULL;
    for (; *cat; cat++) h = (h ^ (unsigned char)*cat) * 1099511628211ULL;
    return h ^ h >> 29;
}

static tally_slot *tally_find(tally_slot *s, size_t cap, int64_t a, int64_t b, const char *area, const char *cat) {
    for (size_t i = tally_hash(a, b, area, cat) & (cap - 1);; i = (i + 1) & (cap - 1))
        if (!s[i].used || (s[i].a == a && s[i].b == b && !strcmp(s[i].area, area) && !strcmp(s[i].category, cat)))
            return &s[i];
}

static jc_err tally_add(struct tally *t, int64_t a, int64_t b, const char *area, const char *cat, int64_t n1,
                        int64_t n2) {
    if (2 * (t->n + 1) > t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 4096;
        tally_slot *s = calloc(cap, sizeof *s);
        if (!s) return JC_ERR_NOMEM;
        for (size_t i = 0; i < t->cap; i++)
            if (t->s[i].used) *tally_find(s, cap, t->s[i].a, t->s[i].b, t->s[i].area, t->s[i].category) = t->s[i];
        free(t->s);
        t->s = s;
        t->cap = cap;
    }
    tally_slot *x = tally_find(t->s, t->cap, a, b, area, cat);
    if (!x->used) {
        x->used = 1;
        x->a = a, x->b = b;
        put(x->area, sizeof x->area, area);
        put(x->category, sizeof x->category, cat);
        t->n++;
    }
    x->n1 += n1;
    x->n2 += n2;
    return JC_OK;
}

/* A case's evaluation facts (eval_acc_facts), waiting for its turn. */
typedef struct pend_fact {
    int64_t id;
    size_t len;
    char month[8];
    unsigned char b[];
} pend_fact;

/* Adds the facts of p->id to the totals once those of every id before it
 * are in (the recomputation sums a month's cases in id order: sums of
 * hours in another order could differ in their last bit). */
static jc_err pend_put(fill_ctx *f, pend_fact *p) {
    while (p->id - f->pnext >= (int64_t)f->pcap) {
        size_t cap = f->pcap ? 2 * f->pcap : 65536;
        pend_fact **n = calloc(cap, sizeof *n);
        if (!n) return JC_ERR_NOMEM;
        for (size_t i = 0; i < f->pcap; i++)
            if (f->pend[i]) n[(uint64_t)f->pend[i]->id & (cap - 1)] = f->pend[i];
        free(f->pend);
        f->pend = n;
        f->pcap = cap;
    }
    f->pend[(uint64_t)p->id & (f->pcap - 1)] = p;
    for (pend_fact *q; (q = f->pend[(uint64_t)f->pnext & (f->pcap - 1)]) && q->id == f->pnext; f->pnext++) {
        jc_err e = eval_acc_add(f->acc, q->month, q->b, q->len);
        f->pend[(uint64_t)f->pnext & (f->pcap - 1)] = NULL;
        free(q);
        if (e) return e;
    }
    return JC_OK;
}

/* ---- audit entries and phases ------------------------------------------------- */

/* ---- the rows a chunk generates, written by the writer meanwhile ------------ */

/* What a chunk generates, in the order it goes in: the writer thread
 * inserts one chunk while the generator makes the next (the two cores). */
typedef struct {
    jc_case k;
    char addr[160];
} row_case;
typedef struct {
    fill_route r;
    char co[DUTY_MAX_CO * (DUTY_MAX_CODE + 1) + 1], ex[256], category[16], grid[24];
} row_route;
typedef struct {
    int64_t case_id, dept_id, start, end;
    int lead;
    const char *reason; /* a literal */
} row_owner;
typedef struct {
    int64_t case_id, dept_id, at, decided_at;
    const char *by; /* the dispatcher's name: lives as long as the fill */
} row_return;
typedef struct {
    int64_t case_id;
    char month[8];
    size_t len;
    unsigned char *b;
} row_facts;
typedef struct {
    jc_audit *audit;
    row_facts *facts;
    row_case *cases;
    row_route *routes;
    row_owner *owners;
    fill_phase *phases; /* end_reason: a literal */
    row_return *rets;
    size_t naudit, nfacts, ncases, nroutes, nowners, nphases, nrets;
    size_t capaudit, capfacts, capcases, caproutes, capowners, capphases, caprets;
} fill_rows;

/* Slot n of *arr (capacity *cap, items of sz bytes), grown as needed; NULL
 * out of memory. */
static void *slot(void *arr, size_t *cap, size_t n, size_t sz) {
    void **a = arr;
    if (n == *cap) {
        size_t c = *cap ? *cap * 2 : 1024;
        void *g = realloc(*a, c * sz);
        if (!g) return NULL;
        *a = g;
        *cap = c;
    }
    return (char *)*a + n * sz;
}
#define ROW(w, arr, n, cap) ((__typeof__((w)->arr))slot(&(w)->arr, &(w)->cap, (w)->n, sizeof *(w)->arr))

static void rows_reset(fill_rows *w) {
    for (size_t i = 0; i < w->naudit; i++) free(w->audit[i].reason);
    for (size_t i = 0; i < w->nfacts; i++) free(w->facts[i].b);
    w->nfacts = 0;
    w->naudit = w->ncases = w->nroutes = w->nowners = w->nphases = w->nrets = 0;
}

static void rows_free(fill_rows *w) {
    rows_reset(w);
    free(w->audit), free(w->facts), free(w->cases), free(w->routes), free(w->owners), free(w->phases), free(w->rets);
}

/* Writer job: inserts what a chunk generated (cases before their routes,
 * owners, phases and returns). */
static jc_err rows_write(jc_conn *c, fill_rows *w) {
    const fill_store_ops *db = fill_store(c);
    jc_err e = JC_OK;
    for (size_t i = 0; !e && i < w->naudit; i++) e = db->audit(c, &w->audit[i]);
    for (size_t i = 0; !e && i < w->ncases; i++) {
        row_case *x = &w->cases[i];
        x->k.address = x->addr;
        x->k.unsaved = 1; /* inserted with its own id */
        e = db->case_row ? db->case_row(c, &x->k) : store_case_insert(c, &x->k);
    }
    for (size_t i = 0; !e && i < w->nroutes; i++) {
        row_route *x = &w->routes[i];
        x->r.category = x->category;
        x->r.grid = x->grid;
        x->r.explanation = x->r.manual ? x->ex : "";
        x->r.co_depts = x->r.manual ? NULL : x->co;
        e = db->route(c, &x->r);
    }
    for (size_t i = 0; !e && i < w->nowners; i++) {
        row_owner *x = &w->owners[i];
        e = db->owner(c, x->case_id, x->dept_id, x->lead, x->start, x->end, x->reason);
    }
    for (size_t i = 0; !e && i < w->nphases; i++) e = db->phase(c, &w->phases[i]);
    for (size_t i = 0; !e && i < w->nrets; i++) {
        row_return *x = &w->rets[i];
        e = db->ret(c, x->case_id, x->dept_id, "不属于本部门职责 not our duty", x->at, x->decided_at, x->by);
    }
    const eval_store_ops *ev = eval_store(c);
    for (size_t i = 0; !e && i < w->nfacts; i++) {
        row_facts *x = &w->facts[i];
        e = db->facts ? db->facts(c, x->case_id, x->month, x->b, x->len)
            : ev      ? ev->facts_put(c, x->case_id, x->month, x->b, x->len)
                      : JC_ERR_DB;
    }
    if (!e && db->flush) e = db->flush(c);
    return e;
}

/* Copies src into dst of n bytes, cut to fit (names and codes of known
 * length: snprintf's parsing was a tenth of the generator's time). */
static void put(char *dst, size_t n, const char *src) {
    size_t l = strlen(src);
    if (l >= n) l = n - 1;
    memcpy(dst, src, l);
    dst[l] = 0;
}

/* Appends the entry for action by actor on c's row as it now stands (as
 * case.c's append does). */
static jc_err entry(fill_ctx *f, fill_rows *w, fcase *c, const jc_user *actor, const char *action,
                    const char *from, const char *reason, const char *payload_hash) {
    jc_audit e;
    memset(&e, 0, sizeof e);
    e.case_id = c->k.id;
    e.at_ms = c->k.updated_ms;
    e.actor_id = actor->id;
    put(e.actor, sizeof e.actor, actor->name);
    put(e.role, sizeof e.role, role_name(actor->role));
    put(e.action, sizeof e.action, action);
    put(e.from_state, sizeof e.from_state, from ? from : "");
    put(e.to_state, sizeof e.to_state, state_name(c->k.state));
    e.reason = (char *)(reason && *reason ? reason : NULL);
    put(e.payload_hash, sizeof e.payload_hash, payload_hash ? payload_hash : chain_empty_payload_hash());
    chain_case_hash(&c->k, e.state_hash);
    e.seq = ++f->tail_seq;
    memcpy(e.prev_hash, f->tail_hash, sizeof e.prev_hash);
    chain_entry_hash(&e, e.hash);
    memcpy(f->tail_hash, e.hash, sizeof f->tail_hash);
    /* the reason may live on the caller's stack */
    if (e.reason && !(e.reason = jc_strdup(e.reason))) return JC_ERR_NOMEM;
    jc_audit *a = ROW(w, audit, naudit, capaudit);
    if (!a) {
        free(e.reason);
        return JC_ERR_NOMEM;
    }
    *a = e;
    w->naudit++;
    f->entries++;
    return JC_OK;
}

static void user_of(jc_user *u, int64_t id, const char *name, jc_role role) {
    memset(u, 0, sizeof *u);
    u->id = id;
    snprintf(u->name, sizeof u->name, "%s", name);
    u->role = role;
}

/* Moves c to state s at time at (one row write: version + 1). */
static void step(fcase *c, jc_state s, int64_t at) {
    c->k.state = s;
    c->k.updated_ms = at;
    c->k.version++;
}

/* The working-time limit of phase p for c (as dispatch.c's phase_limit:
 * the list entry's, else the category's hours). */
static int64_t deadline_for(fill_ctx *f, const fcase *c, int p, int64_t start) {
    duty_limit lim = {8, CALENDAR_WORKING_HOURS};
    if (c->en) lim = c->en->limit[p];
    else lim.amount = p == DUTY_ACCEPT ? 2 : p == DUTY_HANDLE ? 24 : 8;
    int64_t d = 0;
    int prov = 0;
    if (calendar_add(f->cal, start, lim.amount, lim.unit, &d, &prov) != JC_OK) d = start + 24 * HOUR_MS;
    return d;
}

/* Opens phase p at time at and schedules its reminder, escalation and the
 * action that ends it (end_ev), the time taken drawn around the limit. */
static void open_phase(fill_ctx *f, fcase *c, int p, int64_t at, int end_ev) {
    if (c->nph == FC_MAX_PH) return;
    fill_phase *ph = &c->ph[c->nph];
    memset(ph, 0, sizeof *ph);
    ph->case_id = c->k.id;
    ph->phase = p == DUTY_ACCEPT ? 'a' : p == DUTY_HANDLE ? 'h' : 'v';
    ph->dept_id = p == DUTY_VERIFY || c->dept < 0 ? 0 : f->depts[c->dept].id;
    ph->user_id = p == DUTY_VERIFY ? c->k.assignee_id : 0;
    ph->start_at = at;
    ph->deadline_at = deadline_for(f, c, p, at);
    int64_t span = ph->deadline_at - at;
    if (span < MIN_MS) span = MIN_MS;
    ph->next_at = at + span * 8 / 10;
    c->open_ph = c->nph++;
    c->k.deadline_ms = ph->deadline_at;
    c->k.flags &= ~(unsigned)(CASE_F_OVERDUE | CASE_F_REMINDED);
    /* most work ends well within its limit, one in fourteen near it, one
     * in thirty-three overruns */
    double r = rnd01(f), frac = r < 0.9 ? 0.05 + 0.6 * rnd01(f) : r < 0.97 ? 0.8 + 0.2 * rnd01(f) : 1.0 + rnd01(f);
    int64_t end = at + (int64_t)(frac * (double)span) + MIN_MS;
    c->nq = 0;
    if (end > ph->next_at) sched(c, ph->next_at, FE_REMIND);
    if (end > ph->deadline_at) sched(c, ph->deadline_at, FE_ESCALATE);
    sched(c, end, end_ev);
}

static void close_phase(fcase *c, int64_t at, const char *reason) {
    if (c->open_ph < 0) return;
    fill_phase *ph = &c->ph[c->open_ph];
    ph->end_at = at;
    ph->end_reason = reason;
    ph->next_at = 0;
    c->open_ph = -1;
}

static void add_owner(fcase *c, int64_t dept_id, int lead, int64_t at) {
    if (c->now_ == FC_MAX_OW) return;
    c->ow[c->now_].dept_id = dept_id;
    c->ow[c->now_].start = at;
    c->ow[c->now_].end = 0;
    c->ow[c->now_].lead = lead;
    c->ow[c->now_].reason = NULL;
    c->now_++;
}

/* The lead department and, for a route by the list, its co-handlers. */
static void open_owners(fill_ctx *f, fcase *c, int64_t at) {
    add_owner(c, f->depts[c->dept].id, 1, at);
    for (size_t i = 0; c->en && !c->manual && i < c->en->n_co; i++)
        for (int d = 0; d < f->ndepts; d++)
            if (!strcmp(f->depts[d].code, c->en->co_depts[i])) add_owner(c, f->depts[d].id, 0, at);
}

static void close_owners(fcase *c, int64_t at, const char *reason) {
    for (int i = 0; i < c->now_; i++)
        if (!c->ow[i].end) c->ow[i].end = at, c->ow[i].reason = reason;
}

static int dept_index(fill_ctx *f, const char *code) {
    for (int d = 0; d < f->ndepts; d++)
        if (!strcmp(f->depts[d].code, code)) return d;
    return -1;
}

/* ---- the loop of one case ------------------------------------------------------ */

/* the reasons the server writes, as codes (src/reason.h, docs/audit.md) */
static const char note_dispatch[] = "{\"code\":\"auto_dispatch\"}";
static const char note_intake[] = "{\"code\":\"intake\"}";
#define STEP_REGISTER "{\"code\":\"step\",\"a\":\"register\",\"by\":\"intake\",\"r\":{\"code\":\"intake\"}}"
#define STEP_DISPATCH "{\"code\":\"step\",\"a\":\"dispatch\",\"by\":\"dispatch\",\"r\":{\"code\":\"auto_dispatch\"}}"

/* Dispatches c at time at by the list (or by hand when manual_dept >= 0)
 * and appends the entry of actor. */
static jc_err do_dispatch(fill_ctx *f, fill_rows *w, fcase *c, int64_t at, const jc_user *actor,
                          int manual_dept, int gathered) {
    const char *from = state_name(c->k.state);
    if (manual_dept >= 0) {
        c->dept = manual_dept;
        c->manual = 1;
        snprintf(c->manual_ex, sizeof c->manual_ex, "{\"code\":\"manual_dispatch\",\"dept\":\"%s\",\"by_role\":\"%s\"}",
                 f->depts[manual_dept].code, role_name(actor->role));
    } else {
        c->manual = 0;
        c->dept = dept_index(f, c->en->lead_dept);
    }
    if (c->dept < 0) c->dept = 0;
    c->k.dept_id = f->depts[c->dept].id;
    c->k.flags &= ~(unsigned)CASE_F_OWNERLESS;
    c->routed = 1;
    c->routed_at = at;
    open_owners(f, c, at);
    step(c, ST_DISPATCHED, at);
    open_phase(f, c, DUTY_ACCEPT, at, rnd01(f) < 0.03 && !c->returned ? FE_RETURN : FE_ACCEPT);
    if (gathered) return JC_OK;
    return entry(f, w, c, actor, "dispatch", from, manual_dept >= 0 ? NULL : note_dispatch, NULL);
}

static void dept_user(fill_ctx *f, const fcase *c, jc_user *u) {
    const fill_dept *d = &f->depts[c->dept < 0 ? 0 : c->dept];
    if (d->staff_id) user_of(u, d->staff_id, d->staff, ROLE_DEPT_STAFF);
    else *u = f->dispatcher;
}

static jc_err on_event(fill_ctx *f, fill_rows *w, fcase *c, int ev, int64_t at) {
    jc_user sys, u;
    const char *from = state_name(c->k.state);
    fill_grid *g = &f->grids[c->grid];
    switch (ev) {
    case FE_REGISTER: {
        int voided = c->src != SRC_SENSOR && rnd01(f) < 0.03;
        step(c, voided ? ST_VOIDED : ST_REGISTERED, at);
        if (voided) {
            c->k.deadline_ms = 0;
            return entry(f, w, c, &f->dispatcher, "void", from, "重复或无效反映 duplicate or invalid report", NULL);
        }
        int routed = duty_match(f->list, c->k.category, c->k.area, &c->en) == JC_OK;
        if (!routed) c->k.flags |= CASE_F_OWNERLESS;
        if (c->src == SRC_SENSOR) auth_system_actor(&sys, "intake");
        jc_err e = entry(f, w, c, c->src == SRC_SENSOR ? &sys : &f->dispatcher, "register", from,
                         c->src == SRC_SENSOR ? note_intake : NULL, NULL);
        if (e) return e;
        if (!routed) {
            /* ownerless: the dispatcher picks a department by hand */
            sched(c, at + rnd_range(f, 30 * MIN_MS, 4 * HOUR_MS), FE_DISPATCH);
            return JC_OK;
        }
        auth_system_actor(&sys, "dispatch");
        return do_dispatch(f, w, c, at, &sys, -1, 0);
    }
    case FE_DISPATCH: {
        int d = c->returned ? (c->dept + 1 + rnd_n(f, f->ndepts - 1)) % f->ndepts : rnd_n(f, f->ndepts);
        return do_dispatch(f, w, c, at, &f->dispatcher, d, 0);
    }
    case FE_ACCEPT:
        close_phase(c, at, "done");
        step(c, ST_ACCEPTED, at);
        open_phase(f, c, DUTY_HANDLE, at, FE_FEEDBACK);
        if (rnd01(f) < 0.5) sched(c, at + (c->q[c->nq - 1].at - at) / 2, FE_HANDLE);
        dept_user(f, c, &u);
        return entry(f, w, c, &u, "accept", from, NULL, NULL);
    case FE_HANDLE:
        step(c, ST_HANDLING, at);
        dept_user(f, c, &u);
        return entry(f, w, c, &u, "handle", from, "已安排人员到场处置 staff on site", NULL);
    case FE_FEEDBACK: {
        close_phase(c, at, "done");
        step(c, ST_FEEDBACK, at);
        c->k.assignee_id = g->worker_id;
        open_phase(f, c, DUTY_VERIFY, at, !c->reworked && rnd01(f) < 0.06 ? FE_REWORK : FE_VERIFY);
        dept_user(f, c, &u);
        return entry(f, w, c, &u, "feedback", from, "已处置完毕，现场已恢复 done, the site is restored", NULL);
    }
    case FE_VERIFY:
        close_phase(c, at, "done");
        step(c, ST_VERIFIED, at);
        c->k.assignee_id = 0;
        c->k.deadline_ms = 0;
        c->k.flags &= ~(unsigned)(CASE_F_OVERDUE | CASE_F_REMINDED);
        c->nq = 0;
        sched(c, at + rnd_range(f, 20 * MIN_MS, 4 * HOUR_MS), FE_CLOSE);
        user_of(&u, g->worker_id, g->worker, ROLE_GRID_WORKER);
        return entry(f, w, c, &u, "verify", from, "现场核查属实 checked on site", NULL);
    case FE_REWORK:
        close_phase(c, at, "rework");
        step(c, ST_HANDLING, at);
        c->k.assignee_id = 0;
        c->reworked = 1;
        open_phase(f, c, DUTY_HANDLE, at, FE_FEEDBACK);
        user_of(&u, g->worker_id, g->worker, ROLE_GRID_WORKER);
        return entry(f, w, c, &u, "rework", from, "整改不到位 not fixed yet", NULL);
    case FE_CLOSE: {
        step(c, ST_CLOSED, at);
        c->closed_at = at;
        close_owners(c, at, "closed");
        c->nq = 0;
        double p = c->src == SRC_WEB ? 0.7 : c->src == SRC_HOTLINE ? 0.4 : 0;
        if (rnd01(f) < p) sched(c, at + rnd_range(f, HOUR_MS, 72 * HOUR_MS), FE_RATE);
        return entry(f, w, c, &f->dispatcher, "close", from, NULL, NULL);
    }
    case FE_RATE: {
        double r = rnd01(f);
        snprintf(c->k.rating, sizeof c->k.rating, "%s", r < 0.8 ? "satisfied" : r < 0.95 ? "basic" : "unsatisfied");
        step(c, ST_RATED, at);
        c->k.deadline_ms = 0;
        if (c->src == SRC_WEB) user_of(&u, c->reporter_id, c->reporter, ROLE_RESIDENT);
        else u = f->dispatcher;
        return entry(f, w, c, &u, "rate", from, NULL, NULL);
    }
    case FE_RETURN:
        close_phase(c, at, "returned");
        step(c, ST_RETURNED, at);
        c->k.deadline_ms = 0;
        c->returned = 1;
        c->ret_dept = c->k.dept_id;
        c->ret_at = at;
        c->nq = 0;
        sched(c, at + rnd_range(f, 30 * MIN_MS, 3 * HOUR_MS), FE_UPHOLD);
        dept_user(f, c, &u);
        return entry(f, w, c, &u, "return", from, "不属于本部门职责 not our duty", NULL);
    case FE_UPHOLD:
        close_owners(c, at, "returned");
        step(c, ST_REGISTERED, at);
        c->k.dept_id = 0;
        c->k.flags |= CASE_F_OWNERLESS;
        c->ret_decided = at;
        sched(c, at + rnd_range(f, 10 * MIN_MS, HOUR_MS), FE_DISPATCH);
        return entry(f, w, c, &f->dispatcher, "uphold", from, NULL, NULL);
    case FE_REMIND: {
        fill_phase *ph = &c->ph[c->open_ph];
        ph->reminded_at = at;
        ph->next_at = ph->deadline_at;
        c->k.flags |= CASE_F_REMINDED;
        step(c, c->k.state, at);
        char note[160];
        char dl[40];
        jc_fmt_utc(ph->deadline_at, dl, sizeof dl);
        snprintf(note, sizeof note, "{\"code\":\"remind\",\"phase\":\"%s\",\"pct\":80,\"deadline\":\"%s\"}",
                 ph->phase == 'a' ? "accept" : ph->phase == 'h' ? "handle" : "verify", dl);
        auth_system_actor(&sys, "timer");
        return entry(f, w, c, &sys, "remind", from, note, NULL);
    }
    case FE_ESCALATE: {
        fill_phase *ph = &c->ph[c->open_ph];
        int64_t span = ph->deadline_at - ph->start_at;
        if (span < MIN_MS) span = MIN_MS;
        ph->level++;
        ph->overdue_at = at;
        ph->next_at = ph->deadline_at + span * ph->level;
        c->k.escalation++;
        c->k.flags |= CASE_F_OVERDUE;
        step(c, c->k.state, at);
        char note[160];
        snprintf(note, sizeof note, "{\"code\":\"overdue\",\"phase\":\"%s\",\"level\":%d}",
                 ph->phase == 'a' ? "accept" : ph->phase == 'h' ? "handle" : "verify", ph->level);
        auth_system_actor(&sys, "timer");
        return entry(f, w, c, &sys, "escalate", from, note, NULL);
    }
    default:
        return JC_OK;
    }
}

/* The local (UTC+8) day of a time, as stats_sqlite.c's DAY. */
static int64_t local_day(int64_t ms) { return (ms + 28800000) / 86400000; }

/* Counts c, in its last state, as the recomputations would count it from
 * its rows: the dashboard's counters (stats_sqlite.c's REBUILD: the case by
 * its row, its close by the close entry) and its evaluation facts (the
 * rows eval_store_ops.scan reads, in the order it reads them). */
static jc_err count_case(fill_ctx *f, fill_rows *w, fcase *c) {
    const jc_case *k = &c->k;
    jc_err e;
    if (f->count_all) {
        int marks = ((k->flags & CASE_F_OVERDUE) != 0) | (k->escalation > 0) << 1 | (k->flags & CASE_F_OWNERLESS) << 2;
        if ((e = tally_add(&f->counts, k->dept_id, (int64_t)marks << 8 | k->state, k->area, k->category, 1, 0)) ||
            (e = tally_add(&f->days, k->dept_id, local_day(k->created_ms), k->area, "", 1, 0)))
            return e;
    }
    if (c->closed_at && (e = tally_add(&f->days, k->dept_id, local_day(c->closed_at), k->area, "", 0, 1))) return e;
    static ev_case ek; /* the generator's thread */
    memset(&ek, 0, offsetof(ev_case, ph));
    ek.id = k->id;
    ek.created = k->created_ms;
    put(ek.area, sizeof ek.area, k->area);
    put(ek.state, sizeof ek.state, state_name(k->state));
    put(ek.rating, sizeof ek.rating, k->rating);
    ek.nph = ek.now = ek.nrt = ek.nwm = ek.followups_reached = 0;
    for (int i = 0; i < c->nph && i < EV_MAX_ROWS; i++) { /* opened in time order: case_phase's start_at order */
        const fill_phase *p = &c->ph[i];
        ev_phase *x = &ek.ph[ek.nph++];
        x->phase = p->phase;
        x->dept = p->dept_id, x->user = p->user_id, x->start = p->start_at, x->deadline = p->deadline_at;
        x->end = p->end_at, x->paused = 0;
        put(x->reason, sizeof x->reason, p->end_reason ? p->end_reason : "");
    }
    for (int i = 0; i < c->now_ && i < EV_MAX_ROWS; i++) { /* by start, then as inserted */
        ev_owner *o = &ek.ow[ek.now++];
        o->dept = c->ow[i].dept_id, o->start = c->ow[i].start, o->end = c->ow[i].end, o->lead = c->ow[i].lead;
        put(o->reason, sizeof o->reason, c->ow[i].reason ? c->ow[i].reason : "");
    }
    if (c->ret_at) ek.rt[ek.nrt++] = (ev_return){c->ret_dept, c->ret_at, 1}; /* written as upheld */
    static unsigned char buf[EVAL_FACTS_MAX];
    char month[8];
    size_t len = eval_acc_facts(f->acc, &ek, buf, month);
    row_facts *x = ROW(w, facts, nfacts, capfacts);
    pend_fact *p = malloc(sizeof *p + len);
    if (!x || !p || !(x->b = malloc(len ? len : 1))) {
        free(p);
        return JC_ERR_NOMEM;
    }
    x->case_id = k->id;
    memcpy(x->month, month, sizeof x->month);
    memcpy(x->b, buf, len);
    x->len = len;
    w->nfacts++;
    p->id = k->id;
    p->len = len;
    memcpy(p->month, month, sizeof p->month);
    memcpy(p->b, buf, len);
    return pend_put(f, p);
}

/* Keeps c's row and its dispatch rows as they stand, for the writer. */
static jc_err finish(fill_ctx *f, fill_rows *w, fcase *c) {
    row_case *k = ROW(w, cases, ncases, capcases);
    if (!k) return JC_ERR_NOMEM;
    k->k = c->k;
    put(k->addr, sizeof k->addr, c->addr);
    w->ncases++;
    if (c->routed) {
        row_route *x = ROW(w, routes, nroutes, caproutes);
        if (!x) return JC_ERR_NOMEM;
        memset(x, 0, sizeof *x);
        size_t n = 0;
        for (size_t i = 0; c->en && !c->manual && i < c->en->n_co; i++)
            n += (size_t)snprintf(x->co + n, sizeof x->co - n, "%s%s", i ? "|" : "", c->en->co_depts[i]);
        put(x->category, sizeof x->category, c->k.category);
        put(x->grid, sizeof x->grid, c->k.area);
        x->r = (fill_route){.case_id = c->k.id, .list_version = f->list_version, .routed_at = c->routed_at,
                            .located = c->k.has_point ? "point in grid polygon" : "area given by the reporter"};
        if (c->manual) {
            x->r.manual = 1;
            put(x->ex, sizeof x->ex, c->manual_ex);
        } else {
            /* the list's entries live as long as the fill */
            x->r.entry_id = c->en->id;
            x->r.scope = c->en->scope;
            x->r.lead_dept = c->en->lead_dept;
        }
        w->nroutes++;
    }
    for (int i = 0; i < c->now_; i++) {
        row_owner *o = ROW(w, owners, nowners, capowners);
        if (!o) return JC_ERR_NOMEM;
        *o = (row_owner){c->k.id, c->ow[i].dept_id, c->ow[i].start, c->ow[i].end, c->ow[i].lead, c->ow[i].reason};
        w->nowners++;
    }
    for (int i = 0; i < c->nph; i++) {
        fill_phase *p = ROW(w, phases, nphases, capphases);
        if (!p) return JC_ERR_NOMEM;
        *p = c->ph[i];
        w->nphases++;
    }
    if (c->ret_at) {
        row_return *r = ROW(w, rets, nrets, caprets);
        if (!r) return JC_ERR_NOMEM;
        *r = (row_return){c->k.id, c->ret_dept, c->ret_at, c->ret_decided, f->dispatcher.name};
        w->nrets++;
    }
    return count_case(f, w, c);
}

static void fcase_free(fcase *c) { free(c); }

static const char *const places[] = {"号楼", "单元门口", "号院", "路口", "小区南门", "小区北门", "菜市场旁", "公交站旁"};

/* Creates the next case (its report) at time at. */
static jc_err create_case(fill_ctx *f, fill_rows *w, int64_t at) {
    fcase *c = calloc(1, sizeof *c);
    if (!c) return JC_ERR_NOMEM;
    c->open_ph = -1;
    c->dept = -1;
    c->grid = rnd_n(f, f->ngrids);
    fill_grid *g = &f->grids[c->grid];
    const fill_text *t = &f->texts[rnd_n(f, f->ntexts)];
    jc_case *k = &c->k;
    k->id = f->next_id++;
    k->title = t->title;
    k->body = t->body;
    snprintf(c->addr, sizeof c->addr, "%s%d%s", g->comm_name, 1 + rnd_n(f, 40), places[rnd_n(f, JC_ARRAY_LEN(places))]);
    k->address = c->addr;
    snprintf(k->category, sizeof k->category, "%s", t->category);
    snprintf(k->area, sizeof k->area, "%s", g->code);
    for (int tries = 0; tries < 20; tries++) {
        k->lon = g->bbox[0] + rnd01(f) * (g->bbox[2] - g->bbox[0]);
        k->lat = g->bbox[1] + rnd01(f) * (g->bbox[3] - g->bbox[1]);
        if (!g->shape || geo_shape_contains(g->shape, k->lon, k->lat)) break;
    }
    k->has_point = 1;
    k->held_from = ST__COUNT;
    k->created_ms = k->updated_ms = at;
    k->version = 1;
    k->state = ST_REPORTED;
    double r = rnd01(f);
    c->src = r < 0.45 ? SRC_PATROL : r < 0.80 ? SRC_WEB : r < 0.95 ? SRC_HOTLINE : SRC_SENSOR;
    jc_user actor;
    switch (c->src) {
    case SRC_PATROL:
        user_of(&actor, g->worker_id, g->worker, ROLE_GRID_WORKER);
        break;
    case SRC_WEB: {
        int i = rnd_n(f, f->nresidents);
        user_of(&actor, f->residents[i], f->resident_name[i], ROLE_RESIDENT);
        snprintf(k->phone, sizeof k->phone, "%s", f->resident_phone[i]);
        break;
    }
    case SRC_HOTLINE:
        actor = f->dispatcher;
        snprintf(k->phone, sizeof k->phone, "13%09d", rnd_n(f, 1000000000));
        break;
    default:
        auth_system_actor(&actor, "sensors");
        break;
    }
    snprintf(k->source, sizeof k->source, "%s", c->src == SRC_PATROL ? "patrol" : c->src == SRC_WEB ? "web" : c->src == SRC_HOTLINE ? "hotline" : "sensor");
    k->reporter_id = actor.id;
    c->reporter_id = actor.id;
    snprintf(c->reporter, sizeof c->reporter, "%s", actor.name);
    char ph[65];
    chain_payload_hash(k->body, strlen(k->body), ph);
    jc_err e;
    if (c->src == SRC_PATROL) {
        /* registered and dispatched in its own request: one gathered entry
         * (case.c's intake), written with the row as dispatch left it */
        if (duty_match(f->list, k->category, k->area, &c->en) != JC_OK) {
            c->en = NULL;
            k->flags |= CASE_F_OWNERLESS;
            step(c, ST_REGISTERED, at);
            step(c, ST_REGISTERED, at);
            sched(c, at + rnd_range(f, 30 * MIN_MS, 4 * HOUR_MS), FE_DISPATCH);
            e = entry(f, w, c, &actor, "report", NULL, "{\"code\":\"chain\",\"steps\":[" STEP_REGISTER "]}", ph);
        } else {
            step(c, ST_REGISTERED, at);
            jc_user sys;
            auth_system_actor(&sys, "dispatch");
            if ((e = do_dispatch(f, w, c, at, &sys, -1, 1))) goto fail;
            e = entry(f, w, c, &actor, "report", NULL, "{\"code\":\"chain\",\"steps\":[" STEP_REGISTER "," STEP_DISPATCH "]}", ph);
        }
    } else {
        e = entry(f, w, c, &actor, "report", NULL, NULL, ph);
        sched(c, c->src == SRC_SENSOR ? at : at + rnd_range(f, 5 * MIN_MS, HOUR_MS), FE_REGISTER);
    }
    if (e) goto fail;
    if ((e = heap_push(f, c))) goto fail;
    return JC_OK;
fail:
    fcase_free(c);
    return e;
}

/* A chunk of the work: the generator (this thread) creates up to
 * chunk_cases cases and runs every event due before the next creation into
 * a slot's rows; a writer job inserts them while the next chunk is made.
 * FILL_INFLIGHT slots: up to that many chunks queued (the writer runs them
 * in order, several in one transaction, while the disk flushes the last). */
#define FILL_INFLIGHT 3
static pthread_mutex_t chunk_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t chunk_cv = PTHREAD_COND_INITIALIZER;
typedef struct {
    jc_write_job job;
    fill_rows rows;
    int busy; /* submitted and not done (under chunk_mu) */
    jc_err err;
} chunk_job;

static int64_t create_time(const fill_ctx *f, int64_t i) {
    return f->start_ms + (int64_t)((double)(f->end_ms - f->start_ms) * (double)i / (double)f->target);
}

/* Generates the next chunk into w; *finished when it was the last. */
static jc_err gen_chunk(fill_ctx *f, fill_rows *w, int *finished) {
    jc_err e = JC_OK;
    int64_t made0 = f->made;
    *finished = 0;
    for (;;) {
        int64_t tc = f->made < f->target ? create_time(f, f->made) : INT64_MAX;
        int64_t te = f->nheap ? f->heap[0].at : INT64_MAX;
        if (te > f->end_ms) te = INT64_MAX; /* what comes after the end stays to come */
        if (tc == INT64_MAX && te == INT64_MAX) {
            *finished = 1;
            break;
        }
        if (te <= tc) {
            fcase *c = f->heap[0].c;
            int ev = c->q[0].ev;
            memmove(c->q, c->q + 1, (size_t)(--c->nq) * sizeof c->q[0]);
            if ((e = on_event(f, w, c, ev, te))) break;
            if (c->nq) {
                f->heap[0].at = next_at(c);
                heap_down(f, 0);
            } else {
                heap_pop(f);
                if ((e = finish(f, w, c))) break;
                fcase_free(c);
            }
        } else {
            if (f->made - made0 >= f->chunk_cases) break;
            if ((e = create_case(f, w, tc))) break;
            f->made++;
        }
    }
    if (!e && *finished) {
        /* the cases still open: written as they stand */
        for (size_t i = 0; !e && i < f->nheap; i++) e = finish(f, w, f->heap[i].c);
        for (size_t i = 0; i < f->nheap; i++) fcase_free(f->heap[i].c);
        f->nheap = 0;
    }
    return e;
}

static jc_err run_chunk(jc_conn *w, void *arg) {
    chunk_job *j = arg;
    return rows_write(w, &j->rows);
}

static void chunk_done(void *arg, jc_err err) {
    chunk_job *j = arg;
    pthread_mutex_lock(&chunk_mu);
    j->err = err;
    j->busy = 0;
    pthread_cond_broadcast(&chunk_cv);
    pthread_mutex_unlock(&chunk_mu);
}

/* Waits until j's job is done; its error. */
static jc_err chunk_wait(chunk_job *j) {
    pthread_mutex_lock(&chunk_mu);
    while (j->busy) pthread_cond_wait(&chunk_cv, &chunk_mu);
    jc_err e = j->err;
    j->err = JC_OK;
    pthread_mutex_unlock(&chunk_mu);
    return e;
}

static double secs_since(const struct timespec *t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* the process's CPU seconds so far (all threads): on a shared machine the
 * figure that others' work does not move */
static double cpu_secs(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Runs the chunks until the work is done; the first failure (what was
 * generated after it is not written). */
static jc_err run_chunks(fill_ctx *f, const struct timespec *t0) {
    static chunk_job jobs[FILL_INFLIGHT];
    memset(jobs, 0, sizeof jobs);
    jc_err first = JC_OK;
    int64_t shown = 0;
    for (uint64_t next = 0;; next++) {
        chunk_job *j = &jobs[next % FILL_INFLIGHT];
        if ((first = chunk_wait(j))) break;
        rows_reset(&j->rows);
        int finished = 0;
        if ((first = gen_chunk(f, &j->rows, &finished))) break;
        j->job = (jc_write_job){.run = run_chunk, .done = chunk_done, .arg = j};
        j->busy = 1;
        if ((first = store_submit(f->st, &j->job))) {
            j->busy = 0;
            break;
        }
        if (f->made - shown >= 100000) {
            shown = f->made;
            fprintf(stderr, "bench-fill: %lld cases, %lld audit entries, %.1f s\n", (long long)f->made,
                    (long long)f->entries, secs_since(t0));
        }
        if (finished) break;
    }
    for (int i = 0; i < FILL_INFLIGHT; i++) {
        jc_err e = chunk_wait(&jobs[i]);
        if (e && !first) first = e;
        rows_free(&jobs[i].rows);
    }
    return first;
}

/* ---- what the generator reads first --------------------------------------------- */

typedef struct {
    fill_ctx *f;
    jc_err e;
} load_arg;

static int grid_cb(const jc_area *a, void *arg) {
    load_arg *l = arg;
    fill_ctx *f = l->f;
    if (strcmp(a->level, "grid") || f->ngrids >= FILL_MAX_GRIDS) return 0;
    fill_grid *g = &f->grids[f->ngrids];
    memset(g, 0, sizeof *g);
    snprintf(g->code, sizeof g->code, "%s", a->code);
    if (a->geojson && geo_shape_parse(a->geojson, strlen(a->geojson), &g->shape, NULL, 0) == JC_OK)
        geo_shape_bbox(g->shape, g->bbox);
    else
        g->shape = NULL;
    f->ngrids++;
    return 0;
}

static int comm_cb(const jc_area *a, void *arg) {
    fill_ctx *f = ((load_arg *)arg)->f;
    if (strcmp(a->level, "community")) return 0;
    for (int i = 0; i < f->ngrids; i++)
        if (!strncmp(f->grids[i].code, a->code, strlen(a->code))) snprintf(f->grids[i].comm_name, sizeof f->grids[i].comm_name, "%s", a->name);
    return 0;
}

static int dept_cb(const jc_dept *d, void *arg) {
    fill_ctx *f = ((load_arg *)arg)->f;
    if (f->ndepts >= FILL_MAX_DEPTS) return 0;
    fill_dept *x = &f->depts[f->ndepts++];
    memset(x, 0, sizeof *x);
    x->id = d->id;
    snprintf(x->code, sizeof x->code, "%s", d->code);
    snprintf(x->name, sizeof x->name, "%s", d->name);
    return 0;
}

static int user_cb(const jc_user *u, void *arg) {
    fill_ctx *f = ((load_arg *)arg)->f;
    if (u->disabled) return 0;
    if (u->role == ROLE_DISPATCHER && !f->dispatcher.id) f->dispatcher = *u;
    if (u->role == ROLE_DEPT_STAFF)
        for (int d = 0; d < f->ndepts; d++)
            if (f->depts[d].id == u->dept_id && !f->depts[d].staff_id) {
                f->depts[d].staff_id = u->id;
                snprintf(f->depts[d].staff, sizeof f->depts[d].staff, "%s", u->name);
            }
    if (u->role == ROLE_GRID_WORKER)
        for (int i = 0; i < f->ngrids; i++)
            if (!strcmp(f->grids[i].code, u->area) && !f->grids[i].worker_id) {
                f->grids[i].worker_id = u->id;
                snprintf(f->grids[i].worker, sizeof f->grids[i].worker, "%s", u->name);
            }
    return 0;
}

/* Reads DIR/seed_texts.csv ("category name,title,text") and maps each
 * category name to its code through the catalogue. */
typedef struct {
    char name[64], code[16];
} name_code;

static int cat_map_cb(const jc_category *k, void *arg) {
    struct { name_code *m; int n, cap; } *cm = arg;
    if (cm->n < cm->cap) {
        snprintf(cm->m[cm->n].name, sizeof cm->m[cm->n].name, "%s", k->name);
        snprintf(cm->m[cm->n].code, sizeof cm->m[cm->n].code, "%s", k->code);
        cm->n++;
    }
    return 0;
}

static jc_err load_texts(fill_ctx *f, jc_conn *c, const char *dir) {
    name_code map[512];
    struct { name_code *m; int n, cap; } cm = {map, 0, 512};
    jc_err e = store_category_each(c, cat_map_cb, &cm);
    if (e) return e;
    char path[1024];
    snprintf(path, sizeof path, "%s/seed_texts.csv", dir);
    FILE *fp = fopen(path, "r");
    if (!fp) {
        jc_fmt_cut(f->msg, sizeof f->msg, "cannot read %s", path); /* a message */
        return JC_ERR_IO;
    }
    char line[4096];
    while (fgets(line, sizeof line, fp) && f->ntexts < FILL_MAX_TEXTS) {
        line[strcspn(line, "\r\n")] = 0;
        char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        if (!c2) continue;
        *c1 = *c2 = 0;
        for (int i = 0; i < cm.n; i++)
            if (!strcmp(map[i].name, line)) {
                fill_text *t = &f->texts[f->ntexts];
                t->title = jc_strdup(c1 + 1);
                t->body = jc_strdup(c2 + 1);
                snprintf(t->category, sizeof t->category, "%s", map[i].code);
                if (t->title && t->body) f->ntexts++;
                break;
            }
    }
    fclose(fp);
    if (!f->ntexts) {
        jc_fmt_cut(f->msg, sizeof f->msg, "no text of %s names a category of the catalogue", path); /* a message */
        return JC_ERR_INVALID;
    }
    return JC_OK;
}

/* The users the generator needs and the demo lacks (writer job). */
static jc_err run_users(jc_conn *w, void *arg) {
    fill_ctx *f = arg;
    for (int i = 0; i < f->ngrids; i++) {
        fill_grid *g = &f->grids[i];
        if (g->worker_id) continue;
        jc_user u = {0};
        snprintf(u.name, sizeof u.name, "bench_worker_%s", g->code);
        jc_err e = store_user_by_name(w, u.name, &u);
        if (e == JC_ERR_NOTFOUND) {
            snprintf(u.display, sizeof u.display, "网格员%s", g->code + 12);
            u.role = ROLE_GRID_WORKER;
            snprintf(u.area, sizeof u.area, "%s", g->code);
            snprintf(u.pw_hash, sizeof u.pw_hash, "!");
            u.created_ms = jc_now_ms();
            e = store_user_insert(w, &u);
        }
        if (e) return e;
        g->worker_id = u.id;
        snprintf(g->worker, sizeof g->worker, "%s", u.name);
    }
    for (int i = 0; i < f->nresidents; i++) {
        jc_user u = {0};
        snprintf(u.name, sizeof u.name, "bench_resident_%d", i + 1);
        jc_err e = store_user_by_name(w, u.name, &u);
        if (e == JC_ERR_NOTFOUND) {
            snprintf(u.display, sizeof u.display, "居民%d", i + 1);
            u.role = ROLE_RESIDENT;
            snprintf(u.pw_hash, sizeof u.pw_hash, "!");
            snprintf(u.phone, sizeof u.phone, "139%08d", (i * 7919 + 13) % 100000000);
            u.created_ms = jc_now_ms();
            e = store_user_insert(w, &u);
        }
        if (e) return e;
        f->residents[i] = u.id;
        jc_fmt_cut(f->resident_phone[i], sizeof f->resident_phone[i], "%s", u.phone); /* demo users: short */
        jc_fmt_cut(f->resident_name[i], sizeof f->resident_name[i], "%s", u.name);
    }
    return JC_OK;
}

/* Moves month "YYYY-MM" to the next one. */
static void next_month(char m[8]) {
    int y = (m[0] - '0') * 1000 + (m[1] - '0') * 100 + (m[2] - '0') * 10 + (m[3] - '0');
    int mo = (m[5] - '0') * 10 + (m[6] - '0');
    if (++mo > 12) mo = 1, y++;
    jc_fmt_cut(m, 8, "%04d-%02d", y, mo); /* a four-digit year: fits */
}

/* The months of [t0, t1]: first and last "YYYY-MM". */
static void months_of(int64_t t0, int64_t t1, char first[8], char last[8]) {
    char b[40];
    jc_fmt_local(t0, b, sizeof b);
    snprintf(first, 8, "%.7s", b);
    jc_fmt_local(t1, b, sizeof b);
    snprintf(last, 8, "%.7s", b);
}

static jc_err run_index(jc_conn *w, void *arg) {
    (void)arg;
    return caselist_index_all(w);
}

/* Before the first generated case (writer job): the counters of what the
 * store holds, as the recomputations give them (the dashboard's rebuilt,
 * the evaluation months of the fill recomputed: few rows on a new store);
 * the generated cases are added to them as they are counted. */
static jc_err run_counts_before(jc_conn *w, void *arg) {
    fill_ctx *f = arg;
    jc_err e = stats_rebuild(w);
    char m[8], last[8];
    months_of(f->start_ms, f->end_ms, m, last);
    for (; !e; next_month(m)) {
        e = eval_acc_month(f->acc, w, m);
        if (!strcmp(m, last)) break;
    }
    return e;
}

/* After the last generated case (writer job): the counts of the generated
 * cases into the dashboard's counters and the evaluation's. */
static jc_err run_counts_after(jc_conn *w, void *arg) {
    fill_ctx *f = arg;
    const stats_store_ops *st = stats_store(w);
    if (!st) return JC_ERR_UNAVAILABLE;
    stats_count *cs = calloc(f->counts.n + 1, sizeof *cs);
    stats_day_add *ds = calloc(f->days.n + 1, sizeof *ds);
    jc_err e = cs && ds ? JC_OK : JC_ERR_NOMEM;
    size_t nc = 0, nd = 0;
    for (size_t i = 0; !e && i < f->counts.cap; i++) {
        const tally_slot *t = &f->counts.s[i];
        if (t->used)
            cs[nc++] = (stats_count){.area = t->area, .category = t->category, .state = state_name((jc_state)(t->b & 255)),
                                     .dept_id = t->a, .marks = (int)(t->b >> 8), .n = t->n1};
    }
    for (size_t i = 0; !e && i < f->days.cap; i++) {
        const tally_slot *t = &f->days.s[i];
        if (t->used) ds[nd++] = (stats_day_add){.day = t->b, .dept_id = t->a, .created = t->n1, .closed = t->n2, .area = t->area};
    }
    if (!e) e = st->add(w, cs, nc, ds, nd);
    if (!e && st->fold) e = st->fold(w); /* the tables as a rebuild leaves them */
    free(cs);
    free(ds);
    if (!e) e = eval_acc_write(f->acc, w);
    /* the message centre: the history written is not news (its producer would
     * read the whole chain again after the fill, in the server's first hours) */
    return e ? e : notify_skip_history(w);
}

/* --recount: the counters by the product's recomputation passes over the
 * store's rows (the former way, and what a test compares with). */
typedef struct {
    int64_t t0, t1;
} recount_arg;

static jc_err run_recount(jc_conn *w, void *arg) {
    recount_arg *r = arg;
    jc_err e = stats_rebuild(w);
    char m[8], last[8];
    months_of(r->t0, r->t1, m, last);
    for (; !e; next_month(m)) {
        e = eval_recompute_month(w, m, r->t1);
        if (!strcmp(m, last)) break;
    }
    return e;
}

/* Loads what generation needs from the database and the data directory;
 * creates the missing users. */
static jc_err prepare(fill_ctx *f, jc_conn *c, const char *data_dir) {
    load_arg l = {f, JC_OK};
    jc_err e;
    if ((e = store_area_each(c, grid_cb, &l)) || (e = store_area_each(c, comm_cb, &l)) ||
        (e = store_dept_each(c, dept_cb, &l)) || (e = store_user_each(c, user_cb, &l)))
        return e;
    if (!f->ngrids || !f->ndepts || !f->dispatcher.id) {
        snprintf(f->msg, sizeof f->msg, "the database has no grids, departments or dispatcher: run `jiceng demo` first");
        return JC_ERR_INVALID;
    }
    if ((e = load_texts(f, c, data_dir))) return e;
    char *csv = NULL;
    if ((e = fill_store(c)->active_list(c, &f->list_version, &csv))) return e;
    e = csv ? duty_import_csv(csv, strlen(csv), NULL, &f->list, NULL) : duty_list_new(&f->list);
    free(csv);
    if (e) return e;
    if ((e = calendar_new(&f->cal))) return e;
    f->nresidents = (int)(f->target / 20 < 100 ? 100 : f->target / 20 > 2000000 ? 2000000 : f->target / 20);
    f->residents = calloc((size_t)f->nresidents, sizeof *f->residents);
    f->resident_phone = calloc((size_t)f->nresidents, sizeof *f->resident_phone);
    f->resident_name = calloc((size_t)f->nresidents, sizeof *f->resident_name);
    if (!f->residents || !f->resident_phone || !f->resident_name) return JC_ERR_NOMEM;
    if ((e = store_exec(f->st, run_users, f))) return e;
    /* the demo's resident logins take their share of reports too */
    jc_user u;
    for (int i = 0; i < 2 && i < f->nresidents; i++) {
        char name[16];
        snprintf(name, sizeof name, "resident%d", i + 1);
        if (store_user_by_name(c, name, &u) == JC_OK) {
            f->residents[i] = u.id;
            jc_fmt_cut(f->resident_phone[i], sizeof f->resident_phone[i], "%s", u.phone); /* demo users: short */
            jc_fmt_cut(f->resident_name[i], sizeof f->resident_name[i], "%s", u.name);
        }
    }
    /* the first id the generated cases take */
    jc_case k = {0};
    if ((e = store_case_reserve(c, &k))) return e;
    f->next_id = k.id;
    /* the chain's tail, after the users' entries: the generator links on */
    if ((e = fill_store(c)->audit_tail(c, &f->tail_seq, f->tail_hash))) return e;
    /* a store smaller than what comes: its indexes are built once at the end */
    f->drop = f->next_id - 1 < f->target;
    return JC_OK;
}

static jc_err run_bulk_begin(jc_conn *w, void *arg) {
    fill_ctx *f = arg;
    jc_err e = fill_store(w)->bulk_begin(w, f->drop, &f->bulk);
    f->set_aside = f->bulk != NULL;
    return e;
}

static jc_err run_bulk_end(jc_conn *w, void *arg) {
    fill_ctx *f = arg;
    fill_bulk *b = f->bulk;
    f->bulk = NULL;
    return fill_store(w)->bulk_end(w, b);
}

static void fill_free(fill_ctx *f) {
    for (int i = 0; i < f->ngrids; i++) geo_shape_free(f->grids[i].shape);
    free(f->grids);
    for (int i = 0; i < f->ntexts; i++) free(f->texts[i].title), free(f->texts[i].body);
    for (size_t i = 0; i < f->nheap; i++) fcase_free(f->heap[i].c);
    free(f->heap);
    free(f->residents);
    free(f->resident_phone);
    free(f->resident_name);
    duty_list_free(f->list);
    calendar_free(f->cal);
    eval_acc_free(f->acc);
    for (size_t i = 0; i < f->pcap; i++) free(f->pend[i]);
    free(f->pend);
    free(f->counts.s);
    free(f->days.s);
}

static int cmd_bench_fill(int argc, char **argv) {
    static const char help[] =
        "usage: jiceng bench-fill --db DB --cases N [--days 365] [--seed 1] [--data DIR]\n"
        "       jiceng bench-fill --db DB --recount --as-of MS [--days 365]\n"
        "Writes N realistic cases created over the last --days days into a database seeded\n"
        "by `jiceng demo`, directly through the store (for benchmarks: bench/scale.sh): every\n"
        "case with its audit entries (a valid chain), route, owners, phases and returns, as\n"
        "the server would have written them; the dashboard's and the evaluation's counters\n"
        "are counted as the cases are generated (as of the time it prints).\n"
        "Adds a pool of resident accounts and a grid worker per grid that cannot log in.\n"
        "  --data     the directory of seed_texts.csv (default ./data)\n"
        "  --recount  instead: the same counters by the recomputation passes over the rows\n"
        "             (the dashboard's rebuilt, the evaluation months of the --days before\n"
        "             --as-of, ms since 1970, recomputed as of then)\n";
    if (cli_wants_help(argc, argv)) return fputs(help, stdout), JC_EXIT_OK;
    const char *db = NULL, *data_dir = "data";
    int64_t n = 0, days = 365, seed = 1, as_of = 0;
    int recount = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--recount")) {
            recount = 1;
            continue;
        }
        if (!v) return cli_usage_error("bench-fill", "option %s needs a value", a);
        i++;
        if (!strcmp(a, "--db")) db = v;
        else if (!strcmp(a, "--data")) data_dir = v;
        else if (!strcmp(a, "--cases")) {
            if (jc_parse_i64(v, &n) || n < 1 || n > 100000000)
                return cli_usage_error("bench-fill", "--cases must be 1..100000000");
        } else if (!strcmp(a, "--days")) {
            if (jc_parse_i64(v, &days) || days < 1 || days > 3650)
                return cli_usage_error("bench-fill", "--days must be 1..3650");
        } else if (!strcmp(a, "--seed")) {
            if (jc_parse_i64(v, &seed) || seed < 1) return cli_usage_error("bench-fill", "--seed must be a positive number");
        } else if (!strcmp(a, "--as-of")) {
            if (jc_parse_i64(v, &as_of) || as_of < 1) return cli_usage_error("bench-fill", "--as-of must be ms since 1970");
        } else return cli_usage_error("bench-fill", "unexpected argument '%s'", a);
    }
    if (!db) return cli_usage_error("bench-fill", "missing --db DB");
    if (recount ? !as_of : !n) return cli_usage_error("bench-fill", recount ? "--recount needs --as-of MS" : "missing --cases N");
    if (recount && n) return cli_usage_error("bench-fill", "--recount writes no cases: no --cases");
    if (sodium_init() < 0) return JC_EXIT_FAIL;
    static fill_ctx f; /* large: the text table */
    memset(&f, 0, sizeof f);
    f.target = n;
    f.rng = (uint64_t)seed * 0x9E3779B97F4A7C15ULL | 1;
    f.end_ms = jc_now_ms() - MIN_MS;
    f.start_ms = f.end_ms - days * 24 * HOUR_MS;
    f.chunk_cases = 10000; /* a transaction's savepoint journal stays in memory */
    f.grids = calloc(FILL_MAX_GRIDS, sizeof *f.grids);
    jc_conn *c = NULL;
    int version, rc = JC_EXIT_OK;
    if (!f.grids || store_open(db, &f.st) || store_migrate(f.st, &version) || store_conn_open(f.st, &c)) {
        fprintf(stderr, "jiceng bench-fill: cannot open %s\n", db);
        rc = JC_EXIT_FAIL;
        goto out;
    }
    jc_err e;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (recount) {
        recount_arg ra = {as_of - days * 24 * HOUR_MS, as_of};
        if ((e = store_exec(f.st, run_recount, &ra))) {
            fprintf(stderr, "jiceng bench-fill: recount: %s\n", jc_err_code(e));
            rc = JC_EXIT_FAIL;
        } else
            printf("bench-fill: counters recounted from the rows in %.1f s\n", secs_since(&t0));
        goto out;
    }
    if ((e = prepare(&f, c, data_dir)) || (e = eval_acc_open(c, f.end_ms, &f.acc))) {
        fprintf(stderr, "jiceng bench-fill: %s\n", f.msg[0] ? f.msg : jc_err_code(e));
        rc = JC_EXIT_FAIL;
        goto out;
    }
    f.pnext = f.next_id;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double cpu0 = cpu_secs();
    if ((e = store_exec(f.st, run_counts_before, &f))) {
        fprintf(stderr, "jiceng bench-fill: the counters before: %s\n", jc_err_code(e));
        rc = JC_EXIT_FAIL;
        goto out;
    }
    double before_s = secs_since(&t0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if ((e = store_exec(f.st, run_bulk_begin, &f))) {
        fprintf(stderr, "jiceng bench-fill: bulk mode: %s\n", jc_err_code(e));
        rc = JC_EXIT_FAIL;
        goto out;
    }
    f.count_all = f.set_aside; /* else the counting triggers count each case as it is inserted */
    e = run_chunks(&f, &t0);
    double gen_s = secs_since(&t0), gen_cpu = cpu_secs() - cpu0;
    if (!e && f.pnext != f.next_id) e = JC_ERR_INTERNAL; /* every case's facts counted */
    /* the text index, at once (the server's ticker adds 5,000 a second),
     * still with the bulk's cache: 512 MiB instead of 2 MiB for the full-text
     * index's merges (at 1 M cases 10.3 s -> 8.0 s, one run each at load 5-7) */
    jc_err te = e ? JC_OK : store_exec(f.st, run_index, NULL);
    double text_s = secs_since(&t0) - gen_s;
    jc_err ee = store_exec(f.st, run_bulk_end, &f);
    if (e || te || ee) {
        if (e)
            fprintf(stderr, "jiceng bench-fill: writing failed after %lld cases: %s (start again from a new database)\n",
                    (long long)f.made, jc_err_code(e));
        else if (te)
            fprintf(stderr, "jiceng bench-fill: text index: %s\n", jc_err_code(te));
        else
            fprintf(stderr, "jiceng bench-fill: the indexes: %s\n", jc_err_code(ee));
        rc = JC_EXIT_FAIL;
        goto out;
    }
    double idx_s = secs_since(&t0) - gen_s - text_s;
    gen_s += idx_s;
    if ((e = store_exec(f.st, run_counts_after, &f))) {
        fprintf(stderr, "jiceng bench-fill: the counters: %s\n", jc_err_code(e));
        rc = JC_EXIT_FAIL;
        goto out;
    }
    double count_s = secs_since(&t0) - gen_s - text_s;
    printf("bench-fill: %lld cases (ids %lld..%lld), %lld audit entries in %.1f s (%.0f cases/s; of it %.1f s "
           "building the indexes set aside: %s); text index in %.1f s; counters of the store before %.1f s, of "
           "the generated cases written in %.1f s (%zu dashboard counters, %zu days; counted %s); CPU time %.1f s "
           "writing the cases (%.0f cases per CPU second), %.1f s in all; as of %lld\n",
           (long long)f.made, (long long)(f.next_id - f.made), (long long)(f.next_id - 1), (long long)f.entries,
           gen_s, (double)f.made / (gen_s > 0 ? gen_s : 1), idx_s,
           f.set_aside ? "yes" : f.drop ? "no, not on this backend" : "no, the store was larger", text_s, before_s,
           count_s, f.counts.n, f.days.n, f.count_all ? "all here" : "by the triggers, the closes here", gen_cpu,
           (double)f.made / (gen_cpu > 0 ? gen_cpu : 1), cpu_secs() - cpu0, (long long)f.end_ms);
out:
    store_conn_close(c);
    store_close(f.st);
    fill_free(&f);
    return rc;
}

/* The fill module's row (src/modules.c): the `jiceng bench-fill` command. */
const jc_module module_fill = {
    .name = "fill",
    .store = {[JC_STORE_SQLITE] = &fill_store_sqlite, [JC_STORE_PG] = &fill_store_pg},
    .commands = {{"bench-fill", cmd_bench_fill, "write N realistic cases directly into a database (for benchmarks)"}},
};
