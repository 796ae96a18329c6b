/*
 * test_case_json.c -- the text view of a case (src/case_json.c): every
 * field reads back with its value through a JSON parser, strings with every
 * character that needs an escape, masking, optional fields, reals.
 */
#include "t.h"

#include "case.h"

#include <jansson.h>
#include <string.h>

/* The view parsed back; an empty object when it is not JSON (the asserts
 * on its fields then fail). */
static json_t *view(const jc_case *k, const jc_user *viewer, int unmasked) {
    jc_buf b;
    jc_buf_init(&b, 0);
    json_t *o = NULL;
    json_error_t err;
    if (case_json_text(&b, k, viewer, unmasked) == JC_OK && !(o = json_loadb(b.data, b.len, 0, &err)))
        fprintf(stderr, "not JSON (%s): %s\n", err.text, b.data);
    jc_buf_free(&b);
    return o ? o : json_object();
}

/* A string field, "<missing>" when absent or not a string. */
static const char *str(json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : "<missing>";
}

TEST(every_string_escape_reads_back) {
    char title[64], *p = title;
    for (int c = 1; c < 0x20; c++) *p++ = (char)c; /* every control character */
    strcpy(p, "\"\\/ 井盖\x7f");
    jc_case k = {.id = 42, .title = title, .body = "第一行\n第二行\t\"引号\"", .state = ST_DISPATCHED,
                 .held_from = ST__COUNT, .created_ms = 1764201600000, .updated_ms = 1764201600123};
    strcpy(k.category, "0201"), strcpy(k.source, "web"), strcpy(k.area, "110101001001001");
    json_t *o = view(&k, NULL, 0);
    ASSERT_STR_EQ(str(o, "title"), title);
    ASSERT_STR_EQ(str(o, "body"), k.body);
    ASSERT_EQ(json_integer_value(json_object_get(o, "id")), 42);
    ASSERT_STR_EQ(str(o, "state"), "dispatched");
    ASSERT_STR_EQ(str(o, "no"), "JC20251127-42"); /* the local (UTC+8) date of creation */
    ASSERT_STR_EQ(str(o, "created_at"), "2025-11-27T00:00:00.000Z");
    ASSERT_STR_EQ(str(o, "updated_at"), "2025-11-27T00:00:00.123Z");
    ASSERT(json_is_null(json_object_get(o, "deadline")));
    ASSERT(json_is_null(json_object_get(o, "dept_id")));
    ASSERT(json_is_null(json_object_get(o, "reporter_id")));
    ASSERT(json_is_null(json_object_get(o, "rating")));
    ASSERT(!json_object_get(o, "lon") && !json_object_get(o, "address") && !json_object_get(o, "phone") &&
           !json_object_get(o, "extra") && !json_object_get(o, "held_from") && !json_object_get(o, "merged_into"));
    ASSERT_EQ(json_array_size(json_object_get(o, "flags")), 0);
    /* case_to_json is the same view */
    json_t *t = case_to_json(&k, NULL, 0);
    ASSERT(json_equal(o, t));
    json_decref(t);
    json_decref(o);
}

TEST(optional_fields_masking_and_reals) {
    jc_case k = {.id = 7, .title = "t", .body = "", .address = "东华门街道 1 号", .extra = "{\"a\":[1,2.5,\"x\"]}",
                 .state = ST_SUSPENDED, .held_from = ST_HANDLING, .has_point = 1, .lon = 116.401,
                 .lat = -0.00001, .reporter_id = 9, .dept_id = 4, .priority = 2,
                 .deadline_ms = 1764201600000, .merged_into = 0, .escalation = 3, .version = 5,
                 .flags = CASE_F_OWNERLESS | CASE_F_DUPLICATE, .assignee_id = 11};
    strcpy(k.phone, "13812345678"), strcpy(k.rating, "basic");
    json_t *o = view(&k, NULL, 0);
    ASSERT_STR_EQ(str(o, "phone"), "138****5678");
    ASSERT_STR_EQ(str(o, "held_from"), "handling");
    ASSERT_STR_EQ(str(o, "address"), k.address);
    ASSERT_STR_EQ(str(o, "rating"), "basic");
    ASSERT_STR_EQ(str(o, "deadline"), "2025-11-27T00:00:00.000Z");
    ASSERT(json_is_real(json_object_get(o, "lon")) && json_is_real(json_object_get(o, "lat")));
    ASSERT_NEAR(json_real_value(json_object_get(o, "lon")), 116.401, 0);
    ASSERT_NEAR(json_real_value(json_object_get(o, "lat")), -0.00001, 0);
    ASSERT_EQ(json_integer_value(json_object_get(o, "reporter_id")), 9);
    ASSERT_EQ(json_integer_value(json_object_get(o, "dept_id")), 4);
    ASSERT_EQ(json_integer_value(json_object_get(o, "escalation")), 3);
    ASSERT_EQ(json_integer_value(json_object_get(o, "assignee_id")), 11);
    json_t *x = json_object_get(o, "extra");
    ASSERT(json_is_array(json_object_get(x, "a")) && json_array_size(json_object_get(x, "a")) == 3);
    json_t *fl = json_object_get(o, "flags");
    ASSERT_EQ(json_array_size(fl), 2);
    ASSERT_STR_EQ(json_string_value(json_array_get(fl, 0)), "ownerless");
    ASSERT_STR_EQ(json_string_value(json_array_get(fl, 1)), "duplicate");
    json_decref(o);
    /* unmasked, and the reporter sees their own number */
    o = view(&k, NULL, 1);
    ASSERT_STR_EQ(str(o, "phone"), "13812345678");
    json_decref(o);
    jc_user self = {.id = 9, .role = ROLE_RESIDENT}, other = {.id = 10, .role = ROLE_RESIDENT};
    o = view(&k, &self, 0);
    ASSERT_STR_EQ(str(o, "phone"), "13812345678");
    json_decref(o);
    o = view(&k, &other, 0);
    ASSERT_STR_EQ(str(o, "phone"), "138****5678");
    json_decref(o);
    /* a whole-number coordinate still reads back as a real; extra that does
     * not parse is left out */
    k.lon = 116, k.extra = "{not json";
    o = view(&k, NULL, 0);
    ASSERT(json_is_real(json_object_get(o, "lon")));
    ASSERT(!json_object_get(o, "extra"));
    json_decref(o);
}

TEST(a_full_buffer_is_an_error) {
    jc_case k = {.id = 1, .title = "一个很长的标题", .body = "", .held_from = ST__COUNT};
    jc_buf b;
    jc_buf_init(&b, 40);
    ASSERT_EQ(case_json_text(&b, &k, NULL, 0), JC_ERR_TOOBIG);
    jc_buf_free(&b);
}

TEST(time_formats_and_case_numbers) {
    char b[40];
    jc_fmt_utc(0, b, sizeof b);
    ASSERT_STR_EQ(b, "1970-01-01T00:00:00.000Z");
    jc_fmt_utc(-1, b, sizeof b);
    ASSERT_STR_EQ(b, "1969-12-31T23:59:59.999Z");
    jc_fmt_utc(1764201599999, b, sizeof b);
    ASSERT_STR_EQ(b, "2025-11-26T23:59:59.999Z");
    jc_fmt_utc(253402300800000, b, sizeof b); /* year 10000: five digits */
    ASSERT_STR_EQ(b, "10000-01-01T00:00:00.000Z");
    jc_fmt_utc(0, b, 10); /* truncated, terminated */
    ASSERT_STR_EQ(b, "1970-01-0");
    jc_fmt_local(0, b, sizeof b);
    ASSERT_STR_EQ(b, "1970-01-01 08:00");
    jc_fmt_local(1764172799000, b, sizeof b); /* 2025-11-26 23:59:59 in Beijing */
    ASSERT_STR_EQ(b, "2025-11-26 23:59");
    jc_case k = {.id = 1234567, .created_ms = 1764172800000}; /* 2025-11-27 00:00 in Beijing */
    case_number(&k, b, sizeof b);
    ASSERT_STR_EQ(b, "JC20251127-1234567");
    case_number(&k, b, 8);
    ASSERT_STR_EQ(b, "JC20251");
    int64_t id = 0;
    ASSERT_OK(case_number_parse("JC20251127-1234567", &id));
    ASSERT_EQ(id, 1234567);
}

/* jc_fixed7 writes what printf's "%.7f" writes (the audit's state hash of a
 * located case depends on it), or declines. */
TEST(fixed7_is_printf) {
    double edge[] = {0.0, -0.0, 1e-9, -1e-9, 0.00000005, -0.00000005, 0.00000015, 116.39745,
                     -179.99999995, 999.99999999, 999.9999999, 39.9087, 180, -180, 0.5, 123.4567891};
    char want[64], got[24];
    size_t declined = 0, n_cases = 0;
    srand(7);
    for (int i = 0; i < 200000 + (int)(sizeof edge / sizeof *edge); i++) {
        double x;
        if (i < (int)(sizeof edge / sizeof *edge)) x = edge[i];
        else if (i % 4 == 0) x = (rand() % 3600000001LL - 1800000000LL) / 1e7 + 0.5e-7; /* near ties */
        else if (i % 4 == 1) x = ((double)rand() / RAND_MAX - 0.5) * 360;
        else if (i % 4 == 2) x = ((double)rand() / RAND_MAX - 0.5) * 1e-5;
        else x = ((double)rand() / RAND_MAX) * 999.99999999;
        snprintf(want, sizeof want, "%.7f", x);
        size_t n = jc_fixed7(x, got);
        n_cases++;
        if (!n) {
            declined += i % 4 != 0 || i < (int)(sizeof edge / sizeof *edge); /* not a made tie */
            continue;
        }
        got[n] = 0;
        if (strcmp(got, want)) T_FAIL_("%.17g: jc_fixed7 \"%s\", printf \"%s\"", x, got, want);
    }
    ASSERT(declined < n_cases / 1000); /* near-ties only */
    ASSERT_EQ(jc_fixed7(1000, got), 0);
    ASSERT_EQ(jc_fixed7(NAN, got), 0);
}

/* jc_unhex reads back what jc_hex writes (how audit hashes are stored) and
 * nothing else: upper case, odd digits, a short or long string. */
TEST(unhex_reads_back_hex_only) {
    unsigned char b[32], back[32];
    char hex[65];
    srand(11);
    for (int i = 0; i < 1000; i++) {
        for (size_t j = 0; j < sizeof b; j++) b[j] = (unsigned char)rand();
        jc_hex(b, sizeof b, hex);
        ASSERT_EQ(jc_unhex(hex, back, sizeof back), 0);
        ASSERT(!memcmp(b, back, sizeof b));
    }
    memcpy(hex, "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8", 65);
    ASSERT_EQ(jc_unhex(hex, back, 32), 0);
    ASSERT(back[0] == 0x0e && back[31] == 0xa8);
    const char *bad[] = {"0E5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8",
                         "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a",
                         "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a80",
                         "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3g8", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) ASSERT_EQ(jc_unhex(bad[i], back, 32), -1);
}

T_MAIN(T(fixed7_is_printf), T(unhex_reads_back_hex_only), T(time_formats_and_case_numbers), T(every_string_escape_reads_back), T(optional_fields_masking_and_reals), T(a_full_buffer_is_an_error))
