/*
 * auth.c -- accounts and sessions (see auth.h) and the `jiceng user`
 * subcommand.
 */
#include "auth.h"
#include "audit.h"
#include "cli.h"
#include "store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

jc_err auth_init(void) { return sodium_init() < 0 ? JC_ERR_INTERNAL : JC_OK; }

jc_err auth_hash_password(const char *password, char out[160]) {
    if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return JC_ERR_NOMEM;
    return JC_OK;
}

int auth_check_password(const char *hash, const char *password) {
    if (!hash || !*hash) return 0;
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

void auth_new_token(char token[65], char token_hash[65]) {
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    jc_hex(raw, sizeof raw, token);
    jc_err e = auth_token_hash(token, 64, token_hash);
    (void)e; /* a token we made is always well-formed */
}

jc_err auth_token_hash(const char *token, size_t len, char out[65]) {
    if (len != 64) return JC_ERR_AUTH;
    for (size_t i = 0; i < len; i++) {
        char ch = token[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return JC_ERR_AUTH;
    }
    unsigned char d[32];
    crypto_generichash(d, sizeof d, (const unsigned char *)token, len,
                       (const unsigned char *)"jiceng-session", 14);
    jc_hex(d, sizeof d, out);
    return JC_OK;
}

jc_err auth_validate_user(jc_conn *c, const jc_user *u, char *msg, size_t msz) {
    size_t n = strlen(u->name);
    if (n == 0 || n >= sizeof u->name || !jc_utf8_valid(u->name, n)) {
        snprintf(msg, msz, "name must be 1-63 bytes of UTF-8");
        return JC_ERR_INVALID;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)u->name[i] < 0x21) {
            snprintf(msg, msz, "name must not contain spaces or control characters");
            return JC_ERR_INVALID;
        }
    if (u->role >= ROLE_SYSTEM) {
        snprintf(msg, msz, "unknown role");
        return JC_ERR_INVALID;
    }
    int needs_area = u->role == ROLE_GRID_WORKER || u->role == ROLE_COMMUNITY_STAFF ||
                     u->role == ROLE_DISPATCHER || u->role == ROLE_SUPERVISOR;
    if (needs_area && !u->area[0]) {
        snprintf(msg, msz, "role %s needs an area (--area CODE)", role_name(u->role));
        return JC_ERR_INVALID;
    }
    if (u->area[0]) {
        jc_area a;
        jc_err e = store_area_get(c, u->area, &a);
        if (e == JC_ERR_NOTFOUND) {
            snprintf(msg, msz, "unknown area %s", u->area);
            return JC_ERR_INVALID;
        }
        if (e) return e;
        area_clear(&a);
    }
    if (u->role == ROLE_DEPT_STAFF) {
        jc_dept d;
        if (u->dept_id <= 0) {
            snprintf(msg, msz, "role dept_staff needs a department (--dept ID|CODE)");
            return JC_ERR_INVALID;
        }
        jc_err e = store_dept_get(c, u->dept_id, &d);
        if (e == JC_ERR_NOTFOUND) {
            snprintf(msg, msz, "unknown department %lld", (long long)u->dept_id);
            return JC_ERR_INVALID;
        }
        if (e) return e;
    } else if (u->dept_id) {
        snprintf(msg, msz, "only dept_staff belong to a department");
        return JC_ERR_INVALID;
    }
    return JC_OK;
}

jc_err auth_audit(jc_conn *w, const jc_user *actor, const char *action, const char *reason) {
    jc_audit e = {0};
    e.at_ms = jc_now_ms();
    e.actor_id = actor->id;
    snprintf(e.actor, sizeof e.actor, "%s", actor->name);
    snprintf(e.role, sizeof e.role, "%s", role_name(actor->role));
    snprintf(e.action, sizeof e.action, "%s", action);
    e.reason = (char *)reason;
    audit_payload_hash(reason ? reason : "", reason ? strlen(reason) : 0, e.payload_hash);
    return store_audit_append(w, &e);
}

void auth_system_actor(jc_user *out, const char *name) {
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", name);
    out->role = ROLE_SYSTEM;
}

/* ---- jiceng user ------------------------------------------------------------ */

typedef struct {
    jc_user u;
    char password[256];
    const char *op; /* "add" | "passwd" */
    char msg[200];
} user_job;

static jc_err user_job_run(jc_conn *w, void *arg) {
    user_job *j = arg;
    jc_user actor;
    auth_system_actor(&actor, "cli");
    char note[160];
    if (!strcmp(j->op, "add")) {
        jc_err e = auth_validate_user(w, &j->u, j->msg, sizeof j->msg);
        if (e) return e;
        e = store_user_insert(w, &j->u);
        if (e == JC_ERR_CONFLICT) snprintf(j->msg, sizeof j->msg, "user %s exists", j->u.name);
        if (e) return e;
        snprintf(note, sizeof note, "user %s role %s", j->u.name, role_name(j->u.role));
        return auth_audit(w, &actor, "user_add", note);
    }
    jc_user old;
    jc_err e = store_user_by_name(w, j->u.name, &old);
    if (e == JC_ERR_NOTFOUND) snprintf(j->msg, sizeof j->msg, "no user %s", j->u.name);
    if (e) return e;
    if ((e = store_user_set_password(w, old.id, j->u.pw_hash)) ||
        (e = store_sessions_delete_user(w, old.id)))
        return e;
    snprintf(note, sizeof note, "password of %s", old.name);
    return auth_audit(w, &actor, "user_passwd", note);
}

static int print_user(const jc_user *u, void *arg) {
    (void)arg;
    printf("%lld\t%s\t%s\t%s\t%s\t%lld\n", (long long)u->id, u->name, role_name(u->role),
           u->area[0] ? u->area : "-", u->display, (long long)u->dept_id);
    return 0;
}

int cmd_user(int argc, char **argv) {
    static const char help[] =
        "usage: jiceng user add --db DB --name N --role R [--area CODE] [--dept ID|CODE]\n"
        "                       [--display NAME] [--phone P] --password-stdin\n"
        "       jiceng user list --db DB\n"
        "       jiceng user passwd --db DB --name N --password-stdin\n"
        "roles: resident grid_worker community_staff dispatcher dept_staff supervisor admin\n"
        "grid_worker, community_staff, dispatcher and supervisor need --area (their scope);\n"
        "dept_staff needs --dept.  The password (at least 8 characters) is read from stdin.\n";
    if (argc < 2 || cli_wants_help(argc, argv)) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? JC_EXIT_USAGE : JC_EXIT_OK;
    }
    const char *sub = argv[1], *db = NULL, *dept = NULL;
    int pw_stdin = 0;
    user_job j = {0};
    j.op = sub;
    j.u.role = ROLE__COUNT;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--password-stdin")) { pw_stdin = 1; continue; }
        if (!v) return cli_usage_error("user", "option %s needs a value", a);
        i++;
        if (!strcmp(a, "--db")) db = v;
        else if (!strcmp(a, "--name")) snprintf(j.u.name, sizeof j.u.name, "%s", v);
        else if (!strcmp(a, "--display")) snprintf(j.u.display, sizeof j.u.display, "%s", v);
        else if (!strcmp(a, "--phone")) snprintf(j.u.phone, sizeof j.u.phone, "%s", v);
        else if (!strcmp(a, "--area")) snprintf(j.u.area, sizeof j.u.area, "%s", v);
        else if (!strcmp(a, "--dept")) dept = v;
        else if (!strcmp(a, "--role")) {
            int r = role_parse(v);
            if (r < 0 || r >= ROLE_SYSTEM) return cli_usage_error("user", "unknown role '%s'", v);
            j.u.role = (jc_role)r;
        } else return cli_usage_error("user", "unexpected argument '%s'", a);
    }
    if (!db) return cli_usage_error("user", "missing --db DB");
    int is_add = !strcmp(sub, "add"), is_pw = !strcmp(sub, "passwd"), is_list = !strcmp(sub, "list");
    if (!is_add && !is_pw && !is_list) return cli_usage_error("user", "unknown subcommand '%s'", sub);
    if ((is_add || is_pw) && !j.u.name[0]) return cli_usage_error("user", "missing --name");
    if (is_add && j.u.role == ROLE__COUNT) return cli_usage_error("user", "missing --role");
    if ((is_add || is_pw) && !pw_stdin) return cli_usage_error("user", "missing --password-stdin");
    if (auth_init()) return JC_EXIT_FAIL;
    jc_store *st = NULL;
    if (store_open(db, &st)) {
        fprintf(stderr, "jiceng user: cannot open %s\n", db);
        return JC_EXIT_FAIL;
    }
    int rc = JC_EXIT_OK;
    if (is_list) {
        jc_conn *c = NULL;
        if (store_conn_open(st, &c) || store_user_each(c, print_user, NULL)) rc = JC_EXIT_FAIL;
        store_conn_close(c);
        store_close(st);
        return rc;
    }
    if (dept) {
        jc_conn *c = NULL;
        jc_dept d;
        int64_t id = 0;
        if (store_conn_open(st, &c) == JC_OK &&
            (jc_parse_i64(dept, &id) == JC_OK ? store_dept_get(c, id, &d)
                                              : store_dept_by_code(c, dept, &d)) == JC_OK)
            j.u.dept_id = d.id;
        else j.u.dept_id = -1;
        store_conn_close(c);
        if (j.u.dept_id < 0) {
            fprintf(stderr, "jiceng user: unknown department '%s'\n", dept);
            store_close(st);
            return JC_EXIT_FAIL;
        }
    }
    char *pw = cli_read_line_stdin();
    if (!pw || strlen(pw) < AUTH_MIN_PASSWORD || strlen(pw) >= sizeof j.password) {
        fprintf(stderr, "jiceng user: the password must be %d to 255 characters\n", AUTH_MIN_PASSWORD);
        free(pw);
        store_close(st);
        return JC_EXIT_FAIL;
    }
    jc_err e = auth_hash_password(pw, j.u.pw_hash);
    sodium_memzero(pw, strlen(pw));
    free(pw);
    j.u.created_ms = jc_now_ms();
    if (!e) e = store_exec(st, user_job_run, &j);
    if (e) {
        fprintf(stderr, "jiceng user %s: %s%s%s\n", sub, jc_err_code(e), j.msg[0] ? ": " : "", j.msg);
        rc = JC_EXIT_FAIL;
    } else if (is_add) {
        printf("user %s added (id %lld)\n", j.u.name, (long long)j.u.id);
    } else {
        printf("password of %s changed; its sessions were ended\n", j.u.name);
    }
    store_close(st);
    return rc;
}
