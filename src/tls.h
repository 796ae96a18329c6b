/*
 * tls.h -- TLS served by jiceng itself (serve --tls-cert, --tls-key), with
 * OpenSSL from Debian through h2o.
 *
 * TLS 1.2 and 1.3 only.  ALPN offers "http/1.1" alone: HTTP/2 is not
 * spoken over TLS either (docs/security.md: h2o 2.2 has no limit on
 * stream resets), so a browser uses HTTP/1.1 keep-alive.  SIGHUP reloads
 * the certificate and key (a renewal): connections accepted afterwards use
 * the new ones; a pair that does not load leaves the old one in use.
 */
#ifndef JC_TLS_H
#define JC_TLS_H

#include "jc.h"

#include <openssl/ssl.h>

/* Loads the certificate chain (PEM) and its private key into a new
 * context and makes it current.  JC_ERR_INVALID with what is wrong in msg
 * (unreadable file, not PEM, key not matching the certificate); the
 * current context then stays. */
jc_err tls_load(const char *cert, const char *key, char *msg, size_t msgsz) JC_MUST_CHECK;
/* The current context, NULL when TLS is off.  Owned by this module; a
 * context replaced by a reload stays valid until the reload after next. */
SSL_CTX *tls_ctx(void);
/* Loads the files of the last tls_load again (SIGHUP); as tls_load. */
jc_err tls_reload(char *msg, size_t msgsz) JC_MUST_CHECK;
/* "CN=... (expires 2027-03-01)" of the current certificate into out. */
void tls_describe(char *out, size_t n);

#endif
