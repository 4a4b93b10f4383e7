/*
 * sigv4.h: AWS request authentication: parse SigV4 (header and presigned query) and
 * SigV2 (header and presigned query) for account/region, and verify signatures when the
 * configuration asks for it; sign a client's request. Runs in: workers (pure functions over
 * rs_http_req_t); the signer in the ddb supervisor.
 */
#ifndef RS_SIGV4_H
#define RS_SIGV4_H

#include <stddef.h>
#include <stdint.h>
#include "rs/http.h"

typedef enum {
    RS_AUTH_NONE = 0, /* anonymous */
    RS_AUTH_V4_HEADER,
    RS_AUTH_V4_QUERY,
    RS_AUTH_V2_HEADER,
    RS_AUTH_V2_QUERY
} rs_auth_kind_t;

typedef struct rs_auth {
    rs_auth_kind_t kind;
    char access_key[129];
    char scope_date[9];         /* yyyymmdd (v4) */
    char region[32];            /* v4 scope region; "" for v2 */
    char service[32];           /* v4 scope service */
    char amz_date[17];          /* yyyymmddThhmmssZ (v4) */
    int64_t request_time;       /* seconds, from X-Amz-Date / Date; 0 if unknown */
    int64_t expires_at;         /* presigned: absolute expiry in seconds; 0 = none */
    long expires_param;         /* v4 X-Amz-Expires as given */
    const char *signed_headers; /* pool, ';'-separated lower-case (v4) */
    const char *signature;      /* pool, hex (v4) or base64 (v2) */
    const char *payload_hash;   /* x-amz-content-sha256 or UNSIGNED-PAYLOAD (v4) */
} rs_auth_t;

/* Problems found while parsing, in AWS terms (the S3/DynamoDB/Lambda layers render). */
typedef enum {
    RS_AUTHE_OK = 0,
    RS_AUTHE_QUERY_PARAMS,      /* v4 query: missing parameters */
    RS_AUTHE_QUERY_EXPIRES_MAX, /* X-Amz-Expires > 604800 */
    RS_AUTHE_QUERY_CREDENTIAL,  /* malformed X-Amz-Credential */
    RS_AUTHE_V2_QUERY_PARAMS,   /* v2 query: partial set */
    RS_AUTHE_HEADER_MALFORMED,  /* Authorization header unparsable */
    RS_AUTHE_EXPIRED,           /* presigned and past expiry */
} rs_auth_err_t;

/* Parse whatever authentication the request carries. Never fails for anonymous
 * requests. `now` is the current time in seconds (expiry check). */
rs_auth_err_t rs_auth_parse(const rs_http_req_t *req, int64_t now, rs_auth_t *out);

/* Recompute the signature with `secret` and compare. Returns 0 when it matches.
 * For v4, `string_to_sign`/`canonical_request` receive the strings (pool) for the
 * SignatureDoesNotMatch error body. */
int rs_auth_verify(const rs_http_req_t *req, const rs_auth_t *a, const char *secret,
                   const char **string_to_sign, const char **canonical_request);

/* Verify one aws-chunked chunk signature (STREAMING-AWS4-HMAC-SHA256-PAYLOAD). */
int rs_auth_verify_chunk(const rs_auth_t *a, const char *secret, const char *prev_sig,
                         const uint8_t *data, size_t len, const char *sig);

/* ---- browser-based POST uploads (sigpost.c): the string to sign is the base64 policy ---- */
/* x-amz-credential "AKID/yyyymmdd/region/service/aws4_request" into access_key,
 * scope_date, region and service (kind RS_AUTH_V4_HEADER); 0 or -1 when malformed */
int rs_auth_post_parse_credential(const char *cred, rs_auth_t *out);
/* 0 when `signature` (hex) is the SigV4 signature of the policy for a's scope */
int rs_auth_verify_post_v4(const rs_auth_t *a, const char *secret, const char *policy, size_t n,
                           const char *signature);
/* 0 when `signature` (base64) is the SigV2 HMAC-SHA1 of the policy */
int rs_auth_verify_post_v2(const char *secret, const char *policy, size_t n, const char *signature);

/* ---- signing (a client's requests: the ddb supervisor's to DynamoDB Local) ---------- */
typedef struct rs_sigv4_hdr {
    const char *name;  /* lower-case */
    const char *value; /* trimmed */
} rs_sigv4_hdr_t;

typedef struct rs_sigv4_sign {
    const char *method, *path, *query; /* canonical URI and query ("" for none) */
    const rs_sigv4_hdr_t *headers;     /* the signed headers, sorted by name */
    size_t num_headers;
    const void *payload;
    size_t payload_len;
    const char *access_key, *secret, *region, *service;
    const char *amz_date; /* X-Amz-Date (rs_sigv4_amz_date), also a signed header */
} rs_sigv4_sign_t;

/* a signing key kept for its scope (date, region, service, secret) */
typedef struct rs_sigv4_key {
    char date[9], region[64], service[32], secret[128];
    uint8_t key[32];
} rs_sigv4_key_t;

/* The Authorization header value of the request into auth. `key` keeps the signing key
 * between calls: zero it once, it is derived again when the scope changes.
 * 0, RS_EINVAL when a string does not fit, RS_ERR when OpenSSL failed. */
int rs_sigv4_sign(const rs_sigv4_sign_t *s, rs_sigv4_key_t *key, char *auth, size_t authlen);
/* yyyymmddThhmmssZ of `now` (seconds since the epoch, UTC) */
void rs_sigv4_amz_date(int64_t now, char out[17]);
/* kSigning = HMAC chain of "AWS4"+secret over date, region, service, "aws4_request" */
void rs_sigv4_signing_key(const char *secret, const char *date, const char *region,
                          const char *service, uint8_t key[32]);

/* Low-level helpers shared with the tests. */
void rs_sha256_hex(const void *p, size_t n, char out[65]);
void rs_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen, uint8_t out[32]);

#endif
