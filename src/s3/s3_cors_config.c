/*
 * s3_cors_config.c: Put/Get/DeleteBucketCors. The configuration is validated (methods
 * GET PUT POST DELETE HEAD, at most one "*" in an AllowedOrigin or AllowedHeader, at most
 * 100 rules) and kept in canonical XML as a bucket configuration (s3_config.c); s3_cors.c
 * evaluates it for preflights and actual requests. Runs in: workers.
 */
#include "config.h"

#include <string.h>

#include "rs/xml.h"
#include "s3/s3_int.h"

#define S3_NS "http://s3.amazonaws.com/doc/2006-03-01/"
#define CORS_RULES_MAX 100

static int one_wildcard(const char *s)
{
    const char *p = strchr(s, '*');
    return p == NULL || strchr(p + 1, '*') == NULL;
}

static int cors_check(rs_s3_call_t *c, const rs_xml_cors_rule_t *r, size_t n)
{
    static const char *const ok[] = {"GET", "PUT", "POST", "DELETE", "HEAD"};
    size_t i, j, k;
    for (i = 0; i < n; i++) {
        for (j = 0; j < r[i].nmethods; j++) {
            for (k = 0; k < sizeof ok / sizeof ok[0]; k++)
                if (strcmp(r[i].methods[j], ok[k]) == 0)
                    break;
            if (k == sizeof ok / sizeof ok[0]) {
                rs_s3_fail(c, RS_S3E_InvalidRequest,
                           rs_pool_printf(c->pool,
                                          "Found unsupported HTTP method in CORS config. "
                                          "Unsupported method is %s",
                                          r[i].methods[j]),
                           NULL);
                return -1;
            }
        }
        for (j = 0; j < r[i].norigins; j++)
            if (!one_wildcard(r[i].origins[j])) {
                rs_s3_fail(c, RS_S3E_InvalidRequest,
                           rs_pool_printf(c->pool,
                                          "AllowedOrigin \"%s\" can not have more than one "
                                          "wildcard.",
                                          r[i].origins[j]),
                           NULL);
                return -1;
            }
        for (j = 0; j < r[i].nheaders; j++)
            if (!one_wildcard(r[i].headers[j])) {
                rs_s3_fail(c, RS_S3E_InvalidRequest,
                           rs_pool_printf(c->pool,
                                          "AllowedHeader \"%s\" can not have more than one "
                                          "wildcard.",
                                          r[i].headers[j]),
                           NULL);
                return -1;
            }
    }
    return 0;
}

static void elems(rs_xml_t *x, const char *name, char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        rs_xml_elem(x, name, v[i]);
}

static void cors_xml(const rs_xml_cors_rule_t *r, size_t n, rs_buf_t *out)
{
    rs_xml_t *x = rs_xml_begin("CORSConfiguration", S3_NS);
    for (size_t i = 0; i < n; i++) {
        rs_xml_start(x, "CORSRule");
        if (r[i].id != NULL)
            rs_xml_elem(x, "ID", r[i].id);
        elems(x, "AllowedHeader", r[i].headers, r[i].nheaders);
        elems(x, "AllowedMethod", r[i].methods, r[i].nmethods);
        elems(x, "AllowedOrigin", r[i].origins, r[i].norigins);
        elems(x, "ExposeHeader", r[i].expose, r[i].nexpose);
        if (r[i].max_age >= 0)
            rs_xml_elemf(x, "MaxAgeSeconds", "%ld", r[i].max_age);
        rs_xml_end(x);
    }
    rs_xml_finish(x, out);
}

int rs_s3_cors_rules(rs_s3_call_t *c, const rs_bucket_t *b, rs_xml_cors_rule_t **r, size_t *n)
{
    uint8_t *doc;
    size_t len;
    int err = rs_s3_cfg_get(c, b, "cors", &doc, &len);
    if (err != 0)
        return err;
    return rs_xml_parse_cors(c->pool, doc, len, CORS_RULES_MAX, r, n) != 0 ? RS_EPOISON : 0;
}

void rs_s3_put_bucket_cors(rs_s3_call_t *c)
{
    rs_bucket_t b;
    rs_xml_cors_rule_t *r;
    size_t n;
    rs_buf_t doc;
    int err;

    if (rs_s3_bucket_get(c, c->bucket, &b) != 0 || rs_s3_body_check_plain(c) != 0)
        return;
    if (rs_xml_parse_cors(c->pool, c->req->body, c->req->body_len, CORS_RULES_MAX, &r, &n) != 0) {
        rs_s3_fail(c, RS_S3E_MalformedXML, NULL, NULL);
        return;
    }
    if (cors_check(c, r, n) != 0)
        return;
    rs_buf_init(&doc);
    cors_xml(r, n, &doc);
    err = rs_s3_cfg_put(c, &b, "cors", doc.data, doc.len);
    rs_buf_free(&doc);
    if (err == RS_ENOENT) {
        rs_s3_fail(c, RS_S3E_NoSuchBucket, NULL, "BucketName", c->bucket, NULL);
        return;
    }
    if (err != 0) {
        rs_s3_store_fail(c, err);
        return;
    }
    c->resp->status = 200;
}

void rs_s3_get_bucket_cors(rs_s3_call_t *c)
{
    rs_s3_cfg_answer(c, "cors", RS_S3E_NoSuchCORSConfiguration);
}

void rs_s3_delete_bucket_cors(rs_s3_call_t *c)
{
    rs_s3_cfg_remove(c, "cors");
}
