/*
 * ddb_error.c: the DynamoDB error table of the worker (ddb_error.h) and its renderer:
 * {"__type": "<namespace>#<Code>", "message": "..."} with Content-Type
 * application/x-amz-json-1.0, x-amzn-RequestId and the x-amz-crc32 of the body, as
 * DynamoDB sends them (dynamodb.md section 1.2/1.3).
 * Runs in: workers.
 * Retryable answer: HTTP 503 + ServiceUnavailable. botocore retries it in both retry
 * modes: legacy (_retry.json policy "service_unavailable": any 503) and standard
 * (transient status codes 500/502/503/504). Not retryable on purpose: the 400
 * ServiceNotAvailable answer for a DynamoDB that cannot run here (no Java, no jar,
 * switched off): retrying would only delay the message saying what to install.
 */
#include "config.h"

#include <json-c/json.h>
#include <string.h>

#include "http/ddb_error.h"
#include "rs/checksum.h"

#define NS_DDB "com.amazonaws.dynamodb.v20120810#"
#define NS_CORAL "com.amazon.coral.service#"

enum { SHAPE_MESSAGE, SHAPE_TYPE_ONLY, SHAPE_XML_404 };

typedef struct ddb_err_def {
    int status;
    int shape;
    const char *type;
    const char *message;
} ddb_err_def_t;

static const ddb_err_def_t table[RS_DDBE__COUNT] = {
    [RS_DDBE_UnknownOperation] = {400, SHAPE_TYPE_ONLY, NS_CORAL "UnknownOperationException", NULL},
    [RS_DDBE_UnknownOperationHttp] = {404, SHAPE_XML_404, NS_CORAL "UnknownOperationException",
                                      NULL},
    [RS_DDBE_RequestEntityTooLarge] = {413, SHAPE_MESSAGE,
                                       NS_CORAL "RequestEntityTooLargeException",
                                       "Request size exceeded 16777216 bytes"},
    [RS_DDBE_MissingAuthenticationToken] = {400, SHAPE_MESSAGE,
                                            NS_CORAL "MissingAuthenticationTokenException",
                                            "Request is missing Authentication Token"},
    [RS_DDBE_IncompleteSignature] = {400, SHAPE_MESSAGE, NS_CORAL "IncompleteSignatureException",
                                     "The request signature does not conform to AWS standards."},
    [RS_DDBE_UnrecognizedClient] = {400, SHAPE_MESSAGE, NS_CORAL "UnrecognizedClientException",
                                    "The security token included in the request is invalid."},
    [RS_DDBE_InvalidSignature] = {400, SHAPE_MESSAGE, NS_CORAL "InvalidSignatureException",
                                  "The request signature we calculated does not match the "
                                  "signature you provided. Check your AWS Secret Access Key "
                                  "and signing method. Consult the service documentation for "
                                  "details."},
    [RS_DDBE_ServiceUnavailable] = {503, SHAPE_MESSAGE, NS_DDB "ServiceUnavailable",
                                    "DynamoDB is starting or restarting; retry shortly"},
    [RS_DDBE_ServiceNotAvailable] = {400, SHAPE_MESSAGE, NS_DDB "ServiceNotAvailableException",
                                     "DynamoDB is not available in this RustStack"},
    [RS_DDBE_InternalServerError] = {500, SHAPE_MESSAGE, NS_DDB "InternalServerError",
                                     "Internal server error"},
};

int rs_ddb_error_status(rs_ddb_err_t e)
{
    return (unsigned)e < RS_DDBE__COUNT ? table[e].status : 500;
}

const char *rs_ddb_error_code(rs_ddb_err_t e)
{
    if ((unsigned)e >= RS_DDBE__COUNT)
        e = RS_DDBE_InternalServerError;
    const char *hash = strchr(table[e].type, '#');
    return hash != NULL ? hash + 1 : table[e].type;
}

void rs_ddb_error(const rs_http_req_t *req, rs_http_resp_t *resp, rs_ddb_err_t e,
                  const char *message)
{
    if ((unsigned)e >= RS_DDBE__COUNT)
        e = RS_DDBE_InternalServerError;
    const ddb_err_def_t *d = &table[e];
    resp->status = d->status;
    resp->body.len = 0;
    resp->num_headers = 0;
    rs_http_resp_header(resp, "content-type", "application/x-amz-json-1.0");
    rs_http_resp_header(resp, "x-amzn-requestid", req->request_id);
    if (d->shape == SHAPE_XML_404) {
        /* what DynamoDB's front end answers to a request it cannot route */
        rs_buf_appends(&resp->body, "<UnknownOperationException/>\n");
    } else {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "__type", json_object_new_string(d->type));
        if (d->shape == SHAPE_MESSAGE)
            json_object_object_add(o, "message",
                                   json_object_new_string(message != NULL ? message : d->message));
        rs_buf_appends(&resp->body,
                       json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
    }
    rs_http_resp_header(
        resp, "x-amz-crc32",
        rs_pool_printf(resp->pool, "%u", (unsigned)rs_crc32(0, resp->body.data, resp->body.len)));
}
