/*
 * test_docker_events.c: the engine's event stream and state inspect (src/docker/
 * docker_events.c): the stream decoder fed byte by byte (chunked as podman and Docker send
 * it, read-to-EOF, keep-alive empty lines, a chunk boundary inside a line, malformed lines,
 * an over-long line, a non-HTTP answer), what counts as a container's end (Docker's
 * exitCode, podman's containerExitCode and its "died", events that are not ends), and the
 * calls against a fake engine on a Unix socket (the request with its encoded filter, events
 * sent over time, the engine closing the stream, a refused stream, the inspect of a
 * running, an exited and a missing container). Runs in: the test.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>

#include "rs/docker.h"
#include "rs/err.h"
#include "fake_engine.h"
#include "../../src/docker/docker_int.h"

#define PODMAN_DIE                                                                                 \
    "{\"status\":\"die\",\"id\":\"abc123\",\"Type\":\"container\",\"Action\":\"die\","             \
    "\"Actor\":{\"ID\":\"abc123\",\"Attributes\":{\"containerExitCode\":\"137\","                  \
    "\"exitCode\":\"137\",\"name\":\"x\"}},\"time\":1}"
#define DOCKER_DIE                                                                                 \
    "{\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{\"ID\":\"def456\",\"Attributes\":"      \
    "{\"exitCode\":\"3\"}}}"

/* "<hex len>\r\n<s>\r\n" */
static void chunk(char *out, size_t outlen, const char *s)
{
    size_t o = strlen(out);
    snprintf(out + o, outlen - o, "%zx\r\n%s\r\n", strlen(s), s);
}

static void feed_bytewise(rs_docker_evbuf_t *b, const char *s)
{
    for (size_t i = 0; s[i]; i++)
        cr_assert_eq(rs_docker_evbuf_feed(b, s + i, 1), 0, "at byte %zu", i);
}

static void expect_exit(rs_docker_evbuf_t *b, const char *id, int code)
{
    json_object *j = NULL;
    char got[80] = "";
    int c = -5;
    cr_assert_eq(rs_docker_evbuf_pop(b, &j), 1);
    cr_assert_eq(rs_docker_event_exit(j, got, sizeof(got), &c), 1);
    cr_assert_str_eq(got, id);
    cr_assert_eq(c, code);
    json_object_put(j);
}

Test(docker_evbuf, chunked_stream_byte_by_byte)
{
    static char s[4096];
    rs_docker_evbuf_t b;
    json_object *j;
    /* podman: one chunk per event; the second event's line is split over two chunks */
    snprintf(s, sizeof(s),
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
             "Transfer-Encoding: chunked\r\n\r\n");
    chunk(s, sizeof(s), PODMAN_DIE "\n");
    chunk(s, sizeof(s), "\n"); /* keep-alive */
    chunk(s, sizeof(s), "{\"Type\":\"container\",\"Action\":\"die\",");
    chunk(s, sizeof(s), "\"Actor\":{\"ID\":\"def456\",\"Attributes\":{\"exitCode\":\"3\"}}}\n");
    rs_docker_evbuf_init(&b);
    size_t head = strstr(s, "\r\n\r\n") + 4 - s;
    char saved = s[head];
    s[head] = '\0';
    feed_bytewise(&b, s);
    cr_assert_eq(b.have_head, 1);
    cr_assert_eq(b.status, 200);
    cr_assert_eq(rs_docker_evbuf_pop(&b, &j), 0);
    s[head] = saved;
    feed_bytewise(&b, s + head);
    expect_exit(&b, "abc123", 137);
    expect_exit(&b, "def456", 3);
    cr_assert_eq(rs_docker_evbuf_pop(&b, &j), 0);
    cr_assert_null(j);
    /* a later event in one piece still decodes after the buffer was compacted */
    char more[1024] = "";
    chunk(more, sizeof(more), DOCKER_DIE "\n" PODMAN_DIE "\n");
    cr_assert_eq(rs_docker_evbuf_feed(&b, more, strlen(more)), 0);
    expect_exit(&b, "def456", 3);
    expect_exit(&b, "abc123", 137);
    rs_docker_evbuf_free(&b);
}

Test(docker_evbuf, read_to_eof_body_and_error_status)
{
    rs_docker_evbuf_t b;
    rs_docker_evbuf_init(&b);
    feed_bytewise(&b, "HTTP/1.0 200 OK\r\nX: y\r\n\r\n" DOCKER_DIE "\n{\"Action\":\"start\"}\n");
    expect_exit(&b, "def456", 3);
    json_object *j = NULL;
    char id[80];
    int code;
    cr_assert_eq(rs_docker_evbuf_pop(&b, &j), 1);
    cr_assert_eq(rs_docker_event_exit(j, id, sizeof(id), &code), 0); /* not an end */
    json_object_put(j);
    rs_docker_evbuf_free(&b);

    rs_docker_evbuf_init(&b);
    feed_bytewise(&b, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\n\r\n{}");
    cr_assert_eq(b.status, 500);
    rs_docker_evbuf_free(&b);
}

Test(docker_evbuf, malformed_streams)
{
    rs_docker_evbuf_t b;
    json_object *j;
    rs_docker_evbuf_init(&b);
    cr_assert_eq(rs_docker_evbuf_feed(&b, "SSH-2.0-x\r\n\r\n", 13), RS_EINVAL);
    rs_docker_evbuf_free(&b);

    rs_docker_evbuf_init(&b); /* a line that is not a JSON object */
    feed_bytewise(&b, "HTTP/1.0 200 OK\r\n\r\n[1,2]\n");
    cr_assert_eq(rs_docker_evbuf_pop(&b, &j), RS_EINVAL);
    cr_assert_eq(rs_docker_evbuf_pop(&b, &j), RS_EINVAL); /* and it stays unusable */
    rs_docker_evbuf_free(&b);

    rs_docker_evbuf_init(&b); /* a bad chunk size */
    cr_assert_eq(
        rs_docker_evbuf_feed(&b, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 47), 0);
    cr_assert_eq(rs_docker_evbuf_feed(&b, "zz\r\n", 4), RS_EINVAL);
    rs_docker_evbuf_free(&b);

    rs_docker_evbuf_init(&b); /* a line without an end, larger than any event */
    feed_bytewise(&b, "HTTP/1.0 200 OK\r\n\r\n{\"a\":\"");
    static char big[64 * 1024];
    memset(big, 'x', sizeof(big));
    int r = 0;
    for (int i = 0; i < 8 && r == 0; i++) {
        r = rs_docker_evbuf_feed(&b, big, sizeof(big));
        if (r == 0)
            r = rs_docker_evbuf_pop(&b, &j);
    }
    cr_assert_eq(r, RS_EINVAL);
    rs_docker_evbuf_free(&b);
}

Test(docker_evbuf, what_counts_as_an_end)
{
    static const struct {
        const char *json;
        int is_exit;
        const char *id;
        int code;
    } cases[] = {
        {PODMAN_DIE, 1, "abc123", 137},
        {DOCKER_DIE, 1, "def456", 3},
        /* podman's own name; the id from "id" when Actor has none */
        {"{\"status\":\"died\",\"id\":\"f00\",\"Type\":\"container\"}", 1, "f00", -1},
        {"{\"Action\":\"die\",\"Actor\":{\"ID\":\"a1\",\"Attributes\":{\"exitCode\":\"x\"}}}", 1,
         "a1", -1},
        {"{\"Action\":\"die\",\"Actor\":{\"ID\":\"a1\",\"Attributes\":{\"exitCode\":\"300\"}}}", 1,
         "a1", -1},
        {"{\"Action\":\"kill\",\"Actor\":{\"ID\":\"a1\"}}", 0, "", 0},
        {"{\"Action\":\"cleanup\",\"Actor\":{\"ID\":\"a1\"}}", 0, "", 0},
        {"{\"Type\":\"network\",\"Action\":\"die\",\"Actor\":{\"ID\":\"n1\"}}", 0, "", 0},
        {"{\"Action\":\"die\"}", 0, "", 0},
        {"{\"Action\":7,\"Actor\":{\"ID\":\"a1\"}}", 0, "", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_object *j = json_tokener_parse(cases[i].json);
        char id[80] = "";
        int code = -7;
        cr_assert_not_null(j, "case %zu", i);
        cr_assert_eq(rs_docker_event_exit(j, id, sizeof(id), &code), cases[i].is_exit, "case %zu",
                     i);
        if (cases[i].is_exit) {
            cr_assert_str_eq(id, cases[i].id, "case %zu", i);
            cr_assert_eq(code, cases[i].code, "case %zu", i);
        }
        json_object_put(j);
    }
    /* an id that does not fit the buffer is not an end we can name */
    json_object *j = json_tokener_parse(PODMAN_DIE);
    char small[4];
    int code;
    cr_assert_eq(rs_docker_event_exit(j, small, sizeof(small), &code), 0);
    json_object_put(j);
}

/* ---- against a fake engine ---------------------------------------------------------- */

typedef struct fake {
    rs_fake_engine_t eng;
    const char *parts[8]; /* sent one after another, 50 ms apart */
    int hold_ms;          /* then keep the connection open this long */
    char req[4096];
} fake_t;

static fake_t fk;
static rs_docker_t dk;

static void *serve(void *arg)
{
    (void)arg;
    int fd = accept(fk.eng.lfd, NULL, NULL);
    if (fd < 0)
        return NULL;
    size_t len = 0;
    fk.req[0] = '\0'; /* a test may serve twice */
    while (strstr(fk.req, "\r\n\r\n") == NULL && len < sizeof(fk.req) - 1) {
        ssize_t n = read(fd, fk.req + len, sizeof(fk.req) - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        fk.req[len] = '\0';
    }
    for (int i = 0; i < 8 && fk.parts[i]; i++) {
        if (i > 0)
            rs_test_sleep_ms(50);
        if (send(fd, fk.parts[i], strlen(fk.parts[i]), MSG_NOSIGNAL) < 0)
            break;
    }
    if (fk.hold_ms > 0)
        rs_test_sleep_ms(fk.hold_ms);
    close(fd);
    return NULL;
}

static void fake_go(void)
{
    rs_fake_engine_start(&fk.eng, 4, serve, NULL);
}

static void setup(void)
{
    memset(&fk, 0, sizeof(fk));
    rs_fake_engine_init(&fk.eng, "dockerev", &dk);
}

static void teardown(void)
{
    rs_fake_engine_stop(&fk.eng);
}

TestSuite(docker_events, .init = setup, .fini = teardown, .timeout = 20);

/* the filter under test: rs_docker_die_filter (the request checks below pin its text) */
static json_object *die_filter(void)
{
    json_object *f = rs_docker_die_filter("io.ruststack.instance=/rs x");
    cr_assert_not_null(f);
    return f;
}

/* Wait for the next end on the stream (up to 3 s): 1 with id/code, RS_ERR when closed. */
static int next_exit(rs_docker_events_t *ev, char *id, size_t idlen, int *code)
{
    char err[128];
    for (int spins = 0; spins < 300; spins++) {
        json_object *j;
        int r = rs_docker_events_pop(ev, &j);
        cr_assert_geq(r, 0);
        if (r == 1) {
            int e = rs_docker_event_exit(j, id, idlen, code);
            json_object_put(j);
            if (e)
                return 1;
            continue;
        }
        struct pollfd pf = {rs_docker_events_fd(ev), POLLIN, 0};
        if (poll(&pf, 1, 10) > 0 && rs_docker_events_recv(ev, err, sizeof(err)) < 0)
            return RS_ERR;
    }
    return 0;
}

Test(docker_events, stream_over_time_then_closed)
{
    static char body[2048];
    body[0] = '\0';
    chunk(body, sizeof(body), PODMAN_DIE "\n");
    static char second[1024];
    second[0] = '\0';
    chunk(second, sizeof(second), "{\"Action\":\"kill\",\"Actor\":{\"ID\":\"zz\"}}\n" DOCKER_DIE);
    chunk(second, sizeof(second), "\n");
    fk.parts[0] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    fk.parts[1] = body;
    fk.parts[2] = second;
    fk.parts[3] = "0\r\n\r\n";
    fake_go();
    json_object *f = die_filter();
    rs_docker_events_t *ev = NULL;
    char err[128] = "", id[80];
    int code;
    cr_assert_eq(rs_docker_events_open(&dk, f, &ev, err, sizeof(err)), 0, "%s", err);
    json_object_put(f);
    static const char want[] = "GET /v1.41/events?filters=%7B%22type%22%3A%5B%22container%22%5D";
    cr_assert(strncmp(fk.req, want, strlen(want)) == 0, "%s", fk.req);
    cr_assert_not_null(strstr(fk.req, "%22die%22%2C%22died%22"), "%s", fk.req);
    cr_assert_not_null(strstr(fk.req, "instance%3D%2Frs%20x"), "%s", fk.req);
    cr_assert_eq(next_exit(ev, id, sizeof(id), &code), 1);
    cr_assert_str_eq(id, "abc123");
    cr_assert_eq(code, 137);
    cr_assert_eq(next_exit(ev, id, sizeof(id), &code), 1);
    cr_assert_str_eq(id, "def456");
    cr_assert_eq(code, 3);
    cr_assert_eq(next_exit(ev, id, sizeof(id), &code), RS_ERR); /* the engine closed it */
    rs_docker_events_close(ev);
}

Test(docker_events, refused_stream_and_no_engine)
{
    json_object *f = die_filter();
    rs_docker_events_t *ev = (void *)1;
    char err[128] = "";
    cr_assert_eq(rs_docker_events_open(&dk, f, &ev, err, sizeof(err)), RS_ERR);
    cr_assert_null(ev);
    cr_assert_not_null(strstr(err, "cannot connect"), "%s", err);
    fk.parts[0] = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\n\r\n{}";
    fake_go();
    cr_assert_eq(rs_docker_events_open(&dk, f, &ev, err, sizeof(err)), RS_EIO);
    cr_assert_null(ev);
    cr_assert_not_null(strstr(err, "500"), "%s", err);
    json_object_put(f);
}

Test(docker_events, head_timeout)
{
    dk.timeout_ms = 200;
    fk.hold_ms = 1500; /* accepts, never answers */
    fake_go();
    json_object *f = die_filter();
    rs_docker_events_t *ev = NULL;
    char err[128] = "";
    cr_assert_eq(rs_docker_events_open(&dk, f, &ev, err, sizeof(err)), RS_ERR);
    cr_assert_not_null(strstr(err, "timed out"), "%s", err);
    json_object_put(f);
}

Test(docker_events, inspect_exited)
{
    fk.parts[0] =
        "HTTP/1.1 200 OK\r\nContent-Length: 84\r\n\r\n"
        "{\"Id\":\"c1\",\"State\":{\"Status\":\"exited\",\"Running\":false,\"ExitCode\":137,"
        "\"Pid\":0,\"X\":1}}";
    fake_go();
    rs_docker_state_t st;
    char err[128] = "";
    cr_assert_eq(rs_docker_inspect_state(&dk, "c1", &st, err, sizeof(err)), 0, "%s", err);
    cr_assert(strncmp(fk.req, "GET /v1.41/containers/c1/json ", 30) == 0, "%s", fk.req);
    cr_assert_eq(st.running, 0);
    cr_assert_eq(st.stopped, 1);
    cr_assert_eq(st.exit_code, 137);
    cr_assert_str_eq(st.status, "exited");
}

Test(docker_events, inspect_running_and_created)
{
    fk.parts[0] =
        "HTTP/1.1 200 OK\r\nContent-Length: 69\r\n\r\n"
        "{\"State\":{\"Status\":\"running\",\"Running\":true,\"ExitCode\":0,\"Pid\":4242}}";
    fake_go();
    rs_docker_state_t st;
    char err[128] = "";
    cr_assert_eq(rs_docker_inspect_state(&dk, "c1", &st, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(st.running, 1);
    cr_assert_eq(st.stopped, 0);
    cr_assert_eq(st.pid, 4242);
    pthread_join(fk.eng.th, NULL);
    close(fk.eng.lfd);
    unlink(fk.eng.path);
    /* created, never started: not an end */
    fk.parts[0] = "HTTP/1.1 200 OK\r\nContent-Length: 67\r\n\r\n"
                  "{\"State\":{\"Status\":\"created\",\"Running\":false,\"ExitCode\":0,\"Pid\":0}}";
    fake_go();
    cr_assert_eq(rs_docker_inspect_state(&dk, "c1", &st, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(st.running, 0);
    cr_assert_eq(st.stopped, 0);
}

Test(docker_events, inspect_missing_and_malformed)
{
    fk.parts[0] = "HTTP/1.1 404 Not Found\r\nContent-Length: 31\r\n\r\n"
                  "{\"message\":\"no such container\"}";
    fake_go();
    rs_docker_state_t st;
    char err[128] = "";
    cr_assert_eq(rs_docker_inspect_state(&dk, "c1", &st, err, sizeof(err)), RS_ENOENT);
    cr_assert_not_null(strstr(err, "no such container"), "%s", err);
    pthread_join(fk.eng.th, NULL);
    close(fk.eng.lfd);
    unlink(fk.eng.path);
    fk.parts[0] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{\"Id\":\"x\"}";
    fake_go();
    int rc = rs_docker_inspect_state(&dk, "c1", &st, err, sizeof(err));
    cr_assert_eq(rc, RS_EINVAL, "%d %s", rc, err);
}
