/*
 * test_lambda_ipcserver.c: the supervisor-side IPC server (src/ipc/server.c) over a real
 * socket in a temp dir: PING/PONG, requests answered later from other threads, many
 * threads replying on one connection at once (frames never interleave), a worker that
 * disappears with replies pending, a stale socket file, the socket mode.
 * Runs in: the test.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "rs/err.h"
#include "rs/ipc.h"
#include "rs/os.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/rs-ipcsrv-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char p[128];
    rs_ipc_socket_path(dir, "t", p, sizeof(p));
    unlink(p);
    rmdir(dir);
}

TestSuite(ipcserver, .init = setup, .fini = teardown, .timeout = 20);

static int start(rs_ipc_request_fn fn)
{
    rs_ipc_server_conf_t sc = {dir, "t", 0, 0, fn, NULL};
    return rs_ipc_server_start(&sc, NULL);
}

static int dial(void)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    rs_ipc_socket_path(dir, "t", a.sun_path, sizeof(a.sun_path));
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    cr_assert_geq(fd, 0);
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0, "connect: %s", strerror(errno));
    return fd;
}

/* answer on the reader thread: echo meta as body, body as meta-less response */
static void echo_now(rs_ipc_conn_t *c, uint64_t id, char *meta, void *body, size_t len, void *arg)
{
    (void)arg;
    rs_ipc_conn_reply(c, id, meta, strlen(meta), body, len);
    free(meta);
    free(body);
}

Test(ipcserver, ping_pong_and_echo)
{
    cr_assert_eq(start(echo_now), 0);
    char p[128];
    struct stat st;
    rs_ipc_socket_path(dir, "t", p, sizeof(p));
    cr_assert_eq(stat(p, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    int fd = dial();
    cr_assert_eq(rs_ipc_write_frame(fd, RS_IPC_PING, 7, NULL, 0, NULL, 0, -1), 0);
    rs_ipc_hdr_t h;
    char *m;
    void *b;
    cr_assert_eq(rs_ipc_read_frame(fd, &h, &m, &b), 0);
    cr_assert_eq(h.type, RS_IPC_PONG);
    cr_assert_eq(h.id, 7);
    free(m);
    free(b);
    cr_assert_eq(rs_ipc_write_frame(fd, RS_IPC_REQUEST, 9, "{\"a\":1}", 7, "body", 4, -1), 0);
    cr_assert_eq(rs_ipc_read_frame(fd, &h, &m, &b), 0);
    cr_assert_eq(h.type, RS_IPC_RESPONSE);
    cr_assert_eq(h.id, 9);
    cr_assert_str_eq(m, "{\"a\":1}");
    cr_assert_eq(h.body_len, 4);
    cr_assert_eq(memcmp(b, "body", 4), 0);
    free(m);
    free(b);
    close(fd);
}

Test(ipcserver, stale_socket_file_is_replaced)
{
    char p[128];
    rs_ipc_socket_path(dir, "t", p, sizeof(p));
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fclose(f);
    cr_assert_eq(start(echo_now), 0);
    int fd = dial();
    cr_assert_eq(rs_ipc_write_frame(fd, RS_IPC_PING, 1, NULL, 0, NULL, 0, -1), 0);
    rs_ipc_hdr_t h;
    char *m;
    void *b;
    cr_assert_eq(rs_ipc_read_frame(fd, &h, &m, &b), 0);
    cr_assert_eq(h.type, RS_IPC_PONG);
    free(m);
    free(b);
    close(fd);
}

/* answered later, from a thread of its own, after a delay given by the body */
typedef struct later {
    rs_ipc_conn_t *c;
    uint64_t id;
    int delay_ms;
} later_t;

static _Atomic int late_fail;
static _Atomic int late_done;

static void *later_main(void *arg)
{
    later_t *l = arg;
    usleep((useconds_t)l->delay_ms * 1000);
    char meta[64], body[4096];
    int n = snprintf(meta, sizeof(meta), "{\"status\":%llu}", (unsigned long long)l->id);
    memset(body, 'a' + (int)(l->id % 26), sizeof(body));
    if (rs_ipc_conn_reply(l->c, l->id, meta, (size_t)n, body, sizeof(body)) != 0)
        atomic_fetch_add(&late_fail, 1);
    rs_ipc_conn_put(l->c);
    free(l);
    atomic_fetch_add(&late_done, 1);
    return NULL;
}

static void answer_later(rs_ipc_conn_t *c, uint64_t id, char *meta, void *body, size_t len,
                         void *arg)
{
    (void)arg;
    later_t *l = calloc(1, sizeof(*l));
    l->c = c;
    l->id = id;
    l->delay_ms = len > 0 ? atoi(body) : 0;
    rs_ipc_conn_ref(c);
    pthread_t t;
    pthread_create(&t, NULL, later_main, l);
    pthread_detach(t);
    free(meta);
    free(body);
}

Test(ipcserver, concurrent_replies_do_not_interleave_and_come_in_any_order)
{
    cr_assert_eq(start(answer_later), 0);
    int fd = dial();
    enum { N = 64 };
    for (uint64_t i = 1; i <= N; i++) {
        char d[16];
        int n = snprintf(d, sizeof(d), "%d", (int)((N - i) % 8) * 5);
        cr_assert_eq(rs_ipc_write_frame(fd, RS_IPC_REQUEST, i, "{}", 2, d, (size_t)n, -1), 0);
    }
    int seen[N + 1] = {0};
    for (int k = 0; k < N; k++) {
        rs_ipc_hdr_t h;
        char *m;
        void *b;
        cr_assert_eq(rs_ipc_read_frame(fd, &h, &m, &b), 0);
        cr_assert_eq(h.type, RS_IPC_RESPONSE);
        cr_assert(h.id >= 1 && h.id <= N);
        cr_assert_eq(seen[h.id], 0);
        seen[h.id] = 1;
        char want[64];
        snprintf(want, sizeof(want), "{\"status\":%llu}", (unsigned long long)h.id);
        cr_assert_str_eq(m, want);
        cr_assert_eq(h.body_len, 4096);
        for (size_t i = 0; i < 4096; i++)
            cr_assert_eq(((char *)b)[i], 'a' + (int)(h.id % 26));
        free(m);
        free(b);
    }
    close(fd);
}

Test(ipcserver, vanished_worker_wedges_nothing)
{
    atomic_store(&late_fail, 0);
    atomic_store(&late_done, 0);
    cr_assert_eq(start(answer_later), 0);
    int fd = dial();
    for (uint64_t i = 1; i <= 8; i++)
        cr_assert_eq(rs_ipc_write_frame(fd, RS_IPC_REQUEST, i, "{}", 2, "300", 3, -1), 0);
    usleep(50000);
    close(fd); /* the worker dies with 8 answers pending */
    for (int i = 0; i < 200 && atomic_load(&late_done) < 8; i++)
        usleep(10000);
    cr_assert_eq(atomic_load(&late_done), 8);
    cr_assert_eq(atomic_load(&late_fail), 8);
    /* a new worker is served as before */
    int fd2 = dial();
    cr_assert_eq(rs_ipc_write_frame(fd2, RS_IPC_REQUEST, 99, "{}", 2, "0", 1, -1), 0);
    rs_ipc_hdr_t h;
    char *m;
    void *b;
    cr_assert_eq(rs_ipc_read_frame(fd2, &h, &m, &b), 0);
    cr_assert_eq(h.id, 99);
    free(m);
    free(b);
    close(fd2);
}

Test(ipcserver, bad_frame_closes_only_that_connection)
{
    cr_assert_eq(start(echo_now), 0);
    int bad = dial(), good = dial();
    char junk[24];
    memset(junk, 0x5a, sizeof(junk));
    cr_assert_eq(write(bad, junk, sizeof(junk)), (ssize_t)sizeof(junk));
    char c;
    cr_assert_eq(read(bad, &c, 1), 0); /* the server closed it */
    cr_assert_eq(rs_ipc_write_frame(good, RS_IPC_PING, 5, NULL, 0, NULL, 0, -1), 0);
    rs_ipc_hdr_t h;
    char *m;
    void *b;
    cr_assert_eq(rs_ipc_read_frame(good, &h, &m, &b), 0);
    cr_assert_eq(h.type, RS_IPC_PONG);
    free(m);
    free(b);
    close(bad);
    close(good);
}

Test(ipcserver, bad_arguments)
{
    cr_assert_eq(start(NULL), RS_ERR);
    cr_assert_eq(
        rs_ipc_server_start(
            &(rs_ipc_server_conf_t){"/proc/nonexistent/dir", "t", 0, 0, echo_now, NULL}, NULL),
        RS_ERR);
}

/* ---- the handler pool: frames of one connection handled in parallel, bounded --------- */

static _Atomic int running, max_running;

/* handled in the handler thread itself: sleep the body's ms, then answer */
static void sleep_then_answer(rs_ipc_conn_t *c, uint64_t id, char *meta, void *body, size_t len,
                              void *arg)
{
    (void)arg;
    (void)len;
    int now = atomic_fetch_add(&running, 1) + 1, seen = atomic_load(&max_running);
    while (now > seen && !atomic_compare_exchange_weak(&max_running, &seen, now))
        ;
    usleep((useconds_t)atoi(body) * 1000);
    atomic_fetch_sub(&running, 1);
    rs_ipc_conn_reply(c, id, meta, strlen(meta), NULL, 0);
    free(meta);
    free(body);
}

static int start_pool(unsigned threads)
{
    rs_ipc_server_conf_t sc = {dir, "t", threads, 0, sleep_then_answer, NULL};
    return rs_ipc_server_start(&sc, NULL);
}

static uint64_t next_reply(int fd)
{
    rs_ipc_hdr_t h;
    char *m;
    void *b;
    cr_assert_eq(rs_ipc_read_frame(fd, &h, &m, &b), 0);
    cr_assert_eq(h.type, RS_IPC_RESPONSE);
    free(m);
    free(b);
    return h.id;
}

Test(ipcserver, one_connection_is_handled_in_parallel_and_answered_out_of_order)
{
    cr_assert_eq(start_pool(4), 0);
    int fd = dial();
    int64_t t0 = rs_mono_ms();
    const char *delays[] = {"600", "400", "200", "0"};
    for (uint64_t i = 0; i < 4; i++)
        cr_assert_eq(rs_ipc_write_frame(fd, RS_IPC_REQUEST, i + 1, "{}", 2, delays[i],
                                        strlen(delays[i]), -1),
                     0);
    for (uint64_t want = 4; want >= 1; want--)
        cr_assert_eq(next_reply(fd), want);
    /* in parallel: the slowest alone, not the sum (1200 ms) */
    cr_assert_lt(rs_mono_ms() - t0, 1100);
    close(fd);
}

Test(ipcserver, handlers_are_capped_and_the_rest_wait)
{
    atomic_store(&running, 0);
    atomic_store(&max_running, 0);
    cr_assert_eq(start_pool(2), 0);
    int fd = dial();
    for (uint64_t i = 1; i <= 6; i++)
        cr_assert_eq(rs_ipc_write_frame(fd, RS_IPC_REQUEST, i, "{}", 2, "100", 3, -1), 0);
    int seen[7] = {0};
    for (int k = 0; k < 6; k++)
        seen[next_reply(fd)]++;
    for (int i = 1; i <= 6; i++)
        cr_assert_eq(seen[i], 1);
    cr_assert_eq(atomic_load(&max_running), 2);
    close(fd);
}
