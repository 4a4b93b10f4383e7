/*
 * apigw.h: private to src/http: the API Gateway v1 (REST API) Lambda proxy without
 * sockets: split the invoke URL, resolve it to a function (its region and account),
 * build the payload-format-1.0 event, map the Invoke outcome back to an HTTP response
 * (lambda.md 6.1-6.3), and the gateway's own errors.
 * Runs in: workers (h2o-free, unit-tested without sockets; adapter.c does the hand-off).
 *
 * Invoke URLs (rs/router.h routes them; rs_apigw_parse splits them):
 *   http://<api_id>.execute-api[.<region>].localhost:4566/<stage>[/<path>] (also with
 *     localhost.localstack.cloud or the configured hostname; <id>.execute-api.<region>.
 *     amazonaws.com when that is the Host),
 *   /_aws/execute-api/<api_id>/<stage>[/<path>]         (clients that cannot set a Host),
 *   /restapis/<api_id>/<stage>/_user_request_[/<path>]  (LocalStack's).
 * <api_id> in a path is percent-decoded. rs_apigw_resolve maps (api id, stage, path,
 * method) to the function and the resource; today's one rule: the api id names the
 * function (a name, name:qualifier or a full ARN) and every path and method goes to it.
 * The function's region: the ARN's; else the region the Host names; else the caller's
 * (SigV4 credential scope, or default_region). Its account: the ARN's, else the caller's.
 * Choices (documented in the README):
 *   - `path` and pathParameters.proxy keep the client's percent-encoding, as AWS sends them
 *     (the recorded AWS event has "/test-path/api/user/test%2Balias@gmail.com"); query
 *     parameters are decoded ('+' -> space).
 *   - header names are h2o's lower-case names; the X-Forwarded-* headers RustStack adds
 *     when the client did not send them use AWS's casing.
 *   - requestContext.domainName is the Host the client used, without the port (what
 *     makes the absolute URLs an app builds come back here); domainPrefix its first label.
 *   - binaryMediaTypes is "* / *": an isBase64Encoded result body is always decoded.
 *   - a Lambda API rejection (unknown function, throttling, 5xx, no supervisor) answers
 *     500, a function error or a malformed result 502, both {"message": "Internal server
 *     error"} (AWS Lambda guide, services-apigateway-errors); an unknown api id is an
 *     unknown function: 500 too (the worker cannot know before the Invoke).
 */
#ifndef RS_HTTP_APIGW_H
#define RS_HTTP_APIGW_H

#include <stddef.h>
#include <stdint.h>

#include "rs/http.h"
#include "rs/router.h"

typedef struct rs_apigw_target {
    /* the address (rs_apigw_parse) */
    const char *api_id;     /* requestContext.apiId: <api_id> (percent-decoded in a path) */
    const char *stage;      /* <stage>, percent-decoded */
    const char *path;       /* "/" + raw remainder after the stage ("/" at the root) */
    const char *stage_path; /* requestContext.path: "/<stage>" + raw remainder */
    const char *api_region; /* the region the Host names; NULL when none */
    /* the integration (rs_apigw_resolve) */
    const char *function; /* what Invoke is called with: a name[:qualifier] or an ARN */
    const char *region;   /* the function's region and account: the Invoke's */
    const char *account;
    const char *resource; /* "/{proxy+}", or "/" at the root */
    const char *proxy;    /* pathParameters.proxy (raw, no leading and trailing '/');
                           * NULL at the root (pathParameters null) */
} rs_apigw_target_t;      /* strings are NUL-terminated, in req->pool */

/* Split the address of route (any rs_apigw_form_t), then rs_apigw_resolve with the
 * caller's region and account (req->region, req->account: rs_http_set_identity first).
 * Returns 0, or RS_EINVAL for an address without a non-empty api id and stage, or a
 * /restapis path without _user_request_, or what rs_apigw_resolve returns (answer those
 * with rs_apigw_missing_token). */
int rs_apigw_parse(const rs_http_req_t *req, const rs_route_t *route, rs_apigw_target_t *t);

/* The integration behind (t->api_id, t->stage, t->path, method): fills t->function,
 * t->region, t->account, t->resource and t->proxy. `region` and `account` are the
 * caller's (used when neither the api id nor t->api_region says). Today's rule, the only
 * one until there is a control plane: the api id names a function, every path and
 * method goes to it, resource "/{proxy+}" with pathParameters {"proxy": <path>} ("/" and
 * null at the root). Returns 0 (RS_ENOENT is kept for "no such route"). */
int rs_apigw_resolve(rs_pool_t *pool, const char *method, const char *region, const char *account,
                     rs_apigw_target_t *t);

/* Append the v1 proxy event (JSON) to out. `account` is requestContext.accountId,
 * `source_ip` the client address (identity.sourceIp, X-Forwarded-For when absent),
 * `server_port` the listening port (X-Forwarded-Port when neither the client nor the Host
 * header gives one), `now_ms` requestTime/requestTimeEpoch, `request_id` the gateway's
 * request id (a UUID: requestContext.requestId, the reply's x-amzn-RequestId).
 * Strings that are not valid UTF-8 get U+FFFD; a body that is not valid UTF-8 is sent
 * base64 with isBase64Encoded true. Returns 0. */
int rs_apigw_event(rs_pool_t *pool, const rs_http_req_t *req, const rs_apigw_target_t *t,
                   const char *account, const char *source_ip, unsigned server_port, int64_t now_ms,
                   const char *request_id, rs_buf_t *out);

/* requestContext.extendedRequestId and the response's x-amz-apigw-id: derived from
 * req->request_id, 16 characters ending in '=' like AWS's. */
void rs_apigw_extended_id(const rs_http_req_t *req, char out[17]);

/* Map an Invoke outcome to the client's response. invoke_status: the Lambda API status
 * (200 for a completed synchronous invoke; anything else, 0 included, is a rejection ->
 * 500). function_error: X-Amz-Function-Error was set (-> 502). payload: the Invoke
 * response body (the function's result). Always sets x-amzn-RequestId (request_id, or
 * req->request_id when NULL) and x-amz-apigw-id. Replaces whatever status, headers and
 * body resp held; sets resp->head_only for HEAD. */
void rs_apigw_reply(const rs_http_req_t *req, const char *request_id, int function_error,
                    int invoke_status, const char *payload, size_t len, rs_http_resp_t *resp);

/* The gateway's own error: status, {"message": message}, content-type application/json,
 * x-amzn-ErrorType (when type is not NULL), x-amzn-RequestId, x-amz-apigw-id; replaces
 * whatever resp held. An integration timeout, for one, is
 * rs_apigw_error(req, id, 504, NULL, "Endpoint request timed out", resp). */
void rs_apigw_error(const rs_http_req_t *req, const char *request_id, int status, const char *type,
                    const char *message, rs_http_resp_t *resp);

/* 403 {"message": "Missing Authentication Token"} (MissingAuthenticationTokenException):
 * no such route. */
void rs_apigw_missing_token(const rs_http_req_t *req, rs_http_resp_t *resp);

#endif
