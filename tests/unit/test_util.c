/*
 * test_util.c -- the checked string helpers of src/util.c: copies and
 * formatting that report a cut and never split a UTF-8 character.
 */
#include "t.h"
#include "jc.h"

TEST(copy_fits_and_reports_cut) {
    char b[8];
    ASSERT_OK(jc_copy(b, sizeof b, "abcdefg"));
    ASSERT_STR_EQ(b, "abcdefg");
    ASSERT_EQ(jc_copy(b, sizeof b, "abcdefgh"), JC_ERR_TOOBIG);
    ASSERT_STR_EQ(b, "abcdefg");
    ASSERT_EQ(jc_copy(b, 0, "x"), JC_ERR_TOOBIG);
}

TEST(copy_cuts_on_utf8_boundary) {
    /* "、" is three bytes: 4 + 3 = 7 fits in 8, a further one does not */
    char b[8];
    ASSERT_EQ(jc_copy(b, sizeof b, "abcd、、"), JC_ERR_TOOBIG);
    ASSERT_STR_EQ(b, "abcd、");
    ASSERT(jc_utf8_valid(b, strlen(b)));
    char c[6];
    ASSERT_EQ(jc_copy(c, sizeof c, "东华门"), JC_ERR_TOOBIG); /* 5 bytes: one character and two of the next */
    ASSERT_STR_EQ(c, "东");
    char d[5];
    ASSERT_EQ(jc_copy(d, sizeof d, "ab\xF0\x9F\x98\x80"), JC_ERR_TOOBIG); /* a 4-byte emoji */
    ASSERT_STR_EQ(d, "ab");
    ASSERT_EQ(jc_utf8_cut("东华", 6, 4), 3);
    ASSERT_EQ(jc_utf8_cut("东华", 6, 6), 6);
    ASSERT_EQ(jc_utf8_cut("东华", 6, 2), 0);
}

TEST(copyn_takes_unterminated_input) {
    char b[4];
    ASSERT_OK(jc_copyn(b, sizeof b, "abcdef", 3));
    ASSERT_STR_EQ(b, "abc");
    ASSERT_EQ(jc_copyn(b, sizeof b, "abcdef", 4), JC_ERR_TOOBIG);
}

TEST(fmt_reports_cut_and_keeps_characters_whole) {
    char b[8];
    ASSERT_OK(jc_fmt(b, sizeof b, "%d-%s", 12, "ab"));
    ASSERT_STR_EQ(b, "12-ab");
    ASSERT_EQ(jc_fmt(b, sizeof b, "%s%s", "abcde", "华"), JC_ERR_TOOBIG); /* 5 + 3 = 8 > 7 */
    ASSERT_STR_EQ(b, "abcde");
    ASSERT_EQ(jc_fmt(b, sizeof b, "%s", "abcd华x"), JC_ERR_TOOBIG); /* the character fits whole */
    ASSERT_STR_EQ(b, "abcd华");
}

TEST(text_ok_refuses_controls_and_noncharacters) {
    ASSERT(jc_text_ok("路灯不亮\t\r\n", strlen("路灯不亮\t\r\n")));
    ASSERT(!jc_text_ok("a\x01b", 3));
    ASSERT(!jc_text_ok("a\xEF\xBF\xBF", 4));       /* U+FFFF */
    ASSERT(!jc_text_ok("a\xEF\xBF\xBE", 4));       /* U+FFFE */
    ASSERT(!jc_text_ok("\xEF\xB7\x90", 3));        /* U+FDD0 */
    ASSERT(!jc_text_ok("\xF0\x9F\xBF\xBF", 4));    /* U+1FFFF */
    ASSERT(jc_text_ok("\xEF\xBF\xBD", 3));         /* U+FFFD is a character */
    ASSERT(jc_text_ok("\xF0\x9F\x98\x80", 4));     /* an emoji */
    ASSERT(!jc_text_ok("\xC0\x80", 2));             /* overlong NUL */
}

T_MAIN(T(text_ok_refuses_controls_and_noncharacters), T(copy_fits_and_reports_cut), T(copy_cuts_on_utf8_boundary), T(copyn_takes_unterminated_input),
       T(fmt_reports_cut_and_keeps_characters_whole))
