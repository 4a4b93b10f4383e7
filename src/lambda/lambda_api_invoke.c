/*
 * lambda_api_invoke.c: Invoke (POST /2015-03-31/functions/{name}/invocations):
 * RequestResponse (200, runs through the pool and answers with the function's result),
 * Event (202 at once; the invocation runs in a background thread), DryRun (204); payload
 * checks (empty -> {}, valid UTF-8 JSON, 6 MB / 1 MB limits), LogType Tail, client
 * context, throttling (429) and pool failures (500 ServiceException).
 * Runs in: the lambda supervisor (request threads and Event threads).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/lambda_api.h"
#include "lambda/lambda_code.h"
#include "rs/codec.h"
#include "rs/err.h"
#include "rs/log.h"
#include "rs/os.h"

#define JSON_DEPTH_MAX 1024

enum { INV_SYNC, INV_EVENT, INV_DRYRUN };

/* NULL when `p` is one valid JSON value in UTF-8 (surrounding whitespace allowed), else
 * the parser's complaint (static text) */
static const char *json_problem(const char *p, size_t n)
{
    json_tokener *tok = json_tokener_new_ex(JSON_DEPTH_MAX);
    if (!tok)
        return "out of memory";
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    /* p[n] is a NUL: parsing it too ends a trailing number */
    json_object *o = json_tokener_parse_ex(tok, p, (int)n + 1);
    enum json_tokener_error err = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    json_object_put(o);
    if (err != json_tokener_success)
        return json_tokener_error_desc(err);
    for (size_t i = end; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
            return "Unexpected character after the JSON value";
    if (end < n && memchr(p, '\0', n) != NULL)
        return "Unexpected NUL character";
    return NULL;
}

typedef struct async_job {
    rs_lambda_api_t *api;
    rs_lambda_fn_t *fn;
    char request_id[64];
    char invoked_arn[300];
    char *payload;
    size_t len;
} async_job_t;

/* At most this many Event invocations run at once in the supervisor. At the cap the
 * request's handler thread waits for a slot before the 202 goes out, as AWS queues Event
 * invocations instead of refusing them; the wait slows a caller that outruns the pool
 * (the IPC server's handler pool is bounded too, so the backlog stays in the sockets). */
#define EVENT_THREADS_MAX 64
static rs_thread_cap_t event_cap = RS_THREAD_CAP_INIT(EVENT_THREADS_MAX);

static void *event_main(void *arg)
{
    async_job_t *j = arg;
    rs_lambda_invoke_t inv = {
        .fn = j->fn,
        .request_id = j->request_id,
        .invoked_arn = j->invoked_arn,
        .payload = j->payload,
        .payload_len = j->len,
    };
    rs_lambda_result_t res;
    memset(&res, 0, sizeof(res));
    if (rs_lambda_pool_invoke(j->api->pool, &inv, &res) != 0)
        rs_log(RS_LOG_ERR, j->request_id, "lambda: Event invocation of %s: out of memory",
               j->invoked_arn);
    else if (res.service_error[0])
        rs_log(RS_LOG_ERR, j->request_id, "lambda: Event invocation of %s failed: %s",
               j->invoked_arn, res.service_error);
    else if (res.throttled)
        rs_log(RS_LOG_WARN, j->request_id, "lambda: Event invocation of %s throttled; dropped",
               j->invoked_arn);
    else if (res.function_error)
        rs_log(RS_LOG_INFO, j->request_id, "lambda: Event invocation of %s: function error %.*s",
               j->invoked_arn, (int)(res.payload_len > 512 ? 512 : res.payload_len),
               res.payload ? res.payload : "");
    rs_lambda_result_free(&res);
    rs_lambda_fn_unref(j->fn);
    atomic_fetch_sub(&j->api->async_running, 1);
    free(j->payload);
    free(j);
    return NULL;
}

static int run_event(rs_lambda_req_t *rq, rs_lambda_fn_t *fn, char *payload, size_t len,
                     rs_lambda_resp_t *out)
{
    async_job_t *j = calloc(1, sizeof(*j));
    if (!j) {
        free(payload);
        rs_lambda_fn_unref(fn);
        return RS_LAMBDA_ERR0(out, RS_LE_SERVICE, "out of memory");
    }
    j->api = rq->api;
    j->fn = fn;
    snprintf(j->request_id, sizeof(j->request_id), "%s", rq->request_id);
    snprintf(j->invoked_arn, sizeof(j->invoked_arn), "%s", rq->named_arn);
    j->payload = payload;
    j->len = len;
    atomic_fetch_add(&rq->api->async_running, 1);
    if (rs_thread_start(&event_cap, 1, 0, event_main, j) != 0) {
        atomic_fetch_sub(&rq->api->async_running, 1);
        rs_lambda_fn_unref(fn);
        free(payload);
        free(j);
        return RS_LAMBDA_ERR0(out, RS_LE_TOO_MANY_REQUESTS, "Rate Exceeded.");
    }
    out->status = 202;
    return 0;
}

static int run_sync(rs_lambda_req_t *rq, rs_lambda_fn_t *fn, char *payload, size_t len,
                    const char *client_context, rs_lambda_resp_t *out)
{
    int want_log = strcmp(rs_lambda_req_header(rq, "x-amz-log-type"), "Tail") == 0;
    rs_lambda_invoke_t inv = {
        .fn = fn,
        .request_id = rq->request_id,
        .invoked_arn = rq->named_arn,
        .payload = payload,
        .payload_len = len,
        .client_context = client_context,
        .want_log = want_log,
    };
    rs_lambda_result_t res;
    memset(&res, 0, sizeof(res));
    int rc = rs_lambda_pool_invoke(rq->api->pool, &inv, &res);
    free(payload);
    rs_lambda_fn_unref(fn);
    if (rc != 0) {
        rs_lambda_result_free(&res);
        return RS_LAMBDA_ERR0(out, RS_LE_SERVICE, "out of memory");
    }
    if (res.service_error[0]) {
        rs_lambda_reply_error(out, RS_LE_SERVICE, res.service_error, NULL);
    } else if (res.throttled) {
        rs_lambda_reply_error(out, RS_LE_TOO_MANY_REQUESTS, "Rate Exceeded.",
                              "ConcurrentInvocationLimitExceeded");
    } else {
        out->status = 200;
        out->body = res.payload;
        out->body_len = res.payload_len;
        res.payload = NULL;
        json_object_object_add(out->headers, "Content-Type",
                               json_object_new_string("application/json"));
        json_object_object_add(out->headers, "X-Amz-Executed-Version",
                               json_object_new_string("$LATEST"));
        if (res.function_error)
            json_object_object_add(out->headers, "X-Amz-Function-Error",
                                   json_object_new_string("Unhandled"));
        if (want_log) {
            char *b64 = malloc(4 * ((res.log_len + 2) / 3) + 1);
            if (b64) {
                rs_base64_encode((const uint8_t *)(res.log_tail ? res.log_tail : ""),
                                 res.log_tail ? res.log_len : 0, b64);
                json_object_object_add(out->headers, "X-Amz-Log-Result",
                                       json_object_new_string(b64));
                free(b64);
            }
        }
    }
    rs_lambda_result_free(&res);
    return 0;
}

int rs_lambda_op_invoke(rs_lambda_req_t *rq, rs_lambda_resp_t *out)
{
    const char *type = rs_lambda_req_header(rq, "x-amz-invocation-type");
    int kind;
    if (type[0] == '\0' || strcmp(type, "RequestResponse") == 0)
        kind = INV_SYNC;
    else if (strcmp(type, "Event") == 0)
        kind = INV_EVENT;
    else if (strcmp(type, "DryRun") == 0)
        kind = INV_DRYRUN;
    else {
        return RS_LAMBDA_ERR0(
            out, RS_LE_VALIDATION,
            "1 validation error detected: Value '%.100s' at 'invocationType' failed to "
            "satisfy constraint: Member must satisfy enum value set: [Event, "
            "RequestResponse, DryRun]",
            type);
    }
    const char *lt = rs_lambda_req_header(rq, "x-amz-log-type");
    if (lt[0] && strcmp(lt, "None") != 0 && strcmp(lt, "Tail") != 0) {
        return RS_LAMBDA_ERR0(
            out, RS_LE_VALIDATION,
            "1 validation error detected: Value '%.100s' at 'logType' failed to satisfy "
            "constraint: Member must satisfy enum value set: [Tail, None]",
            lt);
    }
    if (rq->len > RS_LAMBDA_INVOKE_MAX)
        return RS_LAMBDA_ERR0(out, RS_LE_ENTITY_TOO_LARGE,
                              "Request must be smaller than %u bytes for the InvokeFunction "
                              "operation",
                              RS_LAMBDA_INVOKE_MAX);
    if (kind == INV_EVENT && rq->len > RS_LAMBDA_EVENT_MAX) {
        return RS_LAMBDA_ERR0(
            out, RS_LE_ENTITY_TOO_LARGE,
            "%zu byte payload is too large for the Event invocation type (limit %u bytes)", rq->len,
            RS_LAMBDA_EVENT_MAX);
    }
    rs_lambda_fn_t *fn = NULL;
    int rc = rs_lambda_reg_get(rq->api->reg, rq->account, rq->region, rq->name, NULL, &fn);
    if (rc != 0 || (rq->qualifier[0] && strcmp(rq->qualifier, "$LATEST") != 0)) {
        rs_lambda_fn_unref(fn);
        char suffix[140];
        snprintf(suffix, sizeof(suffix), ":%s", rq->qualifier[0] ? rq->qualifier : "$LATEST");
        return rs_lambda_reply_not_found(out, rq, suffix);
    }
    if (kind == INV_DRYRUN) {
        rs_lambda_fn_unref(fn);
        out->status = 204;
        return 0;
    }
    /* the event: {} for an empty body, else one valid JSON value */
    char *payload = malloc(rq->len ? rq->len + 1 : 3);
    if (!payload) {
        rs_lambda_fn_unref(fn);
        return RS_LAMBDA_ERR0(out, RS_LE_SERVICE, "out of memory");
    }
    size_t plen = rq->len;
    if (rq->len == 0) {
        memcpy(payload, "{}", 3);
        plen = 2;
    } else {
        memcpy(payload, rq->body, rq->len);
        payload[rq->len] = '\0';
        const char *why = json_problem(payload, rq->len);
        if (why) {
            free(payload);
            rs_lambda_fn_unref(fn);
            return RS_LAMBDA_ERR0(
                out, RS_LE_INVALID_REQUEST_CONTENT,
                "Could not parse request body into json: Could not parse payload into "
                "json: %s",
                why);
        }
    }
    /* the client context: base64 of a JSON object, handed on decoded (sync only) */
    char *ctx = NULL;
    const char *cc = rs_lambda_req_header(rq, "x-amz-client-context");
    if (cc[0]) {
        uint8_t *dec = NULL;
        size_t dlen = 0;
        if (rs_lambda_b64_decode(cc, strlen(cc), &dec, &dlen) != 0 ||
            json_problem((char *)(dec[dlen] = 0, dec), dlen) != NULL) {
            free(dec);
            free(payload);
            rs_lambda_fn_unref(fn);
            return RS_LAMBDA_ERR0(out, RS_LE_INVALID_REQUEST_CONTENT,
                                  "Client context must be a valid Base64-encoded JSON object.");
        }
        ctx = (char *)dec;
    }
    if (!rq->api->pool) {
        free(ctx);
        free(payload);
        rs_lambda_fn_unref(fn);
        return RS_LAMBDA_ERR0(
            out, RS_LE_SERVICE, "Lambda cannot run functions in this RustStack: %s",
            rq->api->pool_why[0] ? rq->api->pool_why : "no execution environment");
    }
    if (kind == INV_EVENT) {
        free(ctx);
        return run_event(rq, fn, payload, plen, out);
    }
    rc = run_sync(rq, fn, payload, plen, ctx, out);
    free(ctx);
    return rc;
}
