/*
 * http1.h: the one HTTP/1.1 message parser, on picohttpparser (shipped inside libh2o):
 * request and response heads, the body framing they announce (Content-Length, chunked,
 * up to EOF, none), chunked bodies decoded in place as bytes arrive, and one set of
 * limits. Used by the clients to DynamoDB Local (src/ddb/ddb_http.c) and to the container
 * engine (src/docker), and by the Lambda Runtime API server (src/lambda/lambda_rapi.c).
 * Pure functions on caller buffers. Runs in: the ddb and lambda supervisors.
 *
 * Policy, the same for every user: bare LF line ends are accepted; obsolete line folding
 * (a header line starting with a blank) is rejected; a head longer than RS_HTTP1_MAX_HEAD
 * or with more than RS_HTTP1_MAX_HEADERS headers is rejected; Transfer-Encoding chunked
 * overrides Content-Length; differing Content-Length values are rejected; chunk
 * extensions are skipped and trailers consumed (and dropped).
 */
#ifndef RS_HTTP1_H
#define RS_HTTP1_H

#include <stddef.h>
#include <stdint.h>

#include "rs/http.h"

#define RS_HTTP1_MAX_HEAD (64 * 1024) /* request or status line plus headers */
#define RS_HTTP1_MAX_HEADERS 64

enum rs_http1_body {
    RS_HTTP1_BODY_NONE,    /* no body: 1xx/204/304, an answer to HEAD, a request without one */
    RS_HTTP1_BODY_LENGTH,  /* Content-Length bytes */
    RS_HTTP1_BODY_CHUNKED, /* Transfer-Encoding: chunked */
    RS_HTTP1_BODY_EOF,     /* an answer with neither: the body ends when the peer closes */
};

typedef struct rs_http1_head {
    size_t head_len; /* bytes of the head (for answers: with the interim 1xx heads skipped) */
    int minor_version;
    const char *method, *path; /* requests: pointers into the buffer, not NUL-terminated */
    size_t method_len, path_len;
    int status;                             /* answers */
    rs_hdr_t headers[RS_HTTP1_MAX_HEADERS]; /* pointers into the buffer, names as sent */
    size_t num_headers;
    enum rs_http1_body body;
    uint64_t content_length; /* RS_HTTP1_BODY_LENGTH */
    int keep_alive;          /* HTTP/1.1 unless "Connection: close"; 1.0 with keep-alive */
    int expect_continue;     /* request: "Expect: 100-continue" */
} rs_http1_head_t;

/* Parse a request head at the start of buf: 1 when complete (*h filled), 0 when more
 * bytes are needed, RS_EINVAL when malformed or over the limits. A Transfer-Encoding
 * other than identity and not ending in chunked is RS_EINVAL (the length is unknown). */
int rs_http1_parse_request(const char *buf, size_t len, rs_http1_head_t *h);

/* The same for an answer to `method` (HEAD answers have no body); interim 1xx answers
 * are skipped. */
int rs_http1_parse_response(const char *buf, size_t len, const char *method, rs_http1_head_t *h);

/* A chunked body decoded in place: zero it, then call rs_http1_dechunk each time bytes
 * were appended. buf[0, *len) is the body area: its first `out` bytes are decoded data,
 * the rest still encoded. */
typedef struct rs_http1_chunked {
    size_t out; /* decoded bytes at the start of the body area */
    struct {    /* picohttpparser's phr_chunked_decoder (checked in http1.c) */
        size_t bytes_left_in_chunk;
        char consume_trailer, hex_count, state;
    } dec;
} rs_http1_chunked_t;

/* 1 when the last chunk and the trailers arrived: the body is buf[0, c->out) and
 * *rest bytes that followed the message (a pipelined one) sit right after it; 0 when more
 * bytes are needed (*len is set to c->out: append the next bytes there); RS_EINVAL on a
 * malformed body. */
int rs_http1_dechunk(rs_http1_chunked_t *c, char *buf, size_t *len, size_t *rest);

#endif
