/*
 * open311_keys.c -- the API keys of Open311 GeoReport v2 clients: `jiceng
 * open311 key add|list|disable` and the same for administrators over HTTP
 * (GET /api/v1/open311/keys, POST /api/v1/open311/keys, POST
 * /api/v1/open311/keys/:name/disable; docs/open311.md).
 *
 * A client is a resident-role account open311_<name> that cannot log in
 * (its password hash is not an argon2 string) and a key of which only the
 * hash is kept: the key itself is shown once, to whoever created it.
 */
#include "open311.h"
#include "open311_store.h"
#include "auth.h"
#include "cli.h"
#include "http.h"
#include "reason.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- creating and disabling a client (writer) ------------------------------------- */

typedef struct {
    const char *op; /* "add" | "disable" */
    char name[48];
    char area[24];
    o311_key key;
    jc_user u;
    jc_user actor;
    char msg[256];
} key_job;

/* 1 when name is 1-40 characters of a-z A-Z 0-9 _ . - */
static int name_ok(const char *name) {
    size_t n = strlen(name);
    if (n < 1 || n > 40) return 0;
    for (const char *q = name; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') || *q == '_' ||
              *q == '.' || *q == '-'))
            return 0;
    return 1;
}

/* A new key for client j->name: its hash in j->key, the raw key in token. */
static void key_prepare(key_job *j, char token[65]) {
    auth_new_token(token, j->key.key_hash);
    snprintf(j->key.name, sizeof j->key.name, "%s", j->name);
    j->key.created_ms = jc_now_ms();
    snprintf(j->u.name, sizeof j->u.name, "open311_%s", j->name);
    snprintf(j->u.display, sizeof j->u.display, "Open311: %s", j->name);
    snprintf(j->u.area, sizeof j->u.area, "%s", j->area);
    /* Not an argon2 string: no password ever matches, the account cannot log in. */
    snprintf(j->u.pw_hash, sizeof j->u.pw_hash, "!open311-client-no-login");
    j->u.role = ROLE_RESIDENT;
    j->u.created_ms = j->key.created_ms;
}

static jc_err key_job_run(jc_conn *w, void *arg) {
    key_job *j = arg;
    char note[300];
    reason_buf b;
    if (!strcmp(j->op, "disable")) {
        jc_err e = o311_key_disable(w, j->name);
        if (e == JC_ERR_NOTFOUND) snprintf(j->msg, sizeof j->msg, "no key named %s", j->name);
        if (e) return e;
        reason_begin(&b, note, sizeof note, "open311_key_off");
        reason_str(&b, "client", j->name);
        return auth_audit(w, &j->actor, "open311_key_off", reason_end(&b));
    }
    jc_err e = auth_validate_user(w, &j->u, j->msg, sizeof j->msg);
    if (e) return e;
    e = store_user_insert(w, &j->u);
    if (e == JC_ERR_CONFLICT) snprintf(j->msg, sizeof j->msg, "a client named %s exists", j->name);
    if (e) return e;
    j->key.user_id = j->u.id;
    e = o311_key_insert(w, &j->key);
    if (e == JC_ERR_CONFLICT) snprintf(j->msg, sizeof j->msg, "a client named %s exists", j->name);
    if (e) return e;
    reason_begin(&b, note, sizeof note, "open311_key_add");
    reason_str(&b, "client", j->name);
    reason_str(&b, "user", j->u.name);
    reason_str(&b, "area", j->u.area[0] ? j->u.area : NULL);
    return auth_audit(w, &j->actor, "open311_key_add", reason_end(&b));
}

/* ---- jiceng open311 key ... ---------------------------------------------------------- */

static int print_key(const o311_key *k, void *arg) {
    (void)arg;
    char ts[40];
    jc_fmt_local(k->created_ms, ts, sizeof ts);
    printf("%-24s user %-6lld created %s  %s  key hash %.12s…\n", k->name, (long long)k->user_id, ts,
           k->disabled ? "DISABLED" : "active  ", k->key_hash);
    return 0;
}

int open311__cmd(int argc, char **argv) {
    static const char help[] =
        "usage: jiceng open311 key add --db DB --name CLIENT [--area CODE]\n"
        "       jiceng open311 key list --db DB\n"
        "       jiceng open311 key disable --db DB --name CLIENT\n"
        "Manages the API keys of Open311 GeoReport v2 clients (see docs/open311.md).\n"
        "  add      creates a resident-role account open311_CLIENT that the client's reports\n"
        "           are filed as, and prints a new api_key ONCE on stdout (only its hash\n"
        "           is kept).  --area: where reports without a locatable point go\n"
        "           (default: the street).\n"
        "  list     lists the clients and whether their key is active.\n"
        "  disable  refuses the client's key from now on.\n"
        "CLIENT: 1-40 characters of a-z A-Z 0-9 _ . -\n";
    if (cli_wants_help(argc, argv)) return fputs(help, stdout), JC_EXIT_OK;
    if (argc < 3 || strcmp(argv[1], "key")) return cli_usage_error("open311", "expected: open311 key add|list|disable");
    key_job j = {0};
    j.op = argv[2];
    auth_system_actor(&j.actor, "open311");
    const char *db = NULL;
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return cli_usage_error("open311", "option %s needs a value", a);
        i++;
        if (!strcmp(a, "--db")) db = v;
        else if (!strcmp(a, "--name")) {
            if (strlen(v) < 1 || strlen(v) > 40) return cli_usage_error("open311", "--name must be 1-40 characters");
            if (!name_ok(v)) return cli_usage_error("open311", "--name may hold only a-z A-Z 0-9 _ . -");
            snprintf(j.name, sizeof j.name, "%s", v);
        } else if (!strcmp(a, "--area")) {
            if (strlen(v) >= sizeof j.area) return cli_usage_error("open311", "--area is too long");
            snprintf(j.area, sizeof j.area, "%s", v);
        } else return cli_usage_error("open311", "unexpected argument '%s'", a);
    }
    int is_add = !strcmp(j.op, "add"), is_list = !strcmp(j.op, "list"), is_off = !strcmp(j.op, "disable");
    if (!is_add && !is_list && !is_off) return cli_usage_error("open311", "unknown subcommand 'key %s'", j.op);
    if (!db) return cli_usage_error("open311", "missing --db DB");
    if ((is_add || is_off) && !j.name[0]) return cli_usage_error("open311", "missing --name CLIENT");
    if (auth_init()) return JC_EXIT_FAIL;
    jc_store *st = NULL;
    int version;
    if (store_open(db, &st) || store_migrate(st, &version)) {
        fprintf(stderr, "jiceng open311: cannot open or migrate %s\n", db);
        store_close(st);
        return JC_EXIT_FAIL;
    }
    int rc = JC_EXIT_OK;
    if (is_list) {
        jc_conn *c = NULL;
        if (store_conn_open(st, &c) || o311_key_each(c, print_key, NULL)) rc = JC_EXIT_FAIL;
        store_conn_close(c);
        store_close(st);
        return rc;
    }
    char token[65] = "";
    if (is_add) key_prepare(&j, token);
    jc_err e = store_exec(st, key_job_run, &j);
    if (e) {
        fprintf(stderr, "jiceng open311 key %s: %s%s%s\n", j.op, jc_err_code(e), j.msg[0] ? ": " : "", j.msg);
        rc = JC_EXIT_FAIL;
    } else if (is_add) {
        printf("%s\n", token);
        fprintf(stderr, "api_key for client %s (reports as user %s, id %lld) printed above; "
                        "store it now: jiceng keeps only its hash.\n",
                j.name, j.u.name, (long long)j.u.id);
    } else {
        printf("key of %s disabled\n", j.name);
    }
    sodium_memzero(token, sizeof token);
    store_close(st);
    return rc;
}

/* ---- over HTTP (administrators) ------------------------------------------------------- */

static int key_json(const o311_key *k, void *arg) {
    char ts[40];
    jc_fmt_utc(k->created_ms, ts, sizeof ts);
    json_array_append_new(arg, json_pack("{s:s,s:I,s:s,s:b}", "name", k->name, "user_id", (json_int_t)k->user_id,
                                         "created_at", ts, "active", !k->disabled));
    return 0;
}

static void h_keys(jc_req *r) {
    json_t *arr = json_array();
    jc_err e = o311_key_each(r->db, key_json, arr);
    if (e) {
        json_decref(arr);
        return http_reply_error(r, e, "keys");
    }
    http_reply_json(r, 200, json_pack("{s:o}", "keys", arr));
}

typedef struct {
    key_job j;
    char token[65];
} key_req;

static void free_key_req(void *p) {
    if (p) sodium_memzero(p, sizeof(key_req));
    free(p);
}

static jc_err run_key(jc_conn *w, jc_deferred *d) {
    key_req *k = d->data;
    k->j.actor = d->user;
    jc_err e = key_job_run(w, &k->j);
    if (e) {
        snprintf(d->message, sizeof d->message, "%s", k->j.msg);
        return e;
    }
    if (!strcmp(k->j.op, "add")) {
        d->status = 201;
        /* the key is shown once; only its hash is kept */
        d->body = json_pack("{s:s,s:s,s:I,s:s}", "name", k->j.name, "api_key", k->token, "user_id",
                            (json_int_t)k->j.u.id, "user", k->j.u.name);
    } else {
        d->status = 200;
        d->body = json_pack("{s:s,s:b}", "name", k->j.name, "active", 0);
    }
    return JC_OK;
}

static void h_key_add(jc_req *r) {
    const char *name, *area = NULL;
    if (api_need_str(r, "name", 40, &name) < 0 || api_get_str(r, "area", 23, &area) < 0) return;
    if (!name_ok(name)) return http_reply_error(r, JC_ERR_INVALID, "name must be 1-40 characters of a-z A-Z 0-9 _ . -");
    key_req *k = calloc(1, sizeof *k);
    if (!k) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    k->j.op = "add";
    snprintf(k->j.name, sizeof k->j.name, "%s", name);
    snprintf(k->j.area, sizeof k->j.area, "%s", area ? area : "");
    key_prepare(&k->j, k->token);
    api_defer(r, run_key, k, free_key_req);
}

static void h_key_disable(jc_req *r) {
    if (!name_ok(r->params[0])) return http_reply_error(r, JC_ERR_NOTFOUND, "no such key");
    key_req *k = calloc(1, sizeof *k);
    if (!k) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    k->j.op = "disable";
    snprintf(k->j.name, sizeof k->j.name, "%s", r->params[0]);
    api_defer(r, run_key, k, free_key_req);
}

static const jc_route key_routes[] = {
    {"GET", "/api/v1/open311/keys", h_keys, ROLE_BIT(ROLE_ADMIN), NULL},
    {"POST", "/api/v1/open311/keys", h_key_add, ROLE_BIT(ROLE_ADMIN), "name,area"},
    {"POST", "/api/v1/open311/keys/:name/disable", h_key_disable, ROLE_BIT(ROLE_ADMIN), NULL},
};

const jc_route_table open311__key_routes = {key_routes, JC_ARRAY_LEN(key_routes)};
