/*
 * base_int.h -- internals shared by base.c and base_sqlite.c.
 */
#ifndef JC_BASE_INT_H
#define JC_BASE_INT_H

#include "base.h"
#include "store.h"

#include <jansson.h>

/* Bounding box of a GeoJSON geometry text; 0 on success, -1 if unreadable. */
int base__bbox(const char *geojson, double *w, double *s, double *e, double *n);
/* Counts per community whose code starts with prefix (reader connection);
 * *out is owned by the caller. */
jc_err base__summary(jc_conn *c, const char *prefix, json_t **out) JC_MUST_CHECK;

/* The base module's tables (base_sqlite.c, base_pg.c), named in its row. */
extern const jc_schema schema_base, schema_base_pg;

#endif
