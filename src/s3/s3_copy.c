/*
 * s3_copy.c: CopyObject: source parsing, source preconditions (every failure is 412),
 * metadata and tagging directives, the copy-onto-itself rule, checksum carry-over or
 * recomputation (a multipart source gets a plain MD5 ETag and a FULL_OBJECT checksum),
 * and UploadPartCopy (x-amz-copy-source-range). The bytes go from the pinned source extent
 * straight into the new one. Runs in: workers.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rs/checksum.h"
#include "rs/codec.h"
#include "rs/s3_range.h"
#include "rs/store_mpu.h"
#include "rs/xml.h"
#include "s3/s3_int.h"

typedef struct copy_src {
    char *bucket;
    char *key;
    size_t key_len;
} copy_src_t;

static int parse_source(rs_s3_call_t *c, copy_src_t *src)
{
    size_t n, blen;
    const char *v = rs_s3_hdr(c, "x-amz-copy-source", &n);
    const char *q = memchr(v, '?', n), *slash;
    char *dec;
    size_t dlen;

    if (q != NULL) {
        const char *ver = q + 1;
        if (strncmp(ver, "versionId=", 10) != 0 || strcmp(ver + 10, "null") != 0) {
            rs_s3_fail(c, RS_S3E_InvalidArgument, "Invalid version id specified", "ArgumentName",
                       "versionId", "ArgumentValue",
                       strncmp(ver, "versionId=", 10) == 0 ? ver + 10 : ver, NULL);
            return -1;
        }
        n = (size_t)(q - v);
    }
    if (rs_pct_decode(c->pool, v, n, &dec, &dlen) != 0)
        goto bad;
    if (dlen > 0 && dec[0] == '/')
        dec++, dlen--;
    slash = memchr(dec, '/', dlen);
    if (slash == NULL || slash == dec || (size_t)(slash - dec) + 1 >= dlen)
        goto bad;
    blen = (size_t)(slash - dec);
    if (!rs_utf8_valid((const unsigned char *)slash + 1, dlen - blen - 1))
        goto bad; /* keys are UTF-8 (and the bucket's reserved keys are not) */
    src->bucket = rs_pool_strndup(c->pool, dec, blen);
    src->key_len = dlen - blen - 1;
    src->key = rs_pool_strndup(c->pool, slash + 1, src->key_len);
    return 0;
bad:
    rs_s3_fail(c, RS_S3E_InvalidArgument, "Invalid copy source object key", "ArgumentName",
               "x-amz-copy-source", "ArgumentValue", "x-amz-copy-source", NULL);
    return -1;
}

static int source_conditions(rs_s3_call_t *c, const rs_obj_view_t *v)
{
    rs_cond_hdrs_t h;
    const char *which = NULL, *etag;
    rs_cond_t r;
    memset(&h, 0, sizeof h);
    h.if_match = rs_s3_hdr(c, "x-amz-copy-source-if-match", &h.if_match_len);
    h.if_none_match = rs_s3_hdr(c, "x-amz-copy-source-if-none-match", &h.if_none_match_len);
    h.if_modified_since =
        rs_s3_hdr(c, "x-amz-copy-source-if-modified-since", &h.if_modified_since_len);
    h.if_unmodified_since =
        rs_s3_hdr(c, "x-amz-copy-source-if-unmodified-since", &h.if_unmodified_since_len);
    etag = rs_s3_etag_str(c, &v->info);
    r = rs_cond_eval(&h, etag, v->info.mtime_ms / 1000, c->now_ms / 1000, &which);
    if (r == RS_COND_PROCEED)
        return 0;
    if (r == RS_COND_NOT_MODIFIED || which == NULL)
        which = h.if_none_match != NULL ? "If-None-Match" : "If-Modified-Since";
    rs_s3_fail(c, RS_S3E_PreconditionFailed, NULL, "Condition",
               rs_pool_printf(c->pool, "x-amz-copy-source-%s", which), NULL);
    return -1;
}

/* Metadata of the copy per x-amz-metadata-directive and x-amz-tagging-directive. */
/* The source bucket (into *sb) and object (a view the caller releases); renders
 * NoSuchBucket / NoSuchKey / the store error and returns -1 (nothing to release). */
static int open_source(rs_s3_call_t *c, const copy_src_t *src, rs_bucket_t *sb, rs_obj_view_t *view)
{
    int err;
    if (rs_s3_bucket_get(c, src->bucket, sb) != 0)
        return -1;
    if (src->key_len > RS_MAX_KEY ||
        (err = rs_obj_get(c->ctx->store, sb, src->key, src->key_len, view)) == RS_ENOENT) {
        rs_s3_fail(c, RS_S3E_NoSuchKey, NULL, "Key", src->key, NULL);
        return -1;
    }
    if (err != 0) {
        rs_s3_store_fail(c, err);
        return -1;
    }
    return 0;
}

static int copy_meta(rs_s3_call_t *c, const rs_obj_view_t *v, int replace, rs_s3_meta_t *m)
{
    rs_s3_meta_t srcm;
    const rs_s3_meta_field_t *tags;
    const char *td = rs_s3_hdr(c, "x-amz-tagging-directive", NULL);
    size_t i, k;

    if (td != NULL && strcmp(td, "COPY") != 0 && strcmp(td, "REPLACE") != 0) {
        rs_s3_fail(c, RS_S3E_InvalidArgument, "Unknown tagging directive.", "ArgumentName",
                   "x-amz-tagging-directive", "ArgumentValue", td, NULL);
        return -1;
    }
    if (rs_s3_meta_decode(c->pool, v->meta, v->meta_len, &srcm) != 0) {
        rs_s3_fail(c, RS_S3E_InternalError, NULL, NULL);
        return -1;
    }
    if (replace) {
        if (rs_s3_meta_from_request(c, m) != 0)
            return -1;
    } else {
        *m = srcm;
    }
    if (td != NULL && strcmp(td, "REPLACE") == 0) {
        if (!replace) { /* take only the request's tagging */
            rs_s3_meta_t req;
            if (rs_s3_meta_from_request(c, &req) != 0)
                return -1;
            for (k = 0; k < m->n; k++)
                if (m->f[k].tag == RS_META_TAGGING)
                    m->f[k].tag = 0;
            tags = rs_s3_meta_find(&req, RS_META_TAGGING);
            if (tags != NULL)
                rs_s3_meta_add(m, RS_META_TAGGING, NULL, tags->value, tags->value_len);
        }
        return 0;
    }
    /* tagging COPY (the default): the source's tags, whatever the metadata directive */
    for (i = 0; i < m->n; i++)
        if (m->f[i].tag == RS_META_TAGGING)
            m->f[i].tag = 0;
    tags = rs_s3_meta_find(&srcm, RS_META_TAGGING);
    if (tags != NULL)
        rs_s3_meta_add(m, RS_META_TAGGING, NULL, tags->value, tags->value_len);
    return 0;
}

void rs_s3_copy_object(rs_s3_call_t *c)
{
    rs_bucket_t db, sb;
    copy_src_t src;
    rs_put_cond_t cond;
    rs_s3_meta_t meta;
    rs_obj_view_t view;
    rs_obj_put_t put;
    const char *dir = rs_s3_hdr(c, "x-amz-metadata-directive", NULL);
    const char *newalg = rs_s3_hdr(c, "x-amz-checksum-algorithm", NULL);
    int replace = 0, sc, err, alg = 0;
    char date[32];
    rs_xml_t *x;

    if (rs_s3_bucket_get(c, c->bucket, &db) != 0)
        return;
    if (c->key_len > RS_MAX_KEY) {
        rs_s3_fail(c, RS_S3E_KeyTooLongError, NULL, "Size",
                   rs_pool_printf(c->pool, "%zu", c->key_len), "MaxSizeAllowed", "1024", NULL);
        return;
    }
    if (parse_source(c, &src) != 0)
        return;
    if (dir != NULL) {
        if (strcmp(dir, "REPLACE") == 0) {
            replace = 1;
        } else if (strcmp(dir, "COPY") != 0) {
            rs_s3_fail(c, RS_S3E_InvalidArgument, "Unknown metadata directive.", "ArgumentName",
                       "x-amz-metadata-directive", "ArgumentValue", dir, NULL);
            return;
        }
    }
    if (newalg != NULL) {
        alg = rs_checksum_alg_parse(newalg, strlen(newalg));
        if (alg <= 0) {
            rs_s3_fail(c, RS_S3E_InvalidRequest,
                       "Checksum algorithm provided is unsupported. Please try again with any of "
                       "the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
                       NULL);
            return;
        }
    }
    if (rs_s3_put_conditions(c, &cond) != 0 || rs_s3_storage_class_from_request(c, &sc) != 0)
        return;
    if (open_source(c, &src, &sb, &view) != 0)
        return;
    if (source_conditions(c, &view) != 0)
        goto out;
    if (db.id == sb.id && db.gen == sb.gen && c->key_len == src.key_len &&
        memcmp(c->key, src.key, src.key_len) == 0 && !replace &&
        rs_http_req_header(c->req, "x-amz-storage-class") == NULL &&
        rs_http_req_header(c->req, "x-amz-website-redirect-location") == NULL &&
        rs_http_req_header(c->req, "x-amz-server-side-encryption") == NULL && newalg == NULL) {
        rs_s3_fail(c, RS_S3E_InvalidRequest,
                   "This copy request is illegal because it is trying to copy an object to "
                   "itself without changing the object's metadata, storage class, website "
                   "redirect location or encryption attributes.",
                   NULL);
        goto out;
    }
    if (view.info.size > c->ctx->max_object_size) { /* a multipart object can be larger */
        rs_s3_fail(c, RS_S3E_InvalidRequest,
                   rs_pool_printf(c->pool,
                                  "The specified copy source is larger than the maximum "
                                  "allowable size for a copy source: %llu",
                                  (unsigned long long)c->ctx->max_object_size),
                   NULL);
        goto out;
    }
    if (copy_meta(c, &view, replace, &meta) != 0)
        goto out;

    if (rs_s3_put_init(c, &db, &meta, &put) != 0)
        goto out;
    put.data = view.seg;
    put.data_iovcnt = view.nseg;
    put.info = view.info;
    put.info.mtime_ms = c->now_ms;
    put.info.storage_class = (uint8_t)sc;
    if (view.info.parts > 0) {
        /* a copy is one object: plain MD5 ETag, a FULL_OBJECT checksum of the bytes */
        rs_md5(view.seg, view.nseg, put.info.etag);
        put.info.parts = 0;
        if (alg <= 0) /* the source's algorithm, over the whole bytes now */
            alg = view.info.checksum_alg != RS_CKSUM_NONE ? view.info.checksum_alg
                                                          : RS_CKSUM_CRC64NVME;
        if (view.info.checksum_type == RS_CKSUM_TYPE_COMPOSITE || alg != view.info.checksum_alg) {
            put.info.checksum_alg = (uint8_t)alg;
            put.info.checksum_len =
                (uint8_t)rs_checksum_compute(alg, view.seg, view.nseg, put.info.checksum);
        }
        put.info.checksum_type = RS_CKSUM_TYPE_FULL_OBJECT;
    } else if (alg > 0 && alg != view.info.checksum_alg) {
        put.info.checksum_alg = (uint8_t)alg;
        put.info.checksum_len =
            (uint8_t)rs_checksum_compute(alg, view.seg, view.nseg, put.info.checksum);
    }
    put.cond = cond;
    err = rs_obj_put(c->ctx->store, &put);
    if (err != 0) {
        rs_s3_put_fail(c, &cond, err);
        goto out;
    }

    c->resp->status = 200;
    rs_http_resp_header(c->resp, "Content-Type", "application/xml");
    rs_http_resp_header(c->resp, "x-amz-server-side-encryption", "AES256");
    x = rs_xml_begin("CopyObjectResult", "http://s3.amazonaws.com/doc/2006-03-01/");
    rs_xml_elem(x, "ETag", rs_s3_etag_quoted(c, &put.info));
    rs_iso8601_ms(put.info.mtime_ms, date);
    rs_xml_elem(x, "LastModified", date);
    if (put.info.checksum_alg != RS_CKSUM_NONE) {
        rs_xml_elem(
            x, rs_pool_printf(c->pool, "Checksum%s", rs_checksum_alg_name(put.info.checksum_alg)),
            rs_s3_checksum_str(c, &put.info));
        rs_xml_elem(x, "ChecksumType", rs_s3_checksum_type_name(put.info.checksum_type));
    }
    rs_xml_finish(x, &c->resp->body);
out:
    rs_obj_release(c->ctx->store, &view);
}

/* ---- UploadPartCopy ------------------------------------------------------------------- */

/* x-amz-copy-source-range: "bytes=first-last" within the source; renders and returns -1 */
static int copy_range(rs_s3_call_t *c, uint64_t size, uint64_t *first, uint64_t *last)
{
    size_t n;
    const char *v = rs_s3_hdr(c, "x-amz-copy-source-range", &n);
    unsigned long long a = 0, b = 0;
    int used = 0;

    *first = 0;
    *last = size > 0 ? size - 1 : 0;
    if (v == NULL)
        return 0;
    if (sscanf(v, "bytes=%llu-%llu%n", &a, &b, &used) != 2 || (size_t)used != n || v[6] == '-' ||
        v[6] == '+' || b < a) {
        rs_s3_fail(c, RS_S3E_InvalidArgument,
                   "The x-amz-copy-source-range value must be of the form bytes=first-last where "
                   "first and last are the zero-based offsets of the first and last bytes to copy",
                   "ArgumentName", "x-amz-copy-source-range", "ArgumentValue", v, NULL);
        return -1;
    }
    if (b >= size) {
        rs_s3_fail(c, RS_S3E_InvalidArgument,
                   rs_pool_printf(c->pool,
                                  "Range specified is not valid for source object of size: %llu",
                                  (unsigned long long)size),
                   "ArgumentName", "x-amz-copy-source-range", "ArgumentValue", v, NULL);
        return -1;
    }
    *first = a;
    *last = b;
    return 0;
}

void rs_s3_upload_part_copy(rs_s3_call_t *c)
{
    rs_bucket_t db, sb;
    rs_mpu_ref_t ref;
    rs_mpu_info_t mi;
    copy_src_t src;
    rs_obj_view_t view;
    rs_obj_info_t info;
    struct iovec *seg = NULL;
    size_t nseg = 0;
    uint64_t first, last;
    uint32_t number;
    int alg, type;
    char date[32];
    rs_xml_t *x;

    if (rs_s3_mpu_part_number(c, &number) != 0 || parse_source(c, &src) != 0)
        return;
    if (rs_s3_mpu_open(c, &db, &ref, &mi) != 0)
        return;
    alg = mi.info.checksum_alg;
    type = mi.info.checksum_type;
    rs_mpu_info_free(&mi);
    if (open_source(c, &src, &sb, &view) != 0)
        return;
    if (source_conditions(c, &view) != 0 || copy_range(c, view.info.size, &first, &last) != 0)
        goto out;
    if (view.info.size > 0)
        seg = rs_s3_slice(c, &view, first, last, &nseg);
    memset(&info, 0, sizeof info);
    info.size = view.info.size > 0 ? last - first + 1 : 0;
    if (rs_s3_size_check(c, info.size) != 0)
        goto out;
    info.mtime_ms = c->now_ms;
    rs_md5(seg, nseg, info.etag);
    info.checksum_alg = (uint8_t)(alg != RS_CKSUM_NONE ? alg : RS_CKSUM_CRC64NVME);
    info.checksum_len = (uint8_t)rs_checksum_compute(info.checksum_alg, seg, nseg, info.checksum);
    info.checksum_type = (uint8_t)type;
    if (rs_s3_mpu_put_part(c, &ref, number, seg, nseg, &info) != 0)
        goto out;

    c->resp->status = 200;
    rs_http_resp_header(c->resp, "Content-Type", "application/xml");
    rs_http_resp_header(c->resp, "x-amz-server-side-encryption", "AES256");
    x = rs_xml_begin("CopyPartResult", "http://s3.amazonaws.com/doc/2006-03-01/");
    rs_xml_elem(x, "ETag", rs_s3_etag_quoted(c, &info));
    rs_iso8601_ms(info.mtime_ms, date);
    rs_xml_elem(x, "LastModified", date);
    if (alg != RS_CKSUM_NONE) {
        char b64[64];
        rs_base64_encode(info.checksum, info.checksum_len, b64);
        rs_xml_elem(x, rs_pool_printf(c->pool, "Checksum%s", rs_checksum_alg_name(alg)), b64);
    }
    rs_xml_finish(x, &c->resp->body);
out:
    rs_obj_release(c->ctx->store, &view);
}
