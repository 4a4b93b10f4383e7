/*
 * router.c: which service a request is for (DESIGN.md "Request routing"), and for S3
 * where bucket and key are. Runs in: workers; a pure function over rs_http_req_t.
 * Rules, first match wins:
 *   1. /_ruststack[/...]                          -> INTERNAL (rest: after "/_ruststack/")
 *   2. Host <id>.execute-api[.<region>].<base>    -> APIGW    (form HOST, rest: the path)
 *      Host <id>.lambda-url.<region>.<base>       -> APIGW    (form URL, rest: the path)
 *      Host a registered custom domain name       -> APIGW    (form DOMAIN, rest: the path)
 *   3. X-Amz-Target: DynamoDB_20120810.<Op>       -> DYNAMODB (rest: <Op>)
 *   4. SigV4 credential scope service "apigateway" -> APIGATEWAY (control planes v1, v2)
 *      SigV4 credential scope service "dynamodb"  -> DYNAMODB (missing/other X-Amz-Target)
 *   5. a Lambda REST path prefix (table below) or
 *      SigV4 credential scope service "lambda"    -> LAMBDA   (rest: the whole path)
 *   6. /_aws/lambda-url/<id>[/...]                -> APIGW    (form URL, rest: "" or "/...")
 *      /_aws/execute-api[/<id>/<stage>[/...]]     -> APIGW    (form PATH, rest: after it)
 *   7. /restapis/<id>/<stage>/_user_request_/...  -> APIGW    (form RESTAPIS, rest: after
 *                                                              "/restapis/")
 *   8. everything else                            -> S3, virtual-hosted or path-style
 * Path rules 5 and 7 yield to an explicit credential scope of "s3" (a bucket may be named
 * "restapis" or "2015-03-31"; "_aws" is no bucket name).
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "rs/lambda_routes.h"
#include "rs/router.h"

#define SLEN(s) (sizeof(s) - 1)

/* host names under which "<bucket>." is virtual-hosted; `bare` allows "<bucket>.<base>"
 * without the ".s3" label (AWS and LocalStack require it) */
typedef struct vbase {
    const char *name;
    int bare;
} vbase_t;

static const vbase_t fixed_bases[] = {
    {"localhost", 1},
    {"localhost.localstack.cloud", 0},
    {"amazonaws.com", 0},
};

/* OPTIONS whose Access-Control-Request-Headers name x-amz-target: only the JSON
 * protocol sends that header, and DynamoDB is the only such service here */
static int ddb_preflight(const rs_http_req_t *req)
{
    static const char name[] = "x-amz-target";
    if (req->method == NULL || strcmp(req->method, "OPTIONS") != 0)
        return 0;
    const rs_hdr_t *h = rs_http_req_header(req, "access-control-request-headers");
    if (h == NULL)
        return 0;
    for (size_t i = 0; i + sizeof(name) - 1 <= h->value_len; i++)
        if (strncasecmp(h->value + i, name, sizeof(name) - 1) == 0)
            return 1;
    return 0;
}

static int has_prefix(const char *s, size_t len, const char *pfx, size_t plen)
{
    return len >= plen && memcmp(s, pfx, plen) == 0;
}

/* prefix that ends at a segment boundary: "/a/b" matches "/a/b" and "/a/b/c", not "/a/bc" */
static int has_seg_prefix(const char *s, size_t len, const char *pfx)
{
    size_t plen = strlen(pfx);
    return has_prefix(s, len, pfx, plen) && (len == plen || s[plen] == '/');
}

/* ---- SigV4 credential scope: "<AKID>/<date>/<region>/<service>/aws4_request" ---------- */

/* Copy the 4th '/'-separated field of a credential (with %2F accepted as '/'). */
static size_t scope_service(const char *v, size_t n, char *out, size_t cap)
{
    size_t field = 0, olen = 0;
    for (size_t i = 0; i < n; i++) {
        int slash = v[i] == '/';
        if (!slash && v[i] == '%' && i + 2 < n && v[i + 1] == '2' && (v[i + 2] | 0x20) == 'f') {
            slash = 1;
            i += 2;
        }
        if (slash) {
            if (++field > 3)
                break;
            continue;
        }
        if (field == 3 && olen + 1 < cap)
            out[olen++] = (char)tolower((unsigned char)v[i]);
    }
    out[olen] = '\0';
    return field >= 3 ? olen : 0;
}

static void credential_service(const rs_http_req_t *req, char *out, size_t cap)
{
    static const char cred[] = "Credential=";
    static const char qcred[] = "X-Amz-Credential=";
    out[0] = '\0';
    const rs_hdr_t *auth = rs_http_req_header(req, "authorization");
    if (auth != NULL && has_prefix(auth->value, auth->value_len, "AWS4-", 5)) {
        const char *v = auth->value, *end = v + auth->value_len;
        for (const char *p = v; p + SLEN(cred) <= end; p++) {
            if (memcmp(p, cred, SLEN(cred)) == 0) {
                const char *s = p + SLEN(cred), *e = s;
                while (e < end && *e != ',' && *e != ' ')
                    e++;
                scope_service(s, (size_t)(e - s), out, cap);
                return;
            }
        }
        return;
    }
    if (req->query != NULL) {
        const char *q = req->query, *end = q + req->query_len;
        for (const char *p = q; p < end;) {
            const char *e = memchr(p, '&', (size_t)(end - p));
            if (e == NULL)
                e = end;
            if (has_prefix(p, (size_t)(e - p), qcred, SLEN(qcred))) {
                scope_service(p + SLEN(qcred), (size_t)(e - p) - SLEN(qcred), out, cap);
                return;
            }
            p = e + 1;
        }
    }
}

/* ---- virtual-hosted style -------------------------------------------------------------- */

static int is_region(const char *s, size_t n)
{
    size_t dashes = 0;
    if (n < 3 || !islower((unsigned char)s[0]) || !isdigit((unsigned char)s[n - 1]))
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '-')
            dashes++;
        else if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]))
            return 0;
    }
    return dashes > 0;
}

/* "s3", "s3.<region>", "s3-<region>", "s3.dualstack.<region>": an S3 service endpoint label
 * sequence. */
static int is_s3_label(const char *s, size_t n)
{
    if (n == 2 && strncasecmp(s, "s3", 2) == 0)
        return 1;
    if (n > 13 && strncasecmp(s, "s3.dualstack.", 13) == 0)
        return is_region(s + 13, n - 13);
    if (n > 3 && (strncasecmp(s, "s3.", 3) == 0 || strncasecmp(s, "s3-", 3) == 0))
        return is_region(s + 3, n - 3);
    return 0;
}

static int ends_with_ci(const char *s, size_t n, const char *suf, size_t sl)
{
    return n >= sl && strncasecmp(s + n - sl, suf, sl) == 0;
}

/* p is the part in front of ".<base>": find the bucket in it. */
static int bucket_from_prefix(const char *p, size_t n, int bare, size_t *blen)
{
    if (is_s3_label(p, n))
        return 0; /* s3.<base> itself: path-style */
    /* "<bucket>.<s3 labels>": try each '.' as the split point, leftmost S3 label wins */
    for (size_t i = 1; i + 1 < n; i++) {
        if (p[i] == '.' && is_s3_label(p + i + 1, n - i - 1)) {
            *blen = i;
            return 1;
        }
    }
    if (bare && n > 0) {
        *blen = n;
        return 1;
    }
    return 0;
}

static int is_ipv4(const char *s, size_t n)
{
    int parts = 0;
    size_t digits = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (digits == 0 || digits > 3)
                return 0;
            parts++;
            digits = 0;
        } else if (isdigit((unsigned char)s[i])) {
            digits++;
        } else {
            return 0;
        }
    }
    return parts == 4;
}

static int vhost_bucket(const char *h, size_t n, const rs_router_conf_t *conf, size_t *blen)
{
    if (n == 0 || h[0] == '[')
        return 0;
    if (h[n - 1] == '.') /* fully qualified form */
        n--;
    /* the longest matching base decides */
    const char *best = NULL;
    size_t best_len = 0;
    int best_bare = 0;
    size_t nb = sizeof(fixed_bases) / sizeof(fixed_bases[0]);
    for (size_t i = 0; i <= nb; i++) {
        const char *b = i < nb ? fixed_bases[i].name : (conf ? conf->hostname : NULL);
        int bare = i < nb ? fixed_bases[i].bare : 1;
        if (b == NULL || b[0] == '\0')
            continue;
        size_t bl = strlen(b);
        if (bl <= best_len)
            continue;
        if ((n == bl && strncasecmp(h, b, bl) == 0) ||
            (n > bl + 1 && h[n - bl - 1] == '.' && ends_with_ci(h, n, b, bl))) {
            best = b;
            best_len = bl;
            best_bare = bare;
        }
    }
    if (best != NULL) {
        if (n == best_len)
            return 0;
        return bucket_from_prefix(h, n - best_len - 1, best_bare, blen);
    }
    /* "<bucket>.<IPv4>": boto3 sends dotted names this way with an IP endpoint */
    if (is_ipv4(h, n))
        return 0;
    size_t dots = 0;
    for (size_t i = n; i-- > 0;) {
        if (h[i] == '.' && ++dots == 4) {
            if (i > 0 && is_ipv4(h + i + 1, n - i - 1)) {
                *blen = i;
                return 1;
            }
            break;
        }
    }
    return 0;
}

/* host without ":port" (IPv6 literals keep their brackets) */
static size_t host_len_no_port(const char *h, size_t n)
{
    if (n > 0 && h[0] == '[') {
        const char *rb = memchr(h, ']', n);
        return rb ? (size_t)(rb - h) + 1 : n;
    }
    const char *colon = memchr(h, ':', n);
    return colon ? (size_t)(colon - h) : n;
}

/* ---- API Gateway invoke hosts ------------------------------------------------------- */

/* "<base>" after "<id>.execute-api." (and after "<region>." when `region`): localhost,
 * LocalStack's name, the configured hostname; amazonaws.com only with a region */
static int execute_api_base(const char *s, size_t n, const rs_router_conf_t *conf, int region)
{
    static const char *const bases[] = {"localhost", "localhost.localstack.cloud"};
    for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++)
        if (n == strlen(bases[i]) && strncasecmp(s, bases[i], n) == 0)
            return 1;
    if (conf != NULL && conf->hostname != NULL && conf->hostname[0] != '\0' &&
        n == strlen(conf->hostname) && strncasecmp(s, conf->hostname, n) == 0)
        return 1;
    return region && n == SLEN("amazonaws.com") && strncasecmp(s, "amazonaws.com", n) == 0;
}

/* a host name a custom domain could have: a dot, and not an IP address literal */
static int may_be_domain(const char *h, size_t n)
{
    if (memchr(h, '.', n) == NULL || h[0] == '[')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)h[i]) && h[i] != '.')
            return 1;
    return 0;
}

/* 1 with out's api_id / api_region set when the Host is an invoke host:
 * "<id><label><region>.<base>" (function URLs: label ".lambda-url.", the region required)
 * or "<id><label>[<region>.]<base>" (execute-api) */
static int invoke_host(const char *h, size_t n, const rs_router_conf_t *conf, const char *label,
                       int need_region, rs_route_t *out)
{
    size_t llen = strlen(label);
    if (n > 0 && h[n - 1] == '.') /* fully qualified form */
        n--;
    const char *dot = n > 0 && h[0] != '[' ? memchr(h, '.', n) : NULL;
    if (dot == NULL || dot == h || (size_t)(h + n - dot) <= llen ||
        strncasecmp(dot, label, llen) != 0)
        return 0;
    const char *after = dot + llen;
    size_t alen = (size_t)(h + n - after);
    const char *rdot = memchr(after, '.', alen);
    if (rdot != NULL && is_region(after, (size_t)(rdot - after)) &&
        execute_api_base(rdot + 1, (size_t)(h + n - rdot - 1), conf, 1)) {
        out->api_region = after;
        out->api_region_len = (size_t)(rdot - after);
    } else if (need_region || !execute_api_base(after, alen, conf, 0)) {
        return 0;
    }
    out->api_id = h;
    out->api_id_len = (size_t)(dot - h);
    return 1;
}

static void route_s3(const rs_http_req_t *req, const rs_router_conf_t *conf, rs_route_t *out)
{
    const char *p = req->path ? req->path : "";
    size_t n = req->path ? req->path_len : 0;
    size_t blen;

    out->kind = RS_ROUTE_S3;
    if (n > 0 && p[0] == '/') {
        p++;
        n--;
    }
    if (req->host != NULL &&
        vhost_bucket(req->host, host_len_no_port(req->host, req->host_len), conf, &blen)) {
        out->virtual_host = 1;
        out->bucket = req->host;
        out->bucket_len = blen;
        if (n > 0) {
            out->key = p;
            out->key_len = n;
        }
        return;
    }
    if (n == 0)
        return; /* service level: ListBuckets */
    const char *slash = memchr(p, '/', n);
    out->bucket = p;
    out->bucket_len = slash ? (size_t)(slash - p) : n;
    if (slash != NULL && (size_t)(slash - p) + 1 < n) {
        out->key = slash + 1;
        out->key_len = n - (size_t)(slash - p) - 1;
    }
}

void rs_route(const rs_http_req_t *req, const rs_router_conf_t *conf, rs_route_t *out)
{
    static const char internal[] = "/_ruststack";
    static const char ddb[] = "DynamoDB_20120810.";
    static const char apigw[] = "/restapis/";
    static const char apigw_path[] = "/_aws/execute-api";
    static const char url_path[] = "/_aws/lambda-url";
    const char *path = req->path ? req->path : "";
    size_t plen = req->path ? req->path_len : 0;
    char service[32];

    memset(out, 0, sizeof(*out));

    if (has_seg_prefix(path, plen, internal)) {
        out->kind = RS_ROUTE_INTERNAL;
        out->rest = path + (plen > SLEN(internal) ? SLEN(internal) + 1 : plen);
        out->rest_len = plen > SLEN(internal) ? plen - SLEN(internal) - 1 : 0;
        return;
    }
    size_t hlen = req->host != NULL ? host_len_no_port(req->host, req->host_len) : 0;
    int url = 0;
    if (hlen > 0 && (invoke_host(req->host, hlen, conf, ".execute-api.", 0, out) ||
                     (url = invoke_host(req->host, hlen, conf, ".lambda-url.", 1, out)))) {
        out->kind = RS_ROUTE_APIGW;
        out->apigw_form = url ? RS_APIGW_URL : RS_APIGW_HOST;
        out->rest = path;
        out->rest_len = plen;
        return;
    }
    if (hlen > 0 && conf->is_domain != NULL && may_be_domain(req->host, hlen) &&
        conf->is_domain(conf->domain_arg, req->host, hlen)) {
        out->kind = RS_ROUTE_APIGW;
        out->apigw_form = RS_APIGW_DOMAIN;
        out->api_id = req->host;
        out->api_id_len = hlen;
        out->rest = path;
        out->rest_len = plen;
        return;
    }
    const rs_hdr_t *target = rs_http_req_header(req, "x-amz-target");
    if (target != NULL && has_prefix(target->value, target->value_len, ddb, SLEN(ddb))) {
        out->kind = RS_ROUTE_DYNAMODB;
        out->rest = target->value + SLEN(ddb);
        out->rest_len = target->value_len - SLEN(ddb);
        return;
    }
    if (ddb_preflight(req)) {
        out->kind = RS_ROUTE_DYNAMODB; /* a browser's CORS preflight for a DynamoDB call */
        out->rest = "";
        return;
    }
    credential_service(req, service, sizeof(service));
    if (strcmp(service, "apigateway") == 0) {
        out->kind = RS_ROUTE_APIGATEWAY; /* the control planes, v1 and v2 */
        out->rest = path;
        out->rest_len = plen;
        return;
    }
    if (strcmp(service, "dynamodb") == 0) {
        /* signed for DynamoDB but without a DynamoDB target: DynamoDB answers it
         * (UnknownOperationException), never S3 */
        out->kind = RS_ROUTE_DYNAMODB;
        out->rest = target != NULL ? target->value : "";
        out->rest_len = target != NULL ? target->value_len : 0;
        return;
    }
    int scope_s3 = strcmp(service, "s3") == 0;
    int lambda = strcmp(service, "lambda") == 0;
    for (size_t i = 0; !lambda && !scope_s3 && i < rs_lambda_npath_prefixes; i++)
        lambda = has_seg_prefix(path, plen, rs_lambda_path_prefixes[i]);
    if (lambda) {
        out->kind = RS_ROUTE_LAMBDA;
        out->rest = path;
        out->rest_len = plen;
        return;
    }
    if (has_seg_prefix(path, plen, url_path)) {
        /* /_aws/lambda-url/<url-id>[/<path>] */
        const char *id = path + (plen > SLEN(url_path) ? SLEN(url_path) + 1 : plen);
        const char *end = path + plen, *slash = memchr(id, '/', (size_t)(end - id));
        out->kind = RS_ROUTE_APIGW;
        out->apigw_form = RS_APIGW_URL;
        out->api_id = id;
        out->api_id_len = (size_t)((slash != NULL ? slash : end) - id);
        out->rest = slash != NULL ? slash : end;
        out->rest_len = (size_t)(end - out->rest);
        return;
    }
    if (has_seg_prefix(path, plen, apigw_path)) {
        out->kind = RS_ROUTE_APIGW;
        out->apigw_form = RS_APIGW_PATH;
        out->rest = path + (plen > SLEN(apigw_path) ? SLEN(apigw_path) + 1 : plen);
        out->rest_len = plen > SLEN(apigw_path) ? plen - SLEN(apigw_path) - 1 : 0;
        return;
    }
    if (!scope_s3 && has_prefix(path, plen, apigw, SLEN(apigw))) {
        out->kind = RS_ROUTE_APIGW;
        out->rest = path + SLEN(apigw);
        out->rest_len = plen - SLEN(apigw);
        return;
    }
    route_s3(req, conf, out);
}
