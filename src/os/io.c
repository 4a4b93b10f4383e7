/*
 * io.c: whole reads and writes on blocking or non-blocking descriptors, with EINTR
 * retried, short transfers resumed, no SIGPIPE on sockets, and an optional deadline on the
 * monotonic clock that holds on blocking descriptors too; waiting for readiness.
 * Runs in: every process.
 */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
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

int rs_wait_fd(int fd, short events, int64_t deadline_ms)
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

/* On a socket: sendmsg/recv, never SIGPIPE, and with a deadline MSG_DONTWAIT, so that a
 * blocking socket cannot outlast it and the happy path costs no poll. Anything else (pipes,
 * files): poll first when there is a deadline, then writev/read. */
int rs_writev_all(int fd, struct iovec *iov, int n, int64_t deadline_ms)
{
    int sock = 1, dontwait = deadline_ms >= 0 ? MSG_DONTWAIT : 0;
    while (n > 0 && iov->iov_len == 0) {
        iov++;
        n--;
    }
    while (n > 0) {
        int cnt = n > 1024 ? 1024 : n;
        ssize_t w;
        if (sock) {
            struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)cnt};
            w = sendmsg(fd, &m, MSG_NOSIGNAL | dontwait);
            if (w < 0 && errno == ENOTSOCK) {
                sock = 0;
                continue;
            }
        } else {
            if (deadline_ms >= 0 && rs_wait_fd(fd, POLLOUT, deadline_ms) != 0)
                return RS_ERR;
            w = writev(fd, iov, cnt);
        }
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
                rs_wait_fd(fd, POLLOUT, deadline_ms) == 0)
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
    int sock = 1, dontwait = deadline_ms >= 0 ? MSG_DONTWAIT : 0;
    size_t got = 0;
    while (got < len) {
        ssize_t r;
        if (sock) {
            r = recv(fd, (char *)buf + got, len - got, dontwait);
            if (r < 0 && errno == ENOTSOCK) {
                sock = 0;
                continue;
            }
        } else {
            if (deadline_ms >= 0 && rs_wait_fd(fd, POLLIN, deadline_ms) != 0)
                return RS_ERR;
            r = read(fd, (char *)buf + got, len - got);
        }
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
        if ((errno == EAGAIN || errno == EWOULDBLOCK) && rs_wait_fd(fd, POLLIN, deadline_ms) == 0)
            continue;
        return RS_ERR;
    }
    return 0;
}
