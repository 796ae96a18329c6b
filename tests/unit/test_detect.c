/*
 * test_detect.c -- the detectors of src/detect.c against the outputs of R
 * package surveillance 1.20.3 (the files in $JICENG_SHARED/data/surveillance,
 * made by ref.R there), plus the CSV reader on hostile input.
 *
 * Upper bounds must agree within 1e-6 relative to max(1, |R value|), i.e.
 * absolute below 1 and relative above; alarms and NA must agree exactly.
 */
#include "t.h"

#include "detect.h"

#include <stdint.h>

#define TOL 1e-6

/* ---- helpers ------------------------------------------------------------ */

static char *slurp(const char *name, size_t *len) {
    const char *base = getenv("JICENG_SHARED");
    char path[1024];
    snprintf(path, sizeof path, "%s/data/surveillance/%s", base && *base ? base : "../shared", name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s (set JICENG_SHARED)\n", path);
        return NULL;
    }
    char *buf = NULL;
    size_t cap = 0, n = 0, r;
    do {
        if (n + 4096 > cap) {
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, cap + 1);
            if (!nb) break;
            buf = nb;
        }
        r = fread(buf + n, 1, cap - n, f);
        n += r;
    } while (r > 0);
    fclose(f);
    if (buf) buf[n] = 0;
    *len = n;
    return buf;
}

typedef struct {
    int n;
    long long idx[1000];
    double observed[1000], upper[1000];
    int alarm[1000];
} ref_table;

/* Reads an R reference CSV: idx,[date,]observed,upperbound,alarm. */
static int load_ref(const char *name, ref_table *r) {
    size_t len;
    char *txt = slurp(name, &len);
    if (!txt) return -1;
    r->n = 0;
    char *save = NULL, *line = strtok_r(txt, "\n", &save);
    int dated = line && strstr(line, "date") != NULL;
    while ((line = strtok_r(NULL, "\n", &save)) && r->n < 1000) {
        char *f[6] = {0}, *s2 = NULL;
        int nf = 0;
        for (char *tok = strtok_r(line, ",", &s2); tok && nf < 6; tok = strtok_r(NULL, ",", &s2))
            f[nf++] = tok;
        if (nf != (dated ? 5 : 4)) break;
        int o = dated ? 1 : 0;
        r->idx[r->n] = atoll(f[0]);
        r->observed[r->n] = atof(f[1 + o]);
        r->upper[r->n] = strcmp(f[2 + o], "NA") ? atof(f[2 + o]) : NAN;
        r->alarm[r->n] = atoi(f[3 + o]);
        r->n++;
    }
    free(txt);
    return r->n > 0 ? 0 : -1;
}

static int load_input(const char *name, detect_series *s) {
    size_t len;
    char *txt = slurp(name, &len);
    if (!txt) return -1;
    char err[256];
    jc_err e = detect_series_parse_csv(txt, len, s, err, sizeof err);
    free(txt);
    if (e) fprintf(stderr, "%s: %s\n", name, err);
    return e ? -1 : 0;
}

/* Runs method over the reference's range and compares row by row.
 * Returns the number of rows that differ (printing each), -1 on setup error. */
static int compare(const char *input, const char *refname, const detect_params *p,
                   int use_dates, double *maxdiff) {
    detect_series s;
    static ref_table r;
    if (load_input(input, &s) || load_ref(refname, &r)) return -1;
    detect_point *out = calloc((size_t)r.n, sizeof *out);
    size_t nout = 0;
    jc_err e = detect_run(s.counts, use_dates ? s.dates : NULL, s.n, p, (size_t)r.idx[0],
                          (size_t)r.idx[r.n - 1], out, &nout);
    int bad = 0;
    *maxdiff = 0;
    if (e || nout != (size_t)r.n) {
        fprintf(stderr, "detect_run: %s, %zu rows\n", jc_err_code(e), nout);
        bad = -1;
    }
    for (int i = 0; !bad && i < r.n; i++) {
        const detect_point *pt = &out[i];
        double d = isnan(r.upper[i]) ? (isnan(pt->upperbound) ? 0 : INFINITY)
                                     : fabs(pt->upperbound - r.upper[i]) / fmax(1, fabs(r.upper[i]));
        if (d > *maxdiff) *maxdiff = d;
        if (pt->pos != r.idx[i] || pt->observed != r.observed[i] || pt->alarm != r.alarm[i] ||
            !(d <= TOL)) {
            fprintf(stderr, "%s row %lld: ub %.12g (R %.12g) alarm %d (R %d)\n", refname,
                    r.idx[i], pt->upperbound, r.upper[i], pt->alarm, r.alarm[i]);
            bad++;
        }
    }
    free(out);
    detect_series_free(&s);
    return bad;
}

/* ---- EARS ---------------------------------------------------------------- */

static void ears_case(detect_method m, const char *ref) {
    detect_params p;
    detect_params_default(&p, m);
    p.alpha = 0.001; /* ref.R passes alpha = 0.001 for all three */
    double md;
    int bad = compare("salmNewport_national_input.csv", ref, &p, 0, &md);
    fprintf(stderr, "%s: max relative difference %.3g\n", ref, md);
    ASSERT_EQ(bad, 0);
}

TEST(ears_c1_matches_r) { ears_case(DETECT_EARS_C1, "earsC_C1_salmNewport.csv"); }
TEST(ears_c2_matches_r) { ears_case(DETECT_EARS_C2, "earsC_C2_salmNewport.csv"); }
TEST(ears_c3_matches_r) { ears_case(DETECT_EARS_C3, "earsC_C3_salmNewport.csv"); }

TEST(ears_range_limits) {
    double y[40];
    for (int i = 0; i < 40; i++) y[i] = i % 5;
    detect_point out[40];
    size_t n;
    detect_params p;
    detect_params_default(&p, DETECT_EARS_C2);
    ASSERT_EQ(detect_run(y, NULL, 40, &p, 9, 40, out, &n), JC_ERR_INVALID);
    ASSERT_OK(detect_run(y, NULL, 40, &p, 10, 40, out, &n));
    ASSERT_EQ(n, 31);
    detect_params_default(&p, DETECT_EARS_C3);
    ASSERT_EQ(detect_run(y, NULL, 40, &p, 11, 40, out, &n), JC_ERR_INVALID);
    ASSERT_OK(detect_run(y, NULL, 40, &p, 0, 0, out, &n));
    ASSERT_EQ(out[0].pos, 12);
    ASSERT_NEAR(p.alpha, 0.025, 0); /* R's C3 default when alpha is omitted */
    p.baseline = 2;
    ASSERT_EQ(detect_run(y, NULL, 40, &p, 0, 0, out, &n), JC_ERR_INVALID);
}

/* A spike after a flat history: C1 on 7 x {2,3} then 30 alarms, its
 * explanation names the numbers. */
TEST(ears_c1_spike_explained) {
    double y[8] = {2, 3, 2, 3, 2, 3, 2, 30};
    detect_params p;
    detect_params_default(&p, DETECT_EARS_C1);
    detect_point pt;
    size_t n;
    ASSERT_OK(detect_run(y, NULL, 8, &p, 8, 8, &pt, &n));
    ASSERT_EQ(pt.alarm, 1);
    ASSERT_NEAR(pt.expected, 17.0 / 7, 1e-12);
    /* sd of {2,3,2,3,2,3,2} = sqrt(12/49 * 7/6) */
    ASSERT_NEAR(pt.upperbound, 17.0 / 7 + 3.090232306167813 * sqrt(2.0 / 7), 1e-9);
    char buf[512];
    detect_explain(&pt, &p, buf, sizeof buf);
    ASSERT(strstr(buf, "WARNING") != NULL);
    ASSERT(strstr(buf, "observed 30") != NULL);
}

/* ---- CUSUM (values computed with R 1.20.3: algo.cusum on the series below) */

TEST(cusum_standard_matches_r) {
    /* R: x <- c(3,5,2,4,3,6,4,3,9,12,4,3);
     * algo.cusum(create.disProg(1:12, x, 0*x), control = list(range = 6:12)) */
    double x[12] = {3, 5, 2, 4, 3, 6, 4, 3, 9, 12, 4, 3};
    detect_params p;
    detect_params_default(&p, DETECT_CUSUM);
    detect_point out[7];
    size_t n;
    ASSERT_OK(detect_run(x, NULL, 12, &p, 6, 12, out, &n));
    ASSERT_EQ(n, 7);
    static const double ub[7] = {10, 9, 10, 10, 6, 0, 1};
    static const int al[7] = {0, 0, 0, 0, 1, 1, 1};
    for (int i = 0; i < 7; i++) {
        ASSERT_NEAR(out[i].upperbound, ub[i], 1e-9);
        ASSERT_EQ(out[i].alarm, al[i]);
    }
    ASSERT_NEAR(out[0].expected, 3.4, 1e-12);
}

TEST(cusum_rossi_anscombe_match_r) {
    double x[12] = {3, 5, 2, 4, 3, 6, 4, 3, 9, 12, 4, 3};
    detect_params p;
    detect_params_default(&p, DETECT_CUSUM);
    detect_point out[7];
    size_t n;
    p.trans = DETECT_TRANS_ROSSI;
    ASSERT_OK(detect_run(x, NULL, 12, &p, 6, 12, out, &n));
    static const double rossi[7] = {10.4489743936195, 9.81709611299598, 10.4489743936195, 10.4489743936195,
                                     6.75610927570955, 1.33732931255869, 2.46809757454101};
    for (int i = 0; i < 7; i++) ASSERT_NEAR(out[i].upperbound, rossi[i], 1e-9);
    ASSERT_EQ(out[6].alarm, 1);
    p.trans = DETECT_TRANS_ANSCOMBE;
    ASSERT_OK(detect_run(x, NULL, 12, &p, 6, 12, out, &n));
    static const double ans[7] = {11.0426109865639, 10.4120200429072, 11.0426109865639, 11.0426109865639,
                                   7.24268876510197, 2.04899055244725, 3.27353588640012};
    for (int i = 0; i < 7; i++) ASSERT_NEAR(out[i].upperbound, ans[i], 1e-9);
    ASSERT_EQ(out[5].alarm, 1);
    ASSERT_EQ(out[6].alarm, 0); /* anscombe's sum drops below h here, unlike standard */
}

/* ---- Farrington ----------------------------------------------------------- */

TEST(farrington_matches_r) {
    detect_params p;
    detect_params_default(&p, DETECT_FARRINGTON);
    p.b = 3;
    p.w = 3;
    p.alpha = 0.01;
    double md;
    int bad = compare("salmonella_agona_input.csv", "farrington_salmonella_agona.csv", &p, 0, &md);
    fprintf(stderr, "farrington: max relative difference %.3g\n", md);
    ASSERT_EQ(bad, 0);
}

TEST(farrington_flexible_matches_r) {
    detect_params p;
    detect_params_default(&p, DETECT_FARRINGTON_FLEX);
    p.b = 5;
    p.w = 3;
    p.no_periods = 10;
    p.alpha = 0.01;
    double md;
    int bad = compare("salmNewport_national_input.csv", "farringtonFlexible_salmNewport.csv", &p,
                      1, &md);
    fprintf(stderr, "farringtonFlexible: max relative difference %.3g\n", md);
    ASSERT_EQ(bad, 0);
}

/* ---- CSV reader on hostile input ------------------------------------------ */

static jc_err parse(const char *txt, detect_series *s, char *err, size_t errsz) {
    return detect_series_parse_csv(txt, strlen(txt), s, err, errsz);
}

TEST(csv_accepts_quoted_and_dated) {
    detect_series s;
    char err[200];
    ASSERT_OK(parse("\"idx\",\"date\",\"count\"\n1,\"2004-01-05\",0\n2,\"2004-01-12\",7\r\n", &s,
                    err, sizeof err));
    ASSERT_EQ(s.n, 2);
    ASSERT_EQ(s.counts[1], 7);
    ASSERT(s.dates != NULL);
    ASSERT_EQ(s.dates[1] - s.dates[0], 7);
    ASSERT_EQ(s.dates[0], 12422); /* 2004-01-05 */
    detect_series_free(&s);
    ASSERT_OK(parse("IDX,COUNT\n5,1\n6,2\n", &s, err, sizeof err));
    ASSERT_EQ(s.idx[0], 5);
    ASSERT(s.dates == NULL);
    detect_series_free(&s);
}

TEST(csv_rejects_hostile_input) {
    detect_series s;
    char err[200];
    ASSERT_EQ(parse("", &s, err, sizeof err), JC_ERR_INVALID);
    ASSERT(strstr(err, "empty") != NULL);
    ASSERT_EQ(parse("idx,count\n", &s, err, sizeof err), JC_ERR_INVALID);
    ASSERT(strstr(err, "no data") != NULL);
    ASSERT_EQ(parse("1,4\n2,5\n", &s, err, sizeof err), JC_ERR_INVALID);
    ASSERT(strstr(err, "header") != NULL);
    ASSERT_EQ(parse("idx,count\n1,4\n2,abc\n", &s, err, sizeof err), JC_ERR_INVALID);
    ASSERT(strstr(err, "line 3") != NULL && strstr(err, "abc") != NULL);
    ASSERT_EQ(parse("idx,count\n1,-4\n", &s, err, sizeof err), JC_ERR_INVALID);
    ASSERT(strstr(err, "negative") != NULL);
    ASSERT_EQ(parse("idx,count\n1,4.5\n", &s, err, sizeof err), JC_ERR_INVALID);
    ASSERT_EQ(parse("idx,count\n1,NA\n", &s, err, sizeof err), JC_ERR_INVALID);
    ASSERT_EQ(parse("idx,count\n1,\n", &s, err, sizeof err), JC_ERR_INVALID);
    ASSERT_EQ(parse("idx,count\n1,3\n3,4\n", &s, err, sizeof err), JC_ERR_INVALID);
    ASSERT(strstr(err, "follow") != NULL);
    ASSERT_EQ(parse("idx,count\n1\n", &s, err, sizeof err), JC_ERR_INVALID);
    ASSERT_EQ(parse("idx,date,count\n1,2021-02-30,3\n", &s, err, sizeof err), JC_ERR_INVALID);
    ASSERT(strstr(err, "date") != NULL);
    ASSERT_EQ(parse("idx,date,count\n1,2021-03-02,3\n2,2021-03-01,3\n", &s, err, sizeof err),
              JC_ERR_INVALID);
    ASSERT_EQ(parse("idx,count\n1,99999999999999999999999\n", &s, err, sizeof err), JC_ERR_INVALID);
    char longf[200];
    memset(longf, '1', sizeof longf);
    memcpy(longf, "idx,count\n1,", 12);
    longf[sizeof longf - 1] = 0;
    ASSERT_EQ(parse(longf, &s, err, sizeof err), JC_ERR_INVALID);
    ASSERT_EQ(s.n, 0); /* nothing is handed out on failure */
    ASSERT(s.counts == NULL);
}

TEST(run_rejects_bad_series) {
    double y[20] = {0};
    y[3] = -1;
    detect_params p;
    detect_params_default(&p, DETECT_EARS_C1);
    detect_point out[20];
    size_t n = 99;
    ASSERT_EQ(detect_run(y, NULL, 20, &p, 0, 0, out, &n), JC_ERR_INVALID);
    ASSERT_EQ(n, 0);
    y[3] = NAN;
    ASSERT_EQ(detect_run(y, NULL, 20, &p, 0, 0, out, &n), JC_ERR_INVALID);
    y[3] = 0;
    ASSERT_EQ(detect_run(y, NULL, 20, &p, 5, 30, out, &n), JC_ERR_INVALID);
    p.alpha = 0;
    ASSERT_EQ(detect_run(y, NULL, 20, &p, 0, 0, out, &n), JC_ERR_INVALID);
}

T_MAIN(T(ears_c1_matches_r), T(ears_c2_matches_r), T(ears_c3_matches_r), T(ears_range_limits),
       T(ears_c1_spike_explained), T(cusum_standard_matches_r), T(cusum_rossi_anscombe_match_r),
       T(farrington_matches_r), T(farrington_flexible_matches_r),
       T(csv_accepts_quoted_and_dated), T(csv_rejects_hostile_input), T(run_rejects_bad_series))
