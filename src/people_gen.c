/*
 * people_gen.c -- `jiceng people generate`: fictional departmental person
 * tables with the damage real exports carry, and the truth (which records
 * are one person), for tests, the benchmark and the demo.  Nothing here is
 * shipped data: every person is drawn from a seeded generator; ID numbers
 * use area codes 9999xx (no region has them) with a valid check character;
 * phones start with 100 (no mobile number does).
 *
 * Layouts: "dev" -- six tables shaped like 公安户籍, 民政, 卫健, 人社,
 * 社区网格, 残联; "other" -- tables of other departments (教育, 老龄, 医保,
 * 退役军人, 妇幼, 住建) with their own headers, title lines above the
 * header, columns in another order, a GB18030 CSV and an XLSX; "demo" --
 * the "other" tables for the demo street's communities (community names
 * from the area tree of --db).  Damage, per record: the 15-digit ID, a
 * typing error in it, two digits swapped, Excel's 000 and 1.10101E+17, a
 * missing number, a household member's number in the wrong row; homophone
 * and traditional characters and spaces in names; other date formats; a
 * changed or extra phone; addresses in another style; a person twice in one
 * table.
 */
#include "people.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xlsxwriter.h>

typedef struct { uint64_t s; } grng;
static uint64_t gnext(grng *r) {
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static int gint(grng *r, int n) { return n <= 0 ? 0 : (int)(gnext(r) % (uint64_t)n); }
static double gunit(grng *r) { return (double)(gnext(r) >> 11) / 9007199254740992.0; }
#define PICK(r, a) ((a)[gint((r), (int)JC_ARRAY_LEN(a))])

static const char *const surnames[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡",
                                       "朱", "高", "林", "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐",
                                       "冯", "于", "董", "萧", "程", "曹", "袁", "邓", "许", "傅", "沈", "曾", "彭",
                                       "吕", "苏", "卢", "蒋", "蔡", "贾", "丁", "魏", "薛", "叶", "阎", "欧阳", "司马"};
static const char *const given[] = {"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰",
                                    "娟", "涛", "明", "超", "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "兰",
                                    "志", "红", "建", "国", "文", "海", "春", "晓", "宇", "浩", "然", "欣", "怡",
                                    "梓", "涵", "子", "轩", "雨", "思", "佳", "嘉", "晨", "俊", "瑶", "琳", "婷",
                                    "鹏", "飞", "凯", "龙", "云", "峰", "东", "德", "福", "荣", "慧", "颖", "萱"};
/* pairs of characters read alike (a clerk typing by pinyin picks the other) */
static const char *const homophones[][2] = {
    {"伟", "玮"}, {"芳", "方"}, {"娜", "纳"}, {"静", "婧"}, {"丽", "莉"}, {"磊", "垒"}, {"军", "君"}, {"艳", "燕"},
    {"杰", "洁"}, {"娟", "鹃"}, {"明", "铭"}, {"秀", "琇"}, {"华", "桦"}, {"玉", "钰"}, {"兰", "岚"}, {"志", "智"},
    {"红", "虹"}, {"建", "健"}, {"文", "雯"}, {"海", "楷"}, {"春", "椿"}, {"晓", "筱"}, {"宇", "雨"}, {"浩", "昊"},
    {"欣", "馨"}, {"怡", "仪"}, {"涵", "晗"}, {"轩", "萱"}, {"思", "斯"}, {"佳", "嘉"}, {"晨", "辰"}, {"俊", "骏"},
    {"瑶", "遥"}, {"琳", "林"}, {"婷", "亭"}, {"鹏", "朋"}, {"飞", "菲"}, {"凯", "恺"}, {"云", "芸"}, {"峰", "锋"},
    {"东", "冬"}, {"德", "得"}, {"荣", "蓉"}, {"慧", "惠"}, {"颖", "莹"}, {"王", "汪"}, {"张", "章"}, {"刘", "柳"},
    {"陈", "程"}, {"杨", "阳"}, {"黄", "皇"}, {"周", "舟"}, {"吴", "武"}, {"徐", "许"}};
static const char *const traditional[][2] = {{"张", "張"}, {"刘", "劉"}, {"陈", "陳"}, {"杨", "楊"}, {"赵", "趙"},
                                             {"黄", "黃"}, {"吴", "吳"}, {"孙", "孫"}, {"华", "華"}, {"国", "國"},
                                             {"伟", "偉"}, {"丽", "麗"}, {"军", "軍"}, {"艳", "豔"}, {"涛", "濤"},
                                             {"红", "紅"}, {"建", "建"}, {"龙", "龍"}, {"云", "雲"}, {"凯", "凱"}};
static const char *const roads[] = {"和平里", "光明路", "幸福街", "安康胡同", "兴华里", "长乐巷", "永安里", "新华街",
                                    "前进路", "东风里", "清风胡同", "朝阳巷", "育才路", "文化街", "振兴里", "团结胡同"};
static const char *const fict_comms[] = {"和平里", "光明", "幸福", "安康", "兴华", "长乐", "永安", "新华"};

typedef struct {
    char name[32];
    char sex;
    int birth;
    char id[19];
    char phone[12], phone2[12];
    int comm, road, no, bld, unit, room; /* address */
    int household;
    int relation; /* 0 head, 1 spouse, 2 child, 3 parent */
    int disabled, alone, student;
    int dup_id_of; /* -1, or a household member whose ID is copied into some rows */
} gperson;

static void make_id(int area, int birth, int seq, int male, char out[19]) {
    int s = (seq % 500) * 2 + (male ? 1 : 0);
    snprintf(out, 19, "9999%02d%08d%03d", area % 100, birth, s);
    out[17] = people_id_check(out);
    out[18] = 0;
}

static int rand_birth(grng *r, int year) {
    static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int m = gint(r, 12);
    return year * 10000 + (m + 1) * 100 + 1 + gint(r, md[m]);
}

/* ---- a table being written (CSV or XLSX) --------------------------------------------- */

typedef struct {
    const char *key;        /* file suffix: source_<key> */
    const char *title;      /* a title line above the header, or NULL */
    const char *const *cols;
    int ncols;
    int format;             /* 0 CSV UTF-8 BOM, 1 CSV GB18030, 2 XLSX */
    int (*wants)(const gperson *p, grng *r);
    void (*row)(const gperson *p, const gperson *all, int idx, grng *r, int seq, const char **cells, char buf[][256]);
} gtable;

static void csv_put(FILE *f, const char *s) {
    if (strpbrk(s, ",\"\r\n")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"') fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else fputs(s, f);
}

/* ---- damage ---------------------------------------------------------------------------- */

static void replace_once(char *s, size_t sz, const char *from, const char *to) {
    char *p = strstr(s, from);
    if (!p) return;
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
    snprintf(s, sz, "%s", tmp);
}

static void damage_name(grng *r, const char *in, char *out, size_t sz) {
    snprintf(out, sz, "%s", in);
    double u = gunit(r);
    if (u < 0.03) { /* a homophone */
        for (int t = 0; t < 8; t++) {
            int k = gint(r, (int)JC_ARRAY_LEN(homophones));
            if (strstr(out, homophones[k][0])) { replace_once(out, sz, homophones[k][0], homophones[k][1]); break; }
        }
    } else if (u < 0.045) {
        for (size_t k = 0; k < JC_ARRAY_LEN(traditional); k++)
            if (strstr(out, traditional[k][0])) { replace_once(out, sz, traditional[k][0], traditional[k][1]); break; }
    } else if (u < 0.07 && strlen(out) == 6) { /* 黄　龙 */
        char t[64];
        snprintf(t, sizeof t, "%.3s　%s", out, out + 3);
        snprintf(out, sz, "%s", t);
    } else if (u < 0.08) {
        char t[64];
        snprintf(t, sizeof t, " %s ", out);
        snprintf(out, sz, "%s", t);
    }
}

/* The ID as a clerk's table holds it. */
static void damage_id(grng *r, const gperson *p, const gperson *all, char *out, size_t sz) {
    const char *id = p->dup_id_of >= 0 && gunit(r) < 0.5 ? all[p->dup_id_of].id : p->id;
    double u = gunit(r);
    char t[40];
    snprintf(t, sizeof t, "%s", id);
    if (u < 0.03 && t[6] == '1' && t[7] == '9') { /* the old 15-digit form */
        snprintf(out, sz, "%.6s%.9s", t, t + 8);
        return;
    }
    if (u < 0.05) { /* a typing error */
        int i = 6 + gint(r, 11);
        t[i] = (char)('0' + (t[i] - '0' + 1 + gint(r, 8)) % 10);
    } else if (u < 0.06) { /* two neighbours swapped */
        int i = 8 + gint(r, 8);
        char c = t[i];
        t[i] = t[i + 1], t[i + 1] = c;
    } else if (u < 0.075) { /* Excel kept 15 digits */
        memcpy(t + 15, "000", 3);
    } else if (u < 0.082) {
        snprintf(out, sz, "%c.%.5sE+17", t[0], t + 1);
        return;
    } else if (u < 0.11) {
        snprintf(out, sz, "%s", gint(r, 2) ? "" : (gint(r, 2) ? "/" : "无"));
        return;
    } else if (u < 0.13) {
        for (char *c = t; *c; c++) *c = *c == 'X' ? 'x' : *c;
        snprintf(out, sz, " %s", t);
        return;
    } else if (u < 0.14) {
        snprintf(out, sz, "'%s", t);
        return;
    }
    snprintf(out, sz, "%s", t);
}

static void fmt_date(int ymd, int style, char *out, size_t sz) {
    int y = ymd / 10000, m = ymd / 100 % 100, d = ymd % 100;
    switch (style) {
    case 0: snprintf(out, sz, "%08d", ymd); break;
    case 1: snprintf(out, sz, "%04d-%02d-%02d", y, m, d); break;
    case 2: snprintf(out, sz, "%d/%d/%d", y, m, d); break;
    case 3: snprintf(out, sz, "%d年%d月%d日", y, m, d); break;
    case 4: snprintf(out, sz, "%04d.%02d.%02d", y, m, d); break;
    default: snprintf(out, sz, "%d年%d月", y, m); break;
    }
}

static void damage_date(grng *r, int ymd, int style, char *out, size_t sz) {
    double u = gunit(r);
    if (u < 0.02) { /* day and month swapped, when both can be months */
        int m = ymd / 100 % 100, d = ymd % 100;
        if (d <= 12) ymd = ymd / 10000 * 10000 + d * 100 + m;
    } else if (u < 0.03) ymd = ymd / 100 * 100 + (ymd % 100 % 28) + 1;
    else if (u < 0.05) style = gint(r, 5);
    fmt_date(ymd, style, out, sz);
}

static void damage_phone(grng *r, const gperson *p, char *out, size_t sz) {
    double u = gunit(r);
    if (u < 0.15 && p->phone2[0]) snprintf(out, sz, "%s", p->phone2); /* the number they had then */
    else if (u < 0.20) snprintf(out, sz, "+86 %.3s %.4s %s", p->phone, p->phone + 3, p->phone + 7);
    else if (u < 0.24 && p->phone2[0]) snprintf(out, sz, "%s，%s", p->phone, p->phone2);
    else if (u < 0.27) out[0] = 0;
    else snprintf(out, sz, "%s", p->phone);
}

/* The communities addresses name: the area tree's (the demo street's) when
 * given, else fictional ones. */
static const char *const *gen_names;
static int gen_ncomm = 8;
static const char *comm_name(int c, const char **names) {
    (void)names;
    return gen_names ? gen_names[c % gen_ncomm] : fict_comms[c % 8];
}

/* Addresses in one of the styles offices write them. */
static void fmt_addr(const gperson *p, int style, const char **cn, char *out, size_t sz) {
    const char *road = roads[p->road % JC_ARRAY_LEN(roads)], *comm = comm_name(p->comm, cn);
    switch (style) {
    case 0: snprintf(out, sz, "东城区%s社区%s%d号院%d号楼%d单元%d", comm, road, p->no, p->bld, p->unit, p->room); break;
    case 1: snprintf(out, sz, "%s%d-%d-%d-%d", road, p->no, p->bld, p->unit, p->room); break;
    case 2: snprintf(out, sz, "东城区%s社区%d号院%d楼%d门%d", comm, p->no, p->bld, p->unit, p->room); break;
    default: snprintf(out, sz, "北京市东城区%s社区居委会 %s%d号院%d号楼%d单元%d室", comm, road, p->no, p->bld, p->unit,
                      p->room); break;
    }
}

/* ---- the tables of the "other" layout ------------------------------------------------------ */

static const char *const edu_cols[] = {"学籍号", "学生姓名", "性别", "身份证件号", "出生年月", "就读学校", "年级",
                                       "家长姓名", "家长联系电话", "家庭住址"};
static int edu_wants(const gperson *p, grng *r) { return p->student && gunit(r) < 0.9; }
static void edu_row(const gperson *p, const gperson *all, int idx, grng *r, int seq, const char **c, char b[][256]) {
    (void)idx;
    snprintf(b[0], 256, "G%011d", 20000000 + seq);
    damage_name(r, p->name, b[1], 256);
    snprintf(b[2], 256, "%s", p->sex == 'M' ? "男" : "女");
    damage_id(r, p, all, b[3], 256);
    damage_date(r, p->birth, 5, b[4], 256);
    snprintf(b[5], 256, "%s", p->birth / 10000 > 2012 ? "东城区第一实验小学" : "东城区第二中学");
    snprintf(b[6], 256, "%d年级", 1 + (2026 - p->birth / 10000 - 6) % 9);
    /* a parent: the head of the household */
    const gperson *par = p;
    for (int k = 1; k < 6 && idx - k >= 0; k++)
        if (all[idx - k].household == p->household && all[idx - k].relation <= 1) { par = &all[idx - k]; break; }
    snprintf(b[7], 256, "%s", par->name);
    snprintf(b[8], 256, "%s", par->phone);
    fmt_addr(p, gint(r, 4), NULL, b[9], 256);
    for (int i = 0; i < 10; i++) c[i] = b[i];
}

static const char *const old_cols[] = {"编号", "老人姓名", "公民身份证号", "性别", "年龄", "居住情况", "联系手机",
                                       "紧急联系人", "紧急联系人电话", "现居住地址", "服务类型"};
static int old_wants(const gperson *p, grng *r) { return p->birth / 10000 <= 1966 && gunit(r) < 0.85; }
static void old_row(const gperson *p, const gperson *all, int idx, grng *r, int seq, const char **c, char b[][256]) {
    (void)idx;
    snprintf(b[0], 256, "LL%06d", seq);
    damage_name(r, p->name, b[1], 256);
    damage_id(r, p, all, b[2], 256);
    snprintf(b[3], 256, "%s", p->sex == 'M' ? "男" : "女");
    snprintf(b[4], 256, "%d", 2026 - p->birth / 10000);
    snprintf(b[5], 256, "%s", p->alone ? "独居" : "与子女同住");
    damage_phone(r, p, b[6], 256);
    snprintf(b[7], 256, "%s%s", surnames[gint(r, 20)], given[gint(r, 30)]);
    snprintf(b[8], 256, "100%08d", gint(r, 99999999));
    fmt_addr(p, gint(r, 4), NULL, b[9], 256);
    snprintf(b[10], 256, "%s", gint(r, 2) ? "助餐" : "巡访关爱");
    for (int i = 0; i < 11; i++) c[i] = b[i];
}

static const char *const med_cols[] = {"个人编号", "参保人姓名", "社会保障号码", "性别", "出生日期", "参保类型",
                                       "手机号", "户籍所在地", "参保状态"};
static int med_wants(const gperson *p, grng *r) { (void)p; return gunit(r) < 0.55; }
static void med_row(const gperson *p, const gperson *all, int idx, grng *r, int seq, const char **c, char b[][256]) {
    (void)idx;
    snprintf(b[0], 256, "%d", 3100000 + seq * 7);
    damage_name(r, p->name, b[1], 256);
    damage_id(r, p, all, b[2], 256);
    snprintf(b[3], 256, "%s", p->sex == 'M' ? "1" : "2");
    damage_date(r, p->birth, 1, b[4], 256);
    snprintf(b[5], 256, "%s", p->birth / 10000 > 2008 ? "城乡居民医保" : "职工医保");
    damage_phone(r, p, b[6], 256);
    fmt_addr(p, 3, NULL, b[7], 256);
    snprintf(b[8], 256, "正常");
    for (int i = 0; i < 9; i++) c[i] = b[i];
}

/* 退役军人: columns in an order of its own, a title line above the header */
static const char *const vet_cols[] = {"序号", "身份证号码", "姓名", "联系方式", "出生年月", "性别", "入伍时间",
                                       "家庭地址", "备注"};
static int vet_wants(const gperson *p, grng *r) { return p->sex == 'M' && p->birth / 10000 < 1990 && gunit(r) < 0.15; }
static void vet_row(const gperson *p, const gperson *all, int idx, grng *r, int seq, const char **c, char b[][256]) {
    (void)idx;
    snprintf(b[0], 256, "%d", seq);
    damage_id(r, p, all, b[1], 256);
    damage_name(r, p->name, b[2], 256);
    damage_phone(r, p, b[3], 256);
    damage_date(r, p->birth, 4, b[4], 256);
    snprintf(b[5], 256, "%s", "男");
    snprintf(b[6], 256, "%d年", p->birth / 10000 + 18);
    fmt_addr(p, 1, NULL, b[7], 256);
    b[8][0] = 0;
    for (int i = 0; i < 9; i++) c[i] = b[i];
}

static const char *const mch_cols[] = {"档案号", "儿童姓名", "身份证号码", "性别", "出生日期", "母亲姓名", "母亲电话",
                                       "住址"};
static int mch_wants(const gperson *p, grng *r) { return p->birth / 10000 >= 2019 && gunit(r) < 0.9; }
static void mch_row(const gperson *p, const gperson *all, int idx, grng *r, int seq, const char **c, char b[][256]) {
    snprintf(b[0], 256, "FY%07d", seq);
    damage_name(r, p->name, b[1], 256);
    damage_id(r, p, all, b[2], 256);
    snprintf(b[3], 256, "%s", p->sex == 'M' ? "男" : "女");
    damage_date(r, p->birth, 0, b[4], 256);
    const gperson *mo = p;
    for (int k = 1; k < 6 && idx - k >= 0; k++)
        if (all[idx - k].household == p->household && all[idx - k].relation <= 1 && all[idx - k].sex == 'F') {
            mo = &all[idx - k];
            break;
        }
    snprintf(b[5], 256, "%s", mo->name);
    snprintf(b[6], 256, "%s", mo->phone);
    fmt_addr(p, 2, NULL, b[7], 256);
    for (int i = 0; i < 8; i++) c[i] = b[i];
}

/* 住建: the household's flat; the building, unit and room in columns of their own */
static const char *const hou_cols[] = {"登记编号", "姓名", "证件类型", "证件号", "手机", "小区", "楼栋", "单元", "房号",
                                       "与户主关系"};
static int hou_wants(const gperson *p, grng *r) { return p->birth / 10000 < 2006 && gunit(r) < 0.5; }
static void hou_row(const gperson *p, const gperson *all, int idx, grng *r, int seq, const char **c, char b[][256]) {
    (void)idx;
    static const char *const rel[] = {"户主", "配偶", "子女", "父母"};
    snprintf(b[0], 256, "ZJ-%05d", seq);
    damage_name(r, p->name, b[1], 256);
    snprintf(b[2], 256, "居民身份证");
    damage_id(r, p, all, b[3], 256);
    damage_phone(r, p, b[4], 256);
    snprintf(b[5], 256, "%s", roads[p->road % JC_ARRAY_LEN(roads)]);
    snprintf(b[6], 256, "%d号院%d号楼", p->no, p->bld);
    snprintf(b[7], 256, "%d", p->unit);
    snprintf(b[8], 256, "%d", p->room);
    snprintf(b[9], 256, "%s", rel[p->relation]);
    for (int i = 0; i < 10; i++) c[i] = b[i];
}

/* ---- the tables of the "dev" layout (the six of ../shared/data/er-dev) --------------------- */

static const char *const ga_cols[] = {"人员编号", "户号", "与户主关系", "姓名", "性别", "民族", "出生日期",
                                      "公民身份号码", "户籍地址"};
static int ga_wants(const gperson *p, grng *r) { (void)p; return gunit(r) < 0.35; }
static void ga_row(const gperson *p, const gperson *all, int idx, grng *r, int seq, const char **c, char b[][256]) {
    (void)idx;
    static const char *const rel[] = {"户主", "配偶", "子", "父亲"};
    snprintf(b[0], 256, "%d", 110139000 + seq);
    snprintf(b[1], 256, "%d", 102000000 + p->household);
    snprintf(b[2], 256, "%s", rel[p->relation]);
    damage_name(r, p->name, b[3], 256);
    snprintf(b[4], 256, "%s", p->sex == 'M' ? "男" : "女");
    snprintf(b[5], 256, "汉族");
    damage_date(r, p->birth, 0, b[6], 256);
    damage_id(r, p, all, b[7], 256);
    fmt_addr(p, 3, NULL, b[8], 256);
    for (int i = 0; i < 9; i++) c[i] = b[i];
}

static const char *const mz_cols[] = {"序号", "姓名", "身份证号", "性别", "出生年月", "联系电话", "家庭住址",
                                      "业务类型"};
static int mz_wants(const gperson *p, grng *r) { return gunit(r) < (p->birth / 10000 < 1960 || p->disabled ? 0.6 : 0.4); }
static void mz_row(const gperson *p, const gperson *all, int idx, grng *r, int seq, const char **c, char b[][256]) {
    (void)idx;
    snprintf(b[0], 256, "%d", seq);
    damage_name(r, p->name, b[1], 256);
    damage_id(r, p, all, b[2], 256);
    snprintf(b[3], 256, "%s", p->sex == 'M' ? "男" : "女");
    damage_date(r, p->birth, 3, b[4], 256);
    damage_phone(r, p, b[5], 256);
    fmt_addr(p, 2, NULL, b[6], 256);
    snprintf(b[7], 256, "%s", p->alone ? "独居老人关爱" : "最低生活保障");
    for (int i = 0; i < 8; i++) c[i] = b[i];
}

static const char *const wj_cols[] = {"档案编号", "姓名", "性别", "出生日期", "证件类型", "证件号码", "本人电话",
                                      "联系人姓名", "联系人电话", "现住址", "人群分类"};
static int wj_wants(const gperson *p, grng *r) { (void)p; return gunit(r) < 0.45; }
static void wj_row(const gperson *p, const gperson *all, int idx, grng *r, int seq, const char **c, char b[][256]) {
    (void)idx;
    snprintf(b[0], 256, "110101%011d", seq);
    damage_name(r, p->name, b[1], 256);
    snprintf(b[2], 256, "%s", p->sex == 'M' ? "1" : "2");
    damage_date(r, p->birth, 1, b[3], 256);
    damage_id(r, p, all, b[5], 256);
    snprintf(b[4], 256, "%s", b[5][0] ? "居民身份证" : "其他");
    damage_phone(r, p, b[6], 256);
    snprintf(b[7], 256, "%s%s", surnames[gint(r, 20)], given[gint(r, 30)]);
    snprintf(b[8], 256, "%s", gint(r, 3) ? p->phone : "10012345678");
    fmt_addr(p, 3, NULL, b[9], 256);
    snprintf(b[10], 256, "%s", p->disabled ? "残疾人" : p->birth / 10000 <= 1961 ? "65岁及以上老年人" : "一般人群");
    for (int i = 0; i < 11; i++) c[i] = b[i];
}

static const char *const rs_cols[] = {"个人编号", "姓名", "公民身份号码", "性别", "出生日期", "参保险种", "手机号码",
                                      "通讯地址"};
static int rs_wants(const gperson *p, grng *r) { return p->birth / 10000 < 2006 && gunit(r) < 0.6; }
static void rs_row(const gperson *p, const gperson *all, int idx, grng *r, int seq, const char **c, char b[][256]) {
    (void)idx;
    snprintf(b[0], 256, "%d", 1290200000 + seq * 7);
    damage_name(r, p->name, b[1], 256);
    damage_id(r, p, all, b[2], 256);
    snprintf(b[3], 256, "%s", p->sex == 'M' ? "男" : "女");
    damage_date(r, p->birth, 2, b[4], 256);
    snprintf(b[5], 256, "城镇职工基本养老保险");
    damage_phone(r, p, b[6], 256);
    fmt_addr(p, 1, NULL, b[7], 256);
    for (int i = 0; i < 8; i++) c[i] = b[i];
}

static const char *const wg_cols[] = {"编号", "社区", "名字", "性别", "证件号码", "出生日期", "联系方式", "楼栋",
                                      "单元", "门牌号", "与户主关系", "备注"};
static int wg_wants(const gperson *p, grng *r) { (void)p; return gunit(r) < 0.65; }
static void wg_row(const gperson *p, const gperson *all, int idx, grng *r, int seq, const char **c, char b[][256]) {
    (void)idx;
    static const char *const rel[] = {"户主", "配偶", "子", "父亲"};
    snprintf(b[0], 256, "WG%07d", seq);
    snprintf(b[1], 256, "%s社区", comm_name(p->comm, NULL));
    damage_name(r, p->name, b[2], 256);
    snprintf(b[3], 256, "%s", p->sex == 'M' ? "男" : "女");
    damage_id(r, p, all, b[4], 256);
    damage_date(r, p->birth, 4, b[5], 256);
    damage_phone(r, p, b[6], 256);
    snprintf(b[7], 256, "%s%d号院%d号楼", roads[p->road % JC_ARRAY_LEN(roads)], p->no, p->bld);
    snprintf(b[8], 256, "%d", p->unit);
    snprintf(b[9], 256, "%d", p->room);
    snprintf(b[10], 256, "%s", rel[p->relation]);
    snprintf(b[11], 256, "%s", p->alone ? "独居老人" : "");
    for (int i = 0; i < 12; i++) c[i] = b[i];
}

static const char *const cl_cols[] = {"序号", "姓名", "性别", "身份证号", "残疾人证号", "残疾类别", "联系电话",
                                      "监护人姓名", "监护人电话", "居住地址"};
static int cl_wants(const gperson *p, grng *r) { return p->disabled && gunit(r) < 0.9; }
static void cl_row(const gperson *p, const gperson *all, int idx, grng *r, int seq, const char **c, char b[][256]) {
    (void)idx;
    static const char *const kind[] = {"肢体残疾", "视力残疾", "听力残疾", "精神残疾", "智力残疾"};
    snprintf(b[0], 256, "%d", seq);
    damage_name(r, p->name, b[1], 256);
    snprintf(b[2], 256, "%s", p->sex == 'M' ? "男" : "女");
    damage_id(r, p, all, b[3], 256);
    snprintf(b[4], 256, "%s%02d", p->id, 10 + gint(r, 80));
    snprintf(b[5], 256, "%s", kind[gint(r, 5)]);
    damage_phone(r, p, b[6], 256);
    b[7][0] = b[8][0] = 0;
    fmt_addr(p, 1, NULL, b[9], 256);
    for (int i = 0; i < 10; i++) c[i] = b[i];
}

#define T(key, title, cols, fmt, w, r) {key, title, cols, (int)JC_ARRAY_LEN(cols), fmt, w, r}
static const gtable dev_tables[] = {
    T("gongan", NULL, ga_cols, 0, ga_wants, ga_row),     T("minzheng", NULL, mz_cols, 0, mz_wants, mz_row),
    T("weijian", NULL, wj_cols, 0, wj_wants, wj_row),    T("renshe", NULL, rs_cols, 0, rs_wants, rs_row),
    T("wangge", NULL, wg_cols, 0, wg_wants, wg_row),     T("canlian", NULL, cl_cols, 0, cl_wants, cl_row),
};
static const gtable other_tables[] = {
    T("jiaoyu", "东城区在校学生花名册（2026年秋季学期）", edu_cols, 0, edu_wants, edu_row),
    T("laoling", NULL, old_cols, 2, old_wants, old_row),
    T("yibao", NULL, med_cols, 1, med_wants, med_row),
    T("tuiyi", "退役军人信息采集表", vet_cols, 0, vet_wants, vet_row),
    T("fuyou", NULL, mch_cols, 2, mch_wants, mch_row),
    T("zhujian", "房屋及住户登记台账", hou_cols, 0, hou_wants, hou_row),
};

/* ---- writing -------------------------------------------------------------------------------------- */

typedef struct {
    FILE *f;
    lxw_workbook *wb;
    lxw_worksheet *ws;
    int row;
    int gb;
    void *cd; /* iconv_t for GB18030 */
} gout;

#include <iconv.h>

static void out_cell(gout *o, int col, const char *s) {
    if (o->ws) {
        worksheet_write_string(o->ws, (lxw_row_t)o->row, (lxw_col_t)col, s, NULL);
        return;
    }
    if (col) fputc(',', o->f);
    if (o->gb) {
        char in[600], conv[1200];
        snprintf(in, sizeof in, "%s", s);
        char *ip = in, *op = conv;
        size_t il = strlen(in), ol = sizeof conv - 1;
        iconv((iconv_t)o->cd, &ip, &il, &op, &ol);
        *op = 0;
        csv_put(o->f, conv);
    } else csv_put(o->f, s);
}

static void out_end_row(gout *o) {
    if (!o->ws) fputs("\r\n", o->f);
    o->row++;
}

int people_generate(const char *dir, int64_t persons, uint64_t seed, const char *layout, const char *const *communities,
                    int ncommunities) {
    gen_names = ncommunities > 0 ? communities : NULL;
    gen_ncomm = ncommunities > 0 ? ncommunities : 8;
    if (persons < 1 || persons > 2000000) {
        fprintf(stderr, "jiceng people generate: --persons must be 1..2000000\n");
        return -1;
    }
    const gtable *tabs = !strcmp(layout, "dev") ? dev_tables : other_tables;
    int ntabs = 6;
    if (strcmp(layout, "dev") && strcmp(layout, "other") && strcmp(layout, "demo")) {
        fprintf(stderr, "jiceng people generate: --layout is dev, other or demo\n");
        return -1;
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "jiceng people generate: cannot create %s: %s\n", dir, strerror(errno));
        return -1;
    }
    grng r = {seed * 0x9E3779B97F4A7C15ULL + 12345};
    gperson *ps = calloc((size_t)persons, sizeof *ps);
    if (!ps) return -1;
    /* households at addresses */
    int64_t n = 0;
    int hh = 0;
    while (n < persons) {
        int size = 1 + gint(&r, 4), comm = gint(&r, gen_ncomm), road = comm * 2 + gint(&r, 2), no = 1 + gint(&r, 60),
            bld = 1 + gint(&r, 12), unit = 1 + gint(&r, 4), room = (1 + gint(&r, 18)) * 100 + 1 + gint(&r, 4);
        int head_year = 1940 + gint(&r, 60);
        if (size == 1 && gunit(&r) < 0.5) head_year = 1935 + gint(&r, 25); /* elders alone */
        hh++;
        for (int k = 0; k < size && n < persons; k++, n++) {
            gperson *p = &ps[n];
            p->household = hh;
            p->relation = k == 0 ? 0 : k == 1 ? 1 : 2;
            int year = k == 0 ? head_year : k == 1 ? head_year - 3 + gint(&r, 7) : head_year + 22 + gint(&r, 14);
            if (year > 2025) year = 2025;
            p->sex = k == 1 ? (ps[n - 1].sex == 'M' ? 'F' : 'M') : (gint(&r, 2) ? 'M' : 'F');
            p->birth = rand_birth(&r, year);
            char sur0[sizeof p->name]; /* a copy: another element of ps, never p itself (-Wrestrict at -O1) */
            jc_fmt_cut(sur0, sizeof sur0, "%s", k >= 2 ? ps[n - k].name : PICK(&r, surnames));
            snprintf(p->name, sizeof p->name, "%s%s%s", sur0, PICK(&r, given), gint(&r, 3) ? PICK(&r, given) : "");
            if (k >= 2) { /* a child takes the head's surname */
                char sur[16];
                const char *hn = ps[n - k].name;
                int sl = (!strncmp(hn, "欧阳", 6) || !strncmp(hn, "司马", 6)) ? 6 : 3;
                snprintf(sur, sizeof sur, "%.*s", sl, hn);
                snprintf(p->name, sizeof p->name, "%s%s%s", sur, PICK(&r, given), gint(&r, 3) ? PICK(&r, given) : "");
            }
            make_id(1 + (int)(n % 3), p->birth, (int)(n % 500), p->sex == 'M', p->id);
            snprintf(p->phone, sizeof p->phone, "100%08lld", (long long)(n * 7919 % 100000000));
            if (gunit(&r) < 0.3) snprintf(p->phone2, sizeof p->phone2, "100%08lld", (long long)((n * 104729 + 17) % 100000000));
            p->comm = comm, p->road = road, p->no = no, p->bld = bld, p->unit = unit, p->room = room;
            int age = 2026 - year;
            p->alone = size == 1 && age >= 65;
            p->disabled = gunit(&r) < 0.04;
            p->student = age >= 6 && age <= 18;
            p->dup_id_of = -1;
        }
    }
    /* a few rows carry a household member's number */
    for (int64_t i = 1; i < persons; i++)
        if (ps[i].household == ps[i - 1].household && gunit(&r) < 0.01) ps[i].dup_id_of = (int)(i - 1);
    /* the tables, and which records each person has */
    typedef struct { char ids[4][24]; int n; } cell;
    cell *truth = calloc((size_t)persons * (size_t)ntabs, sizeof *truth);
    if (!truth) { free(ps); return -1; }
    int rc = 0;
    for (int t = 0; t < ntabs && !rc; t++) {
        const gtable *g = &tabs[t];
        char path[1024];
        snprintf(path, sizeof path, "%s/source_%s.%s", dir, g->key, g->format == 2 ? "xlsx" : "csv");
        gout o = {0};
        if (g->format == 2) {
            o.wb = workbook_new(path);
            o.ws = o.wb ? workbook_add_worksheet(o.wb, NULL) : NULL;
            if (!o.ws) { rc = -1; break; }
        } else {
            o.f = fopen(path, "wb");
            if (!o.f) { rc = -1; break; }
            if (g->format == 1) {
                o.gb = 1;
                o.cd = iconv_open("GB18030", "UTF-8");
            } else fputs("\xEF\xBB\xBF", o.f);
        }
        if (g->title) {
            out_cell(&o, 0, g->title);
            for (int c = 1; c < g->ncols && !o.ws; c++) out_cell(&o, c, "");
            out_end_row(&o);
        }
        for (int c = 0; c < g->ncols; c++) out_cell(&o, c, g->cols[c]);
        out_end_row(&o);
        int seq = 0;
        grng tr = {seed * 31 + (uint64_t)t * 1000003};
        for (int64_t i = 0; i < persons; i++) {
            if (!g->wants(&ps[i], &tr)) continue;
            int times = gunit(&tr) < 0.02 ? 2 : 1; /* entered twice */
            for (int k = 0; k < times; k++) {
                const char *cells[16];
                char buf[16][256];
                g->row(&ps[i], ps, (int)i, &tr, ++seq, cells, buf);
                for (int c = 0; c < g->ncols; c++) out_cell(&o, c, cells[c]);
                out_end_row(&o);
                cell *ce = &truth[i * ntabs + t];
                if (ce->n < 4) snprintf(ce->ids[ce->n++], sizeof ce->ids[0], "%s", cells[0]);
            }
        }
        if (o.wb && workbook_close(o.wb) != LXW_NO_ERROR) rc = -1;
        if (o.f && fclose(o.f) != 0) rc = -1;
        if (o.cd) iconv_close((iconv_t)o.cd);
    }
    if (!rc) {
        char path[1024];
        snprintf(path, sizeof path, "%s/truth.csv", dir);
        FILE *f = fopen(path, "wb");
        if (!f) rc = -1;
        else {
            fputs("person_id", f);
            for (int t = 0; t < ntabs; t++) fprintf(f, ",%s", tabs[t].key);
            fputc('\n', f);
            for (int64_t i = 0; i < persons; i++) {
                int any = 0;
                for (int t = 0; t < ntabs; t++) any |= truth[i * ntabs + t].n > 0;
                if (!any) continue;
                fprintf(f, "P%07lld", (long long)i + 1);
                for (int t = 0; t < ntabs; t++) {
                    fputc(',', f);
                    cell *ce = &truth[i * ntabs + t];
                    for (int k = 0; k < ce->n; k++) fprintf(f, "%s%s", k ? "|" : "", ce->ids[k]);
                }
                fputc('\n', f);
            }
            if (fclose(f) != 0) rc = -1;
        }
    }
    if (rc) fprintf(stderr, "jiceng people generate: cannot write into %s\n", dir);
    free(truth);
    free(ps);
    return rc;
}
