/*
 * server.c: the supervisor side of the worker <-> supervisor IPC (bottom of rs/ipc.h):
 * the listening Unix socket <runtime_dir>/<name>.sock (mode 0600, a stale one replaced),
 * one accept thread, one reader thread per worker connection, PING answered with PONG,
 * responses written one frame at a time under a per-connection lock. Connections are
 * reference counted: the reader holds one reference, every request answered later holds
 * its own; a worker that goes away only marks its connection dead (replies then fail
 * fast) and never blocks another connection.
 * Runs in: supervisors (lambda; any supervisor that answers from its own threads).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "rs/err.h"
#include "rs/ipc.h"
#include "rs/log.h"

#define SEND_TIMEOUT_S 30

struct rs_ipc_conn {
    int fd;
    _Atomic int refs;
    _Atomic int dead;
    pthread_mutex_t wlock; /* one frame at a time on the socket */
};

typedef struct server {
    int lfd;
    rs_ipc_request_fn fn;
    void *arg;
    char name[32];
} server_t;

typedef struct reader {
    server_t *srv;
    rs_ipc_conn_t *conn;
} reader_t;

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

static void conn_kill(rs_ipc_conn_t *c)
{
    atomic_store(&c->dead, 1);
    shutdown(c->fd, SHUT_RDWR); /* wakes its reader thread */
}

static int conn_write(rs_ipc_conn_t *c, int type, uint64_t id, const char *meta, size_t meta_len,
                      const void *body, size_t body_len)
{
    if (atomic_load(&c->dead)) {
        errno = EPIPE;
        return RS_ERR;
    }
    pthread_mutex_lock(&c->wlock);
    int rc = rs_ipc_write_frame(c->fd, type, id, meta, meta_len, body, body_len);
    pthread_mutex_unlock(&c->wlock);
    if (rc != 0)
        conn_kill(c);
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

static void *reader_main(void *arg)
{
    reader_t *r = arg;
    rs_ipc_conn_t *c = r->conn;
    server_t *srv = r->srv;
    free(r);
    for (;;) {
        rs_ipc_hdr_t h;
        char *meta;
        void *body;
        int rc = rs_ipc_read_frame(c->fd, &h, &meta, &body);
        if (rc != 0) {
            if (rc == RS_EINVAL)
                rs_log(RS_LOG_ERR, NULL, "%s: bad frame from a worker: closing its connection",
                       srv->name);
            break;
        }
        if (h.type == RS_IPC_PING) {
            free(meta);
            free(body);
            if (conn_write(c, RS_IPC_PONG, h.id, NULL, 0, NULL, 0) != 0)
                break;
            continue;
        }
        if (h.type != RS_IPC_REQUEST) {
            free(meta);
            free(body);
            continue;
        }
        if (h.body_len == 0) {
            free(body);
            body = NULL;
        }
        srv->fn(c, h.id, meta, body, h.body_len, srv->arg);
    }
    conn_kill(c);
    rs_ipc_conn_put(c);
    return NULL;
}

static void *accept_main(void *arg)
{
    server_t *srv = arg;
    for (;;) {
        int fd = accept4(srv->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOBUFS) {
                usleep(100000);
                continue;
            }
            rs_log(RS_LOG_ERR, NULL, "%s: accept failed: %s; no new worker connections", srv->name,
                   strerror(errno));
            break;
        }
        rs_ipc_conn_t *c = calloc(1, sizeof(*c));
        reader_t *r = calloc(1, sizeof(*r));
        if (c == NULL || r == NULL) {
            free(c);
            free(r);
            close(fd);
            continue;
        }
        /* a worker that stops reading (alive but wedged) must not hold reply threads
         * forever: a write that makes no progress for SEND_TIMEOUT_S drops the connection */
        struct timeval tv = {SEND_TIMEOUT_S, 0};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        c->fd = fd;
        atomic_init(&c->refs, 1);
        atomic_init(&c->dead, 0);
        pthread_mutex_init(&c->wlock, NULL);
        r->srv = srv;
        r->conn = c;
        pthread_t t;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &at, reader_main, r) != 0) {
            free(r);
            rs_ipc_conn_put(c);
        }
        pthread_attr_destroy(&at);
    }
    return NULL;
}

int rs_ipc_listen(const char *runtime_dir, const char *name)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    char path[sizeof(a.sun_path) + 64];
    if (mkdir(runtime_dir, 0700) != 0 && errno != EEXIST)
        return RS_ERR;
    rs_ipc_socket_path(runtime_dir, name, path, sizeof(path));
    if (strlen(path) >= sizeof(a.sun_path)) {
        errno = ENAMETOOLONG;
        return RS_ERR;
    }
    memcpy(a.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return RS_ERR;
    unlink(path); /* a stale socket of a previous supervisor */
    mode_t old = umask(0177);
    int rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
    umask(old);
    if (rc != 0 || chmod(path, 0600) != 0 || listen(fd, 256) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return RS_ERR;
    }
    return fd;
}

int rs_ipc_server_start(const char *runtime_dir, const char *name, rs_ipc_request_fn fn, void *arg)
{
    if (runtime_dir == NULL || name == NULL || fn == NULL) {
        errno = EINVAL;
        return RS_ERR;
    }
    /* a worker that went away must give an error on write, not kill the process */
    signal(SIGPIPE, SIG_IGN);
    server_t *srv = calloc(1, sizeof(*srv));
    if (srv == NULL) {
        errno = ENOMEM;
        return RS_ERR;
    }
    srv->fn = fn;
    srv->arg = arg;
    snprintf(srv->name, sizeof(srv->name), "%s", name);
    srv->lfd = rs_ipc_listen(runtime_dir, name);
    if (srv->lfd < 0) {
        int e = errno;
        rs_log(RS_LOG_ERR, NULL, "cannot listen on %s/%s.sock: %s", runtime_dir, name, strerror(e));
        free(srv);
        errno = e;
        return RS_ERR;
    }
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &at, accept_main, srv);
    pthread_attr_destroy(&at);
    if (rc != 0) {
        close(srv->lfd);
        free(srv);
        errno = rc;
        return RS_ERR;
    }
    return 0;
}
