/*
 * gw_api.h: private to src/lambda: the API Gateway control planes and function URL
 * configs as handlers of the lambda supervisor: how a control-plane request reaches them
 * (rs_gw_call_t), their shared reply helpers, and the URLs they hand out.
 * Runs in: the lambda supervisor (its handler threads).
 *   gw_rest*.c   apigateway   /restapis..., /domainnames...  (rs_gw_rest_handle)
 *   gw_v2*.c     apigatewayv2 /v2/...                        (rs_gw_v2_handle)
 *   lambda_url.c Lambda       /2021-10-31/functions/{name}/url[s] (the Lambda route table)
 *   gw_invoke.c  the data plane (an HTTP request to an invoke URL)
 */
#ifndef RS_LAMBDA_GW_API_H
#define RS_LAMBDA_GW_API_H

#include <json-c/json.h>
#include <stddef.h>

#include "lambda/lambda_api.h"
#include "lambda/gw_store.h"
#include "rs/apigw_errors.h"

/* One control-plane request, as the worker forwarded it (service "apigateway"). */
typedef struct rs_gw_call {
    rs_lambda_api_t *api; /* api->gw: the store; api->reg: the functions; api->conf */
    const char *method;
    const char *path;     /* raw, percent-encoded, without the query */
    const char *query;    /* raw, "" when none */
    json_object *headers; /* lower-case names: content-type and x-amz-* (may be NULL) */
    const char *account;  /* the caller's (SigV4 access key) */
    const char *region;   /* the caller's (SigV4 credential scope, else default_region) */
    const char *request_id;
    const void *body;
    size_t len;
} rs_gw_call_t;

/* A control-plane request: "/v2/..." to rs_gw_v2_handle, everything else to
 * rs_gw_rest_handle. */
int rs_gw_control(const rs_gw_call_t *c, rs_lambda_resp_t *out);

/* apigateway (REST APIs, their resources, methods, integrations, deployments, stages;
 * custom domain names and base path mappings). Always fills out (AWS-shaped errors);
 * 0 or RS_ENOMEM. */
int rs_gw_rest_handle(const rs_gw_call_t *c, rs_lambda_resp_t *out);

/* apigatewayv2 (HTTP APIs with quick create, routes, integrations, stages, deployments;
 * domain names and API mappings). Same contract. */
int rs_gw_v2_handle(const rs_gw_call_t *c, rs_lambda_resp_t *out);

#define RS_GW_SEG_LEN 512 /* a path segment, decoded */

/* Split a raw path into percent-decoded segments ("/a/b%2Fc" -> "a", "b/c"). Returns the
 * number of segments, or -1 when there are too many, one is too long or empty (but a
 * single trailing "/" is ignored). Pure (gw_common.c). */
int rs_gw_split_path(const char *path, char seg[][RS_GW_SEG_LEN], size_t max);

/* The nth (0-based) value of query parameter `name`, percent-decoded ('+' is a space) into
 * out; 1 when present, else 0 (out ""). Pure (gw_common.c). */
int rs_gw_query_get(const char *query, const char *name, int nth, char *out, size_t outlen);

/* An error of the table: status, x-amzn-ErrorType, {"message": ...} (printf-style, up to
 * 2 KiB). Returns 0 (the operation answered), or RS_ENOMEM. */
int rs_gw_reply_error(rs_lambda_resp_t *out, rs_apigw_err_t e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The invoke URL bases handed out (apiEndpoint, FunctionUrl, regionalDomainName...), from
 * the `hostname` setting (default "localhost") and the port:
 *   rs_gw_execute_api_host: "<id>.execute-api.<region>.<hostname>"  (no scheme, no port)
 *   rs_gw_endpoint:         "http://<id>.execute-api.<region>.<hostname>:<port>"
 *   rs_gw_url_endpoint:     "http://<urlId>.lambda-url.<region>.<hostname>:<port>/" */
void rs_gw_execute_api_host(const rs_lambda_api_t *api, const char *id, const char *region,
                            char *out, size_t outlen);
void rs_gw_endpoint(const rs_lambda_api_t *api, const char *id, const char *region, char *out,
                    size_t outlen);
void rs_gw_url_endpoint(const rs_lambda_api_t *api, const char *url_id, const char *region,
                        char *out, size_t outlen);

/* ISO 8601 UTC with seconds ("2026-12-07T17:30:00Z"), as apigatewayv2 and the function URL
 * configs render timestamps; apigateway (v1) renders them as epoch seconds (a JSON
 * number): use time(NULL). */
void rs_gw_iso_now(char out[32]);

#endif
