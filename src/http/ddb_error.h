/*
 * ddb_error.h: private to src/http: the one table of DynamoDB errors the worker
 * generates itself (request validation, authentication, service state, hand-off
 * failures), rendered in DynamoDB's JSON 1.0 error shape. Errors from DynamoDB Local
 * pass through the supervisor untouched by this table. Runs in: workers (h2o-free).
 */
#ifndef RS_HTTP_DDB_ERROR_H
#define RS_HTTP_DDB_ERROR_H

#include "rs/http.h"

typedef enum {
    RS_DDBE_UnknownOperation = 0,  /* 400, bad X-Amz-Target operation; body: __type only */
    RS_DDBE_UnknownOperationHttp,  /* 404, not POST / unsupported Content-Type */
    RS_DDBE_RequestEntityTooLarge, /* 413, body over 16 MB */
    RS_DDBE_MissingAuthenticationToken,
    RS_DDBE_IncompleteSignature,
    RS_DDBE_UnrecognizedClient,
    RS_DDBE_InvalidSignature,
    RS_DDBE_ServiceUnavailable,  /* 503, retryable: starting, restarting, supervisor away */
    RS_DDBE_ServiceNotAvailable, /* 400, not retryable: unavailable (reason) or disabled */
    RS_DDBE_InternalServerError, /* 500: a malformed reply from the supervisor */
    RS_DDBE__COUNT
} rs_ddb_err_t;

/* 16 MB: DynamoDB's request size limit */
#define RS_DDB_MAX_REQUEST (16u * 1024 * 1024)

/* Fill resp with the error: status, content-type application/x-amz-json-1.0,
 * x-amzn-RequestId and the body. `message` NULL: the table's default text. */
void rs_ddb_error(const rs_http_req_t *req, rs_http_resp_t *resp, rs_ddb_err_t e,
                  const char *message);

int rs_ddb_error_status(rs_ddb_err_t e);
/* the code botocore reports (the part after '#') */
const char *rs_ddb_error_code(rs_ddb_err_t e);

#endif
