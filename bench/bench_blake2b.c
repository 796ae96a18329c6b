/*
 * bench_blake2b.c -- the BLAKE2b bound of this machine for bench/scale.sh:
 * how many BLAKE2b-256 hashes of an audit entry's size one core computes a
 * second (libsodium's crypto_generichash, the hash of src/audit.c), for
 * `jiceng audit verify`'s rate to be read against.  Built by the group:
 *
 *   bench_blake2b BYTES SECONDS   prints hashes per second
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 400;
    double secs = argc > 2 ? strtod(argv[2], NULL) : 2;
    if (sodium_init() < 0 || n < 1 || n > 65536) return 1;
    unsigned char *buf = malloc(n), out[32];
    if (!buf) return 1;
    for (size_t i = 0; i < n; i++) buf[i] = (unsigned char)(i * 31 + 7);
    long count = 0;
    double t0 = now(), t;
    do {
        for (int i = 0; i < 1000; i++) {
            crypto_generichash(out, sizeof out, buf, n, NULL, 0);
            buf[count % n] ^= out[0];
            count++;
        }
        t = now();
    } while (t - t0 < secs);
    printf("%.0f\n", (double)count / (t - t0));
    free(buf);
    return 0;
}
