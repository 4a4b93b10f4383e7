/*
 * s3_cors.c: CORS as S3 evaluates it against the bucket's configuration (PutBucketCors,
 * s3_cors_config.c). A preflight (OPTIONS) needs an Origin (400 otherwise), an existing
 * bucket and a configuration (403 "CORSResponse: Bucket not found" / "CORS is not enabled
 * for this bucket." otherwise) and a matching rule (403 "This CORS request is not
 * allowed" otherwise). The first rule wins whose AllowedMethod holds the method
 * (Access-Control-Request-Method), whose AllowedOrigin matches the Origin (exactly, "*",
 * or one "*" standing for one or more characters) and whose AllowedHeaders match every
 * header of Access-Control-Request-Headers (case-insensitive, one "*" for any run). An
 * actual request with an Origin gets the same headers when a rule matches, none
 * otherwise (and none without a configuration). Runs in: workers.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "rs/xml.h"
#include "s3/s3_int.h"

#define CORS_VARY "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
#define NOT_ALLOWED                                                                                \
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution of "    \
    "Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers "    \
    "are not whitelisted by the resource's CORS spec."

/* `pat` with at most one '*' against `s`; `min` characters at least for the '*' */
static int wild(const char *pat, const char *s, size_t sl, int fold, size_t min)
{
    const char *star = strchr(pat, '*');
    size_t pl = strlen(pat), pre, suf;
    int (*cmp)(const char *, const char *, size_t) = fold ? strncasecmp : strncmp;
    if (star == NULL)
        return pl == sl && cmp(pat, s, sl) == 0;
    pre = (size_t)(star - pat);
    suf = pl - pre - 1;
    return sl >= pre + suf + min && cmp(pat, s, pre) == 0 && cmp(star + 1, s + sl - suf, suf) == 0;
}

static int origin_ok(const rs_xml_cors_rule_t *r, const char *origin, int *wildcard)
{
    size_t i;
    *wildcard = 0;
    for (i = 0; i < r->norigins; i++)
        if (strcmp(r->origins[i], "*") == 0) {
            *wildcard = 1;
            return 1;
        }
    for (i = 0; i < r->norigins; i++)
        if (wild(r->origins[i], origin, strlen(origin), 0, 1))
            return 1;
    return 0;
}

/* every requested header (comma-separated) allowed by the rule */
static int headers_ok(const rs_xml_cors_rule_t *r, const char *req)
{
    const char *p = req;
    while (p != NULL && *p != '\0') {
        const char *e = strchr(p, ','), *end = e != NULL ? e : p + strlen(p);
        size_t i;
        int hit = 0;
        while (p < end && isspace((unsigned char)*p))
            p++;
        while (end > p && isspace((unsigned char)end[-1]))
            end--;
        if (end > p) {
            for (i = 0; i < r->nheaders && !hit; i++)
                hit = wild(r->headers[i], p, (size_t)(end - p), 1, 0);
            if (!hit)
                return 0;
        }
        p = e != NULL ? e + 1 : NULL;
    }
    return 1;
}

static const rs_xml_cors_rule_t *match(const rs_xml_cors_rule_t *rules, size_t n,
                                       const char *origin, const char *method,
                                       const char *req_headers, int *wildcard)
{
    size_t i, j;
    for (i = 0; i < n; i++) {
        const rs_xml_cors_rule_t *r = &rules[i];
        for (j = 0; j < r->nmethods; j++)
            if (strcmp(r->methods[j], method) == 0)
                break;
        if (j == r->nmethods || !origin_ok(r, origin, wildcard))
            continue;
        if (req_headers != NULL && req_headers[0] != '\0' && !headers_ok(r, req_headers))
            continue;
        return r;
    }
    return NULL;
}

static const char *joined(rs_s3_call_t *c, char **v, size_t n, int lower)
{
    rs_buf_t b;
    const char *out;
    size_t i;
    rs_buf_init(&b);
    for (i = 0; i < n; i++) {
        if (i > 0)
            rs_buf_appends(&b, ", ");
        rs_buf_appends(&b, v[i]);
    }
    out = rs_pool_strndup(c->pool, b.data ? b.data : "", b.len);
    rs_buf_free(&b);
    if (lower)
        for (char *p = (char *)out; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    return out;
}

/* requested headers echoed: trimmed, lower-case, ", "-separated */
static const char *echo_headers(rs_s3_call_t *c, const char *req)
{
    char **v = rs_pool_alloc(c->pool, (strlen(req) / 2 + 2) * sizeof(char *));
    size_t n = 0;
    const char *p = req;
    while (p != NULL) {
        const char *e = strchr(p, ','), *end = e != NULL ? e : p + strlen(p);
        while (p < end && isspace((unsigned char)*p))
            p++;
        while (end > p && isspace((unsigned char)end[-1]))
            end--;
        if (end > p)
            v[n++] = rs_pool_strndup(c->pool, p, (size_t)(end - p));
        p = e != NULL ? e + 1 : NULL;
    }
    return joined(c, v, n, 1);
}

static void add_headers(rs_s3_call_t *c, const rs_xml_cors_rule_t *r, int wildcard,
                        const char *origin, const char *req_headers)
{
    rs_http_resp_header(c->resp, "Access-Control-Allow-Origin", wildcard ? "*" : origin);
    if (!wildcard)
        rs_http_resp_header(c->resp, "Access-Control-Allow-Credentials", "true");
    rs_http_resp_header(c->resp, "Vary", CORS_VARY);
    rs_http_resp_header(c->resp, "Access-Control-Allow-Methods",
                        joined(c, r->methods, r->nmethods, 0));
    if (req_headers != NULL && req_headers[0] != '\0')
        rs_http_resp_header(c->resp, "Access-Control-Allow-Headers", echo_headers(c, req_headers));
    if (r->nexpose > 0)
        rs_http_resp_header(c->resp, "Access-Control-Expose-Headers",
                            joined(c, r->expose, r->nexpose, 0));
    if (r->max_age >= 0)
        rs_http_resp_header(c->resp, "Access-Control-Max-Age",
                            rs_pool_printf(c->pool, "%ld", r->max_age));
}

void rs_s3_cors_preflight(rs_s3_call_t *c)
{
    const char *origin = rs_s3_hdr(c, "origin", NULL);
    const char *method = rs_s3_hdr(c, "access-control-request-method", NULL);
    const char *headers = rs_s3_hdr(c, "access-control-request-headers", NULL);
    const char *shown = method != NULL ? method : "OPTIONS";
    rs_xml_cors_rule_t *rules;
    const rs_xml_cors_rule_t *r;
    rs_bucket_t b;
    size_t n;
    int err, wildcard;

    if (origin == NULL) {
        rs_s3_fail(c, RS_S3E_BadRequest, "Insufficient information. Origin request header needed.",
                   NULL);
        return;
    }
    if (c->bucket == NULL || strlen(c->bucket) > RS_MAX_BUCKET_NAME ||
        rs_bucket_lookup(c->ctx->store, c->bucket, &b) != 0) {
        rs_s3_fail(c, RS_S3E_AccessForbidden, "CORSResponse: Bucket not found", "Method", shown,
                   "ResourceType", "BUCKET", NULL);
        return;
    }
    err = rs_s3_cors_rules(c, &b, &rules, &n);
    if (err == RS_ENOENT) {
        rs_s3_fail(c, RS_S3E_AccessForbidden, "CORSResponse: CORS is not enabled for this bucket.",
                   "Method", shown, "ResourceType", "BUCKET", NULL);
        return;
    }
    if (err != 0) {
        rs_s3_store_fail(c, err);
        return;
    }
    r = method != NULL ? match(rules, n, origin, method, headers, &wildcard) : NULL;
    if (r == NULL) {
        rs_s3_fail(c, RS_S3E_AccessForbidden, NOT_ALLOWED, "Method", shown, "ResourceType",
                   c->key != NULL ? "OBJECT" : "BUCKET", NULL);
        return;
    }
    c->resp->status = 200;
    add_headers(c, r, wildcard, origin, headers);
}

void rs_s3_cors_actual(rs_s3_call_t *c)
{
    const char *origin, *method;
    rs_xml_cors_rule_t *rules;
    const rs_xml_cors_rule_t *r;
    rs_bucket_t b;
    size_t n;
    int wildcard;

    if (strcmp(c->req->method, "OPTIONS") == 0 || c->bucket == NULL)
        return;
    origin = rs_s3_hdr(c, "origin", NULL);
    if (origin == NULL || strlen(c->bucket) > RS_MAX_BUCKET_NAME ||
        rs_bucket_lookup(c->ctx->store, c->bucket, &b) != 0 ||
        rs_s3_cors_rules(c, &b, &rules, &n) != 0)
        return;
    /* AWS evaluates a request that carries Access-Control-Request-Method as for that method */
    method = rs_s3_hdr(c, "access-control-request-method", NULL);
    r = match(rules, n, origin, method != NULL ? method : c->req->method,
              rs_s3_hdr(c, "access-control-request-headers", NULL), &wildcard);
    if (r != NULL)
        add_headers(c, r, wildcard, origin, rs_s3_hdr(c, "access-control-request-headers", NULL));
}
