/*
 * test_open311.c -- the Open311 module's pure helpers: form parsing, number
 * parsing, XML escaping and rendering, time and status mapping; photo type
 * sniffing and ids.
 */
#include "t.h"

#include "open311.h"
#include "photo.h"

#include <jansson.h>

static jc_err parse(const char *s, o311_form *f) {
    char err[128];
    return o311_form_parse(s, strlen(s), f, err, sizeof err);
}

TEST(form_decodes_plus_and_percent) {
    o311_form f;
    ASSERT_OK(parse("a=1+2&b=%E4%B8%AD%20x&c=&d&attribute%5Bk%5D=v", &f));
    ASSERT_EQ(f.n, 5);
    ASSERT_STR_EQ(o311_form_get(&f, "a"), "1 2");
    ASSERT_STR_EQ(o311_form_get(&f, "b"), "中 x");
    ASSERT_STR_EQ(o311_form_get(&f, "c"), "");
    ASSERT_STR_EQ(o311_form_get(&f, "d"), "");
    ASSERT_STR_EQ(o311_form_get(&f, "attribute[k]"), "v");
    ASSERT(o311_form_get(&f, "zz") == NULL);
    o311_form_free(&f);
}

TEST(form_counts_repeats_and_skips_empty_pairs) {
    o311_form f;
    ASSERT_OK(parse("&&t%5B%5D=1&t%5B%5D=2&", &f));
    ASSERT_EQ(f.n, 2);
    ASSERT_EQ(o311_form_count(&f, "t[]"), 2);
    o311_form_free(&f);
}

TEST(form_refuses_bad_input) {
    o311_form f;
    ASSERT_EQ(parse("a=%zz", &f), JC_ERR_INVALID);
    o311_form_free(&f);
    ASSERT_EQ(parse("a=%4", &f), JC_ERR_INVALID);
    o311_form_free(&f);
    ASSERT_EQ(parse("a=%", &f), JC_ERR_INVALID);
    o311_form_free(&f);
    ASSERT_EQ(parse("a=x%00y", &f), JC_ERR_INVALID);
    o311_form_free(&f);
    ASSERT_EQ(parse("a=%C3%28", &f), JC_ERR_INVALID); /* invalid UTF-8 */
    o311_form_free(&f);
    ASSERT_EQ(parse("=v", &f), JC_ERR_INVALID);
    o311_form_free(&f);
    char big[O311_FORM_MAX_KEY + 8];
    memset(big, 'k', sizeof big - 1);
    big[sizeof big - 1] = 0;
    ASSERT_EQ(parse(big, &f), JC_ERR_TOOBIG);
    o311_form_free(&f);
    jc_buf b;
    jc_buf_init(&b, 0);
    for (int i = 0; i <= O311_FORM_MAX_FIELDS; i++) ASSERT_OK(jc_buf_puts(&b, "x=1&"));
    ASSERT_EQ(parse(b.data, &f), JC_ERR_TOOBIG);
    o311_form_free(&f);
    jc_buf_free(&b);
}

TEST(numbers_are_strict) {
    double d;
    ASSERT_OK(o311_parse_double("39.915", -90, 90, &d));
    ASSERT_NEAR(d, 39.915, 1e-12);
    ASSERT_OK(o311_parse_double("-90", -90, 90, &d));
    ASSERT_EQ(o311_parse_double("abc", -90, 90, &d), JC_ERR_INVALID);
    ASSERT_EQ(o311_parse_double("200", -90, 90, &d), JC_ERR_INVALID);
    ASSERT_EQ(o311_parse_double("nan", -90, 90, &d), JC_ERR_INVALID);
    ASSERT_EQ(o311_parse_double("inf", -90, 90, &d), JC_ERR_INVALID);
    ASSERT_EQ(o311_parse_double("0x10", -90, 90, &d), JC_ERR_INVALID);
    ASSERT_EQ(o311_parse_double("1.5 ", -90, 90, &d), JC_ERR_INVALID);
    ASSERT_EQ(o311_parse_double("", -90, 90, &d), JC_ERR_INVALID);
    ASSERT_EQ(o311_parse_double("1e999", -1e300, 1e300, &d), JC_ERR_INVALID);
}

TEST(xml_escapes_markup_and_replaces_non_xml_characters) {
    jc_buf b;
    jc_buf_init(&b, 0);
    ASSERT_OK(o311_xml_escape(&b, "a<b>&\"c'\x01\t中"));
    ASSERT_STR_EQ(b.data, "a&lt;b&gt;&amp;&quot;c&apos;\xEF\xBF\xBD\t中");
    jc_buf_free(&b);
    /* U+FFFE and U+FFFF are not XML 1.0 characters (issue 18); U+FFFD and
     * an emoji are; a stray byte is not UTF-8 */
    jc_buf_init(&b, 0);
    ASSERT_OK(o311_xml_escape(&b, "x\xEF\xBF\xBEy\xEF\xBF\xBFz\xEF\xBF\xBD\xF0\x9F\x98\x80\x80!"));
    ASSERT_STR_EQ(b.data, "x\xEF\xBF\xBDy\xEF\xBF\xBDz\xEF\xBF\xBD\xF0\x9F\x98\x80\xEF\xBF\xBD!");
    jc_buf_free(&b);
}

TEST(xml_renders_lists_objects_and_nulls) {
    json_t *v = json_pack("[{s:s,s:b,s:n,s:i,s:[s,s],s:[{s:s}]}]", "service_code", "01&", "metadata", 1,
                          "group", "order", 3, "formats", "text/xml", "application/json", "values",
                          "key", "k");
    jc_buf b;
    jc_buf_init(&b, 0);
    ASSERT_OK(o311_xml_render(&b, "services", v));
    ASSERT_STR_EQ(b.data, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                          "<services><service><service_code>01&amp;</service_code><metadata>true</metadata>"
                          "<group/><order>3</order><formats><format>text/xml</format><format>application/json"
                          "</format></formats><values><value><key>k</key></value></values></service></services>\n");
    jc_buf_free(&b);
    json_decref(v);
    ASSERT_STR_EQ(o311_xml_item_name("service_requests"), "request");
    ASSERT_STR_EQ(o311_xml_item_name("errors"), "error");
    ASSERT_STR_EQ(o311_xml_item_name("service_request_updates"), "request_update");
}

TEST(time_is_w3c_in_shanghai) {
    char s[40];
    o311_fmt_time(0, s, sizeof s);
    ASSERT_STR_EQ(s, "1970-01-01T08:00:00+08:00");
    o311_fmt_time(1795786091850LL, s, sizeof s);
    ASSERT_STR_EQ(s, "2026-11-27T21:28:11+08:00");
}

TEST(status_maps_states) {
    ASSERT_STR_EQ(o311_status_of(ST_REPORTED), "open");
    ASSERT_STR_EQ(o311_status_of(ST_HANDLING), "open");
    ASSERT_STR_EQ(o311_status_of(ST_SUSPENDED), "open");
    ASSERT_STR_EQ(o311_status_of(ST_CLOSED), "closed");
    ASSERT_STR_EQ(o311_status_of(ST_RATED), "closed");
    ASSERT_STR_EQ(o311_status_of(ST_VOIDED), "closed");
    ASSERT_STR_EQ(o311_status_of(ST_MERGED), "closed");
}

TEST(photos_sniff_magic_bytes) {
    const char *mime, *ext;
    ASSERT_OK(photo_sniff("\xff\xd8\xff\xe0", 4, &mime, &ext));
    ASSERT_STR_EQ(ext, "jpg");
    ASSERT_OK(photo_sniff("\x89PNG\r\n\x1a\n", 8, &mime, &ext));
    ASSERT_STR_EQ(mime, "image/png");
    ASSERT_OK(photo_sniff("RIFF\x10\0\0\0WEBPVP8 ", 16, &mime, &ext));
    ASSERT_STR_EQ(ext, "webp");
    ASSERT_EQ(photo_sniff("GIF89a", 6, &mime, &ext), JC_ERR_INVALID);
    ASSERT_EQ(photo_sniff("\x89PNG", 4, &mime, &ext), JC_ERR_INVALID);
    ASSERT_EQ(photo_sniff("RIFF\x10\0\0\0WAVE", 12, &mime, &ext), JC_ERR_INVALID);
    ASSERT(photo_id_valid("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
    ASSERT(!photo_id_valid("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
    ASSERT(!photo_id_valid("../../etc/passwd"));
    ASSERT(!photo_id_valid(""));
}

T_MAIN(T(form_decodes_plus_and_percent), T(form_counts_repeats_and_skips_empty_pairs),
       T(form_refuses_bad_input), T(numbers_are_strict), T(xml_escapes_markup_and_replaces_non_xml_characters),
       T(xml_renders_lists_objects_and_nulls), T(time_is_w3c_in_shanghai), T(status_maps_states),
       T(photos_sniff_magic_bytes))
