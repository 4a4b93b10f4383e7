/*
 * test_ipc_client.c: the worker's non-blocking supervisor client (src/http/ipc_client.c)
 * on a real h2o event loop against a scripted fake supervisor thread that speaks the
 * frame protocol with the blocking helpers of include/rs/ipc.h: round trips, replies out
 * of order and in byte-sized pieces, a large body, timeouts and late replies, cancelled
 * calls, a dropped connection failing every pending call at once, a malformed frame,
 * no supervisor (fail fast, back off) and reconnection. Runs in: the test process.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "http/ipc_client.h"
#include "rs/err.h"
#include "rs/ipc.h"

/* ---- fake supervisor ------------------------------------------------------------ */

typedef struct fake fake_t;
typedef void (*script_fn)(fake_t *f, int fd);

struct fake {
    char dir[64];
    char path[128];
    int lfd;
    pthread_t th;
    script_fn script;
    int nconn; /* connections to serve, one after another */
    int arg;
};

static void *fake_main(void *p)
{
    fake_t *f = p;
    for (int i = 0; i < f->nconn; i++) {
        int fd = accept(f->lfd, NULL, NULL);
        if (fd < 0)
            break;
        f->script(f, fd);
        close(fd);
    }
    return NULL;
}

static void fake_listen(fake_t *f)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    cr_assert(strlen(f->path) < sizeof(sa.sun_path));
    memcpy(sa.sun_path, f->path, strlen(f->path) + 1);
    f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    cr_assert(f->lfd >= 0);
    unlink(f->path);
    cr_assert_eq(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    cr_assert_eq(listen(f->lfd, 16), 0);
}

static void fake_start(fake_t *f, script_fn script, int nconn)
{
    f->script = script;
    f->nconn = nconn;
    fake_listen(f);
    cr_assert_eq(pthread_create(&f->th, NULL, fake_main, f), 0);
}

static void fake_stop(fake_t *f)
{
    pthread_join(f->th, NULL);
    close(f->lfd);
    unlink(f->path);
}

static void fake_init(fake_t *f)
{
    memset(f, 0, sizeof(*f));
    signal(SIGPIPE, SIG_IGN); /* as in workers: a closed peer is an error, not a signal */
    snprintf(f->dir, sizeof(f->dir), "/tmp/rs-ipcc-XXXXXX");
    cr_assert(mkdtemp(f->dir) != NULL);
    rs_ipc_socket_path(f->dir, "ddb", f->path, sizeof(f->path));
}

static void fake_fini(fake_t *f)
{
    unlink(f->path);
    rmdir(f->dir);
}

/* read one request frame; the test fails if it is not a request */
static uint64_t read_req(int fd, char **meta, void **body, rs_ipc_hdr_t *h)
{
    cr_assert_eq(rs_ipc_read_frame(fd, h, meta, body), 0);
    cr_assert_eq(h->type, RS_IPC_REQUEST);
    return h->id;
}

/* answer with status 200 and meta {"status":200,"headers":{"x-echo": <request meta>}} */
static void answer(int fd, uint64_t id, const char *req_meta, const void *body, size_t blen)
{
    char meta[512];
    snprintf(meta, sizeof(meta), "{\"status\":200,\"headers\":{\"x-echo\":\"%s\"}}", req_meta);
    /* the client may be gone already (cancel/destroy tests): errors are not failures */
    (void)rs_ipc_write_frame(fd, RS_IPC_RESPONSE, id, meta, strlen(meta), body, blen, -1);
}

static void script_echo(fake_t *f, int fd)
{
    (void)f;
    for (;;) {
        rs_ipc_hdr_t h;
        char *meta = NULL;
        void *body = NULL;
        if (rs_ipc_read_frame(fd, &h, &meta, &body) != 0)
            return;
        answer(fd, h.id, meta, body, h.body_len);
        free(meta);
        free(body);
    }
}

/* ---- client side helpers ------------------------------------------------------------ */

typedef struct result {
    int done;
    rs_ipc_outcome_t outcome;
    char meta[512];
    size_t body_len;
    unsigned char body_first, body_last;
    int order; /* completion order */
} result_t;

static int completions;

static void on_done(void *arg, rs_ipc_outcome_t outcome, const rs_ipc_reply_t *r)
{
    result_t *res = arg;
    res->done++;
    res->outcome = outcome;
    res->order = ++completions;
    if (r != NULL) {
        size_t n = r->meta_len < sizeof(res->meta) - 1 ? r->meta_len : sizeof(res->meta) - 1;
        memcpy(res->meta, r->meta, n);
        res->meta[n] = '\0';
        res->body_len = r->body_len;
        if (r->body_len > 0) {
            res->body_first = ((const unsigned char *)r->body)[0];
            res->body_last = ((const unsigned char *)r->body)[r->body_len - 1];
        }
    }
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* run the loop until every result has completed once (or the deadline) */
static void run_until(h2o_evloop_t *loop, result_t **r, size_t n, int ms)
{
    int64_t end = now_ms() + ms;
    for (;;) {
        size_t done = 0;
        for (size_t i = 0; i < n; i++)
            done += r[i]->done > 0;
        if (done == n || now_ms() > end)
            return;
        h2o_evloop_run(loop, 10);
    }
}

static void run_for(h2o_evloop_t *loop, int ms)
{
    int64_t end = now_ms() + ms;
    while (now_ms() < end)
        h2o_evloop_run(loop, 10);
}

/* let h2o free the closed sockets, then the loop (LeakSanitizer-clean) */
static void free_loop(h2o_evloop_t *loop)
{
    h2o_evloop_run(loop, 0);
    h2o_evloop_destroy(loop);
}

static rs_ipc_client_t *client(h2o_evloop_t *loop, fake_t *f, uint32_t timeout_ms)
{
    rs_ipc_client_t *c = NULL;
    cr_assert_eq(rs_ipc_client_create(loop, f->dir, "ddb", timeout_ms, &c), 0);
    return c;
}

/* ---- tests ---------------------------------------------------------------------------- */

Test(ipc_client, round_trip)
{
    fake_t f;
    fake_init(&f);
    fake_start(&f, script_echo, 1);
    h2o_evloop_t *loop = h2o_evloop_create();
    rs_ipc_client_t *c = client(loop, &f, 5000);
    rs_ipc_call_t call;
    result_t res;
    memset(&call, 0, sizeof(call));
    memset(&res, 0, sizeof(res));
    cr_assert_eq(rs_ipc_call_start(c, &call, "m1", 2, "hello", 5, on_done, &res), 0);
    cr_assert(rs_ipc_call_pending(&call));
    result_t *rp = &res;
    run_until(loop, &rp, 1, 3000);
    cr_assert_eq(res.done, 1);
    cr_assert_eq(res.outcome, RS_IPC_OK);
    cr_assert_str_eq(res.meta, "{\"status\":200,\"headers\":{\"x-echo\":\"m1\"}}");
    cr_assert_eq(res.body_len, 5);
    cr_assert_eq(res.body_first, 'h');
    cr_assert_eq(res.body_last, 'o');
    cr_assert(!rs_ipc_call_pending(&call));
    rs_ipc_client_stats_t st;
    rs_ipc_client_stats(c, &st);
    cr_assert_eq(st.calls, 1);
    cr_assert_eq(st.replies, 1);
    cr_assert_eq(st.pending, 0);
    cr_assert_eq(st.connected, 1);
    rs_ipc_client_destroy(c);
    free_loop(loop);
    fake_stop(&f);
    fake_fini(&f);
}

static void script_reverse(fake_t *f, int fd)
{
    /* read arg requests, answer them last-first, each reply written byte by byte */
    uint64_t ids[8];
    char *metas[8];
    for (int i = 0; i < f->arg; i++) {
        rs_ipc_hdr_t h;
        void *body = NULL;
        ids[i] = read_req(fd, &metas[i], &body, &h);
        free(body);
    }
    for (int i = f->arg - 1; i >= 0; i--) {
        char meta[128];
        snprintf(meta, sizeof(meta), "{\"status\":200,\"headers\":{\"x-echo\":\"%s\"}}", metas[i]);
        rs_ipc_hdr_t h;
        rs_ipc_hdr_init(&h, RS_IPC_RESPONSE, ids[i], strlen(meta), 3);
        char frame[256];
        size_t n = 0;
        memcpy(frame, &h, sizeof(h));
        n += sizeof(h);
        memcpy(frame + n, meta, strlen(meta));
        n += strlen(meta);
        memcpy(frame + n, "xyz", 3);
        n += 3;
        for (size_t k = 0; k < n; k++) {
            cr_assert_eq(write(fd, frame + k, 1), 1);
            if (k % 7 == 0)
                usleep(200);
        }
        free(metas[i]);
    }
    char b;
    while (read(fd, &b, 1) > 0) /* until the client closes */
        ;
}

Test(ipc_client, out_of_order_and_fragmented)
{
    fake_t f;
    fake_init(&f);
    f.arg = 4;
    fake_start(&f, script_reverse, 1);
    h2o_evloop_t *loop = h2o_evloop_create();
    rs_ipc_client_t *c = client(loop, &f, 5000);
    rs_ipc_call_t calls[4];
    result_t res[4];
    result_t *rp[4];
    char meta[4][16];
    memset(calls, 0, sizeof(calls));
    memset(res, 0, sizeof(res));
    completions = 0;
    for (int i = 0; i < 4; i++) {
        snprintf(meta[i], sizeof(meta[i]), "req%d", i);
        rp[i] = &res[i];
        cr_assert_eq(
            rs_ipc_call_start(c, &calls[i], meta[i], strlen(meta[i]), NULL, 0, on_done, &res[i]),
            0);
    }
    run_until(loop, rp, 4, 5000);
    for (int i = 0; i < 4; i++) {
        char want[96];
        snprintf(want, sizeof(want), "{\"status\":200,\"headers\":{\"x-echo\":\"req%d\"}}", i);
        cr_assert_eq(res[i].done, 1);
        cr_assert_eq(res[i].outcome, RS_IPC_OK);
        cr_assert_str_eq(res[i].meta, want);
        cr_assert_eq(res[i].body_len, 3);
        cr_assert_eq(res[i].order, 4 - i, "call %d completed as %d", i, res[i].order);
    }
    rs_ipc_client_destroy(c);
    free_loop(loop);
    fake_stop(&f);
    fake_fini(&f);
}

Test(ipc_client, large_body)
{
    fake_t f;
    fake_init(&f);
    fake_start(&f, script_echo, 1);
    h2o_evloop_t *loop = h2o_evloop_create();
    rs_ipc_client_t *c = client(loop, &f, 10000);
    size_t n = 12u * 1024 * 1024;
    unsigned char *body = malloc(n);
    for (size_t i = 0; i < n; i++)
        body[i] = (unsigned char)(i * 31 + 7);
    rs_ipc_call_t call;
    result_t res, *rp = &res;
    memset(&call, 0, sizeof(call));
    memset(&res, 0, sizeof(res));
    cr_assert_eq(rs_ipc_call_start(c, &call, "big", 3, body, n, on_done, &res), 0);
    free(body); /* the client copied it */
    run_until(loop, &rp, 1, 10000);
    cr_assert_eq(res.outcome, RS_IPC_OK);
    cr_assert_eq(res.body_len, n);
    cr_assert_eq(res.body_first, 7);
    cr_assert_eq(res.body_last, (unsigned char)((n - 1) * 31 + 7));
    rs_ipc_client_destroy(c);
    free_loop(loop);
    fake_stop(&f);
    fake_fini(&f);
}

static void script_slow(fake_t *f, int fd)
{
    /* read one request, answer it only after arg ms, then echo the rest */
    rs_ipc_hdr_t h;
    char *meta;
    void *body;
    uint64_t id = read_req(fd, &meta, &body, &h);
    usleep((useconds_t)f->arg * 1000);
    answer(fd, id, meta, NULL, 0);
    free(meta);
    free(body);
    script_echo(f, fd);
}

Test(ipc_client, timeout_then_late_reply_dropped)
{
    fake_t f;
    fake_init(&f);
    f.arg = 1000; /* the reply comes long after the 100 ms timeout */
    fake_start(&f, script_slow, 1);
    h2o_evloop_t *loop = h2o_evloop_create();
    rs_ipc_client_t *c = client(loop, &f, 100);
    rs_ipc_call_t call;
    result_t res, *rp = &res;
    memset(&call, 0, sizeof(call));
    memset(&res, 0, sizeof(res));
    int64_t t0 = now_ms();
    cr_assert_eq(rs_ipc_call_start(c, &call, "slow", 4, NULL, 0, on_done, &res), 0);
    run_until(loop, &rp, 1, 3000);
    int64_t took = now_ms() - t0;
    cr_assert_eq(res.outcome, RS_IPC_TIMEOUT);
    cr_assert(took >= 90 && took < 900, "timed out after %lld ms", (long long)took);
    run_for(loop, 1300); /* the late reply arrives and must be dropped */
    cr_assert_eq(res.done, 1, "callback ran %d times", res.done);
    rs_ipc_client_stats_t st;
    rs_ipc_client_stats(c, &st);
    cr_assert_eq(st.timeouts, 1);
    cr_assert_eq(st.late_replies, 1);
    /* the connection is still good */
    rs_ipc_call_t call2;
    result_t res2, *rp2 = &res2;
    memset(&call2, 0, sizeof(call2));
    memset(&res2, 0, sizeof(res2));
    cr_assert_eq(rs_ipc_call_start(c, &call2, "next", 4, NULL, 0, on_done, &res2), 0);
    run_until(loop, &rp2, 1, 3000);
    cr_assert_eq(res2.outcome, RS_IPC_OK);
    rs_ipc_client_destroy(c);
    free_loop(loop);
    fake_stop(&f);
    fake_fini(&f);
}

Test(ipc_client, cancelled_call_never_called_back)
{
    fake_t f;
    fake_init(&f);
    f.arg = 100;
    fake_start(&f, script_slow, 1);
    h2o_evloop_t *loop = h2o_evloop_create();
    rs_ipc_client_t *c = client(loop, &f, 5000);
    rs_ipc_call_t call;
    result_t res;
    memset(&call, 0, sizeof(call));
    memset(&res, 0, sizeof(res));
    cr_assert_eq(rs_ipc_call_start(c, &call, "gone", 4, NULL, 0, on_done, &res), 0);
    run_for(loop, 20);
    rs_ipc_call_cancel(&call);
    cr_assert(!rs_ipc_call_pending(&call));
    rs_ipc_call_cancel(&call); /* twice is harmless */
    run_for(loop, 400);
    cr_assert_eq(res.done, 0);
    rs_ipc_client_stats_t st;
    rs_ipc_client_stats(c, &st);
    cr_assert_eq(st.late_replies, 1);
    cr_assert_eq(st.pending, 0);
    rs_ipc_client_destroy(c);
    free_loop(loop);
    fake_stop(&f);
    fake_fini(&f);
}

static void script_read_then_close(fake_t *f, int fd)
{
    for (int i = 0; i < f->arg; i++) {
        rs_ipc_hdr_t h;
        char *meta;
        void *body;
        read_req(fd, &meta, &body, &h);
        free(meta);
        free(body);
    }
}

Test(ipc_client, drop_fails_all_pending_then_reconnects)
{
    fake_t f;
    fake_init(&f);
    f.arg = 3;
    fake_start(&f, script_read_then_close, 1);
    h2o_evloop_t *loop = h2o_evloop_create();
    rs_ipc_client_t *c = client(loop, &f, 5000);
    rs_ipc_call_t calls[3];
    result_t res[3], *rp[3];
    memset(calls, 0, sizeof(calls));
    memset(res, 0, sizeof(res));
    for (int i = 0; i < 3; i++) {
        rp[i] = &res[i];
        cr_assert_eq(rs_ipc_call_start(c, &calls[i], "x", 1, NULL, 0, on_done, &res[i]), 0);
    }
    int64_t t0 = now_ms();
    run_until(loop, rp, 3, 3000);
    cr_assert(now_ms() - t0 < 1000, "failing took %lld ms", (long long)(now_ms() - t0));
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(res[i].done, 1);
        cr_assert_eq(res[i].outcome, RS_IPC_DROPPED);
    }
    fake_stop(&f);

    /* the supervisor comes back: the next call reconnects */
    fake_start(&f, script_echo, 1);
    rs_ipc_call_t call;
    result_t r2, *rp2 = &r2;
    memset(&call, 0, sizeof(call));
    memset(&r2, 0, sizeof(r2));
    cr_assert_eq(rs_ipc_call_start(c, &call, "again", 5, NULL, 0, on_done, &r2), 0);
    run_until(loop, &rp2, 1, 3000);
    cr_assert_eq(r2.outcome, RS_IPC_OK);
    rs_ipc_client_stats_t st;
    rs_ipc_client_stats(c, &st);
    cr_assert_eq(st.connects, 2);
    cr_assert_eq(st.dropped, 3);
    rs_ipc_client_destroy(c);
    free_loop(loop);
    fake_stop(&f);
    fake_fini(&f);
}

Test(ipc_client, no_supervisor_fails_fast_with_backoff)
{
    fake_t f;
    fake_init(&f);
    h2o_evloop_t *loop = h2o_evloop_create();
    rs_ipc_client_t *c = client(loop, &f, 5000);
    rs_ipc_call_t call;
    result_t res;
    memset(&call, 0, sizeof(call));
    memset(&res, 0, sizeof(res));
    cr_assert_eq(rs_ipc_call_start(c, &call, "x", 1, NULL, 0, on_done, &res), RS_IPC_NOCONN);
    cr_assert(!rs_ipc_call_pending(&call));
    /* within the backoff delay no new connect(2) is attempted */
    cr_assert_eq(rs_ipc_call_start(c, &call, "x", 1, NULL, 0, on_done, &res), RS_IPC_NOCONN);
    rs_ipc_client_stats_t st;
    rs_ipc_client_stats(c, &st);
    cr_assert_eq(st.connect_failures, 1);
    cr_assert_eq(st.noconn, 2);
    /* a stale socket file (nobody listening) is refused the same way */
    fake_listen(&f);
    close(f.lfd);
    run_for(loop, 60);
    cr_assert_eq(rs_ipc_call_start(c, &call, "x", 1, NULL, 0, on_done, &res), RS_IPC_NOCONN);
    rs_ipc_client_stats(c, &st);
    cr_assert_eq(st.connect_failures, 2);
    /* the supervisor appears: after the backoff the call goes through */
    fake_start(&f, script_echo, 1);
    run_for(loop, 120);
    result_t *rp = &res;
    cr_assert_eq(rs_ipc_call_start(c, &call, "x", 1, NULL, 0, on_done, &res), 0);
    run_until(loop, &rp, 1, 3000);
    cr_assert_eq(res.done, 1);
    cr_assert_eq(res.outcome, RS_IPC_OK);
    rs_ipc_client_destroy(c);
    free_loop(loop);
    fake_stop(&f);
    fake_fini(&f);
}

static void script_garbage(fake_t *f, int fd)
{
    (void)f;
    rs_ipc_hdr_t h;
    char *meta;
    void *body;
    read_req(fd, &meta, &body, &h);
    free(meta);
    free(body);
    rs_ipc_hdr_t bad;
    rs_ipc_hdr_init(&bad, RS_IPC_RESPONSE, h.id, 2, 0);
    bad.magic = 0x12345678u;
    cr_assert_eq(write(fd, &bad, sizeof(bad)), (ssize_t)sizeof(bad));
    char b;
    while (read(fd, &b, 1) > 0)
        ;
}

Test(ipc_client, malformed_frame_drops_connection)
{
    fake_t f;
    fake_init(&f);
    fake_start(&f, script_garbage, 1);
    h2o_evloop_t *loop = h2o_evloop_create();
    rs_ipc_client_t *c = client(loop, &f, 5000);
    rs_ipc_call_t call;
    result_t res, *rp = &res;
    memset(&call, 0, sizeof(call));
    memset(&res, 0, sizeof(res));
    cr_assert_eq(rs_ipc_call_start(c, &call, "x", 1, NULL, 0, on_done, &res), 0);
    run_until(loop, &rp, 1, 3000);
    cr_assert_eq(res.outcome, RS_IPC_DROPPED);
    rs_ipc_client_stats_t st;
    rs_ipc_client_stats(c, &st);
    cr_assert_eq(st.connected, 0);
    rs_ipc_client_destroy(c);
    free_loop(loop);
    fake_stop(&f);
    fake_fini(&f);
}

static void script_ping(fake_t *f, int fd)
{
    /* take the request, ping, expect the pong, then answer the request */
    rs_ipc_hdr_t h, p;
    char *meta, *pm;
    void *body, *pb;
    uint64_t id = read_req(fd, &meta, &body, &h);
    cr_assert_eq(rs_ipc_write_frame(fd, RS_IPC_PING, 77, NULL, 0, NULL, 0, -1), 0);
    cr_assert_eq(rs_ipc_read_frame(fd, &p, &pm, &pb), 0);
    cr_assert_eq(p.type, RS_IPC_PONG);
    cr_assert_eq(p.id, 77);
    answer(fd, id, meta, NULL, 0);
    free(meta);
    free(body);
    free(pm);
    free(pb);
    script_echo(f, fd);
}

Test(ipc_client, answers_ping)
{
    fake_t f;
    fake_init(&f);
    fake_start(&f, script_ping, 1);
    h2o_evloop_t *loop = h2o_evloop_create();
    rs_ipc_client_t *c = client(loop, &f, 5000);
    rs_ipc_call_t call;
    result_t res, *rp = &res;
    memset(&call, 0, sizeof(call));
    memset(&res, 0, sizeof(res));
    cr_assert_eq(rs_ipc_call_start(c, &call, "p", 1, NULL, 0, on_done, &res), 0);
    run_until(loop, &rp, 1, 3000);
    cr_assert_eq(res.outcome, RS_IPC_OK);
    rs_ipc_client_destroy(c);
    free_loop(loop);
    fake_stop(&f);
    fake_fini(&f);
}

Test(ipc_client, destroy_fails_pending)
{
    fake_t f;
    fake_init(&f);
    f.arg = 300;
    fake_start(&f, script_slow, 1);
    h2o_evloop_t *loop = h2o_evloop_create();
    rs_ipc_client_t *c = client(loop, &f, 5000);
    rs_ipc_call_t call;
    result_t res;
    memset(&call, 0, sizeof(call));
    memset(&res, 0, sizeof(res));
    cr_assert_eq(rs_ipc_call_start(c, &call, "x", 1, NULL, 0, on_done, &res), 0);
    run_for(loop, 20);
    rs_ipc_client_destroy(c);
    free_loop(loop);
    cr_assert_eq(res.done, 1);
    cr_assert_eq(res.outcome, RS_IPC_DROPPED);
    fake_stop(&f);
    fake_fini(&f);
}

Test(ipc_client, path_too_long)
{
    h2o_evloop_t *loop = h2o_evloop_create();
    char dir[200];
    memset(dir, 'a', sizeof(dir) - 1);
    dir[0] = '/';
    dir[sizeof(dir) - 1] = '\0';
    rs_ipc_client_t *c = NULL;
    cr_assert_eq(rs_ipc_client_create(loop, dir, "ddb", 1000, &c), RS_EINVAL);
    free_loop(loop);
}
