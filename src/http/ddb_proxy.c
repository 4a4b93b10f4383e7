/*
 * ddb_proxy.c: the worker's DynamoDB request path without sockets (ddb_proxy.h).
 * Runs in: workers.
 * Order of checks: body size (413), method and Content-Type (404, as DynamoDB's front
 * end), X-Amz-Target operation known to the API (else 400 UnknownOperationException),
 * credentials (account and region exactly as S3 derives them; signatures verified when
 * `auth_verify` is on), then the service state: switched off or unavailable -> non-retryable
 * 400 with the reason; starting -> retryable 503; then the body against the operation's
 * input shape of the service model (rs/ddb_validate.h: SerializationException /
 * ValidationException as AWS answers them, before any table lookup), then the operation's
 * own rules (rs/ddb_oprules.h: key schema, expressions, attribute values); then forward.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/ddb_proxy.h"
#include "rs/ddb_oprules.h"
#include "rs/ddb_validate.h"
#include "rs/err.h"
#include "rs/ipc.h"
#include "rs/sigv4.h"
#include "rs/status.h"

#define MAX_OP 64
/* headers a supervisor reply carries on the fast path (it sends three) */
#define RS_DDB_REPLY_MAX_HEADERS 16

static int content_type_ok(const rs_http_req_t *req)
{
    static const char *const ok[] = {"application/x-amz-json-1.0", "application/json"};
    const rs_hdr_t *h = rs_http_req_header(req, "content-type");
    if (h == NULL)
        return 1; /* nothing to disagree with; DynamoDB Local decides */
    size_t n = h->value_len;
    const char *semi = memchr(h->value, ';', n);
    if (semi != NULL)
        n = (size_t)(semi - h->value);
    while (n > 0 && (h->value[n - 1] == ' ' || h->value[n - 1] == '\t'))
        n--;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (strlen(ok[i]) == n && strncasecmp(ok[i], h->value, n) == 0)
            return 1;
    return 0;
}

/* the DynamoDB_20120810 operations of the API (botocore's service model, sorted); any
 * other name is answered here with AWS's UnknownOperationException shape */
static const char *const operations[] = {
    "BatchExecuteStatement",
    "BatchGetItem",
    "BatchWriteItem",
    "CreateBackup",
    "CreateGlobalTable",
    "CreateTable",
    "DeleteBackup",
    "DeleteItem",
    "DeleteResourcePolicy",
    "DeleteTable",
    "DescribeBackup",
    "DescribeContinuousBackups",
    "DescribeContributorInsights",
    "DescribeEndpoints",
    "DescribeExport",
    "DescribeGlobalTable",
    "DescribeGlobalTableSettings",
    "DescribeImport",
    "DescribeKinesisStreamingDestination",
    "DescribeLimits",
    "DescribeTable",
    "DescribeTableReplicaAutoScaling",
    "DescribeTimeToLive",
    "DisableKinesisStreamingDestination",
    "EnableKinesisStreamingDestination",
    "ExecuteStatement",
    "ExecuteTransaction",
    "ExportTableToPointInTime",
    "GetItem",
    "GetResourcePolicy",
    "ImportTable",
    "ListBackups",
    "ListContributorInsights",
    "ListExports",
    "ListGlobalTables",
    "ListImports",
    "ListTables",
    "ListTagsOfResource",
    "PutItem",
    "PutResourcePolicy",
    "Query",
    "RestoreTableFromBackup",
    "RestoreTableToPointInTime",
    "Scan",
    "TagResource",
    "TransactGetItems",
    "TransactWriteItems",
    "UntagResource",
    "UpdateContinuousBackups",
    "UpdateContributorInsights",
    "UpdateGlobalTable",
    "UpdateGlobalTableSettings",
    "UpdateItem",
    "UpdateKinesisStreamingDestination",
    "UpdateTable",
    "UpdateTableReplicaAutoScaling",
    "UpdateTimeToLive",
};

static int op_cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(const char *const *)elem);
}

static int op_ok(const char *op, size_t n)
{
    char name[MAX_OP + 1];
    if (n == 0 || n > MAX_OP)
        return 0;
    memcpy(name, op, n);
    name[n] = '\0';
    return bsearch(name, operations, sizeof(operations) / sizeof(operations[0]),
                   sizeof(operations[0]), op_cmp) != NULL;
}

/* account/region/access key as S3 takes them; 0, or the authentication error to send */
static int identity(rs_http_ctx_t *c, rs_http_req_t *req, rs_ddb_err_t *err)
{
    switch (rs_http_authenticate(c, req)) {
    case RS_HTTP_AUTH_OK:
        return 0;
    case RS_HTTP_AUTH_INCOMPLETE:
        *err = RS_DDBE_IncompleteSignature;
        return -1;
    case RS_HTTP_AUTH_MISSING:
        *err = RS_DDBE_MissingAuthenticationToken;
        return -1;
    case RS_HTTP_AUTH_UNKNOWN_KEY:
        *err = RS_DDBE_UnrecognizedClient;
        return -1;
    default:
        *err = RS_DDBE_InvalidSignature;
        return -1;
    }
}

/* 0 when DynamoDB takes requests; else the error is in resp */
static int service_state(rs_http_ctx_t *c, const rs_http_req_t *req, rs_http_resp_t *resp)
{
    char reason[256], msg[400];
    if (!c->conf->dynamodb) {
        rs_ddb_error(req, resp, RS_DDBE_ServiceNotAvailable,
                     "DynamoDB is switched off in this RustStack (configuration: dynamodb = "
                     "off)");
        return -1;
    }
    const rs_status_board_t *b = rs_status_current();
    if (b == NULL)
        return 0; /* no board (tests): the hand-off itself tells whether it is there */
    switch (rs_status_get(b, RS_SVC_DYNAMODB, reason, sizeof(reason))) {
    case RS_SVC_RUNNING:
        return 0;
    case RS_SVC_UNAVAILABLE:
        snprintf(msg, sizeof(msg), "DynamoDB is not available in this RustStack: %s",
                 reason[0] ? reason : "unknown reason");
        rs_ddb_error(req, resp, RS_DDBE_ServiceNotAvailable, msg);
        return -1;
    default: /* STARTING, or DISABLED before the master published anything */
        rs_ddb_error(req, resp, RS_DDBE_ServiceUnavailable,
                     "DynamoDB Local is starting; retry shortly");
        return -1;
    }
}

int rs_ddb_prepare(rs_http_ctx_t *c, rs_http_req_t *req, const rs_route_t *route,
                   rs_http_resp_t *resp, rs_ddb_fwd_t *fwd)
{
    rs_ddb_err_t err;
    req->service = "dynamodb";
    req->operation = rs_pool_strndup(req->pool, route->rest, route->rest_len);
    if (strcmp(req->method, "OPTIONS") == 0) {
        rs_ddb_preflight(req, resp); /* a browser's CORS preflight */
        return 1;
    }

    if (req->body_len > RS_DDB_MAX_REQUEST) {
        rs_ddb_error(req, resp, RS_DDBE_RequestEntityTooLarge, NULL);
        return 1;
    }
    if (strcmp(req->method, "POST") != 0 || !content_type_ok(req)) {
        rs_ddb_error(req, resp, RS_DDBE_UnknownOperationHttp, NULL);
        return 1;
    }
    if (!op_ok(route->rest, route->rest_len)) {
        rs_ddb_error(req, resp, RS_DDBE_UnknownOperation, NULL);
        return 1;
    }
    if (identity(c, req, &err) != 0) {
        rs_ddb_error(req, resp, err, NULL);
        return 1;
    }
    if (service_state(c, req, resp) != 0)
        return 1;
    /* the body against the model: AWS's answer, before DynamoDB Local looks anything up */
    char vmsg[1024];
    if (rs_ddb_validate(route->rest, route->rest_len, req->body, req->body_len, &err, vmsg,
                        sizeof(vmsg)) != 0) {
        rs_ddb_error(req, resp, err, vmsg[0] ? vmsg : NULL);
        return 1;
    }
    /* then the operation's own rules (key schema, expressions, attribute values) */
    if (rs_ddb_oprules(route->rest, route->rest_len, req->body, req->body_len, &err, vmsg,
                       sizeof(vmsg)) != 0) {
        rs_ddb_error(req, resp, err, vmsg);
        return 1;
    }

    const rs_hdr_t *target = rs_http_req_header(req, "x-amz-target");
    const rs_hdr_t *ctype = rs_http_req_header(req, "content-type");
    rs_ipc_ddb_req_t m = {
        .target = rs_pool_strndup(req->pool, target->value, target->value_len),
        .account = req->account,
        .region = req->region,
        .request_id = req->request_id,
        .content_type = ctype != NULL ? rs_pool_strndup(req->pool, ctype->value, ctype->value_len)
                                      : "application/x-amz-json-1.0",
        .access_key = req->access_key,
    };
    /* one pass in the common case: the meta is a few hundred bytes */
    size_t cap = 512;
    char *meta = rs_pool_alloc(req->pool, cap);
    size_t n = rs_ipc_ddb_req_encode(&m, meta, cap);
    if (n >= cap) {
        meta = rs_pool_alloc(req->pool, n + 1);
        rs_ipc_ddb_req_encode(&m, meta, n + 1);
    }
    fwd->meta_len = n;
    fwd->meta = meta;
    return 0;
}

/* the headers of a decoded reply into resp, as rs_ipc_reply_headers does with a json
 * object: content-type and x-amzn-RequestId default when the supervisor sent none */
static void reply_headers(const rs_http_req_t *req, rs_http_resp_t *resp, const rs_hdr_t *h,
                          size_t n)
{
    int have_id = 0, have_type = 0;
    resp->num_headers = 0;
    resp->body.len = 0;
    for (size_t i = 0; i < n; i++) {
        have_id |= strcasecmp(h[i].name, "x-amzn-requestid") == 0;
        have_type |= strcasecmp(h[i].name, "content-type") == 0;
        rs_http_resp_headern(resp, h[i].name, h[i].value, h[i].value_len);
    }
    if (!have_type)
        rs_http_resp_header(resp, "content-type", "application/x-amz-json-1.0");
    if (!have_id)
        rs_http_resp_header(resp, "x-amzn-requestid", req->request_id);
}

int rs_ddb_reply(const rs_http_req_t *req, rs_http_resp_t *resp, const char *meta, size_t meta_len,
                 const void *body, size_t body_len)
{
    /* the supervisor's flat meta is read in place from a copy; anything else (or a meta
     * too large for the copy) goes through json-c, which also judges a malformed one */
    char copy[1024];
    rs_hdr_t h[RS_DDB_REPLY_MAX_HEADERS];
    size_t nh;
    int status;
    if (meta_len < sizeof(copy)) {
        memcpy(copy, meta, meta_len);
        copy[meta_len] = '\0';
        if (rs_ipc_resp_decode_flat(copy, meta_len, &status, h, RS_DDB_REPLY_MAX_HEADERS, &nh) ==
            0) {
            resp->status = status;
            reply_headers(req, resp, h, nh);
            rs_ddb_cors(req, resp);
            if (body_len > 0)
                rs_buf_append(&resp->body, body, body_len);
            return 0;
        }
    }
    json_object *o;
    rs_ipc_resp_t r;
    if (rs_ipc_resp_decode(meta, meta_len, &o, &r) != 0) {
        json_object_put(o);
        rs_ddb_error(req, resp, RS_DDBE_InternalServerError,
                     "malformed reply from the DynamoDB supervisor");
        return RS_EINVAL;
    }
    resp->status = r.status;
    rs_ipc_reply_headers(req, resp, r.headers, "application/x-amz-json-1.0");
    rs_ddb_cors(req, resp);
    if (body_len > 0)
        rs_buf_append(&resp->body, body, body_len);
    json_object_put(o);
    return 0;
}
