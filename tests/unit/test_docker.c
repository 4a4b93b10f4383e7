/*
 * test_docker.c: the Docker Engine API client (src/docker/) against a fake engine: a
 * thread serving one connection on a temporary Unix socket with a canned answer
 * (Content-Length, chunked, read-to-EOF bodies, answers sent in small pieces, 1xx interim
 * answers), the status mapping (404/409/500/304), truncated and non-HTTP answers, a slow
 * answer hitting the timeout, wait without a timeout, and the request the client sends
 * (method, path with the encoded label filter, headers, JSON body). Runs in: the test.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
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

typedef struct fake {
    rs_fake_engine_t eng;
    const char *answer; /* canned answer bytes */
    size_t answer_len;
    int delay_ms; /* before answering */
    size_t piece; /* write the answer in pieces of this many bytes (0: at once) */
    int hold_ms;  /* keep the connection open this long after answering */
    char req[8192];
    size_t req_len;
} fake_t;

static fake_t fk;
static rs_docker_t dk;

/* Read one request (headers plus a Content-Length body) into fk.req. */
static void read_request(int fd)
{
    size_t want = 0;
    for (;;) {
        ssize_t n = read(fd, fk.req + fk.req_len, sizeof(fk.req) - 1 - fk.req_len);
        if (n <= 0)
            break;
        fk.req_len += (size_t)n;
        fk.req[fk.req_len] = '\0';
        char *end = strstr(fk.req, "\r\n\r\n");
        if (end == NULL)
            continue;
        if (want == 0) {
            char *cl = strcasestr(fk.req, "\r\nContent-Length:");
            want = (size_t)(end + 4 - fk.req) + (cl != NULL ? strtoul(cl + 17, NULL, 10) : 0);
        }
        if (fk.req_len >= want)
            break;
    }
}

static void *serve(void *arg)
{
    (void)arg;
    int fd = accept(fk.eng.lfd, NULL, NULL);
    if (fd < 0)
        return NULL;
    read_request(fd);
    if (fk.delay_ms > 0)
        rs_test_sleep_ms(fk.delay_ms);
    size_t off = 0;
    while (off < fk.answer_len) {
        size_t n = fk.answer_len - off;
        if (fk.piece > 0 && n > fk.piece)
            n = fk.piece;
        ssize_t w = send(fd, fk.answer + off, n, MSG_NOSIGNAL);
        if (w <= 0)
            break;
        off += (size_t)w;
        if (fk.piece > 0)
            rs_test_sleep_ms(2);
    }
    if (fk.hold_ms > 0)
        rs_test_sleep_ms(fk.hold_ms);
    close(fd);
    return NULL;
}

/* Start the fake engine with `answer` (NUL-terminated) and the options set in fk. */
static void fake_go(const char *answer)
{
    fk.answer = answer;
    fk.answer_len = strlen(answer);
    rs_fake_engine_start(&fk.eng, 4, serve, NULL);
}

static void setup(void)
{
    memset(&fk, 0, sizeof(fk));
    rs_fake_engine_init(&fk.eng, "docker", &dk);
}

static void teardown(void)
{
    rs_fake_engine_stop(&fk.eng);
}

TestSuite(docker, .init = setup, .fini = teardown, .timeout = 20);

Test(docker, init_rejects_long_path)
{
    char longp[400];
    rs_docker_t d;
    memset(longp, 'a', sizeof(longp) - 1);
    longp[sizeof(longp) - 1] = '\0';
    cr_assert_eq(rs_docker_init(&d, longp, 10), RS_EINVAL);
    cr_assert_eq(rs_docker_init(&d, "", 10), RS_EINVAL);
    cr_assert_eq(rs_docker_init(&d, "/x.sock", 10), 0);
    cr_assert_str_eq(d.socket_path, "/x.sock");
    cr_assert_eq(d.timeout_ms, 10);
}

Test(docker, content_length_body_and_request_headers)
{
    fk.hold_ms = 3000; /* the body is complete: the client must not wait for EOF */
    fake_go("HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
            "Content-Length: 11\r\n\r\n{\"Id\":\"ab\"}");
    int st = 0;
    char *body = NULL;
    size_t len = 0;
    long long t0 = rs_test_now_ms();
    cr_assert_eq(rs_docker_request(&dk, "POST", "/v1.41/x", "{\"a\":1}", 7, &st, &body, &len, 1000),
                 0);
    cr_assert_lt(rs_test_now_ms() - t0, 2500);
    cr_assert_eq(st, 201);
    cr_assert_eq(len, 11);
    cr_assert_str_eq(body, "{\"Id\":\"ab\"}");
    free(body);
    pthread_join(fk.eng.th, NULL);
    close(fk.eng.lfd);
    fk.eng.lfd = -1;
    cr_assert(strncmp(fk.req, "POST /v1.41/x HTTP/1.1\r\n", 24) == 0, "%s", fk.req);
    cr_assert_not_null(strcasestr(fk.req, "\r\nHost: "));
    cr_assert_not_null(strcasestr(fk.req, "\r\nConnection: close\r\n"));
    cr_assert_not_null(strcasestr(fk.req, "\r\nContent-Type: application/json\r\n"));
    cr_assert_not_null(strcasestr(fk.req, "\r\nContent-Length: 7\r\n"));
    cr_assert_str_eq(strstr(fk.req, "\r\n\r\n") + 4, "{\"a\":1}");
}

Test(docker, chunked_body_in_small_pieces)
{
    fk.piece = 3;
    fake_go("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            "5\r\nhello\r\n6;ext=1\r\n world\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n");
    int st = 0;
    char *body = NULL;
    size_t len = 0;
    cr_assert_eq(rs_docker_request(&dk, "GET", "/x", NULL, 0, &st, &body, &len, 2000), 0);
    cr_assert_eq(st, 200);
    cr_assert_str_eq(body, "hello world0123456789");
    cr_assert_eq(len, 21);
    free(body);
    cr_assert_null(strcasestr(fk.req, "Content-Type"));
}

Test(docker, body_read_to_eof_and_interim_answer)
{
    fake_go("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\nX: y\r\n\r\nuntil the end");
    int st = 0;
    char *body = NULL;
    size_t len = 0;
    cr_assert_eq(rs_docker_request(&dk, "GET", "/x", NULL, 0, &st, &body, &len, 2000), 0);
    cr_assert_eq(st, 200);
    cr_assert_str_eq(body, "until the end");
    free(body);
}

Test(docker, no_content_has_empty_body)
{
    fk.hold_ms = 3000;
    fake_go("HTTP/1.1 204 No Content\r\n\r\n");
    char err[128] = "";
    long long t0 = rs_test_now_ms();
    cr_assert_eq(rs_docker_start(&dk, "abc", err, sizeof(err)), 0);
    cr_assert_lt(rs_test_now_ms() - t0, 2500);
    cr_assert(strncmp(fk.req, "POST /v1.41/containers/abc/start HTTP/1.1\r\n", 43) == 0, "%s",
              fk.req);
}

Test(docker, already_started_is_success)
{
    fake_go("HTTP/1.1 304 Not Modified\r\nContent-Length: 0\r\n\r\n");
    cr_assert_eq(rs_docker_start(&dk, "abc", NULL, 0), 0);
}

Test(docker, not_found_maps_to_enoent_with_message)
{
    fake_go(
        "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 71\r\n"
        "\r\n{\"cause\":\"no such image\",\"message\":\"x: image not known\",\"response\":404}");
    char err[128] = "";
    cr_assert_eq(rs_docker_image_exists(&dk, "localhost/ruststack-python:3.11", err, sizeof(err)),
                 RS_ENOENT);
    cr_assert_not_null(strstr(err, "x: image not known"), "%s", err);
    cr_assert(strncmp(fk.req, "GET /v1.41/images/localhost/ruststack-python:3.11/json ", 55) == 0,
              "%s", fk.req);
}

Test(docker, conflict_maps_to_eexist)
{
    fake_go("HTTP/1.1 409 Conflict\r\nContent-Length: 36\r\n\r\n"
            "{\"message\":\"name is already in use\"}");
    json_object *cfg = json_object_new_object();
    json_object_object_add(cfg, "Image", json_object_new_string("img"));
    char id[65], err[128] = "";
    cr_assert_eq(rs_docker_create(&dk, "rs fn", cfg, id, sizeof(id), err, sizeof(err)), RS_EEXIST);
    cr_assert_not_null(strstr(err, "name is already in use"), "%s", err);
    cr_assert(strncmp(fk.req, "POST /v1.41/containers/create?name=rs%20fn ", 43) == 0, "%s",
              fk.req);
    json_object_put(cfg);
}

Test(docker, podman_conflict_500_maps_to_eexist)
{
    fake_go("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 96\r\n\r\n"
            "{\"cause\":\"container state improper\",\"message\":\"can only kill running "
            "containers\",\"response\":500}");
    char err[128] = "";
    cr_assert_eq(rs_docker_kill(&dk, "abc", "KILL", err, sizeof(err)), RS_EEXIST);
    cr_assert_not_null(strstr(err, "can only kill running containers"), "%s", err);
}

Test(docker, server_error_maps_to_eio_one_line)
{
    fake_go("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 33\r\n\r\n"
            "{\"message\":\"runc failed\\nbadly\"}\n");
    char err[128] = "";
    cr_assert_eq(rs_docker_kill(&dk, "abc", "TERM", err, sizeof(err)), RS_EIO);
    cr_assert_not_null(strstr(err, "runc failed"), "%s", err);
    cr_assert_null(strchr(err, '\n'));
    cr_assert(strncmp(fk.req, "POST /v1.41/containers/abc/kill?signal=TERM ", 44) == 0, "%s",
              fk.req);
}

Test(docker, non_json_error_body_is_reported)
{
    fake_go("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 10\r\n\r\nupstream!\n");
    char err[128] = "";
    cr_assert_eq(rs_docker_remove(&dk, "abc", err, sizeof(err)), RS_EIO);
    cr_assert_not_null(strstr(err, "502"), "%s", err);
    cr_assert_not_null(strstr(err, "upstream!"), "%s", err);
    cr_assert(strncmp(fk.req, "DELETE /v1.41/containers/abc?force=1&v=1 ", 41) == 0, "%s", fk.req);
}

Test(docker, truncated_content_length_answer)
{
    fake_go("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b");
    int st = -1;
    char *body = (char *)1;
    cr_assert_eq(rs_docker_request(&dk, "GET", "/x", NULL, 0, &st, &body, NULL, 2000), RS_ERR);
    cr_assert_null(body);
    char err[128] = "";
    teardown();
    setup();
    fake_go("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
    cr_assert_eq(rs_docker_ping(&dk, err, sizeof(err)), RS_ERR);
    cr_assert_neq(err[0], '\0');
}

Test(docker, truncated_head_and_closed_without_answer)
{
    char err[128] = "";
    fake_go("HTTP/1.1 200 OK\r\nContent-Le");
    cr_assert_eq(rs_docker_ping(&dk, err, sizeof(err)), RS_ERR);
    teardown();
    setup();
    fake_go("");
    cr_assert_eq(rs_docker_ping(&dk, err, sizeof(err)), RS_ERR);
    cr_assert_not_null(strstr(err, "without an answer"), "%s", err);
}

Test(docker, not_http_is_einval)
{
    fake_go("SSH-2.0-OpenSSH_9.2\r\n\r\n");
    char err[128] = "";
    cr_assert_eq(rs_docker_ping(&dk, err, sizeof(err)), RS_EINVAL);
    teardown();
    setup();
    fake_go("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
    cr_assert_eq(rs_docker_ping(&dk, err, sizeof(err)), RS_EINVAL);
    teardown();
    setup();
    fake_go("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nnot json!");
    cr_assert_eq(rs_docker_version(&dk, NULL, 0, err, sizeof(err)), RS_EINVAL);
}

Test(docker, slow_answer_hits_timeout)
{
    fk.delay_ms = 4000;
    fake_go("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK");
    char err[128] = "";
    long long t0 = rs_test_now_ms();
    errno = 0;
    cr_assert_eq(rs_docker_request(&dk, "GET", "/_ping", NULL, 0, NULL, NULL, NULL, 300), RS_ERR);
    cr_assert_eq(errno, ETIMEDOUT);
    long long el = rs_test_now_ms() - t0;
    cr_assert(el >= 250 && el < 2500, "elapsed %lld ms", el);
    /* the default timeout of rs_docker_init applies to the API calls */
    dk.timeout_ms = 200;
    t0 = rs_test_now_ms();
    cr_assert_eq(rs_docker_ping(&dk, err, sizeof(err)), RS_ERR);
    cr_assert_lt(rs_test_now_ms() - t0, 2500);
    cr_assert_not_null(strstr(err, "timed out"), "%s", err);
}

Test(docker, wait_has_no_timeout_and_reads_status)
{
    dk.timeout_ms = 100;
    fk.delay_ms = 600;
    fake_go("HTTP/1.1 200 OK\r\nContent-Length: 29\r\n\r\n{\"StatusCode\":3,\"Error\":null}");
    int code = -1;
    char err[128] = "";
    cr_assert_eq(rs_docker_wait(&dk, "abc", &code, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(code, 3);
    cr_assert(strncmp(fk.req, "POST /v1.41/containers/abc/wait ", 32) == 0, "%s", fk.req);
}

Test(docker, no_engine_is_rs_err)
{
    char err[128] = "";
    cr_assert_eq(rs_docker_ping(&dk, err, sizeof(err)), RS_ERR);
    cr_assert_not_null(strstr(err, "cannot connect"), "%s", err);
}

Test(docker, ping_and_version)
{
    fake_go("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK");
    cr_assert_eq(rs_docker_ping(&dk, NULL, 0), 0);
    cr_assert(strncmp(fk.req, "GET /_ping HTTP/1.1\r\n", 21) == 0, "%s", fk.req);
    teardown();
    setup();
    fake_go("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nNOK");
    cr_assert_neq(rs_docker_ping(&dk, NULL, 0), 0);
    teardown();
    setup();
    fake_go("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            "2E\r\n{\"Version\":\"4.3.1\",\"ApiVersion\":\"1.41\",\"Os\":1}\r\n0\r\n\r\n");
    char v[64] = "";
    cr_assert_eq(rs_docker_version(&dk, v, sizeof(v), NULL, 0), 0);
    cr_assert_str_eq(v, "4.3.1 (API 1.41)");
}

Test(docker, create_sends_config_and_returns_id)
{
    const char *id64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    char ans[512];
    snprintf(ans, sizeof(ans),
             "HTTP/1.1 201 Created\r\nContent-Length: %zu\r\n\r\n{\"Id\":\"%s\",\"Warnings\":[]}",
             strlen(id64) + 23, id64);
    fake_go(ans);
    json_object *cfg = json_object_new_object();
    json_object_object_add(cfg, "Image", json_object_new_string("img:1"));
    json_object *labels = json_object_new_object();
    json_object_object_add(labels, "rs.fn", json_object_new_string("f"));
    json_object_object_add(cfg, "Labels", labels);
    char id[65] = "", err[128] = "";
    cr_assert_eq(rs_docker_create(&dk, "rs-f-1", cfg, id, sizeof(id), err, sizeof(err)), 0, "%s",
                 err);
    cr_assert_str_eq(id, id64);
    cr_assert(strncmp(fk.req, "POST /v1.41/containers/create?name=rs-f-1 ", 42) == 0, "%s", fk.req);
    json_object *sent = json_tokener_parse(strstr(fk.req, "\r\n\r\n") + 4);
    cr_assert_not_null(sent);
    cr_assert(json_object_equal(sent, cfg));
    json_object_put(sent);
    /* an id that does not fit is refused */
    teardown();
    setup();
    fake_go(ans);
    char small[16];
    cr_assert_eq(rs_docker_create(&dk, NULL, cfg, small, sizeof(small), err, sizeof(err)),
                 RS_EINVAL);
    cr_assert(strncmp(fk.req, "POST /v1.41/containers/create HTTP", 34) == 0, "%s", fk.req);
    json_object_put(cfg);
}

Test(docker, list_by_label_encodes_filter)
{
    fake_go("HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n"
            "[{\"Id\":\"aa\",\"Names\":[\"x\"]},{\"Id\":\"bb\"},{}]");
    char **ids = NULL;
    size_t n = 0;
    char err[128] = "";
    cr_assert_eq(rs_docker_list_by_label(&dk, "rs.fn=my fn", &ids, &n, err, sizeof(err)), 0, "%s",
                 err);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(ids[0], "aa");
    cr_assert_str_eq(ids[1], "bb");
    rs_docker_ids_free(ids, n);
    const char *want = "GET /v1.41/containers/json?all=1&filters="
                       "%7B%22label%22%3A%5B%22rs.fn%3Dmy%20fn%22%5D%7D HTTP/1.1\r\n";
    cr_assert(strncmp(fk.req, want, strlen(want)) == 0, "%s", fk.req);
}

Test(docker, list_by_label_rejects_non_array)
{
    fake_go("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
    char **ids = (char **)1;
    size_t n = 7;
    cr_assert_eq(rs_docker_list_by_label(&dk, "k", &ids, &n, NULL, 0), RS_EINVAL);
    cr_assert_null(ids);
    cr_assert_eq(n, 0);
}

Test(docker, large_chunked_body_grows_the_buffer)
{
    size_t n = 300000;
    char *ans = malloc(n + 256);
    int off = sprintf(ans, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%zx\r\n", n);
    for (size_t i = 0; i < n; i++)
        ans[off + i] = (char)('a' + i % 26);
    strcpy(ans + off + n, "\r\n0\r\n\r\n");
    fake_go(ans);
    int st = 0;
    char *body = NULL;
    size_t len = 0;
    cr_assert_eq(rs_docker_request(&dk, "GET", "/x", NULL, 0, &st, &body, &len, 5000), 0);
    cr_assert_eq(len, n);
    cr_assert_eq(strlen(body), n);
    cr_assert_eq(body[0], 'a');
    cr_assert_eq(body[n - 1], (char)('a' + (n - 1) % 26));
    free(body);
    pthread_join(fk.eng.th, NULL);
    close(fk.eng.lfd);
    fk.eng.lfd = -1;
    free(ans);
}

Test(docker, bad_content_length_is_einval)
{
    fake_go("HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\nOK");
    cr_assert_eq(rs_docker_request(&dk, "GET", "/x", NULL, 0, NULL, NULL, NULL, 2000), RS_EINVAL);
}
