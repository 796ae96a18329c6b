/*
 * config.c -- reading the configuration file and merging it with a
 * command's flags (see config.h for the format and the precedence).
 */
#include "config.h"
#include "paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every key some command takes (its long option without "--").  To add a
 * setting: add its key here and to the command's own list of keys. */
static const char *const known_keys[] = {
    "db", "data-dir", "listen", "threads", "web", "tiles", "mqtt", "mqtt-share", "mqtt-client-id",
    "photos", "model", "log", "log-level", "tls-cert", "tls-key", "hsts", "backups", "min-free-mb", "metrics-allow",
    NULL,
};

#define LINE_MAX_LEN 4096
#define MAX_ITEMS 256

static int is_known(const char *key) {
    for (size_t i = 0; known_keys[i]; i++)
        if (!strcmp(known_keys[i], key)) return 1;
    return 0;
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) s[--n] = 0;
    return s;
}

void config_free(config_list *c) {
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) free(c->items[i].value);
    free(c->items);
    c->items = NULL;
    c->n = 0;
}

const char *config_get(const config_list *c, const char *key) {
    const char *v = NULL;
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->items[i].key, key)) v = c->items[i].value; /* the last one wins */
    return v;
}

/* Parses one line into key/value (both point into line); 0 for a blank or
 * comment line, 1 for a setting, -1 with msg for a malformed one. */
static int parse_line(char *line, char **key, char **value, char *msg, size_t msgsz) {
    char *s = trim(line);
    if (!*s || *s == '#') return 0;
    char *eq = strchr(s, '=');
    if (!eq) {
        snprintf(msg, msgsz, "expected \"key = value\"");
        return -1;
    }
    *eq = 0;
    char *k = trim(s), *v = trim(eq + 1);
    size_t vn = strlen(v);
    if (vn >= 2 && v[0] == '"' && v[vn - 1] == '"') {
        v[vn - 1] = 0;
        v++;
    } else if (vn && (v[0] == '"' || v[vn - 1] == '"')) {
        snprintf(msg, msgsz, "unbalanced quote in the value of %s", k);
        return -1;
    }
    if (!*k || strlen(k) >= sizeof(((config_item *)0)->key)) {
        snprintf(msg, msgsz, "bad key");
        return -1;
    }
    if (!is_known(k)) {
        snprintf(msg, msgsz, "unknown setting '%s' (the settings are the long options of jiceng serve, backup and doctor)", k);
        return -1;
    }
    *key = k;
    *value = v;
    return 1;
}

jc_err config_read(const char *path, config_list *out, char *msg, size_t msgsz) {
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(msg, msgsz, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? JC_ERR_NOTFOUND : JC_ERR_IO;
    }
    snprintf(out->path, sizeof out->path, "%s", path);
    char line[LINE_MAX_LEN];
    int lineno = 0;
    jc_err e = JC_OK;
    while (!e && fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            snprintf(msg, msgsz, "%s:%d: line longer than %d bytes", path, lineno, LINE_MAX_LEN - 2);
            e = JC_ERR_INVALID;
            break;
        }
        char *k, *v, why[200];
        int r = parse_line(line, &k, &v, why, sizeof why);
        if (r < 0) {
            snprintf(msg, msgsz, "%s:%d: %s", path, lineno, why);
            e = JC_ERR_INVALID;
        } else if (r > 0) {
            if (out->n == MAX_ITEMS) {
                snprintf(msg, msgsz, "%s:%d: more than %d settings", path, lineno, MAX_ITEMS);
                e = JC_ERR_INVALID;
                break;
            }
            config_item *grown = realloc(out->items, (out->n + 1) * sizeof *grown);
            char *val = jc_strdup(v);
            if (!grown || !val) {
                if (grown) out->items = grown;
                free(val);
                e = JC_ERR_NOMEM;
                break;
            }
            out->items = grown;
            config_item *it = &out->items[out->n++];
            snprintf(it->key, sizeof it->key, "%s", k);
            snprintf(it->opt, sizeof it->opt, "--%s", k);
            it->value = val;
            it->line = lineno;
        }
    }
    if (!e && ferror(f)) {
        snprintf(msg, msgsz, "%s: read error", path);
        e = JC_ERR_IO;
    }
    fclose(f);
    if (e) config_free(out);
    return e;
}

static int wanted(const char *const *keys, const char *key) {
    for (size_t i = 0; keys[i]; i++)
        if (!strcmp(keys[i], key)) return 1;
    return 0;
}

jc_err config_args(int argc, char **argv, const char *const *keys, config_list *cfg, int *out_argc,
                   char ***out_argv, char *msg, size_t msgsz) {
    memset(cfg, 0, sizeof *cfg);
    const char *file = NULL;
    int none = 0, explicit = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--no-config")) none = 1;
        else if (!strcmp(argv[i], "--config")) {
            if (i + 1 >= argc) {
                snprintf(msg, msgsz, "--config needs a FILE");
                return JC_ERR_INVALID;
            }
            file = argv[++i];
            explicit = 1;
        }
    }
    if (!file && !none) {
        const char *env = getenv("JICENG_CONFIG");
        if (env && *env) file = env, explicit = 1;
        else if (!paths_in_tree() && access(CONFIG_DEFAULT_FILE, F_OK) == 0) file = CONFIG_DEFAULT_FILE;
    }
    if (file && !none) {
        jc_err e = config_read(file, cfg, msg, msgsz);
        if (e == JC_ERR_NOTFOUND && !explicit) e = JC_OK;
        if (e) return JC_ERR_INVALID;
    }
    size_t n = 1;
    for (size_t i = 0; i < cfg->n; i++) n += wanted(keys, cfg->items[i].key) ? 2 : 0;
    char **v = malloc((n + (size_t)argc + 1) * sizeof *v);
    if (!v) {
        config_free(cfg);
        return JC_ERR_NOMEM;
    }
    int k = 0;
    v[k++] = argv[0];
    for (size_t i = 0; i < cfg->n; i++) {
        if (!wanted(keys, cfg->items[i].key)) continue;
        v[k++] = cfg->items[i].opt;
        v[k++] = cfg->items[i].value;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--no-config")) continue;
        if (!strcmp(argv[i], "--config")) {
            i++;
            continue;
        }
        v[k++] = argv[i];
    }
    v[k] = NULL;
    *out_argc = k;
    *out_argv = v;
    return JC_OK;
}
