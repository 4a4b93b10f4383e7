/*
 * lambda_fwd.c: the bridge-to-server TCP relay of lambda_fwd.h: one accept thread, one
 * thread per connection copying both directions with poll (a half close is passed on with
 * shutdown(SHUT_WR); after the server's end, the client's side is closed once idle for
 * SERVER_GONE_LINGER_MS); at most MAX_CONNS connections at once, more are refused by closing.
 * Runs in: the lambda supervisor (the accept thread and the relay threads).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lambda/lambda_fwd.h"
#include "rs/err.h"
#include "rs/os.h"

#define MAX_CONNS 256
/* Once the server ended its side (an HTTP server closes whole, never half), how long the
 * client's side may stay idle before the relay closes it: a client that keeps a dead
 * pooled connection would otherwise hold a slot and a thread until it closes. */
#define SERVER_GONE_LINGER_MS 2000

struct rs_lfwd {
    int lfd;
    struct sockaddr_storage target;
    socklen_t target_len;
    pthread_t accept_thr;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int conns;             /* live relay threads (under mu) */
    int stopping;          /* under mu */
    int fds[MAX_CONNS][2]; /* the live pairs, -1 when free (under mu): shut down at stop */
};

typedef struct relay {
    rs_lfwd_t *f;
    int slot;
} relay_t;

static int parse_addr(const char *addr, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        *len = sizeof(*v4);
        return 0;
    }
    const char *a = addr;
    char buf[64];
    size_t n = strlen(addr);
    if (n > 2 && n < sizeof(buf) && addr[0] == '[' && addr[n - 1] == ']') {
        memcpy(buf, addr + 1, n - 2);
        buf[n - 2] = '\0';
        a = buf;
    }
    if (inet_pton(AF_INET6, a, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        *len = sizeof(*v6);
        return 0;
    }
    errno = EINVAL;
    return RS_EINVAL;
}

/* Copy what is readable from `from` to `to`: 1 more may come, 0 EOF, -1 error. */
static int pump(int from, int to)
{
    char buf[16384];
    ssize_t n = read(from, buf, sizeof(buf));
    if (n == 0)
        return 0;
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 1 : -1;
    for (ssize_t off = 0; off < n;) {
        ssize_t w = send(to, buf + off, (size_t)(n - off), MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        off += w;
    }
    return 1;
}

static void *relay_main(void *arg)
{
    relay_t *r = arg;
    rs_lfwd_t *f = r->f;
    int a = f->fds[r->slot][0], b = f->fds[r->slot][1];
    int open_ab = 1, open_ba = 1;
    while (open_ab || open_ba) {
        struct pollfd p[2] = {{.fd = open_ab ? a : -1, .events = POLLIN},
                              {.fd = open_ba ? b : -1, .events = POLLIN}};
        int pr = poll(p, 2, open_ba ? -1 : SERVER_GONE_LINGER_MS);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            break; /* an error, or the client idle long after the server's end */
        if (p[0].revents) {
            int k = pump(a, b);
            if (k < 0)
                break;
            if (k == 0) {
                shutdown(b, SHUT_WR);
                open_ab = 0;
            }
        }
        if (p[1].revents) {
            int k = pump(b, a);
            if (k < 0)
                break;
            if (k == 0) {
                shutdown(a, SHUT_WR);
                open_ba = 0;
            }
        }
    }
    pthread_mutex_lock(&f->mu);
    close(a);
    close(b);
    f->fds[r->slot][0] = f->fds[r->slot][1] = -1;
    f->conns--;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    free(r);
    return NULL;
}

/* Connect to the target and start a relay for client fd `c` (closed on failure). */
static void relay_one(rs_lfwd_t *f, int c)
{
    int one = 1;
    int t = socket(f->target.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (t < 0 || connect(t, (struct sockaddr *)&f->target, f->target_len) != 0) {
        if (t >= 0)
            close(t);
        close(c);
        return;
    }
    setsockopt(t, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    relay_t *r = malloc(sizeof(*r));
    pthread_mutex_lock(&f->mu);
    int slot = -1;
    for (int i = 0; r && !f->stopping && i < MAX_CONNS && slot < 0; i++)
        if (f->fds[i][0] < 0)
            slot = i;
    if (slot >= 0) {
        f->fds[slot][0] = c;
        f->fds[slot][1] = t;
        f->conns++;
        r->f = f;
        r->slot = slot;
    }
    pthread_mutex_unlock(&f->mu);
    if (slot < 0) {
        free(r);
        close(c);
        close(t);
        return;
    }
    if (rs_thread_start(NULL, 0, 0, relay_main, r) != 0) {
        pthread_mutex_lock(&f->mu);
        f->fds[slot][0] = f->fds[slot][1] = -1;
        f->conns--;
        pthread_cond_broadcast(&f->cv);
        pthread_mutex_unlock(&f->mu);
        free(r);
        close(c);
        close(t);
    }
}

static void *accept_main(void *arg)
{
    rs_lfwd_t *f = arg;
    for (;;) {
        int c = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0) {
            /* only the listener's own end (rs_lfwd_stop's shutdown: EINVAL) stops the
             * relay; a pending connection's network error (accept(2): ENETDOWN,
             * EHOSTUNREACH...) or a shortage is retried */
            if (errno == EINVAL || errno == EBADF || errno == ENOTSOCK)
                break;
            if (errno != EINTR && errno != ECONNABORTED)
                usleep(100000);
            continue;
        }
        relay_one(f, c);
    }
    return NULL;
}

int rs_lfwd_start(const char *listen_addr, uint16_t port, const char *target_addr,
                  uint16_t target_port, rs_lfwd_t **out)
{
    rs_lfwd_t *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return RS_ENOMEM;
    if (parse_addr(target_addr, target_port, &f->target, &f->target_len) < 0) {
        free(f);
        return RS_EINVAL;
    }
    for (int i = 0; i < MAX_CONNS; i++)
        f->fds[i][0] = f->fds[i][1] = -1;
    f->lfd = rs_tcp_listen(listen_addr, port, 64, RS_NET_FREEBIND, NULL);
    if (f->lfd < 0) {
        int e = errno;
        free(f);
        errno = e;
        return RS_ERR;
    }
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    if (pthread_create(&f->accept_thr, NULL, accept_main, f) != 0) {
        close(f->lfd);
        pthread_mutex_destroy(&f->mu);
        pthread_cond_destroy(&f->cv);
        free(f);
        return RS_ERR;
    }
    *out = f;
    return 0;
}

void rs_lfwd_stop(rs_lfwd_t *f)
{
    if (f == NULL)
        return;
    shutdown(f->lfd, SHUT_RDWR);
    pthread_join(f->accept_thr, NULL);
    close(f->lfd);
    pthread_mutex_lock(&f->mu);
    f->stopping = 1;
    for (int i = 0; i < MAX_CONNS; i++)
        if (f->fds[i][0] >= 0) {
            shutdown(f->fds[i][0], SHUT_RDWR);
            shutdown(f->fds[i][1], SHUT_RDWR);
        }
    while (f->conns > 0)
        pthread_cond_wait(&f->cv, &f->mu);
    pthread_mutex_unlock(&f->mu);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f);
}
