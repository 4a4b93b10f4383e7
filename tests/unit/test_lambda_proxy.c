/*
 * test_lambda_proxy.c: the worker's Lambda path without sockets (src/http/lambda_proxy.c):
 * operation names for the access log, AWS's 413 texts for oversized CreateFunction and
 * Invoke requests, the switched-off and starting answers, the request meta (method, raw
 * path and query, only x-amz-* and content-type headers, a UUID request id, the identity),
 * the forward the API Gateway proxy builds, and reply -> response (malformed meta -> 500).
 * Runs in: the test process.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/lambda_proxy.h"
#include "rs/err.h"
#include "rs/ipc.h"
#include "rs/status.h"

static rs_conf_t conf;
static rs_http_ctx_t ctx;
static rs_pool_t pool;
static rs_http_req_t req;
static rs_http_resp_t resp;
static rs_hdr_t hdrs[8];

static void add_hdr(const char *name, const char *value)
{
    hdrs[req.num_headers].name = name;
    hdrs[req.num_headers].name_len = strlen(name);
    hdrs[req.num_headers].value = value;
    hdrs[req.num_headers].value_len = strlen(value);
    req.num_headers++;
}

static void setup_req(const char *method, const char *path, const char *query)
{
    char err[256];
    rs_conf_defaults(&conf);
    cr_assert_eq(rs_conf_finalize(&conf, err, sizeof(err)), 0, "%s", err);
    rs_http_ctx_init(&ctx, &conf, NULL, 0, getpid());
    rs_pool_init(&pool);
    memset(&req, 0, sizeof(req));
    req.pool = &pool;
    req.method = method;
    req.path = path;
    req.path_len = strlen(path);
    req.query = query;
    req.query_len = query ? strlen(query) : 0;
    req.headers = hdrs;
    snprintf(req.request_id, sizeof(req.request_id), "REQID0123456789A");
    rs_http_resp_init(&resp, &pool);
}

static void teardown_req(void)
{
    rs_http_resp_free(&resp);
    rs_pool_clear(&pool);
}

TestSuite(lambda_proxy, .fini = teardown_req);

static const char *resp_header(const char *name)
{
    for (size_t i = 0; i < resp.num_headers; i++)
        if (strcasecmp(resp.headers[i].name, name) == 0)
            return resp.headers[i].value;
    return NULL;
}

static json_object *meta_of(const rs_lambda_fwd_t *fwd)
{
    json_object *o = json_tokener_parse(fwd->meta);
    cr_assert_not_null(o, "meta is not JSON: %s", fwd->meta);
    return o;
}

static const char *mstr(json_object *o, const char *k)
{
    json_object *v;
    cr_assert(json_object_object_get_ex(o, k, &v), "meta has no %s", k);
    return json_object_get_string(v);
}

Test(lambda_proxy, operation_names)
{
    static const struct {
        const char *method, *path, *op;
    } cases[] = {
        {"POST", "/2015-03-31/functions", "CreateFunction"},
        {"POST", "/2015-03-31/functions/", "CreateFunction"},
        {"GET", "/2015-03-31/functions/", "ListFunctions"},
        {"GET", "/2015-03-31/functions/f", "GetFunction"},
        {"DELETE", "/2015-03-31/functions/f", "DeleteFunction"},
        {"GET", "/2015-03-31/functions/f/configuration", "GetFunctionConfiguration"},
        {"PUT", "/2015-03-31/functions/f/configuration", "UpdateFunctionConfiguration"},
        {"PUT", "/2015-03-31/functions/f/code", "UpdateFunctionCode"},
        {"POST",
         "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af/invocations",
         "Invoke"},
        {"POST", "/2015-03-31/functions/f/nonsense", "Unknown"},
        {"GET", "/2021-10-31/functions/f/url", "GetFunctionUrlConfig"},
        {"GET", "/2021-10-31/functions/f/urls", "ListFunctionUrlConfigs"},
        {"GET", "/2021-10-31/functions/f/nonsense", "Unknown"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rs_lambda_fwd_t fwd;
        setup_req(cases[i].method, cases[i].path, NULL);
        cr_assert_eq(rs_lambda_prepare(&ctx, &req, &resp, &fwd), 0);
        cr_assert_str_eq(req.service, "lambda");
        cr_assert_str_eq(req.operation, cases[i].op, "%s %s", cases[i].method, cases[i].path);
        teardown_req();
    }
    setup_req("GET", "/", NULL);
}

Test(lambda_proxy, invoke_over_6mb_is_413)
{
    rs_lambda_fwd_t fwd;
    static uint8_t big[6291457];
    setup_req("POST", "/2015-03-31/functions/f/invocations", NULL);
    req.body = big;
    req.body_len = sizeof(big);
    cr_assert_eq(rs_lambda_prepare(&ctx, &req, &resp, &fwd), 1);
    cr_assert_eq(resp.status, 413);
    cr_assert_str_eq(resp_header("x-amzn-ErrorType"), "RequestEntityTooLargeException");
    cr_assert(strstr(resp.body.data,
                     "Request must be smaller than 6291456 bytes for the InvokeFunction "
                     "operation") != NULL);
    /* the members the supervisor's 413 has too (one table): Type and the model's message */
    static const char want[] = "{\"Type\":\"User\",\"message\":\"Request must be smaller than "
                               "6291456 bytes for the InvokeFunction operation\"}";
    cr_assert_eq(resp.body.len, sizeof(want) - 1);
    cr_assert(memcmp(resp.body.data, want, sizeof(want) - 1) == 0);
    req.body_len = 6291456; /* exactly the limit passes */
    rs_http_resp_free(&resp);
    rs_http_resp_init(&resp, &pool);
    cr_assert_eq(rs_lambda_prepare(&ctx, &req, &resp, &fwd), 0);
}

Test(lambda_proxy, create_over_limit_is_413)
{
    rs_lambda_fwd_t fwd;
    uint8_t *big = calloc(1, 70167212);
    setup_req("POST", "/2015-03-31/functions", NULL);
    req.body = big;
    req.body_len = 70167212;
    cr_assert_eq(rs_lambda_prepare(&ctx, &req, &resp, &fwd), 1);
    cr_assert_eq(resp.status, 413);
    cr_assert(strstr(resp.body.data, "Request must be smaller than 70167211 bytes for the "
                                     "CreateFunction operation") != NULL);
    free(big);
}

Test(lambda_proxy, switched_off_is_400)
{
    rs_lambda_fwd_t fwd;
    setup_req("GET", "/2015-03-31/functions/", NULL);
    conf.lambda = 0;
    cr_assert_eq(rs_lambda_prepare(&ctx, &req, &resp, &fwd), 1);
    cr_assert_eq(resp.status, 400);
    cr_assert_str_eq(resp_header("x-amzn-ErrorType"), "ServiceNotAvailableException");
    cr_assert(strstr(resp.body.data, "lambda = off") != NULL);
}

Test(lambda_proxy, starting_is_retryable_503)
{
    rs_lambda_fwd_t fwd;
    rs_status_board_t *b = rs_status_create();
    cr_assert_not_null(b);
    rs_status_set(b, RS_SVC_LAMBDA, RS_SVC_STARTING, "starting");
    setup_req("GET", "/2015-03-31/functions/", NULL);
    cr_assert_eq(rs_lambda_prepare(&ctx, &req, &resp, &fwd), 1);
    cr_assert_eq(resp.status, 503);
    cr_assert_str_eq(resp_header("x-amzn-ErrorType"), "ServiceException");
    /* unavailable (no engine): the control plane still goes to the supervisor */
    rs_status_set(b, RS_SVC_LAMBDA, RS_SVC_UNAVAILABLE, "no engine");
    rs_http_resp_free(&resp);
    rs_http_resp_init(&resp, &pool);
    cr_assert_eq(rs_lambda_prepare(&ctx, &req, &resp, &fwd), 0);
    rs_status_destroy(b);
}

Test(lambda_proxy, meta_shape)
{
    rs_lambda_fwd_t fwd;
    setup_req("POST", "/2015-03-31/functions/f%3Aprod/invocations", "Qualifier=%24LATEST");
    add_hdr("X-Amz-Invocation-Type", "Event");
    add_hdr("x-amz-log-type", "Tail");
    add_hdr("content-type", "application/json");
    add_hdr("user-agent", "Boto3/1.40");
    add_hdr("authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/lambda/"
                             "aws4_request, SignedHeaders=host, Signature=00");
    add_hdr("x-amz-date", "20260101T000000Z");
    req.body = (const uint8_t *)"{\"a\":1}";
    req.body_len = 7;
    cr_assert_eq(rs_lambda_prepare(&ctx, &req, &resp, &fwd), 0);
    cr_assert_eq(fwd.body, req.body);
    cr_assert_eq(fwd.body_len, 7);
    json_object *m = meta_of(&fwd), *h;
    cr_assert_str_eq(mstr(m, "method"), "POST");
    cr_assert_str_eq(mstr(m, "path"), "/2015-03-31/functions/f%3Aprod/invocations");
    cr_assert_str_eq(mstr(m, "query"), "Qualifier=%24LATEST");
    cr_assert_str_eq(mstr(m, "region"), "eu-west-1");
    cr_assert_str_eq(mstr(m, "account"), conf.default_account);
    cr_assert_str_eq(mstr(m, "log_id"), "REQID0123456789A");
    const char *id = mstr(m, "request_id");
    cr_assert_eq(strlen(id), 36, "a UUID: %s", id);
    cr_assert(id[8] == '-' && id[13] == '-' && id[14] == '4' && id[18] == '-' && id[23] == '-');
    cr_assert(json_object_object_get_ex(m, "headers", &h));
    cr_assert_eq(json_object_object_length(h), 4, "%s", json_object_to_json_string(h));
    cr_assert(json_object_object_get_ex(h, "x-amz-invocation-type", NULL));
    cr_assert(json_object_object_get_ex(h, "x-amz-log-type", NULL));
    cr_assert(json_object_object_get_ex(h, "content-type", NULL));
    cr_assert(json_object_object_get_ex(h, "x-amz-date", NULL));
    json_object_put(m);
}

Test(lambda_proxy, gateway_forward_keeps_every_header_in_order)
{
    rs_lambda_fwd_t fwd;
    setup_req("GET", "/restapis/f/prod/_user_request_/x", "a=1&a=2");
    add_hdr("cookie", "a=1");
    add_hdr("Cookie", "b=2");
    req.host = "f.execute-api.localhost:4566";
    req.host_len = strlen(req.host);
    req.body = (const uint8_t *)"{}";
    req.body_len = 2;
    rs_http_set_identity(&ctx, &req);
    cr_assert_eq(rs_gateway_prepare(&ctx, &req, "10.0.0.7", 1, &fwd), 0);
    json_object *m = meta_of(&fwd), *l;
    /* each member once (the text is what goes over the socket) */
    const char *first = strstr(fwd.meta, "\"hdrs\"");
    cr_assert_not_null(first);
    cr_assert_null(strstr(first + 1, "\"hdrs\""));
    cr_assert_str_eq(mstr(m, "service"), "gateway");
    cr_assert_str_eq(mstr(m, "path"), "/restapis/f/prod/_user_request_/x");
    cr_assert_str_eq(mstr(m, "query"), "a=1&a=2");
    cr_assert_str_eq(mstr(m, "host"), "f.execute-api.localhost:4566");
    cr_assert_str_eq(mstr(m, "source_ip"), "10.0.0.7");
    cr_assert(json_object_object_get_ex(m, "hdrs", &l));
    size_t n = json_object_array_length(l);
    cr_assert_geq(n, 2);
    /* the two Cookie fields stay two, in order, with their casing */
    json_object *a = json_object_array_get_idx(l, n - 2), *b = json_object_array_get_idx(l, n - 1);
    cr_assert_str_eq(json_object_get_string(json_object_array_get_idx(a, 0)), "cookie");
    cr_assert_str_eq(json_object_get_string(json_object_array_get_idx(b, 0)), "Cookie");
    cr_assert_str_eq(json_object_get_string(json_object_array_get_idx(b, 1)), "b=2");
    cr_assert_eq(fwd.body_len, 2);
    json_object_put(m);
    /* the decoder gives the same list back */
    json_object *root;
    rs_ipc_lambda_req_t q;
    cr_assert_eq(rs_ipc_lambda_req_decode(fwd.meta, fwd.meta_len, &root, &q), 0);
    cr_assert_str_eq(q.service, "gateway");
    cr_assert_eq(json_object_array_length(q.header_list), n);
    cr_assert_eq(q.port, (int)conf.port);
    cr_assert_eq(q.signed_ok, 1);
    json_object_put(root);
}

Test(lambda_proxy, reply_copies_status_headers_body)
{
    setup_req("POST", "/2015-03-31/functions/f/invocations", NULL);
    const char *meta = "{\"status\":200,\"headers\":{\"X-Amz-Function-Error\":\"Unhandled\","
                       "\"x-amzn-RequestId\":\"abc\"}}";
    cr_assert_eq(rs_lambda_reply(&req, &resp, meta, strlen(meta), "{\"x\":1}", 7), 0);
    cr_assert_eq(resp.status, 200);
    cr_assert_str_eq(resp_header("x-amz-function-error"), "Unhandled");
    cr_assert_str_eq(resp_header("x-amzn-requestid"), "abc");
    cr_assert_eq(resp.body.len, 7);
}

Test(lambda_proxy, malformed_reply_is_500)
{
    setup_req("POST", "/2015-03-31/functions/f/invocations", NULL);
    const char *bad[] = {"{\"status\":99}", "not json", "{\"status\":200,\"headers\":[]}"};
    for (size_t i = 0; i < 3; i++) {
        rs_http_resp_free(&resp);
        rs_http_resp_init(&resp, &pool);
        cr_assert_eq(rs_lambda_reply(&req, &resp, bad[i], strlen(bad[i]), NULL, 0), RS_EINVAL);
        cr_assert_eq(resp.status, 500);
        cr_assert_str_eq(resp_header("x-amzn-ErrorType"), "ServiceException");
    }
}
