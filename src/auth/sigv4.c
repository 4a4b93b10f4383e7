/*
 * sigv4.c: AWS Signature Version 4: parsing of the Authorization header and of presigned
 * query parameters, canonical request / string to sign / signing key, verification of
 * requests and of aws-chunked chunk signatures. Dispatches SigV2 to sigv2.c.
 * Runs in: workers (pure functions over rs_http_req_t).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth/auth_int.h"
#include "rs/codec.h"
#include "rs/sigv4.h"

#define RS_V4_ALG "AWS4-HMAC-SHA256"
#define RS_V4_MAX_EXPIRES 604800L
#define RS_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* ---- primitives ------------------------------------------------------------------ */

int rs_auth_streq(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);

    if (la != lb)
        return 0;
    return CRYPTO_memcmp(a, b, la) == 0;
}

static int blank(char c)
{
    return c == ' ' || c == '\t';
}

size_t rs_auth_header_values(const rs_http_req_t *req, const char *lname, size_t nlen,
                             rs_buf_t *out)
{
    size_t found = 0;

    for (size_t i = 0; i < req->num_headers; i++) {
        const rs_hdr_t *h = &req->headers[i];
        if (h->name_len != nlen || strncasecmp(h->name, lname, nlen) != 0)
            continue;
        if (found++ > 0)
            rs_buf_append(out, ",", 1);
        size_t s = 0, e = h->value_len;
        while (s < e && blank(h->value[s]))
            s++;
        while (e > s && blank(h->value[e - 1]))
            e--;
        for (size_t k = s; k < e; k++) {
            if (blank(h->value[k])) {
                if (!blank(h->value[k - 1]))
                    rs_buf_append(out, " ", 1);
                continue;
            }
            rs_buf_append(out, &h->value[k], 1);
        }
    }
    return found;
}

/* ---- parsing ------------------------------------------------------------------- */

static void copy(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* "AKID/yyyymmdd/region/service/aws4_request" */
static int parse_credential(const char *s, size_t n, rs_auth_t *out)
{
    const char *part[5];
    size_t plen[5], k = 0, start = 0;

    for (size_t i = 0; i <= n && k < 5; i++) {
        if (i == n || s[i] == '/') {
            part[k] = s + start;
            plen[k] = i - start;
            k++;
            start = i + 1;
        }
    }
    if (k != 5 || start <= n)
        return -1;
    if (plen[0] == 0 || plen[0] >= sizeof(out->access_key) || plen[1] != 8 || plen[2] == 0 ||
        plen[2] >= sizeof(out->region) || plen[3] == 0 || plen[3] >= sizeof(out->service) ||
        plen[4] != 12 || memcmp(part[4], "aws4_request", 12) != 0)
        return -1;
    for (size_t i = 0; i < 8; i++)
        if (part[1][i] < '0' || part[1][i] > '9')
            return -1;
    copy(out->access_key, sizeof(out->access_key), part[0], plen[0]);
    copy(out->scope_date, sizeof(out->scope_date), part[1], 8);
    copy(out->region, sizeof(out->region), part[2], plen[2]);
    copy(out->service, sizeof(out->service), part[3], plen[3]);
    return 0;
}

/* X-Amz-Date (basic format) or, failing that, an HTTP Date header */
static int v4_request_date(const rs_http_req_t *req, rs_auth_t *out)
{
    const rs_hdr_t *h = rs_http_req_header(req, "x-amz-date");
    int64_t t;

    if (h != NULL && rs_amz_date_parse(h->value, h->value_len, &t) == 0) {
        copy(out->amz_date, sizeof(out->amz_date), h->value, h->value_len);
        out->request_time = t;
        return 0;
    }
    h = rs_http_req_header(req, "date");
    if (h != NULL && rs_http_date_parse(h->value, h->value_len, &t) == 0) {
        char iso[32];
        rs_iso8601_ms(t * 1000, iso); /* 2026-01-01T00:00:00.000Z */
        char *d = out->amz_date;
        memcpy(d, iso, 4);
        memcpy(d + 4, iso + 5, 2);
        memcpy(d + 6, iso + 8, 2);
        d[8] = 'T';
        memcpy(d + 9, iso + 11, 2);
        memcpy(d + 11, iso + 14, 2);
        memcpy(d + 13, iso + 17, 2);
        d[15] = 'Z';
        d[16] = '\0';
        out->request_time = t;
        return 0;
    }
    return -1;
}

static rs_auth_err_t parse_v4_header(const rs_http_req_t *req, const char *v, size_t n,
                                     rs_auth_t *out)
{
    size_t pos = sizeof(RS_V4_ALG) - 1;
    int have_cred = 0;
    const rs_hdr_t *h;

    out->kind = RS_AUTH_V4_HEADER;
    while (pos < n) {
        while (pos < n && (blank(v[pos]) || v[pos] == ','))
            pos++;
        if (pos >= n)
            break;
        const char *item = v + pos;
        const char *comma = memchr(item, ',', n - pos);
        size_t ilen = comma ? (size_t)(comma - item) : n - pos;
        pos += ilen;
        while (ilen > 0 && blank(item[ilen - 1]))
            ilen--;
        const char *eq = memchr(item, '=', ilen);
        if (eq == NULL)
            return RS_AUTHE_HEADER_MALFORMED;
        size_t klen = (size_t)(eq - item), vlen = ilen - klen - 1;
        if (klen == 10 && memcmp(item, "Credential", 10) == 0) {
            if (parse_credential(eq + 1, vlen, out) != 0)
                return RS_AUTHE_HEADER_MALFORMED;
            have_cred = 1;
        } else if (klen == 13 && memcmp(item, "SignedHeaders", 13) == 0) {
            out->signed_headers = rs_pool_strndup(req->pool, eq + 1, vlen);
        } else if (klen == 9 && memcmp(item, "Signature", 9) == 0) {
            out->signature = rs_pool_strndup(req->pool, eq + 1, vlen);
        } else {
            return RS_AUTHE_HEADER_MALFORMED;
        }
    }
    if (!have_cred || out->signed_headers == NULL || out->signature == NULL ||
        out->signed_headers[0] == '\0' || out->signature[0] == '\0')
        return RS_AUTHE_HEADER_MALFORMED;
    if (v4_request_date(req, out) != 0)
        return RS_AUTHE_HEADER_MALFORMED;
    h = rs_http_req_header(req, "x-amz-content-sha256");
    if (h != NULL)
        out->payload_hash = rs_pool_strndup(req->pool, h->value, h->value_len);
    return RS_AUTHE_OK;
}

static int parse_long(const char *s, long *v)
{
    char *end;
    long r;

    if (*s == '\0' || *s == '+' || *s == ' ')
        return -1;
    r = strtol(s, &end, 10);
    if (*end != '\0')
        return -1;
    *v = r;
    return 0;
}

static rs_auth_err_t parse_v4_query(const rs_http_req_t *req, const rs_qparam_t *params, size_t np,
                                    int64_t now, rs_auth_t *out)
{
    const rs_qparam_t *alg = rs_query_get(params, np, "X-Amz-Algorithm");
    const rs_qparam_t *cred = rs_query_get(params, np, "X-Amz-Credential");
    const rs_qparam_t *sig = rs_query_get(params, np, "X-Amz-Signature");
    const rs_qparam_t *date = rs_query_get(params, np, "X-Amz-Date");
    const rs_qparam_t *sh = rs_query_get(params, np, "X-Amz-SignedHeaders");
    const rs_qparam_t *exp = rs_query_get(params, np, "X-Amz-Expires");
    const rs_qparam_t *cs = rs_query_get(params, np, "X-Amz-Content-Sha256");
    int64_t t;

    out->kind = RS_AUTH_V4_QUERY;
    if (cred != NULL && parse_credential(cred->value, cred->value_len, out) != 0)
        return RS_AUTHE_QUERY_CREDENTIAL;
    if (alg == NULL || cred == NULL || sig == NULL || date == NULL || sh == NULL || exp == NULL)
        return RS_AUTHE_QUERY_PARAMS;
    if (strcmp(alg->value, RS_V4_ALG) != 0)
        return RS_AUTHE_QUERY_PARAMS;
    if (rs_amz_date_parse(date->value, date->value_len, &t) != 0)
        return RS_AUTHE_QUERY_PARAMS;
    copy(out->amz_date, sizeof(out->amz_date), date->value, date->value_len);
    out->request_time = t;
    out->signed_headers = sh->value;
    out->signature = sig->value;
    out->payload_hash = cs != NULL ? cs->value : "UNSIGNED-PAYLOAD";
    if (parse_long(exp->value, &out->expires_param) != 0 || out->expires_param < 0)
        return RS_AUTHE_QUERY_PARAMS;
    if (out->expires_param > RS_V4_MAX_EXPIRES)
        return RS_AUTHE_QUERY_EXPIRES_MAX;
    out->expires_at = t + out->expires_param;
    if (now > out->expires_at)
        return RS_AUTHE_EXPIRED;
    return RS_AUTHE_OK;
}

rs_auth_err_t rs_auth_parse(const rs_http_req_t *req, int64_t now, rs_auth_t *out)
{
    const rs_hdr_t *h = rs_http_req_header(req, "authorization");
    rs_qparam_t *params;
    size_t np;

    memset(out, 0, sizeof(*out));
    out->kind = RS_AUTH_NONE;
    if (h != NULL) {
        size_t alen = sizeof(RS_V4_ALG) - 1;
        if (h->value_len > alen && memcmp(h->value, RS_V4_ALG, alen) == 0 && blank(h->value[alen]))
            return parse_v4_header(req, h->value, h->value_len, out);
        if (h->value_len > 4 && memcmp(h->value, "AWS ", 4) == 0)
            return rs_auth_parse_v2_header(req, h->value + 4, h->value_len - 4, out);
        return RS_AUTHE_HEADER_MALFORMED;
    }
    if (req->query == NULL || req->query_len == 0)
        return RS_AUTHE_OK;
    np = rs_query_parse(req->pool, req->query, req->query_len, &params);
    if (rs_query_get(params, np, "X-Amz-Algorithm") != NULL ||
        rs_query_get(params, np, "X-Amz-Credential") != NULL ||
        rs_query_get(params, np, "X-Amz-Signature") != NULL)
        return parse_v4_query(req, params, np, now, out);
    if (rs_query_get(params, np, "AWSAccessKeyId") != NULL ||
        rs_query_get(params, np, "Signature") != NULL)
        return rs_auth_parse_v2_query(req, params, np, now, out);
    return RS_AUTHE_OK;
}

/* ---- canonical request ---------------------------------------------------------- */

typedef struct rs_cq_item {
    char *name, *value; /* URI-encoded, NUL-terminated (heap) */
} rs_cq_item_t;

static int cq_cmp(const void *a, const void *b)
{
    const rs_cq_item_t *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

/* decode (raw kept on a bad escape) then re-encode one query component */
static char *cq_encode(rs_pool_t *pool, const char *s, size_t n)
{
    char *dec;
    size_t dlen;
    rs_buf_t b;
    char *r;

    if (rs_pct_decode(pool, s, n, &dec, &dlen) != 0) {
        dec = (char *)s;
        dlen = n;
    }
    rs_buf_init(&b);
    rs_uri_encode(&b, dec, dlen, 0);
    r = rs_pool_strndup(pool, b.data ? b.data : "", b.len);
    rs_buf_free(&b);
    return r;
}

static void canonical_query(const rs_http_req_t *req, int drop_signature, rs_buf_t *out)
{
    size_t count = 0, n = 0, pos = 0;
    rs_cq_item_t *items;

    if (req->query == NULL || req->query_len == 0)
        return;
    for (size_t i = 0; i < req->query_len; i++)
        count += req->query[i] == '&';
    items = rs_pool_alloc(req->pool, (count + 1) * sizeof(*items));
    while (pos <= req->query_len) {
        const char *seg = req->query + pos;
        const char *amp = memchr(seg, '&', req->query_len - pos);
        size_t slen = amp ? (size_t)(amp - seg) : req->query_len - pos;
        pos += slen + 1;
        if (slen == 0)
            continue;
        const char *eq = memchr(seg, '=', slen);
        size_t nlen = eq ? (size_t)(eq - seg) : slen;
        rs_cq_item_t *it = &items[n];
        it->name = cq_encode(req->pool, seg, nlen);
        if (drop_signature && strcmp(it->name, "X-Amz-Signature") == 0)
            continue;
        it->value = eq ? cq_encode(req->pool, eq + 1, slen - nlen - 1) : "";
        n++;
    }
    qsort(items, n, sizeof(*items), cq_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            rs_buf_append(out, "&", 1);
        rs_buf_appends(out, items[i].name);
        rs_buf_append(out, "=", 1);
        rs_buf_appends(out, items[i].value);
    }
}

static void canonical_headers(const rs_http_req_t *req, const char *signed_headers, rs_buf_t *out)
{
    const char *p = signed_headers;

    while (*p != '\0') {
        const char *semi = strchr(p, ';');
        size_t n = semi ? (size_t)(semi - p) : strlen(p);
        if (n > 0) {
            for (size_t i = 0; i < n; i++) {
                char c = p[i];
                rs_buf_append(out, &c, 1);
            }
            rs_buf_append(out, ":", 1);
            if (rs_auth_header_values(req, p, n, out) == 0 && n == 4 &&
                strncasecmp(p, "host", 4) == 0 && req->host != NULL)
                rs_buf_append(out, req->host, req->host_len);
            rs_buf_append(out, "\n", 1);
        }
        p += n;
        if (*p == ';')
            p++;
    }
}

static void sign_hex(const rs_auth_t *a, const char *secret, const char *sts, size_t n,
                     char out[65])
{
    uint8_t key[32], mac[32];

    rs_sigv4_signing_key(secret, a->scope_date, a->region, a->service, key);
    rs_hmac_sha256(key, 32, sts, n, mac);
    rs_hex_encode(mac, 32, out);
    OPENSSL_cleanse(key, sizeof(key));
}

static int verify_v4(const rs_http_req_t *req, const rs_auth_t *a, const char *secret,
                     const char **string_to_sign, const char **canonical_request)
{
    rs_buf_t cr, sts;
    char hash[65], sig[65], lower[65];
    size_t slen;
    int ok;

    if (a->signed_headers == NULL || a->signature == NULL || a->amz_date[0] == '\0')
        return -1;
    rs_buf_init(&cr);
    rs_buf_printf(&cr, "%s\n", req->method);
    if (strcmp(a->service, "s3") == 0) {
        if (req->path_len == 0)
            rs_buf_append(&cr, "/", 1);
        else
            rs_buf_append(&cr, req->path, req->path_len);
    } else {
        if (req->path_len == 0)
            rs_buf_append(&cr, "/", 1);
        else
            rs_uri_encode(&cr, req->path, req->path_len, 1);
    }
    rs_buf_append(&cr, "\n", 1);
    canonical_query(req, a->kind == RS_AUTH_V4_QUERY, &cr);
    rs_buf_append(&cr, "\n", 1);
    canonical_headers(req, a->signed_headers, &cr);
    rs_buf_append(&cr, "\n", 1);
    rs_buf_appends(&cr, a->signed_headers);
    rs_buf_append(&cr, "\n", 1);
    if (a->payload_hash != NULL) {
        rs_buf_appends(&cr, a->payload_hash);
    } else {
        rs_sha256_hex(req->body, req->body_len, hash);
        rs_buf_appends(&cr, hash);
    }
    rs_sha256_hex(cr.data, cr.len, hash);

    rs_buf_init(&sts);
    rs_buf_printf(&sts, "%s\n%s\n%s/%s/%s/aws4_request\n%s", RS_V4_ALG, a->amz_date, a->scope_date,
                  a->region, a->service, hash);
    sign_hex(a, secret, sts.data, sts.len, sig);

    slen = strlen(a->signature);
    ok = slen == 64;
    for (size_t i = 0; ok && i < 64; i++) {
        char c = a->signature[i];
        lower[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    lower[64] = '\0';
    ok = ok && rs_auth_streq(lower, sig);
    if (string_to_sign != NULL)
        *string_to_sign = rs_pool_strndup(req->pool, sts.data, sts.len);
    if (canonical_request != NULL)
        *canonical_request = rs_pool_strndup(req->pool, cr.data, cr.len);
    rs_buf_free(&cr);
    rs_buf_free(&sts);
    return ok ? 0 : -1;
}

int rs_auth_verify(const rs_http_req_t *req, const rs_auth_t *a, const char *secret,
                   const char **string_to_sign, const char **canonical_request)
{
    if (string_to_sign != NULL)
        *string_to_sign = NULL;
    if (canonical_request != NULL)
        *canonical_request = NULL;
    if (secret == NULL)
        return -1;
    switch (a->kind) {
    case RS_AUTH_V4_HEADER:
    case RS_AUTH_V4_QUERY:
        return verify_v4(req, a, secret, string_to_sign, canonical_request);
    case RS_AUTH_V2_HEADER:
    case RS_AUTH_V2_QUERY:
        return rs_auth_verify_v2(req, a, secret, string_to_sign);
    default:
        return -1;
    }
}

int rs_auth_verify_chunk(const rs_auth_t *a, const char *secret, const char *prev_sig,
                         const uint8_t *data, size_t len, const char *sig)
{
    rs_buf_t sts;
    char hash[65], mine[65];
    int ok;

    if (secret == NULL || prev_sig == NULL || sig == NULL || a->amz_date[0] == '\0')
        return -1;
    rs_sha256_hex(data, len, hash);
    rs_buf_init(&sts);
    rs_buf_printf(&sts, "AWS4-HMAC-SHA256-PAYLOAD\n%s\n%s/%s/%s/aws4_request\n%s\n%s\n%s",
                  a->amz_date, a->scope_date, a->region, a->service, prev_sig, RS_EMPTY_SHA256,
                  hash);
    sign_hex(a, secret, sts.data, sts.len, mine);
    rs_buf_free(&sts);
    ok = rs_auth_streq(mine, sig);
    return ok ? 0 : -1;
}
