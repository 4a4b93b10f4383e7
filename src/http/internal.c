/*
 * internal.c: the /_ruststack/ endpoints: health, info, check (store invariants), usage
 * (one account's S3 usage and quotas) and
 * reset (the whole store; with ?account=<12 digits> the adapter hands the request to
 * account_reset.c instead, which needs the supervisors). Runs in: workers. JSON through
 * json-c; every answer is application/json.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/http_int.h"
#include "rs/os.h"
#include "rs/metrics.h"
#include "rs/err.h"
#include "rs/log.h"
#include "rs/status.h"

static void send_json(rs_http_resp_t *resp, int status, json_object *o)
{
    const char *s =
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    resp->status = status;
    rs_http_resp_header(resp, "content-type", "application/json");
    rs_buf_appends(&resp->body, s);
    json_object_put(o);
}

static void add_str(json_object *o, const char *k, const char *v)
{
    json_object_object_add(o, k, json_object_new_string(v));
}

static void add_int(json_object *o, const char *k, int64_t v)
{
    json_object_object_add(o, k, json_object_new_int64(v));
}

static json_object *unavailable(const char *reason)
{
    json_object *o = json_object_new_object();
    add_str(o, "state", "unavailable");
    add_str(o, "reason", reason);
    return o;
}

/* a supervised service as the status board shows it: {"state": ..., "reason": ...} */
static json_object *service_state(rs_svc_t svc)
{
    char reason[256];
    const rs_status_board_t *b = rs_status_current();
    if (b == NULL)
        return unavailable("no status board in this process");
    rs_svc_state_t st = rs_status_get(b, svc, reason, sizeof(reason));
    json_object *o = json_object_new_object();
    add_str(o, "state", rs_status_name(st));
    add_str(o, "reason", reason);
    return o;
}

static void health(rs_http_ctx_t *c, rs_http_resp_t *resp)
{
    rs_store_stats_t st;
    memset(&st, 0, sizeof(st));
    rs_store_stats(c->store, &st);
    json_object *root = json_object_new_object();
    json_object *services = json_object_new_object();
    json_object *s3 = json_object_new_object();
    add_str(s3, "state", st.poisoned ? "degraded" : "running");
    add_int(s3, "capacity_bytes", (int64_t)st.capacity_bytes);
    add_int(s3, "used_bytes", (int64_t)st.used_bytes);
    add_int(s3, "objects", st.objects);
    add_int(s3, "max_objects", st.max_objects);
    add_int(s3, "buckets", st.buckets);
    add_int(s3, "max_buckets", st.max_buckets);
    add_int(s3, "repairs", (int64_t)st.repairs);
    add_int(s3, "poisoned", (int64_t)st.poisoned);
    add_int(s3, "generation", st.generation);
    json_object_object_add(services, "s3", s3);
    json_object_object_add(services, "dynamodb", service_state(RS_SVC_DYNAMODB));
    json_object_object_add(services, "lambda", service_state(RS_SVC_LAMBDA));
    add_str(root, "version", PACKAGE_VERSION);
    json_object_object_add(root, "services", services);
    add_int(root, "workers", c->conf->workers);
    send_json(resp, 200, root);
}

static void info(rs_http_ctx_t *c, rs_http_resp_t *resp)
{
    json_object *root = json_object_new_object();
    add_str(root, "version", PACKAGE_VERSION);
    add_int(root, "master_pid", c->master_pid);
    add_int(root, "worker_pid", getpid());
    add_int(root, "worker_slot", c->slot);
    add_int(root, "workers", c->conf->workers);
    add_int(root, "worker_uptime_ms", rs_wall_ms() - c->started_ms);
    add_int(root, "worker_requests", (int64_t)c->served);
    add_str(root, "shm_name", c->conf->shm_name);
    add_int(root, "port", c->conf->port);
    add_str(root, "bind", c->conf->bind);
    send_json(resp, 200, root);
}

static void check(rs_http_ctx_t *c, rs_http_req_t *req, rs_http_resp_t *resp)
{
    char why[512] = "";
    json_object *root = json_object_new_object();
    int rc = rs_store_check(c->store, why, sizeof(why));
    json_object_object_add(root, "clean", json_object_new_boolean(rc == 0));
    if (rc != 0) {
        add_str(root, "why", why[0] ? why : rs_err_str(rc));
        rs_log(RS_LOG_ERR, req->request_id, "store check failed: %s", why);
    }
    send_json(resp, rc == 0 ? 200 : 500, root);
}

/* GET /_ruststack/usage?account=<12 digits>: one account's S3 usage and quotas */
static void usage(rs_http_ctx_t *c, rs_http_req_t *req, rs_http_resp_t *resp)
{
    rs_qparam_t *ps;
    size_t np = req->query ? rs_query_parse(req->pool, req->query, req->query_len, &ps) : 0;
    const rs_qparam_t *p = np ? rs_query_get(ps, np, "account") : NULL;
    char account[13];
    int ok = p != NULL && p->value_len == 12;
    for (size_t i = 0; ok && i < 12; i++)
        ok = p->value[i] >= '0' && p->value[i] <= '9';
    json_object *root = json_object_new_object();
    if (!ok) {
        add_str(root, "error", "account must be 12 digits, e.g. ?account=123456789012");
        send_json(resp, 400, root);
        return;
    }
    memcpy(account, p->value, 12);
    account[12] = '\0';
    rs_usage_t u;
    rs_store_account_usage(c->store, account, &u);
    json_object *s3 = json_object_new_object();
    add_int(s3, "objects", (int64_t)u.objects);
    add_int(s3, "bytes", (int64_t)u.bytes);
    add_int(s3, "quota_objects", c->conf->quota_s3_objects);
    add_int(s3, "quota_bytes", (int64_t)c->conf->quota_s3_bytes);
    add_str(root, "account", account);
    json_object_object_add(root, "s3", s3);
    send_json(resp, 200, root);
}

static void reset(rs_http_ctx_t *c, rs_http_req_t *req, rs_http_resp_t *resp)
{
    json_object *root = json_object_new_object();
    int rc = rs_store_reset(c->store);
    json_object_object_add(root, "reset", json_object_new_boolean(rc == 0));
    if (rc != 0) {
        add_str(root, "error", rs_err_str(rc));
        rs_log(RS_LOG_ERR, req->request_id, "store reset failed: %s", rs_err_str(rc));
    } else {
        rs_log(RS_LOG_NOTICE, req->request_id, "store reset");
    }
    send_json(resp, rc == 0 ? 200 : 500, root);
}

static void error(rs_http_resp_t *resp, int status, const char *msg, const char *path, size_t plen)
{
    json_object *root = json_object_new_object();
    add_str(root, "error", msg);
    json_object_object_add(root, "path", json_object_new_string_len(path, (int)plen));
    send_json(resp, status, root);
}

typedef struct endpoint {
    const char *name;   /* after /_ruststack/ */
    const char *method; /* GET also answers HEAD */
    const char *operation;
    int kind;
} endpoint_t;

enum { EP_HEALTH, EP_INFO, EP_CHECK, EP_RESET, EP_METRICS, EP_USAGE };

static const endpoint_t endpoints[] = {
    {"health", "GET", "Health", EP_HEALTH},    {"info", "GET", "Info", EP_INFO},
    {"check", "GET", "Check", EP_CHECK},       {"reset", "POST", "Reset", EP_RESET},
    {"metrics", "GET", "Metrics", EP_METRICS}, {"usage", "GET", "Usage", EP_USAGE},
};

/* one gauge family in Prometheus text format */
static void gauge(rs_buf_t *b, const char *name, const char *help, int64_t v)
{
    rs_buf_printf(b, "# HELP ruststack_%s %s\n# TYPE ruststack_%s gauge\nruststack_%s %lld\n", name,
                  help, name, name, (long long)v);
}

/* GET /_ruststack/metrics: the request counters every process shares (rs/metrics.h),
 * then the store's and the services' gauges as this worker sees them */
static void metrics(rs_http_ctx_t *c, rs_http_resp_t *resp)
{
    size_t n = 0;
    char *text = rs_metrics_render(rs_metrics_current(), &n);
    if (text != NULL)
        rs_buf_append(&resp->body, text, n);
    free(text);
    rs_store_stats_t st;
    memset(&st, 0, sizeof(st));
    rs_store_stats(c->store, &st);
    gauge(&resp->body, "s3_capacity_bytes", "Blob store capacity (s3_capacity).",
          (int64_t)st.capacity_bytes);
    gauge(&resp->body, "s3_used_bytes", "Blob store bytes in use.", (int64_t)st.used_bytes);
    gauge(&resp->body, "s3_objects", "Objects stored.", (int64_t)st.objects);
    gauge(&resp->body, "s3_buckets", "Buckets.", (int64_t)st.buckets);
    gauge(&resp->body, "s3_repairs", "Shared-memory repairs after a crashed worker.",
          (int64_t)st.repairs);
    const rs_status_board_t *b = rs_status_current();
    rs_buf_appends(&resp->body, "# HELP ruststack_service_up 1 when the service is running.\n"
                                "# TYPE ruststack_service_up gauge\n");
    static const char *const names[] = {"dynamodb", "lambda"};
    for (int i = 0; i < RS_SVC__COUNT; i++)
        rs_buf_printf(&resp->body, "ruststack_service_up{service=\"%s\"} %d\n", names[i],
                      b != NULL && rs_status_get(b, (rs_svc_t)i, NULL, 0) == RS_SVC_RUNNING);
    gauge(&resp->body, "worker_inflight_requests", "Requests in flight in the answering worker.",
          (int64_t)c->inflight);
    resp->status = 200;
    rs_http_resp_header(resp, "content-type", "text/plain; version=0.0.4; charset=utf-8");
}

void rs_internal_handle(rs_http_ctx_t *c, rs_http_req_t *req, const rs_route_t *route,
                        rs_http_resp_t *resp)
{
    size_t n = route->rest_len;
    if (n > 0 && route->rest[n - 1] == '/')
        n--; /* "/_ruststack/health/" */
    req->service = "internal";
    for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
        const endpoint_t *e = &endpoints[i];
        if (strlen(e->name) != n || memcmp(e->name, route->rest, n) != 0)
            continue;
        req->operation = e->operation;
        int head = strcmp(req->method, "HEAD") == 0 && strcmp(e->method, "GET") == 0;
        if (strcmp(req->method, e->method) != 0 && !head) {
            rs_http_resp_header(resp, "allow", e->method);
            error(resp, 405, "method not allowed", req->path, req->path_len);
            return;
        }
        resp->head_only = head;
        switch (e->kind) {
        case EP_HEALTH:
            health(c, resp);
            return;
        case EP_INFO:
            info(c, resp);
            return;
        case EP_CHECK:
            check(c, req, resp);
            return;
        case EP_METRICS:
            metrics(c, resp);
            return;
        case EP_USAGE:
            usage(c, req, resp);
            return;
        default:
            reset(c, req, resp);
            return;
        }
    }
    req->operation = "Unknown";
    error(resp, 404, "no such internal endpoint", req->path, req->path_len);
}
