/*
 * ddb_http.c: the ddb supervisor's HTTP/1.1 client to DynamoDB Local on 127.0.0.1: one
 * kept-alive connection per pool thread, SigV4-signed requests whose credential scope
 * carries the account's access key id and the request's region (DynamoDB Local keeps a
 * database per key id and region; it checks no signature), responses with
 * Content-Length or chunked bodies, deadlines on every wait. Per request the work is
 * small: the SigV4 signing key (four HMACs) is cached per thread for its date and region,
 * and the first read after sending waits in poll instead of trying a recv that would
 * find nothing yet.
 * Runs in: the ddb supervisor (pool threads; blocking I/O with poll deadlines).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "ddb/ddb_int.h"
#include "rs/os.h"
#include "rs/err.h"
#include "rs/ipc.h"
#include "rs/sigv4.h"

#define SECRET "ruststack-ddb-local"
#define HEAD_MAX (64 * 1024)
#define MAX_RESP_BODY (64u * 1024 * 1024)

void rs_ddb_conn_init(rs_ddb_conn_t *c)
{
    c->fd = -1;
    c->port = 0;
    c->requests = 0;
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

static void hex(const uint8_t *p, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[p[i] >> 4];
        out[2 * i + 1] = d[p[i] & 15];
    }
    out[2 * n] = '\0';
}

/* SHA-256 with one digest context and one fetched algorithm per thread (the one-shot
 * OpenSSL 3 calls fetch the algorithm and allocate a context on every call); falls back
 * to the shared helpers when OpenSSL cannot give them */
typedef struct sha_tls {
    EVP_MD *md;
    EVP_MD_CTX *ctx;
    int failed;
} sha_tls_t;

static sha_tls_t *sha_tls(void)
{
    static __thread sha_tls_t t;
    if (t.ctx == NULL && !t.failed) {
        t.md = EVP_MD_fetch(NULL, "SHA256", NULL);
        t.ctx = t.md != NULL ? EVP_MD_CTX_new() : NULL;
        if (t.ctx == NULL) {
            EVP_MD_free(t.md);
            t.md = NULL;
            t.failed = 1;
        }
    }
    return t.ctx != NULL ? &t : NULL;
}

/* out = SHA-256(a || b); 0, or -1 when OpenSSL failed */
static int sha256_2(const void *a, size_t alen, const void *b, size_t blen, uint8_t out[32])
{
    sha_tls_t *t = sha_tls();
    unsigned int n = 0;
    return t != NULL && EVP_DigestInit_ex2(t->ctx, t->md, NULL) == 1 &&
                   EVP_DigestUpdate(t->ctx, a, alen) == 1 &&
                   EVP_DigestUpdate(t->ctx, b, blen) == 1 &&
                   EVP_DigestFinal_ex(t->ctx, out, &n) == 1 && n == 32
               ? 0
               : -1;
}

static void sha256_hex(const void *p, size_t n, char out[65])
{
    uint8_t d[32];
    if (sha256_2(p, n, "", 0, d) == 0)
        hex(d, 32, out);
    else
        rs_sha256_hex(p, n, out);
}

/* HMAC-SHA256 (RFC 2104) for a key of at most 64 bytes */
static void hmac256(const void *key, size_t klen, const void *msg, size_t mlen, uint8_t out[32])
{
    uint8_t pad[64], inner[32];
    memset(pad, 0, sizeof(pad));
    memcpy(pad, key, klen);
    for (size_t i = 0; i < 64; i++)
        pad[i] ^= 0x36;
    int rc = sha256_2(pad, 64, msg, mlen, inner);
    for (size_t i = 0; i < 64; i++)
        pad[i] ^= 0x36 ^ 0x5c;
    if (rc != 0 || sha256_2(pad, 64, inner, 32, out) != 0)
        rs_hmac_sha256(key, klen, msg, mlen, out);
}

void rs_ddb_sign(const rs_ddb_req_t *req, const char *host, int64_t now, char *auth, size_t authlen,
                 char amzdate[17])
{
    /* the date strings change once a second: kept per thread */
    static __thread struct {
        int64_t now;
        char amzdate[17], date[9];
    } dc = {-1, "", ""};
    if (dc.now != now) {
        time_t t = (time_t)now;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(dc.amzdate, sizeof(dc.amzdate), "%Y%m%dT%H%M%SZ", &tm);
        strftime(dc.date, sizeof(dc.date), "%Y%m%d", &tm);
        dc.now = now;
    }
    const char *date = dc.date;
    memcpy(amzdate, dc.amzdate, 17);
    char akid[32], body_hash[65], creq_hash[65], sig[65];
    rs_ddb_access_key(req->account, akid, sizeof(akid));
    const char *ct = req->content_type != NULL && req->content_type[0] != '\0'
                         ? req->content_type
                         : "application/x-amz-json-1.0";
    sha256_hex(req->body, req->body_len, body_hash);
    char creq[2048];
    int n = snprintf(creq, sizeof(creq),
                     "POST\n/\n\ncontent-type:%s\nhost:%s\nx-amz-date:%s\nx-amz-target:%s\n\n"
                     "content-type;host;x-amz-date;x-amz-target\n%s",
                     ct, host, amzdate, req->target, body_hash);
    if (n < 0 || (size_t)n >= sizeof(creq))
        n = (int)sizeof(creq) - 1;
    sha256_hex(creq, (size_t)n, creq_hash);
    char sts[512];
    int sn = snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256\n%s\n%s/%s/dynamodb/aws4_request\n%s",
                      amzdate, date, req->region, creq_hash);
    if (sn < 0 || (size_t)sn >= sizeof(sts))
        sn = (int)sizeof(sts) - 1;
    /* the signing key depends on the date and region only: one per thread, kept */
    static __thread struct {
        char date[9], region[64];
        uint8_t key[32];
    } kc;
    if (strcmp(kc.date, date) != 0 || strncmp(kc.region, req->region, sizeof(kc.region)) != 0) {
        uint8_t k1[32], k2[32], k3[32];
        char k0[64];
        snprintf(k0, sizeof(k0), "AWS4%s", SECRET);
        hmac256(k0, strlen(k0), date, strlen(date), k1);
        hmac256(k1, 32, req->region, strlen(req->region), k2);
        hmac256(k2, 32, "dynamodb", 8, k3);
        hmac256(k3, 32, "aws4_request", 12, kc.key);
        memcpy(kc.date, date, sizeof(kc.date));
        snprintf(kc.region, sizeof(kc.region), "%s", req->region);
    }
    uint8_t s[32];
    hmac256(kc.key, 32, sts, (size_t)sn, s);
    hex(s, 32, sig);
    snprintf(auth, authlen,
             "AWS4-HMAC-SHA256 Credential=%s/%s/%s/dynamodb/aws4_request, "
             "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=%s",
             akid, date, req->region, sig);
}

static int wait_fd(int fd, short ev, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - rs_mono_ms();
        if (left <= 0)
            return RS_EAGAIN;
        struct pollfd p = {.fd = fd, .events = ev};
        int r = poll(&p, 1, (int)(left > 1000000 ? 1000000 : left));
        if (r > 0)
            return 0;
        if (r < 0 && errno != EINTR)
            return RS_ERR;
    }
}

static int conn_open(rs_ddb_conn_t *c, uint16_t port, int64_t deadline)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return RS_ERR;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        if (errno != EINPROGRESS) {
            close(fd);
            return RS_ERR;
        }
        int rc = wait_fd(fd, POLLOUT, deadline), err = 0;
        socklen_t el = sizeof(err);
        if (rc != 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
            close(fd);
            return rc == RS_EAGAIN ? RS_EAGAIN : RS_ERR;
        }
    }
    c->fd = fd;
    c->port = port;
    c->requests = 0;
    return 0;
}

static int send_all(int fd, struct iovec *iov, int n, int64_t deadline)
{
    while (n > 0) {
        ssize_t w = writev(fd, iov, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                int rc = wait_fd(fd, POLLOUT, deadline);
                if (rc != 0)
                    return rc;
                continue;
            }
            return RS_ERR;
        }
        rs_iov_advance(&iov, &n, (size_t)w);
    }
    return 0;
}

/* growable receive buffer */
typedef struct rbuf {
    char *p;
    size_t len, cap, off; /* off: parse position */
} rbuf_t;

/* read what has arrived (wait_first: nothing can be there yet, so poll before reading) */
static int fill_wait(int fd, rbuf_t *b, int64_t deadline, int wait_first)
{
    if (b->cap - b->len < 16384) {
        size_t nc = b->cap ? b->cap * 2 : 32768;
        char *np = realloc(b->p, nc + 1);
        if (np == NULL)
            return RS_ENOMEM;
        b->p = np;
        b->cap = nc;
    }
    if (wait_first) {
        int rc = wait_fd(fd, POLLIN, deadline);
        if (rc != 0)
            return rc;
    }
    for (;;) {
        ssize_t r = recv(fd, b->p + b->len, b->cap - b->len, 0);
        if (r > 0) {
            b->len += (size_t)r;
            return 0;
        }
        if (r == 0)
            return RS_ERR; /* EOF */
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return RS_ERR;
        int rc = wait_fd(fd, POLLIN, deadline);
        if (rc != 0)
            return rc;
    }
}

static int fill(int fd, rbuf_t *b, int64_t deadline)
{
    return fill_wait(fd, b, deadline, 0);
}

/* case-insensitive header lookup inside the head [p, end) */
static const char *header(const char *p, const char *end, const char *name, size_t *vlen)
{
    size_t nl = strlen(name);
    const char *line = memchr(p, '\n', (size_t)(end - p));
    while (line != NULL && line + 1 < end) {
        line++;
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (eol == NULL)
            eol = end;
        if ((size_t)(eol - line) > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            const char *ve = eol;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
                ve--;
            *vlen = (size_t)(ve - v);
            return v;
        }
        line = eol < end ? eol : NULL;
    }
    return NULL;
}

/* decode a chunked body starting at b->off; returns 0 when complete (body in place) */
static int read_chunked(int fd, rbuf_t *b, int64_t deadline, char **body, size_t *blen)
{
    size_t out = 0;
    char *dst = malloc(1);
    if (dst == NULL)
        return RS_ENOMEM;
    for (;;) {
        char *eol;
        while ((eol = memmem(b->p + b->off, b->len - b->off, "\r\n", 2)) == NULL) {
            int rc = fill(fd, b, deadline);
            if (rc != 0) {
                free(dst);
                return rc;
            }
        }
        size_t sz = strtoul(b->p + b->off, NULL, 16);
        size_t data = (size_t)(eol - b->p) + 2;
        if (sz > MAX_RESP_BODY || out + sz > MAX_RESP_BODY) {
            free(dst);
            return RS_ERR;
        }
        while (b->len < data + sz + 2) {
            int rc = fill(fd, b, deadline);
            if (rc != 0) {
                free(dst);
                return rc;
            }
        }
        if (sz == 0) {
            /* no trailers expected: the terminating CRLF follows */
            b->off = data + 2;
            break;
        }
        char *nd = realloc(dst, out + sz + 1);
        if (nd == NULL) {
            free(dst);
            return RS_ENOMEM;
        }
        dst = nd;
        memcpy(dst + out, b->p + data, sz);
        out += sz;
        b->off = data + sz + 2;
    }
    dst[out] = '\0';
    *body = dst;
    *blen = out;
    return 0;
}

/* one exchange on an open connection; *got_any tells whether any byte came back */
static int exchange(rs_ddb_conn_t *c, const rs_ddb_req_t *req, int64_t deadline,
                    rs_ddb_resp_t *resp, int *got_any, int *keep)
{
    char host[32], auth[512], amzdate[17], head[1536];
    snprintf(host, sizeof(host), "127.0.0.1:%u", c->port);
    rs_ddb_sign(req, host, time(NULL), auth, sizeof(auth), amzdate);
    const char *ct = req->content_type != NULL && req->content_type[0] != '\0'
                         ? req->content_type
                         : "application/x-amz-json-1.0";
    int hn = snprintf(head, sizeof(head),
                      "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nX-Amz-Date: %s\r\n"
                      "X-Amz-Target: %s\r\nAuthorization: %s\r\nContent-Length: %zu\r\n\r\n",
                      host, ct, amzdate, req->target, auth, req->body_len);
    if (hn < 0 || (size_t)hn >= sizeof(head))
        return RS_EINVAL;
    struct iovec iov[2] = {{head, (size_t)hn}, {(void *)req->body, req->body_len}};
    *got_any = 0;
    int rc = send_all(c->fd, iov, req->body_len > 0 ? 2 : 1, deadline);
    if (rc != 0)
        return rc;
    rbuf_t b = {0};
    char *eoh;
    for (;;) {
        rc = fill_wait(c->fd, &b, deadline, b.len == 0);
        if (rc != 0) {
            free(b.p);
            return rc;
        }
        *got_any = 1;
        b.p[b.len] = '\0';
        if ((eoh = memmem(b.p, b.len, "\r\n\r\n", 4)) != NULL)
            break;
        if (b.len > HEAD_MAX) {
            free(b.p);
            return RS_ERR;
        }
    }
    int status = 0;
    if (sscanf(b.p, "HTTP/1.%*d %d", &status) != 1 || status < 100 || status > 599) {
        free(b.p);
        return RS_ERR;
    }
    size_t vl;
    const char *hend = eoh + 2;
    const char *v = header(b.p, hend, "connection", &vl);
    *keep = !(v != NULL && vl == 5 && strncasecmp(v, "close", 5) == 0);
    b.off = (size_t)(eoh - b.p) + 4;
    v = header(b.p, hend, "transfer-encoding", &vl);
    if (v != NULL && vl >= 7 && strncasecmp(v + vl - 7, "chunked", 7) == 0) {
        rc = read_chunked(c->fd, &b, deadline, &resp->body, &resp->body_len);
        free(b.p);
        if (rc != 0)
            return rc;
        resp->status = status;
        return 0;
    }
    v = header(b.p, hend, "content-length", &vl);
    size_t clen = v != NULL ? strtoul(v, NULL, 10) : 0;
    if (v == NULL)
        *keep = 0; /* body delimited by close: not expected from Jetty, but safe */
    if (clen > MAX_RESP_BODY) {
        free(b.p);
        return RS_ERR;
    }
    if (v == NULL) {
        while ((rc = fill(c->fd, &b, deadline)) == 0)
            ;
        clen = b.len - b.off;
    } else {
        while (b.len - b.off < clen) {
            rc = fill(c->fd, &b, deadline);
            if (rc != 0) {
                free(b.p);
                return rc;
            }
        }
    }
    char *body = malloc(clen + 1);
    if (body == NULL) {
        free(b.p);
        return RS_ENOMEM;
    }
    memcpy(body, b.p + b.off, clen);
    body[clen] = '\0';
    free(b.p);
    resp->status = status;
    resp->body = body;
    resp->body_len = clen;
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
            int rc = conn_open(c, port, deadline);
            if (rc != 0)
                return rc;
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
