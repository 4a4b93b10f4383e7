/*
 * ddb_supervisor.c: the ddb supervisor process: the Unix socket workers connect to
 * (<runtime_dir>/ddb.sock, mode 0600, a stale one replaced), a fixed pool of forwarding
 * threads sharing one epoll set of worker connections (each connection armed one-shot:
 * the thread that wakes for it reads exactly one frame, re-arms it, then forwards that
 * request itself on its own kept-alive HTTP connection to DynamoDB Local and writes the
 * response frame under the connection's write lock; no queue, no second thread hop), an
 * accept thread, and the main thread running DynamoDB Local (ddb_java.c).
 * A worker that goes away only drops its own pending requests. While DynamoDB Local is
 * not ready every request is answered at once: 503 ServiceUnavailable (retryable; botocore
 * retries any 503 in both retry modes) while it starts, 400 ServiceNotAvailableException
 * (not retryable: retrying cannot install Java) when it cannot run here.
 * Runs in: the ddb supervisor (forked by the master).
 */
#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "ddb/ddb.h"
#include "ddb/ddb_int.h"
#include "proc/proc.h"
#include "rs/child.h"
#include "rs/os.h"
#include "rs/checksum.h"
#include "rs/err.h"
#include "rs/ipc.h"
#include "rs/log.h"

#define POOL_MIN 8
#define POOL_MAX 32

typedef struct wconn {
    int fd;
    _Atomic int refs;
    _Atomic int dead;
    pthread_mutex_t wlock; /* one frame at a time on the socket */
} wconn_t;

/* one request frame being forwarded (on the stack of the thread that read it) */
typedef struct job {
    wconn_t *wc;
    uint64_t id;
    char *meta;
    void *body;
    size_t body_len;
} job_t;

static struct {
    const rs_conf_t *conf;
    rs_status_board_t *board;
    int ep;                /* epoll set of worker connections (one-shot) */
    _Atomic unsigned port; /* 0: DynamoDB Local not ready */
    _Atomic int suspect;   /* a forward could not connect */
    int lfd;
} S;

static void wconn_put(wconn_t *wc)
{
    if (atomic_fetch_sub(&wc->refs, 1) == 1) {
        close(wc->fd);
        pthread_mutex_destroy(&wc->wlock);
        free(wc);
    }
}

/* ---- answering --------------------------------------------------------------------- */

static void reply(wconn_t *wc, uint64_t id, int status, const char *request_id, const char *body,
                  size_t len)
{
    if (atomic_load(&wc->dead))
        return;
    char meta[512], crc[16];
    snprintf(crc, sizeof(crc), "%u", rs_crc32(0, body, len));
    int n = snprintf(meta, sizeof(meta),
                     "{\"status\":%d,\"headers\":{\"content-type\":\"application/x-amz-json-1.0\","
                     "\"x-amzn-requestid\":\"%s\",\"x-amz-crc32\":\"%s\"}}",
                     status, request_id, crc);
    if (n < 0 || (size_t)n >= sizeof(meta))
        return;
    pthread_mutex_lock(&wc->wlock);
    int rc = rs_ipc_write_frame(wc->fd, RS_IPC_RESPONSE, id, meta, (size_t)n, body, len);
    pthread_mutex_unlock(&wc->wlock);
    if (rc != 0) {
        atomic_store(&wc->dead, 1);
        shutdown(wc->fd, SHUT_RDWR); /* its armed event fires: the reader drops it */
    }
}

static void reply_error(wconn_t *wc, uint64_t id, const char *request_id, rs_ddb_err_t e,
                        const char *msg)
{
    size_t len;
    char *b = rs_ddb_err_body(e, msg, &len);
    if (b != NULL)
        reply(wc, id, rs_ddb_error_status(e), request_id, b, len);
    free(b);
}

/* the state answer when DynamoDB Local cannot take the request; 0 when it can */
static int not_ready(wconn_t *wc, uint64_t id, const char *rid)
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

static const char *meta_str(json_object *m, const char *k)
{
    const char *v = rs_ddb_json_str(m, k);
    return v != NULL ? v : "";
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

static void forward(job_t *j, rs_ddb_conn_t *hc)
{
    json_object *m = json_tokener_parse(j->meta);
    const char *target = meta_str(m, "target"), *rid = meta_str(m, "request_id");
    const char *region = meta_str(m, "region"), *account = meta_str(m, "account");
    const char *dot = strchr(target, '.');
    const char *op = dot != NULL ? dot + 1 : target;
    unsigned port = atomic_load(&S.port);
    if (m == NULL || target[0] == '\0' || region[0] == '\0' || account[0] == '\0') {
        reply_error(j->wc, j->id, rid, RS_DDBE_InternalServerError, "malformed request hand-off");
        json_object_put(m);
        return;
    }
    if (port == 0) {
        not_ready(j->wc, j->id, rid);
        json_object_put(m);
        return;
    }
    int cst = 0;
    char *cerr = NULL;
    size_t clen = 0;
    if (rs_ddb_check_request(op, j->body, j->body_len, &cst, &cerr, &clen) == 1) {
        reply(j->wc, j->id, cst, rid, cerr, clen);
        free(cerr);
        json_object_put(m);
        return;
    }
    rs_ddb_req_t req = {
        .target = target,
        .region = region,
        .account = account,
        .content_type = meta_str(m, "content_type"),
        .body = j->body,
        .body_len = j->body_len,
    };
    rs_ddb_resp_t resp;
    int rc = rs_ddb_http_do(hc, (uint16_t)port, &req, (int)S.conf->dynamodb_request_timeout * 1000,
                            &resp);
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
        int status = resp.status;
        char *out = NULL;
        size_t outlen = 0;
        if (status == 500 && strstr(resp.body, "InternalFailure") != NULL &&
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
        if (out != NULL)
            reply(j->wc, j->id, status, rid, out, outlen);
        else
            reply_error(j->wc, j->id, rid, RS_DDBE_InternalServerError, "out of memory");
        free(out);
        rs_ddb_resp_free(&resp);
    }
    json_object_put(m);
}

/* ---- worker connections and the forwarding threads -------------------------------- */

static int read_full(int fd, struct iovec *iov, int n)
{
    while (n > 0 && iov->iov_len == 0) { /* an empty meta or body (PING) reads nothing */
        iov++;
        n--;
    }
    while (n > 0) {
        ssize_t r = readv(fd, iov, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = 0;
            return RS_ERR;
        }
        rs_iov_advance(&iov, &n, (size_t)r);
    }
    return 0;
}

/* one frame: the header, then meta and body with one readv (two reads for a frame, where
 * rs_ipc_read_frame takes three); meta and body are malloc'd and NUL-terminated */
static int read_frame(int fd, rs_ipc_hdr_t *h, char **meta, void **body)
{
    *meta = NULL;
    *body = NULL;
    struct iovec hv = {h, sizeof(*h)};
    if (read_full(fd, &hv, 1) != 0)
        return RS_ERR;
    if (rs_ipc_hdr_check(h) != 0)
        return RS_EINVAL;
    char *m = malloc((size_t)h->meta_len + 1);
    char *b = malloc((size_t)h->body_len + 1);
    struct iovec iov[2] = {{m, h->meta_len}, {b, h->body_len}};
    if (m == NULL || b == NULL || read_full(fd, iov, 2) != 0) {
        free(m);
        free(b);
        return RS_ERR;
    }
    m[h->meta_len] = '\0';
    b[h->body_len] = '\0';
    *meta = m;
    *body = b;
    return 0;
}

/* arm the connection for the next frame (one thread at a time reads it) */
static int arm(wconn_t *wc, int op)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT, .data.ptr = wc};
    return epoll_ctl(S.ep, op, wc->fd, &ev);
}

/* the worker went away (or sent garbage): drop the epoll set's reference */
static void conn_gone(wconn_t *wc)
{
    atomic_store(&wc->dead, 1);
    epoll_ctl(S.ep, EPOLL_CTL_DEL, wc->fd, NULL);
    shutdown(wc->fd, SHUT_RDWR);
    wconn_put(wc);
}

/* this thread owns the connection's read side (its one-shot event fired): read one frame,
 * hand the read side on (re-arm), then answer the frame */
static void serve_one(wconn_t *wc, rs_ddb_conn_t *hc)
{
    rs_ipc_hdr_t h;
    char *meta;
    void *body;
    int rc = read_frame(wc->fd, &h, &meta, &body);
    if (rc != 0) {
        if (rc == RS_EINVAL)
            rs_log(RS_LOG_ERR, NULL, "bad frame from a worker: closing its connection");
        conn_gone(wc);
        return;
    }
    atomic_fetch_add(&wc->refs, 1); /* this frame's answer */
    if (arm(wc, EPOLL_CTL_MOD) != 0) {
        rs_log(RS_LOG_ERR, NULL, "cannot re-arm a worker connection: %m");
        conn_gone(wc);
    }
    if (h.type == RS_IPC_PING) {
        pthread_mutex_lock(&wc->wlock);
        rs_ipc_write_frame(wc->fd, RS_IPC_PONG, h.id, NULL, 0, NULL, 0);
        pthread_mutex_unlock(&wc->wlock);
    } else if (h.type == RS_IPC_REQUEST && !atomic_load(&wc->dead)) {
        job_t j = {wc, h.id, meta, body, h.body_len};
        forward(&j, hc);
    }
    free(meta);
    free(body);
    wconn_put(wc);
}

static void *pool_main(void *arg)
{
    (void)arg;
    rs_ddb_conn_t hc;
    rs_ddb_conn_init(&hc);
    for (;;) {
        struct epoll_event ev;
        int n = epoll_wait(S.ep, &ev, 1, -1);
        if (n < 0 && errno != EINTR)
            break;
        if (n == 1)
            serve_one(ev.data.ptr, &hc);
    }
    rs_ddb_conn_close(&hc);
    return NULL;
}

static void *accept_main(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept4(S.lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOMEM) {
                usleep(100000);
                continue;
            }
            break; /* listener closed: shutting down */
        }
        wconn_t *wc = calloc(1, sizeof(*wc));
        if (wc == NULL) {
            close(fd);
            continue;
        }
        wc->fd = fd;
        atomic_init(&wc->refs, 1); /* the epoll set's */
        pthread_mutex_init(&wc->wlock, NULL);
        if (arm(wc, EPOLL_CTL_ADD) != 0) {
            rs_log(RS_LOG_ERR, NULL, "cannot watch a worker connection: %m");
            wconn_put(wc);
        }
    }
    return NULL;
}

static unsigned pool_size(const rs_conf_t *conf)
{
    unsigned n = conf->workers * 4;
    return n < POOL_MIN ? POOL_MIN : (n > POOL_MAX ? POOL_MAX : n);
}

void rs_ddb_supervisor_main(const rs_conf_t *conf, rs_status_board_t *board, pid_t master_pid)
{
    char role[] = "ddb", path[256];
    rs_ipc_socket_path(conf->runtime_dir, "ddb", path, sizeof(path));
    rs_log_set_role(role);
    if (rs_signals_worker() != 0)
        _exit(RS_EXIT_FATAL);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != master_pid)
        _exit(0);
    memset(&S, 0, sizeof(S));
    S.conf = conf;
    S.board = board;
    S.ep = epoll_create1(EPOLL_CLOEXEC);
    if (S.ep < 0) {
        rs_log(RS_LOG_ALERT, NULL, "epoll_create1: %m");
        _exit(1);
    }

    S.lfd = rs_ipc_listen(conf->runtime_dir, "ddb");
    if (S.lfd < 0) {
        rs_log(RS_LOG_ALERT, NULL, "cannot listen on the socket in %s: %m", conf->runtime_dir);
        rs_status_set(board, RS_SVC_DYNAMODB, RS_SVC_UNAVAILABLE,
                      "the ddb supervisor cannot create its socket in runtime_dir");
        _exit(1);
    }

    /* threads never take the control signals: the main thread's flags handle them */
    sigset_t wait_mask;
    rs_sup_block_signals(&wait_mask);
    unsigned npool = pool_size(conf);
    pthread_t *pool = calloc(npool, sizeof(*pool)), acc;
    for (unsigned i = 0; pool != NULL && i < npool; i++)
        pthread_create(&pool[i], NULL, pool_main, NULL);
    pthread_create(&acc, NULL, accept_main, NULL);
    rs_log(RS_LOG_INFO, NULL, "ddb supervisor listening on %s with %u forwarding thread(s)", path,
           npool);

    rs_ddb_java_t *java = rs_ddb_java_new(conf, board);
    while (!rs_sig_stop && getppid() == master_pid) {
        int64_t now = rs_mono_ms();
        if (atomic_exchange(&S.suspect, 0))
            rs_ddb_java_suspect(java);
        atomic_store(&S.port, rs_ddb_java_tick(java, now));
        if (rs_sig_reopen) {
            rs_sig_reopen = 0;
            rs_log_reopen();
        }
        int ms = rs_ddb_java_next_ms(java, rs_mono_ms());
        if (atomic_load(&S.suspect))
            ms = 1;
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
        ppoll(NULL, 0, &ts, &wait_mask);
    }
    rs_log(RS_LOG_INFO, NULL, "ddb supervisor stopping");
    atomic_store(&S.port, 0);
    shutdown(S.lfd, SHUT_RDWR);
    close(S.lfd);
    unlink(path);
    rs_ddb_java_free(java);
    rs_status_set(board, RS_SVC_DYNAMODB, RS_SVC_STARTING, "the ddb supervisor stopped");
    _exit(0);
}
