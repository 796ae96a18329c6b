/*
 * fuzz_geojson.c -- libFuzzer target: GeoJSON validation of grid shapes
 * (geo_shape_parse) and point-in-polygon on what it accepts.
 */
#include "geo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    geo_shape *s = NULL;
    char err[200];
    if (geo_shape_parse((const char *)data, size, &s, err, sizeof err) == JC_OK) {
        double bbox[4];
        geo_shape_bbox(s, bbox);
        (void)geo_shape_contains(s, (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2);
        (void)geo_shape_contains(s, bbox[0], bbox[1]);
        geo_shape_free(s);
    }
    return 0;
}
