/*
 * io.c: whole reads and writes on blocking or non-blocking descriptors, with EINTR
 * retried, short transfers resumed and an optional deadline on the monotonic clock (with
 * one, readiness is awaited before every transfer, so it holds on blocking descriptors).
 * Runs in: every process.
 */
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "rs/err.h"
#include "rs/os.h"

void rs_iov_advance(struct iovec **iov, int *n, size_t done)
{
    while (*n > 0 && done >= (*iov)->iov_len) {
        done -= (*iov)->iov_len;
        (*iov)++;
        (*n)--;
    }
    if (*n > 0 && done > 0) {
        (*iov)->iov_base = (char *)(*iov)->iov_base + done;
        (*iov)->iov_len -= done;
    }
}

/* wait for `events` on fd until the deadline: 0 ready, RS_ERR (errno ETIMEDOUT) */
static int wait_fd(int fd, short events, int64_t deadline_ms)
{
    for (;;) {
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, rs_deadline_left(deadline_ms));
        if (r > 0)
            return 0;
        if (r == 0) {
            errno = ETIMEDOUT;
            return RS_ERR;
        }
        if (errno != EINTR)
            return RS_ERR;
    }
}

int rs_writev_all(int fd, struct iovec *iov, int n, int64_t deadline_ms)
{
    while (n > 0 && iov->iov_len == 0) {
        iov++;
        n--;
    }
    while (n > 0) {
        if (deadline_ms >= 0 && wait_fd(fd, POLLOUT, deadline_ms) != 0)
            return RS_ERR;
        ssize_t w = writev(fd, iov, n > 1024 ? 1024 : n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait_fd(fd, POLLOUT, deadline_ms) == 0)
                continue;
            return RS_ERR;
        }
        rs_iov_advance(&iov, &n, (size_t)w);
    }
    return 0;
}

int rs_write_all(int fd, const void *buf, size_t len, int64_t deadline_ms)
{
    struct iovec v = {.iov_base = (void *)buf, .iov_len = len};
    return rs_writev_all(fd, &v, 1, deadline_ms);
}

int rs_read_full(int fd, void *buf, size_t len, int64_t deadline_ms)
{
    size_t got = 0;
    while (got < len) {
        if (deadline_ms >= 0 && wait_fd(fd, POLLIN, deadline_ms) != 0)
            return RS_ERR;
        ssize_t r = read(fd, (char *)buf + got, len - got);
        if (r > 0) {
            got += (size_t)r;
            continue;
        }
        if (r == 0) {
            errno = 0;
            return got == 0 ? RS_ENOENT : RS_ERR;
        }
        if (errno == EINTR)
            continue;
        if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait_fd(fd, POLLIN, deadline_ms) == 0)
            continue;
        return RS_ERR;
    }
    return 0;
}
