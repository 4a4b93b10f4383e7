/*
 * gw_invoke.c: the API Gateway and function URL data plane (gw_invoke.h): the request the
 * worker forwarded rebuilt as rs_http_req_t, resolved (gw_resolve.c), a function URL's
 * CORS preflight answered, the event built (rs/apigw.h), the function invoked through the
 * Lambda API of this supervisor (so names, qualifiers, throttling and errors are Invoke's)
 * on the handler's own thread, with the integration's timeout (gw_deadline.c answers at the
 * deadline when the function's own timeout is longer), and the result mapped to the
 * client's response.
 * Runs in: the lambda supervisor (handler threads).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lambda/gw_invoke.h"
#include "lambda/lambda_code.h"
#include "lambda/lambda_registry.h"
#include "rs/codec.h"
#include "rs/err.h"
#include "rs/log.h"
#include "rs/os.h"

/* ---- the request ------------------------------------------------------------------- */

static void rebuild(rs_pool_t *pool, const rs_ipc_lambda_req_t *q, const void *body, size_t len,
                    rs_http_req_t *req)
{
    size_t n = q->header_list != NULL ? json_object_array_length(q->header_list) : 0;
    rs_hdr_t *h = rs_pool_alloc(pool, (n + 1) * sizeof(*h));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        json_object *pair = json_object_array_get_idx(q->header_list, i);
        json_object *name = json_object_array_get_idx(pair, 0);
        json_object *value = json_object_array_get_idx(pair, 1);
        if (!json_object_is_type(name, json_type_string) ||
            !json_object_is_type(value, json_type_string))
            continue;
        h[k].name = json_object_get_string(name);
        h[k].name_len = (size_t)json_object_get_string_len(name);
        h[k].value = json_object_get_string(value);
        h[k].value_len = (size_t)json_object_get_string_len(value);
        k++;
    }
    memset(req, 0, sizeof(*req));
    req->pool = pool;
    req->method = q->method;
    req->path = q->path;
    req->path_len = strlen(q->path);
    req->query = q->query[0] ? q->query : NULL;
    req->query_len = strlen(q->query);
    req->host = q->host[0] ? q->host : NULL;
    req->host_len = strlen(q->host);
    req->headers = h;
    req->num_headers = k;
    req->body = body;
    req->body_len = len;
    snprintf(req->request_id, sizeof(req->request_id), "%s", q->log_id);
    snprintf(req->account, sizeof(req->account), "%s", q->account);
    snprintf(req->region, sizeof(req->region), "%s", q->region);
    req->service = "apigw";
}

/* ---- the response ------------------------------------------------------------------ */

/* rs_http_resp_t -> the IPC answer: a repeated header name becomes an array of values */
static int convert(const rs_http_resp_t *hr, rs_lambda_resp_t *out)
{
    memset(out, 0, sizeof(*out));
    out->status = hr->status;
    out->headers = json_object_new_object();
    if (out->headers == NULL)
        return RS_ENOMEM;
    for (size_t i = 0; i < hr->num_headers; i++) {
        const rs_hdr_t *h = &hr->headers[i];
        char name[256];
        snprintf(name, sizeof(name), "%.*s", (int)h->name_len, h->name);
        json_object *v = json_object_new_string_len(h->value, (int)h->value_len), *old;
        if (!json_object_object_get_ex(out->headers, name, &old)) {
            json_object_object_add(out->headers, name, v);
        } else if (json_object_is_type(old, json_type_array)) {
            json_object_array_add(old, v);
        } else {
            json_object *arr = json_object_new_array();
            json_object_array_add(arr, json_object_get(old));
            json_object_array_add(arr, v);
            json_object_object_add(out->headers, name, arr);
        }
    }
    if (!hr->head_only && hr->body.len > 0) {
        out->body = malloc(hr->body.len);
        if (out->body == NULL)
            return RS_ENOMEM;
        memcpy(out->body, hr->body.data, hr->body.len);
        out->body_len = hr->body.len;
    }
    return 0;
}

/* ---- CORS (function URLs) ---------------------------------------------------------- */

static int list_has(json_object *list, const char *v, size_t n)
{
    for (size_t i = 0; list != NULL && i < json_object_array_length(list); i++) {
        const char *s = json_object_get_string(json_object_array_get_idx(list, i));
        if (s != NULL && (strcmp(s, "*") == 0 || (strlen(s) == n && strncasecmp(s, v, n) == 0)))
            return 1;
    }
    return 0;
}

static json_object *cmember(json_object *cors, const char *k)
{
    json_object *v = NULL;
    if (cors == NULL || !json_object_object_get_ex(cors, k, &v) ||
        !json_object_is_type(v, json_type_array))
        return NULL;
    return v;
}

/* a list member as one comma-separated header value */
static void list_header(rs_http_resp_t *resp, const char *name, json_object *list)
{
    rs_buf_t b;
    rs_buf_init(&b);
    for (size_t i = 0; list != NULL && i < json_object_array_length(list); i++) {
        if (i > 0)
            rs_buf_append(&b, ",", 1);
        rs_buf_appends(&b, json_object_get_string(json_object_array_get_idx(list, i)));
    }
    if (b.len > 0)
        rs_http_resp_headern(resp, name, b.data, b.len);
    rs_buf_free(&b);
}

/* the CORS headers of a response to an allowed origin; 1 when the origin is allowed */
static int cors_headers(const rs_http_req_t *req, json_object *cors, int preflight,
                        rs_http_resp_t *resp)
{
    const rs_hdr_t *origin = rs_http_req_header(req, "origin");
    if (cors == NULL || origin == NULL ||
        !list_has(cmember(cors, "AllowOrigins"), origin->value, origin->value_len))
        return 0;
    json_object *cred = NULL, *age = NULL;
    json_object_object_get_ex(cors, "AllowCredentials", &cred);
    json_object_object_get_ex(cors, "MaxAge", &age);
    int star = list_has(cmember(cors, "AllowOrigins"), "*", 1) &&
               !(cred != NULL && json_object_get_boolean(cred));
    if (star)
        rs_http_resp_header(resp, "Access-Control-Allow-Origin", "*");
    else
        rs_http_resp_headern(resp, "Access-Control-Allow-Origin", origin->value, origin->value_len);
    if (cred != NULL && json_object_get_boolean(cred))
        rs_http_resp_header(resp, "Access-Control-Allow-Credentials", "true");
    if (preflight) {
        list_header(resp, "Access-Control-Allow-Methods", cmember(cors, "AllowMethods"));
        list_header(resp, "Access-Control-Allow-Headers", cmember(cors, "AllowHeaders"));
        if (age != NULL && json_object_is_type(age, json_type_int)) {
            char n[16];
            snprintf(n, sizeof(n), "%d", json_object_get_int(age));
            rs_http_resp_header(resp, "Access-Control-Max-Age", n);
        }
    } else {
        list_header(resp, "Access-Control-Expose-Headers", cmember(cors, "ExposeHeaders"));
    }
    if (!star)
        rs_http_resp_header(resp, "Vary", "Origin");
    return 1;
}

/* ---- the invoke ---------------------------------------------------------------------- */

/* the function's Timeout in ms (0 when unknown) */
static int64_t function_timeout_ms(rs_lambda_api_t *api, const rs_apigw_target_t *t)
{
    char name[300];
    const char *fn = t->function;
    if (strncmp(fn, "arn:", 4) == 0) { /* arn:aws:lambda:<r>:<a>:function:<name>[:q] */
        const char *p = fn;
        for (int i = 0; i < 6 && p != NULL; i++)
            p = strchr(p, ':') != NULL ? strchr(p, ':') + 1 : NULL;
        fn = p != NULL ? p : "";
    } else if (strstr(fn, ":function:") != NULL) {
        fn = strstr(fn, ":function:") + 10;
    }
    snprintf(name, sizeof(name), "%s", fn);
    char *colon = strchr(name, ':');
    if (colon != NULL)
        *colon = '\0';
    rs_lambda_fn_t *rev = NULL;
    int64_t ms = 0;
    if (rs_lambda_reg_get(api->reg, t->account, t->region, name, NULL, &rev) == 0) {
        ms = (int64_t)rev->timeout_s * 1000;
        rs_lambda_fn_unref(rev);
    }
    return ms;
}

/* Invoke the function with the event: 0 with out filled, RS_GW_ANSWERED when the
 * integration timed out and `timeout_answer` went to `to` meanwhile (out empty), or
 * RS_ENOMEM. timeout_answer NULL: no watchdog (the function's own timeout ends it first). */
static int invoke(rs_lambda_api_t *api, const rs_apigw_target_t *t, int timeout_ms,
                  const rs_gw_reply_to_t *to, const rs_lambda_resp_t *timeout_answer,
                  const char *request_id, const char *event, size_t len, rs_lambda_resp_t *out)
{
    rs_buf_t path;
    rs_buf_init(&path);
    rs_buf_appends(&path, "/2015-03-31/functions/");
    rs_uri_encode(&path, t->function, strlen(t->function), 0);
    rs_buf_appends(&path, "/invocations");
    rs_buf_append(&path, "", 1);
    rs_gw_deadline_t *d = NULL;
    if (timeout_answer != NULL) {
        d = rs_gw_deadline_arm(to, timeout_ms, timeout_answer);
        if (d == NULL)
            rs_log(RS_LOG_WARN, NULL,
                   "apigw: no integration timeout for this request (%s): the function's own "
                   "applies",
                   to != NULL && to->conn != NULL ? "out of memory" : "no connection");
    }
    json_object *h = json_object_new_object();
    int rc = rs_lambda_api_handle(api, "POST", path.data, "", h, t->account, t->region, request_id,
                                  event, len, out);
    json_object_put(h);
    rs_buf_free(&path);
    if (rs_gw_deadline_disarm(d)) {
        rs_lambda_resp_free(out);
        memset(out, 0, sizeof(*out));
        return RS_GW_ANSWERED;
    }
    return rc;
}

/* ---- the whole request ----------------------------------------------------------------- */

static int function_error(const rs_lambda_resp_t *lr)
{
    int fe = 0;
    if (lr->headers != NULL) {
        json_object_object_foreach(lr->headers, name, val)
        {
            (void)val;
            fe |= strcasecmp(name, "x-amz-function-error") == 0;
        }
    }
    return fe;
}

int rs_gw_invoke(rs_lambda_api_t *api, const rs_ipc_lambda_req_t *q, const void *body, size_t len,
                 const rs_gw_reply_to_t *to, rs_lambda_resp_t *out)
{
    rs_pool_t pool;
    rs_http_req_t req;
    rs_http_resp_t resp;
    rs_gw_route_t r;
    char gw_id[37];
    int rc = 0;

    rs_pool_init(&pool);
    rebuild(&pool, q, body, len, &req);
    rs_http_resp_init(&resp, &pool);
    rs_lambda_uuid(gw_id);
    if (api->gw == NULL) {
        memset(&r, 0, sizeof(r));
        r.no_route = 1;
    } else {
        rs_gw_resolve(api->gw, api->conf, &req, &r);
    }
    const rs_hdr_t *acrm = rs_http_req_header(&req, "access-control-request-method");
    if (r.no_route) {
        rs_apigw_no_route(&req, r.kind, &resp);
    } else if (r.auth_iam && !q->signed_ok) {
        /* AuthType AWS_IAM without a valid signature (auth_verify on) */
        rs_apigw_error(&req, gw_id, 403, "AccessDeniedException", "Forbidden", &resp);
    } else if (r.answer != 0) {
        rs_apigw_error(&req, gw_id, r.answer, r.err_type, r.message, &resp);
    } else if (r.kind == RS_APIGW_FURL && r.cors != NULL && strcmp(req.method, "OPTIONS") == 0 &&
               acrm != NULL) {
        /* a preflight: answered from the configuration, the function is not invoked */
        resp.status = 200;
        rs_http_resp_header(&resp, "x-amzn-RequestId", gw_id);
        cors_headers(&req, r.cors, 1, &resp);
    } else {
        rs_buf_t ev;
        rs_lambda_resp_t lr, late;
        rs_http_resp_t tresp;
        char lambda_id[37];
        rs_buf_init(&ev);
        /* the answer should the integration time out (the watchdog sends it), when the
         * function's own timeout (plus a second for a cold start) could outlast it */
        int64_t fn_ms = function_timeout_ms(api, &r.t);
        int timed = fn_ms > 0 && fn_ms + 1000 > r.timeout_ms;
        memset(&late, 0, sizeof(late));
        if (timed) {
            rs_http_resp_init(&tresp, &pool);
            rs_apigw_timeout(&req, r.kind, gw_id, &tresp);
            rc = convert(&tresp, &late);
            rs_http_resp_free(&tresp);
        }
        rs_apigw_event(&pool, &req, &r.t, r.t.account, q->source_ip[0] ? q->source_ip : NULL,
                       (unsigned)q->port, rs_wall_ms(), gw_id, &ev);
        rs_lambda_uuid(lambda_id);
        memset(&lr, 0, sizeof(lr));
        if (rc == 0)
            rc = invoke(api, &r.t, r.timeout_ms, to, timed ? &late : NULL, lambda_id,
                        ev.data != NULL ? ev.data : "{}", ev.data != NULL ? ev.len : 2, &lr);
        rs_lambda_resp_free(&late);
        rs_buf_free(&ev);
        if (rc == RS_GW_ANSWERED) {
            rs_log(RS_LOG_WARN, req.request_id,
                   "apigw: integration timeout (%d ms) invoking %s: answered, the function went "
                   "on",
                   r.timeout_ms, r.t.function);
        } else if (rc == 0 && r.shortcut && lr.status == 404) {
            /* neither an API nor a function of that id: AWS's answer to an unknown API */
            rs_apigw_error(&req, gw_id, 403, "ForbiddenException", "Forbidden", &resp);
        } else if (rc == 0) {
            rs_apigw_reply(&req, r.kind, r.t.version, gw_id, function_error(&lr), lr.status,
                           lr.body, lr.body_len, &resp);
        }
        rs_lambda_resp_free(&lr);
        if (rc == 0 && r.kind == RS_APIGW_FURL)
            cors_headers(&req, r.cors, 0, &resp);
    }
    if (rc == 0)
        rc = convert(&resp, out);
    json_object_put(r.cors);
    rs_http_resp_free(&resp);
    rs_pool_clear(&pool);
    return rc;
}
