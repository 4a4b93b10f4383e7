/*
 * checksum.c: S3 flexible checksums: table-driven slicing-by-8 CRC32 (IEEE), CRC32C
 * (Castagnoli) and CRC64NVME, plus SHA1/SHA256/MD5 through OpenSSL EVP.
 * Runs in: workers (pure functions; the tables are built once before main()).
 */
#include <endian.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "rs/checksum.h"
#include "rs/err.h"

#define RS_POLY_CRC32 0xEDB88320u
#define RS_POLY_CRC32C 0x82F63B78u
#define RS_POLY_CRC64NVME 0x9A6C9329AC4BC9B5ull

static uint32_t rs_t32[8][256];
static uint32_t rs_t32c[8][256];
static uint64_t rs_t64[8][256];

static void crc32_tables(uint32_t t[8][256], uint32_t poly)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
        t[0][i] = c;
    }
    for (int k = 1; k < 8; k++)
        for (int i = 0; i < 256; i++)
            t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
}

__attribute__((constructor)) static void rs_checksum_init(void)
{
    crc32_tables(rs_t32, RS_POLY_CRC32);
    crc32_tables(rs_t32c, RS_POLY_CRC32C);
    for (uint64_t i = 0; i < 256; i++) {
        uint64_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ RS_POLY_CRC64NVME : c >> 1;
        rs_t64[0][i] = c;
    }
    for (int k = 1; k < 8; k++)
        for (int i = 0; i < 256; i++)
            rs_t64[k][i] = (rs_t64[k - 1][i] >> 8) ^ rs_t64[0][rs_t64[k - 1][i] & 0xff];
}

static uint32_t crc32_run(const uint32_t t[8][256], uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n >= 8) {
        uint32_t lo;
        memcpy(&lo, p, 4);
        lo = crc ^ le32toh(lo);
        crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
              t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
        p += 8;
        n -= 8;
    }
    while (n-- > 0)
        crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xff];
    return ~crc;
}

uint32_t rs_crc32(uint32_t crc, const void *p, size_t n)
{
    return crc32_run(rs_t32, crc, p, n);
}

uint32_t rs_crc32c(uint32_t crc, const void *p, size_t n)
{
    return crc32_run(rs_t32c, crc, p, n);
}

uint64_t rs_crc64nvme(uint64_t crc, const void *vp, size_t n)
{
    const uint8_t *p = vp;

    crc = ~crc;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        w = le64toh(w) ^ crc;
        crc = rs_t64[7][w & 0xff] ^ rs_t64[6][(w >> 8) & 0xff] ^ rs_t64[5][(w >> 16) & 0xff] ^
              rs_t64[4][(w >> 24) & 0xff] ^ rs_t64[3][(w >> 32) & 0xff] ^
              rs_t64[2][(w >> 40) & 0xff] ^ rs_t64[1][(w >> 48) & 0xff] ^ rs_t64[0][w >> 56];
        p += 8;
        n -= 8;
    }
    while (n-- > 0)
        crc = (crc >> 8) ^ rs_t64[0][(crc ^ *p++) & 0xff];
    return ~crc;
}

/* ---- combining: crc1 * x^(8 len2) mod P, then xor crc2 -------------------------------
 * Polynomials in the CRCs' reflected form (the top bit is x^0). Appending len2 zero bytes
 * to a CRC multiplies it by x^(8 len2) mod P; that power is found by square-and-multiply
 * over a table of x^(2^k) mod P (64 entries), so one combine costs O(log len2) products
 * of `dim` steps each. (The GF(2) matrix method took 0.2 ms a part: a 1,000-part
 * CompleteMultipartUpload spent 200 ms in it.) */

/* a * b mod P, reflected, dim bits */
static uint64_t mult_mod(uint64_t a, uint64_t b, uint64_t poly, int dim)
{
    uint64_t m = (uint64_t)1 << (dim - 1), p = 0;
    for (; m != 0; m >>= 1) {
        if (a & m) {
            p ^= b;
            if ((a & (m - 1)) == 0)
                break;
        }
        b = (b & 1) ? (b >> 1) ^ poly : b >> 1;
    }
    return p;
}

typedef struct x2n_table {
    uint64_t poly;
    uint64_t pow[64]; /* x^(2^k) mod P */
} x2n_table_t;

static const x2n_table_t *x2n_for(uint64_t poly, int dim)
{
    static _Thread_local x2n_table_t t[3]; /* CRC32, CRC32C, CRC64NVME: filled once */
    size_t i;
    for (i = 0; i < 3 && t[i].poly != 0; i++)
        if (t[i].poly == poly)
            return &t[i];
    if (i == 3)
        i = 0;                             /* never: three polynomials exist */
    uint64_t p = (uint64_t)1 << (dim - 2); /* x^1 */
    for (int k = 0; k < 64; k++) {
        t[i].pow[k] = p;
        p = mult_mod(p, p, poly, dim);
    }
    t[i].poly = poly;
    return &t[i];
}

/* reflected CRC of width `dim` bits with all-ones init and final xor */
static uint64_t crc_combine(uint64_t crc1, uint64_t crc2, uint64_t len2, uint64_t poly, int dim)
{
    const x2n_table_t *t = x2n_for(poly, dim);
    uint64_t op = (uint64_t)1 << (dim - 1); /* x^0 */
    int k = 3;                              /* len2 bytes: x^(len2 * 2^3) */

    for (uint64_t n = len2; n != 0; n >>= 1, k++)
        if (n & 1)
            op = mult_mod(t->pow[k & 63], op, poly, dim);
    return mult_mod(op, crc1, poly, dim) ^ crc2;
}

uint32_t rs_crc32_combine(uint32_t crc1, uint32_t crc2, uint64_t len2)
{
    return (uint32_t)crc_combine(crc1, crc2, len2, RS_POLY_CRC32, 32);
}

uint32_t rs_crc32c_combine(uint32_t crc1, uint32_t crc2, uint64_t len2)
{
    return (uint32_t)crc_combine(crc1, crc2, len2, RS_POLY_CRC32C, 32);
}

uint64_t rs_crc64nvme_combine(uint64_t crc1, uint64_t crc2, uint64_t len2)
{
    return crc_combine(crc1, crc2, len2, RS_POLY_CRC64NVME, 64);
}

/* ---- algorithm table ------------------------------------------------------------ */
typedef struct rs_cksum_info {
    int alg;
    const char *name;
    const char *header;
    size_t len;
} rs_cksum_info_t;

static const rs_cksum_info_t rs_cksums[] = {
    {RS_CKSUM_CRC32, "CRC32", "x-amz-checksum-crc32", 4},
    {RS_CKSUM_CRC32C, "CRC32C", "x-amz-checksum-crc32c", 4},
    {RS_CKSUM_CRC64NVME, "CRC64NVME", "x-amz-checksum-crc64nvme", 8},
    {RS_CKSUM_SHA1, "SHA1", "x-amz-checksum-sha1", 20},
    {RS_CKSUM_SHA256, "SHA256", "x-amz-checksum-sha256", 32},
};
#define RS_NCKSUMS (sizeof(rs_cksums) / sizeof(rs_cksums[0]))

static const rs_cksum_info_t *cksum_find(int alg)
{
    for (size_t i = 0; i < RS_NCKSUMS; i++)
        if (rs_cksums[i].alg == alg)
            return &rs_cksums[i];
    return NULL;
}

int rs_checksum_alg_parse(const char *name, size_t n)
{
    static const char prefix[] = "x-amz-checksum-";
    size_t plen = sizeof(prefix) - 1;

    if (n > plen && strncasecmp(name, prefix, plen) == 0) {
        name += plen;
        n -= plen;
    }
    for (size_t i = 0; i < RS_NCKSUMS; i++) {
        const char *an = rs_cksums[i].name;
        if (strlen(an) == n && strncasecmp(an, name, n) == 0)
            return rs_cksums[i].alg;
    }
    return -1;
}

const char *rs_checksum_alg_name(int alg)
{
    const rs_cksum_info_t *c = cksum_find(alg);
    return c ? c->name : NULL;
}

const char *rs_checksum_header(int alg)
{
    const rs_cksum_info_t *c = cksum_find(alg);
    return c ? c->header : NULL;
}

size_t rs_checksum_len(int alg)
{
    const rs_cksum_info_t *c = cksum_find(alg);
    return c ? c->len : 0;
}

static size_t evp_digest(const EVP_MD *md, const struct iovec *iov, size_t n, uint8_t *out)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int len = 0;

    if (ctx == NULL)
        return 0;
    if (EVP_DigestInit_ex(ctx, md, NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        if (iov[i].iov_len > 0)
            EVP_DigestUpdate(ctx, iov[i].iov_base, iov[i].iov_len);
    EVP_DigestFinal_ex(ctx, out, &len);
    EVP_MD_CTX_free(ctx);
    return len;
}

size_t rs_checksum_compute(int alg, const struct iovec *iov, size_t n, uint8_t *out)
{
    uint32_t c32 = 0;
    uint64_t c64 = 0;

    switch (alg) {
    case RS_CKSUM_CRC32:
    case RS_CKSUM_CRC32C:
        for (size_t i = 0; i < n; i++)
            c32 = alg == RS_CKSUM_CRC32 ? rs_crc32(c32, iov[i].iov_base, iov[i].iov_len)
                                        : rs_crc32c(c32, iov[i].iov_base, iov[i].iov_len);
        for (int k = 0; k < 4; k++)
            out[k] = (uint8_t)(c32 >> (24 - 8 * k));
        return 4;
    case RS_CKSUM_CRC64NVME:
        for (size_t i = 0; i < n; i++)
            c64 = rs_crc64nvme(c64, iov[i].iov_base, iov[i].iov_len);
        for (int k = 0; k < 8; k++)
            out[k] = (uint8_t)(c64 >> (56 - 8 * k));
        return 8;
    case RS_CKSUM_SHA1:
        return evp_digest(EVP_sha1(), iov, n, out);
    case RS_CKSUM_SHA256:
        return evp_digest(EVP_sha256(), iov, n, out);
    default:
        return 0;
    }
}

void rs_md5(const struct iovec *iov, size_t n, uint8_t out[16])
{
    if (evp_digest(EVP_md5(), iov, n, out) != 16)
        memset(out, 0, 16);
}
