/*
 * test_base.c -- the GB 11643 check character and the demo's fictional ID
 * numbers (area 999999).
 */
#include "base.h"
#include "t.h"

#include <string.h>

TEST(check_digit_of_published_examples) {
    /* the worked example of GB 11643-1999 (appendix): 11010519491231002X */
    ASSERT_EQ(base_id_check("11010519491231002"), 'X');
    /* a second, commonly cited valid number */
    ASSERT_EQ(base_id_check("44052418800101001"), '4');
    ASSERT(base_id_valid("11010519491231002X"));
    ASSERT(base_id_valid("11010519491231002x"));
    ASSERT(base_id_valid("440524188001010014"));
}

TEST(wrong_digits_are_refused) {
    ASSERT(!base_id_valid("110105194912310021"));  /* check should be X */
    ASSERT(!base_id_valid("440524188001010015"));  /* one off */
    ASSERT(!base_id_valid("44052418800101001"));   /* 17 characters */
    ASSERT(!base_id_valid("4405241880010100144")); /* 19 */
    ASSERT(!base_id_valid("44052418800101A014"));  /* a letter inside */
    ASSERT(!base_id_valid(NULL));
    ASSERT_EQ(base_id_check("4405241880010100A"), 0);
    /* a transposition of two neighbouring digits is caught */
    ASSERT(!base_id_valid("440524188001010104"));
}

TEST(fictional_numbers_are_valid_and_say_gender) {
    char id[19];
    base_id_make(19491231, 1, 1, id);
    ASSERT_EQ(strlen(id), 18);
    ASSERT(!strncmp(id, "99999919491231", 14));
    ASSERT(base_id_valid(id));
    ASSERT((id[16] - '0') % 2 == 1); /* men: odd 17th digit */
    base_id_make(20010229 - 1, 7, 0, id); /* 2001-02-28 */
    ASSERT(base_id_valid(id));
    ASSERT((id[16] - '0') % 2 == 0);
    ASSERT(!strncmp(id, "99999920010228", 14));
    /* every sequence gives a distinct valid number for one date and gender */
    char seen[500][19];
    for (int s = 0; s < 500; s++) {
        base_id_make(19800101, s, s & 1, seen[s]);
        ASSERT(base_id_valid(seen[s]));
        for (int k = 0; k < s; k++) ASSERT(strcmp(seen[k], seen[s]) != 0);
    }
}

T_MAIN(T(check_digit_of_published_examples), T(wrong_digits_are_refused), T(fictional_numbers_are_valid_and_say_gender))
