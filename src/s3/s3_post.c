/*
 * s3_post.c: POST object, the browser-based upload (`POST /<bucket>` path-style or `POST /`
 * on a virtual host, multipart/form-data): the form (s3_post_form.c), its signature fields
 * (SigV4 x-amz-* or SigV2 AWSAccessKeyId/signature, verified when auth_verify is on), its
 * policy (s3_post_policy.c), the object's key (with ${filename}), metadata, tags, storage
 * class and checksum from the fields, the same store write and size limit as PutObject,
 * then the answer S3 gives: a 303 to success_action_redirect, or success_action_status
 * 200, 201 (a PostResponse document) or 204. Runs in: workers.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rs/checksum.h"
#include "rs/codec.h"
#include "rs/xml.h"
#include "s3/s3_post_int.h"

static int missing(rs_s3_call_t *c, const char *name)
{
    rs_s3_fail(c, RS_S3E_InvalidArgument,
               rs_pool_printf(c->pool,
                              "Bucket POST must contain a field named '%s'.  If it is specified, "
                              "please check the order of the fields.",
                              name),
               "ArgumentName", name, "ArgumentValue", "", NULL);
    return -1;
}

static const char *field(const rs_s3_form_t *form, const char *lname)
{
    const rs_s3_form_field_t *f = rs_s3_form_get(form, lname);
    return f != NULL ? f->value : NULL;
}

/* of a set of signature fields: 0 none present, 1 all present, -1 rendered (one missing) */
static int sig_fields(rs_s3_call_t *c, const rs_s3_form_t *form, const char *const *names,
                      const char *const *shown, size_t n)
{
    size_t have = 0;
    for (size_t i = 0; i < n; i++)
        have += field(form, names[i]) != NULL;
    if (have == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (field(form, names[i]) == NULL)
            return missing(c, shown[i]);
    return 1;
}

static const rs_cred_t *find_cred(const rs_s3_ctx_t *ctx, const char *access_key)
{
    for (size_t i = 0; i < ctx->ncreds; i++)
        if (strcmp(ctx->creds[i].access_key, access_key) == 0)
            return &ctx->creds[i];
    return NULL;
}

/* The signature fields: the account and region they name, and, with auth_verify, the
 * signature of the policy. Renders and returns -1. */
static int authenticate(rs_s3_call_t *c, const rs_s3_form_t *form, const char *policy)
{
    static const char *const v4[] = {"x-amz-algorithm", "x-amz-credential", "x-amz-date",
                                     "x-amz-signature"};
    static const char *const v4s[] = {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
                                      "X-Amz-Signature"};
    static const char *const v2[] = {"awsaccesskeyid", "signature"};
    static const char *const v2s[] = {"AWSAccessKeyId", "Signature"};
    rs_auth_t a;
    const char *sig;
    int is4, is2;

    if (policy == NULL) {
        /* an anonymous form: accepted like other anonymous requests, and refused like them
         * with auth_verify (no bucket is publicly writable here) */
        if (!c->ctx->verify_signatures)
            return 0;
        rs_s3_fail(c, RS_S3E_AccessDenied, NULL, NULL);
        return -1;
    }
    if ((is4 = sig_fields(c, form, v4, v4s, 4)) < 0 || (is2 = sig_fields(c, form, v2, v2s, 2)) < 0)
        return -1;
    if (!is4 && !is2) {
        rs_s3_fail(c, RS_S3E_AccessDenied, NULL, NULL);
        return -1;
    }
    if (is4) {
        if (strcmp(field(form, "x-amz-algorithm"), "AWS4-HMAC-SHA256") != 0) {
            rs_s3_fail(c, RS_S3E_InvalidArgument,
                       "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"", "ArgumentName",
                       "X-Amz-Algorithm", "ArgumentValue", field(form, "x-amz-algorithm"), NULL);
            return -1;
        }
        if (rs_auth_post_parse_credential(field(form, "x-amz-credential"), &a) != 0) {
            rs_s3_fail(c, RS_S3E_InvalidArgument,
                       "the Credential is mal-formed; expecting "
                       "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".",
                       "ArgumentName", "X-Amz-Credential", "ArgumentValue",
                       field(form, "x-amz-credential"), NULL);
            return -1;
        }
        sig = field(form, "x-amz-signature");
    } else {
        memset(&a, 0, sizeof a);
        a.kind = RS_AUTH_V2_HEADER;
        snprintf(a.access_key, sizeof a.access_key, "%s", field(form, "awsaccesskeyid"));
        sig = field(form, "signature");
    }
    snprintf(c->req->access_key, sizeof c->req->access_key, "%s", a.access_key);
    snprintf(c->req->account, sizeof c->req->account, "%s",
             rs_account_for_key(c->ctx, a.access_key));
    if (a.region[0] != '\0')
        snprintf(c->req->region, sizeof c->req->region, "%s", a.region);
    if (!c->ctx->verify_signatures)
        return 0;
    const rs_cred_t *cred = find_cred(c->ctx, a.access_key);
    if (cred == NULL) {
        rs_s3_fail(c, RS_S3E_InvalidAccessKeyId, NULL, "AWSAccessKeyId", a.access_key, NULL);
        return -1;
    }
    size_t pl = strlen(policy);
    if ((is4 ? rs_auth_verify_post_v4(&a, cred->secret_key, policy, pl, sig)
             : rs_auth_verify_post_v2(cred->secret_key, policy, pl, sig)) != 0) {
        rs_s3_fail(c, RS_S3E_SignatureDoesNotMatch, NULL, "AWSAccessKeyId", a.access_key,
                   "StringToSign", policy, "SignatureProvided", sig, NULL);
        return -1;
    }
    return 0;
}

/* the key field with ${filename} replaced by the file's name */
static char *object_key(rs_s3_call_t *c, const char *key, const char *filename)
{
    const char *at = strstr(key, "${filename}");
    if (at == NULL)
        return rs_pool_strndup(c->pool, key, strlen(key));
    return rs_pool_printf(c->pool, "%.*s%s%s", (int)(at - key), key, filename, at + 11);
}

static const struct {
    const char *field;
    int tag;
} sys_fields[] = {
    {"content-type", RS_META_CONTENT_TYPE},
    {"content-disposition", RS_META_CONTENT_DISPOSITION},
    {"content-encoding", RS_META_CONTENT_ENCODING},
    {"content-language", RS_META_CONTENT_LANGUAGE},
    {"cache-control", RS_META_CACHE_CONTROL},
    {"expires", RS_META_EXPIRES},
    {"x-amz-website-redirect-location", RS_META_WEBSITE_REDIRECT},
};

/* a value that can go back out as a header line: no control characters but tab */
static int header_safe(const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f)
            return 0;
    return 1;
}

/* an HTTP token (RFC 9110): what a header name may be made of */
static int token(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && strchr("!#$%&'*+-.^_`|~", *s) == NULL)
            return 0;
    return 1;
}

static int bad_field(rs_s3_call_t *c, const rs_s3_form_field_t *f)
{
    rs_s3_fail(c, RS_S3E_InvalidArgument,
               rs_pool_printf(c->pool, "Invalid value for form field '%s'.", f->name),
               "ArgumentName", f->name, NULL);
    return -1;
}

/* metadata, tags and storage class from the fields; renders and returns -1 */
static int form_meta(rs_s3_call_t *c, const rs_s3_form_t *form, rs_s3_meta_t *m, int *sc)
{
    size_t user_bytes = 0;
    const char *v;
    m->n = 0;
    for (size_t i = 0; i < sizeof sys_fields / sizeof sys_fields[0]; i++) {
        const rs_s3_form_field_t *f = rs_s3_form_get(form, sys_fields[i].field);
        if (f != NULL && !header_safe(f->value, f->value_len))
            return bad_field(c, f);
        if (f != NULL)
            rs_s3_meta_add(m, sys_fields[i].tag, NULL, f->value, f->value_len);
    }
    if (rs_s3_meta_find(m, RS_META_CONTENT_TYPE) == NULL)
        rs_s3_meta_add(m, RS_META_CONTENT_TYPE, NULL, "binary/octet-stream", 19);
    if ((v = field(form, "tagging")) != NULL) {
        char *q;
        size_t ql;
        if (rs_s3_tagging_from_xml(c, v, strlen(v), &q, &ql) != 0)
            return -1;
        if (ql > 0)
            rs_s3_meta_add(m, RS_META_TAGGING, NULL, q, ql);
    }
    for (size_t i = 0; i < form->n; i++) {
        const rs_s3_form_field_t *f = &form->f[i];
        if (strncmp(f->lname, "x-amz-meta-", 11) != 0 || f->lname[11] == '\0')
            continue;
        if (!token(f->lname + 11) || memchr(f->value, '\0', f->value_len) != NULL)
            return bad_field(c, f); /* user values are RFC 2047-encoded on the way out */
        user_bytes += strlen(f->lname + 11) + f->value_len;
        rs_s3_meta_add(m, RS_META_USER, f->lname + 11, f->value, f->value_len);
    }
    if (user_bytes > 2048) {
        char sz[32];
        snprintf(sz, sizeof sz, "%zu", user_bytes);
        rs_s3_fail(c, RS_S3E_MetadataTooLarge, NULL, "Size", sz, "MaxSizeAllowed", "2048", NULL);
        return -1;
    }
    *sc = 0;
    if ((v = field(form, "x-amz-storage-class")) != NULL &&
        (*sc = rs_s3_storage_class_parse(v)) < 0) {
        rs_s3_fail(c, RS_S3E_InvalidStorageClass, NULL, "StorageClassRequested", v, NULL);
        return -1;
    }
    return 0;
}

/* x-amz-checksum-<alg> fields checked against the file; CRC64NVME stored otherwise.
 * *client: the form gave one (echoed on the response). Renders and returns -1. */
static int form_checksum(rs_s3_call_t *c, const rs_s3_form_t *form, rs_obj_put_t *put, int *client)
{
    *client = 0;
    for (size_t i = 0; i < form->n; i++) {
        const rs_s3_form_field_t *f = &form->f[i];
        uint8_t want[64];
        long wl;
        int alg;
        if (strncmp(f->lname, "x-amz-checksum-", 15) != 0 || strcmp(f->lname + 15, "type") == 0 ||
            strcmp(f->lname + 15, "algorithm") == 0)
            continue;
        alg = rs_checksum_alg_parse(f->lname + 15, strlen(f->lname + 15));
        wl = alg < 0 ? -1 : rs_base64_decode(f->value, f->value_len, want, sizeof want);
        if (alg < 0 || wl < 0 || (size_t)wl != rs_checksum_len(alg)) {
            rs_s3_fail(c, RS_S3E_InvalidRequest,
                       rs_pool_printf(c->pool, "Value for %s header is invalid.", f->lname), NULL);
            return -1;
        }
        put->info.checksum_alg = (uint8_t)alg;
        put->info.checksum_len =
            (uint8_t)rs_checksum_compute(alg, form->iov, form->iovcnt, put->info.checksum);
        if (memcmp(put->info.checksum, want, (size_t)wl) != 0) {
            rs_s3_checksum_mismatch(c, rs_checksum_alg_name(alg));
            return -1;
        }
        *client = 1;
        return 0;
    }
    put->info.checksum_alg = RS_CKSUM_CRC64NVME;
    put->info.checksum_len = (uint8_t)rs_checksum_compute(RS_CKSUM_CRC64NVME, form->iov,
                                                          form->iovcnt, put->info.checksum);
    return 0;
}

/* where the object is: the request's scheme-less host, then /bucket/key (path style) or
 * /key (virtual host) */
static const char *location(rs_s3_call_t *c)
{
    const char *key = rs_s3_urlencode(c->pool, c->key, c->key_len);
    int vhost = c->req->path_len <= 1; /* POST / on <bucket>.host */
    if (vhost)
        return rs_pool_printf(c->pool, "http://%.*s/%s", (int)c->req->host_len, c->req->host, key);
    return rs_pool_printf(c->pool, "http://%.*s/%s/%s", (int)c->req->host_len, c->req->host,
                          rs_s3_urlencode(c->pool, c->bucket, strlen(c->bucket)), key);
}

/* query-encode everything but unreserved characters */
static const char *qenc(rs_s3_call_t *c, const char *s)
{
    rs_buf_t b;
    rs_buf_init(&b);
    rs_uri_encode(&b, s, strlen(s), 0);
    const char *out = rs_pool_strndup(c->pool, b.data ? b.data : "", b.len);
    rs_buf_free(&b);
    return out;
}

static void answer(rs_s3_call_t *c, const rs_s3_form_t *form, const char *etag)
{
    const char *redirect = field(form, "success_action_redirect");
    const char *status = field(form, "success_action_status");
    const char *loc = location(c);
    if (redirect == NULL || redirect[0] == '\0')
        redirect = field(form, "redirect");
    rs_http_resp_header(c->resp, "ETag", etag);
    if (redirect != NULL && header_safe(redirect, strlen(redirect)) &&
        (strncasecmp(redirect, "http://", 7) == 0 || strncasecmp(redirect, "https://", 8) == 0)) {
        c->resp->status = 303;
        rs_http_resp_header(c->resp, "Location",
                            rs_pool_printf(c->pool, "%s%sbucket=%s&key=%s&etag=%s", redirect,
                                           strchr(redirect, '?') != NULL ? "&" : "?",
                                           qenc(c, c->bucket), qenc(c, c->key), qenc(c, etag)));
        return;
    }
    rs_http_resp_header(c->resp, "Location", loc);
    if (status != NULL && strcmp(status, "201") == 0) {
        rs_xml_t *x = rs_xml_begin("PostResponse", NULL);
        rs_xml_elem(x, "Location", loc);
        rs_xml_elem(x, "Bucket", c->bucket);
        rs_xml_elemn(x, "Key", c->key, c->key_len);
        rs_xml_elem(x, "ETag", etag);
        rs_xml_finish(x, &c->resp->body);
        rs_http_resp_header(c->resp, "Content-Type", "application/xml");
        c->resp->status = 201;
    } else if (status != NULL && strcmp(status, "200") == 0) {
        c->resp->status = 200;
    } else {
        c->resp->status = 204;
    }
}

void rs_s3_post_object(rs_s3_call_t *c)
{
    rs_s3_form_t form;
    rs_bucket_t b;
    rs_s3_meta_t meta;
    rs_obj_put_t put;
    const char *key, *policy;
    char etag_hex[33];
    int sc, client_ck, err;
    uint8_t md5[16];

    if (rs_s3_form_read(c, &form) != 0)
        return;
    if (!form.has_file) {
        rs_s3_fail(c, RS_S3E_IncorrectNumberOfFilesInPostRequest, NULL, NULL);
        return;
    }
    key = field(&form, "key");
    if (key == NULL || key[0] == '\0') {
        missing(c, "key");
        return;
    }
    policy = field(&form, "policy");
    if (authenticate(c, &form, policy) != 0 || rs_s3_bucket_get(c, c->bucket, &b) != 0)
        return;
    if (policy != NULL && rs_s3_post_policy_check(c, &form, policy, strlen(policy)) != 0)
        return;
    c->key = object_key(c, key, form.filename);
    c->key_len = strlen(c->key);
    if (!rs_utf8_valid((const unsigned char *)c->key, c->key_len)) {
        rs_s3_fail(c, RS_S3E_InvalidArgument, "Invalid key: not UTF-8", "ArgumentName", "key",
                   NULL);
        return;
    }
    if (c->key_len > RS_MAX_KEY) {
        char sz[32];
        snprintf(sz, sizeof sz, "%zu", c->key_len);
        rs_s3_fail(c, RS_S3E_KeyTooLongError, NULL, "Size", sz, "MaxSizeAllowed", "1024", NULL);
        return;
    }
    if (rs_s3_size_check(c, form.size) != 0)
        return;
    if (form_meta(c, &form, &meta, &sc) != 0 || rs_s3_put_init(c, &b, &meta, &put) != 0)
        return;
    if (form_checksum(c, &form, &put, &client_ck) != 0)
        return;
    rs_md5(form.iov, form.iovcnt, md5);
    put.data = form.iov;
    put.data_iovcnt = form.iovcnt;
    put.info.size = form.size;
    put.info.mtime_ms = c->now_ms;
    memcpy(put.info.etag, md5, 16);
    put.info.storage_class = (uint8_t)sc;
    err = rs_obj_put(c->ctx->store, &put);
    if (err != 0) {
        rs_s3_put_fail(c, &put.cond, err);
        return;
    }
    rs_s3_etag_hex(md5, etag_hex);
    rs_http_resp_header(c->resp, "x-amz-server-side-encryption", "AES256");
    if (client_ck) {
        char b64[64];
        rs_base64_encode(put.info.checksum, put.info.checksum_len, b64);
        rs_http_resp_header(c->resp, rs_checksum_header(put.info.checksum_alg), b64);
        rs_http_resp_header(c->resp, "x-amz-checksum-type", "FULL_OBJECT");
    }
    answer(c, &form, rs_pool_printf(c->pool, "\"%s\"", etag_hex));
}
