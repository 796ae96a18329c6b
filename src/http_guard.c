/*
 * http_guard.c -- request framing, path checks, security headers and the
 * HTTP/2 policy, in front of every handler (the contract is in
 * http_guard.h; the reasons in docs/security.md).
 *
 * h2o 2.2.5 (Debian's) takes the first of two Content-Length headers and
 * lets Transfer-Encoding win over Content-Length, keeping the connection:
 * the bytes after the body it believed in are read as the next request.  It
 * keeps neither header in req->headers.  The raw request head is still at
 * the start of the connection's input buffer while the request is handled
 * (h2o consumes it only when the request is done), so the guard, the first
 * handler of every path, parses that head again with h2o's own parser
 * (picohttpparser, exported by libh2o) and answers 400 with the connection
 * closed (http1_is_persistent cleared) before anything else runs.  Reaching
 * the socket relies on the layout of h2o 2.2's HTTP/1 connection (its
 * h2o_conn_t followed by its socket, lib/http1.c); the guard checks that the
 * socket points back at the connection and that the head it parsed is this
 * request's, and otherwise refuses the request rather than guess.
 */
#include "http_guard.h"

#include <arpa/inet.h>
#include <h2o.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int name_is(const guard_header *h, const char *name) {
    size_t n = strlen(name);
    if (h->name_len != n) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = h->name[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != name[i]) return 0;
    }
    return 1;
}

/* value without leading and trailing spaces or tabs */
static void trim(const char **v, size_t *n) {
    while (*n && (**v == ' ' || **v == '\t')) (*v)++, (*n)--;
    while (*n && ((*v)[*n - 1] == ' ' || (*v)[*n - 1] == '\t')) (*n)--;
}

int guard_framing(const guard_header *h, size_t n, int http_minor, const char **why) {
    size_t cl = 0, te = 0;
    const char *te_v = NULL;
    size_t te_n = 0;
    for (size_t i = 0; i < n; i++) {
        if (name_is(&h[i], "content-length")) {
            const char *v = h[i].value;
            size_t vn = h[i].value_len;
            trim(&v, &vn);
            if (!vn || vn > 18) return *why = "a malformed Content-Length", -1;
            for (size_t k = 0; k < vn; k++)
                if (v[k] < '0' || v[k] > '9') return *why = "a malformed Content-Length", -1;
            cl++;
        } else if (name_is(&h[i], "transfer-encoding")) {
            te_v = h[i].value;
            te_n = h[i].value_len;
            te++;
        }
    }
    if (cl > 1) return *why = "more than one Content-Length", -1;
    if (te && cl) return *why = "Content-Length together with Transfer-Encoding", -1;
    if (te > 1) return *why = "more than one Transfer-Encoding", -1;
    if (te) {
        if (http_minor < 1) return *why = "Transfer-Encoding in an HTTP/1.0 request", -1;
        trim(&te_v, &te_n);
        guard_header probe = {te_v, te_n, NULL, 0};
        if (!name_is(&probe, "chunked")) return *why = "a Transfer-Encoding other than chunked", -1;
    }
    return 0;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int plain(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_' || c == '~' || c == '/' || c == '@' || c == '+';
}

int guard_path(const char *path, size_t len, int static_file, const char **why) {
    if (!len || path[0] != '/') return *why = "the path must start with /", -1;
    unsigned char prev = '/'; /* the previous character, decoded */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)path[i];
        int encoded = 0;
        if (c < 0x21 || c == 0x7f) return *why = "a control character or space in the path", -1;
        if (c == '%') {
            int hi = i + 2 < len ? hexval(path[i + 1]) : -1, lo = i + 2 < len ? hexval(path[i + 2]) : -1;
            if (hi < 0 || lo < 0) return *why = "a malformed percent escape in the path", -1;
            c = (unsigned char)(hi * 16 + lo);
            i += 2;
            encoded = 1;
            if (c < 0x20 || c == 0x7f) return *why = "an encoded NUL or control character in the path", -1;
        }
        if (c == '\\') return *why = "a backslash in the path", -1;
        if (static_file) {
            if (encoded && c == '/') return *why = "an encoded separator in the path", -1;
            if (!plain(c)) return *why = "a character a web file name does not use", -1;
            /* "." and ".." segments and hidden files alike */
            if (c == '.' && prev == '/') return *why = "a dot segment or hidden file in the path", -1;
        }
        prev = c;
    }
    return 0;
}

jc_err guard_ui_csp(const char *tile_url, char *out, size_t outsz) {
    char tiles[300] = "";
    if (tile_url && *tile_url) {
        int scheme;
        if (!strncmp(tile_url, "https://", 8)) scheme = 8;
        else if (!strncmp(tile_url, "http://", 7)) scheme = 7;
        else return JC_ERR_INVALID;
        const char *host = tile_url + scheme, *end = host;
        while (*end && *end != '/' && *end != '?' && *end != '#') end++;
        if (end == host) return JC_ERR_INVALID;
        const char *brace = NULL;
        for (const char *q = host; q < end; q++) {
            unsigned char c = (unsigned char)*q;
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '-' || c == ':' || c == '{' || c == '}'))
                return JC_ERR_INVALID;
            if (c == '}') brace = q;
        }
        jc_err e;
        if (brace) {
            /* a template host (t{s}.tianditu.gov.cn): its subdomains */
            const char *dot = memchr(brace, '.', (size_t)(end - brace));
            if (!dot) return JC_ERR_INVALID;
            e = jc_fmt(tiles, sizeof tiles, " %.*s*%.*s", scheme, tile_url, (int)(end - dot), dot);
        } else {
            e = jc_fmt(tiles, sizeof tiles, " %.*s", (int)(end - tile_url), tile_url);
        }
        if (e) return e;
    }
    return jc_fmt(out, outsz,
                  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                  "img-src 'self' data: blob:%s; connect-src 'self'; font-src 'self'; "
                  "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
                  tiles);
}

/* ---- addresses: who may read the metrics, which proxies are believed ------- */

/* One network of a list: an IPv4 or IPv6 address (16 bytes, an IPv4 one in
 * the first 4) and the number of leading bits that must match. */
typedef struct {
    int v6, bits;
    unsigned char a[16];
} net_entry;

#define NET_MAX 16
typedef struct {
    net_entry e[NET_MAX];
    int n;
} net_list;

static net_list metrics_nets = {{{0, 8, {127}}}, 1}; /* 127.0.0.0/8 */
static net_list proxy_nets;                          /* none */

/* Parses an IPv4 or IPv6 address of len bytes (an IPv4-mapped IPv6 address
 * as IPv4); 0 ok, -1 not an address. */
static int addr_parse(const char *s, size_t len, int *v6, unsigned char a[16]) {
    char t[INET6_ADDRSTRLEN];
    if (jc_copyn(t, sizeof t, s, len)) return -1;
    memset(a, 0, 16);
    if (inet_pton(AF_INET, t, a) == 1) return *v6 = 0, 0;
    if (inet_pton(AF_INET6, t, a) != 1) return -1;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!memcmp(a, mapped, 12)) {
        memmove(a, a + 12, 4);
        memset(a + 4, 0, 12);
        return *v6 = 0, 0;
    }
    return *v6 = 1, 0;
}

/* "ADDR[/BITS][,ADDR[/BITS]...]" into l, or "none"; nothing changed on error. */
static jc_err net_list_parse(const char *spec, net_list *l) {
    net_list t = {.n = 0};
    if (strcmp(spec, "none")) {
        const char *p = spec;
        for (;;) {
            size_t len = strcspn(p, ",");
            const char *slash = memchr(p, '/', len);
            net_entry *e = &t.e[t.n];
            if (t.n == NET_MAX || addr_parse(p, slash ? (size_t)(slash - p) : len, &e->v6, e->a)) return JC_ERR_INVALID;
            int max = e->v6 ? 128 : 32;
            e->bits = max;
            if (slash) {
                char b[8];
                int64_t v;
                if (jc_copyn(b, sizeof b, slash + 1, len - (size_t)(slash + 1 - p)) || jc_parse_i64(b, &v) || v < 0 ||
                    v > max)
                    return JC_ERR_INVALID;
                e->bits = (int)v;
            }
            t.n++;
            if (!p[len]) break;
            p += len + 1;
        }
        if (!t.n) return JC_ERR_INVALID;
    }
    *l = t;
    return JC_OK;
}

static int net_list_has(const net_list *l, int v6, const unsigned char a[16]) {
    for (int i = 0; i < l->n; i++) {
        const net_entry *e = &l->e[i];
        if (e->v6 != v6) continue;
        int full = e->bits / 8, rest = e->bits % 8;
        if (memcmp(e->a, a, (size_t)full)) continue;
        if (rest && ((e->a[full] ^ a[full]) & (0xff << (8 - rest)))) continue;
        return 1;
    }
    return 0;
}

jc_err guard_metrics_allow(const char *spec) { return net_list_parse(spec, &metrics_nets); }

int guard_metrics_addr_ok(const char *addr) {
    int v6;
    unsigned char a[16];
    return !addr_parse(addr, strlen(addr), &v6, a) && net_list_has(&metrics_nets, v6, a);
}

jc_err guard_trusted_proxies(const char *spec) { return net_list_parse(spec, &proxy_nets); }

static int trusted(const char *s, size_t len) {
    int v6;
    unsigned char a[16];
    return !addr_parse(s, len, &v6, a) && net_list_has(&proxy_nets, v6, a);
}

static int is_addr(const char *s, size_t len) {
    int v6;
    unsigned char a[16];
    return !addr_parse(s, len, &v6, a);
}

jc_err guard_client_addr(const char *peer, const guard_header *h, size_t n, char *out, size_t outsz) {
    const char *cur = peer;
    size_t cur_len = strlen(peer);
    if (trusted(cur, cur_len)) {
        /* X-Forwarded-For, read from its end: each trusted hop appended the
         * address it saw; the first one not of a trusted proxy is the client.
         * What a client wrote itself stands left of that and is not read. */
        int any = 0, done = 0, hops = 0;
        for (size_t i = n; i-- > 0 && !done;) {
            if (!name_is(&h[i], "x-forwarded-for")) continue;
            any = 1;
            const char *v = h[i].value;
            size_t end = h[i].value_len;
            for (;;) {
                size_t start = end;
                while (start > 0 && v[start - 1] != ',') start--;
                const char *e = v + start;
                size_t el = end - start;
                trim(&e, &el);
                if (!is_addr(e, el) || ++hops > 64) { done = 1; break; } /* the last hop that was one */
                cur = e, cur_len = el;
                if (!trusted(e, el)) { done = 1; break; }                /* the client */
                if (start == 0) break;                                   /* on in the previous line */
                end = start - 1;
            }
        }
        if (!any) {
            for (size_t i = n; i-- > 0;) {
                if (!name_is(&h[i], "x-real-ip")) continue;
                const char *v = h[i].value;
                size_t vl = h[i].value_len;
                trim(&v, &vl);
                if (is_addr(v, vl)) cur = v, cur_len = vl;
                break;
            }
        }
    }
    /* in its usual spelling (an IPv4-mapped one as IPv4) */
    int v6;
    unsigned char a[16];
    char t[INET6_ADDRSTRLEN];
    if (addr_parse(cur, cur_len, &v6, a) || !inet_ntop(v6 ? AF_INET6 : AF_INET, a, t, sizeof t))
        return jc_copyn(out, outsz, cur, cur_len);
    return jc_copy(out, outsz, t);
}

static void peer_text(h2o_req_t *req, char *out, size_t outsz) {
    struct sockaddr_storage ss;
    out[0] = 0;
    socklen_t n = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    if (n && ss.ss_family == AF_INET && !inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out, (socklen_t)outsz))
        out[0] = 0;
    else if (n && ss.ss_family == AF_INET6 && !inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, out, (socklen_t)outsz))
        out[0] = 0;
}

void guard_client_ip(void *r, char *out, size_t outsz) {
    h2o_req_t *req = r;
    char peer[INET6_ADDRSTRLEN];
    peer_text(req, peer, sizeof peer);
    out[0] = 0;
    if (!peer[0] || !proxy_nets.n) {
        if (jc_copyn(out, outsz, peer, strlen(peer))) out[0] = 0;
        return;
    }
    guard_header hs[32];
    size_t n = 0;
    for (size_t i = 0; i < req->headers.size && n < JC_ARRAY_LEN(hs); i++) {
        const h2o_header_t *x = &req->headers.entries[i];
        if (!h2o_memis(x->name->base, x->name->len, H2O_STRLIT("x-forwarded-for")) &&
            !h2o_memis(x->name->base, x->name->len, H2O_STRLIT("x-real-ip")))
            continue;
        hs[n++] = (guard_header){x->name->base, x->name->len, x->value.base, x->value.len};
    }
    if (guard_client_addr(peer, hs, n, out, outsz)) out[0] = 0;
}

int guard_metrics_peer(void *r) {
    char ip[INET6_ADDRSTRLEN];
    guard_client_ip(r, ip, sizeof ip);
    return ip[0] && guard_metrics_addr_ok(ip);
}

/* ---- the server's side ------------------------------------------------------ */

void guard_http_config(h2o_globalconf_t *config) {
    /* h2o answers "PRI * HTTP/2.0" and "Upgrade: h2c" with HTTP/2 when this
     * is set (its default): cleartext HTTP/2 for anyone, and with it the
     * rapid-reset flood of issue 18 (h2o 2.2.5 has no limit on resets). */
    config->http1.upgrade_to_http2 = 0;
}

typedef struct {
    h2o_handler_t super;
    int ui;
    const char *deny;
} guard_handler;

static void refuse(h2o_req_t *req, const char *why) {
    char body[256];
    int n = snprintf(body, sizeof body, "{\"error\":{\"code\":\"invalid\",\"message\":\"%s\"}}", why);
    if (n < 0 || (size_t)n >= sizeof body) n = 0;
    req->http1_is_persistent = 0; /* nothing after this request is read */
    req->res.status = 400;
    req->res.reason = "Bad Request";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("application/json; charset=utf-8"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
    req->res.content_length = (size_t)n;
    h2o_send_inline(req, body, (size_t)n);
}

/* picohttpparser as bundled and exported by libh2o (no header installed);
 * guard_header has the layout of its struct phr_header. */
int phr_parse_request(const char *buf, size_t len, const char **method, size_t *method_len, const char **path,
                      size_t *path_len, int *minor_version, guard_header *headers, size_t *num_headers,
                      size_t last_len);

/* The head of h2o 2.2's struct st_h2o_http1_conn_t (lib/http1.c). */
struct http1_conn_head {
    h2o_conn_t super;
    h2o_socket_t *sock;
};

#define GUARD_MAX_HEADERS 100 /* h2o's own limit */

int guard_head(const char *buf, size_t len, const char **why) {
    const char *m, *p;
    size_t ml, pl, n = GUARD_MAX_HEADERS;
    int minor;
    guard_header hs[GUARD_MAX_HEADERS];
    int r = phr_parse_request(buf, len, &m, &ml, &p, &pl, &minor, hs, &n, 0);
    if (r == -2) return *why = "an incomplete request head", -1;
    if (r < 0) return *why = "a malformed request head", -1;
    return guard_framing(hs, n, minor, why);
}

/* The framing of HTTP/1 request req, from its raw head. */
static int framing_of(h2o_req_t *req, const char **why) {
    const struct http1_conn_head *c = (const void *)req->conn;
    h2o_socket_t *sock = c->sock;
    if (!sock || sock->data != (void *)req->conn || !sock->input || !sock->input->size)
        return *why = "the request head cannot be checked", -1;
    const char *m, *p;
    size_t ml, pl, n = GUARD_MAX_HEADERS;
    int minor;
    guard_header hs[GUARD_MAX_HEADERS];
    int r = phr_parse_request(sock->input->bytes, sock->input->size, &m, &ml, &p, &pl, &minor, hs, &n, 0);
    if (r <= 0 || ml != req->input.method.len || memcmp(m, req->input.method.base, ml) ||
        pl != req->input.path.len || memcmp(p, req->input.path.base, pl))
        return *why = "the request head cannot be checked", -1;
    return guard_framing(hs, n, minor, why);
}

static int on_guard(h2o_handler_t *self, h2o_req_t *req) {
    guard_handler *g = (guard_handler *)self;
    const char *why = NULL;
    if (req->version < 0x200 && framing_of(req, &why) == 0) why = NULL;
    size_t plen = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    if (!why && guard_path(req->path.base, plen, g->ui, &why) == 0) why = NULL;
    if (!why && g->deny) {
        size_t dn = strlen(g->deny);
        if (plen >= dn && !memcmp(req->path.base, g->deny, dn) && (plen == dn || req->path.base[dn] == '/')) {
            h2o_send_error_404(req, "Not Found", "not found", 0);
            return 0;
        }
    }
    if (!why) return -1; /* on to the next handler */
    refuse(req, why);
    return 0;
}

void guard_register(h2o_pathconf_t *pc, int ui, const char *csp, const char *deny) {
    guard_handler *g = (guard_handler *)h2o_create_handler(pc, sizeof *g);
    g->super.on_req = on_guard;
    g->ui = ui;
    g->deny = deny;
    static const char api_csp[] = "default-src 'none'; frame-ancestors 'none'";
    const char *policy = ui && csp ? csp : api_csp;
    static struct {
        const char *name, *value;
    } const fixed[] = {
        {"x-content-type-options", "nosniff"},
        {"x-frame-options", "DENY"},
        {"referrer-policy", "no-referrer"},
    };
    h2o_headers_command_t *cmds = calloc(JC_ARRAY_LEN(fixed) + 2, sizeof *cmds);
    if (!cmds) return; /* at start-up; the guard itself is in place */
    size_t k = 0;
    for (size_t i = 0; i < JC_ARRAY_LEN(fixed); i++, k++) {
        h2o_iovec_t *name = malloc(sizeof *name);
        if (!name) return free(cmds);
        *name = h2o_iovec_init(fixed[i].name, strlen(fixed[i].name));
        cmds[k] = (h2o_headers_command_t){H2O_HEADERS_CMD_SET, name, h2o_iovec_init(fixed[i].value, strlen(fixed[i].value))};
    }
    h2o_iovec_t *name = malloc(sizeof *name);
    if (!name) return free(cmds);
    *name = h2o_iovec_init(H2O_STRLIT("content-security-policy"));
    /* an API answer that brings its own policy keeps it (a photo's or a
     * document's `sandbox`); the UI's files always get the UI's */
    cmds[k++] = (h2o_headers_command_t){ui ? H2O_HEADERS_CMD_SET : H2O_HEADERS_CMD_SETIFEMPTY, name,
                                        h2o_iovec_init(policy, strlen(policy))};
    cmds[k].cmd = H2O_HEADERS_CMD_NULL;
    h2o_headers_register(pc, cmds);
}
