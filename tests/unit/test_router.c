/*
 * test_router.c: rs_route over hand-built requests: rule order, the Lambda path table,
 * credential scopes, the API Gateway invoke URLs (execute-api hosts, /_aws/execute-api,
 * /restapis), path-style and virtual-hosted S3 addressing. Runs in: the test.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "rs/router.h"

typedef struct treq {
    rs_http_req_t req;
    rs_hdr_t hdrs[4];
    rs_route_t r;
} treq_t;

static treq_t T;

/* path may carry "?query"; hname/hval: one optional extra header */
static const rs_route_t *route3(const char *path, const char *host, const char *hname,
                                const char *hval, const char *hostname)
{
    rs_router_conf_t conf = {hostname};
    memset(&T, 0, sizeof(T));
    const char *q = strchr(path, '?');
    T.req.method = "GET";
    T.req.path = path;
    T.req.path_len = q ? (size_t)(q - path) : strlen(path);
    if (q) {
        T.req.query = q + 1;
        T.req.query_len = strlen(q + 1);
    }
    T.req.host = host;
    T.req.host_len = host ? strlen(host) : 0;
    if (hname) {
        T.hdrs[0].name = hname;
        T.hdrs[0].name_len = strlen(hname);
        T.hdrs[0].value = hval;
        T.hdrs[0].value_len = strlen(hval);
        T.req.num_headers = 1;
    }
    T.req.headers = T.hdrs;
    rs_route(&T.req, &conf, &T.r);
    return &T.r;
}

static const rs_route_t *route(const char *path, const char *host)
{
    return route3(path, host, NULL, NULL, "localhost");
}

#define EXPECT_STR(p, n, s)                                                                        \
    do {                                                                                           \
        cr_assert_not_null((p), "expected \"%s\"", (s));                                           \
        cr_assert_eq((n), strlen(s), "length %zu, expected %zu for \"%s\"", (size_t)(n),           \
                     strlen(s), (s));                                                              \
        cr_assert(memcmp((p), (s), (n)) == 0, "got \"%.*s\", expected \"%s\"", (int)(n), (p),      \
                  (s));                                                                            \
    } while (0)

static void expect_str(const char *what, const char *p, size_t n, const char *s)
{
    if (s == NULL) {
        cr_assert_null(p, "%s should be NULL, got \"%.*s\"", what, (int)n, p);
        return;
    }
    cr_assert_not_null(p, "%s: expected \"%s\", got NULL", what, s);
    cr_assert(n == strlen(s) && memcmp(p, s, n) == 0, "%s: got \"%.*s\", expected \"%s\"", what,
              (int)n, p, s);
}

static void expect_s3(const rs_route_t *r, const char *b, const char *k, int vh)
{
    cr_assert_eq(r->kind, RS_ROUTE_S3, "kind %d, expected S3", (int)r->kind);
    expect_str("bucket", r->bucket, r->bucket_len, b);
    expect_str("key", r->key, r->key_len, k);
    cr_assert_eq(r->virtual_host, vh, "virtual_host %d, expected %d", r->virtual_host, vh);
}

#define EXPECT_S3(r, b, k, vh) expect_s3((r), (b), (k), (vh))

/* ---- internal ------------------------------------------------------------------------ */

Test(router, internal_endpoints)
{
    const rs_route_t *r = route("/_ruststack/health", "localhost:4566");
    cr_assert_eq(r->kind, RS_ROUTE_INTERNAL);
    EXPECT_STR(r->rest, r->rest_len, "health");
    r = route("/_ruststack/reset?x=1", "127.0.0.1:4566");
    cr_assert_eq(r->kind, RS_ROUTE_INTERNAL);
    EXPECT_STR(r->rest, r->rest_len, "reset");
    r = route("/_ruststack", "localhost");
    cr_assert_eq(r->kind, RS_ROUTE_INTERNAL);
    cr_assert_eq(r->rest_len, 0);
}

Test(router, internal_prefix_needs_segment_boundary)
{
    /* "/_ruststackx" is not internal (and not a valid bucket either: S3 reports that) */
    EXPECT_S3(route("/_ruststackx/a", "localhost"), "_ruststackx", "a", 0);
}

Test(router, internal_wins_over_dynamodb_target)
{
    const rs_route_t *r = route3("/_ruststack/health", "localhost", "x-amz-target",
                                 "DynamoDB_20120810.ListTables", NULL);
    cr_assert_eq(r->kind, RS_ROUTE_INTERNAL);
}

/* ---- DynamoDB -------------------------------------------------------------------------- */

Test(router, dynamodb_by_target)
{
    const rs_route_t *r =
        route3("/", "localhost:4566", "x-amz-target", "DynamoDB_20120810.PutItem", NULL);
    cr_assert_eq(r->kind, RS_ROUTE_DYNAMODB);
    EXPECT_STR(r->rest, r->rest_len, "PutItem");
}

Test(router, dynamodb_by_credential_scope_without_target)
{
    const rs_route_t *r =
        route3("/", "localhost:4566", "authorization",
               "AWS4-HMAC-SHA256 Credential=AKID/20261123/us-east-1/dynamodb/aws4_request, "
               "SignedHeaders=host;x-amz-date, Signature=0000",
               NULL);
    cr_assert_eq(r->kind, RS_ROUTE_DYNAMODB);
    r = route3("/", "localhost:4566", "authorization",
               "AWS4-HMAC-SHA256 Credential=AKID/20261123/us-east-1/s3/aws4_request, "
               "SignedHeaders=host;x-amz-date, Signature=0000",
               NULL);
    cr_assert_eq(r->kind, RS_ROUTE_S3);
}

Test(router, dynamodb_header_name_case_insensitive)
{
    const rs_route_t *r =
        route3("/", "localhost:4566", "X-Amz-Target", "DynamoDB_20120810.Scan", NULL);
    cr_assert_eq(r->kind, RS_ROUTE_DYNAMODB);
}

Test(router, other_targets_are_not_dynamodb)
{
    const rs_route_t *r = route3("/", "localhost", "x-amz-target", "AmazonSQS.SendMessage", NULL);
    EXPECT_S3(r, NULL, NULL, 0);
    r = route3("/", "localhost", "x-amz-target", "DynamoDB_20111205.Scan", NULL);
    cr_assert_eq(r->kind, RS_ROUTE_S3);
}

/* ---- Lambda ---------------------------------------------------------------------------- */

Test(router, lambda_paths)
{
    static const char *const paths[] = {
        "/2015-03-31/functions",
        "/2015-03-31/functions/",
        "/2015-03-31/functions/my-fn",
        "/2015-03-31/functions/my-fn/invocations",
        "/2015-03-31/functions/f%3Aprod/configuration",
        "/2015-03-31/event-source-mappings/",
        "/2017-03-31/tags/arn%3Aaws%3Alambda",
        "/2021-10-31/functions/fn/url",
        "/2019-09-25/functions/fn/event-invoke-config",
        "/2018-10-31/layers",
    };
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        const rs_route_t *r = route(paths[i], "localhost:4566");
        cr_assert_eq(r->kind, RS_ROUTE_LAMBDA, "%s should be Lambda", paths[i]);
        EXPECT_STR(r->rest, r->rest_len, paths[i]);
    }
}

Test(router, lambda_prefix_needs_segment_boundary)
{
    EXPECT_S3(route("/2015-03-31/functionsX", "localhost"), "2015-03-31", "functionsX", 0);
    EXPECT_S3(route("/2015-03-31/other", "localhost"), "2015-03-31", "other", 0);
}

Test(router, lambda_by_credential_scope)
{
    const rs_route_t *r =
        route3("/some/unknown/path", "localhost:4566", "authorization",
               "AWS4-HMAC-SHA256 Credential=test/20261123/us-east-1/lambda/aws4_request, "
               "SignedHeaders=host;x-amz-date, Signature=abc",
               NULL);
    cr_assert_eq(r->kind, RS_ROUTE_LAMBDA);
}

Test(router, lambda_path_yields_to_s3_scope)
{
    /* a bucket called 2015-03-31, signed for S3 */
    const rs_route_t *r =
        route3("/2015-03-31/functions/x", "localhost:4566", "authorization",
               "AWS4-HMAC-SHA256 Credential=test/20261123/us-east-1/s3/aws4_request, "
               "SignedHeaders=host, Signature=abc",
               NULL);
    EXPECT_S3(r, "2015-03-31", "functions/x", 0);
}

Test(router, lambda_scope_from_presigned_query)
{
    const rs_route_t *r = route(
        "/x?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20261123%2Fus-east-1%2Flambda"
        "%2Faws4_request&X-Amz-Signature=00",
        "localhost");
    cr_assert_eq(r->kind, RS_ROUTE_LAMBDA);
    r = route("/b/k?X-Amz-Credential=AK%2F20261123%2Fus-east-1%2Fs3%2Faws4_request", "localhost");
    EXPECT_S3(r, "b", "k", 0);
}

Test(router, sigv2_is_s3)
{
    const rs_route_t *r =
        route3("/bkt/k", "localhost", "authorization", "AWS test:c2lnbmF0dXJl", NULL);
    EXPECT_S3(r, "bkt", "k", 0);
}

/* ---- API Gateway proxy ----------------------------------------------------------------- */

Test(router, apigw_proxy_path)
{
    const rs_route_t *r =
        route("/restapis/abc123/prod/_user_request_/hello/world?x=1", "localhost");
    cr_assert_eq(r->kind, RS_ROUTE_APIGW);
    EXPECT_STR(r->rest, r->rest_len, "abc123/prod/_user_request_/hello/world");
}

Test(router, apigw_yields_to_s3_scope)
{
    const rs_route_t *r = route3(
        "/restapis/key", "localhost", "authorization",
        "AWS4-HMAC-SHA256 Credential=AK/20261123/eu-west-1/s3/aws4_request,SignedHeaders=host,"
        "Signature=1",
        NULL);
    EXPECT_S3(r, "restapis", "key", 0);
}

static void expect_apigw(const rs_route_t *r, rs_apigw_form_t form, const char *rest,
                         const char *api_id, const char *region)
{
    cr_assert_eq(r->kind, RS_ROUTE_APIGW, "kind %d, expected APIGW", (int)r->kind);
    cr_assert_eq(r->apigw_form, form, "form %d, expected %d", (int)r->apigw_form, (int)form);
    expect_str("rest", r->rest, r->rest_len, rest);
    expect_str("api_id", r->api_id, r->api_id_len, api_id);
    expect_str("api_region", r->api_region, r->api_region_len, region);
}

Test(router, apigw_restapis_form)
{
    expect_apigw(route("/restapis/abc123/prod/_user_request_/x", "localhost:4566"),
                 RS_APIGW_RESTAPIS, "abc123/prod/_user_request_/x", NULL, NULL);
}

Test(router, apigw_execute_api_hosts)
{
    static const struct {
        const char *host, *id, *region;
    } ok[] = {
        {"abc123.execute-api.localhost", "abc123", NULL},
        {"abc123.execute-api.localhost:4566", "abc123", NULL},
        {"My_Fn.EXECUTE-API.LOCALHOST:4566", "My_Fn", NULL},
        {"fn.execute-api.localhost.", "fn", NULL},
        {"fn.execute-api.eu-west-2.localhost:4566", "fn", "eu-west-2"},
        {"fn.execute-api.localhost.localstack.cloud:4566", "fn", NULL},
        {"fn.execute-api.us-east-2.localhost.localstack.cloud", "fn", "us-east-2"},
        {"a1b2c3d4e5.execute-api.eu-central-1.amazonaws.com", "a1b2c3d4e5", "eu-central-1"},
        {"a1b2c3d4e5.execute-api.eu-central-1.amazonaws.com:443", "a1b2c3d4e5", "eu-central-1"},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        expect_apigw(route("/dev/login?next=%2F", ok[i].host), RS_APIGW_HOST, "/dev/login",
                     ok[i].id, ok[i].region);
    /* the whole path is the API's, even the root */
    expect_apigw(route("/", "fn.execute-api.localhost"), RS_APIGW_HOST, "/", "fn", NULL);
    expect_apigw(route("", "fn.execute-api.localhost"), RS_APIGW_HOST, "", "fn", NULL);
}

Test(router, apigw_execute_api_configured_hostname)
{
    const rs_route_t *r =
        route3("/v1/x", "fn.execute-api.emu.example.org:4566", NULL, NULL, "emu.example.org");
    expect_apigw(r, RS_APIGW_HOST, "/v1/x", "fn", NULL);
    r = route3("/v1/x", "fn.execute-api.ap-south-1.emu.example.org", NULL, NULL, "emu.example.org");
    expect_apigw(r, RS_APIGW_HOST, "/v1/x", "fn", "ap-south-1");
    /* without the setting: not an invoke host */
    r = route3("/v1/x", "fn.execute-api.emu.example.org", NULL, NULL, NULL);
    cr_assert_neq(r->kind, RS_ROUTE_APIGW);
}

Test(router, apigw_not_execute_api_hosts)
{
    static const char *const hosts[] = {
        "execute-api.localhost:4566",          /* no api id: a bucket "execute-api" */
        ".execute-api.localhost",              /* empty id */
        "a.b.execute-api.localhost",           /* the id is one label */
        "fn.execute-api.amazonaws.com",        /* AWS's form names a region */
        "fn.execute-api.example.com",          /* not a base of ours */
        "fn.execute-api.notaregion.localhost", /* not a region */
        "fn.execute-api.",                     /* nothing after */
        "fn.execute-apix.localhost",           /* not the label */
        "fn.s3.localhost",                     /* S3 */
        "[::1]:4566",
    };
    for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
        cr_assert_neq(route("/dev/x", hosts[i])->kind, RS_ROUTE_APIGW, "%s", hosts[i]);
    EXPECT_S3(route("/k", "execute-api.localhost"), "execute-api", "k", 1);
}

Test(router, apigw_host_wins_over_services_but_not_internal)
{
    const rs_route_t *r = route3("/", "fn.execute-api.localhost:4566", "x-amz-target",
                                 "DynamoDB_20120810.ListTables", NULL);
    expect_apigw(r, RS_APIGW_HOST, "/", "fn", NULL);
    r = route3("/2015-03-31/functions/x/invocations", "fn.execute-api.localhost", "authorization",
               "AWS4-HMAC-SHA256 Credential=AK/20261123/us-east-1/lambda/aws4_request, "
               "SignedHeaders=host, Signature=0",
               NULL);
    expect_apigw(r, RS_APIGW_HOST, "/2015-03-31/functions/x/invocations", "fn", NULL);
    r = route("/_ruststack/health", "fn.execute-api.localhost");
    cr_assert_eq(r->kind, RS_ROUTE_INTERNAL);
}

Test(router, apigw_path_form)
{
    expect_apigw(route("/_aws/execute-api/fn/dev/a/b?x=1", "127.0.0.1:4566"), RS_APIGW_PATH,
                 "fn/dev/a/b", NULL, NULL);
    expect_apigw(route("/_aws/execute-api/fn/dev", "localhost"), RS_APIGW_PATH, "fn/dev", NULL,
                 NULL);
    expect_apigw(route("/_aws/execute-api", "localhost"), RS_APIGW_PATH, "", NULL, NULL);
    expect_apigw(route("/_aws/execute-api/", "localhost"), RS_APIGW_PATH, "", NULL, NULL);
    /* a segment boundary */
    cr_assert_eq(route("/_aws/execute-apix/fn/dev", "localhost")->kind, RS_ROUTE_S3);
}

/* ---- S3 path-style ----------------------------------------------------------------------- */

Test(router, s3_list_buckets)
{
    EXPECT_S3(route("/", "localhost:4566"), NULL, NULL, 0);
    EXPECT_S3(route("/?x-id=ListBuckets", "127.0.0.1:4566"), NULL, NULL, 0);
    EXPECT_S3(route("", "localhost"), NULL, NULL, 0);
}

Test(router, s3_path_style_bucket_and_key)
{
    EXPECT_S3(route("/bucket", "localhost:4566"), "bucket", NULL, 0);
    EXPECT_S3(route("/bucket/", "localhost:4566"), "bucket", NULL, 0);
    EXPECT_S3(route("/bucket?list-type=2", "localhost:4566"), "bucket", NULL, 0);
    EXPECT_S3(route("/bucket/key.txt", "localhost:4566"), "bucket", "key.txt", 0);
    EXPECT_S3(route("/bucket/a/b/c", "127.0.0.1:4566"), "bucket", "a/b/c", 0);
    EXPECT_S3(route("/bucket/a%20b%2Bc.txt?versionId=x", "[::1]:4566"), "bucket", "a%20b%2Bc.txt",
              0);
}

Test(router, s3_keys_keep_double_slashes)
{
    EXPECT_S3(route("/bucket//a", "localhost"), "bucket", "/a", 0);
    EXPECT_S3(route("/bucket/a//b/", "localhost"), "bucket", "a//b/", 0);
    EXPECT_S3(route("/bucket/..%2Fx", "localhost"), "bucket", "..%2Fx", 0);
}

Test(router, s3_never_bucket_hosts)
{
    static const char *const hosts[] = {
        "localhost",
        "localhost:4566",
        "LOCALHOST:4566",
        "127.0.0.1",
        "127.0.0.1:4566",
        "[::1]:4566",
        "[::1]",
        "s3.amazonaws.com",
        "s3.us-west-2.amazonaws.com",
        "s3.localhost.localstack.cloud:4566",
        "s3.eu-central-1.localhost.localstack.cloud:4566",
        "localhost.localstack.cloud",
        "s3.localhost",
        "10.1.2.3:4566",
        "myhost:4566",
        "localhost.",
    };
    for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
        const rs_route_t *r = route("/bkt/key", hosts[i]);
        cr_assert_eq(r->virtual_host, 0, "host %s must not be virtual-hosted", hosts[i]);
        EXPECT_S3(r, "bkt", "key", 0);
    }
}

Test(router, s3_no_host_header)
{
    EXPECT_S3(route("/bkt/key", NULL), "bkt", "key", 0);
}

/* ---- S3 virtual-hosted ----------------------------------------------------------------- */

Test(router, s3_virtual_localhost)
{
    EXPECT_S3(route("/", "bucket.localhost:4566"), "bucket", NULL, 1);
    EXPECT_S3(route("/key/x", "bucket.localhost:4566"), "bucket", "key/x", 1);
    EXPECT_S3(route("/k", "bucket.localhost"), "bucket", "k", 1);
    EXPECT_S3(route("/k", "my.dotted.bucket.localhost:4566"), "my.dotted.bucket", "k", 1);
    EXPECT_S3(route("/k", "bucket.s3.localhost:4566"), "bucket", "k", 1);
}

Test(router, s3_virtual_localstack_cloud)
{
    EXPECT_S3(route("/k", "bucket.s3.localhost.localstack.cloud:4566"), "bucket", "k", 1);
    EXPECT_S3(route("/k", "b.s3.us-east-2.localhost.localstack.cloud:4566"), "b", "k", 1);
    EXPECT_S3(route("/k", "my.b.s3.localhost.localstack.cloud"), "my.b", "k", 1);
    /* LocalStack requires ".s3.": without it this is not a virtual host */
    EXPECT_S3(route("/k/x", "b.localhost.localstack.cloud:4566"), "k", "x", 0);
}

Test(router, s3_virtual_amazonaws)
{
    EXPECT_S3(route("/k", "bucket.s3.amazonaws.com"), "bucket", "k", 1);
    EXPECT_S3(route("/k", "bucket.s3.eu-west-1.amazonaws.com"), "bucket", "k", 1);
    EXPECT_S3(route("/k", "bucket.s3-eu-west-1.amazonaws.com"), "bucket", "k", 1);
    EXPECT_S3(route("/k", "bucket.s3.dualstack.us-east-1.amazonaws.com"), "bucket", "k", 1);
    EXPECT_S3(route("/", "a.b.c.s3.amazonaws.com:443"), "a.b.c", NULL, 1);
    /* no s3 label: not an S3 endpoint, so path-style */
    EXPECT_S3(route("/x/y", "bucket.amazonaws.com"), "x", "y", 0);
}

Test(router, s3_virtual_configured_hostname)
{
    const rs_route_t *r =
        route3("/k", "bucket.emu.example.org:4566", NULL, NULL, "emu.example.org");
    EXPECT_S3(r, "bucket", "k", 1);
    r = route3("/b/k", "emu.example.org:4566", NULL, NULL, "emu.example.org");
    EXPECT_S3(r, "b", "k", 0);
    r = route3("/k", "bucket.s3.emu.example.org", NULL, NULL, "emu.example.org");
    EXPECT_S3(r, "bucket", "k", 1);
    /* without the setting the same host is path-style */
    r = route3("/b/k", "bucket.emu.example.org:4566", NULL, NULL, NULL);
    EXPECT_S3(r, "b", "k", 0);
}

Test(router, s3_virtual_ip_suffix)
{
    /* boto3 with an IP endpoint sends dotted bucket names as <bucket>.<ip> */
    EXPECT_S3(route("/k", "my.bucket.127.0.0.1:4566"), "my.bucket", "k", 1);
    EXPECT_S3(route("/b/k", "1.2.3.4.5:4566"), "1", "b/k", 1);
}

Test(router, s3_virtual_key_keeps_slashes)
{
    EXPECT_S3(route("//a//b", "bucket.localhost"), "bucket", "/a//b", 1);
}

Test(router, s3_dynamodb_target_on_bucket_host_is_dynamodb)
{
    const rs_route_t *r =
        route3("/", "bucket.localhost", "x-amz-target", "DynamoDB_20120810.GetItem", NULL);
    cr_assert_eq(r->kind, RS_ROUTE_DYNAMODB);
}

Test(router, function_url_hosts_and_path)
{
    expect_apigw(
        route("/x?y=1", "abcdefghij0123456789abcdefghij01.lambda-url.eu-west-1.localhost:4566"),
        RS_APIGW_URL, "/x", "abcdefghij0123456789abcdefghij01", "eu-west-1");
    expect_apigw(route("/", "u1.lambda-url.us-east-1.localhost.localstack.cloud"), RS_APIGW_URL,
                 "/", "u1", "us-east-1");
    /* the region is required in a function URL host */
    cr_assert_neq(route("/", "u1.lambda-url.localhost")->kind, RS_ROUTE_APIGW);
    expect_apigw(route("/_aws/lambda-url/u1/a/b", "localhost:4566"), RS_APIGW_URL, "/a/b", "u1",
                 NULL);
    expect_apigw(route("/_aws/lambda-url/u1", "127.0.0.1"), RS_APIGW_URL, "", "u1", NULL);
}

static int only_api_example(void *arg, const char *host, size_t n)
{
    (*(int *)arg)++;
    return n == strlen("api.example.com") && strncasecmp(host, "api.example.com", n) == 0;
}

Test(router, custom_domains_by_callback)
{
    int asked = 0;
    rs_router_conf_t conf = {"localhost", only_api_example, &asked};
    memset(&T, 0, sizeof(T));
    T.req.method = "GET";
    T.req.path = "/v1/items";
    T.req.path_len = strlen(T.req.path);
    T.req.host = "API.example.com:4566";
    T.req.host_len = strlen(T.req.host);
    T.req.headers = T.hdrs;
    rs_route(&T.req, &conf, &T.r);
    expect_apigw(&T.r, RS_APIGW_DOMAIN, "/v1/items", "API.example.com", NULL);
    cr_assert_eq(asked, 1);
    /* another host: S3 as before; a host without a dot is never asked about */
    T.req.host = "other.example.com";
    T.req.host_len = strlen(T.req.host);
    rs_route(&T.req, &conf, &T.r);
    cr_assert_eq(T.r.kind, RS_ROUTE_S3);
    T.req.host = "ruststack:4566";
    T.req.host_len = strlen(T.req.host);
    rs_route(&T.req, &conf, &T.r);
    cr_assert_eq(T.r.kind, RS_ROUTE_S3);
    /* nor is an IP address literal (the S3 hot path of clients using 127.0.0.1) */
    T.req.host = "127.0.0.1:4566";
    T.req.host_len = strlen(T.req.host);
    rs_route(&T.req, &conf, &T.r);
    cr_assert_eq(T.r.kind, RS_ROUTE_S3);
    cr_assert_eq(asked, 2);
}

Test(router, apigateway_control_plane_by_scope)
{
    const rs_route_t *r =
        route3("/restapis", "localhost:4566", "authorization",
               "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/apigateway/aws4_request, "
               "SignedHeaders=host, Signature=00",
               "localhost");
    cr_assert_eq(r->kind, RS_ROUTE_APIGATEWAY);
    r = route3("/v2/apis", "localhost:4566", "authorization",
               "AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/apigateway/aws4_request, "
               "SignedHeaders=host, Signature=00",
               "localhost");
    cr_assert_eq(r->kind, RS_ROUTE_APIGATEWAY);
}
