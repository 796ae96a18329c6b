/*
 * test_geo.c -- coordinate systems, GeoJSON validation, point-in-polygon and
 * the locate index (src/geo.c).
 */
#include "t.h"

#include "geo.h"

#include <math.h>
#include <stdint.h>

static char err[512];

static geo_shape *parse(const char *json) {
    geo_shape *s = NULL;
    err[0] = 0;
    if (geo_shape_parse(json, strlen(json), &s, err, sizeof err) != JC_OK) return NULL;
    return s;
}

/* Expects json to be refused as invalid with a message containing want. */
static int refused(const char *json, jc_err want_rc, const char *want) {
    geo_shape *s = NULL;
    err[0] = 0;
    jc_err rc = geo_shape_parse(json, strlen(json), &s, err, sizeof err);
    if (rc != want_rc || s) {
        fprintf(stderr, "  got rc %d for %s\n", rc, json);
        geo_shape_free(s);
        return 0;
    }
    if (!strstr(err, want)) {
        fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", err, want);
        return 0;
    }
    return 1;
}

/* ---- coordinate systems ------------------------------------------------ */

/* Published values of the standard algorithm (wandergis/coordtransform README,
 * eviltransform tests) for (116.404, 39.915) near Tiananmen. */
TEST(wgs84_to_gcj02_known_point) {
    double lon, lat;
    geo_wgs84_to_gcj02(116.404, 39.915, &lon, &lat);
    ASSERT_NEAR(lon, 116.41024449916938, 1e-9);
    ASSERT_NEAR(lat, 39.91640428150164, 1e-9);
}

TEST(gcj02_to_bd09_known_point) {
    double lon, lat;
    geo_gcj02_to_bd09(116.404, 39.915, &lon, &lat);
    ASSERT_NEAR(lon, 116.41036949371029, 1e-9);
    ASSERT_NEAR(lat, 39.92133699351021, 1e-9);
}

TEST(bd09_to_gcj02_close_to_published_approximation) {
    /* The published one-step inverse gives (116.39762729119315,
     * 39.90865673957631); ours refines it, so it is within a few 1e-7. */
    double lon, lat;
    geo_bd09_to_gcj02(116.404, 39.915, &lon, &lat);
    ASSERT_NEAR(lon, 116.39762729119315, 1e-6);
    ASSERT_NEAR(lat, 39.90865673957631, 1e-6);
}

TEST(round_trips_are_exact) {
    static const double pts[][2] = {{116.404, 39.915},  {121.4737, 31.2304},
                                     {113.2644, 23.1291}, {87.6168, 43.8256},
                                     {126.535, 45.8038},  {110.35, 20.02}};
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        double x = pts[i][0], y = pts[i][1], a, b, c, d;
        geo_wgs84_to_gcj02(x, y, &a, &b);
        ASSERT(fabs(a - x) > 1e-4 || fabs(b - y) > 1e-4); /* it really shifted */
        geo_gcj02_to_wgs84(a, b, &c, &d);
        ASSERT_NEAR(c, x, 1e-7);
        ASSERT_NEAR(d, y, 1e-7);
        geo_wgs84_to_bd09(x, y, &a, &b);
        geo_bd09_to_wgs84(a, b, &c, &d);
        ASSERT_NEAR(c, x, 1e-7);
        ASSERT_NEAR(d, y, 1e-7);
        geo_gcj02_to_bd09(x, y, &a, &b);
        geo_bd09_to_gcj02(a, b, &c, &d);
        ASSERT_NEAR(c, x, 1e-8);
        ASSERT_NEAR(d, y, 1e-8);
    }
}

TEST(outside_china_not_shifted) {
    double lon, lat;
    ASSERT(geo_out_of_china(-0.1276, 51.5072)); /* London */
    geo_wgs84_to_gcj02(-0.1276, 51.5072, &lon, &lat);
    ASSERT_EQ(lon == -0.1276 && lat == 51.5072, 1);
    geo_gcj02_to_wgs84(139.69, 35.69, &lon, &lat); /* Tokyo, east of 137.8347 */
    ASSERT_EQ(lon == 139.69 && lat == 35.69, 1);
    ASSERT(!geo_out_of_china(116.4, 39.9));
}

TEST(to_wgs84_validates) {
    double lon, lat;
    geo_crs crs;
    ASSERT_OK(geo_crs_parse("GCJ-02", &crs));
    ASSERT_EQ(crs, GEO_GCJ02);
    ASSERT_EQ(geo_crs_parse("mercator", &crs), JC_ERR_INVALID);
    ASSERT_EQ(geo_to_wgs84(GEO_WGS84, NAN, 39.9, &lon, &lat), JC_ERR_INVALID);
    ASSERT_EQ(geo_to_wgs84(GEO_WGS84, 181.0, 39.9, &lon, &lat), JC_ERR_INVALID);
    ASSERT_EQ(geo_to_wgs84(GEO_BD09, 116.4, -91.0, &lon, &lat), JC_ERR_INVALID);
    ASSERT_OK(geo_to_wgs84(GEO_BD09, 116.41036949371029, 39.92133699351021, &lon, &lat));
    double glon, glat;
    geo_wgs84_to_gcj02(lon, lat, &glon, &glat);
    ASSERT_NEAR(glon, 116.404, 1e-7);
    ASSERT_NEAR(glat, 39.915, 1e-7);
}

TEST(haversine_distances) {
    /* One degree of latitude on the mean sphere: 2*pi*6371008.8/360. */
    ASSERT_NEAR(geo_haversine_m(116.0, 39.0, 116.0, 40.0), 111195.08, 0.1);
    ASSERT_NEAR(geo_haversine_m(116.404, 39.915, 116.404, 39.915), 0.0, 1e-9);
    /* Beijing - Shanghai, about 1068 km. */
    double d = geo_haversine_m(116.404, 39.915, 121.4737, 31.2304);
    ASSERT(d > 1060000 && d < 1075000);
    ASSERT_NEAR(geo_haversine_m(0, 0, 180, 0), M_PI * 6371008.8, 1e-3);
}

/* ---- point in polygon ---------------------------------------------------- */

static const char *SQUARE_WITH_HOLE =
    "{\"type\":\"Polygon\",\"coordinates\":["
    "[[0,0],[10,0],[10,10],[0,10],[0,0]],"
    "[[4,4],[4,6],[6,6],[6,4],[4,4]]]}";

TEST(polygon_inside_outside_edges_vertices) {
    geo_shape *s = parse(SQUARE_WITH_HOLE);
    ASSERT(s);
    ASSERT_EQ(geo_shape_contains(s, 1, 1), 1);
    ASSERT_EQ(geo_shape_contains(s, 11, 5), 0);
    ASSERT_EQ(geo_shape_contains(s, -0.001, 5), 0);
    ASSERT_EQ(geo_shape_contains(s, 0, 5), 1);   /* on the left edge */
    ASSERT_EQ(geo_shape_contains(s, 10, 3), 1);  /* on the right edge */
    ASSERT_EQ(geo_shape_contains(s, 5, 10), 1);  /* on the top edge */
    ASSERT_EQ(geo_shape_contains(s, 0, 0), 1);   /* a vertex */
    ASSERT_EQ(geo_shape_contains(s, 10, 10), 1); /* a vertex */
    ASSERT_EQ(geo_shape_contains(s, 10.000001, 10), 0);
    /* The ray from a point level with a vertex must not double count. */
    ASSERT_EQ(geo_shape_contains(s, 2, 4), 1);
    ASSERT_EQ(geo_shape_contains(s, -2, 10), 0);
    double bb[4];
    geo_shape_bbox(s, bb);
    ASSERT(bb[0] == 0 && bb[1] == 0 && bb[2] == 10 && bb[3] == 10);
    geo_shape_free(s);
}

TEST(polygon_holes) {
    geo_shape *s = parse(SQUARE_WITH_HOLE);
    ASSERT(s);
    ASSERT_EQ(geo_shape_contains(s, 5, 5), 0);     /* in the hole */
    ASSERT_EQ(geo_shape_contains(s, 4.5, 5.5), 0); /* in the hole */
    ASSERT_EQ(geo_shape_contains(s, 4, 5), 1);     /* on the hole's edge: boundary */
    ASSERT_EQ(geo_shape_contains(s, 6, 6), 1);     /* a hole vertex */
    ASSERT_EQ(geo_shape_contains(s, 3.9, 5), 1);   /* just outside the hole */
    geo_shape_free(s);
}

TEST(diagonal_edge_boundary) {
    geo_shape *s = parse("{\"type\":\"Polygon\",\"coordinates\":"
                         "[[[116.1,39.1],[116.4,39.1],[116.1,39.7],[116.1,39.1]]]}");
    ASSERT(s);
    /* Midpoint of the hypotenuse: on the boundary (within 1e-9). */
    ASSERT_EQ(geo_shape_contains(s, 116.25, 39.4), 1);
    ASSERT_EQ(geo_shape_contains(s, 116.25 + 1e-6, 39.4), 0);
    ASSERT_EQ(geo_shape_contains(s, 116.25 - 1e-6, 39.4), 1);
    geo_shape_free(s);
}

TEST(multipolygon_and_feature) {
    geo_shape *s = parse(
        "{\"type\":\"Feature\",\"properties\":{\"code\":\"x\"},\"geometry\":"
        "{\"type\":\"MultiPolygon\",\"coordinates\":["
        "[[[0,0],[1,0],[1,1],[0,1],[0,0]]],"
        "[[[5,5],[6,5],[6,6],[5,6],[5,5]]]]}}");
    ASSERT(s);
    ASSERT_EQ(geo_shape_contains(s, 0.5, 0.5), 1);
    ASSERT_EQ(geo_shape_contains(s, 5.5, 5.5), 1);
    ASSERT_EQ(geo_shape_contains(s, 3, 3), 0); /* between the parts, in the bbox */
    geo_shape_free(s);
}

TEST(repeated_positions_dropped) {
    geo_shape *s = parse("{\"type\":\"Polygon\",\"coordinates\":"
                         "[[[0,0],[1,0],[1,0],[1,1],[0,1],[0,0,12.5]]]}");
    ASSERT(s);
    ASSERT_EQ(geo_shape_contains(s, 0.5, 0.5), 1);
    geo_shape_free(s);
}

/* ---- invalid GeoJSON ---------------------------------------------------- */

TEST(refuses_unclosed_ring) {
    ASSERT(refused("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1]]]}",
                   JC_ERR_INVALID, "ring 0 (shell): ring is not closed"));
}

TEST(refuses_too_few_positions) {
    ASSERT(refused("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[0,0]]]}",
                   JC_ERR_INVALID, "at least 4 positions"));
    /* Four positions but only two distinct corners. */
    ASSERT(refused("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,0],[0,0]]]}",
                   JC_ERR_INVALID, "3 distinct corners"));
    ASSERT(refused("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[2,0],[0,0]]]}",
                   JC_ERR_INVALID, "ring folds back on itself at position"));
}

TEST(refuses_bad_numbers) {
    ASSERT(refused("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[NaN,0],[1,1],[0,0]]]}",
                   JC_ERR_INVALID, "invalid JSON at line 1"));
    ASSERT(refused("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1e999,0],[1,1],[0,0]]]}",
                   JC_ERR_INVALID, "invalid JSON"));
    ASSERT(refused("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[200,0],[1,1],[0,0]]]}",
                   JC_ERR_INVALID, "position 1: longitude 200 outside -180..180"));
    ASSERT(refused("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,-95],[0,0]]]}",
                   JC_ERR_INVALID, "position 2: latitude -95 outside -90..90"));
}

TEST(refuses_wrong_types) {
    ASSERT(refused("{\"type\":\"Point\",\"coordinates\":[1,2]}", JC_ERR_INVALID,
                   "\"Point\" is not Polygon or MultiPolygon"));
    ASSERT(refused("{\"coordinates\":[]}", JC_ERR_INVALID, "no \"type\""));
    ASSERT(refused("[1,2]", JC_ERR_INVALID, "must be a JSON object"));
    ASSERT(refused("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[\"1\",0],[1,1],[0,0]]]}",
                   JC_ERR_INVALID, "position 1: lon and lat must be numbers"));
    ASSERT(refused("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1],[1,1],[0,0]]]}",
                   JC_ERR_INVALID, "position 1 must be an array"));
    ASSERT(refused("{\"type\":\"Polygon\",\"coordinates\":{}}", JC_ERR_INVALID,
                   "no \"coordinates\" array"));
    ASSERT(refused("{\"type\":\"Polygon\",\"coordinates\":[]}", JC_ERR_INVALID,
                   "at least one ring"));
    ASSERT(refused("{\"type\":\"MultiPolygon\",\"coordinates\":[[[[0,0],[1,0],[1,1],[0,0]]],"
                   "[[[0,0],[1,0],[1,1],[0,1]]]]}",
                   JC_ERR_INVALID, "polygon 1, ring 0 (shell): ring is not closed"));
    ASSERT(refused("{\"type\":\"Polygon\"", JC_ERR_INVALID, "invalid JSON"));
}

TEST(refuses_bow_tie) {
    ASSERT(refused("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}",
                   JC_ERR_INVALID, "self-intersecting"));
}

TEST(refuses_touching_and_collinear) {
    /* A vertex touching a non-adjacent edge (figure-of-eight pinched). */
    ASSERT(refused("{\"type\":\"Polygon\",\"coordinates\":"
                   "[[[0,0],[4,0],[4,4],[2,0],[0,4],[0,0]]]}",
                   JC_ERR_INVALID, "self-intersecting"));
    /* The same vertex visited twice. */
    ASSERT(refused("{\"type\":\"Polygon\",\"coordinates\":"
                   "[[[0,0],[2,0],[2,2],[1,1],[3,1],[3,3],[1,1],[0,2],[0,0]]]}",
                   JC_ERR_INVALID, "self-intersecting"));
    /* Non-adjacent edges overlapping along a line. */
    ASSERT(refused("{\"type\":\"Polygon\",\"coordinates\":"
                   "[[[0,0],[3,0],[3,1],[2,1],[2,0.0],[1,0],[1,2],[0,2],[0,0]]]}",
                   JC_ERR_INVALID, "self-intersecting"));
    /* A spike: an edge folding back along its predecessor. */
    ASSERT(refused("{\"type\":\"Polygon\",\"coordinates\":"
                   "[[[0,0],[2,0],[2,2],[2,3],[2,1],[0,2],[0,0]]]}",
                   JC_ERR_INVALID, "edge 1 [2, 0]-[2, 2] meets edge 4"));
    /* A collinear middle vertex on a straight edge is fine. */
    geo_shape *s = parse("{\"type\":\"Polygon\",\"coordinates\":"
                         "[[[0,0],[1,0],[2,0],[2,2],[0,2],[0,0]]]}");
    ASSERT(s);
    geo_shape_free(s);
}

TEST(refuses_hole_outside_shell) {
    ASSERT(refused("{\"type\":\"Polygon\",\"coordinates\":["
                   "[[0,0],[10,0],[10,10],[0,10],[0,0]],"
                   "[[20,20],[21,20],[21,21],[20,20]]]}",
                   JC_ERR_INVALID, "ring 1 (hole): hole position 0 [20, 20] lies outside"));
    ASSERT(refused("{\"type\":\"Polygon\",\"coordinates\":["
                   "[[0,0],[10,0],[10,10],[0,10],[0,0]],"
                   "[[5,5],[15,5],[15,6],[5,6],[5,5]]]}",
                   JC_ERR_INVALID, "ring 1 (hole)"));
}

/* ---- the index ------------------------------------------------------------ */

static const char *TWO_GRIDS =
    "{\"type\":\"FeatureCollection\",\"features\":["
    "{\"type\":\"Feature\",\"properties\":{\"code\":\"110101001001002\"},\"geometry\":"
    "{\"type\":\"Polygon\",\"coordinates\":[[[1,0],[2,0],[2,1],[1,1],[1,0]]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"code\":\"110101001001001\"},\"geometry\":"
    "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}}]}";

TEST(index_locate_and_ties) {
    geo_index *idx;
    const char *code = NULL;
    ASSERT_OK(geo_index_new(&idx));
    ASSERT_OK(geo_index_add_geojson(idx, TWO_GRIDS, strlen(TWO_GRIDS), err, sizeof err));
    ASSERT_EQ(geo_index_count(idx), 2);
    ASSERT_EQ(geo_index_locate(idx, 0.5, 0.5, &code), JC_ERR_INVALID); /* not built */
    ASSERT_OK(geo_index_build(idx, err, sizeof err));
    ASSERT_OK(geo_index_locate(idx, 0.5, 0.5, &code));
    ASSERT_STR_EQ(code, "110101001001001");
    ASSERT_OK(geo_index_locate(idx, 1.5, 0.5, &code));
    ASSERT_STR_EQ(code, "110101001001002");
    /* On the shared edge and the shared vertex: the lowest code. */
    ASSERT_OK(geo_index_locate(idx, 1.0, 0.5, &code));
    ASSERT_STR_EQ(code, "110101001001001");
    ASSERT_OK(geo_index_locate(idx, 1.0, 1.0, &code));
    ASSERT_STR_EQ(code, "110101001001001");
    ASSERT_OK(geo_index_locate(idx, 2.0, 1.0, &code)); /* the outer corner */
    ASSERT_STR_EQ(code, "110101001001002");
    ASSERT_EQ(geo_index_locate(idx, 2.5, 0.5, &code), JC_ERR_NOTFOUND);
    ASSERT_EQ(geo_index_locate(idx, 1.5, 1.0 + 1e-6, &code), JC_ERR_NOTFOUND);
    ASSERT_EQ(geo_index_locate(idx, NAN, 0.5, &code), JC_ERR_INVALID);
    geo_index_free(idx);
    geo_index_free(NULL);
    geo_shape_free(NULL);
}

TEST(index_import_all_or_nothing) {
    static const char *bad =
        "{\"type\":\"FeatureCollection\",\"features\":["
        "{\"type\":\"Feature\",\"properties\":{\"code\":\"A\"},\"geometry\":"
        "{\"type\":\"Polygon\",\"coordinates\":[[[5,5],[6,5],[6,6],[5,6],[5,5]]]}},"
        "{\"type\":\"Feature\",\"properties\":{\"code\":\"B\"},\"geometry\":"
        "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}}]}";
    static const char *nocode =
        "{\"type\":\"Feature\",\"properties\":{},\"geometry\":"
        "{\"type\":\"Polygon\",\"coordinates\":[[[5,5],[6,5],[6,6],[5,6],[5,5]]]}}";
    geo_index *idx;
    ASSERT_OK(geo_index_new(&idx));
    ASSERT_OK(geo_index_add_geojson(idx, TWO_GRIDS, strlen(TWO_GRIDS), err, sizeof err));
    ASSERT_EQ(geo_index_add_geojson(idx, bad, strlen(bad), err, sizeof err), JC_ERR_INVALID);
    if (!strstr(err, "feature 1 (code B), ring 0 (shell): ring is self-intersecting"))
        T_FAIL_("message: %s", err);
    ASSERT_EQ(geo_index_count(idx), 2);
    ASSERT_EQ(geo_index_add_geojson(idx, nocode, strlen(nocode), err, sizeof err),
              JC_ERR_INVALID);
    ASSERT(strstr(err, "feature 0: properties.code"));
    ASSERT_EQ(geo_index_count(idx), 2);
    /* A duplicate code is found at build time. */
    geo_shape *s = parse(SQUARE_WITH_HOLE);
    ASSERT(s);
    ASSERT_EQ(geo_index_add(idx, "bad code", s), JC_ERR_INVALID); /* space: refused */
    ASSERT_OK(geo_index_add(idx, "110101001001001", s));
    ASSERT_EQ(geo_index_build(idx, err, sizeof err), JC_ERR_CONFLICT);
    ASSERT(strstr(err, "110101001001001"));
    const char *code;
    ASSERT_EQ(geo_index_locate(idx, 0.5, 0.5, &code), JC_ERR_INVALID);
    geo_index_free(idx);
}

/* A 60 x 40 tiling of jittered quadrilaterals compared against brute force. */
TEST(index_matches_brute_force) {
    enum { NX = 60, NY = 40 };
    static double vx[NX + 1][NY + 1], vy[NX + 1][NY + 1];
    uint64_t r = 88172645463325252ull;
#define RND() (r ^= r << 13, r ^= r >> 7, r ^= r << 17, (double)(r >> 11) / 9007199254740992.0)
    for (int i = 0; i <= NX; i++)
        for (int j = 0; j <= NY; j++) {
            int edge = i == 0 || j == 0 || i == NX || j == NY;
            vx[i][j] = 116.0 + i * 0.002 + (edge ? 0 : (RND() - 0.5) * 0.0008);
            vy[i][j] = 39.0 + j * 0.002 + (edge ? 0 : (RND() - 0.5) * 0.0008);
        }
    geo_index *idx;
    ASSERT_OK(geo_index_new(&idx));
    static geo_shape *shapes[NX * NY];
    for (int i = 0; i < NX; i++)
        for (int j = 0; j < NY; j++) {
            char js[512], code[32];
            snprintf(js, sizeof js,
                     "{\"type\":\"Polygon\",\"coordinates\":[[[%.12f,%.12f],[%.12f,%.12f],"
                     "[%.12f,%.12f],[%.12f,%.12f],[%.12f,%.12f]]]}",
                     vx[i][j], vy[i][j], vx[i + 1][j], vy[i + 1][j], vx[i + 1][j + 1],
                     vy[i + 1][j + 1], vx[i][j + 1], vy[i][j + 1], vx[i][j], vy[i][j]);
            geo_shape *s = parse(js);
            ASSERT(s);
            snprintf(code, sizeof code, "g%05d", i * NY + j);
            ASSERT_OK(geo_index_add(idx, code, s));
            shapes[i * NY + j] = s;
        }
    ASSERT_OK(geo_index_build(idx, err, sizeof err));
    int found = 0;
    for (int k = 0; k < 20000; k++) {
        double lon = 115.99 + RND() * 0.14, lat = 38.99 + RND() * 0.10;
        const char *code = NULL, *want = NULL;
        char wbuf[32];
        for (int n = 0; n < NX * NY && !want; n++)
            if (geo_shape_contains(shapes[n], lon, lat)) {
                snprintf(wbuf, sizeof wbuf, "g%05d", n);
                want = wbuf;
            }
        jc_err rc = geo_index_locate(idx, lon, lat, &code);
        if (!want) {
            ASSERT_EQ(rc, JC_ERR_NOTFOUND);
        } else {
            ASSERT_OK(rc);
            ASSERT_STR_EQ(code, want);
            found++;
        }
    }
    ASSERT(found > 10000);
#undef RND
    geo_index_free(idx);
}

T_MAIN(T(wgs84_to_gcj02_known_point), T(gcj02_to_bd09_known_point),
       T(bd09_to_gcj02_close_to_published_approximation), T(round_trips_are_exact),
       T(outside_china_not_shifted), T(to_wgs84_validates), T(haversine_distances),
       T(polygon_inside_outside_edges_vertices), T(polygon_holes), T(diagonal_edge_boundary),
       T(multipolygon_and_feature), T(repeated_positions_dropped), T(refuses_unclosed_ring),
       T(refuses_too_few_positions), T(refuses_bad_numbers), T(refuses_wrong_types),
       T(refuses_bow_tie), T(refuses_touching_and_collinear), T(refuses_hole_outside_shell),
       T(index_locate_and_ties), T(index_import_all_or_nothing), T(index_matches_brute_force))
