/*
 * query.c: raw query-string splitting and percent-decoding into the request pool.
 * Runs in: workers. '+' is kept literally (S3 semantics), "?delete" yields has_value = 0.
 */
#include <string.h>

#include "rs/codec.h"
#include "rs/http.h"

int rs_pct_decode(rs_pool_t *pool, const char *s, size_t n, char **out, size_t *out_len)
{
    char *d = rs_pool_alloc(pool, n + 1);
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            d[o++] = s[i];
            continue;
        }
        if (n - i < 3)
            return -1;
        int hi = rs_hex_digit((unsigned char)s[i + 1]);
        int lo = rs_hex_digit((unsigned char)s[i + 2]);
        if (hi < 0 || lo < 0)
            return -1;
        d[o++] = (char)(hi << 4 | lo);
        i += 2;
    }
    d[o] = '\0';
    *out = d;
    if (out_len != NULL)
        *out_len = o;
    return 0;
}

/* decode, or keep the raw bytes when an escape is malformed */
static char *query_part(rs_pool_t *pool, const char *s, size_t n, size_t *len)
{
    char *r;

    if (rs_pct_decode(pool, s, n, &r, len) == 0)
        return r;
    *len = n;
    return rs_pool_strndup(pool, s, n);
}

size_t rs_query_parse(rs_pool_t *pool, const char *q, size_t qlen, rs_qparam_t **out)
{
    size_t count = 0, n = 0, pos = 0;
    rs_qparam_t *arr;

    *out = NULL;
    if (q == NULL || qlen == 0)
        return 0;
    for (size_t i = 0; i < qlen; i++)
        if (q[i] == '&')
            count++;
    count++;
    arr = rs_pool_alloc(pool, count * sizeof(*arr));
    while (pos <= qlen) {
        const char *seg = q + pos;
        const char *amp = memchr(seg, '&', qlen - pos);
        size_t slen = amp ? (size_t)(amp - seg) : qlen - pos;
        if (slen > 0) {
            const char *eq = memchr(seg, '=', slen);
            size_t nlen = eq ? (size_t)(eq - seg) : slen;
            size_t dummy;
            rs_qparam_t *p = &arr[n++];
            p->name = query_part(pool, seg, nlen, &dummy);
            if (eq != NULL) {
                p->value = query_part(pool, eq + 1, slen - nlen - 1, &p->value_len);
                p->has_value = 1;
            } else {
                p->value = rs_pool_strndup(pool, "", 0);
                p->value_len = 0;
                p->has_value = 0;
            }
        }
        pos += slen + 1;
    }
    *out = arr;
    return n;
}

const rs_qparam_t *rs_query_get(const rs_qparam_t *params, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(params[i].name, name) == 0)
            return &params[i];
    return NULL;
}
