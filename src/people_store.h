/*
 * people_store.h -- the row operations of the people subsystem's tables, a
 * table per backend (src/people_sqlite.c, src/people_pg.c): sources and
 * their mappings, imports, records (ID numbers, phones and attributes only
 * as ciphertext, with keyed blind indexes), links, the review queue, persons
 * (golden records).  Decisions are made in people.c; nothing here knows what
 * a row means.  The pstore_* functions at the end call c's backend's table.
 */
#ifndef JC_PEOPLE_STORE_H
#define JC_PEOPLE_STORE_H

#include "jc.h"
#include "module.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>

typedef struct jc_conn jc_conn;

typedef struct {
    char key[64];
    char name[128];
    char *mapping; /* JSON {"header": "field"}; owned (free) */
    int64_t created_at, updated_at, withdrawn_at, records, imports;
} pstore_source;

typedef struct {
    int64_t id;
    char source[64], file_name[256], format[8], encoding[16], actor[64];
    int64_t at, rows, added, updated, retired, unchanged, skipped, persons, review, link_ms;
    int dry_run;
} pstore_import;

typedef struct {
    int64_t rowid;
    char source[64];
    const char *record_id;
    int row_no;
    int64_t row_hash;
    const char *name;
    char sex;  /* stated: 'M', 'F' or 0 */
    int birth; /* stated: yyyymmdd or 0 */
    int age;   /* stated, -1 none */
    int id_kind, id_known;
    const unsigned char *id_enc, *id_bidx; /* bidx: 16 bytes or NULL */
    size_t id_enc_len;
    const char *id_mask;
    const unsigned char *phone_enc, *phone_bidx;
    size_t phone_enc_len;
    const char *phone_mask;
    const char *address, *community, *household, *relation;
    int flags;
    const unsigned char *attrs_enc;
    size_t attrs_enc_len;
    int64_t person_id, import_id, added_at, updated_at;
    int fresh, active;
} pstore_record;

typedef struct {
    const char *a_source, *a_record, *b_source, *b_record;
    double prob, weight;
    const char *levels;
    const char *status; /* pending, same, different */
    const char *decided_by;
    int64_t decided_at, created_at;
    int64_t a_rowid, b_rowid; /* 0 when the record is gone */
} pstore_review;

typedef struct {
    int64_t id;
    const char *name;
    char sex;
    int birth;
    const unsigned char *id_enc, *id_bidx;
    size_t id_enc_len;
    const char *id_mask;
    const unsigned char *phone_enc;
    size_t phone_enc_len;
    const char *phone_mask;
    const char *address, *community, *household;
    int flags;
    int records;
    const char *sources;    /* JSON array of source keys */
    const char *provenance; /* JSON object field -> the rowid of the record it came from */
    int64_t updated_at;
    const char *house;      /* community and the address's numbers ("110101001001/3-2-101"), or NULL */
} pstore_person;

/* Counts per community (people, households, flags' counts, age bands). */
typedef struct {
    char community[16];
    int64_t people, households, elders, elders_alone, disabled, students, children, linked_from_sources;
} pstore_counts;

typedef struct {
    /* ---- sources -------------------------------------------------------------- */
    /* JC_ERR_NOTFOUND when the source does not exist (withdrawn ones do). */
    jc_err (*source_get)(jc_conn *c, const char *key, pstore_source *out);
    /* Creates or updates (name "" keeps the old name, mapping NULL the old mapping);
     * clears withdrawn_at. */
    jc_err (*source_put)(jc_conn *w, const char *key, const char *name, const char *mapping, int64_t now);
    jc_err (*source_withdrawn)(jc_conn *w, const char *key, int64_t now);
    /* Every source by key; cb's pstore_source is valid during the call. */
    jc_err (*source_each)(jc_conn *c, int (*cb)(const pstore_source *s, void *arg), void *arg);
    /* ---- imports -------------------------------------------------------------- */
    jc_err (*import_insert)(jc_conn *w, pstore_import *im); /* sets im->id */
    jc_err (*import_update)(jc_conn *w, const pstore_import *im);
    /* The newest first; source NULL for all. */
    jc_err (*import_each)(jc_conn *c, const char *source, int limit, int (*cb)(const pstore_import *im, void *arg), void *arg);
    /* ---- records -------------------------------------------------------------- */
    /* Calls cb(record_id, rowid, row_hash, active) for every record of the
     * source. */
    jc_err (*record_keys)(jc_conn *c, const char *source, int (*cb)(const char *record_id, int64_t rowid, int64_t hash, int active, void *arg), void *arg);
    jc_err (*record_insert)(jc_conn *w, pstore_record *r); /* sets r->rowid */
    /* Rewrites the row's values (not its source, record id, added_at); fresh. */
    jc_err (*record_update)(jc_conn *w, const pstore_record *r);
    /* Marks a record retired (no longer in its source's file). */
    jc_err (*record_retire)(jc_conn *w, int64_t rowid, int64_t now);
    /* Deletes every record of a source (withdrawal) with its links and review
     * rows; *n gets the count. */
    jc_err (*source_purge)(jc_conn *w, const char *key, int64_t *n);
    /* Active records in rowid order (only_fresh: the fresh ones; person > 0:
     * that person's only).  The row is valid during the call. */
    jc_err (*record_each)(jc_conn *c, int64_t person, int (*cb)(const pstore_record *r, void *arg), void *arg);
    /* One record by rowid. */
    jc_err (*record_get)(jc_conn *c, int64_t rowid, int (*cb)(const pstore_record *r, void *arg), void *arg);
    /* The community of an active record by (source, record id); JC_ERR_NOTFOUND. */
    jc_err (*record_community)(jc_conn *c, const char *source, const char *record_id, char *out, size_t outsz);
    jc_err (*record_set_person)(jc_conn *w, int64_t rowid, int64_t person);
    /* Sets a record's community (a code of the area tree inferred from its house). */
    jc_err (*record_set_community)(jc_conn *w, int64_t rowid, const char *community);
    /* Every record fresh = 0. */
    jc_err (*records_settled)(jc_conn *w);
    /* Export rows: source, record id, person id of every active record. */
    jc_err (*links_export)(jc_conn *c, int (*cb)(const char *source, const char *record_id, int64_t person, void *arg), void *arg);
    /* ---- links ----------------------------------------------------------------- */
    /* Every stored link (an incremental run keeps those between two active
     * records that are not fresh). */
    jc_err (*link_each_kept)(jc_conn *c, int (*cb)(int64_t a, int64_t b, double weight, double prob, const char *levels, void *arg), void *arg);
    /* Deletes the links of fresh records (all links when all is set). */
    jc_err (*links_clear)(jc_conn *w, int all);
    jc_err (*link_put)(jc_conn *w, int64_t a, int64_t b, double weight, double prob, const char *levels, int linked);
    /* The links of one record (cb with the other record's rowid). */
    jc_err (*link_of)(jc_conn *c, int64_t rowid, int (*cb)(int64_t other, double weight, double prob, const char *levels, int linked, void *arg), void *arg);
    /* ---- review queue ------------------------------------------------------------ */
    /* Decided rows (cb for each). */
    jc_err (*review_decided)(jc_conn *c, int (*cb)(const pstore_review *r, void *arg), void *arg);
    /* Pending rows whose two records are active, most uncertain first, from
     * offset; area_prefix ("" any) limits to records of communities under it. */
    jc_err (*review_pending)(jc_conn *c, const char *area_prefix, int limit, int offset, int (*cb)(const pstore_review *r, void *arg), void *arg);
    /* Counts of the queue within area_prefix ("" all). */
    jc_err (*review_count)(jc_conn *c, const char *area_prefix, int64_t *pending, int64_t *decided);
    /* Drops pending rows (all, or those of fresh records). */
    jc_err (*review_clear_pending)(jc_conn *w, int all);
    /* Adds a pending row unless one exists for the pair. */
    jc_err (*review_add)(jc_conn *w, const pstore_review *r);
    /* Sets a decision; JC_ERR_NOTFOUND when the pair is not in the queue. */
    jc_err (*review_decide)(jc_conn *w, const char *as, const char *ar, const char *bs, const char *br, const char *status, const char *by, int64_t now);
    /* ---- persons (golden records) ------------------------------------------------- */
    jc_err (*person_put)(jc_conn *w, const pstore_person *p);
    /* Deletes persons no active record points at. */
    jc_err (*persons_prune)(jc_conn *w, int64_t *n);
    jc_err (*person_max_id)(jc_conn *c, int64_t *out);
    jc_err (*person_get)(jc_conn *c, int64_t id, int (*cb)(const pstore_person *p, void *arg), void *arg);
    /* Persons whose community starts with area_prefix (""), by id, after
     * after_id, at most limit; q (may be "") filters by name substring. */
    jc_err (*person_list)(jc_conn *c, const char *area_prefix, const char *q, int64_t after_id, int limit, int (*cb)(const pstore_person *p, void *arg), void *arg);
    /* The other persons of person id's household, as the counts have it: the
     * same household number in the same community, or, where person id has none,
     * the same dwelling (community and the address's numbers) among those without
     * one; by birth date, at most limit. */
    jc_err (*person_household)(jc_conn *c, int64_t id, int limit, int (*cb)(const pstore_person *p, void *arg), void *arg);
    /* Persons having all of flags, in communities under area_prefix, by community. */
    jc_err (*person_flagged)(jc_conn *c, const char *area_prefix, int flags, int (*cb)(const pstore_person *p, void *arg), void *arg);
    /* Persons with the blind index of an ID number. */
    jc_err (*person_by_bidx)(jc_conn *c, const unsigned char bidx[16], int (*cb)(const pstore_person *p, void *arg), void *arg);
    jc_err (*person_counts)(jc_conn *c, const char *area_prefix, int64_t today_ymd, int (*cb)(const pstore_counts *k, void *arg), void *arg);
    /* Writes the communities' people, households, elders living alone (60+),
     * people with a disability and students from the golden records into the
     * work list's base_counts (as of now). */
    jc_err (*counts_to_base)(jc_conn *w, int64_t now, int64_t today_ymd);
    /* ---- the model estimate -------------------------------------------------------- */
    jc_err (*meta_get)(jc_conn *c, const char *key, char **out); /* NULL when absent */
    jc_err (*meta_put)(jc_conn *w, const char *key, const char *value);
    /* Gives the connection a page cache of mib MiB (a bulk import by the CLI,
     * whose connection is its own: the store's pages are read again and again
     * by the linker and the golden records). */
    jc_err (*bulk_cache)(jc_conn *w, int mib);
    /* The file of the database c is connected to (for the key file beside it). */
    jc_err (*db_path)(jc_conn *c, char *out, size_t outsz);
    /* The communities of the area tree (code, name) for address resolution. */
    jc_err (*communities)(jc_conn *c, int (*cb)(const char *code, const char *name, void *arg), void *arg);
} people_store_ops;

/* The two backends' tables and schemas (people_sqlite.c, people_pg.c), named
 * in the module's row (people_cli.c). */
extern const people_store_ops people_store_sqlite, people_store_pg;
extern const jc_schema schema_people, schema_people_pg;
extern const jc_module module_people;

/* The operations above on c's backend (the module's routes and commands run
 * only where it runs, so this is never NULL there). */
static inline const people_store_ops *people_store(const jc_conn *c) {
    return (const people_store_ops *)module_store(&module_people, c);
}

/* ---- the operations of c's backend, by their old names ---------------------------- */
static inline JC_MUST_CHECK jc_err pstore_source_get(jc_conn *c, const char *key, pstore_source *out) {
    return people_store(c)->source_get(c, key, out);
}

static inline JC_MUST_CHECK jc_err pstore_source_put(jc_conn *w, const char *key, const char *name, const char *mapping, int64_t now) {
    return people_store(w)->source_put(w, key, name, mapping, now);
}

static inline JC_MUST_CHECK jc_err pstore_source_withdrawn(jc_conn *w, const char *key, int64_t now) {
    return people_store(w)->source_withdrawn(w, key, now);
}

static inline JC_MUST_CHECK jc_err pstore_source_each(jc_conn *c, int (*cb)(const pstore_source *s, void *arg), void *arg) {
    return people_store(c)->source_each(c, cb, arg);
}

static inline JC_MUST_CHECK jc_err pstore_import_insert(jc_conn *w, pstore_import *im) {
    return people_store(w)->import_insert(w, im);
}

static inline JC_MUST_CHECK jc_err pstore_import_update(jc_conn *w, const pstore_import *im) {
    return people_store(w)->import_update(w, im);
}

static inline JC_MUST_CHECK jc_err pstore_import_each(jc_conn *c, const char *source, int limit, int (*cb)(const pstore_import *im, void *arg), void *arg) {
    return people_store(c)->import_each(c, source, limit, cb, arg);
}

static inline JC_MUST_CHECK jc_err pstore_record_keys(jc_conn *c, const char *source, int (*cb)(const char *record_id, int64_t rowid, int64_t hash, int active, void *arg), void *arg) {
    return people_store(c)->record_keys(c, source, cb, arg);
}

static inline JC_MUST_CHECK jc_err pstore_record_insert(jc_conn *w, pstore_record *r) {
    return people_store(w)->record_insert(w, r);
}

static inline JC_MUST_CHECK jc_err pstore_record_update(jc_conn *w, const pstore_record *r) {
    return people_store(w)->record_update(w, r);
}

static inline JC_MUST_CHECK jc_err pstore_record_retire(jc_conn *w, int64_t rowid, int64_t now) {
    return people_store(w)->record_retire(w, rowid, now);
}

static inline JC_MUST_CHECK jc_err pstore_source_purge(jc_conn *w, const char *key, int64_t *n) {
    return people_store(w)->source_purge(w, key, n);
}

static inline JC_MUST_CHECK jc_err pstore_record_each(jc_conn *c, int64_t person, int (*cb)(const pstore_record *r, void *arg), void *arg) {
    return people_store(c)->record_each(c, person, cb, arg);
}

static inline JC_MUST_CHECK jc_err pstore_record_get(jc_conn *c, int64_t rowid, int (*cb)(const pstore_record *r, void *arg), void *arg) {
    return people_store(c)->record_get(c, rowid, cb, arg);
}

static inline JC_MUST_CHECK jc_err pstore_record_community(jc_conn *c, const char *source, const char *record_id, char *out, size_t outsz) {
    return people_store(c)->record_community(c, source, record_id, out, outsz);
}

static inline JC_MUST_CHECK jc_err pstore_record_set_person(jc_conn *w, int64_t rowid, int64_t person) {
    return people_store(w)->record_set_person(w, rowid, person);
}

static inline JC_MUST_CHECK jc_err pstore_record_set_community(jc_conn *w, int64_t rowid, const char *community) {
    return people_store(w)->record_set_community(w, rowid, community);
}

static inline JC_MUST_CHECK jc_err pstore_records_settled(jc_conn *w) {
    return people_store(w)->records_settled(w);
}

static inline JC_MUST_CHECK jc_err pstore_links_export(jc_conn *c, int (*cb)(const char *source, const char *record_id, int64_t person, void *arg), void *arg) {
    return people_store(c)->links_export(c, cb, arg);
}

static inline JC_MUST_CHECK jc_err pstore_link_each_kept(jc_conn *c, int (*cb)(int64_t a, int64_t b, double weight, double prob, const char *levels, void *arg), void *arg) {
    return people_store(c)->link_each_kept(c, cb, arg);
}

static inline JC_MUST_CHECK jc_err pstore_links_clear(jc_conn *w, int all) {
    return people_store(w)->links_clear(w, all);
}

static inline JC_MUST_CHECK jc_err pstore_link_put(jc_conn *w, int64_t a, int64_t b, double weight, double prob, const char *levels, int linked) {
    return people_store(w)->link_put(w, a, b, weight, prob, levels, linked);
}

static inline JC_MUST_CHECK jc_err pstore_link_of(jc_conn *c, int64_t rowid, int (*cb)(int64_t other, double weight, double prob, const char *levels, int linked, void *arg), void *arg) {
    return people_store(c)->link_of(c, rowid, cb, arg);
}

static inline JC_MUST_CHECK jc_err pstore_review_decided(jc_conn *c, int (*cb)(const pstore_review *r, void *arg), void *arg) {
    return people_store(c)->review_decided(c, cb, arg);
}

static inline JC_MUST_CHECK jc_err pstore_review_pending(jc_conn *c, const char *area_prefix, int limit, int offset, int (*cb)(const pstore_review *r, void *arg), void *arg) {
    return people_store(c)->review_pending(c, area_prefix, limit, offset, cb, arg);
}

static inline JC_MUST_CHECK jc_err pstore_review_count(jc_conn *c, const char *area_prefix, int64_t *pending, int64_t *decided) {
    return people_store(c)->review_count(c, area_prefix, pending, decided);
}

static inline JC_MUST_CHECK jc_err pstore_review_clear_pending(jc_conn *w, int all) {
    return people_store(w)->review_clear_pending(w, all);
}

static inline JC_MUST_CHECK jc_err pstore_review_add(jc_conn *w, const pstore_review *r) {
    return people_store(w)->review_add(w, r);
}

static inline JC_MUST_CHECK jc_err pstore_review_decide(jc_conn *w, const char *as, const char *ar, const char *bs, const char *br, const char *status, const char *by, int64_t now) {
    return people_store(w)->review_decide(w, as, ar, bs, br, status, by, now);
}

static inline JC_MUST_CHECK jc_err pstore_person_put(jc_conn *w, const pstore_person *p) {
    return people_store(w)->person_put(w, p);
}

static inline JC_MUST_CHECK jc_err pstore_persons_prune(jc_conn *w, int64_t *n) {
    return people_store(w)->persons_prune(w, n);
}

static inline JC_MUST_CHECK jc_err pstore_person_max_id(jc_conn *c, int64_t *out) {
    return people_store(c)->person_max_id(c, out);
}

static inline JC_MUST_CHECK jc_err pstore_person_get(jc_conn *c, int64_t id, int (*cb)(const pstore_person *p, void *arg), void *arg) {
    return people_store(c)->person_get(c, id, cb, arg);
}

static inline JC_MUST_CHECK jc_err pstore_person_list(jc_conn *c, const char *area_prefix, const char *q, int64_t after_id, int limit, int (*cb)(const pstore_person *p, void *arg), void *arg) {
    return people_store(c)->person_list(c, area_prefix, q, after_id, limit, cb, arg);
}

static inline JC_MUST_CHECK jc_err pstore_person_household(jc_conn *c, int64_t id, int limit, int (*cb)(const pstore_person *p, void *arg), void *arg) {
    return people_store(c)->person_household(c, id, limit, cb, arg);
}

static inline JC_MUST_CHECK jc_err pstore_person_flagged(jc_conn *c, const char *area_prefix, int flags, int (*cb)(const pstore_person *p, void *arg), void *arg) {
    return people_store(c)->person_flagged(c, area_prefix, flags, cb, arg);
}

static inline JC_MUST_CHECK jc_err pstore_person_by_bidx(jc_conn *c, const unsigned char bidx[16], int (*cb)(const pstore_person *p, void *arg), void *arg) {
    return people_store(c)->person_by_bidx(c, bidx, cb, arg);
}

static inline JC_MUST_CHECK jc_err pstore_person_counts(jc_conn *c, const char *area_prefix, int64_t today_ymd, int (*cb)(const pstore_counts *k, void *arg), void *arg) {
    return people_store(c)->person_counts(c, area_prefix, today_ymd, cb, arg);
}

static inline JC_MUST_CHECK jc_err pstore_counts_to_base(jc_conn *w, int64_t now, int64_t today_ymd) {
    return people_store(w)->counts_to_base(w, now, today_ymd);
}

static inline JC_MUST_CHECK jc_err pstore_meta_get(jc_conn *c, const char *key, char **out) {
    return people_store(c)->meta_get(c, key, out);
}

static inline JC_MUST_CHECK jc_err pstore_meta_put(jc_conn *w, const char *key, const char *value) {
    return people_store(w)->meta_put(w, key, value);
}

static inline JC_MUST_CHECK jc_err pstore_bulk_cache(jc_conn *w, int mib) {
    return people_store(w)->bulk_cache(w, mib);
}

static inline JC_MUST_CHECK jc_err pstore_db_path(jc_conn *c, char *out, size_t outsz) {
    return people_store(c)->db_path(c, out, outsz);
}

static inline JC_MUST_CHECK jc_err pstore_communities(jc_conn *c, int (*cb)(const char *code, const char *name, void *arg), void *arg) {
    return people_store(c)->communities(c, cb, arg);
}

#endif
