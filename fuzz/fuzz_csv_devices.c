/*
 * fuzz_csv_devices.c -- libFuzzer target: the device registry CSV parser of
 * `jiceng device import` (sensor__devices_csv).
 */
#include "sensor_int.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    sensor_device *d = NULL;
    size_t n = 0;
    char err[256];
    if (sensor__devices_csv((const char *)data, size, &d, &n, err, sizeof err) == JC_OK) free(d);
    return 0;
}
