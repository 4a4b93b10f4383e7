/*
 * ddb_proxy.c: the worker's DynamoDB request path without sockets (ddb_proxy.h).
 * Runs in: workers.
 * Order of checks: body size (413), method and Content-Type (404, as DynamoDB's front
 * end), X-Amz-Target operation known to the API (else 400 UnknownOperationException),
 * credentials (account and region exactly as S3 derives them; signatures verified when
 * `auth_verify` is on), then the service state: switched off or unavailable -> non-retryable 400
 * with the reason; starting -> retryable 503; running -> forward.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/ddb_proxy.h"
#include "rs/err.h"
#include "rs/sigv4.h"
#include "rs/status.h"

#define MAX_OP 64

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

static const rs_cred_t *find_cred(const rs_http_ctx_t *c, const char *key)
{
    for (size_t i = 0; i < c->s3.ncreds; i++)
        if (strcmp(c->s3.creds[i].access_key, key) == 0)
            return &c->s3.creds[i];
    return NULL;
}

/* account/region/access key as S3 takes them; 0, or the authentication error to send */
static int identity(rs_http_ctx_t *c, rs_http_req_t *req, rs_ddb_err_t *err)
{
    rs_auth_t a;
    memset(&a, 0, sizeof(a));
    snprintf(req->region, sizeof(req->region), "%s", c->conf->default_region);
    snprintf(req->account, sizeof(req->account), "%s", c->conf->default_account);
    rs_auth_err_t ae = rs_auth_parse(req, rs_http_now_ms() / 1000, &a);
    if (ae == RS_AUTHE_OK) {
        snprintf(req->access_key, sizeof(req->access_key), "%s", a.access_key);
        if (a.region[0] != '\0')
            snprintf(req->region, sizeof(req->region), "%s", a.region);
        snprintf(req->account, sizeof(req->account), "%s",
                 rs_account_for_key(&c->s3, a.access_key));
    }
    if (!c->conf->auth_verify)
        return 0;
    if (ae != RS_AUTHE_OK) {
        *err = RS_DDBE_IncompleteSignature;
        return -1;
    }
    if (a.kind == RS_AUTH_NONE) {
        *err = RS_DDBE_MissingAuthenticationToken;
        return -1;
    }
    const rs_cred_t *cred = find_cred(c, a.access_key);
    if (cred == NULL) {
        *err = RS_DDBE_UnrecognizedClient;
        return -1;
    }
    const char *sts = NULL, *creq = NULL;
    if (rs_auth_verify(req, &a, cred->secret_key, &sts, &creq) != 0) {
        *err = RS_DDBE_InvalidSignature;
        return -1;
    }
    return 0;
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

static void add_str(json_object *o, const char *k, const char *v)
{
    json_object_object_add(o, k, json_object_new_string(v));
}

int rs_ddb_prepare(rs_http_ctx_t *c, rs_http_req_t *req, const rs_route_t *route,
                   rs_http_resp_t *resp, rs_ddb_fwd_t *fwd)
{
    rs_ddb_err_t err;
    req->service = "dynamodb";
    req->operation = rs_pool_strndup(req->pool, route->rest, route->rest_len);

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

    const rs_hdr_t *target = rs_http_req_header(req, "x-amz-target");
    const rs_hdr_t *ctype = rs_http_req_header(req, "content-type");
    json_object *o = json_object_new_object();
    json_object_object_add(o, "target",
                           json_object_new_string_len(target->value, (int)target->value_len));
    add_str(o, "account", req->account);
    add_str(o, "region", req->region);
    add_str(o, "request_id", req->request_id);
    if (ctype != NULL)
        json_object_object_add(o, "content_type",
                               json_object_new_string_len(ctype->value, (int)ctype->value_len));
    else
        add_str(o, "content_type", "application/x-amz-json-1.0");
    add_str(o, "access_key", req->access_key);
    size_t n = 0;
    const char *s = json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    fwd->meta = rs_pool_strndup(req->pool, s, n);
    fwd->meta_len = n;
    json_object_put(o);
    return 0;
}

int rs_ddb_reply(const rs_http_req_t *req, rs_http_resp_t *resp, const char *meta, size_t meta_len,
                 const void *body, size_t body_len)
{
    json_tokener *tok = json_tokener_new();
    json_object *o = tok != NULL ? json_tokener_parse_ex(tok, meta, (int)meta_len) : NULL;
    json_object *st = NULL, *hdrs = NULL;
    int status = 0;
    if (tok != NULL)
        json_tokener_free(tok);
    if (o != NULL && json_object_object_get_ex(o, "status", &st) &&
        json_object_is_type(st, json_type_int))
        status = json_object_get_int(st);
    if (status < 100 || status > 599 ||
        (json_object_object_get_ex(o, "headers", &hdrs) &&
         !json_object_is_type(hdrs, json_type_object))) {
        json_object_put(o);
        rs_ddb_error(req, resp, RS_DDBE_InternalServerError,
                     "malformed reply from the DynamoDB supervisor");
        return RS_EINVAL;
    }
    int have_id = 0, have_type = 0;
    resp->status = status;
    resp->num_headers = 0;
    resp->body.len = 0;
    if (hdrs != NULL) {
        json_object_object_foreach(hdrs, name, val)
        {
            if (!json_object_is_type(val, json_type_string))
                continue;
            have_id |= strcasecmp(name, "x-amzn-requestid") == 0;
            have_type |= strcasecmp(name, "content-type") == 0;
            rs_http_resp_headern(resp, name, json_object_get_string(val),
                                 (size_t)json_object_get_string_len(val));
        }
    }
    if (!have_type)
        rs_http_resp_header(resp, "content-type", "application/x-amz-json-1.0");
    if (!have_id)
        rs_http_resp_header(resp, "x-amzn-requestid", req->request_id);
    if (body_len > 0)
        rs_buf_append(&resp->body, body, body_len);
    json_object_put(o);
    return 0;
}
