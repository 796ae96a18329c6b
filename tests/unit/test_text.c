/*
 * test_text.c -- normalisation, UTF-8 checks, size caps and hashed n-grams
 * of src/text.c.
 */
#include "t.h"
#include "text.h"

#include <stdint.h>

static char *norm(const char *s) {
    char *out = NULL;
    size_t n = 0;
    if (text_normalize(s, strlen(s), &out, &n)) return NULL;
    return out;
}

TEST(nfkc_fullwidth_equals_ascii) {
    char *a = norm("ＡＢＣ１２３"), *b = norm("ABC123");
    ASSERT_STR_EQ(a, "abc123");
    ASSERT_STR_EQ(a, b);
    free(a), free(b);
}

TEST(nfkc_compat_and_compose) {
    char *a = norm("e\xCC\x81t\xC3\xA9"); /* e + U+0301, then precomposed é */
    ASSERT_STR_EQ(a, "\xC3\xA9t\xC3\xA9");
    free(a);
    a = norm("\xE3\x8D\xBF"); /* ㍿ */
    ASSERT_STR_EQ(a, "株式会社");
    free(a);
    a = norm("①号楼"); /* circled one */
    ASSERT_STR_EQ(a, "1号楼");
    free(a);
    a = norm("ＨＥＬＬＯ　Ｗｏｒｌｄ");
    ASSERT_STR_EQ(a, "hello world");
    free(a);
}

TEST(punctuation_and_space_collapse) {
    char *a = norm("  你好，　世界！！\n\t“路灯”……坏了。 ");
    ASSERT_STR_EQ(a, "你好 世界 路灯 坏了");
    free(a);
    a = norm("，。！");
    ASSERT_STR_EQ(a, "");
    free(a);
}

TEST(empty_text_is_empty) {
    char *out = NULL;
    size_t n = 99;
    ASSERT_OK(text_normalize("", 0, &out, &n));
    ASSERT_EQ(n, 0);
    ASSERT_STR_EQ(out, "");
    free(out);
    text_vec v = {0};
    text_opts o = text_opts_default();
    ASSERT_OK(text_count("", 0, &o, &v));
    ASSERT_EQ(v.n, 0);
    text_vec_free(&v);
}

TEST(invalid_utf8_refused) {
    const char *bad[] = {"\xff", "abc\xc0\xaf", "\xe4\xbd", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                         "路灯\x80坏了"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out = NULL;
        size_t n;
        ASSERT_EQ(text_normalize(bad[i], strlen(bad[i]), &out, &n), JC_ERR_INVALID);
        ASSERT(out == NULL);
    }
    char nul[] = {'a', 0, 'b'};
    char *out = NULL;
    size_t n;
    ASSERT_EQ(text_normalize(nul, 3, &out, &n), JC_ERR_INVALID);
}

TEST(size_cap) {
    size_t big = 10u << 20;
    char *s = malloc(big);
    ASSERT(s);
    memset(s, 'a', big);
    char *out = NULL;
    size_t n;
    jc_err e = text_normalize(s, big, &out, &n);
    ASSERT_EQ(e, JC_ERR_TOOBIG);
    /* exactly at the cap is fine */
    e = text_normalize(s, TEXT_MAX_BYTES, &out, &n);
    ASSERT_OK(e);
    ASSERT_EQ(n, TEXT_MAX_BYTES);
    free(out);
    e = text_normalize(s, TEXT_MAX_BYTES + 1, &out, &n);
    free(s);
    ASSERT_EQ(e, JC_ERR_TOOBIG);
}

TEST(fast_validator_agrees) {
    uint64_t st = 12345;
    char buf[64];
    const unsigned char pool[] = {'a', 0xE4, 0xBD, 0xA0, 0x80, 0xBF, 0xC3, 0xED, 0xA0, 0xF0,
                                  0x9F, 0xF4, 0x90, 0xEF, 0xBC, 0x8C, 0xC0, 0xFF, 0, 'Z'};
    for (int t = 0; t < 20000; t++) {
        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t n = (st >> 33) % 40;
        for (size_t i = 0; i < n; i++) {
            st = st * 6364136223846793005ULL + 1442695040888963407ULL;
            buf[i] = (char)pool[(st >> 33) % sizeof pool];
        }
        if (!!text_utf8_valid(buf, n) != !!jc_utf8_valid(buf, n))
            T_FAIL_("validators disagree on case %d", t);
    }
}

typedef struct {
    int n;
    char grams[64][16];
} gram_list;

static void collect(void *ctx, uint32_t slot, const uint32_t *cp, int len) {
    (void)slot;
    gram_list *g = ctx;
    if (g->n < 64) text_cp_to_utf8(cp, len, g->grams[g->n++], 16);
}

TEST(ngram_counts_and_text) {
    uint32_t *cps = NULL;
    size_t n = 0;
    ASSERT_OK(text_codepoints("你好世界", strlen("你好世界"), &cps, &n));
    ASSERT_EQ(n, 4);
    text_opts o = text_opts_default();
    o.min_n = 1, o.max_n = 3;
    gram_list g = {0};
    ASSERT_EQ(text_grams_cp(cps, n, &o, collect, &g), 4 + 3 + 2);
    ASSERT_STR_EQ(g.grams[0], "你");
    ASSERT_STR_EQ(g.grams[1], "你好");
    ASSERT_STR_EQ(g.grams[2], "你好世");
    free(cps);
    /* grams never span a separator */
    ASSERT_OK(text_codepoints("ab，cd", strlen("ab，cd"), &cps, &n));
    o.max_n = 2;
    memset(&g, 0, sizeof g);
    ASSERT_EQ(text_grams_cp(cps, n, &o, collect, &g), 6);
    for (int i = 0; i < g.n; i++) ASSERT(strcmp(g.grams[i], "bc") && !strchr(g.grams[i], ' '));
    free(cps);
}

TEST(counts_merge_repeats) {
    text_opts o = text_opts_default();
    o.max_n = 2;
    text_vec v = {0};
    ASSERT_OK(text_count("哈哈哈", strlen("哈哈哈"), &o, &v));
    ASSERT_EQ(v.n, 2);
    uint32_t ha[2] = {0x54C8, 0x54C8};
    uint32_t s1 = text_gram_slot(ha, 1, &o), s2 = text_gram_slot(ha, 2, &o);
    ASSERT(s1 != s2);
    for (size_t i = 0; i < v.n; i++) {
        if (v.f[i].slot == s1) ASSERT_EQ(v.f[i].val, 3);
        else if (v.f[i].slot == s2) ASSERT_EQ(v.f[i].val, 2);
        else T_FAIL_("unexpected slot %u", v.f[i].slot);
    }
    /* digits folded: 2019 and 2020 give the same grams */
    text_vec w = {0};
    ASSERT_OK(text_count("2019年", strlen("2019年"), &o, &v));
    ASSERT_OK(text_count("2020年", strlen("2020年"), &o, &w));
    ASSERT_EQ(v.n, w.n);
    text_vec_free(&v);
    text_vec_free(&w);
    /* a namespace moves every slot */
    text_opts o2 = o;
    o2.ns = 1;
    ASSERT(text_gram_slot(ha, 1, &o) != text_gram_slot(ha, 1, &o2));
}

TEST(counter_grows_past_initial_table) {
    /* 3000 distinct code points -> more distinct grams than the first table holds */
    char *s = malloc(3000 * 3 + 1);
    ASSERT(s);
    size_t o = 0;
    for (uint32_t c = 0x4E00; c < 0x4E00 + 3000; c++) {
        s[o++] = (char)(0xE0 | (c >> 12));
        s[o++] = (char)(0x80 | ((c >> 6) & 0x3F));
        s[o++] = (char)(0x80 | (c & 0x3F));
    }
    text_opts op = text_opts_default();
    op.max_n = 2;
    text_vec v = {0};
    jc_err e = text_count(s, o, &op, &v);
    free(s);
    ASSERT_OK(e);
    ASSERT(v.n > 5900 && v.n <= 5999); /* 3000 + 2999, minus rare hash collisions */
    double total = 0;
    for (size_t i = 0; i < v.n; i++) total += v.f[i].val;
    ASSERT_EQ((long long)total, 5999);
    text_vec_free(&v);
}

T_MAIN(T(nfkc_fullwidth_equals_ascii), T(nfkc_compat_and_compose),
       T(punctuation_and_space_collapse), T(empty_text_is_empty), T(invalid_utf8_refused),
       T(size_cap), T(fast_validator_agrees), T(ngram_counts_and_text), T(counts_merge_repeats),
       T(counter_grows_past_initial_table))
