/*
 * lambda_proxy.c: the worker's Lambda request path without sockets (lambda_proxy.h).
 * Runs in: workers.
 * Order: operation name (access log), identity, body size (413 as AWS words it), service
 * state (disabled -> 400, supervisor starting -> retryable 503; an executor that cannot
 * run is the supervisor's to explain), S3-hosted code (the object is read from the shared
 * store here and sent on as ZipFile), then the meta (rs_ipc_lambda_req_t of rs/ipc.h).
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/lambda_proxy.h"
#include "rs/codec.h"
#include "rs/err.h"
#include "rs/ipc.h"
#include "rs/lambda_routes.h"
#include "rs/status.h"
#include "rs/store.h"

uint32_t rs_lambda_ipc_timeout_ms(const rs_conf_t *conf)
{
    return (900u + conf->lambda_start_timeout + 60u) * 1000u;
}

void rs_lambda_error(const rs_http_req_t *req, rs_http_resp_t *resp, rs_lambda_err_t e,
                     const char *message)
{
    size_t len = 0;
    char *body = rs_lambda_err_body(e, message, NULL, &len);
    resp->status = rs_lambda_err_status(e);
    resp->num_headers = 0;
    resp->body.len = 0;
    rs_http_resp_header(resp, "content-type", "application/json");
    rs_http_resp_header(resp, "x-amzn-errortype", rs_lambda_err_code(e));
    rs_http_resp_header(resp, "x-amzn-requestid", req->request_id);
    if (body != NULL)
        rs_buf_append(&resp->body, body, len);
    free(body);
}

/* identity from the credentials; with auth_verify, Lambda's answers to a missing,
 * unknown or wrongly signed request (403). 0, or -1 with the error in resp. */
static int authenticate(rs_http_ctx_t *c, rs_http_req_t *req, rs_http_resp_t *resp)
{
    switch (rs_http_authenticate(c, req)) {
    case RS_HTTP_AUTH_OK:
        return 0;
    case RS_HTTP_AUTH_INCOMPLETE:
        rs_lambda_error(req, resp, RS_LE_INCOMPLETE_SIGNATURE,
                        "The request signature does not conform to AWS standards.");
        return -1;
    case RS_HTTP_AUTH_MISSING:
        rs_lambda_error(req, resp, RS_LE_MISSING_TOKEN, "Missing Authentication Token");
        return -1;
    case RS_HTTP_AUTH_UNKNOWN_KEY:
        rs_lambda_error(req, resp, RS_LE_UNRECOGNIZED_CLIENT,
                        "The security token included in the request is invalid.");
        return -1;
    default:
        rs_lambda_error(req, resp, RS_LE_INVALID_SIGNATURE,
                        "The request signature we calculated does not match the signature you "
                        "provided. Check your AWS Secret Access Key and signing method. Consult "
                        "the service documentation for details.");
        return -1;
    }
}

/* 0 when the supervisor takes requests; else the error is in resp */
static int service_state(rs_http_ctx_t *c, const rs_http_req_t *req, rs_http_resp_t *resp)
{
    char reason[256];
    if (!c->conf->lambda) {
        rs_lambda_error(req, resp, RS_LE_SERVICE_NOT_AVAILABLE,
                        "Lambda is switched off in this RustStack (configuration: lambda = off)");
        return -1;
    }
    const rs_status_board_t *b = rs_status_current();
    if (b == NULL)
        return 0;
    switch (rs_status_get(b, RS_SVC_LAMBDA, reason, sizeof(reason))) {
    case RS_SVC_RUNNING:
    case RS_SVC_UNAVAILABLE: /* the control plane runs; Invoke explains what is missing */
        return 0;
    default:
        rs_lambda_error(req, resp, RS_LE_SERVICE_RETRY,
                        "the Lambda service is starting; retry shortly");
        return -1;
    }
}

/* the S3 error text AWS puts in CreateFunction's InvalidParameterValueException */
static void s3_code_error(const rs_http_req_t *req, rs_http_resp_t *resp, int missing_bucket)
{
    rs_lambda_error(req, resp, RS_LE_INVALID_PARAMETER,
                    missing_bucket ? "Error occurred while GetObject. S3 Error Code: NoSuchBucket. "
                                     "S3 Error Message: The specified bucket does not exist"
                                   : "Error occurred while GetObject. S3 Error Code: NoSuchKey. "
                                     "S3 Error Message: The specified key does not exist.");
}

static const char *get_str(json_object *o, const char *k)
{
    json_object *v;
    if (o == NULL || !json_object_object_get_ex(o, k, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* Replace S3Bucket/S3Key[/S3ObjectVersion] in `code` by ZipFile: the object's bytes.
 * 0 (done or nothing to do), 1 (resp holds the error). */
static int inline_s3_code(rs_http_ctx_t *c, const rs_http_req_t *req, rs_http_resp_t *resp,
                          json_object *code)
{
    const char *bucket = get_str(code, "S3Bucket"), *key = get_str(code, "S3Key");
    if (bucket == NULL && key == NULL)
        return 0;
    /* LocalStack's hot-reload convention: S3Key is a local directory; the lambda
     * supervisor checks it against lambda_hot_reload_roots */
    if (bucket != NULL && strcmp(bucket, "hot-reload") == 0 && get_str(code, "ZipFile") == NULL)
        return 0;
    if (bucket == NULL || key == NULL || get_str(code, "ZipFile") != NULL) {
        rs_lambda_error(req, resp, RS_LE_INVALID_PARAMETER,
                        "Please provide a source for function code.");
        return 1;
    }
    rs_bucket_t b;
    if (rs_bucket_lookup(c->store, bucket, &b) != 0) {
        s3_code_error(req, resp, 1);
        return 1;
    }
    rs_obj_view_t v;
    if (rs_obj_get(c->store, &b, key, strlen(key), &v) != 0) {
        s3_code_error(req, resp, 0);
        return 1;
    }
    size_t size = (size_t)v.info.size;
    uint8_t *raw = malloc(size + 1);
    char *b64 = raw != NULL ? malloc(4 * ((size + 2) / 3) + 1) : NULL;
    if (b64 == NULL) {
        free(raw);
        rs_obj_release(c->store, &v);
        rs_lambda_error(req, resp, RS_LE_SERVICE, "out of memory");
        return 1;
    }
    size_t off = 0;
    for (size_t i = 0; i < v.nseg; i++) {
        memcpy(raw + off, v.seg[i].iov_base, v.seg[i].iov_len);
        off += v.seg[i].iov_len;
    }
    rs_obj_release(c->store, &v);
    size_t n = rs_base64_encode(raw, off, b64);
    free(raw);
    json_object_object_del(code, "S3Bucket");
    json_object_object_del(code, "S3Key");
    json_object_object_del(code, "S3ObjectVersion");
    json_object_object_add(code, "ZipFile", json_object_new_string_len(b64, (int)n));
    free(b64);
    return 0;
}

/* o as compact JSON (no slash escapes) copied into the pool; its length in *len */
static const char *pool_json(rs_pool_t *pool, json_object *o, size_t *len)
{
    const char *s = json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, len);
    return rs_pool_strndup(pool, s, *len);
}

/* CreateFunction (Code.S3*) and UpdateFunctionCode (top-level S3*): 0 with fwd->body
 * possibly rewritten, 1 when resp holds the answer. A body that is not a JSON object
 * goes on unchanged: the supervisor owns the validation errors. */
static int resolve_code(rs_http_ctx_t *c, const rs_http_req_t *req, rs_http_resp_t *resp,
                        rs_lambda_op_t op, rs_lambda_fwd_t *fwd)
{
    if ((op != RS_LOP_CREATE && op != RS_LOP_UPDATE_CODE) || req->body_len == 0 ||
        memmem(req->body, req->body_len, "\"S3", 3) == NULL)
        return 0;
    json_tokener *tok = json_tokener_new();
    json_object *root = json_tokener_parse_ex(tok, (const char *)req->body, (int)req->body_len);
    int bad = json_tokener_get_error(tok) != json_tokener_success;
    json_tokener_free(tok);
    if (bad || root == NULL || !json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        return 0;
    }
    json_object *code = root;
    if (op == RS_LOP_CREATE && (!json_object_object_get_ex(root, "Code", &code) ||
                                !json_object_is_type(code, json_type_object))) {
        json_object_put(root);
        return 0;
    }
    int rc = inline_s3_code(c, req, resp, code);
    if (rc == 0)
        fwd->body = pool_json(req->pool, root, &fwd->body_len);
    json_object_put(root);
    return rc;
}

/* the meta (rs_ipc_lambda_req_t) of a forward, written into the pool; m's identity from
 * req, its log_id the worker's request id */
static void encode_meta(const rs_http_req_t *req, rs_ipc_lambda_req_t *m, rs_lambda_fwd_t *fwd)
{
    m->account = req->account;
    m->region = req->region;
    m->log_id = req->request_id;
    m->access_key = req->access_key;
    size_t n = rs_ipc_lambda_req_encode(m, NULL, 0);
    char *meta = rs_pool_alloc(req->pool, n + 1);
    fwd->meta_len = rs_ipc_lambda_req_encode(m, meta, n + 1);
    fwd->meta = meta;
}

static int forwarded_header(const rs_hdr_t *h)
{
    return (h->name_len > 6 && strncasecmp(h->name, "x-amz-", 6) == 0) ||
           (h->name_len == 12 && strncasecmp(h->name, "content-type", 12) == 0);
}

/* a forward to the lambda supervisor for `service` ("lambda" or "apigateway") */
static int prepare(rs_http_ctx_t *c, rs_http_req_t *req, rs_http_resp_t *resp, rs_lambda_fwd_t *fwd,
                   const char *service)
{
    const char *name;
    size_t name_len;
    int gw = strcmp(service, "apigateway") == 0;
    rs_lambda_op_t op =
        gw ? RS_LOP_UNKNOWN
           : rs_lambda_route(req->method, req->path, req->path_len, &name, &name_len);
    req->service = service;
    req->operation = gw ? "ApiGateway" : rs_lambda_op_name(op);
    if (authenticate(c, req, resp) != 0)
        return 1;
    uint32_t max = op == RS_LOP_INVOKE ? RS_LAMBDA_INVOKE_MAX : RS_LAMBDA_CREATE_REQUEST_MAX;
    if (req->body_len > max) {
        char msg[128];
        snprintf(msg, sizeof(msg), "Request must be smaller than %u bytes for the %s operation",
                 max, op == RS_LOP_INVOKE ? "InvokeFunction" : req->operation);
        rs_lambda_error(req, resp, RS_LE_ENTITY_TOO_LARGE, msg);
        return 1;
    }
    if (service_state(c, req, resp) != 0)
        return 1;
    fwd->body = req->body;
    fwd->body_len = req->body_len;
    if (resolve_code(c, req, resp, op, fwd) != 0)
        return 1;

    json_object *h = json_object_new_object();
    for (size_t i = 0; i < req->num_headers; i++) {
        const rs_hdr_t *hd = &req->headers[i];
        if (!forwarded_header(hd))
            continue;
        char lname[128];
        size_t n = hd->name_len < sizeof(lname) - 1 ? hd->name_len : sizeof(lname) - 1;
        for (size_t k = 0; k < n; k++)
            lname[k] =
                (char)((hd->name[k] >= 'A' && hd->name[k] <= 'Z') ? hd->name[k] + 32 : hd->name[k]);
        lname[n] = '\0';
        json_object_object_add(h, lname, json_object_new_string_len(hd->value, (int)hd->value_len));
    }
    char uuid[37];
    rs_http_new_uuid(c, uuid);
    rs_ipc_lambda_req_t m = {
        .method = req->method,
        .path = rs_pool_strndup(req->pool, req->path, req->path_len),
        .query = req->query != NULL ? rs_pool_strndup(req->pool, req->query, req->query_len) : "",
        .headers = h,
        .request_id = uuid,
        .service = service,
    };
    encode_meta(req, &m, fwd);
    json_object_put(h);
    return 0;
}

int rs_lambda_prepare(rs_http_ctx_t *c, rs_http_req_t *req, rs_http_resp_t *resp,
                      rs_lambda_fwd_t *fwd)
{
    return prepare(c, req, resp, fwd, "lambda");
}

int rs_apigateway_prepare(rs_http_ctx_t *c, rs_http_req_t *req, rs_http_resp_t *resp,
                          rs_lambda_fwd_t *fwd)
{
    return prepare(c, req, resp, fwd, "apigateway");
}

int rs_gateway_prepare(rs_http_ctx_t *c, const rs_http_req_t *req, const char *source_ip,
                       int signed_ok, rs_lambda_fwd_t *fwd)
{
    char uuid[37];
    rs_http_new_uuid(c, uuid);
    rs_ipc_lambda_req_t m = {
        .method = req->method,
        .path = rs_pool_strndup(req->pool, req->path, req->path_len),
        .query = req->query != NULL ? rs_pool_strndup(req->pool, req->query, req->query_len) : "",
        .request_id = uuid,
        .service = "gateway",
        .hdrs = req->headers,
        .nhdrs = req->num_headers,
        .host = req->host != NULL ? rs_pool_strndup(req->pool, req->host, req->host_len) : "",
        .source_ip = source_ip,
        .port = (int)c->conf->port,
        .signed_ok = signed_ok,
    };
    encode_meta(req, &m, fwd);
    fwd->body = req->body;
    fwd->body_len = req->body_len;
    return fwd->meta_len > RS_IPC_MAX_META ? RS_EINVAL : 0;
}

int rs_lambda_reply(const rs_http_req_t *req, rs_http_resp_t *resp, const char *meta,
                    size_t meta_len, const void *body, size_t body_len)
{
    json_object *o;
    rs_ipc_resp_t r;
    if (rs_ipc_resp_decode(meta, meta_len, &o, &r) != 0) {
        json_object_put(o);
        rs_lambda_error(req, resp, RS_LE_SERVICE, "malformed reply from the Lambda supervisor");
        return RS_EINVAL;
    }
    resp->status = r.status;
    rs_ipc_reply_headers(req, resp, r.headers, NULL);
    if (body_len > 0)
        rs_buf_append(&resp->body, body, body_len);
    json_object_put(o);
    return 0;
}
