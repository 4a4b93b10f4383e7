/*
 * test_apigw2.c: route matching (rs_apigw_match), the payload 2.0 event and the 2.0 result
 * rules, the HTTP API and function URL answers (src/proto/apigw_*.c), without sockets.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rs/apigw.h"
#include "rs/log.h"

static rs_pool_t pool;
static rs_http_req_t req;
static rs_http_resp_t resp;
static rs_hdr_t hdrs[16];

static void setup(void)
{
    rs_log_set_level(RS_LOG_CRIT);
    rs_pool_init(&pool);
    memset(&req, 0, sizeof(req));
    req.pool = &pool;
    req.method = "GET";
    req.headers = hdrs;
    snprintf(req.request_id, sizeof(req.request_id), "REQID0123456789A");
    rs_http_resp_init(&resp, &pool);
}

static void teardown(void)
{
    rs_http_resp_free(&resp);
    rs_pool_clear(&pool);
}

TestSuite(apigw2, .init = setup, .fini = teardown);

static void add_hdr(const char *name, const char *value)
{
    hdrs[req.num_headers].name = name;
    hdrs[req.num_headers].name_len = strlen(name);
    hdrs[req.num_headers].value = value;
    hdrs[req.num_headers].value_len = strlen(value);
    req.num_headers++;
}

static const char *resp_header(const char *name, int nth)
{
    for (size_t i = 0; i < resp.num_headers; i++)
        if (strncasecmp(resp.headers[i].name, name, resp.headers[i].name_len) == 0 &&
            strlen(name) == resp.headers[i].name_len && nth-- == 0)
            return rs_pool_strndup(&pool, resp.headers[i].value, resp.headers[i].value_len);
    return NULL;
}

static const char *body(void)
{
    return rs_pool_strndup(&pool, resp.body.data != NULL ? resp.body.data : "", resp.body.len);
}

/* ---- matching ------------------------------------------------------------------------ */

Test(apigw2, match_literal_param_greedy)
{
    rs_apigw_kv_t p[RS_APIGW_MAX_PARAMS];
    size_t n;
    long lit = rs_apigw_match(&pool, "/items/new", "/items/new", p, &n);
    long par = rs_apigw_match(&pool, "/items/{id}", "/items/new", p, &n);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(p[0].name, "id");
    cr_assert_str_eq(p[0].value, "new");
    long greedy = rs_apigw_match(&pool, "/{proxy+}", "/items/new", p, &n);
    cr_assert_str_eq(p[0].name, "proxy");
    cr_assert_str_eq(p[0].value, "items/new");
    long items_greedy = rs_apigw_match(&pool, "/items/{rest+}", "/items/new", NULL, NULL);
    cr_assert(lit > par && par > items_greedy && items_greedy > greedy && greedy > 0,
              "%ld %ld %ld %ld", lit, par, items_greedy, greedy);
}

Test(apigw2, match_refusals)
{
    cr_assert_lt(rs_apigw_match(&pool, "/items/{id}", "/items", NULL, NULL), 0);
    cr_assert_lt(rs_apigw_match(&pool, "/items/{id}", "/items/1/2", NULL, NULL), 0);
    cr_assert_lt(rs_apigw_match(&pool, "/items", "/other", NULL, NULL), 0);
    cr_assert_lt(rs_apigw_match(&pool, "/{proxy+}", "/", NULL, NULL), 0); /* one segment at least */
    cr_assert_lt(rs_apigw_match(&pool, "/{a+}/b", "/x/b", NULL, NULL), 0); /* greedy not last */
    cr_assert_lt(rs_apigw_match(&pool, "/", "/x", NULL, NULL), 0);
    cr_assert_gt(rs_apigw_match(&pool, "/", "/", NULL, NULL), 0);
    /* a trailing slash is the same resource */
    cr_assert_gt(rs_apigw_match(&pool, "/items", "/items/", NULL, NULL), 0);
}

Test(apigw2, match_keeps_encoding_and_empty_segments_in_greedy)
{
    rs_apigw_kv_t p[RS_APIGW_MAX_PARAMS];
    size_t n;
    cr_assert_gt(rs_apigw_match(&pool, "/u/{email}", "/u/a%2Bb@x.com", p, &n), 0);
    cr_assert_str_eq(p[0].value, "a%2Bb@x.com");
    cr_assert_gt(rs_apigw_match(&pool, "/{proxy+}", "/a//b", p, &n), 0);
    cr_assert_str_eq(p[0].value, "a//b");
}

/* ---- the 2.0 event --------------------------------------------------------------------- */

static json_object *event2(rs_apigw_target_t *t)
{
    rs_buf_t out;
    rs_buf_init(&out);
    cr_assert_eq(rs_apigw_event(&pool, &req, t, "111122223333", "10.1.2.3", 4566, 1700000000123,
                                "gw-req-id", &out),
                 0);
    json_object *ev = json_tokener_parse(out.data);
    rs_buf_free(&out);
    cr_assert_not_null(ev);
    return ev;
}

static const char *gets(json_object *o, const char *k)
{
    json_object *v;
    cr_assert(json_object_object_get_ex(o, k, &v), "missing %s", k);
    return json_object_get_string(v);
}

Test(apigw2, event2_members)
{
    rs_apigw_target_t t;
    memset(&t, 0, sizeof(t));
    t.version = 2;
    t.http_api = 1;
    t.api_id = "abc123defg";
    t.stage = "$default";
    t.path = "/items/7";
    t.stage_path = "/$default/items/7";
    t.route_key = "GET /items/{id}";
    t.params[0].name = "id";
    t.params[0].value = "7";
    t.nparams = 1;
    req.method = "POST";
    req.query = "a=1&a=2&b=x+y";
    req.query_len = strlen(req.query);
    req.host = "abc123defg.execute-api.localhost:4566";
    req.host_len = strlen(req.host);
    req.body = (const uint8_t *)"hi";
    req.body_len = 2;
    add_hdr("Host", "abc123defg.execute-api.localhost:4566");
    add_hdr("X-Multi", "one");
    add_hdr("x-multi", "two");
    add_hdr("Cookie", "s=1; t=2");
    add_hdr("cookie", "u=3");
    add_hdr("User-Agent", "ua/1");
    json_object *ev = event2(&t), *h, *q, *c, *rc, *http, *pp;
    cr_assert_str_eq(gets(ev, "version"), "2.0");
    cr_assert_str_eq(gets(ev, "routeKey"), "GET /items/{id}");
    cr_assert_str_eq(gets(ev, "rawPath"), "/items/7");
    cr_assert_str_eq(gets(ev, "rawQueryString"), "a=1&a=2&b=x+y");
    cr_assert(json_object_object_get_ex(ev, "headers", &h));
    cr_assert_str_eq(gets(h, "x-multi"), "one,two");
    cr_assert_str_eq(gets(h, "x-forwarded-proto"), "http");
    cr_assert_str_eq(gets(h, "x-forwarded-port"), "4566");
    cr_assert_str_eq(gets(h, "x-forwarded-for"), "10.1.2.3");
    cr_assert(!json_object_object_get_ex(h, "cookie", NULL));
    cr_assert(json_object_object_get_ex(ev, "cookies", &c));
    cr_assert_eq(json_object_array_length(c), 3);
    cr_assert_str_eq(json_object_get_string(json_object_array_get_idx(c, 1)), "t=2");
    cr_assert(json_object_object_get_ex(ev, "queryStringParameters", &q));
    cr_assert_str_eq(gets(q, "a"), "1,2");
    cr_assert_str_eq(gets(q, "b"), "x y");
    cr_assert(json_object_object_get_ex(ev, "pathParameters", &pp));
    cr_assert_str_eq(gets(pp, "id"), "7");
    cr_assert(!json_object_object_get_ex(ev, "stageVariables", NULL));
    cr_assert_str_eq(gets(ev, "body"), "hi");
    cr_assert(!json_object_get_boolean(json_object_object_get(ev, "isBase64Encoded")));
    cr_assert(json_object_object_get_ex(ev, "requestContext", &rc));
    cr_assert_str_eq(gets(rc, "domainName"), "abc123defg.execute-api.localhost");
    cr_assert_str_eq(gets(rc, "domainPrefix"), "abc123defg");
    cr_assert_str_eq(gets(rc, "stage"), "$default");
    cr_assert_str_eq(gets(rc, "requestId"), "gw-req-id");
    cr_assert_eq(json_object_get_int64(json_object_object_get(rc, "timeEpoch")), 1700000000123);
    cr_assert(json_object_object_get_ex(rc, "http", &http));
    cr_assert_str_eq(gets(http, "method"), "POST");
    cr_assert_str_eq(gets(http, "path"), "/items/7");
    cr_assert_str_eq(gets(http, "sourceIp"), "10.1.2.3");
    cr_assert_str_eq(gets(http, "userAgent"), "ua/1");
    json_object_put(ev);
}

Test(apigw2, event2_named_stage_in_raw_path_and_absent_members)
{
    rs_apigw_target_t t;
    memset(&t, 0, sizeof(t));
    t.version = 2;
    t.api_id = "x";
    t.stage = "dev";
    t.path = "/a";
    t.stage_path = "/dev/a";
    json_object *ev = event2(&t);
    cr_assert_str_eq(gets(ev, "rawPath"), "/dev/a");
    cr_assert_str_eq(gets(ev, "routeKey"), "$default");
    cr_assert_str_eq(gets(ev, "rawQueryString"), "");
    cr_assert(!json_object_object_get_ex(ev, "body", NULL));
    cr_assert(!json_object_object_get_ex(ev, "cookies", NULL));
    cr_assert(!json_object_object_get_ex(ev, "queryStringParameters", NULL));
    cr_assert(!json_object_object_get_ex(ev, "pathParameters", NULL));
    json_object_put(ev);
}

Test(apigw2, event1_of_an_http_api_says_its_version_and_carries_stage_variables)
{
    rs_apigw_target_t t;
    rs_apigw_kv_t vars[1] = {{"env", "dev"}};
    memset(&t, 0, sizeof(t));
    t.version = 1;
    t.http_api = 1;
    t.api_id = "x";
    t.stage = "$default";
    t.path = "/a";
    t.stage_path = "/a";
    t.resource = "/a";
    t.stage_vars = vars;
    t.nstage_vars = 1;
    json_object *ev = event2(&t), *sv;
    cr_assert_str_eq(gets(ev, "version"), "1.0");
    cr_assert(json_object_object_get_ex(ev, "stageVariables", &sv));
    cr_assert_str_eq(gets(sv, "env"), "dev");
    json_object_put(ev);
}

/* ---- 2.0 results ------------------------------------------------------------------------ */

static void reply2(rs_apigw_kind_t kind, const char *payload)
{
    rs_apigw_reply(&req, kind, 2, "rid", 0, 200, payload, strlen(payload), &resp);
}

Test(apigw2, reply2_bare_values_are_json_bodies)
{
    static const char *const bare[] = {"{\"a\": 1}", "\"text\"", "[1,2]", "42", "null"};
    for (size_t i = 0; i < sizeof(bare) / sizeof(bare[0]); i++) {
        reply2(RS_APIGW_HTTP, bare[i]);
        cr_assert_eq(resp.status, 200, "%s", bare[i]);
        cr_assert_str_eq(body(), bare[i]);
        cr_assert_str_eq(resp_header("content-type", 0), "application/json");
    }
}

Test(apigw2, reply2_structured_with_cookies_and_ignored_keys)
{
    reply2(RS_APIGW_HTTP, "{\"statusCode\": 302, \"headers\": {\"Location\": \"/x\", \"X-N\": 5},"
                          " \"cookies\": [\"a=1; Path=/\", \"b=2\"], \"body\": \"\","
                          " \"whatever\": true}");
    cr_assert_eq(resp.status, 302);
    cr_assert_str_eq(resp_header("location", 0), "/x");
    cr_assert_str_eq(resp_header("x-n", 0), "5");
    cr_assert_str_eq(resp_header("set-cookie", 0), "a=1; Path=/");
    cr_assert_str_eq(resp_header("set-cookie", 1), "b=2");
    cr_assert_not_null(resp_header("x-amz-apigw-id", 0));
}

Test(apigw2, reply2_base64_is_decoded)
{
    reply2(RS_APIGW_FURL, "{\"statusCode\": 200, \"body\": \"aGk=\", \"isBase64Encoded\": true,"
                          " \"headers\": {\"content-type\": \"application/octet-stream\"}}");
    cr_assert_eq(resp.status, 200);
    cr_assert_str_eq(body(), "hi");
    cr_assert_null(resp_header("x-amz-apigw-id", 0)); /* function URLs send none */
    cr_assert_str_eq(resp_header("x-amzn-RequestId", 0), "rid");
}

Test(apigw2, failures_by_kind)
{
    rs_apigw_reply(&req, RS_APIGW_HTTP, 2, "rid", 1, 200, "{}", 2, &resp);
    cr_assert_eq(resp.status, 500);
    cr_assert_str_eq(body(), "{\"message\":\"Internal Server Error\"}");
    rs_apigw_reply(&req, RS_APIGW_FURL, 2, "rid", 1, 200, "{}", 2, &resp);
    cr_assert_eq(resp.status, 502);
    rs_apigw_reply(&req, RS_APIGW_REST, 1, "rid", 1, 200, "{}", 2, &resp);
    cr_assert_eq(resp.status, 502);
    cr_assert_str_eq(body(), "{\"message\":\"Internal server error\"}");
    reply2(RS_APIGW_HTTP, "{not json");
    cr_assert_eq(resp.status, 500);
    rs_apigw_timeout(&req, RS_APIGW_REST, "rid", &resp);
    cr_assert_eq(resp.status, 504);
    cr_assert_str_eq(body(), "{\"message\":\"Endpoint request timed out\"}");
    rs_apigw_timeout(&req, RS_APIGW_HTTP, "rid", &resp);
    cr_assert_eq(resp.status, 503);
    cr_assert_str_eq(body(), "{\"message\":\"Service Unavailable\"}");
    rs_apigw_no_route(&req, RS_APIGW_HTTP, &resp);
    cr_assert_eq(resp.status, 404);
    cr_assert_str_eq(body(), "{\"message\":\"Not Found\"}");
    rs_apigw_no_route(&req, RS_APIGW_REST, &resp);
    cr_assert_eq(resp.status, 403);
    cr_assert_str_eq(body(), "{\"message\":\"Missing Authentication Token\"}");
}

Test(apigw2, domain_prefix_of_an_id_starting_with_a_digit)
{
    rs_apigw_target_t t;
    memset(&t, 0, sizeof(t));
    t.version = 2;
    t.api_id = "47y1r5067ydb";
    t.stage = "$default";
    t.path = "/";
    t.stage_path = "/";
    req.host = "47y1r5067ydb.lambda-url.us-east-1.localhost:4566";
    req.host_len = strlen(req.host);
    json_object *ev = event2(&t), *rc;
    cr_assert(json_object_object_get_ex(ev, "requestContext", &rc));
    cr_assert_str_eq(gets(rc, "domainPrefix"), "47y1r5067ydb");
    json_object_put(ev);
    /* an IP address is its own prefix */
    req.host = "10.0.0.1:4566";
    req.host_len = strlen(req.host);
    ev = event2(&t);
    cr_assert(json_object_object_get_ex(ev, "requestContext", &rc));
    cr_assert_str_eq(gets(rc, "domainPrefix"), "10.0.0.1");
    json_object_put(ev);
}
