/*
 * detect_cli.c -- `jiceng detect`: runs one early-warning detector of
 * detect.h over a count series read from stdin (CSV) and prints one row
 * per evaluated period.  Option names and defaults are those of the R
 * functions (earsC, algo.cusum, farrington, farringtonFlexible), so an R
 * call translates option by option; see docs/detect.md.
 */
#include "cli.h"
#include "module.h"
#include "detect.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DETECT_INPUT_CAP ((size_t)256 << 20) /* 256 MiB of CSV at most */

static const char help[] =
    "usage: jiceng detect --method METHOD [options] < counts.csv\n"
    "\n"
    "Runs a statistical early-warning detector over a count series and prints\n"
    "idx,observed,upperbound,alarm for every evaluated row (NA as R prints it).\n"
    "Input: CSV with a header row and the columns idx,count or idx,date,count\n"
    "(quoted or not; idx consecutive; date YYYY-MM-DD; counts whole and >= 0).\n"
    "\n"
    "methods (each equals an R surveillance 1.20.3 call, see docs/detect.md):\n"
    "  ears-c1 ears-c2 ears-c3   earsC(method = \"C1\"|\"C2\"|\"C3\")\n"
    "  cusum                     algo.cusum\n"
    "  farrington                farrington (algo.farrington, fitGLM.fast)\n"
    "  farrington-flexible       farringtonFlexible (uses dates when given)\n"
    "\n"
    "range (idx values of the input; default: the first row R allows, to the end):\n"
    "  --range-start I  --range-end I\n"
    "EARS:        --baseline 7  --alpha 0.001 (C3: 0.025)  --minSigma 0\n"
    "CUSUM:       --k 1.04  --h 2.26  --m MEAN (default: mean before the range)\n"
    "             --trans standard|rossi|anscombe|anscombe2nd|pearsonNegBin|none\n"
    "             --alpha 0.1 (the NB alpha of pearsonNegBin)\n"
    "Farrington:  --b 5  --w 3  --alpha 0.05  --reweight TRUE  --trend TRUE\n"
    "             --limit54 5,4  --powertrans 2/3|1/2|none  --freq 52\n"
    "flexible:    --noPeriods 1  --weightsThreshold 2.58  --pThresholdTrend 0.05\n"
    "             --pastWeeksNotIncluded W  --thresholdMethod delta\n"
    "             --populationOffset FALSE\n"
    "output:      --explain  adds a column with a sentence explaining each row\n"
    "\n"
    "example:\n"
    "  printf 'idx,count\\n1,3\\n2,4\\n3,2\\n4,5\\n5,3\\n6,4\\n7,3\\n8,19\\n' |\n"
    "    jiceng detect --method ears-c1\n"
    "\n"
    "exit: 0 ok, 1 bad input or the detector failed, 2 usage error (also a range\n"
    "that leaves too little history before it)\n";

#define usage_err(...) cli_usage_error("detect", __VA_ARGS__)

static int parse_double(const char *s, double *out) {
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

static int parse_int(const char *s, int *out) {
    int64_t v;
    if (jc_parse_i64(s, &v) || v < -1000000000 || v > 1000000000) return -1;
    *out = (int)v;
    return 0;
}

static int parse_bool(const char *s, int *out) {
    if (!strcmp(s, "TRUE") || !strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "T")) *out = 1;
    else if (!strcmp(s, "FALSE") || !strcmp(s, "false") || !strcmp(s, "0") || !strcmp(s, "F"))
        *out = 0;
    else return -1;
    return 0;
}

/* Reads all of stdin into b (capped). */
static jc_err read_stdin(jc_buf *b) {
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
        jc_err e = jc_buf_append(b, chunk, n);
        if (e) return e;
    }
    return ferror(stdin) ? JC_ERR_IO : JC_OK;
}

/* Prints a CSV field with quotes doubled. */
static void put_quoted(const char *s) {
    putchar('"');
    for (; *s; s++) {
        if (*s == '"') putchar('"');
        putchar(*s);
    }
    putchar('"');
}

/*
 * `jiceng detect --method M [options] < counts.csv`.  Returns JC_EXIT_OK,
 * JC_EXIT_FAIL on bad input or a failed detector, JC_EXIT_USAGE on bad
 * options.  Writes the result table to stdout, messages to stderr.
 */
static int cmd_detect(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) return fputs(help, stdout), JC_EXIT_OK;
    const char *method = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--method") && i + 1 < argc) method = argv[i + 1];
        else if (!strncmp(argv[i], "--method=", 9)) method = argv[i] + 9;
    }
    if (!method) return usage_err("missing --method");
    detect_params p;
    detect_method m;
    if (detect_method_parse(method, &m)) return usage_err("unknown method '%s'", method);
    detect_params_default(&p, m);

    int64_t rstart = INT64_MIN, rend = INT64_MIN;
    int explain = 0;
    for (int i = 1; i < argc; i++) {
        char name[64];
        const char *a = argv[i], *val = NULL;
        if (strncmp(a, "--", 2)) return usage_err("unexpected argument '%s'", a);
        const char *eq = strchr(a, '=');
        size_t nl = eq ? (size_t)(eq - a) : strlen(a);
        if (nl >= sizeof name) return usage_err("unknown option '%s'", a);
        memcpy(name, a, nl);
        name[nl] = 0;
        if (!strcmp(name, "--explain")) {
            explain = 1;
            continue;
        }
        if (eq) val = eq + 1;
        else if (i + 1 < argc) val = argv[++i];
        else return usage_err("option '%s' needs a value", a);
        int bad = 0;
        if (!strcmp(name, "--method")) continue;
        else if (!strcmp(name, "--range-start")) bad = jc_parse_i64(val, &rstart) != JC_OK;
        else if (!strcmp(name, "--range-end")) bad = jc_parse_i64(val, &rend) != JC_OK;
        else if (!strcmp(name, "--baseline")) bad = parse_int(val, &p.baseline);
        else if (!strcmp(name, "--alpha")) bad = parse_double(val, &p.alpha);
        else if (!strcmp(name, "--minSigma") || !strcmp(name, "--min-sigma"))
            bad = parse_double(val, &p.min_sigma);
        else if (!strcmp(name, "--k")) bad = parse_double(val, &p.k);
        else if (!strcmp(name, "--h")) bad = parse_double(val, &p.h);
        else if (!strcmp(name, "--m")) {
            bad = parse_double(val, &p.m);
            p.m_given = 1;
        } else if (!strcmp(name, "--trans")) bad = detect_trans_parse(val, &p.trans) != JC_OK;
        else if (!strcmp(name, "--b")) bad = parse_int(val, &p.b);
        else if (!strcmp(name, "--w")) bad = parse_int(val, &p.w);
        else if (!strcmp(name, "--freq")) bad = parse_int(val, &p.freq);
        else if (!strcmp(name, "--reweight")) bad = parse_bool(val, &p.reweight);
        else if (!strcmp(name, "--trend")) bad = parse_bool(val, &p.trend);
        else if (!strcmp(name, "--limit54")) {
            char *end;
            long c = strtol(val, &end, 10), per;
            bad = end == val || (*end != ',');
            if (!bad) {
                const char *s2 = end + 1;
                per = strtol(s2, &end, 10);
                bad = end == s2 || *end || c < 0 || c > 1000000 || per < 1 || per > 1000000;
                if (!bad) {
                    p.limit54_cases = (int)c;
                    p.limit54_period = (int)per;
                }
            }
        } else if (!strcmp(name, "--powertrans")) {
            if (!strcmp(val, "2/3")) p.powertrans = DETECT_POW_2_3;
            else if (!strcmp(val, "1/2")) p.powertrans = DETECT_POW_1_2;
            else if (!strcmp(val, "none")) p.powertrans = DETECT_POW_NONE;
            else bad = 1;
        } else if (!strcmp(name, "--noPeriods")) bad = parse_int(val, &p.no_periods);
        else if (!strcmp(name, "--weightsThreshold")) bad = parse_double(val, &p.weights_threshold);
        else if (!strcmp(name, "--pThresholdTrend")) bad = parse_double(val, &p.p_threshold_trend);
        else if (!strcmp(name, "--pastWeeksNotIncluded")) {
            bad = parse_int(val, &p.past_weeks_not_included) || p.past_weeks_not_included < 0;
        } else if (!strcmp(name, "--thresholdMethod")) {
            if (strcmp(val, "delta"))
                return usage_err("--thresholdMethod '%s': only \"delta\" is implemented", val);
        } else if (!strcmp(name, "--populationOffset")) {
            int po;
            bad = parse_bool(val, &po);
            if (!bad && po) return usage_err("--populationOffset TRUE is not implemented");
        } else return usage_err("unknown option '%s'", a);
        if (bad) return usage_err("bad value for %s", a);
    }

    jc_buf in;
    jc_buf_init(&in, DETECT_INPUT_CAP);
    jc_err e = read_stdin(&in);
    if (e) {
        fprintf(stderr, "jiceng detect: cannot read stdin: %s\n", jc_err_code(e));
        jc_buf_free(&in);
        return JC_EXIT_FAIL;
    }
    detect_series s;
    char err[256];
    e = detect_series_parse_csv(in.data ? in.data : "", in.len, &s, err, sizeof err);
    jc_buf_free(&in);
    if (e) {
        fprintf(stderr, "jiceng detect: input: %s\n", err);
        return JC_EXIT_FAIL;
    }
    int64_t idx0 = s.idx[0];
    size_t lo = 0, hi = 0;
    if (rstart != INT64_MIN) {
        if (rstart < idx0 || rstart - idx0 >= (int64_t)s.n) {
            detect_series_free(&s);
            return usage_err("--range-start %lld is outside the idx of the input", (long long)rstart);
        }
        lo = (size_t)(rstart - idx0) + 1;
    }
    if (rend != INT64_MIN) {
        if (rend < idx0 || rend - idx0 >= (int64_t)s.n) {
            detect_series_free(&s);
            return usage_err("--range-end %lld is outside the idx of the input", (long long)rend);
        }
        hi = (size_t)(rend - idx0) + 1;
    }
    detect_point *out = calloc(s.n, sizeof *out);
    size_t nout = 0;
    if (!out) {
        detect_series_free(&s);
        fputs("jiceng detect: out of memory\n", stderr);
        return JC_EXIT_FAIL;
    }
    e = detect_run(s.counts, s.dates, s.n, &p, lo, hi, out, &nout);
    if (e) {
        size_t first = detect_default_range_start(&p, s.n);
        fprintf(stderr,
                "jiceng detect: %s failed: %s (check the parameters; the range must leave "
                "enough history before it, the first row R allows here is idx %lld)\n",
                detect_method_name(m), jc_err_code(e),
                first ? (long long)(idx0 + (int64_t)first - 1) : -1LL);
        free(out);
        detect_series_free(&s);
        /* the input was valid, so INVALID means the options or the range */
        return e == JC_ERR_INVALID ? JC_EXIT_USAGE : JC_EXIT_FAIL;
    }
    fputs(explain ? "idx,observed,upperbound,alarm,explanation\n" : "idx,observed,upperbound,alarm\n",
          stdout);
    for (size_t i = 0; i < nout; i++) {
        const detect_point *pt = &out[i];
        printf("%lld,%.15g,", (long long)(idx0 + pt->pos - 1), pt->observed);
        if (isnan(pt->upperbound)) fputs("NA,", stdout);
        else printf("%.15g,", pt->upperbound + 0.0); /* + 0.0 prints -0 as 0 */
        if (pt->alarm < 0) fputs("NA", stdout);
        else printf("%d", pt->alarm);
        if (explain) {
            char line[512];
            detect_explain(pt, &p, line, sizeof line);
            putchar(',');
            put_quoted(line);
        }
        putchar('\n');
    }
    free(out);
    detect_series_free(&s);
    if (fflush(stdout) != 0) return JC_EXIT_FAIL;
    return JC_EXIT_OK;
}

/* The detect module's row (src/modules.c): the `jiceng detect` command. */
const jc_module module_detect = {
    .name = "detect",
    .store_h_only = 1, /* no tables or SQL of its own: runs on every backend */
    .commands = {{"detect", cmd_detect, "early warning on a count series (EARS, CUSUM, Farrington)"}},
};
