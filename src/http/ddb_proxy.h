/*
 * ddb_proxy.h: private to src/http: the worker's DynamoDB request path without the
 * sockets: validate what the worker can, take the caller's identity, consult the status
 * board, encode the request meta for the supervisor (rs_ipc_ddb_req_t, include/rs/ipc.h),
 * and turn the supervisor's reply (rs_ipc_resp_t) into the HTTP response. The adapter does the
 * asynchronous hand-off (ipc_client.h). Runs in: workers (h2o-free, unit-tested without sockets).
 */
#ifndef RS_HTTP_DDB_PROXY_H
#define RS_HTTP_DDB_PROXY_H

#include "http/ddb_error.h"
#include "http/http_int.h"

typedef struct rs_ddb_fwd {
    const char *meta; /* request meta JSON (pool) */
    size_t meta_len;
} rs_ddb_fwd_t;

/* Sets req->service ("dynamodb") and req->operation (the X-Amz-Target part after the
 * dot). Returns 1 when resp already holds the answer (an error), 0 when the request is to
 * be forwarded with fwd's meta and the request body. */
int rs_ddb_prepare(rs_http_ctx_t *c, rs_http_req_t *req, const rs_route_t *route,
                   rs_http_resp_t *resp, rs_ddb_fwd_t *fwd);

/* Fill resp from a response frame: status and headers from its meta JSON, its body, and
 * x-amzn-RequestId when the supervisor did not set one. A meta that is not the contract's
 * shape gives a 500 InternalServerError. Returns 0, or RS_EINVAL for a bad meta. */
int rs_ddb_reply(const rs_http_req_t *req, rs_http_resp_t *resp, const char *meta, size_t meta_len,
                 const void *body, size_t body_len);

#endif
