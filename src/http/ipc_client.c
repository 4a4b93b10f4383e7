/*
 * ipc_client.c: the worker's non-blocking client for supervisor sockets (ipc_client.h).
 * Runs in: workers, inside the h2o event loop; nothing here blocks.
 * The Unix-domain connection is wrapped with h2o_evloop_socket_create. Outgoing frames
 * are appended to `queued`; one h2o_socket_write of `writing` is in flight at a time (its
 * bytes stay untouched until the write callback), then the buffers swap. Incoming bytes
 * accumulate in sock->input and whole frames are cut from it. Pending calls live in a
 * small hash table by id; each has an h2o timeout entry. Connecting is on demand (the
 * first call, or the first call after the backoff delay following a failure); a dropped
 * connection fails every pending call at once, and late replies for unknown ids (timed
 * out or cancelled) are counted and dropped.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "http/ipc_client.h"
#include "rs/err.h"
#include "rs/http.h"
#include "rs/ipc.h"
#include "rs/log.h"
#include "rs/os.h"

#define NBUCKETS 256
#define BACKOFF_MIN_MS 25
#define BACKOFF_MAX_MS 1000
/* unsent bytes beyond which new calls are refused (the supervisor is not reading) */
#define MAX_QUEUED (160u * 1024 * 1024) /* > one RS_IPC_MAX_BODY frame */
/* keep a drained write buffer's memory only up to this size */
#define KEEP_BUF (1u << 20)

struct rs_ipc_client {
    h2o_loop_t *loop;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char name[16];
    h2o_socket_t *sock;
    h2o_timeout_t timeout;
    h2o_linklist_t buckets[NBUCKETS];
    rs_buf_t queued, writing;
    uint64_t next_id;
    uint64_t next_try_ms;
    uint32_t backoff_ms;
    int logged_down; /* the "cannot connect" warning was logged for this outage */
    rs_ipc_client_stats_t st;
};

static h2o_linklist_t *bucket_of(rs_ipc_client_t *c, uint64_t id)
{
    return &c->buckets[(id * 0x9E3779B97F4A7C15ull) >> 56];
}

static rs_ipc_call_t *find_call(rs_ipc_client_t *c, uint64_t id)
{
    h2o_linklist_t *anchor = bucket_of(c, id);
    for (h2o_linklist_t *l = anchor->next; l != anchor; l = l->next) {
        rs_ipc_call_t *call = H2O_STRUCT_FROM_MEMBER(rs_ipc_call_t, link, l);
        if (call->id == id)
            return call;
    }
    return NULL;
}

/* unlink from the table and the timer; the call is no longer pending */
static void detach(rs_ipc_call_t *call)
{
    if (h2o_linklist_is_linked(&call->link)) {
        h2o_linklist_unlink(&call->link);
        call->client->st.pending--;
    }
    if (h2o_timeout_is_linked(&call->timer))
        h2o_timeout_unlink(&call->timer);
}

static void complete(rs_ipc_call_t *call, rs_ipc_outcome_t outcome, const rs_ipc_reply_t *reply)
{
    detach(call);
    call->cb(call->arg, outcome, reply);
}

static void fail_all(rs_ipc_client_t *c, rs_ipc_outcome_t outcome)
{
    /* one call at a time from the table head: a callback may cancel other calls */
    for (size_t i = 0; i < NBUCKETS; i++) {
        while (!h2o_linklist_is_empty(&c->buckets[i])) {
            rs_ipc_call_t *call = H2O_STRUCT_FROM_MEMBER(rs_ipc_call_t, link, c->buckets[i].next);
            if (outcome == RS_IPC_DROPPED)
                c->st.dropped++;
            complete(call, outcome, NULL);
        }
    }
}

static void reset_buf(rs_buf_t *b)
{
    if (b->cap > KEEP_BUF)
        rs_buf_free(b);
    b->len = 0;
}

static void drop_connection(rs_ipc_client_t *c, const char *why)
{
    if (c->sock == NULL)
        return;
    rs_log(RS_LOG_WARN, NULL, "%s supervisor connection lost (%s): failing %zu pending call(s)",
           c->name, why, c->st.pending);
    /* a disposed h2o socket runs no more callbacks and no longer reads `writing` */
    h2o_socket_close(c->sock);
    c->sock = NULL;
    c->st.connected = 0;
    reset_buf(&c->writing);
    reset_buf(&c->queued);
    c->next_try_ms = 0; /* the next call may try at once; failures then back off */
    c->backoff_ms = BACKOFF_MIN_MS;
    fail_all(c, RS_IPC_DROPPED);
}

static void on_write(h2o_socket_t *sock, const char *err);

static void flush(rs_ipc_client_t *c)
{
    if (c->sock == NULL || h2o_socket_is_writing(c->sock) || c->queued.len == 0)
        return;
    rs_buf_t t = c->writing;
    c->writing = c->queued;
    c->queued = t;
    h2o_iovec_t iov = h2o_iovec_init(c->writing.data, c->writing.len);
    h2o_socket_write(c->sock, &iov, 1, on_write);
}

static void on_write(h2o_socket_t *sock, const char *err)
{
    rs_ipc_client_t *c = sock->data;
    if (err != NULL) {
        drop_connection(c, err);
        return;
    }
    reset_buf(&c->writing);
    flush(c);
}

static void send_frame(rs_ipc_client_t *c, int type, uint64_t id, const char *meta, size_t meta_len,
                       const void *body, size_t body_len)
{
    rs_ipc_hdr_t h;
    rs_ipc_hdr_init(&h, type, id, meta_len, body_len);
    rs_buf_append(&c->queued, &h, sizeof(h));
    if (meta_len > 0)
        rs_buf_append(&c->queued, meta, meta_len);
    if (body_len > 0)
        rs_buf_append(&c->queued, body, body_len);
}

/* one complete frame at the head of the input; returns 0, or -1 on a protocol error */
static int handle_frame(rs_ipc_client_t *c, const rs_ipc_hdr_t *h, const char *payload)
{
    switch (h->type) {
    case RS_IPC_RESPONSE: {
        rs_ipc_call_t *call = find_call(c, h->id);
        if (call == NULL) {
            c->st.late_replies++; /* timed out or its client went away */
            return 0;
        }
        rs_ipc_reply_t r = {payload, h->meta_len, payload + h->meta_len, h->body_len};
        c->st.replies++;
        complete(call, RS_IPC_OK, &r);
        return 0;
    }
    case RS_IPC_PING:
        send_frame(c, RS_IPC_PONG, h->id, NULL, 0, NULL, 0);
        flush(c);
        return 0;
    case RS_IPC_PONG:
        return 0;
    default:
        return -1; /* a supervisor never sends requests */
    }
}

static void on_read(h2o_socket_t *sock, const char *err)
{
    rs_ipc_client_t *c = sock->data;
    if (err != NULL) {
        drop_connection(c, err);
        return;
    }
    for (;;) {
        h2o_buffer_t *in = sock->input;
        rs_ipc_hdr_t h;
        if (in->size < sizeof(h))
            return;
        memcpy(&h, in->bytes, sizeof(h));
        if (rs_ipc_hdr_check(&h) != 0) {
            drop_connection(c, "malformed frame");
            return;
        }
        size_t total = sizeof(h) + (size_t)h.meta_len + h.body_len;
        if (in->size < total)
            return; /* h2o grows the buffer as more arrives */
        if (handle_frame(c, &h, in->bytes + sizeof(h)) != 0) {
            drop_connection(c, "unexpected frame type");
            return;
        }
        if (c->sock != sock)
            return; /* a callback dropped the connection */
        h2o_buffer_consume(&sock->input, total);
    }
}

static int try_connect(rs_ipc_client_t *c)
{
    uint64_t now = h2o_now(c->loop);
    if (c->sock != NULL)
        return 0;
    if (now < c->next_try_ms)
        return -1;
    /* AF_UNIX connect completes or fails at once (EAGAIN: backlog full) */
    int fd = rs_unix_connect(c->path, RS_NET_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        c->st.connect_failures++;
        c->next_try_ms = now + c->backoff_ms;
        c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
        if (!c->logged_down)
            rs_log(RS_LOG_WARN, NULL, "cannot connect to the %s supervisor at %s: %s", c->name,
                   c->path, strerror(e));
        c->logged_down = 1;
        return -1;
    }
    /* flags 0: DONT_READ would make h2o notify readiness without reading */
    c->sock = h2o_evloop_socket_create(c->loop, fd, 0);
    if (c->sock == NULL) {
        close(fd);
        return -1;
    }
    c->sock->data = c;
    h2o_socket_read_start(c->sock, on_read);
    c->st.connects++;
    c->st.connected = 1;
    c->backoff_ms = BACKOFF_MIN_MS;
    if (c->logged_down)
        rs_log(RS_LOG_INFO, NULL, "connected to the %s supervisor", c->name);
    c->logged_down = 0;
    return 0;
}

static void on_timeout(h2o_timeout_entry_t *entry)
{
    rs_ipc_call_t *call = H2O_STRUCT_FROM_MEMBER(rs_ipc_call_t, timer, entry);
    call->client->st.timeouts++;
    complete(call, RS_IPC_TIMEOUT, NULL);
}

int rs_ipc_client_create(h2o_loop_t *loop, const char *runtime_dir, const char *name,
                         uint32_t timeout_ms, rs_ipc_client_t **out)
{
    char path[4096];
    rs_ipc_socket_path(runtime_dir, name, path, sizeof(path));
    if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path) || strlen(name) >= 16)
        return RS_EINVAL;
    rs_ipc_client_t *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return RS_ENOMEM;
    c->loop = loop;
    memcpy(c->path, path, strlen(path) + 1);
    memcpy(c->name, name, strlen(name) + 1);
    for (size_t i = 0; i < NBUCKETS; i++)
        h2o_linklist_init_anchor(&c->buckets[i]);
    rs_buf_init(&c->queued);
    rs_buf_init(&c->writing);
    c->next_id = 1;
    c->backoff_ms = BACKOFF_MIN_MS;
    h2o_timeout_init(loop, &c->timeout, timeout_ms > 0 ? timeout_ms : 1);
    *out = c;
    return 0;
}

void rs_ipc_client_destroy(rs_ipc_client_t *c)
{
    if (c == NULL)
        return;
    if (c->sock != NULL) {
        h2o_socket_close(c->sock);
        c->sock = NULL;
    }
    fail_all(c, RS_IPC_DROPPED);
    h2o_timeout_dispose(c->loop, &c->timeout);
    rs_buf_free(&c->queued);
    rs_buf_free(&c->writing);
    free(c);
}

int rs_ipc_call_start(rs_ipc_client_t *c, rs_ipc_call_t *call, const char *meta, size_t meta_len,
                      const void *body, size_t body_len, rs_ipc_done_cb cb, void *arg)
{
    if (try_connect(c) != 0) {
        c->st.noconn++;
        return RS_IPC_NOCONN;
    }
    if (c->queued.len + c->writing.len > MAX_QUEUED)
        return RS_IPC_OVERLOADED;
    call->client = c;
    call->id = c->next_id++;
    call->cb = cb;
    call->arg = arg;
    call->timer.cb = on_timeout;
    h2o_linklist_insert(bucket_of(c, call->id), &call->link);
    c->st.pending++;
    c->st.calls++;
    h2o_timeout_link(c->loop, &c->timeout, &call->timer);
    send_frame(c, RS_IPC_REQUEST, call->id, meta, meta_len, body, body_len);
    flush(c);
    return 0;
}

void rs_ipc_call_cancel(rs_ipc_call_t *call)
{
    if (call->client != NULL)
        detach(call);
}

int rs_ipc_call_pending(const rs_ipc_call_t *call)
{
    return call->client != NULL && call->link.next != NULL;
}

void rs_ipc_client_stats(const rs_ipc_client_t *c, rs_ipc_client_stats_t *out)
{
    *out = c->st;
}
