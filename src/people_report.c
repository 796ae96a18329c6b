/*
 * people_report.c -- a department's form filled from the store: rosters of
 * elders living alone, of people with a disability and of students, and the
 * communities' base figures, written as XLSX (libxlsxwriter) from the golden
 * records, so that a community is not asked again for what it gave once.
 */
#include "people.h"
#include "people_store.h"

#include <stdio.h>
#include <string.h>
#include <xlsxwriter.h>

typedef struct {
    lxw_worksheet *ws;
    lxw_format *cell;
    int row;
    int min_age;
    int64_t today;
    jc_conn *c;
    jc_err err;
} roster;

static int age_of(int birth, int64_t today) { return birth ? (int)((today - birth) / 10000) : -1; }

static int roster_row(const pstore_person *p, void *arg) {
    roster *r = arg;
    int age = age_of(p->birth, r->today);
    if (r->min_age && age < r->min_age) return 0;
    char birth[24] = "", ages[16] = "";
    if (p->birth) snprintf(birth, sizeof birth, "%04d-%02d-%02d", p->birth / 10000, p->birth / 100 % 100, p->birth % 100);
    if (age >= 0) snprintf(ages, sizeof ages, "%d", age);
    const char *cells[] = {p->name, p->sex == 'M' ? "男" : p->sex == 'F' ? "女" : "", birth, ages, p->id_mask,
                           p->phone_mask, p->address, p->community};
    lxw_row_t row = (lxw_row_t)(r->row + 2);
    worksheet_write_number(r->ws, row, 0, r->row + 1, r->cell);
    for (int i = 0; i < (int)JC_ARRAY_LEN(cells); i++)
        worksheet_write_string(r->ws, row, (lxw_col_t)(i + 1), cells[i] ? cells[i] : "", r->cell);
    r->row++;
    return 0;
}

static int summary_row(const pstore_counts *k, void *arg) {
    roster *r = arg;
    lxw_row_t row = (lxw_row_t)(r->row + 2);
    worksheet_write_string(r->ws, row, 0, k->community, r->cell);
    int64_t v[] = {k->people, k->households, k->elders, k->elders_alone, k->disabled, k->students, k->children};
    for (int i = 0; i < (int)JC_ARRAY_LEN(v); i++) worksheet_write_number(r->ws, row, (lxw_col_t)(i + 1), (double)v[i], r->cell);
    r->row++;
    return 0;
}

jc_err people_report_xlsx(jc_conn *c, const char *templ, const char *area_prefix, const char *path, int64_t *rows) {
    static const struct { const char *key, *title; int flags, min_age; } forms[] = {
        {"elders_alone", "独居老人花名册", PEOPLE_FLAG_ALONE, 60},
        {"disabled", "残疾人花名册", PEOPLE_FLAG_DISABLED, 0},
        {"students", "在校学生名册", PEOPLE_FLAG_STUDENT, 0},
        {"summary", "社区基础数据统计表", 0, 0},
    };
    int f = -1;
    for (int i = 0; i < (int)JC_ARRAY_LEN(forms); i++)
        if (!strcmp(templ, forms[i].key)) f = i;
    if (f < 0) return JC_ERR_INVALID;
    lxw_workbook *wb = workbook_new(path);
    if (!wb) return JC_ERR_IO;
    lxw_worksheet *ws = workbook_add_worksheet(wb, forms[f].title);
    lxw_format *head = workbook_add_format(wb), *cell = workbook_add_format(wb), *title = workbook_add_format(wb);
    format_set_bold(head);
    format_set_border(head, LXW_BORDER_THIN);
    format_set_border(cell, LXW_BORDER_THIN);
    format_set_bold(title);
    format_set_font_size(title, 14);
    roster r = {ws, cell, 0, forms[f].min_age, people_today_ymd(), c, JC_OK};
    char t[160];
    snprintf(t, sizeof t, "%s（由一人一档数据生成，身份证号和电话已脱敏）", forms[f].title);
    worksheet_write_string(ws, 0, 0, t, title);
    jc_err e;
    if (!forms[f].flags && !strcmp(templ, "summary")) {
        static const char *const cols[] = {"社区代码", "人口", "户数", "60岁以上老人", "独居老人", "残疾人", "在校学生", "未成年人"};
        for (int i = 0; i < (int)JC_ARRAY_LEN(cols); i++) worksheet_write_string(ws, 1, (lxw_col_t)i, cols[i], head);
        e = pstore_person_counts(c, area_prefix, r.today, summary_row, &r);
    } else {
        static const char *const cols[] = {"序号", "姓名", "性别", "出生日期", "年龄", "身份证号", "联系电话", "住址", "所属社区"};
        for (int i = 0; i < (int)JC_ARRAY_LEN(cols); i++) worksheet_write_string(ws, 1, (lxw_col_t)i, cols[i], head);
        worksheet_set_column(ws, 7, 7, 48, NULL);
        worksheet_set_column(ws, 5, 5, 22, NULL);
        e = pstore_person_flagged(c, area_prefix, forms[f].flags, roster_row, &r);
    }
    if (workbook_close(wb) != LXW_NO_ERROR && !e) e = JC_ERR_IO;
    *rows = r.row;
    return e;
}
