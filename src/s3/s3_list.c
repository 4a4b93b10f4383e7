/*
 * s3_list.c: ListObjectsV2 and ListObjects (V1): parameter validation, continuation
 * tokens, common prefixes, encoding-type=url, owners. The ordered walk itself is the
 * store's (rs_obj_list: O(log n + page)). Runs in: workers.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs/checksum.h"
#include "rs/codec.h"
#include "rs/xml.h"
#include "s3/s3_int.h"

#define TOKEN_MAGIC "rs1:"

typedef struct list_params {
    const char *prefix, *delim, *after;
    size_t prefix_len, delim_len, after_len;
    const char *max_keys_echo;
    size_t max_keys;
    int url;
} list_params_t;

static int common_params(rs_s3_call_t *c, list_params_t *p)
{
    const rs_qparam_t *q;
    memset(p, 0, sizeof *p);
    p->prefix = "";
    p->max_keys = 1000;
    p->max_keys_echo = "1000";
    q = rs_s3_q(c, "encoding-type");
    if (q != NULL) {
        if (strcmp(q->value, "url") != 0) {
            rs_s3_fail(c, RS_S3E_InvalidArgument, "Invalid Encoding Method specified in Request",
                       "ArgumentName", "encoding-type", "ArgumentValue", q->value, NULL);
            return -1;
        }
        p->url = 1;
    }
    q = rs_s3_q(c, "max-keys");
    if (q != NULL) {
        char *end;
        long long v;
        errno = 0;
        v = strtoll(q->value, &end, 10);
        if (q->value[0] == '\0' || *end != '\0' || errno != 0 || v < 0 || v > 2147483647LL) {
            rs_s3_fail(c, RS_S3E_InvalidArgument,
                       "Argument maxKeys must be an integer between 0 and 2147483647",
                       "ArgumentName", "maxKeys", "ArgumentValue", q->value, NULL);
            return -1;
        }
        p->max_keys = v > 1000 ? 1000 : (size_t)v;
        p->max_keys_echo = rs_pool_printf(c->pool, "%lld", v);
    }
    q = rs_s3_q(c, "prefix");
    if (q != NULL)
        p->prefix = q->value, p->prefix_len = q->value_len;
    q = rs_s3_q(c, "delimiter");
    if (q != NULL && q->value_len > 0)
        p->delim = q->value, p->delim_len = q->value_len;
    return 0;
}

static const char *enc(rs_s3_call_t *c, const list_params_t *p, const char *s, size_t n)
{
    return p->url ? rs_s3_urlencode(c->pool, s, n) : rs_pool_strndup(c->pool, s, n);
}

static void contents(rs_s3_call_t *c, rs_xml_t *x, const list_params_t *p, const rs_list_item_t *it,
                     int owner)
{
    char date[32];
    rs_xml_start(x, "Contents");
    rs_xml_elem(x, "Key", enc(c, p, it->key, it->key_len));
    rs_iso8601_ms(it->info.mtime_ms, date);
    rs_xml_elem(x, "LastModified", date);
    rs_xml_elem(x, "ETag", rs_s3_etag_quoted(c, &it->info));
    if (it->info.checksum_alg != RS_CKSUM_NONE) {
        rs_xml_elem(x, "ChecksumAlgorithm", rs_checksum_alg_name(it->info.checksum_alg));
        rs_xml_elem(x, "ChecksumType", rs_s3_checksum_type_name(it->info.checksum_type));
    }
    rs_xml_elemf(x, "Size", "%llu", (unsigned long long)it->info.size);
    rs_xml_elem(x, "StorageClass", rs_s3_storage_class_name(it->info.storage_class));
    if (owner) {
        rs_xml_start(x, "Owner");
        rs_xml_elem(x, "ID", rs_s3_owner_id(c, c->req->account));
        rs_xml_end(x);
    }
    rs_xml_end(x);
}

static void items(rs_s3_call_t *c, rs_xml_t *x, const list_params_t *p, const rs_list_result_t *r,
                  int owner)
{
    size_t i;
    for (i = 0; i < r->n; i++)
        if (!r->items[i].is_prefix)
            contents(c, x, p, &r->items[i], owner);
    for (i = 0; i < r->n; i++) {
        if (!r->items[i].is_prefix)
            continue;
        rs_xml_start(x, "CommonPrefixes");
        rs_xml_elem(x, "Prefix", enc(c, p, r->items[i].key, r->items[i].key_len));
        rs_xml_end(x);
    }
}

static int run_list(rs_s3_call_t *c, const rs_bucket_t *b, const list_params_t *p,
                    rs_list_result_t *r)
{
    rs_list_query_t q;
    int err;
    memset(&q, 0, sizeof q);
    q.after = p->after;
    q.after_len = p->after_len;
    q.prefix = p->prefix;
    q.prefix_len = p->prefix_len;
    q.delim = p->delim;
    q.delim_len = p->delim_len;
    q.max_items = p->max_keys;
    memset(r, 0, sizeof *r);
    err = rs_obj_list(c->ctx->store, b, &q, r);
    if (err != 0) {
        rs_s3_store_fail(c, err);
        return -1;
    }
    return 0;
}

static void send_list(rs_s3_call_t *c, const rs_bucket_t *b, rs_xml_t *x)
{
    c->resp->status = 200;
    rs_http_resp_header(c->resp, "Content-Type", "application/xml");
    if (strcmp(b->region, "us-east-1") != 0)
        rs_http_resp_header(c->resp, "x-amz-bucket-region", b->region);
    rs_xml_finish(x, &c->resp->body);
}

void rs_s3_list_objects_v2(rs_s3_call_t *c)
{
    rs_bucket_t b;
    list_params_t p;
    rs_list_result_t r;
    const rs_qparam_t *tok = rs_s3_q(c, "continuation-token");
    const rs_qparam_t *sa = rs_s3_q(c, "start-after");
    const rs_qparam_t *fo = rs_s3_q(c, "fetch-owner");
    rs_xml_t *x;

    if (rs_s3_bucket_get(c, c->bucket, &b) != 0 || common_params(c, &p) != 0)
        return;
    if (tok != NULL) {
        uint8_t *raw = rs_pool_alloc(c->pool, tok->value_len + 1);
        long l = rs_base64_decode(tok->value, tok->value_len, raw, tok->value_len);
        if (tok->value_len == 0 || l < (long)strlen(TOKEN_MAGIC) ||
            memcmp(raw, TOKEN_MAGIC, strlen(TOKEN_MAGIC)) != 0) {
            rs_s3_fail(c, RS_S3E_InvalidArgument, "The continuation token provided is incorrect",
                       "ArgumentName", "continuation-token", NULL);
            return;
        }
        p.after = (const char *)raw + strlen(TOKEN_MAGIC);
        p.after_len = (size_t)l - strlen(TOKEN_MAGIC);
    } else if (sa != NULL && sa->value_len > 0) {
        p.after = sa->value, p.after_len = sa->value_len;
    }
    if (run_list(c, &b, &p, &r) != 0)
        return;

    x = rs_xml_begin("ListBucketResult", "http://s3.amazonaws.com/doc/2006-03-01/");
    rs_xml_elem(x, "Name", b.name);
    rs_xml_elem(x, "Prefix", enc(c, &p, p.prefix, p.prefix_len));
    if (p.delim != NULL)
        rs_xml_elem(x, "Delimiter", enc(c, &p, p.delim, p.delim_len));
    rs_xml_elem(x, "MaxKeys", p.max_keys_echo);
    rs_xml_elemf(x, "KeyCount", "%zu", r.n);
    rs_xml_elem(x, "IsTruncated", r.truncated ? "true" : "false");
    if (p.url)
        rs_xml_elem(x, "EncodingType", "url");
    if (tok != NULL)
        rs_xml_elem(x, "ContinuationToken", tok->value);
    else if (sa != NULL)
        rs_xml_elem(x, "StartAfter", enc(c, &p, sa->value, sa->value_len));
    if (r.truncated && r.n > 0) {
        const rs_list_item_t *last = &r.items[r.n - 1];
        size_t ml = strlen(TOKEN_MAGIC), tl = ml + last->key_len;
        uint8_t *raw = rs_pool_alloc(c->pool, tl);
        char *out = rs_pool_alloc(c->pool, 4 * (tl / 3 + 2) + 1);
        memcpy(raw, TOKEN_MAGIC, ml);
        memcpy(raw + ml, last->key, last->key_len);
        rs_base64_encode(raw, tl, out);
        rs_xml_elem(x, "NextContinuationToken", out);
    }
    items(c, x, &p, &r, fo != NULL && strcmp(fo->value, "true") == 0);
    rs_list_result_free(&r);
    send_list(c, &b, x);
}

void rs_s3_list_objects(rs_s3_call_t *c)
{
    rs_bucket_t b;
    list_params_t p;
    rs_list_result_t r;
    const rs_qparam_t *marker = rs_s3_q(c, "marker");
    rs_xml_t *x;

    if (rs_s3_bucket_get(c, c->bucket, &b) != 0 || common_params(c, &p) != 0)
        return;
    if (marker != NULL && marker->value_len > 0)
        p.after = marker->value, p.after_len = marker->value_len;
    if (run_list(c, &b, &p, &r) != 0)
        return;

    x = rs_xml_begin("ListBucketResult", "http://s3.amazonaws.com/doc/2006-03-01/");
    rs_xml_elem(x, "Name", b.name);
    rs_xml_elem(x, "Prefix", enc(c, &p, p.prefix, p.prefix_len));
    rs_xml_elem(x, "Marker", marker != NULL ? enc(c, &p, marker->value, marker->value_len) : "");
    if (p.delim != NULL)
        rs_xml_elem(x, "Delimiter", enc(c, &p, p.delim, p.delim_len));
    rs_xml_elem(x, "MaxKeys", p.max_keys_echo);
    rs_xml_elem(x, "IsTruncated", r.truncated ? "true" : "false");
    if (p.url)
        rs_xml_elem(x, "EncodingType", "url");
    if (r.truncated && r.n > 0 && p.delim != NULL)
        rs_xml_elem(x, "NextMarker", enc(c, &p, r.items[r.n - 1].key, r.items[r.n - 1].key_len));
    items(c, x, &p, &r, 1);
    rs_list_result_free(&r);
    send_list(c, &b, x);
}
