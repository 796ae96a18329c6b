/*
 * test_people.c -- the people subsystem's cell cleaning (people_norm.c) on
 * the damage departmental exports really carry.
 */
#include "people.h"
#include "people_int.h"
#include "people_store.h"
#include "store.h"
#include "t.h"

#include <iconv.h>
#include <stdlib.h>
#include <unistd.h>
#include <xlsxwriter.h>
#include <zip.h>

#define ASSERT_OK_VOID(e) do { if ((e) != 0) { fprintf(stderr, "%s failed\n", #e); return; } } while (0)

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


/* ---- reading files ------------------------------------------------------------------ */

static int read_str(const char *data, size_t len, people_table *t, char *why, size_t whysz) {
    return (int)people_table_read(data, len, t, why, whysz);
}

TEST(csv_utf8_bom_crlf_title_line) {
    const char csv[] = "\xEF\xBB\xBF" "常住人口登记表,,,\r\n序号,姓名,身份证号,联系电话\r\n1,张伟,11010119981225673x,13105792971\r\n"
                       "2,\"李,娜\",,010-65256833\r\n";
    people_table t;
    char why[256];
    ASSERT_OK(read_str(csv, sizeof csv - 1, &t, why, sizeof why));
    ASSERT_STR_EQ(t.encoding, "UTF-8 BOM");
    ASSERT_EQ(t.nrows, 4);
    ASSERT_EQ(t.row_n[0], 1); /* the title line's empty cells are dropped */
    ASSERT_STR_EQ(people_table_cell(&t, 2, 1), "张伟");
    ASSERT_STR_EQ(people_table_cell(&t, 3, 1), "李,娜");
    people_mapping m;
    ASSERT_OK(people_mapping_propose(&t, NULL, NULL, &m, why, sizeof why));
    ASSERT_EQ(m.header_row, 1);
    ASSERT_EQ(m.field[1], PF_NAME);
    ASSERT_EQ(m.field[2], PF_ID_NUMBER);
    ASSERT_EQ(m.field[3], PF_PHONE);
    people_table_free(&t);
}

TEST(csv_gb18030_and_utf16) {
    const char utf8[] = "姓名,身份证号\n王芳,110103194201267122\n";
    iconv_t cd = iconv_open("GB18030", "UTF-8");
    char gb[256], *ip = (char *)utf8, *op = gb;
    size_t il = sizeof utf8 - 1, ol = sizeof gb;
    iconv(cd, &ip, &il, &op, &ol);
    iconv_close(cd);
    people_table t;
    char why[256];
    ASSERT_OK(read_str(gb, (size_t)(op - gb), &t, why, sizeof why));
    ASSERT_STR_EQ(t.encoding, "GB18030");
    ASSERT_STR_EQ(people_table_cell(&t, 1, 0), "王芳");
    people_table_free(&t);
    cd = iconv_open("UTF-16LE", "UTF-8");
    char u16[512] = "\xFF\xFE";
    ip = (char *)utf8, op = u16 + 2, il = sizeof utf8 - 1, ol = sizeof u16 - 2;
    iconv(cd, &ip, &il, &op, &ol);
    iconv_close(cd);
    ASSERT_OK(read_str(u16, (size_t)(op - u16), &t, why, sizeof why));
    ASSERT_STR_EQ(t.encoding, "UTF-16");
    ASSERT_STR_EQ(people_table_cell(&t, 1, 1), "110103194201267122");
    people_table_free(&t);
}

TEST(csv_wrong_encoding_names_the_line) {
    /* Latin-1 text: neither UTF-8 nor GB18030 (0xE9 then a comma) */
    const char bad[] = "name,id\nJos\xE9,1\nA,2\n";
    people_table t;
    char why[256] = "";
    ASSERT_EQ(read_str(bad, sizeof bad - 1, &t, why, sizeof why), JC_ERR_INVALID);
    ASSERT(strstr(why, "line 2") != NULL);
    people_table_free(&t);
    const char nul[] = "a,b\n\0\0";
    ASSERT_EQ(read_str(nul, sizeof nul - 1, &t, why, sizeof why), JC_ERR_INVALID);
    people_table_free(&t);
    const char xls[] = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 rest";
    why[0] = 0;
    ASSERT_EQ(read_str(xls, sizeof xls - 1, &t, why, sizeof why), JC_ERR_INVALID);
    ASSERT(strstr(why, ".xls") != NULL);
    people_table_free(&t);
}

TEST(mapping_from_unseen_headers) {
    /* renamed, reordered, extra and another person's columns */
    const char csv[] = "登记号,备注,居民姓名,监护人姓名,出生时间,本人手机,监护人身份证号,证件号码(必填),现居住地,x列\n"
                       "A1,,刘洋,刘强,1990-1-2,13100000001,110101196001011234,110101199001021235,幸福里3-2-101,9\n";
    people_table t;
    char why[256];
    ASSERT_OK(read_str(csv, sizeof csv - 1, &t, why, sizeof why));
    people_mapping m;
    ASSERT_OK(people_mapping_propose(&t, NULL, NULL, &m, why, sizeof why));
    ASSERT_EQ(m.field[0], PF_ATTR);
    ASSERT_EQ(m.field[2], PF_NAME);
    ASSERT_EQ(m.field[3], PF_ATTR); /* the guardian's name is not the person's */
    ASSERT_EQ(m.field[4], PF_BIRTH_DATE);
    ASSERT_EQ(m.field[5], PF_PHONE);
    ASSERT_EQ(m.field[6], PF_ATTR);
    ASSERT_EQ(m.field[7], PF_ID_NUMBER);
    ASSERT_STR_EQ(m.header[7], "证件号码");
    ASSERT_EQ(m.field[8], PF_ADDRESS);
    people_table_free(&t);
}

TEST(mapping_by_values_and_by_hand) {
    /* a header no table names: the values are ID numbers */
    const char csv[] = "编号,人员,代码甲,电话甲\n1,张三,110101199001021235,13100000001\n2,李四,11010119981225673X,13100000002\n"
                       "3,王五,110103194201267122,13100000003\n";
    people_table t;
    char why[256];
    ASSERT_OK(read_str(csv, sizeof csv - 1, &t, why, sizeof why));
    people_mapping m;
    ASSERT_OK(people_mapping_propose(&t, NULL, NULL, &m, why, sizeof why));
    ASSERT_EQ(m.field[2], PF_ID_NUMBER);
    ASSERT_EQ(m.how[2], 2);
    ASSERT_EQ(m.field[3], PF_PHONE);
    ASSERT_EQ(m.field[1], PF_NAME); /* no header names the name: the one column of names */
    ASSERT_EQ(m.how[1], 2);
    ASSERT_OK(people_mapping_propose(&t, NULL, "人员=name", &m, why, sizeof why));
    ASSERT_EQ(m.field[1], PF_NAME);
    ASSERT_EQ(m.how[1], 4);
    /* a saved mapping is used again */
    ASSERT_OK(people_mapping_propose(&t, "{\"人员\":\"name\"}", NULL, &m, why, sizeof why));
    ASSERT_EQ(m.field[1], PF_NAME);
    ASSERT_EQ(m.how[1], 3);
    why[0] = 0;
    ASSERT_EQ(people_mapping_propose(&t, NULL, "人员=nom", &m, why, sizeof why), JC_ERR_INVALID);
    ASSERT(strstr(why, "nom") != NULL);
    why[0] = 0;
    ASSERT_EQ(people_mapping_propose(&t, NULL, "没有这列=name", &m, why, sizeof why), JC_ERR_INVALID);
    ASSERT(strstr(why, "没有这列") != NULL);
    people_table_free(&t);
}

TEST(mapping_name_by_values) {
    /* headers no table lists (持证人, 救助对象, 患者 ...): the name is found by its values, not
     * in a column of repeated categories (民族), a clerk's column (经办人) or the ID numbers;
     * 居住详址 and 现居地 are addresses, 网址 is not */
    const char csv[] = "编号,民族,持证人,经办人,证件号码,居住详址,现居地,单位网址\n"
                       "1,汉族,刘洋,李明,110101199001021235,幸福里3-2-101,幸福里,a.cn\n"
                       "2,汉族,王芳,李明,11010119981225673X,幸福里3-2-102,幸福里,a.cn\n"
                       "3,回族,欧阳娜娜,王强,110103194201267122,幸福里3-2-103,幸福里,a.cn\n"
                       "4,汉族,阿依古丽·买买提,王强,110101195001011238,幸福里3-2-104,幸福里,a.cn\n"
                       "5,汉族,张伟,李明,110101196001011234,幸福里3-2-105,幸福里,a.cn\n";
    people_table t;
    char why[256];
    ASSERT_OK(read_str(csv, sizeof csv - 1, &t, why, sizeof why));
    people_mapping m;
    ASSERT_OK(people_mapping_propose(&t, NULL, NULL, &m, why, sizeof why));
    ASSERT_EQ(m.field[1], PF_ATTR);
    ASSERT_EQ(m.field[2], PF_NAME);
    ASSERT_EQ(m.how[2], 2);
    ASSERT_EQ(m.field[3], PF_ATTR);
    ASSERT_EQ(m.field[4], PF_ID_NUMBER);
    ASSERT_EQ(m.field[5], PF_ADDRESS);
    ASSERT_EQ(m.field[6], PF_ADDRESS);
    ASSERT_EQ(m.field[7], PF_ATTR);
    people_table_free(&t);
    /* an exact header keeps its field whatever comes before it: 曾用姓名 (a former name) and
     * 姓名拼音 before 姓名, 原身份证号 before 身份证号; 家属姓名 and 代办人电话 are another person's */
    const char order[] = "编号,曾用姓名,姓名拼音,家属姓名,代办人电话,原身份证号,姓名,身份证号,电话\n"
                         "1,刘阳,LIU YANG,刘强,13100000009,110101199001021235,刘洋,110101199001021235,13100000001\n";
    ASSERT_OK(read_str(order, sizeof order - 1, &t, why, sizeof why));
    ASSERT_OK(people_mapping_propose(&t, NULL, NULL, &m, why, sizeof why));
    ASSERT_EQ(m.field[1], PF_ATTR);
    ASSERT_EQ(m.field[2], PF_ATTR);
    ASSERT_EQ(m.field[3], PF_ATTR);
    ASSERT_EQ(m.field[4], PF_ATTR);
    ASSERT_EQ(m.field[5], PF_ATTR);
    ASSERT_EQ(m.field[6], PF_NAME);
    ASSERT_EQ(m.field[7], PF_ID_NUMBER);
    ASSERT_EQ(m.field[8], PF_PHONE);
    people_table_free(&t);
    /* two columns of names under headers we do not read (the person's, a visitor's): not guessed */
    const char two[] = "编号,甲,乙,丙\n1,何晨一,王建国,110101199001021235\n2,张新,李秀英,11010119981225673X\n"
                       "3,刘芳,赵敏,110103194201267122\n";
    ASSERT_OK(read_str(two, sizeof two - 1, &t, why, sizeof why));
    ASSERT_OK(people_mapping_propose(&t, NULL, NULL, &m, why, sizeof why));
    ASSERT_EQ(m.field[1], PF_ATTR);
    ASSERT_EQ(m.field[2], PF_ATTR);
    ASSERT_EQ(m.field[3], PF_ID_NUMBER);
    people_table_free(&t);
}

static int write_xlsx(const char *path, int rows) {
    lxw_workbook *wb = workbook_new(path);
    lxw_worksheet *ws = workbook_add_worksheet(wb, NULL);
    worksheet_write_string(ws, 0, 0, "花名册", NULL);
    worksheet_write_string(ws, 1, 0, "序号", NULL);
    worksheet_write_string(ws, 1, 1, "学生姓名", NULL);
    worksheet_write_string(ws, 1, 3, "身份证件号", NULL); /* column C left empty */
    for (int r = 0; r < rows; r++) {
        worksheet_write_number(ws, (lxw_row_t)(2 + r), 0, r + 1, NULL);
        worksheet_write_string(ws, (lxw_row_t)(2 + r), 1, r % 2 ? "王芳" : "張偉", NULL);
        worksheet_write_string(ws, (lxw_row_t)(2 + r), 3, "110103194201267122", NULL);
    }
    return workbook_close(wb) == LXW_NO_ERROR ? 0 : -1;
}

static char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *d = malloc((size_t)len);
    *n = fread(d, 1, (size_t)len, f);
    fclose(f);
    return d;
}

TEST(xlsx_merged_cells) {
    /* a household register as offices keep it: a title block over two rows and all columns,
     * the household number and the address merged over the members' rows */
    char path[] = "/tmp/jiceng-test-people-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    close(fd);
    lxw_workbook *wb = workbook_new(path);
    lxw_worksheet *ws = workbook_add_worksheet(wb, NULL);
    worksheet_merge_range(ws, 0, 0, 1, 4, "户籍人口出生登记台账", NULL);
    const char *hdr[] = {"序号", "户号", "姓名", "身份证号", "家庭住址"};
    for (int c = 0; c < 5; c++) worksheet_write_string(ws, 2, (lxw_col_t)c, hdr[c], NULL);
    const char *names[] = {"张伟", "李芳", "张小明", "王强"};
    const char *ids[] = {"11010119800101001X", "110101198203040027", "110101201005060018", "110101195001011238"};
    for (int r = 0; r < 4; r++) {
        worksheet_write_number(ws, (lxw_row_t)(3 + r), 0, r + 1, NULL);
        worksheet_write_string(ws, (lxw_row_t)(3 + r), 2, names[r], NULL);
        worksheet_write_string(ws, (lxw_row_t)(3 + r), 3, ids[r], NULL);
    }
    worksheet_merge_range(ws, 3, 1, 5, 1, "H1", NULL);
    worksheet_merge_range(ws, 3, 4, 5, 4, "幸福里3-2-101", NULL);
    worksheet_write_string(ws, 6, 1, "H2", NULL);
    worksheet_write_string(ws, 6, 4, "幸福里5-1-202", NULL);
    ASSERT_EQ(workbook_close(wb), LXW_NO_ERROR);
    size_t n;
    char *d = slurp(path, &n);
    people_table t;
    char why[256];
    ASSERT_OK(read_str(d, n, &t, why, sizeof why));
    ASSERT_EQ(t.nrows, 6); /* the title's second row holds nothing */
    ASSERT_STR_EQ(people_table_cell(&t, 0, 0), "户籍人口出生登记台账");
    ASSERT_STR_EQ(people_table_cell(&t, 0, 1), ""); /* a title is not copied across */
    ASSERT_STR_EQ(people_table_cell(&t, 1, 1), "户号");
    for (int r = 2; r < 5; r++) {
        ASSERT_STR_EQ(people_table_cell(&t, r, 1), "H1");
        ASSERT_STR_EQ(people_table_cell(&t, r, 4), "幸福里3-2-101");
    }
    ASSERT_STR_EQ(people_table_cell(&t, 5, 1), "H2");
    ASSERT_STR_EQ(people_table_cell(&t, 5, 4), "幸福里5-1-202");
    people_mapping m;
    ASSERT_OK(people_mapping_propose(&t, NULL, NULL, &m, why, sizeof why));
    ASSERT_EQ(m.header_row, 1);
    ASSERT_EQ(m.field[1], PF_HOUSEHOLD_NO);
    ASSERT_EQ(m.field[4], PF_ADDRESS);
    people_table_free(&t);
    free(d);
    /* a bomb of merged cells: one 4,000-byte value merged over 2,000 rows (8 MB read from a
     * few KiB), against a cap lowered to 1 MiB */
    wb = workbook_new(path);
    ws = workbook_add_worksheet(wb, NULL);
    char big[4001];
    memset(big, 'x', 4000);
    big[4000] = 0;
    for (int r = 0; r < 2000; r++) worksheet_write_number(ws, (lxw_row_t)r, 0, r, NULL);
    worksheet_merge_range(ws, 0, 1, 1999, 1, big, NULL);
    ASSERT_EQ(workbook_close(wb), LXW_NO_ERROR);
    d = slurp(path, &n);
    size_t cap = people__unzip_cap;
    people__unzip_cap = 1 << 20;
    why[0] = 0;
    jc_err e = people_table_read(d, n, &t, why, sizeof why);
    people__unzip_cap = cap;
    ASSERT_EQ(e, JC_ERR_TOOBIG);
    ASSERT(strstr(why, "merged") != NULL);
    people_table_free(&t);
    free(d);
    unlink(path);
}

/* Writes a zip holding one sheet of the given XML (stored, as a damaged or
 * hand-made workbook may be). */
static int write_sheet_zip(const char *path, const char *sheet) {
    int err = 0;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
    if (!z) return -1;
    zip_source_t *s = zip_source_buffer(z, sheet, strlen(sheet), 0);
    if (!s || zip_file_add(z, "xl/worksheets/sheet1.xml", s, ZIP_FL_OVERWRITE) < 0) {
        zip_source_free(s);
        zip_discard(z);
        return -1;
    }
    return zip_close(z);
}

TEST(xlsx_value_outside_a_row) {
    /* found by fuzz_people_import: a <c><v> before any <row> wrote into row -1 (a crash on
     * the first one, the heap overwritten on later ones) */
    char path[] = "/tmp/jiceng-test-people-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    close(fd);
    ASSERT_OK(write_sheet_zip(path, "<worksheet><sheetData><c t=\"inlineStr\"><is><t>x</t></is></c><c><v>7</v></c>"
                                    "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>编号</t></is></c>"
                                    "<c r=\"B1\" t=\"inlineStr\"><is><t>姓名</t></is></c></row><c><v>8</v></c>"
                                    "<row r=\"2\"><c r=\"A2\"><v>1</v></c><c r=\"B2\" t=\"inlineStr\"><is><t>张伟</t></is>"
                                    "</c></row></sheetData></worksheet>"));
    size_t n;
    char *d = slurp(path, &n);
    people_table t;
    char why[256];
    ASSERT_OK(read_str(d, n, &t, why, sizeof why));
    ASSERT_EQ(t.nrows, 2);
    ASSERT_STR_EQ(people_table_cell(&t, 0, 1), "姓名");
    ASSERT_EQ(t.row_n[0], 2); /* the stray value after row 1 was not added to it */
    ASSERT_STR_EQ(people_table_cell(&t, 1, 1), "张伟");
    people_table_free(&t);
    free(d);
    unlink(path);
}

TEST(xlsx_read_and_bomb) {
    char path[] = "/tmp/jiceng-test-people-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    close(fd);
    ASSERT_OK(write_xlsx(path, 3));
    size_t n;
    char *d = slurp(path, &n);
    people_table t;
    char why[256];
    ASSERT_OK(read_str(d, n, &t, why, sizeof why));
    ASSERT_STR_EQ(t.format, "xlsx");
    ASSERT_EQ(t.nrows, 5);
    ASSERT_STR_EQ(people_table_cell(&t, 1, 3), "身份证件号");
    ASSERT_STR_EQ(people_table_cell(&t, 1, 2), "");
    ASSERT_STR_EQ(people_table_cell(&t, 2, 0), "1");
    ASSERT_STR_EQ(people_table_cell(&t, 2, 1), "張偉");
    people_mapping m;
    ASSERT_OK(people_mapping_propose(&t, NULL, NULL, &m, why, sizeof why));
    ASSERT_EQ(m.header_row, 1);
    ASSERT_EQ(m.field[1], PF_NAME);
    ASSERT_EQ(m.field[3], PF_ID_NUMBER);
    people_table_free(&t);
    free(d);
    /* a sheet that unpacks past the cap (lowered here to 64 KiB): a bomb */
    ASSERT_OK(write_xlsx(path, 4000));
    d = slurp(path, &n);
    size_t cap = people__unzip_cap;
    people__unzip_cap = 64 << 10;
    why[0] = 0;
    jc_err e = people_table_read(d, n, &t, why, sizeof why);
    people__unzip_cap = cap;
    ASSERT_EQ(e, JC_ERR_TOOBIG);
    ASSERT(strstr(why, "bomb") != NULL);
    people_table_free(&t);
    /* a truncated zip */
    why[0] = 0;
    ASSERT_EQ(people_table_read(d, n / 2, &t, why, sizeof why), JC_ERR_INVALID);
    ASSERT(why[0] != 0);
    people_table_free(&t);
    free(d);
    unlink(path);
}

/* ---- linking ------------------------------------------------------------------------ */

static void lrec(people_lrec *l, const char *name, const char *id, const char *birth, char sex, const char *phone,
                 const char *addr) {
    memset(l, 0, sizeof *l);
    char n[64];
    people_norm_name(name, n, sizeof n);
    people_id d;
    people_norm_id(id, &d);
    int b = 0;
    if (birth) ASSERT_OK_VOID(people_norm_date(birth, &b));
    people_phones ph;
    people_norm_phones(phone, &ph);
    people_addr a;
    people_norm_addr(addr, &a);
    people__lrec_fill(l, n, sex, b, &d, &ph, &a, a.community, "");
    l->fresh = 1;
}

TEST(compare_levels) {
    people_lrec a, b;
    uint8_t lv[LF_COUNT];
    lrec(&a, "王卫东", "11010119740915163X", "1974-09-15", 'M', "13395476245", "灯市口大街47号院3号楼2单元202");
    lrec(&b, "汪卫东", "11010119740915163x", "1974.9.15", 'M', "13395476245", "东城区灯市口社区47号院3楼2门202");
    people__compare(&a, &b, lv);
    ASSERT_EQ(lv[LF_ID], 3);
    ASSERT_EQ(lv[LF_NAME], 3); /* a homophone */
    ASSERT_EQ(lv[LF_BIRTH], 3);
    ASSERT_EQ(lv[LF_PHONE], 2);
    ASSERT_EQ(lv[LF_ADDR], 4);
    lrec(&b, "王卫东", "110101197409151000", NULL, 0, "", "");
    people__compare(&a, &b, lv); /* Excel's 000 and a swapped date that is no date */
    ASSERT_EQ(lv[LF_ID], 3);
    lrec(&b, "王卫东", "11010119740915136X", NULL, 0, "", ""); /* two digits swapped */
    people__compare(&a, &b, lv);
    ASSERT_EQ(lv[LF_ID], 2);
    /* a household member's number in the wrong row: not evidence */
    lrec(&b, "郭龙", "11010119740915163X", "1991-01-29", 'M', "", "");
    people__compare(&a, &b, lv);
    ASSERT_EQ(lv[LF_ID], 0);
    ASSERT_EQ(lv[LF_BIRTH], 1);
}

TEST(link_clusters_and_conflicts) {
    people_lrec r[6];
    lrec(&r[0], "杨遥", "110103195204100162", "19520410", 'F', "13105792971", "精忠胡同39号");
    lrec(&r[1], "杨瑶", "110103195204100162", "1952/4/10", 'F', "13105792971", "东城区精忠社区精忠胡同39号");
    lrec(&r[2], "杨瑶", "", "1952.04.10", 'F', "13105792971", "精忠胡同39号");
    /* twins: same house, same birth date, their own valid numbers */
    char t1[19] = "11010120010101123", t2[19] = "11010120010101125";
    t1[17] = people_id_check(t1), t2[17] = people_id_check(t2);
    lrec(&r[3], "李明", t1, "2001-01-01", 'M', "13100000001", "和平里5-1-1-101");
    lrec(&r[4], "李明", t2, "2001-01-01", 'M', "13100000001", "和平里5-1-1-101");
    ASSERT_EQ(r[3].id_kind, PEOPLE_ID_VALID);
    ASSERT_EQ(r[4].id_kind, PEOPLE_ID_VALID);
    lrec(&r[5], "张三", "110101198001011234", "1980-01-01", 'M', "", "");
    people_link_run run;
    memset(&run, 0, sizeof run);
    run.r = r;
    run.n = 6;
    ASSERT_OK(people__link(&run));
    ASSERT_EQ(run.cluster[0], run.cluster[1]);
    ASSERT_EQ(run.cluster[0], run.cluster[2]);
    ASSERT(run.cluster[3] != run.cluster[4]); /* different valid numbers: two people */
    ASSERT(run.cluster[5] != run.cluster[0]);
    ASSERT_EQ(run.nclusters, 4);
    people__link_free(&run);
    /* a reviewer's "not the same person" holds */
    people_decision d = {0, 2, 0};
    memset(&run, 0, sizeof run);
    run.r = r;
    run.n = 6;
    run.dec = &d;
    run.ndec = 1;
    ASSERT_OK(people__link(&run));
    ASSERT(run.cluster[0] != run.cluster[2]);
    people__link_free(&run);
}

TEST(link_incremental_finds_what_full_finds) {
    /* 400 persons, each in an old record and a fresh one: an incremental run
     * (only pairs with a fresh record) links every fresh record to its twin */
    enum { N = 400 };
    people_lrec *r = calloc(2 * N, sizeof *r);
    ASSERT(r != NULL);
    for (int i = 0; i < N; i++) {
        char id[19], name[16], phone[16], addr[64], birth[16];
        snprintf(id, sizeof id, "11010119%02d%02d%02d%03d", 50 + i % 40, 1 + i % 12, 1 + i % 28, i % 1000);
        id[17] = people_id_check(id), id[18] = 0;
        static const char *const sur[] = {"王", "李", "张", "刘", "陈", "杨"};
        static const char *const giv[] = {"伟", "芳", "娜", "敏", "静", "丽", "强", "磊"};
        snprintf(name, sizeof name, "%s%s%s", sur[i % 6], giv[i / 6 % 8], giv[i / 48 % 8]);
        snprintf(phone, sizeof phone, "131%08d", i);
        snprintf(addr, sizeof addr, "和平里%d-%d-%d-%d", i % 50, i % 7, 1 + i % 3, 100 + i);
        snprintf(birth, sizeof birth, "19%02d-%02d-%02d", 50 + i % 40, 1 + i % 12, 1 + i % 28);
        lrec(&r[2 * i], name, id, birth, 0, phone, addr);
        lrec(&r[2 * i + 1], name, id, birth, 0, phone, addr);
        r[2 * i].fresh = 0;
    }
    people_link_run run;
    memset(&run, 0, sizeof run);
    run.r = r;
    run.n = 2 * N;
    run.incremental = 1;
    ASSERT_OK(people__link(&run));
    int missed = 0;
    for (int i = 0; i < N; i++) missed += run.cluster[2 * i] != run.cluster[2 * i + 1];
    ASSERT_EQ(missed, 0);
    ASSERT_EQ(run.nclusters, N);
    people__link_free(&run);
    free(r);
}

/* ---- the store: a job that touches more than 8 MiB of existing pages ---------------------- */

/* Writes 20,000 values of 700 bytes, each the letter *arg + i % 26. */
static jc_err big_write(jc_conn *w, void *arg) {
    char first = *(const char *)arg;
    for (int i = 0; i < 20000; i++) {
        char k[32], v[700];
        snprintf(k, sizeof k, "k%05d", i);
        memset(v, first + i % 26, sizeof v - 1);
        v[sizeof v - 1] = 0;
        jc_err e = pstore_meta_put(w, k, v);
        if (e) return e;
    }
    return JC_OK;
}

TEST(big_job) {
    char dir[] = "/tmp/jiceng-test-people-XXXXXX";
    ASSERT(mkdtemp(dir) != NULL);
    char path[128];
    snprintf(path, sizeof path, "%s/t.db", dir);
    jc_store *st = NULL;
    int v;
    ASSERT_OK(store_open(path, &st));
    ASSERT_OK(store_migrate(st, &v));
    ASSERT_OK(store_exec(st, big_write, "a"));
    /* rewrites ~14 MiB of pages that existed before the job's savepoint */
    ASSERT_OK(store_exec(st, big_write, "A"));
    store_close(st);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ASSERT_OK(system(cmd));
}

T_MAIN(T(csv_utf8_bom_crlf_title_line), T(csv_gb18030_and_utf16), T(csv_wrong_encoding_names_the_line),
       T(mapping_from_unseen_headers), T(mapping_by_values_and_by_hand), T(mapping_name_by_values), T(xlsx_merged_cells), T(xlsx_value_outside_a_row), T(xlsx_read_and_bomb), T(compare_levels),
       T(link_clusters_and_conflicts), T(link_incremental_finds_what_full_finds), T(big_job), T(id_valid_and_lower_x), T(id_check_digit_wrong_is_damaged), T(id_full_width_spaces_apostrophe_tab),
       T(id_15_digits_to_18), T(id_excel_damage), T(id_missing_and_other), T(dates_every_office_format), T(phones),
       T(sex_codes), T(names_spaces_dots_traditional), T(names_pinyin_homophones), T(addresses_styles),
       T(addresses_against_the_area_tree))
