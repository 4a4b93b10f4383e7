/*
 * s3_mpu.c: CreateMultipartUpload (metadata, tagging, storage class, checksum algorithm
 * and type), UploadPart (per-part MD5 and flexible checksum, verified and kept with the
 * part), AbortMultipartUpload, and the helpers every multipart operation shares (upload id,
 * part number, store errors). The parts live in the store (store_mpu.h).
 * Runs in: workers.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rs/checksum.h"
#include "rs/codec.h"
#include "rs/store_mpu.h"
#include "rs/xml.h"
#include "s3/s3_int.h"

#define S3_NS "http://s3.amazonaws.com/doc/2006-03-01/"

/* ---- shared by the multipart operations ------------------------------------------- */

static const char *upload_id_param(rs_s3_call_t *c)
{
    const rs_qparam_t *q = rs_s3_q(c, "uploadId");
    return q != NULL ? q->value : "";
}

void rs_s3_mpu_fail(rs_s3_call_t *c, int err)
{
    switch (err) {
    case RS_ENOUPLOAD:
        rs_s3_fail(c, RS_S3E_NoSuchUpload, NULL, "UploadId", upload_id_param(c), NULL);
        break;
    case RS_ENOUPLOADS:
        rs_s3_fail(c, RS_S3E_InsufficientStorage,
                   "The S3 store is full: raise the s3_max_uploads setting (multipart uploads in "
                   "progress at once) or complete or abort uploads",
                   NULL);
        break;
    case RS_ENOENT:
        rs_s3_fail(c, RS_S3E_NoSuchBucket, NULL, "BucketName", c->bucket, NULL);
        break;
    default:
        rs_s3_store_fail(c, err);
        break;
    }
}

int rs_s3_mpu_open(rs_s3_call_t *c, rs_bucket_t *b, rs_mpu_ref_t *ref, rs_mpu_info_t *info)
{
    const rs_qparam_t *q = rs_s3_q(c, "uploadId");
    int err;

    if (rs_s3_bucket_get(c, c->bucket, b) != 0)
        return -1;
    memset(ref, 0, sizeof *ref);
    ref->bucket = b;
    ref->key = c->key;
    ref->key_len = c->key_len;
    if (q == NULL || c->key_len > RS_MAX_KEY ||
        rs_upload_id_parse(q->value, q->value_len, &ref->id) != 0) {
        rs_s3_mpu_fail(c, RS_ENOUPLOAD);
        return -1;
    }
    if (info == NULL)
        return 0;
    err = rs_mpu_get(c->ctx->store, ref, info);
    if (err != 0) {
        rs_s3_mpu_fail(c, err);
        return -1;
    }
    return 0;
}

int rs_s3_mpu_part_number(rs_s3_call_t *c, uint32_t *number)
{
    const rs_qparam_t *q = rs_s3_q(c, "partNumber");
    char *end;
    long v;

    if (q != NULL) {
        v = strtol(q->value, &end, 10);
        if (q->value[0] != '\0' && *end == '\0' && v >= 1 && v <= RS_MPU_MAX_PARTS) {
            *number = (uint32_t)v;
            return 0;
        }
    }
    rs_s3_fail(c, RS_S3E_InvalidArgument,
               "Part number must be an integer between 1 and 10000, inclusive", "ArgumentName",
               "partNumber", "ArgumentValue", q != NULL ? q->value : "", NULL);
    return -1;
}

int rs_s3_mpu_put_part(rs_s3_call_t *c, const rs_mpu_ref_t *ref, uint32_t number,
                       const struct iovec *data, size_t iovcnt, const rs_obj_info_t *info)
{
    rs_mpu_part_put_t p;
    int err;

    memset(&p, 0, sizeof p);
    p.up = *ref;
    p.number = number;
    p.data = data;
    p.data_iovcnt = iovcnt;
    p.info = *info;
    err = rs_mpu_part_put(c->ctx->store, &p);
    if (err != 0) {
        rs_s3_mpu_fail(c, err);
        return -1;
    }
    return 0;
}

/* ---- CreateMultipartUpload ---------------------------------------------------------- */

/* x-amz-checksum-algorithm and x-amz-checksum-type, with AWS's rules and texts */
static int create_checksum(rs_s3_call_t *c, int *alg, int *type)
{
    const char *a = rs_s3_hdr(c, "x-amz-checksum-algorithm", NULL);
    const char *t = rs_s3_hdr(c, "x-amz-checksum-type", NULL);

    *alg = RS_CKSUM_NONE;
    *type = RS_CKSUM_TYPE_FULL_OBJECT;
    if (a == NULL) {
        if (t != NULL) {
            rs_s3_fail(c, RS_S3E_InvalidRequest,
                       "The x-amz-checksum-type header can only be used with the "
                       "x-amz-checksum-algorithm header.",
                       NULL);
            return -1;
        }
        return 0; /* S3 computes a FULL_OBJECT CRC64NVME */
    }
    *alg = rs_checksum_alg_parse(a, strlen(a));
    if (*alg <= 0) {
        rs_s3_fail(c, RS_S3E_InvalidRequest,
                   "Checksum algorithm provided is unsupported. Please try again with any of the "
                   "valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
                   NULL);
        return -1;
    }
    if (t == NULL) {
        *type = *alg == RS_CKSUM_CRC64NVME ? RS_CKSUM_TYPE_FULL_OBJECT : RS_CKSUM_TYPE_COMPOSITE;
        return 0;
    }
    if (strcmp(t, "COMPOSITE") == 0)
        *type = RS_CKSUM_TYPE_COMPOSITE;
    else if (strcmp(t, "FULL_OBJECT") == 0)
        *type = RS_CKSUM_TYPE_FULL_OBJECT;
    else {
        rs_s3_fail(c, RS_S3E_InvalidRequest, "Value for x-amz-checksum-type header is invalid.",
                   NULL);
        return -1;
    }
    if ((*type == RS_CKSUM_TYPE_COMPOSITE && *alg == RS_CKSUM_CRC64NVME) ||
        (*type == RS_CKSUM_TYPE_FULL_OBJECT &&
         (*alg == RS_CKSUM_SHA1 || *alg == RS_CKSUM_SHA256))) {
        rs_s3_fail(c, RS_S3E_InvalidRequest,
                   rs_pool_printf(c->pool,
                                  "The %s checksum type cannot be used with the %s checksum "
                                  "algorithm.",
                                  t, rs_s3_lower(c->pool, rs_checksum_alg_name(*alg))),
                   NULL);
        return -1;
    }
    return 0;
}

void rs_s3_create_multipart_upload(rs_s3_call_t *c)
{
    rs_bucket_t b;
    rs_s3_meta_t meta;
    rs_mpu_create_t mc;
    rs_upload_id_t id;
    char ids[RS_UPLOAD_ID_LEN + 1];
    int sc, alg, type, err;
    uint8_t *blob;
    size_t blob_len;
    rs_xml_t *x;

    if (rs_s3_bucket_get(c, c->bucket, &b) != 0)
        return;
    if (c->key_len > RS_MAX_KEY) {
        rs_s3_fail(c, RS_S3E_KeyTooLongError, NULL, "Size",
                   rs_pool_printf(c->pool, "%zu", c->key_len), "MaxSizeAllowed", "1024", NULL);
        return;
    }
    if (rs_s3_storage_class_from_request(c, &sc) != 0 || create_checksum(c, &alg, &type) != 0)
        return;
    if (rs_s3_meta_from_request(c, &meta) != 0)
        return;
    if (rs_s3_meta_encode(c->pool, &meta, &blob, &blob_len) != 0) {
        rs_s3_fail(c, RS_S3E_MetadataTooLarge, NULL, "MaxSizeAllowed", "8192", NULL);
        return;
    }
    memset(&mc, 0, sizeof mc);
    mc.bucket = &b;
    mc.key = c->key;
    mc.key_len = c->key_len;
    mc.meta = blob;
    mc.meta_len = blob_len;
    mc.checksum_alg = (uint8_t)alg;
    mc.checksum_type = (uint8_t)type;
    mc.storage_class = (uint8_t)sc;
    mc.now_ms = c->now_ms;
    err = rs_mpu_create(c->ctx->store, &mc, &id);
    if (err != 0) {
        rs_s3_mpu_fail(c, err);
        return;
    }
    rs_upload_id_format(id, ids);
    c->resp->status = 200;
    rs_http_resp_header(c->resp, "Content-Type", "application/xml");
    rs_http_resp_header(c->resp, "x-amz-server-side-encryption", "AES256");
    if (alg != RS_CKSUM_NONE) {
        rs_http_resp_header(c->resp, "x-amz-checksum-algorithm", rs_checksum_alg_name(alg));
        rs_http_resp_header(c->resp, "x-amz-checksum-type", rs_s3_checksum_type_name(type));
    }
    x = rs_xml_begin("InitiateMultipartUploadResult", S3_NS);
    rs_xml_elem(x, "Bucket", c->bucket);
    rs_xml_elemn(x, "Key", c->key, c->key_len);
    rs_xml_elem(x, "UploadId", ids);
    rs_xml_finish(x, &c->resp->body);
}

/* ---- UploadPart ----------------------------------------------------------------------- */

void rs_s3_upload_part(rs_s3_call_t *c)
{
    rs_bucket_t b;
    rs_mpu_ref_t ref;
    rs_mpu_info_t mi;
    rs_s3_body_t body;
    rs_obj_info_t info;
    uint32_t number;
    int alg;
    char b64[64];

    if (rs_s3_mpu_part_number(c, &number) != 0)
        return;
    if (rs_s3_mpu_open(c, &b, &ref, &mi) != 0)
        return;
    alg = mi.info.checksum_alg;
    memset(&info, 0, sizeof info);
    info.checksum_type = mi.info.checksum_type;
    rs_mpu_info_free(&mi);

    if (!c->req->has_content_length && !rs_s3_body_is_streaming(c)) {
        rs_s3_fail(c, RS_S3E_MissingContentLength, NULL, NULL);
        return;
    }
    if (rs_s3_body_read(c, &body) != 0)
        return;
    if (alg != RS_CKSUM_NONE && body.client_checksum && body.checksum_alg != alg) {
        rs_s3_fail(c, RS_S3E_InvalidRequest,
                   rs_pool_printf(c->pool,
                                  "Checksum Type mismatch occurred, expected checksum Type: %s, "
                                  "actual checksum Type: %s",
                                  rs_s3_lower(c->pool, rs_checksum_alg_name(alg)),
                                  rs_s3_lower(c->pool, rs_checksum_alg_name(body.checksum_alg))),
                   NULL);
        return;
    }
    if (rs_s3_size_check(c, body.len) != 0)
        return;
    /* the part keeps the upload's algorithm (computed when the client sent none), or
     * CRC64NVME when the upload has none: Complete combines them into the object's */
    if (alg == RS_CKSUM_NONE)
        alg = RS_CKSUM_CRC64NVME;
    info.size = body.len;
    info.mtime_ms = c->now_ms;
    memcpy(info.etag, body.md5, 16);
    info.checksum_alg = (uint8_t)alg;
    if (body.checksum_alg == alg) {
        info.checksum_len = (uint8_t)body.checksum_len;
        memcpy(info.checksum, body.checksum, body.checksum_len);
    } else {
        info.checksum_len = (uint8_t)rs_checksum_compute(alg, body.iov, body.iovcnt, info.checksum);
    }
    if (rs_s3_mpu_put_part(c, &ref, number, body.iov, body.iovcnt, &info) != 0)
        return;
    c->resp->status = 200;
    rs_http_resp_header(c->resp, "ETag", rs_s3_etag_quoted(c, &info));
    rs_http_resp_header(c->resp, "x-amz-server-side-encryption", "AES256");
    if (body.client_checksum) {
        rs_base64_encode(body.checksum, body.checksum_len, b64);
        rs_http_resp_header(c->resp, rs_checksum_header(body.checksum_alg), b64);
    }
}

/* ---- AbortMultipartUpload ----------------------------------------------------------- */

void rs_s3_abort_multipart_upload(rs_s3_call_t *c)
{
    rs_bucket_t b;
    rs_mpu_ref_t ref;
    int err;

    if (rs_s3_mpu_open(c, &b, &ref, NULL) != 0)
        return;
    err = rs_mpu_abort(c->ctx->store, &ref);
    if (err != 0) {
        rs_s3_mpu_fail(c, err);
        return;
    }
    c->resp->status = 204;
}
