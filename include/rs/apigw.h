/*
 * apigw.h: the API Gateway and function URL proxy without sockets: split an invoke
 * address, pick the route of a resource tree or route table (most specific wins), build
 * the payload 1.0 and 2.0 events, map a function's result back to the HTTP response
 * (lambda.md 6.1-6.5), and the gateway's own answers (403, 404, 5xx).
 * Runs in: the lambda supervisor (gw_invoke.c drives it) and unit tests; pure functions
 * over rs_http_req_t / rs_http_resp_t (json-c).
 *
 * Addresses (rs/router.h routes them; rs_apigw_parse splits them):
 *   http://<api_id>.execute-api[.<region>].localhost:4566/<stage>[/<path>] (also with
 *     localhost.localstack.cloud or the configured hostname; <id>.execute-api.<region>.
 *     amazonaws.com when that is the Host),
 *   /_aws/execute-api/<api_id>/<stage>[/<path>]         (clients that cannot set a Host),
 *   /restapis/<api_id>/<stage>/_user_request_[/<path>]  (LocalStack's),
 *   function URLs and custom domains: the whole path is the API's (no stage segment).
 * <api_id> in a path is percent-decoded.
 * Choices (documented in the README):
 *   - `path`/`rawPath` and path parameters keep the client's percent-encoding, as AWS sends
 *     them; query parameters are decoded ('+' -> space).
 *   - header names are as the client sent them; the X-Forwarded-* headers RustStack adds
 *     when the client did not send them use AWS's casing (2.0: lower-case).
 *   - requestContext.domainName is the Host the client used, without the port (what
 *     makes the absolute URLs an app builds come back here); domainPrefix its first label.
 *   - binaryMediaTypes is "* / *": an isBase64Encoded result body is always decoded.
 */
#ifndef RS_APIGW_H
#define RS_APIGW_H

#include <stddef.h>
#include <stdint.h>

#include "rs/http.h"
#include "rs/router.h"

typedef struct rs_apigw_kv {
    const char *name;
    const char *value;
} rs_apigw_kv_t;

#define RS_APIGW_MAX_PARAMS 16 /* path parameters of one route */

typedef struct rs_apigw_target {
    /* the address (rs_apigw_parse) */
    const char *api_id;     /* requestContext.apiId (a function URL's url id) */
    const char *stage;      /* <stage> ("$default" for HTTP APIs and function URLs) */
    const char *path;       /* "/" + raw remainder after the stage ("/" at the root) */
    const char *stage_path; /* requestContext.path: "/<stage>" + raw remainder (1.0) */
    const char *api_region; /* the region the Host names; NULL when none */
    /* the integration (rs_apigw_resolve or the definitions) */
    const char *function; /* what Invoke is called with: a name[:qualifier] or an ARN */
    const char *region;   /* the function's region and account: the Invoke's */
    const char *account;
    const char *resource;    /* 1.0 resource / resourcePath ("/{proxy+}", "/items/{id}") */
    const char *route_key;   /* 2.0 routeKey ("$default", "GET /items/{id}") */
    const char *resource_id; /* requestContext.resourceId (NULL: derived) */
    const char *deployment_id;
    rs_apigw_kv_t params[RS_APIGW_MAX_PARAMS]; /* pathParameters (raw); none: null */
    size_t nparams;
    const rs_apigw_kv_t *stage_vars; /* stageVariables; none: null */
    size_t nstage_vars;
    int version;     /* payload format: 1 (1.0) or 2 (2.0) */
    int http_api;    /* an HTTP API or function URL (a 1.0 event then says "version": "1.0") */
} rs_apigw_target_t; /* strings are NUL-terminated, in req->pool or the caller's */

/* Split the address of route (RS_APIGW_RESTAPIS, _PATH or _HOST), then rs_apigw_resolve
 * with the caller's region and account (req->region, req->account). Returns 0, or
 * RS_EINVAL for an address without a non-empty api id and stage, or a /restapis path
 * without _user_request_ (answer those with rs_apigw_missing_token). */
int rs_apigw_parse(const rs_http_req_t *req, const rs_route_t *route, rs_apigw_target_t *t);

/* Set t->path and t->stage_path from the raw remainder (rem, rlen: "" or "/...") and
 * t->stage. */
void rs_apigw_set_path(rs_pool_t *pool, rs_apigw_target_t *t, const char *rem, size_t rlen);

/* The integration when the api id names no API: the api id names a function (a name,
 * name:qualifier or a full ARN) and every path and method goes to it: resource
 * "/{proxy+}" with pathParameters {"proxy": <path>} ("/" and null at the root), payload
 * 1.0. The function's region: the ARN's; else t->api_region; else `region` (the
 * caller's). Its account: the ARN's, else `account`. Returns 0. */
int rs_apigw_resolve(rs_pool_t *pool, const char *method, const char *region, const char *account,
                     rs_apigw_target_t *t);

/* A function ARN "arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]"
 * or a partial "<account>:function:<name>[:<qualifier>]": 1 with its region (NULL for the
 * partial form) and account in the pool; 0 when fn is neither. */
int rs_apigw_function_arn(rs_pool_t *pool, const char *fn, const char **region,
                          const char **account);

/* ---- routing (apigw_route.c) ------------------------------------------------------- */

/* How well a path template ("/items/{id}", "/{proxy+}", "/") matches a raw path ("/"-led,
 * no query): -1 when it does not, else a rank where higher is more specific (literal
 * segments beat {param}, which beats {proxy+}; a template without a greedy segment beats
 * one with). With a match, params (when not NULL, room for RS_APIGW_MAX_PARAMS) receives
 * the parameters in the pool, raw; *nparams their count. A trailing '/' of the path is
 * ignored for matching, except at the root. */
long rs_apigw_match(rs_pool_t *pool, const char *tmpl, const char *path, rs_apigw_kv_t *params,
                    size_t *nparams);

/* ---- events (apigw_event.c, apigw_event2.c) ---------------------------------------- */

/* Append the event of t->version (JSON) to out. `account` is requestContext.accountId,
 * `source_ip` the client address (identity.sourceIp / http.sourceIp, X-Forwarded-For when
 * absent), `server_port` the listening port (X-Forwarded-Port when neither the client nor
 * the Host header gives one), `now_ms` requestTime/requestTimeEpoch (2.0: time/timeEpoch),
 * `request_id` the gateway's request id (requestContext.requestId, x-amzn-RequestId).
 * Strings that are not valid UTF-8 get U+FFFD; a body that is not valid UTF-8 is sent
 * base64 with isBase64Encoded true. Returns 0. */
int rs_apigw_event(rs_pool_t *pool, const rs_http_req_t *req, const rs_apigw_target_t *t,
                   const char *account, const char *source_ip, unsigned server_port, int64_t now_ms,
                   const char *request_id, rs_buf_t *out);

/* requestContext.extendedRequestId and the response's x-amz-apigw-id: derived from
 * req->request_id, 16 characters ending in '=' like AWS's. */
void rs_apigw_extended_id(const rs_http_req_t *req, char out[17]);

/* ---- replies (apigw_reply.c) ------------------------------------------------------- */

/* Who answers: a REST API (1.0 rules: 502 on a malformed result, 500 on a rejection), an
 * HTTP API (2.0 or 1.0 results; 500 {"message":"Internal Server Error"} on any failure) or
 * a function URL (2.0 results; 502 on any failure). */
typedef enum { RS_APIGW_REST = 0, RS_APIGW_HTTP, RS_APIGW_FURL } rs_apigw_kind_t;

/* Map an Invoke outcome to the client's response. invoke_status: the Lambda API status
 * (200 for a completed synchronous invoke; anything else, 0 included, is a rejection).
 * function_error: X-Amz-Function-Error was set. payload: the function's result. version:
 * the payload format (2: a bare JSON value is a 200 application/json body, `cookies` become
 * Set-Cookie). Always sets x-amzn-RequestId (request_id, or req->request_id when NULL)
 * and, but for function URLs, x-amz-apigw-id. Replaces whatever resp held; sets
 * resp->head_only for HEAD. */
void rs_apigw_reply(const rs_http_req_t *req, rs_apigw_kind_t kind, int version,
                    const char *request_id, int function_error, int invoke_status,
                    const char *payload, size_t len, rs_http_resp_t *resp);

/* The gateway's own answer: status, {"message": message}, content-type application/json,
 * x-amzn-ErrorType (when type is not NULL), x-amzn-RequestId, x-amz-apigw-id; replaces
 * whatever resp held. */
void rs_apigw_error(const rs_http_req_t *req, const char *request_id, int status, const char *type,
                    const char *message, rs_http_resp_t *resp);

/* No such route: REST 403 {"message": "Missing Authentication Token"}
 * (MissingAuthenticationTokenException); HTTP APIs and function URLs 404
 * {"message":"Not Found"}. */
void rs_apigw_no_route(const rs_http_req_t *req, rs_apigw_kind_t kind, rs_http_resp_t *resp);
void rs_apigw_missing_token(const rs_http_req_t *req, rs_http_resp_t *resp);

/* The integration ran past its timeout: REST 504 {"message": "Endpoint request timed out"};
 * HTTP APIs 503 {"message":"Service Unavailable"}; function URLs 502. */
void rs_apigw_timeout(const rs_http_req_t *req, rs_apigw_kind_t kind, const char *request_id,
                      rs_http_resp_t *resp);

#endif
