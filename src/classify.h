/*
 * classify.h -- a linear classifier of Chinese citizen reports into
 * categories, trained in C from labelled examples (subsystem 2, 研判).
 *
 * Features are hashed character n-grams of the NFKC-normalised title and
 * body (text.h), weighted by sublinear TF times smoothed IDF and
 * L2-normalised.  Two learners: a one-vs-rest linear SVM (squared hinge,
 * dual coordinate descent as in liblinear) and multinomial logistic
 * regression (Adagrad SGD with L2).  Training is deterministic: the same
 * data and parameters give the same model bytes.
 *
 * The model file is binary, little-endian, with a magic, a format version,
 * the label names, the hash-space size, a creation stamp and a BLAKE2b
 * checksum; see docs/classify.md.  CSV loading (libcsv) and k-fold
 * cross-validation live here too.
 */
#ifndef JC_CLASSIFY_H
#define JC_CLASSIFY_H

#include "jc.h"
#include "text.h"

#include <stddef.h>
#include <stdint.h>

#define CLASSIFY_FORMAT_VERSION 1
#define CLASSIFY_MAX_LABELS 256
#define CLASSIFY_MAX_TOP 16
#define CLASSIFY_MAX_GRAMS 16
/* A model file larger than this is refused on load. */
#define CLASSIFY_MAX_FILE ((size_t)512 << 20)
/* A CSV file with more rows than this is refused. */
#define CLASSIFY_MAX_ROWS 1000000

typedef enum { CLASSIFY_SVM = 1, CLASSIFY_LOGREG = 2 } classify_algo;

typedef struct {
    classify_algo algo;
    text_opts grams;     /* n-gram lengths, hash bits, digit folding */
    int title_ns;        /* also count title grams in a namespace of their own */
    int sublinear_tf;    /* 1 + ln(tf) instead of the raw count */
    int body_lead;       /* use only the first N code points of the body (0 = all) */
    double C;            /* SVM: cost (liblinear's C) */
    int max_iter;        /* SVM: outer iterations of coordinate descent */
    int epochs;          /* logreg: passes over the data */
    double lr, l2;       /* logreg: Adagrad step and L2 strength */
    uint64_t seed;       /* shuffling */
    int64_t created_ms;  /* stamp written into the model; 0 = now */
} classify_params;

/* SVM, uni- and bi-grams, 2^20 slots, title namespace on, raw TF, the
 * first 200 code points of the body, C = 10, seed 42 (chosen by 5-fold
 * cross-validation, see docs/classify.md). */
classify_params classify_params_default(void);

/* Rows of labelled (or unlabelled) text.  All strings are owned. */
typedef struct {
    char **title, **text, **label; /* label[i] NULL when unlabelled */
    size_t n, cap;
} classify_data;

/* Appends one row (copies the strings; title/label may be NULL). */
jc_err classify_data_add(classify_data *d, const char *title, const char *text,
                         const char *label) JC_MUST_CHECK;
/* Frees every row; d may be reused.  NULL is a no-op. */
void classify_data_free(classify_data *d);

/* Which CSV columns to read, by header name.  NULL title_col = no title;
 * NULL label_col = labels not read. */
typedef struct {
    const char *title_col, *text_col, *label_col;
} classify_cols;

/* 留言主题 / 留言详情 / 一级分类. */
classify_cols classify_cols_default(void);

/* Reads a CSV file with a header row (UTF-8, optional BOM; quoted fields
 * may hold newlines) and appends its rows to d.  When need_label is set a
 * missing label column or an empty label is an error.  Errors:
 * JC_ERR_IO (cannot read), JC_ERR_INVALID (malformed CSV, missing column,
 * invalid UTF-8), JC_ERR_TOOBIG (a field over TEXT_MAX_BYTES or too many
 * rows), JC_ERR_NOMEM; a readable message goes to msg.  On failure d is
 * unchanged. */
jc_err classify_load_csv(const char *path, const classify_cols *cols, int need_label,
                         classify_data *d, char *msg, size_t msgsz) JC_MUST_CHECK;

typedef struct classify_model classify_model;

/* Trains a model on every labelled row of d.  *out is owned by the caller
 * (classify_free).  Errors: JC_ERR_INVALID (fewer than 2 labels, a row
 * without label, bad text), JC_ERR_TOOBIG (more than CLASSIFY_MAX_LABELS),
 * JC_ERR_NOMEM; message in msg. */
jc_err classify_train(const classify_data *d, const classify_params *p, classify_model **out,
                      char *msg, size_t msgsz) JC_MUST_CHECK;
/* NULL is a no-op. */
void classify_free(classify_model *m);

/* Number of labels, a label's name (owned by the model), hash bits,
 * creation stamp. */
int classify_nlabels(const classify_model *m);
const char *classify_label(const classify_model *m, int i);
int classify_bits(const classify_model *m);
int64_t classify_created_ms(const classify_model *m);

typedef struct {
    int label;    /* index into the model's labels */
    double prob;  /* softmax of scores (SVM: of margins, an uncalibrated proxy) */
} classify_score;

typedef struct {
    char text[64];  /* the n-gram as it appears in the normalised text */
    double weight;  /* its contribution to the top label's score */
} classify_gram;

typedef struct {
    int ntop;
    classify_score top[CLASSIFY_MAX_TOP]; /* best first */
    int ngrams;
    classify_gram grams[CLASSIFY_MAX_GRAMS]; /* heaviest first */
} classify_pred;

/* Scratch space for predictions (one per thread). */
typedef struct classify_scratch classify_scratch;
classify_scratch *classify_scratch_new(void);
void classify_scratch_free(classify_scratch *s);

/* Predicts the top k (1..CLASSIFY_MAX_TOP) labels of (title, text) and, when
 * ngrams > 0, the n-grams that weighed most for the best one.  title may be
 * NULL.  scratch may be NULL (then allocated for this call).  Errors:
 * JC_ERR_INVALID (bad UTF-8, k out of range, nothing to classify: no
 * letter or digit in title and text), JC_ERR_TOOBIG (a text over
 * TEXT_MAX_BYTES), JC_ERR_NOMEM. */
jc_err classify_predict(const classify_model *m, classify_scratch *scratch, const char *title,
                        const char *text, int k, int ngrams, classify_pred *out) JC_MUST_CHECK;

/* True when the best label's probability is below threshold: the case
 * should be categorised by a person. */
int classify_needs_human(const classify_pred *p, double threshold);

/* Writes the model to path (atomically: a temporary file renamed).
 * JC_ERR_IO on failure. */
jc_err classify_save(const classify_model *m, const char *path) JC_MUST_CHECK;
/* Serialises the model into *buf (caller frees) of *len bytes. */
jc_err classify_serialize(const classify_model *m, unsigned char **buf, size_t *len) JC_MUST_CHECK;
/* Reads a model.  JC_ERR_IO (cannot read), JC_ERR_CORRUPT (not a model
 * file, another format version, truncated or altered: checksum mismatch),
 * JC_ERR_TOOBIG, JC_ERR_NOMEM; a message in msg. */
jc_err classify_load(const char *path, classify_model **out, char *msg, size_t msgsz) JC_MUST_CHECK;
jc_err classify_deserialize(const unsigned char *buf, size_t len, classify_model **out, char *msg,
                            size_t msgsz) JC_MUST_CHECK;

/* ---- evaluation ------------------------------------------------------ */

typedef struct {
    int nlabels;
    char **labels;       /* owned */
    size_t n, correct;
    double accuracy, macro_f1;
    double *precision, *recall, *f1; /* per label, owned */
    size_t *support;                 /* true rows per label */
} classify_report;

void classify_report_free(classify_report *r);

/* The deterministic fold of each row: a Fisher-Yates permutation of 0..n-1
 * seeded with seed, row perm[i] in fold i mod k.  folds has n entries. */
void classify_folds(size_t n, int k, uint64_t seed, int *folds);

/* k-fold cross-validation on d with folds from classify_folds (or given in
 * folds when not NULL).  Errors as classify_train. */
jc_err classify_eval_folds(const classify_data *d, const classify_params *p, int k,
                           const int *folds, classify_report *r, char *msg,
                           size_t msgsz) JC_MUST_CHECK;

/* Trains on train, scores on test (labels of test not in train count as
 * errors). */
jc_err classify_eval_split(const classify_data *train, const classify_data *test,
                           const classify_params *p, classify_report *r, char *msg,
                           size_t msgsz) JC_MUST_CHECK;

#endif
