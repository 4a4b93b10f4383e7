/*
 * s3_bucket.c: bucket operations: CreateBucket (name and LocationConstraint rules, the
 * us-east-1 re-create quirk), DeleteBucket, HeadBucket, ListBuckets, GetBucketLocation,
 * GetBucketVersioning. Runs in: workers.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs/codec.h"
#include "rs/xml.h"
#include "s3/s3_int.h"

#define S3_NS "http://s3.amazonaws.com/doc/2006-03-01/"

static void send_xml(rs_s3_call_t *c, rs_xml_t *x)
{
    c->resp->status = 200;
    rs_http_resp_header(c->resp, "Content-Type", "application/xml");
    rs_xml_finish(x, &c->resp->body);
}

/* Which region a CreateBucket lands in, following the LocationConstraint matrix.
 * Renders the error and returns NULL when the combination is refused. */
static const char *create_region(rs_s3_call_t *c, const char *lc)
{
    const char *signing = c->req->region;
    if (strcmp(signing, "us-east-1") == 0) {
        if (lc == NULL || lc[0] == '\0')
            return "us-east-1";
        if (strcmp(lc, "EU") == 0)
            return "eu-west-1";
        if (strcmp(lc, "us-east-1") != 0 && rs_s3_region_valid(lc))
            return lc;
        rs_s3_fail(c, RS_S3E_InvalidLocationConstraint, NULL, "LocationConstraint", lc, NULL);
        return NULL;
    }
    if (lc != NULL && lc[0] != '\0' &&
        (strcmp(lc, signing) == 0 || (strcmp(lc, "EU") == 0 && strcmp(signing, "eu-west-1") == 0)))
        return signing;
    rs_s3_fail(c, RS_S3E_IllegalLocationConstraintException,
               rs_pool_printf(c->pool,
                              "The %s location constraint is incompatible for the region specific "
                              "endpoint this request was sent to.",
                              lc != NULL && lc[0] != '\0' ? lc : "unspecified"),
               NULL);
    return NULL;
}

void rs_s3_create_bucket(rs_s3_call_t *c)
{
    char *lc = NULL;
    const char *region;
    rs_bucket_t b;
    int err;

    if (!rs_s3_bucket_name_valid(c->bucket)) {
        rs_s3_fail(c, RS_S3E_InvalidBucketName, NULL, "BucketName", c->bucket, NULL);
        return;
    }
    if (rs_xml_parse_create_bucket(c->pool, c->req->body, c->req->body_len, &lc) != 0) {
        rs_s3_fail(c, RS_S3E_MalformedXML, NULL, NULL);
        return;
    }
    region = create_region(c, lc);
    if (region == NULL)
        return;
    err = rs_bucket_create(c->ctx->store, c->req->account, c->bucket, region, &b);
    if (err == RS_EEXIST) {
        /* legacy us-east-1 idempotency: same owner, us-east-1, no configuration -> 200 */
        if (strcmp(c->req->region, "us-east-1") == 0 && (lc == NULL || lc[0] == '\0') &&
            strcmp(b.region, "us-east-1") == 0)
            goto created;
        rs_s3_fail(c, RS_S3E_BucketAlreadyOwnedByYou, NULL, "BucketName", c->bucket, NULL);
        return;
    }
    if (err == RS_EOWNER) {
        rs_s3_fail(c, RS_S3E_BucketAlreadyExists, NULL, "BucketName", c->bucket, NULL);
        return;
    }
    if (err != 0) {
        rs_s3_store_fail(c, err);
        return;
    }
created:
    c->resp->status = 200;
    if (strcmp(region, "us-east-1") == 0)
        rs_http_resp_header(c->resp, "Location", rs_pool_printf(c->pool, "/%s", c->bucket));
    else
        rs_http_resp_header(c->resp, "Location",
                            rs_pool_printf(c->pool, "http://%s.s3.amazonaws.com/", c->bucket));
    rs_http_resp_header(c->resp, "x-amz-bucket-arn",
                        rs_pool_printf(c->pool, "arn:aws:s3:::%s", c->bucket));
}

void rs_s3_delete_bucket(rs_s3_call_t *c)
{
    rs_bucket_t b;
    int err;
    if (rs_s3_bucket_get(c, c->bucket, &b) != 0)
        return;
    err = rs_bucket_delete(c->ctx->store, c->bucket);
    if (err == RS_ENOENT) {
        rs_s3_fail(c, RS_S3E_NoSuchBucket, NULL, "BucketName", c->bucket, NULL);
        return;
    }
    if (err == RS_ENOTEMPTY) {
        rs_s3_fail(c, RS_S3E_BucketNotEmpty, NULL, "BucketName", c->bucket, NULL);
        return;
    }
    if (err != 0) {
        rs_s3_store_fail(c, err);
        return;
    }
    c->resp->status = 204;
}

void rs_s3_head_bucket(rs_s3_call_t *c)
{
    rs_bucket_t b;
    if (rs_s3_bucket_get(c, c->bucket, &b) != 0)
        return;
    c->resp->status = 200;
    rs_http_resp_header(c->resp, "x-amz-bucket-region", b.region);
    rs_http_resp_header(c->resp, "x-amz-access-point-alias", "false");
    rs_http_resp_header(c->resp, "x-amz-bucket-arn",
                        rs_pool_printf(c->pool, "arn:aws:s3:::%s", b.name));
    rs_http_resp_header(c->resp, "Content-Type", "application/xml");
}

void rs_s3_get_bucket_location(rs_s3_call_t *c)
{
    rs_bucket_t b;
    rs_xml_t *x;
    if (rs_s3_bucket_get(c, c->bucket, &b) != 0)
        return;
    x = rs_xml_begin("LocationConstraint", S3_NS);
    /* us-east-1 answers an empty LocationConstraint (boto3: None) */
    if (strcmp(b.region, "us-east-1") != 0)
        rs_xml_text(x, b.region);
    send_xml(c, x);
}

void rs_s3_get_bucket_versioning(rs_s3_call_t *c)
{
    rs_bucket_t b;
    if (rs_s3_bucket_get(c, c->bucket, &b) != 0)
        return;
    /* Versioning is not supported: every bucket is unversioned, as a new AWS bucket is. */
    send_xml(c, rs_xml_begin("VersioningConfiguration", S3_NS));
}

/* ---- ListBuckets ---------------------------------------------------------------- */

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const rs_bucket_t *)a)->name, ((const rs_bucket_t *)b)->name);
}

void rs_s3_list_buckets(rs_s3_call_t *c)
{
    const rs_qparam_t *qmax = rs_s3_q(c, "max-buckets"), *qtok = rs_s3_q(c, "continuation-token");
    const rs_qparam_t *qpre = rs_s3_q(c, "prefix"), *qreg = rs_s3_q(c, "bucket-region");
    int with_params = qmax || qtok || qpre || qreg;
    long max = 10000;
    const char *after = NULL;
    rs_bucket_t *bs = NULL;
    size_t n = 0, i, shown = 0;
    rs_xml_t *x;
    char date[32];

    if (qmax != NULL) {
        char *end;
        max = strtol(qmax->value, &end, 10);
        if (qmax->value[0] == '\0' || *end != '\0' || max < 1 || max > 10000) {
            rs_s3_fail(c, RS_S3E_InvalidArgument,
                       "Argument max-buckets must be an integer between 1 and 10000",
                       "ArgumentName", "max-buckets", "ArgumentValue", qmax->value, NULL);
            return;
        }
    }
    if (qreg != NULL && qreg->value[0] != '\0' && !rs_s3_region_valid(qreg->value)) {
        rs_s3_fail(
            c, RS_S3E_InvalidArgument,
            rs_pool_printf(c->pool, "Argument value %s is not a valid AWS Region", qreg->value),
            "ArgumentName", "bucket-region", NULL);
        return;
    }
    if (qtok != NULL && qtok->value[0] != '\0') {
        uint8_t raw[128];
        long l = rs_base64_decode(qtok->value, qtok->value_len, raw, sizeof raw - 1);
        if (l <= 3 || memcmp(raw, "lb:", 3) != 0) {
            rs_s3_fail(c, RS_S3E_InvalidArgument, "The continuation token provided is incorrect",
                       "ArgumentName", "continuation-token", NULL);
            return;
        }
        after = rs_pool_strndup(c->pool, (const char *)raw + 3, (size_t)l - 3);
    }
    if (rs_bucket_list(c->ctx->store, c->req->account, &bs, &n) != 0) {
        rs_s3_fail(c, RS_S3E_InternalError, NULL, NULL);
        return;
    }
    qsort(bs, n, sizeof *bs, cmp_name);

    x = rs_xml_begin("ListAllMyBucketsResult", S3_NS);
    rs_xml_start(x, "Buckets");
    for (i = 0; i < n; i++) {
        const rs_bucket_t *b = &bs[i];
        if (after != NULL && strcmp(b->name, after) <= 0)
            continue;
        if (qpre != NULL && strncmp(b->name, qpre->value, qpre->value_len) != 0)
            continue;
        if (qreg != NULL && qreg->value[0] != '\0' && strcmp(b->region, qreg->value) != 0)
            continue;
        if ((long)shown == max)
            break;
        rs_xml_start(x, "Bucket");
        rs_xml_elem(x, "Name", b->name);
        rs_iso8601_ms(b->created_ms, date);
        rs_xml_elem(x, "CreationDate", date);
        if (with_params) {
            rs_xml_elem(x, "BucketRegion", b->region);
            rs_xml_elemf(x, "BucketArn", "arn:aws:s3:::%s", b->name);
        }
        rs_xml_end(x);
        shown++;
        after = NULL;
        if ((long)shown == max) {
            /* more to come? look for one more match */
            size_t j;
            for (j = i + 1; j < n; j++) {
                if (qpre != NULL && strncmp(bs[j].name, qpre->value, qpre->value_len) != 0)
                    continue;
                if (qreg != NULL && qreg->value[0] != '\0' &&
                    strcmp(bs[j].region, qreg->value) != 0)
                    continue;
                break;
            }
            if (j < n) {
                char tok[128], *t = rs_pool_printf(c->pool, "lb:%s", b->name);
                rs_base64_encode((const uint8_t *)t, strlen(t), tok);
                rs_xml_end(x); /* Buckets */
                rs_xml_start(x, "Owner");
                rs_xml_elem(x, "ID", rs_s3_owner_id(c, c->req->account));
                rs_xml_end(x);
                rs_xml_elem(x, "ContinuationToken", tok);
                if (qpre != NULL)
                    rs_xml_elem(x, "Prefix", qpre->value);
                free(bs);
                send_xml(c, x);
                return;
            }
        }
    }
    rs_xml_end(x); /* Buckets */
    rs_xml_start(x, "Owner");
    rs_xml_elem(x, "ID", rs_s3_owner_id(c, c->req->account));
    rs_xml_end(x);
    if (qpre != NULL)
        rs_xml_elem(x, "Prefix", qpre->value);
    free(bs);
    send_xml(c, x);
}
