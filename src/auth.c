/*
 * auth.c -- accounts and sessions (see auth.h) and the `jiceng user`
 * subcommand.
 */
#include "auth.h"
#include "module.h"
#include "audit.h"
#include "auth_store.h"
#include "cli.h"
#include "reason.h"
#include "store.h"

#include <pthread.h>
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
    chain_payload_hash(reason ? reason : "", reason ? strlen(reason) : 0, e.payload_hash);
    return store_audit_append(w, &e);
}

const char *auth_user_reason(char *dst, size_t n, const char *code, const jc_user *u) {
    reason_buf b;
    reason_begin(&b, dst, n, code);
    reason_str(&b, "user", u->name);
    reason_str(&b, "role", role_name(u->role));
    reason_str(&b, "area", u->area[0] ? u->area : NULL);
    reason_int(&b, "dept", u->dept_id);
    reason_int(&b, "disabled", u->disabled ? 1 : 0);
    return reason_end(&b);
}

void auth_system_actor(jc_user *out, const char *name) {
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", name);
    out->role = ROLE_SYSTEM;
}

/* ---- the password policy ------------------------------------------------------
 * Length does most of the work (ten characters rule out most of the lists
 * attackers start with); the list below holds common passwords of ten or
 * more characters, Chinese users' favourites among them, compared without
 * case.  Written for jiceng from the well-known top lists. */

static const char *const common_passwords[] = {
    "0123456789", "1234567890", "0987654321", "9876543210", "12345678910", "123456789a",
    "a123456789", "a1234567890", "abc1234567", "abcd123456", "abcde12345", "abcdef1234",
    "1234567890a", "1234567890q", "123456789q", "q123456789", "qwertyuiop", "qwertyuiop123",
    "qwerty1234", "qwerty12345", "qwerty123456", "1qaz2wsx3edc", "1qaz2wsx3e", "1qazxsw23edc",
    "qazwsxedc123", "qazwsxedcrfv", "1q2w3e4r5t", "1q2w3e4r5t6y", "q1w2e3r4t5", "q1w2e3r4t5y6",
    "zxcvbnm123", "zxcvbnm1234", "asdfghjkl1", "asdfghjkl123", "asdf123456", "zaq12wsxcde3",
    "password12", "password123", "password1234", "password12345", "passw0rd123", "p@ssw0rd123",
    "p@ssword123", "passwordpassword", "iloveyou12", "iloveyou123", "iloveyou1314", "woaini1314",
    "woaini520", "woaini5201314", "5201314520", "5201314woaini", "1314520520", "woaiwojia1314",
    "admin123456", "admin12345", "administrator", "admin@123456", "root123456", "root@123456",
    "changeme123", "welcome123", "welcome1234", "letmein123", "trustno1234", "football123",
    "baseball123", "superman123", "sunshine123", "princess123", "monkey12345", "dragon12345",
    "master12345", "shadow12345", "michael123", "jennifer123", "1111111111", "0000000000",
    "1111111111a", "1122334455", "1234512345", "1234554321", "1357924680", "147258369a",
    "1472583690", "3692581470", "147852369a", "a147258369", "qq123456789", "qq1234567890",
    "wang123456", "zhang123456", "li123456789", "liu123456789", "chen123456", "yang123456",
    "huang123456", "zhao123456", "zhou123456", "wu123456789", "xu123456789", "sun123456789",
    "ma123456789", "zhu123456789", "hu123456789", "lin123456789", "abc123456789", "aa123456789",
    "aaa123456789", "a12345678910", "jiceng123456", "jiceng12345", "jiceng1234", "jiceng-admin",
    "beijing2008", "beijing123456", "zhongguo123", "china123456", "huawei123456", "xiaomi123456",
    "88888888888", "66666666666", "1234567891", "12345678900", "123123123123", "123321123321",
    "123qweasdzxc", "qweasdzxc123", "qweasdzxc", "1qaz!QAZ2wsx", "1qaz@WSX3edc", "Aa123456789",
    "aa12345678", "abc@123456", "a1b2c3d4e5", "a1b2c3d4e5f6", "computer123", "internet123",
};

static int lower_eq(const char *a, const char *b) {
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
        if (x != y) return 0;
    }
    return *a == *b;
}

static int contains_nocase(const char *hay, const char *needle) {
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i]) {
            char x = hay[i] >= 'A' && hay[i] <= 'Z' ? (char)(hay[i] - 'A' + 'a') : hay[i];
            char y = needle[i] >= 'A' && needle[i] <= 'Z' ? (char)(needle[i] - 'A' + 'a') : needle[i];
            if (x != y) break;
            i++;
        }
        if (i == n) return 1;
    }
    return 0;
}

jc_err auth_password_ok(const char *pw, const char *name, char *msg, size_t msz) {
    size_t bytes = strlen(pw);
    if (!jc_utf8_valid(pw, bytes) || jc_utf8_len(pw) < AUTH_MIN_PASSWORD)
        return snprintf(msg, msz, "the password needs at least %d characters", AUTH_MIN_PASSWORD), JC_ERR_INVALID;
    if (bytes > 127) return snprintf(msg, msz, "the password is longer than 127 bytes"), JC_ERR_INVALID;
    size_t digits = 0, same = 0;
    for (size_t i = 0; i < bytes; i++) {
        digits += pw[i] >= '0' && pw[i] <= '9';
        same += pw[i] == pw[0];
    }
    if (digits == bytes) return snprintf(msg, msz, "the password must not be only digits"), JC_ERR_INVALID;
    if (same == bytes) return snprintf(msg, msz, "the password must not repeat one character"), JC_ERR_INVALID;
    if (name && strlen(name) >= 3 && contains_nocase(pw, name))
        return snprintf(msg, msz, "the password must not contain the user name"), JC_ERR_INVALID;
    for (size_t i = 0; i < JC_ARRAY_LEN(common_passwords); i++)
        if (lower_eq(pw, common_passwords[i]))
            return snprintf(msg, msz, "the password is one of the most common ones; choose another"), JC_ERR_INVALID;
    return JC_OK;
}

/* ---- login throttling ------------------------------------------------------------ */

#define FREE_ACCOUNT 4        /* failures of one account name before any wait */
#define LOCK_ACCOUNT 10       /* failures that lock it */
#define FREE_ADDRESS 20       /* failures from one address before any wait */
#define LOCK_ADDRESS 60       /* failures that lock it */
#define MAX_WAIT_MS 60000LL
#define LOCK_MS (30 * 60000LL)
#define WINDOW_MS (60 * 60000LL)     /* failures older than this are forgotten */
#define FORGET_MS (24 * 3600000LL)   /* rows older than this are deleted */

void auth_throttle_keys(const char *name, const char *addr, auth_keys *k) {
    /* both fit (a name is at most 63 characters, an address at most 45: IPv6); were
     * one cut, its key would be its prefix's: still one key per name */
    jc_err e1 = jc_fmt(k->account, sizeof k->account, "account:%s", name);
    jc_err e2 = jc_fmt(k->address, sizeof k->address, "address:%s", addr && *addr ? addr : "-");
    (void)e1, (void)e2;
}

static int64_t wait_of(const auth_throttle_row *r, int free_n, int64_t now, int *locked) {
    if (r->locked_until > now) {
        *locked = 1;
        return r->locked_until - now;
    }
    if (now - r->last_at > WINDOW_MS || r->failures < free_n) return 0;
    int shift = r->failures - free_n;
    int64_t w = shift >= 16 ? MAX_WAIT_MS : 1000LL << shift;
    if (w > MAX_WAIT_MS) w = MAX_WAIT_MS;
    return r->last_at + w > now ? r->last_at + w - now : 0;
}

int64_t auth_throttle_wait(jc_conn *c, const auth_keys *k, int64_t now, int *locked) {
    *locked = 0;
    int64_t wait = 0;
    auth_throttle_row r;
    if (auth_store_get(c, k->account, &r) == JC_OK) wait = wait_of(&r, FREE_ACCOUNT, now, locked);
    if (auth_store_get(c, k->address, &r) == JC_OK) {
        int l = 0;
        int64_t w = wait_of(&r, FREE_ADDRESS, now, &l);
        if (w > wait) wait = w, *locked |= l;
    }
    return wait;
}

static jc_err fail_one(jc_conn *w, const char *key, int free_n, int lock_n, int64_t now) {
    auth_throttle_row r;
    jc_err e = auth_store_get(w, key, &r);
    if (e == JC_ERR_NOTFOUND) {
        memset(&r, 0, sizeof r);
        if (jc_copy(r.key, sizeof r.key, key)) return JC_ERR_INVALID;
    } else if (e) {
        return e;
    }
    if (now - r.last_at > WINDOW_MS && r.locked_until <= now) r.failures = 0;
    r.failures++;
    r.last_at = now;
    const char *what = NULL;
    if (r.failures >= lock_n && r.locked_until <= now) {
        r.locked_until = now + LOCK_MS;
        what = "login_locked";
    } else if (r.failures == free_n) {
        what = "login_throttled";
    }
    if ((e = auth_store_put(w, &r, now - FORGET_MS))) return e;
    if (!what) return JC_OK;
    jc_user sys;
    auth_system_actor(&sys, "login");
    char note[800];
    reason_buf b;
    reason_begin(&b, note, sizeof note, what); /* a code (docs/audit.md) */
    reason_str(&b, "key", key);
    reason_int(&b, "n", r.failures);
    reason_int(&b, "locked_min", r.locked_until > now ? LOCK_MS / 60000 : 0);
    return auth_audit(w, &sys, what, reason_end(&b));
}

jc_err auth_throttle_fail(jc_conn *w, const auth_keys *k, int64_t now) {
    jc_err e = fail_one(w, k->account, FREE_ACCOUNT, LOCK_ACCOUNT, now);
    return e ? e : fail_one(w, k->address, FREE_ADDRESS, LOCK_ADDRESS, now);
}

jc_err auth_throttle_clear(jc_conn *w, const auth_keys *k) {
    jc_err e = auth_store_delete(w, k->account);
    return e == JC_ERR_NOTFOUND ? JC_OK : e;
}

jc_err auth_throttle_lift(jc_conn *w, const jc_user *actor, const char *key) {
    jc_err e = auth_store_delete(w, key);
    if (e) return e;
    char note[800];
    reason_buf b;
    reason_begin(&b, note, sizeof note, "login_unlock"); /* a code (docs/audit.md) */
    reason_str(&b, "key", key);
    return auth_audit(w, actor, "login_unlock", reason_end(&b));
}

/* In-flight attempts: counts in slots by a hash of the key (a collision only
 * makes two keys share a limit). */
#define INFLIGHT_SLOTS 4096
static pthread_mutex_t inflight_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned short inflight[INFLIGHT_SLOTS];

static unsigned slot_of(const char *key) {
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) h = (h ^ *p) * 16777619u;
    return h % INFLIGHT_SLOTS;
}

int auth_attempt_begin(const auth_keys *k) {
    unsigned a = slot_of(k->account), b = slot_of(k->address);
    pthread_mutex_lock(&inflight_mu);
    int ok = inflight[a] < 2 && inflight[b] < 8;
    if (ok) inflight[a]++, inflight[b]++;
    pthread_mutex_unlock(&inflight_mu);
    return ok;
}

void auth_attempt_end(const auth_keys *k) {
    unsigned a = slot_of(k->account), b = slot_of(k->address);
    pthread_mutex_lock(&inflight_mu);
    if (inflight[a]) inflight[a]--;
    if (inflight[b]) inflight[b]--;
    pthread_mutex_unlock(&inflight_mu);
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
    char note[300];
    if (!strcmp(j->op, "add")) {
        jc_err e = auth_validate_user(w, &j->u, j->msg, sizeof j->msg);
        if (e) return e;
        e = store_user_insert(w, &j->u);
        if (e == JC_ERR_CONFLICT) snprintf(j->msg, sizeof j->msg, "user %s exists", j->u.name);
        if (e) return e;
        return auth_audit(w, &actor, "user_add", auth_user_reason(note, sizeof note, "user_add", &j->u));
    }
    jc_user old;
    jc_err e = store_user_by_name(w, j->u.name, &old);
    if (e == JC_ERR_NOTFOUND) snprintf(j->msg, sizeof j->msg, "no user %s", j->u.name);
    if (e) return e;
    if ((e = store_user_set_password(w, old.id, j->u.pw_hash)) ||
        (e = store_sessions_delete_user(w, old.id)))
        return e;
    return auth_audit(w, &actor, "user_passwd", auth_user_reason(note, sizeof note, "user_passwd", &old));
}

static int print_user(const jc_user *u, void *arg) {
    (void)arg;
    printf("%lld\t%s\t%s\t%s\t%s\t%lld\n", (long long)u->id, u->name, role_name(u->role),
           u->area[0] ? u->area : "-", u->display, (long long)u->dept_id);
    return 0;
}

static int print_lock(const auth_throttle_row *row, void *arg) {
    (void)arg;
    char last[40], until[40] = "-";
    jc_fmt_local(row->last_at, last, sizeof last);
    if (row->locked_until > jc_real_ms()) jc_fmt_local(row->locked_until, until, sizeof until);
    printf("%s\t%d failures\tlast %s\tlocked until %s\n", row->key, row->failures, last, until);
    return 0;
}

typedef struct {
    char key[300];
} unlock_job;

static jc_err unlock_run(jc_conn *w, void *arg) {
    unlock_job *j = arg;
    jc_user actor;
    auth_system_actor(&actor, "cli");
    return auth_throttle_lift(w, &actor, j->key);
}

/* `jiceng user locks` and `jiceng user unlock`. */
static int user_locks(const char *db, const char *sub, const char *name, const char *address) {
    int unlock = !strcmp(sub, "unlock");
    if (unlock && !name[0] == !address)
        return cli_usage_error("user", "unlock needs --name N or --address IP");
    if (auth_init()) return JC_EXIT_FAIL;
    jc_store *st = NULL;
    if (store_open(db, &st)) {
        fprintf(stderr, "jiceng user: cannot open %s\n", db);
        return JC_EXIT_FAIL;
    }
    int rc = JC_EXIT_OK;
    if (!unlock) {
        jc_conn *c = NULL;
        if (store_conn_open(st, &c) || auth_store_each(c, print_lock, NULL)) rc = JC_EXIT_FAIL;
        store_conn_close(c);
    } else {
        auth_keys k;
        unlock_job j;
        auth_throttle_keys(name, address ? address : "", &k);
        if (jc_copy(j.key, sizeof j.key, address ? k.address : k.account)) rc = JC_EXIT_USAGE;
        jc_err e = rc ? JC_ERR_INVALID : store_exec(st, unlock_run, &j);
        if (e == JC_ERR_NOTFOUND) fprintf(stderr, "jiceng user unlock: no failed logins of %s\n", j.key), rc = JC_EXIT_FAIL;
        else if (e) fprintf(stderr, "jiceng user unlock: %s\n", jc_err_code(e)), rc = rc ? rc : JC_EXIT_FAIL;
        else printf("%s: lifted\n", j.key);
    }
    store_close(st);
    return rc;
}

int cmd_user(int argc, char **argv) {
    static const char help[] =
        "usage: jiceng user add --db DB --name N --role R [--area CODE] [--dept ID|CODE]\n"
        "                       [--display NAME] [--phone P] --password-stdin\n"
        "       jiceng user list --db DB\n"
        "       jiceng user passwd --db DB --name N --password-stdin\n"
        "       jiceng user locks --db DB                 accounts and addresses with failed logins\n"
        "       jiceng user unlock --db DB (--name N | --address IP)   lift a login lock\n"
        "roles: resident grid_worker community_staff dispatcher dept_staff supervisor admin\n"
        "grid_worker, community_staff, dispatcher and supervisor need --area (their scope);\n"
        "dept_staff needs --dept.  The password is read from stdin: at least 10 characters,\n"
        "not only digits, not the user's name, not a common password.\n";
    if (argc < 2 || cli_wants_help(argc, argv)) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? JC_EXIT_USAGE : JC_EXIT_OK;
    }
    const char *sub = argv[1], *db = NULL, *dept = NULL, *address = NULL;
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
        else if (!strcmp(a, "--address")) address = v;
        else if (!strcmp(a, "--role")) {
            int r = role_parse(v);
            if (r < 0 || r >= ROLE_SYSTEM) return cli_usage_error("user", "unknown role '%s'", v);
            j.u.role = (jc_role)r;
        } else return cli_usage_error("user", "unexpected argument '%s'", a);
    }
    if (!db) return cli_usage_error("user", "missing --db DB");
    int is_add = !strcmp(sub, "add"), is_pw = !strcmp(sub, "passwd"), is_list = !strcmp(sub, "list");
    if (!strcmp(sub, "locks") || !strcmp(sub, "unlock")) return user_locks(db, sub, j.u.name, address);
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
    char why[160];
    if (!pw || auth_password_ok(pw, j.u.name, why, sizeof why)) {
        fprintf(stderr, "jiceng user: %s\n", pw ? why : "no password on stdin");
        if (pw) sodium_memzero(pw, strlen(pw));
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

/* Serving: libsodium ready before the first password or token. */
static jc_err auth_start(jc_store *st, char *msg, size_t msgsz) {
    (void)st;
    jc_err e = auth_init();
    if (e) snprintf(msg, msgsz, "libsodium did not initialise");
    return e;
}

/* The auth module's row (src/modules.c): its tables (login throttling),
 * `jiceng user`, and libsodium made ready when the server starts. */
const jc_module module_auth = {
    .name = "auth",
    .schema = {[JC_STORE_SQLITE] = &schema_auth, [JC_STORE_PG] = &schema_auth_pg},
    .store = {[JC_STORE_SQLITE] = &auth_store_sqlite, [JC_STORE_PG] = &auth_store_pg},
    .commands = {{"user", cmd_user, "add, list users or set a password"}},
    .start = auth_start,
};
