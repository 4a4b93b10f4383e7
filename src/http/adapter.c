/*
 * adapter.c: h2o_req_t -> rs_http_req_t -> rs_route -> service -> h2o response, and one
 * access-log line per request. Runs in: workers (inside the h2o event loop; never blocks).
 * Per-request state lives in an object allocated with h2o_mem_alloc_shared on req->pool:
 * its dispose callback runs exactly once when h2o frees the request (response done or
 * client gone). It releases a zero-copy body's shared-memory pin (resp->on_dispose),
 * writes the access line and frees the rs pool.
 * DynamoDB and Lambda are asynchronous: on_req hands the request to the ddb or lambda
 * supervisor through the worker's IPC client for it (ipc_client.h) and returns; the reply callback
 * fills the response and sends it. If the client goes away first, dispose cancels the call (a late
 * reply is then dropped by the IPC client).
 */
#include "config.h"

#include <arpa/inet.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "http/account_reset.h"
#include "http/adapter.h"
#include "rs/apigw.h"
#include "http/ddb_proxy.h"
#include "http/ipc_client.h"
#include "rs/os.h"
#include "rs/codec.h"
#include "http/lambda_proxy.h"
#include "rs/err.h"
#include "rs/ipc.h"
#include "rs/log.h"
#include "rs/metrics.h"
#include "rs/s3.h"

typedef struct adapter_handler {
    h2o_handler_t super;
    rs_http_ctx_t *http;
} adapter_handler_t;

typedef struct reqstate {
    rs_http_ctx_t *http;
    h2o_req_t *h2o;
    rs_pool_t pool;
    rs_http_req_t req;
    rs_http_resp_t resp;
    int64_t start_us;
    int status;
    int started;            /* rs structures initialised (dispose has work to do) */
    rs_ipc_call_t call;     /* supervisor hand-off (pending between on_req and the reply) */
    char gw_id[37];         /* API Gateway proxy: the gateway's request id (UUID) */
    rs_acct_reset_t *reset; /* POST /_ruststack/reset?account=: pending supervisor calls */
    /* a zero-copy body goes out in batches of SEND_BATCH segments (gen_proceed) */
    h2o_generator_t gen;
    h2o_iovec_t *bufs;
    size_t nbufs, sent;
} reqstate_t;

/* Segments per h2o_send. h2o 2.2.5's HTTP/1 finalostream_send copies the buffers into a
 * stack array of inbufcnt + 3 entries (lib/http1.c) and hands them to one writev, which
 * takes at most IOV_MAX (1024) of them: a 1 GiB object of 8 MiB parts is 1,000+
 * segments, and up to 10,000 from small parts. Segments are up to 1 MiB, so 64 of them
 * per write costs nothing in throughput. */
#define SEND_BATCH 64

static void on_dispose(void *p)
{
    reqstate_t *rq = p;
    rs_ipc_call_cancel(&rq->call);
    rs_acct_reset_cancel(rq->reset);
    if (!rq->started)
        return;
    if (rq->resp.on_dispose != NULL) {
        void (*cb)(void *) = rq->resp.on_dispose;
        rq->resp.on_dispose = NULL;
        cb(rq->resp.dispose_arg);
    }
    rs_access_rec_t a = {
        .request_id = rq->req.request_id,
        .service = rq->req.service,
        .operation = rq->req.operation,
        .method = rq->req.method,
        .path = rq->req.path,
        .status = rq->status,
        .bytes = rq->h2o->bytes_sent,
        .latency_ms = (double)(rs_mono_us() - rq->start_us) / 1000.0,
    };
    rs_log_access(&a);
    rs_metrics_request(rs_metrics_current(), rq->http->slot, a.service, a.operation, a.status,
                       (uint64_t)(rs_mono_us() - rq->start_us), a.bytes);
    rs_http_resp_free(&rq->resp);
    rs_pool_clear(&rq->pool);
    rq->http->inflight--;
}

/* headers h2o computes itself or that would corrupt the framing */
static int skip_header(const char *name, size_t n)
{
    static const char *const skip[] = {"content-length", "transfer-encoding", "connection"};
    for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
        if (strlen(skip[i]) == n && strncasecmp(skip[i], name, n) == 0)
            return 1;
    return 0;
}

static void to_rs_request(reqstate_t *rq, h2o_req_t *req)
{
    rs_http_req_t *r = &rq->req;
    size_t nh = req->headers.size, have_host = 0;

    r->pool = &rq->pool;
    r->method = rs_pool_strndup(&rq->pool, req->method.base, req->method.len);
    const char *p = req->input.path.base;
    size_t plen = req->input.path.len;
    if (req->input.query_at != SIZE_MAX && req->input.query_at <= plen) {
        r->query = p + req->input.query_at + 1;
        r->query_len = plen - req->input.query_at - 1;
        plen = req->input.query_at;
    }
    r->path = rs_pool_strndup(&rq->pool, p, plen);
    r->path_len = plen;
    if (r->query != NULL)
        r->query = rs_pool_strndup(&rq->pool, r->query, r->query_len);
    r->host = req->input.authority.base;
    r->host_len = req->input.authority.len;

    rs_hdr_t *hv = rs_pool_alloc(&rq->pool, (nh + 2) * sizeof(*hv));
    for (size_t i = 0; i < nh; i++) {
        const h2o_header_t *h = &req->headers.entries[i];
        hv[i].name = h->name->base;
        hv[i].name_len = h->name->len;
        hv[i].value = h->value.base;
        hv[i].value_len = h->value.len;
        if (h->name->len == 4 && memcmp(h->name->base, "host", 4) == 0)
            have_host = 1;
        if (h->name->len == 14 && memcmp(h->name->base, "content-length", 14) == 0)
            r->has_content_length = 1;
    }
    if (!have_host && r->host_len > 0) {
        /* HTTP/2 carries the host as :authority; SigV4 signs it as "host" */
        hv[nh].name = "host";
        hv[nh].name_len = 4;
        hv[nh].value = r->host;
        hv[nh].value_len = r->host_len;
        nh++;
    }
    if (!r->has_content_length && req->entity.base != NULL) {
        /* h2o 2.2.5 consumes Content-Length into the entity; SDKs that sign it (Java,
         * Rust) need it back for the canonical request */
        hv[nh].name = "content-length";
        hv[nh].name_len = 14;
        hv[nh].value = rs_pool_printf(&rq->pool, "%zu", req->entity.len);
        hv[nh].value_len = strlen(hv[nh].value);
        nh++;
        r->has_content_length = 1;
    }
    r->headers = hv;
    r->num_headers = nh;
    if (req->entity.base != NULL) {
        r->body = (const uint8_t *)req->entity.base;
        r->body_len = req->entity.len;
    }
    rs_http_new_request_id(rq->http, r->request_id);
}

/* the next batch of the body; FINAL with the last one */
static void send_batch(reqstate_t *rq, h2o_req_t *req)
{
    size_t n = rq->nbufs - rq->sent;
    h2o_send_state_t st = H2O_SEND_STATE_FINAL;
    if (n > SEND_BATCH) {
        n = SEND_BATCH;
        st = H2O_SEND_STATE_IN_PROGRESS;
    }
    h2o_iovec_t *b = rq->bufs + rq->sent;
    rq->sent += n;
    h2o_send(req, b, n, st);
}

static void gen_proceed(h2o_generator_t *self, h2o_req_t *req)
{
    reqstate_t *rq = H2O_STRUCT_FROM_MEMBER(reqstate_t, gen, self);
    if (rq->sent < rq->nbufs)
        send_batch(rq, req);
}

static void gen_stop(h2o_generator_t *self, h2o_req_t *req)
{
    /* the pin is released by the dispose callback, which h2o runs after stop */
}

static void send_response(reqstate_t *rq, h2o_req_t *req)
{
    rs_http_resp_t *resp = &rq->resp;
    int head =
        resp->head_only || (req->method.len == 4 && memcmp(req->method.base, "HEAD", 4) == 0);
    int lower = req->version >= 0x200;

    req->res.status = resp->status;
    req->res.reason = rs_http_reason(resp->status);
    rq->status = resp->status;
    for (size_t i = 0; i < resp->num_headers; i++) {
        const rs_hdr_t *h = &resp->headers[i];
        if (skip_header(h->name, h->name_len))
            continue;
        char *lname = h2o_mem_alloc_pool(&req->pool, h->name_len + 1);
        for (size_t k = 0; k < h->name_len; k++)
            lname[k] =
                (char)((h->name[k] >= 'A' && h->name[k] <= 'Z') ? h->name[k] + 32 : h->name[k]);
        lname[h->name_len] = '\0';
        h2o_add_header_by_str(&req->pool, &req->res.headers, lname, h->name_len, 1,
                              lower ? NULL : h->name, h->value, h->value_len);
    }

    int has_server = 0;
    for (size_t i = 0; i < resp->num_headers; i++)
        has_server |=
            resp->headers[i].name_len == 6 && strncasecmp(resp->headers[i].name, "server", 6) == 0;
    if (!has_server)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_SERVER, NULL,
                       H2O_STRLIT("RustStack/" PACKAGE_VERSION));

    size_t nbufs = 0;
    h2o_iovec_t *bufs = NULL;
    if (resp->status == 204 || resp->status == 304 || (resp->status >= 100 && resp->status < 200)) {
        req->res.content_length = SIZE_MAX;
    } else if (head) {
        req->res.content_length =
            resp->zc_nseg > 0 || resp->content_length > 0 ? resp->content_length : resp->body.len;
    } else if (resp->zc_nseg > 0) {
        req->res.content_length = resp->content_length;
        bufs = h2o_mem_alloc_pool(&req->pool, resp->zc_nseg * sizeof(*bufs));
        for (size_t i = 0; i < resp->zc_nseg; i++)
            bufs[i] = h2o_iovec_init(resp->zc[i].iov_base, resp->zc[i].iov_len);
        nbufs = resp->zc_nseg;
    } else {
        req->res.content_length = resp->body.len;
        if (resp->body.len > 0) {
            bufs = h2o_mem_alloc_pool(&req->pool, sizeof(*bufs));
            bufs[0] = h2o_iovec_init(resp->body.data, resp->body.len);
            nbufs = 1;
        }
    }
    rq->gen.proceed = gen_proceed;
    rq->gen.stop = gen_stop;
    rq->bufs = bufs;
    rq->nbufs = nbufs;
    rq->sent = 0;
    h2o_start_response(req, &rq->gen);
    send_batch(rq, req);
}

static void finish(reqstate_t *rq)
{
    if (rq->req.service == NULL)
        rq->req.service = "s3";
    if (rs_log_get_level() >= RS_LOG_DEBUG)
        rs_log(RS_LOG_DEBUG, rq->req.request_id, "%s %s%s%s host=%s -> %s %s %d", rq->req.method,
               rq->req.path, rq->req.query ? "?" : "", rq->req.query ? rq->req.query : "",
               rs_pool_strndup(&rq->pool, rq->req.host ? rq->req.host : "", rq->req.host_len),
               rq->req.service, rq->req.operation ? rq->req.operation : "-", rq->resp.status);
    send_response(rq, rq->h2o);
}

/* a hand-off that produced no reply: the retryable DynamoDB error, saying why */
static void ddb_failed(reqstate_t *rq, int outcome)
{
    const char *why;
    switch (outcome) {
    case RS_IPC_NOCONN:
        why = "the DynamoDB supervisor is not reachable (it is restarting); retry shortly";
        break;
    case RS_IPC_DROPPED:
        why = "the DynamoDB supervisor went away while handling the request; retry";
        break;
    case RS_IPC_TIMEOUT:
        why = rs_pool_printf(&rq->pool, "DynamoDB Local did not answer within %u seconds",
                             (unsigned)rq->http->conf->dynamodb_request_timeout);
        break;
    default:
        why = "too many DynamoDB requests are queued in this worker; retry shortly";
        break;
    }
    /* refused connections come in floods while the supervisor restarts: the outage itself
     * is logged once by the IPC client, each request here only at info */
    rs_log(outcome == RS_IPC_NOCONN ? RS_LOG_INFO : RS_LOG_WARN, rq->req.request_id,
           "DynamoDB %s: %s", rq->req.operation, why);
    rs_ddb_error(&rq->req, &rq->resp, RS_DDBE_ServiceUnavailable, why);
}

static void ddb_done(void *arg, rs_ipc_outcome_t outcome, const rs_ipc_reply_t *r)
{
    reqstate_t *rq = arg;
    if (outcome == RS_IPC_OK) {
        if (rs_ddb_reply(&rq->req, &rq->resp, r->meta, r->meta_len, r->body, r->body_len) != 0)
            rs_log(RS_LOG_ERR, rq->req.request_id, "malformed reply meta from the ddb supervisor");
    } else {
        ddb_failed(rq, outcome);
    }
    finish(rq);
}

/* The worker's client for <runtime_dir>/<name>.sock, made on first use; NULL when the
 * socket path is unusable (logged). */
static rs_ipc_client_t *client(reqstate_t *rq, h2o_req_t *req, rs_ipc_client_t **slot,
                               const char *name, uint32_t timeout_ms)
{
    if (*slot == NULL) {
        int rc = rs_ipc_client_create(req->conn->ctx->loop, rq->http->conf->runtime_dir, name,
                                      timeout_ms, slot);
        if (rc != 0) {
            rs_log(RS_LOG_ERR, rq->req.request_id, "cannot create the %s client (%s): %s", name,
                   rq->http->conf->runtime_dir, rs_err_str(rc));
            *slot = NULL;
        }
    }
    return *slot;
}

/* 1 when the request went to the supervisor (the reply completes it), 0 when rq->resp
 * already holds the answer */
static int ddb_forward(reqstate_t *rq, h2o_req_t *req, const rs_route_t *route)
{
    rs_http_ctx_t *http = rq->http;
    rs_ddb_fwd_t fwd;
    if (rs_ddb_prepare(http, &rq->req, route, &rq->resp, &fwd) != 0)
        return 0;
    /* the supervisor answers a slow DynamoDB Local itself after the same timeout; the
     * worker's timer is the backstop for a wedged supervisor, one second later */
    uint32_t ms = http->conf->dynamodb_request_timeout * 1000u + 1000u;
    if (client(rq, req, &http->ddb, "ddb", ms) == NULL) {
        rs_ddb_error(&rq->req, &rq->resp, RS_DDBE_InternalServerError,
                     "the DynamoDB supervisor socket path is unusable (runtime_dir)");
        return 0;
    }
    int rc = rs_ipc_call_start(http->ddb, &rq->call, fwd.meta, fwd.meta_len, rq->req.body,
                               rq->req.body_len, ddb_done, rq);
    if (rc == 0)
        return 1;
    ddb_failed(rq, rc);
    return 0;
}

/* a Lambda hand-off that produced no reply: a retryable ServiceException saying why */
static void lambda_failed(reqstate_t *rq, int outcome)
{
    const char *why;
    switch (outcome) {
    case RS_IPC_NOCONN:
        why = "the Lambda supervisor is not reachable (it is restarting); retry shortly";
        break;
    case RS_IPC_DROPPED:
        why = "the Lambda supervisor went away while handling the request; retry";
        break;
    case RS_IPC_TIMEOUT:
        why = "the Lambda supervisor did not answer in time";
        break;
    default:
        why = "too many Lambda requests are queued in this worker; retry shortly";
        break;
    }
    rs_log(outcome == RS_IPC_NOCONN ? RS_LOG_INFO : RS_LOG_WARN, rq->req.request_id,
           "Lambda %s: %s", rq->req.operation, why);
    rs_lambda_error(&rq->req, &rq->resp,
                    outcome == RS_IPC_TIMEOUT ? RS_LE_SERVICE : RS_LE_SERVICE_RETRY, why);
}

static void lambda_done(void *arg, rs_ipc_outcome_t outcome, const rs_ipc_reply_t *r)
{
    reqstate_t *rq = arg;
    if (outcome == RS_IPC_OK) {
        if (rs_lambda_reply(&rq->req, &rq->resp, r->meta, r->meta_len, r->body, r->body_len) != 0)
            rs_log(RS_LOG_ERR, rq->req.request_id,
                   "malformed reply meta from the lambda supervisor");
    } else {
        lambda_failed(rq, outcome);
    }
    finish(rq);
}

/* send fwd to the lambda supervisor: 1 when pending (cb completes it), 0 when rq->resp
 * holds the answer */
static int lambda_send(reqstate_t *rq, h2o_req_t *req, const rs_lambda_fwd_t *fwd,
                       rs_ipc_done_cb cb)
{
    rs_http_ctx_t *http = rq->http;
    if (client(rq, req, &http->lambda, "lambda", rs_lambda_ipc_timeout_ms(http->conf)) == NULL) {
        rs_lambda_error(&rq->req, &rq->resp, RS_LE_SERVICE,
                        "the Lambda supervisor socket path is unusable (runtime_dir)");
        return 0;
    }
    int rc = rs_ipc_call_start(http->lambda, &rq->call, fwd->meta, fwd->meta_len, fwd->body,
                               fwd->body_len, cb, rq);
    if (rc == 0)
        return 1;
    lambda_failed(rq, rc);
    return 0;
}

static int lambda_forward(reqstate_t *rq, h2o_req_t *req)
{
    rs_lambda_fwd_t fwd;
    if (rs_lambda_prepare(rq->http, &rq->req, &rq->resp, &fwd) != 0)
        return 0;
    return lambda_send(rq, req, &fwd, lambda_done);
}

/* the API Gateway control planes: answered by the lambda supervisor like Lambda's API */
static int apigateway_forward(reqstate_t *rq, h2o_req_t *req)
{
    rs_lambda_fwd_t fwd;
    if (rs_apigateway_prepare(rq->http, &rq->req, &rq->resp, &fwd) != 0)
        return 0;
    return lambda_send(rq, req, &fwd, lambda_done);
}

static void apigw_done(void *arg, rs_ipc_outcome_t outcome, const rs_ipc_reply_t *r)
{
    reqstate_t *rq = arg;
    if (outcome != RS_IPC_OK) {
        rs_log(RS_LOG_WARN, rq->req.request_id, "API Gateway: no Lambda reply (outcome %d)",
               (int)outcome);
        rs_apigw_error(&rq->req, NULL, 500, "InternalServerErrorException", "Internal server error",
                       &rq->resp);
    } else if (rs_lambda_reply(&rq->req, &rq->resp, r->meta, r->meta_len, r->body, r->body_len) !=
               0) {
        rs_log(RS_LOG_ERR, rq->req.request_id, "malformed reply meta from the lambda supervisor");
    }
    rq->resp.head_only = strcmp(rq->req.method, "HEAD") == 0;
    finish(rq);
}

/* the client's address for identity.sourceIp / X-Forwarded-For */
static const char *peer_ip(reqstate_t *rq, h2o_req_t *req)
{
    struct sockaddr_storage ss;
    char buf[INET6_ADDRSTRLEN] = "127.0.0.1";
    socklen_t n = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    if (n > 0 && ss.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, buf, sizeof(buf));
    else if (n > 0 && ss.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, buf, sizeof(buf));
    return rs_pool_strndup(&rq->pool, buf, strlen(buf));
}

/* A request to an invoke URL (execute-api, a function URL, a custom domain): the lambda
 * supervisor resolves it against the API definitions, invokes and answers as the gateway
 * (rs/apigw.h). 1 when pending. */
static int apigw_forward(reqstate_t *rq, h2o_req_t *req, const rs_route_t *route)
{
    rs_http_ctx_t *http = rq->http;
    rs_lambda_fwd_t fwd;
    rq->req.service = "apigw";
    rq->req.operation = "ProxyInvoke";
    /* the signature matters to function URLs with AuthType AWS_IAM only */
    int signed_ok = route->apigw_form != RS_APIGW_URL || !http->conf->auth_verify
                        ? (rs_http_set_identity(http, &rq->req), 1)
                        : rs_http_authenticate(http, &rq->req) == RS_HTTP_AUTH_OK;
    if (!http->conf->lambda) {
        rs_apigw_error(&rq->req, NULL, 500, "InternalServerErrorException", "Internal server error",
                       &rq->resp);
        return 0;
    }
    if (rs_gateway_prepare(http, &rq->req, peer_ip(rq, req), signed_ok, &fwd) != 0) {
        rs_apigw_error(&rq->req, NULL, 431, NULL, "Request Header Fields Too Large", &rq->resp);
        return 0;
    }
    if (lambda_send(rq, req, &fwd, apigw_done))
        return 1;
    rs_apigw_error(&rq->req, NULL, 500, "InternalServerErrorException", "Internal server error",
                   &rq->resp);
    return 0;
}

static void reset_done(void *arg)
{
    reqstate_t *rq = arg;
    rq->reset = NULL;
    finish(rq);
}

/* POST /_ruststack/reset?account=: S3 here, both supervisors at once (account_reset.c);
 * 1 when pending (reset_done completes it) */
static int reset_forward(reqstate_t *rq, h2o_req_t *req)
{
    rs_http_ctx_t *http = rq->http;
    uint32_t ddb_ms = http->conf->dynamodb_request_timeout * 1000u + 1000u;
    rs_ipc_client_t *ddb = http->conf->dynamodb ? client(rq, req, &http->ddb, "ddb", ddb_ms) : NULL;
    rs_ipc_client_t *lambda = http->conf->lambda ? client(rq, req, &http->lambda, "lambda",
                                                          rs_lambda_ipc_timeout_ms(http->conf))
                                                 : NULL;
    return rs_acct_reset_start(http, &rq->req, &rq->resp, ddb, lambda, reset_done, rq, &rq->reset);
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    rs_http_ctx_t *http = ((adapter_handler_t *)self)->http;
    reqstate_t *rq = h2o_mem_alloc_shared(&req->pool, sizeof(*rq), on_dispose);
    rs_route_t route;

    memset(rq, 0, sizeof(*rq));
    rq->http = http;
    rq->h2o = req;
    rq->start_us = rs_mono_us();
    rs_pool_init(&rq->pool);
    rs_http_resp_init(&rq->resp, &rq->pool);
    rq->started = 1;
    http->inflight++;
    http->served++;

    to_rs_request(rq, req);
    rs_route(&rq->req, &http->router, &route);
    switch (route.kind) {
    case RS_ROUTE_INTERNAL:
        if (route.rest_len > 12 && memcmp(route.rest, "lambda/code/", 12) == 0) {
            /* GetFunction's Code.Location: the lambda supervisor serves the zip */
            if (lambda_forward(rq, req)) {
                rq->req.operation = "DownloadFunctionCode";
                return 0;
            }
            break;
        }
        if (rs_acct_reset_wanted(&rq->req, &route)) {
            if (reset_forward(rq, req))
                return 0; /* reset_done sends the response */
            break;
        }
        rs_internal_handle(http, &rq->req, &route, &rq->resp);
        break;
    case RS_ROUTE_S3:
        rs_s3_handle(&http->s3, &rq->req, &route, &rq->resp);
        break;
    case RS_ROUTE_DYNAMODB:
        if (ddb_forward(rq, req, &route))
            return 0; /* ddb_done sends the response */
        break;
    case RS_ROUTE_LAMBDA:
        if (lambda_forward(rq, req))
            return 0; /* lambda_done sends the response */
        break;
    case RS_ROUTE_APIGATEWAY:
        if (apigateway_forward(rq, req))
            return 0; /* lambda_done sends the response */
        break;
    case RS_ROUTE_APIGW:
        if (apigw_forward(rq, req, &route))
            return 0; /* apigw_done sends the response */
        break;
    }
    finish(rq);
    return 0;
}

void rs_adapter_register(h2o_pathconf_t *pathconf, rs_http_ctx_t *http)
{
    adapter_handler_t *h = (adapter_handler_t *)h2o_create_handler(pathconf, sizeof(*h));
    h->super.on_req = on_req;
    h->http = http;
}
