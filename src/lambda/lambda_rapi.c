/*
 * lambda_rapi.c: the Lambda Runtime API of one execution environment: a blocking HTTP/1.1
 * server on its own 127.0.0.1 listener (one thread per connection, keep-alive), the
 * runtime's state machine (init -> waiting in /next -> running an invocation -> ...) and
 * the events the pool waits for (ready, init error, response, error, too large, exit).
 * Runs in: the lambda supervisor (the accept thread, one thread per runtime connection,
 * the pool thread waiting in rs_rapi_wait).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lambda/lambda_exec.h"
#include "rs/os.h"
#include "rs/err.h"
#include "rs/http.h"
#include "rs/http1.h"
#include "rs/log.h"

#define MAX_CONNS 16
#define PREFIX "/2018-06-01/runtime"

/* P_FAILED: a hot-reload runtime's init failed; its bootstrap waits in /next for a reload */
enum phase { P_INIT, P_IDLE, P_RUNNING, P_DEAD, P_FAILED };

struct rs_rapi {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int listen_fd;
    int accepting;
    pthread_t accept_thr;
    int stopping;
    int nconn;
    int conn_fd[MAX_CONNS];
    enum phase phase;
    int ready_pending;
    int reload_pending; /* answer the pending or next /next with a reload order */
    int hot;            /* hot reload: an init error leaves the environment waiting */
    /* the queued invocation (not yet taken by /next) */
    int have_inv;
    char inv_id[64];
    int64_t inv_deadline;
    char *inv_arn, *inv_trace, *inv_cc, *inv_payload;
    size_t inv_len;
    char cur_id[64]; /* delivered, not answered */
    int have_out;
    rs_rapi_outcome_t out;
    int exited, exit_status;
    /* bridge: only the environment's container may talk to this Runtime API */
    int expect_peer; /* a connection waits until peer is known */
    char peer[64];   /* the container's address ("" not known yet) */
    int peer_failed; /* the executor could not tell it: refuse everything */
};

typedef struct conn {
    int fd;
    char buf[RS_HTTP1_MAX_HEAD];
    size_t len; /* bytes in buf not consumed yet */
} conn_t;

typedef struct req {
    char method[16];
    char path[512];
    size_t content_length;
    int close;
    int chunked;
    int expect_continue;
    char error_type[128];
} req_t;

int rs_rapi_create(rs_rapi_t **out)
{
    rs_rapi_t *r = calloc(1, sizeof(*r));
    if (!r)
        return RS_ENOMEM;
    rs_cond_init_mono(&r->cv);
    pthread_mutex_init(&r->mu, NULL);
    r->listen_fd = -1;
    r->phase = P_INIT;
    *out = r;
    return 0;
}

static void free_inv(rs_rapi_t *r)
{
    free(r->inv_arn);
    free(r->inv_trace);
    free(r->inv_cc);
    free(r->inv_payload);
    r->inv_arn = r->inv_trace = r->inv_cc = r->inv_payload = NULL;
    r->have_inv = 0;
}

static int reply(int fd, int status, const char *extra_headers, const void *body, size_t len)
{
    char head[4096];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n%s\r\n",
                     status, rs_http_reason(status), len, extra_headers ? extra_headers : "");
    if (n < 0 || (size_t)n >= sizeof(head))
        return -1;
    if (rs_write_all(fd, head, (size_t)n, -1) < 0)
        return -1;
    return len ? rs_write_all(fd, body, len, -1) : 0;
}

static int reply_error(int fd, int status, const char *type, const char *msg)
{
    char body[512];
    int n =
        snprintf(body, sizeof(body), "{\"errorMessage\":\"%s\",\"errorType\":\"%s\"}", msg, type);
    return reply(fd, status, NULL, body, (size_t)n);
}

static int reply_ok(int fd)
{
    static const char ok[] = "{\"status\":\"OK\"}";
    return reply(fd, 202, NULL, ok, sizeof(ok) - 1);
}

/* Read the next request head and take it out of the buffer: 1 with *q filled, 0 at EOF,
 * on a broken connection or a head that does not fit, RS_EINVAL when malformed. */
static int read_request(conn_t *c, req_t *q)
{
    rs_http1_head_t h;
    int rc;
    while ((rc = rs_http1_parse_request(c->buf, c->len, &h)) == 0) {
        if (c->len == sizeof(c->buf))
            return 0;
        ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0;
        c->len += (size_t)n;
    }
    if (rc < 0 || h.method_len >= sizeof(q->method) || h.path_len >= sizeof(q->path))
        return RS_EINVAL;
    memset(q, 0, sizeof(*q));
    memcpy(q->method, h.method, h.method_len);
    memcpy(q->path, h.path, h.path_len);
    q->content_length = h.body == RS_HTTP1_BODY_LENGTH ? (size_t)h.content_length : 0;
    q->close = !h.keep_alive;
    q->chunked = h.body == RS_HTTP1_BODY_CHUNKED;
    q->expect_continue = h.expect_continue;
    const rs_hdr_t *et =
        rs_hdr_find(h.headers, h.num_headers, "lambda-runtime-function-error-type");
    if (et != NULL)
        snprintf(q->error_type, sizeof(q->error_type), "%.*s", (int)et->value_len, et->value);
    c->len -= h.head_len;
    memmove(c->buf, c->buf + h.head_len, c->len);
    return 1;
}

/* Read (keep = 1) or discard the body. 0 or -1 on a broken connection. */
static int read_body(conn_t *c, size_t n, char **out, int keep)
{
    char *body = NULL;
    if (keep) {
        body = malloc(n + 1);
        if (!body)
            return -1;
    }
    size_t got = c->len < n ? c->len : n;
    if (keep)
        memcpy(body, c->buf, got);
    memmove(c->buf, c->buf + got, c->len - got);
    c->len -= got;
    char sink[16384];
    while (got < n) {
        size_t want = n - got;
        char *dst = keep ? body + got : sink;
        if (!keep && want > sizeof(sink))
            want = sizeof(sink);
        ssize_t r = recv(c->fd, dst, want, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            free(body);
            return -1;
        }
        got += (size_t)r;
    }
    if (keep) {
        body[n] = '\0';
        *out = body;
    }
    return 0;
}

static void set_outcome(rs_rapi_t *r, rs_rapi_event_t ev, char *payload, size_t len,
                        const char *etype)
{
    if (r->have_out)
        free(r->out.payload);
    memset(&r->out, 0, sizeof(r->out));
    r->out.event = ev;
    r->out.payload = payload;
    r->out.payload_len = len;
    if (etype)
        snprintf(r->out.error_type, sizeof(r->out.error_type), "%s", etype);
    r->have_out = 1;
    pthread_cond_broadcast(&r->cv);
}

static void type_from_body(const char *body, size_t len, char *out, size_t outlen)
{
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return;
    json_object *o = json_tokener_parse_ex(tok, body, (int)len);
    json_tokener_free(tok);
    json_object *t;
    if (o && json_object_object_get_ex(o, "errorType", &t) &&
        json_object_is_type(t, json_type_string))
        snprintf(out, outlen, "%s", json_object_get_string(t));
    json_object_put(o);
}

/* Has the peer closed or reset the connection? (Data it sent meanwhile is not a close.) */
static int peer_gone(int fd)
{
    struct pollfd pf = {.fd = fd, .events = POLLRDHUP};
    return poll(&pf, 1, 0) > 0 && (pf.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* the reload order (lock held; released here) */
static int reply_reload(rs_rapi_t *r, int fd)
{
    r->reload_pending = 0;
    pthread_mutex_unlock(&r->mu);
    return reply(fd, 200, "Lambda-Runtime-RustStack-Reload: 1\r\n", "{}", 2);
}

/* GET /next: long-poll. Returns -1 to close the connection. */
static int handle_next(rs_rapi_t *r, int fd)
{
    pthread_mutex_lock(&r->mu);
    if (r->reload_pending)
        return reply_reload(r, fd);
    if (r->phase == P_RUNNING || r->phase == P_DEAD) {
        pthread_mutex_unlock(&r->mu);
        return reply_error(fd, 403, "InvalidStateTransition",
                           "State transition from Running to Ready failed for runtime. "
                           "Error: invocation in flight");
    }
    if (r->phase == P_INIT) {
        r->phase = P_IDLE;
        r->ready_pending = 1;
        pthread_cond_broadcast(&r->cv);
    }
    /* long poll; a runtime that gave up on this request (closed the connection) must
     * not be handed an invocation it will never see */
    int gone = 0;
    while (!r->have_inv && !r->stopping && !r->reload_pending && !(gone = peer_gone(fd))) {
        rs_cond_wait_ms(&r->cv, &r->mu, 500);
    }
    if (r->reload_pending && !r->stopping && !gone)
        return reply_reload(r, fd);
    if (r->stopping || gone || peer_gone(fd)) {
        pthread_mutex_unlock(&r->mu);
        return -1;
    }
    char hdr[8192];
    int n = snprintf(hdr, sizeof(hdr),
                     "Lambda-Runtime-Aws-Request-Id: %s\r\n"
                     "Lambda-Runtime-Deadline-Ms: %lld\r\n"
                     "Lambda-Runtime-Invoked-Function-Arn: %s\r\n"
                     "Lambda-Runtime-Trace-Id: %s\r\n",
                     r->inv_id, (long long)r->inv_deadline, r->inv_arn, r->inv_trace);
    if (r->inv_cc && n > 0 && (size_t)n < sizeof(hdr))
        snprintf(hdr + n, sizeof(hdr) - (size_t)n, "Lambda-Runtime-Client-Context: %s\r\n",
                 r->inv_cc);
    char *payload = r->inv_payload;
    size_t plen = r->inv_len;
    r->inv_payload = NULL;
    snprintf(r->cur_id, sizeof(r->cur_id), "%s", r->inv_id);
    free_inv(r);
    r->phase = P_RUNNING;
    pthread_mutex_unlock(&r->mu);
    int rc = reply(fd, 200, hdr, payload, plen);
    free(payload);
    return rc;
}

/* /invocation/<id>/response|error and /init/error. */
static int handle_post(rs_rapi_t *r, conn_t *c, const req_t *q, const char *id, int kind)
{
    /* kind: 0 response, 1 error, 2 init error */
    int status = 0;
    pthread_mutex_lock(&r->mu);
    if (kind == 2) {
        if (r->phase != P_INIT)
            status = 403;
    } else if (r->phase == P_INIT || r->phase == P_DEAD || r->phase == P_FAILED) {
        status = 403;
    } else if (r->phase != P_RUNNING || strcmp(id, r->cur_id) != 0) {
        status = 400;
    }
    pthread_mutex_unlock(&r->mu);
    int too_large = q->content_length > RS_LAMBDA_RESPONSE_MAX;
    char *body = NULL;
    if (read_body(c, q->content_length, &body, !too_large && status == 0) < 0)
        return -1;
    if (status == 403) {
        return reply_error(c->fd, 403, "InvalidStateTransition",
                           kind == 2 ? "State transition from Ready to InitError failed for "
                                       "runtime. Error: not initializing"
                                     : "State transition from Initializing to Response failed "
                                       "for runtime. Error: no invocation");
    }
    if (status == 400)
        return reply_error(c->fd, 400, "InvalidRequestID", "Invalid request ID");
    pthread_mutex_lock(&r->mu);
    if (too_large) {
        if (kind == 2) {
            r->phase = P_DEAD;
            set_outcome(r, RS_RAPI_INIT_ERROR, NULL, 0, "Function.ResponseSizeTooLarge");
        } else {
            r->phase = P_IDLE;
            r->cur_id[0] = '\0';
            set_outcome(r, RS_RAPI_TOO_LARGE, NULL, 0, NULL);
        }
        pthread_mutex_unlock(&r->mu);
        return reply_error(c->fd, 413, "RequestEntityTooLarge",
                           "Exceeded maximum allowed payload size (" RS_LAMBDA_RESPONSE_MAX_TEXT
                           " bytes).");
    }
    char etype[128];
    snprintf(etype, sizeof(etype), "%s", q->error_type);
    if (kind != 0 && !etype[0])
        type_from_body(body, q->content_length, etype, sizeof(etype));
    if (kind == 2) {
        r->phase = r->hot ? P_FAILED : P_DEAD;
        set_outcome(r, RS_RAPI_INIT_ERROR, body, q->content_length, etype);
    } else {
        r->phase = P_IDLE;
        r->cur_id[0] = '\0';
        set_outcome(r, kind == 0 ? RS_RAPI_RESPONSE : RS_RAPI_ERROR, body, q->content_length,
                    etype);
    }
    pthread_mutex_unlock(&r->mu);
    return reply_ok(c->fd);
}

static int dispatch(rs_rapi_t *r, conn_t *c, const req_t *q)
{
    const char *p = q->path;
    size_t pl = strlen(PREFIX);
    int is_get = strcmp(q->method, "GET") == 0, is_post = strcmp(q->method, "POST") == 0;
    if (strncmp(p, PREFIX, pl) != 0)
        goto notfound;
    p += pl;
    if (strcmp(p, "/invocation/next") == 0) {
        if (!is_get)
            goto badmethod;
        if (q->content_length && read_body(c, q->content_length, NULL, 0) < 0)
            return -1;
        return handle_next(r, c->fd);
    }
    if (strcmp(p, "/init/error") == 0) {
        if (!is_post)
            goto badmethod;
        return handle_post(r, c, q, "", 2);
    }
    if (strncmp(p, "/invocation/", 12) == 0) {
        const char *id = p + 12, *slash = strchr(id, '/');
        if (!slash || slash == id || (size_t)(slash - id) >= 64)
            goto notfound;
        char idbuf[64];
        memcpy(idbuf, id, (size_t)(slash - id));
        idbuf[slash - id] = '\0';
        int kind = strcmp(slash, "/response") == 0 ? 0 : strcmp(slash, "/error") == 0 ? 1 : -1;
        if (kind < 0)
            goto notfound;
        if (!is_post)
            goto badmethod;
        return handle_post(r, c, q, idbuf, kind);
    }
notfound:
    if (read_body(c, q->content_length, NULL, 0) < 0)
        return -1;
    return reply_error(c->fd, 404, "NotFound", "Unknown Runtime API path");
badmethod:
    if (read_body(c, q->content_length, NULL, 0) < 0)
        return -1;
    return reply_error(c->fd, 405, "MethodNotAllowed", "Method not allowed");
}

static int conn_register(rs_rapi_t *r, int fd)
{
    int ok = 0;
    pthread_mutex_lock(&r->mu);
    if (!r->stopping && r->nconn < MAX_CONNS) {
        r->conn_fd[r->nconn++] = fd;
        ok = 1;
    }
    pthread_mutex_unlock(&r->mu);
    return ok;
}

static void conn_unregister(rs_rapi_t *r, int fd)
{
    pthread_mutex_lock(&r->mu);
    for (int i = 0; i < r->nconn; i++) {
        if (r->conn_fd[i] == fd) {
            r->conn_fd[i] = r->conn_fd[--r->nconn];
            break;
        }
    }
    close(fd);
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

void rs_rapi_serve_fd(rs_rapi_t *r, int fd)
{
    if (!conn_register(r, fd)) {
        close(fd);
        return;
    }
    conn_t *c = malloc(sizeof(*c));
    if (!c) {
        conn_unregister(r, fd);
        return;
    }
    c->fd = fd;
    c->len = 0;
    for (;;) {
        req_t q;
        int rc = read_request(c, &q);
        if (rc == 0)
            break;
        if (rc < 0) {
            reply_error(fd, 400, "BadRequest", "Malformed HTTP request");
            break;
        }
        if (q.chunked) {
            reply_error(fd, 400, "BadRequest", "Chunked bodies are not supported");
            break;
        }
        if (q.expect_continue && q.content_length &&
            rs_write_all(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25, -1) < 0)
            break;
        if (dispatch(r, c, &q) < 0 || q.close)
            break;
    }
    free(c);
    conn_unregister(r, fd);
}

typedef struct conn_arg {
    rs_rapi_t *r;
    int fd;
} conn_arg_t;

#define PEER_WAIT_MS 30000

/* With expect_peer: wait (bounded) until the executor named the container's address,
 * then compare the connection's source with it. 1: serve it. */
static int peer_allowed(rs_rapi_t *r, int fd)
{
    pthread_mutex_lock(&r->mu);
    if (!r->expect_peer) {
        pthread_mutex_unlock(&r->mu);
        return 1;
    }
    int64_t until = rs_mono_ms() + PEER_WAIT_MS;
    while (!r->peer[0] && !r->peer_failed && !r->stopping && rs_mono_ms() < until)
        rs_cond_wait_ms(&r->cv, &r->mu, until - rs_mono_ms());
    char want[64];
    snprintf(want, sizeof(want), "%s", r->peer);
    pthread_mutex_unlock(&r->mu);
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char got[INET6_ADDRSTRLEN] = "";
    if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET)
            inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, got, sizeof(got));
        else if (ss.ss_family == AF_INET6)
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, got, sizeof(got));
    }
    if (want[0] && strcmp(want, got) == 0)
        return 1;
    rs_log_warn("lambda: Runtime API connection from %s refused (the environment's container "
                "is %s)",
                got[0] ? got : "?", want[0] ? want : "unknown");
    return 0;
}

static void *conn_main(void *arg)
{
    conn_arg_t a = *(conn_arg_t *)arg;
    free(arg);
    if (peer_allowed(a.r, a.fd))
        rs_rapi_serve_fd(a.r, a.fd);
    else
        close(a.fd);
    pthread_mutex_lock(&a.r->mu);
    a.r->accepting--; /* counts live connection threads too (see rs_rapi_stop) */
    pthread_cond_broadcast(&a.r->cv);
    pthread_mutex_unlock(&a.r->mu);
    return NULL;
}

static void *accept_main(void *arg)
{
    rs_rapi_t *r = arg;
    for (;;) {
        int fd = accept(r->listen_fd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            break;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        conn_arg_t *a = malloc(sizeof(*a));
        /* a runtime keeps one or two connections: past MAX_CONNS it is misbehaving. The
         * count is ours (not a thread cap's), as rs_rapi_stop waits for it to drain. */
        pthread_mutex_lock(&r->mu);
        int full = r->accepting >= MAX_CONNS;
        if (!full)
            r->accepting++;
        pthread_mutex_unlock(&r->mu);
        if (full) {
            free(a);
            close(fd);
            continue;
        }
        if (a) {
            a->r = r;
            a->fd = fd;
        }
        if (!a || rs_thread_start(NULL, 0, 0, conn_main, a) != 0) {
            free(a);
            close(fd);
            pthread_mutex_lock(&r->mu);
            r->accepting--;
            pthread_mutex_unlock(&r->mu);
        }
    }
    return NULL;
}

int rs_rapi_listen(rs_rapi_t *r, const char *addr, uint16_t *port_out)
{
    int loop = addr == NULL || strcmp(addr, "127.0.0.1") == 0;
    int fd = rs_tcp_listen(loop ? "127.0.0.1" : addr, 0, 16, loop ? 0 : RS_NET_FREEBIND, port_out);
    if (fd < 0)
        return RS_ERR;
    r->listen_fd = fd;
    if (!loop) { /* a bridge's address: no connection served before the peer is known */
        pthread_mutex_lock(&r->mu);
        r->expect_peer = 1;
        pthread_mutex_unlock(&r->mu);
    }
    if (pthread_create(&r->accept_thr, NULL, accept_main, r) != 0) {
        close(fd);
        r->listen_fd = -1;
        return RS_ERR;
    }
    return 0;
}

int rs_rapi_invoke(rs_rapi_t *r, const rs_rapi_invocation_t *inv)
{
    pthread_mutex_lock(&r->mu);
    if (r->have_inv || r->phase == P_RUNNING) {
        pthread_mutex_unlock(&r->mu);
        return RS_EEXIST;
    }
    snprintf(r->inv_id, sizeof(r->inv_id), "%s", inv->request_id);
    r->inv_deadline = inv->deadline_epoch_ms;
    r->inv_arn = strdup(inv->invoked_arn ? inv->invoked_arn : "");
    r->inv_trace = strdup(inv->trace_id ? inv->trace_id : "");
    r->inv_cc = inv->client_context ? strdup(inv->client_context) : NULL;
    r->inv_payload = malloc(inv->payload_len ? inv->payload_len : 1);
    if (!r->inv_arn || !r->inv_trace || !r->inv_payload || (inv->client_context && !r->inv_cc)) {
        free_inv(r);
        pthread_mutex_unlock(&r->mu);
        return RS_ENOMEM;
    }
    memcpy(r->inv_payload, inv->payload, inv->payload_len);
    r->inv_len = inv->payload_len;
    if (r->have_out) {
        free(r->out.payload);
        r->have_out = 0;
    }
    r->have_inv = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return 0;
}

void rs_rapi_wait(rs_rapi_t *r, int64_t deadline_mono_ms, rs_rapi_outcome_t *out)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&r->mu);
    for (;;) {
        if (r->ready_pending) {
            r->ready_pending = 0;
            out->event = RS_RAPI_READY;
            break;
        }
        if (r->have_out) {
            *out = r->out;
            r->have_out = 0;
            memset(&r->out, 0, sizeof(r->out));
            break;
        }
        if (r->exited || r->stopping) {
            out->event = RS_RAPI_EXITED;
            out->exit_status = r->exit_status;
            break;
        }
        if (deadline_mono_ms < 0) {
            pthread_cond_wait(&r->cv, &r->mu);
            continue;
        }
        int64_t now = rs_mono_ms();
        if (now >= deadline_mono_ms) {
            out->event = RS_RAPI_TIMEOUT;
            break;
        }
        rs_cond_wait_ms(&r->cv, &r->mu, deadline_mono_ms - now);
    }
    pthread_mutex_unlock(&r->mu);
}

void rs_rapi_expect_peer(rs_rapi_t *r)
{
    pthread_mutex_lock(&r->mu);
    r->expect_peer = 1;
    pthread_mutex_unlock(&r->mu);
}

void rs_rapi_set_peer(rs_rapi_t *r, const char *addr)
{
    pthread_mutex_lock(&r->mu);
    if (addr && addr[0])
        snprintf(r->peer, sizeof(r->peer), "%s", addr);
    else
        r->peer_failed = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

void rs_rapi_set_hot(rs_rapi_t *r)
{
    pthread_mutex_lock(&r->mu);
    r->hot = 1;
    pthread_mutex_unlock(&r->mu);
}

int rs_rapi_reload(rs_rapi_t *r)
{
    pthread_mutex_lock(&r->mu);
    if ((r->phase != P_IDLE && r->phase != P_FAILED) || r->have_inv) {
        pthread_mutex_unlock(&r->mu);
        return RS_EEXIST;
    }
    r->phase = P_INIT;
    r->ready_pending = 0;
    r->reload_pending = 1;
    if (r->have_out) {
        free(r->out.payload);
        r->have_out = 0;
    }
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return 0;
}

void rs_rapi_notify_exit(rs_rapi_t *r, int exit_status)
{
    pthread_mutex_lock(&r->mu);
    r->exited = 1;
    r->exit_status = exit_status;
    r->phase = P_DEAD;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

void rs_rapi_stop(rs_rapi_t *r)
{
    pthread_mutex_lock(&r->mu);
    r->stopping = 1;
    for (int i = 0; i < r->nconn; i++)
        shutdown(r->conn_fd[i], SHUT_RDWR);
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    if (r->listen_fd >= 0) {
        shutdown(r->listen_fd, SHUT_RDWR);
        pthread_join(r->accept_thr, NULL);
        close(r->listen_fd);
        r->listen_fd = -1;
    }
    pthread_mutex_lock(&r->mu);
    while (r->nconn > 0 || r->accepting > 0) {
        for (int i = 0; i < r->nconn; i++)
            shutdown(r->conn_fd[i], SHUT_RDWR);
        pthread_cond_wait(&r->cv, &r->mu);
    }
    pthread_mutex_unlock(&r->mu);
}

void rs_rapi_destroy(rs_rapi_t *r)
{
    if (!r)
        return;
    rs_rapi_stop(r);
    free_inv(r);
    if (r->have_out)
        free(r->out.payload);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r);
}
