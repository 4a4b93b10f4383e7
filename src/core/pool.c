/*
 * pool.c: the per-request bump allocator (rs_pool_t), freed at once with rs_pool_clear.
 * Runs in: workers (one pool per request), also usable in any process.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs/err.h"
#include "rs/http.h"

#define RS_POOL_CHUNK 4000 /* default chunk payload; bigger requests get their own chunk */
#define RS_POOL_ALIGN 16

struct rs_pool_chunk {
    rs_pool_chunk_t *next;
    size_t size; /* payload bytes */
    size_t used;
    _Alignas(RS_POOL_ALIGN) unsigned char data[];
};

void rs_pool_init(rs_pool_t *p)
{
    p->chunks = NULL;
}

static rs_pool_chunk_t *pool_new_chunk(size_t size)
{
    rs_pool_chunk_t *c;

    RS_ASSERT(size <= SIZE_MAX - sizeof(*c), "rs_pool chunk size overflow");
    c = malloc(sizeof(*c) + size);
    RS_ASSERT(c != NULL, "out of memory in rs_pool_alloc");
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

void *rs_pool_alloc(rs_pool_t *p, size_t n)
{
    rs_pool_chunk_t *c = p->chunks;
    size_t need = (n + RS_POOL_ALIGN - 1) & ~(size_t)(RS_POOL_ALIGN - 1);

    RS_ASSERT(need >= n, "rs_pool_alloc size overflow");
    if (need == 0)
        need = RS_POOL_ALIGN;
    if (c != NULL && c->size - c->used >= need) {
        void *r = c->data + c->used;
        c->used += need;
        return r;
    }
    if (need > RS_POOL_CHUNK / 4) {
        /* large block: own chunk, linked behind the current one so it stays in use */
        rs_pool_chunk_t *big = pool_new_chunk(need);
        big->used = need;
        if (c != NULL) {
            big->next = c->next;
            c->next = big;
        } else {
            p->chunks = big;
        }
        return big->data;
    }
    c = pool_new_chunk(RS_POOL_CHUNK);
    c->next = p->chunks;
    p->chunks = c;
    c->used = need;
    return c->data;
}

char *rs_pool_strndup(rs_pool_t *p, const char *s, size_t n)
{
    char *r = rs_pool_alloc(p, n + 1);

    if (n > 0)
        memcpy(r, s, n);
    r[n] = '\0';
    return r;
}

char *rs_pool_printf(rs_pool_t *p, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    int len;
    char *r;

    va_start(ap, fmt);
    len = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (len < 0)
        return rs_pool_strndup(p, "", 0);
    r = rs_pool_alloc(p, (size_t)len + 1);
    if ((size_t)len < sizeof(small)) {
        memcpy(r, small, (size_t)len + 1);
        return r;
    }
    va_start(ap, fmt);
    vsnprintf(r, (size_t)len + 1, fmt, ap);
    va_end(ap);
    return r;
}

void rs_pool_clear(rs_pool_t *p)
{
    rs_pool_chunk_t *c = p->chunks;

    while (c != NULL) {
        rs_pool_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    p->chunks = NULL;
}
