/*
 * apigw_json.c: what the 1.0 and 2.0 event builders share (apigw_int.h): UTF-8 repair of
 * strings for JSON, query decoding, the request headers API Gateway drops or joins, the
 * port of a Host.
 * Runs in: the lambda supervisor and unit tests (pure).
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "proto/apigw_int.h"
#include "rs/codec.h"

#define SLEN(s) (sizeof(s) - 1)

/* ---- strings: JSON needs UTF-8 ---------------------------------------------------- */

/* s as valid UTF-8: each byte of an invalid sequence becomes U+FFFD */
static const char *utf8_fix(rs_pool_t *pool, const char *s, size_t n, size_t *out_len)
{
    const unsigned char *u = (const unsigned char *)s;
    if (rs_utf8_valid(u, n)) {
        *out_len = n;
        return s;
    }
    char *d = rs_pool_alloc(pool, n * 3 + 1);
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t l = rs_utf8_seq(u + i, n - i);
        if (l == 0) {
            memcpy(d + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
            continue;
        }
        memcpy(d + o, s + i, l);
        o += l;
        i += l;
    }
    d[o] = '\0';
    *out_len = o;
    return d;
}

json_object *rs_apigw_jstr(rs_pool_t *pool, const char *s, size_t n)
{
    size_t len;
    const char *v = utf8_fix(pool, s, n, &len);
    return json_object_new_string_len(v, (int)len);
}

/* a NUL-terminated, valid UTF-8 object key (an escaped NUL ends it early) */
const char *rs_apigw_jkey(rs_pool_t *pool, const char *s, size_t n)
{
    size_t len;
    const char *v = utf8_fix(pool, s, n, &len);
    return rs_pool_strndup(pool, v, len);
}

void rs_apigw_add_str(json_object *o, const char *key, rs_pool_t *pool, const char *s)
{
    json_object_object_add(o, key, s != NULL ? rs_apigw_jstr(pool, s, strlen(s)) : NULL);
}

/* ---- query string ------------------------------------------------------------------ */

/* '+' -> space, then percent-decode; a bad escape keeps the text as it was */
const char *rs_apigw_qdecode(rs_pool_t *pool, const char *s, size_t n, size_t *len)
{
    char *plus = rs_pool_strndup(pool, s, n);
    char *d;
    for (size_t i = 0; i < n; i++)
        if (plus[i] == '+')
            plus[i] = ' ';
    if (rs_pct_decode(pool, plus, n, &d, len) == 0)
        return d;
    *len = n;
    return plus;
}

/* ---- headers ----------------------------------------------------------------------- */

int rs_apigw_hdr_is(const rs_hdr_t *h, const char *lname)
{
    size_t n = strlen(lname);
    return h->name_len == n && strncasecmp(h->name, lname, n) == 0;
}

/* hop-by-hop and framing headers API Gateway does not pass on: AWS sends no
 * Content-Length (Kludex/mangum#143; a bare Mangum + asgiref WsgiToAsgi app sees an empty
 * body on AWS too, examples/flask-app/handler_mangum.py shows the usual fix) */
int rs_apigw_hdr_dropped(const rs_hdr_t *h)
{
    static const char *const drop[] = {"content-length", "connection", "transfer-encoding",
                                       "keep-alive", "proxy-connection"};
    for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
        if (rs_apigw_hdr_is(h, drop[i]))
            return 1;
    return 0;
}

/* several Cookie fields (HTTP/2 splits them) are one "a=1; b=2" value, RFC 9113 8.2.3 */
const char *rs_apigw_cookies(rs_pool_t *pool, const rs_http_req_t *req, size_t *len)
{
    rs_buf_t b;
    const char *out = NULL;
    int n = 0;
    rs_buf_init(&b);
    for (size_t i = 0; i < req->num_headers; i++) {
        const rs_hdr_t *h = &req->headers[i];
        if (!rs_apigw_hdr_is(h, "cookie"))
            continue;
        if (n++ > 0)
            rs_buf_append(&b, "; ", 2);
        rs_buf_append(&b, h->value, h->value_len);
    }
    if (n > 0) {
        out = rs_pool_strndup(pool, b.data != NULL ? b.data : "", b.len);
        *len = b.len;
    }
    rs_buf_free(&b);
    return out;
}

/* the port the client addressed: from "host:port" / "[v6]:port", else 0 */
unsigned rs_apigw_host_port(const char *h, size_t n)
{
    size_t i = n;
    unsigned port = 0, mul = 1;
    while (i > 0 && h[i - 1] >= '0' && h[i - 1] <= '9')
        i--;
    if (i == 0 || i == n || h[i - 1] != ':' || n - i > 5)
        return 0;
    if (memchr(h, ':', i - 1) != NULL && h[0] != '[')
        return 0; /* a bare IPv6 address without brackets */
    for (size_t k = n; k > i; k--, mul *= 10)
        port += (unsigned)(h[k - 1] - '0') * mul;
    return port > 0 && port <= 65535 ? port : 0;
}

/* host without the port */
size_t rs_apigw_host_name_len(const char *h, size_t n)
{
    if (rs_apigw_host_port(h, n) == 0)
        return n;
    return (size_t)((const char *)memrchr(h, ':', n) - h);
}

const char *rs_apigw_host(const rs_http_req_t *req, size_t *name_len)
{
    const rs_hdr_t *host = rs_http_req_header(req, "host");
    const char *hv = host != NULL ? host->value : req->host;
    size_t hn = host != NULL ? host->value_len : (req->host != NULL ? req->host_len : 0);
    *name_len = hv != NULL ? rs_apigw_host_name_len(hv, hn) : 0;
    return *name_len > 0 ? hv : NULL;
}

json_object *rs_apigw_body(rs_pool_t *pool, const rs_http_req_t *req, int *b64)
{
    *b64 = 0;
    if (req->body_len == 0)
        return NULL;
    if (rs_utf8_valid(req->body, req->body_len))
        return json_object_new_string_len((const char *)req->body, (int)req->body_len);
    char *enc = rs_pool_alloc(pool, (req->body_len + 2) / 3 * 4 + 1);
    size_t n = rs_base64_encode(req->body, req->body_len, enc);
    *b64 = 1;
    return json_object_new_string_len(enc, (int)n);
}

void rs_apigw_time(int64_t now_ms, char out[32])
{
    static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, 32, "%02d/%s/%04d:%02d:%02d:%02d +0000", tm.tm_mday, mon[tm.tm_mon],
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

json_object *rs_apigw_kv_object(rs_pool_t *pool, const rs_apigw_kv_t *kv, size_t n)
{
    if (n == 0)
        return NULL;
    json_object *o = json_object_new_object();
    for (size_t i = 0; i < n; i++)
        json_object_object_add(o, rs_apigw_jkey(pool, kv[i].name, strlen(kv[i].name)),
                               rs_apigw_jstr(pool, kv[i].value, strlen(kv[i].value)));
    return o;
}

size_t rs_apigw_domain_prefix(const char *host, size_t n)
{
    const char *dot = memchr(host, '.', n);
    int ip = n > 0 && (host[0] == '[' || strspn(host, "0123456789.") >= n);
    return dot != NULL && !ip ? (size_t)(dot - host) : n;
}

unsigned rs_apigw_fwd_port(const rs_http_req_t *req, unsigned server_port)
{
    const rs_hdr_t *host = rs_http_req_header(req, "host");
    unsigned port = 0;
    if (host != NULL)
        port = rs_apigw_host_port(host->value, host->value_len);
    else if (req->host != NULL)
        port = rs_apigw_host_port(req->host, req->host_len);
    return port != 0 ? port : server_port;
}

void rs_apigw_query_each(rs_pool_t *pool, const rs_http_req_t *req, rs_apigw_param_fn fn, void *arg)
{
    const char *q = req->query, *end = q != NULL ? q + req->query_len : NULL;
    while (q != NULL && q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *stop = amp != NULL ? amp : end;
        const char *eq = memchr(q, '=', (size_t)(stop - q));
        const char *nend = eq != NULL ? eq : stop;
        size_t nlen, vlen = 0;
        const char *name = nend > q ? rs_apigw_qdecode(pool, q, (size_t)(nend - q), &nlen) : NULL;
        const char *value =
            eq != NULL ? rs_apigw_qdecode(pool, eq + 1, (size_t)(stop - eq - 1), &vlen) : "";
        if (name != NULL)
            fn(arg, rs_apigw_jkey(pool, name, nlen), value, vlen);
        q = amp != NULL ? amp + 1 : end;
    }
}
