/*
 * test_modules.c -- the module table (src/modules.c): names, subcommands and
 * serve options are unique; every module's schema is migrated and counted;
 * a request goes to the most specific route whatever the order of modules
 * (/cases/:id/photos of the photo module before the core's
 * /cases/:id/:action), and no two routes are ambiguous.
 */
#include "module.h"
#include "store_sqlite.h"
#include "t.h"

#include <unistd.h>

TEST(names_and_commands_are_unique) {
    for (size_t i = 0; i < jc_modules_count; i++) {
        const jc_module *a = jc_modules[i];
        ASSERT(a->name && a->name[0]);
        for (size_t j = i + 1; j < jc_modules_count; j++) ASSERT(strcmp(a->name, jc_modules[j]->name));
        for (int k = 0; k < JC_STORE__COUNT; k++)
            if (a->schema[k]) ASSERT_STR_EQ(a->schema[k]->name, a->name);
        for (size_t c = 0; c < JC_MODULE_COMMANDS && a->commands[c].name; c++) {
            const jc_command *cmd = &a->commands[c];
            ASSERT(cmd->fn && cmd->summary && cmd->summary[0]);
            ASSERT(strcmp(cmd->name, "init") && strcmp(cmd->name, "serve"));
            ASSERT(modules_command(cmd->name) == cmd); /* no other module has that name */
        }
        for (size_t o = 0; o < JC_MODULE_OPTIONS && a->options[o].flag; o++) {
            ASSERT(!strncmp(a->options[o].flag, "--", 2) && a->options[o].set && a->options[o].help);
            for (size_t j = 0; j < jc_modules_count; j++)
                for (size_t p = 0; p < JC_MODULE_OPTIONS && jc_modules[j]->options[p].flag; p++)
                    if (j != i || p != o) ASSERT(strcmp(a->options[o].flag, jc_modules[j]->options[p].flag));
        }
    }
    ASSERT(modules_command("demo") != NULL);
    ASSERT(modules_command("no-such-command") == NULL);
    ASSERT_EQ(modules_serve_option("--no-such-option", "x"), 0);
}

/* A module that runs on PostgreSQL has every half it has on SQLite there
 * (its schema and its row operations): none is called on a backend where
 * it has only some of them.  One that keeps nothing but through store.h has
 * neither anywhere. */
TEST(a_module_runs_on_a_backend_whole_or_not_at_all) {
    int on_pg = 0;
    for (size_t i = 0; i < jc_modules_count; i++) {
        const jc_module *m = jc_modules[i];
        ASSERT(module_runs_on(m, JC_STORE_SQLITE));
        if (m->store_h_only)
            for (int k = 0; k < JC_STORE__COUNT; k++) ASSERT(!m->schema[k] && !m->store[k]);
        if (!module_runs_on(m, JC_STORE_PG)) continue;
        on_pg++;
        ASSERT(!m->schema[JC_STORE_SQLITE] || m->schema[JC_STORE_PG]);
        ASSERT(!m->store[JC_STORE_SQLITE] || m->store[JC_STORE_PG]);
    }
    ASSERT(on_pg >= 3); /* core, auth, events at least */
}

TEST(every_schema_is_migrated) {
    char dir[] = "/tmp/jc-modules-XXXXXX", path[64];
    ASSERT(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/t.db", dir);
    jc_store *st = NULL;
    jc_conn *c = NULL;
    int v = 0, schemas = 0;
    ASSERT_OK(store_open(path, &st));
    ASSERT_OK(store_migrate(st, &v));
    ASSERT(v > 0);
    ASSERT_OK(store_conn_open(st, &c));
    sqlite3_stmt *s = NULL;
    ASSERT_EQ(sqlite3_prepare_v2(store_sqlite_db(c), "SELECT value FROM meta WHERE key=?", -1, &s, NULL), SQLITE_OK);
    for (size_t i = 0; i < jc_modules_count; i++) {
        const jc_schema *m = jc_modules[i]->schema[JC_STORE_SQLITE];
        if (!m) continue;
        schemas++;
        char key[96];
        snprintf(key, sizeof key, "schema.%s", m->name);
        sqlite3_reset(s);
        sqlite3_bind_text(s, 1, key, -1, SQLITE_TRANSIENT);
        ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
        ASSERT_EQ(sqlite3_column_int(s, 0), m->count);
    }
    sqlite3_finalize(s);
    ASSERT(schemas >= 8);
    ASSERT_OK(store_migrate(st, &v)); /* again: nothing to do */
    store_conn_close(c);
    store_close(st);
    unlink(path);
    rmdir(dir);
}

/* The route for method and path, its pattern ("" when none; "405" when the
 * path matched with another method). */
static const char *route_of(const char *method, const char *path, const char **param1) {
    static jc_req r;
    static char scratch[512];
    memset(&r, 0, sizeof r);
    r.method = method;
    snprintf(r.path, sizeof r.path, "%s", path);
    int path_matched = 0;
    const jc_route *rt = api_route(&r, scratch, sizeof scratch, &path_matched);
    if (param1) *param1 = r.nparams > 1 ? r.params[1] : "";
    return rt ? rt->pattern : path_matched ? "405" : "";
}

TEST(the_most_specific_route_wins) {
    const char *p1;
    ASSERT_STR_EQ(route_of("POST", "/api/v1/cases/5/photos", NULL), "/api/v1/cases/:id/photos");
    ASSERT_STR_EQ(route_of("GET", "/api/v1/cases/5/photos", NULL), "/api/v1/cases/:id/photos");
    ASSERT_STR_EQ(route_of("POST", "/api/v1/cases/5/whistle", NULL), "/api/v1/cases/:id/whistle");
    ASSERT_STR_EQ(route_of("POST", "/api/v1/cases/5/accept", &p1), "/api/v1/cases/:id/:action");
    ASSERT_STR_EQ(p1, "accept");
    ASSERT_STR_EQ(route_of("GET", "/api/v1/cases/5/audit", NULL), "/api/v1/cases/:id/audit");
    ASSERT_STR_EQ(route_of("GET", "/api/v1/warnings/config", NULL), "/api/v1/warnings/config");
    ASSERT_STR_EQ(route_of("GET", "/api/v1/warnings/7", NULL), "/api/v1/warnings/:id");
    ASSERT_STR_EQ(route_of("GET", "/api/v1/cases/5/", NULL), "/api/v1/cases/:id");
    ASSERT_STR_EQ(route_of("POST", "/api/v1/cases", NULL), "/api/v1/cases");
    ASSERT_STR_EQ(route_of("PUT", "/api/v1/cases", NULL), "405");
    ASSERT_STR_EQ(route_of("GET", "/api/v1/no-such-thing", NULL), "");
}

/* Splits pattern into at most 16 segments; returns their count. */
static int segments(const char *p, char seg[16][64]) {
    int n = 0;
    while (*p == '/' && n < 16) {
        p++;
        size_t l = strcspn(p, "/");
        snprintf(seg[n++], 64, "%.*s", (int)l, p);
        p += l;
    }
    return n;
}

/* Two routes of one method are ambiguous when one path can match both and
 * neither is the more specific everywhere: the same shape twice, or each
 * with a literal where the other has a :param. */
TEST(no_two_routes_are_ambiguous) {
    const jc_route *all[512];
    size_t n = 0;
    for (size_t m = 0; m < jc_modules_count; m++)
        for (size_t t = 0; t < JC_MODULE_ROUTES && jc_modules[m]->routes[t]; t++)
            for (size_t i = 0; i < jc_modules[m]->routes[t]->n && n < 512; i++)
                all[n++] = &jc_modules[m]->routes[t]->routes[i];
    ASSERT(n > 50 && n < 512);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            if (strcmp(all[i]->method, all[j]->method)) continue;
            char a[16][64], b[16][64];
            int na = segments(all[i]->pattern, a), nb = segments(all[j]->pattern, b);
            if (na != nb) continue;
            int overlap = 1, a_lit = 0, b_lit = 0;
            for (int k = 0; k < na && overlap; k++) {
                int pa = a[k][0] == ':', pb = b[k][0] == ':';
                if (!pa && !pb) overlap = !strcmp(a[k], b[k]);
                else if (!pa) a_lit = 1;
                else if (!pb) b_lit = 1;
            }
            if (overlap && a_lit == b_lit)
                T_FAIL_("%s %s and %s are ambiguous", all[i]->method, all[i]->pattern, all[j]->pattern);
        }
}

T_MAIN(T(names_and_commands_are_unique), T(a_module_runs_on_a_backend_whole_or_not_at_all), T(every_schema_is_migrated), T(the_most_specific_route_wins),
       T(no_two_routes_are_ambiguous))
