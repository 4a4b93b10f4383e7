/*
 * ddb_floor.c: the latency floor of the DynamoDB proxy's shape, with no work at all in
 * it: round trips of a small message (client -> echo server over loopback TCP) compared
 * with the same message relayed the way RustStack carries a DynamoDB request (client ->
 * relay 1 over TCP -> relay 2 over a Unix socket -> echo server over TCP, and back).
 * Every hop is one process doing blocking read/write, TCP_NODELAY on every TCP socket, so
 * the difference is the bare cost of the two extra hops (their wake-ups and copies) on
 * this machine: nothing a proxy does can be cheaper. The three paths are all set up first
 * and timed one round trip each in turn, so that the load of a shared machine hits them
 * alike. The two relays' CPU time (user + system, from wait4) divided by their round
 * trips is the CPU floor of a request's two extra hops. bench/ddb_bench.py builds and
 * runs it.
 * Usage: ddb_floor [round-trips] [message-bytes]; prints "name p50_us p99_us" lines and
 * "relay_cpu_us relay1_us relay2_us" (CPU microseconds per round trip of each relay).
 * Runs in: the benchmark (its own processes; no RustStack code).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXMSG 65536

static int full_read(int fd, char *p, size_t n)
{
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static int full_write(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int tcp_listen(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t al = sizeof(a);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 4) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) != 0) {
        perror("listen");
        exit(1);
    }
    *port = ntohs(a.sin_port);
    return fd;
}

static int tcp_connect(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        perror("connect");
        exit(1);
    }
    nodelay(fd);
    return fd;
}

static int tcp_accept(int lfd)
{
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) {
        perror("accept");
        exit(1);
    }
    nodelay(fd);
    close(lfd);
    return fd;
}

/* in a child: close every inherited descriptor but a and b (so that EOF travels) */
static void keep_only(int a, int b)
{
    for (int fd = 3; fd < 1024; fd++)
        if (fd != a && fd != b)
            close(fd);
}

/* a child that answers each message of n bytes on fd with the same bytes */
static pid_t spawn_echo(int lfd, size_t n)
{
    pid_t pid = fork();
    if (pid == 0) {
        static char buf[MAXMSG];
        keep_only(lfd, -1);
        int fd = tcp_accept(lfd);
        while (full_read(fd, buf, n) == 0 && full_write(fd, buf, n) == 0)
            ;
        _exit(0);
    }
    close(lfd);
    return pid;
}

/* a child that passes messages of n bytes from `in` to `out` and the answers back */
static pid_t spawn_relay(int in, int out, size_t n)
{
    pid_t pid = fork();
    if (pid == 0) {
        static char buf[MAXMSG];
        keep_only(in, out);
        while (full_read(in, buf, n) == 0 && full_write(out, buf, n) == 0 &&
               full_read(out, buf, n) == 0 && full_write(in, buf, n) == 0)
            ;
        _exit(0);
    }
    close(in);
    close(out);
    return pid;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int round_trip(int fd, char *buf, size_t n)
{
    return full_write(fd, buf, n) != 0 || full_read(fd, buf, n) != 0 ? -1 : 0;
}

static void report(const char *name, uint64_t *t, int rounds)
{
    qsort(t, (size_t)rounds, sizeof(*t), cmp_u64);
    printf("%s %.1f %.1f\n", name, t[rounds / 2] / 1000.0, t[rounds * 99 / 100] / 1000.0);
}

/* CPU microseconds of a child over its life (it has exited or exits now) */
static double child_cpu_us(pid_t pid)
{
    struct rusage ru;
    int st;
    if (wait4(pid, &st, 0, &ru) != pid)
        return -1.0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 5000;
    size_t n = argc > 2 ? (size_t)atol(argv[2]) : 300;
    if (rounds < 100 || n == 0 || n > MAXMSG) {
        fprintf(stderr, "usage: ddb_floor [round-trips >= 100] [bytes 1..%d]\n", MAXMSG);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);

    /* 1: client -> echo over TCP (what wrk -> DynamoDB Local is, minus Java) */
    uint16_t port;
    int lfd = tcp_listen(&port);
    pid_t echo = spawn_echo(lfd, n);
    int dfd = tcp_connect(port);

    /* 2: a Unix-socket round trip between two processes (the worker <-> supervisor leg) */
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) != 0)
        return 1;
    pid_t ue = fork();
    if (ue == 0) {
        static char buf[MAXMSG];
        keep_only(sp[1], -1);
        while (full_read(sp[1], buf, n) == 0 && full_write(sp[1], buf, n) == 0)
            ;
        _exit(0);
    }
    close(sp[1]);
    int ufd = sp[0];

    /* 3: client -TCP-> relay 1 -UDS-> relay 2 -TCP-> echo: the proxy's shape, no work */
    lfd = tcp_listen(&port);
    pid_t echo2 = spawn_echo(lfd, n);
    int to_echo = tcp_connect(port);
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) != 0)
        return 1;
    pid_t r2 = spawn_relay(sp[1], to_echo, n);
    uint16_t fport;
    int flfd = tcp_listen(&fport);
    int cfd = tcp_connect(fport);
    int afd = tcp_accept(flfd);
    pid_t r1 = spawn_relay(afd, sp[0], n);

    static char buf[MAXMSG];
    memset(buf, 'x', n);
    const int fds[3] = {dfd, ufd, cfd};
    uint64_t *t[3];
    for (int k = 0; k < 3; k++)
        t[k] = calloc((size_t)rounds, sizeof(uint64_t));
    for (int i = 0; i < rounds / 10; i++) /* warm-up */
        for (int k = 0; k < 3; k++)
            if (round_trip(fds[k], buf, n) != 0)
                return 1;
    for (int i = 0; i < rounds; i++)
        for (int k = 0; k < 3; k++) {
            uint64_t t0 = now_ns();
            if (round_trip(fds[k], buf, n) != 0)
                return 1;
            t[k][i] = now_ns() - t0;
        }
    report("tcp_direct", t[0], rounds);
    report("uds_pingpong", t[1], rounds);
    report("tcp_uds_relay_chain", t[2], rounds);
    for (int k = 0; k < 3; k++) {
        close(fds[k]);
        free(t[k]);
    }
    int total = rounds + rounds / 10;
    double c1 = child_cpu_us(r1), c2 = child_cpu_us(r2);
    printf("relay_cpu_us %.1f %.1f\n", c1 / total, c2 / total);
    fflush(stdout);
    waitpid(echo, NULL, 0);
    waitpid(ue, NULL, 0);
    waitpid(echo2, NULL, 0);
    return 0;
}
