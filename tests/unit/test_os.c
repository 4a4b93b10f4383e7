/*
 * test_os.c: the OS layer (src/os): clocks and deadlines, whole reads and writes (short
 * writes, EINTR, deadlines, EOF), mkdir -p, rm -r, atomic files, TCP and Unix sockets,
 * capped detached threads and the monotonic condition wait.
 * Runs in: tests (every test in its own process: signal handlers and umask stay local).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rs/err.h"
#include "rs/os.h"

/* a regression must fail, not hang */
TestSuite(os_clock, .timeout = 30);
TestSuite(os_io, .timeout = 30);
TestSuite(os_fs, .timeout = 30);
TestSuite(os_net, .timeout = 30);
TestSuite(os_thread, .timeout = 30);

/* ---- helpers ---------------------------------------------------------------------- */

static void msleep(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void pair(int sv[2], int nonblock_a)
{
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    if (nonblock_a)
        fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
}

static void small_sndbuf(int fd)
{
    int sz = 4096;
    cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)), 0);
}

static char tmpdir[256];

static void mk_tmpdir(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/rs-test-os-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void rm_tmpdir(void)
{
    if (tmpdir[0])
        rs_rm_r(tmpdir);
}

static void touch(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

static int isdir(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* ---- clocks ----------------------------------------------------------------------- */

Test(os_clock, monotonic_and_consistent)
{
    int64_t ns = rs_mono_ns(), us = rs_mono_us(), ms = rs_mono_ms();
    for (int i = 0; i < 100000; i++) {
        int64_t n2 = rs_mono_ns(), u2 = rs_mono_us(), m2 = rs_mono_ms();
        cr_assert_geq(n2, ns);
        cr_assert_geq(u2, us);
        cr_assert_geq(m2, ms);
        ns = n2, us = u2, ms = m2;
    }
    /* the three units read the same clock */
    int64_t a = rs_mono_ms(), b = rs_mono_us() / 1000, c = rs_mono_ns() / 1000000;
    cr_assert_leq(b - a, 1);
    cr_assert_leq(c - a, 1);
    int64_t t0 = rs_mono_ms();
    msleep(50);
    int64_t dt = rs_mono_ms() - t0;
    cr_assert(dt >= 50 && dt < 1000, "slept 50 ms, clock moved %lld", (long long)dt);
}

Test(os_clock, wall_clock_is_the_epoch)
{
    int64_t w = rs_wall_ms();
    int64_t t = (int64_t)time(NULL) * 1000;
    cr_assert(w >= t - 1000 && w <= t + 2000, "wall %lld vs time() %lld", (long long)w,
              (long long)t);
}

Test(os_clock, deadlines)
{
    cr_assert_eq(rs_deadline_ms(-1), -1);
    cr_assert_eq(rs_deadline_left(-1), -1);
    int64_t d = rs_deadline_ms(1000);
    int left = rs_deadline_left(d);
    cr_assert(left > 900 && left <= 1000, "left %d", left);
    cr_assert_eq(rs_deadline_left(rs_mono_ms() - 5), 0, "a passed deadline has 0 left");
    cr_assert_eq(rs_deadline_left(rs_deadline_ms(0)), 0);
    cr_assert_eq(rs_deadline_left(rs_mono_ms() + ((int64_t)1 << 40)), 0x7fffffff);
}

/* ---- whole reads and writes ------------------------------------------------------- */

#define BIG (1 << 20)

typedef struct reader {
    int fd;
    size_t want;
    unsigned char *got;
    size_t n;
    int slow;
    pthread_t kill_target; /* when set: signal it before reading */
    int kills;
} reader_t;

static void *reader_main(void *p)
{
    reader_t *r = p;
    for (int i = 0; i < r->kills; i++) {
        msleep(20);
        pthread_kill(r->kill_target, SIGUSR1);
    }
    while (r->n < r->want) {
        ssize_t k = read(r->fd, r->got + r->n, r->slow ? 1000 : r->want - r->n);
        if (k <= 0)
            break;
        r->n += (size_t)k;
        if (r->slow && (r->n / 1000) % 64 == 0)
            msleep(1);
    }
    return NULL;
}

static unsigned char *pattern(size_t n)
{
    unsigned char *b = malloc(n);
    cr_assert_not_null(b);
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)(i * 7 + i / 251);
    return b;
}

Test(os_io, short_writes_on_a_nonblocking_socket_are_resumed)
{
    int sv[2];
    pair(sv, 1);
    small_sndbuf(sv[0]);
    unsigned char *src = pattern(BIG);
    reader_t r = {.fd = sv[1], .want = BIG, .got = calloc(1, BIG), .slow = 1};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, reader_main, &r), 0);
    cr_assert_eq(rs_write_all(sv[0], src, BIG, -1), 0, "errno %d", errno);
    pthread_join(t, NULL);
    cr_assert_eq(r.n, (size_t)BIG);
    cr_assert_eq(memcmp(src, r.got, BIG), 0);
    free(src);
    free(r.got);
}

Test(os_io, writev_all_with_empty_and_many_pieces)
{
    int sv[2];
    pair(sv, 1);
    small_sndbuf(sv[0]);
    unsigned char *src = pattern(BIG);
    /* 2048 pieces (more than one writev may take), some empty */
    struct iovec iov[2048];
    size_t off = 0;
    for (int i = 0; i < 2048; i++) {
        size_t len = i % 3 == 0 ? 0 : 768;
        iov[i] = (struct iovec){.iov_base = src + off, .iov_len = len};
        off += len;
    }
    reader_t r = {.fd = sv[1], .want = off, .got = calloc(1, BIG)};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, reader_main, &r), 0);
    cr_assert_eq(rs_writev_all(sv[0], iov, 2048, rs_deadline_ms(10000)), 0, "errno %d", errno);
    pthread_join(t, NULL);
    cr_assert_eq(r.n, off);
    cr_assert_eq(memcmp(src, r.got, off), 0);
    free(src);
    free(r.got);
}

Test(os_io, iov_advance)
{
    char a[4], b[6], c[3];
    struct iovec v[3] = {{a, 4}, {b, 6}, {c, 3}}, *p = v;
    int n = 3;
    rs_iov_advance(&p, &n, 2);
    cr_assert_eq(n, 3);
    cr_assert_eq(p->iov_base, a + 2);
    cr_assert_eq(p->iov_len, 2);
    rs_iov_advance(&p, &n, 2 + 6);
    cr_assert_eq(n, 1);
    cr_assert_eq(p->iov_base, c);
    cr_assert_eq(p->iov_len, 3);
    rs_iov_advance(&p, &n, 3);
    cr_assert_eq(n, 0);
}

static volatile sig_atomic_t signals;

static void on_usr1(int sig)
{
    (void)sig;
    signals++;
}

static void no_restart_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1; /* no SA_RESTART: blocking calls fail with EINTR */
    sigemptyset(&sa.sa_mask);
    cr_assert_eq(sigaction(SIGUSR1, &sa, NULL), 0);
    signals = 0;
}

typedef struct late {
    int fd;
    pthread_t target;
    const char *text;
} late_t;

static void *late_writer(void *p)
{
    late_t *l = p;
    for (int i = 0; i < 3; i++) {
        msleep(30);
        pthread_kill(l->target, SIGUSR1);
    }
    msleep(30);
    write(l->fd, l->text, strlen(l->text));
    return NULL;
}

static void read_through_signals(int64_t deadline)
{
    int sv[2];
    pair(sv, 0);
    no_restart_handler();
    late_t l = {.fd = sv[1], .target = pthread_self(), .text = "hello"};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, late_writer, &l), 0);
    char buf[6] = {0};
    cr_assert_eq(rs_read_full(sv[0], buf, 5, deadline), 0, "errno %d", errno);
    pthread_join(t, NULL);
    cr_assert_str_eq(buf, "hello");
    cr_assert_geq(signals, 3, "the read was interrupted");
    close(sv[0]);
    close(sv[1]);
}

Test(os_io, blocking_read_retries_eintr)
{
    read_through_signals(-1);
}

Test(os_io, read_with_deadline_retries_eintr)
{
    read_through_signals(rs_deadline_ms(5000));
}

Test(os_io, blocking_write_retries_eintr)
{
    int sv[2];
    pair(sv, 0);
    small_sndbuf(sv[0]);
    no_restart_handler();
    unsigned char *src = pattern(BIG);
    /* the reader signals the writer (blocked on a full buffer) before it drains it */
    reader_t r = {
        .fd = sv[1], .want = BIG, .got = calloc(1, BIG), .kill_target = pthread_self(), .kills = 3};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, reader_main, &r), 0);
    cr_assert_eq(rs_write_all(sv[0], src, BIG, -1), 0, "errno %d", errno);
    pthread_join(t, NULL);
    cr_assert_geq(signals, 3);
    cr_assert_eq(r.n, (size_t)BIG);
    cr_assert_eq(memcmp(src, r.got, BIG), 0);
    free(src);
    free(r.got);
}

static void read_times_out(int nonblock)
{
    int sv[2];
    pair(sv, nonblock);
    char b[4];
    int64_t t0 = rs_mono_ms();
    errno = 0;
    cr_assert_eq(rs_read_full(sv[0], b, sizeof(b), rs_deadline_ms(200)), RS_ERR);
    int64_t dt = rs_mono_ms() - t0;
    cr_assert_eq(errno, ETIMEDOUT);
    cr_assert(dt >= 195 && dt < 600, "timed out after %lld ms", (long long)dt);
    /* a deadline already passed fails at once */
    t0 = rs_mono_ms();
    cr_assert_eq(rs_read_full(sv[0], b, sizeof(b), rs_mono_ms() - 1), RS_ERR);
    cr_assert_eq(errno, ETIMEDOUT);
    cr_assert_lt(rs_mono_ms() - t0, 100);
    close(sv[0]);
    close(sv[1]);
}

Test(os_io, read_on_a_silent_nonblocking_socket_times_out)
{
    read_times_out(1);
}

Test(os_io, read_on_a_silent_blocking_socket_times_out)
{
    read_times_out(0);
}

Test(os_io, read_times_out_after_a_partial_message)
{
    int sv[2];
    pair(sv, 1);
    write(sv[1], "ab", 2);
    char b[4];
    int64_t t0 = rs_mono_ms();
    cr_assert_eq(rs_read_full(sv[0], b, sizeof(b), rs_deadline_ms(150)), RS_ERR);
    cr_assert_eq(errno, ETIMEDOUT);
    cr_assert_geq(rs_mono_ms() - t0, 145);
}

Test(os_io, write_to_a_full_socket_times_out)
{
    int sv[2];
    pair(sv, 1);
    small_sndbuf(sv[0]);
    unsigned char *src = pattern(BIG);
    int64_t t0 = rs_mono_ms();
    cr_assert_eq(rs_write_all(sv[0], src, BIG, rs_deadline_ms(200)), RS_ERR);
    int64_t dt = rs_mono_ms() - t0;
    cr_assert_eq(errno, ETIMEDOUT);
    cr_assert(dt >= 195 && dt < 600, "timed out after %lld ms", (long long)dt);
    free(src);
}

Test(os_io, eof_before_the_first_byte_and_in_the_middle)
{
    int sv[2];
    char b[10];
    pair(sv, 0);
    close(sv[1]);
    errno = EINVAL;
    cr_assert_eq(rs_read_full(sv[0], b, sizeof(b), -1), RS_ENOENT, "clean EOF");
    close(sv[0]);

    pair(sv, 1);
    write(sv[1], "abc", 3);
    close(sv[1]);
    errno = EINVAL;
    cr_assert_eq(rs_read_full(sv[0], b, sizeof(b), rs_deadline_ms(1000)), RS_ERR);
    cr_assert_eq(errno, 0, "EOF in the middle: errno 0");
    close(sv[0]);

    /* nothing to read: success without a syscall */
    cr_assert_eq(rs_read_full(-1, b, 0, -1), 0);
}

Test(os_io, write_errors_are_reported)
{
    int sv[2];
    pair(sv, 0);
    close(sv[1]);
    signal(SIGPIPE, SIG_IGN);
    cr_assert_eq(rs_write_all(sv[0], "x", 1, -1), RS_ERR);
    cr_assert_eq(errno, EPIPE);
    cr_assert_eq(rs_write_all(-1, "x", 1, -1), RS_ERR);
    cr_assert_eq(errno, EBADF);
}

/* ---- files and directories -------------------------------------------------------- */

Test(os_fs, mkdir_p, .init = mk_tmpdir, .fini = rm_tmpdir)
{
    char p[512], f[512];
    snprintf(p, sizeof(p), "%s/a/b/c", tmpdir);
    cr_assert_eq(rs_mkdir_p(p, 0700), 0);
    cr_assert(isdir(p));
    struct stat st;
    cr_assert_eq(stat(p, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0700);
    cr_assert_eq(rs_mkdir_p(p, 0700), 0, "existing: fine");
    snprintf(p, sizeof(p), "%s/a/b/d/", tmpdir);
    cr_assert_eq(rs_mkdir_p(p, 0755), 0, "trailing slash");
    cr_assert(isdir(p));

    /* a file in the way, as the last component or in the middle */
    snprintf(f, sizeof(f), "%s/a/file", tmpdir);
    touch(f, "x");
    cr_assert_eq(rs_mkdir_p(f, 0700), RS_ERR);
    cr_assert_eq(errno, ENOTDIR);
    snprintf(p, sizeof(p), "%s/a/file/sub", tmpdir);
    cr_assert_eq(rs_mkdir_p(p, 0700), RS_ERR);
    cr_assert_eq(errno, ENOTDIR);

    cr_assert_eq(rs_mkdir_p("", 0700), RS_ERR);
    char longp[5000];
    memset(longp, 'x', sizeof(longp) - 1);
    longp[sizeof(longp) - 1] = '\0';
    cr_assert_eq(rs_mkdir_p(longp, 0700), RS_ERR);
    cr_assert_eq(errno, ENAMETOOLONG);
}

Test(os_fs, rm_r_never_follows_symlinks, .init = mk_tmpdir, .fini = rm_tmpdir)
{
    char tree[512], p[600], outside[512], keep[600];
    snprintf(tree, sizeof(tree), "%s/tree", tmpdir);
    snprintf(outside, sizeof(outside), "%s/outside", tmpdir);
    snprintf(p, sizeof(p), "%s/x/y/z", tree);
    cr_assert_eq(rs_mkdir_p(p, 0700), 0);
    cr_assert_eq(rs_mkdir_p(outside, 0700), 0);
    snprintf(keep, sizeof(keep), "%s/keep", outside);
    touch(keep, "precious");
    snprintf(p, sizeof(p), "%s/x/y/z/f", tree);
    touch(p, "1");
    snprintf(p, sizeof(p), "%s/x/f", tree);
    touch(p, "2");
    /* symlinks to a directory and to a file outside the tree */
    snprintf(p, sizeof(p), "%s/x/link", tree);
    cr_assert_eq(symlink(outside, p), 0);
    snprintf(p, sizeof(p), "%s/x/y/flink", tree);
    cr_assert_eq(symlink(keep, p), 0);
    /* a read-only directory (an extracted archive) with an entry */
    snprintf(p, sizeof(p), "%s/ro", tree);
    cr_assert_eq(mkdir(p, 0700), 0);
    snprintf(p, sizeof(p), "%s/ro/f", tree);
    touch(p, "3");
    snprintf(p, sizeof(p), "%s/ro", tree);
    cr_assert_eq(chmod(p, 0500), 0);

    cr_assert_eq(rs_rm_r(tree), 0, "errno %d", errno);
    cr_assert(!exists(tree));
    cr_assert(isdir(outside), "the symlink's target directory stays");
    cr_assert(exists(keep), "and so does what it holds");

    /* a symlink given as the path itself goes, its target stays */
    snprintf(p, sizeof(p), "%s/toplink", tmpdir);
    cr_assert_eq(symlink(outside, p), 0);
    cr_assert_eq(rs_rm_r(p), 0);
    cr_assert(!exists(p));
    cr_assert(exists(keep));

    /* a plain file, a missing path, an empty path */
    cr_assert_eq(rs_rm_r(keep), 0);
    cr_assert(!exists(keep));
    cr_assert_eq(rs_rm_r(keep), 0, "missing is success");
    cr_assert_eq(rs_rm_r(""), RS_ERR);
}

static char *slurp(const char *path)
{
    static char buf[256];
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

Test(os_fs, write_file_atomic, .init = mk_tmpdir, .fini = rm_tmpdir)
{
    char p[512], tmp[600];
    snprintf(p, sizeof(p), "%s/state.json", tmpdir);
    umask(022);
    cr_assert_eq(rs_write_file_atomic(p, "one", 3, 0640), 0);
    cr_assert_str_eq(slurp(p), "one");
    struct stat st;
    cr_assert_eq(stat(p, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0640);
    cr_assert_eq(rs_write_file_atomic(p, "second", 6, 0600), 0, "replaces");
    cr_assert_str_eq(slurp(p), "second");
    cr_assert_eq(rs_write_file_atomic(p, "", 0, 0600), 0, "empty");
    cr_assert_str_eq(slurp(p), "");
    cr_assert_eq(rs_write_file_atomic(p, "third", 5, 0600), 0);

    /* the temporary file cannot be made (a directory in the way): old content kept */
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", p, (long)getpid());
    cr_assert_eq(mkdir(tmp, 0700), 0);
    cr_assert_eq(rs_write_file_atomic(p, "lost", 4, 0600), RS_ERR);
    cr_assert_str_eq(slurp(p), "third");
    rmdir(tmp);
    /* nothing but the file is left in the directory */
    cr_assert(!exists(tmp));

    snprintf(p, sizeof(p), "%s/missing/state.json", tmpdir);
    cr_assert_eq(rs_write_file_atomic(p, "x", 1, 0600), RS_ERR);
    cr_assert_eq(errno, ENOENT);
    /* a bare file name is written in the current directory */
    cr_assert_eq(chdir(tmpdir), 0);
    cr_assert_eq(rs_write_file_atomic("bare", "b", 1, 0600), 0);
    cr_assert_str_eq(slurp("bare"), "b");
}

/* ---- sockets ---------------------------------------------------------------------- */

static void exchange(int a, int b)
{
    char buf[8] = {0};
    cr_assert_eq(rs_write_all(a, "ping", 4, rs_deadline_ms(2000)), 0);
    cr_assert_eq(rs_read_full(b, buf, 4, rs_deadline_ms(2000)), 0);
    cr_assert_str_eq(buf, "ping");
}

Test(os_net, tcp_listen_and_connect_loopback)
{
    uint16_t port = 0;
    int l = rs_tcp_listen(NULL, 0, 8, 0, &port);
    cr_assert_geq(l, 0, "errno %d", errno);
    cr_assert_neq(port, 0);
    cr_assert(fcntl(l, F_GETFD) & FD_CLOEXEC);
    int c = rs_tcp_connect_loopback(port, 0);
    cr_assert_geq(c, 0);
    int s = accept(l, NULL, NULL);
    cr_assert_geq(s, 0);
    exchange(c, s);
    exchange(s, c);
    close(c);
    close(s);

    /* non-blocking: the connect may be in progress, the fd is usable once writable */
    c = rs_tcp_connect_loopback(port, RS_NET_NONBLOCK);
    cr_assert_geq(c, 0);
    cr_assert(fcntl(c, F_GETFL) & O_NONBLOCK);
    s = accept(l, NULL, NULL);
    cr_assert_geq(s, 0);
    exchange(c, s);
    close(c);
    close(s);

    /* the port is taken; a second listener on it fails */
    cr_assert_eq(rs_tcp_listen("127.0.0.1", port, 8, 0, NULL), RS_ERR);
    cr_assert_eq(errno, EADDRINUSE);
    close(l);
    /* nobody listens any more */
    cr_assert_eq(rs_tcp_connect_loopback(port, 0), RS_ERR);
    cr_assert_eq(errno, ECONNREFUSED);
}

Test(os_net, tcp_listen_addresses)
{
    uint16_t port = 0;
    cr_assert_eq(rs_tcp_listen("not-an-address", 0, 8, 0, &port), RS_EINVAL);
    cr_assert_eq(errno, EINVAL);
    int l = rs_tcp_listen("0.0.0.0", 0, 8, RS_NET_NONBLOCK, &port);
    cr_assert_geq(l, 0);
    cr_assert(fcntl(l, F_GETFL) & O_NONBLOCK);
    close(l);
    l = rs_tcp_listen("::1", 0, 8, 0, &port);
    if (l >= 0) /* IPv6 may be off in the sandbox */
        close(l);
}

Test(os_net, free_port_is_free)
{
    uint16_t p = rs_tcp_free_port();
    cr_assert_neq(p, 0);
    int l = rs_tcp_listen("127.0.0.1", p, 8, 0, NULL);
    cr_assert_geq(l, 0, "the free port %u can be listened on", p);
    close(l);
}

Test(os_net, unix_listen_and_connect, .init = mk_tmpdir, .fini = rm_tmpdir)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/s.sock", tmpdir);
    umask(0); /* the socket is 0600 whatever the umask */
    int l = rs_unix_listen(path, 8);
    cr_assert_geq(l, 0, "errno %d", errno);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert(S_ISSOCK(st.st_mode));
    cr_assert_eq(st.st_mode & 0777, 0600);
    int c = rs_unix_connect(path, 0);
    cr_assert_geq(c, 0);
    int s = accept(l, NULL, NULL);
    cr_assert_geq(s, 0);
    exchange(c, s);
    close(c);
    close(s);
    /* a previous owner died without removing its socket: replaced */
    close(l);
    cr_assert(exists(path));
    cr_assert_eq(rs_unix_connect(path, 0), RS_ERR);
    cr_assert_eq(errno, ECONNREFUSED);
    l = rs_unix_listen(path, 8);
    cr_assert_geq(l, 0, "stale socket replaced, errno %d", errno);
    c = rs_unix_connect(path, RS_NET_NONBLOCK);
    cr_assert_geq(c, 0);
    s = accept(l, NULL, NULL);
    cr_assert_geq(s, 0);
    exchange(s, c);
    close(c);
    close(s);
    close(l);
}

Test(os_net, unix_path_too_long_or_missing, .init = mk_tmpdir, .fini = rm_tmpdir)
{
    char path[300];
    memset(path, 'a', sizeof(path) - 1);
    path[0] = '/';
    path[sizeof(path) - 1] = '\0';
    cr_assert_eq(rs_unix_listen(path, 8), RS_ERR);
    cr_assert_eq(errno, ENAMETOOLONG);
    cr_assert_eq(rs_unix_connect(path, 0), RS_ERR);
    cr_assert_eq(errno, ENAMETOOLONG);
    snprintf(path, sizeof(path), "%s/none.sock", tmpdir);
    cr_assert_eq(rs_unix_connect(path, 0), RS_ERR);
    cr_assert_eq(errno, ENOENT);
    snprintf(path, sizeof(path), "%s/no/dir.sock", tmpdir);
    cr_assert_eq(rs_unix_listen(path, 8), RS_ERR);
    cr_assert_eq(errno, ENOENT);
}

/* ---- capped detached threads ------------------------------------------------------ */

typedef struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int open;    /* how many waiting threads may leave */
    int started; /* threads that entered */
    int left;    /* threads that went through the gate */
    int64_t started_ms[8];
} gate_t;

static gate_t G = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void gate_init(void)
{
    rs_cond_init_mono(&G.cv); /* rs_cond_wait_ms needs the monotonic clock */
}

static void *gated(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&G.mu);
    G.started_ms[G.started++ % 8] = rs_mono_ms();
    pthread_cond_broadcast(&G.cv);
    while (G.open == 0)
        pthread_cond_wait(&G.cv, &G.mu);
    G.open--;
    G.left++;
    pthread_cond_broadcast(&G.cv);
    pthread_mutex_unlock(&G.mu);
    return NULL;
}

/* the gate lets any waiting thread out: wait until `n` have left, so that a later
 * release_one() is not taken by an earlier thread */
static void wait_left(int n)
{
    pthread_mutex_lock(&G.mu);
    while (G.left < n)
        cr_assert_eq(rs_cond_wait_ms(&G.cv, &G.mu, 5000), 0, "thread %d did not leave", n);
    pthread_mutex_unlock(&G.mu);
}

static void wait_started(int n)
{
    pthread_mutex_lock(&G.mu);
    while (G.started < n)
        cr_assert_eq(rs_cond_wait_ms(&G.cv, &G.mu, 5000), 0, "thread %d did not start", n);
    pthread_mutex_unlock(&G.mu);
}

static void release_one(void)
{
    pthread_mutex_lock(&G.mu);
    G.open++;
    pthread_cond_broadcast(&G.cv);
    pthread_mutex_unlock(&G.mu);
}

static void wait_running(rs_thread_cap_t *cap, int n)
{
    int64_t d = rs_deadline_ms(5000);
    while (rs_thread_running(cap) != n && rs_deadline_left(d) > 0)
        msleep(1);
    cr_assert_eq(rs_thread_running(cap), n);
}

static rs_thread_cap_t CAP = RS_THREAD_CAP_INIT(2);

typedef struct waiter {
    int rc;
    int64_t returned_ms;
} waiter_t;

static void *start_waiting(void *p)
{
    waiter_t *w = p;
    w->rc = rs_thread_start(&CAP, 1, 0, gated, NULL);
    w->returned_ms = rs_mono_ms();
    return NULL;
}

Test(os_thread, cap_refuses_or_waits, .init = gate_init)
{
    cr_assert_eq(rs_thread_running(&CAP), 0);
    cr_assert_eq(rs_thread_start(&CAP, 0, 0, gated, NULL), 0);
    cr_assert_eq(rs_thread_start(&CAP, 0, 64 * 1024, gated, NULL), 0, "with a stack size");
    wait_started(2);
    cr_assert_eq(rs_thread_running(&CAP), 2);

    /* full: refused at once without wait */
    int64_t t0 = rs_mono_ms();
    cr_assert_eq(rs_thread_start(&CAP, 0, 0, gated, NULL), RS_EAGAIN);
    cr_assert_lt(rs_mono_ms() - t0, 100);
    cr_assert_eq(rs_thread_running(&CAP), 2);

    /* with wait: blocks until a running thread ends */
    waiter_t w = {.rc = 99};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, start_waiting, &w), 0);
    msleep(150);
    cr_assert_eq(__atomic_load_n(&w.returned_ms, __ATOMIC_SEQ_CST), 0, "still waiting for a slot");
    int64_t freed = rs_mono_ms();
    release_one();
    pthread_join(t, NULL);
    cr_assert_eq(w.rc, 0);
    cr_assert_geq(w.returned_ms, freed);
    wait_started(3);
    cr_assert_eq(rs_thread_running(&CAP), 2);

    /* the rest end: the count drops to 0 */
    release_one();
    release_one();
    wait_running(&CAP, 0);
}

Test(os_thread, uncapped_and_runtime_cap, .init = gate_init)
{
    cr_assert_eq(rs_thread_start(NULL, 0, 0, gated, NULL), 0);
    wait_started(1);
    release_one();
    wait_left(1); /* else the capped thread below could take this release and end early */

    rs_thread_cap_t cap;
    rs_thread_cap_init(&cap, 1);
    cr_assert_eq(rs_thread_start(&cap, 0, 0, gated, NULL), 0);
    wait_started(2);
    cr_assert_eq(rs_thread_start(&cap, 0, 0, gated, NULL), RS_EAGAIN);
    release_one();
    wait_running(&cap, 0);
    cr_assert_eq(rs_thread_start(&cap, 0, 0, gated, NULL), 0, "a slot again");
    wait_started(3);
    release_one();
    wait_running(&cap, 0);

    /* max 0: no cap */
    rs_thread_cap_t none;
    rs_thread_cap_init(&none, 0);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(rs_thread_start(&none, 0, 0, gated, NULL), 0);
    wait_started(7);
    cr_assert_eq(rs_thread_running(&none), 4);
    for (int i = 0; i < 4; i++)
        release_one();
    wait_running(&none, 0);
}

Test(os_thread, cond_wait_ms)
{
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv;
    rs_cond_init_mono(&cv);
    pthread_mutex_lock(&mu);
    int64_t t0 = rs_mono_ms();
    cr_assert_eq(rs_cond_wait_ms(&cv, &mu, 120), ETIMEDOUT);
    int64_t dt = rs_mono_ms() - t0;
    cr_assert(dt >= 119 && dt < 500, "waited %lld ms", (long long)dt);
    t0 = rs_mono_ms();
    cr_assert_eq(rs_cond_wait_ms(&cv, &mu, 1999), ETIMEDOUT, "ms crossing a second");
    dt = rs_mono_ms() - t0;
    cr_assert(dt >= 1998 && dt < 2500, "waited %lld ms", (long long)dt);
    t0 = rs_mono_ms();
    cr_assert_eq(rs_cond_wait_ms(&cv, &mu, -5), ETIMEDOUT, "negative: no wait");
    cr_assert_lt(rs_mono_ms() - t0, 50);
    pthread_mutex_unlock(&mu);
    pthread_cond_destroy(&cv);
}

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int flag;
} S = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void *signaller(void *p)
{
    (void)p;
    msleep(50);
    pthread_mutex_lock(&S.mu);
    S.flag = 1;
    pthread_cond_signal(&S.cv);
    pthread_mutex_unlock(&S.mu);
    return NULL;
}

Test(os_thread, cond_wait_ms_wakes_when_signalled)
{
    rs_cond_init_mono(&S.cv);
    pthread_t t;
    pthread_mutex_lock(&S.mu);
    cr_assert_eq(pthread_create(&t, NULL, signaller, NULL), 0);
    int64_t t0 = rs_mono_ms();
    while (!S.flag)
        cr_assert_eq(rs_cond_wait_ms(&S.cv, &S.mu, 5000), 0);
    cr_assert_lt(rs_mono_ms() - t0, 2000);
    pthread_mutex_unlock(&S.mu);
    pthread_join(t, NULL);
}

Test(os_net, freebind_listens_on_an_address_not_up_yet)
{
    /* 192.0.2.1 (TEST-NET-1) is on no interface: a plain bind fails, IP_FREEBIND binds */
    errno = 0;
    cr_assert_lt(rs_tcp_listen("192.0.2.1", 0, 1, 0, NULL), 0);
    cr_assert_eq(errno, EADDRNOTAVAIL);
    uint16_t port = 0;
    int fd = rs_tcp_listen("192.0.2.1", 0, 1, RS_NET_FREEBIND, &port);
    cr_assert_geq(fd, 0, "%s", strerror(errno));
    cr_assert_gt(port, 0);
    close(fd);
}

/* rs_fsync_tree: every file and directory of a tree (a symlink is not followed), then
 * the parent; a missing directory or a file is refused. */
Test(os_fs, fsync_tree, .init = mk_tmpdir, .fini = rm_tmpdir)
{
    char p[600], tree[512];
    snprintf(tree, sizeof(tree), "%s/code", tmpdir);
    cr_assert_eq(mkdir(tree, 0700), 0);
    snprintf(p, sizeof(p), "%s/a", tree);
    touch(p, "1");
    snprintf(p, sizeof(p), "%s/sub", tree);
    cr_assert_eq(mkdir(p, 0700), 0);
    snprintf(p, sizeof(p), "%s/sub/b", tree);
    touch(p, "2");
    snprintf(p, sizeof(p), "%s/sub/link", tree);
    cr_assert_eq(symlink("/nonexistent", p), 0);
    cr_assert_eq(rs_fsync_tree(tree), 4, "two files, two directories");
    snprintf(p, sizeof(p), "%s/missing", tmpdir);
    cr_assert_eq(rs_fsync_tree(p), RS_ERR);
    snprintf(p, sizeof(p), "%s/a", tree);
    cr_assert_eq(rs_fsync_tree(p), RS_ERR);
    rs_rm_r(tree);
}
