/*
 * test_http1.c: unit tests for the shared HTTP/1.1 parser (src/core/http1.c): complete and
 * partial heads, bare LF, obs-fold, limits, framing (Content-Length, chunked, EOF, none),
 * connection fields, interim answers, chunk extensions, trailers, pipelining, and bodies
 * decoded byte by byte. Runs in: the test binary.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs/err.h"
#include "rs/http1.h"

static rs_http1_head_t h;

static int req(const char *s)
{
    return rs_http1_parse_request(s, strlen(s), &h);
}

static int resp(const char *s, const char *method)
{
    return rs_http1_parse_response(s, strlen(s), method, &h);
}

static int hdr_is(const char *name, const char *value)
{
    const rs_hdr_t *x = rs_hdr_find(h.headers, h.num_headers, name);
    return x != NULL && x->value_len == strlen(value) && memcmp(x->value, value, x->value_len) == 0;
}

Test(http1, request_head_fields)
{
    const char *s = "POST /2018-06-01/runtime/invocation/a/response HTTP/1.1\r\n"
                    "Host: x\r\nContent-Length:  12 \r\nExpect: 100-continue\r\n"
                    "Lambda-Runtime-Function-Error-Type: E.x\r\n\r\nbody";
    cr_assert_eq(req(s), 1);
    cr_assert_eq(h.head_len, strlen(s) - 4);
    cr_assert_eq(h.method_len, 4);
    cr_assert_eq(memcmp(h.method, "POST", 4), 0);
    cr_assert_eq(h.path_len, strlen("/2018-06-01/runtime/invocation/a/response"));
    cr_assert_eq(h.minor_version, 1);
    cr_assert_eq(h.body, RS_HTTP1_BODY_LENGTH);
    cr_assert_eq(h.content_length, 12);
    cr_assert(h.keep_alive);
    cr_assert(h.expect_continue);
    cr_assert(hdr_is("lambda-runtime-function-error-type", "E.x"));
    cr_assert(hdr_is("HOST", "x"));
    cr_assert_null(rs_hdr_find(h.headers, h.num_headers, "content-type"));
}

Test(http1, partial_input_needs_more)
{
    const char *s = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
    for (size_t n = 0; n < strlen(s); n++)
        cr_assert_eq(rs_http1_parse_request(s, n, &h), 0, "at %zu", n);
    cr_assert_eq(req(s), 1);
    cr_assert_eq(h.body, RS_HTTP1_BODY_NONE);
    const char *r = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n";
    for (size_t n = 0; n < strlen(r); n++)
        cr_assert_eq(rs_http1_parse_response(r, n, "GET", &h), 0, "at %zu", n);
}

Test(http1, bare_lf_is_accepted)
{
    cr_assert_eq(req("GET /a HTTP/1.1\nHost: x\n\n"), 1);
    cr_assert(hdr_is("host", "x"));
    cr_assert_eq(resp("HTTP/1.1 200 OK\nContent-Length: 3\n\nabc", "GET"), 1);
    cr_assert_eq(h.head_len, strlen("HTTP/1.1 200 OK\nContent-Length: 3\n\n"));
    cr_assert_eq(h.content_length, 3);
}

Test(http1, obs_fold_is_rejected)
{
    cr_assert_eq(req("GET /a HTTP/1.1\r\nX-A: one\r\n two\r\n\r\n"), RS_EINVAL);
    cr_assert_eq(resp("HTTP/1.1 200 OK\r\nX-A: one\r\n\ttwo\r\nContent-Length: 0\r\n\r\n", "GET"),
                 RS_EINVAL);
}

Test(http1, malformed_heads)
{
    cr_assert_eq(req("GET /a HTTP/2.0\r\n\r\n"), RS_EINVAL);
    cr_assert_eq(req("GET /a\r\n\r\n"), RS_EINVAL);
    cr_assert_eq(req("GET /a HTTP/1.1\r\nNo colon\r\n\r\n"), RS_EINVAL);
    cr_assert_eq(req("GET /a HTTP/1.1\r\nContent-Length: 1x\r\n\r\n"), RS_EINVAL);
    cr_assert_eq(req("GET /a HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
                 RS_EINVAL);
    cr_assert_eq(req("GET /a HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n"), RS_EINVAL);
    cr_assert_eq(req("POST /a HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"), RS_EINVAL);
    cr_assert_eq(resp("SSH-2.0-OpenSSH\r\n\r\n", "GET"), RS_EINVAL);
    cr_assert_eq(resp("HTTP/1.1 2x0 OK\r\n\r\n", "GET"), RS_EINVAL);
    cr_assert_eq(resp("HTTP/1.1 999 What\r\n\r\n", "GET"), RS_EINVAL);
    /* the same Content-Length twice is one length */
    cr_assert_eq(req("PUT /a HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n"), 1);
    cr_assert_eq(h.content_length, 5);
}

Test(http1, oversized_head_and_too_many_headers)
{
    size_t n = RS_HTTP1_MAX_HEAD + 100;
    char *big = malloc(n + 1);
    memcpy(big, "GET /a HTTP/1.1\r\nX-Big: ", 24);
    memset(big + 24, 'a', n - 24);
    big[n] = '\0';
    cr_assert_eq(rs_http1_parse_request(big, RS_HTTP1_MAX_HEAD, &h), 0);
    cr_assert_eq(rs_http1_parse_request(big, n, &h), RS_EINVAL);
    memcpy(big + n - 4, "\r\n\r\n", 4);
    cr_assert_eq(rs_http1_parse_request(big, n, &h), RS_EINVAL); /* complete but too long */
    free(big);

    char many[8192];
    size_t off = (size_t)snprintf(many, sizeof(many), "GET /a HTTP/1.1\r\n");
    for (int i = 0; i < RS_HTTP1_MAX_HEADERS; i++)
        off += (size_t)snprintf(many + off, sizeof(many) - off, "X-%d: v\r\n", i);
    snprintf(many + off, sizeof(many) - off, "\r\n");
    cr_assert_eq(req(many), 1);
    cr_assert_eq(h.num_headers, RS_HTTP1_MAX_HEADERS);
    snprintf(many + off, sizeof(many) - off, "X-last: v\r\n\r\n");
    cr_assert_eq(req(many), RS_EINVAL);
}

Test(http1, connection_fields)
{
    cr_assert_eq(req("GET / HTTP/1.0\r\n\r\n"), 1);
    cr_assert_eq(h.keep_alive, 0);
    cr_assert_eq(req("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), 1);
    cr_assert_eq(h.keep_alive, 1);
    cr_assert_eq(req("GET / HTTP/1.1\r\nConnection: TE, close\r\n\r\n"), 1);
    cr_assert_eq(h.keep_alive, 0);
    cr_assert_eq(req("GET / HTTP/1.1\r\nConnection: closed\r\n\r\n"), 1);
    cr_assert_eq(h.keep_alive, 1);
    /* libcurl sends empty Expect: and Transfer-Encoding: headers */
    cr_assert_eq(req("POST / HTTP/1.1\r\nExpect:\r\nTransfer-Encoding:\r\n"
                     "Content-Length: 2\r\n\r\n"),
                 1);
    cr_assert_eq(h.body, RS_HTTP1_BODY_LENGTH);
    cr_assert_eq(h.expect_continue, 0);
    cr_assert_eq(req("GET / HTTP/1.1\r\nExpect: 100-continue-ish\r\n\r\n"), 1);
    cr_assert_eq(h.expect_continue, 0);
}

Test(http1, response_framing)
{
    cr_assert_eq(resp("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n", "GET"), 1);
    cr_assert_eq(h.status, 200);
    cr_assert_eq(h.body, RS_HTTP1_BODY_LENGTH);
    cr_assert(h.keep_alive);
    /* chunked overrides Content-Length */
    cr_assert_eq(resp("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n"
                      "Transfer-Encoding: gzip, chunked\r\n\r\n",
                      "GET"),
                 1);
    cr_assert_eq(h.body, RS_HTTP1_BODY_CHUNKED);
    cr_assert_eq(resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: notchunked\r\n\r\n", "GET"), 1);
    cr_assert_eq(h.body, RS_HTTP1_BODY_EOF);
    cr_assert_eq(resp("HTTP/1.1 200 OK\r\nServer: x\r\n\r\n", "GET"), 1);
    cr_assert_eq(h.body, RS_HTTP1_BODY_EOF);
    cr_assert_eq(h.keep_alive, 0);
    cr_assert_eq(resp("HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n", "DELETE"), 1);
    cr_assert_eq(h.body, RS_HTTP1_BODY_NONE);
    cr_assert_eq(resp("HTTP/1.1 304 Not Modified\r\n\r\n", "GET"), 1);
    cr_assert_eq(h.body, RS_HTTP1_BODY_NONE);
    cr_assert_eq(resp("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", "HEAD"), 1);
    cr_assert_eq(h.body, RS_HTTP1_BODY_NONE);
    cr_assert_eq(resp("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n", NULL),
                 1);
    cr_assert_eq(h.keep_alive, 0);
    cr_assert_eq(resp("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", NULL), 1);
    cr_assert_eq(h.keep_alive, 0);
}

Test(http1, interim_answers_are_skipped)
{
    const char *s = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX: y\r\n\r\n"
                    "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
    cr_assert_eq(resp(s, "POST"), 1);
    cr_assert_eq(h.status, 201);
    cr_assert_eq(h.head_len, strlen(s) - 2);
    cr_assert_eq(rs_http1_parse_response(s, 30, "POST", &h), 0);
}

Test(http1, pipelined_requests)
{
    const char *s = "GET /one HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /two HTTP/1.1\r\n\r\n";
    cr_assert_eq(req(s), 1);
    cr_assert_eq(h.path_len, 4);
    size_t next = h.head_len + h.content_length;
    cr_assert_eq(rs_http1_parse_request(s + next, strlen(s) - next, &h), 1);
    cr_assert_eq(memcmp(h.path, "/two", 4), 0);
    cr_assert_eq(next + h.head_len, strlen(s));
}

/* decode `enc` fed in pieces of `step` bytes; returns the rc, body in out */
static int feed(const char *enc, size_t step, char *out, size_t *out_len, size_t *rest)
{
    size_t total = strlen(enc), given = 0, len = 0;
    char *buf = malloc(total + 1);
    rs_http1_chunked_t c;
    memset(&c, 0, sizeof(c));
    int rc = 0;
    while (given < total) {
        size_t n = total - given < step ? total - given : step;
        memcpy(buf + len, enc + given, n);
        given += n;
        len += n;
        rc = rs_http1_dechunk(&c, buf, &len, rest);
        if (rc != 0)
            break;
        cr_assert_eq(len, c.out);
    }
    if (rc == 1) {
        cr_assert_eq(len, c.out + *rest);
        memcpy(out, buf, len);
        *out_len = c.out;
    }
    free(buf);
    return rc;
}

Test(http1, chunked_extensions_trailers_and_pieces)
{
    static const char enc[] = "5;name=val\r\nhello\r\n6 ; x\r\n world\r\n"
                              "0\r\nX-Trailer: t\r\nX-Other: u\r\n\r\nNEXT";
    for (size_t step = 1; step <= sizeof(enc); step++) {
        char out[128];
        size_t n = 0, rest = 0;
        cr_assert_eq(feed(enc, step, out, &n, &rest), 1, "step %zu", step);
        cr_assert_eq(n, 11);
        cr_assert_eq(memcmp(out, "hello world", 11), 0);
        /* the pipelined bytes after the message follow the body, whole */
        size_t after = strlen(enc) - (size_t)(strstr(enc, "NEXT") - enc);
        if (rest == after)
            cr_assert_eq(memcmp(out + n, "NEXT", 4), 0);
        else
            cr_assert_lt(rest, after, "step %zu", step);
    }
}

Test(http1, chunked_bare_lf_and_errors)
{
    char out[64];
    size_t n, rest;
    cr_assert_eq(feed("3\nabc\n0\n\n", 4, out, &n, &rest), 1);
    cr_assert_eq(n, 3);
    cr_assert_eq(rest, 0);
    cr_assert_eq(feed("3\r\nabc\r\n0\r\n", 100, out, &n, &rest), 0); /* trailers' end missing */
    cr_assert_eq(feed("x\r\nabc\r\n0\r\n\r\n", 100, out, &n, &rest), RS_EINVAL);
    cr_assert_eq(feed("3\r\nabcd\r\n0\r\n\r\n", 100, out, &n, &rest), RS_EINVAL);
    cr_assert_eq(feed("11111111111111111\r\n", 100, out, &n, &rest), RS_EINVAL);
}
