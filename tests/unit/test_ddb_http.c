/*
 * test_ddb_http.c: the ddb supervisor's HTTP client (src/ddb/ddb_http.c) against a tiny
 * scripted server on loopback: the request it sends (target, SigV4 credential scope,
 * body), Content-Length and chunked answers, keep-alive reuse, a kept-alive connection
 * the server closed (retried once on a fresh one), Connection: close, timeouts (also for
 * answers that trickle in), refused, and the Authorization's credential scope through its
 * per-thread cache.
 * Runs in: the test.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ddb/ddb_int.h"
#include "rs/err.h"

typedef struct srv {
    int lfd;
    uint16_t port;
    const char *const *answers; /* one per request; "CLOSE" closes the connection instead */
    int n;
    char last_req[4096];
    int conns;
} srv_t;

/* read one request (head + Content-Length body) */
static int read_req(int fd, char *buf, size_t cap)
{
    size_t got = 0;
    for (;;) {
        ssize_t r = read(fd, buf + got, cap - 1 - got);
        if (r <= 0)
            return -1;
        got += (size_t)r;
        buf[got] = '\0';
        char *eoh = strstr(buf, "\r\n\r\n");
        if (eoh == NULL)
            continue;
        char *cl = strstr(buf, "Content-Length:");
        size_t want = (size_t)(eoh + 4 - buf) + (cl ? strtoul(cl + 15, NULL, 10) : 0);
        if (got >= want)
            return 0;
    }
}

static void *serve(void *arg)
{
    srv_t *s = arg;
    int i = 0;
    while (i < s->n) {
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            return NULL;
        s->conns++;
        while (i < s->n) {
            char req[4096];
            if (read_req(fd, req, sizeof(req)) != 0)
                break;
            memcpy(s->last_req, req, sizeof(req));
            const char *a = s->answers[i++];
            if (strcmp(a, "CLOSE") == 0)
                break;
            if (strcmp(a, "SLEEP") == 0) {
                usleep(600000);
                break;
            }
            if (strncmp(a, "TRICKLE:", 8) == 0) { /* the answer one byte every 20 ms */
                const char *p = a + 8;
                while (*p != '\0' && write(fd, p, 1) == 1) {
                    p++;
                    usleep(20000);
                }
                if (*p != '\0')
                    break;
                continue;
            }
            if (write(fd, a, strlen(a)) < 0)
                break;
            if (strstr(a, "Connection: close") != NULL)
                break;
        }
        close(fd);
    }
    return NULL;
}

static pthread_t start(srv_t *s, const char *const *answers, int n)
{
    memset(s, 0, sizeof(*s));
    s->answers = answers;
    s->n = n;
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t l = sizeof(a);
    cr_assert_eq(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    cr_assert_eq(listen(s->lfd, 8), 0);
    getsockname(s->lfd, (struct sockaddr *)&a, &l);
    s->port = ntohs(a.sin_port);
    pthread_t t;
    pthread_create(&t, NULL, serve, s);
    return t;
}

static const rs_ddb_req_t REQ = {
    "DynamoDB_20120810.GetItem", "eu-west-1", "123456789012", "application/x-amz-json-1.0",
    "{\"TableName\":\"t\"}",     17};

static char *ok(const char *body)
{
    char *r = malloc(strlen(body) + 200);
    sprintf(r,
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: "
            "%zu\r\n\r\n%s",
            strlen(body), body);
    return r;
}

Test(ddb_http, request_shape_and_keep_alive)
{
    signal(SIGPIPE, SIG_IGN);
    char *a1 = ok("{\"Item\":{}}"), *a2 = ok("{}");
    const char *answers[] = {a1, a2};
    srv_t s;
    pthread_t t = start(&s, answers, 2);
    rs_ddb_conn_t c;
    rs_ddb_conn_init(&c);
    rs_ddb_resp_t r;
    cr_assert_eq(rs_ddb_http_do(&c, s.port, &REQ, 2000, &r), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.body, "{\"Item\":{}}");
    rs_ddb_resp_free(&r);
    cr_assert(strncmp(s.last_req, "POST / HTTP/1.1\r\n", 17) == 0);
    cr_assert(strstr(s.last_req, "X-Amz-Target: DynamoDB_20120810.GetItem\r\n") != NULL);
    cr_assert(strstr(s.last_req, "Credential=A123456789012/") != NULL, "%s", s.last_req);
    cr_assert(strstr(s.last_req, "/eu-west-1/dynamodb/aws4_request") != NULL);
    cr_assert(strstr(s.last_req, "\r\n\r\n{\"TableName\":\"t\"}") != NULL);
    cr_assert_eq(rs_ddb_http_do(&c, s.port, &REQ, 2000, &r), 0);
    cr_assert_str_eq(r.body, "{}");
    rs_ddb_resp_free(&r);
    pthread_join(t, NULL);
    cr_assert_eq(s.conns, 1, "the connection was not kept alive");
    rs_ddb_conn_close(&c);
    close(s.lfd);
    free(a1);
    free(a2);
}

Test(ddb_http, chunked_and_connection_close)
{
    signal(SIGPIPE, SIG_IGN);
    const char *answers[] = {
        "HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\n{\"a\":\r\nA\r\n\"bcdefgh\"}\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}",
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n{ }",
    };
    srv_t s;
    pthread_t t = start(&s, answers, 3);
    rs_ddb_conn_t c;
    rs_ddb_conn_init(&c);
    rs_ddb_resp_t r;
    cr_assert_eq(rs_ddb_http_do(&c, s.port, &REQ, 2000, &r), 0);
    cr_assert_eq(r.status, 400);
    cr_assert_str_eq(r.body, "{\"a\":\"bcdefgh\"}");
    rs_ddb_resp_free(&r);
    cr_assert_eq(rs_ddb_http_do(&c, s.port, &REQ, 2000, &r), 0);
    cr_assert_str_eq(r.body, "{}");
    cr_assert_eq(c.fd, -1, "Connection: close must close our side");
    rs_ddb_resp_free(&r);
    cr_assert_eq(rs_ddb_http_do(&c, s.port, &REQ, 2000, &r), 0);
    cr_assert_str_eq(r.body, "{ }");
    rs_ddb_resp_free(&r);
    pthread_join(t, NULL);
    cr_assert_eq(s.conns, 2);
    rs_ddb_conn_close(&c);
    close(s.lfd);
}

Test(ddb_http, stale_keep_alive_retried_once)
{
    signal(SIGPIPE, SIG_IGN);
    char *a1 = ok("{\"n\":1}"), *a3 = ok("{\"n\":2}");
    /* answer, then the server drops the kept-alive connection on the next request */
    const char *answers[] = {a1, "CLOSE", a3};
    srv_t s;
    pthread_t t = start(&s, answers, 3);
    rs_ddb_conn_t c;
    rs_ddb_conn_init(&c);
    rs_ddb_resp_t r;
    cr_assert_eq(rs_ddb_http_do(&c, s.port, &REQ, 2000, &r), 0);
    rs_ddb_resp_free(&r);
    cr_assert_eq(rs_ddb_http_do(&c, s.port, &REQ, 2000, &r), 0);
    cr_assert_str_eq(r.body, "{\"n\":2}");
    rs_ddb_resp_free(&r);
    pthread_join(t, NULL);
    cr_assert_eq(s.conns, 2);
    rs_ddb_conn_close(&c);
    close(s.lfd);
    free(a1);
    free(a3);
}

Test(ddb_http, timeout_and_refused)
{
    signal(SIGPIPE, SIG_IGN);
    const char *answers[] = {"SLEEP"};
    srv_t s;
    pthread_t t = start(&s, answers, 1);
    rs_ddb_conn_t c;
    rs_ddb_conn_init(&c);
    rs_ddb_resp_t r;
    cr_assert_eq(rs_ddb_http_do(&c, s.port, &REQ, 200, &r), RS_EAGAIN);
    cr_assert_eq(c.fd, -1);
    pthread_join(t, NULL);
    uint16_t port = s.port;
    close(s.lfd);
    cr_assert_eq(rs_ddb_http_do(&c, port, &REQ, 500, &r), RS_ERR);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The receive sleeps in recv (blocking socket, SO_RCVTIMEO): an answer that trickles in
 * still ends at the deadline, not a receive timeout after the last byte; a slow answer
 * that lowered the receive timeout on its way does not shorten the next request's. */
Test(ddb_http, deadline_holds_for_trickling_answers)
{
    signal(SIGPIPE, SIG_IGN);
    static const char slow[] = "TRICKLE:HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
    char endless[400];
    snprintf(endless, sizeof(endless),
             "TRICKLE:HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n%0300d", 0);
    char *fast = ok("{}");
    const char *answers[] = {slow, fast, endless};
    srv_t s;
    pthread_t t = start(&s, answers, 3);
    rs_ddb_conn_t c;
    rs_ddb_conn_init(&c);
    rs_ddb_resp_t r;
    int64_t t0 = now_ms();
    cr_assert_eq(rs_ddb_http_do(&c, s.port, &REQ, 3000, &r), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.body, "{}");
    rs_ddb_resp_free(&r);
    cr_assert(now_ms() - t0 >= 500, "the slow answer took %lld ms", (long long)(now_ms() - t0));
    cr_assert_lt(c.rcv_ms, 3000); /* lowered towards the deadline while it trickled */
    cr_assert_eq(rs_ddb_http_do(&c, s.port, &REQ, 3000, &r), 0); /* kept alive */
    cr_assert_eq(c.rcv_ms, 3000);
    rs_ddb_resp_free(&r);
    t0 = now_ms();
    cr_assert_eq(rs_ddb_http_do(&c, s.port, &REQ, 300, &r), RS_EAGAIN);
    int64_t took = now_ms() - t0;
    cr_assert(took >= 290 && took < 290 + 150, "timed out after %lld ms", (long long)took);
    cr_assert_eq(c.fd, -1);
    pthread_join(t, NULL);
    cr_assert_eq(s.conns, 1);
    close(s.lfd);
    free(fast);
}

/* The Authorization DynamoDB Local reads: SigV4's shape, the credential scope naming the
 * database (the account's key id and the region) and the day; a fixed signature. The
 * per-thread cache must follow a change of account, region and day. */
Test(ddb_http, authorization_scope_across_cache_changes)
{
    static const char want[] =
        "AWS4-HMAC-SHA256 Credential=A123456789012/20261123/eu-west-2/dynamodb/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
        "Signature=0000000000000000000000000000000000000000000000000000000000000000";
    rs_ddb_req_t req = {"DynamoDB_20120810.ListTables", "eu-west-2", "123456789012",
                        "application/x-amz-json-1.0",   "{}",        2};
    char auth[512], other[512], date[17];
    rs_ddb_auth(&req, 1795474904, auth, sizeof(auth), date);
    cr_assert_str_eq(date, "20261123T230144Z");
    cr_assert_str_eq(auth, want);
    req.region = "us-east-1";
    rs_ddb_auth(&req, 1795474904, other, sizeof(other), date);
    cr_assert(strstr(other, "Credential=A123456789012/20261123/us-east-1/") != NULL, "%s", other);
    req.region = "eu-west-2";
    req.account = "210987654321";
    rs_ddb_auth(&req, 1795474904, other, sizeof(other), date);
    cr_assert(strstr(other, "Credential=A210987654321/20261123/eu-west-2/") != NULL, "%s", other);
    req.account = "123456789012";
    rs_ddb_auth(&req, 1795474904 + 86400, other, sizeof(other), date);
    cr_assert_str_eq(date, "20261124T230144Z");
    cr_assert(strstr(other, "/20261124/eu-west-2/") != NULL, "%s", other);
    rs_ddb_auth(&req, 1795474904, auth, sizeof(auth), date);
    cr_assert_str_eq(auth, want);
    /* a buffer too small gets "" rather than a cut header */
    char tiny[16];
    rs_ddb_auth(&req, 1795474904, tiny, sizeof(tiny), date);
    cr_assert_str_eq(tiny, "");
}
