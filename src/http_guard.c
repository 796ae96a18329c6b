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

/* ---- who may read the metrics ---------------------------------------------- */

#define METRICS_NETS 16
static struct {
    uint32_t net, mask; /* host byte order */
} metrics_nets[METRICS_NETS] = {{0x7f000000u, 0xff000000u}};
static int metrics_n = 1;

jc_err guard_metrics_allow(const char *spec) {
    if (!strcmp(spec, "none")) {
        metrics_n = 0;
        return JC_OK;
    }
    uint32_t net[METRICS_NETS], mask[METRICS_NETS];
    int n = 0;
    const char *p = spec;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char item[40], *slash;
        if (n == METRICS_NETS || jc_copyn(item, sizeof item, p, len)) return JC_ERR_INVALID;
        int bits = 32;
        if ((slash = strchr(item, '/'))) {
            int64_t b;
            *slash = 0;
            if (jc_parse_i64(slash + 1, &b) || b < 0 || b > 32) return JC_ERR_INVALID;
            bits = (int)b;
        }
        struct in_addr a;
        if (inet_pton(AF_INET, item, &a) != 1) return JC_ERR_INVALID;
        mask[n] = bits ? 0xffffffffu << (32 - bits) : 0;
        net[n] = ntohl(a.s_addr) & mask[n];
        n++;
        p += len + (end ? 1 : 0);
        if (end && !*p) return JC_ERR_INVALID;
    }
    if (!n) return JC_ERR_INVALID;
    for (int i = 0; i < n; i++) metrics_nets[i].net = net[i], metrics_nets[i].mask = mask[i];
    metrics_n = n;
    return JC_OK;
}

int guard_metrics_addr_ok(uint32_t addr_be) {
    uint32_t a = ntohl(addr_be);
    for (int i = 0; i < metrics_n; i++)
        if ((a & metrics_nets[i].mask) == metrics_nets[i].net) return 1;
    return 0;
}

int guard_metrics_peer(void *r) {
    h2o_req_t *req = r;
    struct sockaddr_storage ss;
    socklen_t n = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    if (n == 0 || ss.ss_family != AF_INET) return 0;
    return guard_metrics_addr_ok(((struct sockaddr_in *)&ss)->sin_addr.s_addr);
}

void guard_peer_ip(void *r, char *out, size_t outsz) {
    h2o_req_t *req = r;
    struct sockaddr_storage ss;
    out[0] = 0;
    socklen_t n = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    if (n && ss.ss_family == AF_INET && !inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out, (socklen_t)outsz))
        out[0] = 0;
    else if (n && ss.ss_family == AF_INET6 && !inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, out, (socklen_t)outsz))
        out[0] = 0;
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
