/*
 * digest.c: SHA-256 and HMAC-SHA256 for SigV4 signing and verification, on one OpenSSL
 * digest context and one fetched algorithm per thread (OpenSSL 3's one-shot calls fetch
 * the algorithm and allocate contexts on every call). Runs in: workers, and the ddb
 * supervisor's pool threads (signing requests to DynamoDB Local).
 */
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "auth/auth_int.h"
#include "rs/codec.h"
#include "rs/sigv4.h"

EVP_MD_CTX *rs_auth_sha_begin(void)
{
    static __thread struct {
        EVP_MD *md;
        EVP_MD_CTX *ctx;
    } t;
    if (t.ctx == NULL) {
        if (t.md == NULL)
            t.md = EVP_MD_fetch(NULL, "SHA256", NULL);
        if (t.md == NULL || (t.ctx = EVP_MD_CTX_new()) == NULL)
            return NULL;
    }
    return EVP_DigestInit_ex2(t.ctx, t.md, NULL) == 1 ? t.ctx : NULL;
}

int rs_auth_sha_end(EVP_MD_CTX *ctx, uint8_t out[32])
{
    unsigned int n = 0;
    return EVP_DigestFinal_ex(ctx, out, &n) == 1 && n == 32 ? 0 : -1;
}

/* out = SHA-256(a || b); 0, or -1 when OpenSSL failed (out zeroed) */
static int sha256_2(const void *a, size_t alen, const void *b, size_t blen, uint8_t out[32])
{
    EVP_MD_CTX *c = rs_auth_sha_begin();
    if (c != NULL && EVP_DigestUpdate(c, a, alen) == 1 && EVP_DigestUpdate(c, b, blen) == 1 &&
        rs_auth_sha_end(c, out) == 0)
        return 0;
    memset(out, 0, 32);
    return -1;
}

void rs_sha256_hex(const void *p, size_t n, char out[65])
{
    uint8_t d[32];
    sha256_2(p, n, "", 0, d);
    rs_hex_encode(d, 32, out);
}

/* RFC 2104; out may be key */
void rs_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen, uint8_t out[32])
{
    uint8_t pad[64], inner[32];
    memset(pad, 0, sizeof(pad));
    if (klen > sizeof(pad))
        sha256_2(key, klen, "", 0, pad);
    else
        memcpy(pad, key, klen);
    for (size_t i = 0; i < sizeof(pad); i++)
        pad[i] ^= 0x36;
    sha256_2(pad, sizeof(pad), msg, mlen, inner);
    for (size_t i = 0; i < sizeof(pad); i++)
        pad[i] ^= 0x36 ^ 0x5c;
    sha256_2(pad, sizeof(pad), inner, 32, out);
}
