/*
 * t.h -- a tiny unit-test harness (after libuv's ASSERT macros).
 * Each tests/unit/test_*.c is one executable linking the real modules:
 *
 *   TEST(parses_dates) { ASSERT_EQ(1, 1); }
 *   T_MAIN(T(parses_dates), T(other))
 *
 * `build/tests/test_x NAME` runs one test.  The last line printed is
 * "N passed, N failed"; the exit code is 1 when any test failed.
 */
#ifndef JC_T_H
#define JC_T_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *t_current;
static int t_cur_failed;

#define TEST(name) static void name(void)
#define T_FAIL_(...)                                                          \
    do {                                                                      \
        fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, t_current);        \
        fprintf(stderr, __VA_ARGS__);                                         \
        fputc('\n', stderr);                                                  \
        t_cur_failed = 1;                                                     \
        return;                                                               \
    } while (0)
#define ASSERT(c)                                                             \
    do { if (!(c)) T_FAIL_("assertion failed: %s", #c); } while (0)
#define ASSERT_EQ(a, b)                                                       \
    do {                                                                      \
        long long a_ = (long long)(a), b_ = (long long)(b);                   \
        if (a_ != b_) T_FAIL_("%s == %s: %lld != %lld", #a, #b, a_, b_);      \
    } while (0)
#define ASSERT_OK(e) ASSERT_EQ((e), 0)
#define ASSERT_STR_EQ(a, b)                                                   \
    do {                                                                      \
        const char *a_ = (a), *b_ = (b);                                      \
        if (!a_ || !b_ || strcmp(a_, b_))                                     \
            T_FAIL_("%s == %s: \"%s\" != \"%s\"", #a, #b, a_ ? a_ : "(null)", \
                    b_ ? b_ : "(null)");                                      \
    } while (0)
#define ASSERT_NEAR(a, b, eps)                                                \
    do {                                                                      \
        double a_ = (a), b_ = (b);                                            \
        if (!(fabs(a_ - b_) <= (eps)))                                        \
            T_FAIL_("%s ~= %s: %.10g != %.10g", #a, #b, a_, b_);              \
    } while (0)

typedef struct { const char *name; void (*fn)(void); } t_case;
#define T(fn) {#fn, fn}
#define T_MAIN(...)                                                           \
    int main(int argc, char **argv) {                                         \
        static const t_case cases[] = {__VA_ARGS__};                          \
        int passed = 0, failed = 0;                                           \
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {         \
            if (argc > 1 && strcmp(argv[1], cases[i].name)) continue;         \
            t_current = cases[i].name;                                        \
            t_cur_failed = 0;                                                 \
            cases[i].fn();                                                    \
            printf("%s %s\n", t_cur_failed ? "FAIL" : "ok", cases[i].name);  \
            if (t_cur_failed) failed++; else passed++;                        \
        }                                                                     \
        printf("%d passed, %d failed\n", passed, failed);                     \
        return failed ? 1 : 0;                                                \
    }
#endif
