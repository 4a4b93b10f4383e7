/*
 * os.h: the OS layer (src/os), the bottom of the tree: clocks, whole reads and writes with
 * deadlines, directories, sockets, capped detached threads. Every process uses it; it
 * includes nothing of the project but rs/err.h.
 * Runs in: every process.
 */
#ifndef RS_OS_H
#define RS_OS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* ---- clocks (os/clock.c) ------------------------------------------------------------ */

/* CLOCK_MONOTONIC in ms, us, ns. */
int64_t rs_mono_ms(void);
int64_t rs_mono_us(void);
int64_t rs_mono_ns(void);
/* CLOCK_REALTIME in ms since the epoch. */
int64_t rs_wall_ms(void);
/* A deadline `ms` from now on the monotonic clock (ms < 0: no deadline, returns -1). */
int64_t rs_deadline_ms(int64_t ms);
/* ms left until a monotonic deadline: -1 for no deadline (deadline < 0), else >= 0.
 * Suited as a poll() timeout. */
int rs_deadline_left(int64_t deadline_ms);

/* ---- whole reads and writes (os/io.c) ----------------------------------------------- */

/* Write all of iov[0..n) (consumed in place) to fd, retrying EINTR and short writes.
 * On a socket it never raises SIGPIPE (EPIPE instead), and with a monotonic deadline
 * (>= 0) each send is non-blocking (MSG_DONTWAIT) and EAGAIN waits for POLLOUT until the
 * deadline, blocking socket or not; on other descriptors POLLOUT is awaited before each
 * write. Without a deadline (< 0) a non-blocking fd is polled on EAGAIN with no limit.
 * 0, or RS_ERR with errno (ETIMEDOUT when the deadline passed). */
int rs_writev_all(int fd, struct iovec *iov, int n, int64_t deadline_ms);
int rs_write_all(int fd, const void *buf, size_t len, int64_t deadline_ms);
/* Read exactly len bytes (same waiting rules). 0; RS_ERR with errno; RS_ENOENT when the
 * peer closed before the first byte and errno 0 when it closed in the middle (RS_ERR). */
int rs_read_full(int fd, void *buf, size_t len, int64_t deadline_ms);
/* Advance an iovec array past `done` bytes. */
void rs_iov_advance(struct iovec **iov, int *n, size_t done);

/* Wait until fd is ready for poll `events` or the monotonic deadline (< 0: none) passes
 * (os/io.c). 0, or RS_ERR with errno (ETIMEDOUT when the deadline passed). */
int rs_wait_fd(int fd, short events, int64_t deadline_ms);

/* ---- files and directories (os/fs.c) ------------------------------------------------ */

/* mkdir -p: every missing component is created with `mode`. 0 or RS_ERR with errno
 * (ENOTDIR when a file is in the way). */
int rs_mkdir_p(const char *path, int mode);
/* rm -r without following symlinks (a symlink is removed, never its target; directories
 * are made writable as they are emptied); a missing path is success. 0 or RS_ERR
 * (EINVAL for an empty path). */
int rs_rm_r(const char *path);
/* Write `len` bytes to `path` atomically and durably (temporary <path>.tmp.<pid>, fsync,
 * rename, fsync of the directory; `mode` of the new file). Writers of one path within a
 * process must take turns. 0 or RS_ERR with errno (the old file is then untouched). */
int rs_write_file_atomic(const char *path, const void *buf, size_t len, int mode);
/* fsync every regular file and directory under `dir` (symlinks not followed), `dir`
 * itself and then its parent directory (its own entry). Returns the number of files and
 * directories synced, or RS_ERR with errno (a missing `dir`, an fsync failure). */
int rs_fsync_tree(const char *dir);

/* ---- sockets (os/net.c) ------------------------------------------------------------- */

#define RS_NET_NONBLOCK 1 /* flag: SOCK_NONBLOCK on the new socket */
#define RS_NET_FREEBIND                                                                            \
    2 /* flag: IP_FREEBIND (IPv4): bind an address whose interface is not up yet */

/* Listen on a TCP address ("127.0.0.1", "::1", "0.0.0.0"; NULL means 127.0.0.1) and
 * port (0: the kernel picks; *port_out, when given, receives the bound port), with
 * SO_REUSEADDR. Returns the fd or RS_ERR / RS_EINVAL (bad address) with errno. */
int rs_tcp_listen(const char *addr, uint16_t port, int backlog, int flags, uint16_t *port_out);
/* A free loopback port (bind port 0, read it back, close): 0 on failure. */
uint16_t rs_tcp_free_port(void);
/* Connect to 127.0.0.1:port. With RS_NET_NONBLOCK the connect may be in progress
 * (EINPROGRESS is not an error). Returns the fd or RS_ERR with errno. TCP_NODELAY set. */
int rs_tcp_connect_loopback(uint16_t port, int flags);
/* Listen on a Unix stream socket at `path` (a stale socket file is removed first; the
 * socket is mode 0600). Returns the fd or RS_ERR with errno (ENAMETOOLONG). */
int rs_unix_listen(const char *path, int backlog);
/* Connect to a Unix stream socket (same flag). Returns the fd or RS_ERR with errno. */
int rs_unix_connect(const char *path, int flags);
/* Send one datagram to the Unix socket `path` ("/..." or "@name": abstract). 0, or RS_ERR
 * with errno (EINVAL: not such a path) (os/ipcsup.c). */
int rs_unix_dgram_send(const char *path, const void *buf, size_t len);

/* ---- capped detached threads (os/thread.c) ------------------------------------------ */

/* A cap on how many detached threads of one kind run at once. Initialise with
 * RS_THREAD_CAP_INIT(max) or rs_thread_cap_init. */
typedef struct rs_thread_cap {
    int max;            /* at most this many running (0: no cap) */
    int running;        /* under mu */
    pthread_mutex_t mu; /* guards running */
    pthread_cond_t cv;  /* signalled when a thread of this cap ends */
} rs_thread_cap_t;

#define RS_THREAD_CAP_INIT(m)                                                                      \
    {                                                                                              \
        .max = (m), .running = 0, .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER  \
    }
void rs_thread_cap_init(rs_thread_cap_t *cap, int max);

/* Start fn(arg) on a detached thread counted against `cap` (NULL: uncapped). With
 * `wait` nonzero, block until a slot is free; else return RS_EAGAIN when the cap is
 * reached. 0, RS_EAGAIN, RS_ENOMEM, or RS_ERR with errno (pthread_create failed).
 * `stack` 0: the default. The slot is freed when fn returns. */
int rs_thread_start(rs_thread_cap_t *cap, int wait, size_t stack, void *(*fn)(void *), void *arg);
/* How many threads of this cap run now. */
int rs_thread_running(rs_thread_cap_t *cap);

/* A condition variable on the monotonic clock, and a wait of at most `ms` on it
 * (pthread_cond_timedwait's result: 0 or ETIMEDOUT). */
void rs_cond_init_mono(pthread_cond_t *cv);
int rs_cond_wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t ms);

#endif
