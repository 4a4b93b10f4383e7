/*
 * test_lambda_docker_watch.c: the docker executor's watch of container ends
 * (src/lambda/lambda_docker_watch.c) against a fake engine on a Unix socket that holds
 * event streams open and answers inspects from a state the test sets: a die event wakes
 * the waiter with its exit code; an event stream the engine closes is reconnected and the
 * containers that ended meanwhile are found by inspect; a kill the engine refuses for a
 * container that is gone ends the wait at once; with no engine at all a killed container
 * counts as gone after the give-up time (the pool never waits forever).
 * Runs in: the test.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lambda/lambda_docker_watch.h"
#include "fake_engine.h"
#include "rs/docker.h"

#define STREAM_HEAD "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"

typedef struct fake {
    rs_fake_engine_t eng;
    pthread_mutex_t mu;
    int stream_fd;   /* the events connection held open (-1: none) */
    int streams;     /* events connections accepted */
    int inspects;    /* inspect requests answered */
    char state[256]; /* inspect answer body ("" -> 404) */
    char stream_req[2048];
} fake_t;

static fake_t fk;
static rs_docker_t dk;

static void send_str(int fd, const char *s)
{
    (void)!send(fd, s, strlen(s), MSG_NOSIGNAL);
}

static void *serve(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(fk.eng.lfd, NULL, NULL);
        if (fd < 0)
            return NULL;
        char req[2048];
        size_t len = 0;
        req[0] = '\0';
        while (strstr(req, "\r\n\r\n") == NULL && len < sizeof(req) - 1) {
            ssize_t n = read(fd, req + len, sizeof(req) - 1 - len);
            if (n <= 0)
                break;
            len += (size_t)n;
            req[len] = '\0';
        }
        pthread_mutex_lock(&fk.mu);
        if (strncmp(req, "GET /v1.41/events?", 18) == 0) {
            fk.streams++;
            snprintf(fk.stream_req, sizeof(fk.stream_req), "%s", req);
            if (fk.stream_fd >= 0)
                close(fk.stream_fd);
            fk.stream_fd = fd;
            send_str(fd, STREAM_HEAD);
            pthread_mutex_unlock(&fk.mu);
            continue;
        }
        fk.inspects++;
        char ans[512];
        if (fk.state[0])
            snprintf(ans, sizeof(ans), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s",
                     strlen(fk.state), fk.state);
        else
            snprintf(ans, sizeof(ans), "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}");
        pthread_mutex_unlock(&fk.mu);
        send_str(fd, ans);
        close(fd);
    }
}

static void set_state(const char *status, int running, int code)
{
    pthread_mutex_lock(&fk.mu);
    if (status == NULL)
        fk.state[0] = '\0';
    else
        snprintf(fk.state, sizeof(fk.state),
                 "{\"State\":{\"Status\":\"%s\",\"Running\":%s,\"ExitCode\":%d,\"Pid\":0}}", status,
                 running ? "true" : "false", code);
    pthread_mutex_unlock(&fk.mu);
}

static int streams(void)
{
    pthread_mutex_lock(&fk.mu);
    int n = fk.streams;
    pthread_mutex_unlock(&fk.mu);
    return n;
}

/* Send one event line as a chunk on the held stream. */
static void push_event(const char *json)
{
    char buf[1024];
    snprintf(buf, sizeof(buf), "%zx\r\n%s\n\r\n", strlen(json) + 1, json);
    pthread_mutex_lock(&fk.mu);
    cr_assert_geq(fk.stream_fd, 0);
    send_str(fk.stream_fd, buf);
    pthread_mutex_unlock(&fk.mu);
}

static void wait_streams(int n)
{
    for (int i = 0; i < 300 && streams() < n; i++)
        rs_test_sleep_ms(10);
    cr_assert_geq(streams(), n);
}

static void fake_go(void)
{
    rs_fake_engine_start(&fk.eng, 8, serve, NULL);
}

static void setup(void)
{
    memset(&fk, 0, sizeof(fk));
    fk.stream_fd = -1;
    pthread_mutex_init(&fk.mu, NULL);
    rs_fake_engine_init(&fk.eng, "dwatch", &dk);
}

static void teardown(void)
{
    rs_fake_engine_stop(&fk.eng);
    if (fk.stream_fd >= 0)
        close(fk.stream_fd);
}

TestSuite(dwatch, .init = setup, .fini = teardown, .timeout = 40);

Test(dwatch, die_event_wakes_the_waiter)
{
    rs_dwatch_t *w = NULL;
    set_state("running", 1, 0);
    fake_go();
    cr_assert_eq(rs_dwatch_start(&dk, "/rs-test", &w), 0);
    wait_streams(1);
    /* the stream asks for this instance's container deaths under both names */
    cr_assert_not_null(strstr(fk.stream_req, "%22die%22%2C%22died%22"), "%s", fk.stream_req);
    cr_assert_not_null(strstr(fk.stream_req, "io.ruststack.instance%3D%2Frs-test"), "%s",
                       fk.stream_req);
    rs_dwatch_entry_t *a = rs_dwatch_add(w, "aaaa"), *b = rs_dwatch_add(w, "bbbb");
    cr_assert(a && b);
    rs_dwatch_started(w, a);
    rs_dwatch_started(w, b);
    /* another instance's or an unknown container: nobody wakes */
    push_event("{\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{\"ID\":\"zzzz\","
               "\"Attributes\":{\"exitCode\":\"1\"}}}");
    push_event("{\"Type\":\"container\",\"Action\":\"kill\",\"Actor\":{\"ID\":\"bbbb\"}}");
    push_event("{\"status\":\"die\",\"id\":\"bbbb\",\"Type\":\"container\",\"Action\":\"die\","
               "\"Actor\":{\"ID\":\"bbbb\",\"Attributes\":{\"containerExitCode\":\"7\","
               "\"exitCode\":\"7\"}}}");
    long long t0 = rs_test_now_ms();
    cr_assert_eq(rs_dwatch_wait(w, b), 7);
    cr_assert_lt(rs_test_now_ms() - t0, 2000);
    rs_dwatch_drop(w, b);
    push_event("{\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{\"ID\":\"aaaa\","
               "\"Attributes\":{\"exitCode\":\"137\"}}}");
    cr_assert_eq(rs_dwatch_wait(w, a), 137);
    rs_dwatch_drop(w, a);
    cr_assert_eq(streams(), 1);
    rs_dwatch_stop(w);
}

Test(dwatch, lost_stream_reconnects_and_inspects)
{
    rs_dwatch_t *w = NULL;
    set_state("running", 1, 0);
    fake_go();
    cr_assert_eq(rs_dwatch_start(&dk, "/rs-test", &w), 0);
    wait_streams(1);
    rs_dwatch_entry_t *a = rs_dwatch_add(w, "aaaa");
    rs_dwatch_started(w, a);
    rs_test_sleep_ms(200);
    /* the engine restarts: the stream ends, and the container died meanwhile */
    set_state("exited", 0, 3);
    pthread_mutex_lock(&fk.mu);
    shutdown(fk.stream_fd, SHUT_RDWR);
    pthread_mutex_unlock(&fk.mu);
    long long t0 = rs_test_now_ms();
    cr_assert_eq(rs_dwatch_wait(w, a), 3);
    cr_assert_lt(rs_test_now_ms() - t0, 5000);
    cr_assert_geq(streams(), 2);
    rs_dwatch_drop(w, a);
    rs_dwatch_stop(w);
}

Test(dwatch, refused_kill_of_a_gone_container_ends_the_wait)
{
    rs_dwatch_t *w = NULL;
    set_state("running", 1, 0);
    fake_go();
    cr_assert_eq(rs_dwatch_start(&dk, "/rs-test", &w), 0);
    wait_streams(1);
    rs_dwatch_entry_t *a = rs_dwatch_add(w, "aaaa");
    rs_dwatch_started(w, a);
    set_state(NULL, 0, 0); /* removed behind our back: 404 */
    rs_dwatch_killed(w, a, 0);
    long long t0 = rs_test_now_ms();
    cr_assert_eq(rs_dwatch_wait(w, a), -1);
    cr_assert_lt(rs_test_now_ms() - t0, 1000);
    rs_dwatch_drop(w, a);
    rs_dwatch_stop(w);
}

Test(dwatch, created_not_started_is_not_an_end)
{
    rs_dwatch_t *w = NULL;
    set_state("created", 0, 0);
    fake_go();
    cr_assert_eq(rs_dwatch_start(&dk, "/rs-test", &w), 0);
    wait_streams(1);
    rs_dwatch_entry_t *a = rs_dwatch_add(w, "aaaa");
    /* a reconnection sweeps; a container not started yet is left alone */
    pthread_mutex_lock(&fk.mu);
    shutdown(fk.stream_fd, SHUT_RDWR);
    pthread_mutex_unlock(&fk.mu);
    wait_streams(2);
    rs_test_sleep_ms(300);
    rs_dwatch_started(w, a);
    set_state("exited", 0, 0);
    push_event("{\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{\"ID\":\"aaaa\","
               "\"Attributes\":{\"exitCode\":\"0\"}}}");
    cr_assert_eq(rs_dwatch_wait(w, a), 0);
    rs_dwatch_drop(w, a);
    rs_dwatch_stop(w);
}

Test(dwatch, no_engine_a_killed_container_is_given_up)
{
    rs_dwatch_t *w = NULL;
    /* nothing listens on the socket */
    cr_assert_eq(rs_dwatch_start(&dk, "/rs-test", &w), 0);
    rs_dwatch_entry_t *a = rs_dwatch_add(w, "aaaa");
    rs_dwatch_started(w, a);
    long long t0 = rs_test_now_ms();
    rs_dwatch_killed(w, a, 1);
    cr_assert_eq(rs_dwatch_wait(w, a), -1);
    long long took = rs_test_now_ms() - t0;
    cr_assert(took >= 9000 && took < 20000, "%lld ms", took);
    rs_dwatch_drop(w, a);
    rs_dwatch_stop(w);
}
