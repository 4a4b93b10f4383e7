/*
 * buf.c: rs_buf_t, the growable heap byte buffer (response bodies, XML, strings to sign).
 * Runs in: every process.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs/err.h"
#include "rs/http.h"

void rs_buf_init(rs_buf_t *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

/* make room for `extra` more bytes plus a trailing NUL */
static void buf_reserve(rs_buf_t *b, size_t extra)
{
    size_t need, cap;
    char *d;

    RS_ASSERT(extra <= SIZE_MAX - b->len - 1, "rs_buf size overflow");
    need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    d = realloc(b->data, cap);
    RS_ASSERT(d != NULL, "out of memory in rs_buf");
    b->data = d;
    b->cap = cap;
}

void rs_buf_append(rs_buf_t *b, const void *p, size_t n)
{
    buf_reserve(b, n);
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void rs_buf_appends(rs_buf_t *b, const char *s)
{
    rs_buf_append(b, s, strlen(s));
}

void rs_buf_printf(rs_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    int len;

    va_start(ap, fmt);
    len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0)
        return;
    buf_reserve(b, (size_t)len);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)len + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)len;
}

void rs_buf_free(rs_buf_t *b)
{
    free(b->data);
    rs_buf_init(b);
}
