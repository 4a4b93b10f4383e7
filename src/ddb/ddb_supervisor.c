/*
 * ddb_supervisor.c: the ddb supervisor process: the IPC server on <runtime_dir>/ddb.sock
 * (src/ipc/server.c: a fixed pool of handler threads; the thread that reads a frame
 * forwards that request itself on its own kept-alive HTTP connection to DynamoDB Local
 * and writes the response frame; no queue, no second thread hop), and the main thread
 * running DynamoDB Local (ddb_java.c).
 * A worker that goes away only drops its own pending requests. While DynamoDB Local is
 * not ready every request is answered at once: 503 ServiceUnavailable (retryable; botocore
 * retries any 503 in both retry modes) while it starts, 400 ServiceNotAvailableException
 * (not retryable: retrying cannot install Java) when it cannot run here.
 * Runs in: the ddb supervisor (forked by the master).
 */
#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ddb/ddb.h"
#include "ddb/ddb_int.h"
#include "rs/os.h"
#include "rs/checksum.h"
#include "rs/err.h"
#include "rs/ipc.h"
#include "rs/log.h"
#include "rs/sig.h"

#define POOL_MIN 8
#define POOL_MAX 32

/* one request frame being forwarded (on the stack of the thread that read it) */
typedef struct job {
    rs_ipc_conn_t *wc;
    uint64_t id;
    char *meta;
    size_t meta_len;
    void *body;
    size_t body_len;
} job_t;

static struct {
    const rs_conf_t *conf;
    rs_status_board_t *board;
    _Atomic unsigned port; /* 0: DynamoDB Local not ready */
    _Atomic int suspect;   /* a forward could not connect */
} S;

/* ---- answering --------------------------------------------------------------------- */

static void reply(rs_ipc_conn_t *wc, uint64_t id, int status, const char *request_id,
                  const char *body, size_t len)
{
    char crc[16], rid[RS_DDB_REQUEST_ID_LEN + 1];
    uint32_t v = rs_crc32(0, body, len);
    char *p = crc + sizeof(crc) - 1; /* decimal by hand: no snprintf per answer */
    *p = '\0';
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    rs_ddb_request_id(request_id, rid, sizeof(rid));
    const char *kv[] = {
        "content-type", "application/x-amz-json-1.0", "x-amzn-requestid", rid, "x-amz-crc32", p};
    char meta[512];
    size_t n = rs_ipc_resp_encode_kv(status, kv, 3, meta, sizeof(meta));
    if (n < sizeof(meta))
        rs_ipc_conn_reply(wc, id, meta, n, body, len);
}

static void reply_error(rs_ipc_conn_t *wc, uint64_t id, const char *request_id, rs_ddb_err_t e,
                        const char *msg)
{
    size_t len;
    char *b = rs_ddb_err_body(e, msg, &len);
    if (b != NULL)
        reply(wc, id, rs_ddb_error_status(e), request_id, b, len);
    free(b);
}

/* the state answer when DynamoDB Local cannot take the request; 0 when it can */
static int not_ready(rs_ipc_conn_t *wc, uint64_t id, const char *rid)
{
    char reason[256], msg[400];
    rs_svc_state_t st = rs_status_get(S.board, RS_SVC_DYNAMODB, reason, sizeof(reason));
    if (st == RS_SVC_UNAVAILABLE) {
        snprintf(msg, sizeof(msg), "DynamoDB is not available in this RustStack: %s", reason);
        reply_error(wc, id, rid, RS_DDBE_ServiceNotAvailable, msg);
    } else {
        reply_error(wc, id, rid, RS_DDBE_ServiceUnavailable, NULL);
    }
    return 1;
}

static int valid_json(const void *body, size_t len)
{
    json_tokener *tok = json_tokener_new();
    if (tok == NULL)
        return 1;
    json_object *o = json_tokener_parse_ex(tok, body, (int)len);
    int ok = o != NULL && json_tokener_get_error(tok) == json_tokener_success;
    json_object_put(o);
    json_tokener_free(tok);
    return ok;
}

/* Local's message of an error body ("" when none) */
static void local_message(const char *body, char *out, size_t len)
{
    json_object *o = json_tokener_parse(body), *m;
    out[0] = '\0';
    if (o != NULL && (json_object_object_get_ex(o, "Message", &m) ||
                      json_object_object_get_ex(o, "message", &m)))
        snprintf(out, len, "%s", json_object_get_string(m));
    json_object_put(o);
}

/* errors whose AWS text names a key: ask DynamoDB Local for the table's key schema and
 * replace the body's message; 1 when resp->body was replaced */
static int schema_message(const rs_ddb_req_t *orig, rs_ddb_conn_t *hc, uint16_t port,
                          const char *op, rs_ddb_resp_t *resp)
{
    char msg[512], name[300], dbody[400], text[1024];
    local_message(resp->body, msg, sizeof(msg));
    if (!rs_ddb_needs_schema(op, msg))
        return 0;
    json_object *r = json_tokener_parse(orig->body_len > 0 ? (const char *)orig->body : "{}"), *t;
    name[0] = '\0';
    if (r != NULL && json_object_object_get_ex(r, "TableName", &t) &&
        json_object_is_type(t, json_type_string))
        snprintf(name, sizeof(name), "%s", json_object_get_string(t));
    json_object_put(r);
    if (name[0] == '\0')
        return 0;
    json_object *q = json_object_new_object();
    json_object_object_add(q, "TableName", json_object_new_string(name));
    snprintf(dbody, sizeof(dbody), "%s", json_object_to_json_string_ext(q, JSON_C_TO_STRING_PLAIN));
    json_object_put(q);
    rs_ddb_req_t d = *orig;
    d.target = "DynamoDB_20120810.DescribeTable";
    d.body = dbody;
    d.body_len = strlen(dbody);
    rs_ddb_resp_t dr;
    if (rs_ddb_http_do(hc, port, &d, (int)S.conf->dynamodb_request_timeout * 1000, &dr) != 0)
        return 0;
    const char *m = dr.status == 200
                        ? rs_ddb_schema_message(op, msg, orig->body, orig->body_len, dr.body,
                                                dr.body_len, text, sizeof(text))
                        : NULL;
    rs_ddb_resp_free(&dr);
    if (m == NULL)
        return 0;
    size_t n;
    char *nb = rs_ddb_err_body(RS_DDBE_Validation, m, &n);
    if (nb == NULL)
        return 0;
    rs_ddb_resp_free(resp);
    resp->body = nb;
    resp->body_len = n;
    return 1;
}

/* POST /_ruststack/reset?account=...: the account's tables (ddb_reset.c) */
static void reset_account(job_t *j, rs_ddb_conn_t *hc, uint16_t port, const char *account,
                          const char *region, const char *rid)
{
    char *body = NULL;
    size_t len = 0;
    int rc = rs_ddb_reset_account(hc, port, account, region, S.conf->data_dir[0] == '\0',
                                  (int)S.conf->dynamodb_request_timeout * 1000, &body, &len);
    if (rc == RS_ENOMEM)
        reply_error(j->wc, j->id, rid, RS_DDBE_InternalServerError, "out of memory");
    else
        reply(j->wc, j->id, rc == 0 ? 200 : 503, rid, body, len);
    free(body);
}

/* quota_dynamodb_tables: CreateTables are taken one at a time (the count and the create
 * happen with nobody else creating), so the limit is exact; DynamoDB Local's own table
 * list is the count, so it survives a supervisor kill and a reset releases it */
static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER;

/* 1 when the CreateTable was answered here (over the quota, or the count failed) */
static int table_quota_refuses(job_t *j, rs_ddb_conn_t *hc, uint16_t port, const char *key,
                               const char *region, const char *rid)
{
    size_t n = 0;
    const char *why = NULL;
    char msg[128];
    if (rs_ddb_count_tables(hc, port, key, region, (int)S.conf->dynamodb_request_timeout * 1000, &n,
                            &why) != 0) {
        atomic_store(&S.suspect, 1);
        reply_error(j->wc, j->id, rid, RS_DDBE_ServiceUnavailable, NULL);
        return 1;
    }
    if (n < S.conf->quota_dynamodb_tables)
        return 0;
    snprintf(msg, sizeof msg,
             "Subscriber limit exceeded: There is a limit of %u tables per subscriber",
             S.conf->quota_dynamodb_tables);
    reply_error(j->wc, j->id, rid, RS_DDBE_LimitExceeded, msg);
    return 1;
}

static void forward(job_t *j, rs_ddb_conn_t *hc)
{
    rs_ipc_ddb_req_t q;
    int bad = rs_ipc_ddb_req_decode(j->meta, j->meta_len, &q); /* in place: no json-c */
    const char *target = q.target, *rid = q.request_id, *region = q.region, *account = q.account;
    const char *dot = strchr(target, '.');
    const char *op = dot != NULL ? dot + 1 : target;
    unsigned port = atomic_load(&S.port);
    if (bad) {
        reply_error(j->wc, j->id, rid, RS_DDBE_InternalServerError, "malformed request hand-off");
        return;
    }
    if (port == 0) {
        not_ready(j->wc, j->id, rid);
        return;
    }
    rs_ddb_regions_note(region);
    if (strcmp(target, RS_IPC_DDB_RESET_TARGET) == 0) { /* ddb_reset.c */
        reset_account(j, hc, (uint16_t)port, account, region, rid);
        return;
    }
    int cst = 0;
    char *cerr = NULL;
    size_t clen = 0;
    if (rs_ddb_check_request(op, j->body, j->body_len, &cst, &cerr, &clen) == 1) {
        reply(j->wc, j->id, cst, rid, cerr, clen);
        free(cerr);
        return;
    }
    rs_ddb_fix_t fx;
    char keyacct[32];
    if (rs_ddb_fix_plan(op, j->body, j->body_len, &fx) != 0) {
        rs_ddb_fix_free(&fx);
        reply_error(j->wc, j->id, rid, RS_DDBE_InternalServerError, "out of memory");
        return;
    }
    rs_ddb_req_t req = {
        .target = target,
        .region = region,
        .account = rs_ddb_key_account(account, keyacct, sizeof(keyacct)), /* ddb_reset.c */
        .content_type = q.content_type,
        .body = fx.body != NULL ? fx.body : j->body,
        .body_len = fx.body != NULL ? fx.len : j->body_len,
    };
    rs_ddb_resp_t resp;
    int tmo = (int)S.conf->dynamodb_request_timeout * 1000;
    int quota = S.conf->quota_dynamodb_tables > 0 && strcmp(op, "CreateTable") == 0;
    if (quota) {
        pthread_mutex_lock(&create_lock);
        if (table_quota_refuses(j, hc, (uint16_t)port, req.account, region, rid)) {
            pthread_mutex_unlock(&create_lock);
            rs_ddb_fix_free(&fx);
            return;
        }
    }
    int rc = rs_ddb_http_do(hc, (uint16_t)port, &req, tmo, &resp);
    if (quota)
        pthread_mutex_unlock(&create_lock);
    if (rc == 0 && (rs_ddb_fix_followup(&fx, hc, (uint16_t)port, &req, tmo, &resp) != 0 ||
                    rs_ddb_fix_answer(&fx, resp.status, &resp.body, &resp.body_len) != 0)) {
        rs_ddb_resp_free(&resp);
        rs_ddb_fix_free(&fx);
        reply_error(j->wc, j->id, rid, RS_DDBE_InternalServerError, "out of memory");
        return;
    }
    rs_ddb_fix_free(&fx);
    if (rc == RS_EAGAIN) {
        rs_log(RS_LOG_WARN, rid, "DynamoDB Local did not answer %s within %u s", op,
               S.conf->dynamodb_request_timeout);
        reply_error(j->wc, j->id, rid, RS_DDBE_InternalServerError,
                    "DynamoDB Local did not answer in time");
        atomic_store(&S.suspect, 1);
    } else if (rc != 0) {
        /* refused or cut: it is restarting (or about to be) */
        atomic_store(&S.suspect, 1);
        reply_error(j->wc, j->id, rid, RS_DDBE_ServiceUnavailable, NULL);
    } else {
        int status = resp.status, passed = rs_ddb_rewrite_passes(op, status);
        char *out = NULL;
        size_t outlen = 0;
        if (passed) {
            /* user data, byte for byte: the received body is the answer (no copy) */
            reply(j->wc, j->id, status, rid, resp.body, resp.body_len);
        } else if (status == 500 && strstr(resp.body, "InternalFailure") != NULL &&
                   !valid_json(j->body, j->body_len)) {
            /* DynamoDB answers a body that is not JSON with a bare SerializationException */
            status = 400;
            out = rs_ddb_err_body(RS_DDBE_Serialization, NULL, &outlen);
        } else if (status == 400 && schema_message(&req, hc, (uint16_t)port, op, &resp)) {
            /* resp now holds DynamoDB's text for it */
            rs_ddb_rw_t rw = {op, region, account, j->body, j->body_len};
            if (rs_ddb_rewrite(&rw, &status, resp.body, resp.body_len, &out, &outlen) != 0)
                out = NULL;
        } else {
            rs_ddb_rw_t rw = {op, region, account, j->body, j->body_len};
            if (rs_ddb_rewrite(&rw, &status, resp.body, resp.body_len, &out, &outlen) != 0)
                out = NULL;
        }
        if (!passed && out != NULL)
            reply(j->wc, j->id, status, rid, out, outlen);
        else if (!passed)
            reply_error(j->wc, j->id, rid, RS_DDBE_InternalServerError, "out of memory");
        free(out);
        rs_ddb_resp_free(&resp);
    }
}

/* ---- the IPC server's handler threads ------------------------------------------ */

/* in the handler thread that read the frame, on that thread's own connection to Local */
static void on_request(rs_ipc_conn_t *conn, uint64_t id, char *meta, void *body, size_t len,
                       void *arg)
{
    static _Thread_local rs_ddb_conn_t hc;
    static _Thread_local int hc_ready;
    (void)arg;
    if (!hc_ready) {
        rs_ddb_conn_init(&hc);
        hc_ready = 1;
    }
    job_t j = {conn, id, meta, strlen(meta), body, len};
    forward(&j, &hc);
    free(meta);
    free(body);
}

static unsigned pool_size(const rs_conf_t *conf)
{
    unsigned n = conf->workers * 4;
    return n < POOL_MIN ? POOL_MIN : (n > POOL_MAX ? POOL_MAX : n);
}

void rs_ddb_supervisor_main(const rs_conf_t *conf, rs_status_board_t *board, pid_t master_pid)
{
    sigset_t wait_mask;
    rs_child_prologue("ddb", master_pid, &wait_mask);
    memset(&S, 0, sizeof(S));
    S.conf = conf;
    S.board = board;
    rs_ipc_server_t *srv;
    rs_ipc_server_conf_t sc = {conf->runtime_dir, "ddb", pool_size(conf), 0, on_request, NULL};
    if (rs_ipc_server_start(&sc, &srv) != 0) {
        rs_log(RS_LOG_ALERT, NULL, "cannot listen on the socket in %s: %m", conf->runtime_dir);
        rs_status_set(board, RS_SVC_DYNAMODB, RS_SVC_UNAVAILABLE,
                      "the ddb supervisor cannot create its socket in runtime_dir");
        _exit(1);
    }
    rs_log(RS_LOG_INFO, NULL, "ddb supervisor listening in %s with %u forwarding thread(s)",
           conf->runtime_dir, sc.threads);

    rs_ddb_java_t *java = rs_ddb_java_new(conf, board);
    int ms;
    do {
        if (atomic_exchange(&S.suspect, 0))
            rs_ddb_java_suspect(java);
        atomic_store(&S.port, rs_ddb_java_tick(java, rs_mono_ms()));
        ms = atomic_load(&S.suspect) ? 1 : rs_ddb_java_next_ms(java, rs_mono_ms());
        rs_status_beat(board, RS_BEAT_SUP(RS_SVC_DYNAMODB)); /* the master's watchdog */
        if (ms > 1000)
            ms = 1000;
    } while (rs_sup_wait(&wait_mask, ms, master_pid));
    rs_log(RS_LOG_INFO, NULL, "ddb supervisor stopping");
    atomic_store(&S.port, 0);
    rs_ipc_server_close(srv);
    rs_ddb_java_free(java);
    rs_status_set(board, RS_SVC_DYNAMODB, RS_SVC_STARTING, "the ddb supervisor stopped");
    _exit(0);
}
