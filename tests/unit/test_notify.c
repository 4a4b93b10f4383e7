/*
 * test_notify.c: the systemd readiness protocol (src/proc/notify.c) against a real
 * datagram socket: path and abstract addresses, no variable, a bad address.
 * Runs in: the test.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proc/proc.h"
#include "rs/err.h"

/* bind a datagram socket at `name` ("@..." abstract, else a path) */
static int listen_at(const char *name)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    size_t n = strlen(name);
    memcpy(sa.sun_path, name, n);
    if (name[0] == '@')
        sa.sun_path[0] = '\0';
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    cr_assert_geq(fd, 0);
    cr_assert_eq(
        bind(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)),
        0, "bind %s: %s", name, strerror(errno));
    return fd;
}

static void expect(int fd, const char *want)
{
    char buf[512];
    ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
    cr_assert_gt(n, 0, "nothing received");
    buf[n] = '\0';
    cr_assert_str_eq(buf, want);
}

Test(notify, path_socket)
{
    char path[64];
    snprintf(path, sizeof(path), "/tmp/rs-notify-%d.sock", (int)getpid());
    unlink(path);
    int fd = listen_at(path);
    setenv("NOTIFY_SOCKET", path, 1);
    cr_assert_eq(rs_notify("READY=1\nSTATUS=s3 running"), 0);
    expect(fd, "READY=1\nSTATUS=s3 running");
    cr_assert_eq(rs_notify("STOPPING=1"), 0);
    expect(fd, "STOPPING=1");
    close(fd);
    unlink(path);
}

Test(notify, abstract_socket)
{
    char name[64];
    snprintf(name, sizeof(name), "@rs-notify-%d", (int)getpid());
    int fd = listen_at(name);
    setenv("NOTIFY_SOCKET", name, 1);
    cr_assert_eq(rs_notify("READY=1"), 0);
    expect(fd, "READY=1");
    close(fd);
}

Test(notify, unset_is_a_no_op)
{
    unsetenv("NOTIFY_SOCKET");
    cr_assert_eq(rs_notify("READY=1"), 0);
}

Test(notify, bad_address_fails)
{
    setenv("NOTIFY_SOCKET", "relative/path", 1);
    cr_assert_eq(rs_notify("READY=1"), RS_ERR);
    setenv("NOTIFY_SOCKET", "/nonexistent-dir/x.sock", 1);
    cr_assert_eq(rs_notify("READY=1"), RS_ERR);
}
