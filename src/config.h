/*
 * config.h -- the configuration file (/etc/jiceng/jiceng.conf).
 *
 * One "key = value" per line; '#' starts a comment line; blank lines are
 * ignored; a value may be quoted with "..." (for leading or trailing
 * spaces).  Every key is the long option of a command without its "--"
 * (listen = 0.0.0.0:8080 is --listen 0.0.0.0:8080), so every setting is
 * also a flag.  A command takes the keys it knows and ignores the ones of
 * other commands (serve, backup, doctor share one file); a key no command
 * knows is an error naming the file and the line.
 *
 * Which file: --config FILE; else $JICENG_CONFIG; else, for an installed
 * binary, /etc/jiceng/jiceng.conf when it exists.  A binary running from
 * the source tree reads no file unless told.  --no-config reads none.
 * Precedence: a flag on the command line, then the file, then the
 * built-in default.
 */
#ifndef JC_CONFIG_H
#define JC_CONFIG_H

#include "jc.h"

#define CONFIG_DEFAULT_FILE "/etc/jiceng/jiceng.conf"

/* One setting of the file. */
typedef struct {
    char key[32];
    char opt[34];  /* "--" + key */
    char *value; /* owned by the list */
    int line;
} config_item;

typedef struct {
    config_item *items;
    size_t n;
    char path[512]; /* the file read ("" when none) */
} config_list;

/* Reads path into *out (config_free it).  JC_ERR_NOTFOUND when it does not
 * exist, JC_ERR_IO when it cannot be read, JC_ERR_INVALID for a malformed
 * line or an unknown key (msg then says "FILE:LINE: ..."). */
jc_err config_read(const char *path, config_list *out, char *msg, size_t msgsz) JC_MUST_CHECK;
/* Frees the items; the list is empty afterwards.  NULL is a no-op. */
void config_free(config_list *c);
/* The value of key in c, or NULL. */
const char *config_get(const config_list *c, const char *key);

/* The argument vector a command parses: argv[0], then "--key value" for
 * each setting of the configuration file whose key is in keys (a
 * NULL-terminated list of option names without "--"), then argv[1..] with
 * --config FILE and --no-config taken out, so that flags come last and
 * win.  *cfg gets the file's settings (config_free it; empty when no file
 * was read).  *out_argv is one allocation (free it); its strings point
 * into argv and *cfg.  JC_ERR_INVALID with msg for an unreadable or bad
 * file or a --config without a value. */
jc_err config_args(int argc, char **argv, const char *const *keys, config_list *cfg, int *out_argc,
                   char ***out_argv, char *msg, size_t msgsz) JC_MUST_CHECK;

#endif
