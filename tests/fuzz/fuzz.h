/*
 * fuzz.h: helpers shared by the fuzz targets (tests/fuzz/fuzz_*.c): splitting one fuzz
 * input into several NUL-terminated fields. Runs in: the fuzz binaries only.
 */
#ifndef RS_FUZZ_H
#define RS_FUZZ_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rs/http.h"

/* The input cut into fields at each "\n--\n"; the last field takes the rest. Each field
 * is a malloc'd NUL-terminated copy (so the parsers see exact-length buffers under ASan). */
#define FZ_MAX_FIELDS 8

typedef struct fz {
    char *f[FZ_MAX_FIELDS];
    size_t len[FZ_MAX_FIELDS];
    size_t n;
} fz_t;

static inline void fz_split(fz_t *z, const uint8_t *data, size_t size, size_t want)
{
    const char *p = (const char *)data, *end = p + size;
    memset(z, 0, sizeof(*z));
    if (want > FZ_MAX_FIELDS)
        want = FZ_MAX_FIELDS;
    for (size_t i = 0; i < want; i++) {
        const char *cut = NULL;
        if (i + 1 < want) {
            for (const char *q = p; q + 4 <= end; q++) {
                if (memcmp(q, "\n--\n", 4) == 0) {
                    cut = q;
                    break;
                }
            }
        }
        size_t n = cut ? (size_t)(cut - p) : (size_t)(end - p);
        z->f[i] = malloc(n + 1);
        if (n)
            memcpy(z->f[i], p, n);
        z->f[i][n] = '\0';
        z->len[i] = n;
        z->n++;
        p = cut ? cut + 4 : end;
    }
}

static inline void fz_free(fz_t *z)
{
    for (size_t i = 0; i < z->n; i++)
        free(z->f[i]);
    z->n = 0;
}

/* Write all of p to fd, retrying on EINTR (libFuzzer's timeout alarm); aborts on error. */
static inline void fz_write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            abort();
        c += w;
        n -= (size_t)w;
    }
}

/* An exact-size heap copy of the input (no NUL), so reads past the end are caught. */
static inline uint8_t *fz_dup(const uint8_t *data, size_t size)
{
    uint8_t *p = malloc(size ? size : 1);
    if (size)
        memcpy(p, data, size);
    return p;
}

/* "name: value" lines of a field into headers (names lower-cased in place, values
 * trimmed of leading blanks); returns the number filled (at most max). */
static inline size_t fz_headers(char *block, size_t len, rs_hdr_t *out, size_t max)
{
    size_t n = 0;
    char *p = block, *end = block + len;
    while (p < end && n < max) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl ? nl : end;
        char *colon = memchr(p, ':', (size_t)(le - p));
        if (colon && colon > p) {
            for (char *c = p; c < colon; c++)
                if (*c >= 'A' && *c <= 'Z')
                    *c = (char)(*c - 'A' + 'a');
            char *v = colon + 1;
            while (v < le && (*v == ' ' || *v == '\t'))
                v++;
            out[n].name = p;
            out[n].name_len = (size_t)(colon - p);
            out[n].value = v;
            out[n].value_len = (size_t)(le - v);
            n++;
        }
        p = nl ? nl + 1 : end;
    }
    return n;
}

#endif
