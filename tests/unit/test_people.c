/*
 * test_people.c -- the people subsystem's cell cleaning (people_norm.c) on
 * the damage departmental exports really carry.
 */
#include "people.h"
#include "t.h"

TEST(id_valid_and_lower_x) {
    people_id d;
    people_norm_id("11010119981225673x", &d);
    ASSERT_EQ(d.kind, PEOPLE_ID_VALID);
    ASSERT_STR_EQ(d.id, "11010119981225673X");
    ASSERT_EQ(d.birth, 19981225);
    ASSERT_EQ(d.sex, 'M');
    people_norm_id("110103194201267122", &d);
    ASSERT_EQ(d.kind, PEOPLE_ID_VALID);
    ASSERT_EQ(d.sex, 'F');
}

TEST(id_check_digit_wrong_is_damaged) {
    people_id d;
    people_norm_id("110103194201267123", &d); /* last digit typed wrong */
    ASSERT_EQ(d.kind, PEOPLE_ID_DAMAGED);
    people_norm_id("110101199260194164", &d); /* month 92: no date */
    ASSERT_EQ(d.kind, PEOPLE_ID_DAMAGED);
    ASSERT_EQ(d.birth, 0);
    ASSERT_EQ(people_id_check("11010119981225673"), 'X');
    ASSERT_EQ(people_id_check("1101011998122567"), 0);
}

TEST(id_full_width_spaces_apostrophe_tab) {
    people_id d;
    people_norm_id("１１０１０１１９９８１２２５６７３ｘ", &d);
    ASSERT_EQ(d.kind, PEOPLE_ID_VALID);
    ASSERT_STR_EQ(d.id, "11010119981225673X");
    people_norm_id("'110103194201267122", &d);
    ASSERT_STR_EQ(d.id, "110103194201267122");
    people_norm_id("  110101201504307830  ", &d);
    ASSERT_EQ(d.kind, PEOPLE_ID_VALID);
    people_norm_id("110101193405047898\t", &d);
    ASSERT_STR_EQ(d.id, "110101193405047898");
    people_norm_id("1101 0119 9812 2567 3X", &d);
    ASSERT_EQ(d.kind, PEOPLE_ID_VALID);
}

TEST(id_15_digits_to_18) {
    people_id d;
    people_norm_id("110101850302123", &d);
    ASSERT_EQ(d.kind, PEOPLE_ID_VALID);
    ASSERT_EQ(d.from15, 1);
    ASSERT_EQ(strlen(d.id), 18);
    ASSERT(!strncmp(d.id, "11010119850302123", 17));
    ASSERT_EQ(d.id[17], people_id_check(d.id));
    ASSERT_EQ(d.birth, 19850302);
    ASSERT_EQ(d.sex, 'M');
}

TEST(id_excel_damage) {
    people_id d;
    people_norm_id("1.10101E+17", &d);
    ASSERT_EQ(d.kind, PEOPLE_ID_PARTIAL);
    ASSERT_STR_EQ(d.id, "110101");
    ASSERT_EQ(d.known, 6);
    people_norm_id("1.10103196E+17", &d);
    ASSERT_STR_EQ(d.id, "110103196");
    people_norm_id("110101198712136000", &d); /* 15 digits kept, the rest 000 */
    ASSERT_EQ(d.kind, PEOPLE_ID_PARTIAL);
    ASSERT_EQ(d.known, 15);
    ASSERT_STR_EQ(d.id, "110101198712136");
    ASSERT_EQ(d.birth, 19871213);
}

TEST(id_missing_and_other) {
    people_id d;
    const char *none[] = {"", "/", "无", "  ", "-", NULL};
    for (int i = 0; none[i]; i++) {
        people_norm_id(none[i], &d);
        ASSERT_EQ(d.kind, PEOPLE_ID_NONE);
    }
    people_norm_id(NULL, &d);
    ASSERT_EQ(d.kind, PEOPLE_ID_NONE);
    people_norm_id("E12345678", &d); /* a passport */
    ASSERT_EQ(d.kind, PEOPLE_ID_OTHER);
}

TEST(dates_every_office_format) {
    static const struct { const char *in; int want; } cases[] = {
        {"19850302", 19850302},      {"1985-03-02", 19850302}, {"1985/3/2", 19850302},
        {"1985.03.02", 19850302},    {"1985.3.2", 19850302},   {"1985年3月2日", 19850302},
        {"1985年03月02日", 19850302}, {"1985年3月", 19850300},  {"198503", 19850300},
        {"1985-03", 19850300},       {"31108", 19850302},      {"1985-03-02 00:00:00", 19850302},
        {"１９８５－０３－０２", 19850302}, {"3/2/1985", 19850302},  {"1", 19000101},
        {"61", 19000301},            {"45658", 20250101},     {" 2015年4月30日 ", 20150430},
    };
    for (size_t i = 0; i < JC_ARRAY_LEN(cases); i++) {
        int ymd = -1;
        if (people_norm_date(cases[i].in, &ymd) || ymd != cases[i].want)
            T_FAIL_("date '%s' gave %d, want %d", cases[i].in, ymd, cases[i].want);
    }
    const char *bad[] = {"", "19850230", "1985-13-01", "不详", "1985年3月2日上午", "2/30/1985", NULL};
    for (int i = 0; bad[i]; i++) {
        int ymd = 1;
        if (!people_norm_date(bad[i], &ymd) || ymd != 0) T_FAIL_("date '%s' accepted as %d", bad[i], ymd);
    }
}

TEST(phones) {
    people_phones p;
    ASSERT_EQ(people_norm_phones("13105792971", &p), 1);
    ASSERT_STR_EQ(p.num[0], "13105792971");
    ASSERT_EQ(people_norm_phones("+86 131 0579 2971", &p), 1);
    ASSERT_STR_EQ(p.num[0], "13105792971");
    ASSERT_EQ(people_norm_phones("86-13105792971", &p), 1);
    ASSERT_STR_EQ(p.num[0], "13105792971");
    ASSERT_EQ(people_norm_phones("010-65256833", &p), 1);
    ASSERT_STR_EQ(p.num[0], "01065256833");
    ASSERT_EQ(people_norm_phones(" １９１９４０２１００９", &p), 1);
    ASSERT_STR_EQ(p.num[0], "19194021009");
    ASSERT_EQ(people_norm_phones("15789294040，18258786592", &p), 2);
    ASSERT_STR_EQ(p.num[1], "18258786592");
    ASSERT_EQ(people_norm_phones("13144172964　", &p), 1);
    ASSERT_EQ(people_norm_phones("无", &p), 0);
    ASSERT_EQ(people_norm_phones("0086 13105792971", &p), 1);
    ASSERT_STR_EQ(p.num[0], "13105792971");
}

TEST(sex_codes) {
    ASSERT_EQ(people_norm_sex("男"), 'M');
    ASSERT_EQ(people_norm_sex(" 女 "), 'F');
    ASSERT_EQ(people_norm_sex("1"), 'M');
    ASSERT_EQ(people_norm_sex("2"), 'F');
    ASSERT_EQ(people_norm_sex("F"), 'F');
    ASSERT_EQ(people_norm_sex("未知"), 0);
}

TEST(names_spaces_dots_traditional) {
    char n[64];
    people_norm_name("黄　龙", n, sizeof n);
    ASSERT_STR_EQ(n, "黄龙");
    people_norm_name(" 张 伟 ", n, sizeof n);
    ASSERT_STR_EQ(n, "张伟");
    people_norm_name("阿卜杜•热合曼", n, sizeof n);
    ASSERT_STR_EQ(n, "阿卜杜·热合曼");
    people_norm_name("阿卜杜.热合曼", n, sizeof n);
    ASSERT_STR_EQ(n, "阿卜杜·热合曼");
    people_norm_name("張偉", n, sizeof n);
    ASSERT_STR_EQ(n, "张伟");
    people_norm_name("劉國強", n, sizeof n);
    ASSERT_STR_EQ(n, "刘国强");
    ASSERT_EQ(people_norm_name("", n, sizeof n), 0);
}

TEST(names_pinyin_homophones) {
    uint32_t a[8], b[8];
    int na = people_name_pinyin("杨遥", a, 8), nb = people_name_pinyin("杨瑶", b, 8);
    ASSERT_EQ(na, 2);
    ASSERT_EQ(nb, 2);
    ASSERT(!memcmp(a, b, sizeof a[0] * 2));
    ASSERT_STR_EQ(people_syllable(a[1]), "yao");
    na = people_name_pinyin("王卫东", a, 8), nb = people_name_pinyin("汪卫东", b, 8);
    ASSERT(na == 3 && nb == 3 && !memcmp(a, b, sizeof a[0] * 3));
    people_name_pinyin("单", a, 8); /* as a surname: shan */
    ASSERT_STR_EQ(people_syllable(a[0]), "shan");
    people_name_pinyin("简单", a, 8); /* not a surname: dan */
    ASSERT_STR_EQ(people_syllable(a[1]), "dan");
    na = people_name_pinyin("李娜", a, 8), nb = people_name_pinyin("李娟", b, 8);
    ASSERT(memcmp(a, b, sizeof a[0] * 2));
}

TEST(addresses_styles) {
    people_addr a;
    people_norm_addr("北京市东城区崇文门外街道西花市南里西区社区居委会 西花市南里西区3号楼2单元1104", &a);
    ASSERT_STR_EQ(a.street, "崇文门外");
    ASSERT_STR_EQ(a.community, "西花市南里西区");
    ASSERT_STR_EQ(a.road, "西花市南里西区");
    ASSERT_EQ(a.nnums, 3);
    ASSERT_EQ(a.nums[0], 3);
    ASSERT_EQ(a.room, 1104);
    people_norm_addr("东城区宝华里社区宝华里14楼5门501", &a);
    ASSERT_STR_EQ(a.community, "宝华里");
    ASSERT_EQ(a.nnums, 3);
    ASSERT_EQ(a.room, 501);
    people_norm_addr("昭亨胡同18-3-2-502", &a);
    ASSERT_STR_EQ(a.road, "昭亨胡同");
    ASSERT_EQ(a.nnums, 4);
    ASSERT_EQ(a.nums[0], 18);
    ASSERT_EQ(a.room, 502);
    people_norm_addr("东城区八条社区43号院3楼2门402", &a);
    ASSERT_STR_EQ(a.community, "八条");
    ASSERT_EQ(a.nnums, 4);
    ASSERT_EQ(a.nums[0], 43);
    people_norm_addr("多福巷6号", &a);
    ASSERT_STR_EQ(a.road, "多福巷");
    ASSERT_EQ(a.nnums, 1);
    ASSERT_EQ(a.room, -1);
    people_norm_addr("　北京市东城区永定门外街道李村社区李村小区7号楼5单元803　", &a);
    ASSERT_STR_EQ(a.street, "永定门外");
    ASSERT_STR_EQ(a.community, "李村");
    ASSERT_EQ(a.room, 803);
    people_norm_addr("忠实里8-3-804", &a);
    ASSERT_EQ(a.nnums, 3);
    ASSERT_EQ(a.room, 804);
    people_norm_addr("", &a);
    ASSERT_EQ(a.nnums, 0);
}

TEST(addresses_against_the_area_tree) {
    people_community c[] = {
        {"110101001001", "多福巷社区", "多福巷"},
        {"110101001002", "灯市口社区", "灯市口"},
        {"110101001003", "灯市口北社区", "灯市口北"},
    };
    people_addr a;
    people_norm_addr("东城区灯市口社区47号院3楼2门202", &a);
    ASSERT_EQ(people_addr_community(&a, c, 3), 1);
    people_norm_addr("灯市口北巷12号", &a);
    ASSERT_EQ(people_addr_community(&a, c, 3), 2);
    people_norm_addr("多福巷16号", &a);
    ASSERT_EQ(people_addr_community(&a, c, 3), 0);
    people_norm_addr("东城区宝华里社区宝华里14楼5门501", &a);
    ASSERT_EQ(people_addr_community(&a, c, 3), -1);
}

T_MAIN(T(id_valid_and_lower_x), T(id_check_digit_wrong_is_damaged), T(id_full_width_spaces_apostrophe_tab),
       T(id_15_digits_to_18), T(id_excel_damage), T(id_missing_and_other), T(dates_every_office_format), T(phones),
       T(sex_codes), T(names_spaces_dots_traditional), T(names_pinyin_homophones), T(addresses_styles),
       T(addresses_against_the_area_tree))
