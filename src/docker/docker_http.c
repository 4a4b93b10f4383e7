/*
 * docker_http.c: the HTTP/1.1 exchange of the Docker Engine API client (include/rs/docker.h):
 * connect to the engine's Unix socket, send one request with `Connection: close`, read the
 * whole answer (parsed by the shared rs/http1.h) under one deadline enforced with poll,
 * close.
 * Runs in: the lambda supervisor (blocking calls on its threads).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "rs/os.h"
#include "rs/docker.h"
#include "rs/err.h"
#include "docker_int.h"

int rs_docker_init(rs_docker_t *d, const char *socket_path, uint32_t timeout_ms)
{
    struct sockaddr_un sa;
    size_t n;

    memset(d, 0, sizeof(*d));
    if (socket_path == NULL)
        return RS_EINVAL;
    n = strlen(socket_path);
    if (n == 0 || n >= sizeof(d->socket_path) || n >= sizeof(sa.sun_path))
        return RS_EINVAL;
    memcpy(d->socket_path, socket_path, n + 1);
    d->timeout_ms = timeout_ms;
    return 0;
}

static int connect_uds(const char *path, int64_t deadline, char *err, size_t errlen)
{
    for (;;) {
        int fd = rs_unix_connect(path, RS_NET_NONBLOCK);
        if (fd >= 0)
            return fd;
        if (errno != EAGAIN && errno != EINTR) /* a Unix socket connects at once or not at all */
            break;
        /* listen backlog full: retry until the deadline */
        if (deadline >= 0 && rs_mono_ms() >= deadline) {
            errno = ETIMEDOUT;
            break;
        }
        usleep(10000);
    }
    int e = errno;
    rs_errf(err, errlen, "cannot connect to %s: %s", path, strerror(e));
    errno = e;
    return RS_ERR;
}

int rs_docker_answer_feed(rs_docker_answer_t *a, char *buf, size_t *len, int eof)
{
    rs_http1_head_t *h = &a->head;
    if (!a->have_head) {
        int r = rs_http1_parse_response(buf, *len, a->method, h);
        if (r <= 0)
            return r;
        a->have_head = 1;
    }
    size_t n = *len - h->head_len, rest;
    switch (h->body) {
    case RS_HTTP1_BODY_NONE:
        a->body_len = 0;
        return 1;
    case RS_HTTP1_BODY_LENGTH:
        if (h->content_length > RS_DOCKER_MAX_BODY)
            return RS_EINVAL;
        a->body_len = (size_t)h->content_length;
        return n >= a->body_len;
    case RS_HTTP1_BODY_CHUNKED: {
        int r = rs_http1_dechunk(&a->chunked, buf + h->head_len, &n, &rest);
        *len = h->head_len + n;
        a->body_len = a->chunked.out;
        return a->body_len > RS_DOCKER_MAX_BODY ? RS_EINVAL : r;
    }
    case RS_HTTP1_BODY_EOF:
        a->body_len = n;
        return n > RS_DOCKER_MAX_BODY ? RS_EINVAL : eof;
    }
    return RS_EINVAL;
}

/* Read the whole answer; the body (malloc'd, NUL-terminated) is the receive buffer. */
static int read_answer(int fd, const char *method, int64_t deadline, int *status, char **body,
                       size_t *body_len, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    rs_docker_answer_t a;
    int eof = 0, r;

    memset(&a, 0, sizeof(a));
    a.method = method;
    for (;;) {
        r = len == 0 ? 0 : rs_docker_answer_feed(&a, buf, &len, eof);
        if (r < 0) {
            rs_errf(err, errlen,
                    a.have_head ? "malformed engine answer body" : "engine answer is not HTTP/1.x");
            goto out;
        }
        if (r == 1) {
            memmove(buf, buf + a.head.head_len, a.body_len);
            buf[a.body_len] = '\0';
            *status = a.head.status;
            *body = buf;
            *body_len = a.body_len;
            return 0;
        }
        if (eof) {
            errno = ECONNRESET;
            r = RS_ERR;
            rs_errf(err, errlen, "engine closed the connection %s",
                    len == 0 ? "without an answer" : "in the middle of its answer");
            goto out;
        }
        if (cap - len < 4096) {
            size_t ncap = cap == 0 ? 16384 : cap * 2;
            char *nb;
            if (ncap > RS_DOCKER_MAX_BODY + RS_HTTP1_MAX_HEAD + 4096) {
                r = RS_EINVAL;
                rs_errf(err, errlen, "engine answer larger than %u bytes", RS_DOCKER_MAX_BODY);
                goto out;
            }
            nb = realloc(buf, ncap);
            if (nb == NULL) {
                r = RS_ERR;
                errno = ENOMEM;
                rs_errf(err, errlen, "out of memory");
                goto out;
            }
            buf = nb;
            cap = ncap;
        }
        if (rs_wait_fd(fd, POLLIN, deadline) < 0) {
            r = RS_ERR;
            rs_errf(err, errlen, "reading the engine answer: %s", strerror(errno));
            goto out;
        }
        ssize_t n = recv(fd, buf + len, cap - len, 0);
        if (n > 0) {
            len += (size_t)n;
        } else if (n == 0) {
            eof = 1;
        } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
            r = RS_ERR;
            rs_errf(err, errlen, "reading the engine answer: %s", strerror(errno));
            goto out;
        }
    }
out:
    free(buf);
    return r;
}

int rs_docker_exchange(const rs_docker_t *d, const char *method, const char *path, const char *body,
                       size_t body_len, int *status, char **resp_body, size_t *resp_len,
                       uint32_t timeout_ms, char *err, size_t errlen)
{
    int64_t deadline = timeout_ms == 0 ? -1 : rs_mono_ms() + timeout_ms;
    char head[2048];
    char *rb = NULL;
    size_t rl = 0;
    int st = 0, fd, n, r;

    if (status != NULL)
        *status = 0;
    if (resp_body != NULL)
        *resp_body = NULL;
    if (resp_len != NULL)
        *resp_len = 0;
    if (body == NULL)
        body_len = 0;
    n = snprintf(head, sizeof(head),
                 "%s %s HTTP/1.1\r\nHost: docker\r\nUser-Agent: ruststack\r\n"
                 "Connection: close\r\n%sContent-Length: %zu\r\n\r\n",
                 method, path, body != NULL ? "Content-Type: application/json\r\n" : "", body_len);
    if (n < 0 || (size_t)n >= sizeof(head) || strpbrk(path, " \r\n") != NULL) {
        rs_errf(err, errlen, "request path too long or malformed");
        return RS_EINVAL;
    }
    fd = connect_uds(d->socket_path, deadline, err, errlen);
    if (fd < 0)
        return RS_ERR;
    if (rs_write_all(fd, head, (size_t)n, deadline) < 0 ||
        (body_len > 0 && rs_write_all(fd, body, body_len, deadline) < 0)) {
        int e = errno;
        rs_errf(err, errlen, "sending to the engine: %s", strerror(e));
        close(fd);
        errno = e;
        return RS_ERR;
    }
    r = read_answer(fd, method, deadline, &st, &rb, &rl, err, errlen);
    int e = errno;
    close(fd);
    errno = e;
    if (r < 0)
        return r;
    if (status != NULL)
        *status = st;
    if (resp_len != NULL)
        *resp_len = rl;
    if (resp_body != NULL)
        *resp_body = rb;
    else
        free(rb);
    return 0;
}

int rs_docker_request(const rs_docker_t *d, const char *method, const char *path, const char *body,
                      size_t body_len, int *status, char **resp_body, size_t *resp_len,
                      uint32_t timeout_ms)
{
    return rs_docker_exchange(d, method, path, body, body_len, status, resp_body, resp_len,
                              timeout_ms, NULL, 0);
}
