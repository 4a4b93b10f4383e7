/*
 * fuzz_http1.c: fuzz target for the shared HTTP/1.1 parser (src/core/http1.c). The input
 * is parsed as a stream of pipelined requests (each head, then its Content-Length body or
 * its chunked body decoded in place), then as an answer to GET and to HEAD with a chunked
 * body decoded in place when it announces one. Runs in: the fuzz binary.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rs/err.h"
#include "rs/http1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_head(const rs_http1_head_t *h, size_t len)
{
    if (h->head_len == 0 || h->head_len > len || h->head_len > RS_HTTP1_MAX_HEAD ||
        h->num_headers > RS_HTTP1_MAX_HEADERS || h->body > RS_HTTP1_BODY_EOF)
        abort();
    for (size_t i = 0; i < h->num_headers; i++)
        if (h->headers[i].name == NULL)
            abort();
}

/* decode a chunked body at buf[0, len); returns how many bytes the message used, or 0 */
static size_t dechunk(char *buf, size_t len)
{
    rs_http1_chunked_t c;
    size_t n = len, rest = 0;
    memset(&c, 0, sizeof(c));
    int rc = rs_http1_dechunk(&c, buf, &n, &rest);
    if (rc == 1 && (c.out + rest != n || n > len))
        abort();
    if (rc == 0 && n != c.out)
        abort();
    if (rc != 0 && rc != 1 && rc != RS_EINVAL)
        abort();
    return rc == 1 ? len - rest : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = (char *)fz_dup(data, size);
    rs_http1_head_t h;
    size_t off = 0;
    for (int i = 0; i < 64 && off < size; i++) {
        int rc = rs_http1_parse_request(buf + off, size - off, &h);
        if (rc != 0 && rc != 1 && rc != RS_EINVAL)
            abort();
        if (rc != 1)
            break;
        check_head(&h, size - off);
        off += h.head_len;
        if (h.body == RS_HTTP1_BODY_LENGTH) {
            if (h.content_length > size - off)
                break;
            off += (size_t)h.content_length;
        } else if (h.body == RS_HTTP1_BODY_CHUNKED) {
            size_t used = dechunk(buf + off, size - off);
            if (used == 0)
                break;
            off += used;
        } else if (h.body != RS_HTTP1_BODY_NONE) {
            abort();
        }
    }
    free(buf);
    static const char *methods[2] = {"GET", "HEAD"};
    for (int m = 0; m < 2; m++) {
        buf = (char *)fz_dup(data, size);
        int rc = rs_http1_parse_response(buf, size, methods[m], &h);
        if (rc != 0 && rc != 1 && rc != RS_EINVAL)
            abort();
        if (rc == 1) {
            check_head(&h, size);
            if (h.status < 200 || h.status > 599)
                abort();
            if (h.body == RS_HTTP1_BODY_CHUNKED)
                dechunk(buf + h.head_len, size - h.head_len);
        }
        free(buf);
    }
    return 0;
}
