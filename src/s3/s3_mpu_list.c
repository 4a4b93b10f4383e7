/*
 * s3_mpu_list.c: ListParts (part-number-marker, max-parts) and ListMultipartUploads
 * (prefix, delimiter and common prefixes, key-marker / upload-id-marker, max-uploads,
 * encoding-type=url). The store pages both (rs_mpu_list_parts, rs_mpu_list).
 * Runs in: workers.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs/checksum.h"
#include "rs/codec.h"
#include "rs/store_mpu.h"
#include "rs/xml.h"
#include "s3/s3_int.h"

#define S3_NS "http://s3.amazonaws.com/doc/2006-03-01/"

/* An integer query parameter in AWS's two failure texts; *v = dflt when absent. */
static int int_param(rs_s3_call_t *c, const char *name, long long dflt, long long *v)
{
    const rs_qparam_t *q = rs_s3_q(c, name);
    char *end;

    *v = dflt;
    if (q == NULL)
        return 0;
    errno = 0;
    *v = strtoll(q->value, &end, 10);
    if (q->value[0] == '\0' || *end != '\0' || errno != 0 || *v > 2147483647LL ||
        *v < -2147483648LL) {
        rs_s3_fail(
            c, RS_S3E_InvalidArgument,
            rs_pool_printf(c->pool, "Provided %s not an integer or within integer range", name),
            "ArgumentName", name, "ArgumentValue", q->value, NULL);
        return -1;
    }
    if (*v < 0) {
        rs_s3_fail(c, RS_S3E_InvalidArgument,
                   rs_pool_printf(c->pool,
                                  "Argument %s must be an integer between 0 and 2147483647", name),
                   "ArgumentName", name, "ArgumentValue", q->value, NULL);
        return -1;
    }
    return 0;
}

static void owner(rs_s3_call_t *c, rs_xml_t *x, const char *elem)
{
    rs_xml_start(x, elem);
    rs_xml_elem(x, "ID", rs_s3_owner_id(c, c->req->account));
    rs_xml_end(x);
}

static void checksum_facts(rs_xml_t *x, const rs_obj_info_t *info)
{
    if (info->checksum_alg == RS_CKSUM_NONE)
        return;
    rs_xml_elem(x, "ChecksumAlgorithm", rs_checksum_alg_name(info->checksum_alg));
    rs_xml_elem(x, "ChecksumType", rs_s3_checksum_type_name(info->checksum_type));
}

/* ---- ListParts ---------------------------------------------------------------------- */

void rs_s3_list_parts(rs_s3_call_t *c)
{
    rs_bucket_t b;
    rs_mpu_ref_t ref;
    rs_mpu_info_t mi;
    rs_mpu_part_info_t *parts;
    long long max, marker;
    size_t n = 0, want;
    int truncated = 0, err;
    char date[32], b64[64];
    rs_xml_t *x;

    if (int_param(c, "max-parts", 1000, &max) != 0 ||
        int_param(c, "part-number-marker", 0, &marker) != 0)
        return;
    if (rs_s3_mpu_open(c, &b, &ref, &mi) != 0)
        return;
    want = max > 1000 ? 1000 : (size_t)max;
    parts = rs_pool_alloc(c->pool, (want ? want : 1) * sizeof *parts);
    if (marker > RS_MPU_MAX_PARTS)
        marker = RS_MPU_MAX_PARTS;
    err = rs_mpu_list_parts(c->ctx->store, &ref, (uint32_t)marker, want, parts, &n, &truncated);
    if (err != 0) {
        rs_mpu_info_free(&mi);
        rs_s3_mpu_fail(c, err);
        return;
    }
    c->resp->status = 200;
    rs_http_resp_header(c->resp, "Content-Type", "application/xml");
    x = rs_xml_begin("ListPartsResult", S3_NS);
    rs_xml_elem(x, "Bucket", c->bucket);
    rs_xml_elemn(x, "Key", c->key, c->key_len);
    rs_xml_elem(x, "UploadId", rs_s3_q(c, "uploadId")->value);
    rs_xml_elemf(x, "PartNumberMarker", "%lld", marker);
    rs_xml_elemf(x, "NextPartNumberMarker", "%u", n > 0 ? (unsigned)parts[n - 1].number : 0u);
    rs_xml_elemf(x, "MaxParts", "%lld", max);
    rs_xml_elem(x, "IsTruncated", truncated ? "true" : "false");
    for (size_t i = 0; i < n; i++) {
        rs_xml_start(x, "Part");
        rs_xml_elemf(x, "PartNumber", "%u", (unsigned)parts[i].number);
        rs_iso8601_ms(parts[i].info.mtime_ms, date);
        rs_xml_elem(x, "LastModified", date);
        rs_xml_elem(x, "ETag", rs_s3_etag_quoted(c, &parts[i].info));
        rs_xml_elemf(x, "Size", "%llu", (unsigned long long)parts[i].info.size);
        /* the upload's algorithm, or S3's default CRC64NVME when it has none */
        if (parts[i].info.checksum_alg != RS_CKSUM_NONE) {
            rs_base64_encode(parts[i].info.checksum, parts[i].info.checksum_len, b64);
            rs_xml_elem(x,
                        rs_pool_printf(c->pool, "Checksum%s",
                                       rs_checksum_alg_name(parts[i].info.checksum_alg)),
                        b64);
        }
        rs_xml_end(x);
    }
    owner(c, x, "Initiator");
    owner(c, x, "Owner");
    rs_xml_elem(x, "StorageClass", rs_s3_storage_class_name(mi.info.storage_class));
    checksum_facts(x, &mi.info);
    rs_xml_finish(x, &c->resp->body);
    rs_mpu_info_free(&mi);
}

/* ---- ListMultipartUploads ------------------------------------------------------------- */

void rs_s3_list_multipart_uploads(rs_s3_call_t *c)
{
    const rs_qparam_t *pfx = rs_s3_q(c, "prefix"), *dl = rs_s3_q(c, "delimiter");
    const rs_qparam_t *km = rs_s3_q(c, "key-marker"), *im = rs_s3_q(c, "upload-id-marker");
    const rs_qparam_t *et = rs_s3_q(c, "encoding-type");
    rs_bucket_t b;
    rs_mpu_list_query_t q;
    rs_mpu_list_result_t r;
    long long max;
    int url = 0, err;
    char ids[RS_UPLOAD_ID_LEN + 1], date[32];
    rs_xml_t *x;

    if (et != NULL) {
        if (strcmp(et->value, "url") != 0) {
            rs_s3_fail(c, RS_S3E_InvalidArgument, "Invalid Encoding Method specified in Request",
                       "ArgumentName", "encoding-type", "ArgumentValue", et->value, NULL);
            return;
        }
        url = 1;
    }
    if (int_param(c, "max-uploads", 1000, &max) != 0)
        return;
    if (rs_s3_bucket_get(c, c->bucket, &b) != 0)
        return;
    memset(&q, 0, sizeof q);
    if (pfx != NULL)
        q.prefix = pfx->value, q.prefix_len = pfx->value_len;
    else
        q.prefix = "";
    if (dl != NULL && dl->value_len > 0)
        q.delim = dl->value, q.delim_len = dl->value_len;
    if (km != NULL && km->value_len > 0) {
        q.key_marker = km->value, q.key_marker_len = km->value_len;
        if (im != NULL && im->value_len > 0 &&
            rs_upload_id_parse(im->value, im->value_len, &q.id_marker) == 0)
            q.has_id_marker = 1;
    }
    q.max_uploads = max > 1000 ? 1000 : (size_t)max;
    memset(&r, 0, sizeof r);
    err = rs_mpu_list(c->ctx->store, &b, &q, &r);
    if (err != 0) {
        rs_s3_mpu_fail(c, err);
        return;
    }

#define ENC(s, n) (url ? rs_s3_urlencode(c->pool, (s), (n)) : rs_pool_strndup(c->pool, (s), (n)))
    c->resp->status = 200;
    rs_http_resp_header(c->resp, "Content-Type", "application/xml");
    x = rs_xml_begin("ListMultipartUploadsResult", S3_NS);
    rs_xml_elem(x, "Bucket", c->bucket);
    rs_xml_elem(x, "KeyMarker", km != NULL ? ENC(km->value, km->value_len) : "");
    rs_xml_elem(x, "UploadIdMarker", km != NULL && im != NULL ? im->value : "");
    if (r.n > 0) {
        const rs_mpu_list_item_t *last = &r.items[r.n - 1];
        rs_xml_elem(x, "NextKeyMarker", ENC(last->key, last->key_len));
        if (!last->is_prefix)
            rs_upload_id_format(last->id, ids);
        rs_xml_elem(x, "NextUploadIdMarker", last->is_prefix ? "" : ids);
    } else {
        rs_xml_elem(x, "NextKeyMarker", "");
        rs_xml_elem(x, "NextUploadIdMarker", "");
    }
    if (q.delim != NULL)
        rs_xml_elem(x, "Delimiter", ENC(q.delim, q.delim_len));
    rs_xml_elem(x, "Prefix", ENC(q.prefix, q.prefix_len));
    rs_xml_elemf(x, "MaxUploads", "%lld", max);
    rs_xml_elem(x, "IsTruncated", r.truncated ? "true" : "false");
    for (size_t i = 0; i < r.n; i++) {
        const rs_mpu_list_item_t *it = &r.items[i];
        if (it->is_prefix)
            continue;
        rs_xml_start(x, "Upload");
        rs_xml_elem(x, "Key", ENC(it->key, it->key_len));
        rs_upload_id_format(it->id, ids);
        rs_xml_elem(x, "UploadId", ids);
        owner(c, x, "Initiator");
        owner(c, x, "Owner");
        rs_xml_elem(x, "StorageClass", rs_s3_storage_class_name(it->info.storage_class));
        rs_iso8601_ms(it->info.mtime_ms, date);
        rs_xml_elem(x, "Initiated", date);
        checksum_facts(x, &it->info);
        rs_xml_end(x);
    }
    for (size_t i = 0; i < r.n; i++) {
        const rs_mpu_list_item_t *it = &r.items[i];
        if (!it->is_prefix)
            continue;
        rs_xml_start(x, "CommonPrefixes");
        rs_xml_elem(x, "Prefix", ENC(it->key, it->key_len));
        rs_xml_end(x);
    }
    if (url)
        rs_xml_elem(x, "EncodingType", "url");
#undef ENC
    rs_xml_finish(x, &c->resp->body);
    rs_mpu_list_result_free(&r);
}
