/*
 * lambda_proxy.h: private to src/http: the worker's Lambda request path without the
 * sockets: name the operation, take the caller's identity, consult the status board,
 * enforce the request size limits, resolve S3-hosted function code from the worker's own
 * store (the supervisor only ever sees ZipFile), encode the request meta for the lambda
 * supervisor (rs_ipc_lambda_req_t, include/rs/ipc.h), and turn a supervisor reply
 * (rs_ipc_resp_t) into the HTTP response. The adapter does the asynchronous hand-off
 * (ipc_client.h). Runs in: workers (h2o-free, unit-tested without sockets).
 */
#ifndef RS_HTTP_LAMBDA_PROXY_H
#define RS_HTTP_LAMBDA_PROXY_H

#include "http/http_int.h"
#include "rs/lambda_errors.h"

typedef struct rs_lambda_fwd {
    const char *meta; /* request meta JSON (pool) */
    size_t meta_len;
    const void *body; /* the body to send: the request's, or the rewritten one (pool) */
    size_t body_len;
} rs_lambda_fwd_t;

/* Seconds the worker waits for any Lambda reply before answering the caller itself:
 * the longest function timeout plus environment start-up, plus slack. */
uint32_t rs_lambda_ipc_timeout_ms(const rs_conf_t *conf);

/* Sets req->service ("lambda") and req->operation. Returns 1 when resp already holds the
 * answer (an error), 0 when the request is to be forwarded with fwd. The meta's
 * request_id is a fresh UUID (x-amzn-RequestId, context.aws_request_id); log_id is the
 * worker's id of the HTTP request (access log). */
int rs_lambda_prepare(rs_http_ctx_t *c, rs_http_req_t *req, rs_http_resp_t *resp,
                      rs_lambda_fwd_t *fwd);

/* The same for the API Gateway control planes (SigV4 service "apigateway"): req->service
 * "apigateway", operation "ApiGateway"; the supervisor dispatches by path. */
int rs_apigateway_prepare(rs_http_ctx_t *c, rs_http_req_t *req, rs_http_resp_t *resp,
                          rs_lambda_fwd_t *fwd);

/* A request to an invoke URL (service "gateway"): method, raw path and query, every header
 * in order, the Host, the client's address, the listening port and whether its signature
 * was verified (signed_ok); the body as is.
 * RS_EINVAL when the meta would exceed RS_IPC_MAX_META (the headers are too large). */
int rs_gateway_prepare(rs_http_ctx_t *c, const rs_http_req_t *req, const char *source_ip,
                       int signed_ok, rs_lambda_fwd_t *fwd);

/* Fill resp from a response frame (status and headers from its meta JSON, its body).
 * A meta that is not the contract's shape gives a 500 ServiceException; RS_EINVAL. */
int rs_lambda_reply(const rs_http_req_t *req, rs_http_resp_t *resp, const char *meta,
                    size_t meta_len, const void *body, size_t body_len);

/* A Lambda REST error of the table (rs/lambda_errors.h) rendered by the worker: its status,
 * x-amzn-ErrorType, x-amzn-RequestId and body. */
void rs_lambda_error(const rs_http_req_t *req, rs_http_resp_t *resp, rs_lambda_err_t e,
                     const char *message);

#endif
