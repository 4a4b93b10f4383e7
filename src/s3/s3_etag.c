/*
 * s3_etag.c: how an object's ETag and stored checksum look on the wire: "hex" for a PUT
 * or copy, "hex-N" for an object completed from N parts; checksums in base64 with "-N"
 * when COMPOSITE. Also the reverse: a client's ETag into MD5 and part count.
 * Runs in: workers (pure helpers).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "rs/codec.h"
#include "s3/s3_int.h"

const char *rs_s3_etag_str(rs_s3_call_t *c, const rs_obj_info_t *info)
{
    char hex[33];
    rs_s3_etag_hex(info->etag, hex);
    if (info->parts == 0)
        return rs_pool_strndup(c->pool, hex, 32);
    return rs_pool_printf(c->pool, "%s-%u", hex, (unsigned)info->parts);
}

const char *rs_s3_etag_quoted(rs_s3_call_t *c, const rs_obj_info_t *info)
{
    return rs_pool_printf(c->pool, "\"%s\"", rs_s3_etag_str(c, info));
}

const char *rs_s3_checksum_str(rs_s3_call_t *c, const rs_obj_info_t *info)
{
    char b64[64];
    rs_base64_encode(info->checksum, info->checksum_len, b64);
    if (info->checksum_type != RS_CKSUM_TYPE_COMPOSITE || info->parts == 0)
        return rs_pool_strndup(c->pool, b64, strlen(b64));
    return rs_pool_printf(c->pool, "%s-%u", b64, (unsigned)info->parts);
}

const char *rs_s3_checksum_type_name(int type)
{
    return type == RS_CKSUM_TYPE_COMPOSITE ? "COMPOSITE" : "FULL_OBJECT";
}

int rs_s3_etag_parse(const char *v, size_t n, uint8_t md5[16], uint32_t *parts)
{
    *parts = 0;
    while (n > 0 && (*v == '"' || *v == ' ' || *v == 'W' || *v == '/'))
        v++, n--;
    while (n > 0 && (v[n - 1] == '"' || v[n - 1] == ' '))
        n--;
    if (n > 33 && v[32] == '-') {
        unsigned long p = 0;
        for (size_t i = 33; i < n; i++) {
            if (v[i] < '0' || v[i] > '9' || p > 100000)
                goto bad;
            p = p * 10 + (unsigned long)(v[i] - '0');
        }
        if (p == 0 || p > 10000)
            goto bad;
        *parts = (uint32_t)p;
        n = 32;
    }
    if (n != 32 || rs_hex_decode(v, 32, md5) != 0)
        goto bad;
    return 0;
bad:
    memset(md5, 0, 16); /* matches no stored MD5 */
    *parts = 0;
    return -1;
}
