/*
 * s3_tagging.c: bucket tagging (Put/Get/DeleteBucketTagging, the tag set kept as a bucket
 * configuration, s3_config.c) and object tagging (Put/Get/DeleteObjectTagging: the tag
 * set is the object's RS_META_TAGGING field in x-amz-tagging form; a change republishes
 * the object with the same bytes, metadata, ETag and Last-Modified). AWS's limits: 10
 * tags on an object, 50 on a bucket, keys of 1..128 and values of 0..256 characters from
 * letters, digits, white space and + - = . _ : / @, no duplicate keys, no "aws:" keys.
 * Runs in: workers.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "rs/codec.h"
#include "rs/xml.h"
#include "s3/s3_int.h"

#define S3_NS "http://s3.amazonaws.com/doc/2006-03-01/"
#define OBJECT_TAGS_MAX 10
#define BUCKET_TAGS_MAX 50

enum { FOR_OBJECT, FOR_BUCKET, FOR_HEADER };

/* characters, counted as UTF-8 code points; -1 when not UTF-8 or a character is refused */
static long tag_chars(const char *s, size_t n)
{
    size_t i = 0;
    long count = 0;
    while (i < n) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x80) {
            if (!(ch == ' ' || ch == '\t' || (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
                  (ch >= 'A' && ch <= 'Z') || strchr("+-=._:/@", ch) != NULL))
                return -1;
            i++;
        } else {
            size_t k = rs_utf8_seq((const unsigned char *)s + i, n - i);
            if (k == 0)
                return -1;
            i += k;
        }
        count++;
    }
    return count;
}

/* Check one tag set; renders the error and returns -1. */
static int tags_check(rs_s3_call_t *c, const rs_xml_tag_t *t, size_t n, int kind)
{
    size_t i, j;
    if (kind != FOR_BUCKET && n > OBJECT_TAGS_MAX) {
        rs_s3_fail(c, RS_S3E_BadRequest, "Object tags cannot be greater than 10", NULL);
        return -1;
    }
    if (kind == FOR_BUCKET && n > BUCKET_TAGS_MAX) {
        rs_s3_fail(c, RS_S3E_BadRequest, "Bucket tag count cannot be greater than 50", NULL);
        return -1;
    }
    for (i = 0; i < n; i++) {
        long kc = tag_chars(t[i].key, t[i].key_len), vc = tag_chars(t[i].value, t[i].value_len);
        if (kc < 1 || kc > 128 || memchr(t[i].key, 0, t[i].key_len) != NULL) {
            rs_s3_fail(c, RS_S3E_InvalidTag, NULL, "TagKey", t[i].key, NULL);
            return -1;
        }
        if (vc < 0 || vc > 256 || memchr(t[i].value, 0, t[i].value_len) != NULL) {
            rs_s3_fail(c, RS_S3E_InvalidTag, "The TagValue you have provided is invalid", "TagKey",
                       t[i].key, "TagValue", t[i].value, NULL);
            return -1;
        }
        if (t[i].key_len >= 4 && strncmp(t[i].key, "aws:", 4) == 0) {
            rs_s3_fail(c, RS_S3E_InvalidTag,
                       kind == FOR_BUCKET ? "System tags cannot be added/updated by requester"
                                          : "Your TagKey cannot be prefixed with aws:",
                       "TagKey", t[i].key, NULL);
            return -1;
        }
        for (j = 0; j < i; j++)
            if (t[j].key_len == t[i].key_len && memcmp(t[j].key, t[i].key, t[i].key_len) == 0) {
                rs_s3_fail(c, RS_S3E_InvalidTag, "Cannot provide multiple Tags with the same key",
                           "TagKey", t[i].key, NULL);
                return -1;
            }
    }
    return 0;
}

/* x-amz-tagging form -> tag array (no checks); -1 when a pair has an empty name */
static size_t header_tags(rs_s3_call_t *c, const char *v, size_t n, rs_xml_tag_t **out)
{
    rs_qparam_t *qp;
    size_t np = rs_query_parse(c->pool, v, n, &qp), i;
    *out = rs_pool_alloc(c->pool, (np ? np : 1) * sizeof **out);
    for (i = 0; i < np; i++) {
        (*out)[i].key = qp[i].name;
        (*out)[i].key_len = strlen(qp[i].name);
        (*out)[i].value = qp[i].value;
        (*out)[i].value_len = qp[i].value_len;
    }
    return np;
}

int rs_s3_tagging_count(rs_s3_call_t *c, const char *v, size_t n)
{
    rs_xml_tag_t *t;
    return (int)header_tags(c, v, n, &t);
}

int rs_s3_tagging_header_check(rs_s3_call_t *c, const char *v, size_t n)
{
    rs_xml_tag_t *t;
    size_t np = header_tags(c, v, n, &t), i, j;
    int bad = 0;
    for (i = 0; i < np && !bad; i++) {
        if (t[i].key_len == 0)
            bad = 1;
        for (j = 0; j < i && !bad; j++)
            if (strcmp(t[j].key, t[i].key) == 0)
                bad = 1;
        if (tag_chars(t[i].key, t[i].key_len) < 0 || tag_chars(t[i].value, t[i].value_len) < 0)
            bad = 1;
    }
    if (bad) {
        rs_s3_fail(c, RS_S3E_InvalidArgument,
                   "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL "
                   "query parameters without tag name duplicates.",
                   "ArgumentName", "x-amz-tagging", "ArgumentValue", rs_pool_strndup(c->pool, v, n),
                   NULL);
        return -1;
    }
    if (tags_check(c, t, np, FOR_HEADER) != 0)
        return -1;
    return (int)np;
}

static void tagging_xml(rs_s3_call_t *c, const rs_xml_tag_t *t, size_t n, rs_buf_t *out)
{
    rs_xml_t *x = rs_xml_begin("Tagging", S3_NS);
    size_t i;
    (void)c;
    rs_xml_start(x, "TagSet");
    for (i = 0; i < n; i++) {
        rs_xml_start(x, "Tag");
        rs_xml_elemn(x, "Key", t[i].key, t[i].key_len);
        rs_xml_elemn(x, "Value", t[i].value, t[i].value_len);
        rs_xml_end(x);
    }
    rs_xml_end(x);
    rs_xml_finish(x, out);
}

/* parse and check a Tagging body; renders the error and returns -1 */
static int read_tagging(rs_s3_call_t *c, int kind, rs_xml_tag_t **t, size_t *n)
{
    if (rs_s3_body_check_plain(c) != 0)
        return -1;
    if (rs_xml_parse_tagging(c->pool, c->req->body, c->req->body_len, t, n) != 0) {
        rs_s3_fail(c, RS_S3E_MalformedXML, NULL, NULL);
        return -1;
    }
    return tags_check(c, *t, *n, kind);
}

/* ---- bucket ------------------------------------------------------------------------ */

void rs_s3_put_bucket_tagging(rs_s3_call_t *c)
{
    rs_bucket_t b;
    rs_xml_tag_t *t;
    size_t n;
    rs_buf_t doc;
    int err;

    if (rs_s3_bucket_get(c, c->bucket, &b) != 0 || read_tagging(c, FOR_BUCKET, &t, &n) != 0)
        return;
    if (n == 0) { /* an empty tag set removes the tags (GetBucketTagging: NoSuchTagSet) */
        err = rs_s3_cfg_delete(c, &b, "tagging");
    } else {
        rs_buf_init(&doc);
        tagging_xml(c, t, n, &doc);
        err = rs_s3_cfg_put(c, &b, "tagging", doc.data, doc.len);
        rs_buf_free(&doc);
    }
    if (err != 0 && err != RS_ENOENT) {
        rs_s3_store_fail(c, err);
        return;
    }
    if (err == RS_ENOENT && n > 0) {
        rs_s3_fail(c, RS_S3E_NoSuchBucket, NULL, "BucketName", c->bucket, NULL);
        return;
    }
    c->resp->status = 204;
}

void rs_s3_get_bucket_tagging(rs_s3_call_t *c)
{
    rs_s3_cfg_answer(c, "tagging", RS_S3E_NoSuchTagSet);
}

void rs_s3_delete_bucket_tagging(rs_s3_call_t *c)
{
    rs_s3_cfg_remove(c, "tagging");
}

/* ---- object ------------------------------------------------------------------------ */

static int version_null_only(rs_s3_call_t *c)
{
    const rs_qparam_t *v = rs_s3_q(c, "versionId");
    if (v == NULL || strcmp(v->value, "null") == 0)
        return 0;
    rs_s3_fail(c, RS_S3E_InvalidArgument, "Invalid version id specified", "ArgumentName",
               "versionId", "ArgumentValue", v->value, NULL);
    return -1;
}

/* Republish the object with tagging `tags` (x-amz-tagging form, NULL: none): same bytes,
 * metadata, ETag and Last-Modified; only if the object is still the one read (If-Match
 * on its ETag, retried when a concurrent write replaced it). The store copies the bytes
 * into a new extent (it has no way to share one extent between two publications). */
static void set_object_tags(rs_s3_call_t *c, const char *tags, size_t tags_len, int status)
{
    rs_bucket_t b;
    int attempt, err = 0;

    if (rs_s3_bucket_get(c, c->bucket, &b) != 0)
        return;
    for (attempt = 0; attempt < 8; attempt++) {
        rs_obj_view_t v;
        rs_s3_meta_t m;
        rs_obj_put_t put;
        size_t i;

        err = rs_obj_get(c->ctx->store, &b, c->key, c->key_len, &v);
        if (err == RS_ENOENT) {
            rs_s3_fail(c, RS_S3E_NoSuchKey, NULL, "Key", c->key, NULL);
            return;
        }
        if (err != 0)
            break;
        if (rs_s3_meta_decode(c->pool, v.meta, v.meta_len, &m) != 0) {
            rs_obj_release(c->ctx->store, &v);
            err = RS_EPOISON;
            break;
        }
        for (i = 0; i < m.n; i++)
            if (m.f[i].tag == RS_META_TAGGING)
                m.f[i].tag = 0;
        if (tags != NULL && tags_len > 0)
            rs_s3_meta_add(&m, RS_META_TAGGING, NULL, tags, tags_len);
        if (rs_s3_put_init(c, &b, &m, &put) != 0) {
            rs_obj_release(c->ctx->store, &v);
            return;
        }
        put.data = v.seg;
        put.data_iovcnt = v.nseg;
        put.info = v.info;
        put.cond.has_if_match = 1;
        memcpy(put.cond.if_match, v.info.etag, 16);
        err = rs_obj_put(c->ctx->store, &put);
        rs_obj_release(c->ctx->store, &v);
        if (err == RS_EPRECOND)
            continue; /* replaced meanwhile: tag the new object */
        if (err == RS_ENOENT) {
            rs_s3_fail(c, RS_S3E_NoSuchKey, NULL, "Key", c->key, NULL);
            return;
        }
        break;
    }
    if (err != 0) {
        rs_s3_store_fail(c, err);
        return;
    }
    c->resp->status = status;
}

/* a checked tag set in the stored x-amz-tagging form (pool) */
static char *tags_query(rs_s3_call_t *c, const rs_xml_tag_t *t, size_t n, size_t *len)
{
    rs_buf_t q;
    char *tags;
    rs_buf_init(&q);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            rs_buf_appends(&q, "&");
        rs_buf_appends(&q, rs_s3_urlencode(c->pool, t[i].key, t[i].key_len));
        rs_buf_appends(&q, "=");
        rs_buf_appends(&q, rs_s3_urlencode(c->pool, t[i].value, t[i].value_len));
    }
    tags = rs_pool_strndup(c->pool, q.data ? q.data : "", q.len);
    *len = q.len;
    rs_buf_free(&q);
    return tags;
}

void rs_s3_put_object_tagging(rs_s3_call_t *c)
{
    rs_xml_tag_t *t;
    size_t n;
    rs_bucket_t b;
    char *tags;

    if (version_null_only(c) != 0 || rs_s3_bucket_get(c, c->bucket, &b) != 0 ||
        read_tagging(c, FOR_OBJECT, &t, &n) != 0)
        return;
    tags = tags_query(c, t, n, &n);
    set_object_tags(c, tags, n, 200);
}

int rs_s3_tagging_from_xml(rs_s3_call_t *c, const char *xml, size_t n, char **out, size_t *len)
{
    rs_xml_tag_t *t;
    size_t nt;
    if (rs_xml_parse_tagging(c->pool, (const uint8_t *)xml, n, &t, &nt) != 0) {
        rs_s3_fail(c, RS_S3E_MalformedXML, NULL, NULL);
        return -1;
    }
    if (tags_check(c, t, nt, FOR_OBJECT) != 0)
        return -1;
    *out = tags_query(c, t, nt, len);
    return 0;
}

void rs_s3_delete_object_tagging(rs_s3_call_t *c)
{
    if (version_null_only(c) != 0)
        return;
    set_object_tags(c, NULL, 0, 204);
}

void rs_s3_get_object_tagging(rs_s3_call_t *c)
{
    rs_bucket_t b;
    rs_obj_view_t v;
    rs_s3_meta_t m;
    const rs_s3_meta_field_t *f;
    rs_xml_tag_t *t = NULL;
    size_t n = 0;
    int err;

    if (version_null_only(c) != 0 || rs_s3_bucket_get(c, c->bucket, &b) != 0)
        return;
    err = rs_obj_get(c->ctx->store, &b, c->key, c->key_len, &v);
    if (err == RS_ENOENT) {
        rs_s3_fail(c, RS_S3E_NoSuchKey, NULL, "Key", c->key, NULL);
        return;
    }
    if (err != 0) {
        rs_s3_store_fail(c, err);
        return;
    }
    err = rs_s3_meta_decode(c->pool, v.meta, v.meta_len, &m);
    rs_obj_release(c->ctx->store, &v);
    if (err != 0) {
        rs_s3_fail(c, RS_S3E_InternalError, NULL, NULL);
        return;
    }
    f = rs_s3_meta_find(&m, RS_META_TAGGING);
    if (f != NULL)
        n = header_tags(c, f->value, f->value_len, &t);
    c->resp->status = 200;
    rs_http_resp_header(c->resp, "Content-Type", "application/xml");
    tagging_xml(c, t, n, &c->resp->body);
}
