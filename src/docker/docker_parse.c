/*
 * docker_parse.c: parsing the HTTP/1.1 answers of the Docker Engine API client: the status
 * line and headers (interim 1xx answers skipped), and the body by Content-Length, chunked
 * transfer coding, or up to EOF. Pure functions on a buffer. Runs in: the lambda supervisor.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rs/err.h"
#include "docker_int.h"

/* Value of header line [p, end) if its name is `name` (case-insensitive), else NULL. */
static const char *header_value(const char *p, const char *end, const char *name)
{
    size_t n = strlen(name);

    if ((size_t)(end - p) <= n || strncasecmp(p, name, n) != 0 || p[n] != ':')
        return NULL;
    p += n + 1;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

int rs_docker_parse_head(const char *buf, size_t len, const char *method, rs_docker_head_t *h)
{
    size_t off = 0;

    for (;;) {
        const char *start = buf + off;
        size_t avail = len - off;
        const char *end;
        const char *line;
        int status;
        int64_t clen = -1;
        int chunked = 0;

        if (memcmp(start, "HTTP/1.", avail < 7 ? avail : 7) != 0)
            return RS_EINVAL;
        end = memmem(start, avail, "\r\n\r\n", 4);
        if (end == NULL)
            return avail > RS_DOCKER_MAX_HEAD ? RS_EINVAL : 0;
        if (avail < 12 || start[8] != ' ' || start[9] < '1' || start[9] > '5' || start[10] < '0' ||
            start[10] > '9' || start[11] < '0' || start[11] > '9')
            return RS_EINVAL;
        status = (start[9] - '0') * 100 + (start[10] - '0') * 10 + (start[11] - '0');
        line = memmem(start, (size_t)(end - start) + 2, "\r\n", 2) + 2;
        while (line < end + 2) {
            const char *eol = memmem(line, (size_t)(end + 2 - line), "\r\n", 2);
            const char *v;
            if ((v = header_value(line, eol, "Content-Length")) != NULL) {
                char *stop;
                long long x;
                if (v == eol || *v < '0' || *v > '9')
                    return RS_EINVAL;
                errno = 0;
                x = strtoll(v, &stop, 10);
                while (stop < eol && (*stop == ' ' || *stop == '\t'))
                    stop++;
                if (errno != 0 || stop != eol)
                    return RS_EINVAL;
                clen = x;
            } else if ((v = header_value(line, eol, "Transfer-Encoding")) != NULL) {
                for (const char *q = v; q + 7 <= eol; q++)
                    if (strncasecmp(q, "chunked", 7) == 0)
                        chunked = 1;
            }
            line = eol + 2;
        }
        off = (size_t)(end - buf) + 4;
        if (status >= 100 && status < 200) /* interim answer: the real one follows */
            continue;
        h->status = status;
        h->body_off = off;
        if (status == 204 || status == 304 || strcmp(method, "HEAD") == 0) {
            h->mode = RS_DOCKER_BODY_NONE;
        } else if (chunked) {
            h->mode = RS_DOCKER_BODY_CHUNKED;
        } else if (clen >= 0) {
            if ((uint64_t)clen > RS_DOCKER_MAX_BODY)
                return RS_EINVAL;
            h->mode = RS_DOCKER_BODY_LENGTH;
            h->length = (size_t)clen;
        } else {
            h->mode = RS_DOCKER_BODY_EOF;
        }
        return 1;
    }
}

/* Decode a chunked body: 1 with *out (malloc'd, NUL-terminated) when the last chunk
 * arrived, 0 when more bytes are needed, RS_EINVAL on a malformed body. */
static int dechunk(const char *p, size_t n, char **out, size_t *out_len)
{
    char *dst = malloc(n + 1); /* the decoded body is never longer than the encoded one */
    size_t i = 0, total = 0;
    int r;

    if (dst == NULL)
        return RS_ENOMEM;
    for (;;) {
        size_t size = 0, digits = 0;
        const char *eol;
        while (i < n && digits <= 8) {
            char c = p[i];
            int v = (c >= '0' && c <= '9')   ? c - '0'
                    : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                    : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                             : -1;
            if (v < 0)
                break;
            size = size * 16 + (size_t)v;
            digits++;
            i++;
        }
        eol = memmem(p + i, n - i, "\r\n", 2);
        if (eol == NULL) {
            r = n - i > 1024 ? RS_EINVAL : 0;
            goto fail;
        }
        if (digits == 0 || digits > 8 || (p[i] != '\r' && p[i] != ';' && p[i] != ' ') ||
            size > RS_DOCKER_MAX_BODY - total) {
            r = RS_EINVAL;
            goto fail;
        }
        i = (size_t)(eol - p) + 2;
        if (size == 0)
            break;
        if (n - i < size + 2) {
            r = 0;
            goto fail;
        }
        if (p[i + size] != '\r' || p[i + size + 1] != '\n') {
            r = RS_EINVAL;
            goto fail;
        }
        memcpy(dst + total, p + i, size);
        total += size;
        i += size + 2;
    }
    /* optional trailers, then an empty line */
    for (;;) {
        const char *eol = memmem(p + i, n - i, "\r\n", 2);
        if (eol == NULL) {
            r = 0;
            goto fail;
        }
        if (eol == p + i)
            break;
        i = (size_t)(eol - p) + 2;
    }
    dst[total] = '\0';
    *out = dst;
    *out_len = total;
    return 1;
fail:
    free(dst);
    return r;
}

static int copy_body(const char *p, size_t n, char **out, size_t *out_len)
{
    char *b = malloc(n + 1);

    if (b == NULL)
        return RS_ENOMEM;
    memcpy(b, p, n);
    b[n] = '\0';
    *out = b;
    *out_len = n;
    return 1;
}

int rs_docker_body_done(const char *buf, size_t len, const rs_docker_head_t *h, int eof, char **out,
                        size_t *out_len)
{
    const char *p = buf + h->body_off;
    size_t n = len - h->body_off;

    switch (h->mode) {
    case RS_DOCKER_BODY_NONE:
        return copy_body(p, 0, out, out_len);
    case RS_DOCKER_BODY_LENGTH:
        return n >= h->length ? copy_body(p, h->length, out, out_len) : 0;
    case RS_DOCKER_BODY_CHUNKED:
        /* the last chunk (and trailers) end with an empty line */
        if (!eof && (n < 5 || memcmp(p + n - 4, "\r\n\r\n", 4) != 0))
            return 0;
        return dechunk(p, n, out, out_len);
    case RS_DOCKER_BODY_EOF:
        if (n > RS_DOCKER_MAX_BODY)
            return RS_EINVAL;
        return eof ? copy_body(p, n, out, out_len) : 0;
    }
    return RS_EINVAL;
}
