/*
 * codec.c: base64 (strict), hex, the UUID text form, and the two percent-encodings S3 needs
 * (listing encoding-type=url and the SigV4 URI encoding). Runs in: every process (pure functions).
 */
#include <string.h>

#include "rs/codec.h"

static const char rs_b64_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char rs_hex_lower[] = "0123456789abcdef";
static const char rs_hex_upper[] = "0123456789ABCDEF";

size_t rs_base64_encode(const uint8_t *in, size_t n, char *out)
{
    size_t o = 0, i = 0;

    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = rs_b64_alpha[v >> 18 & 63];
        out[o++] = rs_b64_alpha[v >> 12 & 63];
        out[o++] = rs_b64_alpha[v >> 6 & 63];
        out[o++] = rs_b64_alpha[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = rs_b64_alpha[v >> 18 & 63];
        out[o++] = rs_b64_alpha[v >> 12 & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = rs_b64_alpha[v >> 18 & 63];
        out[o++] = rs_b64_alpha[v >> 12 & 63];
        out[o++] = rs_b64_alpha[v >> 6 & 63];
        out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

static int b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

long rs_base64_decode(const char *in, size_t n, uint8_t *out, size_t out_cap)
{
    size_t pad = 0, outlen, o = 0;

    if (n % 4 != 0)
        return -1;
    if (n == 0)
        return 0;
    if (in[n - 1] == '=')
        pad++;
    if (in[n - 2] == '=')
        pad++;
    if (pad == 1 && in[n - 2] == '=')
        return -1;
    outlen = n / 4 * 3 - pad;
    if (outlen > out_cap)
        return -1;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        int last = i + 4 == n;
        for (int k = 0; k < 4; k++) {
            unsigned char c = (unsigned char)in[i + k];
            if (c == '=' && last && (size_t)k >= 4 - pad) {
                v[k] = 0;
                continue;
            }
            v[k] = b64_val(c);
            if (v[k] < 0)
                return -1;
        }
        uint32_t w =
            (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        out[o++] = (uint8_t)(w >> 16);
        if (!last || pad < 2)
            out[o++] = (uint8_t)(w >> 8);
        if (!last || pad < 1)
            out[o++] = (uint8_t)w;
    }
    return (long)o;
}

void rs_hex_encode(const uint8_t *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = rs_hex_lower[in[i] >> 4];
        out[2 * i + 1] = rs_hex_lower[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void rs_uuid_v4_format(uint8_t b[16], char out[37])
{
    char *o = out;

    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = rs_hex_lower[b[i] >> 4];
        *o++ = rs_hex_lower[b[i] & 15];
    }
    *o = '\0';
}

int rs_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* length of the valid UTF-8 sequence at s (1..4), or 0 */
size_t rs_utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    unsigned cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2, min = 0x80, cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, min = 0x800, cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, min = 0x10000, cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

int rs_utf8_valid(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t l = rs_utf8_seq(s + i, n - i);
        if (l == 0)
            return 0;
        i += l;
    }
    return 1;
}

size_t rs_utf8_encode(unsigned cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6), out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12), out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18), out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t rs_utf8_put(unsigned cp, char *buf, size_t cap, size_t n)
{
    char u[4];
    size_t k = rs_utf8_encode(cp, u);
    for (size_t i = 0; i < k; i++, n++)
        if (cap > 0 && n < cap - 1)
            buf[n] = u[i];
    return n;
}

int rs_pct_decode_buf(const char *s, size_t n, char *out, size_t cap, int plus)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int h = rs_hex_digit(s[i + 1]), l = rs_hex_digit(s[i + 2]);
            if (h < 0 || l < 0)
                return -1;
            c = h * 16 + l;
            i += 2;
        } else if (c == '+' && plus) {
            c = ' ';
        }
        if (c == 0 || o + 1 >= cap)
            return -1;
        out[o++] = (char)c;
    }
    if (cap == 0)
        return -1;
    out[o] = '\0';
    return 0;
}

int rs_hex_decode(const char *in, size_t n, uint8_t *out)
{
    if (n % 2 != 0)
        return -1;
    for (size_t i = 0; i < n; i += 2) {
        int hi = rs_hex_digit((unsigned char)in[i]);
        int lo = rs_hex_digit((unsigned char)in[i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

char *rs_s3_urlencode(rs_pool_t *pool, const char *s, size_t n)
{
    size_t o = 0;
    char *r;

    if (n > (SIZE_MAX - 1) / 3)
        return NULL;
    r = rs_pool_alloc(pool, 3 * n + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || c == '/') {
            r[o++] = (char)c;
        } else {
            r[o++] = '%';
            r[o++] = rs_hex_upper[c >> 4];
            r[o++] = rs_hex_upper[c & 15];
        }
    }
    r[o] = '\0';
    return r;
}

void rs_uri_encode(rs_buf_t *out, const char *s, size_t n, int keep_slash)
{
    size_t start = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/'))
            continue;
        char esc[3] = {'%', rs_hex_upper[c >> 4], rs_hex_upper[c & 15]};
        if (i > start)
            rs_buf_append(out, s + start, i - start);
        rs_buf_append(out, esc, 3);
        start = i + 1;
    }
    if (n > start)
        rs_buf_append(out, s + start, n - start);
    else if (out->data == NULL)
        rs_buf_append(out, "", 0);
}
