/*
 * apigw.c: the API Gateway v1 proxy, request side (apigw.h): split the invoke URL (an
 * execute-api Host, /_aws/execute-api or /restapis), resolve it to a function with its
 * region and account (rs_apigw_resolve: the one place a control plane plugs in), and
 * build the payload-format-1.0 event that the function is invoked with (lambda.md 6.1:
 * every key present, null for absent data). The reply side is apigw_reply.c.
 * Runs in: workers (pure functions over rs_http_req_t; json-c).
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http/apigw.h"
#include "rs/codec.h"
#include "rs/err.h"

#define SLEN(s) (sizeof(s) - 1)

static const char user_request[] = "_user_request_";

/* ---- address ----------------------------------------------------------------------- */

static const char *decode_seg(rs_pool_t *pool, const char *s, size_t n)
{
    char *d;
    size_t len;
    if (rs_pct_decode(pool, s, n, &d, &len) != 0 || len == 0 || strlen(d) != len)
        return NULL; /* bad escape, empty, or an escaped NUL */
    return d;
}

/* "<stage>[/<rest>]" at p: the decoded stage, *rem the raw remainder ("" or "/...") */
static const char *stage_seg(rs_pool_t *pool, const char *p, const char *end, const char **rem)
{
    const char *slash = memchr(p, '/', (size_t)(end - p));
    *rem = slash != NULL ? slash : end;
    return *rem > p ? decode_seg(pool, p, (size_t)(*rem - p)) : NULL;
}

/* the form's api id, stage and raw remainder; 0 or RS_EINVAL */
static int split_address(rs_pool_t *pool, const rs_route_t *route, rs_apigw_target_t *t,
                         const char **rem, const char **end)
{
    const char *p = route->rest;
    if (p == NULL)
        return RS_EINVAL;
    *end = p + route->rest_len;
    if (route->apigw_form == RS_APIGW_HOST) {
        if (route->api_id == NULL || route->api_id_len == 0 || p == *end || *p != '/')
            return RS_EINVAL;
        t->api_id = rs_pool_strndup(pool, route->api_id, route->api_id_len);
        if (route->api_region != NULL)
            t->api_region = rs_pool_strndup(pool, route->api_region, route->api_region_len);
        t->stage = stage_seg(pool, p + 1, *end, rem);
        return t->stage != NULL ? 0 : RS_EINVAL;
    }
    const char *s1 = memchr(p, '/', (size_t)(*end - p));
    if (s1 == NULL || s1 == p)
        return RS_EINVAL;
    t->api_id = decode_seg(pool, p, (size_t)(s1 - p));
    t->stage = stage_seg(pool, s1 + 1, *end, rem);
    if (t->api_id == NULL || t->stage == NULL)
        return RS_EINVAL;
    if (route->apigw_form == RS_APIGW_PATH)
        return 0;
    /* /restapis/<id>/<stage>/_user_request_[/...] */
    const char *u = *rem;
    if (u == *end || (size_t)(*end - u - 1) < SLEN(user_request) ||
        memcmp(u + 1, user_request, SLEN(user_request)) != 0)
        return RS_EINVAL;
    u += 1 + SLEN(user_request);
    if (u < *end && *u != '/')
        return RS_EINVAL;
    *rem = u;
    return 0;
}

int rs_apigw_parse(const rs_http_req_t *req, const rs_route_t *route, rs_apigw_target_t *t)
{
    rs_pool_t *pool = req->pool;
    const char *rem, *end;

    memset(t, 0, sizeof(*t));
    if (split_address(pool, route, t, &rem, &end) != 0)
        return RS_EINVAL;
    size_t rlen = (size_t)(end - rem); /* "" or "/..." */
    t->path = rlen == 0 ? rs_pool_strndup(pool, "/", 1) : rs_pool_strndup(pool, rem, rlen);
    t->stage_path = rs_pool_printf(pool, "/%s%.*s", t->stage, (int)rlen, rem);
    return rs_apigw_resolve(pool, req->method, req->region, req->account, t);
}

/* ---- integration ------------------------------------------------------------------- */

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return n > 0;
}

/* A function ARN "arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]"
 * or a partial one "<account>:function:<name>[:<qualifier>]": its region (NULL for the
 * partial form) and account into the pool; 1 when fn is one of those. */
static int function_arn(rs_pool_t *pool, const char *fn, const char **region, const char **account)
{
    const char *f[9];
    size_t len[9], n = 0;
    for (const char *p = fn;; n++) {
        const char *c = strchr(p, ':');
        if (n == 9)
            return 0;
        f[n] = p;
        len[n] = c != NULL ? (size_t)(c - p) : strlen(p);
        if (c == NULL) {
            n++;
            break;
        }
        p = c + 1;
    }
#define IS(i, lit) (len[i] == SLEN(lit) && memcmp(f[i], lit, SLEN(lit)) == 0)
    if ((n == 7 || n == 8) && IS(0, "arn") && IS(2, "lambda") && IS(5, "function") && len[3] > 0 &&
        len[4] == 12 && all_digits(f[4], 12) && len[6] > 0) {
        *region = rs_pool_strndup(pool, f[3], len[3]);
        *account = rs_pool_strndup(pool, f[4], 12);
        return 1;
    }
    if ((n == 3 || n == 4) && len[0] == 12 && all_digits(f[0], 12) && IS(1, "function") &&
        len[2] > 0) {
        *region = NULL;
        *account = rs_pool_strndup(pool, f[0], 12);
        return 1;
    }
#undef IS
    return 0;
}

int rs_apigw_resolve(rs_pool_t *pool, const char *method, const char *region, const char *account,
                     rs_apigw_target_t *t)
{
    const char *fn_region = NULL, *fn_account = NULL;
    (void)method; /* every method goes to the function */

    /* today's rule: the api id names the function */
    t->function = t->api_id;
    function_arn(pool, t->function, &fn_region, &fn_account);
    if (fn_region == NULL)
        fn_region = t->api_region != NULL ? t->api_region : region != NULL ? region : "";
    if (fn_account == NULL)
        fn_account = account != NULL ? account : "";
    /* copies: the caller's strings may be overwritten with these */
    t->region = rs_pool_strndup(pool, fn_region, strlen(fn_region));
    t->account = rs_pool_strndup(pool, fn_account, strlen(fn_account));

    /* pathParameters.proxy: the path without its leading '/' and one trailing '/' (AWS
     * gives {"proxy": "test-path"} for "/test-path/") */
    if (t->path == NULL || t->path[0] != '/')
        t->path = "/";
    size_t plen = strlen(t->path) - 1;
    const char *pp = t->path + 1;
    if (plen > 0 && pp[plen - 1] == '/')
        plen--;
    if (plen == 0) {
        t->resource = "/";
        t->proxy = NULL;
    } else {
        t->resource = "/{proxy+}";
        t->proxy = rs_pool_strndup(pool, pp, plen);
    }
    return 0;
}

/* ---- strings: JSON needs UTF-8 ---------------------------------------------------- */

/* length of the valid UTF-8 sequence at s (1..4), or 0 */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    unsigned cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2, min = 0x80, cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, min = 0x800, cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, min = 0x10000, cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

static int utf8_valid(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t l = utf8_seq(s + i, n - i);
        if (l == 0)
            return 0;
        i += l;
    }
    return 1;
}

/* s as valid UTF-8: each byte of an invalid sequence becomes U+FFFD */
static const char *utf8_fix(rs_pool_t *pool, const char *s, size_t n, size_t *out_len)
{
    const unsigned char *u = (const unsigned char *)s;
    if (utf8_valid(u, n)) {
        *out_len = n;
        return s;
    }
    char *d = rs_pool_alloc(pool, n * 3 + 1);
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_seq(u + i, n - i);
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

static json_object *jstr(rs_pool_t *pool, const char *s, size_t n)
{
    size_t len;
    const char *v = utf8_fix(pool, s, n, &len);
    return json_object_new_string_len(v, (int)len);
}

/* a NUL-terminated, valid UTF-8 object key (an escaped NUL ends it early) */
static const char *jkey(rs_pool_t *pool, const char *s, size_t n)
{
    size_t len;
    const char *v = utf8_fix(pool, s, n, &len);
    return rs_pool_strndup(pool, v, len);
}

static void add_str(json_object *o, const char *key, rs_pool_t *pool, const char *s)
{
    json_object_object_add(o, key, s != NULL ? jstr(pool, s, strlen(s)) : NULL);
}

/* ---- query string ------------------------------------------------------------------ */

/* '+' -> space, then percent-decode; a bad escape keeps the text as it was */
static const char *qdecode(rs_pool_t *pool, const char *s, size_t n, size_t *len)
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

static void add_query(json_object *ev, rs_pool_t *pool, const rs_http_req_t *req)
{
    json_object *single = NULL, *multi = NULL;
    const char *q = req->query, *end = q != NULL ? q + req->query_len : NULL;

    while (q != NULL && q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *stop = amp != NULL ? amp : end;
        const char *eq = memchr(q, '=', (size_t)(stop - q));
        const char *nend = eq != NULL ? eq : stop;
        size_t nlen, vlen = 0;
        const char *name = nend > q ? qdecode(pool, q, (size_t)(nend - q), &nlen) : NULL;
        const char *value = eq != NULL ? qdecode(pool, eq + 1, (size_t)(stop - eq - 1), &vlen) : "";
        if (name != NULL) {
            const char *key = jkey(pool, name, nlen);
            json_object *list;
            if (single == NULL) {
                single = json_object_new_object();
                multi = json_object_new_object();
            }
            json_object_object_add(single, key, jstr(pool, value, vlen));
            if (!json_object_object_get_ex(multi, key, &list)) {
                list = json_object_new_array();
                json_object_object_add(multi, key, list);
            }
            json_object_array_add(list, jstr(pool, value, vlen));
        }
        q = amp != NULL ? amp + 1 : end;
    }
    json_object_object_add(ev, "queryStringParameters", single);
    json_object_object_add(ev, "multiValueQueryStringParameters", multi);
}

/* ---- headers ----------------------------------------------------------------------- */

static int hdr_is(const rs_hdr_t *h, const char *lname)
{
    size_t n = strlen(lname);
    return h->name_len == n && strncasecmp(h->name, lname, n) == 0;
}

/* hop-by-hop and framing headers API Gateway does not pass on: AWS sends no
 * Content-Length (Kludex/mangum#143; a bare Mangum + asgiref WsgiToAsgi app sees an empty
 * body on AWS too, examples/flask-app/handler_mangum.py shows the usual fix) */
static int hdr_dropped(const rs_hdr_t *h)
{
    static const char *const drop[] = {"content-length", "connection", "transfer-encoding",
                                       "keep-alive", "proxy-connection"};
    for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
        if (hdr_is(h, drop[i]))
            return 1;
    return 0;
}

static void put_header(rs_pool_t *pool, json_object *single, json_object *multi, const char *name,
                       size_t nlen, const char *value, size_t vlen)
{
    const char *key = jkey(pool, name, nlen);
    json_object *list;
    json_object_object_add(single, key, jstr(pool, value, vlen)); /* last value wins */
    if (!json_object_object_get_ex(multi, key, &list)) {
        list = json_object_new_array();
        json_object_object_add(multi, key, list);
    }
    json_object_array_add(list, jstr(pool, value, vlen));
}

/* several Cookie fields (HTTP/2 splits them) are one "a=1; b=2" value, RFC 9113 8.2.3 */
static const char *joined_cookies(rs_pool_t *pool, const rs_http_req_t *req, size_t *len)
{
    rs_buf_t b;
    const char *out = NULL;
    int n = 0;
    rs_buf_init(&b);
    for (size_t i = 0; i < req->num_headers; i++) {
        const rs_hdr_t *h = &req->headers[i];
        if (!hdr_is(h, "cookie"))
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
static unsigned host_port(const char *h, size_t n)
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
static size_t host_name_len(const char *h, size_t n)
{
    if (host_port(h, n) == 0)
        return n;
    return (size_t)((const char *)memrchr(h, ':', n) - h);
}

static void add_headers(json_object *ev, rs_pool_t *pool, const rs_http_req_t *req,
                        const char *source_ip, unsigned server_port)
{
    json_object *single = json_object_new_object(), *multi = json_object_new_object();
    size_t clen = 0;
    const char *cookies = joined_cookies(pool, req, &clen);
    int cookie_done = 0;

    for (size_t i = 0; i < req->num_headers; i++) {
        const rs_hdr_t *h = &req->headers[i];
        if (hdr_dropped(h))
            continue;
        if (hdr_is(h, "cookie")) {
            if (!cookie_done)
                put_header(pool, single, multi, h->name, h->name_len, cookies, clen);
            cookie_done = 1;
            continue;
        }
        put_header(pool, single, multi, h->name, h->name_len, h->value, h->value_len);
    }
    const rs_hdr_t *host = rs_http_req_header(req, "host");
    if (host == NULL && req->host != NULL && req->host_len > 0)
        put_header(pool, single, multi, "Host", 4, req->host, req->host_len);
    if (rs_http_req_header(req, "x-forwarded-for") == NULL && source_ip != NULL)
        put_header(pool, single, multi, "X-Forwarded-For", SLEN("X-Forwarded-For"), source_ip,
                   strlen(source_ip));
    if (rs_http_req_header(req, "x-forwarded-port") == NULL) {
        unsigned port = 0;
        if (host != NULL)
            port = host_port(host->value, host->value_len);
        else if (req->host != NULL)
            port = host_port(req->host, req->host_len);
        if (port == 0)
            port = server_port;
        if (port != 0) {
            char buf[16];
            int n = snprintf(buf, sizeof(buf), "%u", port);
            put_header(pool, single, multi, "X-Forwarded-Port", SLEN("X-Forwarded-Port"), buf,
                       (size_t)n);
        }
    }
    if (rs_http_req_header(req, "x-forwarded-proto") == NULL)
        put_header(pool, single, multi, "X-Forwarded-Proto", SLEN("X-Forwarded-Proto"), "http", 4);
    json_object_object_add(ev, "headers", single);
    json_object_object_add(ev, "multiValueHeaders", multi);
}

/* ---- requestContext ---------------------------------------------------------------- */

/* a stable 10-character lower-case id for API Gateway's resource/deployment ids */
static void short_id(const char *a, const char *b, char out[11])
{
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    uint64_t h = 1469598103934665603ULL;
    for (const char *s = a; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    h = (h ^ '/') * 1099511628211ULL;
    for (const char *s = b; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    for (int i = 0; i < 10; i++, h /= 36)
        out[i] = digits[h % 36];
    out[10] = '\0';
}

void rs_apigw_extended_id(const rs_http_req_t *req, char out[17])
{
    size_t n = strnlen(req->request_id, 15);
    memcpy(out, req->request_id, n);
    memset(out + n, 'A', 15 - n);
    out[15] = '=';
    out[16] = '\0';
}

/* "20/Feb/2018:22:48:57 +0000" (C-locale month names whatever the process locale) */
static void request_time(int64_t now_ms, char out[32])
{
    static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, 32, "%02d/%s/%04d:%02d:%02d:%02d +0000", tm.tm_mday, mon[tm.tm_mon],
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static json_object *identity(rs_pool_t *pool, const rs_http_req_t *req, const char *source_ip)
{
    static const char *const nulls[] = {"accessKey",
                                        "accountId",
                                        "caller",
                                        "cognitoAuthenticationProvider",
                                        "cognitoAuthenticationType",
                                        "cognitoIdentityId",
                                        "cognitoIdentityPoolId",
                                        "principalOrgId"};
    json_object *id = json_object_new_object();
    const rs_hdr_t *ua = rs_http_req_header(req, "user-agent");
    for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
        json_object_object_add(id, nulls[i], NULL);
    add_str(id, "sourceIp", pool, source_ip);
    json_object_object_add(id, "user", NULL);
    json_object_object_add(id, "userAgent",
                           ua != NULL ? jstr(pool, ua->value, ua->value_len) : NULL);
    json_object_object_add(id, "userArn", NULL);
    return id;
}

static json_object *request_context(rs_pool_t *pool, const rs_http_req_t *req,
                                    const rs_apigw_target_t *t, const char *account,
                                    const char *source_ip, int64_t now_ms, const char *request_id)
{
    json_object *rc = json_object_new_object();
    const rs_hdr_t *host = rs_http_req_header(req, "host");
    const char *hv = host != NULL ? host->value : req->host;
    size_t hn = host != NULL ? host->value_len : (req->host != NULL ? req->host_len : 0);
    char deployment[11], resource[11], ext[17], when[32];

    hn = hv != NULL ? host_name_len(hv, hn) : 0;
    short_id(t->api_id, t->stage, deployment);
    short_id(t->api_id, t->resource, resource);
    rs_apigw_extended_id(req, ext);
    request_time(now_ms, when);

    add_str(rc, "accountId", pool, account);
    add_str(rc, "apiId", pool, t->api_id);
    json_object_object_add(rc, "deploymentId", json_object_new_string(deployment));
    /* domainPrefix is the first label of domainName (the whole name for an IP address) */
    const char *dot = hn > 0 ? memchr(hv, '.', hn) : NULL;
    int ip = hn > 0 && ((hv[0] >= '0' && hv[0] <= '9') || hv[0] == '[');
    json_object_object_add(rc, "domainName", hn > 0 ? jstr(pool, hv, hn) : NULL);
    json_object_object_add(rc, "domainPrefix",
                           hn > 0 ? jstr(pool, hv, dot != NULL && !ip ? (size_t)(dot - hv) : hn)
                                  : NULL);
    json_object_object_add(rc, "extendedRequestId", json_object_new_string(ext));
    add_str(rc, "httpMethod", pool, req->method);
    json_object_object_add(rc, "identity", identity(pool, req, source_ip));
    add_str(rc, "path", pool, t->stage_path);
    json_object_object_add(rc, "protocol", json_object_new_string("HTTP/1.1"));
    add_str(rc, "requestId", pool, request_id != NULL ? request_id : req->request_id);
    json_object_object_add(rc, "requestTime", json_object_new_string(when));
    json_object_object_add(rc, "requestTimeEpoch", json_object_new_int64(now_ms));
    json_object_object_add(rc, "resourceId", json_object_new_string(resource));
    add_str(rc, "resourcePath", pool, t->resource);
    add_str(rc, "stage", pool, t->stage);
    return rc;
}

/* ---- the event --------------------------------------------------------------------- */

int rs_apigw_event(rs_pool_t *pool, const rs_http_req_t *req, const rs_apigw_target_t *t,
                   const char *account, const char *source_ip, unsigned server_port, int64_t now_ms,
                   const char *request_id, rs_buf_t *out)
{
    json_object *ev = json_object_new_object();
    json_object *params = NULL;

    add_str(ev, "resource", pool, t->resource);
    add_str(ev, "path", pool, t->path);
    add_str(ev, "httpMethod", pool, req->method);
    add_headers(ev, pool, req, source_ip, server_port);
    add_query(ev, pool, req);
    if (t->proxy != NULL) {
        params = json_object_new_object();
        add_str(params, "proxy", pool, t->proxy);
    }
    json_object_object_add(ev, "pathParameters", params);
    json_object_object_add(ev, "stageVariables", NULL);
    json_object_object_add(ev, "requestContext",
                           request_context(pool, req, t, account, source_ip, now_ms, request_id));

    int b64 = 0;
    if (req->body_len == 0) {
        json_object_object_add(ev, "body", NULL);
    } else if (utf8_valid(req->body, req->body_len)) {
        json_object_object_add(
            ev, "body", json_object_new_string_len((const char *)req->body, (int)req->body_len));
    } else {
        char *enc = rs_pool_alloc(pool, (req->body_len + 2) / 3 * 4 + 1);
        size_t n = rs_base64_encode(req->body, req->body_len, enc);
        json_object_object_add(ev, "body", json_object_new_string_len(enc, (int)n));
        b64 = 1;
    }
    json_object_object_add(ev, "isBase64Encoded", json_object_new_boolean(b64));

    rs_buf_appends(out, json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(ev);
    return 0;
}
