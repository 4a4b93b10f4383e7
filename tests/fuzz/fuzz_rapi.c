/*
 * fuzz_rapi.c: fuzz target for the Lambda Runtime API request parser and state machine
 * (src/lambda/lambda_rapi.c). The input (after one mode byte) is the byte stream a
 * runtime sends on one connection; it is written whole into a socket pair whose write
 * side is then shut, and rs_rapi_serve_fd serves it on a thread while this thread drains
 * the answers. Mode bit 0: first run a well-behaved /next on another connection so that
 * invocation "fuzz-req-1" is running (the fuzzed stream can then answer it). Every run
 * must end (EOF), and rs_rapi_wait must report a known event. Runs in: the fuzz binary.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "lambda/lambda_exec.h"
#include "rs/os.h"
#include "rs/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct serve_arg {
    rs_rapi_t *r;
    int fd;
} serve_arg_t;

static void *serve_main(void *arg)
{
    serve_arg_t *a = arg;
    rs_rapi_serve_fd(a->r, a->fd);
    return NULL;
}

/* read until EOF; returns the bytes read, or stops once `stop` (if non-NULL) was seen
 * followed by `extra` more bytes */
static size_t drain(int fd, const char *stop, size_t extra)
{
    char buf[8192];
    size_t total = 0, have = 0;
    char win[512];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue; /* libFuzzer's timeout alarm */
        if (n <= 0)
            return total;
        total += (size_t)n;
        if (stop == NULL)
            continue;
        size_t c = (size_t)n < sizeof(win) - 1 - have ? (size_t)n : sizeof(win) - 1 - have;
        memcpy(win + have, buf, c);
        have += c;
        win[have] = '\0';
        char *p = strstr(win, stop);
        if (p && (size_t)(win + have - (p + strlen(stop))) >= extra)
            return total;
    }
}

static void warm_up(rs_rapi_t *r)
{
    rs_rapi_invocation_t inv = {.request_id = "fuzz-req-1",
                                .deadline_epoch_ms = 4102444800000,
                                .invoked_arn = "arn:aws:lambda:us-east-1:000000000000:function:f",
                                .trace_id = "Root=1-00000000-000000000000000000000000",
                                .client_context = NULL,
                                .payload = "{}",
                                .payload_len = 2};
    if (rs_rapi_invoke(r, &inv) != 0)
        abort();
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        abort();
    serve_arg_t a = {r, sv[1]};
    pthread_t thr;
    if (pthread_create(&thr, NULL, serve_main, &a) != 0)
        abort();
    static const char next[] = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\n";
    fz_write_all(sv[0], next, sizeof(next) - 1);
    if (drain(sv[0], "\r\n\r\n", 2) == 0)
        abort();
    close(sv[0]);
    pthread_join(thr, NULL);
    rs_rapi_outcome_t out;
    rs_rapi_wait(r, rs_mono_ms(), &out); /* READY */
    if (out.event != RS_RAPI_READY)
        abort();
    free(out.payload);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    rs_rapi_t *r = NULL;
    if (rs_rapi_create(&r) != 0)
        abort();
    if (data[0] & 1)
        warm_up(r);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        abort();
    int bufsz = 256 * 1024;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
    fz_write_all(sv[0], data + 1, size - 1);
    shutdown(sv[0], SHUT_WR);
    serve_arg_t a = {r, sv[1]};
    pthread_t thr;
    if (pthread_create(&thr, NULL, serve_main, &a) != 0)
        abort();
    (void)drain(sv[0], NULL, 0);
    pthread_join(thr, NULL);
    close(sv[0]);
    rs_rapi_outcome_t out;
    memset(&out, 0, sizeof(out));
    rs_rapi_wait(r, rs_mono_ms(), &out);
    if (out.event > RS_RAPI_TIMEOUT)
        abort();
    if ((out.event == RS_RAPI_RESPONSE || out.event == RS_RAPI_ERROR) && out.payload &&
        out.payload[out.payload_len] != '\0')
        abort();
    free(out.payload);
    rs_rapi_destroy(r);
    return 0;
}
