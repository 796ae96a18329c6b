/*
 * fuzz_json.c -- libFuzzer target: the JSON intake of every API route that
 * takes a body (api_json_intake: UTF-8, one JSON object, no control
 * characters or noncharacters, only the route's fields).  `make fuzz`.
 */
#include "http.h"

#include <jansson.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    json_t *j = NULL;
    char msg[300];
    if (api_json_intake((const char *)data, size, "title,body,category,area,lon,lat,attributes,phone,source", &j,
                        msg, sizeof msg) == 0) {
        char *s = json_dumps(j, JSON_COMPACT);
        free(s);
        json_decref(j);
    }
    return 0;
}
