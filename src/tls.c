/*
 * tls.c -- the TLS context of `jiceng serve` (see tls.h): certificate and
 * key from PEM files, TLS 1.2+, ALPN http/1.1 only, reloaded on SIGHUP.
 */
#include "tls.h"

#include <h2o.h>
#include <openssl/err.h>
#include <openssl/x509err.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static SSL_CTX *current, *retired; /* retired: the one before, still in use by a thread that read it */
static char cert_path[1024], key_path[1024];

/* ALPN: HTTP/1.1 alone (docs/security.md, "HTTP/2"). */
static const h2o_iovec_t alpn[] = {{H2O_STRLIT("http/1.1")}, {NULL, 0}};

/* The first OpenSSL error as text into msg after prefix. */
static void ssl_error(char *msg, size_t n, const char *what, const char *path) {
    char e[256] = "";
    unsigned long code = ERR_get_error();
    if (code) ERR_error_string_n(code, e, sizeof e);
    ERR_clear_error();
    snprintf(msg, n, "%s %s: %s", what, path, e[0] ? e : "unknown error");
}

static SSL_CTX *make_ctx(const char *cert, const char *key, char *msg, size_t n) {
    SSL_CTX *c = SSL_CTX_new(TLS_server_method());
    if (!c) {
        ssl_error(msg, n, "TLS", "context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
    SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
    if (SSL_CTX_use_certificate_chain_file(c, cert) != 1) {
        ssl_error(msg, n, "cannot load the certificate", cert);
    } else if (SSL_CTX_use_PrivateKey_file(c, key, SSL_FILETYPE_PEM) != 1) {
        if (ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH) {
            snprintf(msg, n, "the private key %s does not belong to the certificate %s", key, cert);
            ERR_clear_error();
        } else {
            ssl_error(msg, n, "cannot load the private key", key);
        }
    } else if (SSL_CTX_check_private_key(c) != 1) {
        snprintf(msg, n, "the private key %s does not belong to the certificate %s", key, cert);
        ERR_clear_error();
    } else {
        h2o_ssl_register_alpn_protocols(c, alpn);
        return c;
    }
    SSL_CTX_free(c);
    return NULL;
}

jc_err tls_load(const char *cert, const char *key, char *msg, size_t msgsz) {
    if (strlen(cert) >= sizeof cert_path || strlen(key) >= sizeof key_path) {
        snprintf(msg, msgsz, "path too long");
        return JC_ERR_INVALID;
    }
    SSL_CTX *c = make_ctx(cert, key, msg, msgsz);
    if (!c) return JC_ERR_INVALID;
    pthread_mutex_lock(&mu);
    if (retired) SSL_CTX_free(retired);
    retired = current;
    __atomic_store_n(&current, c, __ATOMIC_RELEASE);
    snprintf(cert_path, sizeof cert_path, "%s", cert);
    snprintf(key_path, sizeof key_path, "%s", key);
    pthread_mutex_unlock(&mu);
    return JC_OK;
}

SSL_CTX *tls_ctx(void) { return __atomic_load_n(&current, __ATOMIC_ACQUIRE); }

jc_err tls_reload(char *msg, size_t msgsz) {
    char cert[sizeof cert_path], key[sizeof key_path];
    pthread_mutex_lock(&mu);
    snprintf(cert, sizeof cert, "%s", cert_path);
    snprintf(key, sizeof key, "%s", key_path);
    pthread_mutex_unlock(&mu);
    if (!cert[0]) return JC_OK;
    return tls_load(cert, key, msg, msgsz);
}

void tls_describe(char *out, size_t n) {
    SSL_CTX *c = tls_ctx();
    X509 *x = c ? SSL_CTX_get0_certificate(c) : NULL;
    if (!x) {
        snprintf(out, n, "none");
        return;
    }
    char subject[256] = "?", until[64] = "?";
    X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof subject);
    const ASN1_TIME *na = X509_get0_notAfter(x);
    struct tm tm;
    if (na && ASN1_TIME_to_tm(na, &tm) == 1) strftime(until, sizeof until, "%Y-%m-%d", &tm);
    snprintf(out, n, "%s (until %s)", subject, until);
}
