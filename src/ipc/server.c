/*
 * server.c: the supervisor side of the worker <-> supervisor IPC (bottom of rs/ipc.h):
 * the listening Unix socket <runtime_dir>/<name>.sock, one epoll set of the listener and
 * the worker connections (each armed one-shot), and a fixed pool of handler threads on it:
 * the thread woken for a connection reads one frame, re-arms the connection, then handles
 * the frame itself. PING is answered with PONG; responses are written one frame at a time
 * under a per-connection lock, with a deadline (a worker that stops reading loses its
 * connection instead of holding handler threads). Connections are reference counted: the
 * epoll set holds one reference, every frame being handled or answered later its own; a
 * worker that goes away only marks its connection dead (replies then fail fast).
 * Runs in: supervisors (ddb, lambda).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rs/err.h"
#include "rs/ipc.h"
#include "rs/log.h"
#include "rs/os.h"

#define SEND_TIMEOUT_MS 30000
#define DEFAULT_THREADS 8

struct rs_ipc_conn {
    int fd; /* non-blocking: reads wait in poll, writes have a deadline */
    _Atomic int refs;
    _Atomic int dead;
    pthread_mutex_t wlock; /* one frame at a time on the socket */
};

struct rs_ipc_server {
    int lfd, ep;
    rs_ipc_request_fn fn;
    void *arg;
    rs_thread_cap_t cap; /* the handler threads */
    char name[32];
    char path[256];
};

void rs_ipc_conn_ref(rs_ipc_conn_t *c)
{
    atomic_fetch_add(&c->refs, 1);
}

void rs_ipc_conn_put(rs_ipc_conn_t *c)
{
    if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    close(c->fd);
    pthread_mutex_destroy(&c->wlock);
    free(c);
}

static int conn_write(rs_ipc_conn_t *c, int type, uint64_t id, const char *meta, size_t meta_len,
                      const void *body, size_t body_len)
{
    if (atomic_load(&c->dead)) {
        errno = EPIPE;
        return RS_ERR;
    }
    pthread_mutex_lock(&c->wlock);
    int rc = rs_ipc_write_frame(c->fd, type, id, meta, meta_len, body, body_len,
                                rs_deadline_ms(SEND_TIMEOUT_MS));
    pthread_mutex_unlock(&c->wlock);
    if (rc != 0) {
        atomic_store(&c->dead, 1);
        shutdown(c->fd, SHUT_RDWR); /* its armed event fires: a handler thread drops it */
    }
    return rc;
}

int rs_ipc_conn_reply(rs_ipc_conn_t *c, uint64_t id, const char *meta, size_t meta_len,
                      const void *body, size_t body_len)
{
    if (meta_len > RS_IPC_MAX_META || body_len > RS_IPC_MAX_BODY) {
        errno = EMSGSIZE;
        return RS_EINVAL;
    }
    return conn_write(c, RS_IPC_RESPONSE, id, meta, meta_len, body, body_len);
}

/* watch fd (ptr NULL: the listener) for the next event, one thread at a time */
static int arm(rs_ipc_server_t *s, int fd, void *ptr, int op)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT, .data.ptr = ptr};
    return epoll_ctl(s->ep, op, fd, &ev);
}

/* the worker went away (or sent garbage): drop the epoll set's reference */
static void conn_gone(rs_ipc_server_t *s, rs_ipc_conn_t *c)
{
    atomic_store(&c->dead, 1);
    epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
    shutdown(c->fd, SHUT_RDWR);
    rs_ipc_conn_put(c);
}

/* this thread owns the connection's read side (its one-shot event fired): read one frame,
 * hand the read side on (re-arm), then handle the frame */
static void serve_one(rs_ipc_server_t *s, rs_ipc_conn_t *c)
{
    rs_ipc_hdr_t h;
    char *meta;
    void *body;
    int rc = rs_ipc_read_frame(c->fd, &h, &meta, &body);
    if (rc != 0) {
        if (rc == RS_EINVAL)
            rs_log(RS_LOG_ERR, NULL, "%s: bad frame from a worker: closing its connection",
                   s->name);
        conn_gone(s, c);
        return;
    }
    rs_ipc_conn_ref(c); /* this frame's */
    if (arm(s, c->fd, c, EPOLL_CTL_MOD) != 0) {
        rs_log(RS_LOG_ERR, NULL, "%s: cannot re-arm a worker connection: %m", s->name);
        conn_gone(s, c);
    }
    if (h.type == RS_IPC_REQUEST && !atomic_load(&c->dead)) {
        s->fn(c, h.id, meta, body, h.body_len, s->arg);
    } else {
        if (h.type == RS_IPC_PING)
            conn_write(c, RS_IPC_PONG, h.id, NULL, 0, NULL, 0);
        free(meta);
        free(body);
    }
    rs_ipc_conn_put(c);
}

/* the listener's event: take one connection, re-arm the listener */
static void accept_one(rs_ipc_server_t *s)
{
    int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOBUFS))
        usleep(100000); /* out of descriptors: retry later, not in a busy loop */
    else if (fd < 0 && errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
        rs_log(RS_LOG_ERR, NULL, "%s: accept failed: %m", s->name);
    if (arm(s, s->lfd, NULL, EPOLL_CTL_MOD) != 0)
        return; /* closed: shutting down */
    if (fd < 0)
        return;
    rs_ipc_conn_t *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        close(fd);
        return;
    }
    c->fd = fd;
    atomic_init(&c->refs, 1); /* the epoll set's */
    atomic_init(&c->dead, 0);
    pthread_mutex_init(&c->wlock, NULL);
    if (arm(s, fd, c, EPOLL_CTL_ADD) != 0) {
        rs_log(RS_LOG_ERR, NULL, "%s: cannot watch a worker connection: %m", s->name);
        rs_ipc_conn_put(c);
    }
}

static void *handler_main(void *arg)
{
    rs_ipc_server_t *s = arg;
    for (;;) {
        struct epoll_event ev;
        int n = epoll_wait(s->ep, &ev, 1, -1);
        if (n < 0 && errno != EINTR)
            break;
        if (n == 1 && ev.data.ptr == NULL)
            accept_one(s);
        else if (n == 1)
            serve_one(s, ev.data.ptr);
    }
    return NULL;
}

int rs_ipc_server_start(const rs_ipc_server_conf_t *sc, rs_ipc_server_t **out)
{
    if (sc == NULL || sc->runtime_dir == NULL || sc->name == NULL || sc->fn == NULL) {
        errno = EINVAL;
        return RS_ERR;
    }
    /* a worker that went away must give an error on write, not kill the process */
    signal(SIGPIPE, SIG_IGN);
    rs_ipc_server_t *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        errno = ENOMEM;
        return RS_ERR;
    }
    unsigned threads = sc->threads > 0 ? sc->threads : DEFAULT_THREADS;
    s->fn = sc->fn;
    s->arg = sc->arg;
    rs_thread_cap_init(&s->cap, (int)threads);
    snprintf(s->name, sizeof(s->name), "%s", sc->name);
    rs_ipc_socket_path(sc->runtime_dir, sc->name, s->path, sizeof(s->path));
    s->ep = epoll_create1(EPOLL_CLOEXEC);
    s->lfd = -1;
    if (s->ep < 0 || rs_mkdir_p(sc->runtime_dir, 0700) != 0 ||
        (s->lfd = rs_unix_listen(s->path, 256)) < 0 || fcntl(s->lfd, F_SETFL, O_NONBLOCK) != 0 ||
        arm(s, s->lfd, NULL, EPOLL_CTL_ADD) != 0) {
        int e = errno;
        rs_log(RS_LOG_ERR, NULL, "cannot listen on %s: %s", s->path, strerror(e));
        if (s->lfd >= 0)
            close(s->lfd);
        if (s->ep >= 0)
            close(s->ep);
        free(s);
        errno = e;
        return RS_ERR;
    }
    for (unsigned i = 0; i < threads; i++) {
        if (rs_thread_start(&s->cap, 0, sc->stack, handler_main, s) != 0 && i == 0) {
            int e = errno;
            rs_ipc_server_close(s);
            errno = e;
            return RS_ERR; /* leaked: the caller exits */
        }
    }
    if (out != NULL)
        *out = s;
    return 0;
}

void rs_ipc_server_close(rs_ipc_server_t *s)
{
    if (s == NULL || s->lfd < 0)
        return;
    epoll_ctl(s->ep, EPOLL_CTL_DEL, s->lfd, NULL);
    shutdown(s->lfd, SHUT_RDWR);
    close(s->lfd);
    s->lfd = -1;
    unlink(s->path);
}
