/*
 * notify.c: the systemd readiness protocol (sd_notify without libsystemd): one datagram
 * of newline-separated KEY=VALUE lines to the Unix socket named by $NOTIFY_SOCKET (a
 * path, or "@name" for the abstract namespace). Without the variable nothing is sent.
 * Runs in: master.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proc/proc.h"
#include "rs/err.h"

int rs_notify(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa;
    if (path == NULL || path[0] == '\0')
        return 0;
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
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    ssize_t w = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
    int saved = errno;
    close(fd);
    errno = saved;
    return w == (ssize_t)strlen(state) ? 0 : RS_ERR;
}
