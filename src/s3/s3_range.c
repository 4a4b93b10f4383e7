/*
 * s3_range.c: the Range header (single range, S3's tolerance rules) and the conditional
 * GET/HEAD evaluation (If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since)
 * in AWS's order. Runs in: workers (pure functions).
 */
#include <string.h>
#include <strings.h>

#include "rs/codec.h"
#include "rs/s3_range.h"

static int range_ws(char c)
{
    return c == ' ' || c == '\t';
}

/* decimal digits in [s, s+n) -> *v; -1 when empty, not digits or overflowing */
static int range_num(const char *s, size_t n, uint64_t *v)
{
    uint64_t r = 0;

    if (n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (r > (UINT64_MAX - d) / 10)
            return -1;
        r = r * 10 + d;
    }
    *v = r;
    return 0;
}

rs_range_result_t rs_range_parse(const char *hdr, size_t len, uint64_t size, uint64_t *first,
                                 uint64_t *last)
{
    const char *dash;
    uint64_t a, b;
    size_t alen;

    if (hdr == NULL)
        return RS_RANGE_NONE;
    while (len > 0 && range_ws(*hdr)) {
        hdr++;
        len--;
    }
    while (len > 0 && range_ws(hdr[len - 1]))
        len--;
    if (len < 6 || memcmp(hdr, "bytes=", 6) != 0)
        return RS_RANGE_NONE;
    hdr += 6;
    len -= 6;
    if (memchr(hdr, ',', len) != NULL)
        return RS_RANGE_NONE; /* multi-range: S3 ignores it */
    dash = memchr(hdr, '-', len);
    if (dash == NULL)
        return RS_RANGE_NONE;
    alen = (size_t)(dash - hdr);
    if (alen == 0) {
        /* suffix range: bytes=-N */
        if (range_num(dash + 1, len - 1, &b) != 0)
            return RS_RANGE_NONE;
        if (b == 0 || size == 0)
            return RS_RANGE_UNSATISFIABLE;
        *first = b >= size ? 0 : size - b;
        *last = size - 1;
        return RS_RANGE_OK;
    }
    if (range_num(hdr, alen, &a) != 0)
        return RS_RANGE_NONE;
    if (alen + 1 == len) {
        /* open range: bytes=A- */
        if (a >= size)
            return RS_RANGE_UNSATISFIABLE;
        *first = a;
        *last = size - 1;
        return RS_RANGE_OK;
    }
    if (range_num(dash + 1, len - alen - 1, &b) != 0)
        return RS_RANGE_NONE;
    if (b < a)
        return RS_RANGE_NONE;
    if (a >= size)
        return RS_RANGE_UNSATISFIABLE;
    *first = a;
    *last = b >= size ? size - 1 : b;
    return RS_RANGE_OK;
}

int rs_etag_list_matches(const char *list, size_t len, const char *etag_hex)
{
    size_t elen = strlen(etag_hex), pos = 0;

    if (list == NULL)
        return 0;
    while (pos < len) {
        const char *item = list + pos;
        const char *comma = memchr(item, ',', len - pos);
        size_t n = comma ? (size_t)(comma - item) : len - pos;
        pos += n + 1;
        while (n > 0 && range_ws(*item)) {
            item++;
            n--;
        }
        while (n > 0 && range_ws(item[n - 1]))
            n--;
        if (n >= 2 && item[0] == 'W' && item[1] == '/') {
            item += 2;
            n -= 2;
        }
        if (n >= 2 && item[0] == '"' && item[n - 1] == '"') {
            item++;
            n -= 2;
        }
        if (n == 1 && item[0] == '*')
            return 1;
        if (n == elen && n > 0 && strncasecmp(item, etag_hex, n) == 0)
            return 1;
    }
    return 0;
}

rs_cond_t rs_cond_eval(const rs_cond_hdrs_t *c, const char *etag_hex, int64_t mtime, int64_t now,
                       const char **which)
{
    int64_t t;
    const char *dummy;

    if (which == NULL)
        which = &dummy;
    *which = NULL;
    if (c->if_match != NULL) {
        if (!rs_etag_list_matches(c->if_match, c->if_match_len, etag_hex)) {
            *which = "If-Match";
            return RS_COND_FAILED;
        }
    } else if (c->if_unmodified_since != NULL &&
               rs_http_date_parse(c->if_unmodified_since, c->if_unmodified_since_len, &t) == 0 &&
               mtime > t) {
        *which = "If-Unmodified-Since";
        return RS_COND_FAILED;
    }
    if (c->if_none_match != NULL) {
        if (rs_etag_list_matches(c->if_none_match, c->if_none_match_len, etag_hex)) {
            *which = "If-None-Match";
            return RS_COND_NOT_MODIFIED;
        }
        return RS_COND_PROCEED; /* a non-matching If-None-Match overrides If-Modified-Since */
    }
    if (c->if_modified_since != NULL &&
        rs_http_date_parse(c->if_modified_since, c->if_modified_since_len, &t) == 0 && t <= now &&
        mtime <= t) {
        *which = "If-Modified-Since";
        return RS_COND_NOT_MODIFIED;
    }
    return RS_COND_PROCEED;
}
