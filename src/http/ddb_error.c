/*
 * ddb_error.c: a DynamoDB error (rs/ddb_errors.h) as the worker's HTTP answer: the
 * table's status and body with Content-Type application/x-amz-json-1.0,
 * x-amzn-RequestId and the x-amz-crc32 of the body, as DynamoDB sends them
 * (dynamodb.md section 1.2/1.3), the request id in DynamoDB's 52-character form
 * (src/ddb/ddb_reqid.c) and the CORS headers when the request has an Origin.
 * Runs in: workers.
 * Retryable answer: HTTP 503 + ServiceUnavailable. botocore retries it in both retry
 * modes: legacy (_retry.json policy "service_unavailable": any 503) and standard
 * (transient status codes 500/502/503/504). Not retryable on purpose: the 400
 * ServiceNotAvailable answer for a DynamoDB that cannot run here (no Java, no jar,
 * switched off): retrying would only delay the message saying what to install.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "http/ddb_error.h"
#include "rs/checksum.h"

void rs_ddb_error(const rs_http_req_t *req, rs_http_resp_t *resp, rs_ddb_err_t e,
                  const char *message)
{
    size_t len = 0;
    char *body = rs_ddb_err_body(e, message, &len);
    resp->status = rs_ddb_error_status(e);
    resp->body.len = 0;
    resp->num_headers = 0;
    rs_http_resp_header(resp, "content-type", "application/x-amz-json-1.0");
    char rid[RS_DDB_REQUEST_ID_LEN + 1];
    rs_ddb_request_id(req->request_id, rid, sizeof(rid));
    rs_http_resp_header(resp, "x-amzn-requestid", rs_pool_strndup(resp->pool, rid, strlen(rid)));
    rs_ddb_cors(req, resp);
    if (body != NULL)
        rs_buf_append(&resp->body, body, len);
    free(body);
    rs_http_resp_header(
        resp, "x-amz-crc32",
        rs_pool_printf(resp->pool, "%u", (unsigned)rs_crc32(0, resp->body.data, resp->body.len)));
}

void rs_ddb_cors(const rs_http_req_t *req, rs_http_resp_t *resp)
{
    if (rs_http_req_header(req, "origin") == NULL)
        return;
    rs_http_resp_header(resp, "access-control-allow-origin", "*");
    rs_http_resp_header(resp, "access-control-expose-headers",
                        "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date");
}

void rs_ddb_preflight(const rs_http_req_t *req, rs_http_resp_t *resp)
{
    static const char *const echo[][2] = {
        {"access-control-request-method", "access-control-allow-methods"},
        {"access-control-request-headers", "access-control-allow-headers"},
    };
    char rid[RS_DDB_REQUEST_ID_LEN + 1];
    resp->status = 200;
    resp->body.len = 0;
    resp->num_headers = 0;
    rs_ddb_request_id(req->request_id, rid, sizeof(rid));
    rs_http_resp_header(resp, "x-amzn-requestid", rs_pool_strndup(resp->pool, rid, strlen(rid)));
    rs_ddb_cors(req, resp);
    if (rs_http_req_header(req, "origin") == NULL)
        return;
    for (size_t i = 0; i < 2; i++) {
        const rs_hdr_t *h = rs_http_req_header(req, echo[i][0]);
        if (h != NULL)
            rs_http_resp_headern(resp, echo[i][1], h->value, h->value_len);
    }
    rs_http_resp_header(resp, "access-control-max-age", "172800");
}
