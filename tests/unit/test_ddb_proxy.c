/*
 * test_ddb_proxy.c: the worker's DynamoDB path without sockets (src/http/ddb_proxy.c)
 * and its error table (src/http/ddb_error.c): validation answers (413, 404, 400
 * UnknownOperationException), identity from SigV4 credentials (account and region as
 * S3 takes them), signature checks when auth_verify is on, the status board (switched
 * off, unavailable with its reason, starting -> retryable 503, running -> forward), the
 * request meta sent to the supervisor, the model validator's answers at the call site, and
 * the reply -> response conversion.
 * Runs in: the test process.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/ddb_proxy.h"
#include "rs/err.h"
#include "rs/status.h"

static rs_conf_t conf;
static rs_http_ctx_t ctx;
static rs_pool_t pool;
static rs_http_req_t req;
static rs_http_resp_t resp;
static rs_route_t route;
static rs_hdr_t hdrs[8];

static void add_hdr(const char *name, const char *value)
{
    hdrs[req.num_headers].name = name;
    hdrs[req.num_headers].name_len = strlen(name);
    hdrs[req.num_headers].value = value;
    hdrs[req.num_headers].value_len = strlen(value);
    req.num_headers++;
}

/* a request as boto3 sends it; target "DynamoDB_20120810.<op>" */
static void setup_req(const char *method, const char *target, const char *auth)
{
    char err[256];
    rs_conf_defaults(&conf);
    cr_assert_eq(rs_conf_finalize(&conf, err, sizeof(err)), 0, "%s", err);
    rs_http_ctx_init(&ctx, &conf, NULL, 0, getpid());
    rs_pool_init(&pool);
    memset(&req, 0, sizeof(req));
    req.pool = &pool;
    req.method = method;
    req.path = "/";
    req.path_len = 1;
    req.headers = hdrs;
    /* no body: the model validator leaves it to DynamoDB Local, so every operation is
     * forwarded (the validator's answers: the validates_before_forwarding test) */
    req.body = (const uint8_t *)"";
    req.body_len = 0;
    snprintf(req.request_id, sizeof(req.request_id), "REQID0123456789A");
    add_hdr("x-amz-target", target);
    add_hdr("content-type", "application/x-amz-json-1.0");
    if (auth != NULL) {
        add_hdr("authorization", auth);
        add_hdr("x-amz-date", "20260101T000000Z");
    }
    memset(&route, 0, sizeof(route));
    route.kind = RS_ROUTE_DYNAMODB;
    const char *dot = strchr(target, '.');
    route.rest = dot ? dot + 1 : target + strlen(target);
    route.rest_len = strlen(route.rest);
    rs_http_resp_init(&resp, &pool);
}

static void teardown_req(void)
{
    rs_http_resp_free(&resp);
    rs_pool_clear(&pool);
    rs_status_destroy(rs_status_current());
}

static const char *resp_header(const char *name)
{
    for (size_t i = 0; i < resp.num_headers; i++)
        if (strlen(name) == resp.headers[i].name_len &&
            strncasecmp(resp.headers[i].name, name, resp.headers[i].name_len) == 0)
            return rs_pool_strndup(&pool, resp.headers[i].value, resp.headers[i].value_len);
    return NULL;
}

static json_object *body_json(void)
{
    char *s = rs_pool_strndup(&pool, resp.body.data ? resp.body.data : "", resp.body.len);
    json_object *o = json_tokener_parse(s);
    cr_assert_not_null(o, "body is not JSON: %s", s);
    return o;
}

static const char *jstr(json_object *o, const char *k)
{
    json_object *v;
    if (!json_object_object_get_ex(o, k, &v))
        return NULL;
    return json_object_get_string(v);
}

/* DynamoDB's 52-character id, starting with the worker's */
static void assert_request_id(const char *id)
{
    cr_assert_not_null(id);
    cr_assert_eq(strlen(id), 52);
    cr_assert_eq(strncmp(id, "REQID0123456789A", 16), 0);
}

static void assert_error(int status, const char *type, const char *msg_part)
{
    cr_assert_eq(resp.status, status);
    cr_assert_str_eq(resp_header("content-type"), "application/x-amz-json-1.0");
    assert_request_id(resp_header("x-amzn-requestid"));
    json_object *o = body_json();
    cr_assert_str_eq(jstr(o, "__type"), type);
    if (msg_part != NULL)
        cr_assert(jstr(o, "message") != NULL && strstr(jstr(o, "message"), msg_part) != NULL,
                  "message: %s", jstr(o, "message"));
    json_object_put(o);
}

#define AUTH_W2                                                                                    \
    "AWS4-HMAC-SHA256 Credential=123456789012/20260101/us-west-2/dynamodb/aws4_request, "          \
    "SignedHeaders=host;x-amz-date;x-amz-target, Signature=" SIG
#define SIG "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

TestSuite(ddb_proxy, .fini = teardown_req);

Test(ddb_proxy, forwards_with_identity_from_credentials)
{
    rs_ddb_fwd_t fwd;
    setup_req("POST", "DynamoDB_20120810.PutItem", AUTH_W2);
    cr_assert_eq(rs_ddb_prepare(&ctx, &req, &route, &resp, &fwd), 0);
    cr_assert_str_eq(req.service, "dynamodb");
    cr_assert_str_eq(req.operation, "PutItem");
    json_object *m = json_tokener_parse(fwd.meta);
    cr_assert_not_null(m);
    cr_assert_eq(strlen(fwd.meta), fwd.meta_len);
    cr_assert_str_eq(jstr(m, "target"), "DynamoDB_20120810.PutItem");
    cr_assert_str_eq(jstr(m, "account"), "123456789012");
    cr_assert_str_eq(jstr(m, "region"), "us-west-2");
    cr_assert_str_eq(jstr(m, "request_id"), "REQID0123456789A");
    cr_assert_str_eq(jstr(m, "content_type"), "application/x-amz-json-1.0");
    cr_assert_str_eq(jstr(m, "access_key"), "123456789012");
    json_object_put(m);
}

Test(ddb_proxy, anonymous_gets_defaults)
{
    rs_ddb_fwd_t fwd;
    setup_req("POST", "DynamoDB_20120810.ListTables", NULL);
    cr_assert_eq(rs_ddb_prepare(&ctx, &req, &route, &resp, &fwd), 0);
    json_object *m = json_tokener_parse(fwd.meta);
    cr_assert_str_eq(jstr(m, "account"), "000000000000");
    cr_assert_str_eq(jstr(m, "region"), conf.default_region);
    cr_assert_str_eq(jstr(m, "access_key"), "");
    json_object_put(m);
}

Test(ddb_proxy, non_post_is_404)
{
    rs_ddb_fwd_t fwd;
    setup_req("GET", "DynamoDB_20120810.ListTables", NULL);
    cr_assert_eq(rs_ddb_prepare(&ctx, &req, &route, &resp, &fwd), 1);
    cr_assert_eq(resp.status, 404);
    cr_assert_eq(resp.body.len, strlen("<UnknownOperationException/>\n"));
    cr_assert_eq(memcmp(resp.body.data, "<UnknownOperationException/>\n", resp.body.len), 0);
    /* zlib.crc32(b"<UnknownOperationException/>\n"): DynamoDB sends the same */
    cr_assert_str_eq(resp_header("x-amz-crc32"), "3552371480");
    assert_request_id(resp_header("x-amzn-requestid"));
}

Test(ddb_proxy, content_type)
{
    rs_ddb_fwd_t fwd;
    setup_req("POST", "DynamoDB_20120810.ListTables", NULL);
    hdrs[1].value = "text/plain";
    hdrs[1].value_len = strlen("text/plain");
    cr_assert_eq(rs_ddb_prepare(&ctx, &req, &route, &resp, &fwd), 1);
    cr_assert_eq(resp.status, 404);
    rs_http_resp_free(&resp);
    rs_http_resp_init(&resp, &pool);
    hdrs[1].value = "application/json; charset=utf-8";
    hdrs[1].value_len = strlen(hdrs[1].value);
    cr_assert_eq(rs_ddb_prepare(&ctx, &req, &route, &resp, &fwd), 0);
}

Test(ddb_proxy, unknown_operation)
{
    static const char *const bad[] = {"DynamoDB_20120810.",
                                      "DynamoDB_20120810.Put-Item",
                                      "DynamoDB_20120810.Put Item",
                                      "DynamoDB_20120810.Nope",
                                      "DynamoDB_20120810.putitem",
                                      "DynamoDB_20120810.PutItemPutItemPutItemPutItemPutItemPutItem"
                                      "PutItemPutItemPutItem"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rs_ddb_fwd_t fwd;
        setup_req("POST", bad[i], NULL);
        cr_assert_eq(rs_ddb_prepare(&ctx, &req, &route, &resp, &fwd), 1, "%s", bad[i]);
        assert_error(400, "com.amazon.coral.service#UnknownOperationException", NULL);
        json_object *o = body_json();
        cr_assert_eq(json_object_object_length(o), 1, "only __type: %s", resp.body.data);
        /* zlib.crc32 of {"__type":"com.amazon.coral.service#UnknownOperationException"} */
        cr_assert_str_eq(resp_header("x-amz-crc32"), "1368724161");
        json_object_put(o);
        teardown_req();
    }
}

Test(ddb_proxy, every_api_operation_is_forwarded)
{
    static const char *const ops[] = {"BatchGetItem",
                                      "BatchWriteItem",
                                      "CreateTable",
                                      "DeleteItem",
                                      "DeleteTable",
                                      "DescribeTable",
                                      "GetItem",
                                      "ListTables",
                                      "PutItem",
                                      "Query",
                                      "Scan",
                                      "UpdateItem",
                                      "UpdateTable",
                                      "TransactWriteItems",
                                      "DescribeTimeToLive",
                                      "UpdateTimeToLive",
                                      "TagResource",
                                      "ExecuteStatement",
                                      "DescribeEndpoints",
                                      "BatchExecuteStatement"};
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        char target[96];
        rs_ddb_fwd_t fwd;
        snprintf(target, sizeof(target), "DynamoDB_20120810.%s", ops[i]);
        setup_req("POST", target, NULL);
        cr_assert_eq(rs_ddb_prepare(&ctx, &req, &route, &resp, &fwd), 0, "%s", ops[i]);
        cr_assert_str_eq(req.operation, ops[i]);
        teardown_req();
    }
}

Test(ddb_proxy, too_large)
{
    rs_ddb_fwd_t fwd;
    setup_req("POST", "DynamoDB_20120810.PutItem", NULL);
    req.body_len = RS_DDB_MAX_REQUEST + 1;
    cr_assert_eq(rs_ddb_prepare(&ctx, &req, &route, &resp, &fwd), 1);
    cr_assert_eq(resp.status, 413);
    /* exactly the limit: forwarded (a real buffer: the validator reads it) */
    char *big = malloc(RS_DDB_MAX_REQUEST);
    cr_assert_not_null(big);
    memset(big, ' ', RS_DDB_MAX_REQUEST);
    memcpy(big, "{\"TableName\":\"tbl\",\"Item\":{}", 28);
    big[RS_DDB_MAX_REQUEST - 1] = '}';
    req.body = (const uint8_t *)big;
    req.body_len = RS_DDB_MAX_REQUEST;
    rs_http_resp_free(&resp);
    rs_http_resp_init(&resp, &pool);
    cr_assert_eq(rs_ddb_prepare(&ctx, &req, &route, &resp, &fwd), 0);
    free(big);
}

Test(ddb_proxy, validates_before_forwarding)
{
    rs_ddb_fwd_t fwd;
    setup_req("POST", "DynamoDB_20120810.GetItem", NULL);
    req.body = (const uint8_t *)"{\"TableName\":\"ab\",\"Key\":{}}";
    req.body_len = strlen((const char *)req.body);
    cr_assert_eq(rs_ddb_prepare(&ctx, &req, &route, &resp, &fwd), 1);
    cr_assert_eq(resp.status, 400);
    json_object *o = body_json();
    cr_assert_str_eq(jstr(o, "__type"), "com.amazon.coral.validate#ValidationException");
    cr_assert_str_eq(jstr(o, "message"),
                     "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy "
                     "constraint: Member must have length greater than or equal to 3");
    json_object_put(o);
    teardown_req();

    setup_req("POST", "DynamoDB_20120810.GetItem", NULL);
    req.body = (const uint8_t *)"{\"TableName\":7}";
    req.body_len = strlen((const char *)req.body);
    cr_assert_eq(rs_ddb_prepare(&ctx, &req, &route, &resp, &fwd), 1);
    cr_assert_eq(resp.status, 400);
    o = body_json();
    cr_assert_str_eq(jstr(o, "__type"), "com.amazon.coral.service#SerializationException");
    cr_assert_str_eq(jstr(o, "Message"), "NUMBER_VALUE cannot be converted to String");
    json_object_put(o);
    teardown_req();

    setup_req("POST", "DynamoDB_20120810.GetItem", NULL);
    req.body = (const uint8_t *)"{";
    req.body_len = 1;
    cr_assert_eq(rs_ddb_prepare(&ctx, &req, &route, &resp, &fwd), 1);
    o = body_json();
    cr_assert_str_eq(jstr(o, "__type"), "com.amazon.coral.service#SerializationException");
    cr_assert_eq(json_object_object_length(o), 1, "no message: %s", resp.body.data);
    json_object_put(o);
    teardown_req();
}

Test(ddb_proxy, switched_off)
{
    rs_ddb_fwd_t fwd;
    setup_req("POST", "DynamoDB_20120810.PutItem", NULL);
    conf.dynamodb = 0;
    cr_assert_eq(rs_ddb_prepare(&ctx, &req, &route, &resp, &fwd), 1);
    assert_error(400, "com.amazonaws.dynamodb.v20120810#ServiceNotAvailableException",
                 "dynamodb = off");
}

Test(ddb_proxy, status_board)
{
    rs_ddb_fwd_t fwd;
    setup_req("POST", "DynamoDB_20120810.PutItem", NULL);
    rs_status_board_t *b = rs_status_create();
    cr_assert_not_null(b);

    rs_status_set(b, RS_SVC_DYNAMODB, RS_SVC_UNAVAILABLE,
                  "java not found: install openjdk-17-jre-headless");
    cr_assert_eq(rs_ddb_prepare(&ctx, &req, &route, &resp, &fwd), 1);
    assert_error(400, "com.amazonaws.dynamodb.v20120810#ServiceNotAvailableException",
                 "java not found: install openjdk-17-jre-headless");

    rs_http_resp_free(&resp);
    rs_http_resp_init(&resp, &pool);
    rs_status_set(b, RS_SVC_DYNAMODB, RS_SVC_STARTING, "");
    cr_assert_eq(rs_ddb_prepare(&ctx, &req, &route, &resp, &fwd), 1);
    assert_error(503, "com.amazonaws.dynamodb.v20120810#ServiceUnavailable", "starting");

    rs_http_resp_free(&resp);
    rs_http_resp_init(&resp, &pool);
    rs_status_set(b, RS_SVC_DYNAMODB, RS_SVC_RUNNING, "");
    cr_assert_eq(rs_ddb_prepare(&ctx, &req, &route, &resp, &fwd), 0);
}

Test(ddb_proxy, verify_signatures)
{
    rs_ddb_fwd_t fwd;
    setup_req("POST", "DynamoDB_20120810.PutItem", NULL);
    conf.auth_verify = 1;
    cr_assert_eq(rs_ddb_prepare(&ctx, &req, &route, &resp, &fwd), 1);
    assert_error(400, "com.amazon.coral.service#MissingAuthenticationTokenException", NULL);
    teardown_req();

    setup_req("POST", "DynamoDB_20120810.PutItem", AUTH_W2);
    conf.auth_verify = 1;
    cr_assert_eq(rs_ddb_prepare(&ctx, &req, &route, &resp, &fwd), 1);
    assert_error(400, "com.amazon.coral.service#UnrecognizedClientException", "invalid");
    teardown_req();

    /* a configured key with a wrong signature */
    setup_req("POST", "DynamoDB_20120810.PutItem", AUTH_W2);
    conf.auth_verify = 1;
    ctx.creds[0].access_key = "123456789012";
    ctx.creds[0].secret_key = "secret";
    ctx.creds[0].account = "123456789012";
    ctx.s3.ncreds = 1;
    cr_assert_eq(rs_ddb_prepare(&ctx, &req, &route, &resp, &fwd), 1);
    assert_error(400, "com.amazon.coral.service#InvalidSignatureException", "signature");
}

/* ---- replies ------------------------------------------------------------------------ */

Test(ddb_proxy, reply_passes_status_headers_body)
{
    setup_req("POST", "DynamoDB_20120810.GetItem", NULL);
    const char *meta = "{\"status\":400,\"headers\":{\"Content-Type\":\"application/"
                       "x-amz-json-1.0\",\"x-amzn-RequestId\":\"SUPERVISORID\","
                       "\"x-amz-crc32\":\"12345\"}}";
    const char *body = "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
                       "ResourceNotFoundException\",\"message\":\"Requested resource not found\"}";
    cr_assert_eq(rs_ddb_reply(&req, &resp, meta, strlen(meta), body, strlen(body)), 0);
    cr_assert_eq(resp.status, 400);
    cr_assert_str_eq(resp_header("x-amzn-requestid"), "SUPERVISORID");
    cr_assert_str_eq(resp_header("x-amz-crc32"), "12345");
    cr_assert_str_eq(resp_header("content-type"), "application/x-amz-json-1.0");
    cr_assert_eq(resp.num_headers, 3);
    cr_assert_eq(resp.body.len, strlen(body));
    cr_assert_eq(memcmp(resp.body.data, body, resp.body.len), 0);
}

Test(ddb_proxy, reply_adds_request_id_and_type)
{
    setup_req("POST", "DynamoDB_20120810.PutItem", NULL);
    const char *meta = "{\"status\":200}";
    cr_assert_eq(rs_ddb_reply(&req, &resp, meta, strlen(meta), "{}", 2), 0);
    cr_assert_eq(resp.status, 200);
    /* the supervisor sends DynamoDB's id; without one the worker's own */
    cr_assert_str_eq(resp_header("x-amzn-requestid"), "REQID0123456789A");
    cr_assert_str_eq(resp_header("content-type"), "application/x-amz-json-1.0");
    cr_assert_eq(resp.body.len, 2);
}

Test(ddb_proxy, reply_bad_meta_is_500)
{
    static const char *const bad[] = {"",
                                      "{",
                                      "[]",
                                      "{\"status\":\"200\"}",
                                      "{\"status\":99}",
                                      "{\"status\":200,\"headers\":[]}",
                                      "{\"headers\":{}}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setup_req("POST", "DynamoDB_20120810.PutItem", NULL);
        cr_assert_eq(rs_ddb_reply(&req, &resp, bad[i], strlen(bad[i]), "{}", 2), RS_EINVAL, "%s",
                     bad[i]);
        assert_error(500, "com.amazonaws.dynamodb.v20120810#InternalServerError", "malformed");
        teardown_req();
    }
}

/* ---- the error table ------------------------------------------------------------------- */

Test(ddb_proxy, error_table_shapes)
{
    for (int e = 0; e < RS_DDBE__COUNT; e++) {
        setup_req("POST", "DynamoDB_20120810.PutItem", NULL);
        rs_ddb_error(&req, &resp, (rs_ddb_err_t)e, NULL);
        cr_assert_eq(resp.status, rs_ddb_error_status((rs_ddb_err_t)e));
        assert_request_id(resp_header("x-amzn-requestid"));
        cr_assert_str_eq(resp_header("content-type"), "application/x-amz-json-1.0");
        const char *code = rs_ddb_error_code((rs_ddb_err_t)e);
        cr_assert(code != NULL && code[0] != '\0' && strchr(code, '#') == NULL);
        if (resp.status != 404) {
            json_object *o = body_json();
            const char *type = jstr(o, "__type");
            cr_assert(type != NULL && strchr(type, '#') != NULL, "%s", type);
            cr_assert_str_eq(strchr(type, '#') + 1, code);
            json_object_put(o);
        }
        teardown_req();
    }
    /* the retryable answer is what botocore retries: HTTP 503 */
    cr_assert_eq(rs_ddb_error_status(RS_DDBE_ServiceUnavailable), 503);
    cr_assert_str_eq(rs_ddb_error_code(RS_DDBE_ServiceUnavailable), "ServiceUnavailable");
    cr_assert_eq(rs_ddb_error_status(RS_DDBE_ServiceNotAvailable), 400);
}

Test(ddb_proxy, error_replaces_earlier_content)
{
    setup_req("POST", "DynamoDB_20120810.PutItem", NULL);
    rs_http_resp_header(&resp, "x-stale", "1");
    rs_buf_appends(&resp.body, "stale");
    rs_ddb_error(&req, &resp, RS_DDBE_ServiceUnavailable, "custom text");
    cr_assert_null(resp_header("x-stale"));
    assert_error(503, "com.amazonaws.dynamodb.v20120810#ServiceUnavailable", "custom text");
}

Test(ddb_proxy, long_meta_is_encoded_whole)
{
    rs_ddb_fwd_t fwd;
    char ct[900];
    setup_req("POST", "DynamoDB_20120810.ListTables", NULL);
    snprintf(ct, sizeof(ct), "application/x-amz-json-1.0; x=%0800d", 7);
    hdrs[1].value = ct;
    hdrs[1].value_len = strlen(ct);
    cr_assert_eq(rs_ddb_prepare(&ctx, &req, &route, &resp, &fwd), 0);
    cr_assert_eq(strlen(fwd.meta), fwd.meta_len);
    cr_assert_gt(fwd.meta_len, 800);
    json_object *m = json_tokener_parse(fwd.meta);
    cr_assert_not_null(m);
    json_object *v;
    cr_assert(json_object_object_get_ex(m, "content_type", &v));
    cr_assert_str_eq(json_object_get_string(v), ct);
    json_object_put(m);
}

Test(ddb_proxy, cors_preflight)
{
    rs_ddb_fwd_t fwd;
    setup_req("OPTIONS", "", NULL);
    add_hdr("origin", "http://localhost:3000");
    add_hdr("access-control-request-method", "POST");
    add_hdr("access-control-request-headers", "content-type,x-amz-target");
    cr_assert_eq(rs_ddb_prepare(&ctx, &req, &route, &resp, &fwd), 1);
    cr_assert_eq(resp.status, 200);
    cr_assert_eq(resp.body.len, 0);
    cr_assert_str_eq(resp_header("access-control-allow-origin"), "*");
    cr_assert_str_eq(resp_header("access-control-allow-methods"), "POST");
    cr_assert_str_eq(resp_header("access-control-allow-headers"), "content-type,x-amz-target");
    cr_assert_not_null(resp_header("access-control-max-age"));
    assert_request_id(resp_header("x-amzn-requestid"));
}

/* an error answer to a request with an Origin: the CORS headers, no Max-Age */
Test(ddb_proxy, cors_on_errors)
{
    rs_ddb_fwd_t fwd;
    setup_req("POST", "DynamoDB_20120810.NoSuchOperation", NULL);
    add_hdr("origin", "http://localhost:3000");
    cr_assert_eq(rs_ddb_prepare(&ctx, &req, &route, &resp, &fwd), 1);
    cr_assert_str_eq(resp_header("access-control-allow-origin"), "*");
    cr_assert_str_eq(resp_header("access-control-expose-headers"),
                     "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date");
    cr_assert_null(resp_header("access-control-max-age"));
}
