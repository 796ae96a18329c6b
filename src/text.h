/*
 * text.h -- Chinese free text made ready for statistics: UTF-8 validation,
 * NFKC normalisation with case folding (utf8proc), punctuation and white
 * space treated as boundaries, and character n-grams hashed into a fixed
 * feature space.  Used by the classifier (classify.c) and the near-duplicate
 * detector (dedup.c).  No word segmenter is needed: character uni-, bi- and
 * tri-grams carry the words of Chinese text well enough for both.
 *
 * Every entry point refuses texts longer than TEXT_MAX_BYTES (JC_ERR_TOOBIG)
 * and texts that are not valid UTF-8 or contain NUL bytes (JC_ERR_INVALID).
 */
#ifndef JC_TEXT_H
#define JC_TEXT_H

#include "jc.h"

#include <stddef.h>
#include <stdint.h>

/* Hard cap on one input text, in bytes of UTF-8 (1 MiB). */
#define TEXT_MAX_BYTES ((size_t)1 << 20)

/* How n-grams are taken.  Zero-initialised options are not valid; start from
 * text_opts_default(). */
typedef struct {
    int min_n, max_n;  /* n-gram lengths in code points, 1 <= min_n <= max_n <= 4 */
    int bits;          /* feature space has 2^bits slots, 12 <= bits <= 24 */
    int fold_digits;   /* map every decimal digit to '0' (dates, phone numbers) */
    uint32_t ns;       /* namespace mixed into the hash (e.g. title vs body) */
} text_opts;

/* Uni- to tri-grams, 2^20 slots, digits folded, namespace 0. */
text_opts text_opts_default(void);

/* Normalises s[0..n): validates UTF-8, applies NFKC with case folding
 * (full-width ＡＢＣ１２３ becomes abc123), turns every run of white space,
 * punctuation, symbols and control characters into one ASCII space, trims
 * both ends.  On success *out is a NUL-terminated string the caller frees
 * and *outlen its length.  Errors: JC_ERR_TOOBIG (n > TEXT_MAX_BYTES),
 * JC_ERR_INVALID (bad UTF-8 or NUL), JC_ERR_NOMEM. */
jc_err text_normalize(const char *s, size_t n, char **out, size_t *outlen) JC_MUST_CHECK;

/* The code points of a normalised text, with separators kept as ' '.
 * *cps is malloc'd (caller frees), *ncps its length.  Same errors as
 * text_normalize. */
jc_err text_codepoints(const char *s, size_t n, uint32_t **cps, size_t *ncps) JC_MUST_CHECK;

/* Like text_codepoints, but reuses the caller's buffer *cps of *cap code
 * points (growing it with realloc; the caller frees *cps in the end). */
jc_err text_codepoints_buf(const char *s, size_t n, uint32_t **cps, size_t *cap,
                           size_t *ncps) JC_MUST_CHECK;

/* Called once per n-gram: the hashed slot, the gram's code points and their
 * count.  Grams never span a separator. */
typedef void (*text_gram_fn)(void *ctx, uint32_t slot, const uint32_t *cp, int len);

/* Calls fn for every n-gram of the code points cps[0..n) (as produced by
 * text_codepoints) in text order.  Returns the number of grams. */
size_t text_grams_cp(const uint32_t *cps, size_t n, const text_opts *o, text_gram_fn fn,
                     void *ctx);

/* The slot of one gram (the same hash text_grams_cp uses). */
uint32_t text_gram_slot(const uint32_t *cp, int len, const text_opts *o);

/* One entry of a sparse vector. */
typedef struct {
    uint32_t slot;
    float val;
} text_feat;

/* A sparse vector: each slot at most once, in no particular order. */
typedef struct {
    text_feat *f; /* owned */
    size_t n, cap;
} text_vec;

/* Frees the entries; v itself may be reused.  NULL is a no-op. */
void text_vec_free(text_vec *v);

/* A reusable n-gram counter (an open-addressing table that is cleared in
 * time proportional to what was added, so one counter serves many texts). */
typedef struct text_counter text_counter;

/* Creates a counter; NULL on allocation failure.  Free with
 * text_counter_free (NULL is a no-op). */
text_counter *text_counter_new(void);
void text_counter_free(text_counter *c);
/* Forgets every count. */
void text_counter_reset(text_counter *c);
/* Counts the grams of code points cps[0..n).  JC_ERR_NOMEM on failure. */
jc_err text_counter_add(text_counter *c, const uint32_t *cps, size_t n, const text_opts *o) JC_MUST_CHECK;
/* Writes the counts into v (replacing its entries): each slot once, value
 * = raw count. */
jc_err text_counter_vec(const text_counter *c, text_vec *v) JC_MUST_CHECK;

/* Convenience: normalises s[0..n) and counts its grams into v.  Errors as
 * text_normalize; on failure v is left empty. */
jc_err text_count(const char *s, size_t n, const text_opts *o, text_vec *v) JC_MUST_CHECK;

/* Writes the UTF-8 of code points cp[0..len) into out (NUL-terminated,
 * truncated to outsz).  Returns the number of bytes written. */
size_t text_cp_to_utf8(const uint32_t *cp, int len, char *out, size_t outsz);

/* True when s[0..n) is valid UTF-8 without NUL bytes (the same answer as
 * jc_utf8_valid, with a fast path for ASCII and 3-byte sequences). */
int text_utf8_valid(const char *s, size_t n);

/* 64-bit FNV-1a of bytes, for callers that hash whole strings. */
uint64_t text_fnv1a64(const void *p, size_t n);

#endif
