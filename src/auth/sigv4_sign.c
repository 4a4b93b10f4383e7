/*
 * sigv4_sign.c: AWS Signature Version 4 on the client side: the signing key (kept by the
 * caller per scope), the canonical request hashed as it is written, the Authorization
 * header value; the X-Amz-Date string. Runs in: the ddb supervisor's pool threads
 * (requests to DynamoDB Local); the signing key also serves verification in workers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth/auth_int.h"
#include "rs/codec.h"
#include "rs/err.h"
#include "rs/sigv4.h"

void rs_sigv4_signing_key(const char *secret, const char *date, const char *region,
                          const char *service, uint8_t key[32])
{
    char buf[256], *k0 = buf;
    size_t n = strlen(secret) + 4;
    if (n >= sizeof(buf) && (k0 = malloc(n + 1)) == NULL) {
        memset(key, 0, 32);
        return;
    }
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, secret, n - 4);
    rs_hmac_sha256(k0, n, date, strlen(date), key);
    OPENSSL_cleanse(k0, n);
    if (k0 != buf)
        free(k0);
    rs_hmac_sha256(key, 32, region, strlen(region), key);
    rs_hmac_sha256(key, 32, service, strlen(service), key);
    rs_hmac_sha256(key, 32, "aws4_request", 12, key);
}

void rs_sigv4_amz_date(int64_t now, char out[17])
{
    static __thread struct {
        int64_t now;
        char s[17];
    } c = {-1, ""}; /* the string changes once a second */
    if (c.now != now) {
        time_t t = (time_t)now;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(c.s, sizeof(c.s), "%Y%m%dT%H%M%SZ", &tm);
        c.now = now;
    }
    memcpy(out, c.s, 17);
}

static int put(EVP_MD_CTX *c, const char *s)
{
    return EVP_DigestUpdate(c, s, strlen(s)) == 1;
}

/* hex SHA-256 of the canonical request; the signed header list into sh */
static int canonical_hash(const rs_sigv4_sign_t *s, const char *payload_hash, char *sh,
                          size_t shlen, char out[65])
{
    EVP_MD_CTX *c = rs_auth_sha_begin();
    size_t used = 0;
    int ok = c != NULL && put(c, s->method) && put(c, "\n") && put(c, s->path) && put(c, "\n") &&
             put(c, s->query) && put(c, "\n");
    sh[0] = '\0';
    for (size_t i = 0; ok && i < s->num_headers; i++) {
        int n = snprintf(sh + used, shlen - used, "%s%s", i > 0 ? ";" : "", s->headers[i].name);
        ok = n > 0 && (size_t)n < shlen - used && put(c, s->headers[i].name) && put(c, ":") &&
             put(c, s->headers[i].value) && put(c, "\n");
        used += ok ? (size_t)n : 0;
    }
    uint8_t d[32];
    if (!ok || !put(c, "\n") || !put(c, sh) || !put(c, "\n") || !put(c, payload_hash) ||
        rs_auth_sha_end(c, d) != 0)
        return RS_ERR;
    rs_hex_encode(d, 32, out);
    return 0;
}

int rs_sigv4_sign(const rs_sigv4_sign_t *s, rs_sigv4_key_t *key, char *auth, size_t authlen)
{
    char date[9], payload_hash[65], creq_hash[65], sh[512], sts[512], sig[65];
    memcpy(date, s->amz_date, 8);
    date[8] = '\0';
    rs_sha256_hex(s->payload, s->payload_len, payload_hash);
    if (canonical_hash(s, payload_hash, sh, sizeof(sh), creq_hash) != 0)
        return RS_ERR;
    int n = snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s",
                     s->amz_date, date, s->region, s->service, creq_hash);
    if (n < 0 || (size_t)n >= sizeof(sts))
        return RS_EINVAL;
    if (strcmp(key->date, date) != 0 || strcmp(key->region, s->region) != 0 ||
        strcmp(key->service, s->service) != 0 || strcmp(key->secret, s->secret) != 0) {
        if (strlen(s->region) >= sizeof(key->region) ||
            strlen(s->service) >= sizeof(key->service) || strlen(s->secret) >= sizeof(key->secret))
            return RS_EINVAL;
        rs_sigv4_signing_key(s->secret, date, s->region, s->service, key->key);
        memcpy(key->date, date, sizeof(date));
        snprintf(key->region, sizeof(key->region), "%s", s->region);
        snprintf(key->service, sizeof(key->service), "%s", s->service);
        snprintf(key->secret, sizeof(key->secret), "%s", s->secret);
    }
    uint8_t mac[32];
    rs_hmac_sha256(key->key, 32, sts, (size_t)n, mac);
    rs_hex_encode(mac, 32, sig);
    n = snprintf(auth, authlen,
                 "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, "
                 "Signature=%s",
                 s->access_key, date, s->region, s->service, sh, sig);
    return n > 0 && (size_t)n < authlen ? 0 : RS_EINVAL;
}
