/*
 * ipcsup.c: one datagram to a Unix socket path ("@name": the abstract namespace), as
 * systemd's notification protocol needs. Runs in: master.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "rs/err.h"
#include "rs/os.h"

int rs_unix_dgram_send(const char *path, const void *buf, size_t len)
{
    struct sockaddr_un sa;
    size_t n = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sa.sun_path)) {
        errno = EINVAL;
        return RS_ERR;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, n);
    if (path[0] == '@')
        sa.sun_path[0] = '\0';
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return RS_ERR;
    socklen_t sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    ssize_t w = sendto(fd, buf, len, MSG_NOSIGNAL, (struct sockaddr *)&sa, sl);
    int saved = errno;
    close(fd);
    errno = saved;
    return w == (ssize_t)len ? 0 : RS_ERR;
}
