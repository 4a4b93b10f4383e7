/*
 * lambda_supervisor.c: the lambda supervisor process: opens the function registry and code
 * store (<data_dir>/lambda, else <runtime_dir>/lambda, wiped on a first start without a
 * data_dir), starts the pool of execution environments (when it cannot, the status board
 * says why, the control plane is still served and invokes answer 500 ServiceException with
 * the reason), serves <runtime_dir>/lambda.sock (src/ipc/server.c) with a bounded pool of
 * REQUEST_THREADS handler threads, each handling the request it read (an Invoke blocks up
 * to 900 s; at the bound further requests wait for a free thread in the socket, bounded by
 * the worker's queue limit and call timeout, instead of a 429), and on SIGTERM / master
 * death stops accepting, destroys the pool (containers killed) and exits 0.
 * Runs in: the lambda supervisor (forked by the master).
 */
#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lambda/lambda.h"
#include "lambda/gw_api.h"
#include "lambda/gw_invoke.h"
#include "lambda/lambda_api.h"
#include "lambda/lambda_reset.h"
#include "rs/err.h"
#include "rs/ipc.h"
#include "rs/log.h"
#include "rs/metrics.h"
#include "rs/sig.h"

/* requests handled at once (each Invoke holds one up to its function's timeout) */
#define REQUEST_THREADS 128
#define REQUEST_STACK (512 * 1024)

static _Atomic int stopping;

static void send_resp(rs_ipc_conn_t *c, uint64_t id, rs_lambda_resp_t *r)
{
    rs_ipc_resp_t m = {r->status, r->headers};
    size_t n;
    char *meta = rs_ipc_resp_encode(&m, &n);
    if (meta != NULL)
        rs_ipc_conn_reply(c, id, meta, n, r->body, r->body_len);
    free(meta);
}

/* a request by its service: the Lambda API, the API Gateway control planes, or a request
 * to an invoke URL (the gateway's data plane); 0, RS_ENOMEM, or RS_GW_ANSWERED (an
 * integration timeout answered already: nothing to send) */
static int dispatch(rs_lambda_api_t *api, const rs_ipc_lambda_req_t *q, const void *body,
                    size_t len, const rs_gw_reply_to_t *to, rs_lambda_resp_t *resp)
{
    if (strcmp(q->service, "gateway") == 0)
        return rs_gw_invoke(api, q, body, len, to, resp);
    int reset = strcmp(q->service, RS_IPC_LAMBDA_RESET_SERVICE) == 0;
    if (reset || strcmp(q->service, "apigateway") == 0) {
        memset(resp, 0, sizeof(*resp));
        resp->headers = json_object_new_object();
        if (resp->headers == NULL)
            return RS_ENOMEM;
        json_object_object_add(resp->headers, "x-amzn-RequestId",
                               json_object_new_string(q->request_id));
        if (reset) /* POST /_ruststack/reset?account=... (lambda_reset.c) */
            return rs_lambda_reset_account(api, q->account, q->request_id, resp);
        rs_gw_call_t c = {api,        q->method, q->path,       q->query, q->headers,
                          q->account, q->region, q->request_id, body,     len};
        return rs_gw_control(&c, resp);
    }
    return rs_lambda_api_handle(api, q->method, q->path, q->query, q->headers, q->account,
                                q->region, q->request_id, body, len, resp);
}

/* the request, in the handler thread that read it */
static void on_request(rs_ipc_conn_t *conn, uint64_t id, char *meta, void *body, size_t len,
                       void *arg)
{
    json_object *m;
    rs_ipc_lambda_req_t q;
    int bad = rs_ipc_lambda_req_decode(meta, strlen(meta), &m, &q);
    const char *rid = q.request_id;
    rs_lambda_resp_t resp;
    rs_gw_reply_to_t to = {conn, id};
    int rc;
    if (bad) {
        memset(&resp, 0, sizeof(resp));
        resp.headers = json_object_new_object();
        json_object_object_add(resp.headers, "x-amzn-RequestId", json_object_new_string(rid));
        rs_lambda_reply_error(&resp, RS_LE_SERVICE, "malformed request hand-off", NULL);
        rs_log(RS_LOG_ERR, rid, "lambda: malformed request meta from a worker");
    } else if (atomic_load(&stopping)) {
        memset(&resp, 0, sizeof(resp));
        resp.headers = json_object_new_object();
        json_object_object_add(resp.headers, "x-amzn-RequestId", json_object_new_string(rid));
        rs_lambda_reply_error(&resp, RS_LE_SERVICE, "the Lambda service is shutting down", NULL);
    } else if ((rc = dispatch(arg, &q, body, len, &to, &resp)) == RS_GW_ANSWERED) {
        memset(&resp, 0, sizeof(resp)); /* the watchdog sent the answer */
    } else if (rc != 0) {
        rs_lambda_resp_free(&resp);
        resp.headers = json_object_new_object();
        json_object_object_add(resp.headers, "x-amzn-RequestId", json_object_new_string(rid));
        rs_lambda_reply_error(&resp, RS_LE_SERVICE, "out of memory", NULL);
    }
    if (resp.headers)
        send_resp(conn, id, &resp);
    rs_lambda_resp_free(&resp);
    json_object_put(m);
    free(meta);
    free(body);
}

void rs_lambda_supervisor_main(const rs_conf_t *conf, rs_status_board_t *board, pid_t master_pid,
                               int first_start)
{
    char root[1200], why[256] = "";
    /* threads never take the control signals: the main thread's flags handle them */
    sigset_t wait_mask;
    rs_child_prologue("lambda", master_pid, &wait_mask);
    rs_status_set(board, RS_SVC_LAMBDA, RS_SVC_STARTING, "loading the function registry");
    if (conf->data_dir[0])
        snprintf(root, sizeof(root), "%s/lambda", conf->data_dir);
    else
        snprintf(root, sizeof(root), "%s/lambda", conf->runtime_dir);
    rs_lambda_reg_t *reg = NULL;
    int rc = rs_lambda_reg_open(root, first_start && !conf->data_dir[0], &reg);
    if (rc == RS_ERR || !reg) {
        char msg[1400];
        snprintf(msg, sizeof(msg), "cannot open the function store %s: %s", root, strerror(errno));
        rs_log(RS_LOG_ALERT, NULL, "lambda: %s", msg);
        rs_status_set(board, RS_SVC_LAMBDA, RS_SVC_UNAVAILABLE, msg);
        _exit(1);
    }
    rs_lambda_reg_set_quota(reg, conf->quota_lambda_functions, conf->quota_lambda_code_bytes);
    rs_log(RS_LOG_INFO, NULL, "lambda: %zu function(s) in %s", rs_lambda_reg_count(reg), root);
    rs_lambda_pool_t *pool = NULL;
    if (rs_lambda_pool_create(conf, &pool, why, sizeof(why)) != 0) {
        pool = NULL;
        if (!why[0])
            snprintf(why, sizeof(why), "the %s executor cannot run here", conf->lambda_executor);
        rs_log(RS_LOG_ERR, NULL, "lambda: functions cannot run: %s", why);
    }
    static rs_lambda_api_t api;
    rs_lambda_api_init(&api, reg, pool, why, conf);
    char hosts[1200];
    snprintf(hosts, sizeof(hosts), "%s/" RS_GW_HOSTS_FILE, conf->runtime_dir);
    if (rs_gw_store_open(root, hosts, first_start && !conf->data_dir[0], &api.gw) != 0) {
        rs_log(RS_LOG_ALERT, NULL, "lambda: cannot open the API Gateway store in %s", root);
        rs_status_set(board, RS_SVC_LAMBDA, RS_SVC_UNAVAILABLE,
                      "cannot open the API Gateway store");
        _exit(1);
    }
    rs_ipc_server_t *srv;
    rs_ipc_server_conf_t sc = {conf->runtime_dir, "lambda",   REQUEST_THREADS,
                               REQUEST_STACK,     on_request, &api};
    if (rs_ipc_server_start(&sc, &srv) != 0) {
        rs_log(RS_LOG_ALERT, NULL, "lambda: cannot listen in %s: %s", conf->runtime_dir,
               strerror(errno));
        rs_status_set(board, RS_SVC_LAMBDA, RS_SVC_UNAVAILABLE,
                      "the lambda supervisor cannot create its socket in runtime_dir");
        rs_lambda_pool_destroy(pool);
        _exit(1);
    }
    if (pool)
        rs_status_set(board, RS_SVC_LAMBDA, RS_SVC_RUNNING, "");
    else
        rs_status_set(board, RS_SVC_LAMBDA, RS_SVC_UNAVAILABLE, why);
    do {
        rs_status_beat(board, RS_BEAT_SUP(RS_SVC_LAMBDA)); /* the master's watchdog */
        if (pool != NULL) {
            /* pool sizes for /_ruststack/metrics, in the supervisor's own writer slot */
            rs_lambda_pool_stats_t ps;
            rs_metrics_t *m = rs_metrics_current();
            unsigned slot = conf->workers + 1;
            rs_lambda_pool_stats(pool, &ps);
            rs_metrics_gauge(m, slot, "lambda_environments", ps.envs_total);
            rs_metrics_gauge(m, slot, "lambda_environments_busy", ps.envs_busy);
            rs_metrics_gauge(m, slot, "lambda_cold_starts", (int64_t)ps.cold_starts);
            rs_metrics_gauge(m, slot, "lambda_warm_starts", (int64_t)ps.warm_starts);
            rs_metrics_gauge(m, slot, "lambda_timeouts", (int64_t)ps.timeouts);
        }
    } while (rs_sup_wait(&wait_mask, 1000, master_pid));
    rs_log(RS_LOG_INFO, NULL, "lambda supervisor stopping");
    atomic_store(&stopping, 1);
    rs_ipc_server_close(srv);
    rs_status_set(board, RS_SVC_LAMBDA, RS_SVC_STARTING, "the lambda supervisor stopped");
    if (pool)
        rs_lambda_pool_destroy(pool);
    _exit(0);
}
