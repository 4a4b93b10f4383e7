/*
 * apigw.h: private to src/http: the API Gateway v1 (REST API) Lambda proxy without
 * sockets: parse the proxy path, build the payload-format-1.0 event, map the Invoke
 * outcome back to an HTTP response (lambda.md 6.1-6.3), and the gateway's own errors.
 * Runs in: workers (h2o-free, unit-tested without sockets; adapter.c does the hand-off).
 *
 * Route: any method on /restapis/<api_id>/<stage>/_user_request_[/<path...>] invokes the
 * function named by <api_id> (percent-decoded: a name, name:qualifier or a full ARN).
 * Choices (documented in the README by the lead):
 *   - `path` and pathParameters.proxy keep the client's percent-encoding, as AWS sends them
 *     (the recorded AWS event has "/test-path/api/user/test%2Balias@gmail.com"); query
 *     parameters are decoded ('+' -> space).
 *   - header names are h2o's lower-case names; the X-Forwarded-* headers RustStack adds
 *     when the client did not send them use AWS's casing.
 *   - binaryMediaTypes is "* / *": an isBase64Encoded result body is always decoded.
 *   - a Lambda API rejection (unknown function, throttling, 5xx, no supervisor) answers
 *     500, a function error or a malformed result 502, both {"message": "Internal server
 *     error"} (AWS Lambda guide, services-apigateway-errors).
 */
#ifndef RS_HTTP_APIGW_H
#define RS_HTTP_APIGW_H

#include <stddef.h>
#include <stdint.h>

#include "rs/http.h"
#include "rs/router.h"

typedef struct rs_apigw_target {
    const char *function;   /* <api_id> percent-decoded: what Invoke is called with */
    const char *api_id;     /* requestContext.apiId (= function) */
    const char *stage;      /* <stage>, percent-decoded */
    const char *path;       /* "/" + raw remainder after "_user_request_/" ("/" at root) */
    const char *stage_path; /* requestContext.path: "/<stage>" + raw remainder */
    const char *resource;   /* "/{proxy+}", or "/" at the root */
    const char *proxy;      /* pathParameters.proxy (raw, no leading and trailing '/');
                             * NULL at the root (pathParameters null) */
} rs_apigw_target_t;        /* strings are NUL-terminated, in req->pool */

/* Split route->rest (after "/restapis/"). Returns 0, or RS_EINVAL for a path that is not
 * <api_id>/<stage>/_user_request_[/...] with a non-empty api id and stage (answer it with
 * rs_apigw_missing_token). */
int rs_apigw_parse(const rs_http_req_t *req, const rs_route_t *route, rs_apigw_target_t *t);

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
