/*
 * ddb_json.c: the read-only JSON cursor of rs/ddb_json.h. The text has been checked by
 * the model validator, so skipping a value only has to respect strings and nesting; a
 * malformed text still never reads past its end (every scan is bounded).
 * Runs in: workers (pure).
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "rs/codec.h"
#include "rs/ddb_json.h"

static const char *ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* just past the closing quote of a string whose text starts at p (memchr for the quote,
 * then the backslashes before it: an even number leaves it unescaped) */
static const char *string_end(const char *p, const char *end)
{
    while (p < end) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        if (q == NULL)
            return end;
        size_t bs = 0;
        while (q - bs > p && q[-1 - (ptrdiff_t)bs] == '\\')
            bs++;
        if (bs % 2 == 0)
            return q + 1;
        p = q + 1;
    }
    return end;
}

/* the end of the value at p */
static const char *skip(const char *p, const char *end)
{
    int depth = 0;
    while (p < end) {
        char ch = *p;
        if (ch == '"') {
            p = string_end(p + 1, end);
            if (depth == 0)
                return p;
            continue;
        }
        if (ch == '{' || ch == '[') {
            depth++;
        } else if (ch == '}' || ch == ']') {
            if (depth == 0)
                return p;
            depth--;
            if (depth <= 0)
                return p + 1;
        } else if (depth == 0 && (ch == ',' || ch == ':' || ch == ' ' || ch == '\t' || ch == '\n' ||
                                  ch == '\r')) {
            return p;
        }
        p++;
    }
    return end;
}

rs_jv_t rs_jv_parse(const char *p, size_t n)
{
    rs_jv_t v = {NULL, 0};
    if (p == NULL)
        return v;
    const char *end = p + n;
    p = ws(p, end);
    if (p >= end || *p == 'n')
        return v;
    v.p = p;
    /* a whole text that is one object or array (a checked request body) ends at its last
     * bracket: no scan of the body for it */
    const char *last = end;
    while (last > p &&
           (last[-1] == ' ' || last[-1] == '\t' || last[-1] == '\n' || last[-1] == '\r'))
        last--;
    if (last - p >= 2 && ((*p == '{' && last[-1] == '}') || (*p == '[' && last[-1] == ']'))) {
        v.n = (size_t)(last - p);
        return v;
    }
    v.n = (size_t)(skip(p, end) - p);
    return v;
}

rs_jv_type_t rs_jv_type(rs_jv_t v)
{
    if (v.p == NULL || v.n == 0)
        return RS_JV_NONE;
    switch (*v.p) {
    case '{':
        return RS_JV_OBJECT;
    case '[':
        return RS_JV_ARRAY;
    case '"':
        return RS_JV_STRING;
    case 't':
    case 'f':
        return RS_JV_BOOL;
    case 'n':
        return RS_JV_NONE;
    default:
        return RS_JV_NUMBER;
    }
}

void rs_jv_iter(rs_jv_t v, rs_jv_iter_t *it)
{
    rs_jv_type_t t = rs_jv_type(v);
    it->first = 1;
    if (t != RS_JV_OBJECT && t != RS_JV_ARRAY) {
        it->p = it->end = NULL;
        return;
    }
    it->p = v.p + 1;
    it->end = v.p + v.n - 1; /* the closing bracket */
}

int rs_jv_next(rs_jv_iter_t *it, rs_jv_t *key, rs_jv_t *val)
{
    static const rs_jv_t none = {NULL, 0};
    if (key != NULL)
        *key = none; /* absent when there is no next member */
    if (val != NULL)
        *val = none;
    if (it->p == NULL)
        return 0;
    const char *p = ws(it->p, it->end);
    if (!it->first) {
        if (p >= it->end || *p != ',')
            return 0;
        p = ws(p + 1, it->end);
    }
    if (p >= it->end)
        return 0;
    it->first = 0;
    rs_jv_t k = {NULL, 0};
    if (*p == '"' && key != NULL) {
        /* an object's member: key, colon, value */
        const char *ke = skip(p, it->end);
        k.p = p;
        k.n = (size_t)(ke - p);
        const char *q = ws(ke, it->end);
        if (q < it->end && *q == ':') {
            p = ws(q + 1, it->end);
        } else {
            /* an array element that is a string (key given by mistake): the value */
            k.p = NULL, k.n = 0;
        }
    }
    const char *e = skip(p, it->end);
    if (val != NULL) {
        val->p = (p < it->end && *p == 'n') ? NULL : p;
        val->n = val->p != NULL ? (size_t)(e - p) : 0;
    }
    if (key != NULL)
        *key = k;
    it->p = e;
    return 1;
}

size_t rs_jv_count(rs_jv_t v)
{
    rs_jv_iter_t it;
    rs_jv_t k, x;
    size_t n = 0;
    rs_jv_iter(v, &it);
    while (rs_jv_next(&it, rs_jv_type(v) == RS_JV_OBJECT ? &k : NULL, &x))
        n++;
    return n;
}

static unsigned hex4(const char *p, const char *end)
{
    unsigned v = 0;
    if (end - p < 4)
        return 0xFFFD;
    for (int i = 0; i < 4; i++) {
        int h = rs_hex_digit(p[i]);
        if (h < 0)
            return 0xFFFD;
        v = v << 4 | (unsigned)h;
    }
    return v;
}

size_t rs_jv_str(rs_jv_t v, char *buf, size_t cap)
{
    size_t n = 0;
    if (cap > 0)
        buf[0] = '\0';
    if (rs_jv_type(v) != RS_JV_STRING || v.n < 2)
        return 0;
    const char *p = v.p + 1, *end = v.p + v.n - 1;
    while (p < end) {
        if (*p != '\\') {
            if (cap > 0 && n < cap - 1)
                buf[n] = *p;
            n++, p++;
            continue;
        }
        if (p + 1 >= end)
            break;
        char e = p[1];
        unsigned cp;
        p += 2;
        switch (e) {
        case 'b':
            cp = '\b';
            break;
        case 'f':
            cp = '\f';
            break;
        case 'n':
            cp = '\n';
            break;
        case 'r':
            cp = '\r';
            break;
        case 't':
            cp = '\t';
            break;
        case 'u':
            cp = hex4(p, end);
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                unsigned lo = hex4(p + 2, end);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
            }
            break;
        default:
            cp = (unsigned char)e;
            break;
        }
        n = rs_utf8_put(cp, buf, cap, n);
    }
    if (cap > 0)
        buf[n < cap - 1 ? n : cap - 1] = '\0';
    return n;
}

int rs_jv_streq(rs_jv_t v, const char *lit)
{
    char buf[512];
    size_t n = strlen(lit);
    if (rs_jv_type(v) != RS_JV_STRING || n >= sizeof(buf))
        return 0;
    if (memchr(v.p, '\\', v.n) == NULL)
        return v.n == n + 2 && memcmp(v.p + 1, lit, n) == 0;
    return rs_jv_str(v, buf, sizeof(buf)) == n && memcmp(buf, lit, n) == 0;
}

int rs_jv_str_same(rs_jv_t a, rs_jv_t b)
{
    if (rs_jv_type(a) != RS_JV_STRING || rs_jv_type(b) != RS_JV_STRING)
        return 0;
    if (memchr(a.p, '\\', a.n) == NULL && memchr(b.p, '\\', b.n) == NULL)
        return a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
    char x[1024], y[1024];
    size_t nx = rs_jv_str(a, x, sizeof(x)), ny = rs_jv_str(b, y, sizeof(y));
    return nx == ny && nx < sizeof(x) && memcmp(x, y, nx) == 0;
}

int rs_jv_true(rs_jv_t v)
{
    return v.p != NULL && v.n == 4 && memcmp(v.p, "true", 4) == 0;
}

rs_jv_t rs_jv_get(rs_jv_t v, const char *key)
{
    rs_jv_t none = {NULL, 0}, k, x;
    rs_jv_iter_t it;
    if (rs_jv_type(v) != RS_JV_OBJECT)
        return none;
    rs_jv_iter(v, &it);
    while (rs_jv_next(&it, &k, &x))
        if (rs_jv_streq(k, key))
            return x;
    return none;
}
