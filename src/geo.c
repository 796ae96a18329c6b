/*
 * geo.c -- coordinate systems, GeoJSON grid polygons and the locate index
 * (the contract is in geo.h; the rules for users are in docs/dispatch.md).
 *
 * Design notes.
 *  - A shape keeps all its positions in one array; rings and polygons are
 *    offset ranges into it, each with a bounding box, so point-in-polygon
 *    touches contiguous memory.
 *  - Validation happens once, at parse time.  Rings are closed, consecutive
 *    repeated positions are dropped, then each ring must still have >= 4
 *    positions (3 distinct corners) and a non-zero area.  Self-intersection is
 *    an edge-pair check over edges sorted by min-x (a sweep that prunes pairs
 *    whose x ranges do not overlap); any contact between non-adjacent edges,
 *    and a collinear fold-back between adjacent edges, is refused.
 *  - Point-in-ring is the crossing-number test with a half-open rule, plus
 *    an explicit "within GEO_BOUNDARY_EPS of an edge" test first, so that
 *    boundary points are classified by the documented rule and not by
 *    floating-point luck.
 *  - The index is a uniform grid of buckets over the union bounding box with
 *    about two buckets per shape.  Shapes are sorted by code at build time and
 *    each bucket lists shape numbers ascending, so the first containing shape
 *    found in a bucket is the lowest code: the tie rule costs nothing.
 */
#include "geo.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ======================================================================
 * Coordinate systems
 * ==================================================================== */

#define GCJ_A 6378245.0
#define GCJ_EE 0.00669342162296594323
#define BD_X_PI (M_PI * 3000.0 / 180.0)

jc_err geo_crs_parse(const char *name, geo_crs *out) {
    static const struct {
        const char *name;
        geo_crs crs;
    } names[] = {{"wgs84", GEO_WGS84}, {"wgs-84", GEO_WGS84}, {"gcj02", GEO_GCJ02},
                 {"gcj-02", GEO_GCJ02}, {"bd09", GEO_BD09},  {"bd-09", GEO_BD09}};
    if (!name) return JC_ERR_INVALID;
    for (size_t i = 0; i < JC_ARRAY_LEN(names); i++)
        if (!strcasecmp(name, names[i].name)) {
            *out = names[i].crs;
            return JC_OK;
        }
    return JC_ERR_INVALID;
}

int geo_out_of_china(double lon, double lat) {
    return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

static double gcj_tlat(double x, double y) {
    double r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(fabs(x));
    r += (20.0 * sin(6.0 * x * M_PI) + 20.0 * sin(2.0 * x * M_PI)) * 2.0 / 3.0;
    r += (20.0 * sin(y * M_PI) + 40.0 * sin(y / 3.0 * M_PI)) * 2.0 / 3.0;
    r += (160.0 * sin(y / 12.0 * M_PI) + 320.0 * sin(y * M_PI / 30.0)) * 2.0 / 3.0;
    return r;
}

static double gcj_tlon(double x, double y) {
    double r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(fabs(x));
    r += (20.0 * sin(6.0 * x * M_PI) + 20.0 * sin(2.0 * x * M_PI)) * 2.0 / 3.0;
    r += (20.0 * sin(x * M_PI) + 40.0 * sin(x / 3.0 * M_PI)) * 2.0 / 3.0;
    r += (150.0 * sin(x / 12.0 * M_PI) + 300.0 * sin(x / 30.0 * M_PI)) * 2.0 / 3.0;
    return r;
}

void geo_wgs84_to_gcj02(double lon, double lat, double *olon, double *olat) {
    if (geo_out_of_china(lon, lat)) {
        *olon = lon;
        *olat = lat;
        return;
    }
    double dlat = gcj_tlat(lon - 105.0, lat - 35.0);
    double dlon = gcj_tlon(lon - 105.0, lat - 35.0);
    double radlat = lat / 180.0 * M_PI;
    double magic = sin(radlat);
    magic = 1 - GCJ_EE * magic * magic;
    double sqrtmagic = sqrt(magic);
    dlat = (dlat * 180.0) / ((GCJ_A * (1 - GCJ_EE)) / (magic * sqrtmagic) * M_PI);
    dlon = (dlon * 180.0) / (GCJ_A / sqrtmagic * cos(radlat) * M_PI);
    *olon = lon + dlon;
    *olat = lat + dlat;
}

void geo_gcj02_to_wgs84(double lon, double lat, double *olon, double *olat) {
    if (geo_out_of_china(lon, lat)) {
        *olon = lon;
        *olat = lat;
        return;
    }
    /* Fixed point: w <- w + (target - f(w)); f is a small smooth shift. */
    double wlon = lon, wlat = lat;
    for (int i = 0; i < 30; i++) {
        double glon, glat;
        geo_wgs84_to_gcj02(wlon, wlat, &glon, &glat);
        double dlon = lon - glon, dlat = lat - glat;
        wlon += dlon;
        wlat += dlat;
        if (fabs(dlon) < 1e-10 && fabs(dlat) < 1e-10) break;
    }
    *olon = wlon;
    *olat = wlat;
}

void geo_gcj02_to_bd09(double lon, double lat, double *olon, double *olat) {
    double z = sqrt(lon * lon + lat * lat) + 0.00002 * sin(lat * BD_X_PI);
    double theta = atan2(lat, lon) + 0.000003 * cos(lon * BD_X_PI);
    *olon = z * cos(theta) + 0.0065;
    *olat = z * sin(theta) + 0.006;
}

static void bd09_to_gcj02_approx(double lon, double lat, double *olon, double *olat) {
    double x = lon - 0.0065, y = lat - 0.006;
    double z = sqrt(x * x + y * y) - 0.00002 * sin(y * BD_X_PI);
    double theta = atan2(y, x) - 0.000003 * cos(x * BD_X_PI);
    *olon = z * cos(theta);
    *olat = z * sin(theta);
}

void geo_bd09_to_gcj02(double lon, double lat, double *olon, double *olat) {
    double glon, glat;
    bd09_to_gcj02_approx(lon, lat, &glon, &glat);
    for (int i = 0; i < 30; i++) {
        double blon, blat;
        geo_gcj02_to_bd09(glon, glat, &blon, &blat);
        double dlon = lon - blon, dlat = lat - blat;
        glon += dlon;
        glat += dlat;
        if (fabs(dlon) < 1e-10 && fabs(dlat) < 1e-10) break;
    }
    *olon = glon;
    *olat = glat;
}

void geo_wgs84_to_bd09(double lon, double lat, double *olon, double *olat) {
    double glon, glat;
    geo_wgs84_to_gcj02(lon, lat, &glon, &glat);
    geo_gcj02_to_bd09(glon, glat, olon, olat);
}

void geo_bd09_to_wgs84(double lon, double lat, double *olon, double *olat) {
    double glon, glat;
    geo_bd09_to_gcj02(lon, lat, &glon, &glat);
    geo_gcj02_to_wgs84(glon, glat, olon, olat);
}

static int lonlat_ok(double lon, double lat) {
    return isfinite(lon) && isfinite(lat) && lon >= -180.0 && lon <= 180.0 && lat >= -90.0 &&
           lat <= 90.0;
}

jc_err geo_to_wgs84(geo_crs crs, double lon, double lat, double *olon, double *olat) {
    if (!lonlat_ok(lon, lat)) return JC_ERR_INVALID;
    switch (crs) {
    case GEO_WGS84: *olon = lon; *olat = lat; return JC_OK;
    case GEO_GCJ02: geo_gcj02_to_wgs84(lon, lat, olon, olat); return JC_OK;
    case GEO_BD09: geo_bd09_to_wgs84(lon, lat, olon, olat); return JC_OK;
    }
    return JC_ERR_INVALID;
}

double geo_haversine_m(double lon1, double lat1, double lon2, double lat2) {
    const double r = 6371008.8, d2r = M_PI / 180.0;
    double dlat = (lat2 - lat1) * d2r, dlon = (lon2 - lon1) * d2r;
    double s1 = sin(dlat / 2), s2 = sin(dlon / 2);
    double a = s1 * s1 + cos(lat1 * d2r) * cos(lat2 * d2r) * s2 * s2;
    if (a > 1.0) a = 1.0;
    return 2.0 * r * asin(sqrt(a));
}

/* ======================================================================
 * Shapes: storage and point-in-polygon
 * ==================================================================== */

typedef struct {
    double x, y;
} gpt;

typedef struct {
    size_t off, n; /* positions [off, off+n) of the shape; closed (last == first) */
    double bb[4];
} gring;

typedef struct {
    size_t ring0, nrings; /* rings [ring0, ring0+nrings); the first is the shell */
    double bb[4];
} gpoly;

struct geo_shape {
    gpt *pts;
    size_t npts, apts;
    gring *rings;
    size_t nrings, arings;
    gpoly *polys;
    size_t npolys, apolys;
    double bb[4];
};

static void bb_empty(double bb[4]) {
    bb[0] = bb[1] = INFINITY;
    bb[2] = bb[3] = -INFINITY;
}

static void bb_add(double bb[4], const double o[4]) {
    if (o[0] < bb[0]) bb[0] = o[0];
    if (o[1] < bb[1]) bb[1] = o[1];
    if (o[2] > bb[2]) bb[2] = o[2];
    if (o[3] > bb[3]) bb[3] = o[3];
}

static int bb_has(const double bb[4], double x, double y) {
    return x >= bb[0] - GEO_BOUNDARY_EPS && x <= bb[2] + GEO_BOUNDARY_EPS &&
           y >= bb[1] - GEO_BOUNDARY_EPS && y <= bb[3] + GEO_BOUNDARY_EPS;
}

/* Is p within GEO_BOUNDARY_EPS of segment ab? */
static int on_segment_eps(gpt a, gpt b, double px, double py) {
    double dx = b.x - a.x, dy = b.y - a.y;
    double len2 = dx * dx + dy * dy;
    double t = len2 > 0 ? ((px - a.x) * dx + (py - a.y) * dy) / len2 : 0.0;
    if (t < 0) t = 0;
    if (t > 1) t = 1;
    double qx = a.x + t * dx - px, qy = a.y + t * dy - py;
    return qx * qx + qy * qy <= GEO_BOUNDARY_EPS * GEO_BOUNDARY_EPS;
}

/* 0 outside, 1 strictly inside, 2 on the boundary. */
static int ring_locate(const gpt *p, size_t n, double x, double y) {
    int inside = 0;
    for (size_t i = 0, j = n - 2; i < n - 1; j = i++) {
        gpt a = p[j], b = p[i];
        /* Cheap reject before the boundary test; crossings count regardless. */
        double lox = a.x < b.x ? a.x : b.x, hix = a.x < b.x ? b.x : a.x;
        double loy = a.y < b.y ? a.y : b.y, hiy = a.y < b.y ? b.y : a.y;
        if (y >= loy - GEO_BOUNDARY_EPS && y <= hiy + GEO_BOUNDARY_EPS &&
            x >= lox - GEO_BOUNDARY_EPS && x <= hix + GEO_BOUNDARY_EPS) {
            if (on_segment_eps(a, b, x, y)) return 2;
        }
        if ((a.y > y) != (b.y > y) && x < (b.x - a.x) * (y - a.y) / (b.y - a.y) + a.x)
            inside = !inside;
    }
    return inside;
}

static int poly_contains(const geo_shape *s, const gpoly *pg, double x, double y) {
    if (!bb_has(pg->bb, x, y)) return 0;
    const gring *sh = &s->rings[pg->ring0];
    if (ring_locate(s->pts + sh->off, sh->n, x, y) == 0) return 0;
    for (size_t h = 1; h < pg->nrings; h++) {
        const gring *r = &s->rings[pg->ring0 + h];
        if (!bb_has(r->bb, x, y)) continue;
        if (ring_locate(s->pts + r->off, r->n, x, y) == 1) return 0; /* in the hole */
    }
    return 1;
}

int geo_shape_contains(const geo_shape *s, double lon, double lat) {
    if (!s || !bb_has(s->bb, lon, lat)) return 0;
    for (size_t i = 0; i < s->npolys; i++)
        if (poly_contains(s, &s->polys[i], lon, lat)) return 1;
    return 0;
}

void geo_shape_bbox(const geo_shape *s, double bbox[4]) {
    memcpy(bbox, s->bb, sizeof s->bb);
}

void geo_shape_free(geo_shape *s) {
    if (!s) return;
    free(s->pts);
    free(s->rings);
    free(s->polys);
    free(s);
}

/* Grows *arr (element size esz) to hold need elements. */
static jc_err grow(void **arr, size_t *alloc, size_t need, size_t esz) {
    if (need <= *alloc) return JC_OK;
    size_t n = *alloc ? *alloc : 16;
    while (n < need) n *= 2;
    void *p = realloc(*arr, n * esz);
    if (!p) return JC_ERR_NOMEM;
    *arr = p;
    *alloc = n;
    return JC_OK;
}

/* ======================================================================
 * Validation
 * ==================================================================== */

/* Where we are, for messages: "feature 3 (code X): polygon 1, ring 0 (shell)". */
typedef struct {
    char *err;
    size_t errsz;
    char where[160];
} vctx;

static jc_err verr(vctx *v, const char *fmt, ...) JC_PRINTF(2, 3);
static jc_err verr(vctx *v, const char *fmt, ...) {
    if (v->err && v->errsz) {
        int n = snprintf(v->err, v->errsz, "%s%s", v->where, v->where[0] ? ": " : "");
        if (n < 0) n = 0;
        if ((size_t)n < v->errsz) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(v->err + n, v->errsz - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return JC_ERR_INVALID;
}

static double orient(gpt a, gpt b, gpt c) {
    return (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
}

static int sgn(double v) { return (v > 0) - (v < 0); }

/* c lies on segment ab, given that a, b, c are collinear. */
static int within(gpt a, gpt b, gpt c) {
    return c.x >= fmin(a.x, b.x) && c.x <= fmax(a.x, b.x) && c.y >= fmin(a.y, b.y) &&
           c.y <= fmax(a.y, b.y);
}

/* Any contact between closed segments ab and cd (crossing, touching, overlap). */
static int seg_touch(gpt a, gpt b, gpt c, gpt d) {
    int d1 = sgn(orient(c, d, a)), d2 = sgn(orient(c, d, b));
    int d3 = sgn(orient(a, b, c)), d4 = sgn(orient(a, b, d));
    if (d1 * d2 < 0 && d3 * d4 < 0) return 1;
    if (d1 == 0 && within(c, d, a)) return 1;
    if (d2 == 0 && within(c, d, b)) return 1;
    if (d3 == 0 && within(a, b, c)) return 1;
    if (d4 == 0 && within(a, b, d)) return 1;
    return 0;
}

/* Segments ab and cd cross at a point interior to both (no touching). */
static int seg_cross_proper(gpt a, gpt b, gpt c, gpt d) {
    int d1 = sgn(orient(c, d, a)), d2 = sgn(orient(c, d, b));
    int d3 = sgn(orient(a, b, c)), d4 = sgn(orient(a, b, d));
    return d1 * d2 < 0 && d3 * d4 < 0;
}

typedef struct {
    double minx, maxx, miny, maxy;
    size_t i; /* edge p[i] -> p[i+1] */
} gedge;

static int edge_cmp(const void *a, const void *b) {
    const gedge *x = a, *y = b;
    return (x->minx > y->minx) - (x->minx < y->minx);
}

/* Refuses a self-intersecting ring.  p has n positions, closed. */
static jc_err ring_simple(vctx *v, const gpt *p, size_t n) {
    size_t m = n - 1; /* edges */
    gedge *e = malloc(m * sizeof *e);
    if (!e) return JC_ERR_NOMEM;
    for (size_t i = 0; i < m; i++) {
        e[i].minx = fmin(p[i].x, p[i + 1].x);
        e[i].maxx = fmax(p[i].x, p[i + 1].x);
        e[i].miny = fmin(p[i].y, p[i + 1].y);
        e[i].maxy = fmax(p[i].y, p[i + 1].y);
        e[i].i = i;
    }
    qsort(e, m, sizeof *e, edge_cmp);
    jc_err rc = JC_OK;
    for (size_t a = 0; a < m && rc == JC_OK; a++) {
        for (size_t b = a + 1; b < m && e[b].minx <= e[a].maxx; b++) {
            if (e[b].miny > e[a].maxy || e[b].maxy < e[a].miny) continue;
            size_t i = e[a].i < e[b].i ? e[a].i : e[b].i;
            size_t j = e[a].i < e[b].i ? e[b].i : e[a].i;
            gpt p0 = p[i], p1 = p[i + 1], q0 = p[j], q1 = p[j + 1];
            if (j == i + 1 || (i == 0 && j == m - 1)) {
                /* Adjacent: they share one vertex; refuse a fold back along
                 * the same line (a spike), which overlaps more than that. */
                gpt s = j == i + 1 ? p1 : p0;             /* shared vertex */
                gpt u = j == i + 1 ? p0 : p1;             /* other end of edge i */
                gpt w = j == i + 1 ? q1 : q0;             /* other end of edge j */
                if (m > 2 && orient(s, u, w) == 0 &&
                    (u.x - s.x) * (w.x - s.x) + (u.y - s.y) * (w.y - s.y) > 0) {
                    rc = verr(v, "ring folds back on itself at position %zu [%.9g, %.9g]",
                              j == i + 1 ? j : (size_t)0, s.x, s.y);
                    break;
                }
                continue;
            }
            if (seg_touch(p0, p1, q0, q1)) {
                rc = verr(v,
                          "ring is self-intersecting: edge %zu [%.9g, %.9g]-[%.9g, %.9g] "
                          "meets edge %zu [%.9g, %.9g]-[%.9g, %.9g]",
                          i, p0.x, p0.y, p1.x, p1.y, j, q0.x, q0.y, q1.x, q1.y);
                break;
            }
        }
    }
    free(e);
    return rc;
}

static double ring_area2(const gpt *p, size_t n) {
    double a = 0;
    for (size_t i = 0; i + 1 < n; i++) a += (p[i].x - p[0].x) * (p[i + 1].y - p[0].y) -
                                             (p[i + 1].x - p[0].x) * (p[i].y - p[0].y);
    return a;
}

/* Reads one ring (a JSON array of positions) into the shape. */
static jc_err read_ring(vctx *v, geo_shape *s, const json_t *jr) {
    if (!json_is_array(jr)) return verr(v, "a ring must be an array of positions");
    size_t n = json_array_size(jr);
    if (n < 4)
        return verr(v, "a ring needs at least 4 positions (first = last), it has %zu", n);
    if (s->npts + n > GEO_MAX_POSITIONS) {
        verr(v, "more than %d positions in one shape", GEO_MAX_POSITIONS);
        return JC_ERR_TOOBIG;
    }
    if (grow((void **)&s->pts, &s->apts, s->npts + n, sizeof *s->pts) ||
        grow((void **)&s->rings, &s->arings, s->nrings + 1, sizeof *s->rings))
        return JC_ERR_NOMEM;
    size_t off = s->npts, k = 0;
    double bb[4];
    bb_empty(bb);
    for (size_t i = 0; i < n; i++) {
        const json_t *pos = json_array_get(jr, i);
        if (!json_is_array(pos) || json_array_size(pos) < 2 || json_array_size(pos) > 3)
            return verr(v, "position %zu must be an array [lon, lat] or [lon, lat, alt]", i);
        const json_t *jx = json_array_get(pos, 0), *jy = json_array_get(pos, 1);
        if (!json_is_number(jx) || !json_is_number(jy))
            return verr(v, "position %zu: lon and lat must be numbers", i);
        double x = json_number_value(jx), y = json_number_value(jy);
        if (!isfinite(x) || !isfinite(y))
            return verr(v, "position %zu: lon/lat must be finite", i);
        if (x < -180.0 || x > 180.0)
            return verr(v, "position %zu: longitude %.9g outside -180..180", i, x);
        if (y < -90.0 || y > 90.0)
            return verr(v, "position %zu: latitude %.9g outside -90..90", i, y);
        if (k > 0 && s->pts[off + k - 1].x == x && s->pts[off + k - 1].y == y) continue;
        s->pts[off + k++] = (gpt){x, y};
        double pb[4] = {x, y, x, y};
        bb_add(bb, pb);
    }
    const gpt *p = s->pts + off;
    if (k < 2 || p[0].x != p[k - 1].x || p[0].y != p[k - 1].y)
        return verr(v, "ring is not closed: first position [%.9g, %.9g] != last [%.9g, %.9g]",
                    p[0].x, p[0].y, p[k ? k - 1 : 0].x, p[k ? k - 1 : 0].y);
    if (k < 4)
        return verr(v, "a ring needs at least 4 positions (3 distinct corners), it has %zu "
                       "after dropping repeated positions", k);
    jc_err rc = ring_simple(v, p, k);
    if (rc) return rc;
    if (ring_area2(p, k) == 0) return verr(v, "ring has zero area (all corners on one line)");
    gring *r = &s->rings[s->nrings++];
    r->off = off;
    r->n = k;
    memcpy(r->bb, bb, sizeof bb);
    s->npts += k;
    return JC_OK;
}

/* Checks that hole h lies inside shell sh (vertices inside or on it, no
 * edge of the hole crossing an edge of the shell). */
static jc_err hole_inside(vctx *v, const geo_shape *s, const gring *sh, const gring *h) {
    const gpt *sp = s->pts + sh->off, *hp = s->pts + h->off;
    for (size_t i = 0; i + 1 < h->n; i++)
        if (ring_locate(sp, sh->n, hp[i].x, hp[i].y) == 0)
            return verr(v, "hole position %zu [%.9g, %.9g] lies outside its shell", i, hp[i].x,
                        hp[i].y);
    for (size_t i = 0; i + 1 < h->n; i++)
        for (size_t j = 0; j + 1 < sh->n; j++)
            if (seg_cross_proper(hp[i], hp[i + 1], sp[j], sp[j + 1]))
                return verr(v, "hole edge %zu crosses shell edge %zu", i, j);
    return JC_OK;
}

/* Reads one Polygon's coordinates (an array of rings) into the shape. */
static jc_err read_polygon(vctx *v, geo_shape *s, const json_t *jp) {
    if (!json_is_array(jp)) return verr(v, "polygon coordinates must be an array of rings");
    size_t nr = json_array_size(jp);
    if (nr == 0) return verr(v, "a polygon needs at least one ring (its shell)");
    if (nr > GEO_MAX_RINGS) return verr(v, "more than %d rings in one polygon", GEO_MAX_RINGS);
    if (grow((void **)&s->polys, &s->apolys, s->npolys + 1, sizeof *s->polys))
        return JC_ERR_NOMEM;
    size_t base = strlen(v->where), ring0 = s->nrings;
    for (size_t r = 0; r < nr; r++) {
        snprintf(v->where + base, sizeof v->where - base, "%sring %zu%s", base ? ", " : "", r,
                 r == 0 ? " (shell)" : " (hole)");
        jc_err rc = read_ring(v, s, json_array_get(jp, r));
        if (rc) return rc;
        if (r > 0 && (rc = hole_inside(v, s, &s->rings[ring0], &s->rings[ring0 + r])))
            return rc;
    }
    v->where[base] = 0;
    gpoly *pg = &s->polys[s->npolys++];
    pg->ring0 = ring0;
    pg->nrings = nr;
    memcpy(pg->bb, s->rings[ring0].bb, sizeof pg->bb);
    return JC_OK;
}

/* Parses a geometry object (Polygon or MultiPolygon) into a new shape. */
static jc_err shape_from_geometry(vctx *v, const json_t *g, geo_shape **out) {
    if (!json_is_object(g)) return verr(v, "geometry must be a JSON object");
    const char *type = json_string_value(json_object_get(g, "type"));
    if (!type) return verr(v, "geometry has no \"type\" string");
    const json_t *coords = json_object_get(g, "coordinates");
    int multi;
    if (!strcmp(type, "Polygon")) multi = 0;
    else if (!strcmp(type, "MultiPolygon")) multi = 1;
    else return verr(v, "geometry type \"%.40s\" is not Polygon or MultiPolygon", type);
    if (!json_is_array(coords)) return verr(v, "%s has no \"coordinates\" array", type);
    geo_shape *s = calloc(1, sizeof *s);
    if (!s) return JC_ERR_NOMEM;
    jc_err rc = JC_OK;
    size_t base = strlen(v->where);
    if (!multi) {
        rc = read_polygon(v, s, coords);
    } else {
        if (json_array_size(coords) == 0) rc = verr(v, "MultiPolygon has no polygons");
        for (size_t i = 0; !rc && i < json_array_size(coords); i++) {
            snprintf(v->where + base, sizeof v->where - base, "%spolygon %zu",
                     base ? ", " : "", i);
            rc = read_polygon(v, s, json_array_get(coords, i));
        }
        if (!rc) v->where[base] = 0;
    }
    if (rc) {
        geo_shape_free(s);
        return rc;
    }
    bb_empty(s->bb);
    for (size_t i = 0; i < s->npolys; i++) bb_add(s->bb, s->polys[i].bb);
    *out = s;
    return JC_OK;
}

static jc_err load_json(vctx *v, const char *text, size_t len, json_t **out) {
    if (len > GEO_MAX_JSON) {
        verr(v, "GeoJSON larger than %u bytes", GEO_MAX_JSON);
        return JC_ERR_TOOBIG;
    }
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!j) return verr(v, "invalid JSON at line %d column %d: %s", je.line, je.column, je.text);
    *out = j;
    return JC_OK;
}

jc_err geo_shape_parse(const char *text, size_t len, geo_shape **out, char *err,
                       size_t errsz) {
    vctx v = {err, errsz, ""};
    if (err && errsz) err[0] = 0;
    json_t *j;
    jc_err rc = load_json(&v, text, len, &j);
    if (rc) return rc;
    const json_t *g = j;
    const char *type = json_string_value(json_object_get(j, "type"));
    if (type && !strcmp(type, "Feature")) {
        g = json_object_get(j, "geometry");
        snprintf(v.where, sizeof v.where, "feature geometry");
    }
    rc = shape_from_geometry(&v, g, out);
    json_decref(j);
    return rc;
}

/* ======================================================================
 * The index
 * ==================================================================== */

typedef struct {
    char code[GEO_MAX_CODE + 1];
    geo_shape *shape;
} gentry;

struct geo_index {
    gentry *e;
    size_t n, alloc;
    int built;
    /* buckets, valid when built */
    double bb[4];
    size_t nx, ny;
    double cw, ch;      /* bucket width / height in degrees */
    uint32_t *start;    /* nx*ny + 1 offsets into items */
    uint32_t *items;    /* shape numbers, ascending within a bucket */
};

jc_err geo_index_new(geo_index **out) {
    geo_index *idx = calloc(1, sizeof *idx);
    if (!idx) return JC_ERR_NOMEM;
    *out = idx;
    return JC_OK;
}

static void index_unbuild(geo_index *idx) {
    free(idx->start);
    free(idx->items);
    idx->start = idx->items = NULL;
    idx->built = 0;
}

void geo_index_free(geo_index *idx) {
    if (!idx) return;
    for (size_t i = 0; i < idx->n; i++) geo_shape_free(idx->e[i].shape);
    free(idx->e);
    index_unbuild(idx);
    free(idx);
}

size_t geo_index_count(const geo_index *idx) { return idx ? idx->n : 0; }

static int code_ok(const char *code) {
    size_t n = code ? strlen(code) : 0;
    if (n == 0 || n > GEO_MAX_CODE) return 0;
    for (size_t i = 0; i < n; i++)
        if (code[i] <= ' ' || code[i] > '~') return 0;
    return 1;
}

jc_err geo_index_add(geo_index *idx, const char *code, geo_shape *shape) {
    if (!idx || !shape || !code_ok(code)) return JC_ERR_INVALID;
    if (idx->n >= UINT32_MAX - 1) return JC_ERR_TOOBIG;
    if (grow((void **)&idx->e, &idx->alloc, idx->n + 1, sizeof *idx->e)) return JC_ERR_NOMEM;
    gentry *e = &idx->e[idx->n++];
    snprintf(e->code, sizeof e->code, "%s", code);
    e->shape = shape;
    index_unbuild(idx);
    return JC_OK;
}

jc_err geo_index_add_geojson(geo_index *idx, const char *text, size_t len, char *err,
                             size_t errsz) {
    vctx v = {err, errsz, ""};
    if (err && errsz) err[0] = 0;
    if (!idx) return JC_ERR_INVALID;
    json_t *j;
    jc_err rc = load_json(&v, text, len, &j);
    if (rc) return rc;
    const char *type = json_string_value(json_object_get(j, "type"));
    const json_t *feats = NULL;
    json_t *single = NULL;
    if (type && !strcmp(type, "FeatureCollection")) {
        feats = json_object_get(j, "features");
        if (!json_is_array(feats)) rc = verr(&v, "FeatureCollection has no \"features\" array");
    } else if (type && !strcmp(type, "Feature")) {
        single = json_array();
        if (!single || json_array_append(single, j)) rc = JC_ERR_NOMEM;
        feats = single;
    } else {
        rc = verr(&v, "expected a FeatureCollection or a Feature, got %s%.40s%s",
                  type ? "\"" : "", type ? type : "no \"type\"", type ? "\"" : "");
    }
    size_t nf = rc ? 0 : json_array_size(feats), done = 0;
    gentry *tmp = nf ? calloc(nf, sizeof *tmp) : NULL;
    if (nf && !tmp) rc = JC_ERR_NOMEM;
    for (size_t i = 0; !rc && i < nf; i++) {
        const json_t *f = json_array_get(feats, i);
        snprintf(v.where, sizeof v.where, "feature %zu", i);
        const char *ft = json_string_value(json_object_get(f, "type"));
        if (!json_is_object(f) || !ft || strcmp(ft, "Feature")) {
            rc = verr(&v, "not a Feature object");
            break;
        }
        const json_t *jc = json_object_get(json_object_get(f, "properties"), "code");
        if (json_is_string(jc)) snprintf(tmp[i].code, sizeof tmp[i].code, "%s", json_string_value(jc));
        else if (json_is_integer(jc))
            snprintf(tmp[i].code, sizeof tmp[i].code, "%lld", (long long)json_integer_value(jc));
        if (!code_ok(json_is_string(jc) ? json_string_value(jc) : tmp[i].code)) {
            rc = verr(&v, "properties.code must be 1..%d printable characters", GEO_MAX_CODE);
            break;
        }
        snprintf(v.where, sizeof v.where, "feature %zu (code %s)", i, tmp[i].code);
        rc = shape_from_geometry(&v, json_object_get(f, "geometry"), &tmp[i].shape);
        if (!rc) done++;
    }
    if (!rc && grow((void **)&idx->e, &idx->alloc, idx->n + nf, sizeof *idx->e))
        rc = JC_ERR_NOMEM;
    if (!rc) {
        memcpy(idx->e + idx->n, tmp, nf * sizeof *tmp);
        idx->n += nf;
        if (nf) index_unbuild(idx);
    } else {
        for (size_t i = 0; i < done; i++) geo_shape_free(tmp[i].shape);
    }
    free(tmp);
    json_decref(single);
    json_decref(j);
    return rc;
}

static int gentry_cmp(const void *a, const void *b) {
    return strcmp(((const gentry *)a)->code, ((const gentry *)b)->code);
}

static void cell_range(const geo_index *idx, const double bb[4], size_t r[4]) {
    double fx0 = (bb[0] - GEO_BOUNDARY_EPS - idx->bb[0]) / idx->cw;
    double fy0 = (bb[1] - GEO_BOUNDARY_EPS - idx->bb[1]) / idx->ch;
    double fx1 = (bb[2] + GEO_BOUNDARY_EPS - idx->bb[0]) / idx->cw;
    double fy1 = (bb[3] + GEO_BOUNDARY_EPS - idx->bb[1]) / idx->ch;
    r[0] = fx0 <= 0 ? 0 : (size_t)fx0 >= idx->nx ? idx->nx - 1 : (size_t)fx0;
    r[1] = fy0 <= 0 ? 0 : (size_t)fy0 >= idx->ny ? idx->ny - 1 : (size_t)fy0;
    r[2] = fx1 <= 0 ? 0 : (size_t)fx1 >= idx->nx ? idx->nx - 1 : (size_t)fx1;
    r[3] = fy1 <= 0 ? 0 : (size_t)fy1 >= idx->ny ? idx->ny - 1 : (size_t)fy1;
}

jc_err geo_index_build(geo_index *idx, char *err, size_t errsz) {
    if (err && errsz) err[0] = 0;
    if (!idx) return JC_ERR_INVALID;
    index_unbuild(idx);
    if (idx->n > 1) qsort(idx->e, idx->n, sizeof *idx->e, gentry_cmp); /* e is NULL when empty */
    for (size_t i = 1; i < idx->n; i++)
        if (!strcmp(idx->e[i - 1].code, idx->e[i].code)) {
            if (err && errsz) snprintf(err, errsz, "two grids have the code %s", idx->e[i].code);
            return JC_ERR_CONFLICT;
        }
    bb_empty(idx->bb);
    for (size_t i = 0; i < idx->n; i++) bb_add(idx->bb, idx->e[i].shape->bb);
    if (idx->n == 0) {
        idx->bb[0] = idx->bb[1] = 0;
        idx->bb[2] = idx->bb[3] = 1;
    }
    double w = idx->bb[2] - idx->bb[0], h = idx->bb[3] - idx->bb[1];
    if (w <= 0) w = 1e-6;
    if (h <= 0) h = 1e-6;
    /* About two buckets per shape, roughly square, at most 4M buckets. */
    double cells = 2.0 * (double)(idx->n ? idx->n : 1);
    if (cells > 4e6) cells = 4e6;
    double nx = ceil(sqrt(cells * w / h)), ny = ceil(cells / nx);
    idx->nx = nx < 1 ? 1 : nx > 4096 ? 4096 : (size_t)nx;
    idx->ny = ny < 1 ? 1 : ny > 4096 ? 4096 : (size_t)ny;
    idx->cw = w / (double)idx->nx;
    idx->ch = h / (double)idx->ny;
    size_t nc = idx->nx * idx->ny;
    idx->start = calloc(nc + 1, sizeof *idx->start);
    if (!idx->start) return JC_ERR_NOMEM;
    /* Two passes: count, then fill (shape numbers ascend naturally). */
    size_t total = 0;
    for (size_t i = 0; i < idx->n; i++) {
        size_t r[4];
        cell_range(idx, idx->e[i].shape->bb, r);
        for (size_t y = r[1]; y <= r[3]; y++)
            for (size_t x = r[0]; x <= r[2]; x++) idx->start[y * idx->nx + x + 1]++;
        total += (r[2] - r[0] + 1) * (r[3] - r[1] + 1);
    }
    if (total >= UINT32_MAX) {
        index_unbuild(idx);
        return JC_ERR_TOOBIG;
    }
    for (size_t c = 0; c < nc; c++) idx->start[c + 1] += idx->start[c];
    idx->items = malloc((total ? total : 1) * sizeof *idx->items);
    uint32_t *fill = calloc(nc, sizeof *fill);
    if (!idx->items || !fill) {
        free(fill);
        index_unbuild(idx);
        return JC_ERR_NOMEM;
    }
    for (size_t i = 0; i < idx->n; i++) {
        size_t r[4];
        cell_range(idx, idx->e[i].shape->bb, r);
        for (size_t y = r[1]; y <= r[3]; y++)
            for (size_t x = r[0]; x <= r[2]; x++) {
                size_t c = y * idx->nx + x;
                idx->items[idx->start[c] + fill[c]++] = (uint32_t)i;
            }
    }
    free(fill);
    idx->built = 1;
    return JC_OK;
}

jc_err geo_index_locate(const geo_index *idx, double lon, double lat, const char **code) {
    if (!idx || !idx->built || !isfinite(lon) || !isfinite(lat)) return JC_ERR_INVALID;
    if (!bb_has(idx->bb, lon, lat) || idx->n == 0) return JC_ERR_NOTFOUND;
    double fx = (lon - idx->bb[0]) / idx->cw, fy = (lat - idx->bb[1]) / idx->ch;
    size_t x = fx <= 0 ? 0 : (size_t)fx >= idx->nx ? idx->nx - 1 : (size_t)fx;
    size_t y = fy <= 0 ? 0 : (size_t)fy >= idx->ny ? idx->ny - 1 : (size_t)fy;
    size_t c = y * idx->nx + x;
    for (uint32_t k = idx->start[c]; k < idx->start[c + 1]; k++) {
        const gentry *e = &idx->e[idx->items[k]];
        if (geo_shape_contains(e->shape, lon, lat)) {
            *code = e->code;
            return JC_OK;
        }
    }
    return JC_ERR_NOTFOUND;
}
