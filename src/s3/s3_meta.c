/*
 * s3_meta.c: the object metadata kept with each object (system headers such as
 * Content-Type, user x-amz-meta-* pairs, tagging) — building it from a request,
 * encoding it into the opaque blob the store keeps, and writing it back as headers.
 * Runs in: workers. Blob format: records of u8 tag, u16 name length, name, u32 value
 * length, value (little-endian lengths).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "rs/codec.h"
#include "s3/s3_int.h"

#define RS_USER_META_MAX 2048

void rs_s3_meta_add(rs_s3_meta_t *m, int tag, const char *name, const char *value, size_t len)
{
    if (m->n == sizeof m->f / sizeof m->f[0])
        return;
    m->f[m->n].tag = tag;
    m->f[m->n].name = name;
    m->f[m->n].value = value;
    m->f[m->n].value_len = len;
    m->n++;
}

const rs_s3_meta_field_t *rs_s3_meta_find(const rs_s3_meta_t *m, int tag)
{
    size_t i;
    for (i = 0; i < m->n; i++)
        if (m->f[i].tag == tag)
            return &m->f[i];
    return NULL;
}

int rs_s3_meta_encode(rs_pool_t *pool, const rs_s3_meta_t *m, uint8_t **out, size_t *len)
{
    size_t i, total = 0, nl;
    uint8_t *p;
    for (i = 0; i < m->n; i++)
        total += 1 + 2 + (m->f[i].name ? strlen(m->f[i].name) : 0) + 4 + m->f[i].value_len;
    if (total > RS_MAX_META)
        return -1;
    p = *out = rs_pool_alloc(pool, total ? total : 1);
    for (i = 0; i < m->n; i++) {
        uint32_t vl = (uint32_t)m->f[i].value_len;
        nl = m->f[i].name ? strlen(m->f[i].name) : 0;
        *p++ = (uint8_t)m->f[i].tag;
        *p++ = (uint8_t)(nl & 0xff);
        *p++ = (uint8_t)(nl >> 8);
        memcpy(p, m->f[i].name ? m->f[i].name : "", nl);
        p += nl;
        p[0] = vl & 0xff, p[1] = (vl >> 8) & 0xff, p[2] = (vl >> 16) & 0xff, p[3] = vl >> 24;
        p += 4;
        memcpy(p, m->f[i].value, vl);
        p += vl;
    }
    *len = total;
    return 0;
}

int rs_s3_meta_decode(rs_pool_t *pool, const uint8_t *blob, size_t len, rs_s3_meta_t *m)
{
    size_t pos = 0;
    m->n = 0;
    while (pos < len) {
        size_t nl, vl;
        int tag;
        const char *name = NULL;
        if (len - pos < 3)
            return -1;
        tag = blob[pos];
        nl = (size_t)blob[pos + 1] | ((size_t)blob[pos + 2] << 8);
        pos += 3;
        if (len - pos < nl + 4)
            return -1;
        if (nl > 0)
            name = rs_pool_strndup(pool, (const char *)blob + pos, nl);
        pos += nl;
        vl = (size_t)blob[pos] | ((size_t)blob[pos + 1] << 8) | ((size_t)blob[pos + 2] << 16) |
             ((size_t)blob[pos + 3] << 24);
        pos += 4;
        if (len - pos < vl)
            return -1;
        rs_s3_meta_add(m, tag, name, rs_pool_strndup(pool, (const char *)blob + pos, vl), vl);
        pos += vl;
    }
    return 0;
}

/* ---- from request headers -------------------------------------------------------- */

static void trim(const char **v, size_t *n)
{
    while (*n > 0 && isspace((unsigned char)(*v)[0]))
        (*v)++, (*n)--;
    while (*n > 0 && isspace((unsigned char)(*v)[*n - 1]))
        (*n)--;
}

/* Content-Encoding without the aws-chunked token ("gzip,aws-chunked" -> "gzip"); a value
 * without that token is kept exactly as sent ("deflate, gzip"). */
static char *strip_aws_chunked(rs_pool_t *pool, const char *v, size_t n)
{
    char *out = rs_pool_alloc(pool, n + 1);
    size_t o = 0, i = 0;
    int removed = 0;
    while (i <= n) {
        size_t j = i, tl;
        const char *tok;
        while (j < n && v[j] != ',')
            j++;
        tok = v + i, tl = j - i;
        trim(&tok, &tl);
        if (tl == 11 && strncasecmp(tok, "aws-chunked", 11) == 0) {
            removed = 1;
        } else if (tl > 0) {
            if (o > 0)
                out[o++] = ',';
            memcpy(out + o, tok, tl);
            o += tl;
        }
        i = j + 1;
    }
    if (!removed) /* nothing of ours in it: the value as the client sent it */
        return rs_pool_strndup(pool, v, n);
    out[o] = '\0';
    return out;
}

static int b64_or_q_decode(const char *enc, char mode, const char *text, size_t n, char *out,
                           size_t *outn)
{
    size_t i, o = 0;
    (void)enc;
    if (mode == 'B' || mode == 'b') {
        long r = rs_base64_decode(text, n, (uint8_t *)out, n);
        if (r < 0)
            return -1;
        *outn = (size_t)r;
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (text[i] == '_') {
            out[o++] = ' ';
        } else if (text[i] == '=') {
            uint8_t b;
            if (i + 2 >= n || rs_hex_decode(text + i + 1, 2, &b) != 0)
                return -1;
            out[o++] = (char)b;
            i += 2;
        } else {
            out[o++] = text[i];
        }
    }
    *outn = o;
    return 0;
}

/* RFC 2047 encoded-word that decodes to printable ASCII is stored decoded (AWS). */
static void rfc2047_ascii(rs_pool_t *pool, const char **v, size_t *n)
{
    const char *s = *v, *q1, *q2;
    size_t len = *n, i, on;
    char *out;
    if (len < 8 || strncmp(s, "=?", 2) != 0 || strncmp(s + len - 2, "?=", 2) != 0)
        return;
    q1 = memchr(s + 2, '?', len - 4);
    if (q1 == NULL || q1 + 3 > s + len - 2 || q1[2] != '?')
        return;
    q2 = q1 + 3;
    out = rs_pool_alloc(pool, len + 1);
    if (b64_or_q_decode(s + 2, q1[1], q2, (size_t)((s + len - 2) - q2), out, &on) != 0)
        return;
    for (i = 0; i < on; i++)
        if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] > 0x7e)
            return;
    out[on] = '\0';
    *v = out, *n = on;
}

static const struct {
    const char *header;
    int tag;
} sys_headers[] = {
    {"content-type", RS_META_CONTENT_TYPE},
    {"content-disposition", RS_META_CONTENT_DISPOSITION},
    {"content-language", RS_META_CONTENT_LANGUAGE},
    {"cache-control", RS_META_CACHE_CONTROL},
    {"expires", RS_META_EXPIRES},
    {"x-amz-website-redirect-location", RS_META_WEBSITE_REDIRECT},
};

int rs_s3_meta_from_request(rs_s3_call_t *c, rs_s3_meta_t *m)
{
    const rs_http_req_t *req = c->req;
    size_t i, user_bytes = 0;
    const rs_hdr_t *h;

    m->n = 0;
    for (i = 0; i < sizeof sys_headers / sizeof sys_headers[0]; i++) {
        h = rs_http_req_header(req, sys_headers[i].header);
        if (h != NULL)
            rs_s3_meta_add(m, sys_headers[i].tag, NULL, h->value, h->value_len);
    }
    if (rs_s3_meta_find(m, RS_META_CONTENT_TYPE) == NULL)
        rs_s3_meta_add(m, RS_META_CONTENT_TYPE, NULL, "binary/octet-stream", 19);
    h = rs_http_req_header(req, "content-encoding");
    if (h != NULL) {
        char *ce = strip_aws_chunked(c->pool, h->value, h->value_len);
        if (ce[0] != '\0')
            rs_s3_meta_add(m, RS_META_CONTENT_ENCODING, NULL, ce, strlen(ce));
    }
    h = rs_http_req_header(req, "x-amz-tagging");
    if (h != NULL && h->value_len > 0) {
        if (rs_s3_tagging_header_check(c, h->value, h->value_len) < 0)
            return -1;
        rs_s3_meta_add(m, RS_META_TAGGING, NULL, h->value, h->value_len);
    }
    for (i = 0; i < req->num_headers; i++) {
        const rs_hdr_t *uh = &req->headers[i];
        const char *v = uh->value;
        size_t vn = uh->value_len, k;
        char *name;
        if (uh->name_len <= 11 || strncasecmp(uh->name, "x-amz-meta-", 11) != 0)
            continue;
        name = rs_pool_strndup(c->pool, uh->name + 11, uh->name_len - 11);
        for (k = 0; name[k]; k++)
            name[k] = (char)tolower((unsigned char)name[k]);
        trim(&v, &vn);
        rfc2047_ascii(c->pool, &v, &vn);
        user_bytes += strlen(name) + vn;
        rs_s3_meta_add(m, RS_META_USER, name, v, vn);
    }
    if (user_bytes > RS_USER_META_MAX) {
        char sz[32];
        snprintf(sz, sizeof sz, "%zu", user_bytes);
        rs_s3_fail(c, RS_S3E_MetadataTooLarge, NULL, "Size", sz, "MaxSizeAllowed", "2048", NULL);
        return -1;
    }
    return 0;
}

/* only printable ASCII (and tabs): a header value that needs no encoding */
static int ascii_printable(const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)v[i] < 0x20 && v[i] != '\t') || (unsigned char)v[i] >= 0x7f)
            return 0;
    return 1;
}

void rs_s3_meta_to_response(rs_s3_call_t *c, const rs_s3_meta_t *m)
{
    static const char *const names[] = {
        [RS_META_CONTENT_TYPE] = "Content-Type",
        [RS_META_CONTENT_ENCODING] = "Content-Encoding",
        [RS_META_CONTENT_DISPOSITION] = "Content-Disposition",
        [RS_META_CONTENT_LANGUAGE] = "Content-Language",
        [RS_META_CACHE_CONTROL] = "Cache-Control",
        [RS_META_EXPIRES] = "Expires",
        [RS_META_WEBSITE_REDIRECT] = "x-amz-website-redirect-location",
    };
    size_t i;
    for (i = 0; i < m->n; i++) {
        const rs_s3_meta_field_t *f = &m->f[i];
        if (f->tag == RS_META_USER) {
            const char *v = f->value;
            size_t vn = f->value_len;
            if (!ascii_printable(v, vn)) {
                /* AWS sends non-ASCII values RFC 2047-encoded: =?UTF-8?B?<base64>?= */
                char *enc = rs_pool_alloc(c->pool, (vn + 2) / 3 * 4 + 16);
                memcpy(enc, "=?UTF-8?B?", 10);
                size_t bn = rs_base64_encode((const uint8_t *)v, vn, enc + 10);
                memcpy(enc + 10 + bn, "?=", 3);
                v = enc;
                vn = 12 + bn;
            }
            rs_http_resp_headern(c->resp, rs_pool_printf(c->pool, "x-amz-meta-%s", f->name), v, vn);
        } else if (f->tag == RS_META_TAGGING) {
            int n = rs_s3_tagging_count(c, f->value, f->value_len);
            if (n > 0)
                rs_http_resp_header(c->resp, "x-amz-tagging-count",
                                    rs_pool_printf(c->pool, "%d", n));
        } else if (f->tag > 0 && f->tag < (int)(sizeof names / sizeof names[0]) &&
                   names[f->tag] != NULL) {
            rs_http_resp_headern(c->resp, names[f->tag], f->value, f->value_len);
        }
    }
}

int rs_s3_put_init(rs_s3_call_t *c, const rs_bucket_t *b, const rs_s3_meta_t *m, rs_obj_put_t *put)
{
    memset(put, 0, sizeof(*put));
    put->bucket = b;
    put->key = c->key;
    put->key_len = c->key_len;
    if (rs_s3_meta_encode(c->pool, m, (uint8_t **)&put->meta, &put->meta_len) != 0) {
        rs_s3_fail(c, RS_S3E_MetadataTooLarge, NULL, "MaxSizeAllowed", "8192", NULL);
        return -1;
    }
    return 0;
}
