/*
 * base_store.h -- the rows of module "base" that its demo generator writes
 * (base_sqlite.c; base_pg.c on PostgreSQL): grids to fill, houses, households, people, organisations,
 * and the per-community counts recomputed from them.  Row operations only:
 * what to generate is decided in base.c.  One table of functions per
 * backend, named in the module's row (.store); base_db() finds the
 * connection's.
 */
#ifndef JC_BASE_STORE_H
#define JC_BASE_STORE_H

#include "module.h"
#include "store.h"

typedef struct json_t json_t;

/* One generated person (base_people). */
typedef struct {
    int64_t household;
    const char *community, *name, *gender, *birth, *id_number;
    const char *phone; /* NULL: none */
    const char *relation;
    int alone_elder;
} base_person_row;

/* One community's counts (base__summary builds the answer from them). */
typedef struct {
    const char *area, *name;
    int64_t people, households, elders_living_alone, houses, organisations;
    int from_departments;        /* the people figures are the departments' (module people) */
    int64_t disabled, students;  /* meaningful only when from_departments */
} base_summary_row;

typedef struct {
    /* The number of people rows (0 before the generator ran). */
    jc_err (*people_count)(jc_conn *c, int64_t *n);
    /* Calls fn for every grid whose parent is a community, in code order:
     * its code, the community's name, its GeoJSON text; fn returns non-zero
     * to stop. */
    jc_err (*grids)(jc_conn *c, int (*fn)(const char *code, const char *community_name, const char *geojson, void *arg),
                    void *arg);
    /* Adds a house, a household, a person, an organisation (writer); *id gets
     * the new row's id.  A person whose ID number is taken: JC_ERR_CONFLICT,
     * nothing written. */
    jc_err (*house_add)(jc_conn *w, const char *community, const char *grid, const char *address, double lon,
                        double lat, double area_m2, int64_t *id);
    jc_err (*household_add)(jc_conn *w, int64_t house, const char *community, int size, int64_t *id);
    jc_err (*person_add)(jc_conn *w, const base_person_row *p, int64_t *id);
    jc_err (*household_head)(jc_conn *w, int64_t household, int64_t head);
    jc_err (*org_add)(jc_conn *w, const char *community, const char *grid, const char *name, const char *kind,
                      const char *address, double lon, double lat);
    /* Recomputes base_counts (people, households, elders living alone, houses,
     * organisations per community) as of now_ms (writer). */
    jc_err (*counts_refresh)(jc_conn *w, int64_t now_ms);
    /* Calls cb for each community whose code starts with prefix, in code
     * order, with its counts; today_ymd is today's date as yyyymmdd (an
     * elder's age). */
    jc_err (*summary_each)(jc_conn *c, const char *prefix, int64_t today_ymd,
                           int (*cb)(const base_summary_row *r, void *arg), void *arg);
    /* The generated elders living alone with their house's grid, by id, at
     * most limit (base_alone_elders). */
    jc_err (*alone_elders)(jc_conn *c, int limit, int (*cb)(int64_t person_id, const char *grid, void *arg), void *arg);
} base_store_ops;

extern const base_store_ops base_store_sqlite, base_store_pg;
extern const jc_module module_base;

/* c's backend's table (the module runs only where it has one). */
static inline const base_store_ops *base_db(const jc_conn *c) {
    return (const base_store_ops *)module_store(&module_base, c);
}

#endif
