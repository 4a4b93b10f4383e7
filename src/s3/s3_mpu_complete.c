/*
 * s3_mpu_complete.c: CompleteMultipartUpload: the part list (XML), AWS's rules in AWS's
 * order (at least one part, part numbers, checksum mode and per-part checksums, then the
 * store's order / ETag / size checks), the summarise callback the store calls under the
 * upload's lock (ETag "md5-of-md5s-N", COMPOSITE or FULL_OBJECT checksum, the optional
 * full-object checksum and x-amz-mp-object-size of the request), conditional Complete
 * (If-None-Match: *, If-Match). Runs in: workers.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs/checksum.h"
#include "rs/codec.h"
#include "rs/store_mpu.h"
#include "rs/xml.h"
#include "s3/s3_int.h"

#define MIN_PART_SIZE (5u << 20)

typedef struct summ {
    const rs_xml_part_t *listed; /* the client's parts, in the store's order */
    uint8_t (*listed_ck)[32];    /* their decoded checksums */
    size_t *listed_ck_len;
    int alg, type;
    int64_t now_ms;
    int has_full; /* x-amz-checksum-<alg> on the request (FULL_OBJECT) */
    uint8_t full[32];
    size_t full_len;
    int full_mismatch; /* out */
    int has_size;      /* x-amz-mp-object-size: the total the client expects */
    uint64_t size;
    int size_mismatch; /* out, with the parts' total */
    uint64_t actual;
} summ_t;

static void put_be(uint8_t *out, uint64_t v, size_t n)
{
    for (size_t k = 0; k < n; k++)
        out[k] = (uint8_t)(v >> (8 * (n - 1 - k)));
}

static uint64_t get_be(const uint8_t *in, size_t n)
{
    uint64_t v = 0;
    for (size_t k = 0; k < n; k++)
        v = (v << 8) | in[k];
    return v;
}

/* the object's checksum from the parts' (all of the upload's algorithm) */
static void object_checksum(const summ_t *s, const rs_mpu_part_info_t *parts, size_t n,
                            rs_obj_info_t *o)
{
    size_t clen = rs_checksum_len(s->alg);
    o->checksum_alg = (uint8_t)s->alg;
    o->checksum_type = (uint8_t)s->type;
    o->checksum_len = (uint8_t)clen;
    if (s->type == RS_CKSUM_TYPE_FULL_OBJECT) {
        uint64_t crc = get_be(parts[0].info.checksum, clen);
        for (size_t i = 1; i < n; i++) {
            uint64_t next = get_be(parts[i].info.checksum, clen);
            uint64_t len = parts[i].info.size;
            if (s->alg == RS_CKSUM_CRC32)
                crc = rs_crc32_combine((uint32_t)crc, (uint32_t)next, len);
            else if (s->alg == RS_CKSUM_CRC32C)
                crc = rs_crc32c_combine((uint32_t)crc, (uint32_t)next, len);
            else
                crc = rs_crc64nvme_combine(crc, next, len);
        }
        put_be(o->checksum, crc, clen);
    } else { /* the checksum of the parts' checksums, concatenated */
        struct iovec *iov = malloc(n * sizeof *iov);
        if (iov == NULL) {
            o->checksum_alg = RS_CKSUM_NONE, o->checksum_len = 0;
            return;
        }
        for (size_t i = 0; i < n; i++) {
            iov[i].iov_base = (void *)parts[i].info.checksum;
            iov[i].iov_len = clen;
        }
        o->checksum_len = (uint8_t)rs_checksum_compute(s->alg, iov, n, o->checksum);
        free(iov);
    }
}

/* Called by the store under the upload's lock: no lock, no blocking. */
static int summarise(void *arg, const rs_mpu_part_info_t *parts, size_t n, rs_obj_info_t *o,
                     size_t *bad)
{
    summ_t *s = arg;
    struct iovec *md5s;
    uint64_t size = 0;

    for (size_t i = 0; i < n; i++) {
        const rs_obj_info_t *pi = &parts[i].info;
        size += pi->size;
        if (s->listed[i].cksum_name == NULL || s->listed_ck_len[i] == 0)
            continue; /* none given, or the upload has no algorithm: nothing to compare */
        if (rs_checksum_alg_parse(s->listed[i].cksum_name, strlen(s->listed[i].cksum_name)) !=
                pi->checksum_alg ||
            s->listed_ck_len[i] != pi->checksum_len ||
            memcmp(s->listed_ck[i], pi->checksum, pi->checksum_len) != 0) {
            *bad = i;
            return RS_EBADPART;
        }
    }
    md5s = malloc((n ? n : 1) * sizeof *md5s);
    if (md5s == NULL)
        return RS_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        md5s[i].iov_base = (void *)parts[i].info.etag;
        md5s[i].iov_len = 16;
    }
    rs_md5(md5s, n, o->etag);
    free(md5s);
    if (s->has_size && s->size != size) {
        s->size_mismatch = 1;
        s->actual = size;
        return RS_EINVAL;
    }
    o->size = size;
    o->parts = (uint32_t)n;
    o->mtime_ms = s->now_ms;
    object_checksum(s, parts, n, o);
    if (s->has_full &&
        (s->full_len != o->checksum_len || memcmp(s->full, o->checksum, s->full_len) != 0)) {
        s->full_mismatch = 1;
        return RS_EINVAL;
    }
    return 0;
}

static const char *etag_bare(rs_s3_call_t *c, const rs_xml_part_t *p)
{
    const char *v = p->etag;
    size_t n = p->etag_len;
    while (n > 0 && (*v == '"' || *v == ' '))
        v++, n--;
    while (n > 0 && (v[n - 1] == '"' || v[n - 1] == ' '))
        n--;
    return rs_pool_strndup(c->pool, v, n);
}

/* The checks AWS makes before looking at the parts; renders and returns -1. */
static int check_request(rs_s3_call_t *c, const rs_mpu_info_t *mi, const rs_xml_part_t *parts,
                         size_t n, summ_t *s)
{
    const char *t = rs_s3_hdr(c, "x-amz-checksum-type", NULL);
    const char *sz = rs_s3_hdr(c, "x-amz-mp-object-size", NULL);
    int alg = mi->info.checksum_alg;

    if (n == 0) {
        rs_s3_fail(c, RS_S3E_InvalidRequest, "You must specify at least one part", NULL);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (parts[i].number < 1 || parts[i].number > RS_MPU_MAX_PARTS) {
            rs_s3_fail(c, RS_S3E_InvalidArgument,
                       "Part number must be an integer between 1 and 10000, inclusive",
                       "ArgumentName", "partNumber", "ArgumentValue",
                       rs_pool_printf(c->pool, "%ld", parts[i].number), NULL);
            return -1;
        }
    }
    if (sz != NULL) {
        char *end;
        unsigned long long v = strtoull(sz, &end, 10);
        if (sz[0] < '0' || sz[0] > '9' || *end != '\0') {
            rs_s3_fail(c, RS_S3E_InvalidRequest,
                       rs_pool_printf(c->pool,
                                      "Value for x-amz-mp-object-size header is invalid: '%s'", sz),
                       NULL);
            return -1;
        }
        s->has_size = 1;
        s->size = v;
    }
    if (alg == RS_CKSUM_NONE)
        return 0;
    if (t != NULL && strcmp(t, rs_s3_checksum_type_name(mi->info.checksum_type)) != 0) {
        rs_s3_fail(c, RS_S3E_InvalidRequest,
                   rs_pool_printf(c->pool,
                                  "The upload was created using the %s checksum mode. The "
                                  "complete request must use the same checksum mode.",
                                  rs_s3_checksum_type_name(mi->info.checksum_type)),
                   NULL);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (parts[i].cksum_name == NULL) {
            if (mi->info.checksum_type == RS_CKSUM_TYPE_FULL_OBJECT)
                continue; /* optional for FULL_OBJECT */
            rs_s3_fail(c, RS_S3E_InvalidRequest,
                       rs_pool_printf(c->pool,
                                      "The upload was created using a %s checksum. The complete "
                                      "request must include the checksum for each part. It was "
                                      "missing for part %ld in the request.",
                                      rs_s3_lower(c->pool, rs_checksum_alg_name(alg)),
                                      parts[i].number),
                       NULL);
            return -1;
        }
        long l = rs_base64_decode(parts[i].cksum, strlen(parts[i].cksum), s->listed_ck[i], 32);
        if (l < 0 || (size_t)l != rs_checksum_len(rs_checksum_alg_parse(
                                      parts[i].cksum_name, strlen(parts[i].cksum_name)))) {
            rs_s3_fail(c, RS_S3E_InvalidRequest,
                       rs_pool_printf(c->pool, "Value for x-amz-checksum-%s header is invalid.",
                                      rs_s3_lower(c->pool, parts[i].cksum_name)),
                       NULL);
            return -1;
        }
        s->listed_ck_len[i] = (size_t)l;
    }
    if (mi->info.checksum_type == RS_CKSUM_TYPE_FULL_OBJECT) {
        size_t hl;
        const char *h = rs_s3_hdr(c, rs_checksum_header(alg), &hl);
        if (h != NULL) {
            long l = rs_base64_decode(h, hl, s->full, sizeof s->full);
            if (l < 0 || (size_t)l != rs_checksum_len(alg)) {
                rs_s3_fail(c, RS_S3E_InvalidRequest,
                           rs_pool_printf(c->pool, "Value for %s header is invalid.",
                                          rs_checksum_header(alg)),
                           NULL);
                return -1;
            }
            s->has_full = 1;
            s->full_len = (size_t)l;
        }
    }
    return 0;
}

/* EntityTooSmall names the part's size: read it back */
static void too_small(rs_s3_call_t *c, const rs_mpu_ref_t *ref, const rs_xml_part_t *p)
{
    rs_mpu_part_info_t pi;
    size_t got = 0;
    int trunc = 0;
    const char *size = "0";
    if (rs_mpu_list_parts(c->ctx->store, ref, (uint32_t)p->number - 1, 1, &pi, &got, &trunc) == 0 &&
        got == 1 && pi.number == (uint32_t)p->number)
        size = rs_pool_printf(c->pool, "%llu", (unsigned long long)pi.info.size);
    rs_s3_fail(c, RS_S3E_EntityTooSmall, NULL, "ProposedSize", size, "MinSizeAllowed", "5242880",
               "PartNumber", rs_pool_printf(c->pool, "%ld", p->number), "ETag", etag_bare(c, p),
               NULL);
}

void rs_s3_complete_multipart_upload(rs_s3_call_t *c)
{
    rs_bucket_t b;
    rs_mpu_ref_t ref;
    rs_mpu_info_t mi;
    rs_xml_part_t *parts;
    rs_mpu_listed_t *listed;
    rs_mpu_complete_t mc;
    rs_put_cond_t cond;
    summ_t s;
    size_t n, hl = 0;
    int err, alg, type;
    const char *host;
    rs_buf_t loc;
    rs_xml_t *x;

    if (rs_s3_mpu_open(c, &b, &ref, &mi) != 0)
        return;
    alg = mi.info.checksum_alg;
    type = mi.info.checksum_type;
    if (rs_xml_parse_complete(c->pool, c->req->body, c->req->body_len, RS_MPU_MAX_PARTS, &parts,
                              &n) != 0) {
        rs_mpu_info_free(&mi);
        rs_s3_fail(c, RS_S3E_MalformedXML, NULL, NULL);
        return;
    }
    memset(&s, 0, sizeof s);
    s.listed = parts;
    s.listed_ck = rs_pool_alloc(c->pool, (n ? n : 1) * sizeof *s.listed_ck);
    s.listed_ck_len = rs_pool_alloc(c->pool, (n ? n : 1) * sizeof *s.listed_ck_len);
    memset(s.listed_ck_len, 0, (n ? n : 1) * sizeof *s.listed_ck_len);
    err = check_request(c, &mi, parts, n, &s);
    rs_mpu_info_free(&mi);
    if (err != 0)
        return;
    if (rs_s3_put_conditions(c, &cond) != 0)
        return;
    /* no algorithm chosen: S3's default FULL_OBJECT CRC64NVME over the parts' ones */
    s.alg = alg != RS_CKSUM_NONE ? alg : RS_CKSUM_CRC64NVME;
    s.type = alg != RS_CKSUM_NONE ? type : RS_CKSUM_TYPE_FULL_OBJECT;
    s.now_ms = c->now_ms;

    listed = rs_pool_alloc(c->pool, n * sizeof *listed);
    for (size_t i = 0; i < n; i++) {
        uint32_t np;
        listed[i].number = (uint32_t)parts[i].number;
        rs_s3_etag_parse(parts[i].etag, parts[i].etag_len, listed[i].etag, &np);
    }
    memset(&mc, 0, sizeof mc);
    mc.up = ref;
    mc.parts = listed;
    mc.nparts = n;
    mc.min_part_size = MIN_PART_SIZE;
    mc.cond = cond;
    mc.now_ms = c->now_ms;
    mc.summarise = summarise;
    mc.arg = &s;
    err = rs_mpu_complete(c->ctx->store, &mc);
    switch (err) {
    case 0:
        break;
    case RS_EPARTORDER:
        rs_s3_fail(c, RS_S3E_InvalidPartOrder, NULL, "UploadId", rs_s3_q(c, "uploadId")->value,
                   NULL);
        return;
    case RS_EBADPART:
        rs_s3_fail(c, RS_S3E_InvalidPart, NULL, "UploadId", rs_s3_q(c, "uploadId")->value,
                   "PartNumber",
                   rs_pool_printf(c->pool, "%ld", mc.bad < n ? parts[mc.bad].number : 0L), "ETag",
                   mc.bad < n ? etag_bare(c, &parts[mc.bad]) : "", NULL);
        return;
    case RS_ETOOSMALL:
        too_small(c, &ref, &parts[mc.bad < n ? mc.bad : 0]);
        return;
    case RS_EINVAL:
        if (s.full_mismatch) {
            rs_s3_checksum_mismatch(c, rs_s3_lower(c->pool, rs_checksum_alg_name(s.alg)));
            return;
        }
        if (s.size_mismatch) {
            rs_s3_fail(c, RS_S3E_InvalidRequest,
                       rs_pool_printf(c->pool,
                                      "The size of the completed object (%llu bytes) does not "
                                      "match the x-amz-mp-object-size header (%llu).",
                                      (unsigned long long)s.actual, (unsigned long long)s.size),
                       NULL);
            return;
        }
        rs_s3_store_fail(c, err);
        return;
    case RS_EPRECOND:
        rs_s3_put_fail(c, &cond, err);
        return;
    case RS_ENOENT:
        if (cond.has_if_match) {
            rs_s3_put_fail(c, &cond, err);
            return;
        }
        rs_s3_mpu_fail(c, err);
        return;
    default:
        rs_s3_mpu_fail(c, err);
        return;
    }

    c->resp->status = 200;
    rs_http_resp_header(c->resp, "Content-Type", "application/xml");
    rs_http_resp_header(c->resp, "x-amz-server-side-encryption", "AES256");
    host = rs_s3_hdr(c, "host", &hl);
    rs_buf_init(&loc);
    rs_buf_appends(&loc, "http://");
    rs_buf_appends(&loc, host != NULL ? host : "localhost");
    rs_buf_appends(&loc, "/");
    rs_uri_encode(&loc, c->bucket, strlen(c->bucket), 0);
    rs_buf_appends(&loc, "/");
    rs_uri_encode(&loc, c->key, c->key_len, 1);
    x = rs_xml_begin("CompleteMultipartUploadResult", "http://s3.amazonaws.com/doc/2006-03-01/");
    rs_xml_elemn(x, "Location", loc.data, loc.len);
    rs_buf_free(&loc);
    rs_xml_elem(x, "Bucket", c->bucket);
    rs_xml_elemn(x, "Key", c->key, c->key_len);
    rs_xml_elem(x, "ETag", rs_s3_etag_quoted(c, &mc.info));
    if (mc.info.checksum_alg != RS_CKSUM_NONE) {
        rs_xml_elem(
            x, rs_pool_printf(c->pool, "Checksum%s", rs_checksum_alg_name(mc.info.checksum_alg)),
            rs_s3_checksum_str(c, &mc.info));
        rs_xml_elem(x, "ChecksumType", rs_s3_checksum_type_name(mc.info.checksum_type));
    }
    rs_xml_finish(x, &c->resp->body);
}
