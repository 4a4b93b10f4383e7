/*
 * ddb_error.h: private to src/http: a DynamoDB error of the table in rs/ddb_errors.h
 * as the worker's HTTP response. Errors from DynamoDB Local come back through the
 * supervisor rendered by the same table. Runs in: workers (h2o-free).
 */
#ifndef RS_HTTP_DDB_ERROR_H
#define RS_HTTP_DDB_ERROR_H

#include "rs/ddb_errors.h"
#include "rs/http.h"

/* Fill resp with the error: status, content-type application/x-amz-json-1.0,
 * x-amzn-RequestId, the body and its x-amz-crc32. `message` NULL: the table's text. */
void rs_ddb_error(const rs_http_req_t *req, rs_http_resp_t *resp, rs_ddb_err_t e,
                  const char *message);

/* DynamoDB's CORS headers on an answer to a request that carries Origin:
 * Access-Control-Allow-Origin * and Access-Control-Expose-Headers. */
void rs_ddb_cors(const rs_http_req_t *req, rs_http_resp_t *resp);

/* DynamoDB's answer to a CORS preflight (OPTIONS): 200, no body, the requested method and
 * headers allowed, Access-Control-Max-Age. */
void rs_ddb_preflight(const rs_http_req_t *req, rs_http_resp_t *resp);

#endif
