/*
 * stubs.c: Lambda and the API Gateway proxy are routed but not served yet; each answers
 * with its own protocol's error shape (503, retryable) so that SDKs report a clean
 * service error. Runs in: workers. (DynamoDB goes to its supervisor: adapter.c,
 * ddb_proxy.c, ipc_client.c; its errors are in ddb_error.c.)
 *   Lambda (REST JSON):  {"Type": "Service", "Message": "..."} + x-amzn-ErrorType
 *   API Gateway proxy:   {"message": "..."} + x-amzn-ErrorType
 */
#include "config.h"

#include <json-c/json.h>
#include <string.h>

#include "http/http_int.h"

static void put_json(rs_http_resp_t *resp, json_object *o)
{
    rs_buf_appends(&resp->body, json_object_to_json_string_ext(
                                    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

static void lambda(rs_http_req_t *req, rs_http_resp_t *resp)
{
    json_object *o = json_object_new_object();
    req->service = "lambda";
    req->operation = "Unavailable";
    json_object_object_add(o, "Type", json_object_new_string("Service"));
    json_object_object_add(
        o, "Message",
        json_object_new_string("Lambda is not available in this version of RustStack"));
    resp->status = 503;
    rs_http_resp_header(resp, "content-type", "application/json");
    rs_http_resp_header(resp, "x-amzn-errortype", "ServiceException");
    rs_http_resp_header(resp, "x-amzn-requestid", req->request_id);
    put_json(resp, o);
}

static void apigw(rs_http_req_t *req, rs_http_resp_t *resp)
{
    json_object *o = json_object_new_object();
    req->service = "apigw";
    req->operation = "Unavailable";
    json_object_object_add(
        o, "message",
        json_object_new_string(
            "the API Gateway proxy is not available in this version of RustStack"));
    resp->status = 503;
    rs_http_resp_header(resp, "content-type", "application/json");
    rs_http_resp_header(resp, "x-amzn-errortype", "ServiceUnavailableException");
    rs_http_resp_header(resp, "x-amzn-requestid", req->request_id);
    put_json(resp, o);
}

void rs_stub_handle(rs_http_ctx_t *c, rs_http_req_t *req, const rs_route_t *route,
                    rs_http_resp_t *resp)
{
    rs_http_set_identity(c, req);
    switch (route->kind) {
    case RS_ROUTE_LAMBDA:
        lambda(req, resp);
        break;
    default:
        apigw(req, resp);
        break;
    }
    resp->head_only = strcmp(req->method, "HEAD") == 0;
}
