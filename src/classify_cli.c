/*
 * classify_cli.c -- `jiceng classify`: train a text classifier from a CSV
 * file, cross-validate it, and classify reports from the command line.
 * The library is classify.h; this file only parses arguments and prints.
 */
#include "classify.h"
#include "cli.h"
#include "module.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char help_main[] =
    "usage: jiceng classify <train|eval|predict> [options]   (--help on each)\n"
    "Trains and runs the Chinese text classifier (hashed character n-grams,\n"
    "linear SVM or logistic regression).  See docs/classify.md.\n";

static const char help_train[] =
    "usage: jiceng classify train --data FILE.csv --out MODEL [options]\n"
    "Trains a model from a CSV file with a header row and writes it to MODEL.\n"
    "  --title-col C   title column (default 留言主题; '' for none)\n"
    "  --text-col C    text column (default 留言详情)\n"
    "  --label-col C   label column (default 一级分类)\n"
    "  --algo A        svm (default) or logreg\n"
    "  --ngrams N-M    character n-gram lengths (default 1-2)\n"
    "  --body-lead N   use the first N code points of the text (default 200, 0 = all)\n"
    "  --sublinear     1 + ln(tf) instead of raw term counts\n"
    "  --bits B        hash space 2^B slots, 12..24 (default 20)\n"
    "  --no-title-ns   do not count the title a second time in its own namespace\n"
    "  --C X (default 10), --epochs N, --lr X, --l2 X, --seed N   learner settings\n"
    "Example:\n"
    "  jiceng classify train --data data/seed_texts.csv --title-col title \\\n"
    "      --text-col text --label-col category --out var/seed.model\n";

static const char help_eval[] =
    "usage: jiceng classify eval --data FILE.csv [--folds K] [--folds-out FILE]\n"
    "       jiceng classify eval --train A.csv --test B.csv\n"
    "Prints accuracy, macro-F1 and per-class precision/recall/F1.\n"
    "k-fold (default 5): row i of the data (0-based, header excluded) goes to\n"
    "the fold given by a seeded permutation; --folds-out writes 'row,fold'.\n"
    "  --json          print one JSON object instead of the table\n"
    "  plus the column and learner options of `train`.\n";

static const char help_predict[] =
    "usage: jiceng classify predict --model MODEL [--top K] [--grams N]\n"
    "                               [--threshold P] [--title T] [--text T]\n"
    "       jiceng classify predict --model MODEL --data FILE.csv [--repeat N]\n"
    "Without --text, reads stdin: the first line is the title, the rest the text\n"
    "(a single line is the text).  Prints JSON: the top K labels with\n"
    "probabilities (softmax of scores; for the SVM of margins, not calibrated),\n"
    "the n-grams that weighed most for the best label, and needs_human when the\n"
    "best probability is below --threshold (default 0.5).\n"
    "With --data: one JSON line per row; the rate (texts/s, classification only,\n"
    "texts already in memory) goes to stderr; --repeat N times over the rows.\n"
    "Example:\n"
    "  echo '小区门口路灯坏了好几天，晚上一片漆黑' | jiceng classify predict --model var/seed.model\n";

typedef struct {
    const char *data, *out, *model, *train, *test, *folds_out, *text, *title;
    classify_cols cols;
    classify_params p;
    int folds, top, grams, json, repeat;
    double threshold;
} opts;

static int parse_int(const char *s, int lo, int hi, int *out) {
    int64_t v;
    if (jc_parse_i64(s, &v) || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

static int parse_double(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

/* Parses the options shared by the subcommands; returns -1 after printing a
 * usage error (the exit code is then JC_EXIT_USAGE). */
static int parse_opts(const char *cmd, int argc, char **argv, opts *o) {
    memset(o, 0, sizeof *o);
    o->cols = classify_cols_default();
    o->p = classify_params_default();
    o->folds = 5;
    o->top = 3;
    o->grams = 5;
    o->repeat = 1;
    o->threshold = 0.5;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
#define STR_OPT(name, field)                                                  \
    if (!strcmp(a, name)) {                                                   \
        if (!v) return cli_usage_error(cmd, "%s needs a value", a), -1;       \
        field = v;                                                            \
        i++;                                                                  \
        continue;                                                             \
    }
        STR_OPT("--data", o->data)
        STR_OPT("--out", o->out)
        STR_OPT("--model", o->model)
        STR_OPT("--train", o->train)
        STR_OPT("--test", o->test)
        STR_OPT("--folds-out", o->folds_out)
        STR_OPT("--text", o->text)
        STR_OPT("--title", o->title)
        STR_OPT("--title-col", o->cols.title_col)
        STR_OPT("--text-col", o->cols.text_col)
        STR_OPT("--label-col", o->cols.label_col)
#undef STR_OPT
        if (!strcmp(a, "--json")) {
            o->json = 1;
            continue;
        }
        if (!strcmp(a, "--sublinear")) {
            o->p.sublinear_tf = 1;
            continue;
        }
        if (!strcmp(a, "--no-title-ns")) {
            o->p.title_ns = 0;
            continue;
        }
        if (!v) return cli_usage_error(cmd, "unknown option or missing value: '%s'", a), -1;
        i++;
        if (!strcmp(a, "--folds")) bad = parse_int(v, 2, 100, &o->folds);
        else if (!strcmp(a, "--top")) bad = parse_int(v, 1, CLASSIFY_MAX_TOP, &o->top);
        else if (!strcmp(a, "--grams")) bad = parse_int(v, 0, CLASSIFY_MAX_GRAMS, &o->grams);
        else if (!strcmp(a, "--repeat")) bad = parse_int(v, 1, 1000000, &o->repeat);
        else if (!strcmp(a, "--body-lead")) bad = parse_int(v, 0, 1 << 20, &o->p.body_lead);
        else if (!strcmp(a, "--bits")) bad = parse_int(v, 12, 24, &o->p.grams.bits);
        else if (!strcmp(a, "--epochs")) bad = parse_int(v, 1, 10000, &o->p.epochs);
        else if (!strcmp(a, "--threshold")) bad = parse_double(v, &o->threshold);
        else if (!strcmp(a, "--C")) bad = parse_double(v, &o->p.C) || o->p.C <= 0;
        else if (!strcmp(a, "--lr")) bad = parse_double(v, &o->p.lr) || o->p.lr <= 0;
        else if (!strcmp(a, "--l2")) bad = parse_double(v, &o->p.l2) || o->p.l2 < 0;
        else if (!strcmp(a, "--seed")) {
            int64_t s;
            bad = jc_parse_i64(v, &s) || s < 0;
            o->p.seed = (uint64_t)s;
        } else if (!strcmp(a, "--algo")) {
            if (!strcmp(v, "svm")) o->p.algo = CLASSIFY_SVM;
            else if (!strcmp(v, "logreg")) o->p.algo = CLASSIFY_LOGREG;
            else bad = 1;
        } else if (!strcmp(a, "--ngrams")) {
            int lo, hi;
            char lo_s[8], hi_s[8];
            const char *dash = strchr(v, '-');
            if (!dash || dash - v >= (int)sizeof lo_s || strlen(dash + 1) >= sizeof hi_s) bad = 1;
            else {
                memcpy(lo_s, v, (size_t)(dash - v));
                lo_s[dash - v] = 0;
                memcpy(hi_s, dash + 1, strlen(dash + 1) + 1);
                bad = parse_int(lo_s, 1, 4, &lo) || parse_int(hi_s, lo, 4, &hi);
                if (!bad) o->p.grams.min_n = lo, o->p.grams.max_n = hi;
            }
        } else return cli_usage_error(cmd, "unknown option '%s'", a), -1;
        if (bad) return cli_usage_error(cmd, "bad value for %s: '%s'", a, v), -1;
    }
    if (o->cols.title_col && !o->cols.title_col[0]) o->cols.title_col = NULL;
    return 0;
}

static int load(const char *cmd, const char *path, const opts *o, int need_label,
                classify_data *d) {
    char msg[512];
    jc_err e = classify_load_csv(path, &o->cols, need_label, d, msg, sizeof msg);
    if (e) {
        fprintf(stderr, "jiceng classify %s: %s: %s (%s)\n", cmd, path, msg, jc_err_code(e));
        return -1;
    }
    return 0;
}

static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p == '\n') fputs("\\n", f);
        else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

/* ------------------------------------------------------------- train */

static int cmd_train(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) return fputs(help_train, stdout), JC_EXIT_OK;
    opts o;
    if (parse_opts("classify train", argc, argv, &o)) return JC_EXIT_USAGE;
    if (!o.data || !o.out) return cli_usage_error("classify train", "--data and --out are required");
    classify_data d = {0};
    if (load("train", o.data, &o, 1, &d)) return JC_EXIT_FAIL;
    classify_model *m = NULL;
    char msg[512];
    jc_err e = classify_train(&d, &o.p, &m, msg, sizeof msg);
    if (e) {
        fprintf(stderr, "jiceng classify train: %s (%s)\n", msg, jc_err_code(e));
        classify_data_free(&d);
        return JC_EXIT_FAIL;
    }
    e = classify_save(m, o.out);
    if (e) fprintf(stderr, "jiceng classify train: cannot write %s (%s)\n", o.out, jc_err_code(e));
    else printf("%s: %zu rows, %d labels\n", o.out, d.n, classify_nlabels(m));
    classify_free(m);
    classify_data_free(&d);
    return e ? JC_EXIT_FAIL : JC_EXIT_OK;
}

/* -------------------------------------------------------------- eval */

static void print_report(const classify_report *r, const char *what, int json) {
    if (json) {
        printf("{\"what\":");
        json_str(stdout, what);
        printf(",\"n\":%zu,\"accuracy\":%.6f,\"macro_f1\":%.6f,\"classes\":[", r->n, r->accuracy,
               r->macro_f1);
        for (int i = 0; i < r->nlabels; i++) {
            printf("%s{\"label\":", i ? "," : "");
            json_str(stdout, r->labels[i]);
            printf(",\"precision\":%.6f,\"recall\":%.6f,\"f1\":%.6f,\"support\":%zu}",
                   r->precision[i], r->recall[i], r->f1[i], r->support[i]);
        }
        printf("]}\n");
        return;
    }
    printf("%s: %zu rows\n", what, r->n);
    printf("accuracy  %.4f\nmacro-F1  %.4f\n\n", r->accuracy, r->macro_f1);
    printf("%-9s %-9s %-9s %-8s label\n", "precision", "recall", "f1", "support");
    for (int i = 0; i < r->nlabels; i++)
        printf("%-9.4f %-9.4f %-9.4f %-8zu %s\n", r->precision[i], r->recall[i], r->f1[i],
               r->support[i], r->labels[i]);
}

static int cmd_eval(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) return fputs(help_eval, stdout), JC_EXIT_OK;
    opts o;
    if (parse_opts("classify eval", argc, argv, &o)) return JC_EXIT_USAGE;
    if (!o.data == !(o.train && o.test))
        return cli_usage_error("classify eval", "give either --data or both --train and --test");
    classify_report r;
    char msg[512];
    jc_err e;
    char what[256];
    if (o.data) {
        classify_data d = {0};
        if (load("eval", o.data, &o, 1, &d)) return JC_EXIT_FAIL;
        if ((size_t)o.folds > d.n) {
            classify_data_free(&d);
            return cli_usage_error("classify eval", "more folds than rows");
        }
        int *folds = malloc(d.n * sizeof *folds);
        if (!folds) {
            classify_data_free(&d);
            return JC_EXIT_FAIL;
        }
        classify_folds(d.n, o.folds, o.p.seed, folds);
        if (o.folds_out) {
            FILE *f = fopen(o.folds_out, "w");
            int ok = f != NULL;
            if (f) {
                fprintf(f, "row,fold\n");
                for (size_t i = 0; i < d.n; i++) fprintf(f, "%zu,%d\n", i, folds[i]);
                ok = fclose(f) == 0;
            }
            if (!ok) {
                fprintf(stderr, "jiceng classify eval: cannot write %s\n", o.folds_out);
                free(folds);
                classify_data_free(&d);
                return JC_EXIT_FAIL;
            }
        }
        e = classify_eval_folds(&d, &o.p, o.folds, folds, &r, msg, sizeof msg);
        snprintf(what, sizeof what, "%d-fold cross-validation of %s", o.folds, o.data);
        free(folds);
        classify_data_free(&d);
    } else {
        classify_data tr = {0}, te = {0};
        if (load("eval", o.train, &o, 1, &tr)) return JC_EXIT_FAIL;
        if (load("eval", o.test, &o, 1, &te)) {
            classify_data_free(&tr);
            return JC_EXIT_FAIL;
        }
        e = classify_eval_split(&tr, &te, &o.p, &r, msg, sizeof msg);
        snprintf(what, sizeof what, "trained on %s, tested on %s", o.train, o.test);
        classify_data_free(&tr);
        classify_data_free(&te);
    }
    if (e) {
        fprintf(stderr, "jiceng classify eval: %s (%s)\n", msg, jc_err_code(e));
        return JC_EXIT_FAIL;
    }
    print_report(&r, what, o.json);
    classify_report_free(&r);
    return JC_EXIT_OK;
}

/* ----------------------------------------------------------- predict */

static void print_pred(const classify_model *m, const classify_pred *p, double threshold) {
    printf("{\"top\":[");
    for (int i = 0; i < p->ntop; i++) {
        printf("%s{\"label\":", i ? "," : "");
        json_str(stdout, classify_label(m, p->top[i].label));
        printf(",\"prob\":%.4f}", p->top[i].prob);
    }
    printf("],\"grams\":[");
    for (int i = 0; i < p->ngrams; i++) {
        printf("%s{\"gram\":", i ? "," : "");
        json_str(stdout, p->grams[i].text);
        printf(",\"weight\":%.4f}", p->grams[i].weight);
    }
    printf("],\"needs_human\":%s}\n", classify_needs_human(p, threshold) ? "true" : "false");
}

static char *read_stdin(size_t cap) {
    jc_buf b;
    jc_buf_init(&b, cap);
    char tmp[65536];
    size_t got;
    while ((got = fread(tmp, 1, sizeof tmp, stdin)) > 0)
        if (jc_buf_append(&b, tmp, got)) {
            jc_buf_free(&b);
            return NULL;
        }
    if (!b.data) return jc_strdup("");
    return jc_buf_take(&b);
}

static int cmd_predict(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) return fputs(help_predict, stdout), JC_EXIT_OK;
    opts o;
    if (parse_opts("classify predict", argc, argv, &o)) return JC_EXIT_USAGE;
    if (!o.model) return cli_usage_error("classify predict", "--model is required");
    classify_model *m = NULL;
    char msg[512];
    jc_err e = classify_load(o.model, &m, msg, sizeof msg);
    if (e) {
        fprintf(stderr, "jiceng classify predict: %s (%s)\n", msg, jc_err_code(e));
        return JC_EXIT_FAIL;
    }
    int rc = JC_EXIT_OK;
    classify_scratch *s = classify_scratch_new();
    if (!s) {
        classify_free(m);
        return JC_EXIT_FAIL;
    }
    classify_pred p;
    if (o.data) {
        classify_data d = {0};
        if (load("predict", o.data, &o, 0, &d)) rc = JC_EXIT_FAIL;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        size_t done = 0;
        for (int rep = 0; rc == JC_EXIT_OK && rep < o.repeat; rep++)
            for (size_t i = 0; i < d.n; i++) {
                e = classify_predict(m, s, d.title[i], d.text[i], o.top, 0, &p);
                if (e) {
                    fprintf(stderr, "jiceng classify predict: row %zu: %s\n", i + 1, jc_err_code(e));
                    rc = JC_EXIT_FAIL;
                    break;
                }
                done++;
                if (rep == o.repeat - 1 && !o.json) print_pred(m, &p, o.threshold);
            }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        if (rc == JC_EXIT_OK) {
            fprintf(stderr, "classified %zu texts in %.3f s: %.0f texts/s\n", done, secs,
                    secs > 0 ? (double)done / secs : 0.0);
            if (o.json) printf("{\"texts\":%zu,\"seconds\":%.6f,\"per_second\":%.1f}\n", done, secs,
                               secs > 0 ? (double)done / secs : 0.0);
        }
        classify_data_free(&d);
    } else {
        char *in = NULL;
        const char *title = o.title, *text = o.text;
        if (!text) {
            in = read_stdin(TEXT_MAX_BYTES * 2 + 2);
            if (!in) {
                fprintf(stderr, "jiceng classify predict: input larger than %zu bytes (too_big)\n",
                        TEXT_MAX_BYTES * 2);
                rc = JC_EXIT_FAIL;
            } else {
                size_t l = strlen(in);
                while (l && (in[l - 1] == '\n' || in[l - 1] == '\r')) in[--l] = 0;
                char *nl = strchr(in, '\n');
                if (nl && !title) {
                    *nl = 0;
                    if (nl > in && nl[-1] == '\r') nl[-1] = 0;
                    title = in;
                    text = nl + 1;
                } else text = in;
            }
        }
        if (rc == JC_EXIT_OK) {
            e = classify_predict(m, s, title, text, o.top, o.grams, &p);
            if (e) {
                fprintf(stderr, "jiceng classify predict: %s\n",
                        e == JC_ERR_TOOBIG    ? "text larger than 1 MiB (too_big)"
                        : e == JC_ERR_INVALID ? "text is empty or not valid UTF-8 (invalid)"
                                              : jc_err_code(e));
                rc = JC_EXIT_FAIL;
            } else print_pred(m, &p, o.threshold);
        }
        free(in);
    }
    classify_scratch_free(s);
    classify_free(m);
    return rc;
}

static int cmd_classify(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(help_main, argc < 2 ? stderr : stdout);
        return argc < 2 ? JC_EXIT_USAGE : JC_EXIT_OK;
    }
    if (!strcmp(argv[1], "train")) return cmd_train(argc - 1, argv + 1);
    if (!strcmp(argv[1], "eval")) return cmd_eval(argc - 1, argv + 1);
    if (!strcmp(argv[1], "predict")) return cmd_predict(argc - 1, argv + 1);
    return cli_usage_error("classify", "unknown subcommand '%s'", argv[1]);
}

/* The classify module's row (src/modules.c): the `jiceng classify` command. */
const jc_module module_classify = {
    .name = "classify",
    .store_h_only = 1, /* no tables or SQL of its own: runs on every backend */
    .commands = {{"classify", cmd_classify, "train, evaluate and run the report text classifier"}},
};
