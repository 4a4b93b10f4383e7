/*
 * net.c: listening and connecting sockets: TCP on an address or loopback, Unix stream
 * sockets. Every socket of the project is made here (close-on-exec always).
 * Runs in: master (the listener), workers, supervisors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "rs/err.h"
#include "rs/os.h"

static int sock_type(int flags)
{
    return SOCK_STREAM | SOCK_CLOEXEC | ((flags & RS_NET_NONBLOCK) ? SOCK_NONBLOCK : 0);
}

/* close fd keeping errno; returns RS_ERR */
static int fail_close(int fd)
{
    int e = errno;
    close(fd);
    errno = e;
    return RS_ERR;
}

int rs_tcp_listen(const char *addr, uint16_t port, int backlog, int flags, uint16_t *port_out)
{
    struct sockaddr_storage ss;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    socklen_t len;
    memset(&ss, 0, sizeof(ss));
    if (addr == NULL)
        addr = "127.0.0.1";
    if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        len = sizeof(*v4);
    } else if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        len = sizeof(*v6);
    } else {
        errno = EINVAL;
        return RS_EINVAL;
    }
    int one = 1;
    int fd = socket(ss.ss_family, sock_type(flags), 0);
    if (fd < 0)
        return RS_ERR;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        ((flags & RS_NET_FREEBIND) && ss.ss_family == AF_INET &&
         setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) != 0) ||
        bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, backlog) != 0)
        return fail_close(fd);
    if (port_out != NULL) {
        socklen_t l = sizeof(ss);
        if (getsockname(fd, (struct sockaddr *)&ss, &l) != 0)
            return fail_close(fd);
        *port_out = ntohs(ss.ss_family == AF_INET ? v4->sin_port : v6->sin6_port);
    }
    return fd;
}

uint16_t rs_tcp_free_port(void)
{
    uint16_t port = 0;
    int fd = rs_tcp_listen("127.0.0.1", 0, 1, 0, &port);
    if (fd < 0)
        return 0;
    close(fd);
    return port;
}

int rs_tcp_connect_loopback(uint16_t port, int flags)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    int fd = socket(AF_INET, sock_type(flags), 0);
    if (fd < 0)
        return RS_ERR;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 && errno != EINPROGRESS)
        return fail_close(fd);
    return fd;
}

/* fill a sockaddr_un; RS_ERR with ENAMETOOLONG */
static int unix_addr(const char *path, struct sockaddr_un *a)
{
    size_t n = strlen(path);
    memset(a, 0, sizeof(*a));
    a->sun_family = AF_UNIX;
    if (n >= sizeof(a->sun_path)) {
        errno = ENAMETOOLONG;
        return RS_ERR;
    }
    memcpy(a->sun_path, path, n + 1);
    return 0;
}

int rs_unix_listen(const char *path, int backlog)
{
    struct sockaddr_un a;
    if (unix_addr(path, &a) != 0)
        return RS_ERR;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return RS_ERR;
    unlink(path); /* a stale socket of a previous owner */
    /* Linux creates the socket file with the socket's mode: 0600 from the start, without
     * touching the process-wide umask under other threads; chmod for other systems */
    fchmod(fd, 0600);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || chmod(path, 0600) != 0 ||
        listen(fd, backlog) != 0)
        return fail_close(fd);
    return fd;
}

int rs_unix_connect(const char *path, int flags)
{
    struct sockaddr_un a;
    if (unix_addr(path, &a) != 0)
        return RS_ERR;
    int fd = socket(AF_UNIX, sock_type(flags), 0);
    if (fd < 0)
        return RS_ERR;
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 && errno != EINPROGRESS)
        return fail_close(fd);
    return fd;
}

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
