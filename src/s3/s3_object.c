/*
 * s3_object.c: PutObject, GetObject/HeadObject (ranges, partNumber, conditions,
 * response-* overrides, checksums, zero-copy bodies from pinned shared memory) and
 * DeleteObject. Runs in: workers.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rs/checksum.h"
#include "rs/codec.h"
#include "rs/s3_range.h"
#include "rs/store_mpu.h"
#include "s3/s3_int.h"

/* ---- shared by PutObject and CopyObject ----------------------------------------- */

static int key_ok(rs_s3_call_t *c)
{
    char sz[32];
    if (c->key_len <= RS_MAX_KEY)
        return 1;
    snprintf(sz, sizeof sz, "%zu", c->key_len);
    rs_s3_fail(c, RS_S3E_KeyTooLongError, NULL, "Size", sz, "MaxSizeAllowed", "1024", NULL);
    return 0;
}

int rs_s3_put_conditions(rs_s3_call_t *c, rs_put_cond_t *cond)
{
    size_t iml, inml;
    const char *im = rs_s3_hdr(c, "if-match", &iml);
    const char *inm = rs_s3_hdr(c, "if-none-match", &inml);
    memset(cond, 0, sizeof *cond);
    if (im != NULL && inm != NULL) {
        rs_s3_fail(c, RS_S3E_NotImplemented, NULL, "Header", "If-Match,If-None-Match",
                   "additionalMessage",
                   "Multiple conditional request headers present in the request", NULL);
        return -1;
    }
    if (inm != NULL) {
        if (strcmp(inm, "*") != 0) {
            rs_s3_fail(
                c, RS_S3E_NotImplemented, NULL, "Header", "If-None-Match", "additionalMessage",
                "We don't accept the provided value of If-None-Match header for this API", NULL);
            return -1;
        }
        cond->if_none_match_star = 1;
    }
    if (im != NULL) {
        if (strcmp(im, "*") == 0) {
            rs_s3_fail(c, RS_S3E_NotImplemented, NULL, "Header", "If-Match", "additionalMessage",
                       "We don't accept the provided value of If-Match header for this API", NULL);
            return -1;
        }
        cond->has_if_match = 1;
        rs_s3_etag_parse(im, iml, cond->if_match, &cond->if_match_parts);
    }
    return 0;
}

void rs_s3_put_fail(rs_s3_call_t *c, const rs_put_cond_t *cond, int err)
{
    if (err == RS_EPRECOND)
        rs_s3_fail(c, RS_S3E_PreconditionFailed, NULL, "Condition",
                   cond->if_none_match_star ? "If-None-Match" : "If-Match", NULL);
    else if (err == RS_ENOENT && cond->has_if_match)
        rs_s3_fail(c, RS_S3E_NoSuchKey, NULL, "Key", c->key, NULL);
    else if (err == RS_ENOENT)
        rs_s3_fail(c, RS_S3E_NoSuchBucket, NULL, "BucketName", c->bucket, NULL);
    else
        rs_s3_store_fail(c, err);
}

int rs_s3_storage_class_from_request(rs_s3_call_t *c, int *sc)
{
    const char *v = rs_s3_hdr(c, "x-amz-storage-class", NULL);
    *sc = 0;
    if (v == NULL)
        return 0;
    *sc = rs_s3_storage_class_parse(v);
    if (*sc < 0) {
        rs_s3_fail(c, RS_S3E_InvalidStorageClass, NULL, "StorageClassRequested", v, NULL);
        return -1;
    }
    return 0;
}

/* x-amz-checksum-<alg> and x-amz-checksum-type of stored facts ("b64-N" if COMPOSITE) */
static void checksum_headers(rs_s3_call_t *c, const rs_obj_info_t *info)
{
    rs_http_resp_header(c->resp, rs_checksum_header(info->checksum_alg),
                        rs_s3_checksum_str(c, info));
    rs_http_resp_header(c->resp, "x-amz-checksum-type",
                        rs_s3_checksum_type_name(info->checksum_type));
}

/* ---- PutObject -------------------------------------------------------------------- */

void rs_s3_put_object(rs_s3_call_t *c)
{
    rs_bucket_t b;
    rs_put_cond_t cond;
    rs_s3_body_t body;
    rs_s3_meta_t meta;
    rs_obj_put_t put;
    int sc, err;
    char etag[33];

    if (rs_s3_bucket_get(c, c->bucket, &b) != 0 || !key_ok(c))
        return;
    if (rs_s3_put_conditions(c, &cond) != 0 || rs_s3_storage_class_from_request(c, &sc) != 0)
        return;
    if (!c->req->has_content_length && !rs_s3_body_is_streaming(c)) {
        rs_s3_fail(c, RS_S3E_MissingContentLength, NULL, NULL);
        return;
    }
    if (rs_s3_body_read(c, &body) != 0)
        return;
    if (rs_s3_size_check(c, body.len) != 0)
        return;
    if (rs_s3_meta_from_request(c, &meta) != 0)
        return;

    if (rs_s3_put_init(c, &b, &meta, &put) != 0)
        return;
    put.data = body.iov;
    put.data_iovcnt = body.iovcnt;
    put.info.size = body.len;
    put.info.mtime_ms = c->now_ms;
    memcpy(put.info.etag, body.md5, 16);
    put.info.checksum_alg = (uint8_t)body.checksum_alg;
    put.info.checksum_len = (uint8_t)body.checksum_len;
    memcpy(put.info.checksum, body.checksum, body.checksum_len);
    put.info.storage_class = (uint8_t)sc;
    put.cond = cond;

    err = rs_obj_put(c->ctx->store, &put);
    if (err != 0) {
        rs_s3_put_fail(c, &cond, err);
        return;
    }
    c->resp->status = 200;
    rs_s3_etag_hex(body.md5, etag);
    rs_http_resp_header(c->resp, "ETag", rs_pool_printf(c->pool, "\"%s\"", etag));
    rs_http_resp_header(c->resp, "x-amz-server-side-encryption", "AES256");
    if (body.client_checksum)
        checksum_headers(c, &put.info);
}

/* ---- GetObject / HeadObject ------------------------------------------------------ */

typedef struct pinned {
    rs_store_t *store;
    rs_obj_view_t view;
} pinned_t;

static void unpin(void *arg)
{
    pinned_t *p = arg;
    rs_obj_release(p->store, &p->view);
}

static const struct {
    const char *param;
    int tag;
    const char *header;
} overrides[] = {
    {"response-content-type", RS_META_CONTENT_TYPE, "Content-Type"},
    {"response-content-language", RS_META_CONTENT_LANGUAGE, "Content-Language"},
    {"response-expires", RS_META_EXPIRES, "Expires"},
    {"response-cache-control", RS_META_CACHE_CONTROL, "Cache-Control"},
    {"response-content-disposition", RS_META_CONTENT_DISPOSITION, "Content-Disposition"},
    {"response-content-encoding", RS_META_CONTENT_ENCODING, "Content-Encoding"},
};
#define NOVERRIDES (sizeof overrides / sizeof overrides[0])

/* UTF-8 -> ISO-8859-1; -1 when a code point does not fit. */
static int to_latin1(rs_pool_t *pool, const char *s, size_t n, char **out, size_t *on)
{
    char *o = rs_pool_alloc(pool, n + 1);
    size_t i = 0, k = 0;
    while (i < n) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x80) {
            o[k++] = (char)ch, i++;
        } else if ((ch == 0xc2 || ch == 0xc3) && i + 1 < n &&
                   ((unsigned char)s[i + 1] & 0xc0) == 0x80) {
            o[k++] = (char)(((ch & 0x03) << 6) | ((unsigned char)s[i + 1] & 0x3f));
            i += 2;
        } else {
            return -1;
        }
    }
    o[k] = '\0';
    *out = o, *on = k;
    return 0;
}

/* Validates the response-* parameters; fills values[] (NULL where absent). */
static int read_overrides(rs_s3_call_t *c, char *values[NOVERRIDES], size_t lens[NOVERRIDES])
{
    size_t i;
    int any = 0;
    for (i = 0; i < NOVERRIDES; i++) {
        const rs_qparam_t *q = rs_s3_q(c, overrides[i].param);
        values[i] = NULL;
        if (q == NULL)
            continue;
        any = 1;
        if (to_latin1(c->pool, q->value, q->value_len, &values[i], &lens[i]) != 0) {
            rs_s3_fail(c, RS_S3E_InvalidArgument,
                       "Header value cannot be represented using ISO-8859-1.", "ArgumentName",
                       overrides[i].param, "ArgumentValue", q->value, NULL);
            return -1;
        }
    }
    if (any && c->auth.kind == RS_AUTH_NONE) {
        rs_s3_fail(c, RS_S3E_InvalidRequest,
                   "Request specific response headers cannot be used for anonymous GET requests.",
                   NULL);
        return -1;
    }
    return 0;
}

static int read_part_number(rs_s3_call_t *c, long *part)
{
    const rs_qparam_t *q = rs_s3_q(c, "partNumber");
    char *end;
    *part = 0;
    if (q == NULL)
        return 0;
    *part = strtol(q->value, &end, 10);
    if (q->value[0] == '\0' || *end != '\0' || *part < 1 || *part > 10000) {
        rs_s3_fail(c, RS_S3E_InvalidArgument,
                   "Part number must be an integer between 1 and 10000, inclusive", "ArgumentName",
                   "partNumber", "ArgumentValue", q->value, NULL);
        return -1;
    }
    if (rs_http_req_header(c->req, "range") != NULL) {
        rs_s3_fail(c, RS_S3E_InvalidRequest,
                   "Cannot specify both Range header and partNumber query parameter", NULL);
        return -1;
    }
    return 0;
}

static void cond_headers(rs_s3_call_t *c, rs_cond_hdrs_t *h)
{
    memset(h, 0, sizeof *h);
    h->if_match = rs_s3_hdr(c, "if-match", &h->if_match_len);
    h->if_none_match = rs_s3_hdr(c, "if-none-match", &h->if_none_match_len);
    h->if_modified_since = rs_s3_hdr(c, "if-modified-since", &h->if_modified_since_len);
    h->if_unmodified_since = rs_s3_hdr(c, "if-unmodified-since", &h->if_unmodified_since_len);
}

struct iovec *rs_s3_slice(rs_s3_call_t *c, const rs_obj_view_t *v, uint64_t first, uint64_t last,
                          size_t *n)
{
    size_t cap = 64, k;
    struct iovec *out = rs_pool_alloc(c->pool, cap * sizeof *out);
    /* O(log parts + range) in the store: s3transfer's ranged GETs of big objects */
    k = rs_obj_view_slice(c->ctx->store, v, first, last, out, cap);
    if (k > cap) {
        out = rs_pool_alloc(c->pool, k * sizeof *out);
        k = rs_obj_view_slice(c->ctx->store, v, first, last, out, k);
    }
    *n = k;
    return out;
}

void rs_s3_get_object(rs_s3_call_t *c)
{
    rs_bucket_t b;
    pinned_t *p;
    rs_cond_hdrs_t ch;
    rs_s3_meta_t meta;
    char *ov[NOVERRIDES];
    size_t ovlen[NOVERRIDES], i, rlen = 0;
    const char *which = NULL, *rng, *mode;
    uint64_t size, first = 0, last = 0;
    int status = 200, err, whole;
    long part;
    const char *etag;
    char date[32];
    rs_cond_t cr;
    rs_obj_info_t part_info;
    const rs_obj_info_t *cksum = NULL;
    uint32_t parts_count = 0;
    int empty = 0;

    if (rs_s3_bucket_get(c, c->bucket, &b) != 0 || !key_ok(c))
        return;
    if (read_part_number(c, &part) != 0)
        return;
    p = rs_pool_alloc(c->pool, sizeof *p);
    p->store = c->ctx->store;
    err = rs_obj_get(c->ctx->store, &b, c->key, c->key_len, &p->view);
    if (err == RS_ENOENT) {
        rs_s3_fail(c, RS_S3E_NoSuchKey, NULL, "Key", c->key, NULL);
        return;
    }
    if (err != 0) {
        rs_s3_store_fail(c, err);
        return;
    }
    /* from here the extent is pinned: every path must hand it to on_dispose or release */
    size = p->view.info.size;
    etag = rs_s3_etag_str(c, &p->view.info);
    rs_http_date(p->view.info.mtime_ms / 1000, date);

    cond_headers(c, &ch);
    cr = rs_cond_eval(&ch, etag, p->view.info.mtime_ms / 1000, c->now_ms / 1000, &which);
    if (cr == RS_COND_FAILED) {
        rs_obj_release(c->ctx->store, &p->view);
        rs_s3_fail(c, RS_S3E_PreconditionFailed, NULL, "Condition", which, NULL);
        return;
    }
    if (cr == RS_COND_NOT_MODIFIED) {
        rs_obj_release(c->ctx->store, &p->view);
        rs_s3_fail(c, RS_S3E_NotModified, NULL, NULL);
        rs_http_resp_header(c->resp, "ETag", rs_s3_etag_quoted(c, &p->view.info));
        rs_http_resp_header(c->resp, "Last-Modified", date);
        return;
    }
    if (!c->is_head && rs_s3_storage_class_archived(p->view.info.storage_class)) {
        rs_obj_release(c->ctx->store, &p->view);
        rs_s3_fail(c, RS_S3E_InvalidObjectState, NULL, "StorageClass",
                   rs_s3_storage_class_name(p->view.info.storage_class), NULL);
        return;
    }
    rng = rs_s3_hdr(c, "range", &rlen);
    if (part > (long)(p->view.info.parts > 0 ? p->view.info.parts : 1)) {
        rs_s3_fail(c, RS_S3E_InvalidPartNumber, NULL, "PartNumberRequested",
                   rs_pool_printf(c->pool, "%ld", part), "ActualPartCount",
                   rs_pool_printf(c->pool, "%u",
                                  p->view.info.parts > 0 ? (unsigned)p->view.info.parts : 1u),
                   NULL);
        rs_obj_release(c->ctx->store, &p->view);
        return;
    }
    if (part > 0 && p->view.info.parts > 0 &&
        rs_obj_view_part(c->ctx->store, &p->view, (uint32_t)part, &first, &last, &part_info) == 0) {
        /* a part of a multipart object: its range, and its own checksum */
        status = 206;
        parts_count = p->view.info.parts;
        empty = part_info.size == 0; /* only a last part can be empty */
        part_info.parts = 0;
        part_info.checksum_type = p->view.info.checksum_type;
        cksum = &part_info;
    } else if (part > 1) {
        /* the store keeps no part table for this object (re-written whole by
         * PutObjectTagging): it reads as one part */
        rs_s3_fail(c, RS_S3E_InvalidPartNumber, NULL, "PartNumberRequested",
                   rs_pool_printf(c->pool, "%ld", part), "ActualPartCount", "1", NULL);
        rs_obj_release(c->ctx->store, &p->view);
        return;
    } else if (part == 1 && size > 0) {
        status = 206, first = 0, last = size - 1;
    } else if (rng != NULL) {
        rs_range_result_t rr = rs_range_parse(rng, rlen, size, &first, &last);
        if (rr == RS_RANGE_UNSATISFIABLE) {
            rs_obj_release(c->ctx->store, &p->view);
            rs_s3_fail(c, RS_S3E_InvalidRange, NULL, "RangeRequested", rng, "ActualObjectSize",
                       rs_pool_printf(c->pool, "%llu", (unsigned long long)size), NULL);
            return;
        }
        if (rr == RS_RANGE_OK)
            status = 206;
    }
    if (read_overrides(c, ov, ovlen) != 0) {
        rs_obj_release(c->ctx->store, &p->view);
        return;
    }
    if (rs_s3_meta_decode(c->pool, p->view.meta, p->view.meta_len, &meta) != 0) {
        rs_obj_release(c->ctx->store, &p->view);
        rs_s3_fail(c, RS_S3E_InternalError, NULL, NULL);
        return;
    }
    for (i = 0; i < NOVERRIDES; i++) {
        size_t k;
        if (ov[i] == NULL)
            continue;
        for (k = 0; k < meta.n; k++)
            if (meta.f[k].tag == overrides[i].tag)
                meta.f[k].tag = 0;
    }

    c->resp->status = status;
    rs_s3_meta_to_response(c, &meta);
    for (i = 0; i < NOVERRIDES; i++)
        if (ov[i] != NULL)
            rs_http_resp_headern(c->resp, overrides[i].header, ov[i], ovlen[i]);
    rs_http_resp_header(c->resp, "ETag", rs_s3_etag_quoted(c, &p->view.info));
    rs_http_resp_header(c->resp, "Last-Modified", date);
    rs_http_resp_header(c->resp, "Accept-Ranges", "bytes");
    if (parts_count > 0)
        rs_http_resp_header(c->resp, "x-amz-mp-parts-count",
                            rs_pool_printf(c->pool, "%u", (unsigned)parts_count));
    rs_http_resp_header(c->resp, "x-amz-server-side-encryption", "AES256");
    if (p->view.info.storage_class != 0)
        rs_http_resp_header(c->resp, "x-amz-storage-class",
                            rs_s3_storage_class_name(p->view.info.storage_class));
    if (status == 206 && !empty)
        rs_http_resp_header(c->resp, "Content-Range",
                            rs_pool_printf(c->pool, "bytes %llu-%llu/%llu",
                                           (unsigned long long)first, (unsigned long long)last,
                                           (unsigned long long)size));
    whole = status == 200 || (first == 0 && last + 1 == size);
    if (cksum == NULL && whole)
        cksum = &p->view.info;
    mode = rs_s3_hdr(c, "x-amz-checksum-mode", NULL);
    if (cksum != NULL && mode != NULL && strcasecmp(mode, "ENABLED") == 0 &&
        cksum->checksum_alg != RS_CKSUM_NONE)
        checksum_headers(c, cksum);

    if (status == 200) {
        first = 0;
        last = size ? size - 1 : 0;
    }
    c->resp->content_length = size == 0 || empty ? 0 : (size_t)(last - first + 1);
    if (c->is_head || size == 0 || empty) {
        rs_obj_release(c->ctx->store, &p->view);
        c->resp->zc = NULL;
        c->resp->zc_nseg = 0;
        if (!c->is_head)
            c->resp->content_length = 0;
        return;
    }
    c->resp->zc = rs_s3_slice(c, &p->view, first, last, &c->resp->zc_nseg);
    c->resp->on_dispose = unpin;
    c->resp->dispose_arg = p;
}

/* ---- DeleteObject ---------------------------------------------------------------- */

void rs_s3_delete_object(rs_s3_call_t *c)
{
    rs_bucket_t b;
    const rs_qparam_t *ver = rs_s3_q(c, "versionId");
    size_t iml;
    const char *im = rs_s3_hdr(c, "if-match", &iml);
    uint8_t want[16];
    uint32_t want_parts;
    int err;

    if (rs_s3_bucket_get(c, c->bucket, &b) != 0)
        return;
    /* directory-bucket (S3 Express) conditions: general-purpose buckets refuse them */
    if (rs_http_req_header(c->req, "x-amz-if-match-last-modified-time") != NULL ||
        rs_http_req_header(c->req, "x-amz-if-match-size") != NULL) {
        rs_s3_fail(c, RS_S3E_NotImplemented, NULL, "Header",
                   rs_http_req_header(c->req, "x-amz-if-match-last-modified-time") != NULL
                       ? "x-amz-if-match-last-modified-time"
                       : "x-amz-if-match-size",
                   NULL);
        return;
    }
    if (ver != NULL && strcmp(ver->value, "null") != 0) {
        rs_s3_fail(c, RS_S3E_InvalidArgument, "Invalid version id specified", "ArgumentName",
                   "versionId", "ArgumentValue", ver->value, NULL);
        return;
    }
    if (c->key_len > RS_MAX_KEY) {
        c->resp->status = 204; /* such a key cannot exist */
        return;
    }
    if (im != NULL)
        rs_s3_etag_parse(im, iml, want, &want_parts);
    err = rs_obj_delete(c->ctx->store, &b, c->key, c->key_len, im != NULL ? want : NULL);
    if (err == RS_EPRECOND) {
        rs_s3_fail(c, RS_S3E_PreconditionFailed, NULL, "Condition", "If-Match", NULL);
        return;
    }
    if (err == RS_ENOENT && im != NULL) {
        rs_s3_fail(c, RS_S3E_NoSuchKey, NULL, "Key", c->key, NULL);
        return;
    }
    if (err != 0 && err != RS_ENOENT) {
        rs_s3_store_fail(c, err);
        return;
    }
    c->resp->status = 204;
}
