/*
 * s3_config.c: bucket configurations (CORS, tagging) kept as objects in the bucket's own
 * index under reserved keys: "\xff" + name. No client key can begin with the byte 0xFF
 * (keys are UTF-8, anything else is InvalidURI), listings stop at it and DeleteBucket
 * removes such keys with the bucket (src/store). Replacing or deleting one uses the
 * store's crash-safe PUT/DELETE, so a configuration is atomically old or new.
 * Runs in: workers.
 */
#include "config.h"

#include <string.h>

#include "s3/s3_int.h"

static char *cfg_key(rs_s3_call_t *c, const char *name, size_t *len)
{
    size_t n = strlen(name);
    char *k = rs_pool_alloc(c->pool, n + 2);
    k[0] = (char)RS_RESERVED_KEY_BYTE;
    memcpy(k + 1, name, n + 1);
    *len = n + 1;
    return k;
}

int rs_s3_cfg_get(rs_s3_call_t *c, const rs_bucket_t *b, const char *name, uint8_t **out,
                  size_t *len)
{
    rs_obj_view_t v;
    size_t kl, i, o = 0;
    const char *k = cfg_key(c, name, &kl);
    int err = rs_obj_get(c->ctx->store, b, k, kl, &v);
    if (err != 0)
        return err;
    *out = rs_pool_alloc(c->pool, v.info.size + 1);
    for (i = 0; i < v.nseg; i++) {
        memcpy(*out + o, v.seg[i].iov_base, v.seg[i].iov_len);
        o += v.seg[i].iov_len;
    }
    (*out)[o] = 0;
    *len = o;
    rs_obj_release(c->ctx->store, &v);
    return 0;
}

int rs_s3_cfg_put(rs_s3_call_t *c, const rs_bucket_t *b, const char *name, const void *data,
                  size_t len)
{
    rs_obj_put_t put;
    struct iovec iov;
    memset(&put, 0, sizeof put);
    put.bucket = b;
    put.key = cfg_key(c, name, &put.key_len);
    iov.iov_base = (void *)data;
    iov.iov_len = len;
    put.data = &iov;
    put.data_iovcnt = 1;
    put.info.size = len;
    put.info.mtime_ms = c->now_ms;
    return rs_obj_put(c->ctx->store, &put);
}

int rs_s3_cfg_delete(rs_s3_call_t *c, const rs_bucket_t *b, const char *name)
{
    size_t kl;
    const char *k = cfg_key(c, name, &kl);
    return rs_obj_delete(c->ctx->store, b, k, kl, NULL);
}

void rs_s3_cfg_answer(rs_s3_call_t *c, const char *name, rs_s3e_t missing)
{
    rs_bucket_t b;
    uint8_t *doc;
    size_t len;
    if (rs_s3_bucket_get(c, c->bucket, &b) != 0)
        return;
    int err = rs_s3_cfg_get(c, &b, name, &doc, &len);
    if (err == RS_ENOENT) {
        rs_s3_fail(c, missing, NULL, "BucketName", c->bucket, NULL);
        return;
    }
    if (err != 0) {
        rs_s3_store_fail(c, err);
        return;
    }
    c->resp->status = 200;
    rs_http_resp_header(c->resp, "Content-Type", "application/xml");
    rs_buf_append(&c->resp->body, doc, len);
}

void rs_s3_cfg_remove(rs_s3_call_t *c, const char *name)
{
    rs_bucket_t b;
    if (rs_s3_bucket_get(c, c->bucket, &b) != 0)
        return;
    int err = rs_s3_cfg_delete(c, &b, name);
    if (err != 0 && err != RS_ENOENT) {
        rs_s3_store_fail(c, err);
        return;
    }
    c->resp->status = 204;
}
