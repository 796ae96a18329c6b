/*
 * test_duty.c -- the responsibility list (src/duty.c): most-specific-entry
 * precedence, explanations, and the all-or-nothing CSV import.
 */
#include "t.h"

#include "duty.h"

static const char *const CATS[] = {"0101", "0102", "0103", "0201"};
static const char *const DEPTS[] = {"chengguan", "zhujian", "shichang", "gongan", "jiedao"};
static const duty_known KNOWN = {CATS, 4, DEPTS, 5};

#define HEADER "id,category,scope,lead_dept,co_depts,legal_basis,accept,handle,verify,may_delegate\n"

static const char *GOOD =
    "\xEF\xBB\xBF" HEADER
    "D1,0101,110101,chengguan,,《城市市容和环境卫生管理条例》第十四条,2wh,24wh,8wh,0\n"
    "S1,0101,110101001,jiedao,chengguan,\"街道综合执法,依《北京市街道办事处条例》第十条\",1wh,3wd,4wh,1\n"
    "C1,0101,110101001001,jiedao,chengguan|zhujian,社区网格先行处置,30wmin,48h,2h,1\n"
    "D2,0103,110101,chengguan,zhujian,《城乡规划法》第六十四条,4wh,120wh,16wh,0\n";

static duty_list *import_ok(const char *csv) {
    duty_list *l = NULL;
    jc_buf errs;
    jc_buf_init(&errs, 0);
    jc_err rc = duty_import_csv(csv, strlen(csv), &KNOWN, &l, &errs);
    if (rc) fprintf(stderr, "import rc %d:\n%s", rc, errs.len ? errs.data : "");
    jc_buf_free(&errs);
    return rc ? NULL : l;
}

TEST(import_parses_every_field) {
    duty_list *l = import_ok(GOOD);
    ASSERT(l);
    ASSERT_EQ(duty_list_count(l), 4);
    const duty_entry *e = duty_list_get(l, 1);
    ASSERT_STR_EQ(e->id, "S1");
    ASSERT_STR_EQ(e->scope, "110101001");
    ASSERT_STR_EQ(e->lead_dept, "jiedao");
    ASSERT_EQ(e->n_co, 1);
    ASSERT_STR_EQ(e->co_depts[0], "chengguan");
    ASSERT_STR_EQ(e->legal_basis, "街道综合执法,依《北京市街道办事处条例》第十条");
    ASSERT_EQ(e->limit[DUTY_HANDLE].amount, 3);
    ASSERT_EQ(e->limit[DUTY_HANDLE].unit, CALENDAR_WORKING_DAYS);
    ASSERT_EQ(e->may_delegate, 1);
    e = duty_list_get(l, 2);
    ASSERT_EQ(e->n_co, 2);
    ASSERT_STR_EQ(e->co_depts[1], "zhujian");
    ASSERT_EQ(e->limit[DUTY_ACCEPT].amount, 30);
    ASSERT_EQ(e->limit[DUTY_ACCEPT].unit, CALENDAR_WORKING_MINUTES);
    ASSERT_EQ(e->limit[DUTY_HANDLE].unit, CALENDAR_NATURAL_HOURS);
    ASSERT(duty_list_get(l, 4) == NULL);
    duty_list_free(l);
    duty_list_free(NULL);
}

TEST(most_specific_entry_wins) {
    duty_list *l = import_ok(GOOD);
    ASSERT(l);
    const duty_entry *e = NULL;
    ASSERT_OK(duty_match(l, "0101", "110101001001005", &e)); /* community entry */
    ASSERT_STR_EQ(e->id, "C1");
    ASSERT_OK(duty_match(l, "0101", "110101001002003", &e)); /* other community, same street */
    ASSERT_STR_EQ(e->id, "S1");
    ASSERT_OK(duty_match(l, "0101", "110101002001001", &e)); /* other street */
    ASSERT_STR_EQ(e->id, "D1");
    ASSERT_OK(duty_match(l, "0101", "110101001001", &e)); /* a community code itself */
    ASSERT_STR_EQ(e->id, "C1");
    ASSERT_OK(duty_match(l, "0103", "110101001001005", &e)); /* only the district entry */
    ASSERT_STR_EQ(e->id, "D2");
    ASSERT_EQ(duty_match(l, "0101", "110102001001001", &e), JC_ERR_NOTFOUND);
    ASSERT_EQ(duty_match(l, "0102", "110101001001005", &e), JC_ERR_NOTFOUND);
    ASSERT_EQ(duty_match(l, "0101", "11010", &e), JC_ERR_INVALID);
    ASSERT_EQ(duty_match(l, "0101", "1101010010a1005", &e), JC_ERR_INVALID);
    duty_list_free(l);
}

TEST(explain_says_why) {
    duty_list *l = import_ok(GOOD);
    ASSERT(l);
    jc_buf b;
    jc_buf_init(&b, 0);
    const duty_entry *e = NULL;
    ASSERT_OK(duty_explain(l, "0101", "110101001002003", &e, &b));
    ASSERT_STR_EQ(e->id, "S1");
    ASSERT(strstr(b.data, "社区 community 110101001002: no entry"));
    ASSERT(strstr(b.data, "街道 street 110101001: entry S1 applies"));
    ASSERT(strstr(b.data, "区 district 110101: entry D1 is overridden by S1"));
    ASSERT(strstr(b.data, "依据 legal basis: 街道综合执法"));
    jc_buf_free(&b);
    jc_buf_init(&b, 0);
    ASSERT_EQ(duty_explain(l, "0102", "110101001002003", &e, &b), JC_ERR_NOTFOUND);
    ASSERT(strstr(b.data, "no entry of the responsibility list covers it"));
    jc_buf_free(&b);
    duty_list_free(l);
}

TEST(unknown_department_refuses_whole_import) {
    const char *csv = HEADER
        "D1,0101,110101,chengguan,,条例第十四条,2wh,24wh,8wh,0\n"
        "D2,0102,110101,chengguang,,条例第十五条,2wh,24wh,8wh,0\n"
        "D3,0103,110101,zhujian,,条例第十六条,2wh,24wh,8wh,0\n";
    duty_list *l = (duty_list *)0x1; /* must stay untouched */
    jc_buf errs;
    jc_buf_init(&errs, 0);
    ASSERT_EQ(duty_import_csv(csv, strlen(csv), &KNOWN, &l, &errs), JC_ERR_INVALID);
    ASSERT(l == (duty_list *)0x1);
    ASSERT_STR_EQ(errs.data, "row 3: unknown department \"chengguang\" in lead_dept\n");
    jc_buf_free(&errs);
}

TEST(every_bad_row_is_listed) {
    const char *csv = HEADER
        "D1,0101,110101,chengguan,,条例,2wh,24wh,8wh,0\n"
        "D2,0102,110101,chengguan,,  ,2wh,24wh,8wh,0\n"             /* no legal basis */
        "D3,0199,110101,chengguan,nobody,条例,2wh,24wh,8wh,0\n"     /* two unknowns */
        "D4,0103,110101,chengguan,,条例,2wh,abc,8,0\n"              /* bad numbers */
        "D5,0101,110101,zhujian,,条例,2wh,24wh,8wh,0\n"             /* duplicate pair */
        "D1,0201,110101,zhujian,,条例,2wh,24wh,8wh,0\n"             /* duplicate id */
        "D7,0201,1101,zhujian,,条例,2wh,24wh,8wh,2\n"               /* scope, flag */
        "D8,0201,110101,zhujian,zhujian,条例,2wh,24wh,8wh,0\n"      /* lead = co */
        "D9,0201,110101\n";                                         /* short row */
    duty_list *l = NULL;
    jc_buf errs;
    jc_buf_init(&errs, 0);
    ASSERT_EQ(duty_import_csv(csv, strlen(csv), &KNOWN, &l, &errs), JC_ERR_INVALID);
    ASSERT(l == NULL);
    const char *want[] = {
        "row 3: legal_basis is missing\n",
        "row 4: unknown category \"0199\"\n",
        "row 4: unknown department \"nobody\" in co_depts\n",
        "row 5: handle limit \"abc\" is not <number><wh|wd|h|wmin|min>",
        "row 5: verify limit \"8\"",
        "row 6: duplicate (category 0101, scope 110101): entry D1 already covers it\n",
        "row 7: duplicate id \"D1\"\n",
        "row 8: may_delegate \"2\" must be 0 or 1\n",
        "row 9: department \"zhujian\" is both lead and co-handling\n",
        "row 10: expected 10 fields, found 3\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(errs.data, want[i])) T_FAIL_("missing \"%s\" in:\n%s", want[i], errs.data);
    ASSERT(!strstr(errs.data, "row 2:"));
    jc_buf_free(&errs);
}

TEST(bad_files_refused) {
    duty_list *l = NULL;
    jc_buf errs;
    jc_buf_init(&errs, 0);
    const char *nohdr = "id,category,scope,lead_dept,co_depts,legal_basis,accept,handle,verify\n";
    ASSERT_EQ(duty_import_csv(nohdr, strlen(nohdr), &KNOWN, &l, &errs), JC_ERR_INVALID);
    ASSERT(strstr(errs.data, "row 1: missing column \"may_delegate\""));
    jc_buf_free(&errs);
    jc_buf_init(&errs, 0);
    const char *quote = HEADER "D1,0101,110101,chengguan,,\"unclosed,2wh,24wh,8wh,0\n";
    ASSERT_EQ(duty_import_csv(quote, strlen(quote), &KNOWN, &l, &errs), JC_ERR_INVALID);
    ASSERT(strstr(errs.data, "malformed CSV"));
    jc_buf_free(&errs);
    jc_buf_init(&errs, 0);
    ASSERT_EQ(duty_import_csv("", 0, &KNOWN, &l, &errs), JC_ERR_INVALID);
    ASSERT(strstr(errs.data, "row 1: empty file"));
    jc_buf_free(&errs);
    /* Columns in another order are fine; a header alone gives an empty list. */
    const char *reordered =
        "category,id,scope,lead_dept,co_depts,legal_basis,accept,handle,verify,may_delegate\n"
        "0101,X1,110101,chengguan,,条例,2wh,24wh,8wh,0\n";
    l = import_ok(reordered);
    ASSERT(l);
    ASSERT_STR_EQ(duty_list_get(l, 0)->id, "X1");
    duty_list_free(l);
}

TEST(add_validates_and_refuses_duplicates) {
    duty_list *l;
    ASSERT_OK(duty_list_new(&l));
    duty_entry e;
    memset(&e, 0, sizeof e);
    snprintf(e.id, sizeof e.id, "%s", "A1");
    snprintf(e.category, sizeof e.category, "%s", "0101");
    snprintf(e.scope, sizeof e.scope, "%s", "110101");
    snprintf(e.lead_dept, sizeof e.lead_dept, "%s", "chengguan");
    e.legal_basis = "条例";
    e.limit[DUTY_ACCEPT] = (duty_limit){2, CALENDAR_WORKING_HOURS};
    char err[256];
    ASSERT_OK(duty_list_add(l, &e, &KNOWN, err, sizeof err));
    snprintf(e.id, sizeof e.id, "%s", "A2");
    ASSERT_EQ(duty_list_add(l, &e, &KNOWN, err, sizeof err), JC_ERR_CONFLICT);
    ASSERT(strstr(err, "duplicate (category 0101, scope 110101)"));
    snprintf(e.scope, sizeof e.scope, "%s", "110101001");
    snprintf(e.lead_dept, sizeof e.lead_dept, "%s", "unknown");
    ASSERT_EQ(duty_list_add(l, &e, &KNOWN, err, sizeof err), JC_ERR_INVALID);
    ASSERT_STR_EQ(err, "unknown department \"unknown\" in lead_dept");
    ASSERT_OK(duty_list_add(l, &e, NULL, err, sizeof err)); /* no sets: no check */
    ASSERT_EQ(duty_list_count(l), 2);
    duty_list_free(l);
}

TEST(parse_limit) {
    duty_limit lim;
    ASSERT_OK(duty_parse_limit("24wh", &lim));
    ASSERT_EQ(lim.amount, 24);
    ASSERT_EQ(lim.unit, CALENDAR_WORKING_HOURS);
    ASSERT_OK(duty_parse_limit("3wd", &lim));
    ASSERT_EQ(lim.unit, CALENDAR_WORKING_DAYS);
    ASSERT_OK(duty_parse_limit("48h", &lim));
    ASSERT_EQ(lim.unit, CALENDAR_NATURAL_HOURS);
    ASSERT_OK(duty_parse_limit("15min", &lim));
    ASSERT_EQ(lim.unit, CALENDAR_NATURAL_MINUTES);
    ASSERT_EQ(duty_parse_limit("24", &lim), JC_ERR_INVALID);
    ASSERT_EQ(duty_parse_limit("wh", &lim), JC_ERR_INVALID);
    ASSERT_EQ(duty_parse_limit("-1wh", &lim), JC_ERR_INVALID);
    ASSERT_EQ(duty_parse_limit("2 wh", &lim), JC_ERR_INVALID);
    ASSERT_EQ(duty_parse_limit("100001wh", &lim), JC_ERR_INVALID);
    ASSERT_EQ(duty_parse_limit("24wd ", &lim), JC_ERR_INVALID);
}

/* 2,000+ entries over many categories and scopes against a slow reference. */
TEST(many_entries_match_reference) {
    duty_list *l;
    ASSERT_OK(duty_list_new(&l));
    char err[256];
    int n = 0;
    for (unsigned c = 0; c < 40; c++)
        for (unsigned s = 0; s < 60; s++) {
            duty_entry e;
            memset(&e, 0, sizeof e);
            snprintf(e.id, sizeof e.id, "E%u-%u", c, s);
            snprintf(e.category, sizeof e.category, "%04u", 100 + c);
            if (s == 0) snprintf(e.scope, sizeof e.scope, "110101");
            else if (s < 16) snprintf(e.scope, sizeof e.scope, "110101%03u", s);
            else snprintf(e.scope, sizeof e.scope, "110101%03u%03u", s % 15 + 1, s);
            if ((c + s) % 3 == 1 && s) continue; /* holes in the coverage */
            snprintf(e.lead_dept, sizeof e.lead_dept, "dept%u", s % 7);
            e.legal_basis = "依据";
            ASSERT_OK(duty_list_add(l, &e, NULL, err, sizeof err));
            n++;
        }
    ASSERT(n > 1500);
    uint64_t r = 12345;
    for (int k = 0; k < 20000; k++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        char cat[16], grid[32];
        snprintf(cat, sizeof cat, "%04u", 100 + (unsigned)(r >> 33) % 42);
        snprintf(grid, sizeof grid, "110101%03u%03u%03u", (unsigned)(r >> 20) % 17,
                 (unsigned)(r >> 40) % 64, (unsigned)(r >> 8) % 50);
        const duty_entry *want = NULL;
        size_t best = 0;
        for (size_t i = 0; i < duty_list_count(l); i++) {
            const duty_entry *e = duty_list_get(l, i);
            size_t sl = strlen(e->scope);
            if (!strcmp(e->category, cat) && !strncmp(e->scope, grid, sl) && sl > best) {
                best = sl;
                want = e;
            }
        }
        const duty_entry *got = NULL;
        jc_err rc = duty_match(l, cat, grid, &got);
        if (!want) ASSERT_EQ(rc, JC_ERR_NOTFOUND);
        else {
            ASSERT_OK(rc);
            ASSERT(got == want);
        }
    }
    duty_list_free(l);
}

/* Reads a whole file into a jc_buf; 0 on failure. */
static int slurp(const char *path, jc_buf *b) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char tmp[4096];
    size_t n;
    int ok = 1;
    while (ok && (n = fread(tmp, 1, sizeof tmp, f)) > 0) ok = jc_buf_append(b, tmp, n) == JC_OK;
    fclose(f);
    return ok && b->len > 0;
}

/* The first column of a catalogue CSV (skipping the header), as strings. */
static size_t first_column(const char *text, char codes[][40], size_t max) {
    size_t n = 0;
    const char *p = strchr(text, '\n');
    while (p && *++p && n < max) {
        size_t k = strcspn(p, ",\n");
        if (k && k < 40) {
            memcpy(codes[n], p, k);
            codes[n++][k] = 0;
        }
        p = strchr(p, '\n');
    }
    return n;
}

/* The paste-able example of docs/dispatch.md imports against the demo
 * catalogue of data/ (run from the project root, as tests/run.sh does). */
TEST(docs_example_imports) {
    jc_buf doc, cat, dep;
    jc_buf_init(&doc, 0);
    jc_buf_init(&cat, 0);
    jc_buf_init(&dep, 0);
    if (!slurp("docs/dispatch.md", &doc) || !slurp("data/categories.csv", &cat) ||
        !slurp("data/depts.csv", &dep))
        T_FAIL_("run from the project root: docs/dispatch.md or data/*.csv missing");
    static char cc[200][40], dc[200][40];
    const char *cp[200], *dp[200];
    size_t nc = first_column(cat.data, cc, 200), nd = first_column(dep.data, dc, 200);
    for (size_t i = 0; i < nc; i++) cp[i] = cc[i];
    for (size_t i = 0; i < nd; i++) dp[i] = dc[i];
    ASSERT(nc > 5 && nd > 5);
    duty_known known = {cp, nc, dp, nd};
    const char *start = strstr(doc.data, "```csv\n");
    ASSERT(start);
    start += 7;
    const char *end = strstr(start, "```");
    ASSERT(end);
    duty_list *l = NULL;
    jc_buf errs;
    jc_buf_init(&errs, 0);
    jc_err rc = duty_import_csv(start, (size_t)(end - start), &known, &l, &errs);
    if (rc) T_FAIL_("docs example refused: %s", errs.len ? errs.data : "");
    ASSERT_EQ(duty_list_count(l), 4);
    const duty_entry *e;
    ASSERT_OK(duty_match(l, "0101", "110101001001007", &e));
    ASSERT_STR_EQ(e->id, "C-0101-001001");
    duty_list_free(l);
    jc_buf_free(&errs);
    jc_buf_free(&doc);
    jc_buf_free(&cat);
    jc_buf_free(&dep);
}

T_MAIN(T(import_parses_every_field), T(most_specific_entry_wins), T(explain_says_why),
       T(unknown_department_refuses_whole_import), T(every_bad_row_is_listed),
       T(bad_files_refused), T(add_validates_and_refuses_duplicates), T(parse_limit),
       T(many_entries_match_reference), T(docs_example_imports))
