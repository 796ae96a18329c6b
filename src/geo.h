/*
 * geo.h -- where a point is: coordinate systems, grid polygons, locate.
 *
 * The first step of automatic dispatch (issue 3) turns a reported position
 * into the code of the grid (网格) that contains it.  This module is pure and
 * storage-free: it converts between the three coordinate systems used in
 * China (WGS-84, GCJ-02 of Amap/Tencent, BD-09 of Baidu), parses and validates
 * GeoJSON grid boundaries, answers point-in-polygon questions and keeps a
 * spatial index over thousands of grids.  See docs/dispatch.md.
 *
 * Conventions: longitudes first (lon, lat), in degrees, as GeoJSON does.
 * Polygons are stored in WGS-84, the system jiceng stores.
 *
 * Boundary rule: a point on an edge or vertex of a polygon (of its shell or
 * of a hole) belongs to the polygon; "on" means within GEO_BOUNDARY_EPS
 * degrees (about 0.1 mm).  A point on the shared edge of two adjacent grids is
 * thus in both, and geo_index_locate breaks the tie deterministically: the
 * grid whose code is lowest in byte order (strcmp) wins.
 *
 * Threads: a built geo_index is read-only; locate may be called from any
 * number of threads at once.  Building and freeing are not concurrent.
 */
#ifndef GEO_H
#define GEO_H

#include "jc.h"

#include <stddef.h>

#define GEO_BOUNDARY_EPS 1e-9       /* degrees; "on the boundary" tolerance */
#define GEO_MAX_POSITIONS 1000000   /* positions per shape (all rings) */
#define GEO_MAX_RINGS 10000         /* rings per polygon */
#define GEO_MAX_JSON (64u << 20)    /* bytes of GeoJSON text */
#define GEO_MAX_CODE 32             /* bytes of a grid code, without NUL */

/* ---- coordinate systems ---------------------------------------------- */

typedef enum { GEO_WGS84 = 0, GEO_GCJ02 = 1, GEO_BD09 = 2 } geo_crs;

/* Parses "wgs84", "gcj02" or "bd09" (case-insensitive; "wgs-84", "gcj-02",
 * "bd-09" too).  JC_ERR_INVALID for anything else. */
jc_err geo_crs_parse(const char *name, geo_crs *out) JC_MUST_CHECK;

/* True when (lon, lat) lies outside the rectangle the GCJ-02 algorithm
 * shifts (72.004..137.8347 E, 0.8293..55.8271 N); such points are returned
 * unchanged by the conversions, exactly as the published algorithm does. */
int geo_out_of_china(double lon, double lat);

/* The standard conversions.  All write the result through olon/olat and
 * never fail; callers validate ranges first (geo_to_wgs84 does). */
void geo_wgs84_to_gcj02(double lon, double lat, double *olon, double *olat);
/* Inverse of geo_wgs84_to_gcj02 by fixed-point iteration to < 1e-9 degrees
 * (at most 30 steps; in practice 3-5). */
void geo_gcj02_to_wgs84(double lon, double lat, double *olon, double *olat);
void geo_gcj02_to_bd09(double lon, double lat, double *olon, double *olat);
/* Baidu's published inverse, refined by iteration so that a round trip
 * gcj02 -> bd09 -> gcj02 is exact to < 1e-9 degrees. */
void geo_bd09_to_gcj02(double lon, double lat, double *olon, double *olat);
void geo_wgs84_to_bd09(double lon, double lat, double *olon, double *olat);
void geo_bd09_to_wgs84(double lon, double lat, double *olon, double *olat);

/* Converts a position given in crs to WGS-84.  JC_ERR_INVALID when lon/lat
 * are not finite or outside -180..180 / -90..90 (nothing written). */
jc_err geo_to_wgs84(geo_crs crs, double lon, double lat, double *olon,
                    double *olat) JC_MUST_CHECK;

/* Great-circle distance in metres (haversine, mean Earth radius 6371008.8 m). */
double geo_haversine_m(double lon1, double lat1, double lon2, double lat2);

/* ---- shapes ------------------------------------------------------------ */

/* A validated Polygon or MultiPolygon (WGS-84).  Opaque. */
typedef struct geo_shape geo_shape;

/* Parses one GeoJSON Polygon, MultiPolygon, or a Feature holding one, and
 * validates it (rules in docs/dispatch.md: closed rings of >= 4 positions,
 * finite coordinates in range, no self-intersecting ring, holes inside their
 * shell).  On success *out is a new shape the caller frees with
 * geo_shape_free.  Errors: JC_ERR_INVALID with a message naming what and
 * where written to err (errsz bytes, may be NULL/0), JC_ERR_TOOBIG past
 * GEO_MAX_JSON or GEO_MAX_POSITIONS, JC_ERR_NOMEM. */
jc_err geo_shape_parse(const char *text, size_t len, geo_shape **out, char *err,
                       size_t errsz) JC_MUST_CHECK;
/* Frees a shape; NULL is a no-op. */
void geo_shape_free(geo_shape *s);
/* 1 when (lon, lat) is inside the shape or on its boundary, else 0. */
int geo_shape_contains(const geo_shape *s, double lon, double lat);
/* Writes the bounding box {min_lon, min_lat, max_lon, max_lat}. */
void geo_shape_bbox(const geo_shape *s, double bbox[4]);

/* ---- index over grids -------------------------------------------------- */

/* A set of (grid code, shape) with a uniform-bucket spatial index.  Opaque. */
typedef struct geo_index geo_index;

/* Creates an empty index; caller frees with geo_index_free.  JC_ERR_NOMEM. */
jc_err geo_index_new(geo_index **out) JC_MUST_CHECK;
/* Frees the index and every shape it owns; NULL is a no-op. */
void geo_index_free(geo_index *idx);
/* Adds one grid.  On success the index owns shape; on failure the caller
 * still does.  code: 1..GEO_MAX_CODE printable ASCII bytes, else
 * JC_ERR_INVALID.  Marks the index unbuilt. */
jc_err geo_index_add(geo_index *idx, const char *code, geo_shape *shape) JC_MUST_CHECK;
/* Adds every Feature of a GeoJSON FeatureCollection (or a single Feature);
 * each needs properties.code (a string, or an integer written in decimal).
 * All or nothing: when any feature is invalid nothing is added and err names
 * the feature (0-based index and code) and the problem.  Errors as for
 * geo_shape_parse.  Marks the index unbuilt. */
jc_err geo_index_add_geojson(geo_index *idx, const char *text, size_t len, char *err,
                             size_t errsz) JC_MUST_CHECK;
/* Builds the bucket index; required after adds and before locate.
 * JC_ERR_CONFLICT (message in err) when two grids share a code;
 * JC_ERR_NOMEM.  On failure the index stays unbuilt. */
jc_err geo_index_build(geo_index *idx, char *err, size_t errsz) JC_MUST_CHECK;
/* Finds the grid containing (lon, lat) (WGS-84).  *code points into the
 * index (valid until it is freed or added to).  Ties on shared boundaries:
 * the lowest code.  JC_ERR_NOTFOUND outside every grid ("unlocated");
 * JC_ERR_INVALID for a non-finite position or an unbuilt index. */
jc_err geo_index_locate(const geo_index *idx, double lon, double lat,
                        const char **code) JC_MUST_CHECK;
/* Number of grids added. */
size_t geo_index_count(const geo_index *idx);

#endif
