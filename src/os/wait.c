/*
 * wait.c: waiting for one descriptor to become ready under a monotonic deadline (the
 * blocking HTTP clients of the supervisors). Runs in: any process.
 */
#include <errno.h>
#include <poll.h>

#include "rs/err.h"
#include "rs/os.h"

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
