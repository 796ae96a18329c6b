/*
 * fuzz_sensor.c -- libFuzzer target: the sensor payload parser shared by MQTT
 * and HTTP (sensor__parse), as a batch and as one device's topic.
 */
#include "sensor_int.h"

#include <math.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    jc_log_level = JC_LOG_ERROR + 1; /* the parser logs refusals */
    for (int batch = 0; batch < 2; batch++) {
        sensor_reading *rs = NULL;
        size_t n = 0, cap = 0;
        sensor__parse(batch ? NULL : "fuzz-dev-1", 0, (const char *)data, size, 1764000000000LL, &rs, &n, &cap);
        for (size_t i = 0; i < n; i++)
            for (int k = 0; k < rs[i].n; k++)
                if (!isfinite(rs[i].value[k])) abort(); /* non-finite values are refused */
        free(rs);
    }
    return 0;
}
