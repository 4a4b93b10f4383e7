/*
 * awschunked.c: de-framing of aws-chunked request bodies (signed and unsigned chunks, with
 * or without trailers). Runs in: workers (pure function; results point into the input).
 * Strict: every size is hex, every line ends in CRLF, the final 0-size chunk is required,
 * nothing is read past `len`.
 */
#include <string.h>

#include "rs/awschunked.h"
#include "rs/codec.h"
#include "rs/err.h"

#define RS_CHUNK_SIG_LEN 64
#define RS_CHUNK_MAX_TRAILERS 32
#define RS_CHUNK_MAX_LINE 4096

typedef struct rs_chunk_cur {
    const uint8_t *p, *end;
} rs_chunk_cur_t;

/* find the CRLF ending the current line; returns line length or -1 */
static long chunk_line(const rs_chunk_cur_t *c)
{
    size_t avail = (size_t)(c->end - c->p);

    for (size_t i = 0; i + 1 < avail && i <= RS_CHUNK_MAX_LINE; i++) {
        if (c->p[i] == '\r')
            return c->p[i + 1] == '\n' ? (long)i : -1;
        if (c->p[i] == '\n')
            return -1;
    }
    return -1;
}

static int is_hex64(const uint8_t *s, size_t n)
{
    if (n != RS_CHUNK_SIG_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (rs_hex_digit(s[i]) < 0)
            return 0;
    return 1;
}

/* "<hex>[;chunk-signature=<64hex>]" -> size and optional signature span */
static int chunk_header(const uint8_t *s, size_t n, uint64_t *size, const uint8_t **sig)
{
    static const char ext[] = ";chunk-signature=";
    size_t i = 0, elen = sizeof(ext) - 1;
    uint64_t v = 0;

    for (; i < n && rs_hex_digit(s[i]) >= 0; i++) {
        if (i >= 16)
            return RS_EINVAL;
        v = v << 4 | (uint64_t)rs_hex_digit(s[i]);
    }
    if (i == 0)
        return RS_EINVAL;
    *size = v;
    *sig = NULL;
    if (i == n)
        return 0;
    if (n - i != elen + RS_CHUNK_SIG_LEN || memcmp(s + i, ext, elen) != 0 ||
        !is_hex64(s + i + elen, RS_CHUNK_SIG_LEN))
        return RS_EINVAL;
    *sig = s + i + elen;
    return 0;
}

static int chunk_trailer(rs_pool_t *pool, const uint8_t *s, size_t n, rs_chunked_result_t *out)
{
    const uint8_t *colon = memchr(s, ':', n);
    size_t nlen, vstart, vend;
    char *name;

    if (colon == NULL || colon == s)
        return RS_EINVAL;
    nlen = (size_t)(colon - s);
    while (nlen > 0 && (s[nlen - 1] == ' ' || s[nlen - 1] == '\t'))
        nlen--;
    if (nlen == 0)
        return RS_EINVAL;
    vstart = (size_t)(colon - s) + 1;
    vend = n;
    while (vstart < vend && (s[vstart] == ' ' || s[vstart] == '\t'))
        vstart++;
    while (vend > vstart && (s[vend - 1] == ' ' || s[vend - 1] == '\t'))
        vend--;
    name = rs_pool_strndup(pool, (const char *)s, nlen);
    for (size_t i = 0; i < nlen; i++)
        if (name[i] >= 'A' && name[i] <= 'Z')
            name[i] = (char)(name[i] + 32);
    if (strcmp(name, "x-amz-trailer-signature") == 0) {
        if (out->trailer_sig != NULL || !is_hex64(s + vstart, vend - vstart))
            return RS_EINVAL;
        out->trailer_sig = rs_pool_strndup(pool, (const char *)s + vstart, vend - vstart);
        return 0;
    }
    if (out->ntrailers >= RS_CHUNK_MAX_TRAILERS)
        return RS_EINVAL;
    rs_hdr_t *h = &out->trailers[out->ntrailers++];
    h->name = name;
    h->name_len = nlen;
    h->value = rs_pool_strndup(pool, (const char *)s + vstart, vend - vstart);
    h->value_len = vend - vstart;
    return 0;
}

/* grow a pool array by doubling (the old copy is left in the pool) */
static void *chunk_grow(rs_pool_t *pool, void *arr, size_t elem, size_t used, size_t *cap)
{
    size_t ncap = *cap ? *cap * 2 : 8;
    void *n = rs_pool_alloc(pool, ncap * elem);

    if (used > 0)
        memcpy(n, arr, used * elem);
    *cap = ncap;
    return n;
}

int rs_awschunked_decode(rs_pool_t *pool, const uint8_t *in, size_t len, rs_chunked_result_t *out)
{
    rs_chunk_cur_t c = {in, in + len};
    size_t seg_cap = 0, sig_cap = 0;
    int signed_chunks = -1; /* unknown until the first chunk line */

    memset(out, 0, sizeof(*out));
    out->trailers = rs_pool_alloc(pool, RS_CHUNK_MAX_TRAILERS * sizeof(rs_hdr_t));
    for (;;) {
        long ll = chunk_line(&c);
        uint64_t size;
        const uint8_t *sig;

        if (ll < 0 || chunk_header(c.p, (size_t)ll, &size, &sig) != 0)
            return RS_EINVAL;
        if (signed_chunks < 0)
            signed_chunks = sig != NULL;
        else if (signed_chunks != (sig != NULL))
            return RS_EINVAL;
        if (sig != NULL) {
            if (out->nsigs == sig_cap)
                out->chunk_sigs =
                    chunk_grow(pool, out->chunk_sigs, sizeof(char *), out->nsigs, &sig_cap);
            out->chunk_sigs[out->nsigs++] =
                rs_pool_strndup(pool, (const char *)sig, RS_CHUNK_SIG_LEN);
        }
        c.p += ll + 2;
        if (size == 0)
            break;
        if (size > (uint64_t)(c.end - c.p) || (uint64_t)(c.end - c.p) - size < 2)
            return RS_EINVAL;
        if (c.p[size] != '\r' || c.p[size + 1] != '\n')
            return RS_EINVAL;
        if (out->nseg == seg_cap)
            out->segs = chunk_grow(pool, out->segs, sizeof(struct iovec), out->nseg, &seg_cap);
        out->segs[out->nseg].iov_base = (void *)(uintptr_t)c.p;
        out->segs[out->nseg].iov_len = (size_t)size;
        out->nseg++;
        out->decoded_len += (size_t)size;
        c.p += size + 2;
    }
    /* trailer lines, then the empty line that ends the body */
    for (;;) {
        long ll;

        ll = chunk_line(&c);
        if (ll < 0)
            return RS_EINVAL;
        if (ll == 0) {
            c.p += 2;
            break;
        }
        if (chunk_trailer(pool, c.p, (size_t)ll, out) != 0)
            return RS_EINVAL;
        c.p += ll + 2;
    }
    if (c.p != c.end)
        return RS_EINVAL;
    if (out->segs == NULL)
        out->segs = rs_pool_alloc(pool, sizeof(struct iovec));
    return 0;
}
