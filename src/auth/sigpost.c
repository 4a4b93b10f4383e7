/*
 * sigpost.c: the signature of a browser-based POST upload (S3 POST object): the form's
 * base64 policy is the string to sign. SigV4: hex HMAC-SHA256 with the signing key of the
 * x-amz-credential scope; SigV2: base64 HMAC-SHA1 with the secret. Runs in: workers.
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth/auth_int.h"
#include "rs/codec.h"
#include "rs/sigv4.h"

int rs_auth_post_parse_credential(const char *cred, rs_auth_t *out)
{
    /* AKID/yyyymmdd/region/service/aws4_request */
    const char *p[5];
    size_t len[5], i = 0;
    const char *s = cred;
    memset(out, 0, sizeof *out);
    for (i = 0; i < 5; i++) {
        const char *e = strchr(s, '/');
        if ((e == NULL) != (i == 4))
            return -1;
        p[i] = s;
        len[i] = e ? (size_t)(e - s) : strlen(s);
        s = e ? e + 1 : s;
    }
    if (len[0] == 0 || len[0] >= sizeof out->access_key || len[1] != 8 ||
        strspn(p[1], "0123456789") < 8 || len[2] == 0 || len[2] >= sizeof out->region ||
        len[3] == 0 || len[3] >= sizeof out->service || len[4] != 12 ||
        strncmp(p[4], "aws4_request", 12) != 0)
        return -1;
    out->kind = RS_AUTH_V4_HEADER;
    memcpy(out->access_key, p[0], len[0]);
    memcpy(out->scope_date, p[1], 8);
    memcpy(out->region, p[2], len[2]);
    memcpy(out->service, p[3], len[3]);
    return 0;
}

int rs_auth_verify_post_v4(const rs_auth_t *a, const char *secret, const char *policy, size_t n,
                           const char *signature)
{
    uint8_t key[32], mac[32];
    char hex[65], lower[65];
    size_t sl = strlen(signature);
    if (sl != 64)
        return -1;
    for (size_t i = 0; i < 64; i++) {
        char c = signature[i];
        lower[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    lower[64] = '\0';
    rs_sigv4_signing_key(secret, a->scope_date, a->region, a->service, key);
    rs_hmac_sha256(key, 32, policy, n, mac);
    rs_hex_encode(mac, 32, hex);
    return rs_auth_streq(lower, hex) ? 0 : -1;
}

int rs_auth_verify_post_v2(const char *secret, const char *policy, size_t n, const char *signature)
{
    uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned int mlen = 0;
    char b64[64];
    if (HMAC(EVP_sha1(), secret, (int)strlen(secret), (const uint8_t *)policy, n, mac, &mlen) ==
            NULL ||
        mlen != 20)
        return -1;
    rs_base64_encode(mac, 20, b64);
    return rs_auth_streq(signature, b64) ? 0 : -1;
}
