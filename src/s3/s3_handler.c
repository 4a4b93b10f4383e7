/*
 * s3_handler.c: S3 request dispatch: authentication, account and region, then one
 * operation function chosen from a table by (method, bucket/key presence, sub-resource).
 * Runs in: workers. Pure over rs_http_req_t/rs_http_resp_t; never includes h2o.h.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rs/os.h"
#include "rs/codec.h"
#include "s3/s3_int.h"

/* ---- small shared helpers ------------------------------------------------------ */

void rs_s3_fail(rs_s3_call_t *c, rs_s3e_t e, const char *message, ...)
{
    rs_s3_extra_t extras[8];
    size_t n = 0;
    va_list ap;
    va_start(ap, message);
    for (;;) {
        const char *name = va_arg(ap, const char *);
        if (name == NULL || n == sizeof extras / sizeof extras[0])
            break;
        extras[n].name = name;
        extras[n].value = va_arg(ap, const char *);
        n++;
    }
    va_end(ap);
    rs_s3_error(c->req, c->resp, e, message, extras, n);
}

const rs_qparam_t *rs_s3_q(const rs_s3_call_t *c, const char *name)
{
    return rs_query_get(c->qp, c->nqp, name);
}

const char *rs_s3_hdr(const rs_s3_call_t *c, const char *lname, size_t *len)
{
    const rs_hdr_t *h = rs_http_req_header(c->req, lname);
    if (h == NULL)
        return NULL;
    if (len != NULL)
        *len = h->value_len;
    return rs_pool_strndup(c->pool, h->value, h->value_len);
}

int rs_s3_bucket_get(rs_s3_call_t *c, const char *name, rs_bucket_t *out)
{
    if (strlen(name) > RS_MAX_BUCKET_NAME || rs_bucket_lookup(c->ctx->store, name, out) != 0) {
        rs_s3_fail(c, RS_S3E_NoSuchBucket, NULL, "BucketName", name, NULL);
        return -1;
    }
    if (strcmp(out->account, c->req->account) != 0) {
        rs_s3_fail(c, RS_S3E_AccessDenied, "Access Denied", NULL);
        return -1;
    }
    return 0;
}

void rs_s3_store_fail(rs_s3_call_t *c, int err)
{
    switch (err) {
    case RS_ENOSPC:
        rs_s3_fail(c, RS_S3E_InsufficientStorage,
                   "The S3 store is full: raise the s3_capacity setting (bytes of object data "
                   "the shared region can hold) or delete objects",
                   NULL);
        break;
    case RS_ENOENTRIES:
        rs_s3_fail(c, RS_S3E_InsufficientStorage,
                   "The S3 store is full: raise the s3_max_objects setting (number of objects "
                   "the shared index can hold) or delete objects",
                   NULL);
        break;
    case RS_ENOBUCKETS:
        rs_s3_fail(c, RS_S3E_InsufficientStorage,
                   "The S3 store is full: raise the s3_max_buckets setting or delete buckets",
                   NULL);
        break;
    case RS_EQUOTA:
        rs_s3_fail(c, RS_S3E_QuotaExceeded,
                   "Your account has reached its quota on this endpoint: the quota_s3_objects "
                   "or quota_s3_bytes setting (objects / bytes per account); delete objects",
                   NULL);
        break;
    case RS_ETOOBIG: {
        char max[32];
        snprintf(max, sizeof max, "%llu", (unsigned long long)c->ctx->max_object_size);
        rs_s3_fail(c, RS_S3E_EntityTooLarge, NULL, "MaxSizeAllowed", max, NULL);
        break;
    }
    case RS_EPOISON:
        rs_s3_fail(c, RS_S3E_InternalError, NULL, NULL);
        break;
    default:
        rs_s3_fail(c, RS_S3E_InternalError, NULL, NULL);
        break;
    }
}

int rs_s3_size_check(rs_s3_call_t *c, uint64_t len)
{
    char ps[32], ms[32];
    if (len <= c->ctx->max_object_size)
        return 0;
    snprintf(ps, sizeof ps, "%llu", (unsigned long long)len);
    snprintf(ms, sizeof ms, "%llu", (unsigned long long)c->ctx->max_object_size);
    rs_s3_fail(c, RS_S3E_EntityTooLarge, NULL, "ProposedSize", ps, "MaxSizeAllowed", ms, NULL);
    return -1;
}

const char *rs_s3_lower(rs_pool_t *pool, const char *s)
{
    char *o = rs_pool_strndup(pool, s, strlen(s));
    for (char *p = o; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return o;
}

void rs_s3_checksum_mismatch(rs_s3_call_t *c, const char *alg_name)
{
    rs_s3_fail(c, RS_S3E_BadDigest,
               rs_pool_printf(c->pool,
                              "The %s you specified did not match the calculated checksum.",
                              alg_name),
               NULL);
}

const char *rs_s3_owner_id(rs_s3_call_t *c, const char *account)
{
    char *out = rs_pool_alloc(c->pool, 65);
    rs_sha256_hex(account, strlen(account), out);
    return out;
}

void rs_s3_etag_hex(const uint8_t md5[16], char out[33])
{
    rs_hex_encode(md5, 16, out);
}

const char *rs_account_for_key(const rs_s3_ctx_t *ctx, const char *access_key)
{
    size_t i, n;
    if (access_key == NULL || access_key[0] == '\0')
        return ctx->default_account;
    for (i = 0; i < ctx->ncreds; i++)
        if (strcmp(ctx->creds[i].access_key, access_key) == 0)
            return ctx->creds[i].account;
    n = strlen(access_key);
    if (n == 12 && strspn(access_key, "0123456789") == 12)
        return access_key;
    return ctx->default_account;
}

/* ---- authentication ------------------------------------------------------------ */

static const rs_cred_t *find_cred(const rs_s3_ctx_t *ctx, const char *access_key)
{
    size_t i;
    for (i = 0; i < ctx->ncreds; i++)
        if (strcmp(ctx->creds[i].access_key, access_key) == 0)
            return &ctx->creds[i];
    return NULL;
}

/* POST to a bucket other than ?delete: the POST object route (a browser form) */
static int is_post_form(rs_s3_call_t *c)
{
    return strcmp(c->req->method, "POST") == 0 && c->bucket != NULL && c->key == NULL &&
           rs_s3_q(c, "delete") == NULL;
}

static int authenticate(rs_s3_call_t *c)
{
    int64_t now = c->now_ms / 1000;
    rs_auth_err_t ae = rs_auth_parse(c->req, now, &c->auth);
    char tbuf[32], ebuf[32], xbuf[32];

    switch (ae) {
    case RS_AUTHE_OK:
        break;
    case RS_AUTHE_QUERY_PARAMS:
        rs_s3_fail(c, RS_S3E_AuthorizationQueryParametersError,
                   "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                   "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
                   "X-Amz-Expires parameters.",
                   NULL);
        return -1;
    case RS_AUTHE_QUERY_EXPIRES_MAX:
        rs_s3_fail(c, RS_S3E_AuthorizationQueryParametersError,
                   "X-Amz-Expires must be less than a week (in seconds); that is, the given "
                   "X-Amz-Expires must be less than 604800 seconds",
                   NULL);
        return -1;
    case RS_AUTHE_QUERY_CREDENTIAL:
        rs_s3_fail(c, RS_S3E_AuthorizationQueryParametersError,
                   "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; "
                   "expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".",
                   NULL);
        return -1;
    case RS_AUTHE_V2_QUERY_PARAMS:
        rs_s3_fail(c, RS_S3E_AccessDenied,
                   "Query-string authentication requires the Signature, Expires and "
                   "AWSAccessKeyId parameters",
                   NULL);
        return -1;
    case RS_AUTHE_HEADER_MALFORMED:
        rs_s3_fail(c, RS_S3E_AuthorizationHeaderMalformed,
                   "The authorization header is malformed; the Credential is mal-formed; "
                   "expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".",
                   NULL);
        return -1;
    case RS_AUTHE_EXPIRED:
        rs_iso8601_ms(c->auth.expires_at * 1000, ebuf);
        ebuf[19] = 'Z', ebuf[20] = '\0'; /* AWS prints seconds here */
        rs_iso8601_ms(c->now_ms, tbuf);
        tbuf[19] = 'Z', tbuf[20] = '\0';
        if (c->auth.kind == RS_AUTH_V4_QUERY) {
            snprintf(xbuf, sizeof xbuf, "%ld", c->auth.expires_param);
            rs_s3_fail(c, RS_S3E_AccessDenied, "Request has expired", "X-Amz-Expires", xbuf,
                       "Expires", ebuf, "ServerTime", tbuf, NULL);
        } else {
            rs_s3_fail(c, RS_S3E_AccessDenied, "Request has expired", "Expires", ebuf, "ServerTime",
                       tbuf, NULL);
        }
        return -1;
    }

    snprintf(c->req->access_key, sizeof c->req->access_key, "%s", c->auth.access_key);
    snprintf(c->req->account, sizeof c->req->account, "%s",
             rs_account_for_key(c->ctx, c->auth.access_key));
    if (c->auth.region[0] != '\0')
        snprintf(c->req->region, sizeof c->req->region, "%s", c->auth.region);
    else
        snprintf(c->req->region, sizeof c->req->region, "%s", c->ctx->default_region);

    if (!c->ctx->verify_signatures)
        return 0;
    if (c->auth.kind == RS_AUTH_NONE) {
        /* no bucket is public here: with auth_verify, an anonymous request is refused as AWS
         * refuses one on a private bucket. A POST object form carries its own signature
         * (policy fields): s3_post.c verifies it, and refuses a form without one. */
        if (is_post_form(c))
            return 0;
        rs_s3_fail(c, RS_S3E_AccessDenied, NULL, NULL);
        return -1;
    }
    {
        const rs_cred_t *cred = find_cred(c->ctx, c->auth.access_key);
        const char *sts = NULL, *creq = NULL;
        if (cred == NULL) {
            rs_s3_fail(c, RS_S3E_InvalidAccessKeyId, NULL, "AWSAccessKeyId", c->auth.access_key,
                       NULL);
            return -1;
        }
        if (rs_auth_verify(c->req, &c->auth, cred->secret_key, &sts, &creq) != 0) {
            if (c->auth.kind == RS_AUTH_V4_HEADER || c->auth.kind == RS_AUTH_V4_QUERY)
                rs_s3_fail(c, RS_S3E_SignatureDoesNotMatch, NULL, "AWSAccessKeyId",
                           c->auth.access_key, "StringToSign", sts ? sts : "", "SignatureProvided",
                           c->auth.signature ? c->auth.signature : "", "CanonicalRequest",
                           creq ? creq : "", NULL);
            else
                rs_s3_fail(c, RS_S3E_SignatureDoesNotMatch, NULL, "AWSAccessKeyId",
                           c->auth.access_key, "StringToSign", sts ? sts : "", "SignatureProvided",
                           c->auth.signature ? c->auth.signature : "", NULL);
            return -1;
        }
    }
    return 0;
}

/* ---- dispatch table -------------------------------------------------------------- */

enum { ON_SERVICE = 1, ON_BUCKET = 2, ON_OBJECT = 4 };

typedef struct s3_route {
    const char *method;
    int on;             /* where it applies */
    const char *subres; /* query parameter that selects it, NULL: none of the known ones */
    const char *header; /* request header that selects it (copy source), NULL: none */
    const char *op;     /* operation name for the access log */
    void (*fn)(rs_s3_call_t *c);
} s3_route_t;

/* Sub-resources that name bucket/object configuration we do not implement. */
static const char *const unsupported_subres[] = {"acl",
                                                 "accelerate",
                                                 "analytics",
                                                 "encryption",
                                                 "intelligent-tiering",
                                                 "inventory",
                                                 "legal-hold",
                                                 "lifecycle",
                                                 "logging",
                                                 "metrics",
                                                 "notification",
                                                 "object-lock",
                                                 "ownershipControls",
                                                 "policy",
                                                 "policyStatus",
                                                 "publicAccessBlock",
                                                 "replication",
                                                 "requestPayment",
                                                 "restore",
                                                 "retention",
                                                 "select",
                                                 "torrent",
                                                 "website",
                                                 "attributes",
                                                 "versions",
                                                 "session",
                                                 NULL};

static const s3_route_t routes[] = {
    {"GET", ON_SERVICE, NULL, NULL, "ListBuckets", rs_s3_list_buckets},
    {"GET", ON_BUCKET, "location", NULL, "GetBucketLocation", rs_s3_get_bucket_location},
    {"GET", ON_BUCKET, "versioning", NULL, "GetBucketVersioning", rs_s3_get_bucket_versioning},
    {"GET", ON_BUCKET, "list-type", NULL, "ListObjectsV2", rs_s3_list_objects_v2},
    {"GET", ON_BUCKET, NULL, NULL, "ListObjects", rs_s3_list_objects},
    {"PUT", ON_BUCKET, NULL, NULL, "CreateBucket", rs_s3_create_bucket},
    {"HEAD", ON_BUCKET, NULL, NULL, "HeadBucket", rs_s3_head_bucket},
    {"DELETE", ON_BUCKET, NULL, NULL, "DeleteBucket", rs_s3_delete_bucket},
    {"POST", ON_BUCKET, "delete", NULL, "DeleteObjects", rs_s3_delete_objects},
    {"POST", ON_BUCKET, NULL, NULL, "PostObject", rs_s3_post_object},
    {"PUT", ON_BUCKET, "cors", NULL, "PutBucketCors", rs_s3_put_bucket_cors},
    {"GET", ON_BUCKET, "cors", NULL, "GetBucketCors", rs_s3_get_bucket_cors},
    {"DELETE", ON_BUCKET, "cors", NULL, "DeleteBucketCors", rs_s3_delete_bucket_cors},
    {"PUT", ON_BUCKET, "tagging", NULL, "PutBucketTagging", rs_s3_put_bucket_tagging},
    {"GET", ON_BUCKET, "tagging", NULL, "GetBucketTagging", rs_s3_get_bucket_tagging},
    {"DELETE", ON_BUCKET, "tagging", NULL, "DeleteBucketTagging", rs_s3_delete_bucket_tagging},
    {"GET", ON_BUCKET, "uploads", NULL, "ListMultipartUploads", rs_s3_list_multipart_uploads},
    {"POST", ON_OBJECT, "uploads", NULL, "CreateMultipartUpload", rs_s3_create_multipart_upload},
    {"POST", ON_OBJECT, "uploadId", NULL, "CompleteMultipartUpload",
     rs_s3_complete_multipart_upload},
    {"PUT", ON_OBJECT, "uploadId", "x-amz-copy-source", "UploadPartCopy", rs_s3_upload_part_copy},
    {"PUT", ON_OBJECT, "uploadId", NULL, "UploadPart", rs_s3_upload_part},
    {"GET", ON_OBJECT, "uploadId", NULL, "ListParts", rs_s3_list_parts},
    {"DELETE", ON_OBJECT, "uploadId", NULL, "AbortMultipartUpload", rs_s3_abort_multipart_upload},
    {"PUT", ON_OBJECT, "tagging", NULL, "PutObjectTagging", rs_s3_put_object_tagging},
    {"GET", ON_OBJECT, "tagging", NULL, "GetObjectTagging", rs_s3_get_object_tagging},
    {"DELETE", ON_OBJECT, "tagging", NULL, "DeleteObjectTagging", rs_s3_delete_object_tagging},
    {"PUT", ON_OBJECT, NULL, "x-amz-copy-source", "CopyObject", rs_s3_copy_object},
    {"PUT", ON_OBJECT, NULL, NULL, "PutObject", rs_s3_put_object},
    {"GET", ON_OBJECT, NULL, NULL, "GetObject", rs_s3_get_object},
    {"HEAD", ON_OBJECT, NULL, NULL, "HeadObject", rs_s3_get_object},
    {"DELETE", ON_OBJECT, NULL, NULL, "DeleteObject", rs_s3_delete_object},
};

/* Sub-resources that select an operation of their own. */
static const char *const selecting_subres[] = {"location", "versioning", "delete",   "cors",
                                               "tagging",  "uploads",    "uploadId", NULL};

static const char *first_present(const rs_s3_call_t *c, const char *const *names)
{
    size_t i;
    for (i = 0; names[i] != NULL; i++)
        if (rs_s3_q(c, names[i]) != NULL)
            return names[i];
    return NULL;
}

static int decode_path_part(rs_s3_call_t *c, const char *s, size_t n, char **out, size_t *len)
{
    return rs_pct_decode(c->pool, s, n, out, len);
}

void rs_s3_handle(rs_s3_ctx_t *ctx, rs_http_req_t *req, const rs_route_t *route,
                  rs_http_resp_t *resp)
{
    rs_s3_call_t call, *c = &call;
    const s3_route_t *r;
    const char *unsup;
    size_t i, blen;
    int on;

    memset(c, 0, sizeof *c);
    c->ctx = ctx;
    c->req = req;
    c->resp = resp;
    c->pool = req->pool;
    c->now_ms = rs_wall_ms();
    c->is_head = strcmp(req->method, "HEAD") == 0;
    req->service = "s3";
    req->operation = "Unknown";
    snprintf(req->account, sizeof req->account, "%s", ctx->default_account);
    snprintf(req->region, sizeof req->region, "%s", ctx->default_region);
    if (c->is_head)
        resp->head_only = 1;

    c->nqp = rs_query_parse(c->pool, req->query, req->query_len, &c->qp);
    if (route->bucket != NULL && route->bucket_len > 0) {
        if (decode_path_part(c, route->bucket, route->bucket_len, &c->bucket, &blen) != 0) {
            rs_s3_fail(c, RS_S3E_InvalidBucketName, NULL, NULL);
            goto done;
        }
    }
    if (c->bucket != NULL && route->key != NULL && route->key_len > 0) {
        if (decode_path_part(c, route->key, route->key_len, &c->key, &c->key_len) != 0) {
            rs_s3_fail(c, RS_S3E_InvalidArgument, "Invalid URI: bad percent-encoding", NULL);
            goto done;
        }
        if (!rs_utf8_valid((const unsigned char *)c->key, c->key_len)) {
            /* AWS: keys are UTF-8; anything else is an unparsable URI (never echoed) */
            c->key = NULL;
            c->key_len = 0;
            rs_s3_fail(c, RS_S3E_InvalidURI, NULL, NULL);
            goto done;
        }
    }

    if (strcmp(req->method, "OPTIONS") == 0) {
        req->operation = "PreflightRequest";
        rs_s3_cors_preflight(c);
        goto done;
    }
    if (authenticate(c) != 0)
        goto done;

    on = c->bucket == NULL ? ON_SERVICE : c->key == NULL ? ON_BUCKET : ON_OBJECT;
    unsup = on == ON_SERVICE ? NULL : first_present(c, unsupported_subres);
    for (i = 0; unsup == NULL && i < sizeof routes / sizeof routes[0]; i++) {
        r = &routes[i];
        if (strcmp(r->method, req->method) != 0 || r->on != on)
            continue;
        if (r->subres != NULL && rs_s3_q(c, r->subres) == NULL)
            continue;
        if (r->subres == NULL && on != ON_SERVICE && first_present(c, selecting_subres))
            continue;
        if (r->header != NULL && rs_http_req_header(req, r->header) == NULL)
            continue;
        req->operation = r->op;
        r->fn(c);
        goto done;
    }
    if (unsup == NULL && on != ON_SERVICE)
        unsup = first_present(c, selecting_subres);
    if (unsup != NULL) {
        req->operation = "Unsupported";
        rs_s3_fail(c, RS_S3E_NotImplemented,
                   rs_pool_printf(c->pool,
                                  "RustStack does not implement this S3 operation (sub-resource "
                                  "'%s' with method %s)",
                                  unsup, req->method),
                   NULL);
        goto done;
    }
    rs_s3_fail(c, RS_S3E_MethodNotAllowed, NULL, "Method", req->method, "ResourceType",
               on == ON_SERVICE  ? "SERVICE"
               : on == ON_BUCKET ? "BUCKET"
                                 : "OBJECT",
               NULL);
done:
    for (i = 0; i < resp->num_headers; i++)
        if (strcasecmp(resp->headers[i].name, "x-amz-request-id") == 0)
            break;
    if (i == resp->num_headers) /* error responses carry them already */
        rs_s3_common_headers(req, resp);
    rs_s3_cors_actual(c);
}
