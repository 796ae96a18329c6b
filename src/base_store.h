/*
 * base_store.h -- the rows of module "base" that its demo generator writes
 * (base_sqlite.c): grids to fill, houses, households, people, organisations,
 * and the per-community counts recomputed from them.  Row operations only:
 * what to generate is decided in base.c.
 */
#ifndef JC_BASE_STORE_H
#define JC_BASE_STORE_H

#include "store.h"

/* One generated person (base_people). */
typedef struct {
    int64_t household;
    const char *community, *name, *gender, *birth, *id_number;
    const char *phone; /* NULL: none */
    const char *relation;
    int alone_elder;
} base_person_row;

/* The number of people rows (0 before the generator ran). */
jc_err base_store_people_count(jc_conn *c, int64_t *n) JC_MUST_CHECK;
/* Calls fn for every grid whose parent is a community, in code order:
 * its code, the community's name, its GeoJSON text; fn returns non-zero
 * to stop. */
jc_err base_store_grids(jc_conn *c,
                        int (*fn)(const char *code, const char *community_name, const char *geojson, void *arg),
                        void *arg) JC_MUST_CHECK;
/* Adds a house, a household, a person, an organisation (writer); *id gets
 * the new row's id.  A person whose ID number is taken: JC_ERR_CONFLICT,
 * nothing written. */
jc_err base_store_house_add(jc_conn *w, const char *community, const char *grid, const char *address, double lon,
                            double lat, double area_m2, int64_t *id) JC_MUST_CHECK;
jc_err base_store_household_add(jc_conn *w, int64_t house, const char *community, int size,
                                int64_t *id) JC_MUST_CHECK;
jc_err base_store_person_add(jc_conn *w, const base_person_row *p, int64_t *id) JC_MUST_CHECK;
jc_err base_store_household_head(jc_conn *w, int64_t household, int64_t head) JC_MUST_CHECK;
jc_err base_store_org_add(jc_conn *w, const char *community, const char *grid, const char *name, const char *kind,
                          const char *address, double lon, double lat) JC_MUST_CHECK;
/* Recomputes base_counts (people, households, elders living alone, houses,
 * organisations per community) as of now_ms (writer). */
jc_err base_store_counts_refresh(jc_conn *w, int64_t now_ms) JC_MUST_CHECK;

#endif
