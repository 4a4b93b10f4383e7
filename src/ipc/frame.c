/*
 * frame.c: the worker <-> supervisor frame format (include/rs/ipc.h): header checks and
 * the blocking whole-frame read/write helpers, and the socket path. Runs in: supervisors
 * (blocking I/O) and workers (header helpers and the socket path only).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "rs/os.h"
#include "rs/err.h"
#include "rs/ipc.h"

int rs_ipc_hdr_check(const rs_ipc_hdr_t *h)
{
    if (h->magic != RS_IPC_MAGIC || h->version != RS_IPC_VERSION)
        return RS_EINVAL;
    if (h->type < RS_IPC_REQUEST || h->type > RS_IPC_PONG)
        return RS_EINVAL;
    if (h->meta_len > RS_IPC_MAX_META || h->body_len > RS_IPC_MAX_BODY)
        return RS_EINVAL;
    return 0;
}

void rs_ipc_hdr_init(rs_ipc_hdr_t *h, int type, uint64_t id, size_t meta_len, size_t body_len)
{
    memset(h, 0, sizeof(*h));
    h->magic = RS_IPC_MAGIC;
    h->version = RS_IPC_VERSION;
    h->type = (uint16_t)type;
    h->id = id;
    h->meta_len = (uint32_t)meta_len;
    h->body_len = (uint32_t)body_len;
}

int rs_ipc_write_frame(int fd, int type, uint64_t id, const char *meta, size_t meta_len,
                       const void *body, size_t body_len, int64_t deadline_ms)
{
    rs_ipc_hdr_t h;
    if (meta_len > RS_IPC_MAX_META || body_len > RS_IPC_MAX_BODY)
        return RS_EINVAL;
    rs_ipc_hdr_init(&h, type, id, meta_len, body_len);
    if (rs_ipc_hdr_check(&h) != 0)
        return RS_EINVAL;
    struct iovec iov[3];
    int n = 0;
    iov[n].iov_base = &h;
    iov[n++].iov_len = sizeof(h);
    if (meta_len > 0) {
        iov[n].iov_base = (void *)meta;
        iov[n++].iov_len = meta_len;
    }
    if (body_len > 0) {
        iov[n].iov_base = (void *)body;
        iov[n++].iov_len = body_len;
    }
    return rs_writev_all(fd, iov, n, deadline_ms);
}

/* fill iov[0..n) completely (waiting for POLLIN on a non-blocking fd): 0, or RS_ERR
 * with errno (0: EOF) */
static int readv_full(int fd, struct iovec *iov, int n)
{
    while (n > 0 && iov->iov_len == 0) { /* an empty meta or body reads nothing */
        iov++;
        n--;
    }
    while (n > 0) {
        ssize_t r = readv(fd, iov, n);
        if (r > 0) {
            rs_iov_advance(&iov, &n, (size_t)r);
            continue;
        }
        if (r == 0) {
            errno = 0;
            return RS_ERR;
        }
        if (errno == EINTR)
            continue;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if ((errno == EAGAIN || errno == EWOULDBLOCK) && (poll(&p, 1, -1) >= 0 || errno == EINTR))
            continue;
        return RS_ERR;
    }
    return 0;
}

/* the header, then meta and body with one readv: two reads for a frame */
int rs_ipc_read_frame(int fd, rs_ipc_hdr_t *h, char **meta, void **body)
{
    *meta = NULL;
    *body = NULL;
    if (rs_read_full(fd, h, sizeof(*h), -1) != 0)
        return RS_ERR;
    if (rs_ipc_hdr_check(h) != 0)
        return RS_EINVAL;
    /* meta is NUL-terminated for the JSON parser; body gets one spare byte too */
    char *m = malloc((size_t)h->meta_len + 1);
    char *b = malloc((size_t)h->body_len + 1);
    struct iovec iov[2] = {{m, h->meta_len}, {b, h->body_len}};
    if (m == NULL || b == NULL || readv_full(fd, iov, 2) != 0) {
        int e = m == NULL || b == NULL ? ENOMEM : errno;
        free(m);
        free(b);
        errno = e;
        return RS_ERR;
    }
    m[h->meta_len] = '\0';
    b[h->body_len] = '\0';
    *meta = m;
    *body = b;
    return 0;
}

void rs_ipc_socket_path(const char *runtime_dir, const char *name, char *out, size_t outlen)
{
    size_t n = strlen(runtime_dir);
    while (n > 1 && runtime_dir[n - 1] == '/')
        n--;
    snprintf(out, outlen, "%.*s/%s.sock", (int)n, runtime_dir, name);
}
