/*
 * test_apigw.c: the API Gateway v1 proxy without sockets (src/proto/apigw_*.c,
 * src/http/apigw_reply.c): address parsing for every invoke URL form (execute-api hosts,
 * /_aws/execute-api, /restapis; good and bad paths, the root, the ARN form), the
 * resolution to a function with its region and account, the payload-format-1.0 event (every key,
 * multi-value order, raw path, decoded query, base64 bodies, nulls, the stage in
 * requestContext.path, X-Forwarded-*), and the result mapping (every lambda.md 6.2 rule, the
 * 500/502 cases, header merging, base64 bodies, string status codes), and the 403 for unknown
 * routes. Runs in: the test process.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rs/apigw.h"
#include "rs/err.h"
#include "rs/log.h"

static rs_pool_t pool;
static rs_http_req_t req;
static rs_http_resp_t resp;
static rs_route_t route;
static rs_hdr_t hdrs[16];

static void setup(void)
{
    rs_log_set_level(RS_LOG_CRIT); /* the 502/500 paths log a warning each */
    rs_pool_init(&pool);
    memset(&req, 0, sizeof(req));
    req.pool = &pool;
    req.method = "GET";
    req.headers = hdrs;
    snprintf(req.request_id, sizeof(req.request_id), "REQID0123456789A");
    /* the caller's identity (rs_http_set_identity in the worker) */
    snprintf(req.region, sizeof(req.region), "us-east-1");
    snprintf(req.account, sizeof(req.account), "111122223333");
    rs_http_resp_init(&resp, &pool);
}

static void teardown(void)
{
    rs_http_resp_free(&resp);
    rs_pool_clear(&pool);
}

TestSuite(apigw, .init = setup, .fini = teardown);

static void add_hdr(const char *name, const char *value)
{
    hdrs[req.num_headers].name = name;
    hdrs[req.num_headers].name_len = strlen(name);
    hdrs[req.num_headers].value = value;
    hdrs[req.num_headers].value_len = strlen(value);
    req.num_headers++;
}

/* route a path the way the router does: rest = after "/restapis/" */
static int parse(const char *path, rs_apigw_target_t *t)
{
    req.path = path;
    req.path_len = strlen(path);
    memset(&route, 0, sizeof(route));
    route.kind = RS_ROUTE_APIGW;
    route.rest = path + strlen("/restapis/");
    route.rest_len = req.path_len - strlen("/restapis/");
    return rs_apigw_parse(&req, &route, t);
}

/* ---- parse ------------------------------------------------------------------------- */

Test(apigw, parse_proxy_path)
{
    rs_apigw_target_t t;
    cr_assert_eq(parse("/restapis/myfn/prod/_user_request_/api/users/7", &t), 0);
    cr_assert_str_eq(t.function, "myfn");
    cr_assert_null(t.api_region);
    cr_assert_str_eq(t.region, "us-east-1"); /* the caller's */
    cr_assert_str_eq(t.account, "111122223333");
    cr_assert_str_eq(t.api_id, "myfn");
    cr_assert_str_eq(t.stage, "prod");
    cr_assert_str_eq(t.path, "/api/users/7");
    cr_assert_str_eq(t.stage_path, "/prod/api/users/7");
    cr_assert_str_eq(t.resource, "/{proxy+}");
    cr_assert_eq(t.nparams, 1);
    cr_assert_str_eq(t.params[0].name, "proxy");
    cr_assert_str_eq(t.params[0].value, "api/users/7");
}

Test(apigw, parse_keeps_encoding_and_trailing_slash)
{
    rs_apigw_target_t t;
    cr_assert_eq(parse("/restapis/f/dev/_user_request_/u/test%2Balias@x.com/", &t), 0);
    cr_assert_str_eq(t.path, "/u/test%2Balias@x.com/");
    cr_assert_str_eq(t.stage_path, "/dev/u/test%2Balias@x.com/");
    /* AWS: {"proxy": "test-path"} for "/test-path/" */
    cr_assert_eq(t.nparams, 1);
    cr_assert_str_eq(t.params[0].name, "proxy");
    cr_assert_str_eq(t.params[0].value, "u/test%2Balias@x.com");
    cr_assert_eq(parse("/restapis/f/dev/_user_request_/a//b", &t), 0);
    cr_assert_eq(t.nparams, 1);
    cr_assert_str_eq(t.params[0].name, "proxy");
    cr_assert_str_eq(t.params[0].value, "a//b");
}

Test(apigw, parse_root)
{
    rs_apigw_target_t t;
    cr_assert_eq(parse("/restapis/f/dev/_user_request_", &t), 0);
    cr_assert_str_eq(t.path, "/");
    cr_assert_str_eq(t.stage_path, "/dev");
    cr_assert_str_eq(t.resource, "/");
    cr_assert_eq(t.nparams, 0);
    cr_assert_eq(parse("/restapis/f/dev/_user_request_/", &t), 0);
    cr_assert_str_eq(t.path, "/");
    cr_assert_str_eq(t.stage_path, "/dev/");
    cr_assert_str_eq(t.resource, "/");
    cr_assert_eq(t.nparams, 0);
}

Test(apigw, parse_arn_form)
{
    rs_apigw_target_t t;
    cr_assert_eq(parse("/restapis/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af"
                       "/v1/_user_request_/x",
                       &t),
                 0);
    cr_assert_str_eq(t.function, "arn:aws:lambda:us-east-1:000000000000:function:f");
    cr_assert_str_eq(t.stage, "v1");
    cr_assert_str_eq(t.path, "/x");
    cr_assert_str_eq(t.account, "000000000000"); /* the function's, not the caller's */
    cr_assert_eq(parse("/restapis/f%3Aprod/v1/_user_request_/", &t), 0);
    cr_assert_str_eq(t.function, "f:prod");
    cr_assert_str_eq(t.region, "us-east-1");
    cr_assert_str_eq(t.account, "111122223333");
    /* a function in another region and account: the Invoke goes there */
    cr_assert_eq(parse("/restapis/arn%3Aaws%3Alambda%3Aeu-west-2%3A123456789012%3Afunction%3Aapp"
                       "%3Alive/dev/_user_request_/",
                       &t),
                 0);
    cr_assert_str_eq(t.function, "arn:aws:lambda:eu-west-2:123456789012:function:app:live");
    cr_assert_str_eq(t.api_id, t.function);
    cr_assert_str_eq(t.region, "eu-west-2");
    cr_assert_str_eq(t.account, "123456789012");
    /* the partial form names the account only */
    cr_assert_eq(parse("/restapis/123456789012%3Afunction%3Aapp/dev/_user_request_/", &t), 0);
    cr_assert_str_eq(t.region, "us-east-1");
    cr_assert_str_eq(t.account, "123456789012");
    /* not a function ARN: passed on as it is (Lambda rejects it), the caller's region */
    cr_assert_eq(parse("/restapis/arn%3Aaws%3Alambda%3Aeu-west-2%3A12%3Afunction%3Aapp/dev/"
                       "_user_request_/",
                       &t),
                 0);
    cr_assert_str_eq(t.region, "us-east-1");
    cr_assert_str_eq(t.account, "111122223333");
}

/* route a request through the router the way the worker does */
static int parse_url(const char *host, const char *path, const char *hostname, rs_apigw_target_t *t)
{
    rs_router_conf_t conf = {hostname};
    req.path = path;
    req.path_len = strlen(path);
    req.host = host;
    req.host_len = host != NULL ? strlen(host) : 0;
    rs_route(&req, &conf, &route);
    cr_assert_eq(route.kind, RS_ROUTE_APIGW, "%s %s: not the gateway", host, path);
    return rs_apigw_parse(&req, &route, t);
}

Test(apigw, parse_host_form)
{
    rs_apigw_target_t t;
    cr_assert_eq(parse_url("abc123.execute-api.localhost:4566", "/dev/login", NULL, &t), 0);
    cr_assert_str_eq(t.api_id, "abc123");
    cr_assert_str_eq(t.function, "abc123");
    cr_assert_str_eq(t.stage, "dev");
    cr_assert_str_eq(t.path, "/login");
    cr_assert_str_eq(t.stage_path, "/dev/login");
    cr_assert_null(t.api_region);
    cr_assert_str_eq(t.region, "us-east-1");
    cr_assert_str_eq(t.account, "111122223333");
    cr_assert_str_eq(t.resource, "/{proxy+}");
    cr_assert_eq(t.nparams, 1);
    cr_assert_str_eq(t.params[0].name, "proxy");
    cr_assert_str_eq(t.params[0].value, "login");
    /* the region the host names is the function's */
    cr_assert_eq(parse_url("fn.execute-api.eu-west-2.localhost:4566", "/prod/a/b/", NULL, &t), 0);
    cr_assert_str_eq(t.api_region, "eu-west-2");
    cr_assert_str_eq(t.region, "eu-west-2");
    cr_assert_str_eq(t.path, "/a/b/");
    cr_assert_eq(t.nparams, 1);
    cr_assert_str_eq(t.params[0].name, "proxy");
    cr_assert_str_eq(t.params[0].value, "a/b");
    cr_assert_eq(parse_url("a1b2.execute-api.eu-central-1.amazonaws.com", "/v1/x", NULL, &t), 0);
    cr_assert_str_eq(t.region, "eu-central-1");
    cr_assert_str_eq(t.stage_path, "/v1/x");
    cr_assert_eq(parse_url("fn.execute-api.emu.example.org:4566", "/v1/x", "emu.example.org", &t),
                 0);
    cr_assert_str_eq(t.api_id, "fn");
    /* the stage's root */
    cr_assert_eq(parse_url("fn.execute-api.localhost", "/dev", NULL, &t), 0);
    cr_assert_str_eq(t.path, "/");
    cr_assert_str_eq(t.stage_path, "/dev");
    cr_assert_str_eq(t.resource, "/");
    cr_assert_eq(t.nparams, 0);
    cr_assert_eq(parse_url("fn.execute-api.localhost", "/dev/", NULL, &t), 0);
    cr_assert_str_eq(t.path, "/");
    cr_assert_str_eq(t.stage_path, "/dev/");
    /* a decoded stage */
    cr_assert_eq(parse_url("fn.execute-api.localhost", "/st%20age/x", NULL, &t), 0);
    cr_assert_str_eq(t.stage, "st age");
    cr_assert_str_eq(t.stage_path, "/st age/x");
    /* no stage: no route */
    static const char *const bad[] = {"/", "", "//x", "/%zz/x", "/%00/x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(parse_url("fn.execute-api.localhost", bad[i], NULL, &t), RS_EINVAL, "%s",
                     bad[i]);
}

Test(apigw, parse_path_form)
{
    rs_apigw_target_t t;
    cr_assert_eq(parse_url("127.0.0.1:4566", "/_aws/execute-api/fn/dev/a/b", NULL, &t), 0);
    cr_assert_str_eq(t.api_id, "fn");
    cr_assert_str_eq(t.function, "fn");
    cr_assert_str_eq(t.stage, "dev");
    cr_assert_str_eq(t.path, "/a/b");
    cr_assert_str_eq(t.stage_path, "/dev/a/b");
    cr_assert_eq(t.nparams, 1);
    cr_assert_str_eq(t.params[0].name, "proxy");
    cr_assert_str_eq(t.params[0].value, "a/b");
    cr_assert_null(t.api_region);
    cr_assert_eq(parse_url("localhost", "/_aws/execute-api/fn/dev", NULL, &t), 0);
    cr_assert_str_eq(t.path, "/");
    cr_assert_eq(t.nparams, 0);
    cr_assert_eq(
        parse_url("localhost",
                  "/_aws/execute-api/arn%3Aaws%3Alambda%3Aap-south-1%3A123456789012%3Afunction"
                  "%3Af/dev/x",
                  NULL, &t),
        0);
    cr_assert_str_eq(t.region, "ap-south-1");
    cr_assert_str_eq(t.account, "123456789012");
    static const char *const bad[] = {"/_aws/execute-api",      "/_aws/execute-api/",
                                      "/_aws/execute-api/fn",   "/_aws/execute-api/fn/",
                                      "/_aws/execute-api//dev", "/_aws/execute-api/fn//x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(parse_url("localhost", bad[i], NULL, &t), RS_EINVAL, "%s", bad[i]);
}

Test(apigw, resolve_today_rule)
{
    rs_apigw_target_t t;
    memset(&t, 0, sizeof(t));
    t.api_id = "arn:aws:lambda:eu-west-3:123456789012:function:f";
    t.stage = "dev";
    t.path = "/x/y";
    t.api_region = "eu-west-1"; /* the ARN names the function's region */
    cr_assert_eq(rs_apigw_resolve(&pool, "DELETE", "us-east-1", "111122223333", &t), 0);
    cr_assert_str_eq(t.function, t.api_id);
    cr_assert_str_eq(t.region, "eu-west-3");
    cr_assert_str_eq(t.account, "123456789012");
    cr_assert_str_eq(t.resource, "/{proxy+}");
    cr_assert_eq(t.nparams, 1);
    cr_assert_str_eq(t.params[0].name, "proxy");
    cr_assert_str_eq(t.params[0].value, "x/y");
    t.api_id = "plain";
    cr_assert_eq(rs_apigw_resolve(&pool, "GET", "us-east-1", "111122223333", &t), 0);
    cr_assert_str_eq(t.function, "plain");
    cr_assert_str_eq(t.region, "eu-west-1");
    cr_assert_str_eq(t.account, "111122223333");
    t.api_region = NULL;
    cr_assert_eq(rs_apigw_resolve(&pool, "GET", "us-west-2", "111122223333", &t), 0);
    cr_assert_str_eq(t.region, "us-west-2");
}

Test(apigw, parse_rejects_malformed)
{
    static const char *const bad[] = {
        "/restapis/",
        "/restapis/f",
        "/restapis/f/",
        "/restapis/f/prod",
        "/restapis/f/prod/",
        "/restapis/f/prod/other/x",
        "/restapis/f/prod/_user_request_x",
        "/restapis/f/prod/_user_request",
        "/restapis//prod/_user_request_/",
        "/restapis/f//_user_request_/",
        "/restapis/f%2/prod/_user_request_/",
        "/restapis/f%00x/prod/_user_request_/",
    };
    rs_apigw_target_t t;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(parse(bad[i], &t), RS_EINVAL, "%s", bad[i]);
}

Test(apigw, missing_token)
{
    rs_apigw_missing_token(&req, &resp);
    cr_assert_eq(resp.status, 403);
    cr_assert_str_eq(resp.body.data, "{\"message\":\"Missing Authentication Token\"}");
    int found = 0;
    for (size_t i = 0; i < resp.num_headers; i++)
        found |= strcmp(resp.headers[i].name, "x-amzn-ErrorType") == 0 &&
                 strcmp(resp.headers[i].value, "MissingAuthenticationTokenException") == 0;
    cr_assert(found);
}

Test(apigw, gateway_error_without_type)
{
    rs_apigw_error(&req, "rid-1", 504, NULL, "Endpoint request timed out", &resp);
    cr_assert_eq(resp.status, 504);
    cr_assert_str_eq(resp.body.data, "{\"message\":\"Endpoint request timed out\"}");
    for (size_t i = 0; i < resp.num_headers; i++) {
        cr_assert_neq(strcmp(resp.headers[i].name, "x-amzn-ErrorType"), 0);
        if (strcmp(resp.headers[i].name, "x-amzn-RequestId") == 0)
            cr_assert_str_eq(resp.headers[i].value, "rid-1");
    }
}

/* ---- event ------------------------------------------------------------------------- */

#define T_NOW 1519166937123LL /* 20/Feb/2018:22:48:57.123 UTC */

static json_object *event_for(const char *path)
{
    rs_apigw_target_t t;
    rs_buf_t out;
    cr_assert_eq(parse(path, &t), 0);
    rs_buf_init(&out);
    cr_assert_eq(rs_apigw_event(&pool, &req, &t, "123456789012", "10.1.2.3", 4566, T_NOW,
                                "c0ffee00-0000-4000-8000-000000000001", &out),
                 0);
    json_tokener *tok = json_tokener_new();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *ev = json_tokener_parse_ex(tok, out.data, (int)out.len);
    cr_assert_not_null(ev, "not JSON: %.*s", (int)out.len, out.data);
    cr_assert_eq(json_tokener_get_error(tok), json_tokener_success);
    json_tokener_free(tok);
    rs_buf_free(&out);
    return ev;
}

static json_object *get(json_object *o, const char *key)
{
    json_object *v = NULL;
    cr_assert(json_object_object_get_ex(o, key, &v), "missing key %s", key);
    return v;
}

static const char *gets(json_object *o, const char *key)
{
    json_object *v = get(o, key);
    cr_assert(json_object_is_type(v, json_type_string), "%s is not a string", key);
    return json_object_get_string(v);
}

Test(apigw, event_every_key)
{
    static const char *const top[] = {"resource",
                                      "path",
                                      "httpMethod",
                                      "headers",
                                      "multiValueHeaders",
                                      "queryStringParameters",
                                      "multiValueQueryStringParameters",
                                      "pathParameters",
                                      "stageVariables",
                                      "requestContext",
                                      "body",
                                      "isBase64Encoded"};
    static const char *const rc_keys[] = {"accountId",
                                          "apiId",
                                          "deploymentId",
                                          "domainName",
                                          "domainPrefix",
                                          "extendedRequestId",
                                          "httpMethod",
                                          "identity",
                                          "path",
                                          "protocol",
                                          "requestId",
                                          "requestTime",
                                          "requestTimeEpoch",
                                          "resourceId",
                                          "resourcePath",
                                          "stage"};
    static const char *const id_nulls[] = {"accessKey",
                                           "accountId",
                                           "caller",
                                           "cognitoAuthenticationProvider",
                                           "cognitoAuthenticationType",
                                           "cognitoIdentityId",
                                           "cognitoIdentityPoolId",
                                           "principalOrgId",
                                           "user",
                                           "userArn"};
    add_hdr("host", "localhost:4566");
    add_hdr("user-agent", "curl/8.0");
    json_object *ev = event_for("/restapis/fn/prod/_user_request_/hello");
    cr_assert_eq(json_object_object_length(ev), sizeof(top) / sizeof(top[0]));
    for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++)
        get(ev, top[i]);
    cr_assert_str_eq(gets(ev, "resource"), "/{proxy+}");
    cr_assert_str_eq(gets(ev, "path"), "/hello");
    cr_assert_str_eq(gets(ev, "httpMethod"), "GET");
    cr_assert_null(get(ev, "stageVariables"));
    cr_assert_null(get(ev, "body"));
    cr_assert(json_object_is_type(get(ev, "isBase64Encoded"), json_type_boolean));
    cr_assert_not(json_object_get_boolean(get(ev, "isBase64Encoded")));
    cr_assert_str_eq(gets(get(ev, "pathParameters"), "proxy"), "hello");

    json_object *rc = get(ev, "requestContext");
    for (size_t i = 0; i < sizeof(rc_keys) / sizeof(rc_keys[0]); i++)
        get(rc, rc_keys[i]);
    cr_assert_str_eq(gets(rc, "accountId"), "123456789012");
    cr_assert_str_eq(gets(rc, "apiId"), "fn");
    cr_assert_str_eq(gets(rc, "domainName"), "localhost");
    cr_assert_str_eq(gets(rc, "domainPrefix"), "localhost");
    cr_assert_str_eq(gets(rc, "extendedRequestId"), "REQID0123456789=");
    cr_assert_str_eq(gets(rc, "httpMethod"), "GET");
    cr_assert_str_eq(gets(rc, "path"), "/prod/hello");
    cr_assert_str_eq(gets(rc, "protocol"), "HTTP/1.1");
    cr_assert_str_eq(gets(rc, "requestId"), "c0ffee00-0000-4000-8000-000000000001");
    cr_assert_str_eq(gets(rc, "requestTime"), "20/Feb/2018:22:48:57 +0000");
    cr_assert(json_object_is_type(get(rc, "requestTimeEpoch"), json_type_int));
    cr_assert_eq(json_object_get_int64(get(rc, "requestTimeEpoch")), T_NOW);
    cr_assert_eq(strlen(gets(rc, "resourceId")), 10);
    cr_assert_eq(strlen(gets(rc, "deploymentId")), 10);
    cr_assert_str_eq(gets(rc, "resourcePath"), "/{proxy+}");
    cr_assert_str_eq(gets(rc, "stage"), "prod");

    json_object *id = get(rc, "identity");
    cr_assert_eq(json_object_object_length(id), 12);
    for (size_t i = 0; i < sizeof(id_nulls) / sizeof(id_nulls[0]); i++)
        cr_assert_null(get(id, id_nulls[i]), "identity.%s", id_nulls[i]);
    cr_assert_str_eq(gets(id, "sourceIp"), "10.1.2.3");
    cr_assert_str_eq(gets(id, "userAgent"), "curl/8.0");
    json_object_put(ev);
}

Test(apigw, event_headers_multi_value_order_and_forwarded)
{
    add_hdr("host", "api.localhost:4566");
    add_hdr("x-multi", "one");
    add_hdr("content-length", "0");
    add_hdr("connection", "keep-alive");
    add_hdr("x-multi", "two");
    add_hdr("accept", "*/*");
    add_hdr("x-multi", "three");
    json_object *ev = event_for("/restapis/fn/prod/_user_request_/x");
    json_object *h = get(ev, "headers"), *m = get(ev, "multiValueHeaders");
    cr_assert_str_eq(gets(h, "x-multi"), "three"); /* last value wins */
    json_object *list = get(m, "x-multi");
    cr_assert_eq(json_object_array_length(list), 3);
    cr_assert_str_eq(json_object_get_string(json_object_array_get_idx(list, 0)), "one");
    cr_assert_str_eq(json_object_get_string(json_object_array_get_idx(list, 1)), "two");
    cr_assert_str_eq(json_object_get_string(json_object_array_get_idx(list, 2)), "three");
    cr_assert_str_eq(gets(h, "host"), "api.localhost:4566");             /* kept as sent */
    cr_assert_not(json_object_object_get_ex(h, "content-length", NULL)); /* as AWS */
    cr_assert_not(json_object_object_get_ex(m, "content-length", NULL));
    cr_assert_not(json_object_object_get_ex(h, "connection", NULL));
    cr_assert_not(json_object_object_get_ex(m, "connection", NULL));
    cr_assert_str_eq(gets(h, "X-Forwarded-For"), "10.1.2.3");
    cr_assert_str_eq(gets(h, "X-Forwarded-Port"), "4566");
    cr_assert_str_eq(gets(h, "X-Forwarded-Proto"), "http");
    cr_assert_str_eq(
        json_object_get_string(json_object_array_get_idx(get(m, "X-Forwarded-Proto"), 0)), "http");
    json_object *rc = get(ev, "requestContext");
    cr_assert_str_eq(gets(rc, "domainName"), "api.localhost");
    cr_assert_str_eq(gets(rc, "domainPrefix"), "api");
    json_object_put(ev);
}

Test(apigw, event_forwarded_from_client_and_server_port)
{
    add_hdr("host", "example.test");
    add_hdr("x-forwarded-for", "192.0.2.9");
    add_hdr("x-forwarded-proto", "https");
    json_object *ev = event_for("/restapis/fn/prod/_user_request_/x");
    json_object *h = get(ev, "headers");
    cr_assert_str_eq(gets(h, "x-forwarded-for"), "192.0.2.9");
    cr_assert_not(json_object_object_get_ex(h, "X-Forwarded-For", NULL));
    cr_assert_str_eq(gets(h, "x-forwarded-proto"), "https");
    cr_assert_not(json_object_object_get_ex(h, "X-Forwarded-Proto", NULL));
    cr_assert_str_eq(gets(h, "X-Forwarded-Port"), "4566"); /* Host has none: server port */
    cr_assert_str_eq(gets(get(get(ev, "requestContext"), "identity"), "sourceIp"), "10.1.2.3");
    json_object_put(ev);
}

Test(apigw, event_host_from_authority_and_ipv6)
{
    req.host = "[::1]:8080";
    req.host_len = strlen(req.host);
    json_object *ev = event_for("/restapis/fn/prod/_user_request_/x");
    json_object *h = get(ev, "headers");
    cr_assert_str_eq(gets(h, "Host"), "[::1]:8080");
    cr_assert_str_eq(gets(h, "X-Forwarded-Port"), "8080");
    cr_assert_str_eq(gets(get(ev, "requestContext"), "domainName"), "[::1]");
    json_object_put(ev);
}

/* what an app needs to build its URLs as on AWS: the Host as sent, the stage apart */
Test(apigw, event_host_form)
{
    rs_apigw_target_t t;
    rs_buf_t out;
    add_hdr("host", "abc123.execute-api.localhost:4566");
    cr_assert_eq(parse_url("abc123.execute-api.localhost:4566", "/dev/private/page", NULL, &t), 0);
    rs_buf_init(&out);
    cr_assert_eq(rs_apigw_event(&pool, &req, &t, t.account, "10.1.2.3", 4566, T_NOW,
                                "c0ffee00-0000-4000-8000-000000000001", &out),
                 0);
    json_object *ev = json_tokener_parse(out.data);
    rs_buf_free(&out);
    cr_assert_not_null(ev);
    cr_assert_str_eq(gets(ev, "path"), "/private/page");
    cr_assert_str_eq(gets(ev, "resource"), "/{proxy+}");
    cr_assert_str_eq(gets(get(ev, "pathParameters"), "proxy"), "private/page");
    cr_assert_str_eq(gets(get(ev, "headers"), "host"), "abc123.execute-api.localhost:4566");
    cr_assert_str_eq(gets(get(ev, "headers"), "X-Forwarded-Port"), "4566");
    json_object *rc = get(ev, "requestContext");
    cr_assert_str_eq(gets(rc, "path"), "/dev/private/page");
    cr_assert_str_eq(gets(rc, "stage"), "dev");
    cr_assert_str_eq(gets(rc, "apiId"), "abc123");
    cr_assert_str_eq(gets(rc, "accountId"), "111122223333");
    cr_assert_str_eq(gets(rc, "domainName"), "abc123.execute-api.localhost");
    cr_assert_str_eq(gets(rc, "domainPrefix"), "abc123");
    cr_assert_str_eq(gets(rc, "resourcePath"), "/{proxy+}");
    json_object_put(ev);
}

Test(apigw, event_cookies_joined)
{
    add_hdr("cookie", "a=1");
    add_hdr("cookie", "b=2");
    json_object *ev = event_for("/restapis/fn/prod/_user_request_/x");
    cr_assert_str_eq(gets(get(ev, "headers"), "cookie"), "a=1; b=2");
    cr_assert_eq(json_object_array_length(get(get(ev, "multiValueHeaders"), "cookie")), 1);
    json_object_put(ev);
}

Test(apigw, event_query_decoded)
{
    req.query = "a=1&a=2&b=x+y&c=%2B%20z&flag&&e=&d%5B%5D=v&bad=%zz";
    req.query_len = strlen(req.query);
    json_object *ev = event_for("/restapis/fn/prod/_user_request_/x");
    json_object *q = get(ev, "queryStringParameters");
    json_object *mq = get(ev, "multiValueQueryStringParameters");
    cr_assert_str_eq(gets(q, "a"), "2");
    cr_assert_eq(json_object_array_length(get(mq, "a")), 2);
    cr_assert_str_eq(json_object_get_string(json_object_array_get_idx(get(mq, "a"), 0)), "1");
    cr_assert_str_eq(json_object_get_string(json_object_array_get_idx(get(mq, "a"), 1)), "2");
    cr_assert_str_eq(gets(q, "b"), "x y");
    cr_assert_str_eq(gets(q, "c"), "+ z");
    cr_assert_str_eq(gets(q, "flag"), "");
    cr_assert_str_eq(gets(q, "e"), "");
    cr_assert_str_eq(gets(q, "d[]"), "v");
    cr_assert_str_eq(gets(q, "bad"), "%zz");
    cr_assert_eq(json_object_object_length(q), 7);
    json_object_put(ev);
}

Test(apigw, event_null_query)
{
    json_object *ev = event_for("/restapis/fn/prod/_user_request_/x");
    cr_assert_null(get(ev, "queryStringParameters"));
    cr_assert_null(get(ev, "multiValueQueryStringParameters"));
    json_object_put(ev);
    req.query = "";
    req.query_len = 0;
    ev = event_for("/restapis/fn/prod/_user_request_/x");
    cr_assert_null(get(ev, "queryStringParameters"));
    cr_assert_null(get(ev, "multiValueQueryStringParameters"));
    json_object_put(ev);
}

Test(apigw, event_root_path)
{
    json_object *ev = event_for("/restapis/fn/stage1/_user_request_/");
    cr_assert_str_eq(gets(ev, "path"), "/");
    cr_assert_str_eq(gets(ev, "resource"), "/");
    cr_assert_null(get(ev, "pathParameters"));
    cr_assert_str_eq(gets(get(ev, "requestContext"), "path"), "/stage1/");
    cr_assert_str_eq(gets(get(ev, "requestContext"), "resourcePath"), "/");
    json_object_put(ev);
}

Test(apigw, event_path_raw_with_stage_in_context)
{
    json_object *ev = event_for("/restapis/fn/test/_user_request_/api/user/test%2Balias@gmail.com"
                                "/plus/test+alias@gmail.com/sp%20ace");
    cr_assert_str_eq(gets(ev, "path"),
                     "/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com/sp%20ace");
    cr_assert_str_eq(gets(get(ev, "pathParameters"), "proxy"),
                     "api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com/sp%20ace");
    cr_assert_str_eq(gets(get(ev, "requestContext"), "path"),
                     "/test/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com/sp%20ace");
    json_object_put(ev);
}

Test(apigw, event_text_body)
{
    req.method = "POST";
    req.body = (const uint8_t *)"{\"name\": \"caf\xc3\xa9\"}";
    req.body_len = strlen((const char *)req.body);
    json_object *ev = event_for("/restapis/fn/prod/_user_request_/x");
    cr_assert_str_eq(gets(ev, "body"), "{\"name\": \"caf\xc3\xa9\"}");
    cr_assert_not(json_object_get_boolean(get(ev, "isBase64Encoded")));
    cr_assert_str_eq(gets(ev, "httpMethod"), "POST");
    json_object_put(ev);
}

Test(apigw, event_binary_body_base64)
{
    static const uint8_t png[] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0x00};
    req.method = "PUT";
    req.body = png;
    req.body_len = sizeof(png);
    json_object *ev = event_for("/restapis/fn/prod/_user_request_/up");
    cr_assert_str_eq(gets(ev, "body"), "iVBORw0KGgr/AA==");
    cr_assert(json_object_get_boolean(get(ev, "isBase64Encoded")));
    json_object_put(ev);
    /* an overlong encoding and a lone surrogate are not UTF-8 either */
    req.body = (const uint8_t *)"\xc0\xaf";
    req.body_len = 2;
    ev = event_for("/restapis/fn/prod/_user_request_/up");
    cr_assert(json_object_get_boolean(get(ev, "isBase64Encoded")));
    json_object_put(ev);
    req.body = (const uint8_t *)"\xed\xa0\x80";
    req.body_len = 3;
    ev = event_for("/restapis/fn/prod/_user_request_/up");
    cr_assert(json_object_get_boolean(get(ev, "isBase64Encoded")));
    json_object_put(ev);
}

Test(apigw, event_invalid_utf8_in_strings_replaced)
{
    add_hdr("x-latin1", "caf\xe9");
    req.query = "q=%ff";
    req.query_len = strlen(req.query);
    json_object *ev = event_for("/restapis/fn/prod/_user_request_/x");
    cr_assert_str_eq(gets(get(ev, "headers"), "x-latin1"), "caf\xef\xbf\xbd");
    cr_assert_str_eq(gets(get(ev, "queryStringParameters"), "q"), "\xef\xbf\xbd");
    json_object_put(ev);
}

/* ---- reply ------------------------------------------------------------------------- */

static void reply(const char *payload)
{
    rs_http_resp_free(&resp);
    rs_http_resp_init(&resp, &pool);
    rs_apigw_reply(&req, RS_APIGW_REST, 1, "c0ffee00-0000-4000-8000-000000000001", 0, 200, payload,
                   strlen(payload), &resp);
}

static const char *hdr(const char *name, int nth)
{
    for (size_t i = 0; i < resp.num_headers; i++)
        if (strcasecmp(resp.headers[i].name, name) == 0 && nth-- == 0)
            return resp.headers[i].value;
    return NULL;
}

static size_t hdr_count(const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < resp.num_headers; i++)
        n += strcasecmp(resp.headers[i].name, name) == 0;
    return n;
}

static void body_is(const char *want)
{
    cr_assert_eq(resp.body.len, strlen(want), "body %.*s", (int)resp.body.len, resp.body.data);
    cr_assert(memcmp(resp.body.data, want, resp.body.len) == 0);
}

static void assert_gateway_error(int status)
{
    cr_assert_eq(resp.status, status);
    body_is("{\"message\":\"Internal server error\"}");
    cr_assert_str_eq(hdr("x-amzn-ErrorType", 0), "InternalServerErrorException");
    cr_assert_str_eq(hdr("content-type", 0), "application/json");
    cr_assert_str_eq(hdr("x-amzn-RequestId", 0), "c0ffee00-0000-4000-8000-000000000001");
}

Test(apigw, reply_plain)
{
    reply("{\"statusCode\": 201, \"body\": \"hello\"}");
    cr_assert_eq(resp.status, 201);
    body_is("hello");
    cr_assert_str_eq(hdr("content-type", 0), "application/json"); /* the default */
    cr_assert_str_eq(hdr("x-amzn-RequestId", 0), "c0ffee00-0000-4000-8000-000000000001");
    cr_assert_str_eq(hdr("x-amz-apigw-id", 0), "REQID0123456789=");
    cr_assert_null(hdr("x-amzn-ErrorType", 0));
    cr_assert_not(resp.head_only);
}

Test(apigw, reply_status_rules)
{
    reply("{\"body\": \"x\"}");
    cr_assert_eq(resp.status, 200); /* missing -> 200 */
    reply("{\"statusCode\": \"404\", \"body\": \"x\"}");
    cr_assert_eq(resp.status, 404); /* numeric string accepted */
    reply("{\"statusCode\": null}");
    cr_assert_eq(resp.status, 200);
    reply("{\"statusCode\": 204.0}");
    cr_assert_eq(resp.status, 204);
    reply("{}");
    cr_assert_eq(resp.status, 200);
    cr_assert_eq(resp.body.len, 0);
    reply("{\"statusCode\": \"test\"}");
    assert_gateway_error(502);
    reply("{\"statusCode\": 99}");
    assert_gateway_error(502);
    reply("{\"statusCode\": \"600\"}");
    assert_gateway_error(502);
    reply("{\"statusCode\": 200.5}");
    assert_gateway_error(502);
    reply("{\"statusCode\": true}");
    assert_gateway_error(502);
}

Test(apigw, reply_malformed_results_502)
{
    static const char *const bad[] = {
        "{\"statusCode\": 200, \"wrongValue\": 1}",
        "{\"errorMessage\": \"boom\", \"errorType\": \"Exception\", \"stackTrace\": []}",
        "\"just a string\"",
        "[1, 2]",
        "null",
        "42",
        "",
        "{\"statusCode\": 200",
        "{\"statusCode\": 200} trailing",
        "{\"multiValueHeaders\": {\"a\": \"not-a-list\"}}",
        "{\"multiValueHeaders\": {\"a\": [1]}}",
        "{\"multiValueHeaders\": []}",
        "{\"headers\": {\"a\": 1}}",
        "{\"headers\": {\"a\": {\"b\": \"c\"}}}",
        "{\"headers\": {\"a\": null}}",
        "{\"headers\": \"a: b\"}",
        "{\"headers\": {\"bad name\": \"v\"}}",
        "{\"headers\": {\"x\": \"a\\r\\nSet-Cookie: evil=1\"}}",
        "{\"body\": {\"message\": \"not a string\"}}",
        "{\"body\": 5}",
        "{\"isBase64Encoded\": \"yes\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        reply(bad[i]);
        cr_assert_eq(resp.status, 502, "%s -> %d", bad[i], resp.status);
        assert_gateway_error(502);
    }
}

Test(apigw, reply_nulls_are_absent)
{
    reply("{\"statusCode\": 200, \"headers\": null, \"multiValueHeaders\": null, \"body\": null, "
          "\"isBase64Encoded\": null}");
    cr_assert_eq(resp.status, 200);
    cr_assert_eq(resp.body.len, 0);
    cr_assert_str_eq(hdr("content-type", 0), "application/json");
}

Test(apigw, reply_function_error_502)
{
    rs_apigw_reply(&req, RS_APIGW_REST, 1, NULL, 1, 200, "{\"statusCode\": 200}", 19, &resp);
    cr_assert_eq(resp.status, 502);
    body_is("{\"message\":\"Internal server error\"}");
    cr_assert_str_eq(hdr("x-amzn-ErrorType", 0), "InternalServerErrorException");
    cr_assert_str_eq(hdr("x-amzn-RequestId", 0), "REQID0123456789A"); /* NULL: req's id */
}

Test(apigw, reply_lambda_api_rejection_500)
{
    static const int statuses[] = {404, 429, 500, 502, 503, 0, 400};
    const char *p = "{\"Type\": \"User\", \"Message\": \"Function not found\"}";
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        rs_http_resp_free(&resp);
        rs_http_resp_init(&resp, &pool);
        rs_apigw_reply(&req, RS_APIGW_REST, 1, "c0ffee00-0000-4000-8000-000000000001", 0,
                       statuses[i], p, strlen(p), &resp);
        assert_gateway_error(500);
    }
}

Test(apigw, reply_header_merge)
{
    reply("{\"statusCode\": 200,"
          " \"headers\": {\"test-multi\": \"value-solo\", \"X-Same\": \"v\", \"x-flag\": true,"
          "  \"Content-Type\": \"text/html\", \"content-length\": \"999\"},"
          " \"multiValueHeaders\": {\"Test-Multi\": [\"value-multi\"], \"x-same\": [\"v\"],"
          "  \"Set-Cookie\": [\"a=1\", \"b=2\", \"a=1\"], \"x-no\": [false]},"
          " \"body\": \"<p>\"}");
    cr_assert_eq(resp.status, 200);
    /* multi values first, then the single value; the multi casing wins */
    cr_assert_eq(hdr_count("test-multi"), 2);
    cr_assert_str_eq(hdr("test-multi", 0), "value-multi");
    cr_assert_str_eq(hdr("test-multi", 1), "value-solo");
    size_t k;
    for (k = 0; k < resp.num_headers; k++)
        if (strcasecmp(resp.headers[k].name, "test-multi") == 0)
            cr_assert_str_eq(resp.headers[k].name, "Test-Multi");
    /* an identical pair once */
    cr_assert_eq(hdr_count("x-same"), 1);
    cr_assert_eq(hdr_count("set-cookie"), 2);
    cr_assert_str_eq(hdr("set-cookie", 0), "a=1");
    cr_assert_str_eq(hdr("set-cookie", 1), "b=2");
    cr_assert_str_eq(hdr("x-flag", 0), "true");
    cr_assert_str_eq(hdr("x-no", 0), "false");
    /* the function's Content-Type, no default; framing headers are the gateway's */
    cr_assert_eq(hdr_count("content-type"), 1);
    cr_assert_str_eq(hdr("content-type", 0), "text/html");
    cr_assert_eq(hdr_count("content-length"), 0);
    cr_assert_eq(hdr_count("x-amzn-RequestId"), 1);
    body_is("<p>");
}

Test(apigw, reply_zappa_both_maps_not_doubled)
{
    reply("{\"statusCode\": 302, \"headers\": {\"Location\": \"/next\", \"Content-Type\": "
          "\"text/plain\"}, \"multiValueHeaders\": {\"Location\": [\"/next\"], \"Content-Type\": "
          "[\"text/plain\"]}, \"body\": \"\"}");
    cr_assert_eq(resp.status, 302);
    cr_assert_eq(hdr_count("location"), 1);
    cr_assert_eq(hdr_count("content-type"), 1);
}

Test(apigw, reply_base64_body)
{
    reply("{\"statusCode\": 200, \"body\": \"iVBORw0KGgr/AA==\", \"isBase64Encoded\": true, "
          "\"headers\": {\"Content-Type\": \"image/png\"}}");
    cr_assert_eq(resp.status, 200);
    cr_assert_eq(resp.body.len, 10);
    cr_assert(memcmp(resp.body.data, "\x89PNG\r\n\x1a\n\xff\x00", 10) == 0);
    cr_assert_str_eq(hdr("content-type", 0), "image/png");
    /* padding optional, line breaks ignored */
    reply("{\"body\": \"aGVs\\nbG8\", \"isBase64Encoded\": true}");
    body_is("hello");
    /* not decoded when false */
    reply("{\"body\": \"aGk=\", \"isBase64Encoded\": false}");
    body_is("aGk=");
    /* invalid base64 -> 500 */
    reply("{\"body\": \"***not base64***\", \"isBase64Encoded\": true}");
    assert_gateway_error(500);
    reply("{\"body\": \"aGk=a\", \"isBase64Encoded\": true}");
    assert_gateway_error(500);
}

Test(apigw, reply_unicode_body)
{
    reply("{\"body\": \"caf\\u00e9 \\ud83d\\ude00\"}");
    body_is("caf\xc3\xa9 \xf0\x9f\x98\x80");
}

Test(apigw, reply_head)
{
    req.method = "HEAD";
    reply("{\"statusCode\": 200, \"body\": \"abc\"}");
    cr_assert(resp.head_only);
    cr_assert_eq(resp.status, 200);
}

Test(apigw, reply_error_replaces_partial_response)
{
    rs_http_resp_header(&resp, "x-stale", "1");
    rs_buf_appends(&resp.body, "stale");
    rs_apigw_reply(&req, RS_APIGW_REST, 1, NULL, 0, 200, "[]", 2, &resp);
    cr_assert_eq(hdr_count("x-stale"), 0);
    body_is("{\"message\":\"Internal server error\"}");
}
