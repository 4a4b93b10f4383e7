/*
 * ddb_http.c: the ddb supervisor's HTTP/1.1 client to DynamoDB Local on 127.0.0.1: one
 * kept-alive connection per pool thread, requests with a SigV4-shaped Authorization whose
 * credential scope carries the account's access key id and the request's region
 * (DynamoDB Local keeps a database per key id and region) and a fixed signature (it
 * verifies none, so computing one was pure cost), answers parsed by the shared HTTP/1.1
 * parser (rs/http1.h), deadlines on every wait. Per request the work is small: the
 * Authorization text is kept per thread for its account, region and day, the head is
 * written without snprintf, the connection is blocking once connected so that a receive
 * sleeps in recv itself (SO_RCVTIMEO bounds it; no poll before it), and the receive
 * buffer becomes the body.
 * Runs in: the ddb supervisor (pool threads; blocking I/O with poll deadlines).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "ddb/ddb_int.h"
#include "rs/os.h"
#include "rs/err.h"
#include "rs/http1.h"
#include "rs/sigv4.h"

#define MAX_RESP_BODY (64u * 1024 * 1024)

void rs_ddb_conn_init(rs_ddb_conn_t *c)
{
    c->fd = -1;
    c->port = 0;
    c->requests = 0;
    c->rcv_ms = 0;
}

void rs_ddb_conn_close(rs_ddb_conn_t *c)
{
    if (c->fd >= 0)
        close(c->fd);
    rs_ddb_conn_init(c);
}

void rs_ddb_resp_free(rs_ddb_resp_t *r)
{
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
}

static const char *content_type(const rs_ddb_req_t *req)
{
    return req->content_type != NULL && req->content_type[0] != '\0' ? req->content_type
                                                                     : "application/x-amz-json-1.0";
}

/* the fixed signature: DynamoDB Local parses the Authorization header for its credential
 * scope (the access key id names the database, with the region) and verifies nothing */
#define FIXED_SIGNATURE "0000000000000000000000000000000000000000000000000000000000000000"

void rs_ddb_auth(const rs_ddb_req_t *req, int64_t now, char *auth, size_t authlen, char amzdate[17])
{
    /* per thread, the last header built: a pool thread mostly serves one account and
     * region, and the text changes with them and the day only */
    static __thread struct {
        char account[64], region[64], day[9], text[320];
    } c;
    rs_sigv4_amz_date(now, amzdate);
    if (strcmp(c.account, req->account) != 0 || strcmp(c.region, req->region) != 0 ||
        memcmp(c.day, amzdate, 8) != 0 || c.text[0] == '\0') {
        char akid[32];
        rs_ddb_access_key(req->account, akid, sizeof(akid));
        int n = snprintf(c.text, sizeof(c.text),
                         "AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/dynamodb/aws4_request, "
                         "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
                         "Signature=" FIXED_SIGNATURE,
                         akid, amzdate, req->region);
        if (n < 0 || (size_t)n >= sizeof(c.text) || strlen(req->account) >= sizeof(c.account) ||
            strlen(req->region) >= sizeof(c.region)) {
            c.text[0] = '\0'; /* not cacheable: built for this request only */
            snprintf(auth, authlen,
                     "AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/dynamodb/aws4_request, "
                     "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
                     "Signature=" FIXED_SIGNATURE,
                     akid, amzdate, req->region);
            return;
        }
        memcpy(c.account, req->account, strlen(req->account) + 1);
        memcpy(c.region, req->region, strlen(req->region) + 1);
        memcpy(c.day, amzdate, 8);
    }
    size_t n = strlen(c.text);
    if (n < authlen)
        memcpy(auth, c.text, n + 1);
    else if (authlen > 0)
        auth[0] = '\0';
}

/* rs_wait_fd with a passed deadline as RS_EAGAIN */
static int wait_fd(int fd, short ev, int64_t deadline)
{
    return rs_wait_fd(fd, ev, deadline) == 0 ? 0 : errno == ETIMEDOUT ? RS_EAGAIN : RS_ERR;
}

/* the receive timeout of the (blocking) connection, in ms (at least 1: 0 is "forever") */
static int set_rcvtimeo(rs_ddb_conn_t *c, int64_t ms)
{
    if (ms < 1)
        ms = 1;
    if (ms == c->rcv_ms)
        return 0;
    struct timeval tv = {.tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000};
    if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0)
        return RS_ERR;
    c->rcv_ms = ms;
    return 0;
}

/* connect (non-blocking, under the deadline), then make the socket blocking: a receive
 * then sleeps in recv itself, bounded by SO_RCVTIMEO, instead of a poll and a recv (one
 * system call less per request; sends stay non-blocking through MSG_DONTWAIT) */
static int conn_open(rs_ddb_conn_t *c, uint16_t port, int64_t deadline, int timeout_ms)
{
    int fd = rs_tcp_connect_loopback(port, RS_NET_NONBLOCK);
    if (fd < 0)
        return RS_ERR;
    int rc = wait_fd(fd, POLLOUT, deadline), err = 0, fl;
    socklen_t el = sizeof(err);
    if (rc != 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0 ||
        (fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        close(fd);
        return rc == RS_EAGAIN ? RS_EAGAIN : RS_ERR;
    }
    c->fd = fd;
    c->port = port;
    c->requests = 0;
    c->rcv_ms = 0;
    if (set_rcvtimeo(c, timeout_ms) != 0) {
        rs_ddb_conn_close(c);
        return RS_ERR;
    }
    return 0;
}

/* growable receive buffer */
typedef struct rbuf {
    char *p;
    size_t len, cap;
} rbuf_t;

/* a receive timeout this much longer than what is left of the deadline is lowered to it
 * (one setsockopt, only for an answer that has taken that long already) */
#define RCV_SLACK_MS 50

/* read what has arrived, sleeping in recv until something does; RS_EAGAIN once the
 * deadline has passed, RS_ERR also at EOF */
static int fill_wait(rs_ddb_conn_t *c, rbuf_t *b, int64_t deadline)
{
    if (b->cap - b->len < 16384) {
        size_t nc = b->cap ? b->cap * 2 : 32768;
        char *np = realloc(b->p, nc + 1);
        if (np == NULL)
            return RS_ENOMEM;
        b->p = np;
        b->cap = nc;
    }
    for (;;) {
        int64_t left = deadline - rs_mono_ms();
        if (left <= 0)
            return RS_EAGAIN;
        if (left + RCV_SLACK_MS < c->rcv_ms && set_rcvtimeo(c, left) != 0)
            return RS_ERR;
        ssize_t r = recv(c->fd, b->p + b->len, b->cap - b->len, 0);
        if (r > 0) {
            b->len += (size_t)r;
            return 0;
        }
        if (r == 0)
            return RS_ERR; /* EOF */
        if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
            return RS_ERR;
        /* interrupted, or SO_RCVTIMEO ran out: the loop asks the deadline */
    }
}

/* read the body announced by h, which starts at b->p + off; its length into *len */
static int read_body(rs_ddb_conn_t *c, rbuf_t *b, size_t off, const rs_http1_head_t *h,
                     int64_t deadline, size_t *len)
{
    int rc = 0;
    switch (h->body) {
    case RS_HTTP1_BODY_NONE:
        *len = 0;
        return 0;
    case RS_HTTP1_BODY_LENGTH:
        if (h->content_length > MAX_RESP_BODY)
            return RS_ERR;
        while (rc == 0 && b->len - off < h->content_length)
            rc = fill_wait(c, b, deadline);
        *len = (size_t)h->content_length;
        return rc;
    case RS_HTTP1_BODY_CHUNKED: {
        rs_http1_chunked_t ch;
        size_t n = b->len - off, rest;
        memset(&ch, 0, sizeof(ch));
        while ((rc = rs_http1_dechunk(&ch, b->p + off, &n, &rest)) == 0) {
            b->len = off + n;
            if (ch.out > MAX_RESP_BODY || (rc = fill_wait(c, b, deadline)) != 0)
                return rc != 0 ? rc : RS_ERR;
            n = b->len - off;
        }
        *len = ch.out;
        return rc < 0 ? RS_ERR : 0;
    }
    case RS_HTTP1_BODY_EOF: /* not expected from Jetty, but safe */
        while (b->len - off <= MAX_RESP_BODY && fill_wait(c, b, deadline) == 0)
            ;
        *len = b->len - off;
        return *len > MAX_RESP_BODY ? RS_ERR : 0;
    }
    return RS_ERR;
}

/* a request head being written: len counts past cap (then the head does not fit) */
typedef struct head {
    char *buf;
    size_t cap, len;
} head_t;

static void put(head_t *h, const char *s)
{
    size_t n = strlen(s);
    if (h->len + n < h->cap)
        memcpy(h->buf + h->len, s, n);
    h->len += n;
}

/* v in decimal, in buf (24 bytes) */
static const char *utoa(uint64_t v, char *buf)
{
    char *p = buf + 23;
    *p = '\0';
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    return p;
}

/* one exchange on an open connection; *got_any tells whether any byte came back */
static int exchange(rs_ddb_conn_t *c, const rs_ddb_req_t *req, int64_t deadline,
                    rs_ddb_resp_t *resp, int *got_any, int *keep)
{
    char auth[512], amzdate[17], head[2048], num[24];
    rs_ddb_auth(req, time(NULL), auth, sizeof(auth), amzdate);
    /* the head by hand: snprintf's formatting was a visible part of a request's CPU */
    head_t hb = {head, sizeof(head), 0};
    put(&hb, "POST / HTTP/1.1\r\nHost: 127.0.0.1:");
    put(&hb, utoa(c->port, num));
    put(&hb, "\r\nContent-Type: ");
    put(&hb, content_type(req));
    put(&hb, "\r\nX-Amz-Date: ");
    put(&hb, amzdate);
    put(&hb, "\r\nX-Amz-Target: ");
    put(&hb, req->target);
    put(&hb, "\r\nAuthorization: ");
    put(&hb, auth);
    put(&hb, "\r\nContent-Length: ");
    put(&hb, utoa(req->body_len, num));
    put(&hb, "\r\n\r\n");
    if (hb.len >= hb.cap)
        return RS_EINVAL;
    size_t hn = hb.len;
    struct iovec iov[2] = {{head, hn}, {(void *)req->body, req->body_len}};
    *got_any = 0;
    if (rs_writev_all(c->fd, iov, req->body_len > 0 ? 2 : 1, deadline) != 0)
        return errno == ETIMEDOUT ? RS_EAGAIN : RS_ERR;
    rbuf_t b = {0};
    rs_http1_head_t h;
    int rc;
    do {
        rc = fill_wait(c, &b, deadline);
        if (rc == 0) {
            *got_any = 1;
            rc = rs_http1_parse_response(b.p, b.len, "POST", &h);
        }
    } while (rc == 0);
    size_t len = 0;
    if (rc == 1)
        rc = read_body(c, &b, h.head_len, &h, deadline, &len);
    if (rc != 0) {
        free(b.p);
        return rc == RS_EINVAL ? RS_ERR : rc;
    }
    /* the receive buffer becomes the body */
    memmove(b.p, b.p + h.head_len, len);
    b.p[len] = '\0';
    *keep = h.keep_alive;
    resp->status = h.status;
    resp->body = b.p;
    resp->body_len = len;
    return 0;
}

int rs_ddb_http_do(rs_ddb_conn_t *c, uint16_t port, const rs_ddb_req_t *req, int timeout_ms,
                   rs_ddb_resp_t *resp)
{
    int64_t deadline = rs_mono_ms() + timeout_ms;
    resp->status = 0;
    resp->body = NULL;
    resp->body_len = 0;
    if (c->fd >= 0 && c->port != port)
        rs_ddb_conn_close(c); /* DynamoDB Local was restarted on another port */
    for (int attempt = 0; attempt < 2; attempt++) {
        int reused = c->fd >= 0, got_any = 0, keep = 1;
        if (!reused) {
            int rc = conn_open(c, port, deadline, timeout_ms);
            if (rc != 0)
                return rc;
        } else if (set_rcvtimeo(c, timeout_ms) != 0) {
            rs_ddb_conn_close(c); /* set again only after a slow answer lowered it */
            continue;
        }
        int rc = exchange(c, req, deadline, resp, &got_any, &keep);
        if (rc == 0) {
            c->requests++;
            if (!keep)
                rs_ddb_conn_close(c);
            return 0;
        }
        rs_ddb_conn_close(c);
        /* a kept-alive connection the server had closed: nothing was answered, so the
         * request was not read; try once on a fresh connection */
        if (!(reused && !got_any && rc == RS_ERR))
            return rc;
    }
    return RS_ERR;
}
