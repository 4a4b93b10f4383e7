/*
 * http1.c: the one HTTP/1.1 message parser (include/rs/http1.h) on picohttpparser, which
 * libh2o-evloop links in and exports; Debian ships no header for it, so its prototypes
 * are declared here. Runs in: the ddb and lambda supervisors.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "rs/err.h"
#include "rs/http1.h"

struct phr_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};

struct phr_chunked_decoder {
    size_t bytes_left_in_chunk;
    char consume_trailer;
    char _hex_count;
    char _state;
};

int phr_parse_request(const char *buf, size_t len, const char **method, size_t *method_len,
                      const char **path, size_t *path_len, int *minor_version,
                      struct phr_header *headers, size_t *num_headers, size_t last_len);
int phr_parse_response(const char *buf, size_t len, int *minor_version, int *status,
                       const char **msg, size_t *msg_len, struct phr_header *headers,
                       size_t *num_headers, size_t last_len);
ssize_t phr_decode_chunked(struct phr_chunked_decoder *decoder, char *buf, size_t *bufsz);

/* rs_hdr_t and the chunked state stand for picohttpparser's structs */
_Static_assert(sizeof(rs_hdr_t) == sizeof(struct phr_header) &&
                   offsetof(rs_hdr_t, name_len) == offsetof(struct phr_header, name_len) &&
                   offsetof(rs_hdr_t, value) == offsetof(struct phr_header, value) &&
                   offsetof(rs_hdr_t, value_len) == offsetof(struct phr_header, value_len),
               "rs_hdr_t is not phr_header");
_Static_assert(sizeof(((rs_http1_chunked_t *)0)->dec) == sizeof(struct phr_chunked_decoder) &&
                   offsetof(rs_http1_chunked_t, dec.state) - offsetof(rs_http1_chunked_t, dec) ==
                       offsetof(struct phr_chunked_decoder, _state),
               "rs_http1_chunked_t is not phr_chunked_decoder");

static int name_is(const rs_hdr_t *x, const char *name, size_t n)
{
    return x->name_len == n && strncasecmp(x->name, name, n) == 0;
}

/* is `tok` one of the comma-separated tokens of [v, v + n)? */
static int has_token(const char *v, size_t n, const char *tok)
{
    size_t tl = strlen(tok);
    const char *end = v + n;
    while (v < end) {
        while (v < end && (*v == ' ' || *v == '\t' || *v == ','))
            v++;
        const char *s = v;
        while (v < end && *v != ',')
            v++;
        const char *e = v;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if ((size_t)(e - s) == tl && strncasecmp(s, tok, tl) == 0)
            return 1;
    }
    return 0;
}

/* does the last coding of a Transfer-Encoding value name chunked? */
static int last_is_chunked(const char *v, size_t n)
{
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    return n >= 7 && strncasecmp(v + n - 7, "chunked", 7) == 0 &&
           (n == 7 || v[n - 8] == ',' || v[n - 8] == ' ' || v[n - 8] == '\t');
}

/* the headers' framing and connection fields; RS_EINVAL on a folded line or a bad length.
 * *te: 0 none/identity, 1 chunked, 2 another coding */
static int scan_headers(rs_http1_head_t *h, int *te)
{
    int has_len = 0;
    *te = 0;
    h->content_length = 0;
    h->keep_alive = h->minor_version >= 1;
    h->expect_continue = 0;
    for (size_t i = 0; i < h->num_headers; i++) {
        rs_hdr_t *x = &h->headers[i];
        if (x->name == NULL) /* obs-fold continuation line */
            return RS_EINVAL;
        while (x->value_len > 0 &&
               (x->value[x->value_len - 1] == ' ' || x->value[x->value_len - 1] == '\t'))
            x->value_len--; /* trailing blanks (older picohttpparsers keep them) */
        if (name_is(x, "content-length", 14)) {
            uint64_t v = 0;
            if (x->value_len == 0 || x->value_len > 19)
                return RS_EINVAL;
            for (size_t k = 0; k < x->value_len; k++) {
                if (x->value[k] < '0' || x->value[k] > '9')
                    return RS_EINVAL;
                v = v * 10 + (uint64_t)(x->value[k] - '0');
            }
            if (has_len && v != h->content_length)
                return RS_EINVAL;
            h->content_length = v;
            has_len = 1;
        } else if (name_is(x, "transfer-encoding", 17)) {
            if (last_is_chunked(x->value, x->value_len))
                *te = 1;
            else if (x->value_len != 0 && /* libcurl sends an empty one */
                     !(x->value_len == 8 && strncasecmp(x->value, "identity", 8) == 0))
                *te = 2;
        } else if (name_is(x, "connection", 10)) {
            if (has_token(x->value, x->value_len, "close"))
                h->keep_alive = 0;
            else if (has_token(x->value, x->value_len, "keep-alive"))
                h->keep_alive = 1;
        } else if (name_is(x, "expect", 6)) {
            h->expect_continue =
                x->value_len == 12 && strncasecmp(x->value, "100-continue", 12) == 0;
        }
    }
    if (*te == 0)
        h->body = has_len ? RS_HTTP1_BODY_LENGTH : RS_HTTP1_BODY_NONE;
    else
        h->body = *te == 1 ? RS_HTTP1_BODY_CHUNKED : RS_HTTP1_BODY_EOF;
    return 0;
}

/* picohttpparser's result: bytes of the head, -2 partial, -1 malformed */
static int outcome(int r, size_t len)
{
    if (r == -2)
        return len > RS_HTTP1_MAX_HEAD ? RS_EINVAL : 0;
    return r < 0 || (size_t)r > RS_HTTP1_MAX_HEAD ? RS_EINVAL : 1;
}

int rs_http1_parse_request(const char *buf, size_t len, rs_http1_head_t *h)
{
    int te;
    h->num_headers = RS_HTTP1_MAX_HEADERS;
    h->status = 0;
    int r =
        phr_parse_request(buf, len, &h->method, &h->method_len, &h->path, &h->path_len,
                          &h->minor_version, (struct phr_header *)h->headers, &h->num_headers, 0);
    int rc = outcome(r, len);
    if (rc != 1)
        return rc;
    h->head_len = (size_t)r;
    if (scan_headers(h, &te) != 0 || te == 2)
        return RS_EINVAL;
    return 1;
}

int rs_http1_parse_response(const char *buf, size_t len, const char *method, rs_http1_head_t *h)
{
    size_t off = 0;
    int te;
    h->method = h->path = NULL;
    h->method_len = h->path_len = 0;
    for (;;) {
        const char *msg;
        size_t msg_len;
        h->num_headers = RS_HTTP1_MAX_HEADERS;
        int r = phr_parse_response(buf + off, len - off, &h->minor_version, &h->status, &msg,
                                   &msg_len, (struct phr_header *)h->headers, &h->num_headers, 0);
        int rc = outcome(r, len);
        if (rc != 1)
            return rc;
        off += (size_t)r;
        if (off > RS_HTTP1_MAX_HEAD || h->status < 100 || h->status > 599 ||
            scan_headers(h, &te) != 0)
            return RS_EINVAL;
        if (h->status >= 200)
            break;
    }
    h->head_len = off;
    if (h->status == 204 || h->status == 304 || (method != NULL && strcmp(method, "HEAD") == 0))
        h->body = RS_HTTP1_BODY_NONE;
    else if (h->body == RS_HTTP1_BODY_NONE)
        h->body = RS_HTTP1_BODY_EOF;
    if (h->body == RS_HTTP1_BODY_EOF)
        h->keep_alive = 0;
    return 1;
}

int rs_http1_dechunk(rs_http1_chunked_t *c, char *buf, size_t *len, size_t *rest)
{
    size_t n = *len - c->out;
    c->dec.consume_trailer = 1;
    ssize_t r = phr_decode_chunked((struct phr_chunked_decoder *)&c->dec, buf + c->out, &n);
    if (r == -1)
        return RS_EINVAL;
    c->out += n;
    if (r == -2) {
        *len = c->out;
        return 0;
    }
    *rest = (size_t)r;
    *len = c->out + (size_t)r;
    return 1;
}
