/*
 * sigv2.c: AWS Signature Version 2 for S3 (Authorization "AWS AKID:sig" and presigned
 * AWSAccessKeyId/Signature/Expires URLs): parsing and HMAC-SHA1 verification over the S3
 * string to sign (canonical x-amz- headers, canonical resource with sub-resources).
 * Runs in: workers (pure functions).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth/auth_int.h"
#include "rs/codec.h"

/* the sub-resources that belong in the canonical resource (as botocore signs them) */
static const char *const rs_v2_subres[] = {"accelerate",
                                           "acl",
                                           "analytics",
                                           "cors",
                                           "defaultObjectAcl",
                                           "delete",
                                           "inventory",
                                           "legal-hold",
                                           "lifecycle",
                                           "location",
                                           "logging",
                                           "metrics",
                                           "notification",
                                           "object-lock",
                                           "partNumber",
                                           "policy",
                                           "replication",
                                           "requestPayment",
                                           "response-cache-control",
                                           "response-content-disposition",
                                           "response-content-encoding",
                                           "response-content-language",
                                           "response-content-type",
                                           "response-expires",
                                           "restore",
                                           "retention",
                                           "select",
                                           "select-type",
                                           "storageClass",
                                           "tagging",
                                           "torrent",
                                           "uploadId",
                                           "uploads",
                                           "versionId",
                                           "versioning",
                                           "versions",
                                           "website"};

static int v2_is_subres(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof(rs_v2_subres) / sizeof(rs_v2_subres[0]); i++)
        if (strlen(rs_v2_subres[i]) == n && memcmp(rs_v2_subres[i], s, n) == 0)
            return 1;
    return 0;
}

rs_auth_err_t rs_auth_parse_v2_header(const rs_http_req_t *req, const char *v, size_t n,
                                      rs_auth_t *out)
{
    const char *colon = memchr(v, ':', n);
    const rs_hdr_t *h;
    int64_t t;

    out->kind = RS_AUTH_V2_HEADER;
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    if (colon == NULL || colon == v || (size_t)(colon - v) >= sizeof(out->access_key) ||
        (size_t)(colon - v) + 1 >= n)
        return RS_AUTHE_HEADER_MALFORMED;
    memcpy(out->access_key, v, (size_t)(colon - v));
    out->access_key[colon - v] = '\0';
    out->signature = rs_pool_strndup(req->pool, colon + 1, n - (size_t)(colon - v) - 1);
    h = rs_http_req_header(req, "x-amz-date");
    if (h == NULL)
        h = rs_http_req_header(req, "date");
    if (h != NULL && rs_http_date_parse(h->value, h->value_len, &t) == 0)
        out->request_time = t;
    return RS_AUTHE_OK;
}

rs_auth_err_t rs_auth_parse_v2_query(const rs_http_req_t *req, const rs_qparam_t *params, size_t np,
                                     int64_t now, rs_auth_t *out)
{
    const rs_qparam_t *ak = rs_query_get(params, np, "AWSAccessKeyId");
    const rs_qparam_t *sig = rs_query_get(params, np, "Signature");
    const rs_qparam_t *exp = rs_query_get(params, np, "Expires");
    char *end;
    long long e;

    (void)req;
    out->kind = RS_AUTH_V2_QUERY;
    if (ak != NULL && ak->value_len < sizeof(out->access_key))
        memcpy(out->access_key, ak->value, ak->value_len + 1);
    if (ak == NULL || sig == NULL || exp == NULL || ak->value_len == 0 ||
        ak->value_len >= sizeof(out->access_key) || sig->value_len == 0)
        return RS_AUTHE_V2_QUERY_PARAMS;
    out->signature = sig->value;
    if (exp->value[0] < '0' || exp->value[0] > '9')
        return RS_AUTHE_V2_QUERY_PARAMS;
    e = strtoll(exp->value, &end, 10);
    if (*end != '\0')
        return RS_AUTHE_V2_QUERY_PARAMS;
    out->expires_at = e;
    if (now > out->expires_at)
        return RS_AUTHE_EXPIRED;
    return RS_AUTHE_OK;
}

/* ---- string to sign ------------------------------------------------------------- */

typedef struct rs_v2_kv {
    char *name;  /* lower-case x-amz- name, or sub-resource name */
    char *value; /* trimmed value; NULL for a sub-resource without '=' */
    size_t order;
} rs_v2_kv_t;

static int v2_kv_cmp(const void *a, const void *b)
{
    const rs_v2_kv_t *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c != 0)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

static char *v2_trim(rs_pool_t *pool, const char *s, size_t n)
{
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return rs_pool_strndup(pool, s, n);
}

static char *v2_lower(rs_pool_t *pool, const char *s, size_t n)
{
    char *r = rs_pool_strndup(pool, s, n);
    for (size_t i = 0; i < n; i++)
        if (r[i] >= 'A' && r[i] <= 'Z')
            r[i] = (char)(r[i] + 32);
    return r;
}

/* first value of a standard header, or (presigned) of the query parameter of that name */
static void v2_std(const rs_http_req_t *req, const rs_qparam_t *qp, size_t nq, const char *lname,
                   rs_buf_t *out)
{
    const rs_hdr_t *h = rs_http_req_header(req, lname);

    if (h != NULL) {
        rs_buf_appends(out, v2_trim(req->pool, h->value, h->value_len));
        return;
    }
    for (size_t i = 0; i < nq; i++) {
        if (strcasecmp(qp[i].name, lname) == 0) {
            rs_buf_appends(out, v2_trim(req->pool, qp[i].value, qp[i].value_len));
            return;
        }
    }
}

static void v2_amz_headers(const rs_http_req_t *req, const rs_qparam_t *qp, size_t nq,
                           rs_buf_t *out)
{
    size_t cap = req->num_headers + nq, n = 0;
    rs_v2_kv_t *kv;

    if (cap == 0)
        return;
    kv = rs_pool_alloc(req->pool, cap * sizeof(*kv));
    for (size_t i = 0; i < req->num_headers; i++) {
        const rs_hdr_t *h = &req->headers[i];
        if (h->name_len > 6 && strncasecmp(h->name, "x-amz-", 6) == 0) {
            kv[n].name = v2_lower(req->pool, h->name, h->name_len);
            kv[n].value = v2_trim(req->pool, h->value, h->value_len);
            kv[n].order = n;
            n++;
        }
    }
    for (size_t i = 0; i < nq; i++) {
        size_t len = strlen(qp[i].name);
        if (len > 6 && strncasecmp(qp[i].name, "x-amz-", 6) == 0) {
            kv[n].name = v2_lower(req->pool, qp[i].name, len);
            kv[n].value = v2_trim(req->pool, qp[i].value, qp[i].value_len);
            kv[n].order = n;
            n++;
        }
    }
    qsort(kv, n, sizeof(*kv), v2_kv_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(kv[i].name, kv[i - 1].name) == 0) {
            rs_buf_append(out, ",", 1);
        } else {
            if (i > 0)
                rs_buf_append(out, "\n", 1);
            rs_buf_appends(out, kv[i].name);
            rs_buf_append(out, ":", 1);
        }
        rs_buf_appends(out, kv[i].value);
    }
    if (n > 0)
        rs_buf_append(out, "\n", 1);
}

static void v2_resource(const rs_http_req_t *req, const char *bucket, size_t blen, int slash,
                        rs_buf_t *out)
{
    size_t pos = 0, n = 0, cap = 1;
    rs_v2_kv_t *kv;

    if (bucket != NULL) {
        rs_buf_append(out, "/", 1);
        rs_buf_append(out, bucket, blen);
    }
    if (req->path_len > 0)
        rs_buf_append(out, req->path, req->path_len);
    else if (bucket == NULL)
        rs_buf_append(out, "/", 1);
    if (slash)
        rs_buf_append(out, "/", 1);
    if (req->query == NULL || req->query_len == 0)
        return;
    for (size_t i = 0; i < req->query_len; i++)
        cap += req->query[i] == '&';
    kv = rs_pool_alloc(req->pool, cap * sizeof(*kv));
    while (pos <= req->query_len) {
        const char *seg = req->query + pos;
        const char *amp = memchr(seg, '&', req->query_len - pos);
        size_t slen = amp ? (size_t)(amp - seg) : req->query_len - pos;
        const char *eq = memchr(seg, '=', slen);
        size_t nlen = eq ? (size_t)(eq - seg) : slen;
        pos += slen + 1;
        if (!v2_is_subres(seg, nlen))
            continue;
        kv[n].name = rs_pool_strndup(req->pool, seg, nlen);
        kv[n].value = NULL;
        if (eq != NULL) {
            size_t dl;
            if (rs_pct_decode(req->pool, eq + 1, slen - nlen - 1, &kv[n].value, &dl) != 0)
                kv[n].value = rs_pool_strndup(req->pool, eq + 1, slen - nlen - 1);
        }
        kv[n].order = n;
        n++;
    }
    qsort(kv, n, sizeof(*kv), v2_kv_cmp);
    for (size_t i = 0; i < n; i++) {
        rs_buf_append(out, i == 0 ? "?" : "&", 1);
        rs_buf_appends(out, kv[i].name);
        if (kv[i].value != NULL) {
            rs_buf_append(out, "=", 1);
            rs_buf_appends(out, kv[i].value);
        }
    }
}

static int v2_try(const rs_http_req_t *req, const rs_auth_t *a, const char *secret,
                  const char *bucket, size_t blen, int slash, const char **string_to_sign)
{
    rs_qparam_t *qp = NULL;
    size_t nq = 0;
    rs_buf_t sts;
    uint8_t mac[20];
    unsigned int mlen = 20;
    char sig[32];
    int ok;

    if (a->kind == RS_AUTH_V2_QUERY)
        nq = rs_query_parse(req->pool, req->query, req->query_len, &qp);
    rs_buf_init(&sts);
    rs_buf_appends(&sts, req->method);
    rs_buf_append(&sts, "\n", 1);
    v2_std(req, qp, nq, "content-md5", &sts);
    rs_buf_append(&sts, "\n", 1);
    v2_std(req, qp, nq, "content-type", &sts);
    rs_buf_append(&sts, "\n", 1);
    if (a->kind == RS_AUTH_V2_QUERY) {
        const rs_qparam_t *e = rs_query_get(qp, nq, "Expires");
        if (e != NULL)
            rs_buf_appends(&sts, e->value);
    } else if (rs_http_req_header(req, "x-amz-date") == NULL) {
        const rs_hdr_t *d = rs_http_req_header(req, "date");
        if (d != NULL)
            rs_buf_appends(&sts, v2_trim(req->pool, d->value, d->value_len));
    }
    rs_buf_append(&sts, "\n", 1);
    v2_amz_headers(req, qp, nq, &sts);
    v2_resource(req, bucket, blen, slash, &sts);

    if (HMAC(EVP_sha1(), secret, (int)strlen(secret), (const uint8_t *)sts.data, sts.len, mac,
             &mlen) == NULL) {
        rs_buf_free(&sts);
        return -1;
    }
    rs_base64_encode(mac, 20, sig);
    ok = a->signature != NULL && rs_auth_streq(a->signature, sig);
    if (string_to_sign != NULL)
        *string_to_sign = rs_pool_strndup(req->pool, sts.data, sts.len);
    rs_buf_free(&sts);
    return ok ? 0 : -1;
}

/* virtual-hosted requests sign "/bucket" + path: the bucket is the first host label */
static int v2_host_bucket(const rs_http_req_t *req, const char **bucket, size_t *blen)
{
    const char *h = req->host;
    size_t n = req->host_len;
    const char *dot;
    int digits_only = 1;

    if (h == NULL || n == 0)
        return 0;
    for (size_t i = 0; i < n && h[i] != ':'; i++)
        if ((h[i] < '0' || h[i] > '9') && h[i] != '.')
            digits_only = 0;
    dot = memchr(h, '.', n);
    if (digits_only || dot == NULL || dot == h || h[0] == '[')
        return 0;
    *bucket = h;
    *blen = (size_t)(dot - h);
    return 1;
}

int rs_auth_verify_v2(const rs_http_req_t *req, const rs_auth_t *a, const char *secret,
                      const char **string_to_sign)
{
    const char *bucket;
    size_t blen;
    const char *first = NULL;

    if (v2_try(req, a, secret, NULL, 0, 0, &first) == 0) {
        if (string_to_sign != NULL)
            *string_to_sign = first;
        return 0;
    }
    /* a path-style request to a bucket ("/bucket"): botocore signs "/bucket/" (the
     * resource of the same request made virtual-hosted), which S3 accepts */
    if (req->path_len > 1 && req->path[0] == '/' &&
        memchr(req->path + 1, '/', req->path_len - 1) == NULL &&
        v2_try(req, a, secret, NULL, 0, 1, NULL) == 0)
        return 0;
    if (v2_host_bucket(req, &bucket, &blen) &&
        v2_try(req, a, secret, bucket, blen, 0, string_to_sign) == 0)
        return 0;
    if (string_to_sign != NULL)
        *string_to_sign = first;
    return -1;
}
