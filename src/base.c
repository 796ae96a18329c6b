/*
 * base.c -- base data (人/户/房/单位): the GB 11643 check digit, the demo's
 * fictional ID numbers, `GET /api/v1/base/summary` (counts only: personal
 * data stays in the server) and `jiceng base`.  Storage and the generator
 * are in base_sqlite.c.
 */
#include "base.h"
#include "base_int.h"
#include "cli.h"
#include "http.h"
#include "model.h"
#include "module.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char base_id_check(const char *id17) {
    static const int weight[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    static const char check[] = "10X98765432";
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        if (id17[i] < '0' || id17[i] > '9') return 0;
        sum += (id17[i] - '0') * weight[i];
    }
    return check[sum % 11];
}

int base_id_valid(const char *id) {
    if (!id || strlen(id) != 18) return 0;
    char c = base_id_check(id);
    return c && (id[17] == c || (c == 'X' && id[17] == 'x'));
}

void base_id_make(int yyyymmdd, int seq, int male, char out[19]) {
    int s = (seq % 500) * 2 + (male ? 1 : 0); /* the 17th digit: odd for men, even for women */
    snprintf(out, 19, "999999%08u%03u", (unsigned)yyyymmdd % 100000000u, (unsigned)s % 1000u);
    out[17] = base_id_check(out);
    out[18] = 0;
}

void base_bbox_extend(json_t *v, double *w, double *s, double *e, double *n) {
    if (json_is_array(v) && json_array_size(v) >= 2 && json_is_number(json_array_get(v, 0))) {
        double x = json_number_value(json_array_get(v, 0)), y = json_number_value(json_array_get(v, 1));
        if (x < *w) *w = x;
        if (x > *e) *e = x;
        if (y < *s) *s = y;
        if (y > *n) *n = y;
        return;
    }
    size_t i;
    json_t *c;
    json_array_foreach(v, i, c) base_bbox_extend(c, w, s, e, n);
}

int base__bbox(const char *geojson, double *w, double *s, double *e, double *n) {
    json_t *g = geojson ? json_loads(geojson, 0, NULL) : NULL;
    if (!g) return -1;
    *w = *s = 1e9;
    *e = *n = -1e9;
    json_t *geom = json_object_get(g, "geometry");
    base_bbox_extend(json_object_get(geom ? geom : g, "coordinates"), w, s, e, n);
    json_decref(g);
    return *w <= *e ? 0 : -1;
}

/* GET /api/v1/base/summary?area=CODE: counts per community, within the
 * caller's own area. */
static void h_summary(jc_req *r) {
    char area[32] = "";
    http_query(r, "area", area, sizeof area);
    for (const char *p = area; *p; p++)
        if (*p < '0' || *p > '9') return http_reply_error(r, JC_ERR_INVALID, "area must be an area code");
    const char *mine = r->user.area;
    const char *prefix = area;
    if (mine[0] && r->user.role != ROLE_ADMIN) {
        if (!area[0]) prefix = mine;
        else if (strncmp(area, mine, strlen(mine)) && strncmp(mine, area, strlen(area)))
            return http_reply_error(r, JC_ERR_DENIED, "area %s is outside your scope %s", area, mine);
        else if (strlen(area) < strlen(mine)) prefix = mine; /* narrowed to the scope */
    }
    json_t *out = NULL;
    jc_err e = base__summary(r->db, prefix, &out);
    if (e) return http_reply_error(r, e, "base summary");
    http_reply_json(r, 200, out);
}

#define R(x) ROLE_BIT(ROLE_##x)
static const jc_route routes[] = {
    {"GET", "/api/v1/base/summary", h_summary,
     R(ADMIN) | R(DISPATCHER) | R(SUPERVISOR) | R(COMMUNITY_STAFF) | R(GRID_WORKER) | R(DEPT_STAFF), NULL},
};
static const jc_route_table base_routes = {routes, JC_ARRAY_LEN(routes)};

/* ---- jiceng base ----------------------------------------------------------------- */

static jc_err run_seed(jc_conn *w, void *arg) { return base_seed_demo(w, *(uint64_t *)arg); }

static int cmd_base(int argc, char **argv) {
    static const char help[] =
        "usage: jiceng base seed --db DB [--seed N]   generate the demo's fictional base data\n"
        "       jiceng base summary --db DB [--area CODE]   counts per community (JSON)\n"
        "The generated people are fictional: ID numbers use area code 999999 (no region has it)\n"
        "with a valid GB 11643 check digit; phones start with 100 (no mobile number does).\n"
        "Seeding does nothing when the database already holds people.  Run `jiceng demo` first.\n";
    if (argc < 2 || cli_wants_help(argc, argv)) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? JC_EXIT_USAGE : JC_EXIT_OK;
    }
    const char *sub = argv[1], *db = NULL, *area = "";
    uint64_t seed = 42;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return cli_usage_error("base", "option %s needs a value", a);
        i++;
        int64_t n;
        if (!strcmp(a, "--db")) db = v;
        else if (!strcmp(a, "--area")) area = v;
        else if (!strcmp(a, "--seed")) {
            if (jc_parse_i64(v, &n) || n < 0) return cli_usage_error("base", "--seed must be a number >= 0");
            seed = (uint64_t)n;
        } else return cli_usage_error("base", "unexpected argument '%s'", a);
    }
    if (!db) return cli_usage_error("base", "missing --db DB");
    if (strcmp(sub, "seed") && strcmp(sub, "summary")) return cli_usage_error("base", "unknown subcommand '%s'", sub);
    jc_store *st = NULL;
    int version;
    if (store_open(db, &st) || store_migrate(st, &version)) {
        fprintf(stderr, "jiceng base: cannot open %s\n", db);
        store_close(st);
        return JC_EXIT_FAIL;
    }
    int rc = JC_EXIT_OK;
    jc_conn *c = NULL;
    json_t *out = NULL;
    if (!strcmp(sub, "seed") && store_exec(st, run_seed, &seed)) {
        fprintf(stderr, "jiceng base: seeding failed\n");
        rc = JC_EXIT_FAIL;
    } else if (store_conn_open(st, &c) || base__summary(c, area, &out)) {
        rc = JC_EXIT_FAIL;
    } else {
        json_t *t = json_object_get(out, "total");
        if (!strcmp(sub, "seed"))
            printf("base data (fictional): %lld people, %lld households, %lld elders living alone, %lld houses, "
                   "%lld organisations\n",
                   (long long)json_integer_value(json_object_get(t, "people")),
                   (long long)json_integer_value(json_object_get(t, "households")),
                   (long long)json_integer_value(json_object_get(t, "elders_living_alone")),
                   (long long)json_integer_value(json_object_get(t, "houses")),
                   (long long)json_integer_value(json_object_get(t, "organisations")));
        else json_dumpf(out, stdout, JSON_INDENT(2)), putchar('\n');
    }
    json_decref(out);
    store_conn_close(c);
    store_close(st);
    return rc;
}

/* The base module's row (src/modules.c). */
const jc_module module_base = {
    .name = "base",
    .schema = {[JC_STORE_SQLITE] = &schema_base},
    .routes = {&base_routes},
    .commands = {{"base", cmd_base, "generate (demo) and count base data: people, households, houses, organisations"}},
};
