/*
 * fuzz_csv_worklist.c -- libFuzzer target: the community work-list CSV
 * parser (worklist_parse_csv).
 */
#include "worklist.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    wl_item *items = NULL;
    size_t n = 0;
    jc_buf errors;
    jc_buf_init(&errors, 1 << 20);
    if (worklist_parse_csv((const char *)data, size, &items, &n, &errors) == JC_OK) free(items);
    jc_buf_free(&errors);
    return 0;
}
