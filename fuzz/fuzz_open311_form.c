/*
 * fuzz_open311_form.c -- libFuzzer target: the Open311 form parser
 * (o311_form_parse) and the XML escaping of every value it yields, which
 * must stay valid UTF-8 without a character XML 1.0 forbids.  `make fuzz`.
 */
#include "open311.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    o311_form f;
    char err[200];
    if (o311_form_parse((const char *)data, size, &f, err, sizeof err) == JC_OK) {
        for (int i = 0; i < f.n; i++) {
            jc_buf b;
            jc_buf_init(&b, 0);
            if (o311_xml_escape(&b, f.val[i]) == JC_OK && b.len && !jc_text_ok(b.data, b.len)) abort();
            jc_buf_free(&b);
        }
        (void)o311_form_get(&f, "description");
    }
    o311_form_free(&f);
    return 0;
}
