/*
 * people_cli.c -- `jiceng people`: import a department's file, link, export
 * the links or the golden records, list sources and the review queue,
 * decide a pair, withdraw a source, generate test spreadsheets.
 */
#include "people.h"
#include "people_int.h"
#include "people_store.h"
#include "auth.h"
#include "cli.h"
#include "module.h"
#include "store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char help[] =
    "usage: jiceng people import --db DB --source KEY FILE [--map 'HEADER=field,...'] [--dry-run]\n"
    "                            [--name NAME] [--key KEYFILE] [--full-link] [--quiet]\n"
    "       jiceng people link --db DB [--key KEYFILE]          link every record again (EM re-estimated)\n"
    "       jiceng people export --db DB --links                CSV source,record_id,cluster_id\n"
    "       jiceng people export --db DB --persons              golden records, masked (CSV)\n"
    "       jiceng people sources --db DB                       sources, their mappings and counts (JSON)\n"
    "       jiceng people review --db DB [--limit N]            the review queue (JSON)\n"
    "       jiceng people decide --db DB --a SRC:ID --b SRC:ID --same|--different\n"
    "       jiceng people withdraw --db DB --source KEY         delete a source's records (audited)\n"
    "       jiceng people report --db DB --template elders_alone|disabled|students|summary [--area CODE] --out F.xlsx\n"
    "       jiceng people generate --out DIR [--persons N] [--seed S] [--layout dev|other] [--db DB]\n"
    "\n"
    "Fields for --map: name id_number id_type sex birth_date age phone address household_no relation\n"
    "community street building unit room attr.  Without --map the mapping is proposed from the header\n"
    "(and the values) and saved with the source for its next file.  The first column of the file is\n"
    "the record id.  ID numbers and phones are stored encrypted with the key in DB.people-key (created\n"
    "on first use; keep a copy apart from the database) or --key / $JICENG_PEOPLE_KEY (on PostgreSQL\n"
    "one of these two must name it: the same file on every instance).\n"
    "Exit codes: 0 ok, 1 the import or link failed (the reason names the row), 2 usage.\n";

typedef struct {
    const char *db, *source, *file, *map, *name, *key, *out, *layout, *a, *b, *templ, *area;
    int dry_run, full, links, persons, quiet, same, different, limit;
    int64_t count, seed;
} opts;


/* ---- import ------------------------------------------------------------------------------ */

typedef struct {
    people_import_req q;
    people_import_result res;
    int quiet, tty;
    jc_err err;
} import_job;

static void on_row(void *arg, int row, const char *record_id, const char *action, const char *note) {
    (void)arg;
    printf("%d\t%s\t%s\t%s\n", row, record_id, action, note);
}

static void on_progress(void *arg, const char *phase, int64_t done, int64_t total) {
    import_job *j = arg;
    if (j->quiet) return;
    if (!strcmp(phase, "read")) {
        fprintf(stderr, "people: reading %.1f MiB\n", (double)total / 1048576.0);
        return;
    }
    if (!strcmp(phase, "link") || !strcmp(phase, "done")) {
        fprintf(stderr, "%speople: %s\n", j->tty ? "\r\033[K" : "", !strcmp(phase, "link") ? "linking" : "done");
        return;
    }
    int pct = total > 0 ? (int)(done * 100 / total) : 100;
    char bar[21];
    for (int i = 0; i < 20; i++) bar[i] = i < pct / 5 ? '#' : '.';
    bar[20] = 0;
    if (j->tty) fprintf(stderr, "\r\033[Kpeople: %-6s [%s] %3d%% %lld/%lld", phase, bar, pct, (long long)done,
                        (long long)total);
    else if (done % 50000 == 0) fprintf(stderr, "people: %s %lld/%lld\n", phase, (long long)done, (long long)total);
}

static jc_err run_import(jc_conn *w, void *arg) {
    import_job *j = arg;
    jc_err e = pstore_bulk_cache(w, 256);
    if (e) return j->err = e;
    j->err = people_import(w, &j->q, &j->res);
    return j->err;
}

static int read_file(const char *path, char **data, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0) { fclose(f); return -1; }
    if ((size_t)sb.st_size > PEOPLE_MAX_FILE) { /* refused before it is read */
        fclose(f);
        *len = (size_t)sb.st_size;
        *data = NULL;
        return 1;
    }
    *len = (size_t)sb.st_size;
    *data = malloc(*len + 1);
    if (!*data || fread(*data, 1, *len, f) != *len) {
        free(*data);
        fclose(f);
        return -1;
    }
    fclose(f);
    return 0;
}

static int cmd_import(jc_store *st, const opts *o, people_keys *keys) {
    char *data = NULL;
    size_t len = 0;
    int rf = read_file(o->file, &data, &len);
    if (rf < 0) {
        fprintf(stderr, "jiceng people: cannot read %s\n", o->file);
        return JC_EXIT_FAIL;
    }
    if (rf > 0) {
        fprintf(stderr, "jiceng people: %s is %zu MiB, more than the %zu MiB limit; split it / 文件超过 %zu MiB 上限，"
                        "请拆分后导入; nothing imported\n",
                o->file, len >> 20, PEOPLE_MAX_FILE >> 20, PEOPLE_MAX_FILE >> 20);
        return JC_EXIT_FAIL;
    }
    import_job *j = calloc(1, sizeof *j);
    if (!j) { free(data); return JC_EXIT_FAIL; }
    const char *base = strrchr(o->file, '/');
    j->q = (people_import_req){.source = o->source, .source_name = o->name ? o->name : "",
                               .file_name = base ? base + 1 : o->file, .map = o->map, .data = data, .len = len,
                               .dry_run = o->dry_run, .full_link = o->full, .keys = keys,
                               .on_row = o->dry_run ? on_row : NULL, .on_progress = on_progress, .arg = j};
    j->quiet = o->quiet;
    j->tty = isatty(2);
    if (o->dry_run) printf("row\trecord_id\taction\tnote\n");
    jc_err e = store_exec(st, run_import, j);
    if (!e) e = j->err;
    int rc = JC_EXIT_OK;
    if (e) {
        fprintf(stderr, "jiceng people: import of %s failed, nothing imported: %s\n", o->file,
                j->res.why[0] ? j->res.why : jc_err_code(e));
        rc = JC_EXIT_FAIL;
    } else {
        people_mapping *m = &j->res.mapping;
        if (!o->quiet) {
            fprintf(stderr, "people: %s (%s, %s), header on row %d:", o->file, j->res.im.format, j->res.im.encoding,
                    m->header_row + 1);
            for (int c = 0; c < m->ncols; c++)
                if (m->field[c] != PF_ATTR)
                    fprintf(stderr, " %s=%s", m->header[c], people_field_name((people_field)m->field[c]));
            fputc('\n', stderr);
        }
        printf("%s%s: %lld rows, %lld added, %lld updated, %lld retired, %lld unchanged, %lld skipped",
               o->dry_run ? "dry run, nothing written: " : "", o->source, (long long)j->res.im.rows,
               (long long)j->res.im.added, (long long)j->res.im.updated, (long long)j->res.im.retired,
               (long long)j->res.im.unchanged, (long long)j->res.im.skipped);
        if (!o->dry_run)
            printf("; linked %lld records into %lld persons in %.2f s (%lld pairs compared, %lld to review)",
                   (long long)j->res.link.records, (long long)j->res.link.persons, j->res.link.seconds,
                   (long long)j->res.link.compared, (long long)j->res.link.review);
        putchar('\n');
    }
    free(data);
    free(j);
    return rc;
}

/* ---- link ---------------------------------------------------------------------------------- */

typedef struct {
    const people_keys *keys;
    people_link_stats st;
} link_job;

static jc_err run_link(jc_conn *w, void *arg) {
    link_job *j = arg;
    return people_link_store(w, j->keys, 1, &j->st);
}

/* ---- export --------------------------------------------------------------------------------- */

static void csv_cell(FILE *f, const char *s) {
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static int export_link(const char *source, const char *record_id, int64_t person, void *arg) {
    (void)arg;
    csv_cell(stdout, source);
    putchar(',');
    csv_cell(stdout, record_id);
    printf(",%lld\n", (long long)person);
    return 0;
}

static int export_person(const pstore_person *p, void *arg) {
    (void)arg;
    char nm[64];
    people_mask_name(p->name, nm, sizeof nm);
    printf("%lld,", (long long)p->id);
    csv_cell(stdout, nm);
    printf(",%c,%d,%s,%s,", p->sex ? p->sex : ' ', p->birth, p->id_mask, p->phone_mask);
    csv_cell(stdout, p->community);
    printf(",%d,%d,", p->flags, p->records);
    csv_cell(stdout, p->sources);
    putchar('\n');
    return 0;
}

/* ---- sources, review, decide, withdraw ---------------------------------------------------------- */

static int print_source(const pstore_source *s, void *arg) {
    json_array_append_new(arg, people_source_json(s));
    return 0;
}

static int print_review(const pstore_review *r, void *arg) {
    json_array_append_new(arg, json_pack("{s:s,s:s,s:s,s:s,s:f,s:s}", "a_source", r->a_source, "a_record", r->a_record,
                                         "b_source", r->b_source, "b_record", r->b_record, "prob", r->prob, "levels",
                                         r->levels));
    return 0;
}

typedef struct {
    char as[64], ar[128], bs[64], br[128];
    const char *status;
    jc_err err;
} decide_job;

static jc_err run_decide(jc_conn *w, void *arg) {
    decide_job *d = arg;
    jc_err e = pstore_review_decide(w, d->as, d->ar, d->bs, d->br, d->status, "cli", jc_now_ms());
    if (e) return d->err = e;
    jc_user sys;
    auth_system_actor(&sys, "cli");
    char reason[600];
    people_review_reason(reason, sizeof reason, d->as, d->ar, d->bs, d->br, d->status);
    return d->err = auth_audit(w, &sys, "people.review", reason);
}

typedef struct {
    const people_keys *keys;
    const char *source;
    int64_t deleted;
} withdraw_job;

static jc_err run_withdraw(jc_conn *w, void *arg) {
    withdraw_job *j = arg;
    jc_user sys;
    auth_system_actor(&sys, "cli");
    return people_withdraw(w, j->keys, &sys, j->source, &j->deleted);
}

static int split_ref(const char *ref, char *src, size_t ss, char *rec, size_t rs) {
    const char *c = ref ? strchr(ref, ':') : NULL;
    if (!c || c == ref || !c[1]) return -1;
    snprintf(src, ss, "%.*s", (int)(c - ref), ref);
    snprintf(rec, rs, "%s", c + 1);
    return 0;
}

typedef struct {
    char (*names)[64];
    int n, cap;
} comm_list;

static int comm_add(const char *code, const char *name, void *arg) {
    (void)code;
    comm_list *l = arg;
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 32;
        char(*nn)[64] = realloc(l->names, (size_t)cap * sizeof *nn);
        if (!nn) return 1;
        l->names = nn, l->cap = cap;
    }
    snprintf(l->names[l->n], sizeof l->names[0], "%s", name);
    char *suf = strstr(l->names[l->n], "社区");
    if (suf) *suf = 0;
    if (l->names[l->n][0]) l->n++;
    return 0;
}

/* people generate: with --db, addresses lie in that database's communities. */
static int generate(const opts *o) {
    comm_list l = {0};
    if (o->db) {
        jc_store *st = NULL;
        jc_conn *c = NULL;
        int version;
        if (store_open(o->db, &st) || store_migrate(st, &version) || store_conn_open(st, &c) ||
            pstore_communities(c, comm_add, &l)) {
            fprintf(stderr, "jiceng people: cannot read the communities of %s\n", o->db);
            store_conn_close(c);
            store_close(st);
            free(l.names);
            return JC_EXIT_FAIL;
        }
        store_conn_close(c);
        store_close(st);
    }
    const char **names = l.n ? malloc((size_t)l.n * sizeof *names) : NULL;
    for (int i = 0; names && i < l.n; i++) names[i] = l.names[i];
    int rc = people_generate(o->out, o->count, (uint64_t)o->seed, o->layout, names, names ? l.n : 0) ? JC_EXIT_FAIL
                                                                                                       : JC_EXIT_OK;
    free(names);
    free(l.names);
    return rc;
}

static int cmd_people(int argc, char **argv) {
    if (argc < 2 || cli_wants_help(argc, argv)) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? JC_EXIT_USAGE : JC_EXIT_OK;
    }
    const char *sub = argv[1];
    opts o = {.limit = 100, .count = 3000, .seed = 7, .layout = "dev"};
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int64_t n;
        if (!strcmp(a, "--dry-run")) o.dry_run = 1;
        else if (!strcmp(a, "--full-link") || !strcmp(a, "--full")) o.full = 1;
        else if (!strcmp(a, "--links")) o.links = 1;
        else if (!strcmp(a, "--persons") && strcmp(sub, "generate")) o.persons = 1;
        else if (!strcmp(a, "--quiet")) o.quiet = 1;
        else if (!strcmp(a, "--same")) o.same = 1;
        else if (!strcmp(a, "--different")) o.different = 1;
        else if (a[0] == '-' && a[1] == '-') {
            if (!v) return cli_usage_error("people", "option %s needs a value", a);
            i++;
            if (!strcmp(a, "--db")) o.db = v;
            else if (!strcmp(a, "--source")) o.source = v;
            else if (!strcmp(a, "--map")) o.map = v;
            else if (!strcmp(a, "--name")) o.name = v;
            else if (!strcmp(a, "--key")) o.key = v;
            else if (!strcmp(a, "--out")) o.out = v;
            else if (!strcmp(a, "--layout")) o.layout = v;
            else if (!strcmp(a, "--a")) o.a = v;
            else if (!strcmp(a, "--b")) o.b = v;
            else if (!strcmp(a, "--template")) o.templ = v;
            else if (!strcmp(a, "--area")) o.area = v;
            else if (!strcmp(a, "--limit") || !strcmp(a, "--persons") || !strcmp(a, "--seed")) {
                if (jc_parse_i64(v, &n) || n < 0 || n > 10000000)
                    return cli_usage_error("people", "%s must be a number from 0 to 10000000", a);
                if (!strcmp(a, "--limit")) o.limit = (int)n;
                else if (!strcmp(a, "--persons")) o.count = n;
                else o.seed = n;
            } else return cli_usage_error("people", "unknown option '%s'", a);
        } else if (!o.file) o.file = a;
        else return cli_usage_error("people", "unexpected argument '%s'", a);
    }
    if (!strcmp(sub, "generate")) {
        if (!o.out) return cli_usage_error("people", "generate needs --out DIR");
        return generate(&o);
    }
    if (strcmp(sub, "import") && strcmp(sub, "link") && strcmp(sub, "export") && strcmp(sub, "sources") &&
        strcmp(sub, "review") && strcmp(sub, "decide") && strcmp(sub, "withdraw") && strcmp(sub, "report"))
        return cli_usage_error("people", "unknown subcommand '%s'", sub);
    if (!o.db) return cli_usage_error("people", "missing --db DB");
    if (!strcmp(sub, "import")) {
        if (!o.source || !people_source_key_ok(o.source))
            return cli_usage_error("people", "--source KEY is needed: letters, digits, _ and -, at most 63");
        if (!o.file) return cli_usage_error("people", "import needs a FILE");
    }
    if (!strcmp(sub, "withdraw") && (!o.source || !people_source_key_ok(o.source)))
        return cli_usage_error("people", "withdraw needs --source KEY");
    if (!strcmp(sub, "export") && !o.links && !o.persons)
        return cli_usage_error("people", "export needs --links or --persons");
    if (!strcmp(sub, "report") && (!o.templ || !o.out))
        return cli_usage_error("people", "report needs --template NAME and --out FILE.xlsx");
    if (!strcmp(sub, "decide") && (!o.a || !o.b || o.same == o.different))
        return cli_usage_error("people", "decide needs --a SRC:ID --b SRC:ID and one of --same, --different");
    jc_store *st = NULL;
    int version;
    if (store_open(o.db, &st) || store_migrate(st, &version)) {
        fprintf(stderr, "jiceng people: cannot open %s\n", o.db);
        store_close(st);
        return JC_EXIT_FAIL;
    }
    people_keys *keys = NULL;
    char why[512] = "";
    int rc = JC_EXIT_OK;
    int needs_keys = !strcmp(sub, "import") || !strcmp(sub, "link") || !strcmp(sub, "withdraw");
    /* on PostgreSQL no file lies beside the database: --key or $JICENG_PEOPLE_KEY */
    const char *beside = store_kind_of(st) == JC_STORE_SQLITE ? o.db : NULL;
    if (needs_keys && people_keys_open(beside, o.key, &keys, why, sizeof why)) {
        fprintf(stderr, "jiceng people: %s\n", why);
        store_close(st);
        return JC_EXIT_FAIL;
    }
    jc_conn *c = NULL;
    if (!strcmp(sub, "import")) rc = cmd_import(st, &o, keys);
    else if (!strcmp(sub, "link")) {
        link_job j = {.keys = keys};
        if (store_exec(st, run_link, &j)) {
            fprintf(stderr, "jiceng people: link failed\n");
            rc = JC_EXIT_FAIL;
        } else
            printf("linked %lld records into %lld persons in %.2f s: %lld pairs compared (EM %d iterations), %lld "
                   "links, %lld to review\n",
                   (long long)j.st.records, (long long)j.st.persons, j.st.seconds, (long long)j.st.compared,
                   j.st.em_iterations, (long long)j.st.links, (long long)j.st.review);
    } else if (!strcmp(sub, "withdraw")) {
        withdraw_job j = {.keys = keys, .source = o.source};
        jc_err e = store_exec(st, run_withdraw, &j);
        if (e) {
            fprintf(stderr, "jiceng people: withdraw failed: %s\n",
                    e == JC_ERR_NOTFOUND ? "no such source" : jc_err_code(e));
            rc = JC_EXIT_FAIL;
        } else printf("source %s withdrawn: %lld records deleted\n", o.source, (long long)j.deleted);
    } else if (!strcmp(sub, "decide")) {
        decide_job d = {.status = o.same ? "same" : "different"};
        if (split_ref(o.a, d.as, sizeof d.as, d.ar, sizeof d.ar) || split_ref(o.b, d.bs, sizeof d.bs, d.br, sizeof d.br)) {
            store_close(st);
            return cli_usage_error("people", "--a and --b are SOURCE:RECORD_ID");
        }
        /* the queue keeps each pair in one order */
        if (strcmp(d.as, d.bs) > 0 || (!strcmp(d.as, d.bs) && strcmp(d.ar, d.br) > 0)) {
            char t[128]; /* swap: as/bs and ar/br are arrays of the same size */
            memcpy(t, d.as, sizeof d.as), memcpy(d.as, d.bs, sizeof d.as), memcpy(d.bs, t, sizeof d.bs);
            memcpy(t, d.ar, sizeof d.ar), memcpy(d.ar, d.br, sizeof d.ar), memcpy(d.br, t, sizeof d.br);
        }
        jc_err e = store_exec(st, run_decide, &d);
        if (e || d.err) {
            fprintf(stderr, "jiceng people: %s\n", (e ? e : d.err) == JC_ERR_NOTFOUND ? "that pair is not in the review queue" : "decide failed");
            rc = JC_EXIT_FAIL;
        } else printf("decided: %s; the next link (people link) applies it\n", d.status);
    } else if (store_conn_open(st, &c)) rc = JC_EXIT_FAIL;
    else if (!strcmp(sub, "export") && o.links) {
        printf("source,record_id,cluster_id\n");
        if (pstore_links_export(c, export_link, NULL)) rc = JC_EXIT_FAIL;
    } else if (!strcmp(sub, "export")) {
        printf("person_id,name,sex,birth_date,id_number,phone,community,flags,records,sources\n");
        if (pstore_person_list(c, "", "", 0, 100000000, export_person, NULL)) rc = JC_EXIT_FAIL;
    } else if (!strcmp(sub, "report")) {
        int64_t n = 0;
        jc_err e = people_report_xlsx(c, o.templ, o.area ? o.area : "", o.out, &n);
        if (e) {
            fprintf(stderr, "jiceng people: %s\n", e == JC_ERR_INVALID ? "unknown template (elders_alone, disabled, students, summary)"
                                                                     : "the report could not be written");
            rc = e == JC_ERR_INVALID ? JC_EXIT_USAGE : JC_EXIT_FAIL;
        } else printf("%s: %lld rows\n", o.out, (long long)n);
    } else if (!strcmp(sub, "sources")) {
        json_t *arr = json_array();
        if (pstore_source_each(c, print_source, arr)) rc = JC_EXIT_FAIL;
        json_dumpf(arr, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(arr);
    } else if (!strcmp(sub, "review")) {
        json_t *arr = json_array();
        if (pstore_review_pending(c, "", o.limit, 0, print_review, arr)) rc = JC_EXIT_FAIL;
        json_dumpf(arr, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(arr);
    }
    store_conn_close(c);
    people_keys_free(keys);
    store_close(st);
    return rc;
}

/* The people module's row (src/modules.c). */
const jc_module module_people = {
    .name = "people",
    .schema = {[JC_STORE_SQLITE] = &schema_people, [JC_STORE_PG] = &schema_people_pg},
    .store = {[JC_STORE_SQLITE] = &people_store_sqlite, [JC_STORE_PG] = &people_store_pg},
    .routes = {&people__routes},
    .commands = {{"people", cmd_people, "import departments' person tables, link them into one record per person"}},
};
