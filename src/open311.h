/*
 * open311.h -- the Open311 GeoReport v2 server (module "open311").
 *
 * Existing Open311 clients (FixMyStreet, SeeClickFix-style apps) talk to
 * jiceng under /open311/v2/: discovery, services (one per category), service
 * definitions (attributes from a category's extra fields), POST requests (a
 * report becomes a jiceng case with source "open311", reported by the
 * resident-role account of the client's API key), GET requests with the
 * standard filters, tokens and the servicerequestupdates extension.  Both
 * .json and .xml; errors in the standard's format.  See docs/open311.md.
 *
 * This header is the contract of the module's pure helpers (form parsing,
 * XML rendering, time formatting; unit-tested in tests/unit/test_open311.c)
 * and of its storage half (src/open311_sqlite.c).
 */
#ifndef JC_OPEN311_H
#define JC_OPEN311_H

#include "jc.h"
#include "model.h"
#include "store.h"
#include "http.h"

typedef struct json_t json_t;

#define O311_FORM_MAX_FIELDS 256   /* key=value pairs in one form */
#define O311_FORM_MAX_KEY 128      /* bytes of a decoded key */
#define O311_BODY_CAP (256 * 1024) /* bytes of a POSTed form */

/* ---- application/x-www-form-urlencoded ---------------------------------- */
typedef struct {
    int n;
    char *key[O311_FORM_MAX_FIELDS]; /* decoded, NUL-terminated, heap */
    char *val[O311_FORM_MAX_FIELDS];
} o311_form;

/* Parses a form body (also a query string) into *out (caller calls
 * o311_form_free, also after an error).  '+' is a space, %XX a byte.
 * JC_ERR_INVALID (message in err) on a bad escape, a NUL byte, a key or value
 * that is not valid UTF-8 after decoding, an empty key; JC_ERR_TOOBIG past
 * O311_FORM_MAX_FIELDS pairs or O311_FORM_MAX_KEY key bytes; JC_ERR_NOMEM. */
jc_err o311_form_parse(const char *s, size_t len, o311_form *out, char *err, size_t errsz) JC_MUST_CHECK;
void o311_form_free(o311_form *f);
/* The value of the first pair named key, or NULL. */
const char *o311_form_get(const o311_form *f, const char *key);
/* Number of pairs named key. */
int o311_form_count(const o311_form *f, const char *key);

/* Parses a decimal number in [lo, hi] (no hex, inf, nan or trailing junk). */
jc_err o311_parse_double(const char *s, double lo, double hi, double *out) JC_MUST_CHECK;

/* ---- XML ------------------------------------------------------------------ */
/* Appends s with & < > " ' escaped; characters XML 1.0 forbids (controls
 * other than tab, LF, CR) are dropped.  s must be valid UTF-8. */
jc_err o311_xml_escape(jc_buf *b, const char *s) JC_MUST_CHECK;
/* Renders a JSON value as the Open311 XML document (with the UTF-8
 * declaration): an array becomes <root> holding one element per item, named
 * by o311_xml_item_name(root); an object's members become child elements in
 * order; nested arrays the same way; null an empty element; booleans
 * true/false. */
jc_err o311_xml_render(jc_buf *b, const char *root, const json_t *v) JC_MUST_CHECK;
/* Element name of the items of a list element ("services" -> "service",
 * "service_requests" -> "request", "errors" -> "error" ...). */
const char *o311_xml_item_name(const char *list);

/* ---- time ---------------------------------------------------------------- */
/* W3C datetime in Asia/Shanghai: "2026-11-27T21:06:27+08:00" (out >= 32). */
void o311_fmt_time(int64_t ms, char *out, size_t outsz);
/* "open" or "closed" for a jiceng state (closed, rated, voided, merged are
 * closed). */
const char *o311_status_of(jc_state s);

/* True (1) when case k is public over Open311 (its source is not sensor or
 * warning).  The module's rows: open311_store.h. */
int o311_case_public(const jc_case *k);

/* `jiceng open311 key ...` and the keys' routes (open311_keys.c), named in
 * the module's row (open311.c). */
int open311__cmd(int argc, char **argv);
extern const jc_route_table open311__key_routes;

#endif
