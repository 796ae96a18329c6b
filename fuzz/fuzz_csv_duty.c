/*
 * fuzz_csv_duty.c -- libFuzzer target: the responsibility-list CSV importer
 * (duty_import_csv), all or nothing, with and without known codes.
 */
#include "duty.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const cats[] = {"0101", "0103", "0201"}, *const depts[] = {"chengguan", "zhujian", "wuye"};
    const duty_known known = {cats, 3, depts, 3};
    for (int k = 0; k < 2; k++) {
        duty_list *l = NULL;
        jc_buf errors;
        jc_buf_init(&errors, 1 << 20);
        if (duty_import_csv((const char *)data, size, k ? &known : NULL, &l, &errors) == JC_OK) {
            for (size_t i = 0; i < duty_list_count(l); i++) (void)duty_list_get(l, i);
            const duty_entry *e;
            jc_err me = duty_match(l, "0101", "110101001001001", &e);
            (void)me;
            duty_list_free(l);
        }
        jc_buf_free(&errors);
    }
    return 0;
}
