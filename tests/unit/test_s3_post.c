/*
 * test_s3_post.c: S3 POST object driven without sockets (rs_s3_handle over a real
 * shared-memory store): policy documents of every odd shape (nulls, floats, deep nesting,
 * huge numbers, non-string values) get AWS's 400/403 answers and never a 500; the form's
 * bytes are stored exactly; ${filename}; the 201 document. Runs in: the test process
 * (plays the role of one worker).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "rs/codec.h"
#include "rs/s3.h"

static rs_store_t *store;
static rs_s3_ctx_t ctx;
static rs_cred_t cred = {"test", "test", "000000000000"};

static void setup(void)
{
    rs_store_conf_t conf = {0};
    char name[64];
    conf.capacity_bytes = 64u << 20;
    conf.max_objects = 4096;
    conf.max_buckets = 64;
    conf.max_workers = 2;
    conf.max_object_size = 16u << 20;
    snprintf(name, sizeof name, "/rs-test-s3post-%d", (int)getpid());
    cr_assert_eq(rs_store_create(name, &conf, &store), 0);
    cr_assert_eq(rs_store_attach(store, 0), 0);
    memset(&ctx, 0, sizeof ctx);
    ctx.store = store;
    ctx.creds = &cred;
    ctx.ncreds = 1;
    ctx.default_account = "000000000000";
    ctx.default_region = "us-east-1";
    ctx.max_object_size = conf.max_object_size;
}

static void teardown(void)
{
    rs_store_detach(store);
    rs_store_destroy(store, 1);
}

typedef struct call {
    rs_pool_t pool;
    rs_http_req_t req;
    rs_http_resp_t resp;
    rs_hdr_t hdrs[16];
    char body[4096]; /* NUL-terminated copy of the response body (or zero-copy bytes) */
    size_t body_len;
} call_t;

/* path like "/bucket/key?query"; headers as "name", "value" pairs ending with NULL */
static call_t *run(const char *method, const char *target, const void *body, size_t blen, ...)
{
    call_t *c = calloc(1, sizeof *c);
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
    rs_s3_handle(&ctx, &c->req, &route, &c->resp);
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

static void done(call_t *c)
{
    if (c->resp.on_dispose != NULL)
        c->resp.on_dispose(c->resp.dispose_arg);
    rs_http_resp_free(&c->resp);
    rs_pool_clear(&c->pool);
    free(c);
}

static const char *hdr(call_t *c, const char *name)
{
    size_t i;
    for (i = 0; i < c->resp.num_headers; i++)
        if (strcasecmp(c->resp.headers[i].name, name) == 0)
            return c->resp.headers[i].value;
    return NULL;
}

static void expect(call_t *c, int status, const char *needle)
{
    cr_expect_eq(c->resp.status, status, "status %d, want %d; body: %s", c->resp.status, status,
                 c->body);
    if (needle != NULL)
        cr_expect(strstr(c->body, needle) != NULL, "body lacks %s: %s", needle, c->body);
    done(c);
}

#define CT "multipart/form-data; boundary=XX"

/* a form body: name/value pairs (NULL-terminated), then the file */
static char *form(const char *filename, const char *file, ...)
{
    rs_buf_t b;
    va_list ap;
    rs_buf_init(&b);
    va_start(ap, file);
    for (;;) {
        const char *n = va_arg(ap, const char *);
        if (n == NULL)
            break;
        rs_buf_printf(&b, "--XX\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n", n,
                      va_arg(ap, const char *));
    }
    va_end(ap);
    rs_buf_printf(&b,
                  "--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
                  "Content-Type: application/octet-stream\r\n\r\n%s\r\n--XX--\r\n",
                  filename, file);
    rs_buf_append(&b, "", 1);
    return b.data;
}

static char *b64(const char *s)
{
    char *out = malloc(strlen(s) * 2 + 8);
    rs_base64_encode((const uint8_t *)s, strlen(s), out);
    return out;
}

static void future(char out[32])
{
    time_t t = time(NULL) + 3600;
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
}

static call_t *post_policy(const char *policy_json)
{
    char *p = b64(policy_json);
    char *body = form("f.txt", "data", "key", "k", "AWSAccessKeyId", "test", "signature", "c2ln",
                      "policy", p, NULL);
    call_t *c = run("POST", "/bkt", body, strlen(body), "content-type", CT, NULL);
    free(p);
    /* the body must outlive nothing after run(): the store copied the bytes */
    free(body);
    return c;
}

Test(s3_post, odd_policies_never_answer_500, .init = setup, .fini = teardown)
{
    char exp[32], doc[512];
    future(exp);
    expect(run("PUT", "/bkt", NULL, 0, NULL), 200, NULL);
    static const struct {
        const char *conditions; /* JSON after "conditions": */
        int status;
        const char *needle;
    } cases[] = {
        {"null", 400, "Invalid Policy: Invalid 'conditions' value: must be a List."},
        {"[null]", 400, "Invalid condition test: must be a List or Object."},
        {"[[null, 1, 2]]", 400, "missing operation identifier"},
        {"[[\"eq\", null, null]]", 403,
         "Policy Condition failed: [&quot;eq&quot;, &quot;null&quot;"},
        {"[[\"content-length-range\", 0.5, 1e30]]", 403, "Policy Condition failed"},
        {"[[\"content-length-range\", 0, 99999999999999999999999]]", 403,
         "Extra input fields: key"}, /* the bound holds (saturated); key is not named */
        {"[[\"content-length-range\", -5, -1]]", 400, "EntityTooLarge"},
        {"[[\"starts-with\", \"$key\", [[[[[[[[[[1]]]]]]]]]]]]", 400, "Invalid JSON."},
        {"[{\"key\": 1}]", 400, "Invalid Simple-Condition: value must be a string."},
        {"[{}]", 400, "Simple-Conditions must have exactly one property specified."},
        {"[[\"EQ\", \"$KEY\", \"k\"], {\"bucket\": \"bkt\"}]", 204, NULL},
        {"[[\"starts-with\", \"$key\", \"\"], [\"eq\", \"$bucket\", \"bkt\"]]", 204, NULL},
        {"[[\"starts-with\", \"$key\", \"\"], {\"x-amz-meta-none\": \"\"}]", 204, NULL},
        {"[[\"eq\", \"$key\", \"k\"], [\"eq\", \"$bucket\", \"other\"]]", 403,
         "[&quot;eq&quot;, &quot;$bucket&quot;, &quot;other&quot;]"},
        {"[[\"eq\", \"$key\", \"k\\\"q\"]]", 403, "&quot;k\\&quot;q&quot;"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(doc, sizeof doc, "{\"expiration\": \"%s\", \"conditions\": %s}", exp,
                 cases[i].conditions);
        call_t *c = post_policy(doc);
        cr_expect_eq(c->resp.status, cases[i].status, "case %zu: status %d: %s", i, c->resp.status,
                     c->body);
        if (cases[i].needle != NULL)
            cr_expect(strstr(c->body, cases[i].needle) != NULL, "case %zu: %s", i, c->body);
        done(c);
    }
    static const char *const docs[] = {
        "[]",
        "\"x\"",
        "{\"expiration\": 5, \"conditions\": []}",
        "{\"expiration\": \"2099-13-01T00:00:00Z\", \"conditions\": []}",
        "{} trailing",
        ""};
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        call_t *c = post_policy(docs[i]);
        cr_expect_eq(c->resp.status, 400, "doc %zu: %d %s", i, c->resp.status, c->body);
        cr_expect(strstr(c->body, "<Code>InvalidPolicyDocument</Code>") != NULL, "%s", c->body);
        done(c);
    }
}

Test(s3_post, stores_the_file_and_answers_201, .init = setup, .fini = teardown)
{
    expect(run("PUT", "/bkt", NULL, 0, NULL), 200, NULL);
    char *body = form("photo.png", "\r\n--XY\r\nbytes", "KEY", "in/${filename}",
                      "success_action_status", "201", "x-amz-meta-Who", "me", NULL);
    call_t *c = run("POST", "/bkt", body, strlen(body), "content-type", CT, NULL);
    free(body);
    cr_expect_eq(c->resp.status, 201, "%s", c->body);
    cr_expect(strstr(c->body, "<Key>in/photo.png</Key>") != NULL, "%s", c->body);
    cr_expect(strstr(c->body, "<Location>http://localhost:4566/bkt/in/photo.png</Location>") !=
                  NULL,
              "%s", c->body);
    done(c);
    c = run("GET", "/bkt/in/photo.png", NULL, 0, NULL);
    cr_expect_eq(c->resp.status, 200);
    cr_expect_eq(c->body_len, 13);
    cr_expect(memcmp(c->body, "\r\n--XY\r\nbytes", 13) == 0);
    cr_expect_str_eq(hdr(c, "x-amz-meta-who"), "me");
    done(c);
}
