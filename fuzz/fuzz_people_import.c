/*
 * fuzz_people_import.c -- libFuzzer target: a department's file as the people
 * import reads it: the CSV/XLSX reader (encodings, zip, XML), the header and
 * column mapping, and the cleaning of every row (ID numbers, names, dates,
 * phones, addresses).
 */
#include "people.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    people_table t;
    char why[600];
    if (people_table_read((const char *)data, size, &t, why, sizeof why) == JC_OK) {
        people_mapping m;
        if (people_mapping_propose(&t, NULL, NULL, &m, why, sizeof why) == JC_OK)
            for (int r = m.header_row + 1; r < t.nrows && r < m.header_row + 200; r++) {
                people_clean o;
                if (people_row_clean(&t, &m, r, NULL, 0, &o) == JC_OK) people_clean_free(&o);
            }
    }
    people_table_free(&t);
    return 0;
}
