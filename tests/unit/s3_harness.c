/*
 * s3_harness.c: the shared S3 unit-test harness (s3_harness.h): one store and S3 context,
 * requests through rs_s3_handle without sockets. Runs in: the test process.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "s3_harness.h"

rs_store_t *rs_s3h_store;
rs_s3_ctx_t rs_s3h_ctx;
static rs_cred_t cred = {"test", "test", "000000000000"};

void rs_s3h_setup(void)
{
    rs_store_conf_t conf = {0};
    char name[64];
    conf.capacity_bytes = 64u << 20;
    conf.max_objects = 4096;
    conf.max_buckets = 64;
    conf.max_workers = 2;
    conf.max_object_size = 16u << 20;
    snprintf(name, sizeof name, "/rs-test-s3h-%d", (int)getpid());
    cr_assert_eq(rs_store_create(name, &conf, &rs_s3h_store), 0);
    cr_assert_eq(rs_store_attach(rs_s3h_store, 0), 0);
    memset(&rs_s3h_ctx, 0, sizeof rs_s3h_ctx);
    rs_s3h_ctx.store = rs_s3h_store;
    rs_s3h_ctx.creds = &cred;
    rs_s3h_ctx.ncreds = 1;
    rs_s3h_ctx.default_account = "000000000000";
    rs_s3h_ctx.default_region = "us-east-1";
    rs_s3h_ctx.max_object_size = conf.max_object_size;
}

void rs_s3h_teardown(void)
{
    rs_store_detach(rs_s3h_store);
    rs_store_destroy(rs_s3h_store, 1);
}

rs_s3h_call_t *rs_s3h_run(const char *method, const char *target, const void *body, size_t blen,
                          ...)
{
    rs_s3h_call_t *c = calloc(1, sizeof *c);
    const char *q = strchr(target, '?');
    rs_route_t route;
    const char *p, *slash;
    va_list ap;
    size_t i;

    rs_pool_init(&c->pool);
    c->req.pool = &c->pool;
    c->req.method = method;
    c->req.path = target;
    c->req.path_len = q ? (size_t)(q - target) : strlen(target);
    c->req.query = q ? q + 1 : NULL;
    c->req.query_len = q ? strlen(q + 1) : 0;
    c->req.host = "localhost:4566";
    c->req.host_len = strlen(c->req.host);
    c->req.body = body;
    c->req.body_len = blen;
    c->req.has_content_length = 1;
    strcpy(c->req.request_id, "0123456789ABCDEF");
    va_start(ap, blen);
    for (i = 0; i < 16; i++) {
        const char *n = va_arg(ap, const char *);
        if (n == NULL)
            break;
        c->hdrs[i].name = n;
        c->hdrs[i].name_len = strlen(n);
        c->hdrs[i].value = va_arg(ap, const char *);
        c->hdrs[i].value_len = strlen(c->hdrs[i].value);
    }
    va_end(ap);
    c->req.headers = c->hdrs;
    c->req.num_headers = i;

    memset(&route, 0, sizeof route);
    route.kind = RS_ROUTE_S3;
    p = target + 1;
    if (c->req.path_len > 1) {
        slash = memchr(p, '/', c->req.path_len - 1);
        route.bucket = p;
        route.bucket_len = slash ? (size_t)(slash - p) : c->req.path_len - 1;
        if (slash && (size_t)(slash + 1 - target) < c->req.path_len) {
            route.key = slash + 1;
            route.key_len = c->req.path_len - (size_t)(slash + 1 - target);
        }
    }
    rs_http_resp_init(&c->resp, &c->pool);
    rs_s3_handle(&rs_s3h_ctx, &c->req, &route, &c->resp);
    if (c->resp.zc_nseg > 0) {
        for (i = 0; i < c->resp.zc_nseg; i++) {
            cr_assert(c->body_len + c->resp.zc[i].iov_len < sizeof c->body);
            memcpy(c->body + c->body_len, c->resp.zc[i].iov_base, c->resp.zc[i].iov_len);
            c->body_len += c->resp.zc[i].iov_len;
        }
    } else if (c->resp.body.len > 0) {
        cr_assert(c->resp.body.len < sizeof c->body);
        memcpy(c->body, c->resp.body.data, c->resp.body.len);
        c->body_len = c->resp.body.len;
    }
    c->body[c->body_len] = '\0';
    return c;
}

void rs_s3h_done(rs_s3h_call_t *c)
{
    if (c->resp.on_dispose != NULL)
        c->resp.on_dispose(c->resp.dispose_arg);
    rs_http_resp_free(&c->resp);
    rs_pool_clear(&c->pool);
    free(c);
}

const char *rs_s3h_hdr(rs_s3h_call_t *c, const char *name)
{
    size_t i;
    for (i = 0; i < c->resp.num_headers; i++)
        if (strcasecmp(c->resp.headers[i].name, name) == 0)
            return c->resp.headers[i].value;
    return NULL;
}

void rs_s3h_expect(rs_s3h_call_t *c, int status, const char *needle)
{
    cr_expect_eq(c->resp.status, status, "status %d, want %d; body: %s", c->resp.status, status,
                 c->body);
    if (needle != NULL)
        cr_expect(strstr(c->body, needle) != NULL, "body lacks %s: %s", needle, c->body);
    rs_s3h_done(c);
}
