/*
 * account_reset.c: POST /_ruststack/reset?account=<12 digits>: everything of one account
 * goes: its S3 buckets with their objects (the store, here in the worker: rs/s3.h
 * rs_s3_drop_account), its DynamoDB tables in every region (the ddb supervisor) and its
 * Lambda functions with their warm environments, function URL configs and API Gateway
 * definitions (the lambda supervisor). The two supervisors are asked at once over their
 * IPC sockets like any request; the answer goes when both answered:
 *   200 {"reset": true, "account": "...", "s3": {"buckets": [...], "objects": N},
 *        "dynamodb": {"tables": [{"region", "name"}]},
 *        "lambda": {"functions": [{"region", "name"}], "function_urls": N, "rest_apis": N,
 *                   "http_apis": N, "domain_names": N}}
 * A service switched off (or DynamoDB unavailable: no tables can exist) says
 * {"skipped": "<why>"}; a part that failed says {"error": "<why>"} and the answer is
 * 503 with "reset": false (what the other parts dropped is still listed).
 * Runs in: workers (h2o event loop; nothing here blocks).
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "http/account_reset.h"
#include "rs/err.h"
#include "rs/ipc.h"
#include "rs/log.h"
#include "rs/s3.h"
#include "rs/status.h"

struct rs_acct_reset {
    rs_http_req_t *req;
    rs_http_resp_t *resp;
    json_object *root;
    rs_ipc_call_t ddb_call, lambda_call;
    int pending, failed;
    void (*done)(void *);
    void *arg;
    char account[13];
};

int rs_acct_reset_wanted(const rs_http_req_t *req, const rs_route_t *route)
{
    size_t n = route->rest_len;
    if (n > 0 && route->rest[n - 1] == '/')
        n--;
    if (n != 5 || memcmp(route->rest, "reset", 5) != 0 || strcmp(req->method, "POST") != 0 ||
        req->query == NULL)
        return 0;
    rs_qparam_t *ps;
    size_t np = rs_query_parse(req->pool, req->query, req->query_len, &ps);
    return rs_query_get(ps, np, "account") != NULL;
}

static void send_json(rs_http_resp_t *resp, int status, json_object *o)
{
    const char *s =
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    resp->status = status;
    rs_http_resp_header(resp, "content-type", "application/json");
    rs_buf_appends(&resp->body, s);
}

static json_object *part_msg(const char *k, const char *why)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, k, json_object_new_string(why));
    return o;
}

static void finish(rs_acct_reset_t *r)
{
    json_object_object_add(r->root, "reset", json_object_new_boolean(!r->failed));
    send_json(r->resp, r->failed ? 503 : 200, r->root);
    rs_log(r->failed ? RS_LOG_WARN : RS_LOG_NOTICE, r->req->request_id, "account %s reset%s",
           r->account, r->failed ? " incomplete" : "");
    json_object_put(r->root);
    r->root = NULL;
}

/* the part `name` of the answer from a supervisor's reply */
static void take_reply(rs_acct_reset_t *r, const char *name, rs_ipc_outcome_t outcome,
                       const rs_ipc_reply_t *reply)
{
    static const char *const why[] = {
        [RS_IPC_NOCONN] = "the supervisor is not reachable (it is restarting); retry shortly",
        [RS_IPC_DROPPED] = "the supervisor went away while handling the request; retry",
        [RS_IPC_TIMEOUT] = "the supervisor did not answer in time",
        [RS_IPC_OVERLOADED] = "too many requests are queued for the supervisor; retry shortly",
    };
    json_object *part = NULL, *m = NULL;
    rs_ipc_resp_t meta;
    if (outcome != RS_IPC_OK) {
        part = part_msg("error", why[outcome]);
    } else if (rs_ipc_resp_decode(reply->meta, reply->meta_len, &m, &meta) != 0) {
        part = part_msg("error", "malformed reply from the supervisor");
    } else {
        json_tokener *tok = json_tokener_new();
        if (tok != NULL)
            part = json_tokener_parse_ex(tok, reply->body, (int)reply->body_len);
        json_tokener_free(tok);
        if (part == NULL || !json_object_is_type(part, json_type_object)) {
            json_object_put(part);
            part = part_msg("error", "malformed reply from the supervisor");
        } else if (meta.status != 200) {
            /* an AWS-shaped error answer ({"__type", "message"} / {"Type", "Message"}) */
            json_object *msg = NULL;
            if (!json_object_object_get_ex(part, "error", &msg) &&
                !json_object_object_get_ex(part, "message", &msg))
                json_object_object_get_ex(part, "Message", &msg);
            char buf[600];
            snprintf(buf, sizeof(buf), "HTTP %d: %s", meta.status,
                     msg != NULL ? json_object_get_string(msg) : "no message");
            json_object_put(part);
            part = part_msg("error", buf);
        }
    }
    json_object_put(m);
    if (json_object_object_get_ex(part, "error", NULL))
        r->failed = 1;
    json_object_object_add(r->root, name, part);
}

static void part_done(rs_acct_reset_t *r)
{
    if (--r->pending == 0) {
        finish(r);
        r->done(r->arg);
    }
}

static void ddb_done(void *arg, rs_ipc_outcome_t outcome, const rs_ipc_reply_t *reply)
{
    rs_acct_reset_t *r = arg;
    take_reply(r, "dynamodb", outcome, reply);
    part_done(r);
}

static void lambda_done(void *arg, rs_ipc_outcome_t outcome, const rs_ipc_reply_t *reply)
{
    rs_acct_reset_t *r = arg;
    take_reply(r, "lambda", outcome, reply);
    part_done(r);
}

static void s3_dropped(void *arg, const char *bucket)
{
    json_object_array_add(arg, json_object_new_string(bucket));
}

static int account_ok(const char *a, size_t n)
{
    if (n != 12)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (a[i] < '0' || a[i] > '9')
            return 0;
    return 1;
}

/* the DynamoDB part when no supervisor is to be asked: why (NULL: ask) */
static const char *ddb_skip(const rs_http_ctx_t *c)
{
    if (!c->conf->dynamodb)
        return "DynamoDB is switched off (dynamodb = off)";
    const rs_status_board_t *b = rs_status_current();
    if (b != NULL && rs_status_get(b, RS_SVC_DYNAMODB, NULL, 0) == RS_SVC_UNAVAILABLE)
        return "DynamoDB is unavailable here: no tables can exist";
    return NULL;
}

/* start one supervisor call; 1 when pending, else the part is in the answer */
static int ask(rs_acct_reset_t *r, const char *name, rs_ipc_client_t *cl, rs_ipc_call_t *call,
               const char *meta, size_t meta_len, rs_ipc_done_cb cb)
{
    if (cl == NULL) {
        take_reply(r, name, RS_IPC_NOCONN, NULL);
        return 0;
    }
    int rc = rs_ipc_call_start(cl, call, meta, meta_len, NULL, 0, cb, r);
    if (rc == 0)
        return 1;
    take_reply(r, name, (rs_ipc_outcome_t)rc, NULL);
    return 0;
}

int rs_acct_reset_start(rs_http_ctx_t *c, rs_http_req_t *req, rs_http_resp_t *resp,
                        rs_ipc_client_t *ddb, rs_ipc_client_t *lambda, void (*done)(void *),
                        void *arg, rs_acct_reset_t **out)
{
    req->service = "internal";
    req->operation = "ResetAccount";
    *out = NULL;
    rs_qparam_t *ps;
    size_t np = rs_query_parse(req->pool, req->query, req->query_len, &ps);
    const rs_qparam_t *p = rs_query_get(ps, np, "account");
    if (p == NULL || !account_ok(p->value, p->value_len)) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "error",
                               json_object_new_string("account must be 12 digits, e.g. "
                                                      "?account=123456789012"));
        send_json(resp, 400, o);
        json_object_put(o);
        return 0;
    }
    rs_acct_reset_t *r = rs_pool_alloc(req->pool, sizeof(*r));
    memset(r, 0, sizeof(*r));
    r->req = req;
    r->resp = resp;
    r->done = done;
    r->arg = arg;
    memcpy(r->account, p->value, 13);
    r->root = json_object_new_object();
    json_object_object_add(r->root, "account", json_object_new_string(r->account));

    /* DynamoDB and Lambda: both supervisors at once (their parts go into the answer
     * when they reply, from the event loop, so never before this function returns) */
    const char *region = c->conf->default_region;
    const char *skip = ddb_skip(c);
    if (skip != NULL) {
        json_object *d = part_msg("skipped", skip);
        json_object_object_add(d, "tables", json_object_new_array());
        json_object_object_add(r->root, "dynamodb", d);
    } else {
        rs_ipc_ddb_req_t m = {.target = RS_IPC_DDB_RESET_TARGET,
                              .account = r->account,
                              .region = region,
                              .request_id = req->request_id,
                              .content_type = "application/x-amz-json-1.0",
                              .access_key = ""};
        size_t n = rs_ipc_ddb_req_encode(&m, NULL, 0);
        char *meta = rs_pool_alloc(req->pool, n + 1);
        rs_ipc_ddb_req_encode(&m, meta, n + 1);
        r->pending += ask(r, "dynamodb", ddb, &r->ddb_call, meta, n, ddb_done);
    }
    if (!c->conf->lambda) {
        json_object *l = part_msg("skipped", "Lambda is switched off (lambda = off)");
        json_object_object_add(l, "functions", json_object_new_array());
        json_object_object_add(r->root, "lambda", l);
    } else {
        rs_ipc_lambda_req_t m = {.method = "POST",
                                 .path = "/_ruststack/reset",
                                 .query = "",
                                 .account = r->account,
                                 .region = region,
                                 .request_id = req->request_id,
                                 .log_id = req->request_id,
                                 .access_key = "",
                                 .service = RS_IPC_LAMBDA_RESET_SERVICE};
        size_t n = rs_ipc_lambda_req_encode(&m, NULL, 0);
        char *meta = rs_pool_alloc(req->pool, n + 1);
        rs_ipc_lambda_req_encode(&m, meta, n + 1);
        r->pending += ask(r, "lambda", lambda, &r->lambda_call, meta, n, lambda_done);
    }
    /* S3: the shared store, here, while the supervisors work */
    json_object *s3 = json_object_new_object(), *buckets = json_object_new_array();
    uint64_t objects = 0;
    int rc = rs_s3_drop_account(c->store, r->account, s3_dropped, buckets, &objects);
    json_object_object_add(s3, "buckets", buckets);
    json_object_object_add(s3, "objects", json_object_new_int64((int64_t)objects));
    if (rc != 0) {
        json_object_object_add(s3, "error", json_object_new_string(rs_err_str(rc)));
        r->failed = 1;
    }
    json_object_object_add(r->root, "s3", s3);

    if (r->pending == 0) {
        finish(r);
        return 0;
    }
    *out = r;
    return 1;
}

void rs_acct_reset_cancel(rs_acct_reset_t *r)
{
    if (r == NULL || r->root == NULL)
        return;
    rs_ipc_call_cancel(&r->ddb_call);
    rs_ipc_call_cancel(&r->lambda_call);
    json_object_put(r->root);
    r->root = NULL;
}
