/*
 * caselist.h -- the case lists and the search: GET /api/v1/cases (filters,
 * keyword and case-number search, keyset pages, scoped to the caller) and
 * GET /api/v1/cases/export.xlsx (the same filter as a workbook), and the
 * text index they search (docs/api.md "Lists and search").
 *
 * The text of a case (title, body, address) is searched by terms made
 * here: after a normalisation (full-width letters and digits as ASCII, in
 * lower case; punctuation and spaces as separators), every Chinese
 * (CJK) character starts one term, itself and the next character when that
 * one is CJK too (a bigram), alone at the end of a run; every run of other
 * letters and digits is one term (at most 32 characters).  A query word
 * becomes the bigrams of its CJK runs (a single character: any term that
 * starts with it) and its other runs as prefixes; each candidate's text is
 * then checked to contain every query word as written.
 */
#ifndef JC_CASELIST_H
#define JC_CASELIST_H

#include "jc.h"
#include "model.h"
#include "store.h"

/* Rows a page examines at most (the cursor goes on from where it stopped). */
#define CASELIST_BUDGET 10000
/* Cases the ticker adds to the text index per second. */
#define CASELIST_INDEX_PER_TICK 5000

/* Appends to b the index terms of a case's title, body and address,
 * separated by spaces.  JC_ERR_NOMEM, JC_ERR_TOOBIG. */
jc_err caselist_terms(const jc_case *k, jc_buf *b) JC_MUST_CHECK;

/* A parsed query text: the FTS5 expression its candidates are found by and
 * the words a case's text must contain. */
typedef struct caselist_q caselist_q;
/* Parses q (a keyword text).  *out is the caller's (caselist_q_free).
 * JC_ERR_INVALID when q holds no letter or digit. */
jc_err caselist_q_parse(const char *q, caselist_q **out) JC_MUST_CHECK;
void caselist_q_free(caselist_q *q);
/* The FTS5 MATCH expression of q (owned by q). */
const char *caselist_q_match(const caselist_q *q);
/* 1 when the case's title, body or address contain every word of q. */
int caselist_q_hit(const caselist_q *q, const jc_case *k);

/* The ticker (writer): adds up to CASELIST_INDEX_PER_TICK new cases to the
 * text index. */
jc_err caselist_tick(jc_conn *w, int64_t now_ms);
/* Indexes every case not indexed yet (writer; bench-fill, after a fill). */
jc_err caselist_index_all(jc_conn *w) JC_MUST_CHECK;

#endif
