/*
 * test_lambda_rapi.c: the Runtime API of one execution environment (lambda_rapi.c) spoken
 * over a socketpair and over its TCP listener: /next headers and long-poll, /response and
 * /error (error type from header or body), /init/error answered exactly 202, stale ids 400,
 * state errors 403, the 413 size limit with keep-alive, libcurl's empty Expect: and
 * Transfer-Encoding: headers, pipelined requests, timeouts and exit notification.
 * Runs in: the test.
 */
#include "config.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lambda/lambda_exec.h"
#include "rs/err.h"

typedef struct fixture {
    rs_rapi_t *r;
    int fd; /* the runtime's end */
    pthread_t thr;
    int srv_fd;
    char buf[1 << 16];
    size_t len;
} fixture_t;

typedef struct resp {
    int status;
    char head[8192];
    char *body;
    size_t body_len;
} resp_t;

static void *serve(void *arg)
{
    fixture_t *f = arg;
    rs_rapi_serve_fd(f->r, f->srv_fd);
    return NULL;
}

static void fx_start(fixture_t *f)
{
    memset(f, 0, sizeof(*f));
    cr_assert_eq(rs_rapi_create(&f->r), 0);
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    f->fd = sv[1];
    f->srv_fd = sv[0];
    cr_assert_eq(pthread_create(&f->thr, NULL, serve, f), 0);
}

static void fx_stop(fixture_t *f)
{
    rs_rapi_stop(f->r);
    pthread_join(f->thr, NULL);
    close(f->fd);
    rs_rapi_destroy(f->r);
}

static void send_str(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        cr_assert_gt(w, 0);
        s += w;
        n -= (size_t)w;
    }
}

static int fill(fixture_t *f)
{
    ssize_t n = recv(f->fd, f->buf + f->len, sizeof(f->buf) - f->len, 0);
    if (n <= 0)
        return 0;
    f->len += (size_t)n;
    return 1;
}

/* Read one HTTP response (Content-Length framed). Returns 0 on EOF. */
static int read_resp(fixture_t *f, resp_t *r)
{
    memset(r, 0, sizeof(*r));
    char *end;
    while (!(end = memmem(f->buf, f->len, "\r\n\r\n", 4)))
        if (!fill(f))
            return 0;
    size_t hl = (size_t)(end - f->buf) + 4;
    cr_assert_lt(hl, sizeof(r->head));
    memcpy(r->head, f->buf, hl);
    r->head[hl] = '\0';
    cr_assert_eq(sscanf(r->head, "HTTP/1.1 %d", &r->status), 1);
    const char *cl = strcasestr(r->head, "Content-Length:");
    cr_assert(cl != NULL);
    size_t blen = strtoul(cl + 15, NULL, 10);
    while (f->len < hl + blen)
        cr_assert(fill(f));
    r->body = malloc(blen + 1);
    memcpy(r->body, f->buf + hl, blen);
    r->body[blen] = '\0';
    r->body_len = blen;
    memmove(f->buf, f->buf + hl + blen, f->len - hl - blen);
    f->len -= hl + blen;
    return 1;
}

static void request(fixture_t *f, const char *method, const char *path, const char *extra,
                    const char *body)
{
    char head[2048];
    size_t bl = body ? strlen(body) : 0;
    int n = snprintf(head, sizeof(head),
                     "%s /2018-06-01/runtime%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Content-Length: %zu\r\n%s\r\n",
                     method, path, bl, extra ? extra : "");
    send_str(f->fd, head, (size_t)n);
    if (bl)
        send_str(f->fd, body, bl);
}

static void expect(fixture_t *f, int status, const char *body_part)
{
    resp_t r;
    cr_assert(read_resp(f, &r), "connection closed, wanted %d", status);
    cr_assert_eq(r.status, status, "status %d, wanted %d: %s", r.status, status, r.body);
    if (body_part)
        cr_assert(strstr(r.body, body_part), "body %s lacks %s", r.body, body_part);
    free(r.body);
}

static void wait_event(fixture_t *f, rs_rapi_event_t ev, rs_rapi_outcome_t *o)
{
    rs_rapi_wait(f->r, rs_mono_ms() + 5000, o);
    cr_assert_eq(o->event, ev, "event %d, wanted %d", o->event, ev);
}

static void give(fixture_t *f, const char *id, const char *payload, const char *cc)
{
    rs_rapi_invocation_t inv = {.request_id = id,
                                .deadline_epoch_ms = 1700000000123,
                                .invoked_arn = "arn:aws:lambda:us-east-1:000000000000:function:f",
                                .trace_id = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=0",
                                .client_context = cc,
                                .payload = payload,
                                .payload_len = strlen(payload)};
    cr_assert_eq(rs_rapi_invoke(f->r, &inv), 0);
}

/* GET /next, wait READY (first time only), hand an invocation, check the delivery. */
static void next_with(fixture_t *f, const char *id, const char *payload, int first)
{
    request(f, "GET", "/invocation/next", NULL, NULL);
    rs_rapi_outcome_t o;
    if (first)
        wait_event(f, RS_RAPI_READY, &o);
    give(f, id, payload, NULL);
    resp_t r;
    cr_assert(read_resp(f, &r));
    cr_assert_eq(r.status, 200);
    char want[128];
    snprintf(want, sizeof(want), "Lambda-Runtime-Aws-Request-Id: %s\r\n", id);
    cr_assert(strstr(r.head, want), "%s", r.head);
    cr_assert_str_eq(r.body, payload);
    free(r.body);
}

Test(lambda_rapi, next_delivers_every_header_then_response)
{
    fixture_t f;
    fx_start(&f);
    request(&f, "GET", "/invocation/next", NULL, NULL);
    rs_rapi_outcome_t o;
    wait_event(&f, RS_RAPI_READY, &o);
    give(&f, "req-1", "{\"k\": 1}", "{\"custom\":{\"a\":\"b\"}}");
    resp_t r;
    cr_assert(read_resp(&f, &r));
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.head, "Lambda-Runtime-Aws-Request-Id: req-1\r\n"));
    cr_assert(strstr(r.head, "Lambda-Runtime-Deadline-Ms: 1700000000123\r\n"));
    cr_assert(strstr(r.head, "Lambda-Runtime-Invoked-Function-Arn: "
                             "arn:aws:lambda:us-east-1:000000000000:function:f\r\n"));
    cr_assert(strstr(r.head, "Lambda-Runtime-Trace-Id: Root=1-5bef4de7-"));
    cr_assert(strstr(r.head, "Lambda-Runtime-Client-Context: {\"custom\":{\"a\":\"b\"}}\r\n"));
    cr_assert(strstr(r.head, "Content-Type: application/json\r\n"));
    cr_assert_str_eq(r.body, "{\"k\": 1}");
    free(r.body);
    /* libcurl style: empty Expect: and Transfer-Encoding: headers */
    request(&f, "POST", "/invocation/req-1/response",
            "Expect:\r\nTransfer-Encoding:\r\nContent-Type: application/json\r\n", "\"done\"");
    expect(&f, 202, "{\"status\":\"OK\"}");
    wait_event(&f, RS_RAPI_RESPONSE, &o);
    cr_assert_eq(o.payload_len, 6);
    cr_assert_str_eq(o.payload, "\"done\"");
    free(o.payload);
    /* warm: the next invocation on the same connection, no second READY */
    next_with(&f, "req-2", "[1,2]", 0);
    request(&f, "POST", "/invocation/req-2/response", NULL, "null");
    expect(&f, 202, NULL);
    wait_event(&f, RS_RAPI_RESPONSE, &o);
    cr_assert_str_eq(o.payload, "null");
    free(o.payload);
    fx_stop(&f);
}

Test(lambda_rapi, client_context_header_omitted_when_absent)
{
    fixture_t f;
    fx_start(&f);
    request(&f, "GET", "/invocation/next", NULL, NULL);
    rs_rapi_outcome_t o;
    wait_event(&f, RS_RAPI_READY, &o);
    give(&f, "req-1", "{}", NULL);
    resp_t r;
    cr_assert(read_resp(&f, &r));
    cr_assert_null(strstr(r.head, "Client-Context"));
    free(r.body);
    fx_stop(&f);
}

Test(lambda_rapi, stale_and_unknown_ids_are_400)
{
    fixture_t f;
    fx_start(&f);
    next_with(&f, "req-1", "{}", 1);
    request(&f, "POST", "/invocation/other/response", NULL, "1");
    expect(&f, 400, "\"errorType\":\"InvalidRequestID\"");
    request(&f, "POST", "/invocation/req-1/response", NULL, "1");
    expect(&f, 202, NULL);
    rs_rapi_outcome_t o;
    wait_event(&f, RS_RAPI_RESPONSE, &o);
    free(o.payload);
    /* answered already */
    request(&f, "POST", "/invocation/req-1/response", NULL, "2");
    expect(&f, 400, "Invalid request ID");
    request(&f, "POST", "/invocation/req-1/error", NULL, "{}");
    expect(&f, 400, "InvalidRequestID");
    fx_stop(&f);
}

Test(lambda_rapi, state_errors_are_403)
{
    fixture_t f;
    fx_start(&f);
    /* no /next yet: nothing to answer */
    request(&f, "POST", "/invocation/x/response", NULL, "1");
    expect(&f, 403, "InvalidStateTransition");
    next_with(&f, "req-1", "{}", 1);
    /* /next again without answering */
    request(&f, "GET", "/invocation/next", NULL, NULL);
    expect(&f, 403, "InvalidStateTransition");
    /* init error after init */
    request(&f, "POST", "/init/error", NULL, "{}");
    expect(&f, 403, "InvalidStateTransition");
    fx_stop(&f);
}

Test(lambda_rapi, error_type_from_header_or_body)
{
    fixture_t f;
    fx_start(&f);
    next_with(&f, "a", "{}", 1);
    const char *p1 = "{\"errorMessage\": \"boom\", \"errorType\": \"ValueError\"}";
    request(&f, "POST", "/invocation/a/error",
            "Lambda-Runtime-Function-Error-Type: Custom.Kind\r\n", p1);
    expect(&f, 202, "OK");
    rs_rapi_outcome_t o;
    wait_event(&f, RS_RAPI_ERROR, &o);
    cr_assert_str_eq(o.error_type, "Custom.Kind");
    cr_assert_str_eq(o.payload, p1);
    free(o.payload);
    next_with(&f, "b", "{}", 0);
    request(&f, "POST", "/invocation/b/error", "Content-Type: application/json\r\n", p1);
    expect(&f, 202, "OK");
    wait_event(&f, RS_RAPI_ERROR, &o);
    cr_assert_str_eq(o.error_type, "ValueError");
    free(o.payload);
    fx_stop(&f);
}

Test(lambda_rapi, init_error_is_exactly_202_once)
{
    fixture_t f;
    fx_start(&f);
    const char *p = "{\"errorMessage\": \"Unable to import module 'app': No module named "
                    "'app'\", \"errorType\": \"Runtime.ImportModuleError\", \"requestId\": \"\", "
                    "\"stackTrace\": []}";
    request(&f, "POST", "/init/error",
            "Lambda-Runtime-Function-Error-Type: Runtime.ImportModuleError\r\n", p);
    resp_t r;
    cr_assert(read_resp(&f, &r));
    cr_assert_eq(r.status, 202);
    free(r.body);
    rs_rapi_outcome_t o;
    wait_event(&f, RS_RAPI_INIT_ERROR, &o);
    cr_assert_str_eq(o.payload, p);
    cr_assert_str_eq(o.error_type, "Runtime.ImportModuleError");
    free(o.payload);
    request(&f, "POST", "/init/error", NULL, p);
    expect(&f, 403, NULL);
    fx_stop(&f);
}

Test(lambda_rapi, oversized_response_is_413_and_connection_survives)
{
    fixture_t f;
    fx_start(&f);
    next_with(&f, "big", "{}", 1);
    size_t n = RS_LAMBDA_RESPONSE_MAX + 1;
    char *body = malloc(n + 1);
    memset(body, 'x', n);
    body[n] = '\0';
    request(&f, "POST", "/invocation/big/response", NULL, body);
    expect(&f, 413, "\"errorType\":\"RequestEntityTooLarge\"");
    rs_rapi_outcome_t o;
    wait_event(&f, RS_RAPI_TOO_LARGE, &o);
    free(body);
    /* exactly at the limit is fine */
    next_with(&f, "edge", "{}", 0);
    n = RS_LAMBDA_RESPONSE_MAX;
    body = malloc(n + 1);
    memset(body, 'y', n);
    body[n] = '\0';
    request(&f, "POST", "/invocation/edge/response", NULL, body);
    expect(&f, 202, NULL);
    wait_event(&f, RS_RAPI_RESPONSE, &o);
    cr_assert_eq(o.payload_len, RS_LAMBDA_RESPONSE_MAX);
    free(o.payload);
    free(body);
    fx_stop(&f);
}

Test(lambda_rapi, pipelined_requests_and_unknown_paths)
{
    fixture_t f;
    fx_start(&f);
    const char *two = "GET /2018-06-01/runtime/nope HTTP/1.1\r\nContent-Length: 0\r\n\r\n"
                      "GET /other HTTP/1.1\r\n\r\n";
    send_str(f.fd, two, strlen(two));
    expect(&f, 404, NULL);
    expect(&f, 404, NULL);
    request(&f, "PUT", "/invocation/next", NULL, NULL);
    expect(&f, 405, NULL);
    fx_stop(&f);
}

Test(lambda_rapi, expect_continue_gets_100)
{
    fixture_t f;
    fx_start(&f);
    next_with(&f, "c", "{}", 1);
    const char *h = "POST /2018-06-01/runtime/invocation/c/response HTTP/1.1\r\n"
                    "Content-Length: 2\r\nExpect: 100-continue\r\n\r\n";
    send_str(f.fd, h, strlen(h));
    while (!memmem(f.buf, f.len, "\r\n\r\n", 4))
        cr_assert(fill(&f));
    cr_assert_eq(strncmp(f.buf, "HTTP/1.1 100 Continue\r\n\r\n", 25), 0);
    memmove(f.buf, f.buf + 25, f.len - 25);
    f.len -= 25;
    send_str(f.fd, "42", 2);
    expect(&f, 202, NULL);
    rs_rapi_outcome_t o;
    wait_event(&f, RS_RAPI_RESPONSE, &o);
    cr_assert_str_eq(o.payload, "42");
    free(o.payload);
    fx_stop(&f);
}

Test(lambda_rapi, connection_close_is_honoured)
{
    fixture_t f;
    fx_start(&f);
    request(&f, "GET", "/nothing", "Connection: close\r\n", NULL);
    expect(&f, 404, NULL);
    resp_t r;
    cr_assert_eq(read_resp(&f, &r), 0, "the server kept the connection open");
    fx_stop(&f);
}

Test(lambda_rapi, wait_times_out_and_exit_is_reported)
{
    rs_rapi_t *r;
    cr_assert_eq(rs_rapi_create(&r), 0);
    rs_rapi_outcome_t o;
    int64_t t0 = rs_mono_ms();
    rs_rapi_wait(r, t0 + 150, &o);
    cr_assert_eq(o.event, RS_RAPI_TIMEOUT);
    cr_assert_geq(rs_mono_ms() - t0, 140);
    rs_rapi_notify_exit(r, -9);
    rs_rapi_wait(r, rs_mono_ms() + 1000, &o);
    cr_assert_eq(o.event, RS_RAPI_EXITED);
    cr_assert_eq(o.exit_status, -9);
    rs_rapi_destroy(r);
}

Test(lambda_rapi, stop_wakes_a_long_poll)
{
    fixture_t f;
    fx_start(&f);
    request(&f, "GET", "/invocation/next", NULL, NULL);
    rs_rapi_outcome_t o;
    wait_event(&f, RS_RAPI_READY, &o);
    rs_rapi_stop(f.r); /* must not hang on the blocked /next */
    resp_t r;
    cr_assert_eq(read_resp(&f, &r), 0);
    pthread_join(f.thr, NULL);
    close(f.fd);
    rs_rapi_destroy(f.r);
}

Test(lambda_rapi, tcp_listener_serves_keep_alive)
{
    rs_rapi_t *r;
    cr_assert_eq(rs_rapi_create(&r), 0);
    uint16_t port = 0;
    cr_assert_eq(rs_rapi_listen(r, NULL, &port), 0);
    cr_assert_gt(port, 0);
    fixture_t f;
    memset(&f, 0, sizeof(f));
    f.r = r;
    f.fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(f.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    next_with(&f, "tcp-1", "{\"x\":1}", 1);
    request(&f, "POST", "/invocation/tcp-1/response", NULL, "{\"ok\":true}");
    expect(&f, 202, NULL);
    rs_rapi_outcome_t o;
    wait_event(&f, RS_RAPI_RESPONSE, &o);
    cr_assert_str_eq(o.payload, "{\"ok\":true}");
    free(o.payload);
    next_with(&f, "tcp-2", "{}", 0);
    rs_rapi_destroy(r); /* stops the listener and the blocked connection */
    close(f.fd);
}

Test(lambda_rapi, abandoned_long_poll_does_not_swallow_the_invocation, .timeout = 10)
{
    fixture_t f;
    fx_start(&f);
    /* a runtime gives up on /next (client timeout) and polls again on a new connection */
    request(&f, "GET", "/invocation/next", NULL, NULL);
    rs_rapi_outcome_t o;
    wait_event(&f, RS_RAPI_READY, &o);
    shutdown(f.fd, SHUT_WR);
    close(f.fd);
    pthread_join(f.thr, NULL); /* the server noticed the close */
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    f.fd = sv[1];
    f.srv_fd = sv[0];
    f.len = 0;
    cr_assert_eq(pthread_create(&f.thr, NULL, serve, &f), 0);
    give(&f, "kept", "{\"n\":1}", NULL);
    request(&f, "GET", "/invocation/next", NULL, NULL);
    resp_t r;
    cr_assert(read_resp(&f, &r));
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.head, "Lambda-Runtime-Aws-Request-Id: kept\r\n"));
    free(r.body);
    fx_stop(&f);
}

/* hot reload: a waiting /next is answered with the reload order, the new runtime's first
 * /next is READY again, and the state is init (an /init/error is accepted) */
Test(lambda_rapi, reload_answers_the_waiting_next, .timeout = 10)
{
    fixture_t f;
    fx_start(&f);
    rs_rapi_set_hot(f.r);
    request(&f, "GET", "/invocation/next", NULL, NULL);
    rs_rapi_outcome_t o;
    wait_event(&f, RS_RAPI_READY, &o);
    cr_assert_eq(rs_rapi_reload(f.r), 0);
    resp_t r;
    cr_assert(read_resp(&f, &r));
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.head, "Lambda-Runtime-RustStack-Reload: 1\r\n"), "%s", r.head);
    cr_assert_null(strstr(r.head, "Lambda-Runtime-Aws-Request-Id"));
    free(r.body);
    /* the fresh runtime: READY again, then an invocation as usual */
    next_with(&f, "req-1", "{}", 1);
    request(&f, "POST", "/invocation/req-1/response", NULL, "1");
    expect(&f, 202, NULL);
    wait_event(&f, RS_RAPI_RESPONSE, &o);
    free(o.payload);
    /* a reload while the runtime is between /response and /next: its next /next gets it */
    cr_assert_eq(rs_rapi_reload(f.r), 0);
    request(&f, "GET", "/invocation/next", NULL, NULL);
    cr_assert(read_resp(&f, &r));
    cr_assert(strstr(r.head, "Lambda-Runtime-RustStack-Reload: 1\r\n"), "%s", r.head);
    free(r.body);
    /* the new runtime fails its init: with hot set the environment waits for a reload */
    request(&f, "POST", "/init/error", "Lambda-Runtime-Function-Error-Type: Runtime.X\r\n",
            "{\"errorType\":\"Runtime.X\"}");
    expect(&f, 202, NULL);
    wait_event(&f, RS_RAPI_INIT_ERROR, &o);
    free(o.payload);
    request(&f, "GET", "/invocation/next", NULL, NULL); /* bootstrap waits here */
    rs_rapi_wait(f.r, rs_mono_ms() + 300, &o);
    cr_assert_eq(o.event, RS_RAPI_TIMEOUT, "no READY while the init failed");
    cr_assert_eq(rs_rapi_reload(f.r), 0);
    cr_assert(read_resp(&f, &r));
    cr_assert(strstr(r.head, "Lambda-Runtime-RustStack-Reload: 1\r\n"), "%s", r.head);
    free(r.body);
    next_with(&f, "req-2", "{}", 1);
    /* no reload while an invocation runs */
    cr_assert_eq(rs_rapi_reload(f.r), RS_EEXIST);
    fx_stop(&f);
}

/* without hot an init error still ends the environment's Runtime API (403 afterwards) */
Test(lambda_rapi, init_error_without_hot_is_final, .timeout = 10)
{
    fixture_t f;
    fx_start(&f);
    request(&f, "POST", "/init/error", NULL, "{\"errorType\":\"Runtime.X\"}");
    expect(&f, 202, NULL);
    rs_rapi_outcome_t o;
    wait_event(&f, RS_RAPI_INIT_ERROR, &o);
    free(o.payload);
    cr_assert_eq(rs_rapi_reload(f.r), RS_EEXIST);
    request(&f, "GET", "/invocation/next", NULL, NULL);
    expect(&f, 403, "InvalidStateTransition");
    fx_stop(&f);
}

/* A TCP client of the listener at port whose source address is `from`. */
static int connect_from(const char *from, uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in src = {.sin_family = AF_INET};
    inet_pton(AF_INET, from, &src.sin_addr);
    cr_assert_eq(bind(fd, (struct sockaddr *)&src, sizeof(src)), 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

Test(lambda_rapi, bridge_serves_only_the_environments_address, .timeout = 15)
{
    rs_rapi_t *r;
    cr_assert_eq(rs_rapi_create(&r), 0);
    uint16_t port = 0;
    cr_assert_eq(rs_rapi_listen(r, NULL, &port), 0);
    rs_rapi_expect_peer(r);
    /* connected before the address is known: held, then served once it is */
    fixture_t f;
    memset(&f, 0, sizeof(f));
    f.r = r;
    f.fd = connect_from("127.0.0.1", port);
    /* another container of the bridge (here 127.0.0.3) */
    int other = connect_from("127.0.0.3", port);
    usleep(100000);
    rs_rapi_set_peer(r, "127.0.0.1");
    next_with(&f, "peer-1", "{}", 1);
    char b;
    cr_assert_leq(read(other, &b, 1), 0, "a foreign address was served");
    close(other);
    rs_rapi_destroy(r);
    close(f.fd);
}

Test(lambda_rapi, bridge_with_unknown_address_serves_nobody, .timeout = 15)
{
    rs_rapi_t *r;
    cr_assert_eq(rs_rapi_create(&r), 0);
    uint16_t port = 0;
    cr_assert_eq(rs_rapi_listen(r, NULL, &port), 0);
    rs_rapi_expect_peer(r);
    rs_rapi_set_peer(r, "");
    int fd = connect_from("127.0.0.1", port);
    send_str(fd, "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n", 61);
    char b;
    cr_assert_leq(read(fd, &b, 1), 0);
    close(fd);
    rs_rapi_destroy(r);
}

/* A listener on a bridge's address (here 127.0.0.2, another address of lo) checks the
 * source from its first connection on: a container of another function that connects
 * before the pool said whose address to expect must not be served (it would take the
 * environment's invocations). */
Test(lambda_rapi, bridge_listener_checks_from_its_first_connection, .timeout = 15)
{
    rs_rapi_t *r;
    cr_assert_eq(rs_rapi_create(&r), 0);
    uint16_t port = 0;
    cr_assert_eq(rs_rapi_listen(r, "127.0.0.2", &port), 0);
    int other = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in src = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.3", &src.sin_addr);
    cr_assert_eq(bind(other, (struct sockaddr *)&src, sizeof(src)), 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.2", &sa.sin_addr);
    cr_assert_eq(connect(other, (struct sockaddr *)&sa, sizeof(sa)), 0);
    send_str(other, "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n", 61);
    usleep(200000); /* its connection thread runs before the pool names the container */
    rs_rapi_expect_peer(r);
    rs_rapi_set_peer(r, "127.0.0.1");
    rs_rapi_invocation_t inv = {.request_id = "secret-1",
                                .deadline_epoch_ms = 1700000000123,
                                .invoked_arn = "arn:aws:lambda:us-east-1:000000000000:function:f",
                                .trace_id = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=0",
                                .payload = "{\"secret\":1}",
                                .payload_len = 12};
    cr_assert_eq(rs_rapi_invoke(r, &inv), 0);
    struct timeval tv = {.tv_sec = 2};
    setsockopt(other, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char b[512];
    ssize_t n = read(other, b, sizeof(b) - 1);
    b[n > 0 ? n : 0] = '\0';
    cr_assert_leq(n, 0, "a foreign address was served: %s", b);
    close(other);
    rs_rapi_destroy(r);
}
